//! Reflections: what teams share about their remote sessions, kept only with the author's
//! consent, behind a personal-data guard ([`pii`]) that refuses anything identifying a person,
//! and given back as lists, counts, exports, and on request to the person themself (access,
//! erasure).
//!
//! Layout (the commands themselves are in `commands/reflections/`):
//! - `model.rs`: the stored shapes (reflection, consent record and its history);
//! - `db.rs`: sled trees and keys (tenant first), atomic writes with indexes;
//! - `consent.rs`: giving and withdrawing consent, signing, and the visibility rule;
//! - `share.rs`: the guards and the write, flushed before "saved";
//! - `events.rs`: 📝 reactions, edits and redactions;
//! - `parse.rs`: text and tags, "depuis" dates and durations, `!bilan` periods;
//! - `look.rs`: `!reflexions` and `!bilan`; `render.rs`: shared chat formatting;
//! - `rights.rs`: `!mes-donnees` and erasure; `export.rs` and `cli.rs`: `kitbot export|forget`;
//! - `pseudonym.rs`: export pseudonyms; `retention.rs`: the daily purge.
//!
//! Nothing about a person depends on whether they opt in: no command tells anyone else who
//! consents, nothing reminds people to, and `!bilan` counts reflections, never people.
//! Logs carry ids and counts, never a reflection's text.

pub mod cli;
pub mod consent;
pub mod db;
pub mod events;
pub mod export;
pub mod look;
pub mod model;
pub mod parse;
pub mod pii;
pub mod pseudonym;
pub mod render;
pub mod retention;
pub mod rights;
pub mod share;

pub use events::{answer_share, on_edit, on_memo, on_redaction, Env, Text};

use crate::store::{Store, StoreError};

/// Flush before telling anyone "saved". [`Store::flush`] lets one flush run at a time (sled
/// 0.34's `flush_async` can deadlock its own thread pool when many run at once).
pub async fn flush(store: &Store) -> Result<(), StoreError> {
    store.flush().await
}

/// The room `old` was replaced by `new` (a room upgrade): its reflections now belong to `new`
/// (their `!reflexions` listing follows). Not flushed. Returns how many moved.
pub fn move_room(store: &Store, tenant: &str, old: &str, new: &str) -> Result<usize, StoreError> {
    let mut found = Vec::new();
    db::walk_room_newest_first(store, tenant, old, None, usize::MAX, |r| {
        found.push(r);
        Ok(true)
    })?;
    for r in &found {
        let mut moved = r.clone();
        moved.room_id = new.to_owned();
        db::replace(store, r, &moved)?;
    }
    Ok(found.len())
}

/// What a person has in a Mission Locale (consent record and reflections), taken before a
/// change, to put back if the change cannot reach the disk.
#[derive(Debug, Clone)]
pub struct Before {
    tenant: String,
    user: String,
    consent: Option<model::ConsentRecord>,
    reflections: Vec<model::Reflection>,
    /// A reflection the change adds: erased by its id on the way back, whatever state its
    /// index entries are in.
    added: Option<model::Reflection>,
}

impl Before {
    pub fn take(store: &Store, tenant: &str, user: &str) -> Result<Before, StoreError> {
        Ok(Before {
            tenant: tenant.to_owned(),
            user: user.to_owned(),
            consent: db::consent(store, tenant, user)?,
            reflections: db::by_author(store, tenant, user)?,
            added: None,
        })
    }

    /// The change adds `r` (numbered already, not written yet).
    pub fn adding(self, r: &model::Reflection) -> Before {
        Before {
            added: Some(r.clone()),
            ..self
        }
    }

    /// Put the person's data back as it was: the consent record, and the reflections (those
    /// added since are removed, those changed or erased are written back).
    fn restore(&self, store: &Store) -> Result<(), StoreError> {
        if let Some(added) = &self.added {
            db::delete(store, added)?;
        }
        let consent = self.consent.clone();
        db::update_consent(store, &self.tenant, &self.user, |_| consent.clone())?;
        for now in db::by_author(store, &self.tenant, &self.user)? {
            if !self.reflections.iter().any(|r| r.id == now.id) {
                db::delete(store, &now)?;
            }
        }
        for old in &self.reflections {
            match db::get(store, &self.tenant, old.id)? {
                Some(now) if now == *old => db::reindex(store, old)?,
                Some(now) => db::replace(store, &now, old)?,
                None => db::insert_numbered(store, old)?,
            }
        }
        Ok(())
    }
}

/// Start a change of a person's data, before its first write: committed, it is flushed; when
/// a write or the flush fails, what `before` holds is put back (now, or once the store works
/// again) and the change did not happen.
pub fn change(store: &Store, before: Before, what: &'static str) -> crate::store::Change {
    store.change(what, move |store| before.restore(store))
}

pub use export::{ExportFormat, ExportRequest};
pub use retention::run_retention;
