//! Markdown → cards. Pure: no I/O, no clock. Owns the pulldown-cmark options.
//!
//! The walk follows `docs/notes-format.md`: list items whose first paragraph reads
//! `term: definition`, definition lists, nested cards with their context chain, image
//! paragraphs after a list, and the `<!-- anki: … -->` comments. Before it, the front
//! matter and comments are blanked (`hidden`) and the syntax beyond CommonMark is
//! rewritten into ordinary events (`extensions`).

mod directive;
mod extensions;
mod frontmatter;
mod hidden;
mod highlight;
mod render;
mod separator;
mod styles;
mod walk;

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, TextMergeWithOffset};

use crate::card::Card;
use crate::diag::Diagnostic;
use crate::identity::normalize;
use crate::source::Source;
use directive::Directives;
pub use render::escape as escape_attr;
pub use render::image_placeholder;
pub use render::text_outside_tags;
use render::{html_block, img_sources, matching_end};
use separator::Spanned;
use walk::Walker;

/// Every Markdown extension the notes may use, chosen in one place. Front matter is
/// not among them: pulldown-cmark would open a metadata block at any `---` line, and
/// `frontmatter` reads it at the very top only.
pub fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_MATH
        | Options::ENABLE_DEFINITION_LIST
        | Options::ENABLE_TASKLISTS
        // `[[Page]]`, `![[image.png]]` (Obsidian).
        | Options::ENABLE_WIKILINKS
}

/// What the parser needs to know of a file besides its text.
#[derive(Debug, Clone)]
pub struct FileMeta {
    /// The file's stem: its deck when it has no `#` heading; its title in a vault.
    pub stem: String,
    /// In an Obsidian vault: its deck (the vault's name and the file's folders). Then the
    /// title is the stem, and every heading is a section.
    pub vault_deck: Option<String>,
    /// Where `![[image.png]]` is looked up by name: the vault, else the input folder.
    pub root: Arc<Path>,
    /// What the settings say of the file (before its own front matter).
    pub settings: crate::settings::FileSettings,
    /// Its deck by folder (`deck = "folder"`): the input folder's name and the folders
    /// under it.
    pub folder_deck: String,
}

impl FileMeta {
    /// A file outside any vault, found under `root`.
    pub fn plain(stem: &str, root: &Path) -> Self {
        FileMeta {
            stem: stem.to_string(),
            vault_deck: None,
            root: Arc::from(root),
            settings: Default::default(),
            folder_deck: folder_name(root),
        }
    }
}

/// A folder's name (of its absolute path when it is `.` or ends in `..`).
pub(crate) fn folder_name(dir: &Path) -> String {
    let named = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    named
        .or_else(|| {
            dir.canonicalize()
                .ok()?
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_default()
}

/// A problem found before the walk, at a byte offset: it becomes a warning (an error
/// for bad settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub offset: usize,
    pub code: &'static str,
    pub message: String,
}

/// What one file gives.
#[derive(Debug, Default)]
pub struct Parsed {
    pub cards: Vec<Card>,
    pub diagnostics: Vec<Diagnostic>,
    /// What applied to it: the settings with its front matter's on top, and the deck
    /// its cards are in (empty when it was skipped).
    pub settings: crate::settings::FileSettings,
    pub deck: Arc<str>,
}

/// Parses one file into cards (in the order they appear) and diagnostics.
pub fn parse(source: &Source, file: &FileMeta) -> Parsed {
    // Problems found at offsets in the file, and (below) in the text read.
    let mut in_file = Vec::new();
    let (front, body) = frontmatter::split(&source.text, &mut in_file);
    let mut settings = file.settings.clone();
    settings.apply(front.cards.as_deref(), front.skip, front.deck.as_deref());
    if settings.skip || !front.errors.is_empty() {
        let mut diagnostics = warnings(source, in_file);
        diagnostics.extend(front.errors.into_iter().map(|f| {
            Diagnostic::error(&source.path, source.line_col(f.offset), f.code, f.message)
        }));
        return Parsed {
            diagnostics,
            settings,
            ..Parsed::default()
        };
    }
    let hidden = hidden::hide(&source.text, body, markdown_options(), &mut in_file);
    let text = &hidden.text;
    let mut in_text = Vec::new();
    // Most files hold none of the syntax beyond CommonMark: their events go as parsed.
    let events = if extensions::may_apply(text) {
        extensions::rewrite(events_of(text, true), text, &mut in_text)
    } else {
        events_of(text, false)
    };
    let events = drop_skipped(events);
    in_file.extend(in_text.into_iter().map(|f| Finding {
        offset: hidden.original(f.offset),
        ..f
    }));
    let mut walker = Walker::new(source, file, &settings, &hidden, &events);
    walker.parsed.diagnostics = warnings(source, in_file);
    walker.blocks(0..events.len(), &[], true);
    walker.warn_unused_images();
    let deck = walker.deck();
    let mut parsed = walker.finish(&front.tags);
    parsed.settings = settings;
    parsed.deck = deck;
    parsed
}

/// The events of a text; with `merged`, adjacent texts as one (`[`, `!note`, `]` are
/// one text), as the rewrites of [`extensions`] read them.
fn events_of(text: &str, merged: bool) -> Vec<Spanned<'_>> {
    // Room for the events at once (notes run 30-40 bytes per event: room for one per
    // 24 leaves a margin for denser text): grown by doubling,
    // the list left each file's earlier copies behind, which the allocator kept (at
    // 125k cards, a peak 10-20 MiB higher). At most a million (96 MB) up front.
    let estimate = (text.len() / 24 + 16).min(1 << 20);
    let mut events: Vec<Spanned<'_>> = Vec::with_capacity(estimate);
    let parser = Parser::new_ext(text, markdown_options()).into_offset_iter();
    if merged {
        events.extend(TextMergeWithOffset::new(parser));
    } else {
        events.extend(parser);
    }
    events
}

