//! Room events that touch reflections without a command: 📝 on one's own message (save it),
//! an edit of a saved message (update it, through the same guards), a redaction of a saved
//! message or of its 📝 (erase it). Only the author's own messages, only in the room they were
//! saved in, only within the tenant of the room.

use super::db;
use super::model::{Origin, Reflection};
use super::render;
use super::share::{self, Confirmations, Refusal, Share, Shared};
use crate::core::{Incoming, Outgoing, SAVED_REACTION};
use crate::kit::Kit;
use crate::store::{Change, Store, StoreError};

use chrono::{DateTime, Datelike, Utc};

/// What a message's text is, as the engine classified it (the command words are its business):
/// the arguments of a `!reflexion`, another command, or plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text<'a> {
    Reflexion(&'a str),
    OtherCommand,
    Plain(&'a str),
}

/// What a reflection event touches: the store, the kit (card ids), the shares waiting for
/// their author's confirmation, and now.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    pub store: &'a Store,
    pub kit: &'a Kit,
    pub confirmations: &'a Confirmations,
    pub now: DateTime<Utc>,
}

/// A failed write is answered (in reply to the event) and logged; the caller gets answers.
fn or_answer(incoming: &Incoming, result: Result<Vec<Outgoing>, StoreError>) -> Vec<Outgoing> {
    result.unwrap_or_else(|err| {
        tracing::error!(cause = %err, event_id = %incoming.event_id, "reflection event failed");
        vec![reply_to(
            incoming,
            &incoming.event_id,
            crate::strings::engine::NOT_SAVED.to_owned(),
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
        key: SAVED_REACTION.to_owned(),
    }
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

/// A 📝 by `incoming.sender` on the message `target`, whose sender and text the adapter fetched
/// (`None` when unknown).
pub async fn on_memo(
    env: Env<'_>,
    incoming: &Incoming,
    target: &str,
    target_sender: Option<&str>,
    text: Option<Text<'_>>,
) -> Vec<Outgoing> {
    let result = memo(env, incoming, target, target_sender, text).await;
    or_answer(incoming, result)
}

async fn memo(
    env: Env<'_>,
    incoming: &Incoming,
    target: &str,
    target_sender: Option<&str>,
    text: Option<Text<'_>>,
) -> Result<Vec<Outgoing>, StoreError> {
    // Only one's own messages: saving someone else's words would store them without their
    // consent. Silently, so as not to comment on a colleague's reaction in the room.
    if target_sender != Some(incoming.sender.as_str()) || incoming.is_direct {
        return Ok(Vec::new());
    }
    let raw = match text {
        None => {
            tracing::warn!(event_id = %incoming.event_id, "📝 on a message whose text is unknown");
            return Ok(Vec::new());
        }
        Some(Text::Reflexion(args)) => args,
        // Other commands are not reflections.
        Some(Text::OtherCommand) => return Ok(Vec::new()),
        Some(Text::Plain(body)) => body,
    };
    let shared = share::share(
        env.store,
        env.kit,
        env.confirmations,
        Share {
            tenant: incoming.tenant.clone(),
            room_id: incoming.room_id.clone(),
            author: incoming.sender.clone(),
            event_id: target.to_owned(),
            reaction_id: Some(incoming.event_id.clone()),
            raw: raw.to_owned(),
            thread_card: None,
            thread_root: None,
            origin: Origin::Reaction,
            at: env.now,
            confirmed: false,
        },
    )
    .await?;
    Ok(answer_share(incoming, target, None, &shared))
}

/// The sender edited their message `target`; `text` is the new text, classified.
pub async fn on_edit(
    env: Env<'_>,
    incoming: &Incoming,
    target: &str,
    text: Text<'_>,
) -> Vec<Outgoing> {
    let result = edit(env, incoming, target, text).await;
    or_answer(incoming, result)
}

async fn edit(
    env: Env<'_>,
    incoming: &Incoming,
    target: &str,
    text: Text<'_>,
) -> Result<Vec<Outgoing>, StoreError> {
    let store = env.store;
    let Some(old) = db::by_event(store, &incoming.tenant, target)? else {
        // A `!reflexion` refused earlier (no consent, personal data) and now corrected by an
        // edit: treat it as shared now.
        let Text::Reflexion(args) = text else {
            return Ok(Vec::new());
        };
        if incoming.is_direct {
            return Ok(Vec::new());
        }
        let shared = share::share(
            store,
            env.kit,
            env.confirmations,
            Share {
                tenant: incoming.tenant.clone(),
                room_id: incoming.room_id.clone(),
                author: incoming.sender.clone(),
                event_id: target.to_owned(),
                reaction_id: None,
                raw: args.to_owned(),
                thread_card: None,
                thread_root: None,
                origin: Origin::Command,
                at: env.now,
                confirmed: false,
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
    let raw = match (old.origin, text) {
        (Origin::Command, Text::Reflexion(args)) => Some(args),
        (Origin::Command, _) => None,
        (Origin::Reaction, Text::Reflexion(args) | Text::Plain(args)) => Some(args),
        (Origin::Reaction, Text::OtherCommand) => None,
    };
    // The message is no longer a reflection: the author took it back.
    let Some(raw) = raw else {
        return erase(store, &old).await;
    };
    match share::validate(env.kit, raw, env.now.year(), false) {
        Ok(parsed) => {
            let new = Reflection {
                text: parsed.text,
                tags: parsed.tags,
                card: parsed.card.or(old.card.clone()),
                edited_at: Some(env.now),
                ..old.clone()
            };
            let change = put_back_on_failure(store, &old, Some(&new), "reflection edited");
            db::replace(store, &old, &new)?;
            change.commit().await?;
            tracing::info!(event_id = %target, id = old.id, "reflection edited");
            Ok(Vec::new())
        }
        Err(Refusal::Empty) => erase(store, &old).await,
        Err(refusal) => Ok(vec![reply_to(
            incoming,
            target,
            render::edit_refusal(&refusal),
        )]),
    }
}

async fn erase(store: &Store, r: &Reflection) -> Result<Vec<Outgoing>, StoreError> {
    let change = put_back_on_failure(store, r, None, "reflection erased");
    db::delete(store, r)?;
    change.commit().await?;
    tracing::info!(id = r.id, "reflection erased");
    crate::metrics::metrics().reflection("erased");
    Ok(Vec::new())
}

/// Start a change of one reflection, `old`, into `new` (`None`: erased), before its first
/// write: when a write or the flush fails, `old` is put back with exactly its index entries
/// (now, or once the store works again) and the change did not happen.
fn put_back_on_failure(
    store: &Store,
    old: &Reflection,
    new: Option<&Reflection>,
    what: &'static str,
) -> Change {
    let (old, new) = (old.clone(), new.cloned());
    store.change(what, move |store| match &new {
        // Whatever part of the replacement was written, replacing `new` by `old` adds the old
        // entries and record back and removes the new entries the old one does not have.
        Some(new) => db::replace(store, new, &old),
        None => db::insert_numbered(store, &old),
    })
}

/// The message `target` was deleted: a reflection saved from it goes too, when the deletion
/// came from its author or from someone who may delete other people's messages (a moderator;
/// the text is then gone from the room). Anyone else's redaction event is ignored: the
/// homeserver does not apply it either.
pub async fn on_redaction(
    store: &Store,
    incoming: &Incoming,
    target: &str,
    by_moderator: bool,
) -> Vec<Outgoing> {
    let result = redaction(store, incoming, target, by_moderator).await;
    or_answer(incoming, result)
}

async fn redaction(
    store: &Store,
    incoming: &Incoming,
    target: &str,
    by_moderator: bool,
) -> Result<Vec<Outgoing>, StoreError> {
    let Some(r) = db::by_event(store, &incoming.tenant, target)? else {
        return Ok(Vec::new());
    };
    if r.room_id != incoming.room_id {
        return Ok(Vec::new());
    }
    if r.author.as_deref() != Some(incoming.sender.as_str()) && !by_moderator {
        tracing::info!(
            id = r.id,
            "a redaction by someone else than the author, not a moderator: ignored"
        );
        return Ok(Vec::new());
    }
    erase(store, &r).await
}
