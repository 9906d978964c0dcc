//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fixed clock, so packages are reproducible.
pub const NOW: &str = "1795700000";

/// The binary with a clean, pinned environment.
pub fn notes2anki(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_notes2anki"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("SOURCE_DATE_EPOCH", NOW)
        // A cache of this test run's own, so no image cached by a user reaches a test.
        .env("XDG_CACHE_HOME", test_cache());
    cmd
}

fn test_cache() -> PathBuf {
    std::env::temp_dir().join(format!("notes2anki-test-cache-{}", std::process::id()))
}

pub fn run(dir: &Path, args: &[&str]) -> Output {
    notes2anki(dir).args(args).output().expect("run notes2anki")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    root().join("fixtures").join(name)
}

/// A project whose `notes/` folder holds one file, `notes/<file>`, with `text`.
pub fn notes_project(file: &str, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("notes")).expect("mkdir");
    std::fs::write(dir.path().join("notes").join(file), text).expect("write");
    dir
}

/// A temporary folder holding a copy of the seed as `notes/techstock.md`.
pub fn seed_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("notes")).expect("mkdir");
    std::fs::copy(
        root().join("notes/techstock.md"),
        dir.path().join("notes/techstock.md"),
    )
    .expect("copy seed");
    dir
}

/// A temporary copy of a fixture folder, so builds (which write a lock file beside the
/// notes) never touch the repository.
pub fn fixture_project(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture(name), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Builds `input` (relative to `dir`) into `dir/out.apkg` and returns its path.
pub fn build(dir: &Path, extra: &[&str]) -> PathBuf {
    let out = dir.join("out.apkg");
    // Offline: tests never reach the real network (the seed links images on the web).
    let mut args = vec![
        "build",
        "--offline",
        "-o",
        out.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    let result = run(dir, &args);
    assert!(result.status.success(), "build failed: {}", stderr(&result));
    out
}

/// Parses `cards` output.
pub fn cards_json(out: &Output) -> Vec<serde_json::Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

/// Removes HTML tags and decodes the entities our renderer writes.
pub fn strip_html(html: &str) -> String {
    notes2anki::apkg::strip_html(html).into_owned()
}

/// No temporary file of ours is left anywhere under `dir`.
pub fn assert_no_temp_files(dir: &Path) {
    for entry in walk(dir) {
        let name = entry.file_name().map(|n| n.to_string_lossy().into_owned());
        assert!(
            !name.unwrap_or_default().starts_with(".notes2anki-"),
            "stray temporary file {}",
            entry.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        }
        out.push(path);
    }
    out
}

/// Leaves a mark that `test` was skipped (`kind`: `anki` or `browser`), for
/// `./scripts/test` to count where a person sees it (libtest hides what tests print).
pub fn mark_skipped(test: &str, kind: &str) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("skipped");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(format!("{test}.{kind}")), "");
}
