//! Words of reflections: consent, sharing, looking back (`!reflexions`, `!bilan`), the rights
//! (`!mes-donnees`, `!oublier`) and the command-line export and erasure. Arguments that come
//! from users arrive here already escaped.

// ---- Consent --------------------------------------------------------------------------------

/// What `!consentement` explains: what is kept, for whom, how long, how to withdraw.
pub fn consent_info(mission: &str, months: u32, state: &str) -> String {
    format!(
        "**Partager vos réflexions — ce que je garde, et pourquoi**\n\
         - **Quoi** : le texte des réflexions que vous partagez (`!reflexion …` ou 📝 sur votre message), \
         leurs étiquettes, la fiche concernée, la date, le salon et votre identifiant. \
         Jamais de donnée sur un jeune : je refuse tout texte qui en contient.\n\
         - **Pour qui** : votre équipe de la {mission} (`!reflexions`, sans votre nom sauf si vous choisissez de signer) \
         et la coordination (des comptes, et un export annuel où vous êtes pseudonymisé·e).\n\
         - **Combien de temps** : {months} mois, puis je les efface automatiquement.\n\
         - **Librement** : partager est facultatif ; accepter ou refuser ne change rien d'autre pour vous.\n\
         - **Retirer votre accord** quand vous voulez : `!consentement non`. Tout voir : `!mes-donnees`. Tout effacer : `!oublier`.\n\n\
         {state}"
    )
}

pub const STATE_NONE: &str =
    "Aujourd'hui, vous n'avez pas donné votre accord : je ne garde aucune réflexion de vous. \
     Pour accepter : `!consentement oui`.";

pub fn state_granted(since: &str, signed: bool, count: usize) -> String {
    let signature = if signed {
        "vous signez vos réflexions (`!consentement anonyme` pour ne plus signer)"
    } else {
        "vos réflexions restent anonymes (`!consentement signer` pour les signer)"
    };
    format!(
        "Votre accord est en place depuis le {since} ; {signature}. Réflexions gardées : {count}. \
         Pour le retirer : `!consentement non`."
    )
}

pub fn state_withdrawn(since: &str) -> String {
    format!(
        "Vous avez retiré votre accord le {since} : je ne garde plus de réflexion de vous. \
         Pour accepter à nouveau : `!consentement oui`."
    )
}

pub fn state_awaiting(count: usize, deadline: &str) -> String {
    format!(
        "Vous avez retiré votre accord ; {}. {}",
        hidden_reflections(count),
        choice_question(deadline)
    )
}

fn hidden_reflections(count: usize) -> String {
    if count == 1 {
        "votre réflexion est masquée à tous en attendant votre choix".to_owned()
    } else {
        format!("vos {count} réflexions sont masquées à tous en attendant votre choix")
    }
}

fn choice_question(deadline: &str) -> String {
    format!(
        "Que dois-je en faire ? `!consentement non effacer` : je les efface. \
         `!consentement non anonymiser` : je les garde sans rien qui vous relie à elles. \
         Sans réponse d'ici le {deadline}, je les efface."
    )
}

pub fn granted(mission: &str) -> String {
    format!(
        "Merci, c'est noté : vous acceptez que je garde les réflexions que vous partagez dans la {mission}. \
         Elles restent anonymes (`!consentement signer` pour les signer). \
         Partagez avec `!reflexion <texte> #étiquette`, ou réagissez 📝 à l'un de vos messages."
    )
}

pub fn granted_already(since: &str) -> String {
    format!("Votre accord est déjà en place depuis le {since}. Rien n'a changé.")
}

pub fn granted_again(count: usize) -> String {
    format!(
        "Merci, votre accord est de nouveau en place : {} de nouveau visible{} par votre équipe.",
        if count == 1 {
            "votre réflexion est".to_owned()
        } else {
            format!("vos {count} réflexions sont")
        },
        if count == 1 { "" } else { "s" }
    )
}

pub const WITHDRAW_NOT_GIVEN: &str =
    "Vous n'avez pas donné votre accord : je ne garde aucune réflexion de vous. Rien à faire.";

pub const WITHDRAWN_NOTHING_KEPT: &str =
    "C'est noté : votre accord est retiré. Je n'avais gardé aucune réflexion de vous.";

