//! What the bot counts for its operator: one process-wide set of Prometheus metrics (the
//! `prometheus-client` crate encodes them), recorded where things happen and read by the
//! `/metrics` endpoint (`health.rs`). No label ever holds a person, a room or a text: only
//! command names, outcomes and kinds.
//!
//! Metrics: `kitbot_commands_total{command,outcome}`, `kitbot_command_seconds` (histogram),
//! `kitbot_sends_total{outcome}` (ok, retry, dropped), `kitbot_nudges_fired_total`,
//! `kitbot_undecryptable_events_total`, `kitbot_syncs_total`, `kitbot_kit_votes_total{vote}`,
//! `kitbot_kit_no_match_total`, `kitbot_kit_questions_passed_on_total`, `kitbot_digests_total`,
//! `kitbot_reflections_total{outcome}` (stored, refused, erased),
//! `kitbot_nudge_firings_total{outcome}` (on_time, late, moved, missed), sends by outcome including
//! `rate_limited` (the homeserver asked to wait),
//! and, read at each scrape,
//! `kitbot_outbox_depth`, `kitbot_store_bytes`, `kitbot_seconds_since_last_sync`.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::OnceLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CommandLabels {
    pub command: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SendLabels {
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VoteLabels {
    /// `useful` (👍) or `not_useful` (👎).
    pub vote: String,
}

/// The process's metrics.
pub struct Metrics {
    registry: Registry,
    pub commands: Family<CommandLabels, Counter>,
    pub command_seconds: Histogram,
    pub sends: Family<SendLabels, Counter>,
    pub nudges_fired: Counter,
    pub undecryptable: Counter,
    pub syncs: Counter,
    pub votes: Family<VoteLabels, Counter>,
    pub kit_no_match: Counter,
    pub questions_passed_on: Counter,
    pub digests: Counter,
    pub reflections: Family<SendLabels, Counter>,
    pub firings: Family<SendLabels, Counter>,
    pub outbox_depth: Gauge,
    pub store_bytes: Gauge,
    pub since_last_sync: Gauge,
    /// When the sync loop last got a response (Unix milliseconds; 0: never).
    last_sync_ms: AtomicI64,
}

/// The process-wide metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("kitbot");
        let commands = Family::<CommandLabels, Counter>::default();
        registry.register(
            "commands",
            "Commands handled, by name and outcome",
            commands.clone(),
        );
        // 1 ms to about 16 s.
        let command_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 15));
        registry.register(
            "command_seconds",
            "Time to handle a command (answers queued)",
            command_seconds.clone(),
        );
        let sends = Family::<SendLabels, Counter>::default();
        registry.register(
            "sends",
            "Messages sent to the homeserver, by outcome",
            sends.clone(),
        );
        let nudges_fired = Counter::default();
        registry.register(
            "nudges_fired",
            "Scheduled messages queued (nudges, reminders, parcours steps)",
            nudges_fired.clone(),
        );
        let undecryptable = Counter::default();
        registry.register(
            "undecryptable_events",
            "Encrypted events that could not be decrypted when synced",
            undecryptable.clone(),
        );
        let syncs = Counter::default();
        registry.register("syncs", "Sync responses handled", syncs.clone());
        let votes = Family::<VoteLabels, Counter>::default();
        registry.register(
            "kit_votes",
            "👍 (useful) and 👎 (not_useful) counted on kit answers",
            votes.clone(),
        );
        let kit_no_match = Counter::default();
        registry.register(
            "kit_no_match",
            "Kit questions the search found no good card for",
            kit_no_match.clone(),
        );
        let questions_passed_on = Counter::default();
        registry.register(
            "kit_questions_passed_on",
            "Questions passed on to the kit's writers",
            questions_passed_on.clone(),
        );
        let reflections = Family::<SendLabels, Counter>::default();
        registry.register(
            "reflections",
            "Reflections stored, refused by the personal-data guard, or erased",
            reflections.clone(),
        );
        let firings = Family::<SendLabels, Counter>::default();
        registry.register(
            "nudge_firings",
            "Firings of nudges, reminders and parcours steps: on_time, late (sent with the late note), moved (by quiet hours or a silence), missed (summed up after a downtime)",
            firings.clone(),
        );
        let digests = Counter::default();
        registry.register(
            "digests",
            "Weekly digests queued for coordinators",
            digests.clone(),
        );
        let outbox_depth = Gauge::default();
        registry.register(
            "outbox_depth",
            "Messages waiting to be sent",
            outbox_depth.clone(),
        );
        let store_bytes = Gauge::default();
        registry.register(
            "store_bytes",
            "Size of the store on disk",
            store_bytes.clone(),
        );
        let since_last_sync = Gauge::default();
        registry.register(
            "seconds_since_last_sync",
            "Seconds since the last sync response (-1: none yet)",
            since_last_sync.clone(),
        );
        Metrics {
            registry,
            commands,
            command_seconds,
            sends,
            nudges_fired,
            undecryptable,
            syncs,
            votes,
            kit_no_match,
            questions_passed_on,
            digests,
            reflections,
            firings,
            outbox_depth,
            store_bytes,
            since_last_sync,
            last_sync_ms: AtomicI64::new(0),
        }
    }

    /// A 👍 or 👎 on a kit answer was counted.
    pub fn vote(&self, useful: bool) {
        self.votes
            .get_or_create(&VoteLabels {
                vote: if useful { "useful" } else { "not_useful" }.to_owned(),
            })
            .inc();
    }

    /// The search found no good card for a question.
    pub fn no_match(&self) {
        self.kit_no_match.inc();
    }

    /// A question reached the kit's writers.
    pub fn question_passed_on(&self) {
        self.questions_passed_on.inc();
    }

    /// A reflection was `stored`, `refused` (the guard) or `erased`.
    pub fn reflection(&self, outcome: &str) {
        self.reflections
            .get_or_create(&SendLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// `count` firings with this `outcome` (on_time, late, moved, missed).
    pub fn firing(&self, outcome: &str, count: u64) {
        self.firings
            .get_or_create(&SendLabels {
                outcome: outcome.to_owned(),
            })
            .inc_by(count);
    }

    /// A weekly digest was queued.
    pub fn digest(&self) {
        self.digests.inc();
    }

    /// A command was handled.
    pub fn command(&self, command: &str, outcome: &str, seconds: f64) {
        self.commands
            .get_or_create(&CommandLabels {
                command: command.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
        self.command_seconds.observe(seconds);
    }

    /// A send ended (`ok`, `retry` or `dropped`).
    pub fn send(&self, outcome: &str) {
        self.sends
            .get_or_create(&SendLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// The sync loop got a response at `now_ms`.
    pub fn synced(&self, now_ms: i64) {
        self.syncs.inc();
        self.last_sync_ms.store(now_ms, Ordering::Relaxed);
    }

    /// Seconds since the last sync response, if there was one.
    pub fn seconds_since_sync(&self, now_ms: i64) -> Option<i64> {
        match self.last_sync_ms.load(Ordering::Relaxed) {
            0 => None,
            at => Some((now_ms - at).max(0) / 1000),
        }
    }

    /// The text exposition (OpenMetrics).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if let Err(err) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(cause = %err, "could not encode the metrics");
        }
        out
    }
}
