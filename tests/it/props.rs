//! Property tests: random Markdown through the parse stage and the whole build.
//! A short run here (64 cases each); `PROPTEST_CASES=5000 cargo test --test it props`
//! runs more.

use proptest::prelude::*;

use notes2anki::source::Source;

/// Markdown stitched from the fragments that make it interesting for this parser.
pub fn markdown() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(notes2anki::corpus::FRAGMENTS), 0..120)
        .prop_map(|v| v.concat())
}

fn options(dir: &std::path::Path) -> notes2anki::Options {
    notes2anki::Options {
        inputs: vec![dir.join("notes")],
        parent_deck: None,
        subdecks: false,
        reverse: false,
        offline: true,
        now: 1_795_700_000,
        lock: Some(dir.join("lock")),
        cache_dir: Some(dir.join("cache")),
        progress: None,
        strict: false,
        extra_css: String::new(),
        config: None,
        keep_options: false,
        forget_removed: false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn parsing_never_panics_and_cards_have_terms(md in markdown()) {
        let parsed = notes2anki::parse::parse(&Source::new("p.md", md.as_str()), &notes2anki::parse::FileMeta::plain("p", std::path::Path::new("")));
        for card in &parsed.cards {
            prop_assert!(!card.term_text.is_empty());
            prop_assert!(card.location.line >= 1);
        }
    }

    #[test]
    fn guids_are_unique_and_builds_reproducible(a in markdown(), b in markdown()) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("notes")).unwrap();
        // Two files, and the same text twice in a third: identities collide on purpose.
        std::fs::write(dir.path().join("notes/0.md"), "- Fixed: card\n").unwrap();
        std::fs::write(dir.path().join("notes/a.md"), &a).unwrap();
        std::fs::write(dir.path().join("notes/b.md"), format!("{b}\n{b}")).unwrap();
        let extracted = notes2anki::extract(&options(dir.path())).unwrap();
        let mut guids: Vec<&str> = extracted.notes.iter().map(|n| n.ids.guid.as_str()).collect();
        let all = guids.len();
        guids.sort_unstable();
        guids.dedup();
        prop_assert_eq!(guids.len(), all);
        // The same notes give the same bytes (each build from no lock).
        let first = dir.path().join("1.apkg");
        let second = dir.path().join("2.apkg");
        notes2anki::build(&options(dir.path()), &first).unwrap();
        std::fs::remove_file(dir.path().join("lock")).unwrap();
        notes2anki::build(&options(dir.path()), &second).unwrap();
        prop_assert!(std::fs::read(&first).unwrap() == std::fs::read(&second).unwrap());
    }
}
