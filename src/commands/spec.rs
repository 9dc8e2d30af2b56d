//! Command descriptions as data: `commands/<name>.toml` gives each command its French name,
//! aliases (French first, the English one last), role, summary, usage examples and help text.
//! Adding an alias needs no Rust change: the parser looks names up here.

use std::collections::HashMap;

use serde::Deserialize;

use crate::core::text::{cut_chars, edit_distance, fold};

/// Longer words are never a near-miss of a command name (the longest is about 20 letters).
const MAX_SUGGESTED_CHARS: usize = 32;
use crate::core::{Problem, Role};
use crate::strings::problems::toml_error;

/// One command, as written in its TOML file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandSpec {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub role: Role,
    pub summary: String,
    pub usage: Vec<String>,
    pub help: String,
}

/// Every command, indexed by folded name and alias.
#[derive(Debug, Clone)]
pub struct CommandSet {
    specs: Vec<CommandSpec>,
    by_word: HashMap<String, usize>,
}

impl CommandSet {
    /// Load and check `commands/*.toml` files. Reports every problem at once.
    pub fn from_files(files: &[(String, String)]) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut specs: Vec<(String, CommandSpec)> = Vec::new();
        for (path, text) in files.iter().filter(|(p, _)| p.ends_with(".toml")) {
            match toml::from_str::<CommandSpec>(text) {
                Ok(spec) => specs.push((path.clone(), spec)),
                Err(err) => problems.push(Problem::toml(path, text, &err, toml_error(text, &err))),
            }
        }
        specs.sort_by(|a, b| a.1.name.cmp(&b.1.name));
        let mut by_word: HashMap<String, usize> = HashMap::new();
        for (index, (path, spec)) in specs.iter().enumerate() {
            let stem = path
                .rsplit('/')
                .next()
                .unwrap_or(path)
                .trim_end_matches(".toml");
            if stem != spec.name {
                problems.push(Problem::at(
                    path,
                    Some(1),
                    format!(
                        "le nom « {} » ne correspond pas au fichier « {stem}.toml »",
                        spec.name
                    ),
                ));
            }
            if spec.summary.trim().is_empty() || spec.help.trim().is_empty() {
                problems.push(Problem::at(
                    path,
                    None,
                    "summary et help ne doivent pas être vides",
                ));
            }
            if spec.usage.is_empty() {
                problems.push(Problem::at(path, None, "au moins un exemple dans usage"));
            }
            for word in std::iter::once(&spec.name).chain(&spec.aliases) {
                let key = fold(word);
                if key.is_empty() || key.contains(char::is_whitespace) {
                    problems.push(Problem::at(
                        path,
                        None,
                        format!("nom ou alias invalide : « {word} »"),
                    ));
                } else if let Some(&other) = by_word.get(&key) {
                    problems.push(Problem::at(
                        path,
                        None,
                        format!("« {word} » est déjà utilisé par {}", specs[other].0),
                    ));
                } else {
                    by_word.insert(key, index);
                }
            }
        }
        let set = CommandSet {
            specs: specs.into_iter().map(|(_, spec)| spec).collect(),
            by_word,
        };
        for spec in &set.specs {
            for example in &spec.usage {
                match set.split(example, "!") {
                    Some((found, _)) if found.name == spec.name => {}
                    _ => problems.push(Problem::at(
                        &format!("commands/{}.toml", spec.name),
                        None,
                        format!(
                            "l'exemple « {example} » ne désigne pas la commande {}",
                            spec.name
                        ),
                    )),
                }
            }
        }
        if problems.is_empty() {
            Ok(set)
        } else {
            Err(problems)
        }
    }

    /// All commands, sorted by name.
    pub fn specs(&self) -> &[CommandSpec] {
        &self.specs
    }

    /// The command named `word` (name or alias, any case or accents).
    pub fn lookup(&self, word: &str) -> Option<&CommandSpec> {
        self.by_word.get(&fold(word)).map(|&i| &self.specs[i])
    }

    /// Split a message into its command and the rest, if it starts with `prefix` and a known
    /// command word. Unknown words give `None`; see [`CommandSet::suggest`].
    pub fn split<'a>(&self, body: &'a str, prefix: &str) -> Option<(&CommandSpec, &'a str)> {
        let (word, rest) = command_word(body, prefix)?;
        self.lookup(word).map(|spec| (spec, rest))
    }

    /// The closest known command to a mistyped word, when it is close enough. The word is cut
    /// first: a 64 KB "word" costs no more than a short one.
    pub fn suggest(&self, word: &str) -> Option<&CommandSpec> {
        let word = fold(cut_chars(word, MAX_SUGGESTED_CHARS));
        let (dist, idx) = self
            .by_word
            .iter()
            .map(|(w, &i)| (edit_distance(&word, w), i))
            .min_by_key(|&(d, i)| (d, &self.specs[i].name))?;
        let limit = if word.chars().count() <= 4 { 1 } else { 2 };
        (dist <= limit || (word.len() >= 3 && self.specs[idx].name.starts_with(&word)))
            .then(|| &self.specs[idx])
    }
}

