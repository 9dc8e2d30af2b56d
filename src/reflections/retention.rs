//! The retention purge: once a day, per Mission Locale, erase the reflections older than its
//! `retention_months`, and those whose author withdrew consent and did not say within
//! [`CHOICE_DAYS`](super::model::CHOICE_DAYS) whether to erase or anonymise them. The task sleeps
//! until the next purge time computed from the injected clock; it purges once at start too, so
//! a bot that restarts often still purges.

use std::sync::Arc;

use chrono::{DateTime, Duration, Months, NaiveTime, Utc};
use tokio_util::sync::CancellationToken;

use super::consent::{choice_deadline, erase_reflections};
use super::db;
use super::model::{ConsentAction, Reflection};
use crate::config::MissionLocale;
use crate::core::SharedClock;
use crate::store::{Store, StoreError};

/// The purge runs daily at this time (UTC): night in metropolitan France and the Antilles,
/// early morning in La Réunion and Mayotte.
pub const PURGE_AT_UTC: (u32, u32) = (2, 30);

/// What a purge erased.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PurgeReport {
    /// Older than the retention period.
    pub expired: usize,
    /// Awaiting their author's choice for too long.
    pub unanswered: usize,
}

/// The first purge time strictly after `now`.
pub fn next_purge_after(now: DateTime<Utc>) -> DateTime<Utc> {
    let at = NaiveTime::from_hms_opt(PURGE_AT_UTC.0, PURGE_AT_UTC.1, 0).unwrap_or(NaiveTime::MIN);
    let today = now.date_naive().and_time(at).and_utc();
    if today > now {
        today
    } else {
        today + Duration::days(1)
    }
}

/// Purge one Mission Locale. Synchronous and long for a big one: run it in `spawn_blocking`.
pub fn purge_tenant(
    store: &Store,
    mission: &MissionLocale,
    now: DateTime<Utc>,
) -> Result<PurgeReport, StoreError> {
    let mut report = PurgeReport::default();
    if let Some(cutoff) = now.checked_sub_months(Months::new(mission.retention_months)) {
        let mut expired: Vec<Reflection> = Vec::new();
        db::walk_tenant::<StoreError>(store, &mission.id, |r| {
            if r.created_at < cutoff {
                expired.push(r);
            }
            Ok(true)
        })?;
        for r in &expired {
            db::delete(store, r)?;
        }
        report.expired = expired.len();
    }
    for record in db::consents_of_tenant(store, &mission.id)? {
        let Some(since) = record.awaiting_choice_since else {
            continue;
        };
        if choice_deadline(since) > now {
            continue;
        }
        let count = erase_reflections(store, &mission.id, &record.user)?;
        db::update_consent(store, &mission.id, &record.user, |old| {
            let mut rec = old?;
            rec.awaiting_choice_since = None;
            rec.record(now, ConsentAction::ErasedWithoutAnswer { count }, "", "");
            Some(rec)
        })?;
        report.unanswered += count;
    }
    Ok(report)
}

/// Purge every Mission Locale, then flush.
pub async fn purge(
    store: &Store,
    missions: &[MissionLocale],
    now: DateTime<Utc>,
) -> Result<PurgeReport, StoreError> {
    let mut total = PurgeReport::default();
    for mission in missions {
        let store = store.clone();
        let mission = mission.clone();
        let report =
            match tokio::task::spawn_blocking(move || purge_tenant(&store, &mission, now)).await {
                Ok(result) => result?,
                // A panic in the purge of one Mission Locale must not stop the others'.
                Err(err) => {
                    tracing::error!(cause = %err, "retention purge task failed");
                    continue;
                }
            };
        total.expired += report.expired;
        total.unanswered += report.unanswered;
    }
    super::flush(store).await?;
    Ok(total)
}

/// The daily purge task, until `shutdown`.
pub async fn run_retention(
    store: Store,
    missions: Arc<Vec<MissionLocale>>,
    clock: SharedClock,
    shutdown: CancellationToken,
) {
    loop {
        let now = clock.now();
        match purge(&store, &missions, now).await {
            Ok(report) => tracing::info!(
                expired = report.expired,
                unanswered = report.unanswered,
                "retention purge done"
            ),
            Err(err) => tracing::error!(cause = %err, "retention purge failed"),
        }
        let now = clock.now();
        let wait = clock.real_wait(next_purge_after(now) - now);
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_purge_is_the_next_0230_utc() {
        let t = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("time")
                .with_timezone(&Utc)
        };
        struct Case {
            now: &'static str,
            expected: &'static str,
        }
        let cases = [
            Case {
                now: "2026-11-30T01:00:00Z",
                expected: "2026-11-30T02:30:00Z",
            },
            Case {
                now: "2026-11-30T02:30:00Z",
                expected: "2026-12-01T02:30:00Z",
            },
            Case {
                now: "2026-12-31T23:59:59Z",
                expected: "2027-01-01T02:30:00Z",
            },
        ];
        for case in cases {
            assert_eq!(
                next_purge_after(t(case.now)),
                t(case.expected),
                "{}",
                case.now
            );
        }
    }
}
