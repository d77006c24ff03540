//! Result records at any call rate, on both stores: a retry inside the dedup window gets
//! the first outcome however many calls its object took since — also after the object was
//! deleted and re-created; an object's item stays the size of its state plus a small
//! constant; large results keep working; what each call costs in capacity units.
//!
//! `NUBES_LATER_CALLS` sets how many calls follow the first one (default 10,000 on SQLite
//! and 1,000 on moto, whose every call takes milliseconds of Python; both are far past
//! the few records an item keeps inline and the seven a page holds).

mod samples;
#[macro_use]
mod support;

use std::sync::Arc;
use std::time::Duration;

use nubes_runtime::layout::{OBJECT_SK, SPILL_PREFIX};
use nubes_runtime::store::capacity::value_size;
use nubes_runtime::store::{Item, Key, StatsSnapshot, Store, EXPIRES};
use nubes_runtime::{Config, Error, Invocation, InvocationId, Runtime};
use samples::make;
use serde_json::{json, Value};

on_both_stores!(
    a_retry_gets_its_outcome_after_delete_and_recreate,
    capacity_units_per_call,
    large_results_keep_working,
    spilled_records_expire,
    a_call_overtaken_by_spilled_ones_runs_once,
    a_new_process_finds_a_spilled_setter_record,
    setters_alone_keep_the_item_small,
    a_result_too_large_to_record_changes_nothing,
    a_tombstone_that_records_lives_on,
    ids_from_far_ahead_are_refused,
);

fn call(object: &str, method: &str, args: Value) -> Invocation {
    Invocation {
        id: InvocationId::new(),
        type_name: "Counter".into(),
        object: object.into(),
        method: method.into(),
        args,
    }
}

