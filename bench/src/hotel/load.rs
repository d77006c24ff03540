//! Driving an implementation: open loop at a fixed rate (each call's latency counted from
//! when it was due, so queueing shows — no coordinated omission), and closed loop with a
//! number of workers for the most calls per second. A warm-up is run and left out.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use nubes_runtime::store::StatsSnapshot;
use nubes_runtime::Store;
use tokio::task::JoinSet;

use super::tasks::{Answer, Tasks};
use super::workload::{Mix, Task, Workload};
use crate::BoxError;

/// How long a call may take at most, in µs, as the histograms record it.
const LONGEST_US: u64 = 600_000_000;

/// What one run measured.
pub struct Measured {
    /// Latencies of the calls after the warm-up, in µs.
    pub latencies: Histogram<u64>,
    /// The same latencies by task.
    pub by_task: BTreeMap<Task, Histogram<u64>>,
    /// Calls answered after the warm-up, refusals included.
    pub calls: u64,
    /// Of those, refused.
    pub refused: u64,
    /// The first refusal's reason.
    pub first_refusal: Option<String>,
    /// Calls that failed (store or transport errors), and the first failure.
    pub errors: u64,
    /// The first failure.
    pub first_error: Option<String>,
    /// From the end of the warm-up until the last measured call was answered (at least
    /// the measured duration).
    pub elapsed: Duration,
    /// The time the measured calls spent being served (from when each started running),
    /// in all: what a function would be billed for.
    pub served: Duration,
    /// What the store did in the whole run (warm-up included).
    pub stats: StatsSnapshot,
    /// Calls in the whole run, to divide `stats` by.
    pub all_calls: u64,
}

impl Measured {
    fn new() -> Result<Measured, BoxError> {
        Ok(Measured {
            latencies: histogram()?,
            by_task: BTreeMap::new(),
            calls: 0,
            refused: 0,
            first_refusal: None,
            errors: 0,
            first_error: None,
            elapsed: Duration::ZERO,
            served: Duration::ZERO,
            stats: StatsSnapshot::default(),
            all_calls: 0,
        })
    }

    /// The mean time a measured call spent being served, in seconds.
    pub fn mean_served(&self) -> f64 {
        self.served.as_secs_f64() / self.calls.max(1) as f64
    }

    /// Calls answered per second after the warm-up.
    pub fn rate(&self) -> f64 {
        self.calls as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The latency at `quantile` (0–1), in ms.
    pub fn ms(&self, quantile: f64) -> f64 {
        self.latencies.value_at_quantile(quantile) as f64 / 1_000.0
    }

    /// A store counter per call.
    pub fn per_call(&self, counter: u64) -> f64 {
        counter as f64 / self.all_calls.max(1) as f64
    }

    /// The latency of `task`'s calls at `quantile` (0–1), in ms; `None` when none ran.
    pub fn task_ms(&self, task: Task, quantile: f64) -> Option<f64> {
        let latencies = self.by_task.get(&task)?;
        Some(latencies.value_at_quantile(quantile) as f64 / 1_000.0)
    }

    fn record(&mut self, measured: bool, done: Done) {
        self.all_calls += 1;
        if !measured {
            return;
        }
        let latency = done.finished - done.due;
        match done.outcome {
            Ok(answer) => {
                self.calls += 1;
                self.served += done.finished - done.started;
                if let Answer::Refused(why) = answer {
                    self.refused += 1;
                    self.first_refusal.get_or_insert(why);
                }
                let us = (latency.as_micros() as u64).clamp(1, LONGEST_US);
                // In bounds by the clamp: recording cannot fail.
                let _ = self.latencies.record(us);
                if let Ok(latencies) = match self.by_task.entry(done.task) {
                    std::collections::btree_map::Entry::Occupied(entry) => Ok(entry.into_mut()),
                    std::collections::btree_map::Entry::Vacant(entry) => {
                        histogram().map(|new| entry.insert(new))
                    }
                } {
                    let _ = latencies.record(us);
                }
            }
            Err(error) => {
                self.errors += 1;
                self.first_error.get_or_insert_with(|| error.to_string());
            }
        }
    }
}

/// An empty histogram of latencies in µs.
fn histogram() -> Result<Histogram<u64>, BoxError> {
    Ok(Histogram::new_with_bounds(1, LONGEST_US, 3)?)
}

/// One answered call: its task, when it was due, started running and was answered.
struct Done {
    task: Task,
    due: Instant,
    started: Instant,
    finished: Instant,
    outcome: Result<Answer, BoxError>,
}

/// How one run sends its calls.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Load {
    /// This many calls per second, each sent when due whatever is still running.
    Open {
        /// Calls per second.
        rate: f64,
    },
    /// This many workers, each sending its next call when the last is answered.
    Closed {
        /// Workers.
        workers: usize,
    },
}

