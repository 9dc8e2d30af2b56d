//! Memory over many commands, without the homeserver: the engine and its store driven directly
//! with the load bench's mix (`!ping`, `!kit …`, `!fiche sms-rappel`, `!reflexions`, `!themes`)
//! from 20 people in 10 rooms, every answer delivered through the outbox to a transport that
//! accepts at once, the store flushed every 10 commands as the sync loop does. Prints the
//! process's resident memory (anonymous / from files) every `KITBOT_GROWTH_EVERY` commands:
//! whether what grows in `kitbot run` under load is the engine and its sled store, or the Matrix
//! side.
//!
//! Run with `cargo bench --bench growth`; `KITBOT_GROWTH_COMMANDS` (default 10,000);
//! `KITBOT_GROWTH_MIX="!ping"` sends only that command; `KITBOT_GROWTH_SLED_ONLY=1` skips the
//! engine and writes to the sled store, per command, the four records the outbox kept about a
//! handled command in sled before they moved to the ledger (`src/ledger.rs`, 2026-12-04: handled
//! id, delivered transaction, answer ↔ command both ways), plus, with
//! `KITBOT_GROWTH_SLED_BYTES=N`, an N-byte outbox item inserted and removed (an answer queued,
//! then delivered). `KITBOT_GROWTH_SLED_CACHE_MIB=N` opens the store with an N MiB sled cache
//! instead of kitbot's own (`store::CACHE_BYTES`). `KITBOT_GROWTH_SLED_FLUSHER=1` opens it as before 8cada3a: sled's
//! own background flusher, no hand-over of the deferred frees after a flush. The allocator is
//! set up as `kitbot` does it (`kitbot::memory::tune_allocator`); `KITBOT_MALLOC_DEFAULT=1`
//! leaves glibc's defaults. `KITBOT_GROWTH_PACE_MS=N` runs the engine on a simulated clock that
//! advances N ms per command (the load bench sends one every 250 ms), so what the engine keeps
//! for a while (the questions `!transmettre` may pass on, 60 minutes) ages as in a real run;
//! by default the engine reads the wall clock and a run of seconds keeps all of it.

use std::sync::Arc;

use chrono::Utc;
use kitbot::config::Config;
use kitbot::core::{Clock, FixedClock, Incoming, IncomingKind, Outgoing, Role, SystemClock};
use kitbot::engine::{Engine, Parts};
use kitbot::outbox::{deliver_ready, SendError, Transport};
use kitbot::store::Store;

// Only the /proc readers of the test utilities (not the Matrix harness).
#[allow(dead_code)]
#[path = "../tests/util/proc.rs"]
mod proc;

const ROOMS: usize = 10;
const PEOPLE: usize = 20;
const MIX: [&str; 5] = [
    "!ping",
    "!kit comment rappeler un rendez-vous par sms",
    "!fiche sms-rappel",
    "!reflexions",
    "!themes",
];

struct Accepting;

