//! Reflections through the real `kitbot` binary: a confirmed reflection survives `kill -9`
//! (the console twin is driven through stdin, killed right after the ✅, restarted), and
//! `kitbot export` / `kitbot forget` work on the data folder the bot left.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(180);
const ALICE: &str = "@alice:ml-demo.fr";
const BOB: &str = "@bob:ml-demo.fr";

fn kitbot() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kitbot"));
    cmd.env("KITBOT_LOG", "warn");
    cmd
}

/// A console twin kept open, its output read line by line.
struct Console {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Console {
    fn start(dir: &Path, user: &str) -> Console {
        let mut child = kitbot()
            .args(["console", "--data-dir"])
            .arg(dir)
            .args(["--as", user])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start kitbot console");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Console {
            child,
            stdin,
            lines,
            seen: Vec::new(),
        }
    }

    fn say(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").expect("write to the console");
        self.stdin.flush().expect("flush");
    }

    /// Wait for an output line containing `needle`.
    fn wait_line(&mut self, needle: &str) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(needle);
                    self.seen.push(line);
                    if found {
                        return;
                    }
                }
                Err(_) => panic!("no line with {needle:?}; seen: {:#?}", self.seen),
            }
        }
    }

    /// SIGKILL: no shutdown path runs, nothing is flushed on the way out.
    fn kill_9(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reaped");
    }
}

/// One console run fed a whole script; returns what it printed.
fn script(dir: &Path, user: &str, lines: &[&str]) -> String {
    let mut child = kitbot()
        .args(["console", "--data-dir"])
        .arg(dir)
        .args(["--as", user])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start kitbot console");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        for line in lines {
            writeln!(stdin, "{line}").expect("write");
        }
    }
    let out = child.wait_with_output().expect("console output");
    assert!(out.status.success(), "console failed: {out:?}");
    String::from_utf8(out.stdout).expect("utf-8")
}

fn run(args: &[&str], dir: &Path) -> Output {
    kitbot()
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .expect("run kitbot")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}
fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_confirmed_reflection_survives_kill_9() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut console = Console::start(dir.path(), ALICE);
    console.say("!consentement oui");
    console.wait_line("c'est noté");
    for i in 1..=3 {
        console.say(&format!("!reflexion Retour numéro {i} sur la visio #visio"));
        // The ✅ is printed only after the write is flushed: kill the moment it shows.
        console.wait_line("[réaction ✅]");
    }
    console.kill_9();

    let listed = script(dir.path(), BOB, &["!reflexions"]);
    for i in 1..=3 {
        assert!(
            listed.contains(&format!("Retour numéro {i} sur la visio")),
            "reflection {i} lost after kill -9:\n{listed}"
        );
    }
    // Consent survived too: a new reflection is accepted at once.
    let again = script(dir.path(), ALICE, &["!reflexion Après redémarrage"]);
    assert!(again.contains("[réaction ✅]"), "{again}");
}

