//! The embedded store: one SQLite database (a file in WAL mode, or in memory). A file's
//! write-ahead log is copied into the database by a thread of its own, so no call waits
//! for that copy and its `fsync`. Items are
//! rows of one SQL table keyed by (table, pk, sk) holding the attributes as JSON; the
//! tables created by `ensure_tables` are recorded so a missing table is an error, as it
//! is on DynamoDB. Every write runs in one SQLite transaction, so conditions and writes
//! are atomic.
//!
//! The store behaves like [`super::dynamo::DynamoStore`] on the same input, round trips
//! included (see [`Store`]): it validates requests with the same shared helpers, counts
//! one round trip per request DynamoDB would need for it and the capacity units DynamoDB
//! would charge ([`super::capacity`]), and pages queries the way DynamoDB does.
//!
//! Items with an expiry (`_ttl`, seconds since the epoch: tombstones, result records,
//! set-aside outbox messages) are deleted by the store itself once expired, as DynamoDB's
//! TTL does: every [`SWEEP_EVERY_WRITES`] writes it looks at the next [`SWEEP_BATCH`]
//! items in key order (wrapping around at the end) and deletes the expired ones among
//! them. That reads four items per write, so it passes over the whole database while it
//! grows by at most a quarter, and the database does not grow forever under steady load.
//! (An index by expiry would find them without reading, but every write of an expiring
//! item would then write one more page.) Until then an expired item
//! still reads like any other, as on DynamoDB.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::capacity::{
    batch_read_units, item_size, query_read_units, read_units, transact_write_units, write_units,
};
use super::{
    apply_update, condition_holds, validate_key, validate_query, validate_table_name,
    validate_write, Condition, Item, Key, Page, Stats, Store, StoreError, TableSpec, Update,
    WriteOp, EXPIRES, MAX_BATCH_GET,
};
use crate::config::{Clock, SystemClock};

/// How many writes pass between two sweeps of expired items.
pub const SWEEP_EVERY_WRITES: u64 = 256;
/// How many items one sweep looks at.
pub const SWEEP_BATCH: usize = 1024;

/// How often the checkpointer copies the write-ahead log into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(50);
/// The log's size, in pages, past which a write checkpoints by itself: only reached when
/// the checkpointer falls behind, so the log never grows without bound.
const CHECKPOINT_FALLBACK_PAGES: i64 = 16_384;

/// A [`Store`] on SQLite.
pub struct SqliteStore {
    inner: Mutex<Inner>,
    stats: Stats,
    clock: Arc<dyn Clock>,
    writes: AtomicU64,
    /// Declared last: dropped after the connection, so its final checkpoint sees every
    /// write.
    _checkpointer: Option<Checkpointer>,
}

