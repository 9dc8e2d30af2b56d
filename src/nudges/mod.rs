//! Nudges: reminders and adoption paths ("parcours") that coordinators schedule in plain French,
//! personal reminders, and the scheduler task that posts them. Everything lives in the store and
//! survives restarts.
//!
//! [`Nudges`] is the one door to that data, and it keeps the rules itself: every change takes
//! its lock, is written, flushed to disk and then wakes the scheduler, inside its own methods,
//! so no caller can forget a step. Creations are keyed by the event that asked for them: the
//! same command handled twice (a replay after a crash) finds its nudge instead of making a
//! second one.
//!
//! Files: `model.rs` (records, keys, store helpers), `plan.rs` (when things fire: quiet hours,
//! catching up after downtime; pure), `adoption.rs` (✅ per step, per day or per period, for
//! charts and reports; pure), `scheduler.rs` (the one task that sleeps until the next
//! firing and queues what is due in the outbox), `render.rs` (the text of a nudge). The chat
//! commands are in `commands/nudges/` and `commands/parcours.rs`; every French sentence in
//! `strings::nudges`.

pub mod adoption;
pub mod model;
pub mod plan;
mod render;
pub mod scheduler;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use crate::store::{Change, Store, StoreError};

use model::{
    Nudge, PostRef, Posted, ReactionRef, Run, RunState, Target, Tick, POSTS, REACTIONS,
    SILENCES as SILENCES_TREE,
};
pub use scheduler::{Index, SchedulerEnv};

/// The text a nudge is posted with (for tests of what reaches a room).
#[cfg(test)]
pub fn render_for_tests(kit: &crate::kit::Kit, nudge: &Nudge) -> String {
    render::nudge_text(kit, nudge)
}

/// Creations already made, by the event that asked: `{tenant}|{event id}` → item key.
const ORIGINS: &str = "nudge_origins";
/// Origins of parcours runs are tagged (a run and a nudge of one room share their key shape);
/// untagged values, nudges or runs from before the tag, are read as either.
const RUN_ORIGIN: &str = "r:";

fn run_origin_key(value: &str) -> &str {
    value.strip_prefix(RUN_ORIGIN).unwrap_or(value)
}
/// How long what a post was about is remembered (✅ on a step, replies in its thread): longer
/// than any parcours.
pub const POSTS_KEPT_DAYS: i64 = 400;

/// What [`Nudges::prune`] removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub posts: usize,
    pub silences: usize,
    pub origins: usize,
}

/// A cheap clonable handle on the nudges, parcours runs, silences and ✅ ticks.
#[derive(Clone, Debug)]
pub struct Nudges {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    /// Commands and the scheduler both read-modify-write records; each such short, synchronous
    /// sequence holds this lock (never across an `.await`).
    writes: Mutex<()>,
    /// Woken after every change, so the scheduler recomputes its next due time.
    changed: Notify,
}

/// What [`Nudges::create`] and [`Nudges::start_run`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Created<T> {
    pub item: T,
    /// The event had created it already (a replay): nothing new was made.
    pub replayed: bool,
}

/// What an update found.
#[derive(Debug, Clone, PartialEq)]
pub enum Updated<T, A> {
    /// Changed, saved and flushed.
    Saved(T),
    /// The change refused, with this answer; nothing was written.
    Refused(A),
    /// No such record.
    Missing,
}

/// What a room's suspension paused (or its return resumed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suspended {
    /// (label, author) of each room nudge.
    pub nudges: Vec<(String, String)>,
    /// (title, started by) of the parcours.
    pub parcours: Option<(String, String)>,
}

impl Suspended {
    pub fn is_empty(&self) -> bool {
        self.nudges.is_empty() && self.parcours.is_none()
    }
}

/// `{tenant}|{room id}` → keys of the items paused when the room left (resumed on return).
pub const SUSPENDED: &str = "nudge_suspended";

/// What the nudges domain keeps about one person in one Mission Locale.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonalNudges {
    /// Their personal reminders (`P…`), with their text.
    pub reminders: Vec<Nudge>,
    /// Room nudges (`R…`) they created.
    pub authored: Vec<Nudge>,
    /// Their silence, if one was set (even ended).
    pub silence_until: Option<DateTime<Utc>>,
    /// Their ✅ on parcours steps: (parcours title, step number from 1).
    pub ticks: Vec<(String, usize)>,
    /// Titles of the parcours they started.
    pub runs_started: Vec<String>,
}

impl PersonalNudges {
    pub fn is_nothing(&self) -> bool {
        self.reminders.is_empty()
            && self.authored.is_empty()
            && self.silence_until.is_none()
            && self.ticks.is_empty()
            && self.runs_started.is_empty()
    }
}

