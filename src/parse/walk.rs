//! The walk over one file's events: headings into sections, list items and definition
//! lists into cards, with their context, images and tags.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use pulldown_cmark::{Event, HeadingLevel, Tag};

use super::directive::Directives;
use super::extensions::tag_of;
use super::hidden::Hidden;
use super::render::{html_block, img_sources, matching_end, plain_text, render_html, FoundImage};
use super::separator::{is_choice_label, reads_as_term, split, split_dash, Spanned, Split};
use super::{first_paragraph, only_images, prose_label, prose_text, trimmed, FileMeta, Parsed};
use crate::card::{Card, ImageRef, Location};
use crate::diag::Diagnostic;
use crate::identity::normalize;
use crate::settings::{DeckRule, FileSettings, Style};
use crate::source::Source;

/// Nesting deeper than this makes no cards (and keeps the walk off the stack's edge).
const MAX_DEPTH: usize = 100;

pub(super) struct Walker<'a> {
    source: &'a Source,
    /// The text read (comments taken out), and where its offsets are in the file.
    hidden: &'a Hidden<'a>,
    file: &'a FileMeta,
    /// The file's path, shared by every location in it.
    path: Arc<Path>,
    pub(super) events: &'a [Spanned<'a>],
    /// The deck part of every card's identity, and the note's title (the same outside
    /// a vault: the first `#` heading, else the stem).
    deck: Arc<str>,
    title: Arc<str>,
    /// The `#` heading that names the deck (none in a vault).
    pub(super) deck_heading: Option<usize>,
    /// The file's first `#` heading: its title, never a card of the `headings` style.
    pub(super) title_heading: Option<usize>,
    sections: Vec<(HeadingLevel, String)>,
    /// The names of `sections`, shared by every card of the section; and the card's
    /// place: the title (in a vault, where the deck is not the file) and the sections.
    pub(super) section_names: Arc<[String]>,
    pub(super) place: Arc<[String]>,
    pub parsed: Parsed,
    pub(super) settings: &'a FileSettings,
    /// Byte offsets of the image references and tags that ended in a card.
    used_images: BTreeSet<usize>,
    used_tags: BTreeSet<usize>,
    /// Whether the file holds any `#tag` (most hold none: no card looks for its own).
    has_tags: bool,
    /// The last card made from a top-level item in the current section.
    last_top_card: Option<usize>,
    /// How deep `blocks` has recursed, and whether the cap was reported.
    depth: usize,
    too_deep: bool,
}

/// The `#` heading that names the deck (by its event index), and the file's title: the
/// heading's text, or the file's name. In a vault, a note's title is its file name:
/// `# About` is a section there, and a first `# Hashing` in `Hashing.md` only repeats
/// the title.
fn deck_heading_and_title(file: &FileMeta, events: &[Spanned<'_>]) -> (Option<usize>, Arc<str>) {
    let in_vault = file.vault_deck.is_some();
    let h1_text = |i: usize| normalize(&plain_text(&events[i + 1..matching_end(events, i)]));
    let deck_heading = match first_h1(events) {
        Some(i) if in_vault => Some(i).filter(|&i| h1_text(i) == file.stem),
        found => found,
    };
    let title: Arc<str> = deck_heading
        .filter(|_| !in_vault)
        .map(h1_text)
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| file.stem.clone())
        .into();
    (deck_heading, title)
}

/// The deck part of the cards' identity: as the settings choose, else the vault's (in
/// a vault), else the title.
fn deck_of(
    file: &FileMeta,
    settings: &FileSettings,
    events: &[Spanned<'_>],
    deck_heading: Option<usize>,
    title: &Arc<str>,
) -> Arc<str> {
    let first_h1 = || {
        let i = deck_heading.or_else(|| first_h1(events))?;
        let text = normalize(&plain_text(&events[i + 1..matching_end(events, i)]));
        Some(text).filter(|t| !t.is_empty())
    };
    match &settings.deck {
        Some(DeckRule::Named(name)) => Arc::from(name.as_str()),
        Some(DeckRule::File) => Arc::from(file.stem.as_str()),
        Some(DeckRule::Folder) => Arc::from(file.folder_deck.as_str()),
        Some(DeckRule::Heading) => Arc::from(first_h1().unwrap_or_else(|| file.stem.clone())),
        None => file.vault_deck.as_deref().map_or(title.clone(), Arc::from),
    }
}

fn first_h1(events: &[Spanned<'_>]) -> Option<usize> {
    events.iter().position(|(e, _)| {
        matches!(
            e,
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                ..
            })
        )
    })
}

