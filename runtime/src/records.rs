//! Result records: the outcome of each recent invocation, written in the same atomic
//! commit as its changes, so that a retry gets the stored outcome instead of running
//! again.
//!
//! A record lives in one of three places:
//!
//! - **inline**, in the `_inv` map of the object's own item: the newest records, at most
//!   [`Config::inline_records`] of them, and no more bytes than [`inline_budget`] allows
//!   beside the object's fields. A commit that touches only its object stays one
//!   single-item write, and a retry of a recent call is recognised by the read every call
//!   starts with.
//! - **spilled**: a commit that would leave more than that inline moves the oldest
//!   records out, in the same atomic write, into one *page* item in the object's
//!   partition (`sk = !inv#<order key of its newest record>#<version>`, expiring by
//!   `_ttl`), keeping the newest quarter. One page holds many records, so a busy
//!   object's call costs about one small write.
//! - **apart**, as an item of its own (`sk = inv#<invocation>`), written with the
//!   condition that it does not exist yet, so the store itself refuses a second commit
//!   and hands back the stored outcome: a large record, and the record of an id that is
//!   not a UUID v7 (nor derived from one), which has no place in the order below.
//!
//! Spilling, and keeping a large record apart, raise the object's `_spilled` to the
//! newest of the records moved out, by their [`order_key`] (UUID v7 ids sort by the time
//! they were made). So every committed record of a UUID v7 id after `_spilled` is inline:
//! a call whose id sorts later and is not inline has not committed, and runs without a
//! look anywhere else. Only a call whose id sorts at or before `_spilled` (a retry, or a
//! call overtaken by several later ones) looks up its record apart and in the pages
//! first. A call with another id looks up its record apart only when it would end without
//! a commit; otherwise the store's refusal of its record answers it.

use serde_json::{json, Map, Value};

use crate::config::Config;
use crate::error::Error;
use crate::layout::spill_sk;
use crate::store::capacity::value_size;
use crate::store::{version_of, Item, EXPIRES, INVOCATIONS, SPILLED};

/// The largest record kept inline, in bytes as DynamoDB counts them; larger ones go
/// apart, so one large result never weighs on every later call of its object.
pub(crate) const INLINE_RECORD_BYTES: usize = 400;

/// The fewest bytes of records an object's item may hold inline, however close its
/// fields take it to a whole write unit (see [`inline_budget`]).
pub(crate) const MIN_INLINE_BYTES: usize = 256;

/// The attribute of a page of spilled records that maps invocation ids to their records.
pub(crate) const PAGE_RECORDS: &str = "recs";

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
    /// In the `_inv` map of the object's item (from where it may spill).
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

/// The stored outcome of `invocation` in `page`, a page of spilled records, if it has one.
pub(crate) fn in_page(page: &Item, invocation: &str) -> Option<Result<Value, Error>> {
    outcome(page.get(PAGE_RECORDS)?.get(invocation)?.as_object()?)
}

/// The longest order key, in bytes: it is part of a page's sort key, which DynamoDB
/// limits to 1 KB, and ids come from callers.
const MAX_ORDER_KEY_BYTES: usize = 128;

/// Where `invocation` sorts among records, for a UUID v7 id or one derived from it
/// (`<uuid>.<step>…`): the UUID in its lowercase hyphenated form, so by the time it was
/// made, then the rest of the id, cut to [`MAX_ORDER_KEY_BYTES`] (cutting keeps the
/// order: ids that sort apart never sort the other way round, at most the same). `None`
/// for any other id.
pub(crate) fn order_key(invocation: &str) -> Option<String> {
    let (root, rest) = match invocation.split_once('.') {
        Some((root, rest)) => (root, Some(rest)),
        None => (invocation, None),
    };
    let uuid = uuid::Uuid::parse_str(root).ok()?;
    if uuid.get_version_num() != 7 {
        return None;
    }
    let mut key = uuid.hyphenated().to_string();
    if let Some(rest) = rest {
        key.push('.');
        key.push_str(rest);
    }
    let mut end = key.len().min(MAX_ORDER_KEY_BYTES);
    while !key.is_char_boundary(end) {
        end -= 1;
    }
    key.truncate(end);
    Some(key)
}

/// The order key of the newest record `item` moved out of its inline records.
fn spilled(item: &Item) -> Option<&str> {
    item.get(SPILLED).and_then(Value::as_str)
}

