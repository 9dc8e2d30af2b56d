//! The remote-support kit: practice cards, themes, synonyms and adoption paths ("parcours"),
//! their validation, a French-aware search, and the chat answers of the kit commands.
//!
//! Layout:
//! - `card.rs`: one card file (TOML front matter + Markdown body) and its own checks;
//! - `catalog.rs`: `themes.toml`, `synonymes.toml`, `questions.toml`, `parcours/*.toml`;
//! - `problem.rs`: the line lookup behind every [`Problem`] of a kit file;
//! - `text.rs`: the search's analysis (elision, stop words, stemming, typo tolerance);
//! - `index.rs`: the BM25F index and the ranking of a question;
//! - `render.rs`: the French Markdown answers of `!kit`, `!fiche`, `!themes`, `!theme`,
//!   `!parcours`, parcours steps, and `kitbot ask`.
//!
//! This module is pure: no Matrix, no clock, no store. Files come in as (path, contents) pairs
//! so the same loader serves the files embedded in the binary and a folder on disk; this file
//! runs the checks that span several files (duplicate ids, unknown themes, parcours naming
//! unknown cards). A kit either loads whole or reports every problem at once.

mod card;
mod catalog;
mod index;
mod problem;
mod render;
pub mod text;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::core::Problem;
use crate::strings::kit as s;
pub use card::{Card, Source, YearMonth, MAX_BODY_CHARS, SECTION_ESSAYER, SECTION_VIGILANCE};
pub use catalog::{Parcours, Step, Theme};
use index::Index;
pub use index::{Hit, MAX_QUESTION_CHARS, SAFETY_CARD};
pub use render::{
    cli_ask, fiche_card, kit_answer, render_fiche, render_kit_answer, render_parcours_list,
    render_step, render_theme, render_themes, Found, KitAnswer, MIN_CONFIDENCE, MIN_COVERAGE,
};

/// The loaded kit. Cheap to clone: everything sits behind one `Arc`.
#[derive(Clone)]
pub struct Kit {
    inner: Arc<Inner>,
}

struct Inner {
    /// Sorted by id.
    cards: Vec<Card>,
    /// In file order.
    themes: Vec<Theme>,
    /// Sorted by id.
    parcours: Vec<Parcours>,
    /// Synonym groups as written, kept to rebuild the index.
    synonyms: Vec<Vec<String>>,
    /// Example questions per card (`questions.toml`): (card id, question), kept to rebuild the
    /// index.
    questions: Vec<(String, String)>,
    index: Index,
}

/// Where a file belongs, from its path.
enum Role {
    Card,
    Themes,
    Synonyms,
    Questions,
    Parcours,
    Ignored,
    Unknown,
}

fn role_of(path: &str) -> Role {
    let mut parts = path.rsplit('/');
    let name = parts.next().unwrap_or("");
    let parent = parts.next().unwrap_or("");
    if name.starts_with('.') || name.eq_ignore_ascii_case("readme.md") {
        Role::Ignored
    } else if parent == "parcours" && name.ends_with(".toml") {
        Role::Parcours
    } else if name.ends_with(".md") {
        Role::Card
    } else if name == "themes.toml" {
        Role::Themes
    } else if name == "synonymes.toml" {
        Role::Synonyms
    } else if name == "questions.toml" {
        Role::Questions
    } else {
        Role::Unknown
    }
}

