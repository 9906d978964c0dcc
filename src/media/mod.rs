//! Images: resolving the references cards make, and naming media by their bytes.
//!
//! Local images are read relative to their note file, remote ones downloaded (or taken
//! from the cache); either way only bytes that really are an image are bundled, once,
//! under a name made from a hash of those bytes.

pub mod cache;
pub mod fetch;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use percent_encoding::percent_decode_str;
use sha2::{Digest, Sha256};

use crate::card::ImageRef;
use crate::diag::Diagnostic;
use crate::identity::hex;
use crate::parse::image_placeholder;
use fetch::{FetchError, Fetched};

/// What an image reference becomes in the card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A file in the package, by its media name.
    Media(String),
    /// Left as written (a remote URL, a `data:` URI).
    Link(String),
    /// A local image that cannot be bundled (missing, not an image): the card shows a
    /// short note instead of a broken image, and Anki's Check Media stays clean.
    Omitted(String),
}

/// The media of a package: file name → bytes, sorted by name.
pub type MediaFiles = BTreeMap<String, Vec<u8>>;

/// Largest local image bundled: Anki's sync and media check skip files over 100 MiB.
pub const MAX_LOCAL_BYTES: u64 = 100 * 1024 * 1024;

/// The media stage: every remote image downloaded (or taken from the cache), then each
/// note's images resolved, in the notes' order (media names and warnings follow it),
/// and put in place of their placeholders.
pub fn resolve_all(
    per_file: &mut [crate::notes::FileNotes],
    options: &crate::Options,
) -> (MediaFiles, Vec<Diagnostic>) {
    let cache_dir = options.cache_dir.clone().unwrap_or_else(cache::default_dir);
    let progress = options
        .progress
        .map(|f| move |done: usize, total: usize| f(done, total));
    let pending = per_file.iter().flat_map(|f| &f.pending);
    let remote = fetch::fetch_all(
        &remote_urls(pending.flat_map(|(_, images)| images)),
        &fetch::FetchOptions {
            offline: options.offline,
            cache: cache::Cache::new(&cache_dir),
            progress: progress
                .as_ref()
                .map(|p| p as &(dyn Fn(usize, usize) + Sync)),
        },
    );
    let mut resolver = Resolver::new(remote);
    for file in per_file {
        for (i, images) in std::mem::take(&mut file.pending) {
            let (resolved, names) = resolver.resolve(&images);
            crate::notes::fill_images(&mut file.notes[i], &mut file.keys[i], &resolved, names);
        }
    }
    (resolver.files, resolver.diagnostics)
}

/// Every remote (http/https) image URL the cards reference, sorted, each once.
fn remote_urls<'a>(images: impl IntoIterator<Item = &'a ImageRef>) -> Vec<String> {
    let urls: std::collections::BTreeSet<String> = images
        .into_iter()
        .map(|i| i.src.trim())
        .filter(|src| is_remote(src))
        .map(str::to_string)
        .collect();
    urls.into_iter().collect()
}