/// How many calls follow the first one: `NUBES_LATER_CALLS`, or `default`.
fn later_calls(default: usize) -> usize {
    std::env::var("NUBES_LATER_CALLS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(default)
}

mod many_later_calls {
    use std::sync::Arc;

    use nubes_runtime::Store;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let store: Arc<dyn Store> = Arc::new(super::support::sqlite_store());
        let later = super::later_calls(10_000);
        super::a_retry_after_many_later_calls_gets_its_first_outcome(store, later).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dynamo() {
        let store: Arc<dyn Store> =
            Arc::new(super::support::dynamo_store("many_later_calls").await);
        let later = super::later_calls(1_000);
        super::a_retry_after_many_later_calls_gets_its_first_outcome(store, later).await;
    }
}

/// The object's item as stored, with its runtime attributes.
async fn raw(store: &dyn Store, id: &str) -> Item {
    store
        .get(&Key::new("Counter", id, OBJECT_SK))
        .await
        .expect("a read")
        .expect("the item exists")
}

/// Asserts that the runtime's attributes (names starting with `_`) of an object's item
/// take at most 1 KB, as DynamoDB counts bytes: the state plus a small constant.
fn assert_small(item: &Item, after: &str) {
    let bytes: usize = item
        .iter()
        .filter(|(name, _)| name.starts_with('_'))
        .map(|(name, value)| name.len() + value_size(value))
        .sum();
    assert!(
        bytes <= 1024,
        "after {after} the item holds {bytes} bytes of runtime attributes: {item:?}"
    );
}

/// The pages of records spilled from counter `id`.
async fn pages(store: &dyn Store, id: &str) -> Vec<Item> {
    let page = store
        .query("Counter", id, SPILL_PREFIX, None, 1000)
        .await
        .expect("a query");
    page.items.into_iter().map(|(_, item)| item).collect()
}

/// The page holding the record of `invocation`, if one does.
fn page_with(pages: &[Item], invocation: &InvocationId) -> Option<Item> {
    pages
        .iter()
        .find(|page| page["recs"].get(invocation.as_str()).is_some())
        .cloned()
}

/// True when counter item `item` holds the record of `invocation` inline.
fn inline(item: &Item, invocation: &InvocationId) -> bool {
    item.get("_inv")
        .and_then(|records| records.get(invocation.as_str()))
        .is_some()
}

/// Makes `n` increments by one of counter `object`.
async fn increments(runtime: &Runtime, object: &str, n: usize) {
    for _ in 0..n {
        runtime
            .invoke(&call(object, "increment", json!({ "by": 1 })))
            .await
            .expect("an increment");
    }
}

/// Sets the note of counter `c` with a fresh invocation.
async fn set_note(runtime: &Runtime, note: Value) {
    runtime
        .set_field(&InvocationId::new(), "Counter", "c", "note", note)
        .await
        .expect("a setter");
}

fn count(item: &Item) -> i64 {
    item.get("count").and_then(Value::as_i64).unwrap_or(-1)
}

fn stats(runtime: &Runtime) -> StatsSnapshot {
    runtime.store().stats().snapshot()
}

async fn a_retry_after_many_later_calls_gets_its_first_outcome(
    store: Arc<dyn Store>,
    later: usize,
) {
    let runtime = samples::runtime(store.clone(), Config::default()).await;
    make(&runtime, "Counter", "c", json!({ "count": 0, "note": "" })).await;
    let first = call("c", "increment", json!({ "by": 1 }));
    assert_eq!(runtime.invoke(&first).await, Ok(json!(1)));
    let first_set = InvocationId::new();
    runtime
        .set_field(&first_set, "Counter", "c", "note", json!("first"))
        .await
        .expect("a setter");
    let mut increments = 1;
    let mut last_note = json!("first");
    for n in 0..later {
        if n % 10 == 0 {
            increments += 1;
            let outcome = runtime
                .invoke(&call("c", "increment", json!({ "by": 1 })))
                .await;
            assert_eq!(outcome, Ok(json!(increments)), "later call {n}");
        } else {
            last_note = json!(format!("note {n}"));
            set_note(&runtime, last_note.clone()).await;
        }
    }
    // Both retries come long after their records would have fallen out of any cap.
    assert_eq!(
        runtime.invoke(&first).await,
        Ok(json!(1)),
        "a retry after {later} later calls got another outcome"
    );
    assert_eq!(
        runtime
            .set_field(&first_set, "Counter", "c", "note", json!("first"))
            .await,
        Ok(()),
    );
    let item = raw(store.as_ref(), "c").await;
    assert_eq!(count(&item), increments, "a retry changed the count");
    assert_eq!(
        item.get("note"),
        Some(&last_note),
        "a retried setter undid later ones"
    );
    assert_small(&item, &format!("{later} calls"));
}

async fn a_retry_gets_its_outcome_after_delete_and_recreate(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store.clone(), Config::default()).await;
    make(&runtime, "Counter", "c", json!({ "count": 0 })).await;
    // The first call's record spills into a page as later calls come …
    let early = call("c", "increment", json!({ "by": 1 }));
    assert_eq!(runtime.invoke(&early).await, Ok(json!(1)));
    increments(&runtime, "c", 8).await;
    // … this one stays inline.
    let late = call("c", "increment", json!({ "by": 100 }));
    assert_eq!(runtime.invoke(&late).await, Ok(json!(109)));
    let item = raw(store.as_ref(), "c").await;
    assert!(
        !inline(&item, &early.id) && inline(&item, &late.id),
        "{item:?}"
    );
    assert!(
        page_with(&pages(store.as_ref(), "c").await, &early.id).is_some(),
        "the early record is in no page"
    );
    let delete = InvocationId::new();
    runtime
        .delete(&delete, "Counter", "c")
        .await
        .expect("delete");
    assert_eq!(runtime.invoke(&early).await, Ok(json!(1)), "early, deleted");
    assert_eq!(runtime.invoke(&late).await, Ok(json!(109)), "late, deleted");
    assert_eq!(runtime.delete(&delete, "Counter", "c").await, Ok(()));
    assert_eq!(runtime.exists("Counter", "c").await, Ok(false));
    make(&runtime, "Counter", "c", json!({ "count": 500 })).await;
    assert_eq!(
        runtime.invoke(&early).await,
        Ok(json!(1)),
        "early, re-created"
    );
    assert_eq!(
        runtime.invoke(&late).await,
        Ok(json!(109)),
        "late, re-created"
    );
    assert_eq!(runtime.delete(&delete, "Counter", "c").await, Ok(()));
    assert_eq!(
        count(&raw(store.as_ref(), "c").await),
        500,
        "a retry changed state"
    );
    // A fresh call still runs.
    let fresh = call("c", "increment", json!({ "by": 1 }));
    assert_eq!(runtime.invoke(&fresh).await, Ok(json!(501)));
}

