//! The schema-11 `collection.anki2` SQLite database, written through SQLite itself.
//!
//! Anki's column names are explained where they are written: `usn` = update sequence
//! number (-1: not yet synced), `sfld` = sort field, `csum` = first-field checksum,
//! `ord` = template index, `due` = position among new cards.

use std::borrow::Cow;

use rusqlite::{params, Connection, Transaction};
use serde_json::{json, Value};
use sha1::{Digest, Sha1};

use super::{notetype, Deck};
use crate::Note;

/// The tables of Anki's schema 11 (each statement on one line: SQLite keeps its text).
const TABLES: &str = "\
CREATE TABLE col (id integer primary key, crt integer not null, mod integer not null, \
  scm integer not null, ver integer not null, dty integer not null, usn integer not null, \
  ls integer not null, conf text not null, models text not null, decks text not null, \
  dconf text not null, tags text not null);
CREATE TABLE notes (id integer primary key, guid text not null, mid integer not null, \
  mod integer not null, usn integer not null, tags text not null, flds text not null, \
  sfld integer not null, csum integer not null, flags integer not null, data text not null);
CREATE TABLE cards (id integer primary key, nid integer not null, did integer not null, \
  ord integer not null, mod integer not null, usn integer not null, type integer not null, \
  queue integer not null, due integer not null, ivl integer not null, \
  factor integer not null, reps integer not null, lapses integer not null, \
  left integer not null, odue integer not null, odid integer not null, \
  flags integer not null, data text not null);
CREATE TABLE revlog (id integer primary key, cid integer not null, usn integer not null, \
  ease integer not null, ivl integer not null, lastIvl integer not null, \
  factor integer not null, time integer not null, type integer not null);
CREATE TABLE graves (usn integer not null, oid integer not null, type integer not null);
";

/// Its indexes, made once the rows are in (faster than keeping them up to date row by
/// row). Those on the empty `revlog` are there because Anki's upgrade of a schema-11
/// file expects them.
const INDEXES: &str = "
CREATE INDEX ix_notes_usn on notes (usn);
CREATE INDEX ix_cards_usn on cards (usn);
CREATE INDEX ix_revlog_usn on revlog (usn);
CREATE INDEX ix_cards_nid on cards (nid);
CREATE INDEX ix_cards_sched on cards (did, queue, due);
CREATE INDEX ix_revlog_cid on revlog (cid);
CREATE INDEX ix_notes_csum on notes (csum);
";

/// A file written once and read once: no journal, no syncing (the package is synced
/// once zipped), and an 8 MiB page cache.
const PRAGMAS: &str = "
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -8192;
";

/// genanki's collection creation time; only matters for imports with scheduling.
const CREATED: i64 = 1_411_124_400;

/// Writes the collection into the empty database `db`. `deck_ids` are the notes' decks
/// (by note); `notetype_mod` is the note type's `mod` in seconds.
pub(super) fn write(
    db: &mut Connection,
    notes: &[Note],
    deck_ids: &[i64],
    decks: &[Deck],
    notetype_mod: i64,
    extra_css: &str,
) -> rusqlite::Result<()> {
    db.execute_batch(PRAGMAS)?;
    let tx = db.transaction()?;
    tx.execute_batch(TABLES)?;
    insert_col(&tx, notes, decks, notetype_mod, extra_css)?;
    insert_notes(&tx, notes)?;
    insert_cards(&tx, notes, deck_ids)?;
    tx.execute_batch(INDEXES)?;
    tx.commit()
}

fn insert_col(
    tx: &Transaction<'_>,
    notes: &[Note],
    decks: &[Deck],
    notetype_mod: i64,
    extra_css: &str,
) -> rusqlite::Result<()> {
    // The collection's own `mod`: from the data, never the clock, so unchanged notes
    // give unchanged bytes.
    let modified = notes
        .iter()
        .map(|n| n.ids.mod_secs)
        .max()
        .unwrap_or(0)
        .max(notetype_mod)
        * 1000;
    let default_deck = decks.first().map_or(1, |d| d.id);
    let models = json!({
        notetype::ID.to_string(): notetype::json(default_deck, notetype_mod, extra_css)
    });
    tx.execute(
        "INSERT INTO col VALUES (1, ?1, ?2, ?2, 11, 0, 0, 0, ?3, ?4, ?5, ?6, '{}')",
        params![
            CREATED,
            modified,
            conf_json().to_string(),
            models.to_string(),
            decks_json(decks).to_string(),
            dconf_json().to_string(),
        ],
    )?;
    Ok(())
}

/// The notes, in rowid order (SQLite appends to the tree instead of splitting pages).
fn insert_notes(tx: &Transaction<'_>, notes: &[Note]) -> rusqlite::Result<()> {
    let mut by_id: Vec<&Note> = notes.iter().collect();
    by_id.sort_unstable_by_key(|n| n.ids.note_id);
    let mut insert =
        tx.prepare("INSERT INTO notes VALUES (?1, ?2, ?3, ?4, -1, ?5, ?6, ?7, ?8, 0, '')")?;
    for note in by_id {
        let sort_field = strip_html(note.term());
        insert.execute(params![
            note.ids.note_id,
            note.ids.guid,
            notetype::ID,
            note.ids.mod_secs,
            tags_column(note.tags()),
            note.fields().join("\u{1f}"),
            // `sfld` is declared integer: SQLite stores a numeric term as a number, as
            // Anki's own writes do.
            sort_field,
            checksum(&sort_field),
        ])?;
    }
    Ok(())
}

/// Anki's tags column: space-separated, with a space on each side.
fn tags_column(tags: &[String]) -> String {
    if tags.is_empty() {
        String::new()
    } else {
        format!(" {} ", tags.join(" "))
    }
}

/// One card per template a note uses, in rowid order; new cards are due in the order
/// of the notes.
fn insert_cards(tx: &Transaction<'_>, notes: &[Note], deck_ids: &[i64]) -> rusqlite::Result<()> {
    let mut cards: Vec<(i64, usize, usize)> = notes
        .iter()
        .enumerate()
        .flat_map(|(n, note)| {
            let ids = note.ids.card_ids.iter().enumerate();
            ids.map(move |(ord, &id)| (id, n, ord))
        })
        .collect();
    cards.sort_unstable();
    let mut insert = tx.prepare(
        "INSERT INTO cards VALUES (?1, ?2, ?3, ?4, ?5, -1, 0, 0, ?6, 0, 0, 0, 0, 0, 0, 0, 0, '')",
    )?;
    for (id, n, ord) in cards {
        let note = &notes[n];
        insert.execute(params![
            id,
            note.ids.note_id,
            deck_ids[n],
            ord as i64,
            note.ids.mod_secs,
            n as i64 + 1,
        ])?;
    }
    Ok(())
}

/// `csum`: the first 4 bytes of the SHA-1 of the stripped first field, big-endian.
fn checksum(text: &str) -> u32 {
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
