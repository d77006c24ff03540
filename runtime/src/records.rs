//! Result records: the outcome of each recent invocation, kept in the `_inv` map of the
//! object it targeted and written in the same atomic commit as its changes. A retry
//! finds the record and gets the stored outcome instead of running again.

use serde_json::{json, Map, Value};

use crate::error::Error;
use crate::store::{Item, INVOCATIONS};

/// The record of an outcome at time `now_ms`.
pub fn record(outcome: &Result<Value, Error>, now_ms: u64) -> Value {
    match outcome {
        Ok(value) => json!({ "at": now_ms, "ok": value }),
        Err(error) => json!({ "at": now_ms, "err": error }),
    }
}

/// The stored outcome of `invocation` in `item`, if it has one.
pub fn lookup(item: &Item, invocation: &str) -> Option<Result<Value, Error>> {
    let record = item.get(INVOCATIONS)?.get(invocation)?;
    if let Some(value) = record.get("ok") {
        return Some(Ok(value.clone()));
    }
    let error = record.get("err")?;
    Some(Err(serde_json::from_value(error.clone()).unwrap_or_else(
        |_| Error::Store {
            message: format!("unreadable stored error: {error}"),
        },
    )))
}

/// The records of `item` that should go: those older than `window_ms`, then the oldest
/// beyond `cap`. Returns invocation ids.
pub fn expired(
    records: &Map<String, Value>,
    now_ms: u64,
    window_ms: u64,
    cap: usize,
) -> Vec<String> {
    let mut by_age: Vec<(u64, &String)> = records
        .iter()
        .map(|(id, record)| (record.get("at").and_then(Value::as_u64).unwrap_or(0), id))
        .collect();
    by_age.sort();
    let mut gone = Vec::new();
    let mut kept = by_age.len();
    for (at, id) in by_age {
        if now_ms.saturating_sub(at) > window_ms || kept > cap {
            gone.push(id.clone());
            kept -= 1;
        }
    }
    gone
}

/// Adds the record of `invocation` to `item` and prunes old records.
pub fn add(
    item: &mut Item,
    invocation: &str,
    record: Value,
    now_ms: u64,
    window_ms: u64,
    cap: usize,
) {
    let records = item
        .entry(INVOCATIONS.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if !records.is_object() {
        *records = Value::Object(Map::new());
    }
    if let Value::Object(records) = records {
        for id in expired(records, now_ms, window_ms, cap.saturating_sub(1)) {
            records.remove(&id);
        }
        records.insert(invocation.to_string(), record);
    }
}
