//! One conformance suite for every store: each case is written once and runs on SQLite
//! (`sqlite::…`) and on DynamoDB (`dynamo::…`, moto unless `NUBES_DYNAMO_ENDPOINT` says
//! otherwise), with the same expected results, errors and counters. DynamoDB is the
//! reference. What only one backend can show lives in `sqlite_only` and `dynamo_only`.

#[macro_use]
mod support;

use std::sync::Arc;

use nubes_runtime::store::{
    Condition, Item, Key, Page, StatsSnapshot, Store, StoreError, TableSpec, Update, WriteOp,
    MAX_PK_BYTES, MAX_SK_BYTES,
};
use serde_json::{json, Value};

on_both_stores!(
    ensure_tables_is_idempotent_and_keeps_items,
    put_and_get_round_trip_every_json_kind,
    get_of_a_missing_item_is_none,
    a_put_holding_a_key_attribute_is_invalid,
    absent_condition_fails_on_an_existing_item,
    version_condition_guards_puts_updates_and_deletes,
    version_condition_compares_like_dynamodb,
    live_without_checks_existence_tombstone_and_invocation,
    inline_room_compares_the_spilled_mark_as_text_and_counts_records,
    a_failed_transaction_writes_nothing_and_names_the_operation,
    malformed_writes_are_invalid_without_a_request,
    a_transaction_of_one_hundred_operations_commits,
    deletes_count_as_written_even_of_absent_items,
    update_sets_removes_records_and_bumps,
    update_creates_a_missing_invocation_map,
    an_update_without_condition_creates_a_missing_item,
    an_empty_update_is_invalid_without_a_request,
    malformed_updates_are_invalid_without_a_request,
    update_returning_returns_the_new_item,
    a_failed_update_returning_reports_the_current_item,
    batch_get_keeps_order_with_missing_and_duplicate_keys,
    batch_get_of_no_keys_is_empty_without_a_request,
    query_pages_through_one_prefix,
    a_full_last_page_is_followed_by_an_empty_one,
    query_on_an_empty_partition_returns_an_empty_last_page,
    malformed_queries_are_invalid_without_a_request,
    malformed_keys_are_invalid_without_a_request,
    keys_of_the_largest_size_are_fine,
    unstorable_values_are_invalid_without_a_request,
    every_operation_on_a_missing_table_says_so,
);

// ---------------------------------------------------------------------------------------
// Helpers

const TABLE: &str = "objects";

/// Creates the test table.
async fn ready(store: &dyn Store) {
    store
        .ensure_tables(&[spec(TABLE)])
        .await
        .expect("the test table is created");
}

fn spec(name: &str) -> TableSpec {
    TableSpec {
        name: name.to_string(),
    }
}

fn key(pk: &str, sk: &str) -> Key {
    Key::new(TABLE, pk, sk)
}

fn item(value: Value) -> Item {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn put(key: Key, value: Value, condition: Condition) -> WriteOp {
    WriteOp::Put {
        key,
        item: item(value),
        condition,
    }
}

fn update_op(key: Key, update: Update, condition: Condition) -> WriteOp {
    WriteOp::Update {
        key,
        update,
        condition,
    }
}

fn set(name: &str, value: Value) -> Update {
    Update {
        set: vec![(name.to_string(), value)],
        ..Update::default()
    }
}

/// The requests and items the store counted since `before` (capacity units have cases
/// of their own).
fn delta(store: &dyn Store, before: StatsSnapshot) -> StatsSnapshot {
    StatsSnapshot {
        read_units: 0,
        write_units: 0,
        ..store.stats().snapshot() - before
    }
}

fn counted(round_trips: u64, items_read: u64, items_written: u64) -> StatsSnapshot {
    StatsSnapshot {
        round_trips,
        items_read,
        items_written,
        ..StatsSnapshot::default()
    }
}

/// `counts` with `items` items checked.
fn checked(counts: StatsSnapshot, items: u64) -> StatsSnapshot {
    StatsSnapshot {
        items_checked: items,
        ..counts
    }
}

async fn seed(store: &dyn Store, key: Key, value: Value) {
    store
        .write(vec![put(key, value, Condition::Always)])
        .await
        .expect("seeding an item");
}

async fn get(store: &dyn Store, key: &Key) -> Option<Item> {
    store.get(key).await.expect("a get")
}

fn assert_invalid<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str) {
    assert!(
        matches!(result, Err(StoreError::Invalid(_))),
        "{what}: {result:?}"
    );
}

/// Every page of `prefix` in partition `pk`, `limit` at a time.
async fn all_pages(store: &dyn Store, pk: &str, prefix: &str, limit: usize) -> Vec<Page> {
    let mut pages = Vec::new();
    let mut start_after: Option<String> = None;
    loop {
        let page = store
            .query(TABLE, pk, prefix, start_after.as_deref(), limit)
            .await
            .expect("a page");
        assert!(page.items.len() <= limit);
        let next = page.next.clone();
        pages.push(page);
        match next {
            Some(next) => start_after = Some(next),
            None => return pages,
        }
        assert!(pages.len() < 100, "paging does not end");
    }
}

/// A value of `depth` maps nested in each other.
fn nested(depth: usize) -> Value {
    (0..depth).fold(json!(1), |inner, _| json!({ "a": inner }))
}

// ---------------------------------------------------------------------------------------
// Tables

async fn ensure_tables_is_idempotent_and_keeps_items(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    seed(store, key("a", "#"), json!({"n": 1})).await;

    // Existing tables: one look-up each.
    let before = store.stats().snapshot();
    store
        .ensure_tables(&[spec(TABLE)])
        .await
        .expect("ensuring an existing table");
    assert_eq!(delta(store, before), counted(1, 0, 0));
    assert_eq!(
        get(store, &key("a", "#")).await,
        Some(item(json!({"n": 1})))
    );

    let before = store.stats().snapshot();
    store.ensure_tables(&[]).await.expect("no tables is fine");
    assert_eq!(delta(store, before), counted(0, 0, 0));

    for bad in ["", "a b", "täble", "x/y", &"t".repeat(256)] {
        assert_invalid(store.ensure_tables(&[spec(bad)]).await, bad);
    }
    assert_eq!(delta(store, before), counted(0, 0, 0));
}

// ---------------------------------------------------------------------------------------
// Puts, gets and conditions

