//! kitbot's schedule language: French phrases ("chaque lundi à 9h", "demain à
//! 14h", "le premier lundi du mois à 9h"…) and standard 5-field cron, parsed into
//! a [`Schedule`] whose firings are computed in the Mission Locale's IANA zone
//! with DST handled on purpose (see `dst.rs`), plus quiet hours (`quiet.rs`).
//! Pure logic: no Matrix, no I/O, no system clock (`now` is always passed in).
//!
//! Files: `phrase.rs` (French grammar), `cronexpr.rs` (standard cron over the
//! `cron` crate), `calendar.rs` (nth weekday, every N weeks), `dst.rs` (local →
//! UTC), `holidays.rs` + `quiet.rs` (quiet hours), `error.rs`. All user-facing
//! words live in `crate::strings::schedule`.

mod calendar;
mod cronexpr;
mod dst;
mod error;
mod holidays;
mod phrase;
pub mod quiet;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::strings::schedule as strings;

pub use calendar::Nth;
pub use cronexpr::CronSpec;
pub use dst::local_to_utc;
pub use error::ScheduleError;
pub use holidays::easter_sunday;
pub use quiet::{is_public_holiday, next_allowed, HolidayRegion, QuietRules};

/// Longest input `parse` accepts, in characters.
pub const MAX_INPUT_CHARS: usize = 200;
/// Most firings `cli` computes in one call.
pub const MAX_CLI_FIRINGS: usize = 1000;
/// Farthest a one-off may be, in years (a later date is almost surely a typo).
pub const MAX_YEARS_AHEAD: u32 = 5;

/// A parsed schedule. Serialized with a `kind` tag, e.g.
/// `{"kind":"cron","expr":"0 9 * * 1"}` or `{"kind":"once","at":"2026-12-03T09:00:00Z"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Schedule {
    /// A single firing.
    Once { at: DateTime<Utc> },
    /// Anything cron expresses: typed cron, and the phrases "chaque lundi",
    /// "tous les jours ouvrés", "le 15 de chaque mois"… (stored as cron).
    Cron { expr: CronSpec },
    /// "le premier / deuxième / troisième / quatrième / dernier lundi du mois".
    NthWeekdayOfMonth {
        nth: Nth,
        weekday: Weekday,
        time: NaiveTime,
    },
    /// "toutes les N semaines le vendredi": weeks counted from the week of
    /// `first`, the first firing date (the first such day at/after creation).
    EveryNWeeks {
        weeks: u32,
        weekdays: Vec<Weekday>,
        time: NaiveTime,
        first: NaiveDate,
    },
}

/// Parses a French phrase or a 5-field cron expression, in zone `tz`, relative to
/// `now` (for "demain", "dans 3 heures", and to refuse a one-off in the past).
pub fn parse(phrase: &str, tz: Tz, now: DateTime<Utc>) -> Result<Schedule, ScheduleError> {
    let text = phrase.trim();
    if text.is_empty() {
        return Err(ScheduleError::Empty);
    }
    if text.chars().count() > MAX_INPUT_CHARS {
        return Err(ScheduleError::TooLong {
            max: MAX_INPUT_CHARS,
        });
    }
    if phrase::looks_like_cron(text) {
        return CronSpec::parse(text).map(|expr| Schedule::Cron { expr });
    }
    phrase::parse_phrase(text, tz, now)
}

