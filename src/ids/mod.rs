//! Giving every card its guid, note and card ids and `mod`, from the lock file.
//!
//! Pure: the lock and the clock are inputs. The rules (docs/notes-format.md, Identity):
//! a card whose identity is in the lock keeps its entry; a card whose definition is
//! unchanged and of whose deck, context and term only one changed is the same card
//! renamed or moved; `<!-- anki: id=… -->` pins a card; everything else is new.
//! An unchanged card keeps its `mod`, a changed one gets max(now, old + 1), a new one now.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::card::Location;
use crate::diag::Diagnostic;
use crate::identity;
use crate::lock::{Entry, Lock};

/// What the id stage needs to know of a card.
#[derive(Debug, Clone)]
pub struct CardKey {
    /// Identity parts, normalised.
    pub deck: std::sync::Arc<str>,
    /// Where the card is beyond its context (see [`crate::card::Card::place`]): what
    /// [`crate::fronts`] shows of it when two cards would have the same front.
    pub place: std::sync::Arc<[String]>,
    pub context: String,
    pub term: String,
    pub pinned: Option<String>,
    /// The note file relative to the lock's folder.
    pub file: std::sync::Arc<str>,
    /// Hash of the definition; of all the note carries.
    pub definition: crate::note::Hash,
    pub content: crate::note::Hash,
    /// Templates the note uses: 1 (card) or 2 (card and reverse card).
    pub templates: usize,
    pub location: Location,
}

/// How a card relates to the previous build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Added,
    Updated,
    Unchanged,
    /// The term changed; the old term.
    Renamed {
        from: String,
    },
    /// The context or deck changed; where it was (`deck › context`).
    Moved {
        from: String,
    },
}

/// The ids of one card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assigned {
    pub guid: String,
    pub note_id: i64,
    /// One per template used, in template order: the card, then the reverse card.
    pub card_ids: Vec<i64>,
    /// Seconds; Anki updates its copy only when this is newer.
    pub mod_secs: i64,
    pub change: Change,
}

/// The result of the id stage.
#[derive(Debug, Default)]
pub struct Assignment {
    /// In the order of the cards.
    pub cards: Vec<Assigned>,
    /// Lock entries of built files that no card claimed: removed from the notes.
    pub removed: Vec<Entry>,
    /// Lock entries of files not in this build, kept as they were.
    pub kept: Vec<Entry>,
    pub diagnostics: Vec<Diagnostic>,
}

/// How a card found its lock entry.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Claim {
    Exact,
    Similar,
}

/// Where the id stage puts each card's ids.
pub trait Sink {
    /// The ids of card `i`: each card once, in the cards' order.
    fn put(&mut self, i: usize, assigned: Assigned);
    /// The guid card `i` was given (only asked of cards already put).
    fn guid(&self, i: usize) -> &str;
}

/// Each card's ids in a list of their own.
impl Sink for Vec<Assigned> {
    fn put(&mut self, i: usize, assigned: Assigned) {
        debug_assert_eq!(i, self.len());
        self.push(assigned);
    }

    fn guid(&self, i: usize) -> &str {
        &self[i].guid
    }
}

/// Assigns ids to `cards`; `built_files` are the files this build read (entries of other
/// files are kept untouched); `now` in seconds.
pub fn assign(
    cards: &[CardKey],
    lock: Option<&Lock>,
    built_files: &std::collections::BTreeSet<String>,
    now: i64,
) -> Assignment {
    let mut assigned = Vec::with_capacity(cards.len());
    let mut out = assign_into(cards, lock, built_files, now, &mut assigned);
    out.cards = assigned;
    out
}

