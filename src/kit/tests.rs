//! Tests of the module as a whole: checks across files, loading from disk, search behaviour
//! and the rendered chat answers. Per-file parsing and text analysis are tested beside their
//! code (`card.rs`, `text.rs`).

use super::*;

fn card_file(id: &str, titre: &str, theme: &str, tags: &str, intro: &str, essayer: &str) -> String {
    format!(
        "+++
id = \"{id}\"
titre = \"{titre}\"
theme = \"{theme}\"
niveau = 1
tags = [{tags}]
canaux = [\"sms\"]
duree = \"15 minutes\"
[[sources]]
titre = \"Source [officielle]\"
url = \"https://example.org/{id}\"
+++
{intro}

## Essayer cette semaine
{essayer}

## Points de vigilance
- Rester attentif.
"
    )
}

const THEMES: &str = "[[theme]]
slug = \"canal\"
nom = \"Choisir et utiliser les canaux\"
description = \"Téléphone, SMS, visio.\"

[[theme]]
slug = \"donnees\"
nom = \"Protection des données\"
description = \"Collecter le minimum.\"

[[theme]]
slug = \"vide\"
nom = \"Thème sans fiche\"
description = \"Pour plus tard.\"
";

const SYNONYMES: &str = "groupes = [
  [\"visio\", \"visioconférence\", \"appel vidéo\"],
  [\"rdv\", \"rendez-vous\"],
  [\"sms\", \"texto\"],
]
";

const PARCOURS: &str = "id = \"premiers-pas\"
titre = \"Premiers pas\"
description = \"Deux étapes pour commencer.\"

[[etapes]]
fiche = \"sms-rappel\"
intention = \"Commencer par un geste simple.\"

[[etapes]]
fiche = \"visio-premier-rdv\"
intention = \"Tenter une première visio.\"
";

fn fixture_files() -> Vec<(String, String)> {
    vec![
        (
            "kit-snippets/sms-rappel.md".into(),
            card_file(
                "sms-rappel",
                "Rappeler un rendez-vous par SMS",
                "canal",
                "\"sms\", \"rappel\", \"oubli\"",
                "Un SMS la veille du rendez-vous évite bien des oublis.",
                "1. Envoyez un SMS la veille.",
            ),
        ),
        (
            "kit-snippets/visio-premier-rdv.md".into(),
            card_file(
                "visio-premier-rdv",
                "Mener un premier entretien en visioconférence",
                "canal",
                "\"visioconférence\", \"caméra\"",
                "La visioconférence évite un long trajet à l'accompagné.",
                "1. Envoyez le lien la veille.",
            ),
        ),
        (
            "kit-snippets/donnees-minimum.md".into(),
            card_file(
                "donnees-minimum",
                "Ne noter que le strict nécessaire",
                "donnees",
                "\"données\", \"minimisation\", \"dossier\"",
                "Moins on écrit de données personnelles, moins on expose l'autonomie du jeune.",
                "1. Relisez une fiche de suivi et retirez le superflu.",
            ),
        ),
        ("kit-snippets/themes.toml".into(), THEMES.into()),
        ("kit-snippets/synonymes.toml".into(), SYNONYMES.into()),
        (
            "kit-snippets/parcours/premiers-pas.toml".into(),
            PARCOURS.into(),
        ),
        (
            "kit-snippets/README.md".into(),
            "Notes for authors, not a card.".into(),
        ),
    ]
}

fn fixture() -> Kit {
    match Kit::from_files(&fixture_files()) {
        Ok(kit) => kit,
        Err(problems) => panic!("fixture should load: {problems:#?}"),
    }
}

fn problems_of(files: Vec<(String, String)>) -> Vec<Problem> {
    match Kit::from_files(&files) {
        Ok(_) => panic!("this kit should not load"),
        Err(problems) => problems,
    }
}

fn replace(files: &mut [(String, String)], path: &str, text: String) {
    let slot = files
        .iter_mut()
        .find(|(p, _)| p == path)
        .expect("fixture file");
    slot.1 = text;
}

#[test]
fn the_fixture_loads_with_sorted_cards_and_parcours() {
    let kit = fixture();
    let ids: Vec<&str> = kit.cards().iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["donnees-minimum", "sms-rappel", "visio-premier-rdv"]);
    assert_eq!(kit.themes().len(), 3);
    assert_eq!(kit.card("sms-rappel").map(|c| c.level), Some(1));
    assert!(kit.card("inconnue").is_none());
    let p = kit.parcours_by_id("premiers-pas").expect("parcours");
    assert_eq!(p.steps.len(), 2);
    assert_eq!(p.steps[1].card, "visio-premier-rdv");
    // Cheap clone: the same shared data.
    let clone = kit.clone();
    assert!(std::ptr::eq(clone.cards(), kit.cards()));
}

struct Case {
    name: &'static str,
    files: Vec<(String, String)>,
    /// (file, line, fragment of the message)
    expected: Vec<(&'static str, Option<usize>, &'static str)>,
}

#[test]
fn problems_across_files_name_file_and_line() {
    let mut duplicate = fixture_files();
    duplicate.push((
        "kit-snippets/archive/sms-rappel.md".into(),
        card_file(
            "sms-rappel",
            "Autre",
            "canal",
            "\"sms\"",
            "Intro.",
            "1. Faire.",
        ),
    ));

    let mut unknown_theme = fixture_files();
    replace(
        &mut unknown_theme,
        "kit-snippets/donnees-minimum.md",
        card_file(
            "donnees-minimum",
            "T",
            "rgpd",
            "\"x\"",
            "Intro.",
            "1. Faire.",
        ),
    );

    let mut unknown_card = fixture_files();
    replace(
        &mut unknown_card,
        "kit-snippets/parcours/premiers-pas.toml",
        PARCOURS.replace(
            "fiche = \"visio-premier-rdv\"",
            "fiche = \"visio-premier-rendez-vous\"",
        ),
    );

    let mut empty_parcours = fixture_files();
    replace(
        &mut empty_parcours,
        "kit-snippets/parcours/premiers-pas.toml",
        "id = \"premiers-pas\"\ntitre = \"P\"\ndescription = \"D\"\n".into(),
    );

    let mut bad_themes = fixture_files();
    replace(
        &mut bad_themes,
        "kit-snippets/themes.toml",
        THEMES.replace("slug = \"donnees\"", "slug = donnees"),
    );

    let mut theme_typo = fixture_files();
    replace(
        &mut theme_typo,
        "kit-snippets/themes.toml",
        THEMES.replace(
            "description = \"Pour plus tard.\"",
            "desc = \"Pour plus tard.\"",
        ),
    );

    let mut no_themes = fixture_files();
    no_themes.retain(|(p, _)| !p.ends_with("themes.toml"));

    let mut stray = fixture_files();
    stray.push(("kit-snippets/notes.txt".into(), "x".into()));

    let mut small_group = fixture_files();
    replace(
        &mut small_group,
        "kit-snippets/synonymes.toml",
        "groupes = [\n  [\"visio\", \"vidéo\"],\n  [\"seul\"],\n]\n".into(),
    );

    let mut questions_unknown_card = fixture_files();
    questions_unknown_card.push((
        "kit-snippets/questions.toml".into(),
        // The unknown id also appears inside a question of the line before: the problem names
        // the line of its key.
        "[fiches]\nsms-rappel = [\"ils oublient\", \"un sms-rapel = rappel ?\"]\nsms-rapel = [\"rappel\", \"relance\"]\n".into(),
    ));

    let mut questions_not_a_list = fixture_files();
    questions_not_a_list.push((
        "kit-snippets/questions.toml".into(),
        "[fiches]\nsms-rappel = \"ils oublient\"\n".into(),
    ));

    let cases = vec![
        Case {
            name: "example questions for an unknown card",
            files: questions_unknown_card,
            expected: vec![("kit-snippets/questions.toml", Some(3), "« sms-rapel »")],
        },
        Case {
            name: "example questions not in a list",
            files: questions_not_a_list,
            expected: vec![("kit-snippets/questions.toml", Some(2), "« sms-rappel »")],
        },
        Case {
            name: "duplicate id",
            files: duplicate,
            expected: vec![(
                "kit-snippets/sms-rappel.md",
                Some(2),
                "kit-snippets/archive/sms-rappel.md",
            )],
        },
        Case {
            name: "unknown theme",
            files: unknown_theme,
            expected: vec![("kit-snippets/donnees-minimum.md", Some(4), "rgpd")],
        },
        Case {
            name: "parcours naming an unknown card",
            files: unknown_card,
            expected: vec![(
                "kit-snippets/parcours/premiers-pas.toml",
                Some(10),
                "visio-premier-rendez-vous",
            )],
        },
        Case {
            name: "empty parcours",
            files: empty_parcours,
            expected: vec![(
                "kit-snippets/parcours/premiers-pas.toml",
                Some(1),
                "parcours vide",
            )],
        },
        Case {
            name: "bad TOML in themes",
            files: bad_themes,
            expected: vec![("kit-snippets/themes.toml", Some(7), "TOML")],
        },
        Case {
            name: "unknown key in a theme entry",
            files: theme_typo,
            expected: vec![
                ("kit-snippets/themes.toml", Some(14), "« desc »"),
                ("kit-snippets/themes.toml", Some(11), "« description »"),
            ],
        },
        Case {
            name: "no themes file",
            files: no_themes,
            expected: vec![("kit-snippets/themes.toml", None, "thèmes")],
        },
        Case {
            name: "stray file",
            files: stray,
            expected: vec![("kit-snippets/notes.txt", None, "inattendu")],
        },
        Case {
            name: "synonym group of one word",
            files: small_group,
            expected: vec![("kit-snippets/synonymes.toml", Some(3), "deux mots")],
        },
    ];
    for case in cases {
        let problems = problems_of(case.files);
        let got: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            problems.len(),
            case.expected.len(),
            "{}: {got:#?}",
            case.name
        );
        for (problem, (file, line, fragment)) in problems.iter().zip(&case.expected) {
            assert_eq!(problem.file, *file, "{}: {problem}", case.name);
            assert_eq!(problem.line, *line, "{}: {problem}", case.name);
            assert!(
                problem.message.contains(fragment),
                "{}: {problem} should mention {fragment}",
                case.name
            );
        }
    }
}

#[test]
fn every_problem_is_reported_at_once_and_no_card_is_dropped() {
    let mut files = fixture_files();
    replace(
        &mut files,
        "kit-snippets/sms-rappel.md",
        fixture_files()[0]
            .1
            .replace("url = \"https://example.org/sms-rappel\"\n", ""),
    );
    replace(
        &mut files,
        "kit-snippets/donnees-minimum.md",
        fixture_files()[2].1.replace("niveau = 1", "niveau = 9"),
    );
    replace(
        &mut files,
        "kit-snippets/parcours/premiers-pas.toml",
        PARCOURS.replace("fiche = \"sms-rappel\"", "fiche = \"sms-rapel\""),
    );
    let problems = problems_of(files);
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 3, "{shown:#?}");
    assert!(shown
        .contains(&"kit-snippets/sms-rappel.md:9: champ obligatoire « url » manquant".to_owned()));
    assert!(shown
        .iter()
        .any(|s| s.starts_with("kit-snippets/donnees-minimum.md:5: niveau 9")));
    // The malformed card is not silently dropped: the parcours that names it still loads its
    // other step, and nothing claims sms-rappel is unknown.
    assert!(shown
        .iter()
        .any(|s| s.starts_with("kit-snippets/parcours/premiers-pas.toml:6:")));
}