/// Splits a command argument such as "chaque lundi à 9h Pensez au point équipe"
/// into the schedule and the rest of the text ("Pensez au point équipe"): the
/// longest leading run of words (at most 24) that parses wins, and separators
/// (":", "-", "—", ",") before the rest are dropped.
///
/// When no prefix parses, the error is the one of the longest prefix that failed
/// for a reason other than a stray word (so "aujourd'hui à 8h Bilan" reports the
/// time as past), else the error for the whole text.
/// Trap: a number starting the message can be read as minutes ("demain à 9h 30
/// jeunes" → 9:30); the caller shows the parsed schedule back, so it can be fixed.
pub fn parse_leading(
    text: &str,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<(Schedule, &str), ScheduleError> {
    let text = text.trim_start();
    let ends: Vec<usize> = text
        .split_whitespace()
        .take(24)
        .map(|word| word.as_ptr() as usize - text.as_ptr() as usize + word.len())
        .collect();
    let mut reason: Option<ScheduleError> = None;
    for &end in ends.iter().rev() {
        match parse(&text[..end], tz, now) {
            Ok(schedule) => {
                let rest = text[end..].trim_start_matches(|c: char| {
                    c.is_whitespace() || matches!(c, ':' | '-' | '—' | '–' | ',')
                });
                return Ok((schedule, rest));
            }
            Err(e) if reason.is_none() && !is_stray_word(&e) => reason = Some(e),
            Err(_) => {}
        }
    }
    Err(match reason {
        Some(e) => e,
        None => match ends.last() {
            Some(&end) => parse(&text[..end], tz, now)
                .err()
                .unwrap_or(ScheduleError::Empty),
            None => ScheduleError::Empty,
        },
    })
}

/// Errors caused by words that belong to the message, not to the schedule.
fn is_stray_word(e: &ScheduleError) -> bool {
    matches!(
        e,
        ScheduleError::NotUnderstood { .. }
            | ScheduleError::Incomplete { .. }
            | ScheduleError::Empty
            | ScheduleError::TooLong { .. }
            | ScheduleError::CronFieldCount { .. }
    )
}

impl Schedule {
    /// First firing strictly after `after`, in UTC; None when a one-off is past.
    pub fn next_after(&self, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Cron { expr } => expr.runner().next_after(after, tz),
            _ => self.next_after_with(None, after, tz),
        }
    }

    /// The next `n` firings strictly after `after` (fewer if the schedule ends).
    pub fn next_n(&self, after: DateTime<Utc>, tz: Tz, n: usize) -> Vec<DateTime<Utc>> {
        let runner = match self {
            Schedule::Cron { expr } => Some(expr.runner()),
            _ => None,
        };
        let mut out = Vec::with_capacity(n.min(64));
        let mut cursor = after;
        while out.len() < n {
            match self.next_after_with(runner.as_ref(), cursor, tz) {
                Some(next) => {
                    out.push(next);
                    cursor = next;
                }
                None => break,
            }
        }
        out
    }

    fn next_after_with(
        &self,
        runner: Option<&cronexpr::CronRunner>,
        after: DateTime<Utc>,
        tz: Tz,
    ) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Once { at } => (*at > after).then_some(*at),
            Schedule::Cron { expr } => match runner {
                Some(r) => r.next_after(after, tz),
                None => expr.runner().next_after(after, tz),
            },
            Schedule::NthWeekdayOfMonth { nth, weekday, time } => {
                calendar::next_nth_weekday(*nth, *weekday, *time, after, tz)
            }
            Schedule::EveryNWeeks {
                weeks,
                weekdays,
                time,
                first,
            } => calendar::next_every_n_weeks(*weeks, weekdays, *time, *first, after, tz),
        }
    }

    /// French description: "chaque lundi à 09:00", "le 3 décembre 2026 à 10:00".
    pub fn describe_fr(&self, tz: Tz) -> String {
        match self {
            Schedule::Once { at } => {
                let l = at.with_timezone(&tz);
                strings::describe_once(l.day(), l.month0() as usize, l.year(), l.hour(), l.minute())
            }
            Schedule::Cron { expr } => describe_cron(expr),
            Schedule::NthWeekdayOfMonth { nth, weekday, time } => strings::describe_nth_weekday(
                nth.index(),
                weekday.num_days_from_monday() as usize,
                &clock(*time),
            ),
            Schedule::EveryNWeeks {
                weeks,
                weekdays,
                time,
                first,
            } => {
                let days: Vec<usize> = weekdays
                    .iter()
                    .map(|w| w.num_days_from_monday() as usize)
                    .collect();
                let first_text = strings::full_date(
                    first.weekday().num_days_from_monday() as usize,
                    first.day(),
                    first.month0() as usize,
                    first.year(),
                );
                strings::describe_every_n_weeks(*weeks, &days, &clock(*time), &first_text)
            }
        }
    }

    /// True for a single firing ("demain à 9h"), false for recurrences.
    pub fn is_one_off(&self) -> bool {
        matches!(self, Schedule::Once { .. })
    }
}

