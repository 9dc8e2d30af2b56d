//! How the bot shows up in rooms: its display name and avatar (from the config, set at start
//! only when they differ from what the homeserver has), a typing notice while an answer takes
//! a moment, and read receipts on the messages it handled.

use matrix_sdk::ruma::api::client::receipt::create_receipt::v3::ReceiptType;
use matrix_sdk::ruma::events::receipt::ReceiptThread;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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

fn hex_digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Read receipts sent in the background, [`RECEIPT_DELAY`] after the event was handled, one
/// request at a time per room, the newest wanted event winning: the sync loop never waits on
/// them, a receipt does not reach the homeserver at the same moment as the answer it would
/// hold up, and a busy room costs the homeserver one receipt per delay, not one per sync
/// response.
#[derive(Clone, Default)]
pub struct Receipts {
    /// Room → the newest event to mark read, while a sender task runs for that room.
    wanted: Arc<Mutex<HashMap<OwnedRoomId, OwnedEventId>>>,
}

impl Receipts {
    /// Mark `event_id` read in `room`, soon. Returns at once.
    pub fn mark_read(&self, room: &Room, event_id: OwnedEventId) {
        let room_id = room.room_id().to_owned();
        {
            let mut wanted = self.wanted.lock().unwrap_or_else(|e| e.into_inner());
            // A task already runs for this room: it will send this newer event next.
            if wanted.insert(room_id.clone(), event_id).is_some() {
                return;
            }
        }
        let (room, wanted) = (room.clone(), self.wanted.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(RECEIPT_DELAY).await;
                let Some(event_id) = wanted
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(&room_id)
                    .cloned()
                else {
                    return;
                };
                mark_read(&room, event_id.clone()).await;
                let mut wanted = wanted.lock().unwrap_or_else(|e| e.into_inner());
                if wanted.get(&room_id) == Some(&event_id) {
                    wanted.remove(&room_id);
                    return;
                }
            }
        });
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
