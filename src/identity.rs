//! A card's identity and the guid derived from it.
//!
//! **Frozen**: changing anything here changes every guid, and every user's next import
//! would duplicate all their notes. docs/reference.md documents this function with test vectors.

use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

/// Namespace mixed into every guid, so our guids never collide with another tool's.
const NAMESPACE: &[u8] = b"notes2anki/identity/v1";

/// Unicode NFC, every run of white space (U+3000 included) collapsed to one space, trimmed.
///
/// ```
/// assert_eq!(notes2anki::identity::normalize("\u{3000}AWS\u{3000} VPN "), "AWS VPN");
/// ```
///
/// Markup is removed before this, by the parser, which builds the plain text from
/// Markdown events (text and code kept, HTML and formatting dropped).
pub fn normalize(text: &str) -> String {
    normalized(text).into_owned()
}

/// [`normalize`], borrowing the text when it is already normal (the common case).
fn normalized(text: &str) -> std::borrow::Cow<'_, str> {
    use unicode_normalization::{is_nfc_quick, IsNormalized};
    // Fast path: most text is already NFC with single spaces.
    let simple_spaces = !text.starts_with(char::is_whitespace)
        && !text.ends_with(char::is_whitespace)
        && !text.char_indices().any(|(i, c)| {
            c.is_whitespace() && (c != ' ' || text[i + 1..].starts_with(char::is_whitespace))
        });
    if simple_spaces && is_nfc_quick(text.chars()) == IsNormalized::Yes {
        return std::borrow::Cow::Borrowed(text);
    }
    let nfc: String = text.nfc().collect();
    let mut out = String::with_capacity(nfc.len());
    for word in nfc.split(char::is_whitespace).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    std::borrow::Cow::Owned(out)
}

/// The guid of a card known by (deck, context, term), each normalised.
///
/// SHA-256 over the namespace and the three parts, each preceded by its length in
/// bytes (u64, little-endian) so no choice of text can make two identities collide;
/// the first 12 bytes as 24 lowercase hex digits.
///
/// ```
/// use notes2anki::identity::guid;
/// assert_eq!(guid("Techstock", "", "AWS Organizations"), "3a79cba8c082457cd4f5961f");
/// // White space and Unicode composition do not change a card's identity.
/// assert_eq!(guid("Deck", "", "Term"), guid("Deck", "", " Term\u{3000}"));
/// ```
pub fn guid(deck: &str, context: &str, term: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(NAMESPACE);
    for part in [deck, context, term] {
        let part = normalized(part);
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hex(&hasher.finalize()[..12])
}

/// The guid of the `n`-th (n ≥ 2) card sharing one identity within a package.
pub fn nth_guid(base: &str, n: usize) -> String {
    guid(base, "#duplicate", &n.to_string())
}

/// The guid of a card pinned with `<!-- anki: id=… -->`.
pub fn pinned_guid(deck: &str, id: &str) -> String {
    guid(deck, "#pinned", id)
}

/// The lowercase hex digits, by value.
const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex digits of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(HEX_DIGITS[usize::from(b >> 4)] as char);
        s.push(HEX_DIGITS[usize::from(b & 15)] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_collapses_white_space_and_composes() {
        assert_eq!(normalize("  a\u{3000}\u{3000}b \n c "), "a b c");
        // e + combining acute → é
        assert_eq!(normalize("cafe\u{301}"), "caf\u{e9}");
        assert_eq!(normalize("Case Kept"), "Case Kept");
    }

    #[test]
    fn guid_ignores_white_space_and_composition() {
        assert_eq!(guid("D", "", "a  b"), guid("D", "", "a\u{3000}b"));
        assert_eq!(guid("D", "", "caf\u{e9}"), guid("D", "", "cafe\u{301}"));
        assert_ne!(guid("D", "", "Term"), guid("D", "", "term"));
        // Length prefixes keep the parts apart.
        assert_ne!(guid("ab", "", "c"), guid("a", "", "bc"));
    }

    #[test]
    fn hex_is_lowercase_two_digits_per_byte() {
        assert_eq!(hex(&[0, 9, 10, 255, 0x3a]), "00090aff3a");
    }

    /// The test vectors of docs/reference.md. These must never change.
    #[test]
    fn guid_test_vectors() {
        assert_eq!(
            guid("Techstock", "", "AWS Organizations"),
            "3a79cba8c082457cd4f5961f"
        );
        assert_eq!(
            guid(
                "Techstock",
                "AWS Organizations › 利用可能な機能セット",
                "全ての機能"
            ),
            "8ed1d9d3b3d2aa337b09ccc8"
        );
        assert_eq!(guid("Deck", "", "Term"), "291080eb036b87dc6f0cb2cb");
    }
}
