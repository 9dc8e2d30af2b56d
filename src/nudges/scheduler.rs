//! The scheduler: one task that sleeps until the next due firing, or until a command changes
//! the schedule (`engine.schedule_changed()`), then hands the due posts to the adapter. No
//! polling: it wakes for a firing, a change or shutdown, nothing else.
//!
//! The store is the truth; the [`Index`] (due time → item key) is rebuilt from it at start-up
//! and kept in step through the `nudge_dirty` marks that commands leave. Each firing is
//! decided under the nudges write lock and written before it is handed over: the post goes to
//! the outbox first (keyed by its transaction seed), then the record moves on. A post that was
//! handed over but never confirmed by the adapter is handed again after a restart, with the
//! same transaction id, so the homeserver drops it if it had gone out: never twice, never lost.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::engine::{Engine, Mentions, Outgoing};
use crate::kit::render_step;
use crate::schedule::format_fr;
use crate::store::{decode, Store, StoreError};
use crate::strings::nudges as s;

use super::model::{
    self, get_nudge, get_run, silenced_until, ItemTree, Pending, PostRef, Posted, PostedStep,
    RunState, Slot, Target, NUDGES, OUTBOX, RUNS,
};
use super::plan;
use super::render;

/// Longest sleep before looking again (timers far in the future gain nothing, and a clock
/// change on the host is noticed within this).
const MAX_SLEEP: std::time::Duration = std::time::Duration::from_secs(3600);
/// A post later than this says so.
const LATE_NOTE_AFTER: i64 = 2;

/// An item the scheduler knows: which tree, which key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemKey {
    pub tree: ItemTree,
    pub key: Arc<str>,
}

/// Due time → item, and back. The whole in-memory state of the scheduler.
#[derive(Debug, Default)]
pub struct Index {
    queue: BTreeSet<(DateTime<Utc>, ItemKey)>,
    due_of: HashMap<ItemKey, DateTime<Utc>>,
}

/// Only the slot of a record: enough to index it, cheaper to decode.
#[derive(Deserialize)]
struct SlotView {
    slot: Option<Slot>,
}

impl Index {
    /// Every item with something to fire, from the store.
    pub fn load(store: &Store) -> Result<Index, StoreError> {
        let mut index = Index::default();
        for tree in [ItemTree::Nudge, ItemTree::Run] {
            let name = tree.name();
            for item in store.tree(name)?.iter() {
                let (key, bytes) = item?;
                let view: SlotView = decode(name, &bytes)?;
                if let (Some(slot), Ok(key)) = (view.slot, std::str::from_utf8(&key)) {
                    index.set(
                        ItemKey {
                            tree,
                            key: Arc::from(key),
                        },
                        Some(slot.due),
                    );
                }
            }
        }
        Ok(index)
    }

    pub fn len(&self) -> usize {
        self.due_of.len()
    }

    pub fn is_empty(&self) -> bool {
        self.due_of.is_empty()
    }

    /// The earliest due time.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.queue.first().map(|(due, _)| *due)
    }

    fn set(&mut self, key: ItemKey, due: Option<DateTime<Utc>>) {
        if let Some(old) = self.due_of.remove(&key) {
            self.queue.remove(&(old, key.clone()));
        }
        if let Some(due) = due {
            self.queue.insert((due, key.clone()));
            self.due_of.insert(key, due);
        }
    }

    /// Remove and return every item due at or before `now`, earliest first.
    fn take_due(&mut self, now: DateTime<Utc>) -> Vec<ItemKey> {
        let mut out = Vec::new();
        while let Some((due, _)) = self.queue.first() {
            if *due > now {
                break;
            }
            if let Some((_, key)) = self.queue.pop_first() {
                self.due_of.remove(&key);
                out.push(key);
            }
        }
        out
    }

    /// Re-read the items that commands changed.
    fn sync(&mut self, store: &Store) -> Result<(), StoreError> {
        for (tree, key) in model::take_dirty(store)? {
            let due = match tree {
                ItemTree::Nudge => get_nudge(store, &key)?.and_then(|n| n.slot),
                ItemTree::Run => get_run(store, &key)?.and_then(|r| r.slot),
            }
            .map(|slot| slot.due);
            self.set(
                ItemKey {
                    tree,
                    key: Arc::from(key.as_str()),
                },
                due,
            );
        }
        Ok(())
    }
}

/// Where missed firings are summed up.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Dest {
    Room { tenant: String, room_id: String },
    Person { tenant: String, user_id: String },
}

