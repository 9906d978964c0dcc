//! Diagnostics: every problem the tool finds, with the file and line it is about.

use std::fmt;
use std::path::PathBuf;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One message about one place in the notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: PathBuf,
    /// 1-based line; 0 when the message is about the whole file.
    pub line: usize,
    /// 1-based column in characters; 0 when unknown.
    pub col: usize,
    pub severity: Severity,
    /// A stable, kebab-case code listed in docs/reference.md.
    pub code: &'static str,
    pub message: String,
    /// For errors: the offending source line, shown under the message.
    pub source_line: Option<Box<str>>,
    /// What many warnings of one code may share (why remote images could not be had):
    /// the command line shows them as one group per cause.
    pub cause: Option<Box<str>>,
}

impl Diagnostic {
    pub fn warning(
        path: impl Into<PathBuf>,
        (line, col): (usize, usize),
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            path: path.into(),
            line,
            col,
            severity: Severity::Warning,
            code,
            message: message.into(),
            source_line: None,
            cause: None,
        }
    }

    /// An error: the build refuses to write.
    pub fn error(
        path: impl Into<PathBuf>,
        (line, col): (usize, usize),
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Error,
            ..Diagnostic::warning(path, (line, col), code, message)
        }
    }

    /// Marks the warning as one of a group sharing `cause`.
    pub fn with_cause(mut self, cause: impl Into<String>) -> Self {
        self.cause = Some(cause.into().into_boxed_str());
        self
    }

    /// Shows `text` (the line the diagnostic is about) under the message.
    pub fn with_source_line(mut self, text: impl Into<String>) -> Self {
        self.source_line = Some(text.into().into_boxed_str());
        self
    }
}

impl fmt::Display for Diagnostic {
    /// `path:line:col: severity[code]: message`, the format editors and CI understand.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.col > 0 {
                write!(f, ":{}", self.col)?;
            }
        }
        write!(f, ": {}[{}]: {}", self.severity, self.code, self.message)?;
        if let Some(text) = self
            .source_line
            .as_ref()
            .filter(|_| self.severity == Severity::Error)
        {
            let width = self.line.to_string().len();
            write!(
                f,
                "\n {:width$} |\n {} | {}",
                "",
                self.line,
                text.trim_end()
            )?;
        }
        Ok(())
    }
}
/// The diagnostics in file order; an error if one of them is (bad settings), if there
/// are no cards, or with `--strict` if there is any warning.
pub fn refuse_or_keep(
    notes: &[crate::Note],
    mut diagnostics: Vec<Diagnostic>,
    options: &crate::Options,
) -> Result<Vec<Diagnostic>, crate::Error> {
    diagnostics.sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
    let is_error = |d: &Diagnostic| d.severity == Severity::Error;
    if diagnostics.iter().any(is_error) {
        return Err(crate::Error::Invalid(diagnostics)); // bad settings in front matter
    }
    if notes.is_empty() {
        let path = options.inputs.first().cloned().unwrap_or_default();
        return Err(crate::Error::NoCards { path });
    }
    if options.strict && !diagnostics.is_empty() {
        return Err(crate::Error::Invalid(all_errors(diagnostics)));
    }
    Ok(diagnostics)
}

/// `--strict`: every warning as an error, shown with its source line.
pub fn all_errors(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut texts: std::collections::BTreeMap<PathBuf, Option<String>> = Default::default();
    diagnostics
        .into_iter()
        .map(|d| {
            let text = texts
                .entry(d.path.clone())
                .or_insert_with(|| std::fs::read_to_string(&d.path).ok());
            let line = text
                .as_deref()
                .and_then(|t| t.lines().nth(d.line.checked_sub(1)?))
                .map(Box::from);
            Diagnostic {
                severity: Severity::Error,
                source_line: line,
                ..d
            }
        })
        .collect()
}
