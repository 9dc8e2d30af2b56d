//! Nudges: reminders and adoption paths that coordinators schedule, and the scheduler task.
//! (Being built: see issue 4.)

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::engine::{Engine, Incoming, Outgoing};

/// Reactions, edits and redactions that matter to nudges (✅ on a parcours step).
pub async fn on_event(_engine: &Engine, _incoming: &Incoming) -> Vec<Outgoing> {
    Vec::new()
}

/// The adapter posted `seed` (an `Outgoing::Post` txn id) as `event_id` in `room_id`.
pub fn on_posted(_engine: &Engine, _seed: &str, _room_id: &str, _event_id: &str) {}

/// The card a posted nudge or parcours step was about, by the event id of the post.
pub fn card_of_post(_engine: &Engine, _room_id: &str, _event_id: &str) -> Option<String> {
    None
}

/// Adoption figures of a Mission Locale's parcours: (parcours title, steps posted, ✅ reactions).
pub fn adoption_figures(_engine: &Engine, _tenant: &str) -> Vec<(String, usize, usize)> {
    Vec::new()
}

/// The scheduler: sleeps until the next due firing, hands due posts over on `posts`.
pub async fn run_scheduler(
    _engine: Engine,
    _posts: mpsc::Sender<Outgoing>,
    shutdown: CancellationToken,
) {
    shutdown.cancelled().await;
}
