//! `watch`: build, then rebuild after every save, until stopped.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::{EventKind, RecursiveMode, Watcher};

use crate::{build, Error, Extracted, Options, Summary};

/// Quiet time after the last change before a rebuild: editors save in several steps
/// (write a temporary file, rename it over the note, touch it).
const DEBOUNCE: Duration = Duration::from_millis(300);

/// Files whose change means a rebuild: notes, images and settings.
fn relevant(path: &Path, ignored: &[PathBuf]) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.starts_with(".notes2anki-") || ignored.iter().any(|p| path.starts_with(p)) {
        return false;
    }
    if name == crate::settings::FILE_NAME {
        return true;
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    matches!(
        ext.as_str(),
        "md" | "markdown" | "png" | "jpg" | "jpeg" | "gif" | "webp" | "svg" | "bmp" | "avif"
    )
}

/// Builds `output`, then rebuilds whenever a note or image under the inputs changes,
/// until `stop` is set; `clock` gives the time of each build. Each build's result goes to `on_build`; a failed build leaves
/// the last good package in place (builds are atomic). Its own writes (the package, the
/// lock, the image cache, temporary files) never trigger a rebuild.
pub fn watch(
    options: &Options,
    output: &Path,
    stop: &AtomicBool,
    clock: &dyn Fn() -> i64,
    on_build: &mut dyn FnMut(Result<(Summary, Extracted), Error>),
) -> Result<(), Error> {
    let build_now = || {
        let mut now = options.clone();
        now.now = clock();
        build(&now, output)
    };
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut ignored = vec![absolute(output), absolute(&options.lock_path())];
    if let Some(cache) = &options.cache_dir {
        ignored.push(absolute(cache));
    }
    let (tx, rx) = mpsc::channel();
    let _watcher = watch_inputs(&options.inputs, tx)?; // watching stops when it is dropped
    on_build(build_now());
    while !stop.load(Ordering::SeqCst) {
        let Ok(event) = rx.recv_timeout(Duration::from_millis(100)) else {
            continue;
        };
        if !is_change(&event, &ignored) {
            continue;
        }
        // Wait for the save to settle.
        let mut quiet_since = Instant::now();
        while quiet_since.elapsed() < DEBOUNCE && !stop.load(Ordering::SeqCst) {
            if let Ok(more) = rx.recv_timeout(Duration::from_millis(50)) {
                if is_change(&more, &ignored) {
                    quiet_since = Instant::now();
                }
            }
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
        on_build(build_now());
    }
    Ok(())
}

/// A watcher sending every change under the inputs (the folder of an input file).
fn watch_inputs(
    inputs: &[PathBuf],
    tx: mpsc::Sender<notify::Event>,
) -> Result<notify::RecommendedWatcher, Error> {
    let watch_error = |path: &Path, e: notify::Error| Error::Read {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    };
    let first = inputs.first().cloned().unwrap_or_default();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event {
            let _ = tx.send(event);
        }
    })
    .map_err(|e| watch_error(&first, e))?;
    for input in inputs {
        let watched = if input.is_dir() {
            input.clone()
        } else {
            crate::temp::folder_of(input)
        };
        watcher
            .watch(&watched, RecursiveMode::Recursive)
            .map_err(|e| watch_error(&watched, e))?;
    }
    Ok(watcher)
}

fn is_change(event: &notify::Event, ignored: &[PathBuf]) -> bool {
    !matches!(event.kind, EventKind::Access(_))
        && event.paths.iter().any(|p| {
            let p = std::path::absolute(p).unwrap_or_else(|_| p.clone());
            relevant(&p, ignored)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_notes_and_images_count_and_never_our_own_files() {
        let ignored = vec![PathBuf::from("/n/out.apkg"), PathBuf::from("/cache")];
        assert!(relevant(Path::new("/n/a.md"), &ignored));
        assert!(relevant(Path::new("/n/img/x.PNG"), &ignored));
        assert!(relevant(Path::new("/n/notes2anki.toml"), &ignored));
        assert!(!relevant(Path::new("/n/a.md~"), &ignored));
        assert!(!relevant(Path::new("/n/.a.md.swp"), &ignored));
        assert!(!relevant(Path::new("/n/4913"), &ignored));
        assert!(!relevant(Path::new("/n/notes2anki.lock"), &ignored));
        assert!(!relevant(Path::new("/n/.notes2anki-12-x.tmp"), &ignored));
        assert!(!relevant(Path::new("/cache/images/x.png"), &ignored));
    }
}
