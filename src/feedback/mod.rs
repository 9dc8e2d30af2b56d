//! What readers make of the kit, without ever knowing who they are: how often each card is
//! read, 👍 and 👎 on the answers, the questions people chose to pass on to the kit's writers,
//! and the coordinators' opt-in to a weekly digest ([`digest`]).
//!
//! Nothing here names a person except a digest subscription, which the coordinator asked for
//! (it is in `!mes-donnees` and erased by `!oublier`). Votes are counted per card and per
//! question shape; a person's vote counts once per answer through a one-way digest of
//! (answer, person, vote), kept 30 days and never read back as a person. Questions are kept
//! only when the personal-data guard accepted their text (the caller asks it), with the
//! Mission Locale, the date and the search's best score: nothing about the asker.
//!
//! Trees:
//! - `feedback_answers` (in the ledger, `ledger.rs`, not in sled): command event id →
//!   [`AnswerRef`] (which card answered, the shape of the question), 30 days;
//! - `feedback_tallies`: `{tenant}|{local day}|{card}|{shape}` → [`Tally`];
//! - `feedback_votes`: reaction event id → [`VoteRef`] (to undo a vote whose reaction is
//!   removed), 30 days;
//! - `feedback_voters`: digest of (answer, person, vote) → [`Voter`], 30 days;
//! - `kit_questions`: `{tenant}|{millis:013}|{id}` → [`Question`], kept as long as the Mission
//!   Locale keeps reflections;
//! - `digest_subscriptions`: see [`digest`].
//!
//! A question is passed on with `!transmettre`: the last question a person asked in a room
//! (within [`OFFER_MINUTES`]) is remembered in memory only, never in the store, until they
//! do.

pub mod cli;
pub mod digest;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::store::{Store, StoreError};

/// Which card answered each command, kept in the ledger (`ledger.rs`) rather than in sled:
/// one record per card answer, 30 days.
pub const ANSWERS: &str = crate::ledger::FEEDBACK_ANSWERS;
pub const TALLIES: &str = "feedback_tallies";
pub const VOTES: &str = "feedback_votes";
pub const VOTERS: &str = "feedback_voters";
pub const QUESTIONS: &str = "kit_questions";

/// How long an answer can be voted on, and votes undone.
pub const VOTES_KEPT_DAYS: i64 = 30;
/// How long a question can be passed on after it was asked.
pub const OFFER_MINUTES: i64 = 60;

/// The card (if any) that answered a command, and the shape of the question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerRef {
    pub tenant: String,
    /// Local day of the answer, `YYYY-MM-DD`.
    pub day: String,
    /// Empty: no card answered well.
    pub card: String,
    pub shape: String,
    pub at: DateTime<Utc>,
}

/// Counts for one card, question shape and day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Answers given (a card shown, or "no good match" for the empty card).
    pub reads: u64,
    pub useful: u64,
    pub not_useful: u64,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.reads += other.reads;
        self.useful += other.useful;
        self.not_useful += other.not_useful;
    }
}

/// A counted vote, by its reaction event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoteRef {
    pub tally_key: String,
    pub useful: bool,
    pub voter: String,
    pub at: DateTime<Utc>,
}

/// A vote already counted for (answer, person, vote), under a digest that does not name them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Voter {
    pub reaction: String,
    pub at: DateTime<Utc>,
}

/// Why a question reached the writers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// The search found no good card.
    NoMatch,
    /// Someone found the answer not useful (👎).
    NotUseful,
    /// Written on purpose: `!transmettre <question>`.
    Written,
}

impl Why {
    pub fn as_str(self) -> &'static str {
        match self {
            Why::NoMatch => "no_match",
            Why::NotUseful => "not_useful",
            Why::Written => "written",
        }
    }
}

