//! Settings as an author writes them: `notes2anki.toml`, `--config`, front matter, and
//! `check --explain`.

use crate::support::*;

#[test]
fn check_explain_lists_each_files_styles_and_deck() {
    let dir = fixture_project("styles");
    let out = run(dir.path(), &["check", "notes", "--explain", "--offline"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stderr(&out);
    for line in [
        "daily/2026-12-01.md: skipped (settings or front matter)",
        "exam.md: styles outline, quiz; deck Exam::Chapter 1; 1 card",
        "glossary/aws.md: styles headings, quiz; deck notes::glossary; 7 cards",
        "plain.md: styles quiz; deck notes; 2 cards",
        "services.md: styles outline, tables, quiz; deck notes; 4 cards",
        "shortcuts.md: styles quiz, dashes; deck notes; 4 cards",
    ] {
        assert!(text.contains(line), "`{line}` missing from:\n{text}");
    }
}

#[test]
fn config_reads_another_settings_file_with_paths_under_the_input_folder() {
    let dir = notes_project("a.md", "# A\n\n## Amazon S3\n\nObject storage.\n");
    let cards = cards_json(&run(dir.path(), &["cards", "notes"]));
    assert!(cards.is_empty(), "headings are off by default: {cards:?}");
    std::fs::write(
        dir.path().join("mine.toml"),
        "[[rules]]\npaths = [\"a.md\"]\ncards = [\"headings\"]\ndeck = \"Mine\"\n",
    )
    .expect("write");
    let out = run(dir.path(), &["cards", "notes", "--config", "mine.toml"]);
    let cards = cards_json(&out);
    assert_eq!(cards.len(), 1, "{}", stderr(&out));
    assert_eq!(cards[0]["term"], "Amazon S3");
    assert_eq!(cards[0]["deck"], "Mine");
    // `--deck` still puts it under a parent.
    let out = run(
        dir.path(),
        &["cards", "notes", "--config", "mine.toml", "--deck", "Top"],
    );
    assert_eq!(cards_json(&out)[0]["deck"], "Top::Mine");
}

#[test]
fn bad_settings_name_their_file_and_line_and_cost_nothing_on_disk() {
    let dir = notes_project("a.md", "# A\n\n- Term: definition\n");
    let package = build(dir.path(), &["notes"]);
    let lock = dir.path().join("notes/notes2anki.lock");
    let read = |p: &std::path::Path| std::fs::read(p).expect("read");
    let (old_package, old_lock) = (read(&package), read(&lock));
    let settings = dir.path().join("notes/notes2anki.toml");
    for (text, line, word) in [
        (
            "[[rules]]\npaths = [\"**\"]\ncolour = \"red\"\n",
            3,
            "colour",
        ),
        (
            "[[rules]]\npaths = [\"**\"]\ncards = [\"bullets\"]\n",
            3,
            "bullets",
        ),
        ("\n[[rules]]\npaths = [\"a/[b\"]\n", 3, "a/[b"),
    ] {
        std::fs::write(&settings, text).expect("write");
        let out = run(
            dir.path(),
            &["build", "notes", "--offline", "-o", "out.apkg"],
        );
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        let at = format!("notes2anki.toml:{line}: error[bad-settings]");
        assert!(err.contains(&at) && err.contains(word), "{err}");
    }
    std::fs::remove_file(&settings).expect("remove");
    std::fs::write(
        dir.path().join("notes/a.md"),
        "---\nanki: {cards: [outline], colour: red}\n---\n# A\n\n- Term: definition\n",
    )
    .expect("write");
    let out = run(
        dir.path(),
        &["build", "notes", "--offline", "-o", "out.apkg"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("a.md:2:") && err.contains("error[bad-settings]"),
        "{err}"
    );
    assert!(err.contains("colour"), "{err}");
    assert_eq!(read(&package), old_package);
    assert_eq!(read(&lock), old_lock);
}

#[test]
fn a_pair_moved_from_one_style_to_another_keeps_its_guid() {
    let dir = notes_project("a.md", "# A\n\n- Amazon S3: Object storage.\n");
    let first = cards_json(&run(dir.path(), &["cards", "notes"]));
    build(dir.path(), &["notes"]);
    std::fs::write(
        dir.path().join("notes/a.md"),
        "---\nanki: {cards: [headings]}\n---\n# A\n\n## Amazon S3\n\nObject storage.\n",
    )
    .expect("write");
    build(dir.path(), &["notes"]);
    let out = run(dir.path(), &["check", "notes", "--offline"]);
    let now = cards_json(&run(dir.path(), &["cards", "notes"]));
    assert_eq!(now.len(), 1);
    assert_eq!(now[0]["guid"], first[0]["guid"], "{}", stderr(&out));
    assert_eq!(now[0]["definition"], first[0]["definition"]);
}
