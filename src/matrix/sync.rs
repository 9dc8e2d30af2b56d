//! The sync loop and each event to the engine.
//!
//! The loop calls `sync_once` itself rather than `Client::sync`, which waits a second between
//! close responses. It keeps its own sync position in the sled store and moves it past a
//! response only once every event of that response was handled: handed to the engine, whose
//! answers are queued in the outbox and its "handled" mark noted, and flushed to disk (the mark
//! reaches the ledger after the answers: `ledger.rs`). When an
//! event cannot be recorded (the disk is full), the position stays where it was and the next
//! sync starts again from it (events already handled are skipped by id), so no command is ever
//! skipped. When a room's timeline is `limited`, the events in the gap are fetched with
//! `/messages` back to the previous position, so bursts lose no command. The next request
//! leaves once the answers to the response just handled are sent (one second at most), as a bot
//! that sends its answer from its event handler: a request that reaches the homeserver while it
//! writes the answer slows that write.

use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::deserialized_responses::TimelineEvent;
use matrix_sdk::room::MessagesOptions;
use matrix_sdk::ruma::api::client::filter::{
    create_filter, FilterDefinition, RoomEventFilter, RoomFilter,
};
use matrix_sdk::ruma::api::client::sync::sync_events::{self, v3::Filter};
use matrix_sdk::ruma::events::{AnySyncStateEvent, AnySyncTimelineEvent};
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::UInt;
use matrix_sdk::sync::{State, SyncResponse};
use matrix_sdk::Room;
use tokio_util::sync::CancellationToken;

use crate::core::{Incoming, IncomingKind};
use crate::engine::Processed;
use crate::outbox::Transport as _;
use crate::store::StoreError;

use super::{convert, Adapter};

/// Room id → when the bot joined it (Unix milliseconds).
pub const ROOMS_JOINED: &str = "rooms_joined";
/// The store's tree of small settings; the sync filter's id is kept there ([`filter_key`]).
const META: &str = "meta";
/// At most this many `/messages` pages are fetched to fill one gap.
const MAX_GAP_PAGES: usize = 50;
/// How long the next sync request waits at most for the answers of the response just handled
/// to be sent: long enough for a send (tens of milliseconds, a few hundred under load), short
/// enough that a send that hangs delays the next commands by one second at most.
const ANSWERS_SENT_WAIT: Duration = Duration::from_secs(1);

/// How long the catch-up sync (`SyncLoop::catch_up`) may take before the loop goes on without
/// it: it returns at once when the homeserver is well, and is worth a few milliseconds only.
const CATCH_UP_WAIT: Duration = Duration::from_secs(2);

/// The loop's state: its filter and the position it resumes from.
pub struct SyncLoop {
    since: Option<String>,
    /// The position the SDK itself last stored. It drops a response whose `next_batch` it has
    /// seen already ("Got the same sync response twice"): when ours lags behind (a crash
    /// before our position was saved, or a response we could not record), the events of that
    /// response are read again with `/messages`.
    sdk_token: Option<String>,
    /// When `filter` names the homeserver's copy of the filter by its id: the filter written
    /// out and the key the id is kept under, for when the homeserver no longer knows that id.
    filter_fallback: Option<(FilterDefinition, String)>,
    /// The filter each sync request sends (its id, or written out).
    filter: Filter,
    /// `KITBOT_FAULT=hold-catch-up:<file>` (tests): each catch-up request waits until `<file>`
    /// exists, so that a test can send a command before it leaves (it then carries that
    /// command, and its position must not be taken).
    hold_catch_up: Option<String>,
    /// `KITBOT_FAULT=abort-after-sync:<text>` (tests): crash right after receiving a response
    /// with a message whose body contains `<text>`.
    abort_after_sync: Option<String>,
    /// Cancelled once the first response of this run is handled (or the first attempt failed):
    /// what can wait (the profile, the encryption recovery) starts then, so that it does not
    /// compete with the first answers for the homeserver.
    first_response: CancellationToken,
}

/// The bot's sync filter: at most `timeline_limit` events per room and never its own (its
/// answers, its joins: those are recorded when it joins, or read from the room's state), so its
/// own answer does not wake the sync loop and each command costs one sync response instead of
/// two (matrix-sdk's per-response work is most of a lone command's CPU: BENCHMARKS.md, "Where a
/// lone command's CPU goes"). Receipts and typing notices (the bot's own among them) and presence
/// are never read: without them, they do not wake the loop nor cost a round trip. Also the
/// setting of `bench/compare`'s bare bot "with kitbot's settings".
pub fn sync_filter(own_user: &str, timeline_limit: u32) -> FilterDefinition {
    let mut timeline = RoomEventFilter::default();
    timeline.limit = Some(UInt::from(timeline_limit));
    if let Ok(own) = matrix_sdk::ruma::OwnedUserId::try_from(own_user) {
        timeline.not_senders = vec![own];
    }
    let mut room = RoomFilter::default();
    room.timeline = timeline;
    room.ephemeral = RoomEventFilter::ignore_all();
    let mut def = FilterDefinition::default();
    def.room = room;
    def.presence = matrix_sdk::ruma::api::client::filter::Filter::ignore_all();
    def
}

