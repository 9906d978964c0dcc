//! The `.apkg`: a zip of `collection.anki2` (schema 11), a JSON `media` map and the
//! media files named `0`, `1`, …; written to a temporary file and renamed into place.

mod collection;
pub mod notetype;

use std::io::Write;
use std::path::Path;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::media::MediaFiles;
use crate::Error;

pub use collection::strip_html;

/// Deflate level for the collection and the media map (see `write`).
const DEFLATE_LEVEL: i64 = 1;

/// A deck of the package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deck {
    pub id: i64,
    pub name: String,
}

/// One card row: the template it comes from and its place in the new-card queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageCard {
    pub id: i64,
    /// Template index: 0 the card, 1 the reverse card.
    pub ord: i64,
    /// Position among new cards: the order of the notes.
    pub due: i64,
}

/// One note, ready to be written (borrowing its text from the pipeline's notes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageNote<'a> {
    pub id: i64,
    pub guid: &'a str,
    /// Seconds; Anki updates an existing note only when this is newer than its own.
    pub mod_secs: i64,
    pub deck_id: i64,
    pub tags: &'a [String],
    pub fields: [&'a str; 6],
    pub cards: Vec<PackageCard>,
}

/// A deck id from its name: Anki matches decks by name, so the id only needs to be
/// stable and distinct (never 1, the Default deck).
pub fn deck_id(name: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(name.as_bytes());
    let mut n = 0i64;
    for b in &digest[..6] {
        n = (n << 8) | i64::from(*b);
    }
    (1 << 52) | n
}

/// Writes the package at `output`, atomically: the old file stays until the new one is
/// complete. `notetype_mod` is the note type's `mod` in seconds. Returns the time spent
/// on the SQLite collection and on the zip.
pub fn write(
    output: &Path,
    notes: &[PackageNote<'_>],
    decks: &[Deck],
    media: &MediaFiles,
    notetype_mod: i64,
    extra_css: &str,
) -> Result<(std::time::Duration, std::time::Duration), Error> {
    let started = std::time::Instant::now();
    let package_error = |message: String| Error::Package {
        path: output.to_path_buf(),
        message,
    };
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

    let db_file = crate::temp::in_dir(&dir, ".anki2").map_err(write_error)?;
    collection::write(db_file.path(), notes, decks, notetype_mod, extra_css)
        .map_err(|e| package_error(format!("writing the collection: {e}")))?;
    let sqlite = started.elapsed();
    let started = std::time::Instant::now();

    let mut out = crate::temp::in_dir(&dir, ".apkg.tmp").map_err(write_error)?;
    {
        let mut zip = ZipWriter::new(std::io::BufWriter::new(out.as_file_mut()));
        // Fixed timestamps and order: the same notes give the same bytes.
        let stored = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .last_modified_time(DateTime::default());
        // Level 1: measured on the 125k-card corpus, it takes about a third of level 6's
        // time for a package a few percent larger (README, Performance).
        let deflated = stored
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(DEFLATE_LEVEL));
        let zip_error = |e: zip::result::ZipError| package_error(format!("writing the zip: {e}"));
        zip.start_file("collection.anki2", deflated)
            .map_err(zip_error)?;
        // Streamed from the file: the collection is never held in memory whole.
        let mut db = std::fs::File::open(db_file.path()).map_err(write_error)?;
        std::io::copy(&mut db, &mut zip).map_err(write_error)?;
        let map: serde_json::Map<String, serde_json::Value> = media
            .keys()
            .enumerate()
            .map(|(i, name)| (i.to_string(), name.clone().into()))
            .collect();
        zip.start_file("media", deflated).map_err(zip_error)?;
        zip.write_all(serde_json::Value::Object(map).to_string().as_bytes())
            .map_err(write_error)?;
        for (i, bytes) in media.values().enumerate() {
            zip.start_file(i.to_string(), stored).map_err(zip_error)?;
            zip.write_all(bytes).map_err(write_error)?;
        }
        zip.finish()
            .map_err(zip_error)?
            .flush()
            .map_err(write_error)?;
    }
    out.as_file().sync_all().map_err(write_error)?;
    crate::temp::persist(out, output).map_err(write_error)?;
    Ok((sqlite, started.elapsed()))
}
