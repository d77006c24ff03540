//! The outbox: asynchronous calls are stored as items in the same commit as the
//! invocation that made them, then delivered at least once; the callee's result record
//! makes each one run exactly once.

use serde_json::{Map, Value};

use super::context::Env;
use crate::error::Error;
use crate::invocation::Invocation;
use crate::records::expiry_seconds;
use crate::store::{Condition, Key, WriteOp, EXPIRES};

/// The partition all outbox messages live in.
const PARTITION: &str = "outbox";
/// The sort-key prefix of pending messages.
const PENDING: &str = "msg#";
/// The sort-key prefix of messages set aside: unreadable, or too old to run safely.
const SET_ASIDE: &str = "aside#";

fn key(env: &Env, message: &str) -> Key {
    Key::new(
        env.schema.outbox_table(),
        PARTITION,
        format!("{PENDING}{message}"),
    )
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

/// Up to `limit` pending messages, in id order.
pub(crate) async fn pending(env: &Env, limit: usize) -> Result<Vec<Message>, Error> {
    let table = env.schema.outbox_table();
    let page = env
        .store
        .query(&table, PARTITION, PENDING, None, limit)
        .await?;
    Ok(page
        .items
        .into_iter()
        .map(|(sk, item)| Message {
            key: Key::new(&table, PARTITION, sk),
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
        PARTITION,
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
