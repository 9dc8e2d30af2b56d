//! The `kitbot` binary as an operator and a newcomer use it: `check`, `console` driven by a
//! script, `ask` and `schedule`, including broken inputs.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn kitbot(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kitbot"))
        .args(args)
        .env("KITBOT_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kitbot");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("output")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

#[test]
fn check_passes_on_the_shipped_example() {
    let out = kitbot(&["check"], "");
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("fiches") && stdout.contains("conservation des réflexions 12 mois"),
        "{stdout}"
    );
}

#[test]
fn check_reports_every_problem_with_file_and_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = dir.path().join("bot.toml");
    std::fs::write(
        &config,
        "[bot]\nprefix = \"!\"\n\n[[mission_locale]]\nid = \"Mauvais Id\"\nname = \"x\"\ntimezone = \"Mars/Olympus\"\n",
    )
    .expect("write");
    let out = kitbot(&["check", "--config", config.to_str().expect("utf8")], "");
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("bot.toml:5:") && stderr.contains("bot.toml:7:"),
        "{stderr}"
    );

    // A malformed card in a kit folder is reported with its file and line, not dropped.
    let kit = dir.path().join("kit-snippets");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("kit-snippets"),
        &kit,
    );
    let card = kit.join("sms-rappel.md");
    let original = std::fs::read_to_string(&card).expect("card");
    std::fs::write(&card, original.replacen("niveau = ", "niveau = \"", 1)).expect("corrupt");
    let example =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("bot.toml.example"))
            .expect("example");
    std::fs::write(
        &config,
        example.replace(
            "# kit_dir = \"kit-snippets\"",
            &format!("kit_dir = {:?}", kit.display().to_string()),
        ),
    )
    .expect("write");
    let out = kitbot(&["check", "--config", config.to_str().expect("utf8")], "");
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("sms-rappel.md:"), "{stderr}");
    // And the bot refuses to start with it.
    let out = kitbot(
        &[
            "console",
            "--config",
            config.to_str().expect("utf8"),
            "--data-dir",
            dir.path().join("d").to_str().expect("utf8"),
        ],
        "!ping\n",
    );
    assert!(!out.status.success(), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("sms-rappel.md"));
    // `kitbot run` loads the kit while it restores its Matrix session: the kit's problem is
    // still the one reported (here the session cannot be made either: no password, no server).
    let data = dir.path().join("run-data");
    let text_of_config = std::fs::read_to_string(&config).expect("read");
    std::fs::write(
        &config,
        text_of_config
            .replace(
                "data_dir = \"kitbot-data\"",
                &format!("data_dir = {:?}", data.display().to_string()),
            )
            .replace("https://matrix.example.org", "http://127.0.0.1:9"),
    )
    .expect("write");
    let out = kitbot(&["run", "--config", config.to_str().expect("utf8")], "");
    assert!(!out.status.success(), "{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("fiches du kit invalides") && stderr.contains("sms-rappel.md"),
        "{stderr}"
    );
}

#[test]
fn a_scripted_console_session() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let script = "!ping\n!aide\nbonjour\n!kit premier rdv en visio\n!fiche inconnue\n!zzz\n";
    let out = kitbot(
        &["console", "--data-dir", data.to_str().expect("utf8")],
        script,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for expected in [
        "Pong",
        "Commandes disponibles",
        "visio-premier-rdv",
        "Je ne connais pas",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    // 64 KB of odd input: an answer, and the console is still alive for the next line.
    let huge = format!("!kit {}\n!ping\n", "é👍<b>*".repeat(10_000));
    let out = kitbot(
        &["console", "--data-dir", data.to_str().expect("utf8")],
        &huge,
    );
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("Pong"));
}

