//! The command line: each command takes the options that apply to it, and only those.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use notes2anki::{Error, Options};

/// Turn the Markdown notes you already write into Anki decks.
///
/// Every list item that reads `term: definition` becomes a card; the file's `#` heading
/// names its deck, other headings become tags. Re-importing a rebuilt deck updates the
/// cards already in Anki instead of duplicating them.
#[derive(Debug, Parser)]
#[command(name = "notes2anki", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
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
    /// (the lock file is read, not written; no network request is made).
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
        /// Where to write the page (a name ending in .html)
        /// [default: out/<stem of the first input>.html]
        #[arg(short, long, value_name = "FILE.html")]
        output: Option<PathBuf>,
        #[command(flatten)]
        fetch: FetchArgs,
        #[command(flatten)]
        css: CssArg,
    },
    /// Check the notes: everything `build` does except writing the package and the lock.
    ///
    /// Prints every problem and what a build would change; exits 1 if there are errors
    /// (or, with --strict, warnings).
    Check {
        #[command(flatten)]
        notes: NotesArgs,
        #[command(flatten)]
        fetch: FetchArgs,
        #[command(flatten)]
        verbose: VerboseArg,
        /// List, per file, the styles that make cards there and the deck they go to.
        #[arg(long)]
        explain: bool,
    },
}

/// The notes and how they become cards (every command).
#[derive(Debug, Args)]
pub struct NotesArgs {
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

/// How remote images are had (build, watch, preview, check).
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Make no network request (remote images come from the cache only).
    #[arg(long)]
    offline: bool,
    /// Where downloaded images are cached
    /// [default: $XDG_CACHE_HOME/notes2anki, else ~/.cache/notes2anki]
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
}

/// The cards' look (build, watch, preview).
#[derive(Debug, Args)]
pub struct CssArg {
    /// CSS to add to the cards' own (it may override it), e.g. a bigger font.
    #[arg(long, value_name = "FILE")]
    css: Option<PathBuf>,
}

/// How much is said (build, watch, check).
#[derive(Debug, Args)]
pub struct VerboseArg {
    /// List every changed card and every warning (by default, 20 lines per kind of
    /// change, and warnings that share a cause as one group).
    #[arg(short, long)]
    pub verbose: bool,
}

/// A package and how it is made (build, watch).
#[derive(Debug, Args)]
pub struct PackageArgs {
    /// Where to write the package (a name ending in .apkg)
    /// [default: out/<stem of the first input>.apkg]
    #[arg(short, long, value_name = "FILE.apkg")]
    output: Option<PathBuf>,
    #[command(flatten)]
    fetch: FetchArgs,
    #[command(flatten)]
    css: CssArg,
    #[command(flatten)]
    pub verbose: VerboseArg,
    /// Write the lock file even though --deck, --subdecks, --reverse or --css differ from
    /// the options it was built with (without it, such a build is a trial: the lock
    /// stays as it was).
    #[arg(long)]
    keep_options: bool,
    /// The notes removed from the notes are deleted in Anki: stop repeating how to find
    /// them.
    #[arg(long)]
    forget_removed: bool,
}

impl PackageArgs {
    /// The options and the package's path.
    pub fn resolve(self, notes: NotesArgs) -> Result<(Options, PathBuf), Error> {
        let mut options = notes.options()?;
        self.fetch.apply(&mut options);
        self.css.apply(&mut options)?;
        options.keep_options = self.keep_options;
        options.forget_removed = self.forget_removed;
        let output = output_path(self.output, &options.inputs, "apkg")?;
        Ok((options, output))
    }
}

impl FetchArgs {
    pub fn apply(self, options: &mut Options) {
        options.offline = self.offline;
        options.cache_dir = self.cache_dir;
    }
}

impl CssArg {
    pub fn apply(self, options: &mut Options) -> Result<(), Error> {
        if let Some(path) = &self.css {
            options.extra_css = std::fs::read_to_string(path).map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?;
        }
        Ok(())
    }
}

impl NotesArgs {
    /// The options these say; no network request, no CSS of the user's.
    pub fn options(self) -> Result<Options, Error> {
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
            offline: true,
            now: now()?,
            lock: self.lock,
            cache_dir: None,
            progress: None,
            strict: self.strict,
            extra_css: String::new(),
            config: self.config,
            keep_options: false,
            forget_removed: false,
        })
    }
}

/// The time, from `SOURCE_DATE_EPOCH` when set (reproducible builds, tests).
pub fn now() -> Result<i64, Error> {
    let Ok(value) = std::env::var("SOURCE_DATE_EPOCH") else {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        return Ok(since.map_or(0, |d| d.as_secs() as i64));
    };
    value.trim().parse().map_err(|_| Error::Usage {
        message: format!(
            "SOURCE_DATE_EPOCH={value:?} is not a time: it must be whole seconds since 1970 (unset it to use the clock)"
        ),
    })
}

/// Where a command writes its file: `-o`, else `out/<stem of the first input>.<ext>`.
/// A folder, or a name without the extension, is an error that says what to give.
pub fn output_path(
    given: Option<PathBuf>,
    inputs: &[PathBuf],
    ext: &str,
) -> Result<PathBuf, Error> {
    let Some(path) = given else {
        return Ok(default_output(inputs).with_extension(ext));
    };
    let shown = path.display().to_string();
    let example = Path::new(&shown).join(format!("notes.{ext}"));
    if path.is_dir() || shown.ends_with('/') || shown.ends_with(std::path::MAIN_SEPARATOR) {
        return Err(Error::Usage {
            message: format!(
                "-o {shown}: that is a folder; give a file name in it, like -o {}",
                example.display()
            ),
        });
    }
    let has_ext = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(ext));
    if !has_ext {
        return Err(Error::Usage {
            message: format!(
                "-o {shown}: the file's name must end in .{ext}, like -o {}",
                path.with_extension(ext).display()
            ),
        });
    }
    Ok(path)
}

/// `out/<stem of the first input>.apkg` (`out/notes.apkg`).
pub fn default_output(inputs: &[PathBuf]) -> PathBuf {
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

    #[test]
    fn an_output_that_is_a_folder_or_lacks_its_extension_says_what_to_give() {
        let inputs = [PathBuf::from("notes")];
        let err = |p: &str, ext| {
            output_path(Some(p.into()), &inputs, ext)
                .unwrap_err()
                .to_string()
        };
        assert!(
            err("out/", "apkg").contains("like -o out/notes.apkg"),
            "{}",
            err("out/", "apkg")
        );
        assert!(err("x.txt", "apkg").contains("must end in .apkg, like -o x.apkg"));
        assert!(err("deck.apkg", "html").contains("like -o deck.html"));
        assert_eq!(
            output_path(Some("a/b.APKG".into()), &inputs, "apkg").unwrap(),
            PathBuf::from("a/b.APKG")
        );
    }
}
