//! notes2anki: Markdown notes → Anki packages whose notes update in place.
//!
//! The pipeline, in one screen: [`load`] the files → [`parse`] each into cards →
//! give each a guid ([`identity`]) → resolve images ([`media`]) → write the package
//! ([`apkg`]). Parsing and identity do no I/O and never read the clock: the time is
//! an input ([`Options::now`]).

pub mod apkg;
pub mod card;
pub mod corpus;
pub mod diag;
pub mod fronts;
pub mod identity;
pub mod ids;
pub mod load;
pub mod lock;
pub mod media;
pub mod memory;
pub mod note;
pub mod parse;
pub mod preview;
pub mod report;
pub mod source;
pub mod tags;
pub mod temp;
pub mod watch;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use card::Card;
use diag::Diagnostic;
pub use note::Note;
use report::Report;

/// Errors that stop a command: nothing is written when one happens. Each renders as a
/// diagnostic line, `path[:line]: error[code]: message`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Problems in the notes, every one of them (the build refuses to write).
    #[error("{}", render_all(.0))]
    Invalid(Vec<Diagnostic>),
    #[error("{}: error[no-notes]: no Markdown files (*.md) found", path.display())]
    NoNotes { path: PathBuf },
    #[error("{}: error[no-cards]: no cards found: no list item reads `term: definition`", path.display())]
    NoCards { path: PathBuf },
    #[error("{}: error[cannot-write]: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: error[cannot-write]: {message}", path.display())]
    Package { path: PathBuf, message: String },
    #[error("{}: error[cannot-read]: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: error[bad-lock]: not a notes2anki lock file: {message}; fix it, or delete it to start afresh (notes renamed since the last build are then added anew)", path.display())]
    BadLock {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

fn render_all(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// Files or folders of notes.
    pub inputs: Vec<PathBuf>,
    /// `--deck NAME`: every deck goes under `NAME::`.
    pub parent_deck: Option<String>,
    /// `--subdecks`: sections become subdecks instead of tags.
    pub subdecks: bool,
    /// `--reverse`: every card also gets its reverse card.
    pub reverse: bool,
    /// `--offline`: make no network request.
    pub offline: bool,
    /// The time, in seconds since the epoch.
    pub now: i64,
    /// `--lock PATH`; by default [`lock::default_path`] of the inputs.
    pub lock: Option<PathBuf>,
    /// `--cache-dir`; by default [`media::cache::default_dir`].
    pub cache_dir: Option<PathBuf>,
    /// Called with (done, total) while remote images download.
    pub progress: Option<fn(usize, usize)>,
    /// `--strict`: any warning is an error, and nothing is written.
    pub strict: bool,
    /// `--css FILE`'s contents: CSS appended to the note type's own.
    pub extra_css: String,
}

impl Options {
    /// Where the lock file is read and written.
    pub fn lock_path(&self) -> PathBuf {
        self.lock
            .clone()
            .unwrap_or_else(|| lock::default_path(&self.inputs))
    }
}

/// Where a build's time went, stage by stage (measured, never written anywhere).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Timings {
    /// Listing the files, and reading the lock (which happens while they are parsed).
    pub read: Duration,
    /// Reading and parsing the files and making their notes, on every core.
    pub parse: Duration,
    /// Resolving images, and gathering every file's notes into one list.
    pub media: Duration,
    /// Guids, ids and the change report.
    pub ids: Duration,
    /// Making the collection's pages (not counting waits for the zip thread).
    pub sqlite: Duration,
    /// Compressing them into the zip, on its own thread.
    pub zip: Duration,
    /// Writing the lock file, on its own thread, and putting it in place.
    pub lock: Duration,
}

impl Timings {
    /// One line: each stage in milliseconds.
    pub fn render(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "timings (ms): read {:.1}, parse {:.1}, media {:.1}, ids {:.1}, sqlite {:.1}, zip {:.1}, lock {:.1}",
            ms(self.read),
            ms(self.parse),
            ms(self.media),
            ms(self.ids),
            ms(self.sqlite),
            ms(self.zip),
            ms(self.lock)
        )
    }
}

