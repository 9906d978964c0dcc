//! Fronts that stand alone. When two cards of one deck would show the same front (the
//! same context and term: `Output Size` under `## MD5` and under `## SHA-1`), each
//! shows as much of its place — the note's title in a vault, then the headings above
//! it — as tells them apart (`MD5 › Output Size`). That part goes in the Context field
//! and in the card's identity, so the two never trade guids when sections move.
//!
//! Cards whose front is unique are left exactly as they are: their identity, and so
//! the guid every earlier build gave them, does not change.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::ids::CardKey;
use crate::note::{self, Note};

/// Gives each card that shares deck, context and term with another, but not its place,
/// the innermost part of its place that tells them apart. `others` are cards of the
/// same decks that this build does not make (the other notes of a vault folder when
/// one file of it is built): they count in telling fronts apart, so a card's identity
/// never depends on which files are built.
pub fn disambiguate(notes: &mut [Note], keys: &mut [CardKey], others: &[CardKey]) {
    let mut changes: Vec<(usize, String)> = Vec::new();
    {
        let built = &*keys;
        let all = |c: usize| {
            if c < built.len() {
                &built[c]
            } else {
                &others[c - built.len()]
            }
        };
        let count = built.len() + others.len();
        let groups = same_fronts(count, all);
        if groups.is_empty() {
            return;
        }
        // Every identity there is: a shown place must not make a card another's twin.
        let mut taken: HashSet<u64> = (0..count)
            .map(|c| identity_hash(&all(c).deck, &all(c).context, &all(c).term))
            .collect();
        for group in groups {
            let shown = telling(&group, &all, &taken);
            for (&c, shown) in group.iter().zip(shown) {
                let key = all(c);
                if !shown.is_empty() {
                    let context = with_place(&shown, &key.context);
                    taken.insert(identity_hash(&key.deck, &context, &key.term));
                    if c < built.len() {
                        changes.push((c, context));
                    }
                }
            }
        }
    }
    for (c, context) in changes {
        set_context(&mut notes[c], &mut keys[c], context);
    }
}

/// An identity's 64-bit hash: a rare collision only makes a card show one level more.
fn identity_hash(deck: &str, context: &str, term: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one((deck, context, term))
}

/// What each card of a group shows of its place: as few innermost levels as tell the
/// cards apart (as many as their whole places do), with no card's new identity already
/// another card's — more levels if that helps; if not, a card whose shown place would
/// make it another card's twin shows none, keeping the identity it has. Nothing when
/// they all share one place (true duplicates, which the id stage warns about).
fn telling<'k>(
    group: &[usize],
    all: &impl Fn(usize) -> &'k CardKey,
    taken: &HashSet<u64>,
) -> Vec<String> {
    let places: Vec<&[String]> = group.iter().map(|&c| &*all(c).place).collect();
    let Some(fewest) = telling_levels(&places) else {
        return vec![String::new(); group.len()];
    };
    let longest = places.iter().map(|p| p.len()).max().unwrap_or(0);
    let shown_at =
        |levels: usize| -> Vec<String> { places.iter().map(|p| shown_levels(p, levels)).collect() };
    let is_taken = |c: usize, shown: &str| {
        let key = all(c);
        !shown.is_empty()
            && taken.contains(&identity_hash(
                &key.deck,
                &with_place(shown, &key.context),
                &key.term,
            ))
    };
    let free = |shown: &[String]| !group.iter().zip(shown).any(|(&c, s)| is_taken(c, s));
    if let Some(shown) = (fewest..=longest).map(shown_at).find(|shown| free(shown)) {
        return shown;
    }
    let mut shown = shown_at(fewest);
    for (&c, s) in group.iter().zip(&mut shown) {
        if is_taken(c, s) {
            s.clear();
        }
    }
    shown
}