/// Round trips, read units and write units.
fn units(cost: StatsSnapshot) -> (u64, u64, u64) {
    (cost.round_trips, cost.read_units, cost.write_units)
}

/// Capacity units and round trips of one call, by DynamoDB's rules.
async fn measured<F: std::future::Future>(
    runtime: &Runtime,
    call: F,
) -> (F::Output, StatsSnapshot) {
    let before = stats(runtime);
    let output = call.await;
    (output, stats(runtime) - before)
}

async fn capacity_units_per_call(store: Arc<dyn Store>) {
    let config = Config::default();
    // Records spill once `inline_records` are inline, keeping a quarter: one call in every
    // `cycle` commits a page of records with its change.
    let kept = config.inline_records / 4;
    let cycle = (config.inline_records + 1 - kept) as u64;
    let runtime = samples::runtime(store.clone(), config.clone()).await;
    make(&runtime, "Counter", "quiet", json!({ "count": 0 })).await;
    make(&runtime, "Counter", "busy", json!({ "count": 0 })).await;
    increments(&runtime, "busy", 50).await;
    let increment = |object: &str| call(object, "increment", json!({}));
    // Quiet: a read and one single-item write; the setter one update.
    let (_, cost) = measured(&runtime, runtime.invoke(&increment("quiet"))).await;
    assert_eq!(units(cost), (2, 1, 1), "quiet increment");
    let id = InvocationId::new();
    let set = runtime.set_field(&id, "Counter", "quiet", "count", json!(7));
    let (_, cost) = measured(&runtime, set).await;
    assert_eq!(units(cost), (1, 0, 1), "quiet setter");
    // Busy, over a whole cycle: the same, but for one commit that is a transaction of the
    // object and a page (2 write units each, small items). Increments read first and know
    // when they spill; the setter's blind update is refused for want of room (a unit), and
    // then written with the page.
    let before = stats(&runtime);
    increments(&runtime, "busy", cycle as usize).await;
    let cost = stats(&runtime) - before;
    assert_eq!(
        units(cost),
        (2 * cycle, cycle, cycle - 1 + 4),
        "{cycle} busy increments"
    );
    let before = stats(&runtime);
    for _ in 0..cycle {
        runtime
            .set_field(&InvocationId::new(), "Counter", "busy", "count", json!(7))
            .await
            .expect("a setter");
    }
    let cost = stats(&runtime) - before;
    assert_eq!(
        units(cost),
        (cycle + 1, 0, cycle - 1 + 1 + 4),
        "{cycle} busy setters"
    );
    // Read-only calls read the object alone, however busy it is.
    for object in ["quiet", "busy"] {
        let (value, cost) =
            measured(&runtime, runtime.invoke(&call(object, "get", json!({})))).await;
        assert_eq!(value, Ok(json!(7)));
        assert_eq!(units(cost), (1, 1, 0), "{object} get");
    }
    // A duplicate of a recent call is its read, however busy the object.
    for object in ["quiet", "busy"] {
        let first = increment(object);
        runtime.invoke(&first).await.expect("an increment");
        let (again, cost) = measured(&runtime, runtime.invoke(&first)).await;
        assert_eq!(
            (again, cost.round_trips),
            (Ok(json!(8)), 1),
            "{object} duplicate"
        );
    }
    // One whose record spilled: the read, then its record apart and the pages, at once.
    let early = increment("busy");
    runtime.invoke(&early).await.expect("an increment");
    increments(&runtime, "busy", cycle as usize).await;
    let (again, cost) = measured(&runtime, runtime.invoke(&early)).await;
    assert_eq!(again, Ok(json!(9)), "a spilled duplicate");
    assert_eq!((cost.round_trips, cost.write_units), (3, 0), "{cost:?}");
}