impl<'a> Walker<'a> {
    pub(super) fn new(
        source: &'a Source,
        file: &'a FileMeta,
        settings: &'a FileSettings,
        hidden: &'a Hidden<'a>,
        events: &'a [Spanned<'a>],
    ) -> Self {
        let (deck_heading, title) = deck_heading_and_title(file, events);
        let deck = deck_of(file, settings, events, deck_heading, &title);
        // Room for a card per item or term (so the list is not grown by doubling).
        let items = events
            .iter()
            .filter(|(e, _)| matches!(e, Event::Start(Tag::Item | Tag::DefinitionListTitle)));
        let mut walker = Walker {
            source,
            hidden,
            file,
            path: Arc::from(source.path.as_path()),
            events,
            deck,
            title,
            deck_heading,
            title_heading: first_h1(events),
            sections: Vec::new(),
            section_names: Arc::from(Vec::new()),
            place: Arc::from(Vec::new()),
            // Room for a card per item or term (so the list is not grown by doubling).
            parsed: Parsed {
                cards: Vec::with_capacity(items.count()),
                ..Parsed::default()
            },
            settings,
            used_images: BTreeSet::new(),
            used_tags: BTreeSet::new(),
            has_tags: events.iter().any(|(e, _)| tag_of(e).is_some()),
            last_top_card: None,
            depth: 0,
            too_deep: false,
        };
        walker.name_sections();
        walker
    }

    /// The deck part of every card's identity.
    pub(super) fn deck(&self) -> Arc<str> {
        self.deck.clone()
    }

    /// The cards, each with the file's tags (front matter's, and `#tags` outside any
    /// card) besides its own.
    pub(super) fn finish(mut self, front_tags: &[String]) -> Parsed {
        let mut file_tags: Vec<String> = front_tags.to_vec();
        for (event, range) in self.events {
            if let Some(tag) = tag_of(event) {
                if !self.used_tags.contains(&range.start) && !file_tags.iter().any(|t| t == tag) {
                    file_tags.push(tag.to_string());
                }
            }
        }
        if !file_tags.is_empty() {
            for card in &mut self.parsed.cards {
                let own = std::mem::take(&mut card.tags);
                card.tags = file_tags.clone();
                for tag in own {
                    if !card.tags.contains(&tag) {
                        card.tags.push(tag);
                    }
                }
            }
        }
        self.parsed
    }

    /// Where a block really starts: pulldown-cmark may start a nested item's range at
    /// the line break before it.
    pub(super) fn block_start(&self, offset: usize) -> usize {
        let text = &self.hidden.text;
        offset
            + text
                .get(offset..)
                .map_or(0, |rest| rest.len() - rest.trim_start().len())
    }

    /// Where byte `offset` of the text read is, in the file.
    fn location(&self, offset: usize) -> Location {
        let (line, col) = self.source.line_col(self.hidden.original(offset));
        Location {
            path: self.path.clone(),
            line,
            col,
        }
    }

    fn warn(&mut self, offset: usize, code: &'static str, message: String) {
        let loc = self.location(offset);
        self.parsed.diagnostics.push(Diagnostic::warning(
            loc.path.to_path_buf(),
            (loc.line, loc.col),
            code,
            message,
        ));
    }

    /// Walks a run of blocks; `top` is true at the document level.
    pub(super) fn blocks(&mut self, range: Range<usize>, context: &[String], top: bool) {
        if self.depth >= MAX_DEPTH {
            if !self.too_deep {
                self.too_deep = true;
                let offset = self.block_start(
                    self.events[range.start.min(self.events.len().saturating_sub(1))]
                        .1
                        .start,
                );
                self.warn(
                    offset,
                    "too-deep",
                    format!("lists or quotes nested more than {MAX_DEPTH} levels deep: the items below this depth make no cards of their own"),
                );
            }
            return;
        }
        self.depth += 1;
        self.blocks_inner(range, context, top);
        self.depth -= 1;
    }

    pub(super) fn blocks_inner(&mut self, range: Range<usize>, context: &[String], top: bool) {
        let mut i = range.start;
        while i < range.end {
            let end = match self.events[i].0 {
                Event::Start(_) => matching_end(self.events, i),
                _ => i,
            };
            match &self.events[i].0 {
                Event::Start(Tag::Heading { level, .. }) if top => {
                    i = self.heading_section((i, end), *level, range.end, context);
                    continue;
                }
                Event::Start(Tag::List(_)) => {
                    i = self.list(i, end, context, top);
                    continue;
                }
                Event::Start(Tag::DefinitionList) => self.definition_list(i, end, context, top),
                Event::Start(Tag::BlockQuote(_)) => self.blocks(i + 1..end, context, top),
                Event::Start(Tag::Table(_)) if self.settings.has(Style::Tables) => {
                    self.table(i, end, context)
                }
                Event::Start(Tag::Paragraph | Tag::HtmlBlock) if top => {
                    self.maybe_floating_images(i, end)
                }
                _ => {}
            }
            i = end + 1;
        }
    }

    pub(super) fn heading(&mut self, start: usize, end: usize, level: HeadingLevel) {
        self.last_top_card = None;
        let directives = Directives::find(&self.events[start + 1..end]);
        let offset = self.events[start].1.start;
        for word in directives.unknown.iter().cloned().chain(
            (directives.reverse || directives.id.is_some()).then(|| "reverse / id=".to_string()),
        ) {
            self.warn(
                offset,
                "unknown-directive",
                format!(
                    "`{word}` does not apply to a heading; a heading's `anki:` comment knows: skip"
                ),
            );
        }
        if Some(start) == self.deck_heading {
            // Sections above the deck's own heading end with it.
            self.sections.clear();
            self.name_sections();
            return;
        }
        let text = normalize(&plain_text(&self.events[start + 1..end]));
        while self.sections.last().is_some_and(|(l, _)| *l >= level) {
            self.sections.pop();
        }
        self.sections.push((level, text));
        self.name_sections();
    }

    /// Shares the sections' names, and the place they make, with the cards to come.
    fn name_sections(&mut self) {
        self.section_names = self.sections.iter().map(|(_, s)| s.clone()).collect();
        self.place = if self.file.vault_deck.is_some() {
            std::iter::once(self.title.to_string())
                .chain(self.section_names.iter().cloned())
                .collect()
        } else {
            self.section_names.clone()
        };
    }

    /// The items of a list; returns where the walk goes on (after the list, or after
    /// the list of options right after it that a quiz question used).
    fn list(&mut self, start: usize, end: usize, context: &[String], top: bool) -> usize {
        let ordered = matches!(self.events[start].0, Event::Start(Tag::List(Some(_))));
        let following = list_after(self.events, end + 1);
        let mut next = end + 1;
        let mut i = start + 1;
        while i < end {
            let item_end = matching_end(self.events, i);
            if matches!(self.events[i].0, Event::Start(Tag::Item)) {
                let last = item_end + 1 >= end;
                let after = following.filter(|_| last);
                match self.quiz_item((i, item_end), context, top, ordered, after) {
                    Some(true) => {
                        next = after.map_or(next, |(_, l)| matching_end(self.events, l) + 1)
                    }
                    Some(false) => {}
                    None => self.item(i, item_end, context, top),
                }
            }
            i = item_end + 1;
        }
        next
    }

    fn item(&mut self, start: usize, end: usize, context: &[String], top: bool) {
        let (first, rest) = first_paragraph(self.events, start, end);
        let offset = self.block_start(self.events[start].1.start);
        let directives = Directives::find(&self.events[first.clone()]);
        for unknown in &directives.unknown {
            self.warn(
                offset,
                "unknown-directive",
                format!("unknown `anki:` comment `{unknown}`; known: skip, reverse, id=…"),
            );
        }
        // A task item's checkbox is not part of its term.
        let mut first_events = directives.strip(&self.events[first]);
        first_events.retain(|(e, _)| !matches!(e, Event::TaskListMarker(_)));
        let parts = self.separated(&first_events);
        let term_text = parts.as_ref().map(|p| normalize(&plain_text(&p.term)));
        let label = match (parts, term_text) {
            (Some(parts), Some(term_text)) if is_pair(&parts, &term_text, rest >= end) => {
                let nested = &self.events[rest..end];
                let made = Made {
                    offset,
                    top,
                    directives: &directives,
                    term_text: &term_text,
                };
                self.card(made, context, &parts.term, &[&parts.definition, nested]);
                term_text
            }
            (None, _) => {
                let text = normalize(&plain_text(&first_events));
                let made = Made {
                    offset,
                    top,
                    directives: &directives,
                    term_text: &text,
                };
                if self.outline_item(made, context, &first_events, rest..end) {
                    text
                } else {
                    prose_label(&text)
                }
            }
            _ => prose_label(&plain_text(&first_events)),
        };
        let mut inner = context.to_vec();
        if !label.is_empty() {
            inner.push(label);
        }
        self.blocks(rest..end, &inner, false);
    }

    fn definition_list(&mut self, start: usize, end: usize, context: &[String], top: bool) {
        let mut i = start + 1;
        while i < end {
            let title_end = matching_end(self.events, i);
            if !matches!(self.events[i].0, Event::Start(Tag::DefinitionListTitle)) {
                i = title_end + 1;
                continue;
            }
            let j = self.definition_term(i, title_end, context, top);
            i = j;
        }
    }

    /// One term of a definition list and its definitions (which end before the
    /// returned index).
    fn definition_term(
        &mut self,
        i: usize,
        title_end: usize,
        context: &[String],
        top: bool,
    ) -> usize {
        let offset = self.block_start(self.events[i].1.start);
        let directives = Directives::find(&self.events[i + 1..title_end]);
        let term = directives.strip(&self.events[i + 1..title_end]);
        let term_text = normalize(&plain_text(&term));
        let mut definitions: Vec<&[Spanned<'_>]> = Vec::new();
        let mut j = title_end + 1;
        while matches!(
            self.events.get(j),
            Some((Event::Start(Tag::DefinitionListDefinition), _))
        ) {
            let def_end = matching_end(self.events, j);
            definitions.push(&self.events[j + 1..def_end]);
            j = def_end + 1;
        }
        if term_text.is_empty() {
            return j;
        }
        let made = Made {
            offset,
            top,
            directives: &directives,
            term_text: &term_text,
        };
        self.card(made, context, &term, &definitions);
        let mut inner = context.to_vec();
        inner.push(term_text.clone());
        let mut k = title_end + 1;
        while k < j {
            let def_end = matching_end(self.events, k);
            self.blocks(k + 1..def_end, &inner, false);
            k = def_end + 1;
        }
        j
    }

    /// Makes a card, or warns when the term has nothing to define it.
    pub(super) fn card(
        &mut self,
        made: Made<'_>,
        context: &[String],
        term: &[Spanned<'_>],
        definition_parts: &[&[Spanned<'_>]],
    ) {
        let location = self.location(made.offset);
        let mut images = Vec::new();
        let term_html = trimmed(self.render(term, &mut images));
        let mut definition_html = String::new();
        for part in definition_parts {
            let html = trimmed(self.render(part, &mut images));
            if html.is_empty() {
                continue;
            }
            if !definition_html.is_empty() {
                definition_html.push('\n');
            }
            definition_html.push_str(&html);
        }
        if definition_html.is_empty() {
            self.warn(
                made.offset,
                "empty-definition",
                format!(
                    "`{}` has a term but no definition or nested content; no card made",
                    made.term_text
                ),
            );
            return;
        }
        if made.top {
            self.last_top_card = Some(self.parsed.cards.len());
        }
        let tags = self.own_tags(std::iter::once(term).chain(definition_parts.iter().copied()));
        self.parsed.cards.push(Card {
            deck: self.deck.clone(),
            title: self.title.clone(),
            in_vault: self.file.vault_deck.is_some(),
            sections: self.section_names.clone(),
            place: self.place.clone(),
            context: context.to_vec(),
            term_html,
            options_html: String::new(),
            term_text: made.term_text.to_string(),
            definition_html,
            reverse: made.directives.reverse,
            pinned_id: made.directives.id.clone(),
            images,
            tags,
            location,
        });
    }

    /// The `#tags` in a card's events, each once, marked as used.
    fn own_tags<'p>(&mut self, parts: impl Iterator<Item = &'p [Spanned<'p>]>) -> Vec<String> {
        let mut tags: Vec<String> = Vec::new();
        if !self.has_tags {
            return tags;
        }
        for (event, range) in parts.flatten() {
            if let Some(tag) = tag_of(event) {
                self.used_tags.insert(range.start);
                if !tags.iter().any(|t| t == tag) {
                    tags.push(tag.to_string());
                }
            }
        }
        tags
    }

    /// Renders events, recording every image reference as the card's and as used.
    pub(super) fn render(&mut self, events: &[Spanned<'_>], images: &mut Vec<ImageRef>) -> String {
        let mut found = Vec::new();
        let html = render_html(events, &mut |img: FoundImage| {
            found.push(img);
            images.len() + found.len() - 1
        });
        // `![[image.png]]` is found as Obsidian finds it; in a vault, so is `![](…)`.
        let in_vault = self.file.vault_deck.is_some();
        for img in found {
            self.used_images.insert(img.offset);
            let location = self.location(img.offset);
            images.push(ImageRef {
                src: img.src,
                location,
                lookup: (img.embed || in_vault).then(|| self.file.root.clone()),
                embed: img.embed,
            });
        }
        html
    }

    /// A paragraph made only of images, outside any list, joins the top-level card before it.
    fn maybe_floating_images(&mut self, start: usize, end: usize) {
        let block = &self.events[start..=end];
        if !only_images(block) {
            return;
        }
        let Some(index) = self.last_top_card else {
            return; // reported as unused images
        };
        let mut images = std::mem::take(&mut self.parsed.cards[index].images);
        let html = self.render(block, &mut images);
        let card = &mut self.parsed.cards[index];
        card.images = images;
        card.definition_html.push('\n');
        card.definition_html.push_str(html.trim());
    }

    /// Every image reference that ended in no card gets a warning.
    pub(super) fn warn_unused_images(&mut self) {
        let mut unused = Vec::new();
        let mut i = 0;
        while i < self.events.len() {
            let (event, range) = &self.events[i];
            match event {
                Event::Start(Tag::Image { dest_url, .. })
                    if !self.used_images.contains(&range.start) =>
                {
                    unused.push((range.start, dest_url.to_string()));
                }
                Event::Start(Tag::HtmlBlock) => {
                    let block = html_block(self.events, i);
                    for (src, at) in img_sources(&block.text) {
                        let offset = block.offset(at);
                        if !self.used_images.contains(&offset) {
                            unused.push((offset, src));
                        }
                    }
                    i = block.end;
                }
                Event::InlineHtml(html) => {
                    for (src, at) in img_sources(html) {
                        if !self.used_images.contains(&(range.start + at)) {
                            unused.push((range.start + at, src));
                        }
                    }
                }
                _ => {}
            }
            i += 1;
        }
        for (offset, src) in unused {
            self.warn(
                offset,
                "unused-image",
                format!("image `{src}` is in no card, so it is not in the deck"),
            );
        }
    }
}

impl Walker<'_> {
    /// An item's first paragraph split at its separator: a colon, or a dash after a
    /// bold or code term (after any term with `dashes` on), whichever comes first.
    fn separated<'e>(&self, events: &[Spanned<'e>]) -> Option<Split<'e>> {
        let colon = split(events);
        let dash = split_dash(events, self.settings.has(Style::Dashes));
        match (colon, dash) {
            (Some(c), Some(d)) if plain_text(&d.term).len() < plain_text(&c.term).len() => Some(d),
            (Some(c), _) => Some(c),
            (None, d) => d,
        }
    }
}

