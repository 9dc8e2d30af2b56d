//! The engine: where the product lives, and the only place that composes the domains. It
//! receives an [`Incoming`] (tenant, room, sender, role, text or reaction, thread context, time)
//! and returns [`Outgoing`] actions. For each event it builds a [`Ctx`] (the Mission Locale, its
//! zone and quiet hours, the role, now, the services) and hands it to the command; reactions,
//! edits and redactions it classifies itself (is this a `!reflexion`? a tick?) before a domain
//! sees them. It knows nothing about Matrix or terminals: the adapters translate on both sides,
//! and every answer leaves through the [`Outbox`]. Time comes from an injected clock, so tests
//! are deterministic.

pub mod digest;
pub mod limits;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use futures_util::FutureExt as _;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::commands::{command_word, Command, CommandError, CommandSet};
use crate::config::{Config, MissionLocale};
use crate::core::{
    is_memo, is_tick, Incoming, IncomingKind, Outgoing, Picture, Problem, SharedClock,
};
use crate::feedback::{Feedback, Voted};
use crate::kit::Kit;
use crate::nudges::{Nudges, SchedulerEnv};
use crate::outbox::{Delivered, Outbox};
use crate::reflections::share::Confirmations;
use crate::reflections::{self, Text};
use crate::schedule::QuietRules;
use crate::store::{Store, StoreError};
use crate::strings::engine as s;

/// Everything the engine needs, loaded and checked.
pub struct Parts {
    pub config: Config,
    pub commands: CommandSet,
    pub kit: Kit,
    pub store: Store,
    pub clock: SharedClock,
}

struct Inner {
    config: Arc<Config>,
    commands: CommandSet,
    kit: Kit,
    store: Store,
    clock: SharedClock,
    nudges: Nudges,
    outbox: Outbox,
    feedback: Feedback,
    limits: limits::PersonLimit,
    confirmations: Confirmations,
    /// Woken to write a backup now (SIGUSR1, `kitbot backup` while the bot runs).
    backup_now: tokio::sync::Notify,
}

/// What became of an event handed to [`Engine::process`].
#[derive(Debug)]
pub enum Processed {
    /// Handled now; its answers are in the outbox.
    Recorded,
    /// Handled before: nothing done.
    AlreadyHandled,
    /// Handled, but the store refused to record it (a full disk): whatever the event asked to
    /// change was undone, and `answers` say so. The adapter sends them without the outbox and
    /// must not hand the event over again.
    NotRecorded {
        answers: Vec<Outgoing>,
        cause: StoreError,
    },
}

/// What followed an upgraded room to its replacement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Moved {
    pub nudges: usize,
    pub parcours: usize,
    pub reflections: usize,
}

/// How long after the bot's answer an edited command runs again.
pub const EDIT_WINDOW_MINUTES: i64 = 10;

/// How a room left its Mission Locale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leaving {
    /// It left the Space, or another Mission Locale claims it too: the bot is still there.
    Moved,
    /// The bot was kicked or banned, or left: it cannot post there.
    Removed { room_name: String },
}

/// A cheap clonable handle on the engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

/// What a command is handed to answer one event: the event, its Mission Locale, now, and the
/// services. Built by the engine for each event; commands never see the engine itself.
pub struct Ctx<'a> {
    pub incoming: &'a Incoming,
    pub mission: &'a MissionLocale,
    pub now: DateTime<Utc>,
    pub config: &'a Config,
    pub commands: &'a CommandSet,
    pub kit: &'a Kit,
    pub store: &'a Store,
    pub nudges: &'a Nudges,
    /// Readers' votes, questions passed on, digest subscriptions.
    pub feedback: &'a Feedback,
    /// Reflections waiting for their author's confirmation (memory only).
    pub confirmations: &'a Confirmations,
}

