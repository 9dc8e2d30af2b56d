//! Quiet hours for nudges: no post in the evening/night window, and optionally
//! none on weekends and public holidays. Used by the nudges code to push a due
//! post to the next allowed local moment; `parse` does not apply it.

use chrono::{DateTime, Datelike, NaiveDateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::dst::local_to_utc;
use super::holidays::next_day;
pub use super::holidays::{is_public_holiday, HolidayRegion};

/// When nudges must not be posted (local times of the Mission Locale's zone).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietRules {
    /// Start of the nightly quiet window (default 19:00).
    pub start: NaiveTime,
    /// End of the window (default 08:00); may be earlier than `start` (overnight). Equal to
    /// `start` (e.g. both "00:00"): no quiet window at all.
    pub end: NaiveTime,
    /// `true`: no nudges on Saturdays and Sundays.
    pub weekends: bool,
    /// `true`: no nudges on public holidays of `region`.
    pub holidays: bool,
    pub region: HolidayRegion,
}

impl QuietRules {
    /// The defaults (19:00–08:00, weekends and holidays quiet) with the holiday
    /// region guessed from the time zone.
    pub fn for_tz(tz: Tz) -> QuietRules {
        QuietRules {
            region: HolidayRegion::from_tz(tz),
            ..QuietRules::default()
        }
    }

    /// True when nothing is ever quiet: no window (`start == end`), weekends and holidays open.
    pub fn is_never_quiet(&self) -> bool {
        self.start == self.end && !self.weekends && !self.holidays
    }

    fn in_window(&self, t: NaiveTime) -> bool {
        if self.start > self.end {
            t >= self.start || t < self.end
        } else if self.start < self.end {
            t >= self.start && t < self.end
        } else {
            false
        }
    }

    /// First allowed time of a day that is not blocked as a whole.
    fn day_opening(&self) -> NaiveTime {
        if self.start > self.end {
            self.end
        } else {
            NaiveTime::MIN
        }
    }

    fn day_blocked(&self, date: chrono::NaiveDate) -> bool {
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        (self.weekends && weekend) || (self.holidays && is_public_holiday(date, self.region))
    }
}

impl Default for QuietRules {
    fn default() -> Self {
        QuietRules {
            start: NaiveTime::from_hms_opt(19, 0, 0).unwrap_or(NaiveTime::MIN),
            end: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN),
            weekends: true,
            holidays: true,
            region: HolidayRegion::Metropole,
        }
    }
}