/// [`assign`], each card's ids put straight where they go (the pipeline's notes): no
/// list of them all besides. The result's `cards` is empty.
pub fn assign_into(
    cards: &[CardKey],
    lock: Option<&Lock>,
    built_files: &std::collections::BTreeSet<String>,
    now: i64,
    sink: &mut impl Sink,
) -> Assignment {
    // First, while nothing else is held: duplicates are rare, and their check needs a
    // set as large as the cards.
    let duplicates = has_duplicates(cards);
    let entries: Vec<&Entry> = lock.map(|l| l.entries.iter().collect()).unwrap_or_default();
    let mut claims: Vec<Option<(usize, Claim)>> = vec![None; cards.len()];
    let mut taken = vec![false; entries.len()];
    // Hash maps for lookups only: nothing is ever read out of them in their order.
    // Guids are looked up only for pinned cards.
    let by_guid: HashMap<&str, usize> = if cards.iter().any(|c| c.pinned.is_some()) {
        entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.guid.as_str(), i))
            .collect()
    } else {
        HashMap::default()
    };

    // 1. Pinned cards find their entry by guid.
    for (c, card) in cards.iter().enumerate() {
        if let Some(id) = &card.pinned {
            let guid = identity::pinned_guid(&card.deck, id);
            if let Some(&e) = by_guid.get(guid.as_str()) {
                if !taken[e] {
                    taken[e] = true;
                    claims[c] = Some((e, Claim::Exact));
                }
            }
        }
    }

    // 2. Same identity: first the entries whose content is unchanged too, then the rest.
    //    Entries are found by a 64-bit hash of their identity (a map of the strings
    //    themselves was 15 MB at 125k cards); entries sharing a hash are chained
    //    (`same_hash`) from the first, and each is compared in full before it is taken.
    const END: usize = usize::MAX;
    let identity_hash = |deck: &str, context: &str, term: &str| hash64((deck, context, term));
    let mut by_identity: HashMap<u64, usize> =
        HashMap::with_capacity_and_hasher(entries.len(), Default::default());
    let mut same_hash = vec![END; entries.len()];
    for (i, e) in entries.iter().enumerate().rev() {
        if let Some(next) = by_identity.insert(identity_hash(&e.deck, &e.context, &e.term), i) {
            same_hash[i] = next;
        }
    }
    // Looking every card up is most of a rebuild's id stage: on every core.
    let first_with_hash = crate::par::map(cards, |_, card| {
        let hash = identity_hash(&card.deck, &card.context, &card.term);
        by_identity.get(&hash).copied().unwrap_or(END)
    });
    drop(by_identity);
    let same_identity = |e: &Entry, card: &CardKey| {
        *e.deck == *card.deck && e.context == card.context && e.term == card.term
    };
    for same_content in [true, false] {
        for (c, card) in cards.iter().enumerate() {
            if claims[c].is_some() || card.pinned.is_some() {
                continue;
            }
            let mut e = first_with_hash[c];
            while e != END {
                let entry = entries[e];
                if !taken[e]
                    && (!same_content || entry.content == card.content)
                    && same_identity(entry, card)
                {
                    taken[e] = true;
                    claims[c] = Some((e, Claim::Exact));
                    break;
                }
                e = same_hash[e];
            }
        }
    }
    drop(first_with_hash);
    drop(same_hash);

    // 3. Renamed or moved: same definition, one identity part changed, and no doubt
    //    about which entry is which card.
    let similar = |card: &CardKey, e: &Entry| {
        e.definition == card.definition
            && built_files.contains(&*e.file)
            && [
                *e.deck == *card.deck,
                e.context == card.context,
                e.term == card.term,
            ]
            .iter()
            .filter(|same| **same)
            .count()
                == 2
    };
    let mut by_definition: HashMap<crate::note::Hash, Vec<usize>> = HashMap::default();
    for (e, entry) in entries.iter().enumerate() {
        if !taken[e] {
            by_definition.entry(entry.definition).or_default().push(e);
        }
    }
    // Only cards whose definition some unclaimed entry has can be renamed or moved ones
    // (none at all on a first build).
    let open_cards: Vec<usize> = (0..cards.len())
        .filter(|&c| {
            claims[c].is_none()
                && cards[c].pinned.is_none()
                && by_definition.contains_key(&cards[c].definition)
        })
        .collect();
    let mut open_by_definition: HashMap<crate::note::Hash, Vec<usize>> = HashMap::default();
    for &c in &open_cards {
        open_by_definition
            .entry(cards[c].definition)
            .or_default()
            .push(c);
    }
    for &c in &open_cards {
        let candidates: Vec<usize> = by_definition
            .get(&cards[c].definition)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&e| !taken[e] && similar(&cards[c], entries[e]))
            .collect();
        if let [e] = candidates[..] {
            let rivals = open_by_definition
                .get(&entries[e].definition)
                .into_iter()
                .flatten()
                .filter(|&&o| claims[o].is_none() && similar(&cards[o], entries[e]))
                .count();
            if rivals == 1 {
                taken[e] = true;
                claims[c] = Some((e, Claim::Similar));
            }
        }
    }

    // 4. Guids, ids and mods. The tables for new guids and ids are made only when some
    //    card needs one (a rebuild usually needs none: 125k lock entries made 14 MB of
    //    them).
    let any_new = claims.iter().any(Option::is_none);
    let mut used_guids = UsedGuids::default();
    if any_new {
        used_guids.0.reserve(entries.len() + cards.len());
        for e in &entries {
            used_guids.insert(&e.guid);
        }
    }
    let needed: usize = cards
        .iter()
        .zip(&claims)
        .map(|(card, claim)| match claim {
            None => 1 + card.templates,
            Some((e, _)) => card.templates.saturating_sub(entries[*e].card_ids.len()),
        })
        .sum();
    let used_ids: HashSet<i64> = if needed > 0 {
        entries
            .iter()
            .flat_map(|e| std::iter::once(e.note_id).chain(e.card_ids.iter().copied()))
            .collect()
    } else {
        HashSet::default()
    };
    let mut fresh = fresh_ids(now.saturating_mul(1000), needed, &used_ids).into_iter();
    drop(used_ids);
    let mut next_id = || fresh.next().unwrap_or(1);

    // The guids of new cards: hashing is most of this stage's work, so it runs on
    // every core.
    let mut bases = if any_new {
        crate::par::map(cards, |c, card| match (&claims[c], &card.pinned) {
            (Some(_), _) => None,
            (None, Some(id)) => Some(identity::pinned_guid(&card.deck, id)),
            (None, None) => Some(identity::guid(&card.deck, &card.context, &card.term)),
        })
    } else {
        Vec::new()
    }
    .into_iter();

    let mut out = Assignment::default();
    for (c, (card, claim)) in cards.iter().zip(&claims).enumerate() {
        let base = bases.next().flatten();
        let assigned = match claim {
            Some((e, how)) => {
                let entry = entries[*e];
                let mut card_ids = entry.card_ids.clone();
                card_ids.truncate(card.templates);
                while card_ids.len() < card.templates {
                    card_ids.push(next_id());
                }
                let unchanged = entry.content == card.content;
                let change = match how {
                    Claim::Exact if unchanged => Change::Unchanged,
                    Claim::Exact => Change::Updated,
                    Claim::Similar if entry.term != card.term => Change::Renamed {
                        from: entry.term.clone(),
                    },
                    Claim::Similar => Change::Moved {
                        from: place(&entry.deck, &entry.context),
                    },
                };
                Assigned {
                    guid: entry.guid.clone(),
                    note_id: entry.note_id,
                    card_ids,
                    mod_secs: if unchanged {
                        entry.mod_secs
                    } else {
                        now.max(entry.mod_secs.saturating_add(1))
                    },
                    change,
                }
            }
            None => {
                let mut guid = base.unwrap_or_default();
                if used_guids.contains(&guid, &entries, sink, c) {
                    let base = guid.clone();
                    let mut n = 1;
                    while used_guids.contains(&guid, &entries, sink, c) {
                        n += 1;
                        guid = identity::nth_guid(&base, n);
                    }
                }
                let note_id = next_id();
                let card_ids = (0..card.templates).map(|_| next_id()).collect();
                Assigned {
                    guid,
                    note_id,
                    card_ids,
                    mod_secs: now,
                    change: Change::Added,
                }
            }
        };
        if any_new {
            used_guids.insert(&assigned.guid);
        }
        sink.put(c, assigned);
    }
    if duplicates {
        out.diagnostics = duplicate_warnings(cards, &claims);
    }
    for (e, entry) in entries.iter().enumerate() {
        if taken[e] {
            continue;
        }
        if built_files.contains(&*entry.file) {
            out.removed.push((*entry).clone());
        } else {
            out.kept.push((*entry).clone());
        }
    }
    out
}

