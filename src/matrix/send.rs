//! The outbox's items → Matrix sends. Replies are `m.notice` in reply to the command (in its
//! thread when it was in one) with empty `m.mentions`, so they ping nobody; a picture that
//! follows a reply (a chart) is an `m.image` with the same relation, its file uploaded first
//! (encrypted in an encrypted room). Posts carry an explicit `m.mentions`; `@room` only when
//! asked and allowed by the bot's power level. Every send carries the item's transaction id
//! (derived from what caused it), so a retry after a crash is deduplicated by the homeserver.
//! Errors are sorted for the outbox: rate limits (`M_LIMIT_EXCEEDED`, with the delay the server
//! asks), network trouble and server errors are retried later; a request the homeserver refuses
//! as such is never retried.

use std::collections::HashMap;
use std::future::IntoFuture as _;
use std::sync::Arc;

use anyhow::Context as _;
use matrix_sdk::attachment::AttachmentConfig;
use matrix_sdk::ruma::api::error::{ErrorKind, RetryAfter};
use matrix_sdk::ruma::events::reaction::ReactionEventContent;
use matrix_sdk::ruma::events::relation::{Annotation, InReplyTo, Thread};
use matrix_sdk::ruma::events::room::message::{
    ImageMessageEventContent, MessageType, Relation, RoomMessageEventContent,
    RoomMessageEventContentWithoutRelation,
};
use matrix_sdk::ruma::events::room::{ImageInfo, MediaSource};
use matrix_sdk::ruma::events::Mentions as RumaMentions;
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedTransactionId, OwnedUserId, UInt};
use matrix_sdk::{Client, Room};
use sha2::{Digest, Sha256};

use crate::core::{Mentions, Outgoing, Picture};
use crate::outbox::{SendError, Transport};
use crate::store::Store;

use super::presence::Receipts;
use super::tenants::{RoomInfo, RoomMap};
use crate::rights::{DM_OF, DM_ROOMS};

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

/// What a failed call means for the outbox: wait and retry (rate limits, network trouble,
/// server errors), or never (the homeserver refused the request itself).
fn classify_error(err: &matrix_sdk::Error, what: &str) -> SendError {
    let cause = format!("{what}: {err}");
    match err.client_api_error_kind() {
        Some(ErrorKind::LimitExceeded(data)) => SendError::Retry {
            after: match &data.retry_after {
                Some(RetryAfter::Delay(d)) => Some(*d),
                Some(RetryAfter::DateTime(t)) => {
                    t.duration_since(std::time::SystemTime::now()).ok()
                }
                None => None,
            },
            cause,
        },
        Some(
            ErrorKind::Forbidden
            | ErrorKind::NotFound
            | ErrorKind::BadJson
            | ErrorKind::NotJson
            | ErrorKind::InvalidParam
            | ErrorKind::TooLarge,
        ) => SendError::Never { cause },
        // Anything else (network, 5xx, an unknown error code): the homeserver may recover.
        _ => SendError::Retry { after: None, cause },
    }
}

