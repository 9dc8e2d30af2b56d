//! The console adapter: the same engine as in Matrix, driven from stdin/stdout. A newcomer tries
//! the bot with no homeserver; scripts drive it line by line (one message per line, each answer
//! printed, exit at end of input). On a terminal it shows a prompt.

use std::io::{BufRead, IsTerminal, Write};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use crate::commands::Role;
use crate::engine::{Engine, Incoming, IncomingKind, Outgoing};
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

/// Run the console until end of input or `shutdown`. Scheduled posts that the scheduler hands
/// over on `posts` are printed as they come.
pub async fn run(
    engine: Engine,
    who: ConsoleIdentity,
    mut posts: mpsc::Receiver<Outgoing>,
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
    let mut stdout = std::io::stdout();
    let role = match who.role {
        Role::Membre => "membre",
        Role::Coordination => "coordination",
    };
    if interactive {
        let name = engine
            .mission(&who.tenant)
            .map(|m| m.name.clone())
            .unwrap_or_default();
        writeln!(stdout, "{}", s::console_welcome(&name, &who.user, role))?;
    }
    let mut counter = 0u64;
    loop {
        if interactive {
            write!(stdout, "vous> ")?;
            stdout.flush()?;
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
                        Some(post) = posts.recv() => {
                if let Outgoing::Post { txn_id, room_id, .. } = &post {
                    counter += 1;
                    engine.record_post(txn_id, room_id, &format!("$console-post-{counter}"));
                }
                writeln!(stdout, "\n{}", render(&post))?;
            }
            line = lines_rx.recv() => {
                let Some(line) = line else { break };
                counter += 1;
                let incoming = console_incoming(&who, line, counter, engine.now());
                for out in engine.handle(&incoming).await {
                    writeln!(stdout, "{}", render(&out))?;
                }
                stdout.flush()?;
            }
        }
    }
    Ok(())
}

fn console_incoming(who: &ConsoleIdentity, body: String, n: u64, now: DateTime<Utc>) -> Incoming {
    Incoming {
        tenant: who.tenant.clone(),
        room_id: CONSOLE_ROOM.to_owned(),
        is_direct: false,
        sender: who.user.clone(),
        role: who.role,
        event_id: format!("$console-{}-{n}", now.timestamp_millis()),
        thread_root: None,
        sent_at: now,
        kind: IncomingKind::Message { body },
    }
}
