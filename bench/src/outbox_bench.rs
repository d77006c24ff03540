//! The outbox benchmark: how fast one process delivers a backlog of asynchronous calls,
//! with the outbox in one partition, one call at a time (the layout before it was spread:
//! the baseline, measured in the same run), in 32 partitions one call at a time each, and
//! in 32 partitions with 16 calls of each in flight (the default).
//!
//! One object type `Counter` with `send(target)`, which stores an asynchronous
//! `increment` of counter `target` in the outbox, and `increment()`. Each row starts from
//! a fresh store: 100 counters, then the backlog's sends from 64 concurrent senders (each
//! its own sender object), then the timed part: `Runtime::deliver_outbox(100)` rounds
//! until one delivers nothing. Every call must have run once (the counters' sum is
//! checked). On the modelled store the one-partition baseline gets a smaller backlog (it
//! delivers one call at a time, at the same rate whatever the backlog).
//!
//! Stores: the embedded SQLite store (in memory), and the modelled cloud store of the
//! hotel benchmark (SQLite with every request delayed as long as a DynamoDB request takes,
//! by a published measurement): a model, not AWS.
//!
//! Run with `cargo run --release -p nubes-bench --bin outbox-bench -- --help`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use clap::Parser;
use nubes_bench::common::{build_kind, machine, BoxError};
use nubes_bench::hotel::modelled::{Latency, ModelledStore, SINGLE_MS, TRANSACTION_MS};
use nubes_runtime::store::sqlite::SqliteStore;
use nubes_runtime::{
    Config, Ctx, Error, Invocation, InvocationId, ObjectHandler, ObjectType, Runtime, Schema, Store,
};
use serde_json::{json, Value};

/// Delivers a backlog of asynchronous calls with the outbox in one partition and spread.
#[derive(Debug, Parser)]
#[command(name = "outbox-bench")]
struct Args {
    /// Calls in the backlog on SQLite.
    #[arg(long, default_value_t = 4_000)]
    calls: usize,
    /// Calls in the backlog on the modelled cloud store.
    #[arg(long, default_value_t = 20_000)]
    modelled_calls: usize,
    /// The most calls the one-partition baseline delivers on the modelled cloud store: it
    /// delivers one call at a time, some 33 a second whatever the backlog, so a larger
    /// one would only take longer.
    #[arg(long, default_value_t = 1_000)]
    modelled_baseline_calls: usize,
    /// The seed of the modelled latencies.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// The number of counters the calls go to.
const TARGETS: usize = 100;
/// The number of concurrent senders.
const SENDERS: usize = 64;

/// The handler of `Counter`, written by hand as generated code would dispatch.
struct Counters;

#[async_trait]
impl ObjectHandler for Counters {
    fn is_readonly(&self, _method: &str) -> bool {
        false
    }

