//! The change report a build prints: what the import into Anki will do.

use std::fmt::Write;

use crate::ids::{CardKey, Change};
use crate::lock::Entry;
use crate::note::Note;

/// What changed since the lock was written.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// False on a first build (no lock yet): then only counts are worth printing.
    pub had_lock: bool,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub renamed: usize,
    pub moved: usize,
    /// Lines naming each card that is not unchanged, by term and `path:line`.
    pub lines: Vec<String>,
    pub removed: Vec<Entry>,
}

impl Report {
    /// The report on `notes`; `keys` are theirs (the term as plain text is there).
    pub fn new(notes: &[Note], keys: &[CardKey], removed: Vec<Entry>, had_lock: bool) -> Self {
        let mut r = Report {
            had_lock,
            removed,
            ..Report::default()
        };
        for (note, key) in notes.iter().zip(keys) {
            if !had_lock {
                // A first build: every card is new, and only the count is printed.
                r.added += 1;
                continue;
            }
            let at = &note.location;
            let term = &key.term;
            let line = match &note.ids.change {
                Change::Unchanged => {
                    r.unchanged += 1;
                    continue;
                }
                Change::Added => {
                    r.added += 1;
                    format!("  added     {at}  {term}")
                }
                Change::Updated => {
                    r.updated += 1;
                    format!("  updated   {at}  {term}")
                }
                Change::Renamed { from } => {
                    r.renamed += 1;
                    format!("  renamed   {at}  {from} → {term}")
                }
                Change::Moved { from } => {
                    r.moved += 1;
                    format!("  moved     {at}  {term} (was under {from})")
                }
            };
            r.lines.push(line);
        }
        for entry in &r.removed {
            r.lines
                .push(format!("  removed   {}  {}", entry.file, entry.term));
        }
        r
    }

    /// An Anki browser search that finds exactly the removed notes, if any.
    pub fn removed_search(&self) -> Option<String> {
        if self.removed.is_empty() {
            return None;
        }
        let ids: Vec<String> = self
            .removed
            .iter()
            .map(|e| format!("Id:{}", e.guid))
            .collect();
        Some(format!(
            "\"note:{}\" ({})",
            crate::apkg::notetype::NAME,
            ids.join(" OR ")
        ))
    }

    /// The report as printed after a build.
    pub fn render(&self) -> String {
        let mut out = format!(
            "changes: {} added, {} updated, {} renamed, {} moved, {} removed, {} unchanged\n",
            self.added,
            self.updated,
            self.renamed,
            self.moved,
            self.removed.len(),
            self.unchanged
        );
        if !self.had_lock {
            out.push_str("  (first build with this lock file: every card is new to it)\n");
            return out;
        }
        for line in &self.lines {
            let _ = writeln!(out, "{line}");
        }
        if let Some(search) = self.removed_search() {
            let _ = writeln!(
                out,
                "a package cannot delete notes: to delete the removed ones, search in Anki's browser for\n  {search}"
            );
        }
        out
    }
}
