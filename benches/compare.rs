//! Side by side (issue 13): kitbot, matrix-reminder-bot 0.4.0 and a bare matrix-sdk bot
//! (`benches/bare_bot.rs`) run in turn against one local Synapse (the test harness's, relaxed
//! rate limits), measured by the same real matrix-sdk client. Run through `bench/compare`
//! (it installs matrix-reminder-bot, builds the bare bot and passes its path); prints a Markdown
//! table (rows: measures; columns: the three bots) with the machine, its load and the versions.
//!
//! For each bot, in its own fresh rooms (one for lone commands and nudges, one with 20 people,
//! ten with two people each):
//! - idle RSS once joined to its 12 rooms, before any command;
//! - N lone commands one at a time (the next one sent when the answer arrived): client round
//!   trip (just before the send call → the answer arriving through the client's sync) and the
//!   server-timestamp delta (answer's `origin_server_ts` − command's), median / p95 / p99, and the
//!   bot process's user + system CPU over them (`/proc/PID/stat`);
//! - RSS after R commands (the N lone ones included, all one at a time);
//! - a burst of B commands from 20 people into 1 room, then into 10 rooms: answered, answered
//!   exactly once, time from the first send to the last answer, CPU per command;
//! - nudges (kitbot: `!relance dans 10 secondes : …`; matrix-reminder-bot:
//!   `!remindme in 10 seconds; …`): fired time vs requested instant (command's server timestamp
//!   + 10 s), on server timestamps;
//! - start-up to first answer with a warm store: the bot stopped, started again, a command sent
//!   at once; from the start of the process to the answer arriving.
//!
//! The command that must always get one answer: `!ping` for kitbot and the bare bot;
//! matrix-reminder-bot has no ping, so `!cancel <unique word>`, which always answers
//! "Unknown reminder '<word>'." (as cheap as `!help`: a dictionary lookup and a Markdown
//! conversion, and the word lets each answer be matched to its command, which `!help` does not).
//!
//! Counts: `COMPARE_QUICK=1` (or `--quick`): 100 lone, RSS after 1,000, 10 nudges; otherwise
//! 1,000 lone, RSS after 10,000, 20 nudges. Each can be set: `COMPARE_LONE`, `COMPARE_RSS`,
//! `COMPARE_BURST` (200), `COMPARE_NUDGES`, `COMPARE_STARTS` (3), `COMPARE_BOTS`
//! (`kitbot,reminder,bare`). `COMPARE_KITBOT_BIN=<path>` runs another build of kitbot (the
//! `dist` profile's, say) in its column; the header names it. `COMPARE_LONE_TRACE=<file>`
//! appends each lone command's event id and server timestamps (its answer's too) to `<file>`,
//! for `bench/wakeup.py` (a diagnostic). `COMPARE_LONE_PAUSE_MS=<ms>` (0) waits that long after
//! each lone command's answer before sending the next: people do not send a command the
//! millisecond the previous answer arrives, and a bot's next sync request then waits in its
//! long poll before the command, whatever the bot did after its answer.

#![recursion_limit = "256"]

#[path = "../tests/util/mod.rs"]
mod util;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::api::client::filter::{FilterDefinition, RoomEventFilter, RoomFilter};
use matrix_sdk::ruma::api::client::room::create_room::v3::Request as CreateRoom;
use matrix_sdk::ruma::events::room::message::{MessageType, Relation, RoomMessageEventContent};
use matrix_sdk::ruma::events::{
    AnySyncMessageLikeEvent, AnySyncTimelineEvent, SyncMessageLikeEvent,
};
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId, UInt};
use matrix_sdk::{Client, Room};
use tokio::sync::Notify;
use util::proc::{cpu_ms, percentile, rss_mib, rss_parts_mib};

const BOT_PASSWORD: &str = "bot-password";
/// How long one lone command may wait for its answer before it counts as unanswered.
const ANSWER_WAIT: Duration = Duration::from_secs(30);
/// A burst is over when everything is answered or nothing new came for this long.
const BURST_QUIET: Duration = Duration::from_secs(30);
const NUDGE_DELAY_S: u64 = 10;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace([',', '_'], "").parse().ok())
        .unwrap_or(default)
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

