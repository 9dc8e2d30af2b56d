//! Numbers and addresses written as codes: e-mail, IBAN, NIR, phone numbers, and the
//! identifiers of the young person's files (CAF, France Travail, i-milo, identity papers),
//! social media handles and licence plates.
//!
//! Each detector masks what it found with a neutral marker, so that the digits of an IBAN are
//! not reported again as a NIR or a phone number, and a phone number is not read as a date.
//! Everything is a `regex` search (linear time) followed by a check on the match alone, or on
//! a bounded window before it.

use super::{fold, isolated, next_char, prev_char, Findings, PiiKind};
use iban::Iban;
use regex::Regex;
use std::sync::LazyLock;

/// Runs the number detectors on `text`, records what they found and returns the text with
/// every finding masked.
pub(super) fn detect(text: &str, found: &mut Findings) -> String {
    let mut text = text.to_string();
    let maskers: [(&Regex, Classifier); 23] = [
        (&PROFILE_URL, |_, _, _| Some(PiiKind::SocialHandle)),
        (&EMAIL, personal_email),
        (&EMAIL_PROVIDER, |_, _, _| Some(PiiKind::Email)),
        (&EMAIL_OBFUSCATED, |_, _, _| Some(PiiKind::Email)),
        (&EMAIL_SPACED, |_, _, _| Some(PiiKind::Email)),
        (&EMAIL_CHEZ_PROVIDER, |_, _, _| Some(PiiKind::Email)),
        (&DISCORD_TAG, |t, s, e| {
            isolated(t, s, e).then_some(PiiKind::SocialHandle)
        }),
        (&IBAN, |t, s, e| {
            valid_iban(t, s, e).then_some(PiiKind::Iban)
        }),
        (&RIB_PARTS, |_, _, _| Some(PiiKind::Iban)),
        (&NIR, |t, s, e| valid_nir(t, s, e).then_some(PiiKind::Nir)),
        (&PHONE_INTERNATIONAL, |t, s, e| {
            valid_international(t, s, e).then_some(PiiKind::Phone)
        }),
        (&PHONE_DOMESTIC, |t, s, e| {
            valid_domestic(t, s, e).then_some(PiiKind::Phone)
        }),
        (&PHONE_ANY_GROUPING, |t, s, e| {
            loose_domestic(t, s, e).then_some(PiiKind::Phone)
        }),
        (&MOBILE_NO_ZERO, |t, s, e| {
            (isolated(t, s, e) && one_separator(&t[s..e])).then_some(PiiKind::Phone)
        }),
        (&IP_ADDRESS, |t, s, e| {
            (isolated(t, s, e)
                && prev_char(t, s).is_none_or(|c| c != '.')
                && !t[e..]
                    .strip_prefix('.')
                    .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit())))
            .then_some(PiiKind::Identifier)
        }),
        (&GPS, |t, s, e| {
            isolated(t, s, e).then_some(PiiKind::PostalAddress)
        }),
        (&CARD, |t, s, e| {
            (isolated(t, s, e) && luhn(&digits(&t[s..e]))).then_some(PiiKind::Identifier)
        }),
        (&FRANCE_TRAVAIL_ID, |t, s, e| {
            valid_france_travail_id(t, s, e).then_some(PiiKind::Identifier)
        }),
        (&AT_HANDLE, at_handle),
        (&HANDLE_TOKEN, cued_handle),
        (&PLATE, |t, s, e| {
            plate(t, s, e).then_some(PiiKind::LicencePlate)
        }),
        (&PLATE_ANY_CASE, |t, s, e| {
            cued_plate(t, s, e).then_some(PiiKind::LicencePlate)
        }),
        (&CUED_CODE, cued_code),
    ];
    for (re, classify) in maskers {
        if let Some(masked) = mask(&text, re, classify, found) {
            text = masked;
        }
    }
    // "mot de passe ameli : Kevin2006!", "son mdp c'est jade49": a credential.
    if SECRET.captures_iter(&text).any(|c| {
        c.get(1).is_some_and(|v| v.as_str().chars().count() >= 4)
            && !fold(c.get(0).map_or("", |m| m.as_str())).contains("wifi")
            && !fold(c.get(0).map_or("", |m| m.as_str())).contains("wi-fi")
    }) {
        found.sure(PiiKind::Identifier);
    }
    // "photo de sa carte vitale reçue sur whatsapp": a copy of a person's papers changed hands;
    // ask before storing.
    if let Some(m) = DOCUMENT_COPY.find(&fold(&text)) {
        let words: Vec<&str> = m.as_str().split(' ').take(1).collect();
        found.unsure(PiiKind::Identifier, &words);
    }
    text
}