/// A question passed on to the kit's writers. Nothing about who asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub tenant: String,
    pub text: String,
    /// The search's normalisation of the text: questions of one shape are grouped.
    pub shape: String,
    /// The search's confidence in its best card (0 when none).
    pub best_score: f32,
    /// The card the answer showed, for a 👎.
    pub card: Option<String>,
    pub why: Why,
    pub at: DateTime<Utc>,
}

/// A question asked moments ago, that its asker may still pass on (memory only).
#[derive(Debug, Clone)]
pub struct Asked {
    pub tenant: String,
    pub room_id: String,
    /// Accepted by the personal-data guard; `None` when it was not (it cannot be passed on).
    pub text: Option<String>,
    pub shape: String,
    pub best_score: f32,
    pub card: Option<String>,
    pub at: DateTime<Utc>,
}

/// What a vote did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voted {
    /// The reaction is not on a kit answer.
    NotAnAnswer,
    /// Counted now.
    Counted,
    /// This person's same vote on this answer was counted already.
    AlreadyCounted,
}

/// What `!transmettre` found to pass on.
#[derive(Debug, Clone, PartialEq)]
pub enum PassOn {
    /// Kept for the writers.
    Kept,
    /// Nothing asked in the last [`OFFER_MINUTES`] here.
    NothingRecent,
    /// The text holds personal data: not kept.
    Personal,
}

#[derive(Default)]
struct Recent {
    /// Command event id → the question.
    asked: HashMap<String, Asked>,
    /// (tenant, room, person) → the command event id they may pass on.
    offered: HashMap<(String, String, String), String>,
}

/// The door to the feedback data. Cheap to clone.
#[derive(Clone)]
pub struct Feedback {
    store: Store,
    recent: Arc<Mutex<Recent>>,
    /// Woken when a digest subscription changes (the digest task sleeps until the next one).
    digests_changed: Arc<tokio::sync::Notify>,
}

fn tally_key(tenant: &str, day: &str, card: &str, shape: &str) -> String {
    format!("{tenant}|{day}|{card}|{shape}")
}

