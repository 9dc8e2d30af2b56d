//! One practice card: its Markdown file format, parsing and per-file validation.
//!
//! Owns [`Card`] and [`Source`], the split of a card file into TOML front matter (between `+++`
//! lines) and Markdown body, the split of the body into intro / "Essayer cette semaine" /
//! "Points de vigilance", and every check that needs only the file itself. Checks across files
//! (duplicate ids, unknown themes) live in `mod.rs`, where all files are known.
//!
//! A card that gives a phone number or a service name carries `verifie = "AAAA-MM"`, the month
//! its numbers and names were last checked against an official source ([`YearMonth`]); the key
//! is optional, a malformed value is a problem on its line.

use super::problem::{file_stem, is_kebab, Fields, TomlSource};
use super::text::fold;
use crate::core::Problem;
use crate::strings::kit as s;

/// Longest body accepted, in characters: a card is read in a chat window, between two tasks.
pub const MAX_BODY_CHARS: usize = 1_600;

/// Keys a card's front matter may hold.
const CARD_KEYS: &[&str] = &[
    "id", "titre", "theme", "niveau", "tags", "canaux", "duree", "verifie", "sources",
];

/// What `verifie` must hold, for the problem message (kept here: the strings module belongs to
/// another part of the crate; the sentence reuses its `problem_wrong_type`).
const TYPE_YEAR_MONTH: &str = "un mois au format AAAA-MM, ex. \"2026-12\"";

/// A validated practice card.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    /// Kebab-case id, equal to the file name without `.md`.
    pub id: String,
    pub title: String,
    /// Slug of a theme from `themes.toml`.
    pub theme: String,
    /// 1 (first step) to 4 (advanced).
    pub level: u8,
    pub tags: Vec<String>,
    pub channels: Vec<String>,
    /// Time needed to try the practice, in words ("15 minutes").
    pub duration: String,
    pub sources: Vec<Source>,
    /// Month the card's phone numbers and service names were last checked (`verifie`), if any.
    pub verified: Option<YearMonth>,
    /// The whole Markdown body, trimmed.
    pub body: String,
    /// Text before the first heading: what the practice is and why.
    pub intro: String,
    /// Content of the "## Essayer cette semaine" section.
    pub try_this: String,
    /// Content of the "## Points de vigilance" section.
    pub caveats: String,
}

/// A public source a card relies on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub title: String,
    pub url: String,
}

/// A month, as in `verifie = "2026-12"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct YearMonth {
    pub year: u16,
    /// 1 to 12.
    pub month: u8,
}

impl YearMonth {
    /// Parses exactly `AAAA-MM` (four digits, a dash, a month from 01 to 12).
    pub fn parse(text: &str) -> Option<YearMonth> {
        let (year, month) = text.split_once('-')?;
        let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(month, 2) {
            return None;
        }
        let month: u8 = month.parse().ok()?;
        (1..=12).contains(&month).then_some(YearMonth {
            year: year.parse().ok()?,
            month,
        })
    }
}

impl std::fmt::Display for YearMonth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Heading of the section holding what to try (folded form is compared).
pub const SECTION_ESSAYER: &str = "Essayer cette semaine";
/// Heading of the section holding the caveats.
pub const SECTION_VIGILANCE: &str = "Points de vigilance";

