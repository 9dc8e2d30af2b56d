//! The ledger: the outbox's waiting messages, and what it remembers about every command for a
//! while — the events it handled (30 days), the messages it delivered (7 days), and the bot's
//! first answer to each command (7 days, for edits and reactions). One SQLite file beside
//! sled's, in the store's folder ([`FILE`]).
//!
//! Why not sled: these are a few records per command, and sled 0.34 keeps in memory about what
//! it holds whatever its `cache_capacity` (100–300 bytes per record here), so they made the
//! bot's memory grow by 11.6 MiB over 10,000 commands, against 1.7 MiB with the ledger
//! (BENCHMARKS.md "The ledger"). SQLite keeps them on disk behind a page cache of a fixed size
//! ([`CACHE_KIB`]).
//!
//! Order of writes, as the outbox needs it (see `outbox.rs`):
//! - an event's answers ([`Ledger::note_queued`]) and its "handled" mark
//!   ([`Ledger::note_handled`]) are kept in memory and written in one transaction after a flush
//!   of sled that started after they were noted and succeeded ([`Ledger::pending_writes`] and
//!   [`Ledger::commit_pending`], from `Store::flush_blocking`): what handling the event changed
//!   in sled (a nudge created) is on disk before the answer that says so. Until then they are
//!   read from memory (delivery sends the answers at once). The other records kept per command
//!   ([`RECORD_TREES`]: which card answered a command, for votes) are noted and written the
//!   same way ([`Ledger::note_record`]), with the handled marks of the same flush.
//! - a message no event caused (a nudge firing) is written when it is queued
//!   ([`Ledger::queue`]), before its cause moves on in sled.
//! - a delivered message is recorded and leaves the outbox in one transaction
//!   ([`Ledger::delivered`], committed with `synchronous = FULL`).
//!
//! - the Matrix sync position (up to where every event is handled) is noted with the handled
//!   marks of its response's events ([`Ledger::note_position`]) and written in the same
//!   transaction, after the flush of sled that carries their answers. In sled it was rewritten
//!   at every sync response after the flush, on disk only at the next one; in a bot that wrote
//!   nothing else to sled per command, those writes alone made the memory drift
//!   (BENCHMARKS.md, "The sync position out of sled").
//!
//! In backups these records keep their former sled names and formats ([`OUTBOX`], [`HANDLED`],
//! [`DELIVERED`], [`ANSWERS`], [`ANSWERED`]): a backup is restored into sled trees of those
//! names, and the store moves such trees into the ledger when it opens ([`Ledger::import`]),
//! which is also how a store written before the ledger existed is upgraded.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::store::{decode, encode, StoreError};

/// The ledger's file, in the store's folder.
pub const FILE: &str = "ledger.sqlite3";
/// SQLite's page cache, in KiB: the most it keeps in memory.
pub const CACHE_KIB: u32 = 256;

