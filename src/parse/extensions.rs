//! Syntax beyond CommonMark that notes use, most of it Obsidian's: callouts,
//! `==highlights==`, `^block-ids`, inline `#tags`, `[[wikilinks]]`, `![[note embeds]]`,
//! and `:emoji:` shortcodes. Each becomes ordinary events (text, HTML, a tag marker)
//! before the walk, so the rest of the parser never sees the raw markup.

use std::borrow::Cow;

use pulldown_cmark::{CowStr, Event, LinkType, Tag, TagEnd};

use super::render::{matching_end, plain_text};
use super::separator::Spanned;
use super::{is_inline, Finding};
use crate::media::is_image_name;
use crate::tags;

/// Starts an inline `#tag` marker: `InlineHtml` holding this and the Anki tag. Renderers
/// drop it (the tag is not shown); the walker gives the tag to the card it is in.
pub(crate) const TAG_MARK: char = '\u{e002}';

/// The Anki tag of a tag marker.
pub(crate) fn tag_of<'e>(event: &'e Event<'_>) -> Option<&'e str> {
    match event {
        Event::InlineHtml(html) => html.strip_prefix(TAG_MARK),
        _ => None,
    }
}

/// Whether any rewrite may apply to a file's text (most hold nothing to rewrite).
pub(crate) fn may_apply(text: &str) -> bool {
    text.contains("[!") || text.contains("==") || may_rewrite_inline(text)
}

/// Rewrites the events of one file, its adjacent texts merged; `text` is what they were
/// parsed from.
pub(crate) fn rewrite<'a>(
    events: Vec<Spanned<'a>>,
    text: &str,
    findings: &mut Vec<Finding>,
) -> Vec<Spanned<'a>> {
    let events = if text.contains("[!") {
        callouts(events)
    } else {
        events
    };
    // The inline pass rebuilds the list of events: only where it may rewrite something.
    let events = if may_rewrite_inline(text) {
        Inline::run(events, findings)
    } else {
        events
    };
    if text.contains("==") {
        highlights(events)
    } else {
        events
    }
}

/// Whether the text may hold anything the inline pass rewrites: a wikilink or embed, a
/// `#tag`, a `^block-id` after white space, or a `:shortcode:`. A scan of the bytes (it
/// runs on every file, most of which hold none) that may say yes where the pass then
/// finds nothing (`#1`, `page#frag`), never no where it would find something.
fn may_rewrite_inline(text: &str) -> bool {
    let bytes = text.as_bytes();
    let after_space = |i: usize| i == 0 || bytes[i - 1].is_ascii_whitespace();
    let word = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'/') || *b >= 0x80;
    memchr::memmem::find(bytes, b"[[").is_some()
        || memchr::memchr2_iter(b'#', b'^', bytes)
            .any(|i| (bytes[i] == b'#' || after_space(i)) && bytes.get(i + 1).is_some_and(word))
        || memchr::memchr_iter(b':', bytes).any(|i| shortcode_end(text, i).is_some())
}

/// Moves event `i` out (the list is rebuilt, so each is taken once).
fn take<'a>(events: &mut [Spanned<'a>], i: usize) -> Spanned<'a> {
    std::mem::replace(&mut events[i], (Event::SoftBreak, 0..0))
}

/// A wikilink's target as plain text: `Page#Heading` → `Page › Heading`; block
/// references (`#^id`) are left out.
pub(crate) fn wiki_label(target: &str) -> String {
    let parts: Vec<&str> = target
        .split('#')
        .map(str::trim)
        .filter(|p| !p.is_empty() && !p.starts_with('^'))
        .collect();
    let mut label = parts.join(" › ");
    if parts.len() == 1 && label.ends_with(".md") {
        label.truncate(label.len() - 3);
    }
    label
}

/// A text rewritten: its new text, its `#tags` (where, and the Anki tag), and whether
/// its bytes are still the source's.
type Rewritten = (String, Vec<(std::ops::Range<usize>, String)>, bool);

