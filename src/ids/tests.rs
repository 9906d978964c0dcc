use super::*;
use crate::lock::{Entry, NotetypeEntry};

const NOW: i64 = 1_795_700_000;

fn key(context: &str, term: &str, definition: &str) -> CardKey {
    CardKey {
        deck: "D".into(),
        place: std::sync::Arc::from(Vec::new()),
        context: context.into(),
        term: term.into(),
        pinned: None,
        file: "a.md".into(),
        definition: crate::note::hash_parts([definition]),
        content: crate::note::hash_parts([context, term, definition]),
        tags: crate::note::hash_parts([""]),
        media: crate::note::hash_parts([""]),
        templates: 1,
        location: Location {
            path: std::path::Path::new("notes/a.md").into(),
            line: 1,
            col: 1,
        },
    }
}

fn files() -> std::collections::BTreeSet<String> {
    ["a.md".to_string()].into_iter().collect()
}

/// Builds, then returns the lock that build writes.
fn build(cards: &[CardKey], lock: Option<&Lock>, now: i64) -> (Assignment, Lock) {
    let a = assign(cards, lock, &files(), now);
    let lock = Lock {
        notetype: NotetypeEntry {
            hash: "h".into(),
            mod_secs: 1,
        },
        entries: lock_entries(cards.to_vec(), &a),
        ..Lock::default()
    };
    (a, lock)
}

fn changes(a: &Assignment) -> Vec<Change> {
    a.cards.iter().map(|c| c.change.clone()).collect()
}

#[test]
fn a_first_build_adds_everything_with_ids_at_most_now() {
    let cards = [key("", "A", "a"), key("A", "B", "b")];
    let (a, _) = build(&cards, None, NOW);
    assert_eq!(changes(&a), vec![Change::Added, Change::Added]);
    assert_eq!(a.cards[0].guid, identity::guid("D", "", "A"));
    assert_eq!(a.cards[1].guid, identity::guid("D", "A", "B"));
    let ids: Vec<i64> = a
        .cards
        .iter()
        .flat_map(|c| std::iter::once(c.note_id).chain(c.card_ids.clone()))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert!(ids.iter().all(|&id| id <= NOW * 1000));
    assert!(a.cards.iter().all(|c| c.mod_secs == NOW));
}

#[test]
fn an_unchanged_rebuild_keeps_everything() {
    let cards = [key("", "A", "a"), key("A", "B", "b")];
    let (first, lock) = build(&cards, None, NOW);
    let (second, lock2) = build(&cards, Some(&lock), NOW + 500);
    assert_eq!(changes(&second), vec![Change::Unchanged, Change::Unchanged]);
    assert_eq!(first.cards, {
        let mut c = second.cards.clone();
        for x in &mut c {
            x.change = Change::Added;
        }
        c
    });
    assert_eq!(lock, lock2);
}

#[test]
fn an_edit_in_the_same_second_still_moves_mod_forward() {
    let (_, lock) = build(&[key("", "A", "a")], None, NOW);
    let (a, _) = build(&[key("", "A", "edited")], Some(&lock), NOW);
    let definition = vec!["definition"];
    assert_eq!(a.cards[0].change, Change::Updated { what: definition });
    assert_eq!(a.cards[0].mod_secs, NOW + 1);
    // A clock behind the one that wrote the lock.
    let (a, _) = build(&[key("", "A", "edited")], Some(&lock), NOW - 3600);
    assert_eq!(a.cards[0].mod_secs, NOW + 1);
    // A later clock wins.
    let (a, _) = build(&[key("", "A", "edited")], Some(&lock), NOW + 60);
    assert_eq!(a.cards[0].mod_secs, NOW + 60);
}

