//! Nudges: reminders and adoption paths ("parcours") that coordinators schedule in plain French,
//! personal reminders, and the scheduler task that posts them. Everything lives in the store and
//! survives restarts.
//!
//! Files: `model.rs` (records, keys, store helpers), `plan.rs` (when things fire: quiet hours,
//! catching up after downtime; pure), `scheduler.rs` (the one task that sleeps until the next
//! firing), `render.rs` (the text of a nudge), and here the hooks the engine and the adapters
//! call. The chat commands are in `commands/nudges/` and `commands/parcours.rs`; every French
//! sentence in `strings::nudges`.

pub mod model;
pub mod plan;
mod render;
pub mod scheduler;

use std::collections::BTreeMap;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::engine::{Engine, Incoming, IncomingKind, Outgoing};

use model::{PostRef, Posted, ReactionRef, Tick, OUTBOX, POSTS, REACTIONS};
pub use scheduler::Index;

/// Reaction keys that mean "tried it". Variation selectors and skin tones are ignored.
const TICKS: [&str; 4] = ["✅", "✔", "☑", "👍"];

fn is_tick(key: &str) -> bool {
    let bare: String = key
        .chars()
        .filter(|c| *c != '\u{FE0F}' && !('\u{1F3FB}'..='\u{1F3FF}').contains(c))
        .collect();
    TICKS.contains(&bare.as_str())
}

/// Reactions, edits and redactions that matter to nudges: a ✅ on a parcours step counts the
/// person as having tried it; removing the reaction takes it back. Answers nothing in chat.
pub async fn on_event(engine: &Engine, incoming: &Incoming) -> Vec<Outgoing> {
    let result = match &incoming.kind {
        IncomingKind::Reaction { target, key, .. } if is_tick(key) => {
            add_tick(engine, incoming, target)
        }
        IncomingKind::Redaction { target } => remove_tick(engine, incoming, target),
        _ => Ok(()),
    };
    if let Err(err) = result {
        tracing::error!(cause = %err, event_id = %incoming.event_id, "could not record a reaction");
    }
    Vec::new()
}

fn add_tick(
    engine: &Engine,
    incoming: &Incoming,
    target: &str,
) -> Result<(), crate::store::StoreError> {
    let store = engine.store();
    let post_key = format!("{}|{target}", incoming.room_id);
    let Some(post) = store.get::<PostRef>(POSTS, post_key.as_bytes())? else {
        return Ok(());
    };
    let Posted::Step { run, step } = post.posted else {
        return Ok(());
    };
    if post.tenant != incoming.tenant {
        return Ok(());
    }
    let _guard = model::write_lock();
    let Some(mut record) = model::get_run(store, &run)? else {
        return Ok(());
    };
    if record.ticks.iter().any(|t| t.event_id == incoming.event_id) {
        return Ok(());
    }
    record.ticks.push(Tick {
        step,
        user: incoming.sender.clone(),
        event_id: incoming.event_id.clone(),
    });
    store.put(model::RUNS, run.as_bytes(), &record)?;
    let reaction_key = format!("{}|{}", incoming.room_id, incoming.event_id);
    store.put(
        REACTIONS,
        reaction_key.as_bytes(),
        &ReactionRef {
            run,
            step,
            user: incoming.sender.clone(),
        },
    )
}

fn remove_tick(
    engine: &Engine,
    incoming: &Incoming,
    target: &str,
) -> Result<(), crate::store::StoreError> {
    let store = engine.store();
    let reaction_key = format!("{}|{target}", incoming.room_id);
    let Some(reaction) = store.get::<ReactionRef>(REACTIONS, reaction_key.as_bytes())? else {
        return Ok(());
    };
    let _guard = model::write_lock();
    if let Some(mut record) = model::get_run(store, &reaction.run)? {
        record.ticks.retain(|t| t.event_id != target);
        store.put(model::RUNS, reaction.run.as_bytes(), &record)?;
    }
    store.remove(REACTIONS, reaction_key.as_bytes())?;
    Ok(())
}

/// The adapter posted `seed` (an `Outgoing::Post` txn id) as `event_id` in `room_id`: the post
/// leaves the outbox, and what it was about is kept by event id (✅ counting, reply threads).
pub fn on_posted(engine: &Engine, seed: &str, room_id: &str, event_id: &str) {
    let store = engine.store();
    let result = (|| {
        let Some(pending) = store.get::<model::Pending>(OUTBOX, seed.as_bytes())? else {
            return Ok(());
        };
        let key = format!("{room_id}|{event_id}");
        store.put(POSTS, key.as_bytes(), &pending.post_ref)?;
        store.remove(OUTBOX, seed.as_bytes()).map(|_| ())
    })();
    if let Err(err) = result {
        tracing::error!(cause = %err, "could not record a posted nudge");
    }
}

/// The card a posted nudge or parcours step was about, by the event id of the post.
pub fn card_of_post(engine: &Engine, room_id: &str, event_id: &str) -> Option<String> {
    let key = format!("{room_id}|{event_id}");
    match engine.store().get::<PostRef>(POSTS, key.as_bytes()) {
        Ok(post) => post.and_then(|p| p.card),
        Err(err) => {
            tracing::error!(cause = %err, "could not read a posted nudge");
            None
        }
    }
}

/// Adoption figures of a Mission Locale's parcours, one line per parcours (all rooms added):
/// (parcours title, steps posted, ✅ reactions — one per person and step).
pub fn adoption_figures(engine: &Engine, tenant: &str) -> Vec<(String, usize, usize)> {
    let prefix = format!("{tenant}|");
    let runs = match engine
        .store()
        .scan_prefix::<model::Run>(model::RUNS, prefix.as_bytes())
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

/// The scheduler: sleeps until the next due firing, hands due posts over on `posts`.
pub async fn run_scheduler(
    engine: Engine,
    posts: mpsc::Sender<Outgoing>,
    shutdown: CancellationToken,
) {
    scheduler::run(engine, posts, shutdown).await;
}

#[cfg(test)]
mod tests;
