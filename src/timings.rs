//! Where a build's time went, stage by stage (`build --timings`).

use std::time::{Duration, Instant};

/// Where a build's time went, stage by stage (measured, never written anywhere).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Timings {
    /// Listing the files, and reading the lock (which happens while they are parsed).
    pub read: Duration,
    /// Reading and parsing the files and making their notes, on every core.
    pub parse: Duration,
    /// Resolving images, and gathering every file's notes into one list.
    pub media: Duration,
    /// Guids, ids and the change report.
    pub ids: Duration,
    /// Writing the collection through SQLite, into a temporary file.
    pub sqlite: Duration,
    /// Compressing it and the media into the zip.
    pub zip: Duration,
    /// Writing the lock file, on its own thread, and putting it in place.
    pub lock: Duration,
}

impl Timings {
    /// One line: each stage in milliseconds.
    pub fn render(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "timings (ms): read {:.1}, parse {:.1}, media {:.1}, ids {:.1}, sqlite {:.1}, zip {:.1}, lock {:.1}",
            ms(self.read),
            ms(self.parse),
            ms(self.media),
            ms(self.ids),
            ms(self.sqlite),
            ms(self.zip),
            ms(self.lock)
        )
    }
}

/// Time since the last lap.
pub(crate) struct Lap(Instant);

impl Lap {
    pub(crate) fn start() -> Lap {
        Lap(Instant::now())
    }

    pub(crate) fn next(&mut self) -> Duration {
        let now = Instant::now();
        let elapsed = now - self.0;
        self.0 = now;
        elapsed
    }
}

/// `f()`, and how long it took.
pub(crate) fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    (f(), started.elapsed())
}
