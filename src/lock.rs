//! The lock file `notes2anki.lock`: what every card was when last built, so a rebuild
//! keeps guids, note and card ids, and the `mod` of unchanged notes.
//!
//! JSON, one entry per line sorted by guid, so a one-card edit is a one-line diff.
//! Written atomically beside its final path.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize};

use crate::note::Hash;
use crate::Error;

/// File name of the lock in the notes folder.
pub const FILE_NAME: &str = "notes2anki.lock";
const VERSION: u32 = 1;

/// What the lock remembers of one card (one note).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub guid: String,
    /// The note file, relative to the lock's folder (`/`-separated); one copy per file.
    pub file: Arc<str>,
    /// The card's identity: the file's deck, the context, the term (normalised text).
    /// (The deck: one copy per deck.)
    pub deck: Arc<str>,
    pub context: String,
    pub term: String,
    /// Hash of the definition alone: a card whose definition is unchanged may be a
    /// renamed or moved one.
    pub definition: Hash,
    /// Hash of everything the note carries (fields and tags): unchanged → same `mod`.
    pub content: Hash,
    pub note_id: i64,
    /// Card ids by template: `[card]` or `[card, reverse card]`.
    pub card_ids: Vec<i64>,
    /// The note's `mod` (seconds) as last written (`mod` in the file).
    pub mod_secs: i64,
    /// Hashes of the note's tags and of its media files' names, to say what changed (not
    /// in locks written before 0.2).
    pub tags: Option<Hash>,
    pub media: Option<Hash>,
}

/// An entry as written: borrowed, so a build never holds a second copy of every card.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct EntryRef<'a> {
    pub guid: &'a str,
    pub file: &'a str,
    pub deck: &'a str,
    pub context: &'a str,
    pub term: &'a str,
    pub definition: Hash,
    pub content: Hash,
    pub note_id: i64,
    pub card_ids: &'a [i64],
    #[serde(rename = "mod")]
    pub mod_secs: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Hash>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<Hash>,
}

impl<'a> EntryRef<'a> {
    /// The entry of a note this build made, from the note and its key.
    pub fn of(note: &'a crate::Note, key: &'a crate::ids::CardKey) -> EntryRef<'a> {
        EntryRef {
            guid: &note.ids.guid,
            file: &key.file,
            deck: &key.deck,
            context: &key.context,
            term: &key.term,
            definition: key.definition,
            content: key.content,
            note_id: note.ids.note_id,
            card_ids: &note.ids.card_ids,
            mod_secs: note.ids.mod_secs,
            tags: Some(key.tags),
            media: Some(key.media),
        }
    }
}

impl Entry {
    pub fn as_ref(&self) -> EntryRef<'_> {
        EntryRef {
            guid: &self.guid,
            file: &self.file,
            deck: &self.deck,
            context: &self.context,
            term: &self.term,
            definition: self.definition,
            content: self.content,
            note_id: self.note_id,
            card_ids: &self.card_ids,
            mod_secs: self.mod_secs,
            tags: self.tags,
            media: self.media,
        }
    }
}

/// What a lock says besides its cards.
#[derive(Debug, Clone, Copy)]
pub struct Head<'a> {
    pub notetype: &'a NotetypeEntry,
    pub options: &'a NoteOptions,
    /// Notes removed from the notes that may still be in Anki (see [`Removed`]).
    pub removed: &'a [Removed],
}

/// A note a build found removed from the notes: a package cannot delete it, so every
/// later build repeats how to find it in Anki, until `--forget-removed`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Removed {
    pub guid: String,
    pub file: String,
    pub term: String,
}

/// Writes a lock: sorted by guid, one entry per line. The entries are `entry(i)` for i
/// below `count`, made as they are written (a lock holds one per card, so no second
/// list of them is made).
pub fn write_entries<'e, W: Write>(
    out: &mut W,
    head: Head<'_>,
    count: usize,
    entry: impl Fn(usize) -> EntryRef<'e>,
) -> std::io::Result<()> {
    let guids: Vec<&str> = (0..count).map(|i| entry(i).guid).collect();
    let mut order: Vec<u32> = (0..count as u32).collect();
    if !guids.is_sorted() {
        order.sort_unstable_by_key(|&i| guids[i as usize]);
    }
    drop(guids);
    writeln!(out, "{{")?;
    writeln!(out, "  \"version\": {VERSION},")?;
    write!(out, "  \"notetype\": ")?;
    serde_json::to_writer(&mut *out, head.notetype)?;
    writeln!(out, ",")?;
    if *head.options != NoteOptions::default() {
        write!(out, "  \"options\": ")?;
        serde_json::to_writer(&mut *out, head.options)?;
        writeln!(out, ",")?;
    }
    if !head.removed.is_empty() {
        write!(out, "  \"removed\": [")?;
        for (n, removed) in head.removed.iter().enumerate() {
            out.write_all(if n == 0 { b"\n    " } else { b",\n    " })?;
            serde_json::to_writer(&mut *out, removed)?;
        }
        writeln!(out, "\n  ],")?;
    }
    write!(out, "  \"cards\": [")?;
    for (n, &i) in order.iter().enumerate() {
        out.write_all(if n == 0 { b"\n    " } else { b",\n    " })?;
        serde_json::to_writer(&mut *out, &entry(i as usize))?;
    }
    out.write_all(if count == 0 { b"]\n" } else { b"\n  ]\n" })?;
    writeln!(out, "}}")
}

