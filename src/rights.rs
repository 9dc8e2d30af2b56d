//! A person's rights over everything kitbot keeps about them in one Mission Locale: access
//! (`!mes-donnees`) and erasure (`!oublier`, `kitbot forget`), composed from each domain's own
//! part (reflections and consent; reminders, silences, ticks and authored nudges; the direct
//! room used to write to them).
//!
//! [`TREES`] lists every tree of the store and what it holds about people, in one place. A
//! test (`rights_cover_every_tree`) uses the bot as a person would, then fails when the store
//! has a tree missing from this list, or when the person's id is still found anywhere after
//! erasure.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::core::text::{ellipsis, escape_md};
use crate::feedback::digest;
use crate::nudges::{Nudges, PersonalNudges};
use crate::reflections::rights::{self as reflection_rights, Forgotten, MyData};
use crate::store::{Store, StoreError};
use crate::strings::reflections as s;

/// Direct rooms: room id → Mission Locale (no person in it).
pub const DM_ROOMS: &str = "dm_rooms";
/// `{tenant}|{user}` → the direct room with that person for that Mission Locale.
pub const DM_OF: &str = "dm_of";
/// Upgraded rooms: old room id → its replacement, its Mission Locale, what moved.
pub const SUCCESSORS: &str = "room_successors";
/// Direct rooms whose person must still choose their Mission Locale: room id → choices.
pub const DM_PENDING: &str = "dm_pending";

/// What a tree holds about people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// Data about a person: in `!mes-donnees`, erased (or made anonymous) by `!oublier`.
    Personal,
    /// Nothing that names a person (the reason is the documentation).
    Nothing(&'static str),
    /// Messages on their way: deleted once delivered (a direct message to the person may name
    /// them until then).
    Transient(&'static str),
}

/// Every tree of the store. A new tree must be added here (the test fails otherwise), with
/// its access and erasure when it names people.
pub const TREES: &[(&str, Kept)] = &[
    ("reflections", Kept::Personal),
    ("reflections_by_event", Kept::Personal),
    ("reflections_by_author", Kept::Personal),
    (
        "reflections_by_room",
        Kept::Nothing("room id and date → reflection id"),
    ),
    ("consents", Kept::Personal),
    (
        "reflection_secrets",
        Kept::Nothing("each Mission Locale's pseudonym key"),
    ),
    ("nudges", Kept::Personal),
    ("parcours_runs", Kept::Personal),
    (
        "nudge_posts",
        Kept::Nothing("posted event id → what the post was about"),
    ),
    ("nudge_reactions", Kept::Personal),
    ("nudge_silences", Kept::Personal),
    (
        "nudge_suspended",
        Kept::Nothing("room → keys of the items paused when the bot left it"),
    ),
    (
        "nudge_origins",
        Kept::Nothing("command event id → the item it created"),
    ),
    (
        "nudge_dirty",
        Kept::Transient("item keys changed since the scheduler looked, emptied at its next round"),
    ),
    // `outbox`, the next four and `feedback_answers` are in the ledger (`ledger.rs`, SQLite
    // beside sled), listed under the names they have in backups; only the waiting messages
    // can name a person (a direct message on its way).
    (
        "outbox",
        Kept::Transient("messages waiting to be sent, deleted once delivered (in the ledger)"),
    ),
    (
        "outbox_delivered",
        Kept::Nothing("transaction ids of delivered messages, 7 days (in the ledger)"),
    ),
    (
        "handled",
        Kept::Nothing("ids of events already handled, 30 days (in the ledger)"),
    ),
    (
        "outbox_answers",
        Kept::Nothing("command event id → the room and the bot's answer event id, a week (in the ledger)"),
    ),
    (
        "outbox_answered",
        Kept::Nothing("the bot's answer event id → the command event id, a week (in the ledger)"),
    ),
    (
        "feedback_answers",
        Kept::Nothing("command event id → the card that answered and the question's shape, 30 days (in the ledger)"),
    ),
    (
        "feedback_tallies",
        Kept::Nothing("reads, 👍 and 👎 per Mission Locale, day, card and question shape"),
    ),
    (
        "feedback_votes",
        Kept::Nothing("reaction event id → the count it added to (to undo it), 30 days"),
    ),
    (
        "feedback_voters",
        Kept::Nothing("one-way digest of (answer, person, vote) → reaction id: one vote per person and answer, no user id, 30 days"),
    ),
    (
        "kit_questions",
        Kept::Nothing("questions passed on to the kit's writers, accepted by the personal-data guard, nothing about the asker"),
    ),
    ("digest_subscriptions", Kept::Personal),
    (
        "rooms_joined",
        Kept::Nothing("room id → when the bot joined it (older messages are history)"),
    ),
    (
        "meta",
        Kept::Nothing("schema version, counters (R7, P3…), the avatar's digest, the id of the sync filter kept by the homeserver; the sync position is in the ledger"),
    ),
    (DM_ROOMS, Kept::Nothing("direct room id → Mission Locale")),
    (DM_OF, Kept::Personal),
    (
        DM_PENDING,
        Kept::Nothing("direct room id → Missions Locales to choose from"),
    ),
    (
        "__sled__default",
        Kept::Nothing("sled's default tree, unused"),
    ),
];

/// Everything kept about one person in one Mission Locale.
#[derive(Debug, Clone, Default)]
pub struct Everything {
    pub reflections: Forgotten,
    pub nudges: PersonalNudges,
    /// The direct room recorded to write to them.
    pub direct_room: Option<String>,
    /// Their weekly digest (a coordinator's opt-in).
    pub digest: Option<crate::feedback::digest::Subscription>,
}

impl Everything {
    pub fn is_nothing(&self) -> bool {
        self.reflections.is_nothing()
            && self.nudges.is_nothing()
            && self.direct_room.is_none()
            && self.digest.is_none()
    }

    /// What this is, in French, for `!oublier`: "votre accord…, 2 rappels personnels, …".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(part) =
            s::forget_reflections_part(self.reflections.reflections, self.reflections.had_consent)
        {
            parts.push(part);
        }
        let n = &self.nudges;
        if !n.reminders.is_empty() {
            parts.push(s::forget_reminders_part(n.reminders.len()));
        }
        if n.silence_until.is_some() {
            parts.push(s::FORGET_SILENCE_PART.to_owned());
        }
        if !n.ticks.is_empty() {
            parts.push(s::forget_ticks_part(n.ticks.len()));
        }
        if !n.authored.is_empty() || !n.runs_started.is_empty() {
            parts.push(s::forget_authored_part(
                n.authored.len() + n.runs_started.len(),
            ));
        }
        if self.direct_room.is_some() {
            parts.push(s::FORGET_DIRECT_ROOM_PART.to_owned());
        }
        if self.digest.is_some() {
            parts.push(s::FORGET_DIGEST_PART.to_owned());
        }
        s::join_parts(&parts)
    }
}

