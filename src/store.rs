//! The store: one `sled::Db`, one tree per entity, values as JSON in a versioned envelope
//! (`{"v": 1, "d": …}`), a `meta` tree holding the schema version, migrations run at open.
//!
//! What is written reaches the disk on its own only every 500 ms (the store's flusher thread,
//! [`FLUSH_EVERY`]): whoever tells a user "saved" calls [`Store::flush`] first. sled takes an
//! exclusive lock on its folder, so exports and backups run inside the bot's process or with the
//! bot stopped. sled calls are synchronous and fast for point reads and writes; long scans
//! belong in `spawn_blocking`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::ledger::{self, Ledger};

/// The schema version this build writes and expects.
pub const SCHEMA_VERSION: u32 = 1;

/// sled's cache size (`cache_capacity`), in bytes. 4 MiB rather than 16: the same latencies on
/// the scale bench's store of 1,000,000 reflections (sled reads the rest from the system's file
/// cache), and less memory as commands add up (BENCHMARKS.md "sled's cache: 4 MiB instead of
/// 16" and "10,000 commands").
pub const CACHE_BYTES: u64 = 4 * 1024 * 1024;

/// How often the store's flusher thread writes what is not on disk yet (sled's own flusher,
/// turned off, did it every 500 ms). Whoever tells a user "saved" still flushes first.
pub const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// sled 0.34 frees what it replaced (pages, and the 512 KiB write buffers of its log) through
/// crossbeam-epoch: each thread keeps what it retired in a bag of up to 64 deferred frees and
/// hands the bag over only when it is full. A thread that retires little, as a flushing thread
/// does (one write buffer per flush), held on to dozens of write buffers for minutes: 47 of
/// them (24 MB) at the peak of a 12-minute load run (heaptrack), the saw-tooth of the bot's
/// memory. Handing the bag over after each flush lets them go two epochs later.
fn release_deferred_frees() {
    crossbeam_epoch::pin().flush();
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened, read or written.
    #[error("base de données : {0}")]
    Sled(#[from] sled::Error),
    /// A stored value could not be decoded (corruption, or written by a newer kitbot).
    #[error("valeur illisible dans « {tree} » : {cause}")]
    Decode { tree: String, cause: String },
    /// The store was written by a newer kitbot than this one.
    #[error("ce dossier de données vient d'une version plus récente de kitbot (schéma {found}, attendu ≤ {SCHEMA_VERSION})")]
    TooNew { found: u32 },
    /// Writes failed (a full disk) and the store is not usable again yet: it is closed while it
    /// is being reopened, or a failed write has not been undone yet. Nothing is read from it
    /// then, so nobody is told about data that is not there (or that never was confirmed).
    #[error(
        "base de données momentanément indisponible (écriture impossible, réouverture en cours)"
    )]
    Unavailable,
    /// The ledger (SQLite, `ledger.rs`) could not be opened, read or written.
    #[error("registre des commandes : {0}")]
    Ledger(String),
}

thread_local! {
    /// Set while this thread runs the queued undos, which must reach the database that
    /// everyone else is kept out of until they have run.
    static UNDOING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    v: u32,
    d: T,
}

/// A way back to the state before a failed write.
type Undo = Box<dyn Fn(&Store) -> Result<(), StoreError> + Send + Sync>;

#[derive(Default)]
struct Undos(Mutex<Vec<(&'static str, Undo)>>);

impl std::fmt::Debug for Undos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.lock().map(|v| v.len()).unwrap_or(0);
        write!(f, "Undos({n})")
    }
}

/// A cheap clonable handle on the database.
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<Inner>,
}

/// A change in progress: writes that stand or fall together, made with [`Store::change`]
/// before the first of them, with the way back. [`Change::commit`] flushes them. A change
/// dropped before it committed (one of its writes failed and `?` returned early, or its flush
/// failed) runs its way back, now or right after the store is reopened: the store may have
/// written part of it to disk already (sled's background flusher, every 500 ms), and what the
/// person was told failed, or was never told about, must not come back after a recovery.
#[must_use = "a change dropped without `commit` is undone"]
pub struct Change {
    store: Store,
    what: &'static str,
    undo: Option<Undo>,
}

impl Change {
    /// Flush the change; when the flush fails it is undone and the error returned.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        self.try_commit().await
    }

    /// Flush the change; when the flush fails it stays pending, to be undone when dropped
    /// (where the caller chooses, under its own lock say).
    pub async fn try_commit(&mut self) -> Result<(), StoreError> {
        self.store.flush().await?;
        self.undo = None;
        Ok(())
    }
}

impl Drop for Change {
    fn drop(&mut self) {
        if let Some(undo) = self.undo.take() {
            self.store.undo_boxed(self.what, undo);
        }
    }
}

impl std::fmt::Debug for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Change({}, committed: {})",
            self.what,
            self.undo.is_none()
        )
    }
}

