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

pub use export::{ExportFormat, ExportRequest};
pub use retention::run_retention;
