//! Turning Markdown events into the HTML that goes into Anki fields.
//!
//! Images become placeholders numbered per card (the media stage swaps in file names),
//! math becomes MathJax delimiters, the rest is pulldown-cmark's HTML.

use pulldown_cmark::{CodeBlockKind, Event, LinkType, Tag, TagEnd};

use super::extensions::TAG_MARK;
use super::separator::Spanned;

/// The placeholder standing for the `n`-th image of a card until media are resolved.
/// Private-use code points: they never come out of the Markdown renderer.
pub fn image_placeholder(n: usize) -> String {
    format!("\u{e000}{n}\u{e001}")
}

/// An image found while rendering: its `src` as written, its byte offset, and whether
/// it was written `![[…]]`.
pub(crate) struct FoundImage {
    pub src: String,
    pub offset: usize,
    pub embed: bool,
}

/// Renders events to HTML; `on_image` is called for every image and returns its number.
/// Wikilinks show as their text (Anki has no vault to link into) and tag markers not
/// at all.
pub(crate) fn render_html(
    events: &[Spanned<'_>],
    on_image: &mut dyn FnMut(FoundImage) -> usize,
) -> String {
    // HTML is a little longer than the text it comes from.
    let text: usize = events
        .iter()
        .map(|(event, _)| match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => t.len(),
            _ => 8,
        })
        .sum();
    let mut html = String::with_capacity(text + text / 4 + 16);
    // Most runs of events need nothing rewritten: they go to the renderer as they are.
    if events.iter().all(|(event, _)| passes_as_is(event)) {
        pulldown_cmark::html::push_html(&mut html, events.iter().map(|(e, _)| e.clone()));
        return html;
    }
    pulldown_cmark::html::push_html(&mut html, rewritten(events, on_image).into_iter());
    html
}

fn passes_as_is(event: &Event<'_>) -> bool {
    match event {
        Event::Start(
            Tag::Image { .. }
            | Tag::HtmlBlock
            | Tag::Link {
                link_type: LinkType::WikiLink { .. },
                ..
            },
        ) => false,
        Event::Html(text) | Event::InlineHtml(text) => {
            !has_img_tag(text) && !text.starts_with(TAG_MARK)
        }
        Event::InlineMath(_) | Event::DisplayMath(_) => false,
        Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => info.trim().is_empty(),
        _ => true,
    }
}

/// The events with images given placeholders, math as MathJax, wikilinks as text and
/// tag markers left out.
fn rewritten<'a>(
    events: &[Spanned<'a>],
    on_image: &mut dyn FnMut(FoundImage) -> usize,
) -> Vec<Event<'a>> {
    let mut out: Vec<Event<'_>> = Vec::with_capacity(events.len());
    // For each open link: whether it is a wikilink (shown as its text alone).
    let mut wiki: Vec<bool> = Vec::new();
    let mut i = 0;
    while i < events.len() {
        if let Some((rewritten, next)) = whole_element(events, i, on_image) {
            out.extend(rewritten);
            i = next;
            continue;
        }
        let (event, range) = &events[i];
        match event {
            Event::Start(Tag::Link { link_type, .. }) => {
                let is_wiki = matches!(link_type, LinkType::WikiLink { .. });
                wiki.push(is_wiki);
                if !is_wiki {
                    out.push(event.clone());
                }
            }
            // Every link's end pops its entry; a plain link's end is then written below.
            Event::End(TagEnd::Link) if wiki.pop() == Some(true) => {}
            Event::InlineHtml(text) if text.starts_with(TAG_MARK) => {}
            Event::Html(text) | Event::InlineHtml(text) if has_img_tag(text) => {
                let base = range.start;
                let html = rewrite_img_tags(text, &|k| base + k, on_image);
                out.push(match event {
                    Event::Html(_) => Event::Html(html.into()),
                    _ => Event::InlineHtml(html.into()),
                });
            }
            Event::InlineMath(tex) => {
                out.push(Event::InlineHtml(format!("\\({}\\)", escape(tex)).into()))
            }
            Event::DisplayMath(tex) => {
                out.push(Event::InlineHtml(format!("\\[{}\\]", escape(tex)).into()))
            }
            other => out.push(other.clone()),
        }
        i += 1;
    }
    out
}

/// An element rewritten whole, from its start at `i`: an image, an HTML block (a tag
/// may span its lines), a fenced code block; and where the events go on after it.
fn whole_element<'a>(
    events: &[Spanned<'a>],
    i: usize,
    on_image: &mut dyn FnMut(FoundImage) -> usize,
) -> Option<(Vec<Event<'a>>, usize)> {
    match &events[i].0 {
        Event::Start(Tag::Image { .. }) => {
            let end = matching_end(events, i);
            Some((vec![image_html(events, i, end, on_image)], end + 1))
        }
        Event::Start(Tag::HtmlBlock) => {
            let block = html_block(events, i);
            let html = rewrite_img_tags(&block.text, &|k| block.offset(k), on_image);
            let events = vec![
                Event::Start(Tag::HtmlBlock),
                Event::Html(html.into()),
                Event::End(TagEnd::HtmlBlock),
            ];
            Some((events, block.end + 1))
        }
        Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
            let end = matching_end(events, i);
            Some((highlighted(info, &events[i..=end]), end + 1))
        }
        _ => None,
    }
}

