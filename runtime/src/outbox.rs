//! The outbox: asynchronous calls are stored as items in the same commit as the
//! invocation that made them, then delivered at least once; the callee's result record
//! makes each one run exactly once.

use serde_json::{Map, Value};

use crate::error::Error;
use crate::invocation::Invocation;
use crate::runtime::Env;
use crate::store::{Condition, Key, WriteOp};

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
/// look at, so it no longer holds up the others.
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
    env.store
        .write(vec![
            WriteOp::Put {
                key: aside,
                item: message.item.clone(),
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

/// Delivers the outbox in the background; see [`crate::Runtime::spawn_outbox_collector`].
pub struct OutboxCollector {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl OutboxCollector {
    /// Starts delivering `runtime`'s outbox every `every` (and at once while there is more).
    pub(crate) fn spawn(runtime: crate::Runtime, every: std::time::Duration) -> Self {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                if *stopped.borrow() {
                    return;
                }
                match runtime.deliver_outbox(100).await {
                    Ok(delivered) if delivered > 0 => continue,
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "outbox delivery failed; trying again"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = stopped.changed() => return,
                }
            }
        });
        OutboxCollector { stop, task }
    }

    /// Stops the collector after its current round.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::warn!(%error, "the outbox collector ended abnormally");
        }
    }
}
