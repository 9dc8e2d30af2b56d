//! Benchmark of the nudges at the scale of France (≈ 5,000 rooms, 100,000 nudges), engine
//! driven directly, no homeserver. Prints a Markdown table:
//!
//! - memory the scheduler's index keeps for 100,000 nudges (a counting allocator measures the
//!   bytes it holds), and the process's resident memory for context;
//! - time to load them at start-up from an on-disk store (target under 1 s);
//! - firing lateness in process: 2,000 one-off nudges due within a few seconds among the
//!   100,000, the real scheduler task and the system clock; lateness = when the post reaches
//!   the adapter's channel minus its due time (target p99 under 10 ms);
//! - `schedule` parse + next three firings (with quiet hours, as a confirmation shows them),
//!   target under 1 ms; and a whole `!relance` command, store flush included.
//!
//! Run with `cargo bench --bench nudges`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use kitbot::config::Config;
use kitbot::core::Role;
use kitbot::core::SystemClock;
use kitbot::core::{Incoming, IncomingKind, Outgoing};
use kitbot::engine::{Engine, Parts};
use kitbot::nudges::model::{self, Content, Nudge, Target};
use kitbot::nudges::{plan, Index};
use kitbot::outbox::{SendError, Transport};
use kitbot::schedule::{self, QuietRules, Schedule};
use kitbot::store::Store;

/// Counts the bytes currently allocated, to measure what a structure keeps.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, new_size) };
        if !q.is_null() {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const ROOMS: usize = 5_000;
const NUDGES: usize = 100_000;
const SOON: usize = 2_000;
const TENANT: &str = "bench";

const PHRASES: [&str; 8] = [
    "chaque lundi à 9h",
    "tous les jours ouvrés à 14h",
    "le premier mardi du mois à 10h",
    "toutes les 2 semaines le jeudi à 11h",
    "chaque mardi et jeudi à 9h30",
    "le dernier vendredi du mois à 16h",
    "0 9 * * 1-5",
    "le 15 de chaque mois à 10h",
];

fn config(dir: &std::path::Path, quiet: bool) -> Config {
    let quiet = if quiet {
        ""
    } else {
        "[mission_locale.quiet_hours]\nstart = \"00:00\"\nend = \"00:00\"\nweekends = false\nholidays = false\n"
    };
    let text = format!(
        "[bot]\ndata_dir = \"{}\"\ncommand_burst = 1000000\n\n[[mission_locale]]\nid = \"{TENANT}\"\nname = \"Banc d'essai\"\ntimezone = \"Europe/Paris\"\n{quiet}",
        dir.display()
    );
    match Config::parse(&text, "bench.toml") {
        Ok(c) => c,
        Err(problems) => {
            for p in problems {
                eprintln!("{p}");
            }
            std::process::exit(1);
        }
    }
}

fn engine(config: Config, store: Store) -> Engine {
    let commands = Engine::load_commands(&config).unwrap_or_else(|_| std::process::exit(1));
    let kit = Engine::load_kit(&config).unwrap_or_else(|_| std::process::exit(1));
    Engine::new(Parts {
        config,
        commands,
        kit,
        store,
        clock: Arc::new(SystemClock),
    })
}

fn room(i: usize) -> String {
    format!("!salle{i:05}:bench.example.org")
}

fn nudge(number: u64, room: String, schedule: Schedule, now: DateTime<Utc>) -> Option<Nudge> {
    let tz = chrono_tz::Europe::Paris;
    let slot = plan::slot_after(&schedule, tz, None, now)?;
    Some(Nudge {
        tenant: TENANT.into(),
        number,
        target: Target::Room { room_id: room },
        author: "@coord:bench.example.org".into(),
        schedule,
        content: Content::Text {
            text: "Qui a testé la visio cette semaine ? Racontez-le dans le fil.".into(),
        },
        mentions: Vec::new(),
        mention_room: false,
        created_at: now,
        paused: false,
        paused_until: None,
        slot: Some(slot),
        sent: 0,
    })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn mib(bytes: isize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("runtime: {e}");
            return;
        }
    };
    runtime.block_on(bench());
}

