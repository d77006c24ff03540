//! Delivering the outbox: each pending asynchronous call is run (at least once; the
//! callee's result record makes it exactly once) and then removed; calls that can never
//! run safely, and calls whose method panicked, are set aside.

use std::collections::BTreeSet;

use super::outbox;
use super::Runtime;
use crate::error::Error;

impl Runtime {
    /// Delivers up to `limit` pending asynchronous calls from each partition of the
    /// outbox, the partitions side by side; returns how many were delivered. A call whose
    /// delivery fails in a way that may pass stays for the next round. An error is
    /// returned when nothing could be delivered; when some partitions delivered and
    /// others failed, the failures are logged and the count returned.
    pub async fn deliver_outbox(&self, limit: usize) -> Result<usize, Error> {
        let shards = outbox::read_partitions(self.env().config.outbox_shards).collect();
        self.deliver_partitions(shards, limit).await
    }

    /// One round of a collector: delivers up to `limit` calls from each partition this
    /// process stored calls in (or left calls in) since its last round, and from one more
    /// partition in turn; every eighth of the dedup window, from every partition. So a
    /// collector's own calls go out at once, and every call is reached well within the
    /// dedup window, however seldom the rounds come.
    pub async fn deliver_outbox_round(&self, limit: usize) -> Result<usize, Error> {
        let env = self.env();
        let shards = env.outbox_rounds.take(
            env.config.outbox_shards,
            env.config.clock.now_ms(),
            env.config.window_ms() / 8,
        );
        self.deliver_partitions(shards, limit).await
    }

    /// Delivers up to `limit` calls from each partition this process stored calls in (or
    /// left calls in) since it last looked, and from no other: nothing is read when this
    /// process queued nothing.
    pub(crate) async fn deliver_own_outbox(&self, limit: usize) -> Result<usize, Error> {
        let env = self.env();
        let shards = env.outbox_rounds.take_marked(env.config.outbox_shards);
        if shards.is_empty() {
            return Ok(0);
        }
        self.deliver_partitions(shards, limit).await
    }

    /// True when this process stored (or left) asynchronous calls that no delivery has
    /// looked at since.
    pub(crate) fn has_own_outbox(&self) -> bool {
        self.env().outbox_rounds.any_marked()
    }

    /// Delivers up to `limit` calls from each of `shards`, concurrently.
    async fn deliver_partitions(
        &self,
        shards: BTreeSet<usize>,
        limit: usize,
    ) -> Result<usize, Error> {
        let mut tasks = tokio::task::JoinSet::new();
        for shard in shards {
            let runtime = self.clone();
            tasks.spawn(async move { runtime.deliver_partition(shard, limit).await });
        }
        let mut delivered = 0;
        let mut first_error = None;
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(Ok(count)) => delivered += count,
                Ok(Err(error)) => {
                    first_error.get_or_insert(error);
                }
                Err(error) => {
                    first_error.get_or_insert(Error::Unavailable {
                        message: format!("an outbox delivery task ended abnormally: {error}"),
                    });
                }
            }
        }
        match first_error {
            Some(error) if delivered == 0 => Err(error),
            Some(error) => {
                tracing::warn!(%error, delivered, "part of the outbox could not be delivered");
                Ok(delivered)
            }
            None => Ok(delivered),
        }
    }

    /// Delivers up to `limit` pending calls of one partition, up to
    /// [`Config::outbox_delivery_concurrency`](crate::Config::outbox_delivery_concurrency)
    /// at a time. A call that cannot be delivered now is passed over, not allowed to hold
    /// up the others; the partition is then marked for the collector's next round, as it
    /// is when the partition cannot be read.
    async fn deliver_partition(&self, shard: usize, limit: usize) -> Result<usize, Error> {
        let env = self.env();
        let messages = match outbox::pending(env, shard, limit).await {
            Ok(messages) => messages,
            Err(error) => {
                env.outbox_rounds.mark(shard);
                return Err(error);
            }
        };
        let mut left = messages.len() >= limit;
        let at_once = env.config.outbox_delivery_concurrency.max(1);
        let mut waiting = messages.into_iter();
        let mut running = tokio::task::JoinSet::new();
        let mut delivered = 0;
        loop {
            while running.len() < at_once {
                let Some(message) = waiting.next() else { break };
                let runtime = self.clone();
                running.spawn(async move {
                    let outcome = runtime.deliver_message(&message).await;
                    (message, outcome)
                });
            }
            let Some(joined) = running.join_next().await else {
                break;
            };
            match joined {
                Ok((_, Ok(true))) => delivered += 1,
                Ok((_, Ok(false))) => {}
                Ok((message, Err(error))) => {
                    tracing::warn!(message = %message.key(), %error, "outbox message left for the next round");
                    left = true;
                }
                Err(error) => {
                    tracing::warn!(%error, "an outbox delivery ended abnormally; left for the next round");
                    left = true;
                }
            }
        }
        if left {
            env.outbox_rounds.mark(shard);
        }
        Ok(delivered)
    }

    /// Runs one message's call and removes it; true when it was delivered, false when it
    /// was set aside. An error leaves it in place.
    async fn deliver_message(&self, message: &outbox::Message) -> Result<bool, Error> {
        let env = self.env();
        let Some(invocation) = message.invocation() else {
            tracing::error!(message = %message.key(), "unreadable outbox message set aside");
            outbox::set_aside(env, message).await?;
            return Ok(false);
        };
        match self.dispatch(&invocation).await {
            // Too old to run safely, or a bug that would panic again: kept for an
            // operator to look at, not run again and again.
            Err(error @ (Error::Expired { .. } | Error::Panicked { .. })) => {
                tracing::error!(invocation = %invocation.id, %error, "outbox message set aside");
                outbox::set_aside(env, message).await?;
                return Ok(false);
            }
            // Its outcome is recorded (or can never be): delivered.
            Ok(_) => {}
            Err(error) if super::execute::is_final(&error) => {}
            Err(error) => return Err(error),
        }
        outbox::remove(env, message).await?;
        Ok(true)
    }

    /// Delivers the outbox in the background, every `every` and at once while messages
    /// remain, until [`OutboxCollector::stop`] is called. Needs a Tokio runtime.
    pub fn spawn_outbox_collector(&self, every: std::time::Duration) -> OutboxCollector {
        OutboxCollector::spawn(self.clone(), every)
    }
}

/// Delivers the outbox in the background; see [`Runtime::spawn_outbox_collector`].
pub struct OutboxCollector {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl OutboxCollector {
    /// Starts delivering `runtime`'s outbox every `every` (and at once while there is more).
    pub(crate) fn spawn(runtime: Runtime, every: std::time::Duration) -> Self {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                if *stopped.borrow() {
                    return;
                }
                match runtime.deliver_outbox_round(100).await {
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
