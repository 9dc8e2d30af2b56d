//! Room events that touch reflections without a command: 📝 on one's own message (save it),
//! an edit of a saved message (update it, through the same guards), a redaction of a saved
//! message or of its 📝 (erase it). Only the author's own messages, only in the room they were
//! saved in, only within the tenant of the room.

use super::db;
use super::model::{Origin, Reflection};
use super::render;
use super::share::{self, Refusal, Share, Shared};
use crate::engine::{Engine, Incoming, IncomingKind, Outgoing};
use crate::store::StoreError;
use crate::strings::engine as se;

/// The reaction that saves one's own message as a reflection.
pub const MEMO: &str = "📝";
/// The reaction that confirms a save.
pub const SAVED: &str = "✅";

/// Reactions (📝), edits and redactions that matter to reflections.
pub async fn on_event(engine: &Engine, incoming: &Incoming) -> Vec<Outgoing> {
    let result = match &incoming.kind {
        IncomingKind::Reaction {
            target,
            key,
            target_sender,
            target_body,
        } if key.trim_end_matches('\u{fe0f}') == MEMO => {
            on_memo(
                engine,
                incoming,
                target,
                target_sender.as_deref(),
                target_body.as_deref(),
            )
            .await
        }
        IncomingKind::Edit { target, body } => on_edit(engine, incoming, target, body).await,
        IncomingKind::Redaction { target } => on_redaction(engine, incoming, target).await,
        _ => Ok(Vec::new()),
    };
    result.unwrap_or_else(|err| {
        tracing::error!(cause = %err, event_id = %incoming.event_id, "reflection event failed");
        vec![reply_to(
            incoming,
            &incoming.event_id,
            se::INTERNAL_ERROR.to_owned(),
        )]
    })
}

/// A notice in reply to `target` (not in a thread: reactions and edits do not carry it).
fn reply_to(incoming: &Incoming, target: &str, markdown: String) -> Outgoing {
    reply_in(incoming, target, None, markdown)
}

fn reply_in(
    incoming: &Incoming,
    target: &str,
    thread_root: Option<&str>,
    markdown: String,
) -> Outgoing {
    Outgoing::Reply {
        room_id: incoming.room_id.clone(),
        to_event: target.to_owned(),
        thread_root: thread_root.map(str::to_owned),
        markdown,
    }
}

fn react(incoming: &Incoming, target: &str) -> Outgoing {
    Outgoing::React {
        room_id: incoming.room_id.clone(),
        event_id: target.to_owned(),
        key: SAVED.to_owned(),
    }
}

/// If `body` is a `!reflexion` command, its arguments.
pub fn reflexion_args<'a>(engine: &Engine, body: &'a str) -> Option<&'a str> {
    match engine.commands().split(body, &engine.config().prefix) {
        Some((spec, args)) if spec.name == "reflexion" => Some(args),
        _ => None,
    }
}

fn is_command(engine: &Engine, body: &str) -> bool {
    crate::commands::command_word(body, &engine.config().prefix).is_some()
}

/// The answers to a share: a ✅ on `target` when kept (and the one-time notice), otherwise why
/// not, in reply to `target` (in `thread_root` when it is in a thread).
pub fn answer_share(
    incoming: &Incoming,
    target: &str,
    thread_root: Option<&str>,
    shared: &Shared,
) -> Vec<Outgoing> {
    match shared {
        Shared::NoConsent | Shared::Refused(_) => vec![reply_in(
            incoming,
            target,
            thread_root,
            render::share_refusal(shared),
        )],
        Shared::Already => vec![react(incoming, target)],
        Shared::Saved { first, signed, .. } => {
            let mut out = vec![react(incoming, target)];
            if *first {
                out.push(reply_in(
                    incoming,
                    target,
                    thread_root,
                    crate::strings::reflections::first_saved(*signed),
                ));
            }
            out
        }
    }
}

