//! Real Anki is the judge: packages are imported into fresh collections with the `anki`
//! library from PyPI — 26.9.3 (the current Rust importer) and 2.1.54 (the legacy Python
//! importer of older desktops and AnkiDroid ≤ 2.16) — and read back.
//!
//! The first run creates a virtualenv per version under `target/tmp/`; a machine without
//! a package registry fails with a message saying so. `NOTES2ANKI_SKIP_ANKI=1` skips these
//! tests, and each then prints that it skipped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use serde_json::Value;

use crate::support::*;

#[derive(Clone, Copy, Debug)]
enum Importer {
    Current,
    Legacy,
}

const BOTH: [Importer; 2] = [Importer::Current, Importer::Legacy];

impl Importer {
    fn version(self) -> &'static str {
        match self {
            Importer::Current => "26.9.3",
            Importer::Legacy => "2.1.54",
        }
    }
    fn mode(self) -> &'static str {
        match self {
            Importer::Current => "current",
            Importer::Legacy => "legacy",
        }
    }
}

static VENV_LOCK: Mutex<()> = Mutex::new(());

fn skipped(test: &str) -> bool {
    let skip = std::env::var("NOTES2ANKI_SKIP_ANKI").is_ok_and(|v| !v.is_empty() && v != "0");
    if skip {
        println!("skipped: {test} (real-Anki test; NOTES2ANKI_SKIP_ANKI is set)");
        eprintln!("skipped: {test} (real-Anki test; NOTES2ANKI_SKIP_ANKI is set)");
    }
    skip
}

/// The Python of a virtualenv holding `anki==version`, created on first use.
fn python(version: &str) -> PathBuf {
    let _guard = VENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("anki-venv-{version}"));
    let python = dir.join("bin/python");
    let marker = dir.join(".installed");
    if marker.is_file() {
        return python;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let base = std::env::var("NOTES2ANKI_PYTHON").unwrap_or_else(|_| "python3".into());
    let status = Command::new(&base)
        .args(["-m", "venv"])
        .arg(&dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{base} -m venv`: {e}; install Python 3.9+"));
    assert!(
        status.status.success(),
        "`{base} -m venv {}` failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&status.stderr)
    );
    let install = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--quiet",
        ])
        .arg(format!("anki=={version}"))
        .output()
        .expect("run pip");
    assert!(
        install.status.success(),
        "could not install anki=={version} from PyPI into {}; the real-Anki tests need the \
         package registry (set NOTES2ANKI_SKIP_ANKI=1 to skip them).\n{}",
        dir.display(),
        String::from_utf8_lossy(&install.stderr)
    );
    std::fs::write(&marker, version).expect("write marker");
    python
}

/// Imports the packages, in order, into one fresh collection and returns its contents.
fn import(importer: Importer, packages: &[&Path]) -> Value {
    let python = python(importer.version());
    let work = tempfile::tempdir().expect("tempdir");
    let tmp = work.path().join("tmp");
    std::fs::create_dir(&tmp).expect("mkdir");
    let out = Command::new(python)
        // Anki unpacks packages into `$TMPDIR/anki_temp` and deletes it at exit: one
        // TMPDIR per process keeps concurrent tests from pulling files from under each other.
        .env("TMPDIR", &tmp)
        .arg(root().join("tests/anki/import_check.py"))
        .arg(importer.mode())
        .arg(work.path().join("collection"))
        .args(packages)
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

fn notes_by_guid(collection: &Value) -> BTreeMap<String, Value> {
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

fn str_of(v: &Value) -> &str {
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
    let images = fixture("images");
    let tmp = tempfile::tempdir().expect("tmp");
    let package = tmp.path().join("images.apkg");
    let out = run(&images, &["build", "-o", package.to_str().unwrap_or("")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("4 media files"), "{}", stderr(&out));
    let expected = cards_json(&run(&images, &["cards"]));
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
    let directives = fixture("directives");
    let tmp = tempfile::tempdir().expect("tmp");
    let package = tmp.path().join("d.apkg");
    let out = run(
        &directives,
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

#[test]
fn rebuilding_after_an_edit_updates_the_same_notes() {
    if skipped("rebuilding_after_an_edit_updates_the_same_notes") {
        return;
    }
    let dir = seed_project();
    let first = build(dir.path(), &["notes"]);
    let kept = dir.path().join("first.apkg");
    std::fs::rename(&first, &kept).expect("rename");
    let path = dir.path().join("notes/techstock.md");
    let text = std::fs::read_to_string(&path).expect("read");
    let edited = text.replace(
        "- syslog: 稼働しているプログラムのログを、効率的に収集し記録する",
        "- syslog: ログを収集する仕組み（編集済み）",
    );
    assert_ne!(text, edited);
    std::fs::write(&path, edited).expect("write");
    let later = notes2anki(dir.path())
        .env("SOURCE_DATE_EPOCH", "1795700100")
        .args(["build", "-o", "second.apkg"])
        .output()
        .expect("build");
    assert!(later.status.success(), "{}", stderr(&later));
    let second = dir.path().join("second.apkg");
    for importer in BOTH {
        let col = import(importer, &[&kept, &second]);
        let notes = col["notes"].as_array().expect("notes");
        assert_eq!(notes.len(), 108, "{importer:?}: no duplicates");
        let syslog = notes
            .iter()
            .find(|n| n["fields"]["Term"] == "syslog")
            .expect("syslog");
        assert_eq!(
            syslog["fields"]["Definition"], "ログを収集する仕組み（編集済み）",
            "{importer:?}"
        );
        if let Importer::Current = importer {
            assert_eq!(col["imports"][1]["updated"], 108, "{}", col["imports"]);
            assert_eq!(col["imports"][1]["new"], 0);
        }
    }
}
