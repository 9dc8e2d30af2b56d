//! The outbox: every message that leaves the bot (replies, reactions, room posts, direct
//! messages) is written here before it is sent, retried while the bot runs, kept across
//! restarts, and removed once the homeserver accepted it.
//!
//! Each item is named by a transaction id derived from what caused it: the event it answers and
//! the answer's index (`ev|<event id>|<n>`), or the scheduled item and its nominal firing time
//! (`fire|<item key>|<instant>`). A retry re-uses the id, so the homeserver drops a message it
//! already accepted (Synapse remembers transaction ids per device for about a day), and two
//! different messages never share one. Ids already delivered are remembered for a week, so the
//! same message is never queued twice either.
//!
//! The messages wait in the ledger (`ledger.rs`, SQLite beside sled), a table ordered by
//! destination and order of queueing: in sled they were a few writes per command, and sled 0.34
//! keeps in memory about what it was given, so the bot's memory grew with every command
//! (BENCHMARKS.md, "The outbox out of sled").
//!
//! The outbox also records which Matrix events were handled ([`Outbox::record_event`]): an
//! event's answers and its "handled" mark are noted together and written in one transaction,
//! after the flush of sled that carries what the event changed, so an event is either handled
//! with all its answers queued, or not handled and seen again after a restart. Messages no
//! event caused ([`Outbox::queue`]) are on disk when queuing returns, before whatever decided
//! them (a nudge's next firing) is written.
//!
//! A command's picture (the chart after `!parcours etat`) is its own item, the answer after the
//! text (`ev|<event id>|1`): it goes out after the text, once, like any answer.
//!
//! Delivery ([`deliver`]) goes through a [`Transport`] (the Matrix adapter, or the console).
//! Each destination (a room, or a person for direct messages) is served on its own, from the
//! oldest of its messages: its next batch starts when its previous one is over, so a slow room
//! never holds the others back, and when more is ready than may be in flight the destination
//! served least recently goes first (every room's first message starts before any room's
//! second).
//! Room posts and direct messages go out one at a time, in order; answers to different events
//! go out together (up to [`WINDOW`] per room), two answers to one event in order. Failures
//! wait with a growing delay and are retried; only a failure that can never succeed (an unknown
//! room) drops an item, with a warning. A send that panics is a failure of that message alone,
//! retried like the others: matrix-sdk 0.18 panics ("Session expired") when two sends to one
//! encrypted room overlap as its Megolm session reaches its rotation (every 100 messages), and
//! that panic used to end the delivery task.
//!
//! It knows nothing about what a message is for: an item may carry a `note` (what a post was
//! about) that is handed back, with the new event id, to whoever delivers ([`Delivered`]).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::core::{Outgoing, SharedClock};
use crate::ledger::Queued;
use crate::store::{decode, encode, Store, StoreError};

// The waiting messages and what is remembered about each command (handled events, delivered
// messages, first answers) are in the ledger (`ledger.rs`), not in sled; these are its parts'
// names in backups.
pub use crate::ledger::{Answer, ANSWERED, ANSWERS, DELIVERED, HANDLED, OUTBOX};

/// How long delivered transaction ids are remembered (longer than any retry of a firing).
pub const DELIVERED_KEPT_DAYS: i64 = 7;
/// How long the ids of handled events are remembered (a sync never goes back further).
pub const HANDLED_KEPT_DAYS: i64 = 30;
/// Sends in flight at once in a delivery round, all destinations together.
const PARALLEL: usize = 16;
/// Answers to different events sent together to one room in a round.
const WINDOW: usize = 8;
/// A scheduled message this late says so.
pub const LATE_NOTE_AFTER_MINUTES: i64 = 2;
/// The longest wait between two attempts at a failing message.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// One message waiting to be delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// The transaction id (also the item's key).
    pub txn: String,
    /// Order of queueing, across restarts.
    pub seq: u64,
    pub out: Outgoing,
    pub queued_at: DateTime<Utc>,
    #[serde(default)]
    pub attempts: u32,
    /// Not before this instant (a failed attempt waits).
    #[serde(default)]
    pub retry_at: Option<DateTime<Utc>>,
    /// What the message is about, handed back once delivered.
    #[serde(default)]
    pub note: Option<serde_json::Value>,
    /// When a scheduled message was due.
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
}

/// The transaction id of the `index`-th answer to `event_id`.
pub fn txn_for_event(event_id: &str, index: usize) -> String {
    format!("ev|{event_id}|{index}")
}

/// The transaction id of a scheduled message: the item that fired and its nominal instant
/// (`part` tells apart several messages of one firing, e.g. a step and a summary).
pub fn txn_for_firing(item: &str, nominal: DateTime<Utc>, part: &str) -> String {
    format!("fire|{item}|{}|{part}", nominal.timestamp_millis())
}

/// A message to queue, named by its transaction id.
#[derive(Debug, Clone)]
pub struct Draft {
    pub txn: String,
    pub out: Outgoing,
    pub note: Option<serde_json::Value>,
    /// For a scheduled message: when it was due. Delivered much later (the homeserver was
    /// down), it says so.
    pub due_at: Option<DateTime<Utc>>,
}

impl Draft {
    /// A message no event caused and no firing schedules (nothing to note, no due time).
    pub fn new(txn: impl Into<String>, out: Outgoing) -> Draft {
        Draft {
            txn: txn.into(),
            out,
            note: None,
            due_at: None,
        }
    }
}

/// What the delivery task tells whoever waits for answers to go out.
#[derive(Debug, Default)]
struct Progress {
    /// Whether a delivery task runs.
    delivering: bool,
    /// [`Inner::queued_count`] as read before the delivery task's latest look at the queues.
    seen: u64,
    /// The transaction ids being sent.
    in_flight: std::collections::BTreeSet<String>,
}

/// A cheap clonable handle on the outbox.
#[derive(Clone, Debug)]
pub struct Outbox {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    clock: SharedClock,
    /// Woken when something was queued, so the delivery task does not wait for its timer.
    queued: Notify,
    /// Bumped each time something is queued, after it is written: a delivery pass that read
    /// this number before it read the queues saw everything queued up to it.
    queued_count: AtomicU64,
    /// What the delivery task ([`deliver`]) has done, for [`Outbox::wait_answers_sent`].
    progress: tokio::sync::watch::Sender<Progress>,
    /// At most one send every this long, all destinations together (`None`: as fast as the
    /// homeserver accepts; its rate limits are honoured anyway).
    pace: Option<Duration>,
    /// When the next paced send may start.
    next_send: tokio::sync::Mutex<Option<tokio::time::Instant>>,
}

impl Outbox {
    pub fn new(store: Store, clock: SharedClock) -> Outbox {
        Outbox::paced(store, clock, 0)
    }

    /// An outbox that sends at most `per_second` messages a second (0: no limit of its own).
    pub fn paced(store: Store, clock: SharedClock, per_second: u32) -> Outbox {
        Outbox {
            inner: Arc::new(Inner {
                store,
                clock,
                queued: Notify::new(),
                queued_count: AtomicU64::new(0),
                progress: tokio::sync::watch::Sender::new(Progress::default()),
                pace: (per_second > 0).then(|| Duration::from_secs(1) / per_second),
                next_send: tokio::sync::Mutex::new(None),
            }),
        }
    }

    /// Wait for this send's turn under the global pace.
    async fn wait_turn(&self) {
        let Some(pace) = self.inner.pace else {
            return;
        };
        let start = {
            let mut next = self.inner.next_send.lock().await;
            let now = tokio::time::Instant::now();
            let start = next.map_or(now, |n| n.max(now));
            *next = Some(start + pace);
            start
        };
        tokio::time::sleep_until(start).await;
    }

    fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Whether the Matrix event `event_id` was handled already. When the ledger cannot be read,
    /// no: the event is handled again, and its answers, named by the same transaction ids, are
    /// not queued twice (see [`Outbox::queue`]).
    pub fn is_handled(&self, event_id: &str) -> bool {
        self.store().ledger().is_handled(event_id).unwrap_or(false)
    }

    /// Queue the answers to `event_id` and record it as handled: false (and nothing queued)
    /// when it was handled already. The answers and the mark are noted together and written in
    /// one transaction by the next flush of the store (`ledger.rs`), after what handling the
    /// event changed in sled: a crash before leaves the event unhandled, handled again after
    /// the restart, its answers named by the same transaction ids (an answer already queued or
    /// delivered is not queued again). Delivery sees the answers at once. Not flushed: the
    /// caller flushes before it saves the sync position past this event.
    pub fn record_event(&self, event_id: &str, answers: Vec<Outgoing>) -> Result<bool, StoreError> {
        if self.is_handled(event_id) {
            return Ok(false);
        }
        let now = self.inner.clock.now();
        let ledger = self.store().ledger();
        let mut queued = 0;
        for (index, out) in answers.into_iter().enumerate() {
            let draft = Draft::new(txn_for_event(event_id, index), out);
            if let Some(item) = self.new_item(draft, now)? {
                ledger.note_queued(item);
                queued += 1;
            }
        }
        ledger.note_handled(event_id, now.timestamp_millis());
        self.queued(queued);
        Ok(true)
    }

