//! The properties the fuzz targets check, shared with the bounded proptest runs of
//! `tests/fuzz_props.rs` (which includes this file with `#[path]`), so that both check the same
//! thing. One `check_*` function per entry point that parses untrusted text; each asserts more
//! than "no panic" where it is cheap, and none measures time (the targets do that themselves).
//!
//! This file depends only on kitbot's public API and on crates kitbot already depends on
//! (chrono, chrono-tz, serde_json), so it compiles both in the fuzz crate and in the main
//! crate's test suite.

use std::collections::HashSet;
use std::sync::LazyLock;

use chrono::{DateTime, Months, TimeZone, Utc};
use chrono_tz::Tz;

use kitbot::commands::{command_word, Command, CommandSet};
use kitbot::config::Config;
use kitbot::core::text::{escape_md, fold, is_bidi_control, quote_inline};
use kitbot::core::Problem;
use kitbot::kit::{render_fiche, render_kit_answer, Kit, MAX_BODY_CHARS};
use kitbot::reflections::pii::{
    assess, labels_fr, scan_at, Verdict, MAX_UNSURE_WORDS, MAX_UNSURE_WORD_CHARS,
};
use kitbot::schedule::{self, Schedule, ScheduleError, MAX_YEARS_AHEAD};

/// The size of the long inputs fed to every parser to show it returns (linear time).
pub const LONG_INPUT_BYTES: usize = 64 * 1024;

/// The command prefix of the example config.
pub const PREFIX: &str = "!";

/// The year the personal-data guard judges birth dates against.
pub const PII_YEAR: i32 = 2026;

/// Characters `escape_md` must backslash-escape.
const MARKDOWN_SPECIALS: &str = "\\*_`[]<>&#!|~";

/// The time zones the schedule target picks from (mainland, overseas, far from UTC, UTC).
pub const ZONES: [Tz; 5] = [
    chrono_tz::Europe::Paris,
    chrono_tz::America::Cayenne,
    chrono_tz::Indian::Reunion,
    chrono_tz::Pacific::Noumea,
    chrono_tz::UTC,
];

/// The fixed `now` of the schedule checks: a Friday, two days before the spring DST change in
/// Europe/Paris (2026-03-29), so "dimanche à 2h30" and "dans 3 jours" cross it.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 27, 10, 30, 0)
        .single()
        .expect("a valid fixed date")
}

/// The embedded commands, loaded once.
pub static COMMANDS: LazyLock<CommandSet> = LazyLock::new(|| {
    CommandSet::from_files(&kitbot::assets::embedded("commands/"))
        .unwrap_or_else(|p| panic!("embedded commands load: {p:#?}"))
});

/// The embedded `themes.toml`, so that a fuzzed card can name a real theme.
pub static THEMES: LazyLock<(String, String)> = LazyLock::new(|| {
    kitbot::assets::embedded("kit-snippets/themes.toml")
        .into_iter()
        .next()
        .expect("an embedded themes.toml")
});

/// The whole embedded kit, for questions (`!kit …`, `!fiche …`) on real cards.
pub static REAL_KIT: LazyLock<Kit> = LazyLock::new(|| {
    Kit::from_files(&kitbot::assets::embedded("kit-snippets/"))
        .unwrap_or_else(|p| panic!("embedded kit loads: {p:#?}"))
});

/// The path every fuzzed card is loaded under; a card loads only when its `id` is `x`.
pub const CARD_PATH: &str = "kit-snippets/x.md";

/// `text` repeated (or a filler when empty) up to `len` bytes, cut on a character boundary.
pub fn repeated(text: &str, len: usize) -> String {
    let unit = if text.is_empty() { "a " } else { text };
    let mut out = String::with_capacity(len + unit.len());
    while out.len() < len {
        out.push_str(unit);
    }
    let mut cut = len;
    while !out.is_char_boundary(cut) {
        cut -= 1;
    }
    out.truncate(cut);
    out
}

// ---------------------------------------------------------------------------------------------
// 1. Commands

