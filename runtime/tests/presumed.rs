//! A changing call that asks whether an object exists, and needs nothing else of it, is
//! answered without a read and the object checked at commit: counted in round trips, and
//! with the answers a read would give when the object is missing, deleted, or read later
//! in the call — on both stores.

mod samples;
#[macro_use]
mod support;

use std::sync::Arc;

use nubes_runtime::layout::OBJECT_SK;
use nubes_runtime::store::{Key, StatsSnapshot};
use nubes_runtime::{Config, Error, InvocationId, Runtime, Store};
use samples::{call, make};
use serde_json::{json, Value};

on_both_stores!(
    an_object_presumed_to_exist_costs_no_read,
    a_missing_object_is_found_missing_at_commit,
    a_deleted_object_is_found_missing_at_commit,
    a_later_read_settles_a_presumption,
    a_read_while_the_commit_is_built_settles_a_presumption,
    a_method_whose_presumption_failed_reads_first_for_a_while,
);

fn stats(runtime: &Runtime) -> StatsSnapshot {
    runtime.store().stats().snapshot()
}

/// The answer and the round trips of `student.joinCourse(course)`.
async fn join(runtime: &Runtime, student: &str, args: Value) -> (Result<Value, Error>, u64) {
    let before = stats(runtime);
    let answer = runtime
        .invoke(&call("Student", student, "joinCourse", args))
        .await;
    (answer, (stats(runtime) - before).round_trips)
}

/// The ids in collection `field` of `type_name` `id`.
async fn members(runtime: &Runtime, type_name: &str, id: &str, field: &str) -> Vec<String> {
    runtime
        .collection_ids(type_name, id, field)
        .await
        .expect("a collection")
}

/// The stored item of course `id`, with its runtime attributes.
async fn course_item(store: &dyn Store, id: &str) -> Option<nubes_runtime::Item> {
    store
        .get(&Key::new("Course", id, OBJECT_SK))
        .await
        .expect("a read")
}

async fn an_object_presumed_to_exist_costs_no_read(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store.clone(), Config::default()).await;
    make(&runtime, "Student", "s", json!({})).await;
    make(&runtime, "Course", "c", json!({})).await;
    let version = |item: Option<nubes_runtime::Item>| item.and_then(|item| item["_v"].as_u64());
    let before = version(course_item(store.as_ref(), "c").await);
    // The student's read and the commit: the course is checked there, not read.
    let (answer, round_trips) = join(&runtime, "s", json!({ "course": "c" })).await;
    assert_eq!((answer, round_trips), (Ok(json!(true)), 2));
    assert_eq!(members(&runtime, "Student", "s", "courses").await, ["c"]);
    assert_eq!(members(&runtime, "Course", "c", "students").await, ["s"]);
    // Its collection changed, so its version went up, as after a read.
    let after = version(course_item(store.as_ref(), "c").await);
    assert_eq!(after, before.map(|v| v + 1));
}

async fn a_missing_object_is_found_missing_at_commit(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store.clone(), Config::default()).await;
    make(&runtime, "Student", "s", json!({})).await;
    let invocation = call("Student", "s", "joinCourse", json!({ "course": "nope" }));
    let before = stats(&runtime);
    let answer = runtime.invoke(&invocation).await;
    let round_trips = (stats(&runtime) - before).round_trips;
    assert_eq!(answer, Err(Error::not_found("Course", "nope")));
    // The student, the commit the store refuses (and the course as it is, which it hands
    // back), then the commit of the recorded failure: the second run reads nothing.
    assert_eq!(round_trips, 3);
    assert!(members(&runtime, "Student", "s", "courses")
        .await
        .is_empty());
    assert_eq!(
        course_item(store.as_ref(), "nope").await,
        None,
        "a bump made it"
    );
    let edges = store
        .query("Course", "nope", "", None, 10)
        .await
        .expect("a query");
    assert!(edges.items.is_empty(), "{edges:?}");
    // The failure is the recorded outcome.
    assert_eq!(
        runtime.invoke(&invocation).await,
        Err(Error::not_found("Course", "nope"))
    );
}

