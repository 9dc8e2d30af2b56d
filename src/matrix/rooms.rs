//! Which room belongs to which Mission Locale, and invites, as seen from Matrix: the configured
//! rooms and Spaces resolved to room ids at start, Space children resolved when first seen and
//! again whenever a Space or room changes its `m.space.child`, `m.space.parent` or power
//! levels, direct rooms checked before anything is answered there, invites accepted or
//! declined. The decisions themselves are the pure functions of `tenants.rs`; this file
//! gathers their facts.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use anyhow::Context as _;
use matrix_sdk::deserialized_responses::RawSyncOrStrippedState;
use matrix_sdk::ruma::events::room::member::MembershipState;
use matrix_sdk::ruma::events::space::child::SpaceChildEventContent;
use matrix_sdk::ruma::events::space::parent::SpaceParentEventContent;
use matrix_sdk::ruma::events::StateEventType;
use matrix_sdk::ruma::{OwnedRoomId, OwnedRoomOrAliasId, OwnedUserId, RoomAliasId};
use matrix_sdk::sync::SyncResponse;
use matrix_sdk::{Room, RoomMemberships, RoomState};

use super::tenants::{
    decide_dm_tenant, decide_invite, decide_room_tenant, is_private_with, DmTenant, InviteDecision,
    InviteFacts, RoomFacts, RoomInfo, RoomTenant, SpaceClaim,
};
use super::Adapter;
use crate::core::text::escape_md;
use crate::core::Outgoing;
use crate::strings::rooms as s;

use crate::rights::{DM_OF, DM_PENDING, DM_ROOMS, SUCCESSORS};

/// An upgraded team room: where it went, for which Mission Locale, what followed, and whether
/// the new room was told.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Successor {
    new: String,
    tenant: String,
    moved: crate::engine::Moved,
    told: bool,
}

/// The state events that can change which Mission Locale a room belongs to.
pub(super) const TENANCY_STATE: [&str; 3] =
    ["m.space.child", "m.space.parent", "m.room.power_levels"];

/// The JSON of a state event, raw, from a joined or an invited room.
fn state_json<C>(raw: &RawSyncOrStrippedState<C>) -> Option<serde_json::Value>
where
    C: matrix_sdk::ruma::events::StaticStateEventContent + matrix_sdk::ruma::events::RedactContent,
    C::Redacted: matrix_sdk::ruma::events::RedactedStateEventContent,
{
    let text = match raw {
        RawSyncOrStrippedState::Sync(raw) => raw.json().get(),
        RawSyncOrStrippedState::Stripped(raw) => raw.json().get(),
    };
    serde_json::from_str(text).ok()
}

/// A non-empty `content.via` (an empty content is a removed child or parent).
fn has_via(event: &serde_json::Value) -> bool {
    event["content"]["via"]
        .as_array()
        .is_some_and(|via| !via.is_empty())
}

