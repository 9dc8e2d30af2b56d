//! Personal-data guard for reflections.
//!
//! Owns one decision: does a reflection text (free French prose written by a team member about
//! a remote session) contain personal data about a person, and of which kinds? The caller
//! refuses to store a reflection for which [`scan`] returns anything and tells the author which
//! kinds were found, using [`PiiKind::label_fr`]. This module never returns, logs or stores the
//! matched text: only kinds leave it, so nothing identifying can be echoed back into a room.
//! It does not own the refusal message, the consent flow or storage (the rest of
//! `reflections/`), and depends on nothing else of the crate.
//!
//! # How it works
//!
//! The text is first normalised: invisible format characters (zero-width spaces, joiners, bidi
//! marks, soft hyphens) are removed, so that `06\u{200B}12…` is still a phone number; the rest
//! is NFKC-normalised (full-width digits, no-break spaces, combining accents become their plain
//! forms) and typographic dashes and apostrophes become ASCII ones. Detectors then run from the
//! most specific to the least: e-mail, IBAN, NIR, phone, birth date, postal address, person
//! name. Each of the first four masks what it found, so that the digits of an IBAN are not
//! reported again as a NIR or a phone number. Everything is either a `regex` search (linear
//! time) or a single pass over the tokens, so the cost is linear in the input length.
//!
//! # Choices (false positives versus false negatives)
//!
//! The guard errs towards refusing: a reflection rejected by mistake costs the author a
//! rewording, one stored by mistake may identify a young person. The exceptions are the
//! patterns teams use all day, which would make the feature unusable if flagged:
//!
//! - **A first name alone is never flagged.** Teams write "Inès a rappelé" constantly; a first
//!   name without a surname is not identifying enough on its own, and flagging it would reject
//!   most reflections. "Kevin M." (first name plus initial) is the usual way to anonymise and
//!   passes too. A name is: a first name from `prenoms.txt` (title case or capitals) directly
//!   followed by a capitalised word that is not in a stop list ("Kevin Martin", "Inès Diallo",
//!   "Kevin MARTIN", "Kevin Le Goff", "Inès Ben Salah"); a surname in capitals before a first
//!   name ("DIALLO Inès"); or a civility and a capitalised word ("M. Benali", "Mme Dupont",
//!   "madame Traoré"). "KEVIN MARTIN" is flagged, unless the words around it are in capitals
//!   too (a shouted sentence such as "SUPER SÉANCE AVEC KEVIN AUJOURD'HUI"). Words are only
//!   paired across spaces: a comma, a dot or a line break separates them. A first name after
//!   "lycée", "rue", "salle", "saint"… ("salle Simone Veil") names a place. Missed: surnames
//!   with no listed first name or civility ("Diallo a rappelé"), lower-case names, "Martin
//!   Kevin" in title case, names in a fully capitalised text. Flagged by mistake: a listed
//!   first name before any other capitalised word (brands, famous people: "Hugo Boss", "Marie
//!   Curie" outside "salle …"), and two first names in a row without a comma.
//! - **Phone numbers and e-mail addresses** are flagged whoever they belong to (a Mission
//!   Locale's switchboard or contact address included): the guard cannot tell them apart.
//!   Domestic numbers need one consistent separator (or none), which keeps "06.12.2024 14h"
//!   from reading as a number; international forms (+33, 0033, +590, +594, +596, +262, +269…)
//!   take any separators. Obfuscated e-mails ("prenom [at] domaine [dot] fr", "arobase …
//!   point fr") are caught when the domain ends with a common top-level domain.
//! - **Birth dates**: a date is a birth date when a cue ("né", "née", "naissance", "ddn",
//!   "anniversaire") comes before it in the same clause (at most 30 characters, no sentence
//!   end or "et"/"mais"/"puis" between), or right after it ("12/04/2006 (ddn)"), or when it is
//!   a full date (12/04/2006, 12-04-06, 12 04 2006, 2006-04-12, 3 mars 2005) whose year makes
//!   the person 14 to 30 years old. Session dates ("le 12 mars", "mardi 3/12", "le 15/03/2026")
//!   pass. A bare year after a cue counts only when at least ten years back, so "le projet est
//!   né en 2020" passes while "née en 2006" does not. Missed: ages ("19 ans"), which are not
//!   dates, and a baby's birth year ("née en 2024"). Flagged by mistake: any full date in
//!   1996–2012 (for 2026), and an unrelated date right after "anniversaire".
//! - **NIR and IBAN** are checked with their mod-97 keys when the key is there; a wrong key
//!   means "not a NIR", which also lets other long numbers through. A NIR without key (13
//!   digits, valid month) and an IBAN cut short (ten characters or more after the check
//!   digits, mostly digits, for a country whose length is known) are flagged on their shape
//!   alone. Any other IBAN-shaped string must pass mod 97.
//! - **Postal addresses** need a house number: "12 rue des Lilas" is flagged, "rue de la Paix"
//!   (a meeting point) is not. Street types that are also ordinary words ("place", "cours",
//!   "bd", "mail") need a capitalised name after them, so "3 cours de maths" and "3 bd lues"
//!   pass. A number that belongs to a date or a time ("le 12/03 place Carnot") is not a house
//!   number. A 5-digit postcode followed by a capitalised town is flagged ("53000 Laval"),
//!   except before a few nouns that follow counts ("10000 SMS").

use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// A kind of personal data the guard can find in a reflection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    Phone,
    Email,
    Nir,
    BirthDate,
    PostalAddress,
    Iban,
    PersonName,
}

impl PiiKind {
    /// The French noun phrase shown to the author ("Votre réflexion contient un numéro de
    /// téléphone…").
    pub fn label_fr(self) -> &'static str {
        match self {
            PiiKind::Phone => "un numéro de téléphone",
            PiiKind::Email => "une adresse e-mail",
            PiiKind::Nir => "un numéro de sécurité sociale",
            PiiKind::BirthDate => "une date de naissance",
            PiiKind::PostalAddress => "une adresse postale",
            PiiKind::Iban => "un IBAN",
            PiiKind::PersonName => "un nom et prénom",
        }
    }
}

/// Joins the French labels of `kinds` as a list: "un IBAN", "un IBAN et une adresse postale",
/// "a, b et c". Empty for no kinds.
pub fn labels_fr(kinds: &[PiiKind]) -> String {
    let labels: Vec<&str> = kinds.iter().map(|k| k.label_fr()).collect();
    match labels.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} et {}", rest.join(", "), last),
    }
}

/// The year used when the system clock cannot be read (or reads earlier than this), so that
/// the 14–30-year-old window never drifts into the past.
pub const REFERENCE_YEAR: i32 = 2026;

/// Youngest and oldest ages, in years, for which a full date alone counts as a birth date.
const AGE_WINDOW: (i32, i32) = (14, 30);

/// A bare year after a birth cue counts only when it is at least this many years back.
const BARE_YEAR_MIN_AGE: i32 = 10;

/// Every kind of personal data found in `text`, sorted and deduplicated, judged against the
/// current year from the system clock. Never returns the matched text.
pub fn scan(text: &str) -> Vec<PiiKind> {
    scan_at(text, current_year())
}

/// Same as [`scan`] with an explicit current year, which sets the 14–30-year-old window for
/// dates without a birth cue.
pub fn scan_at(text: &str, year: i32) -> Vec<PiiKind> {
    let mut found = Vec::new();
    let mut text = normalize(text);

    // Most specific first; each masks its matches so later detectors do not see their digits.
    let maskers: [(PiiKind, &Regex, Validator); 5] = [
        (PiiKind::Email, &EMAIL, accept_email),
        (PiiKind::Email, &EMAIL_OBFUSCATED, accept_email),
        (PiiKind::Iban, &IBAN, valid_iban),
        (PiiKind::Nir, &NIR, valid_nir),
        (PiiKind::Phone, &PHONE, accept_phone),
    ];
    for (kind, re, valid) in maskers {
        if let Some(masked) = mask(&text, re, valid) {
            found.push(kind);
            text = masked;
        }
    }
    if has_birth_date(&text, year) {
        found.push(PiiKind::BirthDate);
    }
    if has_postal_address(&text) {
        found.push(PiiKind::PostalAddress);
    }
    if has_person_name(&text) {
        found.push(PiiKind::PersonName);
    }
    found.sort();
    found.dedup();
    found
}

// ---------------------------------------------------------------------------------------------
// Time