#[test]
fn load_dir_reads_a_folder_and_names_files_from_its_parent() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("kit-snippets");
    std::fs::create_dir_all(dir.join("parcours")).expect("mkdir");
    for (path, text) in fixture_files() {
        let rel = path.trim_start_matches("kit-snippets/");
        std::fs::write(dir.join(rel), text).expect("write");
    }
    let kit = Kit::load_dir(&dir).expect("the folder loads");
    assert_eq!(kit.cards().len(), 3);
    assert_eq!(kit.parcours().len(), 1);

    std::fs::write(dir.join("cassee.md"), "+++\nid = \"cassee\"\n").expect("write");
    std::fs::write(dir.join("latin1.md"), [0x2b, 0xe9, 0xff]).expect("write");
    let problems = Kit::load_dir(&dir).expect_err("broken cards");
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        shown
            .iter()
            .any(|s| s.starts_with("kit-snippets/cassee.md:1:")),
        "{shown:#?}"
    );
    assert!(
        shown
            .iter()
            .any(|s| s.starts_with("kit-snippets/latin1.md:")),
        "{shown:#?}"
    );

    let missing = Kit::load_dir(&tmp.path().join("absent")).expect_err("no folder");
    assert_eq!(missing.len(), 1);
}

fn first(kit: &Kit, question: &str) -> Option<String> {
    kit.search(question, 3).first().map(|h| h.id.clone())
}

