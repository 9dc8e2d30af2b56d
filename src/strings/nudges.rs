//! Words of the nudges: what `!relance`, `!relances`, `!me-rappeler`, `!mes-rappels`,
//! `!silence` and `!parcours …` answer, and the text of posted nudges and summaries. Dates
//! arrive already formatted ("lundi 30 novembre à 09:00"); user text arrives already escaped.

// ----- posted messages -----

/// A nudge with the coordinator's own words.
pub fn nudge_post(text: &str) -> String {
    format!("🔔 {text}")
}

/// A nudge about a kit card.
pub fn card_post(title: &str, try_label: &str, essayer: &str, id: &str) -> String {
    format!(
        "🔔 **{title}**\n\n{try_label}\n\n{essayer}\n\n\
         Vous l'avez essayé ? Racontez-le dans le fil. La fiche complète : `!fiche {id}`"
    )
}

/// Appended to a post that goes out late after downtime.
pub fn late_note(minutes: i64) -> String {
    format!("_(envoyé avec {minutes} min de retard : j'étais indisponible à l'heure prévue)_")
}

/// One line of the downtime summary for a nudge or reminder.
pub fn missed_nudge_line(label: &str, count: u64, at_least: bool, last: &str) -> String {
    if count == 1 {
        format!("{label} (prévue {last})")
    } else if at_least {
        format!("{label} (plus de {count} envois, le dernier prévu {last})")
    } else {
        format!("{label} ({count} envois, le dernier prévu {last})")
    }
}

/// One line of the downtime summary for a parcours step.
pub fn missed_step_line(
    title: &str,
    step: usize,
    count: u64,
    at_least: bool,
    last: &str,
) -> String {
    let times = if count == 1 {
        format!("prévue {last}")
    } else if at_least {
        format!("plus de {count} rendez-vous manqués, le dernier {last}")
    } else {
        format!("{count} rendez-vous manqués, le dernier {last}")
    };
    format!("l'étape {step} du parcours « {title} » ({times}) : elle sera publiée au prochain rendez-vous")
}

/// The downtime summary: one message per room (or person).
pub fn missed_summary(lines: &[String]) -> String {
    let n = lines.len();
    let head = if n == 1 {
        "Pendant mon absence, 1 relance n'a pas été envoyée".to_owned()
    } else {
        format!("Pendant mon absence, {n} relances n'ont pas été envoyées")
    };
    let items: Vec<String> = lines.iter().map(|l| format!("- {l}")).collect();
    format!(
        "{head} :\n{}\n\nLes suivantes partiront à l'heure habituelle.",
        items.join("\n")
    )
}

// ----- firings shown in confirmations -----

pub const NEXT_FIRINGS: &str = "Prochains envois :";

/// A firing at its time.
pub fn firing(when: &str) -> String {
    format!("- {when}")
}

/// A firing moved by quiet hours.
pub fn firing_moved(when: &str, planned: &str) -> String {
    format!("- {when} _(prévu {planned}, décalé hors des heures calmes)_")
}

pub const NO_NEXT_FIRING: &str = "Aucun envoi à venir.";

// ----- !relance -----

pub const RELANCE_USAGE: &str =
    "Écrivez quand, puis le message ou l'id d'une fiche, par exemple :\n\
`!relance chaque lundi à 9h : Point sur les rendez-vous en visio de la semaine`\n\
`!relance le premier mardi du mois à 14h : sms-rappel`\n\
Voir les relances du salon : `!relances`.";

pub const ROOM_ONLY: &str =
    "Les relances d'équipe se programment dans un salon d'équipe, pas en message privé. \
     Pour vous-même : `!me-rappeler demain à 9h : …`";

pub const NEED_MESSAGE: &str =
    "J'ai compris quand, mais pas quoi envoyer. Ajoutez le message après « : », \
par exemple `!relance chaque lundi à 9h : Qui a testé la visio cette semaine ?`";

pub fn too_long(max: usize) -> String {
    format!("Ce message est trop long pour une relance ({max} caractères au plus). Une relance courte est mieux lue ; le détail peut aller dans une fiche.")
}

