//! `kitbot check`: load the config and the data folders the way `kitbot run` would, and report
//! every problem at once, each with its file (and line where known).

use crate::core::Problem;

/// What `kitbot check` found: informative lines, and problems.
#[derive(Debug, Default)]
pub struct Report {
    pub lines: Vec<String>,
    pub problems: Vec<Problem>,
}

/// Load everything `kitbot run` would load, and collect every problem.
pub fn run(config_path: Option<&std::path::Path>) -> Report {
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
        Ok(kit) => report.lines.push(format!(
            "Kit : {} fiches, {} thèmes, {} parcours",
            kit.cards().len(),
            kit.themes().len(),
            kit.parcours().len()
        )),
        Err(problems) => report.problems.extend(problems),
    }
    report
}
