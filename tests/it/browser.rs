//! The preview in a real browser: headless Chromium (Debian's `chromium`) with a CJK
//! font, which `./scripts/test` installs (saying so). `cargo test` alone installs
//! nothing: without Chromium these tests fail saying what to run, and
//! `NOTES2ANKI_SKIP_BROWSER=1` skips them (counted by `./scripts/test`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

/// Whether the browser tests are turned off; a skipped one leaves a mark for
/// `./scripts/test` to count.
fn skipped(test: &str) -> bool {
    let skip = std::env::var("NOTES2ANKI_SKIP_BROWSER").is_ok_and(|v| !v.is_empty() && v != "0");
    if skip {
        mark_skipped(test, "browser");
    }
    skip
}

/// The Chromium binary.
fn chromium() -> PathBuf {
    for candidate in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    panic!(
        "the preview tests need Chromium (and a CJK font): run ./scripts/test, which installs \
         Debian's chromium and fonts-noto-cjk saying so, or set NOTES2ANKI_SKIP_BROWSER=1 to skip them"
    );
}

fn headless(page: &Path, size: (u32, u32), extra: &[String]) -> std::process::Output {
    let profile = tempfile::tempdir().expect("profile");
    Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--window-size={},{}", size.0, size.1))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium")
}

/// The preview of the notes in `dir`, written to `dir/out/<name>.html`.
fn preview(dir: &Path, name: &str) -> PathBuf {
    let page = dir.join(format!("out/{name}.html"));
    let out = run(
        dir,
        &["preview", "--offline", "-o", page.to_str().unwrap_or("")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    page
}

/// Where the screenshots are kept for a person to look at.
fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("preview-artifacts");
    std::fs::create_dir_all(&dir).expect("artifacts");
    dir
}

fn attribute(dom: &str, name: &str) -> Option<String> {
    let start = dom.find(&format!("{name}=\""))? + name.len() + 2;
    let end = dom[start..].find('"')? + start;
    Some(dom[start..end].to_string())
}

#[test]
fn the_preview_shows_every_card_and_image_on_desktop_and_phone() {
    if skipped("the_preview_shows_every_card_and_image_on_desktop_and_phone") {
        return;
    }
    let project = fixture_project("images");
    let dir = project.path();
    let page = preview(dir, "preview");
    let cards = cards_json(&run(dir, &["cards"]));
    let media_refs: usize = cards
        .iter()
        .map(|c| {
            let html = format!("{}{}", c["term"], c["definition"]);
            html.matches("src=\\\"n2a-").count()
        })
        .sum();
    let artifacts = artifacts();
    for (name, size) in [("desktop", (1280, 900)), ("phone", (390, 844))] {
        let dom = headless(&page, size, &["--dump-dom".into()]);
        let dom = String::from_utf8_lossy(&dom.stdout);
        // Every card is on the page, front and back (one pair per card).
        assert_eq!(
            attribute(&dom, "data-cards").as_deref(),
            Some(cards.len().to_string().as_str()),
            "{name}"
        );
        for card in &cards {
            let location = card["location"].as_str().unwrap_or_default();
            assert!(
                dom.contains(&format!("data-location=\"{location}\"")),
                "{name}: {location}"
            );
        }
        // Every bundled image loaded (each appears on the back; terms have none here);
        // the only broken one is the remote URL the offline build could not fetch.
        let images: usize = attribute(&dom, "data-images")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(
            images > media_refs,
            "{name}: {images} images for {media_refs} media references"
        );
        assert_eq!(
            attribute(&dom, "data-broken").as_deref(),
            Some("https://example.invalid/x.png"),
            "{name}"
        );
        assert_eq!(
            attribute(&dom, "data-overflow").as_deref(),
            Some("no"),
            "{name}: wider than the screen"
        );
        let shot = artifacts.join(format!("preview-{name}.png"));
        let _ = std::fs::remove_file(&shot);
        headless(&page, size, &[format!("--screenshot={}", shot.display())]);
        assert!(
            std::fs::metadata(&shot).is_ok_and(|m| m.len() > 1000),
            "{name}: no screenshot"
        );
    }
}

/// The note type's CSS in a page laid out as Anki lays out a card: the classes `card`
/// and, at night, `nightMode night_mode` on the body. Each probe's computed colours are
/// written into the page, which `--dump-dom` prints.
fn styled(night: bool) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("card.html");
    let classes = if night {
        "card card1 nightMode night_mode"
    } else {
        "card card1"
    };
    let html = format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><style>{css}</style></head>
<body class="{classes}"><div class="n2a-definition"><code id="code">x</code>
<mark id="mark">y</mark><div class="n2a-callout" data-callout="tip" id="callout">
<div class="n2a-callout-title">T</div><p>z</p></div></div>
<script>
for (const id of ["code", "mark", "callout"]) {{
  const s = getComputedStyle(document.getElementById(id));
  document.body.setAttribute("data-probe-" + id, s.backgroundColor + " / " + s.borderLeftColor);
}}
document.body.setAttribute("data-probe-card", getComputedStyle(document.body).backgroundColor);
</script></body></html>"#,
        css = notes2anki::apkg::notetype::css(""),
    );
    std::fs::write(&page, html).expect("write page");
    let dom = headless(&page, (800, 600), &["--dump-dom".into()]);
    String::from_utf8_lossy(&dom.stdout).into_owned()
}

