//! The kit's TOML side files: `themes.toml`, `synonymes.toml`, `questions.toml` and
//! `parcours/<id>.toml`.
//!
//! Owns [`Theme`], [`Parcours`], [`Step`] and the synonym groups, their parsing and the checks
//! that need only the file itself. Whether a parcours names existing cards is checked in
//! `mod.rs`, once every card is loaded.

use super::problem::{file_stem, is_kebab, Fields, TomlSource};
use super::text::analyze;
use crate::core::Problem;
use crate::strings::kit as s;

/// A theme cards belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    /// Kebab-case key used in cards' `theme` field and in `!theme <slug>`.
    pub slug: String,
    /// Display name.
    pub name: String,
    pub description: String,
}

/// An adoption path: an ordered list of cards, one practice at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parcours {
    pub id: String,
    pub title: String,
    pub description: String,
    pub steps: Vec<Step>,
}

/// One step of a parcours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Id of the card to try at this step.
    pub card: String,
    /// Why this step comes here, in one sentence.
    pub intention: String,
    /// 1-based line of the step's `fiche` key, for problems found after loading.
    pub(crate) line: Option<usize>,
}

impl Step {
    /// A step, for callers building a parcours in code (tests, tools).
    pub fn new(fiche: impl Into<String>, intention: impl Into<String>) -> Self {
        Self {
            card: fiche.into(),
            intention: intention.into(),
            line: None,
        }
    }
}

/// Parses a whole kit file whose only top-level keys may be `allowed` (others are reported):
/// the table, or `None` with the parse problem recorded.
fn parse_top(
    src: &TomlSource<'_>,
    allowed: &[&str],
    problems: &mut Vec<Problem>,
) -> Option<toml::Table> {
    let table = match src.parse() {
        Ok(t) => t,
        Err(p) => {
            problems.push(p);
            return None;
        }
    };
    Fields {
        src,
        table: &table,
        header: None,
        problems,
    }
    .reject_unknown(allowed);
    Some(table)
}

/// Parses `themes.toml`: `[[theme]]` tables with `slug`, `nom`, `description`.
pub(crate) fn parse_themes(path: &str, text: &str, problems: &mut Vec<Problem>) -> Vec<Theme> {
    let src = TomlSource {
        file: path,
        text,
        first_line: 1,
    };
    let Some(table) = parse_top(&src, &["theme"], problems) else {
        return Vec::new();
    };
    let items = match table.get("theme") {
        Some(toml::Value::Array(items)) if !items.is_empty() => items,
        Some(toml::Value::Array(_)) | None => {
            problems.push(src.problem(Some(1), s::PROBLEM_NO_THEME));
            return Vec::new();
        }
        Some(_) => {
            problems.push(src.problem(
                src.key_line("theme", None),
                s::problem_wrong_type("theme", s::TYPE_TABLE_LIST),
            ));
            return Vec::new();
        }
    };
    let mut themes: Vec<Theme> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let header = src.header_line("theme", i);
        let Some(t) = item.as_table() else {
            problems.push(src.problem(header, s::problem_wrong_type("theme", s::TYPE_TABLE_LIST)));
            continue;
        };
        let mut f = Fields {
            src: &src,
            table: t,
            header,
            problems,
        };
        f.reject_unknown(&["slug", "nom", "description"]);
        let slug_line = f.line_of("slug");
        let slug = f.string("slug");
        let nom = f.string("nom");
        let description = f.string("description");
        let Some(slug) = slug else { continue };
        if !is_kebab(&slug) {
            problems.push(src.problem(slug_line, s::problem_not_kebab(&slug)));
            continue;
        }
        if themes.iter().any(|t| t.slug == slug) {
            problems.push(src.problem(slug_line, s::problem_duplicate_theme(&slug)));
            continue;
        }
        if let (Some(nom), Some(description)) = (nom, description) {
            themes.push(Theme {
                slug,
                name: nom,
                description,
            });
        }
    }
    themes
}

