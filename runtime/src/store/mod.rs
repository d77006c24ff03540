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

pub mod capacity;
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

/// The longest partition key, in bytes (DynamoDB's limit).
pub const MAX_PK_BYTES: usize = 2048;

/// The longest sort key, in bytes (DynamoDB's limit).
pub const MAX_SK_BYTES: usize = 1024;

/// The longest table name, in bytes (DynamoDB's limit, before any prefix).
pub const MAX_TABLE_NAME_BYTES: usize = 255;

/// The deepest nesting of lists and maps in an attribute value (DynamoDB's limit).
pub const MAX_NESTING: usize = 32;

/// The name of the partition key attribute; items cannot hold an attribute of this name.
pub const PK: &str = "pk";
/// The name of the sort key attribute; items cannot hold an attribute of this name.
pub const SK: &str = "sk";

/// The name of the attribute holding an item's version.
pub const VERSION: &str = "_v";
/// The name of the attribute holding the result records kept inside an object's item.
pub const INVOCATIONS: &str = "_inv";
/// The name of the attribute holding the order key of the newest result record an object
/// moved out of its item (its invocation id, lowercase; see `records`): every committed
/// record of a later id is inline.
pub const SPILLED: &str = "_spilled";
/// The name of the attribute marking a deleted object (a tombstone).
pub const DELETED: &str = "_del";
/// The name of the attribute holding an item's expiry, in seconds since the epoch (the
/// table's TTL attribute): tombstones, result records and set-aside outbox messages.
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
    /// The item exists and is not a tombstone.
    Live,
    /// The item exists, is not a tombstone, and holds no result for this invocation id.
    LiveWithout(String),
    /// Like [`Condition::LiveWithout`], and the item holds inline every record that sorts
    /// with this one, with room for one more: its `_spilled` is absent or sorts before
    /// `order` (as text), and its `_inv` map is absent or holds fewer than `max` entries.
    InlineRoom {
        /// The invocation whose record must be absent.
        invocation: String,
        /// The invocation's order key.
        order: String,
        /// The number of inline records that leaves no room.
        max: usize,
    },
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
    /// Where the next page starts; `None` on the last page. As on DynamoDB, a full page
    /// (`limit` items) always has a `next`, even when nothing follows, so the last page
    /// of a partition holding a multiple of `limit` items is empty. (DynamoDB may also
    /// end a shorter page early, with a `next`, when it reaches 1 MB.)
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
///
/// Capacity units follow DynamoDB's published rules ([`capacity`]) on every backend, so
/// the cost of a call can be measured and tested without AWS: a strongly consistent read
/// costs one read unit per 4 KB of each item read (a query: of all items it returns
/// together), at least one; a write one write unit per KB of the larger of the item
/// before and after, at least one; every item of a transaction, checks included, twice.
#[derive(Debug, Default)]
pub struct Stats {
    round_trips: AtomicU64,
    items_read: AtomicU64,
    items_written: AtomicU64,
    items_checked: AtomicU64,
    read_units: AtomicU64,
    write_units: AtomicU64,
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
    /// Items only checked by a successful write (a transaction's condition checks).
    pub items_checked: u64,
    /// Read capacity units consumed, by DynamoDB's rules.
    pub read_units: u64,
    /// Write capacity units consumed, by DynamoDB's rules (failed conditional writes
    /// included, as DynamoDB charges them).
    pub write_units: u64,
}

impl StatsSnapshot {
    /// Read and write capacity units together.
    pub fn units(&self) -> u64 {
        self.read_units + self.write_units
    }
}

