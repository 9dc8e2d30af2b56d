//! Standard 5-field cron (`minute hour day-of-month month day-of-week`) with the
//! semantics coordinators expect, computed with the `cron` 0.17 crate.
//!
//! The crate differs from standard cron on purpose-sensitive points, so this file
//! adapts it rather than handing it the user's text:
//! - it wants 6–7 fields with seconds first: we always emit `0` seconds;
//! - it numbers weekdays 1–7 with 1 = Sunday: we parse the standard numbering
//!   (0 or 7 = Sunday, 1 = Monday, names SUN..SAT) ourselves and emit explicit
//!   lists in the crate's numbering;
//! - it ANDs day-of-month with day-of-week: when both are restricted we build two
//!   crate schedules (one per field) and take the earliest, which is the usual
//!   Vixie-cron OR. Like Vixie cron, a field "is restricted" unless its text
//!   starts with `*` (so `*/2` in day-of-month keeps the AND);
//! - it works in a real time zone and so skips/duplicates jobs on DST days: we run
//!   it on naive local wall-clock times (in UTC, where nothing is skipped) and map
//!   each candidate to a real instant with [`super::dst::local_to_utc`].

use chrono::{DateTime, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

use super::dst::local_to_utc;
use super::error::{excerpt, ScheduleError};

const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DOW_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// A validated 5-field cron expression. Serialized as its source text
/// (e.g. `"0 9 * * 1-5"`) and re-validated when read back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CronSpec {
    source: String,
    minutes: u64,
    hours: u32,
    /// Bits 1..=31.
    days_of_month: u32,
    /// Bits 1..=12.
    months: u16,
    /// Bits 0..=6, 0 = Sunday (standard numbering, 7 folded into 0).
    days_of_week: u8,
    dom_star: bool,
    dow_star: bool,
}

impl TryFrom<String> for CronSpec {
    type Error = ScheduleError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        CronSpec::parse(&value)
    }
}

impl From<CronSpec> for String {
    fn from(spec: CronSpec) -> String {
        spec.source
    }
}

/// Bounds of one field, for parsing and error messages.
struct FieldDef {
    index: usize,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// Value of `names[0]` (1 for months, 0 for weekdays).
    name_base: u32,
}

const FIELDS: [FieldDef; 5] = [
    FieldDef {
        index: 0,
        min: 0,
        max: 59,
        names: &[],
        name_base: 0,
    },
    FieldDef {
        index: 1,
        min: 0,
        max: 23,
        names: &[],
        name_base: 0,
    },
    FieldDef {
        index: 2,
        min: 1,
        max: 31,
        names: &[],
        name_base: 0,
    },
    FieldDef {
        index: 3,
        min: 1,
        max: 12,
        names: &MONTH_NAMES,
        name_base: 1,
    },
    FieldDef {
        index: 4,
        min: 0,
        max: 7,
        names: &DOW_NAMES,
        name_base: 0,
    },
];

impl FieldDef {
    fn error(&self, value: &str) -> ScheduleError {
        ScheduleError::CronField {
            field: self.index,
            value: excerpt(value),
        }
    }

    fn value(&self, text: &str) -> Result<u32, ScheduleError> {
        let lower = text.to_ascii_lowercase();
        let v = if let Some(pos) = self.names.iter().position(|n| *n == lower) {
            pos as u32 + self.name_base
        } else if !text.is_empty() && text.len() <= 2 && text.bytes().all(|b| b.is_ascii_digit()) {
            text.parse::<u32>().map_err(|_| self.error(text))?
        } else {
            return Err(self.error(text));
        };
        if v < self.min || v > self.max {
            return Err(self.error(text));
        }
        Ok(v)
    }

    /// Parses a whole field into a bitset of allowed values.
    fn parse(&self, field: &str) -> Result<u64, ScheduleError> {
        let mut bits = 0u64;
        for item in field.split(',') {
            let (range, step) = match item.split_once('/') {
                Some((r, st)) => {
                    let step = if !st.is_empty()
                        && st.len() <= 2
                        && st.bytes().all(|b| b.is_ascii_digit())
                    {
                        st.parse::<u32>().map_err(|_| self.error(field))?
                    } else {
                        return Err(self.error(field));
                    };
                    if step == 0 {
                        return Err(self.error(field));
                    }
                    (r, Some(step))
                }
                None => (item, None),
            };
            let (lo, hi) = if range == "*" || range == "?" {
                (self.min, self.max)
            } else if let Some((a, b)) = range.split_once('-') {
                let (a, b) = (self.value(a)?, self.value(b)?);
                if a > b {
                    return Err(self.error(field));
                }
                (a, b)
            } else {
                let a = self.value(range)?;
                // "5/15" means "from 5 to the end, every 15".
                (a, if step.is_some() { self.max } else { a })
            };
            let step = step.unwrap_or(1);
            let mut v = lo;
            while v <= hi {
                bits |= 1 << v;
                v += step;
            }
        }
        if bits == 0 {
            return Err(self.error(field));
        }
        Ok(bits)
    }
}

