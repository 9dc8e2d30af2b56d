//! Postal addresses: a house number and a street type ("12 rue des Lilas", "3 av. Foch",
//! "12 r. des Lilas"), or a postcode and a town ("53000 Laval"). An address introduced as an
//! organisation's ("à la Mission Locale, 5 rue du Commerce") is not a person's.

use super::numbers::{clause_before, ORG_CUE, PERSONAL_CUE};
use super::{fold, prev_char, word_set, word_shape, Findings, PiiKind, Shape};
use regex::Regex;
use std::collections::HashSet;
use std::sync::LazyLock;

pub(super) fn detect(text: &str, found: &mut Findings) {
    if has_postal_address(text) {
        found.sure(PiiKind::PostalAddress);
    }
}

const STREET_STRONG: &str = "rue|avenue|boulevard|chemin|allée|allee|impasse|route|quai|résidence|residence|lotissement|faubourg|chaussée|chaussee|ruelle|venelle|sentier|hameau|lieu-dit|lieudit|rte|blvd|bld|bvd";
const STREET_WEAK: &str = "place|cours|square|passage|villa|domaine|clos|cité|cite|parvis|esplanade|promenade|mail|voie|zone|za|zi|zac|rond-point|lot";
/// Abbreviated street types: an article or a capitalised name after them is enough
/// ("12 r. des Lilas", "3 av Foch", "8 bd de la Liberté", "4 imp. du Moulin").
const STREET_SHORT: &str = "r|av|ave|bd|bld|boul|imp|all|ch|chem|pl|sq|fg|fbg|rés|res|lotiss|rte";
const HOUSE_NUMBER: &str = r"(?-u:\b)[0-9]{1,4}(?:\s?(?i:bis|ter|quater|[abc]))?\s*,?\s+";

/// Number + unambiguous street type + any word ("12 rue des lilas").
static STREET_STRONG_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"{HOUSE_NUMBER}(?i:{STREET_STRONG})\.?\s+[\p{{L}}0-9]"
    ))
    .expect("street pattern is valid")
});

/// Number + street type that is also a common word + capitalised name ("3 place Carnot").
static STREET_WEAK_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"{HOUSE_NUMBER}(?i:{STREET_WEAK})\.?\s+(?:(?:(?i:de\s+la|de\s+l'|du|des|de|d'|la|le|les|l')\s*)?[\p{{Lu}}0-9]|(?i:de\s+la|du|des)\s+\p{{L}})"
    ))
    .expect("street pattern is valid")
});

/// Number + abbreviated street type, then a dot and any word, or an article, or a capital.
static STREET_SHORT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"{HOUSE_NUMBER}(?i:{STREET_SHORT})(?:\.\s*|\s+)(?:(?i:de\s+la|de\s+l'|du|des|de|d'|la|le|les|l')\s*\p{{L}}|\p{{Lu}})"
    ))
    .expect("short street pattern is valid")
});

/// Metropolitan and overseas postcode, optional CEDEX, then a capitalised word.
/// A postcode and a word in lower case: a town when [`super::names::town_like`] says so.
static POSTCODE_LOWER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(?:0[1-9]|[1-8][0-9]|9[0-8])[0-9]{3}\s+(\p{Ll}[\p{L}\-]*)")
        .expect("postcode pattern is valid")
});

/// "au 12 de la rue des Lilas": a house number, "de la" or "du", a street.
static NUMBER_OF_STREET_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)(?-u:\b)[0-9]{{1,4}}\s+(?:de\s+la|du|de\s+l')\s+(?:{STREET_STRONG}|{STREET_WEAK})(?-u:\b)"
    ))
    .expect("number-of-street pattern is valid")
});

/// A verb of residence, then within a few words a street, a neighbourhood or a hostel and its
/// name: "habite quartier Monplaisir", "loge au foyer Saint-Michel", "vit rue Victor Hugo".
static RESIDES_AT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)(?-u:\b)(?:habite|habitent|vit|vivent|loge|logee?|domiciliee?|hebergee?|hébergée?|demeure)(?-u:\b)[^.;!?\n]{{0,40}}?(?-u:\b)(?:{STREET_STRONG}|quartier|cit[ée]|foyer|fjt|tour|squat)\s+(?:(?:de\s+la|de\s+l'|du|des|de|d'|la|le|les|l')\s*)?\p{{Lu}}"
    ))
    .expect("resides-at pattern is valid")
});

