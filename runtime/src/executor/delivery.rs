//! Delivering the outbox: each pending asynchronous call is run (at least once; the
//! callee's result record makes it exactly once) and then removed; calls that can never
//! run safely, and calls whose method panicked, are set aside.

use super::outbox;
use super::Runtime;
use crate::error::Error;

impl Runtime {
    /// Delivers up to `limit` pending asynchronous calls; returns how many were delivered.
    /// A call whose delivery fails in a retryable way stays for the next round.
    pub async fn deliver_outbox(&self, limit: usize) -> Result<usize, Error> {
        let env = self.env();
        let mut delivered = 0;
        for message in outbox::pending(env, limit).await? {
            let Some(invocation) = message.invocation() else {
                tracing::error!(message = %message.key(), "unreadable outbox message set aside");
                outbox::set_aside(env, &message).await?;
                continue;
            };
            match self.dispatch(&invocation).await {
                // Too old to run safely, or a bug that would panic again: kept for an
                // operator to look at, not run again and again.
                Err(error @ (Error::Expired { .. } | Error::Panicked { .. })) => {
                    tracing::error!(invocation = %invocation.id, %error, "outbox message set aside");
                    outbox::set_aside(env, &message).await?;
                    continue;
                }
                // Its outcome is recorded (or can never be): delivered.
                Ok(_) => {}
                Err(error) if super::execute::is_final(&error) => {}
                Err(error) => {
                    tracing::debug!(invocation = %invocation.id, %error, "delivery failed; will retry");
                    continue;
                }
            }
            outbox::remove(env, &message).await?;
            delivered += 1;
        }
        Ok(delivered)
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
