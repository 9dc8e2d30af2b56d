//! `kitbot demo`: try kitbot with any Matrix client on this machine, in one command. It starts
//! a local Synapse (installed into a virtualenv the first time: `python3` with `venv` and `pip`
//! is all it needs), registers the bot and a demo user, creates the demo Mission Locale's room
//! with a nudge, a parcours and a reflection, runs `kitbot run` on it, prints how to log in,
//! and stops everything it started on Ctrl-C.
//!
//! Everything lives in one folder (`--dir`, default `kitbot-demo`): Synapse's data, the bot's
//! config and data, the logs. Run it again and it starts where it stopped; delete the folder to
//! start over. `--setup-only` stops after the set-up (the test suite uses it).

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::api::client::room::create_room::v3::Request as CreateRoom;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
use matrix_sdk::ruma::{OwnedRoomAliasId, OwnedUserId};
use matrix_sdk::{Client, Room, RoomState};

use crate::strings::demo as s;

/// The Synapse version installed when none is found (the one the test suite pins).
pub const SYNAPSE_VERSION: &str = "1.163.2";
const BOT_PASSWORD: &str = "kitbot-demo-password";
pub const DEMO_USER: &str = "demo";
pub const DEMO_PASSWORD: &str = "demo-password";
const ALIAS: &str = "equipe-demo";
const SECRET: &str = "kitbot-demo-secret";
const WAIT: Duration = Duration::from_secs(120);

/// What `kitbot demo` was asked.
pub struct Options {
    pub dir: PathBuf,
    pub port: u16,
    pub setup_only: bool,
}

/// The processes the demo started; both are stopped when this is dropped.
struct Started {
    synapse: Option<Child>,
    bot: Option<Child>,
}

impl Started {
    fn stop(&mut self) {
        if let Some(bot) = self.bot.take() {
            terminate(bot, "kitbot");
        }
        if let Some(synapse) = self.synapse.take() {
            terminate(synapse, "synapse");
        }
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        self.stop();
    }
}

/// SIGTERM, then wait (SIGKILL after 15 s).
fn terminate(mut child: Child, what: &str) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    tracing::warn!(what, "did not stop on SIGTERM; killed");
    let _ = child.kill();
    let _ = child.wait();
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    std::fs::create_dir_all(&options.dir).with_context(|| format!("{}", options.dir.display()))?;
    let dir = options.dir.canonicalize()?;
    let python = ensure_synapse(&dir)?;
    let url = format!("http://127.0.0.1:{}", options.port);
    let mut started = Started {
        synapse: None,
        bot: None,
    };
    eprintln!("{}", s::starting_synapse(&url));
    started.synapse = Some(start_synapse(&python, &dir.join("synapse"), options.port)?);
    wait_ready(options.port)?;
    for (user, password) in [("kitbot", BOT_PASSWORD), (DEMO_USER, DEMO_PASSWORD)] {
        register(&python, &url, user, password)?;
    }
    let config = write_bot_config(&dir, &url)?;
    eprintln!("{}", s::STARTING_BOT);
    let log = std::fs::File::create(dir.join("kitbot.log"))?;
    started.bot = Some(
        Command::new(std::env::current_exe()?)
            .args(["run", "--config"])
            .arg(&config)
            .env("KITBOT_DEMO_PASSWORD", BOT_PASSWORD)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("kitbot run")?,
    );
    let room = seed(&dir, &url).await?;
    println!("{}", s::ready(&url, DEMO_USER, DEMO_PASSWORD, &room));
    if options.setup_only {
        started.stop();
        return Ok(());
    }
    tokio::signal::ctrl_c().await?;
    eprintln!("{}", s::STOPPING);
    started.stop();
    Ok(())
}