/// What two cards must share to be duplicates: deck, context and term, or deck and `id=`.
fn identity_key(card: &CardKey) -> (&str, &str, &str) {
    match &card.pinned {
        None => (&card.deck, &card.context, &card.term),
        Some(id) => (&card.deck, "\u{0}pinned", id),
    }
}

/// Whether two cards may share an identity (or an `id=`): a cheap check (on 64-bit
/// hashes) before the exact work of `duplicate_warnings`, as duplicates are rare.
fn has_duplicates(cards: &[CardKey]) -> bool {
    let mut seen: HashSet<u64> = HashSet::with_capacity_and_hasher(cards.len(), Default::default());
    cards
        .iter()
        .any(|card| !seen.insert(hash64(identity_key(card))))
}

/// A value's 64-bit hash, for the sets and maps that stand in for sets of strings: a
/// hash found there is always checked against the strings themselves.
pub(crate) fn hash64(value: impl std::hash::Hash) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(value)
}

/// The guids given so far, as 64-bit hashes: a hash seen before is checked against the
/// guids themselves (a set of every guid would cost a copy of each).
#[derive(Default)]
struct UsedGuids(HashSet<u64>);

impl UsedGuids {
    fn insert(&mut self, guid: &str) {
        self.0.insert(hash64(guid));
    }

