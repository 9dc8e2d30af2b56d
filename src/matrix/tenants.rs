//! Which Mission Locale a room belongs to, and whether to accept an invite. The decision is a
//! plain function ([`decide_invite`]) over facts the adapter gathers, so it is tested without a
//! homeserver.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::config::Allowlist;

/// Room id → Mission Locale id, shared between the sync loop and the scheduler.
#[derive(Debug, Clone, Default)]
pub struct RoomMap {
    inner: Arc<RwLock<HashMap<String, RoomInfo>>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomInfo {
    pub tenant: String,
    /// A direct-message room with one person.
    pub direct: bool,
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

/// What the adapter knows when an invite arrives.
#[derive(Debug, Clone)]
pub struct InviteFacts<'a> {
    pub inviter: &'a str,
    pub is_direct: bool,
    /// The Mission Locale the room belongs to (configured room, or child of its Space).
    pub room_tenant: Option<&'a str>,
    /// For a DM: the Mission Locales in whose team rooms the inviter is a member.
    pub inviter_tenants: &'a [String],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteDecision {
    Join { tenant: String, direct: bool },
    Decline { reason: &'static str },
}

pub fn decide_invite(allowlist: &Allowlist, facts: &InviteFacts<'_>) -> InviteDecision {
    if !allowlist.allows(facts.inviter) {
        return InviteDecision::Decline {
            reason: "inviter not in allowed_inviters",
        };
    }
    if let Some(tenant) = facts.room_tenant {
        return InviteDecision::Join {
            tenant: tenant.to_owned(),
            direct: false,
        };
    }
    if facts.is_direct {
        return match facts.inviter_tenants {
            [] => InviteDecision::Decline {
                reason: "direct invite from someone in no Mission Locale room",
            },
            // Someone in two Mission Locales' rooms: the first configured wins; the order is stable.
            [tenant, ..] => InviteDecision::Join {
                tenant: tenant.clone(),
                direct: true,
            },
        };
    }
    InviteDecision::Decline {
        reason: "room belongs to no configured Mission Locale",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_decisions() {
        let allow = Allowlist::parse(&["@*:ml.fr".into()]).expect("valid");
        struct Case {
            facts: InviteFacts<'static>,
            expected: InviteDecision,
        }
        static TENANTS: [String; 0] = [];
        let demo = vec!["demo".to_owned()].leak();
        let cases = [
            Case {
                facts: InviteFacts {
                    inviter: "@a:ml.fr",
                    is_direct: false,
                    room_tenant: Some("demo"),
                    inviter_tenants: &TENANTS,
                },
                expected: InviteDecision::Join {
                    tenant: "demo".into(),
                    direct: false,
                },
            },
            Case {
                facts: InviteFacts {
                    inviter: "@a:evil.fr",
                    is_direct: false,
                    room_tenant: Some("demo"),
                    inviter_tenants: &TENANTS,
                },
                expected: InviteDecision::Decline {
                    reason: "inviter not in allowed_inviters",
                },
            },
            Case {
                facts: InviteFacts {
                    inviter: "@a:ml.fr",
                    is_direct: false,
                    room_tenant: None,
                    inviter_tenants: demo,
                },
                expected: InviteDecision::Decline {
                    reason: "room belongs to no configured Mission Locale",
                },
            },
            Case {
                facts: InviteFacts {
                    inviter: "@a:ml.fr",
                    is_direct: true,
                    room_tenant: None,
                    inviter_tenants: demo,
                },
                expected: InviteDecision::Join {
                    tenant: "demo".into(),
                    direct: true,
                },
            },
            Case {
                facts: InviteFacts {
                    inviter: "@a:ml.fr",
                    is_direct: true,
                    room_tenant: None,
                    inviter_tenants: &TENANTS,
                },
                expected: InviteDecision::Decline {
                    reason: "direct invite from someone in no Mission Locale room",
                },
            },
        ];
        for case in cases {
            assert_eq!(
                decide_invite(&allow, &case.facts),
                case.expected,
                "{:?}",
                case.facts
            );
        }
    }
}
