//! `preview`: one self-contained HTML page with every card's front and back, rendered
//! with the note type's own templates and CSS, images inlined, grouped by deck and section.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use base64::Engine;

use crate::apkg::notetype;
use crate::media::MediaFiles;
use crate::parse::escape_attr as escape;
use crate::report::plural;
use crate::Note;

/// The page's own style, after the note type's CSS.
const PAGE_CSS: &str = r#"body { margin: 0; background: #eaeef2; font-family: system-ui, sans-serif; }
body.dark { background: #010409; color: #e6edf3; }
header { position: sticky; top: 0; z-index: 1; padding: 0.6em 1em; background: #24292f; color: #fff;
  display: flex; gap: 1em; align-items: center; flex-wrap: wrap; }
header button { font: inherit; }
main { padding: 0.5em 1em 3em; max-width: 72em; margin: 0 auto; }
h2.deck { margin: 1.2em 0 0.3em; }
h3.section { margin: 1em 0 0.4em; color: #57606a; }
body.dark h3.section { color: #9198a1; }
.n2a-pair { display: grid; grid-template-columns: 1fr 1fr; gap: 0.6em; margin: 0 0 0.9em; align-items: start; }
.n2a-side { border: 1px solid #d0d7de; border-radius: 8px; overflow: hidden; background: #fff; }
body.dark .n2a-side { border-color: #30363d; background: #0d1117; }
.n2a-side > .label { font: 12px ui-monospace, monospace; padding: 0.3em 0.6em; background: #f6f8fa; color: #57606a; }
body.dark .n2a-side > .label { background: #161b22; color: #9198a1; }
.n2a-side > .card { padding: 0.6em 0.8em; }
@media (max-width: 700px) { .n2a-pair { grid-template-columns: 1fr; } main { padding: 0.3em; } }"#;

/// Light or dark (`#dark` or `#light` in the address, else the system's choice; the
/// button flips it; dark uses the note
/// type's own night-mode rules, as Anki does), and, once everything has loaded, what
/// the page holds in data attributes (for a quick check, and for tests).
const PAGE_SCRIPT: &str = r#"<script>
(function () {
  var dark = location.hash === '#dark' ||
    (location.hash !== '#light' && window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches);
  function apply() {
    document.body.classList.toggle('dark', dark);
    document.querySelectorAll('.card').forEach(function (c) { c.classList.toggle('nightMode', dark); });
  }
  document.getElementById('theme').addEventListener('click', function () { dark = !dark; apply(); });
  apply();
  window.addEventListener('load', function () {
    var imgs = Array.prototype.slice.call(document.images);
    var broken = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
    document.documentElement.dataset.cards = document.querySelectorAll('.n2a-pair').length;
    document.documentElement.dataset.images = imgs.length;
    document.documentElement.dataset.broken = broken.map(function (i) { return i.getAttribute('src'); }).join(' ');
    document.documentElement.dataset.overflow = document.documentElement.scrollWidth > window.innerWidth ? 'yes' : 'no';
  });
})();
</script>"#;

/// The page for these notes (and the media they reference).
pub fn render(notes: &[Note], media: &MediaFiles, extra_css: &str) -> String {
    let mut page = String::with_capacity(notes.len() * 2048 + 16384);
    head(&mut page, notes, extra_css);
    let inlined = inline_media(media);
    for (deck, sections) in &groups(notes) {
        let _ = writeln!(page, "<h2 class=\"deck\">{}</h2>", escape(deck));
        for (section, list) in sections {
            if !section.is_empty() {
                // Already escaped: it comes from the Source field.
                let _ = writeln!(page, "<h3 class=\"section\">{section}</h3>");
            }
            for note in list {
                card_pair(&mut page, note, &inlined);
            }
        }
    }
    let _ = write!(page, "</main>\n{PAGE_SCRIPT}\n</body>\n</html>\n");
    page
}

fn head(page: &mut String, notes: &[Note], extra_css: &str) {
    // As the command line counts them: notes, and the cards they make.
    let cards: usize = notes.iter().map(|n| n.ids.card_ids.len().max(1)).sum();
    let count = format!("{}, {}", plural(notes.len(), "note"), plural(cards, "card"));
    let decks = notes
        .iter()
        .map(|n| n.deck())
        .collect::<BTreeSet<_>>()
        .len();
    let decks = plural(decks, "deck");
    let css = notetype::css(extra_css);
    let _ = write!(
        page,
        r#"<!DOCTYPE html>
<html lang="und">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>notes2anki preview — {count}</title>
<style>
{css}
{PAGE_CSS}
</style>
</head>
<body>
<header><strong>notes2anki preview</strong><span>{count} in {decks}</span>
<button id="theme" type="button">light / dark</button></header>
<main>
"#
    );
}

/// The notes by deck, then section (the Source field without the file), in their order.
fn groups(notes: &[Note]) -> BTreeMap<&str, Vec<(&str, Vec<&Note>)>> {
    let mut groups: BTreeMap<&str, Vec<(&str, Vec<&Note>)>> = BTreeMap::new();
    for note in notes {
        let sections = groups.entry(note.deck()).or_default();
        let section = note.source().split_once(" › ").map_or("", |(_, s)| s);
        match sections.last_mut() {
            Some((last, list)) if *last == section => list.push(note),
            _ => sections.push((section, vec![note])),
        }
    }
    groups
}

fn card_pair(page: &mut String, note: &Note, inlined: &BTreeMap<&str, String>) {
    let f = note.fields();
    let fields = [
        ("Term", f[0]),
        ("Definition", f[1]),
        ("Context", f[2]),
        ("Source", f[3]),
        ("Id", f[4]),
        ("Reverse", f[5]),
    ];
    let templates = [
        ("card", notetype::FRONT, notetype::BACK),
        (
            "reverse card",
            notetype::REVERSE_FRONT,
            notetype::REVERSE_BACK,
        ),
    ];
    for (ord, (name, front_template, back_template)) in templates.iter().enumerate() {
        let front = notetype::render(front_template, &fields, "");
        if front.trim().is_empty() {
            continue; // like Anki: a template whose front is empty makes no card
        }
        let back = notetype::render(back_template, &fields, &front);
        let at = escape(&note.location.to_string());
        let _ = writeln!(
            page,
            "<section class=\"n2a-pair\" id=\"{guid}-{ord}\" data-location=\"{at}\">\
             <div class=\"n2a-side\"><div class=\"label\">{at} · {name} · front</div><div class=\"card\">{front}</div></div>\
             <div class=\"n2a-side\"><div class=\"label\">{at} · {name} · back</div><div class=\"card\">{back}</div></div>\
             </section>",
            guid = note.ids.guid,
            front = with_media(&front, &note.media, inlined),
            back = with_media(&back, &note.media, inlined),
        );
    }
}

/// Media files as `data:` URIs, by name.
fn inline_media(media: &MediaFiles) -> BTreeMap<&str, String> {
    media
        .iter()
        .map(|(name, bytes)| {
            let mime = match name.rsplit('.').next().unwrap_or("") {
                "png" => "image/png",
                "jpg" => "image/jpeg",
                "gif" => "image/gif",
                "webp" => "image/webp",
                "svg" => "image/svg+xml",
                "bmp" => "image/bmp",
                "avif" => "image/avif",
                _ => "application/octet-stream",
            };
            let data = base64::engine::general_purpose::STANDARD.encode(bytes);
            (name.as_str(), format!("data:{mime};base64,{data}"))
        })
        .collect()
}

/// Points `src="name"` of the note's bundled media at their inlined data.
fn with_media(html: &str, names: &[String], inlined: &BTreeMap<&str, String>) -> String {
    let mut out = html.to_string();
    for name in names {
        if let Some(data) = inlined.get(name.as_str()) {
            out = out.replace(&format!("src=\"{name}\""), &format!("src=\"{data}\""));
        }
    }
    out
}