/// `command_word`, `CommandSet::split` and `Command::parse` on a chat message, every command's
/// parser on the same text as its arguments, and `escape_md` on it.
pub fn check_commands(body: &str) {
    let word = command_word(body, PREFIX);
    if let Some((word, args)) = word {
        assert!(!word.is_empty(), "an empty command word");
        assert!(
            !word.contains(char::is_whitespace),
            "a command word with whitespace: {word:?}"
        );
        assert_eq!(args, args.trim(), "arguments are trimmed");
    }
    match COMMANDS.split(body, PREFIX) {
        Some((spec, args)) => {
            let (word, word_args) = word.expect("split implies a command word");
            assert_eq!(
                args, word_args,
                "split and command_word agree on the arguments"
            );
            assert_eq!(
                COMMANDS.lookup(word).map(|s| s.name.as_str()),
                Some(spec.name.as_str())
            );
            let command = Command::parse(&spec.name, args);
            assert!(
                !matches!(command, Command::Unknown { .. }),
                "!{} parsed to Unknown",
                spec.name
            );
            assert_eq!(command.name(), spec.name);
        }
        None => {
            if let Some((word, _)) = word {
                assert!(
                    COMMANDS.lookup(word).is_none(),
                    "lookup finds what split missed"
                );
                if let Some(near) = COMMANDS.suggest(word) {
                    assert!(COMMANDS.lookup(&near.name).is_some());
                }
            }
        }
    }
    // Each command's own parser on arbitrary arguments: never Unknown, always its own name.
    let args = body.trim();
    for spec in COMMANDS.specs() {
        let command = Command::parse(&spec.name, args);
        assert_eq!(command.name(), spec.name, "!{} {args:?}", spec.name);
    }
    check_escape(body);
    check_fold(body);
}

/// `escape_md`, and `quote_inline` (which cuts, then escapes), on text a user typed: in the
/// output every Markdown/HTML special character is backslash-escaped, every backslash escapes
/// one of them, no bidi control is left, no mention survives (`@` directly followed by a
/// letter, a digit or `_`: `@room`, `@alice:example.org`), and no address becomes a link
/// (`://`, `www.`).
pub fn check_escape(text: &str) {
    check_escaped(&escape_md(text));
    let quoted = quote_inline(text, 40);
    check_escaped(&quoted);
    let shown = quoted.strip_suffix('…').unwrap_or(&quoted);
    let unescaped = shown
        .chars()
        .filter(|&c| c != '\\' && c != '\u{2060}')
        .count();
    assert!(
        unescaped <= 40,
        "quote_inline(_, 40) kept {unescaped} characters: {quoted:?}"
    );
}

fn check_escaped(out: &str) {
    let mut chars = out.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let next = chars.next();
            assert!(
                next.is_some_and(|n| MARKDOWN_SPECIALS.contains(n)),
                "a backslash that escapes {next:?} in {out:?}"
            );
        } else if MARKDOWN_SPECIALS.contains(c) {
            panic!("{c:?} left unescaped in {out:?}");
        } else if is_bidi_control(c) {
            panic!("bidi control {c:?} left in {out:?}");
        } else if c == '@'
            && chars
                .peek()
                .is_some_and(|n| n.is_alphanumeric() || *n == '_')
        {
            panic!("a mention survives in {out:?}");
        }
    }
    assert!(!out.contains("://"), "an address left as a link in {out:?}");
    assert!(
        !out.contains("www.") && !out.contains("WWW."),
        "an address left as a link in {out:?}"
    );
}

/// `fold`, the one comparison form of the crate (command words, card ids, search, the guard's
/// word lists): folding twice gives what folding once gave, and nothing upper-case is left in
/// ASCII.
pub fn check_fold(text: &str) {
    let once = fold(text);
    assert_eq!(fold(&once), once, "fold is not idempotent on {text:?}");
    assert!(!once.bytes().any(|b| b.is_ascii_uppercase()), "{once:?}");
}

// ---------------------------------------------------------------------------------------------
// 2. Schedules

/// `schedule::parse` and `schedule::parse_leading` at the fixed `now` in `tz`.
pub fn check_schedule(text: &str, tz: Tz) {
    let now = now();
    match schedule::parse(text, tz, now) {
        Ok(parsed) => check_parsed(&parsed, tz, now, text),
        Err(e) => check_error(&e),
    }
    match schedule::parse_leading(text, tz, now) {
        Ok((parsed, rest)) => {
            check_parsed(&parsed, tz, now, text);
            assert!(
                text.ends_with(rest),
                "the rest {rest:?} is a tail of {text:?}"
            );
            // The rest keeps the text's trailing whitespace: compare with the text as
            // parse_leading reads it, trimmed at the start only.
            assert!(
                rest.len() < text.trim_start().len(),
                "nothing was read in {text:?}"
            );
        }
        Err(e) => check_error(&e),
    }
}

