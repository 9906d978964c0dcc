//! Decks imported from builds of notes2anki 0.1 (fixtures/upgrade, made before the
//! fronts, Obsidian and precision rules) keep updating in place after an upgrade.

use std::path::Path;

use serde_json::Value;

use crate::anki::{import, notes_by_guid, skipped, str_of, Importer, BOTH};
use crate::support::*;

/// A project holding `note` as `notes/<name>`, and the 0.1 lock beside it when asked.
fn project(note: &Path, lock: Option<&Path>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("notes")).expect("mkdir");
    let name = note.file_name().expect("file name");
    std::fs::copy(note, dir.path().join("notes").join(name)).expect("copy note");
    if let Some(lock) = lock {
        std::fs::copy(lock, dir.path().join("notes/notes2anki.lock")).expect("copy lock");
    }
    dir
}

/// Builds the project; returns the package and the report.
fn rebuild(dir: &Path) -> (std::path::PathBuf, String) {
    let out = run(dir, &["build", "--offline", "-o", "new.apkg"]);
    assert!(out.status.success(), "{}", stderr(&out));
    (dir.join("new.apkg"), stderr(&out))
}

/// The second import's counts (the current importer), and the notes in the end.
fn second_import(importer: Importer, col: &Value) -> (Option<&Value>, usize) {
    let notes = col["notes"].as_array().map_or(0, Vec::len);
    let log = (importer == Importer::Current).then(|| &col["imports"][1]);
    (log, notes)
}

#[test]
fn a_seed_deck_built_before_the_upgrade_updates_in_place_with_and_without_the_lock() {
    if skipped("a_seed_deck_built_before_the_upgrade_updates_in_place") {
        return;
    }
    let old = fixture("upgrade/techstock/techstock-0.1.apkg");
    let seed = root().join("notes/techstock.md");
    let lock = fixture("upgrade/techstock/techstock-0.1.lock");
    for with_lock in [true, false] {
        let dir = project(&seed, with_lock.then_some(lock.as_path()));
        let (package, report) = rebuild(dir.path());
        if with_lock {
            // Not one card changed: the same 108 guids, the same fields, the same tags.
            assert!(report.contains("changes: 108 unchanged"), "{report}");
        }
        for importer in BOTH {
            let col = import(importer, &[&old, &package]);
            let (log, notes) = second_import(importer, &col);
            assert_eq!(notes, 108, "{importer:?}, lock {with_lock}");
            if let Some(log) = log {
                assert_eq!(log["new"], 0, "{importer:?}, lock {with_lock}: {log}");
                assert_eq!(log["conflicting"], 0, "{log}");
                let updated = if with_lock { 0 } else { 108 };
                assert_eq!(log["updated"], updated, "lock {with_lock}: {log}");
            }
        }
    }
}

#[test]
fn cards_that_shared_a_front_keep_their_notes_through_the_lock() {
    if skipped("cards_that_shared_a_front_keep_their_notes_through_the_lock") {
        return;
    }
    let old = fixture("upgrade/hashing/hashing-0.1.apkg");
    let note = fixture("upgrade/hashing/hashing.md");
    let lock = fixture("upgrade/hashing/hashing-0.1.lock");
    let old_guids: Vec<String> = std::fs::read_to_string(&lock)
        .expect("lock")
        .lines()
        .filter_map(|l| {
            l.split("\"guid\":\"")
                .nth(1)?
                .split('"')
                .next()
                .map(str::to_string)
        })
        .collect();
    assert_eq!(old_guids.len(), 4);

    // With the lock: the two `Output Size` cards now show `MD5 ›` and `SHA-1 ›`; each is
    // the same card moved, and keeps its note.
    let dir = project(&note, Some(&lock));
    let (package, report) = rebuild(dir.path());
    assert!(report.contains("changes: 2 moved, 2 unchanged"), "{report}");
    assert!(!report.contains("duplicate-card"), "{report}");
    let cards = cards_json(&run(dir.path(), &["cards"]));
    let mut new_guids: Vec<&str> = cards.iter().map(|c| str_of(&c["guid"])).collect();
    new_guids.sort_unstable();
    let mut sorted_old: Vec<&str> = old_guids.iter().map(String::as_str).collect();
    sorted_old.sort_unstable();
    assert_eq!(new_guids, sorted_old);
    for importer in BOTH {
        let col = import(importer, &[&old, &package]);
        let (log, notes) = second_import(importer, &col);
        assert_eq!(notes, 4, "{importer:?}");
        if let Some(log) = log {
            assert_eq!(
                (&log["new"], &log["updated"]),
                (&0.into(), &2.into()),
                "{log}"
            );
        }
        let by_guid = notes_by_guid(&col);
        let contexts: Vec<&str> = cards
            .iter()
            .map(|c| str_of(&by_guid[str_of(&c["guid"])]["fields"]["Context"]))
            .collect();
        assert_eq!(contexts, ["MD5", "", "SHA-1", ""], "{importer:?}");
    }

    // Without it, the cards whose front was unique still find their notes; the two that
    // shared one are new notes (docs/reference.md's upgrade notes say so).
    let dir = project(&note, None);
    let (package, _) = rebuild(dir.path());
    let col = import(Importer::Current, &[&old, &package]);
    assert_eq!(col["imports"][1]["new"], 2, "{}", col["imports"][1]);
    assert_eq!(col["imports"][1]["updated"], 2, "{}", col["imports"][1]);
}