impl Transport for Accepting {
    async fn send(&self, txn: &str, _out: &Outgoing) -> Result<Option<String>, SendError> {
        Ok(Some(format!("$answer-{txn}")))
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn room(r: usize) -> String {
    format!("!growth{r:02}:bench.example.org")
}

fn main() {
    // As `kitbot` does (`KITBOT_MALLOC_DEFAULT=1` measures glibc's default behaviour).
    let tuned = kitbot::memory::tune_allocator();
    eprintln!(
        "glibc trim threshold fixed: {}, arenas capped: {}",
        tuned.trim_threshold, tuned.arena_max
    );
    let commands = env_usize("KITBOT_GROWTH_COMMANDS", 10_000);
    let every = env_usize("KITBOT_GROWTH_EVERY", 1_000).max(1);
    let dir = tempfile::tempdir().expect("temporary folder");
    let rooms: Vec<String> = (0..ROOMS).map(|r| format!("\"{}\"", room(r))).collect();
    let text = format!(
        "[bot]\ndata_dir = \"{}\"\ncommand_burst = 1000000\n\n\
         [[mission_locale]]\nid = \"growth\"\nname = \"ML growth\"\nrooms = [{}]\ncoordination_level = 50\n",
        dir.path().display(),
        rooms.join(", ")
    );
    let config = Config::parse(&text, "growth.toml").unwrap_or_else(|problems| {
        for p in problems {
            eprintln!("{p}");
        }
        std::process::exit(1)
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let cache = match env_usize("KITBOT_GROWTH_SLED_CACHE_MIB", 0) as u64 * 1024 * 1024 {
            0 => kitbot::store::CACHE_BYTES,
            bytes => bytes,
        };
        let path = dir.path().join("store");
        let store = if env_usize("KITBOT_GROWTH_SLED_FLUSHER", 0) == 1 {
            Store::open_with_sled_flusher(&path, cache)
        } else {
            Store::open_with_cache(&path, cache)
        }
        .expect("store");
        let commands_def = Engine::load_commands(&config).unwrap_or_else(|_| std::process::exit(1));
        let kit = Engine::load_kit(&config).unwrap_or_else(|_| std::process::exit(1));
        let pace = chrono::Duration::milliseconds(env_usize("KITBOT_GROWTH_PACE_MS", 0) as i64);
        let simulated = FixedClock::new(Utc::now());
        let clock: Arc<dyn Clock> = if pace.is_zero() {
            Arc::new(SystemClock)
        } else {
            Arc::new(simulated.clone())
        };
        let engine = Engine::new(Parts {
            config,
            commands: commands_def,
            kit,
            store: store.clone(),
            clock: clock.clone(),
        });
        let hook = engine.delivered_hook();
        let mix: Vec<String> = std::env::var("KITBOT_GROWTH_MIX")
            .map(|m| vec![m])
            .unwrap_or_else(|_| MIX.iter().map(|c| c.to_string()).collect());
        let sled_only = std::env::var("KITBOT_GROWTH_SLED_ONLY").is_ok_and(|v| v == "1");
        let item = vec![b'x'; env_usize("KITBOT_GROWTH_SLED_BYTES", 0)];
        let (anon, file) = proc::rss_parts_mib(std::process::id());
        println!("| commands | RSS anonymous | RSS from files | outbox waiting |");
        println!("|---:|---:|---:|---:|");
        println!("| 0 | {anon:.1} MiB | {file:.1} MiB | 0 |");
        for n in 0..commands {
            simulated.advance(pace);
            if sled_only {
                let at = Utc::now().timestamp_millis().to_string();
                let event = format!("$growth{n}");
                let txn = format!("ev|{event}|0");
                if !item.is_empty() {
                    let outbox = store.tree("outbox").expect("tree");
                    outbox
                        .insert(txn.as_bytes(), item.as_slice())
                        .expect("insert");
                    outbox.remove(txn.as_bytes()).expect("remove");
                }
                for (tree, key, value) in [
                    ("handled", event.clone(), at.clone()),
                    ("outbox_delivered", txn.clone(), at.clone()),
                    ("outbox_answers", event.clone(), format!("$answer-{txn}")),
                    ("outbox_answered", format!("$answer-{txn}"), event.clone()),
                ] {
                    store
                        .tree(tree)
                        .expect("tree")
                        .insert(key.as_bytes(), value.as_bytes())
                        .expect("insert");
                }
            } else {
                let incoming = Incoming {
                    tenant: "growth".into(),
                    room_id: room(n % ROOMS),
                    is_direct: false,
                    sender: format!("@person{:02}:bench.example.org", n % PEOPLE),
                    role: Role::Membre,
                    addressed: false,
                    event_id: format!("$growth{n}"),
                    thread_root: None,
                    sent_at: clock.now(),
                    kind: IncomingKind::Message {
                        body: mix[n % mix.len()].clone(),
                    },
                    quoted: None,
                };
                engine.process(&incoming).await;
                deliver_ready(engine.outbox(), &Accepting, &hook)
                    .await
                    .expect("deliver");
            }
            if n % 10 == 9 {
                store.flush().await.expect("flush");
            }
            if (n + 1) % every == 0 {
                let (anon, file) = proc::rss_parts_mib(std::process::id());
                println!(
                    "| {} | {anon:.1} MiB | {file:.1} MiB | {} |",
                    n + 1,
                    engine.outbox().len()
                );
            }
        }
    });
}