impl CronSpec {
    /// Parses standard 5-field cron. Refuses other field counts, out-of-range
    /// values, reversed ranges, zero steps and rules that can never fire.
    pub fn parse(expr: &str) -> Result<CronSpec, ScheduleError> {
        let fields: Vec<&str> = expr.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(ScheduleError::CronFieldCount {
                found: fields.len(),
            });
        }
        let mut bits = [0u64; 5];
        for (i, def) in FIELDS.iter().enumerate() {
            bits[i] = def.parse(fields[i])?;
        }
        // Sunday is 0 or 7 in standard cron.
        let mut dow = bits[4];
        if dow & (1 << 7) != 0 {
            dow = (dow & !(1 << 7)) | 1;
        }
        let spec = CronSpec {
            source: fields.join(" "),
            minutes: bits[0],
            hours: bits[1] as u32,
            days_of_month: bits[2] as u32,
            months: bits[3] as u16,
            days_of_week: dow as u8,
            dom_star: fields[2].starts_with('*') || fields[2].starts_with('?'),
            dow_star: fields[4].starts_with('*') || fields[4].starts_with('?'),
        };
        if !spec.can_fire() {
            return Err(ScheduleError::CronNeverFires {
                expr: excerpt(&spec.source),
            });
        }
        Ok(spec)
    }

    /// The normalized source text (fields separated by single spaces).
    pub fn source(&self) -> &str {
        &self.source
    }

    fn uses_or(&self) -> bool {
        !self.dom_star && !self.dow_star
    }

    /// With OR semantics any weekday fires; with AND some (month, day) pair must
    /// exist (every weekday then occurs on it within 28 years).
    fn can_fire(&self) -> bool {
        if self.uses_or() {
            return true;
        }
        (1..=12u32).any(|m| {
            self.months & (1 << m) != 0
                && (1..=max_days(m)).any(|d| self.days_of_month & (1 << d) != 0)
        })
    }

    /// Single minute and hour, when the rule fires at one time of day.
    pub(crate) fn single_time(&self) -> Option<(u32, u32)> {
        let one = |bits: u64| (bits.count_ones() == 1).then(|| bits.trailing_zeros());
        Some((one(u64::from(self.hours))?, one(self.minutes)?))
    }

    /// Weekdays (Monday = 0) when the rule is "these weekdays, every month".
    pub(crate) fn weekly_days(&self) -> Option<Vec<usize>> {
        if !self.dom_star || self.days_of_month != ALL_DOM || self.months != ALL_MONTHS {
            return None;
        }
        Some(
            (0..7)
                .filter(|&monday_based| {
                    let sunday_based = (monday_based + 1) % 7;
                    self.days_of_week & (1 << sunday_based) != 0
                })
                .collect(),
        )
    }

    /// Day of month when the rule is "this day of every month".
    pub(crate) fn monthly_day(&self) -> Option<u32> {
        let dow_all = self.dow_star && self.days_of_week == ALL_DOW;
        if !dow_all || self.months != ALL_MONTHS || self.days_of_month.count_ones() != 1 {
            return None;
        }
        Some(self.days_of_month.trailing_zeros())
    }

    /// Builds the `cron` crate schedules equivalent to this rule (two for the OR).
    pub(crate) fn runner(&self) -> CronRunner {
        let minutes = list(self.minutes, 0, 59, 0);
        let hours = list(u64::from(self.hours), 0, 23, 0);
        let dom = list(u64::from(self.days_of_month), 1, 31, 0);
        let months = list(u64::from(self.months), 1, 12, 0);
        // The crate numbers weekdays 1..=7 from Sunday: shift ours by one.
        let dow = list(u64::from(self.days_of_week), 0, 6, 1);
        let exprs = if self.uses_or() {
            vec![
                format!("0 {minutes} {hours} {dom} {months} *"),
                format!("0 {minutes} {hours} * {months} {dow}"),
            ]
        } else {
            vec![format!("0 {minutes} {hours} {dom} {months} {dow}")]
        };
        CronRunner {
            schedules: exprs
                .iter()
                .filter_map(|e| cron::Schedule::from_str(e).ok())
                .collect(),
        }
    }
}

