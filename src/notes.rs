//! The parse and notes stages: each file read, parsed into cards, and its cards made
//! into notes (with the keys the id stage matches them by), by the worker that parsed
//! it, on every core — so no moment holds every file's cards and every note at once.

use std::sync::Arc;

use rayon::prelude::*;

use crate::card::{Card, ImageRef};
use crate::diag::Diagnostic;
use crate::ids::CardKey;
use crate::load::NoteFile;
use crate::note::{self, Note};
use crate::{ids, media, parse, source, Options};

/// One file's notes, as the worker that parsed it made them.
pub struct FileNotes {
    pub notes: Vec<Note>,
    /// Their identity keys, in the same order.
    pub keys: Vec<CardKey>,
    /// Notes with images (by index), and the images: their text holds placeholders
    /// until the images are resolved ([`fill_images`]).
    pub pending: Vec<(usize, Vec<ImageRef>)>,
    pub diagnostics: Vec<Diagnostic>,
    /// What applied to the file (for `check --explain`).
    pub explain: FileExplain,
}

/// What applied to one file: its styles and deck, and how many cards it made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileExplain {
    pub name: String,
    pub settings: crate::settings::FileSettings,
    /// The deck part of its cards' identity (before `--deck` and `--subdecks`).
    pub deck: String,
    pub cards: usize,
}

/// Reads and parses every file and makes its notes, keeping their order. `names` are
/// the files as the lock names them. Every file that cannot be read or decoded is
/// reported, not just the first.
pub fn parse_all(
    files: &[NoteFile],
    names: &[Arc<str>],
    options: &Options,
) -> Result<Vec<FileNotes>, Vec<Diagnostic>> {
    let parsed = each_file(files, names, options);
    let unreadable: Vec<Diagnostic> = parsed
        .iter()
        .filter_map(|p| p.as_ref().err().cloned())
        .collect();
    if unreadable.is_empty() {
        Ok(parsed.into_iter().flatten().collect())
    } else {
        Err(unreadable)
    }
}

/// Every file's notes, the lock (if any) and how long reading it took.
pub type ParsedWithLock = (
    Vec<FileNotes>,
    Option<crate::lock::Lock>,
    std::time::Duration,
);

