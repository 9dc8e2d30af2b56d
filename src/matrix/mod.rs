//! The Matrix adapter: Matrix events → [`Incoming`](crate::core::Incoming) for the engine, and
//! the engine's outbox → Matrix sends. It owns login, session persistence, E2EE, invites, sync
//! and retries; the product is the engine's.
//!
//! Split by job, each file opening with what it owns:
//! - [`session`]: login, the saved session and store passphrase, encryption recovery;
//! - [`sync`]: the sync loop, its saved position, gap filling, and each event to the engine;
//! - [`rooms`]: which room belongs to which Mission Locale, invites, direct rooms;
//! - [`tenants`]: the pure parts of that (the room map, the invite decision);
//! - [`roles`]: a sender's role, from power levels;
//! - [`undecrypted`]: encrypted events whose key came late, retried for a while;
//! - [`presence`]: display name and avatar, typing notices, read receipts;
//! - [`convert`]: which Matrix events matter and what they mean, as pure functions;
//! - [`send`]: the [`Transport`](crate::outbox::Transport) that delivers the outbox.
//!
//! This file holds the [`Adapter`] handle those jobs share, and [`run`], which wires them.

pub mod convert;
pub mod presence;
pub mod roles;
pub mod rooms;
pub mod send;
pub mod session;
pub mod sync;
pub mod tenants;
pub mod undecrypted;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use matrix_sdk::ruma::OwnedRoomId;
use matrix_sdk::Client;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{Config, MatrixConfig};
use crate::engine::Engine;

use tenants::RoomMap;

/// The running adapter: a cheap clonable handle shared by its jobs.
#[derive(Clone)]
pub struct Adapter {
    client: Client,
    engine: Engine,
    config: MatrixConfig,
    rooms: RoomMap,
    own_user: String,
    /// Space room id → tenant, for rooms found as children of a Mission Locale's Space.
    spaces: Arc<Vec<(OwnedRoomId, String)>>,
    /// Configured room id (aliases resolved) → the Missions Locales that list it (more than
    /// one: served by none).
    configured: Arc<RwLock<HashMap<String, Vec<String>>>>,
    /// When the bot joined each room: older messages are history, never answered.
    joined_at: Arc<Mutex<HashMap<OwnedRoomId, DateTime<Utc>>>>,
    /// Tests only (`KITBOT_FAULT=join-clock-skew:<seconds>`): how far off the wall clock the bot
    /// reads when it joins a room is from the homeserver's; zero otherwise.
    join_clock_skew: chrono::Duration,
    /// Configured aliases that did not resolve yet (room created after the bot started):
    /// (alias, tenant), tried again when an unknown room shows up.
    pending_aliases: Arc<Mutex<Vec<(String, String)>>>,
    undecrypted: undecrypted::Pending,
    /// Sends without the outbox, for the answers to events the store could not record.
    transport: Arc<send::MatrixTransport>,
    /// Events answered while the store could not record them: never handed over again by this
    /// process (the store may be back before the sync position moves past them).
    dropped: Arc<Mutex<HashSet<String>>>,
    /// Read receipts, sent in the background.
    receipts: presence::Receipts,
    /// Membership and power levels by room and person, until the state changes.
    roles: roles::RoleCache,
}

/// The bot's Matrix client: its saved session restored, or its first login made (the
/// `[matrix]` section of `config`, the session in its data folder).
pub async fn connect(config: &Config) -> anyhow::Result<Client> {
    let matrix = config
        .matrix
        .as_ref()
        .context("la section [matrix] manque dans la configuration")?;
    session::connect(matrix, &config.data_dir).await
}

