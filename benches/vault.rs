//! The vault-scale benchmark: `cargo bench --bench vault`.
//!
//! Generates the deterministic corpus (1k, 10k and 125k cards), times the whole
//! `notes2anki build` as a process (median of 5 runs after one warm-up, with peak memory), prints
//! each stage's share, times a rebuild after one file of 50 changed, and in the same run
//! times genanki 0.13.1 writing the same number of notes (from a virtualenv it creates
//! under target/bench). Finally it imports the 125k package into real Anki (26.9.3) and
//! counts the notes. Plain-text results on stdout and in target/bench/results.txt.
//!
//! Options (after `--`): `--sizes 1000,10000,125000`, `--runs N`, `--no-genanki`,
//! `--no-anki`, `--code-every N` (also time the same corpus with a highlighted fenced
//! code block in every N-th item, against the one without).

// A benchmark aborts loudly on any failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use notes2anki::corpus;

struct Run {
    wall: Duration,
    peak_kib: i64,
    stderr: String,
}

/// Runs a command, returning its wall time, its peak resident memory (from wait4) and stderr.
fn measure(cmd: &mut Command) -> Run {
    use std::os::unix::process::ExitStatusExt;
    let stderr_file = tempfile::NamedTempFile::new().expect("temp");
    cmd.stdout(std::process::Stdio::null())
        .stderr(stderr_file.reopen().expect("reopen"));
    let started = Instant::now();
    let child = cmd.spawn().expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, and status/usage are valid for writes.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(waited, pid, "wait4 failed");
    let exit = std::process::ExitStatus::from_raw(status);
    let stderr = std::fs::read_to_string(stderr_file.path()).unwrap_or_default();
    assert!(exit.success(), "{cmd:?} failed: {stderr}");
    std::mem::forget(child); // already reaped by wait4
    Run {
        wall,
        peak_kib: usage.ru_maxrss,
        stderr,
    }
}

/// `notes2anki build notes` in `dir`, offline, with timings, at a fixed clock.
fn build_command(bin: &str, dir: &Path, package: &Path, lock: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1795700000")
        .args(["build", "notes", "--offline", "--timings", "-o"])
        .arg(package)
        .arg("--lock")
        .arg(lock);
    cmd
}

fn median(mut runs: Vec<Run>) -> Run {
    runs.sort_by_key(|r| r.wall);
    let mid = runs.len() / 2;
    runs.swap_remove(mid)
}

/// files × items for a number of cards (each file has 2,000 items at full size).
fn shape(cards: usize) -> (usize, usize) {
    match cards {
        125_000 => (50, 2000),
        10_000 => (4, 2000),
        1_000 => (1, 800),
        n => (1, n * 4 / 5),
    }
}

fn python_venv(dir: &Path, package: &str) -> PathBuf {
    let python = dir.join("bin/python");
    if dir.join(".installed").is_file() {
        return python;
    }
    let _ = std::fs::remove_dir_all(dir);
    let ok = Command::new("python3")
        .args(["-m", "venv"])
        .arg(dir)
        .status();
    assert!(ok.is_ok_and(|s| s.success()), "python3 -m venv failed");
    let ok = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            package,
        ])
        .status();
    assert!(
        ok.is_ok_and(|s| s.success()),
        "pip install {package} failed"
    );
    std::fs::write(dir.join(".installed"), package).expect("marker");
    python
}

fn secs(d: Duration) -> String {
    format!("{:.3}s", d.as_secs_f64())
}