/// Writes a lock into a temporary file beside `path`, to be renamed into place (with
/// `persist`) once the package is written.
pub fn write_temp<'e>(
    path: &Path,
    head: Head<'_>,
    count: usize,
    entry: impl Fn(usize) -> EntryRef<'e>,
) -> Result<tempfile::NamedTempFile, Error> {
    let write_error = |source: std::io::Error| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let tmp = crate::temp::in_dir(&crate::temp::folder_of(path), ".tmp").map_err(write_error)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, tmp.as_file());
    write_entries(&mut out, head, count, entry).map_err(write_error)?;
    out.flush().map_err(write_error)?;
    drop(out);
    tmp.as_file().sync_all().map_err(write_error)?;
    Ok(tmp)
}

/// The note type as last written: its `mod` goes up only when its hash changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotetypeEntry {
    pub hash: String,
    #[serde(rename = "mod")]
    pub mod_secs: i64,
}

impl NotetypeEntry {
    /// The note type this build writes, given the lock's: the same `mod` while its hash
    /// (templates and CSS) is unchanged, else a newer one (never older than the lock's).
    pub fn for_build(old: Option<&Lock>, hash: String, now: i64) -> NotetypeEntry {
        let mod_secs = match old {
            Some(l) if l.notetype.hash == hash => l.notetype.mod_secs,
            Some(l) => now.max(l.notetype.mod_secs.saturating_add(1)),
            None => now,
        };
        NotetypeEntry { hash, mod_secs }
    }
}

/// The options that change the notes themselves, as the lock's build had them: a build
/// with others is a trial, which leaves the lock as it was (see `trial_of`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteOptions {
    /// `--deck NAME`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deck: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub subdecks: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reverse: bool,
    /// The hash of `--css FILE`'s contents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub css: Option<String>,
}

impl NoteOptions {
    /// The options of a build.
    pub fn of(options: &crate::Options) -> NoteOptions {
        let css = &options.extra_css;
        NoteOptions {
            deck: options.parent_deck.clone(),
            subdecks: options.subdecks,
            reverse: options.reverse,
            css: (!css.is_empty()).then(|| crate::note::hash_parts([css.as_str()]).to_string()),
        }
    }

    /// As the command line says them: `--subdecks --deck Top`, or `none`.
    pub fn describe(&self) -> String {
        let mut flags = Vec::new();
        if let Some(deck) = &self.deck {
            flags.push(format!("--deck {deck}"));
        }
        if self.subdecks {
            flags.push("--subdecks".to_string());
        }
        if self.reverse {
            flags.push("--reverse".to_string());
        }
        if self.css.is_some() {
            flags.push("--css".to_string());
        }
        if flags.is_empty() {
            "no note options".to_string()
        } else {
            flags.join(" ")
        }
    }
}

/// What this build's lock will say of the note type and the note options, and, for a
/// trial build (note options other than `old`'s, without `--keep-options`), `old`'s
/// options: then the lock is not written.
pub fn for_build(
    old: Option<&Lock>,
    options: &crate::Options,
) -> (NotetypeEntry, NoteOptions, Option<NoteOptions>) {
    let hash = crate::apkg::notetype::hash(&options.extra_css);
    let notetype = NotetypeEntry::for_build(old, hash, options.now);
    let ours = NoteOptions::of(options);
    let trial = old
        .map(|l| l.options.clone())
        .filter(|theirs| *theirs != ours && !options.keep_options);
    (notetype, ours, trial)
}

/// The whole lock file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lock {
    pub notetype: NotetypeEntry,
    /// The note options it was built with.
    pub options: NoteOptions,
    /// Notes removed from the notes since, that may still be in Anki.
    pub removed: Vec<Removed>,
    /// Sorted by guid.
    pub entries: Vec<Entry>,
}

