//! The weekly digest: for each coordinator who asked (`!digest oui`), a direct message with
//! their Mission Locale's week: parcours steps posted and their ✅, reflections shared (a
//! count, never a text), the cards most read with their 👍 / 👎, the questions without a good
//! answer, and the room nudges due in the next seven days; the chart of the parcours whose
//! step went out that week is attached (the picture `!parcours etat` posts).
//!
//! It reads several domains (nudges, reflections, feedback, the kit): it is composed here, in
//! the engine. Every figure is read with the subscription's own Mission Locale as the key
//! prefix, so another Mission Locale's never appears. The task sleeps until the next digest
//! is due (or a subscription changes), queues each due digest in the outbox with a
//! transaction id naming the person's digest and its nominal time (a crash before the record
//! of the sending is flushed re-queues the same id, which the outbox and the homeserver send
//! once), and records the sending.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sha2::{Digest as _, Sha256};
use tokio_util::sync::CancellationToken;

use crate::config::MissionLocale;
use crate::core::text::{ellipsis, escape_md};
use crate::core::Outgoing;
use crate::feedback::digest;
use crate::outbox::Draft;
use crate::reflections::parse::{Period, PeriodKind};
use crate::store::StoreError;
use crate::strings::feedback as s;

use super::Engine;

/// The longest the task sleeps before looking again (a clock change, a missed wake-up).
const MAX_SLEEP_HOURS: i64 = 1;
/// Cards and questions listed at most.
const TOP: usize = 5;

