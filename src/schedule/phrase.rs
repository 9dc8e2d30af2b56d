//! The French phrase grammar: "chaque lundi à 9h", "tous les jours ouvrés à 14h",
//! "le premier lundi du mois", "toutes les deux semaines le vendredi à 16h",
//! "le 3 décembre à 10h", "demain à 9h", "dans 3 heures", "lundi prochain 9h"…
//!
//! Pipeline: fold the text (lowercase, no accents, apostrophes and hyphens as
//! spaces) → tokens (words, numbers, clock times, numeric dates) → pull out the
//! one clock time ("à 9h30", "14h", "midi") → match the remaining words against
//! the day shapes. Each shape that fails says why (a `ScheduleError` quoting the
//! user's own word), never panics, and never reads the system clock.

use chrono::{
    DateTime, Datelike, Days, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc,
    Weekday,
};
use chrono_tz::Tz;
use regex::Regex;
use std::sync::OnceLock;

use super::calendar::Nth;
use super::cronexpr::{date_exists, dow_field, CronSpec};
use super::dst::local_to_utc;
use super::error::{excerpt, ScheduleError};
use super::{format_fr, Schedule, MAX_YEARS_AHEAD};
use crate::core::text::fold;
use crate::strings::schedule as strings;

/// True when the text should be read as a cron expression: its first field is
/// made only of cron characters and either the text holds a `*` or the second
/// field is cron-like too ("0 9 …"). No French phrase starts with two bare numbers.
pub(crate) fn looks_like_cron(text: &str) -> bool {
    let cron_chars = |f: &str| f.chars().all(|c| c.is_ascii_digit() || "*/,-?".contains(c));
    let fields: Vec<&str> = text.split_whitespace().collect();
    let Some(first) = fields.first() else {
        return false;
    };
    // The minute field never holds letters, so "*chaque lundi*" stays a phrase.
    cron_chars(first) && (text.contains('*') || fields.get(1).is_some_and(|f| cron_chars(f)))
}

// ---------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Word(String),
    /// Value (saturated on overflow) and digit count.
    Num(u64, usize),
    /// Hours and optional minutes as typed; validated where used.
    Time(u64, Option<u64>),
    /// Day, month, optional year ("03/12", "3/12/2026", "2026-12-03").
    Date(u32, u32, Option<i32>),
    Comma,
}

#[derive(Clone, Debug)]
struct Tok {
    kind: Kind,
    /// The user's own chunk, quoted back in errors.
    orig: String,
}

impl Tok {
    fn word(&self) -> Option<&str> {
        match &self.kind {
            Kind::Word(w) => Some(w),
            _ => None,
        }
    }
    fn is(&self, w: &str) -> bool {
        self.word() == Some(w)
    }
}

fn regexes() -> &'static (Regex, Regex, Regex) {
    static RE: OnceLock<(Regex, Regex, Regex)> = OnceLock::new();
    RE.get_or_init(|| {
        // Constant patterns: any test run would catch a typo here.
        let re = |p: &str| Regex::new(p).expect("valid constant regex");
        (
            re(r"^(\d{1,3})(?:h|:)(\d{1,2})?$"),
            re(r"^(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?$"),
            re(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
        )
    })
}

/// The crate's folding (case, accents), then apostrophes, hyphens, quote marks and sentence
/// punctuation turned into spaces, and commas set apart, so that words split on whitespace.
fn spaced_words(chunk: &str) -> String {
    let folded = fold(chunk);
    let mut out = String::with_capacity(folded.len() + 4);
    for c in folded.chars() {
        match c {
            '\'' | '`' | '-' | '–' | '—' | '*' | '_' | '"' | '«' | '»' | '“' | '”' | '(' | ')'
            | '.' | '!' | '?' => out.push(' '),
            ',' | ';' => out.push_str(" , "),
            other => out.push(other),
        }
    }
    out
}

fn classify(piece: &str, orig: &str) -> Tok {
    let (time_re, slash_re, _) = regexes();
    let num = |s: &str| s.parse::<u64>().unwrap_or(u64::MAX);
    let kind = if piece == "," {
        Kind::Comma
    } else if !piece.is_empty() && piece.bytes().all(|b| b.is_ascii_digit()) {
        Kind::Num(num(piece), piece.len())
    } else if let Some(c) = time_re.captures(piece) {
        Kind::Time(num(&c[1]), c.get(2).map(|m| num(m.as_str())))
    } else if let Some(c) = slash_re.captures(piece) {
        let year = c.get(3).map(|y| {
            let y = num(y.as_str()) as i32;
            if y < 100 {
                2000 + y
            } else {
                y
            }
        });
        Kind::Date(num(&c[1]) as u32, num(&c[2]) as u32, year)
    } else {
        Kind::Word(piece.to_string())
    };
    Tok {
        kind,
        orig: orig.to_string(),
    }
}

const UNIT_WORDS: [&str; 18] = [
    "min", "mn", "minute", "minutes", "h", "heure", "heures", "jour", "jours", "j", "semaine",
    "semaines", "mois", "ans", "s", "sec", "seconde", "secondes",
];

fn join_orig(a: &str, b: &str) -> String {
    if a == b {
        a.to_string()
    } else {
        format!("{a} {b}")
    }
}

