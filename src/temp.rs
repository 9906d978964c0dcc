//! Temporary files beside the files they will replace, and sweeping up the ones a killed
//! build left behind.
//!
//! Every temporary file is named `.notes2anki-<pid>-…`: a later run removes those whose
//! process is gone, so a build killed at any moment leaves no litter for long.

use std::path::{Path, PathBuf};

const PREFIX: &str = ".notes2anki-";

/// The folder a file is in (`.` for a bare file name).
pub fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder, renamed into
/// place only when complete.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut tmp = in_dir(&folder_of(path), ".tmp")?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    persist(tmp, path)
}

/// A new temporary file in `dir`, named after this process.
pub fn in_dir(dir: &Path, suffix: &str) -> std::io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(&format!("{PREFIX}{}-", std::process::id()))
        .suffix(suffix)
        .tempfile_in(dir)
}

/// Renames a finished temporary file over `target`. It gets the permissions `target` had,
/// or ordinary ones (`rw-r--r--`) for a new file, not the temporary file's owner-only ones.
pub fn persist(tmp: tempfile::NamedTempFile, target: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(target).map_or(0o644, |m| m.permissions().mode());
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    tmp.persist(target).map(drop).map_err(|e| e.error)
}

/// Removes the temporary files a killed build left beside `file`.
pub fn sweep_beside(file: &Path) -> usize {
    sweep(&folder_of(file))
}

/// Removes the temporary files in `dir` left by processes that no longer run.
/// Returns how many were removed.
pub fn sweep(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
            continue;
        };
        let owner = rest
            .split('-')
            .next()
            .and_then(|pid| pid.parse::<u32>().ok());
        let abandoned = match owner {
            Some(pid) => pid != std::process::id() && !alive(pid),
            None => false,
        };
        if abandoned && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Whether a process runs: `/proc` on Linux; elsewhere assume it does (files are then
/// left alone rather than risk removing a running build's).
fn alive(pid: u32) -> bool {
    if Path::new("/proc/self").exists() {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweeps_only_files_of_dead_processes() {
        let dir = tempfile::tempdir().unwrap();
        let mine = in_dir(dir.path(), ".tmp").unwrap();
        // A pid far above Linux's default maximum: no such process.
        std::fs::write(dir.path().join(".notes2anki-99999999-abc.tmp"), "x").unwrap();
        std::fs::write(dir.path().join("deck.apkg"), "keep").unwrap();
        assert_eq!(sweep(dir.path()), 1);
        assert!(mine.path().exists());
        assert!(dir.path().join("deck.apkg").exists());
    }

    #[cfg(unix)]
    #[test]
    fn persisted_files_are_readable_by_others_like_any_new_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("deck.apkg");
        persist(in_dir(dir.path(), "").unwrap(), &target).unwrap();
        let mode = std::fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }
}