#[test]
fn renames_and_moves_keep_their_guid() {
    let before = [
        key("", "Parent", "p"),
        key("Parent", "Child", "c"),
        key("", "Term", "t"),
    ];
    let (first, lock) = build(&before, None, NOW);
    let after = [
        key("", "Parent renamed", "p"),
        key("Parent renamed", "Child", "c"),
        key("", "Term fixed", "t"),
    ];
    let (a, _) = build(&after, Some(&lock), NOW);
    assert_eq!(
        changes(&a),
        vec![
            Change::Renamed {
                from: "Parent".into()
            },
            Change::Moved {
                from: "D › Parent".into()
            },
            Change::Renamed {
                from: "Term".into()
            },
        ]
    );
    for (x, y) in first.cards.iter().zip(&a.cards) {
        assert_eq!((&x.guid, x.note_id), (&y.guid, y.note_id));
        assert_eq!(y.mod_secs, NOW + 1);
    }
    assert!(a.removed.is_empty());
}

#[test]
fn a_rename_with_an_edited_definition_is_a_new_card() {
    let (first, lock) = build(&[key("", "Old", "x")], None, NOW);
    let (a, _) = build(&[key("", "New", "y")], Some(&lock), NOW);
    assert_eq!(changes(&a), vec![Change::Added]);
    assert_eq!(a.removed.len(), 1);
    assert_eq!(a.removed[0].guid, first.cards[0].guid);
}

#[test]
fn ambiguous_renames_are_not_guessed() {
    let (_, lock) = build(&[key("", "A", "same"), key("", "B", "same")], None, NOW);
    let (a, _) = build(
        &[key("", "C", "same"), key("", "D", "same")],
        Some(&lock),
        NOW,
    );
    assert_eq!(changes(&a), vec![Change::Added, Change::Added]);
    assert_eq!(a.removed.len(), 2);
}

#[test]
fn entries_of_files_not_built_are_kept() {
    let mut other = key("", "Elsewhere", "e");
    other.file = "b.md".into();
    let all: std::collections::BTreeSet<String> = ["a.md".to_string(), "b.md".to_string()].into();
    let a = assign(&[key("", "A", "a"), other.clone()], None, &all, NOW);
    let lock = Lock {
        notetype: NotetypeEntry {
            hash: "h".into(),
            mod_secs: 1,
        },
        entries: lock_entries(vec![key("", "A", "a"), other], &a),
        ..Lock::default()
    };
    let (b, lock2) = build(&[key("", "A", "a")], Some(&lock), NOW);
    assert!(b.removed.is_empty());
    assert_eq!(b.kept.len(), 1);
    assert_eq!(lock2.entries.len(), 2);
}

#[test]
fn the_card_in_the_lock_keeps_its_guid_and_the_newcomer_gets_another() {
    let (first, lock) = build(&[key("", "T", "old")], None, NOW);
    // The newcomer comes first in the notes, with another definition.
    let mut newcomer = key("", "T", "new one");
    newcomer.location.line = 5;
    let mut old = key("", "T", "old");
    old.location.line = 9;
    let (a, _) = build(&[newcomer, old], Some(&lock), NOW);
    assert_eq!(a.cards[1].guid, first.cards[0].guid);
    assert_eq!(a.cards[1].change, Change::Unchanged);
    assert_ne!(a.cards[0].guid, first.cards[0].guid);
    assert_eq!(a.cards[0].change, Change::Added);
    assert_eq!(a.diagnostics.len(), 1);
    assert_eq!(a.diagnostics[0].code, "duplicate-card");
    // The warning is on the newcomer and names where the kept card is.
    assert_eq!(a.diagnostics[0].line, 5);
    assert!(a.diagnostics[0].message.contains("notes/a.md:9"));
}

#[test]
fn a_pinned_card_survives_any_edit() {
    let mut before = key("", "Old", "x");
    before.pinned = Some("p1".into());
    let (first, lock) = build(&[before], None, NOW);
    assert_eq!(first.cards[0].guid, identity::pinned_guid("D", "p1"));
    let mut after = key("Somewhere", "New", "y");
    after.pinned = Some("p1".into());
    let (a, _) = build(&[after], Some(&lock), NOW);
    assert_eq!(a.cards[0].guid, first.cards[0].guid);
    assert_eq!(a.cards[0].note_id, first.cards[0].note_id);
    assert!(matches!(a.cards[0].change, Change::Updated { .. }));
}