/// Everything the notes give, before anything is written.
#[derive(Debug, Default)]
pub struct Extracted {
    pub notes: Vec<Note>,
    pub media: media::MediaFiles,
    pub diagnostics: Vec<Diagnostic>,
    /// What changed since the lock was written.
    pub report: Report,
    /// What the lock will say: the note type, each note's key (in the order of the
    /// notes), and the entries of files this build did not read; and where it goes.
    pub notetype: lock::NotetypeEntry,
    pub keys: Vec<ids::CardKey>,
    pub kept: Vec<lock::Entry>,
    pub lock_path: PathBuf,
    pub timings: Timings,
}

/// Reads, parses and identifies the notes, and resolves their images. Reads the lock
/// file (if any) but writes nothing.
pub fn extract(options: &Options) -> Result<Extracted, Error> {
    let mut timings = Timings::default();
    let mut clock = Instant::now();
    let mut lap = || {
        let now = Instant::now();
        let elapsed = now - clock;
        clock = now;
        elapsed
    };
    // Files are listed here and read by the workers that parse them, so only the files
    // being parsed are in memory at once.
    let (files, load_problems) = load::paths(&options.inputs);
    if load_problems
        .iter()
        .any(|d| d.severity == diag::Severity::Error)
    {
        return Err(Error::Invalid(load_problems));
    }
    if files.is_empty() {
        return Err(Error::NoNotes {
            path: options.inputs.first().cloned().unwrap_or_default(),
        });
    }
    let lock_path = options.lock_path();
    let lock_dir = temp::folder_of(&lock_path).canonicalize().ok();

    let mut out = Extracted {
        lock_path,
        diagnostics: load_problems,
        ..Extracted::default()
    };
    timings.read = lap();
    let names: Vec<Arc<str>> = files
        .iter()
        .map(|file| {
            lock_relative(lock_dir.as_deref(), &file.path)
                .unwrap_or_else(|| file.name.clone())
                .into()
        })
        .collect();
    let built_files: std::collections::BTreeSet<String> =
        names.iter().map(|n| n.to_string()).collect();
    // The lock (a line per card) is read while the notes are parsed. Each file's
    // notes are made by the worker that parsed it, as soon as it has: no moment holds
    // every file's cards.
    let ((old_lock, lock_read), all_parsed) = rayon::join(
        || {
            let started = Instant::now();
            (lock::Lock::read(&out.lock_path), started.elapsed())
        },
        || parse_all(&files, &names, options),
    );
    memory::release(); // what parsing freed

    // Every file that cannot be read or decoded is reported, not just the first (and
    // before any problem with the lock).
    let unreadable: Vec<Diagnostic> = all_parsed
        .iter()
        .filter_map(|p| p.as_ref().err().cloned())
        .collect();
    if !unreadable.is_empty() {
        let mut problems = out.diagnostics;
        problems.extend(unreadable);
        return Err(Error::Invalid(problems));
    }
    let old_lock = old_lock?;
    let mut per_file: Vec<FileNotes> = all_parsed.into_iter().flatten().collect();
    for file in &mut per_file {
        out.diagnostics.append(&mut file.diagnostics);
    }

    timings.parse = lap();
    timings.read += lock_read; // (during the parse)
    let cache_dir = options
        .cache_dir
        .clone()
        .unwrap_or_else(media::cache::default_dir);
    let progress = options
        .progress
        .map(|f| move |done: usize, total: usize| f(done, total));
    let remote = media::fetch::fetch_all(
        &media::remote_urls(
            per_file
                .iter()
                .flat_map(|f| &f.pending)
                .flat_map(|(_, images)| images),
        ),
        &media::fetch::FetchOptions {
            offline: options.offline,
            cache: media::cache::Cache::new(&cache_dir),
            progress: progress
                .as_ref()
                .map(|p| p as &(dyn Fn(usize, usize) + Sync)),
        },
    );
    // Images are resolved in the notes' order (media names and warnings follow it).
    let mut resolver = media::Resolver::new(remote);
    for file in &mut per_file {
        for (i, images) in std::mem::take(&mut file.pending) {
            let (resolved, names) = resolver.resolve(&images);
            fill_images(&mut file.notes[i], &mut file.keys[i], &resolved, names);
        }
    }
    out.media = resolver.files;
    out.diagnostics.extend(resolver.diagnostics);
    let (mut notes, mut keys) = concatenate(per_file);
    memory::release(); // each file's lists, now one
    fronts::disambiguate(&mut notes, &mut keys, &unbuilt_keys(&files, options));
    out.notes = notes;
    timings.media = lap();

    let ids::Assignment {
        cards: assigned,
        removed,
        kept,
        diagnostics: id_diagnostics,
    } = ids::assign(&keys, old_lock.as_ref(), &built_files, options.now);
    for (note, ids) in out.notes.iter_mut().zip(assigned) {
        note.ids = ids;
    }
    out.diagnostics.extend(id_diagnostics);
    out.diagnostics
        .sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));

    let notetype_hash = apkg::notetype::hash(&options.extra_css);
    let notetype_mod = match &old_lock {
        Some(l) if l.notetype.hash == notetype_hash => l.notetype.mod_secs,
        Some(l) => options.now.max(l.notetype.mod_secs.saturating_add(1)),
        None => options.now,
    };
    out.notetype = lock::NotetypeEntry {
        hash: notetype_hash,
        mod_secs: notetype_mod,
    };
    out.keys = keys;
    out.kept = kept;
    out.report = Report::new(&out.notes, &out.keys, removed, old_lock.is_some());
    drop(old_lock);
    memory::release(); // the id stage's tables, and the old lock
    timings.ids = lap();
    if out.notes.is_empty() {
        return Err(Error::NoCards {
            path: options.inputs.first().cloned().unwrap_or_default(),
        });
    }
    if options.strict && !out.diagnostics.is_empty() {
        // --strict: every warning is an error, shown with its source line.
        let mut texts: BTreeMap<PathBuf, Option<String>> = BTreeMap::new();
        let errors = std::mem::take(&mut out.diagnostics)
            .into_iter()
            .map(|d| {
                let text = texts
                    .entry(d.path.clone())
                    .or_insert_with(|| std::fs::read_to_string(&d.path).ok());
                let line = text
                    .as_deref()
                    .and_then(|t| t.lines().nth(d.line.checked_sub(1)?))
                    .map(str::to_string);
                Diagnostic {
                    severity: diag::Severity::Error,
                    source_line: line,
                    ..d
                }
            })
            .collect();
        return Err(Error::Invalid(errors));
    }
    out.timings = timings;
    Ok(out)
}

