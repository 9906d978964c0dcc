//! The change report a build prints: what the import into Anki will do.

use std::fmt::Write;
use std::path::Path;

use crate::ids::{CardKey, Change};
use crate::lock::Entry;
use crate::note::Note;

/// `1 card`, `2 cards`: a count and its noun, as everything this tool prints says it.
pub fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// Lines shown per kind of change, unless `--verbose`.
const LINES_PER_KIND: usize = 20;

/// What changed since the lock was written.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// False on a first build (no lock yet): then only counts are worth printing.
    pub had_lock: bool,
    pub unchanged: usize,
    /// Cards of each kind, in the order of `kinds`.
    pub counts: [usize; 5],
    /// A line per card of each kind (`added`, `updated`, `renamed`, `moved`, `removed`),
    /// naming it by `path:line` and term, and what changed.
    pub kinds: [(&'static str, Vec<String>); 5],
    pub removed: Vec<Entry>,
    /// The guids of every note removed from the notes, in this build or an earlier one,
    /// that may still be in Anki: the search for them is shown on every build.
    pub still_removed: Vec<String>,
}

const KINDS: [&str; 5] = ["added", "updated", "renamed", "moved", "removed"];

impl Report {
    /// The report on `notes`; `keys` are theirs (the term as plain text is there).
    /// `lock_dir` is where the removed cards' files are.
    pub fn new(
        notes: &[Note],
        keys: &[CardKey],
        removed: Vec<Entry>,
        had_lock: bool,
        lock_dir: &Path,
    ) -> Self {
        let mut r = Report {
            had_lock,
            kinds: KINDS.map(|k| (k, Vec::new())),
            ..Report::default()
        };
        if !had_lock {
            // A first build: every card is new, and only the count is printed.
            r.counts[0] = notes.len();
            return r;
        }
        for (note, key) in notes.iter().zip(keys) {
            let (at, term) = (&note.location, &key.term);
            let (kind, line) = match &note.ids.change {
                Change::Unchanged => {
                    r.unchanged += 1;
                    continue;
                }
                Change::Added => (0, format!("{at}  {term}")),
                Change::Updated { what } => (1, format!("{at}  {term} ({})", what.join(", "))),
                Change::Renamed { from } => (2, format!("{at}  {from} → {term}")),
                Change::Moved { from } => (3, format!("{at}  {term} (was under {from})")),
            };
            r.kinds[kind].1.push(line);
            r.counts[kind] += 1;
        }
        for entry in &removed {
            let file = lock_dir.join(&*entry.file);
            let line = format!("{}  {}", file.display(), entry.term);
            r.kinds[4].1.push(line);
            r.counts[4] += 1;
        }
        r.removed = removed;
        r
    }

    /// How many cards changed in each way.
    pub fn count(&self, kind: &str) -> usize {
        KINDS
            .iter()
            .position(|k| *k == kind)
            .map_or(0, |i| self.counts[i])
    }

    /// An Anki browser search that finds exactly the removed notes, if any.
    pub fn removed_search(&self) -> Option<String> {
        if self.still_removed.is_empty() {
            return None;
        }
        let ids: Vec<String> = self
            .still_removed
            .iter()
            .map(|guid| format!("Id:{guid}"))
            .collect();
        Some(format!(
            "\"note:{}\" ({})",
            crate::apkg::notetype::NAME,
            ids.join(" OR ")
        ))
    }

    /// The counts that are not zero, as one line: `changes: 2 updated, 106 unchanged`.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = KINDS
            .iter()
            .zip(self.counts)
            .filter(|(_, n)| *n > 0)
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect();
        if self.unchanged > 0 || parts.is_empty() {
            parts.push(format!("{} unchanged", self.unchanged));
        }
        format!("changes: {}", parts.join(", "))
    }

    /// The report as printed after a build: at most 20 lines of each kind unless
    /// `verbose`.
    pub fn render(&self, verbose: bool) -> String {
        let mut out = self.summary();
        out.push('\n');
        if !self.had_lock {
            out.push_str("  (no lock file yet: every card is new)\n");
            return out;
        }
        for (kind, lines) in &self.kinds {
            let shown = if verbose { lines.len() } else { LINES_PER_KIND };
            for line in lines.iter().take(shown) {
                let _ = writeln!(out, "  {kind:<9} {line}");
            }
            if lines.len() > shown {
                let more = lines.len() - shown;
                let _ = writeln!(out, "  {kind:<9} … and {more} more (--verbose lists them)");
            }
        }
        if let Some(search) = self.removed_search() {
            let n = self.still_removed.len();
            let earlier = n - self.removed.len().min(n);
            let _ = writeln!(
                out,
                "a package cannot delete notes: to delete the {n} removed from the notes{}, search in Anki's browser for\n  {search}\n  (then build once with --forget-removed, and this is no longer said)",
                if earlier > 0 { format!(" ({earlier} in earlier builds)") } else { String::new() }
            );
        }
        out
    }
}