/// What one round of firings produces.
#[derive(Default)]
struct Batch {
    outs: Vec<Outgoing>,
    missed: BTreeMap<Dest, Vec<String>>,
}

/// Run until `shutdown`: load, re-hand unconfirmed posts, then fire as time comes.
pub async fn run(engine: Engine, posts: mpsc::Sender<Outgoing>, shutdown: CancellationToken) {
    let store = engine.store().clone();
    let started = std::time::Instant::now();
    let loaded = tokio::task::spawn_blocking(move || {
        // The full load covers every change made before it.
        model::take_dirty(&store)?;
        Index::load(&store)
    })
    .await;
    let mut index = match loaded {
        Ok(Ok(index)) => index,
        Ok(Err(err)) => {
            tracing::error!(cause = %err, "could not load the nudges; the scheduler starts empty");
            Index::default()
        }
        Err(err) => {
            tracing::error!(cause = %err, "nudges loading task failed");
            Index::default()
        }
    };
    tracing::info!(
        items = index.len(),
        ms = started.elapsed().as_millis() as u64,
        "scheduler loaded"
    );
    match recover_outbox(&engine, engine.now()) {
        Ok(outs) => {
            if !hand_over(outs, &posts, &shutdown).await {
                return;
            }
        }
        Err(err) => tracing::error!(cause = %err, "could not read the nudges outbox"),
    }
    loop {
        if shutdown.is_cancelled() {
            break;
        }
        if let Err(err) = index.sync(engine.store()) {
            tracing::error!(cause = %err, "could not read a changed nudge");
        }
        let now = engine.now();
        let due = index.take_due(now);
        if !due.is_empty() {
            let batch = fire(&engine, &mut index, due, now);
            if !hand_over(batch, &posts, &shutdown).await {
                return;
            }
            continue;
        }
        let wait = index
            .next_due()
            .map(|d| (d - now).to_std().unwrap_or_default().min(MAX_SLEEP));
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = engine.wait_schedule_change() => {}
            _ = sleep_or_forever(wait) => {}
        }
    }
}

async fn sleep_or_forever(wait: Option<std::time::Duration>) {
    match wait {
        Some(wait) => tokio::time::sleep(wait).await,
        None => std::future::pending().await,
    }
}

/// Send to the adapter; false when it is gone or shutdown came first.
async fn hand_over(
    outs: Vec<Outgoing>,
    posts: &mpsc::Sender<Outgoing>,
    shutdown: &CancellationToken,
) -> bool {
    for out in outs {
        tokio::select! {
            _ = shutdown.cancelled() => return false,
            sent = posts.send(out) => if sent.is_err() { return false },
        }
    }
    true
}

/// Posts handed over before a stop and never confirmed: again, if still within the grace
/// period (the same transaction id lets the homeserver drop a double); forgotten otherwise.
fn recover_outbox(engine: &Engine, now: DateTime<Utc>) -> Result<Vec<Outgoing>, StoreError> {
    let grace = grace(engine);
    let mut outs = Vec::new();
    for (key, pending) in engine.store().scan_prefix::<Pending>(OUTBOX, b"")? {
        if now - pending.handed_at <= grace {
            outs.push(pending_post(
                String::from_utf8_lossy(&key).into_owned(),
                &pending,
            ));
        } else {
            tracing::warn!(
                room_id = %pending.room_id,
                "a post was never confirmed and is too old to send again"
            );
            engine.store().remove(OUTBOX, &key)?;
        }
    }
    Ok(outs)
}

fn grace(engine: &Engine) -> Duration {
    Duration::minutes(i64::from(engine.config().grace_minutes))
}

fn pending_post(seed: String, p: &Pending) -> Outgoing {
    Outgoing::Post {
        room_id: p.room_id.clone(),
        markdown: p.markdown.clone(),
        mentions: Mentions {
            users: p.mentions.clone(),
            room: p.mention_room,
        },
        txn_id: seed,
        notice: p.notice,
    }
}

/// Write `pending` to the outbox and return the post, unless the same firing is already there
/// (a restart between writing it and moving the record on: the recovery sends it).
fn outbox_post(
    store: &Store,
    seed: String,
    pending: Pending,
) -> Result<Option<Outgoing>, StoreError> {
    if store.get::<Pending>(OUTBOX, seed.as_bytes())?.is_some() {
        return Ok(None);
    }
    store.put(OUTBOX, seed.as_bytes(), &pending)?;
    Ok(Some(pending_post(seed, &pending)))
}

