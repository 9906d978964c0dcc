//! The schema-11 `collection.anki2` SQLite database.
//!
//! Anki's column names are explained where they are written: `usn` = update sequence
//! number (-1: not yet synced), `sfld` = sort field, `csum` = first-field checksum,
//! `ord` = template index, `due` = position among new cards.

use std::borrow::Cow;

use serde_json::{json, Value};
use sha1::{Digest, Sha1};

use super::notetype;
use super::sqlite::{IntEntry, Object, Payload, Record, WriteError, Writer};
use super::{Deck, Notes};

/// Anki's schema 11, in the order SQLite's own schema table would list it. Indexes on
/// the empty `revlog` are there because Anki's upgrade of a schema-11 file expects them.
pub(super) const SCHEMA: [Object; 12] = [
    table(
        "col",
        "CREATE TABLE col (id integer primary key, crt integer not null, \
         mod integer not null, scm integer not null, ver integer not null, \
         dty integer not null, usn integer not null, ls integer not null, \
         conf text not null, models text not null, decks text not null, \
         dconf text not null, tags text not null)",
    ),
    table(
        "notes",
        "CREATE TABLE notes (id integer primary key, guid text not null, \
         mid integer not null, mod integer not null, usn integer not null, \
         tags text not null, flds text not null, sfld integer not null, \
         csum integer not null, flags integer not null, data text not null)",
    ),
    table(
        "cards",
        "CREATE TABLE cards (id integer primary key, nid integer not null, \
         did integer not null, ord integer not null, mod integer not null, \
         usn integer not null, type integer not null, queue integer not null, \
         due integer not null, ivl integer not null, factor integer not null, \
         reps integer not null, lapses integer not null, left integer not null, \
         odue integer not null, odid integer not null, flags integer not null, \
         data text not null)",
    ),
    table(
        "revlog",
        "CREATE TABLE revlog (id integer primary key, cid integer not null, \
         usn integer not null, ease integer not null, ivl integer not null, \
         lastIvl integer not null, factor integer not null, time integer not null, \
         type integer not null)",
    ),
    table(
        "graves",
        "CREATE TABLE graves (usn integer not null, oid integer not null, \
         type integer not null)",
    ),
    index(
        "ix_notes_usn",
        "notes",
        "CREATE INDEX ix_notes_usn on notes (usn)",
    ),
    index(
        "ix_cards_usn",
        "cards",
        "CREATE INDEX ix_cards_usn on cards (usn)",
    ),
    index(
        "ix_revlog_usn",
        "revlog",
        "CREATE INDEX ix_revlog_usn on revlog (usn)",
    ),
    index(
        "ix_cards_nid",
        "cards",
        "CREATE INDEX ix_cards_nid on cards (nid)",
    ),
    index(
        "ix_cards_sched",
        "cards",
        "CREATE INDEX ix_cards_sched on cards (did, queue, due)",
    ),
    index(
        "ix_revlog_cid",
        "revlog",
        "CREATE INDEX ix_revlog_cid on revlog (cid)",
    ),
    index(
        "ix_notes_csum",
        "notes",
        "CREATE INDEX ix_notes_csum on notes (csum)",
    ),
];

const fn table(name: &'static str, sql: &'static str) -> Object {
    Object {
        kind: "table",
        name,
        table: name,
        sql,
    }
}

const fn index(name: &'static str, table: &'static str, sql: &'static str) -> Object {
    Object {
        kind: "index",
        name,
        table,
        sql,
    }
}

/// genanki's collection creation time; only matters for imports with scheduling.
const CREATED: i64 = 1_411_124_400;

/// Everything the collection's pages are made from, computed once for both passes.
struct Prepared<'n> {
    col: Vec<u8>,
    notes: &'n dyn Notes,
    /// The notes in rowid order.
    by_id: Vec<NoteRow>,
    cards: Vec<CardRow>,
    /// The orders of the indexes not in rowid order: positions in `cards` by (note id,
    /// card id) and by (deck, due, card id); in `by_id` by (checksum, note id). An index
    /// entry is made from its row when it is written, twice, rather than kept encoded.
    cards_by_note: Vec<u32>,
    cards_by_sched: Vec<u32>,
    notes_by_csum: Vec<u32>,
}

