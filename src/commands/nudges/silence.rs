//! `!silence 2 semaines` / `!silence jusqu'au 4 janvier` (everyone): pauses every nudge
//! addressed to the sender — personal reminders wait for the end of the silence, room nudges
//! stop citing them. `!silence fin` ends it; `!silence` alone tells where it stands.

use crate::commands::CommandError;
use crate::core::text::fold;
use crate::core::{Incoming, Outgoing};
use crate::engine::{reply, Ctx};
use crate::strings::nudges as s;

use super::common::{parse_until, until_text, zone};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Silence {
    Status,
    End,
    Until { text: String },
}

impl Silence {
    pub fn parse(args: &str) -> Silence {
        let args = args.trim();
        match fold(args).as_str() {
            "" => Silence::Status,
            "fin" | "stop" | "arreter" | "terminer" | "off" => Silence::End,
            _ => Silence::Until {
                text: args.to_owned(),
            },
        }
    }

    pub async fn apply(
        &self,
        ctx: &Ctx<'_>,
        incoming: &Incoming,
    ) -> Result<Vec<Outgoing>, CommandError> {
        let (tz, _) = zone(ctx);
        let now = ctx.now;
        let (tenant, user) = (&incoming.tenant, &incoming.sender);
        let answer = match self {
            Silence::Status => match ctx.nudges.silenced_until(tenant, user, now)? {
                Some(until) => s::silence_status(&until_text(until, tz, now)),
                None => s::SILENCE_NONE.to_owned(),
            },
            Silence::End => {
                ctx.nudges.set_silence(tenant, user, None).await?;
                s::SILENCE_ENDED.to_owned()
            }
            Silence::Until { text } => match parse_until(text, tz, now) {
                Ok(until) => {
                    ctx.nudges.set_silence(tenant, user, Some(until)).await?;
                    s::silence_set(&until_text(until, tz, now))
                }
                Err(err) => format!("{}\n\n{}", err.for_chat(), s::SILENCE_USAGE),
            },
        };
        Ok(vec![reply(incoming, answer)])
    }
}
