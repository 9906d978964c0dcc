//! Finding the note files: every Markdown file under a folder, sorted, hidden ones skipped.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::diag::Diagnostic;

fn is_markdown(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str()
        .is_some_and(|n| n.starts_with('.') && n != "." && n != "..")
}

/// The files the inputs name, in order: each input in turn, a folder's files sorted by
/// path (symbolic links followed; a link loop is skipped with a warning). Problems are
/// collected, not stopped at.
pub fn paths(inputs: &[PathBuf]) -> (Vec<(PathBuf, String)>, Vec<Diagnostic>) {
    let mut found: Vec<(PathBuf, String)> = Vec::new();
    let mut problems = Vec::new();
    for input in inputs {
        let meta = match std::fs::metadata(input) {
            Ok(meta) => meta,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                problems.push(Diagnostic::error(
                    input,
                    (0, 0),
                    "missing-input",
                    "no such file or folder",
                ));
                continue;
            }
            Err(err) => {
                problems.push(Diagnostic::error(
                    input,
                    (0, 0),
                    "cannot-read",
                    format!("cannot read: {err}"),
                ));
                continue;
            }
        };
        if meta.is_dir() {
            let walker = WalkDir::new(input)
                .follow_links(true)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
            for entry in walker {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(err) => {
                        let path = err.path().unwrap_or(input).to_path_buf();
                        problems.push(if err.loop_ancestor().is_some() {
                            Diagnostic::warning(
                                path,
                                (0, 0),
                                "symlink-loop",
                                "a symbolic link loops back to a folder above it; skipped",
                            )
                        } else {
                            Diagnostic::error(
                                path,
                                (0, 0),
                                "cannot-read",
                                format!("cannot read: {err}"),
                            )
                        });
                        continue;
                    }
                };
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
    (found, problems)
}
