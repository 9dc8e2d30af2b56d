//! Pure parsing for reflections: a reflection's text into text, tags and card link; "depuis"
//! expressions (a date or a duration) and `!bilan` periods into instants, in the Mission
//! Locale's time zone. No store, no clock: `now` and the zone come in as arguments.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::core::text::fold;

/// Longest tag kept, in characters.
const MAX_TAG_CHARS: usize = 40;

/// A reflection as written: its text, folded tags, and the card it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub text: String,
    pub tags: Vec<String>,
    /// The id after `#fiche:` (not yet checked against the kit).
    pub card: Option<String>,
}

/// A `#tag` token: letters, digits, `-` and `_`, folded. `None` for anything else (a room alias
/// `#salon:serveur` is not a tag).
pub fn tag_of(token: &str) -> Option<String> {
    let body = token.strip_prefix('#')?;
    let body = body.trim_end_matches(['.', ',', ';', '!', '?', ')', ':']);
    if body.is_empty()
        || body.chars().count() > MAX_TAG_CHARS
        || !body
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    {
        return None;
    }
    Some(fold(body))
}

/// The card id of a `#fiche:<id>` token.
fn card_of(token: &str) -> Option<String> {
    let rest = token.strip_prefix('#')?;
    let (word, id) = rest.split_once(':')?;
    if fold(word) != "fiche" && fold(word) != "card" {
        return None;
    }
    let id = id.trim_end_matches(['.', ',', ';', '!', '?', ')']);
    (!id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .then(|| id.to_ascii_lowercase())
}

/// Split a reflection into text, tags and card. Tags are every `#tag` in it (the trailing run is
/// taken off the text, those inside a sentence stay); `#fiche:<id>` is taken off wherever it is.
pub fn parse_reflection(input: &str) -> Parsed {
    let mut tags: Vec<String> = Vec::new();
    let mut card = None;
    // Keep the author's line breaks: split into lines, then tokens.
    let mut lines: Vec<Vec<&str>> = Vec::new();
    for line in input.lines() {
        let mut kept = Vec::new();
        for token in line.split_whitespace() {
            if let Some(id) = card_of(token) {
                card.get_or_insert(id);
                continue;
            }
            if let Some(tag) = tag_of(token) {
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
            kept.push(token);
        }
        lines.push(kept);
    }
    // Drop the trailing run of tags (they are metadata, not prose).
    while let Some(last) = lines.last_mut() {
        while last.last().is_some_and(|t| tag_of(t).is_some()) {
            last.pop();
        }
        if last.is_empty() {
            lines.pop();
        } else {
            break;
        }
    }
    let text = lines
        .iter()
        .map(|l| l.join(" "))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned();
    Parsed { text, tags, card }
}

const MONTHS: [&str; 12] = [
    "janvier",
    "fevrier",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
];

fn month_number(word: &str) -> Option<u32> {
    let w = fold(word);
    let w = w.trim_end_matches('.');
    if w.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| m.starts_with(w))
        .map(|i| i as u32 + 1)
}

/// Midnight at the start of `date` in `tz`, as UTC (the first valid instant on DST days).
fn start_of_day(date: NaiveDate, tz: Tz) -> Option<DateTime<Utc>> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    tz.from_local_datetime(&midnight)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(midnight + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
}

fn year_of(word: &str) -> Option<i32> {
    let y: i32 = word.parse().ok()?;
    match word.len() {
        2 => Some(2000 + y),
        4 if (2000..=2100).contains(&y) => Some(y),
        _ => None,
    }
}

/// A day (with or without its year) in the forms people type: `12/03/2026`, `12/03/26`,
/// `12/03`, `12-03-2026`, `2026-03-12`, `12 mars 2026`, `12 mars`. A day without its year is the
/// last such day, not in the future.
fn parse_day(words: &[&str], today: NaiveDate) -> Option<NaiveDate> {
    let pick = |d: u32, m: u32, y: Option<i32>| -> Option<NaiveDate> {
        match y {
            Some(y) => NaiveDate::from_ymd_opt(y, m, d),
            None => {
                let this = NaiveDate::from_ymd_opt(today.year(), m, d)?;
                if this > today {
                    NaiveDate::from_ymd_opt(today.year() - 1, m, d)
                } else {
                    Some(this)
                }
            }
        }
    };
    match words {
        [one] => {
            let parts: Vec<&str> = one.split(['/', '-', '.']).collect();
            let nums: Option<Vec<u32>> = parts.iter().map(|p| p.parse::<u32>().ok()).collect();
            let nums = nums?;
            match (parts.as_slice(), nums.as_slice()) {
                ([y, _, _], [_, m, d]) if y.len() == 4 => pick(*d, *m, Some(year_of(y)?)),
                ([_, _, y], [d, m, _]) => pick(*d, *m, Some(year_of(y)?)),
                ([_, _], [d, m]) => pick(*d, *m, None),
                _ => None,
            }
        }
        [d, m] => pick(d.parse().ok()?, month_number(m)?, None),
        [d, m, y] => pick(d.parse().ok()?, month_number(m)?, Some(year_of(y)?)),
        _ => None,
    }
}

/// A duration back from now: `7j`, `7 jours`, `2 semaines`, `3 mois`, `1 an`.
fn parse_duration(words: &[&str], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let joined = words.concat();
    let split = joined.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = joined.split_at(split);
    let n: u32 = n.parse().ok()?;
    if n == 0 || n > 1000 {
        return None;
    }
    match unit {
        "j" | "jour" | "jours" | "d" | "day" | "days" => {
            now.checked_sub_signed(Duration::days(n.into()))
        }
        "s" | "sem" | "semaine" | "semaines" | "w" | "week" | "weeks" => {
            now.checked_sub_signed(Duration::weeks(n.into()))
        }
        "m" | "mois" | "month" | "months" => now.checked_sub_months(Months::new(n)),
        "a" | "an" | "ans" | "annee" | "annees" | "y" | "year" | "years" => {
            now.checked_sub_months(Months::new(n.checked_mul(12)?))
        }
        _ => None,
    }
}

/// The instant a "depuis" expression names: a day (its midnight, local time), a month
/// (`mars 2026`, its first day), `hier`, `aujourd'hui`, or a duration back from `now`.
pub fn parse_since(expr: &str, now: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    let folded = fold(expr);
    let words: Vec<&str> = folded
        .split_whitespace()
        .filter(|w| *w != "le" && *w != "depuis")
        .collect();
    let today = now.with_timezone(&tz).date_naive();
    match words.as_slice() {
        [] => None,
        ["hier"] => start_of_day(today.pred_opt()?, tz),
        ["aujourd'hui"] | ["aujourdhui"] => start_of_day(today, tz),
        _ => {
            if let Some(day) = parse_day(&words, today) {
                return start_of_day(day, tz);
            }
            if let Some((start, _)) = parse_month(&words, today) {
                return start_of_day(start, tz);
            }
            parse_duration(&words, now)
        }
    }
}

/// The end (exclusive) of an "until" expression: the day that [`parse_since`] names is
/// included, so `2026-12-31` ends at midnight on 1 January 2027, local time.
pub fn parse_until(expr: &str, now: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    let last = parse_since(expr, now, tz)?.with_timezone(&tz).date_naive();
    start_of_day(last.succ_opt()?, tz)
}

/// A month: `mars 2026`, `2026-03`, `03/2026`, or `mars` (the last March, this one included).
/// Returns its first day and the first day of the next month.
fn parse_month(words: &[&str], today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let (y, m) = match words {
        [one] => {
            if let Some(m) = month_number(one) {
                let y = if m > today.month() {
                    today.year() - 1
                } else {
                    today.year()
                };
                (y, m)
            } else {
                let parts: Vec<&str> = one.split(['/', '-']).collect();
                match parts.as_slice() {
                    [a, b] if a.len() == 4 => (year_of(a)?, b.parse().ok()?),
                    [a, b] if b.len() == 4 => (year_of(b)?, a.parse().ok()?),
                    _ => return None,
                }
            }
        }
        [m, y] => (year_of(y)?, month_number(m)?),
        _ => return None,
    };
    let start = NaiveDate::from_ymd_opt(y, m, 1)?;
    let end = start.checked_add_months(Months::new(1))?;
    Some((start, end))
}

/// What `!bilan` counts over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeriodKind {
    /// Everything kept (the retention window).
    All,
    Since(NaiveDate),
    Year(i32),
    /// First day of the month.
    Month(NaiveDate),
}

