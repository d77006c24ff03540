//! The records benchmark: what one call costs on a BUSY object (one that has had many
//! calls, so its result records spill into pages) next to a QUIET one (few calls, records
//! inline), on the embedded SQLite store, in process.
//!
//! One object type `Account { balance: Int }` with a mutating `deposit(amount) -> Int`
//! (read-modify-write of its own balance), a read-only `balance() -> Int`, and the
//! generated setter path `Runtime::set_field(.., "balance", ..)`. Eight concurrent callers
//! (tokio tasks on a multi-thread runtime) never touch the same object at the same time:
//!
//! - quiet: 40,000 accounts, taken round-robin, so each gets at most a few calls;
//! - busy: 16 accounts, caller `i` alternating between accounts `i` and `i + 8`, each
//!   warmed with 50 deposits first.
//!
//! For the setter, deposit and balance it prints throughput, p50/p90/p99 latency, and
//! round trips and capacity units per call (from the store's [`Stats`]), with the busy
//! rows' throughput as a ratio of the quiet ones (the baseline, measured in the same run).
//! All rows share one SQLite file (WAL) in a fresh temporary directory, removed at the end.
//!
//! Run with `cargo run --release -p nubes-bench --bin records-bench`; pass the number of
//! calls per row as an argument (or set `NUBES_BENCH_CALLS`) to override the default
//! 20,000.
//!
//! [`Stats`]: nubes_runtime::store::Stats

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use nubes_bench::common::{build_kind, in_scratch_dir, machine, BoxError};
use nubes_runtime::store::sqlite::SqliteStore;
use nubes_runtime::store::{Key, StatsSnapshot, INVOCATIONS, SPILLED};
use nubes_runtime::{
    Ctx, Error, Invocation, InvocationId, Item, ObjectHandler, ObjectType, Runtime, Schema,
};
use serde_json::{json, Value};

/// The number of concurrent callers.
const CALLERS: usize = 8;
/// The number of quiet accounts.
const QUIET_ACCOUNTS: usize = 40_000;
/// The number of busy accounts: two per caller.
const BUSY_ACCOUNTS: usize = 2 * CALLERS;
/// The deposits each busy account gets before anything is measured.
const WARM_CALLS: usize = 50;
/// The default number of calls per row.
const DEFAULT_CALLS: usize = 20_000;

/// The handler of `Account`, written by hand as generated code would dispatch.
struct Accounts;

#[async_trait]
impl ObjectHandler for Accounts {
    fn is_readonly(&self, method: &str) -> bool {
        method == "balance"
    }

    async fn call(&self, ctx: &mut Ctx, method: &str, args: Value) -> Result<Value, Error> {
        let this = ctx.this_ref().clone();
        match method {
            "balance" => Ok(ctx
                .this()
                .await?
                .get("balance")
                .cloned()
                .unwrap_or(json!(0))),
            "deposit" => {
                let amount = args["amount"]
                    .as_i64()
                    .ok_or_else(|| Error::validation("`amount` must be an Int"))?;
                let fields = ctx.get_mut("Account", &this.id).await?;
                let balance = fields.get("balance").and_then(Value::as_i64).unwrap_or(0) + amount;
                fields.insert("balance".into(), json!(balance));
                Ok(json!(balance))
            }
            other => Err(Error::validation(format!(
                "`Account` has no method `{other}`"
            ))),
        }
    }
}

/// The id of quiet account `index`.
fn quiet_id(index: usize) -> String {
    format!("quiet-{index}")
}

/// The id of busy account `index`.
fn busy_id(index: usize) -> String {
    format!("busy-{index}")
}

/// The call a row makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `Runtime::set_field(.., "balance", ..)`: the setter's single-request path.
    Setter,
    /// `deposit(amount: 1)`: read, modify, conditional commit.
    Deposit,
    /// `balance()`: read-only, no commit.
    Balance,
}

impl Op {
    /// The name in the table.
    fn label(self) -> &'static str {
        match self {
            Op::Setter => "setter `balance`",
            Op::Deposit => "deposit (read-modify-write)",
            Op::Balance => "balance (read-only)",
        }
    }

    /// Makes one call on `object`.
    async fn call(self, runtime: &Runtime, object: &str, n: usize) -> Result<(), Error> {
        let id = InvocationId::new();
        match self {
            Op::Setter => {
                runtime
                    .set_field(&id, "Account", object, "balance", json!(n))
                    .await
            }
            Op::Deposit | Op::Balance => {
                let (method, args) = if self == Op::Deposit {
                    ("deposit", json!({ "amount": 1 }))
                } else {
                    ("balance", json!({}))
                };
                let invocation = Invocation {
                    id,
                    type_name: "Account".into(),
                    object: object.to_string(),
                    method: method.into(),
                    args,
                };
                runtime.invoke(&invocation).await.map(drop)
            }
        }
    }
}

