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

#[test]
fn blind_recall_and_clean_texts_stored() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pii-eval.toml");
    let text = std::fs::read_to_string(path).expect("tests/data/pii-eval.toml is readable");
    let set: EvalSet = toml::from_str(&text).expect("pii-eval.toml parses");
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
        "personal-data guard, blind set: {personal} personal texts, {caught} caught ({recall:.1} %, of which {asked} by asking); {clean} clean texts, {stored} stored at once ({stored_rate:.1} %), {clean_asked} asked"
    );
    for (kind, (n, ok)) in &by_kind {
        println!("  {kind}: {ok}/{n}");
    }
    assert!(
        personal >= 150 && clean >= 150,
        "the blind set is too small"
    );
    // Floors just under the figures measured when the guard was first run on this set (87.0 %
    // recall, 97.7 % clean stored): a change that makes the guard worse fails. The issue's
    // target (99 % recall, 95 % clean stored) is not reached yet; BENCHMARKS.md has both.
    assert!(
        recall >= FLOOR_RECALL,
        "recall {recall:.1} % under {FLOOR_RECALL} %"
    );
    assert!(
        stored_rate >= FLOOR_STORED,
        "clean texts stored {stored_rate:.1} % under {FLOOR_STORED} %"
    );
}

const FLOOR_RECALL: f64 = 86.5;
const FLOOR_STORED: f64 = 97.0;
