//! Backups of the store: written by the running bot on a schedule (and on request: SIGUSR1, or
//! `kitbot backup` while the bot runs), or by `kitbot backup` with the bot stopped; read back by
//! `kitbot restore` into a fresh store.
//!
//! A backup is one file of JSON lines: a header (format, schema version, time), one line per
//! entry (`{"t": tree, "k": key, "v": value}`, keys and values as text when they are UTF-8, as
//! hex under `kx`/`vx` otherwise), and a trailer with the number of entries, so that a cut-off
//! file is refused. The store is flushed first; each tree is then copied as it is when it is
//! read, so a write that lands during the copy is in it or not, and the readers already
//! tolerate an index entry whose record is missing. Files are written under a temporary name
//! and renamed once complete (mode 0600: they hold reflections); the oldest beyond `keep` are
//! removed.

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError, SCHEMA_VERSION};

/// The backup file format this build writes and reads.
pub const FORMAT: u32 = 1;
const PREFIX: &str = "kitbot-backup-";
const SUFFIX: &str = ".jsonl";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("fichier de sauvegarde : {0}")]
    Io(#[from] std::io::Error),
    #[error("ce fichier n'est pas une sauvegarde kitbot complète : {0}")]
    NotABackup(String),
    #[error("le dossier {0} contient déjà un store : arrêtez le robot et déplacez-le avant de restaurer")]
    StoreExists(PathBuf),
}

#[derive(Serialize, Deserialize)]
struct Header {
    kitbot_backup: u32,
    schema: u32,
    at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    t: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    k: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    kx: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    v: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    vx: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Trailer {
    end: bool,
    entries: u64,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn as_text(bytes: &[u8]) -> (Option<String>, Option<String>) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (Some(text.to_owned()), None),
        Err(_) => (None, Some(hex(bytes))),
    }
}

fn from_text(text: Option<String>, hexed: Option<String>) -> Option<Vec<u8>> {
    match (text, hexed) {
        (Some(text), None) => Some(text.into_bytes()),
        (None, Some(hexed)) => unhex(&hexed),
        _ => None,
    }
}

/// Create a file only the bot's user can read.
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)
}

/// Write a backup of `store` into `dir` (created 0700 if needed); returns the file.
pub fn write(store: &Store, dir: &Path, now: DateTime<Utc>) -> Result<PathBuf, BackupError> {
    create_private_dir(dir)?;
    store.flush_blocking()?;
    let name = format!("{PREFIX}{}{SUFFIX}", now.format("%Y%m%d-%H%M%S%.3f"));
    let path = dir.join(&name);
    let tmp = dir.join(format!("{name}.tmp"));
    let mut out = BufWriter::new(private_file(&tmp)?);
    let header = Header {
        kitbot_backup: FORMAT,
        schema: SCHEMA_VERSION,
        at: now,
    };
    writeln!(
        out,
        "{}",
        serde_json::to_string(&header).unwrap_or_default()
    )?;
    let mut entries = 0u64;
    for name in store.tree_names()? {
        let tree = store.tree(&name)?;
        for item in tree.iter() {
            let (key, value) = item.map_err(StoreError::Sled)?;
            let (k, kx) = as_text(&key);
            let (v, vx) = as_text(&value);
            let entry = Entry {
                t: name.clone(),
                k,
                kx,
                v,
                vx,
            };
            writeln!(out, "{}", serde_json::to_string(&entry).unwrap_or_default())?;
            entries += 1;
        }
    }
    // The ledger's records, under the names and in the forms their sled trees had (a restore
    // writes them into such trees, which the store moves into the ledger: `ledger.rs`).
    entries += store
        .ledger()
        .export(|tree, key, value| {
            let (k, kx) = as_text(key);
            let (v, vx) = as_text(value);
            let entry = Entry {
                t: tree.to_owned(),
                k,
                kx,
                v,
                vx,
            };
            writeln!(out, "{}", serde_json::to_string(&entry).unwrap_or_default())
        })
        .map_err(|err| match err {
            crate::ledger::ExportError::Io(err) => BackupError::Io(err),
            crate::ledger::ExportError::Ledger(err) => BackupError::Store(err.into()),
        })?;
    let trailer = Trailer { end: true, entries };
    writeln!(
        out,
        "{}",
        serde_json::to_string(&trailer).unwrap_or_default()
    )?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    tracing::info!(file = %path.display(), entries, "store backup written");
    Ok(path)
}

