//! Text helpers every layer shares: one folding for comparisons ([`fold`]: case, accents,
//! ligatures, typographic apostrophes), one escaping for echoing what a user wrote
//! ([`escape_md`], [`quote_inline`]), cutting on character boundaries, and the edit distance of
//! "did you mean" suggestions. The kit's search builds its analysis (elision, stop words,
//! stemming) on top of [`fold`]; the schedule parser and the personal-data guard fold with it
//! too, so that every part of the bot agrees on what "the same word" is.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Folds text for comparison: lowercase, accents stripped (compatibility decomposition, then
/// combining marks removed, so full-width digits and `ﬁ` become plain too), ligatures expanded,
/// typographic apostrophes turned into `'` and non-breaking hyphens into `-`. `Vísio` and
/// `visio` fold alike.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        // Fast path: most of the text is ASCII.
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        decompose_compatible(c, |d| {
            if is_combining_mark(d) {
                return;
            }
            for lower in d.to_lowercase() {
                push_folded(&mut out, lower);
            }
        });
    }
    out
}

fn push_folded(out: &mut String, c: char) {
    match c {
        'œ' => out.push_str("oe"),
        'æ' => out.push_str("ae"),
        'ß' => out.push_str("ss"),
        '\u{2019}' | '\u{2018}' | '\u{02bc}' | '\u{2032}' | '\u{00b4}' => out.push('\''),
        '\u{2010}' | '\u{2011}' => out.push('-'),
        _ => out.push(c),
    }
}

/// The longest prefix of `text` holding at most `max_chars` characters, cut on a char boundary.
/// Long input is analysed on such a prefix only, so a 64 KB paste costs no more than a long
/// sentence.
pub fn cut_chars(text: &str, max_chars: usize) -> &str {
    match text.char_indices().nth(max_chars) {
        Some((idx, _)) => &text[..idx],
        None => text,
    }
}

/// `s` cut to at most `max` chars, with an ellipsis when it was cut.
pub fn ellipsis(s: &str, max: usize) -> String {
    let cut = cut_chars(s, max);
    if cut.len() < s.len() {
        format!("{cut}…")
    } else {
        cut.to_owned()
    }
}

/// Characters that change the direction of the text around them (bidi embeddings, overrides,
/// isolates and marks). Echoed as they are, they would reorder the bot's own sentence.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Escapes user text for inclusion in a Markdown chat message.
///
/// Backslash-escapes `\ * _ ` [ ] < > & # ! | ~` so that nothing the user typed becomes
/// formatting, a link or raw HTML once the message is rendered; drops bidi controls, so that
/// echoed text cannot reorder the sentence around it; inserts a word joiner (U+2060) after
/// every `@` followed by a letter, digit or `_`, so neither `@room` nor a Matrix ID
/// (`@alice:example.org`) survives as a mention; and one inside `://` and `www.`, so that
/// clients do not turn an echoed address into a clickable link.
pub fn escape_md(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    // Bidi controls are dropped first, so that the look-ahead below sees what is left: `@`, a
    // control, `room` is a mention once the control is gone.
    let mut chars = text.chars().filter(|&c| !is_bidi_control(c)).peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '&' | '#' | '!' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '@' => {
                out.push('@');
                if chars
                    .peek()
                    .is_some_and(|n| n.is_alphanumeric() || *n == '_')
                {
                    out.push('\u{2060}');
                }
            }
            ':' if chars.clone().take(2).eq(['/', '/']) => {
                out.push(':');
                out.push('\u{2060}');
            }
            '.' if out.ends_with("www") || out.ends_with("WWW") => {
                out.push('\u{2060}');
                out.push('.');
            }
            _ => out.push(c),
        }
    }
    out
}

/// Escapes text for an HTML page or an SVG picture (element text and quoted attribute values
/// alike): `& < > " '` become entities and bidi controls are dropped, so nothing in the data
/// becomes markup or reorders the sentence around it.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars().filter(|&c| !is_bidi_control(c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Prepares user text to be quoted inline: whitespace collapsed to single spaces, cut to
/// `max_chars` characters (with an ellipsis), then escaped with [`escape_md`].
pub fn quote_inline(text: &str, max_chars: usize) -> String {
    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut = cut_chars(&collapsed, max_chars);
    let mut out = escape_md(cut);
    if cut.len() < collapsed.len() {
        out.push('…');
    }
    out
}

/// Edit distance (optimal string alignment: insertions, deletions, substitutions and swaps of
/// two neighbours each cost 1), for "did you mean" suggestions and typo tolerance. Callers
/// bound their inputs (a command word is cut before it gets here).
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

#[cfg(test)]
mod tests {
    use super::*;

    struct Case {
        input: &'static str,
        expected: &'static str,
    }

