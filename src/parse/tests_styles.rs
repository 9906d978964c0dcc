//! The styles beyond `term: definition` items (docs/notes-format.md, Styles).

use super::*;
use crate::settings::Style;

fn with(md: &str, styles: &[Style]) -> Vec<Card> {
    let mut meta = FileMeta::plain("t", Path::new("notes"));
    meta.settings.apply(Some(styles), None, None);
    parse(&Source::new("notes/t.md", md), &meta).cards
}

/// (line, term, definition) of every card.
fn made(md: &str, styles: &[Style]) -> Vec<(usize, String, String)> {
    let cards = with(md, styles);
    cards
        .into_iter()
        .map(|c| (c.location.line, c.term_text, c.definition_html))
        .collect()
}

#[test]
fn a_question_with_a_checked_option_is_a_card_and_its_options_are_none() {
    let md = "1. Which is unsupervised?\n   - [ ] Regression\n   - [x] Clustering\n     - > It groups.\n";
    let cards = with(md, &[]);
    assert_eq!(cards.len(), 1);
    let card = &cards[0];
    assert_eq!(card.term_text, "Which is unsupervised?");
    assert_eq!(
        card.options_html,
        "<ul class=\"n2a-options\"><li>Regression</li><li>Clustering</li></ul>"
    );
    assert!(
        card.definition_html.starts_with("Clustering\n<ul>"),
        "{}",
        card.definition_html
    );
    assert!(card.definition_html.contains("It groups."));
}

#[test]
fn options_may_follow_the_question_after_its_code() {
    let md = "1. How many layers?\n\n```py\nmodel = M()\n```\n\n- [ ] 2\n- [x] 3\n\n2. Next?\n   - [x] Yes\n";
    let cards = with(md, &[]);
    let terms: Vec<&str> = cards.iter().map(|c| c.term_text.as_str()).collect();
    assert_eq!(terms, ["How many layers?", "Next?"]);
    assert!(
        cards[0].options_html.starts_with("<pre><code"),
        "{}",
        cards[0].options_html
    );
    assert_eq!(cards[0].definition_html, "3");
}

#[test]
fn an_answer_item_answers_a_question_and_unanswered_ones_are_context() {
    let md = "- What does DNS do?\n  - Answer: names to addresses\n  - Over UDP.\n- What is unanswered?\n  - Notes only.\n";
    let cards = with(md, &[]);
    assert_eq!(cards.len(), 1);
    assert_eq!(cards[0].term_text, "What does DNS do?");
    assert!(cards[0]
        .definition_html
        .starts_with("names to addresses\n<ul>"));
    assert!(cards[0].definition_html.contains("Over UDP."));
    // With quiz off (no settings turn it off: the default is on), the question is context.
    let md = "- A numbered list\n  - [x] done\n";
    assert!(
        with(md, &[]).is_empty(),
        "a bullet that is no question makes no quiz card"
    );
}

#[test]
fn two_answers_are_a_list() {
    let md = "1. Which are supervised? (Choose two)\n   - [x] A one\n   - [x] B two\n   - [ ] C\n";
    assert_eq!(
        made(md, &[])[0].2,
        "<ul><li>A one</li>\n<li>B two</li></ul>"
    );
}

#[test]
fn a_heading_and_its_content_are_a_card_with_headings_on() {
    let md = "# Glossary\n\n## Redshift\n\nA data warehouse.\n\n## S3\n\nObject storage.\n\n- Buckets.\n\n## Compute\n\n### EC2\n\nServers.\n";
    assert_eq!(
        made(md, &[Style::Headings]),
        [
            (3, "Redshift".to_string(), "A data warehouse.".to_string()),
            (
                7,
                "S3".to_string(),
                "<p>Object storage.</p>\n<ul>\n<li>Buckets.</li>\n</ul>".to_string()
            ),
            (15, "EC2".to_string(), "Servers.".to_string()),
        ]
    );
    // Off by default; a question heading is a card anyway (quiz).
    assert!(with(md, &[]).is_empty());
    let quiz = made("## Is TCP reliable?\n\nYes.\n", &[]);
    assert_eq!(
        quiz,
        [(1, "Is TCP reliable?".to_string(), "Yes.".to_string())]
    );
}

#[test]
fn a_heading_that_holds_cards_is_defined_by_its_opening_prose() {
    let md = "## Databases\n\nManaged databases.\n\n- **DynamoDB**: key-value\n\n## Compute\n\n- **EC2**: servers\n\n#### Use cases:\n\nMany.\n";
    let rows = made(md, &[Style::Headings]);
    let terms: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    // `Databases` first (it comes first in the notes), then its card; `Compute` has
    // only a card list under it, which defines it; `Use cases:` introduces what follows.
    assert_eq!(terms, ["Databases", "DynamoDB", "Compute", "EC2"]);
    assert_eq!(rows[0].2, "Managed databases.");
    // The heading card's context is what is above the heading, not the heading itself.
    let cards = with(md, &[Style::Headings]);
    assert!(cards[0].sections.is_empty());
    assert_eq!(&*cards[1].sections, ["Databases".to_string()]);
}

#[test]
fn table_rows_with_their_own_first_cell_are_cards() {
    let md = "| Service | Kind | Use |\n|---|---|---|\n| S3 | Storage | Objects |\n| EC2 | Compute | VMs |\n| EC2 | Compute | again |\n\n| 項目 | A | B |\n|---|---|---|\n| Cost | low | high |\n";
    assert_eq!(
        made(md, &[Style::Tables]),
        [(
            3,
            "S3".to_string(),
            "<b>Kind</b>: Storage\n<br><b>Use</b>: Objects".to_string()
        )]
    );
    assert!(with(md, &[]).is_empty());
}

#[test]
fn an_outline_item_is_a_card_of_its_nested_content() {
    let md = "- Amazon Kinesis Data Firehose\n  - Delivers streams to S3\n  - **Buffer**: up to 128 MiB\n- Alone, with nothing nested\n";
    let rows = made(md, &[Style::Outline]);
    let terms: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(terms, ["Amazon Kinesis Data Firehose", "Buffer"]);
    assert!(rows[0]
        .2
        .starts_with("<ul>\n<li>Delivers streams to S3</li>"));
    let cards = with(md, &[Style::Outline]);
    assert_eq!(cards[1].context, ["Amazon Kinesis Data Firehose"]);
    assert_eq!(with(md, &[]).len(), 1, "off: only the nested pair");
}

#[test]
fn dashes_after_a_bold_or_code_term_everywhere_and_after_any_term_with_dashes_on() {
    let md = "- **Term** – a definition\n- `cmd` - runs it\n- **Dot**. after a period\n- Plain - a definition\n- HTTP → the web's protocol\n- Ctrl-C — copy\n- **Key**: colon first: yes\n";
    let off: Vec<String> = made(md, &[]).into_iter().map(|r| r.1).collect();
    assert_eq!(off, ["Term", "cmd", "Dot", "Key"]);
    let on = made(md, &[Style::Dashes]);
    let terms: Vec<&str> = on.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(
        terms,
        ["Term", "cmd", "Dot", "Plain", "HTTP", "Ctrl-C", "Key"]
    );
    assert_eq!(on[5].2, "copy");
    assert_eq!(on[6].2, "colon first: yes");
}
