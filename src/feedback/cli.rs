//! `kitbot questions [--mission-locale ID] [--since …] --format csv|json|markdown`: the
//! questions passed on to the kit's writers, grouped by shape (the search's normalisation),
//! most frequent first. Nothing in them names who asked.

use std::io::Write;

use chrono::{DateTime, Utc};

use super::{group, Feedback, QuestionGroup};
use crate::config::Config;
use crate::core::text::escape_md;
use crate::reflections::cli::CliError;
use crate::reflections::export::{csv_cell, ExportFormat};
use crate::reflections::parse::parse_since;
use crate::strings::feedback as s;

/// Write the groups to `out` in `format`; how many groups.
pub fn cli_questions(
    feedback: &Feedback,
    config: &Config,
    now: DateTime<Utc>,
    mission_id: Option<&str>,
    since: Option<&str>,
    format: ExportFormat,
    out: &mut dyn Write,
) -> Result<usize, CliError> {
    let tz = match mission_id {
        Some(id) => {
            config
                .mission(id)
                .ok_or_else(|| CliError::UnknownMission(id.to_owned()))?
                .tz
        }
        None => config
            .missions
            .first()
            .map_or(chrono_tz::Europe::Paris, |m| m.tz),
    };
    let since = match since {
        Some(expr) => {
            Some(parse_since(expr, now, tz).ok_or_else(|| CliError::BadSince(expr.to_owned()))?)
        }
        None => None,
    };
    let questions = feedback.questions(mission_id, since)?;
    let groups = group(&questions);
    match format {
        ExportFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &groups).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        ExportFormat::Csv => write_csv(&groups, out)?,
        ExportFormat::Markdown => write_markdown(&groups, questions.len(), out)?,
    }
    Ok(groups.len())
}

fn write_csv(groups: &[QuestionGroup], out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "count,shape,wordings,missions_locales,first,last,best_score,cards"
    )?;
    for g in groups {
        writeln!(
            out,
            "{},{},{},{},{},{},{:.2},{}",
            g.count,
            csv_cell(&g.shape),
            csv_cell(&g.wordings.join(" | ")),
            csv_cell(&g.missions_locales.join(" ")),
            g.first.format("%Y-%m-%d"),
            g.last.format("%Y-%m-%d"),
            g.best_score,
            csv_cell(&g.cards.join(" ")),
        )?;
    }
    Ok(())
}

fn write_markdown(
    groups: &[QuestionGroup],
    total: usize,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if groups.is_empty() {
        return writeln!(out, "{}", s::QUESTIONS_NONE);
    }
    writeln!(out, "{}\n", s::questions_title(total, groups.len()))?;
    for g in groups {
        let wordings: Vec<String> = g
            .wordings
            .iter()
            .map(|w| format!("« {} »", escape_md(w)))
            .collect();
        writeln!(
            out,
            "- **{}** × {} — {} ({}, {} → {}, score {:.2})",
            g.count,
            escape_md(&g.shape),
            wordings.join(", "),
            g.missions_locales.join(", "),
            g.first.format("%Y-%m-%d"),
            g.last.format("%Y-%m-%d"),
            g.best_score
        )?;
    }
    Ok(())
}
