//! Load driver: 20 people in 10 rooms (two per room) send commands at a sustained rate to a
//! release `kitbot run` on a local Synapse (relaxed rate limits), for 10 minutes. Each person
//! sends one command every `KITBOT_LOAD_INTERVAL_MS` (default 5,000 ms, so 4 commands a second
//! in all), cycling through everyday commands, without waiting for the answer. Every command's
//! answer is awaited in its own task (up to the harness timeout).
//!
//! Prints a Markdown table per minute (sent, answered, latency median / p95 / p99: from the
//! person's send confirmed to the answer arriving through the person's own sync), the totals
//! (answered must equal sent; a duplicate answer is counted; an answer later than 2 minutes is
//! counted apart as late, and waited for a few minutes more), and the bot's resident memory
//! and CPU time at the start and at the end.
//!
//! Run with `cargo bench --bench load`; `KITBOT_LOAD_MINUTES=2` makes a shorter run,
//! `KITBOT_LOAD_ENCRYPTED=1` uses end-to-end encrypted rooms, `KITBOT_LOAD_LOG=<filter>` sets
//! the bot's log filter (its warnings and errors are printed at the end),
//! `KITBOT_LOAD_LOG_FILE=<path>` writes the bot's whole log there, and `KITBOT_LOG_SPANS=1`
//! makes the bot log each span's end with its busy and idle time. The bot's memory (anonymous and
//! mapped from files) is sampled every `KITBOT_LOAD_MEMORY_EVERY_S` seconds (default 60),
//! printed to stderr as it goes and as a table at the end.

#![recursion_limit = "256"]

#[path = "../tests/util/mod.rs"]
mod util;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use util::proc::percentile;
use util::{Bot, Human, Tenant};

const PEOPLE: usize = 20;
/// An answer later than this is counted apart (late), then waited for until the end.
const IN_TIME: Duration = Duration::from_secs(120);
const ROOMS: usize = 10;

const COMMANDS: [&str; 6] = [
    "!ping",
    "!kit comment relancer un jeune qui ne repond plus",
    "!fiche sms-rappel",
    "!reflexions",
    "!themes",
    "!kit premier rdv en visio",
];

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resident memory (MiB) and CPU time (user + system, seconds) of a process.
fn usage(pid: u32) -> (f64, f64) {
    (util::proc::rss_mib(pid), util::proc::cpu_ms(pid) / 1e3)
}

/// The bot's resident memory at one moment of the run.
struct MemorySample {
    minute: f64,
    sent: usize,
    anonymous: f64,
    files: f64,
}

#[derive(Default)]
struct Minute {
    sent: usize,
    answered: usize,
    doubled: usize,
    latencies: Vec<f64>,
    /// Homeserver timestamps: the answer's minus the command's (the bot's share).
    server: Vec<f64>,
    /// From the answer's homeserver timestamp to the person seeing it (the client's sync).
    arrival: Vec<f64>,
}

fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    runtime.block_on(run());
}

