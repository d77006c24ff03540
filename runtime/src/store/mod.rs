//! The storage interface the executor runs on, and its backends.
//!
//! A [`Store`] holds items in tables. An item is addressed by a [`Key`] (table,
//! partition key `pk`, sort key `sk`) and holds named attributes as JSON values. Every
//! operation is strongly consistent. Writes are conditional and atomic: a list of
//! [`WriteOp`]s either applies whole or not at all. Every backend counts its round trips
//! and the items it reads and writes ([`Stats`]), so tests and benchmarks can assert on
//! them.
//!
//! Backends: [`sqlite::SqliteStore`] (embedded, the default) and [`dynamo::DynamoStore`]
//! (DynamoDB or any server speaking its API). [`faulty::FaultyStore`] wraps either and
//! injects crashes and lost acknowledgements for tests.

pub mod dynamo;
pub mod faulty;
pub mod sqlite;

use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use serde_json::{Map, Value};

/// The attributes of one item. Attribute names starting with `_` belong to the runtime.
pub type Item = Map<String, Value>;

/// The most operations one atomic write may hold (DynamoDB's transaction limit).
pub const MAX_WRITE_OPS: usize = 100;

/// The most keys one batched read asks for at once (DynamoDB's `BatchGetItem` limit).
pub const MAX_BATCH_GET: usize = 100;

/// The name of the attribute holding an item's version.
pub const VERSION: &str = "_v";
/// The name of the attribute holding recent invocation results.
pub const INVOCATIONS: &str = "_inv";
/// The name of the attribute marking a deleted object (a tombstone).
pub const DELETED: &str = "_del";
/// The name of the attribute holding a tombstone's expiry, in seconds since the epoch
/// (the table's TTL attribute).
pub const EXPIRES: &str = "_ttl";

/// Where an item lives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// The table.
    pub table: String,
    /// The partition key (an object id).
    pub pk: String,
    /// The sort key (`#` for the object itself, `rel#…` for an edge).
    pub sk: String,
}

impl Key {
    /// A key from its three parts.
    pub fn new(table: impl Into<String>, pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Key {
            table: table.into(),
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.table, self.pk, self.sk)
    }
}

/// A condition on the current state of one item, checked atomically with a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// No condition.
    Always,
    /// The item does not exist.
    Absent,
    /// The item exists and its `_v` equals this version.
    Version(u64),
    /// The item exists, is not a tombstone, and holds no result for this invocation id.
    LiveWithout(String),
}

/// One part of an atomic write.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOp {
    /// Replace (or create) the whole item.
    Put {
        /// Where.
        key: Key,
        /// The new attributes (without the key attributes).
        item: Item,
        /// Checked before writing.
        condition: Condition,
    },
    /// Remove the item (absent items are fine unless the condition says otherwise).
    Delete {
        /// Where.
        key: Key,
        /// Checked before deleting.
        condition: Condition,
    },
    /// Write nothing; only check the condition.
    Check {
        /// Where.
        key: Key,
        /// What must hold.
        condition: Condition,
    },
    /// Change some attributes in place.
    Update {
        /// Where.
        key: Key,
        /// The update.
        update: Update,
        /// Checked before updating.
        condition: Condition,
    },
}

impl WriteOp {
    /// The item the operation touches.
    pub fn key(&self) -> &Key {
        match self {
            WriteOp::Put { key, .. }
            | WriteOp::Delete { key, .. }
            | WriteOp::Check { key, .. }
            | WriteOp::Update { key, .. } => key,
        }
    }

    /// The operation's condition.
    pub fn condition(&self) -> &Condition {
        match self {
            WriteOp::Put { condition, .. }
            | WriteOp::Delete { condition, .. }
            | WriteOp::Check { condition, .. }
            | WriteOp::Update { condition, .. } => condition,
        }
    }
}

/// An in-place change of an existing item.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Update {
    /// Top-level attributes to set.
    pub set: Vec<(String, Value)>,
    /// Top-level attributes to remove.
    pub remove: Vec<String>,
    /// Entries to add to the `_inv` map: (invocation id, record).
    pub add_invocations: Vec<(String, Value)>,
    /// Entries to remove from the `_inv` map.
    pub remove_invocations: Vec<String>,
    /// Add one to `_v`.
    pub bump_version: bool,
}

/// A page of a prefix query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// Items in ascending sort-key order, each with its sort key.
    pub items: Vec<(String, Item)>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<String>,
}

/// What a table holds, for [`Store::ensure_tables`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    /// The table's name.
    pub name: String,
}

/// Why a store operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    /// A condition did not hold; nothing was written. `index` is the failing operation
    /// when the store says which; `current` is that item as it is now (`None` if absent
    /// or not reported).
    #[error("condition failed on operation {index:?}")]
    ConditionFailed {
        /// Which operation of the write failed, if known.
        index: Option<usize>,
        /// The item the failed condition was on, as it is now.
        current: Option<Item>,
    },
    /// Another transaction touched the same items at the same time; retrying may succeed.
    #[error("transaction conflict")]
    TransactionConflict,
    /// The table does not exist.
    #[error("table `{0}` does not exist")]
    MissingTable(String),
    /// The store refused the request as malformed or too large.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The request may or may not have been applied (timeout, lost connection, throttling
    /// that outlasted the retries). Retrying the whole invocation is safe.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Injected by [`faulty::FaultyStore`]: the invocation crashed at this point.
    #[error("injected crash: {0}")]
    Crash(String),
}