pub fn withdraw_ask(count: usize, deadline: &str) -> String {
    format!(
        "C'est noté : votre accord est retiré, je ne garderai plus de nouvelle réflexion. \
         {}. {}",
        capitalise(&hidden_reflections(count)),
        choice_question(deadline)
    )
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn n_reflections(count: usize) -> String {
    match count {
        0 => "aucune réflexion".to_owned(),
        1 => "1 réflexion".to_owned(),
        n => format!("{n} réflexions"),
    }
}

pub fn withdrawn_erased(count: usize, newly_withdrawn: bool) -> String {
    let head = if newly_withdrawn {
        "C'est noté : votre accord est retiré"
    } else {
        "C'est fait"
    };
    format!(
        "{head}, et j'ai effacé {}. Pour accepter à nouveau un jour : `!consentement oui`.",
        n_reflections(count)
    )
}

pub fn withdrawn_anonymised(count: usize, newly_withdrawn: bool) -> String {
    let head = if newly_withdrawn {
        "C'est noté : votre accord est retiré"
    } else {
        "C'est fait"
    };
    format!(
        "{head}. J'ai gardé {} sans rien qui vous relie à elles : ni votre nom, ni le message d'origine. \
         Elles ne figurent plus dans `!mes-donnees` et `!oublier` ne peut plus les retrouver.",
        n_reflections(count)
    )
}

pub const SIGNED_ON: &str =
    "C'est noté : votre nom apparaîtra avec vos réflexions dans `!reflexions` et dans l'export annuel. \
     Pour revenir à l'anonymat : `!consentement anonyme`.";

pub const SIGNED_OFF: &str =
    "C'est noté : vos réflexions sont anonymes (dans l'export annuel, un pseudonyme remplace votre nom).";

pub const SIGN_NEEDS_CONSENT: &str =
    "Signer concerne les réflexions que vous partagez : donnez d'abord votre accord avec `!consentement oui`.";

pub fn consent_unknown(arg: &str) -> String {
    format!(
        "Je ne comprends pas « {arg} ». Utilisez `!consentement` (explications), `!consentement oui`, \
         `!consentement non`, `!consentement etat`, `!consentement signer` ou `!consentement anonyme`."
    )
}

// ---- Sharing --------------------------------------------------------------------------------

pub const NO_CONSENT: &str =
    "Je n'ai rien enregistré : je ne garde une réflexion qu'avec votre accord. \
     Tapez `!consentement` pour savoir ce que je garde et pour combien de temps, \
     puis `!consentement oui` si vous êtes d'accord.";

pub fn pii_refused(labels: &str) -> String {
    format!(
        "Je n'ai rien enregistré : votre texte semble contenir {labels}. \
         Une réflexion ne doit permettre de reconnaître personne. \
         Reformulez sans (par exemple « un jeune de 19 ans » plutôt que son nom), puis renvoyez-la \
         ou modifiez votre message."
    )
}

/// The guard is unsure: ask the author, keep nothing meanwhile.
pub fn pii_unsure(labels: &str, words: &str, minutes: i64) -> String {
    format!(
        "Je n'ai rien enregistré pour l'instant : {words} pourrait être {labels}. \
         Si ce n'est pas une personne, confirmez avec `!reflexion confirmer` dans les {minutes} minutes ; \
         sinon, reformulez sans (par exemple « un jeune de 19 ans » plutôt que son prénom)."
    )
}

/// The guard's only doubt is a word that may be a young person's first name (`words`: the
/// author's words, quoted and escaped): ask, keep nothing meanwhile.
pub fn pii_first_name(words: &str, minutes: i64) -> String {
    format!(
        "Je n'ai rien enregistré pour l'instant : {words}, est-ce un prénom de jeune ? \
         Si non, confirmez avec `!reflexion confirmer` dans les {minutes} minutes ; \
         si oui, reformulez avec une initiale ou « un jeune »."
    )
}

/// `!reflexion confirmer` with nothing waiting.
pub const NOTHING_TO_CONFIRM: &str =
    "Je n'ai aucune réflexion en attente de votre confirmation (elle n'est gardée que 15 minutes, et jamais sur disque). Renvoyez-la avec `!reflexion <texte>`.";

pub fn pii_refused_edit(labels: &str) -> String {
    format!(
        "Je n'ai pas pris en compte votre modification : elle semble contenir {labels}. \
         La version précédente reste enregistrée ; modifiez à nouveau sans cette donnée, \
         ou supprimez le message pour l'effacer."
    )
}

pub const EMPTY_REFLECTION: &str = "Écrivez votre réflexion après la commande, par exemple : \
     `!reflexion Le rappel par SMS la veille a évité deux absences #sms #fiche:sms-rappel`.";

pub fn too_long(max: usize) -> String {
    format!(
        "Je n'ai rien enregistré : une réflexion fait au plus {max} caractères. \
         Gardez l'essentiel, ou partagez-la en plusieurs fois."
    )
}

pub fn unknown_card(id: &str) -> String {
    format!(
        "Je n'ai rien enregistré : je ne connais pas la fiche « {id} ». \
         Vérifiez son identifiant avec `!fiche {id}` ou `!themes`, puis renvoyez votre réflexion."
    )
}

pub const IN_DIRECT: &str =
    "Ici, personne d'autre ne verrait votre réflexion : partagez-la dans le salon de votre équipe.";

pub fn first_saved(signed: bool) -> String {
    let who = if signed {
        "avec votre nom"
    } else {
        "sans votre nom"
    };
    format!(
        "Réflexion enregistrée ✅ — la prochaine fois, je mettrai simplement ✅ sur votre message. \
         Votre équipe la retrouve avec `!reflexions`, {who}. \
         Modifier votre message la met à jour ; le supprimer l'efface. `!mes-donnees` pour tout voir."
    )
}

// ---- Looking back ---------------------------------------------------------------------------

pub fn list_header(filters: &str) -> String {
    if filters.is_empty() {
        "**Réflexions récentes de ce salon**".to_owned()
    } else {
        format!("**Réflexions récentes de ce salon** ({filters})")
    }
}

pub fn filter_since(date: &str) -> String {
    format!("depuis le {date}")
}

pub fn list_empty(filtered: bool) -> String {
    if filtered {
        "Aucune réflexion ne correspond dans ce salon. Essayez sans filtre : `!reflexions`."
            .to_owned()
    } else {
        "Aucune réflexion partagée dans ce salon pour l'instant. \
         Pour partager la vôtre : `!reflexion <texte> #étiquette` (voir `!consentement`)."
            .to_owned()
    }
}

pub fn list_more(shown: usize) -> String {
    format!(
        "_Les {shown} plus récentes. Pour remonter plus loin : `!reflexions #étiquette` ou `!reflexions depuis 3 mois`._"
    )
}

pub fn card_label(id: &str) -> String {
    format!("fiche `{id}`")
}

pub fn reflexions_bad_args(arg: &str) -> String {
    format!(
        "Je ne comprends pas « {arg} ». Exemples : `!reflexions`, `!reflexions #visio`, \
         `!reflexions depuis 01/09/2026`, `!reflexions #sms depuis 3 mois`."
    )
}

pub fn since_invalid(expr: &str) -> String {
    format!(
        "Je ne comprends pas la date « {expr} ». Écrivez une date (`12/03/2026`, `3 mars`) \
         ou une durée (`7 jours`, `2 semaines`, `3 mois`)."
    )
}

pub fn bilan_bad_period(expr: &str) -> String {
    format!(
        "Je ne comprends pas la période « {expr} ». Exemples : `!bilan`, `!bilan 2026`, \
         `!bilan mars 2026`, `!bilan depuis 3 mois`."
    )
}

pub fn period_all(months: u32) -> String {
    format!("tout ce qui est conservé ({months} derniers mois)")
}
pub fn period_year(year: i32) -> String {
    format!("année {year}")
}
pub fn period_month(month: &str, year: i32) -> String {
    format!("{month} {year}")
}
pub fn period_since(date: &str) -> String {
    format!("depuis le {date}")
}

pub fn bilan_header(mission: &str, period: &str) -> String {
    format!("**Bilan des réflexions — {mission}**\nPériode : {period}.")
}

pub fn bilan_total(count: usize, rooms: usize) -> String {
    match count {
        0 => "Aucune réflexion partagée sur cette période.".to_owned(),
        _ => format!(
            "{} partagée{}, dans {rooms} salon{}. Aucun texte n'est cité ici.",
            n_reflections(count),
            if count > 1 { "s" } else { "" },
            if rooms > 1 { "s" } else { "" }
        ),
    }
}

pub const BILAN_BY_MONTH: &str = "**Par mois**";
pub const BILAN_BY_CARD: &str = "**Par fiche**";
pub const BILAN_BY_TAG: &str = "**Par étiquette**";
pub const BILAN_NO_CARD: &str = "sans fiche";
pub const BILAN_NO_TAG: &str = "Aucune étiquette.";
pub const BILAN_PARCOURS: &str = "**Parcours** (étapes publiées, ✅ reçus)";
pub const BILAN_NO_PARCOURS: &str = "Aucun parcours en cours.";

pub fn bilan_parcours_line(title: &str, steps: usize, checks: usize) -> String {
    format!("- {title} : {steps} étape(s) publiée(s), {checks} ✅")
}

pub fn bilan_others(n: usize) -> String {
    format!("- … et {n} autre(s)")
}

// ---- Rights ---------------------------------------------------------------------------------

pub const MY_DATA_SENT: &str =
    "Je vous envoie en message privé tout ce que je garde sur vous (un résumé et un fichier JSON).";

pub const MY_DATA_NOTHING: &str =
    "Je ne garde rien sur vous dans cette Mission Locale : ni accord, ni réflexion, ni rappel.";

pub fn my_data_title(mission: &str) -> String {
    format!("**Vos données dans kitbot — {mission}**")
}

pub fn my_data_consent(state: &str, events: usize) -> String {
    format!("- **Accord** : {state} (historique : {events} événement(s), dans le fichier joint).")
}

pub fn my_data_consent_granted(since: &str) -> String {
    format!("donné le {since}")
}
pub fn my_data_consent_withdrawn(since: &str) -> String {
    format!("retiré le {since}")
}
pub const MY_DATA_CONSENT_NONE: &str = "jamais donné";

pub fn my_data_signature(signed: bool) -> String {
    format!(
        "- **Signature** : {}.",
        if signed { "vous signez" } else { "anonyme" }
    )
}

pub fn my_data_count(count: usize) -> String {
    format!("- **Réflexions** : {count}.")
}

pub fn my_data_more(n: usize) -> String {
    format!("… et {n} autre(s), dans le fichier joint.")
}

pub const MY_DATA_FOOTER: &str =
    "Le fichier joint contient tout, au format JSON. Pour tout effacer : `!oublier`.";

/// `!oublier` before confirming; `what` from [`join_parts`].
pub fn forget_confirm(mission: &str, what: &str) -> String {
    format!(
        "Je vais effacer définitivement tout ce que je garde sur vous dans la {mission} : {what}. \
         Les réflexions déjà anonymisées ne sont plus liées à vous et restent ; les relances et \
         parcours que vous avez créés pour l'équipe restent aussi, sans votre nom. \
         Pour confirmer : `!oublier confirmer`."
    )
}

pub const FORGET_NOTHING: &str =
    "Je ne garde rien sur vous dans cette Mission Locale : il n'y a rien à effacer.";

/// `!oublier confirmer` when a write of the erasure failed half-way (a full disk, say): an
/// erasure is never put back, so part of it may be done; the same command finishes it.
pub const FORGET_INCOMPLETE: &str =
    "Je n'ai pas pu tout effacer : un problème de stockage de mon côté. Une partie a peut-être déjà été effacée, le reste non. Tapez de nouveau `!oublier confirmer` dans quelques minutes pour terminer ; si cela continue, prévenez la personne qui administre le robot.";

pub fn forget_done(what: &str) -> String {
    format!("C'est fait : j'ai effacé {what}. Je ne garde plus rien sur vous dans cette Mission Locale.")
}

/// The reflections part of what is erased, if any.
pub fn forget_reflections_part(count: usize, had_consent: bool) -> Option<String> {
    match (had_consent, count) {
        (false, 0) => None,
        (true, 0) => Some("votre accord et son historique".to_owned()),
        (true, n) => Some(format!(
            "votre accord, son historique et {}",
            n_reflections(n)
        )),
        (false, n) => Some(n_reflections(n)),
    }
}

pub fn forget_reminders_part(count: usize) -> String {
    if count == 1 {
        "1 rappel personnel".to_owned()
    } else {
        format!("{count} rappels personnels")
    }
}

pub const FORGET_SILENCE_PART: &str = "votre silence";

pub fn forget_ticks_part(count: usize) -> String {
    format!("{count} ✅ sur des étapes de parcours")
}

pub fn forget_authored_part(count: usize) -> String {
    format!("votre nom sur {count} relance(s) ou parcours d'équipe")
}

pub const FORGET_DIRECT_ROOM_PART: &str = "notre salon privé enregistré";

pub const FORGET_DIGEST_PART: &str = "votre abonnement au point hebdomadaire";

/// "a, b et c".
pub fn join_parts(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} et {last}", init.join(", ")),
    }
}

