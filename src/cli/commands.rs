//! Each command: its options in, the pipeline run, what it says out.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use serde::Serialize;

use super::args::{output_path, Command, CssArg, FetchArgs, NotesArgs, PackageArgs};
use super::print;
use notes2anki::{build, extract, Error};

pub fn run(command: Command) -> Result<(), Error> {
    match command {
        Command::Build {
            notes,
            package,
            timings,
        } => run_build(notes, package, timings),
        Command::Watch { notes, package } => run_watch(notes, package),
        Command::Preview {
            notes,
            output,
            fetch,
            css,
        } => run_preview(notes, output, fetch, css),
        Command::Check {
            notes,
            fetch,
            verbose,
            explain,
        } => run_check(notes, fetch, verbose.verbose, explain),
        Command::Cards { notes } => run_cards(notes),
    }
}

/// The download progress bar (a terminal only).
static PROGRESS: OnceLock<indicatif::ProgressBar> = OnceLock::new();

fn show_progress(done: usize, total: usize) {
    let bar = PROGRESS.get_or_init(|| {
        let bar = indicatif::ProgressBar::new(total as u64);
        let style =
            indicatif::ProgressStyle::with_template("downloading images {bar:30} {pos}/{len}");
        if let Ok(style) = style {
            bar.set_style(style);
        }
        bar
    });
    bar.set_position(done as u64);
    if done >= total {
        bar.finish_and_clear();
    }
}

fn run_build(notes: NotesArgs, package: PackageArgs, timings: bool) -> Result<(), Error> {
    let verbose = package.verbose.verbose;
    let (mut options, output) = package.resolve(notes)?;
    if std::io::stderr().is_terminal() {
        options.progress = Some(show_progress);
    }
    let (summary, extracted) = build(&options, &output)?;
    print::build(&summary, &extracted, verbose, timings);
    // The process ends here: freeing hundreds of thousands of strings one by one
    // would only cost time.
    std::mem::forget(extracted);
    Ok(())
}

fn run_watch(notes: NotesArgs, package: PackageArgs) -> Result<(), Error> {
    let verbose = package.verbose.verbose;
    let (options, output) = package.resolve(notes)?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    // Ctrl-C (SIGINT) asks the loop to stop between builds; a build in progress
    // finishes (it is atomic anyway).
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    let inputs: Vec<String> = options
        .inputs
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    eprintln!("watching {} (Ctrl-C to stop)", inputs.join(", "));
    let clock = || super::args::now().unwrap_or(0);
    notes2anki::watch::watch(&options, &output, &stop, &clock, &mut |result| {
        print::watch_rule(clock());
        match result {
            Ok((summary, extracted)) => print::build(&summary, &extracted, verbose, false),
            Err(err) => {
                eprintln!("{err}");
                eprintln!("the last good package stays in place; waiting for the next save");
            }
        }
    })?;
    eprintln!("stopped");
    Ok(())
}

fn run_preview(
    notes: NotesArgs,
    output: Option<PathBuf>,
    fetch: FetchArgs,
    css: CssArg,
) -> Result<(), Error> {
    let mut options = notes.options()?;
    fetch.apply(&mut options);
    css.apply(&mut options)?;
    let output = output_path(output, &options.inputs, "html")?;
    let extracted = extract(&options)?;
    print::diagnostics(&extracted.diagnostics, false);
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
        print::plural(extracted.notes.len(), "note")
    );
    Ok(())
}

fn run_check(
    notes: NotesArgs,
    fetch: FetchArgs,
    verbose: bool,
    explain: bool,
) -> Result<(), Error> {
    let mut options = notes.options()?;
    fetch.apply(&mut options);
    let extracted = extract(&options)?;
    print::diagnostics(&extracted.diagnostics, verbose);
    if explain {
        print::explained(&extracted.files, options.parent_deck.as_deref());
    }
    print::report(&extracted, verbose);
    eprintln!(
        "checked: {}, {}, no errors (nothing written)",
        print::plural(extracted.notes.len(), "note"),
        print::plural(extracted.diagnostics.len(), "warning"),
    );
    Ok(())
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

fn run_cards(notes: NotesArgs) -> Result<(), Error> {
    let options = notes.options()?;
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
    print::diagnostics(&extracted.diagnostics, true);
    Ok(())
}
