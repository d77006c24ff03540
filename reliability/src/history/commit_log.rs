//! The order in which calls committed, observed from below the runtime: [`CommitLog`]
//! wraps the real store, lets one write through at a time, and notes for each accepted
//! write the invocation ids it carries for the first time.
//!
//! A call's commit carries its result record — inline in its target's `_inv` map, as an
//! item `inv#<id>` of its own, or in a page of spilled records — so the first accepted
//! write that names a call's invocation id is the call's commit. Later writes name it
//! again (records ride along in their object's item, move into pages), never first. A
//! registered id that no write ever names did not commit.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

use nubes_runtime::async_trait::async_trait;
use nubes_runtime::store::StoreError;
use nubes_runtime::store::{Condition, Item, Key, Page, Stats, TableSpec, Update, WriteOp};
use nubes_runtime::{InvocationId, Store};

/// A [`Store`] that logs which registered invocations each accepted write committed, in
/// the order the store applied them. Writes (`write`, `update_returning`) go through one
/// at a time, so the order they return in is the order they took effect; reads pass
/// straight through.
pub struct CommitLog {
    inner: Arc<dyn Store>,
    /// Held across each write: one write in flight at a time.
    turn: tokio::sync::Mutex<()>,
    log: Mutex<Log>,
}

/// What the log knows.
#[derive(Default)]
struct Log {
    /// The invocation ids to look for.
    registered: HashSet<String>,
    /// The registered ids some accepted write has named.
    seen: HashSet<String>,
    /// Per accepted write that named registered ids for the first time, those ids.
    commits: Vec<Vec<InvocationId>>,
}

impl CommitLog {
    /// Wraps `inner`; nothing is registered yet.
    pub fn new(inner: Arc<dyn Store>) -> Self {
        CommitLog {
            inner,
            turn: tokio::sync::Mutex::new(()),
            log: Mutex::new(Log::default()),
        }
    }

    /// Looks for `id` in every later write. Register an invocation before sending it.
    pub fn register(&self, id: &InvocationId) {
        self.lock().registered.insert(id.0.clone());
    }

    /// How many commits of registered invocations the log holds: a position in the
    /// history. Every commit at a lower position took effect before this was read.
    pub fn len(&self) -> usize {
        self.lock().commits.len()
    }

    /// True when no registered invocation has committed yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The commits so far, in the order they took effect: for each, the registered
    /// invocations it was the first write to name (one, unless something is wrong).
    pub fn commits(&self) -> Vec<Vec<InvocationId>> {
        self.lock().commits.clone()
    }

    fn lock(&self) -> MutexGuard<'_, Log> {
        // A panic elsewhere while holding the lock leaves the log as it was: go on.
        self.log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Notes an accepted write whose operations, rendered, are `rendered`.
    fn accepted(&self, rendered: &str) {
        let mut log = self.lock();
        let mut first = Vec::new();
        for candidate in uuids(rendered) {
            if log.registered.contains(candidate) && !log.seen.contains(candidate) {
                log.seen.insert(candidate.to_string());
                first.push(InvocationId(candidate.to_string()));
            }
        }
        if !first.is_empty() {
            log.commits.push(first);
        }
    }
}

/// Every hyphenated, lowercase UUID in `text`, in order (an id may repeat).
fn uuids(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .filter(|token| token.len() >= 36)
        .flat_map(|token| {
            (0..=token.len() - 36)
                .map(move |at| &token[at..at + 36])
                .filter(|window| is_uuid(window))
        })
}

/// True for text shaped as `8-4-4-4-12` lowercase hex digits.
fn is_uuid(token: &str) -> bool {
    let bytes = token.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(at, byte)| match at {
            8 | 13 | 18 | 23 => *byte == b'-',
            _ => byte.is_ascii_digit() || (b'a'..=b'f').contains(byte),
        })
}

#[async_trait]
impl Store for CommitLog {
    async fn ensure_tables(&self, tables: &[TableSpec]) -> Result<(), StoreError> {
        self.inner.ensure_tables(tables).await
    }

    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.inner.get(key).await
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
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
        self.inner
            .query(table, pk, prefix, start_after, limit)
            .await
    }

    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let rendered = format!("{ops:?}");
        let _turn = self.turn.lock().await;
        let written = self.inner.write(ops).await;
        if written.is_ok() {
            self.accepted(&rendered);
        }
        written
    }

    async fn update_returning(
        &self,
        key: &Key,
        update: &Update,
        condition: &Condition,
    ) -> Result<Item, StoreError> {
        let _turn = self.turn.lock().await;
        let updated = self.inner.update_returning(key, update, condition).await;
        if updated.is_ok() {
            self.accepted(&format!("{key:?} {update:?}"));
        }
        updated
    }

    fn stats(&self) -> &Stats {
        self.inner.stats()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_found_wherever_they_are_written() {
        let a = "019b76da-a800-7000-8000-000000000001";
        let b = "019b76da-a800-7000-8000-00000000000f";
        let text = format!(
            "Put {{ sk: \"inv#{a}\", _inv: {{\"{b}\": 1}}, page: \"!inv#{a}#7\", child: \"{b}.2\" }}"
        );
        let found: Vec<&str> = uuids(&text).collect();
        assert_eq!(found, [a, b, a, b]);
        assert_eq!(uuids("019B76DA-A800-7000-8000-000000000001 x-y").count(), 0);
    }
}
