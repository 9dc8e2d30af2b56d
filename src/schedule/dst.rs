//! Mapping local wall-clock times to UTC across daylight-saving changes.
//!
//! Every schedule is computed on naive local times ("09:00 on Monday") and then
//! mapped here, with one rule for the whole module:
//! - a time that exists once maps to that instant;
//! - a time in the repeated autumn hour maps to its *first* occurrence, so a job
//!   fires once, not twice;
//! - a time skipped by the spring gap (02:30 in Paris on the last Sunday of March)
//!   maps to the first valid instant after the gap (03:00 local), so a job fires
//!   once instead of being lost.

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The UTC instant for a local wall-clock time, per the module's DST rule.
/// `None` only when the time is outside chrono's range or no valid time exists
/// within 26 hours (no real zone has such a gap).
pub fn local_to_utc(tz: Tz, naive: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(dt) => Some(dt.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Some(a.min(b).with_timezone(&Utc)),
        LocalResult::None => gap_end(tz, naive),
    }
}

/// First valid instant after the gap that swallows `naive`.
/// Scans by minutes (gaps are whole minutes in practice), then by seconds inside
/// the last minute so that historical offsets with seconds are still exact.
fn gap_end(tz: Tz, naive: NaiveDateTime) -> Option<DateTime<Utc>> {
    let valid = |t: NaiveDateTime| tz.from_local_datetime(&t).earliest();
    let minutes = (1..=26 * 60).find(|&m| {
        naive
            .checked_add_signed(Duration::minutes(m))
            .and_then(valid)
            .is_some()
    })?;
    let last_invalid_minute = naive.checked_add_signed(Duration::minutes(minutes - 1))?;
    (1..=60)
        .filter_map(|sec| last_invalid_minute.checked_add_signed(Duration::seconds(sec)))
        .find_map(valid)
        .map(|dt| dt.with_timezone(&Utc))
}

/// True when the local date of `date` contains a UTC-offset change in `tz`
/// (used by tests to skip DST days when comparing with another library).
#[cfg(test)]
pub fn is_transition_day(tz: Tz, date: chrono::NaiveDate) -> bool {
    use chrono::Offset;
    let offset_at = |h: u32, m: u32| {
        date.and_hms_opt(h, m, 0)
            .and_then(|t| tz.from_local_datetime(&t).earliest())
            .map(|dt| dt.offset().fix())
    };
    offset_at(0, 0) != offset_at(23, 59)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn naive(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|x| x.and_hms_opt(h, mi, 0))
            .expect("valid test date")
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("valid test instant")
            .with_timezone(&Utc)
    }

    #[test]
    fn ordinary_time_maps_to_its_offset() {
        let paris = chrono_tz::Europe::Paris;
        assert_eq!(
            local_to_utc(paris, naive(2026, 1, 5, 9, 0)),
            Some(utc("2026-01-05T08:00:00Z"))
        );
        assert_eq!(
            local_to_utc(paris, naive(2026, 7, 6, 9, 0)),
            Some(utc("2026-07-06T07:00:00Z"))
        );
    }

    #[test]
    fn spring_gap_moves_to_the_end_of_the_gap() {
        let paris = chrono_tz::Europe::Paris;
        // 02:00..03:00 does not exist on 2026-03-29; 03:00 CEST = 01:00 UTC.
        for minute in [0, 1, 30, 59] {
            assert_eq!(
                local_to_utc(paris, naive(2026, 3, 29, 2, minute)),
                Some(utc("2026-03-29T01:00:00Z")),
                "02:{minute:02}"
            );
        }
        assert_eq!(
            local_to_utc(paris, naive(2026, 3, 29, 3, 0)),
            Some(utc("2026-03-29T01:00:00Z"))
        );
    }

    #[test]
    fn autumn_overlap_takes_the_first_occurrence() {
        let paris = chrono_tz::Europe::Paris;
        // 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
        assert_eq!(
            local_to_utc(paris, naive(2026, 10, 25, 2, 30)),
            Some(utc("2026-10-25T00:30:00Z"))
        );
        assert_eq!(
            local_to_utc(paris, naive(2026, 10, 25, 3, 0)),
            Some(utc("2026-10-25T02:00:00Z"))
        );
    }

    #[test]
    fn transition_days_are_detected() {
        let paris = chrono_tz::Europe::Paris;
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("valid");
        assert!(is_transition_day(paris, d(3, 29)));
        assert!(is_transition_day(paris, d(10, 25)));
        assert!(!is_transition_day(paris, d(10, 26)));
        assert!(!is_transition_day(chrono_tz::America::Cayenne, d(3, 29)));
    }
}
