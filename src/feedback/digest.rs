//! The weekly digest's subscriptions: a coordinator's opt-in (`!digest oui`), with when it
//! comes, in the Mission Locale's time zone. Personal data the coordinator asked us to keep:
//! in `!mes-donnees`, erased by `!oublier`.
//!
//! Tree `digest_subscriptions`: `{tenant}|{user id}` → [`Subscription`].
//!
//! When a digest is due is decided here ([`due`], pure); what it says and its sending are the
//! engine's (`engine/digest.rs`), since it reads several domains.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::schedule::Schedule;
use crate::store::{Store, StoreError};

pub const SUBSCRIPTIONS: &str = "digest_subscriptions";

/// The schedule when the coordinator names none.
pub const DEFAULT_SCHEDULE: &str = "chaque lundi à 9h";

/// At least this long between two digests: they tell a week.
pub const MIN_GAP_DAYS: i64 = 6;

/// One coordinator's digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    pub tenant: String,
    pub user_id: String,
    pub schedule: Schedule,
    pub since: DateTime<Utc>,
    /// When the last digest was queued.
    pub last_sent: Option<DateTime<Utc>>,
}

impl Subscription {
    pub fn key(&self) -> String {
        key(&self.tenant, &self.user_id)
    }
}

fn key(tenant: &str, user_id: &str) -> String {
    format!("{tenant}|{user_id}")
}

/// The next digest of `sub`: the first firing of its schedule after the last one sent (or
/// after the subscription).
pub fn next_due(sub: &Subscription, tz: Tz) -> Option<DateTime<Utc>> {
    sub.schedule
        .next_after(sub.last_sent.unwrap_or(sub.since), tz)
}

/// True when `sub`'s digest is due at `now`. After a long downtime only one digest goes out
/// (the caller records `now` as sent, and the next is a week later).
pub fn due(sub: &Subscription, tz: Tz, now: DateTime<Utc>) -> bool {
    next_due(sub, tz).is_some_and(|at| at <= now)
}

/// True when `schedule` fires at most once every [`MIN_GAP_DAYS`] days and never stops.
pub fn is_weekly_enough(schedule: &Schedule, tz: Tz, now: DateTime<Utc>) -> bool {
    if schedule.is_one_off() {
        return false;
    }
    let next = schedule.next_n(now, tz, 3);
    next.len() == 3
        && next
            .windows(2)
            .all(|w| w[1] - w[0] >= chrono::Duration::days(MIN_GAP_DAYS))
}

pub fn get(store: &Store, tenant: &str, user_id: &str) -> Result<Option<Subscription>, StoreError> {
    store.get(SUBSCRIPTIONS, key(tenant, user_id).as_bytes())
}

/// Write (not flushed).
pub fn put(store: &Store, sub: &Subscription) -> Result<(), StoreError> {
    store.put(SUBSCRIPTIONS, sub.key().as_bytes(), sub)
}

/// Remove (not flushed); the removed subscription.
pub fn remove(
    store: &Store,
    tenant: &str,
    user_id: &str,
) -> Result<Option<Subscription>, StoreError> {
    let found = get(store, tenant, user_id)?;
    if found.is_some() {
        store.remove(SUBSCRIPTIONS, key(tenant, user_id).as_bytes())?;
    }
    Ok(found)
}

/// Every subscription.
pub fn all(store: &Store) -> Result<Vec<Subscription>, StoreError> {
    Ok(store
        .scan_prefix::<Subscription>(SUBSCRIPTIONS, b"")?
        .into_iter()
        .map(|(_, s)| s)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("instant")
    }

    #[test]
    fn a_digest_is_due_once_its_hour_has_come_and_once_only() {
        let tz: Tz = "Europe/Paris".parse().expect("tz");
        let since = at("2026-11-25T10:00:00Z"); // a Wednesday
        let schedule = crate::schedule::parse(DEFAULT_SCHEDULE, tz, since).expect("schedule");
        let mut sub = Subscription {
            tenant: "ml".into(),
            user_id: "@c:x".into(),
            schedule,
            since,
            last_sent: None,
        };
        // Monday 30 November, 9:00 in Paris is 8:00 UTC.
        assert_eq!(next_due(&sub, tz), Some(at("2026-11-30T08:00:00Z")));
        assert!(!due(&sub, tz, at("2026-11-30T07:59:59Z")));
        assert!(due(&sub, tz, at("2026-11-30T08:00:00Z")));
        // Sent (late, after a downtime of two weeks): the next is a week after the sending.
        sub.last_sent = Some(at("2026-12-15T12:00:00Z"));
        assert_eq!(next_due(&sub, tz), Some(at("2026-12-21T08:00:00Z")));
        assert!(!due(&sub, tz, at("2026-12-16T08:00:00Z")));
    }

    #[test]
    fn only_weekly_schedules_make_a_digest() {
        let tz: Tz = "Europe/Paris".parse().expect("tz");
        let now = at("2026-11-25T10:00:00Z");
        let weekly = crate::schedule::parse("chaque vendredi à 16h", tz, now).expect("weekly");
        assert!(is_weekly_enough(&weekly, tz, now));
        let daily = crate::schedule::parse("tous les jours à 9h", tz, now).expect("daily");
        assert!(!is_weekly_enough(&daily, tz, now));
        let once = crate::schedule::parse("demain à 9h", tz, now).expect("once");
        assert!(!is_weekly_enough(&once, tz, now));
    }
}
