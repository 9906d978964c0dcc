//! Finding the `term: definition` separator in an item's first paragraph.
//!
//! The first ASCII `:` or full-width `：` standing in plain text is the separator,
//! unless it is inside code, a link, raw HTML or math, or belongs to a URL, a time or
//! address (`15:30`, `10.0.0.10:3128`, `localhost:8080`), or a run like `arn:aws:iam::`.

use std::ops::Range;

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

pub(crate) type Spanned<'a> = (Event<'a>, Range<usize>);

/// One character of the paragraph, with where it came from (16 bytes: a paragraph's
/// characters are listed for every item; files are under 4 GiB, see `Source::read`).
struct Ch {
    c: char,
    event: u32,
    byte: u32,
    /// Plain text outside links: a colon here may be the separator.
    eligible: bool,
}

/// The first paragraph split at its separator.
pub(crate) struct Split<'a> {
    pub term: Vec<Spanned<'a>>,
    pub definition: Vec<Spanned<'a>>,
}

/// Splits inline events at the separator, or `None` when there is none.
pub(crate) fn split<'a>(events: &[Spanned<'a>]) -> Option<Split<'a>> {
    let chars = flatten(events);
    let runs = Runs::new(&chars);
    let at = (0..chars.len()).find(|&i| {
        let ch = &chars[i];
        ch.eligible && (ch.c == ':' || ch.c == '：') && !protected(&chars, &runs, i)
    })?;
    let Ch { event, byte, c, .. } = chars[at];
    let (event, byte) = (event as usize, byte as usize);
    let (Event::Text(text), range) = &events[event] else {
        return None;
    };
    let mut term: Vec<Spanned<'a>> = events[..event].to_vec();
    if byte > 0 {
        term.push((
            Event::Text(CowStr::from(text[..byte].to_string())),
            range.clone(),
        ));
    }
    let mut definition = Vec::with_capacity(events.len() - event);
    let after = &text[byte + c.len_utf8()..];
    if !after.is_empty() {
        definition.push((Event::Text(CowStr::from(after.to_string())), range.clone()));
    }
    definition.extend_from_slice(&events[event + 1..]);
    Some(Split {
        term: drop_unmatched_starts(term),
        definition: drop_unmatched_ends(definition),
    })
}

/// Dashes after a bold or code term that opens the paragraph (`**Term** – def`,
/// `` `cmd` - def ``, `**Term**. def`); with `plain`, also the first ` - `, ` – `, ` — `
/// or ` → ` in plain text after any term (`Term — def`, `A → B`). `None` when there is
/// no such separator.
pub(crate) fn split_dash<'a>(events: &[Spanned<'a>], plain: bool) -> Option<Split<'a>> {
    let after_term = match events.first() {
        Some((Event::Start(Tag::Strong), _)) => {
            let end = super::render::matching_end(events, 0);
            Some(end + 1)
        }
        Some((Event::Code(_), _)) => Some(1),
        _ => None,
    };
    if let Some(at) = after_term {
        if let Some((Event::Text(text), _)) = events.get(at) {
            let rest = text.trim_start();
            let sep = ["– ", "— ", "- ", ". "]
                .iter()
                .find(|s| rest.starts_with(**s));
            if let Some(sep) = sep {
                let cut = text.len() - rest.len() + sep.len();
                return Some(cut_at(events, at, cut, cut));
            }
        }
    }
    if !plain {
        return None;
    }
    let mut in_link = 0usize;
    for (k, (event, _)) in events.iter().enumerate() {
        match event {
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => in_link += 1,
            Event::End(TagEnd::Link | TagEnd::Image) => in_link = in_link.saturating_sub(1),
            Event::Text(text) if in_link == 0 => {
                let found = [" - ", " – ", " — ", " → "]
                    .iter()
                    .filter_map(|sep| text.find(sep).map(|i| (i, sep.len())))
                    .min();
                if let Some((i, len)) = found.filter(|(i, _)| k > 0 || *i > 0) {
                    return Some(cut_at(events, k, i + len, len));
                }
            }
            _ => {}
        }
    }
    None
}