/// A half-open interval of instants and what it was called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub kind: PeriodKind,
}

impl Period {
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start.is_none_or(|s| at >= s) && self.end.is_none_or(|e| at < e)
    }
}

/// A `!bilan` period: nothing (everything kept), a year (`2026`), a month (`mars 2026`,
/// `2026-03`), or `depuis <date ou durée>` (or just the date or duration).
pub fn parse_period(expr: &str, now: DateTime<Utc>, tz: Tz) -> Option<Period> {
    let folded = fold(expr);
    let words: Vec<&str> = folded
        .split_whitespace()
        .filter(|w| !matches!(*w, "en" | "de" | "du" | "le"))
        .collect();
    let today = now.with_timezone(&tz).date_naive();
    match words.as_slice() {
        [] => {
            return Some(Period {
                start: None,
                end: None,
                kind: PeriodKind::All,
            })
        }
        [one] if one.len() == 4 && one.chars().all(|c| c.is_ascii_digit()) => {
            let y = year_of(one)?;
            let start = NaiveDate::from_ymd_opt(y, 1, 1)?;
            let end = NaiveDate::from_ymd_opt(y + 1, 1, 1)?;
            return Some(Period {
                start: start_of_day(start, tz),
                end: start_of_day(end, tz),
                kind: PeriodKind::Year(y),
            });
        }
        _ => {}
    }
    let rest: Vec<&str> = words.iter().copied().filter(|w| *w != "depuis").collect();
    if words.first() != Some(&"depuis") {
        if let Some((start, end)) = parse_month(&rest, today) {
            return Some(Period {
                start: start_of_day(start, tz),
                end: start_of_day(end, tz),
                kind: PeriodKind::Month(start),
            });
        }
    }
    let since = parse_since(&rest.join(" "), now, tz)?;
    Some(Period {
        start: Some(since),
        end: None,
        kind: PeriodKind::Since(since.with_timezone(&tz).date_naive()),
    })
}

