//! Looking back: a room's recent reflections (`!reflexions`) and the Mission Locale's counts
//! (`!bilan`). Both read only the asking room's tenant; the list reads only the asking room;
//! the counts never carry any text. Hidden reflections (authors who withdrew consent and have
//! not chosen yet) are neither listed nor counted.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

use super::consent::{View, Visibility};
use super::db;
use super::parse::{month_name, Period, PeriodKind};
use super::render;
use crate::core::text::escape_md;
use crate::kit::Kit;
use crate::store::{Store, StoreError};
use crate::strings::reflections as s;

/// Reflections shown by `!reflexions`.
pub const LIST_LIMIT: usize = 10;
/// Index entries read at most by one `!reflexions`, so a huge room stays cheap.
const MAX_VISITS: usize = 5_000;
/// Lines per section of `!bilan`.
const BILAN_TOP: usize = 10;

/// `!reflexions [#tag] [depuis …]` in `room`: newest first, at most [`LIST_LIMIT`].
pub fn list(
    store: &Store,
    tenant: &str,
    room: &str,
    tag: Option<&str>,
    since: Option<DateTime<Utc>>,
    tz: Tz,
) -> Result<String, StoreError> {
    let mut visibility = Visibility::new(store, tenant);
    let mut lines = Vec::new();
    let mut more = false;
    db::walk_room_newest_first(store, tenant, room, tag, MAX_VISITS, |r| {
        if since.is_some_and(|since| r.created_at < since) {
            return Ok(false);
        }
        let view = visibility.view(&r)?;
        if view == View::Hidden {
            return Ok(true);
        }
        if lines.len() == LIST_LIMIT {
            more = true;
            return Ok(false);
        }
        lines.push(render::line(&r, &view, tz));
        Ok(true)
    })?;
    let mut filters = Vec::new();
    if let Some(tag) = tag {
        filters.push(escape_md(&format!("#{tag}")));
    }
    if let Some(since) = since {
        filters.push(s::filter_since(&render::local_date(tz, since)));
    }
    if lines.is_empty() {
        return Ok(s::list_empty(!filters.is_empty()));
    }
    let mut out = vec![s::list_header(&filters.join(", "))];
    out.extend(lines);
    if more {
        out.push(s::list_more(LIST_LIMIT));
    }
    Ok(out.join("\n"))
}

/// The counts behind `!bilan`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    pub total: usize,
    pub rooms: usize,
    /// (year, month) in local time.
    pub by_month: BTreeMap<(i32, u32), usize>,
    /// `None`: no card.
    pub by_card: HashMap<Option<String>, usize>,
    pub by_tag: HashMap<String, usize>,
}

/// Count a tenant's visible reflections in `period`. Reads the whole tenant: call from
/// `spawn_blocking`.
pub fn counts(store: &Store, tenant: &str, period: &Period, tz: Tz) -> Result<Counts, StoreError> {
    let mut visibility = Visibility::new(store, tenant);
    let mut counts = Counts::default();
    let mut rooms = HashSet::new();
    db::walk_tenant::<StoreError>(store, tenant, |r| {
        if !period.contains(r.created_at) || visibility.view(&r)? == View::Hidden {
            return Ok(true);
        }
        counts.total += 1;
        if !rooms.contains(&r.room_id) {
            rooms.insert(r.room_id.clone());
        }
        let local = r.created_at.with_timezone(&tz);
        *counts
            .by_month
            .entry((local.year(), local.month()))
            .or_default() += 1;
        *counts.by_card.entry(r.card.clone()).or_default() += 1;
        for tag in &r.tags {
            *counts.by_tag.entry(tag.clone()).or_default() += 1;
        }
        Ok(true)
    })?;
    counts.rooms = rooms.len();
    Ok(counts)
}

/// How a period is named in a bilan's title.
pub fn period_label(period: &Period, retention_months: u32) -> String {
    match &period.kind {
        PeriodKind::All => s::period_all(retention_months),
        PeriodKind::Year(y) => s::period_year(*y),
        PeriodKind::Month(first) => s::period_month(month_name(first.month()), first.year()),
        PeriodKind::Since(day) => s::period_since(&day.format("%d/%m/%Y").to_string()),
    }
}

fn top<K: Ord + Clone>(map: &HashMap<K, usize>) -> Vec<(K, usize)> {
    let mut items: Vec<(K, usize)> = map.iter().map(|(k, n)| (k.clone(), *n)).collect();
    items.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    items
}

/// The `!bilan` answer. `adoption`: (parcours title, steps posted, ✅ received).
pub fn render_bilan(
    mission: &str,
    period: &str,
    counts: &Counts,
    adoption: &[(String, usize, usize)],
    kit: &Kit,
) -> String {
    let mut out = vec![
        s::bilan_header(&escape_md(mission), period),
        s::bilan_total(counts.total, counts.rooms),
    ];
    if counts.total > 0 {
        out.push(String::new());
        out.push(s::BILAN_BY_MONTH.to_owned());
        for ((y, m), n) in &counts.by_month {
            out.push(format!("- {} {y} : {n}", month_name(*m)));
        }
        out.push(String::new());
        out.push(s::BILAN_BY_CARD.to_owned());
        let cards = top(&counts.by_card);
        for (card, n) in cards.iter().take(BILAN_TOP) {
            let label = match card {
                Some(id) => match kit.card(id) {
                    Some(c) => format!("`{}` ({})", escape_md(id), escape_md(&c.title)),
                    None => format!("`{}`", escape_md(id)),
                },
                None => s::BILAN_NO_CARD.to_owned(),
            };
            out.push(format!("- {label} : {n}"));
        }
        if cards.len() > BILAN_TOP {
            out.push(s::bilan_others(cards.len() - BILAN_TOP));
        }
        out.push(String::new());
        out.push(s::BILAN_BY_TAG.to_owned());
        let tags = top(&counts.by_tag);
        if tags.is_empty() {
            out.push(s::BILAN_NO_TAG.to_owned());
        }
        for (tag, n) in tags.iter().take(BILAN_TOP) {
            out.push(format!("- {} : {n}", escape_md(&format!("#{tag}"))));
        }
        if tags.len() > BILAN_TOP {
            out.push(s::bilan_others(tags.len() - BILAN_TOP));
        }
    }
    out.push(String::new());
    out.push(s::BILAN_PARCOURS.to_owned());
    if adoption.is_empty() {
        out.push(s::BILAN_NO_PARCOURS.to_owned());
    }
    for (title, steps, checks) in adoption {
        out.push(s::bilan_parcours_line(&escape_md(title), *steps, *checks));
    }
    out.join("\n")
}
