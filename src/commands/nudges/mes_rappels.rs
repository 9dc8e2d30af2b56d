//! `!mes-rappels` (everyone): the sender's personal reminders; `!mes-rappels annuler P3`.

use crate::commands::CommandError;
use crate::engine::{reply, Engine, Incoming, Outgoing};
use crate::kit::text::quote_inline;
use crate::nudges::model::{self, item_key};
use crate::strings::nudges as s;
use crate::text::fold;

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
        engine: &Engine,
        incoming: &Incoming,
    ) -> Result<Vec<Outgoing>, CommandError> {
        let store = engine.store();
        let answer = match self {
            MesRappels::List => {
                let (tz, _) = zone(engine, incoming);
                let now = engine.now();
                let mine = model::nudges_of(store, &incoming.tenant, &incoming.sender)?;
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
                    let removed = {
                        let _guard = model::write_lock();
                        match model::get_nudge(store, &key)? {
                            Some(nudge) => {
                                model::delete_nudge(store, &nudge)?;
                                true
                            }
                            None => false,
                        }
                    };
                    if removed {
                        store.flush().await?;
                        engine.schedule_changed();
                        s::reminder_cancelled(&format!("P{number}"))
                    } else {
                        s::unknown_reminder(&format!("P{number}"))
                    }
                }
            },
        };
        Ok(vec![reply(incoming, answer)])
    }
}