    /// Queue messages that no event caused (scheduled posts, reminders, summaries), in one
    /// transaction, on disk when this returns. A draft whose transaction id is pending or was
    /// delivered in the last week is skipped: the same firing never goes out twice. Returns
    /// how many were queued.
    pub fn queue(&self, drafts: Vec<Draft>) -> Result<usize, StoreError> {
        let now = self.inner.clock.now();
        let mut items = Vec::with_capacity(drafts.len());
        let mut seen = std::collections::HashSet::with_capacity(drafts.len());
        for draft in drafts {
            if seen.insert(draft.txn.clone()) {
                items.extend(self.new_item(draft, now)?);
            }
        }
        self.store().ledger().queue(&items)?;
        self.queued(items.len());
        Ok(items.len())
    }

    /// `draft` as the ledger keeps it, or `None` when its transaction id waits already or was
    /// delivered.
    fn new_item(&self, draft: Draft, now: DateTime<Utc>) -> Result<Option<Queued>, StoreError> {
        let ledger = self.store().ledger();
        if ledger.is_queued(&draft.txn)? || ledger.is_delivered(&draft.txn)? {
            tracing::info!(txn = %draft.txn, "already queued or delivered; not queued again");
            return Ok(None);
        }
        let item = Item {
            txn: draft.txn,
            seq: ledger.next_seq(),
            out: draft.out,
            queued_at: now,
            attempts: 0,
            retry_at: None,
            note: draft.note,
            due_at: draft.due_at,
        };
        Ok(Some(queued_form(&item)))
    }

    /// `count` messages were queued: wake the delivery task.
    fn queued(&self, count: usize) {
        if count > 0 {
            tracing::trace!(target: "kitbot::timing", queued = count, "queued");
            self.inner.queued_count.fetch_add(1, Ordering::SeqCst);
            self.inner.queued.notify_one();
        }
    }

    /// Write the outbox to disk.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.store().flush().await
    }

    /// Every pending item, oldest first.
    pub fn pending(&self) -> Result<Vec<Item>, StoreError> {
        self.store()
            .ledger()
            .queued_all()?
            .iter()
            .map(|q| decode(OUTBOX, &q.item))
            .collect()
    }

    /// How many messages wait.
    pub fn len(&self) -> usize {
        self.store().ledger().queued_len().unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The homeserver accepted `txn` (as the event `event_id`): it is remembered as delivered,
    /// with the first answer to a command (so that an edit of the command can replace the
    /// answer rather than post a second one, and a reaction on the answer finds the command),
    /// and leaves the outbox, in one transaction.
    fn delivered(&self, item: &Item, event_id: Option<&str>) -> Result<(), StoreError> {
        let now = self.inner.clock.now().timestamp_millis();
        let answer = match (event_id, &item.out, first_answer_of(&item.txn)) {
            (Some(answer), Outgoing::Reply { room_id, .. }, Some(command)) => {
                Some(crate::ledger::AnswerRecord {
                    command,
                    room_id,
                    answer,
                })
            }
            _ => None,
        };
        self.store().ledger().delivered(&item.txn, now, answer)
    }

    /// `item` leaves the outbox undelivered.
    fn forget(&self, item: &Item) -> Result<(), StoreError> {
        self.store().ledger().unqueue(&item.txn)
    }

    /// The command whose first answer is the bot's event `answer`, if known (a week at most).
    pub fn command_answered_by(&self, answer: &str) -> Result<Option<String>, StoreError> {
        self.store().ledger().command_answered_by(answer)
    }

    /// The bot's delivered first answer to `event`, if it is known (a week at most).
    pub fn answer_to(&self, event: &str) -> Result<Option<Answer>, StoreError> {
        self.store().ledger().answer_to(event)
    }

    /// An attempt failed: try again after a delay that grows with the attempts (or the one the
    /// homeserver asked for).
    fn retry_later(&self, item: &Item, asked: Option<Duration>) -> Result<(), StoreError> {
        let attempts = item.attempts + 1;
        let backoff = asked.unwrap_or_else(|| backoff(attempts)).min(MAX_BACKOFF);
        let at = self.inner.clock.now()
            + chrono::Duration::from_std(backoff).unwrap_or(chrono::Duration::seconds(1));
        let updated = Item {
            attempts,
            retry_at: Some(at),
            ..item.clone()
        };
        self.store()
            .ledger()
            .update_queued(&item.txn, encode(&updated))
    }

    /// The message can never be delivered: drop it, loudly.
    fn give_up(&self, item: &Item, cause: &str) -> Result<(), StoreError> {
        tracing::warn!(txn = %item.txn, destination = %item.out.destination(), cause, "message dropped: it cannot be delivered");
        self.forget(item)
    }

    /// After a restart, what waited for a retry is tried at once.
    fn retry_now(&self) -> Result<(), StoreError> {
        for item in self.pending()? {
            if item.retry_at.is_some() {
                let item = Item {
                    retry_at: None,
                    ..item
                };
                self.store()
                    .ledger()
                    .update_queued(&item.txn, encode(&item))?;
            }
        }
        Ok(())
    }

    /// Wait until the answers to `events` queued so far have been sent (delivered, or failed
    /// and waiting for a retry), or `cap` has passed: at once when no delivery task runs, when
    /// nothing answers these events, or when their room is busy or waits for a retry (they are
    /// not being sent). The sync loop waits here before its next request, as a bot that sends
    /// its answer before it syncs again: a request that reaches the homeserver while it writes
    /// the answer slows that write (BENCHMARKS.md, "The next sync waits for the answer").
    pub async fn wait_answers_sent(&self, events: &[&str], cap: Duration) {
        if events.is_empty() {
            return;
        }
        let queued = self.inner.queued_count.load(Ordering::SeqCst);
        let mut progress = self.inner.progress.subscribe();
        let sent = async {
            loop {
                {
                    let now = progress.borrow_and_update();
                    let waiting = now.delivering
                        && (now.seen < queued
                            || now.in_flight.iter().any(|txn| {
                                answered_event(txn).is_some_and(|e| events.contains(&e))
                            }));
                    if !waiting {
                        return;
                    }
                }
                if progress.changed().await.is_err() {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(cap, sent).await;
    }

    /// Wait until something is queued.
    pub async fn wait_queued(&self) {
        self.inner.queued.notified().await;
    }

    /// Forget delivered ids (and first answers) and handled events past their keeping time.
    /// Returns how many delivered ids and handled events.
    pub fn prune(&self) -> Result<(usize, usize), StoreError> {
        let now = self.inner.clock.now();
        let delivered_cutoff =
            (now - chrono::Duration::days(DELIVERED_KEPT_DAYS)).timestamp_millis();
        let handled_cutoff = (now - chrono::Duration::days(HANDLED_KEPT_DAYS)).timestamp_millis();
        self.store()
            .ledger()
            .prune(delivered_cutoff, handled_cutoff)
    }
}

/// The command a message answers first, from its transaction id (`ev|<command>|0`).
fn first_answer_of(txn: &str) -> Option<&str> {
    let ("ev", rest) = txn.split_once('|')? else {
        return None;
    };
    match rest.rsplit_once('|')? {
        (command, "0") => Some(command),
        _ => None,
    }
}

/// 1 s, 2 s, 4 s … up to [`MAX_BACKOFF`].
fn backoff(attempts: u32) -> Duration {
    Duration::from_secs(1u64 << attempts.saturating_sub(1).min(9)).min(MAX_BACKOFF)
}

/// Why a send failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Worth trying again: the homeserver is unreachable, overloaded, or asked to wait.
    Retry {
        after: Option<Duration>,
        cause: String,
    },
    /// It will never work (the room is unknown, the bot may not post there).
    Never { cause: String },
}

/// What sends messages: the Matrix adapter, or the console.
pub trait Transport: Send + Sync + 'static {
    /// Send `out` with transaction id `txn`; the new event's id when there is one.
    fn send(
        &self,
        txn: &str,
        out: &Outgoing,
    ) -> impl Future<Output = Result<Option<String>, SendError>> + Send;
}

/// What the delivery task reports for each delivered message (to record what a post was about).
pub type Delivered = Arc<dyn Fn(&Item, Option<&str>) + Send + Sync>;

/// Deliver until `shutdown`. Each destination (a room, or a person for direct messages) is
/// served on its own: its next batch ([`round_of`]) starts as soon as its previous one is
/// over, whatever the other destinations are doing, so a slow room (an encrypted room whose
/// sends go one at a time, a room the homeserver is slow to write) never holds the others back.
/// At most [`PARALLEL`] messages are in flight, all destinations together; when more are ready,
/// the destination served least recently goes first (a Monday wave to 500 rooms starts every
/// room's first message before any room's second; sends in flight at the same moment reach the
/// homeserver in any order). At shutdown nothing new starts; what is in flight is given
/// [`SHUTDOWN_GRACE`] to finish and be recorded, and anything else stays in the store and goes
/// out after the restart (with the same transaction id, so never twice).
pub async fn deliver<T: Transport>(
    outbox: Outbox,
    transport: Arc<T>,
    on_delivered: Delivered,
    shutdown: CancellationToken,
) {
    use futures_util::StreamExt as _;
    if let Err(err) = outbox.retry_now() {
        tracing::error!(cause = %err, "could not read the outbox");
    }
    let pending = outbox.len();
    if pending > 0 {
        tracing::info!(pending, "delivering the messages kept from before");
    }
    let mut flights = Flights::default();
    let mut in_flight = futures_util::stream::FuturesUnordered::new();
    // A task restarted after a panic forgets the sends of the one before.
    outbox.inner.progress.send_modify(|p| {
        p.delivering = true;
        p.in_flight.clear();
    });
    loop {
        if shutdown.is_cancelled() {
            break;
        }
        let seen = outbox.inner.queued_count.load(Ordering::SeqCst);
        let next_retry = match flights.launch(&outbox, &transport, &on_delivered) {
            Ok((launched, next_retry)) => {
                // Watchers are woken only when there is something new to tell.
                outbox.inner.progress.send_if_modified(|p| {
                    let news = p.seen != seen || !launched.is_empty();
                    p.seen = seen;
                    p.in_flight
                        .extend(launched.iter().flat_map(|(txns, _)| txns.iter().cloned()));
                    news
                });
                in_flight.extend(launched.into_iter().map(|(_, flight)| flight));
                next_retry
            }
            Err(err) => {
                tracing::error!(cause = %err, "could not read the outbox");
                Some(outbox.inner.clock.now() + chrono::Duration::seconds(5))
            }
        };
        let wait = next_retry.map(|at| {
            outbox
                .inner
                .clock
                .real_wait(at - outbox.inner.clock.now())
                .max(Duration::from_millis(10))
        });
        tokio::select! {
            _ = shutdown.cancelled() => break,
            Some(done) = in_flight.next(), if !in_flight.is_empty() => {
                flights.landed(&outbox, done, &on_delivered);
                // Others that landed meanwhile, before the outbox is read again.
                while let Some(Some(done)) = futures_util::FutureExt::now_or_never(in_flight.next()) {
                    flights.landed(&outbox, done, &on_delivered);
                }
            }
            _ = outbox.wait_queued() => {}
            _ = sleep_or_forever(wait) => {}
        }
    }
    let drain = async {
        while let Some(done) = in_flight.next().await {
            flights.landed(&outbox, done, &on_delivered);
        }
    };
    if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
        tracing::warn!(
            "messages still being sent at shutdown; they stay in the outbox and go out after the restart"
        );
    }
    outbox.inner.progress.send_modify(|p| {
        p.delivering = false;
        p.in_flight.clear();
    });
}

