//! How the bot shows up in rooms: its display name and avatar (from the config, set at start
//! only when they differ from what the homeserver has), a typing notice while an answer takes
//! a moment, and read receipts on the messages it handled.

use matrix_sdk::ruma::api::client::receipt::create_receipt::v3::ReceiptType;
use matrix_sdk::ruma::events::receipt::ReceiptThread;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId};
use matrix_sdk::{Client, Room};
use sha2::{Digest as _, Sha256};

use crate::config::MatrixConfig;
use crate::store::Store;

/// The avatar shipped with kitbot (`assets/avatar.png`).
pub const DEFAULT_AVATAR: &[u8] = include_bytes!("../../assets/avatar.png");
/// Where the digest of the avatar last uploaded is kept (`meta` tree).
const AVATAR_KEY: &[u8] = b"avatar_sha256";

/// Set the display name and the avatar when they differ from the config's. Failures are
/// logged: a bot without its avatar still works.
pub async fn ensure_profile(client: &Client, config: &MatrixConfig, store: &Store) {
    let account = client.account();
    match account.get_display_name().await {
        Ok(current) if current.as_deref() == Some(config.display_name.as_str()) => {}
        Ok(_) => match account.set_display_name(Some(&config.display_name)).await {
            Ok(()) => tracing::info!(name = %config.display_name, "display name set"),
            Err(err) => tracing::warn!(cause = %err, "could not set the display name"),
        },
        Err(err) => tracing::warn!(cause = %err, "could not read the display name"),
    }
    let bytes = match &config.avatar_file {
        Some(path) => match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(err) => {
                tracing::warn!(cause = %err, file = %path.display(), "could not read the avatar file");
                return;
            }
        },
        None => DEFAULT_AVATAR.to_vec(),
    };
    let digest = hex_digest(&bytes);
    let known = store.get::<String>("meta", AVATAR_KEY).ok().flatten();
    let has_avatar = matches!(account.get_avatar_url().await, Ok(Some(_)));
    if has_avatar && known.as_deref() == Some(digest.as_str()) {
        return;
    }
    let mime = if bytes.starts_with(b"\x89PNG") {
        mime::IMAGE_PNG
    } else {
        mime::IMAGE_JPEG
    };
    match account.upload_avatar(&mime, bytes).await {
        Ok(url) => {
            tracing::info!(%url, "avatar set");
            if let Err(err) = store.put("meta", AVATAR_KEY, &digest) {
                tracing::warn!(cause = %err, "could not remember the avatar");
            }
        }
        Err(err) => tracing::warn!(cause = %err, "could not set the avatar"),
    }
}

/// The SHA-256 of `bytes`, in hexadecimal.
pub(super) fn hex_digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Read receipts sent in the background, [`RECEIPT_DELAY`] after an event was handled, one
/// request at a time per room, the newest wanted event winning: the sync loop never waits on
/// them, a receipt does not reach the homeserver at the same moment as the answer it would
/// hold up, and a busy room costs the homeserver one receipt per delay at most, not one per
/// sync response.
///
/// A receipt the bot's own message makes useless is not sent: once the bot has sent a message
/// into the room after the event reached it, the message stands after the event in the room,
/// and clients count a member's own message as read by them up to there (matrix-js-sdk's
/// synthesized receipts, matrix-sdk-ui's implicit ones). So a command that was answered costs
/// no receipt; a message the bot handled without answering still gets one.
#[derive(Clone, Default)]
pub struct Receipts {
    /// Room → what its sender task sends next; `None` when nothing is left to send (sent, or
    /// covered by the bot's own message). A room is here while its task runs.
    rooms: Arc<Mutex<HashMap<OwnedRoomId, Option<Wanted>>>>,
}

/// A receipt to send.
struct Wanted {
    /// The newest event to mark read.
    event_id: OwnedEventId,
    /// When the sync response that carried it arrived.
    seen: Instant,
    /// When it goes out: [`RECEIPT_DELAY`] after the oldest event it stands for was handled.
    /// A newer event keeps the time, so a room where people keep talking still gets a receipt
    /// every delay; once a message of the bot's covered everything, the next event starts a
    /// new delay, so commands answered one after another each have the whole delay to be
    /// covered. A command within a delay of a message left unanswered shares that message's
    /// time: if its answer is not accepted by then, it is marked read too (harmless).
    due: tokio::time::Instant,
}

impl Receipts {
    /// Mark `event_id` read in `room`, soon, unless the bot's own message covers it first.
    /// `seen`: when the sync response carrying the event arrived. Returns at once.
    pub fn mark_read(&self, room: &Room, event_id: OwnedEventId, seen: Instant) {
        let room = room.clone();
        self.mark_with(room.room_id().to_owned(), event_id, seen, move |event_id| {
            let room = room.clone();
            async move { mark_read(&room, event_id).await }
        });
    }

