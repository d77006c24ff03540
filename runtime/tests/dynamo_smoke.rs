//! The DynamoDB backend against a DynamoDB-API server (moto unless
//! `NUBES_DYNAMO_ENDPOINT` says otherwise): every operation, its errors and its counters.

mod support;

use nubes_runtime::store::dynamo::DynamoStore;
use nubes_runtime::store::{
    Condition, Item, Key, StatsSnapshot, Store, StoreError, TableSpec, Update, WriteOp,
};
use serde_json::{json, Value};

const TABLE: &str = "objects";

/// A store with the test table created.
async fn store(test_name: &str) -> DynamoStore {
    let store = support::dynamo_store(test_name).await;
    store
        .ensure_tables(&[spec(TABLE)])
        .await
        .expect("the test table is created");
    store
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

/// What the store counted since `before`.
fn delta(store: &DynamoStore, before: StatsSnapshot) -> StatsSnapshot {
    store.stats().snapshot() - before
}

fn counted(round_trips: u64, items_read: u64, items_written: u64) -> StatsSnapshot {
    StatsSnapshot {
        round_trips,
        items_read,
        items_written,
    }
}

async fn seed(store: &DynamoStore, key: Key, value: Value) {
    store
        .write(vec![put(key, value, Condition::Always)])
        .await
        .expect("seeding an item");
}

async fn get(store: &DynamoStore, key: &Key) -> Option<Item> {
    store.get(key).await.expect("a get")
}

#[tokio::test]
async fn ensure_tables_is_idempotent_and_enables_ttl() {
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

    let ttl = store
        .client()
        .describe_time_to_live()
        .table_name(store.table_name("alpha"))
        .send()
        .await
        .expect("DescribeTimeToLive");
    let description = ttl.time_to_live_description.expect("a TTL description");
    assert_eq!(description.attribute_name.as_deref(), Some("_ttl"));

    store.ensure_tables(&[]).await.expect("no tables is fine");
}

#[tokio::test]
async fn put_and_get_round_trip_every_json_kind() {
    let store = store("roundtrip").await;
    let value = json!({
        "name": "Grand Hotel",
        "empty": "",
        "rooms": 42,
        "delta": -17,
        "big": u64::MAX,
        "min": i64::MIN,
        "rate": 99.75,
        "open": true,
        "closed": false,
        "note": null,
        "tags": ["a", 1, -2.5, true, null, [], {}],
        "address": {"city": "Oslo", "geo": {"lat": 59.91, "lon": 10.75}, "lines": ["x", "y"]},
        "_v": 1
    });
    let before = store.stats().snapshot();
    seed(&store, key("h1", "#"), value.clone()).await;
    assert_eq!(delta(&store, before), counted(1, 0, 1));

    let before = store.stats().snapshot();
    let read = get(&store, &key("h1", "#")).await.expect("the item exists");
    assert_eq!(delta(&store, before), counted(1, 1, 0));
    assert_eq!(Value::Object(read.clone()), value);
    assert!(!read.contains_key("pk") && !read.contains_key("sk"));
}

#[tokio::test]
async fn get_of_a_missing_item_is_none() {
    let store = store("missing").await;
    let before = store.stats().snapshot();
    assert_eq!(get(&store, &key("nobody", "#")).await, None);
    assert_eq!(delta(&store, before), counted(1, 0, 0));
}

#[tokio::test]
async fn put_with_key_attributes_is_invalid() {
    let store = store("keyattr").await;
    let result = store
        .write(vec![put(
            key("a", "#"),
            json!({"pk": "other"}),
            Condition::Always,
        )])
        .await;
    assert!(matches!(result, Err(StoreError::Invalid(_))), "{result:?}");
}

#[tokio::test]
async fn absent_condition_fails_on_an_existing_item() {
    let store = store("absent").await;
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
    assert_eq!(delta(&store, before), counted(1, 0, 0));
    assert_eq!(get(&store, &key("a", "#")).await, Some(item(first)));
}

#[tokio::test]
async fn version_condition_guards_puts_updates_and_deletes() {
    let store = store("version").await;
    seed(&store, key("a", "#"), json!({"n": 1, "_v": 1})).await;

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
        .write(vec![WriteOp::Update {
            key: key("a", "#"),
            update: bump.clone(),
            condition: Condition::Version(1),
        }])
        .await;
    assert!(
        matches!(&stale_update, Err(StoreError::ConditionFailed { index: Some(0), current: Some(current) }) if current["_v"] == json!(2)),
        "{stale_update:?}"
    );

    let on_missing = store
        .write(vec![WriteOp::Update {
            key: key("nobody", "#"),
            update: bump.clone(),
            condition: Condition::Version(0),
        }])
        .await;
    assert_eq!(
        on_missing,
        Err(StoreError::ConditionFailed {
            index: Some(0),
            current: None
        })
    );

    let stale_delete = store
        .write(vec![WriteOp::Delete {
            key: key("a", "#"),
            condition: Condition::Version(7),
        }])
        .await;
    assert!(matches!(
        stale_delete,
        Err(StoreError::ConditionFailed {
            index: Some(0),
            current: Some(_)
        })
    ));

    let before = store.stats().snapshot();
    store
        .write(vec![WriteOp::Delete {
            key: key("a", "#"),
            condition: Condition::Version(2),
        }])
        .await
        .expect("version 2 matches");
    assert_eq!(delta(&store, before), counted(1, 0, 1));
    assert_eq!(get(&store, &key("a", "#")).await, None);
}

#[tokio::test]
async fn live_without_checks_existence_tombstone_and_invocation() {
    let store = store("live").await;
    let live = json!({"n": 1, "_v": 1, "_inv": {"done-1": {"ok": 5}}});
    seed(&store, key("live", "#"), live.clone()).await;
    seed(
        &store,
        key("dead", "#"),
        json!({"_v": 2, "_del": true, "_inv": {}}),
    )
    .await;
    let set_n = |n: i64| Update {
        set: vec![("n".into(), json!(n))],
        ..Update::default()
    };
    let update = |pk: &str, id: &str, n: i64| WriteOp::Update {
        key: key(pk, "#"),
        update: set_n(n),
        condition: Condition::LiveWithout(id.to_string()),
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
        get(&store, &key("live", "#")).await.expect("exists")["n"],
        json!(3)
    );

    let tombstone = store.write(vec![update("dead", "new-2", 4)]).await;
    assert!(
        matches!(&tombstone, Err(StoreError::ConditionFailed { index: Some(0), current: Some(current) }) if current.contains_key("_del")),
        "{tombstone:?}"
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
        get(&store, &key("nobody", "#")).await,
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
    assert_eq!(delta(&store, before), counted(1, 0, 0));
    let failed = store.write(vec![live_check("live", "done-1")]).await;
    assert!(
        matches!(
            failed,
            Err(StoreError::ConditionFailed {
                index: Some(0),
                current: Some(_)
            })
        ),
        "{failed:?}"
    );
}

#[tokio::test]
async fn a_failed_transaction_writes_nothing_and_names_the_operation() {
    let store = store("tx").await;
    seed(&store, key("b", "#"), json!({"n": 1})).await;
    seed(&store, key("c", "#"), json!({"n": 1, "_v": 1})).await;
    let ops = vec![
        put(key("a", "#"), json!({"n": 1}), Condition::Absent),
        put(key("b", "#"), json!({"n": 2}), Condition::Absent),
        WriteOp::Update {
            key: key("c", "#"),
            update: Update {
                set: vec![("n".into(), json!(2))],
                bump_version: true,
                ..Update::default()
            },
            condition: Condition::Version(1),
        },
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
    assert_eq!(delta(&store, before), counted(1, 0, 0));
    assert_eq!(get(&store, &key("a", "#")).await, None);
    assert_eq!(
        get(&store, &key("b", "#")).await,
        Some(item(json!({"n": 1})))
    );
    assert_eq!(
        get(&store, &key("c", "#")).await,
        Some(item(json!({"n": 1, "_v": 1})))
    );

    // Without the failing operation, the rest commits in one round trip; checks are not
    // counted as written.
    let mut ops = ops;
    ops[1] = WriteOp::Check {
        key: key("b", "#"),
        condition: Condition::Version(0),
    };
    let before = store.stats().snapshot();
    store.write(ops).await.expect("the transaction commits");
    assert_eq!(delta(&store, before), counted(1, 0, 2));
    assert_eq!(
        get(&store, &key("a", "#")).await,
        Some(item(json!({"n": 1})))
    );
    assert_eq!(
        get(&store, &key("c", "#")).await,
        Some(item(json!({"n": 2, "_v": 2})))
    );
}

#[tokio::test]
async fn malformed_writes_are_invalid_without_a_request() {
    let store = store("malformed").await;
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
    assert!(matches!(twice, Err(StoreError::Invalid(_))), "{twice:?}");

    let too_many: Vec<WriteOp> = (0..101)
        .map(|i| put(key(&format!("o{i}"), "#"), json!({}), Condition::Always))
        .collect();
    let result = store.write(too_many).await;
    assert!(matches!(result, Err(StoreError::Invalid(_))), "{result:?}");

    let empty = store.write(Vec::new()).await;
    assert!(matches!(empty, Err(StoreError::Invalid(_))), "{empty:?}");
    assert_eq!(delta(&store, before), counted(0, 0, 0));
}

#[tokio::test]
async fn a_transaction_of_one_hundred_operations_commits() {
    let store = store("hundred").await;
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
    assert_eq!(delta(&store, before), counted(1, 0, 100));
}

#[tokio::test]
async fn update_sets_removes_records_and_bumps() {
    let store = store("update").await;
    seed(
        &store,
        key("a", "#"),
        json!({"keep": 1, "gone": 2, "_v": 3, "_inv": {"old": {"r": 1}, "stay": {"r": 2}}}),
    )
    .await;
    let update = Update {
        set: vec![
            ("keep".into(), json!("changed")),
            ("added".into(), json!([1, {"x": null}])),
        ],
        remove: vec!["gone".into()],
        add_invocations: vec![("new".into(), json!({"r": 3}))],
        remove_invocations: vec!["old".into()],
        bump_version: true,
    };
    let before = store.stats().snapshot();
    store
        .write(vec![WriteOp::Update {
            key: key("a", "#"),
            update,
            condition: Condition::LiveWithout("new".into()),
        }])
        .await
        .expect("the update applies");
    assert_eq!(delta(&store, before), counted(1, 0, 1));
    assert_eq!(
        get(&store, &key("a", "#")).await,
        Some(item(json!({
            "keep": "changed",
            "added": [1, {"x": null}],
            "_v": 4,
            "_inv": {"stay": {"r": 2}, "new": {"r": 3}}
        })))
    );
}

#[tokio::test]
async fn update_creates_a_missing_invocation_map() {
    let store = store("invmap").await;
    seed(&store, key("a", "#"), json!({"n": 1})).await;
    let update = Update {
        add_invocations: vec![("i1".into(), json!({"r": 1}))],
        remove_invocations: vec!["i0".into()],
        bump_version: true,
        ..Update::default()
    };

    // DynamoDB cannot set `_inv.i1` while `_inv` is missing: the store writes the map
    // whole in a second request.
    let before = store.stats().snapshot();
    let after = store
        .update_returning(
            &key("a", "#"),
            &update,
            &Condition::LiveWithout("i1".into()),
        )
        .await
        .expect("the update applies");
    assert_eq!(delta(&store, before), counted(2, 0, 1));
    assert_eq!(
        after,
        item(json!({"n": 1, "_v": 1, "_inv": {"i1": {"r": 1}}}))
    );

    // An update that creates the item.
    store
        .write(vec![WriteOp::Update {
            key: key("fresh", "#"),
            update: update.clone(),
            condition: Condition::Absent,
        }])
        .await
        .expect("the update creates the item");
    assert_eq!(
        get(&store, &key("fresh", "#")).await,
        Some(item(json!({"_v": 1, "_inv": {"i1": {"r": 1}}})))
    );

    // The same inside a transaction.
    seed(&store, key("b", "#"), json!({"n": 2})).await;
    let before = store.stats().snapshot();
    store
        .write(vec![
            WriteOp::Update {
                key: key("b", "#"),
                update: update.clone(),
                condition: Condition::LiveWithout("i1".into()),
            },
            put(key("c", "#"), json!({"n": 3}), Condition::Absent),
        ])
        .await
        .expect("the transaction commits");
    assert_eq!(delta(&store, before), counted(2, 0, 2));
    assert_eq!(
        get(&store, &key("b", "#")).await,
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
    assert!(
        matches!(
            duplicate,
            Err(StoreError::ConditionFailed {
                index: Some(0),
                current: Some(_)
            })
        ),
        "{duplicate:?}"
    );
}

#[tokio::test]
async fn update_returning_returns_the_new_item() {
    let store = store("returning").await;
    seed(&store, key("a", "#"), json!({"n": 1, "_v": 5, "_inv": {}})).await;
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
    assert_eq!(delta(&store, before), counted(1, 0, 1));
    assert_eq!(
        after,
        item(json!({"n": 2, "_v": 6, "_inv": {"i9": "result"}}))
    );

    let stale = store
        .update_returning(&key("a", "#"), &update, &Condition::Version(5))
        .await;
    assert_eq!(
        stale,
        Err(StoreError::ConditionFailed {
            index: Some(0),
            current: Some(after),
        })
    );

    let empty = store
        .update_returning(&key("a", "#"), &Update::default(), &Condition::Always)
        .await;
    assert!(matches!(empty, Err(StoreError::Invalid(_))), "{empty:?}");
}

#[tokio::test]
async fn batch_get_keeps_order_with_missing_and_duplicate_keys() {
    let store = store("batch").await;
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
        delta(&store, before),
        counted(2, 150, 0),
        "ceil(200 / 100) requests"
    );
    assert_eq!(items.len(), keys.len());
    for (key, found) in keys.iter().zip(&items) {
        let i: u64 = key.pk[1..].parse().expect("a number");
        let expected = (i < 150).then(|| item(json!({"i": i})));
        assert_eq!(found, &expected, "{key}");
    }

    let before = store.stats().snapshot();
    assert_eq!(store.batch_get(&[]).await, Ok(Vec::new()));
    let twice = store
        .batch_get(&[key("o1", "#"), key("o1", "#")])
        .await
        .expect("a duplicated key");
    assert_eq!(twice, vec![Some(item(json!({"i": 1}))); 2]);
    assert_eq!(delta(&store, before), counted(1, 1, 0));
}

#[tokio::test]
async fn query_pages_through_one_prefix() {
    let store = store("query").await;
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
    store.write(ops).await.expect("seeding");

    let before = store.stats().snapshot();
    let mut seen = Vec::new();
    let mut start_after: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = store
            .query(TABLE, "p", "rel#rooms#", start_after.as_deref(), 3)
            .await
            .expect("a page");
        pages += 1;
        assert!(page.items.len() <= 3);
        seen.extend(page.items);
        match page.next {
            Some(next) => start_after = Some(next),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(delta(&store, before), counted(3, 7, 0));
    let expected: Vec<(String, Item)> = (0..7)
        .map(|i| (format!("rel#rooms#r{i}"), item(json!({"i": i}))))
        .collect();
    assert_eq!(seen, expected);

    let all = store
        .query(TABLE, "p", "", None, 100)
        .await
        .expect("the whole partition");
    assert_eq!(all.items.len(), 11);
    assert_eq!(all.items[0].0, "#");
    assert_eq!(all.next, None);

    let none = store
        .query(TABLE, "nobody", "rel#", None, 5)
        .await
        .expect("an empty page");
    assert_eq!(none.items, Vec::new());
    assert_eq!(none.next, None);
}

#[tokio::test]
async fn every_operation_on_a_missing_table_says_so() {
    let store = store("notable").await;
    let missing = |name: &str| StoreError::MissingTable(name.to_string());
    let ghost = Key::new("ghost", "a", "#");

    assert_eq!(store.get(&ghost).await, Err(missing("ghost")));
    assert_eq!(
        store.batch_get(std::slice::from_ref(&ghost)).await,
        Err(missing("ghost"))
    );
    assert_eq!(
        store.query("ghost", "a", "rel#", None, 10).await,
        Err(missing("ghost"))
    );
    let put_ghost = WriteOp::Put {
        key: ghost.clone(),
        item: Item::new(),
        condition: Condition::Always,
    };
    assert_eq!(
        store.write(vec![put_ghost.clone()]).await,
        Err(missing("ghost"))
    );
    assert_eq!(
        store
            .write(vec![WriteOp::Delete {
                key: ghost.clone(),
                condition: Condition::Always
            }])
            .await,
        Err(missing("ghost"))
    );
    let update = Update {
        bump_version: true,
        ..Update::default()
    };
    assert_eq!(
        store
            .update_returning(&ghost, &update, &Condition::Always)
            .await,
        Err(missing("ghost"))
    );
    assert_eq!(
        store
            .write(vec![WriteOp::Check {
                key: ghost.clone(),
                condition: Condition::Absent
            }])
            .await,
        Err(missing("ghost"))
    );
    let mixed = store
        .write(vec![
            put(key("a", "#"), json!({}), Condition::Always),
            put_ghost,
        ])
        .await;
    assert_eq!(mixed, Err(missing("ghost")));
    assert_eq!(
        get(&store, &key("a", "#")).await,
        None,
        "nothing was written"
    );
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
    assert!(store.stats().snapshot().round_trips >= 1);
}
