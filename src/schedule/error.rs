//! `ScheduleError`: every way a schedule phrase, a cron expression, a time zone or
//! a CLI argument can be refused. Display is a French sentence (from
//! `crate::strings::schedule`) naming what was not understood, plus a correct example.

use crate::strings::schedule as s;

/// A refused schedule input. The `String` fields hold short excerpts of what the
/// user typed, already cut to 40 characters without control characters.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Nothing to read (blank, or only punctuation).
    #[error("{}", s::err_empty())]
    Empty,
    /// Longer than `MAX_INPUT_CHARS`.
    #[error("{}", s::err_too_long(*.max))]
    TooLong { max: usize },
    /// A word that fits no shape at its place; `word` is the user's own chunk.
    #[error("{}", s::err_not_understood(.word))]
    NotUnderstood { word: String },
    /// The phrase stops too early ("chaque", "tous les", "le premier lundi").
    #[error("{}", s::err_incomplete(.after))]
    Incomplete { after: String },
    /// A time of day with no day ("à 9h").
    #[error("{}", s::err_missing_day())]
    MissingDay,
    /// An impossible clock time ("25h", "9h60").
    #[error("{}", s::err_bad_time(.text))]
    BadTime { text: String },
    /// More than one clock time ("à 9h et 14h").
    #[error("{}", s::err_several_times())]
    SeveralTimes,
    /// An impossible date ("31 février", "29 février 2027").
    #[error("{}", s::err_bad_date(.text))]
    BadDate { text: String },
    /// A weekday that contradicts the date ("le lundi 4 décembre").
    #[error("{}", s::err_weekday_mismatch(.date, .actual, .said))]
    WeekdayMismatch {
        date: String,
        actual: String,
        said: String,
    },
    /// A one-off at or before `now`; `when` is the formatted local time.
    #[error("{}", s::err_past(.when))]
    Past { when: String },
    /// A one-off more than `MAX_YEARS_AHEAD` years away (or out of range).
    #[error("{}", s::err_too_far(*.years))]
    TooFar { years: u32 },
    /// A weekday alone ("lundi à 9h"): once or every week?
    #[error("{}", s::err_bare_weekday(.day))]
    BareWeekday { day: String },
    /// An nth weekday that not every month has ("cinquième lundi").
    #[error("{}", s::err_bad_ordinal(.text))]
    BadOrdinal { text: String },
    /// "toutes les N semaines" with N outside 1..=52.
    #[error("{}", s::err_bad_interval(*.weeks))]
    BadInterval { weeks: u64 },
    /// A "dans …" delay that could not be read.
    #[error("{}", s::err_bad_duration(.text))]
    BadDuration { text: String },
    /// A cron expression without exactly 5 fields.
    #[error("{}", s::err_cron_field_count(*.found))]
    CronFieldCount { found: usize },
    /// A bad cron field; `field`: 0 minute, 1 hour, 2 day of month, 3 month,
    /// 4 day of week.
    #[error("{}", s::err_cron_field(*.field, .value))]
    CronField { field: usize, value: String },
    /// A cron expression whose days never exist ("0 9 31 2 *").
    #[error("{}", s::err_cron_never(.expr))]
    CronNeverFires { expr: String },
    /// Not an IANA zone name.
    #[error("{}", s::err_unknown_tz(.name))]
    UnknownTimeZone { name: String },
    /// CLI `--from` that is not RFC 3339.
    #[error("{}", s::err_bad_from(.value))]
    BadFrom { value: String },
    /// CLI `--next` above `MAX_CLI_FIRINGS`.
    #[error("{}", s::err_too_many(*.asked, *.max))]
    TooManyFirings { asked: usize, max: usize },
}

/// Cuts user text quoted back in an error to 40 characters and drops control
/// characters, so a 64 KB paste or a stray newline never floods the chat.
impl ScheduleError {
    /// The message for a chat: every piece of the user's text in it escaped (Markdown, HTML,
    /// mentions, bidi controls), so that an excerpt never becomes a link or a mention.
    pub fn for_chat(&self) -> String {
        use crate::core::text::escape_md as e;
        let escaped = match self.clone() {
            ScheduleError::NotUnderstood { word } => {
                ScheduleError::NotUnderstood { word: e(&word) }
            }
            ScheduleError::Incomplete { after } => ScheduleError::Incomplete { after: e(&after) },
            ScheduleError::BadTime { text } => ScheduleError::BadTime { text: e(&text) },
            ScheduleError::BadDate { text } => ScheduleError::BadDate { text: e(&text) },
            ScheduleError::WeekdayMismatch { date, actual, said } => {
                ScheduleError::WeekdayMismatch {
                    date: e(&date),
                    actual: e(&actual),
                    said: e(&said),
                }
            }
            ScheduleError::Past { when } => ScheduleError::Past { when: e(&when) },
            ScheduleError::BareWeekday { day } => ScheduleError::BareWeekday { day: e(&day) },
            ScheduleError::BadOrdinal { text } => ScheduleError::BadOrdinal { text: e(&text) },
            ScheduleError::BadDuration { text } => ScheduleError::BadDuration { text: e(&text) },
            ScheduleError::CronField { field, value } => ScheduleError::CronField {
                field,
                value: e(&value),
            },
            ScheduleError::CronNeverFires { expr } => {
                ScheduleError::CronNeverFires { expr: e(&expr) }
            }
            ScheduleError::UnknownTimeZone { name } => {
                ScheduleError::UnknownTimeZone { name: e(&name) }
            }
            ScheduleError::BadFrom { value } => ScheduleError::BadFrom { value: e(&value) },
            other => other,
        };
        escaped.to_string()
    }
}

pub(crate) fn excerpt(text: &str) -> String {
    const MAX: usize = 40;
    let cleaned: String = text.chars().filter(|c| !c.is_control()).collect();
    if cleaned.chars().count() <= MAX {
        cleaned
    } else {
        let mut cut: String = cleaned.chars().take(MAX).collect();
        cut.push('…');
        cut
    }
}
