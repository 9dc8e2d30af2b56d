//! What the nudges domain keeps in the store, and the few helpers that read and write it.
//! Owns the record types (room nudges, personal reminders, parcours runs, posted messages,
//! ✅ reactions, silences) and their keys. Every key starts with the tenant or with a room id
//! (a room belongs to one tenant), so tenant isolation is structural. Only [`super::Nudges`]
//! and the scheduler write through these helpers, under the nudges lock. It does not decide when anything fires (`plan.rs`) nor send it (`scheduler.rs`).
//!
//! Trees:
//! - `nudges`: `{tenant}|{room id or user id}|{number:010}` → [`Nudge`] (room nudges `R7` and
//!   personal reminders `P3`; the place tells them apart: rooms start with `!`, users with `@`);
//! - `parcours_runs`: `{tenant}|{room id}|{number:010}` → [`Run`];
//! - `nudge_posts`: `{room id}|{event id}` → [`PostRef`] (what a posted message was about);
//! - `nudge_reactions`: `{room id}|{reaction event id}` → [`ReactionRef`] (to undo a ✅);
//! - `nudge_silences`: `{tenant}|{user id}` → end of the person's silence;
//! - `nudge_origins`: `{tenant}|{event id}` → the item an event created (replays find it);
//! - `nudge_dirty`: item keys changed by a command since the scheduler last looked.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::schedule::Schedule;
use crate::store::{Store, StoreError};

pub const NUDGES: &str = "nudges";
pub const RUNS: &str = "parcours_runs";
pub const POSTS: &str = "nudge_posts";
pub const REACTIONS: &str = "nudge_reactions";
pub const SILENCES: &str = "nudge_silences";
pub const DIRTY: &str = "nudge_dirty";

/// The next firing of an item: when the schedule says (`nominal`, which names the firing and
/// seeds its transaction id) and when it may actually go out (`due`, after quiet hours).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub nominal: DateTime<Utc>,
    pub due: DateTime<Utc>,
}

impl Slot {
    /// True when quiet hours (or a silence) pushed the firing later.
    pub fn moved(&self) -> bool {
        self.due != self.nominal
    }
}

/// Where a nudge goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Target {
    /// A team room: a coordinator's nudge (`R7`).
    Room { room_id: String },
    /// A person, by direct message: their own reminder (`P3`).
    Person { user_id: String },
}

impl Target {
    /// The room id or user id, as used in keys.
    pub fn place(&self) -> &str {
        match self {
            Target::Room { room_id } => room_id,
            Target::Person { user_id } => user_id,
        }
    }
}

/// What a nudge says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content {
    /// The coordinator's own words (escaped when posted).
    Text { text: String },
    /// A kit card: its title and "Essayer cette semaine" are posted.
    Card { id: String },
    /// A message the person asked to be reminded of (`!me-rappeler` in reply to it, or ⏰ on
    /// a nudge they received): an excerpt (escaped when posted) and a link to it.
    Message {
        excerpt: String,
        room_id: String,
        event_id: String,
    },
}

/// A room nudge or a personal reminder. `slot` is `Some` exactly when something is to fire:
/// a paused or finished nudge has none, so the scheduler's index needs nothing else.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Nudge {
    pub tenant: String,
    pub number: u64,
    pub target: Target,
    pub author: String,
    pub schedule: Schedule,
    pub content: Content,
    /// People the coordinator named (their MXIDs in the text): notified by `m.mentions`.
    #[serde(default)]
    pub mentions: Vec<String>,
    /// The coordinator wrote `@room`.
    #[serde(default)]
    pub mention_room: bool,
    pub created_at: DateTime<Utc>,
    /// Paused with no end date.
    #[serde(default)]
    pub paused: bool,
    /// Paused until this moment (firings before it are skipped).
    #[serde(default)]
    pub paused_until: Option<DateTime<Utc>>,
    pub slot: Option<Slot>,
    #[serde(default)]
    pub sent: u32,
}

impl Nudge {
    pub fn key(&self) -> String {
        item_key(&self.tenant, self.target.place(), self.number)
    }

    /// `R7` for a room nudge, `P3` for a personal reminder.
    pub fn label(&self) -> String {
        match self.target {
            Target::Room { .. } => format!("R{}", self.number),
            Target::Person { .. } => format!("P{}", self.number),
        }
    }

    /// The card the nudge is about, if any.
    pub fn card(&self) -> Option<&str> {
        match &self.content {
            Content::Card { id } => Some(id),
            Content::Text { .. } | Content::Message { .. } => None,
        }
    }
}

/// Where a parcours run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Active,
    Paused,
    /// Every step and the closing message were posted.
    Done,
    /// Stopped by a coordinator (kept for `!parcours etat` and `!bilan`).
    Stopped,
}