/// The cards of the vault notes that share a deck with the notes built but are not
/// among them (see [`load::vault_peers`]); none when a whole vault, or no vault, is built.
fn unbuilt_keys(files: &[load::NoteFile], options: &Options) -> Vec<ids::CardKey> {
    let peers = load::vault_peers(files);
    let names: Vec<Arc<str>> = peers.iter().map(|p| Arc::from(p.name.as_str())).collect();
    parse_all(&peers, &names, options)
        .into_iter()
        .flatten()
        .flat_map(|f| f.keys)
        .collect()
}

/// One file's notes, as the worker that parsed it made them.
struct FileNotes {
    notes: Vec<Note>,
    /// Their identity keys, in the same order.
    keys: Vec<ids::CardKey>,
    /// Notes with images (by index), and the images: their text holds placeholders
    /// until the images are resolved.
    pending: Vec<(usize, Vec<card::ImageRef>)>,
    diagnostics: Vec<Diagnostic>,
}

/// Reads and parses every file and makes its notes, on every core, keeping their order.
fn parse_all(
    files: &[load::NoteFile],
    names: &[Arc<str>],
    options: &Options,
) -> Vec<Result<FileNotes, Diagnostic>> {
    use rayon::prelude::*;
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

/// One file's notes from its cards. Each card is consumed as its note is made; deck,
/// tags and source are made once per section and shared.
fn notes_of(parsed: parse::Parsed, file_name: &Arc<str>, options: &Options) -> FileNotes {
    let mut made = FileNotes {
        notes: Vec::with_capacity(parsed.cards.len()),
        keys: Vec::with_capacity(parsed.cards.len()),
        pending: Vec::new(),
        diagnostics: parsed.diagnostics,
    };
    let mut section: Option<SharedSection> = None;
    for card in parsed.cards {
        let reverse = card.reverse || options.reverse;
        let context_text = card.context_text();
        let shared = SharedSection::of(&mut section, &card, file_name, options);
        let Card {
            deck: file_deck,
            place,
            term_html,
            definition_html,
            term_text,
            pinned_id,
            location,
            images,
            ..
        } = card;
        // Control characters go once the images are in place (as they always have:
        // a text's placeholders are found before anything is taken out of it).
        let strip = |html: String| {
            if images.is_empty() {
                note::strip_controls(html)
            } else {
                html
            }
        };
        let note = Note::new(
            shared,
            [
                &strip(term_html),
                &strip(definition_html),
                &note::strip_controls(parse::escape_attr(&context_text)),
            ],
            reverse,
            location.clone(),
        );
        // A note with images is hashed once they are resolved (`fill_images`).
        let hashes = if images.is_empty() {
            (
                note::hash_parts([note.definition()]),
                note::content_hash(&note),
            )
        } else {
            made.pending.push((made.notes.len(), images));
            (note::Hash(0), note::Hash(0))
        };
        made.keys.push(ids::CardKey {
            deck: file_deck,
            place,
            context: context_text,
            term: term_text,
            pinned: pinned_id,
            file: file_name.clone(),
            definition: hashes.0,
            content: hashes.1,
            templates: 1 + usize::from(reverse),
            location,
        });
        made.notes.push(note);
    }
    made
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
        let shared = Arc::new(note::Section {
            deck: note::deck_name(card, options),
            tags: note::tags(card, options),
            source: note::strip_controls(parse::escape_attr(&note::source_field(
                display_name(file_name),
                &card.sections,
            ))),
        });
        *last = Some(SharedSection {
            sections: card.sections.clone(),
            tags: card.tags.clone(),
            shared: shared.clone(),
        });
        shared
    }
}