async fn put_and_get_round_trip_every_json_kind(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    let value = json!({
        "name": "Grand Hotel",
        "empty": "",
        "rooms": 42,
        "delta": -17,
        "big": u64::MAX,
        "min": i64::MIN,
        "rate": 99.75,
        "tiny": 1e-120,
        "huge": -9.5e125,
        "open": true,
        "closed": false,
        "note": null,
        "tags": ["a", 1, -2.5, true, null, [], {}],
        "address": {"city": "Oslo", "geo": {"lat": 59.91, "lon": 10.75}, "lines": ["x", "y"]},
        "deep": nested(32),
        "ünïcode ✓": "ok",
        "_v": 1
    });
    let before = store.stats().snapshot();
    seed(store, key("h1", "#"), value.clone()).await;
    assert_eq!(delta(store, before), counted(1, 0, 1));

    let before = store.stats().snapshot();
    let read = get(store, &key("h1", "#")).await.expect("the item exists");
    assert_eq!(delta(store, before), counted(1, 1, 0));
    assert_eq!(Value::Object(read.clone()), value);
    assert!(!read.contains_key("pk") && !read.contains_key("sk"));

    // A put replaces the whole item.
    seed(store, key("h1", "#"), json!({"only": 1})).await;
    assert_eq!(
        get(store, &key("h1", "#")).await,
        Some(item(json!({"only": 1})))
    );
    // An empty item is an item.
    seed(store, key("e", "#"), json!({})).await;
    assert_eq!(get(store, &key("e", "#")).await, Some(Item::new()));
}

async fn get_of_a_missing_item_is_none(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    let before = store.stats().snapshot();
    assert_eq!(get(store, &key("nobody", "#")).await, None);
    assert_eq!(delta(store, before), counted(1, 0, 0));
}

async fn a_put_holding_a_key_attribute_is_invalid(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    let before = store.stats().snapshot();
    for bad in [
        json!({"pk": "other"}),
        json!({"sk": "x", "n": 1}),
        json!({"": 1}),
    ] {
        let alone = store
            .write(vec![put(key("a", "#"), bad.clone(), Condition::Always)])
            .await;
        assert_invalid(alone, &format!("{bad}"));
        let in_transaction = store
            .write(vec![
                put(key("b", "#"), json!({"n": 1}), Condition::Always),
                put(key("a", "#"), bad.clone(), Condition::Always),
            ])
            .await;
        assert_invalid(in_transaction, &format!("{bad} in a transaction"));
    }
    assert_eq!(
        delta(store, before),
        counted(0, 0, 0),
        "no request was sent"
    );
    assert_eq!(get(store, &key("a", "#")).await, None);
    assert_eq!(get(store, &key("b", "#")).await, None);
}

async fn absent_condition_fails_on_an_existing_item(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    let first = json!({"n": 1});
    store
        .write(vec![put(key("a", "#"), first.clone(), Condition::Absent)])
        .await
        .expect("the first put creates the item");

    let before = store.stats().snapshot();
    let result = store
        .write(vec![put(key("a", "#"), json!({"n": 2}), Condition::Absent)])
        .await;
    assert_eq!(
        result,
        Err(StoreError::ConditionFailed {
            index: Some(0),
            current: Some(item(first.clone())),
        })
    );
    assert_eq!(delta(store, before), counted(1, 0, 0));
    assert_eq!(get(store, &key("a", "#")).await, Some(item(first)));
}

async fn version_condition_guards_puts_updates_and_deletes(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    seed(store, key("a", "#"), json!({"n": 1, "_v": 1})).await;

    store
        .write(vec![put(
            key("a", "#"),
            json!({"n": 2, "_v": 2}),
            Condition::Version(1),
        )])
        .await
        .expect("version 1 matches");

    let stale = store
        .write(vec![put(
            key("a", "#"),
            json!({"n": 3, "_v": 2}),
            Condition::Version(1),
        )])
        .await;
    assert_eq!(
        stale,
        Err(StoreError::ConditionFailed {
            index: Some(0),
            current: Some(item(json!({"n": 2, "_v": 2}))),
        })
    );

    let bump = Update {
        set: vec![("n".into(), json!(10))],
        bump_version: true,
        ..Update::default()
    };
    let stale_update = store
        .write(vec![update_op(
            key("a", "#"),
            bump.clone(),
            Condition::Version(1),
        )])
        .await;
    assert_eq!(
        stale_update,
        Err(StoreError::ConditionFailed {
            index: Some(0),
            current: Some(item(json!({"n": 2, "_v": 2}))),
        })
    );

    let on_missing = store
        .write(vec![update_op(
            key("nobody", "#"),
            bump.clone(),
            Condition::Version(0),
        )])
        .await;
    assert_eq!(
        on_missing,
        Err(StoreError::ConditionFailed {
            index: Some(0),
            current: None
        })
    );
    assert_eq!(get(store, &key("nobody", "#")).await, None);

    let stale_delete = store
        .write(vec![WriteOp::Delete {
            key: key("a", "#"),
            condition: Condition::Version(7),
        }])
        .await;
    assert_eq!(
        stale_delete,
        Err(StoreError::ConditionFailed {
            index: Some(0),
            current: Some(item(json!({"n": 2, "_v": 2}))),
        })
    );

    let before = store.stats().snapshot();
    store
        .write(vec![WriteOp::Delete {
            key: key("a", "#"),
            condition: Condition::Version(2),
        }])
        .await
        .expect("version 2 matches");
    assert_eq!(delta(store, before), counted(1, 0, 1));
    assert_eq!(get(store, &key("a", "#")).await, None);
}

async fn version_condition_compares_like_dynamodb(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    let check = |pk: &str, version: u64| {
        vec![WriteOp::Check {
            key: key(pk, "#"),
            condition: Condition::Version(version),
        }]
    };
    // An item without `_v` is at version 0; an absent item is at no version.
    seed(store, key("plain", "#"), json!({"n": 1})).await;
    store
        .write(check("plain", 0))
        .await
        .expect("no `_v` is version 0");
    assert!(store.write(check("plain", 1)).await.is_err());
    assert_eq!(
        store.write(check("nobody", 0)).await,
        Err(StoreError::ConditionFailed {
            index: Some(0),
            current: None
        })
    );
    // A `_v` that is not a number matches no version, not even 0.
    seed(store, key("text", "#"), json!({"_v": "0"})).await;
    assert_eq!(
        store.write(check("text", 0)).await,
        Err(StoreError::ConditionFailed {
            index: Some(0),
            current: Some(item(json!({"_v": "0"}))),
        })
    );
    seed(store, key("negative", "#"), json!({"_v": -1})).await;
    assert!(store.write(check("negative", 0)).await.is_err());
    // Numbers compare by value.
    seed(store, key("float", "#"), json!({"_v": 2.0})).await;
    store
        .write(check("float", 2))
        .await
        .expect("2.0 is version 2");
}

async fn inline_room_compares_the_spilled_mark_as_text_and_counts_records(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    let room = |id: &str, order: &str| Condition::InlineRoom {
        invocation: id.to_string(),
        order: order.to_string(),
        max: 2,
    };
    let write = |pk: &str, condition: Condition| {
        let pk = pk.to_string();
        async move {
            store
                .write(vec![update_op(
                    key(&pk, "#"),
                    set("n", json!(1)),
                    condition,
                )])
                .await
        }
    };
    seed(
        store,
        key("quiet", "#"),
        json!({"_v": 1, "_inv": {"a": {}}}),
    )
    .await;
    write("quiet", room("b", "")).await.expect("no mark: room");
    seed(
        store,
        key("spilled", "#"),
        json!({"_v": 1, "_spilled": "0190-b", "_inv": {"a": {}}}),
    )
    .await;
    // Text order, not number order: "0190-c" sorts after "0190-b", "0190-a" and "0190-b"
    // do not, and neither does a mark that is not text.
    write("spilled", room("c", "0190-c"))
        .await
        .expect("an id after the mark");
    for order in ["0190-b", "0190-a", "0190", ""] {
        let refused = write("spilled", room("d", order)).await;
        assert!(
            matches!(refused, Err(StoreError::ConditionFailed { .. })),
            "{order}: {refused:?}"
        );
    }
    seed(store, key("number", "#"), json!({"_v": 1, "_spilled": 5})).await;
    assert!(write("number", room("e", "9")).await.is_err());
    // Room: fewer than `max` inline records.
    seed(
        store,
        key("full", "#"),
        json!({"_v": 1, "_inv": {"a": {}, "b": {}}}),
    )
    .await;
    assert!(write("full", room("c", "")).await.is_err());
    assert!(write("full", room("a", "")).await.is_err(), "a duplicate");
}