fn current_year() -> i32 {
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0);
    let days = i64::try_from(days).unwrap_or(0);
    civil_year(days).max(REFERENCE_YEAR)
}

/// Gregorian year of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_year(days: i64) -> i32 {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    i32::try_from(year).unwrap_or(REFERENCE_YEAR)
}

// ---------------------------------------------------------------------------------------------
// Normalisation

/// Removes invisible characters, maps typographic dashes and apostrophes to ASCII, then NFKC.
fn normalize(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .filter(|c| !is_invisible(*c))
        .map(|c| match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' => '-',
            '\u{2018}' | '\u{2019}' | '\u{02BC}' | '\u{2032}' => '\'',
            _ => c,
        })
        .collect();
    cleaned.nfkc().collect()
}

/// Format characters that render as nothing and can be slipped inside a number or a name.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// Lower case without accents, for list look-ups ("Inès" and "INES" are both "ines").
fn fold(word: &str) -> String {
    word.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Masking detectors: e-mail, IBAN, NIR, phone

/// Decides whether a regex match (given the whole text and the match's byte range) is real.
type Validator = fn(&str, usize, usize) -> bool;

/// Replaces every valid match of `re` with a neutral marker; `None` when nothing was valid.
fn mask(text: &str, re: &Regex, valid: Validator) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut any = false;
    for m in re.find_iter(text) {
        if valid(text, m.start(), m.end()) {
            out.push_str(&text[last..m.start()]);
            // Spaces around the marker keep neighbouring words from gluing together, and the
            // marker itself breaks "Prénom <masked> Nom" adjacency.
            out.push_str(" # ");
            last = m.end();
            any = true;
        }
    }
    if !any {
        return None;
    }
    out.push_str(&text[last..]);
    Some(out)
}

fn prev_char(text: &str, at: usize) -> Option<char> {
    text[..at].chars().next_back()
}

fn next_char(text: &str, at: usize) -> Option<char> {
    text[at..].chars().next()
}

/// True when the match is not glued to a letter or digit on either side.
fn isolated(text: &str, start: usize, end: usize) -> bool {
    !prev_char(text, start).is_some_and(char::is_alphanumeric)
        && !next_char(text, end).is_some_and(char::is_alphanumeric)
}

const OBF_AT: &str =
    r"(?:\s*(?:\[at\]|\(at\)|\{at\}|\[arobase\]|\(arobase\)|\[@\]|\(@\))\s*|\s+(?:at|arobase)\s+)";
const OBF_DOT: &str =
    r"(?:\s*(?:\[dot\]|\(dot\)|\{dot\}|\[point\]|\(point\))\s*|\s+(?:dot|point)\s+|\.)";
const OBF_TLD: &str =
    r"(?:fr|com|net|org|eu|info|io|me|be|ch|ca|re|gp|mq|gf|yt|pf|nc|de|es|it|uk|co|biz|live|gouv)";

/// Plain addresses; the mandatory "@" lets the regex engine search for it first.
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[A-Za-z]{2,24}").expect("e-mail pattern is valid")
});

/// "prenom [at] domaine [dot] fr", "prenom arobase domaine point fr".
static EMAIL_OBFUSCATED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)[\w.+\-]+{OBF_AT}[\w\-]+(?:{OBF_DOT}[\w\-]+)*?{OBF_DOT}{OBF_TLD}\b"
    ))
    .expect("obfuscated e-mail pattern is valid")
});

fn accept_email(_: &str, _: usize, _: usize) -> bool {
    true
}

/// Two letters, two check digits, then 10 to 32 alphanumerics, optionally grouped.
static IBAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[A-Za-z]{2}[0-9]{2}(?:[ \-]?[A-Za-z0-9]){10,32}").expect("IBAN pattern is valid")
});

/// IBAN length of the countries most likely to appear (registry values).
fn iban_length(country: &str) -> Option<usize> {
    Some(match country {
        "BE" => 16,
        "NL" => 18,
        "LU" | "AT" => 20,
        "CH" => 21,
        "DE" | "GB" | "IE" => 22,
        "ES" | "RO" | "TN" => 24,
        "PT" => 25,
        "DZ" | "TR" => 26,
        "FR" | "MC" | "IT" => 27,
        "PL" | "MA" | "SN" | "CI" | "ML" => 28,
        _ => return None,
    })
}

fn valid_iban(text: &str, start: usize, end: usize) -> bool {
    if prev_char(text, start).is_some_and(char::is_alphanumeric) {
        return false;
    }
    // The pattern may run on into the next words ("FR76 3000 4000 03 puis a…"): keep groups
    // that hold a digit, or capitals when the IBAN is written in capitals ("GB29 NWBK …").
    let candidate = &text[start..end];
    let upper = candidate
        .get(..2)
        .is_some_and(|cc| cc.chars().all(|c| c.is_ascii_uppercase()));
    let compact: Vec<char> = candidate
        .split([' ', '-'])
        .enumerate()
        .take_while(|(i, group)| {
            *i == 0
                || group.chars().any(|c| c.is_ascii_digit())
                || (upper && group.len() <= 4 && group.chars().all(|c| c.is_ascii_uppercase()))
        })
        .flat_map(|(_, group)| group.chars())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let country: String = compact.iter().take(2).collect();
    let check = compact.get(2..4).map(|d| {
        d.iter()
            .filter_map(|c| c.to_digit(10))
            .fold(0, |acc, x| acc * 10 + x)
    });
    if !matches!(check, Some(2..=98)) {
        return false;
    }
    match iban_length(&country) {
        Some(len) if compact.len() >= len => iban_mod97(&compact[..len]),
        Some(_) => {
            // Cut short (or grouped so that the regex stopped): judge on shape.
            let bban = &compact[4..];
            let digits = bban.iter().take(10).filter(|c| c.is_ascii_digit()).count();
            bban.len() >= 10 && digits >= 8
        }
        None => (15..=compact.len().min(34)).any(|len| iban_mod97(&compact[..len])),
    }
}

/// ISO 13616 check: move the first four characters to the end, letters become 10..35, and the
/// resulting number must be 1 mod 97.
fn iban_mod97(chars: &[char]) -> bool {
    if chars.len() < 5 {
        return false;
    }
    let rotated = chars[4..].iter().chain(&chars[..4]);
    let mut rem: u32 = 0;
    for c in rotated {
        let Some(v) = c.to_digit(36) else {
            return false;
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// Sex (1, 2, or 7, 8 for temporary numbers), year, month, département and commune (2 + 3
/// digits, 2A/2B for Corsica, or 3 + 2 overseas), order, then an optional two-digit key. A
/// single space or dot may separate the groups, nowhere else: "1 2 3 4…" is a list, not a NIR.
static NIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"[1278][ .]?[0-9]{2}[ .]?[0-9]{2}[ .]?(?:(?:[0-9]{2}|2[ABab])[ .]?[0-9]{3}|[0-9]{3}[ .]?[0-9]{2})[ .]?[0-9]{3}(?:[ .]?[0-9]{2})?",
    )
    .expect("NIR pattern is valid")
});

fn valid_nir(text: &str, start: usize, end: usize) -> bool {
    if !isolated(text, start, end) {
        return false;
    }
    let chars: Vec<char> = text[start..end]
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if chars.len() != 13 && chars.len() != 15 {
        return false;
    }
    let month = chars[3..5]
        .iter()
        .filter_map(|c| c.to_digit(10))
        .fold(0, |acc, d| acc * 10 + d);
    if !matches!(month, 1..=12 | 20..=42 | 50..=99) {
        return false;
    }
    // For the key, Corsica's 2A and 2B count as 19 and 18.
    let Some(body) = corsica_to_digits(&chars[..13]) else {
        return false;
    };
    let Ok(number) = body.parse::<u64>() else {
        return false;
    };
    if chars.len() == 13 {
        return true;
    }
    let key: String = chars[13..].iter().collect();
    key.parse::<u64>().is_ok_and(|k| k == 97 - number % 97)
}

/// The 13 NIR characters with a Corsican "2A"/"2B" département replaced by "19"/"18".
fn corsica_to_digits(chars: &[char]) -> Option<String> {
    let mut s: String = chars.iter().collect();
    match (chars.get(5), chars.get(6)) {
        (Some('2'), Some('A')) => s.replace_range(5..7, "19"),
        (Some('2'), Some('B')) => s.replace_range(5..7, "18"),
        _ => {}
    }
    s.chars().all(|c| c.is_ascii_digit()).then_some(s)
}