/// "lieu-dit la Croix Blanche": a rural address, a home.
static LIEU_DIT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)lieu[- ]?dit\s+\p{L}").expect("lieu-dit pattern is valid")
});

static POSTCODE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?-u:\b)(?:0[1-9]|[1-8][0-9]|9[0-8])[0-9]{3}\s+(?:(?i:cedex)\s+)?(\p{Lu}[\p{L}'\-]*)",
    )
    .expect("postcode pattern is valid")
});

/// Capitalised nouns that follow a count rather than a postcode ("10000 SMS").
const POSTCODE_STOP: &[&str] = &[
    "euros euro eur jeunes personnes habitants sms mms mails mail emails e-mails contacts",
    "appels km heures abonnes vues clics messages connexions inscrits visites utilisateurs",
    "pages ko mo go professionnels salaries structures dossiers",
];

static POSTCODE_STOP_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| word_set(POSTCODE_STOP));

/// A flat number: "appt 12", "apt. 34", "appartement n° 5" (a home, not an office).
static FLAT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:appt|apt|appart|appartement|chambre|chbre|esc|escalier|logement)\.?\s*(?:n°|no|n)?\s*[0-9]{1,4}[A-Za-z]?(?-u:\b)")
        .expect("flat pattern is valid")
});

/// Units after a number that make "appartement 3" a size or a price ("appartement 3 pièces").
static FLAT_SIZE_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?:pieces?|p(?-u:\b)|m2|m²|€|euros?|chambres?|places?|jeunes|personnes|ans|mois)",
    )
    .expect("flat size pattern is valid")
});

fn has_postal_address(text: &str) -> bool {
    if FLAT_RE.find_iter(text).any(|m| {
        !FLAT_SIZE_AFTER.is_match(&fold(super::numbers::head(text, m.end(), 16)))
            && !organisation_address(text, m.start())
    }) {
        return true;
    }
    let number_ok = |start: usize| {
        // "le 12/03 place Carnot" or "14h30 place…": the number belongs to a date or a time.
        !prev_char(text, start)
            .is_some_and(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | ':' | '-' | '+'))
    };
    if STREET_STRONG_RE
        .find_iter(text)
        .chain(STREET_WEAK_RE.find_iter(text))
        .chain(STREET_SHORT_RE.find_iter(text))
        .any(|m| number_ok(m.start()) && !organisation_address(text, m.start()))
    {
        return true;
    }
    if LIEU_DIT_RE.is_match(text)
        || NUMBER_OF_STREET_RE
            .find_iter(text)
            .any(|m| number_ok(m.start()) && !organisation_address(text, m.start()))
        || RESIDES_AT_RE.is_match(text)
    {
        return true;
    }
    if POSTCODE_LOWER_RE.captures_iter(text).any(|caps| {
        let (Some(whole), Some(town)) = (caps.get(0), caps.get(1)) else {
            return false;
        };
        let town = fold(town.as_str().trim_end_matches('-'));
        number_ok(whole.start())
            && !organisation_address(text, whole.start())
            && !POSTCODE_STOP_SET.contains(town.as_str())
            && super::names::town_like(&town)
    }) {
        return true;
    }
    POSTCODE_RE.captures_iter(text).any(|caps| {
        let (Some(whole), Some(town)) = (caps.get(0), caps.get(1)) else {
            return false;
        };
        if !number_ok(whole.start()) || organisation_address(text, whole.start()) {
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

/// An address introduced as an organisation's ("à la Mission Locale, 5 rue du Commerce",
/// "locaux de l'antenne : 3 place…"), with no word that makes it a person's home.
fn organisation_address(text: &str, start: usize) -> bool {
    let window = fold(clause_before(text, start, 60));
    ORG_CUE.is_match(&window) && !PERSONAL_CUE.is_match(&window)
}