impl Adapter {
    /// Resolve the configured rooms and Spaces to room ids, and reload the recorded DMs.
    pub(super) async fn with_tenants(mut self) -> Adapter {
        let mut spaces = Vec::new();
        let mut configured: HashMap<String, Vec<String>> = HashMap::new();
        for ml in &self.engine.config().missions {
            for room in &ml.rooms {
                match self.resolve(room).await {
                    Some(id) => configured
                        .entry(id.to_string())
                        .or_default()
                        .push(ml.id.clone()),
                    None => {
                        tracing::warn!(room, mission_locale = %ml.id, "configured room could not be resolved yet");
                        self.pending_aliases
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push((room.clone(), ml.id.clone()));
                    }
                }
            }
            if let Some(space) = &ml.space {
                match self.resolve(space).await {
                    Some(id) => {
                        configured
                            .entry(id.to_string())
                            .or_default()
                            .push(ml.id.clone());
                        spaces.push((id, ml.id.clone()));
                    }
                    None => {
                        tracing::warn!(space, mission_locale = %ml.id, "configured space could not be resolved")
                    }
                }
            }
        }
        // Rooms that replaced an upgraded team room belong to its Mission Locale.
        match self
            .engine
            .store()
            .scan_prefix::<Successor>(SUCCESSORS, b"")
        {
            Ok(successors) => {
                for (_, successor) in successors {
                    let tenants = configured.entry(successor.new.clone()).or_default();
                    if !tenants.contains(&successor.tenant) {
                        tenants.push(successor.tenant.clone());
                    }
                }
            }
            Err(err) => tracing::error!(cause = %err, "could not read the upgraded rooms"),
        }
        for (room, tenants) in &mut configured {
            tenants.sort();
            tenants.dedup();
            match tenants.as_slice() {
                [tenant] => self.rooms.insert(room, RoomInfo::configured(tenant)),
                several => tracing::error!(
                    room_id = %room,
                    mission_locales = ?several,
                    "the same room is configured for several Missions Locales (by id or alias): it is served by none"
                ),
            }
        }
        *self.configured.write().unwrap_or_else(|e| e.into_inner()) = configured;
        match self.engine.store().scan_prefix::<String>(DM_ROOMS, b"") {
            Ok(dms) => {
                for (room, tenant) in dms {
                    let room = String::from_utf8_lossy(&room).into_owned();
                    self.rooms.insert(&room, RoomInfo::direct(&tenant));
                }
            }
            Err(err) => tracing::error!(cause = %err, "could not read the recorded direct rooms"),
        }
        self.spaces = Arc::new(spaces);
        self
    }

    async fn resolve(&self, room: &str) -> Option<OwnedRoomId> {
        if room.starts_with('!') {
            return OwnedRoomId::try_from(room).ok();
        }
        let alias = <&RoomAliasId>::try_from(room).ok()?;
        match self.client.resolve_room_alias(alias).await {
            Ok(response) => Some(response.room_id),
            Err(err) => {
                tracing::warn!(cause = %err, room, "alias resolution failed");
                None
            }
        }
    }

    /// Join the configured rooms (and Spaces) the bot is invited to or that are public.
    pub(super) async fn join_configured_rooms(&self) {
        super::sync::hold_configured_joins().await;
        // An alias that did not resolve when the bot started may name a room created since
        // (and the bot may be invited there already, its invite consumed by the join below):
        // resolve it first, so that the room it joins is known as configured. Before, the bot
        // joined such a room by its alias and then ignored every command there, as a room of
        // nobody's (found by `kitbot demo` failing about one start in three on 2026-12-04).
        self.retry_pending_aliases().await;
        let mut targets: Vec<String> = Vec::new();
        for ml in &self.engine.config().missions {
            targets.extend(ml.rooms.iter().cloned());
            targets.extend(ml.space.iter().cloned());
        }
        for target in targets {
            let Ok(id) = OwnedRoomOrAliasId::try_from(target.as_str()) else {
                continue;
            };
            // The room an alias names now (a room id is its own): when it is known, the bot
            // notes the time before it joins, and skips a room it is in already.
            if let Some(room_id) = self.resolve(target.as_str()).await {
                if self
                    .client
                    .get_room(&room_id)
                    .is_some_and(|r| r.state() == RoomState::Joined)
                {
                    continue;
                }
                self.note_joining(&room_id);
            }
            // By alias when configured so: the homeserver finds a room on another server that
            // way.
            if let Err(err) = self.client.join_room_by_id_or_alias(&id, &[]).await {
                tracing::info!(cause = %err, room = %target, "could not join a configured room yet (invite the bot)");
            }
        }
    }

