//! A sender's role, from room power levels: coordination when at or above the Mission Locale's
//! threshold in the room; in a direct room, the highest level over the Mission Locale's team
//! rooms. There is no user database.

use matrix_sdk::ruma::events::room::power_levels::UserPowerLevel;
use matrix_sdk::ruma::{OwnedRoomId, OwnedUserId};
use matrix_sdk::Room;

use crate::core::Role;

use super::tenants::RoomInfo;
use super::Adapter;

impl Adapter {
    pub(super) async fn role_of(&self, room: &Room, info: &RoomInfo, sender: &str) -> Role {
        let Some(ml) = self.engine.mission(&info.tenant) else {
            return Role::Membre;
        };
        let Ok(user) = OwnedUserId::try_from(sender) else {
            return Role::Membre;
        };
        let rooms: Vec<Room> = if info.direct {
            // In a DM, the person's role is the highest they hold in their Mission Locale's rooms.
            self.rooms
                .team_rooms(&info.tenant)
                .iter()
                .filter_map(|r| OwnedRoomId::try_from(r.as_str()).ok())
                .filter_map(|id| self.client.get_room(&id))
                .collect()
        } else {
            vec![room.clone()]
        };
        for room in rooms {
            if let Ok(level) = room.get_user_power_level(&user).await {
                let coordination = match level {
                    UserPowerLevel::Infinite => true,
                    UserPowerLevel::Int(n) => i64::from(n) >= ml.coordination_level,
                    _ => false,
                };
                if coordination {
                    return Role::Coordination;
                }
            }
        }
        Role::Membre
    }
}
