//! Our note type. **Frozen**: its id, field names and order, template names and order,
//! and every field and template `id` must never change, or updates stop reaching notes
//! already in Anki (docs/anki-package-format.md §5.4). Template text and CSS may change:
//! the lock file records [`hash`], and the note type's `mod` goes up when it changes.

use serde_json::{json, Value};

/// The note type's id (Anki matches note types by id only).
pub const ID: i64 = 1_795_651_200_417;
/// Name shown in Anki.
pub const NAME: &str = "notes2anki";
/// Seconds: the `mod` of decks, which Anki matches by name and never updates from it.
pub const DECK_MOD: i64 = 1_795_651_200;

/// Field names with their stable ids, in their frozen order.
pub const FIELDS: [(&str, i64); 6] = [
    ("Term", 4_711_902_331_874_522_401),
    ("Definition", 6_180_447_205_913_806_713),
    ("Context", 2_954_120_677_043_219_845),
    ("Source", 8_403_315_560_127_774_029),
    ("Id", 1_337_208_946_518_650_377),
    ("Reverse", 7_062_591_884_330_142_163),
];
/// Index of the `Reverse` field: a card of template 1 exists only when it is non-empty.
pub const REVERSE_FIELD: usize = 5;

/// Template names with their stable ids, in their frozen order.
pub const TEMPLATES: [(&str, i64); 2] = [
    ("Card", 5_518_093_472_660_109_287),
    ("Reverse", 3_276_840_119_905_437_551),
];

pub(crate) const FRONT: &str = r#"{{#Context}}<div class="n2a-context">{{Context}}</div>{{/Context}}
<div class="n2a-term">{{Term}}</div>"#;

