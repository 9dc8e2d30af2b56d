//! The integration-test harness: a real Synapse on 127.0.0.1 (one per test binary, started on
//! first use, killed when the test process ends, also when tests fail), users registered with
//! the shared secret, real matrix-sdk clients as the humans, and the real `kitbot` binary as the
//! bot. Every wait is on an event with a timeout; nothing sleeps on luck.

// Each test binary uses a different part of the harness.
#![allow(dead_code)]

pub mod proc;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write as _};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::api::client::filter::{FilterDefinition, RoomEventFilter, RoomFilter};
use matrix_sdk::ruma::api::client::room::create_room::v3::Request as CreateRoom;
use matrix_sdk::ruma::events::room::encryption::RoomEncryptionEventContent;
use matrix_sdk::ruma::events::room::message::{
    ImageMessageEventContent, MessageType, Relation, RoomMessageEventContent,
};
use matrix_sdk::ruma::events::{
    AnySyncMessageLikeEvent, AnySyncTimelineEvent, InitialStateEvent, SyncMessageLikeEvent,
};
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId, UInt};
use matrix_sdk::{Client, Room};
use tokio::sync::Notify;

/// How long a test waits for what it expects. Generous on purpose: the tests must pass on a
/// busy machine, where Synapse and a debug bot can be several times slower than alone (a
/// registration or a login hashing its password took over three minutes once with five
/// compilations sharing the two cores). Every wait on it is for something that must come, so a
/// longer bound only slows down a failing test.
pub const TIMEOUT: Duration = Duration::from_secs(300);

/// A running Synapse.
pub struct Synapse {
    pub url: String,
    pub port: u16,
    pub dir: PathBuf,
    secret: String,
}

static SYNAPSE: OnceLock<Synapse> = OnceLock::new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn venv() -> PathBuf {
    std::env::var_os("KITBOT_SYNAPSE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv-synapse"))
}