#[derive(Deserialize)]
struct OnDisk {
    version: u32,
    notetype: NotetypeEntry,
    #[serde(default)]
    options: NoteOptions,
    #[serde(default)]
    removed: Vec<Removed>,
    #[serde(deserialize_with = "entries")]
    cards: Vec<Entry>,
}

/// An entry as it is read: its text borrowed from the file's where it can be.
#[derive(Deserialize)]
struct RawEntry<'a> {
    #[serde(borrow)]
    guid: Cow<'a, str>,
    #[serde(borrow)]
    file: Cow<'a, str>,
    #[serde(borrow)]
    deck: Cow<'a, str>,
    #[serde(borrow)]
    context: Cow<'a, str>,
    #[serde(borrow)]
    term: Cow<'a, str>,
    definition: Hash,
    content: Hash,
    note_id: i64,
    card_ids: Vec<i64>,
    #[serde(rename = "mod")]
    mod_secs: i64,
    #[serde(default)]
    tags: Option<Hash>,
    #[serde(default)]
    media: Option<Hash>,
}

/// The lock's entries, each made as it is read (no list of raw entries besides), with
/// one copy of each file and deck name: a lock of 125k cards was 20 MB more while it
/// was read whole into owned entries.
fn entries<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Entry>, D::Error> {
    struct Entries;
    impl<'de> serde::de::Visitor<'de> for Entries {
        type Value = Vec<Entry>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a list of cards")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Vec<Entry>, A::Error> {
            let mut entries = Vec::new();
            let mut names: HashSet<Arc<str>> = HashSet::new();
            let mut shared = |name: Cow<'_, str>| -> Arc<str> {
                if let Some(known) = names.get(&*name) {
                    return known.clone();
                }
                let new: Arc<str> = Arc::from(&*name);
                names.insert(new.clone());
                new
            };
            while let Some(raw) = seq.next_element::<RawEntry<'de>>()? {
                entries.push(Entry {
                    guid: raw.guid.into_owned(),
                    file: shared(raw.file),
                    deck: shared(raw.deck),
                    context: raw.context.into_owned(),
                    term: raw.term.into_owned(),
                    definition: raw.definition,
                    content: raw.content,
                    note_id: raw.note_id,
                    card_ids: raw.card_ids,
                    mod_secs: raw.mod_secs,
                    tags: raw.tags,
                    media: raw.media,
                });
            }
            Ok(entries)
        }
    }
    deserializer.deserialize_seq(Entries)
}

impl Lock {
    /// Reads the lock at `path`; `Ok(None)` when there is none yet.
    pub fn read(path: &Path) -> Result<Option<Lock>, Error> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(Error::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let disk: OnDisk = serde_json::from_str(&text).map_err(|e| {
            // serde_json's message ends with " at line L column C": the line is in the prefix.
            let message = e.to_string();
            let message = message.split(" at line ").next().unwrap_or(&message);
            bad_lock(path, e.line(), message.to_string())
        })?;
        if disk.version != VERSION {
            let message = format!(
                "version {} is not supported (this notes2anki reads version {VERSION})",
                disk.version
            );
            return Err(bad_lock(path, 2, message));
        }
        // The entries hold their own text: the file's goes now, not after the sort.
        drop(text);
        let mut entries = disk.cards;
        entries.sort_unstable_by(|a, b| a.guid.cmp(&b.guid));
        // Sorted, a repeated guid is next to itself.
        if entries.windows(2).any(|w| w[0].guid == w[1].guid) {
            return Err(repeated_guid(path));
        }
        Ok(Some(Lock {
            notetype: disk.notetype,
            options: disk.options,
            removed: disk.removed,
            entries,
        }))
    }

    /// The lock as text: stable, sorted, one card per line.
    pub fn to_text(&self) -> String {
        let mut out = Vec::with_capacity(64 + self.entries.len() * 300);
        let head = Head {
            notetype: &self.notetype,
            options: &self.options,
            removed: &self.removed,
        };
        let _ = write_entries(&mut out, head, self.entries.len(), |i| {
            self.entries[i].as_ref()
        });
        String::from_utf8(out).unwrap_or_default()
    }
}

fn bad_lock(path: &Path, line: usize, message: String) -> Error {
    Error::BadLock {
        path: path.to_path_buf(),
        line,
        message,
    }
}

