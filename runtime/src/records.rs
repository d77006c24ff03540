//! Result records: the outcome of each recent invocation, written in the same atomic
//! commit as its changes, so that a retry gets the stored outcome instead of running
//! again.
//!
//! A record lives in one of two places, decided per object:
//!
//! - **inline**, in the `_inv` map of the object's own item, while the object is quiet:
//!   at most [`Config::inline_records`] records younger than the retention, each small.
//!   A commit then stays one single-item write.
//! - **apart**, as an item of its own in the object's partition
//!   (`sk = inv#<invocation>`, expiring by `_ttl`), written with the condition that it
//!   does not exist yet, so the store itself refuses a second commit of the same
//!   invocation and reports the stored outcome in the same response.
//!
//! The switch is sticky: the first record kept apart sets the object's `_apart` to the
//! end of that record's retention, and every later one pushes it further. While `_apart`
//! lies ahead, every record of the object goes apart. So a retry inside the dedup window
//! of an invocation whose record is apart always finds the object in that mode, writes
//! its own record apart too, and is refused by the store. Inline records stay until they
//! age out, and are looked up on every read of the object.

use serde_json::{json, Map, Value};

use crate::config::Config;
use crate::error::Error;
use crate::store::capacity::value_size;
use crate::store::{Item, APART, EXPIRES, INVOCATIONS};

/// The largest record kept inline, in bytes as DynamoDB counts them; larger ones go
/// apart, so one large result never weighs on every later call of its object.
pub(crate) const INLINE_RECORD_BYTES: usize = 400;

/// The largest outcome a record can hold, in bytes as DynamoDB counts them: an item holds
/// at most 400 KB, and the record's key (up to 3 KB) and bookkeeping need the rest.
pub(crate) const MAX_RECORD_BYTES: usize = 396 * 1024;

/// `outcome`, or a validation error when it is too large to record: an outcome that could
/// not be stored could not be given to a retry, so the call must not take effect.
pub(crate) fn recordable(outcome: Result<Value, Error>, what: &str) -> Result<Value, Error> {
    let size = match &outcome {
        Ok(value) => value_size(value),
        Err(_) => return outcome,
    };
    if size > MAX_RECORD_BYTES {
        return Err(Error::validation(format!(
            "the result of {what} is {} KB; a result is recorded for retries and can be at most {} KB",
            size.div_ceil(1024),
            MAX_RECORD_BYTES / 1024
        )));
    }
    outcome
}

/// Where a commit writes its result record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    /// In the `_inv` map of the object's item.
    Inline,
    /// As an item of its own, conditioned on being absent.
    Apart,
}

/// The record of an outcome at time `now_ms`.
pub(crate) fn record(outcome: &Result<Value, Error>, now_ms: u64) -> Value {
    match outcome {
        Ok(value) => json!({ "at": now_ms, "ok": value }),
        Err(error) => json!({ "at": now_ms, "err": error }),
    }
}

/// The outcome a record holds (`None` when it holds none).
pub(crate) fn outcome(record: &Item) -> Option<Result<Value, Error>> {
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

/// The stored outcome of `invocation` inline in `item`, if it has one.
pub(crate) fn inline(item: &Item, invocation: &str) -> Option<Result<Value, Error>> {
    outcome(item.get(INVOCATIONS)?.get(invocation)?.as_object()?)
}

/// True when `item` (an object or its tombstone) keeps its records apart at `at_ms`.
pub(crate) fn is_apart(item: &Item, at_ms: u64) -> bool {
    apart_until(item).is_some_and(|until| until >= at_ms)
}

/// Until when `item` keeps its records apart, if it ever did.
pub(crate) fn apart_until(item: &Item) -> Option<u64> {
    item.get(APART).and_then(Value::as_u64)
}

/// The item of a record kept apart: the record (always an object, see [`record`]), and
/// its expiry for the table's TTL.
pub(crate) fn apart_item(record: &Value, now_ms: u64, config: &Config) -> Item {
    let mut item = record.as_object().cloned().unwrap_or_default();
    item.insert(
        EXPIRES.to_string(),
        Value::from(expiry_seconds(now_ms, config.keep_records_ms())),
    );
    item
}

/// A TTL value: `now_ms + keep_ms`, in whole seconds since the epoch, rounded up.
pub(crate) fn expiry_seconds(now_ms: u64, keep_ms: u64) -> u64 {
    (now_ms + keep_ms).div_ceil(1000)
}

/// The inline records of `item`, with whether each is still inside the retention at
/// `now_ms`.
fn inline_records<'a>(
    item: Option<&'a Item>,
    now_ms: u64,
    config: &Config,
) -> impl Iterator<Item = (&'a String, &'a Value, bool)> {
    let keep = config.keep_records_ms();
    item.and_then(|item| item.get(INVOCATIONS))
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(move |(id, record)| {
            let at = record.get("at").and_then(Value::as_u64).unwrap_or(0);
            (id, record, now_ms.saturating_sub(at) <= keep)
        })
}

