//! The HTML report through the real binary and a real browser. A Mission Locale's March and
//! April are played through the engine on a fixed clock (reflections, a parcours with ✅ on
//! its steps, nudges, all delivered by the scheduler and the outbox as in the bot), into a data
//! folder; then `kitbot export --format html` writes the report and headless Chromium renders
//! it: the figures must be in the page it built, the Mission Locale's odd name must arrive as
//! text (escaped), and `--since` / `--until` must cut the period.
//!
//! Chromium is Debian's `chromium` package; `scripts/test` installs it where it is missing.
//! Without it this test fails, loudly: it never passes without a browser.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use kitbot::config::Config;
use kitbot::core::{FixedClock, Incoming, IncomingKind, Outgoing, Role};
use kitbot::engine::{Engine, Parts};
use kitbot::outbox::{SendError, Transport};
use kitbot::store::Store;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const ROOM: &str = "!equipe:ml-test.fr";
const COORD: &str = "@camille:ml-test.fr";
const MISSION_NAME: &str = "ML <Test> & \"Co\"";
/// How long a browser run may take on a busy machine.
const BROWSER_TIMEOUT: StdDuration = StdDuration::from_secs(180);

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("valid")
        .with_timezone(&Utc)
}

/// One Mission Locale, no quiet hours (steps and nudges go out when they are due).
fn write_config(dir: &Path) -> PathBuf {
    let config = dir.join("bot.toml");
    std::fs::write(
        &config,
        format!(
            "[bot]\ndata_dir = \"{}\"\n\n[[mission_locale]]\nid = \"ml-test\"\nname = {}\n\
             timezone = \"Europe/Paris\"\nrooms = [\"{ROOM}\"]\n\
             [mission_locale.quiet_hours]\nweekends = false\nholidays = false\n\
             start = \"00:00\"\nend = \"00:00\"\n",
            dir.join("data").display(),
            toml_string(MISSION_NAME),
        ),
    )
    .expect("bot.toml");
    config
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The homeserver stand-in: every send accepted, posts handed to the test.
struct Accept {
    sent: mpsc::UnboundedSender<(String, Outgoing)>,
    count: AtomicUsize,
}

impl Transport for Accept {
    async fn send(&self, _txn: &str, out: &Outgoing) -> Result<Option<String>, SendError> {
        let n = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        let event_id = format!("$post{n}");
        let _ = self.sent.send((event_id.clone(), out.clone()));
        Ok(Some(event_id))
    }
}

struct Team {
    engine: Engine,
    clock: FixedClock,
    posts: mpsc::UnboundedReceiver<(String, Outgoing)>,
    shutdown: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    events: usize,
}

impl Team {
    fn start(config: Config, now: &str) -> Team {
        let commands = Engine::load_commands(&config).expect("commands");
        let kit = Engine::load_kit(&config).expect("kit");
        let store = Store::open(&config.store_dir()).expect("store");
        let clock = FixedClock::new(t(now));
        let engine = Engine::new(Parts {
            config,
            commands,
            kit,
            store,
            clock: Arc::new(clock.clone()),
        });
        let (tx, posts) = mpsc::unbounded_channel();
        let shutdown = CancellationToken::new();
        let scheduler = tokio::spawn(kitbot::nudges::scheduler::run(
            engine.scheduler_env(),
            shutdown.clone(),
        ));
        let delivery = tokio::spawn(kitbot::outbox::deliver(
            engine.outbox().clone(),
            Arc::new(Accept {
                sent: tx,
                count: AtomicUsize::new(0),
            }),
            engine.delivered_hook(),
            shutdown.clone(),
        ));
        Team {
            engine,
            clock,
            posts,
            shutdown,
            tasks: vec![scheduler, delivery],
            events: 0,
        }
    }

    fn incoming(&mut self, sender: &str, role: Role, kind: IncomingKind) -> Incoming {
        self.events += 1;
        Incoming {
            tenant: "ml-test".into(),
            room_id: ROOM.into(),
            is_direct: false,
            sender: sender.into(),
            role,
            addressed: false,
            event_id: format!("$ev{}", self.events),
            thread_root: None,
            sent_at: self.engine.now(),
            kind,
            quoted: None,
        }
    }

    /// A message, handled and its answers queued, as the bot does.
    async fn say(&mut self, sender: &str, role: Role, body: &str) {
        let incoming = self.incoming(sender, role, IncomingKind::Message { body: body.into() });
        self.engine.process(&incoming).await;
    }

    async fn react(&mut self, sender: &str, target: &str) {
        let incoming = self.incoming(
            sender,
            Role::Membre,
            IncomingKind::Reaction {
                target: target.into(),
                key: "✅".into(),
                target_sender: None,
                target_body: None,
            },
        );
        self.engine.process(&incoming).await;
    }

    /// Move the clock and tokio's paused time together.
    async fn advance(&self, by: Duration) {
        self.clock.advance(by);
        tokio::time::advance(by.to_std().expect("positive")).await;
    }

    /// The next room post whose text contains `needle` (answers to commands are skipped).
    async fn post(&mut self, needle: &str) -> String {
        loop {
            let next = tokio::time::timeout(StdDuration::from_secs(3600), self.posts.recv())
                .await
                .unwrap_or_else(|_| panic!("no post with {needle:?}"))
                .expect("delivery running");
            if let (event_id, Outgoing::Post { markdown, .. }) = next {
                if markdown.contains(needle) {
                    // Let the delivered hook record what the post was.
                    tokio::time::sleep(StdDuration::from_millis(10)).await;
                    return event_id;
                }
            }
        }
    }

    /// Stop the background tasks, flush, and let the data folder go (sled locks it).
    async fn stop(self) {
        self.shutdown.cancel();
        for task in self.tasks {
            task.await.expect("tasks end cleanly");
        }
        self.engine.store().flush().await.expect("flush");
    }
}

/// March and April 2026 of the Mission Locale "ml-test".
async fn play(config: Config) {
    let mut team = Team::start(config, "2026-03-02T08:00:00Z");
    let alice = "@alice:ml-test.fr";
    team.say(alice, Role::Membre, "!consentement oui").await;
    team.say(
        alice,
        Role::Membre,
        "!reflexion Le rappel la veille a évité deux absences #fiche:sms-rappel",
    )
    .await;
    team.say(
        COORD,
        Role::Coordination,
        "!parcours demarrer premiers-pas chaque jour à 10h",
    )
    .await;
    // Monday 2 March, 10:00 in Paris: step 1; Bob and Carla try it.
    team.advance(Duration::hours(1)).await;
    let step1 = team.post("étape 1 sur").await;
    team.react("@bob:ml-test.fr", &step1).await;
    team.react("@carla:ml-test.fr", &step1).await;
    team.say(
        COORD,
        Role::Coordination,
        "!relance dans 1 heure : Café équipe",
    )
    .await;
    team.advance(Duration::hours(1)).await;
    team.post("Café équipe").await;
    // Tuesday 3 March: step 2; Bob tries it, and the parcours stops there.
    team.advance(Duration::hours(23)).await;
    let step2 = team.post("étape 2 sur").await;
    team.react("@bob:ml-test.fr", &step2).await;
    team.say(COORD, Role::Coordination, "!parcours arreter")
        .await;
    team.advance(Duration::days(7)).await;
    team.say(
        alice,
        Role::Membre,
        "!reflexion Le SMS de rappel marche aussi pour les ateliers #fiche:sms-rappel",
    )
    .await;
    // Friday 3 April: one more reflection, no card, and a nudge.
    team.advance(Duration::days(24)).await;
    team.say(
        alice,
        Role::Membre,
        "!reflexion Atelier collectif réussi grâce au groupe",
    )
    .await;
    team.say(
        COORD,
        Role::Coordination,
        "!relance dans 1 heure : Point d'avril",
    )
    .await;
    team.advance(Duration::hours(1)).await;
    team.post("Point d'avril").await;
    team.stop().await;
}

fn export_html(config: &Path, out: &Path, period: &[&str]) {
    let output = Command::new(env!("CARGO_BIN_EXE_kitbot"))
        .args(["export", "--mission-locale", "ml-test", "--format", "html"])
        .args(period)
        .arg("--output")
        .arg(out)
        .arg("--config")
        .arg(config)
        .env("KITBOT_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run kitbot export");
    assert!(
        output.status.success(),
        "kitbot export failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("Rapport HTML écrit"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The browser: `KITBOT_CHROMIUM`, or Debian's `chromium` on the PATH.
fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("KITBOT_CHROMIUM") {
        return PathBuf::from(path);
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromium"))
            .find(|candidate| candidate.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "chromium is not installed: this test renders the HTML report in headless \
             Chromium. `scripts/test` installs it (apt-get install chromium); or set \
             KITBOT_CHROMIUM to a Chromium binary."
        )
    })
}

/// The page as headless Chromium built it (its DOM, serialised after loading).
fn rendered_dom(page: &Path, profile: &Path) -> String {
    let url = format!("file://{}", page.display());
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--allow-file-access-from-files",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut std::io::BufReader::new(stdout), &mut text);
        text
    });
    let deadline = Instant::now() + BROWSER_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait chromium") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish rendering {url} in {BROWSER_TIMEOUT:?}");
        }
        std::thread::sleep(StdDuration::from_millis(50));
    };
    let dom = reader.join().expect("reader");
    assert!(status.success(), "chromium failed ({status}) on {url}");
    assert!(dom.contains("</html>"), "no page rendered: {dom:?}");
    dom
}

