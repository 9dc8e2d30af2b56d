//! The personal-data guard measured on six sets of French texts written as counsellors write,
//! each by someone who never saw the guard, its tuning set or its tests. Since the `tune` round
//! of 2026-12-02 the first two (`pii-eval.toml`, `pii-eval-2.toml`) are **tuning sets**, since
//! the `guard` round the third (`pii-eval-3.toml`) is one too, and since the `guard2` round the
//! fourth (`pii-eval-4.toml`) as well: their wrong verdicts are printed and the guard was tuned
//! on them. The fifth (`pii-eval-5.toml`, added after the `guard` round) and the sixth
//! (`pii-eval-6.toml`, written during the `guard2` round and never seen by it) are **held
//! out**. A personal
//! text counts as caught when the guard refuses it or asks the author (`Personal` or `Unsure`:
//! nothing is stored either way); a clean text counts as stored only when the guard lets it
//! through at once (`Clean`).
//!
//! For the held-out sets only figures are printed (per kind), never the texts: whoever tunes
//! the guard must not see which of its cases fail. Whoever tunes it must not see those figures
//! either: with `PII_EVAL_TUNING_ONLY=1` the held-out sets are skipped entirely (not read, no
//! figure printed, no floor checked), and only the tuning sets are measured.

use std::collections::BTreeMap;

use kitbot::reflections::pii::{assess, Verdict};

#[derive(serde::Deserialize)]
struct EvalSet {
    case: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    text: String,
    personal: bool,
    kind: String,
}

/// Recall on personal texts and share of clean texts stored at once, for one set.
/// `show_misses` prints the texts it gets wrong: only for the tuning sets, never for the
/// held-out one.
fn measure(file: &str, show_misses: bool) -> (f64, f64) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file);
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("tests/data/{file}: {e}"));
    let set: EvalSet = toml::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    let (mut personal, mut caught, mut asked) = (0usize, 0usize, 0usize);
    let (mut clean, mut stored, mut clean_asked) = (0usize, 0usize, 0usize);
    let mut by_kind: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for case in &set.case {
        let verdict = assess(&case.text, 2026);
        let wrong = if case.personal {
            verdict == Verdict::Clean
        } else {
            verdict != Verdict::Clean
        };
        if show_misses && wrong {
            misses.push(format!("  [{}] {:?} -> {verdict:?}", case.kind, case.text));
        }
        let entry = by_kind.entry(case.kind.as_str()).or_default();
        entry.0 += 1;
        if case.personal {
            personal += 1;
            match verdict {
                Verdict::Personal(_) => {
                    caught += 1;
                    entry.1 += 1;
                }
                Verdict::Unsure { .. } => {
                    caught += 1;
                    asked += 1;
                    entry.1 += 1;
                }
                Verdict::Clean => {}
            }
        } else {
            clean += 1;
            match verdict {
                Verdict::Clean => {
                    stored += 1;
                    entry.1 += 1;
                }
                Verdict::Unsure { .. } => clean_asked += 1,
                Verdict::Personal(_) => {}
            }
        }
    }
    let recall = caught as f64 / personal as f64 * 100.0;
    let stored_rate = stored as f64 / clean as f64 * 100.0;
    println!(
        "personal-data guard, {file}: {personal} personal texts, {caught} caught ({recall:.1} %, of which {asked} by asking); {clean} clean texts, {stored} stored at once ({stored_rate:.1} %), {clean_asked} asked"
    );
    for (kind, (n, ok)) in &by_kind {
        println!("  {kind}: {ok}/{n}");
    }
    if !misses.is_empty() {
        println!("{file}, wrong:\n{}", misses.join("\n"));
    }
    assert!(
        personal >= 150 && clean >= 150,
        "the set {file} is too small"
    );
    (recall, stored_rate)
}

/// Set by whoever tunes the guard: skip the held-out set (no figure of it is printed).
const TUNING_ONLY: &str = "PII_EVAL_TUNING_ONLY";