#[derive(Debug)]
struct Inner {
    /// The folder, `None` for a temporary store.
    dir: Option<PathBuf>,
    /// What the outbox remembers per command, in SQLite beside sled (`ledger.rs`).
    ledger: Ledger,
    /// The ledger's last write failed (logged once until one works again).
    ledger_failing: AtomicBool,
    /// The open database. Replaced by [`Store::reopen`] after an I/O error: sled 0.34 refuses
    /// every later operation once one failed (a full disk, say), until it is opened again.
    /// `None` while it is closed and could not be opened again yet: every call then fails with
    /// [`StoreError::Unavailable`] (never an empty stand-in, which would answer "nothing kept").
    db: RwLock<Option<sled::Db>>,
    /// Benchmarks only ([`Store::open_with_sled_flusher`]): sled's own flusher, as before.
    sled_flusher: bool,
    /// sled's cache size, kept for reopening.
    cache_bytes: std::sync::atomic::AtomicU64,
    /// How many undos wait in `undos`: while some do, the database may hold a write that was
    /// never confirmed, so it is not read by anyone but the undos themselves.
    pending_undos: std::sync::atomic::AtomicUsize,
    /// One flush at a time, always a plain `flush` on a blocking thread: several concurrent
    /// `flush_async` calls can exhaust sled's own thread pool and then never return (seen with
    /// 16 authors sharing at once), and a `flush_async` racing a plain `flush` hung the bot
    /// (seen at start-up, the first backup against the sync loop).
    flush_gate: Mutex<()>,
    /// An I/O error was seen since the last (re)open: writes are failing.
    failing: AtomicBool,
    /// Undos that could not run when their write failed (the store refused everything): run
    /// right after the database is reopened, before it is declared working again.
    undos: Undos,
    /// Tests only: make every flush fail, as a full disk would.
    #[cfg(test)]
    fail_flushes: AtomicBool,
    /// Tests only: the n-th next opening of one of these trees fails (once), as a write
    /// refused half-way through a change would.
    #[cfg(test)]
    cut: Mutex<Option<(usize, Vec<String>)>>,
    #[cfg(test)]
    cut_fired: AtomicBool,
}

impl Store {
    fn new(db: sled::Db, ledger: Ledger, dir: Option<PathBuf>, sled_flusher: bool) -> Store {
        let store = Store {
            inner: Arc::new(Inner {
                dir,
                ledger,
                ledger_failing: AtomicBool::new(false),
                sled_flusher,
                db: RwLock::new(Some(db)),
                cache_bytes: std::sync::atomic::AtomicU64::new(CACHE_BYTES),
                pending_undos: Default::default(),
                flush_gate: Default::default(),
                failing: AtomicBool::new(false),
                undos: Undos::default(),
                #[cfg(test)]
                fail_flushes: AtomicBool::new(false),
                #[cfg(test)]
                cut: Mutex::new(None),
                #[cfg(test)]
                cut_fired: AtomicBool::new(false),
            }),
        };
        if !sled_flusher {
            store.start_flusher();
        }
        store
    }

    /// Write what is not on disk yet every [`FLUSH_EVERY`], as sled's own flusher did, from a
    /// thread that lets the deferred frees of each flush go right after it (see
    /// [`Store::flush_blocking`]). It holds the store only while it flushes, and ends once the
    /// store is dropped.
    fn start_flusher(&self) {
        let inner = Arc::downgrade(&self.inner);
        let started = std::thread::Builder::new()
            .name("kitbot-store-flush".into())
            .spawn(move || loop {
                std::thread::sleep(FLUSH_EVERY);
                let Some(inner) = inner.upgrade() else {
                    return;
                };
                // An error is logged by `watch` (once) and met again by the next write.
                let _ = Store { inner }.flush_blocking();
            });
        if let Err(err) = started {
            tracing::error!(cause = %err, "could not start the store's flusher thread; writes reach the disk at the next explicit flush");
        }
    }

    /// sled's own background flusher is off: [`Store::new`] starts ours (see `FLUSH_EVERY`).
    fn config(dir: &Path, cache_bytes: u64, sled_flusher: bool) -> sled::Config {
        sled::Config::new()
            .path(dir)
            .cache_capacity(cache_bytes)
            .flush_every_ms(sled_flusher.then_some(500))
    }

