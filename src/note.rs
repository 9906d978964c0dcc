//! Notes: a card with its final fields, deck, tags and ids; and their hashes.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::card::{Card, Location};
use crate::ids::{Assigned, Change};
use crate::Options;

/// What the notes of a section share (one copy, however many notes it has).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The full deck name (with `--deck` and `--subdecks` applied).
    pub deck: String,
    pub tags: Vec<String>,
    /// The `Source` field (HTML): the file and the section path.
    pub source: String,
    /// The hash of `tags` (for the change report): made once for the section.
    pub tags_hash: Hash,
}

/// A card ready to become an Anki note: every field final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Guid, note and card ids, `mod` and the change since the lock: what the id stage
    /// gives it (empty until then).
    pub ids: Assigned,
    /// Deck, tags and source, shared by the notes of a section.
    pub section: Arc<Section>,
    /// Term, a quiz card's options, definition and context (HTML, the context as
    /// escaped text), one after the other in one allocation of their exact size: a
    /// build holds every note's text at once (see [`Note::term`] and the others).
    text: Box<str>,
    question_end: usize,
    term_end: usize,
    definition_end: usize,
    pub reverse: bool,
    pub location: Location,
    /// Media file names the note references.
    pub media: Vec<String>,
}

impl Note {
    /// A note not yet identified (no guid or ids) and with no media. `options` are a
    /// quiz card's options (HTML), shown in the Term field below the question.
    pub fn new(
        section: Arc<Section>,
        [term, options, definition, context]: [&str; 4],
        reverse: bool,
        location: Location,
    ) -> Note {
        let mut note = Note {
            ids: Assigned {
                guid: String::new(),
                note_id: 0,
                card_ids: Vec::new(),
                mod_secs: 0,
                change: Change::Added,
            },
            section,
            text: Box::default(),
            question_end: 0,
            term_end: 0,
            definition_end: 0,
            reverse,
            location,
            media: Vec::new(),
        };
        note.set_text([term, options, definition, context]);
        note
    }

    /// Replaces the term, options, definition and context.
    pub fn set_text(&mut self, parts: [&str; 4]) {
        let text: String = parts.concat();
        self.question_end = parts[0].len();
        self.term_end = self.question_end + parts[1].len();
        self.definition_end = self.term_end + parts[2].len();
        self.text = text.into_boxed_str();
    }

    /// The Term field (HTML): the term, and a quiz card's options below its question.
    pub fn term(&self) -> &str {
        &self.text[..self.term_end]
    }

    /// The term without a quiz card's options: its question.
    pub fn question(&self) -> &str {
        &self.text[..self.question_end]
    }

    /// A quiz card's options (HTML; empty for other cards).
    pub fn options(&self) -> &str {
        &self.text[self.question_end..self.term_end]
    }

    /// The definition (HTML).
    pub fn definition(&self) -> &str {
        &self.text[self.term_end..self.definition_end]
    }

    /// The context: the items above the card, as escaped text.
    pub fn context(&self) -> &str {
        &self.text[self.definition_end..]
    }

    /// The full deck name.
    pub fn deck(&self) -> &str {
        &self.section.deck
    }

    pub fn tags(&self) -> &[String] {
        &self.section.tags
    }

    /// The `Source` field.
    pub fn source(&self) -> &str {
        &self.section.source
    }

    /// The six fields, in the note type's frozen order.
    pub fn fields(&self) -> [&str; 6] {
        [
            self.term(),
            self.definition(),
            self.context(),
            self.source(),
            &self.ids.guid,
            if self.reverse { "y" } else { "" },
        ]
    }
}

/// The first 8 bytes of a SHA-256, written (in the lock) as 16 hex digits: a value, so
/// a key of every card holds no string for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash(pub u64);

impl std::fmt::Display for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl std::str::FromStr for Hash {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.len() != 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("`{s}` is not a hash (16 hex digits)"));
        }
        u64::from_str_radix(s, 16)
            .map(Hash)
            .map_err(|e| format!("`{s}` is not a hash: {e}"))
    }
}

impl serde::Serialize for Hash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Hash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// SHA-256 over length-prefixed parts, its first 8 bytes.
pub fn hash_parts<'a>(parts: impl IntoIterator<Item = &'a str>) -> Hash {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    Hash(u64::from_be_bytes(first))
}

