//! One test per rule of docs/notes-format.md, on small notes of our own.

use super::*;
use crate::corpus::FRAGMENTS;
use crate::settings::Style;

fn cards(md: &str) -> Vec<Card> {
    parse(
        &Source::new("notes/t.md", md),
        &FileMeta::plain("t", Path::new("notes")),
    )
    .cards
}

fn parsed(md: &str) -> Parsed {
    parse(
        &Source::new("notes/t.md", md),
        &FileMeta::plain("t", Path::new("notes")),
    )
}

/// (line, term, context) of every card.
fn rows(md: &str) -> Vec<(usize, String, String)> {
    cards(md)
        .into_iter()
        .map(|c| (c.location.line, c.term_text.clone(), c.context_text()))
        .collect()
}

fn terms(md: &str) -> Vec<String> {
    cards(md).into_iter().map(|c| c.term_text).collect()
}

fn codes(p: &Parsed) -> Vec<(usize, &'static str)> {
    p.diagnostics.iter().map(|d| (d.line, d.code)).collect()
}

#[test]
fn deck_is_the_first_h1_or_the_file_stem() {
    assert_eq!(cards("# My Deck\n\n- ab: b\n")[0].deck.as_ref(), "My Deck");
    assert_eq!(cards("- ab: b\n")[0].deck.as_ref(), "t");
    assert_eq!(
        cards("## Sec\n\n# Late Title\n\n- ab: b\n")[0]
            .deck
            .as_ref(),
        "Late Title"
    );
}

#[test]
fn sections_nest_by_level_and_later_h1_is_a_section() {
    let md = "# D\n\n- top: x\n\n## A\n\n### B\n\n- ab: x\n\n## C\n\n- cc: x\n\n# E\n\n- ee: x\n";
    let got: Vec<Vec<String>> = cards(md).into_iter().map(|c| c.sections.to_vec()).collect();
    assert_eq!(
        got,
        vec![
            vec![],
            vec!["A".to_string(), "B".to_string()],
            vec!["C".to_string()],
            vec!["E".to_string()],
        ]
    );
}

#[test]
fn every_bullet_marker_and_ordered_lists() {
    assert_eq!(
        terms("- aa: 1\n\n* bb: 2\n\n+ cc: 3\n\n1. dd: 4\n2) ee: 5\n"),
        vec!["aa", "bb", "cc", "dd", "ee"]
    );
}

#[test]
fn tab_indents_nest() {
    assert_eq!(
        rows("- parent: p\n\t- child: c\n"),
        vec![
            (1, "parent".into(), "".into()),
            (2, "child".into(), "parent".into())
        ]
    );
}

#[test]
fn bom_and_crlf() {
    let got = rows("\u{feff}# D\r\n\r\n- aa: b\r\n  - cc: d\r\n");
    assert_eq!(
        got,
        vec![(3, "aa".into(), "".into()), (4, "cc".into(), "aa".into())]
    );
    assert_eq!(
        cards("\u{feff}# D\r\n\r\n- aa: b\r\n")[0].deck.as_ref(),
        "D"
    );
}

#[test]
fn separator_skips_code_links_urls_and_arns() {
    assert_eq!(terms("- `a:b` in code\n"), Vec::<String>::new());
    assert_eq!(terms("- [x:y](http://a) link\n"), Vec::<String>::new());
    assert_eq!(terms("- go to https://a.b/c now\n"), Vec::<String>::new());
    assert_eq!(
        terms("- arn:aws:iam::1:role/x is a role\n"),
        Vec::<String>::new()
    );
    assert_eq!(terms("- at 15:30 we meet\n"), Vec::<String>::new());
    assert_eq!(terms("- `std::fs`: the module\n"), vec!["std::fs"]);
    assert_eq!(
        terms("- Role ARN: arn:aws:iam::1:role/x\n"),
        vec!["Role ARN"]
    );
    assert_eq!(
        terms("- [S3](https://aws.amazon.com/s3/): storage\n"),
        vec!["S3"]
    );
}

#[test]
fn bold_term_with_the_colon_inside() {
    let c = &cards("- **Term:** the definition\n")[0];
    assert_eq!(c.term_text, "Term");
    assert_eq!(c.term_html, "Term");
    assert_eq!(c.definition_html, "the definition");
    let c = &cards("- **Term**: the definition\n")[0];
    assert_eq!(c.term_html, "<strong>Term</strong>");
}