/// Writes the collection (a schema-11 database file) to `out`, as a stream.
pub fn write(
    out: &mut dyn std::io::Write,
    notes: &dyn Notes,
    decks: &[Deck],
    notetype_mod: i64,
    extra_css: &str,
) -> Result<(), WriteError> {
    let prepared = prepare(notes, decks, notetype_mod, extra_css);
    let mut planner = Writer::plan(&SCHEMA);
    write_pages(&mut planner, &prepared, true)?;
    let plan = planner.into_plan()?;
    let mut db = Writer::stream(out, &SCHEMA, plan)?;
    write_pages(&mut db, &prepared, false)?;
    db.finish()
}

fn prepare<'n>(
    notes: &'n dyn Notes,
    decks: &[Deck],
    notetype_mod: i64,
    extra_css: &str,
) -> Prepared<'n> {
    let mut record = Record::default();
    let col = col_row(notes, decks, notetype_mod, extra_css);
    record.null();
    for v in [col.crt, col.modified, col.modified, 11, 0, 0, 0] {
        record.int(v);
    }
    for text in [&col.conf, &col.models, &col.decks, &col.dconf, "{}"] {
        record.text(text);
    }
    let col = record.bytes().to_vec();

    // Rows go in rowid order; the new-card position (`due`) stays the notes' order.
    let indexes: Vec<u32> = (0..notes.count() as u32).collect();
    let mut by_id = crate::par::map(&indexes, |_, &i| {
        let note = notes.note(i as usize);
        let sfld = strip_html(note.fields[0]);
        let csum = checksum(&sfld);
        // Usually the first field is its own text: then it is not kept twice.
        let sfld = (sfld != note.fields[0]).then(|| Box::<str>::from(sfld));
        (note.numbers.id, i, csum, sfld)
    });
    drop(indexes);
    by_id.sort_unstable_by_key(|n| n.0);
    let count = by_id
        .iter()
        .map(|&(_, i, ..)| notes.numbers(i as usize).card_ids.len())
        .sum();
    let mut cards: Vec<CardRow> = Vec::with_capacity(count);
    for &(_, i, ..) in &by_id {
        let ids = notes.numbers(i as usize).card_ids;
        cards.extend(ids.iter().enumerate().map(|(ord, &id)| CardRow {
            id,
            note: i,
            ord: ord as u32,
        }));
    }
    cards.sort_unstable_by_key(|c| c.id);
    let cards_by_note = sorted_order(&cards, |c| nid_entry(notes, c));
    let cards_by_sched = sorted_order(&cards, |c| sched_entry(notes, c));
    let notes_by_csum = sorted_order(&by_id, csum_entry);
    Prepared {
        col,
        notes,
        by_id,
        cards,
        cards_by_note,
        cards_by_sched,
        notes_by_csum,
    }
}