/// Fire every due item; returns what to hand over, summaries last.
fn fire(
    engine: &Engine,
    index: &mut Index,
    due: Vec<ItemKey>,
    now: DateTime<Utc>,
) -> Vec<Outgoing> {
    let mut batch = Batch::default();
    for key in due {
        let next = {
            let _guard = model::write_lock();
            match key.tree {
                ItemTree::Nudge => fire_nudge(engine, &key.key, now, &mut batch),
                ItemTree::Run => fire_run(engine, &key.key, now, &mut batch),
            }
        };
        match next {
            Ok(next) => index.set(key, next),
            Err(err) => {
                // Retry in a minute rather than spin on a broken record.
                tracing::error!(cause = %err, key = %key.key, "could not fire a nudge");
                index.set(key, Some(now + Duration::minutes(1)));
            }
        }
    }
    let Batch { mut outs, missed } = batch;
    for (dest, lines) in missed {
        if let Err(err) = summary(engine, dest, &lines, now, &mut outs) {
            tracing::error!(cause = %err, "could not write a missed-firings summary");
        }
    }
    outs
}

fn summary(
    engine: &Engine,
    dest: Dest,
    lines: &[String],
    now: DateTime<Utc>,
    outs: &mut Vec<Outgoing>,
) -> Result<(), StoreError> {
    let markdown = s::missed_summary(lines);
    match dest {
        Dest::Room { tenant, room_id } => {
            let seed = format!("missed|{room_id}|{}", now.timestamp_millis());
            let pending = Pending {
                room_id,
                markdown,
                mentions: Vec::new(),
                mention_room: false,
                notice: true,
                handed_at: now,
                post_ref: PostRef {
                    tenant,
                    posted: Posted::Other,
                    card: None,
                },
            };
            outs.extend(outbox_post(engine.store(), seed, pending)?);
        }
        Dest::Person { tenant, user_id } => outs.push(Outgoing::Direct {
            user_id,
            tenant,
            markdown,
            attachment: None,
        }),
    }
    Ok(())
}

fn fire_nudge(
    engine: &Engine,
    key: &str,
    now: DateTime<Utc>,
    batch: &mut Batch,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let store = engine.store();
    let Some(mut nudge) = get_nudge(store, key)? else {
        return Ok(None);
    };
    let Some(slot) = nudge.slot else {
        return Ok(None);
    };
    if slot.due > now {
        return Ok(Some(slot.due));
    }
    let Some(mission) = engine.mission(&nudge.tenant) else {
        // The Mission Locale left the configuration: keep the record, fire nothing.
        return Ok(None);
    };
    let tz = mission.tz;
    let quiet = match nudge.target {
        Target::Room { .. } => plan::rules(&mission.quiet),
        // A personal reminder is at the time the person chose.
        Target::Person { .. } => None,
    };
    if let Target::Person { user_id } = &nudge.target {
        if let Some(until) = silenced_until(store, &nudge.tenant, user_id, now)? {
            nudge.slot = if nudge.schedule.is_one_off() {
                Some(Slot {
                    nominal: slot.nominal,
                    due: until,
                })
            } else {
                plan::first_slot(&nudge.schedule, tz, None, until)
            };
            store.put(NUDGES, key.as_bytes(), &nudge)?;
            return Ok(nudge.slot.map(|s| s.due));
        }
    }
    let c = plan::catch_up(&nudge.schedule, tz, quiet, slot, now, grace(engine));
    if let Some(send) = c.send {
        let mut markdown = render::nudge_text(engine, &nudge);
        let late = (now - send.due).num_minutes();
        if late >= LATE_NOTE_AFTER {
            markdown.push_str("\n\n");
            markdown.push_str(&s::late_note(late));
        }
        let seed = format!("nudge|{key}|{}", send.nominal.to_rfc3339());
        match &nudge.target {
            Target::Room { room_id } => {
                let mut mentions = Vec::new();
                for user in &nudge.mentions {
                    if silenced_until(store, &nudge.tenant, user, now)?.is_none() {
                        mentions.push(user.clone());
                    }
                }
                let pending = Pending {
                    room_id: room_id.clone(),
                    markdown,
                    mentions,
                    mention_room: nudge.mention_room,
                    notice: false,
                    handed_at: now,
                    post_ref: PostRef {
                        tenant: nudge.tenant.clone(),
                        posted: Posted::Nudge {
                            number: nudge.number,
                        },
                        card: nudge.card().map(str::to_owned),
                    },
                };
                batch.outs.extend(outbox_post(store, seed, pending)?);
            }
            Target::Person { user_id } => batch.outs.push(Outgoing::Direct {
                user_id: user_id.clone(),
                tenant: nudge.tenant.clone(),
                markdown,
                attachment: None,
            }),
        }
        nudge.sent += 1;
    }
    if c.missed > 0 {
        let when = c
            .last_missed
            .map(|m| format_fr(m.nominal, tz, now))
            .unwrap_or_default();
        let line = s::missed_nudge_line(&nudge.label(), c.missed, &when);
        let dest = match &nudge.target {
            Target::Room { room_id } => Dest::Room {
                tenant: nudge.tenant.clone(),
                room_id: room_id.clone(),
            },
            Target::Person { user_id } => Dest::Person {
                tenant: nudge.tenant.clone(),
                user_id: user_id.clone(),
            },
        };
        batch.missed.entry(dest).or_default().push(line);
    }
    nudge.slot = c.next;
    if nudge.paused_until.is_some_and(|u| u <= now) {
        nudge.paused_until = None;
    }
    if nudge.slot.is_none() {
        // A one-off that went out (or a schedule that ended): nothing left to keep.
        store.remove(NUDGES, key.as_bytes())?;
    } else {
        store.put(NUDGES, key.as_bytes(), &nudge)?;
    }
    Ok(nudge.slot.map(|s| s.due))
}