/// A fenced code block (its events, start to end) highlighted, or as it is when its
/// language is unknown.
fn highlighted<'a>(info: &str, block: &[Spanned<'a>]) -> Vec<Event<'a>> {
    let code: String = block
        .iter()
        .filter_map(|(e, _)| match e {
            Event::Text(t) => Some(t.as_ref()),
            _ => None,
        })
        .collect();
    match super::highlight::code_block(info, &code) {
        Some(html) => vec![Event::Html(html.into())],
        None => block.iter().map(|(e, _)| e.clone()).collect(),
    }
}

/// An image's `<img>` tag, its `src` a placeholder. `![[x.png|300]]` (or `|300x200`)
/// gives its width (and height); other text after the `|` is its `alt`.
fn image_html<'a>(
    events: &[Spanned<'a>],
    i: usize,
    end: usize,
    on_image: &mut dyn FnMut(FoundImage) -> usize,
) -> Event<'a> {
    let (
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            ..
        }),
        range,
    ) = &events[i]
    else {
        return Event::Text("".into());
    };
    let inner = plain_text(&events[i + 1..end]);
    let embed = matches!(link_type, LinkType::WikiLink { .. });
    let (alt, size) = match link_type {
        LinkType::WikiLink { has_pothole: true } => match size_of(&inner) {
            Some(size) => (String::new(), Some(size)),
            None => (inner, None),
        },
        LinkType::WikiLink { .. } => (String::new(), None),
        _ => (inner, None),
    };
    let n = on_image(FoundImage {
        src: dest_url.to_string(),
        offset: range.start,
        embed,
    });
    let mut html = format!(
        "<img src=\"{}\" alt=\"{}\"",
        image_placeholder(n),
        escape(&alt)
    );
    if let Some((width, height)) = size {
        html.push_str(&format!(" width=\"{width}\""));
        if let Some(height) = height {
            html.push_str(&format!(" height=\"{height}\""));
        }
    }
    if !title.is_empty() {
        html.push_str(&format!(" title=\"{}\"", escape(title)));
    }
    html.push('>');
    Event::InlineHtml(html.into())
}

/// `300` or `300x200`: an embed's size in pixels.
fn size_of(text: &str) -> Option<(u32, Option<u32>)> {
    let (width, height) = match text.trim().split_once('x') {
        Some((w, h)) => (w, Some(h)),
        None => (text.trim(), None),
    };
    let width = width.parse().ok()?;
    match height {
        Some(h) => Some((width, Some(h.parse().ok()?))),
        None => Some((width, None)),
    }
}

/// The lines of an HTML block joined, with a map back to source offsets.
pub(crate) struct HtmlBlock {
    pub text: String,
    /// (index in `text`, source offset) where each line starts.
    segments: Vec<(usize, usize)>,
    /// Index of the block's `End` event.
    pub end: usize,
}

impl HtmlBlock {
    /// The source offset of byte `k` of the joined text.
    pub fn offset(&self, k: usize) -> usize {
        let i = self.segments.partition_point(|(at, _)| *at <= k);
        self.segments
            .get(i.saturating_sub(1))
            .map_or(0, |(at, offset)| offset + (k - at))
    }
}

/// Joins the `Html` events of the HTML block starting at `start`.
pub(crate) fn html_block(events: &[Spanned<'_>], start: usize) -> HtmlBlock {
    let end = matching_end(events, start);
    let mut block = HtmlBlock {
        text: String::new(),
        segments: Vec::new(),
        end,
    };
    for (event, range) in &events[start + 1..end] {
        if let Event::Html(line) | Event::Text(line) = event {
            block.segments.push((block.text.len(), range.start));
            block.text.push_str(line);
        }
    }
    block
}

/// Index of the `End` matching the `Start` at `start` (or the last event if unbalanced).
pub(crate) fn matching_end(events: &[Spanned<'_>], start: usize) -> usize {
    if !matches!(events.get(start), Some((Event::Start(_), _))) {
        return start;
    }
    let mut depth = 0usize;
    for (j, (event, _)) in events.iter().enumerate().skip(start) {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    events.len().saturating_sub(1)
}

/// Text with all markup removed: text, code and math kept, HTML dropped, breaks as spaces.
pub(crate) fn plain_text(events: &[Spanned<'_>]) -> String {
    let mut s = String::new();
    for (event, _) in events {
        match event {
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                s.push_str(t)
            }
            Event::SoftBreak | Event::HardBreak => s.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell) => s.push(' '),
            _ => {}
        }
    }
    s
}

/// The text of HTML outside its tags (entities left as they are).
pub fn text_outside_tags(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

/// Escapes text for HTML content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

pub(crate) fn has_img_tag(html: &str) -> bool {
    find_img_tags(html).next().is_some()
}

/// Byte ranges of `<img …>` tags in raw HTML.
fn find_img_tags(html: &str) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    std::iter::from_fn(move || loop {
        let at = from + lower.get(from..)?.find("<img")?;
        let after = lower[at + 4..].chars().next();
        from = at + 4;
        if after.is_some_and(|c| c.is_whitespace() || c == '/' || c == '>') {
            let end = tag_end(html, at + 4);
            from = end;
            return Some(at..end);
        }
    })
}

/// Byte offset just past the `>` closing a tag whose attributes start at `from`.
fn tag_end(html: &str, from: usize) -> usize {
    let mut quote: Option<char> = None;
    for (i, c) in html[from..].char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return from + i + 1,
            _ => {}
        }
    }
    html.len()
}