/// The digest task: until `shutdown`.
pub(super) async fn run(engine: Engine, shutdown: CancellationToken) {
    loop {
        let next = match queue_due(&engine).await {
            Ok(next) => next,
            Err(err) => {
                tracing::error!(cause = %err, "could not queue the weekly digests");
                Some(engine.now() + Duration::minutes(1))
            }
        };
        let now = engine.now();
        let until = next
            .unwrap_or(now + Duration::hours(MAX_SLEEP_HOURS))
            .min(now + Duration::hours(MAX_SLEEP_HOURS));
        let wait = engine.inner.clock.real_wait(until - now);
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = engine.inner.feedback.digests_changed() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// Queue every digest due now; the next due time of any subscription.
pub async fn queue_due(engine: &Engine) -> Result<Option<DateTime<Utc>>, StoreError> {
    let now = engine.now();
    let store = engine.store();
    let mut next: Option<DateTime<Utc>> = None;
    let mut queued = 0usize;
    for mut sub in digest::all(store)? {
        let Some(mission) = engine.mission(&sub.tenant) else {
            continue;
        };
        let tz = mission.tz;
        let Some(due) = digest::next_due(&sub, tz) else {
            continue;
        };
        if due > now {
            next = Some(next.map_or(due, |n| n.min(due)));
            continue;
        }
        let text = compose(engine, mission, now).await?;
        let attachment = chart(engine, mission, now).await;
        let txn = format!(
            "digest|{}|{}|{}",
            sub.tenant,
            person_digest(&sub.user_id),
            due.timestamp()
        );
        engine.outbox().queue(vec![Draft::new(
            txn,
            Outgoing::Direct {
                user_id: sub.user_id.clone(),
                tenant: sub.tenant.clone(),
                markdown: text,
                attachment,
            },
        )])?;
        sub.last_sent = Some(now);
        digest::put(store, &sub)?;
        queued += 1;
        crate::metrics::metrics().digest();
        if let Some(after) = digest::next_due(&sub, tz) {
            next = Some(next.map_or(after, |n| n.min(after)));
        }
    }
    if queued > 0 {
        store.flush().await?;
        tracing::info!(queued, "weekly digests queued");
    }
    Ok(next)
}

/// `user_id` no longer coordinates `tenant` (the Matrix adapter saw it in the team rooms'
/// power levels and memberships): their digest stops, flushed, and they are told once in
/// their direct room. `false` when they had no digest.
pub async fn lost_coordination(
    engine: &Engine,
    tenant: &str,
    user_id: &str,
) -> Result<bool, StoreError> {
    let Some(mission) = engine.mission(tenant) else {
        return Ok(false);
    };
    if engine
        .inner
        .feedback
        .unsubscribe(tenant, user_id)
        .await?
        .is_none()
    {
        return Ok(false);
    }
    let txn = format!(
        "digest-stop|{tenant}|{}|{}",
        person_digest(user_id),
        engine.now().timestamp()
    );
    engine.outbox().queue(vec![Draft::new(
        txn,
        Outgoing::Direct {
            user_id: user_id.to_owned(),
            tenant: tenant.to_owned(),
            markdown: s::digest_stopped_no_role(&escape_md(&mission.name)),
            attachment: None,
        },
    )])?;
    engine.store().flush().await?;
    tracing::info!(
        tenant,
        "a weekly digest stopped: its subscriber no longer coordinates"
    );
    Ok(true)
}

/// The chart of the Mission Locale's parcours whose step was posted last in the week (as
/// `!parcours etat` draws it), as a PNG attachment; `None` when no step went out this week.
pub async fn chart(
    engine: &Engine,
    mission: &MissionLocale,
    now: DateTime<Utc>,
) -> Option<crate::core::Attachment> {
    let from = now - Duration::days(7);
    let runs = match engine.nudges().runs_of_tenant(&mission.id) {
        Ok(runs) => runs,
        Err(err) => {
            tracing::error!(cause = %err, "could not read the parcours for a digest");
            return None;
        }
    };
    let latest = runs
        .into_iter()
        .filter_map(|run| {
            let last = run.posted.iter().map(|p| p.at).max()?;
            (last >= from).then_some((last, run))
        })
        .max_by_key(|(last, _)| *last)
        .map(|(_, run)| run)?;
    let (kit, tz) = (engine.kit().clone(), mission.tz);
    let picture =
        tokio::task::spawn_blocking(move || crate::commands::run_chart(&kit, &latest, tz, now))
            .await
            .ok()
            .flatten()?;
    Some(crate::core::Attachment {
        filename: picture.filename,
        mime: picture.mime,
        bytes: picture.bytes,
    })
}

/// A transaction id part that names a person's digest without their id.
fn person_digest(user_id: &str) -> String {
    Sha256::digest(user_id.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The digest of `mission`'s last seven days, at `now`.
pub async fn compose(
    engine: &Engine,
    mission: &MissionLocale,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let tz = mission.tz;
    let tenant = mission.id.as_str();
    let from = now - Duration::days(7);
    let mut lines: Vec<String> = Vec::new();
    lines.push(s::digest_title(
        &escape_md(&mission.name),
        &crate::reflections::render::local_date(tz, from),
        &crate::reflections::render::local_date(tz, now),
    ));

    // Adoption.
    lines.push(String::new());
    lines.push(s::DIGEST_ADOPTION.to_owned());
    let steps = engine.nudges().steps_posted(tenant, from, now)?;
    lines.push(s::digest_steps_posted(steps.len()));
    for (title, step, ticks) in &steps {
        lines.push(s::digest_step(title, *step, *ticks));
    }
    let reflections = reflections_in(engine, tenant, from, now, tz).await?;
    lines.push(s::digest_reflections(reflections));

    // Cards.
    lines.push(String::new());
    lines.push(s::DIGEST_CARDS.to_owned());
    let days = (
        Some(from.with_timezone(&tz).date_naive()),
        Some(now.with_timezone(&tz).date_naive()),
    );
    let mut tallies: BTreeMap<String, crate::feedback::Tally> =
        engine.feedback().by_card(tenant, days.0, days.1)?;
    let unanswered = tallies.remove("").map_or(0, |t| t.reads);
    let mut cards: Vec<(String, crate::feedback::Tally)> = tallies.into_iter().collect();
    cards.sort_by(|a, b| {
        b.1.reads
            .cmp(&a.1.reads)
            .then(b.1.useful.cmp(&a.1.useful))
            .then(a.0.cmp(&b.0))
    });
    if cards.is_empty() {
        lines.push(s::DIGEST_NO_READS.to_owned());
    }
    for (id, tally) in cards.iter().take(TOP) {
        let title = engine.kit().card(id).map_or("", |c| c.title.as_str());
        lines.push(s::digest_card(
            id,
            title,
            tally.reads,
            tally.useful,
            tally.not_useful,
        ));
    }

    // Questions.
    let questions = engine.feedback().questions(Some(tenant), Some(from))?;
    if unanswered > 0 || !questions.is_empty() {
        lines.push(String::new());
        lines.push(s::DIGEST_QUESTIONS.to_owned());
        lines.push(s::digest_unanswered(unanswered, questions.len()));
        for group in crate::feedback::group(&questions).iter().take(TOP) {
            let text = group.wordings.first().map_or("", String::as_str);
            lines.push(s::digest_question(
                &escape_md(&ellipsis(text, 80)),
                group.count,
            ));
        }
    }

    // Nudges of the coming week.
    lines.push(String::new());
    lines.push(s::DIGEST_NUDGES.to_owned());
    let mut coming: Vec<(DateTime<Utc>, String, String)> = engine
        .nudges()
        .room_nudges_of_tenant(tenant)?
        .into_iter()
        .filter_map(|n| {
            let due = n.slot?.due;
            (due >= now && due < now + Duration::days(7)).then(|| {
                let what = match &n.content {
                    crate::nudges::model::Content::Card { id } => format!("`{}`", escape_md(id)),
                    crate::nudges::model::Content::Text { text }
                    | crate::nudges::model::Content::Message { excerpt: text, .. } => {
                        escape_md(&ellipsis(text, 60))
                    }
                };
                (due, n.label(), what)
            })
        })
        .collect();
    coming.sort();
    if coming.is_empty() {
        lines.push(s::DIGEST_NO_NUDGES.to_owned());
    }
    for (due, label, what) in coming.iter().take(10) {
        lines.push(s::digest_nudge(
            label,
            &crate::schedule::format_fr(*due, tz, now),
            what,
        ));
    }
    lines.push(String::new());
    lines.push(s::DIGEST_FOOTER.to_owned());
    Ok(lines.join("\n"))
}

/// Reflections shared in `[from, to)` (visible ones), read off the async threads.
async fn reflections_in(
    engine: &Engine,
    tenant: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    tz: Tz,
) -> Result<usize, StoreError> {
    let store = engine.store().clone();
    let tenant = tenant.to_owned();
    let period = Period {
        start: Some(from),
        end: Some(to),
        kind: PeriodKind::Since(from.with_timezone(&tz).date_naive()),
    };
    match tokio::task::spawn_blocking(move || {
        crate::reflections::look::counts(&store, &tenant, &period, tz)
    })
    .await
    {
        Ok(counts) => Ok(counts?.total),
        Err(err) => {
            tracing::error!(cause = %err, "counting reflections for a digest failed");
            Ok(0)
        }
    }
}