/// The error for a guid the lock holds twice, naming the line it first appears on
/// (the file is read again for it: this is rare).
fn repeated_guid(path: &Path) -> Error {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(source) => {
            return Error::Read {
                path: path.to_path_buf(),
                source,
            }
        }
    };
    // Each guid's first line: the error names it when the guid comes again.
    let mut first_line = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let guid = line.split("\"guid\":\"").nth(1);
        let Some(guid) = guid.and_then(|rest| rest.split('"').next()) else {
            continue;
        };
        if let Some(&first) = first_line.get(guid) {
            return bad_lock(path, first, format!("guid {guid} appears twice"));
        }
        first_line.insert(guid, n + 1);
    }
    bad_lock(path, 0, "a guid appears twice".into())
}

/// The notes removed from the notes that may still be in Anki: the lock's, and this
/// build's, but not those whose guid a card has again (the card came back).
pub fn still_removed(
    old: Option<&Lock>,
    now_removed: &[Entry],
    notes: &[crate::Note],
    options: &crate::Options,
) -> Vec<Removed> {
    if options.forget_removed {
        return Vec::new();
    }
    let earlier = old.map_or(&[][..], |l| &l.removed).iter().cloned();
    let now = now_removed.iter().map(|e| Removed {
        guid: e.guid.clone(),
        file: e.file.to_string(),
        term: e.term.clone(),
    });
    let mut removed: Vec<Removed> = earlier.chain(now).collect();
    if removed.is_empty() {
        return removed; // most builds: no list of every card's guid is made
    }
    removed.sort();
    removed.dedup_by(|a, b| a.guid == b.guid);
    let is_removed = |guid: &str| {
        removed
            .binary_search_by(|r| r.guid.as_str().cmp(guid))
            .is_ok()
    };
    let back: std::collections::BTreeSet<&str> = notes
        .iter()
        .map(|n| n.ids.guid.as_str())
        .filter(|guid| is_removed(guid))
        .collect();
    removed.retain(|r| !back.contains(r.guid.as_str()));
    removed
}

/// Where the lock goes by default: in the first input folder, or beside the first
/// input file.
pub fn default_path(inputs: &[PathBuf]) -> PathBuf {
    let first = inputs
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("notes"));
    let dir = if first.is_dir() {
        first
    } else {
        first
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    };
    dir.join(FILE_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(guid: &str) -> Entry {
        Entry {
            guid: guid.into(),
            file: "a.md".into(),
            deck: "D".into(),
            context: String::new(),
            term: "T".into(),
            definition: Hash(0xd),
            content: Hash(0xc),
            note_id: 1,
            card_ids: vec![2],
            mod_secs: 3,
            tags: None,
            media: None,
        }
    }

    #[test]
    fn text_round_trips_sorted_one_entry_per_line() {
        let lock = Lock {
            notetype: NotetypeEntry {
                hash: "h".into(),
                mod_secs: 9,
            },
            entries: vec![entry("b"), entry("a")],
            ..Lock::default()
        };
        let text = lock.to_text();
        assert_eq!(text.lines().count(), 8);
        let line_a = text.find("\"guid\":\"a\"").unwrap_or(usize::MAX);
        let line_b = text.find("\"guid\":\"b\"").unwrap_or(0);
        assert!(line_a < line_b);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        crate::temp::write_atomically(&path, lock.to_text().as_bytes()).unwrap();
        let back = Lock::read(&path).unwrap().unwrap();
        assert_eq!(back.entries, vec![entry("a"), entry("b")]);
        assert_eq!(back.to_text(), text);
        // One copy of each file and deck name, however many entries name it.
        assert!(Arc::ptr_eq(&back.entries[0].file, &back.entries[1].file));
        assert!(Arc::ptr_eq(&back.entries[0].deck, &back.entries[1].deck));
    }

    #[test]
    fn a_guid_twice_is_an_error_naming_its_line() {
        let lock = Lock {
            entries: vec![entry("a"), entry("b"), entry("a")],
            ..Lock::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, lock.to_text()).unwrap();
        let err = Lock::read(&path).unwrap_err().to_string();
        // Lines 5-7 are the entries, sorted: a, a, b.
        assert!(err.contains("notes2anki.lock:5: error[bad-lock]"), "{err}");
        assert!(err.contains("guid a appears twice"), "{err}");
    }

    #[test]
    fn a_broken_lock_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, "{ not json").unwrap();
        let err = Lock::read(&path).unwrap_err().to_string();
        assert!(err.contains("notes2anki.lock:1: error[bad-lock]"), "{err}");
        assert!(Lock::read(&dir.path().join("missing")).unwrap().is_none());
    }
}
