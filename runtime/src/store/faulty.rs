//! A [`Store`] wrapper that injects faults, for tests of exactly-once execution: it can
//! crash the invocation before or after any store call (after = the call took effect),
//! or report a timeout for a call that succeeded; and it can fail a call the way
//! DynamoDB does under load — throttled or a transaction conflict (not applied), or an
//! internal server error (applied or not). Faults are planned by call number, or drawn at
//! random from a seed; every fault injected is counted by kind.

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
    /// The call is refused for want of capacity and not applied, as DynamoDB's
    /// `ProvisionedThroughputExceededException` (throttling) once the SDK's retries are
    /// spent: [`StoreError::Unavailable`].
    Throttled,
    /// The write is cancelled because a concurrent transaction touched its items, and not
    /// applied: [`StoreError::TransactionConflict`]. DynamoDB reports it on writes only.
    TransactionConflict,
    /// DynamoDB's `InternalServerError` before the call took effect:
    /// [`StoreError::Unavailable`].
    InternalErrorBefore,
    /// DynamoDB's `InternalServerError` after the call took effect:
    /// [`StoreError::Unavailable`].
    InternalErrorAfter,
}

impl Fault {
    /// Every kind of fault, in declaration order.
    pub const ALL: [Fault; 7] = [
        Fault::CrashBefore,
        Fault::CrashAfter,
        Fault::TimeoutAfter,
        Fault::Throttled,
        Fault::TransactionConflict,
        Fault::InternalErrorBefore,
        Fault::InternalErrorAfter,
    ];

    /// A short name for summaries: `crash-before`, `throttled` …
    pub fn name(self) -> &'static str {
        match self {
            Fault::CrashBefore => "crash-before",
            Fault::CrashAfter => "crash-after",
            Fault::TimeoutAfter => "timeout-after",
            Fault::Throttled => "throttled",
            Fault::TransactionConflict => "transaction-conflict",
            Fault::InternalErrorBefore => "internal-error-before",
            Fault::InternalErrorAfter => "internal-error-after",
        }
    }

    /// The fault's place in [`Fault::ALL`].
    fn index(self) -> usize {
        self as usize
    }
}

/// Random faults: each call fails with probability `per_mille / 1000`.
#[derive(Debug)]
struct RandomFaults {
    rng: fastrand::Rng,
    per_mille: u32,
}

impl RandomFaults {
    fn new(seed: u64, per_mille: u32) -> Option<Self> {
        (per_mille > 0).then(|| RandomFaults {
            rng: fastrand::Rng::with_seed(seed),
            per_mille,
        })
    }

    /// True when the next call fails.
    fn strikes(&mut self) -> bool {
        self.rng.u32(0..1000) < self.per_mille
    }
}

/// Wraps a store and injects [`Fault`]s.
pub struct FaultyStore {
    inner: Arc<dyn Store>,
    calls: AtomicU64,
    planned: Mutex<BTreeMap<u64, Fault>>,
    random: Mutex<Option<RandomFaults>>,
    transient: Mutex<Option<RandomFaults>>,
    injected: [AtomicU64; Fault::ALL.len()],
}

impl FaultyStore {
    /// Wraps `inner`; no faults until some are planned.
    pub fn new(inner: Arc<dyn Store>) -> Self {
        FaultyStore {
            inner,
            calls: AtomicU64::new(0),
            planned: Mutex::new(BTreeMap::new()),
            random: Mutex::new(None),
            transient: Mutex::new(None),
            injected: Default::default(),
        }
    }

    /// The number of calls made so far (ensure_tables excluded).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// The number of faults injected so far, of every kind.
    pub fn injected(&self) -> u64 {
        Fault::ALL
            .iter()
            .map(|fault| self.injected_of(*fault))
            .sum()
    }

    /// The number of faults of kind `fault` injected so far.
    pub fn injected_of(&self, fault: Fault) -> u64 {
        self.injected[fault.index()].load(Ordering::SeqCst)
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
    ///
    /// These are the faults of the invocation's own process: [`Fault::CrashBefore`],
    /// [`Fault::CrashAfter`] and [`Fault::TimeoutAfter`], equally likely.
    pub fn random_faults(&self, seed: u64, per_mille: u32) {
        if let Ok(mut random) = self.random.lock() {
            *random = RandomFaults::new(seed, per_mille);
        }
    }

    /// Fails each later call with probability `per_mille`/1000 the way DynamoDB fails
    /// requests under load, reproducibly from `seed`, independently of
    /// [`FaultyStore::random_faults`]: a write gets [`Fault::Throttled`],
    /// [`Fault::TransactionConflict`], [`Fault::InternalErrorBefore`] or
    /// [`Fault::InternalErrorAfter`], equally likely (an internal error is as likely to
    /// come after the write took effect as before); a read gets [`Fault::Throttled`] or
    /// [`Fault::InternalErrorBefore`]. `per_mille = 0` turns them off.
    pub fn transient_faults(&self, seed: u64, per_mille: u32) {
        if let Ok(mut transient) = self.transient.lock() {
            *transient = RandomFaults::new(seed, per_mille);
        }
    }

    /// Removes every planned, random and transient fault.
    pub fn clear(&self) {
        if let Ok(mut planned) = self.planned.lock() {
            planned.clear();
        }
        self.random_faults(0, 0);
        self.transient_faults(0, 0);
    }

    /// The fault for the next call, if any; `write` says whether the call writes.
    fn next_fault(&self, write: bool) -> Option<Fault> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let planned = self
            .planned
            .lock()
            .ok()
            .and_then(|mut planned| planned.remove(&call));
        let fault = planned
            .or_else(|| {
                let mut random = self.random.lock().ok()?;
                let random = random.as_mut()?;
                random.strikes().then(|| match random.rng.u8(0..3) {
                    0 => Fault::CrashBefore,
                    1 => Fault::CrashAfter,
                    _ => Fault::TimeoutAfter,
                })
            })
            .or_else(|| {
                let mut transient = self.transient.lock().ok()?;
                let transient = transient.as_mut()?;
                let kinds: &[Fault] = if write {
                    &[
                        Fault::Throttled,
                        Fault::TransactionConflict,
                        Fault::InternalErrorBefore,
                        Fault::InternalErrorAfter,
                    ]
                } else {
                    &[Fault::Throttled, Fault::InternalErrorBefore]
                };
                transient
                    .strikes()
                    .then(|| kinds[transient.rng.usize(0..kinds.len())])
            });
        if let Some(fault) = fault {
            self.injected[fault.index()].fetch_add(1, Ordering::SeqCst);
        }
        fault
    }

