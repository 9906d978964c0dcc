//! Finding the note files: every Markdown file under a folder, sorted, hidden ones
//! skipped; and, for each, the Obsidian vault it is in (if any).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use walkdir::WalkDir;

use crate::diag::{Diagnostic, Severity};
use crate::parse::FileMeta;

/// A note file to read.
#[derive(Debug, Clone)]
pub struct NoteFile {
    /// The path to read it at.
    pub path: PathBuf,
    /// Its path under the input that named it, `/`-separated.
    pub name: String,
    /// What the parser needs to know of it.
    pub meta: FileMeta,
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

/// The load stage: the files the inputs name (see [`paths`]), and the warnings about
/// them; an error if any input cannot be read, or none holds a note file.
pub fn files(
    inputs: &[PathBuf],
    config: Option<&Path>,
) -> Result<(Vec<NoteFile>, Vec<Diagnostic>), crate::Error> {
    let (files, problems) = paths(inputs, config);
    if problems.iter().any(|d| d.severity == Severity::Error) {
        return Err(crate::Error::Invalid(problems));
    }
    if files.is_empty() {
        return Err(crate::Error::NoNotes {
            path: inputs.first().cloned().unwrap_or_default(),
        });
    }
    Ok((files, problems))
}

/// Each file as the lock names it: its path relative to the lock's folder,
/// `/`-separated (with `..` when the file is outside it), the same whichever input
/// named the file; its name under its input if either cannot be found.
pub fn lock_names(files: &[NoteFile], lock_path: &Path) -> Vec<Arc<str>> {
    let lock_dir = crate::temp::folder_of(lock_path).canonicalize().ok();
    files
        .iter()
        .map(|file| {
            lock_relative(lock_dir.as_deref(), &file.path)
                .unwrap_or_else(|| file.name.clone())
                .into()
        })
        .collect()
}

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

/// The files the inputs name, in order: each input in turn, a folder's files sorted by
/// path (symbolic links followed; a link loop, or a link to nothing, is skipped with a
/// warning), each with what the settings of its input folder (or `config`) say of it.
/// Problems are collected, not stopped at.
pub fn paths(inputs: &[PathBuf], config: Option<&Path>) -> (Vec<NoteFile>, Vec<Diagnostic>) {
    let mut found: Vec<(PathBuf, String, PathBuf)> = Vec::new();
    let mut problems = Vec::new();
    for input in inputs {
        match std::fs::metadata(input) {
            Ok(meta) if meta.is_dir() => walk(input, &mut found, &mut problems),
            Ok(_) => {
                let name = input
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                found.push((input.clone(), name, crate::temp::folder_of(input)));
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                problems.push(Diagnostic::error(
                    input,
                    (0, 0),
                    "missing-input",
                    "no such file or folder",
                ));
            }
            Err(err) => problems.push(cannot_read(input, &err)),
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    found.retain(|(path, _, _)| seen.insert(path.clone()));
    let mut vaults = Vaults::default();
    let mut settings: BTreeMap<PathBuf, crate::settings::Settings> = BTreeMap::new();
    let mut files = Vec::with_capacity(found.len());
    for (path, name, root) in found {
        if !settings.contains_key(&root) {
            let read = crate::settings::Settings::for_folder(&root, config);
            let read = read.unwrap_or_else(|problem| {
                problems.push(problem);
                Default::default()
            });
            settings.insert(root.clone(), read);
        }
        let mut meta = vaults.meta(&path, &root);
        meta.settings = settings[&root].for_file(&name);
        meta.folder_deck = folder_deck(&root, &name);
        files.push(NoteFile { path, name, meta });
    }
    (files, problems)
}

/// `deck = "folder"`: the input folder's name, then the folders of `name` under it.
fn folder_deck(root: &Path, name: &str) -> String {
    let folders = name.rsplit_once('/').map_or("", |(dirs, _)| dirs);
    std::iter::once(crate::parse::folder_name(root))
        .chain(folders.split('/').map(str::to_string))
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("::")
}

/// The other notes of the vault folders `files` are in, which this build does not read.
/// The notes of a vault folder share a deck, and whether two cards of it would show the
/// same front depends on all of them: building one file of a vault must give the same
/// ids as building the whole vault.
/// Each peer gets the settings its folder's would give it as an input file.
pub fn vault_peers(files: &[NoteFile], config: Option<&Path>) -> Vec<NoteFile> {
    let folders: BTreeSet<PathBuf> = files
        .iter()
        .filter(|f| f.meta.vault_deck.is_some())
        .filter_map(|f| f.path.parent()?.canonicalize().ok())
        .collect();
    if folders.is_empty() {
        return Vec::new(); // no vault: nothing more to look at
    }
    let built: BTreeSet<PathBuf> = files
        .iter()
        .filter_map(|f| f.path.canonicalize().ok())
        .collect();
    let mut vaults = Vaults::default();
    let mut peers = Vec::new();
    for folder in folders {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&folder)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file() && is_markdown(p) && !p.file_name().is_some_and(is_hidden))
            .filter(|p| p.canonicalize().is_ok_and(|c| !built.contains(&c)))
            .collect();
        entries.sort();
        let settings = crate::settings::Settings::for_folder(&folder, config).unwrap_or_default();
        for path in entries {
            let mut meta = vaults.meta(&path, &folder);
            let file_name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            meta.settings = settings.for_file(&file_name);
            meta.folder_deck = folder_deck(&folder, &file_name);
            let name = path.to_string_lossy().into_owned();
            peers.push(NoteFile { path, name, meta });
        }
    }
    peers
}

fn cannot_read(path: &Path, err: &dyn std::fmt::Display) -> Diagnostic {
    Diagnostic::error(path, (0, 0), "cannot-read", format!("cannot read: {err}"))
}

/// Every Markdown file under the folder `input`: (path, name under it, the folder).
fn walk(input: &Path, found: &mut Vec<(PathBuf, String, PathBuf)>, problems: &mut Vec<Diagnostic>) {
    let walker = WalkDir::new(input)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                problems.extend(walk_problem(input, &err));
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
            found.push((entry.path().to_path_buf(), name, input.to_path_buf()));
        }
    }
}

