//! Every French word a user reads from the schedule module: error sentences
//! (each one says what was not understood and gives a correct example),
//! descriptions of recurrences, and date formatting ("lundi 30 novembre à 09:00").
//! The schedule code builds no user-facing text itself; it calls these helpers.

/// Weekday names, indexed by `chrono::Weekday::num_days_from_monday()`.
pub const WEEKDAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

/// Month names, indexed by `month0()` (janvier = 0).
pub const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// Ordinals used by "le premier lundi du mois"; index 0..=3 then "dernier".
pub const ORDINALS: [&str; 5] = ["premier", "deuxième", "troisième", "quatrième", "dernier"];

/// Printed by the CLI when a schedule has no firing left.
pub const NO_FIRING: &str = "Aucune échéance à venir.";

/// The examples quoted by the generic "not understood" error.
const EXAMPLES: &str = "« chaque lundi à 9h », « tous les jours ouvrés à 14h », \
« le premier lundi du mois à 9h », « demain à 9h », « le 3 décembre à 10h », « dans 2 jours »";

fn weekday(idx: usize) -> &'static str {
    WEEKDAYS.get(idx).copied().unwrap_or("?")
}

fn month(idx0: usize) -> &'static str {
    MONTHS.get(idx0).copied().unwrap_or("?")
}

/// "1er" for the first day of a month, the plain number otherwise (French usage).
pub fn day_of_month(day: u32) -> String {
    if day == 1 {
        "1er".to_string()
    } else {
        day.to_string()
    }
}

/// "09:00".
pub fn clock(hour: u32, minute: u32) -> String {
    format!("{hour:02}:{minute:02}")
}

/// "lundi, mardi et jeudi".
pub fn join_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} et {}", init.join(", "), last),
    }
}

/// "lundi 30 novembre à 09:00", with " 2027" after the month when `with_year`.
pub fn firing(
    weekday_idx: usize,
    day: u32,
    month0: usize,
    year: Option<i32>,
    hour: u32,
    minute: u32,
) -> String {
    let year = year.map(|y| format!(" {y}")).unwrap_or_default();
    format!(
        "{} {} {}{} à {}",
        weekday(weekday_idx),
        day_of_month(day),
        month(month0),
        year,
        clock(hour, minute)
    )
}

/// "3 décembre" (used in errors about dates).
pub fn day_month(day: u32, month1: u32) -> String {
    format!(
        "{} {}",
        day_of_month(day),
        month((month1 as usize).saturating_sub(1))
    )
}

/// "vendredi 4 décembre 2026".
pub fn full_date(weekday_idx: usize, day: u32, month0: usize, year: i32) -> String {
    format!(
        "{} {} {} {}",
        weekday(weekday_idx),
        day_of_month(day),
        month(month0),
        year
    )
}

// ---------------------------------------------------------------------------
// Descriptions of schedules (`Schedule::describe_fr`).
// ---------------------------------------------------------------------------

/// "le 3 décembre 2026 à 10:00".
pub fn describe_once(day: u32, month0: usize, year: i32, hour: u32, minute: u32) -> String {
    format!(
        "le {} {} {} à {}",
        day_of_month(day),
        month(month0),
        year,
        clock(hour, minute)
    )
}

/// "tous les jours à 08:45".
pub fn describe_daily(time: &str) -> String {
    format!("tous les jours à {time}")
}

/// "chaque jour ouvré (du lundi au vendredi) à 14:00".
pub fn describe_workdays(time: &str) -> String {
    format!("chaque jour ouvré (du lundi au vendredi) à {time}")
}

/// "du lundi au samedi à 09:00".
pub fn describe_monday_to_saturday(time: &str) -> String {
    format!("du lundi au samedi à {time}")
}

/// "chaque lundi et jeudi à 10:00"; `days` are weekday indexes from Monday.
pub fn describe_weekly(days: &[usize], time: &str) -> String {
    let names: Vec<String> = days.iter().map(|&d| weekday(d).to_string()).collect();
    format!("chaque {} à {time}", join_list(&names))
}

/// "le 15 de chaque mois à 09:00".
pub fn describe_monthly_day(day: u32, time: &str) -> String {
    format!("le {} de chaque mois à {time}", day_of_month(day))
}

/// "le premier lundi du mois à 09:00"; `ordinal` indexes `ORDINALS`.
pub fn describe_nth_weekday(ordinal: usize, weekday_idx: usize, time: &str) -> String {
    let ord = ORDINALS.get(ordinal).copied().unwrap_or("?");
    format!("le {ord} {} du mois à {time}", weekday(weekday_idx))
}

/// "une semaine sur deux, le vendredi à 16:00, à partir du vendredi 4 décembre 2026".
pub fn describe_every_n_weeks(weeks: u32, days: &[usize], time: &str, first: &str) -> String {
    let names: Vec<String> = days.iter().map(|&d| weekday(d).to_string()).collect();
    let every = if weeks == 2 {
        "une semaine sur deux".to_string()
    } else {
        format!("toutes les {weeks} semaines")
    };
    format!(
        "{every}, le {} à {time}, à partir du {first}",
        join_list(&names)
    )
}