/// The list at `from`, or after the code, images or HTML between (a quiz question's
/// code, then its options): where those start, and the list.
fn list_after(events: &[Spanned<'_>], from: usize) -> Option<(usize, usize)> {
    let mut j = from;
    for _ in 0..4 {
        match events.get(j)?.0 {
            Event::Start(Tag::List(_)) => return Some((from, j)),
            Event::Start(Tag::CodeBlock(_) | Tag::HtmlBlock | Tag::Paragraph) => {
                j = matching_end(events, j) + 1
            }
            _ => return None,
        }
    }
    None
}

/// Whether an item split at its separator is a card: a term that reads as one (not a
/// sentence, not a choice label like `A` or `(b)` — code or math may be one letter), and
/// not `- ec2:*` alone (an IAM wildcard, not a term defined as `*`).
fn is_pair(parts: &Split<'_>, term: &str, nothing_nested: bool) -> bool {
    let wildcard = nothing_nested && is_only_star(&parts.definition);
    // `$m$: number of samples`, `` `x`: `` are terms, however short.
    let symbol = parts
        .term
        .iter()
        .any(|(e, _)| matches!(e, Event::Code(_) | Event::InlineMath(_)));
    let label = !symbol && is_choice_label(term);
    !term.is_empty() && reads_as_term(&prose_text(&parts.term)) && !label && !wildcard
}

/// Events that are only the text `*`.
fn is_only_star(events: &[Spanned<'_>]) -> bool {
    let mut star = false;
    for (event, _) in events {
        match event {
            Event::Text(t) if t.trim().is_empty() => {}
            Event::Text(t) if t.trim() == "*" && !star => star = true,
            _ => return false,
        }
    }
    star
}

/// What a card is made from besides its events.
pub(super) struct Made<'d> {
    pub offset: usize,
    pub top: bool,
    pub directives: &'d Directives,
    pub term_text: &'d str,
}
