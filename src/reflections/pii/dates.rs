//! Birth dates: a date after a birth cue ("née le 12/04", "ddn : 14.02.2004", "née le douze
//! mars deux mille six" once spelled numbers are digits), or a full date that makes the person
//! 14 to 30 years old unless an official text or a meeting owns it ("loi du 5 mars 2007").

use super::fold;
use super::numbers::{clause_before, head};
use super::{Findings, PiiKind};
use regex::Regex;
use std::sync::LazyLock;

/// Youngest and oldest ages, in years, for which a full date alone counts as a birth date.
const AGE_WINDOW: (i32, i32) = (14, 30);

/// A bare year after a cue counts only when it is at least this many years back.
const BARE_YEAR_MIN_AGE: i32 = 10;

pub(super) fn detect(text: &str, now: i32, found: &mut Findings) {
    if has_birth_date(text, now) {
        found.sure(PiiKind::BirthDate);
    }
}

const MONTHS: &str = "janvier|janv|février|fevrier|févr|fevr|fév|fev|mars|avril|avr|mai|juin|juillet|juil|août|aout|septembre|sept|sep|octobre|oct|novembre|nov|décembre|decembre|déc|dec";

static NUMERIC_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)([0-9]{1,2})[/.\-]([0-9]{1,2})(?:[/.\-]([0-9]{4}|[0-9]{2}))?(?-u:\b)")
        .expect("numeric date pattern is valid")
});

/// "12 04 2006": spaces only with two-digit day and month and a four-digit year.
static SPACED_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)([0-9]{2}) ([0-9]{2}) ((?:19|20)[0-9]{2})(?-u:\b)")
        .expect("spaced date pattern is valid")
});

/// "2006-04-12" (ISO, as forms and exports write it).
static ISO_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)((?:19|20)[0-9]{2})-([0-9]{2})-([0-9]{2})(?-u:\b)")
        .expect("ISO date pattern is valid")
});

static TEXT_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)(?-u:\b)(1er|premier|[0-9]{{1,2}})\s+(?:{MONTHS})(?-u:\b)\.?(?:\s+([0-9]{{4}})(?-u:\b))?"
    ))
    .expect("text date pattern is valid")
});

static BARE_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(?:19|20)[0-9]{2}(?-u:\b)").expect("year pattern is valid")
});

/// "en 05", "en 98": a year written with two digits after "en".
static SHORT_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)en ([0-9]{2})(?-u:\b)[^0-9:h%]").expect("short year pattern is valid")
});

static BIRTH_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:née?s?|nees?|(?:est|suis|etait|était|jeune) nee?|naissance|naiss|ddn|d\.d\.n|anniversaire|anniv|(?:aura|fêtera|fetera|fête|fete|a eu|avoir|a fêté|a fete) (?:ses )?[1-3][0-9] ans)(?:[^\p{L}\p{N}_]|$)")
        .expect("birth cue pattern is valid")
});

/// Words that start a new clause: a cue before them does not reach a date after them.
static CLAUSE_BREAK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[.!?;\n]|(?-u:\b)(?:et|mais|puis|donc|alors|car|ensuite)(?-u:\b)")
        .expect("clause pattern is valid")
});

/// Words before a date that make it the date of a text, a meeting or an event, not a birth.
static DOCUMENT_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(?:loi|lois|decret|arrete|circulaire|ordonnance|directive|reglement|jugement|decision|deliberation|avenant|reforme|rapport|compte[- ]rendu|cr|reunion|seance|atelier|convention|accord|contrat|signee?|version|mise a jour|depuis|export|fichier|document|courrier|lettre|mail|note|circulaire|bilan|enquete|etude|programme|plan|charte|journal officiel|jo|bo|demarrage|lancement|creation|ouverture|fondation|inauguration|fermeture|debut|fin|date|entre|partir|jusqu'au|avant|apres|depuis le)(?-u:\b)")
        .expect("document context pattern is valid")
});

/// An organisation right after a date makes it the organisation's ("le 03/03/2003 de la
/// Mission Locale").
static ORG_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:,\s*)?(?:de la|du|de l'|des)\s+(?:mission locale|ml|antenne|structure|association|loi|decret|dispositif|programme|reforme|cej|garantie)")
        .expect("organisation-after pattern is valid")
});

/// At most `max` bytes of `text` from `at`, stopping before a sentence end.
fn clause_after(text: &str, at: usize, max: usize) -> &str {
    let window = head(text, at, max);
    match window.find(['.', '!', '?', '\n', ';']) {
        Some(i) => &window[..i],
        None => window,
    }
}

/// Subjects that are born without being people ("l'idée est née le 3 mars").
static BORN_THING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(?:idee|projet|dispositif|atelier|initiative|partenariat|association|structure|collectif|groupe|concept|action|programme|reseau|service|application|appli|plateforme|envie|besoin|demarche|experimentation|fiche|outil|methode|collaboration|relation|ami(?:tie)?s?|discussion|question|reflexion|equipe|page|site|entreprise|boite|start-?up|dynamique|habitude|pratique|loi|dispositif|mouvement|idees|projets|envies|garantie|cej|pacea|kit|mission locale|ml|antenne|structure|asso|permanence|visio|salle|local|club|chaine|compte|podcast|newsletter|journal|blog|evenement|festival|forum|salon|seance|reunion|conseil|comite|charte|convention|offre|formation)(?-u:\b)")
        .expect("born thing pattern is valid")
});

