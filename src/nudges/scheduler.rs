//! The scheduler: one task that sleeps until the next due firing, or until a change of the
//! nudges wakes it ([`super::Nudges`] does after every write), then queues the due messages in
//! the outbox. No polling: it wakes for a firing, a change or shutdown, nothing else.
//!
//! The store is the truth; the [`Index`] (due time → item key) is rebuilt from it at start-up
//! and kept in step through the `nudge_dirty` marks that changes leave. Each firing is decided
//! under the nudges lock: its messages are queued in the outbox with a transaction id naming
//! the item and its nominal instant, then the record moves on. A crash between the two fires
//! the same instant again after the restart, and the outbox refuses the transaction id it
//! already holds or delivered: never twice, never lost.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::core::{Mentions, Outgoing, SharedClock};
use crate::kit::{render_step, Kit};
use crate::outbox::{txn_for_firing, Draft, Outbox};
use crate::schedule::format_fr;
use crate::store::{decode, Store, StoreError};
use crate::strings::nudges as s;

use super::model::{
    self, get_nudge, get_run, silenced_until, ItemTree, PostRef, Posted, PostedStep, RunState,
    Slot, Target, NUDGES, RUNS,
};
use super::plan;
use super::render;
use super::Nudges;

/// Longest sleep before looking again (timers far in the future gain nothing, and a clock
/// change on the host is noticed within this).
const MAX_SLEEP: std::time::Duration = std::time::Duration::from_secs(3600);
/// Count one firing for the operator: late (with the note), moved (quiet hours, a silence) or
/// on time.
fn count_firing(send: super::model::Slot, late_minutes: i64) {
    let outcome = if late_minutes >= LATE_NOTE_AFTER {
        "late"
    } else if send.moved() {
        "moved"
    } else {
        "on_time"
    };
    crate::metrics::metrics().firing(outcome, 1);
}

/// A post later than this says so.
const LATE_NOTE_AFTER: i64 = crate::outbox::LATE_NOTE_AFTER_MINUTES;

/// What the scheduler works with: the nudges, where to queue, the kit (card texts, parcours
/// steps), the Missions Locales (zones, quiet hours, grace) and the clock.
#[derive(Clone)]
pub struct SchedulerEnv {
    pub nudges: Nudges,
    pub outbox: Outbox,
    pub kit: Kit,
    pub config: Arc<Config>,
    pub clock: SharedClock,
}

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
    drafts: Vec<Draft>,
    missed: BTreeMap<Dest, Vec<String>>,
}