/// Puts a note's resolved images in place of their placeholders, takes out control
/// characters, and gives its key the note's hashes.
fn fill_images(
    note: &mut Note,
    key: &mut ids::CardKey,
    resolved: &[media::Resolved],
    names: Vec<String>,
) {
    let filled = |html: &str| note::strip_controls(media::fill_placeholders(html, resolved));
    let (term, definition) = (filled(note.term()), filled(note.definition()));
    let context = note.context().to_string();
    note.set_text([&term, &definition, &context]);
    note.media = names;
    key.definition = note::hash_parts([note.definition()]);
    key.content = note::content_hash(note);
}

/// Every file's notes and keys in one list each, in the files' order.
fn concatenate(per_file: Vec<FileNotes>) -> (Vec<Note>, Vec<ids::CardKey>) {
    let total = per_file.iter().map(|f| f.notes.len()).sum();
    let mut notes = Vec::with_capacity(total);
    let mut keys = Vec::with_capacity(total);
    // Each file's lists are freed once moved, and their pages given back every 16 MiB
    // moved: otherwise every note would be held twice at the end (measured at 125k
    // cards: a 150 MiB peak instead of 125). By size, not by file: a vault of
    // thousands of small files would otherwise pay for thousands of releases.
    const RELEASE_EVERY: usize = 16 << 20;
    let per_card = std::mem::size_of::<Note>() + std::mem::size_of::<ids::CardKey>();
    let mut moved = 0;
    for file in per_file {
        moved += file.notes.len() * per_card;
        notes.extend(file.notes);
        keys.extend(file.keys);
        if moved >= RELEASE_EVERY {
            memory::release();
            moved = 0;
        }
    }
    (notes, keys)
}

