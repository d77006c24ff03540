//! The outbox: asynchronous calls are stored as items in the same commit as the
//! invocation that made them, then delivered at least once; the callee's result record
//! makes each one run exactly once.
//!
//! Messages are spread over [`Config::outbox_shards`](crate::Config::outbox_shards)
//! partitions by a hash of the call's invocation id, so that no one partition's write
//! limit bounds how many asynchronous calls an application makes.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use serde_json::{Map, Value};

use super::context::Env;
use crate::error::Error;
use crate::invocation::Invocation;
use crate::records::expiry_seconds;
use crate::store::{Condition, Key, WriteOp, EXPIRES};

/// The prefix of the outbox's partitions: `outbox#00`, `outbox#01`, …
const PARTITION_PREFIX: &str = "outbox#";
/// The sort-key prefix of pending messages.
const PENDING: &str = "msg#";
/// The sort-key prefix of messages set aside: unreadable, or too old to run safely.
const SET_ASIDE: &str = "aside#";

/// The partition that held every message before the outbox was spread out; sweeps still
/// read it, so calls stored by an earlier version are delivered.
const LEGACY_PARTITION: &str = "outbox";

/// The partition that holds the message of invocation `message` among `shards`: a
/// 64-bit FNV-1a hash of the id, so every process agrees without coordination.
pub(crate) fn partition(message: &str, shards: usize) -> usize {
    let hash = message
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    (hash % shards.max(1) as u64) as usize
}

/// The partition key of partition `index` (`outbox#00`, …).
fn partition_key(index: usize) -> String {
    format!("{PARTITION_PREFIX}{index:02}")
}

/// The partitions a reader visits, among `shards`: `0..shards`, then the legacy
/// partition as index `shards`.
pub(crate) fn read_partitions(shards: usize) -> std::ops::RangeInclusive<usize> {
    0..=shards.max(1)
}

/// The partition key a reader queries for index `index` of [`read_partitions`].
pub(crate) fn read_partition_key(index: usize, shards: usize) -> String {
    if index >= shards.max(1) {
        LEGACY_PARTITION.to_string()
    } else {
        partition_key(index)
    }
}

fn key(env: &Env, message: &str) -> Key {
    let shard = partition(message, env.config.outbox_shards);
    Key::new(
        env.schema.outbox_table(),
        partition_key(shard),
        format!("{PENDING}{message}"),
    )
}

/// Notes the partitions of `messages`, stored (or perhaps stored) by a commit of this
/// process, for its collector's next round.
pub(crate) fn mark_sent(env: &Env, messages: &[Invocation]) {
    for message in messages {
        env.outbox_rounds
            .mark(partition(message.id.as_str(), env.config.outbox_shards));
    }
}

/// Which partitions a collector of this process looks at next: those this process stored
/// messages in (or left messages in) since it last looked, so that its own calls go out
/// at once; one more in turn, from a random start, so that processes do not move in step;
/// and every partition once `full_every_ms` has passed since the last full sweep, so that
/// the messages of other processes are reached well within the dedup window however
/// slowly the rounds come.
#[derive(Debug)]
pub(crate) struct Rounds {
    hot: Mutex<BTreeSet<usize>>,
    next: AtomicUsize,
    last_full_ms: AtomicU64,
}

impl Default for Rounds {
    fn default() -> Self {
        Rounds {
            hot: Mutex::default(),
            next: AtomicUsize::new(fastrand::usize(..1 << 16)),
            last_full_ms: AtomicU64::new(0),
        }
    }
}

impl Rounds {
    /// Notes that partition `shard` may hold messages.
    pub(crate) fn mark(&self, shard: usize) {
        self.hot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(shard);
    }

    /// True when some partition is marked: this process stored (or left) messages that
    /// no round has looked at since.
    pub(crate) fn any_marked(&self) -> bool {
        !self
            .hot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_empty()
    }

