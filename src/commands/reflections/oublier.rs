//! `!oublier` then `!oublier confirmer` — erase everything kept about you in this Mission
//! Locale (see `crate::rights`): reflections, consent record and its history, personal
//! reminders, silence, ✅ ticks, the recorded direct room; your name on team nudges. The first step says what
//! would go; the second does it, flushes, and says what went (or, when a write fails half-way,
//! that part of it may be done and the same command finishes it). Reflections already anonymised
//! are not yours in any traceable way and stay.

use crate::commands::CommandError;
use crate::core::text::{ellipsis, escape_md, fold};
use crate::core::{Incoming, Outgoing};
use crate::engine::{reply, Ctx};
use crate::rights;
use crate::strings::reflections as s;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Oublier {
    Preview,
    Confirm,
    Unknown(String),
}

impl Oublier {
    pub fn parse(args: &str) -> Self {
        match fold(args).trim() {
            "" => Oublier::Preview,
            "confirmer" | "confirme" | "oui" | "confirm" => Oublier::Confirm,
            _ => Oublier::Unknown(args.to_owned()),
        }
    }

    pub async fn apply(
        &self,
        ctx: &Ctx<'_>,
        incoming: &Incoming,
    ) -> Result<Vec<Outgoing>, CommandError> {
        let store = ctx.store;
        let (tenant, user) = (&incoming.tenant, &incoming.sender);
        let answer = match self {
            Oublier::Unknown(arg) => s::forget_bad_arg(&escape_md(&ellipsis(arg, 60))),
            Oublier::Preview => {
                let what = rights::preview(store, ctx.nudges, tenant, user)?;
                if what.is_nothing() {
                    s::FORGET_NOTHING.to_owned()
                } else {
                    let name = ctx.mission.name.clone();
                    s::forget_confirm(&escape_md(&name), &what.describe())
                }
            }
            Oublier::Confirm => {
                ctx.confirmations.forget(tenant, user);
                // Not `?`: the engine's answer to a failed write says nothing was changed,
                // and an erasure cut half-way has changed part of what it erases (it is never
                // put back: the person asked for it to go). The same command finishes it.
                let done = match rights::forget(store, ctx.nudges, tenant, user).await {
                    Ok(done) => done,
                    Err(err) => {
                        tracing::error!(cause = %err, tenant = %tenant, event_id = %incoming.event_id, "an erasure failed half-way; part of it may be done");
                        return Ok(vec![reply(incoming, s::FORGET_INCOMPLETE.to_owned())]);
                    }
                };
                tracing::info!(tenant = %tenant, event_id = %incoming.event_id, count = done.reflections.reflections, "person forgotten");
                if done.is_nothing() {
                    s::FORGET_NOTHING.to_owned()
                } else {
                    s::forget_done(&done.describe())
                }
            }
        };
        Ok(vec![reply(incoming, answer)])
    }
}
