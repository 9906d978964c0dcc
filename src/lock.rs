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

use crate::identity::HEX_DIGITS;
use crate::note::Hash;
use crate::scan;
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
        }
    }
}

/// Writes a lock: sorted by guid, one entry per line. The entries are `entry(i)` for i
/// below `count`, made as they are written (a lock holds one per card, so no second
/// list of them is made).
pub fn write_entries<'e, W: Write>(
    out: &mut W,
    notetype: &NotetypeEntry,
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
    serde_json::to_writer(&mut *out, notetype)?;
    writeln!(out, ",")?;
    write!(out, "  \"cards\": [")?;
    let mut line = Vec::with_capacity(512);
    for (n, &i) in order.iter().enumerate() {
        line.clear();
        line.extend_from_slice(if n == 0 { b"\n    " } else { b",\n    " });
        entry_json(&mut line, &entry(i as usize));
        out.write_all(&line)?;
    }
    out.write_all(if count == 0 { b"]\n" } else { b"\n  ]\n" })?;
    writeln!(out, "}}")
}

/// One entry as JSON, exactly as serde_json writes an [`EntryRef`] (a lock holds one
/// per card, so this is written by hand: it is most of the lock's time).
fn entry_json(out: &mut Vec<u8>, e: &EntryRef<'_>) {
    let mut number = itoa::Buffer::new();
    for (i, (key, value)) in [
        ("guid", e.guid),
        ("file", e.file),
        ("deck", e.deck),
        ("context", e.context),
        ("term", e.term),
    ]
    .into_iter()
    .enumerate()
    {
        out.extend_from_slice(if i == 0 { b"{\"" } else { b",\"" });
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
        json_string(out, value);
    }
    for (key, hash) in [("definition", e.definition), ("content", e.content)] {
        out.extend_from_slice(b",\"");
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":\"");
        for shift in (0..16).rev() {
            out.push(HEX_DIGITS[((hash.0 >> (shift * 4)) & 15) as usize]);
        }
        out.push(b'"');
    }
    out.extend_from_slice(b",\"note_id\":");
    out.extend_from_slice(number.format(e.note_id).as_bytes());
    out.extend_from_slice(b",\"card_ids\":[");
    for (i, id) in e.card_ids.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(number.format(*id).as_bytes());
    }
    out.extend_from_slice(b"],\"mod\":");
    out.extend_from_slice(number.format(e.mod_secs).as_bytes());
    out.push(b'}');
}

/// A JSON string with serde_json's escapes: `\"`, `\\`, the short forms of control
/// characters, `\u00XX` for the others; everything else as it is.
fn json_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let mut rest = s.as_bytes();
    loop {
        let i = next_escape(rest);
        out.extend_from_slice(&rest[..i]);
        let Some(&b) = rest.get(i) else { break };
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX_DIGITS[usize::from(b >> 4)]);
                out.push(HEX_DIGITS[usize::from(b & 15)]);
            }
        }
        rest = &rest[i + 1..];
    }
    out.push(b'"');
}

/// The index of the first byte JSON must escape (`"`, `\\`, below 0x20), or the length;
/// eight bytes at a time.
fn next_escape(bytes: &[u8]) -> usize {
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let x = scan::word(chunk);
        let found = scan::below(x, 0x20) | scan::equal(x, b'"') | scan::equal(x, b'\\');
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + bytes[i..]
        .iter()
        .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
        .unwrap_or(bytes.len() - i)
}

/// Writes a lock into a temporary file beside `path`, to be renamed into place (with
/// `persist`) once the package is written.
pub fn write_temp<'e>(
    path: &Path,
    notetype: &NotetypeEntry,
    count: usize,
    entry: impl Fn(usize) -> EntryRef<'e>,
) -> Result<tempfile::NamedTempFile, Error> {
    let write_error = |source: std::io::Error| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let tmp = crate::temp::in_dir(&crate::temp::folder_of(path), ".tmp").map_err(write_error)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, tmp.as_file());
    write_entries(&mut out, notetype, count, entry).map_err(write_error)?;
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

/// The whole lock file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lock {
    pub notetype: NotetypeEntry,
    /// Sorted by guid.
    pub entries: Vec<Entry>,
}