/// A folder entry that cannot be followed: a loop or a dangling link is skipped with a
/// warning (vaults synced from elsewhere often hold links to nothing); anything else
/// cannot be read.
fn walk_problem(input: &Path, err: &walkdir::Error) -> Option<Diagnostic> {
    let path = err.path().unwrap_or(input).to_path_buf();
    let dangling = err
        .io_error()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound)
        && std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
    // A link to nothing named like a hidden file or a file that is no note would have
    // been skipped anyway: no word about it.
    let name = path.file_name().unwrap_or_default();
    let would_read = !is_hidden(name) && (is_markdown(&path) || path.extension().is_none());
    if err.loop_ancestor().is_some() {
        Diagnostic::warning(
            path,
            (0, 0),
            "symlink-loop",
            "a symbolic link loops back to a folder above it; skipped",
        )
        .into()
    } else if dangling && !would_read {
        None
    } else if dangling {
        Diagnostic::warning(
            path,
            (0, 0),
            "broken-link",
            "a symbolic link to nothing (its target is gone); skipped",
        )
        .into()
    } else {
        Some(cannot_read(&path, err))
    }
}

/// The Obsidian vaults the files are in, each folder looked at once.
#[derive(Default)]
struct Vaults {
    /// Folder → the vault it is in.
    of_dir: BTreeMap<PathBuf, Option<PathBuf>>,
}

impl Vaults {
    /// What the parser needs to know of `file`, found under `root`.
    fn meta(&mut self, file: &Path, root: &Path) -> FileMeta {
        let stem = file
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let dir = crate::temp::folder_of(file).canonicalize().ok();
        let Some((dir, vault)) = dir.and_then(|d| self.vault_of(&d).map(|v| (d, v))) else {
            return FileMeta::plain(&stem, root);
        };
        FileMeta {
            vault_deck: Some(vault_deck(&vault, &dir)),
            root: Arc::from(vault.as_path()),
            ..FileMeta::plain(&stem, root)
        }
    }

    /// The nearest folder at or above `dir` (absolute) that holds `.obsidian/`.
    fn vault_of(&mut self, dir: &Path) -> Option<PathBuf> {
        if let Some(known) = self.of_dir.get(dir) {
            return known.clone();
        }
        let vault = dir
            .ancestors()
            .find(|a| a.join(".obsidian").is_dir())
            .map(Path::to_path_buf);
        self.of_dir.insert(dir.to_path_buf(), vault.clone());
        vault
    }
}

/// A vault note's deck: the vault folder's name, then the note's folders under it
/// (`MyVault::Crypto` for `MyVault/Crypto/Hashing.md`).
fn vault_deck(vault: &Path, dir: &Path) -> String {
    let name = vault
        .file_name()
        .map_or_else(|| "Vault".to_string(), |n| n.to_string_lossy().into_owned());
    let folders = dir.strip_prefix(vault).unwrap_or(Path::new(""));
    std::iter::once(name)
        .chain(
            folders
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned()),
        )
        .map(|part| crate::tags::one_level(&part))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("::")
}
