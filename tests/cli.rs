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
