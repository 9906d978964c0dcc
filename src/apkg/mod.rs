//! The `.apkg`: a zip of `collection.anki2` (schema 11), a JSON `media` map and the
//! media files named `0`, `1`, …; written to a temporary file and renamed into place.

mod collection;
pub mod notetype;

use std::collections::BTreeMap;
use std::io::{Seek, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::media::MediaFiles;
use crate::{Error, Note};

pub use collection::strip_html;

/// Deflate level for the collection and the media map (see `zip_package`).
const DEFLATE_LEVEL: i64 = 1;

/// A deck of the package.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Deck {
    pub id: i64,
    pub name: String,
}

/// A deck id from its name: Anki matches decks by name, so the id only needs to be
/// stable and distinct (never 1, the Default deck).
fn deck_id(name: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(name.as_bytes());
    let mut n = 0i64;
    for b in &digest[..6] {
        n = (n << 8) | i64::from(*b);
    }
    (1 << 52) | n
}

/// Each note's deck id, and every deck the notes are in with its parents (so every
/// client shows the hierarchy the same way), sorted by name.
fn decks(notes: &[Note]) -> (Vec<i64>, Vec<Deck>) {
    let mut ids: BTreeMap<&str, i64> = BTreeMap::new();
    let deck_ids = notes
        .iter()
        .map(|note| {
            *ids.entry(note.deck())
                .or_insert_with(|| deck_id(note.deck()))
        })
        .collect();
    let mut all: BTreeMap<String, i64> = BTreeMap::new();
    for (name, id) in ids {
        let parts: Vec<&str> = name.split("::").collect();
        for n in 1..parts.len() {
            let parent = parts[..n].join("::");
            let parent_id = deck_id(&parent);
            all.entry(parent).or_insert(parent_id);
        }
        all.insert(name.to_string(), id);
    }
    let decks = all
        .into_iter()
        .map(|(name, id)| Deck { id, name })
        .collect();
    (deck_ids, decks)
}

/// Where a package's time went: writing the collection through SQLite, and zipping.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteTimes {
    pub collection: Duration,
    pub zip: Duration,
}

/// Writes the package at `output`, atomically: the old file stays until the new one is
/// complete. `notetype_mod` is the note type's `mod` in seconds.
pub fn write(
    output: &Path,
    notes: &[Note],
    media: &MediaFiles,
    notetype_mod: i64,
    extra_css: &str,
) -> Result<WriteTimes, Error> {
    let write_error = |source: std::io::Error| Error::Write {
        path: output.to_path_buf(),
        source,
    };
    let dir = crate::temp::folder_of(output);
    if dir.exists() && !dir.is_dir() {
        return Err(write_error(std::io::Error::other(format!(
            "{} is a file, not a folder",
            dir.display()
        ))));
    }
    std::fs::create_dir_all(&dir).map_err(write_error)?;
    // The collection goes to a temporary file beside the package (swept up if the
    // build is killed), then into the zip.
    let started = Instant::now();
    let mut collection = crate::temp::in_dir(&dir, ".anki2.tmp").map_err(write_error)?;
    write_collection(collection.path(), notes, notetype_mod, extra_css).map_err(|e| {
        Error::Package {
            path: output.to_path_buf(),
            message: format!("writing the collection: {e}"),
        }
    })?;
    let collection_time = started.elapsed();
    let started = Instant::now();
    let mut out = crate::temp::in_dir(&dir, ".apkg.tmp").map_err(write_error)?;
    zip_package(out.as_file_mut(), collection.as_file_mut(), media).map_err(|e| match e {
        ZipFailure::Io(source) => write_error(source),
        ZipFailure::Zip(e) => Error::Package {
            path: output.to_path_buf(),
            message: format!("writing the zip: {e}"),
        },
    })?;
    out.as_file().sync_all().map_err(write_error)?;
    crate::temp::persist(out, output).map_err(write_error)?;
    Ok(WriteTimes {
        collection: collection_time,
        zip: started.elapsed(),
    })
}

fn write_collection(
    path: &Path,
    notes: &[Note],
    notetype_mod: i64,
    extra_css: &str,
) -> rusqlite::Result<()> {
    let (deck_ids, decks) = decks(notes);
    let mut db = rusqlite::Connection::open(path)?;
    collection::write(&mut db, notes, &deck_ids, &decks, notetype_mod, extra_css)?;
    db.close().map_err(|(_, e)| e)
}

enum ZipFailure {
    Io(std::io::Error),
    Zip(zip::result::ZipError),
}

impl From<std::io::Error> for ZipFailure {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<zip::result::ZipError> for ZipFailure {
    fn from(e: zip::result::ZipError) -> Self {
        Self::Zip(e)
    }
}

/// The zip: the collection, then the media map and files.
fn zip_package(
    file: &mut std::fs::File,
    collection: &mut std::fs::File,
    media: &MediaFiles,
) -> Result<(), ZipFailure> {
    let mut zip = ZipWriter::new(std::io::BufWriter::new(file));
    // Fixed timestamps and order: the same notes give the same bytes.
    let stored = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(DateTime::default());
    // Level 1: measured on the 125k-card corpus, 0.13 s for 15.0 MiB where level 6 takes
    // 0.45 s for 11.0 MiB (docs/development.md, Performance).
    let deflated = stored
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(DEFLATE_LEVEL));
    zip.start_file("collection.anki2", deflated)?;
    collection.rewind()?;
    std::io::copy(
        &mut std::io::BufReader::with_capacity(1 << 16, collection),
        &mut zip,
    )?;
    let map: serde_json::Map<String, serde_json::Value> = media
        .keys()
        .enumerate()
        .map(|(i, name)| (i.to_string(), name.clone().into()))
        .collect();
    zip.start_file("media", deflated)?;
    zip.write_all(serde_json::Value::Object(map).to_string().as_bytes())?;
    for (i, bytes) in media.values().enumerate() {
        zip.start_file(i.to_string(), stored)?;
        zip.write_all(bytes)?;
    }
    zip.finish()?.flush()?;
    Ok(())
}