#[test]
fn question_terms_and_sentences() {
    assert_eq!(terms("- Why S3?: because\n"), vec!["Why S3?"]);
    assert_eq!(terms("- It is. Then this: no\n"), Vec::<String>::new());
    assert_eq!(terms("- : no term\n"), Vec::<String>::new());
    assert_eq!(terms("- 提供します。例えば: no\n"), Vec::<String>::new());
}

#[test]
fn full_width_space_is_trimmed_and_inline_markdown_kept() {
    let c = &cards("- **S3**：\u{3000}*object* `storage`\u{3000}\n")[0];
    assert_eq!(c.term_html, "<strong>S3</strong>");
    assert_eq!(c.term_text, "S3");
    assert_eq!(c.definition_html, "<em>object</em> <code>storage</code>");
}

#[test]
fn definition_takes_nested_content_and_keeps_nested_cards() {
    let md = "- Term:\n  - child: c\n  - plain\n\n    ```sh\n    ls -l\n    ```\n";
    let all = cards(md);
    assert_eq!(all.len(), 2);
    let def = &all[0].definition_html;
    assert!(def.contains("child: c"), "{def}");
    // The code block, highlighted (shell is a language syntect knows).
    assert!(def.contains("<pre><code class=\"language-sh\">"), "{def}");
    assert!(
        crate::parse::text_outside_tags(def).contains("ls -l\n"),
        "{def}"
    );
    assert_eq!(all[1].context, vec!["Term".to_string()]);
}

#[test]
fn first_paragraph_then_nested_content() {
    let c = &cards("- Term: first\n\n  second paragraph\n")[0];
    assert_eq!(c.definition_html, "first\n<p>second paragraph</p>");
}

#[test]
fn context_of_prose_parents_is_cut_to_40_characters() {
    let long = "これは四十文字より長い説明の段落で、カードではない親の項目として使われます。そして続きます";
    let md = format!("- {long}\n  - child: c\n- Short prose:\n  - not a card\n");
    let got = rows(&md);
    let expected: String = long.chars().take(40).collect::<String>() + "…";
    // `Short prose:` with nested content is a card whose definition is that content.
    assert_eq!(
        got,
        vec![
            (2, "child".into(), expected),
            (3, "Short prose".into(), "".into())
        ]
    );
    assert_eq!(prose_label("AWS Storage Gateway。"), "AWS Storage Gateway");
}

#[test]
fn empty_definition_warns_and_makes_no_card() {
    let p = parsed("- Lonely:\n- Fine: yes\n");
    assert_eq!(p.cards.len(), 1);
    assert_eq!(codes(&p), vec![(1, "empty-definition")]);
}

#[test]
fn definition_lists_are_cards() {
    let md = "Apple\n: a fruit\n\nPear\n: another fruit\n: and a second meaning\n";
    let all = cards(md);
    assert_eq!(
        all.iter().map(|c| c.term_text.as_str()).collect::<Vec<_>>(),
        vec!["Apple", "Pear"]
    );
    assert_eq!(all[0].definition_html, "a fruit");
    assert!(all[1].definition_html.contains("and a second meaning"));
    assert_eq!(all[1].location.line, 4);
}

#[test]
fn skip_leaves_out_the_item_and_everything_under_it() {
    let md =
        "- Keep: yes\n  - Gone: no <!-- anki: skip -->\n    - Also gone: no\n- Kept too: yes\n";
    let all = cards(md);
    assert_eq!(
        all.iter().map(|c| c.term_text.as_str()).collect::<Vec<_>>(),
        vec!["Keep", "Kept too"]
    );
    assert!(!all[0].definition_html.contains("Gone"));
}

#[test]
fn reverse_and_id_comments() {
    let c = &cards("- Term: def <!-- anki: reverse -->\n")[0];
    assert!(c.reverse);
    assert_eq!(c.definition_html, "def");
    let c = &cards("- Term: def <!-- anki: id=my-card -->\n")[0];
    assert_eq!(c.pinned_id.as_deref(), Some("my-card"));
    let p = parsed("- Term: def <!-- anki: frobnicate -->\n");
    assert_eq!(codes(&p), vec![(1, "unknown-directive")]);
}

#[test]
fn math_becomes_mathjax() {
    let c = &cards("- Euler: $e^{i\\pi} + 1 = 0$ and\n\n  $$a<b$$\n")[0];
    assert!(
        c.definition_html.starts_with("\\(e^{i\\pi} + 1 = 0\\) and"),
        "{}",
        c.definition_html
    );
    assert!(
        c.definition_html.contains("\\[a&lt;b\\]"),
        "{}",
        c.definition_html
    );
}