impl Kit {
    /// Loads a kit from (relative path, contents) pairs such as
    /// `("kit-snippets/sms-rappel.md", "+++\n…")`. Cards are the `.md` files (a `README.md` and
    /// hidden files are skipped), `themes.toml` and `synonymes.toml` sit at the top, parcours in
    /// a `parcours/` folder. Any other file is a problem. Returns every problem found.
    pub fn from_files(files: &[(String, String)]) -> Result<Kit, Vec<Problem>> {
        let mut problems = Vec::new();
        let root = files
            .first()
            .and_then(|(p, _)| {
                p.replace('\\', "/")
                    .split_once('/')
                    .map(|(r, _)| r.to_owned())
            })
            .unwrap_or_else(|| s::DEFAULT_KIT_DIR.to_owned());

        let mut cards: Vec<(Card, String, String)> = Vec::new();
        let mut themes_file: Option<(String, String)> = None;
        let mut synonyms_file: Option<(String, String)> = None;
        let mut questions_file: Option<(String, String)> = None;
        let mut parcours_list: Vec<(Parcours, String)> = Vec::new();

        for (path, text) in files {
            let path = path.replace('\\', "/");
            match role_of(&path) {
                Role::Ignored => {}
                Role::Card => {
                    if let Some(card) = card::parse_card(&path, text, &mut problems) {
                        cards.push((card, path, text.clone()));
                    }
                }
                Role::Themes | Role::Synonyms | Role::Questions => {
                    let slot = match role_of(&path) {
                        Role::Themes => &mut themes_file,
                        Role::Synonyms => &mut synonyms_file,
                        _ => &mut questions_file,
                    };
                    if let Some((first, _)) = slot {
                        problems.push(Problem::at(&path, None, s::problem_duplicate_file(first)));
                    } else {
                        *slot = Some((path, text.clone()));
                    }
                }
                Role::Parcours => {
                    if let Some(p) = catalog::parse_parcours(&path, text, &mut problems) {
                        parcours_list.push((p, path));
                    }
                }
                Role::Unknown => problems.push(Problem::at(&path, None, s::PROBLEM_UNKNOWN_FILE)),
            }
        }

        let themes_ok_before = problems.len();
        let themes = match &themes_file {
            Some((path, text)) => catalog::parse_themes(path, text, &mut problems),
            None => {
                problems.push(Problem::at(
                    &format!("{root}/themes.toml"),
                    None,
                    s::PROBLEM_NO_THEMES_FILE,
                ));
                Vec::new()
            }
        };
        let themes_ok = problems.len() == themes_ok_before;
        let synonyms = match &synonyms_file {
            Some((path, text)) => catalog::parse_synonyms(path, text, &mut problems),
            None => Vec::new(),
        };
        let questions = match &questions_file {
            Some((path, text)) => catalog::parse_questions(path, text, &mut problems),
            None => Vec::new(),
        };

        if cards.is_empty() && !problems.iter().any(|p| p.file.ends_with(".md")) {
            problems.push(Problem::at(&root, None, s::PROBLEM_NO_CARD));
        }

        // Checks across files.
        cards.sort_by(|a, b| a.0.id.cmp(&b.0.id).then(a.1.cmp(&b.1)));
        for pair in cards.windows(2) {
            if pair[0].0.id == pair[1].0.id {
                let (_, path, text) = &pair[1];
                problems.push(Problem::at(
                    path,
                    front_key_line(text, "id"),
                    s::problem_duplicate_card(&pair[1].0.id, &pair[0].1),
                ));
            }
        }
        if themes_ok {
            for (card, path, text) in &cards {
                if !themes.iter().any(|t| t.slug == card.theme) {
                    let known: Vec<&str> = themes.iter().map(|t| t.slug.as_str()).collect();
                    problems.push(Problem::at(
                        path,
                        front_key_line(text, "theme"),
                        s::problem_unknown_theme(&card.theme, &known),
                    ));
                }
            }
        }
        parcours_list.sort_by(|a, b| a.0.id.cmp(&b.0.id).then(a.1.cmp(&b.1)));
        for pair in parcours_list.windows(2) {
            if pair[0].0.id == pair[1].0.id {
                problems.push(Problem::at(
                    &pair[1].1,
                    None,
                    s::problem_duplicate_parcours(&pair[1].0.id, &pair[0].1),
                ));
            }
        }
        for (parcours, path) in &parcours_list {
            for etape in &parcours.steps {
                let known = cards
                    .binary_search_by(|c| c.0.id.as_str().cmp(&etape.card))
                    .is_ok();
                if !known {
                    problems.push(Problem::at(
                        path,
                        etape.line,
                        s::problem_parcours_unknown_card(&etape.card),
                    ));
                }
            }
        }

        if let Some((path, _)) = &questions_file {
            let mut reported: Vec<&str> = Vec::new();
            for (id, _, line) in &questions {
                let known = cards.binary_search_by(|c| c.0.id.as_str().cmp(id)).is_ok();
                if !known && !reported.contains(&id.as_str()) {
                    reported.push(id);
                    problems.push(Problem::at(
                        path,
                        *line,
                        s::problem_questions_unknown_card(id),
                    ));
                }
            }
        }

        if !problems.is_empty() {
            return Err(problems);
        }
        let questions: Vec<(String, String)> =
            questions.into_iter().map(|(id, q, _)| (id, q)).collect();
        let cards: Vec<Card> = cards.into_iter().map(|(c, _, _)| c).collect();
        let parcours: Vec<Parcours> = parcours_list.into_iter().map(|(p, _)| p).collect();
        let index = Index::build(&cards, &themes, &synonyms, &questions);
        Ok(Kit {
            inner: Arc::new(Inner {
                cards,
                themes,
                parcours,
                synonyms,
                questions,
                index,
            }),
        })
    }