fn is_remote(src: &str) -> bool {
    let lower = src.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Resolves every image of the cards; returns, per card, the final `src` of each image.
struct Resolver {
    files: MediaFiles,
    diagnostics: Vec<Diagnostic>,
    /// Remote images, fetched beforehand.
    remote: BTreeMap<String, Result<Fetched, FetchError>>,
    /// Each local path read once.
    by_path: BTreeMap<PathBuf, Option<String>>,
    warned: BTreeSet<(PathBuf, usize, String)>,
    /// Per vault (or input folder): its images by lowercased file name, listed once.
    by_name: BTreeMap<PathBuf, BTreeMap<String, Vec<PathBuf>>>,
}

impl Resolver {
    /// A resolver using these fetched remote images.
    fn new(remote: BTreeMap<String, Result<Fetched, FetchError>>) -> Self {
        Resolver {
            files: MediaFiles::new(),
            diagnostics: Vec::new(),
            remote,
            by_path: BTreeMap::new(),
            warned: BTreeSet::new(),
            by_name: BTreeMap::new(),
        }
    }

    /// What each of a card's images becomes, in placeholder order, and the media file
    /// names among them.
    fn resolve(&mut self, images: &[ImageRef]) -> (Vec<Resolved>, Vec<String>) {
        let mut resolved = Vec::with_capacity(images.len());
        let mut names = Vec::new();
        for image in images {
            let r = self.resolve_one(image);
            if let Resolved::Media(name) = &r {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
            resolved.push(r);
        }
        (resolved, names)
    }

    fn warn_once(&mut self, image: &ImageRef, code: &'static str, message: String) {
        self.warn_with_cause(image, code, message, None);
    }

    fn warn_with_cause(
        &mut self,
        image: &ImageRef,
        code: &'static str,
        message: String,
        cause: Option<String>,
    ) {
        let key = (
            image.location.path.to_path_buf(),
            image.location.line,
            image.src.clone(),
        );
        if self.warned.insert(key) {
            let warning = Diagnostic::warning(
                image.location.path.to_path_buf(),
                (image.location.line, image.location.col),
                code,
                message,
            );
            self.diagnostics.push(match cause {
                Some(cause) => warning.with_cause(cause),
                None => warning,
            });
        }
    }

    fn resolve_one(&mut self, image: &ImageRef) -> Resolved {
        let src = image.src.trim().to_string();
        match self.local_media(image) {
            Ok(Some(name)) => Resolved::Media(name),
            Ok(None) => Resolved::Link(src),
            Err(()) => Resolved::Omitted(src),
        }
    }

    /// `Ok(Some(name))` for a bundled file, `Ok(None)` for a reference left as written,
    /// `Err(())` for a local image that cannot be bundled (already warned about).
    fn local_media(&mut self, image: &ImageRef) -> Result<Option<String>, ()> {
        let src = image.src.trim();
        if is_remote(src) {
            return Ok(self.remote_media(image, src));
        }
        if src
            .get(..5)
            .is_some_and(|p| p.eq_ignore_ascii_case("data:"))
        {
            return Ok(None);
        }
        if has_scheme(src) {
            self.warn_once(
                image,
                "unsupported-image",
                format!("image `{src}`: only local paths and http(s) URLs are supported; left out"),
            );
            return Err(());
        }
        let path = match &image.lookup {
            Some(root) => self.locate(image, root, src),
            None => local_path(&image.location.path, src),
        };
        if let Some(known) = self.by_path.get(&path).cloned() {
            if known.is_none() {
                // Already warned about this file; warn here too, at this reference.
                self.warn_once(
                    image,
                    "bad-image",
                    format!("image `{src}` is left out (see the earlier warning)"),
                );
            }
            return known.map(Some).ok_or(());
        }
        let result = self.read_local(image, src, &path);
        self.by_path.insert(path, result.clone());
        result.map(Some).ok_or(())
    }

    /// The media name of the local image at `path`, or `None` (with a warning) when it
    /// cannot be bundled: missing, too large, or not an image.
    fn read_local(&mut self, image: &ImageRef, src: &str, path: &Path) -> Option<String> {
        if std::fs::metadata(path).is_ok_and(|m| m.len() > MAX_LOCAL_BYTES) {
            let message = format!(
                "image `{src}` is over {} MiB, which Anki's sync skips; left out",
                MAX_LOCAL_BYTES / (1024 * 1024)
            );
            self.warn_once(image, "image-too-large", message);
            return None;
        }
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(err) => {
                let message = match &image.lookup {
                    Some(root) => format!(
                        "image `{src}` not found beside the note, at the top of `{}`, or by name anywhere in it; left out",
                        folder_name(root)
                    ),
                    None => format!("image `{src}` not found ({}): {err}; left out", path.display()),
                };
                self.warn_once(image, "missing-image", message);
                return None;
            }
        };
        let Some(ext) = sniff(&bytes) else {
            let message = format!("`{src}` is not an image (judged by its bytes); left out");
            self.warn_once(image, "not-an-image", message);
            return None;
        };
        let name = media_name(&bytes, ext);
        self.files.entry(name.clone()).or_insert(bytes);
        Some(name)
    }
}

impl Resolver {
    /// Where an image is, as Obsidian finds it: beside the note, else at the top of
    /// `root`, else by file name anywhere in it (the shortest path wins, a tie warns).
    /// Not found: the path beside the note, so the warning names it.
    fn locate(&mut self, image: &ImageRef, root: &Path, src: &str) -> PathBuf {
        let written = if image.embed {
            src.split(['#', '|'])
                .next()
                .unwrap_or(src)
                .trim()
                .to_string()
        } else {
            decoded(src)
        };
        let beside = note_dir(&image.location.path).join(&written);
        let at_top = root.join(&written);
        if beside.is_file() {
            return beside;
        }
        if at_top.is_file() {
            return at_top;
        }
        let candidates = self.named(root, Path::new(&written));
        match candidates.as_slice() {
            [] => beside,
            [only] => only.clone(),
            [first, second, ..] => {
                if depth(first) == depth(second) {
                    let ties = candidates
                        .iter()
                        .filter(|c| depth(c) == depth(first))
                        .count();
                    let chosen = first.strip_prefix(root).unwrap_or(first);
                    let message = format!(
                        "image `{src}`: {ties} files of that name are as near the top of `{}`; using {} (the first by path)",
                        folder_name(root),
                        chosen.display()
                    );
                    self.warn_once(image, "ambiguous-image", message);
                }
                first.clone()
            }
        }
    }

    /// The images under `root` whose path ends with `written`, nearest the top first
    /// (then by path); exact-case names before the others.
    fn named(&mut self, root: &Path, written: &Path) -> Vec<PathBuf> {
        let Some(name) = written
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
        else {
            return Vec::new();
        };
        let index = self
            .by_name
            .entry(root.to_path_buf())
            .or_insert_with(|| index_images(root));
        let mut found: Vec<PathBuf> = index
            .get(&name.to_lowercase())
            .into_iter()
            .flatten()
            .filter(|p| p.ends_with(written) || written.components().count() == 1)
            .cloned()
            .collect();
        if found
            .iter()
            .any(|p| p.file_name().is_some_and(|n| *n == *name))
        {
            found.retain(|p| p.file_name().is_some_and(|n| *n == *name));
        }
        found.sort_by(|a, b| depth(a).cmp(&depth(b)).then_with(|| a.cmp(b)));
        found
    }

    /// The media name of a downloaded image, or `None` (with a warning) when the card
    /// keeps linking to the URL.
    fn remote_media(&mut self, image: &ImageRef, url: &str) -> Option<String> {
        match self.remote.get(url).cloned() {
            Some(Ok(fetched)) => {
                if let Some(reason) = &fetched.stale {
                    self.warn_once(
                        image,
                        "stale-image",
                        format!("could not refresh `{url}` ({reason}); using the cached copy"),
                    );
                }
                let name = media_name(&fetched.bytes, fetched.ext);
                self.files.entry(name.clone()).or_insert(fetched.bytes);
                Some(name)
            }
            Some(Err(reason)) => {
                let message =
                    format!("could not fetch `{url}`: {reason}; the card links to the URL");
                self.warn_with_cause(image, "remote-image", message, Some(reason));
                None
            }
            None => {
                self.warn_once(
                    image,
                    "remote-image",
                    format!("`{url}` was not fetched; the card links to the URL"),
                );
                None
            }
        }
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
    note_dir(note).join(decoded(src))
}

fn note_dir(note: &Path) -> &Path {
    note.parent().unwrap_or_else(|| Path::new(""))
}

/// A Markdown reference as a relative path: no query or fragment, percent-decoded.
fn decoded(src: &str) -> String {
    let without_suffix = src.split(['?', '#']).next().unwrap_or(src);
    percent_decode_str(without_suffix)
        .decode_utf8_lossy()
        .into_owned()
}

/// A folder as messages name it: its own name (the vault's, say), not where it is.
fn folder_name(dir: &Path) -> String {
    dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// How many folders deep a path is.
fn depth(path: &Path) -> usize {
    path.components().count()
}

/// Whether a file name is an image's, by its extension (`![[image.png]]` is an image;
/// `![[Other note]]` embeds a note).
pub fn is_image_name(name: &str) -> bool {
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    ["png", "jpg", "jpeg", "gif", "webp", "svg", "bmp", "avif"]
        .iter()
        .any(|known| ext.eq_ignore_ascii_case(known))
}

/// Every image file under `root` (hidden folders skipped, as for notes), by lowercased
/// file name.
fn index_images(root: &Path) -> BTreeMap<String, Vec<PathBuf>> {
    let mut index: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker.flatten() {
        let name = entry.file_name().to_string_lossy();
        if entry.file_type().is_file() && is_image_name(&name) {
            index
                .entry(name.to_lowercase())
                .or_default()
                .push(entry.into_path());
        }
    }
    index
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

/// Replaces a card's image placeholders: a `src` for bundled and linked images, and for
/// omitted ones the whole `<img>` tag gives way to a short visible note.
pub fn fill_placeholders(html: &str, resolved: &[Resolved]) -> String {
    let mut out = html.to_string();
    for (n, r) in resolved.iter().enumerate() {
        let placeholder = image_placeholder(n);
        match r {
            Resolved::Media(src) | Resolved::Link(src) => {
                out = out.replace(&placeholder, &crate::parse::escape_attr(src));
            }
            Resolved::Omitted(src) => {
                let note = format!(
                    "<span class=\"n2a-missing-image\">[image left out: {}]</span>",
                    crate::parse::escape_attr(src)
                );
                while let Some(at) = out.find(&placeholder) {
                    let start = out[..at].rfind('<').unwrap_or(at);
                    let end = out[at..].find('>').map_or(out.len(), |e| at + e + 1);
                    out.replace_range(start..end, &note);
                }
            }
        }
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
    fn omitted_images_leave_a_note_instead_of_a_broken_tag() {
        let html = format!(
            "a <img width=\"3\" src=\"{}\" alt=\"x\"> b <img src=\"{}\">",
            image_placeholder(0),
            image_placeholder(1)
        );
        let out = fill_placeholders(
            &html,
            &[
                Resolved::Omitted("img/<gone>.png".into()),
                Resolved::Media("n2a-1.png".into()),
            ],
        );
        assert_eq!(
            out,
            "a <span class=\"n2a-missing-image\">[image left out: img/&lt;gone&gt;.png]</span> b <img src=\"n2a-1.png\">"
        );
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