    /// The facts that decide a room's Mission Locale: its configuration, and every
    /// Mission Locale Space that lists it as a child, with what the room itself says. For an
    /// invited room (its state not visible yet) the room's side is assumed: the bot joins,
    /// then decides again with the whole state before it answers anything there.
    async fn room_facts(&self, room_id: &OwnedRoomId) -> RoomFacts {
        let configured = self
            .configured
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(room_id.as_str())
            .cloned()
            .unwrap_or_default();
        let room = self.client.get_room(room_id);
        let provisional = room.as_ref().is_none_or(|r| r.state() != RoomState::Joined);
        let mut claims = Vec::new();
        for (space_id, tenant) in self.spaces.iter() {
            if space_id == room_id {
                continue;
            }
            let Some(space) = self.client.get_room(space_id) else {
                continue;
            };
            let child = space
                .get_state_event_static_for_key::<SpaceChildEventContent, _>(room_id)
                .await
                .ok()
                .flatten()
                .and_then(|raw| state_json(&raw));
            let Some(child) = child else {
                continue;
            };
            let mut claim = SpaceClaim {
                tenant: tenant.clone(),
                via: has_via(&child),
                parent_agrees: false,
                adder_has_power: provisional,
            };
            if let (Some(room), false) = (&room, provisional) {
                claim.parent_agrees = room
                    .get_state_event_static_for_key::<SpaceParentEventContent, _>(space_id)
                    .await
                    .ok()
                    .flatten()
                    .and_then(|raw| state_json(&raw))
                    .is_some_and(|parent| has_via(&parent));
                if let Some(adder) = child["sender"]
                    .as_str()
                    .and_then(|s| OwnedUserId::try_from(s).ok())
                {
                    claim.adder_has_power = room
                        .power_levels_or_default()
                        .await
                        .user_can_send_state(&adder, StateEventType::SpaceParent);
                }
            }
            claims.push(claim);
        }
        RoomFacts { configured, claims }
    }

    /// The Mission Locale of a team room, decided now.
    async fn resolve_team_room(&self, room_id: &OwnedRoomId) -> RoomTenant {
        decide_room_tenant(&self.room_facts(room_id).await)
    }

    /// The tenant of a room where an event arrived: a team room (configured, or agreed child
    /// of a Space), or a direct room still private with the sender. `None`: the bot does not
    /// serve this room (or, for a direct room of someone who must choose their Mission
    /// Locale, the caller handles it first).
    pub(super) async fn room_info(&self, room: &Room, sender: &str) -> Option<RoomInfo> {
        if let Some(info) = self.rooms.get(room.room_id().as_str()) {
            if !info.direct {
                return Some(info);
            }
            return self.checked_direct(room, sender, &info.tenant).await;
        }
        if self.configured_contested(room.room_id()) {
            return None;
        }
        match self.resolve_team_room(&room.room_id().to_owned()).await {
            RoomTenant::Of(tenant) => {
                let info = self.info_for(room.room_id().as_str(), &tenant);
                self.rooms.insert(room.room_id().as_str(), info.clone());
                Some(info)
            }
            RoomTenant::Contested(tenants) => {
                tracing::warn!(room_id = %room.room_id(), mission_locales = ?tenants, "a room claimed by several Missions Locales is served by none");
                None
            }
            RoomTenant::Unclaimed => None,
        }
    }

    fn configured_contested(&self, room_id: &matrix_sdk::ruma::RoomId) -> bool {
        self.configured
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(room_id.as_str())
            .is_some_and(|tenants| tenants.len() > 1)
    }

    fn info_for(&self, room_id: &str, tenant: &str) -> RoomInfo {
        let configured = self
            .configured
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(room_id)
            .is_some_and(|t| t.iter().any(|t| t == tenant));
        if configured {
            RoomInfo::configured(tenant)
        } else {
            RoomInfo::space(tenant)
        }
    }