/// The inline records of `item` still inside the retention at `now_ms`.
fn live_inline<'a>(
    item: Option<&'a Item>,
    now_ms: u64,
    config: &Config,
) -> impl Iterator<Item = (&'a String, &'a Value)> {
    inline_records(item, now_ms, config)
        .filter_map(|(id, record, live)| live.then_some((id, record)))
}

/// The ids of inline records of `item` that have outlived the retention at `now_ms`.
pub(crate) fn expired_inline(item: &Item, now_ms: u64, config: &Config) -> Vec<String> {
    inline_records(Some(item), now_ms, config)
        .filter(|(.., live)| !live)
        .map(|(id, ..)| id.clone())
        .collect()
}

/// Until when an object stored as `original` keeps its records apart once a record of a
/// commit at `now_ms` goes apart: the end of that record's retention, or a later time it
/// already had (`_apart` only moves forward).
pub(crate) fn apart_after(original: Option<&Item>, now_ms: u64, config: &Config) -> u64 {
    let until = original.and_then(apart_until).unwrap_or(0);
    until.max(now_ms + config.keep_records_ms())
}

/// Where the record `record` of a commit on an object stored as `original` goes: apart
/// when the object keeps its records apart at `started_ms` (when the invocation was
/// accepted), when the record is large, or when the object's inline records are full;
/// inline otherwise.
pub(crate) fn place(
    original: Option<&Item>,
    record: &Value,
    started_ms: u64,
    now_ms: u64,
    config: &Config,
) -> Placement {
    let apart = original.is_some_and(|item| is_apart(item, started_ms));
    let full = live_inline(original, now_ms, config).count() >= config.inline_records;
    if apart || full || value_size(record) > INLINE_RECORD_BYTES {
        Placement::Apart
    } else {
        Placement::Inline
    }
}