#[test]
fn export_and_forget_through_the_binary() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    script(
        d,
        ALICE,
        &[
            "!consentement oui",
            "!reflexion Le rappel la veille évite les oublis, \"vraiment\" #sms #fiche:sms-rappel",
            "!reflexion =SOMME(A1) La visio du soir #visio",
        ],
    );
    script(
        d,
        BOB,
        &[
            "!consentement oui",
            "!consentement signer",
            "!reflexion Atelier collectif réussi #atelier",
        ],
    );

    let csv = run(
        &["export", "--mission-locale", "demo", "--format", "csv"],
        d,
    );
    assert!(csv.status.success(), "{}", stderr(&csv));
    let text = stdout(&csv);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "id,date,salon,auteur,fiche,etiquettes,texte");
    assert_eq!(lines.len(), 4, "{text}");
    assert!(text.contains(BOB), "Bob signs: {text}");
    assert!(!text.contains(ALICE), "Alice is pseudonymised: {text}");
    assert!(text.contains(",p-"), "{text}");
    assert!(text.contains("\"Le rappel la veille évite les oublis, \"\"vraiment\"\"\""));
    assert!(text.contains(",'=SOMME(A1)"), "formula defused: {text}");
    assert!(stderr(&csv).contains("3 réflexion(s) exportée(s)"));
    assert!(
        !stderr(&csv).contains('\r'),
        "no progress bar off a terminal"
    );
    // The same pseudonym at the next export.
    let again = stdout(&run(
        &["export", "--mission-locale", "demo", "--format", "csv"],
        d,
    ));
    assert_eq!(again, text);

    // `--until`: until a day long past, nothing; until today (its day included), everything.
    let until = |day: &str| {
        run(
            &[
                "export",
                "--mission-locale",
                "demo",
                "--format",
                "csv",
                "--until",
                day,
            ],
            d,
        )
    };
    let past = until("01/01/2020");
    assert!(past.status.success(), "{}", stderr(&past));
    assert_eq!(stdout(&past).lines().count(), 1, "the header alone");
    assert_eq!(stdout(&until("aujourd'hui")), text);
    let bad = until("bientôt");
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("--until"), "{}", stderr(&bad));

    let json = run(
        &["export", "--mission-locale", "demo", "--format", "json"],
        d,
    );
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("valid JSON");
    assert_eq!(value["nombre"], 3);
    let out = d.join("rapport.md");
    let md = kitbot()
        .args([
            "export",
            "--mission-locale",
            "demo",
            "--format",
            "markdown",
            "--output",
        ])
        .arg(&out)
        .arg("--data-dir")
        .arg(d)
        .output()
        .expect("run");
    assert!(md.status.success(), "{}", stderr(&md));
    let report = std::fs::read_to_string(&out).expect("report written");
    assert!(report.starts_with("# Réflexions partagées"), "{report}");
    // The export, the data folder and everything in it are the bot's user's alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&out), 0o600, "export file");
        assert_eq!(mode(d), 0o700, "data folder");
        let mut stack = vec![d.to_path_buf()];
        while let Some(path) = stack.pop() {
            if path == out {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).expect("meta");
            if meta.is_dir() {
                assert_eq!(mode(&path), 0o700, "{}", path.display());
                stack.extend(
                    std::fs::read_dir(&path)
                        .expect("dir")
                        .map(|e| e.expect("entry").path()),
                );
            } else if meta.is_file() {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
            }
        }
    }
    let future = run(
        &[
            "export",
            "--mission-locale",
            "demo",
            "--format",
            "csv",
            "--since",
            "2099-01-01",
        ],
        d,
    );
    assert_eq!(stdout(&future).lines().count(), 1, "header only");
    let bad = run(
        &[
            "export",
            "--mission-locale",
            "demo",
            "--format",
            "csv",
            "--since",
            "un jour",
        ],
        d,
    );
    assert!(!bad.status.success() && stderr(&bad).contains("--since"));
    let unknown = run(
        &[
            "export",
            "--mission-locale",
            "nulle-part",
            "--format",
            "csv",
        ],
        d,
    );
    assert!(!unknown.status.success() && stderr(&unknown).contains("inconnue"));

    let forget = run(&["forget", ALICE], d);
    assert!(forget.status.success(), "{}", stderr(&forget));
    assert!(
        stdout(&forget).contains("effacé — votre accord, son historique et 2 réflexions"),
        "{}",
        stdout(&forget)
    );
    let after = stdout(&run(
        &["export", "--mission-locale", "demo", "--format", "csv"],
        d,
    ));
    assert_eq!(after.lines().count(), 2, "only Bob's left: {after}");
    let state = script(d, ALICE, &["!consentement etat", "!mes-donnees"]);
    assert!(
        state.contains("pas donné") && state.contains("Je ne garde rien"),
        "{state}"
    );
    let bad_user = run(&["forget", "alice"], d);
    assert!(!bad_user.status.success() && stderr(&bad_user).contains("identifiant Matrix"));
}

/// Overwrite with garbage the files of `store` that `which` picks.
fn damage(store: &Path, which: impl Fn(&Path) -> bool) {
    for entry in std::fs::read_dir(store).expect("store dir") {
        let path = entry.expect("entry").path();
        if which(&path) {
            std::fs::write(&path, b"\x00\x01 ceci n'est plus un store \xff").expect("damage");
        }
    }
}

/// Start the console on `data_dir`, expect it to refuse; what it said.
fn refused_to_start(data_dir: &Path) -> String {
    let out = kitbot()
        .args(["console", "--data-dir"])
        .arg(data_dir)
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert!(!out.status.success(), "started on a damaged store");
    stderr(&out)
}

