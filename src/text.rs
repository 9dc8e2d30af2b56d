//! Small text helpers shared by every domain: folding for comparisons (case and accents), and
//! escaping text that users wrote before it is echoed in a Markdown message.

// One folding and one escaping for the whole crate; the kit's search owns them because it
// needs the finest folding (ligatures, typographic apostrophes).
pub use crate::kit::text::{escape_md, fold, quote_inline};

/// Edit distance (optimal string alignment: insertions, deletions, substitutions and swaps of
/// two neighbours each cost 1), for "did you mean" suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// Cut `s` to at most `max` chars, on a char boundary, adding an ellipsis when cut.
pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((idx, _)) => format!("{}…", &s[..idx]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_accents() {
        struct Case {
            input: &'static str,
            expected: &'static str,
        }
        let cases = [
            Case {
                input: "Réflexion",
                expected: "reflexion",
            },
            Case {
                input: "VÍSIO",
                expected: "visio",
            },
            Case {
                input: "Ça marche",
                expected: "ca marche",
            },
            Case {
                input: "e\u{301}quipe",
                expected: "equipe",
            },
        ];
        for case in cases {
            assert_eq!(fold(case.input), case.expected, "{}", case.input);
        }
    }

    #[test]
    fn escaping_neutralises_markup_and_mentions() {
        let escaped = escape_md("<b>hi</b> **x** @room [a](b)");
        assert!(!escaped.contains("<b>"));
        assert!(!escaped.contains("@room"));
        assert!(escaped.contains("\\*\\*x\\*\\*"));
        assert!(escaped.contains("\\[a\\]"));
    }

    #[test]
    fn distances() {
        assert_eq!(edit_distance("aide", "aide"), 0);
        assert_eq!(edit_distance("aidee", "aide"), 1);
        assert_eq!(edit_distance("pign", "ping"), 1);
        assert_eq!(edit_distance("kit", "fiche"), 4);
        assert_eq!(truncate_chars("éèà", 2), "éè…");
        assert_eq!(truncate_chars("ab", 5), "ab");
    }
}