/// Which accounts a row calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Load {
    /// Round-robin over the quiet accounts, starting at this offset (a multiple of
    /// [`CALLERS`], so caller `i` always stays on accounts `≡ i + offset (mod 8)`).
    Quiet(usize),
    /// Caller `i` alternates between busy accounts `i` and `i + 8`.
    Busy,
}

impl Load {
    /// The account that caller `caller` uses for its `k`-th call.
    fn account(self, caller: usize, k: usize) -> String {
        match self {
            Load::Quiet(offset) => quiet_id((offset + k * CALLERS + caller) % QUIET_ACCOUNTS),
            Load::Busy => busy_id(caller + CALLERS * (k % 2)),
        }
    }
}

/// What one row measured.
struct Measured {
    /// The calls made.
    calls: usize,
    /// From the first call's start to the last call's end.
    wall: Duration,
    /// Every call's duration, sorted.
    latencies: Vec<Duration>,
    /// What the store did meanwhile.
    stats: StatsSnapshot,
}

impl Measured {
    /// Calls per second.
    fn throughput(&self) -> f64 {
        self.calls as f64 / self.wall.as_secs_f64()
    }

    /// The latency at quantile `q` (0–1), in µs.
    fn percentile_us(&self, q: f64) -> f64 {
        nubes_bench::common::percentile_us(&self.latencies, q)
    }

    /// A store counter divided by the calls.
    fn per_call(&self, counter: u64) -> f64 {
        counter as f64 / self.calls as f64
    }
}

/// Runs `calls` calls of `op` (rounded down to a multiple of [`CALLERS`]) from
/// [`CALLERS`] concurrent tasks, spread over the accounts as `load` says.
async fn run(runtime: &Runtime, op: Op, load: Load, calls: usize) -> Result<Measured, BoxError> {
    let per_caller = calls / CALLERS;
    let before = runtime.store().stats().snapshot();
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(CALLERS);
    for caller in 0..CALLERS {
        let runtime = runtime.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_caller);
            for k in 0..per_caller {
                let object = load.account(caller, k);
                let start = Instant::now();
                op.call(&runtime, &object, k).await?;
                latencies.push(start.elapsed());
            }
            Ok::<_, Error>(latencies)
        }));
    }
    let mut latencies = Vec::with_capacity(per_caller * CALLERS);
    for task in tasks {
        latencies.extend(task.await??);
    }
    let wall = started.elapsed();
    let stats = runtime.store().stats().snapshot() - before;
    latencies.sort();
    Ok(Measured {
        calls: per_caller * CALLERS,
        wall,
        latencies,
        stats,
    })
}

