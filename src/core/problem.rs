//! One thing wrong in a file an operator or a contributor wrote (the config, a command file, a
//! card), with its file and line. Every loader returns all of them at once, as `Vec<Problem>`,
//! so that `kitbot check` and a refused start-up list everything in one go.

use std::fmt;

/// One problem, in French (operators read it), located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Path as the operator knows it, e.g. `kit-snippets/sms-rappel.md` or `bot.toml`.
    pub file: String,
    /// 1-based line in that file, when the problem has one.
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

    /// A TOML syntax or type error, with the line computed from the error's byte span, saying
    /// `message` (`strings::problems::toml_error`: toml's message is empty for some errors).
    pub fn toml(file: &str, text: &str, err: &toml::de::Error, message: String) -> Self {
        let line = err.span().map(|span| line_of(text, span.start));
        Self::at(file, line, message)
    }
}

impl std::error::Error for Problem {}

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
        let problem = Problem::toml("x.toml", text, &err, err.message().to_owned());
        assert_eq!(problem.line, Some(2));
        assert!(problem.to_string().starts_with("x.toml:2: "));
        assert_eq!(Problem::at("a.md", None, "vide").to_string(), "a.md: vide");
    }
}