    /// [`Receipts::mark_read`] with the request given (`send`), so the order of things can be
    /// tested without a homeserver.
    fn mark_with<F, Fut>(
        &self,
        room_id: OwnedRoomId,
        event_id: OwnedEventId,
        seen: Instant,
        send: F,
    ) where
        F: Fn(OwnedEventId) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send,
    {
        {
            let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
            let running = rooms.contains_key(&room_id);
            let slot = rooms.entry(room_id.clone()).or_default();
            let due = match slot {
                Some(wanted) => wanted.due,
                None => tokio::time::Instant::now() + RECEIPT_DELAY,
            };
            *slot = Some(Wanted {
                event_id,
                seen,
                due,
            });
            if running {
                // Its task sends this newer event when it is due.
                return;
            }
        }
        let rooms = self.rooms.clone();
        tokio::spawn(async move {
            loop {
                let due = {
                    let mut all = rooms.lock().unwrap_or_else(|e| e.into_inner());
                    match all.get(&room_id) {
                        Some(Some(wanted)) => wanted.due,
                        _ => {
                            all.remove(&room_id);
                            return;
                        }
                    }
                };
                tokio::time::sleep_until(due).await;
                let next = {
                    let mut all = rooms.lock().unwrap_or_else(|e| e.into_inner());
                    match all.get_mut(&room_id) {
                        // Covered meanwhile, and a newer event came with a later time.
                        Some(Some(wanted)) if wanted.due > tokio::time::Instant::now() => continue,
                        Some(slot) => slot.take().map(|wanted| wanted.event_id),
                        None => None,
                    }
                };
                if let Some(event_id) = next {
                    send(event_id).await;
                }
            }
        });
    }

    /// The bot's own message to `room_id` was accepted; its request left at `left`. An event
    /// that had reached the bot before then stands before that message in the room: its
    /// receipt is not needed any more.
    pub fn own_message_sent(&self, room_id: &matrix_sdk::ruma::RoomId, left: Instant) {
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(wanted) = rooms.get_mut(room_id) {
            if wanted.as_ref().is_some_and(|w| w.seen <= left) {
                *wanted = None;
            }
        }
    }
}

/// How long after handling an event its read receipt goes out.
pub const RECEIPT_DELAY: std::time::Duration = std::time::Duration::from_secs(1);

/// Mark `event_id` read in `room`: people see the bot has seen their message.
async fn mark_read(room: &Room, event_id: OwnedEventId) {
    if let Err(err) = room
        .send_single_receipt(ReceiptType::Read, ReceiptThread::Unthreaded, event_id)
        .await
    {
        tracing::debug!(cause = %err, room_id = %room.room_id(), "could not send a read receipt");
    }
}

/// While `work` runs, a typing notice in `room` once it has taken more than [`TYPING_AFTER`].
pub async fn typing_while<F: std::future::Future>(room: &Room, work: F) -> F::Output {
    typing_around(work, |typing| async move {
        let _ = room.typing_notice(typing).await;
    })
    .await
}

/// The rule of [`typing_while`], apart from Matrix: `notify(true)` once `work` has taken more
/// than [`TYPING_AFTER`], `notify(false)` when it ends; nothing for quick work.
pub async fn typing_around<F, N, Fut>(work: F, notify: N) -> F::Output
where
    F: std::future::Future,
    N: Fn(bool) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    tokio::pin!(work);
    tokio::select! {
        out = &mut work => return out,
        _ = tokio::time::sleep(TYPING_AFTER) => {}
    }
    notify(true).await;
    let out = work.await;
    notify(false).await;
    out
}

