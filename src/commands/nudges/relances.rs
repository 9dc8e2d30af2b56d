//! `!relances` (coordination): this room's nudges, with their ids, schedule in words, next
//! firing and state. `!relances toutes`: every nudge of the Mission Locale, room by room (only
//! the tenant's own rooms: keys start with the tenant).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::commands::CommandError;
use crate::core::text::fold;
use crate::core::text::quote_inline;
use crate::core::{Incoming, Outgoing};
use crate::engine::{reply, Ctx};
use crate::nudges::model::{Content, Nudge};
use crate::schedule::format_fr;
use crate::strings::nudges as s;

use super::common::{until_text, zone};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relances {
    Room,
    Tenant,
}

impl Relances {
    pub fn parse(args: &str) -> Relances {
        match fold(args.trim()).as_str() {
            "toutes" | "tous" | "tout" | "all" => Relances::Tenant,
            _ => Relances::Room,
        }
    }

    pub async fn apply(
        &self,
        ctx: &Ctx<'_>,
        incoming: &Incoming,
    ) -> Result<Vec<Outgoing>, CommandError> {
        let (tz, _) = zone(ctx);
        let now = ctx.now;
        let answer = match self {
            Relances::Room => {
                let nudges = ctx.nudges.of_place(&incoming.tenant, &incoming.room_id)?;
                if nudges.is_empty() {
                    s::NO_NUDGES.to_owned()
                } else {
                    let lines: Vec<String> = nudges.iter().map(|n| line(n, tz, now)).collect();
                    format!(
                        "{}\n\n{}\n\n{}",
                        s::nudges_title(nudges.len()),
                        lines.join("\n"),
                        s::NUDGES_FOOTER
                    )
                }
            }
            Relances::Tenant => {
                let nudges = ctx.nudges.room_nudges_of_tenant(&incoming.tenant)?;
                if nudges.is_empty() {
                    s::NO_NUDGES_TENANT.to_owned()
                } else {
                    let mut by_room: BTreeMap<&str, Vec<&Nudge>> = BTreeMap::new();
                    for n in &nudges {
                        by_room.entry(n.target.place()).or_default().push(n);
                    }
                    let mut out = s::nudges_tenant_title(nudges.len(), by_room.len());
                    for (room, list) in by_room {
                        out.push_str("\n\n");
                        out.push_str(&s::room_heading(room));
                        for n in list {
                            out.push('\n');
                            out.push_str(&line(n, tz, now));
                        }
                    }
                    out
                }
            }
        };
        Ok(vec![reply(incoming, answer)])
    }
}

/// One nudge, for listings (also used by `!mes-rappels`).
pub fn line(n: &Nudge, tz: Tz, now: DateTime<Utc>) -> String {
    let next = n
        .slot
        .map(|slot| s::state_next(&format_fr(slot.due, tz, now)));
    let state = match (n.paused, n.paused_until, next) {
        (true, _, _) => s::STATE_PAUSED.to_owned(),
        (false, Some(until), Some(next)) if until > now => {
            s::state_paused_until(&until_text(until, tz, now), &next)
        }
        (false, _, Some(next)) => next,
        (false, _, None) => s::STATE_NOTHING.to_owned(),
    };
    let content = match &n.content {
        Content::Text { text } => s::content_text_short(&quote_inline(text, 60)),
        Content::Message { excerpt, .. } => s::message_reminder_short(
            &crate::core::text::escape_md(&crate::core::text::ellipsis(excerpt, 60)),
        ),
        Content::Card { id } => s::content_card_short(id),
    };
    s::nudge_line(&n.label(), &n.schedule.describe_fr(tz), &state, &content)
}
