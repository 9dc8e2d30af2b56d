//! The personal-data guard measured on a blind set (`tests/data/pii-eval.toml`): 391 French
//! texts written as counsellors write, by someone who never saw the guard, its tuning set or
//! its tests, and never used for tuning. A personal text counts as caught when the guard refuses
//! it or asks the author (`Personal` or `Unsure`: nothing is stored either way); a clean text
//! counts as stored only when the guard lets it through at once (`Clean`).
//!
//! Only figures are printed (per kind), never the texts: whoever tunes the guard must not see
//! which blind cases fail.

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

/// Recall on personal texts and share of clean texts stored at once, for one blind set.
fn measure(file: &str) -> (f64, f64) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file);
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("tests/data/{file}: {e}"));
    let set: EvalSet = toml::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    let (mut personal, mut caught, mut asked) = (0usize, 0usize, 0usize);
    let (mut clean, mut stored, mut clean_asked) = (0usize, 0usize, 0usize);
    let mut by_kind: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for case in &set.case {
        let verdict = assess(&case.text, 2026);
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
    assert!(
        personal >= 150 && clean >= 150,
        "the blind set {file} is too small"
    );
    (recall, stored_rate)
}

/// Both blind sets (`pii-eval.toml`, `pii-eval-2.toml`, the second written on 2026-12-02 by a
/// session that never saw the guard or the first set). Floors sit just under the figures
/// measured when the current guard first met each set (BENCHMARKS.md), so that a change that
/// makes the guard worse fails. The target (99 % recall, 95 % clean stored) is not
/// reached on either.
#[test]
fn blind_recall_and_clean_texts_stored() {
    for (file, floor_recall, floor_stored) in [
        ("pii-eval.toml", FLOOR_RECALL, FLOOR_STORED),
        ("pii-eval-2.toml", FLOOR_RECALL_2, FLOOR_STORED_2),
        ("pii-eval-3.toml", FLOOR_RECALL_3, FLOOR_STORED_3),
    ] {
        let (recall, stored) = measure(file);
        assert!(
            recall >= floor_recall,
            "{file}: recall {recall:.1} % under {floor_recall} %"
        );
        assert!(
            stored >= floor_stored,
            "{file}: clean texts stored {stored:.1} % under {floor_stored} %"
        );
    }
}

/// First set: 87.0 % / 97.7 % before the second tuning round, 91.7 % / 98.9 % after it.
const FLOOR_RECALL: f64 = 91.0;
const FLOOR_STORED: f64 = 98.0;
/// Second set: 83.8 % / 97.4 % with the guard of 2026-12-02 (its first run).
const FLOOR_RECALL_2: f64 = 83.0;
const FLOOR_STORED_2: f64 = 96.5;
/// Third set (431 texts, written on 2026-12-02, with a health kind the others lack): 80.6 % /
/// 100.0 % at its first run, before any tuning that could see it.
const FLOOR_RECALL_3: f64 = 80.0;
const FLOOR_STORED_3: f64 = 99.5;
