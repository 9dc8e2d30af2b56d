//! Who may use a command. Roles come from room power levels (coordination = at or above the
//! Mission Locale's threshold); there is no user database.

use serde::{Deserialize, Serialize};

/// Who may use a command.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Every member of a team room.
    Membre,
    /// Members at or above the Mission Locale's coordination power level.
    Coordination,
}

impl Role {
    /// Whether someone with role `self` may use a command that requires `needed`.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }

    /// The role's name as the console and the help show it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Membre => "membre",
            Role::Coordination => "coordination",
        }
    }
}