impl Nudges {
    pub fn new(store: Store) -> Nudges {
        Nudges {
            inner: Arc::new(Inner {
                store,
                writes: Mutex::new(()),
                changed: Notify::new(),
            }),
        }
    }

    fn store(&self) -> &Store {
        &self.inner.store
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        self.inner.writes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Start a change, under the write lock and before its first write: `undo` puts things
    /// back as they were. A change dropped before [`Nudges::commit`] (a write failed) is undone
    /// there, still under the lock.
    fn begin(
        &self,
        what: &'static str,
        undo: impl Fn(&Store) -> Result<(), StoreError> + Send + Sync + 'static,
    ) -> Change {
        self.store().change(what, undo)
    }

    /// Write to disk, then tell the scheduler. When the write cannot reach the disk, the
    /// change is undone under the write lock (now, or once the store works again): what the
    /// caller reports as failed did not happen.
    async fn commit(&self, mut change: Change) -> Result<(), StoreError> {
        if let Err(err) = change.try_commit().await {
            {
                let _guard = self.lock();
                drop(change);
            }
            self.inner.changed.notify_one();
            return Err(err);
        }
        self.inner.changed.notify_one();
        Ok(())
    }

    /// Wait until something changed (the scheduler's wake-up).
    pub async fn changed(&self) {
        self.inner.changed.notified().await;
    }

    // ----- reading -----------------------------------------------------------------------

    pub fn get(&self, key: &str) -> Result<Option<Nudge>, StoreError> {
        model::get_nudge(self.store(), key)
    }

    /// Room nudges of a room (`place` = room id) or reminders of a person (`place` = user id).
    pub fn of_place(&self, tenant: &str, place: &str) -> Result<Vec<Nudge>, StoreError> {
        model::nudges_of(self.store(), tenant, place)
    }

    /// Every room nudge of a tenant (personal reminders excluded).
    pub fn room_nudges_of_tenant(&self, tenant: &str) -> Result<Vec<Nudge>, StoreError> {
        model::room_nudges_of_tenant(self.store(), tenant)
    }

    /// Everything the nudges domain keeps about `user` in `tenant` (for `!mes-donnees`).
    pub fn personal_data(&self, tenant: &str, user: &str) -> Result<PersonalNudges, StoreError> {
        let store = self.store();
        let reminders = model::nudges_of(store, tenant, user)?;
        let authored: Vec<Nudge> = model::room_nudges_of_tenant(store, tenant)?
            .into_iter()
            .filter(|n| n.author == user)
            .collect();
        let silence_until =
            store.get::<DateTime<Utc>>(SILENCES_TREE, format!("{tenant}|{user}").as_bytes())?;
        let mut ticks = Vec::new();
        let mut runs_started = Vec::new();
        let prefix = format!("{tenant}|");
        for (_, run) in store.scan_prefix::<Run>(model::RUNS, prefix.as_bytes())? {
            for tick in run.ticks.iter().filter(|t| t.user == user) {
                ticks.push((run.title.clone(), tick.step + 1));
            }
            if run.started_by == user {
                runs_started.push(run.title.clone());
            }
        }
        Ok(PersonalNudges {
            reminders,
            authored,
            silence_until,
            ticks,
            runs_started,
        })
    }

    /// Erase what the nudges domain keeps about `user` in `tenant`: their personal reminders,
    /// their silence and their ✅ ticks go; the room nudges and parcours they created stay for
    /// the team, without their name. Written and flushed (undone if the flush fails).
    pub async fn forget_person(
        &self,
        tenant: &str,
        user: &str,
    ) -> Result<PersonalNudges, StoreError> {
        let (before, change) = {
            let _guard = self.lock();
            let store = self.store();
            let before = self.personal_data(tenant, user)?;
            // Everything that changes is read first, then the way back is set up, then it is
            // written: a write that fails half-way is undone like a failed flush.
            let old_nudges: Vec<Nudge> = before
                .reminders
                .iter()
                .chain(&before.authored)
                .cloned()
                .collect();
            let prefix = format!("{tenant}|");
            let old_runs: Vec<Run> = store
                .scan_prefix::<Run>(model::RUNS, prefix.as_bytes())?
                .into_iter()
                .map(|(_, run)| run)
                .filter(|run| run.started_by == user || run.ticks.iter().any(|t| t.user == user))
                .collect();
            let old_reactions: Vec<(Vec<u8>, ReactionRef)> = store
                .scan_prefix::<ReactionRef>(REACTIONS, b"")?
                .into_iter()
                .filter(|(_, reaction)| {
                    reaction.user == user && old_runs.iter().any(|r| r.key() == reaction.run)
                })
                .collect();
            // The events that created their reminders point to them by key (with their id).
            let reminder_prefix = format!("{tenant}|{user}|");
            let old_origins: Vec<(Vec<u8>, String)> = store
                .scan_prefix::<String>(ORIGINS, prefix.as_bytes())?
                .into_iter()
                .filter(|(_, item)| item.starts_with(&reminder_prefix))
                .collect();
            let silence_key = format!("{tenant}|{user}");
            let old_silence = store
                .get::<DateTime<Utc>>(SILENCES_TREE, silence_key.as_bytes())?
                .map(|s| (silence_key.clone(), s));
            if old_nudges.is_empty()
                && old_runs.is_empty()
                && old_reactions.is_empty()
                && old_silence.is_none()
                && old_origins.is_empty()
            {
                return Ok(before);
            }
            let change = {
                let (nudges, runs, reactions, origins, silence) = (
                    old_nudges.clone(),
                    old_runs.clone(),
                    old_reactions.clone(),
                    old_origins.clone(),
                    old_silence.clone(),
                );
                self.begin("person forgotten (nudges)", move |store| {
                    for nudge in &nudges {
                        model::save_nudge(store, nudge)?;
                    }
                    for run in &runs {
                        model::save_run(store, run)?;
                    }
                    for (key, reaction) in &reactions {
                        store.put(REACTIONS, key, reaction)?;
                    }
                    if let Some((key, until)) = &silence {
                        store.put(SILENCES_TREE, key.as_bytes(), until)?;
                    }
                    for (key, item) in &origins {
                        store.put(ORIGINS, key, item)?;
                    }
                    Ok(())
                })
            };
            for nudge in &before.reminders {
                model::delete_nudge(store, nudge)?;
            }
            for nudge in &before.authored {
                let mut anonymous = nudge.clone();
                anonymous.author = String::new();
                model::save_nudge(store, &anonymous)?;
            }
            for run in &old_runs {
                let mut changed = run.clone();
                changed.ticks.retain(|t| t.user != user);
                if changed.started_by == user {
                    changed.started_by = String::new();
                }
                model::save_run(store, &changed)?;
            }
            for (key, _) in &old_reactions {
                store.remove(REACTIONS, key)?;
            }
            for (key, _) in &old_origins {
                store.remove(ORIGINS, key)?;
            }
            store.remove(SILENCES_TREE, silence_key.as_bytes())?;
            (before, change)
        };
        self.commit(change).await?;
        Ok(before)
    }

    /// The rooms where something of `tenant` is due to fire (a nudge or an active parcours).
    pub fn live_rooms(&self, tenant: &str) -> Result<Vec<String>, StoreError> {
        let mut rooms: Vec<String> = model::room_nudges_of_tenant(self.store(), tenant)?
            .into_iter()
            .filter(|n| n.slot.is_some())
            .map(|n| n.target.place().to_owned())
            .collect();
        let prefix = format!("{tenant}|!");
        for (_, run) in self
            .store()
            .scan_prefix::<Run>(model::RUNS, prefix.as_bytes())?
        {
            if run.state == RunState::Active {
                rooms.push(run.room_id);
            }
        }
        rooms.sort();
        rooms.dedup();
        Ok(rooms)
    }

    /// The room's current run (active or paused), else its latest one.
    pub fn current_run(&self, tenant: &str, room_id: &str) -> Result<Option<Run>, StoreError> {
        model::current_run(self.store(), tenant, room_id)
    }

    /// When the person's silence ends, if they are silenced at `now`.
    pub fn silenced_until(
        &self,
        tenant: &str,
        user: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        model::silenced_until(self.store(), tenant, user, now)
    }

    /// The card a posted nudge or parcours step was about, by the event id of the post.
    pub fn card_of_post(&self, room_id: &str, event_id: &str) -> Option<String> {
        let key = format!("{room_id}|{event_id}");
        match self.store().get::<PostRef>(POSTS, key.as_bytes()) {
            Ok(post) => post.and_then(|p| p.card),
            Err(err) => {
                tracing::error!(cause = %err, "could not read a posted nudge");
                None
            }
        }
    }

    /// Adoption figures of a Mission Locale's parcours, one line per parcours (all rooms
    /// added): (parcours title, steps posted, ✅ reactions — one per person and step).
    pub fn adoption_figures(&self, tenant: &str) -> Vec<(String, usize, usize)> {
        let prefix = format!("{tenant}|");
        let runs = match self
            .store()
            .scan_prefix::<Run>(model::RUNS, prefix.as_bytes())
        {
            Ok(runs) => runs,
            Err(err) => {
                tracing::error!(cause = %err, "could not read the parcours runs");
                return Vec::new();
            }
        };
        let mut by_parcours: BTreeMap<String, (String, usize, usize)> = BTreeMap::new();
        for (_, run) in runs {
            let entry = by_parcours
                .entry(run.parcours.clone())
                .or_insert_with(|| (run.title.clone(), 0, 0));
            entry.1 += run.posted.len();
            entry.2 += run.tick_count();
        }
        by_parcours.into_values().collect()
    }

    /// Every parcours run of a Mission Locale (all rooms, running or not).
    pub fn runs_of_tenant(&self, tenant: &str) -> Result<Vec<Run>, StoreError> {
        let prefix = format!("{tenant}|");
        Ok(self
            .store()
            .scan_prefix::<Run>(model::RUNS, prefix.as_bytes())?
            .into_iter()
            .map(|(_, run)| run)
            .collect())
    }

    /// What a Mission Locale's rooms received from the scheduler (room nudges, parcours steps,
    /// closing messages), with when, as remembered for [`POSTS_KEPT_DAYS`]. Personal reminders
    /// are not in it. Reads the whole tree: for reports, not for chat.
    pub fn sent_posts(&self, tenant: &str) -> Result<Vec<(DateTime<Utc>, Posted)>, StoreError> {
        Ok(self
            .store()
            .scan_prefix::<PostRef>(POSTS, b"")?
            .into_iter()
            .filter(|(_, post)| post.tenant == tenant)
            .filter_map(|(_, post)| post.posted_at.map(|at| (at, post.posted)))
            .collect())
    }

    /// Parcours steps a Mission Locale's rooms got in `[from, to)`: (parcours title, step
    /// number from 1, distinct people who ticked it so far), oldest first.
    pub fn steps_posted(
        &self,
        tenant: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(String, usize, usize)>, StoreError> {
        let prefix = format!("{tenant}|");
        let mut out: Vec<(DateTime<Utc>, String, usize, usize)> = Vec::new();
        for (_, run) in self
            .store()
            .scan_prefix::<Run>(model::RUNS, prefix.as_bytes())?
        {
            for posted in run.posted.iter().filter(|p| p.at >= from && p.at < to) {
                out.push((
                    posted.at,
                    run.title.clone(),
                    posted.step + 1,
                    run.tickers(posted.step).len(),
                ));
            }
        }
        out.sort_by_key(|(at, ..)| *at);
        Ok(out.into_iter().map(|(_, t, s, n)| (t, s, n)).collect())
    }

    // ----- changing ----------------------------------------------------------------------

    /// Save a new nudge asked for by the event `origin`; its number is given here. When the
    /// event created one already (a replay), that one is returned and nothing is written.
    pub async fn create(&self, origin: &str, nudge: Nudge) -> Result<Created<Nudge>, StoreError> {
        let counter = match nudge.target {
            Target::Room { .. } => format!("nudge:{}", nudge.tenant),
            Target::Person { .. } => format!("reminder:{}", nudge.tenant),
        };
        let origin_key = format!("{}|{origin}", nudge.tenant);
        let created = {
            let _guard = self.lock();
            let known = self.store().get::<String>(ORIGINS, origin_key.as_bytes())?;
            match known.map(|key| self.get(&key)).transpose()?.flatten() {
                Some(existing) => (
                    Created {
                        item: existing,
                        replayed: true,
                    },
                    None,
                ),
                None => {
                    let nudge = Nudge {
                        number: self.store().next_number(&counter)?,
                        ..nudge
                    };
                    let (back, origin) = (nudge.clone(), origin_key.clone());
                    let change = self.begin("nudge created", move |store| {
                        model::delete_nudge(store, &back)?;
                        store.remove(ORIGINS, origin.as_bytes()).map(|_| ())
                    });
                    model::save_nudge(self.store(), &nudge)?;
                    self.store()
                        .put(ORIGINS, origin_key.as_bytes(), &nudge.key())?;
                    (
                        Created {
                            item: nudge,
                            replayed: false,
                        },
                        Some(change),
                    )
                }
            }
        };
        let (created, change) = created;
        if let Some(change) = change {
            self.commit(change).await?;
        }
        Ok(created)
    }

    /// Re-read the nudge `key`, change it and save it. `change` returns `Some(answer)` to
    /// refuse (nothing is written).
    pub async fn update<A>(
        &self,
        key: &str,
        change: impl FnOnce(&mut Nudge) -> Option<A>,
    ) -> Result<Updated<Nudge, A>, StoreError> {
        let (change, nudge) = {
            let _guard = self.lock();
            let Some(mut nudge) = self.get(key)? else {
                return Ok(Updated::Missing);
            };
            let old = nudge.clone();
            if let Some(answer) = change(&mut nudge) {
                return Ok(Updated::Refused(answer));
            }
            let change = self.begin("nudge changed", move |store| model::save_nudge(store, &old));
            model::save_nudge(self.store(), &nudge)?;
            (change, nudge)
        };
        self.commit(change).await?;
        Ok(Updated::Saved(nudge))
    }

    /// The nudge or reminder the event `origin` created in `tenant`, if it still exists (a
    /// parcours run is not a nudge: `None`).
    pub fn created_by(&self, tenant: &str, origin: &str) -> Result<Option<Nudge>, StoreError> {
        let Some(item) = self
            .store()
            .get::<String>(ORIGINS, format!("{tenant}|{origin}").as_bytes())?
        else {
            return Ok(None);
        };
        if item.starts_with(RUN_ORIGIN) {
            return Ok(None);
        }
        self.get(&item)
    }

    /// Delete the nudge `key`; the deleted record, if there was one.
    pub async fn remove(&self, key: &str) -> Result<Option<Nudge>, StoreError> {
        let removed = {
            let _guard = self.lock();
            let Some(nudge) = self.get(key)? else {
                return Ok(None);
            };
            let back = nudge.clone();
            let change = self.begin("nudge removed", move |store| {
                model::save_nudge(store, &back)
            });
            model::delete_nudge(self.store(), &nudge)?;
            (change, nudge)
        };
        let (change, removed) = removed;
        self.commit(change).await?;
        Ok(Some(removed))
    }

    /// Start a parcours run in its room, asked for by the event `origin`, unless one is already
    /// running there (then `Err` with that run). A replay returns the run the event started.
    pub async fn start_run(
        &self,
        origin: &str,
        run: Run,
    ) -> Result<Result<Created<Run>, Run>, StoreError> {
        let origin_key = format!("{}|{origin}", run.tenant);
        let created = {
            let _guard = self.lock();
            let known = self.store().get::<String>(ORIGINS, origin_key.as_bytes())?;
            if let Some(existing) = known
                .map(|key| model::get_run(self.store(), run_origin_key(&key)))
                .transpose()?
                .flatten()
            {
                return Ok(Ok(Created {
                    item: existing,
                    replayed: true,
                }));
            }
            if let Some(running) =
                model::current_run(self.store(), &run.tenant, &run.room_id)?.filter(Run::is_running)
            {
                return Ok(Err(running));
            }
            let run = Run {
                number: self
                    .store()
                    .next_number(&format!("parcours:{}", run.tenant))?,
                ..run
            };
            let (back, origin) = (run.clone(), origin_key.clone());
            let change = self.begin("parcours started", move |store| {
                model::delete_run(store, &back)?;
                store.remove(ORIGINS, origin.as_bytes()).map(|_| ())
            });
            model::save_run(self.store(), &run)?;
            self.store().put(
                ORIGINS,
                origin_key.as_bytes(),
                &format!("{RUN_ORIGIN}{}", run.key()),
            )?;
            (change, run)
        };
        let (change, created) = created;
        self.commit(change).await?;
        Ok(Ok(Created {
            item: created,
            replayed: false,
        }))
    }

    /// Change the room's running parcours (active or paused). `change` returns the answer to
    /// give, `Err` to refuse (nothing is written).
    pub async fn update_running(
        &self,
        tenant: &str,
        room_id: &str,
        change: impl FnOnce(&mut Run) -> Result<String, String>,
    ) -> Result<Updated<String, String>, StoreError> {
        let (change, answer) = {
            let _guard = self.lock();
            let Some(mut run) =
                model::current_run(self.store(), tenant, room_id)?.filter(Run::is_running)
            else {
                return Ok(Updated::Missing);
            };
            let old = run.clone();
            match change(&mut run) {
                Ok(answer) => {
                    let change = self.begin("parcours changed", move |store| {
                        model::save_run(store, &old)
                    });
                    model::save_run(self.store(), &run)?;
                    (change, answer)
                }
                Err(answer) => return Ok(Updated::Refused(answer)),
            }
        };
        self.commit(change).await?;
        Ok(Updated::Saved(answer))
    }

    /// The room stopped belonging to `tenant` (it left the Mission Locale's Space, or the bot
    /// was removed from it): its nudges and its running parcours are paused, so nothing of
    /// that Mission Locale goes there any more, and what was paused is remembered so that
    /// [`Nudges::resume_room`] restarts exactly that when the room comes back. Nothing written
    /// when there is nothing to pause.
    pub async fn suspend_room(&self, tenant: &str, room_id: &str) -> Result<Suspended, StoreError> {
        let record_key = format!("{tenant}|{room_id}");
        let (change, old_nudges, old_run) = {
            let _guard = self.lock();
            let old_nudges: Vec<Nudge> = model::nudges_of(self.store(), tenant, room_id)?
                .into_iter()
                .filter(|n| !(n.paused && n.slot.is_none()))
                .collect();
            let old_run = model::current_run(self.store(), tenant, room_id)?
                .filter(|r| r.state == RunState::Active);
            if old_nudges.is_empty() && old_run.is_none() {
                return Ok(Suspended::default());
            }
            let old_record = self
                .store()
                .get::<Vec<String>>(SUSPENDED, record_key.as_bytes())?;
            let change = {
                let (nudges, run, record, key) = (
                    old_nudges.clone(),
                    old_run.clone(),
                    old_record.clone(),
                    record_key.clone(),
                );
                self.begin("room suspended", move |store| {
                    for nudge in &nudges {
                        model::save_nudge(store, nudge)?;
                    }
                    if let Some(run) = &run {
                        model::save_run(store, run)?;
                    }
                    match &record {
                        Some(keys) => store.put(SUSPENDED, key.as_bytes(), keys),
                        None => store.remove(SUSPENDED, key.as_bytes()).map(|_| ()),
                    }
                })
            };
            for nudge in &old_nudges {
                let mut paused = nudge.clone();
                paused.paused = true;
                paused.paused_until = None;
                paused.slot = None;
                model::save_nudge(self.store(), &paused)?;
            }
            if let Some(run) = &old_run {
                let mut paused = run.clone();
                paused.state = RunState::Paused;
                paused.slot = None;
                model::save_run(self.store(), &paused)?;
            }
            let mut keys = old_record.unwrap_or_default();
            // Tagged: a nudge and a run of one room share their key shape.
            keys.extend(old_nudges.iter().map(|n| format!("n:{}", n.key())));
            keys.extend(old_run.iter().map(|r| format!("r:{}", r.key())));
            self.store().put(SUSPENDED, record_key.as_bytes(), &keys)?;
            (change, old_nudges, old_run)
        };
        let suspended = Suspended {
            nudges: old_nudges
                .iter()
                .map(|n| (n.label(), n.author.clone()))
                .collect(),
            parcours: old_run
                .as_ref()
                .map(|r| (r.title.clone(), r.started_by.clone())),
        };
        self.commit(change).await?;
        Ok(suspended)
    }

    /// The room is back in `tenant` (the bot re-invited, the room back in the Space): what
    /// [`Nudges::suspend_room`] paused resumes from now (a one-off whose time passed stays
    /// paused). Returns the labels of the nudges and the title of the parcours resumed.
    pub async fn resume_room(
        &self,
        tenant: &str,
        room_id: &str,
        tz: chrono_tz::Tz,
        quiet: &crate::schedule::QuietRules,
        now: DateTime<Utc>,
    ) -> Result<Suspended, StoreError> {
        let record_key = format!("{tenant}|{room_id}");
        let quiet = plan::rules(quiet);
        let (resumed, change) = {
            let _guard = self.lock();
            let Some(keys) = self
                .store()
                .get::<Vec<String>>(SUSPENDED, record_key.as_bytes())?
            else {
                return Ok(Suspended::default());
            };
            let mut resumed = Suspended::default();
            // (before, after) of each item that resumes; written once the way back is set.
            let (mut nudges, mut run_change) = (Vec::new(), None);
            for tagged in &keys {
                let (nudge_key, run_key) = match tagged.split_at_checked(2) {
                    Some(("n:", key)) => (Some(key), None),
                    Some(("r:", key)) => (None, Some(key)),
                    _ => (None, None),
                };
                if let Some(nudge) = nudge_key
                    .map(|k| model::get_nudge(self.store(), k))
                    .transpose()?
                    .flatten()
                {
                    if !nudge.paused {
                        continue;
                    }
                    let Some(slot) = plan::slot_after(&nudge.schedule, tz, quiet, now) else {
                        continue;
                    };
                    let mut after = nudge.clone();
                    after.paused = false;
                    after.slot = Some(slot);
                    resumed.nudges.push((after.label(), after.author.clone()));
                    nudges.push((nudge, after));
                } else if let Some(run) = run_key
                    .map(|k| model::get_run(self.store(), k))
                    .transpose()?
                    .flatten()
                {
                    if run.state != RunState::Paused {
                        continue;
                    }
                    let mut after = run.clone();
                    after.state = RunState::Active;
                    after.slot = plan::slot_after(&run.schedule, tz, quiet, now);
                    resumed.parcours = Some((after.title.clone(), after.started_by.clone()));
                    run_change = Some((run, after));
                }
            }
            let change = {
                let old_nudges: Vec<Nudge> = nudges.iter().map(|(old, _)| old.clone()).collect();
                let old_run = run_change.as_ref().map(|(old, _)| old.clone());
                let (keys, record_key) = (keys.clone(), record_key.clone());
                self.begin("room resumed", move |store| {
                    for nudge in &old_nudges {
                        model::save_nudge(store, nudge)?;
                    }
                    if let Some(run) = &old_run {
                        model::save_run(store, run)?;
                    }
                    store.put(SUSPENDED, record_key.as_bytes(), &keys)
                })
            };
            for (_, after) in &nudges {
                model::save_nudge(self.store(), after)?;
            }
            if let Some((_, after)) = &run_change {
                model::save_run(self.store(), after)?;
            }
            self.store().remove(SUSPENDED, record_key.as_bytes())?;
            (resumed, change)
        };
        self.commit(change).await?;
        Ok(resumed)
    }

    /// The room `old` was replaced by `new` (a room upgrade): its nudges and parcours runs
    /// move there, with their schedule and state. Written and flushed (undone if the flush
    /// fails). Returns (nudges, parcours runs) moved.
    pub async fn move_room(
        &self,
        tenant: &str,
        old: &str,
        new: &str,
    ) -> Result<(usize, usize), StoreError> {
        let (change, counts) = {
            let _guard = self.lock();
            let store = self.store();
            let nudges = model::nudges_of(store, tenant, old)?;
            let runs = model::runs_of(store, tenant, old)?;
            let (old_key, new_key) = (format!("{tenant}|{old}"), format!("{tenant}|{new}"));
            let suspended = store.get::<Vec<String>>(SUSPENDED, old_key.as_bytes())?;
            let counts = (nudges.len(), runs.len());
            if counts == (0, 0) && suspended.is_none() {
                return Ok(counts);
            }
            let before_new = store.get::<Vec<String>>(SUSPENDED, new_key.as_bytes())?;
            let change = {
                let (nudges, runs, new_room) = (nudges.clone(), runs.clone(), new.to_owned());
                let (suspended, old_key, new_key) =
                    (suspended.clone(), old_key.clone(), new_key.clone());
                self.begin("room moved", move |store| {
                    for nudge in &nudges {
                        let mut moved = nudge.clone();
                        moved.target = Target::Room {
                            room_id: new_room.clone(),
                        };
                        model::delete_nudge(store, &moved)?;
                        model::save_nudge(store, nudge)?;
                    }
                    for run in &runs {
                        let mut moved = run.clone();
                        moved.room_id = new_room.clone();
                        model::delete_run(store, &moved)?;
                        model::save_run(store, run)?;
                    }
                    if let Some(keys) = &suspended {
                        store.put(SUSPENDED, old_key.as_bytes(), keys)?;
                        match &before_new {
                            Some(keys) => store.put(SUSPENDED, new_key.as_bytes(), keys)?,
                            None => {
                                store.remove(SUSPENDED, new_key.as_bytes())?;
                            }
                        }
                    }
                    Ok(())
                })
            };
            for nudge in &nudges {
                let mut moved = nudge.clone();
                moved.target = Target::Room {
                    room_id: new.to_owned(),
                };
                model::delete_nudge(store, nudge)?;
                model::save_nudge(store, &moved)?;
            }
            for run in &runs {
                let mut moved = run.clone();
                moved.room_id = new.to_owned();
                model::delete_run(store, run)?;
                model::save_run(store, &moved)?;
            }
            if let Some(keys) = &suspended {
                let moved: Vec<String> = keys.iter().map(|k| k.replace(old, new)).collect();
                store.put(SUSPENDED, new_key.as_bytes(), &moved)?;
                store.remove(SUSPENDED, old_key.as_bytes())?;
            }
            (change, counts)
        };
        self.commit(change).await?;
        Ok(counts)
    }

    /// Silence the nudges addressed to a person until `until` (`None` ends the silence).
    pub async fn set_silence(
        &self,
        tenant: &str,
        user: &str,
        until: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let change = {
            let _guard = self.lock();
            let old = self
                .store()
                .get::<DateTime<Utc>>(model::SILENCES, format!("{tenant}|{user}").as_bytes())?;
            let (back_tenant, back_user) = (tenant.to_owned(), user.to_owned());
            let change = self.begin("silence changed", move |store| {
                model::set_silence(store, &back_tenant, &back_user, old)
            });
            model::set_silence(self.store(), tenant, user, until)?;
            change
        };
        self.commit(change).await
    }

    /// A ✅ (`reaction_id`) by `user` on the post `target` in `room_id`, sent `at`: when the
    /// post is a parcours step of `tenant`, the person is counted as having tried it. Not
    /// flushed: nobody is told, and a tick lost in a crash is one reaction to add again.
    pub fn add_tick(
        &self,
        tenant: &str,
        room_id: &str,
        user: &str,
        reaction_id: &str,
        target: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let store = self.store();
        let post_key = format!("{room_id}|{target}");
        let Some(post) = store.get::<PostRef>(POSTS, post_key.as_bytes())? else {
            return Ok(());
        };
        let Posted::Step { run, step } = post.posted else {
            return Ok(());
        };
        if post.tenant != tenant {
            return Ok(());
        }
        let _guard = self.lock();
        let Some(mut record) = model::get_run(store, &run)? else {
            return Ok(());
        };
        if record.ticks.iter().any(|t| t.event_id == reaction_id) {
            return Ok(());
        }
        record.ticks.push(Tick {
            step,
            user: user.to_owned(),
            event_id: reaction_id.to_owned(),
            at: Some(at),
        });
        store.put(model::RUNS, run.as_bytes(), &record)?;
        let reaction_key = format!("{room_id}|{reaction_id}");
        store.put(
            REACTIONS,
            reaction_key.as_bytes(),
            &ReactionRef {
                run,
                step,
                user: user.to_owned(),
            },
        )
    }

    /// The reaction `reaction_id` in `room_id` was removed by `by` (a moderator when
    /// `by_moderator`): its tick goes too, when it was that person's own reaction or a
    /// moderator's deletion.
    pub fn remove_tick(
        &self,
        room_id: &str,
        reaction_id: &str,
        by: &str,
        by_moderator: bool,
    ) -> Result<(), StoreError> {
        let store = self.store();
        let reaction_key = format!("{room_id}|{reaction_id}");
        let Some(reaction) = store.get::<ReactionRef>(REACTIONS, reaction_key.as_bytes())? else {
            return Ok(());
        };
        if reaction.user != by && !by_moderator {
            tracing::info!("a deletion of someone else's reaction by a non-moderator is ignored");
            return Ok(());
        }
        let _guard = self.lock();
        if let Some(mut record) = model::get_run(store, &reaction.run)? {
            record.ticks.retain(|t| t.event_id != reaction_id);
            store.put(model::RUNS, reaction.run.as_bytes(), &record)?;
        }
        store.remove(REACTIONS, reaction_key.as_bytes())?;
        Ok(())
    }

    /// Forget what no longer serves: posts older than [`POSTS_KEPT_DAYS`], silences that ended,
    /// and the creating events of items that are gone.
    pub fn prune(&self, now: DateTime<Utc>) -> Result<Pruned, StoreError> {
        let store = self.store();
        let mut pruned = Pruned::default();
        let cutoff = now - chrono::Duration::days(POSTS_KEPT_DAYS);
        for (key, post) in store.scan_prefix::<PostRef>(POSTS, b"")? {
            if post.posted_at.is_some_and(|at| at < cutoff) && store.remove(POSTS, &key)? {
                pruned.posts += 1;
            }
        }
        let _guard = self.lock();
        for (key, until) in store.scan_prefix::<DateTime<Utc>>(model::SILENCES, b"")? {
            if until <= now && store.remove(model::SILENCES, &key)? {
                pruned.silences += 1;
            }
        }
        for (key, item) in store.scan_prefix::<String>(ORIGINS, b"")? {
            let exists = self.get(&item)?.is_some()
                || model::get_run(store, run_origin_key(&item))?.is_some();
            if !exists && store.remove(ORIGINS, &key)? {
                pruned.origins += 1;
            }
        }
        Ok(pruned)
    }

    /// A post the scheduler queued (its `note`, a [`PostRef`]) went out as `event_id` in
    /// `room_id`: what it was about is kept by event id (✅ counting, reply threads).
    pub fn on_posted(&self, note: &serde_json::Value, room_id: &str, event_id: &str) {
        let Ok(post_ref) = serde_json::from_value::<PostRef>(note.clone()) else {
            tracing::error!("a posted nudge carried an unreadable note");
            return;
        };
        let key = format!("{room_id}|{event_id}");
        if let Err(err) = self.store().put(POSTS, key.as_bytes(), &post_ref) {
            tracing::error!(cause = %err, "could not record a posted nudge");
        }
    }
}
