//! Every French sentence of `kitbot demo`, which a newcomer reads in a terminal.

pub fn installing_synapse(version: &str, venv: &str) -> String {
    format!("Installation de Synapse {version} dans {venv} (une minute environ, une seule fois)…")
}

pub const INSTALL_FAILED: &str = "Synapse n'a pas pu être installé : il faut python3 avec les \
     modules venv et pip (sous Debian : apt install python3-venv).";

pub fn starting_synapse(url: &str) -> String {
    format!("Démarrage d'un Synapse local sur {url}…")
}

pub const SYNAPSE_NOT_READY: &str =
    "Synapse ne répond pas au bout de deux minutes ; voir synapse/synapse.log dans le dossier de la démo.";

pub const STARTING_BOT: &str =
    "Démarrage de kitbot (journal : kitbot.log dans le dossier de la démo)…";

pub const BOT_DID_NOT_JOIN: &str =
    "kitbot n'a pas rejoint le salon de démonstration ; voir kitbot.log dans le dossier de la démo.";

pub const BOT_DID_NOT_ANSWER: &str =
    "kitbot n'a pas répondu aux premières commandes ; voir kitbot.log dans le dossier de la démo.";

pub const ROOM_NAME: &str = "Équipe démo (kitbot)";

/// What the demo user says in the room the first time, so that there is something to see.
pub const SEED_COMMANDS: &[&str] = &[
    "!consentement oui",
    "!reflexion Le rappel par SMS la veille du rendez-vous a évité deux absences cette semaine #sms #fiche:sms-rappel",
    "!relance chaque lundi à 9h : Qui a testé la visio avec un jeune cette semaine ?",
    "!parcours demarrer premiers-pas chaque jeudi à 10h",
];

/// Printed when everything runs.
pub fn ready(url: &str, user: &str, password: &str, room: &str) -> String {
    format!(
        "\nLa démo tourne.\n\n\
         Avec n'importe quel client Matrix (Element par exemple) :\n\
         - serveur : {url}\n\
         - identifiant : {user}\n\
         - mot de passe : {password}\n\n\
         Le salon {room} contient déjà une réflexion, une relance et un parcours.\n\
         Tapez-y !aide, !kit premier rendez-vous en visio, !relances ou !parcours etat.\n\n\
         Ctrl-C arrête Synapse et kitbot."
    )
}

pub const STOPPING: &str = "Arrêt de kitbot et de Synapse…";
