//! Capacity units for the DynamoDB backend, counted by DynamoDB's rules
//! ([`crate::store::capacity`]) from the item sizes the store sees, the same way the
//! SQLite store counts them, so tests and benchmarks compare like with like.
//!
//! A write is charged by the larger of the item before and after it. The item after is
//! what the store writes (a put) or gets back (an update returns the new item); the item
//! before is remembered from the last time this store read or wrote it. An item the store
//! never saw counts as empty before the write, so the count is a lower bound there — the
//! runtime reads every object before it writes it, so its writes are counted exactly.
//! (AWS bills by its own measure; this count is for comparing designs and calls.)

use std::collections::HashMap;
use std::sync::Mutex;

use crate::store::capacity::{item_size, transact_write_units, write_units};
use crate::store::{Item, Key, Stats, WriteOp};

/// The most item sizes remembered; past this the memory starts over.
const MAX_REMEMBERED: usize = 65_536;

/// The last known size of items this store read or wrote.
#[derive(Debug, Default)]
pub(super) struct ItemSizes(Mutex<HashMap<Key, usize>>);

impl ItemSizes {
    /// The last known size of the item at `key`, `None` when absent or never seen.
    pub(super) fn get(&self, key: &Key) -> Option<usize> {
        self.0.lock().ok().and_then(|sizes| sizes.get(key).copied())
    }

    /// Remembers the item at `key` as it is now (`None`: absent); returns its size.
    pub(super) fn see(&self, key: &Key, item: Option<&Item>) -> Option<usize> {
        let size = item.map(|item| item_size(key, item));
        if let Ok(mut sizes) = self.0.lock() {
            match size {
                Some(size) => {
                    if sizes.len() >= MAX_REMEMBERED && !sizes.contains_key(key) {
                        sizes.clear();
                    }
                    sizes.insert(key.clone(), size);
                }
                None => {
                    sizes.remove(key);
                }
            }
        }
        size
    }

    /// Sets the size of the item at `key` without the item (an update whose new item was
    /// not returned keeps the size last seen).
    fn keep(&self, key: &Key, size: Option<usize>) {
        if let (Ok(mut sizes), Some(size)) = (self.0.lock(), size) {
            sizes.insert(key.clone(), size);
        }
    }

    /// Counts a successful single write of `op` whose item afterwards is `after` (for an
    /// update that returned it) and remembers the new size.
    pub(super) fn count_write(&self, stats: &Stats, op: &WriteOp, after: Option<&Item>) {
        let key = op.key();
        let before = self.get(key);
        let after = self.after(op, before, after);
        stats.write_units(write_units(before, after));
    }

    /// Counts a single conditional write refused on the item `current` (as the store
    /// reported it): DynamoDB charges it by that item's size.
    pub(super) fn count_refused(&self, stats: &Stats, key: &Key, current: Option<&Item>) {
        let before = match current {
            Some(item) => self.see(key, Some(item)),
            None => self.get(key),
        };
        stats.write_units(write_units(before, None));
    }

    /// Counts a successful transaction of `ops` and remembers the new sizes.
    pub(super) fn count_transaction(&self, stats: &Stats, ops: &[WriteOp]) {
        let actions: Vec<(Option<usize>, Option<usize>)> = ops
            .iter()
            .map(|op| {
                let before = self.get(op.key());
                (before, self.after(op, before, None))
            })
            .collect();
        stats.write_units(transact_write_units(actions));
    }

    /// The size of `op`'s item after it, remembered.
    fn after(&self, op: &WriteOp, before: Option<usize>, returned: Option<&Item>) -> Option<usize> {
        match op {
            WriteOp::Put { key, item, .. } => self.see(key, Some(item)),
            WriteOp::Delete { key, .. } => self.see(key, None),
            WriteOp::Check { .. } => before,
            WriteOp::Update { key, .. } => match returned {
                Some(item) => self.see(key, Some(item)),
                None => {
                    self.keep(key, before);
                    before
                }
            },
        }
    }
}