/// Hash of everything a note carries but its guid: equal hashes, nothing to update.
pub fn content_hash(note: &Note) -> Hash {
    let tags = note.tags().join(" ");
    hash_parts([
        note.term(),
        note.definition(),
        note.context(),
        note.source(),
        if note.reverse { "y" } else { "" },
        tags.as_str(),
    ])
}

/// Hash of tags (for the change report).
pub fn tags_hash(tags: &[String]) -> Hash {
    hash_parts(tags.iter().map(String::as_str))
}

/// Hash of a note's media files' names (for the change report).
pub fn media_hash(note: &Note) -> Hash {
    hash_parts(note.media.iter().map(String::as_str))
}

/// The full deck name: `--deck`'s parent, the file's deck, and with `--subdecks` the
/// sections (in a vault, the note's title first: its folder is the deck).
pub fn deck_name(card: &Card, options: &Options) -> String {
    let mut parts: Vec<String> = options.parent_deck.iter().cloned().collect();
    parts.push(card.deck.to_string());
    if options.subdecks {
        let title = card.in_vault.then(|| card.title.to_string());
        parts.extend(
            title
                .into_iter()
                .chain(card.sections.iter().cloned())
                .map(|s| crate::tags::one_level(&s)),
        );
    }
    parts.retain(|p| !p.is_empty());
    parts.join("::")
}

/// The card's tags: one hierarchical tag for its section path under the note's title
/// (`Techstock::03`; none with `--subdecks`), then its tags from the notes.
pub fn tags(card: &Card, options: &Options) -> Vec<String> {
    let mut tags = Vec::with_capacity(1 + card.tags.len());
    if !options.subdecks {
        let levels: Vec<String> = std::iter::once(&*card.title)
            .chain(card.sections.iter().map(String::as_str))
            .map(crate::tags::level)
            .filter(|p| !p.is_empty())
            .collect();
        if !levels.is_empty() {
            tags.push(levels.join("::"));
        }
    }
    for tag in &card.tags {
        if !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }
    tags
}

/// The `Source` field: the file and the section path, not the line (it moves).
pub fn source_field(file_name: &str, sections: &[String]) -> String {
    std::iter::once(file_name)
        .chain(sections.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" › ")
}

/// Removes ASCII control characters other than tab and line feed. Anki strips them on
/// import anyway, and U+001F would split the field it is in: Anki joins a note's fields
/// with it, so the note would seem to have a field too many and the whole import fail.
pub fn strip_controls(text: String) -> String {
    if has_control(text.as_bytes()) {
        text.chars().filter(|&c| !is_stripped(c)).collect()
    } else {
        text
    }
}

/// Whether `bytes` hold a character [`strip_controls`] removes (all are ASCII; every
/// byte of a multi-byte character is 0x80 or above). Most text has none: each 64-byte
/// chunk is checked whole, without a branch per byte, which the compiler vectorises.
fn has_control(bytes: &[u8]) -> bool {
    let control = |b: &u8| (*b < 0x20 && *b != b'\t' && *b != b'\n') || *b == 0x7f;
    bytes
        .chunks(64)
        .any(|chunk| chunk.iter().fold(false, |found, b| found | control(b)))
}

fn is_stripped(c: char) -> bool {
    c.is_ascii_control() && c != '\t' && c != '\n'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_16_hex_digits_of_sha256() {
        // Python: hashlib.sha256(len(b"x").to_bytes(8, "little") + b"x").hexdigest()[:16]
        let h = hash_parts(["x"]);
        assert_eq!(h.to_string(), "f91b14e7bbea4c5b");
        assert_eq!(h.to_string().parse::<Hash>(), Ok(h));
        assert!("0123".parse::<Hash>().is_err());
        assert!("0123456789abcdeg".parse::<Hash>().is_err());
    }

    #[test]
    fn control_characters_are_stripped() {
        assert_eq!(strip_controls("a\u{1f}b\u{7}c\td\ne\r".into()), "abc\td\ne");
        assert_eq!(strip_controls("日本語".into()), "日本語");
        // Every control character, at every position around a 64-byte chunk's end.
        for c in (0u8..0x20).chain([0x7f]) {
            for at in (0..8).chain(56..72).chain(120..130) {
                let mut text = "x".repeat(130);
                text.insert(at, c as char);
                let expected = c == b'\t' || c == b'\n';
                assert_eq!(!has_control(text.as_bytes()), expected, "{c:#x} at {at}");
            }
        }
        assert!(!has_control("\t\n日本語のテキスト 123 ~ abc".as_bytes()));
    }
}
