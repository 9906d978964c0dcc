//! Fenced code blocks highlighted when the package is built, with syntect: spans with
//! class names (`n2a-hl-keyword`, `n2a-hl-string`, …), coloured by the note type's CSS,
//! light and night, so cards need no script and work offline on every Anki.

use std::sync::OnceLock;

use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// The prefix of every class a highlighted token gets.
const STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "n2a-hl-" };

/// syntect's default syntaxes, loaded the first time a block asks for one (most files
/// have none).
fn syntaxes() -> &'static SyntaxSet {
    static SYNTAXES: OnceLock<SyntaxSet> = OnceLock::new();
    SYNTAXES.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// The language a fence names: its first word (`python`, `rust ignore`, `sh {.x}`).
fn language(info: &str) -> &str {
    info.split(|c: char| c.is_whitespace() || c == ',' || c == '{')
        .next()
        .unwrap_or("")
}

/// A fenced block as highlighted HTML (`<pre><code class="language-…">` and spans), or
/// `None` for a language syntect does not know (the block then stays plain).
pub(crate) fn code_block(info: &str, code: &str) -> Option<String> {
    let token = language(info);
    if token.is_empty() {
        return None;
    }
    let syntaxes = syntaxes();
    let syntax = syntaxes.find_syntax_by_token(token)?;
    let mut html = ClassedHTMLGenerator::new_with_class_style(syntax, syntaxes, STYLE);
    for line in LinesWithEndings::from(code) {
        html.parse_html_for_line_which_includes_newline(line).ok()?;
    }
    let class = super::render::escape(token);
    Some(format!(
        "<pre><code class=\"language-{class}\">{}</code></pre>\n",
        html.finalize()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_languages_get_class_spans_and_others_none() {
        let html = code_block("python", "def f(x):\n    return 'a'  # why\n").unwrap_or_default();
        assert!(
            html.starts_with("<pre><code class=\"language-python\">"),
            "{html}"
        );
        for class in ["n2a-hl-keyword", "n2a-hl-string", "n2a-hl-comment"] {
            assert!(html.contains(class), "{class} missing: {html}");
        }
        assert!(
            !html.contains("style="),
            "classes, never inline colours: {html}"
        );
        assert!(code_block("rust ignore", "fn main() {}\n").is_some());
        assert_eq!(code_block("no-such-language", "x\n"), None);
        assert_eq!(code_block("", "x\n"), None);
        // Text is escaped.
        let html = code_block("sh", "echo '<b>'\n").unwrap_or_default();
        assert!(
            html.contains("&lt;b&gt;") && !html.contains("<b>"),
            "{html}"
        );
    }
}