#[test]
fn search_folds_case_accents_and_elision() {
    let kit = fixture();
    for question in [
        "VISIOCONFÉRENCE",
        "visioconference",
        "vísioconférence premier entretien",
        "l’entretien en visioconférence",
    ] {
        assert_eq!(
            first(&kit, question).as_deref(),
            Some("visio-premier-rdv"),
            "{question}"
        );
    }
    assert_eq!(
        first(&kit, "l'autonomie des données").as_deref(),
        Some("donnees-minimum")
    );
}

#[test]
fn search_expands_synonyms_including_multi_word_ones() {
    let kit = fixture();
    // "visio" and "appel vidéo" only exist as synonyms of "visioconférence".
    assert_eq!(first(&kit, "visio").as_deref(), Some("visio-premier-rdv"));
    assert_eq!(
        first(&kit, "un appel vidéo").as_deref(),
        Some("visio-premier-rdv")
    );
    // "rdv" reaches "rendez-vous", "texto" reaches "sms".
    assert_eq!(first(&kit, "rappel rdv").as_deref(), Some("sms-rappel"));
    assert_eq!(first(&kit, "texto").as_deref(), Some("sms-rappel"));
}

#[test]
fn search_tolerates_one_typo_in_longer_words() {
    let kit = fixture();
    assert_eq!(
        first(&kit, "visioconférance").as_deref(),
        Some("visio-premier-rdv")
    );
    assert_eq!(
        first(&kit, "minimsation").as_deref(),
        Some("donnees-minimum")
    );
    // Truncations reach the longer word.
    assert_eq!(first(&kit, "minimis").as_deref(), Some("donnees-minimum"));
    // Words under 4 letters are not corrected: "smx" is not "sms".
    assert_eq!(first(&kit, "smx"), None);
    // Two edits in a word of 7 letters or more: a letter dropped and another changed.
    assert_eq!(
        first(&kit, "visoconferance").as_deref(),
        Some("visio-premier-rdv")
    );
    assert_eq!(
        first(&kit, "minimistion").as_deref(),
        Some("donnees-minimum")
    );
    // Not in words under 7 letters.
    assert_eq!(first(&kit, "rappel").as_deref(), Some("sms-rappel"));
    assert_eq!(first(&kit, "rxppxl"), None);
}

