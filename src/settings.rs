//! Settings: `notes2anki.toml` at the root of an input folder (or `--config FILE`), and
//! a file's own `anki:` front matter, choosing per file which extra styles make cards,
//! whether it makes any, and its deck.
//!
//! ```toml
//! [[rules]]                         # in order: a later rule wins for what it sets
//! paths = ["Glossary.md", "aws/**"] # globs relative to the input folder
//! cards = ["headings", "tables"]    # styles on in these files, besides the default
//! [[rules]]
//! paths = ["Daily/**"]
//! skip = true                       # these files make no cards
//! [[rules]]
//! paths = ["**"]
//! deck = "folder"                   # or "file", "heading", or a deck's name
//! ```

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};
use serde::Deserialize;

use crate::diag::Diagnostic;

/// The settings file's name, at the root of an input folder.
pub const FILE_NAME: &str = "notes2anki.toml";

/// A way of writing pairs that is read only where the author turns it on (except
/// `quiz`, on everywhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// A bullet with no separator and nested content: term and definition.
    Outline,
    /// A heading and the content under it.
    Headings,
    /// Each row of a table: the first cell and the others.
    Tables,
    /// A question and its marked answer.
    Quiz,
    /// `Term - definition`, `Term — definition`, `A → B` after a plain term too.
    Dashes,
}

impl Style {
    pub fn name(self) -> &'static str {
        match self {
            Style::Outline => "outline",
            Style::Headings => "headings",
            Style::Tables => "tables",
            Style::Quiz => "quiz",
            Style::Dashes => "dashes",
        }
    }
}

/// Where a file's cards go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeckRule {
    /// The input folder's name and the file's folders under it (`notes::aws`).
    Folder,
    /// The file's stem.
    File,
    /// The file's first `#` heading, else its stem.
    Heading,
    /// This deck (`::` makes subdecks).
    Named(String),
}

impl DeckRule {
    fn parse(text: &str) -> DeckRule {
        match text.trim() {
            "folder" => DeckRule::Folder,
            "file" => DeckRule::File,
            "heading" => DeckRule::Heading,
            name => DeckRule::Named(name.to_string()),
        }
    }
}

/// What applies to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSettings {
    /// The styles on, sorted: `quiz`, and those the settings turn on.
    pub styles: Vec<Style>,
    pub skip: bool,
    pub deck: Option<DeckRule>,
}

impl Default for FileSettings {
    fn default() -> Self {
        FileSettings {
            styles: vec![Style::Quiz],
            skip: false,
            deck: None,
        }
    }
}

impl FileSettings {
    pub fn has(&self, style: Style) -> bool {
        self.styles.contains(&style)
    }

    /// The styles on, by name, for `check --explain`.
    pub fn style_names(&self) -> String {
        let names: Vec<&str> = self.styles.iter().map(|s| s.name()).collect();
        names.join(", ")
    }

