//! Front matter: YAML metadata between `---` lines at the very top of a file (as Obsidian,
//! Jekyll and Hugo write it). Only there: a `---` anywhere else is a rule or a heading
//! underline, as CommonMark says, and never hides the notes after it.

use yaml_rust2::{Yaml, YamlLoader};

use super::Finding;
use crate::settings::Style;
use crate::tags;

/// What the front matter says to us.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct FrontMatter {
    /// `tags:` (a list, or a string of words), as Anki tags: every card of the file gets them.
    pub tags: Vec<String>,
    /// `anki: skip` (or `anki: {skip: true}`): the file makes no cards.
    pub skip: Option<bool>,
    /// `anki: {cards: [outline, tables]}`: the styles on in this file, besides `quiz`.
    pub cards: Option<Vec<Style>>,
    /// `anki: {deck: Exam::Chapter 1}` (or `folder`, `file`, `heading`).
    pub deck: Option<String>,
    /// Keys or styles it does not know: errors, with where they are.
    pub errors: Vec<Finding>,
}

/// The front matter at the top of `text`, and the byte offset where the notes start.
///
/// A block that is not YAML, or whose YAML is not a mapping (a list of `- term: def`
/// items, say), is not front matter: it is read as notes, with a warning when it failed
/// to parse, so nothing is ever lost without a word.
pub(crate) fn split(text: &str, findings: &mut Vec<Finding>) -> (FrontMatter, usize) {
    let Some((yaml, yaml_start, body)) = block(text) else {
        return (FrontMatter::default(), 0);
    };
    match YamlLoader::load_from_str(yaml) {
        Ok(docs) => match docs.first() {
            None => (FrontMatter::default(), body),
            Some(Yaml::Hash(map)) => (read(map, yaml, yaml_start, findings), body),
            Some(_) => (FrontMatter::default(), 0),
        },
        Err(err) => {
            // The error's line counts from the block's first line, after the `---`.
            let at = offset_of_line(text, err.marker().line() + 1);
            findings.push(Finding {
                offset: at,
                code: "bad-front-matter",
                message: format!(
                    "the block between `---` lines at the top is not valid YAML ({}); it is read as notes",
                    err.info()
                ),
            });
            (FrontMatter::default(), 0)
        }
    }
}

/// The YAML between an opening `---` on the first line and the next `---` (or `...`)
/// line, where it starts, and where the text after the closing line starts.
fn block(text: &str) -> Option<(&str, usize, usize)> {
    let first_end = text.find('\n')?;
    if text[..first_end].trim_end() != "---" {
        return None;
    }
    let yaml_start = first_end + 1;
    let mut at = yaml_start;
    while at < text.len() {
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        let line = text[at..end].trim_end();
        if line == "---" || line == "..." {
            return Some((&text[yaml_start..at], yaml_start, (end + 1).min(text.len())));
        }
        at = end + 1;
    }
    None
}

/// The byte offset where the 1-based `line` starts (the end of the text past its last line).
fn offset_of_line(text: &str, line: usize) -> usize {
    text.match_indices('\n')
        .nth(line.saturating_sub(2))
        .map_or(if line <= 1 { 0 } else { text.len() }, |(i, _)| i + 1)
}

fn read(
    map: &yaml_rust2::yaml::Hash,
    yaml: &str,
    yaml_start: usize,
    findings: &mut Vec<Finding>,
) -> FrontMatter {
    let mut out = FrontMatter::default();
    for (key, value) in map {
        match key.as_str() {
            Some("tags" | "tag") => out.tags = tag_list(value),
            Some("anki") => read_anki(value, &mut out, yaml, yaml_start, findings),
            _ => {}
        }
    }
    out
}

/// `anki: skip`, or a map of `cards`, `deck` and `skip` (flow or block style).
fn read_anki(
    value: &Yaml,
    out: &mut FrontMatter,
    yaml: &str,
    yaml_start: usize,
    findings: &mut Vec<Finding>,
) {
    let at = |word: &str| yaml_start + yaml.find(word).unwrap_or(0);
    let error = |word: &str, message: String| Finding {
        offset: at(word),
        code: "bad-settings",
        message,
    };
    let map = match value {
        Yaml::String(s) if s == "skip" => {
            out.skip = Some(true);
            return;
        }
        Yaml::Hash(map) => map,
        _ => {
            findings.push(Finding {
                offset: at("anki:"),
                code: "unknown-directive",
                message: "front matter `anki:` understands `skip`, or a map of `cards`, `deck` and `skip`".to_string(),
            });
            return;
        }
    };
    for (key, value) in map {
        match (key.as_str(), value) {
            (Some("skip"), Yaml::Boolean(b)) => out.skip = Some(*b),
            (Some("deck"), _) => out.deck = scalar(value),
            (Some("cards"), _) => out.cards = Some(styles(value, &error, &mut out.errors)),
            (Some(other), _) => out.errors.push(error(
                other,
                format!("front matter `anki:` has no key `{other}` (it knows cards, deck, skip)"),
            )),
            (None, _) => {}
        }
    }
}