impl Ctx<'_> {
    /// A notice in reply to the event, in its thread if it was in one.
    pub fn reply(&self, markdown: String) -> Outgoing {
        reply(self.incoming, markdown)
    }

    /// The instant a time in the command counts from ("dans 10 minutes", "à 14h"): when the
    /// person sent it (its server timestamp), so the bot's own delay does not push the nudge
    /// back. Counted from now instead when that timestamp is in the future by our clock (a
    /// homeserver clock ahead of ours) or more than [`ASKED_WINDOW_SECONDS`] old (a command
    /// handled after an outage: "dans 10 minutes" then means ten minutes from the answer).
    pub fn asked_at(&self) -> DateTime<Utc> {
        asked_at(self.incoming.sent_at, self.now)
    }

    /// The Mission Locale's time zone.
    pub fn tz(&self) -> Tz {
        self.mission.tz
    }

    /// The Mission Locale's quiet hours.
    pub fn quiet(&self) -> &QuietRules {
        &self.mission.quiet
    }

    /// What a reflection event needs.
    pub fn reflections(&self) -> reflections::Env<'_> {
        reflections::Env {
            store: self.store,
            kit: self.kit,
            confirmations: self.confirmations,
            now: self.now,
        }
    }
}

/// How old a command's server timestamp may be and still be the instant its times count from.
pub const ASKED_WINDOW_SECONDS: i64 = 60;

/// See [`Ctx::asked_at`].
pub fn asked_at(sent_at: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    let age = now - sent_at;
    if age >= chrono::Duration::zero() && age <= chrono::Duration::seconds(ASKED_WINDOW_SECONDS) {
        sent_at
    } else {
        now
    }
}