/// The parse and notes stages, with the lock read alongside (each file is read by the
/// worker that parses it, so only the files being parsed are in memory at once). The
/// files' diagnostics join `diagnostics`; an unreadable file, or lock, is an error.
pub fn parse_with_lock(
    files: &[NoteFile],
    names: &[std::sync::Arc<str>],
    lock_path: &std::path::Path,
    options: &Options,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<ParsedWithLock, crate::Error> {
    let ((old_lock, lock_read), parsed) = rayon::join(
        || crate::timings::timed(|| crate::lock::Lock::read(lock_path)),
        || parse_all(files, names, options),
    );
    crate::memory::release(); // what parsing freed
    let mut per_file = parsed.map_err(|unreadable| {
        diagnostics.extend(unreadable);
        crate::Error::Invalid(std::mem::take(diagnostics))
    })?;
    let old_lock = old_lock?;
    for file in &mut per_file {
        diagnostics.append(&mut file.diagnostics);
    }
    Ok((per_file, old_lock, lock_read))
}

/// Each file's notes, or why it cannot be read.
fn each_file(
    files: &[NoteFile],
    names: &[Arc<str>],
    options: &Options,
) -> Vec<Result<FileNotes, Diagnostic>> {
    files
        .par_iter()
        .zip(names)
        .map(|(file, name)| {
            let source = source::Source::read(&file.path)?;
            let parsed = parse::parse(&source, &file.meta);
            drop(source);
            Ok(notes_of(parsed, name, options))
        })
        .collect()
}

/// The cards of the vault notes that share a deck with the notes built but are not
/// among them (see [`crate::load::vault_peers`]); none when a whole vault, or no vault,
/// is built. A peer that cannot be read counts for nothing.
pub fn unbuilt_keys(files: &[NoteFile], options: &Options) -> Vec<CardKey> {
    let peers = crate::load::vault_peers(files, options.config.as_deref());
    let names: Vec<Arc<str>> = peers.iter().map(|p| Arc::from(p.name.as_str())).collect();
    let parsed = each_file(&peers, &names, options).into_iter().flatten();
    parsed.flat_map(|f| f.keys).collect()
}

/// One file's notes from its cards. Each card is consumed as its note is made; deck,
/// tags and source are made once per section and shared.
fn notes_of(parsed: parse::Parsed, file_name: &Arc<str>, options: &Options) -> FileNotes {
    let mut made = FileNotes {
        notes: Vec::with_capacity(parsed.cards.len()),
        keys: Vec::with_capacity(parsed.cards.len()),
        pending: Vec::new(),
        diagnostics: parsed.diagnostics,
        explain: FileExplain {
            name: display_name(file_name).to_string(),
            settings: parsed.settings,
            deck: parsed.deck.to_string(),
            cards: parsed.cards.len(),
        },
    };
    let mut section: Option<SharedSection> = None;
    for card in parsed.cards {
        let shared = SharedSection::of(&mut section, &card, file_name, options);
        let (note, key, images) = note_of(card, shared, file_name, options);
        if !images.is_empty() {
            made.pending.push((made.notes.len(), images));
        }
        made.notes.push(note);
        made.keys.push(key);
    }
    made
}

/// A card's note and key, and its images (still to be resolved: until then the note's
/// text holds placeholders and the key no hashes).
fn note_of(
    card: Card,
    shared: Arc<note::Section>,
    file_name: &Arc<str>,
    options: &Options,
) -> (Note, CardKey, Vec<ImageRef>) {
    let reverse = card.reverse || options.reverse;
    let context = card.context_text();
    let Card {
        deck,
        place,
        term_html,
        options_html,
        definition_html,
        term_text,
        pinned_id,
        location,
        images,
        ..
    } = card;
    // Control characters go once the images are in place: a text's placeholders are
    // found before anything is taken out of it.
    let strip = |html: String| {
        if images.is_empty() {
            note::strip_controls(html)
        } else {
            html
        }
    };
    let escaped_context = note::strip_controls(parse::escape_attr(&context));
    let (term, options) = (strip(term_html), strip(options_html));
    let definition = strip(definition_html);
    let fields = [term.as_str(), &options, &definition, &escaped_context];
    let note = Note::new(shared, fields, reverse, location.clone());
    let (definition, content) = if images.is_empty() {
        (
            note::hash_parts([note.definition()]),
            note::content_hash(&note),
        )
    } else {
        (note::Hash(0), note::Hash(0)) // made by `fill_images`
    };
    let key = CardKey {
        deck,
        place,
        context,
        term: term_text,
        pinned: pinned_id,
        file: file_name.clone(),
        definition,
        content,
        tags: note.section.tags_hash,
        media: note::media_hash(&note),
        templates: 1 + usize::from(reverse),
        location,
    };
    (note, key, images)
}

/// Deck, tags and source, made once for the notes of a section (with the same tags
/// from the notes) and shared.
struct SharedSection {
    sections: Arc<[String]>,
    tags: Vec<String>,
    shared: Arc<note::Section>,
}

impl SharedSection {
    /// The section `card` is in: the last one made, or a new one.
    fn of(
        last: &mut Option<SharedSection>,
        card: &Card,
        file_name: &str,
        options: &Options,
    ) -> Arc<note::Section> {
        if let Some(s) = last
            .as_ref()
            .filter(|s| Arc::ptr_eq(&s.sections, &card.sections) && s.tags == card.tags)
        {
            return s.shared.clone();
        }
        let source = note::source_field(display_name(file_name), &card.sections);
        let tags = note::tags(card, options);
        let shared = Arc::new(note::Section {
            deck: note::deck_name(card, options),
            tags_hash: note::tags_hash(&tags),
            tags,
            source: note::strip_controls(parse::escape_attr(&source)),
        });
        *last = Some(SharedSection {
            sections: card.sections.clone(),
            tags: card.tags.clone(),
            shared: shared.clone(),
        });
        shared
    }
}

/// The file as the `Source` field names it: its lock-relative path without leading `..`.
fn display_name(lock_relative: &str) -> &str {
    let mut name = lock_relative;
    while let Some(rest) = name.strip_prefix("../") {
        name = rest;
    }
    name
}

/// Puts a note's resolved images in place of their placeholders, takes out control
/// characters, and gives its key the note's hashes.
pub fn fill_images(
    note: &mut Note,
    key: &mut CardKey,
    resolved: &[media::Resolved],
    names: Vec<String>,
) {
    let filled = |html: &str| note::strip_controls(media::fill_placeholders(html, resolved));
    let (term, options) = (filled(note.question()), filled(note.options()));
    let (definition, context) = (filled(note.definition()), note.context().to_string());
    note.set_text([&term, &options, &definition, &context]);
    note.media = names;
    key.definition = note::hash_parts([note.definition()]);
    key.content = note::content_hash(note);
    key.media = note::media_hash(note);
}

/// Every file's notes and keys in one list each, in the files' order, and what applied
/// to each file.
pub fn concatenate(per_file: Vec<FileNotes>) -> (Vec<Note>, Vec<CardKey>, Vec<FileExplain>) {
    let total = per_file.iter().map(|f| f.notes.len()).sum();
    let mut notes = Vec::with_capacity(total);
    let mut keys = Vec::with_capacity(total);
    // Each file's lists are freed once moved, and their pages given back every 16 MiB
    // moved: otherwise every note would be held twice at the end (measured at 125k
    // cards: a 150 MiB peak instead of 125). By size, not by file: a vault of
    // thousands of small files would otherwise pay for thousands of releases.
    const RELEASE_EVERY: usize = 16 << 20;
    let per_card = std::mem::size_of::<Note>() + std::mem::size_of::<CardKey>();
    let mut moved = 0;
    let mut explained = Vec::with_capacity(per_file.len());
    for file in per_file {
        explained.push(file.explain);
        moved += file.notes.len() * per_card;
        notes.extend(file.notes);
        keys.extend(file.keys);
        if moved >= RELEASE_EVERY {
            crate::memory::release();
            moved = 0;
        }
    }
    (notes, keys, explained)
}

/// Gives each note the ids the id stage assigned it.
pub fn put_ids(notes: &mut [Note], assigned: Vec<ids::Assigned>) {
    for (note, ids) in notes.iter_mut().zip(assigned) {
        note.ids = ids;
    }
}
