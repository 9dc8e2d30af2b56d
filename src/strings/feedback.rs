//! Every French sentence of the readers' feedback and the weekly digest: `!digest`, the
//! digest itself, the usefulness lines of `!bilan`, and `kitbot questions`.
//!
//! Owns the words only; anything a user typed is escaped by the caller.

// ---------------------------------------------------------------------------------------------
// `!digest`
// ---------------------------------------------------------------------------------------------

/// Subscribed. `when`: "chaque lundi à 09:00"; `next`: "lundi 7 décembre à 09:00".
pub fn digest_on(mission: &str, when: &str, next: &str) -> String {
    format!(
        "C'est noté : vous recevrez le point de la semaine de {mission} {when}, en message privé. \
         Le prochain : {next}.\n\nPour l'arrêter : `!digest non`."
    )
}

/// Status, subscribed.
pub fn digest_status_on(when: &str, next: &str) -> String {
    format!(
        "Vous recevez le point de la semaine {when}, en message privé. Le prochain : {next}.\n\n\
         Pour l'arrêter : `!digest non` ; pour changer le moment : `!digest oui vendredi à 16h`."
    )
}

pub const DIGEST_STATUS_OFF: &str = "Vous ne recevez pas le point de la semaine. \
     Pour le recevoir chaque lundi à 9h en message privé : `!digest oui` \
     (ou choisissez le moment : `!digest oui vendredi à 16h`).";

pub const DIGEST_OFF: &str = "C'est arrêté : vous ne recevrez plus le point de la semaine.";

/// The digest stopped by itself: its subscriber no longer coordinates `mission` (escaped).
pub fn digest_stopped_no_role(mission: &str) -> String {
    format!(
        "Le point de la semaine de {mission} s'arrête : vous n'êtes plus à la coordination \
         d'un de ses salons d'équipe. Si c'est une erreur, une personne de la coordination \
         peut vous redonner ce rôle, puis vous pourrez le redemander avec `!digest oui`."
    )
}

pub const DIGEST_WAS_OFF: &str = "Vous ne receviez pas le point de la semaine : rien à arrêter.";

/// The moment could not be read. `quoted` is escaped; `cause` is the schedule's own message.
pub fn digest_bad_when(quoted: &str, cause: &str) -> String {
    format!(
        "Je n'ai pas compris le moment « {quoted} » : {cause}\n\n\
         Exemples : `!digest oui` (chaque lundi à 9h), `!digest oui vendredi à 16h`."
    )
}

/// The moment is not weekly. `when` is its description.
pub fn digest_not_weekly(when: &str) -> String {
    format!(
        "Le point de la semaine part au plus une fois par semaine ; « {when} » serait plus souvent. \
         Choisissez un jour et une heure, par exemple : `!digest oui lundi à 9h`."
    )
}

/// Unknown argument.
pub fn digest_bad_arg(quoted: &str) -> String {
    format!(
        "Je ne comprends pas « {quoted} ». Tapez `!digest oui` pour recevoir le point de la \
         semaine, `!digest non` pour l'arrêter, `!digest` pour voir où vous en êtes."
    )
}

// ---------------------------------------------------------------------------------------------
// The digest (a direct message)
// ---------------------------------------------------------------------------------------------

/// Title. `from` and `to` are local dates ("lundi 23 novembre").
pub fn digest_title(mission: &str, from: &str, to: &str) -> String {
    format!("**Le point de la semaine — {mission}**\ndu {from} au {to}")
}

pub const DIGEST_ADOPTION: &str = "**Adoption**";

pub fn digest_steps_posted(count: usize) -> String {
    match count {
        0 => "- Aucune étape de parcours publiée cette semaine.".to_owned(),
        1 => "- 1 étape de parcours publiée :".to_owned(),
        n => format!("- {n} étapes de parcours publiées :"),
    }
}

/// One step: parcours title (the kit's words), step number, ✅ so far.
pub fn digest_step(parcours: &str, step: usize, ticks: usize) -> String {
    format!("  - {parcours}, étape {step} : {ticks} ✅")
}

pub fn digest_reflections(count: usize) -> String {
    match count {
        0 => "- Aucune réflexion partagée.".to_owned(),
        1 => "- 1 réflexion partagée.".to_owned(),
        n => format!("- {n} réflexions partagées."),
    }
}

pub const DIGEST_CARDS: &str = "**Fiches les plus lues**";

pub const DIGEST_NO_READS: &str = "- Aucune fiche lue cette semaine.";

/// One card: id, title (the kit's words), reads, 👍, 👎.
pub fn digest_card(id: &str, title: &str, reads: u64, useful: u64, not_useful: u64) -> String {
    format!("- `{id}` — {title} : {reads} lecture(s), {useful} 👍, {not_useful} 👎")
}

pub const DIGEST_QUESTIONS: &str = "**Questions sans bonne réponse**";

/// Questions the search answered "no good match", and how many were passed on.
pub fn digest_unanswered(count: u64, passed_on: usize) -> String {
    format!("- {count} question(s) sans fiche qui convienne ; {passed_on} transmise(s) aux rédacteurs du kit.")
}

/// One passed-on question (already escaped and cut), and how many times.
pub fn digest_question(text: &str, times: usize) -> String {
    if times > 1 {
        format!("  - « {text} » ({times} fois)")
    } else {
        format!("  - « {text} »")
    }
}

pub const DIGEST_NUDGES: &str = "**Relances prévues dans les 7 jours**";

pub const DIGEST_NO_NUDGES: &str = "- Aucune.";

/// One nudge: label (R7), when (local), what.
pub fn digest_nudge(label: &str, when: &str, what: &str) -> String {
    format!("- {label}, {when} : {what}")
}

pub const DIGEST_FOOTER: &str =
    "_Vous recevez ce point parce que vous l'avez demandé (`!digest oui`). Pour l'arrêter : `!digest non`._";

// ---------------------------------------------------------------------------------------------
// `!bilan`: usefulness of the cards
// ---------------------------------------------------------------------------------------------

pub const BILAN_USEFULNESS: &str = "**Utilité des fiches** (réponses de `!kit` et `!fiche`)";

pub const BILAN_NO_VOTES: &str = "- Aucune fiche lue sur la période.";

/// One card's figures in `!bilan`.
pub fn bilan_card(id: &str, reads: u64, useful: u64, not_useful: u64) -> String {
    format!("- `{id}` : {reads} lecture(s), {useful} 👍, {not_useful} 👎")
}

/// Questions without a good answer over the period.
pub fn bilan_unanswered(count: u64) -> String {
    format!("- Questions sans fiche qui convienne : {count}.")
}

// ---------------------------------------------------------------------------------------------
// `kitbot questions`
// ---------------------------------------------------------------------------------------------

pub const QUESTIONS_NONE: &str = "Aucune question transmise aux rédacteurs du kit.";

/// Heading of the Markdown list.
pub fn questions_title(count: usize, groups: usize) -> String {
    format!("# Questions transmises aux rédacteurs du kit\n\n{count} question(s), {groups} groupe(s), les plus fréquentes d'abord.")
}

/// `kitbot questions` on standard error: how many groups were written.
pub fn questions_summary(groups: usize) -> String {
    format!("{groups} groupe(s) de questions écrit(s).")
}