/// A password or a PIN and its value.
static SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:mot de passe|mdp|password|code pin|code secret|code de (?:la )?carte|pin)(?-u:\b)[^,;\n]{0,25}?[\s:=]([^\s,;]{0,20}[0-9][^\s,;]{0,20})")
        .expect("secret pattern is valid")
});

/// A bank card number: sixteen digits in groups of four.
static CARD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[3-6][0-9]{3}(?:[ \-]?[0-9]{4}){3}(?-u:\b)")
        .expect("card pattern is valid")
});

/// The Luhn checksum of bank card numbers.
fn luhn(number: &str) -> bool {
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A photo, scan or copy of someone's papers.
static DOCUMENT_COPY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(?:photo|photos|scan|scans|copie|copies|capture)s? (?:de|d'|du) (?:sa|son|ses|la|le|leur) (?:carte vitale|carte d'identite|cni|passeport|titre de sejour|carte de sejour|recepisse|permis|rib|avis d'imposition|fiche de paie|fiches de paie|attestation caf|attestation de securite sociale|acte de naissance|livret de famille)(?-u:\b)")
        .expect("document copy pattern is valid")
});

/// Tells what a regex match (given the whole text and the match's byte range) is, if anything.
type Classifier = fn(&str, usize, usize) -> Option<PiiKind>;

/// Replaces every match of `re` that `classify` recognises with a neutral marker, and records
/// its kind; `None` when nothing was recognised.
fn mask(text: &str, re: &Regex, classify: Classifier, found: &mut Findings) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut any = false;
    for m in re.find_iter(text) {
        if let Some(kind) = classify(text, m.start(), m.end()) {
            found.sure(kind);
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

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

// ---------------------------------------------------------------------------------------------
// E-mail

const OBF_AT: &str =
    r"(?:\s*(?:\[at\]|\(at\)|\{at\}|\[arobase\]|\(arobase\)|\[@\]|\(@\))\s*|\s+(?:at|arobase)\s+)";
const OBF_DOT: &str =
    r"(?:\s*(?:\[dot\]|\(dot\)|\{dot\}|\[point\]|\(point\))\s*|\s+(?:dot|point)\s+|\.)";
const OBF_TLD: &str =
    r"(?:fr|com|net|org|eu|info|io|me|be|ch|ca|re|gp|mq|gf|yt|pf|nc|de|es|it|uk|co|biz|live|gouv)";

/// Plain addresses, with up to two spaces around the "@" ("kevin.m @ gmail.com"). The local
/// part must touch the "@" or be one space away, so "sur @ines:tchap.gouv.fr" (a Matrix id,
/// no dot-separated domain after the "@") is not one.
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\w.+\-]+ {0,2}@ {0,2}[\w\-]+(?:\.[\w\-]+)*\.[A-Za-z]{2,24}")
        .expect("e-mail pattern is valid")
});

/// An address whose domain was cut to the provider's name ("kevin.m@gmail", "sarah @ hotmail").
static EMAIL_PROVIDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[\w.+\-]+ {0,2}@ {0,2}(?:gmail|hotmail|yahoo|outlook|orange|free|laposte|sfr|live|icloud|wanadoo|msn|aol|proton|protonmail|gmx|bbox|neuf)(?-u:\b)")
        .expect("provider e-mail pattern is valid")
});

/// "prenom [at] domaine [dot] fr", "prenom arobase domaine point fr".
static EMAIL_OBFUSCATED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)[\w.+\-]+{OBF_AT}[\w\-]+(?:{OBF_DOT}[\w\-]+)*?{OBF_DOT}{OBF_TLD}(?-u:\b)"
    ))
    .expect("obfuscated e-mail pattern is valid")
});

/// Mailboxes of a service rather than of a person ("contact@…", "accueil@…").
static ROLE_MAILBOX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:contact|contacts|accueil|info|infos|information|secretariat|direction|communication|rh|recrutement|admin|administration|support|noreply|no-reply|ne-pas-repondre|standard|equipe|missionlocale|mission-locale|mission\.locale|ml|partenariats?|coordination|webmaster|dpo|rgpd)(?:[.\-_][a-z0-9\-]+)?$")
        .expect("role mailbox pattern is valid")
});