/// The inline rewrites, in one pass over the events.
struct Inline<'a, 'f> {
    out: Vec<Spanned<'a>>,
    findings: &'f mut Vec<Finding>,
    /// Inside a code block.
    code: usize,
    /// Open links and images: `true` for a wikilink whose text is its target.
    links: Vec<bool>,
    heading: bool,
}

impl<'a> Inline<'a, '_> {
    fn run(mut events: Vec<Spanned<'a>>, findings: &mut Vec<Finding>) -> Vec<Spanned<'a>> {
        let mut pass = Inline {
            out: Vec::with_capacity(events.len() + 16),
            findings,
            code: 0,
            links: Vec::new(),
            heading: false,
        };
        let mut i = 0;
        while i < events.len() {
            i = pass.step(&mut events, i);
        }
        pass.out
    }

    /// Handles event `i`; returns the index of the next one.
    fn step(&mut self, events: &mut [Spanned<'a>], i: usize) -> usize {
        match &events[i].0 {
            Event::Start(Tag::CodeBlock(_)) => self.code += 1,
            Event::End(TagEnd::CodeBlock) => self.code = self.code.saturating_sub(1),
            Event::Start(Tag::Heading { .. }) => self.heading = true,
            Event::End(TagEnd::Heading(_)) => self.heading = false,
            Event::Start(Tag::Image {
                link_type: LinkType::WikiLink { has_pothole },
                dest_url,
                ..
            }) if !is_image_name(dest_url.split('#').next().unwrap_or_default()) => {
                return self.note_embed(events, i, *has_pothole)
            }
            Event::Start(Tag::Link { link_type, .. }) => self
                .links
                .push(*link_type == LinkType::WikiLink { has_pothole: false }),
            Event::Start(Tag::Image { .. }) => self.links.push(false),
            Event::End(TagEnd::Link | TagEnd::Image) => {
                self.links.pop();
            }
            // A paragraph left empty (it held a lone `^block-id`, or only tags) goes.
            Event::End(TagEnd::Paragraph) if self.unwrap_empty_paragraph() => return i + 1,
            Event::Text(_) if self.code == 0 => {
                let ends_line = events.get(i + 1).is_none_or(|(e, _)| ends_line(e));
                let (event, range) = take(events, i);
                if let Event::Text(text) = event {
                    self.text(text, range, ends_line);
                }
                return i + 1;
            }
            _ => {}
        }
        self.out.push(take(events, i));
        i + 1
    }

    /// At a paragraph's end: when it holds nothing but tag markers, takes out its start
    /// (the markers stay, outside any paragraph) and says so.
    fn unwrap_empty_paragraph(&mut self) -> bool {
        let empty = |e: &Event<'_>| {
            tag_of(e).is_some() || matches!(e, Event::Text(t) if t.trim().is_empty())
        };
        let Some(start) = self.out.iter().rposition(|(e, _)| !empty(e)) else {
            return false;
        };
        if !matches!(self.out[start].0, Event::Start(Tag::Paragraph)) {
            return false;
        }
        // The markers stay, and the spaces between them go.
        let markers: Vec<Spanned<'a>> = self
            .out
            .drain(start..)
            .filter(|(e, _)| tag_of(e).is_some())
            .collect();
        self.out.extend(markers);
        true
    }

    /// `![[Other note]]`: a card cannot show a note; it shows its name, with a warning.
    fn note_embed(&mut self, events: &mut [Spanned<'a>], i: usize, pothole: bool) -> usize {
        let end = matching_end(events, i);
        let range = events[i].1.clone();
        let target = match &events[i].0 {
            Event::Start(Tag::Image { dest_url, .. }) => dest_url.to_string(),
            _ => String::new(),
        };
        let label = if pothole {
            plain_text(&events[i + 1..end])
        } else {
            wiki_label(&target)
        };
        self.findings.push(Finding {
            offset: range.start,
            code: "unsupported-embed",
            message: format!(
                "`![[{target}]]` embeds a note, which a card cannot show; the card shows `{label}`"
            ),
        });
        self.out.push((Event::Text(label.into()), range));
        end + 1
    }

    /// Whether a text starts after white space, a line break, a checkbox or the start of
    /// a block — emphasis between does not count (`**#tag**`): a `#tag` or `^block-id`
    /// may start there.
    fn after_space(&self) -> bool {
        let markup = |e: &Event<'_>| matches!(e, Event::Start(_) | Event::End(_)) && is_inline(e);
        match self.out.iter().rev().find(|(e, _)| !markup(e)) {
            None => true,
            Some((Event::Text(t), _)) => t.ends_with(char::is_whitespace),
            Some((e, _)) => {
                matches!(
                    e,
                    Event::SoftBreak | Event::HardBreak | Event::TaskListMarker(_)
                ) || !is_inline(e)
            }
        }
    }

    fn text(&mut self, text: CowStr<'a>, range: std::ops::Range<usize>, ends_line: bool) {
        if self.links.last() == Some(&true) {
            self.out
                .push((Event::Text(wiki_label(&text).into()), range));
            return;
        }
        let at_start = self.after_space();
        let Some((body, found, same_bytes)) = self.rewritten(&text, at_start, ends_line) else {
            self.out.push((Event::Text(text), range));
            return;
        };
        // Where the pieces came from, when the text is the source's own bytes.
        let exact = same_bytes && text.len() == range.len();
        let sub = |a: usize, b: usize| {
            if exact {
                range.start + a..range.start + b
            } else {
                range.clone()
            }
        };
        let mut last = 0;
        for (at, tag) in found {
            self.push_text(&body[last..at.start], sub(last, at.start));
            let marker = format!("{TAG_MARK}{tag}");
            self.out
                .push((Event::InlineHtml(marker.into()), sub(at.start, at.end)));
            last = at.end;
        }
        self.push_text(&body[last..], sub(last, body.len()));
    }

    /// The text with shortcodes and a line-ending block id rewritten, its tags, and
    /// whether its bytes are still the text's (no shortcode replaced); or `None` when
    /// nothing changes.
    fn rewritten(&self, text: &str, at_start: bool, ends_line: bool) -> Option<Rewritten> {
        let converted = shortcodes(text, self.heading);
        let mut body: &str = &converted;
        if ends_line {
            if let Some(cut) = block_id_start(body, at_start) {
                body = body[..cut].trim_end();
            }
        }
        let found = if self.links.is_empty() {
            tags::find(body, at_start)
        } else {
            Vec::new()
        };
        let unchanged =
            found.is_empty() && body.len() == text.len() && matches!(converted, Cow::Borrowed(_));
        (!unchanged).then(|| {
            (
                body.to_string(),
                found,
                matches!(converted, Cow::Borrowed(_)),
            )
        })
    }

    fn push_text(&mut self, text: &str, range: std::ops::Range<usize>) {
        if !text.is_empty() {
            self.out.push((Event::Text(text.to_string().into()), range));
        }
    }
}

/// Whether a text followed by `next` ends its line.
fn ends_line(next: &Event<'_>) -> bool {
    matches!(next, Event::SoftBreak | Event::HardBreak) || !is_inline(next)
}

/// Where a `^block-id` ending a line starts (`… ^abc-123`, or a line of its own).
fn block_id_start(text: &str, at_start: bool) -> Option<usize> {
    let trimmed = text.trim_end();
    let caret = trimmed.rfind('^')?;
    let id = &trimmed[caret + 1..];
    let is_id = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let starts = if caret == 0 {
        at_start
    } else {
        trimmed[..caret].ends_with(char::is_whitespace)
    };
    (is_id && starts).then_some(caret)
}

/// `:white_check_mark:` → ✅. A shortcode stands alone (`a:b:c` holds none); an unknown
/// one is kept in text and dropped from headings, where it would only clutter a tag.
fn shortcodes(text: &str, drop_unknown: bool) -> Cow<'_, str> {
    if !text.contains(':') {
        return Cow::Borrowed(text);
    }
    let mut out = String::new();
    let mut last = 0;
    let mut from = 0;
    while let Some(found) = text[from..].find(':') {
        let start = from + found;
        from = start + 1;
        let Some(end) = shortcode_end(text, start) else {
            continue;
        };
        let name = &text[start + 1..end - 1];
        let replacement = match emojis::get_by_shortcode(name) {
            Some(emoji) => emoji.as_str(),
            None if drop_unknown => "",
            None => continue,
        };
        out.push_str(&text[last..start]);
        out.push_str(replacement);
        last = end;
        from = end;
    }
    if last == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

/// The end (past the closing colon) of a shortcode opening at `start`, if one does.
fn shortcode_end(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let name_len = bytes[start + 1..]
        .iter()
        .take_while(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'+' | b'-')
        })
        .count();
    let end = start + 1 + name_len + 1;
    if name_len == 0 || bytes.get(end - 1) != Some(&b':') {
        return None;
    }
    let alone_before = !text[..start]
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric);
    let alone_after = !text[end..]
        .chars()
        .next()
        .is_some_and(char::is_alphanumeric);
    (alone_before && alone_after).then_some(end)
}