/// Parses and validates one card file. Problems are appended to `problems`; `None` when the
/// card is unusable (the caller turns that into a failed load, never a silent skip).
pub(crate) fn parse_card(path: &str, text: &str, problems: &mut Vec<Problem>) -> Option<Card> {
    let before = problems.len();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(split) = split_front_matter(text) else {
        problems.push(Problem::at(path, Some(1), s::PROBLEM_NO_FRONT_MATTER));
        return None;
    };
    let Some(close_line) = split.close_line else {
        problems.push(Problem::at(path, Some(1), s::PROBLEM_UNCLOSED_FRONT_MATTER));
        return None;
    };
    let src = TomlSource {
        file: path,
        text: split.front,
        first_line: 2,
    };
    let table = match src.parse() {
        Ok(t) => t,
        Err(p) => {
            problems.push(p);
            return None;
        }
    };

    let mut f = Fields {
        src: &src,
        table: &table,
        header: None,
        problems,
    };
    f.reject_unknown(CARD_KEYS);
    let id = f.string("id");
    let titre = f.string("titre");
    let theme = f.string("theme");
    let niveau_line = f.line_of("niveau");
    let niveau = f.integer("niveau");
    let tags = f.string_list("tags", true);
    let canaux = f.string_list("canaux", false);
    let duree = f.string("duree");
    let verified = parse_verified(&src, &table, problems);
    let sources = parse_sources(&src, &table, problems);

    if let Some(id) = &id {
        let line = src.key_line("id", None);
        if !is_kebab(id) {
            problems.push(src.problem(line, s::problem_not_kebab(id)));
        } else if id != file_stem(path) {
            problems.push(src.problem(line, s::problem_id_not_file_name(id, file_stem(path))));
        }
    }
    let niveau = match niveau {
        Some(n @ 1..=4) => u8::try_from(n).ok(),
        Some(n) => {
            problems.push(src.problem(niveau_line, s::problem_niveau_range(n)));
            None
        }
        None => None,
    };

    let body_first_line = close_line + 1;
    let body = split.body.trim();
    let sections = split_sections(split.body, body_first_line);
    let body_line = Some(body_first_line);
    if body.chars().count() > MAX_BODY_CHARS {
        problems.push(Problem::at(
            path,
            body_line,
            s::problem_body_too_long(body.chars().count(), MAX_BODY_CHARS),
        ));
    }
    if sections.intro.is_empty() {
        problems.push(Problem::at(path, body_line, s::PROBLEM_NO_INTRO));
    }
    let essayer = section(path, &sections, SECTION_ESSAYER, problems);
    let vigilance = section(path, &sections, SECTION_VIGILANCE, problems);

    if problems.len() > before {
        return None;
    }
    Some(Card {
        id: id?,
        title: titre?,
        theme: theme?,
        level: niveau?,
        tags: tags?,
        channels: canaux?,
        duration: duree?,
        sources: sources?,
        verified: verified?,
        body: body.to_owned(),
        intro: sections.intro,
        try_this: essayer?,
        caveats: vigilance?,
    })
}

/// The optional `verifie` month: `Some(None)` when absent, `None` (and a problem) when malformed.
fn parse_verified(
    src: &TomlSource<'_>,
    table: &toml::Table,
    problems: &mut Vec<Problem>,
) -> Option<Option<YearMonth>> {
    let value = match table.get("verifie") {
        None => return Some(None),
        Some(toml::Value::String(v)) => YearMonth::parse(v.trim()),
        Some(_) => None,
    };
    if value.is_none() {
        problems.push(src.problem(
            src.key_line("verifie", None),
            s::problem_wrong_type("verifie", TYPE_YEAR_MONTH),
        ));
    }
    value.map(Some)
}

fn parse_sources(
    src: &TomlSource<'_>,
    table: &toml::Table,
    problems: &mut Vec<Problem>,
) -> Option<Vec<Source>> {
    let top_line = src.key_line("sources", None);
    let items = match table.get("sources") {
        None => {
            problems.push(src.problem(Some(src.first_line), s::PROBLEM_NO_SOURCE));
            return None;
        }
        Some(toml::Value::Array(items)) if items.is_empty() => {
            problems.push(src.problem(top_line, s::PROBLEM_NO_SOURCE));
            return None;
        }
        Some(toml::Value::Array(items)) => items,
        Some(_) => {
            problems.push(src.problem(
                top_line,
                s::problem_wrong_type("sources", s::TYPE_TABLE_LIST),
            ));
            return None;
        }
    };
    let before = problems.len();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let header = src.header_line("sources", i).or(top_line);
        let Some(t) = item.as_table() else {
            problems
                .push(src.problem(header, s::problem_wrong_type("sources", s::TYPE_TABLE_LIST)));
            continue;
        };
        let mut f = Fields {
            src,
            table: t,
            header,
            problems,
        };
        f.reject_unknown(&["titre", "url"]);
        let titre = f.string("titre");
        let url_line = f.line_of("url");
        let url = f.string("url");
        if let Some(url) = &url {
            if !is_http_url(url) {
                problems.push(src.problem(url_line, s::problem_bad_url(url)));
                continue;
            }
        }
        if let (Some(titre), Some(url)) = (titre, url) {
            out.push(Source { title: titre, url });
        }
    }
    (problems.len() == before).then_some(out)
}