fn tokenize(text: &str) -> Vec<Tok> {
    let (_, _, iso_re) = regexes();
    let mut raw = Vec::new();
    for chunk in text.split_whitespace() {
        if let Some(c) = iso_re.captures(chunk) {
            let n = |i: usize| c[i].parse::<u32>().unwrap_or(0);
            raw.push(Tok {
                kind: Kind::Date(n(3), n(2), Some(n(1) as i32)),
                orig: chunk.to_string(),
            });
            continue;
        }
        for piece in spaced_words(chunk).split_whitespace() {
            raw.push(classify(piece, chunk));
        }
    }
    // A comma at either end is punctuation, not a list separator.
    while raw.last().is_some_and(|t| t.kind == Kind::Comma) {
        raw.pop();
    }
    let leading = raw.iter().take_while(|t| t.kind == Kind::Comma).count();
    raw.drain(..leading);
    merge(raw)
}

/// Joins multi-token forms: "9 h 30", "9 heures", "9h 30", "après midi".
fn merge(raw: Vec<Tok>) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::with_capacity(raw.len());
    let mut i = 0;
    let is_minutes = |t: Option<&Tok>, after: Option<&Tok>| match t.map(|t| &t.kind) {
        Some(Kind::Num(m, digits)) => {
            *digits <= 2
                && *m < 60
                && !after
                    .and_then(Tok::word)
                    .is_some_and(|w| UNIT_WORDS.contains(&w))
        }
        _ => false,
    };
    while i < raw.len() {
        let tok = &raw[i];
        let next = raw.get(i + 1);
        match &tok.kind {
            Kind::Num(h, _)
                if next.is_some_and(|n| n.is("h") || n.is("heure") || n.is("heures")) =>
            {
                let mut orig = join_orig(&tok.orig, &raw[i + 1].orig);
                let mut minutes = None;
                let mut used = 2;
                if is_minutes(raw.get(i + 2), raw.get(i + 3)) {
                    if let Kind::Num(m, _) = raw[i + 2].kind {
                        minutes = Some(m);
                        orig = join_orig(&orig, &raw[i + 2].orig);
                        used = 3;
                    }
                }
                out.push(Tok {
                    kind: Kind::Time(*h, minutes),
                    orig,
                });
                i += used;
            }
            Kind::Time(h, None) if is_minutes(next, raw.get(i + 2)) => {
                if let Some(Kind::Num(m, _)) = next.map(|n| &n.kind) {
                    out.push(Tok {
                        kind: Kind::Time(*h, Some(*m)),
                        orig: join_orig(&tok.orig, &raw[i + 1].orig),
                    });
                }
                i += 2;
            }
            Kind::Word(w) if w == "apres" && next.is_some_and(|n| n.is("demain")) => {
                out.push(Tok {
                    kind: Kind::Word("apresdemain".into()),
                    orig: join_orig(&tok.orig, &raw[i + 1].orig),
                });
                i += 2;
            }
            Kind::Word(w) if w == "apres" && next.is_some_and(|n| n.is("midi")) => {
                out.push(Tok {
                    kind: Kind::Word("apresmidi".into()),
                    orig: join_orig(&tok.orig, &raw[i + 1].orig),
                });
                i += 2;
            }
            Kind::Word(w) if w == "aujourd" && next.is_some_and(|n| n.is("hui")) => {
                out.push(Tok {
                    kind: Kind::Word("aujourdhui".into()),
                    orig: join_orig(&tok.orig, &raw[i + 1].orig),
                });
                i += 2;
            }
            Kind::Word(w) if w == "midi" || w == "minuit" => {
                let hour = if w == "midi" { 12 } else { 0 };
                out.push(Tok {
                    kind: Kind::Time(hour, Some(0)),
                    orig: tok.orig.clone(),
                });
                i += 1;
            }
            _ => {
                out.push(tok.clone());
                i += 1;
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------

fn weekday_of(word: &str) -> Option<Weekday> {
    let w = word.strip_suffix('s').unwrap_or(word);
    Some(match w {
        "lundi" => Weekday::Mon,
        "mardi" => Weekday::Tue,
        "mercredi" => Weekday::Wed,
        "jeudi" => Weekday::Thu,
        "vendredi" => Weekday::Fri,
        "samedi" => Weekday::Sat,
        "dimanche" => Weekday::Sun,
        _ => return None,
    })
}

fn month_of(word: &str) -> Option<u32> {
    Some(match word {
        "janvier" | "janv" | "jan" => 1,
        "fevrier" | "fevr" | "fev" => 2,
        "mars" => 3,
        "avril" | "avr" => 4,
        "mai" => 5,
        "juin" => 6,
        "juillet" | "juil" => 7,
        "aout" => 8,
        "septembre" | "sept" | "sep" => 9,
        "octobre" | "oct" => 10,
        "novembre" | "nov" => 11,
        "decembre" | "dec" => 12,
        _ => return None,
    })
}

fn number_word(word: &str) -> Option<u64> {
    Some(match word {
        "un" | "une" => 1,
        "deux" => 2,
        "trois" => 3,
        "quatre" => 4,
        "cinq" => 5,
        "six" => 6,
        "sept" => 7,
        "huit" => 8,
        "neuf" => 9,
        "dix" => 10,
        "onze" => 11,
        "douze" => 12,
        "quinze" => 15,
        "vingt" => 20,
        "trente" => 30,
        "quarante" => 40,
        "cinquante" => 50,
        _ => return None,
    })
}

fn number_of(tok: &Tok) -> Option<u64> {
    match &tok.kind {
        Kind::Num(n, _) => Some(*n),
        Kind::Word(w) => number_word(w),
        _ => None,
    }
}

/// `Some(Ok)` for premier…quatrième/dernier, `Some(Err)` for an ordinal that no
/// month always has (cinquième…), `None` when the word is no ordinal.
fn ordinal_of(tok: &Tok) -> Option<Result<Nth, ScheduleError>> {
    let word = tok.word()?;
    let w = word.strip_suffix('s').unwrap_or(word);
    let nth = match w {
        "premier" | "premiere" | "1er" | "1re" | "1ere" => Nth::First,
        "deuxieme" | "second" | "seconde" | "2e" | "2eme" | "2nd" | "2nde" => Nth::Second,
        "troisieme" | "3e" | "3eme" => Nth::Third,
        "quatrieme" | "4e" | "4eme" => Nth::Fourth,
        "dernier" | "derniere" => Nth::Last,
        "cinquieme" | "sixieme" | "septieme" => {
            return Some(Err(bad_ordinal(tok)));
        }
        _ => {
            let digits = w.strip_suffix("eme").or_else(|| w.strip_suffix('e'))?;
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                return Some(Err(bad_ordinal(tok)));
            }
            return None;
        }
    };
    Some(Ok(nth))
}

fn bad_ordinal(tok: &Tok) -> ScheduleError {
    ScheduleError::BadOrdinal {
        text: excerpt(&tok.orig),
    }
}

/// Day of month from "3", "03", "1er", "premier". `Some(Err)` for 0 or > 31.
fn day_of(tok: &Tok) -> Option<Result<u32, ScheduleError>> {
    match &tok.kind {
        Kind::Num(n, digits) if *digits <= 2 => Some(if (1..=31).contains(n) {
            Ok(*n as u32)
        } else {
            Err(ScheduleError::BadDate {
                text: excerpt(&tok.orig),
            })
        }),
        Kind::Word(w) if matches!(w.as_str(), "1er" | "1re" | "1ere" | "premier" | "premiere") => {
            Some(Ok(1))
        }
        _ => None,
    }
}

fn weekday_name(w: Weekday) -> String {
    strings::WEEKDAYS[w.num_days_from_monday() as usize].to_string()
}

// ---------------------------------------------------------------------------
// Cursor over tokens
// ---------------------------------------------------------------------------

struct Cursor<'a> {
    toks: &'a [Tok],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(toks: &'a [Tok]) -> Self {
        Cursor { toks, pos: 0 }
    }
    fn peek(&self) -> Option<&'a Tok> {
        self.toks.get(self.pos)
    }
    fn at(&self, k: usize) -> Option<&'a Tok> {
        self.toks.get(self.pos + k)
    }
    fn word_at(&self, k: usize) -> Option<&'a str> {
        self.at(k).and_then(Tok::word)
    }
    fn bump(&mut self) -> Option<&'a Tok> {
        let t = self.toks.get(self.pos);
        self.pos += 1;
        t
    }
    fn eat(&mut self, w: &str) -> bool {
        if self.word_at(0) == Some(w) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn eat_any(&mut self, ws: &[&str]) -> bool {
        ws.iter().any(|w| self.eat(w))
    }
    /// Consumes `seq` only if all of it is there.
    fn eat_seq(&mut self, seq: &[&str]) -> bool {
        if seq
            .iter()
            .enumerate()
            .all(|(k, w)| self.word_at(k) == Some(w))
        {
            self.pos += seq.len();
            true
        } else {
            false
        }
    }
    fn finish(&self) -> Result<(), ScheduleError> {
        match self.peek() {
            None => Ok(()),
            Some(t) => Err(not_understood(t)),
        }
    }
}