fn check_parsed(parsed: &Schedule, tz: Tz, now: DateTime<Utc>, text: &str) {
    match parsed {
        Schedule::Once { at } => {
            assert!(*at > now, "a one-off in the past: {at} from {text:?}");
            let limit = now
                .checked_add_months(Months::new(12 * MAX_YEARS_AHEAD))
                .expect("a representable limit");
            assert!(*at <= limit, "a one-off too far: {at} from {text:?}");
            assert_eq!(parsed.next_after(now, tz), Some(*at), "{text:?}");
        }
        _ => {
            let next = parsed.next_after(now, tz);
            assert!(
                next.is_some_and(|n| n > now),
                "a recurring schedule that never fires after now: {parsed:?} from {text:?}"
            );
        }
    }
    assert!(!parsed.describe_fr(tz).is_empty());
    // Schedules are stored as JSON in sled: they must read back as they were.
    let json = serde_json::to_string(parsed).expect("a schedule serializes");
    let back: Schedule = serde_json::from_str(&json).expect("a stored schedule reads back");
    assert_eq!(&back, parsed, "JSON round trip of {json}");
}

/// User text quoted back in an error is cut to 40 characters (plus an ellipsis) without
/// control characters.
fn check_error(e: &ScheduleError) {
    let quoted: Vec<&str> = match e {
        ScheduleError::NotUnderstood { word } => vec![word],
        ScheduleError::Incomplete { after } => vec![after],
        ScheduleError::BadTime { text }
        | ScheduleError::BadDate { text }
        | ScheduleError::BadOrdinal { text }
        | ScheduleError::BadDuration { text } => vec![text],
        ScheduleError::BareWeekday { day } => vec![day],
        ScheduleError::CronField { value, .. } => vec![value],
        ScheduleError::CronNeverFires { expr } => vec![expr],
        _ => vec![],
    };
    for q in quoted {
        assert!(q.chars().count() <= 41, "a long excerpt in {e:?}");
        assert!(
            !q.chars().any(char::is_control),
            "a control character in {e:?}"
        );
    }
    assert!(!e.to_string().is_empty());
}

// ---------------------------------------------------------------------------------------------
// 3. Cards

/// A card whose front matter is valid (id `x`, a real theme) and whose body is `body`.
pub fn card_with_body(body: &str) -> String {
    format!(
        "+++\nid = \"x\"\ntitre = \"Une fiche\"\ntheme = \"canal\"\nniveau = 1\ntags = [\"sms\"]\n\
         canaux = [\"sms\"]\nduree = \"15 minutes\"\n[[sources]]\ntitre = \"Source\"\n\
         url = \"https://example.org/x\"\n+++\n{body}"
    )
}

/// A card whose front matter is `front` and whose body is valid.
pub fn card_with_front(front: &str) -> String {
    format!(
        "+++\n{front}\n+++\nUne pratique simple.\n\n## Essayer cette semaine\n1. Essayer.\n\n\
         ## Points de vigilance\n- Rester attentif.\n"
    )
}

/// `Kit::from_files` on one card file `kit-snippets/x.md` holding `text` and the real
/// `themes.toml`: either it loads one valid card, or every problem names a file and a line
/// that exist.
pub fn check_card(text: &str) {
    let files = vec![(CARD_PATH.to_owned(), text.to_owned()), THEMES.clone()];
    match Kit::from_files(&files) {
        Ok(kit) => {
            let [card] = kit.cards() else {
                panic!("{} cards from one file", kit.cards().len());
            };
            assert_eq!(card.id, "x");
            assert!((1..=4).contains(&card.level), "level {}", card.level);
            assert!(
                kit.theme(&card.theme).is_some(),
                "unknown theme {}",
                card.theme
            );
            assert!(card.body.chars().count() <= MAX_BODY_CHARS);
            for source in &card.sources {
                assert!(
                    source.url.starts_with("https://") || source.url.starts_with("http://"),
                    "{}",
                    source.url
                );
            }
            assert!(render_fiche(&kit, "x").starts_with("**"));
            assert!(!render_kit_answer(&kit, &card.title).is_empty());
        }
        Err(problems) => {
            assert!(!problems.is_empty());
            for p in &problems {
                let text = files.iter().find(|(path, _)| *path == p.file).map(|f| &f.1);
                match text {
                    Some(text) => check_line(p, text),
                    None => assert_eq!(p.file, "kit-snippets", "a problem about {p}"),
                }
            }
        }
    }
}