    /// `cards`, `skip` and `deck` as a rule or the front matter sets them.
    pub fn apply(&mut self, cards: Option<&[Style]>, skip: Option<bool>, deck: Option<&str>) {
        if let Some(cards) = cards {
            self.styles = std::iter::once(Style::Quiz)
                .chain(cards.iter().copied())
                .collect();
            self.styles.sort_unstable();
            self.styles.dedup();
        }
        if let Some(skip) = skip {
            self.skip = skip;
        }
        if let Some(deck) = deck {
            self.deck = Some(DeckRule::parse(deck));
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    #[serde(default)]
    rules: Vec<RuleFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    paths: Vec<toml::Spanned<String>>,
    cards: Option<Vec<Style>>,
    skip: Option<bool>,
    deck: Option<String>,
}

#[derive(Debug)]
struct Rule {
    paths: Vec<GlobMatcher>,
    cards: Option<Vec<Style>>,
    skip: Option<bool>,
    deck: Option<String>,
}

/// The rules of one settings file, for the files of one input folder.
#[derive(Debug, Default)]
pub struct Settings {
    rules: Vec<Rule>,
}

impl Settings {
    /// The settings for the input folder `root`: `config` if given, else the folder's
    /// `notes2anki.toml` if there is one. Unknown keys and bad globs are errors naming
    /// the file and line.
    pub fn for_folder(root: &Path, config: Option<&Path>) -> Result<Settings, Diagnostic> {
        let path: PathBuf = match config {
            Some(path) => path.to_path_buf(),
            None => root.join(FILE_NAME),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && config.is_none() => {
                return Ok(Settings::default())
            }
            Err(e) => {
                let message = format!("cannot read the settings: {e}");
                return Err(Diagnostic::error(&path, (0, 0), "bad-settings", message));
            }
        };
        Settings::parse(&path, &text)
    }

    fn parse(path: &Path, text: &str) -> Result<Settings, Diagnostic> {
        let line_of = |offset: usize| 1 + text[..offset.min(text.len())].matches('\n').count();
        let file: SettingsFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_of(s.start));
            let message = e.message().trim().to_string();
            Diagnostic::error(path, (line, 0), "bad-settings", message)
        })?;
        let mut rules = Vec::with_capacity(file.rules.len());
        for rule in file.rules {
            let mut paths = Vec::with_capacity(rule.paths.len());
            for glob in &rule.paths {
                let built = GlobBuilder::new(glob.get_ref())
                    .literal_separator(true)
                    .build()
                    .map_err(|e| {
                        let message = format!("bad glob `{}`: {}", glob.get_ref(), e.kind());
                        let line = line_of(glob.span().start);
                        Diagnostic::error(path, (line, 0), "bad-settings", message)
                    })?;
                paths.push(built.compile_matcher());
            }
            rules.push(Rule {
                paths,
                cards: rule.cards,
                skip: rule.skip,
                deck: rule.deck,
            });
        }
        Ok(Settings { rules })
    }

    /// What applies to the file at `name` (`/`-separated, relative to the folder).
    pub fn for_file(&self, name: &str) -> FileSettings {
        let mut settings = FileSettings::default();
        for rule in &self.rules {
            if rule.paths.iter().any(|g| g.is_match(name)) {
                settings.apply(rule.cards.as_deref(), rule.skip, rule.deck.as_deref());
            }
        }
        settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Settings, Diagnostic> {
        Settings::parse(Path::new("notes2anki.toml"), text)
    }

    #[test]
    fn later_rules_win_for_what_they_set() {
        let settings = parse(
            "[[rules]]\npaths = [\"**\"]\ndeck = \"folder\"\ncards = [\"outline\"]\n\
             [[rules]]\npaths = [\"aws/**\", \"Glossary.md\"]\ncards = [\"headings\", \"tables\"]\n\
             [[rules]]\npaths = [\"Daily/*\"]\nskip = true\n",
        )
        .unwrap();
        let aws = settings.for_file("aws/s3.md");
        assert_eq!(aws.styles, [Style::Headings, Style::Tables, Style::Quiz]);
        assert_eq!(aws.deck, Some(DeckRule::Folder));
        assert!(settings.for_file("Glossary.md").has(Style::Tables));
        let other = settings.for_file("notes/a.md");
        assert_eq!(other.styles, [Style::Outline, Style::Quiz]);
        assert!(settings.for_file("Daily/2024-01-01.md").skip);
        // `*` stays within a folder.
        assert!(!settings.for_file("Daily/old/x.md").skip);
    }

    #[test]
    fn unknown_keys_styles_and_bad_globs_name_their_line() {
        let err = parse("[[rules]]\npaths = [\"a\"]\ncolor = 1\n").unwrap_err();
        assert_eq!((err.line, err.code), (3, "bad-settings"));
        assert!(err.message.contains("color"), "{}", err.message);
        let err = parse("[[rules]]\npaths = [\"a\"]\ncards = [\"bullets\"]\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.contains("bullets"), "{}", err.message);
        let err = parse("[[rules]]\n\npaths = [\"a/[b\"]\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.contains("a/[b"), "{}", err.message);
    }
}