    /// Open (or create) the store in `dir`, and migrate it to [`SCHEMA_VERSION`].
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        // The working set is small; sled's default 1 GiB cache would only cost memory.
        Store::open_with_cache(dir, CACHE_BYTES)
    }

    /// [`Store::open`] with another sled cache size (benchmarks measure what it changes).
    pub fn open_with_cache(dir: &Path, cache_bytes: u64) -> Result<Store, StoreError> {
        Self::open_inner(dir, cache_bytes, false)
    }

    /// Benchmarks only: the store as it was before it flushed from its own thread, with
    /// sled's background flusher and no hand-over of deferred frees (what that change saves
    /// is measured against this).
    pub fn open_with_sled_flusher(dir: &Path, cache_bytes: u64) -> Result<Store, StoreError> {
        Self::open_inner(dir, cache_bytes, true)
    }

    fn open_inner(dir: &Path, cache_bytes: u64, sled_flusher: bool) -> Result<Store, StoreError> {
        // sled first: its lock on the folder keeps a second kitbot out before it opens anything.
        let db = Self::open_when_free(dir, cache_bytes, sled_flusher)?;
        let ledger = Ledger::open(&dir.join(ledger::FILE))?;
        let store = Store::new(db, ledger, Some(dir.to_owned()), sled_flusher);
        store.inner.cache_bytes.store(cache_bytes, Ordering::SeqCst);
        store.migrate()?;
        store.move_records_to_ledger()?;
        Ok(store)
    }

    /// Open sled in `dir`. When the folder's lock is still held by a database of this process
    /// that is closing (sled lets go of it once its background threads are done, a moment
    /// after the last handle is dropped: seen after a restore on a busy machine), wait for it,
    /// up to 5 s. Another process holding it gets the error after that.
    fn open_when_free(
        dir: &Path,
        cache_bytes: u64,
        sled_flusher: bool,
    ) -> Result<sled::Db, StoreError> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            match Self::config(dir, cache_bytes, sled_flusher).open() {
                Err(sled::Error::Io(err))
                    if err.to_string().contains("could not acquire lock")
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => return Ok(other?),
            }
        }
    }

    /// A store that lives in memory and a temporary folder, for tests and benchmarks.
    pub fn temporary() -> Result<Store, StoreError> {
        let db = sled::Config::new()
            .temporary(true)
            .cache_capacity(CACHE_BYTES)
            .flush_every_ms(None)
            .open()?;
        let store = Store::new(db, Ledger::in_memory()?, None, false);
        store.migrate()?;
        Ok(store)
    }

    fn db(&self) -> Result<sled::Db, StoreError> {
        if self.inner.pending_undos.load(Ordering::SeqCst) > 0 && !UNDOING.with(|u| u.get()) {
            return Err(StoreError::Unavailable);
        }
        self.inner
            .db
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or(StoreError::Unavailable)
    }

    /// Record the outcome of a sled call: an I/O error marks the store as failing.
    fn watch<T>(&self, result: sled::Result<T>) -> Result<T, StoreError> {
        result.map_err(|err| {
            if matches!(err, sled::Error::Io(_) | sled::Error::ReportableBug(_))
                && !self.inner.failing.swap(true, Ordering::SeqCst)
            {
                tracing::error!(cause = %err, "the store cannot write any more (disk full?); nothing new is confirmed until it recovers");
            }
            StoreError::Sled(err)
        })
    }

    /// Whether writes are failing (an I/O error since the last open).
    pub fn is_failing(&self) -> bool {
        self.inner.failing.load(Ordering::SeqCst)
    }

    /// After writes failed, open the database again (what was flushed before the failure is
    /// there; what was not, and was therefore never confirmed to anyone, is gone), and check
    /// that a write and a flush work. True when the store works again.
    pub fn reopen(&self) -> bool {
        let Some(dir) = self.inner.dir.clone() else {
            return false;
        };
        let mut guard = self.inner.db.write().unwrap_or_else(|e| e.into_inner());
        // Let go of the failed database first: sled holds a lock on its folder. Until another
        // one is open, the store is closed: calls fail, none is served from a stand-in.
        drop(guard.take());
        let mut last = None;
        for _ in 0..20 {
            let cache = self.inner.cache_bytes.load(Ordering::SeqCst);
            match Self::config(&dir, cache, self.inner.sled_flusher).open() {
                Ok(db) => {
                    let probe = db
                        .open_tree("meta")
                        .and_then(|meta| meta.insert("probe", b"1".to_vec()))
                        .and_then(|_| db.flush());
                    *guard = Some(db);
                    drop(guard);
                    return match probe {
                        Ok(_) => {
                            if !self.run_undos() {
                                return false;
                            }
                            self.inner.failing.store(false, Ordering::SeqCst);
                            tracing::warn!("the store works again");
                            true
                        }
                        Err(err) => {
                            // Still full: keep it open (reads work, unless an undo waits) and
                            // try again later.
                            tracing::debug!(cause = %err, "the store still cannot write");
                            false
                        }
                    };
                }
                // A handle taken just before may still hold the folder's lock for a moment.
                Err(err) => {
                    last = Some(err);
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
            }
        }
        if let Some(err) = last {
            tracing::warn!(cause = %err, "cannot reopen the store yet");
        }
        false
    }

    /// Start a change made of one or more writes that stand or fall together, before its first
    /// write: `undo` puts back the state from before it. See [`Change`].
    pub fn change(
        &self,
        what: &'static str,
        undo: impl Fn(&Store) -> Result<(), StoreError> + Send + Sync + 'static,
    ) -> Change {
        Change {
            store: self.clone(),
            what,
            undo: Some(Box::new(undo)),
        }
    }

    /// Undo a write whose flush failed (it must not take effect: nobody was told it was saved).
    /// `undo` restores the state before the write and may run twice; when the store refuses it
    /// now, it runs again right after the database is reopened.
    pub fn undo(
        &self,
        what: &'static str,
        undo: impl Fn(&Store) -> Result<(), StoreError> + Send + Sync + 'static,
    ) {
        self.undo_boxed(what, Box::new(undo));
    }

    fn undo_boxed(&self, what: &'static str, undo: Undo) {
        match undo(self).and_then(|()| self.flush_blocking()) {
            Ok(()) => tracing::info!(what, "a failed write was undone"),
            Err(err) => {
                tracing::warn!(cause = %err, what, "a failed write will be undone once the store works again");
                let mut undos = self.inner.undos.0.lock().unwrap_or_else(|e| e.into_inner());
                undos.push((what, undo));
                self.inner
                    .pending_undos
                    .store(undos.len(), Ordering::SeqCst);
            }
        }
    }

    /// Run the queued undos; false (and they stay queued) when one fails.
    fn run_undos(&self) -> bool {
        // The queue stays locked while the undos run, so that an undo queued meanwhile waits
        // its turn; `pending_undos` keeps everyone else out of the database until the end.
        let mut queue = self.inner.undos.0.lock().unwrap_or_else(|e| e.into_inner());
        UNDOING.with(|u| u.set(true));
        let mut done = 0;
        for (what, undo) in queue.iter() {
            if undo(self).is_err() {
                break;
            }
            tracing::info!(what, "a failed write was undone");
            done += 1;
        }
        // An undo may run twice: when one fails, or the flush does, they all run again later.
        let ok = done == queue.len() && self.flush_blocking().is_ok();
        UNDOING.with(|u| u.set(false));
        if ok {
            queue.clear();
        }
        self.inner
            .pending_undos
            .store(queue.len(), Ordering::SeqCst);
        ok
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let meta = self.tree("meta")?;
        let found = match self.watch(meta.get("schema_version"))? {
            Some(bytes) => std::str::from_utf8(&bytes)
                .ok()
                .and_then(|s| s.parse::<u32>().ok())
                .ok_or_else(|| StoreError::Decode {
                    tree: "meta".into(),
                    cause: "schema_version".into(),
                })?,
            None => 0,
        };
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew { found });
        }
        // Version 0 is an empty, new store; there is no older layout to convert yet. A future
        // schema change adds a step here, from `found` up to SCHEMA_VERSION.
        if found < SCHEMA_VERSION {
            self.watch(meta.insert("schema_version", SCHEMA_VERSION.to_string().as_bytes()))?;
        }
        Ok(())
    }

    /// The raw sled tree named `name`. Keep it only for the call at hand: the database behind
    /// it may be reopened.
    pub fn tree(&self, name: &str) -> Result<sled::Tree, StoreError> {
        #[cfg(test)]
        self.maybe_cut(name)?;
        self.watch(self.db()?.open_tree(name))
    }

    pub fn put<T: Serialize>(&self, tree: &str, key: &[u8], value: &T) -> Result<(), StoreError> {
        let bytes = encode(value);
        self.watch(self.tree(tree)?.insert(key, bytes))?;
        Ok(())
    }

    pub fn get<T: DeserializeOwned>(
        &self,
        tree: &str,
        key: &[u8],
    ) -> Result<Option<T>, StoreError> {
        match self.watch(self.tree(tree)?.get(key))? {
            Some(bytes) => decode(tree, &bytes).map(Some),
            None => Ok(None),
        }
    }

    pub fn remove(&self, tree: &str, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.watch(self.tree(tree)?.remove(key))?.is_some())
    }

    /// Every value whose key starts with `prefix`, in key order.
    pub fn scan_prefix<T: DeserializeOwned>(
        &self,
        tree: &str,
        prefix: &[u8],
    ) -> Result<Vec<(Vec<u8>, T)>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree(tree)?.scan_prefix(prefix) {
            let (key, bytes) = self.watch(item)?;
            out.push((key.to_vec(), decode(tree, &bytes)?));
        }
        Ok(out)
    }

    /// Insert `key` only if absent; true when this call inserted it.
    pub fn insert_if_absent(
        &self,
        tree: &str,
        key: &[u8],
        value: &[u8],
    ) -> Result<bool, StoreError> {
        let result = self.watch(self.tree(tree)?.compare_and_swap(
            key,
            None as Option<&[u8]>,
            Some(value),
        ))?;
        Ok(result.is_ok())
    }

    /// A new number from a named counter, unique in this store (never reused, also after restarts).
    pub fn next_number(&self, counter: &str) -> Result<u64, StoreError> {
        let meta = self.tree("meta")?;
        let key = format!("counter:{counter}");
        let value = self.watch(meta.update_and_fetch(key.as_bytes(), |old| {
            let n = old
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_be_bytes)
                .unwrap_or(0);
            Some((n + 1).to_be_bytes().to_vec())
        }))?;
        Ok(value
            .and_then(|b| <[u8; 8]>::try_from(b.as_ref()).ok())
            .map(u64::from_be_bytes)
            .unwrap_or(1))
    }

    /// Write everything to disk. Call before telling anyone that something is saved.
    pub async fn flush(&self) -> Result<(), StoreError> {
        #[cfg(test)]
        if self.inner.fail_flushes.load(Ordering::SeqCst) {
            return self.watch(Err(sled::Error::Io(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "disque plein (test)",
            ))));
        }
        let store = self.clone();
        match tokio::task::spawn_blocking(move || store.flush_blocking()).await {
            Ok(result) => result,
            Err(err) => Err(StoreError::Decode {
                tree: "flush".into(),
                cause: err.to_string(),
            }),
        }
    }

    /// Synchronous flush, for shutdown paths outside async code.
    pub fn flush_blocking(&self) -> Result<(), StoreError> {
        let _one_at_a_time = self
            .inner
            .flush_gate
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // What the ledger noted before this flush (handled marks, records): the answers and
        // writes it follows are in it.
        let marks = self.inner.ledger.pending_writes();
        let flushed = self.watch(self.db()?.flush());
        if !self.inner.sled_flusher {
            release_deferred_frees();
        }
        flushed?;
        match self.inner.ledger.commit_pending(marks) {
            Ok(()) => {
                if self.inner.ledger_failing.swap(false, Ordering::SeqCst) {
                    tracing::warn!("the ledger can be written again");
                }
                Ok(())
            }
            Err(err) => {
                if !self.inner.ledger_failing.swap(true, Ordering::SeqCst) {
                    tracing::error!(cause = %err, "the ledger cannot be written (disk full?); events handled since stay marked in memory only");
                }
                Err(err)
            }
        }
    }

    /// The ledger: events handled, messages delivered, answers to commands (`ledger.rs`).
    pub fn ledger(&self) -> &Ledger {
        &self.inner.ledger
    }

    /// Move the ledger's records still in sled trees (a store from before the ledger, or a
    /// restored backup: `ledger.rs`) into the ledger, then drop those trees (for the sync
    /// position, its key in `meta`). Idempotent: a crash after the ledger took them and before
    /// they are gone from sled moves them again, and a record already in the ledger is kept.
    pub fn move_records_to_ledger(&self) -> Result<(), StoreError> {
        let db = self.db()?;
        let present: Vec<String> = self.tree_names()?;
        let mut moved = false;
        for name in ledger::TREES.into_iter().chain(ledger::RECORD_TREES) {
            if !present.iter().any(|p| p == name) {
                continue;
            }
            let tree = self.watch(db.open_tree(name))?;
            let mut entries = Vec::new();
            for item in tree.iter() {
                let (key, value) = self.watch(item)?;
                entries.push((key.to_vec(), value.to_vec()));
            }
            let read = self.inner.ledger.import(name, &entries)?;
            drop(tree);
            self.watch(db.drop_tree(name))?;
            tracing::info!(
                tree = name,
                records = read,
                "records moved from sled into the ledger"
            );
            moved = true;
        }
        // The outbox's waiting messages (kept in sled before, or restored there from a
        // backup): into the ledger (on disk), then the tree, its queue entries and its counter
        // out of sled.
        if present.iter().any(|p| p == ledger::OUTBOX) {
            let tree = self.watch(db.open_tree(ledger::OUTBOX))?;
            let mut items = Vec::new();
            for entry in tree.iter() {
                let (key, value) = self.watch(entry)?;
                items.extend(crate::outbox::import_form(&key, &value));
            }
            self.inner.ledger.import_queued(&items)?;
            drop(tree);
            self.watch(db.drop_tree(ledger::OUTBOX))?;
            tracing::info!(
                messages = items.len(),
                "waiting messages moved from sled into the ledger"
            );
            moved = true;
        }
        if present.iter().any(|p| p == ledger::OUTBOX_QUEUES) {
            self.watch(db.drop_tree(ledger::OUTBOX_QUEUES))?;
            moved = true;
        }
        if present.iter().any(|p| p == "meta")
            && self.remove("meta", ledger::OUTBOX_COUNTER.as_bytes())?
        {
            moved = true;
        }
        // The sync position, kept in sled's `meta` tree before the ledger (or restored there
        // from a backup): into the ledger (on disk), then out of sled.
        let position = ledger::POSITION_KEY.as_bytes();
        if present.iter().any(|p| p == ledger::POSITION_TREE) {
            if let Some(since) = self.get::<String>(ledger::POSITION_TREE, position)? {
                self.inner.ledger.import_position(&since)?;
                self.remove(ledger::POSITION_TREE, position)?;
                tracing::info!("sync position moved from sled into the ledger");
                moved = true;
            }
        }
        if moved {
            self.flush_blocking()?;
        }
        Ok(())
    }

    /// The names of every tree.
    pub fn tree_names(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .db()?
            .tree_names()
            .into_iter()
            .filter_map(|n| String::from_utf8(n.to_vec()).ok())
            .collect())
    }

    /// Bytes used on disk.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.watch(self.db()?.size_on_disk())
    }

    /// Tests only: the `n`-th next call to [`Store::tree`] for one of `trees` fails, once.
    #[cfg(test)]
    pub fn cut_at(&self, n: usize, trees: &[&str]) {
        let trees = trees.iter().map(|t| t.to_string()).collect();
        *self.inner.cut.lock().unwrap() = Some((n, trees));
        self.inner.cut_fired.store(false, Ordering::SeqCst);
    }

    /// Tests only: stop cutting; whether the cut happened.
    #[cfg(test)]
    pub fn cut_off(&self) -> bool {
        *self.inner.cut.lock().unwrap() = None;
        self.inner.cut_fired.load(Ordering::SeqCst)
    }

    #[cfg(test)]
    fn maybe_cut(&self, name: &str) -> Result<(), StoreError> {
        let mut cut = self.inner.cut.lock().unwrap();
        if let Some((n, trees)) = cut.as_mut() {
            if trees.iter().any(|t| t == name) {
                *n -= 1;
                if *n == 0 {
                    *cut = None;
                    self.inner.cut_fired.store(true, Ordering::SeqCst);
                    return Err(StoreError::Sled(sled::Error::Io(std::io::Error::new(
                        std::io::ErrorKind::StorageFull,
                        "disque plein (test)",
                    ))));
                }
            }
        }
        Ok(())
    }

    /// Tests only: from now on, every flush fails as on a full disk (or works again).
    #[cfg(test)]
    pub fn fail_flushes(&self, on: bool) {
        self.inner.fail_flushes.store(on, Ordering::SeqCst);
        if !on {
            self.inner.failing.store(false, Ordering::SeqCst);
        }
    }
}