    /// A recorded direct room, checked again: still private between the bot and `sender`, and
    /// its Mission Locale one the person belongs to now. A room with a third person is not a
    /// direct room any more: nothing is answered there (personal answers would be read by
    /// others).
    async fn checked_direct(&self, room: &Room, sender: &str, recorded: &str) -> Option<RoomInfo> {
        if !self.is_private(room, sender).await {
            tracing::warn!(room_id = %room.room_id(), "a recorded direct room has other members now; nothing is answered there");
            return None;
        }
        match decide_dm_tenant(Some(recorded), &self.tenants_of_member(sender).await) {
            DmTenant::Use(tenant) if tenant == recorded => Some(RoomInfo::direct(recorded)),
            DmTenant::Use(tenant) => {
                tracing::info!(room_id = %room.room_id(), from = recorded, to = %tenant, "a direct room follows its person to their Mission Locale");
                if let Err(err) = self.record_direct(room.room_id().as_str(), sender, &tenant) {
                    tracing::error!(cause = %err, "could not record a direct room");
                    return None;
                }
                Some(RoomInfo::direct(&tenant))
            }
            DmTenant::Ask(tenants) => {
                if let Err(err) =
                    self.engine
                        .store()
                        .put(DM_PENDING, room.room_id().as_bytes(), &tenants)
                {
                    tracing::error!(cause = %err, "could not record a pending choice");
                }
                None
            }
            DmTenant::NoTeam => None,
        }
    }

    /// Joined and invited members are exactly the bot and `person`.
    pub(super) async fn is_private(&self, room: &Room, person: &str) -> bool {
        private_with(room, &self.own_user, person).await
    }

    /// Remember `room_id` as the direct room with `user` for `tenant`.
    pub(super) fn record_direct(
        &self,
        room_id: &str,
        user: &str,
        tenant: &str,
    ) -> Result<(), crate::store::StoreError> {
        let store = self.engine.store();
        store.put(DM_ROOMS, room_id.as_bytes(), &tenant.to_owned())?;
        store.put(
            DM_OF,
            format!("{tenant}|{user}").as_bytes(),
            &room_id.to_owned(),
        )?;
        store.remove(DM_PENDING, room_id.as_bytes())?;
        self.rooms.insert(room_id, RoomInfo::direct(tenant));
        Ok(())
    }

    /// In a direct room whose person must choose their Mission Locale: handle
    /// `!mission-locale <id>`, or answer with the choice. `Some(answer)` when the event is
    /// this adapter's business (the caller records it as handled with that answer).
    pub(super) async fn mission_choice(
        &self,
        room: &Room,
        sender: &str,
        body: Option<&str>,
    ) -> Option<String> {
        let in_map = self.rooms.get(room.room_id().as_str()).filter(|i| i.direct);
        let pending: Option<Vec<String>> = self
            .engine
            .store()
            .get(DM_PENDING, room.room_id().as_bytes())
            .ok()
            .flatten();
        let body = body?;
        let word = choice_word(body);
        if pending.is_none() && (in_map.is_none() || word.is_none()) {
            return None;
        }
        if !self.is_private(room, sender).await {
            return None;
        }
        let current = self.tenants_of_member(sender).await;
        let options = self.mission_options(&current);
        let Some(word) = word else {
            // A pending choice and something else typed: ask (again).
            return Some(s::choose_mission(&options));
        };
        let chosen = crate::core::text::fold(word);
        match current
            .iter()
            .find(|id| crate::core::text::fold(id) == chosen)
        {
            Some(tenant) => {
                if let Err(err) = self.record_direct(room.room_id().as_str(), sender, tenant) {
                    tracing::error!(cause = %err, "could not record a direct room");
                    return Some(crate::strings::engine::NOT_SAVED.to_owned());
                }
                let name = self
                    .engine
                    .mission(tenant)
                    .map_or(tenant.as_str(), |m| m.name.as_str());
                Some(s::mission_chosen(&escape_md(name)))
            }
            None => Some(s::mission_unknown(
                &crate::core::text::quote_inline(word, 40),
                &options,
            )),
        }
    }

    /// `(id, escaped name)` of each Mission Locale in `ids`, for the choice in a direct room.
    fn mission_options(&self, ids: &[String]) -> Vec<(String, String)> {
        ids.iter()
            .map(|id| {
                let name = self
                    .engine
                    .mission(id)
                    .map_or(id.as_str(), |m| m.name.as_str());
                (id.clone(), escape_md(name))
            })
            .collect()
    }