/// Fallback for cron rules with no simpler French wording.
pub fn describe_cron(expr: &str) -> String {
    format!("selon la règle cron « {expr} » (minute heure jour mois jour-de-semaine)")
}

// ---------------------------------------------------------------------------
// Errors (`ScheduleError`'s Display). Each says what went wrong and gives an example.
// ---------------------------------------------------------------------------

pub fn err_empty() -> String {
    "Je n'ai reçu ni date ni fréquence. Exemple : « chaque lundi à 9h ».".to_string()
}

pub fn err_too_long(max: usize) -> String {
    format!(
        "Ce texte est trop long pour une date ou une fréquence ({max} caractères au plus). \
Exemple : « chaque lundi à 9h »."
    )
}

pub fn err_not_understood(word: &str) -> String {
    format!("Je n'ai pas compris « {word} ». Exemples : {EXAMPLES}.")
}

pub fn err_incomplete(after: &str) -> String {
    format!(
        "Il manque la suite après « {after} ». Exemple : « chaque lundi à 9h » ou « tous les jours à 8h45 »."
    )
}

pub fn err_missing_day() -> String {
    "Il manque le jour. Exemple : « demain à 9h » ou « chaque lundi à 9h ».".to_string()
}

pub fn err_bad_time(text: &str) -> String {
    format!(
        "L'heure « {text} » n'existe pas : les heures vont de 0h00 à 23h59. Exemple : « à 9h30 »."
    )
}

pub fn err_several_times() -> String {
    "J'ai trouvé plusieurs heures, mais une seule est possible. Exemple : « chaque lundi à 9h »."
        .to_string()
}

pub fn err_bad_date(text: &str) -> String {
    format!("La date « {text} » n'existe pas. Exemple : « le 3 décembre à 10h ».")
}

pub fn err_weekday_mismatch(date: &str, actual: &str, said: &str) -> String {
    format!("Le {date} est un {actual}, pas un {said}. Exemple : « le {actual} {date} à 10h ».")
}

pub fn err_past(when: &str) -> String {
    format!(
        "Ce moment est déjà passé ({when}). Choisissez un moment à venir. Exemple : « demain à 9h »."
    )
}

pub fn err_too_far(years: u32) -> String {
    format!(
        "Cette date est trop lointaine : {years} ans au plus. Exemple : « le 3 décembre à 10h »."
    )
}

pub fn err_bare_weekday(day: &str) -> String {
    format!(
        "« {day} » seul ne dit pas si c'est une fois ou chaque semaine. \
Exemple : « chaque {day} à 9h » (chaque semaine) ou « {day} prochain à 9h » (une seule fois)."
    )
}

pub fn err_bad_ordinal(text: &str) -> String {
    format!(
        "« {text} » ne convient pas : choisissez premier, deuxième, troisième, quatrième ou dernier. \
Exemple : « le premier lundi du mois à 9h »."
    )
}

pub fn err_bad_interval(weeks: u64) -> String {
    format!(
        "Un intervalle de {weeks} semaines n'est pas possible (de 1 à 52). \
Exemple : « toutes les deux semaines le vendredi à 16h »."
    )
}

pub fn err_bad_duration(text: &str) -> String {
    format!(
        "Je n'ai pas compris la durée « {text} ». \
Exemple : « dans 2 jours », « dans 3 heures » ou « dans 10 minutes »."
    )
}

pub fn err_cron_field_count(found: usize) -> String {
    format!(
        "Une expression cron compte 5 champs (minute heure jour mois jour-de-semaine) ; j'en vois {found}. \
Exemple : « 0 9 * * 1-5 » (9h00 du lundi au vendredi)."
    )
}

/// `field` indexes: 0 minute, 1 heure, 2 jour du mois, 3 mois, 4 jour de la semaine.
pub fn err_cron_field(field: usize, value: &str) -> String {
    let name = match field {
        0 => "minute (0 à 59)",
        1 => "heure (0 à 23)",
        2 => "jour du mois (1 à 31)",
        3 => "mois (1 à 12 ou JAN à DEC)",
        _ => "jour de la semaine (0 à 7 ou SUN à SAT ; 0 et 7 = dimanche, 1 = lundi)",
    };
    format!(
        "Dans l'expression cron, le champ {name} « {value} » n'est pas valable. \
Exemple : « 0 9 * * 1-5 » (9h00 du lundi au vendredi)."
    )
}

pub fn err_cron_never(expr: &str) -> String {
    format!(
        "L'expression cron « {expr} » ne se déclencherait jamais : ce jour n'existe dans aucun des mois choisis. \
Exemple : « 0 9 1 * * » (le 1er de chaque mois à 9h00)."
    )
}

pub fn err_unknown_tz(name: &str) -> String {
    format!(
        "Le fuseau horaire « {name} » est inconnu. Exemple : « Europe/Paris » ou « America/Cayenne »."
    )
}

pub fn err_bad_from(value: &str) -> String {
    format!(
        "La date de départ « {value} » n'est pas au format RFC 3339. Exemple : « 2026-11-30T09:00:00+01:00 »."
    )
}

pub fn err_too_many(asked: usize, max: usize) -> String {
    format!(
        "Je calcule au plus {max} échéances à la fois ({asked} demandées). Exemple : « --next 5 »."
    )
}
