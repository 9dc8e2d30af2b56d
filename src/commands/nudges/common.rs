//! What the nudges commands share: the zone and quiet rules of the sender's Mission Locale,
//! the "next firings" block of every confirmation, "jusqu'au 4 janvier" / "2 semaines" for
//! pauses and silences, and the people a nudge text names.

use std::sync::OnceLock;

use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use regex::Regex;

use crate::core::text::fold;
use crate::engine::Ctx;
use crate::nudges::model::Slot;
use crate::nudges::plan;
use crate::schedule::{self, format_fr, local_to_utc, QuietRules, Schedule, ScheduleError};
use crate::strings::nudges as s;

/// How many firings a confirmation shows.
pub const SHOWN_FIRINGS: usize = 3;
/// Longest nudge or reminder text, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;

/// The sender's Mission Locale's zone and quiet rules.
pub fn zone(ctx: &Ctx<'_>) -> (Tz, QuietRules) {
    (ctx.tz(), ctx.quiet().clone())
}

/// The next firings, in French, those moved by quiet hours saying so.
pub fn firings_block(
    schedule: &Schedule,
    tz: Tz,
    quiet: Option<&QuietRules>,
    first: Option<Slot>,
    now: DateTime<Utc>,
) -> String {
    let slots = plan::upcoming(schedule, tz, quiet, first, SHOWN_FIRINGS);
    if slots.is_empty() {
        return s::NO_NEXT_FIRING.to_owned();
    }
    let lines: Vec<String> = slots
        .iter()
        .map(|slot| {
            let when = format_fr(slot.due, tz, now);
            if slot.moved() {
                s::firing_moved(&when, &format_fr(slot.nominal, tz, now))
            } else {
                s::firing(&when)
            }
        })
        .collect();
    format!("{}\n{}", s::NEXT_FIRINGS, lines.join("\n"))
}

/// The end of a pause or silence: "jusqu'au 4 janvier" (the start of that day), "jusqu'à
/// demain 14h", "2 semaines", "pendant 3 jours", "dans 10 jours".
pub fn parse_until(text: &str, tz: Tz, now: DateTime<Utc>) -> Result<DateTime<Utc>, ScheduleError> {
    // Folded (case and accents gone, typographic apostrophes made plain); the schedule parser
    // folds the same way.
    let folded = fold(text);
    let mut rest = folded.trim();
    for prefix in [
        "jusqu'au ",
        "jusqu'a ",
        "jusqu au ",
        "jusqu a ",
        "jusque ",
        "pendant ",
    ] {
        if let Some(r) = rest.strip_prefix(prefix) {
            rest = r.trim_start();
            break;
        }
    }
    let amount = rest.split_whitespace().next().is_some_and(|w| {
        w.chars().all(|c| c.is_ascii_digit())
            || matches!(w, "un" | "une" | "deux" | "trois" | "quatre")
    });
    let phrase = if amount && !looks_like_date(rest) {
        format!("dans {rest}")
    } else {
        rest.to_owned()
    };
    let schedule = schedule::parse(&phrase, tz, now)?;
    let Schedule::Once { at } = schedule else {
        return Err(ScheduleError::NotUnderstood {
            word: s::UNTIL_NOT_RECURRING.to_owned(),
        });
    };
    if phrase.starts_with("dans ") {
        return Ok(at);
    }
    // No clock given ("le 4 janvier"): the pause lasts until that day starts. A phrase that
    // still parses with a clock added had none.
    let had_no_clock = schedule::parse(&format!("{phrase} à 10h"), tz, now).is_ok();
    if had_no_clock {
        let day = at.with_timezone(&tz).date_naive();
        if let Some(start) = local_to_utc(tz, day.and_time(NaiveTime::MIN)) {
            if start > now {
                return Ok(start);
            }
        }
    }
    Ok(at)
}

/// "4 janvier", "4/01": a day of the month, not an amount of time (`text` is folded).
fn looks_like_date(text: &str) -> bool {
    text.contains('/')
        || text.split_whitespace().any(|w| {
            crate::strings::schedule::MONTHS
                .iter()
                .any(|m| fold(m) == w)
        })
}

/// A date for "jusqu'au …" answers: "lundi 4 janvier à 00:00" reads oddly, so a pause that
/// ends at midnight shows the day only.
pub fn until_text(until: DateTime<Utc>, tz: Tz, now: DateTime<Utc>) -> String {
    let full = format_fr(until, tz, now);
    if until.with_timezone(&tz).time() == NaiveTime::MIN {
        return full.split(" à ").next().map(str::to_owned).unwrap_or(full);
    }
    full
}

/// MXIDs written in a nudge (the people to notify) and whether it says `@room`.
pub fn mentions_in(text: &str) -> (Vec<String>, bool) {
    static MXID: OnceLock<Option<Regex>> = OnceLock::new();
    let re = MXID.get_or_init(|| Regex::new(r"@[a-z0-9._=/+\-]+:[A-Za-z0-9.\-]+(?::[0-9]+)?").ok());
    let mut users: Vec<String> = Vec::new();
    if let Some(re) = re {
        for m in re.find_iter(text) {
            let user = m.as_str().trim_end_matches('.').to_owned();
            if !users.contains(&user) {
                users.push(user);
            }
        }
    }
    let room = text
        .match_indices("@room")
        .any(|(i, _)| !text[i + 5..].starts_with(|c: char| c.is_alphanumeric() || c == ':'));
    (users, room)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARIS: Tz = chrono_tz::Europe::Paris;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("valid")
            .with_timezone(&Utc)
    }

    #[test]
    fn until_phrases() {
        let now = t("2026-11-30T10:00:00+01:00");
        struct Case {
            input: &'static str,
            expected: &'static str,
        }
        let cases = [
            Case {
                input: "jusqu'au 4 janvier",
                expected: "2027-01-04T00:00:00+01:00",
            },
            Case {
                input: "jusqu’au 4 janvier",
                expected: "2027-01-04T00:00:00+01:00",
            },
            Case {
                input: "4 janvier",
                expected: "2027-01-04T00:00:00+01:00",
            },
            Case {
                input: "2 semaines",
                expected: "2026-12-14T10:00:00+01:00",
            },
            Case {
                input: "pendant 3 jours",
                expected: "2026-12-03T10:00:00+01:00",
            },
            Case {
                input: "deux semaines",
                expected: "2026-12-14T10:00:00+01:00",
            },
            Case {
                input: "jusqu'à demain 14h",
                expected: "2026-12-01T14:00:00+01:00",
            },
        ];
        for c in cases {
            let got =
                parse_until(c.input, PARIS, now).unwrap_or_else(|e| panic!("{}: {e}", c.input));
            assert_eq!(got, t(c.expected), "{}", c.input);
        }
        assert!(parse_until("chaque lundi", PARIS, now).is_err());
        assert!(parse_until("n'importe quoi", PARIS, now).is_err());
    }

    #[test]
    fn mentions_are_found_and_room_only_when_written() {
        let (users, room) =
            mentions_in("Bonjour @alice:ml.fr et @bob:ml.fr, pensez-y. @alice:ml.fr");
        assert_eq!(users, ["@alice:ml.fr", "@bob:ml.fr"]);
        assert!(!room);
        let (users, room) = mentions_in("@room réunion à 14h");
        assert!(users.is_empty() && room);
        let (_, room) = mentions_in("@roomie:ml.fr");
        assert!(!room);
    }
}
