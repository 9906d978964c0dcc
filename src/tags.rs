//! Anki tags: from `#tags` in the text, from front matter, and one level per heading
//! (the rule deck names from headings and folders follow too).
//!
//! Anki splits a tag into levels at `::` and a tag holds no space, so every rule that
//! makes a tag lives here: `/` (Obsidian's nesting) becomes `::`, white space `_`, and
//! a heading never makes more than one level.

use std::ops::Range;

/// A tag as written (`#nested/tag`, `aws`, `net::vpc`) as an Anki tag (`nested::tag`).
///
/// ```
/// assert_eq!(notes2anki::tags::from_name("#nested/tag").as_deref(), Some("nested::tag"));
/// assert_eq!(notes2anki::tags::from_name(" # "), None);
/// ```
pub fn from_name(name: &str) -> Option<String> {
    let name = name.trim().trim_start_matches('#');
    let levels: Vec<String> = name
        .split('/')
        .flat_map(|part| part.split("::"))
        .map(level)
        .filter(|l| !l.is_empty())
        .collect();
    (!levels.is_empty()).then(|| levels.join("::"))
}

/// One tag level from a heading or a name: [`one_level`], its white space as `_`
/// (`Quiz 🕐: Trees` → `Quiz_🕐:_Trees`).
///
/// ```
/// assert_eq!(notes2anki::tags::level("03. "), "03");
/// assert_eq!(notes2anki::tags::level("Week :: one:"), "Week_:_one");
/// ```
pub fn level(name: &str) -> String {
    let name = one_level(name);
    let mut out = String::with_capacity(name.len());
    for word in name.split_whitespace() {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(word);
    }
    out
}

/// A heading as one level of a tag or a deck name: trailing dots and spaces trimmed
/// (`03.` → `03`), and colons kept from making levels of their own — a run of them as
/// one, none at either end (`Week :: one:` → `Week : one`).
pub fn one_level(name: &str) -> String {
    let name = name
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_start();
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if !(c == ':' && out.ends_with(':')) {
            out.push(c);
        }
    }
    out.trim_matches(|c: char| c == ':' || c.is_whitespace())
        .to_string()
}

/// A character a `#tag` may hold (Obsidian's: letters, digits, `_`, `-`, `/`).
fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '/')
}

/// Every inline `#tag` in `text`: its byte range (the `#` included) and its Anki tag.
///
/// A tag starts after white space or at the start of `text` when `at_start` says a line
/// or block begins there (not `C#`, not `page#fragment`), holds a non-digit (`#1` is no
/// tag), and is not a whole term (`#include: pastes a header in`).
///
/// ```
/// let found = notes2anki::tags::find("see #aws/vpc, not C# or #1", true);
/// assert_eq!(found, vec![(4..12, "aws::vpc".to_string())]);
/// ```
pub fn find(text: &str, at_start: bool) -> Vec<(Range<usize>, String)> {
    let mut found = Vec::new();
    if !text.contains('#') {
        return found;
    }
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        let starts = c == '#' && prev.map_or(at_start, char::is_whitespace);
        prev = Some(c);
        if !starts {
            continue;
        }
        let name_len = text[i + 1..]
            .char_indices()
            .find(|&(_, c)| !is_tag_char(c))
            .map_or(text.len() - i - 1, |(j, _)| j);
        let name = text[i + 1..i + 1 + name_len].trim_end_matches('/');
        // `- #include: pastes a header in`: a term of its own, not a tag.
        let is_term = i == 0 && text[i + 1 + name_len..].starts_with([':', '：']);
        if !is_term && name.chars().any(|c| !c.is_ascii_digit()) {
            if let Some(tag) = from_name(name) {
                found.push((i..i + 1 + name.len(), tag));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_tags_and_what_is_not_one() {
        let tags = |t: &str| -> Vec<String> { find(t, true).into_iter().map(|(_, t)| t).collect() };
        assert_eq!(tags("#a #b/c d#e (#f"), vec!["a", "b::c"]);
        assert_eq!(tags("#日本語 and #1 and # x and ##"), vec!["日本語"]);
        assert_eq!(tags("https://x.y/page#frag"), Vec::<String>::new());
        assert!(find("#a", false).is_empty());
        assert_eq!(tags("#trailing/ tag"), vec!["trailing"]);
        assert!(tags("#include: pastes a header").is_empty());
    }

    #[test]
    fn a_heading_is_one_level() {
        assert_eq!(level("Week 1️⃣"), "Week_1️⃣");
        assert_eq!(level("Quiz 🕐:: Trees"), "Quiz_🕐:_Trees");
        assert_eq!(level("::x::"), "x");
        assert_eq!(from_name("a::b/c"), Some("a::b::c".to_string()));
        assert_eq!(from_name("two words"), Some("two_words".to_string()));
    }
}
