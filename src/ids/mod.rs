//! Giving every card its guid, note and card ids and `mod`, from the lock file.
//!
//! Pure: the lock and the clock are inputs. Each card looks for its lock entry by these
//! rules, in this order, and an entry goes to one card at most
//! (docs/notes-format.md, Identity):
//!
//! 1. **Pinned**: a card with `<!-- anki: id=… -->` takes the entry with its guid.
//! 2. **Exact identity**: a card takes an entry with its deck, context and term —
//!    first the cards whose content is unchanged too, so that of two cards with one
//!    identity the unchanged one keeps the entry.
//! 3. **Renamed or moved**: a card whose definition is unchanged and of whose deck,
//!    context and term exactly one changed takes such an entry of a built file, when it
//!    is the only card that could and that entry the only one it could take.
//! 4. **Duplicates**: two cards with one identity (or one `id=`) warn; the one the lock
//!    knew (else the first) keeps it.
//! 5. **Fresh ids**: every other card is new: a guid from its identity (never one in use),
//!    note and card ids at most now that no entry holds.
//!
//! An unchanged card keeps its `mod`, a changed one gets max(now, old + 1), a new one now.

use rayon::prelude::*;
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
    /// Hash of the definition; of all the note carries; of its tags; of its media names.
    pub definition: crate::note::Hash,
    pub content: crate::note::Hash,
    pub tags: crate::note::Hash,
    pub media: crate::note::Hash,
    /// Templates the note uses: 1 (card) or 2 (card and reverse card).
    pub templates: usize,
    pub location: Location,
}

/// How a card relates to the previous build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Added,
    /// What changed: `definition`, `media`, `tags`, `reverse card`, `section` (the
    /// file or heading it is under), in this order.
    Updated {
        what: Vec<&'static str>,
    },
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Claim {
    /// By its pin or its identity.
    Exact,
    /// Renamed or moved.
    Similar,
}

/// Which lock entry each card has claimed, and which entries are taken.
struct Claims {
    /// By card: the entry's index, and how it was found.
    of_card: Vec<Option<(usize, Claim)>>,
    taken: Vec<bool>,
}

impl Claims {
    fn new(cards: usize, entries: usize) -> Claims {
        Claims {
            of_card: vec![None; cards],
            taken: vec![false; entries],
        }
    }

    /// Whether card `c` is still looking for an entry.
    fn open(&self, c: usize) -> bool {
        self.of_card[c].is_none()
    }

    fn claim(&mut self, c: usize, e: usize, how: Claim) {
        self.taken[e] = true;
        self.of_card[c] = Some((e, how));
    }
}

/// A card's identity: deck, context and term.
type Identity<'a> = (&'a str, &'a str, &'a str);

fn identity_of(card: &CardKey) -> Identity<'_> {
    (&card.deck, &card.context, &card.term)
}

fn entry_identity(entry: &Entry) -> Identity<'_> {
    (&entry.deck, &entry.context, &entry.term)
}

