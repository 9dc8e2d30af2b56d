//! A sender's role, from room power levels: coordination when the person is joined to the team
//! room and at or above the Mission Locale's threshold there. A room without a power-level
//! event follows the spec (its creator has 100). In a direct room nobody coordinates: the
//! commands that act on or list a Mission Locale's team rooms are used in a team room, where
//! the room itself says who coordinates it. There is no user database.
//!
//! The decision is a plain function ([`decide_role`]) over facts the adapter gathers, tested
//! table-driven without a homeserver.
//!
//! The facts read from the room's state (membership, power level) are kept in a [`RoleCache`]
//! until a sync response carries a membership or power-level change, or anything else that may
//! change them unseen (a gap, rooms joined or left): read from matrix-sdk's store for every
//! command, they cost 0.2–1.1 ms of CPU per command in bursts (BENCHMARKS.md, "Roles kept
//! between commands").

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use matrix_sdk::ruma::events::room::member::MembershipState;
use matrix_sdk::ruma::events::room::power_levels::UserPowerLevel;
use matrix_sdk::ruma::{OwnedRoomId, OwnedUserId};
use matrix_sdk::Room;

use crate::core::Role;

use super::tenants::RoomInfo;
use super::Adapter;

/// What decides a person's role in one room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleFacts {
    /// The room is a direct conversation with the bot.
    pub direct: bool,
    /// The person is joined to the room now (not left, not only invited).
    pub joined: bool,
    /// Their power level there (`None`: infinite, as a room creator in v12 rooms).
    pub level: Option<i64>,
    /// The Mission Locale's coordination threshold.
    pub threshold: i64,
}

/// What a room's state says about one person: [`RoleFacts::joined`] and [`RoleFacts::level`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateFacts {
    pub joined: bool,
    pub level: Option<i64>,
}

/// [`StateFacts`] by room and person, as read from matrix-sdk's store, kept until
/// [`RoleCache::forget_all`]. A read that started before a `forget_all` is not kept (its facts
/// may be older than the change that caused it). Bounded: emptied when it reaches
/// [`RoleCache::MAX`] entries.
#[derive(Clone, Default)]
pub struct RoleCache {
    inner: Arc<Mutex<CacheInner>>,
}

#[derive(Default)]
struct CacheInner {
    /// Bumped by every `forget_all`.
    generation: u64,
    facts: HashMap<(OwnedRoomId, OwnedUserId), StateFacts>,
}

impl RoleCache {
    /// The most entries kept (people × rooms); a bigger set starts again from empty.
    pub const MAX: usize = 4096;

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The facts kept for `user` in `room`, or the generation to hand to [`RoleCache::keep`]
    /// after reading them.
    pub fn get(&self, room: &OwnedRoomId, user: &OwnedUserId) -> Result<StateFacts, u64> {
        let inner = self.lock();
        match inner.facts.get(&(room.clone(), user.clone())) {
            Some(facts) => Ok(*facts),
            None => Err(inner.generation),
        }
    }