pub fn too_many(max: usize) -> String {
    format!("Ce salon a déjà {max} relances : c'est le maximum. Annulez-en une avec `!relance annuler R…` (liste : `!relances`).")
}

/// The schedule was not understood (the error is the schedule module's French sentence).
pub fn bad_when(error: &str) -> String {
    error.to_owned()
}

/// A recurring schedule more frequent than every quarter of an hour.
pub const TOO_FREQUENT: &str =
    "C'est trop souvent : une relance ou un rappel revient au plus une fois par quart d'heure. Choisissez un rythme plus espacé, par exemple « chaque jour à 9h » ou « tous les lundis à 14h ».";

pub const NEVER_FIRES: &str =
    "Cette échéance ne tombe jamais dans l'avenir : rien ne serait envoyé. Vérifiez la date.";

pub fn content_text(excerpt: &str) -> String {
    format!("Message : « {excerpt} »")
}

pub fn content_card(id: &str, title: &str) -> String {
    format!("Fiche : **{title}** (`{id}`) — son titre et « Essayer cette semaine » seront publiés.")
}

pub const MENTION_ROOM_NOTE: &str =
    "Vous avez écrit @room : tout le salon sera notifié, si mon niveau de pouvoir le permet.";

pub fn mentions_note(n: usize) -> String {
    if n == 1 {
        "La personne citée sera notifiée.".to_owned()
    } else {
        format!("Les {n} personnes citées seront notifiées.")
    }
}

pub fn nudge_created(
    label: &str,
    schedule: &str,
    content: &str,
    firings: &str,
    notes: &str,
) -> String {
    format!(
        "C'est noté : relance **{label}** dans ce salon, {schedule}.\n{content}\n\n{firings}{notes}\n\n\
         Modifier : `!relance modifier {label} <quand>` · mettre en pause : `!relance pause {label}` · annuler : `!relance annuler {label}`"
    )
}

pub fn unknown_nudge(label: &str) -> String {
    format!("Je ne trouve pas la relance « {label} » dans ce salon. La liste : `!relances`.")
}

pub fn bad_label(word: &str) -> String {
    format!("« {word} » n'est pas un numéro de relance (exemple : R7). La liste : `!relances`.")
}

pub fn nudge_cancelled(label: &str) -> String {
    format!("Relance **{label}** annulée : elle ne sera plus envoyée.")
}

pub fn nudge_paused(label: &str) -> String {
    format!("Relance **{label}** en pause. Pour la relancer : `!relance reprendre {label}`.")
}

pub fn nudge_paused_until(label: &str, until: &str, firings: &str) -> String {
    format!("Relance **{label}** en pause jusqu'au {until}.\n\n{firings}")
}

pub fn nudge_resumed(label: &str, firings: &str) -> String {
    format!("Relance **{label}** reprise.\n\n{firings}")
}

pub fn nudge_not_paused(label: &str) -> String {
    format!("La relance **{label}** n'est pas en pause.")
}

pub fn one_off_passed(label: &str) -> String {
    format!("La relance **{label}** était unique et son heure est passée pendant la pause : je la retire. Programmez-en une nouvelle avec `!relance`.")
}

pub fn nudge_modified(label: &str, schedule: &str, firings: &str) -> String {
    format!("Relance **{label}** modifiée : {schedule}.\n\n{firings}")
}

pub fn modify_needs_when(label: &str) -> String {
    format!("Indiquez la nouvelle échéance, par exemple `!relance modifier {label} chaque mardi à 14h`.")
}

pub const PAUSE_UNTIL_USAGE: &str =
    "Pour une pause datée : « jusqu'au 4 janvier » ou « 2 semaines ».";

// ----- !relances -----

pub const NO_NUDGES: &str =
    "Aucune relance dans ce salon. Pour en créer une : `!relance chaque lundi à 9h : …`";

pub const NO_NUDGES_TENANT: &str = "Aucune relance dans les salons de votre Mission Locale.";

pub fn nudges_title(n: usize) -> String {
    if n == 1 {
        "**1 relance dans ce salon**".to_owned()
    } else {
        format!("**{n} relances dans ce salon**")
    }
}

pub fn nudges_tenant_title(n: usize, rooms: usize) -> String {
    format!("**{n} relance(s) dans {rooms} salon(s) de votre Mission Locale**")
}