    async fn run<T: Send>(
        &self,
        what: &str,
        write: bool,
        call: impl std::future::Future<Output = Result<T, StoreError>> + Send,
    ) -> Result<T, StoreError> {
        let Some(fault) = self.next_fault(write) else {
            return call.await;
        };
        if matches!(
            fault,
            Fault::CrashAfter | Fault::TimeoutAfter | Fault::InternalErrorAfter
        ) {
            let _ = call.await;
        }
        Err(match fault {
            Fault::CrashBefore => StoreError::Crash(format!("before {what}")),
            Fault::CrashAfter => StoreError::Crash(format!("after {what}")),
            Fault::TimeoutAfter => {
                StoreError::Unavailable(format!("timed out after {what} took effect"))
            }
            Fault::Throttled => StoreError::Unavailable(format!(
                "ProvisionedThroughputExceededException: {what} refused: the request rate exceeds the provisioned throughput (injected)"
            )),
            Fault::TransactionConflict => StoreError::TransactionConflict,
            Fault::InternalErrorBefore => StoreError::Unavailable(format!(
                "InternalServerError: {what} failed before taking effect (injected)"
            )),
            Fault::InternalErrorAfter => StoreError::Unavailable(format!(
                "InternalServerError: {what} failed after taking effect (injected)"
            )),
        })
    }
}

#[async_trait]
impl Store for FaultyStore {
    async fn ensure_tables(&self, tables: &[TableSpec]) -> Result<(), StoreError> {
        self.inner.ensure_tables(tables).await
    }

    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.run("get", false, self.inner.get(key)).await
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        self.run("batch_get", false, self.inner.batch_get(keys))
            .await
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
            false,
            self.inner.query(table, pk, prefix, start_after, limit),
        )
        .await
    }

    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.run("write", true, self.inner.write(ops)).await
    }

    async fn update_returning(
        &self,
        key: &Key,
        update: &Update,
        condition: &Condition,
    ) -> Result<Item, StoreError> {
        self.run(
            "update",
            true,
            self.inner.update_returning(key, update, condition),
        )
        .await
    }

    fn stats(&self) -> &Stats {
        self.inner.stats()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;

    fn put(n: u64) -> Vec<WriteOp> {
        let mut item = Item::new();
        item.insert("n".into(), n.into());
        vec![WriteOp::Put {
            key: Key::new("t", "p", "#"),
            item,
            condition: Condition::Always,
        }]
    }

    async fn stored(store: &FaultyStore) -> Option<Item> {
        store
            .inner
            .get(&Key::new("t", "p", "#"))
            .await
            .ok()
            .flatten()
    }

    /// A faulty store over a fresh in-memory SQLite store with the table `t`.
    async fn faulty() -> FaultyStore {
        let Ok(inner) = SqliteStore::in_memory() else {
            panic!("an in-memory store");
        };
        let store = FaultyStore::new(Arc::new(inner));
        let table = TableSpec { name: "t".into() };
        assert_eq!(store.ensure_tables(&[table]).await, Ok(()));
        store
    }

    #[tokio::test]
    async fn transient_faults_apply_only_when_they_say_so() {
        let store = faulty().await;
        let cases = [
            (Fault::Throttled, false),
            (Fault::TransactionConflict, false),
            (Fault::InternalErrorBefore, false),
            (Fault::InternalErrorAfter, true),
        ];
        for (n, (fault, applied)) in (1..).zip(cases) {
            store.fail_at(store.calls(), fault);
            let answer = store.write(put(n)).await;
            assert!(
                answer.as_ref().is_err_and(StoreError::is_retryable),
                "{fault:?}: {answer:?}"
            );
            let now = stored(&store)
                .await
                .and_then(|item| item.get("n")?.as_u64());
            assert_eq!(now == Some(n), applied, "{fault:?}");
            assert_eq!(store.injected_of(fault), 1);
        }
        assert_eq!(store.injected(), 4);
    }

    #[tokio::test]
    async fn transient_faults_are_drawn_at_their_rate_and_counted() {
        let store = faulty().await;
        store.transient_faults(7, 200);
        let mut failed = 0;
        for n in 0..1_000 {
            if store.write(put(n)).await.is_err() {
                failed += 1;
            }
        }
        assert_eq!(store.injected(), failed);
        assert!(
            (120..280).contains(&failed),
            "{failed} of 1,000 failed at 20 %"
        );
        for fault in [Fault::CrashBefore, Fault::CrashAfter, Fault::TimeoutAfter] {
            assert_eq!(store.injected_of(fault), 0, "{fault:?}");
        }
        store.clear();
        for n in 0..100 {
            assert_eq!(
                store.get(&Key::new("t", "p", "#")).await.map(drop),
                Ok(()),
                "{n}"
            );
        }
    }
}