fn not_understood(tok: &Tok) -> ScheduleError {
    ScheduleError::NotUnderstood {
        word: excerpt(&tok.orig),
    }
}

// ---------------------------------------------------------------------------
// Grammar
// ---------------------------------------------------------------------------

struct Ctx {
    tz: Tz,
    now: DateTime<Utc>,
    local_now: NaiveDateTime,
    today: NaiveDate,
}

const NINE: NaiveTime = match NaiveTime::from_hms_opt(9, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

pub(crate) fn parse_phrase(
    text: &str,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Schedule, ScheduleError> {
    let toks = tokenize(text);
    let local_now = now.with_timezone(&tz).naive_local();
    let ctx = Ctx {
        tz,
        now,
        local_now,
        today: local_now.date(),
    };
    let Some(first) = toks.first() else {
        return Err(ScheduleError::Empty);
    };
    if first.is("dans") {
        return parse_in(first, &toks[1..], &ctx);
    }
    let (clock, rest) = extract_clock(toks)?;
    parse_days(&rest, clock, &ctx)
}

/// Removes the single clock time (and a leading "à"/"vers", a trailing "du
/// matin"/"du soir"/"de l'après-midi") from the tokens.
fn extract_clock(mut toks: Vec<Tok>) -> Result<(Option<NaiveTime>, Vec<Tok>), ScheduleError> {
    let times: Vec<usize> = toks
        .iter()
        .enumerate()
        .filter(|(_, t)| matches!(t.kind, Kind::Time(..)))
        .map(|(i, _)| i)
        .collect();
    let i = match times.as_slice() {
        [] => return Ok((None, toks)),
        [i] => *i,
        _ => return Err(ScheduleError::SeveralTimes),
    };
    let Kind::Time(mut h, m) = toks[i].kind else {
        return Ok((None, toks));
    };
    let m = m.unwrap_or(0);
    let bad = || ScheduleError::BadTime {
        text: excerpt(&toks[i].orig),
    };
    let mut end = i + 1;
    let words_after = |k: usize| toks.get(i + 1 + k).and_then(Tok::word);
    let afternoon = match (words_after(0), words_after(1), words_after(2)) {
        (Some("du"), Some("matin"), _) => {
            end += 2;
            false
        }
        (Some("du"), Some("soir"), _) => {
            end += 2;
            true
        }
        (Some("de"), Some("l"), Some("apresmidi" | "aprem")) => {
            end += 3;
            true
        }
        _ => false,
    };
    if afternoon && (1..=11).contains(&h) {
        h += 12;
    }
    if h > 23 || m > 59 {
        return Err(bad());
    }
    let time = NaiveTime::from_hms_opt(h as u32, m as u32, 0).ok_or_else(bad)?;
    let start = if i > 0 && (toks[i - 1].is("a") || toks[i - 1].is("vers")) {
        i - 1
    } else {
        i
    };
    toks.drain(start..end);
    Ok((Some(time), toks))
}

fn parse_days(
    toks: &[Tok],
    clock: Option<NaiveTime>,
    ctx: &Ctx,
) -> Result<Schedule, ScheduleError> {
    let time = clock.unwrap_or(NINE);
    let mut c = Cursor::new(toks);
    let Some(first) = c.peek() else {
        return Err(if clock.is_some() {
            ScheduleError::MissingDay
        } else {
            ScheduleError::Empty
        });
    };
    match &first.kind {
        Kind::Num(..) | Kind::Date(..) => return parse_date(&mut c, None, time, ctx),
        Kind::Word(_) => {}
        _ => return Err(not_understood(first)),
    }
    let word = first.word().unwrap_or_default();
    match word {
        "demain" | "apresdemain" | "aujourdhui" => {
            c.bump();
            c.finish()?;
            let days = match word {
                "demain" => 1,
                "apresdemain" => 2,
                _ => 0,
            };
            let date = add_days(ctx.today, days)?;
            once_on(date, time, ctx)
        }
        "ce" | "cette" | "prochain" | "prochaine" => {
            c.bump();
            let tok = c.bump().ok_or_else(|| ScheduleError::Incomplete {
                after: excerpt(&first.orig),
            })?;
            let wd = tok
                .word()
                .and_then(weekday_of)
                .ok_or_else(|| not_understood(tok))?;
            c.finish()?;
            let strictly_after = matches!(word, "prochain" | "prochaine");
            once_on(next_weekday(ctx.today, wd, strictly_after)?, time, ctx)
        }
        "chaque" | "tous" | "toutes" | "les" => {
            c.bump();
            if matches!(word, "tous" | "toutes") && !c.eat("les") {
                return match c.peek() {
                    None => Err(ScheduleError::Incomplete {
                        after: excerpt(&first.orig),
                    }),
                    Some(t) => Err(not_understood(t)),
                };
            }
            recurring(&mut c, first, time, ctx)
        }
        "le" | "la" => {
            c.bump();
            after_article(&mut c, first, time, ctx)
        }
        "du" => {
            c.bump();
            let days = weekday_range(&mut c, first)?;
            c.finish()?;
            weekly(&days, time)
        }
        "une" if c.word_at(1) == Some("semaine") && c.word_at(2) == Some("sur") => {
            c.pos += 3;
            let n = c
                .peek()
                .and_then(number_of)
                .ok_or_else(|| incomplete_or(&c, first))?;
            c.bump();
            c.eat_any(&["le", "les"]);
            let days = weekday_list(&mut c, first)?;
            c.finish()?;
            every_n_weeks(n, &days, time, ctx)
        }
        "un" if c.word_at(1).and_then(weekday_of).is_some() && c.word_at(2) == Some("sur") => {
            let wd = c.word_at(1).and_then(weekday_of);
            c.pos += 3;
            let n = c
                .peek()
                .and_then(number_of)
                .ok_or_else(|| incomplete_or(&c, first))?;
            c.bump();
            c.finish()?;
            every_n_weeks(n, &wd.into_iter().collect::<Vec<_>>(), time, ctx)
        }
        _ => {
            if let Some(wd) = weekday_of(word) {
                c.bump();
                if c.eat_any(&["prochain", "prochaine"]) {
                    c.finish()?;
                    return once_on(next_weekday(ctx.today, wd, true)?, time, ctx);
                }
                if c.peek().and_then(day_of).is_some()
                    || matches!(c.peek().map(|t| &t.kind), Some(Kind::Date(..)))
                {
                    return parse_date(&mut c, Some(wd), time, ctx);
                }
                if c.peek().is_none() {
                    return Err(ScheduleError::BareWeekday {
                        day: weekday_name(wd),
                    });
                }
                return Err(c.peek().map_or(ScheduleError::Empty, not_understood));
            }
            if day_of(first).is_some() {
                return parse_date(&mut c, None, time, ctx);
            }
            Err(not_understood(first))
        }
    }
}

/// The error for a shape cut short: `Incomplete` at the end, else the stray word.
fn incomplete_or(c: &Cursor, after: &Tok) -> ScheduleError {
    match c.peek() {
        None => ScheduleError::Incomplete {
            after: excerpt(&after.orig),
        },
        Some(t) => not_understood(t),
    }
}

/// After "le"/"la": an nth weekday, a date, a day of every month, or a habitual
/// weekday ("le lundi").
fn after_article(
    c: &mut Cursor,
    article: &Tok,
    time: NaiveTime,
    ctx: &Ctx,
) -> Result<Schedule, ScheduleError> {
    let Some(tok) = c.peek() else {
        return Err(ScheduleError::Incomplete {
            after: excerpt(&article.orig),
        });
    };
    let next_is_weekday = c.word_at(1).and_then(weekday_of).is_some();
    if next_is_weekday {
        if let Some(nth) = ordinal_of(tok) {
            return nth_weekday(c, nth?, time);
        }
    }
    if let Some(wd) = tok.word().and_then(weekday_of) {
        let dated = c.at(1).and_then(day_of).is_some()
            || matches!(c.at(1).map(|t| &t.kind), Some(Kind::Date(..)));
        if dated {
            c.bump();
            return parse_date(c, Some(wd), time, ctx);
        }
        let days = weekday_list(c, article)?;
        c.finish()?;
        return weekly(&days, time);
    }
    if let Some(day) = day_of(tok) {
        let save = c.pos;
        c.bump();
        if eat_month_suffix(c) {
            let day = day?;
            c.finish()?;
            return monthly(day, time);
        }
        c.pos = save;
        return parse_date(c, None, time, ctx);
    }
    if matches!(tok.kind, Kind::Date(..)) {
        return parse_date(c, None, time, ctx);
    }
    if let Some(Err(e)) = ordinal_of(tok) {
        return Err(e);
    }
    Err(not_understood(tok))
}

/// After "chaque", "tous les", "toutes les", "les".
fn recurring(
    c: &mut Cursor,
    prefix: &Tok,
    time: NaiveTime,
    ctx: &Ctx,
) -> Result<Schedule, ScheduleError> {
    let Some(tok) = c.peek() else {
        return Err(ScheduleError::Incomplete {
            after: excerpt(&prefix.orig),
        });
    };
    let word = tok.word().unwrap_or_default();
    // "chaque jour", "tous les jours ouvrés", "chaque jour de la semaine".
    if matches!(word, "jour" | "jours") {
        c.bump();
        let days: Vec<Weekday> = if c.eat_any(&["ouvre", "ouvres"])
            || c.eat_seq(&["de", "la", "semaine"])
            || c.eat_seq(&["de", "semaine"])
        {
            WORKDAYS.to_vec()
        } else if c.eat_any(&["ouvrable", "ouvrables"]) {
            // Legal French meaning: Monday to Saturday.
            MONDAY_TO_SATURDAY.to_vec()
        } else if c.word_at(0) == Some("du") {
            c.bump();
            weekday_range(c, tok)?
        } else {
            ALL_DAYS.to_vec()
        };
        c.finish()?;
        return weekly(&days, time);
    }
    // "chaque semaine le lundi", "toutes les semaines le lundi".
    if matches!(word, "semaine" | "semaines") {
        c.bump();
        c.eat_any(&["le", "les"]);
        let days = weekday_list(c, tok)?;
        c.finish()?;
        return weekly(&days, time);
    }
    // "toutes les deux semaines le vendredi".
    if let Some(n) = number_of(tok) {
        if matches!(c.word_at(1), Some("semaine" | "semaines")) {
            let weeks_tok = c.at(1).unwrap_or(tok);
            c.pos += 2;
            c.eat_any(&["le", "les"]);
            let days = weekday_list(c, weeks_tok)?;
            c.finish()?;
            return every_n_weeks(n, &days, time, ctx);
        }
    }
    // "chaque premier lundi du mois", "tous les derniers vendredis du mois".
    if c.word_at(1).and_then(weekday_of).is_some() {
        if let Some(nth) = ordinal_of(tok) {
            return nth_weekday(c, nth?, time);
        }
    }
    // "chaque mois le 15", "tous les mois le 1er".
    if word == "mois" {
        c.bump();
        c.eat("le");
        let day_tok = c.peek().ok_or_else(|| ScheduleError::Incomplete {
            after: excerpt(&tok.orig),
        })?;
        let day = day_of(day_tok).ok_or_else(|| not_understood(day_tok))??;
        c.bump();
        c.finish()?;
        return monthly(day, time);
    }
    // "tous les 15 du mois", "chaque premier du mois".
    if let Some(day) = day_of(tok) {
        let save = c.pos;
        c.bump();
        if eat_month_suffix(c) {
            let day = day?;
            c.finish()?;
            return monthly(day, time);
        }
        c.pos = save;
    }
    if word.is_empty() || weekday_of(word).is_none() {
        if let Some(Err(e)) = ordinal_of(tok) {
            return Err(e);
        }
        return Err(not_understood(tok));
    }
    let days = weekday_list(c, prefix)?;
    c.finish()?;
    weekly(&days, time)
}

fn eat_month_suffix(c: &mut Cursor) -> bool {
    c.eat_seq(&["du", "mois"])
        || c.eat_seq(&["de", "chaque", "mois"])
        || c.eat_seq(&["de", "tous", "les", "mois"])
        || c.eat_seq(&["chaque", "mois"])
        || c.eat_seq(&["tous", "les", "mois"])
}

fn nth_weekday(c: &mut Cursor, nth: Nth, time: NaiveTime) -> Result<Schedule, ScheduleError> {
    c.bump();
    let wd_tok = c.bump().ok_or(ScheduleError::Empty)?;
    let weekday = wd_tok
        .word()
        .and_then(weekday_of)
        .ok_or_else(|| not_understood(wd_tok))?;
    if !eat_month_suffix(c) {
        return Err(incomplete_or(c, wd_tok));
    }
    c.finish()?;
    Ok(Schedule::NthWeekdayOfMonth { nth, weekday, time })
}

const WORKDAYS: [Weekday; 5] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
];
const MONDAY_TO_SATURDAY: [Weekday; 6] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
];
const ALL_DAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// "lundi", "lundis, mercredis et vendredis", "le mardi et le jeudi".
fn weekday_list(c: &mut Cursor, before: &Tok) -> Result<Vec<Weekday>, ScheduleError> {
    let tok = c.peek().ok_or_else(|| ScheduleError::Incomplete {
        after: excerpt(&before.orig),
    })?;
    let first = tok
        .word()
        .and_then(weekday_of)
        .ok_or_else(|| not_understood(tok))?;
    c.bump();
    let mut days = vec![first];
    loop {
        let mut k = 0;
        while matches!(c.at(k).map(|t| &t.kind), Some(Kind::Comma))
            || matches!(c.word_at(k), Some("et" | "le" | "les"))
        {
            k += 1;
        }
        match c.word_at(k).and_then(weekday_of) {
            Some(wd) => {
                days.push(wd);
                c.pos += k + 1;
            }
            None => break,
        }
    }
    days.sort_by_key(|d| d.num_days_from_monday());
    days.dedup();
    Ok(days)
}

