//! The outbox is spread over partitions, so no one partition's write limit bounds how many
//! asynchronous calls an application makes, and delivery reaches every partition: a full
//! sweep, a collector's rounds, and a collector of another process that stored nothing.

mod samples;
#[macro_use]
mod support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use nubes_runtime::store::{Condition, Key, WriteOp};
use nubes_runtime::{Config, Invocation, InvocationId, Runtime, Store};
use samples::make;
use serde_json::{json, Value};

on_both_stores!(
    calls_spread_over_the_partitions_and_a_sweep_drains_them,
    a_collector_of_another_process_drains_every_partition,
    a_collectors_first_round_delivers_its_own_processs_calls,
    calls_stored_in_the_earlier_single_partition_are_delivered
);

/// How many asynchronous calls each test sends, one per commit.
const CALLS: usize = 64;

/// Counters `t0`…`t9` to receive the calls, and `c1` to send them.
async fn counters(runtime: &Runtime) {
    make(runtime, "Counter", "c1", json!({ "count": 0 })).await;
    for n in 0..10 {
        make(runtime, "Counter", &format!("t{n}"), json!({ "count": 0 })).await;
    }
}

/// `c1` sends `increment` to `t0`…`t9` in turn, `CALLS` times, each in its own commit.
async fn send_calls(runtime: &Runtime) {
    for n in 0..CALLS {
        let call = Invocation {
            id: InvocationId::new(),
            type_name: "Counter".into(),
            object: "c1".into(),
            method: "sendLater".into(),
            args: json!({ "other": format!("t{}", n % 10), "method": "increment" }),
        };
        runtime.invoke(&call).await.expect("sendLater commits");
    }
}

/// The pending messages of each partition that holds any, by partition.
async fn pending_by_partition(runtime: &Runtime) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    for partition in runtime.config().outbox_partitions() {
        let page = runtime
            .store()
            .query("_outbox", &partition, "msg#", None, 1_000)
            .await
            .expect("the outbox reads");
        if !page.items.is_empty() {
            found.push((partition, page.items.len()));
        }
    }
    found
}

/// The sum of the counts of `t0`…`t9`: one per delivered call.
async fn total_count(runtime: &Runtime) -> i64 {
    let mut total = 0;
    for n in 0..10 {
        let object = runtime
            .get("Counter", &format!("t{n}"))
            .await
            .expect("the counter exists");
        total += object.get("count").and_then(Value::as_i64).unwrap_or(0);
    }
    total
}

async fn calls_spread_over_the_partitions_and_a_sweep_drains_them(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store, Config::default()).await;
    counters(&runtime).await;
    send_calls(&runtime).await;

    let pending = pending_by_partition(&runtime).await;
    let stored: usize = pending.iter().map(|(_, count)| count).sum();
    assert_eq!(stored, CALLS, "every call is stored once: {pending:?}");
    // 64 calls over 32 partitions by a uniform hash use about 28 of them; fewer than 20
    // means the calls are not spread.
    assert!(
        pending.len() >= 20,
        "{CALLS} calls used only {} of 32 partitions: {pending:?}",
        pending.len()
    );
    let busiest = pending.iter().map(|(_, count)| *count).max().unwrap_or(0);
    assert!(
        busiest <= 15,
        "one partition holds {busiest} of {CALLS} calls: {pending:?}"
    );

    // A sweep with a small limit per partition: each round takes at most 2 of each.
    let mut delivered = 0;
    let mut rounds = 0;
    loop {
        let count = runtime.deliver_outbox(2).await.expect("delivery");
        if count == 0 {
            break;
        }
        assert!(
            count <= 2 * 32,
            "a round delivered {count} calls with a limit of 2 a partition"
        );
        delivered += count;
        rounds += 1;
        assert!(rounds <= CALLS, "the sweep does not end");
    }
    assert_eq!(delivered, CALLS);
    assert!(pending_by_partition(&runtime).await.is_empty());
    assert_eq!(
        total_count(&runtime).await,
        CALLS as i64,
        "each call ran once"
    );
}

async fn a_collector_of_another_process_drains_every_partition(store: Arc<dyn Store>) {
    let sender = samples::runtime(store.clone(), Config::default()).await;
    counters(&sender).await;
    send_calls(&sender).await;
    let partitions: BTreeSet<String> = pending_by_partition(&sender)
        .await
        .into_iter()
        .map(|(partition, _)| partition)
        .collect();
    assert!(partitions.len() > 1, "the calls are in one partition");

    // Another process: it stored nothing. Its first round sweeps every partition.
    let other = samples::runtime(store, Config::default()).await;
    let first = other.deliver_outbox_round(100).await.expect("a round");
    assert_eq!(
        first, CALLS,
        "a collector's first round sweeps every partition"
    );

    // Later rounds visit one partition after another (and the sender's process, not
    // this one, knows where its new calls went): 33 rounds (32 partitions and the
    // earlier single one) reach them all.
    send_calls(&sender).await;
    let mut delivered = 0;
    for _round in 0..33 {
        delivered += other.deliver_outbox_round(100).await.expect("a round");
    }
    assert_eq!(delivered, CALLS, "33 rounds visit every partition");
    assert!(pending_by_partition(&other).await.is_empty());

    // A background collector of the other process delivers new calls of the sender.
    let collector = other.spawn_outbox_collector(Duration::from_millis(1));
    send_calls(&sender).await;
    let mut waited = 0;
    while !pending_by_partition(&sender).await.is_empty() {
        waited += 1;
        assert!(waited < 10_000, "the collector never drains the outbox");
        tokio::task::yield_now().await;
    }
    collector.stop().await;
    assert_eq!(
        total_count(&sender).await,
        3 * CALLS as i64,
        "each call ran once"
    );
}

async fn a_collectors_first_round_delivers_its_own_processs_calls(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store, Config::default()).await;
    counters(&runtime).await;
    send_calls(&runtime).await;
    let partitions = pending_by_partition(&runtime).await.len();
    assert!(partitions > 1, "the calls are in one partition");
    // The commits marked their partitions: one round reaches them all, where visiting
    // one partition a round would take many.
    let delivered = runtime.deliver_outbox_round(100).await.expect("a round");
    assert_eq!(
        delivered, CALLS,
        "one round delivered {delivered} of {CALLS} over {partitions} partitions"
    );
    assert!(pending_by_partition(&runtime).await.is_empty());
    assert_eq!(total_count(&runtime).await, CALLS as i64);
}

async fn calls_stored_in_the_earlier_single_partition_are_delivered(store: Arc<dyn Store>) {
    let runtime = samples::runtime(store, Config::default()).await;
    counters(&runtime).await;
    // As an earlier version stored it: every message in the partition `outbox`.
    let call = Invocation {
        id: InvocationId::new(),
        type_name: "Counter".into(),
        object: "t3".into(),
        method: "increment".into(),
        args: json!({}),
    };
    let mut item = nubes_runtime::Item::new();
    item.insert(
        "invocation".into(),
        serde_json::to_value(&call).expect("JSON"),
    );
    runtime
        .store()
        .write(vec![WriteOp::Put {
            key: Key::new("_outbox", "outbox", format!("msg#{}", call.id.as_str())),
            item,
            condition: Condition::Absent,
        }])
        .await
        .expect("a message in the earlier layout");
    assert_eq!(runtime.deliver_outbox(10).await, Ok(1));
    assert_eq!(total_count(&runtime).await, 1);
    assert_eq!(pending_by_partition(&runtime).await, Vec::new());
}