fn progress(text: &str) {
    eprintln!("[compare {}] {text}", chrono::Utc::now().format("%H:%M:%S"));
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Kitbot,
    Reminder,
    Bare,
    /// The bare bot with kitbot's matrix-sdk settings: a store encrypted with a key and
    /// kitbot's sync filter (its own events, receipts, typing and presence left out). What
    /// matrix-sdk costs a bot set up like kitbot, before any logic: kitbot's floor.
    BareTuned,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Kitbot => "kitbot",
            Kind::Reminder => "matrix-reminder-bot",
            Kind::Bare => "bare bot",
            Kind::BareTuned => "bare bot, kitbot's settings",
        }
    }

    /// The command that always gets one answer; `token` makes it unique where the answer
    /// carries no reply relation (matrix-reminder-bot).
    fn command(self, token: &str) -> String {
        match self {
            Kind::Reminder => format!("!cancel {token}"),
            Kind::Kitbot | Kind::Bare | Kind::BareTuned => "!ping".to_owned(),
        }
    }

    fn nudge(self, token: &str) -> Option<String> {
        match self {
            Kind::Kitbot => Some(format!(
                "!relance dans {NUDGE_DELAY_S} secondes : Rappel {token}"
            )),
            Kind::Reminder => Some(format!(
                "!remindme in {NUDGE_DELAY_S} seconds; Rappel {token}"
            )),
            Kind::Bare | Kind::BareTuned => None,
        }
    }

    fn ready_marker(self) -> &'static str {
        match self {
            Kind::Kitbot => "kitbot is ready",
            Kind::Reminder => "Startup complete",
            Kind::Bare | Kind::BareTuned => "bare bot is ready",
        }
    }
}

fn reminder_venv() -> PathBuf {
    std::env::var_os("COMPARE_REMINDER_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv-reminder"))
}

/// The bare bot's executable: `COMPARE_BARE_BOT`, else the newest `bare_bot-*` beside this one.
fn bare_bot_exe() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("COMPARE_BARE_BOT") {
        return Some(PathBuf::from(path));
    }
    let here = std::env::current_exe().ok()?;
    let dir = here.parent()?;
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("bare_bot-") && !name.contains('.')
        })
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
        .map(|e| e.path())
}

/// kitbot's executable: `COMPARE_KITBOT_BIN` (another build of it, e.g. the `dist` profile),
/// else the release build cargo made for this bench.
fn kitbot_exe() -> PathBuf {
    std::env::var_os("COMPARE_KITBOT_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_kitbot")))
}

struct BotProc {
    kind: Kind,
    user_id: String,
    dir: PathBuf,
    child: Option<Child>,
    /// Where the log file was when the current process started (to find its ready line).
    log_from: u64,
}

impl BotProc {
    /// Register the bot's user and write its configuration (kitbot needs its rooms listed).
    async fn new(kind: Kind, rooms: &[OwnedRoomId]) -> BotProc {
        let name = util::unique(match kind {
            Kind::Kitbot => "kitbot",
            Kind::Reminder => "reminder",
            Kind::Bare => "bare",
            Kind::BareTuned => "bare-tuned",
        });
        let synapse = util::synapse();
        let user_id = synapse.register(&name, BOT_PASSWORD).await;
        let dir = std::env::temp_dir().join(format!("kitbot-compare-{name}"));
        // A folder of an earlier process with the same id holds another server's session.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("bot dir");
        match kind {
            Kind::Kitbot => {
                let rooms: Vec<String> = rooms.iter().map(ToString::to_string).collect();
                let toml = format!(
                    "[bot]\ndata_dir = \"{}\"\n# The other bots have no per-person limit.\ncommand_burst = 1000000\n\n\
                     [matrix]\nhomeserver = \"{}\"\nuser = \"{user_id}\"\npassword_env = \"KITBOT_COMPARE_PASSWORD\"\nallowed_inviters = [\"localhost\"]\n\n\
                     [[mission_locale]]\nid = \"compare\"\nname = \"ML compare\"\nrooms = {rooms:?}\ncoordination_level = 50\n\
                     [mission_locale.quiet_hours]\nweekends = false\nholidays = false\nstart = \"00:00\"\nend = \"00:00\"\n",
                    dir.join("data").display(),
                    synapse.url,
                );
                std::fs::write(dir.join("bot.toml"), toml).expect("bot.toml");
            }
            Kind::Reminder => {
                let yaml = format!(
                    "command_prefix: \"!\"\nmatrix:\n  user_id: \"{user_id}\"\n  user_password: \"{BOT_PASSWORD}\"\n  \
                     homeserver_url: \"{}\"\n  device_id: COMPAREBOT\n  device_name: matrix-reminder-bot\n\
                     storage:\n  database: \"sqlite://{d}/bot.db\"\n  store_path: \"{d}/store\"\n\
                     reminders:\n  timezone: \"Etc/UTC\"\nallowlist:\n  enabled: false\n  regexes: []\n\
                     blocklist:\n  enabled: false\n  regexes: []\nlogging:\n  level: INFO\n  console_logging:\n    enabled: true\n  file_logging:\n    enabled: false\n    filepath: file.log\n",
                    synapse.url,
                    d = dir.display(),
                );
                std::fs::write(dir.join("config.yaml"), yaml).expect("config.yaml");
            }
            Kind::Bare | Kind::BareTuned => {}
        }
        BotProc {
            kind,
            user_id,
            dir,
            child: None,
            log_from: 0,
        }
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("bot.log")
    }

