//! Scale run without the homeserver: the engine driven directly at the size of a national
//! deployment. 100 Missions Locales with 50 team rooms each (5,000 rooms, all in the config),
//! 15,000 people who consented, 100,000 nudges and 1,000,000 stored reflections.
//!
//! Prints a Markdown table: the time to write that store (setup, not a target), then, in a
//! fresh process (so that the setup's memory does not count): start-up (config of 5,000 rooms
//! parsed, store opened, commands and kit loaded, scheduler index loaded), resident memory after
//! start-up and after the commands, and the latency of everyday commands through the engine.
//!
//! Run with `cargo bench --bench scale`. `KITBOT_SCALE_REFLECTIONS=100000` makes a smaller run
//! (the full one writes about 2.6 GB to a temporary folder and takes a few minutes).
//! `KITBOT_SCALE_SLED_CACHE_MIB=16,4,16,4` measures the same store once per sled cache size
//! listed, in that order, each in its own process (default: the bot's own, `store::CACHE_BYTES`).

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use kitbot::config::Config;
use kitbot::core::{Incoming, IncomingKind, Outgoing, Role, SystemClock};
use kitbot::engine::{Engine, Parts};
use kitbot::nudges::model::{self, Content, Nudge, Target};
use kitbot::nudges::{plan, Index};
use kitbot::reflections::db;
use kitbot::reflections::model::{ConsentRecord, Origin, Reflection};
use kitbot::schedule::{self, Schedule};
use kitbot::store::Store;

const TENANTS: usize = 100;
const ROOMS_PER_TENANT: usize = 50;
const PEOPLE: usize = 15_000;
const NUDGES: usize = 100_000;
const REFLECTIONS: usize = 1_000_000;
const RUNS: usize = 200;

const SENTENCES: [&str; 6] = [
    "Le rappel par SMS la veille a évité deux absences cette semaine",
    "La visio en fin de journée convient mieux aux jeunes en formation",
    "Premier atelier collectif à distance : bonne participation, son à revoir",
    "Le partage d'écran aide beaucoup pour remplir un dossier en ligne",
    "Les messages courts et concrets obtiennent plus de réponses",
    "Proposer le choix du canal au premier rendez-vous rassure",
];
const TAGS: [&str; 5] = ["visio", "sms", "atelier", "telephone", "equipe"];
const PHRASES: [&str; 5] = [
    "chaque lundi à 9h",
    "tous les jours ouvrés à 14h",
    "le premier mardi du mois à 10h",
    "toutes les 2 semaines le jeudi à 11h",
    "le dernier vendredi du mois à 16h",
];

fn tenant(t: usize) -> String {
    format!("ml{t:03}")
}

fn room(t: usize, r: usize) -> String {
    format!("!t{t:03}r{r:02}:scale.example.org")
}

/// Person `p` belongs to Mission Locale `p % TENANTS` (150 people each).
fn person(p: usize) -> String {
    format!("@pers{p:05}:scale.example.org")
}

fn config_text(dir: &std::path::Path) -> String {
    let mut text = format!(
        "[bot]\ndata_dir = \"{}\"\ncommand_burst = 1000000\n\n",
        dir.display()
    );
    for t in 0..TENANTS {
        let rooms: Vec<String> = (0..ROOMS_PER_TENANT)
            .map(|r| format!("\"{}\"", room(t, r)))
            .collect();
        text.push_str(&format!(
            "[[mission_locale]]\nid = \"{}\"\nname = \"Mission Locale {t}\"\ntimezone = \"Europe/Paris\"\nrooms = [{}]\ncoordination_level = 50\n\n",
            tenant(t),
            rooms.join(", ")
        ));
    }
    text
}