/// What erasure would cover.
pub fn preview(
    store: &Store,
    nudges: &Nudges,
    tenant: &str,
    user: &str,
) -> Result<Everything, StoreError> {
    Ok(Everything {
        reflections: reflection_rights::preview(store, tenant, user)?,
        nudges: nudges.personal_data(tenant, user)?,
        direct_room: direct_room(store, tenant, user)?,
        digest: digest::get(store, tenant, user)?,
    })
}

fn direct_room(store: &Store, tenant: &str, user: &str) -> Result<Option<String>, StoreError> {
    store.get::<String>(DM_OF, format!("{tenant}|{user}").as_bytes())
}

/// Erase everything about `user` in `tenant`, flushed: reflections, consent and its history,
/// personal reminders, silence, ✅ ticks, the recorded direct room; the room nudges and
/// parcours they created stay for the team without their name. Returns what was there.
/// Not one [`crate::store::Change`]: when a write fails half-way, what was erased is not put
/// back (the person asked for it to go), part of it may be done, and calling it again
/// finishes it; callers say so instead of "nothing was changed".
pub async fn forget(
    store: &Store,
    nudges: &Nudges,
    tenant: &str,
    user: &str,
) -> Result<Everything, StoreError> {
    let direct_room = direct_room(store, tenant, user)?;
    let reflections = reflection_rights::forget(store, tenant, user)?;
    store.remove(DM_OF, format!("{tenant}|{user}").as_bytes())?;
    let digest = digest::remove(store, tenant, user)?;
    crate::reflections::flush(store).await?;
    // Flushed by the nudges service itself (undone if that fails).
    let nudges = nudges.forget_person(tenant, user).await?;
    Ok(Everything {
        reflections,
        nudges,
        direct_room,
        digest,
    })
}

