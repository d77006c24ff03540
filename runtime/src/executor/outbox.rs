//! The outbox: asynchronous calls are stored as items in the same commit as the
//! invocation that made them, then delivered at least once; the callee's result record
//! makes each one run exactly once.
//!
//! Messages are spread over [`Config::outbox_shards`](crate::Config::outbox_shards)
//! partitions by a hash of the call's invocation id, so that no one partition's write
//! limit bounds how many asynchronous calls an application makes.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
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

/// The partition key of partition `index`.
pub(crate) fn partition_key(index: usize) -> String {
    format!("{PARTITION_PREFIX}{index:02}")
}

fn key(env: &Env, message: &str) -> Key {
    let shard = partition(message, env.config.outbox_shards);
    Key::new(
        env.schema.outbox_table(),
        partition_key(shard),
        format!("{PENDING}{message}"),
    )
}

/// Which partitions a collector of this process looks at next: those this process wrote
/// messages to since it last looked (so its own calls go out at once), and one more in
/// turn (so every partition, and the messages of other processes, are reached).
#[derive(Debug, Default)]
pub(crate) struct Rounds {
    hot: Mutex<BTreeSet<usize>>,
    next: AtomicUsize,
}

impl Rounds {
    /// Notes that a message may have been written to `shard`.
    pub(crate) fn mark(&self, shard: usize) {
        self.hot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(shard);
    }

    /// The partitions of the next round, each once, among `shards`.
    pub(crate) fn take(&self, shards: usize) -> BTreeSet<usize> {
        let shards = shards.max(1);
        let mut round = std::mem::take(
            &mut *self
                .hot
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        round.retain(|shard| *shard < shards);
        round.insert(self.next.fetch_add(1, Ordering::Relaxed) % shards);
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
    env.outbox_rounds
        .mark(partition(message.id.as_str(), env.config.outbox_shards));
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

/// Up to `limit` pending messages of partition `shard`, in id order.
pub(crate) async fn pending(env: &Env, shard: usize, limit: usize) -> Result<Vec<Message>, Error> {
    let table = env.schema.outbox_table();
    let partition = partition_key(shard);
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
