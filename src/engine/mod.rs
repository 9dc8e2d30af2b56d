//! The engine: where the product lives. It receives an [`Incoming`] (tenant, room, sender, role,
//! text or reaction, thread context, time) and returns [`Outgoing`] actions. It knows nothing
//! about Matrix or terminals; the adapters translate on both sides. Time comes from an injected
//! [`Clock`](crate::clock::Clock), so tests are deterministic.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use crate::check::Problem;
use crate::clock::SharedClock;
use crate::commands::{Command, CommandSet, Role};
use crate::config::{Config, MissionLocale};
use crate::kit::Kit;
use crate::store::Store;
use crate::strings::engine as s;

/// What happened, as the engine needs to know it.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The Mission Locale (tenant) the room belongs to.
    pub tenant: String,
    pub room_id: String,
    /// A direct-message room between the bot and the sender.
    pub is_direct: bool,
    pub sender: String,
    pub role: Role,
    pub event_id: String,
    /// The thread the event belongs to, if any.
    pub thread_root: Option<String>,
    /// When the sender sent it (server timestamp).
    pub sent_at: DateTime<Utc>,
    pub kind: IncomingKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncomingKind {
    /// A text message (body as plain text).
    Message { body: String },
    /// A reaction `key` on the event `target`, with what the adapter knows of that event.
    Reaction {
        target: String,
        key: String,
        target_sender: Option<String>,
        target_body: Option<String>,
    },
    /// The sender edited their message `target`; `body` is the new text.
    Edit { target: String, body: String },
    /// The message `target` was deleted.
    Redaction { target: String },
}

/// Who a posted message notifies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mentions {
    pub users: Vec<String>,
    /// `@room`: only when the coordinator asked and the bot's power level allows it.
    pub room: bool,
}

/// A file sent with a direct message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// What the engine asks an adapter to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// An `m.notice` in reply to `to_event` (and in its thread, if any). Markdown.
    Reply {
        room_id: String,
        to_event: String,
        thread_root: Option<String>,
        markdown: String,
    },
    /// A reaction on an event.
    React {
        room_id: String,
        event_id: String,
        key: String,
    },
    /// A new message in a room (nudges, parcours steps). `txn_id` is derived from what is posted
    /// and when, so that a retry after a crash cannot post it twice.
    Post {
        room_id: String,
        markdown: String,
        mentions: Mentions,
        txn_id: String,
        notice: bool,
    },
    /// A direct message to a user, within a Mission Locale.
    Direct {
        user_id: String,
        tenant: String,
        markdown: String,
        attachment: Option<Attachment>,
    },
}

/// Everything the engine needs, loaded and checked.
pub struct Parts {
    pub config: Config,
    pub commands: CommandSet,
    pub kit: Kit,
    pub store: Store,
    pub clock: SharedClock,
}

struct Inner {
    config: Config,
    commands: CommandSet,
    kit: Kit,
    store: Store,
    clock: SharedClock,
    /// Woken whenever the schedule changes, so the scheduler task recomputes its next due time.
    schedule_changed: Notify,
}

/// A cheap clonable handle on the engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Engine {
    pub fn new(parts: Parts) -> Engine {
        Engine {
            inner: Arc::new(Inner {
                config: parts.config,
                commands: parts.commands,
                kit: parts.kit,
                store: parts.store,
                clock: parts.clock,
                schedule_changed: Notify::new(),
            }),
        }
    }

    /// Load the command descriptions named by the config (or the embedded ones).
    pub fn load_commands(config: &Config) -> Result<CommandSet, Vec<Problem>> {
        let files = match &config.commands_dir {
            Some(dir) => crate::assets::read_dir(dir, "commands")
                .map_err(|e| vec![Problem::at(&dir.display().to_string(), None, e.to_string())])?,
            None => crate::assets::embedded("commands/"),
        };
        CommandSet::from_files(&files)
    }

    /// Load the kit named by the config (or the embedded one). A malformed card is an error:
    /// the bot refuses to start rather than silently drop it.
    pub fn load_kit(config: &Config) -> Result<Kit, Vec<Problem>> {
        let result = match &config.kit_dir {
            Some(dir) => Kit::load_dir(dir),
            None => Kit::from_files(&crate::assets::embedded("kit-snippets/")),
        };
        result.map_err(|problems| {
            problems
                .into_iter()
                .map(|p| Problem {
                    file: p.file,
                    line: p.line,
                    message: p.message,
                })
                .collect()
        })
    }

    pub fn kit(&self) -> &Kit {
        &self.inner.kit
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }
    pub fn commands(&self) -> &CommandSet {
        &self.inner.commands
    }
    pub fn store(&self) -> &Store {
        &self.inner.store
    }
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }
    pub fn mission(&self, id: &str) -> Option<&MissionLocale> {
        self.inner.config.mission(id)
    }

    /// The adapter posted an `Outgoing::Post` (identified by its `txn_id`) as `event_id`.
    pub fn record_post(&self, txn_id: &str, room_id: &str, event_id: &str) {
        crate::nudges::on_posted(self, txn_id, room_id, event_id);
    }

    /// Tell the scheduler that the schedule changed.
    pub fn schedule_changed(&self) {
        self.inner.schedule_changed.notify_one();
    }

    /// Wait until the schedule changes.
    pub async fn wait_schedule_change(&self) {
        self.inner.schedule_changed.notified().await;
    }

    /// Handle one event. Never fails: problems become a French answer and a log line.
    pub async fn handle(&self, incoming: &Incoming) -> Vec<Outgoing> {
        if self.mission(&incoming.tenant).is_none() {
            return Vec::new();
        }
        match &incoming.kind {
            IncomingKind::Message { body } => self.handle_message(incoming, body).await,
            // Reactions, edits and redactions matter to nudges and reflections only.
            IncomingKind::Reaction { .. }
            | IncomingKind::Edit { .. }
            | IncomingKind::Redaction { .. } => {
                let mut out = crate::nudges::on_event(self, incoming).await;
                out.extend(crate::reflections::on_event(self, incoming).await);
                out
            }
        }
    }

    async fn handle_message(&self, incoming: &Incoming, body: &str) -> Vec<Outgoing> {
        let prefix = &self.inner.config.prefix;
        let Some((word, args)) = crate::commands::command_word(body, prefix) else {
            return Vec::new();
        };
        let command = match self.inner.commands.split(body, prefix) {
            Some((spec, _)) if !incoming.role.allows(spec.role) => {
                return vec![reply(incoming, s::refused_coordination(&spec.name))];
            }
            Some((spec, _)) => Command::parse(&spec.name, args),
            None => Command::Unknown {
                word: word.to_owned(),
            },
        };
        match command.apply(self, incoming).await {
            Ok(out) => out,
            Err(err) => {
                tracing::error!(cause = %err, command = %command.name(), "command failed");
                vec![reply(incoming, s::INTERNAL_ERROR.to_owned())]
            }
        }
    }
}