/// Writes (or, when `planning`, counts) every page after page 1.
fn write_pages(db: &mut Writer<'_>, p: &Prepared<'_>, planning: bool) -> Result<(), WriteError> {
    let mut table = db.table("col")?;
    table.push(1, Payload::Bytes(&p.col))?;
    table.finish()?;

    // Planning needs only each row's size: the values are measured, never copied.
    let mut record = if planning {
        Record::measuring()
    } else {
        Record::default()
    };
    let mut table = db.table("notes")?;
    for (_, i, csum, sfld) in &p.by_id {
        let note = p.notes.note(*i as usize);
        record.clear();
        record.null();
        record.text(note.guid);
        record.int(notetype::ID);
        record.int(note.numbers.mod_secs);
        record.int(-1);
        if note.tags.is_empty() {
            record.text("");
        } else {
            record.text_parts(&[" ", &note.tags.join(" "), " "]);
        }
        record.text_joined(&note.fields, "\u{1f}");
        record.numeric_text(sfld.as_deref().unwrap_or(note.fields[0]));
        record.int(i64::from(*csum));
        record.int(0);
        record.text("");
        table.push(note.numbers.id, payload_of(&mut record, planning))?;
    }
    table.finish()?;

    let mut table = db.table("cards")?;
    for card in &p.cards {
        let note = p.notes.numbers(card.note as usize);
        record.clear();
        record.null();
        for v in [
            note.id,
            note.deck_id,
            i64::from(card.ord),
            note.mod_secs,
            -1,
            0,
            0,
            note.due,
        ] {
            record.int(v);
        }
        for _ in 0..8 {
            record.int(0); // ivl, factor, reps, lapses, left, odue, odid, flags
        }
        record.text("");
        table.push(card.id, payload_of(&mut record, planning))?;
    }
    table.finish()?;
    db.table("revlog")?.finish()?;
    db.table("graves")?.finish()?;
    // In the schema's order.
    let no_entries = || std::iter::empty::<IntEntry>();
    let card = |c: &u32| &p.cards[*c as usize];
    db.index(
        "ix_notes_usn",
        p.by_id.iter().map(|n| IntEntry::new([-1, n.0])),
    )?;
    db.index(
        "ix_cards_usn",
        p.cards.iter().map(|c| IntEntry::new([-1, c.id])),
    )?;
    db.index("ix_revlog_usn", no_entries())?;
    db.index(
        "ix_cards_nid",
        p.cards_by_note
            .iter()
            .map(card)
            .map(|c| IntEntry::new(nid_entry(p.notes, c))),
    )?;
    db.index(
        "ix_cards_sched",
        p.cards_by_sched
            .iter()
            .map(card)
            .map(|c| IntEntry::new(sched_entry(p.notes, c))),
    )?;
    db.index("ix_revlog_cid", no_entries())?;
    db.index(
        "ix_notes_csum",
        p.notes_by_csum
            .iter()
            .map(|&i| IntEntry::new(csum_entry(&p.by_id[i as usize]))),
    )?;
    Ok(())
}

// The entries of the indexes not in rowid order, made from their rows: the values
// SQLite stores, which also give the order `prepare` sorts them in.

/// `ix_cards_nid` (`nid`).
fn nid_entry(notes: &dyn Notes, card: &CardRow) -> [i64; 2] {
    [notes.numbers(card.note as usize).id, card.id]
}

/// `ix_cards_sched` (`did, queue, due`; every card is new: queue 0).
fn sched_entry(notes: &dyn Notes, card: &CardRow) -> [i64; 4] {
    let note = notes.numbers(card.note as usize);
    [note.deck_id, 0, note.due, card.id]
}

/// `ix_notes_csum` (`csum`).
fn csum_entry(note: &NoteRow) -> [i64; 2] {
    [i64::from(note.2), note.0]
}

/// A note in rowid order: id, index in `Prepared::notes`, checksum, sort field (if not
/// the first field itself).
type NoteRow = (i64, u32, u32, Option<Box<str>>);

/// A card row's variable columns.
struct CardRow {
    id: i64,
    /// The note's index in `Prepared::notes`.
    note: u32,
    /// Template index.
    ord: u32,
}

/// A row as the pass wants it: only its length when planning.
fn payload_of(record: &mut Record, planning: bool) -> Payload<'_> {
    if planning {
        Payload::Len(record.size())
    } else {
        Payload::Bytes(record.bytes())
    }
}

/// Positions of `rows` in the order of their keys (integers, compared as SQLite
/// compares an index's entries; each key ends with a rowid, so none is equal).
fn sorted_order<R, const N: usize>(rows: &[R], key: impl Fn(&R) -> [i64; N]) -> Vec<u32> {
    let mut keyed: Vec<([i64; N], u32)> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (key(r), i as u32))
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// The `col` row's values.
pub(super) struct ColRow {
    pub crt: i64,
    /// Milliseconds.
    pub modified: i64,
    pub conf: String,
    pub models: String,
    pub decks: String,
    pub dconf: String,
}

pub(super) fn col_row(
    notes: &dyn Notes,
    decks: &[Deck],
    notetype_mod: i64,
    extra_css: &str,
) -> ColRow {
    // The collection's own `mod`: from the data, never the clock, so unchanged notes
    // give unchanged bytes.
    let modified = (0..notes.count())
        .map(|i| notes.numbers(i).mod_secs)
        .max()
        .unwrap_or(0)
        .max(notetype_mod);
    let default_deck = decks.first().map_or(1, |d| d.id);
    ColRow {
        crt: CREATED,
        modified: modified * 1000,
        conf: conf_json().to_string(),
        models: json!({ notetype::ID.to_string(): notetype::json(default_deck, notetype_mod, extra_css) })
            .to_string(),
        decks: decks_json(decks).to_string(),
        dconf: dconf_json().to_string(),
    }
}