    /// Loads the kit folder `dir` (e.g. `kit-snippets`): every `.md` below it, `themes.toml`,
    /// `synonymes.toml`, `parcours/*.toml`. Problems name files relative to `dir`'s parent
    /// (`kit-snippets/x.md`), like [`Kit::from_files`].
    pub fn load_dir(dir: &Path) -> Result<Kit, Vec<Problem>> {
        let root_name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .or_else(|| {
                dir.canonicalize()
                    .ok()
                    .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            })
            .unwrap_or_else(|| s::DEFAULT_KIT_DIR.to_owned());
        let mut problems = Vec::new();
        let mut paths = Vec::new();
        if let Err(err) = collect_files(dir, &mut paths) {
            return Err(vec![Problem::at(
                &root_name,
                None,
                s::problem_read_dir(&err.to_string()),
            )]);
        }
        paths.sort();
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            let rel = path.strip_prefix(dir).unwrap_or(&path);
            let rel: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let shown = format!("{root_name}/{}", rel.join("/"));
            match std::fs::read(&path) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => files.push((shown, text)),
                    Err(_) => problems.push(Problem::at(&shown, None, s::PROBLEM_NOT_UTF8)),
                },
                Err(err) => problems.push(Problem::at(
                    &shown,
                    None,
                    s::problem_read_file(&err.to_string()),
                )),
            }
        }
        match Kit::from_files(&files) {
            Ok(kit) if problems.is_empty() => Ok(kit),
            Ok(_) => Err(problems),
            Err(more) => {
                problems.extend(more);
                Err(problems)
            }
        }
    }

    /// The card with this id.
    pub fn card(&self, id: &str) -> Option<&Card> {
        let cards = &self.inner.cards;
        cards
            .binary_search_by(|c| c.id.as_str().cmp(id))
            .ok()
            .map(|i| &cards[i])
    }

    /// All cards, sorted by id.
    pub fn cards(&self) -> &[Card] {
        &self.inner.cards
    }

    /// All themes, in the order of `themes.toml`.
    pub fn themes(&self) -> &[Theme] {
        &self.inner.themes
    }

    /// The theme with this slug.
    pub fn theme(&self, slug: &str) -> Option<&Theme> {
        self.inner.themes.iter().find(|t| t.slug == slug)
    }

    /// All parcours, sorted by id.
    pub fn parcours(&self) -> &[Parcours] {
        &self.inner.parcours
    }

    /// The parcours with this id.
    pub fn parcours_by_id(&self, id: &str) -> Option<&Parcours> {
        self.inner.parcours.iter().find(|p| p.id == id)
    }

    /// Ranks the cards for a question, best first, at most `top`. A card whose id the
    /// question names comes first whatever its words. Only the first
    /// [`MAX_QUESTION_CHARS`] characters are analysed.
    pub fn search(&self, question: &str, top: usize) -> Vec<Hit> {
        let outcome = self.inner.index.search(question, top);
        outcome
            .hits
            .iter()
            .map(|(d, score)| Hit {
                id: self.inner.cards[*d as usize].id.clone(),
                score: *score,
            })
            .collect()
    }

    /// Builds the search index again from the loaded cards. For the benchmark, which measures
    /// the index build apart from file parsing.
    #[doc(hidden)]
    pub fn reindexed(&self) -> Kit {
        let inner = &self.inner;
        Kit {
            inner: Arc::new(Inner {
                cards: inner.cards.clone(),
                themes: inner.themes.clone(),
                parcours: inner.parcours.clone(),
                synonyms: inner.synonyms.clone(),
                questions: inner.questions.clone(),
                index: Index::build(
                    &inner.cards,
                    &inner.themes,
                    &inner.synonyms,
                    &inner.questions,
                ),
            }),
        }
    }

    /// The card `!kit` answers with: the first hit, when the question names it or when the
    /// match is confident enough ([`MIN_CONFIDENCE`], [`MIN_COVERAGE`]); `None` when the kit has nothing good to
    /// offer.
    pub fn best_answer(&self, question: &str) -> Option<Hit> {
        let outcome = self.inner.index.search(question, 1);
        let (doc, score) = *outcome.hits.first()?;
        outcome.answers(0).then(|| Hit {
            id: self.inner.cards[doc as usize].id.clone(),
            score,
        })
    }

    /// The shape of a question (see `Index::shape`): questions of one shape are grouped.
    pub fn shape(&self, question: &str) -> String {
        self.inner.index.shape(question)
    }

    pub(crate) fn outcome(&self, question: &str, top: usize) -> index::Outcome {
        self.inner.index.search(question, top)
    }

    pub(crate) fn card_at(&self, doc: u32) -> &Card {
        &self.inner.cards[doc as usize]
    }
}

impl std::fmt::Debug for Kit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kit")
            .field("cards", &self.inner.cards.len())
            .field("themes", &self.inner.themes.len())
            .field("parcours", &self.inner.parcours.len())
            .finish()
    }
}

/// Every `.md` and `.toml` file below `dir`, recursively.
fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "md" || e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Line of `key = …` in a card's front matter (line 1 is the opening `+++`).
fn front_key_line(text: &str, key: &str) -> Option<usize> {
    for (i, line) in text.lines().enumerate().skip(1) {
        let t = line.trim_start();
        if t.starts_with("+++") {
            return None;
        }
        if let Some(rest) = t.strip_prefix(key) {
            if rest.trim_start().starts_with('=') {
                return Some(i + 1);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests;
