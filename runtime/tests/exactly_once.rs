//! The executor on both stores: exactly-once outcomes, the read-only, setter and
//! collection paths with their round-trip counts, relationships on both sides, deletes,
//! the outbox, read-only fields and the dedup window.

mod samples;
#[macro_use]
mod support;

use std::sync::Arc;
use std::time::Duration;

use nubes_runtime::store::{Condition, Key, Store, WriteOp, INVOCATIONS};
use nubes_runtime::{
    Clock, Config, Error, Invocation, InvocationId, ManualClock, Runtime, SystemClock,
};
use samples::{call, fields, make};
use serde_json::json;

on_both_stores!(
    a_method_runs_once_per_invocation_id,
    round_trips_per_operation,
    a_collection_costs_pages_plus_batches,
    typed_errors_are_recorded_outcomes,
    nested_calls_commit_together,
    async_calls_are_delivered_exactly_once,
    one_to_many_keeps_both_sides,
    many_to_many_keeps_both_sides,
    delete_removes_edges_on_both_sides,
    delete_refuses_to_orphan_required_children,
    delete_clears_optional_back_references,
    large_cascades_finish_through_the_outbox,
    readonly_fields_cannot_change_by_any_path,
    readonly_methods_cannot_write,
    reference_lists_hold_ids,
    the_dedup_window_is_enforced,
    a_missing_table_is_a_clear_error,
    reads_of_other_objects_are_validated,
    collection_reads_see_concurrent_additions,
    a_retried_setter_never_undoes_a_later_change,
    many_to_many_reads_see_concurrent_links,
    a_failed_method_changes_nothing,
    the_outbox_collector_delivers_in_the_background,
    a_deleted_object_stays_deleted,
    a_failed_nested_call_changes_nothing,
    large_one_to_many_deletes_finish_through_the_outbox,
    required_references_and_runtime_names_are_enforced,
    a_retried_create_answers_as_the_first_did,
);

async fn runtime(store: Arc<dyn Store>) -> Runtime {
    samples::runtime(store, Config::default()).await
}

fn rt(runtime: &Runtime) -> u64 {
    runtime.store().stats().snapshot().round_trips
}

async fn a_method_runs_once_per_invocation_id(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    make(&runtime, "Counter", "c", json!({ "count": 0 })).await;
    let increment = call("Counter", "c", "increment", json!({ "by": 5 }));
    assert_eq!(runtime.invoke(&increment).await, Ok(json!(5)));
    assert_eq!(
        runtime.invoke(&increment).await,
        Ok(json!(5)),
        "a retry returns the stored outcome"
    );
    assert_eq!(
        runtime.get("Counter", "c").await.expect("get")["count"],
        json!(5)
    );
    let again = call("Counter", "c", "increment", json!({ "by": 5 }));
    assert_eq!(runtime.invoke(&again).await, Ok(json!(10)));
}

async fn round_trips_per_operation(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    let before = rt(&runtime);
    make(&runtime, "Counter", "c", json!({ "count": 0 })).await;
    assert_eq!(
        rt(&runtime) - before,
        1,
        "create = one put, on the condition that the object is absent"
    );
    // A retried create is answered from the item its refused put hands back; another
    // create of the same id is refused the same way.
    let create = InvocationId::new();
    let fields = fields(json!({ "count": 1 }));
    for attempt in ["first", "retry"] {
        let before = rt(&runtime);
        let created = runtime
            .create(&create, "Counter", "d", fields.clone())
            .await;
        assert_eq!((created, rt(&runtime) - before), (Ok(()), 1), "{attempt}");
    }
    let before = rt(&runtime);
    let again = runtime
        .create(&InvocationId::new(), "Counter", "d", fields.clone())
        .await;
    assert!(
        matches!(again, Err(Error::AlreadyExists { .. })),
        "{again:?}"
    );
    assert_eq!(
        rt(&runtime) - before,
        1,
        "a second create is refused at once"
    );
    // Over a tombstone: the refused put hands it back, and the create writes over it.
    runtime
        .delete(&InvocationId::new(), "Counter", "d")
        .await
        .expect("delete");
    let before = rt(&runtime);
    let recreated = runtime
        .create(&InvocationId::new(), "Counter", "d", fields)
        .await;
    assert_eq!((recreated, rt(&runtime) - before), (Ok(()), 2));

    let before = rt(&runtime);
    runtime.get("Counter", "c").await.expect("get");
    assert_eq!(rt(&runtime) - before, 1, "a read-only get is one read");

    let before = rt(&runtime);
    runtime
        .invoke(&call("Counter", "c", "get", json!({})))
        .await
        .expect("readonly method");
    assert_eq!(
        rt(&runtime) - before,
        1,
        "a read-only method on its own object is one read"
    );

    let setter = InvocationId::new();
    let before = rt(&runtime);
    runtime
        .set_field(&setter, "Counter", "c", "count", json!(7))
        .await
        .expect("set");
    assert_eq!(
        rt(&runtime) - before,
        1,
        "a setter is one conditional update"
    );
    let before = rt(&runtime);
    runtime
        .set_field(&setter, "Counter", "c", "count", json!(7))
        .await
        .expect("set again");
    assert_eq!(
        rt(&runtime) - before,
        1,
        "a duplicate setter is recognised in the same round trip"
    );

    let increment = call("Counter", "c", "increment", json!({ "by": 1 }));
    let before = rt(&runtime);
    assert_eq!(runtime.invoke(&increment).await, Ok(json!(8)));
    assert_eq!(
        rt(&runtime) - before,
        2,
        "read-modify-write = read + conditional write"
    );
    let before = rt(&runtime);
    assert_eq!(runtime.invoke(&increment).await, Ok(json!(8)));
    assert_eq!(
        rt(&runtime) - before,
        1,
        "a duplicate is answered from the record after one read"
    );
}