/// `csum`: the first 4 bytes of the SHA-1 of the stripped first field, big-endian.
pub(super) fn checksum(text: &str) -> u32 {
    let digest = Sha1::digest(text.as_bytes());
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Text of an HTML field, as Anki's sort field holds it; borrowed when the field is
/// plain text (most first fields are: then nothing is allocated).
pub fn strip_html(html: &str) -> Cow<'_, str> {
    let text = if html.contains('<') {
        Cow::Owned(crate::parse::text_outside_tags(html))
    } else {
        Cow::Borrowed(html)
    };
    if !text.contains('&') {
        return match text {
            Cow::Borrowed(text) => Cow::Borrowed(text.trim()),
            Cow::Owned(text) => Cow::Owned(text.trim().to_string()),
        };
    }
    Cow::Owned(
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&nbsp;", " ")
            .replace("&amp;", "&")
            .trim()
            .to_string(),
    )
}

fn conf_json() -> Value {
    json!({
        "activeDecks": [1], "addToCur": true, "collapseTime": 1200, "curDeck": 1,
        "curModel": notetype::ID.to_string(), "dueCounts": true, "estTimes": true,
        "newBury": true, "newSpread": 0, "nextPos": 1, "sortBackwards": false,
        "sortType": "noteFld", "timeLim": 0,
    })
}

fn deck_json(id: i64, name: &str, desc: &str) -> Value {
    json!({
        "id": id, "name": name, "desc": desc, "mod": notetype::DECK_MOD, "usn": -1,
        "collapsed": false, "browserCollapsed": false, "dyn": 0, "conf": 1,
        "extendNew": 10, "extendRev": 50,
        "lrnToday": [0, 0], "revToday": [0, 0], "newToday": [0, 0], "timeToday": [0, 0],
    })
}

fn decks_json(decks: &[Deck]) -> Value {
    let mut map = serde_json::Map::new();
    // Legacy clients load the collection with their own loader, which expects Default.
    map.insert("1".into(), deck_json(1, "Default", ""));
    for deck in decks {
        map.insert(deck.id.to_string(), deck_json(deck.id, &deck.name, ""));
    }
    Value::Object(map)
}