/// Cells of a table row as Chromium serialises them.
fn row(cells: &[(&str, bool)]) -> String {
    let mut out = String::from("<tr>");
    for (text, numeric) in cells {
        if *numeric {
            out.push_str(&format!("<td class=\"n\">{text}</td>"));
        } else {
            out.push_str(&format!("<td>{text}</td>"));
        }
    }
    out.push_str("</tr>");
    out
}

fn assert_has(dom: &str, what: &str) {
    assert!(
        dom.contains(what),
        "missing {what:?} in the rendered page:\n{dom}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_html_report_shows_the_periods_figures_in_a_browser() {
    let dir = tempfile::tempdir().expect("tmp");
    let config_path = write_config(dir.path());
    let config = Config::load(Some(&config_path)).expect("config");
    play(config).await;
    let card = "Rappeler un rendez-vous par SMS";

    let page = dir.path().join("rapport.html");
    export_html(&config_path, &page, &[]);
    let html = std::fs::read_to_string(&page).expect("report written");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&page).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the report is the operator's alone");
    }
    for external in ["<script", "src=", "href=", "http:", "https:", "<link"] {
        assert!(
            !html.contains(external),
            "{external}: the page is self-contained"
        );
    }
    assert!(
        !html.contains("évité deux absences") && !html.contains(COORD),
        "no reflection text, no person in the report"
    );

    let dom = rendered_dom(&page, &dir.path().join("chromium-profile"));
    // The name arrives as text, not as a <test> element.
    assert_has(
        &dom,
        "<h1>Rapport d'activité — ML &lt;Test&gt; &amp; \"Co\"</h1>",
    );
    assert!(!dom.contains("<test>"), "the mission's name became markup");
    // Key figures: 3 reflections, 1 parcours, 3 ✅ (2 on step 1, 1 on step 2), 2 nudges.
    assert_has(&dom, "<li><strong>3</strong>réflexions partagées</li>");
    assert_has(&dom, "<li><strong>1</strong>parcours suivis</li>");
    assert_has(&dom, "<li><strong>3</strong>essais d'une étape</li>");
    assert_has(&dom, "<li><strong>2</strong>relances envoyées</li>");
    // Adoption per step.
    assert_has(
        &dom,
        "<h3>Premiers pas à distance (suivi dans 1 salon)</h3>",
    );
    assert_has(
        &dom,
        "<tr><td class=\"n\">1</td><td>Observer les usages numériques de vos jeunes <code>observer-usages</code></td><td class=\"n\">1</td><td class=\"n\">2</td></tr>",
    );
    assert!(
        dom.contains("<tr><td class=\"n\">2</td><td>")
            && dom.contains("</code></td><td class=\"n\">1</td><td class=\"n\">1</td></tr>"),
        "step 2: posted in 1 room, tried by 1 person:\n{dom}"
    );
    // Reflections per month and per card.
    assert_has(&dom, &row(&[("mars 2026", false), ("2", true)]));
    assert_has(&dom, &row(&[("avril 2026", false), ("1", true)]));
    assert_has(
        &dom,
        &format!("<tr><td>{card} <code>sms-rappel</code></td><td class=\"n\">2</td></tr>"),
    );
    assert_has(&dom, &row(&[("Sans fiche", false), ("1", true)]));
    // Nudges and steps sent per month.
    assert_has(
        &dom,
        &row(&[("mars 2026", false), ("1", true), ("2", true)]),
    );
    assert_has(
        &dom,
        &row(&[("avril 2026", false), ("1", true), ("0", true)]),
    );
    assert_has(&dom, &row(&[("Total", false), ("2", true), ("2", true)]));
    // Charts are inline SVG with their accessible names.
    assert_has(&dom, "<title>Réflexions partagées par mois</title>");
    assert_eq!(dom.matches("<svg").count(), 4, "{dom}");

    // April only: one reflection, one nudge, no parcours.
    let april = dir.path().join("avril.html");
    export_html(&config_path, &april, &["--since", "2026-04-01"]);
    let dom = rendered_dom(&april, &dir.path().join("chromium-profile"));
    assert_has(&dom, "Période : depuis le 01/04/2026.");
    assert_has(&dom, "<li><strong>1</strong>réflexions partagées</li>");
    assert_has(&dom, "Aucun parcours pendant la période.");
    assert_has(
        &dom,
        &row(&[("avril 2026", false), ("1", true), ("0", true)]),
    );
    assert!(!dom.contains("mars 2026"), "{dom}");

    // March only, through --until (the day included).
    let march = dir.path().join("mars.html");
    export_html(
        &config_path,
        &march,
        &["--since", "2026-03-01", "--until", "2026-03-31"],
    );
    let dom = rendered_dom(&march, &dir.path().join("chromium-profile"));
    assert_has(&dom, "Période : du 01/03/2026 au 31/03/2026 inclus.");
    assert_has(&dom, "<li><strong>2</strong>réflexions partagées</li>");
    assert_has(&dom, "<li><strong>3</strong>essais d'une étape</li>");
    assert!(!dom.contains("avril 2026"), "{dom}");
}