impl Engine {
    pub fn new(parts: Parts) -> Engine {
        let nudges = Nudges::new(parts.store.clone());
        let feedback = Feedback::new(parts.store.clone());
        let outbox = Outbox::paced(
            parts.store.clone(),
            parts.clock.clone(),
            parts.config.max_sends_per_second,
        );
        let limits = limits::PersonLimit::new(parts.config.limits, parts.clock.clone());
        Engine {
            inner: Arc::new(Inner {
                config: Arc::new(parts.config),
                commands: parts.commands,
                kit: parts.kit,
                store: parts.store,
                clock: parts.clock,
                nudges,
                outbox,
                feedback,
                limits,
                confirmations: Confirmations::default(),
                backup_now: tokio::sync::Notify::new(),
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
        Self::load_kit_from(config.kit_dir.as_deref())
    }

    /// The kit in `dir` (`kit_dir` of the config), or the embedded one.
    pub fn load_kit_from(dir: Option<&std::path::Path>) -> Result<Kit, Vec<Problem>> {
        match dir {
            Some(dir) => Kit::load_dir(dir),
            None => Kit::from_files(&crate::assets::embedded("kit-snippets/")),
        }
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
    pub fn nudges(&self) -> &Nudges {
        &self.inner.nudges
    }
    pub fn outbox(&self) -> &Outbox {
        &self.inner.outbox
    }
    pub fn feedback(&self) -> &Feedback {
        &self.inner.feedback
    }
    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }
    pub fn mission(&self, id: &str) -> Option<&MissionLocale> {
        self.inner.config.mission(id)
    }

    /// Handle one event and queue its answers in the outbox, the event recorded as handled
    /// with them. A panic while handling is contained to this event: it is answered with the
    /// internal-error sentence, logged with its id, and never handled again. When the store
    /// cannot record anything (a full disk), the answers come back to the adapter, which sends
    /// them as it can and does not handle the event again (see [`Processed::NotRecorded`]).
    pub async fn process(&self, incoming: &Incoming) -> Processed {
        if self.inner.outbox.is_handled(&incoming.event_id) {
            return Processed::AlreadyHandled;
        }
        let answers = match AssertUnwindSafe(self.handle(incoming)).catch_unwind().await {
            Ok(answers) => answers,
            Err(_) => {
                tracing::error!(event_id = %incoming.event_id, "handling this event panicked; answered with the internal error");
                vec![reply(incoming, s::INTERNAL_ERROR.to_owned())]
            }
        };
        match self
            .inner
            .outbox
            .record_event(&incoming.event_id, answers.clone())
        {
            Ok(true) => Processed::Recorded,
            Ok(false) => Processed::AlreadyHandled,
            Err(cause) => Processed::NotRecorded { answers, cause },
        }
    }

    /// Handle one event: the answers, not yet queued. Never fails: problems become a French
    /// answer and a log line.
    pub async fn handle(&self, incoming: &Incoming) -> Vec<Outgoing> {
        let Some(mission) = self.mission(&incoming.tenant) else {
            return Vec::new();
        };
        let ctx = Ctx {
            incoming,
            mission,
            now: self.now(),
            config: &self.inner.config,
            commands: &self.inner.commands,
            kit: &self.inner.kit,
            store: &self.inner.store,
            nudges: &self.inner.nudges,
            feedback: &self.inner.feedback,
            confirmations: &self.inner.confirmations,
        };
        match &incoming.kind {
            IncomingKind::Message { body } => self.handle_message(&ctx, body).await,
            IncomingKind::Reaction {
                target,
                key,
                target_sender,
                target_body,
            } => {
                if let (true, Some(body)) = (crate::core::is_snooze(key), target_body) {
                    // ⏰ on a nudge or reminder the bot sent (the adapter gives the body only
                    // then): remind the person of it in an hour.
                    let quoted = crate::core::Quoted {
                        event_id: target.clone(),
                        sender: target_sender.clone().unwrap_or_default(),
                        body: body.clone(),
                    };
                    return match crate::commands::snooze(&ctx, incoming, &quoted).await {
                        Ok(answer) => vec![Outgoing::notice(incoming.room_id.clone(), answer)],
                        Err(CommandError::Store(err)) => {
                            tracing::error!(cause = %err, event_id = %incoming.event_id, "a snooze could not be saved");
                            vec![Outgoing::notice(
                                incoming.room_id.clone(),
                                s::NOT_SAVED.to_owned(),
                            )]
                        }
                    };
                }
                if let Some(useful) = crate::core::vote_of(key) {
                    if let Some(out) = self.on_vote(&ctx, target, useful) {
                        return out;
                    }
                }
                if is_tick(key) {
                    if let Err(err) = self.inner.nudges.add_tick(
                        &incoming.tenant,
                        &incoming.room_id,
                        &incoming.sender,
                        &incoming.event_id,
                        target,
                        incoming.sent_at,
                    ) {
                        tracing::error!(cause = %err, event_id = %incoming.event_id, "could not record a tick");
                    }
                }
                if is_memo(key) {
                    let text = target_body.as_deref().map(|b| self.classify_text(b));
                    return reflections::on_memo(
                        ctx.reflections(),
                        incoming,
                        target,
                        target_sender.as_deref(),
                        text,
                    )
                    .await;
                }
                Vec::new()
            }
            IncomingKind::Edit { target, body } => {
                if matches!(self.classify_text(body), Text::OtherCommand) {
                    return self.rerun_edited_command(&ctx, target, body).await;
                }
                reflections::on_edit(
                    ctx.reflections(),
                    incoming,
                    target,
                    self.classify_text(body),
                )
                .await
            }
            IncomingKind::Redaction {
                target,
                by_moderator,
            } => {
                // A 👍 / 👎 taken back (only its sender can remove a reaction).
                if let Err(err) = self.inner.feedback.unvote(target) {
                    tracing::error!(cause = %err, event_id = %incoming.event_id, "could not undo a vote");
                }
                if let Err(err) = self.inner.nudges.remove_tick(
                    &incoming.room_id,
                    target,
                    &incoming.sender,
                    *by_moderator,
                ) {
                    tracing::error!(cause = %err, event_id = %incoming.event_id, "could not remove a tick");
                }
                let mut out = self
                    .cancel_deleted_command(incoming, target, *by_moderator)
                    .await;
                out.extend(
                    reflections::on_redaction(&self.inner.store, incoming, target, *by_moderator)
                        .await,
                );
                out
            }
        }
    }

    /// 👍 / 👎 on `target`: counted when it is the bot's answer to a kit command (`None`
    /// otherwise, so that the reaction can mean something else, a ✅ on a step). A 👎 offers
    /// the voter to pass the question on, in reply to the answer.
    fn on_vote(&self, ctx: &Ctx<'_>, target: &str, useful: bool) -> Option<Vec<Outgoing>> {
        let incoming = ctx.incoming;
        let command = match self.inner.outbox.command_answered_by(target) {
            Ok(Some(command)) => command,
            Ok(None) => return None,
            Err(err) => {
                tracing::error!(cause = %err, "could not read what an answer answered");
                return None;
            }
        };
        let feedback = &self.inner.feedback;
        match feedback.vote(
            &incoming.tenant,
            &command,
            &incoming.event_id,
            &incoming.sender,
            useful,
            ctx.now,
        ) {
            Ok(Voted::NotAnAnswer) => None,
            Ok(Voted::Counted) if !useful => {
                feedback.offer(
                    &incoming.tenant,
                    &incoming.room_id,
                    &incoming.sender,
                    &command,
                );
                Some(vec![Outgoing::Reply {
                    room_id: incoming.room_id.clone(),
                    to_event: target.to_owned(),
                    thread_root: incoming.thread_root.clone(),
                    markdown: crate::strings::kit::KIT_NOT_USEFUL_OFFER.to_owned(),
                }])
            }
            Ok(_) => Some(Vec::new()),
            Err(err) => {
                tracing::error!(cause = %err, event_id = %incoming.event_id, "could not count a vote");
                Some(Vec::new())
            }
        }
    }

    /// A command edited by its author within [`EDIT_WINDOW_MINUTES`] of the bot's answer: what
    /// the first version created (a nudge, a reminder) is cancelled, the new text runs, and the
    /// bot's answer is edited in place rather than a second one posted. Older edits, and edits
    /// of a command whose answer is unknown, change nothing.
    async fn rerun_edited_command(&self, ctx: &Ctx<'_>, target: &str, body: &str) -> Vec<Outgoing> {
        let incoming = ctx.incoming;
        let answer = match self.inner.outbox.answer_to(target) {
            Ok(Some(answer)) => answer,
            Ok(None) => return Vec::new(),
            Err(err) => {
                tracing::error!(cause = %err, "could not read the answer to an edited command");
                return Vec::new();
            }
        };
        if answer.room_id != incoming.room_id
            || ctx.now - answer.at > chrono::Duration::minutes(EDIT_WINDOW_MINUTES)
        {
            return Vec::new();
        }
        if let Ok(Some(nudge)) = self.inner.nudges.created_by(&incoming.tenant, target) {
            if nudge.author == incoming.sender {
                if let Err(err) = self.inner.nudges.remove(&nudge.key()).await {
                    tracing::error!(cause = %err, "could not cancel what an edited command created");
                    return vec![reply(incoming, s::NOT_SAVED.to_owned())];
                }
            }
        }
        let mut out = self.handle_message(ctx, body).await;
        if let Some(first) = out.iter_mut().find(|o| matches!(o, Outgoing::Reply { .. })) {
            if let Outgoing::Reply { markdown, .. } = first {
                *first = Outgoing::Edit {
                    room_id: answer.room_id.clone(),
                    event_id: answer.event_id.clone(),
                    markdown: std::mem::take(markdown),
                };
            }
        }
        out
    }

    /// The message that created a nudge or a reminder was deleted by its author (or a
    /// moderator): the nudge is cancelled, and the room is told in reply to the deletion.
    async fn cancel_deleted_command(
        &self,
        incoming: &Incoming,
        target: &str,
        by_moderator: bool,
    ) -> Vec<Outgoing> {
        let nudge = match self.inner.nudges.created_by(&incoming.tenant, target) {
            Ok(Some(nudge)) => nudge,
            Ok(None) => return Vec::new(),
            Err(err) => {
                tracing::error!(cause = %err, event_id = %incoming.event_id, "could not read what a deleted message created");
                return Vec::new();
            }
        };
        if nudge.author != incoming.sender && !by_moderator {
            return Vec::new();
        }
        match self.inner.nudges.remove(&nudge.key()).await {
            Ok(Some(removed)) => {
                tracing::info!(event_id = %incoming.event_id, "a deleted command's nudge is cancelled");
                // A notice in the room (the deleted message cannot be replied to).
                vec![Outgoing::notice(
                    incoming.room_id.clone(),
                    crate::strings::nudges::cancelled_by_deletion(&removed.label()),
                )]
            }
            Ok(None) => Vec::new(),
            Err(err) => {
                tracing::error!(cause = %err, event_id = %incoming.event_id, "could not cancel a deleted command's nudge");
                vec![reply(incoming, s::NOT_SAVED.to_owned())]
            }
        }
    }

    /// `!kb aide` → `!aide`, addressed to the bot: the own prefix always reaches kitbot, even
    /// when another bot shares the room. `None` when the body does not start with it.
    fn strip_own_prefix(&self, body: &str) -> Option<String> {
        let config = &self.inner.config;
        let rest = body.trim_start().strip_prefix(config.own_prefix.as_str())?;
        if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
            return None;
        }
        let rest = rest.trim_start();
        let rest = rest.strip_prefix(config.prefix.as_str()).unwrap_or(rest);
        Some(if rest.is_empty() {
            format!("{}aide", config.prefix)
        } else {
            format!("{}{rest}", config.prefix)
        })
    }

    /// Whether an unknown `!word` gets an answer (`config.unknown_commands`): other bots'
    /// commands in a shared room are ignored silently.
    fn answers_unknown(&self, word: &str, addressed: bool) -> bool {
        use crate::config::UnknownCommands;
        let config = &self.inner.config;
        match config.unknown_commands {
            UnknownCommands::All => true,
            UnknownCommands::Silent => addressed,
            UnknownCommands::Near => {
                addressed
                    || (!config
                        .ignored_commands
                        .contains(&crate::core::text::fold(word))
                        && self.inner.commands.suggest(word).is_some())
            }
        }
    }

    /// Whether a message is a `!reflexion` (and its arguments), another command, or plain text.
    fn classify_text<'b>(&self, body: &'b str) -> Text<'b> {
        let prefix = &self.inner.config.prefix;
        if let Some(own) = self.strip_own_prefix(body) {
            // The arguments are a suffix of the original body.
            if let Some((spec, args)) = self.inner.commands.split(&own, prefix) {
                if spec.name == "reflexion" {
                    let at = body.len() - args.len();
                    return Text::Reflexion(&body[at..]);
                }
            }
            return Text::OtherCommand;
        }
        match self.inner.commands.split(body, prefix) {
            Some((spec, args)) if spec.name == "reflexion" => Text::Reflexion(args),
            _ if command_word(body, prefix).is_some() => Text::OtherCommand,
            _ => Text::Plain(body),
        }
    }