#[test]
fn console_refuses_a_corrupt_config_clearly() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = dir.path().join("bot.toml");
    std::fs::write(&config, "[[[ pas du toml").expect("write");
    let out = kitbot(&["console", "--config", config.to_str().expect("utf8")], "");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("configuration invalide"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn ask_and_schedule_for_scripts() {
    let out = kitbot(
        &[
            "ask",
            "rappel de rdv par texto",
            "--format",
            "json",
            "--top",
            "3",
        ],
        "",
    );
    assert!(out.status.success());
    let hits: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(hits[0]["id"], "sms-rappel", "{hits}");
    assert!(hits.as_array().is_some_and(|a| a.len() <= 3));

    let out = kitbot(
        &[
            "schedule",
            "chaque lundi à 9h",
            "--from",
            "2026-11-26T10:00:00+01:00",
            "--format",
            "json",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let times: Vec<String> = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        times,
        [
            "2026-11-30T09:00:00+01:00",
            "2026-12-07T09:00:00+01:00",
            "2026-12-14T09:00:00+01:00"
        ]
    );

    let out = kitbot(&["schedule", "quand ça te chante"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("Exemple"),
        "{}",
        text(&out.stderr)
    );
}

/// `/metrics` and `/health` on the configured address, scraped over HTTP while the console
/// runs: the command counter moves with each command; with `--log-format json`, one JSON line
/// per command, without the message's text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_health_are_served_and_move() {
    use std::io::{BufRead as _, BufReader};
    let dir = tempfile::tempdir().expect("tmp");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("free port")
        .local_addr()
        .expect("addr")
        .port();
    let example =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("bot.toml.example"))
            .expect("example");
    let config = dir.path().join("bot.toml");
    std::fs::write(
        &config,
        example.replace(
            "# metrics_address = \"127.0.0.1:9464\"",
            &format!("metrics_address = \"127.0.0.1:{port}\""),
        ),
    )
    .expect("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kitbot"))
        .args(["--log-format", "json", "console", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env("KITBOT_LOG", "kitbot=info")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kitbot");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, answers) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let wait_line = |needle: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = answers.recv_timeout(left).expect("an answer in time");
            if line.contains(needle) {
                return;
            }
        }
    };
    let client = reqwest::Client::new();
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let get = |path: &'static str| {
        let (client, url) = (client.clone(), url(path));
        async move {
            // The endpoint starts with the console: try until it answers.
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(180);
            loop {
                match client.get(&url).send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        return (status, response.text().await.expect("body"));
                    }
                    Err(err) => {
                        assert!(tokio::time::Instant::now() < deadline, "{url}: {err}");
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    }
                }
            }
        }
    };
    let counter = |body: &str| {
        body.lines()
            .find(|l| l.starts_with("kitbot_commands_total{command=\"ping\",outcome=\"ok\"}"))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    writeln!(stdin, "!ping").expect("write");
    wait_line("Pong");
    let (status, body) = get("/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(counter(&body), 1.0, "{body}");
    assert!(body.contains("kitbot_command_seconds_bucket"), "{body}");
    writeln!(stdin, "!ping").expect("write");
    wait_line("Pong");
    assert_eq!(counter(&get("/metrics").await.1), 2.0);
    let (status, health) = get("/health").await;
    assert_eq!(status, 200, "{health}");
    let health: serde_json::Value = serde_json::from_str(&health).expect("json");
    assert_eq!(health["status"], "ok");
    assert_eq!(get("/nothing").await.0, 404);
    writeln!(stdin, "!kit visio avec Kevin Martin").expect("write");
    wait_line("!theme");
    // A reflection refused by the guard moves its counter.
    writeln!(stdin, "!consentement oui").expect("write");
    wait_line("noté");
    writeln!(
        stdin,
        "!reflexion Kevin Martin au 06 12 34 56 78 a aimé la visio"
    )
    .expect("write");
    wait_line("Je n'ai rien enregistré");
    let body = get("/metrics").await.1;
    assert!(
        body.contains("kitbot_reflections_total{outcome=\"refused\"} 1"),
        "{body}"
    );
    drop(stdin);
    let out = child.wait_with_output().expect("exit");
    let logs = text(&out.stderr);
    let handled: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["fields"]["message"] == "command handled")
        .collect();
    assert_eq!(handled.len(), 5, "{logs}");
    assert_eq!(handled[0]["fields"]["command"], "ping");
    assert!(
        !logs.contains("Kevin"),
        "a message's text reached the logs: {logs}"
    );
}