/// How long sends in flight at shutdown may take to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// One destination's batch, sent: the destination and each item with its result.
type Landed = (String, Vec<(Item, Result<Option<String>, SendError>)>);

/// One destination's batch on its way.
type Flight = std::pin::Pin<Box<dyn Future<Output = Landed> + Send>>;

/// The transaction ids of a batch, and its sends on their way.
type Launched = (Vec<String>, Flight);

/// What the delivery loop knows between two looks at the outbox.
#[derive(Default)]
struct Flights {
    /// Destinations with a batch in flight, and how many messages it holds.
    busy: BTreeMap<String, usize>,
    /// Messages the homeserver accepted whose delivery the ledger could not record yet (it
    /// refused to write: a full disk), by transaction id: never sent again, recorded later.
    unrecorded: BTreeMap<String, Unrecorded>,
    /// Destinations whose failed attempt could not be recorded, held until then: the wait the
    /// failure would have written, kept in memory (and the order of their messages with it).
    held: BTreeMap<String, DateTime<Utc>>,
    /// When each destination with messages waiting was last served (a launch counter).
    served: BTreeMap<String, u64>,
    launches: u64,
}

/// A delivered message the ledger could not record. Without this, it would stay first in
/// its room's queue and be sent again at once, again and again (the same transaction id: the
/// homeserver keeps one event, but the loop would spin until the disk had room).
struct Unrecorded {
    item: Item,
    event_id: Option<String>,
    /// When to try recording it again.
    until: DateTime<Utc>,
    /// Failed tries so far; the wait doubles with each.
    tries: u32,
}

/// The first wait before recording a delivery again, doubled at each failure up to
/// [`RECORD_RETRY_MAX`]: as often as the engine opens a failing store again (its
/// `STORE_RETRY`), so the deliveries are recorded within seconds once space returns.
const RECORD_RETRY_FIRST: Duration = Duration::from_secs(1);
const RECORD_RETRY_MAX: Duration = Duration::from_secs(5);

fn record_retry(tries: u32) -> Duration {
    (RECORD_RETRY_FIRST * 2u32.saturating_pow(tries.min(16))).min(RECORD_RETRY_MAX)
}

/// `now + wait` on the outbox's clock.
fn after(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::seconds(1))
}

impl Flights {
    fn in_flight(&self) -> usize {
        self.busy.values().sum()
    }

    /// Start the next batch of every destination that is not busy and has messages ready, least
    /// recently served first, up to [`PARALLEL`] messages in flight. Returns the started sends
    /// and the earliest retry among the destinations that wait.
    fn launch<T: Transport>(
        &mut self,
        outbox: &Outbox,
        transport: &Arc<T>,
        on_delivered: &Delivered,
    ) -> Result<(Vec<Launched>, Option<DateTime<Utc>>), StoreError> {
        let now = outbox.inner.clock.now();
        self.record_again(outbox, on_delivered, now);
        self.held.retain(|_, until| *until > now);
        let mut queues = queues(outbox, |destination| {
            self.busy.contains_key(destination) || self.held.contains_key(destination)
        })?;
        // What went out already is not sent again, whether or not it is recorded yet.
        for queue in queues.values_mut() {
            queue.retain(|item| !self.unrecorded.contains_key(&item.txn));
        }
        queues.retain(|_, queue| !queue.is_empty());
        // A destination with nothing waiting starts afresh when something comes.
        let (busy, held) = (&self.busy, &self.held);
        self.served
            .retain(|d, _| busy.contains_key(d) || held.contains_key(d) || queues.contains_key(d));
        let mut next_retry: Option<DateTime<Utc>> = self
            .held
            .values()
            .chain(self.unrecorded.values().map(|u| &u.until))
            .min()
            .copied();
        let mut ready = Vec::new();
        for (destination, queue) in queues {
            let batch = round_of(&queue, now);
            if batch.is_empty() {
                if let Some(at) = queue[0].retry_at {
                    next_retry = Some(next_retry.map_or(at, |n| n.min(at)));
                }
                continue;
            }
            let served = self.served.get(&destination).copied().unwrap_or(0);
            ready.push((served, batch[0].seq, destination, batch));
        }
        ready.sort_by_key(|(served, seq, _, _)| (*served, *seq));
        let mut launched: Vec<Launched> = Vec::new();
        for (_, _, destination, mut batch) in ready {
            let room = PARALLEL.saturating_sub(self.in_flight());
            if room == 0 {
                break;
            }
            batch.truncate(room);
            self.launches += 1;
            self.served.insert(destination.clone(), self.launches);
            self.busy.insert(destination.clone(), batch.len());
            let txns = batch.iter().map(|item| item.txn.clone()).collect();
            launched.push((
                txns,
                Box::pin(send_batch(
                    outbox.clone(),
                    transport.clone(),
                    destination,
                    batch,
                )),
            ));
        }
        Ok((launched, next_retry))
    }

    /// A batch is over: record each message's fate; its destination is free again.
    fn landed(
        &mut self,
        outbox: &Outbox,
        (destination, results): Landed,
        on_delivered: &Delivered,
    ) {
        self.busy.remove(&destination);
        let txns: Vec<String> = results.iter().map(|(item, _)| item.txn.clone()).collect();
        let now = outbox.inner.clock.now();
        for (item, result) in results {
            if let Err(err) = record(outbox, &item, &result, on_delivered) {
                tracing::error!(txn = %item.txn, cause = %err, "could not record a send in the outbox; kept in memory");
                // Kept in memory: the delivery, to record later; or the wait the failed
                // attempt would have been given.
                let wait = match &result {
                    Ok(_) => record_retry(0),
                    Err(SendError::Retry { after, .. }) => after
                        .unwrap_or_else(|| backoff(item.attempts + 1))
                        .min(MAX_BACKOFF),
                    Err(SendError::Never { .. }) => backoff(item.attempts + 1),
                };
                match result {
                    Ok(event_id) => {
                        self.unrecorded.insert(
                            item.txn.clone(),
                            Unrecorded {
                                item,
                                event_id,
                                until: after(now, wait),
                                tries: 0,
                            },
                        );
                    }
                    Err(_) => {
                        let until = self.held.entry(destination.clone()).or_insert(now);
                        *until = (*until).max(after(now, wait));
                    }
                }
            }
        }
        // Recorded first: whoever waits for these sends finds them done.
        outbox.inner.progress.send_modify(|p| {
            for txn in &txns {
                p.in_flight.remove(txn);
            }
        });
    }

    /// Deliveries not recorded yet whose time has come: record them (and report them, as any
    /// delivery), or wait longer.
    fn record_again(&mut self, outbox: &Outbox, on_delivered: &Delivered, now: DateTime<Utc>) {
        self.unrecorded.retain(|txn, u| {
            if u.until > now {
                return true;
            }
            match outbox.delivered(&u.item, u.event_id.as_deref()) {
                Ok(()) => {
                    on_delivered(&u.item, u.event_id.as_deref());
                    false
                }
                Err(err) => {
                    tracing::error!(%txn, cause = %err, "still cannot record a delivered message");
                    u.tries += 1;
                    u.until = after(now, record_retry(u.tries));
                    true
                }
            }
        });
    }
}