async fn live_without_checks_existence_tombstone_and_invocation(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    let live = json!({"n": 1, "_v": 1, "_inv": {"done-1": {"ok": 5}}});
    seed(store, key("live", "#"), live.clone()).await;
    seed(
        store,
        key("dead", "#"),
        json!({"_v": 2, "_del": true, "_inv": {}}),
    )
    .await;
    let update = |pk: &str, id: &str, n: i64| {
        update_op(
            key(pk, "#"),
            set("n", json!(n)),
            Condition::LiveWithout(id.to_string()),
        )
    };

    let duplicate = store.write(vec![update("live", "done-1", 2)]).await;
    assert_eq!(
        duplicate,
        Err(StoreError::ConditionFailed {
            index: Some(0),
            current: Some(item(live)),
        }),
        "the invocation already ran"
    );

    store
        .write(vec![update("live", "new-2", 3)])
        .await
        .expect("a new invocation on a live object");
    assert_eq!(
        get(store, &key("live", "#")).await.expect("exists")["n"],
        json!(3)
    );

    let tombstone = store.write(vec![update("dead", "new-2", 4)]).await;
    assert_eq!(
        tombstone,
        Err(StoreError::ConditionFailed {
            index: Some(0),
            current: Some(item(json!({"_v": 2, "_del": true, "_inv": {}}))),
        })
    );

    let missing = store.write(vec![update("nobody", "new-2", 5)]).await;
    assert_eq!(
        missing,
        Err(StoreError::ConditionFailed {
            index: Some(0),
            current: None
        })
    );
    assert_eq!(
        get(store, &key("nobody", "#")).await,
        None,
        "no item was created"
    );

    let live_check = |pk: &str, id: &str| WriteOp::Check {
        key: key(pk, "#"),
        condition: Condition::LiveWithout(id.to_string()),
    };
    let before = store.stats().snapshot();
    store
        .write(vec![live_check("live", "other")])
        .await
        .expect("a lone check that holds");
    assert_eq!(delta(store, before), checked(counted(1, 0, 0), 1));
    let before = store.stats().snapshot();
    let failed = store.write(vec![live_check("live", "done-1")]).await;
    assert!(
        matches!(
            &failed,
            Err(StoreError::ConditionFailed { index: Some(0), current: Some(current) })
                if current["n"] == json!(3)
        ),
        "{failed:?}"
    );
    assert_eq!(delta(store, before), counted(1, 0, 0));
}

// ---------------------------------------------------------------------------------------
// Transactions

async fn a_failed_transaction_writes_nothing_and_names_the_operation(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    seed(store, key("b", "#"), json!({"n": 1})).await;
    seed(store, key("c", "#"), json!({"n": 1, "_v": 1})).await;
    let ops = vec![
        put(key("a", "#"), json!({"n": 1}), Condition::Absent),
        put(key("b", "#"), json!({"n": 2}), Condition::Absent),
        update_op(
            key("c", "#"),
            Update {
                set: vec![("n".into(), json!(2))],
                bump_version: true,
                ..Update::default()
            },
            Condition::Version(1),
        ),
    ];

    let before = store.stats().snapshot();
    let result = store.write(ops.clone()).await;
    assert_eq!(
        result,
        Err(StoreError::ConditionFailed {
            index: Some(1),
            current: Some(item(json!({"n": 1}))),
        })
    );
    assert_eq!(delta(store, before), counted(1, 0, 0));
    assert_eq!(get(store, &key("a", "#")).await, None);
    assert_eq!(
        get(store, &key("b", "#")).await,
        Some(item(json!({"n": 1})))
    );
    assert_eq!(
        get(store, &key("c", "#")).await,
        Some(item(json!({"n": 1, "_v": 1})))
    );

    // A failed check on an absent item names it, with no current item.
    let mut on_absent = ops.clone();
    on_absent[1] = WriteOp::Check {
        key: key("x", "#"),
        condition: Condition::Version(0),
    };
    assert_eq!(
        store.write(on_absent).await,
        Err(StoreError::ConditionFailed {
            index: Some(1),
            current: None,
        })
    );
    assert_eq!(get(store, &key("a", "#")).await, None);

    // Without the failing operation, the rest commits in one round trip; checks are not
    // counted as written.
    let mut ops = ops;
    ops[1] = WriteOp::Check {
        key: key("b", "#"),
        condition: Condition::Version(0),
    };
    let before = store.stats().snapshot();
    store.write(ops).await.expect("the transaction commits");
    assert_eq!(delta(store, before), checked(counted(1, 0, 2), 1));
    assert_eq!(
        get(store, &key("a", "#")).await,
        Some(item(json!({"n": 1})))
    );
    assert_eq!(
        get(store, &key("c", "#")).await,
        Some(item(json!({"n": 2, "_v": 2})))
    );
}

async fn malformed_writes_are_invalid_without_a_request(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    let before = store.stats().snapshot();

    let twice = store
        .write(vec![
            put(key("a", "#"), json!({}), Condition::Always),
            WriteOp::Delete {
                key: key("a", "#"),
                condition: Condition::Always,
            },
        ])
        .await;
    assert_invalid(twice, "one item twice");

    let too_many: Vec<WriteOp> = (0..101)
        .map(|i| put(key(&format!("o{i}"), "#"), json!({}), Condition::Always))
        .collect();
    assert_invalid(store.write(too_many).await, "101 operations");

    assert_invalid(store.write(Vec::new()).await, "no operations");
    assert_eq!(delta(store, before), counted(0, 0, 0));
    assert_eq!(get(store, &key("a", "#")).await, None);
    assert_eq!(get(store, &key("o0", "#")).await, None);
}

async fn a_transaction_of_one_hundred_operations_commits(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    let ops: Vec<WriteOp> = (0..100)
        .map(|i| {
            put(
                key(&format!("o{i}"), "#"),
                json!({"i": i}),
                Condition::Absent,
            )
        })
        .collect();
    let before = store.stats().snapshot();
    store.write(ops).await.expect("100 operations commit");
    assert_eq!(delta(store, before), counted(1, 0, 100));
    assert_eq!(
        get(store, &key("o99", "#")).await,
        Some(item(json!({"i": 99})))
    );
}