/// "lundi au vendredi" (after "du"); wraps around the week ("samedi au lundi").
fn weekday_range(c: &mut Cursor, before: &Tok) -> Result<Vec<Weekday>, ScheduleError> {
    let missing = || ScheduleError::Incomplete {
        after: excerpt(&before.orig),
    };
    let a_tok = c.bump().ok_or_else(missing)?;
    let a = a_tok
        .word()
        .and_then(weekday_of)
        .ok_or_else(|| not_understood(a_tok))?;
    if !c.eat("au") {
        return Err(incomplete_or(c, a_tok));
    }
    let b_tok = c.bump().ok_or_else(missing)?;
    let b = b_tok
        .word()
        .and_then(weekday_of)
        .ok_or_else(|| not_understood(b_tok))?;
    let mut days = vec![a];
    let mut d = a;
    while d != b {
        d = d.succ();
        days.push(d);
    }
    days.sort_by_key(|d| d.num_days_from_monday());
    Ok(days)
}

/// A date: "3 décembre [2026]", "1er décembre", "03/12[/2026]", "2026-12-03",
/// optionally after a weekday that must match ("jeudi 3 décembre").
fn parse_date(
    c: &mut Cursor,
    stated: Option<Weekday>,
    time: NaiveTime,
    ctx: &Ctx,
) -> Result<Schedule, ScheduleError> {
    let tok = c.bump().ok_or(ScheduleError::Empty)?;
    let (day, month, year) = match &tok.kind {
        Kind::Date(d, m, y) => (*d, *m, *y),
        _ => {
            let day = day_of(tok).ok_or_else(|| not_understood(tok))??;
            let month_tok = c.bump().ok_or_else(|| ScheduleError::Incomplete {
                after: excerpt(&tok.orig),
            })?;
            let month = month_tok
                .word()
                .and_then(month_of)
                .ok_or_else(|| not_understood(month_tok))?;
            let year = match c.peek().map(|t| &t.kind) {
                Some(Kind::Num(y, 4)) => {
                    c.bump();
                    Some(i32::try_from(*y).unwrap_or(i32::MAX))
                }
                _ => None,
            };
            (day, month, year)
        }
    };
    c.finish()?;
    let label = || match year {
        Some(y) => format!("{} {y}", strings::day_month(day, month)),
        None => strings::day_month(day, month),
    };
    let bad = || ScheduleError::BadDate {
        text: excerpt(&label()),
    };
    if !(1..=12).contains(&month) || !date_exists(2000, month, day) {
        return Err(bad());
    }
    let date = match year {
        Some(y) => NaiveDate::from_ymd_opt(y, month, day).ok_or_else(bad)?,
        None => {
            // The next occurrence still to come (29 February may be years away).
            let this_year = ctx.today.year();
            (this_year..=this_year + 8)
                .filter_map(|y| NaiveDate::from_ymd_opt(y, month, day))
                .find(|d| local_to_utc(ctx.tz, d.and_time(time)).is_some_and(|at| at > ctx.now))
                .ok_or_else(bad)?
        }
    };
    if let Some(said) = stated {
        if date.weekday() != said {
            return Err(ScheduleError::WeekdayMismatch {
                date: format!("{} {}", strings::day_month(day, month), date.year()),
                actual: weekday_name(date.weekday()),
                said: weekday_name(said),
            });
        }
    }
    once_on(date, time, ctx)
}

