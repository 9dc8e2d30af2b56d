//! The console adapter: the same engine as in Matrix, driven from stdin/stdout. A newcomer tries
//! the bot with no homeserver; scripts drive it line by line (one message per line, each answer
//! printed, exit at end of input). On a terminal it shows a prompt. A picture (the chart after
//! `!parcours etat`) cannot be shown in a terminal: it is written to the data folder
//! (`charts/`) and its path printed with its description.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use crate::core::{Incoming, IncomingKind, Outgoing};
use crate::core::{Picture, Role};
use crate::engine::{Engine, Processed};
use crate::outbox::{deliver_ready, SendError, Transport};
use crate::strings::engine as s;

/// Who is typing in the console, and where.
#[derive(Debug, Clone)]
pub struct ConsoleIdentity {
    pub user: String,
    pub role: Role,
    pub tenant: String,
}

/// The room id the console pretends to be in.
pub const CONSOLE_ROOM: &str = "!console:kitbot.local";

/// Print one outgoing action the way a chat would show it (a picture by its description; the
/// transport says where it saved the file).
pub fn render(out: &Outgoing) -> String {
    match out {
        Outgoing::Reply { markdown, .. } => markdown.clone(),
        Outgoing::Image { picture, .. } => picture.alt.clone(),
        Outgoing::React { key, .. } => format!("[réaction {key}]"),
        Outgoing::Edit { markdown, .. } => format!("[réponse modifiée]\n{markdown}"),
        Outgoing::Post { markdown, .. } => format!("[message du robot]\n{markdown}"),
        Outgoing::Direct {
            markdown,
            attachment,
            ..
        } => match attachment {
            Some(a) => format!("[message privé, pièce jointe {}]\n{markdown}", a.filename),
            None => format!("[message privé]\n{markdown}"),
        },
    }
}

/// Prints what the engine sends, as a chat would show it. Post ids are made up, so that ✅
/// counting and reply threads work in the console too. Pictures are written to `pictures`.
#[derive(Default)]
pub struct ConsoleTransport {
    posted: AtomicU64,
    /// Where pictures go (`None`: nowhere, only their description is printed).
    pictures: Option<PathBuf>,
}

impl ConsoleTransport {
    /// A console that writes pictures into `dir` (created, readable by the user only).
    pub fn with_pictures(dir: PathBuf) -> ConsoleTransport {
        ConsoleTransport {
            posted: AtomicU64::new(0),
            pictures: Some(dir),
        }
    }

    /// Write a picture into the pictures folder, named after the message (its transaction id:
    /// the same answer delivered again overwrites its own file). Returns the file's path.
    fn save(&self, dir: &Path, txn: &str, picture: &Picture) -> std::io::Result<PathBuf> {
        crate::files::private_dir(dir)?;
        let stem = picture
            .filename
            .rsplit_once('.')
            .map_or(picture.filename.as_str(), |(stem, _)| stem);
        let extension = picture.filename.rsplit_once('.').map_or("png", |(_, e)| e);
        let tag: String = if txn.is_empty() {
            format!("n{}", self.posted.load(Ordering::Relaxed))
        } else {
            txn.chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect::<String>()
                .trim_matches('-')
                .to_owned()
        };
        let path = dir.join(format!("{stem}-{tag}.{extension}"));
        let mut file = crate::files::create_private_file(&path)?;
        file.write_all(&picture.bytes)?;
        file.sync_all()?;
        Ok(path)
    }

    /// What the console prints for a message.
    fn shown(&self, txn: &str, out: &Outgoing) -> String {
        let Outgoing::Image { picture, .. } = out else {
            return render(out);
        };
        let Some(dir) = &self.pictures else {
            return render(out);
        };
        match self.save(dir, txn, picture) {
            Ok(path) => s::console_picture(&picture.alt, &path.display().to_string()),
            Err(err) => s::console_picture_not_saved(&picture.alt, &err.to_string()),
        }
    }
}

impl Transport for ConsoleTransport {
    async fn send(&self, txn: &str, out: &Outgoing) -> Result<Option<String>, SendError> {
        let shown = self.shown(txn, out);
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{shown}").map_err(|e| SendError::Retry {
            after: None,
            cause: e.to_string(),
        })?;
        let _ = stdout.flush();
        let n = self.posted.fetch_add(1, Ordering::Relaxed) + 1;
        Ok(Some(format!("$console-post-{n}")))
    }
}

