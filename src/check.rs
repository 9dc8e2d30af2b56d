//! `kitbot check`: load the config and the data folders the way `kitbot run` would, and report
//! every problem at once, each with its file (and line where known). Also the [`Problem`] type
//! that every loader returns.

use std::fmt;

/// One thing wrong in a file an operator or a contributor wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl Problem {
    pub fn at(file: &str, line: Option<usize>, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            line,
            message: message.into(),
        }
    }

    /// A TOML syntax or type error, with the line computed from the error's byte span.
    pub fn toml(file: &str, text: &str, err: &toml::de::Error) -> Self {
        let line = err.span().map(|span| line_of(text, span.start));
        let message = err.message().trim().to_owned();
        Self {
            file: file.to_owned(),
            line,
            message,
        }
    }
}

/// 1-based line number of byte offset `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_errors_carry_their_line() {
        let text = "a = 1\nb = \n";
        let err = toml::from_str::<toml::Value>(text).expect_err("invalid");
        let problem = Problem::toml("x.toml", text, &err);
        assert_eq!(problem.line, Some(2));
        assert!(problem.to_string().starts_with("x.toml:2: "));
    }
}

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