async fn large_results_keep_working(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store.clone(), Config::default()).await;
    make(&runtime, "Counter", "c", json!({ "count": 0 })).await;
    let size = 300 * 1024;
    let mut kept = Vec::new();
    for n in 1..=100 {
        let invocation = call("c", "incrementAndEcho", json!({ "size": size }));
        let outcome = runtime.invoke(&invocation).await.expect("a large result");
        assert_eq!(outcome["count"], json!(n));
        assert_eq!(outcome["echo"].as_str().map(str::len), Some(size));
        if n % 25 == 0 {
            kept.push((invocation, outcome));
        }
    }
    for (invocation, outcome) in kept {
        assert_eq!(
            runtime.invoke(&invocation).await.as_ref(),
            Ok(&outcome),
            "a large retry"
        );
    }
    let item = raw(store.as_ref(), "c").await;
    assert_eq!(count(&item), 100);
    assert_small(&item, "100 large results");
    // The object can still change after all that.
    runtime
        .set_field(&InvocationId::new(), "Counter", "c", "count", json!(100))
        .await
        .expect("a setter");
    // A retry that would end without a commit still gets its outcome: it looks outside
    // the item, because the record kept apart raised the object's `_spilled`.
    let last = call("c", "incrementAndEcho", json!({ "size": 1000 }));
    let outcome = runtime.invoke(&last).await.expect("a large result");
    let gone = samples::runtime(store.clone(), Config::default()).await;
    gone.delete(&InvocationId::new(), "Counter", "c")
        .await
        .expect("delete");
    assert_eq!(
        gone.invoke(&last).await,
        Ok(outcome),
        "a retry after delete"
    );
}

async fn spilled_records_expire(store: Arc<dyn Store>) {
    let config = Config {
        inline_records: 0,
        ..Config::default()
    };
    let keep = config.keep_records_ms();
    let runtime = samples::runtime(store.clone(), config).await;
    make(&runtime, "Counter", "c", json!({ "count": 0 })).await;
    let invocation = call("c", "increment", json!({}));
    let before = now_seconds();
    runtime.invoke(&invocation).await.expect("an increment");
    let page = page_with(&pages(store.as_ref(), "c").await, &invocation.id)
        .expect("the record spilled into a page");
    let expires = page.get(EXPIRES).and_then(Value::as_u64).expect("a TTL");
    let keep = keep / 1000;
    assert!(
        (before + keep..=now_seconds() + keep + 1).contains(&expires),
        "the page expires at {expires}, not one retention ({keep} s) from now"
    );
}

fn now_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// An in-memory SQLite store whose expiry follows a manual clock that starts now.
fn embedded_store_on_a_manual_clock() -> (
    Arc<nubes_runtime::ManualClock>,
    Arc<nubes_runtime::store::sqlite::SqliteStore>,
    Arc<dyn Store>,
) {
    use nubes_runtime::store::sqlite::SqliteStore;
    use nubes_runtime::{Clock, ManualClock, SystemClock};
    let clock = Arc::new(ManualClock::new(SystemClock.now_ms()));
    let sqlite = Arc::new(
        SqliteStore::in_memory()
            .expect("a store")
            .with_clock(clock.clone()),
    );
    (clock, sqlite.clone(), sqlite)
}