/// `> [!type] Title` (also `[!type]-`, `[!type]+`): a box with its title and content
/// instead of a quote showing `[!type]`.
fn callouts(mut events: Vec<Spanned<'_>>) -> Vec<Spanned<'_>> {
    let mut out = Vec::with_capacity(events.len() + 8);
    let mut open: Vec<bool> = Vec::new();
    let mut i = 0;
    while i < events.len() {
        match &events[i].0 {
            Event::Start(Tag::BlockQuote(_)) => {
                if let Some(next) = callout_head(&mut events, i, &mut out) {
                    open.push(true);
                    i = next;
                    continue;
                }
                open.push(false);
            }
            Event::End(TagEnd::BlockQuote(_)) if open.pop() == Some(true) => {
                out.push((Event::Html("</div>\n".into()), events[i].1.clone()));
                i += 1;
                continue;
            }
            _ => {}
        }
        out.push(take(&mut events, i));
        i += 1;
    }
    out
}

/// If the quote at `i` is a callout: writes its opening and title, and returns where its
/// content goes on.
fn callout_head<'a>(
    events: &mut [Spanned<'a>],
    i: usize,
    out: &mut Vec<Spanned<'a>>,
) -> Option<usize> {
    let (Event::Start(Tag::Paragraph), _) = events.get(i + 1)? else {
        return None;
    };
    let (Event::Text(first), _) = events.get(i + 2)? else {
        return None;
    };
    let (kind, rest) = first.strip_prefix("[!")?.split_once(']')?;
    if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return None;
    }
    let kind = kind.to_ascii_lowercase();
    let rest = rest.trim_start_matches(['-', '+']).trim_start().to_string();
    let range = events[i].1.clone();
    let html = format!(
        "<div class=\"n2a-callout\" data-callout=\"{kind}\">\n<div class=\"n2a-callout-title\">"
    );
    out.push((Event::Html(html.into()), range.clone()));
    let title_start = out.len();
    if !rest.is_empty() {
        out.push((Event::Text(rest.into()), events[i + 2].1.clone()));
    }
    // The title is the rest of the first line (a break inside emphasis does not end it).
    let mut j = i + 3;
    let mut depth = 0usize;
    while let Some((event, _)) = events.get(j) {
        match event {
            Event::SoftBreak | Event::HardBreak if depth == 0 => break,
            Event::End(TagEnd::Paragraph) => break,
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        out.push(take(events, j));
        j += 1;
    }
    if out.len() == title_start {
        let mut name = kind.clone();
        name[..1].make_ascii_uppercase();
        out.push((Event::Text(name.into()), range.clone()));
    }
    out.push((Event::Html("</div>\n".into()), range));
    if matches!(events.get(j), Some((Event::End(TagEnd::Paragraph), _))) {
        return Some(j + 1);
    }
    // The rest of the first paragraph is the callout's first paragraph.
    out.push((Event::Start(Tag::Paragraph), events[i + 1].1.clone()));
    Some(j + 1)
}

/// `==text==` → `<mark>text</mark>`, within one run of inline text and at one depth of
/// emphasis (so the HTML stays well nested).
fn highlights(events: Vec<Spanned<'_>>) -> Vec<Spanned<'_>> {
    let marks = highlight_marks(&events);
    if marks.is_empty() {
        return events;
    }
    let mut out = Vec::with_capacity(events.len() + marks.len() * 2);
    let mut marks = marks.into_iter().peekable();
    for (k, (event, range)) in events.into_iter().enumerate() {
        if marks.peek().is_none_or(|(e, _, _)| *e != k) {
            out.push((event, range));
            continue;
        }
        let Event::Text(text) = event else { continue };
        let mut last = 0;
        while let Some((_, at, open)) = marks.next_if(|(e, _, _)| *e == k) {
            if at > last {
                out.push((
                    Event::Text(text[last..at].to_string().into()),
                    range.clone(),
                ));
            }
            let tag = if open { "<mark>" } else { "</mark>" };
            out.push((Event::InlineHtml(tag.into()), range.clone()));
            last = at + 2;
        }
        if last < text.len() {
            out.push((Event::Text(text[last..].to_string().into()), range.clone()));
        }
    }
    out
}

/// The `==` that open and close highlights: (event, byte, opens).
fn highlight_marks(events: &[Spanned<'_>]) -> Vec<(usize, usize, bool)> {
    let mut marks = Vec::new();
    let mut depth = 0usize;
    let mut code = 0usize;
    let mut open: Option<(usize, usize, usize)> = None;
    for (k, (event, _)) in events.iter().enumerate() {
        match event {
            Event::Start(Tag::CodeBlock(_)) => code += 1,
            Event::End(TagEnd::CodeBlock) => code = code.saturating_sub(1),
            Event::Text(_) if code > 0 => {}
            Event::Start(_) if is_inline(event) => depth += 1,
            Event::End(_) if is_inline(event) => {
                depth = depth.saturating_sub(1);
                open = open.filter(|o| o.2 <= depth);
            }
            Event::Text(text) => {
                for at in equals_pairs(text) {
                    let before = text[..at].chars().next_back();
                    let after = text[at + 2..].chars().next();
                    let closes = before.is_none_or(|c| !c.is_whitespace());
                    let opens = after.is_none_or(|c| !c.is_whitespace());
                    match open {
                        Some((e, b, d)) if closes && d == depth => {
                            marks.push((e, b, true));
                            marks.push((k, at, false));
                            open = None;
                        }
                        _ if opens => open = Some((k, at, depth)),
                        _ => {}
                    }
                }
            }
            e if !is_inline(e) && !matches!(e, Event::SoftBreak | Event::HardBreak) => open = None,
            _ => {}
        }
    }
    marks
}

/// Byte offsets of each `==` standing alone (not part of `===`).
fn equals_pairs(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'=' {
            let run = bytes[i..].iter().take_while(|&&b| b == b'=').count();
            if run == 2 {
                found.push(i);
            }
            i += run;
        } else {
            i += 1;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulldown_cmark::{Parser, TextMergeWithOffset};

    /// The HTML of a rewritten document, and what was found.
    fn html(md: &str) -> (String, Vec<Finding>) {
        let events: Vec<Spanned<'_>> = TextMergeWithOffset::new(
            Parser::new_ext(md, super::super::markdown_options()).into_offset_iter(),
        )
        .collect();
        let mut findings = Vec::new();
        let events = rewrite(events, md, &mut findings);
        let mut out = String::new();
        pulldown_cmark::html::push_html(
            &mut out,
            events.into_iter().map(|(e, _)| match e {
                Event::InlineHtml(h) if h.starts_with(TAG_MARK) => {
                    Event::Text(format!("[tag {}]", &h[TAG_MARK.len_utf8()..]).into())
                }
                e => e,
            }),
        );
        (out, findings)
    }

    #[test]
    fn highlights_pair_within_a_run() {
        assert_eq!(
            html("a ==b **c**== d").0,
            "<p>a <mark>b <strong>c</strong></mark> d</p>\n"
        );
        assert_eq!(html("x == y and a==b").0, "<p>x == y and a==b</p>\n");
        assert_eq!(
            html("`==code==` ==x==").0,
            "<p><code>==code==</code> <mark>x</mark></p>\n"
        );
        assert_eq!(html("==a\n\nb==").0, "<p>==a</p>\n<p>b==</p>\n");
        assert_eq!(
            html("```\np ==q== r\n```\n").0,
            "<pre><code>p ==q== r\n</code></pre>\n"
        );
    }

    #[test]
    fn tags_become_markers_outside_code_and_links() {
        assert_eq!(
            html("- Term #aws: def #net/vpc, `#no` [#no](u) C#").0,
            "<ul>\n<li>Term [tag aws]: def [tag net::vpc], <code>#no</code> <a href=\"u\">#no</a> C#</li>\n</ul>\n"
        );
        assert_eq!(html("#top #more\n").0, "[tag top][tag more]");
        assert_eq!(
            html("- [x] #todo Backups: **#b** x#c").0,
            "<ul>\n<li><input disabled=\"\" type=\"checkbox\" checked=\"\"/>\n[tag todo] Backups: <strong>[tag b]</strong> x#c</li>\n</ul>\n"
        );
        // A tag inside emphasis is found even when nothing else in the file asks for
        // the inline pass.
        assert_eq!(
            html("a **#b** c").0,
            "<p>a <strong>[tag b]</strong> c</p>\n"
        );
    }

    #[test]
    fn block_ids_comments_and_shortcodes() {
        assert_eq!(html("A line ^abc-123\n\n^para-id\n").0, "<p>A line</p>\n");
        assert_eq!(html("x^2 and 2^10").0, "<p>x^2 and 2^10</p>\n");
        assert_eq!(
            html(":white_check_mark: done :nope: a:b:c").0,
            "<p>✅ done :nope: a:b:c</p>\n"
        );
        assert_eq!(html("# Week :one: :nope:").0, "<h1>Week 1️⃣ </h1>\n");
    }

    #[test]
    fn wikilinks_read_as_their_text() {
        let (out, findings) =
            html("[[Page]], [[Page|alias]], [[Page#Part#Sub]], [[#Here]], ![[Note#H]]");
        assert!(out.contains("Page</a>, "), "{out}");
        assert!(out.contains(">Page › Part › Sub</a>"), "{out}");
        assert!(out.contains(">Here</a>"), "{out}");
        assert!(out.contains(">alias</a>"), "{out}");
        assert!(out.ends_with(", Note › H</p>\n"), "{out}");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].code, "unsupported-embed");
    }

    #[test]
    fn callouts_become_boxes() {
        let (out, _) =
            html("> [!warning]- Watch **out**\n> body: text\n>\n> more\n\n> plain quote\n");
        assert_eq!(
            out,
            "<div class=\"n2a-callout\" data-callout=\"warning\">\n<div class=\"n2a-callout-title\">Watch <strong>out</strong></div>\n<p>body: text</p>\n<p>more</p>\n</div>\n<blockquote>\n<p>plain quote</p>\n</blockquote>\n"
        );
        let (out, _) = html("> [!tip] **two\n> lines** of title\n> body\n");
        assert_eq!(
            out,
            "<div class=\"n2a-callout\" data-callout=\"tip\">\n<div class=\"n2a-callout-title\"><strong>two\nlines</strong> of title</div>\n<p>body</p>\n</div>\n"
        );
        let (out, _) = html("> [!NOTE]\n> - a: b\n");
        assert_eq!(
            out,
            "<div class=\"n2a-callout\" data-callout=\"note\">\n<div class=\"n2a-callout-title\">Note</div>\n<ul>\n<li>a: b</li>\n</ul>\n</div>\n"
        );
    }
}
