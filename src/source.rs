//! Reading note files: UTF-8 text, BOM stripped, and byte offsets turned into `line:col`.

use std::path::{Path, PathBuf};

use crate::diag::Diagnostic;

/// The largest notes file read, in bytes: 4 GiB - 1.
pub const MAX_LEN: u32 = u32::MAX;

/// One Markdown file, read and decoded.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as the user named it (or as found under a named folder).
    pub path: PathBuf,
    /// The text, without a leading BOM.
    pub text: String,
    line_starts: Vec<usize>,
}

impl Source {
    /// Wraps text already in memory (tests, and files read by [`Source::read`]).
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        let mut text = text.into();
        if text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
        }
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Source {
            path: path.into(),
            text,
            line_starts,
        }
    }

    /// Reads a file as UTF-8; a file that cannot be read, or is not UTF-8, is an error
    /// diagnostic naming its line and showing it.
    pub fn read(path: &Path) -> Result<Self, Diagnostic> {
        // Offsets within a file are kept in 32 bits where there is one per character.
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.len() > u64::from(MAX_LEN) {
                return Err(too_large(path, meta.len()));
            }
        }
        let bytes = std::fs::read(path).map_err(|err| {
            Diagnostic::error(path, (0, 0), "cannot-read", format!("cannot read: {err}"))
        })?;
        // Again on what was read: a file may grow, or not know its length (a pipe).
        if bytes.len() > MAX_LEN as usize {
            return Err(too_large(path, bytes.len() as u64));
        }
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Source::new(path, text)),
            Err(err) => {
                let valid = err.utf8_error().valid_up_to();
                let bytes = err.as_bytes();
                let line_start = bytes[..valid]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1);
                let line = 1 + bytes[..valid].iter().filter(|&&b| b == b'\n').count();
                let line_end = bytes[valid..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |i| valid + i);
                let col = 1 + String::from_utf8_lossy(&bytes[line_start..valid])
                    .chars()
                    .count();
                let shown = String::from_utf8_lossy(&bytes[line_start..line_end]).into_owned();
                Err(Diagnostic::error(
                    path,
                    (line, col),
                    "not-utf8",
                    format!(
                        "not valid UTF-8 (byte 0x{:02X}); save the file as UTF-8",
                        bytes[valid]
                    ),
                )
                .with_source_line(shown))
            }
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line - 1];
        let col = self
            .text
            .get(start..offset)
            .map_or(1, |prefix| prefix.chars().count() + 1);
        (line, col)
    }
}

fn too_large(path: &Path, len: u64) -> Diagnostic {
    Diagnostic::error(
        path,
        (0, 0),
        "too-large",
        format!("too large for a notes file: {len} bytes (the limit is 4 GiB)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_lines_and_characters() {
        let src = Source::new("a.md", "ab\nあい: x\n");
        assert_eq!(src.line_col(0), (1, 1));
        assert_eq!(src.line_col(3), (2, 1));
        assert_eq!(src.line_col(3 + "あい".len()), (2, 3));
    }

    #[test]
    fn a_file_over_4_gib_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.md");
        // Sparse: no disk space is used, and nothing is read.
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(u64::from(MAX_LEN) + 1).unwrap();
        let err = Source::read(&path).unwrap_err();
        assert_eq!(err.code, "too-large");
        assert!(err.to_string().contains("huge.md"), "{err}");
        assert!(err.to_string().contains("4 GiB"), "{err}");
    }

    #[test]
    fn bom_is_stripped() {
        let src = Source::new("a.md", "\u{feff}# T\n");
        assert_eq!(src.text, "# T\n");
    }
}