/// Indexes of `items` by a key, in the items' order. A map for lookups only: nothing
/// is ever read out of it in its own order.
fn index_by<'a, T, K: std::hash::Hash + Eq>(
    items: impl Iterator<Item = (usize, &'a T)>,
    key: impl Fn(&'a T) -> K,
) -> HashMap<K, Vec<usize>>
where
    T: 'a,
{
    let mut map: HashMap<K, Vec<usize>> =
        HashMap::with_capacity_and_hasher(items.size_hint().0, Default::default());
    for (i, item) in items {
        map.entry(key(item)).or_default().push(i);
    }
    map
}

/// Assigns ids to `cards`; `built_files` are the files this build read (entries of other
/// files are kept untouched); `now` in seconds.
pub fn assign(
    cards: &[CardKey],
    lock: Option<&Lock>,
    built_files: &std::collections::BTreeSet<String>,
    now: i64,
) -> Assignment {
    let entries: &[Entry] = lock.map_or(&[], |l| &l.entries);
    let mut claims = Claims::new(cards.len(), entries.len());
    claim_pinned(cards, entries, &mut claims);
    claim_same_identity(cards, entries, &mut claims);
    claim_renamed_or_moved(cards, entries, built_files, &mut claims);
    let diagnostics = duplicate_warnings(cards, &claims);
    let assigned = give_ids(cards, entries, &claims, now);
    let (removed, kept) = unclaimed(entries, &claims, built_files);
    Assignment {
        cards: assigned,
        removed,
        kept,
        diagnostics,
    }
}

/// Rule 1: a pinned card takes the entry with its guid.
fn claim_pinned(cards: &[CardKey], entries: &[Entry], claims: &mut Claims) {
    if cards.iter().all(|c| c.pinned.is_none()) {
        return;
    }
    let by_guid: HashMap<&str, usize> = entries
        .iter()
        .enumerate()
        .map(|(e, entry)| (entry.guid.as_str(), e))
        .collect();
    for (c, card) in cards.iter().enumerate() {
        let Some(id) = &card.pinned else { continue };
        let guid = identity::pinned_guid(&card.deck, id);
        if let Some(&e) = by_guid.get(guid.as_str()) {
            if !claims.taken[e] {
                claims.claim(c, e, Claim::Exact);
            }
        }
    }
}

/// Rule 2: a card takes an entry with its identity; first the cards whose content is
/// unchanged too.
fn claim_same_identity(cards: &[CardKey], entries: &[Entry], claims: &mut Claims) {
    let by_identity = index_by(entries.iter().enumerate(), entry_identity);
    for same_content in [true, false] {
        for (c, card) in cards.iter().enumerate() {
            if !claims.open(c) || card.pinned.is_some() {
                continue;
            }
            let candidates = by_identity.get(&identity_of(card)).into_iter().flatten();
            let found = candidates.copied().find(|&e| {
                !claims.taken[e] && (!same_content || entries[e].content == card.content)
            });
            if let Some(e) = found {
                claims.claim(c, e, Claim::Exact);
            }
        }
    }
}

/// Whether `card` may be `entry` renamed or moved: same definition, exactly one of deck,
/// context and term changed, and the entry's file is one this build read.
fn similar(
    card: &CardKey,
    entry: &Entry,
    built_files: &std::collections::BTreeSet<String>,
) -> bool {
    let same = [
        *entry.deck == *card.deck,
        entry.context == card.context,
        entry.term == card.term,
    ];
    entry.definition == card.definition
        && same.iter().filter(|same| **same).count() == 2
        && built_files.contains(&*entry.file)
}

/// Rule 3: an open card takes the one open entry it may be renamed or moved from, when
/// no other open card may be that entry.
fn claim_renamed_or_moved(
    cards: &[CardKey],
    entries: &[Entry],
    built_files: &std::collections::BTreeSet<String>,
    claims: &mut Claims,
) {
    let open_entries = entries
        .iter()
        .enumerate()
        .filter(|(e, _)| !claims.taken[*e]);
    let entries_by_definition = index_by(open_entries, |e: &Entry| e.definition);
    if entries_by_definition.is_empty() {
        return; // a first build, or every entry claimed
    }
    let open_cards: Vec<usize> = (0..cards.len())
        .filter(|&c| {
            claims.open(c)
                && cards[c].pinned.is_none()
                && entries_by_definition.contains_key(&cards[c].definition)
        })
        .collect();
    let cards_by_definition = index_by(open_cards.iter().map(|&c| (c, &cards[c])), |card| {
        card.definition
    });
    let may_be = |c: usize, e: usize| similar(&cards[c], &entries[e], built_files);
    // In the cards' order: a claim can leave the next card of its definition one
    // candidate fewer.
    for &c in &open_cards {
        let definition = &cards[c].definition;
        let mut candidates = entries_by_definition[definition]
            .iter()
            .copied()
            .filter(|&e| !claims.taken[e] && may_be(c, e));
        let (Some(e), None) = (candidates.next(), candidates.next()) else {
            continue;
        };
        let rivals = cards_by_definition[definition].iter();
        if rivals.filter(|&&o| claims.open(o) && may_be(o, e)).count() == 1 {
            claims.claim(c, e, Claim::Similar);
        }
    }
}

/// Rule 5, and the ids of claimed cards: each card's guid, ids, `mod` and change.
fn give_ids(cards: &[CardKey], entries: &[Entry], claims: &Claims, now: i64) -> Vec<Assigned> {
    let needed: usize = cards
        .iter()
        .zip(&claims.of_card)
        .map(|(card, claim)| match claim {
            None => 1 + card.templates,
            Some((e, _)) => card.templates.saturating_sub(entries[*e].card_ids.len()),
        })
        .sum();
    let mut fresh = fresh_ids(now.saturating_mul(1000), needed, entries).into_iter();
    let mut next_id = || fresh.next().unwrap_or(1);
    let mut guids = NewGuids::new(cards, entries, claims);
    let mut out: Vec<Assigned> = Vec::with_capacity(cards.len());
    for (c, (card, claim)) in cards.iter().zip(&claims.of_card).enumerate() {
        let assigned = match claim {
            Some((e, how)) => kept_ids(card, &entries[*e], *how, now, &mut next_id),
            None => {
                let guid = guids.give(c, &out);
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
        out.push(assigned);
    }
    out
}

/// A claimed card's ids: its entry's, with a new card id for a template added since.
fn kept_ids(
    card: &CardKey,
    entry: &Entry,
    how: Claim,
    now: i64,
    next_id: &mut impl FnMut() -> i64,
) -> Assigned {
    let mut card_ids = entry.card_ids.clone();
    card_ids.truncate(card.templates);
    while card_ids.len() < card.templates {
        card_ids.push(next_id());
    }
    let unchanged = entry.content == card.content;
    let change = match how {
        Claim::Exact if unchanged => Change::Unchanged,
        Claim::Exact => Change::Updated {
            what: what_changed(card, entry),
        },
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

/// What changed in a card found by its identity (for the change report). A lock written
/// before 0.2 knows no tags or media hash: then a change that is not the definition's
/// is said as `tags or section`.
fn what_changed(card: &CardKey, entry: &Entry) -> Vec<&'static str> {
    let mut what = Vec::new();
    let media = entry.media.map(|m| m != card.media);
    if entry.definition != card.definition {
        what.push(if media == Some(true) {
            "media"
        } else {
            "definition"
        });
    }
    let tags = entry.tags.map(|t| t != card.tags);
    if tags == Some(true) {
        what.push("tags");
    }
    if entry.card_ids.len() != card.templates {
        what.push("reverse card");
    }
    if what.is_empty() {
        what.push(if tags.is_none() {
            "tags or section"
        } else {
            "section"
        });
    }
    what
}

/// The guids of new cards: from their identity (or pin), never one the lock or an
/// earlier card holds (`-2`, `-3`, … then).
struct NewGuids<'a> {
    /// By card: the guid its identity gives, for the cards that need one.
    bases: Vec<Option<String>>,
    in_lock: HashSet<&'a str>,
    /// The new guids given so far, as 64-bit hashes: one seen before is checked against
    /// the cards given it (measured on a first build of 125k cards: a set of the guids
    /// themselves added 5 MiB to the peak and 25 ms).
    given: HashSet<u64>,
}

impl<'a> NewGuids<'a> {
    fn new(cards: &[CardKey], entries: &'a [Entry], claims: &Claims) -> NewGuids<'a> {
        if claims.of_card.iter().all(Option::is_some) {
            return NewGuids {
                bases: Vec::new(),
                in_lock: HashSet::default(),
                given: HashSet::default(),
            };
        }
        // Hashing is most of a first build's id stage: on every core.
        let bases = (cards, &claims.of_card[..])
            .into_par_iter()
            .map(|(card, claim)| match (claim, &card.pinned) {
                (Some(_), _) => None,
                (None, Some(id)) => Some(identity::pinned_guid(&card.deck, id)),
                (None, None) => Some(identity::guid(&card.deck, &card.context, &card.term)),
            })
            .collect();
        NewGuids {
            bases,
            in_lock: entries.iter().map(|e| e.guid.as_str()).collect(),
            given: HashSet::default(),
        }
    }

    /// The guid of new card `c`.
    fn give(&mut self, c: usize, earlier: &[Assigned]) -> String {
        use std::hash::BuildHasher;
        let hash = |guid: &str| rustc_hash::FxBuildHasher.hash_one(guid);
        let base = self.bases[c].take().unwrap_or_default();
        let used = |guid: &str| {
            self.in_lock.contains(guid)
                || (self.given.contains(&hash(guid)) && earlier.iter().any(|a| a.guid == guid))
        };
        let mut guid = base.clone();
        let mut n = 1;
        while used(&guid) {
            n += 1;
            guid = identity::nth_guid(&base, n);
        }
        self.given.insert(hash(&guid));
        guid
    }
}

/// The lock entries no card claimed: those of built files were removed from the notes;
/// those of other files are kept as they were.
fn unclaimed(
    entries: &[Entry],
    claims: &Claims,
    built_files: &std::collections::BTreeSet<String>,
) -> (Vec<Entry>, Vec<Entry>) {
    entries
        .iter()
        .zip(&claims.taken)
        .filter(|(_, taken)| !**taken)
        .map(|(entry, _)| entry.clone())
        .partition(|entry| built_files.contains(&*entry.file))
}

/// What two cards must share to be duplicates: deck, context and term, or deck and `id=`.
fn duplicate_key(card: &CardKey) -> Identity<'_> {
    match &card.pinned {
        None => identity_of(card),
        Some(id) => (&card.deck, "\u{0}pinned", id),
    }
}

/// Rule 4: of two cards with one identity, the one the lock knew (else the first)
/// keeps it; each other one gets a warning.
fn duplicate_warnings(cards: &[CardKey], claims: &Claims) -> Vec<Diagnostic> {
    if !may_have_duplicates(cards) {
        return Vec::new();
    }
    let groups = index_by(cards.iter().enumerate(), duplicate_key);
    let mut warnings: Vec<(usize, Diagnostic)> = Vec::new();
    for group in groups.values().filter(|g| g.len() > 1) {
        let knew = |c: &usize| matches!(claims.of_card[*c], Some((_, Claim::Exact)));
        let keeper = group.iter().copied().find(knew).unwrap_or(group[0]);
        let kept_at = &cards[keeper].location;
        for &c in group.iter().filter(|&&c| c != keeper) {
            warnings.push((c, duplicate_warning(&cards[c], kept_at)));
        }
    }
    warnings.sort_by_key(|(c, _)| *c);
    warnings.into_iter().map(|(_, d)| d).collect()
}

/// Whether two cards may share a duplicate key: a set of 64-bit hashes first, as
/// duplicates are rare (measured at 125k cards: grouping every card by its key added
/// 21 MiB to the peak and 30 ms).
fn may_have_duplicates(cards: &[CardKey]) -> bool {
    use std::hash::BuildHasher;
    let mut seen: HashSet<u64> = HashSet::with_capacity_and_hasher(cards.len(), Default::default());
    let hash = |card| rustc_hash::FxBuildHasher.hash_one(duplicate_key(card));
    cards.iter().any(|card| !seen.insert(hash(card)))
}

fn duplicate_warning(card: &CardKey, kept_at: &Location) -> Diagnostic {
    let message = match &card.pinned {
        None => format!(
            "`{}` is already a card at {kept_at} (same deck, same place, same term); this one gets its own id — rename one, or pin it with <!-- anki: id=… -->",
            card.term
        ),
        Some(id) => format!(
            "`id={id}` is already used at {kept_at}; ids must be unique within a deck, so this one gets its own id"
        ),
    };
    Diagnostic::warning(
        card.location.path.to_path_buf(),
        (card.location.line, card.location.col),
        "duplicate-card",
        message,
    )
}

/// `deck › context` (or just the deck), to say where a moved card was.
fn place(deck: &str, context: &str) -> String {
    if context.is_empty() {
        deck.to_string()
    } else {
        format!("{deck} › {context}")
    }
}

/// `count` distinct ids that no entry holds, in increasing order (so earlier cards get
/// smaller ids): at most `now_ms`, unless too few ids below it are free.
fn fresh_ids(now_ms: i64, count: usize, entries: &[Entry]) -> Vec<i64> {
    if count == 0 {
        return Vec::new();
    }
    let used: HashSet<i64> = entries
        .iter()
        .flat_map(|e| std::iter::once(e.note_id).chain(e.card_ids.iter().copied()))
        .collect();
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
