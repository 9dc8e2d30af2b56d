//! Whole answers, compared character for character, for a few representative commands (as
//! ripgrep's `eqnice!`): a change of wording, of escaping or of layout shows up here. The clock
//! is fixed (Monday 30 November 2026, 09:00 in Paris), so dates and latencies are stable.

use super::{ask, engine_at};
use crate::core::Role;

const NOW: &str = "2026-11-30T08:00:00Z";

#[tokio::test]
async fn ping() {
    let (engine, _) = engine_at(NOW);
    assert_eq!(
        ask(&engine, "!ping", Role::Membre).await,
        format!(
            "Pong ! kitbot {} est là — réponse en 0 ms.",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[tokio::test]
async fn a_near_miss_suggests_the_command() {
    let (engine, _) = engine_at(NOW);
    assert_eq!(
        ask(&engine, "!aied", Role::Membre).await,
        "Je ne connais pas la commande « !aied ». Vouliez-vous dire `!aide` ? Tapez `!aide` pour toutes les commandes."
    );
}

#[tokio::test]
async fn a_nudge_is_confirmed_with_its_next_firings() {
    let (engine, _) = engine_at(NOW);
    assert_eq!(
        ask(
            &engine,
            "!relance chaque lundi à 9h : Qui a testé la **visio** ?",
            Role::Coordination
        )
        .await,
        "C'est noté : relance **R1** dans ce salon, chaque lundi à 09:00.
Message : « Qui a testé la \\*\\*visio\\*\\* ? »

Prochains envois :
- lundi 7 décembre à 09:00
- lundi 14 décembre à 09:00
- lundi 21 décembre à 09:00

Modifier : `!relance modifier R1 <quand>` · mettre en pause : `!relance pause R1` · annuler : `!relance annuler R1`"
    );
}

#[tokio::test]
async fn members_are_refused_coordination_commands_politely() {
    let (engine, _) = engine_at(NOW);
    assert_eq!(
        ask(&engine, "!relance", Role::Membre).await,
        "Désolé, `!relance` est réservée à la coordination de la Mission Locale. Si vous pensez en avoir besoin, demandez à votre coordinateur·rice de vous donner ce rôle dans le salon."
    );
}

#[tokio::test]
async fn consent_state_and_empty_lists() {
    let (engine, _) = engine_at(NOW);
    assert_eq!(
        ask(&engine, "!consentement etat", Role::Membre).await,
        "Aujourd'hui, vous n'avez pas donné votre accord : je ne garde aucune réflexion de vous. Pour accepter : `!consentement oui`."
    );
    assert_eq!(
        ask(&engine, "!mes-rappels", Role::Membre).await,
        "Vous n'avez aucun rappel. Pour en créer un : `!me-rappeler demain à 9h : …`"
    );
    assert_eq!(
        ask(&engine, "!silence", Role::Membre).await,
        "Vous n'êtes pas en silence. Pour mettre vos relances en pause : `!silence 2 semaines` ou `!silence jusqu'au 4 janvier`."
    );
}