/// A step that was posted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostedStep {
    pub step: usize,
    pub at: DateTime<Utc>,
}

/// A ✅ (or ✔️, 👍) on a step post.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tick {
    pub step: usize,
    pub user: String,
    /// The reaction event, so that removing the reaction removes the tick.
    pub event_id: String,
    /// When the person reacted (the reaction's server time). Ticks recorded before this field
    /// have none: they count from their step's posting.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

/// A parcours followed by one room: one step posted at each firing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub tenant: String,
    pub room_id: String,
    pub number: u64,
    /// The parcours id in the kit.
    pub parcours: String,
    /// Its title when started (kept if the kit changes).
    pub title: String,
    pub steps: usize,
    pub schedule: Schedule,
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    pub state: RunState,
    pub slot: Option<Slot>,
    /// The step the next firing posts (0-based); `steps` means the closing message.
    pub next_step: usize,
    #[serde(default)]
    pub posted: Vec<PostedStep>,
    #[serde(default)]
    pub ticks: Vec<Tick>,
}

impl Run {
    pub fn key(&self) -> String {
        item_key(&self.tenant, &self.room_id, self.number)
    }

    /// Distinct people who ticked `step`, in the order they did.
    pub fn tickers(&self, step: usize) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for t in self.ticks.iter().filter(|t| t.step == step) {
            if !out.contains(&t.user.as_str()) {
                out.push(&t.user);
            }
        }
        out
    }

    /// Distinct (step, person) ticks: the adoption count.
    pub fn tick_count(&self) -> usize {
        (0..self.steps).map(|s| self.tickers(s).len()).sum()
    }

    pub fn is_running(&self) -> bool {
        matches!(self.state, RunState::Active | RunState::Paused)
    }
}

/// What a posted message was about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Posted {
    Nudge {
        number: u64,
    },
    Step {
        run: String,
        step: usize,
    },
    /// The "while I was away" summary, a closing message.
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostRef {
    pub tenant: String,
    pub posted: Posted,
    pub card: Option<String>,
    /// When it was queued (records from before this field have none and are kept).
    #[serde(default)]
    pub posted_at: Option<DateTime<Utc>>,
}

/// A ✅ reaction, by its own event id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactionRef {
    pub run: String,
    pub step: usize,
    pub user: String,
}

/// `{tenant}|{place}|{number:010}`: zero-padded so that keys sort by number.
pub fn item_key(tenant: &str, place: &str, number: u64) -> String {
    format!("{tenant}|{place}|{number:010}")
}

/// Which tree an indexed item lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemTree {
    Nudge,
    Run,
}

impl ItemTree {
    pub fn name(self) -> &'static str {
        match self {
            ItemTree::Nudge => NUDGES,
            ItemTree::Run => RUNS,
        }
    }

    fn tag(self) -> u8 {
        match self {
            ItemTree::Nudge => b'n',
            ItemTree::Run => b'r',
        }
    }

    fn from_tag(tag: u8) -> Option<ItemTree> {
        match tag {
            b'n' => Some(ItemTree::Nudge),
            b'r' => Some(ItemTree::Run),
            _ => None,
        }
    }
}

pub fn get_nudge(store: &Store, key: &str) -> Result<Option<Nudge>, StoreError> {
    store.get(NUDGES, key.as_bytes())
}

pub fn get_run(store: &Store, key: &str) -> Result<Option<Run>, StoreError> {
    store.get(RUNS, key.as_bytes())
}

/// Write a nudge and leave a mark for the scheduler's index (through [`super::Nudges`], which
/// flushes and wakes the scheduler).
pub fn save_nudge(store: &Store, nudge: &Nudge) -> Result<(), StoreError> {
    let key = nudge.key();
    store.put(NUDGES, key.as_bytes(), nudge)?;
    mark_dirty(store, ItemTree::Nudge, &key)
}

pub fn delete_nudge(store: &Store, nudge: &Nudge) -> Result<(), StoreError> {
    let key = nudge.key();
    store.remove(NUDGES, key.as_bytes())?;
    mark_dirty(store, ItemTree::Nudge, &key)
}

pub fn save_run(store: &Store, run: &Run) -> Result<(), StoreError> {
    let key = run.key();
    store.put(RUNS, key.as_bytes(), run)?;
    mark_dirty(store, ItemTree::Run, &key)
}

pub fn delete_run(store: &Store, run: &Run) -> Result<(), StoreError> {
    let key = run.key();
    store.remove(RUNS, key.as_bytes())?;
    mark_dirty(store, ItemTree::Run, &key)
}

fn mark_dirty(store: &Store, tree: ItemTree, key: &str) -> Result<(), StoreError> {
    let mut k = Vec::with_capacity(key.len() + 1);
    k.push(tree.tag());
    k.extend_from_slice(key.as_bytes());
    store.tree(DIRTY)?.insert(k, &[][..])?;
    Ok(())
}