#[test]
fn tables_and_strikethrough_render() {
    let md = "- Table:\n\n  | a | b |\n  |---|---|\n  | 1 | ~~2~~ |\n";
    let c = &cards(md)[0];
    assert!(
        c.definition_html.contains("<table>"),
        "{}",
        c.definition_html
    );
    assert!(
        c.definition_html.contains("<del>2</del>"),
        "{}",
        c.definition_html
    );
}

#[test]
fn images_become_placeholders_with_attributes_kept() {
    let md =
        "- Shot: see ![my alt](img/a%20b.png \"t\")\n  - <img width=\"80\" src=\"画像.png\">\n";
    let c = &cards(md)[0];
    assert_eq!(
        c.images.iter().map(|i| i.src.as_str()).collect::<Vec<_>>(),
        vec!["img/a%20b.png", "画像.png"]
    );
    assert!(c.definition_html.contains(&format!(
        "<img src=\"{}\" alt=\"my alt\" title=\"t\">",
        image_placeholder(0)
    )));
    assert!(c.definition_html.contains(&format!(
        "<img width=\"80\" src=\"{}\">",
        image_placeholder(1)
    )));
}

#[test]
fn image_paragraph_after_a_list_joins_the_card_before_it() {
    let md = "## S\n\n- First: a\n- Second: b\n\n![x](a.png)\n![y](b.png)\n\n## T\n\n![z](c.png)\n";
    let p = parsed(md);
    assert_eq!(p.cards[1].images.len(), 2);
    assert!(p.cards[0].images.is_empty());
    // The image under `## T` has no card before it in its section.
    assert_eq!(codes(&p), vec![(11, "unused-image")]);
}

#[test]
fn images_in_prose_warn() {
    let p = parsed("Some text ![a](a.png) here.\n\n- prose item ![b](b.png)\n");
    assert_eq!(codes(&p), vec![(1, "unused-image"), (3, "unused-image")]);
}

#[test]
fn prose_is_not_an_error() {
    let p = parsed("# D\n\nJust a paragraph: with a colon.\n\n- a prose item\n\n> quote\n");
    assert!(p.cards.is_empty());
    assert!(p.diagnostics.is_empty());
}

#[test]
fn nested_cards_deep_context_chain() {
    let md = "- AA: a\n  - BB: b\n    - CC: c\n";
    assert_eq!(
        rows(md),
        vec![
            (1, "AA".into(), "".into()),
            (2, "BB".into(), "AA".into()),
            (3, "CC".into(), "AA › BB".into())
        ]
    );
}

/// Never a panic: thousands of notes stitched at random from awkward fragments.
#[test]
fn random_notes_never_panic() {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    // Every style on in every other note.
    let mut every_style = FileMeta::plain("r", Path::new(""));
    let all = [
        Style::Outline,
        Style::Headings,
        Style::Tables,
        Style::Dashes,
    ];
    every_style.settings.apply(Some(&all), None, None);
    for n in 0..3000 {
        let len = (next() % 60) as usize;
        let md: String = (0..len)
            .map(|_| FRAGMENTS[(next() % FRAGMENTS.len() as u64) as usize])
            .collect();
        let meta = if n % 2 == 0 {
            FileMeta::plain("r", Path::new(""))
        } else {
            every_style.clone()
        };
        let parsed = parse(&Source::new("r.md", md.clone()), &meta);
        for card in &parsed.cards {
            assert!(!card.term_text.is_empty(), "{md:?}");
            assert!(card.location.line >= 1, "{md:?}");
        }
    }
}

#[test]
fn img_tags_spanning_lines_in_an_html_block() {
    let md = "- Item: x\n\n  <p align=\"center\"><img\n    src=\"img/c.png\" width=\"50\"></p>\n- Item2: y\n\n  <p>\n  <img src=\"img/a.png\"\n       width=\"50\">\n  </p>\n";
    let p = parsed(md);
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let first = &p.cards[0];
    assert_eq!(first.images.len(), 1);
    assert_eq!(first.images[0].src, "img/c.png");
    assert_eq!(first.images[0].location.line, 3);
    assert!(first.definition_html.contains(&format!(
        "<img src=\"{}\" width=\"50\">",
        image_placeholder(0)
    )));
    let second = &p.cards[1];
    assert_eq!(second.images[0].location.line, 8);
    assert_eq!(second.images[0].src, "img/a.png");
    // The whole tag is rewritten: no stray `width="50">` left behind it.
    assert_eq!(
        second.definition_html.matches("width=").count(),
        1,
        "{}",
        second.definition_html
    );
}

