//! Images travel with the deck: remote ones downloaded from a real HTTP server on
//! 127.0.0.1, cached, revalidated; bad ones refused with a warning at their line.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use crate::http::{Route, Server};
use crate::support::*;

/// A 1×1 PNG of one colour (real PNG bytes, built by hand).
pub fn png(rgb: [u8; 3]) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&1u32.to_be_bytes());
    ihdr.extend_from_slice(&1u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    // Stored (uncompressed) zlib stream of one scanline: filter byte + RGB.
    let raw = [0, rgb[0], rgb[1], rgb[2]];
    let mut idat = vec![0x78, 0x01, 0x01, 4, 0, !4u8, 0xff];
    idat.extend_from_slice(&raw);
    idat.extend_from_slice(&adler32(&raw).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in bytes {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

const GIF: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x21,
    0xf9, 4, 1, 0, 0, 0, 0, 0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 1, 0, 0x3b,
];

/// The media of a package: file name → bytes.
pub fn package_media(package: &Path) -> BTreeMap<String, Vec<u8>> {
    let file = std::fs::File::open(package).expect("open package");
    let mut zip = zip::ZipArchive::new(file).expect("zip");
    let mut map = String::new();
    zip.by_name("media")
        .expect("media entry")
        .read_to_string(&mut map)
        .expect("read media");
    let map: BTreeMap<String, String> = serde_json::from_str(&map).expect("media map");
    map.into_iter()
        .map(|(index, name)| {
            let mut bytes = Vec::new();
            zip.by_name(&index)
                .expect("media member")
                .read_to_end(&mut bytes)
                .expect("read member");
            (name, bytes)
        })
        .collect()
}

fn warnings_at(err: &str, line: usize) -> Vec<String> {
    err.lines()
        .filter(|l| l.starts_with(&format!("notes/n.md:{line}:")))
        .map(str::to_string)
        .collect()
}

fn build_with_cache(dir: &Path, cache: &Path, extra: &[&str]) -> (std::path::PathBuf, String) {
    let out = notes2anki(dir)
        .env("XDG_CACHE_HOME", cache)
        .args(["build", "-o", "deck.apkg"])
        .args(extra)
        .output()
        .expect("build");
    assert!(out.status.success(), "{}", stderr(&out));
    (dir.join("deck.apkg"), stderr(&out))
}

#[test]
fn remote_images_are_fetched_cached_revalidated_and_bad_ones_refused() {
    let server = Server::start();
    let red = png([255, 0, 0]);
    let blue = png([0, 0, 255]);
    server.set("/a.png", Route::ok("image/png", &red, "\"a1\""));
    server.set("/b.gif", Route::ok("image/gif", GIF, "\"b1\""));
    server.set(
        "/page.png",
        Route::ok("text/html", b"<html>oops</html>", "\"p\""),
    );
    server.set("/loop", Route::redirect("/loop"));
    let mut big = png([1, 2, 3]);
    big.resize(21 * 1024 * 1024, 0);
    server.set("/big.png", Route::ok("image/png", &big, "\"big\""));
    let refused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let notes = format!(
        "# Remote\n\n\
         - Two images: ![a]({a}) and <img src=\"{b}\" width=\"20\">\n\
         - Missing: ![m]({missing})\n\
         - Refused: ![r](http://127.0.0.1:{refused}/x.png)\n\
         - Html page: ![h]({page})\n\
         - Redirect loop: ![l]({redirect})\n\
         - Too big: ![big]({big})\n\
         - File url: ![f](file:///etc/passwd)\n\
         - Outside: ![o](../../../../../../../../../../etc/passwd)\n",
        a = server.url("/a.png"),
        b = server.url("/b.gif"),
        missing = server.url("/missing.png"),
        page = server.url("/page.png"),
        redirect = server.url("/loop"),
        big = server.url("/big.png"),
    );
    let dir = notes_project("n.md", &notes);
    let cache = dir.path().join("xdg-cache");

    let (package, err) = build_with_cache(dir.path(), &cache, &[]);
    assert!(warnings_at(&err, 3).is_empty(), "{err}");
    let expect = |line: usize, code: &str, text: &str| {
        let found = warnings_at(&err, line);
        assert!(
            found.len() == 1
                && found[0].contains(&format!("warning[{code}]"))
                && found[0].contains(text),
            "line {line}: expected {code} mentioning {text:?}, got {found:?}\n{err}"
        );
    };
    expect(4, "remote-image", "HTTP 404");
    expect(5, "remote-image", "could not fetch");
    expect(6, "remote-image", "not an image (served as `text/html`)");
    expect(7, "remote-image", "redirect");
    expect(8, "remote-image", "larger than 20 MiB");
    expect(9, "unsupported-image", "file:///etc/passwd");
    expect(10, "not-an-image", "etc/passwd");
    let media = package_media(&package);
    let bytes: Vec<&Vec<u8>> = media.values().collect();
    assert_eq!(media.len(), 2, "{:?}", media.keys());
    assert!(bytes.contains(&&red) && bytes.contains(&&GIF.to_vec()));
    assert!(media.keys().any(|k| k.ends_with(".png")) && media.keys().any(|k| k.ends_with(".gif")));
    // Cards whose image failed keep the remote URL; nothing else of theirs is bundled.
    let cards = cards_json(
        &notes2anki(dir.path())
            .env("XDG_CACHE_HOME", &cache)
            .args(["cards"])
            .output()
            .expect("cards"),
    );
    assert!(cards[1]["definition"]
        .as_str()
        .unwrap_or_default()
        .contains(&server.url("/missing.png")));
    assert!(!cards[7]["definition"]
        .as_str()
        .unwrap_or_default()
        .contains("passwd\""));
    // `cards` works offline from the cache: the same media names as the package.
    assert_eq!(cards[0]["media"].as_array().map(Vec::len), Some(2));
    // The cache is under XDG_CACHE_HOME.
    let cached: Vec<_> = std::fs::read_dir(cache.join("notes2anki/images"))
        .expect("cache folder")
        .flatten()
        .collect();
    assert_eq!(cached.len(), 4, "two images and their metadata");

    // The image changes on the server: a conditional request notices.
    server.set("/a.png", Route::ok("image/png", &blue, "\"a2\""));
    let (package, _) = build_with_cache(dir.path(), &cache, &[]);
    let media = package_media(&package);
    assert!(media.values().any(|b| *b == blue) && !media.values().any(|b| *b == red));
    let seen = server.seen();
    assert!(
        seen.contains(&("/a.png".into(), Some("\"a1\"".into()))),
        "{seen:?}"
    );
    assert!(
        seen.contains(&("/b.gif".into(), Some("\"b1\"".into()))),
        "{seen:?}"
    );

    // The server goes away: the rebuild still bundles both images, from the cache.
    server.stop();
    let (package, err) = build_with_cache(dir.path(), &cache, &[]);
    let media = package_media(&package);
    assert_eq!(media.len(), 2, "{err}");
    assert!(media.values().any(|b| *b == blue));
    assert!(warnings_at(&err, 3).is_empty(), "{err}");
    // And --offline makes no request at all, using the cache.
    let (package, _) = build_with_cache(dir.path(), &cache, &["--offline"]);
    assert_eq!(package_media(&package).len(), 2);
}

#[test]
fn offline_seed_with_an_empty_cache_keeps_the_urls() {
    let dir = seed_project();
    let cache = dir.path().join("empty-cache");
    let out = notes2anki(dir.path())
        .env("XDG_CACHE_HOME", &cache)
        .args(["build", "--offline"])
        .output()
        .expect("build");
    assert!(out.status.success());
    let err = stderr(&out);
    // One line for the nine images that share a cause, the first three named.
    let cause = "not in the image cache, and this command makes no network request";
    let group = format!("warning[remote-image]: 9 images: {cause}");
    assert!(err.lines().any(|l| l == group), "{err}");
    assert!(err.contains("  notes/techstock.md:24\n"), "{err}");
    assert!(err.contains("… and 6 more (--verbose lists them)"), "{err}");
    assert!(err.contains("0 media files"));
    // --verbose: each on its own line.
    let out = notes2anki(dir.path())
        .env("XDG_CACHE_HOME", &cache)
        .args(["build", "--offline", "--verbose"])
        .output()
        .expect("build");
    let err = stderr(&out);
    let remote: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("warning[remote-image]"))
        .collect();
    assert_eq!(remote.len(), 9, "{err}");
    assert!(remote.iter().all(|l| l.contains(cause)), "{err}");
    let cards = cards_json(&run(dir.path(), &["cards"]));
    let organizations = &cards[1]["definition"];
    assert!(organizations
        .as_str()
        .unwrap_or_default()
        .contains("src=\"https://user-images.githubusercontent.com/61643054/203450104"));
    assert!(!cache.exists(), "offline makes no cache entries");
}

#[test]
fn a_progress_bar_shows_only_on_a_terminal() {
    let server = Server::start();
    let mut notes = String::from("# P\n\n");
    for i in 0..12 {
        let path = format!("/{i}.png");
        server.set(
            &path,
            Route::ok("image/png", &png([i, 0, 0]), &format!("\"{i}\"")),
        );
        notes.push_str(&format!("- Image {i}: ![x]({})\n", server.url(&path)));
    }
    let dir = notes_project("n.md", &notes);
    // Not a terminal: no progress output.
    let (_, err) = build_with_cache(dir.path(), &dir.path().join("c1"), &[]);
    assert!(!err.contains("downloading images"), "{err}");
    // A terminal (a pseudo-terminal from util-linux `script`): the bar appears.
    let command = format!("{} build -o deck.apkg", env!("CARGO_BIN_EXE_notes2anki"));
    let Ok(out) = std::process::Command::new("timeout")
        .args(["60", "script", "-qec", &command, "/dev/null"])
        .current_dir(dir.path())
        .env("XDG_CACHE_HOME", dir.path().join("c2"))
        .env("SOURCE_DATE_EPOCH", NOW)
        .output()
    else {
        panic!("util-linux `script` is needed for this test (apt-get install bsdutils)");
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("downloading images"), "{text}");
    assert!(text.contains("12/12"), "{text}");
    assert!(text.contains("12 cards"), "{text}");
}

#[test]
fn a_changed_image_updates_its_note_and_no_other() {
    // A note's hashes are taken once its images have their media names: a new picture
    // under the same file name is an edit Anki must receive.
    let dir = notes_project(
        "n.md",
        "# D\n\n- Logo: the logo ![](logo.png)\n- Plain: no image\n",
    );
    let image = dir.path().join("notes/logo.png");
    std::fs::write(&image, png([255, 0, 0])).expect("write");
    let package = build(dir.path(), &["notes"]);
    let before = package_media(&package);
    assert_eq!(before.values().collect::<Vec<_>>(), [&png([255, 0, 0])]);
    std::fs::write(&image, png([0, 0, 255])).expect("write");
    let out = run(
        dir.path(),
        &["build", "--offline", "-o", "out.apkg", "notes"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("changes: 1 updated, 1 unchanged"),
        "{}",
        stderr(&out)
    );
    let after = package_media(&package);
    assert_eq!(after.values().collect::<Vec<_>>(), [&png([0, 0, 255])]);
    assert_ne!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
}

#[test]
fn text_that_becomes_a_placeholder_without_its_control_character_stays_text() {
    // Placeholders are filled before control characters are taken out: a private-use
    // pair around `0` that only reads as one once U+0001 goes is the note's own text.
    let dir = notes_project("n.md", "- Ctl: ![](a.png) \u{e000}\u{1}0\u{e001} odd\n");
    std::fs::write(dir.path().join("notes/a.png"), png([0, 255, 0])).expect("write");
    let cards = cards_json(&run(dir.path(), &["cards"]));
    let definition = cards[0]["definition"].as_str().expect("definition");
    assert!(definition.contains("\u{e000}0\u{e001} odd"), "{definition}");
    assert_eq!(definition.matches(".png").count(), 1, "{definition}");
}