pub(crate) const BACK: &str = r#"{{FrontSide}}
<hr id="answer">
<div class="n2a-definition">{{Definition}}</div>
{{#Source}}<div class="n2a-source">{{Source}}</div>{{/Source}}"#;

pub(crate) const REVERSE_FRONT: &str = r#"{{#Reverse}}{{#Context}}<div class="n2a-context">{{Context}}</div>{{/Context}}
<div class="n2a-definition">{{Definition}}</div>{{/Reverse}}"#;

pub(crate) const REVERSE_BACK: &str = r#"{{FrontSide}}
<hr id="answer">
<div class="n2a-term">{{Term}}</div>
{{#Source}}<div class="n2a-source">{{Source}}</div>{{/Source}}"#;

pub(crate) const CSS: &str = r#".card {
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue",
    "Hiragino Sans", "Hiragino Kaku Gothic ProN", "Yu Gothic UI", "Yu Gothic", Meiryo,
    "Noto Sans CJK JP", "Noto Sans JP", "Source Han Sans", "PingFang SC",
    "Microsoft YaHei", "Noto Sans CJK SC", "Apple SD Gothic Neo", "Malgun Gothic",
    sans-serif;
  font-size: 20px;
  line-height: 1.6;
  text-align: left;
  color: #1f2328;
  background-color: #ffffff;
  max-width: 44em;
  margin: 0 auto;
  padding: 0 0.75em;
  overflow-wrap: anywhere;
}
.n2a-context { font-size: 0.7em; color: #57606a; margin-bottom: 0.4em; }
.n2a-term { font-size: 1.2em; font-weight: 600; }
.n2a-definition { margin-top: 0.5em; }
.n2a-definition ul, .n2a-definition ol { padding-left: 1.4em; margin: 0.3em 0; }
.n2a-options { font-size: 0.85em; font-weight: normal; list-style: upper-alpha; padding-left: 1.6em; margin: 0.4em 0; }
.n2a-source { font-size: 0.6em; color: #8c959f; margin-top: 1.5em; }
.card img { max-width: 100%; height: auto; }
.n2a-missing-image { font-size: 0.8em; color: #9a6700; }
.card code {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Noto Sans Mono CJK JP", monospace;
  font-size: 0.9em; background: #f6f8fa; border-radius: 4px; padding: 0.1em 0.3em;
}
.card pre { background: #f6f8fa; padding: 0.6em; border-radius: 6px; overflow-x: auto; }
.card pre code { background: none; padding: 0; }
.card table { border-collapse: collapse; margin: 0.5em 0; display: block; overflow-x: auto; }
.card th, .card td { border: 1px solid #d0d7de; padding: 0.25em 0.6em; }
.card th { background: #f6f8fa; }
.card a { color: #0969da; }
.card blockquote { border-left: 0.25em solid #d0d7de; margin: 0.5em 0; padding-left: 0.8em; color: #57606a; }
.card mark { background: #fff8c5; color: inherit; border-radius: 2px; padding: 0 0.1em; }
.n2a-callout { border-left: 0.25em solid #0969da; background: rgba(9, 105, 218, 0.1);
  border-radius: 6px; margin: 0.5em 0; padding: 0.4em 0.8em; }
.n2a-callout-title { font-weight: 600; }
.n2a-callout > p, .n2a-callout > ul, .n2a-callout > ol { margin: 0.3em 0; }
.n2a-callout[data-callout="tip"], .n2a-callout[data-callout="success"],
.n2a-callout[data-callout="check"], .n2a-callout[data-callout="done"] {
  border-color: #1a7f37; background: rgba(26, 127, 55, 0.1); }
.n2a-callout[data-callout="warning"], .n2a-callout[data-callout="caution"],
.n2a-callout[data-callout="attention"] { border-color: #9a6700; background: rgba(154, 103, 0, 0.12); }
.n2a-callout[data-callout="danger"], .n2a-callout[data-callout="error"],
.n2a-callout[data-callout="bug"], .n2a-callout[data-callout="failure"] {
  border-color: #cf222e; background: rgba(207, 34, 46, 0.1); }
.n2a-callout[data-callout="question"], .n2a-callout[data-callout="faq"],
.n2a-callout[data-callout="help"] { border-color: #8250df; background: rgba(130, 80, 223, 0.1); }
/* Anki puts nightMode (and the older night_mode) on the element that is .card. */
.card.nightMode, .card.night_mode { color: #e6edf3; background-color: #0d1117; }
.card.nightMode .n2a-context, .card.night_mode .n2a-context,
.card.nightMode blockquote, .card.night_mode blockquote { color: #9198a1; }
.card.nightMode .n2a-source, .card.night_mode .n2a-source { color: #6e7681; }
.card.nightMode code, .card.nightMode pre, .card.nightMode th,
.card.night_mode code, .card.night_mode pre, .card.night_mode th { background: #161b22; }
.card.nightMode th, .card.nightMode td, .card.night_mode th, .card.night_mode td { border-color: #30363d; }
.card.nightMode a, .card.night_mode a { color: #4493f8; }
.card.nightMode mark, .card.night_mode mark { background: rgba(187, 128, 9, 0.45); color: inherit; }
@media (max-width: 480px) { .card { font-size: 18px; padding: 0 0.4em; } }
/* Highlighted code (its tokens' kinds, from syntect): GitHub's light colours… */
.n2a-hl-comment { font-style: italic; }
.n2a-hl-comment { color: #6e7781; }
.n2a-hl-string { color: #0a3069; }
.n2a-hl-number { color: #0550ae; }
.n2a-hl-constant { color: #0550ae; }
.n2a-hl-keyword { color: #cf222e; }
.n2a-hl-function { color: #8250df; }
.n2a-hl-type { color: #953800; }
.n2a-hl-parameter { color: #953800; }
.n2a-hl-tag { color: #116329; }
.n2a-hl-key { color: #116329; }
.n2a-hl-attribute { color: #0550ae; }
.n2a-hl-invalid { color: #82071e; }
/* …and its dark ones at night (Anki's nightMode class)… */
.card.nightMode .n2a-hl-comment, .card.night_mode .n2a-hl-comment { color: #8b949e; }
.card.nightMode .n2a-hl-string, .card.night_mode .n2a-hl-string { color: #a5d6ff; }
.card.nightMode .n2a-hl-number, .card.night_mode .n2a-hl-number { color: #79c0ff; }
.card.nightMode .n2a-hl-constant, .card.night_mode .n2a-hl-constant { color: #79c0ff; }
.card.nightMode .n2a-hl-keyword, .card.night_mode .n2a-hl-keyword { color: #ff7b72; }
.card.nightMode .n2a-hl-function, .card.night_mode .n2a-hl-function { color: #d2a8ff; }
.card.nightMode .n2a-hl-type, .card.night_mode .n2a-hl-type { color: #ffa657; }
.card.nightMode .n2a-hl-parameter, .card.night_mode .n2a-hl-parameter { color: #ffa657; }
.card.nightMode .n2a-hl-tag, .card.night_mode .n2a-hl-tag { color: #7ee787; }
.card.nightMode .n2a-hl-key, .card.night_mode .n2a-hl-key { color: #7ee787; }
.card.nightMode .n2a-hl-attribute, .card.night_mode .n2a-hl-attribute { color: #79c0ff; }
.card.nightMode .n2a-hl-invalid, .card.night_mode .n2a-hl-invalid { color: #ffa198; }
/* …and in a system in dark mode, where the code block turns dark on its own. */
@media (prefers-color-scheme: dark) {
  .card pre { background: #161b22; color: #e6edf3; }
  .card pre .n2a-hl-comment { color: #8b949e; }
  .card pre .n2a-hl-string { color: #a5d6ff; }
  .card pre .n2a-hl-number { color: #79c0ff; }
  .card pre .n2a-hl-constant { color: #79c0ff; }
  .card pre .n2a-hl-keyword { color: #ff7b72; }
  .card pre .n2a-hl-function { color: #d2a8ff; }
  .card pre .n2a-hl-type { color: #ffa657; }
  .card pre .n2a-hl-parameter { color: #ffa657; }
  .card pre .n2a-hl-tag { color: #7ee787; }
  .card pre .n2a-hl-key { color: #7ee787; }
  .card pre .n2a-hl-attribute { color: #79c0ff; }
  .card pre .n2a-hl-invalid { color: #ffa198; }
}
"#;

/// Renders a template the way Anki does for these templates: `{{Field}}`, sections
/// `{{#Field}}…{{/Field}}` shown when the field is not empty, and `{{FrontSide}}`.
pub fn render(template: &str, fields: &[(&str, &str)], front_side: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            out.push_str(&rest[open..]);
            return out;
        };
        let tag = after[..close].trim();
        rest = &after[close + 2..];
        if let Some(name) = tag.strip_prefix('#') {
            let end_tag = format!("{{{{/{name}}}}}");
            let (inner, remaining) = match rest.find(&end_tag) {
                Some(end) => (&rest[..end], &rest[end + end_tag.len()..]),
                None => (rest, ""),
            };
            let value = fields
                .iter()
                .find(|(n, _)| *n == name)
                .map_or("", |(_, v)| v);
            if !value.trim().is_empty() {
                out.push_str(&render(inner, fields, front_side));
            }
            rest = remaining;
        } else if tag == "FrontSide" {
            out.push_str(front_side);
        } else {
            let value = fields
                .iter()
                .find(|(n, _)| *n == tag)
                .map_or("", |(_, v)| v);
            out.push_str(value);
        }
    }
    out.push_str(rest);
    out
}

/// A hash of everything in the note type but its `mod` and default deck: when it
/// changes, the note type's `mod` goes up so Anki takes the new templates and CSS.
pub fn hash(extra_css: &str) -> String {
    let mut value = json(0, 0, extra_css);
    if let Some(map) = value.as_object_mut() {
        map.remove("mod");
        map.remove("did");
    }
    crate::note::hash_parts([value.to_string().as_str()]).to_string()
}

/// The note type's CSS: ours, then the user's own (`--css FILE`), which may override it.
pub fn css(extra_css: &str) -> String {
    if extra_css.trim().is_empty() {
        CSS.to_string()
    } else {
        format!("{CSS}\n/* --css */\n{extra_css}\n")
    }
}

/// The note type as schema-11 JSON (the value of its entry in `col.models`).
pub fn json(deck_id: i64, mod_secs: i64, extra_css: &str) -> Value {
    let fields: Vec<Value> = FIELDS
        .iter()
        .enumerate()
        .map(|(ord, (name, id))| {
            json!({
                "name": name, "ord": ord, "id": id,
                "sticky": false, "rtl": false, "font": "Arial", "size": 20,
                "media": [], "description": "", "plainText": false,
                "collapsed": false, "excludeFromSearch": false,
            })
        })
        .collect();
    let formats = [(FRONT, BACK), (REVERSE_FRONT, REVERSE_BACK)];
    let templates: Vec<Value> = TEMPLATES
        .iter()
        .zip(formats)
        .enumerate()
        .map(|(ord, ((name, id), (qfmt, afmt)))| {
            json!({
                "name": name, "ord": ord, "id": id, "qfmt": qfmt, "afmt": afmt,
                "bqfmt": "", "bafmt": "", "did": null, "bfont": "", "bsize": 0,
            })
        })
        .collect();
    json!({
        "id": ID,
        "name": NAME,
        "type": 0,
        "mod": mod_secs,
        "usn": -1,
        "sortf": 0,
        "did": deck_id,
        "tmpls": templates,
        "flds": fields,
        "css": css(extra_css),
        "latexPre": "\\documentclass[12pt]{article}\n\\special{papersize=3in,5in}\n\\usepackage[utf8]{inputenc}\n\\usepackage{amssymb,amsmath}\n\\pagestyle{empty}\n\\setlength{\\parindent}{0in}\n\\begin{document}\n",
        "latexPost": "\\end{document}",
        "latexsvg": false,
        // Legacy clients decide which templates make cards from `req`:
        // the card needs Term; the reverse card needs Reverse.
        "req": [[0, "any", [0]], [1, "all", [REVERSE_FIELD]]],
        "tags": [],
        "vers": [],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_like_anki() {
        let fields = [
            ("Term", "T"),
            ("Definition", "D"),
            ("Context", ""),
            ("Reverse", ""),
        ];
        let front = render(FRONT, &fields, "");
        assert_eq!(front.trim(), "<div class=\"n2a-term\">T</div>");
        assert!(render(BACK, &fields, &front).contains("<div class=\"n2a-definition\">D</div>"));
        assert_eq!(render(REVERSE_FRONT, &fields, ""), "");
        let fields = [
            ("Term", "T"),
            ("Definition", "D"),
            ("Context", "C"),
            ("Reverse", "y"),
        ];
        let reverse = render(REVERSE_FRONT, &fields, "");
        assert!(reverse.contains("n2a-context\">C<") && reverse.contains(">D<"));
    }
}