impl StoreError {
    /// True for failures after which the same invocation can simply be tried again.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::TransactionConflict | StoreError::Unavailable(_) | StoreError::Crash(_)
        )
    }
}

/// Counters of what a store did. Cheap to read at any time.
#[derive(Debug, Default)]
pub struct Stats {
    round_trips: AtomicU64,
    items_read: AtomicU64,
    items_written: AtomicU64,
}

/// A copy of [`Stats`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Requests sent to the store (a retried request counts again).
    pub round_trips: u64,
    /// Items returned by reads.
    pub items_read: u64,
    /// Items written or deleted (checks excluded).
    pub items_written: u64,
}

impl std::ops::Sub for StatsSnapshot {
    type Output = StatsSnapshot;
    fn sub(self, earlier: StatsSnapshot) -> StatsSnapshot {
        StatsSnapshot {
            round_trips: self.round_trips - earlier.round_trips,
            items_read: self.items_read - earlier.items_read,
            items_written: self.items_written - earlier.items_written,
        }
    }
}

impl Stats {
    /// Counts one request.
    pub fn round_trip(&self) {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts items read.
    pub fn read(&self, items: usize) {
        self.items_read.fetch_add(items as u64, Ordering::Relaxed);
    }

    /// Counts items written.
    pub fn written(&self, items: usize) {
        self.items_written
            .fetch_add(items as u64, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            round_trips: self.round_trips.load(Ordering::Relaxed),
            items_read: self.items_read.load(Ordering::Relaxed),
            items_written: self.items_written.load(Ordering::Relaxed),
        }
    }
}

/// A strongly consistent item store with atomic conditional writes.
#[async_trait]
pub trait Store: Send + Sync {
    /// Creates the tables that do not exist yet; existing tables are left as they are.
    async fn ensure_tables(&self, tables: &[TableSpec]) -> Result<(), StoreError>;

    /// Reads one item (one round trip).
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;

    /// Reads many items, in the order of `keys`; missing items are `None`. Sends
    /// `ceil(keys / 100)` requests, in parallel where the backend can, and retries keys the
    /// store left unprocessed.
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError>;

    /// One page of the items in partition `pk` of `table` whose sort key starts with
    /// `prefix`, at most `limit`, starting after `start_after`.
    async fn query(
        &self,
        table: &str,
        pk: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Page, StoreError>;

    /// Applies every operation atomically, or none. One operation is one conditional
    /// request; several are one transaction (at most [`MAX_WRITE_OPS`], each on a
    /// different item). A failed [`WriteOp::Update`] or [`WriteOp::Put`] condition reports
    /// the item's current state.
    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError>;

    /// Like `write` with a single [`WriteOp::Update`], returning the item as it is after
    /// the update (one round trip).
    async fn update_returning(
        &self,
        key: &Key,
        update: &Update,
        condition: &Condition,
    ) -> Result<Item, StoreError>;

    /// The store's counters.
    fn stats(&self) -> &Stats;
}

/// Checks the rules every backend shares for a write: 1 to 100 operations, no item twice.
pub fn validate_write(ops: &[WriteOp]) -> Result<(), StoreError> {
    if ops.is_empty() {
        return Err(StoreError::Invalid(
            "a write needs at least one operation".into(),
        ));
    }
    if ops.len() > MAX_WRITE_OPS {
        return Err(StoreError::Invalid(format!(
            "a write holds at most {MAX_WRITE_OPS} operations, got {}",
            ops.len()
        )));
    }
    let mut keys: Vec<&Key> = ops.iter().map(WriteOp::key).collect();
    keys.sort();
    if let Some(pair) = keys.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(StoreError::Invalid(format!(
            "the item {} appears twice in one write",
            pair[0]
        )));
    }
    Ok(())
}

/// The version of an item (`_v`), 0 when it has none.
pub fn version_of(item: &Item) -> u64 {
    item.get(VERSION).and_then(Value::as_u64).unwrap_or(0)
}

/// True when `condition` holds for `current` (the item as it is, `None` if absent).
/// Backends that evaluate conditions themselves use this.
pub fn condition_holds(condition: &Condition, current: Option<&Item>) -> bool {
    match condition {
        Condition::Always => true,
        Condition::Absent => current.is_none(),
        Condition::Version(version) => current.is_some_and(|item| version_of(item) == *version),
        Condition::LiveWithout(invocation) => current.is_some_and(|item| {
            !item.contains_key(DELETED)
                && !item
                    .get(INVOCATIONS)
                    .and_then(Value::as_object)
                    .is_some_and(|records| records.contains_key(invocation))
        }),
    }
}

/// Applies `update` to `item` in memory (for backends that evaluate updates themselves).
pub fn apply_update(item: &mut Item, update: &Update) {
    for (name, value) in &update.set {
        item.insert(name.clone(), value.clone());
    }
    for name in &update.remove {
        item.remove(name);
    }
    if !update.add_invocations.is_empty() || !update.remove_invocations.is_empty() {
        let records = item
            .entry(INVOCATIONS.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(records) = records {
            for (id, record) in &update.add_invocations {
                records.insert(id.clone(), record.clone());
            }
            for id in &update.remove_invocations {
                records.remove(id);
            }
        }
    }
    if update.bump_version {
        let next = version_of(item) + 1;
        item.insert(VERSION.to_string(), Value::from(next));
    }
}