pub fn my_data_reminders(count: usize) -> String {
    format!("- **Rappels personnels** : {count}.")
}

pub fn my_data_silence(until: &str) -> String {
    format!("- **Silence** : jusqu'au {until}.")
}

pub fn my_data_ticks(count: usize) -> String {
    format!("- **✅ sur des étapes de parcours** : {count}.")
}

pub fn my_data_authored(nudges: usize, parcours: usize) -> String {
    format!("- **Créés pour l'équipe** : {nudges} relance(s), {parcours} parcours (ils restent pour l'équipe, sans votre nom, si vous demandez l'effacement).")
}

/// `when` is a schedule described in French ("chaque lundi à 09:00").
pub fn my_data_digest(when: &str) -> String {
    format!("- **Point hebdomadaire** : vous le recevez {when} (`!digest non` pour l'arrêter).")
}

pub const MY_DATA_DIRECT_ROOM: &str =
    "- **Salon privé** : celui où je vous écris est enregistré (pour vous répondre).";

pub fn forget_bad_arg(arg: &str) -> String {
    format!("Je ne comprends pas « {arg} ». Tapez `!oublier` pour voir ce qui serait effacé, puis `!oublier confirmer`.")
}

// ---- Command line ---------------------------------------------------------------------------

pub fn cli_exported(count: u64, mission: &str) -> String {
    format!("{count} réflexion(s) exportée(s) pour {mission}.")
}

