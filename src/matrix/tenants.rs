//! Which Mission Locale a room belongs to, whether a room is a direct conversation, and
//! whether to accept an invite. Each decision is a plain function over facts the adapter
//! gathers ([`decide_room_tenant`], [`decide_dm_tenant`], [`is_private_with`],
//! [`decide_invite`]), so they are tested without a homeserver.
//!
//! The rules:
//! - a room belongs to a Mission Locale when the configuration lists it, or when it is a child
//!   of the Mission Locale's Space **and both sides agree**: the Space's `m.space.child` has a
//!   non-empty `via`, and the room has an `m.space.parent` pointing back to the Space or the
//!   person who added the child has the power to do so in the room itself. A room claimed by
//!   two Missions Locales belongs to neither (refused and logged);
//! - a direct room is one whose joined and invited members are exactly the bot and the person;
//! - a direct room's Mission Locale comes from the team rooms the person is joined to now; a
//!   person in several chooses (`!mission-locale`), never silently the first.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::config::Allowlist;

/// Room id → Mission Locale id, shared between the sync loop, the scheduler and the transport.
#[derive(Debug, Clone, Default)]
pub struct RoomMap {
    inner: Arc<RwLock<HashMap<String, RoomInfo>>>,
}

/// Why a room belongs to its Mission Locale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Listed in the configuration.
    Configured,
    /// A child of the Mission Locale's Space, both sides agreeing (revisited when their state
    /// changes).
    Space,
    /// A direct conversation with one person of that Mission Locale.
    Direct,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomInfo {
    pub tenant: String,
    /// A direct-message room with one person.
    pub direct: bool,
    pub source: Source,
}

impl RoomInfo {
    pub fn configured(tenant: &str) -> RoomInfo {
        RoomInfo {
            tenant: tenant.to_owned(),
            direct: false,
            source: Source::Configured,
        }
    }

    pub fn space(tenant: &str) -> RoomInfo {
        RoomInfo {
            tenant: tenant.to_owned(),
            direct: false,
            source: Source::Space,
        }
    }

    pub fn direct(tenant: &str) -> RoomInfo {
        RoomInfo {
            tenant: tenant.to_owned(),
            direct: true,
            source: Source::Direct,
        }
    }
}

impl RoomMap {
    pub fn get(&self, room_id: &str) -> Option<RoomInfo> {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(room_id)
            .cloned()
    }

    pub fn insert(&self, room_id: &str, info: RoomInfo) {
        self.inner
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(room_id.to_owned(), info);
    }

    pub fn remove(&self, room_id: &str) -> Option<RoomInfo> {
        self.inner
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(room_id)
    }

    /// Forget every room known through a Space (to be resolved again): (room id, tenant).
    pub fn take_space_rooms(&self) -> Vec<(String, String)> {
        let mut map = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let rooms: Vec<(String, String)> = map
            .iter()
            .filter(|(_, i)| i.source == Source::Space)
            .map(|(r, i)| (r.clone(), i.tenant.clone()))
            .collect();
        for (room, _) in &rooms {
            map.remove(room);
        }
        rooms
    }

    /// The team rooms (not DMs) of a tenant.
    pub fn team_rooms(&self, tenant: &str) -> Vec<String> {
        let map = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let mut rooms: Vec<String> = map
            .iter()
            .filter(|(_, i)| i.tenant == tenant && !i.direct)
            .map(|(r, _)| r.clone())
            .collect();
        rooms.sort();
        rooms
    }
}

/// One Mission Locale's Space lists the room as a child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpaceClaim {
    pub tenant: String,
    /// The `m.space.child` event has a non-empty `via` (an empty content is a removed child).
    pub via: bool,
    /// The room's own `m.space.parent` points to that Space (with a non-empty `via`).
    pub parent_agrees: bool,
    /// Whoever added the child may send `m.space.parent` in the room itself.
    pub adder_has_power: bool,
}

