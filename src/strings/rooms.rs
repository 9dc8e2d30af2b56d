//! Rooms and direct conversations: which Mission Locale a conversation belongs to.

/// `(id, name)` of each Mission Locale to choose from, names already escaped.
fn options_list(options: &[(String, String)]) -> String {
    options
        .iter()
        .map(|(id, name)| format!("- `!mission-locale {id}` : {name}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asked in a direct conversation with someone in several Missions Locales.
pub fn choose_mission(options: &[(String, String)]) -> String {
    format!(
        "Vous faites partie de plusieurs Missions Locales. Pour que je sache à laquelle rattacher cette conversation (vos rappels, vos données), écrivez l'une de ces commandes :\n\n{}",
        options_list(options)
    )
}

pub fn mission_chosen(name: &str) -> String {
    format!("C'est noté : cette conversation est rattachée à « {name} ». `!aide` liste ce que je sais faire.")
}

pub fn mission_unknown(typed: &str, options: &[(String, String)]) -> String {
    format!(
        "Je ne trouve pas {typed} parmi vos Missions Locales. Écrivez l'une de ces commandes :\n\n{}",
        options_list(options)
    )
}

/// A message in the room stayed unreadable for the bot (at most once a day per room).
pub const UNDECRYPTABLE: &str = "Je n'ai pas pu lire un message chiffré de ce salon : s'il m'était adressé, je n'y ai pas répondu. \
À vérifier : la session de l'auteur du message est-elle vérifiée, et la sauvegarde des clés activée ? \
En attendant, renvoyez la commande depuis une session vérifiée.";