/// The virtualenv's python with Synapse: `KITBOT_SYNAPSE_VENV`, the repository's
/// `.venv-synapse` when run from it, or one installed now in the demo folder.
fn ensure_synapse(dir: &Path) -> anyhow::Result<PathBuf> {
    let candidates: Vec<PathBuf> = std::env::var_os("KITBOT_SYNAPSE_VENV")
        .map(PathBuf::from)
        .into_iter()
        .chain([PathBuf::from(".venv-synapse"), dir.join("venv")])
        .collect();
    for venv in &candidates {
        let python = venv.join("bin/python");
        if has_synapse(&python) {
            // Absolute, but not resolved: a virtualenv's python is a symlink to the system's.
            return Ok(std::path::absolute(&python)?);
        }
    }
    let venv = dir.join("venv");
    eprintln!(
        "{}",
        s::installing_synapse(SYNAPSE_VERSION, &venv.display().to_string())
    );
    let ok = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .context("python3 -m venv")?
        .success()
        && Command::new(venv.join("bin/pip"))
            .args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                &format!("matrix-synapse=={SYNAPSE_VERSION}"),
            ])
            .status()
            .context("pip install matrix-synapse")?
            .success();
    let python = venv.join("bin/python");
    if !ok || !has_synapse(&python) {
        bail!("{}", s::INSTALL_FAILED);
    }
    Ok(python)
}

