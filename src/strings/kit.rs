//! Every French sentence of the kit module: chat answers of `!kit`, `!fiche`, `!themes`,
//! `!theme`, `!parcours`, parcours steps, `kitbot ask`, and the validation problems an operator
//! reads at `kitbot check`.
//!
//! Owns the words only: `kit/render.rs` decides what to say and escapes anything a user typed
//! before it reaches these functions. Tone: short, friendly, "vous", the next step last.

// ---------------------------------------------------------------------------------------------
// Chat: `!kit <question>`
// ---------------------------------------------------------------------------------------------

/// `!kit` with nothing after it.
pub fn kit_empty_question(example_question: &str) -> String {
    format!(
        "Posez votre question après `!kit`, en quelques mots, par exemple :\n\n\
         `!kit {example_question}`\n\n\
         Pour parcourir le kit par thème : `!themes`."
    )
}

/// Example used when the question is empty.
pub const KIT_EXAMPLE_QUESTION: &str = "visio premier rendez-vous";

/// No card answers well. `quoted` is already escaped, `themes` is a rendered list.
pub fn kit_no_match(quoted: &str, themes: &str) -> String {
    format!(
        "Je n'ai pas trouvé de fiche qui réponde vraiment à « {quoted} ». \
         Essayez avec d'autres mots (un canal, une situation, un public), ou parcourez un thème :\n\n\
         {themes}\n\n\
         Tapez `!theme <nom>` pour voir ses fiches."
    )
}

// ---------------------------------------------------------------------------------------------
// Readers' feedback: 👍 / 👎, passing a question on to the kit's writers (`!transmettre`)
// ---------------------------------------------------------------------------------------------

/// Last line of a card shown by `!kit` or `!fiche`.
pub const KIT_VOTE_INVITE: &str = "_Cette réponse vous aide ? Réagissez 👍 ou 👎._";

/// Last line of a "no good match" answer whose question the guard accepted.
pub const KIT_PASS_ON_OFFER: &str =
    "_Pour transmettre cette question aux rédacteurs du kit (sans votre nom) : `!transmettre`._";

/// Last line of a "no good match" answer whose question holds personal data.
pub const KIT_PASS_ON_PERSONAL: &str =
    "_Votre question semble contenir des données personnelles : \
     elle ne peut pas être transmise aux rédacteurs du kit. Reformulez-la sans nom ni coordonnées \
     si vous souhaitez la transmettre._";

/// After a 👎 on an answer, in reply to it.
pub const KIT_NOT_USEFUL_OFFER: &str = "Merci pour votre retour. Pour transmettre la question \
     (sans votre nom) aux rédacteurs du kit, qui améliorent les fiches : `!transmettre`.";

/// `!transmettre`: the question is kept for the writers.
pub const PASS_ON_KEPT: &str =
    "Merci : votre question est transmise aux rédacteurs du kit, sans votre nom.";

/// `!transmettre` with nothing recent to pass on.
pub const PASS_ON_NOTHING: &str = "Je n'ai pas de question récente à transmettre ici. \
     Écrivez-la après la commande, par exemple : `!transmettre il manque une fiche sur le permis de conduire`.";

/// `!transmettre`: the text holds personal data. `kinds` is a French list.
pub fn pass_on_personal(kinds: &str) -> String {
    format!(
        "Votre question semble contenir des données personnelles ({kinds}) : je ne la transmets pas. \
         Reformulez-la sans nom ni coordonnées, par exemple : `!transmettre un jeune sans téléphone, comment le joindre`."
    )
}

/// The question holds no meaningful word (emoji, punctuation, stop words only).
pub fn kit_nothing_to_search(themes: &str) -> String {
    format!(
        "Je n'ai pas trouvé de mot à chercher dans votre question. \
         Décrivez la situation en quelques mots (par exemple `!kit {KIT_EXAMPLE_QUESTION}`), \
         ou parcourez un thème :\n\n\
         {themes}\n\n\
         Tapez `!theme <nom>` pour voir ses fiches."
    )
}

/// Label of the card's "try this week" part, with the time it takes.
pub fn kit_try_label(duree: &str) -> String {
    format!("**Essayer cette semaine** ({duree})")
}

