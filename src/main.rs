//! The `notes2anki` command: arguments → options, run, print diagnostics, exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use notes2anki::{build, extract, Error, Options};

/// mimalloc: with tens of thousands of small strings per build, a third faster than the
/// system allocator (README, Performance).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Returns the pages mimalloc holds free to the system, on every worker thread and this
/// one (called between the pipeline's stages; see `notes2anki::memory`).
fn release_memory() {
    // SAFETY: `mi_collect` has no preconditions: it only frees what is unused.
    rayon::broadcast(|_| unsafe { libmimalloc_sys::mi_collect(true) });
    // SAFETY: as above.
    unsafe { libmimalloc_sys::mi_collect(true) };
}

/// Turn the Markdown notes you already write into Anki decks.
///
/// Every list item that reads `term: definition` becomes a card; the file's `#` heading
/// names its deck, other headings become tags. Re-importing a rebuilt deck updates the
/// cards already in Anki instead of duplicating them.
#[derive(Debug, Parser)]
#[command(name = "notes2anki", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write an Anki package (.apkg) from the notes, and update the lock file.
    ///
    /// Import the package in Anki with File → Import; importing a newer build updates
    /// the notes already there. The lock file (notes2anki.lock) remembers every card's
    /// id: commit it with your notes.
    Build {
        #[command(flatten)]
        notes: NotesArgs,
        #[command(flatten)]
        package: PackageArgs,
        /// Print how long each stage took (read, parse, media, ids, sqlite, zip, lock).
        #[arg(long)]
        timings: bool,
    },
    /// Print the cards the notes give, one JSON object per line, without writing anything
    /// (the lock file is read, not written).
    Cards {
        #[command(flatten)]
        notes: NotesArgs,
    },
    /// Build, then rebuild after every save until Ctrl-C.
    ///
    /// Prints the change report after each build; a broken edit reports its error and the
    /// last good package stays.
    Watch {
        #[command(flatten)]
        notes: NotesArgs,
        #[command(flatten)]
        package: PackageArgs,
    },
    /// Write one HTML page showing every card's front and back, as Anki will show them.
    Preview {
        #[command(flatten)]
        notes: NotesArgs,
        /// Where to write the page [default: out/<stem of the first input>.html]
        #[arg(short, long, value_name = "FILE.html")]
        output: Option<PathBuf>,
        /// Make no network request (remote images come from the cache only).
        #[arg(long)]
        offline: bool,
    },
    /// Check the notes: everything `build` does except writing the package and the lock.
    ///
    /// Prints every problem and what a build would change; exits 1 if there are errors
    /// (or, with --strict, warnings).
    Check {
        #[command(flatten)]
        notes: NotesArgs,
        /// Make no network request (remote images come from the cache only).
        #[arg(long)]
        offline: bool,
        /// List, per file, the styles that make cards there and the deck they go to.
        #[arg(long)]
        explain: bool,
    },
}

/// Where the package goes, and how images are fetched (build and watch).
#[derive(Debug, Args)]
struct PackageArgs {
    /// Where to write the package [default: out/<stem of the first input>.apkg]
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Make no network request (remote images come from the cache only).
    #[arg(long)]
    offline: bool,
    /// Where downloaded images are cached
    /// [default: $XDG_CACHE_HOME/notes2anki, else ~/.cache/notes2anki]
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
}

impl PackageArgs {
    /// The options and the output path.
    fn resolve(self, notes: NotesArgs) -> Result<(Options, PathBuf), Error> {
        let mut options = notes.options(self.offline)?;
        options.cache_dir = self.cache_dir;
        let output = self
            .output
            .unwrap_or_else(|| default_output(&options.inputs));
        Ok((options, output))
    }
}

