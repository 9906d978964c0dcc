//! The image cache: remote images by URL, so rebuilds are fast and work offline.
//!
//! `<dir>/images/<sha-256 of the URL>` holds the bytes, and `….json` beside it the URL and
//! the validators (ETag, Last-Modified) for a conditional request. Both are written to a
//! temporary file and renamed, so a killed build never leaves a torn entry.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::identity::hex;

/// What the cache remembers of a URL besides its bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A cache folder.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

/// The default cache folder: `$XDG_CACHE_HOME/notes2anki`, else `~/.cache/notes2anki`
/// (`%LOCALAPPDATA%\notes2anki` on Windows), else one in the temporary folder.
pub fn default_dir() -> PathBuf {
    let env_dir = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env_dir("XDG_CACHE_HOME")
        .or_else(|| env_dir("HOME").map(|h| h.join(".cache")))
        .or_else(|| env_dir("LOCALAPPDATA"))
        .unwrap_or_else(std::env::temp_dir)
        .join("notes2anki")
}

impl Cache {
    pub fn new(dir: &Path) -> Self {
        Cache {
            dir: dir.join("images"),
        }
    }

    fn paths(&self, url: &str) -> (PathBuf, PathBuf) {
        let key = hex(&Sha256::digest(url.as_bytes()));
        (self.dir.join(&key), self.dir.join(format!("{key}.json")))
    }

    /// The cached bytes and validators of a URL, if any (a damaged entry counts as none).
    pub fn load(&self, url: &str) -> Option<(Meta, Vec<u8>)> {
        let (data, meta) = self.paths(url);
        let meta: Meta = serde_json::from_slice(&std::fs::read(meta).ok()?).ok()?;
        if meta.url != url {
            return None;
        }
        Some((meta, std::fs::read(data).ok()?))
    }

    /// Stores a URL's bytes and validators. A failure only costs the next build a download.
    pub fn store(&self, meta: &Meta, bytes: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let (data, meta_path) = self.paths(&meta.url);
        write_file(&self.dir, &data, bytes)?;
        write_file(
            &self.dir,
            &meta_path,
            serde_json::to_string(meta).unwrap_or_default().as_bytes(),
        )
    }
}

fn write_file(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut tmp = crate::temp::in_dir(dir, "")?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_and_loads_by_url() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let meta = Meta {
            url: "https://a.b/c.png".into(),
            etag: Some("\"v1\"".into()),
            last_modified: None,
        };
        assert!(cache.load(&meta.url).is_none());
        cache.store(&meta, b"bytes").unwrap();
        assert_eq!(
            cache.load(&meta.url),
            Some((meta.clone(), b"bytes".to_vec()))
        );
        assert!(cache.load("https://a.b/other.png").is_none());
    }
}