async fn on_memo(
    engine: &Engine,
    incoming: &Incoming,
    target: &str,
    target_sender: Option<&str>,
    target_body: Option<&str>,
) -> Result<Vec<Outgoing>, StoreError> {
    // Only one's own messages: saving someone else's words would store them without their
    // consent. Silently, so as not to comment on a colleague's reaction in the room.
    if target_sender != Some(incoming.sender.as_str()) || incoming.is_direct {
        return Ok(Vec::new());
    }
    let Some(body) = target_body else {
        tracing::warn!(event_id = %incoming.event_id, "📝 on a message whose text is unknown");
        return Ok(Vec::new());
    };
    let raw = match reflexion_args(engine, body) {
        Some(args) => args,
        // Other commands are not reflections.
        None if is_command(engine, body) => return Ok(Vec::new()),
        None => body,
    };
    let shared = share::share(
        engine,
        Share {
            tenant: &incoming.tenant,
            room_id: &incoming.room_id,
            author: &incoming.sender,
            event_id: target,
            reaction_id: Some(&incoming.event_id),
            raw,
            thread_root: None,
            origin: Origin::Reaction,
            at: engine.now(),
        },
    )
    .await?;
    Ok(answer_share(incoming, target, None, &shared))
}

async fn on_edit(
    engine: &Engine,
    incoming: &Incoming,
    target: &str,
    body: &str,
) -> Result<Vec<Outgoing>, StoreError> {
    let store = engine.store();
    let Some(old) = db::by_event(store, &incoming.tenant, target)? else {
        // A `!reflexion` refused earlier (no consent, personal data) and now corrected by an
        // edit: treat it as shared now.
        let Some(args) = reflexion_args(engine, body) else {
            return Ok(Vec::new());
        };
        if incoming.is_direct {
            return Ok(Vec::new());
        }
        let shared = share::share(
            engine,
            Share {
                tenant: &incoming.tenant,
                room_id: &incoming.room_id,
                author: &incoming.sender,
                event_id: target,
                reaction_id: None,
                raw: args,
                thread_root: None,
                origin: Origin::Command,
                at: engine.now(),
            },
        )
        .await?;
        return Ok(answer_share(incoming, target, None, &shared));
    };
    if old.room_id != incoming.room_id
        || old.author.as_deref() != Some(incoming.sender.as_str())
        || old.event_id.as_deref() != Some(target)
        || !super::consent::is_granted(store, &incoming.tenant, &incoming.sender)?
    {
        return Ok(Vec::new());
    }
    let raw = match old.origin {
        Origin::Command => reflexion_args(engine, body),
        Origin::Reaction => Some(body),
    };
    // The message is no longer a reflection: the author took it back.
    let Some(raw) = raw else {
        return erase(engine, &old).await;
    };
    match share::validate(engine, raw, chrono::Datelike::year(&engine.now())) {
        Ok(parsed) => {
            let new = Reflection {
                text: parsed.text,
                tags: parsed.tags,
                card: parsed.card.or(old.card.clone()),
                edited_at: Some(engine.now()),
                ..old.clone()
            };
            db::replace(store, &old, &new)?;
            super::flush(store).await?;
            tracing::info!(event_id = %target, id = old.id, "reflection edited");
            Ok(Vec::new())
        }
        Err(Refusal::Empty) => erase(engine, &old).await,
        Err(refusal) => Ok(vec![reply_to(
            incoming,
            target,
            render::edit_refusal(&refusal),
        )]),
    }
}

async fn erase(engine: &Engine, r: &Reflection) -> Result<Vec<Outgoing>, StoreError> {
    db::delete(engine.store(), r)?;
    super::flush(engine.store()).await?;
    tracing::info!(id = r.id, "reflection erased");
    Ok(Vec::new())
}

async fn on_redaction(
    engine: &Engine,
    incoming: &Incoming,
    target: &str,
) -> Result<Vec<Outgoing>, StoreError> {
    let Some(r) = db::by_event(engine.store(), &incoming.tenant, target)? else {
        return Ok(Vec::new());
    };
    if r.room_id != incoming.room_id {
        return Ok(Vec::new());
    }
    // Whoever deleted the message (its author or a moderator), its text is gone from the room:
    // it goes from the store too.
    erase(engine, &r).await
}