/// `!mes-donnees`: everything kept about `user` in `tenant`; `None` when nothing is.
pub fn my_data(
    store: &Store,
    nudges: &Nudges,
    tenant: &str,
    mission_name: &str,
    user: &str,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Option<MyData>, StoreError> {
    let personal = nudges.personal_data(tenant, user)?;
    let direct = direct_room(store, tenant, user)?;
    let mut lines = Vec::new();
    if !personal.reminders.is_empty() {
        lines.push(s::my_data_reminders(personal.reminders.len()));
        for reminder in personal.reminders.iter().take(20) {
            let text = match &reminder.content {
                crate::nudges::model::Content::Text { text }
                | crate::nudges::model::Content::Message { excerpt: text, .. } => {
                    escape_md(&ellipsis(text, 80))
                }
                crate::nudges::model::Content::Card { id } => format!("`{}`", escape_md(id)),
            };
            lines.push(format!("  - {} : {text}", reminder.label()));
        }
    }
    if let Some(until) = personal.silence_until {
        lines.push(s::my_data_silence(
            &crate::reflections::render::local_datetime(tz, until),
        ));
    }
    if !personal.ticks.is_empty() {
        lines.push(s::my_data_ticks(personal.ticks.len()));
    }
    if !personal.authored.is_empty() || !personal.runs_started.is_empty() {
        lines.push(s::my_data_authored(
            personal.authored.len(),
            personal.runs_started.len(),
        ));
    }
    if direct.is_some() {
        lines.push(s::MY_DATA_DIRECT_ROOM.to_owned());
    }
    let subscription = digest::get(store, tenant, user)?;
    if let Some(sub) = &subscription {
        lines.push(s::my_data_digest(&sub.schedule.describe_fr(tz)));
    }
    let extra = serde_json::json!({
        "rappels_personnels": personal.reminders,
        "relances_creees": personal.authored,
        "parcours_lances": personal.runs_started,
        "silence_jusqu_a": personal.silence_until,
        "parcours_coches": personal
            .ticks
            .iter()
            .map(|(title, step)| serde_json::json!({"parcours": title, "etape": step}))
            .collect::<Vec<_>>(),
        "salon_prive": direct,
        "point_hebdomadaire": subscription.as_ref().map(|sub| serde_json::json!({
            "quand": sub.schedule.describe_fr(tz),
            "depuis": sub.since,
            "dernier_envoi": sub.last_sent,
        })),
    });
    let has_more = !personal.is_nothing() || direct.is_some() || subscription.is_some();
    reflection_rights::my_data(
        store,
        tenant,
        mission_name,
        user,
        tz,
        now,
        reflection_rights::Extra {
            json: extra,
            lines,
            has_any: has_more,
        },
    )
}

/// `kitbot forget @user:server [--mission-locale ID]`: erase everything about the person in
/// that Mission Locale, or in every one. Returns one line per Mission Locale.
pub async fn cli_forget(
    store: &Store,
    nudges: &Nudges,
    config: &crate::config::Config,
    user: &str,
    mission_id: Option<&str>,
) -> Result<Vec<String>, crate::reflections::cli::CliError> {
    use crate::reflections::cli::CliError;
    if !crate::config::is_user_id(user) {
        return Err(CliError::BadUser(user.to_owned()));
    }
    let missions: Vec<_> = match mission_id {
        Some(id) => vec![config
            .mission(id)
            .ok_or_else(|| CliError::UnknownMission(id.to_owned()))?],
        None => config.missions.iter().collect(),
    };
    let mut lines = Vec::new();
    for mission in missions {
        let done = forget(store, nudges, &mission.id, user)
            .await
            .map_err(|err| CliError::ForgetIncomplete(mission.name.clone(), err))?;
        lines.push(if done.is_nothing() {
            s::cli_forgot_nothing(&mission.name)
        } else {
            s::cli_forgot(&mission.name, &done.describe())
        });
    }
    tracing::info!(count = lines.len(), "forget done from the command line");
    Ok(lines)
}