/// `kitbot backup` then `kitbot restore` into another data folder: everything comes back; a
/// damaged store refuses to start and names the newest backup; a cut backup file is refused.
#[test]
fn backup_restore_and_a_damaged_store() {
    let tmp = tempfile::tempdir().expect("tmp");
    let first = tmp.path().join("premier");
    let shown = script(
        &first,
        ALICE,
        &[
            "!consentement oui",
            "!reflexion La sauvegarde marche #sauvegarde",
        ],
    );
    assert!(shown.contains("[réaction ✅]"), "{shown}");
    let out = run(&["backup"], &first);
    assert!(out.status.success(), "{}", stderr(&out));
    let file = stdout(&out).trim().to_owned();
    assert!(
        file.contains("/backups/kitbot-backup-") && Path::new(&file).exists(),
        "{file}"
    );

    let second = tmp.path().join("second");
    let out = run(&["restore", &file], &second);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("restaurée"), "{}", stdout(&out));
    let listed = script(&second, BOB, &["!reflexions #sauvegarde"]);
    assert!(listed.contains("La sauvegarde marche"), "{listed}");

    // The ledger (what the outbox remembers per command, SQLite beside sled) damaged alone:
    // refused the same way, not started on an empty one.
    let ledger = second.join("store").join("ledger.sqlite3");
    assert!(ledger.exists(), "the ledger is in the store's folder");
    damage(&second.join("store"), |path| {
        path.to_string_lossy().contains("ledger.sqlite3")
    });
    let err = refused_to_start(&second);
    assert!(
        err.contains("ne s'ouvre pas") && err.contains("registre des commandes"),
        "{err}"
    );

    // Damage the first store: the bot refuses to start and says what to do.
    damage(&first.join("store"), |path| path.is_file());
    let err = refused_to_start(&first);
    assert!(
        err.contains("ne s'ouvre pas") && err.contains("kitbot restore") && err.contains(&file),
        "{err}"
    );
    // Restoring over it moves the damaged one aside.
    let out = run(&["restore", &file], &first);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("mis de côté"), "{}", stderr(&out));
    let listed = script(&first, BOB, &["!reflexions #sauvegarde"]);
    assert!(listed.contains("La sauvegarde marche"), "{listed}");

    // A file cut in the middle is refused, and nothing is written.
    let text = std::fs::read_to_string(&file).expect("backup");
    let cut = tmp.path().join("coupe.jsonl");
    std::fs::write(&cut, &text[..text.len() / 2]).expect("cut");
    let third = tmp.path().join("troisieme");
    let out = run(&["restore", cut.to_str().expect("path")], &third);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("pas une sauvegarde kitbot complète"),
        "{}",
        stderr(&out)
    );
    assert!(!third.join("store").exists());
}

/// Started with the usual umask (022), the bot creates every file of its data folder private
/// (0600, folders 0700) from the start: a second start has nothing left to tighten. Before the
/// bot set its own umask, sled's new `snap.*` file of each run was 0644 until the next start.
#[cfg(unix)]
#[test]
fn every_file_the_bot_creates_is_private_from_the_start() {
    use std::os::unix::fs::PermissionsExt as _;
    use std::os::unix::process::CommandExt as _;
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path().join("data");
    let start = || {
        let mut command = kitbot();
        command
            .args(["console", "--data-dir"])
            .arg(&d)
            .args(["--as", ALICE])
            .env("KITBOT_LOG", "info")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // SAFETY: `umask` is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            command.pre_exec(|| {
                libc::umask(0o022);
                Ok(())
            });
        }
        let mut child = command.spawn().expect("start kitbot console");
        {
            let mut stdin = child.stdin.take().expect("stdin");
            for line in ["!consentement oui", "!reflexion Un essai de visio #visio"] {
                writeln!(stdin, "{line}").expect("write");
            }
        }
        let out = child.wait_with_output().expect("console output");
        assert!(out.status.success(), "console failed: {out:?}");
        stderr(&out)
    };
    let first = start();
    assert!(first.contains("INFO"), "the log is on: {first}");
    let mode = |p: &Path| {
        std::fs::symlink_metadata(p)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777
    };
    let mut files = 0;
    let mut stack = vec![d.clone()];
    while let Some(path) = stack.pop() {
        if std::fs::symlink_metadata(&path).expect("meta").is_dir() {
            assert_eq!(mode(&path), 0o700, "{}", path.display());
            stack.extend(
                std::fs::read_dir(&path)
                    .expect("dir")
                    .map(|e| e.expect("entry").path()),
            );
        } else {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
            files += 1;
        }
    }
    assert!(files >= 3, "the store's files were walked: {files}");
    let second = start();
    assert!(
        !second.contains("readable by the bot's user only"),
        "nothing to tighten at the second start: {second}"
    );
}
