//! The outbox after a backlog: how long the delivery task takes to send N waiting messages
//! through a transport that accepts every send at once (no homeserver), on a store in a
//! temporary folder (the messages in its ledger, SQLite, since 2026-12-06; sled before). Each
//! landed batch makes the task read the head of every room's queue again, and each delivery is
//! one committed transaction: this bench measures what that costs at the sizes a long outage
//! could leave.
//!
//! Run with `cargo bench --bench outbox`; prints a Markdown table. `KITBOT_OUTBOX_SIZES=1000,5000`
//! picks the backlogs (default 1,000, 5,000, 20,000), spread over 50 rooms.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kitbot::core::{Mentions, Outgoing, SystemClock};
use kitbot::outbox::{deliver, Draft, Item, Outbox, SendError, Transport};
use kitbot::store::Store;
use tokio_util::sync::CancellationToken;

const ROOMS: usize = 50;

/// Accepts every send at once and counts them.
#[derive(Default)]
struct Accepting {
    sent: AtomicUsize,
    done: tokio::sync::Notify,
    wanted: AtomicUsize,
}

impl Transport for Accepting {
    async fn send(&self, _txn: &str, _out: &Outgoing) -> Result<Option<String>, SendError> {
        let n = self.sent.fetch_add(1, Ordering::SeqCst) + 1;
        if n >= self.wanted.load(Ordering::SeqCst) {
            self.done.notify_one();
        }
        Ok(None)
    }
}

fn sizes() -> Vec<usize> {
    std::env::var("KITBOT_OUTBOX_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 5_000, 20_000])
}

async fn drain(size: usize) -> (Duration, Duration) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let store = Store::open(dir.path()).expect("store");
    let outbox = Outbox::new(store, Arc::new(SystemClock));
    let drafts: Vec<Draft> = (0..size)
        .map(|i| {
            Draft::new(
                format!("backlog-{i}"),
                Outgoing::Post {
                    room_id: format!("!room{:02}:bench.example.org", i % ROOMS),
                    markdown: format!("Relance {i} : pensez au point d'équipe de jeudi."),
                    mentions: Mentions::default(),
                    notice: false,
                },
            )
        })
        .collect();
    let queued = Instant::now();
    outbox.queue(drafts).expect("queue");
    outbox.flush().await.expect("flush");
    let queue_time = queued.elapsed();
    let transport = Arc::new(Accepting::default());
    transport.wanted.store(size, Ordering::SeqCst);
    let stop = CancellationToken::new();
    let started = Instant::now();
    let task = tokio::spawn(deliver(
        outbox.clone(),
        transport.clone(),
        Arc::new(|_: &Item, _: Option<&str>| {}),
        stop.clone(),
    ));
    while transport.sent.load(Ordering::SeqCst) < size {
        tokio::select! {
            _ = transport.done.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
    }
    // The last sends are recorded once they land: wait for the outbox to be empty.
    while !outbox.is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let drain_time = started.elapsed();
    stop.cancel();
    task.await.expect("delivery task");
    (queue_time, drain_time)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!("| backlog ({ROOMS} rooms) | queued in | delivered in | per message |");
    println!("|---:|---:|---:|---:|");
    for size in sizes() {
        let (queue_time, drain_time) = runtime.block_on(drain(size));
        println!(
            "| {size} | {:.2} s | {:.2} s | {:.3} ms |",
            queue_time.as_secs_f64(),
            drain_time.as_secs_f64(),
            drain_time.as_secs_f64() * 1e3 / size as f64
        );
    }
}