async fn a_collection_costs_pages_plus_batches(store: Arc<dyn Store>) {
    let config = Config {
        page_size: 300,
        ..Config::default()
    };
    let runtime = samples::runtime(store.clone(), config).await;
    make(&runtime, "Room", "r", json!({})).await;
    // Write 1,000 bookings and their edges directly, 100 items per write.
    let mut ops = Vec::new();
    for n in 0..1000 {
        let id = format!("b{n:04}");
        ops.push(WriteOp::Put {
            key: Key::new("Booking", &id, "#"),
            item: fields(json!({ "room": "r", "slot": n, "_v": 1, "_inv": {} })),
            condition: Condition::Always,
        });
        ops.push(WriteOp::Put {
            key: Key::new("Room", "r", format!("rel#bookings#{id}")),
            item: fields(json!({ "to": id })),
            condition: Condition::Always,
        });
    }
    for chunk in ops.chunks(100) {
        store.write(chunk.to_vec()).await.expect("setup write");
    }
    let before = rt(&runtime);
    let bookings = runtime
        .collection("Room", "r", "bookings")
        .await
        .expect("collection");
    let used = rt(&runtime) - before;
    assert_eq!(bookings.len(), 1000);
    assert_eq!(bookings[999].1["slot"], json!(999));
    let pages = 1000_u64.div_ceil(300);
    assert_eq!(
        used,
        pages + 10,
        "4 query pages + 10 batched reads, never one read per element"
    );
    let before = rt(&runtime);
    let ids = runtime
        .collection_ids("Room", "r", "bookings")
        .await
        .expect("ids");
    assert_eq!((ids.len(), rt(&runtime) - before), (1000, pages));
}

async fn typed_errors_are_recorded_outcomes(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    for (id, balance) in [("a", 10), ("b", 0)] {
        make(
            &runtime,
            "Account",
            id,
            json!({ "owner": id, "balance": balance }),
        )
        .await;
    }
    let transfer = call(
        "Account",
        "a",
        "transfer",
        json!({ "to": "b", "amount": 15 }),
    );
    let refused = runtime.invoke(&transfer).await;
    assert!(
        matches!(&refused, Err(Error::User { name, .. }) if name == "Insufficient"),
        "{refused:?}"
    );
    runtime
        .set_field(&InvocationId::new(), "Account", "a", "balance", json!(100))
        .await
        .expect("top up");
    assert_eq!(
        runtime.invoke(&transfer).await,
        refused,
        "the retry gets the recorded failure"
    );
    let transfer = call(
        "Account",
        "a",
        "transfer",
        json!({ "to": "b", "amount": 15 }),
    );
    assert_eq!(runtime.invoke(&transfer).await, Ok(json!(85)));
    assert_eq!(
        runtime.get("Account", "b").await.expect("b")["balance"],
        json!(15)
    );
}

