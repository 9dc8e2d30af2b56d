//! Matrix events → what the engine understands. Pure functions over ruma types: which events
//! matter (text messages, reactions, edits, redactions), what is ignored (our own events, notices,
//! which other bots send, state events), and reply fallbacks stripped from bodies.

use chrono::{DateTime, Utc};
use matrix_sdk::ruma::events::room::message::{MessageType, Relation};
use matrix_sdk::ruma::events::room::redaction::SyncRoomRedactionEvent;
use matrix_sdk::ruma::events::{
    AnySyncMessageLikeEvent, AnySyncTimelineEvent, SyncMessageLikeEvent,
};

use crate::core::IncomingKind;

/// An event the engine should see.
#[derive(Debug, Clone, PartialEq)]
pub struct Classified {
    pub event_id: String,
    pub sender: String,
    pub sent_at: DateTime<Utc>,
    pub thread_root: Option<String>,
    pub kind: IncomingKind,
    /// The message mentions the bot (`m.mentions`).
    pub addressed: bool,
    /// The event this message replies to.
    pub reply_to: Option<String>,
}

/// Classify a timeline event. `None` for everything the bot ignores.
pub fn classify(event: &AnySyncTimelineEvent, own_user: &str) -> Option<Classified> {
    if event.sender().as_str() == own_user {
        return None;
    }
    let ms: i64 = event.origin_server_ts().0.into();
    let sent_at = DateTime::from_timestamp_millis(ms).unwrap_or_default();
    let base = |kind, thread_root| Classified {
        event_id: event.event_id().to_string(),
        sender: event.sender().to_string(),
        sent_at,
        thread_root,
        kind,
        addressed: false,
        reply_to: None,
    };
    let AnySyncTimelineEvent::MessageLike(message) = event else {
        return None;
    };
    match message {
        AnySyncMessageLikeEvent::RoomMessage(SyncMessageLikeEvent::Original(m)) => {
            let (thread_root, replaces) = match &m.content.relates_to {
                Some(Relation::Thread(thread)) => (Some(thread.event_id.to_string()), None),
                Some(Relation::Replacement(r)) => (None, Some(r)),
                _ => (None, None),
            };
            let reply_to = match &m.content.relates_to {
                Some(Relation::Reply(reply)) => Some(reply.in_reply_to.event_id.to_string()),
                Some(Relation::Thread(thread)) if !thread.is_falling_back => {
                    thread.in_reply_to.as_ref().map(|r| r.event_id.to_string())
                }
                _ => None,
            };
            if let Some(replacement) = replaces {
                let MessageType::Text(text) = &replacement.new_content.msgtype else {
                    return None;
                };
                let kind = IncomingKind::Edit {
                    target: replacement.event_id.to_string(),
                    body: text.body.clone(),
                };
                return Some(base(kind, None));
            }
            // Notices are what bots send: never answer them (no bot loops).
            let MessageType::Text(text) = &m.content.msgtype else {
                return None;
            };
            let addressed =
                m.content.mentions.as_ref().is_some_and(|mentions| {
                    mentions.user_ids.iter().any(|u| u.as_str() == own_user)
                });
            let body = strip_reply_fallback(&text.body);
            let body = if addressed { strip_address(body) } else { body };
            Some(Classified {
                addressed,
                reply_to,
                ..base(
                    IncomingKind::Message {
                        body: body.to_owned(),
                    },
                    thread_root,
                )
            })
        }
        AnySyncMessageLikeEvent::Reaction(SyncMessageLikeEvent::Original(r)) => {
            let rel = &r.content.relates_to;
            let kind = IncomingKind::Reaction {
                target: rel.event_id.to_string(),
                key: rel.key.clone(),
                target_sender: None,
                target_body: None,
            };
            Some(base(kind, None))
        }
        AnySyncMessageLikeEvent::RoomRedaction(SyncRoomRedactionEvent::Original(r)) => {
            let target = r.redacts.clone().or_else(|| r.content.redacts.clone())?;
            Some(base(
                IncomingKind::Redaction {
                    target: target.to_string(),
                    // Filled in by the adapter, which knows the room's power levels.
                    by_moderator: false,
                },
                None,
            ))
        }
        _ => None,
    }
}