#[test]
fn a_top_level_html_image_block_floats_to_the_card_before_it() {
    let md = "- Card: a\n\n<p>\n<img src=\"a.png\"\n  width=\"3\">\n</p>\n\n## S\n\n<img\n src=\"b.png\">\n";
    let p = parsed(md);
    assert_eq!(p.cards[0].images.len(), 1);
    assert_eq!(codes(&p), vec![(10, "unused-image")]);
}

#[test]
fn floating_images_after_a_definition_list_join_its_last_card() {
    let md = "- List card: a\n\nDeflist card\n: b\n\n![img](a.png)\n";
    let all = cards(md);
    assert!(all[0].images.is_empty());
    assert_eq!(all[1].images.len(), 1);
}

#[test]
fn skip_on_a_definition_list_term() {
    let md = "Skipped term <!-- anki: skip -->\n: should be skipped\n: and this\n\nKept\n: yes\n";
    assert_eq!(terms(md), vec!["Kept"]);
}

#[test]
fn skipping_every_child_leaves_no_empty_list() {
    let p = parsed(
        "- Term:\n  - hidden: z <!-- anki: skip -->\n- Parent: p\n  - gone <!-- anki: skip -->\n",
    );
    assert_eq!(codes(&p), vec![(1, "empty-definition")]);
    assert_eq!(p.cards.len(), 1);
    assert_eq!(p.cards[0].definition_html, "p");
}

#[test]
fn sections_before_the_deck_heading_end_there() {
    let c = &cards("## Intro\n\n- Early: a\n\n# Deck\n\n- Late: b\n")[1];
    assert_eq!(c.deck.as_ref(), "Deck");
    assert!(c.sections.is_empty());
}

#[test]
fn front_matter_is_not_a_heading() {
    let p = parsed("---\ntitle: x\ntags: [a]\n---\n\n# Deck\n\n- Ab: b\n");
    assert_eq!(p.cards.len(), 1);
    assert!(p.cards[0].sections.is_empty());
    assert_eq!(p.cards[0].deck.as_ref(), "Deck");
}

#[test]
fn thousands_of_levels_of_nesting_warn_instead_of_overflowing() {
    let quotes = format!("{} - a: b\n", ">".repeat(20_000));
    let p = parsed(&quotes);
    assert!(codes(&p).contains(&(1, "too-deep")), "{:?}", codes(&p));
    let lists = format!("{}a: b\n", "- ".repeat(5_000));
    let p = parsed(&lists);
    assert!(codes(&p).contains(&(1, "too-deep")));
    let mut nested = String::new();
    for depth in 0..500 {
        nested.push_str(&"  ".repeat(depth));
        nested.push_str(&format!("- t{depth}: d\n"));
    }
    let p = parsed(&nested);
    assert!(p.cards.len() >= 50, "{}", p.cards.len());
    assert_eq!(
        codes(&p).iter().filter(|(_, c)| *c == "too-deep").count(),
        1
    );
}

#[test]
fn comments_never_indent_what_follows_and_positions_stay_true() {
    let p = parsed("- %%draft%% Key: def\n\nPara %%note%% ![](gone.png)\n");
    assert_eq!(
        p.cards
            .iter()
            .map(|c| c.term_text.as_str())
            .collect::<Vec<_>>(),
        vec!["Key"]
    );
    let unused = &p.diagnostics[0];
    assert_eq!(
        (unused.code, unused.line, unused.col),
        ("unused-image", 3, 15)
    );
}

#[test]
fn a_highlight_across_the_separator_stays_well_formed() {
    let c = &cards("- ==Term: def== more\n- ==Key==: value\n");
    assert_eq!(
        (c[0].term_html.as_str(), c[0].definition_html.as_str()),
        ("Term", "def more")
    );
    assert_eq!(c[1].term_html, "<mark>Key</mark>");
}

#[test]
fn a_skipped_heading_in_a_quote_ends_with_the_quote() {
    assert_eq!(
        terms("> ## Quoted <!-- anki: skip -->\n> - Hidden: c\n\n- Kept: d\n"),
        vec!["Kept"]
    );
}

#[test]
fn short_terms_in_code_or_math_are_terms() {
    assert_eq!(
        terms("- $m$: number of training examples\n- `x`: the input\n- A: an option\n"),
        vec!["m", "x"]
    );
}
