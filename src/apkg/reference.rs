//! The test oracle: the same collection written through SQLite itself, row by row, as
//! this crate did before it wrote pages itself. Tests compare the two databases.

use std::path::Path;

use rusqlite::{params, Connection};

use super::collection::{checksum, col_row, strip_html, SCHEMA};
use super::notetype;
use super::{Deck, PackageNote};

pub fn write(
    path: &Path,
    notes: &[PackageNote<'_>],
    decks: &[Deck],
    notetype_mod: i64,
    extra_css: &str,
) -> rusqlite::Result<()> {
    let mut db = Connection::open(path)?;
    db.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")?;
    for object in &SCHEMA {
        db.execute_batch(object.sql)?;
    }
    let tx = db.transaction()?;
    let col = col_row(&notes, decks, notetype_mod, extra_css);
    tx.execute(
        "INSERT INTO col VALUES (1, ?1, ?2, ?2, 11, 0, 0, 0, ?3, ?4, ?5, ?6, '{}')",
        params![
            col.crt,
            col.modified,
            col.conf,
            col.models,
            col.decks,
            col.dconf
        ],
    )?;
    for note in notes {
        let numbers = &note.numbers;
        let first_field = strip_html(note.fields[0]);
        let tags = if note.tags.is_empty() {
            String::new()
        } else {
            format!(" {} ", note.tags.join(" "))
        };
        tx.execute(
            "INSERT INTO notes VALUES (?1, ?2, ?3, ?4, -1, ?5, ?6, ?7, ?8, 0, '')",
            params![
                numbers.id,
                note.guid,
                notetype::ID,
                numbers.mod_secs,
                tags,
                note.fields.join("\u{1f}"),
                first_field,
                checksum(&first_field),
            ],
        )?;
        for (ord, id) in numbers.card_ids.iter().enumerate() {
            tx.execute(
                "INSERT INTO cards VALUES (?1, ?2, ?3, ?4, ?5, -1, 0, 0, ?6, 0, 0, 0, 0, 0, 0, 0, 0, '')",
                params![
                    id,
                    numbers.id,
                    numbers.deck_id,
                    ord as i64,
                    numbers.mod_secs,
                    numbers.due
                ],
            )?;
        }
    }
    tx.commit()
}