/// If `at` falls inside quiet time, the next allowed local moment (the end of the
/// quiet period), else `at` itself.
pub fn next_allowed(at: DateTime<Utc>, tz: Tz, rules: &QuietRules) -> DateTime<Utc> {
    let mut local: NaiveDateTime = at.with_timezone(&tz).naive_local();
    let mut moved = false;
    // Two years of blocked days is impossible with real rules; the bound only
    // guarantees termination on absurd ones.
    for _ in 0..800 {
        let (date, time) = (local.date(), local.time());
        if rules.day_blocked(date) {
            local = next_day(date).and_time(rules.day_opening());
        } else if rules.in_window(time) {
            let evening = rules.start > rules.end && time >= rules.start;
            let day = if evening { next_day(date) } else { date };
            local = day.and_time(rules.end);
        } else {
            break;
        }
        moved = true;
    }
    if !moved {
        return at;
    }
    local_to_utc(tz, local).map_or(at, |allowed| allowed.max(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("valid test instant")
            .with_timezone(&Utc)
    }

    fn local(d: DateTime<Utc>, tz: Tz) -> String {
        d.with_timezone(&tz).to_rfc3339()
    }

    const PARIS: Tz = chrono_tz::Europe::Paris;

    #[test]
    fn friday_evening_waits_for_monday_morning() {
        let rules = QuietRules::default();
        let out = next_allowed(at("2026-11-27T20:00:00+01:00"), PARIS, &rules);
        assert_eq!(local(out, PARIS), "2026-11-30T08:00:00+01:00");
    }

    #[test]
    fn allowed_times_are_unchanged() {
        let rules = QuietRules::default();
        let t = at("2026-11-25T10:00:00+01:00");
        assert_eq!(next_allowed(t, PARIS, &rules), t);
        let t = at("2026-11-25T08:00:00+01:00");
        assert_eq!(next_allowed(t, PARIS, &rules), t);
        let t = at("2026-11-25T18:59:59+01:00");
        assert_eq!(next_allowed(t, PARIS, &rules), t);
    }

    #[test]
    fn early_morning_waits_for_the_end_of_the_window() {
        let rules = QuietRules::default();
        let out = next_allowed(at("2026-11-25T06:30:00+01:00"), PARIS, &rules);
        assert_eq!(local(out, PARIS), "2026-11-25T08:00:00+01:00");
    }

    #[test]
    fn christmas_is_quiet() {
        // 2026-12-25 is a Friday; with weekends allowed, 26 Dec is open in
        // metropolitan France but a holiday in Alsace-Moselle.
        let mut rules = QuietRules {
            weekends: false,
            ..QuietRules::default()
        };
        let xmas = at("2026-12-25T10:00:00+01:00");
        assert_eq!(
            local(next_allowed(xmas, PARIS, &rules), PARIS),
            "2026-12-26T08:00:00+01:00"
        );
        rules.region = HolidayRegion::AlsaceMoselle;
        assert_eq!(
            local(next_allowed(xmas, PARIS, &rules), PARIS),
            "2026-12-27T08:00:00+01:00"
        );
        // With weekends quiet too: Monday 28 December.
        let rules = QuietRules::default();
        assert_eq!(
            local(next_allowed(xmas, PARIS, &rules), PARIS),
            "2026-12-28T08:00:00+01:00"
        );
        // Holidays not observed: unchanged.
        let rules = QuietRules {
            holidays: false,
            ..QuietRules::default()
        };
        assert_eq!(next_allowed(xmas, PARIS, &rules), xmas);
    }

    #[test]
    fn easter_monday_2027_is_quiet() {
        let rules = QuietRules::default();
        let out = next_allowed(at("2027-03-29T10:00:00+02:00"), PARIS, &rules);
        assert_eq!(local(out, PARIS), "2027-03-30T08:00:00+02:00");
        // The Friday evening before Easter waits until Tuesday.
        let out = next_allowed(at("2027-03-26T19:30:00+01:00"), PARIS, &rules);
        assert_eq!(local(out, PARIS), "2027-03-30T08:00:00+02:00");
    }

    #[test]
    fn may_27_is_quiet_in_guadeloupe_only() {
        let gpe = chrono_tz::America::Guadeloupe;
        let rules = QuietRules::for_tz(gpe);
        assert_eq!(rules.region, HolidayRegion::Guadeloupe);
        // 2026-05-27 is a Wednesday.
        let out = next_allowed(at("2026-05-27T10:00:00-04:00"), gpe, &rules);
        assert_eq!(local(out, gpe), "2026-05-28T08:00:00-04:00");
        let paris_rules = QuietRules::default();
        let t = at("2026-05-27T10:00:00+02:00");
        assert_eq!(next_allowed(t, PARIS, &paris_rules), t);
    }

    #[test]
    fn daytime_window_opens_at_midnight_after_a_blocked_day() {
        let rules = QuietRules {
            start: NaiveTime::from_hms_opt(12, 0, 0).expect("valid"),
            end: NaiveTime::from_hms_opt(14, 0, 0).expect("valid"),
            weekends: true,
            holidays: false,
            region: HolidayRegion::Metropole,
        };
        let out = next_allowed(at("2026-11-25T12:30:00+01:00"), PARIS, &rules);
        assert_eq!(local(out, PARIS), "2026-11-25T14:00:00+01:00");
        let out = next_allowed(at("2026-11-28T10:00:00+01:00"), PARIS, &rules);
        assert_eq!(local(out, PARIS), "2026-11-30T00:00:00+01:00");
    }
}
