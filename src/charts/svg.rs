//! Inline SVG bar charts for the HTML report: one horizontal bar per item with its value
//! written after it, scaled to the largest. Text is the page's own (it prints and zooms
//! sharply, and a screen reader reads the `<title>`); every label is escaped.

use super::colour;
use crate::core::text::{ellipsis, escape_html};

/// One bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    pub value: usize,
}

const WIDTH: usize = 640;
const ROW: usize = 26;
/// Labels end here (right-aligned); bars start a little after.
const LABEL_END: usize = 272;
const BAR_START: usize = 282;
/// The longest bar, leaving room for its value.
const BAR_MAX: usize = 300;
/// Labels are cut to fit left of the bars (about 7 units a character at this size).
const LABEL_CHARS: usize = 34;

/// A bar chart named `title`, its bars in the `colour`-th colour of the palette. No bar: an
/// empty string (the report says "nothing" in words instead).
pub fn bars(title: &str, bars: &[Bar], colour_index: usize) -> String {
    if bars.is_empty() {
        return String::new();
    }
    let (r, g, b) = colour(colour_index);
    let fill = format!("#{r:02x}{g:02x}{b:02x}");
    let highest = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let height = bars.len() * ROW + 8;
    let title = escape_html(title);
    let mut out = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" role=\"img\" \
         aria-label=\"{title}\"><title>{title}</title><g font-size=\"13\">"
    );
    for (n, bar) in bars.iter().enumerate() {
        let top = 4 + n * ROW;
        let baseline = top + 17;
        let length = bar.value * BAR_MAX / highest;
        out.push_str(&format!(
            "<text x=\"{LABEL_END}\" y=\"{baseline}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{BAR_START}\" y=\"{}\" width=\"{length}\" height=\"16\" fill=\"{fill}\"/>\
             <text x=\"{}\" y=\"{baseline}\">{}</text>",
            escape_html(&ellipsis(&bar.label, LABEL_CHARS)),
            top + 4,
            BAR_START + length + 6,
            bar.value,
        ));
    }
    out.push_str("</g></svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_scaled_to_the_largest_and_labels_escaped() {
        let svg = bars(
            "Réflexions <par> mois",
            &[
                Bar {
                    label: "mars 2026".into(),
                    value: 4,
                },
                Bar {
                    label: "<script>alert(1)</script>".into(),
                    value: 2,
                },
                Bar {
                    label: "rien".into(),
                    value: 0,
                },
            ],
            0,
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        assert!(svg.contains("<title>Réflexions &lt;par&gt; mois</title>"));
        assert!(svg.contains(&format!("width=\"{BAR_MAX}\"")), "{svg}");
        assert!(svg.contains(&format!("width=\"{}\"", BAR_MAX / 2)), "{svg}");
        assert!(svg.contains("width=\"0\""), "{svg}");
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"), "{svg}");
        assert!(svg.contains(">4</text>") && svg.contains(">2</text>"));
        assert!(svg.contains("fill=\"#0072b2\""), "{svg}");
    }

    #[test]
    fn no_bars_no_chart() {
        assert_eq!(bars("Vide", &[], 0), "");
    }
}