/// The embedded store deletes expired tombstones and records by itself.
#[tokio::test]
async fn the_embedded_store_sweeps_what_expired() {
    use nubes_runtime::store::sqlite::{SWEEP_BATCH, SWEEP_EVERY_WRITES};
    let (clock, sqlite, store) = embedded_store_on_a_manual_clock();
    let config = Config {
        clock: clock.clone(),
        ..Config::default()
    };
    let runtime = samples::runtime(store.clone(), config.clone()).await;
    make(&runtime, "Counter", "gone", json!({ "count": 0 })).await;
    for _ in 0..20 {
        runtime
            .invoke(&call("gone", "increment", json!({})))
            .await
            .expect("an increment");
    }
    runtime
        .delete(&InvocationId::new(), "Counter", "gone")
        .await
        .expect("delete");
    let records = |store: Arc<dyn Store>| async move { pages(store.as_ref(), "gone").await.len() };
    assert!(records(store.clone()).await > 0, "no record spilled");
    // More items than one sweep looks at: the sweeps must go round the whole database.
    for n in 0..2 * SWEEP_BATCH {
        make(
            &runtime,
            "Counter",
            &format!("filler-{n}"),
            json!({ "count": 0 }),
        )
        .await;
    }
    // Nothing has expired yet: a sweep keeps everything.
    assert_eq!(sqlite.sweep_expired(), Ok(0));
    clock.advance(config.tombstone_ttl() + Duration::from_secs(2));
    // Steady load elsewhere: the store sweeps as it writes. (Ids without a time in them:
    // ids made now are in the past of the advanced clock.)
    let fields = samples::fields(json!({ "count": 0 }));
    runtime
        .create(
            &InvocationId::from("create-other"),
            "Counter",
            "other",
            fields,
        )
        .await
        .expect("create");
    for n in 0..4 * SWEEP_EVERY_WRITES {
        let id = InvocationId::from(format!("set-{n}").as_str());
        runtime
            .set_field(&id, "Counter", "other", "count", json!(1))
            .await
            .expect("a setter");
    }
    assert_eq!(
        records(store.clone()).await,
        0,
        "expired records were not swept"
    );
    let tombstone = store
        .get(&Key::new("Counter", "gone", OBJECT_SK))
        .await
        .expect("a read");
    assert_eq!(tombstone, None, "the expired tombstone was not swept");
    // What has not expired stays.
    assert_eq!(
        runtime
            .get("Counter", "other")
            .await
            .map(|f| f["count"].clone()),
        Ok(json!(1))
    );
    let after = Invocation {
        id: InvocationId::from("after-the-sweep"),
        ..call("gone", "increment", json!({}))
    };
    assert!(matches!(
        runtime.invoke(&after).await,
        Err(Error::NotFound { .. })
    ));
}

/// A call made before others but committed after them, when their records have already
/// spilled past it, looks for its record outside the item, finds none, and runs — once.
async fn a_call_overtaken_by_spilled_ones_runs_once(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store.clone(), Config::default()).await;
    make(&runtime, "Counter", "c", json!({ "count": 0 })).await;
    let overtaken = call("c", "increment", json!({ "by": 100 }));
    increments(&runtime, "c", 20).await;
    let item = raw(store.as_ref(), "c").await;
    let spilled = item.get("_spilled").and_then(Value::as_str).unwrap_or("");
    assert!(
        overtaken.id.as_str() < spilled,
        "later records did not spill past the overtaken call: {item:?}"
    );
    let before = stats(&runtime);
    assert_eq!(runtime.invoke(&overtaken).await, Ok(json!(120)));
    let cost = stats(&runtime) - before;
    // The read, the record apart and the pages (at once), the commit.
    assert_eq!(cost.round_trips, 4, "{cost:?}");
    assert_eq!(
        runtime.invoke(&overtaken).await,
        Ok(json!(120)),
        "its retry"
    );
    // Later calls spill its record into a page after pages of newer records: a retry
    // looks through them until it finds it.
    increments(&runtime, "c", 20).await;
    let pages = pages(store.as_ref(), "c").await;
    let holding = pages
        .iter()
        .position(|page| page["recs"].get(overtaken.id.as_str()).is_some())
        .expect("its record spilled");
    let newer = |page: &Item| {
        page["recs"]
            .as_object()
            .is_some_and(|recs| recs.keys().any(|id| id.as_str() > overtaken.id.as_str()))
    };
    let first_newer = pages.iter().position(newer).expect("newer records spilled");
    assert!(
        first_newer < holding,
        "no page of newer records precedes its own"
    );
    assert_eq!(
        runtime.invoke(&overtaken).await,
        Ok(json!(120)),
        "a late retry"
    );
    assert_eq!(count(&raw(store.as_ref(), "c").await), 140);
}

