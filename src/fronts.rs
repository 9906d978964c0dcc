//! Fronts that stand alone. When two cards of one deck would show the same front (the
//! same context and term: `Output Size` under `## MD5` and under `## SHA-1`), each
//! shows as much of its place — the note's title in a vault, then the headings above
//! it — as tells them apart (`MD5 › Output Size`). That part goes in the Context field
//! and in the card's identity, so the two never trade guids when sections move.
//!
//! Cards whose front is unique are left exactly as they are: their identity, and so
//! the guid every earlier build gave them, does not change.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::BuildHasher;

use rustc_hash::FxHashMap as HashMap;

use crate::ids::CardKey;
use crate::note::{self, Note};

/// Gives each card that shares deck, context and term with another, but not its place,
/// the innermost part of its place that tells them apart.
pub fn disambiguate(notes: &mut [Note], keys: &mut [CardKey]) {
    for group in same_fronts(keys) {
        let places: Vec<&[String]> = group.iter().map(|&c| &*keys[c].place).collect();
        let Some(levels) = telling_levels(&places) else {
            continue; // one place: true duplicates, which the id stage warns about
        };
        for &c in &group {
            let shown: Vec<&str> = tail(&keys[c].place, levels)
                .iter()
                .map(|l| label(l))
                .collect();
            let shown = shown.join(" › ");
            if !shown.is_empty() {
                set_context(&mut notes[c], &mut keys[c], &shown);
            }
        }
    }
}

/// Groups of two or more unpinned cards with the same deck, context and term, each
/// in card order, the groups in the order of their first card.
fn same_fronts(keys: &[CardKey]) -> Vec<Vec<usize>> {
    // By 64-bit hashes first: most builds have no such group, and a map of the strings
    // would hold a copy of every card's identity.
    let hash =
        |key: &CardKey| rustc_hash::FxBuildHasher.hash_one((&*key.deck, &key.context, &key.term));
    let mut first: HashMap<u64, usize> =
        HashMap::with_capacity_and_hasher(keys.len(), Default::default());
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (c, key) in keys.iter().enumerate().filter(|(_, k)| k.pinned.is_none()) {
        let f = *first.entry(hash(key)).or_insert(c);
        if f != c {
            groups.entry(f).or_insert_with(|| vec![f]).push(c);
        }
    }
    let same =
        |a: &CardKey, b: &CardKey| a.deck == b.deck && a.context == b.context && a.term == b.term;
    let mut out = Vec::new();
    for group in groups.into_values() {
        // A hash may be shared by different fronts: split by the strings themselves.
        let mut split: Vec<Vec<usize>> = Vec::new();
        for c in group {
            match split.iter_mut().find(|g| same(&keys[g[0]], &keys[c])) {
                Some(g) => g.push(c),
                None => split.push(vec![c]),
            }
        }
        out.extend(split.into_iter().filter(|g| g.len() > 1));
    }
    out
}

/// The fewest innermost levels of place that tell apart as many cards as their whole
/// places do; `None` when they all share one place.
fn telling_levels(places: &[&[String]]) -> Option<usize> {
    let distinct = |levels: usize| {
        places
            .iter()
            .map(|p| tail(p, levels))
            .collect::<BTreeSet<_>>()
            .len()
    };
    let longest = places.iter().map(|p| p.len()).max().unwrap_or(0);
    let whole = distinct(longest);
    if whole < 2 {
        return None;
    }
    (1..=longest).find(|&levels| distinct(levels) == whole)
}

/// A level of place as shown: `### Phase 1 Algorithms:` reads `Phase 1 Algorithms`.
fn label(level: &str) -> &str {
    level.trim_end_matches(|c: char| c.is_whitespace() || c == ':' || c == '：')
}

/// The innermost `levels` of a place.
fn tail(place: &[String], levels: usize) -> &[String] {
    &place[place.len().saturating_sub(levels)..]
}

/// Puts `shown` before the card's context, in its note and in its identity.
fn set_context(note: &mut Note, key: &mut CardKey, shown: &str) {
    key.context = if key.context.is_empty() {
        shown.to_string()
    } else {
        format!("{shown} › {}", key.context)
    };
    let field = note::strip_controls(crate::parse::escape_attr(&key.context));
    let (term, definition) = (note.term().to_string(), note.definition().to_string());
    note.set_text([&term, &definition, &field]);
    key.content = note::content_hash(note);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places(list: &[&[&str]]) -> Vec<Vec<String>> {
        list.iter()
            .map(|p| p.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    fn levels(list: &[&[&str]]) -> Option<usize> {
        let owned = places(list);
        let refs: Vec<&[String]> = owned.iter().map(|p| p.as_slice()).collect();
        telling_levels(&refs)
    }

    #[test]
    fn as_much_of_the_place_as_tells_cards_apart() {
        assert_eq!(levels(&[&["Algos", "MD5"], &["Algos", "SHA-1"]]), Some(1));
        assert_eq!(levels(&[&["MD5", "Props"], &["SHA-1", "Props"]]), Some(2));
        // A card before any heading keeps its plain front beside one under a heading.
        assert_eq!(levels(&[&[], &["MD5"]]), Some(1));
        // True duplicates: nothing tells them apart.
        assert_eq!(levels(&[&["A"], &["A"]]), None);
        // Three cards, two of one place: as many as their places tell apart.
        assert_eq!(levels(&[&["X", "P"], &["X", "P"], &["Y", "P"]]), Some(2));
    }
}