/// French numbers: ten digits from 0X with one consistent separator (or none), or +33 / 0033
/// and the overseas country codes followed by nine digits (an optional "(0)" or "0" first).
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    let domestic = r"0[1-9](?:(?:[0-9]{2}){4}|(?: [0-9]{2}){4}|(?:\.[0-9]{2}){4}|(?:-[0-9]{2}){4}|(?:/[0-9]{2}){4})";
    let international = r"(?:\+|00)\s?(?:33|590|594|596|262|269|508|687|689)\s?(?:\(0\)\s?|0)?[1-9](?:[ .\-]?[0-9]){8}";
    Regex::new(&format!(r"(?:{international}|{domestic})")).expect("phone pattern is valid")
});

fn accept_phone(text: &str, start: usize, end: usize) -> bool {
    !prev_char(text, start).is_some_and(|c| c.is_ascii_digit() || c == '+')
        && !next_char(text, end).is_some_and(|c| c.is_ascii_digit())
}

// ---------------------------------------------------------------------------------------------
// Birth dates

const MONTHS: &str = "janvier|janv|février|fevrier|févr|fevr|fév|fev|mars|avril|avr|mai|juin|juillet|juil|août|aout|septembre|sept|sep|octobre|oct|novembre|nov|décembre|decembre|déc|dec";

static NUMERIC_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b([0-9]{1,2})[/.\-]([0-9]{1,2})(?:[/.\-]([0-9]{4}|[0-9]{2}))?\b")
        .expect("numeric date pattern is valid")
});

/// "12 04 2006": spaces only with two-digit day and month and a four-digit year.
static SPACED_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b([0-9]{2}) ([0-9]{2}) ((?:19|20)[0-9]{2})\b")
        .expect("spaced date pattern is valid")
});

/// "2006-04-12" (ISO, as forms and exports write it).
static ISO_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b((?:19|20)[0-9]{2})-([0-9]{2})-([0-9]{2})\b").expect("ISO date pattern is valid")
});

static TEXT_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b(1er|[0-9]{{1,2}})\s+(?:{MONTHS})\b\.?(?:\s+([0-9]{{4}})\b)?"
    ))
    .expect("text date pattern is valid")
});

static BARE_YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:19|20)[0-9]{2}\b").expect("year pattern is valid"));

static BIRTH_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:née?s?|nees?|naissance|ddn|d\.d\.n|anniversaire|anniv)\b")
        .expect("birth cue pattern is valid")
});

/// Words that start a new clause: a cue before them does not reach a date after them.
static CLAUSE_BREAK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[.!?;\n]|\b(?:et|mais|puis|donc|alors|car|ensuite)\b")
        .expect("clause pattern is valid")
});

#[derive(Clone, Copy)]
enum DateShape {
    /// Day, month and year.
    Full(i32),
    /// Day and month only.
    Partial,
    /// A year alone.
    Year(i32),
}

struct DateCandidate {
    start: usize,
    end: usize,
    shape: DateShape,
}

fn has_birth_date(text: &str, now: i32) -> bool {
    let candidates = date_candidates(text, now);
    if candidates.is_empty() {
        return false;
    }
    let (youngest, oldest) = AGE_WINDOW;
    if candidates.iter().any(
        |c| matches!(c.shape, DateShape::Full(y) if (now - oldest..=now - youngest).contains(&y)),
    ) {
        return true;
    }
    let cues: Vec<(usize, usize)> = BIRTH_CUE
        .find_iter(text)
        .map(|m| (m.start(), m.end()))
        .collect();
    if cues.is_empty() {
        return false;
    }
    candidates.iter().any(|c| {
        let old_enough = match c.shape {
            DateShape::Year(y) => y <= now - BARE_YEAR_MIN_AGE,
            DateShape::Full(_) | DateShape::Partial => true,
        };
        old_enough && cue_near(text, &cues, c)
    })
}

/// A cue ends at most 30 characters before the date in the same clause, or starts right after
/// it (only punctuation and spaces between, at most 4 characters).
fn cue_near(text: &str, cues: &[(usize, usize)], date: &DateCandidate) -> bool {
    // Cues are sorted by position: look at the last one ending before the date and the first
    // one starting after it.
    let idx = cues.partition_point(|&(_, end)| end <= date.start);
    if let Some(&(_, cue_end)) = idx.checked_sub(1).and_then(|i| cues.get(i)) {
        let gap = &text[cue_end..date.start];
        // Byte length first: counting the characters of a long gap for every date would make
        // the scan quadratic.
        if gap.len() <= 4 * 30 && gap.chars().count() <= 30 && !CLAUSE_BREAK.is_match(gap) {
            return true;
        }
    }
    let after = cues.partition_point(|&(start, _)| start < date.end);
    if let Some(&(cue_start, _)) = cues.get(after) {
        let gap = &text[date.end..cue_start];
        if gap.len() <= 4 * 4
            && gap.chars().count() <= 4
            && gap.chars().all(|c| !c.is_alphanumeric())
            && !gap.contains('\n')
        {
            return true;
        }
    }
    false
}

fn date_candidates(text: &str, now: i32) -> Vec<DateCandidate> {
    let mut out = Vec::new();
    for caps in NUMERIC_DATE.captures_iter(text) {
        let (Some(whole), Some(d), Some(m)) = (caps.get(0), caps.get(1), caps.get(2)) else {
            continue;
        };
        let (Ok(day), Ok(month)) = (d.as_str().parse::<u32>(), m.as_str().parse::<u32>()) else {
            continue;
        };
        if !(1..=31).contains(&day) || !(1..=12).contains(&month) {
            continue;
        }
        // A slash or dash right before ("2024-12-03" read from the middle) means another shape.
        let mut before = text[..whole.start()].chars().rev();
        if matches!(before.next(), Some('/' | '.' | '-' | ':'))
            && before.next().is_some_and(|c| c.is_ascii_digit())
        {
            continue;
        }
        let shape = match caps.get(3) {
            None => DateShape::Partial,
            Some(y) if y.as_str().len() == 4 => match y.as_str().parse() {
                Ok(year) => DateShape::Full(year),
                Err(_) => continue,
            },
            Some(y) => {
                // "version 1.2.10" is not a date: a two-digit year needs a two-digit day and
                // month ("12/04/06").
                if d.as_str().len() != 2 || m.as_str().len() != 2 {
                    continue;
                }
                match y.as_str().parse::<i32>() {
                    Ok(yy) => DateShape::Full(expand_two_digit_year(yy, now)),
                    Err(_) => continue,
                }
            }
        };
        out.push(DateCandidate {
            start: whole.start(),
            end: whole.end(),
            shape,
        });
    }
    for (re, (d, m, y)) in [(&*SPACED_DATE, (1, 2, 3)), (&*ISO_DATE, (3, 2, 1))] {
        for caps in re.captures_iter(text) {
            let (Some(whole), Some(day), Some(month), Some(year)) =
                (caps.get(0), caps.get(d), caps.get(m), caps.get(y))
            else {
                continue;
            };
            let parsed = (
                day.as_str().parse::<u32>(),
                month.as_str().parse::<u32>(),
                year.as_str().parse::<i32>(),
            );
            if let (Ok(1..=31), Ok(1..=12), Ok(year)) = parsed {
                out.push(DateCandidate {
                    start: whole.start(),
                    end: whole.end(),
                    shape: DateShape::Full(year),
                });
            }
        }
    }
    for caps in TEXT_DATE.captures_iter(text) {
        let (Some(whole), Some(d)) = (caps.get(0), caps.get(1)) else {
            continue;
        };
        let day = if d.as_str().eq_ignore_ascii_case("1er") {
            1
        } else {
            d.as_str().parse::<u32>().unwrap_or(0)
        };
        if !(1..=31).contains(&day) {
            continue;
        }
        let shape = match caps.get(2).map(|y| y.as_str().parse::<i32>()) {
            Some(Ok(year)) => DateShape::Full(year),
            _ => DateShape::Partial,
        };
        out.push(DateCandidate {
            start: whole.start(),
            end: whole.end(),
            shape,
        });
    }
    for m in BARE_YEAR.find_iter(text) {
        if let Ok(year) = m.as_str().parse() {
            out.push(DateCandidate {
                start: m.start(),
                end: m.end(),
                shape: DateShape::Year(year),
            });
        }
    }
    out
}