/// Label before the source links.
pub const KIT_SOURCES_LABEL: &str = "Sources :";

/// Label before the other matching cards.
pub const KIT_OTHERS_LABEL: &str = "Autres fiches proches :";

/// Last line of a `!kit` answer.
pub fn kit_next_step(id: &str) -> String {
    format!("La fiche complète : `!fiche {id}`")
}

// ---------------------------------------------------------------------------------------------
// Chat: `!fiche <id>`
// ---------------------------------------------------------------------------------------------

/// `!fiche` with no id.
pub fn fiche_missing_id(example_id: &str) -> String {
    format!(
        "Indiquez l'identifiant d'une fiche après `!fiche`, par exemple `!fiche {example_id}`. \
         Pour trouver une fiche, posez votre question avec `!kit <question>` ou parcourez `!themes`."
    )
}

/// Unknown card id; `quoted` is escaped, `suggestions` a rendered list (may be empty).
pub fn fiche_unknown(quoted: &str, suggestions: &str) -> String {
    if suggestions.is_empty() {
        format!(
            "Je ne connais pas la fiche « {quoted} ». \
             Posez votre question avec `!kit <question>` ou parcourez `!themes`."
        )
    } else {
        format!(
            "Je ne connais pas la fiche « {quoted} ». Vouliez-vous dire :\n\n\
             {suggestions}\n\n\
             Sinon, posez votre question avec `!kit <question>`."
        )
    }
}

/// The line under a card's title.
pub fn fiche_meta(theme: &str, niveau: u8, duree: &str, canaux: &str) -> String {
    if canaux.is_empty() {
        format!("_{theme} · niveau {niveau}/4 · {duree}_")
    } else {
        format!("_{theme} · niveau {niveau}/4 · {duree} · {canaux}_")
    }
}

/// Parcours a card belongs to; `list` is rendered.
pub fn fiche_in_parcours(list: &str) -> String {
    format!("Cette fiche fait partie du parcours {list} (`!parcours`).")
}

// ---------------------------------------------------------------------------------------------
// Chat: `!themes`, `!theme <nom>`
// ---------------------------------------------------------------------------------------------

/// Heading of the theme list.
pub const THEMES_TITLE: &str = "**Les thèmes du kit**";

/// One theme in the list.
pub fn themes_item(nom: &str, description: &str, slug: &str, cards: usize) -> String {
    let fiches = plural(cards, "fiche", "fiches");
    format!("- **{nom}** — {description} (`!theme {slug}`, {cards} {fiches})")
}

/// One theme in a short list (no description).
pub fn themes_short_item(nom: &str, slug: &str) -> String {
    format!("- {nom} : `!theme {slug}`")
}

/// Last line of the theme list.
pub const THEMES_NEXT_STEP: &str = "Tapez `!theme <nom>` pour voir les fiches d'un thème.";

/// The kit has no theme (cannot happen with a validated kit, said kindly anyway).
pub const THEMES_NONE: &str = "Le kit ne contient encore aucun thème.";

/// `!theme` with no name.
pub const THEME_MISSING_NAME: &str = "Indiquez le thème après `!theme`, par exemple :";

/// Unknown theme; `quoted` is escaped.
pub fn theme_unknown(quoted: &str) -> String {
    format!("Je ne connais pas le thème « {quoted} ». Voici les thèmes du kit :")
}

/// A theme without cards yet.
pub const THEME_EMPTY: &str = "Aucune fiche dans ce thème pour l'instant.";

/// One card in a theme's list.
pub fn theme_card_item(id: &str, titre: &str, niveau: u8, duree: &str) -> String {
    format!("- `{id}` — {titre} (niveau {niveau}, {duree})")
}

/// Last line of a theme's card list.
pub const THEME_NEXT_STEP: &str = "Pour lire une fiche : `!fiche <id>`.";

// ---------------------------------------------------------------------------------------------
// Chat: `!parcours`, parcours steps
// ---------------------------------------------------------------------------------------------

/// Heading of the parcours list.
pub const PARCOURS_TITLE: &str = "**Les parcours d'adoption**";

