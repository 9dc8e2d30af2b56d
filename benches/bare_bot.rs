//! A bare matrix-sdk 0.18 bot: the baseline column of `bench/compare` (issue 13). It logs in
//! (or restores its saved session and store on a second start), joins the rooms it is invited
//! to, and answers `!ping` with `pong` in reply, in the same room. No logic, no filter, no gap
//! fetching, no rate limit, plain rooms: what any matrix-sdk bot costs before doing anything.
//!
//! `BARE_BOT_AS_KITBOT=1` gives it kitbot's matrix-sdk settings and nothing else of kitbot: a
//! store encrypted with a 32-byte key (kitbot's `store-key`) and kitbot's sync filter (its own events, receipts, typing and
//! presence left out; timeline limit 100). That column of `bench/compare` is what matrix-sdk
//! costs a bot set up like kitbot before any logic: kitbot's floor.
//!
//! Diagnostics for BENCHMARKS.md, each set by the environment: `BARE_BOT_FILTER_PARTS` (some
//! parts of kitbot's filter only), `BARE_BOT_FILTER_AB` (two filters, alternating from one
//! command to the next), `BARE_BOT_CATCH_UP_B`, `BARE_BOT_FILTER_ID`, `BARE_BOT_LOW_MEMORY`,
//! `BARE_BOT_SPAWN_SEND`, `BARE_BOT_CONTENT`; each is described where it is read.
//!
//! A bench target (`harness = false`) so that it shares kitbot's dependency build without
//! being part of `cargo build` or `cargo test`. Configured by the environment (`BARE_BOT_*`);
//! without it (as when `cargo bench` runs every bench) it says so and exits.

#![recursion_limit = "256"]

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::api::client::filter::FilterDefinition;
use matrix_sdk::ruma::api::client::sync::sync_events::v3::Filter;
use matrix_sdk::ruma::events::relation::{InReplyTo, Reply};
use matrix_sdk::ruma::events::room::member::StrippedRoomMemberEvent;
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, Relation, RoomMessageEventContent,
};
use matrix_sdk::store::RoomLoadSettings;
use matrix_sdk::{Client, Room, SqliteStoreConfig};

async fn on_invite(event: StrippedRoomMemberEvent, room: Room, client: Client) {
    if client.user_id() == Some(&*event.state_key) {
        if let Err(err) = room.join().await {
            eprintln!("join {}: {err}", room.room_id());
        }
    }
}

/// `!ping`s answered so far: with `BARE_BOT_FILTER_AB`, its parity picks the next request's filter.
static PINGS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Only the named parts of kitbot's sync filter (`limit`, `senders`, `ephemeral`, `presence`,
/// comma-separated; `none` or nothing: no filter at all).
fn filter_parts(user: &str, parts: &str) -> Option<FilterDefinition> {
    let has = |part: &str| parts.split(',').any(|p| p.trim() == part);
    // 100: kitbot's default `timeline_limit`.
    let full = kitbot::matrix::sync::sync_filter(user, 100);
    let mut filter = FilterDefinition::default();
    let any = ["limit", "senders", "ephemeral", "presence"]
        .into_iter()
        .any(has);
    if has("limit") {
        filter.room.timeline.limit = full.room.timeline.limit;
    }
    if has("senders") {
        filter.room.timeline.not_senders = full.room.timeline.not_senders;
    }
    if has("ephemeral") {
        filter.room.ephemeral = full.room.ephemeral;
    }
    if has("presence") {
        filter.presence = full.presence;
    }
    any.then_some(filter)
}

