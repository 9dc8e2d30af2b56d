//! Quality gate of the kit search: top-1 and top-3 accuracy on `tests/data/kit-eval.toml`
//! (questions typed as counsellors do, each with the card that should answer it).
//!
//! Fails under its floors (see each test), printing every miss with what came first, so a card or
//! synonym change that hurts the search shows up in CI. Also checks that off-topic questions stay
//! under the answer threshold, so `!kit` keeps saying honestly when it has nothing. Every set here
//! is a tuning set whose questions are indexed as examples; `leave_one_set_out` gives the figures
//! that say how the search does on questions it has not seen.

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
    // Just under the figures after the `search2` round of 2026-12-02 (98.4 % / 99.9 %). The
    // questions of this set are indexed as example questions (`kit-snippets/questions.toml`): the
    // floor catches a regression, it does not say how the search generalises (see
    // `leave_one_set_out`).
    assert!(
        p1 >= 98.0 && p3 >= 99.5,
        "search quality under the gate (top-1 {p1:.1} % < 98 % or top-3 {p3:.1} % < 99.5 %):\n{}",
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

/// Figures of one blind set: top-1 and top-3 over its on-topic questions, and the share of its
/// off-topic questions (`expected = []`) that get no answer.
struct BlindFigures {
    questions: usize,
    top1: f64,
    top3: f64,
    off_topic: usize,
    off_topic_silent: f64,
}

/// `show_misses` prints the questions a set gets wrong: only for tuning sets, never for a
/// held-out one.
fn blind_figures(kit: &kitbot::kit::Kit, file: &str, show_misses: bool) -> BlindFigures {
    let questions = eval_questions(file);
    assert!(questions.len() >= 100, "the blind set {file} is too small");
    for id in questions.iter().flat_map(|(_, expected)| expected) {
        assert!(kit.card(id).is_some(), "unknown card in {file}: {id}");
    }
    let ([top1, top3, silent], [on, off, _], misses) = measure(kit, &questions);
    let figures = BlindFigures {
        questions: on,
        top1,
        top3,
        off_topic: off,
        off_topic_silent: silent,
    };
    println!(
        "kit search, {file}: {} questions, top-1 {:.1} %, top-3 {:.1} %; {} off-topic, {:.1} % without an answer",
        figures.questions, figures.top1, figures.top3, figures.off_topic, figures.off_topic_silent
    );
    if show_misses && !misses.is_empty() {
        println!("{file}, not first:\n{}", misses.join("\n"));
    }
    figures
}

/// The five formerly blind sets (`tests/data/kit-eval-blind.toml` to `kit-eval-blind-5.toml`):
/// written from the card ids, themes and titles only, by sessions that never saw the cards'
/// text, the search or the other sets. All five are **tuning sets** now (sets 1 and 2 since the
/// `tune` round, sets 3 and 4 since the `search2` round, set 5, held out from `search2`, since
/// the `search3` round of 2026-12-02): their misses are printed, the search was tuned on them,
/// and their on-topic questions are indexed as example questions
/// (`kit-snippets/questions.toml`), so their figures here are close to 100 % by construction and
/// the floors, just under the figures after the `search3` round, only catch a regression. How
/// the search does on questions it has not seen: [`leave_one_set_out`]; held-out sets live
/// outside the repository and are measured by the lead.
#[test]
fn blind_set_accuracy() {
    let (kit, _) = load();
    // (file, top-1, top-3, off-topic questions without an answer): floors in %.
    let floors = [
        ("kit-eval-blind.toml", 98.5, 99.5, 0.0),
        ("kit-eval-blind-2.toml", 99.5, 99.5, 86.0),
        ("kit-eval-blind-3.toml", 98.5, 99.5, 93.0),
        ("kit-eval-blind-4.toml", 98.0, 99.5, 87.5),
        ("kit-eval-blind-5.toml", 99.5, 99.5, 95.5),
    ];
    for (file, top1, top3, silent) in floors {
        let figures = blind_figures(&kit, file, true);
        assert!(
            figures.top1 >= top1 && figures.top3 >= top3,
            "{file} under its floor (top-1 {:.1} % < {top1} % or top-3 {:.1} % < {top3} %)",
            figures.top1,
            figures.top3
        );
        assert!(
            figures.off_topic_silent >= silent,
            "{file}: off-topic questions answered too often ({:.1} % silent < {silent} %)",
            figures.off_topic_silent
        );
    }
}

/// Every file of the kit folder as (relative path, contents), the way `Kit::load_dir` reads it.
fn kit_files() -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a readable folder entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let dir = root().join("kit-snippets");
    let mut paths = Vec::new();
    walk(&dir, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let rel = path.strip_prefix(&dir).expect("under the kit folder");
            let shown = format!("kit-snippets/{}", rel.to_string_lossy().replace('\\', "/"));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (shown, text)
        })
        .collect()
}

