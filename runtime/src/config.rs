//! Runtime settings and the clock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Where the runtime gets the time from.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis() as u64)
    }
}

/// A clock that moves only when told to, for tests of the dedup window.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    /// A clock showing `now_ms`.
    pub fn new(now_ms: u64) -> Self {
        ManualClock(AtomicU64::new(now_ms))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// How the runtime behaves.
#[derive(Clone)]
pub struct Config {
    /// How long an outcome is kept for retries to find. Default 15 minutes: past the
    /// longest Lambda run plus its retries.
    pub dedup_window: Duration,
    /// The most result records an object keeps inside its own item; past this the oldest
    /// move out, together, into one page item in its partition, keeping the newest quarter
    /// (see `docs/runtime.md`). Default 8.
    pub inline_records: usize,
    /// How often a method is re-run after losing a race before `Conflict`. Default 12.
    pub max_attempts: u32,
    /// The first back-off between attempts; it doubles, with jitter. Default 2 ms.
    pub backoff: Duration,
    /// How many relationship edges one query page returns at most. Default 10,000, so
    /// that a collection of thousands is one round trip; DynamoDB also ends a page at 1 MB.
    pub page_size: usize,
    /// How many bytes of collections of immutable objects the runtime keeps in memory
    /// between calls, so that a changing call reading a collection whose owner has not
    /// changed since a commit of this runtime read it skips its query (see
    /// `docs/runtime.md`). Counted as DynamoDB counts item sizes, plus 128 bytes a
    /// collection; in memory, with the typed values decoded from them, objects take
    /// several times their stored size. Default 4 MiB (some 25,000 hotel reservations);
    /// 0 turns the cache off.
    pub collection_cache: usize,
    /// How long a deleted object's tombstone is kept, from its last commit; `None` (the
    /// default) means twice the dedup window. Never less than the record retention (one
    /// and a half windows).
    pub tombstone_ttl: Option<Duration>,
    /// How long an outbox message that was set aside (unreadable, or too old to run
    /// safely) is kept for an operator to look at. Default 14 days.
    pub set_aside_ttl: Duration,
    /// How many partitions the outbox spreads asynchronous calls over, by a hash of each
    /// call's invocation id. A DynamoDB partition takes about 1,000 writes a second, so
    /// the default 32 lets an application make some 30,000 asynchronous calls a second.
    /// Every process of an application must use the same number, and it may only grow:
    /// calls already stored in a partition past a lowered number are not delivered.
    pub outbox_shards: usize,
    /// How many calls of one outbox partition are delivered at a time (the partitions
    /// themselves are delivered side by side). Asynchronous calls have no order among
    /// them. Default 16.
    pub outbox_delivery_concurrency: usize,
    /// The clock.
    pub clock: Arc<dyn Clock>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            dedup_window: Duration::from_secs(15 * 60),
            inline_records: 8,
            max_attempts: 12,
            backoff: Duration::from_millis(2),
            page_size: 10_000,
            collection_cache: 4 << 20,
            tombstone_ttl: None,
            set_aside_ttl: Duration::from_secs(14 * 24 * 60 * 60),
            outbox_shards: 32,
            outbox_delivery_concurrency: 16,
            clock: Arc::new(SystemClock),
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("dedup_window", &self.dedup_window)
            .field("inline_records", &self.inline_records)
            .field("max_attempts", &self.max_attempts)
            .field("backoff", &self.backoff)
            .field("page_size", &self.page_size)
            .field("collection_cache", &self.collection_cache)
            .field("tombstone_ttl", &self.tombstone_ttl)
            .field("set_aside_ttl", &self.set_aside_ttl)
            .field("outbox_shards", &self.outbox_shards)
            .field(
                "outbox_delivery_concurrency",
                &self.outbox_delivery_concurrency,
            )
            .finish_non_exhaustive()
    }
}

impl Config {
    /// The dedup window in milliseconds.
    pub fn window_ms(&self) -> u64 {
        self.dedup_window.as_millis() as u64
    }

    /// How long result records are kept: the window and half of it again, so that a client
    /// clock running ahead by up to half the window cannot get an invocation past the age
    /// check after its record is gone.
    pub fn keep_records_ms(&self) -> u64 {
        self.window_ms() + self.window_ms() / 2
    }

    /// The partition keys of the outbox's partitions, in order (`outbox#00`, …), then
    /// `outbox`, where an earlier version stored every message (sweeps still read it).
    pub fn outbox_partitions(&self) -> Vec<String> {
        use crate::executor::outbox::{read_partition_key, read_partitions};
        read_partitions(self.outbox_shards)
            .map(|index| read_partition_key(index, self.outbox_shards))
            .collect()
    }

    /// How long tombstones are kept.
    pub fn tombstone_ttl(&self) -> Duration {
        self.tombstone_ttl
            .unwrap_or(self.dedup_window * 2)
            .max(self.dedup_window + self.dedup_window / 2)
    }
}
