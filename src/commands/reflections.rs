//! The reflections commands: one variant per command, each with its `parse` and `apply` in its
//! own file under `reflections/`, its syntax documented at the top of that file. The domain
//! (consent, guards, storage, rendering) is `crate::reflections`; these files only read the
//! arguments and turn outcomes into answers.

mod bilan;
mod consentement;
mod mes_donnees;
mod oublier;
mod reflexion;
mod reflexions;

use crate::core::{Incoming, Outgoing};
use crate::engine::Ctx;

use super::CommandError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReflectionCommand {
    Consentement(consentement::Consentement),
    Reflexion(reflexion::Reflexion),
    Reflexions(reflexions::Reflexions),
    Bilan(bilan::Bilan),
    MesDonnees,
    Oublier(oublier::Oublier),
}

impl ReflectionCommand {
    /// The command named `name` (a canonical name from `commands/`), if it is one of these.
    pub fn parse(name: &str, args: &str) -> Option<ReflectionCommand> {
        Some(match name {
            "consentement" => {
                ReflectionCommand::Consentement(consentement::Consentement::parse(args))
            }
            "reflexion" => ReflectionCommand::Reflexion(reflexion::Reflexion::parse(args)),
            "reflexions" => ReflectionCommand::Reflexions(reflexions::Reflexions::parse(args)),
            "bilan" => ReflectionCommand::Bilan(bilan::Bilan::parse(args)),
            "mes-donnees" => ReflectionCommand::MesDonnees,
            "oublier" => ReflectionCommand::Oublier(oublier::Oublier::parse(args)),
            _ => return None,
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            ReflectionCommand::Consentement(_) => "consentement",
            ReflectionCommand::Reflexion(_) => "reflexion",
            ReflectionCommand::Reflexions(_) => "reflexions",
            ReflectionCommand::Bilan(_) => "bilan",
            ReflectionCommand::MesDonnees => "mes-donnees",
            ReflectionCommand::Oublier(_) => "oublier",
        }
    }

    pub async fn apply(
        &self,
        ctx: &Ctx<'_>,
        incoming: &Incoming,
    ) -> Result<Vec<Outgoing>, CommandError> {
        match self {
            ReflectionCommand::Consentement(cmd) => cmd.apply(ctx, incoming).await,
            ReflectionCommand::Reflexion(cmd) => cmd.apply(ctx, incoming).await,
            ReflectionCommand::Reflexions(cmd) => cmd.apply(ctx, incoming),
            ReflectionCommand::Bilan(cmd) => cmd.apply(ctx, incoming).await,
            ReflectionCommand::MesDonnees => mes_donnees::apply(ctx, incoming),
            ReflectionCommand::Oublier(cmd) => cmd.apply(ctx, incoming).await,
        }
    }
}
