//! Recurrences that cron cannot express: "le premier lundi du mois" (cron would
//! need `#`, which the `cron` crate lacks) and "toutes les deux semaines le
//! vendredi" (cron has no week parity). Both are computed on local dates and
//! mapped to UTC with the module's DST rule.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::dst::local_to_utc;

/// Which occurrence of a weekday in its month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nth {
    First,
    Second,
    Third,
    Fourth,
    Last,
}

impl Nth {
    /// Index into `strings::schedule::ORDINALS`.
    pub(crate) fn index(self) -> usize {
        match self {
            Nth::First => 0,
            Nth::Second => 1,
            Nth::Third => 2,
            Nth::Fourth => 3,
            Nth::Last => 4,
        }
    }
}

/// The date of the `nth` `weekday` of a month, if the month exists.
pub(crate) fn nth_weekday(year: i32, month: u32, nth: Nth, weekday: Weekday) -> Option<NaiveDate> {
    let n = match nth {
        Nth::First => 1,
        Nth::Second => 2,
        Nth::Third => 3,
        Nth::Fourth => 4,
        Nth::Last => {
            let first = NaiveDate::from_ymd_opt(year, month, 1)?;
            let last = first.checked_add_months(Months::new(1))?.pred_opt()?;
            let back =
                (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
            return last.checked_sub_days(Days::new(u64::from(back)));
        }
    };
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n)
}

/// Next "nth weekday of the month at `time`" strictly after `after`.
pub(crate) fn next_nth_weekday(
    nth: Nth,
    weekday: Weekday,
    time: NaiveTime,
    after: DateTime<Utc>,
    tz: Tz,
) -> Option<DateTime<Utc>> {
    // Months before the local month of `after` only hold earlier instants.
    let start = after.with_timezone(&tz).date_naive().with_day(1)?;
    (0..25u32).find_map(|i| {
        let month = start.checked_add_months(Months::new(i))?;
        let date = nth_weekday(month.year(), month.month(), nth, weekday)?;
        local_to_utc(tz, date.and_time(time)).filter(|&at| at > after)
    })
}

/// Next firing of "every `weeks` weeks on `weekdays` at `time`", counting weeks
/// from the week (Monday-based) of `first`, never before `first`.
pub(crate) fn next_every_n_weeks(
    weeks: u32,
    weekdays: &[Weekday],
    time: NaiveTime,
    first: NaiveDate,
    after: DateTime<Utc>,
    tz: Tz,
) -> Option<DateTime<Utc>> {
    if weeks == 0 || weekdays.is_empty() {
        return None;
    }
    let anchor_monday =
        first.checked_sub_days(Days::new(u64::from(first.weekday().num_days_from_monday())))?;
    let start = first.max(after.with_timezone(&tz).date_naive());
    // One full period plus a week covers every weekday of an active week.
    let span = u64::from(weeks) * 7 + 7;
    (0..span).find_map(|i| {
        let date = start.checked_add_days(Days::new(i))?;
        let week_index = (date - anchor_monday).num_days() / 7;
        let active = week_index % i64::from(weeks) == 0 && weekdays.contains(&date.weekday());
        if !active {
            return None;
        }
        local_to_utc(tz, date.and_time(time)).filter(|&at| at > after)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    #[test]
    fn nth_weekday_of_month() {
        // November 2026 starts on a Sunday.
        assert_eq!(
            nth_weekday(2026, 11, Nth::First, Weekday::Mon),
            Some(date(2026, 11, 2))
        );
        assert_eq!(
            nth_weekday(2026, 11, Nth::Fourth, Weekday::Mon),
            Some(date(2026, 11, 23))
        );
        assert_eq!(
            nth_weekday(2026, 11, Nth::Last, Weekday::Mon),
            Some(date(2026, 11, 30))
        );
        assert_eq!(
            nth_weekday(2026, 2, Nth::Last, Weekday::Sat),
            Some(date(2026, 2, 28))
        );
        assert_eq!(
            nth_weekday(2026, 12, Nth::Last, Weekday::Thu),
            Some(date(2026, 12, 31))
        );
    }

    #[test]
    fn every_two_weeks_skips_odd_weeks() {
        let paris = chrono_tz::Europe::Paris;
        let t = NaiveTime::from_hms_opt(16, 0, 0).expect("valid");
        let first = date(2026, 11, 27);
        let after = DateTime::parse_from_rfc3339("2026-11-27T16:00:00+01:00")
            .expect("valid")
            .with_timezone(&Utc);
        let next = next_every_n_weeks(2, &[Weekday::Fri], t, first, after, paris)
            .expect("fires")
            .with_timezone(&paris);
        assert_eq!(next.date_naive(), date(2026, 12, 11));
    }
}
