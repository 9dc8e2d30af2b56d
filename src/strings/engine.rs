//! Words of the engine itself: help listings, refusals, unknown commands, ping.

pub const HELP_HEADER: &str = "**Commandes disponibles**";
pub const HELP_FOOTER: &str = "Pour le détail d'une commande : `!aide <commande>`.";

/// How to reach kitbot when another bot shares the room.
pub fn help_own_prefix(own_prefix: &str) -> String {
    format!("Un autre robot partage ce salon ? `{own_prefix} aide`, `{own_prefix} relances`… s'adressent à moi seul.")
}
pub const HELP_COORDINATION_TAG: &str = " _(coordination)_";

pub fn help_unknown_topic(word: &str) -> String {
    format!("Je ne connais pas la commande « {word} ». Tapez `!aide` pour voir la liste.")
}

pub fn help_usage_title() -> &'static str {
    "Exemples :"
}

pub fn help_aliases(aliases: &str) -> String {
    format!("Autres noms : {aliases}")
}

pub fn refused_coordination(command: &str) -> String {
    format!(
        "Désolé, `!{command}` est réservée à la coordination de la Mission Locale. \
         Si vous pensez en avoir besoin, demandez à votre coordinateur·rice de vous donner ce rôle dans le salon."
    )
}

pub fn unknown_command(word: &str, suggestion: Option<&str>) -> String {
    match suggestion {
        Some(s) => format!("Je ne connais pas la commande « !{word} ». Vouliez-vous dire `!{s}` ? Tapez `!aide` pour toutes les commandes."),
        None => format!("Je ne connais pas la commande « !{word} ». Tapez `!aide` pour voir ce que je sais faire."),
    }
}

pub fn pong(version: &str, latency_ms: i64) -> String {
    format!("Pong ! kitbot {version} est là — réponse en {latency_ms} ms.")
}

pub const INTERNAL_ERROR: &str =
    "Oups, je n'ai pas pu traiter ce message à cause d'un problème de mon côté. Rien n'a été perdu ; réessayez dans un instant.";

/// One person sent more commands than the limit allows: said once, then silence.
pub fn slow_down(every_seconds: u32) -> String {
    format!(
        "Doucement : vous m'avez envoyé beaucoup de commandes d'un coup. Je ne réponds plus aux suivantes pour l'instant ; vous pourrez continuer dans une minute (une commande toutes les {every_seconds} secondes)."
    )
}

/// A write failed (disk full, I/O error): what was asked did not happen.
pub const NOT_SAVED: &str =
    "Je n'ai pas pu enregistrer cela : un problème de stockage de mon côté, et rien n'a été modifié. Réessayez dans quelques minutes ; si cela continue, prévenez la personne qui administre le robot.";

pub const NOT_IN_TENANT: &str =
    "Ce salon n'est rattaché à aucune Mission Locale dans ma configuration : je ne peux pas répondre ici.";

/// The console shows no picture: it says where it wrote it.
pub fn console_picture(alt: &str, path: &str) -> String {
    format!("[image jointe, enregistrée dans {path}]\n{alt}")
}

/// The console could not write a picture to the data folder.
pub fn console_picture_not_saved(alt: &str, cause: &str) -> String {
    format!("[image jointe, non enregistrée : {cause}]\n{alt}")
}

/// Console banner.
pub fn console_welcome(mission: &str, user: &str, role: &str) -> String {
    format!(
        "kitbot — mode console ({mission}, vous êtes {user}, rôle {role}).\n\
         Tapez `!aide` pour commencer, Ctrl-D pour quitter."
    )
}