/// An e-mail address, unless its local part names a service ("contact@missionlocale.fr").
fn personal_email(text: &str, start: usize, end: usize) -> Option<PiiKind> {
    let local = text[start..end].split('@').next().unwrap_or("").trim();
    (!ROLE_MAILBOX.is_match(&fold(local))).then_some(PiiKind::Email)
}

/// Providers whose name alone stands for the domain of an address.
const PROVIDERS: &str = "gmail|hotmail|yahoo|outlook|orange|free|laposte|sfr|live|icloud|wanadoo|msn|aol|proton|protonmail|gmx|bbox|neuf";

/// An address typed one character at a time: "d y l a n . m @ g m a i l . c o m".
static EMAIL_SPACED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:[A-Za-z0-9._\-] ){2,}@(?: [A-Za-z0-9._\-]){3,}")
        .expect("spaced e-mail pattern is valid")
});

/// "kenzou93 chez gmail", "sarah.b sur hotmail point fr": a local part marked by a digit, a
/// dot or "_", then a provider after "chez", "sur", "at" or "arobase".
static EMAIL_CHEZ_PROVIDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)(?-u:\b)[a-z0-9.+\-_]*[0-9._][a-z0-9.+\-_]*\s+(?:chez|sur|at|arobase)\s+(?:{PROVIDERS})(?-u:\b)"
    ))
    .expect("provider e-mail pattern is valid")
});

/// A profile address on a social network: "linkedin.com/in/jade-lopez-13",
/// "facebook.com/dylan.roussel.5".
static PROFILE_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:linkedin\.com/in|facebook\.com|fb\.com|instagram\.com|tiktok\.com|snapchat\.com/add|twitter\.com|x\.com|twitch\.tv|youtube\.com|t\.me|wa\.me)/@?[A-Za-z0-9][A-Za-z0-9._\-]+")
        .expect("profile URL pattern is valid")
});

/// A Discord tag: "enzo#4521", "DarkWolf#4821".
static DISCORD_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9_.]{2,32}#[0-9]{4}").expect("Discord tag pattern is valid")
});

/// An IPv4 address: four dotted groups of one to three digits.
static IP_ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}").expect("IP address pattern is valid")
});

/// GPS coordinates: "48.8566, 2.3522".
static GPS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-?[0-9]{1,2}\.[0-9]{3,8} ?, ?-?[0-9]{1,3}\.[0-9]{3,8}")
        .expect("GPS pattern is valid")
});

/// The parts of a French RIB: "code banque 30004 guichet 00821 compte 00012345678".
static RIB_PARTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:guichet|code guichet)\s*:?\s*[0-9]{5}(?-u:\b)")
        .expect("RIB pattern is valid")
});

// ---------------------------------------------------------------------------------------------
// Social media handles and licence plates

/// "@kev_du49", "@sarah.lopez": an "@" and a handle (e-mails were masked before).
static AT_HANDLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"@[A-Za-z0-9_][A-Za-z0-9._]{1,29}").expect("handle pattern is valid")
});

/// A word that may be a handle when a network is named before it ("snap : ines.b2006").
static HANDLE_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[A-Za-z0-9][A-Za-z0-9._\-]{2,29}[A-Za-z0-9_](?-u:\b)")
        .expect("handle token pattern is valid")
});

/// The names of social networks alone (not "compte", "pseudo"): named right after a handle.
static NETWORK_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(?:insta|instagram|snap|snapchat|tiktok|tik tok|facebook|fb|twitter|discord|telegram|twitch|youtube|bereal)(?-u:\b)")
        .expect("network name pattern is valid")
});

/// Social networks and the words that introduce a handle.
static NETWORK_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(?:insta|instagram|snap|snapchat|tiktok|tik tok|pseudo|facebook|fb|twitter|discord|telegram|threads|twitch|youtube|ig|compte|reseaux?|twitch|bereal|psn|xbox|steam|fortnite)(?-u:\b)")
        .expect("network cue pattern is valid")
});

