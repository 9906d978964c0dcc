//! Giving memory back between stages.
//!
//! Each stage frees most of what it allocated (parsing frees every file's events, note
//! making every card), but an allocator keeps freed pages for reuse, so a process's
//! peak memory is every stage's high-water mark stacked up. The binary, which chooses
//! the allocator, registers how to return freed pages to the system; the pipeline
//! calls it between stages, and a worker after each file it parses. A library user who
//! registers nothing loses nothing.

use std::sync::OnceLock;

/// How the binary returns freed memory to the system.
#[derive(Debug, Clone, Copy)]
pub struct Release {
    /// On the calling thread only: what it freed itself.
    pub this_thread: fn(),
    /// On every thread (the workers' and the calling one).
    pub all_threads: fn(),
}

static RELEASE: OnceLock<Release> = OnceLock::new();

/// Registers how to return freed memory to the system (once; later calls are ignored).
pub fn set_release(release: Release) {
    let _ = RELEASE.set(release);
}

/// Returns freed memory to the system on every thread, if the binary said how.
pub(crate) fn release() {
    if let Some(release) = RELEASE.get() {
        (release.all_threads)();
    }
}

/// Returns what the calling thread freed to the system, if the binary said how.
pub(crate) fn release_this_thread() {
    if let Some(release) = RELEASE.get() {
        (release.this_thread)();
    }
}