pub fn room_heading(room: &str) -> String {
    format!("Salon `{room}` :")
}

pub fn nudge_line(label: &str, schedule: &str, state: &str, content: &str) -> String {
    format!("- **{label}** — {schedule} — {state} — {content}")
}

pub fn state_next(when: &str) -> String {
    format!("prochain envoi {when}")
}

pub const STATE_PAUSED: &str = "en pause";

pub fn state_paused_until(until: &str, next: &str) -> String {
    format!("en pause jusqu'au {until}, puis {next}")
}

pub const STATE_NOTHING: &str = "plus rien à envoyer";

pub fn content_card_short(id: &str) -> String {
    format!("fiche `{id}`")
}

pub fn content_text_short(excerpt: &str) -> String {
    format!("« {excerpt} »")
}

pub const NUDGES_FOOTER: &str = "Annuler : `!relance annuler R…` · pause : `!relance pause R…`";

// ----- !me-rappeler, !mes-rappels -----

pub const REMINDER_USAGE: &str = "Écrivez quand, puis le texte, par exemple :\n\
`!me-rappeler demain à 9h : rappeler la Mission Locale de Cholet`\n\
Le rappel arrive en message privé. Vos rappels : `!mes-rappels`.";

pub const REMINDER_NEED_TEXT: &str =
    "J'ai compris quand, mais pas de quoi vous rappeler. Ajoutez le texte après « : ».";

pub fn reminder_created(
    label: &str,
    schedule: &str,
    firings: &str,
    silenced: Option<&str>,
) -> String {
    let silence = match silenced {
        Some(until) => format!("\n\nAttention : vous êtes en silence jusqu'au {until} ; les rappels attendront la fin du silence."),
        None => String::new(),
    };
    format!(
        "C'est noté : rappel **{label}**, {schedule}, en message privé.\n\n{firings}{silence}\n\n\
         Vos rappels : `!mes-rappels` · annuler : `!mes-rappels annuler {label}`"
    )
}

pub const NO_REMINDERS: &str =
    "Vous n'avez aucun rappel. Pour en créer un : `!me-rappeler demain à 9h : …`";

pub fn reminders_title(n: usize) -> String {
    if n == 1 {
        "**Votre rappel**".to_owned()
    } else {
        format!("**Vos {n} rappels**")
    }
}

pub fn unknown_reminder(label: &str) -> String {
    format!("Je ne trouve pas votre rappel « {label} ». La liste : `!mes-rappels`.")
}

pub fn reminder_cancelled(label: &str) -> String {
    format!("Rappel **{label}** annulé.")
}

pub const REMINDERS_CANCEL_USAGE: &str =
    "Pour annuler un rappel : `!mes-rappels annuler P3` (la liste : `!mes-rappels`).";

pub fn too_many_reminders(max: usize) -> String {
    format!("Vous avez déjà {max} rappels : c'est le maximum. Annulez-en un avec `!mes-rappels annuler P…`.")
}

// ----- !silence -----

pub fn silence_set(until: &str) -> String {
    format!(
        "Silence jusqu'au {until} : vos rappels attendront, et les relances d'équipe ne vous citeront plus d'ici là. \
         Pour y mettre fin : `!silence fin`."
    )
}

pub const SILENCE_ENDED: &str = "Silence terminé : les relances vous sont de nouveau adressées.";

pub const SILENCE_NONE: &str =
    "Vous n'êtes pas en silence. Pour mettre vos relances en pause : `!silence 2 semaines` ou `!silence jusqu'au 4 janvier`.";

pub fn silence_status(until: &str) -> String {
    format!("Vous êtes en silence jusqu'au {until}. Pour y mettre fin : `!silence fin`.")
}

pub const SILENCE_USAGE: &str =
    "Indiquez une durée ou une date : `!silence 2 semaines`, `!silence jusqu'au 4 janvier`, ou `!silence fin`.";

pub const UNTIL_NOT_RECURRING: &str =
    "Indiquez une date ou une durée, pas une répétition : « jusqu'au 4 janvier » ou « 2 semaines ».";

// ----- !parcours -----

