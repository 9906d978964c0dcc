//! Markdown → cards. Pure: no I/O, no clock. Owns the pulldown-cmark options.
//!
//! The walk follows `docs/notes-format.md`: list items whose first paragraph reads
//! `term: definition`, definition lists, nested cards with their context chain, image
//! paragraphs after a list, and the `<!-- anki: … -->` comments.

mod directive;
mod render;
mod separator;

use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::Arc;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::card::{Card, ImageRef, Location};
use crate::diag::Diagnostic;
use crate::identity::normalize;
use crate::source::Source;
use directive::Directives;
pub use render::escape as escape_attr;
pub use render::image_placeholder;
pub use render::text_outside_tags;
use render::{html_block, img_sources, matching_end, plain_text, render_html, FoundImage};
use separator::{reads_as_term, split, Spanned};

/// Every Markdown extension the notes may use, chosen in one place.
pub fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_MATH
        | Options::ENABLE_DEFINITION_LIST
        | Options::ENABLE_TASKLISTS
        // Front matter (Obsidian, Jekyll) is metadata, not a heading or a card.
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
}

/// What one file gives.
#[derive(Debug, Default)]
pub struct Parsed {
    pub cards: Vec<Card>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses one file into cards (in the order they appear) and diagnostics.
///
/// `default_deck` names the deck when the file has no `#` heading (the file's stem).
pub fn parse(source: &Source, default_deck: &str) -> Parsed {
    // Room for the events at once (notes run 30-40 bytes per event: room for one per
    // 24 leaves a margin for denser text): grown by doubling,
    // the list left each file's earlier copies behind, which the allocator kept (at
    // 125k cards, a peak 10-20 MiB higher). At most a million (96 MB) up front.
    let estimate = (source.text.len() / 24 + 16).min(1 << 20);
    let mut events: Vec<Spanned<'_>> = Vec::with_capacity(estimate);
    events.extend(Parser::new_ext(&source.text, markdown_options()).into_offset_iter());
    let events = drop_skipped_items(events);
    let deck_heading = events.iter().position(|(e, _)| {
        matches!(
            e,
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                ..
            })
        )
    });
    let deck = deck_heading
        .map(|i| normalize(&plain_text(&events[i + 1..matching_end(&events, i)])))
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| default_deck.to_string());
    let mut walker = Walker {
        section_names: Arc::from(Vec::new()),
        source,
        path: std::sync::Arc::from(source.path.as_path()),
        events: &events,
        deck: Arc::from(deck),
        deck_heading,
        sections: Vec::new(),
        // Room for a card per item or term (so the list is not grown by doubling).
        parsed: Parsed {
            cards: Vec::with_capacity(
                events
                    .iter()
                    .filter(|(e, _)| {
                        matches!(e, Event::Start(Tag::Item | Tag::DefinitionListTitle))
                    })
                    .count(),
            ),
            diagnostics: Vec::new(),
        },
        used_images: BTreeSet::new(),
        last_top_card: None,
        depth: 0,
        too_deep: false,
    };
    walker.blocks(0..events.len(), &[], true);
    walker.warn_unused_images();
    walker.parsed
}