/// Handled Matrix event ids → when (milliseconds, as text): the name and format in backups
/// (and the sled tree of stores from before the ledger).
pub const HANDLED: &str = "handled";
/// Delivered transaction ids → when (milliseconds, 8 bytes big-endian), idem.
pub const DELIVERED: &str = "outbox_delivered";
/// Event id of a command → the bot's first answer ([`Answer`], the answer's event id), idem.
pub const ANSWERS: &str = "outbox_answers";
/// Event id of the bot's first answer → the command ([`Answer`], the command's event id), idem.
pub const ANSWERED: &str = "outbox_answered";
/// The four, in the order they are moved into the ledger.
pub const TREES: [&str; 4] = [HANDLED, DELIVERED, ANSWERS, ANSWERED];
/// Command event id → which card answered it and the question's shape (`feedback`), 30 days.
pub const FEEDBACK_ANSWERS: &str = "feedback_answers";
/// Records other parts keep per command for a while, under the name of the sled tree that
/// held them before: the value as sled held it (the store's envelope, with the time it was made
/// at `d.at`), kept opaque here.
pub const RECORD_TREES: [&str; 1] = [FEEDBACK_ANSWERS];

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS handled (
        event TEXT PRIMARY KEY NOT NULL,
        at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS handled_at ON handled (at);
    CREATE TABLE IF NOT EXISTS delivered (
        txn TEXT PRIMARY KEY NOT NULL,
        at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS delivered_at ON delivered (at);
    CREATE TABLE IF NOT EXISTS answers (
        command TEXT PRIMARY KEY NOT NULL,
        room TEXT NOT NULL,
        answer TEXT NOT NULL,
        at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS answers_answer ON answers (answer);
    CREATE INDEX IF NOT EXISTS answers_at ON answers (at);
    CREATE TABLE IF NOT EXISTS records (
        tree TEXT NOT NULL,
        key TEXT NOT NULL,
        value BLOB NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (tree, key)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS records_at ON records (tree, at);
    CREATE TABLE IF NOT EXISTS position (
        id INTEGER PRIMARY KEY CHECK (id = 0),
        since TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS outbox (
        txn TEXT PRIMARY KEY NOT NULL,
        destination TEXT NOT NULL,
        seq INTEGER NOT NULL,
        item BLOB NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS outbox_queue ON outbox (destination, seq);
";

/// The outbox's waiting messages: their name in backups (transaction id → the item in the
/// store's envelope, as `outbox.rs` encodes it), and the sled tree that held them before.
pub const OUTBOX: &str = "outbox";
/// The sled tree of queue entries kept beside [`OUTBOX`] before (dropped when a store opens:
/// the table's index does its work).
pub const OUTBOX_QUEUES: &str = "outbox_queues";
/// The sled counter that numbered the outbox's messages before (dropped with [`OUTBOX`]).
pub const OUTBOX_COUNTER: &str = "counter:outbox";

/// One waiting message of the outbox, as the ledger keeps it: what delivery reads it by (its
/// destination and its order of queueing) and the item itself, opaque here (`outbox.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    pub txn: String,
    pub destination: String,
    pub seq: u64,
    pub item: Vec<u8>,
}

/// The sled tree and key that held the sync position before the ledger: its name in backups (the
/// value in the store's envelope, a JSON string).
pub const POSITION_TREE: &str = "meta";
/// See [`POSITION_TREE`].
pub const POSITION_KEY: &str = "matrix_since";

/// Writes a waiting message, unless it was delivered meanwhile (a commit of noted messages
/// reads them before the delivery of one of them is recorded).
const INSERT_QUEUED: &str = "INSERT OR REPLACE INTO outbox (txn, destination, seq, item)
    SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM delivered WHERE txn = ?1)";

/// Takes in a waiting message from sled's form, unless it was delivered (the deliveries are
/// taken in first) or is here already.
const IMPORT_QUEUED: &str = "INSERT OR IGNORE INTO outbox (txn, destination, seq, item)
    SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM delivered WHERE txn = ?1)";

/// Writes `items` with `sql` ([`INSERT_QUEUED`] or [`IMPORT_QUEUED`]): no waiting message is
/// ever one delivered already, so delivery need not check.
fn insert_queued(
    tx: &rusqlite::Transaction<'_>,
    sql: &str,
    items: &[Queued],
) -> Result<(), StoreError> {
    let mut insert = tx.prepare_cached(sql)?;
    for q in items {
        insert.execute(params![q.txn, q.destination, seq_sql(q.seq), q.item])?;
    }
    Ok(())
}

/// An order number as SQLite keeps it (a signed 64-bit integer; never that large here).
fn seq_sql(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

fn queued_row(row: &rusqlite::Row<'_>) -> Result<Queued, rusqlite::Error> {
    Ok(Queued {
        txn: row.get(0)?,
        destination: row.get(1)?,
        seq: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
        item: row.get(3)?,
    })
}

/// A key and its value, as a sled tree holds them.
pub type Entry = (Vec<u8>, Vec<u8>);

/// The bot's first answer to an event, as delivered (seen from the command: `event_id` is
/// the answer's; seen from the answer, in [`ANSWERED`] backups: the command's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub room_id: String,
    /// The answer's own event id.
    pub event_id: String,
    pub at: DateTime<Utc>,
}

/// A command's first answer, to record with its delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerRecord<'a> {
    pub command: &'a str,
    pub room_id: &'a str,
    pub answer: &'a str,
}

/// Locks: whoever needs both takes `conn` first, then `pending` (the outbox's noted messages
/// change under both, so that a commit and a delivery never cross).
#[derive(Debug)]
pub struct Ledger {
    conn: Mutex<Connection>,
    /// What waits for the next flush of sled (see the module's notes).
    pending: Mutex<Pending>,
    /// The next order number of a queued message (one more than the highest in the table when
    /// it opened, or taken in since).
    next_seq: AtomicU64,
}

/// Writes noted, waiting for a flush of sled: handled marks (event → when), records
/// ((tree, key) → (value, when)), the sync position, and the answers queued with the marks
/// (transaction id → message).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pending {
    handled: HashMap<String, i64>,
    records: HashMap<(String, String), (Vec<u8>, i64)>,
    position: Option<String>,
    queued: HashMap<String, Queued>,
}

impl Pending {
    pub fn is_empty(&self) -> bool {
        self.handled.is_empty()
            && self.records.is_empty()
            && self.position.is_none()
            && self.queued.is_empty()
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> StoreError {
        StoreError::Ledger(err.to_string())
    }
}

impl Ledger {
    /// Open (or create) the ledger at `path`.
    pub fn open(path: &Path) -> Result<Ledger, StoreError> {
        let conn = Connection::open(path)?;
        // WAL: readers do not wait for a writer, and a commit is one append. FULL: a commit is
        // on disk when it returns, as a sled flush is (what is recorded here is relied on after
        // a power cut as much as what sled holds).
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        Self::with(conn)
    }

    /// A ledger in memory only (temporary stores: tests, benchmarks).
    pub fn in_memory() -> Result<Ledger, StoreError> {
        Self::with(Connection::open_in_memory()?)
    }

    fn with(conn: Connection) -> Result<Ledger, StoreError> {
        conn.pragma_update(None, "cache_size", -i64::from(CACHE_KIB))?;
        conn.execute_batch(SCHEMA)?;
        let highest: i64 =
            conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM outbox", [], |row| {
                row.get(0)
            })?;
        Ok(Ledger {
            conn: Mutex::new(conn),
            pending: Mutex::default(),
            next_seq: AtomicU64::new(u64::try_from(highest).unwrap_or(0) + 1),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `event` was handled (its mark written, or noted and waiting for a flush).
    pub fn is_handled(&self, event: &str) -> Result<bool, StoreError> {
        if self.pending().handled.contains_key(event) {
            return Ok(true);
        }
        Ok(self
            .conn()
            .prepare_cached("SELECT 1 FROM handled WHERE event = ?1")?
            .exists(params![event])?)
    }

    /// `event` was handled at `at` (milliseconds): kept in memory until the next flush of the
    /// store writes it (after its answers).
    pub fn note_handled(&self, event: &str, at: i64) {
        self.pending().handled.insert(event.to_owned(), at);
    }

    /// A record of one of [`RECORD_TREES`] for `key`, made at `at` (milliseconds): kept in memory
    /// until the next flush of the store writes it, with the handled marks.
    pub fn note_record(&self, tree: &str, key: &str, value: Vec<u8>, at: i64) {
        self.pending()
            .records
            .insert((tree.to_owned(), key.to_owned()), (value, at));
    }

    /// The record of `tree` for `key` (noted or written), as it was given.
    pub fn record(&self, tree: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some((value, _)) = self
            .pending()
            .records
            .get(&(tree.to_owned(), key.to_owned()))
        {
            return Ok(Some(value.clone()));
        }
        Ok(self
            .conn()
            .prepare_cached("SELECT value FROM records WHERE tree = ?1 AND key = ?2")?
            .query_row(params![tree, key], |row| row.get::<_, Vec<u8>>(0))
            .optional()?)
    }

    /// The sync position reached: every event before it is handled. Kept in memory until the
    /// next flush of the store writes it, with the handled marks noted before it (so a crash
    /// never leaves it past an event whose mark or answers are not on disk).
    pub fn note_position(&self, since: &str) {
        self.pending().position = Some(since.to_owned());
    }

    /// The sync position (noted or written); `None` before the first sync.
    pub fn position(&self) -> Result<Option<String>, StoreError> {
        if let Some(since) = &self.pending().position {
            return Ok(Some(since.clone()));
        }
        Ok(self
            .conn()
            .prepare_cached("SELECT since FROM position WHERE id = 0")?
            .query_row([], |row| row.get::<_, String>(0))
            .optional()?)
    }

    /// Take in a sync position found in sled (an older store, or a restored backup), on disk
    /// when this returns; a position already here is newer and is kept. Returns whether it was
    /// taken.
    pub fn import_position(&self, since: &str) -> Result<bool, StoreError> {
        Ok(self.conn().execute(
            "INSERT OR IGNORE INTO position (id, since) VALUES (0, ?1)",
            params![since],
        )? == 1)
    }

    /// Forget the records of `tree` made before `cutoff` (milliseconds). Returns how many.
    pub fn prune_records(&self, tree: &str, cutoff: i64) -> Result<usize, StoreError> {
        Ok(self.conn().execute(
            "DELETE FROM records WHERE tree = ?1 AND at < ?2",
            params![tree, cutoff],
        )?)
    }

    /// What was noted so far, to be written after a flush of sled that started after it
    /// ([`Ledger::commit_pending`]). It stays noted (and is read from memory) until written.
    pub fn pending_writes(&self) -> Pending {
        self.pending().clone()
    }

    /// Write what was noted before a flush of sled that succeeded, in one transaction; once
    /// written it leaves the memory (unless noted again meanwhile). On an error it stays
    /// noted, to be written after the next flush.
    pub fn commit_pending(&self, writes: Pending) -> Result<(), StoreError> {
        if writes.is_empty() {
            return Ok(());
        }
        // Held to the end: a message noted here is delivered, dropped or changed only under
        // this lock, so what is written is its latest form, and one delivered meanwhile is not
        // written back.
        let mut conn = self.conn();
        let queued: Vec<Queued> = {
            let pending = self.pending();
            writes
                .queued
                .keys()
                .filter_map(|txn| pending.queued.get(txn).cloned())
                .collect()
        };
        {
            let tx = conn.transaction()?;
            {
                let mut insert = tx
                    .prepare_cached("INSERT OR REPLACE INTO handled (event, at) VALUES (?1, ?2)")?;
                for (event, at) in &writes.handled {
                    insert.execute(params![event, at])?;
                }
                let mut insert = tx.prepare_cached(
                    "INSERT OR REPLACE INTO records (tree, key, value, at) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for ((tree, key), (value, at)) in &writes.records {
                    insert.execute(params![tree, key, value, at])?;
                }
                if let Some(since) = &writes.position {
                    tx.prepare_cached(
                        "INSERT OR REPLACE INTO position (id, since) VALUES (0, ?1)",
                    )?
                    .execute(params![since])?;
                }
                insert_queued(&tx, INSERT_QUEUED, &queued)?;
            }
            tx.commit()?;
        }
        let mut pending = self.pending();
        for q in queued {
            if pending.queued.get(&q.txn) == Some(&q) {
                pending.queued.remove(&q.txn);
            }
        }
        for (event, at) in writes.handled {
            if pending.handled.get(&event) == Some(&at) {
                pending.handled.remove(&event);
            }
        }
        for (key, written) in writes.records {
            if pending.records.get(&key) == Some(&written) {
                pending.records.remove(&key);
            }
        }
        if writes.position.is_some() && pending.position == writes.position {
            pending.position = None;
        }
        Ok(())
    }

    /// Whether the message `txn` was delivered (in the last week).
    pub fn is_delivered(&self, txn: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT 1 FROM delivered WHERE txn = ?1")?
            .exists(params![txn])?)
    }

    /// The homeserver accepted `txn` at `at` (milliseconds), and when it is a command's first
    /// answer, which: recorded together, on disk when this returns.
    pub fn delivered(
        &self,
        txn: &str,
        at: i64,
        answer: Option<AnswerRecord<'_>>,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.prepare_cached("INSERT OR REPLACE INTO delivered (txn, at) VALUES (?1, ?2)")?
            .execute(params![txn, at])?;
        if let Some(answer) = answer {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO answers (command, room, answer, at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![answer.command, answer.room_id, answer.answer, at])?;
        }
        tx.prepare_cached("DELETE FROM outbox WHERE txn = ?1")?
            .execute(params![txn])?;
        tx.commit()?;
        self.pending().queued.remove(txn);
        Ok(())
    }

    /// A number to order a message queued now after every other (kept in memory, taken up
    /// again from the table when the ledger opens).
    pub fn next_seq(&self) -> u64 {
        self.next_seq.fetch_add(1, Ordering::SeqCst)
    }

    /// Whether the message `txn` waits in the outbox (written, or noted with a handled mark).
    pub fn is_queued(&self, txn: &str) -> Result<bool, StoreError> {
        let conn = self.conn();
        if self.pending().queued.contains_key(txn) {
            return Ok(true);
        }
        let exists = conn
            .prepare_cached("SELECT 1 FROM outbox WHERE txn = ?1")?
            .exists(params![txn])?;
        Ok(exists)
    }

    /// Queue `items` in the outbox, in one transaction, on disk when this returns (messages
    /// that no event caused: what decided them is written after them).
    pub fn queue(&self, items: &[Queued]) -> Result<(), StoreError> {
        if items.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        insert_queued(&tx, INSERT_QUEUED, items)?;
        tx.commit()?;
        Ok(())
    }

    /// Queue `item`, the answer to an event, in memory until the next flush of the store
    /// writes it with the event's handled mark (noted after it: [`Ledger::note_handled`]).
    /// Delivery sees it at once.
    pub fn note_queued(&self, item: Queued) {
        self.pending().queued.insert(item.txn.clone(), item);
    }

    /// A waiting message changed (an attempt failed): `item` replaces it where it is.
    pub fn update_queued(&self, txn: &str, item: Vec<u8>) -> Result<(), StoreError> {
        let conn = self.conn();
        conn.prepare_cached("UPDATE outbox SET item = ?2 WHERE txn = ?1")?
            .execute(params![txn, item])?;
        if let Some(noted) = self.pending().queued.get_mut(txn) {
            noted.item = item;
        }
        Ok(())
    }

    /// The message `txn` leaves the outbox without being delivered (it never can be, or it
    /// was delivered before a crash).
    pub fn unqueue(&self, txn: &str) -> Result<(), StoreError> {
        let conn = self.conn();
        conn.prepare_cached("DELETE FROM outbox WHERE txn = ?1")?
            .execute(params![txn])?;
        self.pending().queued.remove(txn);
        Ok(())
    }

    /// How many messages wait.
    pub fn queued_len(&self) -> Result<usize, StoreError> {
        let conn = self.conn();
        let written: i64 = conn
            .prepare_cached("SELECT COUNT(*) FROM outbox")?
            .query_row([], |row| row.get(0))?;
        let mut exists = conn.prepare_cached("SELECT 1 FROM outbox WHERE txn = ?1")?;
        let mut noted = 0;
        for txn in self.pending().queued.keys() {
            if !exists.exists(params![txn])? {
                noted += 1;
            }
        }
        Ok(usize::try_from(written).unwrap_or(0) + noted)
    }

    /// Every waiting message, oldest first.
    pub fn queued_all(&self) -> Result<Vec<Queued>, StoreError> {
        let conn = self.conn();
        let mut all: HashMap<String, Queued> = HashMap::new();
        let mut select = conn.prepare_cached("SELECT txn, destination, seq, item FROM outbox")?;
        let mut rows = select.query([])?;
        while let Some(row) = rows.next()? {
            let q = queued_row(row)?;
            all.insert(q.txn.clone(), q);
        }
        for (txn, q) in &self.pending().queued {
            all.insert(txn.clone(), q.clone());
        }
        let mut all: Vec<Queued> = all.into_values().collect();
        all.sort_by_key(|q| q.seq);
        Ok(all)
    }

    /// The first `window` waiting messages of each destination but those `skip` names, oldest
    /// first: one short indexed read per destination, whatever the backlog.
    pub fn queue_heads(
        &self,
        window: usize,
        skip: impl Fn(&str) -> bool,
    ) -> Result<BTreeMap<String, Vec<Queued>>, StoreError> {
        let conn = self.conn();
        let mut heads: BTreeMap<String, Vec<Queued>> = BTreeMap::new();
        let mut next = conn.prepare_cached(
            "SELECT destination FROM outbox WHERE destination > ?1 ORDER BY destination LIMIT 1",
        )?;
        let mut first = conn.prepare_cached(
            "SELECT txn, destination, seq, item FROM outbox WHERE destination = ?1 ORDER BY seq LIMIT ?2",
        )?;
        let limit = i64::try_from(window).unwrap_or(i64::MAX);
        let mut after = String::new();
        while let Some(destination) = next
            .query_row(params![after], |row| row.get::<_, String>(0))
            .optional()?
        {
            if !skip(&destination) {
                let mut rows = first.query(params![destination, limit])?;
                let mut head = Vec::new();
                while let Some(row) = rows.next()? {
                    head.push(queued_row(row)?);
                }
                heads.insert(destination.clone(), head);
            }
            after = destination;
        }
        // Messages noted with their events' marks and not written yet; a noted form replaces
        // a written one (it is newer).
        for q in self.pending().queued.values() {
            if skip(&q.destination) {
                continue;
            }
            let head = heads.entry(q.destination.clone()).or_default();
            head.retain(|written| written.txn != q.txn);
            head.push(q.clone());
        }
        for head in heads.values_mut() {
            head.sort_by_key(|q| q.seq);
            head.truncate(window);
        }
        heads.retain(|_, head| !head.is_empty());
        Ok(heads)
    }

    /// Take in waiting messages in their sled form (an older store, or a restored backup), on
    /// disk when this returns, after the deliveries of the same store (a message delivered
    /// already is left out); a message already here is kept.
    pub fn import_queued(&self, items: &[Queued]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        insert_queued(&tx, IMPORT_QUEUED, items)?;
        tx.commit()?;
        if let Some(highest) = items.iter().map(|q| q.seq).max() {
            self.next_seq.fetch_max(highest + 1, Ordering::SeqCst);
        }
        Ok(())
    }

    /// The bot's first answer to the command `event`, if known (a week at most).
    pub fn answer_to(&self, event: &str) -> Result<Option<Answer>, StoreError> {
        let row = self
            .conn()
            .prepare_cached("SELECT room, answer, at FROM answers WHERE command = ?1")?
            .query_row(params![event], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                ))
            })
            .optional()?;
        Ok(row.map(|(room_id, event_id, at)| Answer {
            room_id,
            event_id,
            at: DateTime::from_timestamp_millis(at).unwrap_or_default(),
        }))
    }

    /// The command whose first answer is the bot's event `answer`, if known (a week at most).
    pub fn command_answered_by(&self, answer: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT command FROM answers WHERE answer = ?1")?
            .query_row(params![answer], |row| row.get::<_, String>(0))
            .optional()?)
    }

    /// Forget deliveries and answers from before `delivered_cutoff`, handled events from before
    /// `handled_cutoff` (milliseconds). Returns how many deliveries and handled events.
    pub fn prune(
        &self,
        delivered_cutoff: i64,
        handled_cutoff: i64,
    ) -> Result<(usize, usize), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let delivered = tx.execute(
            "DELETE FROM delivered WHERE at < ?1",
            params![delivered_cutoff],
        )?;
        let handled = tx.execute("DELETE FROM handled WHERE at < ?1", params![handled_cutoff])?;
        tx.execute(
            "DELETE FROM answers WHERE at < ?1",
            params![delivered_cutoff],
        )?;
        tx.commit()?;
        Ok((delivered, handled))
    }

    /// Tests only: every write fails (`on`) as on a full disk, through SQLite's own read-only
    /// mode (`PRAGMA query_only`), so the ledger's real error paths run; reads still work.
    #[cfg(test)]
    pub fn fail_writes(&self, on: bool) {
        self.conn()
            .pragma_update(None, "query_only", on)
            .expect("query_only");
    }

    /// Tests only: how many records each part holds: handled events, deliveries, answers
    /// (the other records: [`Ledger::record`]).
    #[cfg(test)]
    pub fn counts(&self) -> Result<(u64, u64, u64), StoreError> {
        let conn = self.conn();
        let count = |table: &str| -> Result<u64, rusqlite::Error> {
            conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |row| {
                row.get::<_, i64>(0)
            })
            .map(|n| u64::try_from(n).unwrap_or(0))
        };
        Ok((count("handled")?, count("delivered")?, count("answers")?))
    }

    /// Every record, in its backup form: (tree name, key, value) as the sled trees of the same
    /// names held them (see the module's notes). Marks not written yet are left out: a backup
    /// flushes the store first.
    pub fn export(
        &self,
        mut each: impl FnMut(&str, &[u8], &[u8]) -> std::io::Result<()>,
    ) -> Result<u64, ExportError> {
        let conn = self.conn();
        let mut count = 0;
        let mut handled = conn.prepare("SELECT event, at FROM handled")?;
        let mut rows = handled.query([])?;
        while let Some(row) = rows.next()? {
            let (event, at): (String, i64) = (row.get(0)?, row.get(1)?);
            each(HANDLED, event.as_bytes(), at.to_string().as_bytes())?;
            count += 1;
        }
        let mut delivered = conn.prepare("SELECT txn, at FROM delivered")?;
        let mut rows = delivered.query([])?;
        while let Some(row) = rows.next()? {
            let (txn, at): (String, i64) = (row.get(0)?, row.get(1)?);
            each(DELIVERED, txn.as_bytes(), &at.to_be_bytes())?;
            count += 1;
        }
        let mut answers = conn.prepare("SELECT command, room, answer, at FROM answers")?;
        let mut rows = answers.query([])?;
        while let Some(row) = rows.next()? {
            let (command, room_id, answer, at): (String, String, String, i64) =
                (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
            let at = DateTime::from_timestamp_millis(at).unwrap_or_default();
            let forward = Answer {
                room_id: room_id.clone(),
                event_id: answer.clone(),
                at,
            };
            let backward = Answer {
                room_id,
                event_id: command.clone(),
                at,
            };
            each(ANSWERS, command.as_bytes(), &encode(&forward))?;
            each(ANSWERED, answer.as_bytes(), &encode(&backward))?;
            count += 2;
        }
        let mut records = conn.prepare("SELECT tree, key, value FROM records")?;
        let mut rows = records.query([])?;
        while let Some(row) = rows.next()? {
            let (tree, key, value): (String, String, Vec<u8>) =
                (row.get(0)?, row.get(1)?, row.get(2)?);
            each(&tree, key.as_bytes(), &value)?;
            count += 1;
        }
        let mut outbox = conn.prepare("SELECT txn, item FROM outbox")?;
        let mut rows = outbox.query([])?;
        while let Some(row) = rows.next()? {
            let (txn, item): (String, Vec<u8>) = (row.get(0)?, row.get(1)?);
            each(OUTBOX, txn.as_bytes(), &item)?;
            count += 1;
        }
        let since = conn
            .prepare("SELECT since FROM position WHERE id = 0")?
            .query_row([], |row| row.get::<_, String>(0))
            .optional()?;
        if let Some(since) = since {
            each(POSITION_TREE, POSITION_KEY.as_bytes(), &encode(&since))?;
            count += 1;
        }
        Ok(count)
    }

    /// Take in the entries of one of [`TREES`] in their sled form (an older store, or a restored
    /// backup), in one transaction; a record already here is kept. Returns how many were read;
    /// an entry that cannot be read is skipped, with a warning.
    pub fn import(&self, tree: &str, entries: &[Entry]) -> Result<usize, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut read = 0;
        for (key, value) in entries {
            let Ok(key) = std::str::from_utf8(key) else {
                tracing::warn!(
                    tree,
                    "a record with a key that is not text was not moved into the ledger"
                );
                continue;
            };
            let done = match tree {
                HANDLED => {
                    let at = std::str::from_utf8(value)
                        .ok()
                        .and_then(|s| s.parse::<i64>().ok())
                        .unwrap_or(0);
                    tx.prepare_cached("INSERT OR IGNORE INTO handled (event, at) VALUES (?1, ?2)")?
                        .execute(params![key, at])?;
                    true
                }
                DELIVERED => {
                    let at = <[u8; 8]>::try_from(value.as_slice())
                        .map(i64::from_be_bytes)
                        .unwrap_or(0);
                    tx.prepare_cached("INSERT OR IGNORE INTO delivered (txn, at) VALUES (?1, ?2)")?
                        .execute(params![key, at])?;
                    true
                }
                ANSWERS | ANSWERED => match decode::<Answer>(tree, value) {
                    Ok(answer) => {
                        let (command, reply) = if tree == ANSWERS {
                            (key, answer.event_id.as_str())
                        } else {
                            (answer.event_id.as_str(), key)
                        };
                        tx.prepare_cached(
                            "INSERT OR IGNORE INTO answers (command, room, answer, at) VALUES (?1, ?2, ?3, ?4)",
                        )?
                        .execute(params![command, answer.room_id, reply, answer.at.timestamp_millis()])?;
                        true
                    }
                    Err(err) => {
                        tracing::warn!(tree, cause = %err, "a record that cannot be read was not moved into the ledger");
                        false
                    }
                },
                tree if RECORD_TREES.contains(&tree) => {
                    // The time the record was made, from its envelope (`{"v":…,"d":{…,"at":…}}`).
                    let at = serde_json::from_slice::<serde_json::Value>(value)
                        .ok()
                        .and_then(|v| v.get("d")?.get("at")?.as_str().map(str::to_owned))
                        .and_then(|at| DateTime::parse_from_rfc3339(&at).ok())
                        .map(|at| at.timestamp_millis());
                    match at {
                        Some(at) => {
                            tx.prepare_cached(
                                "INSERT OR IGNORE INTO records (tree, key, value, at) VALUES (?1, ?2, ?3, ?4)",
                            )?
                            .execute(params![tree, key, value, at])?;
                            true
                        }
                        None => {
                            tracing::warn!(
                                tree,
                                "a record without its time was not moved into the ledger"
                            );
                            false
                        }
                    }
                }
                _ => false,
            };
            read += usize::from(done);
        }
        tx.commit()?;
        Ok(read)
    }
}

