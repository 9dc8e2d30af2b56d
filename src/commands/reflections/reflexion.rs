//! `!reflexion <texte> [#tag …] [#fiche:<id>]` — share a reflection in a team room.
//!
//! With consent and through the guards, it is kept and confirmed with a ✅ on the message (and
//! a short notice the first time). Without consent nothing is kept and the answer says how to
//! opt in. In a thread of a nudge or a parcours step it is linked to that card unless it names
//! one. Editing the message updates it; deleting the message erases it.

use crate::commands::CommandError;
use crate::core::{Incoming, Outgoing};
use crate::engine::{reply, Ctx};
use crate::reflections::model::Origin;
use crate::reflections::share::{share, Share};
use crate::strings::reflections as s;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reflexion {
    /// Everything after the command word, tags included (the guard reads all of it).
    pub raw: String,
}

impl Reflexion {
    pub fn parse(args: &str) -> Self {
        Reflexion {
            raw: args.to_owned(),
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
        // A reflection in the thread of a nudge or a parcours step is about its card.
        let thread_card = incoming
            .thread_root
            .as_deref()
            .and_then(|root| ctx.nudges.card_of_post(&incoming.room_id, root));
        let shared = share(
            ctx.store,
            ctx.kit,
            Share {
                tenant: &incoming.tenant,
                room_id: &incoming.room_id,
                author: &incoming.sender,
                event_id: &incoming.event_id,
                reaction_id: None,
                raw: &self.raw,
                thread_card,
                origin: Origin::Command,
                at: ctx.now,
            },
        )
        .await?;
        Ok(crate::reflections::answer_share(
            incoming,
            &incoming.event_id,
            incoming.thread_root.as_deref(),
            &shared,
        ))
    }
}