/// "dans 2 jours", "dans 3 heures", "dans 1h30", "dans 2 semaines à 9h", "dans 30 secondes"
/// (seconds exist so that a test, or a newcomer trying the bot, can see a nudge arrive now).
fn parse_in(dans: &Tok, toks: &[Tok], ctx: &Ctx) -> Result<Schedule, ScheduleError> {
    let mut c = Cursor::new(toks);
    let (mut months, mut days, mut minutes, mut seconds) = (0u64, 0u64, 0u64, 0u64);
    let whole = || {
        let text: Vec<&str> = std::iter::once(dans)
            .chain(toks.iter())
            .map(|t| t.orig.as_str())
            .collect();
        let mut joined: Vec<&str> = Vec::new();
        for t in text {
            if joined.last() != Some(&t) {
                joined.push(t);
            }
        }
        excerpt(&joined.join(" "))
    };
    let bad = || ScheduleError::BadDuration { text: whole() };
    let mut any = false;
    while let Some(tok) = c.peek() {
        if let Kind::Time(h, m) = tok.kind {
            minutes = minutes.saturating_add(h.saturating_mul(60).saturating_add(m.unwrap_or(0)));
            c.bump();
        } else if let Some(n) = number_of(tok) {
            match c.word_at(1) {
                Some("minute" | "minutes" | "min" | "mn") => minutes = minutes.saturating_add(n),
                Some("seconde" | "secondes" | "sec" | "s") => seconds = seconds.saturating_add(n),
                Some("h" | "heure" | "heures") => {
                    minutes = minutes.saturating_add(n.saturating_mul(60))
                }
                Some("jour" | "jours" | "j") => days = days.saturating_add(n),
                Some("semaine" | "semaines") => days = days.saturating_add(n.saturating_mul(7)),
                Some("mois") => months = months.saturating_add(n),
                _ => return Err(bad()),
            }
            c.pos += 2;
        } else {
            break;
        }
        any = true;
        // Parts may be joined by "et", a comma, or nothing ("dans 3 jours 4 heures").
        let amount = |t: &Tok| number_of(t).is_some() || matches!(t.kind, Kind::Time(..));
        let separator =
            matches!(c.peek().map(|t| &t.kind), Some(Kind::Comma)) || c.word_at(0) == Some("et");
        // A compact clock right after a day-based delay is a time of day:
        // "dans 2 jours 9h" means 9:00 in two days, not two days and nine hours.
        let clock_like = |t: &Tok| matches!(t.kind, Kind::Time(..)) && !t.orig.contains("heure");
        let day_based = days > 0 || months > 0;
        if separator && c.at(1).is_some_and(amount) {
            c.bump();
        } else if !c.peek().is_some_and(amount) || (day_based && c.peek().is_some_and(clock_like)) {
            break;
        }
    }
    if !any {
        return Err(match c.peek() {
            None => ScheduleError::Incomplete {
                after: excerpt(&dans.orig),
            },
            Some(_) => bad(),
        });
    }
    // Optional clock for day-based delays: "dans 2 jours à 9h".
    let is_time = |t: Option<&Tok>| matches!(t.map(|t| &t.kind), Some(Kind::Time(..)));
    let clock = if is_time(c.peek())
        || (c.word_at(0).is_some_and(|w| w == "a" || w == "vers") && is_time(c.at(1)))
    {
        let rest: Vec<Tok> = toks[c.pos..].to_vec();
        let (clock, left) = extract_clock(rest)?;
        Cursor::new(&left).finish()?;
        c.pos = toks.len();
        clock
    } else {
        None
    };
    c.finish()?;
    if clock.is_some() && (minutes > 0 || seconds > 0) {
        return Err(bad());
    }
    let too_far = ScheduleError::TooFar {
        years: MAX_YEARS_AHEAD,
    };
    if months > 1_200 || days > 100_000 || minutes > 100_000_000 || seconds > 1_000_000_000 {
        return Err(too_far);
    }
    // Kept to the nanosecond: "dans 10 secondes" fires ten seconds after the command was
    // handled, not up to a second before (rounding down) nor after (rounding up).
    let base = ctx.local_now;
    let shifted = base
        .checked_add_months(Months::new(months as u32))
        .and_then(|t| t.checked_add_days(Days::new(days)))
        .ok_or(too_far.clone())?;
    let at = match clock {
        Some(t) => local_to_utc(ctx.tz, shifted.date().and_time(t)),
        None if months == 0 && days == 0 => Some(ctx.now),
        None => local_to_utc(ctx.tz, shifted),
    }
    .ok_or(too_far.clone())?;
    let at = at
        .checked_add_signed(Duration::minutes(minutes as i64))
        .and_then(|at| at.checked_add_signed(Duration::seconds(seconds as i64)))
        .ok_or(too_far)?;
    once(at, ctx)
}

