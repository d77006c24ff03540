//! A [`Store`] wrapper that injects faults, for tests of exactly-once execution: it can
//! crash the invocation before or after any store call (after = the call took effect),
//! or report a timeout for a call that succeeded. Faults are planned by call number, or
//! drawn at random from a seed.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::{Condition, Item, Key, Page, Stats, Store, StoreError, TableSpec, Update, WriteOp};

/// What happens at a faulty call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The invocation dies before the call reaches the store.
    CrashBefore,
    /// The call takes effect, then the invocation dies before seeing the answer.
    CrashAfter,
    /// The call takes effect, but the caller is told it timed out.
    TimeoutAfter,
}

/// Random faults: each call fails with probability `per_mille / 1000`.
#[derive(Debug)]
struct RandomFaults {
    rng: fastrand::Rng,
    per_mille: u32,
}

/// Wraps a store and injects [`Fault`]s.
pub struct FaultyStore {
    inner: Arc<dyn Store>,
    calls: AtomicU64,
    planned: Mutex<BTreeMap<u64, Fault>>,
    random: Mutex<Option<RandomFaults>>,
    injected: AtomicU64,
}

impl FaultyStore {
    /// Wraps `inner`; no faults until some are planned.
    pub fn new(inner: Arc<dyn Store>) -> Self {
        FaultyStore {
            inner,
            calls: AtomicU64::new(0),
            planned: Mutex::new(BTreeMap::new()),
            random: Mutex::new(None),
            injected: AtomicU64::new(0),
        }
    }

    /// The number of calls made so far (ensure_tables excluded).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// The number of faults injected so far.
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::SeqCst)
    }

    /// Fails call number `call` (counting from the current [`FaultyStore::calls`], 0-based)
    /// with `fault`.
    pub fn fail_at(&self, call: u64, fault: Fault) {
        if let Ok(mut planned) = self.planned.lock() {
            planned.insert(call, fault);
        }
    }

    /// Fails each later call with probability `per_mille`/1000, choosing the kind of fault
    /// at random, reproducibly from `seed`. `per_mille = 0` turns random faults off.
    pub fn random_faults(&self, seed: u64, per_mille: u32) {
        if let Ok(mut random) = self.random.lock() {
            *random = (per_mille > 0).then(|| RandomFaults {
                rng: fastrand::Rng::with_seed(seed),
                per_mille,
            });
        }
    }

    /// Removes every planned and random fault.
    pub fn clear(&self) {
        if let Ok(mut planned) = self.planned.lock() {
            planned.clear();
        }
        self.random_faults(0, 0);
    }

    /// The fault for the next call, if any.
    fn next_fault(&self) -> Option<Fault> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let planned = self
            .planned
            .lock()
            .ok()
            .and_then(|mut planned| planned.remove(&call));
        let fault = planned.or_else(|| {
            let mut random = self.random.lock().ok()?;
            let random = random.as_mut()?;
            if random.rng.u32(0..1000) >= random.per_mille {
                return None;
            }
            Some(match random.rng.u8(0..3) {
                0 => Fault::CrashBefore,
                1 => Fault::CrashAfter,
                _ => Fault::TimeoutAfter,
            })
        });
        if fault.is_some() {
            self.injected.fetch_add(1, Ordering::SeqCst);
        }
        fault
    }

    async fn run<T: Send>(
        &self,
        what: &str,
        call: impl std::future::Future<Output = Result<T, StoreError>> + Send,
    ) -> Result<T, StoreError> {
        match self.next_fault() {
            None => call.await,
            Some(Fault::CrashBefore) => Err(StoreError::Crash(format!("before {what}"))),
            Some(Fault::CrashAfter) => {
                let _ = call.await;
                Err(StoreError::Crash(format!("after {what}")))
            }
            Some(Fault::TimeoutAfter) => {
                let _ = call.await;
                Err(StoreError::Unavailable(format!(
                    "timed out after {what} took effect"
                )))
            }
        }
    }
}

#[async_trait]
impl Store for FaultyStore {
    async fn ensure_tables(&self, tables: &[TableSpec]) -> Result<(), StoreError> {
        self.inner.ensure_tables(tables).await
    }

    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.run("get", self.inner.get(key)).await
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        self.run("batch_get", self.inner.batch_get(keys)).await
    }

    async fn query(
        &self,
        table: &str,
        pk: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Page, StoreError> {
        self.run(
            "query",
            self.inner.query(table, pk, prefix, start_after, limit),
        )
        .await
    }

    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.run("write", self.inner.write(ops)).await
    }

    async fn update_returning(
        &self,
        key: &Key,
        update: &Update,
        condition: &Condition,
    ) -> Result<Item, StoreError> {
        self.run(
            "update",
            self.inner.update_returning(key, update, condition),
        )
        .await
    }

    fn stats(&self) -> &Stats {
        self.inner.stats()
    }
}