/// An "@handle" that is not a Matrix id ("@ines:tchap.gouv.fr") nor a service's account
/// ("Instagram de la Mission Locale : @ml_angers"); a handle without a digit, "_" or "."
/// ("@julie") needs a network named before it.
fn at_handle(text: &str, start: usize, end: usize) -> Option<PiiKind> {
    if prev_char(text, start).is_some_and(|c| c.is_alphanumeric() || c == '.')
        || next_char(text, end).is_some_and(|c| c == ':' || c.is_alphanumeric())
    {
        return None;
    }
    let handle = text[start + 1..end].trim_end_matches('.');
    if !handle.chars().any(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let window = fold(clause_before(text, start, 40));
    if ORG_CUE.is_match(&window) && !PERSONAL_CUE.is_match(&window) {
        return None;
    }
    if ORG_HANDLE.is_match(&fold(handle)) {
        return None;
    }
    let marked = handle.contains(['_', '.']) || handle.chars().any(|c| c.is_ascii_digit());
    // "@jadou": a handle that is no French word nor a first name (a colleague's mention
    // "@julie" is one); or any handle with a network named before or after it.
    let unknown = handle.chars().count() >= 4 && super::names::unknown_word(&fold(handle));
    let network_after = NETWORK_NAME.is_match(&fold(head(text, end, 20)));
    (marked || unknown || network_after || NETWORK_CUE.is_match(&window))
        .then_some(PiiKind::SocialHandle)
}

/// Handles of a service: "@missionlocale49", "@ml_laval", "@francetravail".
static ORG_HANDLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:ml[_.]|ml$|ml[0-9]|missions?[_.]?locales?|francetravail|france_travail|caf[_.0-9]|mairie|ville|antenne|cej[_.]|info[_.]?jeunes?|pij|cidj)|missions?[_.]?locales?")
        .expect("organisation handle pattern is valid")
});

/// A word with letters and a digit, "_" or "." within 30 bytes after a network's name in the
/// same clause ("pseudo kevdu53", "sur snap c'est yanis_49"); not a time or an ordinal.
fn cued_handle(text: &str, start: usize, end: usize) -> Option<PiiKind> {
    let word = &text[start..end];
    let letters = word.chars().filter(char::is_ascii_alphabetic).count();
    let hyphenated = word.contains('-')
        && word.split('-').any(|part| {
            let part = fold(part);
            super::names::unknown_word(&part) || super::names::listed_first_name(&part)
        });
    let marked = word.contains('_')
        || word.contains('.')
        || word.chars().any(|c| c.is_ascii_digit())
        || hyphenated;
    // "insta : jadelopez", "pseudo xXkevXx": a word that is no French word, nor a network's
    // name, nor a first name alone, right after a network's name.
    let folded_word = fold(word);
    let plain_handle = !marked
        && letters >= 5
        && word.chars().any(|c| c.is_ascii_lowercase())
        && !fold(clause_before(text, start, 30)).contains("compte rendu")
        && word.chars().all(|c| c.is_ascii_alphabetic())
        && !NETWORK_CUE.is_match(&folded_word)
        && super::names::unknown_word(&folded_word);
    if letters < 2
        || !(marked || plain_handle)
        || prev_char(text, start) == Some('@')
        || TIME_OR_ORDINAL.is_match(word)
    {
        return None;
    }
    let window = fold(clause_before(text, start, 30));
    if ORG_CUE.is_match(&window) && !PERSONAL_CUE.is_match(&window) {
        return None;
    }
    let cue_gap = NETWORK_CUE
        .find_iter(&window)
        .last()
        .map(|m| window.len() - m.end());
    // "la_reine_jade sur insta": the network named right after a marked handle.
    let network_after = marked && NETWORK_NAME.is_match(&fold(head(text, end, 16)));
    if cue_gap.is_some_and(|gap| marked || gap <= 12) || network_after {
        Some(PiiKind::SocialHandle)
    } else if MAIL_CUE.is_match(&window) {
        // "gmail : kevin.martin49": an address without its domain.
        Some(PiiKind::Email)
    } else {
        None
    }
}

/// Words that introduce an e-mail address written without its "@" or domain.
static MAIL_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(?:gmail|hotmail|outlook|yahoo|icloud|laposte|e-?mail|mail|courriel|adresse mail)(?-u:\b)")
        .expect("mail cue pattern is valid")
});

static TIME_OR_ORDINAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:[0-9]+(?:h[0-9]*|e|er|eme|nd|nde|min|mn|s|k|x|m|km|go|mo|ans?)|v?[0-9]+(?:\.[0-9]+)+)$")
        .expect("time pattern is valid")
});

/// A licence plate of the current system, written in capitals: "AB-123-CD", "AB 123 CD".
static PLATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[A-Z]{2}[- ]?[0-9]{3}[- ]?[A-Z]{2}(?-u:\b)")
        .expect("plate pattern is valid")
});

