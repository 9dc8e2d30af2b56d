//! `kitbot export --format html`: a one-page report of a Mission Locale's period, for a
//! coordinator to open in a browser or print: adoption of the parcours step by step,
//! reflections per month and per practice card, nudges sent per month, as charts and tables.
//!
//! It composes the domains (reflections, nudges, the kit), so it sits beside `rights`, above
//! them. It keeps the exports' rules: only the Mission Locale's own data, reflections hidden
//! after a withdrawn consent left out, and here nothing but counts — no reflection's text, no
//! author, no name of anyone who reacted ✅. [`gather`] counts, [`html::render`] writes the
//! page (self-contained: inline CSS and SVG, no script, no link out).

pub mod html;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Utc};

use crate::kit::Kit;
use crate::nudges::adoption::{adoption_in, Window};
use crate::nudges::model::Posted;
use crate::nudges::{Nudges, POSTS_KEPT_DAYS};
use crate::reflections::cli::{CliError, Scope};
use crate::reflections::export::last_day;
use crate::reflections::look::{self, Counts};
use crate::reflections::parse::{month_name, Period, PeriodKind};
use crate::reflections::render::local_date;
use crate::reflections::ExportFormat;
use crate::store::{Store, StoreError};
use crate::strings::report as s;

/// What `kitbot export --format` writes: the reflections themselves (csv, json, markdown) or
/// this report (html).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Reflections(ExportFormat),
    Html,
}

impl FromStr for ExportKind {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.eq_ignore_ascii_case("html") {
            return Ok(ExportKind::Html);
        }
        ExportFormat::from_str(text).map(ExportKind::Reflections)
    }
}

