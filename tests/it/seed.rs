//! The seed gives exactly the cards reviewed by hand in fixtures/techstock.cards.tsv.

use crate::support::*;

#[test]
fn seed_gives_the_hand_checked_cards_in_order() {
    let out = run(&root(), &["cards", "notes/techstock.md"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let got: Vec<(String, String, String)> = cards_json(&out)
        .iter()
        .map(|c| {
            let location = c["location"].as_str().unwrap_or_default();
            let line = location.rsplit(':').next().unwrap_or_default().to_string();
            (
                line,
                strip_html(c["term"].as_str().unwrap_or_default()),
                strip_html(c["context"].as_str().unwrap_or_default()),
            )
        })
        .collect();
    let tsv = std::fs::read_to_string(root().join("fixtures/techstock.cards.tsv")).expect("tsv");
    let expected: Vec<(String, String, String)> = tsv
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let mut cols = l.split('\t');
            let mut next = || cols.next().unwrap_or_default().to_string();
            (next(), next(), next())
        })
        .collect();
    assert_eq!(expected.len(), 108);
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g, e, "card {i} differs");
    }
    assert_eq!(got.len(), expected.len());
}

#[test]
fn seed_warns_once_for_the_empty_term_and_once_per_remote_image() {
    let out = run(&root(), &["cards", "notes/techstock.md"]);
    let err = stderr(&out);
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains(": warning[")).collect();
    let others: Vec<&&str> = warnings
        .iter()
        .filter(|l| !l.contains("warning[remote-image]"))
        .collect();
    assert_eq!(others.len(), 1, "{err}");
    assert!(
        others[0].starts_with("notes/techstock.md:252:")
            && others[0].contains("warning[empty-definition]")
            && others[0].contains("一時セキュリティトークン (SessionToken)"),
        "{err}"
    );
    let remote: Vec<usize> = warnings
        .iter()
        .filter(|l| l.contains("warning[remote-image]"))
        .map(|l| {
            l.split(':')
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        })
        .collect();
    assert_eq!(remote, vec![24, 25, 88, 89, 90, 91, 94, 96, 99], "{err}");
}

#[test]
fn seed_cards_carry_deck_tags_and_unique_guids() {
    let out = run(&root(), &["cards", "notes/techstock.md"]);
    let cards = cards_json(&out);
    let mut guids: Vec<&str> = cards.iter().filter_map(|c| c["guid"].as_str()).collect();
    guids.sort_unstable();
    guids.dedup();
    assert_eq!(guids.len(), 108);
    assert!(cards.iter().all(|c| c["deck"] == "Techstock"));
    assert_eq!(cards[0]["tags"], serde_json::json!(["Techstock"]));
    let line_105 = cards
        .iter()
        .find(|c| c["location"] == "notes/techstock.md:105")
        .expect("card at 105");
    assert_eq!(line_105["tags"], serde_json::json!(["Techstock::03"]));
    // The floating screenshots under ## 02 join the card just before them.
    let line_86 = cards
        .iter()
        .find(|c| c["location"] == "notes/techstock.md:86")
        .expect("card at 86");
    assert_eq!(
        line_86["definition"]
            .as_str()
            .unwrap_or_default()
            .matches("<img ")
            .count(),
        4
    );
}