impl std::ops::Sub for StatsSnapshot {
    type Output = StatsSnapshot;
    fn sub(self, earlier: StatsSnapshot) -> StatsSnapshot {
        StatsSnapshot {
            round_trips: self.round_trips - earlier.round_trips,
            items_read: self.items_read - earlier.items_read,
            items_written: self.items_written - earlier.items_written,
            items_checked: self.items_checked - earlier.items_checked,
            read_units: self.read_units - earlier.read_units,
            write_units: self.write_units - earlier.write_units,
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

    /// Counts the items of a successful write: those written and those only checked.
    pub fn committed(&self, ops: &[WriteOp]) {
        let checked = ops
            .iter()
            .filter(|op| matches!(op, WriteOp::Check { .. }))
            .count();
        self.written(ops.len() - checked);
        self.items_checked
            .fetch_add(checked as u64, Ordering::Relaxed);
    }

    /// Counts read capacity units.
    pub fn read_units(&self, units: u64) {
        self.read_units.fetch_add(units, Ordering::Relaxed);
    }

    /// Counts write capacity units.
    pub fn write_units(&self, units: u64) {
        self.write_units.fetch_add(units, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            round_trips: self.round_trips.load(Ordering::Relaxed),
            items_read: self.items_read.load(Ordering::Relaxed),
            items_written: self.items_written.load(Ordering::Relaxed),
            items_checked: self.items_checked.load(Ordering::Relaxed),
            read_units: self.read_units.load(Ordering::Relaxed),
            write_units: self.write_units.load(Ordering::Relaxed),
        }
    }
}

/// A strongly consistent item store with atomic conditional writes.
///
/// Every backend behaves the same on the same input (`tests/conformance.rs` checks it),
/// with DynamoDB as the reference:
///
/// - Malformed requests are [`StoreError::Invalid`] before any request is sent (zero
///   round trips): see [`validate_key`], [`validate_item`], [`validate_update`],
///   [`validate_query`], [`validate_write`] and [`validate_table_name`].
/// - An operation on a table [`Store::ensure_tables`] never created is
///   [`StoreError::MissingTable`] naming it, after one round trip (DynamoDB may spend one
///   `DescribeTable` per table more to name it when a request spans several tables).
/// - An [`WriteOp::Update`] under [`Condition::Always`] (or [`Condition::Absent`]) on a
///   missing item creates it, like DynamoDB's `UpdateItem`.
/// - [`Stats`]: `items_read` counts the items a read returns (distinct keys for
///   [`Store::batch_get`], never the current item of a failed condition);
///   `items_written` counts the puts, updates and deletes (even of an absent item) of a
///   successful write, never its checks, and nothing for a failed one; `items_checked`
///   counts the checks of a successful write.
/// - Round trips: one per [`Store::get`], [`Store::query`] page, [`Store::write`] and
///   [`Store::update_returning`]; `ceil(distinct keys / 100)` per [`Store::batch_get`]
///   (none for no keys); one per table for [`Store::ensure_tables`] on existing tables.
///   Creating tables costs DynamoDB more, and DynamoDB spends one more round trip on an
///   update that adds to or removes from a missing `_inv` map.
#[async_trait]
pub trait Store: Send + Sync {
    /// Creates the tables that do not exist yet; existing tables are left as they are.
    /// Table names must pass [`validate_table_name`].
    async fn ensure_tables(&self, tables: &[TableSpec]) -> Result<(), StoreError>;

    /// Reads one item (one round trip).
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;

    /// Reads many items, in the order of `keys`; missing items are `None`. Sends
    /// `ceil(distinct keys / 100)` requests (none for no keys), in parallel where the
    /// backend can, and retries keys the store left unprocessed.
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError>;

    /// One page of the items in partition `pk` of `table` whose sort key starts with
    /// `prefix`, at most `limit`, starting after `start_after` (see [`Page::next`] and
    /// [`validate_query`]).
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

/// Checks the rules every backend shares for a write: 1 to 100 operations, no item
/// twice, every key valid ([`validate_key`]), every put's item valid ([`validate_item`])
/// and every update valid ([`validate_update`]).
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
    for op in ops {
        validate_key(op.key())?;
        match op {
            WriteOp::Put { key, item, .. } => validate_item(item).map_err(|err| at(key, err))?,
            WriteOp::Update { key, update, .. } => {
                validate_update(update).map_err(|err| at(key, err))?
            }
            WriteOp::Delete { .. } | WriteOp::Check { .. } => {}
        }
    }
    Ok(())
}

/// `err` with the key it is about prepended to its message.
fn at(key: &Key, err: StoreError) -> StoreError {
    match err {
        StoreError::Invalid(message) => StoreError::Invalid(format!("{key}: {message}")),
        other => other,
    }
}

/// Checks a table name: 1 to 255 bytes of ASCII letters, digits, `_`, `-` and `.` (the
/// characters DynamoDB allows).
pub fn validate_table_name(name: &str) -> Result<(), StoreError> {
    if name.is_empty() || name.len() > MAX_TABLE_NAME_BYTES {
        return Err(StoreError::Invalid(format!(
            "a table name has 1 to {MAX_TABLE_NAME_BYTES} bytes, got {} (`{name}`)",
            name.len()
        )));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(StoreError::Invalid(format!(
            "the table name `{name}` holds `{bad}`; only ASCII letters, digits, `_`, `-` and `.` are allowed"
        )));
    }
    Ok(())
}

/// Checks a key: a valid table name, a partition key of 1 to 2048 bytes and a sort key of
/// 1 to 1024 bytes (DynamoDB refuses empty and longer key values).
pub fn validate_key(key: &Key) -> Result<(), StoreError> {
    validate_table_name(&key.table)?;
    key_part("partition", &key.pk, MAX_PK_BYTES)?;
    key_part("sort", &key.sk, MAX_SK_BYTES)
}

fn key_part(what: &str, value: &str, max: usize) -> Result<(), StoreError> {
    if value.is_empty() || value.len() > max {
        return Err(StoreError::Invalid(format!(
            "a {what} key has 1 to {max} bytes, got {}",
            value.len()
        )));
    }
    Ok(())
}

/// Checks the attributes of a put: no attribute named like a key attribute (`pk`, `sk`),
/// no empty attribute name, and every value storable ([`validate_value`]).
pub fn validate_item(item: &Item) -> Result<(), StoreError> {
    for (name, value) in item {
        attribute_name(name)?;
        validate_value(value).map_err(|err| in_attribute(name, err))?;
    }
    Ok(())
}

/// A top-level attribute name an item can hold: not empty, not a key attribute.
fn attribute_name(name: &str) -> Result<(), StoreError> {
    if name.is_empty() {
        return Err(StoreError::Invalid(
            "an attribute name cannot be empty".into(),
        ));
    }
    if name == PK || name == SK {
        return Err(StoreError::Invalid(format!(
            "the attribute `{name}` is part of the key and cannot be written as an attribute"
        )));
    }
    Ok(())
}

fn in_attribute(name: &str, err: StoreError) -> StoreError {
    match err {
        StoreError::Invalid(message) => {
            StoreError::Invalid(format!("attribute `{name}`: {message}"))
        }
        other => other,
    }
}

/// Checks that DynamoDB can store a value: lists and maps nested at most 32 deep, and
/// every number `0` or of a magnitude from `1e-130` to below `1e126`.
pub fn validate_value(value: &Value) -> Result<(), StoreError> {
    validate_nested(value, 0)
}

fn validate_nested(value: &Value, depth: usize) -> Result<(), StoreError> {
    match value {
        Value::Number(number) => {
            let magnitude = number.as_f64().map(f64::abs).unwrap_or(0.0);
            if number.is_f64() && magnitude != 0.0 && !(1e-130..1e126).contains(&magnitude) {
                return Err(StoreError::Invalid(format!(
                    "the number {number} is out of range (magnitude 1e-130 to below 1e126)"
                )));
            }
            Ok(())
        }
        Value::Array(_) | Value::Object(_) if depth >= MAX_NESTING => Err(StoreError::Invalid(
            format!("lists and maps nest at most {MAX_NESTING} deep"),
        )),
        Value::Array(values) => values
            .iter()
            .try_for_each(|value| validate_nested(value, depth + 1)),
        Value::Object(map) => map
            .values()
            .try_for_each(|value| validate_nested(value, depth + 1)),
        Value::Null | Value::Bool(_) | Value::String(_) => Ok(()),
    }
}

/// Checks an update: it changes something; its attribute names and invocation ids are
/// not empty; it neither sets nor removes a key attribute; its values are storable
/// ([`validate_value`]); and no two of its parts touch the same attribute (DynamoDB's
/// overlapping document paths): each name at most once across `set` and `remove`, no
/// invocation id twice, no `_inv` in `set`/`remove` next to invocation changes, and no
/// `_v` in `set`/`remove` next to `bump_version`.
pub fn validate_update(update: &Update) -> Result<(), StoreError> {
    let touches_invocations =
        !update.add_invocations.is_empty() || !update.remove_invocations.is_empty();
    if update.set.is_empty()
        && update.remove.is_empty()
        && !touches_invocations
        && !update.bump_version
    {
        return Err(StoreError::Invalid(
            "an update must change at least one attribute".into(),
        ));
    }
    let mut names = std::collections::HashSet::new();
    let set_names = update.set.iter().map(|(name, _)| name);
    for name in set_names.chain(&update.remove) {
        attribute_name(name)?;
        if !names.insert(name.as_str()) {
            return Err(overlap(name));
        }
    }
    if touches_invocations && names.contains(INVOCATIONS) {
        return Err(overlap(INVOCATIONS));
    }
    if update.bump_version && names.contains(VERSION) {
        return Err(overlap(VERSION));
    }
    for (name, value) in &update.set {
        validate_value(value).map_err(|err| in_attribute(name, err))?;
    }
    let mut ids = std::collections::HashSet::new();
    let added = update.add_invocations.iter().map(|(id, _)| id);
    for id in added.chain(&update.remove_invocations) {
        if id.is_empty() {
            return Err(StoreError::Invalid(
                "an invocation id cannot be empty".into(),
            ));
        }
        if !ids.insert(id.as_str()) {
            return Err(overlap(&format!("{INVOCATIONS}.{id}")));
        }
    }
    for (id, record) in &update.add_invocations {
        validate_nested(record, 1)
            .map_err(|err| in_attribute(&format!("{INVOCATIONS}.{id}"), err))?;
    }
    Ok(())
}

fn overlap(path: &str) -> StoreError {
    StoreError::Invalid(format!(
        "an update touches `{path}` twice (overlapping document paths)"
    ))
}

/// Checks a query: a valid table name and partition key, a `limit` of at least 1, and a
/// `start_after` (when given) that starts with `prefix`, as a page's `next` does.
pub fn validate_query(
    table: &str,
    pk: &str,
    prefix: &str,
    start_after: Option<&str>,
    limit: usize,
) -> Result<(), StoreError> {
    validate_table_name(table)?;
    key_part("partition", pk, MAX_PK_BYTES)?;
    if limit == 0 {
        return Err(StoreError::Invalid(
            "a query needs a limit of at least 1".into(),
        ));
    }
    if let Some(after) = start_after {
        key_part("sort", after, MAX_SK_BYTES)?;
        if !after.starts_with(prefix) {
            return Err(StoreError::Invalid(format!(
                "the query starts after `{after}`, outside the prefix `{prefix}`"
            )));
        }
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
        // As DynamoDB compares: a missing `_v` is version 0, anything but a number equal
        // to `version` is not.
        Condition::Version(version) => current.is_some_and(|item| match item.get(VERSION) {
            None => *version == 0,
            Some(value) => is_number(value, *version),
        }),
        Condition::Live => current.is_some_and(|item| !item.contains_key(DELETED)),
        Condition::LiveWithout(invocation) => {
            current.is_some_and(|item| live_without(item, invocation))
        }
        Condition::InlineRoom {
            invocation,
            order,
            max,
        } => current.is_some_and(|item| {
            let inline = item.get(INVOCATIONS).and_then(Value::as_object);
            live_without(item, invocation)
                && item
                    .get(SPILLED)
                    .is_none_or(|spilled| spilled.as_str().is_some_and(|s| s < order.as_str()))
                && inline.is_none_or(|records| records.len() < *max)
        }),
    }
}

/// The item is no tombstone and holds no inline record of `invocation`.
fn live_without(item: &Item, invocation: &str) -> bool {
    !item.contains_key(DELETED)
        && !item
            .get(INVOCATIONS)
            .and_then(Value::as_object)
            .is_some_and(|records| records.contains_key(invocation))
}

/// True when `value` is a number equal to `expected` (`3.0` equals 3).
fn is_number(value: &Value, expected: u64) -> bool {
    match value {
        Value::Number(number) if number.is_f64() => number.as_f64() == Some(expected as f64),
        Value::Number(number) => number.as_u64() == Some(expected),
        _ => false,
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
