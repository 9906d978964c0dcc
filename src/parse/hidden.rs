//! Text that never reaches a card, taken out before parsing: the front matter (blanked:
//! every byte a space but line breaks) and Obsidian's `%%comments%%` (private text,
//! inline or over several lines; not in code or math, where `%%` is just text), removed
//! but for their line breaks — a space left in their place could indent what follows
//! into a code block. Line numbers stay; [`Hidden::original`] maps offsets back.

use std::borrow::Cow;
use std::ops::Range;

use pulldown_cmark::{Event, Parser, Tag};

use super::Finding;

/// The text the parser reads, and where its bytes are in the file.
pub(crate) struct Hidden<'t> {
    pub text: Cow<'t, str>,
    /// For each run of bytes taken out: where it was in `text`, and how many bytes had
    /// been taken out up to its end.
    removed: Vec<(usize, usize)>,
}

impl Hidden<'_> {
    /// Where byte `offset` of the text read is in the file.
    pub fn original(&self, offset: usize) -> usize {
        let runs = self.removed.partition_point(|(at, _)| *at <= offset);
        offset + runs.checked_sub(1).map_or(0, |i| self.removed[i].1)
    }
}

/// `text` with its first `front_matter` bytes blanked and every comment taken out. An
/// unclosed `%%` hides the rest of the file, as in Obsidian, with a warning.
pub(crate) fn hide<'t>(
    text: &'t str,
    front_matter: usize,
    options: pulldown_cmark::Options,
    findings: &mut Vec<Finding>,
) -> Hidden<'t> {
    let comments = if text[front_matter..].contains("%%") {
        comments(text, front_matter, options, findings)
    } else {
        Vec::new()
    };
    if front_matter == 0 && comments.is_empty() {
        return Hidden {
            text: Cow::Borrowed(text),
            removed: Vec::new(),
        };
    }
    let is_break = |b: u8| b == b'\n' || b == b'\r';
    let mut bytes: Vec<u8> = text.as_bytes()[..front_matter]
        .iter()
        .map(|&b| if is_break(b) { b } else { b' ' })
        .collect();
    let mut removed = Vec::new();
    let mut taken = 0;
    let mut last = front_matter;
    for range in comments {
        bytes.extend_from_slice(&text.as_bytes()[last..range.start]);
        for &b in &text.as_bytes()[range.clone()] {
            if is_break(b) {
                removed.push((bytes.len(), taken));
                bytes.push(b);
            } else {
                taken += 1;
            }
        }
        removed.push((bytes.len(), taken));
        last = range.end;
    }
    bytes.extend_from_slice(&text.as_bytes()[last..]);
    // Only whole characters were taken out (comments start and end at `%%`), and the
    // front matter's bytes became spaces: still UTF-8.
    let text = String::from_utf8(bytes).map_or(Cow::Borrowed(text), Cow::Owned);
    Hidden { text, removed }
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

    fn hidden(text: &str, front_matter: usize) -> (String, Vec<Finding>, Vec<usize>) {
        let mut findings = Vec::new();
        let out = hide(
            text,
            front_matter,
            super::super::markdown_options(),
            &mut findings,
        );
        let map = (0..=out.text.len()).map(|i| out.original(i)).collect();
        (out.text.into_owned(), findings, map)
    }

    #[test]
    fn comments_are_taken_out_but_their_line_breaks() {
        let (out, findings, map) = hidden("- a: b %%secret%% c\n", 0);
        assert_eq!(out, "- a: b  c\n");
        assert!(findings.is_empty());
        // `c` is where it was in the file.
        assert_eq!(map[8], 18);
        let (out, ..) = hidden("x\n%%\n- hidden: card\n%%\ny\n", 0);
        assert_eq!(out, "x\n\n\n\ny\n");
        // Nothing is left to indent what follows into a code block.
        assert_eq!(hidden("- %%draft%% Key: def\n", 0).0, "-  Key: def\n");
    }

    #[test]
    fn not_in_code_and_unclosed_warns() {
        let (out, ..) = hidden("`a %% b` and %%c%%\n```\n%%\n```\n", 0);
        assert_eq!(out, "`a %% b` and \n```\n%%\n```\n");
        let (out, findings, _) = hidden("a %% rest\nmore: x\n", 0);
        assert_eq!(out, "a \n\n");
        assert_eq!(findings[0].code, "unclosed-comment");
        assert_eq!(findings[0].offset, 2);
        assert_eq!(hidden("%%日本%%x", 0).0, "x");
    }

    #[test]
    fn front_matter_is_blanked() {
        let text = "---\ntags: [a]\n---\n- a: %%x%% b\n";
        let (out, _, map) = hidden(text, 18);
        assert_eq!(out, format!("   \n{}\n   \n- a:  b\n", " ".repeat(9)));
        assert_eq!(map[18], 18);
        assert_eq!(&text[map[24]..], "b\n");
    }
}
