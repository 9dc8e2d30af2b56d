//! Consent: giving it, withdrawing it (and what then happens to the reflections already kept),
//! signing, and the rule every reader applies ([`Visibility`]): a reflection is shown, counted
//! and exported only when its author's consent is in force, or when it has no author any more.
//!
//! Withdrawal takes effect at once: the person's reflections are hidden from everyone from that
//! instant. They then choose to erase them or keep them anonymised; without an answer within
//! [`CHOICE_DAYS`] the daily purge erases them. Every step is a timestamped event in the
//! person's record, kept as proof of what they agreed to and when.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::db;
use super::model::{ConsentAction, ConsentRecord, Reflection, CHOICE_DAYS};
use crate::core::Incoming;
use crate::store::{Store, StoreError};

/// What to do with the reflections kept, once consent is withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Erase,
    Anonymise,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantOutcome {
    New,
    Already {
        since: DateTime<Utc>,
    },
    /// Given again while reflections were awaiting a choice: they are visible again.
    Again {
        restored: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WithdrawOutcome {
    /// There was no consent and nothing is kept.
    NotGiven,
    /// Withdrawn; nothing was kept.
    NothingKept,
    /// Withdrawn (now or earlier); the reflections are hidden until the person chooses.
    Ask {
        count: usize,
        deadline: DateTime<Utc>,
    },
    Erased {
        count: usize,
        newly_withdrawn: bool,
    },
    Anonymised {
        count: usize,
        newly_withdrawn: bool,
    },
}

/// Whether `user` consents, in `tenant`, now.
pub fn is_granted(store: &Store, tenant: &str, user: &str) -> Result<bool, StoreError> {
    Ok(db::consent(store, tenant, user)?.is_some_and(|r| r.granted))
}

/// The instant after which reflections awaiting a choice are erased.
pub fn choice_deadline(since: DateTime<Utc>) -> DateTime<Utc> {
    since + Duration::days(CHOICE_DAYS)
}

/// `!consentement oui`.
pub async fn grant(
    store: &Store,
    incoming: &Incoming,
    now: DateTime<Utc>,
) -> Result<GrantOutcome, StoreError> {
    let before = super::Before::take(store, &incoming.tenant, &incoming.sender)?;
    let change = super::change(store, before, "consent granted");
    let mut outcome = GrantOutcome::New;
    db::update_consent(store, &incoming.tenant, &incoming.sender, |old| {
        let mut rec = old.unwrap_or_else(|| ConsentRecord::new(&incoming.tenant, &incoming.sender));
        // The same command handled again (a replay after a crash): the same answer.
        if rec.granted
            && rec.history.last().is_some_and(|e| {
                e.event_id == incoming.event_id && e.action == ConsentAction::Granted
            })
        {
            outcome = GrantOutcome::New;
            return Some(rec);
        }
        if let Some(since) = rec.granted_at() {
            outcome = GrantOutcome::Already { since };
            return Some(rec);
        }
        outcome = if rec.awaiting_choice_since.take().is_some() {
            GrantOutcome::Again { restored: 0 }
        } else {
            GrantOutcome::New
        };
        rec.granted = true;
        rec.record(
            now,
            ConsentAction::Granted,
            &incoming.room_id,
            &incoming.event_id,
        );
        Some(rec)
    })?;
    if let GrantOutcome::Again { restored } = &mut outcome {
        *restored = db::count_by_author(store, &incoming.tenant, &incoming.sender)?;
    }
    change.commit().await?;
    tracing::info!(tenant = %incoming.tenant, event_id = %incoming.event_id, "consent granted");
    Ok(outcome)
}

/// `!consentement non [effacer|anonymiser]`.
pub async fn withdraw(
    store: &Store,
    incoming: &Incoming,
    choice: Option<Choice>,
    now: DateTime<Utc>,
) -> Result<WithdrawOutcome, StoreError> {
    let (tenant, user) = (&incoming.tenant, &incoming.sender);
    let Some(current) = db::consent(store, tenant, user)? else {
        return Ok(WithdrawOutcome::NotGiven);
    };
    let before = super::Before::take(store, tenant, user)?;
    let count = before.reflections.len();
    let newly_withdrawn = current.granted;
    if !newly_withdrawn && count == 0 {
        return Ok(WithdrawOutcome::NotGiven);
    }
    let change = super::change(store, before, "consent withdrawn");
    // First the withdrawal itself, so the reflections are hidden whatever happens next; a crash
    // before the choice is carried out leaves them awaiting it, and the purge finishes the job.
    let rec = db::update_consent(store, tenant, user, |old| {
        let mut rec = old.unwrap_or_else(|| ConsentRecord::new(tenant, user));
        if rec.granted {
            rec.granted = false;
            rec.record(
                now,
                ConsentAction::Withdrawn,
                &incoming.room_id,
                &incoming.event_id,
            );
        }
        if count > 0 && rec.awaiting_choice_since.is_none() {
            rec.awaiting_choice_since = Some(now);
        }
        Some(rec)
    })?;
    let outcome = match (count, choice) {
        (0, _) => WithdrawOutcome::NothingKept,
        (_, None) => WithdrawOutcome::Ask {
            count,
            deadline: choice_deadline(rec.and_then(|r| r.awaiting_choice_since).unwrap_or(now)),
        },
        (_, Some(choice)) => {
            let done = match choice {
                Choice::Erase => erase_reflections(store, tenant, user)?,
                Choice::Anonymise => anonymise_reflections(store, tenant, user)?,
            };
            let action = match choice {
                Choice::Erase => ConsentAction::Erased { count: done },
                Choice::Anonymise => ConsentAction::Anonymised { count: done },
            };
            db::update_consent(store, tenant, user, |old| {
                let mut rec = old?;
                rec.awaiting_choice_since = None;
                rec.record(now, action.clone(), &incoming.room_id, &incoming.event_id);
                Some(rec)
            })?;
            match choice {
                Choice::Erase => WithdrawOutcome::Erased {
                    count: done,
                    newly_withdrawn,
                },
                Choice::Anonymise => WithdrawOutcome::Anonymised {
                    count: done,
                    newly_withdrawn,
                },
            }
        }
    };
    change.commit().await?;
    tracing::info!(tenant = %tenant, event_id = %incoming.event_id, count, "consent withdrawn");
    Ok(outcome)
}

/// `!consentement signer|anonyme`. `None` when there is no consent record to attach it to.
pub async fn set_signed(
    store: &Store,
    incoming: &Incoming,
    signed: bool,
    now: DateTime<Utc>,
) -> Result<Option<()>, StoreError> {
    let before = super::Before::take(store, &incoming.tenant, &incoming.sender)?;
    let change = super::change(store, before, "signature changed");
    let done = db::update_consent(store, &incoming.tenant, &incoming.sender, |old| {
        let mut rec = old?;
        if rec.signed != signed {
            rec.signed = signed;
            let action = if signed {
                ConsentAction::Signed
            } else {
                ConsentAction::Anonymous
            };
            rec.record(now, action, &incoming.room_id, &incoming.event_id);
        }
        Some(rec)
    })?;
    change.commit().await?;
    Ok(done.map(|_| ()))
}

/// Erase every reflection of `user` in `tenant`; returns how many.
pub fn erase_reflections(store: &Store, tenant: &str, user: &str) -> Result<usize, StoreError> {
    let all = db::by_author(store, tenant, user)?;
    for r in &all {
        db::delete(store, r)?;
    }
    db::remove_stale_author_entries(store, tenant, user)?;
    Ok(all.len())
}

/// Keep every reflection of `user` in `tenant`, without anything linking it to them (author,
/// source message, 📝 reaction); returns how many.
pub fn anonymise_reflections(store: &Store, tenant: &str, user: &str) -> Result<usize, StoreError> {
    let all = db::by_author(store, tenant, user)?;
    for r in &all {
        let anonymous = Reflection {
            author: None,
            event_id: None,
            reaction_id: None,
            ..r.clone()
        };
        db::replace(store, r, &anonymous)?;
    }
    Ok(all.len())
}

/// How a reader may show a reflection's author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    /// Its author withdrew consent and has not chosen yet: shown to no one, counted nowhere.
    Hidden,
    /// Anonymised: no author any more.
    Anonymised,
    /// The author consents and stays anonymous.
    Unsigned(String),
    /// The author consents and signs.
    Signed(String),
}

/// The consent rule for readers, with a cache of the authors already looked up.
pub struct Visibility<'a> {
    store: &'a Store,
    tenant: &'a str,
    cache: HashMap<String, Option<bool>>,
}

impl<'a> Visibility<'a> {
    pub fn new(store: &'a Store, tenant: &'a str) -> Self {
        Visibility {
            store,
            tenant,
            cache: HashMap::new(),
        }
    }

    pub fn view(&mut self, r: &Reflection) -> Result<View, StoreError> {
        let Some(author) = &r.author else {
            return Ok(View::Anonymised);
        };
        let signed = match self.cache.get(author) {
            Some(known) => *known,
            None => {
                let rec = db::consent(self.store, self.tenant, author)?;
                let known = rec.filter(|r| r.granted).map(|r| r.signed);
                self.cache.insert(author.clone(), known);
                known
            }
        };
        Ok(match signed {
            None => View::Hidden,
            Some(true) => View::Signed(author.clone()),
            Some(false) => View::Unsigned(author.clone()),
        })
    }
}