#[test]
fn night_mode_styles_reach_code_highlights_and_callouts() {
    if skipped("night_mode_styles_reach_code_highlights_and_callouts") {
        return;
    }
    let day = styled(false);
    let night = styled(true);
    let probe =
        |dom: &str, id: &str| attribute(dom, &format!("data-probe-{id}")).unwrap_or_default();
    assert_eq!(probe(&day, "card"), "rgb(255, 255, 255)", "{day}");
    assert!(
        probe(&day, "code").starts_with("rgb(246, 248, 250)"),
        "{day}"
    );
    assert!(
        probe(&day, "mark").starts_with("rgb(255, 248, 197)"),
        "{day}"
    );
    assert!(
        probe(&day, "callout").ends_with("rgb(26, 127, 55)"),
        "{day}"
    );
    // At night every element of the card changes, not only the card's own background.
    assert_eq!(probe(&night, "card"), "rgb(13, 17, 23)", "{night}");
    assert!(
        probe(&night, "code").starts_with("rgb(22, 27, 34)"),
        "{night}"
    );
    assert!(
        probe(&night, "mark").starts_with("rgba(187, 128, 9, 0.45)"),
        "{night}"
    );
    assert!(
        probe(&night, "callout").ends_with("rgb(26, 127, 55)"),
        "{night}"
    );
}

/// A screenshot of `text`, large, in the note type's font stack.
fn drawn(text: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("glyph.html");
    let html = format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><style>{css}
.card {{ font-size: 96px; }}</style></head><body class="card">{text}</body></html>"#,
        css = notes2anki::apkg::notetype::css(""),
    );
    std::fs::write(&page, html).expect("write page");
    let shot = dir.path().join("shot.png");
    let out = headless(
        &page,
        (400, 200),
        &[format!("--screenshot={}", shot.display())],
    );
    std::fs::read(&shot)
        .unwrap_or_else(|_| panic!("no screenshot: {}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn japanese_is_drawn_with_a_real_font_not_boxes() {
    if skipped("japanese_is_drawn_with_a_real_font_not_boxes") {
        return;
    }
    // Code points no font has are drawn as the same empty box; あ must not be one.
    let missing = drawn("\u{10FFFD}");
    assert_eq!(
        missing,
        drawn("\u{10FFFC}"),
        "boxes for missing glyphs look alike"
    );
    assert_ne!(
        drawn("あ"),
        missing,
        "Japanese text is drawn as boxes: install a CJK font (./scripts/test installs fonts-noto-cjk)"
    );
    // And the seed's preview, which holds it, renders its cards.
    let dir = seed_project();
    let page = preview(dir.path(), "seed");
    let dom = headless(&page, (1000, 800), &["--dump-dom".into()]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert_eq!(
        attribute(&dom, "data-cards").as_deref(),
        Some("108"),
        "{dom}"
    );
}

/// The hues (in 30° steps) of the clearly coloured pixels of a PNG: grey, white, black
/// and faint anti-aliased pixels do not count.
fn hues(png_bytes: &[u8]) -> std::collections::BTreeSet<u32> {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("a png");
    let mut buffer = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buffer).expect("a frame");
    let channels = info.color_type.samples();
    let mut hues = std::collections::BTreeSet::new();
    for pixel in buffer[..info.buffer_size()].chunks(channels) {
        let [r, g, b] = [pixel[0], pixel[1], pixel[2]].map(f64::from);
        let (max, min) = (r.max(g).max(b), r.min(g).min(b));
        if max - min < 60.0 {
            continue; // grey (or nearly)
        }
        let hue = if max == r {
            60.0 * ((g - b) / (max - min)).rem_euclid(6.0)
        } else if max == g {
            60.0 * ((b - r) / (max - min) + 2.0)
        } else {
            60.0 * ((r - g) / (max - min) + 4.0)
        };
        hues.insert(hue as u32 / 30);
    }
    hues
}

#[test]
fn highlighted_code_shows_in_colour_in_the_preview_light_and_dark() {
    if skipped("highlighted_code_shows_in_colour_in_the_preview_light_and_dark") {
        return;
    }
    let project = fixture_project("code");
    let dir = project.path();
    let page = preview(dir, "code");
    let artifacts = artifacts();
    for mode in ["light", "dark"] {
        let shot = artifacts.join(format!("code-{mode}.png"));
        let url = format!("{}#{mode}", page.display());
        let out = headless(
            Path::new(&url),
            (1280, 1400),
            &[format!("--screenshot={}", shot.display())],
        );
        let bytes = std::fs::read(&shot)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
        let hues = hues(&bytes);
        assert!(
            hues.len() >= 3,
            "{mode}: only hues {hues:?} in {}",
            shot.display()
        );
    }
}