/// True when the record of `invocation`, a UUID v7 id, may be stored outside `item` (an
/// object or its tombstone): its id sorts at or before the item's `_spilled`. When false
/// and the record is not inline, the invocation has not committed on this object. Other
/// ids are never looked for up front (see the module's documentation).
pub(crate) fn may_be_outside(item: &Item, invocation: &str) -> bool {
    match (order_key(invocation), spilled(item)) {
        (Some(key), Some(spilled)) => key.as_str() <= spilled,
        _ => false,
    }
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

/// The inline records of `item` still inside the retention at `now_ms`.
fn live_inline<'a>(
    item: Option<&'a Item>,
    now_ms: u64,
    config: &Config,
) -> impl Iterator<Item = (&'a String, &'a Value)> {
    let keep = config.keep_records_ms();
    item.and_then(|item| item.get(INVOCATIONS))
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(move |(_, record)| {
            let at = record.get("at").and_then(Value::as_u64).unwrap_or(0);
            now_ms.saturating_sub(at) <= keep
        })
}

/// Where the record `record` of `invocation` goes: apart when it is large or the id has no
/// order key, inline otherwise.
pub(crate) fn place(invocation: &str, record: &Value) -> Placement {
    if value_size(record) > INLINE_RECORD_BYTES || order_key(invocation).is_none() {
        Placement::Apart
    } else {
        Placement::Inline
    }
}

/// A page of spilled records to write with a commit.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Page {
    /// Its sort key in the object's partition.
    pub(crate) sk: String,
    /// The item: the records and their expiry.
    pub(crate) item: Item,
}

/// The record bookkeeping of an object's next item.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Books {
    /// The records it keeps inline.
    pub(crate) inline: Map<String, Value>,
    /// Its `_spilled`, when it has one.
    pub(crate) spilled: Option<String>,
    /// The page the commit writes, when records spill.
    pub(crate) page: Option<Page>,
}

/// How many bytes of records an object whose item holds `fields_bytes` besides them may
/// keep inline: what is left of its last write unit (1 KB), so that records do not make
/// its writes dearer, but at least [`MIN_INLINE_BYTES`].
pub(crate) fn inline_budget(fields_bytes: usize) -> usize {
    let unit = 1024;
    let left = fields_bytes.div_ceil(unit).max(1) * unit - fields_bytes;
    left.max(MIN_INLINE_BYTES)
}