#[test]
fn chat_abbreviations_are_read_as_their_words() {
    use crate::kit::text::{analyze, words};
    // Abbreviations of everyday words stem as the full word.
    let pairs = [
        ("msg", "message"),
        ("pb", "problème"),
        ("dispo", "disponible"),
        ("perso", "personnel"),
        ("num", "numéro"),
        ("verif", "vérification"),
        ("notifs", "notification"),
    ];
    for (short, full) in pairs {
        assert_eq!(analyze(short), analyze(full), "{short} / {full}");
    }
    // Abbreviations of function words are stop words.
    assert_eq!(
        words("qd il a bcp de msg ds la journée, jsp pq"),
        ["msg", "journee"]
    );
}

#[test]
fn a_named_card_id_comes_first() {
    let kit = fixture();
    let hits = kit.search("sms et visioconférence, voir donnees-minimum", 3);
    assert_eq!(hits[0].id, "donnees-minimum");
    assert!(hits[0].score > hits[1].score);
    assert_eq!(
        kit.best_answer("donnees-minimum").map(|h| h.id).as_deref(),
        Some("donnees-minimum")
    );
}

#[test]
fn search_survives_huge_and_odd_input() {
    let kit = fixture();
    let huge = format!("visioconférence {}", "🙂 <b>**x**</b> ".repeat(6_000));
    assert!(huge.len() > 64 * 1024);
    let start = std::time::Instant::now();
    let hits = kit.search(&huge, 3);
    assert!(start.elapsed() < std::time::Duration::from_millis(200));
    assert_eq!(
        hits.first().map(|h| h.id.as_str()),
        Some("visio-premier-rdv")
    );
    assert!(kit.search("", 3).is_empty());
    assert!(kit.search("🙂🙂🙂", 3).is_empty());
    assert!(kit.search("le la les de des", 3).is_empty());
    assert!(kit.search("visio", 0).is_empty());
}