    async fn handle_message(&self, ctx: &Ctx<'_>, body: &str) -> Vec<Outgoing> {
        let incoming = ctx.incoming;
        #[cfg(test)]
        if body == tests::PANIC_COMMAND {
            panic!("a command that panics, for the containment test");
        }
        let prefix = &self.inner.config.prefix;
        let own = self.strip_own_prefix(body);
        let addressed = incoming.addressed || own.is_some();
        let body = own.as_deref().unwrap_or(body);
        let Some((word, args)) = command_word(body, prefix) else {
            return Vec::new();
        };
        let known = self.inner.commands.split(body, prefix);
        if known.is_none() && !self.answers_unknown(word, addressed) {
            // Another bot's command, most likely: not ours to answer, nor to count.
            return Vec::new();
        }
        match self.inner.limits.check(&incoming.tenant, &incoming.sender) {
            limits::Verdict::Allowed => {}
            limits::Verdict::Warn => {
                tracing::info!(event_id = %incoming.event_id, "a person is over the command limit; told once");
                return vec![reply(
                    incoming,
                    s::slow_down(self.inner.limits.every_seconds()),
                )];
            }
            limits::Verdict::Ignore => return Vec::new(),
        }
        let started = std::time::Instant::now();
        let (out, name, outcome) = match known {
            Some((spec, _)) if !incoming.role.allows(spec.role) => (
                vec![reply(incoming, s::refused_coordination(&spec.name))],
                spec.name.clone(),
                "refused",
            ),
            _ => {
                let command = match known {
                    Some((spec, _)) => Command::parse(&spec.name, args),
                    None => Command::Unknown {
                        word: word.to_owned(),
                    },
                };
                let name = command.name().to_owned();
                match command.apply(ctx, incoming).await {
                    Ok(out) if name == "inconnue" => (out, name, "unknown"),
                    Ok(out) => (out, name, "ok"),
                    Err(CommandError::Store(err)) => {
                        tracing::error!(cause = %err, command = %name, event_id = %incoming.event_id, "a write failed; nothing was changed");
                        (
                            vec![reply(incoming, s::NOT_SAVED.to_owned())],
                            name,
                            "not_saved",
                        )
                    }
                }
            }
        };
        let seconds = started.elapsed().as_secs_f64();
        crate::metrics::metrics().command(&name, outcome, seconds);
        // One line per command: room, name, outcome, duration; never the text.
        tracing::info!(room_id = %incoming.room_id, command = %name, outcome, ms = (seconds * 1000.0).round() as u64, "command handled");
        out
    }

