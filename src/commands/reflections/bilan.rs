//! `!bilan [période]` (coordination) — counts of the whole Mission Locale's reflections by
//! month, practice card and tag, and the adoption figures of its parcours. No reflection text
//! is quoted, so nothing from one room reaches another.
//!
//! Periods: nothing (everything kept), `2026`, `mars 2026`, `2026-03`, `depuis 3 mois`,
//! `depuis 01/09/2026`.

use crate::commands::CommandError;
use crate::core::text::{ellipsis, escape_md};
use crate::core::{Incoming, Outgoing};
use crate::engine::{reply, Ctx};
use crate::reflections::look;
use crate::reflections::parse::parse_period;
use crate::strings::engine as se;
use crate::strings::reflections as s;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bilan {
    /// As typed; resolved against the clock when applied.
    pub period: String,
}

impl Bilan {
    pub fn parse(args: &str) -> Self {
        Bilan {
            period: args.to_owned(),
        }
    }

    pub async fn apply(
        &self,
        ctx: &Ctx<'_>,
        incoming: &Incoming,
    ) -> Result<Vec<Outgoing>, CommandError> {
        let mission = ctx.mission;
        let tz = ctx.tz();
        let Some(period) = parse_period(&self.period, ctx.now, tz) else {
            let quoted = escape_md(&ellipsis(&self.period, 60));
            return Ok(vec![reply(incoming, s::bilan_bad_period(&quoted))]);
        };
        let label = look::period_label(&period, mission.retention_months);
        let store = ctx.store.clone();
        let tenant = incoming.tenant.clone();
        let days = (
            period.start.map(|at| at.with_timezone(&tz).date_naive()),
            period.end.map(|at| at.with_timezone(&tz).date_naive()),
        );
        // The whole Mission Locale is read: off the async threads.
        let counts =
            match tokio::task::spawn_blocking(move || look::counts(&store, &tenant, &period, tz))
                .await
            {
                Ok(counts) => counts?,
                Err(err) => {
                    tracing::error!(cause = %err, "bilan task failed");
                    return Ok(vec![reply(incoming, se::INTERNAL_ERROR.to_owned())]);
                }
            };
        let adoption = ctx.nudges.adoption_figures(&incoming.tenant);
        let mut answer = look::render_bilan(&mission.name, &label, &counts, &adoption, ctx.kit);
        let mut cards = ctx.feedback.by_card(&incoming.tenant, days.0, days.1)?;
        answer.push_str("\n\n");
        answer.push_str(&usefulness(&mut cards));
        Ok(vec![reply(incoming, answer)])
    }
}

/// The usefulness lines: each card read, by reads (at most ten), with its 👍 and 👎, and the
/// questions without a good answer.
fn usefulness(cards: &mut std::collections::BTreeMap<String, crate::feedback::Tally>) -> String {
    use crate::strings::feedback as f;
    let unanswered = cards.remove("").map_or(0, |t| t.reads);
    let mut lines = vec![f::BILAN_USEFULNESS.to_owned()];
    let mut sorted: Vec<(&String, &crate::feedback::Tally)> = cards.iter().collect();
    sorted.sort_by(|a, b| b.1.reads.cmp(&a.1.reads).then(a.0.cmp(b.0)));
    if sorted.is_empty() {
        lines.push(f::BILAN_NO_VOTES.to_owned());
    }
    for (id, t) in sorted.into_iter().take(10) {
        lines.push(f::bilan_card(id, t.reads, t.useful, t.not_useful));
    }
    if unanswered > 0 {
        lines.push(f::bilan_unanswered(unanswered));
    }
    lines.join("\n")
}
