//! The Matrix adapter: login and session ([`session`]), which room belongs to which Mission
//! Locale and which invites to accept ([`tenants`]), events → engine ([`convert`]), engine →
//! sends ([`send`]), and the sync loop here.
//!
//! The loop calls `sync_once` itself rather than `Client::sync`, which waits a second between
//! close responses. It keeps its own sync token in the sled store and saves it only after every
//! event of a response was handled, and marks each event handled (by id) only after its answers
//! were sent: a crash re-handles at most the last response, and the derived transaction ids let
//! the homeserver drop the duplicates. When a room's timeline is `limited`, the events in the
//! gap are fetched with `/messages` back to the previous token, so bursts lose no command.

pub mod convert;
pub mod send;
pub mod session;
pub mod tenants;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use futures_util::StreamExt as _;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::deserialized_responses::TimelineEvent;
use matrix_sdk::room::MessagesOptions;
use matrix_sdk::ruma::api::client::filter::{FilterDefinition, RoomEventFilter, RoomFilter};
use matrix_sdk::ruma::events::room::member::MembershipState;
use matrix_sdk::ruma::events::space::child::SpaceChildEventContent;
use matrix_sdk::ruma::events::AnySyncTimelineEvent;
use matrix_sdk::ruma::{OwnedRoomId, OwnedRoomOrAliasId, RoomAliasId, UInt};
use matrix_sdk::sync::SyncResponse;
use matrix_sdk::{Client, Room, RoomState};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::commands::Role;
use crate::config::MatrixConfig;
use crate::engine::{Engine, Incoming, IncomingKind, Outgoing};

use tenants::{decide_invite, InviteDecision, InviteFacts, RoomInfo, RoomMap};

const SYNC_TOKEN_KEY: &[u8] = b"matrix_since";
/// At most this many `/messages` pages are fetched to fill one gap.
const MAX_GAP_PAGES: usize = 50;
/// Reactions whose target the engine needs to see (saving one's own message as a reflection).
const REACTIONS_NEEDING_TARGET: &[&str] = &["📝"];
/// How long the ids of handled events are remembered (a sync never goes back further).
const HANDLED_KEPT_DAYS: i64 = 30;
/// Answers in flight at once per room.
const SEND_CONCURRENCY: usize = 8;

/// The engine's answers to one event, ready to send.
struct Prepared {
    event_id: String,
    outgoing: Vec<Outgoing>,
}

/// The running adapter: a cheap clonable handle.
#[derive(Clone)]
pub struct Adapter {
    client: Client,
    engine: Engine,
    config: MatrixConfig,
    rooms: RoomMap,
    own_user: String,
    /// Space room id → tenant, for rooms found as children of a Mission Locale's Space.
    spaces: Arc<Vec<(OwnedRoomId, String)>>,
    /// When the bot joined each room: older messages are history, never answered.
    joined_at: Arc<Mutex<HashMap<OwnedRoomId, DateTime<Utc>>>>,
    /// Configured aliases that did not resolve yet (room created after the bot started):
    /// (alias, tenant), tried again when an unknown room shows up.
    pending_aliases: Arc<Mutex<Vec<(String, String)>>>,
    /// Encrypted events whose key had not arrived yet: retried after each sync for a while,
    /// since keys can come late (key forwarding, backup).
    undecrypted: Arc<Mutex<Vec<Undecrypted>>>,
}

#[derive(Clone)]
struct Undecrypted {
    room_id: OwnedRoomId,
    event: TimelineEvent,
    first_seen: std::time::Instant,
}

/// How long an undecryptable event is retried before it is given up.
const UNDECRYPTED_RETRY: Duration = Duration::from_secs(15 * 60);

