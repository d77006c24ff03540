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

fn key(env: &Env, message: &str) -> Key {
    Key::new(env.schema.outbox_table(), PARTITION, message)
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

/// Up to `limit` pending messages, oldest first.
pub(crate) async fn pending(env: &Env, limit: usize) -> Result<Vec<Invocation>, Error> {
    let page = env
        .store
        .query(&env.schema.outbox_table(), PARTITION, "", None, limit)
        .await?;
    Ok(page
        .items
        .into_iter()
        .filter_map(|(_, item)| serde_json::from_value(item.get("invocation")?.clone()).ok())
        .collect())
}

/// Removes a delivered message.
pub(crate) async fn remove(env: &Env, message: &Invocation) -> Result<(), Error> {
    env.store
        .write(vec![WriteOp::Delete {
            key: key(env, message.id.as_str()),
            condition: Condition::Always,
        }])
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
