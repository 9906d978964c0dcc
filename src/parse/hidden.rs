//! Text that never reaches a card, blanked before parsing: the front matter, and
//! Obsidian's `%%comments%%` (private text, inline or over several lines; not in code or
//! math, where `%%` is just text). Blanked means every byte a space but line breaks, so
//! every offset and line number stays where it was.

use std::borrow::Cow;
use std::ops::Range;

use pulldown_cmark::{Event, Parser, Tag};

use super::Finding;

/// `text` with its first `front_matter` bytes and every comment blanked. An unclosed
/// `%%` hides the rest of the file, as in Obsidian, with a warning.
pub(crate) fn hide<'t>(
    text: &'t str,
    front_matter: usize,
    options: pulldown_cmark::Options,
    findings: &mut Vec<Finding>,
) -> Cow<'t, str> {
    let comments = if text[front_matter..].contains("%%") {
        comments(text, front_matter, options, findings)
    } else {
        Vec::new()
    };
    if front_matter == 0 && comments.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut bytes = text.as_bytes().to_vec();
    for range in std::iter::once(0..front_matter).chain(comments) {
        for b in &mut bytes[range] {
            if *b != b'\n' && *b != b'\r' {
                *b = b' ';
            }
        }
    }
    // Every byte of each blanked character became a space: still UTF-8.
    Cow::Owned(String::from_utf8(bytes).unwrap_or_else(|_| text.to_string()))
}

/// Where each comment is, `%%` to `%%`, after the front matter.
fn comments(
    text: &str,
    from: usize,
    options: pulldown_cmark::Options,
    findings: &mut Vec<Finding>,
) -> Vec<Range<usize>> {
    let code = code_ranges(text, from, options);
    let marks: Vec<usize> = text
        .match_indices("%%")
        .map(|(i, _)| i)
        .filter(|&i| i >= from && !code.iter().any(|r| r.contains(&i)))
        .collect();
    let mut ranges = Vec::new();
    for pair in marks.chunks(2) {
        match *pair {
            [open, close] => ranges.push(open..close + 2),
            [open] => {
                findings.push(Finding {
                    offset: open,
                    code: "unclosed-comment",
                    message: "`%%` opens a comment that never closes: the rest of the file is left out, as Obsidian hides it".into(),
                });
                ranges.push(open..text.len());
            }
            _ => {}
        }
    }
    ranges
}

/// Where code spans, code blocks and math are: `%%` there is text.
fn code_ranges(text: &str, from: usize, options: pulldown_cmark::Options) -> Vec<Range<usize>> {
    Parser::new_ext(&text[from..], options)
        .into_offset_iter()
        .filter(|(event, _)| {
            matches!(
                event,
                Event::Code(_)
                    | Event::InlineMath(_)
                    | Event::DisplayMath(_)
                    | Event::Start(Tag::CodeBlock(_))
            )
        })
        .map(|(_, range)| from + range.start..from + range.end)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> (String, Vec<Finding>) {
        let mut findings = Vec::new();
        let out = hide(text, 0, super::super::markdown_options(), &mut findings).into_owned();
        (out, findings)
    }

    #[test]
    fn comments_are_blanked_in_place() {
        let (out, findings) = masked("- a: b %%secret%% c\n");
        assert_eq!(out, "- a: b            c\n");
        assert!(findings.is_empty());
        let (out, _) = masked("x\n%%\n- hidden: card\n%%\ny\n");
        assert_eq!(out, format!("x\n  \n{}\n  \ny\n", " ".repeat(14)));
    }

    #[test]
    fn not_in_code_and_unclosed_warns() {
        let (out, _) = masked("`a %% b` and %%c%%\n```\n%%\n```\n");
        assert_eq!(out, "`a %% b` and      \n```\n%%\n```\n");
        let (out, findings) = masked("a %% rest\nmore: x\n");
        assert_eq!(out, format!("a{}\n{}\n", " ".repeat(8), " ".repeat(7)));
        assert_eq!(findings[0].code, "unclosed-comment");
        assert_eq!(findings[0].offset, 2);
        // Multi-byte text inside a comment stays valid UTF-8.
        assert_eq!(masked("%%日本%%").0, " ".repeat(10));
    }

    #[test]
    fn front_matter_is_blanked_too() {
        let mut findings = Vec::new();
        let text = "---\ntags: [a]\n---\n- a: %%x%% b\n";
        let out = hide(text, 18, super::super::markdown_options(), &mut findings);
        assert_eq!(out, format!("   \n{}\n   \n- a:       b\n", " ".repeat(9)));
    }
}