const ALL_DOM: u32 = 0xFFFF_FFFE;
const ALL_MONTHS: u16 = 0x1FFE;
const ALL_DOW: u8 = 0x7F;

fn max_days(month: u32) -> u32 {
    match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// "*" when every value in `min..=max` is set, else a comma list, each value
/// shifted by `offset` (for the crate's weekday numbering).
fn list(bits: u64, min: u32, max: u32, offset: u32) -> String {
    let values: Vec<u32> = (min..=max).filter(|v| bits & (1 << v) != 0).collect();
    if values.len() as u32 == max - min + 1 {
        return "*".to_string();
    }
    values
        .iter()
        .map(|v| (v + offset).to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The crate schedules for one rule, built once and reused for several firings.
pub(crate) struct CronRunner {
    schedules: Vec<cron::Schedule>,
}

impl CronRunner {
    /// First firing strictly after `after`, honouring the module's DST rule.
    pub(crate) fn next_after(&self, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        self.schedules
            .iter()
            .filter_map(|s| next_for(s, after, tz))
            .min()
    }
}

/// Runs one crate schedule on naive local time: the local time of `after` is
/// written as if it were UTC, candidates come back the same way, and each is
/// mapped to a real instant. Candidates at or before `after` (the repeated autumn
/// hour, or the gap squeezed onto its end) are skipped, which is also the dedupe.
fn next_for(schedule: &cron::Schedule, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    let local = after.with_timezone(&tz).naive_local().with_nanosecond(0)?;
    let start = Utc.from_utc_datetime(&local);
    // The overlap can hold at most a couple of hours of minute candidates.
    schedule
        .after(&start)
        .take(2_000)
        .filter_map(|candidate| local_to_utc(tz, candidate.naive_utc()))
        .find(|&at| at > after)
}

/// A date exists in the Gregorian calendar (helper shared with the phrase parser).
pub(crate) fn date_exists(year: i32, month: u32, day: u32) -> bool {
    NaiveDate::from_ymd_opt(year, month, day).is_some()
}

/// Formats a standard-cron weekday list for phrase-built rules, compressing runs:
/// Monday..Friday → "1-5". `sunday_based` values are 0..=6.
pub(crate) fn dow_field(sunday_based: &[u32]) -> String {
    let mut sorted: Vec<u32> = sunday_based.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] == sorted[j] + 1 {
            j += 1;
        }
        if j >= i + 2 {
            parts.push(format!("{}-{}", sorted[i], sorted[j]));
        } else {
            for v in &sorted[i..=j] {
                parts.push(v.to_string());
            }
        }
        i = j + 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{dst::is_transition_day, Schedule};
    use proptest::prelude::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("valid test instant")
            .with_timezone(&Utc)
    }

    fn next_n(expr: &str, from: &str, tz: Tz, n: usize) -> Vec<String> {
        let spec = CronSpec::parse(expr).expect("valid test expression");
        Schedule::Cron { expr: spec }
            .next_n(utc(from), tz, n)
            .iter()
            .map(|d| d.with_timezone(&tz).to_rfc3339())
            .collect()
    }

    #[test]
    fn weekdays_use_standard_numbering() {
        let paris = chrono_tz::Europe::Paris;
        // 2026-11-25 is a Wednesday.
        assert_eq!(
            next_n("0 9 * * 1-5", "2026-11-27T12:00:00+01:00", paris, 2),
            ["2026-11-30T09:00:00+01:00", "2026-12-01T09:00:00+01:00"]
        );
        for sunday in ["0", "7", "SUN", "sun"] {
            assert_eq!(
                next_n(
                    &format!("0 9 * * {sunday}"),
                    "2026-11-25T10:00:00+01:00",
                    paris,
                    1
                ),
                ["2026-11-29T09:00:00+01:00"],
                "{sunday}"
            );
        }
        assert_eq!(
            next_n("30 8 * * MON-FRI", "2026-11-27T12:00:00+01:00", paris, 1),
            ["2026-11-30T08:30:00+01:00"]
        );
        assert_eq!(
            next_n("0 9 * * 5-7", "2026-11-25T10:00:00+01:00", paris, 3),
            [
                "2026-11-27T09:00:00+01:00",
                "2026-11-28T09:00:00+01:00",
                "2026-11-29T09:00:00+01:00"
            ]
        );
    }

    #[test]
    fn day_of_month_or_day_of_week_when_both_restricted() {
        let paris = chrono_tz::Europe::Paris;
        // The 1st of the month OR any Friday.
        assert_eq!(
            next_n("0 9 1 * 5", "2026-11-25T10:00:00+01:00", paris, 3),
            [
                "2026-11-27T09:00:00+01:00",
                "2026-12-01T09:00:00+01:00",
                "2026-12-04T09:00:00+01:00"
            ]
        );
        // Star-prefixed day-of-month keeps the AND (Vixie cron): odd days that are Fridays.
        assert_eq!(
            next_n("0 9 */2 * 5", "2026-11-25T10:00:00+01:00", paris, 2),
            ["2026-11-27T09:00:00+01:00", "2026-12-11T09:00:00+01:00"]
        );
    }

    #[test]
    fn steps_lists_and_month_names() {
        let utc_tz = chrono_tz::UTC;
        assert_eq!(
            next_n("*/20 9-10 * * *", "2026-01-01T09:10:00Z", utc_tz, 4),
            [
                "2026-01-01T09:20:00+00:00",
                "2026-01-01T09:40:00+00:00",
                "2026-01-01T10:00:00+00:00",
                "2026-01-01T10:20:00+00:00"
            ]
        );
        assert_eq!(
            next_n("5/30 0 1 jan,JUL *", "2026-01-01T00:10:00Z", utc_tz, 3),
            [
                "2026-01-01T00:35:00+00:00",
                "2026-07-01T00:05:00+00:00",
                "2026-07-01T00:35:00+00:00"
            ]
        );
        assert_eq!(
            next_n("0 12 29 2 *", "2026-01-01T00:00:00Z", utc_tz, 1),
            ["2028-02-29T12:00:00+00:00"]
        );
    }

    #[test]
    fn invalid_expressions_are_refused() {
        for bad in [
            "0 9 * *",
            "0 9 * * * *",
            "60 9 * * *",
            "0 24 * * *",
            "0 9 0 * *",
            "0 9 32 * *",
            "0 9 * 13 *",
            "0 9 * * 8",
            "0 9 * * FRI-MON",
            "0 9 * * 1-",
            "0 9 */0 * *",
            "0 9 ,1 * *",
            "0 9 * * lundi",
            "x 9 * * *",
            "0 9 31 2 *",
            "0 9 30,31 2 *",
            "999999999999 9 * * *",
        ] {
            let err = CronSpec::parse(bad).expect_err(bad);
            assert!(err.to_string().contains("Exemple"), "{bad}: {err}");
        }
        // Feb 31 OR Mondays still fires (OR semantics).
        assert!(CronSpec::parse("0 9 31 2 1").is_ok());
    }

    #[test]
    fn serde_round_trip_keeps_the_source() {
        let spec = CronSpec::parse("0  9 * *   1-5").expect("valid");
        let json = serde_json::to_string(&spec).expect("serializes");
        assert_eq!(json, "\"0 9 * * 1-5\"");
        let back: CronSpec = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, spec);
        assert!(serde_json::from_str::<CronSpec>("\"0 9 * *\"").is_err());
    }

    #[test]
    fn dow_field_compresses_runs() {
        assert_eq!(dow_field(&[1, 2, 3, 4, 5]), "1-5");
        assert_eq!(dow_field(&[2, 4]), "2,4");
        assert_eq!(dow_field(&[0, 1, 6]), "0,1,6");
        assert_eq!(dow_field(&[1, 2, 3, 5]), "1-3,5");
    }

    // ------------------------------------------------------------------
    // Property test against croner, an independent cron implementation.
    // ------------------------------------------------------------------

    fn field(min: u32, max: u32, names: &'static [&'static str]) -> BoxedStrategy<String> {
        let value = move || {
            let numbers = (min..=max).prop_map(|v| v.to_string());
            if names.is_empty() {
                numbers.boxed()
            } else {
                prop_oneof![
                    3 => numbers,
                    1 => proptest::sample::select(names).prop_map(|n| n.to_uppercase()),
                ]
                .boxed()
            }
        };
        let range = (min..=max, min..=max).prop_map(|(a, b)| {
            let (a, b) = if a <= b { (a, b) } else { (b, a) };
            format!("{a}-{b}")
        });
        let stepped_range = (min..=max, min..=max, 1..=(max - min).max(1)).prop_map(|(a, b, s)| {
            let (a, b) = if a <= b { (a, b) } else { (b, a) };
            format!("{a}-{b}/{s}")
        });
        prop_oneof![
            3 => Just("*".to_string()),
            3 => value(),
            2 => range,
            1 => stepped_range,
            1 => (1..=(max - min).max(1)).prop_map(|s| format!("*/{s}")),
            2 => proptest::collection::vec(value(), 2..4).prop_map(|v| v.join(",")),
        ]
        .boxed()
    }

    fn expression() -> impl Strategy<Value = String> {
        (
            field(0, 59, &[]),
            field(0, 23, &[]),
            field(1, 31, &[]),
            field(1, 12, &MONTH_NAMES),
            field(0, 7, &DOW_NAMES),
        )
            .prop_map(|(mi, h, mut dom, mo, mut dow)| {
                // Where croner and Vixie cron read a star-prefixed day field
                // differently (see `semantics_agree`), use a bare `*` instead.
                if dom.starts_with('*') && dow != "*" {
                    dom = "*".to_string();
                }
                if dow.starts_with('*') && dom != "*" {
                    dow = "*".to_string();
                }
                format!("{mi} {h} {dom} {mo} {dow}")
            })
    }

    /// croner treats only a bare `*` as "unrestricted", Vixie cron (and we) any
    /// field starting with `*`; skip the expressions where the two disagree.
    fn semantics_agree(expr: &str) -> bool {
        let f: Vec<&str> = expr.split_whitespace().collect();
        let star_prefixed_only = |s: &str| s.starts_with('*') && s != "*";
        !(star_prefixed_only(f[2]) && f[4] != "*" || star_prefixed_only(f[4]) && f[2] != "*")
    }

    fn croner_next(expr: &str, from: DateTime<Utc>, tz: Tz, n: usize) -> Vec<DateTime<Utc>> {
        let Ok(cron) = croner::Cron::new(expr).parse() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut t = from.with_timezone(&tz);
        for _ in 0..n {
            match cron.find_next_occurrence(&t, false) {
                Ok(next) => {
                    out.push(next.with_timezone(&Utc));
                    t = next;
                }
                Err(_) => break,
            }
        }
        out
    }

    /// Guards the property tests against vacuity: most generated expressions must
    /// be valid, comparable with croner, and actually fire.
    #[test]
    fn oracle_strategy_is_not_vacuous() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let strategy = expression();
        let from = utc("2026-06-01T00:00:00Z");
        let mut compared = 0;
        let mut both_restricted = 0;
        for _ in 0..300 {
            let expr = strategy
                .new_tree(&mut runner)
                .expect("strategy produces values")
                .current();
            if !semantics_agree(&expr) {
                continue;
            }
            let Ok(spec) = CronSpec::parse(&expr) else {
                continue;
            };
            if spec.uses_or() {
                both_restricted += 1;
            }
            let ours = Schedule::Cron { expr: spec }.next_n(from, chrono_tz::UTC, 5);
            if ours.len() == 5 && ours == croner_next(&expr, from, chrono_tz::UTC, 5) {
                compared += 1;
            }
        }
        assert!(compared > 200, "only {compared} of 300 comparable");
        assert!(both_restricted > 20, "only {both_restricted} OR cases");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

        #[test]
        fn matches_croner_in_utc(expr in expression(), offset in 0i64..(5 * 365 * 24 * 60)) {
            prop_assume!(semantics_agree(&expr));
            let Ok(spec) = CronSpec::parse(&expr) else { return Ok(()); };
            let from = utc("2026-01-01T00:00:00Z") + chrono::Duration::minutes(offset);
            let ours = Schedule::Cron { expr: spec }.next_n(from, chrono_tz::UTC, 5);
            let theirs = croner_next(&expr, from, chrono_tz::UTC, 5);
            prop_assert_eq!(ours, theirs, "{}", expr);
        }

        #[test]
        fn matches_croner_in_paris_outside_dst_days(
            expr in expression(),
            offset in 0i64..(5 * 365 * 24 * 60),
        ) {
            prop_assume!(semantics_agree(&expr));
            let Ok(spec) = CronSpec::parse(&expr) else { return Ok(()); };
            let paris = chrono_tz::Europe::Paris;
            let from = utc("2026-01-01T00:00:00Z") + chrono::Duration::minutes(offset);
            let off_dst_day = |v: Vec<DateTime<Utc>>| -> Vec<DateTime<Utc>> {
                v.into_iter()
                    .filter(|d| !is_transition_day(paris, d.with_timezone(&paris).date_naive()))
                    .collect()
            };
            let ours = off_dst_day(Schedule::Cron { expr: spec }.next_n(from, paris, 5));
            let theirs = off_dst_day(croner_next(&expr, from, paris, 5));
            let common = ours.len().min(theirs.len());
            prop_assert!(common > 0 || ours.is_empty() || theirs.is_empty());
            prop_assert_eq!(&ours[..common], &theirs[..common], "{}", expr);
        }
    }
}