#[derive(Debug, Args)]
struct NotesArgs {
    /// Markdown files or folders of them [default: notes]
    #[arg(value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Put every deck under a parent deck NAME (NAME::Techstock).
    #[arg(long, value_name = "NAME")]
    deck: Option<String>,
    /// Turn sections (## headings) into subdecks instead of tags.
    #[arg(long)]
    subdecks: bool,
    /// Give every card a reverse card too (definition → term).
    #[arg(long)]
    reverse: bool,
    /// CSS to add to the cards' own (it may override it), e.g. a bigger font.
    #[arg(long, value_name = "FILE")]
    css: Option<PathBuf>,
    /// Treat every warning as an error: report them all and write nothing.
    #[arg(long)]
    strict: bool,
    /// The lock file that keeps every card's id between builds
    /// [default: notes2anki.lock in the first input folder]
    #[arg(long, value_name = "PATH")]
    lock: Option<PathBuf>,
    /// Read this settings file instead of each input folder's notes2anki.toml (its
    /// paths stay relative to the input folder).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

impl NotesArgs {
    fn options(self, offline: bool) -> Result<Options, Error> {
        let extra_css = match &self.css {
            Some(path) => std::fs::read_to_string(path).map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?,
            None => String::new(),
        };
        let inputs = if self.inputs.is_empty() {
            vec![PathBuf::from("notes")]
        } else {
            self.inputs
        };
        Ok(Options {
            inputs,
            parent_deck: self.deck.filter(|d| !d.trim().is_empty()),
            subdecks: self.subdecks,
            reverse: self.reverse,
            offline,
            now: now(),
            lock: self.lock,
            cache_dir: None,
            progress: None,
            strict: self.strict,
            extra_css,
            config: self.config,
        })
    }
}

/// The time, from `SOURCE_DATE_EPOCH` when set (reproducible builds, tests).
fn now() -> i64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        })
}

/// One line of `cards`.
#[derive(Serialize)]
struct CardLine<'a> {
    guid: &'a str,
    deck: &'a str,
    /// The term (a quiz card's question; its options, shown below it, are `options`).
    term: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    options: &'a str,
    definition: &'a str,
    context: &'a str,
    tags: &'a [String],
    location: String,
    media: &'a [String],
    /// Whether the note also makes a reverse card.
    reverse: bool,
}