#[test]
fn kit_answer_shows_the_card_sources_and_next_step() {
    let kit = fixture();
    let answer = render_kit_answer(&kit, "premier entretien en visio");
    assert!(
        answer.starts_with("**Mener un premier entretien en visioconférence**"),
        "{answer}"
    );
    assert!(answer.contains("La visioconférence évite un long trajet"));
    assert!(answer.contains("**Essayer cette semaine** (15 minutes)"));
    assert!(answer.contains("1. Envoyez le lien la veille."));
    assert!(answer.contains("[Source \\[officielle\\]](https://example.org/visio-premier-rdv)"));
    assert!(
        answer.trim_end().ends_with("`!fiche visio-premier-rdv`"),
        "{answer}"
    );
}

#[test]
fn kit_answer_handles_empty_stop_words_and_unmatched_questions() {
    let kit = fixture();
    let empty = render_kit_answer(&kit, "   ");
    assert!(empty.contains("Posez votre question"), "{empty}");
    assert!(empty.contains("`!kit "));

    for question in ["le la les de des", "🙂🙂", "???"] {
        let answer = render_kit_answer(&kit, question);
        assert!(
            answer.contains("pas trouvé de mot à chercher"),
            "{question}: {answer}"
        );
        assert!(answer.contains("`!theme canal`"));
    }

    let answer = render_kit_answer(&kit, "recette de la tarte aux pommes");
    assert!(answer.contains("Je n'ai pas trouvé de fiche"), "{answer}");
    assert!(answer.contains("« recette de la tarte aux pommes »"));
    assert!(answer.contains("`!theme donnees`"));
}

#[test]
fn kit_answer_never_echoes_markup_or_mentions() {
    let kit = fixture();
    let answer = render_kit_answer(
        &kit,
        "<script>alert(1)</script> **gras** @room @alice:example.org",
    );
    assert!(!answer.contains("<script>"), "{answer}");
    assert!(!answer.contains("**gras**"), "{answer}");
    assert!(!answer.contains("@room"), "{answer}");
    assert!(!answer.contains("@alice"), "{answer}");
    assert!(answer.contains("\\<script\\>"), "{answer}");

    let huge = format!("{}**", "<b>🙂</b>".repeat(8_000));
    let answer = render_kit_answer(&kit, &huge);
    assert!(answer.len() < 2_000, "a huge question gives a short answer");
    assert!(!answer.contains("<b>"));
}

#[test]
fn fiche_shows_a_card_or_the_closest_ids() {
    let kit = fixture();
    let fiche = render_fiche(&kit, " `sms-rappel` ");
    assert!(
        fiche.starts_with("**Rappeler un rendez-vous par SMS**"),
        "{fiche}"
    );
    assert!(fiche.contains("_Choisir et utiliser les canaux · niveau 1/4 · 15 minutes · sms_"));
    assert!(fiche.contains("**Essayer cette semaine**"));
    assert!(!fiche.contains("## "), "headings become bold lines");
    assert!(fiche.contains("« Premiers pas »"));

    let unknown = render_fiche(&kit, "sms-rapel");
    assert!(
        unknown.contains("Je ne connais pas la fiche « sms-rapel »"),
        "{unknown}"
    );
    assert!(unknown.contains("`sms-rappel`"), "{unknown}");

    let injected = render_fiche(&kit, "<img src=x> @room");
    assert!(injected.contains("\\<img src=x\\>"), "{injected}");
    assert!(!injected.contains("@room"), "{injected}");

    let missing = render_fiche(&kit, "");
    assert!(missing.contains("`!fiche donnees-minimum`"), "{missing}");
}