fn clock(t: NaiveTime) -> String {
    strings::clock(t.hour(), t.minute())
}

fn describe_cron(expr: &CronSpec) -> String {
    let Some((h, m)) = expr.single_time() else {
        return strings::describe_cron(expr.source());
    };
    let time = strings::clock(h, m);
    if let Some(days) = expr.weekly_days() {
        return match days.as_slice() {
            [0, 1, 2, 3, 4, 5, 6] => strings::describe_daily(&time),
            [0, 1, 2, 3, 4] => strings::describe_workdays(&time),
            [0, 1, 2, 3, 4, 5] => strings::describe_monday_to_saturday(&time),
            _ => strings::describe_weekly(&days, &time),
        };
    }
    if let Some(day) = expr.monthly_day() {
        return strings::describe_monthly_day(day, &time);
    }
    strings::describe_cron(expr.source())
}

/// "lundi 30 novembre à 09:00" in `tz`; the year is added when it differs from
/// the local year of `now` ("lundi 4 janvier 2027 à 09:00").
pub fn format_fr(at: DateTime<Utc>, tz: Tz, now: DateTime<Utc>) -> String {
    let l = at.with_timezone(&tz);
    let year = (l.year() != now.with_timezone(&tz).year()).then_some(l.year());
    strings::firing(
        l.weekday().num_days_from_monday() as usize,
        l.day(),
        l.month0() as usize,
        year,
        l.hour(),
        l.minute(),
    )
}

/// An IANA zone name ("Europe/Paris"), matched exactly first, then ignoring case.
pub fn parse_tz(name: &str) -> Result<Tz, ScheduleError> {
    let name = name.trim();
    if let Ok(tz) = name.parse::<Tz>() {
        return Ok(tz);
    }
    chrono_tz::TZ_VARIANTS
        .iter()
        .find(|tz| tz.name().eq_ignore_ascii_case(name))
        .copied()
        .ok_or_else(|| ScheduleError::UnknownTimeZone {
            name: error::excerpt(name),
        })
}

/// CLI body for `kitbot schedule "<phrase>" [--tz] [--from RFC3339] [--next N] [--format text|json]`.
/// `from` (default `now`) is both the parsing reference and the start of the
/// listing. Text: one French line per firing; JSON: an array of RFC 3339 strings
/// with the zone's offset ("2026-11-30T09:00:00+01:00").
pub fn cli(
    phrase: &str,
    tz: &str,
    from: Option<&str>,
    next: usize,
    json: bool,
    now: DateTime<Utc>,
) -> Result<String, ScheduleError> {
    let tz = parse_tz(tz)?;
    let start = match from {
        Some(text) => DateTime::parse_from_rfc3339(text.trim())
            .map_err(|_| ScheduleError::BadFrom {
                value: error::excerpt(text),
            })?
            .with_timezone(&Utc),
        None => now,
    };
    if next > MAX_CLI_FIRINGS {
        return Err(ScheduleError::TooManyFirings {
            asked: next,
            max: MAX_CLI_FIRINGS,
        });
    }
    let schedule = parse(phrase, tz, start)?;
    let firings = schedule.next_n(start, tz, next);
    if json {
        let items: Vec<serde_json::Value> = firings
            .iter()
            .map(|at| serde_json::Value::String(at.with_timezone(&tz).to_rfc3339()))
            .collect();
        return Ok(serde_json::Value::Array(items).to_string());
    }
    if firings.is_empty() {
        return Ok(strings::NO_FIRING.to_string());
    }
    Ok(firings
        .iter()
        .map(|at| format_fr(*at, tz, start))
        .collect::<Vec<_>>()
        .join("\n"))
}

#[cfg(test)]
mod tests;