fn warnings(source: &Source, findings: Vec<Finding>) -> Vec<Diagnostic> {
    findings
        .into_iter()
        .map(|f| Diagnostic::warning(&source.path, source.line_col(f.offset), f.code, f.message))
        .collect()
}

/// `<!-- anki: skip -->` removes what it is on, before anything else: an item and
/// everything under it; a definition-list term and its definitions; a heading and its
/// section (up to the next heading of its level or higher). A list left empty goes too,
/// so no empty `<ul>` remains in a parent's answer.
fn drop_skipped(events: Vec<Spanned<'_>>) -> Vec<Spanned<'_>> {
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
        if let Some(next) = skipped_until(&events, i) {
            i = next;
            continue;
        }
        let ends_list = matches!(
            events[i].0,
            Event::End(TagEnd::List(_) | TagEnd::DefinitionList)
        );
        let left_empty = matches!(
            kept.last(),
            Some((Event::Start(Tag::List(_) | Tag::DefinitionList), _))
        );
        if ends_list && left_empty {
            kept.pop();
        } else {
            kept.push(events[i].clone());
        }
        i += 1;
    }
    kept
}

/// Where the events go on after what starts at `i`, when that is skipped.
fn skipped_until(events: &[Spanned<'_>], i: usize) -> Option<usize> {
    let end = matching_end(events, i);
    match events[i].0 {
        Event::Start(Tag::Item) => {
            let (first, _) = first_paragraph(events, i, end);
            Directives::find(&events[first]).skip.then_some(end + 1)
        }
        Event::Start(Tag::DefinitionListTitle) => {
            if !Directives::find(&events[i + 1..end]).skip {
                return None;
            }
            let mut j = end + 1;
            while matches!(
                events.get(j),
                Some((Event::Start(Tag::DefinitionListDefinition), _))
            ) {
                j = matching_end(events, j) + 1;
            }
            Some(j)
        }
        // A heading's section: up to the next heading of its level or higher, or the end
        // of the quote (or item) the heading is in.
        Event::Start(Tag::Heading { level, .. }) => {
            if !Directives::find(&events[i + 1..end]).skip {
                return None;
            }
            let mut j = end + 1;
            while j < events.len() {
                match events[j].0 {
                    Event::Start(Tag::Heading { level: l, .. }) if l <= level => break,
                    Event::End(_) => break,
                    _ => j = matching_end(events, j) + 1,
                }
            }
            Some(j)
        }
        _ => None,
    }
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

pub(crate) fn is_inline(event: &Event<'_>) -> bool {
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
/// cut to 40 characters with `…` — unless it is a question (ends in `?` or `？`), which
/// is shown whole: cut, it would not say what is asked.
fn prose_label(text: &str) -> String {
    let text = normalize(text);
    let trimmed = text.trim_end_matches(|c: char| c.is_whitespace() || "。．.:：".contains(c));
    if trimmed.chars().count() > 40 && !trimmed.ends_with(['?', '？']) {
        let cut: String = trimmed.chars().take(40).collect();
        format!("{}…", cut.trim_end())
    } else {
        trimmed.to_string()
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
#[cfg(test)]
mod tests_styles;

/// `text` without leading and trailing white space, in its own allocation when it has
/// none to lose.
fn trimmed(text: String) -> String {
    if text.len() == text.trim().len() {
        text
    } else {
        text.trim().to_string()
    }
}
