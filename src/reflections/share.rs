//! Sharing a reflection, whichever way it comes (`!reflexion`, 📝 on one's own message, an
//! edit): the guards in order, then the write, flushed before anyone is told it is saved.
//!
//! The guards: something to keep at all; the author's consent; a sane length; the personal-data
//! guard ([`super::pii`], which never returns the matched text); a card id the kit knows.
//! Without consent nothing else is even looked at. When the guard is unsure (a word that may be
//! a name), nothing is stored: the share waits in memory (never on disk) for the author to
//! confirm with `!reflexion confirmer` within [`CONFIRM_MINUTES`], or to rephrase.

use std::collections::HashMap;
use std::sync::Mutex;

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
    /// Maybe personal: the author is asked about these words of theirs.
    Unsure {
        kinds: Vec<PiiKind>,
        words: Vec<String>,
    },
    UnknownCard(String),
}

/// How long a share waiting for the author's confirmation is kept (in memory only).
pub const CONFIRM_MINUTES: i64 = 15;

/// Check a reflection's text (everything but consent). `raw` is what the author wrote after the
/// command word, tags included: the guard reads all of it. `confirmed`: the author confirmed
/// that the words the guard was unsure about are not personal (a sure finding still refuses).
pub fn validate(kit: &Kit, raw: &str, year: i32, confirmed: bool) -> Result<Parsed, Refusal> {
    let parsed = parse_reflection(raw);
    if parsed.text.is_empty() {
        return Err(Refusal::Empty);
    }
    if parsed.text.chars().count() > MAX_TEXT_CHARS {
        return Err(Refusal::TooLong);
    }
    match pii::assess(raw, year) {
        pii::Verdict::Clean => {}
        pii::Verdict::Personal(kinds) => {
            crate::metrics::metrics().reflection("refused");
            return Err(Refusal::Pii(kinds));
        }
        pii::Verdict::Unsure { .. } if confirmed => {}
        pii::Verdict::Unsure { kinds, words } => {
            crate::metrics::metrics().reflection("refused");
            return Err(Refusal::Unsure { kinds, words });
        }
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
pub struct Share {
    pub tenant: String,
    pub room_id: String,
    pub author: String,
    /// The message holding the text.
    pub event_id: String,
    /// The 📝 reaction, when saved that way.
    pub reaction_id: Option<String>,
    pub raw: String,
    /// The card of the nudge or parcours step whose thread the message is in, if any: the
    /// reflection is linked to it unless it names a card itself.
    pub thread_card: Option<String>,
    /// The thread the message is in, to answer there.
    pub thread_root: Option<String>,
    pub origin: Origin,
    pub at: DateTime<Utc>,
    /// The author confirmed the words the guard was unsure about.
    pub confirmed: bool,
}

/// Shares waiting for their author's confirmation, in memory only (never written to disk: the
/// text may hold a name). One per person and Mission Locale; a new one replaces the old.
#[derive(Debug, Default)]
pub struct Confirmations {
    waiting: Mutex<HashMap<(String, String), Share>>,
}

impl Confirmations {
    fn hold(&self, share: Share) {
        let key = (share.tenant.clone(), share.author.clone());
        self.waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, share);
    }

    /// The share `user` may confirm now, if any (taken: it is confirmed once).
    pub fn take(&self, tenant: &str, user: &str, now: DateTime<Utc>) -> Option<Share> {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        waiting.retain(|_, s| now - s.at <= chrono::Duration::minutes(CONFIRM_MINUTES));
        waiting.remove(&(tenant.to_owned(), user.to_owned()))
    }

    /// Forget what `user` has waiting (their data is being erased).
    pub fn forget(&self, tenant: &str, user: &str) {
        self.waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(tenant.to_owned(), user.to_owned()));
    }
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

/// Keep a reflection if every guard agrees. When the personal-data guard is unsure, the share
/// waits in `confirmations` for the author.
pub async fn share(
    store: &Store,
    kit: &Kit,
    confirmations: &Confirmations,
    s: Share,
) -> Result<Shared, StoreError> {
    if parse_reflection(&s.raw).text.is_empty() {
        return Ok(Shared::Refused(Refusal::Empty));
    }
    let Some(consent) = db::consent(store, &s.tenant, &s.author)?.filter(|r| r.granted) else {
        return Ok(Shared::NoConsent);
    };
    let parsed = match validate(kit, &s.raw, s.at.year(), s.confirmed) {
        Ok(p) => p,
        Err(refusal @ Refusal::Unsure { .. }) => {
            confirmations.hold(s);
            return Ok(Shared::Refused(refusal));
        }
        Err(refusal) => return Ok(Shared::Refused(refusal)),
    };
    if db::by_event(store, &s.tenant, &s.event_id)?.is_some() {
        return Ok(Shared::Already);
    }
    let card = parsed.card.or(s.thread_card.clone());
    let r = db::numbered(
        store,
        Draft {
            tenant: s.tenant.clone(),
            room_id: s.room_id.clone(),
            author: s.author.clone(),
            event_id: s.event_id.clone(),
            reaction_id: s.reaction_id.clone(),
            text: parsed.text,
            tags: parsed.tags,
            card,
            created_at: s.at,
            origin: s.origin,
        },
    )?;
    // From the first write on, a failure puts everything back (the author is told it failed).
    let before = super::Before::take(store, &s.tenant, &s.author)?.adding(&r);
    let change = super::change(store, before, "reflection saved");
    db::insert_numbered(store, &r)?;
    let first = !consent.notice_sent;
    if first {
        db::update_consent(store, &s.tenant, &s.author, |old| {
            old.map(|rec| ConsentRecord {
                notice_sent: true,
                ..rec
            })
        })?;
    }
    // The confirmation goes out only once the reflection is on disk; if it cannot get there,
    // it is taken back and the author told so.
    change.commit().await?;
    tracing::info!(tenant = %s.tenant, event_id = %s.event_id, id = r.id, "reflection saved");
    crate::metrics::metrics().reflection("stored");
    Ok(Shared::Saved {
        id: r.id,
        first,
        signed: consent.signed,
    })
}
