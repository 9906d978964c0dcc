//! The model the pipeline passes along: cards, and the images they reference.

use std::path::Path;
use std::sync::Arc;

/// Where something is in the notes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// Shared by every card of a file.
    pub path: Arc<Path>,
    pub line: usize,
    pub col: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.line)
    }
}

/// An image referenced from a card, as written in the notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// `src` exactly as written (still percent-encoded, if it was).
    pub src: String,
    pub location: Location,
    /// Where a local image not found beside its note is looked for (at this folder's
    /// top, then by name anywhere below it), as Obsidian does: the vault (or the input
    /// folder) for `![[image.png]]` and for every image in a vault; `None` otherwise.
    pub lookup: Option<Arc<Path>>,
    /// Written `![[image.png]]`: a file name, not a URL (never percent-decoded).
    pub embed: bool,
}

/// One `term: definition` pair, with everything needed to make a note.
///
/// `term_html` and `definition_html` hold image placeholders (see
/// [`crate::parse::image_placeholder`]) that the media stage replaces with file names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// The file's own deck name, the deck part of the card's identity: the first `#`
    /// heading, or the file stem; in an Obsidian vault, the vault and the file's folders.
    pub deck: Arc<str>,
    /// The note's title: the deck outside a vault; the file stem in one.
    pub title: Arc<str>,
    /// Whether the file is in an Obsidian vault.
    pub in_vault: bool,
    /// Section headings above the card, outermost first (shared within a section).
    pub sections: Arc<[String]>,
    /// The card's place beyond its context: the title where the deck is not the file
    /// (in a vault), then the sections. What tells apart cards with the same front.
    pub place: Arc<[String]>,
    /// Terms (or shortened prose) of the items above the card, outermost first.
    pub context: Vec<String>,
    pub term_html: String,
    /// A quiz card's options, shown below its question on the front (not part of its
    /// identity); empty for other cards.
    pub options_html: String,
    /// The term as plain text: markup removed, white space collapsed.
    pub term_text: String,
    pub definition_html: String,
    /// `<!-- anki: reverse -->` on the item.
    pub reverse: bool,
    /// `<!-- anki: id=… -->` on the item.
    pub pinned_id: Option<String>,
    /// Images referenced from the term and definition, in order; index = placeholder number.
    pub images: Vec<ImageRef>,
    /// Anki tags from the notes (front matter, `#tags`): the file's, then the card's own.
    pub tags: Vec<String>,
    pub location: Location,
}

impl Card {
    /// The context as shown on the card and used for identity: ancestors joined by ` › `.
    pub fn context_text(&self) -> String {
        self.context.join(" › ")
    }
}