/// "06" is 2006 and "98" is 1998 when the current year is 2026.
fn expand_two_digit_year(yy: i32, now: i32) -> i32 {
    let century = now - now.rem_euclid(100);
    if yy <= now.rem_euclid(100) {
        century + yy
    } else {
        century - 100 + yy
    }
}

// ---------------------------------------------------------------------------------------------
// Postal addresses

const STREET_STRONG: &str = "rue|avenue|boulevard|chemin|allée|allee|impasse|route|quai|résidence|residence|lotissement|faubourg|chaussée|chaussee|ruelle|venelle|sentier|hameau|lieu-dit|lieudit|rte|blvd|bld";
const STREET_WEAK: &str = "place|pl|cours|square|sq|passage|villa|domaine|clos|cité|cite|parvis|esplanade|promenade|mail|voie|zone|za|zi|zac|rond-point|lot|av|bd|imp|rés|fbg|ch";
const HOUSE_NUMBER: &str = r"\b[0-9]{1,4}(?:\s?(?i:bis|ter|quater|[abc]))?\s*,?\s+";

/// Number + unambiguous street type + any word ("12 rue des lilas").
static STREET_STRONG_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"{HOUSE_NUMBER}(?i:{STREET_STRONG})\b\.?\s+[\p{{L}}0-9]"
    ))
    .expect("street pattern is valid")
});

/// Number + street type that is also a common word + capitalised name ("3 place Carnot").
static STREET_WEAK_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"{HOUSE_NUMBER}(?i:{STREET_WEAK})\b\.?\s+(?:(?i:de\s+la|de\s+l'|du|des|de|d'|la|le|les|l')\s*)?[\p{{Lu}}0-9]"
    ))
    .expect("street pattern is valid")
});

/// Metropolitan and overseas postcode, optional CEDEX, then a capitalised word.
static POSTCODE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:0[1-9]|[1-8][0-9]|9[0-8])[0-9]{3}\s+(?:(?i:cedex)\s+)?(\p{Lu}[\p{L}'\-]*)")
        .expect("postcode pattern is valid")
});

/// Capitalised nouns that follow a count rather than a postcode ("10000 SMS").
const POSTCODE_STOP: &[&str] = &[
    "euros euro eur jeunes personnes habitants sms mms mails mail emails e-mails contacts",
    "appels km heures abonnes vues clics messages connexions inscrits visites utilisateurs",
    "pages ko mo go professionnels salaries structures dossiers",
];

fn has_postal_address(text: &str) -> bool {
    let number_ok = |start: usize| {
        // "le 12/03 place Carnot" or "14h30 place…": the number belongs to a date or a time.
        !prev_char(text, start)
            .is_some_and(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | ':' | '-' | '+'))
    };
    if STREET_STRONG_RE
        .find_iter(text)
        .chain(STREET_WEAK_RE.find_iter(text))
        .any(|m| number_ok(m.start()))
    {
        return true;
    }
    POSTCODE_RE.captures_iter(text).any(|caps| {
        let (Some(whole), Some(town)) = (caps.get(0), caps.get(1)) else {
            return false;
        };
        if !number_ok(whole.start()) {
            return false;
        }
        let town = town.as_str().trim_end_matches(['-', '\'']);
        let letters = town.chars().filter(|c| c.is_alphabetic()).count();
        let shape_ok = match word_shape(town) {
            Shape::Title => true,
            Shape::Caps => letters >= 3,
            Shape::Other => false,
        };
        shape_ok && !POSTCODE_STOP_SET.contains(fold(town).as_str())
    })
}

// ---------------------------------------------------------------------------------------------
// Person names

static FIRST_NAMES: LazyLock<HashSet<String>> = LazyLock::new(|| {
    include_str!("prenoms.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(fold)
        .collect()
});

/// Capitalised words that follow a first name without being a surname: function words,
/// sentence starters, days, months, institutions and tools named in reflections. Folded.
const NOT_SURNAMES: &[&str] = &[
    // pronouns, articles, prepositions, conjunctions
    "je j tu il elle on nous vous ils elles le la les l un une des du de d ce cet cette ces mon",
    "ma mes ton ta tes son sa ses notre votre nos vos leur leurs et mais ou donc or ni car puis",
    "alors quand si que qui quoi a au aux avec pour par sur sans chez dans en depuis pendant",
    "apres avant vers entre comme lui moi toi eux y ne pas plus tres trop bien mal aussi encore",
    "deja toujours jamais tout tous toute toutes rien personne chaque c ca cela ici la-bas oui",
    "non ok okay est etait sera a-t-il va vient",
    // greetings and chat reactions
    "merci bonjour bonsoir salut coucou bravo super top genial parfait cool hello hey bref",
    "enfin voila attention rappel note ps nb re rdv ras cr sms mms tel mail email e-mail",
    // time words
    "aujourd'hui demain hier matin soir midi apres-midi semaine mois lundi mardi mercredi jeudi",
    "vendredi samedi dimanche janvier fevrier mars avril mai juin juillet aout septembre",
    "octobre novembre decembre noel paques",
    // institutions, programmes, tools and places
    "mission missions locale locales ml emploi travail france pole connect meet teams zoom",
    "tchap whatsapp snapchat instagram facebook messenger discord signal telegram tiktok",
    "linkedin google microsoft skype visio jitsi webex cej pacea cv caf cpam rsa ants jeunes",
    "jeune nationale national numerique conseil departement region ville mairie centre maison",
    "pays loire sarthe mayenne nord sud ouest cedex atelier seance session bilan fiche kit",
    "parcours app application appli",
    // words that open a note right after a name ("Jade Bonne nouvelle…", "Nathan Absent")
    "bonne bon belle beau nouvelle nouveau excellent excellente vraiment absent absente present",
    "presente motive motivee ravi ravie content contente injoignable joignable suite retour",
    "point question besoin objectif prochain prochaine premier premiere dernier derniere",
    "rappeler relancer voir envoyer attente urgent important info infos moins peu beaucoup",
    "appel message ddn nir iban rib",
    // titles after a civility ("Monsieur le Maire")
    "maire directeur directrice president presidente prefet ministre depute deputee conseiller",
    "conseillere docteur dr maitre professeur",
];

/// Capitalised particles that may stand between a first name and a surname ("Le Goff").
const PARTICLES: &[&str] = &[
    "le la de du des van von der den ben bin el al ait da dos di del della mac mc ter ten abou",
    "abdel ould",
];

/// Words after which a first name belongs to a place or an institution ("lycée Victor Hugo").
const PLACE_WORDS: &[&str] = &[
    "lycee college ecole rue avenue boulevard bd av place allee impasse quai chemin route cours",
    "square salle espace centre maison gymnase stade residence cite quartier mediatheque",
    "bibliotheque fondation federation association hopital clinique institut universite campus",
    "pole parc jardin piscine theatre cinema musee foyer social saint sainte st ste prix promo",
    "promotion station metro gare aeroport port pont halle club complexe tour batiment bat",
    "villa hameau lotissement domaine agence antenne groupe groupement aire",
];

/// Acronyms and words that appear in capitals before a first name without being a surname
/// ("RDV Kevin demain"). Folded.
const NOT_CAPS_SURNAMES: &[&str] = &[
    "rdv ras sms mms tel cv cej ml pacea ppae caf cpam rsa apl aah mdph bts cap bep bac dut but",
    "iut cfa afpa greta esat epide e2c snu bafa sst caces fle delf arml unml aptic cidj pij bij",
    "ccas pmi ase pjj spip qpv msa urssaf ants ofii cada chrs fjt crous vae cpf poei pmsmp iae",
    "siae aci jdc pe ft ok top mail visio wifi pc pdf url qr faq tv rgpd cnil nb ps cr asap",
    "info infos super merci bravo urgent important oui non rappel atelier bilan appel point",
    "suivi entretien absent absente present presente rq nota vu fait a ddn dn nir iban rib cni",
    "ss secu mob port adresse nom prenom age ne nee hs pb jpo cdd cdi smic sas sarl asso tp td",
    "qcm stage job go ko mo",
];

/// The word lists above hold space-separated words per line, to keep them readable.
fn word_set(lines: &[&'static str]) -> HashSet<&'static str> {
    lines.iter().flat_map(|l| l.split_whitespace()).collect()
}

static POSTCODE_STOP_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(POSTCODE_STOP));
static NOT_SURNAME_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(NOT_SURNAMES));
static PARTICLE_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(PARTICLES));
static PLACE_WORD_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(PLACE_WORDS));
static NOT_CAPS_SURNAME_SET: LazyLock<HashSet<&str>> =
    LazyLock::new(|| word_set(NOT_CAPS_SURNAMES));

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Upper-case first letter, some lower case after ("Inès", "McDonald").
    Title,
    /// Two or more letters, all upper case ("MARTIN").
    Caps,
    Other,
}

