//! A modelled cloud store: the embedded store with each request delayed as long as a
//! request to DynamoDB takes, drawn from a log-normal distribution fitted to a published
//! measurement, so that round trips cost what they would on AWS. Its numbers are a model,
//! and reports say so.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use nubes_runtime::store::{
    Condition, Item, Key, Page, Stats, StoreError, TableSpec, Update, WriteOp,
};
use nubes_runtime::Store;

/// The 99th percentile of the standard normal distribution.
const Z99: f64 = 2.326_347_874;

/// Request latencies from AWS Lambda to DynamoDB in the same region, in ms: PutItem p50
/// 7.55 and p99 16.2, TransactWriteItems of 5 items p50 25.3 and p99 92.5 (Alex DeBrie,
/// "DynamoDB Transactions Performance Testing", February 2020,
/// github.com/alexdebrie/dynamodb-performance-testing). Reads, queries and batched reads
/// of small items are modelled as the single-item write.
pub const SINGLE_MS: (f64, f64) = (7.55, 16.2);
/// See [`SINGLE_MS`].
pub const TRANSACTION_MS: (f64, f64) = (25.3, 92.5);

/// A log-normal latency with a given median and 99th percentile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latency {
    mu: f64,
    sigma: f64,
}

impl Latency {
    /// The distribution whose median is `p50_ms` and 99th percentile `p99_ms`.
    pub fn new(p50_ms: f64, p99_ms: f64) -> Result<Latency, String> {
        if !(p50_ms > 0.0 && p99_ms >= p50_ms && p99_ms.is_finite()) {
            return Err(format!(
                "a latency needs 0 < p50 <= p99, not p50 {p50_ms} ms and p99 {p99_ms} ms"
            ));
        }
        Ok(Latency {
            mu: p50_ms.ln(),
            sigma: (p99_ms / p50_ms).ln() / Z99,
        })
    }

    /// One draw.
    pub fn sample(&self, rng: &mut fastrand::Rng) -> Duration {
        // Box–Muller: a standard normal from two uniforms in (0, 1].
        let (u, v) = (1.0 - rng.f64(), rng.f64());
        let z = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
        Duration::from_secs_f64((self.mu + self.sigma * z).exp() / 1_000.0)
    }
}

/// A store whose requests take as long as DynamoDB's, by the model.
pub struct ModelledStore {
    inner: Arc<dyn Store>,
    single: Latency,
    transaction: Latency,
    rng: Mutex<fastrand::Rng>,
}

impl ModelledStore {
    /// `inner` with single-item requests delayed by `single` and transactions by
    /// `transaction`; draws seeded with `seed`.
    pub fn new(inner: Arc<dyn Store>, single: Latency, transaction: Latency, seed: u64) -> Self {
        ModelledStore {
            inner,
            single,
            transaction,
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
        }
    }

    async fn delay(&self, latency: &Latency) {
        let wait = match self.rng.lock() {
            Ok(mut rng) => latency.sample(&mut rng),
            Err(_) => Duration::ZERO,
        };
        tokio::time::sleep(wait).await;
    }
}

#[async_trait]
impl Store for ModelledStore {
    async fn ensure_tables(&self, tables: &[TableSpec]) -> Result<(), StoreError> {
        self.inner.ensure_tables(tables).await
    }

    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.delay(&self.single).await;
        self.inner.get(key).await
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        // Batches of 100 go out in parallel: one delay.
        if !keys.is_empty() {
            self.delay(&self.single).await;
        }
        self.inner.batch_get(keys).await
    }

    async fn query(
        &self,
        table: &str,
        pk: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Page, StoreError> {
        self.delay(&self.single).await;
        self.inner
            .query(table, pk, prefix, start_after, limit)
            .await
    }

    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let latency = if ops.len() > 1 {
            &self.transaction
        } else {
            &self.single
        };
        self.delay(latency).await;
        self.inner.write(ops).await
    }

    async fn update_returning(
        &self,
        key: &Key,
        update: &Update,
        condition: &Condition,
    ) -> Result<Item, StoreError> {
        self.delay(&self.single).await;
        self.inner.update_returning(key, update, condition).await
    }

    fn stats(&self) -> &Stats {
        self.inner.stats()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_follow_the_fitted_percentiles() {
        let latency = Latency::new(7.55, 16.2).expect("a latency");
        let mut rng = fastrand::Rng::with_seed(3);
        let mut ms: Vec<f64> = (0..20_000)
            .map(|_| latency.sample(&mut rng).as_secs_f64() * 1_000.0)
            .collect();
        ms.sort_by(f64::total_cmp);
        let (p50, p99) = (ms[10_000], ms[19_800]);
        assert!((7.2..7.9).contains(&p50), "p50 {p50}");
        assert!((15.0..17.5).contains(&p99), "p99 {p99}");
        assert!(Latency::new(5.0, 4.0).is_err());
    }
}