    /// The room `room_id` stopped belonging to `tenant`: its nudges and parcours are paused
    /// (not lost; [`Engine::room_back`] resumes them). When the room left the Mission Locale
    /// but the bot is still there, the room is told once; when the bot was removed (kicked,
    /// banned), each coordinator who created something there gets a direct message saying
    /// why and how to resume.
    pub async fn room_left(
        &self,
        tenant: &str,
        room_id: &str,
        leaving: Leaving,
    ) -> Result<crate::nudges::Suspended, StoreError> {
        let suspended = self.inner.nudges.suspend_room(tenant, room_id).await?;
        tracing::warn!(%tenant, %room_id, nudges = suspended.nudges.len(), parcours = suspended.parcours.is_some(), ?leaving, "a room left its Mission Locale; its nudges are paused");
        let name = self.mission(tenant).map_or(tenant, |m| m.name.as_str());
        let at = self.now().timestamp_millis();
        let mut drafts = Vec::new();
        match &leaving {
            Leaving::Moved => drafts.push(crate::outbox::Draft::new(
                format!("left|{room_id}|{tenant}|{at}"),
                Outgoing::notice(
                    room_id.to_owned(),
                    crate::strings::nudges::room_left(
                        &crate::core::text::escape_md(name),
                        suspended.nudges.len(),
                        usize::from(suspended.parcours.is_some()),
                    ),
                ),
            )),
            Leaving::Removed { room_name } => {
                let mut authors: Vec<&str> = suspended
                    .nudges
                    .iter()
                    .map(|(_, a)| a.as_str())
                    .chain(suspended.parcours.iter().map(|(_, a)| a.as_str()))
                    .filter(|a| !a.is_empty())
                    .collect();
                authors.sort_unstable();
                authors.dedup();
                for author in authors {
                    let labels: Vec<&str> = suspended
                        .nudges
                        .iter()
                        .filter(|(_, a)| a == author)
                        .map(|(l, _)| l.as_str())
                        .collect();
                    let parcours = suspended
                        .parcours
                        .as_ref()
                        .filter(|(_, a)| a == author)
                        .map(|(t, _)| crate::core::text::escape_md(t));
                    drafts.push(crate::outbox::Draft {
                        txn: format!("removed|{room_id}|{tenant}|{author}|{at}"),
                        out: Outgoing::Direct {
                            user_id: author.to_owned(),
                            tenant: tenant.to_owned(),
                            markdown: crate::strings::nudges::room_removed(
                                &crate::core::text::quote_inline(room_name, 60),
                                &labels,
                                parcours.as_deref(),
                            ),
                            attachment: None,
                        },
                        note: None,
                        due_at: None,
                    });
                }
            }
        }
        if !drafts.is_empty() {
            self.inner.outbox.queue(drafts)?;
            self.inner.outbox.flush().await?;
        }
        Ok(suspended)
    }