fn voter_digest(answer: &str, person: &str, useful: bool) -> String {
    let digest = Sha256::digest(format!("{answer}\u{0}{person}\u{0}{useful}").as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

impl Feedback {
    pub fn new(store: Store) -> Feedback {
        Feedback {
            store,
            recent: Arc::default(),
            digests_changed: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Save a digest subscription, flushed, and wake the digest task.
    pub async fn subscribe(&self, sub: &digest::Subscription) -> Result<(), StoreError> {
        let before = digest::get(&self.store, &sub.tenant, &sub.user_id)?;
        digest::put(&self.store, sub)?;
        if let Err(err) = self.store.flush().await {
            let (store_sub, before) = (sub.clone(), before);
            self.store
                .undo("a digest subscription", move |store| match &before {
                    Some(old) => digest::put(store, old),
                    None => {
                        digest::remove(store, &store_sub.tenant, &store_sub.user_id).map(|_| ())
                    }
                });
            return Err(err);
        }
        self.digests_changed.notify_one();
        Ok(())
    }

    /// Remove a digest subscription, flushed; the removed one.
    pub async fn unsubscribe(
        &self,
        tenant: &str,
        user_id: &str,
    ) -> Result<Option<digest::Subscription>, StoreError> {
        let removed = digest::remove(&self.store, tenant, user_id)?;
        if let Some(old) = &removed {
            if let Err(err) = self.store.flush().await {
                let old = old.clone();
                self.store.undo("a digest unsubscription", move |store| {
                    digest::put(store, &old)
                });
                return Err(err);
            }
            self.digests_changed.notify_one();
        }
        Ok(removed)
    }

    /// Wait until a subscription changes.
    pub async fn digests_changed(&self) {
        self.digests_changed.notified().await;
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn recent(&self) -> std::sync::MutexGuard<'_, Recent> {
        self.recent.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Which card answered the command `event_id`, if it was one (30 days).
    fn answer_ref(&self, event_id: &str) -> Result<Option<AnswerRef>, StoreError> {
        match self.store.ledger().record(ANSWERS, event_id)? {
            Some(bytes) => crate::store::decode(ANSWERS, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// A kit answer was given to the command `event_id`: count the read, remember which card
    /// answered (for votes), and remember the question in memory for `!transmettre`. Not
    /// flushed: the answer's own recording flushes.
    pub fn answered(&self, event_id: &str, asked: Asked, day: NaiveDate) -> Result<(), StoreError> {
        let day = day.format("%Y-%m-%d").to_string();
        let card = asked.card.clone().unwrap_or_default();
        if self.answer_ref(event_id)?.is_some() {
            // A replay after a crash: counted already.
            return Ok(());
        }
        let key = tally_key(&asked.tenant, &day, &card, &asked.shape);
        self.bump(&key, |t| t.reads += 1)?;
        // Written to the ledger by the next flush of the store, after the count above (a crash
        // between the two writes counts this read again when the command is replayed).
        self.store.ledger().note_record(
            ANSWERS,
            event_id,
            crate::store::encode(&AnswerRef {
                tenant: asked.tenant.clone(),
                day,
                card,
                shape: asked.shape.clone(),
                at: asked.at,
            }),
            asked.at.timestamp_millis(),
        );
        let mut recent = self.recent();
        let now = asked.at;
        recent
            .asked
            .retain(|_, a| now - a.at < chrono::Duration::minutes(OFFER_MINUTES));
        recent.asked.insert(event_id.to_owned(), asked);
        Ok(())
    }

    /// `person` may pass on the question of `event_id` with `!transmettre` (its asker after a
    /// "no good match", or whoever voted 👎).
    pub fn offer(&self, tenant: &str, room_id: &str, person: &str, event_id: &str) {
        let mut recent = self.recent();
        let known: Vec<String> = recent.asked.keys().cloned().collect();
        recent.offered.retain(|_, e| known.contains(e));
        recent.offered.insert(
            (tenant.to_owned(), room_id.to_owned(), person.to_owned()),
            event_id.to_owned(),
        );
    }

    /// The question `person` was last offered to pass on in this room, if still recent.
    pub fn offered(
        &self,
        tenant: &str,
        room_id: &str,
        person: &str,
        now: DateTime<Utc>,
    ) -> Option<Asked> {
        let recent = self.recent();
        let event =
            recent
                .offered
                .get(&(tenant.to_owned(), room_id.to_owned(), person.to_owned()))?;
        recent
            .asked
            .get(event)
            .filter(|a| now - a.at < chrono::Duration::minutes(OFFER_MINUTES))
            .cloned()
    }

    /// Pass on what `person` was offered to pass on here. Flushed before it returns `Kept`.
    pub async fn pass_on_offered(
        &self,
        tenant: &str,
        room_id: &str,
        person: &str,
        why: Why,
        now: DateTime<Utc>,
    ) -> Result<PassOn, StoreError> {
        let Some(asked) = self.offered(tenant, room_id, person, now) else {
            return Ok(PassOn::NothingRecent);
        };
        let Some(text) = asked.text.clone() else {
            return Ok(PassOn::Personal);
        };
        self.keep_question(Question {
            tenant: tenant.to_owned(),
            text,
            shape: asked.shape.clone(),
            best_score: asked.best_score,
            card: asked.card.clone(),
            why,
            at: now,
        })
        .await?;
        self.recent()
            .offered
            .remove(&(tenant.to_owned(), room_id.to_owned(), person.to_owned()));
        Ok(PassOn::Kept)
    }

    /// Keep a question (its text already accepted by the guard), flushed.
    pub async fn keep_question(&self, question: Question) -> Result<(), StoreError> {
        let n = self.store.next_number("kit_question")?;
        let key = format!(
            "{}|{:013}|{n:010}",
            question.tenant,
            question.at.timestamp_millis()
        );
        self.store.put(QUESTIONS, key.as_bytes(), &question)?;
        if let Err(err) = self.store.flush().await {
            let key = key.clone();
            self.store.undo("a question passed on", move |store| {
                store.remove(QUESTIONS, key.as_bytes()).map(|_| ())
            });
            return Err(err);
        }
        crate::metrics::metrics().question_passed_on();
        Ok(())
    }

    /// The command a kit answer (`answer_of`: the command's event id) was for, voted on by
    /// `person` with the reaction `reaction`. Not flushed (the reaction's recording flushes).
    pub fn vote(
        &self,
        tenant: &str,
        command: &str,
        reaction: &str,
        person: &str,
        useful: bool,
        now: DateTime<Utc>,
    ) -> Result<Voted, StoreError> {
        let Some(answer) = self.answer_ref(command)? else {
            return Ok(Voted::NotAnAnswer);
        };
        if answer.tenant != tenant {
            return Ok(Voted::NotAnAnswer);
        }
        let voter = voter_digest(command, person, useful);
        if self.store.get::<Voter>(VOTERS, voter.as_bytes())?.is_some() {
            return Ok(Voted::AlreadyCounted);
        }
        let key = tally_key(&answer.tenant, &answer.day, &answer.card, &answer.shape);
        self.bump(&key, |t| {
            if useful {
                t.useful += 1
            } else {
                t.not_useful += 1
            }
        })?;
        self.store.put(
            VOTERS,
            voter.as_bytes(),
            &Voter {
                reaction: reaction.to_owned(),
                at: now,
            },
        )?;
        self.store.put(
            VOTES,
            reaction.as_bytes(),
            &VoteRef {
                tally_key: key,
                useful,
                voter,
                at: now,
            },
        )?;
        crate::metrics::metrics().vote(useful);
        Ok(Voted::Counted)
    }

    /// The reaction `reaction` was removed: its vote no longer counts. True when it was one.
    pub fn unvote(&self, reaction: &str) -> Result<bool, StoreError> {
        let Some(vote) = self.store.get::<VoteRef>(VOTES, reaction.as_bytes())? else {
            return Ok(false);
        };
        self.bump(&vote.tally_key, |t| {
            if vote.useful {
                t.useful = t.useful.saturating_sub(1)
            } else {
                t.not_useful = t.not_useful.saturating_sub(1)
            }
        })?;
        self.store.remove(VOTERS, vote.voter.as_bytes())?;
        self.store.remove(VOTES, reaction.as_bytes())?;
        Ok(true)
    }

    fn bump(&self, key: &str, change: impl Fn(&mut Tally)) -> Result<(), StoreError> {
        let mut tally = self
            .store
            .get::<Tally>(TALLIES, key.as_bytes())?
            .unwrap_or_default();
        change(&mut tally);
        self.store.put(TALLIES, key.as_bytes(), &tally)
    }

    /// A Mission Locale's counts per card over the local days `from..=to` (the empty card:
    /// questions without a good answer).
    pub fn by_card(
        &self,
        tenant: &str,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<BTreeMap<String, Tally>, StoreError> {
        let mut out: BTreeMap<String, Tally> = BTreeMap::new();
        for (key, tally) in self
            .store
            .scan_prefix::<Tally>(TALLIES, format!("{tenant}|").as_bytes())?
        {
            let key = String::from_utf8_lossy(&key).into_owned();
            let mut parts = key.splitn(4, '|');
            let (_, Some(day), Some(card)) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            let Ok(day) = NaiveDate::parse_from_str(day, "%Y-%m-%d") else {
                continue;
            };
            if from.is_some_and(|f| day < f) || to.is_some_and(|t| day > t) {
                continue;
            }
            out.entry(card.to_owned()).or_default().add(&tally);
        }
        Ok(out)
    }

    /// Questions passed on, oldest first: one Mission Locale's or all, from `since` on.
    pub fn questions(
        &self,
        tenant: Option<&str>,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<Question>, StoreError> {
        let prefix = tenant.map(|t| format!("{t}|")).unwrap_or_default();
        let mut out: Vec<Question> = self
            .store
            .scan_prefix::<Question>(QUESTIONS, prefix.as_bytes())?
            .into_iter()
            .map(|(_, q)| q)
            .filter(|q| since.is_none_or(|s| q.at >= s))
            .collect();
        out.sort_by_key(|q| q.at);
        Ok(out)
    }

    /// Forget answer references, votes and voter digests older than [`VOTES_KEPT_DAYS`], and
    /// questions older than their Mission Locale's retention (`months` by tenant; a tenant
    /// gone from the config keeps none). Returns how many records went.
    pub fn prune(
        &self,
        now: DateTime<Utc>,
        months: &HashMap<String, u32>,
    ) -> Result<usize, StoreError> {
        let cutoff = now - chrono::Duration::days(VOTES_KEPT_DAYS);
        let mut removed = 0;
        removed += self
            .store
            .ledger()
            .prune_records(ANSWERS, cutoff.timestamp_millis())?;
        for (key, vote) in self.store.scan_prefix::<VoteRef>(VOTES, b"")? {
            if vote.at < cutoff {
                removed += usize::from(self.store.remove(VOTES, &key)?);
            }
        }
        for (key, voter) in self.store.scan_prefix::<Voter>(VOTERS, b"")? {
            if voter.at < cutoff {
                removed += usize::from(self.store.remove(VOTERS, &key)?);
            }
        }
        for (key, question) in self.store.scan_prefix::<Question>(QUESTIONS, b"")? {
            let keep = months
                .get(&question.tenant)
                .is_some_and(|m| question.at >= now - chrono::Duration::days(i64::from(*m) * 31));
            if !keep {
                removed += usize::from(self.store.remove(QUESTIONS, &key)?);
            }
        }
        Ok(removed)
    }
}

/// Questions of one shape, for the writers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionGroup {
    pub shape: String,
    pub count: usize,
    /// Distinct wordings, most frequent first (at most five).
    pub wordings: Vec<String>,
    pub missions_locales: Vec<String>,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    /// The best score the search ever gave one of them.
    pub best_score: f32,
    /// Cards shown when someone found them not useful.
    pub cards: Vec<String>,
}

/// Group questions by shape, most frequent first (then most recent).
pub fn group(questions: &[Question]) -> Vec<QuestionGroup> {
    let mut by_shape: BTreeMap<String, Vec<&Question>> = BTreeMap::new();
    for q in questions {
        let shape = if q.shape.is_empty() {
            crate::core::text::fold(&q.text)
        } else {
            q.shape.clone()
        };
        by_shape.entry(shape).or_default().push(q);
    }
    let mut groups: Vec<QuestionGroup> = by_shape
        .into_iter()
        .map(|(shape, qs)| {
            let mut wordings: BTreeMap<&str, usize> = BTreeMap::new();
            for q in &qs {
                *wordings.entry(q.text.as_str()).or_default() += 1;
            }
            let mut wordings: Vec<(&str, usize)> = wordings.into_iter().collect();
            wordings.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let mut missions: Vec<String> = qs.iter().map(|q| q.tenant.clone()).collect();
            missions.sort();
            missions.dedup();
            let mut cards: Vec<String> = qs.iter().filter_map(|q| q.card.clone()).collect();
            cards.sort();
            cards.dedup();
            QuestionGroup {
                shape,
                count: qs.len(),
                wordings: wordings
                    .into_iter()
                    .take(5)
                    .map(|(w, _)| w.to_owned())
                    .collect(),
                missions_locales: missions,
                first: qs.iter().map(|q| q.at).min().unwrap_or_default(),
                last: qs.iter().map(|q| q.at).max().unwrap_or_default(),
                best_score: qs.iter().map(|q| q.best_score).fold(0.0, f32::max),
                cards,
            }
        })
        .collect();
    groups.sort_by(|a, b| b.count.cmp(&a.count).then(b.last.cmp(&a.last)));
    groups
}

#[cfg(test)]
mod tests;