/// Attributes of a tag, in order: name (lowercased) and raw value.
pub(crate) fn parse_attributes(tag: &str) -> Vec<(String, Option<String>)> {
    let body = tag
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim_end_matches('/');
    let mut rest = body.trim_start_matches(|c: char| !c.is_whitespace()); // skip tag name
    let mut attrs = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if rest.is_empty() {
            return attrs;
        }
        let name_len = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len());
        let name = rest[..name_len].to_ascii_lowercase();
        rest = rest[name_len..].trim_start();
        let value = if let Some(after_eq) = rest.strip_prefix('=') {
            let v = after_eq.trim_start();
            let (value, remaining) = match v.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let inner = &v[1..];
                    let close = inner.find(q).unwrap_or(inner.len());
                    (&inner[..close], inner.get(close + 1..).unwrap_or(""))
                }
                _ => {
                    let len = v.find(char::is_whitespace).unwrap_or(v.len());
                    (&v[..len], &v[len..])
                }
            };
            rest = remaining;
            Some(value.to_string())
        } else {
            None
        };
        if name.is_empty() {
            // A stray `=` or quote: skip one character to make progress.
            rest = rest.get(1..).unwrap_or("");
            continue;
        }
        attrs.push((name, value));
    }
}

/// Decodes the few entities that appear in attribute values.
pub(crate) fn unescape_attr(value: &str) -> String {
    value
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The `src` of every `<img>` tag in raw HTML, with its byte offset.
pub(crate) fn img_sources(html: &str) -> Vec<(String, usize)> {
    find_img_tags(html)
        .filter_map(|range| {
            let attrs = parse_attributes(&html[range.clone()]);
            attrs
                .into_iter()
                .find(|(name, _)| name == "src")
                .and_then(|(_, v)| v)
                .map(|v| (unescape_attr(&v), range.start))
        })
        .collect()
}

/// Rewrites each `<img>` tag: `src` becomes a placeholder, other attributes are kept.
fn rewrite_img_tags(
    html: &str,
    offset_of: &dyn Fn(usize) -> usize,
    on_image: &mut dyn FnMut(FoundImage) -> usize,
) -> String {
    let mut out = String::with_capacity(html.len());
    let mut last = 0;
    for range in find_img_tags(html).collect::<Vec<_>>() {
        out.push_str(&html[last..range.start]);
        last = range.end;
        let attrs = parse_attributes(&html[range.clone()]);
        let Some(src) = attrs
            .iter()
            .find(|(name, _)| name == "src")
            .and_then(|(_, v)| v.clone())
        else {
            out.push_str(&html[range]);
            continue;
        };
        let n = on_image(FoundImage {
            src: unescape_attr(&src),
            offset: offset_of(range.start),
            embed: false,
        });
        out.push_str("<img");
        for (name, value) in &attrs {
            match (name.as_str(), value) {
                ("src", _) => out.push_str(&format!(" src=\"{}\"", image_placeholder(n))),
                (_, Some(v)) => out.push_str(&format!(" {name}=\"{}\"", v.replace('"', "&quot;"))),
                (_, None) => out.push_str(&format!(" {name}")),
            }
        }
        out.push('>');
    }
    out.push_str(&html[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn img_tags_keep_their_attributes() {
        let mut found = Vec::new();
        let html = rewrite_img_tags(
            r#"<img width="812" alt="Shot 9 17" src="https://x.y/a.png">"#,
            &|k| 100 + k,
            &mut |img| {
                found.push((img.src, img.offset));
                0
            },
        );
        assert_eq!(
            html,
            "<img width=\"812\" alt=\"Shot 9 17\" src=\"\u{e000}0\u{e001}\">"
        );
        assert_eq!(found, vec![("https://x.y/a.png".to_string(), 100)]);
    }

    #[test]
    fn attributes_in_any_quoting() {
        let attrs = parse_attributes("<img src=a.png width='3' alt=\"x y\" hidden/>");
        assert_eq!(
            attrs,
            vec![
                ("src".into(), Some("a.png".into())),
                ("width".into(), Some("3".into())),
                ("alt".into(), Some("x y".into())),
                ("hidden".into(), None),
            ]
        );
    }

    #[test]
    fn img_sources_ignores_other_tags() {
        assert_eq!(
            img_sources("<p><imgx src=a><IMG SRC='b&amp;c.png'></p>"),
            vec![("b&c.png".to_string(), 15)]
        );
    }
}