    pub(super) async fn handle_invites(&self, response: &SyncResponse) {
        for room_id in response.rooms.invited.keys() {
            let Some(room) = self.client.get_room(room_id) else {
                continue;
            };
            if let Err(err) = self.handle_invite(&room).await {
                tracing::warn!(cause = %err, room_id = %room_id, "invite not handled");
            }
        }
    }

    /// Try again the configured aliases that did not resolve yet (a room created after the bot
    /// started). Only on invites: that is when an unknown room can turn out to be configured.
    async fn retry_pending_aliases(&self) {
        let pending: Vec<(String, String)> = self
            .pending_aliases
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for (alias, tenant) in pending {
            if let Some(id) = self.resolve(&alias).await {
                let tenants = {
                    let mut configured = self.configured.write().unwrap_or_else(|e| e.into_inner());
                    let tenants = configured.entry(id.to_string()).or_default();
                    if !tenants.contains(&tenant) {
                        tenants.push(tenant.clone());
                        tenants.sort();
                    }
                    tenants.clone()
                };
                if let [only] = tenants.as_slice() {
                    self.rooms.insert(id.as_str(), RoomInfo::configured(only));
                } else {
                    self.rooms.remove(id.as_str());
                    tracing::error!(room_id = %id, mission_locales = ?tenants, "the same room is configured for several Missions Locales (by id or alias): it is served by none");
                }
                self.pending_aliases
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .retain(|(a, _)| *a != alias);
            }
        }
    }

    async fn handle_invite(&self, room: &Room) -> anyhow::Result<()> {
        self.retry_pending_aliases().await;
        let details = room.invite_details().await?;
        let inviter = details.inviter_id.to_string();
        let is_direct = match details.invitee.event().as_ref() {
            matrix_sdk::deserialized_responses::SyncOrStrippedState::Stripped(ev) => {
                ev.content.is_direct
            }
            matrix_sdk::deserialized_responses::SyncOrStrippedState::Sync(ev) => {
                ev.as_original().and_then(|e| e.content.is_direct)
            }
        }
        .unwrap_or(false);
        let room_tenant = if self.configured_contested(room.room_id()) {
            let configured = self
                .configured
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(room.room_id().as_str())
                .cloned()
                .unwrap_or_default();
            RoomTenant::Contested(configured)
        } else {
            self.resolve_team_room(&room.room_id().to_owned()).await
        };
        let inviter_tenants = if is_direct {
            self.tenants_of_member(&inviter).await
        } else {
            Vec::new()
        };
        let facts = InviteFacts {
            inviter: &inviter,
            is_direct,
            room_tenant: &room_tenant,
            inviter_tenants: &inviter_tenants,
        };
        let decision = decide_invite(&self.config.allowlist, &facts);
        match &decision {
            InviteDecision::Decline { reason } => {
                room.leave().await.context("decline")?;
                tracing::info!(room_id = %room.room_id(), %inviter, reason, "invite declined");
                return Ok(());
            }
            InviteDecision::Join { .. } | InviteDecision::JoinAndAsk { .. } => {
                self.note_joining(room.room_id());
                room.join().await.context("join")?;
            }
        }
        let direct = !matches!(decision, InviteDecision::Join { direct: false, .. });
        if direct && !self.is_private(room, &inviter).await {
            // Called "direct" by the inviter, but someone else is (or is invited) there: what
            // the bot would send there in private could be read by others.
            room.leave().await.context("leave a false direct room")?;
            tracing::warn!(room_id = %room.room_id(), %inviter, "a direct invite to a room with other people: left");
            return Ok(());
        }
        match decision {
            InviteDecision::Join {
                tenant,
                direct: true,
            } => {
                self.record_direct(room.room_id().as_str(), &inviter, &tenant)?;
                tracing::info!(room_id = %room.room_id(), %inviter, %tenant, "direct invite accepted");
            }
            InviteDecision::Join { tenant, .. } => {
                tracing::info!(room_id = %room.room_id(), %inviter, %tenant, "invite accepted");
                // Invited back after a kick: what was paused there resumes.
                self.engine
                    .room_back(&tenant, room.room_id().as_str())
                    .await?;
                // Invited to the replacement of an upgraded room: say what followed.
                self.tell_successor(room.room_id().as_str()).await;
            }
            InviteDecision::JoinAndAsk { tenants } => {
                self.engine
                    .store()
                    .put(DM_PENDING, room.room_id().as_bytes(), &tenants)?;
                let options = self.mission_options(&tenants);
                let outbox = self.engine.outbox();
                outbox.queue(vec![crate::outbox::Draft::new(
                    format!("choose|{}", room.room_id()),
                    Outgoing::notice(room.room_id().to_string(), s::choose_mission(&options)),
                )])?;
                outbox.flush().await?;
                tracing::info!(room_id = %room.room_id(), %inviter, ?tenants, "direct invite accepted; the person chooses their Mission Locale");
            }
            InviteDecision::Decline { .. } => {}
        }
        Ok(())
    }

