//! notes2anki: Markdown notes → Anki packages whose notes update in place.
//!
//! The pipeline, in one screen: [`load`] the files → [`parse`] each into cards →
//! give each a guid ([`identity`]) → resolve images ([`media`]) → write the package
//! ([`apkg`]). Parsing and identity do no I/O and never read the clock: the time is
//! an input ([`Options::now`]).

pub mod apkg;
pub mod card;
pub mod diag;
pub mod identity;
pub mod load;
pub mod media;
pub mod parse;
pub mod source;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use card::{Card, Location};
use diag::{Diagnostic, Severity};

/// Errors that stop a command: nothing is written when one happens.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: not valid UTF-8; save the file as UTF-8", path.display())]
    NotUtf8 { path: PathBuf, line: usize },
    #[error("{}: no such file or folder", path.display())]
    MissingInput { path: PathBuf },
    #[error("{}: no Markdown files (*.md) found", path.display())]
    NoNotes { path: PathBuf },
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Package { path: PathBuf, message: String },
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
}

/// A card ready to become a note: every field final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub guid: String,
    /// The full deck name (with `--deck` and `--subdecks` applied).
    pub deck: String,
    pub tags: Vec<String>,
    pub term: String,
    pub definition: String,
    /// The context as HTML (escaped text).
    pub context: String,
    pub source: String,
    pub reverse: bool,
    pub location: Location,
    /// Media file names the note references.
    pub media: Vec<String>,
    /// The term as plain text.
    pub term_text: String,
}

impl Note {
    /// The six fields, in the note type's frozen order.
    pub fn fields(&self) -> [String; 6] {
        [
            self.term.clone(),
            self.definition.clone(),
            self.context.clone(),
            self.source.clone(),
            self.guid.clone(),
            if self.reverse {
                "y".into()
            } else {
                String::new()
            },
        ]
    }
}

/// Everything the notes give, before anything is written.
#[derive(Debug, Default)]
pub struct Extracted {
    pub notes: Vec<Note>,
    pub media: media::MediaFiles,
    pub diagnostics: Vec<Diagnostic>,
}

impl Extracted {
    pub fn warnings(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }
}

/// Reads, parses and identifies the notes, and resolves their images.
pub fn extract(options: &Options) -> Result<Extracted, Error> {
    let files = load::load(&options.inputs)?;
    if files.is_empty() {
        return Err(Error::NoNotes {
            path: options.inputs.first().cloned().unwrap_or_default(),
        });
    }
    let mut out = Extracted::default();
    let mut cards: Vec<(Card, String)> = Vec::new();
    for file in &files {
        let parsed = parse::parse(&file.source, &file.stem);
        out.diagnostics.extend(parsed.diagnostics);
        cards.extend(parsed.cards.into_iter().map(|c| (c, file.name.clone())));
    }
    let guids = assign_guids(&cards, &mut out.diagnostics);
    let mut resolver = media::Resolver::new();
    for ((card, file_name), guid) in cards.iter().zip(guids) {
        let (resolved, names) = resolver.resolve(card);
        out.notes.push(Note {
            guid,
            deck: deck_name(card, options),
            tags: tags(card, options),
            term: media::fill_placeholders(&card.term_html, &resolved),
            definition: media::fill_placeholders(&card.definition_html, &resolved),
            context: parse::escape_attr(&card.context_text()),
            source: parse::escape_attr(&source_field(file_name, &card.sections)),
            reverse: card.reverse || options.reverse,
            location: card.location.clone(),
            media: names,
            term_text: card.term_text.clone(),
        });
    }
    out.media = resolver.files;
    out.diagnostics.extend(resolver.diagnostics);
    out.diagnostics
        .sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
    Ok(out)
}

/// Guids from identities; a second card with the same identity gets a distinct one.
fn assign_guids(cards: &[(Card, String)], diagnostics: &mut Vec<Diagnostic>) -> Vec<String> {
    let mut first_seen: BTreeMap<String, (Location, usize)> = BTreeMap::new();
    let mut guids = Vec::with_capacity(cards.len());
    for (card, _) in cards {
        let base = match &card.pinned_id {
            Some(id) => identity::pinned_guid(&card.deck, id),
            None => identity::guid(&card.deck, &card.context_text(), &card.term_text),
        };
        let entry = first_seen
            .entry(base.clone())
            .or_insert((card.location.clone(), 0));
        entry.1 += 1;
        if entry.1 == 1 {
            guids.push(base);
        } else {
            diagnostics.push(Diagnostic::warning(
                card.location.path.clone(),
                (card.location.line, card.location.col),
                "duplicate-card",
                format!(
                    "`{}` is already a card at {} (same deck, context and term); this one gets its own id — rename one, or pin it with <!-- anki: id=… -->",
                    card.term_text, entry.0
                ),
            ));
            guids.push(identity::nth_guid(&base, entry.1));
        }
    }
    guids
}