/// Creates accounts `ids` with a zero balance, from [`CALLERS`] concurrent tasks.
async fn create_all(runtime: &Runtime, ids: Vec<String>) -> Result<(), BoxError> {
    let ids = Arc::new(ids);
    let mut tasks = Vec::with_capacity(CALLERS);
    for caller in 0..CALLERS {
        let (runtime, ids) = (runtime.clone(), Arc::clone(&ids));
        tasks.push(tokio::spawn(async move {
            for id in ids.iter().skip(caller).step_by(CALLERS) {
                let mut fields = Item::new();
                fields.insert("balance".into(), json!(0));
                runtime
                    .create(&InvocationId::new(), "Account", id, fields)
                    .await?;
            }
            Ok::<_, Error>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}

/// The stored item of account `id`: its size in bytes as JSON, its inline records, and
/// whether records spilled from it.
async fn item_shape(runtime: &Runtime, id: &str) -> Result<(usize, usize, bool), BoxError> {
    let item = runtime
        .store()
        .get(&Key::new("Account", id, "#"))
        .await?
        .ok_or_else(|| format!("account `{id}` has no stored item"))?;
    let inline = item
        .get(INVOCATIONS)
        .and_then(Value::as_object)
        .map_or(0, |records| records.len());
    Ok((
        serde_json::to_string(&item)?.len(),
        inline,
        item.contains_key(SPILLED),
    ))
}

/// The calls per row: the first argument, else `NUBES_BENCH_CALLS`, else the default.
fn calls_per_row() -> Result<usize, BoxError> {
    let given = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("NUBES_BENCH_CALLS").ok());
    let calls = match given {
        Some(text) => text
            .trim()
            .replace(['_', ','], "")
            .parse::<usize>()
            .map_err(|error| format!("calls per row `{text}`: {error}"))?,
        None => DEFAULT_CALLS,
    };
    if calls < CALLERS {
        return Err(format!("calls per row must be at least {CALLERS}, got {calls}").into());
    }
    Ok(calls - calls % CALLERS)
}

/// How many times each row runs; the median round is reported.
const ROUNDS: usize = 3;

/// The round of median throughput.
fn median(mut rounds: Vec<Measured>) -> Measured {
    rounds.sort_by(|a, b| a.throughput().total_cmp(&b.throughput()));
    rounds.swap_remove(rounds.len() / 2)
}

/// Sets up the store, runs every row and prints the table.
async fn bench(dir: &std::path::Path, calls: usize) -> Result<(), BoxError> {
    let store = SqliteStore::open(dir.join("records-bench.sqlite"))?;
    let schema = Schema::new("").with_type(ObjectType::new("Account"));
    let runtime = Runtime::builder(Arc::new(store), schema)
        .handler("Account", Arc::new(Accounts))
        .build();
    runtime.ensure_tables().await?;

    let setup = Instant::now();
    create_all(&runtime, (0..QUIET_ACCOUNTS).map(quiet_id).collect()).await?;
    create_all(&runtime, (0..BUSY_ACCOUNTS).map(busy_id).collect()).await?;
    // Warm-up: every busy account gets WARM_CALLS deposits (caller i: accounts i, i+8).
    run(
        &runtime,
        Op::Deposit,
        Load::Busy,
        WARM_CALLS * BUSY_ACCOUNTS,
    )
    .await?;
    let config = nubes_runtime::Config::default();
    println!(
        "setup: {QUIET_ACCOUNTS} quiet + {BUSY_ACCOUNTS} busy accounts created, each busy one \
         warmed with {WARM_CALLS} deposits, in {:.1} s (inline records at most {}, dedup \
         window {} s)\n",
        setup.elapsed().as_secs_f64(),
        config.inline_records,
        config.dedup_window.as_secs(),
    );

    println!(
        "| call | object | calls | calls/s | busy / quiet | p50 µs | p90 µs | p99 µs | round trips / call | RCU / call | WCU / call | items read / call | items written / call |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut offset = 0;
    for op in [Op::Setter, Op::Deposit, Op::Balance] {
        // Quiet and busy take turns, ROUNDS times each; the round of median throughput
        // stands for each, so a stall of the machine in one round does not decide.
        let mut quiet_rounds = Vec::new();
        let mut busy_rounds = Vec::new();
        for _ in 0..ROUNDS {
            let quiet = run(&runtime, op, Load::Quiet(offset), calls).await?;
            offset = (offset + quiet.calls) % QUIET_ACCOUNTS;
            quiet_rounds.push(quiet);
            busy_rounds.push(run(&runtime, op, Load::Busy, calls).await?);
        }
        let quiet = median(quiet_rounds);
        let busy = median(busy_rounds);
        for (name, measured, ratio) in [
            ("quiet (baseline)", &quiet, "—".to_string()),
            (
                "busy",
                &busy,
                format!("{:.2}", busy.throughput() / quiet.throughput()),
            ),
        ] {
            let stats = &measured.stats;
            println!(
                "| {} | {name} | {} | {:.0} | {ratio} | {:.0} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
                op.label(),
                measured.calls,
                measured.throughput(),
                measured.percentile_us(0.50),
                measured.percentile_us(0.90),
                measured.percentile_us(0.99),
                measured.per_call(stats.round_trips),
                measured.per_call(stats.read_units),
                measured.per_call(stats.write_units),
                measured.per_call(stats.items_read),
                measured.per_call(stats.items_written),
            );
        }
    }

    println!("\n| stored item | bytes (JSON) | inline records | records spilled |");
    println!("|---|---:|---:|---|");
    for id in [quiet_id(0), busy_id(0)] {
        let (bytes, inline, spilled) = item_shape(&runtime, &id).await?;
        println!(
            "| `{id}` | {bytes} | {inline} | {} |",
            if spilled { "yes" } else { "no" }
        );
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), BoxError> {
    let calls = calls_per_row()?;
    println!(
        "## nubes runtime: a busy object's calls next to a quiet one's (SQLite, in process)\n"
    );
    println!("machine: {}", machine());
    let build = build_kind();
    println!(
        "{CALLERS} concurrent callers, {calls} calls per row, median of {ROUNDS} alternating rounds, one shared SQLite file (WAL), {build} build\n"
    );
    in_scratch_dir(
        "records-bench",
        |dir| async move { bench(&dir, calls).await },
    )
    .await
}