    /// The tenants in whose team rooms `user` is a joined member now, in config order.
    pub(super) async fn tenants_of_member(&self, user: &str) -> Vec<String> {
        let Ok(user_id) = OwnedUserId::try_from(user) else {
            return Vec::new();
        };
        let mut found = Vec::new();
        for ml in &self.engine.config().missions {
            for room_id in self.rooms.team_rooms(&ml.id) {
                let Ok(id) = OwnedRoomId::try_from(room_id.as_str()) else {
                    continue;
                };
                let Some(room) = self.client.get_room(&id) else {
                    continue;
                };
                if let Ok(Some(member)) = room.get_member_no_sync(&user_id).await {
                    if *member.membership() == MembershipState::Join {
                        found.push(ml.id.clone());
                        break;
                    }
                }
            }
        }
        found
    }

    /// Decide again every team room's Mission Locale (a Space or room changed the state that
    /// ties them). A room that lost its Mission Locale has its nudges paused, and is told.
    pub(super) async fn revisit_rooms(&self) {
        let before: HashMap<String, String> = self.rooms.take_space_rooms().into_iter().collect();
        let mut ids: BTreeSet<String> = before.keys().cloned().collect();
        ids.extend(
            self.configured
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .keys()
                .cloned(),
        );
        let mut configured_before: HashMap<String, String> = HashMap::new();
        for id in &ids {
            if let Some(info) = self.rooms.get(id).filter(|i| !i.direct) {
                configured_before.insert(id.clone(), info.tenant);
            }
        }
        for id in ids {
            let Ok(room_id) = OwnedRoomId::try_from(id.as_str()) else {
                continue;
            };
            if self.spaces.iter().any(|(space, _)| *space == room_id) {
                continue;
            }
            let old = before.get(&id).or(configured_before.get(&id)).cloned();
            let decision = if self.configured_contested(&room_id) {
                RoomTenant::Contested(Vec::new())
            } else {
                self.resolve_team_room(&room_id).await
            };
            match &decision {
                RoomTenant::Of(tenant) => {
                    self.rooms.insert(&id, self.info_for(&id, tenant));
                    let joined = self
                        .client
                        .get_room(&room_id)
                        .is_some_and(|r| r.state() == RoomState::Joined);
                    if joined {
                        if let Err(err) = self.engine.room_back(tenant, &id).await {
                            tracing::error!(cause = %err, room_id = %id, "could not resume a room's nudges");
                        }
                    }
                }
                _ => {
                    self.rooms.remove(&id);
                }
            }
            if let Some(old) = old {
                if decision != RoomTenant::Of(old.clone()) {
                    let joined = self
                        .client
                        .get_room(&room_id)
                        .is_some_and(|r| r.state() == RoomState::Joined);
                    let leaving = self.leaving(&room_id, joined);
                    if let Err(err) = self.engine.room_left(&old, &id, leaving).await {
                        tracing::error!(cause = %err, room_id = %id, "could not pause the nudges of a room that left its Mission Locale");
                    }
                }
            }
        }
    }