/// Where the id of the homeserver's copy of a sync filter is kept: the `meta` tree, under
/// `sync_filter:kitbot-sync-` and the first 16 hex digits of the SHA-256 of the filter's JSON
/// (another filter, another key: a changed `timeline_limit` uploads its own).
fn filter_key(filter: &FilterDefinition) -> Option<String> {
    let json = serde_json::to_vec(filter).ok()?;
    let digest = super::presence::hex_digest(&json);
    Some(format!("sync_filter:kitbot-sync-{}", &digest[..16]))
}

/// The sync filter as the loop sends it: by the id of the homeserver's copy, uploaded once and
/// kept in the store, so that the homeserver does not read a filter out of each request (as
/// matrix-js-sdk's clients do); or written out in each request when no id can be had (the
/// homeserver or the store fails: nothing waits for it). With the id, the bare bot with
/// kitbot's settings got its sync responses 0.4–0.7 ms sooner in three rounds; in three pairs
/// of kitbot runs no difference was shown (BENCHMARKS.md, "Where the server delta goes").
struct FilterChoice {
    filter: Filter,
    /// With an id: the filter written out, and the key its id is kept under, for when the
    /// homeserver no longer knows that id.
    fallback: Option<(FilterDefinition, String)>,
}

async fn choose_filter(adapter: &Adapter, filter: FilterDefinition) -> FilterChoice {
    let written_out = |filter: FilterDefinition| FilterChoice {
        filter: filter.into(),
        fallback: None,
    };
    let Some(key) = filter_key(&filter) else {
        return written_out(filter);
    };
    let store = adapter.engine.store();
    let kept = match store.get::<String>(META, key.as_bytes()) {
        Ok(kept) => kept,
        Err(err) => {
            tracing::warn!(cause = %err, "could not read the sync filter's id; sending the filter with each request");
            return written_out(filter);
        }
    };
    let id = match kept {
        Some(id) => id,
        None => {
            let Some(user) = adapter.client.user_id() else {
                return written_out(filter);
            };
            let request = create_filter::v3::Request::new(user.to_owned(), filter.clone());
            match adapter.client.send(request).await {
                Ok(response) => {
                    // Flushed with the next sync position; lost in a crash before it, the
                    // next start uploads the filter again.
                    if let Err(err) = store.put(META, key.as_bytes(), &response.filter_id) {
                        tracing::warn!(cause = %err, "could not keep the sync filter's id");
                    }
                    response.filter_id
                }
                Err(err) => {
                    tracing::warn!(cause = %err, "could not upload the sync filter; sending it with each request");
                    return written_out(filter);
                }
            }
        }
    };
    FilterChoice {
        filter: Filter::FilterId(id),
        fallback: Some((filter, key)),
    }
}

/// A sync the homeserver refused as malformed or naming what it does not have (400, 404):
/// what it answers to a filter id it does not know. Not an outage, not a lost login.
fn refuses_request(err: &matrix_sdk::Error) -> bool {
    err.as_client_api_error()
        .is_some_and(|e| matches!(e.status_code.as_u16(), 400 | 404))
}

/// The argument of the fault `KITBOT_FAULT` injects (tests only), when it is `<name><argument>`.
pub(super) fn fault(name: &str) -> Option<String> {
    std::env::var("KITBOT_FAULT")
        .ok()
        .and_then(|f| f.strip_prefix(name).map(str::to_owned))
}

