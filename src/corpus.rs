//! A deterministic corpus of notes in the seed's style, for the benchmark and the
//! scale tests: Japanese text, full-width and ASCII colons, a nested `term: definition`
//! under every fourth item, links, inline code and `10.0.0.x:3128` addresses.

use std::fmt::Write;
use std::path::Path;

const SUBJECTS: &[&str] = &[
    "Amazon S3",
    "VPC ピアリング",
    "IAM ロール",
    "Auto Scaling",
    "CloudFront",
    "Route 53",
    "DynamoDB",
    "Kinesis",
    "ネットワーク ACL",
    "セキュリティグループ",
    "NAT ゲートウェイ",
    "Direct Connect",
    "EBS スナップショット",
    "Lambda 関数",
];
const PHRASES: &[&str] = &[
    "複数のアカウントを効率的に管理するためのサービス。",
    "データを非同期にバックアップし、可用性を高める。",
    "プライベートサブネットからインターネットへの通信を可能にする。",
    "リクエストを複数のターゲットに分散し、ヘルスチェックを行う。",
    "一時的な認証情報を発行し、最小権限の原則を守る。",
    "ストリームデータをリアルタイムに収集して分析する。",
];

/// Awkward fragments that random notes are stitched from, by the tests that check the
/// parser never panics and every build is sound: list markers, separators, emphasis,
/// code, math, HTML, comments and directives, Obsidian's syntax, the styles' shapes.
pub const FRAGMENTS: &[&str] = &[
    "- ",
    "* ",
    "1. ",
    "  ",
    "\t",
    "    ",
    "\n",
    "\r\n",
    "\n\n",
    "# ",
    "## ",
    ": ",
    ":",
    "：",
    "**",
    "*",
    "_",
    "`",
    "```",
    "~~",
    "$",
    "$$",
    "[",
    "](",
    ")",
    "![",
    "<img src=",
    "\"",
    "'",
    ">",
    "<!-- anki: skip -->",
    "<!-- anki: reverse -->",
    "<!-- anki: id=x -->",
    "<!--",
    "-->",
    "|",
    "|---|",
    "http://a:1",
    "10:30",
    "arn:a:b::c",
    "term",
    "用語",
    "。",
    "?",
    "\u{3000}",
    "\u{feff}",
    "&amp;",
    "<b>",
    "</b>",
    "\\",
    "[^1]",
    "- [ ] ",
    "Term\n: def\n",
    "<div>",
    "</div>",
    "a.png",
    "%20",
    "é",
    "e\u{301}",
    // Obsidian's syntax, and what looks like it.
    "[[",
    "]]",
    "![[",
    "|300",
    "==",
    "%%",
    "#tag",
    " #a/b",
    "^block-1",
    "> [!note] ",
    "[!tip]-",
    ":smile:",
    ":x",
    "xray:Put",
    "ec2:*",
    "- [x] ",
    "ア",
    "---\ntags: [a]\n---\n",
    // The styles' shapes.
    "| a | b |\n|---|---|\n| c | d |\n",
    "| |\n|-|\n",
    "1. Why?\n",
    "   - [x] yes\n",
    "- [ ] no\n",
    "  - Answer: it\n",
    "```python\nx = 1\n```\n",
    "```\n",
    "```rust\n",
    " - ",
    " → ",
    "**B** – ",
    "### H:\n",
    "## Overview\n",
    "---\nanki: {cards: [headings, tables]}\n---\n",
    "### ",
    "![a](",
    "img.png",
    "<img src=\"",
    "\">",
    "<!-- anki: id=k -->",
    "http://a.b/c:1",
    "Term",
    "定義",
    "> ",
    "---\n",
    "\u{1f}",
    "\u{0}",
    // The styles' shapes (quiz and dashes are on everywhere; the others by front matter).
    "---\nanki: {cards: [headings, tables, outline, dashes]}\n---\n",
];

/// Cards the corpus of `files` × `items` gives: every item, plus a child under every
/// fourth one.
pub fn card_count(files: usize, items: usize) -> usize {
    files * (items + items.div_ceil(4))
}