    /// Whether `guid` is an entry's, or one of the first `given` cards' in `sink`.
    fn contains(&self, guid: &str, entries: &[&Entry], sink: &impl Sink, given: usize) -> bool {
        self.0.contains(&hash64(guid))
            && (entries.iter().any(|e| e.guid == guid) || (0..given).any(|i| sink.guid(i) == guid))
    }
}

/// Two cards with one identity: the one the lock knew (else the first) keeps it; each
/// other one gets a warning.
fn duplicate_warnings(cards: &[CardKey], claims: &[Option<(usize, Claim)>]) -> Vec<Diagnostic> {
    // Cards grouped by identity; pinned ones by their id (the middle part marks them).
    let mut groups: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::default();
    for (c, card) in cards.iter().enumerate() {
        groups.entry(identity_key(card)).or_default().push(c);
    }
    let mut warnings: Vec<(usize, Diagnostic)> = Vec::new();
    for group in groups.values().filter(|g| g.len() > 1) {
        let keeper = group
            .iter()
            .copied()
            .find(|&c| matches!(claims[c], Some((_, Claim::Exact))))
            .unwrap_or(group[0]);
        let kept_at = &cards[keeper].location;
        for &c in group.iter().filter(|&&c| c != keeper) {
            let card = &cards[c];
            let message = match &card.pinned {
                None => format!(
                    "`{}` is already a card at {kept_at} (same deck, same place, same term); this one gets its own id — rename one, or pin it with <!-- anki: id=… -->",
                    card.term
                ),
                Some(id) => format!(
                    "`id={id}` is already used at {kept_at}; ids must be unique within a deck, so this one gets its own id"
                ),
            };
            warnings.push((
                c,
                Diagnostic::warning(
                    card.location.path.to_path_buf(),
                    (card.location.line, card.location.col),
                    "duplicate-card",
                    message,
                ),
            ));
        }
    }
    warnings.sort_by_key(|(c, _)| *c);
    warnings.into_iter().map(|(_, d)| d).collect()
}

/// `deck › context` (or just the deck), to say where a moved card was.
pub fn place(deck: &str, context: &str) -> String {
    if context.is_empty() {
        deck.to_string()
    } else {
        format!("{deck} › {context}")
    }
}

/// `count` distinct ids not in `used`, in increasing order (so earlier cards get
/// smaller ids): at most `now_ms`, unless too few ids below it are free. Candidates
/// only go down, so none comes twice: they need no set of their own (a first build of
/// 125k cards would fill one with 250k ids).
fn fresh_ids(now_ms: i64, count: usize, used: &HashSet<i64>) -> Vec<i64> {
    let mut ids = Vec::with_capacity(count);
    let mut candidate = now_ms.max(count as i64 + used.len() as i64 + 1);
    while ids.len() < count && candidate > 0 {
        if !used.contains(&candidate) {
            ids.push(candidate);
        }
        candidate -= 1;
    }
    ids.reverse();
    ids
}

#[cfg(test)]
mod tests;
