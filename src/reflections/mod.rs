//! Reflections: what teams share about their remote sessions, kept only with the author's
//! consent, behind a personal-data guard ([`pii`]) that refuses anything identifying a person.
//! (Being built: see issue 5.)

pub mod pii;

use tokio_util::sync::CancellationToken;

use crate::engine::{Engine, Incoming, Outgoing};

/// Reactions (📝), edits and redactions that matter to reflections.
pub async fn on_event(_engine: &Engine, _incoming: &Incoming) -> Vec<Outgoing> {
    Vec::new()
}

/// The daily retention purge.
pub async fn run_retention(_engine: Engine, shutdown: CancellationToken) {
    shutdown.cancelled().await;
}