    async fn call(&self, ctx: &mut Ctx, method: &str, args: Value) -> Result<Value, Error> {
        let this = ctx.this_ref().clone();
        match method {
            "send" => {
                let target = args["target"]
                    .as_str()
                    .ok_or_else(|| Error::validation("`target` must be a String"))?
                    .to_string();
                ctx.send("Counter", &target, "increment", json!({}))?;
                Ok(Value::Null)
            }
            "increment" => {
                let fields = ctx.get_mut("Counter", &this.id).await?;
                let count = fields.get("count").and_then(Value::as_i64).unwrap_or(0) + 1;
                fields.insert("count".into(), json!(count));
                Ok(json!(count))
            }
            other => Err(Error::validation(format!(
                "`Counter` has no method `{other}`"
            ))),
        }
    }
}

/// One layout of the outbox and how its calls are delivered.
#[derive(Debug, Clone, Copy)]
struct Layout {
    name: &'static str,
    shards: usize,
    at_once: usize,
}

const LAYOUTS: [Layout; 3] = [
    Layout {
        name: "1 partition, 1 call at a time (baseline)",
        shards: 1,
        at_once: 1,
    },
    Layout {
        name: "32 partitions, 1 call at a time each",
        shards: 32,
        at_once: 1,
    },
    Layout {
        name: "32 partitions, 16 calls at a time each (default)",
        shards: 32,
        at_once: 16,
    },
];

fn runtime(store: Arc<dyn Store>, layout: Layout) -> Runtime {
    let schema = Schema::new("").with_type(ObjectType::new("Counter"));
    let config = Config {
        outbox_shards: layout.shards,
        outbox_delivery_concurrency: layout.at_once,
        ..Config::default()
    };
    Runtime::builder(store, schema)
        .handler("Counter", Arc::new(Counters))
        .config(config)
        .build()
}

fn call(object: &str, method: &str, args: Value) -> Invocation {
    Invocation {
        id: InvocationId::new(),
        type_name: "Counter".into(),
        object: object.into(),
        method: method.into(),
        args,
    }
}

/// Makes the counters and the backlog of `calls` asynchronous calls.
async fn backlog(runtime: &Runtime, calls: usize) -> Result<(), BoxError> {
    runtime.ensure_tables().await?;
    let fields = |count: i64| {
        let mut fields = nubes_runtime::Item::new();
        fields.insert("count".into(), json!(count));
        fields
    };
    for n in 0..TARGETS {
        runtime
            .create(&InvocationId::new(), "Counter", &format!("t{n}"), fields(0))
            .await?;
    }
    let mut senders = tokio::task::JoinSet::new();
    for sender in 0..SENDERS {
        let runtime = runtime.clone();
        senders.spawn(async move {
            let me = format!("s{sender}");
            runtime
                .create(&InvocationId::new(), "Counter", &me, fields(0))
                .await?;
            for n in (sender..calls).step_by(SENDERS) {
                let target = format!("t{}", n % TARGETS);
                runtime
                    .invoke(&call(&me, "send", json!({ "target": target })))
                    .await?;
            }
            Ok::<(), Error>(())
        });
    }
    while let Some(sent) = senders.join_next().await {
        sent??;
    }
    Ok(())
}

/// The sum of the targets' counts.
async fn delivered_total(runtime: &Runtime) -> Result<i64, BoxError> {
    let mut total = 0;
    for n in 0..TARGETS {
        let counter = runtime.get("Counter", &format!("t{n}")).await?;
        total += counter.get("count").and_then(Value::as_i64).unwrap_or(0);
    }
    Ok(total)
}

/// Delivers the whole backlog; how long it took and in how many rounds.
async fn drain(runtime: &Runtime) -> Result<(Duration, usize), BoxError> {
    let started = Instant::now();
    let mut rounds = 0;
    while runtime.deliver_outbox(100).await? > 0 {
        rounds += 1;
    }
    Ok((started.elapsed(), rounds))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    let single = Latency::new(SINGLE_MS.0, SINGLE_MS.1)?;
    let transaction = Latency::new(TRANSACTION_MS.0, TRANSACTION_MS.1)?;
    println!("# The outbox: delivering a backlog of asynchronous calls\n");
    println!(
        "{} build on {}; {TARGETS} target counters, backlog sent by {SENDERS} concurrent senders; modelled latencies seed {}.\n",
        build_kind(),
        machine(),
        args.seed
    );
    println!("| store | layout | calls | rounds | seconds | calls/s | × baseline |");
    println!("|---|---|---|---|---|---|---|");
    for modelled in [false, true] {
        let mut baseline = None;
        for layout in LAYOUTS {
            let calls = match (modelled, layout.shards) {
                (false, _) => args.calls,
                (true, 1) => args.modelled_calls.min(args.modelled_baseline_calls),
                (true, _) => args.modelled_calls,
            };
            let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::in_memory()?);
            let store: Arc<dyn Store> = if modelled {
                Arc::new(ModelledStore::new(sqlite, single, transaction, args.seed))
            } else {
                sqlite
            };
            let runtime = runtime(store, layout);
            backlog(&runtime, calls).await?;
            let (took, rounds) = drain(&runtime).await?;
            let total = delivered_total(&runtime).await?;
            if total != calls as i64 {
                return Err(format!("{}: {total} of {calls} calls ran", layout.name).into());
            }
            let rate = calls as f64 / took.as_secs_f64();
            let base = *baseline.get_or_insert(rate);
            println!(
                "| {} | {} | {calls} | {rounds} | {:.2} | {rate:.0} | {:.1} |",
                if modelled { "modelled cloud" } else { "sqlite" },
                layout.name,
                took.as_secs_f64(),
                rate / base
            );
        }
    }
    Ok(())
}
