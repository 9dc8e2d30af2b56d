//! What happened ([`Incoming`]) and what the bot does in answer ([`Outgoing`]), as the engine
//! sees them: no Matrix type, no terminal. The adapters translate on both sides.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Role;

/// What happened, as the engine needs to know it.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The Mission Locale (tenant) the room belongs to.
    pub tenant: String,
    pub room_id: String,
    /// A direct-message room between the bot and the sender.
    pub is_direct: bool,
    pub sender: String,
    pub role: Role,
    /// The message was addressed to the bot (it mentions the bot): an unknown command then
    /// always gets an answer.
    pub addressed: bool,
    pub event_id: String,
    /// The thread the event belongs to, if any.
    pub thread_root: Option<String>,
    /// When the sender sent it (server timestamp).
    pub sent_at: DateTime<Utc>,
    pub kind: IncomingKind,
    /// The message this one replies to, for a command that uses it (`!me-rappeler` or
    /// `!plus-tard` in reply to a message). Filled by the adapter for commands only.
    pub quoted: Option<Quoted>,
}

/// A message replied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quoted {
    pub event_id: String,
    pub sender: String,
    /// Its plain text.
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncomingKind {
    /// A text message (body as plain text).
    Message { body: String },
    /// A reaction `key` on the event `target`, with what the adapter knows of that event.
    Reaction {
        target: String,
        key: String,
        target_sender: Option<String>,
        target_body: Option<String>,
    },
    /// The sender edited their message `target`; `body` is the new text.
    Edit { target: String, body: String },
    /// The message `target` was deleted. `by_moderator`: the sender may delete other people's
    /// messages in that room (otherwise only their own deletion counts).
    Redaction { target: String, by_moderator: bool },
}

/// Who a posted message notifies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mentions {
    pub users: Vec<String>,
    /// `@room`: only when the coordinator asked and the bot's power level allows it.
    pub room: bool,
}

/// A file sent with a direct message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// A picture sent after a text answer that says the same in words (a chart). The text stays
/// the answer for screen readers and text-only clients; `alt` describes the picture.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picture {
    pub filename: String,
    pub mime: String,
    pub width: u32,
    pub height: u32,
    /// A short description of what it shows, in French (the message's body in Matrix).
    pub alt: String,
    pub bytes: Vec<u8>,
}

/// The bytes by their size only: a picture in a log line or a failed assertion is not dumped.
impl std::fmt::Debug for Picture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Picture")
            .field("filename", &self.filename)
            .field("mime", &self.mime)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("alt", &self.alt)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .finish()
    }
}

/// What the engine asks an adapter to do. Every one goes through the outbox, which names it
/// with a transaction id derived from what caused it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outgoing {
    /// An `m.notice` in reply to `to_event` (and in its thread, if any). Markdown.
    Reply {
        room_id: String,
        to_event: String,
        thread_root: Option<String>,
        markdown: String,
    },
    /// A reaction on an event.
    React {
        room_id: String,
        event_id: String,
        key: String,
    },
    /// A new message in a room (nudges, parcours steps, summaries).
    Post {
        room_id: String,
        markdown: String,
        mentions: Mentions,
        /// `m.notice` (silent) rather than `m.text`.
        notice: bool,
    },
    /// The bot's own earlier answer `event_id` replaced by `markdown` (a command edited by its
    /// author and run again).
    Edit {
        room_id: String,
        event_id: String,
        markdown: String,
    },
    /// A picture in reply to `to_event` (and in its thread, if any), like the [`Outgoing::Reply`]
    /// it follows: the same command's next answer.
    Image {
        room_id: String,
        to_event: String,
        thread_root: Option<String>,
        picture: Picture,
    },
    /// A direct message to a user, within a Mission Locale.
    Direct {
        user_id: String,
        tenant: String,
        markdown: String,
        attachment: Option<Attachment>,
    },
}

impl Outgoing {
    /// A silent notice posted in a room, mentioning nobody (what the bot says about itself:
    /// a room left, back, moved, a snooze, an unreadable message).
    pub fn notice(room_id: impl Into<String>, markdown: impl Into<String>) -> Outgoing {
        Outgoing::Post {
            room_id: room_id.into(),
            markdown: markdown.into(),
            mentions: Mentions::default(),
            notice: true,
        }
    }

    /// Where it goes: a room id, or for a direct message the person (its room is found at
    /// sending time). Used to keep order within a destination and fairness across them.
    pub fn destination(&self) -> &str {
        match self {
            Outgoing::Reply { room_id, .. }
            | Outgoing::React { room_id, .. }
            | Outgoing::Edit { room_id, .. }
            | Outgoing::Image { room_id, .. }
            | Outgoing::Post { room_id, .. } => room_id,
            Outgoing::Direct { user_id, .. } => user_id,
        }
    }

    /// The Markdown text, if it has one (a reaction and a picture have none).
    pub fn markdown(&self) -> Option<&str> {
        match self {
            Outgoing::Reply { markdown, .. }
            | Outgoing::Post { markdown, .. }
            | Outgoing::Edit { markdown, .. }
            | Outgoing::Direct { markdown, .. } => Some(markdown),
            Outgoing::React { .. } | Outgoing::Image { .. } => None,
        }
    }
}