/// The first pending messages (up to [`WINDOW`], all a round can take) of each destination
/// but those `skip` names, oldest first: the work is one short indexed read per destination,
/// whatever the backlog (`Ledger::queue_heads`). None of them was delivered already (the
/// ledger never keeps such a message waiting: `ledger.rs` `insert_queued`); one that cannot be
/// read is dropped, loudly, rather than block its destination.
fn queues(
    outbox: &Outbox,
    skip: impl Fn(&str) -> bool,
) -> Result<BTreeMap<String, Vec<Item>>, StoreError> {
    let ledger = outbox.store().ledger();
    let mut queues: BTreeMap<String, Vec<Item>> = BTreeMap::new();
    for (destination, head) in ledger.queue_heads(WINDOW, skip)? {
        let mut queue = Vec::with_capacity(head.len());
        for q in head {
            let item: Item = match decode(OUTBOX, &q.item) {
                Ok(item) => item,
                Err(err) => {
                    tracing::warn!(txn = %q.txn, cause = %err, "a waiting message cannot be read; dropped");
                    ledger.unqueue(&q.txn)?;
                    continue;
                }
            };
            queue.push(item);
        }
        if !queue.is_empty() {
            queues.insert(destination, queue);
        }
    }
    Ok(queues)
}

/// `item` as the ledger keeps it: read by its destination and order, the rest in the store's
/// envelope (its form in backups).
fn queued_form(item: &Item) -> Queued {
    Queued {
        txn: item.txn.clone(),
        destination: item.out.destination().to_owned(),
        seq: item.seq,
        item: encode(item),
    }
}

/// A waiting message in its sled or backup form (transaction id → the item in the store's
/// envelope), as the ledger keeps it; `None` when it cannot be read.
pub fn import_form(key: &[u8], value: &[u8]) -> Option<Queued> {
    let item: Item = match decode(OUTBOX, value) {
        Ok(item) => item,
        Err(err) => {
            tracing::warn!(cause = %err, "a waiting message that cannot be read was not moved into the ledger");
            return None;
        }
    };
    if item.txn.as_bytes() != key {
        tracing::warn!("a waiting message filed under another name was not moved into the ledger");
        return None;
    }
    Some(queued_form(&item))
}

/// Send one destination's batch, its messages together (the transport keeps one encrypted
/// room's sends one at a time).
async fn send_batch<T: Transport>(
    outbox: Outbox,
    transport: Arc<T>,
    destination: String,
    batch: Vec<Item>,
) -> Landed {
    let attempts = batch.into_iter().map(|item| {
        let (outbox, transport) = (&outbox, &transport);
        async move {
            outbox.wait_turn().await;
            let out = with_late_note(&item, outbox.inner.clock.now());
            tracing::trace!(target: "kitbot::timing", txn = %item.txn, "send starts");
            let result = send_contained(transport.as_ref(), &item.txn, &out).await;
            tracing::trace!(target: "kitbot::timing", txn = %item.txn, "send returned");
            (item, result)
        }
    });
    let results = futures_util::future::join_all(attempts).await;
    (destination, results)
}

/// Record what one send did: delivered (remembered, handed to `on_delivered`), to retry later,
/// or dropped for good.
fn record(
    outbox: &Outbox,
    item: &Item,
    result: &Result<Option<String>, SendError>,
    on_delivered: &Delivered,
) -> Result<(), StoreError> {
    match result {
        Ok(event_id) => {
            crate::metrics::metrics().send("ok");
            outbox.delivered(item, event_id.as_deref())?;
            on_delivered(item, event_id.as_deref());
        }
        Err(SendError::Retry { after, cause }) => {
            // A delay the homeserver asked for: its rate limit.
            crate::metrics::metrics().send(if after.is_some() {
                "rate_limited"
            } else {
                "retry"
            });
            tracing::warn!(txn = %item.txn, attempts = item.attempts + 1, cause, "send failed; will retry");
            outbox.retry_later(item, *after)?;
        }
        Err(SendError::Never { cause }) => {
            crate::metrics::metrics().send("dropped");
            outbox.give_up(item, cause)?
        }
    }
    Ok(())
}

async fn sleep_or_forever(wait: Option<Duration>) {
    match wait {
        Some(wait) => tokio::time::sleep(wait).await,
        None => std::future::pending().await,
    }
}

/// What a round did.
#[derive(Debug, PartialEq, Eq)]
pub enum Round {
    /// Something was attempted; look again at once.
    Sent,
    /// Nothing ready; the earliest retry, if any.
    Idle { next_retry: Option<DateTime<Utc>> },
}

/// One round: the oldest ready items of each destination, several destinations at once, the
/// round over when all its sends are (the console and tests; the bot runs [`deliver`]).
pub async fn deliver_round<T: Transport>(
    outbox: &Outbox,
    transport: &T,
    on_delivered: &Delivered,
) -> Result<Round, StoreError> {
    let now = outbox.inner.clock.now();
    let queues = queues(outbox, |_| false)?;
    let mut ready: Vec<Item> = Vec::new();
    let mut next_retry: Option<DateTime<Utc>> = None;
    for queue in queues.into_values() {
        let batch = round_of(&queue, now);
        if let (true, Some(at)) = (batch.is_empty(), queue[0].retry_at) {
            next_retry = Some(next_retry.map_or(at, |n| n.min(at)));
        }
        ready.extend(batch);
    }
    if ready.is_empty() {
        return Ok(Round::Idle { next_retry });
    }
    ready.sort_by_key(|i| i.seq);
    for chunk in ready.chunks(PARALLEL) {
        let attempts = chunk.iter().map(|item| async move {
            outbox.wait_turn().await;
            let out = with_late_note(item, outbox.inner.clock.now());
            (item, send_contained(transport, &item.txn, &out).await)
        });
        for (item, result) in futures_util::future::join_all(attempts).await {
            record(outbox, item, &result, on_delivered)?;
        }
    }
    Ok(Round::Sent)
}

/// `transport.send`, with a panic inside it turned into a failure to retry: the panic ends
/// that attempt only, not the round nor the delivery task.
async fn send_contained<T: Transport>(
    transport: &T,
    txn: &str,
    out: &Outgoing,
) -> Result<Option<String>, SendError> {
    use futures_util::FutureExt as _;
    match std::panic::AssertUnwindSafe(transport.send(txn, out))
        .catch_unwind()
        .await
    {
        Ok(result) => result,
        Err(panic) => {
            let cause = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            tracing::error!(%txn, %cause, "sending panicked; the message will be retried");
            Err(SendError::Retry {
                after: None,
                cause: format!("panicked: {cause}"),
            })
        }
    }
}

/// What one destination sends in a round, from its queue (oldest first). A waiting head holds
/// the whole queue back (order is kept). Answers to different events (replies, reactions) go
/// out together, up to [`WINDOW`]: each is tied to its own command, and a burst of commands
/// is answered at the homeserver's pace, not one round trip after another; two answers to one
/// event keep their order (the second waits for the next round). A room post or a direct
/// message goes out alone, so scheduled messages keep their order.
fn round_of(queue: &[Item], now: DateTime<Utc>) -> Vec<Item> {
    let mut batch: Vec<Item> = Vec::new();
    let mut events: Vec<&str> = Vec::new();
    for item in queue {
        if item.retry_at.is_some_and(|at| at > now) {
            break;
        }
        let event = match (&item.out, answered_event(&item.txn)) {
            (
                Outgoing::Reply { .. }
                | Outgoing::React { .. }
                | Outgoing::Edit { .. }
                | Outgoing::Image { .. },
                Some(event),
            ) => event,
            // Posts and direct messages: one at a time, in order.
            _ => {
                if batch.is_empty() {
                    batch.push(item.clone());
                }
                break;
            }
        };
        if events.contains(&event) || batch.len() >= WINDOW {
            break;
        }
        events.push(event);
        batch.push(item.clone());
    }
    batch
}

/// A scheduled message delivered at least [`LATE_NOTE_AFTER_MINUTES`] after it was due, and
/// not late already when it was queued (the scheduler then said so itself), gets the note.
fn with_late_note(item: &Item, now: DateTime<Utc>) -> Outgoing {
    let Some(due) = item.due_at else {
        return item.out.clone();
    };
    let late = (now - due).num_minutes();
    let noted = (item.queued_at - due).num_minutes() >= LATE_NOTE_AFTER_MINUTES;
    let mut out = item.out.clone();
    if late >= LATE_NOTE_AFTER_MINUTES && !noted {
        if let Outgoing::Post { markdown, .. } | Outgoing::Direct { markdown, .. } = &mut out {
            markdown.push_str("\n\n");
            markdown.push_str(&crate::strings::nudges::late_note(late));
        }
    }
    out
}

/// The event an answer's transaction id names (`ev|<event id>|<n>`).
fn answered_event(txn: &str) -> Option<&str> {
    let rest = txn.strip_prefix("ev|")?;
    rest.rsplit_once('|').map(|(event, _)| event)
}