/// A "né"/"née" whose subject, in the clause before it, is a thing rather than a person; a
/// plural "nés" about a group ("les jeunes nés en 2006"); a "naissance" or "anniversaire" of a
/// thing ("naissance du groupe", "anniversaire des 40 ans de la ML").
fn born_thing(text: &str, at: usize, cue: &str) -> bool {
    let cue = fold(cue);
    let cue = cue.trim_end_matches(|c: char| !c.is_alphanumeric());
    let cue = ["est ", "suis ", "etait ", "jeune "]
        .iter()
        .find_map(|p| cue.strip_prefix(p))
        .unwrap_or(cue);
    if cue.starts_with('n') && !cue.starts_with("naiss") {
        return cue.ends_with('s') || BORN_THING.is_match(&fold(clause_before(text, at, 40)));
    }
    let after = fold(head(text, at + cue.len(), 40));
    OF_A_THING.is_match(&after)
}

/// "l'asso est née le 1er octobre 1998": a full date right after a thing's "née" is its founding.
fn thing_born_before(text: &str, at: usize) -> bool {
    let before = fold(clause_before(text, at, 50));
    let Some(pos) = before
        .rfind(" ne")
        .filter(|&p| before[p + 3..].starts_with(['e', ' ']) || before[p + 3..].trim().is_empty())
    else {
        return false;
    };
    BORN_THING.is_match(&before[..pos])
}

/// "naissance du groupe…", "anniversaire des 40 ans…", "anniversaire de la structure".
static OF_A_THING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:du|de la|de l'|des|de|d')\s*(?:[0-9]+ ans|(?:idee|projet|dispositif|atelier|initiative|partenariat|association|structure|collectif|groupe|concept|action|programme|reseau|service|application|appli|plateforme|site|kit|mission locale|ml|antenne|cej|garantie|entreprise|equipe|salon|forum|page|compte|boite|maison|centre|local|locaux)(?-u:\b))")
        .expect("of-a-thing pattern is valid")
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
    if candidates.iter().any(|c| {
        matches!(c.shape, DateShape::Full(y) if (now - oldest..=now - youngest).contains(&y))
            && !DOCUMENT_CONTEXT.is_match(&fold(clause_before(text, c.start, 40)))
            && !thing_born_before(text, c.start)
            && !ORG_AFTER.is_match(&fold(clause_after(text, c.end, 40)))
    }) {
        return true;
    }
    // Whether a "né" is about a thing is only asked of the cue next to a date.
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
    if let Some(&(cue_start, cue_end)) = idx.checked_sub(1).and_then(|i| cues.get(i)) {
        let gap = &text[cue_end..date.start];
        // Byte length first: counting the characters of a long gap for every date would make
        // the scan quadratic.
        if gap.len() <= 4 * 30
            && gap.chars().count() <= 30
            && !CLAUSE_BREAK.is_match(gap)
            && !born_thing(text, cue_start, &text[cue_start..cue_end])
        {
            return true;
        }
    }
    let after = cues.partition_point(|&(start, _)| start < date.end);
    if let Some(&(cue_start, cue_end)) = cues.get(after) {
        let gap = &text[date.end..cue_start];
        if gap.len() <= 4 * 4
            && gap.chars().count() <= 4
            && gap.chars().all(|c| !c.is_alphanumeric())
            && !gap.contains('\n')
            && !born_thing(text, cue_start, &text[cue_start..cue_end])
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
                // month ("12/04/06"); "5/6/07" with slashes counts only after a birth cue.
                if d.as_str().len() != 2 || m.as_str().len() != 2 {
                    if whole.as_str().contains('/') {
                        out.push(DateCandidate {
                            start: whole.start(),
                            end: whole.end(),
                            shape: DateShape::Partial,
                        });
                    }
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
        let day = if d.as_str().eq_ignore_ascii_case("1er")
            || d.as_str().eq_ignore_ascii_case("premier")
        {
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
    // "né en 05": a two-digit year after "en" (a birth only after a cue, like a bare year).
    for caps in SHORT_YEAR.captures_iter(text) {
        let (Some(whole), Some(yy)) = (caps.get(0), caps.get(1)) else {
            continue;
        };
        if let Ok(yy) = yy.as_str().parse::<i32>() {
            out.push(DateCandidate {
                start: whole.start(),
                end: whole.end(),
                shape: DateShape::Year(expand_two_digit_year(yy, now)),
            });
        }
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
pub(super) fn expand_two_digit_year(yy: i32, now: i32) -> i32 {
    let century = now - now.rem_euclid(100);
    if yy <= now.rem_euclid(100) {
        century + yy
    } else {
        century - 100 + yy
    }
}
