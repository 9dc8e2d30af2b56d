//! `!mes-donnees` — everything kept about you in this Mission Locale (your consent record with
//! its history, every reflection you wrote), sent in a direct message: a readable summary and
//! the whole as a JSON file. The room only learns that it was sent.

use crate::commands::CommandError;
use crate::core::{Attachment, Incoming, Outgoing};
use crate::engine::{reply, Ctx};
use crate::rights::my_data;
use crate::strings::reflections as s;

pub fn apply(ctx: &Ctx<'_>, incoming: &Incoming) -> Result<Vec<Outgoing>, CommandError> {
    let name = ctx.mission.name.clone();
    let data = my_data(
        ctx.store,
        ctx.nudges,
        &incoming.tenant,
        &name,
        &incoming.sender,
        ctx.tz(),
        ctx.now,
    )?;
    let Some(data) = data else {
        return Ok(vec![reply(incoming, s::MY_DATA_NOTHING.to_owned())]);
    };
    let direct = Outgoing::Direct {
        user_id: incoming.sender.clone(),
        tenant: incoming.tenant.clone(),
        markdown: data.summary,
        attachment: Some(Attachment {
            filename: data.filename,
            mime: "application/json".to_owned(),
            bytes: data.json,
        }),
    };
    tracing::info!(tenant = %incoming.tenant, event_id = %incoming.event_id, "personal data sent");
    if incoming.is_direct {
        Ok(vec![direct])
    } else {
        Ok(vec![reply(incoming, s::MY_DATA_SENT.to_owned()), direct])
    }
}
