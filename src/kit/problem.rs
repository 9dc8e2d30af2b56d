//! Validation problems of the kit files, and the helpers that locate them in a file.
//!
//! Owns the helpers that turn a kit file's mistakes into [`Problem`]s (shown to the operator by
//! `kitbot check` and at start-up) and [`TomlSource`], which parses a TOML text, maps toml's byte
//! spans to line numbers and finds the line of a key so that every problem can name its line.
//! It does not decide what is valid: `card.rs` and `catalog.rs` do.

use crate::core::Problem;
use crate::strings::kit as s;
use crate::strings::problems;

/// A TOML text embedded at some line of a file (a card's front matter starts on line 2), with
/// the helpers to report problems on the right line.
pub(crate) struct TomlSource<'a> {
    pub file: &'a str,
    pub text: &'a str,
    /// 1-based file line of the text's first line.
    pub first_line: usize,
}

impl<'a> TomlSource<'a> {
    /// Parses the text as a TOML table; a syntax error becomes a problem on the error's line.
    pub fn parse(&self) -> Result<toml::Table, Problem> {
        toml::from_str::<toml::Table>(self.text).map_err(|err| {
            let line = err.span().map(|span| self.line_of_offset(span.start));
            Problem::at(
                self.file,
                line.or(Some(self.first_line)),
                s::problem_toml_syntax(&problems::toml_error(self.text, &err)),
            )
        })
    }

    /// File line of a byte offset in the text.
    pub fn line_of_offset(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        let newlines = self.text.as_bytes()[..offset]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.first_line + newlines
    }

    /// File line of the `nth` (0-based) `[[header]]` line, e.g. the third `[[sources]]`.
    pub fn header_line(&self, header: &str, nth: usize) -> Option<usize> {
        self.text
            .lines()
            .enumerate()
            .filter(|(_, l)| {
                let t = l.trim();
                t.starts_with("[[")
                    && t.trim_start_matches('[').trim_end_matches(']').trim() == header
            })
            .nth(nth)
            .map(|(i, _)| self.first_line + i)
    }

    /// File line of `key = …` in the table whose header is on file line `header`, or in the
    /// top-level table when `header` is `None`. The search stops at the next table header.
    pub fn key_line(&self, key: &str, header: Option<usize>) -> Option<usize> {
        let start = header.map_or(0, |h| h.saturating_sub(self.first_line) + 1);
        for (i, line) in self.text.lines().enumerate().skip(start) {
            let t = line.trim_start();
            if t.starts_with('[') {
                return None;
            }
            if let Some(rest) = t.strip_prefix(key) {
                if rest.trim_start().starts_with('=') {
                    return Some(self.first_line + i);
                }
            }
        }
        None
    }

    /// File line of each bare key written `key = …` at the start of a line (the first one when
    /// a key is written twice), in one pass: for files with many keys, where [`Self::key_line`]
    /// per key would read the file once per key.
    pub fn bare_key_lines(&self) -> std::collections::HashMap<&'a str, usize> {
        let mut lines = std::collections::HashMap::new();
        for (i, line) in self.text.lines().enumerate() {
            let Some((key, _)) = line.trim_start().split_once('=') else {
                continue;
            };
            let key = key.trim_end();
            let bare = !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if bare {
                lines.entry(key).or_insert(self.first_line + i);
            }
        }
        lines
    }

    /// File line of the first line containing `needle`, for values inside arrays.
    pub fn line_containing(&self, needle: &str) -> Option<usize> {
        self.text
            .lines()
            .position(|l| l.contains(needle))
            .map(|i| self.first_line + i)
    }

    /// A problem in this file.
    pub fn problem(&self, line: Option<usize>, message: impl Into<String>) -> Problem {
        Problem::at(self.file, line, message)
    }
}

/// Reads typed fields out of one TOML table, reporting every missing, empty or mistyped field
/// instead of stopping at the first one.
pub(crate) struct Fields<'s, 'a> {
    pub src: &'s TomlSource<'a>,
    pub table: &'s toml::Table,
    /// Line of the table's header (`[[etapes]]`…), `None` for the top-level table.
    pub header: Option<usize>,
    pub problems: &'s mut Vec<Problem>,
}

impl Fields<'_, '_> {
    fn line(&self, key: &str) -> Option<usize> {
        self.src
            .key_line(key, self.header)
            .or(self.header)
            .or(Some(self.src.first_line))
    }

    fn report(&mut self, key: &str, message: String) {
        let line = self.line(key);
        self.problems.push(self.src.problem(line, message));
    }

    /// Line of `key` if present, else of the table.
    pub fn line_of(&self, key: &str) -> Option<usize> {
        self.line(key)
    }

    /// A required, non-empty string.
    pub fn string(&mut self, key: &str) -> Option<String> {
        match self.table.get(key) {
            None => {
                let line = self.header.or(Some(self.src.first_line));
                self.problems
                    .push(self.src.problem(line, s::problem_missing_field(key)));
                None
            }
            Some(toml::Value::String(v)) if v.trim().is_empty() => {
                self.report(key, s::problem_empty_field(key));
                None
            }
            Some(toml::Value::String(v)) => Some(v.trim().to_owned()),
            Some(_) => {
                self.report(key, s::problem_wrong_type(key, s::TYPE_STRING));
                None
            }
        }
    }

    /// A required list of non-empty strings; `non_empty` also rejects `[]`.
    pub fn string_list(&mut self, key: &str, non_empty: bool) -> Option<Vec<String>> {
        match self.table.get(key) {
            None => {
                let line = self.header.or(Some(self.src.first_line));
                self.problems
                    .push(self.src.problem(line, s::problem_missing_field(key)));
                None
            }
            Some(toml::Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        toml::Value::String(v) if !v.trim().is_empty() => {
                            out.push(v.trim().to_owned())
                        }
                        toml::Value::String(_) => {
                            self.report(key, s::problem_empty_item(key));
                            return None;
                        }
                        _ => {
                            self.report(key, s::problem_wrong_type(key, s::TYPE_STRING_LIST));
                            return None;
                        }
                    }
                }
                if non_empty && out.is_empty() {
                    self.report(key, s::problem_empty_field(key));
                    return None;
                }
                Some(out)
            }
            Some(_) => {
                self.report(key, s::problem_wrong_type(key, s::TYPE_STRING_LIST));
                None
            }
        }
    }

    /// A required integer.
    pub fn integer(&mut self, key: &str) -> Option<i64> {
        match self.table.get(key) {
            None => {
                let line = self.header.or(Some(self.src.first_line));
                self.problems
                    .push(self.src.problem(line, s::problem_missing_field(key)));
                None
            }
            Some(toml::Value::Integer(v)) => Some(*v),
            Some(_) => {
                self.report(key, s::problem_wrong_type(key, s::TYPE_INTEGER));
                None
            }
        }
    }

    /// Reports every key of the table that is not in `known` (a typo like `tag = …` would
    /// otherwise be silently ignored).
    pub fn reject_unknown(&mut self, known: &[&str]) {
        let unknown: Vec<String> = self
            .table
            .keys()
            .filter(|k| !known.contains(&k.as_str()))
            .cloned()
            .collect();
        for key in unknown {
            let message = s::problem_unknown_field(&key, known);
            self.report(&key, message);
        }
    }
}

/// True for a lowercase kebab-case identifier: `sms-rappel`, `visio-1`.
pub(crate) fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// File name without directories and extension: `kit-snippets/parcours/a.toml` → `a`.
pub(crate) fn file_stem(path: &str) -> &str {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    match name.rfind('.') {
        Some(dot) if dot > 0 => &name[..dot],
        _ => name,
    }
}
