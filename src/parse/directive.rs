//! `<!-- anki: skip -->`, `<!-- anki: reverse -->`, `<!-- anki: id=… -->`: invisible
//! comments on an item's first line that steer it.

use pulldown_cmark::Event;

use super::separator::Spanned;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Directives {
    pub skip: bool,
    pub reverse: bool,
    pub id: Option<String>,
    /// Words we did not understand, for a warning.
    pub unknown: Vec<String>,
}

/// The words of an `anki:` comment, or `None` for any other HTML.
fn words(html: &str) -> Option<Vec<String>> {
    let inner = html
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim();
    let rest = inner.strip_prefix("anki:")?;
    Some(
        rest.split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

impl Directives {
    /// Reads the `anki:` comments among a first paragraph's inline events.
    pub fn find(events: &[Spanned<'_>]) -> Self {
        let mut found = Directives::default();
        for (event, _) in events {
            let Event::InlineHtml(html) = event else {
                continue;
            };
            for word in words(html).unwrap_or_default() {
                match word.as_str() {
                    "skip" => found.skip = true,
                    "reverse" => found.reverse = true,
                    _ => match word.strip_prefix("id=") {
                        Some(id) if !id.is_empty() => found.id = Some(id.to_string()),
                        _ => found.unknown.push(word),
                    },
                }
            }
        }
        found
    }

    /// The events without the `anki:` comments.
    pub fn strip<'a>(&self, events: &[Spanned<'a>]) -> Vec<Spanned<'a>> {
        events
            .iter()
            .filter(|(e, _)| !matches!(e, Event::InlineHtml(h) if words(h).is_some()))
            .cloned()
            .collect()
    }
}
