//! Other people's notes: the samples of public notes repositories in
//! `../shared/realworld/samples` (read in place, never copied here; another folder with
//! `NOTES2ANKI_REALWORLD`). Every sample builds, no card shows Obsidian's markup, and
//! every embedded image is in the deck or in a warning naming its line.
//! Precision and recall are measured by `../shared/realworld/measure.py`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::support::*;

fn samples() -> Option<PathBuf> {
    let dir = std::env::var_os("NOTES2ANKI_REALWORLD")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/realworld/samples"));
    dir.is_dir().then_some(dir)
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path, ext));
        } else if ext.is_empty() || path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The Obsidian markup a field must never show (outside code): what measure.py looks for.
fn raw_markup(html: &str) -> Option<&'static str> {
    let text = without_code(html);
    let highlight = text.split("==").count() > 2 && text.contains("==") && {
        let parts: Vec<&str> = text.split("==").collect();
        parts[1..parts.len() - 1]
            .iter()
            .any(|p| !p.is_empty() && !p.starts_with(char::is_whitespace) && !p.contains('='))
    };
    let block_id = text.split(char::is_whitespace).any(|word| {
        let word = word.split('<').next().unwrap_or(word);
        word.strip_prefix('^').is_some_and(|id| {
            id.len() >= 4 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
    });
    let callout = text.match_indices("[!").any(|(i, _)| {
        let rest = &text[i + 2..];
        let name: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
        !name.is_empty() && rest[name.len()..].starts_with(']')
    });
    [
        (text.contains("[[") && text.contains("]]"), "wikilink"),
        (highlight, "highlight"),
        (text.contains("%%"), "comment"),
        (callout, "callout"),
        (block_id, "block-id"),
    ]
    .into_iter()
    .find_map(|(found, kind)| found.then_some(kind))
}

/// HTML without its `<pre>…</pre>` and `<code>…</code>` (where markup is just text).
fn without_code(html: &str) -> String {
    let mut text = html.to_string();
    for (open, close) in [("<pre", "</pre>"), ("<code", "</code>")] {
        while let Some(start) = text.find(open) {
            let end = text[start..]
                .find(close)
                .map_or(text.len(), |e| start + e + close.len());
            text.replace_range(start..end, " ");
        }
    }
    text
}

/// `![[name.png]]` embeds of images in a note: (line, file name).
fn image_embeds(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for part in line.split("![[").skip(1) {
            let target = part.split("]]").next().unwrap_or("");
            let name = target.split(['|', '#']).next().unwrap_or("").trim();
            let name = name.rsplit('/').next().unwrap_or(name);
            if notes2anki::media::is_image_name(name) {
                found.push((n + 1, name.to_string()));
            }
        }
    }
    found
}

/// The media names the sample's image files of this name would have in a package.
fn media_names(sample: &Path, name: &str) -> BTreeSet<String> {
    files(sample, "")
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case(name))
        })
        .filter_map(|p| {
            let bytes = std::fs::read(&p).ok()?;
            Some(notes2anki::media::media_name(
                &bytes,
                notes2anki::media::sniff(&bytes)?,
            ))
        })
        .collect()
}

#[test]
fn other_peoples_notes_build_lose_no_image_silently_and_show_no_raw_markup() {
    let Some(samples) = samples() else {
        let why = "skipped: the real-notes samples are not at ../shared/realworld/samples (set NOTES2ANKI_REALWORLD)";
        println!("{why}");
        eprintln!("{why}");
        return;
    };
    let mut checked = 0;
    for sample in std::fs::read_dir(&samples)
        .expect("samples")
        .flatten()
        .map(|e| e.path())
    {
        if !sample.is_dir() {
            continue;
        }
        let out = run(&sample, &["cards", "."]);
        let err = stderr(&out);
        assert!(out.status.success(), "{}: {err}", sample.display());
        let cards = cards_json(&out);
        for card in &cards {
            let fields = format!(
                "{} {} {}",
                card["term"], card["definition"], card["context"]
            );
            assert_eq!(raw_markup(&fields), None, "{}: {fields}", card["location"]);
            assert!(!card["term"].to_string().contains("checkbox"), "{card}");
        }
        let bundled: BTreeSet<String> = cards
            .iter()
            .flat_map(|c| c["media"].as_array().cloned().unwrap_or_default())
            .filter_map(|m| m.as_str().map(str::to_string))
            .collect();
        for note in files(&sample, "md") {
            let rel = note
                .strip_prefix(&sample)
                .expect("inside")
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&note).unwrap_or_default();
            for (line, name) in image_embeds(&text) {
                let in_deck = !media_names(&sample, &name).is_disjoint(&bundled);
                let at = format!("./{rel}:{line}:");
                let warned = err
                    .lines()
                    .any(|l| l.starts_with(&at) && l.contains("image"));
                assert!(
                    in_deck || warned,
                    "{at} ![[{name}]] is neither bundled nor warned:\n{err}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 34, "only {checked} image embeds checked");
}

#[test]
fn the_markup_check_finds_what_it_looks_for() {
    for (html, kind) in [
        ("see [[Page]]", "wikilink"),
        ("a ==b== c", "highlight"),
        ("x %% y", "comment"),
        ("<p>[!note] T</p>", "callout"),
        ("line ^abc-12", "block-id"),
    ] {
        assert_eq!(raw_markup(html), Some(kind), "{html}");
    }
    for clean in [
        "a <mark>b</mark>",
        "<code>[[x]] ==y== %%</code>",
        "x^2 and a == b",
        "2^10",
    ] {
        assert_eq!(raw_markup(clean), None, "{clean}");
    }
}
