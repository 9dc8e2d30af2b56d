//! The shared vocabulary of kitbot: what an event is ([`Incoming`]), what the bot does in
//! answer ([`Outgoing`]), who may do what ([`Role`]), a problem in a file an operator wrote
//! ([`Problem`]), the injected [`clock`], and the text helpers every layer needs ([`text`]:
//! one folding, one escaping).
//!
//! This module is the leaf of the crate: it imports nothing else of kitbot, so every layer can
//! use it and none of it can reach back into the engine, the commands or an adapter.

pub mod clock;
mod message;
mod problem;
mod role;
pub mod text;

pub use clock::{Clock, FixedClock, ScaledClock, SharedClock, SystemClock};
pub use message::{Attachment, Incoming, IncomingKind, Mentions, Outgoing, Picture, Quoted};
pub use problem::{line_of, Problem};
pub use role::Role;

/// The reaction that saves one's own message as a reflection.
pub const MEMO_REACTION: &str = "📝";
/// The reaction the bot puts on a message it saved.
pub const SAVED_REACTION: &str = "✅";
/// The reaction that snoozes a nudge or reminder the person received (an hour later).
pub const SNOOZE_REACTIONS: [&str; 2] = ["⏰", "⏲"];
/// Reactions that mean "I tried it" on a parcours step.
pub const TICK_REACTIONS: [&str; 4] = ["✅", "✔", "☑", "👍"];

/// The reactions that say a kit answer helped (👍) or did not (👎).
pub const USEFUL_REACTION: &str = "👍";
pub const NOT_USEFUL_REACTION: &str = "👎";

/// `Some(true)` for 👍, `Some(false)` for 👎 (any skin tone), `None` for any other key.
pub fn vote_of(key: &str) -> Option<bool> {
    match bare_reaction(key).as_str() {
        USEFUL_REACTION => Some(true),
        NOT_USEFUL_REACTION => Some(false),
        _ => None,
    }
}

/// A reaction key without its variation selectors and skin-tone modifiers: clients send "📝"
/// and "📝\u{fe0f}", "👍" and "👍🏽" for the same intent.
pub fn bare_reaction(key: &str) -> String {
    key.chars()
        .filter(|c| {
            *c != '\u{FE0E}' && *c != '\u{FE0F}' && !('\u{1F3FB}'..='\u{1F3FF}').contains(c)
        })
        .collect()
}

/// Whether `key` is the 📝 reaction, whatever its variation selector.
pub fn is_memo(key: &str) -> bool {
    bare_reaction(key) == MEMO_REACTION
}

/// Whether `key` means "remind me again later" (⏰, ⏲).
pub fn is_snooze(key: &str) -> bool {
    SNOOZE_REACTIONS.contains(&bare_reaction(key).as_str())
}

/// Whether `key` means "I tried it" (✅, ✔️, ☑️, 👍, any skin tone).
pub fn is_tick(key: &str) -> bool {
    TICK_REACTIONS.contains(&bare_reaction(key).as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reactions_are_recognised_with_or_without_selectors() {
        for key in ["📝", "📝\u{fe0f}", "📝\u{fe0e}"] {
            assert!(is_memo(key), "{key:?}");
        }
        assert!(!is_memo("✅"));
        for key in ["✅", "✔\u{fe0f}", "☑\u{fe0f}", "👍", "👍🏽"] {
            assert!(is_tick(key), "{key:?}");
        }
        assert!(!is_tick("📝"));
        assert!(is_snooze("⏰") && is_snooze("⏰\u{fe0f}") && !is_snooze("✅"));
        assert_eq!(vote_of("👍🏾"), Some(true));
        assert_eq!(vote_of("👎\u{fe0f}"), Some(false));
        assert_eq!(vote_of("✅"), None);
    }
}
