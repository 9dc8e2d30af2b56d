//! `!relance` (coordination): a nudge in this room.
//!
//! - `!relance <quand> : <message ou id de fiche>` — creates it; answers its id (`R7`) and the
//!   next three firings, saying which ones quiet hours moved;
//! - `!relance annuler R7`;
//! - `!relance pause R7` (until resumed) or `!relance pause R7 jusqu'au 4 janvier` / `2 semaines`;
//! - `!relance reprendre R7`;
//! - `!relance modifier R7 <quand>`.
//!
//! A nudge is visible and changeable only in its own room.

use chrono::{DateTime, Utc};

use crate::commands::CommandError;
use crate::core::text::fold;
use crate::core::text::quote_inline;
use crate::core::{Incoming, Outgoing};
use crate::engine::{reply, Ctx};
use crate::nudges::model::{self, item_key, Content, Nudge, Target};
use crate::nudges::plan;
use crate::nudges::Updated;
use crate::schedule::{self, Schedule};
use crate::strings::nudges as s;

use super::common::{firings_block, mentions_in, parse_until, until_text, zone, MAX_TEXT_CHARS};

/// Most nudges in one room.
pub const MAX_PER_ROOM: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relance {
    Create { text: String },
    Cancel { label: String },
    Pause { label: String, until: String },
    Resume { label: String },
    Modify { label: String, when: String },
    Usage,
}

impl Relance {
    pub fn parse(args: &str) -> Relance {
        let args = args.trim();
        let (first, rest) = match args.split_once(char::is_whitespace) {
            Some((a, b)) => (a, b.trim()),
            None => (args, ""),
        };
        let (label, tail) = match rest.split_once(char::is_whitespace) {
            Some((a, b)) => (a.to_owned(), b.trim().to_owned()),
            None => (rest.to_owned(), String::new()),
        };
        match fold(first).as_str() {
            "" => Relance::Usage,
            "annuler" | "supprimer" => Relance::Cancel { label },
            "pause" | "suspendre" => Relance::Pause { label, until: tail },
            "reprendre" => Relance::Resume { label },
            "modifier" | "changer" => Relance::Modify { label, when: tail },
            _ => Relance::Create {
                text: args.to_owned(),
            },
        }
    }

    pub async fn apply(
        &self,
        ctx: &Ctx<'_>,
        incoming: &Incoming,
    ) -> Result<Vec<Outgoing>, CommandError> {
        let answer = match self {
            Relance::Usage => s::RELANCE_USAGE.to_owned(),
            _ if incoming.is_direct => s::ROOM_ONLY.to_owned(),
            Relance::Create { text } => create(ctx, incoming, text).await?,
            Relance::Cancel { label } => cancel(ctx, incoming, label).await?,
            Relance::Pause { label, until } => pause(ctx, incoming, label, until).await?,
            Relance::Resume { label } => resume(ctx, incoming, label).await?,
            Relance::Modify { label, when } => modify(ctx, incoming, label, when).await?,
        };
        Ok(vec![reply(incoming, answer)])
    }
}