/// An answer that takes longer than this shows a typing notice.
pub const TYPING_AFTER: std::time::Duration = std::time::Duration::from_millis(300);

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    type Sent = Arc<Mutex<Vec<(String, String)>>>;

    fn id(text: &str) -> OwnedEventId {
        OwnedEventId::try_from(text).expect("event id")
    }

    fn room_id(text: &str) -> OwnedRoomId {
        OwnedRoomId::try_from(text).expect("room id")
    }

    /// Mark `event` read in `room` through `receipts`, recording what would be sent.
    fn mark(receipts: &Receipts, sent: &Sent, room: &str, event: &str, seen: Instant) {
        let (sent, room_name) = (sent.clone(), room.to_owned());
        receipts.mark_with(room_id(room), id(event), seen, move |event_id| {
            let (sent, room_name) = (sent.clone(), room_name.clone());
            async move {
                sent.lock()
                    .expect("sent")
                    .push((room_name, event_id.to_string()))
            }
        });
    }

    fn sent_now(sent: &Sent) -> Vec<(String, String)> {
        sent.lock().expect("sent").clone()
    }

    fn pair(room: &str, event: &str) -> (String, String) {
        (room.to_owned(), event.to_owned())
    }

    #[tokio::test(start_paused = true)]
    async fn one_receipt_per_room_for_the_newest_event_after_the_delay() {
        let (receipts, sent) = (Receipts::default(), Sent::default());
        mark(&receipts, &sent, "!a:x", "$1", Instant::now());
        mark(&receipts, &sent, "!a:x", "$2", Instant::now());
        mark(&receipts, &sent, "!b:x", "$3", Instant::now());
        tokio::time::sleep(RECEIPT_DELAY / 2).await;
        assert!(sent_now(&sent).is_empty(), "nothing before the delay");
        tokio::time::sleep(RECEIPT_DELAY * 3).await;
        let mut got = sent_now(&sent);
        got.sort();
        assert_eq!(got, vec![pair("!a:x", "$2"), pair("!b:x", "$3")]);
        assert!(
            receipts.rooms.lock().expect("rooms").is_empty(),
            "tasks ended"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_bots_own_message_after_the_event_arrived_makes_its_receipt_useless() {
        let (receipts, sent) = (Receipts::default(), Sent::default());
        let seen = Instant::now();
        mark(&receipts, &sent, "!a:x", "$command", seen);
        mark(&receipts, &sent, "!b:x", "$chat", seen);
        // The answer to the command leaves after the command arrived, and is accepted.
        receipts.own_message_sent(&room_id("!a:x"), seen + Duration::from_millis(3));
        tokio::time::sleep(RECEIPT_DELAY * 3).await;
        assert_eq!(
            sent_now(&sent),
            vec![pair("!b:x", "$chat")],
            "the answered command gets no receipt; the other room's message does"
        );
        // A message handled later in the same room, not answered: its receipt goes out, whether
        // it arrives while the room's task still runs or after it ended.
        let seen = Instant::now() + Duration::from_millis(10);
        mark(&receipts, &sent, "!a:x", "$later", seen);
        tokio::time::sleep(RECEIPT_DELAY * 3).await;
        assert_eq!(sent_now(&sent).last(), Some(&pair("!a:x", "$later")));
        let seen = seen + Duration::from_millis(10);
        mark(&receipts, &sent, "!a:x", "$first", seen);
        receipts.own_message_sent(&room_id("!a:x"), seen + Duration::from_millis(1));
        tokio::time::sleep(RECEIPT_DELAY / 2).await;
        mark(
            &receipts,
            &sent,
            "!a:x",
            "$second",
            seen + Duration::from_millis(20),
        );
        tokio::time::sleep(RECEIPT_DELAY * 3).await;
        assert_eq!(sent_now(&sent).last(), Some(&pair("!a:x", "$second")));
        assert_eq!(sent_now(&sent).len(), 3, "{:?}", sent_now(&sent));
    }

    #[tokio::test(start_paused = true)]
    async fn commands_answered_one_after_another_cost_no_receipt() {
        let (receipts, sent) = (Receipts::default(), Sent::default());
        // A command every 70 ms, each answered 30 ms after it was handled: every event gets
        // its whole delay to be covered, whenever the room's task wakes.
        for i in 0..40 {
            let seen = Instant::now();
            mark(&receipts, &sent, "!a:x", &format!("$c{i}"), seen);
            tokio::time::sleep(Duration::from_millis(30)).await;
            receipts.own_message_sent(&room_id("!a:x"), seen);
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        tokio::time::sleep(RECEIPT_DELAY * 3).await;
        assert!(sent_now(&sent).is_empty(), "{:?}", sent_now(&sent));
    }

    #[tokio::test(start_paused = true)]
    async fn people_talking_without_commands_get_a_receipt_every_delay() {
        let (receipts, sent) = (Receipts::default(), Sent::default());
        // A message every 300 ms for 3 s, none answered: newer events do not put the receipt
        // off for ever.
        for i in 0..10 {
            mark(&receipts, &sent, "!a:x", &format!("$m{i}"), Instant::now());
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        tokio::time::sleep(RECEIPT_DELAY * 3).await;
        let got: Vec<String> = sent_now(&sent).into_iter().map(|(_, e)| e).collect();
        assert_eq!(got, vec!["$m3", "$m7", "$m9"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_message_that_left_before_the_event_arrived_does_not_cover_it() {
        let (receipts, sent) = (Receipts::default(), Sent::default());
        let left = Instant::now();
        // The event reached the bot after the bot's message had left: it may stand after it.
        mark(
            &receipts,
            &sent,
            "!a:x",
            "$1",
            left + Duration::from_millis(5),
        );
        receipts.own_message_sent(&room_id("!a:x"), left);
        tokio::time::sleep(RECEIPT_DELAY * 3).await;
        assert_eq!(sent_now(&sent), vec![pair("!a:x", "$1")]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_typing_notice_only_for_slow_work() {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let record = |calls: Arc<Mutex<Vec<bool>>>| {
            move |typing: bool| {
                let calls = calls.clone();
                async move { calls.lock().expect("calls").push(typing) }
            }
        };
        let quick = typing_around(async { 1 }, record(calls.clone())).await;
        assert_eq!(quick, 1);
        assert!(
            calls.lock().expect("calls").is_empty(),
            "no notice for quick work"
        );
        let slow = typing_around(
            async {
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                2
            },
            record(calls.clone()),
        )
        .await;
        assert_eq!(slow, 2);
        assert_eq!(*calls.lock().expect("calls"), vec![true, false]);
    }
}