/// A setter's record that spilled is recognised by a process that has never seen the
/// object.
async fn a_new_process_finds_a_spilled_setter_record(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store.clone(), Config::default()).await;
    make(&runtime, "Counter", "c", json!({ "count": 0, "note": "" })).await;
    let first = InvocationId::new();
    runtime
        .set_field(&first, "Counter", "c", "note", json!("first"))
        .await
        .expect("a setter");
    // The create and these 18 setters leave five records inline, room for more: only the
    // object's `_spilled` can send the retry below to look outside.
    for n in 0..17 {
        set_note(&runtime, json!(format!("later {n}"))).await;
    }
    let item = raw(store.as_ref(), "c").await;
    assert!(
        !inline(&item, &first),
        "the first record did not spill: {item:?}"
    );
    let other = samples::runtime(store.clone(), Config::default()).await;
    let before = stats(&other);
    assert_eq!(
        other
            .set_field(&first, "Counter", "c", "note", json!("first"))
            .await,
        Ok(())
    );
    let cost = stats(&other) - before;
    assert_eq!(
        other.get("Counter", "c").await.map(|f| f["note"].clone()),
        Ok(json!("later 16")),
        "the retried setter undid a later one"
    );
    // The blind update is refused, then the record is looked for apart and in the pages.
    assert_eq!(cost.round_trips, 3, "{cost:?}");
}

/// Setters from processes that never read the object (no hints) still keep its item the
/// size of its state plus a small constant.
async fn setters_alone_keep_the_item_small(store: Arc<dyn Store>) {
    make(
        &samples::runtime(store.clone(), Config::default()).await,
        "Counter",
        "c",
        json!({ "count": 0 }),
    )
    .await;
    for n in 0..60 {
        let runtime = samples::runtime(store.clone(), Config::default()).await;
        runtime
            .set_field(&InvocationId::new(), "Counter", "c", "count", json!(n))
            .await
            .expect("a setter");
    }
    let item = raw(store.as_ref(), "c").await;
    assert_eq!(count(&item), 59);
    assert_small(&item, "60 setters without hints");
}

/// A result too large to keep for retries is refused, and the call changes nothing — the
/// same on both stores (DynamoDB could not store it, SQLite could).
async fn a_result_too_large_to_record_changes_nothing(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store.clone(), Config::default()).await;
    make(&runtime, "Counter", "c", json!({ "count": 0 })).await;
    let huge = call("c", "incrementAndEcho", json!({ "size": 500 * 1024 }));
    let refused = runtime.invoke(&huge).await;
    assert!(
        matches!(&refused, Err(Error::Validation { message }) if message.contains("result of Counter `c`.incrementAndEcho is 501 KB")),
        "{refused:?}"
    );
    assert_eq!(runtime.invoke(&huge).await, refused, "its retry");
    assert_eq!(
        count(&raw(store.as_ref(), "c").await),
        0,
        "the refused call changed state"
    );
}

/// A commit that records on a tombstone (a refused create, a cascade chunk) extends its
/// life, so the record — or the `_spilled` that sends a retry to it — outlives any retry.
async fn a_tombstone_that_records_lives_on(store: Arc<dyn Store>) {
    let config = Config::default();
    let runtime = samples::runtime(store.clone(), config.clone()).await;
    let soon = now_seconds() + 60;
    let tombstone = json!({ "_del": true, "_cascading": true, "_v": 1, "_ttl": soon });
    store
        .write(vec![nubes_runtime::store::WriteOp::Put {
            key: Key::new("Counter", "t", OBJECT_SK),
            item: samples::fields(tombstone),
            condition: nubes_runtime::store::Condition::Always,
        }])
        .await
        .expect("a tombstone");
    let create = InvocationId::new();
    let fields = samples::fields(json!({ "count": 1 }));
    let refused = runtime
        .create(&create, "Counter", "t", fields.clone())
        .await;
    assert!(
        matches!(&refused, Err(Error::Validation { .. })),
        "{refused:?}"
    );
    let item = raw(store.as_ref(), "t").await;
    let expires = item.get(EXPIRES).and_then(Value::as_u64).unwrap_or(0);
    let at_least = now_seconds() + config.tombstone_ttl().as_secs() - 5;
    assert!(
        expires >= at_least,
        "the tombstone still expires at {expires}, before {at_least}"
    );
    assert_eq!(
        runtime.create(&create, "Counter", "t", fields).await,
        refused
    );
}