async fn deletes_count_as_written_even_of_absent_items(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    let delete = |pk: &str| WriteOp::Delete {
        key: key(pk, "#"),
        condition: Condition::Always,
    };
    let before = store.stats().snapshot();
    store
        .write(vec![delete("nobody")])
        .await
        .expect("deleting an absent item");
    assert_eq!(delta(store, before), counted(1, 0, 1));

    seed(store, key("a", "#"), json!({"n": 1})).await;
    let before = store.stats().snapshot();
    store
        .write(vec![
            delete("a"),
            delete("ghost"),
            WriteOp::Check {
                key: key("c", "#"),
                condition: Condition::Always,
            },
        ])
        .await
        .expect("two deletes and a check");
    assert_eq!(delta(store, before), checked(counted(1, 0, 2), 1));
    assert_eq!(get(store, &key("a", "#")).await, None);

    let before = store.stats().snapshot();
    let absent = store
        .write(vec![WriteOp::Delete {
            key: key("a", "#"),
            condition: Condition::Version(0),
        }])
        .await;
    assert_eq!(
        absent,
        Err(StoreError::ConditionFailed {
            index: Some(0),
            current: None
        })
    );
    assert_eq!(delta(store, before), counted(1, 0, 0));
}

// ---------------------------------------------------------------------------------------
// Updates

async fn update_sets_removes_records_and_bumps(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    seed(
        store,
        key("a", "#"),
        json!({"keep": 1, "gone": 2, "_v": 3, "_inv": {"old": {"r": 1}, "stay": {"r": 2}}}),
    )
    .await;
    let update = Update {
        set: vec![
            ("keep".into(), json!("changed")),
            ("added".into(), json!([1, {"x": null}])),
        ],
        remove: vec!["gone".into(), "never-there".into()],
        add_invocations: vec![("new".into(), json!({"r": 3}))],
        remove_invocations: vec!["old".into(), "unknown".into()],
        bump_version: true,
    };
    let before = store.stats().snapshot();
    store
        .write(vec![update_op(
            key("a", "#"),
            update,
            Condition::LiveWithout("new".into()),
        )])
        .await
        .expect("the update applies");
    assert_eq!(delta(store, before), counted(1, 0, 1));
    assert_eq!(
        get(store, &key("a", "#")).await,
        Some(item(json!({
            "keep": "changed",
            "added": [1, {"x": null}],
            "_v": 4,
            "_inv": {"stay": {"r": 2}, "new": {"r": 3}}
        })))
    );
}

async fn update_creates_a_missing_invocation_map(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    seed(store, key("a", "#"), json!({"n": 1})).await;
    let update = Update {
        add_invocations: vec![("i1".into(), json!({"r": 1}))],
        remove_invocations: vec!["i0".into()],
        bump_version: true,
        ..Update::default()
    };
    // Round trips differ here: DynamoDB needs a second request (see `dynamo_only`).
    let items = |stats: StatsSnapshot| (stats.items_read, stats.items_written);

    let before = store.stats().snapshot();
    let after = store
        .update_returning(
            &key("a", "#"),
            &update,
            &Condition::LiveWithout("i1".into()),
        )
        .await
        .expect("the update applies");
    assert_eq!(items(delta(store, before)), (0, 1));
    assert_eq!(
        after,
        item(json!({"n": 1, "_v": 1, "_inv": {"i1": {"r": 1}}}))
    );

    // An update that creates the item.
    store
        .write(vec![update_op(
            key("fresh", "#"),
            update.clone(),
            Condition::Absent,
        )])
        .await
        .expect("the update creates the item");
    assert_eq!(
        get(store, &key("fresh", "#")).await,
        Some(item(json!({"_v": 1, "_inv": {"i1": {"r": 1}}})))
    );

    // Only removing records from a missing map leaves an empty one.
    seed(store, key("r", "#"), json!({"n": 1})).await;
    let remove_only = Update {
        remove_invocations: vec!["i0".into()],
        ..Update::default()
    };
    store
        .write(vec![update_op(
            key("r", "#"),
            remove_only,
            Condition::Always,
        )])
        .await
        .expect("removing from a missing map");
    assert_eq!(
        get(store, &key("r", "#")).await,
        Some(item(json!({"n": 1, "_inv": {}})))
    );

    // The same inside a transaction.
    seed(store, key("b", "#"), json!({"n": 2})).await;
    let before = store.stats().snapshot();
    store
        .write(vec![
            update_op(
                key("b", "#"),
                update.clone(),
                Condition::LiveWithout("i1".into()),
            ),
            put(key("c", "#"), json!({"n": 3}), Condition::Absent),
        ])
        .await
        .expect("the transaction commits");
    assert_eq!(items(delta(store, before)), (0, 2));
    assert_eq!(
        get(store, &key("b", "#")).await,
        Some(item(json!({"n": 2, "_v": 1, "_inv": {"i1": {"r": 1}}})))
    );

    // A failed condition is still reported as such.
    let duplicate = store
        .update_returning(
            &key("a", "#"),
            &update,
            &Condition::LiveWithout("i1".into()),
        )
        .await;
    assert_eq!(
        duplicate,
        Err(StoreError::ConditionFailed {
            index: Some(0),
            current: Some(after),
        })
    );
    // Also on a missing item.
    let missing = store
        .update_returning(
            &key("nobody", "#"),
            &update,
            &Condition::LiveWithout("i1".into()),
        )
        .await;
    assert_eq!(
        missing,
        Err(StoreError::ConditionFailed {
            index: Some(0),
            current: None,
        })
    );
    assert_eq!(get(store, &key("nobody", "#")).await, None);
}

async fn an_update_without_condition_creates_a_missing_item(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;

    let before = store.stats().snapshot();
    store
        .write(vec![update_op(
            key("set", "#"),
            set("n", json!(1)),
            Condition::Always,
        )])
        .await
        .expect("an update of a missing item");
    assert_eq!(delta(store, before), counted(1, 0, 1));
    assert_eq!(
        get(store, &key("set", "#")).await,
        Some(item(json!({"n": 1})))
    );

    // Even an update that only removes creates the (empty) item.
    let remove = Update {
        remove: vec!["n".into()],
        ..Update::default()
    };
    let before = store.stats().snapshot();
    let created = store
        .update_returning(&key("remove", "#"), &remove, &Condition::Always)
        .await
        .expect("a removing update of a missing item");
    assert_eq!(delta(store, before), counted(1, 0, 1));
    assert_eq!(created, Item::new());
    assert_eq!(get(store, &key("remove", "#")).await, Some(Item::new()));

    let bump = Update {
        bump_version: true,
        ..Update::default()
    };
    let created = store
        .update_returning(&key("bump", "#"), &bump, &Condition::Absent)
        .await
        .expect("a bump of a missing item");
    assert_eq!(created, item(json!({"_v": 1})));

    // Inside a transaction too.
    store
        .write(vec![
            update_op(key("tx", "#"), set("n", json!(2)), Condition::Always),
            update_op(key("bump", "#"), bump.clone(), Condition::Version(1)),
        ])
        .await
        .expect("a transaction creating an item by update");
    assert_eq!(
        get(store, &key("tx", "#")).await,
        Some(item(json!({"n": 2})))
    );
    assert_eq!(
        get(store, &key("bump", "#")).await,
        Some(item(json!({"_v": 2})))
    );
}

