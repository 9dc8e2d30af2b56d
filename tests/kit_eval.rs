//! Quality gate of the kit search: top-1 and top-3 accuracy on `tests/data/kit-eval.toml`
//! (questions typed as counsellors do, each with the card that should answer it).
//!
//! Fails under 85 % top-1 or 95 % top-3, printing every miss with what came first, so a card or
//! synonym change that hurts the search shows up in CI. Also checks that off-topic questions stay
//! under the answer threshold, so `!kit` keeps saying honestly when it has nothing.

use std::path::PathBuf;

use kitbot::kit::{Kit, MIN_CONFIDENCE};

#[derive(serde::Deserialize)]
struct EvalSet {
    q: Vec<Question>,
}

#[derive(serde::Deserialize)]
struct Question {
    question: String,
    attendu: String,
}

/// The crate root; `KIT_ROOT` overrides it (to run this file against another checkout).
fn root() -> PathBuf {
    std::env::var_os("KIT_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

fn load() -> (Kit, EvalSet) {
    let root = root();
    let kit = match Kit::load_dir(&root.join("kit-snippets")) {
        Ok(kit) => kit,
        Err(problems) => {
            let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
            panic!("the kit does not load:\n{}", list.join("\n"));
        }
    };
    let text = std::fs::read_to_string(root.join("tests/data/kit-eval.toml"))
        .expect("tests/data/kit-eval.toml is readable");
    let set: EvalSet = toml::from_str(&text).expect("kit-eval.toml parses");
    (kit, set)
}

#[test]
fn search_accuracy_meets_the_gate() {
    let (kit, set) = load();
    assert!(!set.q.is_empty(), "the evaluation set is empty");
    let mut top1 = 0usize;
    let mut top3 = 0usize;
    let mut misses = Vec::new();
    for q in &set.q {
        assert!(
            kit.card(&q.attendu).is_some(),
            "kit-eval.toml expects an unknown card: {}",
            q.attendu
        );
        let hits = kit.search(&q.question, 3);
        let rank = hits.iter().position(|h| h.id == q.attendu);
        match rank {
            Some(0) => {
                top1 += 1;
                top3 += 1;
            }
            Some(_) => top3 += 1,
            None => {}
        }
        if rank != Some(0) {
            let got: Vec<String> = hits
                .iter()
                .map(|h| format!("{} ({:.2})", h.id, h.score))
                .collect();
            misses.push(format!(
                "  {:?}\n    attendu {} (rang {}), obtenu : {}",
                q.question,
                q.attendu,
                rank.map_or("> 3".to_owned(), |r| (r + 1).to_string()),
                got.join(", ")
            ));
        }
    }
    let n = set.q.len() as f64;
    let (p1, p3) = (top1 as f64 / n * 100.0, top3 as f64 / n * 100.0);
    println!(
        "kit search: {} questions, top-1 {p1:.1} %, top-3 {p3:.1} %",
        set.q.len()
    );
    if !misses.is_empty() {
        println!("not first:\n{}", misses.join("\n"));
    }
    assert!(
        p1 >= 85.0 && p3 >= 95.0,
        "search quality under the gate (top-1 {p1:.1} % < 85 % or top-3 {p3:.1} % < 95 %):\n{}",
        misses.join("\n")
    );
}

#[test]
fn right_answers_are_given_and_off_topic_questions_get_none() {
    let (kit, set) = load();
    // A right first card under the confidence threshold is hidden behind "nothing found".
    let mut hidden = Vec::new();
    for q in &set.q {
        let first = kit.search(&q.question, 1);
        if first.first().is_some_and(|h| h.id == q.attendu)
            && kit.best_answer(&q.question).is_none()
        {
            hidden.push(format!("  {:?} → {}", q.question, q.attendu));
        }
    }
    println!(
        "right first cards under MIN_CONFIDENCE {MIN_CONFIDENCE}: {}",
        hidden.len()
    );
    assert!(
        hidden.len() * 20 <= set.q.len(),
        "more than 5 % of right answers fall under MIN_CONFIDENCE {MIN_CONFIDENCE}:\n{}",
        hidden.join("\n")
    );

    let off_topic = [
        "recette de la tarte aux pommes",
        "quel temps fera-t-il demain à Nantes",
        "résultats du match de football de samedi",
        "comment réparer une fuite sous l'évier",
        "le prix du gazole a encore augmenté",
        "bonjour, ça va ?",
        "je cherche un appartement à louer",
        "organiser le pot de départ de Martine",
        "horaires de la piscine municipale",
        "la photocopieuse est en panne",
        "qui vient à la fête de Noël vendredi",
        "comment planter des tomates",
    ];
    let answered: Vec<String> = off_topic
        .iter()
        .filter_map(|q| {
            kit.best_answer(q)
                .map(|h| format!("  {q:?} → {} ({:.2})", h.id, h.score))
        })
        .collect();
    assert!(
        answered.is_empty(),
        "off-topic questions got an answer:\n{}",
        answered.join("\n")
    );
}

#[derive(serde::Deserialize)]
struct BlindSet {
    question: Vec<BlindQuestion>,
}

#[derive(serde::Deserialize)]
struct BlindQuestion {
    text: String,
    expected: Vec<String>,
}

/// The blind set (`tests/data/kit-eval-blind.toml`): written from the card titles only, by
/// someone who never saw the cards, the search or the tuning set, and never used for tuning.
/// Its figures say how the search generalises. It prints only the figures, never the misses:
/// whoever tunes the search must not see which blind questions fail. The gate is the figure
/// measured before any tuning (68.9 % / 86.7 %), so that a change that makes generalisation
/// worse fails; the target (85 % / 95 %) is not reached yet.
#[test]
fn blind_set_accuracy() {
    let (kit, _) = load();
    let text = std::fs::read_to_string(root().join("tests/data/kit-eval-blind.toml"))
        .expect("tests/data/kit-eval-blind.toml is readable");
    let set: BlindSet = toml::from_str(&text).expect("kit-eval-blind.toml parses");
    assert!(set.question.len() >= 100, "the blind set is too small");
    let (mut top1, mut top3) = (0usize, 0usize);
    for q in &set.question {
        for id in &q.expected {
            assert!(
                kit.card(id).is_some(),
                "unknown card in the blind set: {id}"
            );
        }
        let hits = kit.search(&q.text, 3);
        let rank = hits.iter().position(|h| q.expected.contains(&h.id));
        match rank {
            Some(0) => {
                top1 += 1;
                top3 += 1;
            }
            Some(_) => top3 += 1,
            None => {}
        }
    }
    let n = set.question.len() as f64;
    let (p1, p3) = (top1 as f64 / n * 100.0, top3 as f64 / n * 100.0);
    println!(
        "kit search, blind set: {} questions, top-1 {p1:.1} %, top-3 {p3:.1} %",
        set.question.len()
    );
    assert!(
        p1 >= 68.0 && p3 >= 86.0,
        "blind set under its floor (top-1 {p1:.1} % < 68 % or top-3 {p3:.1} % < 86 %)"
    );
}