/// An id made further ahead of the runtime's clock than the margin kept for clocks that
/// run ahead would outlive its record: it is refused.
async fn ids_from_far_ahead_are_refused(store: Arc<dyn Store>) {
    use nubes_runtime::{Clock, ManualClock, SystemClock};
    let behind = Duration::from_secs(60 * 60);
    let clock = Arc::new(ManualClock::new(
        SystemClock.now_ms() - behind.as_millis() as u64,
    ));
    let config = Config {
        clock,
        ..Config::default()
    };
    let runtime = samples::runtime(store.clone(), config).await;
    let fields = samples::fields(json!({ "count": 0 }));
    let refused = runtime
        .create(&InvocationId::new(), "Counter", "c", fields)
        .await;
    assert!(
        matches!(&refused, Err(Error::Validation { message }) if message.contains("ahead of this clock")),
        "{refused:?}"
    );
}

/// A retry accepted at the very end of the window must not meet an expired, swept record
/// and run again. Its record spilled, so it is looked up before the method runs: the retry
/// gets the first outcome and the slow method never runs.
#[tokio::test]
async fn a_slow_retry_at_the_end_of_the_window_runs_once() {
    let (clock, sqlite, store) = embedded_store_on_a_manual_clock();
    let config = Config {
        clock: clock.clone(),
        inline_records: 0,
        ..Config::default()
    };
    let runtime = samples::runtime(store.clone(), config.clone()).await;
    make(&runtime, "Counter", "c", json!({ "count": 0 })).await;
    let (slow_clock, slow_store) = (clock.clone(), sqlite.clone());
    let window = config.dedup_window;
    let ran = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let runs = ran.clone();
    let hook = samples::register_hook(
        "slow",
        Arc::new(move || {
            // The method runs for most of a window, and expired items are swept.
            runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            slow_clock.advance(window * 3 / 5);
            let _swept = slow_store.sweep_expired();
        }),
    );
    let first = call("c", "incrementAfter", json!({}));
    assert_eq!(runtime.invoke(&first).await, Ok(json!(1)));
    clock.advance(window - Duration::from_secs(1));
    let retry = Invocation {
        args: json!({ "hook": hook }),
        ..first.clone()
    };
    assert_eq!(runtime.invoke(&retry).await, Ok(json!(1)));
    assert_eq!(
        ran.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the retry ran"
    );
    assert_eq!(
        count(&raw(store.as_ref(), "c").await),
        1,
        "the retry ran again"
    );
}

/// A database file made before items had an expiry column gains it, filled in from the
/// items, so what expired there is swept too.
#[tokio::test]
async fn an_older_database_file_is_swept_too() {
    use nubes_runtime::store::sqlite::SqliteStore;
    let dir = std::env::temp_dir().join(format!("nubes-older-db-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let path = dir.join("older.sqlite");
    let older = rusqlite::Connection::open(&path).expect("an SQLite file");
    older
        .execute_batch(
            r#"CREATE TABLE nubes_tables (name TEXT PRIMARY KEY NOT NULL);
               INSERT INTO nubes_tables VALUES ('Counter');
               CREATE TABLE nubes_items (
                   tbl TEXT NOT NULL, pk TEXT NOT NULL, sk TEXT NOT NULL, item TEXT NOT NULL,
                   PRIMARY KEY (tbl, pk, sk)) WITHOUT ROWID;
               INSERT INTO nubes_items VALUES
                   ('Counter', 'gone', '#', '{"_del": true, "_ttl": 1}'),
                   ('Counter', 'kept', '#', '{"count": 1}');"#,
        )
        .expect("the older layout");
    drop(older);
    let store = SqliteStore::open(&path).expect("the older file opens");
    assert_eq!(store.sweep_expired(), Ok(1));
    let gone = store.get(&Key::new("Counter", "gone", OBJECT_SK)).await;
    assert_eq!(gone, Ok(None), "the expired tombstone stayed");
    let kept = store.get(&Key::new("Counter", "kept", OBJECT_SK)).await;
    assert!(matches!(kept, Ok(Some(_))), "an item without expiry went");
    drop(store);
    std::fs::remove_dir_all(&dir).expect("removing the temp dir");
}
