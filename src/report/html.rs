//! The report as one self-contained HTML page: inline CSS (readable on screen, tidy on A4),
//! inline SVG charts, tables with the same figures for screen readers and for copying, no
//! script, no image file, no link out. Every name that comes from data is escaped.

use std::fmt::Write as _;

use super::{Report, StepRow};
use crate::charts::svg::{bars, Bar};
use crate::core::text::escape_html;
use crate::strings::report as s;

/// The page's style: system fonts, print-friendly (A4 margins, no page break inside a row or
/// right after a heading).
const STYLE: &str = "\
@page { size: A4; margin: 14mm; }
body { font-family: \"DejaVu Sans\", \"Liberation Sans\", Arial, sans-serif; color: #111;
  max-width: 52em; margin: 1.5em auto; padding: 0 1em; line-height: 1.4; }
h1 { font-size: 1.6em; margin: 0 0 .2em; }
h2 { font-size: 1.25em; border-bottom: 2px solid #0072b2; padding-bottom: .1em;
  margin-top: 1.6em; break-after: avoid; }
h3 { font-size: 1.05em; margin-bottom: .3em; break-after: avoid; }
p.meta { color: #444; margin: .1em 0; }
.figures { display: flex; flex-wrap: wrap; gap: .8em; margin: 1em 0; padding: 0;
  list-style: none; }
.figures li { border: 1px solid #bbb; border-radius: 4px; padding: .4em .9em; min-width: 8em; }
.figures strong { display: block; font-size: 1.7em; }
table { border-collapse: collapse; width: 100%; margin: .4em 0 1.2em; font-size: .92em; }
th, td { border: 1px solid #bbb; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #eef3f8; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr { break-inside: avoid; }
tfoot td { font-weight: bold; }
svg.chart { display: block; max-width: 40em; margin: .4em 0; }
code { font-size: .9em; color: #444; }
footer { margin-top: 2em; font-size: .85em; color: #444; }
@media print { body { max-width: none; margin: 0; padding: 0; } }
";

fn cell(text: &str) -> String {
    format!("<td>{}</td>", escape_html(text))
}

fn number(n: usize) -> String {
    format!("<td class=\"n\">{n}</td>")
}

fn header(columns: &[(&str, bool)]) -> String {
    let mut out = String::from("<thead><tr>");
    for (title, numeric) in columns {
        if *numeric {
            let _ = write!(out, "<th class=\"n\">{}</th>", escape_html(title));
        } else {
            let _ = write!(out, "<th>{}</th>", escape_html(title));
        }
    }
    out.push_str("</tr></thead>");
    out
}

/// A card's title with its id.
fn card_cell(title: &str, id: Option<&str>) -> String {
    match id {
        Some(id) if id != title => format!(
            "<td>{} <code>{}</code></td>",
            escape_html(title),
            escape_html(id)
        ),
        _ => cell(title),
    }
}

fn key_figures(report: &Report) -> String {
    let figures = [
        (report.reflections.total, s::FIGURE_REFLECTIONS),
        (report.parcours.len(), s::FIGURE_PARCOURS),
        (report.tried(), s::FIGURE_TRIED),
        (report.nudges_sent(), s::FIGURE_NUDGES),
    ];
    let mut out = String::from("<ul class=\"figures\">");
    for (n, label) in figures {
        let _ = write!(out, "<li><strong>{n}</strong>{}</li>", escape_html(label));
    }
    out.push_str("</ul>");
    out
}

fn step_rows(steps: &[StepRow]) -> String {
    let mut out = String::new();
    for step in steps {
        let _ = write!(
            out,
            "<tr>{}{}{}{}</tr>",
            number(step.number),
            card_cell(&step.card, step.card_id.as_deref()),
            number(step.rooms),
            number(step.people),
        );
    }
    out
}

fn adoption(report: &Report) -> String {
    let mut out = format!(
        "<section id=\"adoption\"><h2>{}</h2><p>{}</p>",
        escape_html(s::ADOPTION),
        escape_html(s::ADOPTION_INTRO)
    );
    if report.parcours.is_empty() {
        let _ = write!(out, "<p>{}</p>", escape_html(s::NO_PARCOURS));
    }
    for (n, parcours) in report.parcours.iter().enumerate() {
        let chart: Vec<Bar> = parcours
            .steps
            .iter()
            .map(|step| Bar {
                label: s::step_label(step.number, &step.card),
                value: step.people,
            })
            .collect();
        let _ = write!(
            out,
            "<h3>{}</h3>{}<table>{}<tbody>{}</tbody></table>",
            escape_html(&s::parcours_heading(&parcours.title, parcours.rooms)),
            bars(&s::adoption_chart(&parcours.title), &chart, n),
            header(&[
                (s::COL_STEP, true),
                (s::COL_CARD, false),
                (s::COL_ROOMS, true),
                (s::COL_PEOPLE, true),
            ]),
            step_rows(&parcours.steps),
        );
    }
    out.push_str("</section>");
    out
}

fn reflections(report: &Report) -> String {
    let figures = &report.reflections;
    let mut out = format!(
        "<section id=\"reflexions\"><h2>{}</h2><p>{}</p>",
        escape_html(s::REFLECTIONS),
        escape_html(&s::reflections_intro(figures.total, figures.rooms))
    );
    if figures.total > 0 {
        let months: Vec<Bar> = figures
            .by_month
            .iter()
            .map(|(month, n)| Bar {
                label: month.clone(),
                value: *n,
            })
            .collect();
        let mut rows = String::new();
        for (month, n) in &figures.by_month {
            let _ = write!(rows, "<tr>{}{}</tr>", cell(month), number(*n));
        }
        let _ = write!(
            out,
            "<h3>{}</h3>{}<table>{}<tbody>{rows}</tbody></table>",
            escape_html(s::BY_MONTH),
            bars(s::MONTH_CHART, &months, 0),
            header(&[(s::COL_MONTH, false), (s::COL_REFLECTIONS, true)]),
        );
        let cards: Vec<Bar> = figures
            .by_card
            .iter()
            .map(|row| Bar {
                label: row.label.clone(),
                value: row.count,
            })
            .collect();
        let mut rows = String::new();
        for row in &figures.by_card {
            let _ = write!(
                rows,
                "<tr>{}{}</tr>",
                card_cell(&row.label, row.id.as_deref()),
                number(row.count)
            );
        }
        let _ = write!(
            out,
            "<h3>{}</h3>{}<table>{}<tbody>{rows}</tbody></table>",
            escape_html(s::BY_CARD),
            bars(s::CARD_CHART, &cards, 2),
            header(&[(s::COL_CARD, false), (s::COL_REFLECTIONS, true)]),
        );
    }
    out.push_str("</section>");
    out
}

fn nudges(report: &Report) -> String {
    let mut out = format!(
        "<section id=\"relances\"><h2>{}</h2><p>{}</p>",
        escape_html(s::NUDGES),
        escape_html(s::NUDGES_INTRO)
    );
    if report.sent.is_empty() {
        let _ = write!(out, "<p>{}</p>", escape_html(s::NO_NUDGES));
    } else {
        let chart: Vec<Bar> = report
            .sent
            .iter()
            .map(|m| Bar {
                label: m.month.clone(),
                value: m.nudges,
            })
            .collect();
        let mut rows = String::new();
        for month in &report.sent {
            let _ = write!(
                rows,
                "<tr>{}{}{}</tr>",
                cell(&month.month),
                number(month.nudges),
                number(month.steps)
            );
        }
        let steps: usize = report.sent.iter().map(|m| m.steps).sum();
        let _ = write!(
            out,
            "{}<table>{}<tbody>{rows}</tbody><tfoot><tr>{}{}{}</tr></tfoot></table>",
            bars(s::NUDGES_CHART, &chart, 3),
            header(&[
                (s::COL_MONTH, false),
                (s::COL_NUDGES, true),
                (s::COL_STEPS, true)
            ]),
            cell(s::TOTAL),
            number(report.nudges_sent()),
            number(steps),
        );
    }
    out.push_str("</section>");
    out
}

/// The whole page.
pub fn render(report: &Report) -> String {
    let title = escape_html(&s::title(&report.mission));
    format!(
        "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body>\
         <header><h1>{title}</h1><p class=\"meta\">{}</p><p class=\"meta\">{}</p></header>\
         {}{}{}{}<footer><p>{}</p></footer></body></html>\n",
        escape_html(&report.period),
        escape_html(&report.made_on),
        key_figures(report),
        adoption(report),
        reflections(report),
        nudges(report),
        escape_html(&super::notes()),
    )
}

#[cfg(test)]
mod tests {
    use super::super::{CardRow, ParcoursSection, ReflectionFigures, SentMonth};
    use super::*;

    fn sample() -> Report {
        Report {
            mission: "ML <Sud> & \"Co\"".into(),
            period: "Période : du 01/03/2026 au 30/04/2026 inclus.".into(),
            made_on: "Rapport établi le 02/12/2026 par kitbot.".into(),
            reflections: ReflectionFigures {
                total: 3,
                rooms: 1,
                by_month: vec![("mars 2026".into(), 2), ("avril 2026".into(), 1)],
                by_card: vec![
                    CardRow {
                        label: "Rappel <SMS>".into(),
                        id: Some("sms-rappel".into()),
                        count: 2,
                    },
                    CardRow {
                        label: "Sans fiche".into(),
                        id: None,
                        count: 1,
                    },
                ],
            },
            parcours: vec![ParcoursSection {
                title: "Premiers pas".into(),
                rooms: 1,
                steps: vec![
                    StepRow {
                        number: 1,
                        card: "Observer".into(),
                        card_id: Some("observer".into()),
                        rooms: 1,
                        people: 2,
                    },
                    StepRow {
                        number: 2,
                        card: "Rappel".into(),
                        card_id: Some("rappel".into()),
                        rooms: 0,
                        people: 0,
                    },
                ],
            }],
            sent: vec![SentMonth {
                month: "mars 2026".into(),
                nudges: 4,
                steps: 1,
            }],
        }
    }

    #[test]
    fn the_page_is_self_contained_escaped_and_holds_every_figure() {
        let page = render(&sample());
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("<html lang=\"fr\">"));
        assert!(page.contains(
            "<title>Rapport d&#39;activité — ML &lt;Sud&gt; &amp; &quot;Co&quot;</title>"
        ));
        assert!(
            !page.contains("<Sud>") && !page.contains("<SMS>"),
            "unescaped data"
        );
        for external in [
            "<script", "src=", "href=", "http:", "https:", "<link", "url(",
        ] {
            assert!(!page.contains(external), "{external} in the page");
        }
        for row in [
            "<tr><td>mars 2026</td><td class=\"n\">2</td></tr>",
            "<tr><td>avril 2026</td><td class=\"n\">1</td></tr>",
            "<tr><td>Rappel &lt;SMS&gt; <code>sms-rappel</code></td><td class=\"n\">2</td></tr>",
            "<tr><td>Sans fiche</td><td class=\"n\">1</td></tr>",
            "<tr><td class=\"n\">1</td><td>Observer <code>observer</code></td><td class=\"n\">1</td><td class=\"n\">2</td></tr>",
            "<tr><td>mars 2026</td><td class=\"n\">4</td><td class=\"n\">1</td></tr>",
        ] {
            assert!(page.contains(row), "missing {row}\n{page}");
        }
        assert!(page.contains("<li><strong>3</strong>réflexions partagées</li>"));
        assert!(page.contains("<li><strong>2</strong>essais d&#39;une étape</li>"));
        assert!(page.contains("<li><strong>4</strong>relances envoyées</li>"));
        assert_eq!(page.matches("<svg").count(), 4, "one chart per figure set");
    }

    #[test]
    fn an_empty_period_says_so_in_words() {
        let mut report = sample();
        report.reflections = ReflectionFigures {
            total: 0,
            rooms: 0,
            by_month: Vec::new(),
            by_card: Vec::new(),
        };
        report.parcours.clear();
        report.sent.clear();
        let page = render(&report);
        assert!(page.contains(s::NO_PARCOURS));
        assert!(page.contains("Aucune réflexion partagée"));
        assert!(page.contains(s::NO_NUDGES));
        assert!(!page.contains("<svg"));
    }
}
