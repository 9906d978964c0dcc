//! Giving memory back between stages.
//!
//! Each stage frees most of what it allocated (parsing frees every file's events, note
//! making every card), but an allocator keeps freed pages for reuse, so a process's
//! peak memory is every stage's high-water mark stacked up. The binary, which chooses
//! the allocator, registers how to return freed pages to the system; the pipeline
//! calls it between stages. A library user who registers nothing loses nothing.

use std::sync::OnceLock;

static RELEASE: OnceLock<fn()> = OnceLock::new();

/// Registers how to return freed memory to the system (once; later calls are ignored).
pub fn set_release(release: fn()) {
    let _ = RELEASE.set(release);
}

/// Returns freed memory to the system, if the binary said how.
pub(crate) fn release() {
    if let Some(release) = RELEASE.get() {
        release();
    }
}
