//! Fuzzes the parse stage: any UTF-8 text must parse without a panic, and every card it
//! gives must have a term and a line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use notes2anki::source::Source;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let parsed = notes2anki::parse::parse(&Source::new("fuzz.md", text), &notes2anki::parse::FileMeta::plain("fuzz", std::path::Path::new("")));
        for card in &parsed.cards {
            assert!(!card.term_text.is_empty());
            assert!(card.location.line >= 1);
        }
    }
});