/// An absolute http(s) URL with a host and no whitespace.
fn is_http_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            host.contains('.') && !host.starts_with('.') && !url.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

fn section(
    path: &str,
    sections: &Sections,
    heading: &str,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let key = fold(heading);
    match sections.named.iter().find(|(name, _, _)| *name == key) {
        None => {
            problems.push(Problem::at(
                path,
                Some(sections.body_first_line),
                s::problem_missing_section(heading),
            ));
            None
        }
        Some((_, line, content)) if content.is_empty() => {
            problems.push(Problem::at(
                path,
                Some(*line),
                s::problem_empty_section(heading),
            ));
            None
        }
        Some((_, _, content)) => Some(content.clone()),
    }
}

struct FrontMatter<'a> {
    front: &'a str,
    body: &'a str,
    /// 1-based line of the closing `+++`, `None` when it is missing.
    close_line: Option<usize>,
}

/// Splits `+++\n<toml>\n+++\n<body>`; `None` when the file does not open with `+++`.
fn split_front_matter(text: &str) -> Option<FrontMatter<'_>> {
    let mut lines = text.split_inclusive('\n');
    let first = lines.next()?;
    if first.trim_end() != "+++" {
        return None;
    }
    let front_start = first.len();
    let mut offset = front_start;
    for (i, line) in lines.enumerate() {
        if line.trim_end() == "+++" {
            return Some(FrontMatter {
                front: &text[front_start..offset],
                body: &text[offset + line.len()..],
                close_line: Some(i + 2),
            });
        }
        offset += line.len();
    }
    Some(FrontMatter {
        front: &text[front_start..],
        body: "",
        close_line: None,
    })
}

struct Sections {
    intro: String,
    /// (folded heading, 1-based line of the heading, trimmed content)
    named: Vec<(String, usize, String)>,
    body_first_line: usize,
}