/// Writes the record bookkeeping of an object's new item (built from `original`): its
/// live inline records, plus `record` (invocation, record, placement) when this commit
/// records on it: inline, or apart with `_apart` pushed to the end of that record's
/// retention. An `_apart` is kept while it lies ahead and dropped once past.
pub(crate) fn keep_books(
    original: Option<&Item>,
    item: &mut Item,
    record: Option<(&str, Value, Placement)>,
    now_ms: u64,
    config: &Config,
) {
    let mut inline: Map<String, Value> = live_inline(original, now_ms, config)
        .map(|(id, record)| (id.clone(), record.clone()))
        .collect();
    let mut until = original
        .and_then(apart_until)
        .filter(|until| *until >= now_ms);
    match record {
        Some((invocation, record, Placement::Inline)) => {
            inline.insert(invocation.to_string(), record);
        }
        Some((_, _, Placement::Apart)) => until = Some(apart_after(original, now_ms, config)),
        None => {}
    }
    item.insert(INVOCATIONS.to_string(), Value::Object(inline));
    match until {
        Some(until) => item.insert(APART.to_string(), Value::from(until)),
        None => item.remove(APART),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config {
            inline_records: 2,
            ..Config::default()
        }
    }

    fn item(value: Value) -> Item {
        match value {
            Value::Object(map) => map,
            _ => Item::new(),
        }
    }

    #[test]
    fn quiet_objects_keep_small_records_inline_until_full() {
        let config = config();
        let now = 10_000_000;
        let small = record(&Ok(json!(1)), now);
        let empty = item(json!({ "n": 1 }));
        assert_eq!(
            place(Some(&empty), &small, now, now, &config),
            Placement::Inline
        );
        let one = item(json!({ "_inv": { "a": { "at": now, "ok": 1 } } }));
        assert_eq!(
            place(Some(&one), &small, now, now, &config),
            Placement::Inline
        );
        let two =
            item(json!({ "_inv": { "a": { "at": now, "ok": 1 }, "b": { "at": now, "ok": 2 } } }));
        assert_eq!(
            place(Some(&two), &small, now, now, &config),
            Placement::Apart
        );
        // Records past the retention no longer count.
        let stale = now - config.keep_records_ms() - 1;
        let old =
            item(json!({ "_inv": { "a": { "at": stale, "ok": 1 }, "b": { "at": now, "ok": 2 } } }));
        assert_eq!(
            place(Some(&old), &small, now, now, &config),
            Placement::Inline
        );
    }

    #[test]
    fn large_records_and_apart_objects_go_apart() {
        let config = config();
        let now = 10_000_000;
        let large = record(&Ok(json!("x".repeat(INLINE_RECORD_BYTES))), now);
        assert_eq!(place(None, &large, now, now, &config), Placement::Apart);
        let small = record(&Ok(json!(1)), now);
        let apart = item(json!({ "_apart": now }));
        assert_eq!(
            place(Some(&apart), &small, now, now, &config),
            Placement::Apart
        );
        assert_eq!(
            place(Some(&apart), &small, now + 1, now + 1, &config),
            Placement::Inline
        );
    }

    #[test]
    fn bookkeeping_prunes_and_keeps_the_switch_sticky() {
        let config = config();
        let now = 10_000_000;
        let keep = config.keep_records_ms();
        let stale = now - keep - 1;
        let original = item(json!({
            "_inv": { "old": { "at": stale, "ok": 1 }, "new": { "at": now, "ok": 2 } },
            "_apart": now + 5,
        }));
        let mut next = item(json!({ "n": 2 }));
        let rec = record(&Ok(json!(3)), now);
        keep_books(
            Some(&original),
            &mut next,
            Some(("this", rec.clone(), Placement::Apart)),
            now,
            &config,
        );
        assert_eq!(next["_inv"], json!({ "new": { "at": now, "ok": 2 } }));
        assert_eq!(next["_apart"], json!(now + keep));
        let mut inline = item(json!({ "n": 2 }));
        keep_books(
            Some(&original),
            &mut inline,
            Some(("this", rec, Placement::Inline)),
            now,
            &config,
        );
        assert_eq!(
            inline["_apart"],
            json!(now + 5),
            "an ahead `_apart` is kept"
        );
        assert_eq!(inline["_inv"]["this"]["ok"], json!(3));
        assert_eq!(expired_inline(&original, now, &config), ["old"]);
    }

    #[test]
    fn stored_outcomes_read_back() {
        let ok = record(&Ok(json!({ "a": 1 })), 5);
        assert_eq!(outcome(&item(ok.clone())), Some(Ok(json!({ "a": 1 }))));
        let err = record(&Err(Error::not_found("T", "x")), 5);
        assert_eq!(
            outcome(&item(err.clone())),
            Some(Err(Error::not_found("T", "x")))
        );
        let apart = apart_item(&ok, 1_500, &Config::default());
        assert_eq!(outcome(&apart), Some(Ok(json!({ "a": 1 }))));
        let inline_item = item(json!({ "_inv": { "i": ok, "j": err } }));
        assert_eq!(inline(&inline_item, "i"), Some(Ok(json!({ "a": 1 }))));
        assert_eq!(inline(&inline_item, "k"), None);
        assert_eq!(
            apart[EXPIRES],
            json!((1_500 + Config::default().keep_records_ms()).div_ceil(1000))
        );
    }
}