async fn run() {
    let minutes = env_u64("KITBOT_LOAD_MINUTES", 10);
    let interval = Duration::from_millis(env_u64("KITBOT_LOAD_INTERVAL_MS", 5_000));
    // `KITBOT_LOAD_ENCRYPTED=1`: the ten rooms are end-to-end encrypted.
    let encrypted = env_u64("KITBOT_LOAD_ENCRYPTED", 0) == 1;
    println!(
        "{} rooms, {PEOPLE} people, a command every {} ms each, {minutes} min",
        if encrypted { "encrypted" } else { "plain" },
        interval.as_millis()
    );

    let mut people = Vec::with_capacity(PEOPLE);
    for i in 0..PEOPLE {
        people.push(Arc::new(Human::new(&format!("charge{i}")).await));
    }
    let mut rooms = Vec::with_capacity(ROOMS);
    for r in 0..ROOMS {
        let (a, b) = (&people[2 * r], &people[2 * r + 1]);
        let room = a.create_room(encrypted, &[&b.user_id]).await;
        let id = room.room_id().to_owned();
        b.wait_room(&id).await;
        b.join(&id).await;
        rooms.push(id);
    }
    let tenant = Tenant {
        id: "charge",
        rooms: rooms.iter().map(|r| r.to_string()).collect(),
        coordination_level: 50,
        extra: "",
    };
    let mut bot = Bot::new(&[tenant], &["localhost"]).await;
    // `KITBOT_LOAD_LOG=debug,…` runs the bot with that log filter (to see where time goes).
    if let Ok(filter) = std::env::var("KITBOT_LOAD_LOG") {
        bot.env.push(("KITBOT_LOG".to_owned(), filter));
    }
    if let Ok(spans) = std::env::var("KITBOT_LOG_SPANS") {
        bot.env.push(("KITBOT_LOG_SPANS".to_owned(), spans));
    }
    bot.start();
    for (r, id) in rooms.iter().enumerate() {
        let owner = &people[2 * r];
        owner
            .room(id)
            .invite_user_by_id(&bot.owned_user_id())
            .await
            .unwrap_or_else(|e| panic!("invite: {e}"));
        owner.wait_membership(id, &bot.user_id, "join").await;
    }
    // Warm-up, not counted: one answered command per room.
    for (r, id) in rooms.iter().enumerate() {
        let warm = people[2 * r].say(id, "!ping").await;
        people[2 * r].wait_reply(&warm).await;
    }
    let pid = bot
        .pid()
        .unwrap_or_else(|| panic!("the bot is not running"));
    // Idle: joined to 10 rooms, nothing asked, for 30 s.
    // The homeserver's process: its CPU says whether it, not the bot, is the bottleneck.
    let synapse_pid: u32 = std::fs::read_to_string(util::synapse().dir.join("keeper.pid"))
        .ok()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(0);
    let (_, idle_from) = usage(pid);
    tokio::time::sleep(Duration::from_secs(30)).await;
    let (rss_start, cpu_start) = usage(pid);
    let (_, synapse_cpu_start) = usage(synapse_pid);
    let idle_ms_per_s = (cpu_start - idle_from) * 1e3 / 30.0;

    let stats: Arc<Mutex<BTreeMap<u64, Minute>>> = Arc::default();
    let started = Instant::now();
    let end = started + Duration::from_secs(minutes * 60);
    // The bot's memory, anonymous and mapped from files, every `KITBOT_LOAD_MEMORY_EVERY_S`
    // seconds (default 60), with the commands sent so far; also printed to stderr as it goes.
    let memory: Arc<Mutex<Vec<MemorySample>>> = Arc::default();
    let sampler = {
        let (memory, stats) = (memory.clone(), stats.clone());
        let every = Duration::from_secs(env_u64("KITBOT_LOAD_MEMORY_EVERY_S", 60).max(1));
        tokio::spawn(async move {
            let mut next = tokio::time::Instant::now();
            loop {
                let (anonymous, files) = util::proc::rss_parts_mib(pid);
                let sent = stats.lock().expect("stats").values().map(|m| m.sent).sum();
                let sample = MemorySample {
                    minute: started.elapsed().as_secs_f64() / 60.0,
                    sent,
                    anonymous,
                    files,
                };
                eprintln!(
                    "memory at minute {:.1}: {:.1} MiB anonymous, {:.1} MiB from files, {} commands sent",
                    sample.minute, anonymous, files, sent
                );
                memory.lock().expect("memory").push(sample);
                next += every;
                tokio::time::sleep_until(next).await;
            }
        })
    };
    let mut senders = Vec::new();
    for (p, person) in people.iter().enumerate() {
        let person = person.clone();
        let room = rooms[p / 2].clone();
        let stats = stats.clone();
        senders.push(tokio::spawn(async move {
            // Spread the people over the interval.
            let offset = interval.mul_f64(p as f64 / PEOPLE as f64);
            let mut next = tokio::time::Instant::now() + offset;
            let mut waits = Vec::new();
            let mut n = p;
            while Instant::now() < end {
                tokio::time::sleep_until(next).await;
                next += interval;
                let minute = started.elapsed().as_secs() / 60;
                let id = person.say(&room, COMMANDS[n % COMMANDS.len()]).await;
                n += 1;
                let sent = Instant::now();
                stats.lock().expect("stats").entry(minute).or_default().sent += 1;
                let person = person.clone();
                let stats = stats.clone();
                waits.push(tokio::spawn(async move {
                    let reply = tokio::time::timeout(IN_TIME, person.wait_reply(&id)).await;
                    let in_time = reply.is_ok();
                    let seen_at = now_ms();
                    let command_ts = person
                        .seen()
                        .iter()
                        .find(|s| s.event_id == id)
                        .map(|s| s.server_ts as f64);
                    let mut stats = stats.lock().expect("stats");
                    let m = stats.entry(minute).or_default();
                    if let Ok(reply) = reply {
                        m.answered += 1;
                        m.latencies.push(sent.elapsed().as_secs_f64() * 1e3);
                        if let Some(command_ts) = command_ts {
                            m.server.push(reply.server_ts as f64 - command_ts);
                        }
                        m.arrival.push(seen_at - reply.server_ts as f64);
                    }
                    drop(stats);
                    // Answers that arrive twice (counted once the dust settled).
                    (person, id, minute, in_time)
                }));
            }
            waits
        }));
    }
    let mut waits = Vec::new();
    for s in senders {
        waits.extend(s.await.unwrap_or_else(|e| panic!("sender: {e}")));
    }
    let mut answered_events = Vec::new();
    let mut late = Vec::new();
    for w in waits {
        match w.await {
            Ok((person, id, minute, true)) => answered_events.push((person, id, minute)),
            Ok((person, id, minute, false)) => late.push((person, id, minute)),
            Err(e) => panic!("waiting for an answer: {e}"),
        }
    }
    // Answers later than IN_TIME (a machine too busy for the rate): wait for them a while
    // longer, all at once, to tell late from never.
    let late_count = late.len();
    let mut late_arrived = 0;
    let deadline = tokio::time::Instant::now() + util::TIMEOUT - Duration::from_secs(30);
    for (person, id, minute) in late {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if tokio::time::timeout(left, person.wait_reply(&id))
            .await
            .is_ok()
        {
            late_arrived += 1;
            answered_events.push((person, id, minute));
        }
    }
    // Let late duplicates arrive before counting them.
    tokio::time::sleep(Duration::from_secs(5)).await;
    for (person, id, minute) in answered_events {
        let replies = person.replies_to(&id).len();
        if replies > 1 {
            stats
                .lock()
                .expect("stats")
                .entry(minute)
                .or_default()
                .doubled += replies - 1;
        }
    }
    let (rss_end, cpu_end) = usage(pid);
    let (_, synapse_cpu_end) = usage(synapse_pid);
    sampler.abort();
    let run_seconds = started.elapsed().as_secs_f64();
    bot.stop();
    // The bot's own warnings and errors (its log is at `warn,kitbot=info`).
    let log = bot.log();
    // `KITBOT_LOAD_LOG_FILE=<path>`: the bot's whole log, to read at leisure.
    if let Ok(path) = std::env::var("KITBOT_LOAD_LOG_FILE") {
        std::fs::write(&path, log.join("\n"))
            .unwrap_or_else(|e| panic!("writing the bot's log to {path}: {e}"));
    }
    let warnings: Vec<&String> = log
        .iter()
        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
        .collect();
    println!(
        "bot log: {} lines, {} warnings or errors",
        log.len(),
        warnings.len()
    );
    for line in warnings.iter().take(20) {
        println!("    {line}");
    }

    println!(
        "| minute | sent | answered | doubled | median | p95 | p99 | bot (server ts) median / p99 | reply seen after (median) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let stats = stats.lock().expect("stats");
    let mut all = Vec::new();
    let (mut all_server, mut all_arrival) = (Vec::new(), Vec::new());
    let (mut sent, mut answered, mut doubled) = (0, 0, 0);
    for (minute, m) in stats.iter() {
        let mut l = m.latencies.clone();
        l.sort_by(f64::total_cmp);
        let mut server = m.server.clone();
        server.sort_by(f64::total_cmp);
        let mut arrival = m.arrival.clone();
        arrival.sort_by(f64::total_cmp);
        println!(
            "| {} | {} | {} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.0} / {:.0} ms | {:.0} ms |",
            minute + 1,
            m.sent,
            m.answered,
            m.doubled,
            percentile(&l, 0.5),
            percentile(&l, 0.95),
            percentile(&l, 0.99),
            percentile(&server, 0.5),
            percentile(&server, 0.99),
            percentile(&arrival, 0.5),
        );
        all_server.extend(server);
        all_arrival.extend(arrival);
        sent += m.sent;
        answered += m.answered;
        doubled += m.doubled;
        all.extend(l);
    }
    all.sort_by(f64::total_cmp);
    all_server.sort_by(f64::total_cmp);
    all_arrival.sort_by(f64::total_cmp);
    println!(
        "| **all** | **{sent}** | **{answered}** | **{doubled}** | {:.1} ms | {:.1} ms | {:.1} ms | {:.0} / {:.0} ms | {:.0} ms |",
        percentile(&all, 0.5),
        percentile(&all, 0.95),
        percentile(&all, 0.99),
        percentile(&all_server, 0.5),
        percentile(&all_server, 0.99),
        percentile(&all_arrival, 0.5),
    );
    println!();
    println!("bot CPU while idle (30 s, joined, nothing asked): {idle_ms_per_s:.1} ms per second");
    println!(
        "bot resident memory: {rss_start:.1} MiB after the warm-up, {rss_end:.1} MiB at the end; \
         bot CPU during the run: {:.1} s ({:.2} ms per command)",
        cpu_end - cpu_start,
        (cpu_end - cpu_start) * 1e3 / sent.max(1) as f64
    );
    println!(
        "Synapse CPU during the run: {:.1} s over {run_seconds:.0} s ({:.0} % of one core;          load average at the end: {})",
        synapse_cpu_end - synapse_cpu_start,
        (synapse_cpu_end - synapse_cpu_start) * 100.0 / run_seconds,
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );
    // The memory table: about a dozen rows spread over the run, and the last sample.
    let memory = memory.lock().expect("memory");
    let step = memory.len().div_ceil(12).max(1);
    println!();
    println!("| minute | commands sent | anonymous | mapped from files |");
    println!("|---:|---:|---:|---:|");
    for (i, m) in memory.iter().enumerate() {
        if i % step == 0 || i + 1 == memory.len() {
            println!(
                "| {:.0} | {} | {:.1} MiB | {:.1} MiB |",
                m.minute, m.sent, m.anonymous, m.files
            );
        }
    }
    drop(memory);
    if late_count > 0 {
        println!(
            "answers later than {} s (not in the table above): {late_count}, of which {late_arrived} arrived before the end",
            IN_TIME.as_secs()
        );
    }
    if answered + late_arrived != sent || doubled > 0 {
        eprintln!(
            "FAILED: {sent} sent, {answered} answered in time, {late_arrived} late, {doubled} doubled"
        );
        std::process::exit(1);
    }
}