/// Copies the write-ahead log into the database file on a thread of its own, with a
/// connection of its own, so that no call waits for that copy (and its `fsync`) as the
/// write that fills the log otherwise does. Stops when dropped.
struct Checkpointer {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    fn start(path: &Path) -> Result<Self, StoreError> {
        let connection = Connection::open(path).map_err(sql_error)?;
        connection
            .busy_timeout(Duration::from_secs(5))
            .map_err(sql_error)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("nubes-sqlite-checkpoint".into())
            .spawn(move || loop {
                std::thread::park_timeout(CHECKPOINT_EVERY);
                let done = stopped.load(Ordering::Relaxed);
                // PASSIVE: copies what it can without waiting for, or blocking, writers.
                let checkpoint = if done { "TRUNCATE" } else { "PASSIVE" };
                if let Err(error) = connection.query_row(
                    &format!("PRAGMA wal_checkpoint({checkpoint})"),
                    [],
                    |_| Ok(()),
                ) {
                    tracing::debug!(%error, "checkpoint failed; the next one retries");
                }
                if done {
                    return;
                }
            })
            .map_err(|error| {
                StoreError::Invalid(format!("could not start the checkpoint thread: {error}"))
            })?;
        Ok(Checkpointer {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            if thread.join().is_err() {
                tracing::warn!("the checkpoint thread panicked");
            }
        }
    }
}

/// How many times a call tries the connection's lock before it sleeps on it: a statement
/// holds it for microseconds, shorter than putting a thread to sleep and waking it.
const SPINS: u32 = 2_000;

struct Inner {
    connection: Connection,
    tables: HashSet<String>,
    /// The key after which the next sweep looks; `None` to start from the first.
    swept_to: Option<(String, String, String)>,
}

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS nubes_tables (name TEXT PRIMARY KEY NOT NULL);
    CREATE TABLE IF NOT EXISTS nubes_items (
        tbl  TEXT NOT NULL,
        pk   TEXT NOT NULL,
        sk   TEXT NOT NULL,
        expires INTEGER,
        item TEXT NOT NULL,
        PRIMARY KEY (tbl, pk, sk)
    ) WITHOUT ROWID;
";

/// The expiry column (seconds since the epoch, from the item's `_ttl`; before the item, so
/// a sweep reads it without reading the item), added to databases made before it existed
/// and filled in from their items.
const EXPIRY_COLUMN: &str = "
    ALTER TABLE nubes_items ADD COLUMN expires INTEGER;
    UPDATE nubes_items SET expires = CAST(json_extract(item, '$._ttl') AS INTEGER)
        WHERE json_type(item, '$._ttl') IN ('integer', 'real');
";

fn sql_error(error: rusqlite::Error) -> StoreError {
    match error {
        rusqlite::Error::SqliteFailure(code, _)
            if code.code == rusqlite::ErrorCode::DatabaseBusy =>
        {
            StoreError::Unavailable(format!("SQLite is busy: {error}"))
        }
        other => StoreError::Invalid(format!("SQLite: {other}")),
    }
}

impl SqliteStore {
    /// Opens (or creates) the database file at `path`, in WAL mode, with a thread that
    /// checkpoints the log in the background.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let connection = Connection::open(path).map_err(sql_error)?;
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(sql_error)?;
        connection
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(sql_error)?;
        connection
            .pragma_update(None, "wal_autocheckpoint", CHECKPOINT_FALLBACK_PAGES)
            .map_err(sql_error)?;
        connection
            .busy_timeout(Duration::from_secs(5))
            .map_err(sql_error)?;
        let mut store = Self::from_connection(connection)?;
        store._checkpointer = Some(Checkpointer::start(path)?);
        Ok(store)
    }

    /// This store with every commit synced to the disk before it returns (SQLite's
    /// `synchronous = FULL`): a commit that answered survives a power loss or an
    /// operating system crash. By default (`NORMAL`, in WAL mode) a commit survives a
    /// crash of the process, and a power loss may lose the last commits before a
    /// checkpoint (never corrupting the database); each commit then costs no `fsync`.
    pub fn sync_every_commit(self) -> Result<Self, StoreError> {
        self.lock()?
            .connection
            .pragma_update(None, "synchronous", "FULL")
            .map_err(sql_error)?;
        Ok(self)
    }