    /// How a room left: the bot still there (it moved out of the Mission Locale), or removed.
    fn leaving(&self, room_id: &matrix_sdk::ruma::RoomId, joined: bool) -> crate::engine::Leaving {
        if joined {
            return crate::engine::Leaving::Moved;
        }
        let room_name = self
            .client
            .get_room(room_id)
            .and_then(|r| r.name())
            .unwrap_or_else(|| room_id.to_string());
        crate::engine::Leaving::Removed { room_name }
    }

    /// At start: a room where a Mission Locale's nudges are due but that is not that Mission
    /// Locale's any more (it left the Space, is contested, or the bot was removed while it was
    /// stopped) has them paused. Skipped while a configured alias is unresolved (the
    /// homeserver may be unreachable): nothing is paused on a guess.
    pub(super) async fn check_nudge_rooms(&self) {
        if !self
            .pending_aliases
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
        {
            return;
        }
        for ml in &self.engine.config().missions {
            let rooms = match self.engine.nudges().live_rooms(&ml.id) {
                Ok(rooms) => rooms,
                Err(err) => {
                    tracing::error!(cause = %err, "could not list the rooms with nudges");
                    return;
                }
            };
            for id in rooms {
                let Ok(room_id) = OwnedRoomId::try_from(id.as_str()) else {
                    continue;
                };
                let Some(room) = self.client.get_room(&room_id) else {
                    continue;
                };
                let still = match room.state() {
                    RoomState::Joined => {
                        self.rooms.get(&id).is_some_and(|i| i.tenant == ml.id)
                            || self.resolve_team_room(&room_id).await
                                == RoomTenant::Of(ml.id.clone())
                    }
                    RoomState::Left | RoomState::Banned => false,
                    _ => true,
                };
                if !still {
                    let joined = room.state() == RoomState::Joined;
                    let leaving = self.leaving(&room_id, joined);
                    if let Err(err) = self.engine.room_left(&ml.id, &id, leaving).await {
                        tracing::error!(cause = %err, room_id = %id, "could not pause the nudges of a room that left its Mission Locale");
                    }
                }
            }
        }
    }

    /// Team rooms upgraded in this response (an `m.room.tombstone`): follow them to their
    /// replacement. Before invites are handled, so that the replacement's invite is accepted.
    pub(super) async fn follow_tombstones(&self, response: &SyncResponse) {
        let tombstone = |kind: Option<String>, content: Option<serde_json::Value>| {
            if kind.as_deref() != Some("m.room.tombstone") {
                return None;
            }
            content.and_then(|c| c["replacement_room"].as_str().map(str::to_owned))
        };
        for (room_id, update) in &response.rooms.joined {
            let state = match &update.state {
                matrix_sdk::sync::State::Before(events)
                | matrix_sdk::sync::State::After(events) => events,
            };
            let from_state = state.iter().find_map(|e| {
                tombstone(
                    e.get_field::<String>("type").ok().flatten(),
                    e.get_field::<serde_json::Value>("content").ok().flatten(),
                )
            });
            let from_timeline = update.timeline.events.iter().find_map(|e| {
                tombstone(
                    e.raw().get_field::<String>("type").ok().flatten(),
                    e.raw()
                        .get_field::<serde_json::Value>("content")
                        .ok()
                        .flatten(),
                )
            });
            if let Some(new) = from_timeline.or(from_state) {
                self.follow_tombstone(room_id, &new).await;
            }
        }
    }