async fn an_empty_update_is_invalid_without_a_request(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    let before = store.stats().snapshot();
    assert_invalid(
        store
            .write(vec![update_op(
                key("a", "#"),
                Update::default(),
                Condition::Always,
            )])
            .await,
        "an empty update",
    );
    assert_invalid(
        store
            .write(vec![
                put(key("b", "#"), json!({"n": 1}), Condition::Always),
                update_op(key("a", "#"), Update::default(), Condition::Always),
            ])
            .await,
        "an empty update in a transaction",
    );
    assert_invalid(
        store
            .update_returning(&key("a", "#"), &Update::default(), &Condition::Always)
            .await,
        "an empty update_returning",
    );
    assert_eq!(delta(store, before), counted(0, 0, 0));
    assert_eq!(get(store, &key("a", "#")).await, None);
    assert_eq!(get(store, &key("b", "#")).await, None);
}

async fn malformed_updates_are_invalid_without_a_request(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    seed(store, key("a", "#"), json!({"n": 1, "_v": 1, "_inv": {}})).await;
    let bad = [
        ("sets pk", set("pk", json!("other"))),
        (
            "removes sk",
            Update {
                remove: vec!["sk".into()],
                ..Update::default()
            },
        ),
        ("sets an empty name", set("", json!(1))),
        (
            "sets and removes one name",
            Update {
                set: vec![("n".into(), json!(2))],
                remove: vec!["n".into()],
                ..Update::default()
            },
        ),
        (
            "sets one name twice",
            Update {
                set: vec![("n".into(), json!(2)), ("n".into(), json!(3))],
                ..Update::default()
            },
        ),
        (
            "sets _v and bumps it",
            Update {
                set: vec![("_v".into(), json!(5))],
                bump_version: true,
                ..Update::default()
            },
        ),
        (
            "removes _inv and adds to it",
            Update {
                remove: vec!["_inv".into()],
                add_invocations: vec![("i".into(), json!(1))],
                ..Update::default()
            },
        ),
        (
            "adds and removes one record",
            Update {
                add_invocations: vec![("i".into(), json!(1))],
                remove_invocations: vec!["i".into()],
                ..Update::default()
            },
        ),
        (
            "adds an empty invocation id",
            Update {
                add_invocations: vec![(String::new(), json!(1))],
                ..Update::default()
            },
        ),
    ];
    let before = store.stats().snapshot();
    for (what, update) in bad {
        assert_invalid(
            store
                .write(vec![update_op(
                    key("a", "#"),
                    update.clone(),
                    Condition::Always,
                )])
                .await,
            what,
        );
        assert_invalid(
            store
                .update_returning(&key("a", "#"), &update, &Condition::Always)
                .await,
            what,
        );
    }
    assert_eq!(delta(store, before), counted(0, 0, 0));
    assert_eq!(
        get(store, &key("a", "#")).await,
        Some(item(json!({"n": 1, "_v": 1, "_inv": {}})))
    );
}

async fn update_returning_returns_the_new_item(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    seed(store, key("a", "#"), json!({"n": 1, "_v": 5, "_inv": {}})).await;
    let update = Update {
        set: vec![("n".into(), json!(2))],
        add_invocations: vec![("i9".into(), json!("result"))],
        bump_version: true,
        ..Update::default()
    };
    let before = store.stats().snapshot();
    let after = store
        .update_returning(&key("a", "#"), &update, &Condition::Version(5))
        .await
        .expect("the update applies");
    assert_eq!(delta(store, before), counted(1, 0, 1));
    assert_eq!(
        after,
        item(json!({"n": 2, "_v": 6, "_inv": {"i9": "result"}}))
    );
    assert_eq!(get(store, &key("a", "#")).await, Some(after));
}

async fn a_failed_update_returning_reports_the_current_item(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    let current = json!({"n": 1, "_v": 5, "_inv": {"done": 1}});
    let dead = json!({"_v": 1, "_del": true, "_inv": {}});
    seed(store, key("a", "#"), current.clone()).await;
    seed(store, key("dead", "#"), dead.clone()).await;
    let record = Update {
        set: vec![("n".into(), json!(2))],
        add_invocations: vec![("i9".into(), json!("result"))],
        bump_version: true,
        ..Update::default()
    };
    // (Without records: whether a missing `_inv` or a failed condition is found first
    // is up to the server.)
    let plain = Update {
        set: vec![("n".into(), json!(2))],
        bump_version: true,
        ..Update::default()
    };
    let cases = [
        ("a", &record, Condition::Version(4), Some(current.clone())),
        ("a", &plain, Condition::Absent, Some(current.clone())),
        (
            "a",
            &record,
            Condition::LiveWithout("done".into()),
            Some(current.clone()),
        ),
        (
            "dead",
            &record,
            Condition::LiveWithout("i9".into()),
            Some(dead.clone()),
        ),
        ("nobody", &plain, Condition::Version(0), None),
        ("nobody", &plain, Condition::LiveWithout("i9".into()), None),
    ];
    for (pk, update, condition, expected) in cases {
        let before = store.stats().snapshot();
        let result = store
            .update_returning(&key(pk, "#"), update, &condition)
            .await;
        assert_eq!(
            result,
            Err(StoreError::ConditionFailed {
                index: Some(0),
                current: expected.map(item),
            }),
            "{pk} under {condition:?}"
        );
        assert_eq!(
            delta(store, before),
            counted(1, 0, 0),
            "{pk} under {condition:?}"
        );
    }
    assert_eq!(get(store, &key("a", "#")).await, Some(item(current)));
    assert_eq!(get(store, &key("dead", "#")).await, Some(item(dead)));
    assert_eq!(get(store, &key("nobody", "#")).await, None);
}

// ---------------------------------------------------------------------------------------
// Batched reads

async fn batch_get_keeps_order_with_missing_and_duplicate_keys(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    for chunk in (0..150).collect::<Vec<_>>().chunks(100) {
        let ops = chunk
            .iter()
            .map(|i| {
                put(
                    key(&format!("o{i}"), "#"),
                    json!({"i": i}),
                    Condition::Always,
                )
            })
            .collect();
        store.write(ops).await.expect("seeding");
    }
    // 150 present + 50 missing = 200 distinct keys, and 50 repeated: 250 in all.
    let mut keys: Vec<Key> = (0..200).map(|i| key(&format!("o{i}"), "#")).collect();
    keys.extend((0..50).map(|i| key(&format!("o{}", i * 4), "#")));
    fastrand::Rng::with_seed(7).shuffle(&mut keys);

    let before = store.stats().snapshot();
    let items = store.batch_get(&keys).await.expect("batch_get");
    assert_eq!(
        delta(store, before),
        counted(2, 150, 0),
        "ceil(200 distinct / 100) requests, each item read once"
    );
    assert_eq!(items.len(), keys.len());
    for (key, found) in keys.iter().zip(&items) {
        let i: u64 = key.pk[1..].parse().expect("a number");
        let expected = (i < 150).then(|| item(json!({"i": i})));
        assert_eq!(found, &expected, "{key}");
    }

    let before = store.stats().snapshot();
    let twice = store
        .batch_get(&[key("o1", "#"), key("o1", "#")])
        .await
        .expect("a duplicated key");
    assert_eq!(twice, vec![Some(item(json!({"i": 1}))); 2]);
    assert_eq!(delta(store, before), counted(1, 1, 0));

    // Exactly 100 distinct keys are one request.
    let hundred: Vec<Key> = (0..100).map(|i| key(&format!("o{i}"), "#")).collect();
    let before = store.stats().snapshot();
    store.batch_get(&hundred).await.expect("100 keys");
    assert_eq!(delta(store, before), counted(1, 100, 0));
}