/// Deliver everything that is ready now, round after round (the console, and tests).
pub async fn deliver_ready<T: Transport>(
    outbox: &Outbox,
    transport: &T,
    on_delivered: &Delivered,
) -> Result<(), StoreError> {
    while deliver_round(outbox, transport, on_delivered).await? == Round::Sent {}
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use chrono::Duration as ChronoDuration;

    use super::*;
    use crate::core::{FixedClock, Mentions};

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-30T08:00:00Z")
            .expect("valid")
            .with_timezone(&Utc)
    }

    fn post(room: &str, text: &str) -> Outgoing {
        Outgoing::Post {
            room_id: room.into(),
            markdown: text.into(),
            mentions: Mentions::default(),
            notice: false,
        }
    }

    /// Records what it sent; fails the first `failures` attempts of a text, panics on the
    /// first `panics` attempts of one.
    #[derive(Default)]
    struct Fake {
        sent: Mutex<Vec<(String, String)>>,
        failures: Mutex<BTreeMap<String, u32>>,
        panics: Mutex<BTreeMap<String, u32>>,
        never: Vec<String>,
    }

    impl Transport for Fake {
        async fn send(&self, txn: &str, out: &Outgoing) -> Result<Option<String>, SendError> {
            let text = out.markdown().unwrap_or_default().to_owned();
            if self.never.contains(&text) {
                return Err(SendError::Never {
                    cause: "unknown room".into(),
                });
            }
            let panic_now = match self.panics.lock().expect("lock").get_mut(&text) {
                Some(left) if *left > 0 => {
                    *left -= 1;
                    true
                }
                _ => false,
            };
            if panic_now {
                panic!("Session expired");
            }
            if let Some(left) = self.failures.lock().expect("lock").get_mut(&text) {
                if *left > 0 {
                    *left -= 1;
                    return Err(SendError::Retry {
                        after: None,
                        cause: "down".into(),
                    });
                }
            }
            self.sent.lock().expect("lock").push((txn.to_owned(), text));
            Ok(Some(format!("$sent-{txn}")))
        }
    }

    fn outbox_at(clock: &FixedClock) -> Outbox {
        Outbox::new(Store::temporary().expect("store"), Arc::new(clock.clone()))
    }

    fn draft(txn: &str, room: &str, text: &str) -> Draft {
        Draft {
            txn: txn.into(),
            out: post(room, text),
            note: None,
            due_at: None,
        }
    }

    /// The transaction ids `fake` sent, in order.
    fn sent_txns(fake: &Fake) -> Vec<String> {
        fake.sent
            .lock()
            .expect("lock")
            .iter()
            .map(|(txn, _)| txn.clone())
            .collect()
    }

    fn no_hook() -> Delivered {
        Arc::new(|_, _| {})
    }

    /// An outbox on disk in `dir` whose store is flushed only when the test asks (sled's own
    /// background flusher instead of the store's, which also writes the ledger's noted writes).
    fn outbox_on_disk(dir: &std::path::Path, clock: &FixedClock) -> Outbox {
        let store = Store::open_with_sled_flusher(dir, 1 << 20).expect("open");
        Outbox::new(store, Arc::new(clock.clone()))
    }

    /// What a second connection to the ledger's file finds: the waiting messages (oldest
    /// first) and whether `event` is marked handled.
    fn on_disk(dir: &std::path::Path, event: &str) -> (Vec<Item>, bool) {
        let ledger =
            crate::ledger::Ledger::open(&dir.join(crate::ledger::FILE)).expect("second connection");
        let items = ledger
            .queued_all()
            .expect("read")
            .iter()
            .map(|q| decode(OUTBOX, &q.item).expect("item"))
            .collect();
        (items, ledger.is_handled(event).expect("read"))
    }

    fn txns(items: &[Item]) -> Vec<&str> {
        items.iter().map(|i| i.txn.as_str()).collect()
    }

    /// An event's answers reach the disk with its handled mark, in one write, and only with a
    /// flush of the store that succeeded; delivery sees them before. A message no event caused
    /// is on disk when `queue` returns.
    #[tokio::test]
    async fn answers_reach_the_disk_with_their_mark_and_go_out_before() {
        let dir = tempfile::tempdir().expect("tmp");
        let clock = FixedClock::new(t0());
        let outbox = outbox_on_disk(dir.path(), &clock);
        assert!(outbox
            .record_event("$e", vec![post("!a:x", "un"), post("!a:x", "deux")])
            .expect("record"));
        assert_eq!(on_disk(dir.path(), "$e"), (Vec::new(), false));
        let seen = queues(&outbox, |_| false).expect("queues");
        assert_eq!(txns(&seen["!a:x"]), ["ev|$e|0", "ev|$e|1"], "seen at once");
        assert_eq!(outbox.len(), 2);

        outbox.store().fail_flushes(true);
        assert!(outbox.flush().await.is_err());
        assert_eq!(
            on_disk(dir.path(), "$e"),
            (Vec::new(), false),
            "flush failed"
        );
        outbox.store().fail_flushes(false);
        outbox.flush().await.expect("flush");
        let (items, handled) = on_disk(dir.path(), "$e");
        assert_eq!(txns(&items), ["ev|$e|0", "ev|$e|1"]);
        assert!(handled);
        assert_eq!(outbox.len(), 2, "written, no longer counted twice");

        let firing = || draft("fire|n|1|post", "!b:x", "rappel");
        assert_eq!(outbox.queue(vec![firing(), firing()]).expect("queue"), 1);
        assert_eq!(
            outbox.queue(vec![firing()]).expect("queue"),
            0,
            "waits already"
        );
        let (items, _) = on_disk(dir.path(), "$e");
        assert_eq!(txns(&items), ["ev|$e|0", "ev|$e|1", "fire|n|1|post"]);

        let fake = Fake::default();
        deliver_ready(&outbox, &fake, &no_hook())
            .await
            .expect("deliver");
        assert_eq!(fake.sent.lock().expect("lock").len(), 3);
        assert!(outbox.is_empty());
        assert_eq!(on_disk(dir.path(), "$e"), (Vec::new(), true));
        assert_eq!(
            outbox.queue(vec![firing()]).expect("queue"),
            0,
            "delivered already"
        );
    }

    /// A flush reads the noted answers before one of them is delivered and writes them after:
    /// the delivered one is not written back (it would go out again after a restart), and one
    /// whose attempt failed meanwhile is written in its latest form.
    #[tokio::test]
    async fn a_flush_that_crosses_a_delivery_writes_what_is_true_after_it() {
        let dir = tempfile::tempdir().expect("tmp");
        let clock = FixedClock::new(t0());
        let outbox = outbox_on_disk(dir.path(), &clock);
        outbox
            .record_event("$e", vec![post("!a:x", "un")])
            .expect("record");
        outbox
            .record_event("$f", vec![post("!b:x", "en panne")])
            .expect("record");
        let ledger = outbox.store().ledger();
        let writes = ledger.pending_writes();
        let fake = Fake::default();
        fake.failures
            .lock()
            .expect("lock")
            .insert("en panne".into(), 1);
        deliver_round(&outbox, &fake, &no_hook())
            .await
            .expect("round");
        assert_eq!(sent_txns(&fake), ["ev|$e|0"]);
        ledger.commit_pending(writes).expect("commit");
        let (items, handled) = on_disk(dir.path(), "$e");
        assert!(handled);
        assert_eq!(
            txns(&items),
            ["ev|$f|0"],
            "the delivered answer is not written"
        );
        assert_eq!(items[0].attempts, 1, "written after its failed attempt");
        assert!(items[0].retry_at.is_some());
        assert_eq!(outbox.len(), 1);
    }

    /// A store from before the ledger kept its waiting messages in sled (with queue entries and
    /// a counter): they move into the ledger when it opens, in their order, the sled parts go,
    /// a message that cannot be read or was delivered already is left behind, and new messages
    /// come after the old ones.
    #[tokio::test]
    async fn waiting_messages_in_sled_move_into_the_ledger_in_their_order() {
        let dir = tempfile::tempdir().expect("tmp");
        let clock = FixedClock::new(t0());
        {
            let db = sled::open(dir.path()).expect("sled");
            let tree = db.open_tree(OUTBOX).expect("tree");
            for (txn, seq, room) in [
                ("a1", 5, "!a:x"),
                ("a2", 7, "!a:x"),
                ("b1", 6, "!b:x"),
                ("done", 4, "!a:x"),
            ] {
                let item = Item {
                    txn: txn.into(),
                    seq,
                    out: post(room, txn),
                    queued_at: t0(),
                    attempts: 0,
                    retry_at: None,
                    note: None,
                    due_at: None,
                };
                tree.insert(txn, encode(&item)).expect("insert");
            }
            tree.insert("bad", b"not an item".to_vec()).expect("insert");
            // Delivered before the crash that left it waiting: not taken in.
            db.open_tree(DELIVERED)
                .expect("tree")
                .insert("done", 1_700_000_000_000i64.to_be_bytes().to_vec())
                .expect("insert");
            db.open_tree(crate::ledger::OUTBOX_QUEUES)
                .expect("tree")
                .insert(b"!a:x\0\0\0\0\0\0\0\0\x05", b"a1".to_vec())
                .expect("insert");
            db.open_tree("meta")
                .expect("tree")
                .insert(crate::ledger::OUTBOX_COUNTER, 7u64.to_be_bytes().to_vec())
                .expect("insert");
            db.flush().expect("flush");
        }
        let store = Store::open(dir.path()).expect("open");
        let names = store.tree_names().expect("names");
        assert!(!names
            .iter()
            .any(|n| n == OUTBOX || n == crate::ledger::OUTBOX_QUEUES));
        assert!(store
            .tree("meta")
            .expect("meta")
            .get(crate::ledger::OUTBOX_COUNTER)
            .expect("get")
            .is_none());
        let outbox = Outbox::new(store, Arc::new(clock.clone()));
        assert_eq!(
            txns(&outbox.pending().expect("pending")),
            ["a1", "b1", "a2"]
        );
        outbox
            .queue(vec![draft("a3", "!a:x", "a3")])
            .expect("queue");
        let after = outbox.pending().expect("pending");
        assert_eq!(
            after.last().map(|i| (i.txn.as_str(), i.seq)),
            Some(("a3", 8))
        );
        let fake = Fake::default();
        deliver_ready(&outbox, &fake, &no_hook())
            .await
            .expect("deliver");
        let sent = sent_txns(&fake);
        let at = |txn: &str| sent.iter().position(|t| t == txn).expect(txn);
        assert_eq!(sent.len(), 4, "{sent:?}");
        assert!(at("a1") < at("a2") && at("a2") < at("a3"), "{sent:?}");
        assert!(outbox.is_empty());
    }

    #[tokio::test]
    async fn rounds_keep_order_in_a_room_and_serve_every_room_first() {
        let clock = FixedClock::new(t0());
        let outbox = outbox_at(&clock);
        outbox
            .queue(vec![
                draft("a1", "!a", "a1"),
                draft("a2", "!a", "a2"),
                draft("a3", "!a", "a3"),
                draft("b1", "!b", "b1"),
                draft("c1", "!c", "c1"),
                draft("c2", "!c", "c2"),
            ])
            .expect("queue");
        let fake = Fake::default();
        deliver_ready(&outbox, &fake, &no_hook())
            .await
            .expect("deliver");
        let sent: Vec<String> = fake
            .sent
            .lock()
            .expect("lock")
            .iter()
            .map(|(_, t)| t.clone())
            .collect();
        assert_eq!(sent, ["a1", "b1", "c1", "a2", "c2", "a3"]);
        assert!(outbox.is_empty());
    }

    #[tokio::test]
    async fn a_failing_send_is_retried_later_and_delivered_once() {
        let clock = FixedClock::new(t0());
        let outbox = outbox_at(&clock);
        outbox
            .queue(vec![draft("x", "!a", "x"), draft("y", "!a", "y")])
            .expect("queue");
        let fake = Fake::default();
        fake.failures.lock().expect("lock").insert("x".into(), 3);
        let delivered = Arc::new(Mutex::new(Vec::new()));
        let seen = delivered.clone();
        let hook: Delivered = Arc::new(move |item, event| {
            seen.lock()
                .expect("lock")
                .push((item.txn.clone(), event.map(str::to_owned)));
        });
        for _ in 0..3 {
            deliver_ready(&outbox, &fake, &hook).await.expect("deliver");
            // Nothing behind the failing head of the room went out: order is kept.
            assert!(fake.sent.lock().expect("lock").is_empty());
            clock.advance(ChronoDuration::minutes(10));
        }
        deliver_ready(&outbox, &fake, &hook).await.expect("deliver");
        let sent: Vec<String> = fake
            .sent
            .lock()
            .expect("lock")
            .iter()
            .map(|(_, t)| t.clone())
            .collect();
        assert_eq!(sent, ["x", "y"]);
        assert_eq!(
            *delivered.lock().expect("lock"),
            [
                ("x".to_owned(), Some("$sent-x".to_owned())),
                ("y".to_owned(), Some("$sent-y".to_owned()))
            ]
        );
        // Delivered ids are not queued again.
        assert_eq!(outbox.queue(vec![draft("x", "!a", "x")]).expect("queue"), 0);
    }

    /// matrix-sdk 0.18 panics when two sends to one encrypted room overlap as the room's Megolm
    /// session expires (found by `cargo bench --bench load`): the panic used to end the delivery
    /// task, and nothing was delivered any more until a restart.
    #[tokio::test]
    async fn a_send_that_panics_is_retried_and_the_others_of_its_round_are_recorded() {
        let clock = FixedClock::new(t0());
        let outbox = outbox_at(&clock);
        let reply = |event: &str, text: &str| Draft {
            txn: format!("ev|{event}|0"),
            out: Outgoing::Reply {
                room_id: "!a".into(),
                to_event: event.into(),
                thread_root: None,
                markdown: text.into(),
            },
            note: None,
            due_at: None,
        };
        outbox
            .queue(vec![
                reply("$1", "one"),
                reply("$2", "two"),
                reply("$3", "three"),
            ])
            .expect("queue");
        let fake = Fake::default();
        fake.panics.lock().expect("lock").insert("two".into(), 1);
        deliver_ready(&outbox, &fake, &no_hook())
            .await
            .expect("a panicking send is not an outbox error");
        let sent = |fake: &Fake| -> Vec<String> {
            let mut sent: Vec<String> = fake
                .sent
                .lock()
                .expect("lock")
                .iter()
                .map(|(_, t)| t.clone())
                .collect();
            sent.sort();
            sent
        };
        // The two others went out in that round and are recorded as delivered.
        assert_eq!(sent(&fake), ["one", "three"]);
        assert_eq!(outbox.len(), 1);
        clock.advance(ChronoDuration::minutes(1));
        deliver_ready(&outbox, &fake, &no_hook())
            .await
            .expect("deliver");
        assert_eq!(sent(&fake), ["one", "three", "two"]);
        assert!(outbox.is_empty());
        // And the delivery task itself survives it.
        outbox.queue(vec![reply("$4", "four")]).expect("queue");
        let stop = CancellationToken::new();
        let task = tokio::spawn(deliver(
            outbox.clone(),
            Arc::new(Fake {
                panics: Mutex::new(BTreeMap::from([("four".to_owned(), 1)])),
                ..Fake::default()
            }),
            no_hook(),
            stop.clone(),
        ));
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!task.is_finished(), "the delivery task ended on a panic");
        stop.cancel();
        task.await
            .expect("the delivery task ends cleanly when asked");
    }

    #[tokio::test]
    async fn an_undeliverable_message_is_dropped_and_does_not_block_its_room() {
        let clock = FixedClock::new(t0());
        let outbox = outbox_at(&clock);
        outbox
            .queue(vec![draft("x", "!gone", "x"), draft("y", "!gone", "y")])
            .expect("queue");
        let fake = Fake {
            never: vec!["x".into()],
            ..Fake::default()
        };
        deliver_ready(&outbox, &fake, &no_hook())
            .await
            .expect("deliver");
        let sent: Vec<String> = fake
            .sent
            .lock()
            .expect("lock")
            .iter()
            .map(|(_, t)| t.clone())
            .collect();
        assert_eq!(sent, ["y"]);
    }

    #[tokio::test]
    async fn answers_to_different_events_go_together_two_answers_to_one_event_in_order() {
        let clock = FixedClock::new(t0());
        let outbox = outbox_at(&clock);
        let reply = |text: &str| Outgoing::Reply {
            room_id: "!a".into(),
            to_event: "$x".into(),
            thread_root: None,
            markdown: text.into(),
        };
        outbox
            .record_event("$e1", vec![reply("e1-a"), reply("e1-b")])
            .expect("record");
        outbox
            .record_event("$e2", vec![reply("e2-a")])
            .expect("record");
        outbox
            .record_event("$e3", vec![reply("e3-a")])
            .expect("record");
        let fake = Fake::default();
        let round = deliver_round(&outbox, &fake, &no_hook())
            .await
            .expect("round");
        assert_eq!(round, Round::Sent);
        let first: Vec<String> = fake
            .sent
            .lock()
            .expect("lock")
            .iter()
            .map(|(_, t)| t.clone())
            .collect();
        assert_eq!(
            first,
            ["e1-a"],
            "e1's second answer holds e2 and e3 back, in order"
        );
        deliver_ready(&outbox, &fake, &no_hook())
            .await
            .expect("deliver");
        let all: Vec<String> = fake
            .sent
            .lock()
            .expect("lock")
            .iter()
            .map(|(_, t)| t.clone())
            .collect();
        assert_eq!(all, ["e1-a", "e1-b", "e2-a", "e3-a"]);
    }

    #[tokio::test]
    async fn a_picture_follows_its_text_and_goes_out_once() {
        let clock = FixedClock::new(t0());
        let outbox = outbox_at(&clock);
        let reply = |event: &str| Outgoing::Reply {
            room_id: "!a".into(),
            to_event: event.into(),
            thread_root: None,
            markdown: format!("text {event}"),
        };
        let image = Outgoing::Image {
            room_id: "!a".into(),
            to_event: "$e1".into(),
            thread_root: None,
            picture: crate::core::Picture {
                filename: "chart.png".into(),
                mime: "image/png".into(),
                width: 1,
                height: 1,
                alt: "a chart".into(),
                bytes: vec![1, 2, 3],
            },
        };
        outbox
            .record_event("$e1", vec![reply("$e1"), image])
            .expect("record");
        outbox
            .record_event("$e2", vec![reply("$e2")])
            .expect("record");
        let fake = Fake::default();
        deliver_round(&outbox, &fake, &no_hook())
            .await
            .expect("round");
        let first: Vec<String> = sent_txns(&fake);
        assert_eq!(
            first,
            [txn_for_event("$e1", 0)],
            "the picture waits for its text"
        );
        deliver_ready(&outbox, &fake, &no_hook())
            .await
            .expect("deliver");
        let all: Vec<String> = sent_txns(&fake);
        assert_eq!(
            all,
            [
                txn_for_event("$e1", 0),
                txn_for_event("$e1", 1),
                txn_for_event("$e2", 0)
            ]
        );
        // Handled again (a replay), nothing is queued twice.
        assert!(!outbox
            .record_event("$e1", vec![reply("$e1")])
            .expect("record"));
        assert!(outbox.is_empty());
    }

    #[tokio::test]
    async fn a_scheduled_message_delivered_late_says_so_once() {
        let clock = FixedClock::new(t0());
        let outbox = outbox_at(&clock);
        outbox
            .queue(vec![Draft {
                due_at: Some(t0()),
                ..draft("late", "!a", "🔔 Café")
            }])
            .expect("queue");
        let fake = Fake::default();
        fake.failures
            .lock()
            .expect("lock")
            .insert("🔔 Café".into(), 1);
        deliver_ready(&outbox, &fake, &no_hook())
            .await
            .expect("deliver");
        // The homeserver comes back 10 minutes later.
        clock.advance(ChronoDuration::minutes(10));
        deliver_ready(&outbox, &fake, &no_hook())
            .await
            .expect("deliver");
        let sent: Vec<String> = fake
            .sent
            .lock()
            .expect("lock")
            .iter()
            .map(|(_, t)| t.clone())
            .collect();
        assert_eq!(sent.len(), 1);
        assert!(
            sent[0].starts_with("🔔 Café") && sent[0].contains("10 min de retard"),
            "{sent:?}"
        );
    }

    #[tokio::test]
    async fn an_event_is_recorded_once_with_its_answers() {
        let clock = FixedClock::new(t0());
        let outbox = outbox_at(&clock);
        assert!(!outbox.is_handled("$e"));
        assert!(outbox
            .record_event("$e", vec![post("!a", "un"), post("!a", "deux")])
            .expect("record"));
        assert!(outbox.is_handled("$e"));
        assert!(!outbox
            .record_event("$e", vec![post("!a", "un")])
            .expect("record"));
        let txns: Vec<String> = outbox
            .pending()
            .expect("pending")
            .into_iter()
            .map(|i| i.txn)
            .collect();
        assert_eq!(txns, [txn_for_event("$e", 0), txn_for_event("$e", 1)]);
        assert_ne!(txn_for_event("$e", 0), txn_for_event("$e", 1));
        assert_ne!(
            txn_for_firing("k", t0(), "post"),
            txn_for_firing("k", t0() + ChronoDuration::minutes(15), "post")
        );
    }

    #[test]
    fn old_ids_are_pruned_recent_ones_kept() {
        let clock = FixedClock::new(t0());
        let outbox = outbox_at(&clock);
        outbox.record_event("$old", Vec::new()).expect("record");
        outbox.store().flush_blocking().expect("flush");
        clock.advance(ChronoDuration::days(HANDLED_KEPT_DAYS + 1));
        outbox.record_event("$recent", Vec::new()).expect("record");
        outbox.store().flush_blocking().expect("flush");
        let (_, handled) = outbox.prune().expect("prune");
        assert_eq!(handled, 1);
        assert!(!outbox.is_handled("$old"));
        assert!(outbox.is_handled("$recent"));
    }
}