    /// The room `room_id` is back in `tenant` (the bot re-invited, the room back in its
    /// Space): what [`Engine::room_left`] paused resumes, and the room is told once.
    pub async fn room_back(
        &self,
        tenant: &str,
        room_id: &str,
    ) -> Result<crate::nudges::Suspended, StoreError> {
        let Some(mission) = self.mission(tenant) else {
            return Ok(Default::default());
        };
        let resumed = self
            .inner
            .nudges
            .resume_room(tenant, room_id, mission.tz, &mission.quiet, self.now())
            .await?;
        if resumed.is_empty() {
            return Ok(resumed);
        }
        tracing::info!(%tenant, %room_id, nudges = resumed.nudges.len(), parcours = resumed.parcours.is_some(), "a room is back; its nudges resume");
        let labels: Vec<&str> = resumed.nudges.iter().map(|(l, _)| l.as_str()).collect();
        let parcours = resumed
            .parcours
            .as_ref()
            .map(|(t, _)| crate::core::text::escape_md(t));
        self.inner.outbox.queue(vec![crate::outbox::Draft::new(
            format!("back|{room_id}|{tenant}|{}", self.now().timestamp_millis()),
            Outgoing::notice(
                room_id.to_owned(),
                crate::strings::nudges::room_back(&labels, parcours.as_deref()),
            ),
        )])?;
        self.inner.outbox.flush().await?;
        Ok(resumed)
    }

