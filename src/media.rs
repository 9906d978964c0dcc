//! Images: resolving the references cards make, and naming media by their bytes.
//!
//! Local images are read relative to their note file, checked to be real images by
//! their bytes, and stored once under a name made from a hash of those bytes. Remote
//! images keep their URL for now, with a warning.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use percent_encoding::percent_decode_str;
use sha2::{Digest, Sha256};

use crate::card::{Card, ImageRef};
use crate::diag::Diagnostic;
use crate::identity::hex;
use crate::parse::image_placeholder;

/// The media of a package: file name → bytes, sorted by name.
pub type MediaFiles = BTreeMap<String, Vec<u8>>;

/// Resolves every image of the cards; returns, per card, the final `src` of each image.
pub struct Resolver {
    pub files: MediaFiles,
    pub diagnostics: Vec<Diagnostic>,
    /// Each local path read once.
    by_path: BTreeMap<PathBuf, Option<String>>,
    warned: BTreeSet<(PathBuf, usize, String)>,
}

impl Default for Resolver {
    fn default() -> Self {
        Self::new()
    }
}

impl Resolver {
    pub fn new() -> Self {
        Resolver {
            files: MediaFiles::new(),
            diagnostics: Vec::new(),
            by_path: BTreeMap::new(),
            warned: BTreeSet::new(),
        }
    }

    /// The final `src` values of a card's images, in placeholder order, and the media
    /// file names among them.
    pub fn resolve(&mut self, card: &Card) -> (Vec<String>, Vec<String>) {
        let mut srcs = Vec::with_capacity(card.images.len());
        let mut names = Vec::new();
        for image in &card.images {
            match self.resolve_one(image) {
                Some(name) => {
                    if !names.contains(&name) {
                        names.push(name.clone());
                    }
                    srcs.push(name);
                }
                None => srcs.push(image.src.clone()),
            }
        }
        (srcs, names)
    }

    fn warn_once(&mut self, image: &ImageRef, code: &'static str, message: String) {
        let key = (
            image.location.path.clone(),
            image.location.line,
            image.src.clone(),
        );
        if self.warned.insert(key) {
            self.diagnostics.push(Diagnostic::warning(
                image.location.path.clone(),
                (image.location.line, image.location.col),
                code,
                message,
            ));
        }
    }

    /// The media name for an image, or `None` when it stays as written.
    fn resolve_one(&mut self, image: &ImageRef) -> Option<String> {
        let src = image.src.trim();
        let lower = src.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            self.warn_once(
                image,
                "remote-image",
                format!("remote image `{src}` is not bundled yet; the card links to it"),
            );
            return None;
        }
        if lower.starts_with("data:") {
            return None;
        }
        if has_scheme(src) {
            self.warn_once(
                image,
                "unsupported-image",
                format!("image `{src}`: only local paths and http(s) URLs are supported"),
            );
            return None;
        }
        let path = local_path(&image.location.path, src);
        if let Some(known) = self.by_path.get(&path).cloned() {
            if known.is_none() {
                // Already warned about this file; warn here too, at this reference.
                self.warn_once(
                    image,
                    "bad-image",
                    format!("image `{src}` is left out (see the earlier warning)"),
                );
            }
            return known;
        }
        let result = match std::fs::read(&path) {
            Err(err) => {
                self.warn_once(
                    image,
                    "missing-image",
                    format!("image `{src}` not found ({}): {err}", path.display()),
                );
                None
            }
            Ok(bytes) => match sniff(&bytes) {
                None => {
                    self.warn_once(
                        image,
                        "not-an-image",
                        format!("`{src}` is not an image (judged by its bytes); left out"),
                    );
                    None
                }
                Some(ext) => {
                    let name = media_name(&bytes, ext);
                    self.files.entry(name.clone()).or_insert(bytes);
                    Some(name)
                }
            },
        };
        self.by_path.insert(path, result.clone());
        result
    }
}

/// `scheme:` at the start of a reference (but not a Windows drive letter).
fn has_scheme(src: &str) -> bool {
    match src.find(':') {
        Some(i) if i > 1 => src[..i]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-')),
        _ => false,
    }
}

/// The file a local reference names: relative to the note file, percent-decoded.
fn local_path(note: &Path, src: &str) -> PathBuf {
    let without_suffix = src.split(['?', '#']).next().unwrap_or(src);
    let decoded = percent_decode_str(without_suffix).decode_utf8_lossy();
    note.parent()
        .unwrap_or_else(|| Path::new(""))
        .join(decoded.as_ref())
}

/// The media file name: 16 hex digits of the bytes' SHA-256 and the type's extension.
/// ASCII only, far below Anki's 120 bytes, and new whenever the bytes change.
pub fn media_name(bytes: &[u8], ext: &str) -> String {
    format!("n2a-{}.{ext}", hex(&Sha256::digest(bytes)[..8]))
}

/// The image type of some bytes, as a file extension, or `None` if they are no image.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if starts(b"\xff\xd8\xff") {
        Some("jpg")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("gif")
    } else if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("webp")
    } else if starts(b"BM") && bytes.len() > 14 {
        Some("bmp")
    } else if bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && matches!(&bytes[8..12], b"avif" | b"avis")
    {
        Some("avif")
    } else if is_svg(bytes) {
        Some("svg")
    } else {
        None
    }
}

fn is_svg(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    let head = head.trim_start_matches('\u{feff}').trim_start();
    (head.starts_with("<?xml")
        || head.starts_with("<svg")
        || head.starts_with("<!--")
        || head.starts_with("<!DOCTYPE svg"))
        && head.contains("<svg")
}

/// Replaces a card's image placeholders with the final `src` values.
pub fn fill_placeholders(html: &str, srcs: &[String]) -> String {
    let mut out = html.to_string();
    for (n, src) in srcs.iter().enumerate() {
        out = out.replace(&image_placeholder(n), &crate::parse::escape_attr(src));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_judges_bytes_not_names() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("png"));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0"), Some("jpg"));
        assert_eq!(sniff(b"GIF89a.."), Some("gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("webp"));
        assert_eq!(sniff(b"<?xml version=\"1.0\"?><svg></svg>"), Some("svg"));
        assert_eq!(sniff(b"\0\0\0\x1cftypavif"), Some("avif"));
        assert_eq!(sniff(b"root:x:0:0:root:/root:/bin/bash"), None);
        assert_eq!(sniff(b"<html><body>not found</body></html>"), None);
    }

    #[test]
    fn names_are_content_addressed() {
        let a = media_name(b"one", "png");
        assert_eq!(a, media_name(b"one", "png"));
        assert_ne!(a, media_name(b"two", "png"));
        assert!(a.is_ascii() && a.len() < 120 && a.ends_with(".png"));
    }

    #[test]
    fn local_paths_are_relative_and_decoded() {
        assert_eq!(
            local_path(Path::new("notes/a.md"), "img/my%20shot.png?x=1"),
            PathBuf::from("notes/img/my shot.png")
        );
        assert!(has_scheme("file:///etc/passwd"));
        assert!(!has_scheme("C:/x.png"));
        assert!(!has_scheme("img/a.png"));
    }
}
