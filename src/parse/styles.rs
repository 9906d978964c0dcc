//! The styles beyond `term: definition` items (docs/notes-format.md, Styles): quiz
//! questions (on by default), headings, tables and outlines (on where the settings say).

use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, Tag, TagEnd};

use super::directive::Directives;
use super::first_paragraph;
use super::render::{matching_end, plain_text};
use super::separator::{split, Spanned};
use super::walk::{Made, Walker};
use crate::identity::normalize;
use crate::settings::Style;

/// Labels of an answer item under a question (`- Answer: B`, `- 正解：イ`).
const ANSWER_LABELS: [&str; 4] = ["answer", "正解", "答え", "解答"];

fn is_question(text: &str) -> bool {
    text.trim_end().ends_with(['?', '？'])
}

/// Whether an item's first paragraph starts with a task checkbox, and whether it is checked.
fn task_mark(events: &[Spanned<'_>], item: usize) -> Option<bool> {
    let first = if matches!(
        events.get(item + 1),
        Some((Event::Start(Tag::Paragraph), _))
    ) {
        item + 2
    } else {
        item + 1
    };
    match events.get(first) {
        Some((Event::TaskListMarker(checked), _)) => Some(*checked),
        _ => None,
    }
}

/// The items of the list starting at `list` (start indexes).
fn items(events: &[Spanned<'_>], list: usize) -> Vec<usize> {
    let end = matching_end(events, list);
    let mut out = Vec::new();
    let mut i = list + 1;
    while i < end {
        if matches!(events[i].0, Event::Start(Tag::Item)) {
            out.push(i);
        }
        i = matching_end(events, i) + 1;
    }
    out
}

/// Whether the list at `list` is a list of options: every item a task item.
fn is_options(events: &[Spanned<'_>], list: usize) -> bool {
    let items = items(events, list);
    !items.is_empty() && items.iter().all(|&i| task_mark(events, i).is_some())
}

/// A question's options and answer, as found under (or right after) it.
struct Answers {
    /// The list of options, if any.
    options: Option<usize>,
    /// An `Answer:` item under the question.
    answer_item: Option<usize>,
}

impl<'a> Walker<'a> {
    /// A quiz card from the item at `start` if it is a question with its answer marked.
    /// `following` is the list right after this item's list, when the item is its last.
    /// Returns whether that following list was the question's options (and so is used).
    pub(super) fn quiz_item(
        &mut self,
        (start, end): (usize, usize),
        context: &[String],
        top: bool,
        ordered: bool,
        following: Option<(usize, usize)>,
    ) -> Option<bool> {
        if !self.settings.has(Style::Quiz) {
            return None;
        }
        let events = self.events;
        let (first, rest) = first_paragraph(events, start, end);
        // Most items are no question: their answers are looked for first (a scan of
        // what is nested), their text only then.
        let mut answers = self.answers_under(rest, end);
        let mut between = None;
        if answers.options.is_none() && answers.answer_item.is_none() {
            if let Some((from, list)) = following.filter(|&(_, l)| is_options(events, l)) {
                answers.options = Some(list);
                between = Some(from..list);
            }
        }
        let checked = self.checked_options(answers.options);
        if checked.is_empty() && answers.answer_item.is_none() {
            return None;
        }
        let uses_following = between.is_some();
        let directives = Directives::find(&events[first.clone()]);
        let mut question = directives.strip(&events[first]);
        question.retain(|(e, _)| !matches!(e, Event::TaskListMarker(_)));
        let text = normalize(&plain_text(&question));
        if text.is_empty() || !(is_question(&text) || ordered) {
            return None;
        }
        let definition = self.answer_parts(&checked, answers.answer_item, rest, end);
        let refs: Vec<&[Spanned<'_>]> = definition.iter().map(Vec::as_slice).collect();
        let made = Made {
            offset: self.block_start(events[start].1.start),
            top,
            directives: &directives,
            term_text: &text,
        };
        let before = self.parsed.cards.len();
        self.card(made, context, &question, &refs);
        if self.parsed.cards.len() > before {
            self.put_options(before, between.unwrap_or_default(), answers.options);
        }
        Some(uses_following)
    }

    /// The options list and `Answer:` item directly under a question.
    fn answers_under(&self, rest: usize, end: usize) -> Answers {
        let events = self.events;
        let mut found = Answers {
            options: None,
            answer_item: None,
        };
        let mut i = rest;
        while i < end {
            let block_end = matching_end(events, i);
            if matches!(events[i].0, Event::Start(Tag::List(_))) {
                if found.options.is_none() && is_options(events, i) {
                    found.options = Some(i);
                } else if found.answer_item.is_none() {
                    found.answer_item = items(events, i)
                        .into_iter()
                        .find(|&item| self.is_answer_item(item));
                }
            }
            i = block_end + 1;
        }
        found
    }

    /// Whether an item starts with `Answer` (or `正解`, `答え`, `解答`): its first text.
    fn is_answer_item(&self, item: usize) -> bool {
        let end = matching_end(self.events, item);
        let (first, _) = first_paragraph(self.events, item, end);
        let text = self.events[first].iter().find_map(|(e, _)| match e {
            Event::Text(t) => Some(t.trim_start().to_lowercase()),
            _ => None,
        });
        text.is_some_and(|t| ANSWER_LABELS.iter().any(|label| t.starts_with(label)))
    }

    /// The checked options' items.
    fn checked_options(&self, options: Option<usize>) -> Vec<usize> {
        let Some(list) = options else {
            return Vec::new();
        };
        let items = items(self.events, list).into_iter();
        items
            .filter(|&i| task_mark(self.events, i) == Some(true))
            .collect()
    }

    /// The back of a quiz card: each checked option (without its box) and what is under
    /// it, the `Answer:` item's text and what is under it, and any other explanation
    /// under the question.
    fn answer_parts(
        &self,
        checked: &[usize],
        answer_item: Option<usize>,
        rest: usize,
        end: usize,
    ) -> Vec<Vec<Spanned<'a>>> {
        let events = self.events;
        let answers: Vec<usize> = checked.iter().chain(answer_item.iter()).copied().collect();
        // Two answers or more are a list; one is shown as it is.
        let listed = answers.len() > 1;
        let html = |text: &'static str, at: usize| (Event::InlineHtml(text.into()), at..at);
        let mut parts = Vec::new();
        for &item in &answers {
            let item_end = matching_end(events, item);
            let (first, nested) = first_paragraph(events, item, item_end);
            let mut part: Vec<Spanned<'a>> = Vec::new();
            if listed {
                part.push(html(if parts.is_empty() { "<ul><li>" } else { "<li>" }, 0));
            }
            let mut text: Vec<Spanned<'a>> = events[first].to_vec();
            text.retain(|(e, _)| !matches!(e, Event::TaskListMarker(_)));
            if Some(item) == answer_item {
                text = split(&text).map_or(text, |s| s.definition);
            }
            part.extend(text);
            part.extend_from_slice(&events[nested..item_end]);
            if listed {
                let last = parts.len() + 1 == answers.len();
                part.push(html(if last { "</li></ul>" } else { "</li>" }, 0));
            }
            parts.push(part);
        }
        parts.extend(self.explanation(rest, end, answer_item));
        parts
    }

    /// What is under a question besides its options and its answer: the blocks, and the
    /// other items of the answer's list.
    fn explanation(
        &self,
        rest: usize,
        end: usize,
        answer_item: Option<usize>,
    ) -> Vec<Vec<Spanned<'a>>> {
        let events = self.events;
        let mut parts = Vec::new();
        let mut i = rest;
        while i < end {
            let block_end = matching_end(events, i);
            let is_list = matches!(events[i].0, Event::Start(Tag::List(_)));
            if is_list && is_options(events, i) {
                // the options: on the front
            } else if is_list && answer_item.is_some_and(|a| a > i && a < block_end) {
                let others: Vec<usize> = items(events, i)
                    .into_iter()
                    .filter(|&item| Some(item) != answer_item)
                    .collect();
                if !others.is_empty() {
                    let mut list = vec![events[i].clone()];
                    for item in others {
                        list.extend_from_slice(&events[item..=matching_end(events, item)]);
                    }
                    list.push(events[block_end].clone());
                    parts.push(list);
                }
            } else {
                parts.push(events[i..=block_end].to_vec());
            }
            i = block_end + 1;
        }
        parts
    }

    /// Renders a question's options below it on the front, after what stands between
    /// the question and them (`between`: its code or picture).
    fn put_options(&mut self, card: usize, between: Range<usize>, options: Option<usize>) {
        let Some(list) = options else {
            return;
        };
        let mut images = std::mem::take(&mut self.parsed.cards[card].images);
        let mut html = self.render(&self.events[between], &mut images);
        html.push_str("<ul class=\"n2a-options\">");
        for item in items(self.events, list) {
            let item_end = matching_end(self.events, item);
            let (first, _) = first_paragraph(self.events, item, item_end);
            let mut text = self.events[first].to_vec();
            text.retain(|(e, _)| !matches!(e, Event::TaskListMarker(_)));
            html.push_str("<li>");
            html.push_str(self.render(&text, &mut images).trim());
            html.push_str("</li>");
        }
        html.push_str("</ul>");
        let card = &mut self.parsed.cards[card];
        card.images = images;
        card.options_html = html;
    }

    /// A heading and its section (to `limit` at most). With `headings` on (or, for a
    /// question, `quiz`), a heading whose section makes no cards is a card itself: its
    /// text the term, the section the definition. Returns where the walk goes on.
    pub(super) fn heading_section(
        &mut self,
        (start, end): (usize, usize),
        level: HeadingLevel,
        limit: usize,
        context: &[String],
    ) -> usize {
        let parent = (self.section_names.clone(), self.place.clone());
        // The deck's heading, or the file's first `#` heading (its title), is no card.
        let is_deck = Some(start) == self.deck_heading || Some(start) == self.title_heading;
        self.heading(start, end, level);
        let heading = &self.events[start + 1..end];
        let text = normalize(&plain_text(heading));
        let style = self.settings.has(Style::Headings)
            || (self.settings.has(Style::Quiz) && is_question(&text));
        // A heading ending in a colon (`#### Use Cases:`) introduces what follows; one
        // like `## Overview` names a part of the note.
        let label = text.ends_with([':', '：']) || is_part_of_a_note(&text);
        if is_deck || !style || text.is_empty() || label {
            return end + 1;
        }
        let section_end = section_end(self.events, end + 1, level, limit);
        let before = self.parsed.cards.len();
        self.blocks_inner(end + 1..section_end, context, true);
        // A section that makes cards of its own is defined by its opening paragraphs, if
        // any; one that makes none by all it holds.
        let content = if self.parsed.cards.len() == before {
            end + 1..section_end
        } else {
            end + 1..lead_paragraphs(self.events, end + 1, section_end)
        };
        if !content.is_empty() {
            let sections = SectionsAbove(parent.0, parent.1);
            self.heading_card((start, end), &text, sections, context, content, before);
        }
        section_end
    }

    /// The card of a heading: its sections are those above it (`parent`), and it comes
    /// before the cards its section holds (at `at`).
    fn heading_card(
        &mut self,
        (start, end): (usize, usize),
        text: &str,
        parent: SectionsAbove,
        context: &[String],
        content: Range<usize>,
        at: usize,
    ) {
        let heading = &self.events[start + 1..end];
        let directives = Directives::find(heading);
        let term = directives.strip(heading);
        let made = Made {
            offset: self.events[start].1.start,
            top: false,
            directives: &directives,
            term_text: text,
        };
        let own = (
            std::mem::replace(&mut self.section_names, parent.0),
            std::mem::replace(&mut self.place, parent.1),
        );
        let before = self.parsed.cards.len();
        let definition = sole_paragraph(self.events, content);
        self.card(made, context, &term, &[definition]);
        if self.parsed.cards.len() > before {
            let card = self.parsed.cards.remove(before);
            self.parsed.cards.insert(at, card);
        }
        (self.section_names, self.place) = own;
    }

    /// With `tables` on: each body row of a table whose first cell is its own (no other
    /// row has it) is a card: term the first cell, definition the other cells, each after
    /// its column's header.
    pub(super) fn table(&mut self, start: usize, end: usize, context: &[String]) {
        let rows = table_rows(self.events, start, end);
        let Some((header, body)) = rows.split_first() else {
            return;
        };
        let corner = header
            .first()
            .map_or(String::new(), |c| self.cell_text(c.clone()));
        if is_attribute_header(&corner) {
            return; // a comparison: its first column names attributes, not terms
        }
        let firsts: Vec<String> = body
            .iter()
            .map(|row| {
                row.first()
                    .map_or(String::new(), |c| self.cell_text(c.clone()))
            })
            .collect();
        for (row, first) in body.iter().zip(&firsts) {
            if first.is_empty() || firsts.iter().filter(|f| *f == first).count() > 1 {
                continue;
            }
            self.table_row(header, row, first, context);
        }
    }

    fn cell_text(&self, cell: Range<usize>) -> String {
        normalize(&plain_text(&self.events[cell]))
    }

    fn table_row(
        &mut self,
        header: &[Range<usize>],
        row: &[Range<usize>],
        term_text: &str,
        context: &[String],
    ) {
        let events = self.events;
        let mut parts: Vec<Vec<Spanned<'a>>> = Vec::new();
        for (column, cell) in row.iter().enumerate().skip(1) {
            if plain_text(&events[cell.clone()]).trim().is_empty() {
                continue;
            }
            let label = header.get(column).map(|h| plain_text(&events[h.clone()]));
            // One line per column: `<b>Header</b>: cell`.
            let at = events[cell.start.saturating_sub(1)].1.clone();
            let mut html = if parts.is_empty() {
                String::new()
            } else {
                "<br>".to_string()
            };
            if let Some(label) = label.filter(|l| !l.trim().is_empty()) {
                html.push_str(&format!("<b>{}</b>: ", super::render::escape(label.trim())));
            }
            let mut part: Vec<Spanned<'a>> = vec![(Event::InlineHtml(html.into()), at)];
            part.extend_from_slice(&events[cell.clone()]);
            parts.push(part);
        }
        let refs: Vec<&[Spanned<'_>]> = parts.iter().map(Vec::as_slice).collect();
        let directives = Directives::default();
        let first = row[0].clone();
        let made = Made {
            offset: events[first.start.saturating_sub(2)].1.start,
            top: false,
            directives: &directives,
            term_text,
        };
        self.card(made, context, &events[first], &refs);
    }

    /// With `outline` on: an item whose first paragraph has no separator and that has
    /// nested content is a card of the paragraph and that content.
    pub(super) fn outline_item(
        &mut self,
        made: Made<'_>,
        context: &[String],
        term: &[Spanned<'_>],
        nested: Range<usize>,
    ) -> bool {
        if !self.settings.has(Style::Outline) || nested.is_empty() || made.term_text.is_empty() {
            return false;
        }
        let nested = &self.events[nested];
        let before = self.parsed.cards.len();
        self.card(made, context, term, &[nested]);
        self.parsed.cards.len() > before
    }
}

/// A first header cell that says the rows are attributes of the things the other
/// columns compare (`| 項目 | S3 | EBS |`, `| Feature | A | B |`), or says nothing.
fn is_attribute_header(corner: &str) -> bool {
    const WORDS: [&str; 12] = [
        "項目",
        "比較項目",
        "特徴",
        "観点",
        "比較",
        "機能",
        "feature",
        "features",
        "aspect",
        "attribute",
        "property",
        "criteria",
    ];
    let corner = corner.trim().to_lowercase();
    corner.is_empty() || WORDS.contains(&corner.as_str())
}

/// Headings that name a part of a note, not a term: `Overview`, `Related topics`, …
fn is_part_of_a_note(heading: &str) -> bool {
    const PARTS: [&str; 30] = [
        "overview",
        "introduction",
        "summary",
        "conclusion",
        "notes",
        "tl;dr",
        "key points",
        "key concepts",
        "examples",
        "example",
        "exam tips",
        "tips",
        "practice questions",
        "questions",
        "related topics",
        "related concepts",
        "related",
        "see also",
        "references",
        "resources",
        "additional resources",
        "further reading",
        "best practices",
        "links",
        "概要",
        "まとめ",
        "参考",
        "参考資料",
        "関連",
        "例",
    ];
    PARTS.contains(&heading.trim().to_lowercase().as_str())
}

/// The section names and place above a heading, for its own card.
struct SectionsAbove(std::sync::Arc<[String]>, std::sync::Arc<[String]>);

/// Where a heading's section ends: at the next heading of its level or higher.
fn section_end(events: &[Spanned<'_>], from: usize, level: HeadingLevel, limit: usize) -> usize {
    let mut j = from;
    while j < limit {
        if let Event::Start(Tag::Heading { level: l, .. }) = events[j].0 {
            if l <= level {
                break;
            }
        }
        j = match events[j].0 {
            Event::Start(_) => matching_end(events, j) + 1,
            _ => j + 1,
        };
    }
    j.min(limit)
}

/// The end of the paragraphs that open a section at `from`: prose, not a bold label
/// (`**Technical Specifications**:`) that introduces what follows.
fn lead_paragraphs(events: &[Spanned<'_>], from: usize, limit: usize) -> usize {
    let mut j = from;
    while j < limit && matches!(events[j].0, Event::Start(Tag::Paragraph)) {
        let end = matching_end(events, j);
        if is_bold_label(&events[j + 1..end]) {
            break;
        }
        j = end + 1;
    }
    // No opening prose: the list right under the heading defines it.
    if j == from && j < limit && matches!(events[j].0, Event::Start(Tag::List(_))) {
        return matching_end(events, j) + 1;
    }
    j
}

/// Inline events that are only bold text, maybe with a colon after it.
fn is_bold_label(inline: &[Spanned<'_>]) -> bool {
    let Some((Event::Start(Tag::Strong), _)) = inline.first() else {
        return false;
    };
    let end = matching_end(inline, 0);
    inline[end + 1..].iter().all(|(e, _)| match e {
        Event::Text(t) => t.trim().trim_end_matches([':', '：']).trim().is_empty(),
        Event::SoftBreak | Event::HardBreak => true,
        _ => false,
    })
}

/// A section that is one paragraph reads as that paragraph's text (as a colon item's
/// definition does, so a pair moved between the styles keeps its definition).
fn sole_paragraph<'e>(events: &'e [Spanned<'e>], range: Range<usize>) -> &'e [Spanned<'e>] {
    let (start, end) = (range.start, range.end);
    let is_paragraph = matches!(events[start].0, Event::Start(Tag::Paragraph));
    if is_paragraph && matching_end(events, start) + 1 == end {
        return &events[start + 1..end - 1];
    }
    &events[range]
}

/// A table's rows (the header first), each as its cells' inline events.
fn table_rows(events: &[Spanned<'_>], start: usize, end: usize) -> Vec<Vec<Range<usize>>> {
    let mut rows = Vec::new();
    let mut i = start + 1;
    while i < end {
        if let Event::Start(Tag::TableHead | Tag::TableRow) = events[i].0 {
            let row_end = matching_end(events, i);
            let mut cells = Vec::new();
            let mut j = i + 1;
            while j < row_end {
                let cell_end = matching_end(events, j);
                if matches!(events[j].0, Event::Start(Tag::TableCell)) {
                    cells.push(j + 1..cell_end);
                }
                j = cell_end + 1;
            }
            rows.push(cells);
            i = row_end + 1;
        } else if matches!(events[i].0, Event::End(TagEnd::Table)) {
            break;
        } else {
            i += 1;
        }
    }
    rows
}