fn mib(kib: i64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let sizes: Vec<usize> = value("--sizes")
        .unwrap_or_else(|| "1000,10000,125000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let runs: usize = value("--runs").and_then(|r| r.parse().ok()).unwrap_or(5);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&root).expect("target/bench");
    let bin = env!("CARGO_BIN_EXE_notes2anki");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut report = String::new();
    let mut say = |line: String| {
        println!("{line}");
        report.push_str(&line);
        report.push('\n');
    };
    say(format!(
        "notes2anki vault benchmark — {cores} cores, median of {runs} runs, peak RSS from wait4"
    ));
    let genanki =
        (!flag("--no-genanki")).then(|| python_venv(&root.join("genanki-venv"), "genanki==0.13.1"));
    let mut largest: Option<PathBuf> = None;
    let mut rows = Vec::new();
    for &cards in &sizes {
        let (files, items) = shape(cards);
        let dir = root.join(format!("corpus-{cards}"));
        let _ = std::fs::remove_dir_all(&dir);
        corpus::write(&dir.join("notes"), files, items).expect("corpus");
        let expected = corpus::card_count(files, items);
        let lock = dir.join("notes2anki.lock");
        let package = dir.join("out.apkg");
        let build = |lock_present: bool| {
            if !lock_present {
                let _ = std::fs::remove_file(&lock);
            }
            measure(&mut build_command(bin, &dir, &package, &lock))
        };
        // One run first, not counted: the binary and the notes into the page cache.
        let _ = build(false);
        let fresh = median((0..runs).map(|_| build(false)).collect());
        let timing_line = fresh
            .stderr
            .lines()
            .find(|l| l.starts_with("timings"))
            .unwrap_or("")
            .to_string();
        assert!(
            fresh.stderr.contains(&format!("{expected} cards")),
            "expected {expected} cards: {}",
            fresh.stderr
        );
        let size = std::fs::metadata(&package).map(|m| m.len()).unwrap_or(0);
        say(format!(
            "\n{expected} cards ({files} files × {items} items): build {} , peak {}, package {:.1} MiB",
            secs(fresh.wall),
            mib(fresh.peak_kib),
            size as f64 / (1024.0 * 1024.0)
        ));
        say(format!("  {timing_line}"));
        if let Some(every) = value("--code-every").and_then(|n| n.parse::<usize>().ok()) {
            let coded = root.join(format!("corpus-{cards}-code"));
            let _ = std::fs::remove_dir_all(&coded);
            corpus::write_with_code(&coded.join("notes"), files, items, Some(every))
                .expect("corpus");
            let out = coded.join("out.apkg");
            let lock = coded.join("notes2anki.lock");
            let build_coded = || {
                let _ = std::fs::remove_file(&lock);
                measure(&mut build_command(bin, &coded, &out, &lock))
            };
            let _ = build_coded();
            let coded_run = median((0..runs).map(|_| build_coded()).collect());
            say(format!(
                "  with a code block every {every} items: build {} , peak {} →  {:.2} × the build without",
                secs(coded_run.wall),
                mib(coded_run.peak_kib),
                coded_run.wall.as_secs_f64() / fresh.wall.as_secs_f64()
            ));
        }
        // Rebuild with the lock in place after one file changed.
        let _ = build(false);
        let lock_before = std::fs::read(&lock).expect("lock");
        let changed = dir.join("notes/vault-00.md");
        let text = std::fs::read_to_string(&changed).expect("read");
        std::fs::write(&changed, text.replacen("を参照し", "を必ず参照し", 50)).expect("write");
        let rebuild = median(
            (0..runs)
                .map(|_| {
                    // Every run starts from the lock the unchanged notes gave.
                    std::fs::write(&lock, &lock_before).expect("lock");
                    build(true)
                })
                .collect(),
        );
        std::fs::write(&changed, text).expect("restore");
        let rebuild_timings = rebuild
            .stderr
            .lines()
            .find(|l| l.starts_with("timings"))
            .unwrap_or("")
            .to_string();
        let changes = rebuild
            .stderr
            .lines()
            .find(|l| l.starts_with("changes:"))
            .unwrap_or("")
            .to_string();
        say(format!(
            "  rebuild after one file changed (lock in place): {} , peak {}",
            secs(rebuild.wall),
            mib(rebuild.peak_kib)
        ));
        say(format!("    {changes}"));
        say(format!("    {rebuild_timings}"));
        let genanki_run = genanki.as_ref().map(|python| {
            let out = dir.join("genanki.apkg");
            // Warmed up too, as notes2anki is.
            median(
                (0..=runs)
                    .map(|_| {
                        let mut cmd = Command::new(python);
                        cmd.arg(
                            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                                .join("benches/python/genanki_write.py"),
                        )
                        .arg(expected.to_string())
                        .arg(&out);
                        measure(&mut cmd)
                    })
                    .skip(1)
                    .collect(),
            )
        });
        if let Some(g) = &genanki_run {
            say(format!(
                "  genanki 0.13.1, {expected} plain notes: {} , peak {}  →  notes2anki/genanki time {:.2}, memory {:.2}",
                secs(g.wall),
                mib(g.peak_kib),
                fresh.wall.as_secs_f64() / g.wall.as_secs_f64(),
                fresh.peak_kib as f64 / g.peak_kib as f64
            ));
        }
        rows.push((expected, fresh.wall, genanki_run.map(|g| g.wall)));
        largest = Some(package);
    }
    say("\nscaling (time per 1,000 cards):".into());
    for (cards, ours, theirs) in &rows {
        let per = |d: &Duration| d.as_secs_f64() * 1000.0 / *cards as f64 * 1000.0;
        let mut line = format!("  {cards:>7} cards: notes2anki {:.1} ms", per(ours));
        if let Some(t) = theirs {
            let _ = write!(line, ", genanki {:.1} ms", per(t));
        }
        say(line);
    }
    if let (false, Some(package), Some(&cards)) = (flag("--no-anki"), largest, sizes.last()) {
        let python = python_venv(&root.join("anki-venv-26.9.3"), "anki==26.9.3");
        let work = tempfile::tempdir().expect("tmp");
        let started = Instant::now();
        let out = Command::new(python)
            .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/python/count_notes.py"))
            .arg(&package)
            .arg(work.path())
            .env("TMPDIR", work.path())
            .output()
            .expect("anki");
        let counts = String::from_utf8_lossy(&out.stdout).trim().to_string();
        say(format!(
            "\nreal Anki 26.9.3 imports the {cards}-card package: notes and cards = {counts} ({})",
            secs(started.elapsed())
        ));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::fs::write(root.join("results.txt"), report).expect("results");
}
