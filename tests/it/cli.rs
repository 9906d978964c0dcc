//! The command line as a user meets it: help, defaults, exit codes, bad input.

use crate::support::*;

#[test]
fn help_explains_the_commands() {
    let out = run(&root(), &["--help"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("Markdown notes"), "{text}");
    assert!(text.contains("build") && text.contains("cards"), "{text}");
    let out = run(&root(), &["build", "--help"]);
    let text = stdout(&out);
    for flag in ["--output", "--offline", "--deck", "--subdecks", "--reverse"] {
        assert!(text.contains(flag), "{flag} missing from:\n{text}");
    }
}

#[test]
fn version_prints_the_crate_version() {
    let out = run(&root(), &["--version"]);
    assert_eq!(
        stdout(&out).trim(),
        format!("notes2anki {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = run(&root(), &["build", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&root(), &[]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn build_defaults_to_notes_and_out_notes_apkg() {
    let dir = seed_project();
    let out = run(dir.path(), &["build", "--offline"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let package = dir.path().join("out/notes.apkg");
    assert!(package.is_file());
    let err = stderr(&out);
    let mut last = err.lines().rev();
    let (next, summary) = (
        last.next().unwrap_or_default(),
        last.next().unwrap_or_default(),
    );
    assert_eq!(
        summary,
        "wrote out/notes.apkg: 108 cards, 108 notes in 1 deck, 0 media files, 10 warnings"
    );
    assert!(
        next.starts_with("next: import it in Anki with File → Import"),
        "{next}"
    );
    // Diagnostics come first, one per line, in the editor-friendly format.
    assert!(
        err.contains("notes/techstock.md:252:7: warning[empty-definition]: "),
        "{err}"
    );
    // Nothing but the package is left in out/.
    let entries: Vec<_> = std::fs::read_dir(dir.path().join("out"))
        .expect("out/")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(entries, vec![std::ffi::OsString::from("notes.apkg")]);
}

#[test]
fn default_output_is_named_after_the_first_input() {
    let dir = seed_project();
    let out = run(dir.path(), &["build", "notes/techstock.md", "--offline"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("out/techstock.apkg").is_file());
}

#[test]
fn same_notes_and_clock_give_the_same_bytes() {
    let dir = seed_project();
    let first = build(dir.path(), &["notes"]);
    let a = std::fs::read(&first).expect("read");
    let out2 = dir.path().join("again.apkg");
    let result = run(
        dir.path(),
        &[
            "build",
            "notes",
            "--offline",
            "-o",
            out2.to_str().unwrap_or(""),
        ],
    );
    assert!(result.status.success());
    let b = std::fs::read(&out2).expect("read");
    assert!(a == b, "two builds differ");
    // With images too.
    let images = fixture_project("images");
    let tmp = tempfile::tempdir().expect("tmp");
    let p1 = tmp.path().join("1.apkg");
    let p2 = tmp.path().join("2.apkg");
    for p in [&p1, &p2] {
        let r = run(
            images.path(),
            &["build", "notes", "-o", p.to_str().unwrap_or("")],
        );
        assert!(r.status.success(), "{}", stderr(&r));
    }
    assert!(std::fs::read(&p1).ok() == std::fs::read(&p2).ok());
}

#[test]
fn missing_input_names_the_path() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = run(dir.path(), &["build", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim(),
        "nope: error[missing-input]: no such file or folder\nrefused: 1 error; nothing was written"
    );
    // With no argument, the default `notes` folder is missing.
    let out = run(dir.path(), &["cards"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("notes: error[missing-input]: no such file or folder"));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn a_folder_without_notes_is_an_error() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::create_dir(dir.path().join("notes")).expect("mkdir");
    let out = run(dir.path(), &["build"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("notes: error[no-notes]: no Markdown files (*.md) found"));
}

#[test]
fn a_file_that_is_not_utf8_names_its_line_and_keeps_the_old_package() {
    let dir = seed_project();
    let package = build(dir.path(), &["notes"]);
    let before = std::fs::read(&package).expect("read");
    std::fs::write(
        dir.path().join("notes/bad.md"),
        b"# Bad\n\n- ok: fine\n- caf\xe9: latin-1\n",
    )
    .expect("write");
    let out = run(
        dir.path(),
        &[
            "build",
            "notes",
            "--offline",
            "-o",
            package.to_str().unwrap_or(""),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim(),
        "notes/bad.md:4:6: error[not-utf8]: not valid UTF-8 (byte 0xE9); save the file as UTF-8\n   |\n 4 | - caf\u{fffd}: latin-1\nrefused: 1 error; nothing was written"
    );
    assert_eq!(std::fs::read(&package).expect("read"), before);
    assert_no_temp_files(dir.path());
}

#[test]
fn an_output_that_cannot_be_written_is_an_error() {
    let dir = seed_project();
    std::fs::write(dir.path().join("blocker"), "a file, not a folder").expect("write");
    let out = run(
        dir.path(),
        &["build", "--offline", "-o", "blocker/deck.apkg"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("blocker/deck.apkg: error[cannot-write]: blocker is a file, not a folder"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("blocker")).expect("read"),
        "a file, not a folder"
    );
}

#[test]
fn cards_prints_one_json_object_per_card_with_the_documented_keys() {
    let out = run(&fixture("directives"), &["cards"]);
    assert!(out.status.success());
    let cards = cards_json(&out);
    assert_eq!(cards.len(), 5);
    let keys: Vec<&String> = cards[0].as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        vec![
            "context",
            "deck",
            "definition",
            "guid",
            "location",
            "media",
            "reverse",
            "tags",
            "term"
        ]
    );
    assert_eq!(cards[0]["location"], "notes/directives.md:3");
}

#[test]
fn deck_and_subdecks_options() {
    let dir = seed_project();
    let out = run(dir.path(), &["cards", "--deck", "AWS", "--subdecks"]);
    let cards = cards_json(&out);
    assert_eq!(cards[0]["deck"], "AWS::Techstock");
    assert_eq!(cards[1]["deck"], "AWS::Techstock::01");
    assert_eq!(cards[107]["deck"], "AWS::Techstock::10");
    assert_eq!(cards[1]["tags"], serde_json::json!([]));
    // --deck alone keeps section tags and does not change identity.
    let plain = cards_json(&run(dir.path(), &["cards"]));
    let parented = cards_json(&run(dir.path(), &["cards", "--deck", "AWS"]));
    assert_eq!(parented[1]["deck"], "AWS::Techstock");
    assert_eq!(parented[1]["tags"], serde_json::json!(["Techstock::01"]));
    assert_eq!(plain[1]["guid"], parented[1]["guid"]);
    assert_eq!(plain[1]["guid"], cards[1]["guid"]);
}

#[test]
fn reverse_flag_reverses_every_card() {
    let dir = seed_project();
    let cards = cards_json(&run(dir.path(), &["cards", "--reverse"]));
    assert!(cards.iter().all(|c| c["reverse"] == true));
    let out = run(dir.path(), &["build", "--reverse", "--offline"]);
    assert!(
        stderr(&out).contains("216 cards, 108 notes"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_lock_file_lands_beside_the_notes_and_every_command_reads_it() {
    let dir = fixture_project("updates");
    build(dir.path(), &["notes"]);
    let lock = dir.path().join("notes/notes2anki.lock");
    let text = std::fs::read_to_string(&lock).expect("lock written beside the notes");
    assert_eq!(text.matches("\"guid\":").count(), 8);
    let before = cards_json(&run(dir.path(), &["cards"]));
    // Rename a term: `build` keeps its guid, and `cards` (which only reads the lock) agrees.
    let path = dir.path().join("notes/deck.md");
    let notes = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, notes.replace("- Renamed term:", "- Better term:")).expect("write");
    let unbuilt = cards_json(&run(dir.path(), &["cards"]));
    assert_eq!(
        unbuilt[2]["guid"], before[2]["guid"],
        "cards applies the rename rule too"
    );
    build(dir.path(), &["notes"]);
    let after = cards_json(&run(dir.path(), &["cards"]));
    assert_eq!(after[2]["term"], "Better term");
    assert_eq!(after[2]["guid"], before[2]["guid"]);
    // `cards` never writes the lock.
    let lock_before = std::fs::read(&lock).expect("read");
    std::fs::write(&path, "- Only: one card\n").expect("write");
    run(dir.path(), &["cards"]);
    assert_eq!(std::fs::read(&lock).expect("read"), lock_before);
}

#[test]
fn lock_option_puts_the_lock_elsewhere_and_a_subset_build_keeps_other_entries() {
    let dir = fixture_project("sections");
    let lock = dir.path().join("state/my.lock");
    std::fs::create_dir(dir.path().join("state")).expect("mkdir");
    let lock_arg = lock.to_str().expect("utf-8");
    build(dir.path(), &["notes", "--lock", lock_arg]);
    assert!(!dir.path().join("notes/notes2anki.lock").exists());
    let full = std::fs::read_to_string(&lock).expect("lock");
    assert_eq!(full.matches("\"guid\":").count(), 4);
    // Build one file only: the other file's entries stay.
    let out = run(
        dir.path(),
        &[
            "build",
            "notes/sub/b-second.md",
            "-o",
            "one.apkg",
            "--lock",
            lock_arg,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("changes: 1 unchanged"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&lock).expect("lock"), full);
}

#[test]
fn a_broken_lock_is_refused_and_nothing_is_written() {
    let dir = seed_project();
    let package = build(dir.path(), &["notes"]);
    let before = std::fs::read(&package).expect("read");
    let lock = dir.path().join("notes/notes2anki.lock");
    std::fs::write(&lock, "{\"version\": 1, \"cards\": [").expect("write");
    let out = run(
        dir.path(),
        &[
            "build",
            "notes",
            "--offline",
            "-o",
            package.to_str().unwrap_or(""),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("notes/notes2anki.lock:1: error[bad-lock]: not a notes2anki lock file"),
        "{err}"
    );
    assert_eq!(std::fs::read(&package).expect("read"), before);
    assert_eq!(
        std::fs::read_to_string(&lock).expect("read"),
        "{\"version\": 1, \"cards\": ["
    );
}

#[test]
fn every_bad_file_is_reported_not_just_the_first() {
    let dir = seed_project();
    std::fs::write(dir.path().join("notes/a.md"), b"- ok: fine\n- bad: \xff\n").expect("write");
    std::fs::write(dir.path().join("notes/b.md"), b"# B\n\xc3\n").expect("write");
    let out = run(dir.path(), &["build", "--offline"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("notes/a.md:2:8: error[not-utf8]"), "{err}");
    assert!(err.contains("notes/b.md:2:1: error[not-utf8]"), "{err}");
    assert!(
        err.ends_with("refused: 2 errors; nothing was written\n"),
        "{err}"
    );
    assert!(!dir.path().join("out").exists());
    assert!(!dir.path().join("notes/notes2anki.lock").exists());
}

#[test]
fn strict_turns_warnings_into_errors_and_writes_nothing() {
    let dir = seed_project();
    let out = run(dir.path(), &["build", "--offline", "--strict"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("notes/techstock.md:252:7: error[empty-definition]"),
        "{err}"
    );
    assert_eq!(err.matches(": error[remote-image]").count(), 9, "{err}");
    assert!(
        err.ends_with("refused: 10 errors; nothing was written\n"),
        "{err}"
    );
    assert!(!dir.path().join("out").exists());
    // Without --strict the same notes build.
    let out = run(dir.path(), &["build", "--offline"]);
    assert!(out.status.success());
}

#[test]
fn check_does_everything_but_write() {
    let dir = seed_project();
    let out = run(dir.path(), &["check", "--offline"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("warning[empty-definition]"), "{err}");
    assert!(err.contains("changes: 108 added"), "{err}");
    assert!(
        err.ends_with("checked: 108 notes, 10 warnings, no errors (nothing written)\n"),
        "{err}"
    );
    assert!(!dir.path().join("out").exists());
    assert!(!dir.path().join("notes/notes2anki.lock").exists());
    let out = run(dir.path(), &["check", "--offline", "--strict"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn an_output_that_is_a_folder_and_notes_without_cards_are_refused() {
    let dir = seed_project();
    std::fs::create_dir(dir.path().join("deck.apkg")).expect("mkdir");
    let out = run(dir.path(), &["build", "--offline", "-o", "deck.apkg"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error[usage]: -o deck.apkg: that is a folder; give a file name in it, like -o deck.apkg/notes.apkg"),
        "{}",
        stderr(&out)
    );
    let empty = notes_project("prose.md", "# Prose\n\nJust text.\n");
    let out = run(empty.path(), &["build", "--offline"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("notes: error[no-cards]: no cards found"),
        "{}",
        stderr(&out)
    );
    assert!(!empty.path().join("out").exists());
}

#[test]
fn symlink_loops_and_huge_lines_are_survived() {
    let dir = tempfile::tempdir().expect("tmp");
    let notes = dir.path().join("notes");
    std::fs::create_dir_all(notes.join("sub")).expect("mkdir");
    std::os::unix::fs::symlink(&notes, notes.join("sub/loop")).expect("symlink");
    // A multi-megabyte line of colons and URLs, and a huge definition.
    let mut text = String::from("# Big\n\n- Long: ");
    text.push_str(&"a:b http://x.y/z:1 10:30 ".repeat(200_000));
    text.push_str("\n- Colons: ");
    text.push_str(&"x:".repeat(1_000_000));
    text.push_str("\n- ");
    // No separator anywhere: every colon is in one huge run (linear, not quadratic).
    text.push_str(&"y:".repeat(1_000_000));
    text.push_str("\n- ");
    text.push_str(&"localhost:8080 ".repeat(300_000));
    text.push('\n');
    std::fs::write(notes.join("big.md"), text).expect("write");
    let out = run(dir.path(), &["build", "--offline"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("warning[symlink-loop]"), "{err}");
    assert!(err.contains("2 cards"), "{err}");
}

#[test]
fn binary_garbage_and_huge_images_are_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(dir.path().join("notes/img")).expect("mkdir");
    // A PNG saved as Markdown by mistake.
    let mut garbage = b"\x89PNG\r\n\x1a\n".to_vec();
    garbage.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    std::fs::write(dir.path().join("notes/oops.md"), &garbage).expect("write");
    let out = run(dir.path(), &["build", "--offline"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("notes/oops.md:1:1: error[not-utf8]"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_file(dir.path().join("notes/oops.md")).expect("rm");
    // A 101 MiB "image" (sparse: no disk is spent) is refused without being read.
    let huge = std::fs::File::create(dir.path().join("notes/img/huge.png")).expect("create");
    huge.set_len(101 * 1024 * 1024).expect("set_len");
    std::fs::write(dir.path().join("notes/n.md"), "- Big: ![b](img/huge.png)\n").expect("write");
    let out = run(dir.path(), &["build", "--offline"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("notes/n.md:1:8: warning[image-too-large]"),
        "{err}"
    );
    assert!(err.contains("0 media files"), "{err}");
}

#[test]
fn a_trial_build_with_other_note_options_leaves_the_lock_and_the_next_build_changes_nothing() {
    let dir = seed_project();
    build(dir.path(), &["notes"]);
    let lock = dir.path().join("notes/notes2anki.lock");
    let before = std::fs::read(&lock).expect("lock");
    for trial in [&["--subdecks"][..], &["--reverse"], &["--deck", "Top"]] {
        let mut args = vec!["build", "notes", "--offline", "-o", "trial/x.apkg"];
        args.extend_from_slice(trial);
        let out = run(dir.path(), &args);
        assert!(out.status.success(), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("trial build: the lock was built with no note options"),
            "{err}"
        );
        assert!(
            err.contains("to keep these options, build again with --keep-options"),
            "{err}"
        );
        assert_eq!(std::fs::read(&lock).expect("lock"), before, "{trial:?}");
        let out = run(
            dir.path(),
            &["build", "notes", "--offline", "-o", "out.apkg"],
        );
        assert!(
            stderr(&out).contains("changes: 108 unchanged\n"),
            "{}",
            stderr(&out)
        );
        assert!(!stderr(&out).contains("trial build"));
    }
    // Options made to stick: the lock records them, and builds without them are trials.
    let out = run(
        dir.path(),
        &[
            "build",
            "notes",
            "--offline",
            "--subdecks",
            "--keep-options",
        ],
    );
    assert!(!stderr(&out).contains("trial build"), "{}", stderr(&out));
    assert!(std::fs::read_to_string(&lock)
        .expect("lock")
        .contains("\"options\": {\"subdecks\":true}"));
    let out = run(dir.path(), &["build", "notes", "--offline", "--subdecks"]);
    assert!(
        stderr(&out).contains("changes: 108 unchanged\n"),
        "{}",
        stderr(&out)
    );
    let out = run(dir.path(), &["build", "notes", "--offline"]);
    assert!(stderr(&out)
        .contains("the lock was built with --subdecks, this build with no note options"));
}

#[test]
fn the_report_says_what_changed_and_cuts_long_lists() {
    let mut md = String::from("# Deck\n\n");
    for i in 0..30 {
        md.push_str(&format!("- Term {i}: definition {i}\n"));
    }
    let dir = notes_project("a.md", &md);
    build(dir.path(), &["notes"]);
    let edited = md
        .replace("definition", "changed definition")
        .replace("- Term 0:", "- Term 0: #tagged");
    std::fs::write(dir.path().join("notes/a.md"), edited).expect("write");
    let out = run(dir.path(), &["check", "notes", "--offline"]);
    let err = stderr(&out);
    assert!(err.contains("changes: 30 updated\n"), "{err}");
    assert!(
        err.contains("updated   notes/a.md:4  Term 1 (definition)"),
        "{err}"
    );
    assert_eq!(
        err.matches("  updated ").count(),
        21,
        "20 lines and the rest: {err}"
    );
    assert!(
        err.contains("updated   … and 10 more (--verbose lists them)"),
        "{err}"
    );
    let out = run(dir.path(), &["check", "notes", "--offline", "--verbose"]);
    assert_eq!(stderr(&out).matches("  updated ").count(), 30);
    // Only tags: said so.
    build(dir.path(), &["notes"]);
    let tagged = std::fs::read_to_string(dir.path().join("notes/a.md")).expect("read");
    std::fs::write(
        dir.path().join("notes/a.md"),
        tagged.replace("#tagged", "#other"),
    )
    .expect("write");
    let err = stderr(&run(dir.path(), &["check", "notes", "--offline"]));
    assert!(err.contains("Term 0 (tags)"), "{err}");
}

#[test]
fn bad_command_lines_say_what_to_do() {
    let dir = seed_project();
    let usage = |args: &[&str], needle: &str| {
        let out = run(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    };
    usage(
        &["build", "--offline", "-o", "x.txt"],
        "must end in .apkg, like -o x.apkg",
    );
    usage(
        &["build", "--offline", "-o", "out/"],
        "that is a folder; give a file name in it",
    );
    usage(
        &["preview", "--offline", "-o", "out/"],
        "like -o out/notes.html",
    );
    usage(&["watch", "--offline", "-o", "out/"], "that is a folder");
    usage(&["cards", "--css", "x.css"], "unexpected argument '--css'");
    usage(&["check", "--css", "x.css"], "unexpected argument '--css'");
    let out = notes2anki(dir.path())
        .env("SOURCE_DATE_EPOCH", "abc")
        .args(["build", "--offline"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("SOURCE_DATE_EPOCH=\"abc\" is not a time"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn each_command_takes_the_options_the_readme_table_gives_it() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let header = readme
        .lines()
        .find(|l| l.starts_with("| option |"))
        .expect("the options table");
    let commands: Vec<&str> = header.split('|').map(str::trim).skip(2).take(5).collect();
    assert_eq!(commands, ["build", "watch", "preview", "check", "cards"]);
    let rows: Vec<(String, Vec<bool>)> = readme
        .lines()
        .skip_while(|l| !l.starts_with("| option |"))
        .skip(2)
        .take_while(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let flag = cells[1]
                .trim_matches('`')
                .split(' ')
                .next()
                .unwrap_or("")
                .to_string();
            let flag = if flag == "-o" {
                "--output".to_string()
            } else {
                flag
            };
            (flag, cells[2..7].iter().map(|c| *c == "✓").collect())
        })
        .collect();
    for (column, command) in commands.iter().enumerate() {
        let out = run(&root(), &[command, "--help"]);
        let help = stdout(&out);
        let mut taken: Vec<String> = help
            .split_whitespace()
            .filter(|w| w.starts_with("--") && w.len() > 2)
            .map(|w| {
                w.trim_end_matches(',')
                    .split('<')
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .filter(|w| {
                w != "--help"
                    && w.chars()
                        .skip(2)
                        .all(|c| c.is_ascii_lowercase() || c == '-')
            })
            .collect();
        taken.sort();
        taken.dedup();
        let mut listed: Vec<String> = rows
            .iter()
            .filter(|(_, on)| on[column])
            .map(|(flag, _)| flag.clone())
            .collect();
        listed.sort();
        assert!(listed.len() >= 6, "{listed:?}");
        assert_eq!(
            taken, listed,
            "`{command} --help` against the README's table"
        );
    }
}

#[test]
fn the_search_for_removed_notes_is_repeated_until_forgotten() {
    use crate::anki::str_of;
    let dir = notes_project("a.md", "# A\n\n- Kept: k\n- Gone: g\n");
    build(dir.path(), &["notes"]);
    let guid = cards_json(&run(dir.path(), &["cards", "notes"]))[1]["guid"].clone();
    std::fs::write(dir.path().join("notes/a.md"), "# A\n\n- Kept: k\n").expect("write");
    let search = format!("(Id:{})", str_of(&guid));
    for (build_number, earlier) in [(1, ""), (2, " (1 in earlier builds)")] {
        let out = run(
            dir.path(),
            &["build", "notes", "--offline", "-o", "out.apkg"],
        );
        let err = stderr(&out);
        let said = format!("to delete the 1 removed from the notes{earlier}, search");
        assert!(
            err.contains(&said) && err.contains(&search),
            "build {build_number}: {err}"
        );
    }
    // Forgotten: said no more.
    run(
        dir.path(),
        &[
            "build",
            "notes",
            "--offline",
            "-o",
            "out.apkg",
            "--forget-removed",
        ],
    );
    let err = stderr(&run(
        dir.path(),
        &["build", "notes", "--offline", "-o", "out.apkg"],
    ));
    assert!(!err.contains("cannot delete"), "{err}");
    // A removed card that comes back has its guid, and so its note, again.
    std::fs::write(
        dir.path().join("notes/a.md"),
        "# A\n\n- Kept: k\n- Gone: g\n",
    )
    .expect("write");
    let back = cards_json(&run(dir.path(), &["cards", "notes"]));
    assert_eq!(back[1]["guid"], guid);
}