fn word_shape(word: &str) -> Shape {
    let mut letters = word.chars().filter(|c| c.is_alphabetic());
    let Some(first) = letters.next() else {
        return Shape::Other;
    };
    if !first.is_uppercase() {
        return Shape::Other;
    }
    let rest: Vec<char> = letters.collect();
    if rest.is_empty() {
        Shape::Other
    } else if rest.iter().all(|c| c.is_uppercase()) {
        Shape::Caps
    } else {
        Shape::Title
    }
}

static WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\p{L}[\p{L}\p{M}'\-]*").expect("word pattern is valid"));

struct Token<'a> {
    word: &'a str,
    start: usize,
    end: usize,
}

impl Token<'_> {
    fn shape(&self) -> Shape {
        word_shape(self.word)
    }
    fn folded(&self) -> String {
        fold(self.word)
    }
}

fn tokens(text: &str) -> Vec<Token<'_>> {
    WORD.find_iter(text)
        .map(|m| {
            let trimmed = m.as_str().trim_end_matches(['\'', '-']);
            // Elided articles: "d'Inès", "l'Inès" are about "Inès".
            let word = ["d'", "l'", "j'", "qu'", "D'", "L'", "J'", "Qu'"]
                .iter()
                .find_map(|p| trimmed.strip_prefix(p).filter(|w| !w.is_empty()))
                .unwrap_or(trimmed);
            Token {
                word,
                start: m.start() + (trimmed.len() - word.len()),
                end: m.start() + trimmed.len(),
            }
        })
        .collect()
}

/// Two tokens are adjacent when only spaces or tabs separate them (no punctuation, no line
/// break): "Kevin, Martin" and "Kevin\nMerci" are not a name.
fn adjacent(text: &str, a: &Token, b: &Token) -> bool {
    if b.start <= a.end {
        return false;
    }
    let gap = &text[a.end..b.start];
    !gap.is_empty() && gap.len() <= 3 && gap.chars().all(|c| c == ' ' || c == '\t')
}

fn is_first_name(word: &str) -> bool {
    let folded = fold(word);
    if FIRST_NAMES.contains(&folded) {
        return true;
    }
    // "Jean-Baptiste", "Marie-Claire": the first part decides.
    folded
        .split_once('-')
        .is_some_and(|(head, _)| head.chars().count() >= 2 && FIRST_NAMES.contains(head))
}

/// A capitalised word that can be a surname after a first name or a civility.
fn surname_like(tok: &Token) -> bool {
    let folded = tok.folded();
    let letters = tok.word.chars().filter(|c| c.is_alphabetic()).count();
    if letters < 2 || NOT_SURNAME_SET.contains(folded.as_str()) {
        return false;
    }
    match tok.shape() {
        Shape::Title => true,
        Shape::Caps => !NOT_CAPS_SURNAME_SET.contains(folded.as_str()),
        Shape::Other => false,
    }
}

/// The surname after a first name or civility at `i`: either directly at `i + 1`, or
/// capitalised particles then a surname ("Le Goff", "Ben Salah", "De La Fontaine"). After a
/// civility the first gap may hold the abbreviation's dot ("M. Benali").
fn surname_follows(text: &str, toks: &[Token], i: usize, dotted: bool) -> Option<usize> {
    let mut j = i + 1;
    let mut prev = i;
    // Up to two particles ("De La Fontaine"), then the surname itself.
    for _ in 0..3 {
        let tok = toks.get(j)?;
        let linked = if prev == i && dotted {
            civility_gap(text, &toks[prev], tok)
        } else {
            adjacent(text, &toks[prev], tok)
        };
        if !linked {
            return None;
        }
        if tok.shape() != Shape::Other && PARTICLE_SET.contains(tok.folded().as_str()) {
            prev = j;
            j += 1;
        } else {
            return surname_like(tok).then_some(j);
        }
    }
    None
}

/// "M. Benali", "Mme. Dupont", "Madame Diallo": an optional dot, then spaces only.
fn civility_gap(text: &str, a: &Token, b: &Token) -> bool {
    if b.start <= a.end {
        return false;
    }
    let raw = &text[a.end..b.start];
    // "M.Benali" (dot, no space) still counts; "Mme,Dupont" does not.
    let (dotted, gap) = match raw.strip_prefix('.') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    (dotted || !gap.is_empty()) && gap.len() <= 3 && gap.chars().all(|c| c == ' ' || c == '\t')
}

/// A word in capitals that stands in a shouted run of capitals ("SUPER SÉANCE AVEC KEVIN").
fn in_caps_run(text: &str, toks: &[Token], first: usize, last: usize) -> bool {
    let caps_at = |k: usize| {
        toks.get(k)
            .is_some_and(|t| t.shape() == Shape::Caps && t.word.chars().count() >= 2)
    };
    let before = first
        .checked_sub(1)
        .is_some_and(|p| caps_at(p) && adjacent_or_punct(text, &toks[p], &toks[first]));
    let after = caps_at(last + 1) && adjacent_or_punct(text, &toks[last], &toks[last + 1]);
    before || after
}

fn adjacent_or_punct(text: &str, a: &Token, b: &Token) -> bool {
    b.start > a.end && b.start - a.end <= 4 && !text[a.end..b.start].contains('\n')
}

fn after_place_word(text: &str, toks: &[Token], i: usize) -> bool {
    i.checked_sub(1).is_some_and(|p| {
        adjacent(text, &toks[p], &toks[i]) && PLACE_WORD_SET.contains(toks[p].folded().as_str())
    })
}

fn is_civility(text: &str, toks: &[Token], i: usize) -> bool {
    let tok = &toks[i];
    match tok.word {
        // "M." must be written so; "Kevin M." is an initial, not a civility.
        "M" => {
            next_char(text, tok.end) == Some('.')
                && !i
                    .checked_sub(1)
                    .is_some_and(|p| adjacent(text, &toks[p], tok) && is_first_name(toks[p].word))
        }
        "Mr" | "MR" => true,
        _ => matches!(
            tok.folded().as_str(),
            "mme" | "mlle" | "mmes" | "monsieur" | "madame" | "mademoiselle"
        ),
    }
}

fn has_person_name(text: &str) -> bool {
    let toks = tokens(text);
    (0..toks.len()).any(|i| name_at(text, &toks, i))
}

/// Whether a person's name starts at token `i`.
fn name_at(text: &str, toks: &[Token], i: usize) -> bool {
    let tok = &toks[i];
    // Civility + capitalised word: "M. Benali", "Mme Dupont", "madame Diallo".
    if is_civility(text, toks, i) {
        return surname_follows(text, toks, i, true).is_some();
    }
    let shape = tok.shape();
    if shape == Shape::Other {
        return false;
    }
    // "Kevin Martin", "Kevin MARTIN", "Kevin Le Goff", "KEVIN MARTIN" (unless shouted).
    if is_first_name(tok.word) && !after_place_word(text, toks, i) {
        if let Some(j) = surname_follows(text, toks, i, false) {
            let caps_pair = shape == Shape::Caps && toks[j].shape() == Shape::Caps;
            if !caps_pair || !in_caps_run(text, toks, i, j) {
                return true;
            }
        }
    }
    // "DIALLO Inès": a surname in capitals before a title-case first name.
    shape == Shape::Caps
        && toks.get(i + 1).is_some_and(|next| {
            adjacent(text, tok, next)
                && next.shape() == Shape::Title
                && is_first_name(next.word)
                && surname_like(tok)
                && !in_caps_run(text, toks, i, i)
        })
}

#[cfg(test)]
mod tests {
    use super::PiiKind::{BirthDate, Email, Iban, Nir, PersonName, Phone, PostalAddress};
    use super::*;
    use std::time::{Duration, Instant};

    /// Tests pin the year so that the 14–30 window does not move under them.
    const YEAR: i32 = 2026;

    struct Case {
        input: &'static str,
        expected: &'static [PiiKind],
    }

    const fn case(input: &'static str, expected: &'static [PiiKind]) -> Case {
        Case { input, expected }
    }

