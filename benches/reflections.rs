//! Benchmark of the reflections, engine driven directly on an on-disk store, no homeserver.
//! Prints a Markdown table:
//!
//! - insert throughput of `!reflexion` through the engine, consent check, personal-data guard
//!   and flush-before-confirm included: one author after another, and 16 at once (sled groups
//!   concurrent flushes); and the bare write without flush, for comparison;
//! - store size on disk per 10,000 reflections, after 100,000 written and flushed;
//! - `kitbot export` of 100,000 reflections (CSV, JSON, Markdown to a sink): time, and peak
//!   heap during the export (a counting allocator; the export streams, so it should stay flat
//!   once sled's page cache is warm);
//! - `!reflexions` latency with 100,000 stored (half of them in the asking room), plain, with a
//!   rare tag, and with `depuis`; and `!bilan`, which reads the whole Mission Locale.
//!
//! Run with `cargo bench --bench reflections`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use kitbot::config::Config;
use kitbot::core::Role;
use kitbot::core::{FixedClock, SystemClock};
use kitbot::core::{Incoming, IncomingKind, Outgoing};
use kitbot::engine::{Engine, Parts};
use kitbot::reflections::db;
use kitbot::reflections::export::{export, ExportFormat, ExportRequest};
use kitbot::reflections::model::{ConsentRecord, Origin, Reflection};
use kitbot::store::Store;

/// Counts live heap bytes and their peak, to measure what the export holds.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const STORED: u64 = 100_000;
const ROOMS: u64 = 50;
const AUTHORS: u64 = 300;
const SEQUENTIAL: usize = 500;
const CONCURRENT_TASKS: usize = 16;
const CONCURRENT_EACH: usize = 60;
const LIST_RUNS: usize = 300;

const SENTENCES: [&str; 8] = [
    "Le rappel par SMS la veille a évité deux absences cette semaine",
    "La visio en fin de journée convient mieux aux jeunes en formation",
    "Premier atelier collectif à distance : bonne participation, son à revoir",
    "Un jeune sans forfait data : on a basculé sur un appel téléphonique",
    "Le partage d'écran aide beaucoup pour remplir un dossier en ligne",
    "Les messages courts et concrets obtiennent plus de réponses",
    "Proposer le choix du canal au premier rendez-vous rassure",
    "Un point d'équipe de dix minutes par semaine suffit pour avancer",
];
const TAGS: [&str; 6] = ["visio", "sms", "atelier", "telephone", "accueil", "equipe"];

fn engine_on(store: Store, clock: Arc<dyn kitbot::core::Clock>) -> Engine {
    let mut config = Config::load(None).unwrap_or_else(|p| panic!("example config: {p:?}"));
    // The bench plays thousands of people through few ids: no per-person limit.
    config.limits.burst = 1_000_000;
    let commands = Engine::load_commands(&config).unwrap_or_else(|p| panic!("commands: {p:?}"));
    let kit = Engine::load_kit(&config).unwrap_or_else(|p| panic!("kit: {p:?}"));
    Engine::new(Parts {
        config,
        commands,
        kit,
        store,
        clock,
    })
}

fn message(engine: &Engine, room: &str, user: &str, n: usize, body: String) -> Incoming {
    Incoming {
        tenant: "demo".into(),
        room_id: room.into(),
        is_direct: false,
        sender: user.into(),
        role: Role::Membre,
        addressed: false,
        event_id: format!("$bench-{user}-{n}"),
        thread_root: None,
        sent_at: engine.now(),
        kind: IncomingKind::Message { body },
        quoted: None,
    }
}

fn grant(store: &Store, user: &str, signed: bool) {
    db::update_consent(store, "demo", user, |_| {
        let mut r = ConsentRecord::new("demo", user);
        r.granted = true;
        r.signed = signed;
        r.notice_sent = true;
        Some(r)
    })
    .unwrap_or_else(|e| panic!("consent: {e}"));
}

fn percentile(samples: &mut [StdDuration], p: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i].as_secs_f64() * 1e3
}