/// A failure of ours before the homeserver was even asked (a malformed id): it will never work.
fn never(err: anyhow::Error) -> SendError {
    SendError::Never {
        cause: format!("{err:#}"),
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

/// How an answer relates to its command: in reply to it, in its thread when it was in one.
fn reply_relation(
    to_event: &str,
    thread_root: Option<&str>,
) -> anyhow::Result<Relation<RoomMessageEventContentWithoutRelation>> {
    let to_event = OwnedEventId::try_from(to_event).context("event id")?;
    Ok(match thread_root {
        Some(root) => {
            let root = OwnedEventId::try_from(root).context("thread root")?;
            Relation::Thread(Thread::reply(root, to_event))
        }
        None => Relation::Reply(matrix_sdk::ruma::events::relation::Reply::new(
            InReplyTo::new(to_event),
        )),
    })
}

/// Upload a picture (encrypted in an encrypted room, as the spec's `EncryptedFile`) and
/// describe it as an `m.image`: its description as the body, the file name, mimetype, size.
/// An upload repeated by a retry leaves one unused file on the homeserver; the message itself
/// goes out once (its transaction id).
async fn image_content(
    room: &Room,
    txn: &str,
    picture: &Picture,
) -> Result<ImageMessageEventContent, SendError> {
    let client = room.client();
    let encrypted = room
        .latest_encryption_state()
        .await
        .map_err(|err| classify_error(&err, "encryption state"))?
        .is_encrypted();
    let source = if encrypted {
        let mut reader = std::io::Cursor::new(picture.bytes.as_slice());
        let file = client
            .upload_encrypted_file(&mut reader)
            .await
            .map_err(|err| classify_error(&err, "encrypted upload"))?;
        MediaSource::Encrypted(Box::new(file))
    } else {
        let mime: mime::Mime = picture.mime.parse().unwrap_or(mime::IMAGE_PNG);
        let uploaded = client
            .media()
            .upload(&mime, picture.bytes.clone(), None)
            .await
            .map_err(|err| classify_error(&err, "upload"))?;
        MediaSource::Plain(uploaded.content_uri)
    };
    tracing::debug!(
        txn,
        encrypted,
        bytes = picture.bytes.len(),
        "picture uploaded"
    );
    let mut info = ImageInfo::new();
    info.mimetype = Some(picture.mime.clone());
    info.width = Some(UInt::from(picture.width));
    info.height = Some(UInt::from(picture.height));
    info.size = UInt::try_from(picture.bytes.len()).ok();
    let mut content = ImageMessageEventContent::new(picture.alt.clone(), source);
    content.filename = Some(picture.filename.clone());
    content.info = Some(Box::new(info));
    Ok(content)
}

/// The [`Transport`] the outbox delivers through: one Matrix send per item, with the item's
/// transaction id, errors sorted into "retry later" and "never".
pub struct MatrixTransport {
    client: Client,
    store: Store,
    rooms: RoomMap,
    /// One lock per encrypted room: sends to an encrypted room go out one at a time.
    /// matrix-sdk-crypto 0.18 panicked ("Session expired") when two sends to one room
    /// overlapped as its Megolm session rotated (found by the 10-minute load bench).
    encrypted_sends: std::sync::Mutex<HashMap<OwnedRoomId, Arc<tokio::sync::Mutex<()>>>>,
    /// The read receipts the sync loop asks for: a message of the bot's makes some useless.
    receipts: Receipts,
    /// How many events of the bot's the homeserver accepted since the start: the sync loop
    /// reads it to know whether its position stands before some (`SyncLoop::catch_up`).
    own_events: std::sync::atomic::AtomicU64,
}

impl MatrixTransport {
    pub fn new(client: Client, store: Store, rooms: RoomMap) -> Self {
        Self {
            encrypted_sends: Default::default(),
            client,
            store,
            rooms,
            receipts: Receipts::default(),
            own_events: Default::default(),
        }
    }

    /// How many events of the bot's the homeserver accepted since the start.
    pub fn own_events(&self) -> u64 {
        self.own_events.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn own_event_accepted(&self) {
        self.own_events
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// The read receipts this transport's messages make useless (given to the sync loop).
    pub fn receipts(&self) -> &Receipts {
        &self.receipts
    }

    /// The room map this transport records new direct rooms in.
    pub fn rooms(&self) -> &RoomMap {
        &self.rooms
    }

    /// Held while sending to `room` when it is encrypted; `None` for a plain room, whose
    /// sends may overlap.
    async fn encrypted_turn(&self, room: &Room) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        if !room.encryption_state().is_encrypted() {
            return None;
        }
        let lock = self
            .encrypted_sends
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(room.room_id().to_owned())
            .or_default()
            .clone();
        Some(lock.lock_owned().await)
    }

    async fn send_content(
        &self,
        room: &Room,
        content: impl matrix_sdk::ruma::events::MessageLikeEventContent + Clone,
        txn: &str,
        what: &str,
        in_main_timeline: bool,
    ) -> Result<Option<String>, SendError> {
        let _turn = self.encrypted_turn(room).await;
        let left = std::time::Instant::now();
        let sent = room
            .send(content)
            .with_transaction_id(txn_id(txn))
            .into_future()
            .await
            .map_err(|err| classify_error(&err, what))?;
        self.own_event_accepted();
        // A message in the room's main timeline (not an edit, a reaction, a thread's reply)
        // is read by its sender up to there, for clients: receipts it covers are not needed.
        if in_main_timeline {
            self.receipts.own_message_sent(room.room_id(), left);
        }
        Ok(Some(sent.response.event_id.to_string()))
    }
}

impl Transport for MatrixTransport {
    async fn send(&self, txn: &str, out: &Outgoing) -> Result<Option<String>, SendError> {
        let client = &self.client;
        match out {
            Outgoing::Reply {
                room_id,
                to_event,
                thread_root,
                markdown,
            } => {
                let room = room(client, room_id).map_err(never)?;
                let mut content = RoomMessageEventContent::notice_markdown(markdown)
                    .add_mentions(RumaMentions::new());
                content.relates_to =
                    Some(reply_relation(to_event, thread_root.as_deref()).map_err(never)?);
                self.send_content(&room, content, txn, "reply", thread_root.is_none())
                    .await
            }
            Outgoing::Image {
                room_id,
                to_event,
                thread_root,
                picture,
            } => {
                let room = room(client, room_id).map_err(never)?;
                let relation = reply_relation(to_event, thread_root.as_deref()).map_err(never)?;
                let image = image_content(&room, txn, picture).await?;
                let mut content = RoomMessageEventContent::new(MessageType::Image(image))
                    .add_mentions(RumaMentions::new());
                content.relates_to = Some(relation);
                self.send_content(&room, content, txn, "image", thread_root.is_none())
                    .await
            }
            Outgoing::Edit {
                room_id,
                event_id,
                markdown,
            } => {
                let room = room(client, room_id).map_err(never)?;
                let target = OwnedEventId::try_from(event_id.as_str())
                    .context("event id")
                    .map_err(never)?;
                let content = RoomMessageEventContent::notice_markdown(markdown)
                    .add_mentions(RumaMentions::new())
                    .make_replacement(
                        matrix_sdk::ruma::events::room::message::ReplacementMetadata::new(
                            target,
                            Some(RumaMentions::new()),
                        ),
                    );
                self.send_content(&room, content, txn, "edit", false).await
            }
            Outgoing::React {
                room_id,
                event_id,
                key,
            } => {
                let room = room(client, room_id).map_err(never)?;
                let target = OwnedEventId::try_from(event_id.as_str())
                    .context("event id")
                    .map_err(never)?;
                let content = ReactionEventContent::new(Annotation::new(target, key.clone()));
                self.send_content(&room, content, txn, "reaction", false)
                    .await
            }
            Outgoing::Post {
                room_id,
                markdown,
                mentions,
                notice,
            } => {
                let room = room(client, room_id).map_err(never)?;
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
                self.send_content(&room, content, txn, "post", true).await
            }
            Outgoing::Direct {
                user_id,
                tenant,
                markdown,
                attachment,
            } => {
                let room = direct_room(client, &self.store, &self.rooms, tenant, user_id)
                    .await
                    .map_err(|err| SendError::Retry {
                        after: None,
                        cause: format!("{err:#}"),
                    })?;
                // m.text, not m.notice: a personal reminder or an export the person asked for
                // should notify them (default push rules silence notices). It mentions nobody.
                let content = RoomMessageEventContent::text_markdown(markdown)
                    .add_mentions(RumaMentions::new());
                let sent = self
                    .send_content(&room, content, txn, "direct", true)
                    .await?;
                if let Some(file) = attachment {
                    let mime: mime::Mime =
                        file.mime.parse().unwrap_or(mime::APPLICATION_OCTET_STREAM);
                    // Its own transaction id, derived from the message's: a retry after the
                    // text went out sends the file once.
                    let config = AttachmentConfig::new().txn_id(txn_id(&format!("{txn}|file")));
                    let _turn = self.encrypted_turn(&room).await;
                    room.send_attachment(file.filename.clone(), &mime, file.bytes.clone(), config)
                        .into_future()
                        .await
                        .map_err(|err| classify_error(&err, "attachment"))?;
                    self.own_event_accepted();
                }
                Ok(sent)
            }
        }
    }
}

/// The direct-message room with `user` for `tenant`: the one recorded while it is still
/// private between the bot and that person (checked before every personal message), or a new
/// one.
async fn direct_room(
    client: &Client,
    store: &Store,
    rooms: &RoomMap,
    tenant: &str,
    user: &str,
) -> anyhow::Result<Room> {
    let key = format!("{tenant}|{user}");
    let bot = client.user_id().map(|u| u.to_string()).unwrap_or_default();
    if let Some(room_id) = store.get::<String>(DM_OF, key.as_bytes())? {
        if let Ok(room) = room(client, &room_id) {
            if room.state() == matrix_sdk::RoomState::Joined {
                if super::rooms::private_with(&room, &bot, user).await {
                    return Ok(room);
                }
                tracing::warn!(%room_id, "the recorded direct room is not private any more; a new one is opened");
            }
        }
    }
    let user_id = OwnedUserId::try_from(user).context("identifiant d'utilisateur invalide")?;
    let room = client
        .create_dm(&user_id)
        .await
        .context("création du salon privé")?;
    let room_id = room.room_id().to_string();
    store.put(DM_OF, key.as_bytes(), &room_id)?;
    store.put(DM_ROOMS, room_id.as_bytes(), &tenant.to_owned())?;
    rooms.insert(&room_id, RoomInfo::direct(tenant));
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
