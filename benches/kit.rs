//! Benchmark of the kit search (`cargo bench --bench kit`): index build and query latency on a
//! 1,000-card corpus made from the real cards, plus accuracy on the real kit. Prints a Markdown
//! table; targets: query median < 100 µs, index build < 50 ms.
//!
//! The corpus replicates the real cards with new ids, a variant tag and a few words swapped, so
//! the vocabulary and posting lists grow as they would with a bigger kit. The questions are those
//! of `tests/data/kit-eval.toml`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kitbot::kit::{render_kit_answer, Kit};

const CORPUS_CARDS: usize = 1_000;
const BUILD_RUNS: usize = 15;
const QUERY_ROUNDS: usize = 30;

#[derive(serde::Deserialize)]
struct EvalSet {
    q: Vec<Question>,
}

#[derive(serde::Deserialize)]
struct Question {
    question: String,
    attendu: String,
}

fn main() {
    let root = std::env::var_os("KIT_ROOT")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    let dir = root.join("kit-snippets");
    let files = read_kit(&dir);
    let eval: EvalSet = toml::from_str(
        &std::fs::read_to_string(root.join("tests/data/kit-eval.toml"))
            .expect("tests/data/kit-eval.toml is readable"),
    )
    .expect("kit-eval.toml parses");
    let questions: Vec<&str> = eval.q.iter().map(|q| q.question.as_str()).collect();

    let real = Kit::from_files(&files).unwrap_or_else(|p| panic!("the kit does not load: {p:?}"));
    let corpus_files = corpus(&files, CORPUS_CARDS);
    let mut build = Vec::with_capacity(BUILD_RUNS);
    let mut big = None;
    for _ in 0..BUILD_RUNS {
        let start = Instant::now();
        let kit = Kit::from_files(&corpus_files)
            .unwrap_or_else(|p| panic!("the corpus does not load: {p:?}"));
        build.push(start.elapsed());
        big = Some(kit);
    }
    let big = big.expect("at least one build");
    let mut index_build = Vec::with_capacity(BUILD_RUNS);
    for _ in 0..BUILD_RUNS {
        let start = Instant::now();
        std::hint::black_box(big.reindexed());
        index_build.push(start.elapsed());
    }
    let mut real_build = Vec::with_capacity(BUILD_RUNS);
    for _ in 0..BUILD_RUNS {
        let start = Instant::now();
        let _ = Kit::from_files(&files);
        real_build.push(start.elapsed());
    }

    let query_big = time_queries(&big, &questions, |kit, q| kit.search(q, 3).len());
    let query_real = time_queries(&real, &questions, |kit, q| kit.search(q, 3).len());
    let render_big = time_queries(&big, &questions, |kit, q| render_kit_answer(kit, q).len());
    let huge = "visio premier rendez-vous par sms 🙂 <b>**x**</b> ".repeat(1_400);
    let huge_q = [huge.as_str()];
    let query_huge = time_queries(&big, &huge_q, |kit, q| kit.search(q, 3).len());

    let (top1, top3) = accuracy(&real, &eval);
    let n = eval.q.len() as f64;

    println!("## kit search benchmark\n");
    println!(
        "{} real cards, corpus of {} cards, {} evaluation questions, {} query rounds\n",
        real.cards().len(),
        big.cards().len(),
        eval.q.len(),
        QUERY_ROUNDS
    );
    println!("| measure | median | p95 | target |");
    println!("|---|---|---|---|");
    row("index build, 1,000 cards", &mut index_build, "< 50 ms");
    row(
        "load (parse + validate) + index build, 1,000 cards",
        &mut build,
        "",
    );
    row("load + index build, real kit", &mut real_build, "");
    row("`search`, 1,000 cards", &mut query_big.clone(), "< 100 µs");
    row("`search`, real kit", &mut query_real.clone(), "");
    row(
        "`render_kit_answer`, 1,000 cards",
        &mut render_big.clone(),
        "",
    );
    row(
        "`search`, 64 KB question, 1,000 cards",
        &mut query_huge.clone(),
        "",
    );
    println!();
    println!("| accuracy on the real kit | value | gate |");
    println!("|---|---|---|");
    println!(
        "| top-1 | {:.1} % ({top1}/{}) | ≥ 85 % |",
        top1 as f64 / n * 100.0,
        eval.q.len()
    );
    println!(
        "| top-3 | {:.1} % ({top3}/{}) | ≥ 95 % |",
        top3 as f64 / n * 100.0,
        eval.q.len()
    );
}

