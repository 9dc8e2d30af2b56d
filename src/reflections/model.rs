//! The stored shapes of the reflections domain: a [`Reflection`] and a person's
//! [`ConsentRecord`] (with its timestamped history, kept as proof). They are plain serde types,
//! written as JSON inside the store's versioned envelope; storage itself is `db.rs`.
//!
//! Minimum data: a reflection keeps its text, tags, card, room, time and, while its author
//! consents, the author and the Matrix event it came from. Anonymising drops both, so nothing
//! links it back to a person any more.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Version of the information text shown by `!consentement`: each consent event records which
/// text the person saw. Bump it when `strings::reflections::consent_info` changes in substance.
pub const INFO_VERSION: u32 = 1;

/// Days a person has to say whether to erase or anonymise their reflections after withdrawing
/// consent; without an answer the daily purge erases them (the choice that protects them most).
pub const CHOICE_DAYS: i64 = 30;

/// Longest reflection text kept, in characters. Longer texts are refused, not cut.
pub const MAX_TEXT_CHARS: usize = 2_000;

/// How a reflection was shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// `!reflexion <texte>`: the command message is the source.
    Command,
    /// A 📝 reaction of the author on one of their own messages.
    Reaction,
}

/// One reflection, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reflection {
    /// Unique in the store, growing with time (newest = largest).
    pub id: u64,
    pub tenant: String,
    pub room_id: String,
    /// The author's MXID; `None` once anonymised.
    pub author: Option<String>,
    /// The Matrix message holding the text (edits and redactions of it apply here); `None` once
    /// anonymised.
    pub event_id: Option<String>,
    /// The 📝 reaction that saved it, if any: redacting it erases the reflection.
    #[serde(default)]
    pub reaction_id: Option<String>,
    pub text: String,
    /// Folded tags, without `#`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The practice card it is about (kit card id).
    #[serde(default)]
    pub card: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub edited_at: Option<DateTime<Utc>>,
    pub origin: Origin,
}

/// A reflection before it has an id.
#[derive(Debug, Clone)]
pub struct Draft {
    pub tenant: String,
    pub room_id: String,
    pub author: String,
    pub event_id: String,
    pub reaction_id: Option<String>,
    pub text: String,
    pub tags: Vec<String>,
    pub card: Option<String>,
    pub created_at: DateTime<Utc>,
    pub origin: Origin,
}

/// What a person did about their consent, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum ConsentAction {
    Granted,
    Withdrawn,
    /// Reflections erased at the person's request after withdrawing.
    Erased {
        count: usize,
    },
    /// Reflections kept without author after withdrawing.
    Anonymised {
        count: usize,
    },
    /// Reflections erased by the purge, the person having not answered within [`CHOICE_DAYS`].
    ErasedWithoutAnswer {
        count: usize,
    },
    /// The person chose to sign their reflections.
    Signed,
    /// The person chose to stay anonymous (the default).
    Anonymous,
}

/// One timestamped consent event: the proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentEvent {
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub action: ConsentAction,
    /// Where the person said it (empty for automatic events).
    pub room_id: String,
    pub event_id: String,
    /// The version of the information text in force ([`INFO_VERSION`]).
    pub info_version: u32,
}

/// A person's consent in one Mission Locale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    pub tenant: String,
    pub user: String,
    pub granted: bool,
    /// Show the author's name with their reflections (off by default).
    #[serde(default)]
    pub signed: bool,
    /// The one-time "saved" notice was sent; later saves only get a ✅.
    #[serde(default)]
    pub notice_sent: bool,
    /// Consent was withdrawn while reflections remained: they are hidden from everyone until the
    /// person chooses to erase or anonymise them, and erased [`CHOICE_DAYS`] after this instant.
    #[serde(default)]
    pub awaiting_choice_since: Option<DateTime<Utc>>,
    pub history: Vec<ConsentEvent>,
}

impl ConsentRecord {
    pub fn new(tenant: &str, user: &str) -> ConsentRecord {
        ConsentRecord {
            tenant: tenant.to_owned(),
            user: user.to_owned(),
            granted: false,
            signed: false,
            notice_sent: false,
            awaiting_choice_since: None,
            history: Vec::new(),
        }
    }

    /// Append a consent event.
    pub fn record(
        &mut self,
        at: DateTime<Utc>,
        action: ConsentAction,
        room_id: &str,
        event_id: &str,
    ) {
        self.history.push(ConsentEvent {
            at,
            action,
            room_id: room_id.to_owned(),
            event_id: event_id.to_owned(),
            info_version: INFO_VERSION,
        });
    }

    /// When consent was last given, if it is in force.
    pub fn granted_at(&self) -> Option<DateTime<Utc>> {
        if !self.granted {
            return None;
        }
        self.history
            .iter()
            .rev()
            .find(|e| e.action == ConsentAction::Granted)
            .map(|e| e.at)
    }

    /// When consent was last withdrawn, if it is not in force.
    pub fn withdrawn_at(&self) -> Option<DateTime<Utc>> {
        if self.granted {
            return None;
        }
        self.history
            .iter()
            .rev()
            .find(|e| e.action == ConsentAction::Withdrawn)
            .map(|e| e.at)
    }
}