    /// Keep `facts`, read since [`RoleCache::get`] returned `generation`, unless the cache was
    /// emptied meanwhile.
    pub fn keep(&self, generation: u64, room: OwnedRoomId, user: OwnedUserId, facts: StateFacts) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        if inner.facts.len() >= Self::MAX {
            inner.facts.clear();
        }
        inner.facts.insert((room, user), facts);
    }

    /// Forget everything: the rooms' state may have changed.
    pub fn forget_all(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.facts.clear();
    }

    /// How many entries are kept (tests).
    pub fn len(&self) -> usize {
        self.lock().facts.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The role those facts give.
pub fn decide_role(facts: RoleFacts) -> Role {
    if facts.direct || !facts.joined {
        return Role::Membre;
    }
    match facts.level {
        None => Role::Coordination,
        Some(level) if level >= facts.threshold => Role::Coordination,
        Some(_) => Role::Membre,
    }
}

/// What `room`'s state in matrix-sdk's store says about `user`; `None` when the member list
/// could not be read.
async fn state_facts(room: &Room, user: &OwnedUserId) -> Option<StateFacts> {
    let joined = match room.get_member(user).await {
        Ok(Some(member)) => *member.membership() == MembershipState::Join,
        Ok(None) => false,
        Err(err) => {
            tracing::warn!(cause = %err, room_id = %room.room_id(), "could not read a room's members");
            return None;
        }
    };
    // With no power-level event, the spec's defaults: the creator has 100.
    let level = match room.power_levels_or_default().await.for_user(user) {
        UserPowerLevel::Infinite => None,
        UserPowerLevel::Int(n) => Some(i64::from(n)),
        _ => Some(0),
    };
    Some(StateFacts { joined, level })
}

impl Adapter {
    pub(super) async fn role_of(&self, room: &Room, info: &RoomInfo, sender: &str) -> Role {
        self.known_role(room, info, sender)
            .await
            .unwrap_or(Role::Membre)
    }

    /// The role, or `None` when the homeserver could not tell whether the person is a member
    /// (the member list could not be fetched): a caller that takes something away on a lost
    /// role does nothing then.
    async fn known_role(&self, room: &Room, info: &RoomInfo, sender: &str) -> Option<Role> {
        let Some(ml) = self.engine.mission(&info.tenant) else {
            return Some(Role::Membre);
        };
        let Ok(user) = OwnedUserId::try_from(sender) else {
            return Some(Role::Membre);
        };
        if info.direct {
            return Some(Role::Membre);
        }
        let room_id = room.room_id().to_owned();
        let facts = match self.roles.get(&room_id, &user) {
            Ok(facts) => facts,
            Err(generation) => {
                let facts = state_facts(room, &user).await?;
                self.roles.keep(generation, room_id, user, facts);
                facts
            }
        };
        Some(decide_role(RoleFacts {
            direct: false,
            joined: facts.joined,
            level: facts.level,
            threshold: ml.coordination_level,
        }))
    }

    /// Stop the weekly digest of every subscriber who coordinates none of their Mission
    /// Locale's team rooms any more (left the rooms, or lowered below the coordination level).
    /// Run at start and when a sync carries membership or power-level changes. A subscriber
    /// is kept when the bot is in none of the Mission Locale's team rooms, or when a member
    /// list could not be read: only a role seen lost stops a digest.
    pub(super) async fn recheck_digest_subscribers(&self) {
        let subscriptions = match crate::feedback::digest::all(self.engine.store()) {
            Ok(subs) => subs,
            Err(err) => {
                tracing::warn!(cause = %err, "could not read the digest subscriptions");
                return;
            }
        };
        for sub in subscriptions {
            let mut seen = 0usize;
            let mut coordinates = false;
            let mut unknown = false;
            for id in self.rooms.team_rooms(&sub.tenant) {
                let Ok(room_id) = matrix_sdk::ruma::OwnedRoomId::try_from(id.as_str()) else {
                    continue;
                };
                let Some(room) = self
                    .client
                    .get_room(&room_id)
                    .filter(|r| r.state() == matrix_sdk::RoomState::Joined)
                else {
                    continue;
                };
                let Some(info) = self.rooms.get(&id) else {
                    continue;
                };
                seen += 1;
                match self.known_role(&room, &info, &sub.user_id).await {
                    Some(Role::Coordination) => {
                        coordinates = true;
                        break;
                    }
                    Some(Role::Membre) => {}
                    None => unknown = true,
                }
            }
            if seen == 0 || coordinates || unknown {
                continue;
            }
            if let Err(err) =
                crate::engine::digest::lost_coordination(&self.engine, &sub.tenant, &sub.user_id)
                    .await
            {
                tracing::error!(cause = %err, "could not stop a digest whose subscriber no longer coordinates");
            }
        }
    }

    /// Whether `sender` may redact other people's messages in `room` (a moderator).
    pub(super) async fn can_redact_others(&self, room: &Room, sender: &str) -> bool {
        let Ok(user) = OwnedUserId::try_from(sender) else {
            return false;
        };
        room.power_levels_or_default()
            .await
            .user_can_redact_event_of_other(&user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_by_person() {
        struct Case {
            who: &'static str,
            facts: RoleFacts,
            expected: Role,
        }
        let room = |joined, level| RoleFacts {
            direct: false,
            joined,
            level,
            threshold: 50,
        };
        let cases = [
            Case {
                who: "member",
                facts: room(true, Some(0)),
                expected: Role::Membre,
            },
            Case {
                who: "coordinator",
                facts: room(true, Some(50)),
                expected: Role::Coordination,
            },
            Case {
                who: "room creator of a v12 room (infinite power)",
                facts: room(true, None),
                expected: Role::Coordination,
            },
            Case {
                who: "coordinator who left the room (still in the power-level event)",
                facts: room(false, Some(100)),
                expected: Role::Membre,
            },
            Case {
                who: "coordinator, in a direct room",
                facts: RoleFacts {
                    direct: true,
                    ..room(true, Some(100))
                },
                expected: Role::Membre,
            },
            Case {
                who: "person just under the threshold",
                facts: room(true, Some(49)),
                expected: Role::Membre,
            },
        ];
        for case in cases {
            assert_eq!(decide_role(case.facts), case.expected, "{}", case.who);
        }
    }

    fn ids(room: &str, user: &str) -> (OwnedRoomId, OwnedUserId) {
        (
            OwnedRoomId::try_from(room).expect("room id"),
            OwnedUserId::try_from(user).expect("user id"),
        )
    }

    const COORDINATES: StateFacts = StateFacts {
        joined: true,
        level: Some(100),
    };

    #[test]
    fn facts_are_kept_per_room_and_person_until_forgotten() {
        let cache = RoleCache::default();
        let (room, alice) = ids("!a:example.org", "@alice:example.org");
        let (other_room, bob) = ids("!b:example.org", "@bob:example.org");
        let generation = cache.get(&room, &alice).expect_err("nothing kept yet");
        cache.keep(generation, room.clone(), alice.clone(), COORDINATES);
        assert_eq!(cache.get(&room, &alice), Ok(COORDINATES));
        assert!(cache.get(&room, &bob).is_err(), "another person");
        assert!(cache.get(&other_room, &alice).is_err(), "another room");
        cache.forget_all();
        assert!(cache.get(&room, &alice).is_err(), "forgotten");
        assert!(cache.is_empty());
    }

    #[test]
    fn a_read_that_started_before_a_change_is_not_kept() {
        let cache = RoleCache::default();
        let (room, alice) = ids("!a:example.org", "@alice:example.org");
        let generation = cache.get(&room, &alice).expect_err("nothing kept yet");
        // The state changes while the store is being read.
        cache.forget_all();
        cache.keep(generation, room.clone(), alice.clone(), COORDINATES);
        assert!(cache.get(&room, &alice).is_err(), "stale facts kept");
        let generation = cache.get(&room, &alice).expect_err("still nothing");
        cache.keep(generation, room.clone(), alice.clone(), COORDINATES);
        assert_eq!(cache.get(&room, &alice), Ok(COORDINATES));
    }

    #[test]
    fn the_cache_never_holds_more_than_its_bound() {
        let cache = RoleCache::default();
        let room = OwnedRoomId::try_from("!a:example.org").expect("room id");
        for n in 0..RoleCache::MAX * 2 + 3 {
            let user = OwnedUserId::try_from(format!("@u{n}:example.org")).expect("user id");
            let generation = cache.get(&room, &user).expect_err("new person");
            cache.keep(generation, room.clone(), user.clone(), COORDINATES);
            assert!(cache.len() <= RoleCache::MAX);
            assert_eq!(
                cache.get(&room, &user),
                Ok(COORDINATES),
                "the newest is kept"
            );
        }
    }
}