async fn nested_calls_commit_together(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    for id in ["x", "y"] {
        make(&runtime, "Counter", id, json!({ "count": 0 })).await;
    }
    let both = call("Counter", "x", "incrementBoth", json!({ "other": "y" }));
    assert_eq!(runtime.invoke(&both).await, Ok(json!(1)));
    assert_eq!(runtime.invoke(&both).await, Ok(json!(1)));
    assert_eq!(
        runtime.get("Counter", "x").await.expect("x")["count"],
        json!(1)
    );
    assert_eq!(
        runtime.get("Counter", "y").await.expect("y")["count"],
        json!(1)
    );
    let missing = call(
        "Counter",
        "x",
        "incrementBoth",
        json!({ "other": "nobody" }),
    );
    assert!(matches!(
        runtime.invoke(&missing).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(
        runtime.get("Counter", "x").await.expect("x")["count"],
        json!(1),
        "a failed nested call leaves nothing behind"
    );
}

async fn async_calls_are_delivered_exactly_once(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    for id in ["x", "y"] {
        make(&runtime, "Counter", id, json!({ "count": 0 })).await;
    }
    let later = call("Counter", "x", "incrementLater", json!({ "other": "y" }));
    runtime.invoke(&later).await.expect("send");
    runtime
        .invoke(&later)
        .await
        .expect("send again (duplicate)");
    assert_eq!(
        runtime.get("Counter", "y").await.expect("y")["count"],
        json!(0),
        "not yet delivered"
    );
    assert_eq!(
        runtime.deliver_outbox(10).await,
        Ok(1),
        "the duplicate sent nothing"
    );
    assert_eq!(runtime.deliver_outbox(10).await, Ok(0));
    assert_eq!(
        runtime.get("Counter", "y").await.expect("y")["count"],
        json!(1)
    );
    // A second delivery of the same message (the collector crashed before removing it).
    let redelivered = Invocation {
        id: later.id.child(1),
        ..call("Counter", "y", "increment", json!({ "by": 1 }))
    };
    assert_eq!(runtime.invoke(&redelivered).await, Ok(json!(1)));
    assert_eq!(
        runtime.get("Counter", "y").await.expect("y")["count"],
        json!(1)
    );
}

async fn one_to_many_keeps_both_sides(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    for room in ["r1", "r2"] {
        make(&runtime, "Room", room, json!({})).await;
    }
    let book = call("Room", "r1", "book", json!({ "slot": 3, "booking": "k1" }));
    assert_eq!(runtime.invoke(&book).await, Ok(json!("k1")));
    assert_eq!(runtime.invoke(&book).await, Ok(json!("k1")));
    let taken = runtime
        .invoke(&call(
            "Room",
            "r1",
            "book",
            json!({ "slot": 3, "booking": "k2" }),
        ))
        .await;
    assert!(
        matches!(&taken, Err(Error::User { name, .. }) if name == "Taken"),
        "{taken:?}"
    );
    assert_eq!(
        runtime.collection_ids("Room", "r1", "bookings").await,
        Ok(vec!["k1".to_string()])
    );
    assert_eq!(
        runtime.get("Booking", "k1").await.expect("k1")["room"],
        json!("r1")
    );
    // A child created with its reference set joins the parent's list in the same commit.
    make(
        &runtime,
        "Booking",
        "k3",
        json!({ "room": "r2", "slot": 1 }),
    )
    .await;
    assert_eq!(
        runtime.collection_ids("Room", "r2", "bookings").await,
        Ok(vec!["k3".to_string()])
    );
    // Deleting the child removes it from the parent's list.
    runtime
        .delete(&InvocationId::new(), "Booking", "k3")
        .await
        .expect("delete child");
    assert_eq!(
        runtime.collection_ids("Room", "r2", "bookings").await,
        Ok(vec![])
    );
    // A child whose parent does not exist is refused.
    let orphan = runtime
        .create(
            &InvocationId::new(),
            "Booking",
            "k4",
            fields(json!({ "room": "nowhere", "slot": 1 })),
        )
        .await;
    assert!(matches!(orphan, Err(Error::NotFound { .. })), "{orphan:?}");
}

async fn many_to_many_keeps_both_sides(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    for (type_name, id) in [
        ("Student", "s1"),
        ("Student", "s2"),
        ("Course", "c1"),
        ("Course", "c2"),
    ] {
        make(&runtime, type_name, id, json!({})).await;
    }
    let enrol = InvocationId::new();
    let courses = vec!["c1".to_string(), "c2".to_string()];
    runtime
        .add_to(&enrol, "Student", "s1", "courses", &courses)
        .await
        .expect("enrol");
    runtime
        .add_to(&enrol, "Student", "s1", "courses", &courses)
        .await
        .expect("enrol again");
    runtime
        .add_to(
            &InvocationId::new(),
            "Course",
            "c1",
            "students",
            &["s2".to_string()],
        )
        .await
        .expect("enrol from the other side");
    assert_eq!(
        runtime.collection_ids("Student", "s1", "courses").await,
        Ok(courses.clone())
    );
    assert_eq!(
        runtime.collection_ids("Course", "c1", "students").await,
        Ok(vec!["s1".to_string(), "s2".to_string()])
    );
    runtime
        .remove_from(
            &InvocationId::new(),
            "Course",
            "c1",
            "students",
            &["s1".to_string()],
        )
        .await
        .expect("drop");
    assert_eq!(
        runtime.collection_ids("Student", "s1", "courses").await,
        Ok(vec!["c2".to_string()])
    );
    assert_eq!(
        runtime.collection_ids("Course", "c1", "students").await,
        Ok(vec!["s2".to_string()])
    );
    let missing = runtime
        .add_to(
            &InvocationId::new(),
            "Student",
            "s1",
            "courses",
            &["nope".to_string()],
        )
        .await;
    assert!(
        matches!(missing, Err(Error::NotFound { .. })),
        "{missing:?}"
    );
}

async fn delete_removes_edges_on_both_sides(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    for (type_name, id) in [("Student", "s1"), ("Course", "c1"), ("Course", "c2")] {
        make(&runtime, type_name, id, json!({})).await;
    }
    runtime
        .add_to(
            &InvocationId::new(),
            "Student",
            "s1",
            "courses",
            &["c1".into(), "c2".into()],
        )
        .await
        .expect("enrol");
    let delete = InvocationId::new();
    runtime
        .delete(&delete, "Student", "s1")
        .await
        .expect("delete");
    runtime
        .delete(&delete, "Student", "s1")
        .await
        .expect("a retried delete is recognised");
    assert!(matches!(
        runtime.get("Student", "s1").await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        runtime.delete(&InvocationId::new(), "Student", "s1").await,
        Err(Error::NotFound { .. })
    ));
    for course in ["c1", "c2"] {
        assert_eq!(
            runtime.collection_ids("Course", course, "students").await,
            Ok(vec![])
        );
    }
    // The id can be used again; the new object starts with no relationships.
    make(&runtime, "Student", "s1", json!({ "name": "again" })).await;
    assert_eq!(
        runtime.collection_ids("Student", "s1", "courses").await,
        Ok(vec![])
    );
}

async fn delete_refuses_to_orphan_required_children(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    make(&runtime, "Room", "r", json!({})).await;
    runtime
        .invoke(&call(
            "Room",
            "r",
            "book",
            json!({ "slot": 1, "booking": "k" }),
        ))
        .await
        .expect("book");
    let refused = runtime.delete(&InvocationId::new(), "Room", "r").await;
    assert!(
        matches!(refused, Err(Error::Validation { .. })),
        "{refused:?}"
    );
    assert!(runtime.exists("Room", "r").await.expect("exists"));
    let remove = runtime
        .remove_from(&InvocationId::new(), "Room", "r", "bookings", &["k".into()])
        .await;
    assert!(
        matches!(remove, Err(Error::Validation { .. })),
        "{remove:?}"
    );
}

async fn delete_clears_optional_back_references(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    make(&runtime, "Folder", "f", json!({})).await;
    for doc in ["d1", "d2"] {
        make(&runtime, "Doc", doc, json!({ "folder": "f" })).await;
    }
    assert_eq!(
        runtime
            .collection("Folder", "f", "docs")
            .await
            .expect("docs")
            .len(),
        2
    );
    runtime
        .delete(&InvocationId::new(), "Folder", "f")
        .await
        .expect("delete");
    for doc in ["d1", "d2"] {
        let fields = runtime.get("Doc", doc).await.expect("doc survives");
        assert!(
            !fields.contains_key("folder"),
            "{doc} still points at the deleted folder"
        );
    }
}

async fn large_cascades_finish_through_the_outbox(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    make(&runtime, "Student", "s", json!({})).await;
    let courses: Vec<String> = (0..70).map(|n| format!("c{n:02}")).collect();
    for course in &courses {
        make(&runtime, "Course", course, json!({})).await;
    }
    for chunk in courses.chunks(20) {
        runtime
            .add_to(&InvocationId::new(), "Student", "s", "courses", chunk)
            .await
            .expect("enrol");
    }
    runtime
        .delete(&InvocationId::new(), "Student", "s")
        .await
        .expect("delete");
    assert!(
        !runtime.exists("Student", "s").await.expect("exists"),
        "deleted at once"
    );
    // Readers never see the deleted student, even before the cascade has finished.
    assert!(runtime
        .collection("Course", "c69", "students")
        .await
        .expect("read")
        .is_empty());
    let mut rounds = 0;
    while runtime.deliver_outbox(10).await.expect("deliver") > 0 {
        rounds += 1;
        assert!(rounds < 10, "the cascade does not finish");
    }
    assert!(
        rounds >= 1,
        "70 edges on both sides do not fit one commit; the rest goes through the outbox"
    );
    for course in &courses {
        assert_eq!(
            runtime.collection_ids("Course", course, "students").await,
            Ok(vec![]),
            "{course}"
        );
    }
}

async fn readonly_fields_cannot_change_by_any_path(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    make(
        &runtime,
        "Account",
        "a",
        json!({ "owner": "ann", "balance": 1 }),
    )
    .await;
    let setter = runtime
        .set_field(&InvocationId::new(), "Account", "a", "owner", json!("bob"))
        .await;
    assert!(
        matches!(setter, Err(Error::Validation { .. })),
        "{setter:?}"
    );
    make(&runtime, "Counter", "c", json!({})).await;
    let method = runtime
        .invoke(&call(
            "Counter",
            "c",
            "stealAccount",
            json!({ "account": "a" }),
        ))
        .await;
    assert!(
        matches!(method, Err(Error::Validation { .. })),
        "{method:?}"
    );
    assert_eq!(
        runtime.get("Account", "a").await.expect("a")["owner"],
        json!("ann")
    );
}

async fn readonly_methods_cannot_write(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    make(&runtime, "Counter", "c", json!({ "count": 3 })).await;
    let sneaky = runtime
        .invoke(&call("Counter", "c", "sneakyGet", json!({})))
        .await;
    assert!(
        matches!(sneaky, Err(Error::Validation { .. })),
        "{sneaky:?}"
    );
    assert_eq!(
        runtime.get("Counter", "c").await.expect("c")["count"],
        json!(3)
    );
}

async fn reference_lists_hold_ids(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    make(&runtime, "Folder", "f", json!({})).await;
    for doc in ["d1", "d2"] {
        make(&runtime, "Doc", doc, json!({})).await;
    }
    runtime
        .add_to(
            &InvocationId::new(),
            "Folder",
            "f",
            "pinned",
            &["d2".into(), "d1".into(), "d2".into()],
        )
        .await
        .expect("pin");
    assert_eq!(
        runtime.get("Folder", "f").await.expect("f")["pinned"],
        json!(["d2", "d1"])
    );
    let pinned = runtime
        .collection("Folder", "f", "pinned")
        .await
        .expect("pinned");
    assert_eq!(
        pinned.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        ["d2", "d1"],
        "a reference list keeps its order"
    );
}

async fn the_dedup_window_is_enforced(store: Arc<dyn Store>) {
    let clock = Arc::new(ManualClock::new(SystemClock.now_ms()));
    let config = Config {
        clock: clock.clone(),
        ..Config::default()
    };
    let runtime = samples::runtime(store.clone(), config).await;
    make(&runtime, "Counter", "c", json!({ "count": 0 })).await;
    let uuid_call = call("Counter", "c", "increment", json!({ "by": 1 }));
    let plain_call = Invocation {
        id: InvocationId::from("plain-id"),
        ..call("Counter", "c", "increment", json!({ "by": 1 }))
    };
    assert_eq!(runtime.invoke(&uuid_call).await, Ok(json!(1)));
    assert_eq!(runtime.invoke(&plain_call).await, Ok(json!(2)));
    // Records are kept for 1.5 windows (a margin for client clocks running ahead).
    clock.advance(Duration::from_secs(23 * 60));
    // The next commit prunes records older than the window. (Its id holds no time: UUID v7
    // ids made now are fifteen minutes in the past for the advanced clock.)
    let next = Invocation {
        id: InvocationId::from("after-the-window"),
        ..call("Counter", "c", "increment", json!({ "by": 10 }))
    };
    runtime.invoke(&next).await.expect("increment");
    let raw = store
        .get(&Key::new("Counter", "c", "#"))
        .await
        .expect("raw")
        .expect("exists");
    let records = raw[INVOCATIONS].as_object().expect("records");
    assert!(!records.contains_key(uuid_call.id.as_str()) && !records.contains_key("plain-id"));
    // A UUID v7 invocation older than the window is refused rather than run twice …
    let late = runtime.invoke(&uuid_call).await;
    assert!(matches!(&late, Err(Error::Expired { .. })), "{late:?}");
    // … while an id without a time in it cannot be aged: its record, kept apart, answers
    // it until the expiry is carried out, and after that it would run again (at least
    // once outside the window).
    assert_eq!(runtime.invoke(&plain_call).await, Ok(json!(2)));
}

async fn a_missing_table_is_a_clear_error(store: Arc<dyn Store>) {
    let runtime = Runtime::builder(store, samples::schema("")).build();
    let error = runtime.get("Counter", "c").await.expect_err("no tables");
    assert!(
        error.to_string().contains("table `Counter` does not exist"),
        "{error}"
    );
    let error = runtime
        .create(&InvocationId::new(), "Counter", "c", fields(json!({})))
        .await
        .expect_err("no tables");
    assert!(error.to_string().contains("does not exist"), "{error}");
}

/// Rule 2: an object read and not written is checked at commit, so two invocations that
/// each read the other's account cannot both withdraw (no write skew).
async fn reads_of_other_objects_are_validated(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    for id in ["a", "b"] {
        make(
            &runtime,
            "Account",
            id,
            json!({ "owner": id, "balance": 50 }),
        )
        .await;
    }
    let meet = samples::Rendezvous::register("write-skew", 2);
    let withdraw = |from: &str, partner: &str| {
        call(
            "Account",
            from,
            "withdrawJoint",
            json!({ "partner": partner, "amount": 80, "meet": meet }),
        )
    };
    let (first, second) = (withdraw("a", "b"), withdraw("b", "a"));
    let (one, two) = tokio::join!(runtime.invoke(&first), runtime.invoke(&second));
    let a = runtime.get("Account", "a").await.expect("a")["balance"]
        .as_i64()
        .unwrap_or(0);
    let b = runtime.get("Account", "b").await.expect("b")["balance"]
        .as_i64()
        .unwrap_or(0);
    assert!(
        a + b >= 0,
        "write skew: both withdrew ({one:?}, {two:?}), a = {a}, b = {b}"
    );
    assert_eq!(
        [one.is_ok(), two.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{one:?} {two:?}"
    );
}

/// Rule 3: reading a collection puts its owner's version in the read set and adding to it
/// bumps that version, so two concurrent bookings of one slot made from outside the room
/// cannot both succeed.
async fn collection_reads_see_concurrent_additions(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    make(&runtime, "Room", "r", json!({})).await;
    for id in ["g1", "g2"] {
        make(&runtime, "Counter", id, json!({})).await;
    }
    let meet = samples::Rendezvous::register("phantom", 2);
    let book = |guest: &str, booking: &str| {
        call(
            "Counter",
            guest,
            "bookFor",
            json!({ "room": "r", "slot": 5, "booking": booking, "meet": meet }),
        )
    };
    let (first, second) = (book("g1", "x1"), book("g2", "x2"));
    let (one, two) = tokio::join!(runtime.invoke(&first), runtime.invoke(&second));
    let bookings = runtime
        .collection_ids("Room", "r", "bookings")
        .await
        .expect("bookings");
    assert_eq!(
        bookings.len(),
        1,
        "double booking: {one:?} {two:?} → {bookings:?}"
    );
    assert_eq!(
        [one.is_ok(), two.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{one:?} {two:?}"
    );
}

/// Rule 4: the setter's fast path recognises a duplicate in its one round trip, so a
/// retry of an old setter cannot overwrite a newer value; and it never revives a deleted
/// object.
async fn a_retried_setter_never_undoes_a_later_change(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    make(&runtime, "Counter", "c", json!({ "count": 0 })).await;
    let old = InvocationId::new();
    runtime
        .set_field(&old, "Counter", "c", "count", json!(1))
        .await
        .expect("set 1");
    runtime
        .set_field(&InvocationId::new(), "Counter", "c", "count", json!(2))
        .await
        .expect("set 2");
    runtime
        .set_field(&old, "Counter", "c", "count", json!(1))
        .await
        .expect("retry of set 1");
    assert_eq!(
        runtime.get("Counter", "c").await.expect("c")["count"],
        json!(2)
    );
    runtime
        .delete(&InvocationId::new(), "Counter", "c")
        .await
        .expect("delete");
    let revived = runtime
        .set_field(&InvocationId::new(), "Counter", "c", "count", json!(3))
        .await;
    assert!(
        matches!(revived, Err(Error::NotFound { .. })),
        "{revived:?}"
    );
    assert!(!runtime.exists("Counter", "c").await.expect("exists"));
}

/// Rule 3 for many-to-many: a link bumps both owners, so a student reading a course's list
/// conflicts with another student joining it concurrently.
async fn many_to_many_reads_see_concurrent_links(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    make(&runtime, "Course", "c", json!({})).await;
    for id in ["s1", "s2"] {
        make(&runtime, "Student", id, json!({})).await;
    }
    let meet = samples::Rendezvous::register("capacity", 2);
    let enrol = |student: &str| {
        call(
            "Student",
            student,
            "enrolIfRoom",
            json!({ "course": "c", "capacity": 1, "meet": meet }),
        )
    };
    let (first, second) = (enrol("s1"), enrol("s2"));
    let (one, two) = tokio::join!(runtime.invoke(&first), runtime.invoke(&second));
    let students = runtime
        .collection_ids("Course", "c", "students")
        .await
        .expect("students");
    assert_eq!(
        students.len(),
        1,
        "over capacity: {one:?} {two:?} → {students:?}"
    );
}

/// A method that raises a typed error commits no change, only its recorded outcome.
async fn a_failed_method_changes_nothing(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    make(&runtime, "Counter", "c", json!({ "count": 1 })).await;
    let failing = call("Counter", "c", "incrementThenFail", json!({}));
    let outcome = runtime.invoke(&failing).await;
    assert!(
        matches!(&outcome, Err(Error::User { name, .. }) if name == "Nope"),
        "{outcome:?}"
    );
    assert_eq!(
        runtime.get("Counter", "c").await.expect("c")["count"],
        json!(1)
    );
    assert_eq!(
        runtime.invoke(&failing).await,
        outcome,
        "the failure is the recorded outcome"
    );
}

async fn the_outbox_collector_delivers_in_the_background(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    for id in ["x", "y"] {
        make(&runtime, "Counter", id, json!({ "count": 0 })).await;
    }
    let collector = runtime.spawn_outbox_collector(Duration::from_millis(5));
    for _ in 0..3 {
        runtime
            .invoke(&call(
                "Counter",
                "x",
                "incrementLater",
                json!({ "other": "y" }),
            ))
            .await
            .expect("send");
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut count = json!(0);
    while std::time::Instant::now() < deadline {
        count = runtime.get("Counter", "y").await.expect("y")["count"].clone();
        if count == json!(3) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    collector.stop().await;
    assert_eq!(count, json!(3), "the collector did not deliver every call");
    assert_eq!(
        runtime.deliver_outbox(10).await,
        Ok(0),
        "nothing is left behind"
    );
}

/// Changing a deleted object fails, and a method that carries on anyway does not bring
/// the object back.
async fn a_deleted_object_stays_deleted(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    for (type_name, id) in [("Counter", "c"), ("Doc", "d")] {
        make(&runtime, type_name, id, json!({})).await;
    }
    runtime
        .delete(&InvocationId::new(), "Doc", "d")
        .await
        .expect("delete");
    let touch = call("Counter", "c", "touch", json!({ "type": "Doc", "id": "d" }));
    runtime.invoke(&touch).await.expect("touch carries on");
    assert!(
        !runtime.exists("Doc", "d").await.expect("exists"),
        "the deleted doc came back"
    );
    let touch = call(
        "Counter",
        "c",
        "touch",
        json!({ "type": "Doc", "id": "never" }),
    );
    runtime.invoke(&touch).await.expect("touch carries on");
    assert!(!runtime.exists("Doc", "never").await.expect("exists"));
}

/// A nested call that fails changes nothing, even when its caller catches the error.
async fn a_failed_nested_call_changes_nothing(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    for id in ["x", "y"] {
        make(&runtime, "Counter", id, json!({ "count": 1 })).await;
    }
    let outcome = runtime
        .invoke(&call("Counter", "x", "tryOther", json!({ "other": "y" })))
        .await;
    assert_eq!(outcome, Ok(json!(true)));
    assert_eq!(
        runtime.get("Counter", "x").await.expect("x")["count"],
        json!(2)
    );
    assert_eq!(
        runtime.get("Counter", "y").await.expect("y")["count"],
        json!(1),
        "the failed call's change leaked"
    );
}

/// A parent with more children than one commit can clear is deleted at once and its
/// children are released through the outbox.
async fn large_one_to_many_deletes_finish_through_the_outbox(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    make(&runtime, "Folder", "f", json!({})).await;
    let docs: Vec<String> = (0..60).map(|n| format!("d{n:02}")).collect();
    for doc in &docs {
        make(&runtime, "Doc", doc, json!({ "folder": "f" })).await;
    }
    runtime
        .delete(&InvocationId::new(), "Folder", "f")
        .await
        .expect("delete");
    assert!(!runtime.exists("Folder", "f").await.expect("exists"));
    let again = runtime
        .create(&InvocationId::new(), "Folder", "f", fields(json!({})))
        .await;
    assert!(
        matches!(again, Err(Error::Validation { .. })),
        "re-created mid-cascade: {again:?}"
    );
    let mut rounds = 0;
    while runtime.deliver_outbox(10).await.expect("deliver") > 0 {
        rounds += 1;
        assert!(rounds < 10, "the cascade does not finish");
    }
    for doc in &docs {
        assert!(
            !runtime
                .get("Doc", doc)
                .await
                .expect("doc")
                .contains_key("folder"),
            "{doc}"
        );
    }
    make(&runtime, "Folder", "f", json!({})).await;
    assert_eq!(
        runtime.collection_ids("Folder", "f", "docs").await,
        Ok(vec![])
    );
}

/// A required reference back cannot be cleared or missing, references hold ids, and
/// names starting with `_` are the runtime's.
async fn required_references_and_runtime_names_are_enforced(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    make(&runtime, "Room", "r", json!({})).await;
    let missing = runtime
        .create(
            &InvocationId::new(),
            "Booking",
            "k",
            fields(json!({ "slot": 1 })),
        )
        .await;
    assert!(
        matches!(missing, Err(Error::Validation { .. })),
        "{missing:?}"
    );
    let not_an_id = runtime
        .create(
            &InvocationId::new(),
            "Booking",
            "k",
            fields(json!({ "room": 7, "slot": 1 })),
        )
        .await;
    assert!(
        matches!(not_an_id, Err(Error::Validation { .. })),
        "{not_an_id:?}"
    );
    make(&runtime, "Doc", "d", json!({ "folder": null })).await;
    let system = runtime
        .create(
            &InvocationId::new(),
            "Counter",
            "c",
            fields(json!({ "_del": true })),
        )
        .await;
    assert!(
        matches!(system, Err(Error::Validation { .. })),
        "{system:?}"
    );
    let setter = runtime
        .set_field(&InvocationId::new(), "Doc", "d", "_ttl", json!(1))
        .await;
    assert!(
        matches!(setter, Err(Error::Validation { .. })),
        "{setter:?}"
    );
    let internal = runtime
        .invoke(&call("Doc", "d", "_cascade", json!(null)))
        .await;
    assert!(
        matches!(internal, Err(Error::Validation { .. })),
        "{internal:?}"
    );
    assert!(runtime.exists("Doc", "d").await.expect("exists"));
}

/// A create does not read its object first; a retry of one that succeeded must still get
/// the stored outcome, also when running it again would now fail for another reason (its
/// parent gone), and also with a single attempt allowed.
async fn a_retried_create_answers_as_the_first_did(store: Arc<dyn Store>) {
    let config = Config {
        max_attempts: 1,
        ..Config::default()
    };
    let runtime = samples::runtime(store, config).await;
    make(&runtime, "Room", "r1", json!({})).await;
    let create = InvocationId::new();
    let booking = fields(json!({ "room": "r1", "slot": 1 }));
    assert_eq!(
        runtime
            .create(&create, "Booking", "b1", booking.clone())
            .await,
        Ok(())
    );
    assert_eq!(
        runtime
            .create(&create, "Booking", "b1", booking.clone())
            .await,
        Ok(()),
        "a retry, with one attempt allowed"
    );
    // The booking and its room go; the booking's tombstone keeps the create's record.
    runtime
        .delete(&InvocationId::new(), "Booking", "b1")
        .await
        .expect("delete the booking");
    runtime
        .delete(&InvocationId::new(), "Room", "r1")
        .await
        .expect("delete the room");
    assert_eq!(
        runtime
            .create(&create, "Booking", "b1", booking.clone())
            .await,
        Ok(()),
        "a retry whose parent is gone since"
    );
    assert_eq!(runtime.exists("Booking", "b1").await, Ok(false));
    let fresh = runtime
        .create(&InvocationId::new(), "Booking", "b1", booking)
        .await;
    assert!(matches!(fresh, Err(Error::NotFound { .. })), "{fresh:?}");
}