/// Every kit file under `dir`, as (path from `dir`'s parent, contents).
fn read_kit(dir: &Path) -> Vec<(String, String)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("kit folder is readable")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(base, &path, out);
            } else if path.extension().is_some_and(|e| e == "md" || e == "toml") {
                let rel = path.strip_prefix(base).expect("under base");
                let rel = rel.to_string_lossy().replace('\\', "/");
                let text = std::fs::read_to_string(&path).expect("readable file");
                out.push((format!("kit-snippets/{rel}"), text));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}

/// The real files plus variants of the real cards up to `size` cards.
fn corpus(files: &[(String, String)], size: usize) -> Vec<(String, String)> {
    let cards: Vec<&(String, String)> = files
        .iter()
        .filter(|(p, _)| p.ends_with(".md") && !p.ends_with("README.md"))
        .collect();
    let swaps = [
        ("jeune", "usager"),
        ("rendez-vous", "entretien"),
        ("téléphone", "portable"),
        ("message", "texto"),
        ("équipe", "collectif"),
    ];
    let mut out = files.to_vec();
    let mut v = 0usize;
    while cards.len() + v < size {
        let (path, text) = cards[v % cards.len()];
        let id = path
            .trim_start_matches("kit-snippets/")
            .trim_end_matches(".md")
            .to_owned();
        let new_id = format!("{id}-v{v}");
        let (from, to) = swaps[v % swaps.len()];
        // Words are swapped in the body only: the front matter keeps its id and theme valid.
        let (front, body) = text.rsplit_once("+++").unwrap_or((text.as_str(), ""));
        let front = front
            .replacen(&format!("id = \"{id}\""), &format!("id = \"{new_id}\""), 1)
            .replacen("tags = [", &format!("tags = [\"v{v}\", "), 1);
        let text = format!("{front}+++{}", body.replace(from, to));
        out.push((format!("kit-snippets/{new_id}.md"), text));
        v += 1;
    }
    out
}

/// Per-call durations over `QUERY_ROUNDS` rounds of every question.
fn time_queries<T>(kit: &Kit, questions: &[&str], f: impl Fn(&Kit, &str) -> T) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(QUERY_ROUNDS * questions.len());
    // One warm-up round.
    for q in questions {
        std::hint::black_box(f(kit, q));
    }
    for _ in 0..QUERY_ROUNDS {
        for q in questions {
            let start = Instant::now();
            std::hint::black_box(f(kit, std::hint::black_box(q)));
            samples.push(start.elapsed());
        }
    }
    samples
}

fn accuracy(kit: &Kit, eval: &EvalSet) -> (usize, usize) {
    let mut top1 = 0;
    let mut top3 = 0;
    for q in &eval.q {
        let hits = kit.search(&q.question, 3);
        match hits.iter().position(|h| h.id == q.attendu) {
            Some(0) => {
                top1 += 1;
                top3 += 1;
            }
            Some(_) => top3 += 1,
            None => {}
        }
    }
    (top1, top3)
}

fn row(name: &str, samples: &mut [Duration], target: &str) {
    samples.sort();
    let pick = |p: f64| {
        let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
        samples[i.min(samples.len() - 1)]
    };
    println!(
        "| {name} | {} | {} | {target} |",
        fmt(pick(0.5)),
        fmt(pick(0.95))
    );
}

fn fmt(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us >= 1_000.0 {
        format!("{:.2} ms", us / 1_000.0)
    } else {
        format!("{us:.1} µs")
    }
}