/// Run the console until end of input or `shutdown`. Each line is handled, then its answers
/// are delivered (printed) before the next line is read; scheduled posts are printed as the
/// scheduler queues them.
pub async fn run(
    engine: Engine,
    who: ConsoleIdentity,
    shutdown: tokio_util::sync::CancellationToken,
) -> anyhow::Result<()> {
    let interactive = std::io::stdin().is_terminal();
    let (lines_tx, mut lines_rx) = mpsc::channel::<String>(16);
    // Reading stdin blocks; a plain thread keeps it off the runtime. It ends with the input.
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            let Ok(line) = line else { break };
            if lines_tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    let transport = ConsoleTransport::with_pictures(engine.config().data_dir.join("charts"));
    let delivered = engine.delivered_hook();
    let outbox = engine.outbox().clone();
    let prompt = || -> std::io::Result<()> {
        if interactive {
            let mut stdout = std::io::stdout();
            write!(stdout, "vous> ")?;
            stdout.flush()?;
        }
        Ok(())
    };
    if interactive {
        writeln!(
            std::io::stdout(),
            "{}",
            s::console_welcome(
                &engine_mission_name(&engine, &who),
                &who.user,
                who.role.name()
            )
        )?;
    }
    // What was queued before (a previous session's scheduled posts) goes out first.
    deliver_ready(&outbox, &transport, &delivered).await?;
    let mut counter = 0u64;
    prompt()?;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = outbox.wait_queued() => {
                deliver_ready(&outbox, &transport, &delivered).await?;
            }
            line = lines_rx.recv() => {
                let Some(line) = line else { break };
                counter += 1;
                let incoming = console_incoming(&who, line, counter, engine.now());
                if let Processed::NotRecorded { answers, cause } = engine.process(&incoming).await {
                    tracing::warn!(%cause, "a message could not be recorded; its answers are shown directly");
                    for out in &answers {
                        let _ = transport.send("", out).await;
                    }
                }
                deliver_ready(&outbox, &transport, &delivered).await?;
                prompt()?;
            }
        }
    }
    deliver_ready(&outbox, &transport, &delivered).await?;
    Ok(())
}

fn engine_mission_name(engine: &Engine, who: &ConsoleIdentity) -> String {
    engine
        .mission(&who.tenant)
        .map(|m| m.name.clone())
        .unwrap_or_default()
}

fn console_incoming(who: &ConsoleIdentity, body: String, n: u64, now: DateTime<Utc>) -> Incoming {
    Incoming {
        tenant: who.tenant.clone(),
        room_id: CONSOLE_ROOM.to_owned(),
        is_direct: false,
        sender: who.user.clone(),
        role: who.role,
        addressed: false,
        event_id: format!("$console-{}-{n}", now.timestamp_millis()),
        thread_root: None,
        sent_at: now,
        kind: IncomingKind::Message { body },
        quoted: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> Outgoing {
        Outgoing::Image {
            room_id: CONSOLE_ROOM.into(),
            to_event: "$console-1-3".into(),
            thread_root: None,
            picture: Picture {
                filename: "parcours-etat.png".into(),
                mime: "image/png".into(),
                width: 1,
                height: 1,
                alt: "Graphique du parcours".into(),
                bytes: b"\x89PNG fake".to_vec(),
            },
        }
    }

    #[test]
    fn a_picture_is_written_to_the_data_folder_and_its_path_shown() {
        let dir = tempfile::tempdir().expect("tmp");
        let charts = dir.path().join("charts");
        let transport = ConsoleTransport::with_pictures(charts.clone());
        let shown = transport.shown("ev|$console-1-3|1", &chart());
        let path = charts.join("parcours-etat-ev--console-1-3-1.png");
        assert_eq!(
            shown,
            s::console_picture("Graphique du parcours", &path.display().to_string())
        );
        assert_eq!(
            std::fs::read(&path).expect("written"),
            b"\x89PNG fake".to_vec()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Text answers are printed as they are.
        let reply = Outgoing::Reply {
            room_id: CONSOLE_ROOM.into(),
            to_event: "$e".into(),
            thread_root: None,
            markdown: "Bonjour".into(),
        };
        assert_eq!(transport.shown("ev|$e|0", &reply), "Bonjour");
    }

    #[test]
    fn a_picture_that_cannot_be_written_is_said_not_dropped() {
        let dir = tempfile::tempdir().expect("tmp");
        // A file where the folder should be.
        let blocked = dir.path().join("charts");
        std::fs::write(&blocked, b"").expect("file");
        let transport = ConsoleTransport::with_pictures(blocked);
        let shown = transport.shown("ev|$e|1", &chart());
        assert!(
            shown.starts_with("[image jointe, non enregistrée") && shown.contains("Graphique"),
            "{shown}"
        );
    }
}
