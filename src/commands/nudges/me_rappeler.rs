//! `!me-rappeler <quand> : <texte>` (everyone): a personal reminder, sent in a direct message.
//! Quiet hours do not apply (the person chose the time); a silence (`!silence`) delays it.

use crate::commands::CommandError;
use crate::core::{Incoming, Outgoing};
use crate::engine::{reply, Ctx};
use crate::nudges::model::{Content, Nudge, Target};
use crate::nudges::plan;
use crate::schedule;
use crate::strings::nudges as s;

use super::common::{firings_block, until_text, zone, MAX_TEXT_CHARS};

/// Most reminders one person keeps.
pub const MAX_PER_PERSON: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeRappeler {
    pub text: String,
}

impl MeRappeler {
    pub fn parse(args: &str) -> MeRappeler {
        MeRappeler {
            text: args.trim().to_owned(),
        }
    }

    pub async fn apply(
        &self,
        ctx: &Ctx<'_>,
        incoming: &Incoming,
    ) -> Result<Vec<Outgoing>, CommandError> {
        Ok(vec![reply(incoming, self.answer(ctx, incoming).await?)])
    }

    async fn answer(&self, ctx: &Ctx<'_>, incoming: &Incoming) -> Result<String, CommandError> {
        if self.text.is_empty() {
            return Ok(s::REMINDER_USAGE.to_owned());
        }
        let (tz, _) = zone(ctx);
        let now = ctx.asked_at();
        let (schedule, rest) = match schedule::parse_leading(&self.text, tz, now) {
            Ok(found) => found,
            Err(err) => return Ok(s::bad_when(&err.for_chat())),
        };
        let text = rest.trim();
        let content = match (&incoming.quoted, text.is_empty()) {
            // In reply to a message, with no text of its own: remind of that message.
            (Some(quoted), true) => quoted_content(incoming, quoted),
            (_, true) => return Ok(s::REMINDER_NEED_TEXT.to_owned()),
            (_, false) => {
                if text.chars().count() > MAX_TEXT_CHARS {
                    return Ok(s::too_long(MAX_TEXT_CHARS));
                }
                Content::Text {
                    text: text.to_owned(),
                }
            }
        };
        create_reminder(ctx, incoming, schedule, content).await
    }
}

/// A reminder of the message `quoted` (its excerpt and a link to it).
pub fn quoted_content(incoming: &Incoming, quoted: &crate::core::Quoted) -> Content {
    Content::Message {
        excerpt: crate::core::text::cut_chars(quoted.body.trim(), MAX_TEXT_CHARS).to_owned(),
        room_id: incoming.room_id.clone(),
        event_id: quoted.event_id.clone(),
    }
}

/// Create a personal reminder for the sender of `incoming`, keyed by its event (a replay
/// finds it), and say so.
pub async fn create_reminder(
    ctx: &Ctx<'_>,
    incoming: &Incoming,
    schedule: crate::schedule::Schedule,
    content: Content,
) -> Result<String, CommandError> {
    {
        let (tz, _) = zone(ctx);
        let now = ctx.asked_at();
        if plan::too_frequent(&schedule, tz, now) {
            return Ok(s::TOO_FREQUENT.to_owned());
        }
        if ctx
            .nudges
            .of_place(&incoming.tenant, &incoming.sender)?
            .len()
            >= MAX_PER_PERSON
        {
            return Ok(s::too_many_reminders(MAX_PER_PERSON));
        }
        let Some(slot) = plan::slot_after(&schedule, tz, None, now) else {
            return Ok(s::NEVER_FIRES.to_owned());
        };
        let nudge = Nudge {
            tenant: incoming.tenant.clone(),
            number: 0,
            target: Target::Person {
                user_id: incoming.sender.clone(),
            },
            author: incoming.sender.clone(),
            schedule,
            content,
            mentions: Vec::new(),
            mention_room: false,
            created_at: now,
            paused: false,
            paused_until: None,
            slot: Some(slot),
            sent: 0,
        };
        let nudge = ctx.nudges.create(&incoming.event_id, nudge).await?.item;
        // The reminder is saved: a failed read from here on must not turn the answer into
        // "not saved". The silence is then not mentioned.
        let silenced = ctx
            .nudges
            .silenced_until(&incoming.tenant, &incoming.sender, now)
            .unwrap_or_else(|err| {
                tracing::warn!(cause = %err, "could not read the person's silence");
                None
            })
            .map(|until| until_text(until, tz, now));
        Ok(s::reminder_created(
            &nudge.label(),
            &nudge.schedule.describe_fr(tz),
            &firings_block(&nudge.schedule, tz, None, nudge.slot, now),
            silenced.as_deref(),
        ))
    }
}
