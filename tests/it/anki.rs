//! Real Anki is the judge: packages are imported into fresh collections with the `anki`
//! library from PyPI — 26.9.3 (the current Rust importer) and 2.1.54 (the legacy Python
//! importer of older desktops and AnkiDroid ≤ 2.16) — and read back.
//!
//! `./scripts/test` creates a virtualenv per version under `target/tmp/` (saying so);
//! without them these tests fail saying what to run. `NOTES2ANKI_SKIP_ANKI=1` skips them,
//! and `./scripts/test` counts the skipped ones at the end.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Importer {
    /// anki 26.9.3: the Rust importer, keeping the package's note `mod`.
    Current,
    /// anki 24.11: the Rust importer that sets an updated note's `mod` to the import time.
    Mid,
    /// anki 2.1.54: the legacy Python importer.
    Legacy,
}

pub(crate) const BOTH: [Importer; 2] = [Importer::Current, Importer::Legacy];
const ALL: [Importer; 3] = [Importer::Current, Importer::Mid, Importer::Legacy];

impl Importer {
    fn version(self) -> &'static str {
        match self {
            Importer::Current => "26.9.3",
            Importer::Mid => "24.11",
            Importer::Legacy => "2.1.54",
        }
    }
    fn mode(self) -> &'static str {
        match self {
            Importer::Current | Importer::Mid => "current",
            Importer::Legacy => "legacy",
        }
    }
}

pub(crate) fn skipped(test: &str) -> bool {
    let skip = std::env::var("NOTES2ANKI_SKIP_ANKI").is_ok_and(|v| !v.is_empty() && v != "0");
    if skip {
        mark_skipped(test, "anki");
    }
    skip
}

/// The Python of the virtualenv holding `anki==version`, which `./scripts/test` creates
/// (saying so); `cargo test` alone creates nothing.
fn python(version: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("anki-venv-{version}"));
    assert!(
        dir.join(".installed").is_file(),
        "the real-Anki tests need {} (anki=={version} from PyPI): run ./scripts/test, which \
         creates it saying so, or set NOTES2ANKI_SKIP_ANKI=1 to skip them",
        dir.display()
    );
    dir.join("bin/python")
}

/// Imports the packages, in order, into one fresh collection and returns its contents.
pub(crate) fn import(importer: Importer, packages: &[&Path]) -> Value {
    let work = tempfile::tempdir().expect("tempdir");
    let steps: Vec<String> = packages
        .iter()
        .map(|p| format!("import={}", p.display()))
        .collect();
    anki(importer, work.path(), &steps)
}