/// The same in any case, or the older "123 ABC 49", after a vehicle word.
static PLATE_ANY_CASE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:[a-z]{2}[- ]?[0-9]{3}[- ]?[a-z]{2}|[0-9]{1,4}[- ]?[a-z]{2,3}[- ]?(?:[0-9]{2}|2a|2b|97[1-6]))(?-u:\b)")
        .expect("plate pattern is valid")
});

static VEHICLE_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(?:plaque|immat|immatriculation|immatriculee?|vehicule|voiture|scooter|moto|camion|camionnette|auto|carte grise)(?-u:\b)")
        .expect("vehicle cue pattern is valid")
});

fn plate(text: &str, start: usize, end: usize) -> bool {
    // Two separators of the same kind, or none: "AB-123-CD", "AB 123 CD", "AB123CD".
    let seps: Vec<char> = text[start..end]
        .chars()
        .filter(|c| !c.is_ascii_alphanumeric())
        .collect();
    seps.is_empty() || (seps.len() == 2 && seps[0] == seps[1])
}

fn cued_plate(text: &str, start: usize, _end: usize) -> bool {
    VEHICLE_CUE.is_match(&fold(clause_before(text, start, 40)))
}

// ---------------------------------------------------------------------------------------------
// IBAN

/// Two letters, two check digits, then 10 to 32 alphanumerics, optionally grouped.
static IBAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[A-Za-z]{2} ?[0-9]{2}(?:[ \-]?[A-Za-z0-9]){10,32}")
        .expect("IBAN pattern is valid")
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
    let bban_mostly_digits = |bban: &[char]| {
        let digits = bban.iter().filter(|c| c.is_ascii_digit()).count();
        digits * 10 >= bban.len() * 7
    };
    match iban_length(&country) {
        // Full length: a wrong check digit is a typo in an IBAN, still an IBAN.
        Some(len) if compact.len() >= len => {
            checks_out(&compact[..len]) || bban_mostly_digits(&compact[4..len])
        }
        Some(_) => {
            // Cut short (or grouped so that the regex stopped): judge on shape.
            let bban = &compact[4..];
            let digits = bban.iter().take(10).filter(|c| c.is_ascii_digit()).count();
            bban.len() >= 10 && digits >= 8
        }
        // Another country: only a valid IBAN (format and check digits, per `iban_validate`).
        None => (15..=compact.len().min(34)).any(|len| checks_out(&compact[..len])),
    }
}

/// Whether these characters are a valid IBAN for their country (length, format, mod 97).
fn checks_out(chars: &[char]) -> bool {
    chars.iter().collect::<String>().parse::<Iban>().is_ok()
}

// ---------------------------------------------------------------------------------------------
// NIR

/// Sex (1, 2, or 7, 8 for temporary numbers), year, month, département and commune (2 + 3
/// digits, 2A/2B for Corsica, or 3 + 2 overseas), order, then an optional two-digit key. A
/// single space, dot or dash may separate the groups, nowhere else: "1 2 3 4…" is a list.
static NIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"[1278][ .\-]?[0-9]{2}[ .\-]?[0-9]{2}[ .\-]?(?:(?:[0-9]{2}|2[ABab])[ .\-]?[0-9]{3}|[0-9]{3}[ .\-]?[0-9]{2})[ .\-]?[0-9]{3}(?:[ .\-]?[0-9]{2})?",
    )
    .expect("NIR pattern is valid")
});

/// A NIR by its shape: 13 or 15 characters and a month that exists (or one of the codes for an
/// unknown month). The key is not checked: a NIR with a typo in it is still a NIR.
pub(super) fn valid_nir(text: &str, start: usize, end: usize) -> bool {
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
    // Corsica's 2A and 2B, anything else must be digits.
    chars
        .iter()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || (i == 6 && matches!(c, 'A' | 'B') && chars[5] == '2'))
}

// ---------------------------------------------------------------------------------------------
// Phone numbers

/// French numbers: a 0, a non-zero digit, then eight digits grouped any way ("06 12 34 56 78",
/// "06 1 2 34 56 78", "0612 345 678", "0 6 12 34 56 78").
static PHONE_DOMESTIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"0 ?[1-9](?:[ .\-/]{0,2}[0-9]){8}").expect("phone pattern is valid")
});

