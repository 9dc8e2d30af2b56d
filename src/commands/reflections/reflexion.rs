//! `!reflexion <texte> [#tag …] [#fiche:<id>]` — share a reflection in a team room.
//! `!reflexion confirmer` — confirm one the personal-data guard was unsure about.
//!
//! With consent and through the guards, it is kept and confirmed with a ✅ on the message (and
//! a short notice the first time). Without consent nothing is kept and the answer says how to
//! opt in. When the guard is unsure (a word that may be a name), nothing is kept and the author
//! is asked: `!reflexion confirmer` within 15 minutes keeps it, or they rephrase. In a thread of
//! a nudge or a parcours step it is linked to that card unless it names one. Editing the
//! message updates it; deleting the message erases it.

use crate::commands::CommandError;
use crate::core::text::fold;
use crate::core::{Incoming, Outgoing};
use crate::engine::{reply, Ctx};
use crate::reflections::model::Origin;
use crate::reflections::share::{share, Share};
use crate::strings::reflections as s;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reflexion {
    /// Everything after the command word, tags included (the guard reads all of it).
    Share { raw: String },
    /// Keep the reflection that waits for the author's confirmation.
    Confirm,
}

impl Reflexion {
    pub fn parse(args: &str) -> Self {
        match fold(args.trim()).as_str() {
            "confirmer" | "je confirme" | "confirm" => Reflexion::Confirm,
            _ => Reflexion::Share {
                raw: args.to_owned(),
            },
        }
    }

    pub async fn apply(
        &self,
        ctx: &Ctx<'_>,
        incoming: &Incoming,
    ) -> Result<Vec<Outgoing>, CommandError> {
        if incoming.is_direct {
            return Ok(vec![reply(incoming, s::IN_DIRECT.to_owned())]);
        }
        let pending = match self {
            Reflexion::Confirm => {
                match ctx
                    .confirmations
                    .take(&incoming.tenant, &incoming.sender, ctx.now)
                {
                    Some(waiting) => Share {
                        confirmed: true,
                        ..waiting
                    },
                    None => return Ok(vec![reply(incoming, s::NOTHING_TO_CONFIRM.to_owned())]),
                }
            }
            Reflexion::Share { raw } => Share {
                tenant: incoming.tenant.clone(),
                room_id: incoming.room_id.clone(),
                author: incoming.sender.clone(),
                event_id: incoming.event_id.clone(),
                reaction_id: None,
                raw: raw.clone(),
                // A reflection in the thread of a nudge or a parcours step is about its card.
                thread_card: incoming
                    .thread_root
                    .as_deref()
                    .and_then(|root| ctx.nudges.card_of_post(&incoming.room_id, root)),
                thread_root: incoming.thread_root.clone(),
                origin: Origin::Command,
                at: ctx.now,
                confirmed: false,
            },
        };
        let (target, thread_root) = (pending.event_id.clone(), pending.thread_root.clone());
        let shared = share(ctx.store, ctx.kit, ctx.confirmations, pending).await?;
        Ok(crate::reflections::answer_share(
            incoming,
            &target,
            thread_root.as_deref(),
            &shared,
        ))
    }
}