    fn check(cases: &[Case]) {
        let mut failures = Vec::new();
        for c in cases {
            let got = scan_at(c.input, YEAR);
            if got != c.expected {
                failures.push(format!(
                    "{:?}\n   expected {:?}, got {:?}",
                    c.input, c.expected, got
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{} case(s) failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    const POSITIVE: &[Case] = &[
        // Phone numbers
        case(
            "Appel avec le jeune, il m'a laissé son numéro : 06 12 34 56 78 pour le rappeler.",
            &[Phone],
        ),
        case(
            "Rappeler au 0612345678 demain matin, il préfère le soir.",
            &[Phone],
        ),
        case(
            "Son portable 07.81.22.33.44 ne répond plus depuis lundi.",
            &[Phone],
        ),
        case("Numéro donné en fin d'appel : 06-45-12-98-33.", &[Phone]),
        case(
            "Elle est joignable au +33 6 12 34 56 78 après 18h.",
            &[Phone],
        ),
        case(
            "Passé sur WhatsApp : +33612345678, ça marche mieux que le SMS.",
            &[Phone],
        ),
        case("Contact noté : +33 (0)6 12 34 56 78.", &[Phone]),
        case(
            "Il est rentré en Guadeloupe, nouveau numéro +590 690 12 34 56.",
            &[Phone],
        ),
        case(
            "Suivi depuis La Réunion : +262 692 45 67 89, rappel jeudi.",
            &[Phone],
        ),
        case(
            "Sa famille est aux Comores, joignable au +269 339 12 34.56",
            &[Phone],
        ),
        case("Elle a donné le 0033 7 81 22 33 44 de sa mère.", &[Phone]),
        case("fixe de la famille : 02 43 12 34 56", &[Phone]),
        case(
            "numéro caché dans le message : 06\u{200B}12\u{200B}34\u{200B}56\u{200B}78",
            &[Phone],
        ),
        case(
            "Tél. : ０６ １２ ３４ ５６ ７８ (saisi depuis son téléphone)",
            &[Phone],
        ),
        // E-mail addresses
        case(
            "Il m'a écrit depuis kevin.martin93@gmail.com pour envoyer son CV.",
            &[Email],
        ),
        case("Adresse pour la convocation : ines_d@hotmail.fr", &[Email]),
        case(
            "Elle veut qu'on écrive à jeune.test [at] laposte [dot] net",
            &[Email],
        ),
        case("son mail : sarah.b(at)yahoo.fr, à vérifier", &[Email]),
        case("contact : yanis arobase outlook point fr", &[Email]),
        case("MAIL : TOTO.DUPONT@ORANGE.FR", &[Email]),
        // NIR
        case(
            "Pour son dossier CPAM il m'a dicté 1 85 05 78 006 084 91.",
            &[Nir],
        ),
        case("NIR : 185057800608491", &[Nir]),
        case("Numéro de sécu sans la clé : 2 98 03 75 115 042", &[Nir]),
        case(
            "Né en Corse, numéro 1 85 05 2A 006 084 35 pour la mutuelle.",
            &[Nir],
        ),
        case("sécu 2.05.03.69.123.456.96 transmise par erreur", &[Nir]),
        // Birth dates
        case(
            "Elle est née le 12/04/2006 à Cholet, elle cherche une alternance.",
            &[BirthDate],
        ),
        case(
            "Jeune homme né le 3 mars 2005, sorti du lycée en juin.",
            &[BirthDate],
        ),
        case("ddn : 14.02.2004, dossier complet", &[BirthDate]),
        case("Née en 2006, elle veut passer le permis.", &[BirthDate]),
        case(
            "Date de naissance : 01/09/1999 (à vérifier avec la CAF)",
            &[BirthDate],
        ),
        case(
            "Il est né le 12/04, on lui a souhaité en visio.",
            &[BirthDate],
        ),
        case(
            "Inscription à compléter : 25/11/2003, pièce d'identité manquante.",
            &[BirthDate],
        ),
        case("né(e) le 1er janvier 2008", &[BirthDate]),
        case(
            "Bientôt son anniversaire le 22 juin, il aura 18 ans.",
            &[BirthDate],
        ),
        case("12/04/06 (ddn) à reporter dans le dossier", &[BirthDate]),
        // Postal addresses
        case(
            "Il habite 12 rue des Lilas, au deuxième étage sans ascenseur.",
            &[PostalAddress],
        ),
        case(
            "Visite à domicile au 3 bis avenue Jean Jaurès la semaine prochaine.",
            &[PostalAddress],
        ),
        case(
            "Nouvelle adresse : 45, boulevard de la Liberté",
            &[PostalAddress],
        ),
        case(
            "Elle vit maintenant 7 impasse du Moulin, 72000 Le Mans.",
            &[PostalAddress],
        ),
        case(
            "Courrier revenu, il a déménagé à 53000 Laval.",
            &[PostalAddress],
        ),
        case(
            "Hébergé au 18 résidence Les Tilleuls chez sa tante.",
            &[PostalAddress],
        ),
        case(
            "On s'est vus devant chez lui, 5 place du Marché.",
            &[PostalAddress],
        ),
        case(
            "Adresse en Guadeloupe : 97100 Basse-Terre",
            &[PostalAddress],
        ),
        case("Logement trouvé 2 allée des Cerisiers !", &[PostalAddress]),
        case("colis envoyé au 14 CHEMIN DE LA CROIX", &[PostalAddress]),
        // IBAN
        case(
            "Pour l'aide financière, RIB : FR76 3000 6000 0112 3456 7890 189",
            &[Iban],
        ),
        case("IBAN FR7630006000011234567890189 reçu par SMS", &[Iban]),
        case("Compte belge de sa mère : BE68 5390 0754 7034", &[Iban]),
        case(
            "Il a commencé à dicter FR76 3000 4000 03 puis a raccroché.",
            &[Iban],
        ),
        case(
            "Compte allemand DE89 3704 0044 0532 0130 00 pour le virement",
            &[Iban],
        ),
        case("iban : fr76 3000 6000 0112 3456 7890 189", &[Iban]),
        case(
            "RIB avec lettres : FR14 2004 1010 0505 0001 3M02 606",
            &[Iban],
        ),
        // Person names
        case(
            "Appel avec Kevin Martin ce matin, très motivé.",
            &[PersonName],
        ),
        case(
            "Inès Diallo a trouvé un stage en boulangerie.",
            &[PersonName],
        ),
        case(
            "RDV avec Mme Dupont pour parler de son fils.",
            &[PersonName],
        ),
        case(
            "M. Benali a rappelé pour décaler l'entretien.",
            &[PersonName],
        ),
        case("KEVIN MARTIN absent au rendez-vous.", &[PersonName]),
        case(
            "DIALLO Inès en recherche d'emploi depuis mars.",
            &[PersonName],
        ),
        case(
            "Visio avec Kevin Le Goff, connexion difficile.",
            &[PersonName],
        ),
        case("Jean-Baptiste Durand a fini sa formation.", &[PersonName]),
        case("Échange par Tchap avec Yasmine BENALI.", &[PersonName]),
        case("madame Traoré est venue avec sa fille.", &[PersonName]),
        case(
            "Ine\u{301}s Diallo a rappelé (accent combinant).",
            &[PersonName],
        ),
        case("Mamadou Diarra n'avait plus de forfait.", &[PersonName]),
        case("Bilan avec Mlle Nguyen : positif.", &[PersonName]),
        case("Courrier adressé à M.Benali par erreur.", &[PersonName]),
        case("Appel d'Anaïs Lefèvre ce matin.", &[PersonName]),
        case("Mme LE GOFF a appelé pour son petit-fils.", &[PersonName]),
        case("Inès Ben Salah inscrite à l'atelier CV.", &[PersonName]),
        case(
            "Fatoumata N'Diaye très motivée pour la formation.",
            &[PersonName],
        ),
        case("Kevin MARTIN-DUPONT absent, à relancer.", &[PersonName]),
        case(
            "Elle est née le 12 avril, fête prévue à l'antenne.",
            &[BirthDate],
        ),
        case(
            "Date de naissance 12 04 2006 recopiée dans le dossier.",
            &[BirthDate],
        ),
        case("ddn 2006-04-12 (export i-milo)", &[BirthDate]),
        // Several kinds at once
        case(
            "Kevin Martin, 06 12 34 56 78, né le 3/4/2005.",
            &[Phone, BirthDate, PersonName],
        ),
        case(
            "Mme Diallo, 12 rue des Lilas 53000 Laval, ines.diallo@gmail.com",
            &[Email, PostalAddress, PersonName],
        ),
        case(
            "RIB FR76 3000 6000 0112 3456 7890 189 et sécu 2 98 03 75 115 042 08",
            &[Nir, Iban],
        ),
    ];

    const NEGATIVE: &[Case] = &[
        case(
            "Super séance aujourd'hui, 3 jeunes sur 10 ont répondu au SMS.",
            &[],
        ),
        case(
            "RDV de 45 min en visio le 12/03 à 14h, bonne dynamique.",
            &[],
        ),
        case(
            "Mardi 3/12 : atelier CV avec Inès, elle était motivée.",
            &[],
        ),
        case(
            "Le 12 mars, on a testé Google Meet avec la Mission Locale.",
            &[],
        ),
        case(
            "Pôle Emploi et France Travail : les jeunes confondent encore les deux.",
            &[],
        ),
        case(
            "Les Bons Clics : bon outil pour évaluer le niveau numérique.",
            &[],
        ),
        case("Expérimentation en Pays de la Loire depuis 2020.", &[]),
        case("Aidants Connect : un mandat d'un an maximum.", &[]),
        case("Fiche utilisée : #fiche:sms-rappel, très bien reçue.", &[]),
        case("Salle Marie Curie réservée pour l'atelier de jeudi.", &[]),
        case(
            "Lien de la visio : https://meet.google.com/abc-defg-hij",
            &[],
        ),
        case("80 % des jeunes préfèrent le SMS au mail.", &[]),
        case("Kevin M. a rappelé, tout va bien.", &[]),
        case("Séance du 15 mars 2026 : 12 participants.", &[]),
        case("On a envoyé 7000 SMS et 4000 e-mails en deux mois.", &[]),
        case("Créneau de 18h à 20h, le soir ça marche mieux.", &[]),
        case("Appel de 20 minutes, puis visio de 1h30.", &[]),
        case("Le projet est né en 2020 pendant le confinement.", &[]),
        case("Inès et Sarah sont venues ensemble à l'atelier.", &[]),
        case("Merci Kevin ! Super échange.", &[]),
        case("Super Séance Avec Les Jeunes De Sarthe Nord", &[]),
        case("Fiche « Garder Le Lien Par SMS » testée avec Yanis.", &[]),
        case("Programme CEJ : 15 à 20 h d'activité par semaine.", &[]),
        case("3 cours de maths et 2 place libres pour l'atelier.", &[]),
        case("On a lu 3 bd ensemble pendant l'attente.", &[]),
        case("Rendez-vous rue de la Paix, devant l'antenne.", &[]),
        case("Salle 204, bâtiment B, 2e étage.", &[]),
        case(
            "Version 1.2.10 de l'appli CEJ installée sur son téléphone.",
            &[],
        ),
        case("Taux de réponse : 45,5 % contre 30 % en janvier.", &[]),
        case("Atelier du 06/12/2024 14h : bilan positif.", &[]),
        case("Entre 22h et 6h, la moitié des connexions.", &[]),
        case(
            "Rendez-vous au lycée Victor Hugo avec la classe de 1re.",
            &[],
        ),
        case("Sarthe Nord, Mayenne et Choletais ont participé.", &[]),
        case("Ce trimestre on est passés à 10000 SMS envoyés.", &[]),
        case("La jeune a 19 ans et cherche un CAP.", &[]),
        case("Référence de la fiche : 2024-03-12-rappel", &[]),
        case("Score 3/4 au quiz des Bons Clics.", &[]),
        case("RDV Kevin demain 10h.", &[]),
        case("SUPER SÉANCE AVEC KEVIN AUJOURD'HUI", &[]),
        case(
            "Mission Locale du Choletais, 600 salariés en Pays de la Loire.",
            &[],
        ),
        case("Il a eu son anniversaire hier, on a fêté ça.", &[]),
        case("Tchap : salon #equipe-sarthe-nord créé pour l'équipe.", &[]),
        case("Ticket n° 123456789 ouvert auprès du support.", &[]),
        case("1 jeune sur 5 n'a pas d'adresse e-mail.", &[]),
        case("En 2019-2020, expérimentation de 6 mois.", &[]),
        case(
            "La Mission Locale de Rambouillet a formé 12 conseillers.",
            &[],
        ),
        case("Rappel : ne pas noter de numéro de téléphone ici.", &[]),
        case("Emmaüs Connect propose des recharges solidaires.", &[]),
        case("Prochaine séance le 03.04 à 9h30, salle Simone Veil.", &[]),
        case("On se retrouve à 14h30 place de la République.", &[]),
        case("Grâce à Inès, l'atelier a bien marché.", &[]),
        case("Marine Nationale : présentation des métiers jeudi.", &[]),
        case("Jeudi 4 avril : 8 jeunes inscrits, 6 présents.", &[]),
        case("ID de réunion Zoom : 845 2231 9087", &[]),
        case("Le 12/03 à 14h, puis le 19/03 à 10h.", &[]),
        case("Clé fausse, donc pas un NIR : 1 85 05 78 006 084 36", &[]),
        case("Il ne viendra pas le 12/04, il a un entretien.", &[]),
        case(
            "Elle m'a écrit sur @ines:tchap.gouv.fr pendant la réunion.",
            &[],
        ),
        case("98 % des 18–24 ans ont un smartphone.", &[]),
        case("RDV le 12/03 place Carnot devant l'antenne.", &[]),
        case("Nous étions 4 : Kevin, Inès, Sarah et Yanis.", &[]),
        case("Appel manqué à 06h12, rappelé à 07h45.", &[]),
        case("Aïcha DDN inconnue, dossier en attente.", &[]),
        case("Jade Bonne nouvelle elle a signé son contrat !", &[]),
        case("Kevin CDI signé !", &[]),
        case("Export du 2025-03-12 envoyé à la coordinatrice.", &[]),
        case("Monsieur le Directeur est passé saluer l'équipe.", &[]),
        case("Inès Pôle Emploi demain 9h.", &[]),
        case("Avec Camille Mission Locale de Laval on a co-animé.", &[]),
        case("Sarah Jeudi absente, à relancer.", &[]),
        case("Le jeune (Kevin) est né en Guinée et arrivé en 2022.", &[]),
        case("Elle est née à Laval et a grandi à Cholet.", &[]),
        case("SIRET de l'entreprise d'accueil : 123 456 789 00012", &[]),
    ];

    #[test]
    fn positive_examples_report_exact_kinds() {
        assert!(POSITIVE.len() >= 45);
        check(POSITIVE);
    }

    #[test]
    fn negative_examples_report_nothing() {
        assert!(NEGATIVE.len() >= 45);
        check(NEGATIVE);
    }

    /// Behaviour chosen on purpose at the edges; see the module doc.
    #[test]
    fn documented_trade_offs() {
        check(&[
            // A first name alone, or with an initial, is accepted.
            case("Inès a rappelé, Kevin M. aussi.", &[]),
            // A listed first name before a capitalised word that is not a stop word reads as a
            // name, brands and famous people included (but "salle Simone Veil" does not).
            case("Stage trouvé chez Hugo Boss.", &[PersonName]),
            case(
                "Marie Curie et Simone Veil sont les noms des salles.",
                &[PersonName],
            ),
            // A surname without a listed first name or civility is missed.
            case("Diallo a rappelé ce matin.", &[]),
            // A full date in the 14–30 window is a birth date even without a cue.
            case("Rapport d'activité du 12/05/2010 relu.", &[BirthDate]),
            // A bare year after a cue must be at least ten years back.
            case("Sa fille est née en 2024.", &[]),
            case("Il est né en 2014.", &[BirthDate]),
            // A phone number is flagged whoever it belongs to.
            case("Standard de la Mission Locale : 02 43 00 00 00", &[Phone]),
            // A street without a house number is a meeting point, not an address.
            case("On se retrouve avenue de la Libération.", &[]),
        ]);
    }

    #[test]
    fn birth_window_follows_the_given_year() {
        // 14 to 30 years old in 2026: born 1996..=2012.
        assert_eq!(scan_at("le 01/01/2012", 2026), vec![BirthDate]);
        assert_eq!(scan_at("le 01/01/2013", 2026), vec![]);
        assert_eq!(scan_at("le 31/12/1996", 2026), vec![BirthDate]);
        assert_eq!(scan_at("le 31/12/1995", 2026), vec![]);
        // Four years later, 2013 is in the window.
        assert_eq!(scan_at("le 01/01/2013", 2030), vec![BirthDate]);
        // A session date of the current year never is.
        assert_eq!(scan_at("séance du 12 mars 2030", 2030), vec![]);
    }

    #[test]
    fn scan_uses_a_year_no_earlier_than_the_reference() {
        let year = current_year();
        assert!(year >= REFERENCE_YEAR);
        let text = "Elle est née le 12/04/2006, 06 12 34 56 78";
        assert_eq!(scan(text), scan_at(text, year));
    }

    #[test]
    fn civil_year_matches_known_days() {
        assert_eq!(civil_year(0), 1970);
        assert_eq!(civil_year(-1), 1969);
        // 2026-01-01 is day 20454; 2025-12-31 is the day before.
        assert_eq!(civil_year(20_454), 2026);
        assert_eq!(civil_year(20_453), 2025);
        // 2000-02-29, a leap day in a century leap year.
        assert_eq!(civil_year(11_016), 2000);
    }

    #[test]
    fn two_digit_years_expand_around_the_current_year() {
        assert_eq!(expand_two_digit_year(6, 2026), 2006);
        assert_eq!(expand_two_digit_year(26, 2026), 2026);
        assert_eq!(expand_two_digit_year(27, 2026), 1927);
        assert_eq!(expand_two_digit_year(98, 2026), 1998);
    }

    #[test]
    fn checksums_accept_valid_and_reject_altered_numbers() {
        let iban = |s: &str| {
            let chars: Vec<char> = s.chars().filter(|c| *c != ' ').collect();
            iban_mod97(&chars)
        };
        assert!(iban("FR76 3000 6000 0112 3456 7890 189"));
        assert!(iban("GB29 NWBK 6016 1331 9268 19"));
        assert!(!iban("FR76 3000 6000 0112 3456 7890 188"));
        assert!(!iban("FR76"));
        // A full-length French IBAN with a wrong check is not reported.
        assert_eq!(scan_at("FR76 3000 6000 0112 3456 7890 188", YEAR), vec![]);
        // Unknown country: only a valid checksum counts.
        assert_eq!(scan_at("code AB12 3456 7890 1234 5678", YEAR), vec![]);

        let nir = |s: &str| valid_nir(s, 0, s.len());
        assert!(nir("185057800608491"));
        assert!(!nir("185057800608492"));
        assert!(nir("185052A00608435"));
        assert!(nir("1850578006084"));
        // Month 13 does not exist.
        assert!(!nir("1851378006084"));
        // Glued to other digits: part of a longer number.
        assert!(!valid_nir("91850578006084", 1, 14));
    }

    #[test]
    fn labels_are_french_and_distinct() {
        let all = [
            Phone,
            Email,
            Nir,
            BirthDate,
            PostalAddress,
            Iban,
            PersonName,
        ];
        let labels: HashSet<&str> = all.iter().map(|k| k.label_fr()).collect();
        assert_eq!(labels.len(), all.len());
        assert_eq!(Iban.label_fr(), "un IBAN");
        assert_eq!(labels_fr(&[]), "");
        assert_eq!(labels_fr(&[Phone]), "un numéro de téléphone");
        assert_eq!(
            labels_fr(&[Phone, Email, PersonName]),
            "un numéro de téléphone, une adresse e-mail et un nom et prénom"
        );
    }

    #[test]
    fn first_name_list_is_large_and_clean() {
        assert!(
            FIRST_NAMES.len() >= 300,
            "only {} first names",
            FIRST_NAMES.len()
        );
        for risky in [
            "france", "avril", "noel", "paris", "mission", "pole", "google", "super",
        ] {
            assert!(
                !FIRST_NAMES.contains(risky),
                "{risky} must not be a first name"
            );
        }
        let lists = [
            NOT_SURNAMES,
            PLACE_WORDS,
            NOT_CAPS_SURNAMES,
            PARTICLES,
            POSTCODE_STOP,
        ];
        for word in lists.iter().flat_map(|l| word_set(l)) {
            assert_eq!(fold(word), *word, "stop lists are stored folded");
        }
    }

    #[test]
    fn results_are_sorted_and_deduplicated() {
        let text = "Kevin Martin 06 12 34 56 78 et Inès Diallo 07 81 22 33 44, \
                    kevin@example.fr, ines@example.fr, née le 12/04/2006";
        assert_eq!(
            scan_at(text, YEAR),
            vec![Phone, Email, BirthDate, PersonName]
        );
    }

    #[test]
    fn odd_unicode_is_normalised_and_never_panics() {
        check(&[
            // Zero-width spaces, joiners and bidi marks inside a phone number.
            case(
                "tel 06\u{200B} 12\u{200D} 34\u{2060} 56\u{FEFF} 78",
                &[Phone],
            ),
            case("\u{202E}06 12 34 56 78\u{202C}", &[Phone]),
            // No-break and narrow no-break spaces as separators.
            case("06\u{00A0}12\u{00A0}34\u{202F}56\u{202F}78", &[Phone]),
            // Soft hyphen inside a name, combining accents, typographic apostrophe.
            case(
                "Appel d\u{2019}Ine\u{0301}s Dial\u{00AD}lo ce matin",
                &[PersonName],
            ),
            // Emoji, RTL text and combining marks alone carry nothing.
            case("Super séance 🎉🔥👍🏽 avec les jeunes ✨", &[]),
            case("مرحبا، الجلسة كانت جيدة 12 شخص", &[]),
            case("e\u{0301}\u{0301}\u{0301} a\u{0338} \u{0301}", &[]),
            case("👨‍👩‍👧‍👦 famille 🇫🇷 drapeau", &[]),
        ]);
        // Every prefix of a nasty string, cut at each char boundary.
        let nasty =
            "né le 1\u{200B}2/0\u{0301}4/2006 📞 +33\u{00A0}6 12 34 56 78 \u{202E}FR76 3000 \
                     Mme Dupont 12 rue des Lilas 🏠 ١٢٣ ＦＲ７６ ２A";
        for (i, _) in nasty.char_indices() {
            let _ = scan_at(&nasty[..i], YEAR);
            let _ = scan_at(&nasty[i..], YEAR);
        }
    }

    /// Deterministic pseudo-random texts built from the pieces the detectors look at.
    #[test]
    fn random_texts_never_panic() {
        const PIECES: &[&str] = &[
            "0", "6", "1", "2", "9", "A", "B", " ", ".", "-", "/", "+33", "(0)", "@", "[at]", "né",
            "née ", "ddn", "rue ", "Mme", "M.", "Kevin", "INÈS", "Diallo", "FR76", "2A",
            "\u{200B}", "\u{0301}", "é", "🎉", "\u{202E}", "١", "\n", "'", "’", "de la ", "mars ",
            "1er ", "75011 ", "Paris", "bis ", "place ", "Le ", "\u{00A0}",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..2_000 {
            let len = (next() % 40) as usize;
            let text: String = (0..len)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            let kinds = scan_at(&text, YEAR);
            assert!(
                kinds.windows(2).all(|w| w[0] < w[1]),
                "unsorted for {text:?}"
            );
        }
    }

    #[test]
    fn large_inputs_are_scanned_quickly() {
        let filler = "Super séance 🎉 avec Inès, 3 jeunes sur 10, rdv de 45 min le 12/03 à 14h. ";
        let inputs = [
            filler.repeat(64 * 1024 / filler.len() + 1),
            "0 ".repeat(32 * 1024),
            "06 12 34 56 7".repeat(5_000),
            "1 8 5 0 5 7 8 ".repeat(4_700),
            "née le 12/04 ".repeat(5_000),
            format!("née. {}", "le 12/03 ".repeat(7_300)),
            format!("{} ddn", "12/03 : ".repeat(8_200)),
            "Kevin ".repeat(11_000),
            "KEVIN ".repeat(11_000),
            "M. ".repeat(22_000),
            "FR76 ".repeat(13_000),
            "a@".repeat(32 * 1024),
            "x [at] y [dot] ".repeat(4_500),
            "12 rue ".repeat(9_300),
            "\u{200B}".repeat(21_000),
            "e\u{0301}".repeat(21_000),
        ];
        for input in &inputs {
            assert!(input.len() >= 60 * 1024, "input too small: {}", input.len());
            let start = Instant::now();
            let _ = scan_at(input, YEAR);
            let took = start.elapsed();
            // Generous for an unoptimised test build on a shared machine; measured far lower.
            assert!(
                took < Duration::from_secs(5),
                "{took:?} for {:?}…",
                &input.chars().take(20).collect::<String>()
            );
        }
    }
}
