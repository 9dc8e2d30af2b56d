//! Spelled-out French numbers turned into digits ("douze mars deux mille six" → "12 mars
//! 2006", "dix-neuf ans" → "19 ans"), so that the date, age and address detectors read both
//! forms. One pass over the words; a lone "un"/"une" is an article and stays a word.

use super::fold;
use regex::Regex;
use std::sync::LazyLock;

static WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\p{L}+").expect("word pattern is valid"));

/// The value of one number word, folded.
fn value(word: &str) -> Option<u32> {
    Some(match word {
        "zero" => 0,
        "un" | "une" | "premier" | "premiere" => 1,
        "deux" => 2,
        "trois" => 3,
        "quatre" => 4,
        "cinq" => 5,
        "six" => 6,
        "sept" => 7,
        "huit" => 8,
        "neuf" => 9,
        "dix" => 10,
        "onze" => 11,
        "douze" => 12,
        "treize" => 13,
        "quatorze" => 14,
        "quinze" => 15,
        "seize" => 16,
        "vingt" | "vingts" => 20,
        "trente" => 30,
        "quarante" => 40,
        "cinquante" => 50,
        "soixante" => 60,
        "septante" => 70,
        "huitante" | "octante" => 80,
        "nonante" => 90,
        "cent" | "cents" => 100,
        "mille" | "mil" => 1000,
        _ => return None,
    })
}

/// Adds up a run of number words: "deux mille six" = 2006, "quatre-vingt-dix-neuf" = 99.
fn total(words: &[u32]) -> u32 {
    let (mut total, mut current, mut prev) = (0u32, 0u32, None);
    for &v in words {
        match v {
            100 => current = current.max(1) * 100,
            1000 => {
                total += current.max(1) * 1000;
                current = 0;
            }
            20 if prev == Some(4) => current = current - 4 + 80,
            _ => current += v,
        }
        prev = Some(v);
    }
    total + current
}

/// `text` with every run of number words replaced by its value in digits.
pub(super) fn to_digits(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut run: Option<Run> = None;
    for m in WORD.find_iter(text) {
        let folded = fold(m.as_str());
        let linked = |from: usize| matches!(&text[from..m.start()], " " | "-");
        match (value(&folded), run.as_mut()) {
            (Some(v), Some(r)) if linked(r.link_from) => {
                r.values.push(v);
                r.end = m.end();
                r.link_from = m.end();
                r.real |= !matches!(folded.as_str(), "un" | "une");
            }
            // "vingt et un": "et" inside a run links it to the next number word, and stays out
            // of the run if none follows.
            (None, Some(r)) if folded == "et" && linked(r.link_from) => r.link_from = m.end(),
            (Some(v), _) => {
                flush(text, &mut out, &mut last, run.take());
                let real = !matches!(folded.as_str(), "un" | "une" | "premier" | "premiere");
                run = Some(Run {
                    start: m.start(),
                    end: m.end(),
                    link_from: m.end(),
                    values: vec![v],
                    real,
                });
            }
            (None, _) => flush(text, &mut out, &mut last, run.take()),
        }
    }
    flush(text, &mut out, &mut last, run.take());
    out.push_str(&text[last..]);
    out
}

/// A run of number words being read.
struct Run {
    start: usize,
    end: usize,
    /// Where the next number word must start from (after a trailing "et").
    link_from: usize,
    values: Vec<u32>,
    /// Whether the run holds more than an article ("un", "une") or "premier".
    real: bool,
}

fn flush(text: &str, out: &mut String, last: &mut usize, run: Option<Run>) {
    if let Some(run) = run.filter(|r| r.real) {
        out.push_str(&text[*last..run.start]);
        if run.values.first() == Some(&0) && run.values.len() > 1 {
            // "zéro six douze trente-quatre…" is a phone number read in pairs: each group
            // keeps its own value ("0 6 12 34 …").
            let groups: Vec<String> = groups(&run.values).iter().map(u32::to_string).collect();
            out.push_str(&groups.join(" "));
        } else {
            out.push_str(&total(&run.values).to_string());
        }
        *last = run.end;
    }
}

/// Splits a run of number words into the numbers below 100 it spells one after the other:
/// "zéro six douze trente quatre soixante dix huit" = 0, 6, 12, 34, 78.
fn groups(values: &[u32]) -> Vec<u32> {
    let mut out = Vec::new();
    let mut current: Option<u32> = None;
    let mut prev: Option<u32> = None;
    for &v in values {
        current = match current {
            None => Some(v),
            Some(c) => {
                let joined = match (c, v) {
                    // "dix-sept", "soixante-dix-huit", "quatre-vingt-dix-neuf"
                    (10 | 70 | 90, 7..=9) if c == 10 || prev == Some(10) => Some(c + v),
                    // "vingt-trois", "soixante et un"
                    (20 | 30 | 40 | 50 | 60, 1..=9) => Some(c + v),
                    // "soixante-douze", "quatre-vingt-onze"
                    (60 | 80, 10..=19) => Some(c + v),
                    // "quatre-vingt"
                    (4, 20) => Some(80),
                    // "quatre-vingt-trois"
                    (80, 1..=9) if prev == Some(20) => Some(c + v),
                    _ => None,
                };
                match joined {
                    Some(j) => Some(j),
                    None => {
                        out.push(c);
                        Some(v)
                    }
                }
            }
        };
        prev = Some(v);
    }
    out.extend(current);
    out
}

#[cfg(test)]
mod tests {
    use super::to_digits;

    #[test]
    fn spelled_numbers_become_digits() {
        let cases = [
            ("née le douze mars deux mille six", "née le 12 mars 2006"),
            ("il a dix-neuf ans", "il a 19 ans"),
            ("vingt et un ans", "21 ans"),
            ("quatre-vingt-dix-neuf", "99"),
            ("mil neuf cent quatre-vingt-dix-neuf", "1999"),
            ("le premier avril", "le premier avril"),
            ("le premier avril deux mille cinq", "le premier avril 2005"),
            ("un jeune et une jeune", "un jeune et une jeune"),
            ("né le vingt-deux juin", "né le 22 juin"),
            ("douze rue des Lilas", "12 rue des Lilas"),
            (
                "zéro six douze trente-quatre cinquante six soixante dix huit",
                "0 6 12 34 56 78",
            ),
            ("zero sept quatre-vingt-onze", "0 7 91"),
        ];
        for (input, expected) in cases {
            assert_eq!(to_digits(input), expected, "{input}");
        }
    }
}