    /// A fresh database in memory, gone when the store is dropped.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::from_connection(Connection::open_in_memory().map_err(sql_error)?)
    }

    /// Replaces the clock that decides when items have expired (the system clock by
    /// default); tests move a [`crate::ManualClock`] past an expiry.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Looks at the next [`SWEEP_BATCH`] items after the previous sweep, in key order
    /// (from the first item again after the last), deletes those whose `_ttl` has passed
    /// and returns how many it deleted. Called every [`SWEEP_EVERY_WRITES`] writes; free,
    /// like DynamoDB's TTL deletes: it counts no round trip and no capacity unit.
    pub fn sweep_expired(&self) -> Result<usize, StoreError> {
        let now_seconds = i64::try_from(self.clock.now_ms() / 1000).unwrap_or(i64::MAX);
        let batch = i64::try_from(SWEEP_BATCH).unwrap_or(i64::MAX);
        let mut inner = self.lock()?;
        let (tbl, pk, sk) = inner.swept_to.clone().unwrap_or_default();
        let rows = {
            let mut statement = inner
                .connection
                .prepare_cached(
                    "SELECT tbl, pk, sk, expires FROM nubes_items WHERE (tbl, pk, sk) > (?1, ?2, ?3)
                     ORDER BY tbl, pk, sk LIMIT ?4",
                )
                .map_err(sql_error)?;
            let rows = statement
                .query_map(params![tbl, pk, sk, batch], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, Option<i64>>(3)?,
                    ))
                })
                .map_err(sql_error)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(sql_error)?
        };
        inner.swept_to = if rows.len() < SWEEP_BATCH {
            None
        } else {
            rows.last()
                .map(|(tbl, pk, sk, _)| (tbl.clone(), pk.clone(), sk.clone()))
        };
        let transaction = inner.connection.transaction().map_err(sql_error)?;
        let mut deleted = 0;
        for (tbl, pk, sk, _) in rows
            .iter()
            .filter(|(.., expires)| expires.is_some_and(|at| at < now_seconds))
        {
            deleted += transaction
                .prepare_cached(
                    "DELETE FROM nubes_items
                     WHERE tbl = ?1 AND pk = ?2 AND sk = ?3 AND expires < ?4",
                )
                .and_then(|mut statement| statement.execute(params![tbl, pk, sk, now_seconds]))
                .map_err(sql_error)?;
        }
        transaction.commit().map_err(sql_error)?;
        Ok(deleted)
    }

    /// Applies `ops` in one SQLite transaction (validated already), counting the round
    /// trip and what DynamoDB would charge; with `returning`, the item the last update
    /// left.
    fn apply(&self, ops: &[WriteOp], returning: bool) -> Result<Option<Item>, StoreError> {
        self.stats.round_trip();
        let mut inner = self.lock()?;
        for op in ops {
            inner.require_table(&op.key().table)?;
        }
        let transaction = inner
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_error)?;
        let mut sizes = Vec::with_capacity(ops.len());
        let mut updated = None;
        for (index, op) in ops.iter().enumerate() {
            // A new item: inserting it is its check (one statement, not a read and a write).
            let new_item = match op {
                WriteOp::Put {
                    key,
                    item,
                    condition: Condition::Absent,
                } => Some((key, item)),
                _ => None,
            };
            if let Some((key, item)) = new_item {
                if insert_new_item(&transaction, key, item)? {
                    sizes.push((None, Some(item_size(key, item))));
                    continue;
                }
            }
            let current = read_item(&transaction, op.key())?;
            let before = size_of(op.key(), current.as_ref());
            if new_item.is_some() || !condition_holds(op.condition(), current.as_ref()) {
                // A single failed conditional write is charged as DynamoDB charges it; a
                // canceled transaction is not.
                if ops.len() == 1 && !matches!(op, WriteOp::Check { .. }) {
                    self.stats.write_units(write_units(before, None));
                }
                // Dropping the transaction rolls it back.
                return Err(StoreError::ConditionFailed {
                    index: Some(index),
                    current,
                });
            }
            let after = match op {
                WriteOp::Put { key, item, .. } => {
                    write_item(&transaction, key, item)?;
                    Some(item_size(key, item))
                }
                WriteOp::Delete { key, .. } => {
                    transaction
                        .prepare_cached(
                            "DELETE FROM nubes_items WHERE tbl = ?1 AND pk = ?2 AND sk = ?3",
                        )
                        .and_then(|mut statement| {
                            statement.execute(params![key.table, key.pk, key.sk])
                        })
                        .map_err(sql_error)?;
                    None
                }
                WriteOp::Update { key, update, .. } => {
                    let mut item = current.unwrap_or_default();
                    apply_update(&mut item, update);
                    write_item(&transaction, key, &item)?;
                    let size = item_size(key, &item);
                    if returning {
                        updated = Some(item);
                    }
                    Some(size)
                }
                WriteOp::Check { .. } => before,
            };
            sizes.push((before, after));
        }
        transaction.commit().map_err(sql_error)?;
        drop(inner);
        self.stats.committed(ops);
        // DynamoDB sends one operation as a single write, a lone check as a transaction.
        self.stats.write_units(match (ops, sizes.as_slice()) {
            ([WriteOp::Check { .. }], _) | (_, [_, _, ..]) => transact_write_units(sizes),
            (_, [(before, after)]) => write_units(*before, *after),
            (_, []) => 0,
        });
        self.after_write();
        Ok(updated)
    }

    /// Counts a write and sweeps expired items when it is time to.
    fn after_write(&self) {
        let writes = self.writes.fetch_add(1, Ordering::Relaxed) + 1;
        if writes % SWEEP_EVERY_WRITES == 0 {
            if let Err(error) = self.sweep_expired() {
                tracing::warn!(%error, "sweeping expired items failed; the next sweep retries");
            }
        }
    }

    fn from_connection(connection: Connection) -> Result<Self, StoreError> {
        connection.execute_batch(SCHEMA).map_err(sql_error)?;
        let has_expiry = connection
            .prepare("SELECT expires FROM nubes_items LIMIT 0")
            .is_ok();
        if !has_expiry {
            connection.execute_batch(EXPIRY_COLUMN).map_err(sql_error)?;
        }
        let tables = {
            let mut statement = connection
                .prepare("SELECT name FROM nubes_tables")
                .map_err(sql_error)?;
            let names = statement
                .query_map([], |row| row.get::<_, String>(0))
                .map_err(sql_error)?
                .collect::<Result<HashSet<_>, _>>()
                .map_err(sql_error)?;
            names
        };
        Ok(SqliteStore {
            inner: Mutex::new(Inner {
                connection,
                tables,
                swept_to: None,
            }),
            stats: Stats::default(),
            clock: Arc::new(SystemClock),
            writes: AtomicU64::new(0),
            _checkpointer: None,
        })
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Inner>, StoreError> {
        for _ in 0..SPINS {
            match self.inner.try_lock() {
                Ok(guard) => return Ok(guard),
                Err(std::sync::TryLockError::WouldBlock) => std::hint::spin_loop(),
                Err(std::sync::TryLockError::Poisoned(_)) => break,
            }
        }
        self.inner.lock().map_err(|_| {
            StoreError::Unavailable("the SQLite connection was poisoned by a panic".into())
        })
    }
}