    /// The room `old` was upgraded to `new`: its nudges, parcours and reflections move there.
    /// Returns what moved, for the notice in the new room ([`Engine::tell_room_moved`]).
    pub async fn room_moved(
        &self,
        tenant: &str,
        old: &str,
        new: &str,
    ) -> Result<Moved, StoreError> {
        let reflections = reflections::move_room(&self.inner.store, tenant, old, new)?;
        reflections::flush(&self.inner.store).await?;
        let (nudges, parcours) = self.inner.nudges.move_room(tenant, old, new).await?;
        tracing::info!(%tenant, %old, %new, nudges, parcours, reflections, "a room was upgraded; its data follows");
        Ok(Moved {
            nudges,
            parcours,
            reflections,
        })
    }

    /// Say once in the new room what followed it from the old one.
    pub async fn tell_room_moved(
        &self,
        old: &str,
        new: &str,
        moved: Moved,
    ) -> Result<(), StoreError> {
        self.inner.outbox.queue(vec![crate::outbox::Draft::new(
            format!("moved|{old}|{new}"),
            Outgoing::notice(
                new.to_owned(),
                crate::strings::nudges::room_moved(moved.nudges, moved.parcours, moved.reflections),
            ),
        )])?;
        self.inner.outbox.flush().await
    }

    /// What the delivery task reports back: a posted nudge or step is remembered by its event
    /// id (for ✅ counting and reply threads).
    pub fn delivered_hook(&self) -> Delivered {
        let nudges = self.inner.nudges.clone();
        Arc::new(move |item, event_id| {
            if let (Some(note), Some(event_id), Outgoing::Post { room_id, .. }) =
                (&item.note, event_id, &item.out)
            {
                nudges.on_posted(note, room_id, event_id);
            }
        })
    }

    /// What the scheduler works with.
    pub fn scheduler_env(&self) -> SchedulerEnv {
        SchedulerEnv {
            nudges: self.inner.nudges.clone(),
            outbox: self.inner.outbox.clone(),
            kit: self.inner.kit.clone(),
            config: self.inner.config.clone(),
            clock: self.inner.clock.clone(),
        }
    }

    /// Start the background tasks (the scheduler, the daily retention purge, the pruning of
    /// old ids) on `tracker`, each restarted if it panics, all stopped by `shutdown`.
    pub fn spawn_background(&self, tracker: &TaskTracker, shutdown: &CancellationToken) {
        let env = self.scheduler_env();
        supervise(tracker, shutdown, "scheduler", move |stop| {
            crate::nudges::scheduler::run(env.clone(), stop)
        });
        let (store, missions, clock) = (
            self.inner.store.clone(),
            Arc::new(self.inner.config.missions.clone()),
            self.inner.clock.clone(),
        );
        supervise(tracker, shutdown, "retention", move |stop| {
            reflections::run_retention(store.clone(), missions.clone(), clock.clone(), stop)
        });
        let (outbox, nudges, feedback, clock) = (
            self.inner.outbox.clone(),
            self.inner.nudges.clone(),
            self.inner.feedback.clone(),
            self.inner.clock.clone(),
        );
        let months: Arc<std::collections::HashMap<String, u32>> = Arc::new(
            self.inner
                .config
                .missions
                .iter()
                .map(|m| (m.id.clone(), m.retention_months))
                .collect(),
        );
        supervise(tracker, shutdown, "pruning", move |stop| {
            prune_daily(
                outbox.clone(),
                nudges.clone(),
                feedback.clone(),
                months.clone(),
                clock.clone(),
                stop,
            )
        });
        let store = self.inner.store.clone();
        supervise(tracker, shutdown, "store", move |stop| {
            watch_store(store.clone(), stop)
        });
        let engine = self.clone();
        supervise(tracker, shutdown, "digests", move |stop| {
            digest::run(engine.clone(), stop)
        });
        let engine = self.clone();
        supervise(tracker, shutdown, "backups", move |stop| {
            engine.clone().back_up_on_schedule(stop)
        });
    }

    /// Ask the backup task to write a backup now.
    pub fn request_backup(&self) {
        self.inner.backup_now.notify_one();
    }