/// `!parcours <sub>` by a member: the listing stays open to them, so name the subcommand.
pub fn refused_parcours_subcommand(sub: &str) -> String {
    crate::strings::engine::refused_coordination(&format!("parcours {sub}"))
}

pub fn parcours_unknown_sub(word: &str) -> String {
    format!(
        "Je ne connais pas « {word} » pour `!parcours`. Possible : demarrer, etat, pause, reprendre, suivant, arreter. \
         Sans argument, `!parcours` liste les parcours."
    )
}

pub const START_USAGE: &str =
    "Indiquez le parcours et le rythme, par exemple `!parcours demarrer premiers-pas chaque lundi à 9h`.";

pub fn unknown_parcours(name: &str, ids: &str) -> String {
    format!("Je ne connais pas le parcours « {name} ». Parcours disponibles : {ids}.")
}

pub const START_NEEDS_RHYTHM: &str = "Un parcours avance à un rythme régulier : indiquez par exemple « chaque lundi à 9h » ou « toutes les 2 semaines le jeudi à 14h ».";

pub fn already_running(title: &str) -> String {
    format!("Le parcours « {title} » est déjà en cours dans ce salon. Pour en changer : `!parcours arreter`, puis `!parcours demarrer …`.")
}

pub fn run_started(title: &str, steps: usize, schedule: &str, firings: &str) -> String {
    format!(
        "C'est parti : le parcours « {title} » ({steps} étapes), {schedule}. \
         À chaque rendez-vous je publie une étape ; réagissez avec ✅ quand vous l'avez essayée.\n\n{firings}\n\n\
         Où en est l'équipe : `!parcours etat`."
    )
}

pub const NO_RUN: &str =
    "Aucun parcours dans ce salon. Pour en démarrer un : `!parcours demarrer premiers-pas chaque lundi à 9h` (la liste : `!parcours`).";

pub const NO_RUNNING: &str = "Aucun parcours en cours dans ce salon.";

pub fn run_state_title(title: &str, state: &str) -> String {
    format!("**Parcours « {title} »** — {state}")
}

pub const RUN_ACTIVE: &str = "en cours";
pub const RUN_PAUSED: &str = "en pause";
pub const RUN_DONE: &str = "terminé";
pub const RUN_STOPPED: &str = "arrêté";

pub fn step_line_posted(n: usize, title: &str, ticks: usize, who: &str) -> String {
    if ticks == 0 {
        format!("{n}. {title} — ✅ 0")
    } else {
        format!("{n}. {title} — ✅ {ticks} ({who})")
    }
}

pub fn step_line_future(n: usize, title: &str) -> String {
    format!("{n}. {title} — _à venir_")
}

pub fn step_current(n: usize, when: &str) -> String {
    format!("Prochaine étape : {n}, publiée {when}.")
}

pub fn step_closing(when: &str) -> String {
    format!("Toutes les étapes sont publiées ; le mot de la fin partira {when}.")
}

pub const RUN_WAITING: &str = "En pause : `!parcours reprendre` pour continuer.";

// ----- the chart that follows `!parcours etat` -----

/// The chart's title (the parcours' title, as the kit names it).
pub fn chart_title(title: &str) -> String {
    format!("« {title} » : qui a essayé chaque étape")
}

pub const CHART_X: &str = "Jour";
pub const CHART_Y: &str = "Personnes qui ont réagi";

/// A line of the chart's legend.
pub fn chart_step(n: usize, title: &str) -> String {
    format!("Étape {n} · {title}")
}

/// The day under the chart's horizontal axis (`%d/%m`: 02/03).
pub const CHART_DAY_FORMAT: &str = "%d/%m";
/// A day in the picture's description (02/03/2026).
pub const CHART_DATE_FORMAT: &str = "%d/%m/%Y";

pub const CHART_FILENAME: &str = "parcours-etat.png";

/// What the picture shows, for screen readers and clients that show no image (the message's
/// body): the figures themselves are in the text answer just before.
pub fn chart_alt(title: &str, first_day: &str, last_day: &str) -> String {
    format!(
        "Graphique du parcours « {title} », du {first_day} au {last_day} : pour chaque étape, \
         le nombre de personnes qui ont réagi ✅, jour après jour. Les chiffres sont dans le \
         message précédent."
    )
}