/// The kit with the example questions of `questions.toml` that are in `left_out` removed: the
/// index then knows nothing of that set's questions.
fn kit_without(files: &[(String, String)], left_out: &[(String, Vec<String>)]) -> Kit {
    let texts: std::collections::HashSet<&str> = left_out.iter().map(|(q, _)| q.trim()).collect();
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(path, text)| {
            if !path.ends_with("/questions.toml") {
                return (path.clone(), text.clone());
            }
            let mut table: toml::Table = toml::from_str(text).expect("questions.toml parses");
            if let Some(toml::Value::Table(cards)) = table.get_mut("fiches") {
                for (_, list) in cards.iter_mut() {
                    if let toml::Value::Array(items) = list {
                        items.retain(|q| q.as_str().is_none_or(|q| !texts.contains(q.trim())));
                    }
                }
            }
            (path.clone(), toml::to_string(&table).expect("serialises"))
        })
        .collect();
    match Kit::from_files(&files) {
        Ok(kit) => kit,
        Err(problems) => {
            let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
            panic!("the kit does not load:\n{}", list.join("\n"));
        }
    }
}

/// The questions of an evaluation file as (text, expected cards; none: off-topic).
fn eval_questions(file: &str) -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(root().join("tests/data").join(file))
        .unwrap_or_else(|e| panic!("tests/data/{file}: {e}"));
    if file == "kit-eval.toml" {
        let set: EvalSet = toml::from_str(&text).expect("kit-eval.toml parses");
        set.q
            .into_iter()
            .map(|q| (q.question, vec![q.attendu]))
            .collect()
    } else {
        let set: BlindSet = toml::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        set.question
            .into_iter()
            .map(|q| (q.text, q.expected))
            .collect()
    }
}

/// Top-1, top-3 (on-topic) and off-topic silence of `kit` on `questions`, in %; the numbers of
/// on-topic and off-topic questions, and of right first cards under the answer threshold; the
/// misses.
fn measure(kit: &Kit, questions: &[(String, Vec<String>)]) -> ([f64; 3], [usize; 3], Vec<String>) {
    let (mut on, mut top1, mut top3, mut off, mut silent, mut hidden) =
        (0usize, 0usize, 0usize, 0usize, 0usize, 0usize);
    let mut misses = Vec::new();
    for (text, expected) in questions {
        if expected.is_empty() {
            off += 1;
            match kit.best_answer(text) {
                None => silent += 1,
                Some(h) => misses.push(format!("  {text:?}\n    off-topic, answered {}", h.id)),
            }
            continue;
        }
        on += 1;
        let hits = kit.search(text, 3);
        let rank = hits.iter().position(|h| expected.contains(&h.id));
        top1 += usize::from(rank == Some(0));
        hidden += usize::from(rank == Some(0) && kit.best_answer(text).is_none());
        top3 += usize::from(rank.is_some());
        if rank != Some(0) {
            let got: Vec<String> = hits
                .iter()
                .map(|h| format!("{} ({:.2})", h.id, h.score))
                .collect();
            misses.push(format!(
                "  {text:?}\n    attendu {} (rang {}), obtenu : {}",
                expected.join(" | "),
                rank.map_or("> 3".to_owned(), |r| (r + 1).to_string()),
                got.join(", ")
            ));
        }
    }
    let pct = |a: usize, b: usize| {
        if b == 0 {
            100.0
        } else {
            a as f64 / b as f64 * 100.0
        }
    };
    (
        [pct(top1, on), pct(top3, on), pct(silent, off)],
        [on, off, hidden],
        misses,
    )
}

