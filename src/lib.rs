//! notes2anki: Markdown notes → Anki packages whose notes update in place.
//!
//! The pipeline, stage by stage ([`extract`] and [`build`]): [`load`] the files →
//! [`parse`] each and make its [`notes`] → resolve their images ([`media`]) → fronts
//! that stand alone ([`fronts`]) → guids and ids from the lock ([`ids`]) → write the
//! package ([`apkg`]) → write the [`lock`]. Parsing and identity do no I/O and never
//! read the clock: the time is an input ([`Options::now`]).

pub mod apkg;
pub mod card;
pub mod corpus;
pub mod diag;
mod error;
pub mod fronts;
pub mod identity;
pub mod ids;
pub mod load;
pub mod lock;
pub mod media;
pub mod memory;
pub mod note;
pub mod notes;
pub mod parse;
pub mod preview;
pub mod report;
pub mod settings;
pub mod source;
pub mod tags;
pub mod temp;
mod timings;
pub mod watch;

use std::path::{Path, PathBuf};

use diag::Diagnostic;
pub use error::Error;
pub use note::Note;
use report::Report;
pub use timings::Timings;
use timings::{timed, Lap};

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
    /// `--config FILE`: the settings file read instead of each input folder's own.
    pub config: Option<PathBuf>,
    /// `--keep-options`: write the lock even when the note options differ from its own.
    pub keep_options: bool,
    /// `--forget-removed`: the notes removed earlier are deleted in Anki; stop saying so.
    pub forget_removed: bool,
}

impl Options {
    /// Where the lock file is read and written.
    pub fn lock_path(&self) -> PathBuf {
        self.lock
            .clone()
            .unwrap_or_else(|| lock::default_path(&self.inputs))
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
    /// What applied to each file read: styles, deck, cards made.
    pub files: Vec<notes::FileExplain>,
    /// This build's note options, and, for a trial build (other note options than the
    /// lock's, without `--keep-options`), the lock's: then the lock is not written.
    pub note_options: lock::NoteOptions,
    pub trial: Option<lock::NoteOptions>,
    /// The notes removed from the notes, in this build or an earlier one, that may still
    /// be in Anki (none after `--forget-removed`).
    pub removed: Vec<lock::Removed>,
}

/// Reads, parses and identifies the notes, and resolves their images. Reads the lock
/// file (if any) but writes nothing.
pub fn extract(options: &Options) -> Result<Extracted, Error> {
    let mut timings = Timings::default();
    let mut lap = Lap::start();
    let (files, mut diagnostics) = load::files(&options.inputs, options.config.as_deref())?;
    let lock_path = options.lock_path();
    let names = load::lock_names(&files, &lock_path);
    timings.read = lap.next();
    let (mut per_file, old_lock, lock_read) =
        notes::parse_with_lock(&files, &names, &lock_path, options, &mut diagnostics)?;
    (timings.parse, timings.read) = (lap.next(), timings.read + lock_read);

    let (media, media_diagnostics) = media::resolve_all(&mut per_file, options);
    diagnostics.extend(media_diagnostics);
    let (mut notes, mut keys, files_explained) = notes::concatenate(per_file);
    memory::release(); // each file's lists, now one
    fronts::disambiguate(&mut notes, &mut keys, &notes::unbuilt_keys(&files, options));
    timings.media = lap.next();

    let built_files = names.iter().map(|n| n.to_string()).collect();
    let assignment = ids::assign(&keys, old_lock.as_ref(), &built_files, options.now);
    notes::put_ids(&mut notes, assignment.cards);
    diagnostics.extend(assignment.diagnostics);
    let (notetype, note_options, trial) = lock::for_build(old_lock.as_ref(), options);
    let lock_dir = temp::folder_of(&lock_path);
    let had_lock = old_lock.is_some();
    let removed = lock::still_removed(old_lock.as_ref(), &assignment.removed, &notes, options);
    let mut report = Report::new(&notes, &keys, assignment.removed, had_lock, &lock_dir);
    report.still_removed = removed.iter().map(|r| r.guid.clone()).collect();
    drop(old_lock);
    memory::release(); // the id stage's tables, and the old lock
    timings.ids = lap.next();

    let diagnostics = diag::refuse_or_keep(&notes, diagnostics, options)?;
    Ok(Extracted {
        notes,
        media,
        diagnostics,
        report,
        notetype,
        keys,
        kept: assignment.kept,
        lock_path,
        timings,
        files: files_explained,
        note_options,
        trial,
        removed,
    })
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

impl Summary {
    fn of(extracted: &Extracted, output: &Path) -> Summary {
        let notes = &extracted.notes;
        let decks: std::collections::BTreeSet<&str> = notes.iter().map(|n| n.deck()).collect();
        Summary {
            output: output.to_path_buf(),
            notes: notes.len(),
            cards: notes.iter().map(|n| n.ids.card_ids.len()).sum(),
            decks: decks.len(),
            media: extracted.media.len(),
        }
    }
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
        lock::EntryRef::of(note, key)
    }
}

/// Builds the package and then the lock file, both atomically: on any error the files
/// already on disk stay as they were.
pub fn build(options: &Options, output: &Path) -> Result<(Summary, Extracted), Error> {
    let mut extracted = extract(options)?;
    // Temporary files a killed build left beside the package or the lock go first.
    temp::sweep_beside(output);
    temp::sweep_beside(&extracted.lock_path);
    // The lock goes to a temporary file while the package is written (on the other
    // core); it replaces the old lock only once the package is in place. A trial build
    // leaves it as it was.
    let trial = extracted.trial.is_some();
    let (package, lock_file) = std::thread::scope(|scope| {
        let lock = scope.spawn(|| (!trial).then(|| timed(|| write_lock(&extracted))));
        let package = apkg::write(
            output,
            &extracted.notes,
            &extracted.media,
            extracted.notetype.mod_secs,
            &options.extra_css,
        );
        (package, lock.join())
    });
    let written = package?;
    let Ok(lock_file) = lock_file else {
        let source = std::io::Error::other("the lock writer stopped");
        let path = extracted.lock_path.clone();
        return Err(Error::Write { path, source });
    };
    extracted.timings.sqlite = written.collection;
    extracted.timings.zip = written.zip;
    if let Some((lock_file, lock_time)) = lock_file {
        let (persisted, persist_time) = timed(|| {
            temp::persist(lock_file?, &extracted.lock_path).map_err(|source| Error::Write {
                path: extracted.lock_path.clone(),
                source,
            })
        });
        persisted?;
        extracted.timings.lock = lock_time + persist_time;
    }
    Ok((Summary::of(&extracted, output), extracted))
}

fn write_lock(extracted: &Extracted) -> Result<tempfile::NamedTempFile, Error> {
    let count = extracted.lock_len();
    let entry = |i| extracted.lock_entry(i);
    let head = lock::Head {
        notetype: &extracted.notetype,
        options: &extracted.note_options,
        removed: &extracted.removed,
    };
    lock::write_temp(&extracted.lock_path, head, count, entry)
}