/// Runs `mix` on `tasks` with `load` for `warmup` and then `duration`, drawing arguments
/// from `workload` with `seed`; `store` is the store `tasks` run on, for its counters.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    tasks: Arc<dyn Tasks>,
    workload: Arc<Workload>,
    mix: &Mix,
    load: Load,
    warmup: Duration,
    duration: Duration,
    seed: u64,
    store: &Arc<dyn Store>,
) -> Result<Measured, BoxError> {
    let before = store.stats().snapshot();
    let mut measured = drive(tasks, workload, mix, load, warmup, duration, seed).await?;
    measured.stats = store.stats().snapshot() - before;
    Ok(measured)
}

/// Runs `mix` on `tasks` as [`run`] does, for implementations whose store is out of
/// reach (in another process): the store's counters are left at zero.
pub async fn drive(
    tasks: Arc<dyn Tasks>,
    workload: Arc<Workload>,
    mix: &Mix,
    load: Load,
    warmup: Duration,
    duration: Duration,
    seed: u64,
) -> Result<Measured, BoxError> {
    match load {
        Load::Open { rate } => open_loop(tasks, workload, mix, rate, warmup, duration, seed).await,
        Load::Closed { workers } => {
            closed_loop(tasks, workload, mix, workers, warmup, duration, seed).await
        }
    }
}

async fn open_loop(
    tasks: Arc<dyn Tasks>,
    workload: Arc<Workload>,
    mix: &Mix,
    rate: f64,
    warmup: Duration,
    duration: Duration,
    seed: u64,
) -> Result<Measured, BoxError> {
    let start = Instant::now() + Duration::from_millis(10);
    let measure_from = start + warmup;
    let calls = ((warmup + duration).as_secs_f64() * rate).round() as u64;
    let (sender, mut done) = tokio::sync::mpsc::unbounded_channel();
    let runtime = tokio::runtime::Handle::current();
    let mix = mix.clone();
    // The sender is a thread of its own: a thread's sleep wakes within tens of µs, where
    // the runtime's timers wake up to a millisecond late — lateness that would count as
    // latency, since each call's latency runs from when it was due.
    let generator = std::thread::spawn(move || {
        let mut rng = fastrand::Rng::with_seed(seed);
        for n in 0..calls {
            let due = start + Duration::from_secs_f64(n as f64 / rate);
            let task = mix.pick(&mut rng);
            let call = workload.call(task, &mut rng);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            let (tasks, sender) = (tasks.clone(), sender.clone());
            runtime.spawn(async move {
                let started = Instant::now();
                let outcome = tasks.run(&call).await;
                let done = Done {
                    task,
                    due,
                    started,
                    finished: Instant::now(),
                    outcome,
                };
                // The receiver outlives every call: it stops once all senders are gone.
                let _ = sender.send(done);
            });
        }
    });
    let mut measured = Measured::new()?;
    let mut last = measure_from + duration;
    while let Some(call) = done.recv().await {
        let counted = call.due >= measure_from;
        if counted {
            last = last.max(call.finished);
        }
        measured.record(counted, call);
    }
    generator
        .join()
        .map_err(|_| "the open-loop sender panicked")?;
    measured.elapsed = last - measure_from;
    Ok(measured)
}

async fn closed_loop(
    tasks: Arc<dyn Tasks>,
    workload: Arc<Workload>,
    mix: &Mix,
    workers: usize,
    warmup: Duration,
    duration: Duration,
    seed: u64,
) -> Result<Measured, BoxError> {
    let start = Instant::now();
    let (measure_from, end) = (start + warmup, start + warmup + duration);
    // Each call is recorded as it is answered, as in the open loop: nothing piles up.
    let (sender, mut done) = tokio::sync::mpsc::unbounded_channel();
    let mut running = JoinSet::new();
    for worker in 0..workers.max(1) {
        let (tasks, workload, mix) = (tasks.clone(), workload.clone(), mix.clone());
        let sender = sender.clone();
        let mut rng = fastrand::Rng::with_seed(seed.wrapping_add(worker as u64));
        running.spawn(async move {
            loop {
                let sent = Instant::now();
                if sent >= end {
                    return;
                }
                let task = mix.pick(&mut rng);
                let call = workload.call(task, &mut rng);
                let outcome = tasks.run(&call).await;
                let done = Done {
                    task,
                    due: sent,
                    started: sent,
                    finished: Instant::now(),
                    outcome,
                };
                // The receiver outlives every worker: it stops once all senders are gone.
                let _ = sender.send(done);
            }
        });
    }
    drop(sender);
    let mut measured = Measured::new()?;
    while let Some(call) = done.recv().await {
        measured.record(call.due >= measure_from, call);
    }
    while let Some(worker) = running.join_next().await {
        worker?;
    }
    measured.elapsed = duration;
    Ok(measured)
}