/// "+" and any country code, or "00" and a country code the teams meet, then 6 to 13 digits
/// grouped any way, with an optional "(0)".
static PHONE_INTERNATIONAL: LazyLock<Regex> = LazyLock::new(|| {
    let codes = "33|32|41|44|34|49|39|351|352|31|40|48|90|7|1|212|213|216|218|20|221|222|223|224|225|226|227|228|229|230|231|233|234|235|236|237|238|241|242|243|244|253|257|261|262|269|269|590|594|596|508|681|687|689|86|91|92|880|93|98|380|373|374|995";
    Regex::new(&format!(
        r"(?:\+ ?[1-9][0-9]{{0,2}}|(?-u:\b)00 ?(?:{codes}))(?: ?\(0\))?(?:[ .\-/]{{0,2}}[0-9]){{6,13}}"
    ))
    .expect("international phone pattern is valid")
});

/// Ten digits from a 0 with any separators, mixed, between any of them: "0 7 - 4 4 - 8 1 - 0 2
/// - 9 9". Checked by [`loose_domestic`].
static PHONE_ANY_GROUPING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"0(?:[ .\-/]{0,3}[0-9]){9}").expect("loose phone pattern is valid")
});

/// A date and a time ("06.12.2024 14h"), an 08 number or a number glued to other digits is
/// not a phone number; otherwise ten digits from 0 are one, however they are grouped.
fn loose_domestic(text: &str, start: usize, end: usize) -> bool {
    static DATE_INSIDE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"[0-9]{1,2}[./\-][0-9]{1,2}[./\-][0-9]{2,4}|[0-9]{1,2}/[0-9]{1,2}")
            .expect("date pattern is valid")
    });
    let number = &text[start..end];
    let all = digits(number);
    if prev_char(text, start).is_some_and(|c| c.is_alphanumeric() || c == '+')
        || next_char(text, end).is_some_and(|c| c.is_ascii_digit())
        || all.starts_with("08")
        || all.starts_with("00")
        || DATE_INSIDE.is_match(number)
        || head(text, end, 3).trim_start().starts_with(['h', 'H'])
    {
        return false;
    }
    !is_organisation_line(text, start, &all)
}

/// A mobile number whose leading 0 was forgotten, in pairs: "6 12 34 56 78".
static MOBILE_NO_ZERO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[67](?:[ .\-][0-9]{2}){4}(?-u:\b)").expect("mobile pattern is valid")
});

/// Only one kind of separator between the groups.
fn one_separator(number: &str) -> bool {
    let mut seps = number.chars().filter(|c| !c.is_ascii_digit());
    let first = seps.next();
    seps.all(|c| Some(c) == first)
}

fn valid_international(text: &str, start: usize, end: usize) -> bool {
    let count = digits(&text[start..end]).len();
    !prev_char(text, start).is_some_and(|c| c.is_alphanumeric())
        && !next_char(text, end).is_some_and(|c| c.is_ascii_digit())
        && (8..=15).contains(&count)
}

fn valid_domestic(text: &str, start: usize, end: usize) -> bool {
    if prev_char(text, start).is_some_and(|c| c.is_ascii_digit() || c == '+')
        || next_char(text, end).is_some_and(|c| c.is_ascii_digit())
    {
        return false;
    }
    let number = &text[start..end];
    let all = digits(number);
    // 08 numbers are services (numéro vert 0 800…, shared-cost and premium lines), never a
    // person's line.
    if all.starts_with("08") {
        return false;
    }
    // One kind of separator (or none): "06.12.2024 14" mixes dots and a space, it is a date
    // and a time.
    let mut separators = number
        .chars()
        .filter(|c| !c.is_ascii_digit())
        .filter(|c| *c != ' ' || !number.starts_with("0 "));
    if let Some(first) = separators.next() {
        if separators.any(|c| c != first) {
            return false;
        }
    }
    // "06 12 2024 14": day, month and a year, then something else.
    let groups: Vec<&str> = number
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    if groups.len() >= 3
        && groups[0].len() == 2
        && groups[1].len() == 2
        && groups[2].len() == 4
        && (groups[2].starts_with("19") || groups[2].starts_with("20"))
    {
        return false;
    }
    !is_organisation_line(text, start, &all)
}

