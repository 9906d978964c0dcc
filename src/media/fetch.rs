//! Downloading remote images: concurrently, with timeouts, a size cap, few redirects,
//! content sniffing, and the cache (revalidated with a conditional request when online).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::cache::{Cache, Meta};
use super::sniff;

/// Largest image we download: screenshots are far smaller, and Anki's sync skips files
/// over 100 MiB anyway.
pub const MAX_BYTES: u64 = 20 * 1024 * 1024;
const MAX_REDIRECTS: u32 = 5;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const TOTAL_TIMEOUT: Duration = Duration::from_secs(30);
const WORKERS: usize = 8;

/// A remote image, downloaded or from the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    /// The extension its bytes say it is.
    pub ext: &'static str,
    /// Set when the server could not confirm the cached copy (an HTTP error): why.
    pub stale: Option<String>,
}

/// Why a remote image could not be had.
pub type FetchError = String;

/// How to fetch.
pub struct FetchOptions<'a> {
    pub offline: bool,
    pub cache: Cache,
    /// Called with (done, total) as downloads finish (for a progress bar).
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
}

/// Fetches every URL (each once), `WORKERS` at a time; results by URL.
pub fn fetch_all(
    urls: &[String],
    options: &FetchOptions<'_>,
) -> BTreeMap<String, Result<Fetched, FetchError>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_global(Some(TOTAL_TIMEOUT))
        .max_redirects(MAX_REDIRECTS)
        .http_status_as_error(false)
        .user_agent(concat!("notes2anki/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS.min(urls.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(url) = urls.get(i) else { break };
                let result = fetch_one(&agent, url, options);
                if let Ok(mut map) = results.lock() {
                    map.insert(url.clone(), result);
                }
                let finished = done.fetch_add(1, Ordering::SeqCst) + 1;
                if let Some(progress) = options.progress {
                    progress(finished, urls.len());
                }
            });
        }
    });
    results.into_inner().unwrap_or_default()
}

/// A cached copy whose bytes are still an image: its validators, bytes and extension.
type CachedCopy = (Meta, Vec<u8>, &'static str);

fn fetch_one(
    agent: &ureq::Agent,
    url: &str,
    options: &FetchOptions<'_>,
) -> Result<Fetched, FetchError> {
    let cached: Option<CachedCopy> = options.cache.load(url).and_then(|(meta, bytes)| {
        let ext = sniff(&bytes)?;
        Some((meta, bytes, ext))
    });
    let from_cache = |stale: Option<String>| {
        cached.as_ref().map(|(_, bytes, ext)| Fetched {
            bytes: bytes.clone(),
            ext,
            stale,
        })
    };
    if options.offline {
        return from_cache(None).ok_or_else(|| {
            "not in the image cache, and this command makes no network request".into()
        });
    }
    let mut response = match conditional_get(agent, url, cached.as_ref()).call() {
        Ok(response) => response,
        // Unreachable (offline, server down): the cached copy is the best there is.
        Err(err) => return from_cache(None).ok_or_else(|| describe(&err)),
    };
    let status = response.status();
    if status.as_u16() == 304 {
        if let Some(hit) = from_cache(None) {
            return Ok(hit);
        }
    }
    if status.as_u16() != 200 {
        let reason = format!(
            "HTTP {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        );
        let reason = reason.trim_end().to_string();
        return from_cache(Some(reason.clone())).ok_or(reason);
    }
    let (meta, bytes, ext) = read_image(url, &mut response)?;
    // A cache that cannot be written only costs the next build a download.
    let _ = options.cache.store(&meta, &bytes);
    Ok(Fetched {
        bytes,
        ext,
        stale: None,
    })
}

/// A GET of `url`, conditional on the cached copy's validators when there is one.
fn conditional_get(
    agent: &ureq::Agent,
    url: &str,
    cached: Option<&CachedCopy>,
) -> ureq::RequestBuilder<ureq::typestate::WithoutBody> {
    let mut request = agent.get(url);
    if let Some((meta, _, _)) = cached {
        if let Some(etag) = &meta.etag {
            request = request.header("If-None-Match", etag);
        }
        if let Some(date) = &meta.last_modified {
            request = request.header("If-Modified-Since", date);
        }
    }
    request
}

/// A 200 response's body, if it is an image of at most `MAX_BYTES`, with the
/// validators to cache it by.
fn read_image(
    url: &str,
    response: &mut ureq::http::Response<ureq::Body>,
) -> Result<CachedCopy, FetchError> {
    let header = |name: &str| {
        let value = response.headers().get(name)?;
        value.to_str().ok().map(str::to_string)
    };
    let meta = Meta {
        url: url.to_string(),
        etag: header("etag"),
        last_modified: header("last-modified"),
    };
    let content_type = header("content-type").unwrap_or_default();
    let body = response.body_mut().with_config().limit(MAX_BYTES);
    let bytes = body.read_to_vec().map_err(|err| match err {
        ureq::Error::BodyExceedsLimit(_) => {
            format!("larger than {} MiB", MAX_BYTES / (1024 * 1024))
        }
        other => describe(&other),
    })?;
    let Some(ext) = sniff(&bytes) else {
        let served = if content_type.is_empty() {
            "no type"
        } else {
            &content_type
        };
        return Err(format!("not an image (served as `{served}`)"));
    };
    Ok((meta, bytes, ext))
}

fn describe(err: &ureq::Error) -> String {
    match err {
        ureq::Error::Timeout(_) => "timed out".into(),
        ureq::Error::TooManyRedirects => format!("more than {MAX_REDIRECTS} redirects"),
        ureq::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    }
}