fn fire_run(
    engine: &Engine,
    key: &str,
    now: DateTime<Utc>,
    batch: &mut Batch,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let store = engine.store();
    let Some(mut run) = get_run(store, key)? else {
        return Ok(None);
    };
    let Some(slot) = run.slot.filter(|_| run.state == RunState::Active) else {
        return Ok(None);
    };
    if slot.due > now {
        return Ok(Some(slot.due));
    }
    let Some(mission) = engine.mission(&run.tenant) else {
        return Ok(None);
    };
    let tz = mission.tz;
    let Some(parcours) = engine.kit().parcours_by_id(&run.parcours) else {
        tracing::warn!(parcours = %run.parcours, "a running parcours left the kit; stopped");
        run.state = RunState::Stopped;
        run.slot = None;
        store.put(RUNS, key.as_bytes(), &run)?;
        return Ok(None);
    };
    let c = plan::catch_up(
        &run.schedule,
        tz,
        plan::rules(&mission.quiet),
        slot,
        now,
        grace(engine),
    );
    let mut finished = false;
    if let Some(send) = c.send {
        let step = run.next_step;
        let mut markdown = render_step(engine.kit(), parcours, step);
        let late = (now - send.due).num_minutes();
        if late >= LATE_NOTE_AFTER {
            markdown.push_str("\n\n");
            markdown.push_str(&s::late_note(late));
        }
        let (posted, card) = if step < run.steps {
            run.posted.push(PostedStep { step, at: now });
            run.next_step += 1;
            (
                Posted::Step {
                    run: key.to_owned(),
                    step,
                },
                parcours.etapes.get(step).map(|e| e.fiche.clone()),
            )
        } else {
            finished = true;
            (Posted::Other, None)
        };
        let seed = format!("step|{key}|{step}|{}", send.nominal.to_rfc3339());
        let pending = Pending {
            room_id: run.room_id.clone(),
            markdown,
            mentions: Vec::new(),
            mention_room: false,
            notice: false,
            handed_at: now,
            post_ref: PostRef {
                tenant: run.tenant.clone(),
                posted,
                card,
            },
        };
        batch.outs.extend(outbox_post(store, seed, pending)?);
    }
    if c.missed > 0 {
        let when = c
            .last_missed
            .map(|m| format_fr(m.nominal, tz, now))
            .unwrap_or_default();
        let line = s::missed_step_line(&run.title, run.next_step + 1, c.missed, &when);
        batch
            .missed
            .entry(Dest::Room {
                tenant: run.tenant.clone(),
                room_id: run.room_id.clone(),
            })
            .or_default()
            .push(line);
    }
    run.slot = if finished { None } else { c.next };
    if run.slot.is_none() {
        run.state = RunState::Done;
    }
    store.put(RUNS, key.as_bytes(), &run)?;
    Ok(run.slot.map(|s| s.due))
}