/// A question (`!kit …`) and a card id (`!fiche …`) typed by a user, on the real kit.
pub fn check_question(text: &str) {
    assert!(!render_kit_answer(&REAL_KIT, text).is_empty());
    assert!(!render_fiche(&REAL_KIT, text).is_empty());
}

/// A problem's line, when it has one, is a line of its file (or the one after a final newline).
fn check_line(p: &Problem, text: &str) {
    if let Some(line) = p.line {
        let lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
        assert!(
            (1..=lines).contains(&line),
            "line {line} of a {lines}-line file: {p}"
        );
    }
    // toml gives some errors an empty message (fuzz/README.md, crash C1): every problem must
    // say what is wrong.
    assert!(
        !p.message.trim().is_empty(),
        "an empty problem message: {p:?}"
    );
    assert!(
        !p.message.trim_end().ends_with(':'),
        "a problem message without its detail: {p:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Config

/// `Config::parse`: either a config whose checked fields hold, or problems naming `bot.toml`
/// and its lines.
pub fn check_config(text: &str) {
    match Config::parse(text, "bot.toml") {
        Ok(config) => {
            assert!(!config.prefix.is_empty() && !config.prefix.contains(char::is_whitespace));
            assert!(!config.missions.is_empty());
            let mut ids = HashSet::new();
            let mut rooms = HashSet::new();
            for ml in &config.missions {
                assert!(ids.insert(&ml.id), "mission {} twice", ml.id);
                assert!(
                    !ml.id.is_empty()
                        && ml
                            .id
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                    "mission id {:?}",
                    ml.id
                );
                for room in &ml.rooms {
                    assert!(rooms.insert(room), "room {room} in two missions");
                }
                assert!((0..=100).contains(&ml.coordination_level));
                assert!((1..=120).contains(&ml.retention_months));
            }
            if let Some(m) = &config.matrix {
                assert!(
                    m.homeserver.starts_with("https://") || m.homeserver.starts_with("http://")
                );
                assert!((1..=1000).contains(&m.timeline_limit));
            }
        }
        Err(problems) => {
            assert!(!problems.is_empty());
            for p in &problems {
                assert_eq!(p.file, "bot.toml");
                check_line(p, text);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Personal-data guard

/// A phone number the guard must always find, whatever comes before it.
pub const PHONE_LINE: &str = "\n\nSon numéro : 06 12 34 56 78";

/// `pii::assess` and `pii::scan_at`: deterministic (the same verdict twice), the two agree,
/// kinds sorted and unique, labels for them, the doubtful words bounded, invisible characters
/// ignored, and a phone number on its own line after any text is never let through.
pub fn check_pii(text: &str) -> Vec<kitbot::reflections::pii::PiiKind> {
    let verdict = assess(text, PII_YEAR);
    assert_eq!(assess(text, PII_YEAR), verdict, "two verdicts on {text:?}");
    let kinds = scan_at(text, PII_YEAR);
    match &verdict {
        Verdict::Clean => assert!(kinds.is_empty()),
        Verdict::Personal(k) => assert_eq!(k, &kinds),
        Verdict::Unsure { kinds: k, words } => {
            assert_eq!(k, &kinds);
            assert!(words.len() <= MAX_UNSURE_WORDS, "{words:?}");
            assert!(
                words
                    .iter()
                    .all(|w| w.chars().count() <= MAX_UNSURE_WORD_CHARS),
                "{words:?}"
            );
        }
    }
    assert!(
        kinds.windows(2).all(|w| w[0] < w[1]),
        "kinds not sorted and unique: {kinds:?}"
    );
    assert_eq!(labels_fr(&kinds).is_empty(), kinds.is_empty());
    // Invisible characters are removed before anything else.
    assert_eq!(scan_at(&format!("\u{200B}{text}\u{2060}"), PII_YEAR), kinds);
    let with_phone = scan_at(&format!("{text}{PHONE_LINE}"), PII_YEAR);
    assert!(
        !with_phone.is_empty(),
        "a phone number let through after {text:?}"
    );
    kinds
}

// ---------------------------------------------------------------------------------------------
// Long inputs

/// Every entry point above on one long input (the caller makes it `LONG_INPUT_BYTES` long):
/// each must return; the properties are checked as for short inputs.
pub fn check_all_long(text: &str) {
    check_commands(&format!("{PREFIX}relance {text}"));
    check_commands(text);
    check_schedule(text, ZONES[0]);
    check_card(text);
    check_card(&card_with_body(text));
    check_card(&card_with_front(text));
    check_question(text);
    check_config(text);
    check_pii(text);
}