/// Leave-one-set-out: for each evaluation set, the kit is indexed without that set's example
/// questions and measured on it. This is the honest figure for a set whose questions are in
/// `questions.toml`: how the search does on questions it has not seen, with the other sets' as
/// examples. `KIT_LOO_MISSES=<file>` prints that set's misses.
#[test]
fn leave_one_set_out() {
    let files = kit_files();
    let show = std::env::var("KIT_LOO_MISSES").unwrap_or_default();
    // (file, top-1, top-3, off-topic questions without an answer): floors in %, just under the
    // figures after the `search3` round (2026-12-02, BENCHMARKS.md). These are the honest figures
    // of the tuning sets, though still read while tuning (tuning figures, not held-out ones).
    let floors = [
        ("kit-eval.toml", 95.0, 98.5, 0.0),
        ("kit-eval-blind.toml", 95.0, 98.5, 0.0),
        ("kit-eval-blind-2.toml", 94.5, 98.0, 86.0),
        ("kit-eval-blind-3.toml", 93.0, 99.0, 99.0),
        ("kit-eval-blind-4.toml", 93.0, 98.0, 87.5),
        ("kit-eval-blind-5.toml", 90.0, 95.0, 95.5),
    ];
    let mut failed = Vec::new();
    for (file, top1, top3, floor_silent) in floors {
        let questions = eval_questions(file);
        let kit = kit_without(&files, &questions);
        let ([p1, p3, silent], [on, off, hidden], misses) = measure(&kit, &questions);
        println!(
            "leave-one-set-out, {file}: {on} questions, top-1 {p1:.1} %, top-3 {p3:.1} % ({hidden} right first cards under the answer threshold); {off} off-topic, {silent:.1} % without an answer"
        );
        if show == file || show == "all" {
            println!("{file}, not first:\n{}", misses.join("\n"));
        }
        if p1 < top1 || p3 < top3 || silent < floor_silent {
            failed.push(format!(
                "{file}: top-1 {p1:.1} % (floor {top1}), top-3 {p3:.1} % (floor {top3}), off-topic silent {silent:.1} % (floor {floor_silent})"
            ));
        }
    }
    assert!(
        failed.is_empty(),
        "leave-one-set-out under the floors:\n{}",
        failed.join("\n")
    );
}

/// The sixth blind set (`kit-eval-blind-6.toml`, 300 questions and 25 off-topic, some of them
/// sharing a word with the kit, written on 2026-12-02 from the card ids, themes and titles
/// only, by a session that saw nothing else): held out from every round. Only its figures are
/// printed.
#[test]
fn sixth_blind_set_accuracy() {
    let (kit, _) = load();
    let sixth = blind_figures(&kit, "kit-eval-blind-6.toml", false);
    assert!(
        sixth.top1 >= SIXTH_TOP1 && sixth.top3 >= SIXTH_TOP3,
        "held-out sixth set under its floor (top-1 {:.1} % < {SIXTH_TOP1} % or top-3 {:.1} % < {SIXTH_TOP3} %)",
        sixth.top1,
        sixth.top3
    );
    assert!(
        sixth.off_topic_silent >= SIXTH_SILENT,
        "held-out sixth set: off-topic questions answered too often ({:.1} % silent < {SIXTH_SILENT} %)",
        sixth.off_topic_silent
    );
}

/// Floors just under its figures, measured by the lead on main after the `search2` round
/// (which never saw it): top-1 90.7 %, top-3 96.7 %, 22 of 25 off-topic questions unanswered;
/// after the `search3` round (which never saw it either): 92.3 %, 97.7 %, 22 of 25.
const SIXTH_TOP1: f64 = 91.5;
const SIXTH_TOP3: f64 = 97.0;
const SIXTH_SILENT: f64 = 86.0;
