//! Outgoing actions → Matrix sends. Replies are `m.notice` in reply to the command (in its thread
//! when it was in one) with empty `m.mentions`, so they ping nobody. Posts carry an explicit
//! `m.mentions`; `@room` only when asked and allowed by the bot's power level. Every send has a
//! transaction id derived from what it answers, so a retry after a crash is deduplicated by the
//! homeserver, and rate limits (`M_LIMIT_EXCEEDED`) are waited out.

use std::future::IntoFuture as _;
use std::time::Duration;

use anyhow::Context as _;
use matrix_sdk::attachment::AttachmentConfig;
use matrix_sdk::ruma::api::error::{ErrorKind, RetryAfter};
use matrix_sdk::ruma::events::reaction::ReactionEventContent;
use matrix_sdk::ruma::events::relation::{Annotation, InReplyTo, Thread};
use matrix_sdk::ruma::events::room::message::{Relation, RoomMessageEventContent};
use matrix_sdk::ruma::events::Mentions as RumaMentions;
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedTransactionId, OwnedUserId};
use matrix_sdk::{Client, Room};
use sha2::{Digest, Sha256};

use crate::engine::{Mentions, Outgoing};
use crate::store::Store;

use super::tenants::{RoomInfo, RoomMap};

/// A transaction id that is the same every time the same thing is sent.
pub fn txn_id(seed: &str) -> OwnedTransactionId {
    let digest = Sha256::digest(seed.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    OwnedTransactionId::from(format!("kitbot-{hex}"))
}

fn room(client: &Client, room_id: &str) -> anyhow::Result<Room> {
    let id = OwnedRoomId::try_from(room_id).context("identifiant de salon invalide")?;
    client
        .get_room(&id)
        .with_context(|| format!("salon inconnu {room_id}"))
}

/// How long to wait before retrying after `err`, if it is worth retrying.
fn retry_delay(err: &matrix_sdk::Error, attempt: u32) -> Option<Duration> {
    match err.client_api_error_kind() {
        Some(ErrorKind::LimitExceeded(data)) => Some(match &data.retry_after {
            Some(RetryAfter::Delay(d)) => *d,
            Some(RetryAfter::DateTime(t)) => t
                .duration_since(std::time::SystemTime::now())
                .unwrap_or(Duration::from_millis(500)),
            None => Duration::from_millis(500 << attempt.min(6)),
        }),
        Some(_) => None,
        // Network trouble: the homeserver may be restarting.
        None if matches!(err, matrix_sdk::Error::Http(_)) => {
            Some(Duration::from_millis(500 << attempt.min(6)))
        }
        None => None,
    }
}

/// Retry `op` while the homeserver says to wait (rate limits) or is unreachable, a few times.
async fn with_retry<T, F, Fut>(what: &str, mut op: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = matrix_sdk::Result<T>>,
{
    let mut attempt = 0;
    loop {
        match op().await {
            Ok(value) => return Ok(value),
            Err(err) => match retry_delay(&err, attempt) {
                Some(delay) if attempt < 8 => {
                    tracing::warn!(cause = %err, ?delay, what, "send failed, retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                _ => return Err(anyhow::Error::new(err).context(what.to_owned())),
            },
        }
    }
}

fn ruma_mentions(m: &Mentions) -> RumaMentions {
    let mut out = RumaMentions::new();
    out.user_ids = m
        .users
        .iter()
        .filter_map(|u| OwnedUserId::try_from(u.as_str()).ok())
        .collect();
    out.room = m.room;
    out
}

/// Whether the bot may notify the whole room.
async fn may_mention_room(room: &Room) -> bool {
    let Some(own) = room.client().user_id().map(ToOwned::to_owned) else {
        return false;
    };
    match room.power_levels().await {
        Ok(levels) => levels.user_can_trigger_room_notification(&own),
        Err(_) => false,
    }
}

/// Send one action. `seed` makes the transaction id (the event being answered and the index of
/// this action, or the nudge id and firing time for posts). Returns the new event's id.
pub async fn send(
    client: &Client,
    store: &Store,
    rooms: &RoomMap,
    out: &Outgoing,
    seed: &str,
) -> anyhow::Result<Option<OwnedEventId>> {
    match out {
        Outgoing::Reply {
            room_id,
            to_event,
            thread_root,
            markdown,
        } => {
            let room = room(client, room_id)?;
            let to_event = OwnedEventId::try_from(to_event.as_str()).context("event id")?;
            let mut content = RoomMessageEventContent::notice_markdown(markdown)
                .add_mentions(RumaMentions::new());
            content.relates_to = Some(match thread_root {
                Some(root) => {
                    let root = OwnedEventId::try_from(root.as_str()).context("thread root")?;
                    Relation::Thread(Thread::reply(root, to_event))
                }
                None => Relation::Reply(matrix_sdk::ruma::events::relation::Reply::new(
                    InReplyTo::new(to_event),
                )),
            });
            let txn = txn_id(seed);
            let sent = with_retry("reply", || {
                room.send(content.clone())
                    .with_transaction_id(txn.clone())
                    .into_future()
            })
            .await?;
            Ok(Some(sent.response.event_id))
        }
        Outgoing::React {
            room_id,
            event_id,
            key,
        } => {
            let room = room(client, room_id)?;
            let target = OwnedEventId::try_from(event_id.as_str()).context("event id")?;
            let content = ReactionEventContent::new(Annotation::new(target, key.clone()));
            let txn = txn_id(seed);
            let sent = with_retry("reaction", || {
                room.send(content.clone())
                    .with_transaction_id(txn.clone())
                    .into_future()
            })
            .await?;
            Ok(Some(sent.response.event_id))
        }
        Outgoing::Post {
            room_id,
            markdown,
            mentions,
            txn_id: seed,
            notice,
        } => {
            let room = room(client, room_id)?;
            let mut mentions = mentions.clone();
            if mentions.room && !may_mention_room(&room).await {
                tracing::warn!(
                    room_id,
                    "@room asked but the bot's power level does not allow it"
                );
                mentions.room = false;
            }
            let content = if *notice {
                RoomMessageEventContent::notice_markdown(markdown)
            } else {
                RoomMessageEventContent::text_markdown(markdown)
            }
            .add_mentions(ruma_mentions(&mentions));
            let txn = txn_id(seed);
            let sent = with_retry("post", || {
                room.send(content.clone())
                    .with_transaction_id(txn.clone())
                    .into_future()
            })
            .await?;
            Ok(Some(sent.response.event_id))
        }
        Outgoing::Direct {
            user_id,
            tenant,
            markdown,
            attachment,
        } => {
            let room = direct_room(client, store, rooms, tenant, user_id).await?;
            // m.text, not m.notice: a personal reminder or an export the person asked for should
            // notify them (default push rules silence notices). It mentions nobody.
            let content =
                RoomMessageEventContent::text_markdown(markdown).add_mentions(RumaMentions::new());
            let txn = txn_id(seed);
            let sent = with_retry("direct", || {
                room.send(content.clone())
                    .with_transaction_id(txn.clone())
                    .into_future()
            })
            .await?;
            if let Some(file) = attachment {
                let mime: mime::Mime = file.mime.parse().unwrap_or(mime::APPLICATION_OCTET_STREAM);
                with_retry("attachment", || {
                    room.send_attachment(
                        file.filename.clone(),
                        &mime,
                        file.bytes.clone(),
                        AttachmentConfig::new(),
                    )
                    .into_future()
                })
                .await?;
            }
            Ok(Some(sent.response.event_id))
        }
    }
}

/// The direct-message room with `user` for `tenant`: the one recorded, or a new one.
async fn direct_room(
    client: &Client,
    store: &Store,
    rooms: &RoomMap,
    tenant: &str,
    user: &str,
) -> anyhow::Result<Room> {
    let key = format!("{tenant}|{user}");
    if let Some(room_id) = store.get::<String>("dm_of", key.as_bytes())? {
        if let Ok(room) = room(client, &room_id) {
            if room.state() == matrix_sdk::RoomState::Joined {
                return Ok(room);
            }
        }
    }
    let user_id = OwnedUserId::try_from(user).context("identifiant d'utilisateur invalide")?;
    let room = client
        .create_dm(&user_id)
        .await
        .context("création du salon privé")?;
    let room_id = room.room_id().to_string();
    store.put("dm_of", key.as_bytes(), &room_id)?;
    store.put("dm_rooms", room_id.as_bytes(), &tenant.to_owned())?;
    rooms.insert(
        &room_id,
        RoomInfo {
            tenant: tenant.to_owned(),
            direct: true,
        },
    );
    Ok(room)
}

#[cfg(test)]
mod tests {
    #[test]
    fn transaction_ids_are_stable_and_distinct() {
        assert_eq!(super::txn_id("$a:0"), super::txn_id("$a:0"));
        assert_ne!(super::txn_id("$a:0"), super::txn_id("$a:1"));
    }
}