    /// The marked partitions, and no others; the marks are cleared.
    pub(crate) fn take_marked(&self, shards: usize) -> BTreeSet<usize> {
        let all = read_partitions(shards);
        let mut marked = std::mem::take(
            &mut *self
                .hot
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        marked.retain(|shard| all.contains(shard));
        marked
    }

    /// The partitions of the next round (indices of [`read_partitions`]) at `now_ms`.
    pub(crate) fn take(&self, shards: usize, now_ms: u64, full_every_ms: u64) -> BTreeSet<usize> {
        let all = read_partitions(shards);
        let mut round = self.take_marked(shards);
        let last_full = self.last_full_ms.load(Ordering::Relaxed);
        if now_ms.saturating_sub(last_full) >= full_every_ms
            && self
                .last_full_ms
                .compare_exchange(last_full, now_ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            return all.collect();
        }
        let count = all.end() + 1;
        round.insert(self.next.fetch_add(1, Ordering::Relaxed) % count);
        round
    }
}

/// A stored message.
pub(crate) struct Message {
    key: Key,
    item: Map<String, Value>,
}

impl Message {
    /// The call it carries, if it can be read.
    pub(crate) fn invocation(&self) -> Option<Invocation> {
        serde_json::from_value(self.item.get("invocation")?.clone()).ok()
    }

    /// Where it is stored.
    pub(crate) fn key(&self) -> &Key {
        &self.key
    }
}

/// The write that stores `message` (written once: a re-run of the commit is refused by
/// the sender's own condition first).
pub(crate) fn put(env: &Env, message: &Invocation) -> WriteOp {
    let mut item = Map::new();
    item.insert(
        "invocation".to_string(),
        serde_json::to_value(message).unwrap_or(Value::Null),
    );
    WriteOp::Put {
        key: key(env, message.id.as_str()),
        item,
        condition: Condition::Absent,
    }
}

/// Up to `limit` pending messages of partition `shard` (an index of
/// [`read_partitions`]), in id order.
pub(crate) async fn pending(env: &Env, shard: usize, limit: usize) -> Result<Vec<Message>, Error> {
    let table = env.schema.outbox_table();
    let partition = read_partition_key(shard, env.config.outbox_shards);
    let page = env
        .store
        .query(&table, &partition, PENDING, None, limit)
        .await?;
    Ok(page
        .items
        .into_iter()
        .map(|(sk, item)| Message {
            key: Key::new(&table, &partition, sk),
            item,
        })
        .collect())
}

/// Removes a delivered message.
pub(crate) async fn remove(env: &Env, message: &Message) -> Result<(), Error> {
    env.store
        .write(vec![WriteOp::Delete {
            key: message.key.clone(),
            condition: Condition::Always,
        }])
        .await?;
    Ok(())
}

/// Moves a message that must not be delivered to the set-aside prefix, for an operator to
/// look at, so it no longer holds up the others. It expires after
/// [`Config::set_aside_ttl`](crate::Config::set_aside_ttl).
pub(crate) async fn set_aside(env: &Env, message: &Message) -> Result<(), Error> {
    let suffix = message
        .key
        .sk
        .strip_prefix(PENDING)
        .unwrap_or(&message.key.sk);
    let aside = Key::new(
        &message.key.table,
        &message.key.pk,
        format!("{SET_ASIDE}{suffix}"),
    );
    let mut item = message.item.clone();
    let keep_ms = env.config.set_aside_ttl.as_millis() as u64;
    item.insert(
        EXPIRES.to_string(),
        Value::from(expiry_seconds(env.config.clock.now_ms(), keep_ms)),
    );
    env.store
        .write(vec![
            WriteOp::Put {
                key: aside,
                item,
                condition: Condition::Always,
            },
            WriteOp::Delete {
                key: message.key.clone(),
                condition: Condition::Always,
            },
        ])
        .await?;
    Ok(())
}
