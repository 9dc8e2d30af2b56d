//! Table-driven tests of the whole module: every accepted phrase shape, malformed
//! input, DST days in Paris, an overseas zone without DST, descriptions, the CLI
//! body and serde. Every test uses a fixed `now`; none reads the system clock.

use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

const PARIS: Tz = chrono_tz::Europe::Paris;
/// Wednesday 25 November 2026, 10:00 in Paris.
const NOW: &str = "2026-11-25T10:00:00+01:00";

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("valid test instant")
        .with_timezone(&Utc)
}

fn local(d: DateTime<Utc>, tz: Tz) -> String {
    d.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

struct Case {
    input: &'static str,
    now: &'static str,
    /// The next firings (up to 4) after `now`, as local "YYYY-MM-DD HH:MM".
    expected: &'static [&'static str],
}

const fn case(input: &'static str, expected: &'static [&'static str]) -> Case {
    Case {
        input,
        now: NOW,
        expected,
    }
}

const ACCEPTED: &[Case] = &[
    case(
        "chaque lundi à 9h",
        &["2026-11-30 09:00", "2026-12-07 09:00", "2026-12-14 09:00"],
    ),
    case(
        "Chaque LUNDI a 9H",
        &["2026-11-30 09:00", "2026-12-07 09:00"],
    ),
    case("  chaque   lundi   à   9 h 00 ", &["2026-11-30 09:00"]),
    case("chaque lundi à 09:00", &["2026-11-30 09:00"]),
    case("chaque lundi", &["2026-11-30 09:00"]),
    case(
        "tous les lundis 9h30",
        &["2026-11-30 09:30", "2026-12-07 09:30"],
    ),
    case("le lundi à 9h", &["2026-11-30 09:00"]),
    case("les lundis à 9h", &["2026-11-30 09:00"]),
    case(
        "chaque jour ouvré à 14h",
        &[
            "2026-11-25 14:00",
            "2026-11-26 14:00",
            "2026-11-27 14:00",
            "2026-11-30 14:00",
        ],
    ),
    case(
        "tous les jours ouvrés à 09h30",
        &["2026-11-26 09:30", "2026-11-27 09:30", "2026-11-30 09:30"],
    ),
    case(
        "du lundi au vendredi à 8h30",
        &["2026-11-26 08:30", "2026-11-27 08:30", "2026-11-30 08:30"],
    ),
    case(
        "chaque jour ouvrable à 9h",
        &[
            "2026-11-26 09:00",
            "2026-11-27 09:00",
            "2026-11-28 09:00",
            "2026-11-30 09:00",
        ],
    ),
    case(
        "tous les jours à 8h45",
        &["2026-11-26 08:45", "2026-11-27 08:45", "2026-11-28 08:45"],
    ),
    case("chaque jour", &["2026-11-26 09:00"]),
    case(
        "à 14h tous les jours",
        &["2026-11-25 14:00", "2026-11-26 14:00"],
    ),
    case(
        "chaque mardi et jeudi à 10h",
        &["2026-11-26 10:00", "2026-12-01 10:00", "2026-12-03 10:00"],
    ),
    case(
        "chaque lundi, mercredi et vendredi à 9h",
        &["2026-11-27 09:00", "2026-11-30 09:00", "2026-12-02 09:00"],
    ),
    case(
        "le mardi et le jeudi à 10h",
        &["2026-11-26 10:00", "2026-12-01 10:00"],
    ),
    case("tous les dimanches à midi", &["2026-11-29 12:00"]),
    case("chaque lundi à 2h de l'après-midi", &["2026-11-30 14:00"]),
    case(
        "le premier lundi du mois à 9h",
        &["2026-12-07 09:00", "2027-01-04 09:00", "2027-02-01 09:00"],
    ),
    case("le 1er lundi du mois", &["2026-12-07 09:00"]),
    case(
        "tous les premiers lundis du mois à 9h",
        &["2026-12-07 09:00"],
    ),
    case(
        "chaque premier lundi de chaque mois à 9h",
        &["2026-12-07 09:00"],
    ),
    case(
        "le deuxième lundi du mois à 9h",
        &["2026-12-14 09:00", "2027-01-11 09:00"],
    ),
    case("le troisième mercredi du mois à 14h", &["2026-12-16 14:00"]),
    case(
        "le 4e jeudi du mois",
        &["2026-11-26 09:00", "2026-12-24 09:00"],
    ),
    case(
        "le dernier vendredi du mois à 16h",
        &["2026-11-27 16:00", "2026-12-25 16:00", "2027-01-29 16:00"],
    ),
    case(
        "toutes les deux semaines le vendredi à 16h",
        &["2026-11-27 16:00", "2026-12-11 16:00", "2026-12-25 16:00"],
    ),
    case(
        "toutes les 3 semaines le mercredi à 9h",
        &["2026-12-02 09:00", "2026-12-23 09:00"],
    ),
    case(
        "toutes les deux semaines le mercredi à 14h",
        &["2026-11-25 14:00", "2026-12-09 14:00"],
    ),
    case(
        "une semaine sur deux le lundi",
        &["2026-11-30 09:00", "2026-12-14 09:00"],
    ),
    case(
        "un vendredi sur deux à 16h",
        &["2026-11-27 16:00", "2026-12-11 16:00"],
    ),
    case(
        "toutes les semaines le jeudi à 11h",
        &["2026-11-26 11:00", "2026-12-03 11:00"],
    ),
    case(
        "le 15 de chaque mois à 10h",
        &["2026-12-15 10:00", "2027-01-15 10:00"],
    ),
    case(
        "chaque mois le 1er à 9h",
        &["2026-12-01 09:00", "2027-01-01 09:00"],
    ),
    case("le 3 décembre à 10h", &["2026-12-03 10:00"]),
    case("le 3 decembre a 10h", &["2026-12-03 10:00"]),
    case("3 déc. à 10h", &["2026-12-03 10:00"]),
    case("le 3 décembre 2027 à 10h", &["2027-12-03 10:00"]),
    case("le jeudi 3 décembre à 10h", &["2026-12-03 10:00"]),
    case("le 1er décembre", &["2026-12-01 09:00"]),
    case("le 25 novembre à 9h", &["2027-11-25 09:00"]),
    case("le 29 février", &["2028-02-29 09:00"]),
    case("03/12 à 10h", &["2026-12-03 10:00"]),
    case("le 03/12/2026 à 10h", &["2026-12-03 10:00"]),
    case("2026-12-03 à 10h", &["2026-12-03 10:00"]),
    case("demain à 9h", &["2026-11-26 09:00"]),
    case("demain", &["2026-11-26 09:00"]),
    case("après-demain à 14h", &["2026-11-27 14:00"]),
    case("aujourd'hui à 17h", &["2026-11-25 17:00"]),
    case("Aujourd’hui à 17h", &["2026-11-25 17:00"]),
    case("aujourd'hui à 7h du soir", &["2026-11-25 19:00"]),
    case("dans 2 jours", &["2026-11-27 10:00"]),
    case("dans deux jours", &["2026-11-27 10:00"]),
    case("dans 2 jours à 9h", &["2026-11-27 09:00"]),
    case("dans 2 semaines", &["2026-12-09 10:00"]),
    case("dans 2 jours 9h", &["2026-11-27 09:00"]),
    case("dans 3 jours 4 heures", &["2026-11-28 14:00"]),
    case("dans 3 heures", &["2026-11-25 13:00"]),
    case("dans 3h", &["2026-11-25 13:00"]),
    case("dans 1h30", &["2026-11-25 11:30"]),
    case("dans une heure et 15 minutes", &["2026-11-25 11:15"]),
    case("dans 10 minutes", &["2026-11-25 10:10"]),
    case("dans 1 mois", &["2026-12-25 10:00"]),
    case("lundi prochain 9h", &["2026-11-30 09:00"]),
    case("lundi prochain", &["2026-11-30 09:00"]),
    case("prochain lundi à 10h", &["2026-11-30 10:00"]),
    case("mercredi prochain à 9h", &["2026-12-02 09:00"]),
    case("ce vendredi à 16h", &["2026-11-27 16:00"]),
    case(
        "0 9 * * 1-5",
        &["2026-11-26 09:00", "2026-11-27 09:00", "2026-11-30 09:00"],
    ),
    case("0 9 * * MON", &["2026-11-30 09:00", "2026-12-07 09:00"]),
    case("0 9 * * 7", &["2026-11-29 09:00"]),
    case(
        "0 9 1 * 5",
        &["2026-11-27 09:00", "2026-12-01 09:00", "2026-12-04 09:00"],
    ),
    case(
        "*/30 9-10 * * *",
        &["2026-11-25 10:30", "2026-11-26 09:00", "2026-11-26 09:30"],
    ),
];

#[test]
fn accepted_phrases_fire_where_expected() {
    for c in ACCEPTED {
        let now = at(c.now);
        let schedule =
            parse(c.input, PARIS, now).unwrap_or_else(|e| panic!("{:?} refused: {e}", c.input));
        let got: Vec<String> = schedule
            .next_n(now, PARIS, c.expected.len())
            .into_iter()
            .map(|d| local(d, PARIS))
            .collect();
        assert_eq!(got, c.expected, "input {:?}", c.input);
    }
}

#[test]
fn one_offs_fire_once_and_recurrences_repeat() {
    let now = at(NOW);
    for (input, one_off) in [
        ("demain à 9h", true),
        ("le 3 décembre à 10h", true),
        ("dans 3 heures", true),
        ("chaque lundi à 9h", false),
        ("le premier lundi du mois", false),
        ("toutes les deux semaines le vendredi", false),
        ("0 9 * * 1-5", false),
    ] {
        let s = parse(input, PARIS, now).expect("accepted");
        assert_eq!(s.is_one_off(), one_off, "{input}");
        let n = s.next_n(now, PARIS, 3).len();
        assert_eq!(n, if one_off { 1 } else { 3 }, "{input}");
        if let Some(first) = s.next_after(now, PARIS) {
            if one_off {
                assert_eq!(s.next_after(first, PARIS), None, "{input}");
            }
        }
    }
}

struct Bad {
    input: String,
    now: &'static str,
    expected: fn(&ScheduleError) -> bool,
}

fn bad(input: &str, expected: fn(&ScheduleError) -> bool) -> Bad {
    Bad {
        input: input.to_string(),
        now: NOW,
        expected,
    }
}

fn malformed() -> Vec<Bad> {
    use ScheduleError as E;
    vec![
        bad("", |e| matches!(e, E::Empty)),
        bad("   ", |e| matches!(e, E::Empty)),
        bad("...", |e| matches!(e, E::Empty)),
        bad("chaque", |e| matches!(e, E::Incomplete { .. })),
        bad("tous les", |e| matches!(e, E::Incomplete { .. })),
        bad("chaque semaine", |e| matches!(e, E::Incomplete { .. })),
        bad("à 25h", |e| matches!(e, E::BadTime { .. })),
        bad("chaque lundi à 9h60", |e| matches!(e, E::BadTime { .. })),
        bad("à 9h", |e| matches!(e, E::MissingDay)),
        bad("le 31 février", |e| matches!(e, E::BadDate { .. })),
        bad("le 31 avril à 9h", |e| matches!(e, E::BadDate { .. })),
        bad("le 0 décembre", |e| matches!(e, E::BadDate { .. })),
        bad("30/02 à 9h", |e| matches!(e, E::BadDate { .. })),
        bad("le 29 février 2027", |e| matches!(e, E::BadDate { .. })),
        bad("0 9 * *", |e| matches!(e, E::CronFieldCount { found: 4 })),
        bad("0 9 * * * *", |e| {
            matches!(e, E::CronFieldCount { found: 6 })
        }),
        bad("61 9 * * *", |e| matches!(e, E::CronField { field: 0, .. })),
        bad("0 9 * * 8", |e| matches!(e, E::CronField { field: 4, .. })),
        bad("0 9 31 2 *", |e| matches!(e, E::CronNeverFires { .. })),
        bad(&"chaque lundi ".repeat(5000), |e| {
            matches!(e, E::TooLong { .. })
        }),
        bad(&"a".repeat(64 * 1024), |e| matches!(e, E::TooLong { .. })),
        bad("📅", |e| matches!(e, E::NotUnderstood { .. })),
        bad("chaque 📅 à 9h", |e| {
            matches!(e, E::NotUnderstood { .. })
        }),
        bad("<b>chaque lundi</b>", |e| {
            matches!(e, E::NotUnderstood { .. })
        }),
        bad("<script>alert(1)</script>", |e| {
            matches!(e, E::NotUnderstood { .. })
        }),
        bad("chaque lundi à 9h; DROP TABLE", |e| {
            matches!(e, E::NotUnderstood { .. })
        }),
        bad("\u{0}\u{7}", |e| matches!(e, E::NotUnderstood { .. })),
        bad("lundi à 9h", |e| matches!(e, E::BareWeekday { .. })),
        bad("hier à 9h", |e| matches!(e, E::NotUnderstood { .. })),
        bad("chaque lundi matin", |e| {
            matches!(e, E::NotUnderstood { .. })
        }),
        bad("aujourd'hui à 8h", |e| matches!(e, E::Past { .. })),
        bad("le 3 décembre 2020 à 10h", |e| {
            matches!(e, E::Past { .. })
        }),
        bad("dans 0 minutes", |e| matches!(e, E::Past { .. })),
        bad("le 3 décembre 2099", |e| matches!(e, E::TooFar { .. })),
        bad("dans 999999999 jours", |e| matches!(e, E::TooFar { .. })),
        bad("chaque lundi à 9h et 14h", |e| {
            matches!(e, E::SeveralTimes)
        }),
        bad("le cinquième lundi du mois", |e| {
            matches!(e, E::BadOrdinal { .. })
        }),
        bad("le 5e lundi du mois", |e| matches!(e, E::BadOrdinal { .. })),
        bad("le premier lundi", |e| matches!(e, E::Incomplete { .. })),
        bad("toutes les 60 semaines le lundi", |e| {
            matches!(e, E::BadInterval { weeks: 60 })
        }),
        bad("toutes les 0 semaines le lundi", |e| {
            matches!(e, E::BadInterval { weeks: 0 })
        }),
        bad("dans trois dodos", |e| matches!(e, E::BadDuration { .. })),
        bad("dans", |e| matches!(e, E::Incomplete { .. })),
        bad("dans 2 heures à 9h", |e| {
            matches!(e, E::BadDuration { .. })
        }),
        bad("le lundi 4 décembre", |e| {
            matches!(e, E::WeekdayMismatch { .. })
        }),
        bad("ce soir à 19h", |e| matches!(e, E::NotUnderstood { .. })),
        bad("@daily", |e| matches!(e, E::NotUnderstood { .. })),
    ]
}

#[test]
fn malformed_input_gets_a_french_error_with_an_example() {
    for b in malformed() {
        let shown: String = b.input.chars().take(40).collect();
        let err = match parse(&b.input, PARIS, at(b.now)) {
            Ok(s) => panic!("{shown:?} accepted as {s:?}"),
            Err(e) => e,
        };
        assert!((b.expected)(&err), "{shown:?} gave {err:?}");
        let text = err.to_string();
        assert!(text.contains("Exemple"), "{shown:?}: {text}");
        assert!(text.chars().count() < 400, "{shown:?}: message too long");
    }
}

#[test]
fn errors_quote_the_users_own_word() {
    let err = parse("chaque lundi vers midi trente", PARIS, at(NOW)).expect_err("refused");
    assert!(err.to_string().contains("« trente »"), "{err}");
    let err = parse("le 31 février", PARIS, at(NOW)).expect_err("refused");
    assert!(err.to_string().contains("31 février"), "{err}");
    let err = parse("lundi à 9h", PARIS, at(NOW)).expect_err("refused");
    assert!(err.to_string().contains("chaque lundi à 9h"), "{err}");
    let err = parse("aujourd'hui à 8h", PARIS, at(NOW)).expect_err("refused");
    assert!(
        err.to_string().contains("mercredi 25 novembre à 08:00"),
        "{err}"
    );
    let err = parse("le jeudi 4 décembre", PARIS, at(NOW)).expect_err("refused");
    assert_eq!(
        err.to_string(),
        "Le 4 décembre 2026 est un vendredi, pas un jeudi. Exemple : « le vendredi 4 décembre 2026 à 10h »."
    );
}

#[test]
fn descriptions_are_french() {
    let now = at(NOW);
    for (input, expected) in [
        ("chaque lundi à 9h", "chaque lundi à 09:00"),
        ("le 3 décembre à 10h", "le 3 décembre 2026 à 10:00"),
        ("le 1er décembre", "le 1er décembre 2026 à 09:00"),
        (
            "chaque jour ouvré à 14h",
            "chaque jour ouvré (du lundi au vendredi) à 14:00",
        ),
        (
            "0 9 * * 1-5",
            "chaque jour ouvré (du lundi au vendredi) à 09:00",
        ),
        ("tous les jours à 8h45", "tous les jours à 08:45"),
        (
            "chaque mardi et jeudi à 10h",
            "chaque mardi et jeudi à 10:00",
        ),
        (
            "chaque lundi, mercredi et vendredi",
            "chaque lundi, mercredi et vendredi à 09:00",
        ),
        ("chaque jour ouvrable", "du lundi au samedi à 09:00"),
        (
            "le premier lundi du mois à 9h",
            "le premier lundi du mois à 09:00",
        ),
        (
            "le dernier vendredi du mois à 16h",
            "le dernier vendredi du mois à 16:00",
        ),
        (
            "toutes les deux semaines le vendredi à 16h",
            "une semaine sur deux, le vendredi à 16:00, à partir du vendredi 27 novembre 2026",
        ),
        (
            "toutes les 3 semaines le mercredi",
            "toutes les 3 semaines, le mercredi à 09:00, à partir du mercredi 2 décembre 2026",
        ),
        ("le 15 de chaque mois", "le 15 de chaque mois à 09:00"),
        (
            "*/15 9-17 * * 1-5",
            "selon la règle cron « */15 9-17 * * 1-5 » (minute heure jour mois jour-de-semaine)",
        ),
    ] {
        let s = parse(input, PARIS, now).expect("accepted");
        assert_eq!(s.describe_fr(PARIS), expected, "{input}");
    }
}

#[test]
fn format_fr_adds_the_year_only_when_needed() {
    let now = at(NOW);
    assert_eq!(
        format_fr(at("2026-11-30T08:00:00Z"), PARIS, now),
        "lundi 30 novembre à 09:00"
    );
    assert_eq!(
        format_fr(at("2026-12-01T08:00:00Z"), PARIS, now),
        "mardi 1er décembre à 09:00"
    );
    assert_eq!(
        format_fr(at("2027-01-04T08:00:00Z"), PARIS, now),
        "lundi 4 janvier 2027 à 09:00"
    );
    // 31 Dec 23:30 UTC is already 1 January 2027 in Paris.
    assert_eq!(
        format_fr(at("2026-12-31T23:30:00Z"), PARIS, now),
        "vendredi 1er janvier 2027 à 00:30"
    );
}

// ---------------------------------------------------------------------------
// DST: Europe/Paris switches on 2026-03-29 (02:00 → 03:00) and 2026-10-25
// (03:00 → 02:00).
// ---------------------------------------------------------------------------

fn utc_list(input: &str, from: &str, n: usize) -> Vec<String> {
    let from = at(from);
    parse(input, PARIS, from)
        .expect("accepted")
        .next_n(from, PARIS, n)
        .iter()
        .map(|d| d.to_rfc3339())
        .collect()
}

#[test]
fn nine_am_stays_nine_am_across_both_changes() {
    for input in ["tous les jours à 9h", "0 9 * * *"] {
        assert_eq!(
            utc_list(input, "2026-03-27T12:00:00Z", 3),
            [
                "2026-03-28T08:00:00+00:00",
                "2026-03-29T07:00:00+00:00",
                "2026-03-30T07:00:00+00:00"
            ],
            "{input}"
        );
        assert_eq!(
            utc_list(input, "2026-10-23T12:00:00Z", 3),
            [
                "2026-10-24T07:00:00+00:00",
                "2026-10-25T08:00:00+00:00",
                "2026-10-26T08:00:00+00:00"
            ],
            "{input}"
        );
    }
}

#[test]
fn job_in_the_spring_gap_fires_once_right_after_it() {
    for input in ["30 2 * * *", "tous les jours à 2h30"] {
        assert_eq!(
            utc_list(input, "2026-03-28T12:00:00Z", 2),
            // 03:00 CEST on the 29th, then 02:30 CEST on the 30th.
            ["2026-03-29T01:00:00+00:00", "2026-03-30T00:30:00+00:00"],
            "{input}"
        );
    }
    // A one-off at the missing time too.
    assert_eq!(
        utc_list("demain à 2h30", "2026-03-28T12:00:00Z", 1),
        ["2026-03-29T01:00:00+00:00"]
    );
    // Every 15 minutes: the four gap slots collapse onto 03:00, once.
    assert_eq!(
        utc_list("*/15 * * * *", "2026-03-29T00:50:00Z", 3),
        [
            "2026-03-29T01:00:00+00:00",
            "2026-03-29T01:15:00+00:00",
            "2026-03-29T01:30:00+00:00"
        ]
    );
    // "le dernier dimanche du mois à 2h30" lands on the gap in March.
    assert_eq!(
        utc_list(
            "le dernier dimanche du mois à 2h30",
            "2026-03-01T12:00:00Z",
            2
        ),
        ["2026-03-29T01:00:00+00:00", "2026-04-26T00:30:00+00:00"]
    );
}

#[test]
fn job_in_the_repeated_autumn_hour_fires_once() {
    for input in ["30 2 * * *", "tous les jours à 2h30"] {
        assert_eq!(
            utc_list(input, "2026-10-24T12:00:00Z", 2),
            // 02:30 CEST (first pass) on the 25th, then 02:30 CET on the 26th.
            ["2026-10-25T00:30:00+00:00", "2026-10-26T01:30:00+00:00"],
            "{input}"
        );
    }
    // Asking from inside the second pass does not fire it again.
    let s = parse("30 2 * * *", PARIS, at(NOW)).expect("accepted");
    assert_eq!(
        s.next_after(at("2026-10-25T00:30:00Z"), PARIS),
        Some(at("2026-10-26T01:30:00Z"))
    );
    assert_eq!(
        s.next_after(at("2026-10-25T01:10:00Z"), PARIS),
        Some(at("2026-10-26T01:30:00Z"))
    );
}

#[test]
fn overseas_zones_have_no_dst() {
    let cayenne = chrono_tz::America::Cayenne;
    let from = at("2026-03-20T12:00:00Z");
    let s = parse("chaque lundi à 9h", cayenne, from).expect("accepted");
    let got: Vec<String> = s
        .next_n(from, cayenne, 2)
        .iter()
        .map(|d| d.to_rfc3339())
        .collect();
    assert_eq!(
        got,
        ["2026-03-23T12:00:00+00:00", "2026-03-30T12:00:00+00:00"]
    );
    let from = at("2026-10-20T12:00:00Z");
    let got = s.next_n(from, cayenne, 2);
    assert_eq!(
        got,
        [at("2026-10-26T12:00:00Z"), at("2026-11-02T12:00:00Z")]
    );
    // La Réunion is UTC+4 all year.
    let reunion = chrono_tz::Indian::Reunion;
    let s = parse("tous les jours à 9h", reunion, from).expect("accepted");
    assert_eq!(
        s.next_after(at("2026-10-24T12:00:00Z"), reunion),
        Some(at("2026-10-25T05:00:00Z"))
    );
}

#[test]
fn leading_schedule_is_split_from_the_message() {
    let now = at(NOW);
    for (input, expected_rest, description) in [
        (
            "chaque lundi à 9h Pensez au point équipe",
            "Pensez au point équipe",
            "chaque lundi à 09:00",
        ),
        (
            "demain à 14h : bilan du mois",
            "bilan du mois",
            "le 26 novembre 2026 à 14:00",
        ),
        (
            "0 9 * * 1-5 — Café visio",
            "Café visio",
            "chaque jour ouvré (du lundi au vendredi) à 09:00",
        ),
        (
            "le premier lundi du mois",
            "",
            "le premier lundi du mois à 09:00",
        ),
        (
            "dans 3 heures, relire les fiches",
            "relire les fiches",
            "le 25 novembre 2026 à 13:00",
        ),
    ] {
        let (s, rest) = parse_leading(input, PARIS, now).expect("accepted");
        assert_eq!(rest, expected_rest, "{input}");
        assert_eq!(s.describe_fr(PARIS), description, "{input}");
    }
    let e = parse_leading("aujourd'hui à 8h Bilan", PARIS, now).expect_err("past");
    assert!(matches!(e, ScheduleError::Past { .. }), "{e:?}");
    let e = parse_leading("le 31 février rappel", PARIS, now).expect_err("bad date");
    assert!(matches!(e, ScheduleError::BadDate { .. }), "{e:?}");
    let e = parse_leading("Pensez au point", PARIS, now).expect_err("no schedule");
    assert!(matches!(e, ScheduleError::NotUnderstood { .. }), "{e:?}");
    assert_eq!(parse_leading("", PARIS, now), Err(ScheduleError::Empty));
}

#[test]
fn phrase_relative_to_now_uses_the_local_date() {
    // 23:30 UTC on 30 November is already 1 December in Paris: "demain" is the 2nd.
    let now = at("2026-11-30T23:30:00Z");
    let s = parse("demain à 9h", PARIS, now).expect("accepted");
    assert_eq!(
        s,
        Schedule::Once {
            at: at("2026-12-02T08:00:00Z")
        }
    );
}

// ---------------------------------------------------------------------------
// CLI, time zones, serde.
// ---------------------------------------------------------------------------

#[test]
fn cli_prints_text_and_json() {
    let now = at("2030-01-01T00:00:00Z");
    let json = cli("chaque lundi à 9h", "Europe/Paris", Some(NOW), 3, true, now).expect("ok");
    assert_eq!(
        json,
        r#"["2026-11-30T09:00:00+01:00","2026-12-07T09:00:00+01:00","2026-12-14T09:00:00+01:00"]"#
    );
    let text = cli(
        "chaque lundi à 9h",
        "Europe/Paris",
        Some(NOW),
        3,
        false,
        now,
    )
    .expect("ok");
    assert_eq!(
        text,
        "lundi 30 novembre à 09:00\nlundi 7 décembre à 09:00\nlundi 14 décembre à 09:00"
    );
    // Without --from, `now` is the start.
    let text = cli("demain à 9h", "europe/paris", None, 5, false, at(NOW)).expect("ok");
    assert_eq!(text, "jeudi 26 novembre à 09:00");
    let text = cli("demain à 9h", "Europe/Paris", None, 0, false, at(NOW)).expect("ok");
    assert_eq!(text, crate::strings::schedule::NO_FIRING);
    let json = cli("demain à 9h", "Europe/Paris", None, 0, true, at(NOW)).expect("ok");
    assert_eq!(json, "[]");
}

#[test]
fn cli_refuses_bad_arguments_in_french() {
    let now = at(NOW);
    let e = cli("chaque lundi", "Europe/Parsi", None, 3, false, now).expect_err("bad tz");
    assert!(matches!(e, ScheduleError::UnknownTimeZone { .. }));
    let e = cli(
        "chaque lundi",
        "Europe/Paris",
        Some("demain"),
        3,
        false,
        now,
    )
    .expect_err("bad from");
    assert!(matches!(e, ScheduleError::BadFrom { .. }));
    let e = cli("chaque lundi", "Europe/Paris", None, 1_000_000, false, now).expect_err("too many");
    assert!(matches!(e, ScheduleError::TooManyFirings { .. }));
    let e = cli("chaque", "Europe/Paris", None, 3, true, now).expect_err("bad phrase");
    assert!(e.to_string().contains("Exemple"));
}

#[test]
fn time_zone_names() {
    assert_eq!(parse_tz("Europe/Paris"), Ok(PARIS));
    assert_eq!(
        parse_tz(" america/cayenne "),
        Ok(chrono_tz::America::Cayenne)
    );
    assert!(parse_tz("").is_err());
    assert!(parse_tz("Mars/Olympus").is_err());
}

#[test]
fn schedules_round_trip_through_json() {
    let now = at(NOW);
    for input in [
        "demain à 9h",
        "chaque lundi à 9h",
        "le premier lundi du mois à 9h",
        "toutes les deux semaines le vendredi à 16h",
        "*/15 9-17 * * 1-5",
    ] {
        let s = parse(input, PARIS, now).expect("accepted");
        let json = serde_json::to_string(&s).expect("serializes");
        let back: Schedule = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, s, "{input}: {json}");
    }
    let s = parse("chaque lundi à 9h", PARIS, now).expect("accepted");
    assert_eq!(
        serde_json::to_string(&s).expect("serializes"),
        r#"{"kind":"cron","expr":"0 9 * * 1"}"#
    );
    // A corrupted stored expression is refused, not trusted.
    assert!(serde_json::from_str::<Schedule>(r#"{"kind":"cron","expr":"0 9 * *"}"#).is_err());
}

#[test]
fn utc_zone_works_too() {
    let now = chrono_tz::UTC
        .with_ymd_and_hms(2026, 11, 25, 10, 0, 0)
        .single()
        .expect("valid");
    let now = now.with_timezone(&Utc);
    let s = parse("chaque lundi à 9h", chrono_tz::UTC, now).expect("accepted");
    assert_eq!(
        s.next_after(now, chrono_tz::UTC),
        Some(at("2026-11-30T09:00:00Z"))
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    /// Any input: a schedule or a French error with an example, never a panic.
    #[test]
    fn arbitrary_text_never_panics(input in "\\PC{0,80}") {
        match parse(&input, PARIS, at(NOW)) {
            Ok(s) => { let _ = s.next_n(at(NOW), PARIS, 2); }
            Err(e) => prop_assert!(e.to_string().contains("Exemple"), "{}", e),
        }
    }

    /// Word salads from the grammar's own vocabulary: same guarantee.
    #[test]
    fn vocabulary_salad_never_panics(words in proptest::collection::vec(proptest::sample::select(vec![
        "chaque", "tous", "les", "le", "la", "lundi", "vendredis", "jour", "jours", "ouvrés",
        "premier", "dernier", "du", "mois", "de", "semaine", "semaines", "deux", "sur", "à",
        "9h", "14h30", "midi", "dans", "3", "heures", "minutes", "demain", "prochain", "et", ",",
        "3", "décembre", "2027", "31", "février", "1er", "au", "*", "0", "un", "une", "ce",
    ]), 0..8)) {
        let input = words.join(" ");
        match parse(&input, PARIS, at(NOW)) {
            Ok(s) => { let _ = s.describe_fr(PARIS); let _ = s.next_n(at(NOW), PARIS, 3); }
            Err(e) => prop_assert!(e.to_string().contains("Exemple"), "{}: {}", input, e),
        }
    }
}

#[test]
fn seconds_delays_fire_to_the_second() {
    let now = at("2026-11-25T10:00:07+01:00");
    for (input, expected) in [
        ("dans 30 secondes", "2026-11-25T10:00:37+01:00"),
        ("dans 5 s", "2026-11-25T10:00:12+01:00"),
        ("dans 1 minute et 10 secondes", "2026-11-25T10:01:17+01:00"),
    ] {
        let schedule = parse(input, PARIS, now).expect(input);
        assert_eq!(schedule, Schedule::Once { at: at(expected) }, "{input}");
    }
    assert!(matches!(
        parse("dans 2 jours à 9h et 3 secondes", PARIS, now),
        Err(ScheduleError::BadDuration { .. }) | Err(ScheduleError::NotUnderstood { .. })
    ));
    let (schedule, rest) =
        parse_leading("dans 20 secondes : Pause café", PARIS, now).expect("leading");
    assert!(schedule.is_one_off());
    assert_eq!(rest, "Pause café");
}

#[test]
fn equal_quiet_bounds_mean_no_quiet_window() {
    let rules = QuietRules {
        start: NaiveTime::MIN,
        end: NaiveTime::MIN,
        weekends: false,
        holidays: false,
        region: HolidayRegion::Metropole,
    };
    assert!(rules.is_never_quiet());
    // Saturday night, Christmas: all allowed.
    for t in ["2026-11-28T23:30:00+01:00", "2026-12-25T03:00:00+01:00"] {
        assert_eq!(next_allowed(at(t), PARIS, &rules), at(t), "{t}");
    }
    assert!(!QuietRules::default().is_never_quiet());
}

#[test]
fn relative_delays_never_fire_before_the_requested_instant() {
    use chrono::Duration;
    // `now` with a fraction of a second: the firing is at least the delay later, never earlier.
    let now = at("2026-11-25T10:00:00.750+01:00");
    for (phrase, delay) in [
        ("dans 10 secondes", Duration::seconds(10)),
        ("dans 1 minute", Duration::minutes(1)),
        ("dans 2 heures", Duration::hours(2)),
        ("dans 2 jours", Duration::days(2)),
    ] {
        let Schedule::Once { at: fires } = parse(phrase, PARIS, now).expect(phrase) else {
            panic!("{phrase}: a one-off expected");
        };
        // Neither rounded down (early) nor up (up to a second late).
        assert_eq!(fires, now + delay, "{phrase}");
    }
}