async fn create(ctx: &Ctx<'_>, incoming: &Incoming, text: &str) -> Result<String, CommandError> {
    let (tz, quiet) = zone(ctx);
    let now = ctx.asked_at();
    let (schedule, rest) = match schedule::parse_leading(text, tz, now) {
        Ok(found) => found,
        Err(err) => return Ok(s::bad_when(&err.for_chat())),
    };
    let message = rest.trim();
    if message.is_empty() {
        return Ok(s::NEED_MESSAGE.to_owned());
    }
    if plan::too_frequent(&schedule, tz, now) {
        return Ok(s::TOO_FREQUENT.to_owned());
    }
    if message.chars().count() > MAX_TEXT_CHARS {
        return Ok(s::too_long(MAX_TEXT_CHARS));
    }
    if ctx
        .nudges
        .of_place(&incoming.tenant, &incoming.room_id)?
        .len()
        >= MAX_PER_ROOM
    {
        return Ok(s::too_many(MAX_PER_ROOM));
    }
    let quiet = plan::rules(&quiet);
    let Some(slot) = plan::slot_after(&schedule, tz, quiet, now) else {
        return Ok(s::NEVER_FIRES.to_owned());
    };
    let card_id = message.strip_prefix("fiche ").unwrap_or(message).trim();
    let (content, content_line, mentions, mention_room) = match ctx.kit.card(card_id) {
        Some(card) => (
            Content::Card {
                id: card.id.clone(),
            },
            s::content_card(&card.id, &card.title),
            Vec::new(),
            false,
        ),
        None => {
            let (users, room) = mentions_in(message);
            (
                Content::Text {
                    text: message.to_owned(),
                },
                s::content_text(&quote_inline(message, 200)),
                users,
                room,
            )
        }
    };
    let mut notes = String::new();
    if mention_room {
        notes.push_str("\n\n");
        notes.push_str(s::MENTION_ROOM_NOTE);
    }
    if !mentions.is_empty() {
        notes.push_str("\n\n");
        notes.push_str(&s::mentions_note(mentions.len()));
    }
    let nudge = Nudge {
        tenant: incoming.tenant.clone(),
        number: 0,
        target: Target::Room {
            room_id: incoming.room_id.clone(),
        },
        author: incoming.sender.clone(),
        schedule,
        content,
        mentions,
        mention_room,
        created_at: now,
        paused: false,
        paused_until: None,
        slot: Some(slot),
        sent: 0,
    };
    let nudge = ctx.nudges.create(&incoming.event_id, nudge).await?.item;
    let firings = firings_block(&nudge.schedule, tz, quiet, nudge.slot, now);
    Ok(s::nudge_created(
        &nudge.label(),
        &nudge.schedule.describe_fr(tz),
        &content_line,
        &firings,
        &notes,
    ))
}

/// The key of the room's nudge named by `label` (`R7`), or the answer to give.
fn key_of(incoming: &Incoming, label: &str) -> Result<(String, u64), String> {
    let Some(number) = model::parse_label(label, 'R') else {
        return Err(if label.is_empty() {
            s::RELANCE_USAGE.to_owned()
        } else {
            s::bad_label(&quote_inline(label, 20))
        });
    };
    Ok((
        item_key(&incoming.tenant, &incoming.room_id, number),
        number,
    ))
}

/// Change and save the room's nudge named by `label` (the nudges service re-reads it under
/// its lock: the scheduler may be firing it).
async fn update(
    ctx: &Ctx<'_>,
    incoming: &Incoming,
    label: &str,
    change: impl FnOnce(&mut Nudge) -> Option<String>,
) -> Result<Result<Nudge, String>, CommandError> {
    let (key, number) = match key_of(incoming, label) {
        Ok(found) => found,
        Err(answer) => return Ok(Err(answer)),
    };
    Ok(match ctx.nudges.update(&key, change).await? {
        Updated::Saved(nudge) => Ok(nudge),
        Updated::Refused(answer) => Err(answer),
        Updated::Missing => Err(s::unknown_nudge(&format!("R{number}"))),
    })
}

async fn cancel(ctx: &Ctx<'_>, incoming: &Incoming, label: &str) -> Result<String, CommandError> {
    let (key, number) = match key_of(incoming, label) {
        Ok(found) => found,
        Err(answer) => return Ok(answer),
    };
    Ok(match ctx.nudges.remove(&key).await? {
        Some(nudge) => s::nudge_cancelled(&nudge.label()),
        None => s::unknown_nudge(&format!("R{number}")),
    })
}