fn confirmed(out: &[Outgoing]) -> bool {
    out.iter()
        .any(|o| matches!(o, Outgoing::React { key, .. } if key == "✅"))
}

async fn insert_throughput(rows: &mut Vec<String>) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tmp: {e}"));
    let store = Store::open(dir.path()).unwrap_or_else(|e| panic!("store: {e}"));
    let engine = engine_on(store.clone(), Arc::new(SystemClock));
    for a in 0..CONCURRENT_TASKS {
        grant(&store, &format!("@auteur{a}:bench.fr"), false);
    }
    let start = Instant::now();
    for n in 0..SEQUENTIAL {
        let body = format!("!reflexion {} #{}", SENTENCES[n % 8], TAGS[n % 6]);
        let out = engine
            .handle(&message(
                &engine,
                "!salle:bench.fr",
                "@auteur0:bench.fr",
                n,
                body,
            ))
            .await;
        assert!(confirmed(&out), "not saved: {out:?}");
    }
    let seq = SEQUENTIAL as f64 / start.elapsed().as_secs_f64();
    rows.push(format!(
        "| insert, one author after another (flush before ✅) | {seq:.0} reflections/s |"
    ));

    let start = Instant::now();
    let mut tasks = Vec::new();
    for a in 0..CONCURRENT_TASKS {
        let engine = engine.clone();
        tasks.push(tokio::spawn(async move {
            let user = format!("@auteur{a}:bench.fr");
            for n in 0..CONCURRENT_EACH {
                let body = format!("!reflexion {} #{}", SENTENCES[n % 8], TAGS[n % 6]);
                let out = engine
                    .handle(&message(
                        &engine,
                        "!salle:bench.fr",
                        &user,
                        10_000 + n,
                        body,
                    ))
                    .await;
                assert!(confirmed(&out));
            }
        }));
    }
    for t in tasks {
        t.await.unwrap_or_else(|e| panic!("task: {e}"));
    }
    let total = (CONCURRENT_TASKS * CONCURRENT_EACH) as f64;
    let conc = total / start.elapsed().as_secs_f64();
    rows.push(format!(
        "| insert, {CONCURRENT_TASKS} authors at once (flush before ✅) | {conc:.0} reflections/s |"
    ));
}