/// The report's figures, counted and labelled, ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub mission: String,
    /// The period, as a sentence.
    pub period: String,
    /// When it was made, as a sentence.
    pub made_on: String,
    pub reflections: ReflectionFigures,
    pub parcours: Vec<ParcoursSection>,
    /// Months with something sent, oldest first.
    pub sent: Vec<SentMonth>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReflectionFigures {
    pub total: usize,
    pub rooms: usize,
    /// ("mars 2026", count), oldest first.
    pub by_month: Vec<(String, usize)>,
    /// Most reflections first.
    pub by_card: Vec<CardRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRow {
    /// The card's title, or "Sans fiche".
    pub label: String,
    pub id: Option<String>,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParcoursSection {
    pub title: String,
    pub rooms: usize,
    pub steps: Vec<StepRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRow {
    /// From 1.
    pub number: usize,
    /// The card's title (its id when the kit no longer has it).
    pub card: String,
    pub card_id: Option<String>,
    pub rooms: usize,
    pub people: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMonth {
    /// "mars 2026".
    pub month: String,
    pub nudges: usize,
    pub steps: usize,
}

impl Report {
    /// ✅ given, one per person and step.
    pub fn tried(&self) -> usize {
        self.parcours
            .iter()
            .flat_map(|p| p.steps.iter().map(|s| s.people))
            .sum()
    }

    /// Room nudges sent in the period.
    pub fn nudges_sent(&self) -> usize {
        self.sent.iter().map(|m| m.nudges).sum()
    }
}

fn month_label((year, month): (i32, u32)) -> String {
    format!("{} {year}", month_name(month))
}

/// Count everything the report shows, for `scope`'s Mission Locale and period.
pub fn gather(
    store: &Store,
    nudges: &Nudges,
    kit: &Kit,
    scope: &Scope<'_>,
    now: DateTime<Utc>,
) -> Result<Report, StoreError> {
    let mission = scope.mission;
    let tenant = mission.id.as_str();
    let tz = mission.tz;
    let window = Window {
        start: scope.since,
        end: scope.until,
    };
    let period = Period {
        start: scope.since,
        end: scope.until,
        kind: PeriodKind::All,
    };
    let counts: Counts = look::counts(store, tenant, &period, tz)?;
    let mut by_card: Vec<CardRow> = counts
        .by_card
        .iter()
        .map(|(card, count)| CardRow {
            label: match card {
                Some(id) => kit.card(id).map_or_else(|| id.clone(), |c| c.title.clone()),
                None => s::NO_CARD.to_owned(),
            },
            id: card.clone(),
            count: *count,
        })
        .collect();
    by_card.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    let reflections = ReflectionFigures {
        total: counts.total,
        rooms: counts.rooms,
        by_month: counts
            .by_month
            .iter()
            .map(|(month, n)| (month_label(*month), *n))
            .collect(),
        by_card,
    };

    let runs = nudges.runs_of_tenant(tenant)?;
    let parcours = adoption_in(&runs, window)
        .into_iter()
        .map(|p| {
            let cards = kit.parcours_by_id(&p.parcours).map(|k| &k.steps);
            ParcoursSection {
                title: p.title,
                rooms: p.rooms,
                steps: p
                    .steps
                    .iter()
                    .map(|step| {
                        let card_id = cards.and_then(|c| c.get(step.step)).map(|e| e.card.clone());
                        let card = card_id
                            .as_deref()
                            .map(|id| kit.card(id).map_or(id, |c| c.title.as_str()).to_owned())
                            .unwrap_or_else(|| (step.step + 1).to_string());
                        StepRow {
                            number: step.step + 1,
                            card,
                            card_id,
                            rooms: step.rooms,
                            people: step.people,
                        }
                    })
                    .collect(),
            }
        })
        .collect();

    let mut sent: BTreeMap<(i32, u32), (usize, usize)> = BTreeMap::new();
    for (at, posted) in nudges.sent_posts(tenant)? {
        if !window.contains(at) {
            continue;
        }
        let local = at.with_timezone(&tz);
        let month = sent.entry((local.year(), local.month())).or_default();
        match posted {
            Posted::Nudge { .. } => month.0 += 1,
            Posted::Step { .. } => month.1 += 1,
            Posted::Other => {}
        }
    }
    let sent = sent
        .into_iter()
        .filter(|(_, (nudges, steps))| nudges + steps > 0)
        .map(|(month, (nudges, steps))| SentMonth {
            month: month_label(month),
            nudges,
            steps,
        })
        .collect();

    Ok(Report {
        mission: mission.name.clone(),
        period: s::period(
            scope.since.map(|t| local_date(tz, t)).as_deref(),
            scope.until.map(|t| last_day(tz, t)).as_deref(),
            mission.retention_months,
        ),
        made_on: s::made_on(&local_date(tz, now)),
        reflections,
        parcours,
        sent,
    })
}

/// The page's footnote.
pub fn notes() -> String {
    s::notes(POSTS_KEPT_DAYS)
}

/// `kitbot export --format html`: gather, write the page to `output` (created readable by the
/// user only) or standard output. Returns the summary line.
pub fn cli_report(
    store: &Store,
    nudges: &Nudges,
    kit: &Kit,
    now: DateTime<Utc>,
    scope: &Scope<'_>,
    output: Option<&Path>,
) -> Result<String, CliError> {
    let report = gather(store, nudges, kit, scope, now)?;
    let page = html::render(&report);
    match output {
        Some(path) => {
            let mut file = crate::files::create_private_file(path)?;
            file.write_all(page.as_bytes())?;
            file.sync_all()?;
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(page.as_bytes())?;
            stdout.flush()?;
        }
    }
    tracing::info!(tenant = %scope.mission.id, "html report written");
    Ok(s::cli_written(&scope.mission.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_html_included() {
        assert_eq!("HTML".parse(), Ok(ExportKind::Html));
        assert_eq!(
            "csv".parse(),
            Ok(ExportKind::Reflections(ExportFormat::Csv))
        );
        let err = "pdf".parse::<ExportKind>().expect_err("unknown");
        assert!(err.contains("html"), "{err}");
    }
}