/// `KITBOT_FAULT=hold-configured-joins:<file>` (tests): the joins of the configured rooms at
/// start-up wait until `<file>` exists, so that a test can create a configured room between the
/// bot's first look at its aliases and those joins (the start-up race of 30660fb).
pub(super) async fn hold_configured_joins() {
    let Some(file) = fault("hold-configured-joins:") else {
        return;
    };
    tracing::warn!("KITBOT_FAULT: holding the configured joins until the file exists (tests only)");
    while !std::path::Path::new(&file).exists() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `KITBOT_FAULT=join-clock-skew:<seconds>` (tests): the wall clock the bot reads when it joins
/// a room runs that many seconds ahead of the homeserver's (behind when negative), as on a
/// server whose clock is off. Zero otherwise.
pub(super) fn join_clock_skew() -> chrono::Duration {
    let seconds = fault("join-clock-skew:").and_then(|s| s.parse::<i64>().ok());
    match seconds {
        Some(seconds) => {
            tracing::warn!(
                seconds,
                "KITBOT_FAULT: the clock read at a join is off (tests only)"
            );
            chrono::Duration::seconds(seconds)
        }
        None => chrono::Duration::zero(),
    }
}

/// The server timestamp of `raw` when it is `own`'s join (a membership event that turns the
/// bot into a member, not a profile change of a member).
fn own_join_time<T>(raw: &Raw<T>, own: &matrix_sdk::ruma::UserId) -> Option<DateTime<Utc>> {
    let kind: String = raw.get_field("type").ok().flatten()?;
    let state_key: String = raw.get_field("state_key").ok().flatten()?;
    if kind != "m.room.member" || state_key != own.as_str() {
        return None;
    }
    let content: serde_json::Value = raw.get_field("content").ok().flatten()?;
    if content.get("membership")?.as_str()? != "join" {
        return None;
    }
    let unsigned: Option<serde_json::Value> = raw.get_field("unsigned").ok().flatten();
    let previous = unsigned
        .as_ref()
        .and_then(|u| u.get("prev_content"))
        .and_then(|c| c.get("membership"))
        .and_then(|m| m.as_str());
    if previous == Some("join") {
        return None;
    }
    let ms: i64 = raw.get_field("origin_server_ts").ok().flatten()?;
    DateTime::from_timestamp_millis(ms)
}

/// Whether a response carries, in some joined room, a message whose body contains `text`.
fn has_message(response: &SyncResponse, text: &str) -> bool {
    response.rooms.joined.values().any(|update| {
        update.timeline.events.iter().any(|e| {
            e.raw()
                .get_field::<serde_json::Value>("content")
                .ok()
                .flatten()
                .and_then(|c| c.get("body").and_then(|b| b.as_str().map(str::to_owned)))
                .is_some_and(|body| body.contains(text))
        })
    })
}

/// The sync position the SDK stored (in its own store) with the last response it processed.
async fn sdk_sync_token(client: &matrix_sdk::Client) -> Option<String> {
    use matrix_sdk::store::{StateStoreDataKey, StateStoreDataValue};
    match client
        .state_store()
        .get_kv_data(StateStoreDataKey::SyncToken)
        .await
    {
        Ok(Some(StateStoreDataValue::SyncToken(token))) => Some(token),
        _ => None,
    }
}

/// What became of a response.
enum Outcome {
    /// Every event is handled (or deliberately skipped, with a log line): move on.
    Done,
    /// Some event could not be recorded: sync again from the same position.
    Incomplete,
}

impl SyncLoop {
    /// Load the saved position. On the very first start, sync once and skip the backlog: only
    /// what comes next is answered.
    pub async fn start(adapter: &Adapter) -> anyhow::Result<SyncLoop> {
        let filter = sync_filter(&adapter.own_user, adapter.config.timeline_limit);
        let choice = choose_filter(adapter, filter).await;
        let mut this = SyncLoop {
            filter: choice.filter,
            since: None,
            sdk_token: None,
            filter_fallback: choice.fallback,
            abort_after_sync: fault("abort-after-sync:"),
            hold_catch_up: fault("hold-catch-up:"),
            first_response: CancellationToken::new(),
        };
        let store = adapter.engine.store();
        this.since = store.ledger().position()?;
        if this.since.is_none() {
            let response = loop {
                match adapter.client.sync_once(this.settings()).await {
                    Ok(response) => break response,
                    Err(err) if this.filter_refused(adapter, &err) => {}
                    Err(err) => return Err(err).context("première synchronisation"),
                }
            };
            adapter.handle_invites(&response).await;
            this.since = Some(response.next_batch.clone());
            store.ledger().note_position(&response.next_batch);
            store.flush().await?;
        }
        this.sdk_token = sdk_sync_token(&adapter.client).await;
        Ok(this)
    }

    /// The long poll's settings: 30 s at most, the filter.
    fn settings(&self) -> SyncSettings {
        SyncSettings::default()
            .timeout(Duration::from_secs(30))
            .filter(self.filter.clone())
    }

    /// Whether `err` is the homeserver refusing the filter's id (it no longer knows it: its
    /// database restored from before the upload, say). Then the filter goes written out in
    /// each request from now on, and the kept id is forgotten so that the next start uploads
    /// the filter again; the request can be made again at once.
    fn filter_refused(&mut self, adapter: &Adapter, err: &matrix_sdk::Error) -> bool {
        if !refuses_request(err) {
            return false;
        }
        let Some((filter, key)) = self.filter_fallback.take() else {
            return false;
        };
        tracing::warn!(cause = %err, "the homeserver refused the sync filter's id; sending the filter itself from now on");
        self.filter = filter.into();
        if let Err(err) = adapter.engine.store().remove(META, key.as_bytes()) {
            tracing::warn!(cause = %err, "could not forget the sync filter's id");
        }
        true
    }

    /// Cancelled when the first response of this run is handled, or the first sync failed.
    pub fn first_response(&self) -> CancellationToken {
        self.first_response.clone()
    }

    /// Sync until `shutdown`. The response in hand is finished even if shutdown comes
    /// meanwhile. A homeserver outage is logged once when it starts and once when it ends.
    pub async fn run(&mut self, adapter: &Adapter, shutdown: &CancellationToken) {
        let mut failures = 0u32;
        let mut outage_since: Option<std::time::Instant> = None;
        loop {
            let mut this = self.settings();
            if let Some(token) = &self.since {
                this = this.token(token.clone());
            }
            if !self.first_response.is_cancelled() {
                // The catch-up after a start returns at once, even with nothing new, so that
                // what waits for the first response does not wait for a long poll.
                this = this.timeout(Duration::ZERO);
            }
            let result = tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                result = adapter.client.sync_once(this) => result,
            };
            match result {
                Ok(response) => {
                    tracing::trace!(target: "kitbot::timing", "sync response in hand");
                    // What the bot sends from now on stands after this response's position.
                    let own_events = adapter.transport.own_events();
                    crate::metrics::metrics().synced(adapter.engine.now().timestamp_millis());
                    let dropped_by_sdk = self.sdk_token.as_deref()
                        == Some(response.next_batch.as_str())
                        && self.since.as_deref() != Some(response.next_batch.as_str());
                    self.sdk_token = Some(response.next_batch.clone());
                    if self
                        .abort_after_sync
                        .as_deref()
                        .is_some_and(|text| has_message(&response, text))
                    {
                        // Fault injection for the crash tests: the SDK has stored this
                        // response, the bot has recorded nothing.
                        tracing::warn!("KITBOT_FAULT: aborting after a sync response");
                        std::process::abort();
                    }
                    if let Some(started) = outage_since.take() {
                        tracing::warn!(
                            seconds = started.elapsed().as_secs(),
                            "the homeserver answers again"
                        );
                    }
                    failures = 0;
                    match adapter
                        .handle_response(&response, self.since.as_deref(), dropped_by_sdk)
                        .await
                    {
                        Outcome::Done => {
                            tracing::trace!(target: "kitbot::timing", "response handled");
                            tokio::select! {
                                _ = shutdown.cancelled() => {}
                                _ = answers_sent(adapter, &response) => {}
                            }
                            tracing::trace!(target: "kitbot::timing", "answers sent");
                            self.advance(adapter, &response.next_batch).await;
                            tracing::trace!(target: "kitbot::timing", "position saved");
                            if adapter.transport.own_events() != own_events {
                                tokio::select! {
                                    _ = shutdown.cancelled() => {}
                                    _ = self.catch_up(adapter) => {}
                                }
                            }
                            self.first_response.cancel();
                        }
                        Outcome::Incomplete => {
                            self.first_response.cancel();
                            tracing::warn!("some events could not be recorded; syncing again from the same position");
                            tokio::select! {
                                _ = shutdown.cancelled() => break,
                                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                            }
                        }
                    }
                }
                Err(err) if self.filter_refused(adapter, &err) => {}
                Err(err) => {
                    self.first_response.cancel();
                    failures += 1;
                    if outage_since.is_none() {
                        outage_since = Some(std::time::Instant::now());
                        tracing::warn!(cause = %err, "the homeserver does not answer; retrying with backoff");
                    } else {
                        tracing::debug!(cause = %err, failures, "sync failed again");
                    }
                    let delay = Duration::from_millis(500 * 2u64.pow(failures.min(6)));
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
    }

    /// The bot sent something since its position: move the position past it, if nothing else
    /// happened meanwhile. The filter leaves the bot's own events out, so a long poll from
    /// before them is woken by them, finds nothing to return, and waits again; measured on
    /// Synapse, the next command's answer then came 3–6 ms later than from a position past
    /// them (BENCHMARKS.md, "The bot's own answer and the position it waits from"). One sync
    /// that returns at once (timeout 0) gives that position. Its response is read here, not
    /// handed to matrix-sdk, and its position is taken only when it carries nothing at all
    /// (nothing for any room, no to-device message, no device change): then nothing is
    /// skipped. Otherwise, or when the request fails, the loop waits from its position as
    /// before and the next response brings what there is. The position is not saved: after a
    /// crash the bot reads the (empty) stretch again.
    async fn catch_up(&mut self, adapter: &Adapter) {
        let Some(since) = self.since.clone() else {
            return;
        };
        if let Some(file) = &self.hold_catch_up {
            tracing::warn!(
                "KITBOT_FAULT: holding the catch-up sync until the file exists (tests only)"
            );
            while !std::path::Path::new(file).exists() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let mut request = sync_events::v3::Request::new();
        request.since = Some(since);
        request.timeout = Some(Duration::ZERO);
        request.filter = Some(self.filter.clone());
        let sent = tokio::time::timeout(CATCH_UP_WAIT, adapter.client.send(request)).await;
        match sent {
            Ok(Ok(response)) if carries_nothing(&response) => {
                tracing::debug!(next_batch = %response.next_batch, "sync position moved past the bot's own events");
                self.since = Some(response.next_batch);
            }
            Ok(Ok(_)) => tracing::debug!(
                "the catch-up sync carried something; waiting from the previous position"
            ),
            Ok(Err(err)) => tracing::debug!(cause = %err, "the catch-up sync failed"),
            Err(_) => tracing::debug!("the catch-up sync took too long; left behind"),
        }
    }

    /// Every event of the response is handled: make that durable, with the position past them.
    async fn advance(&mut self, adapter: &Adapter, next_batch: &str) {
        let store = adapter.engine.store();
        // The flush writes sled (the queued answers), then the ledger's noted writes in one
        // transaction: the handled marks and this position together, so the position never
        // reaches the disk before the marks and answers of its events (`ledger.rs`).
        //
        // When the flush fails (a full disk), the position on disk stays where it was and this
        // one stays noted, written with the marks at the first flush that succeeds; the loop
        // still moves on in memory: every event of the response is handled and marked in
        // memory, so syncing again from the previous position would bring nothing new to
        // handle, only the same response again and again (a tight loop, seen on 2026-12-07 when
        // sled could write and the ledger could not), and the next commands would go
        // unanswered.
        store.ledger().note_position(next_batch);
        if let Err(err) = store.flush().await {
            tracing::error!(cause = %err, "could not save the sync position; it stays noted in memory until a flush succeeds");
        }
        self.since = Some(next_batch.to_owned());
    }
}

/// Whether a sync response has nothing a client must read: nothing for any room (events,
/// state, receipts, notification counts), no presence, no account data, no to-device
/// message, no device list change. The one-time key counts are left aside: every response
/// repeats them, and the next one handed to matrix-sdk brings them.
fn carries_nothing(response: &sync_events::v3::Response) -> bool {
    response.rooms.is_empty()
        && response.presence.is_empty()
        && response.account_data.is_empty()
        && response.to_device.is_empty()
        && response.device_lists.is_empty()
}

/// Wait until the answers to `response`'s events are sent, [`ANSWERS_SENT_WAIT`] at most: they
/// go out before the next request, which would reach the homeserver while it writes them and
/// slow that write down.
async fn answers_sent(adapter: &Adapter, response: &SyncResponse) {
    let ids: Vec<_> = response
        .rooms
        .joined
        .values()
        .flat_map(|update| update.timeline.events.iter())
        .filter_map(TimelineEvent::event_id)
        .collect();
    let events: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
    adapter
        .engine
        .outbox()
        .wait_answers_sent(&events, ANSWERS_SENT_WAIT)
        .await;
}

impl Adapter {
    /// Handle a response. `dropped_by_sdk`: the SDK had processed this very response before
    /// (we had not recorded it: a crash, or a store failure) and returned it empty; its
    /// events are fetched again, for every joined room, from `since` to its `next_batch`.
    async fn handle_response(
        &self,
        response: &SyncResponse,
        since: Option<&str>,
        dropped_by_sdk: bool,
    ) -> Outcome {
        // Every event of this response was on the homeserver before now: a message the bot
        // sends from now on stands after them (read receipts, `Receipts::own_message_sent`).
        let seen = std::time::Instant::now();
        if dropped_by_sdk {
            return self.reread(&response.next_batch, since).await;
        }
        tracing::debug!(
            since = since.unwrap_or(""),
            next_batch = %response.next_batch,
            rooms = ?response
                .rooms
                .joined
                .iter()
                .map(|(id, u)| (
                    id.to_string(),
                    u.timeline.limited,
                    u.timeline.events.len(),
                    u.timeline.events.first().and_then(|e| e.event_id()).map(|e| e.to_string()),
                    u.timeline.events.last().and_then(|e| e.event_id()).map(|e| e.to_string()),
                ))
                .collect::<Vec<_>>(),
            "sync response"
        );
        let roles_changed = changes_state(response, ROLE_STATE);
        if roles_changed || may_hide_role_changes(response) {
            // Before anything reads a role: matrix-sdk's store has this response's state.
            self.roles.forget_all();
        }
        self.follow_tombstones(response).await;
        self.handle_invites(response).await;
        self.rooms_gone(response).await;
        if changes_tenancy(response) {
            self.revisit_rooms().await;
        }
        let work = response
            .rooms
            .joined
            .iter()
            .map(|(room_id, update)| async move {
                let Some(room) = self.client.get_room(room_id) else {
                    return true;
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
                let state = match &update.state {
                    State::Before(state) | State::After(state) => state.as_slice(),
                };
                self.note_own_join(&room, state, &events);
                // The engine sees the room's events one by one, in order; their answers go to
                // the outbox, which the delivery task sends.
                let mut complete = true;
                let last = events.last().and_then(|e| e.event_id());
                for event in events {
                    if let Err(err) = self.process_event(&room, &event).await {
                        tracing::error!(cause = %err, room_id = %room.room_id(), "could not record an event; it will be handled again");
                        complete = false;
                    }
                }
                if let (true, Some(last)) = (complete, last) {
                    self.receipts.mark_read(&room, last, seen);
                }
                complete
            });
        let complete = join_all(work).await.into_iter().all(|ok| ok);
        if roles_changed {
            self.recheck_digest_subscribers().await;
        }
        self.retry_undecrypted().await;
        if complete {
            Outcome::Done
        } else {
            Outcome::Incomplete
        }
    }

    /// The events of every joined room between `since` and `next_batch`, read with
    /// `/messages` and handled as a sync response's would be.
    async fn reread(&self, next_batch: &str, since: Option<&str>) -> Outcome {
        let Some(since) = since else {
            return Outcome::Done;
        };
        tracing::info!(
            "the Matrix client had this sync response already; reading its events again"
        );
        // What changed in the rooms' state meanwhile is not known here.
        self.roles.forget_all();
        let work = self.client.joined_rooms().into_iter().map(|room| async move {
            let events = self.fetch_gap(&room, next_batch, since).await;
            self.note_own_join(&room, &[], &events);
            let mut complete = true;
            for event in events {
                if let Err(err) = self.process_event(&room, &event).await {
                    tracing::error!(cause = %err, room_id = %room.room_id(), "could not record an event; it will be handled again");
                    complete = false;
                }
            }
            complete
        });
        if join_all(work).await.into_iter().all(|ok| ok) {
            Outcome::Done
        } else {
            Outcome::Incomplete
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
                    .is_some_and(|id| self.engine.outbox().is_handled(id.as_str()))
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

    /// When the bot joined `room`, cached: the time it recorded just before joining
    /// ([`Adapter::note_joining`]), or else its own membership event's, unless that event only
    /// changed its profile (a display name or avatar set after the join would otherwise make
    /// the commands sent in between look like history).
    async fn joined_at(&self, room: &Room) -> Option<DateTime<Utc>> {
        if let Some(at) = self
            .joined_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(room.room_id())
        {
            return Some(*at);
        }
        let recorded = self
            .engine
            .store()
            .get::<i64>(ROOMS_JOINED, room.room_id().as_bytes())
            .ok()
            .flatten()
            .and_then(DateTime::from_timestamp_millis);
        let at = match recorded {
            Some(at) => at,
            None => {
                use matrix_sdk::deserialized_responses::MemberEvent;
                use matrix_sdk::ruma::events::room::member::MembershipState;
                use matrix_sdk::ruma::events::SyncStateEvent;
                let own = self.client.user_id()?;
                let member = room.get_member_no_sync(own).await.ok().flatten()?;
                if let MemberEvent::Sync(SyncStateEvent::Original(event)) = &**member.event() {
                    let profile_change = event
                        .unsigned
                        .prev_content
                        .as_ref()
                        .is_some_and(|prev| prev.membership == MembershipState::Join);
                    if profile_change {
                        return None;
                    }
                }
                let ms: i64 = member.event().timestamp()?.into();
                DateTime::from_timestamp_millis(ms)?
            }
        };
        self.joined_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(room.room_id().to_owned(), at);
        Some(at)
    }

    /// The bot is about to join `room_id`: what was said there before now is history. The wall
    /// clock, not the engine's (which tests may speed up). This is provisional: the bot's own
    /// join event, in the first sync response that has the room (its state section, since the
    /// sync filter keeps the bot's own events out of the timeline: [`Adapter::note_own_join`]),
    /// gives the homeserver's time before any of the room's events is looked at, so a clock
    /// skew between the two machines does not matter (`tests/matrix.rs`
    /// `the_join_time_is_the_homeservers_whatever_the_bots_clock_says`).
    pub(super) fn note_joining(&self, room_id: &matrix_sdk::ruma::RoomId) {
        self.record_joined(room_id, Utc::now() + self.join_clock_skew);
    }

    /// When `state` (a sync response's state section for one room) or `events` (the room's
    /// timeline, oldest first) carry the bot's own join (a membership event that turns it into
    /// a member, not a profile change), its server timestamp becomes the room's join time:
    /// everything said before is history, everything after is answered. The sync filter keeps
    /// the bot's own events out of the timeline, so the join of a room it just entered comes
    /// in the state section (the room's state at the start of its timeline).
    fn note_own_join(
        &self,
        room: &Room,
        state: &[Raw<AnySyncStateEvent>],
        events: &[TimelineEvent],
    ) {
        let Some(own) = self.client.user_id() else {
            return;
        };
        let in_state = state.iter().rev().find_map(|raw| own_join_time(raw, own));
        let in_timeline = events
            .iter()
            .rev()
            .find_map(|event| own_join_time(event.raw(), own));
        if let Some(at) = in_timeline.or(in_state) {
            self.record_joined(room.room_id(), at);
        }
    }

    fn record_joined(&self, room_id: &matrix_sdk::ruma::RoomId, now: DateTime<Utc>) {
        if let Err(err) =
            self.engine
                .store()
                .put(ROOMS_JOINED, room_id.as_bytes(), &now.timestamp_millis())
        {
            tracing::warn!(cause = %err, "could not record when the bot joined a room");
        }
        self.joined_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(room_id.to_owned(), now);
    }

    /// Hand one timeline event to the engine, unless it was handled already, is history from
    /// before the bot joined, or is nothing the bot cares about. `Err` only when the event
    /// could not be recorded (it will be seen again).
    #[tracing::instrument(skip_all, fields(room_id = %room.room_id(), event_id))]
    pub(super) async fn process_event(
        &self,
        room: &Room,
        event: &TimelineEvent,
    ) -> Result<(), StoreError> {
        let Some(event_id) = event.event_id() else {
            return Ok(());
        };
        tracing::Span::current().record("event_id", event_id.as_str());
        if self.engine.outbox().is_handled(event_id.as_str())
            || self
                .dropped
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(event_id.as_str())
        {
            return Ok(());
        }
        if event.kind.is_utd() {
            self.undecrypted.add(room.room_id(), event);
            return Ok(());
        }
        let Ok(parsed) = event.raw().deserialize() else {
            return Ok(());
        };
        let Some(classified) = convert::classify(&parsed, &self.own_user) else {
            return Ok(());
        };
        if let Some(joined) = self.joined_at(room).await {
            if classified.sent_at < joined {
                return Ok(());
            }
        }
        let body = match &classified.kind {
            IncomingKind::Message { body } => Some(body.as_str()),
            _ => None,
        };
        if let Some(answer) = self.mission_choice(room, &classified.sender, body).await {
            let reply = crate::core::Outgoing::Reply {
                room_id: room.room_id().to_string(),
                to_event: classified.event_id.clone(),
                thread_root: classified.thread_root.clone(),
                markdown: answer,
            };
            let outbox = self.engine.outbox();
            outbox.record_event(&classified.event_id, vec![reply])?;
            return outbox.flush().await;
        }
        let Some(info) = self.room_info(room, &classified.sender).await else {
            return Ok(());
        };
        let role = self.role_of(room, &info, &classified.sender).await;
        let mut kind = classified.kind;
        match &mut kind {
            IncomingKind::Redaction { by_moderator, .. } => {
                *by_moderator = self.can_redact_others(room, &classified.sender).await;
            }
            // Only its sender may edit a message (the spec tells clients to ignore other
            // senders' replacements): a forged edit is dropped here.
            IncomingKind::Edit { target, .. } => {
                let author = self.sender_of(room, target).await;
                if author.as_deref() != Some(classified.sender.as_str()) {
                    tracing::info!(
                        "an edit of someone else's message (or of an unknown one) is ignored"
                    );
                    return Ok(());
                }
            }
            _ => {}
        }
        if let IncomingKind::Reaction {
            target,
            key,
            target_sender,
            target_body,
        } = &mut kind
        {
            // The engine needs the text of a 📝's target (saving one's own message).
            if crate::core::is_memo(key) {
                if let Some((sender, body)) = self.fetch_text(room, target).await {
                    *target_sender = Some(sender);
                    *target_body = Some(body);
                }
            }
            // ⏰ on something the bot sent (a nudge, a reminder): snooze it for the person.
            if crate::core::is_snooze(key) {
                if let Some((sender, body)) = self.fetch_body(room, target).await {
                    if sender == self.own_user {
                        *target_sender = Some(sender);
                        *target_body = Some(body);
                    }
                }
            }
        }
        // A command in reply to a message: the engine may need that message.
        let quoted = match (&classified.reply_to, &kind) {
            (Some(target), IncomingKind::Message { body })
                if body
                    .trim_start()
                    .starts_with(self.engine.config().prefix.as_str()) =>
            {
                self.fetch_body(room, target)
                    .await
                    .map(|(sender, body)| crate::core::Quoted {
                        event_id: target.clone(),
                        sender,
                        body,
                    })
            }
            _ => None,
        };
        let incoming = Incoming {
            tenant: info.tenant,
            room_id: room.room_id().to_string(),
            is_direct: info.direct,
            sender: classified.sender,
            role,
            addressed: classified.addressed,
            event_id: classified.event_id,
            thread_root: classified.thread_root,
            sent_at: classified.sent_at,
            kind,
            quoted,
        };
        let processed = if matches!(incoming.kind, IncomingKind::Message { .. }) {
            super::presence::typing_while(room, self.engine.process(&incoming)).await
        } else {
            self.engine.process(&incoming).await
        };
        match processed {
            Processed::Recorded | Processed::AlreadyHandled => Ok(()),
            Processed::NotRecorded { answers, cause } => {
                // Deliberately dropped: answered now as well as we can (the answers say the
                // change was not saved), and never handed over again by this process.
                tracing::warn!(%cause, event_id = %incoming.event_id, "the store could not record this event; answered without the outbox and dropped");
                self.dropped
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(incoming.event_id.clone());
                for (index, out) in answers.iter().enumerate() {
                    // Its own transaction id: if this event is ever handled again (a restart
                    // before the store came back), that answer is not taken for this one.
                    let txn = format!(
                        "{}|unrecorded",
                        crate::outbox::txn_for_event(&incoming.event_id, index)
                    );
                    if let Err(err) = self.transport.send(&txn, out).await {
                        tracing::warn!(?err, "could not send an answer outside the outbox");
                    }
                }
                Ok(())
            }
        }
    }

    /// The sender of an event, fetched by id.
    async fn sender_of(&self, room: &Room, event_id: &str) -> Option<String> {
        let id = matrix_sdk::ruma::OwnedEventId::try_from(event_id).ok()?;
        let event = room.event(&id, None).await.ok()?;
        let parsed: AnySyncTimelineEvent = event.raw().deserialize().ok()?;
        Some(parsed.sender().to_string())
    }

    /// Sender and plain body of a text message or notice (what bots send), fetched by id.
    async fn fetch_body(&self, room: &Room, event_id: &str) -> Option<(String, String)> {
        use matrix_sdk::ruma::events::room::message::MessageType;
        use matrix_sdk::ruma::events::{AnySyncMessageLikeEvent, SyncMessageLikeEvent};
        let id = matrix_sdk::ruma::OwnedEventId::try_from(event_id).ok()?;
        let event = room.event(&id, None).await.ok()?;
        let parsed: AnySyncTimelineEvent = event.raw().deserialize().ok()?;
        let AnySyncTimelineEvent::MessageLike(AnySyncMessageLikeEvent::RoomMessage(
            SyncMessageLikeEvent::Original(m),
        )) = &parsed
        else {
            return None;
        };
        let body = match &m.content.msgtype {
            MessageType::Text(t) => t.body.clone(),
            MessageType::Notice(n) => n.body.clone(),
            _ => return None,
        };
        Some((
            parsed.sender().to_string(),
            convert::strip_reply_fallback(&body).to_owned(),
        ))
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
}

/// The response changes a Space child, a room's parent or power levels somewhere: which room
/// belongs to which Mission Locale must be decided again.
/// State that can change who coordinates a room.
const ROLE_STATE: &[&str] = &["m.room.member", "m.room.power_levels"];

fn changes_tenancy(response: &SyncResponse) -> bool {
    changes_state(response, &super::rooms::TENANCY_STATE)
}

/// Whether a response may change a room's members or power levels without a state event of
/// theirs in it: a timeline cut short (a gap), rooms left or invited to.
fn may_hide_role_changes(response: &SyncResponse) -> bool {
    !response.rooms.left.is_empty()
        || !response.rooms.invited.is_empty()
        || response
            .rooms
            .joined
            .values()
            .any(|update| update.timeline.limited)
}

/// Whether a response carries, in some joined room, a state event of one of `kinds`.
fn changes_state(response: &SyncResponse, kinds: &[&str]) -> bool {
    let is_tenancy = |kind: Option<String>| kind.is_some_and(|k| kinds.contains(&k.as_str()));
    response.rooms.joined.values().any(|update| {
        let state = match &update.state {
            matrix_sdk::sync::State::Before(events) | matrix_sdk::sync::State::After(events) => {
                events
            }
        };
        state
            .iter()
            .any(|e| is_tenancy(e.get_field::<String>("type").ok().flatten()))
            || update.timeline.events.iter().any(|e| {
                e.raw()
                    .get_field::<String>("state_key")
                    .ok()
                    .flatten()
                    .is_some()
                    && is_tenancy(e.raw().get_field::<String>("type").ok().flatten())
            })
    })
}

#[cfg(test)]
mod tests {
    use super::carries_nothing;
    use matrix_sdk::ruma::api::client::sync::sync_events::v3::{JoinedRoom, Response};
    use matrix_sdk::ruma::serde::Raw;
    use matrix_sdk::ruma::{owned_room_id, owned_user_id, UInt};

    fn raw<T>(json: &str) -> Raw<T> {
        Raw::from_json(serde_json::value::RawValue::from_string(json.to_owned()).unwrap())
    }

    /// Only a response with nothing to read moves the position without matrix-sdk: anything
    /// else (a room, a to-device message such as a room key, a device change) keeps it.
    #[test]
    fn only_an_empty_catch_up_response_is_skipped() {
        let mut empty = Response::new("s2".to_owned());
        empty.device_one_time_keys_count.insert(
            matrix_sdk::ruma::OneTimeKeyAlgorithm::SignedCurve25519,
            UInt::from(50u32),
        );
        assert!(carries_nothing(&empty), "key counts alone");

        let mut room = Response::new("s2".to_owned());
        room.rooms
            .join
            .insert(owned_room_id!("!a:localhost"), JoinedRoom::new());
        assert!(!carries_nothing(&room), "a joined room");

        let mut to_device = Response::new("s2".to_owned());
        to_device.to_device.events.push(raw(
            r#"{"type":"m.room.encrypted","sender":"@a:localhost","content":{}}"#,
        ));
        assert!(!carries_nothing(&to_device), "a to-device message");

        let mut devices = Response::new("s2".to_owned());
        devices
            .device_lists
            .changed
            .push(owned_user_id!("@a:localhost"));
        assert!(!carries_nothing(&devices), "a device change");

        let mut invite = Response::new("s2".to_owned());
        invite
            .rooms
            .invite
            .insert(owned_room_id!("!b:localhost"), Default::default());
        assert!(!carries_nothing(&invite), "an invitation");
    }
}
