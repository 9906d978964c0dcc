//! Snapshot tests: `cards` on each fixture folder, reviewed by eye when first written.
//! Regenerate with `INSTA_UPDATE=always cargo test --test it fixtures` and review the diff.

use crate::support::*;

fn snapshot_of(name: &str) -> String {
    let out = run(&fixture(name), &["cards", "notes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut text = String::new();
    for card in cards_json(&out) {
        text.push_str(&serde_json::to_string_pretty(&card).unwrap_or_default());
        text.push('\n');
    }
    text.push_str("--- diagnostics ---\n");
    text.push_str(&stderr(&out));
    text
}

macro_rules! fixture_snapshot {
    ($test:ident, $name:literal) => {
        #[test]
        fn $test() {
            insta::assert_snapshot!($name, snapshot_of($name));
        }
    };
}

fixture_snapshot!(markers_and_nesting, "markers");
fixture_snapshot!(colons_that_separate_and_colons_that_do_not, "colons");
fixture_snapshot!(bom_and_crlf, "bom-crlf");
fixture_snapshot!(definition_lists, "deflist");
fixture_snapshot!(local_images, "images");
fixture_snapshot!(math_tables_code, "blocks");
fixture_snapshot!(skip_reverse_and_id_comments, "directives");
fixture_snapshot!(sections_decks_and_folders, "sections");
fixture_snapshot!(obsidian_vault, "vault");
fixture_snapshot!(real_notes_rules, "realnotes");
fixture_snapshot!(quiz_questions_and_their_answers, "quiz");
fixture_snapshot!(styles_chosen_by_settings, "styles");
fixture_snapshot!(code_blocks_highlighted_with_classes, "code");