    /// Start the process (does not wait).
    fn spawn(&mut self) -> Result<(), String> {
        let mut command = match self.kind {
            Kind::Kitbot => {
                let mut c = Command::new(kitbot_exe());
                c.args(["run", "--config"])
                    .arg(self.dir.join("bot.toml"))
                    .env("KITBOT_COMPARE_PASSWORD", BOT_PASSWORD)
                    .env_remove("KITBOT_LOG");
                // A diagnostic: `COMPARE_KITBOT_LOG=<filter>` gives kitbot that log filter
                // (the measured runs use its default level).
                if let Ok(filter) = std::env::var("COMPARE_KITBOT_LOG") {
                    c.env("KITBOT_LOG", filter);
                }
                c
            }
            Kind::Reminder => {
                let mut c = Command::new(reminder_venv().join("bin/matrix-reminder-bot"));
                c.arg(self.dir.join("config.yaml"))
                    .env("PYTHONUNBUFFERED", "1");
                c
            }
            Kind::Bare | Kind::BareTuned => {
                let exe = bare_bot_exe().ok_or("no bare_bot executable (run bench/compare)")?;
                let mut c = Command::new(exe);
                c.env("BARE_BOT_HOMESERVER", &util::synapse().url)
                    .env("BARE_BOT_USER", &self.user_id)
                    .env("BARE_BOT_PASSWORD", BOT_PASSWORD)
                    .env("BARE_BOT_DATA", self.dir.join("data"));
                if self.kind == Kind::BareTuned {
                    c.env("BARE_BOT_AS_KITBOT", "1");
                }
                c
            }
        };
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .map_err(|e| format!("log file: {e}"))?;
        self.log_from = log.metadata().map(|m| m.len()).unwrap_or(0);
        let err = log.try_clone().map_err(|e| format!("log file: {e}"))?;
        let child = command
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("start {}: {e}", self.kind.name()))?;
        self.child = Some(child);
        Ok(())
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// Wait for the ready line of the current process.
    async fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + util::TIMEOUT;
        loop {
            let text = std::fs::read(self.log_path()).unwrap_or_default();
            let from = (self.log_from as usize).min(text.len());
            if String::from_utf8_lossy(&text[from..]).contains(self.kind.ready_marker()) {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    return Err(format!("exited ({status}):\n{}", self.log_tail()));
                }
            }
            if Instant::now() > deadline {
                return Err(format!("not ready in time:\n{}", self.log_tail()));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    fn alive(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// SIGTERM, then SIGKILL after 30 s.
    async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for BotProc {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The measuring client: a real matrix-sdk client that syncs and notes, for every message, when
// it arrived and its server timestamp.

#[derive(Clone, Debug)]
struct Msg {
    sender: String,
    body: String,
    in_reply_to: Option<String>,
    /// `origin_server_ts`, milliseconds.
    ts: u64,
    /// When this client's sync delivered it.
    at: Instant,
}

#[derive(Default)]
struct Seen {
    by_event: HashMap<String, Msg>,
    /// Answers keyed by the event they reply to, or by the word quoted in a
    /// matrix-reminder-bot "Unknown reminder '<word>'." answer.
    answers: HashMap<String, Vec<Msg>>,
    /// Messages that reply to nothing (nudges), in arrival order.
    posts: Vec<Msg>,
}

struct Observer {
    client: Client,
    seen: Arc<Mutex<Seen>>,
    changed: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Observer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn login(prefix: &str) -> Client {
    let synapse = util::synapse();
    let name = util::unique(prefix);
    synapse.register(&name, "password").await;
    let client = Client::builder()
        .homeserver_url(&synapse.url)
        .build()
        .await
        .expect("client");
    client
        .matrix_auth()
        .login_username(&name, "password")
        .send()
        .await
        .expect("login");
    client
}

fn quoted_word(body: &str) -> Option<&str> {
    let rest = body.strip_prefix("Unknown reminder '")?;
    rest.strip_suffix("'.")
}

impl Observer {
    async fn new(prefix: &str) -> Observer {
        let client = login(prefix).await;
        let first = client
            .sync_once(SyncSettings::default())
            .await
            .expect("first sync");
        let seen: Arc<Mutex<Seen>> = Arc::default();
        let changed = Arc::new(Notify::new());
        let task = {
            let (client, seen, changed) = (client.clone(), seen.clone(), changed.clone());
            tokio::spawn(async move {
                // A large timeline limit: a limited timeline would hide answers.
                let mut timeline = RoomEventFilter::default();
                timeline.limit = Some(UInt::from(5000u32));
                let mut room = RoomFilter::default();
                room.timeline = timeline;
                let mut filter = FilterDefinition::default();
                filter.room = room;
                let mut settings = SyncSettings::default()
                    .timeout(Duration::from_secs(10))
                    .filter(filter.into())
                    .token(first.next_batch);
                loop {
                    let Ok(response) = client.sync_once(settings.clone()).await else {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        continue;
                    };
                    let at = Instant::now();
                    {
                        let mut seen = seen.lock().expect("seen");
                        for update in response.rooms.joined.values() {
                            for event in &update.timeline.events {
                                let Ok(event) = event.raw().deserialize() else {
                                    continue;
                                };
                                let AnySyncTimelineEvent::MessageLike(
                                    AnySyncMessageLikeEvent::RoomMessage(
                                        SyncMessageLikeEvent::Original(m),
                                    ),
                                ) = event
                                else {
                                    continue;
                                };
                                let body = match &m.content.msgtype {
                                    MessageType::Text(t) => t.body.clone(),
                                    MessageType::Notice(n) => n.body.clone(),
                                    other => other.body().to_owned(),
                                };
                                let in_reply_to = match &m.content.relates_to {
                                    Some(Relation::Reply(r)) => {
                                        Some(r.in_reply_to.event_id.to_string())
                                    }
                                    Some(Relation::Thread(t)) => {
                                        t.in_reply_to.as_ref().map(|r| r.event_id.to_string())
                                    }
                                    _ => None,
                                };
                                let msg = Msg {
                                    sender: m.sender.to_string(),
                                    body,
                                    in_reply_to,
                                    ts: u64::from(m.origin_server_ts.0),
                                    at,
                                };
                                let key = msg
                                    .in_reply_to
                                    .clone()
                                    .or_else(|| quoted_word(&msg.body).map(str::to_owned));
                                match key {
                                    Some(key) => {
                                        seen.answers.entry(key).or_default().push(msg.clone())
                                    }
                                    None => seen.posts.push(msg.clone()),
                                }
                                seen.by_event.insert(m.event_id.to_string(), msg);
                            }
                        }
                    }
                    changed.notify_waiters();
                    settings = settings.token(response.next_batch);
                }
            })
        };
        Observer {
            client,
            seen,
            changed,
            task,
        }
    }

    /// Wait until `f` returns something, or the deadline.
    async fn wait<T>(&self, deadline: Instant, mut f: impl FnMut(&Seen) -> Option<T>) -> Option<T> {
        loop {
            let notified = self.changed.notified();
            if let Some(found) = f(&self.seen.lock().expect("seen")) {
                return Some(found);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            let _ = tokio::time::timeout(left, notified).await;
        }
    }

    async fn create_room(&self, invite: &[OwnedUserId]) -> Room {
        let mut request = CreateRoom::new();
        request.invite = invite.to_vec();
        self.client.create_room(request).await.expect("create room")
    }

    async fn wait_joined(&self, room: &Room, user: &OwnedUserId, deadline: Instant) -> bool {
        loop {
            let notified = self.changed.notified();
            if let Ok(Some(member)) = room.get_member_no_sync(user).await {
                if member.membership().as_str() == "join" {
                    return true;
                }
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            let _ = tokio::time::timeout(left, notified).await;
        }
    }
}

/// A person who only sends (no sync of their own).
struct Person {
    client: Client,
    user_id: OwnedUserId,
}

async fn send(room: &Room, text: &str) -> Option<OwnedEventId> {
    room.send(RoomMessageEventContent::text_plain(text))
        .await
        .ok()
        .map(|r| r.response.event_id)
}

// ---------------------------------------------------------------------------------------------
// One bot's measures.

#[derive(Default)]
struct Burst {
    sent: usize,
    answered: usize,
    once: usize,
    last_answer_s: f64,
    cpu_ms_per_command: f64,
}

#[derive(Default)]
struct Result1 {
    rtt: Vec<f64>,
    server: Vec<f64>,
    lone_sent: usize,
    cpu_lone: f64,
    rss_idle: f64,
    /// Idle RSS: anonymous, and mapped from files (the executable's code, mostly).
    rss_idle_parts: (f64, f64),
    rss_after: f64,
    rss_commands: usize,
    rss_answered: usize,
    bursts: Vec<(String, Burst)>,
    /// Signed lateness of each nudge that fired (ms), and how many were asked.
    nudges: Option<(Vec<f64>, usize)>,
    starts: Vec<f64>,
    notes: Vec<String>,
}

struct Counts {
    lone: usize,
    rss: usize,
    burst: usize,
    nudges: usize,
    starts: usize,
    /// `COMPARE_LONE_PAUSE_MS`: the wait after each lone answer before the next command.
    lone_pause: Duration,
}

const PEOPLE: usize = 20;
const PAIR_ROOMS: usize = 10;

/// A diagnostic: with `COMPARE_LONE_TRACE=<file>`, each lone command appends a line to `<file>`
/// (bot, index, command's event id, command's and answer's `origin_server_ts` in ms), for
/// `bench/wakeup.py` to split the server delta with a bot's HTTP debug log.
fn trace_lone(bot: &str, i: usize, event: &OwnedEventId, command_ts: u64, answer_ts: u64) {
    use std::io::Write as _;
    let Some(path) = std::env::var_os("COMPARE_LONE_TRACE") else {
        return;
    };
    let line = format!("{bot}\t{i}\t{event}\t{command_ts}\t{answer_ts}\n");
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = written {
        eprintln!("COMPARE_LONE_TRACE: {e}");
    }
}

async fn answer_of(
    obs: &Observer,
    bot: &str,
    event: &OwnedEventId,
    token: &str,
    deadline: Instant,
) -> Option<(Msg, Msg)> {
    let (event, token) = (event.to_string(), token.to_owned());
    obs.wait(deadline, |seen| {
        let command = seen.by_event.get(&event)?;
        let answer = seen
            .answers
            .get(&event)
            .or_else(|| seen.answers.get(&token))?
            .iter()
            .find(|m| m.sender == bot)?;
        Some((command.clone(), answer.clone()))
    })
    .await
}

async fn run_burst(
    obs: &Observer,
    bot: &BotProc,
    people: &[Person],
    rooms: &[OwnedRoomId],
    count: usize,
    label: &str,
) -> Burst {
    let kind = bot.kind;
    let pid = bot.pid();
    let cpu_before = cpu_ms(pid);
    let started = Instant::now();
    let per_person = count.div_ceil(people.len());
    let mut tasks = Vec::new();
    for (p, person) in people.iter().enumerate() {
        let room_id = rooms[p * rooms.len() / people.len()].clone();
        let client = person.client.clone();
        let first = p * per_person;
        let last = ((p + 1) * per_person).min(count);
        let label = label.to_owned();
        tasks.push(tokio::spawn(async move {
            let Some(room) = client.get_room(&room_id) else {
                return Vec::new();
            };
            let mut sent = Vec::new();
            for i in first..last {
                let token = format!("{label}{i}");
                if let Some(id) = send(&room, &kind.command(&token)).await {
                    sent.push((id.to_string(), token));
                }
            }
            sent
        }));
    }
    let mut sent: Vec<(String, String)> = Vec::new();
    for t in tasks {
        sent.extend(t.await.unwrap_or_default());
    }
    let bot_id = bot.user_id.clone();
    let answers = |seen: &Seen, event: &str, token: &str| -> Vec<Msg> {
        seen.answers
            .get(event)
            .into_iter()
            .chain(seen.answers.get(token))
            .flatten()
            .filter(|m| m.sender == bot_id)
            .cloned()
            .collect()
    };
    // Wait until all are answered, or nothing new for BURST_QUIET.
    let mut answered = 0;
    let mut last_progress = Instant::now();
    let hard_end = Instant::now() + Duration::from_secs(600);
    loop {
        let now_answered = {
            let seen = obs.seen.lock().expect("seen");
            sent.iter()
                .filter(|(e, t)| !answers(&seen, e, t).is_empty())
                .count()
        };
        if now_answered > answered {
            answered = now_answered;
            last_progress = Instant::now();
        }
        if answered == sent.len()
            || last_progress.elapsed() > BURST_QUIET
            || Instant::now() > hard_end
        {
            break;
        }
        let notified = obs.changed.notified();
        let _ = tokio::time::timeout(Duration::from_secs(1), notified).await;
    }
    let cpu_after = cpu_ms(pid);
    // Late duplicates.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let seen = obs.seen.lock().expect("seen");
    let mut burst = Burst {
        sent: sent.len(),
        cpu_ms_per_command: (cpu_after - cpu_before) / count as f64,
        ..Burst::default()
    };
    let mut last = started;
    for (e, t) in &sent {
        let a = answers(&seen, e, t);
        if !a.is_empty() {
            burst.answered += 1;
        }
        if a.len() == 1 {
            burst.once += 1;
        }
        for m in a {
            last = last.max(m.at);
        }
    }
    burst.last_answer_s = (last - started).as_secs_f64();
    burst
}

async fn measure(kind: Kind, people: &[Person], counts: &Counts) -> Result<Result1, String> {
    let mut r = Result1::default();
    progress(&format!("{}: rooms", kind.name()));
    let obs = Observer::new("observer").await;
    let ids: Vec<OwnedUserId> = people.iter().map(|p| p.user_id.clone()).collect();
    let lone = obs.create_room(&[]).await;
    let crowd = obs.create_room(&ids).await;
    let mut pairs = Vec::new();
    for k in 0..PAIR_ROOMS {
        let members: Vec<OwnedUserId> = ids
            .iter()
            .enumerate()
            .filter(|(p, _)| p * PAIR_ROOMS / PEOPLE == k)
            .map(|(_, id)| id.clone())
            .collect();
        pairs.push(obs.create_room(&members).await);
    }
    for (p, person) in people.iter().enumerate() {
        for room in [&crowd, &pairs[p * PAIR_ROOMS / PEOPLE]] {
            person
                .client
                .join_room_by_id(room.room_id())
                .await
                .map_err(|e| format!("join: {e}"))?;
        }
    }
    let mut all: Vec<&Room> = vec![&lone, &crowd];
    all.extend(pairs.iter());
    let all_ids: Vec<OwnedRoomId> = all.iter().map(|r| r.room_id().to_owned()).collect();

    let mut bot = BotProc::new(kind, &all_ids).await;
    bot.spawn()?;
    bot.wait_ready().await?;
    progress(&format!("{}: ready, inviting", kind.name()));
    let bot_uid = OwnedUserId::try_from(bot.user_id.as_str()).map_err(|e| e.to_string())?;
    for room in &all {
        room.invite_user_by_id(&bot_uid)
            .await
            .map_err(|e| format!("invite: {e}"))?;
    }
    let deadline = Instant::now() + util::TIMEOUT;
    for room in &all {
        if !obs.wait_joined(room, &bot_uid, deadline).await {
            return Err(format!("did not join:\n{}", bot.log_tail()));
        }
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let pid = bot.pid();
    r.rss_idle = rss_mib(pid);
    r.rss_idle_parts = rss_parts_mib(pid);

    // Warm-up, not counted.
    for i in 0..3 {
        let token = format!("warm{i}");
        let id = send(&lone, &kind.command(&token))
            .await
            .ok_or("send failed")?;
        answer_of(
            &obs,
            &bot.user_id,
            &id,
            &token,
            Instant::now() + ANSWER_WAIT,
        )
        .await
        .ok_or_else(|| format!("no answer to the warm-up:\n{}", bot.log_tail()))?;
    }

    progress(&format!(
        "{}: {} lone commands, RSS after {}",
        kind.name(),
        counts.lone,
        counts.rss
    ));
    let cpu_before = cpu_ms(pid);
    let mut misses_in_a_row = 0;
    let total = counts.rss.max(counts.lone);
    for i in 0..total {
        if i == counts.lone {
            r.cpu_lone = (cpu_ms(pid) - cpu_before) / counts.lone as f64;
        }
        let token = format!("p{i}");
        let started = Instant::now();
        let Some(id) = send(&lone, &kind.command(&token)).await else {
            r.notes.push(format!("send {i} failed"));
            continue;
        };
        if i < counts.lone {
            r.lone_sent += 1;
        }
        match answer_of(
            &obs,
            &bot.user_id,
            &id,
            &token,
            Instant::now() + ANSWER_WAIT,
        )
        .await
        {
            Some((command, answer)) => {
                misses_in_a_row = 0;
                r.rss_answered += 1;
                if i < counts.lone {
                    r.rtt.push((answer.at - started).as_secs_f64() * 1e3);
                    r.server.push(answer.ts as f64 - command.ts as f64);
                    trace_lone(kind.name(), i, &id, command.ts, answer.ts);
                    if !counts.lone_pause.is_zero() {
                        tokio::time::sleep(counts.lone_pause).await;
                    }
                }
            }
            None => {
                misses_in_a_row += 1;
                if misses_in_a_row >= 3 || !bot.alive() {
                    return Err(format!(
                        "three commands in a row unanswered:\n{}",
                        bot.log_tail()
                    ));
                }
            }
        }
        if i > 0 && i % 1000 == 0 {
            progress(&format!("{}: {i} commands", kind.name()));
        }
    }
    if counts.lone >= total {
        r.cpu_lone = (cpu_ms(pid) - cpu_before) / counts.lone as f64;
    }
    r.rss_commands = total;
    r.rss_after = rss_mib(pid);

    let crowd_id = vec![crowd.room_id().to_owned()];
    let pair_ids: Vec<OwnedRoomId> = pairs.iter().map(|r| r.room_id().to_owned()).collect();
    for (label, rooms, name) in [("a", &crowd_id, "1 room"), ("b", &pair_ids, "10 rooms")] {
        progress(&format!("{}: burst into {name}", kind.name()));
        let burst = run_burst(&obs, &bot, people, rooms, counts.burst, label).await;
        r.bursts.push((name.to_owned(), burst));
        tokio::time::sleep(Duration::from_secs(3)).await;
    }

    if kind.nudge("x").is_some() {
        progress(&format!("{}: {} nudges", kind.name(), counts.nudges));
        let mut asked = Vec::new();
        for i in 0..counts.nudges {
            let token = format!("n{i:03}z");
            let text = kind.nudge(&token).unwrap_or_default();
            if let Some(id) = send(&lone, &text).await {
                asked.push((id.to_string(), token));
            }
            tokio::time::sleep(Duration::from_millis(700)).await;
        }
        let deadline = Instant::now() + Duration::from_secs(NUDGE_DELAY_S + 60);
        let bot_id = bot.user_id.clone();
        let fired = |seen: &Seen| -> Vec<Option<f64>> {
            asked
                .iter()
                .map(|(event, token)| {
                    let command = seen.by_event.get(event)?;
                    let post = seen
                        .posts
                        .iter()
                        .find(|m| m.sender == bot_id && m.body.contains(token.as_str()))?;
                    Some(post.ts as f64 - (command.ts + NUDGE_DELAY_S * 1000) as f64)
                })
                .collect()
        };
        let _ = obs
            .wait(deadline, |seen| {
                fired(seen).iter().all(Option::is_some).then_some(())
            })
            .await;
        let lateness: Vec<f64> = fired(&obs.seen.lock().expect("seen"))
            .into_iter()
            .flatten()
            .collect();
        r.nudges = Some((lateness, asked.len()));
    }

    progress(&format!("{}: {} warm restarts", kind.name(), counts.starts));
    for s in 0..counts.starts {
        bot.stop().await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let token = format!("s{s}");
        let started = Instant::now();
        bot.spawn()?;
        let id = send(&lone, &kind.command(&token))
            .await
            .ok_or("send failed")?;
        let answer = answer_of(
            &obs,
            &bot.user_id,
            &id,
            &token,
            Instant::now() + util::TIMEOUT,
        )
        .await
        .ok_or_else(|| format!("no answer after a restart:\n{}", bot.log_tail()))?;
        r.starts.push((answer.1.at - started).as_secs_f64());
        // Let it finish starting before the next stop.
        bot.wait_ready().await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    bot.stop().await;
    Ok(r)
}

// ---------------------------------------------------------------------------------------------
// The table.

fn ms(v: f64) -> String {
    if v.is_nan() {
        "–".to_owned()
    } else if v.abs() >= 100.0 {
        format!("{v:.0} ms")
    } else {
        format!("{v:.1} ms")
    }
}

fn command_output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn locked_version(lock: &Path, name: &str) -> String {
    let text = std::fs::read_to_string(lock).unwrap_or_default();
    let needle = format!("name = \"{name}\"\nversion = \"");
    text.find(&needle)
        .and_then(|at| text[at + needle.len()..].split('"').next())
        .unwrap_or("?")
        .to_owned()
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick")
        || std::env::var("COMPARE_QUICK").is_ok_and(|v| v == "1");
    let counts = Counts {
        lone: env_usize("COMPARE_LONE", if quick { 100 } else { 1_000 }).max(1),
        rss: env_usize("COMPARE_RSS", if quick { 1_000 } else { 10_000 }),
        burst: env_usize("COMPARE_BURST", 200).max(PEOPLE),
        nudges: env_usize("COMPARE_NUDGES", if quick { 10 } else { 20 }),
        starts: env_usize("COMPARE_STARTS", 3),
        lone_pause: Duration::from_millis(env_usize("COMPARE_LONE_PAUSE_MS", 0) as u64),
    };
    let bots: Vec<Kind> = std::env::var("COMPARE_BOTS")
        .unwrap_or_else(|_| "kitbot,reminder,bare".to_owned())
        .split(',')
        .filter_map(|b| match b.trim() {
            "kitbot" => Some(Kind::Kitbot),
            "reminder" => Some(Kind::Reminder),
            "bare" => Some(Kind::Bare),
            "bare-tuned" => Some(Kind::BareTuned),
            _ => None,
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let load_start = loadavg();
    let date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    let results: Vec<(Kind, Result<Result1, String>)> = runtime.block_on(async {
        let _ = util::synapse();
        let mut people = Vec::new();
        for _ in 0..PEOPLE {
            let client = login("person").await;
            let user_id = client.user_id().expect("user").to_owned();
            people.push(Person { client, user_id });
        }
        let mut results = Vec::new();
        for kind in bots {
            let result = measure(kind, &people, &counts).await;
            if let Err(err) = &result {
                progress(&format!("{}: FAILED: {err}", kind.name()));
            }
            results.push((kind, result));
        }
        results
    });
    let load_end = loadavg();
    print_table(&results, &counts, quick, &date, &load_start, &load_end);
}

fn print_table(
    results: &[(Kind, Result<Result1, String>)],
    counts: &Counts,
    quick: bool,
    date: &str,
    load_start: &str,
    load_end: &str,
) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "?".to_owned());
    let synapse_python = std::env::var_os("KITBOT_SYNAPSE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv-synapse"))
        .join("bin/python");
    let synapse = command_output(
        &synapse_python.to_string_lossy(),
        &["-c", "import synapse; print(synapse.__version__)"],
    );
    let reminder = command_output(
        &reminder_venv().join("bin/python").to_string_lossy(),
        &[
            "-c",
            "import importlib.metadata as m; print(m.version('matrix-reminder-bot'), 'with matrix-nio', m.version('matrix-nio'))",
        ],
    );
    let sdk = locked_version(&root().join("Cargo.lock"), "matrix-sdk");
    let commit = command_output(
        "git",
        &[
            "-C",
            &root().to_string_lossy(),
            "rev-parse",
            "--short",
            "HEAD",
        ],
    );
    println!(
        "{date}; {} cores ({cpu}); load average (1, 5, 15 min) {load_start} at the start, {load_end} at the end.",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let kitbot_build = match std::env::var_os("COMPARE_KITBOT_BIN") {
        Some(path) => format!("`{}`, given by COMPARE_KITBOT_BIN", path.to_string_lossy()),
        None => "release".to_owned(),
    };
    println!(
        "Synapse {synapse} (SQLite, relaxed rate limits, 127.0.0.1); kitbot {commit} ({kitbot_build}); matrix-reminder-bot {reminder}; bare bot on matrix-sdk {sdk} (release)."
    );
    println!(
        "Rerun: `bench/compare{}` ({} lone commands{}, RSS after {}, bursts of {}, {} nudges, {} warm starts).",
        if quick { " --quick" } else { "" },
        counts.lone,
        if counts.lone_pause.is_zero() {
            String::new()
        } else {
            format!(
                ", each {} ms after the previous answer (COMPARE_LONE_PAUSE_MS)",
                counts.lone_pause.as_millis()
            )
        },
        counts.rss,
        counts.burst,
        counts.nudges,
        counts.starts
    );
    println!();
    let header: Vec<&str> = results.iter().map(|(k, _)| k.name()).collect();
    println!("| measure | {} |", header.join(" | "));
    println!("|---|{}", "---:|".repeat(results.len()));
    let row = |name: &str, f: &dyn Fn(Kind, &Result1) -> String| {
        let cells: Vec<String> = results
            .iter()
            .map(|(k, r)| match r {
                Ok(r) => f(*k, r),
                Err(_) => "did not run".to_owned(),
            })
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    };
    row("command answered", &|k, _| match k {
        Kind::Reminder => "`!cancel <word>` (\"Unknown reminder\")".to_owned(),
        _ => "`!ping`".to_owned(),
    });
    row("lone commands answered (one at a time)", &|_, r| {
        format!("{}/{}", r.rtt.len(), r.lone_sent)
    });
    let triple = |v: &[f64]| {
        let s = sorted(v.to_vec());
        format!(
            "{} / {} / {}",
            ms(percentile(&s, 0.5)),
            ms(percentile(&s, 0.95)),
            ms(percentile(&s, 0.99))
        )
    };
    row("client round trip, median / p95 / p99", &|_, r| {
        triple(&r.rtt)
    });
    row(
        "server-timestamp delta command → answer, median / p95 / p99",
        &|_, r| triple(&r.server),
    );
    row("CPU per lone command (user + system)", &|_, r| {
        ms(r.cpu_lone)
    });
    for (i, name) in ["1 room", "10 rooms"].iter().enumerate() {
        row(
            &format!("CPU per command inside the burst into {name}"),
            &|_, r| {
                r.bursts
                    .get(i)
                    .map_or("–".to_owned(), |(_, b)| ms(b.cpu_ms_per_command))
            },
        );
    }
    row(
        "start-up to first answer, warm store: median (max)",
        &|_, r| {
            let s = sorted(r.starts.clone());
            format!(
                "{:.2} s ({:.2} s)",
                percentile(&s, 0.5),
                s.last().copied().unwrap_or(f64::NAN)
            )
        },
    );
    row(
        "RSS idle (joined to 12 rooms, before any command)",
        &|_, r| format!("{:.1} MiB", r.rss_idle),
    );
    row("of which anonymous / mapped from files (code)", &|_, r| {
        format!("{:.1} / {:.1} MiB", r.rss_idle_parts.0, r.rss_idle_parts.1)
    });
    row(
        &format!(
            "RSS after {} commands (one at a time)",
            counts.rss.max(counts.lone)
        ),
        &|_, r| format!("{:.1} MiB ({} answered)", r.rss_after, r.rss_answered),
    );
    for (i, name) in ["1 room", "10 rooms"].iter().enumerate() {
        row(
            &format!("burst of {} from {PEOPLE} people into {name}: answered / answered once / last answer after", counts.burst),
            &|_, r| {
                r.bursts.get(i).map_or("–".to_owned(), |(_, b)| {
                    format!(
                        "{}/{} / {}/{} / {:.1} s",
                        b.answered, b.sent, b.once, b.sent, b.last_answer_s
                    )
                })
            },
        );
    }
    row(
        &format!("nudges in {NUDGE_DELAY_S} s: fired / early"),
        &|_, r| match &r.nudges {
            None => "n/a".to_owned(),
            Some((late, asked)) => format!(
                "{}/{asked} / {}",
                late.len(),
                late.iter().filter(|l| **l < 0.0).count()
            ),
        },
    );
    row(
        "nudge lateness vs requested instant: median / p99 / min … max",
        &|_, r| match &r.nudges {
            None => "n/a".to_owned(),
            Some((late, _)) if late.is_empty() => "–".to_owned(),
            Some((late, _)) => {
                let s = sorted(late.clone());
                format!(
                    "{} / {} / {} … {}",
                    ms(percentile(&s, 0.5)),
                    ms(percentile(&s, 0.99)),
                    ms(s[0]),
                    ms(s[s.len() - 1])
                )
            }
        },
    );
    println!();
    println!(
        "Round trip: from just before the client's send call to the answer arriving through its \
         sync. Nudge lateness: the nudge's server timestamp minus (the command's server timestamp \
         + {NUDGE_DELAY_S} s). kitbot runs with `command_burst = 1000000` (the others have no \
         per-person limit) and its default log level; matrix-reminder-bot with `logging.level: INFO`."
    );
    for (kind, result) in results {
        match result {
            Err(err) => println!("\n{} did not run: {err}", kind.name()),
            Ok(r) => {
                if !r.notes.is_empty() {
                    println!("\n{}: {}", kind.name(), r.notes.join("; "));
                }
                println!(
                    "\n{} warm starts (s): {}",
                    kind.name(),
                    r.starts
                        .iter()
                        .map(|s| format!("{s:.2}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
    }
}
