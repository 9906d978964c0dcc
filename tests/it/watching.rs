//! `watch`: rebuilds after a save, not after its own writes, keeps the last good package
//! when an edit breaks, and stops on SIGINT.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

fn package_contains(package: &Path, text: &str) -> bool {
    let Ok(file) = std::fs::File::open(package) else {
        return false;
    };
    let Ok(mut zip) = zip::ZipArchive::new(file) else {
        return false;
    };
    let mut bytes = Vec::new();
    let Ok(mut entry) = zip.by_name("collection.anki2") else {
        return false;
    };
    if entry.read_to_end(&mut bytes).is_err() {
        return false;
    }
    bytes.windows(text.len()).any(|w| w == text.as_bytes())
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Watching {
    child: Child,
    log: std::path::PathBuf,
}

impl Watching {
    fn start(dir: &Path) -> Watching {
        let log = dir.join("watch.log");
        let child = notes2anki(dir)
            .args(["watch", "--offline", "-o", "out.apkg"])
            .stderr(std::fs::File::create(&log).expect("log"))
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn watch");
        Watching { child, log }
    }
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
    fn builds(&self) -> usize {
        self.log().matches("\nwrote ").count() + usize::from(self.log().starts_with("wrote "))
    }
    fn interrupt(&mut self) -> std::process::ExitStatus {
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGINT) };
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "watch did not stop on SIGINT"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn watch_rebuilds_after_a_save_and_only_then() {
    let project = fixture_project("updates");
    let dir = project.path();
    let mut watch = Watching::start(dir);
    let package = dir.join("out.apkg");
    wait_for("the first build", Duration::from_secs(30), || {
        watch.builds() == 1
    });
    assert!(package_contains(&package, "the old definition"));
    // An editor's atomic save: write a temporary file, rename it over the note.
    let note = dir.join("notes/deck.md");
    let text = std::fs::read_to_string(&note).expect("read");
    let tmp = dir.join("notes/.deck.md.tmp~");
    std::fs::write(
        &tmp,
        text.replace("the old definition", "the saved definition"),
    )
    .expect("write");
    std::fs::rename(&tmp, &note).expect("rename");
    wait_for(
        "the new text in the package",
        Duration::from_secs(10),
        || package_contains(&package, "the saved definition"),
    );
    wait_for("the second build's report", Duration::from_secs(5), || {
        watch.builds() == 2
    });
    assert!(watch.log().contains("1 updated"), "{}", watch.log());
    // Each build starts under a rule with the time, so one build's output is told apart
    // from the next.
    assert_eq!(watch.log().matches("──── ").count(), 2, "{}", watch.log());
    // Left alone, it does not rebuild (its own package, lock and temporary files are ignored).
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(watch.builds(), 2, "{}", watch.log());
    // A broken edit: the error is reported and the last good package stays.
    let good = std::fs::read(&package).expect("package");
    std::fs::write(&note, b"# Updates\n\n- Bad: \xff\n").expect("write");
    wait_for("the error", Duration::from_secs(10), || {
        watch.log().contains("error[not-utf8]")
    });
    assert!(watch.log().contains("the last good package stays in place"));
    assert_eq!(std::fs::read(&package).expect("package"), good);
    assert!(watch.interrupt().success());
}

#[test]
fn watch_stops_cleanly_on_sigint() {
    let project = fixture_project("updates");
    let mut watch = Watching::start(project.path());
    wait_for("the first build", Duration::from_secs(30), || {
        watch.builds() == 1
    });
    let status = watch.interrupt();
    assert!(status.success(), "{status:?}");
    assert!(
        watch.log().trim_end().ends_with("stopped"),
        "{}",
        watch.log()
    );
    assert_no_temp_files(project.path());
}