/// Parses `synonymes.toml`: `groupes = [["visio", "visioconférence"], …]`. Each group keeps its
/// members as written; the index analyses them.
pub(crate) fn parse_synonyms(
    path: &str,
    text: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Vec<String>> {
    let src = TomlSource {
        file: path,
        text,
        first_line: 1,
    };
    let Some(table) = parse_top(&src, &["groupes"], problems) else {
        return Vec::new();
    };
    let top_line = src.key_line("groupes", None);
    let Some(toml::Value::Array(groups)) = table.get("groupes") else {
        problems.push(src.problem(
            top_line.or(Some(1)),
            s::problem_wrong_type("groupes", s::TYPE_GROUPS),
        ));
        return Vec::new();
    };
    let mut out = Vec::with_capacity(groups.len());
    for group in groups {
        let Some(members) = group.as_array() else {
            problems.push(src.problem(top_line, s::problem_wrong_type("groupes", s::TYPE_GROUPS)));
            continue;
        };
        let mut words = Vec::with_capacity(members.len());
        for member in members {
            match member.as_str() {
                Some(m) if !analyze(m).is_empty() => words.push(m.trim().to_owned()),
                Some(m) => problems.push(src.problem(
                    src.line_containing(&format!("\"{m}\"")).or(top_line),
                    s::problem_synonym_meaningless(m),
                )),
                None => problems
                    .push(src.problem(top_line, s::problem_wrong_type("groupes", s::TYPE_GROUPS))),
            }
        }
        if members.len() < 2 {
            let first = words.first().map(String::as_str).unwrap_or("");
            let line = if first.is_empty() {
                top_line
            } else {
                src.line_containing(&format!("\"{first}\"")).or(top_line)
            };
            problems.push(src.problem(line, s::PROBLEM_SYNONYM_GROUP_TOO_SMALL));
            continue;
        }
        out.push(words);
    }
    out
}

/// Parses `questions.toml`: `[fiches]` mapping a card id to questions counsellors asked, or
/// would ask, that this card answers (`sms-rappel = ["ils oublient leurs rdv", …]`). The
/// search indexes them as one more field of the card: other people's wording of the same need
/// is what a new question most often shares. Returns (card id, question, line); whether the
/// card exists is checked in `mod.rs`, once every card is loaded.
pub(crate) fn parse_questions(
    path: &str,
    text: &str,
    problems: &mut Vec<Problem>,
) -> Vec<(String, String, Option<usize>)> {
    let src = TomlSource {
        file: path,
        text,
        first_line: 1,
    };
    let Some(table) = parse_top(&src, &["fiches"], problems) else {
        return Vec::new();
    };
    let Some(toml::Value::Table(cards)) = table.get("fiches") else {
        problems.push(src.problem(
            src.line_containing("fiches").or(Some(1)),
            s::problem_wrong_type("fiches", s::TYPE_QUESTIONS),
        ));
        return Vec::new();
    };
    let mut out = Vec::new();
    let key_lines = src.bare_key_lines();
    for (id, list) in cards {
        let line = key_lines
            .get(id.as_str())
            .copied()
            .or_else(|| src.line_containing(&format!("{id} =")))
            .or(Some(1));
        let Some(list) = list.as_array() else {
            problems.push(src.problem(line, s::problem_wrong_type(id, s::TYPE_QUESTIONS)));
            continue;
        };
        for question in list {
            match question.as_str() {
                Some(q) if !q.trim().is_empty() => {
                    out.push((id.clone(), q.trim().to_owned(), line))
                }
                _ => problems.push(src.problem(line, s::problem_wrong_type(id, s::TYPE_QUESTIONS))),
            }
        }
    }
    out
}

/// Parses one `parcours/<id>.toml`. Card ids are checked later, against the loaded cards.
pub(crate) fn parse_parcours(
    path: &str,
    text: &str,
    problems: &mut Vec<Problem>,
) -> Option<Parcours> {
    let before = problems.len();
    let src = TomlSource {
        file: path,
        text,
        first_line: 1,
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
    f.reject_unknown(&["id", "titre", "description", "etapes"]);
    let id_line = f.line_of("id");
    let id = f.string("id");
    let titre = f.string("titre");
    let description = f.string("description");
    if let Some(id) = &id {
        if !is_kebab(id) {
            problems.push(src.problem(id_line, s::problem_not_kebab(id)));
        } else if id != file_stem(path) {
            problems.push(src.problem(id_line, s::problem_id_not_file_name(id, file_stem(path))));
        }
    }
    let mut etapes = Vec::new();
    match table.get("etapes") {
        Some(toml::Value::Array(items)) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                let header = src.header_line("etapes", i);
                let Some(t) = item.as_table() else {
                    problems.push(src.problem(
                        header.or(src.key_line("etapes", None)),
                        s::problem_wrong_type("etapes", s::TYPE_TABLE_LIST),
                    ));
                    continue;
                };
                let mut f = Fields {
                    src: &src,
                    table: t,
                    header,
                    problems,
                };
                f.reject_unknown(&["fiche", "intention"]);
                let line = f.line_of("fiche");
                let fiche = f.string("fiche");
                let intention = f.string("intention");
                if let (Some(fiche), Some(intention)) = (fiche, intention) {
                    etapes.push(Step {
                        card: fiche,
                        intention,
                        line,
                    });
                }
            }
        }
        Some(toml::Value::Array(_)) | None => {
            problems.push(src.problem(
                src.key_line("etapes", None).or(Some(1)),
                s::PROBLEM_PARCOURS_EMPTY,
            ));
        }
        Some(_) => problems.push(src.problem(
            src.key_line("etapes", None),
            s::problem_wrong_type("etapes", s::TYPE_TABLE_LIST),
        )),
    }
    if problems.len() > before {
        return None;
    }
    Some(Parcours {
        id: id?,
        title: titre?,
        description: description?,
        steps: etapes,
    })
}
