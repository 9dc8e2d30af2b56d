//! The person's rights: access (`!mes-donnees`: their consent record and every reflection they
//! wrote, as JSON plus a readable summary) and erasure (`!oublier`, `kitbot forget`: everything
//! about them in one Mission Locale). Reflections already anonymised are no longer theirs in
//! any traceable way, so neither right reaches them.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::consent::View;
use super::db;
use super::render;
use crate::core::text::escape_md;
use crate::store::{Store, StoreError};
use crate::strings::reflections as s;

/// Reflections listed in the summary of `!mes-donnees` (all are in the JSON file).
const SUMMARY_LIMIT: usize = 20;

/// What `!mes-donnees` sends.
#[derive(Debug, Clone)]
pub struct MyData {
    pub summary: String,
    pub filename: String,
    pub json: Vec<u8>,
}

/// What other domains keep about the person, added to `!mes-donnees` by the rights module above the domains.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    /// An object whose fields are added to the JSON document.
    pub json: serde_json::Value,
    /// Summary lines, already in Markdown.
    pub lines: Vec<String>,
    /// There is something in it.
    pub has_any: bool,
}

/// Everything kept about `user` in `tenant` (with `extra` from the other domains); `None`
/// when nothing is.
pub fn my_data(
    store: &Store,
    tenant: &str,
    mission_name: &str,
    user: &str,
    tz: Tz,
    now: DateTime<Utc>,
    extra: Extra,
) -> Result<Option<MyData>, StoreError> {
    let record = db::consent(store, tenant, user)?;
    let reflections = db::by_author(store, tenant, user)?;
    if record.is_none() && reflections.is_empty() && !extra.has_any {
        return Ok(None);
    }
    let mut document = serde_json::json!({
        "mission_locale": tenant,
        "personne": user,
        "genere_le": now,
        "consentement": record,
        "reflexions": reflections,
    });
    if let (Some(doc), serde_json::Value::Object(more)) = (document.as_object_mut(), extra.json) {
        doc.extend(more);
    }
    let json = serde_json::to_vec_pretty(&document).unwrap_or_default();

    let state = match &record {
        Some(r) if r.granted => s::my_data_consent_granted(
            &r.granted_at()
                .map(|t| render::local_datetime(tz, t))
                .unwrap_or_default(),
        ),
        Some(r) => s::my_data_consent_withdrawn(
            &r.withdrawn_at()
                .map(|t| render::local_datetime(tz, t))
                .unwrap_or_default(),
        ),
        None => s::MY_DATA_CONSENT_NONE.to_owned(),
    };
    let mut lines = vec![
        s::my_data_title(&escape_md(mission_name)),
        s::my_data_consent(&state, record.as_ref().map_or(0, |r| r.history.len())),
        s::my_data_signature(record.as_ref().is_some_and(|r| r.signed)),
        s::my_data_count(reflections.len()),
    ];
    // Newest first, as in the room.
    for r in reflections.iter().rev().take(SUMMARY_LIMIT) {
        lines.push(render::line(r, &View::Anonymised, tz));
    }
    if reflections.len() > SUMMARY_LIMIT {
        lines.push(s::my_data_more(reflections.len() - SUMMARY_LIMIT));
    }
    lines.extend(extra.lines);
    lines.push(String::new());
    lines.push(s::MY_DATA_FOOTER.to_owned());
    Ok(Some(MyData {
        summary: lines.join("\n"),
        filename: format!("mes-donnees-{tenant}-{}.json", now.format("%Y-%m-%d")),
        json,
    }))
}

/// What erasure covers (or covered).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Forgotten {
    pub had_consent: bool,
    pub reflections: usize,
}

impl Forgotten {
    pub fn is_nothing(&self) -> bool {
        !self.had_consent && self.reflections == 0
    }
}

/// What `forget` would erase.
pub fn preview(store: &Store, tenant: &str, user: &str) -> Result<Forgotten, StoreError> {
    Ok(Forgotten {
        had_consent: db::consent(store, tenant, user)?.is_some(),
        reflections: db::count_by_author(store, tenant, user)?,
    })
}

/// Erase everything about `user` in `tenant`: reflections, then the consent record and its
/// history. Does not flush: callers flush before confirming.
pub fn forget(store: &Store, tenant: &str, user: &str) -> Result<Forgotten, StoreError> {
    let reflections = super::consent::erase_reflections(store, tenant, user)?;
    for _ in 0..reflections {
        crate::metrics::metrics().reflection("erased");
    }
    let mut had_consent = false;
    db::update_consent(store, tenant, user, |old| {
        had_consent = old.is_some();
        None
    })?;
    Ok(Forgotten {
        had_consent,
        reflections,
    })
}