#[derive(Deserialize)]
struct OnDisk {
    version: u32,
    notetype: NotetypeEntry,
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
}

std::thread_local! {
    /// How many entries the lock being read has, at most (its line count).
    static ENTRIES_HINT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The lock's entries, each made as it is read (no list of raw entries besides), in a
/// list sized once, with one copy of each file and deck name: a lock of 125k cards
/// was 20 MB more while it was read whole into owned entries.
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
            let mut entries = Vec::with_capacity(ENTRIES_HINT.with(|h| h.get()));
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
        let bad = |line: usize, message: String| Error::BadLock {
            path: path.to_path_buf(),
            line,
            message,
        };
        // A line per entry, and a few more; but no entry is under 100 bytes, however
        // the file is laid out (blank lines are valid JSON too).
        let lines = text.bytes().filter(|&b| b == b'\n').count();
        ENTRIES_HINT.with(|h| h.set(lines.min(text.len() / 100)));
        let disk: Result<OnDisk, Error> = serde_json::from_str(&text).map_err(|e| {
            // serde_json's message ends with " at line L column C": the line is in the prefix.
            let message = e.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_string();
            bad(e.line(), message)
        });
        ENTRIES_HINT.with(|h| h.set(0));
        let disk = disk?;
        if disk.version != VERSION {
            return Err(bad(
                2,
                format!(
                    "version {} is not supported (this notes2anki reads version {VERSION})",
                    disk.version
                ),
            ));
        }
        // The entries hold their own text: the file's goes now, not after the sort.
        drop(text);
        let mut entries = disk.cards;
        entries.sort_unstable_by(|a, b| a.guid.cmp(&b.guid));
        // Sorted, a repeated guid is next to itself; only then is the file read again
        // and searched for the first repeat in its own order, to name its line.
        if entries.windows(2).any(|w| w[0].guid == w[1].guid) {
            let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
                path: path.to_path_buf(),
                source,
            })?;
            // Each guid's first line: the error names it when the guid comes again.
            let mut first_line = BTreeMap::new();
            for (n, line) in text.lines().enumerate() {
                let Some(guid) = line
                    .split("\"guid\":\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                else {
                    continue;
                };
                if let Some(&first) = first_line.get(guid) {
                    return Err(bad(first, format!("guid {guid} appears twice")));
                }
                first_line.insert(guid, n + 1);
            }
            return Err(bad(0, "a guid appears twice".into()));
        }
        Ok(Some(Lock {
            notetype: disk.notetype,
            entries,
        }))
    }

    /// The lock as text: stable, sorted, one card per line.
    pub fn to_text(&self) -> String {
        let mut out = Vec::with_capacity(64 + self.entries.len() * 300);
        let _ = write_entries(&mut out, &self.notetype, self.entries.len(), |i| {
            self.entries[i].as_ref()
        });
        String::from_utf8(out).unwrap_or_default()
    }
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
    use proptest::prelude::*;

    proptest! {
        /// The hand-written entry line is byte for byte what serde_json writes.
        #[test]
        fn entry_lines_are_serde_jsons(
            definition in any::<u64>(),
            content in any::<u64>(),
            texts in prop::array::uniform5(prop_oneof![
                "(?s).{0,40}",
                "[a-z\"\\\\\\x00-\\x1f\\x7f日]{0,40}",
            ]),
            ids in prop::collection::vec(any::<i64>(), 0..3),
            note_id in any::<i64>(),
            mod_secs in any::<i64>(),
        ) {
            let e = EntryRef {
                guid: &texts[0],
                file: &texts[1],
                deck: &texts[2],
                context: &texts[3],
                term: &texts[4],
                definition: Hash(definition),
                content: Hash(content),
                note_id,
                card_ids: &ids,
                mod_secs,
            };
            let mut ours = Vec::new();
            entry_json(&mut ours, &e);
            prop_assert_eq!(String::from_utf8(ours).unwrap(), serde_json::to_string(&e).unwrap());
        }
    }

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
            notetype: NotetypeEntry::default(),
            entries: vec![entry("a"), entry("b"), entry("a")],
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