// ---------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------

fn add_days(date: NaiveDate, days: u64) -> Result<NaiveDate, ScheduleError> {
    date.checked_add_days(Days::new(days))
        .ok_or(ScheduleError::TooFar {
            years: MAX_YEARS_AHEAD,
        })
}

/// The next `wd` on or after `from` (strictly after when `strictly_after`).
fn next_weekday(
    from: NaiveDate,
    wd: Weekday,
    strictly_after: bool,
) -> Result<NaiveDate, ScheduleError> {
    let ahead = (7 + wd.num_days_from_monday() - from.weekday().num_days_from_monday()) % 7;
    let ahead = if ahead == 0 && strictly_after {
        7
    } else {
        ahead
    };
    add_days(from, u64::from(ahead))
}

fn once_on(date: NaiveDate, time: NaiveTime, ctx: &Ctx) -> Result<Schedule, ScheduleError> {
    let at = local_to_utc(ctx.tz, date.and_time(time)).ok_or(ScheduleError::TooFar {
        years: MAX_YEARS_AHEAD,
    })?;
    once(at, ctx)
}

fn once(at: DateTime<Utc>, ctx: &Ctx) -> Result<Schedule, ScheduleError> {
    if at <= ctx.now {
        return Err(ScheduleError::Past {
            when: format_fr(at, ctx.tz, ctx.now),
        });
    }
    let limit = ctx
        .now
        .checked_add_months(Months::new(12 * MAX_YEARS_AHEAD));
    if limit.is_none_or(|limit| at > limit) {
        return Err(ScheduleError::TooFar {
            years: MAX_YEARS_AHEAD,
        });
    }
    Ok(Schedule::Once { at })
}