/// `cards: [outline, tables]` (or one name): the styles, each known.
fn styles(
    value: &Yaml,
    error: &impl Fn(&str, String) -> Finding,
    errors: &mut Vec<Finding>,
) -> Vec<Style> {
    let names: Vec<String> = match value {
        Yaml::Array(items) => items.iter().filter_map(scalar).collect(),
        other => scalar(other).into_iter().collect(),
    };
    let mut out = Vec::new();
    for name in names {
        let style = serde_json::from_value::<Style>(serde_json::Value::String(name.clone()));
        match style {
            Ok(style) => out.push(style),
            Err(_) => errors.push(error(
                &name,
                format!("unknown style `{name}` (known: outline, headings, tables, quiz, dashes)"),
            )),
        }
    }
    out
}

/// `tags: [a, b]`, a block list, or one string of words separated by spaces or commas.
fn tag_list(value: &Yaml) -> Vec<String> {
    let words: Vec<String> = match value {
        Yaml::Array(items) => items.iter().filter_map(scalar).collect(),
        other => scalar(other)
            .map(|s| {
                s.split(|c: char| c == ',' || c.is_whitespace())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
    };
    let mut tags: Vec<String> = Vec::new();
    for tag in words.iter().filter_map(|w| tags::from_name(w)) {
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    tags
}

fn scalar(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn front(text: &str) -> (FrontMatter, usize, Vec<Finding>) {
        let mut findings = Vec::new();
        let (fm, body) = split(text, &mut findings);
        (fm, body, findings)
    }

    #[test]
    fn only_at_the_very_top() {
        let text = "---\ntags: [aws, net/vpc]\n---\n# T\n";
        let (fm, body, findings) = front(text);
        assert_eq!(fm.tags, vec!["aws", "net::vpc"]);
        assert_eq!(&text[body..], "# T\n");
        assert!(findings.is_empty());
        // A rule under a heading is no front matter.
        let (fm, body, _) = front("# T\n---\n- a: b\n---\n");
        assert_eq!((fm, body), (FrontMatter::default(), 0));
    }

    #[test]
    fn tags_in_every_style_and_skip() {
        let (fm, ..) = front("---\ntags:\n  - one\n  - \"#two\"\nanki: skip\n---\n");
        assert_eq!(fm.tags, vec!["one", "two"]);
        assert_eq!(fm.skip, Some(true));
        let (fm, ..) = front("---\ntags: one, two three\n---\n");
        assert_eq!(fm.tags, vec!["one", "two", "three"]);
    }

    #[test]
    fn anki_settings_in_flow_or_block_style() {
        let (fm, ..) = front("---\nanki: {cards: [outline, tables], deck: Exam::Chapter 1}\n---\n");
        assert_eq!(fm.cards, Some(vec![Style::Outline, Style::Tables]));
        assert_eq!(fm.deck.as_deref(), Some("Exam::Chapter 1"));
        let (fm, ..) = front("---\nanki:\n  cards: headings\n  skip: false\n---\n");
        assert_eq!(
            (fm.cards, fm.skip),
            (Some(vec![Style::Headings]), Some(false))
        );
        assert!(fm.errors.is_empty());
    }

    #[test]
    fn unknown_anki_keys_and_styles_are_errors_where_they_are() {
        let text = "---\ntitle: x\nanki:\n  cards: [bullets]\n  colour: red\n---\n";
        let (fm, ..) = front(text);
        let found: Vec<(&str, &str)> = fm
            .errors
            .iter()
            .map(|f| (f.code, &text[f.offset..f.offset + 6]))
            .collect();
        assert_eq!(
            found,
            [("bad-settings", "bullet"), ("bad-settings", "colour")]
        );
    }

    #[test]
    fn a_block_that_is_not_a_mapping_is_read_as_notes() {
        let (fm, body, findings) = front("---\n- term: def\n---\n");
        assert_eq!((fm, body), (FrontMatter::default(), 0));
        assert!(findings.is_empty());
        let (_, body, findings) = front("---\nSome text: with: colons\n---\nx\n");
        assert_eq!(body, 0);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].code, "bad-front-matter");
        // Unclosed: not front matter.
        assert_eq!(front("---\ntags: [a]\n").1, 0);
    }
}
