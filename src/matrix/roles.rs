//! A sender's role, from room power levels: coordination when the person is joined to the team
//! room and at or above the Mission Locale's threshold there. A room without a power-level
//! event follows the spec (its creator has 100). In a direct room nobody coordinates: the
//! commands that act on or list a Mission Locale's team rooms are used in a team room, where
//! the room itself says who coordinates it. There is no user database.
//!
//! The decision is a plain function ([`decide_role`]) over facts the adapter gathers, tested
//! table-driven without a homeserver.

use matrix_sdk::ruma::events::room::member::MembershipState;
use matrix_sdk::ruma::events::room::power_levels::UserPowerLevel;
use matrix_sdk::ruma::OwnedUserId;
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

impl Adapter {
    pub(super) async fn role_of(&self, room: &Room, info: &RoomInfo, sender: &str) -> Role {
        let Some(ml) = self.engine.mission(&info.tenant) else {
            return Role::Membre;
        };
        let Ok(user) = OwnedUserId::try_from(sender) else {
            return Role::Membre;
        };
        if info.direct {
            return Role::Membre;
        }
        let joined = matches!(
            room.get_member(&user).await,
            Ok(Some(member)) if *member.membership() == MembershipState::Join
        );
        // With no power-level event, the spec's defaults: the creator has 100.
        let level = match room.power_levels_or_default().await.for_user(&user) {
            UserPowerLevel::Infinite => None,
            UserPowerLevel::Int(n) => Some(i64::from(n)),
            _ => Some(0),
        };
        decide_role(RoleFacts {
            direct: false,
            joined,
            level,
            threshold: ml.coordination_level,
        })
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
}