/// Take every item marked dirty (each mark is removed before its record is read, so a change
/// made meanwhile leaves a new mark for the next round).
pub fn take_dirty(store: &Store) -> Result<Vec<(ItemTree, String)>, StoreError> {
    let tree = store.tree(DIRTY)?;
    let mut out = Vec::new();
    while let Some((key, _)) = tree.pop_min()? {
        let Some((&tag, rest)) = key.split_first() else {
            continue;
        };
        if let (Some(t), Ok(k)) = (ItemTree::from_tag(tag), std::str::from_utf8(rest)) {
            out.push((t, k.to_owned()));
        }
    }
    Ok(out)
}

/// Room nudges of a room (`place` = room id) or reminders of a person (`place` = user id).
pub fn nudges_of(store: &Store, tenant: &str, place: &str) -> Result<Vec<Nudge>, StoreError> {
    let prefix = format!("{tenant}|{place}|");
    Ok(store
        .scan_prefix::<Nudge>(NUDGES, prefix.as_bytes())?
        .into_iter()
        .map(|(_, n)| n)
        .collect())
}

/// Every room nudge of a tenant (personal reminders excluded).
pub fn room_nudges_of_tenant(store: &Store, tenant: &str) -> Result<Vec<Nudge>, StoreError> {
    let prefix = format!("{tenant}|!");
    Ok(store
        .scan_prefix::<Nudge>(NUDGES, prefix.as_bytes())?
        .into_iter()
        .map(|(_, n)| n)
        .collect())
}

/// The runs of a room, oldest first.
pub fn runs_of(store: &Store, tenant: &str, room_id: &str) -> Result<Vec<Run>, StoreError> {
    let prefix = format!("{tenant}|{room_id}|");
    Ok(store
        .scan_prefix::<Run>(RUNS, prefix.as_bytes())?
        .into_iter()
        .map(|(_, r)| r)
        .collect())
}

/// The room's current run (active or paused), else its latest one.
pub fn current_run(store: &Store, tenant: &str, room_id: &str) -> Result<Option<Run>, StoreError> {
    let runs = runs_of(store, tenant, room_id)?;
    let running = runs.iter().rposition(Run::is_running);
    Ok(match running {
        Some(i) => runs.into_iter().nth(i),
        None => runs.into_iter().last(),
    })
}

/// When the person's silence ends, if they are silenced at `now`.
pub fn silenced_until(
    store: &Store,
    tenant: &str,
    user: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let key = format!("{tenant}|{user}");
    Ok(store
        .get::<DateTime<Utc>>(SILENCES, key.as_bytes())?
        .filter(|until| *until > now))
}

pub fn set_silence(
    store: &Store,
    tenant: &str,
    user: &str,
    until: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    let key = format!("{tenant}|{user}");
    match until {
        Some(until) => store.put(SILENCES, key.as_bytes(), &until),
        None => store.remove(SILENCES, key.as_bytes()).map(|_| ()),
    }
}

/// `R7`, `r7`, `7` → 7 (with `prefix` 'R'); anything else → None.
pub fn parse_label(word: &str, prefix: char) -> Option<u64> {
    let w = word.trim().trim_start_matches('#');
    let digits = match w.chars().next() {
        Some(c) if c.eq_ignore_ascii_case(&prefix) => &w[c.len_utf8()..],
        _ => w,
    };
    if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse_with_or_without_their_letter() {
        struct Case {
            input: &'static str,
            expected: Option<u64>,
        }
        let cases = [
            Case {
                input: "R7",
                expected: Some(7),
            },
            Case {
                input: "r12",
                expected: Some(12),
            },
            Case {
                input: "7",
                expected: Some(7),
            },
            Case {
                input: "#R3",
                expected: Some(3),
            },
            Case {
                input: "P3",
                expected: None,
            },
            Case {
                input: "R",
                expected: None,
            },
            Case {
                input: "R7x",
                expected: None,
            },
            Case {
                input: "R99999999999999",
                expected: None,
            },
        ];
        for c in cases {
            assert_eq!(parse_label(c.input, 'R'), c.expected, "{}", c.input);
        }
    }

    #[test]
    fn dirty_marks_are_taken_once() {
        let store = Store::temporary().expect("store");
        mark_dirty(&store, ItemTree::Nudge, "demo|!r|0000000001").expect("mark");
        mark_dirty(&store, ItemTree::Run, "demo|!r|0000000002").expect("mark");
        mark_dirty(&store, ItemTree::Nudge, "demo|!r|0000000001").expect("mark");
        let taken = take_dirty(&store).expect("take");
        assert_eq!(taken.len(), 2);
        assert!(take_dirty(&store).expect("take").is_empty());
    }
}