async fn pause(
    ctx: &Ctx<'_>,
    incoming: &Incoming,
    label: &str,
    until: &str,
) -> Result<String, CommandError> {
    let (tz, quiet) = zone(ctx);
    let quiet = plan::rules(&quiet);
    let now = ctx.now;
    let end: Option<DateTime<Utc>> = if until.trim().is_empty() {
        None
    } else {
        match parse_until(until, tz, now) {
            Ok(end) => Some(end),
            Err(err) => return Ok(format!("{}\n\n{}", err.for_chat(), s::PAUSE_UNTIL_USAGE)),
        }
    };
    let result = update(ctx, incoming, label, |n| {
        match end {
            None => {
                n.paused = true;
                n.paused_until = None;
                n.slot = None;
            }
            Some(end) => {
                n.paused = false;
                n.paused_until = Some(end);
                n.slot = plan::first_slot(&n.schedule, tz, quiet, end);
            }
        }
        None
    })
    .await?;
    let nudge = match result {
        Ok(n) => n,
        Err(answer) => return Ok(answer),
    };
    Ok(match end {
        None => s::nudge_paused(&nudge.label()),
        Some(end) => s::nudge_paused_until(
            &nudge.label(),
            &until_text(end, tz, now),
            &firings_block(&nudge.schedule, tz, quiet, nudge.slot, now),
        ),
    })
}

async fn resume(ctx: &Ctx<'_>, incoming: &Incoming, label: &str) -> Result<String, CommandError> {
    let (tz, quiet) = zone(ctx);
    let quiet = plan::rules(&quiet);
    let now = ctx.now;
    // A one-off whose time passed during the pause is removed rather than resumed.
    let mut passed = false;
    let result = update(ctx, incoming, label, |n| {
        if !n.paused && n.paused_until.is_none() {
            return Some(s::nudge_not_paused(&n.label()));
        }
        n.paused = false;
        n.paused_until = None;
        n.slot = plan::slot_after(&n.schedule, tz, quiet, now);
        passed = n.slot.is_none();
        None
    })
    .await?;
    let nudge = match result {
        Ok(n) => n,
        Err(answer) => return Ok(answer),
    };
    if passed {
        ctx.nudges.remove(&nudge.key()).await?;
        return Ok(s::one_off_passed(&nudge.label()));
    }
    Ok(s::nudge_resumed(
        &nudge.label(),
        &firings_block(&nudge.schedule, tz, quiet, nudge.slot, now),
    ))
}

async fn modify(
    ctx: &Ctx<'_>,
    incoming: &Incoming,
    label: &str,
    when: &str,
) -> Result<String, CommandError> {
    let (tz, quiet) = zone(ctx);
    let quiet = plan::rules(&quiet);
    let now = ctx.asked_at();
    if when.trim().is_empty() {
        return Ok(match model::parse_label(label, 'R') {
            Some(n) => s::modify_needs_when(&format!("R{n}")),
            None => s::RELANCE_USAGE.to_owned(),
        });
    }
    let schedule: Schedule = match schedule::parse(when, tz, now) {
        Ok(schedule) => schedule,
        Err(err) => return Ok(s::bad_when(&err.for_chat())),
    };
    if plan::too_frequent(&schedule, tz, now) {
        return Ok(s::TOO_FREQUENT.to_owned());
    }
    let Some(slot) = plan::slot_after(&schedule, tz, quiet, now) else {
        return Ok(s::NEVER_FIRES.to_owned());
    };
    let result = update(ctx, incoming, label, |n| {
        n.schedule = schedule;
        n.paused_until = None;
        // A paused nudge stays paused: the new schedule applies when it resumes.
        n.slot = (!n.paused).then_some(slot);
        None
    })
    .await?;
    let nudge = match result {
        Ok(n) => n,
        Err(answer) => return Ok(answer),
    };
    let firings = if nudge.paused {
        s::STATE_PAUSED.to_owned()
    } else {
        firings_block(&nudge.schedule, tz, quiet, nudge.slot, now)
    };
    Ok(s::nudge_modified(
        &nudge.label(),
        &nudge.schedule.describe_fr(tz),
        &firings,
    ))
}