async fn bench() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("tempdir: {e}");
            return;
        }
    };
    let store_dir = dir.path().join("store");
    let tz = chrono_tz::Europe::Paris;
    let now = Utc::now();
    let mut rows: Vec<(String, String, String)> = Vec::new();

    // 100,000 nudges across 5,000 rooms, written as the commands write them.
    let started = Instant::now();
    {
        let Ok(store) = Store::open(&store_dir) else {
            eprintln!("cannot open the store");
            return;
        };
        let schedules: Vec<Schedule> = PHRASES
            .iter()
            .filter_map(|p| schedule::parse(p, tz, now).ok())
            .collect();
        for i in 0..NUDGES {
            let number = i as u64 + 1;
            let s = schedules[i % schedules.len()].clone();
            if let Some(n) = nudge(number, room(i % ROOMS), s, now) {
                if let Err(e) = model::save_nudge(&store, &n) {
                    eprintln!("save: {e}");
                    return;
                }
            }
        }
        let _ = store.flush().await;
    }
    rows.push((
        format!("write {NUDGES} nudges in {ROOMS} rooms (setup)"),
        format!("{:.2} s", started.elapsed().as_secs_f64()),
        "—".into(),
    ));

    // Start-up: open the store and build the scheduler's index.
    let Ok(store) = Store::open(&store_dir) else {
        eprintln!("cannot reopen the store");
        return;
    };
    let started = Instant::now();
    let index = match Index::load(&store) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("load: {e}");
            return;
        }
    };
    let load_time = started.elapsed();
    let loaded = index.len();
    drop(index);
    // Memory: what the index keeps (sled's own cache is measured apart by dropping the index).
    let index = Index::load(&store).unwrap_or_default();
    let with_index = LIVE.load(Ordering::Relaxed);
    drop(index);
    let after = LIVE.load(Ordering::Relaxed);
    let index_bytes = with_index - after;
    rows.push((
        format!("start-up: load {loaded} scheduled items"),
        format!("{:.0} ms", load_time.as_secs_f64() * 1000.0),
        "< 1 s".into(),
    ));
    rows.push((
        "scheduler memory (index of 100,000 items)".into(),
        format!(
            "{:.1} MiB ({:.0} B/item)",
            mib(index_bytes),
            index_bytes as f64 / loaded.max(1) as f64
        ),
        "—".into(),
    ));

    // Lateness: 2,000 one-offs due over the next ~4 s, among the 100,000.
    let engine = engine(config(dir.path(), false), store.clone());
    let first_due = Utc::now() + Duration::milliseconds(1500);
    for i in 0..SOON {
        let at = first_due + Duration::milliseconds(2 * i as i64);
        let number = (NUDGES + i + 1) as u64;
        if let Some(n) = nudge(number, room(i % ROOMS), Schedule::Once { at }, Utc::now()) {
            if model::save_nudge(&store, &n).is_err() {
                return;
            }
        }
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, DateTime<Utc>)>();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let scheduler = tokio::spawn(kitbot::nudges::scheduler::run(
        engine.scheduler_env(),
        shutdown.clone(),
    ));
    let task = tokio::spawn(kitbot::outbox::deliver(
        engine.outbox().clone(),
        std::sync::Arc::new(Timestamps(tx)),
        engine.delivered_hook(),
        shutdown.clone(),
    ));
    let mut lateness: Vec<f64> = Vec::with_capacity(SOON);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while lateness.len() < SOON {
        let Ok(Some((txn, received))) = tokio::time::timeout_at(deadline, rx.recv()).await else {
            break;
        };
        // `fire|<item>|<nominal ms>|<part>`; with quiet hours off, nominal = due.
        let nominal = txn
            .split('|')
            .nth(2)
            .and_then(|ms| ms.parse::<i64>().ok())
            .and_then(DateTime::from_timestamp_millis);
        if let Some(due) = nominal {
            lateness.push((received - due).num_microseconds().unwrap_or(0) as f64 / 1000.0);
        }
    }
    shutdown.cancel();
    let _ = task.await;
    let _ = scheduler.await;
    lateness.sort_by(f64::total_cmp);
    rows.push((
        format!(
            "firing lateness, {} firings due within 4 s (p50 / p99 / max)",
            lateness.len()
        ),
        format!(
            "{:.2} / {:.2} / {:.2} ms",
            percentile(&lateness, 0.5),
            percentile(&lateness, 0.99),
            lateness.last().copied().unwrap_or(f64::NAN)
        ),
        "p99 < 10 ms".into(),
    ));

    // The schedule language, as a confirmation uses it: parse, then three firings with quiet
    // hours applied.
    let quiet = QuietRules::default();
    let mut samples = Vec::new();
    for phrase in PHRASES
        .iter()
        .chain(["demain à 9h", "dans 3 heures", "*/15 9-17 * * 1-5"].iter())
    {
        for _ in 0..500 {
            let t0 = Instant::now();
            if let Ok(s) = schedule::parse(phrase, tz, now) {
                let first = plan::slot_after(&s, tz, Some(&quiet), now);
                std::hint::black_box(plan::upcoming(&s, tz, Some(&quiet), first, 3));
            }
            samples.push(t0.elapsed().as_secs_f64() * 1e6);
        }
    }
    samples.sort_by(f64::total_cmp);
    rows.push((
        "schedule parse + next 3 firings with quiet hours (p50 / p99)".into(),
        format!(
            "{:.0} / {:.0} µs",
            percentile(&samples, 0.5),
            percentile(&samples, 0.99)
        ),
        "< 1 ms".into(),
    ));

    // A whole `!relance` command through the engine, flush to disk included.
    let engine = self::engine(config(dir.path(), true), store.clone());
    let mut samples = Vec::new();
    for i in 0..200 {
        let incoming = Incoming {
            tenant: TENANT.into(),
            room_id: room(ROOMS + i),
            is_direct: false,
            sender: "@coord:bench.example.org".into(),
            role: Role::Coordination,
            addressed: false,
            event_id: format!("$cmd{i}"),
            thread_root: None,
            sent_at: Utc::now(),
            kind: IncomingKind::Message {
                body: format!(
                    "!relance {} : Point visio de la semaine",
                    PHRASES[i % PHRASES.len()]
                ),
            },
            quoted: None,
        };
        let t0 = Instant::now();
        let out = engine.handle(&incoming).await;
        samples.push(t0.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(out);
    }
    samples.sort_by(f64::total_cmp);
    rows.push((
        "`!relance` command, answer with next 3 firings, store flushed (p50 / p99)".into(),
        format!(
            "{:.2} / {:.2} ms",
            percentile(&samples, 0.5),
            percentile(&samples, 0.99)
        ),
        "—".into(),
    ));
    rows.push((
        "process resident memory at the end (store cache, kit, index)".into(),
        rss_kib().map_or("?".into(), |k| format!("{:.0} MiB", k as f64 / 1024.0)),
        "—".into(),
    ));

    println!("| measure | result | target |");
    println!("|---|---:|---|");
    for (what, result, target) in rows {
        println!("| {what} | {result} | {target} |");
    }
}

/// Records when each scheduled message reached the "homeserver".
struct Timestamps(tokio::sync::mpsc::UnboundedSender<(String, DateTime<Utc>)>);

impl Transport for Timestamps {
    async fn send(&self, txn: &str, _out: &Outgoing) -> Result<Option<String>, SendError> {
        let _ = self.0.send((txn.to_owned(), Utc::now()));
        Ok(Some(format!("$bench-{txn}")))
    }
}