/// Code blocks the corpus may hold (`--code-every`): a language and its code.
const CODE: &[(&str, &str)] = &[
    ("python", "def handler(event, context):\n    # 200 with the item\n    return {\"statusCode\": 200, \"body\": \"item\"}\n"),
    ("bash", "aws s3 sync ./site s3://bucket --delete  # upload\nexport AWS_PROFILE=p1\n"),
    ("sql", "SELECT id, name FROM users WHERE created_at > '2024-01-01' ORDER BY id;\n"),
    ("json", "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\"}]}\n"),
    ("yaml", "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket  # a bucket\n"),
    ("rust", "fn main() {\n    let n: u32 = 42;\n    println!(\"{n}\");\n}\n"),
];

/// The text of file `f` of the corpus, with `items` top-level items.
pub fn file_text(f: usize, items: usize) -> String {
    file_text_with_code(f, items, None)
}

/// [`file_text`], with a fenced code block in the definition of every `code_every`-th
/// item (in six languages, in turn).
pub fn file_text_with_code(f: usize, items: usize, code_every: Option<usize>) -> String {
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ (f as u64).wrapping_mul(0x2545_F491_4F6C_DD1D);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = String::with_capacity(items * 220);
    let _ = writeln!(out, "# Vault {f:02}\n");
    for i in 0..items {
        if i % 100 == 0 {
            let _ = writeln!(out, "## Section {:03}\n", i / 100);
        }
        let subject = SUBJECTS[(next() % SUBJECTS.len() as u64) as usize];
        let phrase = PHRASES[(next() % PHRASES.len() as u64) as usize];
        let colon = if i % 3 == 0 { "：" } else { ": " };
        let _ = writeln!(
            out,
            "- {subject} の設定 {f}-{i}{colon}{phrase} 詳しくは [公式ドキュメント](https://docs.aws.amazon.com/ja_jp/guide/{i}.html) を参照し、`aws configure --profile p{i}` を実行する。プロキシは 10.0.0.{}:3128 を使う。",
            i % 250 + 1
        );
        if code_every.is_some_and(|n| i % n == n - 1) {
            let (language, code) = CODE[i % CODE.len()];
            let indented: String = code.lines().map(|l| format!("  {l}\n")).collect();
            let _ = writeln!(out, "\n  ```{language}\n{indented}  ```\n");
        }
        if i % 4 == 0 {
            let _ = writeln!(
                out,
                "  - 保持期間（項目 {i}）：{} 時間、延長は `--retention {}` で指定する。",
                next() % 48 + 1,
                next() % 7 + 1
            );
        }
    }
    out
}

/// Writes `files` note files of `items` items each into `dir` (created if needed).
pub fn write(dir: &Path, files: usize, items: usize) -> std::io::Result<()> {
    write_with_code(dir, files, items, None)
}

/// [`write()`], with a code block in every `code_every`-th item.
pub fn write_with_code(
    dir: &Path,
    files: usize,
    items: usize,
    code_every: Option<usize>,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for f in 0..files {
        let text = file_text_with_code(f, items, code_every);
        std::fs::write(dir.join(format!("vault-{f:02}.md")), text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;

    #[test]
    fn the_corpus_gives_the_cards_it_promises() {
        let text = file_text(3, 40);
        assert_eq!(text, file_text(3, 40), "deterministic");
        let parsed = crate::parse::parse(
            &Source::new("v.md", text),
            &crate::parse::FileMeta::plain("v", std::path::Path::new("")),
        );
        assert_eq!(parsed.cards.len(), card_count(1, 40));
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        assert!(parsed.cards[0].term_text.ends_with(" の設定 3-0"));
        assert_eq!(parsed.cards[1].term_text, "保持期間（項目 0）");
        assert_eq!(
            parsed.cards[1].context,
            vec![parsed.cards[0].term_text.clone()]
        );
    }

    #[test]
    fn code_blocks_join_their_items_and_are_highlighted() {
        let text = file_text_with_code(0, 40, Some(20));
        let parsed = crate::parse::parse(
            &Source::new("v.md", text),
            &crate::parse::FileMeta::plain("v", std::path::Path::new("")),
        );
        assert_eq!(
            parsed.cards.len(),
            card_count(1, 40),
            "{:?}",
            parsed.diagnostics
        );
        let with_code: Vec<&str> = parsed
            .cards
            .iter()
            .map(|c| c.definition_html.as_str())
            .filter(|d| d.contains("<pre>"))
            .collect();
        assert_eq!(with_code.len(), 2);
        assert!(
            with_code.iter().all(|d| d.contains("n2a-hl-")),
            "{with_code:?}"
        );
    }
}