/// Read a backup into a new store at `store_dir`, which must not exist yet. Returns how many
/// entries were restored. The whole file is checked before anything is written.
pub fn restore(file: &Path, store_dir: &Path) -> Result<u64, BackupError> {
    if store_dir.exists()
        && std::fs::read_dir(store_dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(BackupError::StoreExists(store_dir.to_owned()));
    }
    let entries = read(file)?;
    let count = entries.len() as u64;
    let store = Store::open(store_dir)?;
    for (tree, key, value) in entries {
        store
            .tree(&tree)?
            .insert(key, value)
            .map_err(StoreError::Sled)?;
    }
    store.move_records_to_ledger()?;
    store.flush_blocking()?;
    Ok(count)
}

type Entries = Vec<(String, Vec<u8>, Vec<u8>)>;

/// Every entry of a backup file, checked: header, entries, trailer with the right count.
fn read(file: &Path) -> Result<Entries, BackupError> {
    let input = std::io::BufReader::new(std::fs::File::open(file)?);
    let mut lines = input.lines();
    let bad = |why: &str| BackupError::NotABackup(why.to_owned());
    let header: Header = lines
        .next()
        .transpose()?
        .and_then(|l| serde_json::from_str(&l).ok())
        .ok_or_else(|| bad("pas d'en-tête"))?;
    if header.kitbot_backup > FORMAT || header.schema > SCHEMA_VERSION {
        return Err(bad("écrite par une version plus récente de kitbot"));
    }
    let mut entries = Vec::new();
    for line in lines {
        let line = line?;
        if let Ok(trailer) = serde_json::from_str::<Trailer>(&line) {
            if trailer.end && trailer.entries == entries.len() as u64 {
                return Ok(entries);
            }
            return Err(bad("le nombre d'entrées ne correspond pas"));
        }
        let entry: Entry = serde_json::from_str(&line).map_err(|_| bad("ligne illisible"))?;
        let key = from_text(entry.k, entry.kx).ok_or_else(|| bad("clé illisible"))?;
        let value = from_text(entry.v, entry.vx).ok_or_else(|| bad("valeur illisible"))?;
        entries.push((entry.t, key, value));
    }
    Err(bad("fichier coupé avant la fin"))
}

