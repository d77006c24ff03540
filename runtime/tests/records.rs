//! Result records at any call rate, on both stores: a retry inside the dedup window gets
//! the first outcome however many calls its object took since — also after the object was
//! deleted and re-created; an object's item stays the size of its state plus a small
//! constant; large results keep working; what each call costs in capacity units.
//!
//! `NUBES_LATER_CALLS` sets how many calls follow the first one (default 10,000).

mod samples;
#[macro_use]
mod support;

use std::sync::Arc;
use std::time::Duration;

use nubes_runtime::layout::{OBJECT_SK, RECORD_PREFIX};
use nubes_runtime::store::capacity::value_size;
use nubes_runtime::store::{Item, Key, StatsSnapshot, Store, EXPIRES};
use nubes_runtime::{Config, Error, Invocation, InvocationId, Runtime};
use samples::make;
use serde_json::{json, Value};

on_both_stores!(
    a_retry_after_many_later_calls_gets_its_first_outcome,
    a_retry_gets_its_outcome_after_delete_and_recreate,
    capacity_units_per_call,
    large_results_keep_working,
    records_kept_apart_expire,
    the_switch_to_records_apart_is_sticky,
    a_new_process_recognises_a_setter_kept_apart,
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

fn later_calls() -> usize {
    std::env::var("NUBES_LATER_CALLS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(10_000)
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

fn count(item: &Item) -> i64 {
    item.get("count").and_then(Value::as_i64).unwrap_or(-1)
}

fn stats(runtime: &Runtime) -> StatsSnapshot {
    runtime.store().stats().snapshot()
}

async fn a_retry_after_many_later_calls_gets_its_first_outcome(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store.clone(), Config::default()).await;
    make(&runtime, "Counter", "c", json!({ "count": 0, "note": "" })).await;
    let first = call("c", "increment", json!({ "by": 1 }));
    assert_eq!(runtime.invoke(&first).await, Ok(json!(1)));
    let first_set = InvocationId::new();
    runtime
        .set_field(&first_set, "Counter", "c", "note", json!("first"))
        .await
        .expect("a setter");
    let later = later_calls();
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
            runtime
                .set_field(
                    &InvocationId::new(),
                    "Counter",
                    "c",
                    "note",
                    last_note.clone(),
                )
                .await
                .expect("a later setter");
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
    // The first call's record stays inline (the object is quiet then) …
    let early = call("c", "increment", json!({ "by": 1 }));
    assert_eq!(runtime.invoke(&early).await, Ok(json!(1)));
    for _ in 0..8 {
        runtime
            .invoke(&call("c", "increment", json!({ "by": 1 })))
            .await
            .expect("an increment");
    }
    // … this one goes apart: the object is busy by now.
    let late = call("c", "increment", json!({ "by": 100 }));
    assert_eq!(runtime.invoke(&late).await, Ok(json!(109)));
    let apart = Key::new("Counter", "c", format!("{RECORD_PREFIX}{}", late.id));
    assert!(
        store.get(&apart).await.expect("a read").is_some(),
        "the late record is not an item of its own"
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
    let runtime = samples::runtime(store.clone(), Config::default()).await;
    make(&runtime, "Counter", "quiet", json!({ "count": 0 })).await;
    make(&runtime, "Counter", "busy", json!({ "count": 0 })).await;
    for _ in 0..50 {
        runtime
            .invoke(&call("busy", "increment", json!({ "by": 1 })))
            .await
            .expect("warming up");
    }
    let increment = |object: &str| call(object, "increment", json!({}));
    // Quiet: a read and one single-item write; the setter one update. Busy: the record is
    // an item of its own, in a transaction with the object.
    for (object, rmw, set) in [
        ("quiet", (2, 1, 1), (1, 0, 1)),
        ("busy", (2, 1, 4), (1, 0, 4)),
    ] {
        let (_, cost) = measured(&runtime, runtime.invoke(&increment(object))).await;
        assert_eq!(units(cost), rmw, "{object} increment");
        let id = InvocationId::new();
        let set_count = runtime.set_field(&id, "Counter", object, "count", json!(7));
        let (_, cost) = measured(&runtime, set_count).await;
        assert_eq!(units(cost), set, "{object} setter");
    }
    // Read-only calls read the object alone, however busy it is.
    for object in ["quiet", "busy"] {
        let (value, cost) =
            measured(&runtime, runtime.invoke(&call(object, "get", json!({})))).await;
        assert_eq!(value, Ok(json!(7)));
        assert_eq!(units(cost), (1, 1, 0), "{object} get");
    }
    // A duplicate on a quiet object is its read; on a busy one, its read and the refused
    // commit.
    for (object, round_trips) in [("quiet", 1), ("busy", 2)] {
        let first = increment(object);
        runtime.invoke(&first).await.expect("an increment");
        let (again, cost) = measured(&runtime, runtime.invoke(&first)).await;
        assert_eq!(
            (again, cost.round_trips),
            (Ok(json!(8)), round_trips),
            "{object} duplicate"
        );
    }
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
        .set_field(&InvocationId::new(), "Counter", "c", "count", json!(0))
        .await
        .expect("a setter");
}

async fn records_kept_apart_expire(store: Arc<dyn Store>) {
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
    let record = store
        .get(&Key::new(
            "Counter",
            "c",
            format!("{RECORD_PREFIX}{}", invocation.id),
        ))
        .await
        .expect("a read")
        .expect("the record is an item of its own");
    let expires = record.get(EXPIRES).and_then(Value::as_u64).expect("a TTL");
    let keep = keep / 1000;
    assert!(
        (before + keep..=now_seconds() + keep + 1).contains(&expires),
        "the record expires at {expires}, not one retention ({keep} s) from now"
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
    let records = |store: Arc<dyn Store>| async move {
        store
            .query("Counter", "gone", RECORD_PREFIX, None, 1000)
            .await
            .expect("a query")
            .items
            .len()
    };
    assert!(records(store.clone()).await > 0, "no record was kept apart");
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

/// Once an object keeps its records apart, it goes on doing so for a whole retention
/// period, even after its inline records aged out: a retry whose record is apart must
/// find the object in that mode.
async fn the_switch_to_records_apart_is_sticky(store: Arc<dyn Store>) {
    use nubes_runtime::{Clock, ManualClock, SystemClock};
    let clock = Arc::new(ManualClock::new(SystemClock.now_ms()));
    let config = Config {
        clock: clock.clone(),
        ..Config::default()
    };
    let keep = Duration::from_millis(config.keep_records_ms());
    let runtime = samples::runtime(store.clone(), config.clone()).await;
    // Ids without a time in them: the test moves the clock, not the ids.
    let plain = |name: &str, by: i64| Invocation {
        id: InvocationId::from(name),
        ..call("c", "increment", json!({ "by": by }))
    };
    let fields = samples::fields(json!({ "count": 0 }));
    runtime
        .create(&InvocationId::from("create"), "Counter", "c", fields)
        .await
        .expect("create");
    for n in 0..config.inline_records {
        runtime
            .invoke(&plain(&format!("quiet-{n}"), 1))
            .await
            .expect("an increment");
    }
    clock.advance(keep / 2);
    let late = plain("late", 100);
    let first = runtime.invoke(&late).await.expect("the late call");
    // The inline records age out; the late record, apart, is still inside its retention.
    clock.advance(keep / 2 + Duration::from_secs(1));
    assert_eq!(
        runtime.invoke(&late).await,
        Ok(first.clone()),
        "the retry ran again"
    );
    let count = runtime
        .get("Counter", "c")
        .await
        .map(|f| f["count"].clone());
    assert_eq!(count, Ok(first), "the retry changed the count");
}

/// A setter's record kept apart is recognised by a process that has never seen the
/// object (no hint of where its records are).
async fn a_new_process_recognises_a_setter_kept_apart(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store.clone(), Config::default()).await;
    make(&runtime, "Counter", "c", json!({ "count": 0, "note": "" })).await;
    // One large result moves the object's records apart while its inline records still
    // have room: only the switch itself can send the retry below apart.
    runtime
        .invoke(&call("c", "incrementAndEcho", json!({ "size": 1000 })))
        .await
        .expect("a large result");
    let first = InvocationId::new();
    runtime
        .set_field(&first, "Counter", "c", "note", json!("first"))
        .await
        .expect("a setter");
    runtime
        .set_field(
            &InvocationId::new(),
            "Counter",
            "c",
            "note",
            json!("second"),
        )
        .await
        .expect("a setter");
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
        Ok(json!("second")),
        "the retried setter undid a later one"
    );
    // The blind inline update is refused, then the record is found apart.
    assert_eq!(cost.round_trips, 2, "{cost:?}");
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
/// life, so the record — or the `_apart` that points to it — outlives any retry.
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

/// A retry accepted at the very end of the window whose method runs long must not meet
/// an expired, swept record at its commit and run again: it is refused as too old.
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
    let hook = samples::register_hook(
        "slow",
        Arc::new(move || {
            // The method runs for most of a window, and expired items are swept.
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
    let outcome = runtime.invoke(&retry).await;
    assert!(
        matches!(&outcome, Err(Error::Expired { .. })),
        "{outcome:?}"
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