/// Encode a value in the versioned envelope.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Serialising our own plain data types to JSON cannot fail (no maps with non-string keys).
    serde_json::to_vec(&Envelope {
        v: SCHEMA_VERSION,
        d: value,
    })
    .unwrap_or_default()
}

/// Decode a value from its envelope.
pub fn decode<T: DeserializeOwned>(tree: &str, bytes: &[u8]) -> Result<T, StoreError> {
    let env: Envelope<T> = serde_json::from_slice(bytes).map_err(|e| StoreError::Decode {
        tree: tree.to_owned(),
        cause: e.to_string(),
    })?;
    if env.v > SCHEMA_VERSION {
        return Err(StoreError::TooNew { found: env.v });
    }
    Ok(env.d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Item {
        name: String,
    }

    #[test]
    fn round_trip_and_counters() {
        let store = Store::temporary().expect("open");
        store
            .put("items", b"a", &Item { name: "x".into() })
            .expect("put");
        assert_eq!(
            store.get::<Item>("items", b"a").expect("get"),
            Some(Item { name: "x".into() })
        );
        assert_eq!(store.next_number("r").expect("n"), 1);
        assert_eq!(store.next_number("r").expect("n"), 2);
        assert!(store.insert_if_absent("seen", b"e1", b"1").expect("cas"));
        assert!(!store.insert_if_absent("seen", b"e1", b"1").expect("cas"));
    }

    /// A store that cannot be opened again yet (its folder still locked by an old handle, as
    /// after a full disk) is closed: reads fail, and never answer from an empty stand-in
    /// (which made the bot say "you gave no consent" to a person who had).
    #[test]
    fn a_store_that_cannot_reopen_yet_refuses_reads_instead_of_answering_empty() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(dir.path()).expect("open");
        store
            .put("items", b"a", &Item { name: "x".into() })
            .expect("put");
        store.flush_blocking().expect("flush");
        // An old handle keeps the failed database, and its folder lock, alive.
        let old = store.tree("items").expect("tree");
        assert!(!store.reopen(), "the folder is still locked");
        assert!(matches!(
            store.get::<Item>("items", b"a"),
            Err(StoreError::Unavailable)
        ));
        assert!(store
            .put("items", b"b", &Item { name: "y".into() })
            .is_err());
        drop(old);
        assert!(store.reopen());
        assert_eq!(
            store.get::<Item>("items", b"a").expect("get"),
            Some(Item { name: "x".into() })
        );
        assert_eq!(store.get::<Item>("items", b"b").expect("get"), None);
    }

    /// Opening a folder whose lock a closing database of this process still holds waits for
    /// it instead of failing.
    #[test]
    fn opening_waits_for_a_closing_database_to_let_go_of_the_folder() {
        let dir = tempfile::tempdir().expect("tmp");
        let first = Store::open(dir.path()).expect("open");
        first
            .put("items", b"a", &Item { name: "x".into() })
            .expect("put");
        first.flush_blocking().expect("flush");
        let closing = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            drop(first);
        });
        let second = Store::open(dir.path()).expect("waited for the lock");
        closing.join().expect("thread");
        assert_eq!(
            second.get::<Item>("items", b"a").expect("get"),
            Some(Item { name: "x".into() })
        );
    }

    /// What is written reaches the disk without anyone flushing (the store's flusher thread,
    /// sled's own being off): a child process writes, waits until the value is in the folder's
    /// files, and ends without running any destructor (as a killed process would); the value
    /// is there when the folder is opened again. Fails if nothing flushes in the background
    /// (the child then gives up after 120 s).
    #[test]
    fn a_write_reaches_the_disk_without_an_explicit_flush() {
        const CHILD: &str = "KITBOT_STORE_TEST_CHILD_DIR";
        let marker = "ecrit-sans-flush-7f3a9c";
        if let Some(dir) = std::env::var_os(CHILD) {
            let dir = PathBuf::from(dir);
            let store = Store::open(&dir).expect("open");
            store
                .put(
                    "items",
                    b"a",
                    &Item {
                        name: marker.into(),
                    },
                )
                .expect("put");
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
            let on_disk = || {
                let mut stack = vec![dir.clone()];
                while let Some(d) = stack.pop() {
                    for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                        let path = entry.path();
                        if path.is_dir() {
                            stack.push(path);
                        } else if std::fs::read(&path).is_ok_and(|bytes| {
                            bytes.windows(marker.len()).any(|w| w == marker.as_bytes())
                        }) {
                            return true;
                        }
                    }
                }
                false
            };
            while !on_disk() {
                if std::time::Instant::now() > deadline {
                    // SAFETY: ends the process at once, as a kill would; nothing is shared.
                    unsafe { libc::_exit(3) };
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            // SAFETY: as above: no destructor runs, sled's own flush on drop included.
            unsafe { libc::_exit(0) };
        }
        let dir = tempfile::tempdir().expect("tmp");
        let status = std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "store::tests::a_write_reaches_the_disk_without_an_explicit_flush",
                "--exact",
                "--test-threads=1",
            ])
            .env(CHILD, dir.path())
            .stdout(std::process::Stdio::null())
            .status()
            .expect("child");
        assert_eq!(
            status.code(),
            Some(0),
            "the write never reached the disk without a flush"
        );
        let store = Store::open(dir.path()).expect("reopen");
        assert_eq!(
            store.get::<Item>("items", b"a").expect("get"),
            Some(Item {
                name: marker.into()
            })
        );
    }

    /// A change is undone when it is dropped before it committed (a write failed half-way, or
    /// its flush did), and kept once committed.
    #[tokio::test]
    async fn a_change_dropped_before_its_commit_is_undone() {
        let store = Store::temporary().expect("store");
        let item = |name: &str| Item { name: name.into() };
        let undo = |store: &Store| store.remove("items", b"a").map(|_| ());
        // A write, then a failed one: `?` returns early, the change is dropped.
        let half_way = |store: &Store| -> Result<(), StoreError> {
            let _change = store.change("test", undo);
            store.put("items", b"a", &item("first half"))?;
            Err(StoreError::Unavailable)
        };
        assert!(half_way(&store).is_err());
        assert_eq!(store.get::<Item>("items", b"a").expect("get"), None);
        // A failed flush.
        store.fail_flushes(true);
        let change = store.change("test", undo);
        store.put("items", b"a", &item("unflushed")).expect("put");
        assert!(change.commit().await.is_err());
        store.fail_flushes(false);
        assert_eq!(store.get::<Item>("items", b"a").expect("get"), None);
        // A committed change stays.
        let change = store.change("test", undo);
        store.put("items", b"a", &item("kept")).expect("put");
        change.commit().await.expect("commit");
        assert_eq!(
            store.get::<Item>("items", b"a").expect("get"),
            Some(item("kept"))
        );
    }

    /// While a failed write waits to be undone, nobody reads the store (it may show the write
    /// that was never confirmed); reopening runs the undo first, then reads work again.
    #[test]
    fn a_pending_undo_keeps_readers_out_until_it_ran() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(dir.path()).expect("open");
        store
            .put(
                "items",
                b"a",
                &Item {
                    name: "before".into(),
                },
            )
            .expect("put");
        store.flush_blocking().expect("flush");
        // The write whose flush "failed".
        store
            .put(
                "items",
                b"a",
                &Item {
                    name: "unconfirmed".into(),
                },
            )
            .expect("put");
        let tries = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = tries.clone();
        store.undo("test", move |store| {
            // Refused the first time, as by a store that refuses everything.
            if counted.fetch_add(1, Ordering::SeqCst) == 0 {
                return Err(StoreError::Unavailable);
            }
            store.put(
                "items",
                b"a",
                &Item {
                    name: "before".into(),
                },
            )
        });
        assert!(matches!(
            store.get::<Item>("items", b"a"),
            Err(StoreError::Unavailable)
        ));
        assert!(store.reopen());
        assert_eq!(tries.load(Ordering::SeqCst), 2);
        assert_eq!(
            store.get::<Item>("items", b"a").expect("get"),
            Some(Item {
                name: "before".into()
            })
        );
    }

    #[test]
    fn survives_reopen_and_refuses_newer_schemas() {
        let dir = tempfile::tempdir().expect("tmp");
        {
            let store = Store::open(dir.path()).expect("open");
            store
                .put("items", b"a", &Item { name: "x".into() })
                .expect("put");
            store.flush_blocking().expect("flush");
        }
        {
            let store = Store::open(dir.path()).expect("reopen");
            assert!(store.get::<Item>("items", b"a").expect("get").is_some());
            store
                .tree("meta")
                .expect("meta")
                .insert("schema_version", b"99")
                .expect("set");
            store.flush_blocking().expect("flush");
        }
        assert!(matches!(
            Store::open(dir.path()),
            Err(StoreError::TooNew { found: 99 })
        ));
    }

    #[test]
    fn corrupt_values_are_errors() {
        let store = Store::temporary().expect("open");
        store
            .tree("items")
            .expect("tree")
            .insert(b"a", b"not json".to_vec())
            .expect("raw");
        assert!(matches!(
            store.get::<Item>("items", b"a"),
            Err(StoreError::Decode { .. })
        ));
    }

    /// An event's handled mark (kept in the ledger, `ledger.rs`) reaches the ledger's file only
    /// with a flush of sled that succeeded, so never before the answers queued before it.
    #[tokio::test]
    async fn a_handled_mark_reaches_the_ledger_only_after_a_flush() {
        let dir = tempfile::tempdir().expect("tmp");
        // sled's own background flusher instead of the store's: only an explicit flush of the
        // store writes the marks, so nothing writes them behind the test's back.
        let store = Store::open_with_sled_flusher(dir.path(), CACHE_BYTES).expect("open");
        store
            .put(
                "outbox",
                b"ev|$e|0",
                &Item {
                    name: "answer".into(),
                },
            )
            .expect("put");
        store.ledger().note_handled("$e", 1);
        let on_disk = || {
            Ledger::open(&dir.path().join(ledger::FILE))
                .expect("second connection")
                .is_handled("$e")
                .expect("read")
        };
        assert!(store.ledger().is_handled("$e").expect("read"));
        assert!(!on_disk(), "not flushed: not written");
        store.fail_flushes(true);
        assert!(store.flush().await.is_err());
        assert!(!on_disk(), "the flush failed: not written");
        assert!(
            store.ledger().is_handled("$e").expect("read"),
            "still handled, in memory"
        );
        store.fail_flushes(false);
        store.flush().await.expect("flush");
        assert!(on_disk(), "flushed: written");
    }

    /// A store written before the ledger existed keeps what the outbox remembered: the records
    /// move from its sled trees into the ledger when it opens, and the trees go.
    #[test]
    fn records_in_sled_trees_move_into_the_ledger_when_the_store_opens() {
        use crate::ledger::{Answer, ANSWERED, ANSWERS, DELIVERED, HANDLED};
        let dir = tempfile::tempdir().expect("tmp");
        let at = chrono::DateTime::from_timestamp_millis(1_700_000_000_000).expect("time");
        {
            let db = sled::open(dir.path()).expect("sled");
            let put = |tree: &str, key: &str, value: Vec<u8>| {
                db.open_tree(tree)
                    .expect("tree")
                    .insert(key, value)
                    .expect("insert");
            };
            put(HANDLED, "$old", b"1700000000000".to_vec());
            put(
                DELIVERED,
                "ev|$old|0",
                1_700_000_000_000i64.to_be_bytes().to_vec(),
            );
            let answer = |event_id: &str| Answer {
                room_id: "!r:x".into(),
                event_id: event_id.into(),
                at,
            };
            put(ANSWERS, "$old", encode(&answer("$ans")));
            put(ANSWERED, "$ans", encode(&answer("$old")));
            put(
                crate::ledger::FEEDBACK_ANSWERS,
                "$old",
                encode(&serde_json::json!({"card": "sms-rappel", "at": at})),
            );
            put(
                crate::ledger::POSITION_TREE,
                crate::ledger::POSITION_KEY,
                encode(&"s72_5_0".to_owned()),
            );
            put(crate::ledger::POSITION_TREE, "other", encode(&7u32));
            db.flush().expect("flush");
        }
        for _ in 0..2 {
            let store = Store::open(dir.path()).expect("open");
            let ledger = store.ledger();
            assert!(ledger.is_handled("$old").expect("read"));
            assert!(ledger.is_delivered("ev|$old|0").expect("read"));
            assert_eq!(
                ledger.command_answered_by("$ans").expect("read").as_deref(),
                Some("$old")
            );
            assert_eq!(
                ledger.answer_to("$old").expect("read"),
                Some(Answer {
                    room_id: "!r:x".into(),
                    event_id: "$ans".into(),
                    at,
                })
            );
            assert_eq!(ledger.counts().expect("counts"), (1, 1, 1));
            let card = ledger
                .record(crate::ledger::FEEDBACK_ANSWERS, "$old")
                .expect("read")
                .expect("moved");
            assert!(String::from_utf8_lossy(&card).contains("sms-rappel"));
            assert_eq!(
                ledger.position().expect("read").as_deref(),
                Some("s72_5_0"),
                "the sync position moved"
            );
            assert_eq!(
                store
                    .get::<String>(
                        crate::ledger::POSITION_TREE,
                        crate::ledger::POSITION_KEY.as_bytes()
                    )
                    .expect("read"),
                None,
                "the sync position left sled"
            );
            assert_eq!(
                store
                    .get::<u32>(crate::ledger::POSITION_TREE, b"other")
                    .expect("read"),
                Some(7),
                "the rest of its tree stays"
            );
            let names = store.tree_names().expect("names");
            for tree in crate::ledger::TREES
                .into_iter()
                .chain(crate::ledger::RECORD_TREES)
            {
                assert!(!names.iter().any(|n| n == tree), "{tree} left in sled");
            }
        }
    }
}