    async fn follow_tombstone(&self, old: &matrix_sdk::ruma::RoomId, new: &str) {
        let Some(info) = self.rooms.get(old.as_str()).filter(|i| !i.direct) else {
            return;
        };
        let Ok(new_id) = OwnedRoomId::try_from(new) else {
            return;
        };
        let store = self.engine.store();
        if matches!(
            store.get::<Successor>(SUCCESSORS, old.as_bytes()),
            Ok(Some(_))
        ) {
            return;
        }
        let tenant = info.tenant;
        {
            let mut configured = self.configured.write().unwrap_or_else(|e| e.into_inner());
            let tenants = configured.entry(new.to_owned()).or_default();
            if !tenants.contains(&tenant) {
                tenants.push(tenant.clone());
            }
        }
        self.rooms.insert(new, RoomInfo::configured(&tenant));
        let moved = match self.engine.room_moved(&tenant, old.as_str(), new).await {
            Ok(moved) => moved,
            Err(err) => {
                tracing::error!(cause = %err, %old, %new, "could not move an upgraded room's data");
                return;
            }
        };
        let record = Successor {
            new: new.to_owned(),
            tenant,
            moved,
            told: false,
        };
        if let Err(err) = store.put(SUCCESSORS, old.as_bytes(), &record) {
            tracing::error!(cause = %err, "could not record an upgraded room");
        }
        self.note_joining(&new_id);
        match self.client.join_room_by_id(&new_id).await {
            Ok(_) => self.tell_successor(new).await,
            Err(err) => {
                tracing::info!(cause = %err, %new, "cannot join the replacement room yet; its invite will be accepted")
            }
        }
    }

    /// In the replacement of an upgraded room, once: what followed it.
    async fn tell_successor(&self, new: &str) {
        let store = self.engine.store();
        let Ok(successors) = store.scan_prefix::<Successor>(SUCCESSORS, b"") else {
            return;
        };
        for (old, mut successor) in successors {
            if successor.new != new || successor.told {
                continue;
            }
            let old = String::from_utf8_lossy(&old).into_owned();
            if let Err(err) = self
                .engine
                .tell_room_moved(&old, new, successor.moved)
                .await
            {
                tracing::error!(cause = %err, "could not tell the new room");
                continue;
            }
            successor.told = true;
            if let Err(err) = store.put(SUCCESSORS, old.as_bytes(), &successor) {
                tracing::error!(cause = %err, "could not record an upgraded room");
            }
        }
    }

    /// The bot is no longer in these rooms (kicked, banned, or it left): a team room's nudges
    /// and parcours are paused, and the room is forgotten.
    pub(super) async fn rooms_gone(&self, response: &SyncResponse) {
        for room_id in response.rooms.left.keys() {
            let Some(info) = self.rooms.get(room_id.as_str()) else {
                continue;
            };
            if info.direct {
                continue;
            }
            self.rooms.remove(room_id.as_str());
            tracing::warn!(%room_id, tenant = %info.tenant, "the bot is no longer in a team room");
            if let Err(err) = self
                .engine
                .room_left(&info.tenant, room_id.as_str(), self.leaving(room_id, false))
                .await
            {
                tracing::error!(cause = %err, %room_id, "could not pause the nudges of a room the bot left");
            }
        }
    }
}

/// Joined and invited members of `room` are exactly `bot` and `person`.
pub(super) async fn private_with(room: &Room, bot: &str, person: &str) -> bool {
    let ids = |members: Vec<matrix_sdk::room::RoomMember>| {
        members
            .iter()
            .map(|m| m.user_id().to_string())
            .collect::<Vec<_>>()
    };
    let joined = match room.members(RoomMemberships::JOIN).await {
        Ok(members) => ids(members),
        Err(err) => {
            tracing::warn!(cause = %err, room_id = %room.room_id(), "could not read a room's members");
            return false;
        }
    };
    let invited = match room.members(RoomMemberships::INVITE).await {
        Ok(members) => ids(members),
        Err(_) => return false,
    };
    is_private_with(bot, person, &joined, &invited)
}

/// `!mission-locale <id>` (or `!mission <id>`): the id chosen.
fn choice_word(body: &str) -> Option<&str> {
    let mut words = body.split_whitespace();
    let command = crate::core::text::fold(words.next()?);
    if command != "!mission-locale" && command != "!mission" {
        return None;
    }
    words.next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_choice_command_takes_one_id() {
        assert_eq!(choice_word("!mission-locale ml-nord"), Some("ml-nord"));
        assert_eq!(choice_word("!Mission ml-sud merci"), Some("ml-sud"));
        assert_eq!(choice_word("!mission-locale"), None);
        assert_eq!(choice_word("!kit mission"), None);
    }
}
