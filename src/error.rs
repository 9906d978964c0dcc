//! The errors that stop a command.

use std::path::PathBuf;

use crate::diag::Diagnostic;

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
    /// A command line that cannot be run as written (exit code 2).
    #[error("error[usage]: {message}")]
    Usage { message: String },
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
