//! The chat commands. Their names, aliases, roles and help texts are data (`commands/*.toml`,
//! loaded by [`spec`]); their behaviour is here: one [`Command`] variant per command, each with
//! its `parse` and `apply` in its own file, its syntax documented at the top of that file.
//! Unknown input is a variant ([`Command::Unknown`]), not an error.

mod aide;
mod digest;
mod kit;
mod nudges;
mod parcours;
mod ping;
mod reflections;
pub mod spec;
mod unknown;

pub use spec::{command_word, CommandSet, CommandSpec};

pub(crate) use parcours::run_chart;

use crate::core::{Incoming, Outgoing};
use crate::engine::Ctx;

/// A parsed command, ready to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Aide(aide::Aide),
    Ping,
    Kit(kit::KitCommand),
    Parcours(parcours::ParcoursCommand),
    Nudge(nudges::NudgeCommand),
    Reflection(reflections::ReflectionCommand),
    Digest(digest::Digest),
    /// A word after the prefix that names no command.
    Unknown {
        word: String,
    },
}

/// What can go wrong while applying a command: only our own failures (storage). User mistakes
/// are answers, not errors.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// ⏰ on a message the bot sent: remind the person of it in an hour. The answer to post.
pub async fn snooze(
    ctx: &Ctx<'_>,
    incoming: &Incoming,
    quoted: &crate::core::Quoted,
) -> Result<String, CommandError> {
    nudges::plus_tard::remind_later(ctx, incoming, "", quoted).await
}

impl Command {
    /// Build the command named `name` (a canonical name from `commands/`) from its arguments.
    pub fn parse(name: &str, args: &str) -> Command {
        match name {
            "aide" => return Command::Aide(aide::Aide::parse(args)),
            "ping" => return Command::Ping,
            "parcours" => return Command::Parcours(parcours::ParcoursCommand::parse(args)),
            "digest" => return Command::Digest(digest::Digest::parse(args)),
            _ => {}
        }
        if let Some(cmd) = kit::KitCommand::parse(name, args) {
            return Command::Kit(cmd);
        }
        if let Some(cmd) = nudges::NudgeCommand::parse(name, args) {
            return Command::Nudge(cmd);
        }
        if let Some(cmd) = reflections::ReflectionCommand::parse(name, args) {
            return Command::Reflection(cmd);
        }
        // A TOML file without Rust behaviour: answer as for an unknown word, never fail.
        Command::Unknown {
            word: name.to_owned(),
        }
    }

    /// The canonical name, for logs.
    pub fn name(&self) -> &str {
        match self {
            Command::Aide(_) => "aide",
            Command::Ping => "ping",
            Command::Kit(cmd) => cmd.name(),
            Command::Parcours(_) => "parcours",
            Command::Nudge(cmd) => cmd.name(),
            Command::Reflection(cmd) => cmd.name(),
            Command::Digest(_) => "digest",
            Command::Unknown { .. } => "inconnue",
        }
    }

    pub async fn apply(
        &self,
        ctx: &Ctx<'_>,
        incoming: &Incoming,
    ) -> Result<Vec<Outgoing>, CommandError> {
        match self {
            Command::Aide(cmd) => Ok(cmd.apply(ctx, incoming)),
            Command::Ping => Ok(ping::apply(ctx, incoming)),
            Command::Kit(cmd) => cmd.apply(ctx, incoming).await,
            Command::Parcours(cmd) => cmd.apply(ctx, incoming).await,
            Command::Nudge(cmd) => cmd.apply(ctx, incoming).await,
            Command::Reflection(cmd) => cmd.apply(ctx, incoming).await,
            Command::Digest(cmd) => cmd.apply(ctx, incoming).await,
            Command::Unknown { word } => Ok(unknown::apply(ctx, incoming, word)),
        }
    }
}