async fn on_message(event: OriginalSyncRoomMessageEvent, room: Room, client: Client) {
    let MessageType::Text(text) = &event.content.msgtype else {
        return;
    };
    if client.user_id() == Some(&*event.sender) || text.body.trim() != "!ping" {
        return;
    }
    // The filter the request that carried this command was made with (`BARE_BOT_FILTER_AB`;
    // read by `bench/wakeup.py … --by-filter` from `BARE_BOT_LOG=…,bare::ab=info`).
    let filter = PINGS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) % 2;
    tracing::info!(target: "bare::ab", filter, event_id = %event.event_id, "command");
    // For `bench/timing.py`: matrix-sdk runs event handlers inside `sync_once`, before the
    // store's post-sync work (`BARE_BOT_LOG=...,bare::timing=trace`).
    tracing::trace!(target: "bare::timing", "handler");
    // `BARE_BOT_CONTENT=kitbot` answers with what kitbot's `!ping` sends (its French words
    // rendered from Markdown, an empty `m.mentions`), to tell whether the homeserver takes
    // longer to accept kitbot's answer than a bare `pong` (a diagnostic, BENCHMARKS.md).
    let mut content = if std::env::var("BARE_BOT_CONTENT").is_ok_and(|v| v == "kitbot") {
        let age = matrix_sdk::ruma::MilliSecondsSinceUnixEpoch::now()
            .get()
            .saturating_sub(event.origin_server_ts.get());
        RoomMessageEventContent::notice_markdown(kitbot::strings::engine::pong(
            env!("CARGO_PKG_VERSION"),
            i64::from(age),
        ))
        .add_mentions(matrix_sdk::ruma::events::Mentions::new())
    } else {
        RoomMessageEventContent::notice_plain("pong")
    };
    content.relates_to = Some(Relation::Reply(Reply::new(InReplyTo::new(
        event.event_id.clone(),
    ))));
    let send = async move {
        if let Err(err) = room.send(content).await {
            eprintln!("send: {err}");
        }
    };
    // matrix-sdk awaits event handlers inside `sync_once`: awaited here, the next sync request
    // leaves only once the answer is stored. `BARE_BOT_SPAWN_SEND=1` sends in the background
    // instead, as kitbot's delivery task does, so the next sync overlaps the send (a diagnostic).
    if std::env::var("BARE_BOT_SPAWN_SEND").is_ok_and(|v| v == "1") {
        tokio::spawn(send);
    } else {
        send.await;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let var = |name: &str| std::env::var(name).ok();
    let (Some(homeserver), Some(user), Some(password), Some(data)) = (
        var("BARE_BOT_HOMESERVER"),
        var("BARE_BOT_USER"),
        var("BARE_BOT_PASSWORD"),
        var("BARE_BOT_DATA"),
    ) else {
        println!("bare_bot: the baseline bot of bench/compare, not a benchmark (set BARE_BOT_HOMESERVER, BARE_BOT_USER, BARE_BOT_PASSWORD, BARE_BOT_DATA to run it)");
        return Ok(());
    };
    // A diagnostic: `BARE_BOT_LOG=<filter>` logs what the filter lets through to stderr (as
    // kitbot's `KITBOT_LOG` does), e.g. `matrix_sdk::http_client=debug` for each request's time.
    if let Some(filter) = var("BARE_BOT_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .init();
    }
    let as_kitbot = var("BARE_BOT_AS_KITBOT").is_some_and(|v| v == "1");
    let data = PathBuf::from(data);
    std::fs::create_dir_all(&data).context("data folder")?;
    let client = Client::builder()
        .homeserver_url(&homeserver)
        .sqlite_store_with_config_and_cache_path(
            // `BARE_BOT_LOW_MEMORY=1`: matrix-sdk's low-memory SQLite settings, as kitbot's
            // store has them (a diagnostic: what they cost a lone command).
            if var("BARE_BOT_LOW_MEMORY").is_some_and(|v| v == "1") {
                SqliteStoreConfig::with_low_memory_config(data.join("store"))
            } else {
                SqliteStoreConfig::new(data.join("store"))
            }
            .key(as_kitbot.then_some(&[7u8; 32])),
            None::<PathBuf>,
        )
        .build()
        .await?;
    let saved = data.join("session.json");
    let mut settings = SyncSettings::default().timeout(Duration::from_secs(30));
    let restored = if let Ok(text) = std::fs::read_to_string(&saved) {
        let session: MatrixSession = serde_json::from_str(&text)?;
        client
            .matrix_auth()
            .restore_session(session, RoomLoadSettings::default())
            .await?;
        true
    } else {
        client
            .matrix_auth()
            .login_username(&user, &password)
            .initial_device_display_name("bare bot")
            .send()
            .await?;
        let session = client.matrix_auth().session().context("no session")?;
        std::fs::write(&saved, serde_json::to_string(&session)?)?;
        false
    };
    // `BARE_BOT_FILTER_PARTS=limit,senders,ephemeral,presence` (any of them): only those parts
    // of kitbot's sync filter, with or without kitbot's store key (a diagnostic: which part
    // changes the homeserver's time to wake the sync request).
    let parts = var("BARE_BOT_FILTER_PARTS");
    if as_kitbot || parts.is_some() {
        let filter = match parts {
            Some(parts) => filter_parts(&user, &parts).unwrap_or_default(),
            // 100: kitbot's default `timeline_limit`.
            None => kitbot::matrix::sync::sync_filter(&user, 100),
        };
        // `BARE_BOT_FILTER_ID=1`: the filter uploaded once and named by its id in each request,
        // instead of written out in each (a diagnostic: what Synapse's reading of it costs).
        settings = if var("BARE_BOT_FILTER_ID").is_some_and(|v| v == "1") {
            let id = client.get_or_upload_filter("bare-kitbot", filter).await?;
            settings.filter(Filter::FilterId(id))
        } else {
            settings.filter(filter.into())
        };
    }
    // The position of the loop (a restored session's comes from matrix-sdk's store until the
    // first response).
    let mut token: Option<String> = None;
    if !restored {
        // First start: skip whatever happened before (MATRIX-NOTES, pitfall 4).
        let response = client.sync_once(settings.clone()).await?;
        token = Some(response.next_batch);
    }
    client.add_event_handler(on_invite);
    client.add_event_handler(on_message);
    // `BARE_BOT_FILTER_AB=<parts>/<parts>` (as `BARE_BOT_FILTER_PARTS`, `none` for no filter):
    // after an even number of `!ping`s the sync requests use the first filter, after an odd
    // number the second, so that two filters are compared within one run, command by command,
    // whatever the machine's speed does meanwhile (`bench/wakeup.py … --by-filter`).
    let ab = var("BARE_BOT_FILTER_AB").map(|ab| {
        let (a, b) = ab.split_once('/').unwrap_or((&ab, "none"));
        let with = |parts: &str| match filter_parts(&user, parts) {
            Some(filter) => SyncSettings::default()
                .timeout(Duration::from_secs(30))
                .filter(filter.into()),
            None => SyncSettings::default().timeout(Duration::from_secs(30)),
        };
        [with(a), with(b)]
    });
    // `BARE_BOT_CATCH_UP_B=1`, with `BARE_BOT_FILTER_AB`: before waiting with the second filter,
    // one sync that returns at once (timeout 0), so that the long poll starts from a position
    // past the bot's own answer (which that filter may leave out) rather than from before it (a
    // diagnostic: whether the position's age is what slows the homeserver's wake-up).
    let catch_up_b = var("BARE_BOT_CATCH_UP_B").is_some_and(|v| v == "1");
    let mut caught_up_at = usize::MAX;
    eprintln!("bare bot is ready");
    // `sync_once` in a loop, not `Client::sync` (its 1 s pause: MATRIX-NOTES, pitfall 1).
    loop {
        let mut this = match &ab {
            Some(ab) => {
                let pings = PINGS.load(std::sync::atomic::Ordering::SeqCst);
                let parity = pings % 2;
                let mut this = ab[parity].clone();
                if catch_up_b && parity == 1 && caught_up_at != pings {
                    caught_up_at = pings;
                    this = this.timeout(Duration::ZERO);
                }
                this
            }
            None => settings.clone(),
        };
        if let Some(token) = &token {
            this = this.token(token.clone());
        }
        match client.sync_once(this).await {
            Ok(response) => {
                tracing::trace!(target: "bare::timing", "sync_once returned");
                token = Some(response.next_batch);
            }
            Err(err) => {
                eprintln!("sync: {err}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