/// Anki's default deck options, complete, as genanki writes them for legacy clients.
fn dconf_json() -> Value {
    json!({ "1": {
        "id": 1, "name": "Default", "mod": 0, "usn": 0, "maxTaken": 60,
        "autoplay": true, "timer": 0, "replayq": true, "dyn": false,
        "new": {
            "bury": true, "delays": [1.0, 10.0], "initialFactor": 2500,
            "ints": [1, 4, 7], "order": 1, "perDay": 20, "separate": true,
        },
        "lapse": {
            "delays": [10.0], "leechAction": 0, "leechFails": 8, "minInt": 1, "mult": 0.0,
        },
        "rev": {
            "bury": true, "ease4": 1.3, "fuzz": 0.05, "ivlFct": 1.0, "maxIvl": 36500,
            "minSpace": 1, "perDay": 100,
        },
    }})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apkg::{reference, NoteNumbers, PackageNote};
    use proptest::prelude::*;
    use rusqlite::types::Value as SqlValue;
    use rusqlite::Connection;
    use std::path::Path;

    /// Every object of the schema, and every row of every table with its storage class.
    fn dump(path: &Path) -> Vec<String> {
        let db = Connection::open(path).unwrap();
        let mut out = Vec::new();
        let mut stmt = db
            .prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY rowid")
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                Ok(format!(
                    "{}|{}|{}|{}",
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?
                ))
            })
            .unwrap();
        out.extend(rows.map(Result::unwrap));
        for table in ["col", "notes", "cards", "revlog", "graves"] {
            let mut stmt = db
                .prepare(&format!("SELECT rowid, * FROM {table} ORDER BY rowid"))
                .unwrap();
            let columns = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    let values: Vec<SqlValue> =
                        (0..columns).map(|i| r.get(i)).collect::<Result<_, _>>()?;
                    Ok(format!("{table}: {values:?}"))
                })
                .unwrap();
            out.extend(rows.map(Result::unwrap));
        }
        out
    }

    fn integrity(path: &Path) -> String {
        Connection::open(path)
            .unwrap()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap()
    }

    /// Note ids out of order (as notes inserted into an existing file get them), and
    /// their card ids: one card, or two for every other note.
    fn ids(n: usize) -> Vec<(i64, Vec<i64>)> {
        (0..n as i64)
            .map(|i| {
                let id = 1_700_000_000_000 + (i * 7_919) % 100_003 * 10;
                (id, (0..1 + i % 2).map(|ord| id + 1 + ord).collect())
            })
            .collect()
    }

    /// Notes with these first fields and definitions.
    fn notes_from<'a>(
        terms: &'a [String],
        definitions: &'a [String],
        tags: &'a [String],
        ids: &'a [(i64, Vec<i64>)],
    ) -> Vec<PackageNote<'a>> {
        terms
            .iter()
            .zip(definitions)
            .zip(ids)
            .enumerate()
            .map(|(i, ((term, definition), (id, card_ids)))| {
                let i = i as i64;
                PackageNote {
                    numbers: NoteNumbers {
                        id: *id,
                        mod_secs: 1_700_000_000 + i % 3,
                        deck_id: 1 + i % 2,
                        card_ids,
                        // Notes two apart share deck and position: ties in
                        // `ix_cards_sched`, ordered by card id.
                        due: i / 4 + 1,
                    },
                    guid: term,
                    tags: if i % 2 == 0 { tags } else { &[] },
                    fields: [term, definition, "ctx", "src", term, ""],
                }
            })
            .collect()
    }

    fn same_as_sqlite(notes: &[PackageNote<'_>]) {
        let dir = tempfile::tempdir().unwrap();
        let decks = [
            Deck {
                id: 1 << 52,
                name: "A".into(),
            },
            Deck {
                id: (1 << 52) + 1,
                name: "A::B".into(),
            },
        ];
        let (ours, theirs) = (dir.path().join("ours"), dir.path().join("theirs"));
        let mut file = std::fs::File::create(&ours).unwrap();
        write(&mut file, &notes, &decks, 1_700_000_000, "").unwrap();
        reference::write(&theirs, notes, &decks, 1_700_000_000, "").unwrap();
        assert_eq!(integrity(&ours), "ok");
        let (a, b) = (dump(&ours), dump(&theirs));
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x, y);
        }
    }

    #[test]
    fn collection_matches_the_one_sqlite_writes() {
        // Enough notes for three-level trees, some long enough to spill onto overflow
        // pages, and first fields SQLite's INTEGER affinity turns into numbers.
        let n = 30_000;
        let terms: Vec<String> = (0..n)
            .map(|i| match i % 5 {
                0 => i.to_string(),
                1 => format!("{i}.5"),
                2 => format!("<b>用語</b> {i}"),
                _ => format!("term {i}"),
            })
            .collect();
        let definitions: Vec<String> = (0..n)
            .map(|i| "定義".repeat(if i % 211 == 0 { 3_000 } else { i % 40 }))
            .collect();
        let tags = vec!["Deck::01".to_string(), "x".to_string()];
        same_as_sqlite(&notes_from(&terms, &definitions, &tags, &ids(n)));
        same_as_sqlite(&[]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]
        #[test]
        fn any_notes_match_the_collection_sqlite_writes(
            rows in prop::collection::vec(("[0-9a-z .+e<>-]{0,12}", 0usize..9_000), 0..120)
        ) {
            let terms: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
            let definitions: Vec<String> = rows.iter().map(|r| "d".repeat(r.1)).collect();
            let ids = ids(rows.len());
            same_as_sqlite(&notes_from(&terms, &definitions, &["t".to_string()], &ids));
        }
    }

    #[test]
    fn checksum_matches_anki() {
        // Values from Python: int.from_bytes(hashlib.sha1(s.encode()).digest()[:4], "big").
        assert_eq!(checksum("Term"), 1_997_262_361);
        assert_eq!(checksum("全ての機能"), 3_463_827_488);
    }

    #[test]
    fn strip_html_keeps_text() {
        assert_eq!(strip_html("<b>a</b> &amp; <code>x&lt;y</code>"), "a & x<y");
    }
}