/// What decides a room's Mission Locale.
#[derive(Debug, Clone, Default)]
pub struct RoomFacts {
    /// The Missions Locales whose configuration lists the room (by id or alias, resolved).
    pub configured: Vec<String>,
    pub claims: Vec<SpaceClaim>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomTenant {
    Of(String),
    /// Claimed by several Missions Locales: served by none.
    Contested(Vec<String>),
    Unclaimed,
}

pub fn decide_room_tenant(facts: &RoomFacts) -> RoomTenant {
    let mut tenants: Vec<String> = facts.configured.clone();
    for claim in &facts.claims {
        if claim.via && (claim.parent_agrees || claim.adder_has_power) {
            tenants.push(claim.tenant.clone());
        }
    }
    tenants.sort();
    tenants.dedup();
    match tenants.len() {
        0 => RoomTenant::Unclaimed,
        1 => RoomTenant::Of(tenants.remove(0)),
        _ => RoomTenant::Contested(tenants),
    }
}

/// A room is private with `person` when its members, joined or invited, are exactly the bot
/// (joined) and that person (joined, or invited and not joined yet: a direct room the bot
/// opened).
pub fn is_private_with(bot: &str, person: &str, joined: &[String], invited: &[String]) -> bool {
    let mut everyone: Vec<&str> = joined
        .iter()
        .chain(invited.iter())
        .map(String::as_str)
        .collect();
    everyone.sort_unstable();
    everyone.dedup();
    let mut expected = vec![bot, person];
    expected.sort_unstable();
    joined.iter().any(|m| m == bot) && everyone == expected && bot != person
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DmTenant {
    Use(String),
    /// The person is in several Missions Locales and must choose.
    Ask(Vec<String>),
    /// The person is in no Mission Locale's team room.
    NoTeam,
}

/// The Mission Locale of a direct room: the one recorded while the person is still joined to
/// one of its team rooms (or to none at all: they keep access to their own data there); else
/// the one team they are in now; else they choose.
pub fn decide_dm_tenant(recorded: Option<&str>, current: &[String]) -> DmTenant {
    if let Some(recorded) = recorded {
        if current.is_empty() || current.iter().any(|t| t == recorded) {
            return DmTenant::Use(recorded.to_owned());
        }
    }
    match current {
        [] => DmTenant::NoTeam,
        [one] => DmTenant::Use(one.clone()),
        several => DmTenant::Ask(several.to_vec()),
    }
}

/// What the adapter knows when an invite arrives.
#[derive(Debug, Clone)]
pub struct InviteFacts<'a> {
    pub inviter: &'a str,
    pub is_direct: bool,
    /// The Mission Locale the room belongs to (configured room, or child of its Space).
    pub room_tenant: &'a RoomTenant,
    /// For a DM: the Mission Locales in whose team rooms the inviter is joined now.
    pub inviter_tenants: &'a [String],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteDecision {
    Join {
        tenant: String,
        direct: bool,
    },
    /// A direct room with someone in several Missions Locales: join, then ask which one.
    JoinAndAsk {
        tenants: Vec<String>,
    },
    Decline {
        reason: &'static str,
    },
}

pub fn decide_invite(allowlist: &Allowlist, facts: &InviteFacts<'_>) -> InviteDecision {
    if !allowlist.allows(facts.inviter) {
        return InviteDecision::Decline {
            reason: "inviter not in allowed_inviters",
        };
    }
    match facts.room_tenant {
        RoomTenant::Of(tenant) => {
            return InviteDecision::Join {
                tenant: tenant.clone(),
                direct: false,
            }
        }
        RoomTenant::Contested(_) => {
            return InviteDecision::Decline {
                reason: "room claimed by several Missions Locales",
            }
        }
        RoomTenant::Unclaimed => {}
    }
    if facts.is_direct {
        return match decide_dm_tenant(None, facts.inviter_tenants) {
            DmTenant::NoTeam => InviteDecision::Decline {
                reason: "direct invite from someone in no Mission Locale room",
            },
            DmTenant::Use(tenant) => InviteDecision::Join {
                tenant,
                direct: true,
            },
            DmTenant::Ask(tenants) => InviteDecision::JoinAndAsk { tenants },
        };
    }
    InviteDecision::Decline {
        reason: "room belongs to no configured Mission Locale",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(tenant: &str, via: bool, parent_agrees: bool, adder_has_power: bool) -> SpaceClaim {
        SpaceClaim {
            tenant: tenant.into(),
            via,
            parent_agrees,
            adder_has_power,
        }
    }

    #[test]
    fn a_room_belongs_to_a_mission_locale_only_when_both_sides_agree() {
        let cases: Vec<(&str, RoomFacts, RoomTenant)> = vec![
            (
                "configured",
                RoomFacts {
                    configured: vec!["a".into()],
                    claims: vec![],
                },
                RoomTenant::Of("a".into()),
            ),
            (
                "space child with the room's parent pointing back",
                RoomFacts {
                    configured: vec![],
                    claims: vec![claim("a", true, true, false)],
                },
                RoomTenant::Of("a".into()),
            ),
            (
                "space child added by someone with power in the room",
                RoomFacts {
                    configured: vec![],
                    claims: vec![claim("a", true, false, true)],
                },
                RoomTenant::Of("a".into()),
            ),
            (
                "space child the room has no say in (an edit of the Space alone)",
                RoomFacts {
                    configured: vec![],
                    claims: vec![claim("a", true, false, false)],
                },
                RoomTenant::Unclaimed,
            ),
            (
                "removed child (empty content, no via)",
                RoomFacts {
                    configured: vec![],
                    claims: vec![claim("a", false, true, true)],
                },
                RoomTenant::Unclaimed,
            ),
            (
                "listed in two Spaces, both agreeing",
                RoomFacts {
                    configured: vec![],
                    claims: vec![claim("b", true, true, false), claim("a", true, true, false)],
                },
                RoomTenant::Contested(vec!["a".into(), "b".into()]),
            ),
            (
                "configured in A, agreed child of B's Space",
                RoomFacts {
                    configured: vec!["a".into()],
                    claims: vec![claim("b", true, false, true)],
                },
                RoomTenant::Contested(vec!["a".into(), "b".into()]),
            ),
            (
                "configured in A (by id) and in B (by alias)",
                RoomFacts {
                    configured: vec!["a".into(), "b".into()],
                    claims: vec![],
                },
                RoomTenant::Contested(vec!["a".into(), "b".into()]),
            ),
            (
                "configured in A, a one-sided child of B's Space",
                RoomFacts {
                    configured: vec!["a".into()],
                    claims: vec![claim("b", true, false, false)],
                },
                RoomTenant::Of("a".into()),
            ),
            ("nothing", RoomFacts::default(), RoomTenant::Unclaimed),
        ];
        for (what, facts, expected) in cases {
            assert_eq!(decide_room_tenant(&facts), expected, "{what}");
        }
    }

    #[test]
    fn a_direct_room_is_the_bot_and_the_person_only() {
        let v = |m: &[&str]| m.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (bot, ana) = ("@bot:x", "@ana:x");
        assert!(is_private_with(bot, ana, &v(&[bot, ana]), &[]));
        assert!(!is_private_with(bot, ana, &v(&[bot, ana, "@eve:x"]), &[]));
        assert!(!is_private_with(bot, ana, &v(&[bot, ana]), &v(&["@eve:x"])));
        assert!(!is_private_with(bot, ana, &v(&[bot, "@eve:x"]), &[]));
        // A direct room the bot opened, not accepted yet.
        assert!(is_private_with(bot, ana, &v(&[bot]), &v(&[ana])));
        assert!(!is_private_with(bot, ana, &v(&[ana]), &v(&[bot])));
        assert!(!is_private_with(bot, ana, &v(&[bot]), &v(&[ana, "@eve:x"])));
    }

    #[test]
    fn a_direct_rooms_mission_locale_comes_from_where_the_person_is_now() {
        let v = |m: &[&str]| m.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            decide_dm_tenant(Some("a"), &v(&["a", "b"])),
            DmTenant::Use("a".into())
        );
        // Left every team room: keeps access to their own data where it was.
        assert_eq!(decide_dm_tenant(Some("a"), &[]), DmTenant::Use("a".into()));
        // Moved from A to B.
        assert_eq!(
            decide_dm_tenant(Some("a"), &v(&["b"])),
            DmTenant::Use("b".into())
        );
        assert_eq!(
            decide_dm_tenant(Some("a"), &v(&["b", "c"])),
            DmTenant::Ask(v(&["b", "c"]))
        );
        assert_eq!(decide_dm_tenant(None, &[]), DmTenant::NoTeam);
        assert_eq!(
            decide_dm_tenant(None, &v(&["b"])),
            DmTenant::Use("b".into())
        );
        assert_eq!(
            decide_dm_tenant(None, &v(&["a", "b"])),
            DmTenant::Ask(v(&["a", "b"]))
        );
    }

    #[test]
    fn invite_decisions() {
        let allow = Allowlist::parse(&["@*:ml.fr".into()]).expect("valid");
        let none: Vec<String> = Vec::new();
        let demo = vec!["demo".to_owned()];
        let two = vec!["a".to_owned(), "b".to_owned()];
        let of_demo = RoomTenant::Of("demo".into());
        let contested = RoomTenant::Contested(two.clone());
        let unclaimed = RoomTenant::Unclaimed;
        let cases: Vec<(InviteFacts<'_>, InviteDecision)> = vec![
            (
                InviteFacts {
                    inviter: "@a:ml.fr",
                    is_direct: false,
                    room_tenant: &of_demo,
                    inviter_tenants: &none,
                },
                InviteDecision::Join {
                    tenant: "demo".into(),
                    direct: false,
                },
            ),
            (
                InviteFacts {
                    inviter: "@a:evil.fr",
                    is_direct: false,
                    room_tenant: &of_demo,
                    inviter_tenants: &none,
                },
                InviteDecision::Decline {
                    reason: "inviter not in allowed_inviters",
                },
            ),
            (
                InviteFacts {
                    inviter: "@a:ml.fr",
                    is_direct: false,
                    room_tenant: &contested,
                    inviter_tenants: &none,
                },
                InviteDecision::Decline {
                    reason: "room claimed by several Missions Locales",
                },
            ),
            (
                InviteFacts {
                    inviter: "@a:ml.fr",
                    is_direct: false,
                    room_tenant: &unclaimed,
                    inviter_tenants: &demo,
                },
                InviteDecision::Decline {
                    reason: "room belongs to no configured Mission Locale",
                },
            ),
            (
                InviteFacts {
                    inviter: "@a:ml.fr",
                    is_direct: true,
                    room_tenant: &unclaimed,
                    inviter_tenants: &demo,
                },
                InviteDecision::Join {
                    tenant: "demo".into(),
                    direct: true,
                },
            ),
            (
                InviteFacts {
                    inviter: "@a:ml.fr",
                    is_direct: true,
                    room_tenant: &unclaimed,
                    inviter_tenants: &two,
                },
                InviteDecision::JoinAndAsk {
                    tenants: two.clone(),
                },
            ),
            (
                InviteFacts {
                    inviter: "@a:ml.fr",
                    is_direct: true,
                    room_tenant: &unclaimed,
                    inviter_tenants: &none,
                },
                InviteDecision::Decline {
                    reason: "direct invite from someone in no Mission Locale room",
                },
            ),
        ];
        for (facts, expected) in cases {
            assert_eq!(decide_invite(&allow, &facts), expected, "{facts:?}");
        }
    }
}