/// A backup could not read the ledger or write what it read.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    Ledger(#[from] rusqlite::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sync position is written with the marks noted before it, never alone before them,
    /// and a newer position noted during a write stays noted.
    #[test]
    fn the_position_is_written_with_the_marks_noted_before_it() {
        let dir = tempfile::tempdir().expect("tmp");
        let ledger = Ledger::open(&dir.path().join(FILE)).expect("open");
        assert_eq!(ledger.position().expect("read"), None, "a new ledger");
        ledger.note_handled("$a", 1);
        ledger.note_position("s1");
        assert_eq!(ledger.position().expect("read").as_deref(), Some("s1"));
        let writes = ledger.pending_writes();
        ledger.note_position("s2");
        ledger.commit_pending(writes).expect("commit");
        assert_eq!(
            ledger.position().expect("read").as_deref(),
            Some("s2"),
            "noted after the write began: still the one read"
        );
        assert!(!ledger.pending_writes().is_empty(), "s2 waits for a write");
        drop(ledger);
        let ledger = Ledger::open(&dir.path().join(FILE)).expect("reopen");
        assert_eq!(
            ledger.position().expect("read").as_deref(),
            Some("s1"),
            "what was written survives, what was not is gone"
        );
        assert!(ledger.is_handled("$a").expect("read"), "with its marks");

        // A position taken in from sled does not replace a newer one already here.
        assert!(!ledger.import_position("s0").expect("import"));
        assert_eq!(ledger.position().expect("read").as_deref(), Some("s1"));

        // In a backup, under its former sled tree and key, in the store's envelope.
        let mut seen = Vec::new();
        ledger
            .export(|tree, key, value| {
                seen.push((tree.to_owned(), key.to_vec(), value.to_vec()));
                Ok(())
            })
            .expect("export");
        let position: Vec<_> = seen
            .iter()
            .filter(|(tree, key, _)| tree == POSITION_TREE && key == POSITION_KEY.as_bytes())
            .collect();
        assert_eq!(position.len(), 1, "{seen:?}");
        assert_eq!(
            decode::<String>(POSITION_TREE, &position[0].2).expect("decode"),
            "s1"
        );
    }

    #[test]
    fn a_mark_is_kept_in_memory_until_written() {
        let dir = tempfile::tempdir().expect("tmp");
        let ledger = Ledger::open(&dir.path().join(FILE)).expect("open");
        ledger.note_handled("$a", 1);
        assert!(ledger.is_handled("$a").expect("read"), "noted: handled");
        let marks = ledger.pending_writes();
        ledger.note_handled("$b", 2);
        ledger.commit_pending(marks).expect("commit");
        assert!(
            ledger.is_handled("$b").expect("read"),
            "noted after: still noted"
        );
        assert_eq!(
            ledger.pending_writes().handled.len(),
            1,
            "only what was written left the memory"
        );
        drop(ledger);
        let ledger = Ledger::open(&dir.path().join(FILE)).expect("reopen");
        assert!(ledger.is_handled("$a").expect("read"), "written: kept");
        assert!(
            !ledger.is_handled("$b").expect("read"),
            "never written: gone with the process"
        );
    }

    /// `$cmd`'s first answer `$ans` in `!r:x`, delivered at 1,000 ms.
    fn deliver_first_answer(ledger: &Ledger) {
        ledger
            .delivered(
                "ev|$cmd|0",
                1_000,
                Some(AnswerRecord {
                    command: "$cmd",
                    room_id: "!r:x",
                    answer: "$ans",
                }),
            )
            .expect("delivered");
    }

    #[test]
    fn deliveries_and_answers_are_found_both_ways_and_pruned_by_age() {
        let ledger = Ledger::in_memory().expect("open");
        deliver_first_answer(&ledger);
        ledger
            .delivered("fire|n|5|step", 5_000, None)
            .expect("delivered");
        ledger.note_handled("$cmd", 900);
        ledger
            .commit_pending(ledger.pending_writes())
            .expect("commit");
        assert!(ledger.is_delivered("ev|$cmd|0").expect("read"));
        let answer = ledger.answer_to("$cmd").expect("read").expect("known");
        assert_eq!(
            (answer.room_id.as_str(), answer.event_id.as_str()),
            ("!r:x", "$ans")
        );
        assert_eq!(answer.at.timestamp_millis(), 1_000);
        assert_eq!(
            ledger.command_answered_by("$ans").expect("read").as_deref(),
            Some("$cmd")
        );
        assert_eq!(ledger.counts().expect("counts"), (1, 2, 1));

        // Deliveries and answers before 2,000 go; handled marks before 500 (none).
        assert_eq!(ledger.prune(2_000, 500).expect("prune"), (1, 0));
        assert!(!ledger.is_delivered("ev|$cmd|0").expect("read"));
        assert!(ledger.is_delivered("fire|n|5|step").expect("read"));
        assert_eq!(ledger.answer_to("$cmd").expect("read"), None);
        assert_eq!(ledger.command_answered_by("$ans").expect("read"), None);
        assert!(ledger.is_handled("$cmd").expect("read"));
        assert_eq!(ledger.prune(2_000, 1_000).expect("prune"), (0, 1));
        assert!(!ledger.is_handled("$cmd").expect("read"));
    }

    /// What a backup writes is what the sled trees of the same names held, and importing it
    /// gives the same ledger back.
    #[test]
    fn the_backup_form_round_trips_through_import() {
        let ledger = Ledger::in_memory().expect("open");
        ledger.note_handled("$cmd", 900);
        ledger
            .commit_pending(ledger.pending_writes())
            .expect("commit");
        deliver_first_answer(&ledger);
        let card = br#"{"v":1,"d":{"card":"sms-rappel","at":"2026-12-01T10:00:00Z"}}"#.to_vec();
        ledger.note_record(FEEDBACK_ANSWERS, "$cmd", card.clone(), 1_796_119_200_000);
        assert_eq!(
            ledger.record(FEEDBACK_ANSWERS, "$cmd").expect("read"),
            Some(card.clone()),
            "noted: read from memory"
        );
        ledger
            .commit_pending(ledger.pending_writes())
            .expect("commit");
        let mut trees: HashMap<String, Vec<Entry>> = HashMap::new();
        let count = ledger
            .export(|tree, key, value| {
                trees
                    .entry(tree.to_owned())
                    .or_default()
                    .push((key.to_vec(), value.to_vec()));
                Ok(())
            })
            .expect("export");
        assert_eq!(count, 5);
        assert_eq!(
            trees[FEEDBACK_ANSWERS],
            vec![(b"$cmd".to_vec(), card.clone())]
        );
        assert_eq!(trees[HANDLED], vec![(b"$cmd".to_vec(), b"900".to_vec())]);
        assert_eq!(
            trees[DELIVERED],
            vec![(b"ev|$cmd|0".to_vec(), 1_000i64.to_be_bytes().to_vec())]
        );

        let copy = Ledger::in_memory().expect("open");
        for tree in TREES.into_iter().chain(RECORD_TREES) {
            copy.import(tree, &trees[tree]).expect("import");
        }
        assert_eq!(
            copy.record(FEEDBACK_ANSWERS, "$cmd").expect("read"),
            Some(card),
            "written: read from the file"
        );
        // Its time came from the envelope: gone with a cutoff after it, not before.
        assert_eq!(
            copy.prune_records(FEEDBACK_ANSWERS, 1_796_119_200_000)
                .expect("prune"),
            0
        );
        assert_eq!(
            copy.prune_records(FEEDBACK_ANSWERS, 1_796_119_200_001)
                .expect("prune"),
            1
        );
        assert_eq!(copy.record(FEEDBACK_ANSWERS, "$cmd").expect("read"), None);
        assert!(copy.is_handled("$cmd").expect("read"));
        assert!(copy.is_delivered("ev|$cmd|0").expect("read"));
        assert_eq!(
            copy.answer_to("$cmd").expect("read"),
            ledger.answer_to("$cmd").expect("read")
        );
        assert_eq!(
            copy.command_answered_by("$ans").expect("read").as_deref(),
            Some("$cmd")
        );
        assert_eq!(copy.counts().expect("counts"), (1, 1, 1));
    }
}