/// A landline (01–05, 09) introduced as the number of an organisation ("standard de la
/// Mission Locale : 02 43 …", "l'accueil de la CAF au 05 …"), with no word that makes it the
/// young person's own ("son", "sa", "perso", "portable").
fn is_organisation_line(text: &str, start: usize, digits: &str) -> bool {
    if !matches!(digits.as_bytes().get(1), Some(b'1'..=b'5' | b'9')) {
        return false;
    }
    let window = fold(clause_before(text, start, 80));
    ORG_CUE.is_match(&window) && !PERSONAL_CUE.is_match(&window)
}

/// The end of the current clause before `at`: at most `max` bytes back, stopping after the
/// last sentence end or line break.
pub(super) fn clause_before(text: &str, at: usize, max: usize) -> &str {
    let mut from = at.saturating_sub(max);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let window = &text[from..at];
    match window.rfind(['.', '!', '?', '\n', ';']) {
        // A dot inside "M." or "n°…" matters little here: the window only shrinks.
        Some(i) => &window[i + 1..],
        None => window,
    }
}

/// At most `max` bytes of `text` from `at` (fewer to stay on a character boundary).
pub(super) fn head(text: &str, at: usize, max: usize) -> &str {
    let mut to = (at + max).min(text.len());
    while !text.is_char_boundary(to) {
        to -= 1;
    }
    &text[at..to]
}

/// The cue patterns below run on folded windows (lower case, no accents, see
/// [`super::fold`]) with ASCII word boundaries, which keeps the regex engine on its fast path
/// whatever the text holds (accents, emoji).
///
/// Words that make the number that follows an organisation's.
pub(super) static ORG_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(?:standard|notre|nos|accueil|secretariat|mission locale|missions locales|(?-u:\b)ml(?-u:\b)|antenne|agence|permanence|siege|locaux|bureaux?|caf|cpam|france travail|pole emploi|mairie|ccas|prefecture|centre social|maison de quartier|maison de l'emploi|maison des|maison (?:france|de|du|d')|mediatheque|bibliotheque|forum|salon|atelier|reunion|sos|ecoute|ligne|numero national|numero d'urgence|numero vert|plateforme|hotline|support|assistance|association|structure|service|hopital|cfa|lycee|college|entreprise|employeur|numero general|n° general|ligne directe de l'equipe)")
        .expect("organisation cue pattern is valid")
});

/// Words that make the number or address that follows the young person's (or family's).
pub(super) static PERSONAL_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(?:son|sa|ses|leur|perso|personnel|portable|mobile|habite|domicile|chez (?:lui|elle|eux|sa|son)|vit|hebergee?|demenagee?|mere|pere|parents?|famille|frere|s(?:oe|œ)ur|tante|oncle|copine?|jeune)(?-u:\b)")
        .expect("personal cue pattern is valid")
});

// ---------------------------------------------------------------------------------------------
// Identifiers of the young person's files

/// A France Travail (ex Pôle emploi) identifier: seven digits and a letter, "1234567A". The
/// shape alone is rare enough in notes to be flagged without a cue.
static FRANCE_TRAVAIL_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[0-9]{7} ?[A-Za-z](?-u:\b)").expect("France Travail id pattern is valid")
});

fn valid_france_travail_id(text: &str, start: usize, end: usize) -> bool {
    let m = &text[start..end];
    // "1234567 A" needs a capital; "1234567a" glued is taken as written.
    !m.contains(' ') || m.ends_with(|c: char| c.is_ascii_uppercase())
}

/// A phone number read out and typed as words ("zéro sept, zéro huit, 42, onze…" becomes "0
/// 7, 0 8, 42, 11…"): commas separate the groups too. Run on spelled-out text only, where a
/// comma between numbers is a pause, not a list.
pub(super) fn detect_spelled_phone(text: &str, found: &mut Findings) {
    static SPELLED_PHONE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"0(?:[ .\-/,]{0,3}[0-9]){9}").expect("spelled phone pattern is valid")
    });
    if SPELLED_PHONE
        .find_iter(text)
        .any(|m| loose_domestic(text, m.start(), m.end()))
    {
        found.sure(PiiKind::Phone);
    }
}

/// A code: groups of digits and letters, each group after the first starting with a digit,
/// separated by single spaces, dots, dashes or slashes ("1234567", "18AB12345", "75 123 456").
static CUED_CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[A-Za-z]{0,3}[0-9][0-9A-Za-z]*(?:[ .\-/][0-9][0-9A-Za-z]*){0,8}(?-u:\b)")
        .expect("code pattern is valid")
});

