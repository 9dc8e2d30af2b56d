//! The coordinator's export of a Mission Locale's reflections (CSV, JSON or Markdown), for the
//! yearly report. It streams: one reflection decoded, written and dropped at a time, so memory
//! stays flat whatever the size. Authors are pseudonymised (see [`super::pseudonym`]) unless
//! they sign; hidden reflections (consent withdrawn, choice pending) are left out; anonymised
//! ones say so. CSV cells that a spreadsheet would run as a formula are defused.

use std::collections::HashMap;
use std::io::Write;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Utc};

use super::consent::{View, Visibility};
use super::db;
use super::model::{Reflection, MAX_TEXT_CHARS};
use super::parse::month_name;
use super::pseudonym::pseudonym;
use super::render::local_date;
use crate::config::MissionLocale;
use crate::core::text::escape_md;
use crate::core::text::quote_inline;
use crate::store::{Store, StoreError};
use crate::strings::reflections as s;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
    Markdown,
}

impl FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(ExportFormat::Csv),
            "json" => Ok(ExportFormat::Json),
            "markdown" | "md" => Ok(ExportFormat::Markdown),
            other => Err(s::bad_format(other)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the output failed (disk full, closed pipe).
    #[error("{} : {}", s::EXPORT_IO, .0)]
    Io(#[from] std::io::Error),
}

/// What to export.
pub struct ExportRequest<'a> {
    pub store: &'a Store,
    pub mission: &'a MissionLocale,
    pub since: Option<DateTime<Utc>>,
    /// Only reflections before this instant (`--until`, its day included).
    pub until: Option<DateTime<Utc>>,
    pub format: ExportFormat,
    pub now: DateTime<Utc>,
}

/// One exported row.
#[derive(serde::Serialize)]
struct Row<'a> {
    id: u64,
    date: DateTime<Utc>,
    salon: &'a str,
    auteur: &'a str,
    fiche: Option<&'a str>,
    etiquettes: &'a [String],
    texte: &'a str,
}

/// Authors as exported: the MXID when they sign, a stable pseudonym otherwise.
struct Authors<'a> {
    visibility: Visibility<'a>,
    key: Vec<u8>,
    pseudonyms: HashMap<String, String>,
}

impl Authors<'_> {
    /// `None` when the reflection must not be exported.
    fn label(&mut self, r: &Reflection) -> Result<Option<String>, StoreError> {
        Ok(match self.visibility.view(r)? {
            View::Hidden => None,
            View::Anonymised => Some(s::EXPORT_ANONYMOUS.to_owned()),
            View::Signed(user) => Some(user),
            View::Unsigned(user) => Some(
                self.pseudonyms
                    .entry(user)
                    .or_insert_with_key(|u| pseudonym(&self.key, u))
                    .clone(),
            ),
        })
    }
}

