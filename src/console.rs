//! The console adapter: the same engine as in Matrix, driven from stdin/stdout. A newcomer tries
//! the bot with no homeserver; scripts drive it line by line (one message per line, each answer
//! printed, exit at end of input). On a terminal it shows a prompt.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use crate::core::Role;
use crate::core::{Incoming, IncomingKind, Outgoing};
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

/// Print one outgoing action the way a chat would show it.
pub fn render(out: &Outgoing) -> String {
    match out {
        Outgoing::Reply { markdown, .. } => markdown.clone(),
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
/// counting and reply threads work in the console too.
#[derive(Default)]
pub struct ConsoleTransport {
    posted: AtomicU64,
}

impl Transport for ConsoleTransport {
    async fn send(&self, _txn: &str, out: &Outgoing) -> Result<Option<String>, SendError> {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", render(out)).map_err(|e| SendError::Retry {
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
    let transport = ConsoleTransport::default();
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