/// The backups in `dir`, oldest first.
pub fn list(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The newest backup in `dir`.
pub fn latest(dir: &Path) -> Option<PathBuf> {
    list(dir).pop()
}

/// Remove the oldest backups beyond `keep`; returns how many.
pub fn prune(dir: &Path, keep: usize) -> usize {
    let files = list(dir);
    let extra = files.len().saturating_sub(keep);
    files
        .iter()
        .take(extra)
        .filter(|f| std::fs::remove_file(f).is_ok())
        .count()
}

/// A folder only the bot's user can enter.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    crate::files::private_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("valid")
            .with_timezone(&Utc)
    }

    #[test]
    fn a_backup_restores_every_entry_and_a_cut_file_is_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(&dir.path().join("store")).expect("store");
        store
            .put("items", b"a", &"réflexion « un »".to_owned())
            .expect("put");
        store
            .tree("raw")
            .expect("tree")
            .insert(&[0xff, 0x00][..], &[0x80, 0x81][..])
            .expect("raw");
        assert_eq!(store.next_number("n").expect("n"), 1);
        // What the outbox remembers per command, in the ledger beside sled, and the sync position.
        store.ledger().note_handled("$cmd", 1_000);
        store.ledger().note_position("s42_7");
        store
            .ledger()
            .delivered(
                "ev|$cmd|0",
                2_000,
                Some(crate::ledger::AnswerRecord {
                    command: "$cmd",
                    room_id: "!r:x",
                    answer: "$ans",
                }),
            )
            .expect("delivered");
        // A message waiting in the outbox (in the ledger too).
        let outbox = crate::outbox::Outbox::new(
            store.clone(),
            std::sync::Arc::new(crate::core::FixedClock::new(t("2026-12-01T09:00:00Z"))),
        );
        outbox
            .queue(vec![crate::outbox::Draft::new(
                "fire|n|1|post",
                crate::core::Outgoing::notice("!r:x".to_owned(), "Point d'équipe".to_owned()),
            )])
            .expect("queue");
        let backups = dir.path().join("backups");
        let file = write(&store, &backups, t("2026-12-01T10:00:00Z")).expect("backup");
        assert_eq!(latest(&backups).as_deref(), Some(file.as_path()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "readable by the bot only");
        }

        let restored_dir = dir.path().join("restored");
        let count = restore(&file, &restored_dir).expect("restore");
        assert!(count >= 8, "{count}");
        let restored = Store::open(&restored_dir).expect("reopen");
        assert_eq!(
            restored.get::<String>("items", b"a").expect("get"),
            Some("réflexion « un »".to_owned())
        );
        assert_eq!(
            restored
                .tree("raw")
                .expect("tree")
                .get(&[0xff, 0x00][..])
                .expect("get")
                .as_deref(),
            Some(&[0x80u8, 0x81][..])
        );
        assert_eq!(restored.next_number("n").expect("n"), 2, "counters go on");
        let ledger = restored.ledger();
        assert!(
            ledger.is_handled("$cmd").expect("read"),
            "handled marks restored"
        );
        assert!(ledger.is_delivered("ev|$cmd|0").expect("read"));
        assert_eq!(
            ledger.command_answered_by("$ans").expect("read").as_deref(),
            Some("$cmd")
        );
        assert_eq!(ledger.counts().expect("counts"), (1, 1, 1));
        assert_eq!(
            ledger.position().expect("read").as_deref(),
            Some("s42_7"),
            "the sync position restored: the bot goes on from there"
        );
        let waiting = crate::outbox::Outbox::new(
            restored.clone(),
            std::sync::Arc::new(crate::core::FixedClock::new(t("2026-12-01T11:00:00Z"))),
        )
        .pending()
        .expect("pending");
        assert_eq!(waiting.len(), 1, "the waiting message restored");
        assert_eq!(waiting[0].txn, "fire|n|1|post");
        assert_eq!(waiting[0].out.markdown(), Some("Point d'équipe"));

        // Into an existing store: refused. A cut file: refused, nothing written.
        assert!(matches!(
            restore(&file, &restored_dir),
            Err(BackupError::StoreExists(_))
        ));
        let text = std::fs::read_to_string(&file).expect("read");
        let cut = dir.path().join("cut.jsonl");
        std::fs::write(&cut, &text[..text.len() / 2]).expect("write");
        assert!(matches!(
            restore(&cut, &dir.path().join("other")),
            Err(BackupError::NotABackup(_))
        ));
        assert!(!dir.path().join("other").exists());
    }

    #[test]
    fn old_backups_beyond_keep_are_removed() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::temporary().expect("store");
        for day in 1..=5 {
            write(&store, dir.path(), t(&format!("2026-12-0{day}T10:00:00Z"))).expect("backup");
        }
        assert_eq!(prune(dir.path(), 3), 2);
        let left: Vec<String> = list(dir.path())
            .iter()
            .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_owned))
            .collect();
        assert_eq!(left.len(), 3);
        assert!(left[0].contains("20261203"), "{left:?}");
    }
}