/// Run the bot with `client` (from [`connect`]) until `shutdown`: sync, answer, deliver the
/// outbox. Returns after the last sync response in hand was handled and the background jobs
/// stopped.
pub async fn run(
    client: Client,
    engine: Engine,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let config = engine
        .config()
        .matrix
        .clone()
        .context("la section [matrix] manque dans la configuration")?;
    let data_dir = engine.config().data_dir.clone();
    let own_user = client
        .user_id()
        .context("pas d'utilisateur après connexion")?
        .to_string();
    let transport = Arc::new(send::MatrixTransport::new(
        client.clone(),
        engine.store().clone(),
        RoomMap::default(),
    ));
    let adapter = Adapter {
        transport: transport.clone(),
        dropped: Arc::default(),
        client: client.clone(),
        engine: engine.clone(),
        config,
        rooms: transport.rooms().clone(),
        own_user,
        spaces: Arc::new(Vec::new()),
        configured: Arc::default(),
        joined_at: Arc::default(),
        join_clock_skew: sync::join_clock_skew(),
        pending_aliases: Arc::default(),
        undecrypted: undecrypted::Pending::default(),
        receipts: transport.receipts().clone(),
        roles: roles::RoleCache::default(),
    };
    let adapter = adapter.with_tenants().await;
    tracing::trace!(target: "kitbot::timing", "tenants read");
    let tracker = TaskTracker::new();
    let mut sync = sync::SyncLoop::start(&adapter).await?;
    // The display name, the avatar and the encryption recovery wait for the first response to
    // be handled: nothing waits for them, and the first answers after a restart should not
    // queue behind their requests at the homeserver.
    {
        let (client, config, store) = (
            client.clone(),
            adapter.config.clone(),
            engine.store().clone(),
        );
        let (first, stop) = (sync.first_response(), shutdown.clone());
        tracker.spawn(async move {
            if after(&first, &stop).await {
                presence::ensure_profile(&client, &config, &store).await
            }
        });
    }
    adapter.join_configured_rooms().await;
    adapter.revisit_rooms().await;
    adapter.check_nudge_rooms().await;
    adapter.recheck_digest_subscribers().await;
    tracing::trace!(target: "kitbot::timing", "rooms checked");
    {
        let (client, dir) = (client.clone(), data_dir.clone());
        let (first, stop) = (sync.first_response(), shutdown.clone());
        tracker.spawn(async move {
            if after(&first, &stop).await {
                session::ensure_recovery(&client, &dir, &stop).await
            }
        });
    }
    let outbox = engine.outbox().clone();
    let delivered = engine.delivered_hook();
    // The delivery task stops after the sync loop, so that the answers to the last response in
    // hand still go out.
    let delivery_stop = CancellationToken::new();
    // Supervised like the engine's background tasks: a panic outside a single send (those are
    // caught and retried by the outbox itself) restarts delivery a second later.
    let delivery = tokio_util::task::TaskTracker::new();
    {
        let (outbox, transport, delivered) = (outbox.clone(), transport.clone(), delivered.clone());
        crate::engine::supervise(&delivery, &delivery_stop, "delivery", move |stop| {
            crate::outbox::deliver(outbox.clone(), transport.clone(), delivered.clone(), stop)
        });
    }
    delivery.close();
    tracing::info!(user = %adapter.own_user, "kitbot is ready");
    sync.run(&adapter, &shutdown).await;
    tracing::info!("shutting down");
    delivery_stop.cancel();
    delivery.wait().await;
    // What the last response queued goes out now if the homeserver takes it quickly; anything
    // left stays in the outbox and goes out after the restart.
    let drain = crate::outbox::deliver_ready(&outbox, transport.as_ref(), &delivered);
    match tokio::time::timeout(DRAIN_AT_SHUTDOWN, drain).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => tracing::error!(cause = %err, "could not read the outbox at shutdown"),
        Err(_) => tracing::warn!(
            pending = outbox.len(),
            "messages still pending at shutdown are kept for the next start"
        ),
    }
    tracker.close();
    tracker.wait().await;
    engine.store().flush().await?;
    Ok(())
}

/// Waits for `first`; false if `stop` comes first (the job is then skipped).
async fn after(first: &CancellationToken, stop: &CancellationToken) -> bool {
    tokio::select! {
        biased;
        _ = stop.cancelled() => false,
        _ = first.cancelled() => true,
    }
}

/// How long the bot keeps delivering at shutdown before it leaves the rest for the next start.
const DRAIN_AT_SHUTDOWN: std::time::Duration = std::time::Duration::from_secs(5);