async fn batch_get_of_no_keys_is_empty_without_a_request(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    let before = store.stats().snapshot();
    assert_eq!(store.batch_get(&[]).await, Ok(Vec::new()));
    assert_eq!(delta(store, before), counted(0, 0, 0));
}

// ---------------------------------------------------------------------------------------
// Queries

async fn query_pages_through_one_prefix(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    let mut ops = vec![put(
        key("p", "#"),
        json!({"owner": true}),
        Condition::Always,
    )];
    for i in 0..7 {
        ops.push(put(
            key("p", &format!("rel#rooms#r{i}")),
            json!({"i": i}),
            Condition::Always,
        ));
    }
    for i in 0..3 {
        ops.push(put(
            key("p", &format!("rel#staff#s{i}")),
            json!({"i": i}),
            Condition::Always,
        ));
        ops.push(put(
            key("q", &format!("rel#rooms#r{i}")),
            json!({"i": i}),
            Condition::Always,
        ));
    }
    ops.push(put(
        key("p", "rel#roomsX"),
        json!({"not": "a room"}),
        Condition::Always,
    ));
    store.write(ops).await.expect("seeding");

    let before = store.stats().snapshot();
    let pages = all_pages(store, "p", "rel#rooms#", 3).await;
    assert_eq!(
        pages
            .iter()
            .map(|page| page.items.len())
            .collect::<Vec<_>>(),
        vec![3, 3, 1]
    );
    assert_eq!(delta(store, before), counted(3, 7, 0));
    assert_eq!(pages[0].next.as_deref(), Some("rel#rooms#r2"));
    let seen: Vec<(String, Item)> = pages.into_iter().flat_map(|page| page.items).collect();
    let expected: Vec<(String, Item)> = (0..7)
        .map(|i| (format!("rel#rooms#r{i}"), item(json!({"i": i}))))
        .collect();
    assert_eq!(seen, expected);

    let before = store.stats().snapshot();
    let all = store
        .query(TABLE, "p", "", None, 100)
        .await
        .expect("the whole partition");
    assert_eq!(delta(store, before), counted(1, 12, 0));
    assert_eq!(all.items.len(), 12);
    assert_eq!(all.items[0].0, "#");
    assert_eq!(all.items[11].0, "rel#staff#s2");
    assert_eq!(all.next, None);

    // Starting after a key that is not stored works too.
    let page = store
        .query(TABLE, "p", "rel#rooms#", Some("rel#rooms#r3x"), 100)
        .await
        .expect("a page after an unstored key");
    let sks: Vec<&str> = page.items.iter().map(|(sk, _)| sk.as_str()).collect();
    assert_eq!(sks, vec!["rel#rooms#r4", "rel#rooms#r5", "rel#rooms#r6"]);
    assert_eq!(page.next, None);
}

async fn a_full_last_page_is_followed_by_an_empty_one(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    let ops = (0..6)
        .map(|i| {
            put(
                key("p", &format!("rel#e#{i}")),
                json!({"i": i}),
                Condition::Always,
            )
        })
        .collect();
    store.write(ops).await.expect("seeding");

    // As on DynamoDB: a page holding `limit` items always says where to go on.
    let before = store.stats().snapshot();
    let pages = all_pages(store, "p", "rel#e#", 3).await;
    assert_eq!(
        pages
            .iter()
            .map(|page| page.items.len())
            .collect::<Vec<_>>(),
        vec![3, 3, 0]
    );
    assert_eq!(pages[1].next.as_deref(), Some("rel#e#5"));
    assert_eq!(pages[2], Page::default());
    assert_eq!(delta(store, before), counted(3, 6, 0));

    let one = store
        .query(TABLE, "p", "rel#e#", None, 6)
        .await
        .expect("one full page");
    assert_eq!(one.items.len(), 6);
    assert_eq!(one.next.as_deref(), Some("rel#e#5"));
    let more = store
        .query(TABLE, "p", "rel#e#", None, 7)
        .await
        .expect("one page with room to spare");
    assert_eq!(more.items.len(), 6);
    assert_eq!(more.next, None);
}

async fn query_on_an_empty_partition_returns_an_empty_last_page(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    seed(store, key("other", "rel#x#1"), json!({})).await;
    let before = store.stats().snapshot();
    let page = store
        .query(TABLE, "nobody", "rel#", None, 5)
        .await
        .expect("an empty page");
    assert_eq!(page, Page::default());
    assert_eq!(delta(store, before), counted(1, 0, 0));

    let page = store
        .query(TABLE, "other", "rel#y#", None, 1)
        .await
        .expect("an empty prefix");
    assert_eq!(page, Page::default());
}

async fn malformed_queries_are_invalid_without_a_request(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    seed(store, key("p", "rel#a#1"), json!({})).await;
    let before = store.stats().snapshot();
    assert_invalid(
        store.query(TABLE, "p", "rel#", None, 0).await,
        "a limit of 0",
    );
    assert_invalid(
        store.query(TABLE, "p", "rel#b#", Some("rel#a#1"), 10).await,
        "a start outside the prefix",
    );
    assert_invalid(
        store.query(TABLE, "p", "rel#", Some(""), 10).await,
        "an empty start",
    );
    assert_invalid(
        store.query(TABLE, "", "rel#", None, 10).await,
        "an empty partition key",
    );
    assert_invalid(
        store.query("no such table", "p", "", None, 10).await,
        "a bad table name",
    );
    assert_eq!(delta(store, before), counted(0, 0, 0));
}

// ---------------------------------------------------------------------------------------
// Keys and values

