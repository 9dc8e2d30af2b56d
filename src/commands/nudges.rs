//! The nudges commands, one file each under `nudges/`: `!relance` and `!relances`
//! (coordination, checked by the engine from `commands/*.toml`), `!me-rappeler`,
//! `!mes-rappels`, `!plus-tard` and `!silence` (everyone). `common.rs` holds what they share.

mod common;
pub(crate) mod me_rappeler;
mod mes_rappels;
pub(crate) mod plus_tard;
mod relance;
mod relances;
mod silence;

pub(crate) use common::{firings_block, zone};

use crate::core::{Incoming, Outgoing};
use crate::engine::Ctx;

use super::CommandError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NudgeCommand {
    Relance(relance::Relance),
    Relances(relances::Relances),
    MeRappeler(me_rappeler::MeRappeler),
    MesRappels(mes_rappels::MesRappels),
    PlusTard(plus_tard::PlusTard),
    Silence(silence::Silence),
}

impl NudgeCommand {
    /// The command named `name` (a canonical name from `commands/`), if it is one of these.
    pub fn parse(name: &str, args: &str) -> Option<NudgeCommand> {
        Some(match name {
            "relance" => NudgeCommand::Relance(relance::Relance::parse(args)),
            "relances" => NudgeCommand::Relances(relances::Relances::parse(args)),
            "me-rappeler" => NudgeCommand::MeRappeler(me_rappeler::MeRappeler::parse(args)),
            "mes-rappels" => NudgeCommand::MesRappels(mes_rappels::MesRappels::parse(args)),
            "silence" => NudgeCommand::Silence(silence::Silence::parse(args)),
            "plus-tard" => NudgeCommand::PlusTard(plus_tard::PlusTard::parse(args)),
            _ => return None,
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            NudgeCommand::Relance(_) => "relance",
            NudgeCommand::Relances(_) => "relances",
            NudgeCommand::MeRappeler(_) => "me-rappeler",
            NudgeCommand::MesRappels(_) => "mes-rappels",
            NudgeCommand::Silence(_) => "silence",
            NudgeCommand::PlusTard(_) => "plus-tard",
        }
    }

    pub async fn apply(
        &self,
        ctx: &Ctx<'_>,
        incoming: &Incoming,
    ) -> Result<Vec<Outgoing>, CommandError> {
        match self {
            NudgeCommand::Relance(cmd) => cmd.apply(ctx, incoming).await,
            NudgeCommand::Relances(cmd) => cmd.apply(ctx, incoming).await,
            NudgeCommand::MeRappeler(cmd) => cmd.apply(ctx, incoming).await,
            NudgeCommand::MesRappels(cmd) => cmd.apply(ctx, incoming).await,
            NudgeCommand::Silence(cmd) => cmd.apply(ctx, incoming).await,
            NudgeCommand::PlusTard(cmd) => cmd.apply(ctx, incoming).await,
        }
    }
}
