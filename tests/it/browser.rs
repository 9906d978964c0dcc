//! The preview in a real browser: headless Chromium (Debian's `chromium`), installed by
//! the test itself when missing and possible.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::support::*;

static INSTALL: Mutex<()> = Mutex::new(());

/// The Chromium binary, installed with apt-get when missing (as root, as CI runs).
fn chromium() -> PathBuf {
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    for candidate in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    let installed = Command::new("sh")
        .args([
            "-c",
            "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium",
        ])
        .output();
    assert!(
        installed.as_ref().is_ok_and(|o| o.status.success()) && Path::new("/usr/bin/chromium").exists(),
        "the preview tests need Chromium: `apt-get install chromium` (Debian's package) failed: {:?}",
        installed.map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
    );
    PathBuf::from("/usr/bin/chromium")
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

fn attribute(dom: &str, name: &str) -> Option<String> {
    let start = dom.find(&format!("{name}=\""))? + name.len() + 2;
    let end = dom[start..].find('"')? + start;
    Some(dom[start..end].to_string())
}

#[test]
fn the_preview_shows_every_card_and_image_on_desktop_and_phone() {
    let project = fixture_project("images");
    let dir = project.path();
    let page = dir.join("out/preview.html");
    let out = run(
        dir,
        &["preview", "--offline", "-o", page.to_str().unwrap_or("")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let cards = cards_json(&run(dir, &["cards"]));
    let media_refs: usize = cards
        .iter()
        .map(|c| {
            let html = format!("{}{}", c["term"], c["definition"]);
            html.matches("src=\\\"n2a-").count()
        })
        .sum();
    let artifacts = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("preview-artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifacts");
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
