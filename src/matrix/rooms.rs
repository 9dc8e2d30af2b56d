//! Which room belongs to which Mission Locale, and invites, as seen from Matrix: the configured
//! rooms and Spaces resolved to room ids at start, Space children found on demand, recorded
//! direct rooms reloaded, invites accepted or declined (the decision itself is the pure
//! [`decide_invite`] in `tenants.rs`), and the Missions Locales a person belongs to.

use std::sync::Arc;

use anyhow::Context as _;
use matrix_sdk::ruma::events::room::member::MembershipState;
use matrix_sdk::ruma::events::space::child::SpaceChildEventContent;
use matrix_sdk::ruma::{OwnedRoomId, OwnedRoomOrAliasId, RoomAliasId};
use matrix_sdk::sync::SyncResponse;
use matrix_sdk::{Room, RoomState};

use super::tenants::{decide_invite, InviteDecision, InviteFacts, RoomInfo};
use super::Adapter;

impl Adapter {
    /// Resolve the configured rooms and Spaces to room ids, and reload the recorded DMs.
    pub(super) async fn with_tenants(mut self) -> Adapter {
        let mut spaces = Vec::new();
        for ml in &self.engine.config().missions {
            for room in &ml.rooms {
                match self.resolve(room).await {
                    Some(id) => self.rooms.insert(
                        id.as_str(),
                        RoomInfo {
                            tenant: ml.id.clone(),
                            direct: false,
                        },
                    ),
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
                        self.rooms.insert(
                            id.as_str(),
                            RoomInfo {
                                tenant: ml.id.clone(),
                                direct: false,
                            },
                        );
                        spaces.push((id, ml.id.clone()));
                    }
                    None => {
                        tracing::warn!(space, mission_locale = %ml.id, "configured space could not be resolved")
                    }
                }
            }
        }
        match self.engine.store().scan_prefix::<String>("dm_rooms", b"") {
            Ok(dms) => {
                for (room, tenant) in dms {
                    let room = String::from_utf8_lossy(&room).into_owned();
                    self.rooms.insert(
                        &room,
                        RoomInfo {
                            tenant,
                            direct: true,
                        },
                    );
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
        let mut targets: Vec<String> = Vec::new();
        for ml in &self.engine.config().missions {
            targets.extend(ml.rooms.iter().cloned());
            targets.extend(ml.space.iter().cloned());
        }
        for target in targets {
            let Ok(id) = OwnedRoomOrAliasId::try_from(target.as_str()) else {
                continue;
            };
            if let Ok(room_id) = OwnedRoomId::try_from(target.as_str()) {
                if self
                    .client
                    .get_room(&room_id)
                    .is_some_and(|r| r.state() == RoomState::Joined)
                {
                    continue;
                }
            }
            if let Err(err) = self.client.join_room_by_id_or_alias(&id, &[]).await {
                tracing::info!(cause = %err, room = %target, "could not join a configured room yet (invite the bot)");
            }
        }
    }

    /// The tenant of a room: configured, recorded DM, or child of a configured Space.
    pub(super) async fn room_info(&self, room: &Room) -> Option<RoomInfo> {
        if let Some(info) = self.rooms.get(room.room_id().as_str()) {
            return Some(info);
        }
        for (space_id, tenant) in self.spaces.iter() {
            let Some(space) = self.client.get_room(space_id) else {
                continue;
            };
            let child = space
                .get_state_event_static_for_key::<SpaceChildEventContent, _>(room.room_id())
                .await
                .ok()
                .flatten();
            if child.is_some() {
                let info = RoomInfo {
                    tenant: tenant.clone(),
                    direct: false,
                };
                self.rooms.insert(room.room_id().as_str(), info.clone());
                return Some(info);
            }
        }
        None
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
                self.rooms.insert(
                    id.as_str(),
                    RoomInfo {
                        tenant,
                        direct: false,
                    },
                );
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
        let room_tenant = self
            .room_info(room)
            .await
            .filter(|i| !i.direct)
            .map(|i| i.tenant);
        let inviter_tenants = if is_direct {
            self.tenants_of_member(&inviter).await
        } else {
            Vec::new()
        };
        let facts = InviteFacts {
            inviter: &inviter,
            is_direct,
            room_tenant: room_tenant.as_deref(),
            inviter_tenants: &inviter_tenants,
        };
        match decide_invite(&self.config.allowlist, &facts) {
            InviteDecision::Join { tenant, direct } => {
                room.join().await.context("join")?;
                if direct {
                    self.engine
                        .store()
                        .put("dm_rooms", room.room_id().as_bytes(), &tenant)?;
                    self.engine.store().put(
                        "dm_of",
                        format!("{tenant}|{inviter}").as_bytes(),
                        &room.room_id().to_string(),
                    )?;
                    self.rooms.insert(
                        room.room_id().as_str(),
                        RoomInfo {
                            tenant: tenant.clone(),
                            direct: true,
                        },
                    );
                }
                tracing::info!(room_id = %room.room_id(), %inviter, %tenant, direct, "invite accepted");
            }
            InviteDecision::Decline { reason } => {
                room.leave().await.context("decline")?;
                tracing::info!(room_id = %room.room_id(), %inviter, reason, "invite declined");
            }
        }
        Ok(())
    }

    /// The tenants in whose team rooms `user` is a joined member, in config order.
    async fn tenants_of_member(&self, user: &str) -> Vec<String> {
        let Ok(user_id) = matrix_sdk::ruma::OwnedUserId::try_from(user) else {
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
                if let Ok(Some(member)) = room.get_member(&user_id).await {
                    if *member.membership() == MembershipState::Join {
                        found.push(ml.id.clone());
                        break;
                    }
                }
            }
        }
        found
    }
}