async fn malformed_keys_are_invalid_without_a_request(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    let bad = [
        key("", "#"),
        key("a", ""),
        key(&"p".repeat(MAX_PK_BYTES + 1), "#"),
        key("a", &"s".repeat(MAX_SK_BYTES + 1)),
        Key::new("", "a", "#"),
        Key::new("a table", "a", "#"),
    ];
    let before = store.stats().snapshot();
    for bad in bad {
        let what = format!("{:?}", (&bad.table, bad.pk.len(), bad.sk.len()));
        assert_invalid(store.get(&bad).await, &what);
        assert_invalid(store.batch_get(&[key("a", "#"), bad.clone()]).await, &what);
        assert_invalid(
            store
                .write(vec![put(bad.clone(), json!({}), Condition::Always)])
                .await,
            &what,
        );
        assert_invalid(
            store
                .write(vec![
                    put(key("a", "#"), json!({}), Condition::Always),
                    WriteOp::Delete {
                        key: bad.clone(),
                        condition: Condition::Always,
                    },
                ])
                .await,
            &what,
        );
        assert_invalid(
            store
                .write(vec![WriteOp::Check {
                    key: bad.clone(),
                    condition: Condition::Absent,
                }])
                .await,
            &what,
        );
        assert_invalid(
            store
                .update_returning(&bad, &set("n", json!(1)), &Condition::Always)
                .await,
            &what,
        );
    }
    assert_eq!(delta(store, before), counted(0, 0, 0));
    assert_eq!(get(store, &key("a", "#")).await, None);
}

async fn keys_of_the_largest_size_are_fine(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    let pk = "p".repeat(MAX_PK_BYTES);
    let big = key(&pk, &"s".repeat(MAX_SK_BYTES));
    seed(store, big.clone(), json!({"n": 1})).await;
    assert_eq!(get(store, &big).await, Some(item(json!({"n": 1}))));
    let page = store
        .query(TABLE, &pk, "s", None, 10)
        .await
        .expect("a query of the largest keys");
    assert_eq!(page.items, vec![(big.sk.clone(), item(json!({"n": 1})))]);
}

async fn unstorable_values_are_invalid_without_a_request(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    seed(store, key("a", "#"), json!({"n": 1, "_inv": {}})).await;
    let bad = [
        ("too large", json!(1e126)),
        ("too small", json!(-1e-131)),
        ("too large in a list", json!([1, [2, 1e300]])),
        ("33 maps deep", nested(33)),
    ];
    let before = store.stats().snapshot();
    for (what, value) in bad {
        assert_invalid(
            store
                .write(vec![put(
                    key("b", "#"),
                    json!({ "v": value.clone() }),
                    Condition::Always,
                )])
                .await,
            what,
        );
        assert_invalid(
            store
                .update_returning(&key("a", "#"), &set("v", value.clone()), &Condition::Always)
                .await,
            what,
        );
    }
    // An invocation record sits one level down, in `_inv`.
    let record = |depth: usize| Update {
        add_invocations: vec![("i".into(), nested(depth))],
        ..Update::default()
    };
    assert_invalid(
        store
            .write(vec![update_op(
                key("a", "#"),
                record(32),
                Condition::Always,
            )])
            .await,
        "a record 32 maps deep",
    );
    assert_eq!(delta(store, before), counted(0, 0, 0));
    store
        .write(vec![update_op(
            key("a", "#"),
            record(31),
            Condition::Always,
        )])
        .await
        .expect("a record 31 maps deep");
    assert_eq!(get(store, &key("b", "#")).await, None);
}

// ---------------------------------------------------------------------------------------
// Missing tables

async fn every_operation_on_a_missing_table_says_so(store: Arc<dyn Store>) {
    let store = &*store;
    ready(store).await;
    fn missing<T>() -> Result<T, StoreError> {
        Err(StoreError::MissingTable("ghost".to_string()))
    }
    let ghost = Key::new("ghost", "a", "#");
    let put_ghost = WriteOp::Put {
        key: ghost.clone(),
        item: Item::new(),
        condition: Condition::Always,
    };
    let bump = Update {
        bump_version: true,
        ..Update::default()
    };

    // Each is one request that fails.
    let one_request = |before: StatsSnapshot, what: &str| {
        assert_eq!(delta(store, before), counted(1, 0, 0), "{what}");
    };
    let before = store.stats().snapshot();
    assert_eq!(store.get(&ghost).await, missing());
    one_request(before, "get");
    let before = store.stats().snapshot();
    assert_eq!(
        store
            .batch_get(&[ghost.clone(), Key::new("ghost", "b", "#")])
            .await,
        missing()
    );
    one_request(before, "batch_get");
    let before = store.stats().snapshot();
    assert_eq!(store.query("ghost", "a", "rel#", None, 10).await, missing());
    one_request(before, "query");
    let before = store.stats().snapshot();
    assert_eq!(store.write(vec![put_ghost.clone()]).await, missing());
    one_request(before, "put");
    let before = store.stats().snapshot();
    assert_eq!(
        store
            .write(vec![WriteOp::Delete {
                key: ghost.clone(),
                condition: Condition::Always
            }])
            .await,
        missing()
    );
    one_request(before, "delete");
    let before = store.stats().snapshot();
    assert_eq!(
        store
            .write(vec![update_op(
                ghost.clone(),
                bump.clone(),
                Condition::Always
            )])
            .await,
        missing()
    );
    one_request(before, "update");
    let before = store.stats().snapshot();
    assert_eq!(
        store
            .update_returning(&ghost, &bump, &Condition::Always)
            .await,
        missing()
    );
    one_request(before, "update_returning");
    let before = store.stats().snapshot();
    assert_eq!(
        store
            .write(vec![WriteOp::Check {
                key: ghost.clone(),
                condition: Condition::Absent
            }])
            .await,
        missing()
    );
    one_request(before, "check");

    // Several tables at once: the error names the missing one and nothing is written.
    // (DynamoDB may spend more requests finding which table it is: see `dynamo_only`.)
    let mixed = store
        .write(vec![
            put(key("a", "#"), json!({}), Condition::Always),
            put_ghost,
        ])
        .await;
    assert_eq!(mixed, missing());
    assert_eq!(
        store.batch_get(&[key("a", "#"), ghost.clone()]).await,
        missing()
    );
    assert_eq!(
        get(store, &key("a", "#")).await,
        None,
        "nothing was written"
    );
}

// ---------------------------------------------------------------------------------------
// DynamoDB only

mod dynamo_only {
    use super::*;
    use nubes_runtime::store::dynamo::DynamoStore;

    /// A DynamoDB store with the test table created.
    async fn store(test_name: &str) -> DynamoStore {
        let store = support::dynamo_store(test_name).await;
        ready(&store).await;
        store
    }

    #[tokio::test]
    async fn ensure_tables_creates_tables_with_ttl() {
        let store = support::dynamo_store("ensure").await;
        let tables = [spec("alpha"), spec("beta")];

        let before = store.stats().snapshot();
        store
            .ensure_tables(&tables)
            .await
            .expect("first ensure_tables");
        // Per table: DescribeTable, CreateTable, DescribeTable (ACTIVE), UpdateTimeToLive.
        assert_eq!(delta(&store, before), counted(8, 0, 0));

        let before = store.stats().snapshot();
        store
            .ensure_tables(&tables)
            .await
            .expect("second ensure_tables");
        assert_eq!(
            delta(&store, before),
            counted(2, 0, 0),
            "only one DescribeTable per table"
        );

        for table in ["alpha", "beta"] {
            let ttl = store
                .client()
                .describe_time_to_live()
                .table_name(store.table_name(table))
                .send()
                .await
                .expect("DescribeTimeToLive");
            let description = ttl.time_to_live_description.expect("a TTL description");
            assert_eq!(description.attribute_name.as_deref(), Some("_ttl"));
        }
    }

