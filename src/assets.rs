//! The data folders (`commands/`, `kit-snippets/`) as `(relative path, contents)` pairs: embedded
//! in the binary by `build.rs`, or read from a folder on disk when the config names one. Both
//! loaders of commands and cards take these pairs, so both sources are validated the same way.

use std::path::Path;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// A data file: its path relative to the project root (e.g. `commands/aide.toml`) and its text.
pub type DataFile = (String, String);

/// The embedded files whose path starts with `prefix` (e.g. `"commands/"`).
pub fn embedded(prefix: &str) -> Vec<DataFile> {
    embedded::FILES
        .iter()
        .filter(|(path, _)| path.starts_with(prefix))
        .map(|(path, text)| ((*path).to_owned(), (*text).to_owned()))
        .collect()
}

/// Read every `.toml` and `.md` file below `dir`, named `<label>/<relative path>`.
pub fn read_dir(dir: &Path, label: &str) -> std::io::Result<Vec<DataFile>> {
    let mut out = Vec::new();
    read_into(dir, dir, label, &mut out)?;
    out.sort();
    Ok(out)
}

fn read_into(root: &Path, dir: &Path, label: &str, out: &mut Vec<DataFile>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            read_into(root, &path, label, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("toml" | "md")
        ) {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let name = format!("{label}/{}", rel.to_string_lossy().replace('\\', "/"));
            out.push((name, std::fs::read_to_string(&path)?));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn commands_are_embedded() {
        let files = super::embedded("commands/");
        assert!(files.iter().any(|(p, _)| p == "commands/aide.toml"));
    }
}