#[test]
fn themes_and_theme_lists() {
    let kit = fixture();
    let themes = render_themes(&kit);
    assert!(themes.contains("**Choisir et utiliser les canaux**"));
    assert!(themes.contains("(`!theme canal`, 2 fiches)"), "{themes}");
    assert!(themes.contains("(`!theme vide`, 0 fiche)"), "{themes}");

    for name in ["canal", "CANAL", "choisir et utiliser les canaux", "Canaux"] {
        let theme = render_theme(&kit, name);
        assert!(
            theme.starts_with("**Choisir et utiliser les canaux**"),
            "{name}: {theme}"
        );
        assert!(theme.contains("- `sms-rappel` — Rappeler un rendez-vous par SMS"));
    }
    assert!(render_theme(&kit, "protection des donnees").contains("`donnees-minimum`"));
    assert!(render_theme(&kit, "vide").contains("Aucune fiche dans ce thème"));

    let unknown = render_theme(&kit, "cuisine <b>");
    assert!(
        unknown.contains("Je ne connais pas le thème « cuisine \\<b\\> »"),
        "{unknown}"
    );
    assert!(unknown.contains("`!theme donnees`"));
    assert!(render_theme(&kit, "").contains("`!theme canal`"));
}

#[test]
fn parcours_list_and_steps() {
    let kit = fixture();
    let list = render_parcours_list(&kit);
    assert!(
        list.contains("**Premiers pas** (`premiers-pas`, 2 étapes)"),
        "{list}"
    );

    let parcours = kit.parcours_by_id("premiers-pas").expect("parcours");
    let step = render_step(&kit, parcours, 0);
    assert!(
        step.starts_with("**Parcours « Premiers pas » — étape 1 sur 2**"),
        "{step}"
    );
    assert!(step.contains("**Rappeler un rendez-vous par SMS**"));
    assert!(step.contains("Commencer par un geste simple."));
    assert!(step.contains("1. Envoyez un SMS la veille."));
    assert!(step.contains("✅"));
    assert!(render_step(&kit, parcours, 1).contains("étape 2 sur 2"));
    assert!(render_step(&kit, parcours, 2).contains("est terminé"));

    let foreign = Parcours {
        id: "autre".into(),
        title: "Autre".into(),
        description: "D".into(),
        steps: vec![Step::new("absente", "I")],
    };
    assert!(render_step(&kit, &foreign, 0).contains("`absente`"));
}

#[test]
fn cli_ask_prints_text_or_json() {
    let kit = fixture();
    let json = cli_ask(&kit, "visioconférence", true, 5);
    let parsed: Vec<serde_json::Value> = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(parsed[0]["id"], "visio-premier-rdv");
    assert!(parsed[0]["score"].as_f64().is_some_and(|s| s > 0.0));
    assert_eq!(cli_ask(&kit, "🙂", true, 5), "[]");

    let text = cli_ask(&kit, "visioconférence", false, 5);
    assert!(text.starts_with("1. visio-premier-rdv ("), "{text}");
    assert_eq!(
        cli_ask(&kit, "🙂", false, 5),
        crate::strings::kit::CLI_NO_HIT
    );
}

/// Found by the `linear` fuzz target (fuzz/README.md): `!fiche` with a 64 KB id computed an
/// edit distance over the whole id for every card, then searched the kit with it (14 s in a
/// debug build on the real kit). The id is now cut first: about 40 ms.
#[test]
fn a_huge_fiche_id_is_answered_at_once() {
    let kit = Kit::from_files(&crate::assets::embedded("kit-snippets/")).expect("embedded kit");
    let id = "sms-rappel ".repeat(6_000);
    let start = std::time::Instant::now();
    let answer = render_fiche(&kit, &id);
    let took = start.elapsed();
    assert!(
        answer.contains("Je ne connais pas la fiche « sms-rappel sms-rappel"),
        "{answer}"
    );
    assert!(answer.len() < 2_000, "{} bytes", answer.len());
    assert!(took < std::time::Duration::from_secs(5), "took {took:?}");
}

#[test]
fn example_questions_bring_their_card_first() {
    // "lapin" is in no card of the fixture: only the example question ties it to sms-rappel.
    let question = "il me pose un lapin sur deux";
    assert!(fixture().search(question, 3).is_empty());
    let mut files = fixture_files();
    files.push((
        "kit-snippets/questions.toml".into(),
        "[fiches]\nsms-rappel = [\"ils me posent des lapins\"]\n".into(),
    ));
    let kit = Kit::from_files(&files).expect("the fixture with questions loads");
    let hits = kit.search(question, 3);
    assert_eq!(
        hits.first().map(|h| h.id.as_str()),
        Some("sms-rappel"),
        "{hits:?}"
    );
}
