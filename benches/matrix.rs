//! Command→reply latency of `!ping` over 100 messages on a local Synapse (plain and encrypted
//! rooms), and the idle memory of `kitbot run`. Run with `cargo bench --bench matrix` (release
//! build of the bot); prints a Markdown table for BENCHMARKS.md.
//!
//! Latency is measured as a person sees it: from the moment the human's client has the send
//! confirmed to the moment its sync delivers the bot's answer.

#![recursion_limit = "256"]

#[path = "../tests/util/mod.rs"]
mod util;

use std::time::{Duration, Instant};

use util::{Bot, Human, Tenant};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

async fn measure(encrypted: bool, count: usize) -> (Vec<Duration>, Option<u64>, Option<u64>) {
    let alice = Human::new("alice").await;
    let room = alice.create_room(encrypted, &[]).await;
    let room_id = room.room_id().to_owned();
    let tenant = Tenant {
        id: "bench",
        rooms: vec![room_id.to_string()],
        coordination_level: 50,
        extra: "",
    };
    let mut bot = Bot::new(&[tenant], &["localhost"]).await;
    bot.start();
    room.invite_user_by_id(&bot.owned_user_id())
        .await
        .expect("invite");
    alice.wait_membership(&room_id, &bot.user_id, "join").await;
    let idle = bot.pid().and_then(rss_kib);
    // Warm-up (key sharing in encrypted rooms), not counted.
    let warm = alice.say(&room_id, "!ping").await;
    alice.wait_reply(&warm).await;
    let mut latencies = Vec::with_capacity(count);
    for _ in 0..count {
        let id = alice.say(&room_id, "!ping").await;
        let sent = Instant::now();
        alice.wait_reply(&id).await;
        latencies.push(sent.elapsed());
    }
    let after = bot.pid().and_then(rss_kib);
    bot.stop();
    latencies.sort();
    (latencies, idle, after)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let count = if bench { 100 } else { 5 };
    println!("| room | messages | median | p95 | max | bot RSS idle (joined, before the first command) | bot RSS after |");
    println!("|---|---|---|---|---|---|---|");
    for encrypted in [false, true] {
        let (lat, idle, after) = measure(encrypted, count).await;
        let mib = |k: Option<u64>| {
            k.map(|k| format!("{:.1} MiB", k as f64 / 1024.0))
                .unwrap_or_else(|| "?".into())
        };
        println!(
            "| {} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {} | {} |",
            if encrypted { "encrypted" } else { "plain" },
            lat.len(),
            percentile(&lat, 0.5).as_secs_f64() * 1000.0,
            percentile(&lat, 0.95).as_secs_f64() * 1000.0,
            lat.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
            mib(idle),
            mib(after),
        );
    }
}