/// A note file's path relative to the lock's folder, `/`-separated (with `..` when the
/// file is outside it): the same whichever input named the file.
fn lock_relative(lock_dir: Option<&Path>, file: &Path) -> Option<String> {
    let file = file.canonicalize().ok()?;
    let base: Vec<_> = lock_dir?.components().collect();
    let target: Vec<_> = file.components().collect();
    let common = base.iter().zip(&target).take_while(|(a, b)| a == b).count();
    let parts: Vec<String> = std::iter::repeat_n("..".to_string(), base.len() - common)
        .chain(
            target[common..]
                .iter()
                .map(|c| c.as_os_str().to_string_lossy().into_owned()),
        )
        .collect();
    Some(parts.join("/"))
}

/// The file as the `Source` field names it: its lock-relative path without leading `..`.
fn display_name(lock_relative: &str) -> &str {
    let mut name = lock_relative;
    while let Some(rest) = name.strip_prefix("../") {
        name = rest;
    }
    name
}

/// What a build wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub output: PathBuf,
    pub notes: usize,
    pub cards: usize,
    /// Decks holding cards (parents created only for the hierarchy not counted).
    pub decks: usize,
    pub media: usize,
}

impl Extracted {
    /// How many entries the lock will have.
    pub fn lock_len(&self) -> usize {
        self.notes.len() + self.kept.len()
    }

    /// The lock's `i`-th entry, borrowed from the notes and their keys, or from the kept
    /// entries after them.
    pub fn lock_entry(&self, i: usize) -> lock::EntryRef<'_> {
        let Some((key, note)) = self.keys.get(i).zip(self.notes.get(i)) else {
            return self.kept[i - self.notes.len()].as_ref();
        };
        lock::EntryRef {
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
        }
    }
}

/// Builds the package and then the lock file, both atomically: on any error the files
/// already on disk stay as they were.
pub fn build(options: &Options, output: &Path) -> Result<(Summary, Extracted), Error> {
    let mut extracted = extract(options)?;
    // Temporary files a killed build left beside the package or the lock go first.
    for dir in [output.parent(), extracted.lock_path.parent()]
        .into_iter()
        .flatten()
    {
        temp::sweep(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        });
    }
    // The lock goes to a temporary file while the package is written (on the other
    // core); it replaces the old lock only once the package is in place.
    let (lock_result, package_result) = std::thread::scope(|scope| {
        let lock_writer = scope.spawn(|| {
            let started = Instant::now();
            lock::write_temp(
                &extracted.lock_path,
                &extracted.notetype,
                extracted.lock_len(),
                |i| extracted.lock_entry(i),
            )
            .map(|file| (file, started.elapsed()))
        });
        let package = apkg::write(
            output,
            &extracted.notes,
            &extracted.media,
            extracted.notetype.mod_secs,
            &options.extra_css,
        );
        let lock = lock_writer.join().unwrap_or_else(|_| {
            Err(Error::Write {
                path: extracted.lock_path.clone(),
                source: std::io::Error::other("the lock writer stopped"),
            })
        });
        (lock, package)
    });
    let written = package_result?;
    let (lock_file, lock_time) = lock_result?;
    extracted.timings.sqlite = written.collection;
    extracted.timings.zip = written.zip;
    let started = Instant::now();
    temp::persist(lock_file, &extracted.lock_path).map_err(|source| Error::Write {
        path: extracted.lock_path.clone(),
        source,
    })?;
    extracted.timings.lock = lock_time + started.elapsed();
    let deck_names: std::collections::BTreeSet<&str> =
        extracted.notes.iter().map(|n| n.deck()).collect();
    let summary = Summary {
        output: output.to_path_buf(),
        notes: extracted.notes.len(),
        cards: extracted.notes.iter().map(|n| n.ids.card_ids.len()).sum(),
        decks: deck_names.len(),
        media: extracted.media.len(),
    };
    Ok((summary, extracted))
}
