//! The `.apkg`: a zip of `collection.anki2` (schema 11), a JSON `media` map and the
//! media files named `0`, `1`, …; written to a temporary file and renamed into place.

mod collection;
pub mod notetype;
#[cfg(test)]
mod reference;
mod sqlite;

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

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

/// One note, ready to be written (borrowing its text from the pipeline's notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackageNote<'a> {
    pub numbers: NoteNumbers<'a>,
    pub guid: &'a str,
    pub tags: &'a [String],
    pub fields: [&'a str; 6],
}

/// A note's numbers: what its cards and the indexes need, without its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoteNumbers<'a> {
    pub id: i64,
    /// Seconds; Anki updates an existing note only when this is newer than its own.
    pub mod_secs: i64,
    pub deck_id: i64,
    /// Card ids by template (`ord`): the card, then the reverse card.
    pub card_ids: &'a [i64],
    /// Position of the note's cards among new cards.
    pub due: i64,
}

/// The notes a package holds, read one at a time: the writer never needs a second copy
/// of every note.
pub trait Notes: Sync {
    fn count(&self) -> usize;
    fn note(&self, index: usize) -> PackageNote<'_>;

    /// [`Notes::note`]'s numbers alone: the cards and indexes read them several times
    /// per card, and need not touch the text.
    fn numbers(&self, index: usize) -> NoteNumbers<'_> {
        self.note(index).numbers
    }
}

impl Notes for &[PackageNote<'_>] {
    fn count(&self) -> usize {
        self.len()
    }

    fn note(&self, index: usize) -> PackageNote<'_> {
        self[index]
    }
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
/// making the collection's pages and compressing the zip (on two threads, at once).
pub fn write(
    output: &Path,
    notes: &dyn Notes,
    decks: &[Deck],
    media: &MediaFiles,
    notetype_mod: i64,
    extra_css: &str,
) -> Result<(Duration, Duration), Error> {
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
    let mut out = crate::temp::in_dir(&dir, ".apkg.tmp").map_err(write_error)?;
    // The collection's pages are made on this thread and compressed into the zip on
    // another, with no file in between.
    let (pages, zipped) = std::thread::scope(|scope| {
        let (sender, chunks) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
        // Written chunks come back to be filled again.
        let (give_back, returned) = std::sync::mpsc::channel::<Vec<u8>>();
        let file = out.as_file_mut();
        let zipper = scope.spawn(move || zip_package(file, chunks, give_back, media));
        let mut pipe = Pipe {
            sender,
            returned,
            buffer: Vec::with_capacity(CHUNK),
            waiting: Duration::ZERO,
        };
        let started = Instant::now();
        let made = collection::write(&mut pipe, notes, decks, notetype_mod, extra_css)
            .and_then(|()| Ok(pipe.send()?));
        let busy = started.elapsed().saturating_sub(pipe.waiting);
        drop(pipe); // the zip thread sees the collection's end
        let zipped = zipper.join().unwrap_or_else(|_| {
            Err(ZipFailure::Io(std::io::Error::other(
                "the zip writer stopped",
            )))
        });
        (made.map(|()| busy), zipped)
    });
    // A failure of the zip thread explains a failed send: report it first.
    let zip_time = zipped.map_err(|e| match e {
        ZipFailure::Io(source) => write_error(source),
        ZipFailure::Zip(e) => Error::Package {
            path: output.to_path_buf(),
            message: format!("writing the zip: {e}"),
        },
    })?;
    let page_time = pages.map_err(|e| Error::Package {
        path: output.to_path_buf(),
        message: format!("writing the collection: {e}"),
    })?;
    out.as_file().sync_all().map_err(write_error)?;
    crate::temp::persist(out, output).map_err(write_error)?;
    Ok((page_time, zip_time))
}

/// Bytes handed to the zip thread at a time.
const CHUNK: usize = 1 << 18;

/// The collection's bytes on their way to the zip thread.
struct Pipe {
    sender: std::sync::mpsc::SyncSender<Vec<u8>>,
    returned: std::sync::mpsc::Receiver<Vec<u8>>,
    buffer: Vec<u8>,
    /// Time spent waiting for the zip thread.
    waiting: Duration,
}

impl Pipe {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let next = self
            .returned
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        let chunk = std::mem::replace(&mut self.buffer, next);
        let started = Instant::now();
        let sent = self.sender.send(chunk);
        self.waiting += started.elapsed();
        sent.map_err(|_| std::io::Error::other("the zip writer stopped"))
    }
}

impl Write for Pipe {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
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

/// The zip thread: the collection as its chunks arrive, then the media map and files.
/// Returns the time it was busy.
fn zip_package(
    file: &mut std::fs::File,
    chunks: std::sync::mpsc::Receiver<Vec<u8>>,
    give_back: std::sync::mpsc::Sender<Vec<u8>>,
    media: &MediaFiles,
) -> Result<Duration, ZipFailure> {
    let mut zip = ZipWriter::new(std::io::BufWriter::new(file));
    // Fixed timestamps and order: the same notes give the same bytes.
    let stored = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(DateTime::default());
    // Level 1: measured on the 125k-card corpus, 0.13 s for 15.0 MiB where level 6 takes
    // 0.45 s for 11.0 MiB (README, Performance).
    let deflated = stored
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(DEFLATE_LEVEL));
    zip.start_file("collection.anki2", deflated)?;
    let mut busy = Duration::ZERO;
    for mut chunk in chunks {
        let started = Instant::now();
        zip.write_all(&chunk)?;
        busy += started.elapsed();
        chunk.clear();
        let _ = give_back.send(chunk); // the maker may be done already
    }
    let started = Instant::now();
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
    Ok(busy + started.elapsed())
}
