//! `kitbot check`: load the config and the data folders the way `kitbot run` would, and report
//! every problem at once, each with its file (and line where known).

use crate::core::Problem;

/// What `kitbot check` found: informative lines, warnings (the bot still runs), and problems.
#[derive(Debug, Default)]
pub struct Report {
    pub lines: Vec<String>,
    pub warnings: Vec<String>,
    pub problems: Vec<Problem>,
}

/// Load everything `kitbot run` would load, and collect every problem.
pub fn run(config_path: Option<&std::path::Path>) -> Report {
    run_at(config_path, chrono::Utc::now())
}

/// As [`run`], at `now` (a card's phone numbers checked more than a year before it are
/// reported).
pub fn run_at(config_path: Option<&std::path::Path>, now: chrono::DateTime<chrono::Utc>) -> Report {
    let mut report = Report::default();
    let config = match crate::config::Config::load(config_path) {
        Ok(config) => config,
        Err(problems) => {
            report.problems.extend(problems);
            return report;
        }
    };
    report.lines.push(format!(
        "Configuration : {}",
        config_path
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| crate::config::EXAMPLE_NAME.into())
    ));
    for ml in &config.missions {
        report.lines.push(format!(
            "- {} ({}) : fuseau {}, {} salon(s){}, seuil de coordination {}, conservation des réflexions {} mois",
            ml.name,
            ml.id,
            ml.tz,
            ml.rooms.len(),
            ml.space.as_ref().map(|s| format!(" + espace {s}")).unwrap_or_default(),
            ml.coordination_level,
            ml.retention_months,
        ));
    }
    match crate::engine::Engine::load_commands(&config) {
        Ok(commands) => report
            .lines
            .push(format!("Commandes : {}", commands.specs().len())),
        Err(problems) => report.problems.extend(problems),
    }
    match crate::engine::Engine::load_kit(&config) {
        Ok(kit) => {
            report.lines.push(format!(
                "Kit : {} fiches, {} thèmes, {} parcours",
                kit.cards().len(),
                kit.themes().len(),
                kit.parcours().len()
            ));
            for card in kit.cards() {
                if let Some(checked) = card.verified.filter(|c| checked_over_a_year_ago(*c, now)) {
                    report.warnings.push(crate::strings::kit::check_stale_card(
                        &card.id,
                        &checked.to_string(),
                    ));
                }
            }
        }
        Err(problems) => report.problems.extend(problems),
    }
    report
}

/// True when a card's `verifie` month is more than a year before `now`'s month: checked in
/// 2025-12, it is due in 2027-01 (twelve months later, 2026-12, is still within the year).
fn checked_over_a_year_ago(
    checked: crate::kit::YearMonth,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    use chrono::Datelike as _;
    let months_now = now.year() * 12 + now.month() as i32 - 1;
    let months = i32::from(checked.year) * 12 + i32::from(checked.month) - 1;
    months_now - months > 12
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verifie_month_is_stale_after_twelve_full_months() {
        struct Case {
            checked: &'static str,
            now: &'static str,
            stale: bool,
        }
        let cases = [
            Case {
                checked: "2026-12",
                now: "2026-12-02T10:00:00Z",
                stale: false,
            },
            Case {
                checked: "2025-12",
                now: "2026-12-31T23:00:00Z",
                stale: false,
            },
            Case {
                checked: "2025-11",
                now: "2026-12-01T00:00:00Z",
                stale: true,
            },
            Case {
                checked: "2025-12",
                now: "2027-01-01T00:00:00Z",
                stale: true,
            },
            Case {
                checked: "2024-06",
                now: "2026-12-02T10:00:00Z",
                stale: true,
            },
            // A month in the future (a typo) is not stale.
            Case {
                checked: "2030-01",
                now: "2026-12-02T10:00:00Z",
                stale: false,
            },
        ];
        for case in cases {
            let checked = crate::kit::YearMonth::parse(case.checked).expect("month");
            assert_eq!(
                checked_over_a_year_ago(checked, at(case.now)),
                case.stale,
                "{} at {}",
                case.checked,
                case.now
            );
        }
    }

    fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339(text)
            .expect("time")
            .with_timezone(&chrono::Utc)
    }

    #[test]
    fn cards_checked_more_than_a_year_ago_are_reported() {
        let now = run_at(None, at("2026-12-02T10:00:00Z"));
        assert!(now.problems.is_empty(), "{:?}", now.problems);
        assert!(now.warnings.is_empty(), "{:?}", now.warnings);
        let later = run_at(None, at("2028-06-01T10:00:00Z"));
        let kit =
            crate::engine::Engine::load_kit(&crate::config::Config::load(None).expect("config"))
                .expect("kit");
        let dated = kit.cards().iter().filter(|c| c.verified.is_some()).count();
        assert!(dated > 0);
        assert_eq!(later.warnings.len(), dated, "{:?}", later.warnings);
        assert!(
            later.warnings[0].contains("plus d'un an"),
            "{}",
            later.warnings[0]
        );
    }
}
