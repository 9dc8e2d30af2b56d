//! Encrypted events whose key had not arrived when they were synced. Keys can come late (key
//! forwarding, backup), so each such event is kept in memory and tried again after every sync
//! for [`RETRY_FOR`]; then it is given up, with a log line and, at most once a day per room, a
//! notice telling the team what to check (the bot cannot know whether it was a command). The list is keyed by event id (no
//! duplicates, constant-time checks) and bounded ([`MAX_KEPT`]): past that, the oldest entries
//! are given up first.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use matrix_sdk::deserialized_responses::TimelineEvent;
use matrix_sdk::ruma::events::room::encrypted::OriginalSyncRoomEncryptedEvent;
use matrix_sdk::ruma::{OwnedRoomId, RoomId};

use super::Adapter;

/// How long an undecryptable event is retried before it is given up.
pub const RETRY_FOR: Duration = Duration::from_secs(15 * 60);
/// At most this many events wait for their keys.
pub const MAX_KEPT: usize = 10_000;

#[derive(Clone)]
struct Entry {
    room_id: OwnedRoomId,
    event: TimelineEvent,
    first_seen: Instant,
}

/// The events waiting for their keys, oldest first.
#[derive(Clone, Default)]
pub struct Pending {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    order: VecDeque<String>,
    entries: HashMap<String, Entry>,
}

impl Pending {
    /// Keep `event` to try again later (once: an event already waiting is not added twice).
    pub fn add(&self, room_id: &RoomId, event: &TimelineEvent) {
        let Some(event_id) = event.event_id() else {
            return;
        };
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.entries.contains_key(event_id.as_str()) {
            return;
        }
        tracing::info!(room_id = %room_id, event_id = %event_id, "unable to decrypt an event yet; will retry when keys arrive");
        crate::metrics::metrics().undecryptable.inc();
        while inner.order.len() >= MAX_KEPT {
            if let Some(oldest) = inner.order.pop_front() {
                inner.entries.remove(&oldest);
                tracing::warn!(event_id = %oldest, "gave up on an undecryptable event: too many waiting");
            }
        }
        inner.order.push_back(event_id.to_string());
        inner.entries.insert(
            event_id.to_string(),
            Entry {
                room_id: room_id.to_owned(),
                event: event.clone(),
                first_seen: Instant::now(),
            },
        );
    }

    /// Take every waiting event, oldest first.
    fn take(&self) -> Vec<Entry> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let order = std::mem::take(&mut inner.order);
        let mut entries = std::mem::take(&mut inner.entries);
        order
            .into_iter()
            .filter_map(|id| entries.remove(&id))
            .collect()
    }

    /// Put back an entry that is still worth waiting for.
    fn keep(&self, entry: Entry) {
        let Some(event_id) = entry.event.event_id() else {
            return;
        };
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.order.push_back(event_id.to_string());
        inner.entries.insert(event_id.to_string(), entry);
    }

    /// How many events wait.
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .order
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Adapter {
    /// Try again the encrypted events that could not be decrypted earlier.
    pub(super) async fn retry_undecrypted(&self) {
        for entry in self.undecrypted.take() {
            let Some(room) = self.client.get_room(&entry.room_id) else {
                continue;
            };
            let raw = entry
                .event
                .raw()
                .cast_ref_unchecked::<OriginalSyncRoomEncryptedEvent>();
            match room.decrypt_event(raw, None).await {
                Ok(decrypted) if !decrypted.kind.is_utd() => {
                    if let Err(err) = self.process_event(&room, &decrypted).await {
                        tracing::error!(cause = %err, "could not record a late-decrypted event; retrying");
                        self.undecrypted.keep(entry);
                    }
                }
                _ if entry.first_seen.elapsed() < RETRY_FOR => self.undecrypted.keep(entry),
                _ => {
                    tracing::warn!(room_id = %entry.room_id, "gave up on an event that could not be decrypted");
                    self.tell_undecryptable(&entry.room_id).await;
                }
            }
        }
    }
}

impl Adapter {
    /// A message stayed undecryptable (it may have been a command): the room is told what to
    /// check, at most once a day (the transaction id names the day; the outbox never sends
    /// one twice). Only in rooms the bot serves.
    async fn tell_undecryptable(&self, room_id: &RoomId) {
        if self.rooms.get(room_id.as_str()).is_none() {
            return;
        }
        let outbox = self.engine.outbox();
        let queued = outbox.queue(vec![undecryptable_notice(
            room_id.as_str(),
            self.engine.now(),
        )]);
        match queued {
            Ok(_) => {
                if let Err(err) = outbox.flush().await {
                    tracing::error!(cause = %err, "could not save the undecryptable notice");
                }
            }
            Err(err) => tracing::error!(cause = %err, "could not queue the undecryptable notice"),
        }
    }
}

/// The notice for a room where a message stayed undecryptable; its transaction id names the
/// room and the day, so the outbox queues it once a day at most.
pub fn undecryptable_notice(
    room_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> crate::outbox::Draft {
    crate::outbox::Draft::new(
        format!("utd|{room_id}|{}", now.format("%Y-%m-%d")),
        crate::core::Outgoing::notice(
            room_id.to_owned(),
            crate::strings::rooms::UNDECRYPTABLE.to_owned(),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::FixedClock;

    #[test]
    fn the_undecryptable_notice_goes_out_once_a_day_per_room() {
        let at = |t: &str| {
            chrono::DateTime::parse_from_rfc3339(t)
                .expect("time")
                .with_timezone(&chrono::Utc)
        };
        let store = crate::store::Store::temporary().expect("store");
        let clock = FixedClock::new(at("2026-12-02T09:00:00Z"));
        let outbox = crate::outbox::Outbox::new(store, Arc::new(clock));
        let morning = at("2026-12-02T09:00:00Z");
        let evening = at("2026-12-02T18:00:00Z");
        let tomorrow = at("2026-12-03T09:00:00Z");
        assert_eq!(
            outbox
                .queue(vec![undecryptable_notice("!a:x", morning)])
                .expect("q"),
            1
        );
        assert_eq!(
            outbox
                .queue(vec![undecryptable_notice("!a:x", evening)])
                .expect("q"),
            0
        );
        assert_eq!(
            outbox
                .queue(vec![undecryptable_notice("!b:x", evening)])
                .expect("q"),
            1
        );
        assert_eq!(
            outbox
                .queue(vec![undecryptable_notice("!a:x", tomorrow)])
                .expect("q"),
            1
        );
    }
}