/// The paragraph split inside text event `k`: the term ends `sep_len` bytes before
/// byte `cut`, the definition starts at `cut`.
fn cut_at<'a>(events: &[Spanned<'a>], k: usize, cut: usize, sep_len: usize) -> Split<'a> {
    let (Event::Text(text), range) = &events[k] else {
        return Split {
            term: events[..k].to_vec(),
            definition: events[k..].to_vec(),
        };
    };
    let mut term: Vec<Spanned<'a>> = events[..k].to_vec();
    let before = text[..cut - sep_len].trim_end();
    if !before.is_empty() {
        term.push((Event::Text(CowStr::from(before.to_string())), range.clone()));
    }
    let mut definition = Vec::with_capacity(events.len() - k);
    let after = &text[cut..];
    if !after.trim().is_empty() {
        definition.push((Event::Text(CowStr::from(after.to_string())), range.clone()));
    }
    definition.extend_from_slice(&events[k + 1..]);
    Split {
        term: drop_unmatched_starts(term),
        definition: drop_unmatched_ends(definition),
    }
}

fn flatten(events: &[Spanned<'_>]) -> Vec<Ch> {
    // The characters of the text (a third of its bytes, in Japanese), and one per
    // other event: counted, so the list is made once at its size.
    let count: usize = events
        .iter()
        .map(|(event, _)| match event {
            Event::Text(t) => t.chars().count(),
            _ => 1,
        })
        .sum();
    let mut chars = Vec::with_capacity(count);
    let mut in_link = 0usize;
    for (k, (event, _)) in events.iter().enumerate() {
        let mut push = |text: &str, eligible: bool| {
            chars.extend(text.char_indices().map(|(byte, c)| Ch {
                c,
                event: k as u32,
                byte: byte as u32,
                eligible,
            }))
        };
        match event {
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => in_link += 1,
            Event::End(TagEnd::Link | TagEnd::Image) => in_link = in_link.saturating_sub(1),
            // Link text is one atom: its colons never count, and it ends a run.
            Event::Text(_) if in_link > 0 => push(" ", false),
            Event::Text(t) => push(t, true),
            // Code and math are atomic: their colons never count, and they end a run.
            Event::Code(_) | Event::InlineMath(_) | Event::DisplayMath(_) => push(" ", false),
            // Raw HTML breaks runs of ASCII but its colons never count.
            Event::InlineHtml(_) | Event::Html(_) => push(" ", false),
            Event::SoftBreak | Event::HardBreak => push("\n", false),
            _ => {}
        }
    }
    chars
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// Runs of non-space ASCII: for each character, the run it belongs to, measured once
/// (so a line of a million colons costs linear time, not quadratic).
struct Runs {
    /// Run index of each character (`u32::MAX` outside runs).
    of: Vec<u32>,
    /// Per run: start, end, the start of its URL (if any), colons before that URL.
    runs: Vec<(u32, u32, Option<u32>, u32)>,
}

impl Runs {
    fn new(chars: &[Ch]) -> Self {
        let mut of = vec![u32::MAX; chars.len()];
        let mut runs = Vec::with_capacity(chars.len() / 4 + 1);
        let mut i = 0;
        while i < chars.len() {
            if !chars[i].c.is_ascii_graphic() {
                i += 1;
                continue;
            }
            let start = i;
            while i < chars.len() && chars[i].c.is_ascii_graphic() {
                i += 1;
            }
            let run = &chars[start..i];
            let url = url_start(run);
            let colons = run[..url.unwrap_or(run.len())]
                .iter()
                .filter(|ch| ch.c == ':')
                .count();
            for slot in &mut of[start..i] {
                *slot = runs.len() as u32;
            }
            runs.push((
                start as u32,
                i as u32,
                url.map(|u| (start + u) as u32),
                colons as u32,
            ));
        }
        Runs { of, runs }
    }
}

/// True when the colon at `i` is not a separator.
fn protected(chars: &[Ch], runs: &Runs, i: usize) -> bool {
    let prev = i.checked_sub(1).map(|j| chars[j].c);
    let next = chars.get(i + 1).map(|ch| ch.c);
    if prev.is_some_and(is_digit) && next.is_some_and(is_digit) {
        return true;
    }
    if chars[i].c != ':' {
        return false;
    }
    let Some(&(start, end, url, colons)) = runs.runs.get(runs.of[i] as usize) else {
        return false;
    };
    let (start, end, url) = (start as usize, end as usize, url.map(|u| u as usize));
    if url.is_some_and(|u| i >= u) {
        return true;
    }
    // `arn:aws:iam::…`, `std::fs`: two or more colons in the run (a URL after the colon
    // does not count: `参考:https://…`), unless this colon ends the run on its own
    // (`std::fs: the module`).
    let ends_run = i + 1 == end && i > start && chars[i - 1].c != ':';
    if colons >= 2 && !ends_run {
        return true;
    }
    if is_service_action(chars, start, i) {
        return true;
    }
    // `localhost:8080`: an ASCII name joined to a number that ends the word.
    if prev.is_some_and(|p| p.is_ascii_alphanumeric()) {
        let digits = chars[i + 1..end]
            .iter()
            .take_while(|ch| ch.c.is_ascii_digit())
            .count();
        let after = chars.get(i + 1 + digits).filter(|_| i + 1 + digits < end);
        if digits > 0 && !after.is_some_and(|ch| ch.c.is_ascii_alphanumeric()) {
            return true;
        }
    }
    false
}

/// `xray:PutTraceSegments`, `s3:GetObject`, `ec2:*`: an IAM-style `service:Action`, a
/// lowercase name (a letter, then `a-z`, `0-9`, `-`) standing alone before the colon and
/// an action starting with a capital or `*` after it (a `*` ending the paragraph is an
/// author's mark: `has:*` then a nested list). `VPN:VPC` is no such thing.
fn is_service_action(chars: &[Ch], run_start: usize, colon: usize) -> bool {
    let is_name = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    let name_len = chars[run_start..colon]
        .iter()
        .rev()
        .take_while(|ch| is_name(ch.c))
        .count();
    let name_start = colon - name_len;
    let alone = name_start == run_start || !chars[name_start - 1].c.is_ascii_alphanumeric();
    let starts_with_letter = name_len > 0 && chars[name_start].c.is_ascii_lowercase();
    // `ec2:*`, but not `…most likely has:*` ending the line (an author's asterisk).
    let action = chars.get(colon + 1).is_some_and(|ch| {
        ch.c.is_ascii_uppercase()
            || ch.c == '*'
                && chars[colon + 2..]
                    .iter()
                    .any(|after| !after.c.is_whitespace())
    });
    alone && starts_with_letter && action
}

/// Where the first `scheme://` URL of the run starts (the first letter of its scheme).
fn url_start(run: &[Ch]) -> Option<usize> {
    (0..run.len()).find_map(|q| {
        let starts_url = run
            .get(q..q + 3)
            .is_some_and(|r| r[0].c == ':' && r[1].c == '/' && r[2].c == '/');
        if !starts_url {
            return None;
        }
        let scheme_len = run[..q]
            .iter()
            .rev()
            .take_while(|ch| ch.c.is_ascii_alphanumeric() || matches!(ch.c, '+' | '.' | '-'))
            .count();
        // The scheme starts at its first letter.
        let scheme = &run[q - scheme_len..q];
        let first_letter = scheme.iter().position(|ch| ch.c.is_ascii_alphabetic())?;
        Some(q - scheme_len + first_letter)
    })
}

fn is_inline_format(tag_end: &TagEnd) -> bool {
    matches!(
        tag_end,
        TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough
    )
}

/// Whether an event opens (`Some(true)`) or closes (`Some(false)`) inline formatting:
/// emphasis, strikethrough, or a highlight's `<mark>`.
fn formatting(event: &Event<'_>) -> Option<bool> {
    match event {
        Event::Start(start) if is_inline_format(&start.to_end()) => Some(true),
        Event::End(end) if is_inline_format(end) => Some(false),
        Event::InlineHtml(html) if html.as_ref() == "<mark>" => Some(true),
        Event::InlineHtml(html) if html.as_ref() == "</mark>" => Some(false),
        _ => None,
    }
}

/// `**Term:** def`, `==Term: def==`: the formatting opened before the separator closes
/// after it; the term keeps its text without the opening.
fn drop_unmatched_starts(events: Vec<Spanned<'_>>) -> Vec<Spanned<'_>> {
    let mut depth = 0usize;
    let mut keep: Vec<Spanned<'_>> = Vec::with_capacity(events.len());
    for (event, range) in events.into_iter().rev() {
        match formatting(&event) {
            Some(false) => depth += 1,
            Some(true) if depth == 0 => continue,
            Some(true) => depth -= 1,
            None => {}
        }
        keep.push((event, range));
    }
    keep.reverse();
    keep
}

/// The other half of [`drop_unmatched_starts`]: the definition drops the closing.
fn drop_unmatched_ends(events: Vec<Spanned<'_>>) -> Vec<Spanned<'_>> {
    let mut depth = 0usize;
    let mut keep = Vec::with_capacity(events.len());
    for (event, range) in events {
        match formatting(&event) {
            Some(true) => depth += 1,
            Some(false) if depth == 0 => continue,
            Some(false) => depth -= 1,
            None => {}
        }
        keep.push((event, range));
    }
    keep
}

/// A term must not read like a sentence: no sentence end followed by more text.
/// `prose` is the term's text outside code and math.
pub(crate) fn reads_as_term(prose: &str) -> bool {
    let chars: Vec<char> = prose.trim().chars().collect();
    let more_after = |i: usize| chars[i + 1..].iter().any(|c| !c.is_whitespace());
    !(0..chars.len()).any(|i| match chars[i] {
        '。' | '．' | '！' | '？' | '!' | '?' => more_after(i),
        '.' => chars.get(i + 1).is_some_and(|c| c.is_whitespace()) && more_after(i),
        _ => false,
    })
}

/// A term that is only a choice label: one letter, digit or kana, maybe in brackets
/// (`A`, `ア`, `(b)`, `1`, `[c]`, `（イ）`). Multiple-choice options, not terms.
pub(crate) fn is_choice_label(term: &str) -> bool {
    let inner = term
        .trim()
        .trim_start_matches(['(', '[', '（', '【'])
        .trim_end_matches([')', ']', '）', '】']);
    let mut chars = inner.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        return false;
    };
    c.is_ascii_alphanumeric()
        || ('０'..='９').contains(&c)
        || ('Ａ'..='Ｚ').contains(&c)
        || ('ａ'..='ｚ').contains(&c)
        || ('\u{3041}'..='\u{30ff}').contains(&c) // hiragana and katakana
        || ('\u{ff66}'..='\u{ff9d}').contains(&c) // half-width katakana
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulldown_cmark::{Options, Parser};

    /// The term and definition text of a one-line paragraph, or None.
    fn sep(md: &str) -> Option<(String, String)> {
        let events: Vec<Spanned<'_>> = Parser::new_ext(md, Options::ENABLE_MATH)
            .into_offset_iter()
            .filter(|(e, _)| {
                !matches!(
                    e,
                    Event::Start(Tag::Paragraph) | Event::End(TagEnd::Paragraph)
                )
            })
            .collect();
        let text = |evs: &[Spanned<'_>]| {
            evs.iter()
                .map(|(e, _)| match e {
                    Event::Text(t) | Event::Code(t) => t.to_string(),
                    _ => String::new(),
                })
                .collect::<String>()
                .trim()
                .to_string()
        };
        split(&events).map(|s| (text(&s.term), text(&s.definition)))
    }

    fn pair(t: &str, d: &str) -> Option<(String, String)> {
        Some((t.to_string(), d.to_string()))
    }

    #[test]
    fn ascii_and_full_width_colons() {
        assert_eq!(sep("Hadoop: 基盤"), pair("Hadoop", "基盤"));
        assert_eq!(
            sep("ヒューリスティック：手法"),
            pair("ヒューリスティック", "手法")
        );
        assert_eq!(
            sep("Internet Gateway:特に"),
            pair("Internet Gateway", "特に")
        );
        assert_eq!(
            sep("Site-to-Site VPN:VPC とリモート"),
            pair("Site-to-Site VPN", "VPC とリモート")
        );
    }

    #[test]
    fn colons_that_are_not_separators() {
        assert_eq!(sep("`a:b` is code"), None);
        assert_eq!(sep("see [a:b](https://x.y/z) here"), None);
        assert_eq!(sep("会議は 15:30 から"), None);
        assert_eq!(sep("例えば、http://10.0.0.10:3128と指定"), None);
        assert_eq!(sep("use s3://bucket/key now"), None);
        assert_eq!(sep("open localhost:8080 now"), None);
        assert_eq!(sep("role arn:aws:iam::123:role/x here"), None);
        assert_eq!(sep("call std::fs::read"), None);
        assert_eq!(sep("math $a:b$ here"), None);
        assert_eq!(sep("html <span title=\"a:b\">x</span> here"), None);
    }

    #[test]
    fn the_first_real_colon_wins() {
        assert_eq!(
            sep("デフォルトの保持期間：24 時間、保持期間の延長：7 日間"),
            pair("デフォルトの保持期間", "24 時間、保持期間の延長：7 日間")
        );
        // A colon glued to a URL is part of it; one after a space is not.
        assert_eq!(sep("Proxy http://x.y:80: the proxy"), None);
        assert_eq!(
            sep("Proxy http://x.y:80 : the proxy"),
            pair("Proxy http://x.y:80", "the proxy")
        );
        assert_eq!(sep("`a:b`: code term"), pair("a:b", "code term"));
        assert_eq!(sep("`std::fs`: module"), pair("std::fs", "module"));
        assert_eq!(
            sep("有効期限: 2023-05-13 15:"),
            pair("有効期限", "2023-05-13 15:")
        );
    }

    #[test]
    fn runs_with_urls_and_trailing_colons() {
        assert_eq!(
            sep("参考:https://example.com/a:b"),
            pair("参考", "https://example.com/a:b")
        );
        assert_eq!(sep("std::fs: the module"), pair("std::fs", "the module"));
        assert_eq!(sep("arn:aws:iam:: is a prefix"), None);
        assert_eq!(sep("[link:x](http://a): def"), pair("link:x", "def"));
    }

    #[test]
    fn emphasis_around_the_colon() {
        assert_eq!(sep("**Term:** def"), pair("Term", "def"));
        assert_eq!(sep("*Term：* def"), pair("Term", "def"));
    }

    #[test]
    fn iam_actions_are_not_split() {
        assert_eq!(sep("xray:PutTraceSegments"), None);
        assert_eq!(sep("権限 logs:CreateLogGroup が必要"), None);
        assert_eq!(sep("allow (s3:GetObject) and ec2:* here"), None);
        assert_eq!(
            sep("the DMZ most likely has:*"),
            pair("the DMZ most likely has", "*")
        );
        assert_eq!(
            sep("Site-to-Site VPN:VPC とリモート"),
            pair("Site-to-Site VPN", "VPC とリモート")
        );
        assert_eq!(
            sep("AWS Client VPN:AWS リソース"),
            pair("AWS Client VPN", "AWS リソース")
        );
        assert_eq!(sep("CloudWatchLogs:Fast"), pair("CloudWatchLogs", "Fast"));
        assert_eq!(sep("term:Def"), None);
        assert_eq!(sep("Term: def"), pair("Term", "def"));
    }

    #[test]
    fn choice_labels() {
        for label in ["A", "ア", "(b)", "1", "[c]", "（イ）", "ｂ"] {
            assert!(is_choice_label(label), "{label}");
        }
        for term in ["AB", "鍵", "10", "VPC", "(ab)"] {
            assert!(!is_choice_label(term), "{term}");
        }
    }

    #[test]
    fn sentence_rule() {
        assert!(reads_as_term("Why S3?"));
        assert!(reads_as_term("ユーザーが…表示できるようにするためには"));
        assert!(!reads_as_term("提供します。例えば、以下のような"));
        assert!(!reads_as_term("It works. Then"));
        assert!(reads_as_term("v1.2 release"));
    }
}