async fn a_deleted_object_is_found_missing_at_commit(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store.clone(), Config::default()).await;
    make(&runtime, "Student", "s", json!({})).await;
    make(&runtime, "Course", "gone", json!({})).await;
    runtime
        .delete(&InvocationId::new(), "Course", "gone")
        .await
        .expect("a delete");
    let tombstone = course_item(store.as_ref(), "gone").await;
    let (answer, _) = join(&runtime, "s", json!({ "course": "gone" })).await;
    assert_eq!(answer, Err(Error::not_found("Course", "gone")));
    assert!(members(&runtime, "Student", "s", "courses")
        .await
        .is_empty());
    assert_eq!(
        course_item(store.as_ref(), "gone").await,
        tombstone,
        "the tombstone changed"
    );
}

async fn a_later_read_settles_a_presumption(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store.clone(), Config::default()).await;
    make(&runtime, "Student", "s", json!({})).await;
    make(&runtime, "Course", "c", json!({ "title": "Rust" })).await;
    // The read of the course's fields is the one the presumption saved.
    let (answer, round_trips) = join(&runtime, "s", json!({ "course": "c", "peek": true })).await;
    assert_eq!(
        answer.map(|fields| fields["title"].clone()),
        Ok(json!("Rust"))
    );
    assert_eq!(round_trips, 3);
    // Missing: the later read refutes the presumption before any commit, and the call
    // runs again on what the two reads found, then commits its failure.
    let fresh = samples::runtime(store.clone(), Config::default()).await;
    let (answer, round_trips) = join(&fresh, "s", json!({ "course": "nope", "peek": true })).await;
    assert_eq!(answer, Err(Error::not_found("Course", "nope")));
    assert_eq!(round_trips, 3);
    assert_eq!(members(&fresh, "Student", "s", "courses").await, ["c"]);
}

/// A method that creates what it finds missing, then points a child at it: the commit's
/// own read of the new parent finds it absent, and the call runs again, creating it.
async fn a_read_while_the_commit_is_built_settles_a_presumption(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store.clone(), Config::default()).await;
    make(&runtime, "Counter", "c", json!({ "count": 0 })).await;
    make(&runtime, "Doc", "d", json!({})).await;
    let invocation = call(
        "Counter",
        "c",
        "fileInto",
        json!({ "doc": "d", "folder": "f" }),
    );
    assert_eq!(runtime.invoke(&invocation).await, Ok(Value::Null));
    assert!(runtime.exists("Folder", "f").await.expect("a read"));
    assert_eq!(members(&runtime, "Folder", "f", "docs").await, ["d"]);
    assert_eq!(
        runtime.invoke(&invocation).await,
        Ok(Value::Null),
        "its retry"
    );
}

async fn a_method_whose_presumption_failed_reads_first_for_a_while(store: Arc<dyn Store>) {
    use nubes_runtime::{Clock, ManualClock, SystemClock};
    let clock = Arc::new(ManualClock::new(SystemClock.now_ms()));
    let config = Config {
        clock: clock.clone(),
        ..Config::default()
    };
    let runtime = samples::runtime(store.clone(), config).await;
    make(&runtime, "Student", "s", json!({})).await;
    for course in ["c", "d"] {
        make(&runtime, "Course", course, json!({})).await;
    }
    let (answer, _) = join(&runtime, "s", json!({ "course": "nope" })).await;
    assert_eq!(answer, Err(Error::not_found("Course", "nope")));
    // For a while this runtime reads the course first: the student, the course, the commit.
    let (answer, round_trips) = join(&runtime, "s", json!({ "course": "c" })).await;
    assert_eq!((answer, round_trips), (Ok(json!(true)), 3));
    // Then it presumes again.
    clock.advance(std::time::Duration::from_secs(10));
    let (answer, round_trips) = join(&runtime, "s", json!({ "course": "d" })).await;
    assert_eq!((answer, round_trips), (Ok(json!(true)), 2));
}