/// Intro of the parcours list.
pub const PARCOURS_INTRO: &str =
    "Une pratique à la fois, au rythme de l'équipe : chaque étape propose une fiche à essayer.";

/// One parcours in the list.
pub fn parcours_item(titre: &str, id: &str, steps: usize, description: &str) -> String {
    let etapes = plural(steps, "étape", "étapes");
    format!("- **{titre}** (`{id}`, {steps} {etapes}) — {description}")
}

/// Last line of the parcours list.
pub const PARCOURS_NEXT_STEP: &str =
    "Pour en démarrer un avec l'équipe (coordination) : `!parcours demarrer <id>`.";

/// No parcours defined.
pub const PARCOURS_NONE: &str = "Aucun parcours n'est encore défini dans le kit.";

/// Heading of one step.
pub fn step_title(parcours: &str, step: usize, steps: usize) -> String {
    format!("**Parcours « {parcours} » — étape {step} sur {steps}**")
}

/// Invitation closing a step nudge.
pub fn step_invitation(id: &str) -> String {
    format!(
        "Quand vous l'avez essayé, réagissez avec ✅ à ce message. \
         Envie d'en parler ? Répondez dans le fil. La fiche complète : `!fiche {id}`"
    )
}

/// The step is past the end of the parcours.
pub fn step_done(parcours: &str) -> String {
    format!(
        "Le parcours « {parcours} » est terminé : merci à toutes et tous ! \
         Prenez un moment en équipe pour garder ce qui a marché ; `!parcours` en propose d'autres."
    )
}

/// The step names a card this kit does not have (only for a parcours from another kit).
pub fn step_missing_card(id: &str) -> String {
    format!("Cette étape renvoie à la fiche `{id}`, absente du kit.")
}

// ---------------------------------------------------------------------------------------------
// `kitbot ask`
// ---------------------------------------------------------------------------------------------

/// No card matched at all.
pub const CLI_NO_HIT: &str = "Aucune fiche ne correspond.";

/// Marker for a hit under the answer threshold.
pub const CLI_BELOW_THRESHOLD: &str = "(sous le seuil de réponse)";

// ---------------------------------------------------------------------------------------------
// Validation problems (operator-facing, shown by `kitbot check` and at start-up)
// ---------------------------------------------------------------------------------------------

/// Folder name assumed when no path tells it.
pub const DEFAULT_KIT_DIR: &str = "kit-snippets";

pub const TYPE_STRING: &str = "un texte";
pub const TYPE_STRING_LIST: &str = "une liste de textes";
pub const TYPE_INTEGER: &str = "un nombre entier";
pub const TYPE_TABLE_LIST: &str = "une liste de tables [[…]]";
pub const TYPE_QUESTIONS: &str =
    "une table de fiches, chacune avec une liste de questions, ex. sms-rappel = [\"ils oublient leurs rdv\"]";
pub const TYPE_GROUPS: &str = "une liste de groupes de mots, ex. [[\"visio\", \"vidéo\"]]";