    #[test]
    fn folding_strips_case_accents_and_ligatures() {
        let cases = [
            Case {
                input: "Visio",
                expected: "visio",
            },
            Case {
                input: "vísio",
                expected: "visio",
            },
            Case {
                input: "VISIOCONFÉRENCE",
                expected: "visioconference",
            },
            Case {
                input: "Œuvre cœur",
                expected: "oeuvre coeur",
            },
            Case {
                input: "l’autonomie",
                expected: "l'autonomie",
            },
            Case {
                input: "Ça déçoit à Noël",
                expected: "ca decoit a noel",
            },
            Case {
                input: "e\u{301}quipe",
                expected: "equipe",
            },
            Case {
                input: "ＲＤＶ à ９h",
                expected: "rdv a 9h",
            },
            Case {
                input: "ﬁche",
                expected: "fiche",
            },
        ];
        for case in cases {
            assert_eq!(fold(case.input), case.expected, "fold({:?})", case.input);
        }
    }

    #[test]
    fn escaping_neutralises_markdown_html_mentions_and_bidi() {
        let cases = [
            Case {
                input: "**gras**",
                expected: "\\*\\*gras\\*\\*",
            },
            Case {
                input: "<script>",
                expected: "\\<script\\>",
            },
            Case {
                input: "[x](http://a)",
                expected: "\\[x\\](http:\u{2060}//a)",
            },
            Case {
                input: "a & b | c # d ! ~~e~~",
                expected: "a \\& b \\| c \\# d \\! \\~\\~e\\~\\~",
            },
            Case {
                input: "@room",
                expected: "@\u{2060}room",
            },
            Case {
                input: "@alice:example.org",
                expected: "@\u{2060}alice:example.org",
            },
            Case {
                input: "a @ b",
                expected: "a @ b",
            },
            Case {
                input: "`code` _x_ \\",
                expected: "\\`code\\` \\_x\\_ \\\\",
            },
            Case {
                input: "abc\u{202e}fed\u{2066}x\u{2069}",
                expected: "abcfedx",
            },
            Case {
                input: "voir https://exemple.invalid et www.exemple.fr",
                expected: "voir https:\u{2060}//exemple.invalid et www\u{2060}.exemple.fr",
            },
        ];
        for case in cases {
            assert_eq!(
                escape_md(case.input),
                case.expected,
                "escape_md({:?})",
                case.input
            );
        }
        assert_eq!(quote_inline("a\n\n   b  **c**", 100), "a b \\*\\*c\\*\\*");
        assert_eq!(quote_inline("abcdef", 3), "abc…");
    }

    /// Found by the `commands` fuzz target (fuzz/README.md): a bidi control right after `@` or
    /// `:` hid the mention or the address from the look-ahead, then was dropped.
    #[test]
    fn a_bidi_control_hides_no_mention_and_no_address() {
        for (input, expected) in [
            ("@\u{200E}r", "@\u{2060}r"),
            ("@\u{202E}room", "@\u{2060}room"),
            ("@\u{2066}alice:example.org", "@\u{2060}alice:example.org"),
            ("https:\u{200F}//exemple.fr", "https:\u{2060}//exemple.fr"),
            ("https:/\u{061C}/exemple.fr", "https:\u{2060}//exemple.fr"),
            ("www\u{202A}.exemple.fr", "www\u{2060}.exemple.fr"),
        ] {
            assert_eq!(escape_md(input), expected, "escape_md({input:?})");
        }
    }

    #[test]
    fn html_escaping_leaves_no_markup() {
        let cases = [
            Case {
                input: "ML <Sud> & \"Co\" l'équipe",
                expected: "ML &lt;Sud&gt; &amp; &quot;Co&quot; l&#39;équipe",
            },
            Case {
                input: "<script>alert(1)</script>",
                expected: "&lt;script&gt;alert(1)&lt;/script&gt;",
            },
            Case {
                input: "abc\u{202e}déf",
                expected: "abcdéf",
            },
            Case {
                input: "&amp;",
                expected: "&amp;amp;",
            },
        ];
        for case in cases {
            assert_eq!(escape_html(case.input), case.expected, "{:?}", case.input);
        }
    }

    #[test]
    fn cutting_respects_char_boundaries() {
        assert_eq!(cut_chars("éééé", 2), "éé");
        assert_eq!(cut_chars("ab", 5), "ab");
        assert_eq!(ellipsis("éèà", 2), "éè…");
        assert_eq!(ellipsis("ab", 5), "ab");
    }

    #[test]
    fn distances() {
        assert_eq!(edit_distance("aide", "aide"), 0);
        assert_eq!(edit_distance("aidee", "aide"), 1);
        assert_eq!(edit_distance("pign", "ping"), 1);
        assert_eq!(edit_distance("kit", "fiche"), 4);
        assert_eq!(edit_distance("sms-rapel", "sms-rappel"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