impl Inner {
    fn require_table(&self, table: &str) -> Result<(), StoreError> {
        if self.tables.contains(table) {
            Ok(())
        } else {
            Err(StoreError::MissingTable(table.to_string()))
        }
    }
}

fn read_item(connection: &Connection, key: &Key) -> Result<Option<Item>, StoreError> {
    read_text(connection, key)?
        .map(|text| parse_item(&text))
        .transpose()
}

/// The stored JSON of the item at `key`, unparsed: readers parse it after letting go of
/// the connection, so that other calls wait for SQLite only.
fn read_text(connection: &Connection, key: &Key) -> Result<Option<String>, StoreError> {
    // Cached statements: every call runs the same few, and preparing them again each
    // time costs as much as running them.
    connection
        .prepare_cached("SELECT item FROM nubes_items WHERE tbl = ?1 AND pk = ?2 AND sk = ?3")
        .and_then(|mut statement| {
            statement
                .query_row(params![key.table, key.pk, key.sk], |row| row.get(0))
                .optional()
        })
        .map_err(sql_error)
}

fn parse_item(text: &str) -> Result<Item, StoreError> {
    serde_json::from_str(text)
        .map_err(|error| StoreError::Invalid(format!("a stored item is not JSON: {error}")))
}

fn write_item(connection: &Connection, key: &Key, item: &Item) -> Result<(), StoreError> {
    store_item(connection, key, item, "INSERT OR REPLACE").map(drop)
}

/// Inserts `item` at `key` unless an item is there already; false when one is.
fn insert_new_item(connection: &Connection, key: &Key, item: &Item) -> Result<bool, StoreError> {
    store_item(connection, key, item, "INSERT OR IGNORE").map(|inserted| inserted == 1)
}

/// Writes `item` at `key` with `verb` (an `INSERT` form); returns the rows changed.
fn store_item(
    connection: &Connection,
    key: &Key,
    item: &Item,
    verb: &str,
) -> Result<usize, StoreError> {
    let text = serde_json::to_string(item).map_err(|error| {
        StoreError::Invalid(format!("an item cannot be stored as JSON: {error}"))
    })?;
    // As DynamoDB's TTL: only a number is an expiry; anything else never expires.
    let expires = item
        .get(EXPIRES)
        .and_then(serde_json::Value::as_f64)
        .map(|seconds| seconds as i64);
    connection
        .prepare_cached(&format!(
            "{verb} INTO nubes_items (tbl, pk, sk, item, expires) VALUES (?1, ?2, ?3, ?4, ?5)"
        ))
        .and_then(|mut statement| {
            statement.execute(params![key.table, key.pk, key.sk, text, expires])
        })
        .map_err(sql_error)
}

/// An item's size as DynamoDB counts it, `None` when absent.
fn size_of(key: &Key, item: Option<&Item>) -> Option<usize> {
    item.map(|item| item_size(key, item))
}