pub fn cli_forgot_nothing(mission: &str) -> String {
    format!("{mission} : rien n'était gardé sur cette personne.")
}

/// `what` is written to the person ("votre accord…"), as `!oublier` says it.
/// `kitbot forget` when a write failed in `mission`: the Missions Locales handled before it
/// are done, this one may be in part; the same command finishes it.
pub fn cli_forget_incomplete(mission: &str) -> String {
    format!("{mission} : l'effacement n'a pas pu aller jusqu'au bout (une partie a peut-être déjà été effacée ici ; les Missions Locales traitées avant celle-ci l'ont été entièrement). Relancez la même commande pour terminer")
}

pub fn cli_forgot(mission: &str, what: &str) -> String {
    format!("{mission} : effacé — {what}.")
}

pub fn cli_unknown_mission(id: &str) -> String {
    format!("Mission Locale inconnue : {id}")
}

pub fn cli_bad_since(expr: &str) -> String {
    format!(
        "--since : date ou durée illisible « {expr} » (exemples : 2026-01-01, 01/01/2026, 12 mois)"
    )
}

pub fn cli_bad_until(expr: &str) -> String {
    format!("--until : date illisible « {expr} » (exemples : 2026-12-31, 31/12/2026)")
}

pub fn cli_bad_user(user: &str) -> String {
    format!(
        "identifiant Matrix complet attendu, par exemple @camille:ml-exemple.fr (reçu « {user} »)"
    )
}

// ---- Export documents -----------------------------------------------------------------------

pub fn export_title(mission: &str) -> String {
    format!("# Réflexions partagées — {mission}")
}

pub fn export_intro(date: &str, since: Option<&str>, until: Option<&str>, count: u64) -> String {
    let since = since
        .map(|s| format!(", depuis le {s}"))
        .unwrap_or_default();
    let until = until
        .map(|u| format!(", jusqu'au {u} inclus"))
        .unwrap_or_default();
    format!(
        "Export du {date}{since}{until} : {count} réflexion(s). Les auteurs sont pseudonymisés, \
         sauf celles et ceux qui ont choisi de signer."
    )
}

pub fn bad_format(other: &str) -> String {
    format!("format inconnu « {other} » (csv, json, markdown ou html)")
}

pub const EXPORT_IO: &str = "écriture de l'export";

pub const EXPORT_ANONYMOUS: &str = "anonyme";

pub const CSV_HEADER: &str = "id,date,salon,auteur,fiche,etiquettes,texte";