/// A notice in reply to the incoming event, in its thread if it was in one.
pub fn reply(incoming: &Incoming, markdown: String) -> Outgoing {
    Outgoing::Reply {
        room_id: incoming.room_id.clone(),
        to_event: incoming.event_id.clone(),
        thread_root: incoming.thread_root.clone(),
        markdown,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::clock::FixedClock;

    pub(crate) fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("valid time")
            .with_timezone(&Utc)
    }

    pub(crate) fn engine_at(now: &str) -> (Engine, FixedClock) {
        let config = Config::load(None).expect("example config");
        let commands = Engine::load_commands(&config).expect("commands");
        let kit = Engine::load_kit(&config).expect("kit");
        let clock = FixedClock::new(t(now));
        let engine = Engine::new(Parts {
            config,
            commands,
            kit,
            store: Store::temporary().expect("store"),
            clock: Arc::new(clock.clone()),
        });
        (engine, clock)
    }

    pub(crate) fn message(body: &str, role: Role, at: DateTime<Utc>) -> Incoming {
        Incoming {
            tenant: "demo".into(),
            room_id: "!room:example.org".into(),
            is_direct: false,
            sender: "@alice:example.org".into(),
            role,
            event_id: "$e1".into(),
            thread_root: None,
            sent_at: at,
            kind: IncomingKind::Message { body: body.into() },
        }
    }

    pub(crate) async fn ask(engine: &Engine, body: &str, role: Role) -> String {
        let out = engine.handle(&message(body, role, engine.now())).await;
        out.into_iter()
            .filter_map(|o| match o {
                Outgoing::Reply { markdown, .. } => Some(markdown),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[tokio::test]
    async fn ordinary_messages_get_no_answer() {
        let (engine, _) = engine_at("2026-11-30T08:00:00Z");
        for body in [
            "bonjour",
            "",
            "   ",
            "!",
            "! aide",
            "point d'exclamation !aide",
        ] {
            assert_eq!(ask(&engine, body, Role::Membre).await, "", "{body:?}");
        }
    }

    #[tokio::test]
    async fn unknown_commands_suggest_the_closest() {
        let (engine, _) = engine_at("2026-11-30T08:00:00Z");
        let answer = ask(&engine, "!aied", Role::Membre).await;
        assert!(answer.contains("`!aide`"), "{answer}");
        let answer = ask(&engine, "!zzzzzzzz", Role::Membre).await;
        assert!(
            answer.contains("Je ne connais pas") && !answer.contains("Vouliez"),
            "{answer}"
        );
    }

    #[tokio::test]
    async fn hostile_input_is_answered_safely() {
        let (engine, _) = engine_at("2026-11-30T08:00:00Z");
        let huge = format!("!{}", "x".repeat(64 * 1024));
        let answer = ask(&engine, &huge, Role::Membre).await;
        assert!(answer.len() < 1000, "a 64 KB word is not echoed whole");
        let answer = ask(&engine, "!<b>@room</b>", Role::Membre).await;
        assert!(
            !answer.contains("<b>") && !answer.contains("@room"),
            "{answer}"
        );
        let answer = ask(&engine, "!👋🏽\u{202e}", Role::Membre).await;
        assert!(answer.contains("Je ne connais pas"), "{answer}");
    }

    #[tokio::test]
    async fn replies_follow_the_thread() {
        let (engine, _) = engine_at("2026-11-30T08:00:00Z");
        let mut incoming = message("!ping", Role::Membre, engine.now());
        incoming.thread_root = Some("$root".into());
        let out = engine.handle(&incoming).await;
        assert!(
            matches!(&out[..], [Outgoing::Reply { thread_root: Some(r), to_event, .. }] if r == "$root" && to_event == "$e1")
        );
    }

    #[tokio::test]
    async fn unknown_tenants_get_nothing() {
        let (engine, _) = engine_at("2026-11-30T08:00:00Z");
        let mut incoming = message("!ping", Role::Membre, engine.now());
        incoming.tenant = "autre".into();
        assert!(engine.handle(&incoming).await.is_empty());
    }
}