/// Runs steps (`import=PATH`, `answer=TERM`, `find=QUERY`) on the collection kept in
/// `work`, created on first use, and returns its contents.
fn anki(importer: Importer, work: &Path, steps: &[String]) -> Value {
    let python = python(importer.version());
    let tmp = work.join("tmp");
    std::fs::create_dir_all(&tmp).expect("mkdir");
    let out = Command::new(python)
        // Anki unpacks packages into `$TMPDIR/anki_temp` and deletes it at exit: one
        // TMPDIR per process keeps concurrent tests from pulling files from under each other.
        .env("TMPDIR", &tmp)
        .arg(root().join("tests/anki/import_check.py"))
        .arg(importer.mode())
        .arg(work.join("collection"))
        .args(steps)
        .output()
        .expect("run import_check.py");
    assert!(
        out.status.success(),
        "anki {} import failed:\n{}",
        importer.version(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("import_check.py prints JSON")
}

pub(crate) fn notes_by_guid(collection: &Value) -> BTreeMap<String, Value> {
    collection["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .map(|n| {
            (
                n["guid"].as_str().unwrap_or_default().to_string(),
                n.clone(),
            )
        })
        .collect()
}

pub(crate) fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

#[test]
fn seed_imports_with_every_card_rendering() {
    if skipped("seed_imports_with_every_card_rendering") {
        return;
    }
    let dir = seed_project();
    let package = build(dir.path(), &["notes"]);
    let expected = cards_json(&run(dir.path(), &["cards"]));
    assert_eq!(expected.len(), 108);
    for importer in BOTH {
        let col = import(importer, &[&package]);
        let notes = notes_by_guid(&col);
        assert_eq!(notes.len(), 108, "{importer:?}");
        for (position, card) in expected.iter().enumerate() {
            let note = &notes[str_of(&card["guid"])];
            let context = format!("{importer:?} {}", card["location"]);
            assert_eq!(note["notetype"], "notes2anki", "{context}");
            let fields = &note["fields"];
            assert_eq!(fields["Term"], card["term"], "{context}");
            assert_eq!(fields["Definition"], card["definition"], "{context}");
            assert_eq!(fields["Context"], card["context"], "{context}");
            assert_eq!(fields["Id"], card["guid"], "{context}");
            assert_eq!(fields["Reverse"], "", "{context}");
            assert!(
                str_of(&fields["Source"]).starts_with("techstock.md"),
                "{context}"
            );
            assert_eq!(note["tags"], card["tags"], "{context}");
            let cards = note["cards"].as_array().expect("cards");
            assert_eq!(cards.len(), 1, "{context}");
            let c = &cards[0];
            assert_eq!(c["deck"], "Techstock", "{context}");
            assert_eq!(c["ord"], 0, "{context}");
            assert_eq!(c["queue"], 0, "{context}");
            assert_eq!(c["due"], position + 1, "{context}: due follows the notes");
            let question = str_of(&c["question"]);
            let answer = str_of(&c["answer"]);
            assert!(
                question.contains(str_of(&card["term"])),
                "{context}: {question}"
            );
            assert!(question.contains(str_of(&card["context"])), "{context}");
            assert!(
                answer.contains(str_of(&card["definition"])),
                "{context}: {answer}"
            );
        }
        assert!(col["decks"]
            .as_array()
            .expect("decks")
            .contains(&"Techstock".into()));
        assert_eq!(col["media_missing"], serde_json::json!([]), "{importer:?}");
    }
}

#[test]
fn local_images_travel_as_media() {
    if skipped("local_images_travel_as_media") {
        return;
    }
    let project = fixture_project("images");
    let images = project.path();
    let tmp = tempfile::tempdir().expect("tmp");
    let package = tmp.path().join("images.apkg");
    let out = run(images, &["build", "-o", package.to_str().unwrap_or("")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("4 media files"), "{}", stderr(&out));
    let expected = cards_json(&run(images, &["cards"]));
    let mut media: Vec<String> = expected
        .iter()
        .flat_map(|c| c["media"].as_array().cloned().unwrap_or_default())
        .map(|m| str_of(&m).to_string())
        .collect();
    media.sort();
    media.dedup();
    assert_eq!(media.len(), 4);
    for importer in BOTH {
        let col = import(importer, &[&package]);
        assert_eq!(col["media_files"], serde_json::json!(media), "{importer:?}");
        assert_eq!(col["media_missing"], serde_json::json!([]), "{importer:?}");
        assert_eq!(col["media_unused"], serde_json::json!([]), "{importer:?}");
        let notes = notes_by_guid(&col);
        for card in &expected {
            let note = &notes[str_of(&card["guid"])];
            let definition = str_of(&note["fields"]["Definition"]);
            for name in card["media"].as_array().expect("media") {
                assert!(
                    definition.contains(&format!("src=\"{}\"", str_of(name))),
                    "{importer:?}: {definition}"
                );
            }
        }
        // width, height and alt of a raw <img> survive.
        let diagram = expected
            .iter()
            .find(|c| c["term"] == "Diagram")
            .expect("Diagram card");
        let field = str_of(&notes[str_of(&diagram["guid"])]["fields"]["Definition"]);
        assert!(
            field.contains("width=\"120\" height=\"80\" alt=\"図\""),
            "{field}"
        );
    }
}

#[test]
fn reverse_cards_exist_only_where_asked() {
    if skipped("reverse_cards_exist_only_where_asked") {
        return;
    }
    let project = fixture_project("directives");
    let tmp = tempfile::tempdir().expect("tmp");
    let package = tmp.path().join("d.apkg");
    let out = run(
        project.path(),
        &["build", "-o", package.to_str().unwrap_or("")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    for importer in BOTH {
        let col = import(importer, &[&package]);
        let notes = col["notes"].as_array().expect("notes");
        assert_eq!(notes.len(), 5, "{importer:?}");
        for note in notes {
            let cards = note["cards"].as_array().expect("cards");
            if note["fields"]["Term"] == "Capital of France" {
                assert_eq!(note["fields"]["Reverse"], "y");
                assert_eq!(cards.len(), 2, "{importer:?}");
                assert_eq!(cards[1]["ord"], 1);
                let question = str_of(&cards[1]["question"]);
                assert!(question.contains("Paris"), "{question}");
                assert!(!question.contains("Capital of France"), "{question}");
                assert!(str_of(&cards[1]["answer"]).contains("Capital of France"));
            } else {
                assert_eq!(cards.len(), 1, "{importer:?} {}", note["fields"]["Term"]);
            }
        }
    }
}

#[test]
fn parent_deck_and_subdecks_land_in_anki() {
    if skipped("parent_deck_and_subdecks_land_in_anki") {
        return;
    }
    let dir = seed_project();
    let package = build(dir.path(), &["--deck", "AWS", "--subdecks"]);
    for importer in BOTH {
        let col = import(importer, &[&package]);
        let decks = col["decks"].as_array().expect("decks");
        for name in [
            "AWS",
            "AWS::Techstock",
            "AWS::Techstock::01",
            "AWS::Techstock::10",
        ] {
            assert!(
                decks.contains(&name.into()),
                "{importer:?}: {name} in {decks:?}"
            );
        }
        let in_03 = col["notes"]
            .as_array()
            .expect("notes")
            .iter()
            .filter(|n| n["cards"][0]["deck"] == "AWS::Techstock::03")
            .count();
        assert_eq!(in_03, 17, "{importer:?}");
    }
}

/// The edits of the update scenario, applied to fixtures/updates.
fn edit_notes(dir: &Path) {
    let path = dir.join("notes/deck.md");
    let text = std::fs::read_to_string(&path).expect("read");
    let edited = text
        .replace(
            "- Edited: the old definition",
            "- Edited: the new definition",
        )
        .replace("- Removed: this card goes away\n", "")
        .replace(
            "- Renamed term: a definition",
            "- Better term: a definition",
        )
        .replace("- Parent item: the parent", "- Parent renamed: the parent")
        .replace("with a tpyo in it", "with a typo in it")
        .replace("## Old Section", "## New Section")
        .replace(
            "- Stable: never changes\n",
            "- Stable: never changes\n- Added: a brand new card\n",
        );
    assert_eq!(edited.matches('\n').count(), text.matches('\n').count());
    std::fs::write(&path, edited).expect("write");
}

fn build_at(dir: &Path, now: i64, output: &str) -> (PathBuf, String) {
    let out = notes2anki(dir)
        .env("SOURCE_DATE_EPOCH", now.to_string())
        .args(["build", "-o", output])
        .output()
        .expect("build");
    assert!(out.status.success(), "{}", stderr(&out));
    (dir.join(output), stderr(&out))
}

fn note_by_term<'a>(col: &'a Value, term: &str) -> &'a Value {
    let found: Vec<&Value> = col["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter(|n| n["fields"]["Term"] == term)
        .collect();
    assert_eq!(found.len(), 1, "notes with term {term}: {found:?}");
    found[0]
}

fn terms(col: &Value) -> Vec<String> {
    let mut t: Vec<String> = col["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .map(|n| str_of(&n["fields"]["Term"]).to_string())
        .collect();
    t.sort();
    t
}

#[test]
fn rebuilding_after_edits_updates_the_notes_in_place() {
    if skipped("rebuilding_after_edits_updates_the_notes_in_place") {
        return;
    }
    // A real clock: Anki 24.11 sets an updated note's mod to the import time.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    for importer in ALL {
        let project = fixture_project("updates");
        let dir = project.path();
        let work = tempfile::tempdir().expect("tmp");
        let (first, report) = build_at(dir, now, "first.apkg");
        assert!(report.contains("changes: 8 added"), "{report}");
        let before = anki(
            importer,
            work.path(),
            &[
                format!("import={}", first.display()),
                "answer=Edited".into(),
            ],
        );
        assert_eq!(before["notes"].as_array().map(Vec::len), Some(8));
        let edited_before = note_by_term(&before, "Edited").clone();
        assert_eq!(edited_before["cards"][0]["reps"], 1);

        // Edit everything, and rebuild in the same second.
        edit_notes(dir);
        let (second, report) = build_at(dir, now, "second.apkg");
        assert!(
            report.contains(
                "changes: 1 added, 2 updated, 2 renamed, 2 moved, 1 removed, 1 unchanged"
            ),
            "{report}"
        );
        assert!(
            report.contains("renamed   notes/deck.md:6  Renamed term → Better term"),
            "{report}"
        );
        assert!(
            report.contains("renamed   notes/deck.md:7  Parent item → Parent renamed"),
            "{report}"
        );
        assert!(
            report.contains("moved     notes/deck.md:8  Child (was under Updates › Parent item)"),
            "{report}"
        );
        assert!(report.contains("moved     notes/deck.md:10  Under prose (was under Updates › A prose parent with a tpyo in it)"), "{report}");
        assert!(
            report.contains("added     notes/deck.md:12  Added"),
            "{report}"
        );
        assert!(
            report.contains("removed   notes/deck.md  Removed"),
            "{report}"
        );
        let search = report
            .lines()
            .skip_while(|l| !l.starts_with("a package cannot delete notes"))
            .nth(1)
            .expect("a search line")
            .trim()
            .to_string();

        let after = anki(
            importer,
            work.path(),
            &[
                format!("import={}", second.display()),
                format!("find={search}"),
            ],
        );
        let context = format!("{importer:?}");
        // Note count = before + 1 (the removed note stays until the user deletes it).
        assert_eq!(
            after["notes"].as_array().map(Vec::len),
            Some(9),
            "{context}"
        );
        assert_eq!(
            terms(&after),
            vec![
                "Added",
                "Better term",
                "Child",
                "Edited",
                "In section",
                "Parent renamed",
                "Removed",
                "Stable",
                "Under prose"
            ],
            "{context}: no old note beside a renamed one"
        );
        // The edited note: same note, new text, history kept.
        let edited = note_by_term(&after, "Edited");
        assert_eq!(edited["id"], edited_before["id"], "{context}");
        assert_eq!(
            edited["fields"]["Definition"], "the new definition",
            "{context}"
        );
        assert_eq!(edited["cards"][0]["id"], edited_before["cards"][0]["id"]);
        assert_eq!(edited["cards"][0]["reps"], 1, "{context}");
        assert_eq!(edited["cards"][0]["revlog"], 1, "{context}");
        // Renamed and moved cards kept their notes.
        for (old, new) in [
            ("Renamed term", "Better term"),
            ("Parent item", "Parent renamed"),
            ("Child", "Child"),
            ("Under prose", "Under prose"),
        ] {
            assert_eq!(
                note_by_term(&after, new)["id"],
                note_by_term(&before, old)["id"],
                "{context}: {old} → {new}"
            );
        }
        assert_eq!(
            note_by_term(&after, "Under prose")["fields"]["Context"],
            "A prose parent with a typo in it"
        );
        // The renamed section's note follows with its tag.
        assert_eq!(
            note_by_term(&after, "In section")["tags"],
            serde_json::json!(["Updates::New_Section"]),
            "{context}"
        );
        // The unchanged note was not rewritten.
        assert_eq!(
            note_by_term(&after, "Stable")["mod"],
            note_by_term(&before, "Stable")["mod"],
            "{context}"
        );
        if importer != Importer::Legacy {
            let log = &after["imports"][0];
            assert_eq!(log["new"], 1, "{context}: {log}");
            assert_eq!(log["updated"], 6, "{context}: {log}");
            let changed: Vec<&Value> = [
                "Edited",
                "Better term",
                "Parent renamed",
                "Child",
                "Under prose",
                "In section",
            ]
            .iter()
            .map(|t| &note_by_term(&after, t)["id"])
            .collect();
            let mut changed: Vec<i64> = changed.iter().filter_map(|v| v.as_i64()).collect();
            changed.sort_unstable();
            assert_eq!(log["updated_ids"], serde_json::json!(changed), "{context}");
        }
        // The printed search finds exactly the removed note.
        assert_eq!(
            after["found"][&search],
            serde_json::json!([note_by_term(&after, "Removed")["id"]]),
            "{context}: {search}"
        );

        // A rebuild with no change: the same bytes, and nothing to import.
        let (third, report) = build_at(dir, now + 5, "third.apkg");
        assert!(report.contains("changes: 8 unchanged"), "{report}");
        assert_eq!(std::fs::read(&third).ok(), std::fs::read(&second).ok());
        let again = anki(
            importer,
            work.path(),
            &[format!("import={}", third.display())],
        );
        assert_eq!(
            again["notes"].as_array().map(Vec::len),
            Some(9),
            "{context}"
        );
        if importer != Importer::Legacy {
            assert_eq!(again["imports"][0]["new"], 0, "{context}");
            assert_eq!(again["imports"][0]["updated"], 0, "{context}");
        }

        // Without the lock, only the renamed and moved cards come back as new notes.
        std::fs::remove_file(dir.join("notes/notes2anki.lock")).expect("rm lock");
        let (fourth, _) = build_at(dir, now + 10, "fourth.apkg");
        let last = anki(
            importer,
            work.path(),
            &[format!("import={}", fourth.display())],
        );
        assert_eq!(
            last["notes"].as_array().map(Vec::len),
            Some(13),
            "{context}"
        );
    }
}

#[test]
fn a_local_image_changed_on_disk_reaches_anki() {
    if skipped("a_local_image_changed_on_disk_reaches_anki") {
        return;
    }
    for importer in BOTH {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::create_dir_all(dir.path().join("notes/img")).expect("mkdir");
        std::fs::write(
            dir.path().join("notes/n.md"),
            "# Pics\n\n- Pic: ![p](img/p.png)\n",
        )
        .expect("write");
        let image = dir.path().join("notes/img/p.png");
        std::fs::write(&image, crate::images::png([255, 0, 0])).expect("write");
        let work = tempfile::tempdir().expect("tmp");
        let first = build(dir.path(), &["notes"]);
        let before = anki(
            importer,
            work.path(),
            &[format!("import={}", first.display())],
        );
        std::fs::write(&image, crate::images::png([0, 0, 255])).expect("write");
        let second = dir.path().join("second.apkg");
        let out = run(
            dir.path(),
            &[
                "build",
                "notes",
                "--offline",
                "-o",
                second.to_str().unwrap_or(""),
            ],
        );
        assert!(stderr(&out).contains("1 updated"), "{}", stderr(&out));
        let after = anki(
            importer,
            work.path(),
            &[format!("import={}", second.display())],
        );
        let old_name = crate::images::package_media(&first)
            .into_keys()
            .next()
            .expect("one");
        let new_name = crate::images::package_media(&second)
            .into_keys()
            .next()
            .expect("one");
        assert_ne!(old_name, new_name);
        let field = str_of(&note_by_term(&after, "Pic")["fields"]["Definition"]).to_string();
        assert!(field.contains(&new_name), "{importer:?}: {field}");
        assert_eq!(
            note_by_term(&after, "Pic")["id"],
            note_by_term(&before, "Pic")["id"]
        );
        let files = after["media_files"].as_array().expect("files");
        assert!(
            files.contains(&new_name.as_str().into()),
            "{importer:?}: {files:?}"
        );
        assert_eq!(
            after["media_missing"],
            serde_json::json!([]),
            "{importer:?}"
        );
    }
}

#[test]
fn the_benchmark_corpus_imports_whole() {
    if skipped("the_benchmark_corpus_imports_whole") {
        return;
    }
    // The benchmark imports its 125,000-card package; a test does the same at 2,000.
    let dir = tempfile::tempdir().expect("tmp");
    notes2anki::corpus::write(&dir.path().join("notes"), 4, 400).expect("corpus");
    let expected = notes2anki::corpus::card_count(4, 400);
    let package = build(dir.path(), &["notes"]);
    let col = import(Importer::Current, &[&package]);
    let notes = col["notes"].as_array().expect("notes");
    assert_eq!(notes.len(), expected);
    assert!(notes
        .iter()
        .all(|n| n["cards"].as_array().map(Vec::len) == Some(1)));
}

#[test]
fn a_build_killed_at_any_moment_leaves_the_old_package_or_a_whole_new_one() {
    if skipped("a_build_killed_at_any_moment_leaves_the_old_package_or_a_whole_new_one") {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    notes2anki::corpus::write(&dir.path().join("notes"), 10, 1000).expect("corpus");
    let package = build(dir.path(), &["notes"]);
    let lock = dir.path().join("notes/notes2anki.lock");
    // The next build changes every file, so its package differs.
    for f in 0..10 {
        let path = dir.path().join(format!("notes/vault-{f:02}.md"));
        let mut text = std::fs::read_to_string(&path).expect("read");
        text.push_str(&format!("- Added {f}: a card the next build brings\n"));
        std::fs::write(&path, text).expect("write");
    }
    let mut whole_new = Vec::new();
    let mut kept_old = 0;
    // The last run is not killed: it must leave a whole new package.
    for delay_ms in [2u64, 20, 60, 150, 300, 600, 1200, 2500, u64::MAX] {
        let old = std::fs::read(&package).expect("package");
        let old_lock = std::fs::read(&lock).expect("lock");
        let mut child = notes2anki(dir.path())
            .args(["build", "notes", "--offline", "-o"])
            .arg(&package)
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        if delay_ms < u64::MAX {
            std::thread::sleep(std::time::Duration::from_millis(delay_ms));
            let _ = child.kill(); // SIGKILL
        }
        let status = child.wait().expect("wait");
        let killed = status.code().is_none();
        let now = std::fs::read(&package).expect("a package is always there");
        if killed && now == old {
            kept_old += 1;
        }
        if now != old {
            let copy = dir.path().join(format!("killed-after-{delay_ms}ms.apkg"));
            std::fs::write(&copy, &now).expect("copy");
            whole_new.push(copy);
        }
        // The lock is the old one or a whole new one too.
        let lock_now = std::fs::read(&lock).expect("lock");
        if lock_now != old_lock {
            assert!(
                notes2anki::lock::Lock::read(&lock).is_ok(),
                "torn lock after {delay_ms} ms"
            );
        }
    }
    assert!(kept_old >= 3, "the kills should land mid-build: {kept_old}");
    assert!(
        !whole_new.is_empty(),
        "the unkilled build must bring a new package"
    );
    // Every package that changed is complete: real Anki imports it whole.
    let expected = notes2anki::corpus::card_count(10, 1000) + 10;
    for package in &whole_new {
        let col = import(Importer::Current, &[package]);
        assert_eq!(
            col["notes"].as_array().map(Vec::len),
            Some(expected),
            "{package:?}"
        );
    }
    // The next run leaves no temporary file behind, whatever the kills left.
    build(dir.path(), &["notes"]);
    assert_no_temp_files(dir.path());
}

#[test]
fn long_notes_and_numeric_terms_reach_anki_whole() {
    if skipped("long_notes_and_numeric_terms_reach_anki_whole") {
        return;
    }
    // Rows longer than a page continue on overflow pages (one, several, dozens), and a
    // first field that reads as a number is stored as one (`sfld` is declared integer).
    let mut md = String::from("# Long\n\n");
    for (term, repeat) in [("一頁", 1_500), ("数頁", 6_000), ("多頁", 60_000)] {
        md.push_str(&format!("- {term}: {}\n", "長い定義。".repeat(repeat / 5)));
    }
    for term in ["42", "3.5", "-7", "1e3", "007"] {
        md.push_str(&format!("- {term}: a number as the term\n"));
    }
    let dir = notes_project("long.md", &md);
    let package = build(dir.path(), &["notes"]);
    let expected = cards_json(&run(dir.path(), &["cards"]));
    for importer in BOTH {
        let col = import(importer, &[&package]);
        let notes = notes_by_guid(&col);
        assert_eq!(notes.len(), expected.len(), "{importer:?}");
        for card in &expected {
            let note = &notes[str_of(&card["guid"])];
            assert_eq!(note["fields"]["Term"], card["term"], "{importer:?}");
            assert_eq!(
                note["fields"]["Definition"], card["definition"],
                "{importer:?}"
            );
        }
    }
}

#[test]
fn control_characters_never_break_an_import() {
    if skipped("control_characters_never_break_an_import") {
        return;
    }
    // U+001F is Anki's field separator; a bell and a NUL for good measure.
    let dir = notes_project(
        "c.md",
        "# C\n\n- Bell\u{7}: split\u{1f}here\u{0} and there\n",
    );
    let package = build(dir.path(), &["notes"]);
    for importer in BOTH {
        let col = import(importer, &[&package]);
        let note = &col["notes"][0];
        assert_eq!(note["fields"]["Term"], "Bell", "{importer:?}");
        assert!(
            str_of(&note["fields"]["Definition"]).starts_with("splithere"),
            "{importer:?}: {}",
            note["fields"]["Definition"]
        );
    }
}

#[test]
fn random_notes_make_packages_real_anki_imports() {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    if skipped("random_notes_make_packages_real_anki_imports") {
        return;
    }
    // A fixed seed: the same four random documents on every run.
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    for case in 0..4 {
        let md = crate::props::markdown()
            .new_tree(&mut runner)
            .expect("value")
            .current();
        let dir = notes_project("r.md", &format!("- Anchor: card\n\n{md}"));
        let package = build(dir.path(), &["notes"]);
        let expected = cards_json(&run(dir.path(), &["cards"])).len();
        for importer in BOTH {
            let col = import(importer, &[&package]);
            assert_eq!(
                col["notes"].as_array().map(Vec::len),
                Some(expected),
                "{importer:?}, case {case}: {md:?}"
            );
        }
    }
}

/// A sync that went through normally: neither the status before it nor the sync itself
/// asked for a full sync, and afterwards nothing is left to do.
fn assert_normal_sync(sync: &Value) {
    assert!(
        sync["before"] == "NORMAL_SYNC" || sync["before"] == "NO_CHANGES",
        "{sync}"
    );
    assert_eq!(sync["required"], "NO_CHANGES", "{sync}");
}

/// The whole loop through Anki's own sync server (issue: desktop → phone, then edits).
#[test]
fn the_sync_loop_never_needs_a_full_sync_and_keeps_the_phones_reviews() {
    if skipped("the_sync_loop_never_needs_a_full_sync_and_keeps_the_phones_reviews") {
        return;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
        - 60;
    let project = fixture_project("sync");
    let dir = project.path();
    let build_at = |at: i64, name: &str, extra: &[&str]| {
        let out = notes2anki(dir)
            .env("SOURCE_DATE_EPOCH", at.to_string())
            .args(["build", "--offline", "-o", name])
            .args(extra)
            .output()
            .expect("build");
        assert!(out.status.success(), "{}", stderr(&out));
        dir.join(name)
    };
    let v1 = build_at(now - 100, "v1.apkg", &[]);
    let media = crate::images::package_media(&v1);
    // The edits: a definition, a new card, a renamed term.
    let note = dir.join("notes/deck.md");
    let text = std::fs::read_to_string(&note).expect("read");
    std::fs::write(
        &note,
        text.replace("the old definition", "the new definition")
            .replace("- Renamed term:", "- Better term:")
            + "- Added: a card the second build brings\n",
    )
    .expect("write");
    let v2 = build_at(now - 50, "v2.apkg", &[]);
    // The note type's CSS changes (a user's --css).
    std::fs::write(dir.join("big.css"), ".card { font-size: 26px; }\n").expect("css");
    let v3 = build_at(now, "v3.apkg", &["--css", "big.css"]);

    let python = python(Importer::Current.version());
    let work = tempfile::tempdir().expect("tmp");
    let out = Command::new(python)
        .env("TMPDIR", work.path())
        .arg(root().join("tests/anki/sync_loop.py"))
        .arg(work.path())
        .args([&v1, &v2, &v3])
        .arg("Studied")
        .output()
        .expect("sync loop");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).expect("json");

    // 1. Everything reaches the phone.
    assert_eq!(
        r["desktop_sync1"]["required"], "FULL_UPLOAD",
        "{}",
        r["desktop_sync1"]
    );
    assert_eq!(
        r["phone_sync1"]["required"], "FULL_DOWNLOAD",
        "{}",
        r["phone_sync1"]
    );
    let phone1 = &r["phone1"];
    assert_eq!(phone1["notes"].as_array().map(Vec::len), Some(6));
    assert_eq!(phone1["cards"], 6);
    let names: Vec<&String> = media.keys().collect();
    assert_eq!(phone1["media_files"], serde_json::json!(names));
    assert_eq!(phone1["media_missing"], serde_json::json!([]));
    // 2. The phone's review goes up.
    assert_normal_sync(&r["phone_sync2"]);
    // 3. The edited package: no full sync, the edit and the new card arrive, the review stays.
    assert_eq!(r["import2"]["new"], 1, "{}", r["import2"]);
    assert_eq!(r["import2"]["conflicting"], 0);
    assert_normal_sync(&r["desktop_sync3"]);
    assert_normal_sync(&r["phone_sync3"]);
    let phone3 = &r["phone3"];
    assert_eq!(
        phone3["notes"].as_array().map(Vec::len),
        Some(7),
        "no duplicate"
    );
    assert_eq!(
        note_by_term(phone3, "Edited")["fields"]["Definition"],
        "the new definition"
    );
    let _ = note_by_term(phone3, "Better term");
    let _ = note_by_term(phone3, "Added");
    let studied = &note_by_term(phone3, "Studied")["cards"][0];
    assert_eq!(studied["reps"], 1, "{studied}");
    assert_eq!(studied["revlog"], 1, "{studied}");
    // 4. A CSS change updates the note type in place, again without a full sync.
    assert_normal_sync(&r["desktop_sync4"]);
    assert_normal_sync(&r["phone_sync4"]);
    assert!(
        str_of(&r["phone4"]["css"]).contains("font-size: 26px"),
        "the new CSS reaches the phone"
    );
    assert_eq!(
        r["phone4"]["notetypes"].as_array().map(|n| n
            .iter()
            .filter(|x| str_of(x).starts_with("notes2anki"))
            .count()),
        Some(1),
        "no copy of the note type"
    );
    assert_eq!(note_by_term(&r["phone4"], "Studied")["cards"][0]["reps"], 1);
}

/// Every note and card row of a package, as written: read with SQLite from the zip.
fn package_rows(package: &Path) -> (Vec<Value>, Vec<Value>, BTreeMap<i64, String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("collection.anki2");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(package).expect("open")).expect("zip");
    let mut entry = zip.by_name("collection.anki2").expect("collection");
    std::io::copy(
        &mut entry,
        &mut std::fs::File::create(&path).expect("create"),
    )
    .expect("unzip");
    let db = rusqlite::Connection::open(&path).expect("sqlite");
    let ok: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(ok, "ok");
    let rows = |sql: &str, f: fn(&rusqlite::Row<'_>) -> rusqlite::Result<Value>| -> Vec<Value> {
        let mut stmt = db.prepare(sql).expect("prepare");
        let rows = stmt.query_map([], f).expect("query");
        rows.map(|r| r.expect("row")).collect()
    };
    let notes = rows(
        "SELECT id, guid, mod, tags, flds, sfld, csum FROM notes",
        |r| {
            // `sfld` is declared integer: a numeric term is stored as a number.
            let sfld = match r.get_ref(5)? {
                rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                other => format!("{:?}", rusqlite::types::Value::from(other)),
            };
            Ok(serde_json::json!({
                "id": r.get::<_, i64>(0)?, "guid": r.get::<_, String>(1)?,
                "mod": r.get::<_, i64>(2)?, "tags": r.get::<_, String>(3)?,
                "flds": r.get::<_, String>(4)?, "sfld": sfld, "csum": r.get::<_, i64>(6)?,
            }))
        },
    );
    let cards = rows("SELECT id, nid, did, ord, due FROM cards", |r| {
        Ok(serde_json::json!({
            "id": r.get::<_, i64>(0)?, "nid": r.get::<_, i64>(1)?, "did": r.get::<_, i64>(2)?,
            "ord": r.get::<_, i64>(3)?, "due": r.get::<_, i64>(4)?,
        }))
    });
    let decks: String = db
        .query_row("SELECT decks FROM col", [], |r| r.get(0))
        .expect("decks");
    let decks: Value = serde_json::from_str(&decks).expect("decks json");
    let names = decks
        .as_object()
        .expect("decks map")
        .values()
        .map(|d| {
            (
                d["id"].as_i64().unwrap_or(0),
                str_of(&d["name"]).to_string(),
            )
        })
        .collect();
    (notes, cards, names)
}

#[test]
fn the_rows_we_write_are_what_anki_reads_back() {
    if skipped("the_rows_we_write_are_what_anki_reads_back") {
        return;
    }
    // Tags, media, two decks under a parent, reverse cards, and a numeric term.
    let dir = fixture_project("vault");
    std::fs::write(
        dir.path().join("notes/Numbers.md"),
        "- 42: the answer\n- 3.5: a number too\n",
    )
    .expect("write");
    let package = build(dir.path(), &["notes", "--reverse", "--deck", "Top"]);
    let (notes, cards, deck_names) = package_rows(&package);
    assert!(notes.len() > 10 && cards.len() == 2 * notes.len());
    for importer in BOTH {
        let col = import(importer, &[&package]);
        let anki = notes_by_guid(&col);
        assert_eq!(anki.len(), notes.len(), "{importer:?}");
        for ours in &notes {
            let theirs = &anki[str_of(&ours["guid"])];
            let context = format!("{importer:?} {}", ours["guid"]);
            assert_eq!(theirs["id"], ours["id"], "{context}");
            assert_eq!(theirs["mod"], ours["mod"], "{context}");
            // Anki computes the sort field and checksum itself: ours are the same.
            assert_eq!(theirs["csum"], ours["csum"], "{context}");
            let their_sfld = match &theirs["sfld"] {
                Value::String(s) => s.clone(),
                Value::Number(n) if n.is_i64() => format!("Integer({n})"),
                Value::Number(n) => format!("Real({n})"),
                other => other.to_string(),
            };
            assert_eq!(their_sfld, str_of(&ours["sfld"]), "{context}");
            let fields: Vec<&str> = str_of(&ours["flds"]).split('\u{1f}').collect();
            let names = ["Term", "Definition", "Context", "Source", "Id", "Reverse"];
            for (name, value) in names.iter().zip(&fields) {
                assert_eq!(str_of(&theirs["fields"][name]), *value, "{context} {name}");
            }
            let mut tags: Vec<&str> = str_of(&ours["tags"]).split_whitespace().collect();
            tags.sort_unstable();
            assert_eq!(theirs["tags"], serde_json::json!(tags), "{context}");
            let our_cards: Vec<&Value> = cards.iter().filter(|c| c["nid"] == ours["id"]).collect();
            let their_cards = theirs["cards"].as_array().expect("cards");
            assert_eq!(their_cards.len(), our_cards.len(), "{context}");
            for theirs in their_cards {
                let ours = our_cards
                    .iter()
                    .find(|c| c["ord"] == theirs["ord"])
                    .expect("same templates");
                assert_eq!(theirs["id"], ours["id"], "{context}");
                assert_eq!(theirs["due"], ours["due"], "{context}");
                let deck = &deck_names[&ours["did"].as_i64().unwrap_or(0)];
                assert_eq!(str_of(&theirs["deck"]), deck, "{context}");
            }
        }
    }
}

#[test]
fn quiz_table_and_heading_cards_reach_anki_whole() {
    if skipped("quiz_table_and_heading_cards_reach_anki_whole") {
        return;
    }
    let (quiz, styles) = (fixture_project("quiz"), fixture_project("styles"));
    let packages = [
        build(quiz.path(), &["notes"]),
        build(styles.path(), &["notes"]),
    ];
    let mut expected = cards_json(&run(quiz.path(), &["cards", "notes"]));
    expected.extend(cards_json(&run(styles.path(), &["cards", "notes"])));
    let by_term = |term: &str| {
        let card = expected.iter().find(|c| c["term"] == term);
        card.unwrap_or_else(|| panic!("no card `{term}`")).clone()
    };
    let quiz_card = by_term("Which of these is a type of unsupervised learning?");
    let table_card = by_term("S3");
    let heading_card = by_term("Amazon Redshift");
    for importer in BOTH {
        let col = import(importer, &[&packages[0], &packages[1]]);
        let notes = notes_by_guid(&col);
        assert_eq!(notes.len(), expected.len(), "{importer:?}");
        for card in [&quiz_card, &table_card, &heading_card] {
            let note = &notes[str_of(&card["guid"])];
            let term = format!("{}{}", str_of(&card["term"]), str_of(&card["options"]));
            assert_eq!(str_of(&note["fields"]["Term"]), term, "{importer:?}");
            assert_eq!(
                note["fields"]["Definition"], card["definition"],
                "{importer:?}"
            );
            let question = str_of(&note["cards"][0]["question"]);
            assert!(question.contains(&term), "{importer:?}: {question}");
        }
        let quiz_note = &notes[str_of(&quiz_card["guid"])];
        let question = str_of(&quiz_note["cards"][0]["question"]);
        assert!(question.contains("<li>Regression</li>"), "{question}");
        let answer = str_of(&quiz_note["cards"][0]["answer"]);
        assert!(
            answer.contains("Clustering groups data by similarity."),
            "{answer}"
        );
        let table_note = &notes[str_of(&table_card["guid"])];
        let definition = str_of(&table_note["fields"]["Definition"]);
        assert!(definition.contains("<b>Kind</b>: Storage"), "{definition}");
        let deck = &notes[str_of(&heading_card["guid"])]["cards"][0]["deck"];
        assert_eq!(deck, "notes::glossary", "{importer:?}");
    }
}

#[test]
fn highlighted_code_reaches_anki_whole() {
    if skipped("highlighted_code_reaches_anki_whole") {
        return;
    }
    let dir = fixture_project("code");
    let package = build(dir.path(), &["notes"]);
    let expected = cards_json(&run(dir.path(), &["cards", "notes"]));
    assert_eq!(expected.len(), 8);
    for importer in BOTH {
        let col = import(importer, &[&package]);
        let notes = notes_by_guid(&col);
        for card in &expected {
            let note = &notes[str_of(&card["guid"])];
            assert_eq!(
                note["fields"]["Definition"], card["definition"],
                "{importer:?}"
            );
            let answer = str_of(&note["cards"][0]["answer"]);
            let highlighted = str_of(&card["definition"]).contains("n2a-hl-");
            assert_eq!(
                answer.contains("<span class=\"n2a-hl-"),
                highlighted,
                "{importer:?}: {answer}"
            );
        }
    }
}