#[cfg(test)]
mod pace_tests {
    use std::sync::Arc;

    use chrono::{DateTime, Utc};

    use super::*;
    use crate::core::{FixedClock, Mentions};

    struct Count(std::sync::atomic::AtomicUsize);

    impl Transport for Count {
        async fn send(&self, _txn: &str, _out: &Outgoing) -> Result<Option<String>, SendError> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(None)
        }
    }

    /// Paused tokio time: the pace is measured in virtual time, exactly.
    #[tokio::test(start_paused = true)]
    async fn the_global_pace_spaces_sends_across_rooms() {
        let t0: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-11-30T08:00:00Z")
            .expect("valid")
            .with_timezone(&Utc);
        let outbox = Outbox::paced(
            Store::temporary().expect("store"),
            Arc::new(FixedClock::new(t0)),
            10,
        );
        let drafts = (0..6)
            .map(|i| Draft {
                txn: format!("t{i}"),
                out: Outgoing::Post {
                    room_id: format!("!r{}", i % 3),
                    markdown: format!("m{i}"),
                    mentions: Mentions::default(),
                    notice: false,
                },
                note: None,
                due_at: None,
            })
            .collect();
        outbox.queue(drafts).expect("queue");
        let count = Count(Default::default());
        let start = tokio::time::Instant::now();
        let hook: Delivered = Arc::new(|_: &Item, _: Option<&str>| {});
        deliver_ready(&outbox, &count, &hook)
            .await
            .expect("deliver");
        assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), 6);
        // Six sends at ten a second: the sixth starts half a second after the first.
        assert!(
            start.elapsed() >= std::time::Duration::from_millis(500),
            "{:?}",
            start.elapsed()
        );
    }
}