    #[tokio::test]
    async fn an_unreachable_server_is_unavailable() {
        let store = DynamoStore::builder()
            .endpoint_url("http://127.0.0.1:9")
            .table_prefix("unreachable-")
            .build();
        let result = store.get(&key("a", "#")).await;
        assert!(
            matches!(result, Err(StoreError::Unavailable(_))),
            "{result:?}"
        );
        assert!(result.is_err_and(|err| err.is_retryable()));
        assert!(store.stats().snapshot().round_trips >= 1);
    }

    #[tokio::test]
    async fn a_missing_invocation_map_costs_a_second_request() {
        let store = store("invmap-cost").await;
        seed(&store, key("a", "#"), json!({"n": 1})).await;
        seed(&store, key("b", "#"), json!({"n": 2})).await;
        let update = Update {
            add_invocations: vec![("i1".into(), json!({"r": 1}))],
            bump_version: true,
            ..Update::default()
        };
        // DynamoDB cannot set `_inv.i1` while `_inv` is missing: the store writes the map
        // whole in a second request.
        let before = store.stats().snapshot();
        store
            .update_returning(
                &key("a", "#"),
                &update,
                &Condition::LiveWithout("i1".into()),
            )
            .await
            .expect("the update applies");
        assert_eq!(delta(&store, before), counted(2, 0, 1));

        let before = store.stats().snapshot();
        store
            .write(vec![
                update_op(key("b", "#"), update.clone(), Condition::Always),
                put(key("c", "#"), json!({"n": 3}), Condition::Absent),
            ])
            .await
            .expect("the transaction commits");
        assert_eq!(delta(&store, before), counted(2, 0, 2));

        // Once the map exists, one request.
        let before = store.stats().snapshot();
        store
            .update_returning(
                &key("a", "#"),
                &Update {
                    add_invocations: vec![("i2".into(), json!({"r": 2}))],
                    ..Update::default()
                },
                &Condition::Always,
            )
            .await
            .expect("the update applies");
        assert_eq!(delta(&store, before), counted(1, 0, 1));
    }

    #[tokio::test]
    async fn a_missing_table_among_several_is_looked_up() {
        let store = store("multi-missing").await;
        let ghost = Key::new("ghost", "a", "#");
        let tables = 2;

        // When the server does not name the missing table, one DescribeTable per table
        // at most finds it.
        let before = store.stats().snapshot();
        let mixed = store
            .write(vec![
                put(key("a", "#"), json!({}), Condition::Always),
                put(ghost.clone(), json!({}), Condition::Always),
            ])
            .await;
        assert_eq!(mixed, Err(StoreError::MissingTable("ghost".into())));
        let spent = delta(&store, before);
        assert!((1..=1 + tables).contains(&spent.round_trips), "{spent:?}");
        assert_eq!((spent.items_read, spent.items_written), (0, 0));

        let before = store.stats().snapshot();
        let batch = store.batch_get(&[key("a", "#"), ghost]).await;
        assert_eq!(batch, Err(StoreError::MissingTable("ghost".into())));
        let spent = delta(&store, before);
        assert!((1..=1 + tables).contains(&spent.round_trips), "{spent:?}");
    }
}

// ---------------------------------------------------------------------------------------
// SQLite only

mod sqlite_only {
    use super::*;
    use nubes_runtime::store::sqlite::SqliteStore;
    use std::path::PathBuf;

    /// A database file of its own, removed when dropped.
    struct TempDatabase(PathBuf);

    impl TempDatabase {
        fn new(name: &str) -> Self {
            let path = std::env::temp_dir().join(format!(
                "nubes-conformance-{}-{name}.db",
                std::process::id()
            ));
            let database = TempDatabase(path);
            database.remove();
            database
        }

        fn open(&self) -> SqliteStore {
            SqliteStore::open(&self.0).expect("the database file opens")
        }

        fn remove(&self) {
            for suffix in ["", "-wal", "-shm"] {
                let mut path = self.0.clone().into_os_string();
                path.push(suffix);
                let _ = std::fs::remove_file(path);
            }
        }
    }

    impl Drop for TempDatabase {
        fn drop(&mut self) {
            self.remove();
        }
    }

    #[tokio::test]
    async fn ensure_tables_costs_one_round_trip_per_table() {
        let store = support::sqlite_store();
        let before = store.stats().snapshot();
        store
            .ensure_tables(&[spec("alpha"), spec("beta")])
            .await
            .expect("ensure_tables");
        assert_eq!(delta(&store, before), counted(2, 0, 0));
    }

    #[tokio::test]
    async fn a_file_database_persists_across_reopen() {
        let database = TempDatabase::new("persist");
        {
            let store = database.open();
            ready(&store).await;
            seed(&store, key("a", "#"), json!({"n": 1, "_v": 1})).await;
            seed(&store, key("a", "rel#x#1"), json!({"to": "1"})).await;
        }
        let store = database.open();
        assert_eq!(
            get(&store, &key("a", "#")).await,
            Some(item(json!({"n": 1, "_v": 1})))
        );
        let page = store
            .query(TABLE, "a", "rel#", None, 10)
            .await
            .expect("a query after reopening");
        assert_eq!(page.items.len(), 1);
        // The table is still known without ensuring it again; others are still missing.
        assert_eq!(
            store.get(&Key::new("ghost", "a", "#")).await,
            Err(StoreError::MissingTable("ghost".into()))
        );
        store
            .write(vec![update_op(
                key("a", "#"),
                Update {
                    bump_version: true,
                    ..Update::default()
                },
                Condition::Version(1),
            )])
            .await
            .expect("a write after reopening");
        drop(store);
        let store = database.open();
        assert_eq!(
            get(&store, &key("a", "#")).await,
            Some(item(json!({"n": 1, "_v": 2})))
        );
    }

    #[tokio::test]
    async fn a_file_database_is_in_wal_mode() {
        let database = TempDatabase::new("wal");
        let store = database.open();
        ready(&store).await;
        seed(&store, key("a", "#"), json!({"n": 1})).await;
        let connection = rusqlite::Connection::open(&database.0).expect("a second connection");
        let mode: String = connection
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .expect("the journal mode");
        assert_eq!(mode.to_lowercase(), "wal");
        // The second connection sees the committed write.
        let count: i64 = connection
            .query_row("SELECT count(*) FROM nubes_items", [], |row| row.get(0))
            .expect("a count");
        assert_eq!(count, 1);
    }

    #[tokio::test]
    async fn a_table_is_missing_until_ensured() {
        let store = support::sqlite_store();
        let ghost = Key::new("later", "a", "#");
        assert_eq!(
            store.get(&ghost).await,
            Err(StoreError::MissingTable("later".into()))
        );
        store
            .ensure_tables(&[spec("later")])
            .await
            .expect("ensure_tables");
        assert_eq!(store.get(&ghost).await, Ok(None));
    }
}