/// The shared Synapse of this test binary, with relaxed rate limits.
pub fn synapse() -> &'static Synapse {
    SYNAPSE.get_or_init(|| Synapse::start(true))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Synapse {
    /// Start a Synapse in a new temporary folder. `relaxed`: rate limits out of the way.
    pub fn start(relaxed: bool) -> Synapse {
        let status = Command::new(root().join("scripts/install-synapse"))
            .status()
            .expect("run install-synapse");
        assert!(status.success(), "installing Synapse failed");
        let dir = std::env::temp_dir().join(format!(
            "kitbot-synapse-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        // A folder left by an earlier process with the same id would give this Synapse its old
        // database, where the test's user names may already be taken.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("synapse dir");
        let python = venv().join("bin/python");
        let status = Command::new(&python)
            .args([
                "-m",
                "synapse.app.homeserver",
                "--server-name",
                "localhost",
                "--generate-config",
                "--report-stats=no",
                "-c",
                "homeserver.yaml",
            ])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .status()
            .expect("generate synapse config");
        assert!(status.success(), "synapse --generate-config failed");
        let port = free_port();
        let secret = format!("secret-{}", std::process::id());
        let synapse = Synapse {
            url: format!("http://127.0.0.1:{port}"),
            port,
            dir,
            secret,
        };
        synapse.write_config(relaxed);
        synapse.launch();
        synapse
    }

    fn write_config(&self, relaxed: bool) {
        let d = self.dir.display();
        let mut yaml = format!(
            r#"server_name: "localhost"
pid_file: "{d}/homeserver.pid"
listeners:
  - port: {port}
    bind_addresses: ['127.0.0.1']
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "{d}/homeserver.db"
log_config: "{d}/localhost.log.config"
media_store_path: "{d}/media_store"
signing_key_path: "{d}/localhost.signing.key"
registration_shared_secret: "{secret}"
enable_registration: false
report_stats: false
macaroon_secret_key: "{secret}-macaroon"
form_secret: "{secret}-form"
trusted_key_servers: []
suppress_key_server_warning: true
presence:
  enabled: false
federation_domain_whitelist: []
"#,
            port = self.port,
            secret = self.secret,
        );
        if relaxed {
            let fast = "{per_second: 1000, burst_count: 10000}";
            for key in [
                "rc_message",
                "rc_registration",
                "rc_room_creation",
                "rc_key_requests",
                "rc_3pid_validation",
                "rc_joins_per_room",
                "rc_media_create",
                "rc_delayed_event_mgmt",
                "rc_profile",
                "rc_reports",
                "rc_user_directory",
            ] {
                yaml.push_str(&format!("{key}: {fast}\n"));
            }
            yaml.push_str(&format!(
                "rc_login:\n  address: {fast}\n  account: {fast}\n  failed_attempts: {fast}\n"
            ));
            yaml.push_str(&format!("rc_joins:\n  local: {fast}\n  remote: {fast}\n"));
            yaml.push_str(&format!(
                "rc_invites:\n  per_room: {fast}\n  per_user: {fast}\n  per_issuer: {fast}\n"
            ));
            yaml.push_str(&format!("rc_presence:\n  per_user: {fast}\n"));
        }
        std::fs::write(self.dir.join("homeserver.yaml"), yaml).expect("write homeserver.yaml");
        // The generated log config writes a file in the current folder; keep it in ours and quiet.
        let log = self.dir.join("localhost.log.config");
        if let Ok(text) = std::fs::read_to_string(&log) {
            std::fs::write(&log, text.replace("level: INFO", "level: WARNING"))
                .expect("log config");
        }
    }

    /// Start (or restart) the Synapse process. It dies with the test process: a keeper thread
    /// forks it with PR_SET_PDEATHSIG, so nothing is left running, whatever happens to the tests.
    pub fn launch(&self) {
        let python = venv().join("bin/python");
        let dir = self.dir.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let script = "import ctypes, os, signal, sys\n\
                          ctypes.CDLL('libc.so.6').prctl(1, signal.SIGTERM)\n\
                          os.execv(sys.executable, [sys.executable, '-m', 'synapse.app.homeserver', '-c', 'homeserver.yaml'])";
            let log = std::fs::File::create(dir.join("stderr.log")).expect("synapse log");
            let child = Command::new(python)
                .args(["-c", script])
                .current_dir(&dir)
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("start synapse");
            let _ = tx.send(child.id());
            let mut child = child;
            // This thread must outlive the process's use of Synapse: it waits with it.
            let _ = child.wait();
        });
        let pid = rx.recv().expect("synapse pid");
        std::fs::write(self.dir.join("keeper.pid"), pid.to_string()).expect("pid file");
        self.wait_ready();
    }

    /// Stop the Synapse process (to test outages); `launch` starts it again on the same port.
    pub fn stop(&self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("keeper.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
        let deadline = Instant::now() + TIMEOUT;
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            assert!(Instant::now() < deadline, "synapse did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + TIMEOUT;
        let url = format!("{}/_matrix/client/versions", self.url);
        loop {
            if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                let request = "GET /_matrix/client/versions HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
                if stream.write_all(request.as_bytes()).is_ok() {
                    let mut first = String::new();
                    if BufReader::new(stream).read_line(&mut first).is_ok()
                        && first.contains(" 200 ")
                    {
                        return;
                    }
                }
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default();
                panic!("synapse not ready at {url}:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Register a user with the shared secret; returns the full user id.
    pub async fn register(&self, name: &str, password: &str) -> String {
        let http = reqwest::Client::new();
        let url = format!("{}/_synapse/admin/v1/register", self.url);
        let nonce: serde_json::Value = http
            .get(&url)
            .send()
            .await
            .expect("nonce")
            .json()
            .await
            .expect("nonce json");
        let nonce = nonce["nonce"].as_str().expect("nonce field").to_owned();
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(self.secret.as_bytes()).expect("hmac key");
        mac.update(format!("{nonce}\0{name}\0{password}\0notadmin").as_bytes());
        let mac = hex::encode(mac.finalize().into_bytes());
        let body = serde_json::json!({"nonce": nonce, "username": name, "password": password, "admin": false, "mac": mac});
        let response = http.post(&url).json(&body).send().await.expect("register");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "register {name}: {status} {text}");
        format!("@{name}:localhost")
    }
}

/// A unique user name for this test process.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}x{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// A message a human saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub room_id: OwnedRoomId,
    pub event_id: OwnedEventId,
    pub sender: String,
    pub body: String,
    pub msgtype: String,
    pub in_reply_to: Option<String>,
    pub thread_root: Option<String>,
    pub mentions_room: bool,
    pub mentioned_users: Vec<String>,
    /// For a reaction (`msgtype` "m.reaction", `body` its key): the event it reacts to.
    pub reacts_to: Option<String>,
    /// For an `m.image`: its content (source, info), to download it.
    pub image: Option<Box<ImageMessageEventContent>>,
    /// It arrived encrypted (and this client decrypted it).
    pub encrypted: bool,
    /// The homeserver's timestamp (`origin_server_ts`, ms since the epoch).
    pub server_ts: u64,
}

/// A human: a real matrix-sdk client that syncs in the background and remembers the messages.
pub struct Human {
    pub client: Client,
    pub user_id: OwnedUserId,
    seen: Arc<Mutex<Vec<Seen>>>,
    changed: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Human {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Human {
    pub async fn new(prefix: &str) -> Human {
        Self::build(synapse(), prefix, true).await
    }

    /// A syncing human on another Synapse than the shared one.
    pub async fn on(s: &Synapse, prefix: &str) -> Human {
        Self::build(s, prefix, true).await
    }

    /// A human who only sends (no background sync): cheaper, for crowds.
    pub async fn sender(prefix: &str) -> Human {
        Self::build(synapse(), prefix, false).await
    }

    async fn build(s: &Synapse, prefix: &str, syncing: bool) -> Human {
        let name = unique(prefix);
        s.register(&name, "password").await;
        let client = Client::builder()
            .homeserver_url(&s.url)
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
            .sync_once(SyncSettings::default())
            .await
            .expect("first sync");
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let changed = Arc::new(Notify::new());
        let task = {
            let (client, seen, changed) = (client.clone(), seen.clone(), changed.clone());
            tokio::spawn(async move {
                if !syncing {
                    return;
                }
                // A large timeline limit: a limited timeline would hide answers from the test.
                let mut timeline = RoomEventFilter::default();
                timeline.limit = Some(UInt::from(5000u32));
                let mut room_filter = RoomFilter::default();
                room_filter.timeline = timeline;
                let mut filter = FilterDefinition::default();
                filter.room = room_filter;
                let mut settings = SyncSettings::default()
                    .timeout(Duration::from_secs(10))
                    .filter(filter.into());
                loop {
                    match client.sync_once(settings.clone()).await {
                        Ok(response) => {
                            let mut new = Vec::new();
                            for (room_id, update) in &response.rooms.joined {
                                for event in &update.timeline.events {
                                    if let Some(seen) = to_seen(
                                        room_id,
                                        event.raw().deserialize().ok(),
                                        event.encryption_info().is_some(),
                                    ) {
                                        new.push(seen);
                                    }
                                }
                            }
                            if !new.is_empty() {
                                seen.lock().expect("seen").extend(new);
                            }
                            changed.notify_waiters();
                            settings = settings.token(response.next_batch);
                        }
                        Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                    }
                }
            })
        };
        let user_id = client.user_id().expect("user").to_owned();
        Human {
            client,
            user_id,
            seen,
            changed,
            task,
        }
    }

    /// Wait until `pred` holds over everything seen so far; returns what matched.
    pub async fn wait_for(&self, what: &str, mut pred: impl FnMut(&[Seen]) -> bool) -> Vec<Seen> {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let notified = self.changed.notified();
            {
                let seen = self.seen.lock().expect("seen");
                if pred(&seen) {
                    return seen.clone();
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                // The message is built before panicking, with the lock let go: a panic while
                // holding it would poison it for every other waiter of this person.
                let last = format!(
                    "{:#?}",
                    self.seen
                        .lock()
                        .expect("seen")
                        .iter()
                        .rev()
                        .take(5)
                        .collect::<Vec<_>>()
                );
                panic!("timed out waiting for {what}; seen: {last}");
            }
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen").clone()
    }

    /// Bot notices replying to `event_id`.
    /// How many reactions `sender` put on `target`.
    pub fn reactions_on(&self, target: &str, sender: &str) -> usize {
        self.seen
            .lock()
            .expect("seen")
            .iter()
            .filter(|s| s.sender == sender && s.reacts_to.as_deref() == Some(target))
            .count()
    }

    pub fn replies_to(&self, event_id: &OwnedEventId) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.in_reply_to.as_deref() == Some(event_id.as_str()))
            .collect()
    }

    pub async fn wait_reply(&self, event_id: &OwnedEventId) -> Seen {
        let id = event_id.to_string();
        let seen = self
            .wait_for(&format!("a reply to {id}"), |s| {
                s.iter().any(|m| m.in_reply_to.as_deref() == Some(&id))
            })
            .await;
        seen.into_iter()
            .find(|m| m.in_reply_to.as_deref() == Some(&id))
            .expect("found")
    }

    pub async fn create_room(&self, encrypted: bool, invite: &[&OwnedUserId]) -> Room {
        let mut request = CreateRoom::new();
        request.invite = invite.iter().map(|u| (*u).clone()).collect();
        if encrypted {
            let event = InitialStateEvent::with_empty_state_key(
                RoomEncryptionEventContent::with_recommended_defaults(),
            );
            request.initial_state = vec![matrix_sdk::ruma::serde::Raw::new(&event)
                .expect("raw")
                .cast()];
        }
        self.client.create_room(request).await.expect("create room")
    }

    pub fn room(&self, id: &OwnedRoomId) -> Room {
        self.client.get_room(id).expect("room known")
    }

    /// Send a text message; returns its event id.
    pub async fn say(&self, room_id: &OwnedRoomId, text: &str) -> OwnedEventId {
        let room = self.wait_room(room_id).await;
        room.send(RoomMessageEventContent::text_plain(text))
            .await
            .expect("send")
            .response
            .event_id
    }

    /// The room, once this client's sync knows it.
    pub async fn wait_room(&self, room_id: &OwnedRoomId) -> Room {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let notified = self.changed.notified();
            if let Some(room) = self.client.get_room(room_id) {
                return room;
            }
            tokio::time::timeout_at(deadline, notified)
                .await
                .expect("room known in time");
        }
    }

    /// Join a room this human was invited to.
    pub async fn join(&self, room_id: &OwnedRoomId) -> Room {
        self.client.join_room_by_id(room_id).await.expect("join")
    }

    /// Invite `other` to a room of this human's, have them join, and wait until this human sees
    /// them joined.
    pub async fn bring_in(&self, room_id: &OwnedRoomId, other: &Human) {
        self.room(room_id)
            .invite_user_by_id(&other.user_id)
            .await
            .expect("invite");
        other.join(room_id).await;
        self.wait_membership(room_id, other.user_id.as_str(), "join")
            .await;
    }

    /// Wait until `user` has `membership` ("join", "leave", …) in the room, as this human sees it.
    pub async fn wait_membership(&self, room_id: &OwnedRoomId, user: &str, membership: &str) {
        let user_id = OwnedUserId::try_from(user).expect("user id");
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let notified = self.changed.notified();
            if let Some(room) = self.client.get_room(room_id) {
                if let Ok(Some(member)) = room.get_member_no_sync(&user_id).await {
                    if member.membership().as_str() == membership {
                        return;
                    }
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("{user} never reached membership {membership} in {room_id}");
            }
        }
    }
}

fn to_seen(
    room_id: &OwnedRoomId,
    event: Option<AnySyncTimelineEvent>,
    encrypted: bool,
) -> Option<Seen> {
    let event = event?;
    if let AnySyncTimelineEvent::MessageLike(AnySyncMessageLikeEvent::Reaction(
        SyncMessageLikeEvent::Original(r),
    )) = &event
    {
        return Some(Seen {
            room_id: room_id.clone(),
            event_id: r.event_id.clone(),
            sender: r.sender.to_string(),
            body: r.content.relates_to.key.clone(),
            msgtype: "m.reaction".to_owned(),
            in_reply_to: None,
            thread_root: None,
            mentions_room: false,
            mentioned_users: Vec::new(),
            reacts_to: Some(r.content.relates_to.event_id.to_string()),
            image: None,
            encrypted,
            server_ts: r.origin_server_ts.get().into(),
        });
    }
    let AnySyncTimelineEvent::MessageLike(AnySyncMessageLikeEvent::RoomMessage(
        SyncMessageLikeEvent::Original(m),
    )) = event
    else {
        return None;
    };
    let (msgtype, body) = match &m.content.msgtype {
        MessageType::Text(t) => ("m.text", t.body.clone()),
        MessageType::Notice(n) => ("m.notice", n.body.clone()),
        MessageType::File(f) => ("m.file", f.body.clone()),
        other => (other.msgtype(), other.body().to_owned()),
    };
    let (in_reply_to, thread_root) = match &m.content.relates_to {
        Some(Relation::Reply(r)) => (Some(r.in_reply_to.event_id.to_string()), None),
        Some(Relation::Thread(t)) => (
            t.in_reply_to.as_ref().map(|r| r.event_id.to_string()),
            Some(t.event_id.to_string()),
        ),
        _ => (None, None),
    };
    let (mentions_room, mentioned_users) = match &m.content.mentions {
        Some(mentions) => (
            mentions.room,
            mentions.user_ids.iter().map(ToString::to_string).collect(),
        ),
        None => (false, Vec::new()),
    };
    Some(Seen {
        room_id: room_id.clone(),
        event_id: m.event_id.clone(),
        sender: m.sender.to_string(),
        body,
        msgtype: msgtype.to_owned(),
        in_reply_to,
        thread_root,
        mentions_room,
        mentioned_users,
        reacts_to: None,
        image: match &m.content.msgtype {
            MessageType::Image(image) => Some(Box::new(image.clone())),
            _ => None,
        },
        encrypted,
        server_ts: m.origin_server_ts.get().into(),
    })
}

/// The bot, as a real `kitbot run` process with its own user, data folder and config.
pub struct Bot {
    pub user_id: String,
    pub name: String,
    pub dir: PathBuf,
    pub config: PathBuf,
    child: Option<Child>,
    log: Arc<Mutex<Vec<String>>>,
    ready: Arc<(Mutex<u32>, std::sync::Condvar)>,
    /// Extra environment for the process (e.g. `KITBOT_TIME_SCALE`).
    pub env: Vec<(String, String)>,
}

/// A Mission Locale for a test config.
pub struct Tenant<'a> {
    pub id: &'a str,
    pub rooms: Vec<String>,
    pub coordination_level: i64,
    /// More TOML lines for this `[[mission_locale]]` (e.g. a `[mission_locale.quiet_hours]` table).
    pub extra: &'a str,
}

impl Bot {
    /// Register a bot user and write its config; `allowed` are the inviter patterns.
    pub async fn new(tenants: &[Tenant<'_>], allowed: &[&str]) -> Bot {
        Self::with_extra(tenants, allowed, "").await
    }

    pub async fn with_extra(tenants: &[Tenant<'_>], allowed: &[&str], extra_bot: &str) -> Bot {
        Self::on(synapse(), tenants, allowed, extra_bot).await
    }

    /// A bot configured for `room_id` only (one Mission Locale "ml-test", with `extra` TOML
    /// lines), invites from anyone on the test server, not started.
    pub async fn for_room(room_id: &OwnedRoomId, extra: &str) -> Bot {
        let tenant = Tenant {
            id: "ml-test",
            rooms: vec![room_id.to_string()],
            coordination_level: 50,
            extra,
        };
        Bot::new(&[tenant], &["localhost"]).await
    }

    /// [`Bot::for_room`], started, invited by `inviter` and joined.
    pub async fn joined(inviter: &Human, room_id: &OwnedRoomId, extra: &str) -> Bot {
        let mut bot = Bot::for_room(room_id, extra).await;
        bot.start();
        let room = inviter.wait_room(room_id).await;
        room.invite_user_by_id(&bot.owned_user_id())
            .await
            .expect("invite");
        inviter.wait_membership(room_id, &bot.user_id, "join").await;
        bot
    }

    /// A bot on a given Synapse.
    pub async fn on(s: &Synapse, tenants: &[Tenant<'_>], allowed: &[&str], extra_bot: &str) -> Bot {
        let name = unique("kitbot");
        let user_id = s.register(&name, "bot-password").await;
        let dir = std::env::temp_dir().join(format!("kitbot-test-{name}"));
        // A folder of an earlier process with the same id holds another server's session.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("bot dir");
        let mut toml = format!(
            "[bot]\ndata_dir = \"{}\"\n{extra_bot}\n[matrix]\nhomeserver = \"{}\"\nuser = \"{user_id}\"\npassword_env = \"KITBOT_TEST_PASSWORD\"\nallowed_inviters = {:?}\n",
            dir.join("data").display(),
            s.url,
            allowed
        );
        for t in tenants {
            toml.push_str(&format!(
                                "\n[[mission_locale]]\nid = \"{}\"\nname = \"ML {}\"\nrooms = {:?}\ncoordination_level = {}\n{}\n",
                t.id, t.id, t.rooms, t.coordination_level, t.extra
            ));
        }
        let config = dir.join("bot.toml");
        std::fs::write(&config, toml).expect("bot.toml");
        Bot {
            user_id,
            name,
            dir,
            config,
            child: None,
            log: Arc::default(),
            ready: Arc::default(),
            env: Vec::new(),
        }
    }

    pub fn owned_user_id(&self) -> OwnedUserId {
        OwnedUserId::try_from(self.user_id.as_str()).expect("bot id")
    }

    /// Start `kitbot run` and wait until it says it is ready.
    pub fn start(&mut self) {
        let before = self.spawn();
        self.wait_ready(before);
    }

    /// Start `kitbot run` without waiting; returns what [`Bot::wait_ready`] waits to change.
    pub fn spawn(&mut self) -> u32 {
        let before = *self.ready.0.lock().expect("ready");
        // Diagnostics only (a benchmark run under a profiler): `KITBOT_TEST_BOT_WRAPPER="heaptrack
        // -o /tmp/bot"` starts the bot through that command. The process id the tests see is
        // then the wrapper's.
        let wrapper = std::env::var("KITBOT_TEST_BOT_WRAPPER").unwrap_or_default();
        let mut words = wrapper.split_whitespace();
        let mut command = match words.next() {
            Some(program) => {
                let mut c = Command::new(program);
                c.args(words).arg(env!("CARGO_BIN_EXE_kitbot"));
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_kitbot")),
        };
        let mut child = command
            .args(["run", "--config"])
            .arg(&self.config)
            .env("KITBOT_TEST_PASSWORD", "bot-password")
            .env("KITBOT_LOG", "warn,kitbot=info")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start kitbot");
        let stderr = child.stderr.take().expect("stderr");
        let (log, ready) = (self.log.clone(), self.ready.clone());
        let file = self.dir.join("bot.log");
        std::thread::spawn(move || {
            let mut out = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(file)
                .ok();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(out) = out.as_mut() {
                    let _ = writeln!(out, "{line}");
                }
                if line.contains("kitbot is ready") {
                    *ready.0.lock().expect("ready") += 1;
                    ready.1.notify_all();
                }
                log.lock().expect("log").push(line);
            }
        });
        self.child = Some(child);
        before
    }

    /// Wait until the bot started by [`Bot::spawn`] says it is ready.
    pub fn wait_ready(&mut self, before: u32) {
        let mut child = self.child.take().expect("a started bot");
        let (lock, cvar) = &*self.ready;
        let deadline = Instant::now() + TIMEOUT;
        let mut guard = lock.lock().expect("ready");
        while *guard == before {
            if let Ok(Some(status)) = child.try_wait() {
                drop(guard);
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "kitbot exited ({status}) before being ready:\n{}",
                    self.log().join("\n")
                );
            }
            assert!(
                Instant::now() < deadline,
                "kitbot not ready in time:\n{}",
                self.log().join("\n")
            );
            guard = cvar
                .wait_timeout(guard, Duration::from_millis(100))
                .expect("wait ready")
                .0;
        }
        drop(guard);
        self.child = Some(child);
    }

    /// Wait until a line of the bot's log contains `text`.
    pub fn wait_log(&self, text: &str) {
        let deadline = Instant::now() + TIMEOUT;
        while !self.log().iter().any(|line| line.contains(text)) {
            assert!(
                Instant::now() < deadline,
                "kitbot never logged {text:?}:\n{}",
                self.log().join("\n")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: no shutdown path runs, nothing is flushed on the way out.
    pub fn kill_9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Wait until the process exits by itself (a fault it was told to inject); its status.
    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("a running bot");
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("kitbot did not exit:\n{}", self.log().join("\n"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, then wait for a clean exit; returns the exit status code.
    pub fn stop(&mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status.code();
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("kitbot did not stop on SIGTERM:\n{}", self.log().join("\n"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The bot process's id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn log(&self) -> Vec<String> {
        self.log.lock().expect("log").clone()
    }

    /// The saved session's device id.
    pub fn device_id(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("data/matrix/session.json"))
            .expect("session.json");
        let value: serde_json::Value = serde_json::from_str(&text).expect("json");
        value["session"]["device_id"]
            .as_str()
            .expect("device_id")
            .to_owned()
    }

    pub fn access_token(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("data/matrix/session.json"))
            .expect("session.json");
        let value: serde_json::Value = serde_json::from_str(&text).expect("json");
        value["session"]["access_token"]
            .as_str()
            .expect("token")
            .to_owned()
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Count how many times each key occurs.
pub fn counts<T: std::hash::Hash + Eq>(items: impl IntoIterator<Item = T>) -> HashMap<T, usize> {
    let mut map = HashMap::new();
    for item in items {
        *map.entry(item).or_insert(0) += 1;
    }
    map
}