/// Splits a body on its headings. Level-2 headings name sections; any heading ends the intro.
fn split_sections(body: &str, body_first_line: usize) -> Sections {
    let mut intro = String::new();
    let mut named: Vec<(String, usize, String)> = Vec::new();
    let mut in_intro = true;
    for (i, line) in body.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') {
            in_intro = false;
            let level = trimmed.chars().take_while(|c| *c == '#').count();
            if level == 2 {
                let title = trimmed[level..].trim();
                named.push((fold(title), body_first_line + i, String::new()));
                continue;
            }
        }
        if in_intro {
            intro.push_str(line);
            intro.push('\n');
        } else if let Some((_, _, content)) = named.last_mut() {
            content.push_str(line);
            content.push('\n');
        }
    }
    for (_, _, content) in &mut named {
        *content = content.trim().to_owned();
    }
    Sections {
        intro: intro.trim().to_owned(),
        named,
        body_first_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "+++
id = \"sms-rappel\"
titre = \"Rappeler un rendez-vous par SMS\"
theme = \"canal\"
niveau = 1
tags = [\"sms\", \"rappel\"]
canaux = [\"sms\"]
duree = \"15 minutes\"
[[sources]]
titre = \"Une source\"
url = \"https://example.org/page\"
+++
Un SMS la veille évite les rendez-vous manqués.

## Essayer cette semaine
1. Envoyer un SMS la veille.

## Points de vigilance
- Pas de données sensibles par SMS.
";

    fn parse(path: &str, text: &str) -> (Option<Card>, Vec<Problem>) {
        let mut problems = Vec::new();
        let card = parse_card(path, text, &mut problems);
        (card, problems)
    }

    #[test]
    fn a_good_card_parses_with_its_sections() {
        let (card, problems) = parse("kit-snippets/sms-rappel.md", GOOD);
        assert!(problems.is_empty(), "{problems:?}");
        let card = card.expect("card");
        assert_eq!(card.id, "sms-rappel");
        assert_eq!(card.level, 1);
        assert_eq!(
            card.intro,
            "Un SMS la veille évite les rendez-vous manqués."
        );
        assert_eq!(card.try_this, "1. Envoyer un SMS la veille.");
        assert_eq!(card.caveats, "- Pas de données sensibles par SMS.");
        assert_eq!(card.sources[0].url, "https://example.org/page");
        assert!(card.body.starts_with("Un SMS"));
        assert_eq!(card.verified, None);
    }

    #[test]
    fn verifie_is_an_optional_month() {
        let text = GOOD.replace(
            "duree = \"15 minutes\"\n",
            "duree = \"15 minutes\"\nverifie = \"2026-12\"\n",
        );
        let (card, problems) = parse("kit-snippets/sms-rappel.md", &text);
        assert!(problems.is_empty(), "{problems:?}");
        let verified = card.expect("card").verified.expect("verifie");
        assert_eq!(
            verified,
            YearMonth {
                year: 2026,
                month: 12
            }
        );
        assert_eq!(verified.to_string(), "2026-12");
        for (input, ok) in [
            ("2026-12", true),
            ("2027-01", true),
            ("2026-13", false),
            ("2026-00", false),
            ("2026-1", false),
            ("26-12", false),
            ("2026/12", false),
            ("décembre 2026", false),
            ("", false),
        ] {
            assert_eq!(YearMonth::parse(input).is_some(), ok, "{input}");
        }
    }

    struct Case {
        name: &'static str,
        path: &'static str,
        text: String,
        /// (line, fragment of the message)
        expected: Vec<(Option<usize>, &'static str)>,
    }

    #[test]
    fn malformed_cards_report_each_problem_with_its_line() {
        let cases = vec![
            Case {
                name: "bad toml",
                path: "kit-snippets/sms-rappel.md",
                text: GOOD.replace("niveau = 1", "niveau = = 1"),
                expected: vec![(Some(5), "TOML")],
            },
            Case {
                // toml's own message is empty here (found by the `config` fuzz target).
                name: "control character in a comment",
                path: "kit-snippets/sms-rappel.md",
                text: GOOD.replace("niveau = 1", "niveau = 1\n# \u{1}"),
                expected: vec![(
                    Some(6),
                    "TOML invalide : caractère de contrôle invisible U+0001 en colonne 3",
                )],
            },
            Case {
                name: "missing url",
                path: "kit-snippets/sms-rappel.md",
                text: GOOD.replace("url = \"https://example.org/page\"\n", ""),
                expected: vec![(Some(9), "« url »")],
            },
            Case {
                name: "url not http",
                path: "kit-snippets/sms-rappel.md",
                text: GOOD.replace("https://example.org/page", "ftp://example.org"),
                expected: vec![(Some(11), "ftp://example.org")],
            },
            Case {
                name: "no sources",
                path: "kit-snippets/sms-rappel.md",
                text: GOOD.replace(
                    "[[sources]]\ntitre = \"Une source\"\nurl = \"https://example.org/page\"\n",
                    "",
                ),
                expected: vec![(Some(2), "source")],
            },
            Case {
                name: "id differs from file",
                path: "kit-snippets/sms-rappel-bis.md",
                text: GOOD.to_owned(),
                expected: vec![(Some(2), "sms-rappel-bis")],
            },
            Case {
                name: "id not kebab",
                path: "kit-snippets/SMS_Rappel.md",
                text: GOOD.replace("id = \"sms-rappel\"", "id = \"SMS_Rappel\""),
                expected: vec![(Some(2), "kebab")],
            },
            Case {
                name: "niveau out of range and empty title",
                path: "kit-snippets/sms-rappel.md",
                text: GOOD.replace("niveau = 1", "niveau = 7").replace(
                    "titre = \"Rappeler un rendez-vous par SMS\"",
                    "titre = \"  \"",
                ),
                expected: vec![(Some(3), "« titre »"), (Some(5), "7")],
            },
            Case {
                name: "missing fields and unknown key",
                path: "kit-snippets/sms-rappel.md",
                text: GOOD
                    .replace("duree = \"15 minutes\"\n", "")
                    .replace("tags = [\"sms\", \"rappel\"]", "tag = [\"sms\"]"),
                expected: vec![
                    (Some(6), "« tag »"),
                    (Some(2), "« tags »"),
                    (Some(2), "« duree »"),
                ],
            },
            Case {
                name: "malformed verifie",
                path: "kit-snippets/sms-rappel.md",
                text: GOOD.replace(
                    "duree = \"15 minutes\"\n",
                    "duree = \"15 minutes\"\nverifie = \"12/2026\"\n",
                ),
                expected: vec![(Some(9), "« verifie »")],
            },
            Case {
                name: "verifie not a string",
                path: "kit-snippets/sms-rappel.md",
                text: GOOD.replace(
                    "duree = \"15 minutes\"\n",
                    "duree = \"15 minutes\"\nverifie = 202612\n",
                ),
                expected: vec![(Some(9), "AAAA-MM")],
            },
            Case {
                name: "missing section",
                path: "kit-snippets/sms-rappel.md",
                text: GOOD.replace(
                    "## Points de vigilance\n- Pas de données sensibles par SMS.\n",
                    "",
                ),
                expected: vec![(Some(13), "Points de vigilance")],
            },
            Case {
                name: "empty section",
                path: "kit-snippets/sms-rappel.md",
                text: GOOD.replace("1. Envoyer un SMS la veille.\n", ""),
                expected: vec![(Some(15), "Essayer cette semaine")],
            },
            Case {
                name: "body too long",
                path: "kit-snippets/sms-rappel.md",
                text: GOOD.replace("manqués.", &"très ".repeat(400)),
                expected: vec![(Some(13), "1600")],
            },
            Case {
                name: "no front matter",
                path: "kit-snippets/sms-rappel.md",
                text: "Juste du texte.\n".to_owned(),
                expected: vec![(Some(1), "+++")],
            },
            Case {
                name: "unclosed front matter",
                path: "kit-snippets/sms-rappel.md",
                text: "+++\nid = \"sms-rappel\"\n".to_owned(),
                expected: vec![(Some(1), "+++")],
            },
        ];
        for case in cases {
            let (card, problems) = parse(case.path, &case.text);
            assert!(
                card.is_none(),
                "{}: a malformed card must not load",
                case.name
            );
            assert_eq!(
                problems.len(),
                case.expected.len(),
                "{}: {problems:#?}",
                case.name
            );
            for (problem, (line, fragment)) in problems.iter().zip(&case.expected) {
                assert_eq!(problem.file, case.path, "{}", case.name);
                assert_eq!(problem.line, *line, "{}: {problem}", case.name);
                assert!(
                    problem.message.contains(fragment),
                    "{}: {problem} should mention {fragment}",
                    case.name
                );
            }
        }
    }

    #[test]
    fn display_names_file_and_line() {
        let p = Problem::at("kit-snippets/x.md", Some(3), "message");
        assert_eq!(p.to_string(), "kit-snippets/x.md:3: message");
        let p = Problem::at("kit-snippets/themes.toml", None, "message");
        assert_eq!(p.to_string(), "kit-snippets/themes.toml: message");
    }

    #[test]
    fn urls_are_checked() {
        for (url, ok) in [
            ("https://www.cnil.fr/fr/page", true),
            ("http://example.org", true),
            ("ftp://example.org", false),
            ("https://", false),
            ("www.example.org", false),
            ("https://exa mple.org", false),
        ] {
            assert_eq!(is_http_url(url), ok, "{url}");
        }
    }
}