/// Run the bot until `shutdown`: log in, sync, answer, send what the scheduler hands over on
/// `posts`. Returns after the store is flushed.
pub async fn run(
    engine: Engine,
    posts: mpsc::Receiver<Outgoing>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let config = engine
        .config()
        .matrix
        .clone()
        .context("la section [matrix] manque dans la configuration")?;
    let data_dir = engine.config().data_dir.clone();
    let client = session::connect(&config, &data_dir).await?;
    let own_user = client
        .user_id()
        .context("pas d'utilisateur après connexion")?
        .to_string();
    let adapter = Adapter {
        client: client.clone(),
        engine: engine.clone(),
        config,
        rooms: RoomMap::default(),
        own_user,
        spaces: Arc::new(Vec::new()),
        joined_at: Arc::default(),
        pending_aliases: Arc::default(),
        undecrypted: Arc::default(),
    };
    let adapter = adapter.with_tenants().await;
    let tracker = TaskTracker::new();

    let filter = {
        let mut timeline = RoomEventFilter::default();
        timeline.limit = Some(UInt::from(adapter.config.timeline_limit));
        let mut room = RoomFilter::default();
        room.timeline = timeline;
        let mut def = FilterDefinition::default();
        def.room = room;
        def
    };
    let settings = SyncSettings::default()
        .timeout(Duration::from_secs(30))
        .filter(filter.into());

    let mut since: Option<String> = engine.store().get::<String>("meta", SYNC_TOKEN_KEY)?;
    if since.is_none() {
        // First start ever: skip the backlog, answer only what comes next.
        let response = client
            .sync_once(settings.clone())
            .await
            .context("première synchronisation")?;
        adapter.handle_invites(&response).await;
        since = Some(response.next_batch.clone());
        engine
            .store()
            .put("meta", SYNC_TOKEN_KEY, &response.next_batch)?;
        engine.store().flush().await?;
    }
    adapter.join_configured_rooms().await;
    prune_handled(&engine, HANDLED_KEPT_DAYS);
    {
        let (client, dir) = (client.clone(), data_dir.clone());
        tracker.spawn(async move { session::ensure_recovery(&client, &dir).await });
    }
    {
        let adapter = adapter.clone();
        let shutdown = shutdown.clone();
        tracker.spawn(async move { adapter.forward_posts(posts, shutdown).await });
    }
    tracing::info!(user = %adapter.own_user, "kitbot is ready");

    let mut failures = 0u32;
    loop {
        let mut this = settings.clone();
        if let Some(token) = &since {
            this = this.token(token.clone());
        }
        let result = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            result = client.sync_once(this) => result,
        };
        match result {
            Ok(response) => {
                failures = 0;
                // Handled to the end even if shutdown is asked meanwhile: the message in hand
                // is finished.
                adapter.handle_response(&response, since.as_deref()).await;
                since = Some(response.next_batch.clone());
                if let Err(err) = engine
                    .store()
                    .put("meta", SYNC_TOKEN_KEY, &response.next_batch)
                {
                    tracing::error!(cause = %err, "could not save the sync token");
                }
            }
            Err(err) => {
                failures += 1;
                let delay = Duration::from_millis(500 * 2u64.pow(failures.min(6)));
                tracing::warn!(cause = %err, ?delay, "sync failed, retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
    tracing::info!("shutting down");
    tracker.close();
    tracker.wait().await;
    engine.store().flush().await?;
    Ok(())
}

/// Forget handled-event ids older than `days`, so the `handled` tree does not grow forever.
fn prune_handled(engine: &Engine, days: i64) {
    let cutoff = (engine.now() - chrono::Duration::days(days)).timestamp_millis();
    let Ok(tree) = engine.store().tree("handled") else {
        return;
    };
    let mut removed = 0usize;
    for (key, value) in tree.iter().flatten() {
        let at = std::str::from_utf8(&value)
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0);
        if at < cutoff && tree.remove(key).is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(removed, "forgot old handled-event ids");
    }
}

impl Adapter {
    /// Resolve the configured rooms and Spaces to room ids, and reload the recorded DMs.
    async fn with_tenants(mut self) -> Adapter {
        let mut spaces = Vec::new();
        for ml in &self.engine.config().missions {
            for room in &ml.rooms {
                match self.resolve(room).await {
                    Some(id) => self.rooms.insert(
                        id.as_str(),
                        RoomInfo {
                            tenant: ml.id.clone(),
                            direct: false,
                        },
                    ),
                    None => {
                        tracing::warn!(room, mission_locale = %ml.id, "configured room could not be resolved yet");
                        self.pending_aliases
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push((room.clone(), ml.id.clone()));
                    }
                }
            }
            if let Some(space) = &ml.space {
                match self.resolve(space).await {
                    Some(id) => {
                        self.rooms.insert(
                            id.as_str(),
                            RoomInfo {
                                tenant: ml.id.clone(),
                                direct: false,
                            },
                        );
                        spaces.push((id, ml.id.clone()));
                    }
                    None => {
                        tracing::warn!(space, mission_locale = %ml.id, "configured space could not be resolved")
                    }
                }
            }
        }
        match self.engine.store().scan_prefix::<String>("dm_rooms", b"") {
            Ok(dms) => {
                for (room, tenant) in dms {
                    let room = String::from_utf8_lossy(&room).into_owned();
                    self.rooms.insert(
                        &room,
                        RoomInfo {
                            tenant,
                            direct: true,
                        },
                    );
                }
            }
            Err(err) => tracing::error!(cause = %err, "could not read the recorded direct rooms"),
        }
        self.spaces = Arc::new(spaces);
        self
    }

    async fn resolve(&self, room: &str) -> Option<OwnedRoomId> {
        if room.starts_with('!') {
            return OwnedRoomId::try_from(room).ok();
        }
        let alias = <&RoomAliasId>::try_from(room).ok()?;
        match self.client.resolve_room_alias(alias).await {
            Ok(response) => Some(response.room_id),
            Err(err) => {
                tracing::warn!(cause = %err, room, "alias resolution failed");
                None
            }
        }
    }

    /// Join the configured rooms (and Spaces) the bot is invited to or that are public.
    async fn join_configured_rooms(&self) {
        let mut targets: Vec<String> = Vec::new();
        for ml in &self.engine.config().missions {
            targets.extend(ml.rooms.iter().cloned());
            targets.extend(ml.space.iter().cloned());
        }
        for target in targets {
            let Ok(id) = OwnedRoomOrAliasId::try_from(target.as_str()) else {
                continue;
            };
            if let Ok(room_id) = OwnedRoomId::try_from(target.as_str()) {
                if self
                    .client
                    .get_room(&room_id)
                    .is_some_and(|r| r.state() == RoomState::Joined)
                {
                    continue;
                }
            }
            if let Err(err) = self.client.join_room_by_id_or_alias(&id, &[]).await {
                tracing::info!(cause = %err, room = %target, "could not join a configured room yet (invite the bot)");
            }
        }
    }

    /// The tenant of a room: configured, recorded DM, or child of a configured Space.
    async fn room_info(&self, room: &Room) -> Option<RoomInfo> {
        if let Some(info) = self.rooms.get(room.room_id().as_str()) {
            return Some(info);
        }
        for (space_id, tenant) in self.spaces.iter() {
            let Some(space) = self.client.get_room(space_id) else {
                continue;
            };
            let child = space
                .get_state_event_static_for_key::<SpaceChildEventContent, _>(room.room_id())
                .await
                .ok()
                .flatten();
            if child.is_some() {
                let info = RoomInfo {
                    tenant: tenant.clone(),
                    direct: false,
                };
                self.rooms.insert(room.room_id().as_str(), info.clone());
                return Some(info);
            }
        }
        None
    }

    async fn handle_invites(&self, response: &SyncResponse) {
        for room_id in response.rooms.invited.keys() {
            let Some(room) = self.client.get_room(room_id) else {
                continue;
            };
            if let Err(err) = self.handle_invite(&room).await {
                tracing::warn!(cause = %err, room_id = %room_id, "invite not handled");
            }
        }
    }

    /// Try again the configured aliases that did not resolve yet (a room created after the bot
    /// started). Only on invites: that is when an unknown room can turn out to be configured.
    async fn retry_pending_aliases(&self) {
        let pending: Vec<(String, String)> = self
            .pending_aliases
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for (alias, tenant) in pending {
            if let Some(id) = self.resolve(&alias).await {
                self.rooms.insert(
                    id.as_str(),
                    RoomInfo {
                        tenant,
                        direct: false,
                    },
                );
                self.pending_aliases
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .retain(|(a, _)| *a != alias);
            }
        }
    }

    async fn handle_invite(&self, room: &Room) -> anyhow::Result<()> {
        self.retry_pending_aliases().await;
        let details = room.invite_details().await?;
        let inviter = details.inviter_id.to_string();
        let is_direct = match details.invitee.event().as_ref() {
            matrix_sdk::deserialized_responses::SyncOrStrippedState::Stripped(ev) => {
                ev.content.is_direct
            }
            matrix_sdk::deserialized_responses::SyncOrStrippedState::Sync(ev) => {
                ev.as_original().and_then(|e| e.content.is_direct)
            }
        }
        .unwrap_or(false);
        let room_tenant = self
            .room_info(room)
            .await
            .filter(|i| !i.direct)
            .map(|i| i.tenant);
        let inviter_tenants = if is_direct {
            self.tenants_of_member(&inviter).await
        } else {
            Vec::new()
        };
        let facts = InviteFacts {
            inviter: &inviter,
            is_direct,
            room_tenant: room_tenant.as_deref(),
            inviter_tenants: &inviter_tenants,
        };
        match decide_invite(&self.config.allowlist, &facts) {
            InviteDecision::Join { tenant, direct } => {
                room.join().await.context("join")?;
                if direct {
                    self.engine
                        .store()
                        .put("dm_rooms", room.room_id().as_bytes(), &tenant)?;
                    self.engine.store().put(
                        "dm_of",
                        format!("{tenant}|{inviter}").as_bytes(),
                        &room.room_id().to_string(),
                    )?;
                    self.rooms.insert(
                        room.room_id().as_str(),
                        RoomInfo {
                            tenant: tenant.clone(),
                            direct: true,
                        },
                    );
                }
                tracing::info!(room_id = %room.room_id(), %inviter, %tenant, direct, "invite accepted");
            }
            InviteDecision::Decline { reason } => {
                room.leave().await.context("decline")?;
                tracing::info!(room_id = %room.room_id(), %inviter, reason, "invite declined");
            }
        }
        Ok(())
    }

    /// The tenants in whose team rooms `user` is a joined member, in config order.
    async fn tenants_of_member(&self, user: &str) -> Vec<String> {
        let Ok(user_id) = matrix_sdk::ruma::OwnedUserId::try_from(user) else {
            return Vec::new();
        };
        let mut found = Vec::new();
        for ml in &self.engine.config().missions {
            for room_id in self.rooms.team_rooms(&ml.id) {
                let Ok(id) = OwnedRoomId::try_from(room_id.as_str()) else {
                    continue;
                };
                let Some(room) = self.client.get_room(&id) else {
                    continue;
                };
                if let Ok(Some(member)) = room.get_member(&user_id).await {
                    if *member.membership() == MembershipState::Join {
                        found.push(ml.id.clone());
                        break;
                    }
                }
            }
        }
        found
    }

    async fn handle_response(&self, response: &SyncResponse, since: Option<&str>) {
        self.handle_invites(response).await;
        let work = response
            .rooms
            .joined
            .iter()
            .map(|(room_id, update)| async move {
                let Some(room) = self.client.get_room(room_id) else {
                    return;
                };
                let mut events: Vec<TimelineEvent> = Vec::new();
                if update.timeline.limited {
                    if let (Some(prev), Some(since)) =
                        (update.timeline.prev_batch.as_deref(), since)
                    {
                        events = self.fetch_gap(&room, prev, since).await;
                    }
                }
                events.extend(update.timeline.events.iter().cloned());
                // The engine sees the room's events one by one, in order; the answers go out
                // concurrently (a few at a time), which keeps bursts fast.
                let mut in_flight = futures_util::stream::FuturesUnordered::new();
                for event in events {
                    if let Some(prepared) = self.prepare_event(&room, &event).await {
                        in_flight.push(self.deliver(prepared));
                        if in_flight.len() >= SEND_CONCURRENCY {
                            in_flight.next().await;
                        }
                    }
                }
                while in_flight.next().await.is_some() {}
            });
        join_all(work).await;
        self.retry_undecrypted().await;
    }

    /// Try again the encrypted events that could not be decrypted earlier.
    async fn retry_undecrypted(&self) {
        let pending: Vec<Undecrypted> =
            std::mem::take(&mut *self.undecrypted.lock().unwrap_or_else(|e| e.into_inner()));
        for item in pending {
            let Some(room) = self.client.get_room(&item.room_id) else {
                continue;
            };
            let raw = item.event.raw().cast_ref_unchecked::<matrix_sdk::ruma::events::room::encrypted::OriginalSyncRoomEncryptedEvent>();
            match room.decrypt_event(raw, None).await {
                Ok(decrypted) if !decrypted.kind.is_utd() => {
                    if let Some(prepared) = self.prepare_event(&room, &decrypted).await {
                        self.deliver(prepared).await;
                    }
                }
                _ if item.first_seen.elapsed() < UNDECRYPTED_RETRY => {
                    self.undecrypted
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(item);
                }
                _ => {
                    tracing::warn!(room_id = %item.room_id, "gave up on an event that could not be decrypted")
                }
            }
        }
    }

    /// The events between `since` (the previous sync) and `prev_batch` (the start of a limited
    /// timeline), oldest first.
    async fn fetch_gap(&self, room: &Room, prev_batch: &str, since: &str) -> Vec<TimelineEvent> {
        let mut older = Vec::new();
        let mut from = prev_batch.to_owned();
        for _ in 0..MAX_GAP_PAGES {
            let mut options = MessagesOptions::backward().from(from.as_str());
            options.to = Some(since.to_owned());
            options.limit = UInt::from(100u32);
            let page = match room.messages(options).await {
                Ok(page) => page,
                Err(err) => {
                    tracing::warn!(cause = %err, room_id = %room.room_id(), "could not fetch a timeline gap");
                    break;
                }
            };
            let done = page.chunk.is_empty() || page.end.is_none();
            let seen_before = page.chunk.iter().any(|e| {
                e.event_id()
                    .is_some_and(|id| self.already_handled(id.as_str()))
            });
            older.extend(page.chunk);
            match page.end {
                Some(end) if !done && !seen_before => from = end,
                _ => break,
            }
        }
        tracing::info!(room_id = %room.room_id(), events = older.len(), "filled a timeline gap");
        older.reverse();
        older
    }

    fn already_handled(&self, event_id: &str) -> bool {
        self.engine
            .store()
            .tree("handled")
            .ok()
            .and_then(|t| t.contains_key(event_id).ok())
            .unwrap_or(false)
    }

    /// When the bot joined `room` (its own membership event), cached.
    async fn joined_at(&self, room: &Room) -> Option<DateTime<Utc>> {
        if let Some(at) = self
            .joined_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(room.room_id())
        {
            return Some(*at);
        }
        let own = self.client.user_id()?;
        let member = room.get_member_no_sync(own).await.ok().flatten()?;
        let ms: i64 = member.event().timestamp()?.into();
        let at = DateTime::from_timestamp_millis(ms)?;
        self.joined_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(room.room_id().to_owned(), at);
        Some(at)
    }

    async fn role_of(&self, room: &Room, info: &RoomInfo, sender: &str) -> Role {
        let Some(ml) = self.engine.mission(&info.tenant) else {
            return Role::Membre;
        };
        let Ok(user) = matrix_sdk::ruma::OwnedUserId::try_from(sender) else {
            return Role::Membre;
        };
        let rooms: Vec<Room> = if info.direct {
            // In a DM, the person's role is the highest they hold in their Mission Locale's rooms.
            self.rooms
                .team_rooms(&info.tenant)
                .iter()
                .filter_map(|r| OwnedRoomId::try_from(r.as_str()).ok())
                .filter_map(|id| self.client.get_room(&id))
                .collect()
        } else {
            vec![room.clone()]
        };
        for room in rooms {
            if let Ok(level) = room.get_user_power_level(&user).await {
                let coordination = match level {
                    matrix_sdk::ruma::events::room::power_levels::UserPowerLevel::Infinite => true,
                    matrix_sdk::ruma::events::room::power_levels::UserPowerLevel::Int(n) => {
                        i64::from(n) >= ml.coordination_level
                    }
                    _ => false,
                };
                if coordination {
                    return Role::Coordination;
                }
            }
        }
        Role::Membre
    }

    /// Turn one timeline event into the engine's answers, unless it was handled already, is
    /// history from before the bot joined, or is nothing the bot cares about.
    #[tracing::instrument(skip_all, fields(room_id = %room.room_id(), event_id))]
    async fn prepare_event(&self, room: &Room, event: &TimelineEvent) -> Option<Prepared> {
        let event_id = event.event_id()?;
        tracing::Span::current().record("event_id", event_id.as_str());
        if self.already_handled(event_id.as_str()) {
            return None;
        }
        if event.kind.is_utd() {
            let mut pending = self.undecrypted.lock().unwrap_or_else(|e| e.into_inner());
            if !pending
                .iter()
                .any(|u| u.event.event_id().as_ref() == Some(&event_id))
            {
                tracing::info!("unable to decrypt an event yet; will retry when keys arrive");
                pending.push(Undecrypted {
                    room_id: room.room_id().to_owned(),
                    event: event.clone(),
                    first_seen: std::time::Instant::now(),
                });
            }
            return None;
        }
        let Ok(parsed) = event.raw().deserialize() else {
            return None;
        };
        let classified = convert::classify(&parsed, &self.own_user)?;
        if let Some(joined) = self.joined_at(room).await {
            if classified.sent_at < joined {
                return None;
            }
        }
        let info = self.room_info(room).await?;
        let role = self.role_of(room, &info, &classified.sender).await;
        let mut kind = classified.kind;
        if let IncomingKind::Reaction {
            target,
            key,
            target_sender,
            target_body,
        } = &mut kind
        {
            if REACTIONS_NEEDING_TARGET.contains(&key.as_str()) {
                if let Some((sender, body)) = self.fetch_text(room, target).await {
                    *target_sender = Some(sender);
                    *target_body = Some(body);
                }
            }
        }
        let incoming = Incoming {
            tenant: info.tenant,
            room_id: room.room_id().to_string(),
            is_direct: info.direct,
            sender: classified.sender,
            role,
            event_id: classified.event_id.clone(),
            thread_root: classified.thread_root,
            sent_at: classified.sent_at,
            kind,
        };
        let outgoing = self.engine.handle(&incoming).await;
        Some(Prepared {
            event_id: classified.event_id,
            outgoing,
        })
    }

    /// Send the answers to one event, then record the event as handled (only if they all went
    /// out: otherwise a restart tries again, and the transaction ids avoid doubles).
    async fn deliver(&self, prepared: Prepared) {
        let mut all_sent = true;
        for (index, out) in prepared.outgoing.iter().enumerate() {
            let seed = format!("{}:{index}", prepared.event_id);
            if let Err(err) =
                send::send(&self.client, self.engine.store(), &self.rooms, out, &seed).await
            {
                all_sent = false;
                tracing::error!(cause = %format!("{err:#}"), event_id = %prepared.event_id, "could not send an answer");
            }
        }
        if all_sent {
            let now = self.engine.now().timestamp_millis().to_string();
            if let Err(err) = self.engine.store().insert_if_absent(
                "handled",
                prepared.event_id.as_bytes(),
                now.as_bytes(),
            ) {
                tracing::error!(cause = %err, "could not record a handled event");
            }
        }
    }

    /// Sender and plain body of a text message, fetched by id.
    async fn fetch_text(&self, room: &Room, event_id: &str) -> Option<(String, String)> {
        let id = matrix_sdk::ruma::OwnedEventId::try_from(event_id).ok()?;
        let event = room.event(&id, None).await.ok()?;
        let parsed: AnySyncTimelineEvent = event.raw().deserialize().ok()?;
        let classified = convert::classify(&parsed, "")?;
        match classified.kind {
            IncomingKind::Message { body } => Some((classified.sender, body)),
            _ => None,
        }
    }

    /// Send what the scheduler hands over, until shutdown.
    async fn forward_posts(
        &self,
        mut posts: mpsc::Receiver<Outgoing>,
        shutdown: CancellationToken,
    ) {
        loop {
            let out = tokio::select! {
                _ = shutdown.cancelled() => break,
                out = posts.recv() => match out { Some(out) => out, None => break },
            };
            let seed = match &out {
                Outgoing::Post { txn_id, .. } => txn_id.clone(),
                other => format!("{other:?}"),
            };
            match send::send(&self.client, self.engine.store(), &self.rooms, &out, &seed).await {
                Ok(Some(event_id)) => {
                    if let Outgoing::Post { room_id, .. } = &out {
                        self.engine.record_post(&seed, room_id, event_id.as_str());
                    }
                }
                Ok(None) => {}
                Err(err) => {
                    tracing::error!(cause = %format!("{err:#}"), "could not send a scheduled message")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::tests::engine_at;

    #[test]
    fn old_handled_ids_are_forgotten_recent_ones_kept() {
        let (engine, _) = engine_at("2026-11-30T08:00:00Z");
        let store = engine.store();
        let old = (engine.now() - chrono::Duration::days(31))
            .timestamp_millis()
            .to_string();
        let recent = (engine.now() - chrono::Duration::days(1))
            .timestamp_millis()
            .to_string();
        store
            .insert_if_absent("handled", b"$old", old.as_bytes())
            .expect("insert");
        store
            .insert_if_absent("handled", b"$recent", recent.as_bytes())
            .expect("insert");
        super::prune_handled(&engine, 30);
        let tree = store.tree("handled").expect("tree");
        assert!(!tree.contains_key("$old").expect("read"));
        assert!(tree.contains_key("$recent").expect("read"));
    }
}