/// The size of `item` without its inline records, as DynamoDB counts it.
pub(crate) fn fields_bytes(item: &Item) -> usize {
    item.iter()
        .filter(|(name, _)| name.as_str() != INVOCATIONS)
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

/// The bookkeeping of an object stored as `original`, whose next item holds
/// `fields_bytes` besides its records, after a commit at `now_ms` that records `mine`
/// (invocation, record, placement) on it, or nothing: its live inline records plus an
/// inline `mine`. A commit that records on the object and would leave more than
/// [`Config::inline_records`] records or [`inline_budget`] bytes spills the oldest (by
/// [`order_key`]) into a page, down to a quarter of the records and half the budget. A
/// record kept apart with an order key, and every spilled one, raise `_spilled`, which
/// never goes down.
pub(crate) fn books(
    original: Option<&Item>,
    fields_bytes: usize,
    mine: Option<(&str, &Value, Placement)>,
    now_ms: u64,
    config: &Config,
) -> Books {
    let key = |id: &str| order_key(id).unwrap_or_default();
    let mut records: Vec<(String, String, Value)> = live_inline(original, now_ms, config)
        .map(|(id, record)| (key(id), id.clone(), record.clone()))
        .collect();
    let mut spilled = original.and_then(spilled).map(str::to_string);
    match mine {
        Some((id, record, Placement::Inline)) => {
            records.push((key(id), id.to_string(), record.clone()));
        }
        Some((id, _, Placement::Apart)) => {
            if let Some(key) = order_key(id) {
                spilled = spilled.max(Some(key));
            }
        }
        None => {}
    }
    let budget = inline_budget(fields_bytes);
    let bytes = |records: &[(String, String, Value)]| -> usize {
        records
            .iter()
            .map(|(_, id, record)| id.len() + value_size(record))
            .sum()
    };
    let mut page = None;
    let over = records.len() > config.inline_records || bytes(&records) > budget;
    if mine.is_some() && over {
        records.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        let mut keep = records.len().min(config.inline_records / 4);
        while keep > 0 && bytes(&records[records.len() - keep..]) > budget / 2 {
            keep -= 1;
        }
        let kept = records.split_off(records.len() - keep);
        let out = std::mem::replace(&mut records, kept);
        if let Some((newest, _, _)) = out.last() {
            let version = original.map_or(0, version_of);
            let sk = spill_sk(newest, version);
            spilled = spilled.max(Some(newest.clone()));
            let recs: Map<String, Value> = out
                .into_iter()
                .map(|(_, id, record)| (id, record))
                .collect();
            let item = Item::from_iter([
                (PAGE_RECORDS.to_string(), Value::Object(recs)),
                (
                    EXPIRES.to_string(),
                    Value::from(expiry_seconds(now_ms, config.keep_records_ms())),
                ),
            ]);
            page = Some(Page { sk, item });
        }
    }
    Books {
        inline: records
            .into_iter()
            .map(|(_, id, record)| (id, record))
            .collect(),
        spilled,
        page,
    }
}

/// Writes the record bookkeeping of an object's new item (built from `original`, see
/// [`books`]) into `item`, and returns the page the commit must write with it, if any.
pub(crate) fn keep_books(
    original: Option<&Item>,
    item: &mut Item,
    mine: Option<(&str, &Value, Placement)>,
    now_ms: u64,
    config: &Config,
) -> Option<Page> {
    let books = books(original, fields_bytes(item), mine, now_ms, config);
    item.insert(INVOCATIONS.to_string(), Value::Object(books.inline));
    match books.spilled {
        Some(spilled) => item.insert(SPILLED.to_string(), Value::from(spilled)),
        None => item.remove(SPILLED),
    };
    books.page
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config {
            inline_records: 4,
            ..Config::default()
        }
    }

    fn item(value: Value) -> Item {
        match value {
            Value::Object(map) => map,
            _ => Item::new(),
        }
    }

    /// The keys of a map value (none when it is not one).
    fn keys(value: &Value) -> Vec<&String> {
        value
            .as_object()
            .map(|map| map.keys().collect())
            .unwrap_or_default()
    }

    /// A UUID v7 id made at `ms`, distinct per `n`.
    fn id_at(ms: u64, n: u8) -> String {
        let ts =
            uuid::Timestamp::from_unix(uuid::NoContext, ms / 1000, (ms % 1000) as u32 * 1_000_000);
        let mut bytes = *uuid::Uuid::new_v7(ts).as_bytes();
        bytes[15] = n;
        uuid::Uuid::from_bytes(bytes).to_string()
    }

    #[test]
    fn small_records_go_inline_and_large_ones_apart() {
        let now = 10_000_000;
        let id = id_at(now, 1);
        assert_eq!(place(&id, &record(&Ok(json!(1)), now)), Placement::Inline);
        let large = record(&Ok(json!("x".repeat(INLINE_RECORD_BYTES))), now);
        assert_eq!(place(&id, &large), Placement::Apart);
        // An id that is not a UUID v7 has no place in the order of spilled records.
        assert_eq!(
            place("a-client-made-id", &record(&Ok(json!(1)), now)),
            Placement::Apart
        );
    }

    /// The item after a commit at `NOW` recording `id` (placed as `placement`) on an object
    /// stored as `stored`, with the page it spills, if any.
    fn commit(
        stored: Option<&Item>,
        id: &str,
        record: &Value,
        placement: Placement,
    ) -> (Item, Option<Page>) {
        let mut next = item(json!({ "n": 1 }));
        let page = keep_books(
            stored,
            &mut next,
            Some((id, record, placement)),
            NOW,
            &config(),
        );
        (next, page)
    }

    const NOW: u64 = 10_000_000;

    #[test]
    fn the_oldest_records_spill_into_one_page_past_the_limit() {
        let small = record(&Ok(json!(1)), NOW);
        let mut stored: Option<Item> = None;
        let mut ids = Vec::new();
        for n in 0..4u8 {
            let id = id_at(NOW - 1_000 + u64::from(n), n);
            let (next, page) = commit(stored.as_ref(), &id, &small, Placement::Inline);
            assert_eq!(page, None, "{} records fit inline", n + 1);
            ids.push(id);
            stored = Some(next);
        }
        // The fifth spills the four oldest, keeping the newest quarter (one record).
        let fifth = id_at(NOW, 9);
        let (next, page) = commit(stored.as_ref(), &fifth, &small, Placement::Inline);
        let page = page.expect("a page");
        assert_eq!(keys(&next[INVOCATIONS]), [&fifth]);
        let mut expected: Vec<&String> = ids.iter().collect();
        expected.sort();
        assert_eq!(keys(&page.item[PAGE_RECORDS]), expected);
        assert_eq!(next[SPILLED], json!(ids[3]));
        assert_eq!(page.sk, spill_sk(&ids[3], 0));
        // Records on an object whose fields nearly fill a write unit spill sooner.
        assert_eq!(inline_budget(100), 924);
        assert_eq!(inline_budget(1000), MIN_INLINE_BYTES);
        assert_eq!(inline_budget(1500), 548);
        // The invariant: every id made after `_spilled` that is not inline never committed.
        assert!(may_be_outside(&next, &ids[0]) && may_be_outside(&next, &ids[3]));
        assert!(!may_be_outside(&next, &fifth));
        assert!(!may_be_outside(&next, &id_at(NOW + 5, 1)));
        assert!(in_page(&page.item, &ids[2]).is_some());
    }

    #[test]
    fn records_spill_by_bytes_and_apart_records_raise_the_mark() {
        let big = record(&Ok(json!("x".repeat(INLINE_RECORD_BYTES - 40))), NOW);
        let mut stored = item(json!({}));
        for (n, ms) in [(1, NOW - 10), (2, NOW - 5)] {
            let (next, page) = commit(Some(&stored), &id_at(ms, n), &big, Placement::Inline);
            assert_eq!(page, None);
            stored = next;
        }
        let third = id_at(NOW - 1, 3);
        let (next, page) = commit(Some(&stored), &third, &big, Placement::Inline);
        let page = page.expect("three large records are too many bytes");
        assert_eq!(
            keys(&next[INVOCATIONS]),
            [&third],
            "the newest stays inline"
        );
        assert_eq!(page.item[PAGE_RECORDS].as_object().map(Map::len), Some(2));
        // A record kept apart raises `_spilled` without a page; it never goes down.
        let apart = id_at(NOW + 50, 4);
        let (after, page) = commit(Some(&next), &apart, &big, Placement::Apart);
        assert_eq!((&after[SPILLED], page), (&json!(apart), None));
        let (later, _) = commit(Some(&after), &id_at(NOW - 500, 5), &big, Placement::Apart);
        assert_eq!(later[SPILLED], json!(apart));
        // Other ids are never looked for up front, and never raise `_spilled`.
        assert!(!may_be_outside(&later, "a-client-made-id"));
        let (plain, _) = commit(Some(&later), "a-client-made-id", &big, Placement::Apart);
        assert_eq!(plain[SPILLED], json!(apart));
    }

    #[test]
    fn order_keys_follow_the_ids_and_stay_short() {
        let early = id_at(1_000, 1);
        let late = id_at(2_000, 1);
        assert!(order_key(&early) < order_key(&late));
        assert_eq!(order_key(&early.to_uppercase()), Some(early.clone()));
        let simple = early.replace('-', "");
        assert_eq!(order_key(&simple), Some(early.clone()));
        assert!(order_key(&format!("{early}.3")) > order_key(&early));
        assert_eq!(order_key("a-client-made-id"), None);
        // A UUID of another version (here v4) is not ordered by time.
        assert_eq!(order_key("1b4e28ba-2fa1-41d2-883f-0016d3cca427"), None);
        let long = format!("{early}.{}", "é".repeat(200));
        let key = order_key(&long).expect("a key");
        assert!(key.len() <= MAX_ORDER_KEY_BYTES && long.starts_with(&key));
        assert!(Some(key) > order_key(&early));
    }

    #[test]
    fn records_past_the_retention_are_dropped_not_spilled() {
        let stale = NOW - config().keep_records_ms() - 1;
        let (old, new, this) = (id_at(stale, 1), id_at(NOW, 2), id_at(NOW, 3));
        let original = item(json!({
            "_inv": { &old: { "at": stale, "ok": 1 }, &new: { "at": NOW, "ok": 2 } },
        }));
        let rec = record(&Ok(json!(3)), NOW);
        let (next, page) = commit(Some(&original), &this, &rec, Placement::Inline);
        assert_eq!(page, None);
        assert_eq!(
            next["_inv"],
            json!({ &new: { "at": NOW, "ok": 2 }, &this: { "at": NOW, "ok": 3 } })
        );
        assert!(!next.contains_key(SPILLED));
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