/// The five sets (`pii-eval.toml` to `pii-eval-4.toml`: tuning sets, their misses printed;
/// `pii-eval-5.toml`: held out, skipped under `PII_EVAL_TUNING_ONLY=1`). Floors sit just under
/// the latest figures of each set (BENCHMARKS.md), so that a change that makes the guard worse
/// fails.
#[test]
fn blind_recall_and_clean_texts_stored() {
    let tuning_only = std::env::var_os(TUNING_ONLY).is_some_and(|v| !v.is_empty() && v != "0");
    // Every set is measured before failing, so that one run shows all the figures.
    let mut failures = Vec::new();
    for (file, floor_recall, floor_stored, tuning) in [
        ("pii-eval.toml", FLOOR_RECALL, FLOOR_STORED, true),
        ("pii-eval-2.toml", FLOOR_RECALL_2, FLOOR_STORED_2, true),
        ("pii-eval-3.toml", FLOOR_RECALL_3, FLOOR_STORED_3, true),
        ("pii-eval-4.toml", FLOOR_RECALL_4, FLOOR_STORED_4, true),
        ("pii-eval-5.toml", FLOOR_RECALL_5, FLOOR_STORED_5, false),
        ("pii-eval-6.toml", FLOOR_RECALL_6, FLOOR_STORED_6, false),
    ] {
        if tuning_only && !tuning {
            println!("{file}: held out, skipped ({TUNING_ONLY} is set)");
            continue;
        }
        let (recall, stored) = measure(file, tuning);
        if recall < floor_recall {
            failures.push(format!(
                "{file}: recall {recall:.1} % under {floor_recall} %"
            ));
        }
        if stored < floor_stored {
            failures.push(format!(
                "{file}: clean texts stored {stored:.1} % under {floor_stored} %"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// First set (tuning): 87.0 % / 97.7 % before the second tuning round, 91.7 % / 98.9 % after
/// it, 93.1 % / 98.9 % after the `tune` round, 98.1 % / 100.0 % after the `guard` round,
/// 100.0 % / 98.3 % after the `guard2` round (tuning figures; the 3 clean texts asked about
/// hold a young person's first name alone, which the set's author labelled clean before the
/// issue made names ask).
const FLOOR_RECALL: f64 = 99.5;
const FLOOR_STORED: f64 = 98.0;
/// Second set (tuning): 83.8 % / 97.4 % at its first run, 87.6 % / 97.4 % after the `tune`
/// round, 98.4 % / 99.0 % after the `guard` round, 100.0 % / 93.3 % after the `guard2` round
/// (tuning figures; the 12 clean texts asked about all hold a young person's first name alone,
/// "ines a rappele", labelled clean by the set's author before names asked).
const FLOOR_RECALL_2: f64 = 99.5;
const FLOOR_STORED_2: f64 = 93.0;
/// Third set (431 texts, written on 2026-12-02, with a health kind the others lack; held out
/// until the `guard` round, a tuning set since): 80.6 % / 100.0 % at its first run, unchanged
/// by the `tune` round, 97.6 % / 100.0 % after the `guard` round, 99.5 % / 100.0 % after the
/// `guard2` round (tuning figures).
const FLOOR_RECALL_3: f64 = 99.0;
const FLOOR_STORED_3: f64 = 99.5;
/// Fourth set (480 texts written on 2026-12-02 by a session that saw nothing of the project,
/// with a `mixed` kind; held out until the `guard2` round, a tuning set since): 80.0 % /
/// 97.9 % at its first run (guard of main, 2026-12-02), 89.2 % / 98.3 % after the `guard`
/// round (whose author read its totals and per-kind counts while tuning, never its texts),
/// 97.9 % / 99.6 % after the `guard2` round (tuning figures).
const FLOOR_RECALL_4: f64 = 97.5;
const FLOOR_STORED_4: f64 = 99.5;
/// Fifth set (held out; 480 texts written on 2026-12-02 by a session that saw nothing of the
/// project, with 15 kinds of personal data, ids of CAF / France Travail / i-milo among them):
/// 85.0 % / 100.0 % at its first run (guard of main, 2026-12-02), 94.2 % / 100.0 % after the
/// `guard` round, which never saw it (measured by the lead after the merge); 99.6 % (14 by
/// asking) / 99.6 % after the `guard2` round, which never saw its texts or figures either.
const FLOOR_RECALL_5: f64 = 99.0;
const FLOOR_STORED_5: f64 = 99.0;
/// Sixth set (held out; 480 texts written on 2026-12-02 by a session that saw nothing of the
/// project, the same 15 kinds as the fifth, with borderline clean texts: public-service numbers,
/// famous people, the office's own address).
/// Never seen by the `guard2` round: 91.7 % / 96.2 % on main's guard before the merge,
/// 99.6 % (24 by asking) / 97.1 % after it (measured by the lead).
const FLOOR_RECALL_6: f64 = 99.0;
const FLOOR_STORED_6: f64 = 96.5;