/// The shipped systemd unit passes `systemd-analyze verify` (with ExecStart pointing at the
/// binary under test). Machines without systemd-analyze say so and skip the check.
#[test]
fn the_systemd_unit_verifies() {
    let unit = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/kitbot.service"),
    )
    .expect("contrib/kitbot.service");
    for hardening in [
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "DynamicUser=yes",
        "StateDirectory=kitbot",
        "Restart=on-failure",
        "UMask=0077",
    ] {
        assert!(unit.contains(hardening), "{hardening} missing");
    }
    let Ok(version) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!("systemd-analyze is not installed: the unit is not verified on this machine");
        return;
    };
    assert!(version.status.success());
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("kitbot.service");
    std::fs::write(
        &path,
        unit.replace("/usr/local/bin/kitbot", env!("CARGO_BIN_EXE_kitbot")),
    )
    .expect("write unit");
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "systemd-analyze verify: {}",
        text(&out.stderr)
    );
}

/// Questions passed on through the console, listed by `kitbot questions`: grouped by meaning
/// ("rdv visio" and "rendez-vous en visio" together), most frequent first, the one with a
/// person's name never kept, and nothing about who asked.
#[test]
fn questions_passed_on_in_the_console_are_listed_in_groups() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let script = "\
!kit permis bateau pour un jeune
!transmettre
!transmettre rdv visio avec interprete en langue des signes
!transmettre rendez-vous en visio avec interprète langue des signes
!transmettre RDV visio interprete langue des signes
!transmettre le jeune Kevin Durand veut un permis bateau
";
    let out = kitbot(
        &[
            "console",
            "--data-dir",
            data.to_str().expect("utf8"),
            "--as",
            "@camille:ml-demo.fr",
        ],
        script,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.matches("transmise aux rédacteurs").count(),
        4,
        "{stdout}"
    );
    assert!(stdout.contains("données personnelles"), "{stdout}");
    let out = kitbot(
        &[
            "questions",
            "--format",
            "json",
            "--data-dir",
            data.to_str().expect("utf8"),
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let groups: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let groups = groups.as_array().expect("a list of groups");
    assert_eq!(groups.len(), 2, "{groups:?}");
    assert_eq!(groups[0]["count"], 3, "{groups:?}");
    assert_eq!(groups[1]["count"], 1);
    assert_eq!(groups[1]["wordings"][0], "permis bateau pour un jeune");
    let all = text(&out.stdout);
    assert!(!all.contains("Kevin") && !all.contains("camille"), "{all}");
    for format in ["csv", "markdown"] {
        let out = kitbot(
            &[
                "questions",
                "--format",
                format,
                "--data-dir",
                data.to_str().expect("utf8"),
            ],
            "",
        );
        assert!(out.status.success(), "{format}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains("langue des signes"), "{format}");
    }
}

/// `kitbot demo --setup-only` on this machine's Synapse: the bot and the demo user are
/// registered, the room is seeded (a reflection kept), the credentials printed, and nothing it
/// started is left running. A second run starts where the first stopped and seeds nothing twice.
#[test]
fn the_demo_sets_everything_up_and_stops_what_it_started() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new(root.join("scripts/install-synapse"))
        .status()
        .expect("install synapse");
    assert!(status.success());
    let dir = tempfile::tempdir().expect("tmp");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
        .to_string();
    let demo_dir = dir.path().join("demo");
    let run_demo = || {
        let out = Command::new(env!("CARGO_BIN_EXE_kitbot"))
            .args(["demo", "--setup-only", "--port", &port, "--dir"])
            .arg(&demo_dir)
            .env("KITBOT_LOG", "warn")
            .env("KITBOT_SYNAPSE_VENV", root.join(".venv-synapse"))
            .output()
            .expect("kitbot demo");
        assert!(
            out.status.success(),
            "{}\n{}",
            text(&out.stderr),
            std::fs::read_to_string(demo_dir.join("kitbot.log")).unwrap_or_default()
        );
        let stdout = text(&out.stdout);
        for expected in [
            format!("http://127.0.0.1:{port}"),
            "identifiant : demo".to_owned(),
            "mot de passe : demo-password".to_owned(),
            "#equipe-demo:localhost".to_owned(),
        ] {
            assert!(stdout.contains(&expected), "{expected} missing:\n{stdout}");
        }
        // Synapse stopped with it.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port.parse::<u16>().expect("port")))
            .is_ok()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "Synapse still runs after the demo"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };
    let export = || {
        let out = kitbot(
            &[
                "export",
                "--mission-locale",
                "demo",
                "--format",
                "json",
                "--config",
                demo_dir.join("bot.toml").to_str().expect("utf8"),
            ],
            "",
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    run_demo();
    assert_eq!(
        export().matches("rappel par SMS la veille").count(),
        1,
        "the seeded reflection"
    );
    run_demo();
    assert_eq!(
        export().matches("rappel par SMS la veille").count(),
        1,
        "seeded once"
    );
}

/// A second kitbot on a data folder in use stops at once with a clear French error, before it
/// opens anything there. The folder holds a saved Matrix session, so `kitbot run` would restore
/// it while its store opens: the folder's lock must stop it first, before matrix-sdk's store is
/// created beside the session. The folder is usable again once the first one has stopped.
#[test]
fn a_second_kitbot_on_a_data_folder_in_use_stops_before_touching_it() {
    use std::io::{BufRead as _, BufReader};
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let example =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("bot.toml.example"))
            .expect("example");
    let config = dir.path().join("bot.toml");
    std::fs::write(
        &config,
        example
            .replace(
                "data_dir = \"kitbot-data\"",
                &format!("data_dir = {:?}", data.to_str().expect("utf8")),
            )
            .replace("https://matrix.example.org", "http://127.0.0.1:9"),
    )
    .expect("config");
    let session_dir = data.join("matrix");
    std::fs::create_dir_all(&session_dir).expect("mkdir");
    std::fs::write(
        session_dir.join("session.json"),
        r#"{"homeserver":"http://127.0.0.1:9","session":{"user_id":"@kitbot:example.org","device_id":"KITBOTTEST","access_token":"not-a-token","refresh_token":null}}"#,
    )
    .expect("session");
    let mut first = Command::new(env!("CARGO_BIN_EXE_kitbot"))
        .args(["console", "--config"])
        .arg(&config)
        .env("KITBOT_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run kitbot");
    let mut stdin = first.stdin.take().expect("stdin");
    let mut lines = BufReader::new(first.stdout.take().expect("stdout")).lines();
    // The first one answers, so it holds the folder.
    stdin.write_all(b"!ping\n").expect("write");
    stdin.flush().expect("flush");
    assert!(
        lines
            .by_ref()
            .map_while(Result::ok)
            .any(|line| line.contains("Pong")),
        "the first kitbot did not answer"
    );

    let run = Command::new(env!("CARGO_BIN_EXE_kitbot"))
        .args(["run", "--config"])
        .arg(&config)
        .env("KITBOT_LOG", "warn")
        .env("KITBOT_PASSWORD", "not-used")
        .output()
        .expect("run kitbot");
    assert!(!run.status.success());
    let created: Vec<_> = std::fs::read_dir(&session_dir)
        .expect("read dir")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert_eq!(
        created,
        vec![std::ffi::OsString::from("session.json")],
        "the second kitbot opened the Matrix side"
    );
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("est utilisé par un autre kitbot (le robot tourne ?)"),
        "{stderr}"
    );
    // The other commands that read the store are refused too, `restore` before it looks at the
    // file or moves the store aside.
    let refused = |args: &[&str], message: &str| {
        let mut args = args.to_vec();
        args.extend(["--config", config.to_str().expect("utf8")]);
        let out = kitbot(&args, "");
        assert!(!out.status.success(), "{args:?} ran");
        assert!(
            text(&out.stderr).contains(message),
            "{args:?}: {}",
            text(&out.stderr)
        );
    };
    refused(
        &["questions", "--format", "csv"],
        "est utilisé par un autre kitbot",
    );
    refused(
        &["restore", "no-such-backup.jsonl"],
        "arrêtez le robot avant de restaurer",
    );
    assert!(data.join("store").exists(), "the store was moved aside");

    drop(stdin);
    assert!(first.wait().expect("wait").success());
    let again = kitbot(
        &["console", "--config", config.to_str().expect("utf8")],
        "!ping\n",
    );
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("Pong"));
}