fn deck_name(card: &Card, options: &Options) -> String {
    let mut parts: Vec<String> = options.parent_deck.iter().cloned().collect();
    parts.push(card.deck.clone());
    if options.subdecks {
        parts.extend(card.sections.iter().map(|s| trim_section(s).to_string()));
    }
    parts.retain(|p| !p.is_empty());
    parts.join("::")
}

/// `03.` → `03`: trailing dots and spaces are not part of a section's name.
fn trim_section(name: &str) -> &str {
    name.trim_end_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_start()
}

/// One hierarchical tag for the section path (`Techstock::03`); none with `--subdecks`.
fn tags(card: &Card, options: &Options) -> Vec<String> {
    if options.subdecks {
        return Vec::new();
    }
    let tag: Vec<String> = std::iter::once(card.deck.as_str())
        .chain(card.sections.iter().map(String::as_str))
        .map(|part| {
            trim_section(part)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join("_")
        })
        .filter(|p| !p.is_empty())
        .collect();
    if tag.is_empty() {
        Vec::new()
    } else {
        vec![tag.join("::")]
    }
}

/// The `Source` field: the file and the section path, not the line (it moves).
fn source_field(file_name: &str, sections: &[String]) -> String {
    std::iter::once(file_name)
        .chain(sections.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" › ")
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

/// Builds the package: extract, then write `output` (atomically).
pub fn build(options: &Options, output: &Path) -> Result<(Summary, Vec<Diagnostic>), Error> {
    let extracted = extract(options)?;
    let (notes, decks) = package_notes(&extracted.notes, options.now);
    apkg::write(output, &notes, &decks, &extracted.media)?;
    let deck_names: std::collections::BTreeSet<&str> =
        extracted.notes.iter().map(|n| n.deck.as_str()).collect();
    let summary = Summary {
        output: output.to_path_buf(),
        notes: notes.len(),
        cards: notes.iter().map(|n| n.cards.len()).sum(),
        decks: deck_names.len(),
        media: extracted.media.len(),
    };
    Ok((summary, extracted.diagnostics))
}

/// Notes and decks as the package writer wants them. Ids are at most `now` (in ms),
/// every note's `mod` is `now`; new cards are due in the order of the notes.
fn package_notes(notes: &[Note], now: i64) -> (Vec<apkg::PackageNote>, Vec<apkg::Deck>) {
    let now_ms = now.saturating_mul(1000);
    let card_count: usize = notes.iter().map(|n| 1 + usize::from(n.reverse)).sum();
    let mut next_card = 0i64;
    let mut decks: BTreeMap<String, i64> = BTreeMap::new();
    let total_notes = notes.len() as i64;
    let package = notes
        .iter()
        .enumerate()
        .map(|(i, note)| {
            let i = i as i64;
            let deck_id = *decks
                .entry(note.deck.clone())
                .or_insert_with(|| apkg::deck_id(&note.deck));
            let ords: &[i64] = if note.reverse { &[0, 1] } else { &[0] };
            let cards = ords
                .iter()
                .map(|&ord| {
                    next_card += 1;
                    apkg::PackageCard {
                        id: (now_ms - card_count as i64 + next_card).max(next_card),
                        ord,
                        due: i + 1,
                    }
                })
                .collect();
            apkg::PackageNote {
                id: (now_ms - total_notes + i + 1).max(i + 1),
                guid: note.guid.clone(),
                mod_secs: now,
                deck_id,
                tags: note.tags.clone(),
                fields: note.fields(),
                cards,
            }
        })
        .collect();
    // Parent decks too, so every client shows the hierarchy the same way.
    let mut all: BTreeMap<String, i64> = BTreeMap::new();
    for (name, id) in &decks {
        let parts: Vec<&str> = name.split("::").collect();
        for n in 1..parts.len() {
            let parent = parts[..n].join("::");
            let parent_id = apkg::deck_id(&parent);
            all.entry(parent).or_insert(parent_id);
        }
        all.insert(name.clone(), *id);
    }
    let decks = all
        .into_iter()
        .map(|(name, id)| apkg::Deck { id, name })
        .collect();
    (package, decks)
}