/// A French month name ("mars"); the words live in `strings::schedule`.
pub fn month_name(month: u32) -> &'static str {
    crate::strings::schedule::MONTHS
        .get(month.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn reflections_split_into_text_tags_and_card() {
        struct Case {
            input: &'static str,
            text: &'static str,
            tags: &'static [&'static str],
            card: Option<&'static str>,
        }
        let cases = [
            Case {
                input: "Le rappel la veille a bien marché #SMS #rappel",
                text: "Le rappel la veille a bien marché",
                tags: &["sms", "rappel"],
                card: None,
            },
            Case {
                input: "Séance en #visio réussie #fiche:sms-rappel #Équipe",
                text: "Séance en #visio réussie",
                tags: &["visio", "equipe"],
                card: Some("sms-rappel"),
            },
            Case {
                input: "Rejoint #salon:serveur.fr pour en parler",
                text: "Rejoint #salon:serveur.fr pour en parler",
                tags: &[],
                card: None,
            },
            Case {
                input: "Ligne 1\nLigne   2 #a\n#b",
                text: "Ligne 1\nLigne 2",
                tags: &["a", "b"],
                card: None,
            },
            Case {
                input: "#seulement #des #tags",
                text: "",
                tags: &["seulement", "des", "tags"],
                card: None,
            },
        ];
        for case in cases {
            let p = parse_reflection(case.input);
            assert_eq!(p.text, case.text, "{}", case.input);
            assert_eq!(p.tags, case.tags, "{}", case.input);
            assert_eq!(p.card.as_deref(), case.card, "{}", case.input);
        }
    }

    #[test]
    fn since_expressions() {
        let now = t("2026-11-30T08:00:00Z");
        let paris = chrono_tz::Europe::Paris;
        struct Case {
            input: &'static str,
            expected: Option<&'static str>,
        }
        let cases = [
            Case {
                input: "12/03/2026",
                expected: Some("2026-03-11T23:00:00Z"),
            },
            Case {
                input: "le 12/03",
                expected: Some("2026-03-11T23:00:00Z"),
            },
            Case {
                input: "2026-07-01",
                expected: Some("2026-06-30T22:00:00Z"),
            },
            Case {
                input: "3 mars",
                expected: Some("2026-03-02T23:00:00Z"),
            },
            Case {
                input: "15/12",
                expected: Some("2025-12-14T23:00:00Z"),
            },
            Case {
                input: "7j",
                expected: Some("2026-11-23T08:00:00Z"),
            },
            Case {
                input: "2 semaines",
                expected: Some("2026-11-16T08:00:00Z"),
            },
            Case {
                input: "3 mois",
                expected: Some("2026-08-30T08:00:00Z"),
            },
            Case {
                input: "1 an",
                expected: Some("2025-11-30T08:00:00Z"),
            },
            Case {
                input: "hier",
                expected: Some("2026-11-28T23:00:00Z"),
            },
            Case {
                input: "septembre 2026",
                expected: Some("2026-08-31T22:00:00Z"),
            },
            Case {
                input: "31/02/2026",
                expected: None,
            },
            Case {
                input: "bientôt",
                expected: None,
            },
            Case {
                input: "0 jours",
                expected: None,
            },
        ];
        for case in cases {
            assert_eq!(
                parse_since(case.input, now, paris),
                case.expected.map(t),
                "{}",
                case.input
            );
        }
    }

    #[test]
    fn until_includes_the_day_it_names() {
        let now = t("2026-11-30T08:00:00Z");
        let paris = chrono_tz::Europe::Paris;
        for (input, expected) in [
            // Midnight after 31 December, Paris time (UTC+1 in winter).
            ("2026-12-31", Some("2026-12-31T23:00:00Z")),
            ("31/03/2026", Some("2026-03-31T22:00:00Z")),
            ("hier", Some("2026-11-29T23:00:00Z")),
            ("bientôt", None),
        ] {
            assert_eq!(parse_until(input, now, paris), expected.map(t), "{input}");
        }
    }

    #[test]
    fn periods() {
        let now = t("2026-11-30T08:00:00Z");
        let paris = chrono_tz::Europe::Paris;
        let all = parse_period("", now, paris).expect("all");
        assert_eq!(all.kind, PeriodKind::All);
        assert!(all.contains(t("2001-01-01T00:00:00Z")));
        let year = parse_period("2026", now, paris).expect("year");
        assert_eq!(year.kind, PeriodKind::Year(2026));
        assert!(year.contains(t("2025-12-31T23:30:00Z")), "local new year");
        assert!(!year.contains(t("2026-12-31T23:30:00Z")));
        let month = parse_period("mars 2026", now, paris).expect("month");
        assert!(month.contains(t("2026-03-31T21:00:00Z")));
        assert!(!month.contains(t("2026-03-31T22:30:00Z")));
        assert_eq!(
            parse_period("2026-03", now, paris).map(|p| p.kind),
            Some(month.kind.clone())
        );
        assert_eq!(
            parse_period("en octobre", now, paris).map(|p| p.kind),
            NaiveDate::from_ymd_opt(2026, 10, 1).map(PeriodKind::Month)
        );
        let since = parse_period("depuis 3 mois", now, paris).expect("since");
        assert_eq!(since.start, Some(t("2026-08-30T08:00:00Z")));
        assert!(parse_period("n'importe quoi", now, paris).is_none());
    }
}