fn has_synapse(python: &Path) -> bool {
    python.exists()
        && Command::new(python)
            .args(["-c", "import synapse"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

/// Generate Synapse's keys once, write its config, and start it. The process dies with
/// `kitbot demo` (PR_SET_PDEATHSIG), whatever happens to it.
fn start_synapse(python: &Path, dir: &Path, port: u16) -> anyhow::Result<Child> {
    std::fs::create_dir_all(dir)?;
    if !dir.join("localhost.signing.key").exists() {
        let status = Command::new(python)
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
            .current_dir(dir)
            .stdout(Stdio::null())
            .status()?;
        if !status.success() {
            bail!("synapse --generate-config");
        }
        let log = dir.join("localhost.log.config");
        if let Ok(text) = std::fs::read_to_string(&log) {
            std::fs::write(&log, text.replace("level: INFO", "level: WARNING"))?;
        }
    }
    let d = dir.display();
    std::fs::write(
        dir.join("homeserver.yaml"),
        format!(
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
registration_shared_secret: "{SECRET}"
enable_registration: false
report_stats: false
macaroon_secret_key: "{SECRET}-macaroon"
form_secret: "{SECRET}-form"
trusted_key_servers: []
suppress_key_server_warning: true
presence:
  enabled: false
federation_domain_whitelist: []
"#
        ),
    )?;
    let script = "import ctypes, os, signal, sys\n\
                  ctypes.CDLL('libc.so.6').prctl(1, signal.SIGTERM)\n\
                  os.execv(sys.executable, [sys.executable, '-m', 'synapse.app.homeserver', '-c', 'homeserver.yaml'])";
    let log = std::fs::File::create(dir.join("synapse.log"))?;
    Ok(Command::new(python)
        .args(["-c", script])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()?)
}

/// Wait until Synapse answers `/_matrix/client/versions`.
fn wait_ready(port: u16) -> anyhow::Result<()> {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let request = "GET /_matrix/client/versions HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
            if stream.write_all(request.as_bytes()).is_ok() {
                let mut first = String::new();
                if BufReader::new(stream).read_line(&mut first).is_ok() && first.contains(" 200 ") {
                    return Ok(());
                }
            }
        }
        if Instant::now() > deadline {
            bail!("{}", s::SYNAPSE_NOT_READY);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Register a user with the shared secret (nothing happens when it exists).
fn register(python: &Path, url: &str, user: &str, password: &str) -> anyhow::Result<()> {
    let tool = python.with_file_name("register_new_matrix_user");
    let out = Command::new(tool)
        .args([
            "-k",
            SECRET,
            "-u",
            user,
            "-p",
            password,
            "--no-admin",
            "--exists-ok",
            url,
        ])
        .stdin(Stdio::null())
        .output()
        .context("register_new_matrix_user")?;
    if !out.status.success() {
        bail!(
            "register_new_matrix_user {user}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// The demo's `bot.toml`: one Mission Locale, its room by alias, no quiet hours (a demo runs
/// at any hour).
fn write_bot_config(dir: &Path, url: &str) -> anyhow::Result<PathBuf> {
    let path = dir.join("bot.toml");
    let text = format!(
        r##"# Written by `kitbot demo`.
[bot]
data_dir = "{data}"

[matrix]
homeserver = "{url}"
user = "@kitbot:localhost"
password_env = "KITBOT_DEMO_PASSWORD"
allowed_inviters = ["localhost"]

[[mission_locale]]
id = "demo"
name = "Mission Locale de démonstration"
timezone = "Europe/Paris"
rooms = ["#{ALIAS}:localhost"]
coordination_level = 50

[mission_locale.quiet_hours]
start = "00:00"
end = "00:00"
weekends = false
holidays = false
"##,
        data = dir.join("bot-data").display()
    );
    crate::files::create_private_file(&path)?.write_all(text.as_bytes())?;
    Ok(path)
}

/// As the demo user: the team room (created the first time, with the bot invited), and the
/// first time only, a few commands so that there is something to see. The room's alias.
async fn seed(dir: &Path, url: &str) -> anyhow::Result<String> {
    let client = Client::builder().homeserver_url(url).build().await?;
    client
        .matrix_auth()
        .login_username(DEMO_USER, DEMO_PASSWORD)
        .initial_device_display_name("kitbot demo")
        .send()
        .await?;
    client.sync_once(SyncSettings::default()).await?;
    let alias: OwnedRoomAliasId = format!("#{ALIAS}:localhost").as_str().try_into()?;
    let bot: OwnedUserId = "@kitbot:localhost".try_into()?;
    let room = match client.resolve_room_alias(&alias).await {
        Ok(found) => match client.get_room(&found.room_id) {
            Some(room) if room.state() == RoomState::Joined => room,
            _ => client.join_room_by_id(&found.room_id).await?,
        },
        Err(_) => {
            let mut request = CreateRoom::new();
            request.name = Some(s::ROOM_NAME.to_owned());
            request.room_alias_name = Some(ALIAS.to_owned());
            request.invite = vec![bot.clone()];
            client.create_room(request).await?
        }
    };
    wait_for_bot(&client, &room, &bot).await?;
    let marker = dir.join("seeded");
    if !marker.exists() {
        for command in s::SEED_COMMANDS {
            room.send(RoomMessageEventContent::text_plain(*command))
                .await?;
        }
        wait_for_answers(&client, &room, &bot, s::SEED_COMMANDS.len()).await?;
        std::fs::write(&marker, b"")?;
    }
    Ok(alias.to_string())
}

/// Wait until the bot has joined `room` (invited again if it is not there).
async fn wait_for_bot(client: &Client, room: &Room, bot: &OwnedUserId) -> anyhow::Result<()> {
    let deadline = Instant::now() + WAIT;
    let mut invited = false;
    loop {
        client
            .sync_once(SyncSettings::default().timeout(Duration::from_secs(1)))
            .await?;
        match room.get_member(bot).await? {
            Some(m)
                if *m.membership()
                    == matrix_sdk::ruma::events::room::member::MembershipState::Join =>
            {
                return Ok(())
            }
            Some(_) => {}
            None if !invited => {
                room.invite_user_by_id(bot).await?;
                invited = true;
            }
            None => {}
        }
        if Instant::now() > deadline {
            bail!("{}", s::BOT_DID_NOT_JOIN);
        }
    }
}

/// How many of the demo room's latest events are read to count the bot's answers: all of them
/// (about 25 after the seeding).
const HISTORY_PAGE: u32 = 200;

/// Wait until the bot has posted at least `count` messages in `room`.
async fn wait_for_answers(
    client: &Client,
    room: &Room,
    bot: &OwnedUserId,
    count: usize,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + WAIT;
    loop {
        client
            .sync_once(SyncSettings::default().timeout(Duration::from_secs(1)))
            .await?;
        // The whole of the demo's young room, not the last 10 events (the default): the bot's
        // profile changes (member events) can land between its answers and push one out.
        let mut options = matrix_sdk::room::MessagesOptions::backward();
        options.limit = HISTORY_PAGE.into();
        let messages = room.messages(options).await?;
        let answers = messages
            .chunk
            .iter()
            .filter(|e| {
                e.raw()
                    .get_field::<String>("sender")
                    .ok()
                    .flatten()
                    .as_deref()
                    == Some(bot.as_str())
                    && e.raw()
                        .get_field::<String>("type")
                        .ok()
                        .flatten()
                        .as_deref()
                        == Some("m.room.message")
            })
            .count();
        if answers >= count {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{}", s::BOT_DID_NOT_ANSWER);
        }
    }
}
