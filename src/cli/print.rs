//! What the commands print on stderr: diagnostics (warnings that share a cause as one
//! group), the change report, the summary and what to do next; in colour on a terminal
//! (`NO_COLOR` and pipes get none, through `anstream`).

use std::collections::BTreeMap;

use anstream::eprintln;
use anstyle::{AnsiColor, Style};

use notes2anki::diag::{Diagnostic, Severity};
use notes2anki::{Extracted, Summary};

const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const ERROR: Style = AnsiColor::Red.on_default().bold();
const GOOD: Style = AnsiColor::Green.on_default();
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();

/// Warnings of a group shown before `… and N more`.
const SHOWN_PER_GROUP: usize = 3;

pub use notes2anki::report::plural;

/// A diagnostic with its severity in colour.
fn coloured(d: &Diagnostic) -> String {
    let text = d.to_string();
    let label = format!("{}[{}]", d.severity, d.code);
    let style = if d.severity == Severity::Error {
        ERROR
    } else {
        WARNING
    };
    text.replacen(&label, &format!("{style}{label}{style:#}"), 1)
}

/// Every diagnostic on its own line, except warnings that share a cause (remote images
/// that could not be had, for one reason): those are one line with the count, then the
/// first few (all with `verbose`).
pub fn diagnostics(list: &[Diagnostic], verbose: bool) {
    let mut groups: BTreeMap<(&str, &str), Vec<&Diagnostic>> = BTreeMap::new();
    for d in list {
        match &d.cause {
            Some(cause) if !verbose => groups.entry((d.code, cause)).or_default().push(d),
            _ => eprintln!("{}", coloured(d)),
        }
    }
    for ((code, cause), members) in groups {
        if members.len() == 1 {
            eprintln!("{}", coloured(members[0]));
            continue;
        }
        let label = format!("warning[{code}]");
        eprintln!(
            "{WARNING}{label}{WARNING:#}: {} images: {cause}",
            members.len()
        );
        for d in members.iter().take(SHOWN_PER_GROUP) {
            eprintln!(
                "  {}",
                d.path.display().to_string() + &format!(":{}", d.line)
            );
        }
        if members.len() > SHOWN_PER_GROUP {
            let more = members.len() - SHOWN_PER_GROUP;
            eprintln!("  {DIM}… and {more} more (--verbose lists them){DIM:#}");
        }
    }
}

/// The change report, its kinds in colour.
pub fn report(extracted: &Extracted, verbose: bool) {
    for line in extracted.report.render(verbose).lines() {
        let style = match line.trim_start().split(' ').next() {
            Some("added") => GOOD,
            Some("removed") => ERROR,
            Some("updated" | "renamed" | "moved") => WARNING,
            _ => Style::new(),
        };
        eprintln!("{style}{line}{style:#}");
    }
}

/// What a build says: diagnostics, the change report, (timings,) a trial's notice, the
/// summary line and what to do next.
pub fn build(summary: &Summary, extracted: &Extracted, verbose: bool, timings: bool) {
    diagnostics(&extracted.diagnostics, verbose);
    report(extracted, verbose);
    if timings {
        eprintln!("{}", extracted.timings.render());
    }
    if let Some(theirs) = &extracted.trial {
        eprintln!(
            "{WARNING}trial build{WARNING:#}: the lock was built with {}, this build with {}, so the lock is left as it was (the next ordinary build changes nothing); to keep these options, build again with --keep-options",
            theirs.describe(),
            extracted.note_options.describe()
        );
    }
    eprintln!(
        "{GOOD}wrote{GOOD:#} {BOLD}{}{BOLD:#}: {}, {} in {}, {}, {}",
        summary.output.display(),
        plural(summary.cards, "card"),
        plural(summary.notes, "note"),
        plural(summary.decks, "deck"),
        plural(summary.media, "media file"),
        plural(extracted.diagnostics.len(), "warning"),
    );
    eprintln!("{DIM}next: import it in Anki with File → Import (re-importing updates the cards already there){DIM:#}");
}

/// `check --explain`: per file, its styles, its deck and its cards (or that it is skipped).
pub fn explained(files: &[notes2anki::notes::FileExplain], parent: Option<&str>) {
    for file in files {
        if file.settings.skip {
            eprintln!("{}: skipped (settings or front matter)", file.name);
            continue;
        }
        let deck = match parent {
            Some(parent) => format!("{parent}::{}", file.deck),
            None => file.deck.clone(),
        };
        eprintln!(
            "{}: styles {}; deck {deck}; {}",
            file.name,
            file.settings.style_names(),
            plural(file.cards, "card")
        );
    }
}

/// The line `watch` prints before each rebuild: a rule and the time.
pub fn watch_rule(now: i64) {
    let clock = now.rem_euclid(86_400);
    let (h, m, s) = (clock / 3600, clock / 60 % 60, clock % 60);
    eprintln!("{DIM}──── {h:02}:{m:02}:{s:02} UTC ─────────────────────────────{DIM:#}");
}