#[async_trait]
impl Store for SqliteStore {
    async fn ensure_tables(&self, tables: &[TableSpec]) -> Result<(), StoreError> {
        for table in tables {
            validate_table_name(&table.name)?;
        }
        let mut inner = self.lock()?;
        for table in tables {
            // DynamoDB looks each table up once (and creates the missing ones).
            self.stats.round_trip();
            inner
                .connection
                .execute(
                    "INSERT OR IGNORE INTO nubes_tables (name) VALUES (?1)",
                    params![table.name],
                )
                .map_err(sql_error)?;
            inner.tables.insert(table.name.clone());
        }
        Ok(())
    }

    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        validate_key(key)?;
        self.stats.round_trip();
        let text = {
            let inner = self.lock()?;
            inner.require_table(&key.table)?;
            read_text(&inner.connection, key)?
        };
        let item = text.map(|text| parse_item(&text)).transpose()?;
        self.stats.read(usize::from(item.is_some()));
        self.stats
            .read_units(read_units(size_of(key, item.as_ref()).unwrap_or(0)));
        Ok(item)
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        for key in keys {
            validate_key(key)?;
        }
        // Like DynamoDB: each distinct key is read once, in requests of at most 100 keys,
        // and a request naming a missing table fails whole.
        let mut unique: Vec<&Key> = keys.iter().collect();
        unique.sort();
        unique.dedup();
        let mut texts = Vec::with_capacity(unique.len());
        {
            let inner = self.lock()?;
            for chunk in unique.chunks(MAX_BATCH_GET) {
                self.stats.round_trip();
                for key in chunk {
                    inner.require_table(&key.table)?;
                }
                for key in chunk {
                    if let Some(text) = read_text(&inner.connection, key)? {
                        texts.push((*key, text));
                    }
                }
            }
        }
        let mut found: HashMap<&Key, Item> = HashMap::with_capacity(texts.len());
        for (key, text) in texts {
            found.insert(key, parse_item(&text)?);
        }
        self.stats.read(found.len());
        self.stats.read_units(batch_read_units(
            unique.iter().map(|key| size_of(key, found.get(key))),
        ));
        Ok(keys.iter().map(|key| found.get(key).cloned()).collect())
    }

    async fn query(
        &self,
        table: &str,
        pk: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Page, StoreError> {
        validate_query(table, pk, prefix, start_after, limit)?;
        self.stats.round_trip();
        let rows = {
            let inner = self.lock()?;
            inner.require_table(table)?;
            // `start_after` starts with `prefix` (validated), so it is past the prefix's
            // start.
            let lower = start_after.unwrap_or(prefix);
            let mut statement = inner
                .connection
                .prepare_cached(
                    "SELECT sk, item FROM nubes_items
                     WHERE tbl = ?1 AND pk = ?2 AND sk >= ?3 AND sk != ?4 AND substr(sk, 1, ?5) = ?6
                     ORDER BY sk LIMIT ?7",
                )
                .map_err(sql_error)?;
            let after = start_after.unwrap_or("");
            let fetch = i64::try_from(limit).unwrap_or(i64::MAX);
            let prefix_chars = i64::try_from(prefix.chars().count()).unwrap_or(i64::MAX);
            let rows = statement
                .query_map(
                    params![table, pk, lower, after, prefix_chars, prefix, fetch],
                    |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
                )
                .map_err(sql_error)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(sql_error)?;
            rows
        };
        let mut items = Vec::with_capacity(rows.len());
        for (sk, text) in rows {
            items.push((sk, parse_item(&text)?));
        }
        // Like DynamoDB, a full page says where to go on without looking ahead.
        let next = if items.len() >= limit {
            items.last().map(|(sk, _)| sk.clone())
        } else {
            None
        };
        self.stats.read(items.len());
        self.stats.read_units(query_read_units(
            items
                .iter()
                .map(|(sk, item)| item_size(&Key::new(table, pk, sk.as_str()), item)),
        ));
        Ok(Page { items, next })
    }

    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        validate_write(&ops)?;
        self.apply(&ops, false).map(drop)
    }

    async fn update_returning(
        &self,
        key: &Key,
        update: &Update,
        condition: &Condition,
    ) -> Result<Item, StoreError> {
        let op = [WriteOp::Update {
            key: key.clone(),
            update: update.clone(),
            condition: condition.clone(),
        }];
        validate_write(&op)?;
        Ok(self.apply(&op, true)?.unwrap_or_default())
    }

    fn stats(&self) -> &Stats {
        &self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synchronous(store: &SqliteStore) -> i64 {
        let inner = store.lock().expect("not poisoned");
        inner
            .connection
            .pragma_query_value(None, "synchronous", |row| row.get(0))
            .expect("the setting is read")
    }

    #[test]
    fn commits_are_synced_only_when_asked() {
        let path = std::env::temp_dir().join(format!(
            "nubes-sync-{}-{}.sqlite",
            std::process::id(),
            uuid::Uuid::now_v7()
        ));
        let store = SqliteStore::open(&path).expect("opened");
        assert_eq!(synchronous(&store), 1, "NORMAL by default");
        let store = store.sync_every_commit().expect("set");
        assert_eq!(synchronous(&store), 2, "FULL when asked");
        drop(store);
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.clone().into_os_string();
            file.push(suffix);
            let _ = std::fs::remove_file(file);
        }
    }
}