    /// Write a backup every `backup_every_hours` (the first one at start when the newest is
    /// older than that), and whenever asked; keep the newest `backup_keep`.
    async fn back_up_on_schedule(self, shutdown: CancellationToken) {
        let backups = self.inner.config.backups;
        let dir = self.inner.config.backup_dir();
        let every = chrono::Duration::hours(i64::from(backups.every_hours));
        let newest = crate::backup::latest(&dir)
            .and_then(|f| std::fs::metadata(f).ok())
            .and_then(|m| m.modified().ok())
            .map(DateTime::<Utc>::from);
        let mut due = (backups.every_hours > 0).then(|| newest.map_or(self.now(), |at| at + every));
        loop {
            let wait = due.map(|d| self.inner.clock.real_wait(d - self.now()));
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.inner.backup_now.notified() => {}
                _ = async {
                    match wait {
                        Some(wait) => tokio::time::sleep(wait).await,
                        None => std::future::pending().await,
                    }
                } => {}
            }
            let (store, dir2, now) = (self.inner.store.clone(), dir.clone(), self.now());
            match tokio::task::spawn_blocking(move || crate::backup::write(&store, &dir2, now))
                .await
            {
                Ok(Ok(_)) => {
                    let removed = crate::backup::prune(&dir, backups.keep as usize);
                    if removed > 0 {
                        tracing::info!(removed, "old backups removed");
                    }
                }
                Ok(Err(err)) => tracing::error!(cause = %err, "the backup failed"),
                Err(err) => tracing::error!(cause = %err, "the backup task failed"),
            }
            due = (backups.every_hours > 0).then(|| self.now() + every);
        }
    }
}

/// Run `task` on `tracker` until `shutdown`; when it panics, log it at error and start it again
/// (after a second, so that a task failing at once does not spin).
pub fn supervise<F, Fut>(
    tracker: &TaskTracker,
    shutdown: &CancellationToken,
    name: &'static str,
    task: F,
) where
    F: Fn(CancellationToken) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let shutdown = shutdown.clone();
    tracker.spawn(async move {
        loop {
            let run = tokio::spawn(task(shutdown.clone()));
            match run.await {
                Ok(()) => return,
                Err(err) if err.is_panic() => {
                    tracing::error!(task = name, "background task panicked; restarting it");
                }
                Err(err) => {
                    tracing::error!(task = name, cause = %err, "background task failed; restarting it");
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            }
        }
    });
}

/// How often a failing store (full disk) is opened again to see whether it works.
const STORE_RETRY: std::time::Duration = std::time::Duration::from_secs(5);

/// When writes fail (a full disk), open the store again every few seconds until it works: the
/// bot stays up, answers that it cannot save meanwhile, and recovers by itself when space
/// returns.
async fn watch_store(store: Store, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(STORE_RETRY) => {}
        }
        if store.is_failing() {
            let again = store.clone();
            if let Err(err) = tokio::task::spawn_blocking(move || again.reopen()).await {
                tracing::error!(cause = %err, "reopening the store failed");
            }
        }
    }
}

/// Forget what is kept only for a while (delivered transaction ids, handled event ids, old
/// posts, ended silences), at start and then daily, with the sizes in the log.
async fn prune_daily(
    outbox: Outbox,
    nudges: Nudges,
    feedback: Feedback,
    months: Arc<std::collections::HashMap<String, u32>>,
    clock: SharedClock,
    shutdown: CancellationToken,
) {
    loop {
        match feedback.prune(clock.now(), &months) {
            Ok(removed) => tracing::info!(
                removed,
                "pruned old vote records and questions past their retention"
            ),
            Err(err) => tracing::error!(cause = %err, "pruning the readers' feedback failed"),
        }
        match outbox.prune() {
            Ok((delivered, handled)) => tracing::info!(
                delivered,
                handled,
                pending = outbox.len(),
                "pruned old delivery and handled-event ids"
            ),
            Err(err) => tracing::error!(cause = %err, "pruning the outbox failed"),
        }
        match nudges.prune(clock.now()) {
            Ok(pruned) => tracing::info!(
                posts = pruned.posts,
                silences = pruned.silences,
                origins = pruned.origins,
                "pruned old posts, ended silences and creation records"
            ),
            Err(err) => tracing::error!(cause = %err, "pruning the nudges failed"),
        }
        let day = clock.real_wait(chrono::Duration::days(1));
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(day) => {}
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

/// A picture in reply to the event, in its thread if it was in one: it goes after the text
/// answer (a chart of the figures the text gives).
pub fn image(incoming: &Incoming, picture: Picture) -> Outgoing {
    Outgoing::Image {
        room_id: incoming.room_id.clone(),
        to_event: incoming.event_id.clone(),
        thread_root: incoming.thread_root.clone(),
        picture,
    }
}

#[cfg(test)]
pub(crate) mod tests;
