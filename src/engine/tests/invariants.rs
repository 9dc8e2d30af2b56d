//! Invariants over the registries and the code itself (as ripgrep checks every flag):
//! - every `commands/*.toml` name and alias parses to its own command, never `Unknown`, and the
//!   command's `name()` is its file's name;
//! - the dependency rule of `src/lib.rs`: the domains, the store, the strings and the core
//!   never reach up into the engine, the commands, an adapter, `check` or the binary.

use std::path::{Path, PathBuf};

use crate::commands::{Command, CommandSet};

#[test]
fn every_command_name_and_alias_parses_to_its_own_command() {
    let files = crate::assets::embedded("commands/");
    let set = CommandSet::from_files(&files).unwrap_or_else(|p| panic!("{p:#?}"));
    assert!(set.specs().len() >= 18, "{} commands", set.specs().len());
    for (path, _) in &files {
        let stem = path
            .rsplit('/')
            .next()
            .and_then(|f| f.strip_suffix(".toml"))
            .expect("a .toml file");
        let spec = set
            .lookup(stem)
            .unwrap_or_else(|| panic!("{path}: name not found"));
        assert_eq!(spec.name, stem, "{path}");
        for word in std::iter::once(&spec.name).chain(&spec.aliases) {
            let typed = format!("!{word}");
            let (found, args) = set
                .split(&typed, "!")
                .unwrap_or_else(|| panic!("!{word} is not recognised"));
            assert_eq!(found.name, spec.name, "!{word}");
            let command = Command::parse(&found.name, args);
            assert!(
                !matches!(command, Command::Unknown { .. }),
                "!{word} ({path}) parses to Unknown: the file has no Rust behaviour"
            );
            assert_eq!(command.name(), spec.name, "!{word} ({path})");
        }
    }
}

/// Modules that must not depend on the layers above them.
const LOWER: &[&str] = &[
    "src/core",
    "src/kit",
    "src/schedule",
    "src/nudges",
    "src/reflections",
    "src/store.rs",
    "src/strings",
    "src/outbox.rs",
    "src/backup.rs",
    "src/charts",
];
/// The layers above the domains.
const UPPER: &[&str] = &[
    "engine", "commands", "rights", "report", "matrix", "console", "check", "main",
];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .expect("readable folder")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for entry in entries {
            rust_files(&entry, out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_owned());
    }
}

/// The `crate::<module>` paths a file names (in `use` lines and inline alike).
fn crate_paths(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let module: String = text[at + 7..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        found.push(module);
    }
    found
}

#[test]
fn lower_layers_never_import_upper_ones() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut offences = Vec::new();
    let mut scanned = 0;
    for lower in LOWER {
        let mut files = Vec::new();
        rust_files(&root.join(lower), &mut files);
        for file in files {
            scanned += 1;
            let text = std::fs::read_to_string(&file).expect("readable source");
            for module in crate_paths(&text) {
                if UPPER.contains(&module.as_str()) {
                    offences.push(format!("{} uses crate::{module}", file.display()));
                }
            }
        }
    }
    assert!(scanned > 40, "only {scanned} files scanned: wrong root?");
    assert!(offences.is_empty(), "{offences:#?}");
}

#[test]
fn the_core_imports_nothing_else_of_kitbot() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src/core"), &mut files);
    assert!(!files.is_empty());
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable source");
        for module in crate_paths(&text) {
            assert_eq!(module, "core", "{} uses crate::{module}", file.display());
        }
    }
}

#[test]
fn the_scan_sees_an_offence() {
    // The checker itself can fail: a path to an upper layer is found, inline or in a use.
    let paths = crate_paths("use crate::engine::Engine;\nlet x = crate::matrix::send();");
    assert_eq!(paths, ["engine", "matrix"]);
}

/// A background task that panics is restarted (after its second), and a task that returns is
/// not; a shutdown stops the supervisor.
#[tokio::test(start_paused = true)]
async fn a_background_task_that_panics_is_restarted() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let tracker = tokio_util::task::TaskTracker::new();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let runs = Arc::new(AtomicUsize::new(0));
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<usize>();
    let done_tx = Arc::new(std::sync::Mutex::new(Some(done_tx)));
    {
        let runs = runs.clone();
        crate::engine::supervise(&tracker, &shutdown, "test", move |_shutdown| {
            let runs = runs.clone();
            let done_tx = done_tx.clone();
            async move {
                let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
                if run < 3 {
                    panic!("injected panic, run {run}");
                }
                if let Some(tx) = done_tx.lock().unwrap().take() {
                    let _ = tx.send(run);
                }
            }
        });
    }
    let run = tokio::time::timeout(std::time::Duration::from_secs(60), done_rx)
        .await
        .expect("the task ran again after its panics")
        .expect("the task reported");
    assert_eq!(run, 3, "two panics, then a third run that returned");
    tracker.close();
    tokio::time::timeout(std::time::Duration::from_secs(60), tracker.wait())
        .await
        .expect("a task that returned is not restarted: the supervisor ends");
    assert_eq!(runs.load(Ordering::SeqCst), 3);
}
