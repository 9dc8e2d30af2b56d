//! The command-line side of reflections: `kitbot export` (with a progress bar on a terminal;
//! its scope, the Mission Locale and the period, is read here for every format, the HTML
//! report's included) and `kitbot forget`. They run with the bot stopped (sled locks its
//! folder), on the same store and rules as the bot.

use std::io::{IsTerminal, Write};
use std::path::Path;

use chrono::{DateTime, Utc};

use super::export::{export, ExportError, ExportFormat, ExportRequest};
use super::parse::{parse_since, parse_until};
use crate::config::{Config, MissionLocale};
use crate::store::{Store, StoreError};
use crate::strings::reflections as s;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{}", s::cli_unknown_mission(.0))]
    UnknownMission(String),
    #[error("{}", s::cli_bad_since(.0))]
    BadSince(String),
    #[error("{}", s::cli_bad_until(.0))]
    BadUntil(String),
    #[error("{}", s::cli_bad_user(.0))]
    BadUser(String),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A write of `kitbot forget` failed in this Mission Locale (its name): part of it may be
    /// done (an erasure is never put back).
    #[error("{} : {}", s::cli_forget_incomplete(.0), .1)]
    ForgetIncomplete(String, StoreError),
    #[error("{} : {}", s::EXPORT_IO, .0)]
    Io(#[from] std::io::Error),
}

/// A progress bar on stderr, redrawn when the percentage changes; silent off a terminal.
struct Progress {
    enabled: bool,
    last: Option<u64>,
}

impl Progress {
    fn update(&mut self, done: u64, total: u64) {
        if !self.enabled || total == 0 {
            return;
        }
        let percent = done * 100 / total;
        if self.last == Some(percent) {
            return;
        }
        self.last = Some(percent);
        let filled = (percent / 4) as usize;
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r[{}{}] {percent:>3} % ({done}/{total})",
            "#".repeat(filled),
            " ".repeat(25 - filled)
        );
        if done == total {
            let _ = writeln!(err);
        }
        let _ = err.flush();
    }
}

/// What an export covers: the Mission Locale and, from `--since` and `--until` (its day
/// included), the start and the exclusive end of the period.
pub struct Scope<'a> {
    pub mission: &'a MissionLocale,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// Read `--mission-locale`, `--since` and `--until` (every export format takes them).
pub fn scope<'a>(
    config: &'a Config,
    now: DateTime<Utc>,
    mission_id: &str,
    since: Option<&str>,
    until: Option<&str>,
) -> Result<Scope<'a>, CliError> {
    let mission = config
        .mission(mission_id)
        .ok_or_else(|| CliError::UnknownMission(mission_id.to_owned()))?;
    let since = since
        .map(|expr| {
            parse_since(expr, now, mission.tz).ok_or_else(|| CliError::BadSince(expr.to_owned()))
        })
        .transpose()?;
    let until = until
        .map(|expr| {
            parse_until(expr, now, mission.tz).ok_or_else(|| CliError::BadUntil(expr.to_owned()))
        })
        .transpose()?;
    Ok(Scope {
        mission,
        since,
        until,
    })
}

/// `kitbot export --mission-locale ID [--since DATE] [--until DATE] --format F [--output FILE]`.
/// Returns the summary line.
pub fn cli_export(
    store: &Store,
    now: DateTime<Utc>,
    scope: &Scope<'_>,
    format: ExportFormat,
    output: Option<&Path>,
) -> Result<String, CliError> {
    let mission = scope.mission;
    let mission_id = mission.id.as_str();
    let request = ExportRequest {
        store,
        mission,
        since: scope.since,
        until: scope.until,
        format,
        now,
    };
    let mut progress = Progress {
        enabled: std::io::stderr().is_terminal(),
        last: None,
    };
    let count = match output {
        Some(path) => {
            let mut file = std::io::BufWriter::new(crate::files::create_private_file(path)?);
            export(&request, &mut file, &mut |d, t| progress.update(d, t))?
        }
        None => {
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            export(&request, &mut stdout, &mut |d, t| progress.update(d, t))?
        }
    };
    // The pseudonym key may have been created just now: keep it, or pseudonyms would change.
    store.flush_blocking()?;
    tracing::info!(tenant = %mission_id, count, "export written");
    Ok(s::cli_exported(count, &mission.name))
}