#[test]
fn a_new_card_never_takes_a_guid_the_lock_holds() {
    // A was renamed to B (keeping A's guid); now a new card named A appears.
    let (first, lock) = build(&[key("", "A", "x")], None, NOW);
    let (_, lock) = build(&[key("", "B", "x")], Some(&lock), NOW);
    let (a, _) = build(&[key("", "B", "x"), key("", "A", "new")], Some(&lock), NOW);
    assert_eq!(a.cards[0].guid, first.cards[0].guid);
    assert_ne!(a.cards[1].guid, first.cards[0].guid);
    assert!(a.diagnostics.is_empty());
}

#[test]
fn a_reverse_card_added_later_gets_a_new_card_id() {
    let (first, lock) = build(&[key("", "A", "a")], None, NOW);
    let mut reversed = key("", "A", "a");
    reversed.templates = 2;
    reversed.content = crate::note::hash_parts(["", "A", "a", "reverse"]);
    let (a, _) = build(&[reversed], Some(&lock), NOW);
    assert_eq!(a.cards[0].card_ids[0], first.cards[0].card_ids[0]);
    assert_eq!(a.cards[0].card_ids.len(), 2);
    let what = vec!["reverse card"];
    assert_eq!(a.cards[0].change, Change::Updated { what });
}

#[test]
fn two_cards_with_one_pinned_id_warn() {
    let mut a = key("", "A", "a");
    a.pinned = Some("same".into());
    let mut b = key("", "B", "b");
    b.pinned = Some("same".into());
    b.location.line = 4;
    let (x, _) = build(&[a, b], None, NOW);
    assert_ne!(x.cards[0].guid, x.cards[1].guid);
    assert_eq!(x.diagnostics.len(), 1);
    assert_eq!(x.diagnostics[0].line, 4);
    assert!(x.diagnostics[0].message.contains("id=same"));
}

/// The lock entries after this build: one per card, plus the kept entries of files
/// this build did not read.
fn lock_entries(cards: Vec<CardKey>, assignment: &Assignment) -> Vec<Entry> {
    let mut entries: Vec<Entry> = cards
        .into_iter()
        .zip(&assignment.cards)
        .map(|(card, a)| Entry {
            guid: a.guid.clone(),
            file: card.file,
            deck: card.deck,
            context: card.context,
            term: card.term,
            definition: card.definition,
            content: card.content,
            note_id: a.note_id,
            card_ids: a.card_ids.clone(),
            mod_secs: a.mod_secs,
            tags: Some(card.tags),
            media: Some(card.media),
        })
        .chain(assignment.kept.iter().cloned())
        .collect();
    entries.sort_by(|a, b| a.guid.cmp(&b.guid));
    entries
}

#[test]
fn new_ids_never_reuse_the_locks_ids() {
    // Built in the same second as the lock: the newest ids are the lock's own. Both a
    // reverse card alone (no new note) and new notes besides need fresh ids.
    let (first, lock) = build(&[key("", "A", "a"), key("", "B", "b")], None, NOW);
    let old: Vec<i64> = first
        .cards
        .iter()
        .flat_map(|c| std::iter::once(c.note_id).chain(c.card_ids.clone()))
        .collect();
    let mut reversed = key("", "A", "a");
    reversed.templates = 2;
    reversed.content = crate::note::hash_parts(["", "A", "a", "reverse"]);
    for (cards, fresh) in [
        (vec![reversed.clone(), key("", "B", "b")], 1),
        (
            vec![
                reversed,
                key("", "B", "b"),
                key("", "C", "c"),
                key("", "D", "d"),
            ],
            5,
        ),
    ] {
        let (a, _) = build(&cards, Some(&lock), NOW);
        let mut all: Vec<i64> = a
            .cards
            .iter()
            .flat_map(|c| std::iter::once(c.note_id).chain(c.card_ids.clone()))
            .collect();
        let new = all.iter().filter(|id| !old.contains(id)).count();
        // Kept: A's note and card, B's note and card; new: A's reverse card (and C's
        // and D's notes and cards).
        assert_eq!(new, fresh, "{all:?} against {old:?}");
        let count = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), count, "an id given twice");
        assert!(all.iter().all(|&id| id <= NOW * 1000));
    }
}
