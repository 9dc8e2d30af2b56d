//! Words of the HTML report (`kitbot export --format html`): its titles, column headers and
//! notes. Numbers and dates arrive already formatted; names arrive raw and are escaped by the
//! page itself.

/// The page's title and first heading.
pub fn title(mission: &str) -> String {
    format!("Rapport d'activité — {mission}")
}

/// The period line. Dates as `31/12/2026`; `until` is the last day included.
pub fn period(since: Option<&str>, until: Option<&str>, retention_months: u32) -> String {
    match (since, until) {
        (Some(s), Some(u)) => format!("Période : du {s} au {u} inclus."),
        (Some(s), None) => format!("Période : depuis le {s}."),
        (None, Some(u)) => format!("Période : jusqu'au {u} inclus."),
        (None, None) => format!(
            "Période : tout ce qui est conservé (les réflexions sont gardées \
             {retention_months} mois)."
        ),
    }
}

pub fn made_on(date: &str) -> String {
    format!("Rapport établi le {date} par kitbot.")
}

// ----- key figures -----

pub const FIGURE_REFLECTIONS: &str = "réflexions partagées";
pub const FIGURE_PARCOURS: &str = "parcours suivis";
pub const FIGURE_TRIED: &str = "essais d'une étape";
pub const FIGURE_NUDGES: &str = "relances envoyées";

// ----- adoption -----

pub const ADOPTION: &str = "Adoption des parcours, étape par étape";
pub const ADOPTION_INTRO: &str = "Pour chaque étape : dans combien de salons elle a été publiée \
     pendant la période, et combien de personnes ont réagi à son message pour dire qu'elles \
     l'avaient essayée (une personne compte une fois par étape, même dans plusieurs salons).";
pub const NO_PARCOURS: &str = "Aucun parcours pendant la période.";

pub fn parcours_heading(title: &str, rooms: usize) -> String {
    if rooms == 1 {
        format!("{title} (suivi dans 1 salon)")
    } else {
        format!("{title} (suivi dans {rooms} salons)")
    }
}

pub fn step_label(n: usize, title: &str) -> String {
    format!("Étape {n} · {title}")
}

pub fn adoption_chart(title: &str) -> String {
    format!("Personnes qui ont essayé chaque étape du parcours « {title} »")
}

pub const COL_STEP: &str = "Étape";
pub const COL_CARD: &str = "Fiche";
pub const COL_ROOMS: &str = "Salons où elle a été publiée";
pub const COL_PEOPLE: &str = "Personnes qui l'ont essayée";

// ----- reflections -----

pub const REFLECTIONS: &str = "Réflexions partagées";

pub fn reflections_intro(total: usize, rooms: usize) -> String {
    match total {
        0 => "Aucune réflexion partagée pendant la période.".to_owned(),
        1 => "1 réflexion partagée, dans 1 salon.".to_owned(),
        _ => format!("{total} réflexions partagées, dans {rooms} salon(s)."),
    }
}

pub const BY_MONTH: &str = "Par mois";
pub const BY_CARD: &str = "Par fiche pratique";
pub const MONTH_CHART: &str = "Réflexions partagées par mois";
pub const CARD_CHART: &str = "Réflexions partagées par fiche pratique";
pub const COL_MONTH: &str = "Mois";
pub const COL_REFLECTIONS: &str = "Réflexions";
pub const NO_CARD: &str = "Sans fiche";

// ----- nudges -----

pub const NUDGES: &str = "Relances envoyées";
pub const NUDGES_INTRO: &str = "Les messages que kitbot a publiés dans les salons de l'équipe : \
     les relances programmées par la coordination et les étapes des parcours. Les rappels \
     personnels n'y sont pas.";
pub const NO_NUDGES: &str = "Aucune relance ni étape publiée pendant la période.";
pub const NUDGES_CHART: &str = "Relances envoyées par mois";
pub const COL_NUDGES: &str = "Relances";
pub const COL_STEPS: &str = "Étapes de parcours";
pub const TOTAL: &str = "Total";

// ----- notes -----

pub fn notes(posts_kept_days: i64) -> String {
    format!(
        "Les réflexions sont comptées sans leur texte ni leur auteur ; celles dont l'auteur a \
         retiré son accord n'y sont pas. Les messages publiés sont gardés {posts_kept_days} \
         jours : les relances plus anciennes ne sont pas comptées."
    )
}

/// `kitbot export --format html`'s summary line on standard error.
pub fn cli_written(mission: &str) -> String {
    format!("Rapport HTML écrit pour {mission}.")
}