pub fn problem_toml_syntax(detail: &str) -> String {
    format!("TOML invalide : {detail}")
}
pub fn problem_missing_field(key: &str) -> String {
    format!("champ obligatoire « {key} » manquant")
}
pub fn problem_empty_field(key: &str) -> String {
    format!("le champ « {key} » est vide")
}
pub fn problem_empty_item(key: &str) -> String {
    format!("le champ « {key} » contient un élément vide")
}
pub fn problem_wrong_type(key: &str, expected: &str) -> String {
    format!("le champ « {key} » doit être {expected}")
}
pub fn problem_unknown_field(key: &str, known: &[&str]) -> String {
    format!(
        "champ inconnu « {key} » (champs attendus : {})",
        known.join(", ")
    )
}
pub fn problem_not_kebab(id: &str) -> String {
    format!("l'identifiant « {id} » doit être en kebab-case : minuscules sans accent, chiffres et tirets (ex. sms-rappel)")
}
pub fn problem_id_not_file_name(id: &str, stem: &str) -> String {
    format!("l'identifiant « {id} » doit être le nom du fichier, « {stem} »")
}
pub fn problem_niveau_range(n: i64) -> String {
    format!("niveau {n} hors limites : il va de 1 à 4")
}
pub fn problem_bad_url(url: &str) -> String {
    format!("l'adresse de la source « {url} » doit commencer par http:// ou https://")
}
pub fn problem_body_too_long(chars: usize, max: usize) -> String {
    format!("le texte de la fiche fait {chars} caractères, au-delà de {max} : raccourcissez-le")
}
pub fn problem_missing_section(heading: &str) -> String {
    format!("section « ## {heading} » manquante")
}
pub fn problem_empty_section(heading: &str) -> String {
    format!("la section « ## {heading} » est vide")
}
pub fn problem_duplicate_card(id: &str, first: &str) -> String {
    format!("identifiant « {id} » déjà utilisé par {first}")
}
pub fn problem_duplicate_parcours(id: &str, first: &str) -> String {
    format!("parcours « {id} » déjà défini par {first}")
}
pub fn problem_duplicate_theme(slug: &str) -> String {
    format!("thème « {slug} » défini deux fois")
}
pub fn problem_duplicate_file(first: &str) -> String {
    format!("fichier en double : {first} existe déjà")
}
pub fn problem_unknown_theme(theme: &str, known: &[&str]) -> String {
    format!(
        "thème inconnu « {theme} » (thèmes de themes.toml : {})",
        known.join(", ")
    )
}
pub fn problem_parcours_unknown_card(id: &str) -> String {
    format!("l'étape renvoie à la fiche « {id} », qui n'existe pas")
}
pub fn problem_questions_unknown_card(id: &str) -> String {
    format!("des questions sont rattachées à la fiche « {id} », qui n'existe pas")
}
pub fn problem_synonym_meaningless(word: &str) -> String {
    format!("le synonyme « {word} » ne contient aucun mot cherchable (mots vides seulement)")
}
pub fn problem_read_dir(detail: &str) -> String {
    format!("dossier du kit illisible : {detail}")
}
pub fn problem_read_file(detail: &str) -> String {
    format!("fichier illisible : {detail}")
}

pub const PROBLEM_NO_FRONT_MATTER: &str =
    "la fiche doit commencer par un en-tête TOML entre deux lignes +++";
pub const PROBLEM_UNCLOSED_FRONT_MATTER: &str =
    "en-tête TOML non fermé : ajoutez une ligne +++ après les champs";
pub const PROBLEM_NO_SOURCE: &str =
    "aucune source : ajoutez au moins un bloc [[sources]] avec titre et url";
pub const PROBLEM_NO_INTRO: &str =
    "paragraphe d'introduction manquant avant la première section (ce que c'est, pourquoi)";
pub const PROBLEM_NO_THEME: &str =
    "aucun thème : ajoutez des blocs [[theme]] (slug, nom, description)";
pub const PROBLEM_NO_THEMES_FILE: &str = "fichier des thèmes manquant";
pub const PROBLEM_NO_CARD: &str = "aucune fiche (.md) dans le kit";
pub const PROBLEM_PARCOURS_EMPTY: &str =
    "parcours vide : ajoutez au moins un bloc [[etapes]] (fiche, intention)";
pub const PROBLEM_SYNONYM_GROUP_TOO_SMALL: &str =
    "un groupe de synonymes doit contenir au moins deux mots";
pub const PROBLEM_UNKNOWN_FILE: &str =
    "fichier inattendu dans le kit (attendus : fiches .md, themes.toml, synonymes.toml, questions.toml, parcours/*.toml)";
pub const PROBLEM_NOT_UTF8: &str = "fichier illisible : il n'est pas encodé en UTF-8";

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n > 1 {
        many
    } else {
        one
    }
}

/// `kitbot check`: a card whose numbers and services were checked more than a year ago.
pub fn check_stale_card(id: &str, month: &str) -> String {
    format!("Avertissement : la fiche « {id} » a été vérifiée en {month}, il y a plus d'un an : revérifiez ses numéros et ses services auprès de leurs sources, puis mettez à jour `verifie`.")
}
