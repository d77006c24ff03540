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
    other_calls_go_on_while_calls_panic
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
