//! The schema-11 `collection.anki2` SQLite database.
//!
//! Anki's column names are explained where they are written: `usn` = update sequence
//! number (-1: not yet synced), `sfld` = sort field, `csum` = first-field checksum,
//! `ord` = template index, `due` = position among new cards.

use std::path::Path;

use rusqlite::{params, Connection};
use serde_json::{json, Value};
use sha1::{Digest, Sha1};

use super::notetype;
use super::{Deck, PackageNote};

const SCHEMA: &str = "
CREATE TABLE col (
    id integer primary key, crt integer not null, mod integer not null,
    scm integer not null, ver integer not null, dty integer not null,
    usn integer not null, ls integer not null, conf text not null,
    models text not null, decks text not null, dconf text not null, tags text not null
);
CREATE TABLE notes (
    id integer primary key, guid text not null, mid integer not null,
    mod integer not null, usn integer not null, tags text not null,
    flds text not null, sfld integer not null, csum integer not null,
    flags integer not null, data text not null
);
CREATE TABLE cards (
    id integer primary key, nid integer not null, did integer not null,
    ord integer not null, mod integer not null, usn integer not null,
    type integer not null, queue integer not null, due integer not null,
    ivl integer not null, factor integer not null, reps integer not null,
    lapses integer not null, left integer not null, odue integer not null,
    odid integer not null, flags integer not null, data text not null
);
CREATE TABLE revlog (
    id integer primary key, cid integer not null, usn integer not null,
    ease integer not null, ivl integer not null, lastIvl integer not null,
    factor integer not null, time integer not null, type integer not null
);
CREATE TABLE graves (usn integer not null, oid integer not null, type integer not null);
";

/// Indexes whose keys arrive in order as rows are inserted (so each insert appends).
const INDEXES_BEFORE: &str = "
CREATE INDEX ix_notes_usn on notes (usn);
CREATE INDEX ix_cards_usn on cards (usn);
CREATE INDEX ix_revlog_usn on revlog (usn);
CREATE INDEX ix_cards_nid on cards (nid);
CREATE INDEX ix_cards_sched on cards (did, queue, due);
CREATE INDEX ix_revlog_cid on revlog (cid);
";

/// The checksum index's keys are random: built once, after the rows are in.
const INDEXES_AFTER: &str = "CREATE INDEX ix_notes_csum on notes (csum);";

/// genanki's collection creation time; only matters for imports with scheduling.
const CREATED: i64 = 1_411_124_400;

/// Writes the collection into a new SQLite file at `path`.
pub fn write(
    path: &Path,
    notes: &[PackageNote<'_>],
    decks: &[Deck],
    notetype_mod: i64,
    extra_css: &str,
) -> rusqlite::Result<()> {
    let mut db = Connection::open(path)?;
    // A throwaway file: no journal, no fsync, no other connection to share it with.
    db.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; \
         PRAGMA locking_mode = EXCLUSIVE; PRAGMA temp_store = MEMORY;",
    )?;
    db.execute_batch(SCHEMA)?;
    db.execute_batch(INDEXES_BEFORE)?;
    let tx = db.transaction()?;
    // The collection's own `mod`: from the data, never the clock, so unchanged notes
    // give unchanged bytes.
    let modified = notes
        .iter()
        .map(|n| n.mod_secs)
        .max()
        .unwrap_or(0)
        .max(notetype_mod);
    let default_deck = decks.first().map_or(1, |d| d.id);
    tx.execute(
        "INSERT INTO col VALUES (1, ?1, ?2, ?2, 11, 0, 0, 0, ?3, ?4, ?5, ?6, '{}')",
        params![
            CREATED,
            modified * 1000,
            conf_json().to_string(),
            json!({ notetype::ID.to_string(): notetype::json(default_deck, notetype_mod, extra_css) })
                .to_string(),
            decks_json(decks).to_string(),
            dconf_json().to_string(),
        ],
    )?;
    {
        let mut insert_note = tx.prepare(
            "INSERT INTO notes (id, guid, mid, mod, usn, tags, flds, sfld, csum, flags, data)
             VALUES (?1, ?2, ?3, ?4, -1, ?5, ?6, ?7, ?8, 0, '')",
        )?;
        let mut insert_card = tx.prepare(
            "INSERT INTO cards (id, nid, did, ord, mod, usn, type, queue, due,
                                ivl, factor, reps, lapses, left, odue, odid, flags, data)
             VALUES (?1, ?2, ?3, ?4, ?5, -1, 0, 0, ?6, 0, 0, 0, 0, 0, 0, 0, 0, '')",
        )?;
        for note in notes {
            let first_field = strip_html(note.fields[0]);
            let tags = if note.tags.is_empty() {
                String::new()
            } else {
                format!(" {} ", note.tags.join(" "))
            };
            insert_note.execute(params![
                note.id,
                note.guid,
                notetype::ID,
                note.mod_secs,
                tags,
                note.fields.join("\u{1f}"),
                first_field,
                checksum(&first_field),
            ])?;
            for card in &note.cards {
                insert_card.execute(params![
                    card.id,
                    note.id,
                    note.deck_id,
                    card.ord,
                    note.mod_secs,
                    card.due,
                ])?;
            }
        }
    }
    tx.execute_batch(INDEXES_AFTER)?;
    tx.commit()?;
    db.close().map_err(|(_, e)| e)
}

/// `csum`: the first 4 bytes of the SHA-1 of the stripped first field, big-endian.
fn checksum(text: &str) -> i64 {
    let digest = Sha1::digest(text.as_bytes());
    i64::from(u32::from_be_bytes([
        digest[0], digest[1], digest[2], digest[3],
    ]))
}

/// Text of an HTML field, as Anki's sort field holds it.
pub fn strip_html(html: &str) -> String {
    crate::parse::text_outside_tags(html)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .trim()
        .to_string()
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