/// The first word after the prefix, and the rest trimmed. `None` when `body` is not a command.
pub fn command_word<'a>(body: &'a str, prefix: &str) -> Option<(&'a str, &'a str)> {
    let rest = body.trim_start().strip_prefix(prefix)?;
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let (word, args) = rest.split_at(end);
    if word.is_empty() {
        return None;
    }
    Some((word, args.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, body: &str) -> (String, String) {
        (format!("commands/{name}.toml"), body.to_owned())
    }

    #[test]
    fn every_shipped_command_loads_and_every_example_parses() {
        let files = crate::assets::embedded("commands/");
        let set = CommandSet::from_files(&files).unwrap_or_else(|p| panic!("{p:#?}"));
        assert_eq!(set.specs().len(), files.len());
        for spec in set.specs() {
            for example in &spec.usage {
                let (found, _) = set.split(example, "!").expect("example parses");
                assert_eq!(found.name, spec.name, "{example}");
            }
        }
    }

    #[test]
    fn broken_command_files_are_reported() {
        let ok = "name = \"a\"\naliases = [\"b\"]\nrole = \"membre\"\nsummary = \"s\"\nusage = [\"!a\"]\nhelp = \"h\"\n";
        struct Case {
            files: Vec<(String, String)>,
            expected: &'static str,
        }
        let cases = [
            Case {
                files: vec![
                    file("a", ok),
                    file("c", &ok.replace("\"a\"", "\"c\"").replace("!a", "!c")),
                ],
                expected: "déjà utilisé",
            },
            Case {
                files: vec![file("a", &ok.replace("membre", "chef"))],
                expected: "unknown variant",
            },
            Case {
                files: vec![file("a", &ok.replace("[\"!a\"]", "[\"!zz\"]"))],
                expected: "ne désigne pas",
            },
            Case {
                files: vec![file("x", ok)],
                expected: "ne correspond pas",
            },
            Case {
                files: vec![file("a", "name = ")],
                expected: "",
            },
        ];
        for case in cases {
            let problems = CommandSet::from_files(&case.files).expect_err("invalid");
            let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
            assert!(all.iter().any(|p| p.contains(case.expected)), "{all:#?}");
        }
    }

    #[test]
    fn suggestions_and_command_words() {
        let set = CommandSet::from_files(&crate::assets::embedded("commands/")).expect("valid");
        assert_eq!(set.suggest("aied").map(|s| s.name.as_str()), Some("aide"));
        assert_eq!(set.suggest("PNIG").map(|s| s.name.as_str()), Some("ping"));
        assert!(set.suggest("xylophone").is_none());
        assert_eq!(command_word("  !aide  ping ", "!"), Some(("aide", "ping")));
        assert_eq!(command_word("aide", "!"), None);
        assert_eq!(set.lookup("HELP").map(|s| s.name.as_str()), Some("aide"));
    }
}