pub fn csv_cell(value: &str) -> String {
    // A cell starting like a formula would run in a spreadsheet: make it text.
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// The last day included before an exclusive end (`--until 2026-12-31` ends at midnight on 1
/// January: 31/12/2026), local time.
pub fn last_day(tz: chrono_tz::Tz, end: DateTime<Utc>) -> String {
    local_date(tz, end - chrono::Duration::seconds(1))
}

/// Write the export to `out`; `progress(done, total)` after each reflection read. Returns how
/// many reflections were exported.
pub fn export(
    req: &ExportRequest<'_>,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<u64, ExportError> {
    let tenant = req.mission.id.as_str();
    let tz = req.mission.tz;
    let in_period = |r: &Reflection| {
        req.since.is_none_or(|since| r.created_at >= since)
            && req.until.is_none_or(|until| r.created_at < until)
    };
    // First pass: the exact count, for the header and the progress bar.
    let mut total = 0u64;
    {
        let mut visibility = Visibility::new(req.store, tenant);
        db::walk_tenant::<StoreError>(req.store, tenant, |r| {
            if in_period(&r) && visibility.view(&r)? != View::Hidden {
                total += 1;
            }
            Ok(true)
        })?;
    }
    let mut authors = Authors {
        visibility: Visibility::new(req.store, tenant),
        key: db::secret(req.store, tenant)?,
        pseudonyms: HashMap::new(),
    };
    match req.format {
        ExportFormat::Csv => writeln!(out, "{}", s::CSV_HEADER)?,
        ExportFormat::Json => {
            write!(
                out,
                "{{\"mission_locale\":{},\"exporte_le\":{},\"depuis\":{},\"jusqu_a\":{},\"nombre\":{total},\"reflexions\":[",
                serde_json::to_string(tenant).unwrap_or_default(),
                serde_json::to_string(&req.now).unwrap_or_default(),
                serde_json::to_string(&req.since).unwrap_or_default(),
                serde_json::to_string(&req.until).unwrap_or_default(),
            )?;
        }
        ExportFormat::Markdown => {
            writeln!(out, "{}\n", s::export_title(&escape_md(&req.mission.name)))?;
            let since = req.since.map(|t| local_date(tz, t));
            let until = req.until.map(|t| last_day(tz, t));
            writeln!(
                out,
                "{}",
                s::export_intro(
                    &local_date(tz, req.now),
                    since.as_deref(),
                    until.as_deref(),
                    total
                )
            )?;
        }
    }
    let mut done = 0u64;
    let mut month = None;
    db::walk_tenant::<ExportError>(req.store, tenant, |r| {
        if !in_period(&r) {
            return Ok(true);
        }
        let Some(author) = authors.label(&r)? else {
            return Ok(true);
        };
        let local = r.created_at.with_timezone(&tz);
        match req.format {
            ExportFormat::Csv => writeln!(
                out,
                "{},{},{},{},{},{},{}",
                r.id,
                local.format("%Y-%m-%d %H:%M"),
                csv_cell(&r.room_id),
                csv_cell(&author),
                csv_cell(r.card.as_deref().unwrap_or("")),
                csv_cell(&r.tags.join(";")),
                csv_cell(&r.text),
            )?,
            ExportFormat::Json => {
                if done > 0 {
                    out.write_all(b",")?;
                }
                let row = Row {
                    id: r.id,
                    date: r.created_at,
                    salon: &r.room_id,
                    auteur: &author,
                    fiche: r.card.as_deref(),
                    etiquettes: &r.tags,
                    texte: &r.text,
                };
                serde_json::to_writer(&mut *out, &row).map_err(std::io::Error::from)?;
            }
            ExportFormat::Markdown => {
                let this_month = (local.year(), local.month());
                if month != Some(this_month) {
                    writeln!(out, "\n## {} {}\n", month_name(this_month.1), this_month.0)?;
                    month = Some(this_month);
                }
                let mut parts = vec![
                    format!("**{}**", local.format("%d/%m/%Y")),
                    escape_md(&author),
                ];
                if let Some(card) = &r.card {
                    parts.push(s::card_label(&escape_md(card)));
                }
                if !r.tags.is_empty() {
                    let tags: Vec<String> =
                        r.tags.iter().map(|t| escape_md(&format!("#{t}"))).collect();
                    parts.push(tags.join(" "));
                }
                writeln!(
                    out,
                    "- {} — {}",
                    parts.join(" · "),
                    quote_inline(&r.text, MAX_TEXT_CHARS)
                )?;
            }
        }
        done += 1;
        progress(done, total);
        Ok(true)
    })?;
    if req.format == ExportFormat::Json {
        writeln!(out, "]}}")?;
    }
    out.flush()?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        struct Case {
            input: &'static str,
            expected: &'static str,
        }
        let cases = [
            Case {
                input: "simple",
                expected: "simple",
            },
            Case {
                input: "a, b",
                expected: "\"a, b\"",
            },
            Case {
                input: "dit \"oui\"",
                expected: "\"dit \"\"oui\"\"\"",
            },
            Case {
                input: "=HYPERLINK(\"x\")",
                expected: "\"'=HYPERLINK(\"\"x\"\")\"",
            },
            Case {
                input: "@room",
                expected: "'@room",
            },
            Case {
                input: "ligne\nsuivante",
                expected: "\"ligne\nsuivante\"",
            },
        ];
        for case in cases {
            assert_eq!(csv_cell(case.input), case.expected, "{}", case.input);
        }
    }

    #[test]
    fn formats_parse() {
        assert_eq!("CSV".parse(), Ok(ExportFormat::Csv));
        assert_eq!("md".parse(), Ok(ExportFormat::Markdown));
        assert!("pdf".parse::<ExportFormat>().is_err());
    }
}