/// `<!-- anki: skip -->` removes the item and everything under it, before anything else.
/// On a definition-list term it removes the term and its definitions. A list left empty
/// goes too, so no empty `<ul>` remains in a parent's answer.
fn drop_skipped_items(events: Vec<Spanned<'_>>) -> Vec<Spanned<'_>> {
    // Most files skip nothing: then the events stay as they are, not copied.
    let may_skip = events
        .iter()
        .any(|(e, _)| matches!(e, Event::InlineHtml(html) if html.contains("skip")));
    if !may_skip {
        return events;
    }
    let mut kept: Vec<Spanned<'_>> = Vec::with_capacity(events.len());
    let mut i = 0;
    while i < events.len() {
        match events[i].0 {
            Event::Start(Tag::Item) => {
                let end = matching_end(&events, i);
                let (first, _) = first_paragraph(&events, i, end);
                if Directives::find(&events[first]).skip {
                    i = end + 1;
                    continue;
                }
            }
            Event::Start(Tag::DefinitionListTitle) => {
                let end = matching_end(&events, i);
                if Directives::find(&events[i + 1..end]).skip {
                    i = end + 1;
                    while matches!(
                        events.get(i),
                        Some((Event::Start(Tag::DefinitionListDefinition), _))
                    ) {
                        i = matching_end(&events, i) + 1;
                    }
                    continue;
                }
            }
            Event::End(TagEnd::List(_) | TagEnd::DefinitionList)
                if matches!(
                    kept.last(),
                    Some((Event::Start(Tag::List(_) | Tag::DefinitionList), _))
                ) =>
            {
                kept.pop();
                i += 1;
                continue;
            }
            _ => {}
        }
        kept.push(events[i].clone());
        i += 1;
    }
    kept
}

/// The item's first paragraph (inline events) and where the rest of its content starts.
fn first_paragraph(events: &[Spanned<'_>], item: usize, end: usize) -> (Range<usize>, usize) {
    let first = item + 1;
    if first < end && matches!(events[first].0, Event::Start(Tag::Paragraph)) {
        let para_end = matching_end(events, first);
        return (first + 1..para_end, para_end + 1);
    }
    let mut k = first;
    while k < end && is_inline(&events[k].0) {
        k += 1;
    }
    (first..k, k)
}

fn is_inline(event: &Event<'_>) -> bool {
    match event {
        Event::Start(tag) => matches!(
            tag,
            Tag::Emphasis
                | Tag::Strong
                | Tag::Strikethrough
                | Tag::Superscript
                | Tag::Subscript
                | Tag::Link { .. }
                | Tag::Image { .. }
        ),
        Event::End(tag) => matches!(
            tag,
            TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Superscript
                | TagEnd::Subscript
                | TagEnd::Link
                | TagEnd::Image
        ),
        Event::Text(_)
        | Event::Code(_)
        | Event::InlineMath(_)
        | Event::InlineHtml(_)
        | Event::SoftBreak
        | Event::HardBreak
        | Event::FootnoteReference(_)
        | Event::TaskListMarker(_) => true,
        _ => false,
    }
}

/// Shortens a prose item for the context chain: trailing `。．.:：` and spaces trimmed,
/// cut to 40 characters with `…`.
fn prose_label(text: &str) -> String {
    let text = normalize(text);
    let trimmed = text.trim_end_matches(|c: char| c.is_whitespace() || "。．.:：".contains(c));
    if trimmed.chars().count() > 40 {
        let cut: String = trimmed.chars().take(40).collect();
        format!("{}…", cut.trim_end())
    } else {
        trimmed.to_string()
    }
}

struct Walker<'s, 'e> {
    source: &'s Source,
    /// The file's path, shared by every location in it.
    path: std::sync::Arc<std::path::Path>,
    events: &'e [Spanned<'s>],
    deck: Arc<str>,
    deck_heading: Option<usize>,
    sections: Vec<(HeadingLevel, String)>,
    /// The names of `sections`, shared by every card of the section.
    section_names: Arc<[String]>,
    parsed: Parsed,
    /// Byte offsets of the image references that ended in a card.
    used_images: BTreeSet<usize>,
    /// The last card made from a top-level item in the current section.
    last_top_card: Option<usize>,
    /// How deep `blocks` has recursed, and whether the cap was reported.
    depth: usize,
    too_deep: bool,
}

/// Nesting deeper than this makes no cards (and keeps the walk off the stack's edge).
const MAX_DEPTH: usize = 100;

impl Walker<'_, '_> {
    /// Where a block really starts: pulldown-cmark may start a nested item's range at
    /// the line break before it.
    fn block_start(&self, offset: usize) -> usize {
        let text = &self.source.text;
        offset
            + text
                .get(offset..)
                .map_or(0, |rest| rest.len() - rest.trim_start().len())
    }

    fn location(&self, offset: usize) -> Location {
        let (line, col) = self.source.line_col(offset);
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
    fn blocks(&mut self, range: Range<usize>, context: &[String], top: bool) {
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

    fn blocks_inner(&mut self, range: Range<usize>, context: &[String], top: bool) {
        let mut i = range.start;
        while i < range.end {
            let end = match self.events[i].0 {
                Event::Start(_) => matching_end(self.events, i),
                _ => i,
            };
            match &self.events[i].0 {
                Event::Start(Tag::Heading { level, .. }) if top => self.heading(i, end, *level),
                Event::Start(Tag::List(_)) => self.list(i, end, context, top),
                Event::Start(Tag::DefinitionList) => self.definition_list(i, end, context, top),
                Event::Start(Tag::BlockQuote(_)) => self.blocks(i + 1..end, context, top),
                Event::Start(Tag::Paragraph | Tag::HtmlBlock) if top => {
                    self.maybe_floating_images(i, end)
                }
                _ => {}
            }
            i = end + 1;
        }
    }

    fn heading(&mut self, start: usize, end: usize, level: HeadingLevel) {
        self.last_top_card = None;
        if Some(start) == self.deck_heading {
            // Sections above the deck's own heading end with it.
            self.sections.clear();
            self.section_names = Arc::from(Vec::new());
            return;
        }
        let text = normalize(&plain_text(&self.events[start + 1..end]));
        while self.sections.last().is_some_and(|(l, _)| *l >= level) {
            self.sections.pop();
        }
        self.sections.push((level, text));
        self.section_names = self.sections.iter().map(|(_, s)| s.clone()).collect();
    }

    fn list(&mut self, start: usize, end: usize, context: &[String], top: bool) {
        let mut i = start + 1;
        while i < end {
            let item_end = matching_end(self.events, i);
            if matches!(self.events[i].0, Event::Start(Tag::Item)) {
                self.item(i, item_end, context, top);
            }
            i = item_end + 1;
        }
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
        let first_events = directives.strip(&self.events[first]);
        let label = match split(&first_events) {
            Some(parts)
                if !plain_text(&parts.term).trim().is_empty()
                    && reads_as_term(&prose_text(&parts.term)) =>
            {
                let nested = &self.events[rest..end];
                let term_text = normalize(&plain_text(&parts.term));
                self.card(
                    offset,
                    context,
                    top,
                    &directives,
                    &parts.term,
                    &[&parts.definition, nested],
                    &term_text,
                );
                term_text
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
            let offset = self.block_start(self.events[i].1.start);
            let directives = Directives::find(&self.events[i + 1..title_end]);
            let term = directives.strip(&self.events[i + 1..title_end]);
            let term_text = normalize(&plain_text(&term));
            let mut definitions: Vec<&[Spanned<'_>]> = Vec::new();
            let mut j = title_end + 1;
            while j < end
                && matches!(
                    self.events[j].0,
                    Event::Start(Tag::DefinitionListDefinition)
                )
            {
                let def_end = matching_end(self.events, j);
                definitions.push(&self.events[j + 1..def_end]);
                j = def_end + 1;
            }
            if !term_text.is_empty() {
                self.card(
                    offset,
                    context,
                    top,
                    &directives,
                    &term,
                    &definitions,
                    &term_text,
                );
                let mut inner = context.to_vec();
                inner.push(term_text);
                let mut k = title_end + 1;
                while k < j {
                    let def_end = matching_end(self.events, k);
                    self.blocks(k + 1..def_end, &inner, false);
                    k = def_end + 1;
                }
            }
            i = j;
        }
    }

    /// Makes a card, or warns when the term has nothing to define it.
    #[allow(clippy::too_many_arguments)]
    fn card(
        &mut self,
        offset: usize,
        context: &[String],
        top: bool,
        directives: &Directives,
        term: &[Spanned<'_>],
        definition_parts: &[&[Spanned<'_>]],
        term_text: &str,
    ) {
        let location = self.location(offset);
        let mut images = Vec::new();
        let term_html = trimmed(self.render(term, &mut images));
        let mut definition_html = String::new();
        for part in definition_parts {
            let html = trimmed(self.render(part, &mut images));
            if html.is_empty() {
                continue;
            }
            if definition_html.is_empty() {
                definition_html = html;
            } else {
                definition_html.push('\n');
                definition_html.push_str(&html);
            }
        }
        if definition_html.is_empty() {
            self.warn(
                offset,
                "empty-definition",
                format!(
                    "`{term_text}` has a term but no definition or nested content; no card made"
                ),
            );
            return;
        }
        if top {
            self.last_top_card = Some(self.parsed.cards.len());
        }
        self.parsed.cards.push(Card {
            deck: self.deck.clone(),
            sections: self.section_names.clone(),
            context: context.to_vec(),
            term_html,
            term_text: term_text.to_string(),
            definition_html,
            reverse: directives.reverse,
            pinned_id: directives.id.clone(),
            images,
            location,
        });
    }

    /// Renders events, recording every image reference as the card's and as used.
    fn render(&mut self, events: &[Spanned<'_>], images: &mut Vec<ImageRef>) -> String {
        let mut found = Vec::new();
        let html = render_html(events, &mut |img: FoundImage| {
            found.push(img);
            images.len() + found.len() - 1
        });
        for img in found {
            self.used_images.insert(img.offset);
            let location = self.location(img.offset);
            images.push(ImageRef {
                src: img.src,
                location,
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
    fn warn_unused_images(&mut self) {
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

/// The text a term is judged by: plain text outside code and math.
fn prose_text(events: &[Spanned<'_>]) -> String {
    events
        .iter()
        .map(|(e, _)| match e {
            Event::Text(t) => t.as_ref(),
            _ => " ",
        })
        .collect()
}

/// True for a block holding images and white space only.
fn only_images(block: &[Spanned<'_>]) -> bool {
    if matches!(block.first(), Some((Event::Start(Tag::HtmlBlock), _))) {
        let html = html_block(block, 0).text;
        return !img_sources(&html).is_empty()
            && render::text_outside_tags(&html).trim().is_empty();
    }
    let mut depth = 0usize;
    let mut any = false;
    for (event, _) in block {
        match event {
            Event::Start(Tag::Image { .. }) => {
                depth += 1;
                any = true;
            }
            Event::End(TagEnd::Image) => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            Event::Start(Tag::Paragraph | Tag::HtmlBlock)
            | Event::End(TagEnd::Paragraph | TagEnd::HtmlBlock)
            | Event::SoftBreak
            | Event::HardBreak => {}
            Event::Text(t) if t.trim().is_empty() => {}
            Event::Html(h) | Event::InlineHtml(h) => {
                let sources = img_sources(h);
                if sources.is_empty() && !h.trim().is_empty() {
                    return false;
                }
                any |= !sources.is_empty();
                if !render::text_outside_tags(h).trim().is_empty() {
                    return false;
                }
            }
            _ => return false,
        }
    }
    any
}

#[cfg(test)]
mod tests;

/// `text` without leading and trailing white space, in its own allocation when it has
/// none to lose.
fn trimmed(text: String) -> String {
    if text.len() == text.trim().len() {
        text
    } else {
        text.trim().to_string()
    }
}
