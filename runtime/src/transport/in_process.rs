//! The in-process transport: the handlers run in the client's process, and the
//! asynchronous calls their methods queue are delivered by the transport itself, as
//! [`Delivery`] says.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use super::Transport;
use crate::error::Error;
use crate::executor::Runtime;
use crate::request::Request;

/// Calls delivered from each outbox partition per round.
const ROUND_LIMIT: usize = 100;

/// Rounds a [`Delivery::BeforeReply`] delivery runs at most before it answers: calls that
/// keep queueing calls are left for the next reply.
const MAX_ROUNDS_BEFORE_REPLY: usize = 16;

/// How an [`InProcess`] transport delivers the asynchronous calls that methods queue
/// (through the outbox): stored with the commit of the call that queued them, then run,
/// at least once in delivery and exactly once in effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// A background task, started with the first request that queues calls, delivers
    /// them as soon as a call has queued some, and tries again every `retry_every` while
    /// some could not be delivered yet. It stops when the last clone of the transport is
    /// dropped (and is started again if its Tokio runtime ended). Idle, it reads nothing.
    Background {
        /// The wait before calls that could not be delivered are tried again.
        retry_every: Duration,
    },
    /// Before a request is answered, the calls it queued are delivered (and the calls
    /// those queue, for a few rounds), one request's delivery at a time. Slower replies,
    /// but deterministic: what a call queued has run when it returns, unless its
    /// delivery failed (then it is tried again before the next reply) — the choice for
    /// tests.
    BeforeReply,
    /// Not delivered by the transport: the application runs
    /// [`Runtime::deliver_outbox`] or [`Runtime::spawn_outbox_collector`] itself.
    Manual,
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery::Background {
            retry_every: Duration::from_secs(1),
        }
    }
}

/// Runs the handlers in this process: the embedded default. Asynchronous calls are
/// delivered in the background unless [`InProcess::with_delivery`] says otherwise.
#[derive(Clone)]
pub struct InProcess {
    runtime: Runtime,
    delivery: Delivery,
    background: Arc<Mutex<Option<Background>>>,
    before_reply: Arc<tokio::sync::Mutex<()>>,
}

impl InProcess {
    /// A transport that hands requests to `runtime`, delivering asynchronous calls in
    /// the background ([`Delivery::default`]).
    pub fn new(runtime: Runtime) -> Self {
        InProcess {
            runtime,
            delivery: Delivery::default(),
            background: Arc::default(),
            before_reply: Arc::default(),
        }
    }

    /// This transport, delivering asynchronous calls as `delivery` says.
    pub fn with_delivery(self, delivery: Delivery) -> Self {
        InProcess {
            delivery,
            background: Arc::default(),
            ..self
        }
    }

    /// How this transport delivers asynchronous calls.
    pub fn delivery(&self) -> Delivery {
        self.delivery
    }

    /// The runtime behind it (to create tables, run the outbox …).
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// This transport, once the tables of its schema exist (created if missing). Unless
    /// delivery is [`Delivery::Manual`], calls an earlier run queued and left in the
    /// outbox are delivered now, once; a failure to deliver them is logged, not
    /// returned (they stay in the outbox).
    pub async fn with_tables(self) -> Result<Self, Error> {
        self.runtime.ensure_tables().await?;
        if self.delivery != Delivery::Manual {
            if let Err(error) = self.runtime.deliver_outbox(ROUND_LIMIT).await {
                tracing::warn!(%error, "calls an earlier run left in the outbox stay there");
            }
        }
        Ok(self)
    }

    /// Delivers what the request just answered queued, as [`Delivery::BeforeReply`] does.
    /// One request delivers at a time: a request that finds another delivering waits for
    /// it, so its own calls, which that delivery may have taken, have run when it answers.
    async fn deliver_before_reply(&self) {
        let _one_at_a_time = self.before_reply.lock().await;
        for _ in 0..MAX_ROUNDS_BEFORE_REPLY {
            if !self.runtime.has_own_outbox() {
                return;
            }
            match self.runtime.deliver_own_outbox(ROUND_LIMIT).await {
                Ok(0) => return,
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "asynchronous calls left in the outbox for the next reply");
                    return;
                }
            }
        }
    }

    /// Has the background task look at the outbox, starting it if it is not running.
    fn wake_background(&self, retry_every: Duration) {
        let mut background = self
            .background
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match background.as_ref() {
            Some(running) if !running.task.is_finished() => running.wake(),
            _ => {
                let started = Background::spawn(self.runtime.clone(), retry_every);
                started.wake();
                *background = Some(started);
            }
        }
    }
}

#[async_trait]
impl Transport for InProcess {
    async fn send(&self, request: &Request) -> Result<Value, Error> {
        let reply = self.runtime.handle(request).await;
        match self.delivery {
            Delivery::Manual => {}
            Delivery::BeforeReply => self.deliver_before_reply().await,
            Delivery::Background { retry_every } => {
                if self.runtime.has_own_outbox() {
                    self.wake_background(retry_every);
                }
            }
        }
        reply
    }
}

/// The task behind [`Delivery::Background`]; dropping this stops it.
struct Background {
    wake: Arc<Notify>,
    task: JoinHandle<()>,
    _stop: watch::Sender<()>,
}

impl Background {
    /// Starts the task (on the current Tokio runtime, which a request is sent on).
    fn spawn(runtime: Runtime, retry_every: Duration) -> Self {
        let wake = Arc::new(Notify::new());
        let (stop, mut stopped) = watch::channel(());
        let woken = Arc::clone(&wake);
        let task = tokio::spawn(async move {
            loop {
                let retry = runtime.has_own_outbox();
                tokio::select! {
                    _ = woken.notified() => {}
                    _ = tokio::time::sleep(retry_every), if retry => {}
                    _ = stopped.changed() => return,
                }
                loop {
                    match runtime.deliver_own_outbox(ROUND_LIMIT).await {
                        Ok(delivered) if delivered > 0 && runtime.has_own_outbox() => continue,
                        Ok(_) => break,
                        Err(error) => {
                            tracing::warn!(%error, "asynchronous calls left in the outbox; trying again");
                            break;
                        }
                    }
                }
            }
        });
        Background {
            wake,
            task,
            _stop: stop,
        }
    }

    /// Has the task look at the outbox now.
    fn wake(&self) {
        self.wake.notify_one();
    }
}