/// The running delivery loop ([`deliver`]): destinations are served on their own.
#[cfg(test)]
mod loop_tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use chrono::{DateTime, Utc};
    use tokio::sync::{mpsc, Semaphore};

    use super::*;
    use crate::core::{FixedClock, Mentions};

    const WAIT: Duration = Duration::from_secs(60);

    /// Sends to `slow` wait for a permit of `gate`; every text is recorded when its send starts
    /// and reported on `sent` once delivered.
    struct Gated {
        slow: String,
        gate: Arc<Semaphore>,
        sent: mpsc::UnboundedSender<String>,
        started: Mutex<Vec<String>>,
    }

    impl Transport for Gated {
        async fn send(&self, _txn: &str, out: &Outgoing) -> Result<Option<String>, SendError> {
            let text = out.markdown().unwrap_or_default().to_owned();
            self.started.lock().expect("started").push(text.clone());
            if out.destination() == self.slow {
                let permit = self.gate.acquire().await.expect("gate");
                permit.forget();
            } else {
                // Let the other sends of the moment overlap with this one.
                tokio::task::yield_now().await;
            }
            let _ = self.sent.send(text);
            Ok(None)
        }
    }

    fn post(txn: &str, room: &str) -> Draft {
        Draft::new(
            txn,
            Outgoing::Post {
                room_id: room.into(),
                markdown: txn.into(),
                mentions: Mentions::default(),
                notice: false,
            },
        )
    }

    fn setup(
        slow: &str,
    ) -> (
        Outbox,
        Arc<Gated>,
        mpsc::UnboundedReceiver<String>,
        CancellationToken,
    ) {
        let t0: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-11-30T08:00:00Z")
            .expect("valid")
            .with_timezone(&Utc);
        let outbox = Outbox::new(
            Store::temporary().expect("store"),
            Arc::new(FixedClock::new(t0)),
        );
        let (tx, rx) = mpsc::unbounded_channel();
        let transport = Arc::new(Gated {
            slow: slow.into(),
            gate: Arc::new(Semaphore::new(0)),
            sent: tx,
            started: Mutex::new(Vec::new()),
        });
        (outbox, transport, rx, CancellationToken::new())
    }

    /// The delivery task, with nothing to do once a message is delivered.
    fn spawn_delivery<T: Transport>(
        outbox: &Outbox,
        transport: Arc<T>,
        stop: &CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(deliver(
            outbox.clone(),
            transport,
            Arc::new(|_: &Item, _: Option<&str>| {}),
            stop.clone(),
        ))
    }

    async fn next_sent(rx: &mut mpsc::UnboundedReceiver<String>) -> String {
        tokio::time::timeout(WAIT, rx.recv())
            .await
            .expect("a message delivered in time")
            .expect("the transport is alive")
    }

    /// A room whose send hangs (an encrypted room waiting on keys, a slow homeserver write) does
    /// not hold back another room's messages, also those queued after it started.
    #[tokio::test]
    async fn a_slow_room_does_not_hold_back_the_others() {
        let (outbox, transport, mut rx, stop) = setup("!slow");
        outbox
            .queue(vec![post("slow-1", "!slow"), post("a-1", "!a")])
            .expect("queue");
        let task = spawn_delivery(&outbox, transport.clone(), &stop);
        assert_eq!(next_sent(&mut rx).await, "a-1");
        outbox.queue(vec![post("a-2", "!a")]).expect("queue");
        assert_eq!(next_sent(&mut rx).await, "a-2");
        outbox.queue(vec![post("slow-2", "!slow")]).expect("queue");
        // The slow room's messages still go out, in order, once its homeserver answers.
        transport.gate.add_permits(2);
        assert_eq!(next_sent(&mut rx).await, "slow-1");
        assert_eq!(next_sent(&mut rx).await, "slow-2");
        stop.cancel();
        task.await.expect("the delivery task ends cleanly");
        assert!(outbox.is_empty());
    }

    /// A wave of three posts to each of 40 rooms, more than may be in flight at once: every
    /// room's first post starts before any room's second (sends in flight at the same moment
    /// reach the homeserver in any order), and each room's posts go out in order.
    #[tokio::test]
    async fn a_wave_serves_every_room_once_before_any_twice() {
        let (outbox, transport, mut rx, stop) = setup("(none)");
        let mut drafts = Vec::new();
        for room in 0..40 {
            for n in 1..=3 {
                drafts.push(post(&format!("r{room:02}-{n}"), &format!("!r{room:02}")));
            }
        }
        outbox.queue(drafts).expect("queue");
        let task = spawn_delivery(&outbox, transport.clone(), &stop);
        for _ in 0..120 {
            next_sent(&mut rx).await;
        }
        stop.cancel();
        task.await.expect("the delivery task ends cleanly");
        let order = transport.started.lock().expect("started").clone();
        let position = |text: &str| order.iter().position(|t| t == text).expect("sent");
        for room in 0..40 {
            let first = position(&format!("r{room:02}-1"));
            assert!(first < position(&format!("r{room:02}-2")));
            assert!(position(&format!("r{room:02}-2")) < position(&format!("r{room:02}-3")));
            for other in 0..40 {
                assert!(
                    first < position(&format!("r{other:02}-2")),
                    "room {room}'s first post after room {other}'s second: {order:?}"
                );
            }
        }
        assert!(outbox.is_empty());
    }

    fn answer(event: &str, room: &str) -> Outgoing {
        Outgoing::Reply {
            room_id: room.into(),
            to_event: event.into(),
            thread_root: None,
            markdown: format!("answer to {event}"),
        }
    }

    /// How long `wait_answers_sent` waited (paused time: only what it really waited for).
    async fn waited(outbox: &Outbox, events: &[&str]) -> Duration {
        let started = tokio::time::Instant::now();
        outbox.wait_answers_sent(events, WAIT).await;
        started.elapsed()
    }

    /// The sync loop's wait: it lasts while the answer to its event is being sent, ends when
    /// the send is recorded, and waits for nothing else (another event, another room).
    #[tokio::test(start_paused = true)]
    async fn the_wait_for_answers_lasts_until_they_are_sent() {
        let (outbox, transport, mut rx, stop) = setup("!slow");
        let task = spawn_delivery(&outbox, transport.clone(), &stop);
        outbox
            .record_event("$slow", vec![answer("$slow", "!slow")])
            .expect("record");
        outbox
            .record_event("$quick", vec![answer("$quick", "!a")])
            .expect("record");
        // The quick room's answer goes out; waiting for it (or for an event nobody answered)
        // takes no time, while the slow room's send hangs.
        assert_eq!(next_sent(&mut rx).await, "answer to $quick");
        assert_eq!(
            waited(&outbox, &["$quick", "$nothing"]).await,
            Duration::ZERO
        );
        let waiter = {
            let outbox = outbox.clone();
            tokio::spawn(async move { waited(&outbox, &["$slow"]).await })
        };
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert!(
            !waiter.is_finished(),
            "the wait ended while the answer was being sent"
        );
        transport.gate.add_permits(1);
        assert_eq!(next_sent(&mut rx).await, "answer to $slow");
        let took = waiter.await.expect("waiter");
        assert!(
            took >= Duration::from_secs(10) && took < WAIT,
            "waited {took:?}"
        );
        // Recorded before the wait ended: nothing of it left in the outbox.
        assert!(outbox.is_empty());
        stop.cancel();
        task.await.expect("the delivery task ends cleanly");
    }

    /// A send that hangs holds the sync loop for the cap at most; without a delivery task (the
    /// console, tests) there is nothing to wait for.
    #[tokio::test(start_paused = true)]
    async fn the_wait_for_answers_is_capped_and_needs_a_delivery_task() {
        let (outbox, transport, mut rx, stop) = setup("!slow");
        outbox
            .record_event("$slow", vec![answer("$slow", "!slow")])
            .expect("record");
        assert_eq!(waited(&outbox, &["$slow"]).await, Duration::ZERO);
        let task = spawn_delivery(&outbox, transport.clone(), &stop);
        // The delivery task runs once it has sent something.
        outbox
            .record_event("$quick", vec![answer("$quick", "!a")])
            .expect("record");
        assert_eq!(next_sent(&mut rx).await, "answer to $quick");
        assert_eq!(waited(&outbox, &["$slow"]).await, WAIT);
        assert_eq!(outbox.len(), 1, "the hanging answer is still pending");
        stop.cancel();
        transport.gate.add_permits(1);
        task.await.expect("the delivery task ends cleanly");
    }

    /// A transport whose every send fails for now.
    struct Failing;

    impl Transport for Failing {
        async fn send(&self, _txn: &str, _out: &Outgoing) -> Result<Option<String>, SendError> {
            tokio::task::yield_now().await;
            Err(SendError::Retry {
                after: None,
                cause: "the homeserver is down".into(),
            })
        }
    }

    /// A failed send ends the wait as a delivered one does: the answer waits for its retry,
    /// the sync loop does not.
    #[tokio::test(start_paused = true)]
    async fn a_failed_send_ends_the_wait_for_answers() {
        let (outbox, _, _rx, stop) = setup("(none)");
        let task = spawn_delivery(&outbox, Arc::new(Failing), &stop);
        while !outbox.inner.progress.borrow().delivering {
            tokio::task::yield_now().await;
        }
        outbox
            .record_event("$down", vec![answer("$down", "!a")])
            .expect("record");
        let took = waited(&outbox, &["$down"]).await;
        assert!(took < WAIT, "waited {took:?}");
        // The wait ended once the failure was recorded, not before.
        let pending = outbox.pending().expect("pending");
        assert_eq!(pending.len(), 1);
        assert!(pending[0].attempts >= 1 && pending[0].retry_at.is_some());
        stop.cancel();
        task.await.expect("the delivery task ends cleanly");
    }

    /// The homeserver accepts messages but the ledger cannot record it (a full disk): each
    /// goes out once, not again and again, and the messages behind it still go out (it went
    /// first: nothing overtakes it); once the ledger writes again the deliveries are recorded
    /// (and reported, as any delivery).
    #[tokio::test(start_paused = true)]
    async fn a_delivery_that_cannot_be_recorded_is_not_sent_again() {
        let t0: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-11-30T08:00:00Z")
            .expect("valid")
            .with_timezone(&Utc);
        let clock = FixedClock::new(t0);
        let outbox = Outbox::new(Store::temporary().expect("store"), Arc::new(clock.clone()));
        let (tx, mut rx) = mpsc::unbounded_channel();
        let transport = Arc::new(Gated {
            slow: "(none)".into(),
            gate: Arc::new(Semaphore::new(0)),
            sent: tx,
            started: Mutex::new(Vec::new()),
        });
        let reported = Arc::new(Mutex::new(Vec::<String>::new()));
        let on_delivered: Delivered = {
            let reported = reported.clone();
            Arc::new(move |item: &Item, _: Option<&str>| {
                reported.lock().expect("reported").push(item.txn.clone());
            })
        };
        // Posts to one room go one at a time: "a2" waits for "a1".
        outbox
            .queue(vec![post("a1", "!a"), post("a2", "!a")])
            .expect("queue");
        let ledger = outbox.store().ledger();
        ledger.fail_writes(true);
        let stop = CancellationToken::new();
        let task = tokio::spawn(deliver(
            outbox.clone(),
            transport.clone(),
            on_delivered,
            stop.clone(),
        ));
        assert_eq!(next_sent(&mut rx).await, "a1");
        assert_eq!(next_sent(&mut rx).await, "a2");
        // An answer noted in memory (nothing can be written) goes out too.
        outbox
            .record_event("$b", vec![answer("$b", "!b")])
            .expect("noted");
        assert_eq!(next_sent(&mut rx).await, "answer to $b");

        // Half a minute of failing writes: the loop looks again and again, sends nothing.
        for _ in 0..30 {
            clock.advance(chrono::Duration::seconds(1));
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        assert!(
            rx.try_recv().is_err(),
            "nothing sent while nothing can be recorded"
        );
        assert!(reported.lock().expect("reported").is_empty());
        assert!(!ledger.is_delivered("a1").expect("read"));
        assert_eq!(outbox.len(), 3);

        ledger.fail_writes(false);
        clock.advance(chrono::Duration::minutes(2));
        tokio::time::timeout(WAIT, async {
            while !outbox.is_empty() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("recorded in time");
        for txn in ["a1", "a2", "ev|$b|0"] {
            assert!(ledger.is_delivered(txn).expect("read"), "{txn} recorded");
        }
        assert_eq!(*reported.lock().expect("reported"), ["a1", "a2", "ev|$b|0"]);
        assert!(rx.try_recv().is_err());
        assert_eq!(
            *transport.started.lock().expect("started"),
            ["a1", "a2", "answer to $b"],
            "each message sent once, in order"
        );
        stop.cancel();
        task.await.expect("the delivery task ends cleanly");
    }
}