fn default_output(inputs: &[PathBuf]) -> PathBuf {
    let stem = inputs
        .first()
        .and_then(|p| {
            let p = if p.as_os_str() == "." {
                std::env::current_dir().ok()?
            } else {
                p.clone()
            };
            p.file_stem().map(|s| s.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "notes".into());
    PathBuf::from("out").join(format!("{stem}.apkg"))
}

/// A one-line progress bar on stderr (only used when stderr is a terminal).
fn show_progress(done: usize, total: usize) {
    const WIDTH: usize = 30;
    let filled = WIDTH * done / total.max(1);
    let bar = format!("{}{}", "#".repeat(filled), "-".repeat(WIDTH - filled));
    if done < total {
        eprint!("\rdownloading images [{bar}] {done}/{total}");
    } else {
        eprint!("\r{}\r", " ".repeat(WIDTH + 40));
    }
}

fn describe(inputs: &[PathBuf]) -> String {
    inputs
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a build says: diagnostics, the change report, (timings,) the summary line.
fn print_build(summary: &notes2anki::Summary, extracted: &notes2anki::Extracted, timings: bool) {
    let stderr = &mut std::io::stderr();
    for d in &extracted.diagnostics {
        let _ = writeln!(stderr, "{d}");
    }
    let _ = write!(stderr, "{}", extracted.report.render());
    if timings {
        let _ = writeln!(stderr, "{}", extracted.timings.render());
    }
    let _ = writeln!(
        stderr,
        "wrote {}: {}, {} in {}, {}, {}",
        summary.output.display(),
        plural(summary.cards, "card"),
        plural(summary.notes, "note"),
        plural(summary.decks, "deck"),
        plural(summary.media, "media file"),
        plural(extracted.diagnostics.len(), "warning"),
    );
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Build {
            notes,
            package,
            timings,
        } => run_build(notes, package, timings),
        Command::Watch { notes, package } => run_watch(notes, package),
        Command::Preview {
            notes,
            output,
            offline,
        } => run_preview(notes, output, offline),
        Command::Check {
            notes,
            offline,
            explain,
        } => run_check(notes, offline, explain),
        Command::Cards { notes } => run_cards(notes),
    }
}

fn run_build(notes: NotesArgs, package: PackageArgs, timings: bool) -> Result<(), Error> {
    let (mut options, output) = package.resolve(notes)?;
    if std::io::stderr().is_terminal() {
        options.progress = Some(show_progress);
    }
    if output.is_dir() {
        return Err(Error::Write {
            path: output,
            source: std::io::Error::other("is a folder; give a file name, like deck.apkg"),
        });
    }
    let (summary, extracted) = build(&options, &output)?;
    print_build(&summary, &extracted, timings);
    // The process ends here: freeing hundreds of thousands of strings one by one
    // would only cost time.
    std::mem::forget(extracted);
    Ok(())
}

fn run_watch(notes: NotesArgs, package: PackageArgs) -> Result<(), Error> {
    let (options, output) = package.resolve(notes)?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    // Ctrl-C (SIGINT) asks the loop to stop between builds; a build in progress
    // finishes (it is atomic anyway).
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    eprintln!("watching {} (Ctrl-C to stop)", describe(&options.inputs));
    notes2anki::watch::watch(&options, &output, &stop, &now, &mut |result| match result {
        Ok((summary, extracted)) => print_build(&summary, &extracted, false),
        Err(err) => {
            eprintln!("{err}");
            eprintln!("the last good package stays in place; waiting for the next save");
        }
    })?;
    eprintln!("stopped");
    Ok(())
}

fn run_preview(notes: NotesArgs, output: Option<PathBuf>, offline: bool) -> Result<(), Error> {
    let options = notes.options(offline)?;
    let output = output.unwrap_or_else(|| default_output(&options.inputs).with_extension("html"));
    let extracted = extract(&options)?;
    print_diagnostics(&extracted);
    let page = notes2anki::preview::render(&extracted.notes, &extracted.media, &options.extra_css);
    let write_error = |source| Error::Write {
        path: output.clone(),
        source,
    };
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(write_error)?;
    }
    notes2anki::temp::write_atomically(&output, page.as_bytes()).map_err(write_error)?;
    eprintln!(
        "wrote {}: {} to look at in a browser",
        output.display(),
        plural(extracted.notes.len(), "note")
    );
    Ok(())
}

fn run_check(notes: NotesArgs, offline: bool, explain: bool) -> Result<(), Error> {
    let options = notes.options(offline)?;
    let extracted = extract(&options)?;
    print_diagnostics(&extracted);
    if explain {
        print_explained(&extracted.files, options.parent_deck.as_deref());
    }
    eprint!("{}", extracted.report.render());
    eprintln!(
        "checked: {}, {}, no errors (nothing written)",
        plural(extracted.notes.len(), "note"),
        plural(extracted.diagnostics.len(), "warning"),
    );
    Ok(())
}

fn run_cards(notes: NotesArgs) -> Result<(), Error> {
    let options = notes.options(true)?;
    let extracted = extract(&options)?;
    let mut stdout = std::io::stdout().lock();
    for note in &extracted.notes {
        let line = CardLine {
            guid: &note.ids.guid,
            deck: note.deck(),
            term: note.question(),
            options: note.options(),
            definition: note.definition(),
            context: note.context(),
            tags: note.tags(),
            location: note.location.to_string(),
            media: &note.media,
            reverse: note.reverse,
        };
        let json = serde_json::to_string(&line).unwrap_or_default();
        if writeln!(stdout, "{json}").is_err() {
            break; // the reader went away (`| head`)
        }
    }
    print_diagnostics(&extracted);
    Ok(())
}

/// `check --explain`: per file, its styles, its deck and its cards (or that it is skipped).
fn print_explained(files: &[notes2anki::notes::FileExplain], parent: Option<&str>) {
    for file in files {
        if file.settings.skip {
            eprintln!("{}: skipped (settings or front matter)", file.name);
            continue;
        }
        let deck = match parent {
            Some(parent) => format!("{parent}::{}", file.deck),
            None => file.deck.clone(),
        };
        eprintln!(
            "{}: styles {}; deck {deck}; {}",
            file.name,
            file.settings.style_names(),
            plural(file.cards, "card")
        );
    }
}

fn print_diagnostics(extracted: &notes2anki::Extracted) {
    let stderr = &mut std::io::stderr();
    for d in &extracted.diagnostics {
        let _ = writeln!(stderr, "{d}");
    }
}

fn main() -> ExitCode {
    notes2anki::memory::set_release(release_memory);
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{err}");
            let count = match &err {
                Error::Invalid(diagnostics) => diagnostics.len(),
                _ => 1,
            };
            eprintln!("refused: {}; nothing was written", plural(count, "error"));
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn default_output_uses_the_first_input_stem() {
        assert_eq!(
            default_output(&[PathBuf::from("notes")]),
            PathBuf::from("out/notes.apkg")
        );
        assert_eq!(
            default_output(&[PathBuf::from("x/techstock.md")]),
            PathBuf::from("out/techstock.apkg")
        );
    }
}
