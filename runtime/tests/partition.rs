//! A call that reads its target and the target's collection reads both in one query of
//! the target's partition, once the runtime has seen the method read it (a delete always):
//! counted in round trips, and with the same answers as reading them apart — also when
//! the collection takes several pages, when large result records kept apart sit between
//! the object and its edges, and when pages of spilled records sit before the object.

mod samples;
#[macro_use]
mod support;

use std::sync::Arc;

use nubes_runtime::layout::SPILL_PREFIX;
use nubes_runtime::store::{Condition, Key, StatsSnapshot, WriteOp};
use nubes_runtime::{Config, InvocationId, Runtime, Store};
use samples::{call, make};
use serde_json::{json, Value};

on_both_stores!(
    a_method_reads_its_object_with_its_collection,
    a_delete_reads_its_object_with_its_collection,
    a_collection_of_several_pages_is_read_whole,
    spilled_records_are_never_read_with_the_object,
    lingering_records_are_read_past_once,
);

/// What the store did during `work`, and what it answered.
async fn counted<T>(
    store: &Arc<dyn Store>,
    work: impl std::future::Future<Output = T>,
) -> (T, StatsSnapshot) {
    let before = store.stats().snapshot();
    let answer = work.await;
    (answer, store.stats().snapshot() - before)
}

/// Books `slot` of room `room` as booking `booking`; the round trips it took.
async fn book(
    runtime: &Runtime,
    store: &Arc<dyn Store>,
    room: &str,
    slot: i64,
    booking: &str,
) -> u64 {
    let args = json!({ "slot": slot, "booking": booking });
    let (booked, stats) = counted(store, runtime.invoke(&call("Room", room, "book", args))).await;
    assert_eq!(booked, Ok(json!(booking)));
    stats.round_trips
}

/// `freeSlots` of room `room`, and the store's work for it.
async fn free_slots(
    runtime: &Runtime,
    store: &Arc<dyn Store>,
    room: &str,
) -> (Value, StatsSnapshot) {
    let (free, stats) = counted(
        store,
        runtime.invoke(&call("Room", room, "freeSlots", json!({}))),
    )
    .await;
    (free.expect("freeSlots answers"), stats)
}

async fn a_method_reads_its_object_with_its_collection(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store.clone(), Config::default()).await;
    make(&runtime, "Room", "r1", json!({})).await;
    // The first `book` reads the room, then its (no) bookings, then the new booking's id,
    // then commits. Once the runtime knows `book` reads the bookings, it reads them with
    // the room: one query, the bookings' batched read, the new id, the commit — four
    // where it would take five.
    let trips = [
        book(&runtime, &store, "r1", 1, "b1").await,
        book(&runtime, &store, "r1", 2, "b2").await,
        book(&runtime, &store, "r1", 3, "b3").await,
    ];
    assert_eq!(trips, [4, 4, 4]);
    // A read-only method likewise: the room, its edges and the bookings, then the room
    // with its edges and the bookings; the same answer.
    let (first, stats) = free_slots(&runtime, &store, "r1").await;
    assert_eq!((first, stats.round_trips), (json!(7), 3));
    let (again, stats) = free_slots(&runtime, &store, "r1").await;
    assert_eq!(
        (again, stats.round_trips, stats.items_read),
        (json!(7), 2, 1 + 3 + 3)
    );
    // A booking taken is still seen through the one query.
    let taken = runtime
        .invoke(&call(
            "Room",
            "r1",
            "book",
            json!({ "slot": 2, "booking": "b4" }),
        ))
        .await;
    assert!(
        matches!(&taken, Err(nubes_runtime::Error::User { name, .. }) if name == "Taken"),
        "{taken:?}"
    );
    // A room that does not exist is still not found.
    let missing = runtime
        .invoke(&call("Room", "nowhere", "freeSlots", json!({})))
        .await;
    assert!(
        matches!(missing, Err(nubes_runtime::Error::NotFound { .. })),
        "{missing:?}"
    );
}