/// 100,000 reflections over about eleven months, half of them in room 0.
fn populate(store: &Store) -> (f64, chrono::DateTime<Utc>) {
    for a in 0..AUTHORS {
        grant(store, &format!("@membre{a}:bench.fr"), a % 5 == 0);
    }
    let now = Utc::now();
    let first = now - Duration::days(330);
    let step = Duration::days(330).num_seconds() as f64 / STORED as f64;
    let start = Instant::now();
    for i in 0..STORED {
        let room = if i % 2 == 0 { 0 } else { 1 + i % (ROOMS - 1) };
        let tag = TAGS[(i % 6) as usize];
        // A rare tag: one in a thousand.
        let tags = if i % 1000 == 8 {
            vec![tag.to_owned(), "rare".to_owned()]
        } else {
            vec![tag.to_owned()]
        };
        let r = Reflection {
            id: i + 1_000_000,
            tenant: "demo".into(),
            room_id: format!("!salle{room}:bench.fr"),
            author: Some(format!("@membre{}:bench.fr", i % AUTHORS)),
            event_id: Some(format!("$ev{i}")),
            reaction_id: None,
            text: format!("{} (séance {i})", SENTENCES[(i % 8) as usize]),
            tags,
            card: (i % 3 == 0).then(|| "sms-rappel".to_owned()),
            created_at: first + Duration::seconds((i as f64 * step) as i64),
            edited_at: None,
            origin: Origin::Command,
        };
        db::insert_numbered(store, &r).unwrap_or_else(|e| panic!("insert: {e}"));
    }
    let rate = STORED as f64 / start.elapsed().as_secs_f64();
    store
        .flush_blocking()
        .unwrap_or_else(|e| panic!("flush: {e}"));
    (rate, now)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let mut rows = Vec::new();
    runtime.block_on(insert_throughput(&mut rows));

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tmp: {e}"));
    let store = Store::open(dir.path()).unwrap_or_else(|e| panic!("store: {e}"));
    let (bare, now) = populate(&store);
    rows.push(format!(
        "| bare write, no flush (record + 3 index trees), for comparison | {bare:.0} reflections/s |"
    ));
    let size = store.size_on_disk().unwrap_or_else(|e| panic!("size: {e}"));
    rows.push(format!(
        "| store size on disk per 10,000 reflections (100,000 stored) | {:.1} MB |",
        size as f64 / (STORED / 10_000) as f64 / 1e6
    ));

    let clock = FixedClock::new(now);
    let engine = engine_on(store.clone(), Arc::new(clock));
    let mission = engine
        .mission("demo")
        .unwrap_or_else(|| panic!("demo mission"));
    // The first full pass fills sled's page cache (capped at 16 MB by the store); measure the
    // export's own memory after it, and its time both cold and warm.
    for (format, name) in [
        (ExportFormat::Csv, "CSV (cold: sled cache filling)"),
        (ExportFormat::Csv, "CSV"),
        (ExportFormat::Json, "JSON"),
        (ExportFormat::Markdown, "Markdown"),
    ] {
        let request = ExportRequest {
            store: &store,
            mission,
            since: None,
            until: None,
            format,
            now,
        };
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let start = Instant::now();
        let n = export(&request, &mut std::io::sink(), &mut |_, _| {})
            .unwrap_or_else(|e| panic!("export: {e}"));
        let took = start.elapsed();
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
        assert_eq!(n, STORED);
        rows.push(format!(
            "| export {name} of 100,000 reflections | {:.2} s, peak heap +{:.1} MB |",
            took.as_secs_f64(),
            peak as f64 / 1e6
        ));
    }

    for (args, label) in [
        ("", "`!reflexions` (room holding 50,000)"),
        ("#rare", "`!reflexions #rare` (1 in 1,000)"),
        ("depuis 7 jours", "`!reflexions depuis 7 jours`"),
    ] {
        let mut samples = Vec::with_capacity(LIST_RUNS);
        for n in 0..LIST_RUNS {
            let body = format!("!reflexions {args}");
            let inc = message(&engine, "!salle0:bench.fr", "@lecteur:bench.fr", n, body);
            let start = Instant::now();
            let out = runtime.block_on(engine.handle(&inc));
            samples.push(start.elapsed());
            assert!(!out.is_empty());
        }
        let median = percentile(&mut samples, 0.5);
        let p99 = percentile(&mut samples, 0.99);
        rows.push(format!(
            "| {label}, 100,000 stored | median {median:.2} ms, p99 {p99:.2} ms |"
        ));
    }
    let mut bilan = message(
        &engine,
        "!salle0:bench.fr",
        "@coord:bench.fr",
        0,
        "!bilan".into(),
    );
    bilan.role = Role::Coordination;
    let start = Instant::now();
    let out = runtime.block_on(engine.handle(&bilan));
    let took = start.elapsed();
    assert!(out.iter().any(|o| matches!(o, Outgoing::Reply { markdown, .. } if markdown.contains("100000 réflexions"))), "{out:?}");
    rows.push(format!(
        "| `!bilan` over the whole Mission Locale (100,000) | {:.0} ms |",
        took.as_secs_f64() * 1e3
    ));
    let start = Instant::now();
    let report = runtime
        .block_on(kitbot::reflections::retention::purge(
            engine.store(),
            &engine.config().missions,
            now,
        ))
        .unwrap_or_else(|e| panic!("purge: {e}"));
    assert_eq!(report.expired, 0);
    rows.push(format!(
        "| daily retention purge, nothing to erase (100,000 read) | {:.0} ms |",
        start.elapsed().as_secs_f64() * 1e3
    ));

    println!("| measure | result |");
    println!("|---|---:|");
    for row in rows {
        println!("{row}");
    }
}