pub fn run_paused(title: &str) -> String {
    format!("Parcours « {title} » en pause. Pour continuer : `!parcours reprendre`.")
}

pub fn run_resumed(title: &str, firings: &str) -> String {
    format!("Parcours « {title} » repris.\n\n{firings}")
}

pub fn run_not_paused(title: &str) -> String {
    format!("Le parcours « {title} » n'est pas en pause.")
}

pub fn run_next_now(step: usize) -> String {
    format!("Je publie l'étape {step} maintenant ; les suivantes gardent le rythme prévu.")
}

pub const RUN_CLOSING_NOW: &str =
    "Toutes les étapes sont publiées : je publie le mot de la fin maintenant.";

pub fn run_stopped(title: &str, steps_posted: usize) -> String {
    format!("Parcours « {title} » arrêté après {steps_posted} étape(s) publiée(s). Les ✅ restent comptés dans `!parcours etat`.")
}

/// Posted in a room that stopped belonging to a Mission Locale (it left its Space, or another
/// Mission Locale claims it too).
pub fn room_left(mission: &str, nudges: usize, parcours: usize) -> String {
    let mut out = format!(
        "Ce salon n'est plus rattaché à « {mission} » (son Espace ou la configuration a changé) : je n'y réponds plus aux commandes."
    );
    if nudges + parcours > 0 {
        out.push_str(&format!(
            " Ses relances ({nudges}) et son parcours en cours ({parcours}) sont mis en pause ; s'il est rattaché de nouveau, la coordination peut les reprendre (`!relances`, `!parcours reprendre`)."
        ));
    }
    out
}

/// A direct message to a coordinator: the bot was removed from a room where they had nudges.
pub fn room_removed(room: &str, labels: &[&str], parcours: Option<&str>) -> String {
    let mut what = Vec::new();
    if !labels.is_empty() {
        what.push(format!("vos relances {}", labels.join(", ")));
    }
    if let Some(title) = parcours {
        what.push(format!("votre parcours « {title} »"));
    }
    format!(
        "On m'a retiré du salon {room} (exclusion, bannissement ou départ) : {} y sont en pause, rien n'est perdu. Réinvitez-moi dans le salon et elles reprendront d'elles-mêmes.",
        what.join(" et ")
    )
}

/// Posted in a room the bot is back in: what was paused resumes.
pub fn room_back(labels: &[&str], parcours: Option<&str>) -> String {
    let mut what = Vec::new();
    if !labels.is_empty() {
        what.push(format!("les relances {}", labels.join(", ")));
    }
    if let Some(title) = parcours {
        what.push(format!("le parcours « {title} »"));
    }
    format!(
        "Me revoilà : {} reprennent à leur rythme. `!relances` les liste.",
        what.join(" et ")
    )
}

/// In reply to the deletion of the message that created a nudge or a reminder.
pub fn cancelled_by_deletion(label: &str) -> String {
    format!("Message supprimé : j'annule aussi **{label}**, qu'il avait créé.")
}

/// A reminder of a message: the excerpt (escaped) and the link to it.
pub fn message_reminder(excerpt: &str, link: &str) -> String {
    format!("⏰ Rappel de ce message : « {excerpt} »\n\n[Voir le message]({link})")
}

/// The text of a message reminder in `!mes-rappels`.
pub fn message_reminder_short(excerpt: &str) -> String {
    format!("rappel du message « {excerpt} »")
}

pub const SNOOZE_NEED_REPLY: &str = "Répondez au message dont vous voulez qu'on vous le rappelle, avec par exemple `!plus-tard 1h` ou `!plus-tard demain à 9h`. Ou réagissez-y avec ⏰ (dans une heure).";

/// Posted once in the room that replaces an upgraded one.
pub fn room_moved(nudges: usize, parcours: usize, reflections: usize) -> String {
    format!(
        "Ce salon remplace l'ancien (mise à niveau du salon) : j'y ai repris ses relances ({nudges}), ses parcours ({parcours}) et ses réflexions ({reflections}). Tout continue ici."
    )
}
