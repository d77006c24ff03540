//! Fresh stores for test cases without fresh tables: each case's store puts a prefix of
//! its own in front of every partition key on tables the cases share. Creating a case's
//! tables on moto takes longer than the case itself, and a test that crashes at every
//! step makes hundreds of cases.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use nubes_runtime::store::{
    Condition, Item, Key, Page, Stats, Store, StoreError, TableSpec, Update, WriteOp,
};

/// Hands out stores over one shared store, each seeing only its own partitions.
pub struct Cases {
    shared: Arc<dyn Store>,
    ensured: Arc<Mutex<BTreeSet<String>>>,
    next: AtomicUsize,
}

impl Cases {
    /// Cases over `shared`.
    pub fn new(shared: Arc<dyn Store>) -> Self {
        Cases {
            shared,
            ensured: Arc::new(Mutex::new(BTreeSet::new())),
            next: AtomicUsize::new(0),
        }
    }

    /// A store that shares no item with any other this has made. Its counters are the
    /// shared store's.
    pub fn fresh(&self) -> Arc<dyn Store> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        Arc::new(CaseStore {
            shared: self.shared.clone(),
            ensured: self.ensured.clone(),
            prefix: format!("case{n}~"),
        })
    }
}

/// One case's view of the shared store.
struct CaseStore {
    shared: Arc<dyn Store>,
    ensured: Arc<Mutex<BTreeSet<String>>>,
    prefix: String,
}

impl CaseStore {
    fn key(&self, key: &Key) -> Key {
        Key {
            pk: format!("{}{}", self.prefix, key.pk),
            ..key.clone()
        }
    }

    fn op(&self, op: WriteOp) -> WriteOp {
        match op {
            WriteOp::Put {
                key,
                item,
                condition,
            } => WriteOp::Put {
                key: self.key(&key),
                item,
                condition,
            },
            WriteOp::Delete { key, condition } => WriteOp::Delete {
                key: self.key(&key),
                condition,
            },
            WriteOp::Check { key, condition } => WriteOp::Check {
                key: self.key(&key),
                condition,
            },
            WriteOp::Update {
                key,
                update,
                condition,
            } => WriteOp::Update {
                key: self.key(&key),
                update,
                condition,
            },
        }
    }
}

#[async_trait]
impl Store for CaseStore {
    /// Creates the tables no case has ensured yet.
    async fn ensure_tables(&self, tables: &[TableSpec]) -> Result<(), StoreError> {
        let missing: Vec<TableSpec> = {
            let ensured = self
                .ensured
                .lock()
                .expect("no test panics holding this lock");
            tables
                .iter()
                .filter(|table| !ensured.contains(&table.name))
                .cloned()
                .collect()
        };
        if missing.is_empty() {
            return Ok(());
        }
        self.shared.ensure_tables(&missing).await?;
        let mut ensured = self
            .ensured
            .lock()
            .expect("no test panics holding this lock");
        ensured.extend(missing.into_iter().map(|table| table.name));
        Ok(())
    }

    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.shared.get(&self.key(key)).await
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        let keys: Vec<Key> = keys.iter().map(|key| self.key(key)).collect();
        self.shared.batch_get(&keys).await
    }

    async fn query(
        &self,
        table: &str,
        pk: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let pk = format!("{}{pk}", self.prefix);
        self.shared
            .query(table, &pk, prefix, start_after, limit)
            .await
    }

    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let ops = ops.into_iter().map(|op| self.op(op)).collect();
        self.shared.write(ops).await
    }

    async fn update_returning(
        &self,
        key: &Key,
        update: &Update,
        condition: &Condition,
    ) -> Result<Item, StoreError> {
        self.shared
            .update_returning(&self.key(key), update, condition)
            .await
    }

    fn stats(&self) -> &Stats {
        self.shared.stats()
    }
}