/// Groups of two or more unpinned cards (of `count`, each `key(c)`) with the same
/// deck, context and term, each in card order, the groups in the order of their first.
fn same_fronts<'k>(count: usize, key: impl Fn(usize) -> &'k CardKey) -> Vec<Vec<usize>> {
    // By 64-bit hashes first: most builds have no such group, and a map of the strings
    // would hold a copy of every card's identity.
    let mut first: HashMap<u64, usize> =
        HashMap::with_capacity_and_hasher(count, Default::default());
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for c in (0..count).filter(|&c| key(c).pinned.is_none()) {
        let k = key(c);
        let f = *first
            .entry(identity_hash(&k.deck, &k.context, &k.term))
            .or_insert(c);
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
            match split.iter_mut().find(|g| same(key(g[0]), key(c))) {
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

/// The innermost `levels` of a place, as shown: `MD5 › Properties`.
fn shown_levels(place: &[String], levels: usize) -> String {
    let shown: Vec<&str> = tail(place, levels).iter().map(|l| label(l)).collect();
    shown.join(" › ")
}

/// The innermost `levels` of a place.
fn tail(place: &[String], levels: usize) -> &[String] {
    &place[place.len().saturating_sub(levels)..]
}

/// A context with the place shown before it.
fn with_place(shown: &str, context: &str) -> String {
    if context.is_empty() {
        shown.to_string()
    } else {
        format!("{shown} › {context}")
    }
}

/// Gives the card its new context, in its note and in its identity.
fn set_context(note: &mut Note, key: &mut CardKey, context: String) {
    key.context = context;
    let field = note::strip_controls(crate::parse::escape_attr(&key.context));
    let (term, options) = (note.question().to_string(), note.options().to_string());
    let definition = note.definition().to_string();
    note.set_text([&term, &options, &definition, &field]);
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

    fn key(context: &str, term: &str, place: &[&str]) -> CardKey {
        CardKey {
            deck: "T".into(),
            place: place.iter().map(|s| s.to_string()).collect(),
            context: context.into(),
            term: term.into(),
            pinned: None,
            file: "t.md".into(),
            definition: note::Hash(0),
            content: note::Hash(0),
            tags: note::Hash(0),
            media: note::Hash(0),
            templates: 1,
            location: crate::card::Location {
                path: std::path::Path::new("t.md").into(),
                line: 1,
                col: 1,
            },
        }
    }

    fn shown(keys: &[CardKey], others: &[CardKey]) -> Vec<String> {
        let all = |c: usize| {
            if c < keys.len() {
                &keys[c]
            } else {
                &others[c - keys.len()]
            }
        };
        let taken: HashSet<u64> = (0..keys.len() + others.len())
            .map(|c| identity_hash(&all(c).deck, &all(c).context, &all(c).term))
            .collect();
        let group = &same_fronts(keys.len() + others.len(), all)[0];
        telling(group, &all, &taken)
    }

    #[test]
    fn a_shown_place_never_makes_a_card_another_s_twin() {
        // `- MD5: …` / `  - Output Size: 3` is already `MD5 › Output Size`.
        let keys = [
            key("", "Output Size", &["MD5"]),
            key("", "Output Size", &["SHA"]),
            key("MD5", "Output Size", &["X"]),
        ];
        assert_eq!(shown(&keys, &[]), vec!["", "SHA"]);
        // With a level more to show, it is shown instead.
        let keys = [
            key("", "Output Size", &["A", "MD5"]),
            key("", "Output Size", &["B", "SHA"]),
            key("MD5", "Output Size", &["X"]),
        ];
        assert_eq!(shown(&keys, &[]), vec!["A › MD5", "B › SHA"]);
    }

    #[test]
    fn cards_not_built_count_too() {
        let keys = [key("", "Output Size", &["Hashing"])];
        let others = [key("", "Output Size", &["Encryption"])];
        assert_eq!(shown(&keys, &others), vec!["Hashing", "Encryption"]);
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
