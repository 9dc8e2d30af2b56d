//! `!plus-tard [quand]` in reply to a message (everyone): remind me of that message later, in
//! a direct message with a link to it (default: in an hour). A ⏰ reaction on a nudge or a
//! reminder the person received does the same (see `snooze_reaction`).
//!
//! Examples: `!plus-tard`, `!plus-tard 2h`, `!plus-tard demain à 9h`, `!snooze 30 min`.

use crate::commands::CommandError;
use crate::core::{Incoming, Outgoing, Quoted};
use crate::engine::{reply, Ctx};
use crate::schedule;
use crate::strings::nudges as s;

use super::common::zone;
use super::me_rappeler::{create_reminder, quoted_content};

/// When nothing is said: an hour later.
pub const DEFAULT_DELAY: &str = "dans 1 heure";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlusTard {
    pub when: String,
}

impl PlusTard {
    pub fn parse(args: &str) -> PlusTard {
        PlusTard {
            when: args.trim().to_owned(),
        }
    }

    pub async fn apply(
        &self,
        ctx: &Ctx<'_>,
        incoming: &Incoming,
    ) -> Result<Vec<Outgoing>, CommandError> {
        let Some(quoted) = &incoming.quoted else {
            return Ok(vec![reply(incoming, s::SNOOZE_NEED_REPLY.to_owned())]);
        };
        let answer = remind_later(ctx, incoming, &self.when, quoted).await?;
        Ok(vec![reply(incoming, answer)])
    }
}

/// Remind the sender of `quoted` at `when` (French; "2h" is read as "dans 2h").
pub async fn remind_later(
    ctx: &Ctx<'_>,
    incoming: &Incoming,
    when: &str,
    quoted: &Quoted,
) -> Result<String, CommandError> {
    let (tz, _) = zone(ctx);
    let when = if when.is_empty() { DEFAULT_DELAY } else { when };
    let with_dans = format!("dans {when}");
    let parsed = schedule::parse_leading(when, tz, ctx.asked_at())
        .or_else(|_| schedule::parse_leading(&with_dans, tz, ctx.asked_at()));
    let schedule = match parsed {
        Ok((schedule, rest)) if rest.trim().is_empty() => schedule,
        Ok(_) => return Ok(s::SNOOZE_NEED_REPLY.to_owned()),
        Err(err) => return Ok(s::bad_when(&err.for_chat())),
    };
    create_reminder(ctx, incoming, schedule, quoted_content(incoming, quoted)).await
}
