//! Fenced code blocks highlighted when the package is built, with syntect's parser:
//! each token in a span whose class names what it is (`n2a-hl-keyword`,
//! `n2a-hl-string`, …), coloured by the note type's CSS, light and night, so cards need
//! no script and work offline on every Anki. Only the kinds of token the CSS colours get a
//! span (syntect's own HTML puts every scope of every token in its classes: four times
//! the bytes).

use std::fmt::Write;
use std::sync::OnceLock;

use syntect::parsing::{ParseState, Scope, ScopeStack, SyntaxSet};
use syntect::util::LinesWithEndings;

use super::render::escape;

/// The kinds of token coloured, by the scope that makes them (a prefix of the token's
/// scope), the most specific first.
const KINDS: [(&str, &str); 19] = [
    ("comment", "comment"),
    ("string", "string"),
    ("constant.numeric", "number"),
    ("constant.language", "constant"),
    ("constant.character", "constant"),
    ("keyword", "keyword"),
    ("storage", "keyword"),
    ("entity.name.function", "function"),
    ("support.function", "function"),
    ("variable.function", "function"),
    ("entity.name.type", "type"),
    ("entity.name.class", "type"),
    ("support.type", "type"),
    ("support.class", "type"),
    ("variable.parameter", "parameter"),
    ("entity.name.tag", "tag"),
    ("meta.mapping.key", "key"),
    ("entity.other.attribute-name", "attribute"),
    ("invalid", "invalid"),
];

/// syntect's default syntaxes, loaded the first time a block asks for one (most files
/// have none), and the scopes of [`KINDS`].
fn syntaxes() -> &'static (SyntaxSet, Vec<(Scope, &'static str)>) {
    static SYNTAXES: OnceLock<(SyntaxSet, Vec<(Scope, &'static str)>)> = OnceLock::new();
    SYNTAXES.get_or_init(|| {
        let kinds = KINDS
            .iter()
            .filter_map(|(scope, kind)| Some((Scope::new(scope).ok()?, *kind)))
            .collect();
        (SyntaxSet::load_defaults_newlines(), kinds)
    })
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
    let (syntaxes, kinds) = syntaxes();
    let syntax = syntaxes.find_syntax_by_token(token)?;
    let mut state = ParseState::new(syntax);
    let mut stack = ScopeStack::new();
    let mut out = Spans::new(token, code.len());
    for line in LinesWithEndings::from(code) {
        let mut at = 0;
        for (pos, op) in state.parse_line(line, syntaxes).ok()? {
            out.push(&line[at..pos], kind_of(&stack, kinds));
            at = pos;
            stack.apply(&op).ok()?;
        }
        out.push(&line[at..], kind_of(&stack, kinds));
    }
    Some(out.finish())
}

/// The kind of the token under `stack`: the innermost scope that names one.
fn kind_of(stack: &ScopeStack, kinds: &[(Scope, &'static str)]) -> Option<&'static str> {
    stack.as_slice().iter().rev().find_map(|scope| {
        let found = kinds.iter().find(|(prefix, _)| prefix.is_prefix_of(*scope));
        found.map(|(_, kind)| *kind)
    })
}

/// The block's HTML as it is written: a span opened when the kind changes.
struct Spans {
    html: String,
    open: Option<&'static str>,
}

impl Spans {
    fn new(language: &str, len: usize) -> Spans {
        let mut html = String::with_capacity(len * 2 + 64);
        let _ = write!(html, "<pre><code class=\"language-{}\">", escape(language));
        Spans { html, open: None }
    }

    fn push(&mut self, text: &str, kind: Option<&'static str>) {
        if text.is_empty() {
            return;
        }
        if kind != self.open {
            if self.open.is_some() {
                self.html.push_str("</span>");
            }
            if let Some(kind) = kind {
                let _ = write!(self.html, "<span class=\"n2a-hl-{kind}\">");
            }
            self.open = kind;
        }
        self.html.push_str(&escape(text));
    }

    fn finish(mut self) -> String {
        if self.open.is_some() {
            self.html.push_str("</span>");
        }
        self.html.push_str("</code></pre>\n");
        self.html
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_languages_get_class_spans_and_others_none() {
        let html = code_block("python", "def f(x):\n    return 'a'  # why\n").unwrap_or_default();
        assert_eq!(
            html,
            "<pre><code class=\"language-python\"><span class=\"n2a-hl-keyword\">def</span> \
             <span class=\"n2a-hl-function\">f</span>(<span class=\"n2a-hl-parameter\">x</span>):\n    \
             <span class=\"n2a-hl-keyword\">return</span> <span class=\"n2a-hl-string\">'a'</span>  \
             <span class=\"n2a-hl-comment\"># why\n</span></code></pre>\n"
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
