//! `!mes-rappels` (everyone): the sender's personal reminders; `!mes-rappels annuler P3`.

use crate::commands::CommandError;
use crate::core::text::fold;
use crate::core::text::quote_inline;
use crate::core::{Incoming, Outgoing};
use crate::engine::{reply, Ctx};
use crate::nudges::model::{self, item_key};
use crate::strings::nudges as s;

use super::common::zone;
use super::relances::line;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MesRappels {
    List,
    Cancel { label: String },
}

impl MesRappels {
    pub fn parse(args: &str) -> MesRappels {
        let args = args.trim();
        let (first, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
        match fold(first).as_str() {
            "annuler" | "supprimer" => MesRappels::Cancel {
                label: rest.trim().to_owned(),
            },
            _ => MesRappels::List,
        }
    }

    pub async fn apply(
        &self,
        ctx: &Ctx<'_>,
        incoming: &Incoming,
    ) -> Result<Vec<Outgoing>, CommandError> {
        let answer = match self {
            MesRappels::List => {
                let (tz, _) = zone(ctx);
                let now = ctx.now;
                let mine = ctx.nudges.of_place(&incoming.tenant, &incoming.sender)?;
                if mine.is_empty() {
                    s::NO_REMINDERS.to_owned()
                } else {
                    let lines: Vec<String> = mine.iter().map(|n| line(n, tz, now)).collect();
                    format!(
                        "{}\n\n{}\n\n{}",
                        s::reminders_title(mine.len()),
                        lines.join("\n"),
                        s::REMINDERS_CANCEL_USAGE
                    )
                }
            }
            MesRappels::Cancel { label } => match model::parse_label(label, 'P') {
                None if label.is_empty() => s::REMINDERS_CANCEL_USAGE.to_owned(),
                None => s::unknown_reminder(&quote_inline(label, 20)),
                Some(number) => {
                    let key = item_key(&incoming.tenant, &incoming.sender, number);
                    match ctx.nudges.remove(&key).await? {
                        Some(_) => s::reminder_cancelled(&format!("P{number}")),
                        None => s::unknown_reminder(&format!("P{number}")),
                    }
                }
            },
        };
        Ok(vec![reply(incoming, answer)])
    }
}
