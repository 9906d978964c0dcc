//! Finding the note files: every Markdown file under a folder, sorted, hidden ones skipped.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::source::Source;
use crate::Error;

/// A note file and the name it goes by in the `Source` field.
#[derive(Debug, Clone)]
pub struct NoteFile {
    pub source: Source,
    /// The path relative to the input folder (the file name for a file input).
    pub name: String,
    /// The file's stem: its deck when it has no `#` heading.
    pub stem: String,
}

fn is_markdown(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str()
        .is_some_and(|n| n.starts_with('.') && n != "." && n != "..")
}

/// The files the inputs name, in order: each input in turn, a folder's files sorted by path.
pub fn paths(inputs: &[PathBuf]) -> Result<Vec<(PathBuf, String)>, Error> {
    let mut found: Vec<(PathBuf, String)> = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => Error::MissingInput {
                path: input.clone(),
            },
            _ => Error::Read {
                path: input.clone(),
                source,
            },
        })?;
        if meta.is_dir() {
            let walker = WalkDir::new(input)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
            for entry in walker {
                let entry = entry.map_err(|err| Error::Read {
                    path: err.path().unwrap_or(input).to_path_buf(),
                    source: err.into(),
                })?;
                if entry.file_type().is_file() && is_markdown(entry.path()) {
                    let rel = entry.path().strip_prefix(input).unwrap_or(entry.path());
                    let name = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/");
                    found.push((entry.path().to_path_buf(), name));
                }
            }
        } else {
            let name = input
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            found.push((input.clone(), name));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    found.retain(|(path, _)| seen.insert(path.clone()));
    Ok(found)
}

/// Reads every note file the inputs name.
pub fn load(inputs: &[PathBuf]) -> Result<Vec<NoteFile>, Error> {
    paths(inputs)?
        .into_iter()
        .map(|(path, name)| {
            let stem = path
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
            Ok(NoteFile {
                source: Source::read(&path)?,
                name,
                stem,
            })
        })
        .collect()
}
