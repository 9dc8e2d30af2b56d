//! `!mes-donnees` — everything kept about you in this Mission Locale (your consent record with
//! its history, every reflection you wrote), sent in a direct message: a readable summary and
//! the whole as a JSON file. The room only learns that it was sent.

use crate::commands::CommandError;
use crate::engine::{reply, Attachment, Engine, Incoming, Outgoing};
use crate::reflections::render::tz_of;
use crate::reflections::rights::my_data;
use crate::strings::reflections as s;

pub fn apply(engine: &Engine, incoming: &Incoming) -> Result<Vec<Outgoing>, CommandError> {
    let name = engine
        .mission(&incoming.tenant)
        .map(|m| m.name.clone())
        .unwrap_or_default();
    let data = my_data(
        engine.store(),
        &incoming.tenant,
        &name,
        &incoming.sender,
        tz_of(engine, &incoming.tenant),
        engine.now(),
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