/// "kitbot: !ping" (a client's mention pill, then the command) → "!ping". Only a short lead
/// ending with ":" or "," and holding no command is dropped.
pub fn strip_address(body: &str) -> &str {
    let trimmed = body.trim_start();
    for sep in [": ", ", "] {
        if let Some(at) = trimmed.find(sep) {
            let (lead, rest) = trimmed.split_at(at);
            if lead.chars().count() <= 64 && !lead.contains('!') && !lead.contains('\n') {
                return rest[sep.len()..].trim_start();
            }
        }
    }
    trimmed
}

/// Older clients prefix replies with the quoted original (`> <@a:b> text` lines, then a blank
/// line). The command is what follows.
pub fn strip_reply_fallback(body: &str) -> &str {
    if !body.starts_with("> ") {
        return body;
    }
    match body.find("\n\n") {
        Some(at) if body[..at].lines().all(|l| l.starts_with('>')) => &body[at + 2..],
        _ => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use matrix_sdk::ruma::serde::Raw;

    fn event(json: serde_json::Value) -> AnySyncTimelineEvent {
        Raw::<AnySyncTimelineEvent>::from_json_string(json.to_string())
            .expect("raw")
            .deserialize()
            .expect("valid event")
    }

    fn message(content: serde_json::Value, sender: &str) -> AnySyncTimelineEvent {
        event(serde_json::json!({
            "type": "m.room.message", "event_id": "$e", "sender": sender,
            "origin_server_ts": 1_700_000_000_000u64, "content": content
        }))
    }

    #[test]
    fn classifies_what_matters() {
        let text = message(
            serde_json::json!({"msgtype": "m.text", "body": "!ping"}),
            "@a:x",
        );
        let c = classify(&text, "@bot:x").expect("a message");
        assert_eq!(
            c.kind,
            IncomingKind::Message {
                body: "!ping".into()
            }
        );
        assert_eq!(c.thread_root, None);

        let threaded = message(
            serde_json::json!({"msgtype": "m.text", "body": "!ping",
                "m.relates_to": {"rel_type": "m.thread", "event_id": "$root", "is_falling_back": true,
                                  "m.in_reply_to": {"event_id": "$root"}}}),
            "@a:x",
        );
        assert_eq!(
            classify(&threaded, "@bot:x")
                .expect("msg")
                .thread_root
                .as_deref(),
            Some("$root")
        );

        let notice = message(
            serde_json::json!({"msgtype": "m.notice", "body": "!ping"}),
            "@other-bot:x",
        );
        assert!(
            classify(&notice, "@bot:x").is_none(),
            "notices are never answered"
        );
        let own = message(
            serde_json::json!({"msgtype": "m.text", "body": "!ping"}),
            "@bot:x",
        );
        assert!(
            classify(&own, "@bot:x").is_none(),
            "own messages are ignored"
        );

        let edit = message(
            serde_json::json!({"msgtype": "m.text", "body": "* new",
                "m.new_content": {"msgtype": "m.text", "body": "new"},
                "m.relates_to": {"rel_type": "m.replace", "event_id": "$old"}}),
            "@a:x",
        );
        assert_eq!(
            classify(&edit, "@bot:x").expect("edit").kind,
            IncomingKind::Edit {
                target: "$old".into(),
                body: "new".into()
            }
        );

        let reaction = event(serde_json::json!({
            "type": "m.reaction", "event_id": "$r", "sender": "@a:x", "origin_server_ts": 1u64,
            "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$t", "key": "✅"}}
        }));
        assert!(
            matches!(classify(&reaction, "@bot:x").expect("reaction").kind,
            IncomingKind::Reaction { ref target, ref key, .. } if target == "$t" && key == "✅")
        );

        let redaction = event(serde_json::json!({
            "type": "m.room.redaction", "event_id": "$d", "sender": "@a:x", "origin_server_ts": 1u64,
            "redacts": "$t", "content": {"redacts": "$t"}
        }));
        assert_eq!(
            classify(&redaction, "@bot:x").expect("redaction").kind,
            IncomingKind::Redaction {
                target: "$t".into(),
                by_moderator: false
            }
        );
    }

    #[test]
    fn strips_reply_fallbacks() {
        assert_eq!(
            strip_reply_fallback("> <@a:b> hello\n> more\n\n!ping"),
            "!ping"
        );
        assert_eq!(strip_reply_fallback("!ping"), "!ping");
        assert_eq!(
            strip_reply_fallback("> quote without break"),
            "> quote without break"
        );
    }
}