async fn a_delete_reads_its_object_with_its_collection(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store.clone(), Config::default()).await;
    for (type_name, id) in [("Student", "s1"), ("Course", "c1"), ("Course", "c2")] {
        make(&runtime, type_name, id, json!({})).await;
    }
    let courses = ["c1".to_string(), "c2".to_string()];
    runtime
        .add_to(&InvocationId::new(), "Student", "s1", "courses", &courses)
        .await
        .expect("enrol");
    // One query for the student and its courses, one batched read of the courses (their
    // versions go up), one commit removing both sides: three where it would take four.
    let (deleted, stats) = counted(
        &store,
        runtime.delete(&InvocationId::new(), "Student", "s1"),
    )
    .await;
    assert_eq!((deleted, stats.round_trips), (Ok(()), 3));
    for course in ["c1", "c2"] {
        assert_eq!(
            runtime.collection_ids("Course", course, "students").await,
            Ok(vec![])
        );
    }
}

async fn a_collection_of_several_pages_is_read_whole(store: Arc<dyn Store>) {
    let config = Config {
        page_size: 2,
        ..Config::default()
    };
    let runtime = samples::runtime(store.clone(), config).await;
    make(&runtime, "Room", "r1", json!({})).await;
    for slot in 1..=5 {
        book(&runtime, &store, "r1", slot, &format!("b{slot}")).await;
    }
    let (free, _) = free_slots(&runtime, &store, "r1").await;
    assert_eq!(free, json!(5));
    // The first page holds the room and one booking's edge; the rest follow it in pages
    // of two (the last one empty), then the bookings' batched read.
    let (free, stats) = free_slots(&runtime, &store, "r1").await;
    assert_eq!(
        (free, stats.round_trips, stats.items_read),
        (json!(5), 4 + 1, 6 + 5)
    );
}

async fn spilled_records_are_never_read_with_the_object(store: Arc<dyn Store>) {
    // Every record spills: the room's partition holds a page of records per call, before
    // the room's item.
    let config = Config {
        inline_records: 0,
        page_size: 2,
        ..Config::default()
    };
    let runtime = samples::runtime(store.clone(), config.clone()).await;
    make(&runtime, "Room", "r1", json!({})).await;
    for slot in 1..=3 {
        book(&runtime, &store, "r1", slot, &format!("b{slot}")).await;
    }
    let table = store
        .query("Room", "r1", SPILL_PREFIX, None, 100)
        .await
        .expect("a query");
    assert!(
        table.items.len() >= 3,
        "the records did not spill: {table:?}"
    );
    // A runtime that has not seen the room yet learns that `freeSlots` reads the bookings.
    let fresh = samples::runtime(store.clone(), config).await;
    let (free, _) = free_slots(&fresh, &store, "r1").await;
    assert_eq!(free, json!(7));
    // Then it reads the room with the bookings' edges, and no page of records, every time.
    for _ in 0..2 {
        let (free, stats) = free_slots(&fresh, &store, "r1").await;
        assert_eq!((free, stats.items_read), (json!(7), 1 + 3 + 3));
    }
}

async fn lingering_records_are_read_past_once(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store.clone(), Config::default()).await;
    make(&runtime, "Room", "r1", json!({})).await;
    for slot in 1..=3 {
        book(&runtime, &store, "r1", slot, &format!("b{slot}")).await;
    }
    // A record kept apart that this runtime never saw written (another process wrote it,
    // or it expired and lingers until its expiry is carried out): it lies between the
    // room and its edges.
    let lingering = Key::new("Room", "r1", format!("inv#{}", InvocationId::new()));
    let record = json!({ "at": 1, "ok": null, "_ttl": 4_102_444_800u64 });
    store
        .write(vec![WriteOp::Put {
            key: lingering,
            item: samples::fields(record),
            condition: Condition::Always,
        }])
        .await
        .expect("a record is written");
    let fresh = samples::runtime(store.clone(), Config::default()).await;
    let (free, _) = free_slots(&fresh, &store, "r1").await;
    assert_eq!(free, json!(7));
    // Read with the bookings once: the room, the record, three edges, three bookings …
    let (free, stats) = free_slots(&fresh, &store, "r1").await;
    assert_eq!((free, stats.items_read), (json!(7), 1 + 1 + 3 + 3));
    // … and not again: the room alone, its edges, the bookings.
    let (free, stats) = free_slots(&fresh, &store, "r1").await;
    assert_eq!((free, stats.items_read), (json!(7), 1 + 3 + 3));
}