fn parse_config(text: &str) -> Config {
    Config::parse(text, "scale.toml").unwrap_or_else(|problems| {
        for p in problems {
            eprintln!("{p}");
        }
        std::process::exit(1)
    })
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn dir_mib(dir: &std::path::Path) -> f64 {
    let mut total = 0u64;
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match entry.metadata() {
                Ok(m) if m.is_dir() => stack.push(entry.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total as f64 / (1024.0 * 1024.0)
}

fn reflections_wanted() -> usize {
    std::env::var("KITBOT_SCALE_REFLECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(REFLECTIONS)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    // The measuring half runs in a child process on the store the parent wrote.
    if let Ok(dir) = std::env::var("KITBOT_SCALE_DIR") {
        runtime.block_on(measure(std::path::PathBuf::from(dir)));
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tmp: {e}"));
    let wanted = reflections_wanted();
    let setup = populate(&dir.path().join("store"), wanted);
    println!(
        "| write {wanted} reflections, {NUDGES} nudges, {PEOPLE} consents (setup) | {:.0} s, {:.0} MiB on disk |",
        setup.as_secs_f64(),
        dir_mib(dir.path())
    );
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("exe: {e}"));
    for (run, cache) in sled_caches().into_iter().enumerate() {
        let status = std::process::Command::new(&exe)
            .env("KITBOT_SCALE_DIR", dir.path())
            .env("KITBOT_SCALE_CACHE_BYTES", cache.to_string())
            .env("KITBOT_SCALE_RUN", run.to_string())
            .status()
            .unwrap_or_else(|e| panic!("child: {e}"));
        if !status.success() {
            eprintln!("the measuring process failed: {status}");
            std::process::exit(1);
        }
    }
}

/// The sled cache sizes to measure with, in bytes (`KITBOT_SCALE_SLED_CACHE_MIB`).
fn sled_caches() -> Vec<u64> {
    let Ok(list) = std::env::var("KITBOT_SCALE_SLED_CACHE_MIB") else {
        return vec![kitbot::store::CACHE_BYTES];
    };
    list.split(',')
        .map(|mib| match mib.trim().parse::<u64>() {
            Ok(mib) if mib > 0 => mib * 1024 * 1024,
            _ => panic!("KITBOT_SCALE_SLED_CACHE_MIB: {mib:?} is not a size in MiB"),
        })
        .collect()
}

/// A number read from the environment the parent set for a measuring process.
fn child_env(name: &str) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{name} is not set"))
}

fn populate(store_dir: &std::path::Path, reflections: usize) -> StdDuration {
    let started = Instant::now();
    let store = Store::open(store_dir).unwrap_or_else(|e| panic!("store: {e}"));
    for p in 0..PEOPLE {
        let t = tenant(p % TENANTS);
        let user = person(p);
        db::update_consent(&store, &t, &user, |_| {
            let mut r = ConsentRecord::new(&t, &user);
            r.granted = true;
            r.notice_sent = true;
            Some(r)
        })
        .unwrap_or_else(|e| panic!("consent: {e}"));
    }
    let now = Utc::now();
    let first = now - Duration::days(330);
    let step = Duration::days(330).num_seconds() as f64 / reflections as f64;
    for i in 0..reflections {
        let p = i % PEOPLE;
        let t = p % TENANTS;
        let r = Reflection {
            id: i as u64 + 1,
            tenant: tenant(t),
            room_id: room(t, (i / PEOPLE) % ROOMS_PER_TENANT),
            author: Some(person(p)),
            event_id: Some(format!("$ev{i}")),
            reaction_id: None,
            text: format!("{} (séance {i})", SENTENCES[i % SENTENCES.len()]),
            tags: vec![TAGS[i % TAGS.len()].to_owned()],
            card: (i % 3 == 0).then(|| "sms-rappel".to_owned()),
            created_at: first + Duration::seconds((i as f64 * step) as i64),
            edited_at: None,
            origin: Origin::Command,
        };
        db::insert_numbered(&store, &r).unwrap_or_else(|e| panic!("insert: {e}"));
    }
    let tz = chrono_tz::Europe::Paris;
    let schedules: Vec<Schedule> = PHRASES
        .iter()
        .filter_map(|p| schedule::parse(p, tz, now).ok())
        .collect();
    for i in 0..NUDGES {
        let t = i % TENANTS;
        let schedule = schedules[i % schedules.len()].clone();
        if let Some(n) = nudge(
            i as u64 + 1,
            t,
            (i / TENANTS) % ROOMS_PER_TENANT,
            schedule,
            now,
        ) {
            model::save_nudge(&store, &n).unwrap_or_else(|e| panic!("nudge: {e}"));
        }
    }
    store
        .flush_blocking()
        .unwrap_or_else(|e| panic!("flush: {e}"));
    started.elapsed()
}

fn nudge(number: u64, t: usize, r: usize, schedule: Schedule, now: DateTime<Utc>) -> Option<Nudge> {
    let slot = plan::slot_after(&schedule, chrono_tz::Europe::Paris, None, now)?;
    Some(Nudge {
        tenant: tenant(t),
        number,
        target: Target::Room {
            room_id: room(t, r),
        },
        author: person(t),
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

/// For the i-th run of a case: Mission Locale, room, person, role and the command's text.
type Case = dyn Fn(usize) -> (usize, usize, usize, Role, String);

fn message(t: usize, r: usize, p: usize, role: Role, n: usize, body: &str) -> Incoming {
    Incoming {
        tenant: tenant(t),
        room_id: room(t, r),
        is_direct: false,
        sender: person(p),
        role,
        addressed: false,
        event_id: format!("$cmd{n}"),
        thread_root: None,
        sent_at: Utc::now(),
        kind: IncomingKind::Message { body: body.into() },
        quoted: None,
    }
}

fn answered(out: &[Outgoing]) -> bool {
    out.iter().any(|o| {
        matches!(
            o,
            Outgoing::Reply { .. } | Outgoing::React { .. } | Outgoing::Post { .. }
        )
    })
}

fn ms(mut samples: Vec<StdDuration>) -> String {
    samples.sort();
    let at = |p: f64| {
        let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
        samples[i].as_secs_f64() * 1e3
    };
    format!("{:.2} / {:.2} ms", at(0.5), at(0.99))
}

async fn measure(dir: std::path::PathBuf) {
    let cache = child_env("KITBOT_SCALE_CACHE_BYTES");
    let run = child_env("KITBOT_SCALE_RUN");
    println!(
        "| **sled cache {} MiB** (measuring process {}) | |",
        cache / (1024 * 1024),
        run + 1
    );
    let rss_before = rss_mib();
    let started = Instant::now();
    let config = parse_config(&config_text(&dir));
    let rooms: usize = config.missions.iter().map(|t| t.rooms.len()).sum();
    let store =
        Store::open_with_cache(&dir.join("store"), cache).unwrap_or_else(|e| panic!("store: {e}"));
    let commands = Engine::load_commands(&config).unwrap_or_else(|_| std::process::exit(1));
    let kit = Engine::load_kit(&config).unwrap_or_else(|_| std::process::exit(1));
    let engine = Engine::new(Parts {
        config,
        commands,
        kit,
        store: store.clone(),
        clock: Arc::new(SystemClock),
    });
    let index = Index::load(&store).unwrap_or_else(|e| panic!("index: {e}"));
    let startup = started.elapsed();
    println!(
        "| start-up: config ({rooms} rooms) + store + commands + kit + scheduler index ({} items) | {:.0} ms |",
        index.len(),
        startup.as_secs_f64() * 1e3
    );
    println!(
        "| resident memory after start-up (process start: {rss_before:.0} MiB) | {:.0} MiB |",
        rss_mib()
    );

    // Event ids stay unique across the measuring processes on one store (each handled once).
    let mut n = run as usize * 1_000_000;
    let per_tenant = reflections_wanted() / TENANTS;
    let cases: Vec<(String, usize, Box<Case>)> = vec![
        (
            "`!ping`".to_owned(),
            RUNS,
            Box::new(|i| (i % TENANTS, 0, i % TENANTS, Role::Membre, "!ping".into())),
        ),
        (
            "a question answered with cards (`!kit premier rdv en visio`)".to_owned(),
            RUNS,
            Box::new(|i| {
                (
                    i % TENANTS,
                    1,
                    i % TENANTS,
                    Role::Membre,
                    "!kit premier rdv en visio".into(),
                )
            }),
        ),
        (
            format!("`!reflexions` in a room (the Mission Locale holds {per_tenant})"),
            RUNS,
            Box::new(|i| {
                (
                    i % TENANTS,
                    2,
                    i % TENANTS,
                    Role::Membre,
                    "!reflexions".into(),
                )
            }),
        ),
        (
            "`!reflexion …` (consent check, guard, write, flush before ✅)".to_owned(),
            RUNS,
            Box::new(|i| {
                (
                    i % TENANTS,
                    3,
                    i % TENANTS,
                    Role::Membre,
                    format!("!reflexion Le SMS de rappel marche bien, séance {i} #sms"),
                )
            }),
        ),
        (
            "`!relances` in a room (20 nudges)".to_owned(),
            RUNS,
            Box::new(|i| {
                (
                    i % TENANTS,
                    4,
                    i % TENANTS,
                    Role::Coordination,
                    "!relances".into(),
                )
            }),
        ),
        (
            format!("`!bilan` of one Mission Locale ({per_tenant} reflections)"),
            20,
            Box::new(|i| {
                (
                    i % TENANTS,
                    5,
                    i % TENANTS,
                    Role::Coordination,
                    "!bilan".into(),
                )
            }),
        ),
    ];
    let mut rows = Vec::new();
    for (label, runs, body) in &cases {
        let mut samples = Vec::with_capacity(*runs);
        let mut silent = 0;
        for i in 0..*runs {
            n += 1;
            let (t, r, p, role, text) = body(i);
            let job = message(t, r, p, role, n, &text);
            let t0 = Instant::now();
            let out = engine.handle(&job).await;
            samples.push(t0.elapsed());
            if !answered(&out) {
                silent += 1;
            }
        }
        let note = if silent > 0 {
            format!(" ({silent} unanswered)")
        } else {
            String::new()
        };
        rows.push(format!(
            "| {label}, p50 / p99 over {runs}{note} | {} |",
            ms(samples)
        ));
    }
    for row in rows {
        println!("{row}");
    }
    println!(
        "| resident memory after the commands | {:.0} MiB |",
        rss_mib()
    );
    drop(index);
}