/// Run until `shutdown`: load, then fire as time comes.
pub async fn run(env: SchedulerEnv, shutdown: CancellationToken) {
    let store = env.nudges.store().clone();
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
    loop {
        if shutdown.is_cancelled() {
            break;
        }
        if let Err(err) = index.sync(env.nudges.store()) {
            tracing::error!(cause = %err, "could not read a changed nudge");
        }
        let now = env.clock.now();
        let due = index.take_due(now);
        if !due.is_empty() {
            fire(&env, &mut index, due, now);
            continue;
        }
        let wait = index
            .next_due()
            .map(|d| env.clock.real_wait(d - now).min(MAX_SLEEP));
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = env.nudges.changed() => {}
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

fn grace(env: &SchedulerEnv) -> Duration {
    Duration::minutes(i64::from(env.config.grace_minutes))
}

/// A room post, with what it is about as the outbox note.
fn post_draft(
    txn: String,
    room_id: &str,
    markdown: String,
    mentions: Mentions,
    notice: bool,
    post_ref: &PostRef,
) -> Draft {
    Draft {
        txn,
        out: Outgoing::Post {
            room_id: room_id.to_owned(),
            markdown,
            mentions,
            notice,
        },
        note: serde_json::to_value(post_ref).ok(),
        due_at: None,
    }
}

/// Fire every due item: each under the nudges lock, its messages queued before its record
/// moves on. Summaries of missed firings are queued last.
fn fire(env: &SchedulerEnv, index: &mut Index, due: Vec<ItemKey>, now: DateTime<Utc>) {
    let mut missed: BTreeMap<Dest, Vec<String>> = BTreeMap::new();
    for key in due {
        let next = {
            let _guard = env.nudges.lock();
            let mut batch = Batch::default();
            let next = match key.tree {
                ItemTree::Nudge => fire_nudge(env, &key.key, now, &mut batch),
                ItemTree::Run => fire_run(env, &key.key, now, &mut batch),
            };
            for (dest, lines) in batch.missed {
                missed.entry(dest).or_default().extend(lines);
            }
            next
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
    let drafts: Vec<Draft> = missed
        .into_iter()
        .map(|(dest, lines)| summary(dest, &lines, now))
        .collect();
    if let Err(err) = env.outbox.queue(drafts) {
        tracing::error!(cause = %err, "could not queue a missed-firings summary");
    }
}

fn summary(dest: Dest, lines: &[String], now: DateTime<Utc>) -> Draft {
    let markdown = s::missed_summary(lines);
    match dest {
        Dest::Room { tenant, room_id } => post_draft(
            txn_for_firing(&format!("missed|{room_id}"), now, "summary"),
            &room_id,
            markdown,
            Mentions::default(),
            true,
            &PostRef {
                tenant,
                posted: Posted::Other,
                card: None,
                posted_at: Some(now),
            },
        ),
        Dest::Person { tenant, user_id } => Draft {
            txn: txn_for_firing(&format!("missed|{tenant}|{user_id}"), now, "summary"),
            out: Outgoing::Direct {
                user_id,
                tenant,
                markdown,
                attachment: None,
            },
            note: None,
            due_at: None,
        },
    }
}

/// Queue a firing's messages (under the nudges lock, before the record moves on).
fn queue(env: &SchedulerEnv, batch: &mut Batch) -> Result<(), StoreError> {
    let queued = env.outbox.queue(std::mem::take(&mut batch.drafts))?;
    crate::metrics::metrics().nudges_fired.inc_by(queued as u64);
    Ok(())
}

fn fire_nudge(
    env: &SchedulerEnv,
    key: &str,
    now: DateTime<Utc>,
    batch: &mut Batch,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let store = env.nudges.store();
    let Some(mut nudge) = get_nudge(store, key)? else {
        return Ok(None);
    };
    let Some(slot) = nudge.slot else {
        return Ok(None);
    };
    if slot.due > now {
        return Ok(Some(slot.due));
    }
    let Some(mission) = env.config.mission(&nudge.tenant) else {
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
    let c = plan::catch_up(&nudge.schedule, tz, quiet, slot, now, grace(env));
    if let Some(send) = c.send {
        let mut markdown = render::nudge_text(&env.kit, &nudge);
        let late = (now - send.due).num_minutes();
        count_firing(send, late);
        if late >= LATE_NOTE_AFTER {
            markdown.push_str("\n\n");
            markdown.push_str(&s::late_note(late));
        }
        let txn = txn_for_firing(key, send.nominal, "nudge");
        match &nudge.target {
            Target::Room { room_id } => {
                let mut users = Vec::new();
                for user in &nudge.mentions {
                    if silenced_until(store, &nudge.tenant, user, now)?.is_none() {
                        users.push(user.clone());
                    }
                }
                let mentions = Mentions {
                    users,
                    room: nudge.mention_room,
                };
                let post_ref = PostRef {
                    tenant: nudge.tenant.clone(),
                    posted: Posted::Nudge {
                        number: nudge.number,
                    },
                    card: nudge.card().map(str::to_owned),
                    posted_at: Some(now),
                };
                batch.drafts.push(Draft {
                    due_at: Some(send.due),
                    ..post_draft(txn, room_id, markdown, mentions, false, &post_ref)
                });
            }
            Target::Person { user_id } => batch.drafts.push(Draft {
                txn,
                out: Outgoing::Direct {
                    user_id: user_id.clone(),
                    tenant: nudge.tenant.clone(),
                    markdown,
                    attachment: None,
                },
                note: None,
                due_at: Some(send.due),
            }),
        }
        queue(env, batch)?;
        nudge.sent += 1;
    }
    if c.missed > 0 {
        crate::metrics::metrics().firing("missed", c.missed);
        let when = c
            .last_missed
            .map(|m| format_fr(m.nominal, tz, now))
            .unwrap_or_default();
        let line = s::missed_nudge_line(&nudge.label(), c.missed, c.truncated, &when);
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
    env: &SchedulerEnv,
    key: &str,
    now: DateTime<Utc>,
    batch: &mut Batch,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let store = env.nudges.store();
    let Some(mut run) = get_run(store, key)? else {
        return Ok(None);
    };
    let Some(slot) = run.slot.filter(|_| run.state == RunState::Active) else {
        return Ok(None);
    };
    if slot.due > now {
        return Ok(Some(slot.due));
    }
    let Some(mission) = env.config.mission(&run.tenant) else {
        return Ok(None);
    };
    let tz = mission.tz;
    let Some(parcours) = env.kit.parcours_by_id(&run.parcours) else {
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
        grace(env),
    );
    let mut finished = false;
    if let Some(send) = c.send {
        let step = run.next_step;
        let mut markdown = render_step(&env.kit, parcours, step);
        let late = (now - send.due).num_minutes();
        count_firing(send, late);
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
                parcours.steps.get(step).map(|e| e.card.clone()),
            )
        } else {
            finished = true;
            (Posted::Other, None)
        };
        let post_ref = PostRef {
            tenant: run.tenant.clone(),
            posted,
            card,
            posted_at: Some(now),
        };
        batch.drafts.push(Draft {
            due_at: Some(send.due),
            ..post_draft(
                txn_for_firing(key, send.nominal, &format!("step{step}")),
                &run.room_id,
                markdown,
                Mentions::default(),
                false,
                &post_ref,
            )
        });
        queue(env, batch)?;
    }
    if c.missed > 0 {
        crate::metrics::metrics().firing("missed", c.missed);
        let when = c
            .last_missed
            .map(|m| format_fr(m.nominal, tz, now))
            .unwrap_or_default();
        let line = s::missed_step_line(&run.title, run.next_step + 1, c.missed, c.truncated, &when);
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
