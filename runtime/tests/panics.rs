//! A panic in a method's code ends that call only: the caller gets `Panicked` naming the
//! method, nothing the call changed commits, the call is not retried as if the fault were
//! passing, and the runtime goes on serving every other call.

mod samples;
#[macro_use]
mod support;

use std::sync::Arc;

use nubes_runtime::{Config, Error, Invocation, InvocationId, Reply, Store};
use samples::make;
use serde_json::{json, Value};

on_both_stores!(
    a_panicking_method_commits_nothing,
    other_calls_go_on_while_calls_panic,
    a_repeat_that_would_panic_gets_the_recorded_answer,
    an_asynchronous_call_that_panics_is_set_aside,
    an_asynchronous_call_to_an_invalid_id_is_refused
);

fn counter_call(object: &str, method: &str, id: &InvocationId) -> Invocation {
    Invocation {
        id: id.clone(),
        type_name: "Counter".into(),
        object: object.into(),
        method: method.into(),
        args: json!({}),
    }
}

/// `c1` sends `method` to `other`, to run after the call commits.
fn send_later(other: &str, method: &str) -> Invocation {
    Invocation {
        args: json!({ "other": other, "method": method }),
        ..counter_call("c1", "sendLater", &InvocationId::new())
    }
}

/// How many messages of the outbox wait to be delivered (`prefix` `msg#`) or were set
/// aside (`aside#`).
async fn outbox_len(runtime: &nubes_runtime::Runtime, prefix: &str) -> usize {
    let mut count = 0;
    for partition in runtime.config().outbox_partitions() {
        count += runtime
            .store()
            .query("_outbox", &partition, prefix, None, 100)
            .await
            .map(|page| page.items.len())
            .expect("the outbox reads");
    }
    count
}

async fn a_panicking_method_commits_nothing(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store, Config::default()).await;
    make(&runtime, "Counter", "c1", json!({ "count": 5 })).await;
    let id = InvocationId::new();
    let answer = runtime
        .invoke(&counter_call("c1", "incrementThenPanic", &id))
        .await;
    let Err(error @ Error::Panicked { call, message }) = &answer else {
        panic!("not a panic: {answer:?}");
    };
    assert_eq!(call, "Counter `c1`.incrementThenPanic");
    assert_eq!(message, "a bug after a change");
    assert!(!error.is_retryable(), "a panic is not worth a retry");
    let counter = runtime.get("Counter", "c1").await.expect("c1");
    assert_eq!(
        counter["count"],
        json!(5),
        "the panicked call's change committed"
    );
    // No outcome was recorded: the same id runs again, and panics again.
    let again = runtime
        .invoke(&counter_call("c1", "incrementThenPanic", &id))
        .await;
    assert_eq!(again, answer);
    // A read-only method's panic is caught alike.
    let read = runtime
        .invoke(&counter_call("c1", "panicOnRead", &InvocationId::new()))
        .await;
    assert!(
        matches!(&read, Err(Error::Panicked { message, .. }) if message == "a bug in a read-only method"),
        "{read:?}"
    );
    // The error travels over a transport as it is.
    let reply = Reply::from(answer);
    let sent = serde_json::to_value(&reply).expect("a reply is JSON");
    assert_eq!(sent["error"]["kind"], json!("panicked"));
    let received: Reply = serde_json::from_value(sent).expect("a reply reads back");
    assert_eq!(received, reply);
}

async fn other_calls_go_on_while_calls_panic(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store, Config::default()).await;
    make(&runtime, "Counter", "c1", json!({ "count": 0 })).await;
    let mut calls = tokio::task::JoinSet::new();
    for n in 0..16 {
        let runtime = runtime.clone();
        let method = if n % 2 == 0 {
            "increment"
        } else {
            "incrementThenPanic"
        };
        calls.spawn(async move {
            let answer = runtime
                .invoke(&counter_call("c1", method, &InvocationId::new()))
                .await;
            (method, answer)
        });
    }
    let mut panicked = 0;
    while let Some(joined) = calls.join_next().await {
        let (method, answer) = joined.expect("a caller's task ended with the panic");
        match (method, answer) {
            ("increment", Ok(Value::Number(_))) => {}
            ("incrementThenPanic", Err(Error::Panicked { .. })) => panicked += 1,
            (method, answer) => panic!("{method} answered {answer:?}"),
        }
    }
    assert_eq!(panicked, 8);
    let counter = runtime.get("Counter", "c1").await.expect("c1");
    assert_eq!(
        counter["count"],
        json!(8),
        "an increment was lost or a panic committed"
    );
}

async fn a_repeat_that_would_panic_gets_the_recorded_answer(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store, Config::default()).await;
    make(&runtime, "Counter", "c1", json!({ "count": 0 })).await;
    // An id that is not a UUID v7 keeps its record apart, where a repeat finds it only
    // after running again: on the changed state, the method now panics.
    let id = InvocationId::from("client-made-id-1");
    let first = runtime
        .invoke(&counter_call("c1", "incrementOnce", &id))
        .await;
    assert_eq!(first, Ok(json!(1)));
    let repeat = runtime
        .invoke(&counter_call("c1", "incrementOnce", &id))
        .await;
    assert_eq!(repeat, first, "a committed call's repeat lost its answer");
    let counter = runtime.get("Counter", "c1").await.expect("c1");
    assert_eq!(counter["count"], json!(1));
}

async fn an_asynchronous_call_that_panics_is_set_aside(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store, Config::default()).await;
    make(&runtime, "Counter", "c1", json!({ "count": 0 })).await;
    make(&runtime, "Counter", "c2", json!({ "count": 3 })).await;
    let sent = runtime
        .invoke(&send_later("c2", "incrementThenPanic"))
        .await;
    assert_eq!(sent, Ok(Value::Null));
    assert_eq!(outbox_len(&runtime, "msg#").await, 1);
    // Not delivered, not kept to panic again every round: set aside.
    assert_eq!(runtime.deliver_outbox(10).await, Ok(0));
    assert_eq!(outbox_len(&runtime, "msg#").await, 0);
    assert_eq!(outbox_len(&runtime, "aside#").await, 1);
    let counter = runtime.get("Counter", "c2").await.expect("c2");
    assert_eq!(
        counter["count"],
        json!(3),
        "the panicked call's change committed"
    );
}

async fn an_asynchronous_call_to_an_invalid_id_is_refused(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store, Config::default()).await;
    make(&runtime, "Counter", "c1", json!({ "count": 0 })).await;
    let before = runtime.get("Counter", "c1").await.expect("c1");
    for (other, method, expected) in [
        ("", "increment", "the id of a `Counter` is empty"),
        (
            "c2",
            "_cascade",
            "names starting with `_` belong to the runtime",
        ),
    ] {
        let sent = runtime.invoke(&send_later(other, method)).await;
        assert!(
            matches!(&sent, Err(Error::Validation { message }) if message.contains(expected)),
            "{sent:?}"
        );
    }
    assert_eq!(
        outbox_len(&runtime, "").await,
        0,
        "a refused call queued a message"
    );
    let after = runtime.get("Counter", "c1").await.expect("c1");
    assert_eq!(after, before, "a refused call changed its object");
}