fn weekly(days: &[Weekday], time: NaiveTime) -> Result<Schedule, ScheduleError> {
    let dow = if days.len() == 7 {
        "*".to_string()
    } else {
        let sunday_based: Vec<u32> = days.iter().map(|d| d.num_days_from_sunday()).collect();
        dow_field(&sunday_based)
    };
    let expr = format!("{} {} * * {dow}", time.minute(), time.hour());
    CronSpec::parse(&expr).map(|expr| Schedule::Cron { expr })
}

fn monthly(day: u32, time: NaiveTime) -> Result<Schedule, ScheduleError> {
    let expr = format!("{} {} {day} * *", time.minute(), time.hour());
    CronSpec::parse(&expr).map(|expr| Schedule::Cron { expr })
}

fn every_n_weeks(
    n: u64,
    days: &[Weekday],
    time: NaiveTime,
    ctx: &Ctx,
) -> Result<Schedule, ScheduleError> {
    if n == 0 || n > 52 {
        return Err(ScheduleError::BadInterval { weeks: n });
    }
    if n == 1 {
        return weekly(days, time);
    }
    // Anchor: the first matching day whose firing is still to come.
    let first = (0..8u64)
        .filter_map(|k| ctx.today.checked_add_days(Days::new(k)))
        .find(|d| {
            days.contains(&d.weekday())
                && local_to_utc(ctx.tz, d.and_time(time)).is_some_and(|at| at > ctx.now)
        })
        .ok_or(ScheduleError::TooFar {
            years: MAX_YEARS_AHEAD,
        })?;
    Ok(Schedule::EveryNWeeks {
        weeks: n as u32,
        weekdays: days.to_vec(),
        time,
        first,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_accents_case_and_apostrophes() {
        assert_eq!(spaced_words("Aujourd’hui"), "aujourd hui");
        assert_eq!(spaced_words("DÉCEMBRE"), "decembre");
        assert_eq!(spaced_words("lundi,"), "lundi , ");
        assert_eq!(spaced_words("Après-demain"), "apres demain");
    }

    #[test]
    fn times_are_recognized_in_all_spellings() {
        for (text, h, m) in [
            ("9h", 9, None),
            ("9h00", 9, Some(0)),
            ("09h30", 9, Some(30)),
            ("9:00", 9, Some(0)),
            ("9 h 30", 9, Some(30)),
            ("9 heures", 9, None),
            ("9h 30", 9, Some(30)),
            ("midi", 12, Some(0)),
        ] {
            let toks = tokenize(text);
            assert_eq!(toks.len(), 1, "{text}: {toks:?}");
            assert_eq!(toks[0].kind, Kind::Time(h, m), "{text}");
        }
    }

    #[test]
    fn cron_detection() {
        assert!(looks_like_cron("0 9 * * 1-5"));
        assert!(looks_like_cron("0 9 * *"));
        assert!(looks_like_cron("30 2 1,15 * *"));
        assert!(!looks_like_cron("3 décembre à 10h"));
        assert!(!looks_like_cron("chaque lundi à 9h"));
        assert!(!looks_like_cron("2026-12-03"));
    }
}