/// Words that introduce the number of a file: CAF, France Travail, i-milo, identity papers.
static ID_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(?:caf|allocataire|alloc|ts|tds|ident|msa|france travail|pole emploi|ft|pe|i-?milo|i milo|milo|dossier|identifiant|id|passeport|titre de sejour|carte de sejour|recepisse|cni|carte d'identite|numero fiscal|n° fiscal|agdref|n° etranger|numero etranger|ine|n° etudiant|numero etudiant|secu|securite sociale|nir|carte vitale|ss|insee|ameli|cpam|mdph|apl|rsa|permis|ecrou|asile|fiscal|ofii|num fiscal|carte grise|mutuelle|adherent|matricule|carte bancaire|carte bleue|cb|badge|client|abonne|carte de resident|titre de resident|resident|neph)(?-u:\b)")
        .expect("identifier cue pattern is valid")
});

/// The subset of [`ID_CUE`] that announces a social security number.
static NIR_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(?:secu|securite sociale|nir|carte vitale|ss|insee|ameli|cpam)(?-u:\b)")
        .expect("NIR cue pattern is valid")
});

/// Words between a cue and a number that make the number something else than a file's
/// ("identifiant de réunion Zoom : 845 2231 9087", "CAF : 12000 allocataires").
static NOT_A_FILE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(?:reunion|zoom|teams|meet|visio|webinaire|wifi|wi-fi|connexion|ticket|salle|version|appli|site|lien|code postal|tel|telephone)(?-u:\b)")
        .expect("not-a-file pattern is valid")
});

/// A code is a file's number when a cue stands at most 40 bytes before it in the same clause,
/// nothing in between says it is a meeting or a ticket number, it holds at least six digits
/// and it is not a date or a span of years. After a social-security cue, 13 to 15 digits are a
/// NIR whatever their month and key.
fn cued_code(text: &str, start: usize, end: usize) -> Option<PiiKind> {
    let code = &text[start..end];
    let all = digits(code);
    // "X4RTBCT21": an identity card's number mixes letters and digits.
    let mixed = code.len() >= 8 && all.len() >= 2 && !code.contains(' ');
    if (all.len() < 6 && !mixed) || date_like(code) {
        return None;
    }
    let window = fold(clause_before(text, start, 40));
    let cue = ID_CUE.find_iter(&window).last()?;
    // A count after the number is not a file's ("CAF : 120000 euros versés").
    if NOT_A_FILE.is_match(&window[cue.end()..]) || COUNT_AFTER.is_match(&fold(head(text, end, 24)))
    {
        return None;
    }
    if (13..=15).contains(&all.len()) && NIR_CUE.is_match(&window) {
        Some(PiiKind::Nir)
    } else {
        Some(PiiKind::Identifier)
    }
}

/// "2024-2025", "12/03/2024", "2025 03 12": dates and spans of years written with digits.
fn date_like(code: &str) -> bool {
    let groups: Vec<&str> = code
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|g| !g.is_empty())
        .collect();
    let year = |g: &str| g.len() == 4 && (g.starts_with("19") || g.starts_with("20"));
    let small = |g: &str| g.len() <= 2;
    match groups.as_slice() {
        [a, b] => year(a) && (year(b) || small(b)),
        [a, b, c] => (small(a) && small(b) && year(c)) || (year(a) && small(b) && small(c)),
        _ => false,
    }
}

/// Units after a number that make it a count or an amount.
static COUNT_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:€|euros?|eur(?-u:\b)|k€|jeunes|personnes|allocataires|dossiers|beneficiaires|habitants|%)")
        .expect("count pattern is valid")
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nir_shape_accepts_any_key_and_rejects_impossible_months() {
        let nir = |s: &str| valid_nir(s, 0, s.len());
        assert!(nir("185057800608491"));
        // A wrong key is a typo: still a NIR.
        assert!(nir("185057800608492"));
        assert!(nir("185052A00608435"));
        assert!(nir("1850578006084"));
        assert!(!nir("1851378006084"));
        assert!(!valid_nir("91850578006084", 1, 14));
    }

    #[test]
    fn iban_checks_use_the_registry() {
        let ok = |s: &str| checks_out(&s.chars().filter(|c| *c != ' ').collect::<Vec<_>>());
        assert!(ok("FR76 3000 6000 0112 3456 7890 189"));
        assert!(ok("GB29 NWBK 6016 1331 9268 19"));
        assert!(!ok("FR76 3000 6000 0112 3456 7890 188"));
        assert!(!ok("FR76"));
    }
}
