//! Sharing a reflection, whichever way it comes (`!reflexion`, 📝 on one's own message, an
//! edit): the guards in order, then the write, flushed before anyone is told it is saved.
//!
//! The guards: something to keep at all; the author's consent; a sane length; the personal-data
//! guard ([`super::pii`], which never returns the matched text); a card id the kit knows.
//! Without consent nothing else is even looked at.

use chrono::{DateTime, Datelike, Utc};

use super::db;
use super::model::{ConsentRecord, Draft, Origin, MAX_TEXT_CHARS};
use super::parse::{parse_reflection, Parsed};
use super::pii::{self, PiiKind};
use crate::kit::Kit;
use crate::store::{Store, StoreError};

/// Why a text cannot be kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Empty,
    TooLong,
    Pii(Vec<PiiKind>),
    UnknownCard(String),
}

/// Check a reflection's text (everything but consent). `raw` is what the author wrote after the
/// command word, tags included: the guard reads all of it.
pub fn validate(kit: &Kit, raw: &str, year: i32) -> Result<Parsed, Refusal> {
    let parsed = parse_reflection(raw);
    if parsed.text.is_empty() {
        return Err(Refusal::Empty);
    }
    if parsed.text.chars().count() > MAX_TEXT_CHARS {
        return Err(Refusal::TooLong);
    }
    let found = pii::scan_at(raw, year);
    if !found.is_empty() {
        return Err(Refusal::Pii(found));
    }
    if let Some(card) = &parsed.card {
        if kit.card(card).is_none() {
            return Err(Refusal::UnknownCard(card.clone()));
        }
    }
    Ok(parsed)
}

/// A request to keep a reflection.
#[derive(Debug, Clone)]
pub struct Share<'a> {
    pub tenant: &'a str,
    pub room_id: &'a str,
    pub author: &'a str,
    /// The message holding the text.
    pub event_id: &'a str,
    /// The 📝 reaction, when saved that way.
    pub reaction_id: Option<&'a str>,
    pub raw: &'a str,
    /// The card of the nudge or parcours step whose thread the message is in, if any: the
    /// reflection is linked to it unless it names a card itself.
    pub thread_card: Option<String>,
    pub origin: Origin,
    pub at: DateTime<Utc>,
}

/// What became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shared {
    NoConsent,
    Refused(Refusal),
    /// This message was saved already.
    Already,
    Saved {
        id: u64,
        /// First save of this person: send the one-time notice.
        first: bool,
        signed: bool,
    },
}

pub async fn share(store: &Store, kit: &Kit, s: Share<'_>) -> Result<Shared, StoreError> {
    if parse_reflection(s.raw).text.is_empty() {
        return Ok(Shared::Refused(Refusal::Empty));
    }
    let Some(consent) = db::consent(store, s.tenant, s.author)?.filter(|r| r.granted) else {
        return Ok(Shared::NoConsent);
    };
    let parsed = match validate(kit, s.raw, s.at.year()) {
        Ok(p) => p,
        Err(refusal) => return Ok(Shared::Refused(refusal)),
    };
    if db::by_event(store, s.tenant, s.event_id)?.is_some() {
        return Ok(Shared::Already);
    }
    let card = parsed.card.or(s.thread_card);
    let before = super::Before::take(store, s.tenant, s.author)?;
    let r = db::insert(
        store,
        Draft {
            tenant: s.tenant.to_owned(),
            room_id: s.room_id.to_owned(),
            author: s.author.to_owned(),
            event_id: s.event_id.to_owned(),
            reaction_id: s.reaction_id.map(str::to_owned),
            text: parsed.text,
            tags: parsed.tags,
            card,
            created_at: s.at,
            origin: s.origin,
        },
    )?;
    let first = !consent.notice_sent;
    if first {
        db::update_consent(store, s.tenant, s.author, |old| {
            old.map(|rec| ConsentRecord {
                notice_sent: true,
                ..rec
            })
        })?;
    }
    // The confirmation goes out only once the reflection is on disk; if it cannot get there,
    // it is taken back and the author told so.
    super::commit(store, before, "reflection saved").await?;
    tracing::info!(tenant = %s.tenant, event_id = %s.event_id, id = r.id, "reflection saved");
    Ok(Shared::Saved {
        id: r.id,
        first,
        signed: consent.signed,
    })
}
