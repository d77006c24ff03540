//! The hotel benchmark: the nine tasks of the evaluation of Nubes and Nubes+ on the
//! hotel application, exactly-once (the generated crates and `examples/hotel`) beside
//! `ssf` (the same tasks by hand on the store, without guarantees), on the embedded
//! SQLite store, on a modelled cloud store, on DynamoDB's API (moto) and over the Lambda
//! transport, at fixed rates (open loop) and at the most calls per second (closed loop),
//! with cost; then raw SQLite's rates as the ceiling and the collection tasks' round
//! trips as collections grow.
//!
//! `cargo run --release -p nubes-bench --bin hotel-bench` runs the full benchmark
//! (scale 1: 250,000 reservations and 50,000 users, seeded first); `--help` lists the
//! settings; `--smoke` is a run of seconds.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use hotel_client::Client;
use hotel_model::user;
use indicatif::ProgressBar;
use nubes_bench::common::{build_kind, copy_sqlite, in_scratch_dir, machine};
use nubes_bench::hotel::dataset::{self, Dataset, Sizes};
use nubes_bench::hotel::exactly_once::in_process_client;
use nubes_bench::hotel::lambda::{self, SsfOverLambda};
use nubes_bench::hotel::load::{self, Load};
use nubes_bench::hotel::modelled::{self, Latency, ModelledStore};
use nubes_bench::hotel::report::{self, Prices, Row};
use nubes_bench::hotel::workload::{Mix, Task, Workload};
use nubes_bench::hotel::{ceiling, chart, growth, moto};
use nubes_bench::hotel::{ExactlyOnce, Ssf, Tasks};
use nubes_bench::BoxError;
use nubes_runtime::store::dynamo::DynamoStore;
use nubes_runtime::store::sqlite::SqliteStore;
use nubes_runtime::Store;

/// The stores a run can measure on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StoreKind {
    /// The embedded SQLite store (one file, WAL), in process.
    Sqlite,
    /// The SQLite store with each request delayed as DynamoDB's would be (a model).
    Modelled,
    /// DynamoDB's API served by moto on 127.0.0.1, in process: slow (moto answers one
    /// request at a time), so at `--moto-scale` and `--moto-rates`.
    Moto,
    /// The moto store behind the Lambda transport: each call an `Invoke` through a local
    /// Lambda emulator to a function process, at `--lambda-rates`.
    Lambda,
}

impl StoreKind {
    fn label(self) -> &'static str {
        match self {
            StoreKind::Sqlite => "sqlite",
            StoreKind::Modelled => "modelled cloud",
            StoreKind::Moto => "dynamodb (moto)",
            StoreKind::Lambda => "lambda + dynamodb (moto)",
        }
    }
}

/// The hotel benchmark: the nine hotel tasks, exactly-once beside the same tasks written
/// by hand on the store, on SQLite, on a modelled cloud store, on moto and over the Lambda
/// transport, at fixed rates and at the most calls per second, with cost.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Dataset size: 1.0 is the original evaluation's (5 cities × 100 hotels × 25 rooms ×
    /// 20 reservations, 50,000 users); hotels and users grow with it.
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Stores to measure on.
    #[arg(long, value_enum, value_delimiter = ',', default_values = ["sqlite", "modelled", "moto", "lambda"])]
    stores: Vec<StoreKind>,
    /// Open-loop rates, in calls per second.
    #[arg(long, value_delimiter = ',', default_values_t = [100.0, 1000.0])]
    rates: Vec<f64>,
    /// Dataset size on moto (`--stores moto`): its minimum keeps 25 rooms of 20
    /// reservations in each of 5 hotels.
    #[arg(long, default_value_t = 0.002)]
    moto_scale: f64,
    /// Open-loop rates on moto, in calls per second.
    #[arg(long, value_delimiter = ',', default_values_t = [20.0])]
    moto_rates: Vec<f64>,
    /// Open-loop rates over the Lambda transport, in calls per second (closed-loop rows
    /// are not run there).
    #[arg(long, value_delimiter = ',', default_values_t = [5.0])]
    lambda_rates: Vec<f64>,
    /// Function processes started for each implementation over Lambda.
    #[arg(long, default_value_t = 2)]
    lambda_functions: usize,
    /// Also run each scenario closed-loop with this many workers, for the most calls per
    /// second (0: not).
    #[arg(long, default_value_t = 0)]
    closed: usize,
    /// Seconds measured in each row.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Seconds run before each row's measurement and left out.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Tasks to run one at a time [default: all nine]: register, delete-user, set-rate,
    /// reserve, recommend-location, recommend-rate, login, get-hotels,
    /// get-user-reservations.
    #[arg(long, value_delimiter = ',')]
    tasks: Vec<Task>,
    /// A weighted mix to run as the only scenario, e.g. `reserve=0.5,login=0.5`.
    #[arg(long)]
    mix: Option<Mix>,
    /// Leave out the busy-object scenario (reserve, set-rate and login on 8 rooms,
    /// hotels and users).
    #[arg(long)]
    no_busy: bool,
    /// Seed of the reservations' guests and of every call's arguments.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the results as CSV.
    #[arg(long, default_value = "target/hotel-bench/results.csv")]
    csv: PathBuf,
    /// Where to draw the open-loop rows' p10–p90 latency (bar) and p50 (tick) per task and
    /// implementation, one panel per store and rate, as a PNG.
    #[arg(long, default_value = "target/hotel-bench/percentiles.png")]
    png: PathBuf,
    /// The modelled store's single-item request latency: p50,p99 in ms.
    #[arg(long, value_delimiter = ',', num_args = 2, value_names = ["P50", "P99"], default_values_t = [modelled::SINGLE_MS.0, modelled::SINGLE_MS.1])]
    model_single: Vec<f64>,
    /// The modelled store's transaction latency: p50,p99 in ms.
    #[arg(long, value_delimiter = ',', num_args = 2, value_names = ["P50", "P99"], default_values_t = [modelled::TRANSACTION_MS.0, modelled::TRANSACTION_MS.1])]
    model_transaction: Vec<f64>,
    /// Dollars per million DynamoDB read request units.
    #[arg(long, default_value_t = Prices::default().read_million)]
    price_read: f64,
    /// Dollars per million DynamoDB write request units.
    #[arg(long, default_value_t = Prices::default().write_million)]
    price_write: f64,
    /// Dollars per million Lambda requests.
    #[arg(long, default_value_t = Prices::default().request_million)]
    price_request: f64,
    /// Dollars per Lambda GB-second.
    #[arg(long, default_value_t = Prices::default().gb_second)]
    price_gb_second: f64,
    /// The Lambda function's memory, in MB, for the GB-seconds.
    #[arg(long, default_value_t = Prices::default().memory_mb)]
    memory_mb: f64,
    /// Collection sizes at which `get-hotels` and `get-user-reservations` are counted
    /// (round trips, items and read units per call), each on a dataset of its own.
    #[arg(long, value_delimiter = ',', default_values_t = growth::SIZES)]
    growth: Vec<usize>,
    /// A run of seconds, to check the benchmark works: scale 0.002, 100 calls/s,
    /// 0.3 s rows after 0.1 s of warm-up, collections of 5 and 25.
    #[arg(long)]
    smoke: bool,
}

/// One scenario: a mix, on every object or on a few busy ones.
struct Scenario {
    mix: Mix,
    busy: Option<usize>,
}

impl Scenario {
    fn label(&self) -> String {
        match self.busy {
            Some(objects) => format!("busy: {} on {objects} objects", self.mix),
            None => self.mix.to_string(),
        }
    }
}

fn scenarios(args: &Args) -> Result<Vec<Scenario>, BoxError> {
    let mut scenarios = Vec::new();
    if let Some(mix) = &args.mix {
        scenarios.push(Scenario {
            mix: mix.clone(),
            busy: None,
        });
        return Ok(scenarios);
    }
    let tasks = if args.tasks.is_empty() {
        Task::ALL.to_vec()
    } else {
        args.tasks.clone()
    };
    for task in tasks {
        scenarios.push(Scenario {
            mix: Mix::only(task),
            busy: None,
        });
    }
    if !args.no_busy {
        scenarios.push(Scenario {
            mix: "reserve=0.5,set-rate=0.3,login=0.2".parse()?,
            busy: Some(8),
        });
    }
    Ok(scenarios)
}

/// One implementation as a run drives it.
struct Implementation<'a> {
    tasks: Arc<dyn Tasks>,
    /// The store it runs on, for its counters.
    store: Arc<dyn Store>,
    /// A client on the same data, to make the users `delete-user` deletes.
    maker: &'a Client,
}

/// Registers `count` users for `delete-user` to delete, untimed.
async fn victims(client: &Client, run: &str, count: usize) -> Result<Vec<String>, BoxError> {
    let mut made = Vec::with_capacity(count);
    for n in 0..count {
        let init = user::Init {
            email: format!("{run}-victim{n}@example.com"),
            first_name: "To".into(),
            last_name: "Delete".into(),
            password: "x".into(),
        };
        made.push(client.users().create(init).await?.id.0);
    }
    Ok(made)
}

/// The data one store's rows run on: a dataset, and a copy of it for each
/// implementation (its store, and a client on it that makes `delete-user`'s users).
struct Copies {
    data: Arc<Dataset>,
    copies: Vec<(Arc<dyn Store>, Client)>,
    /// Where the dataset was seeded, for the ceiling.
    file: PathBuf,
}

/// Seeds a dataset of `scale` into a SQLite file in `dir` named after `name`, through
/// the client, and reports the seeding rate.
async fn seed_file(
    dir: &std::path::Path,
    name: &str,
    scale: f64,
    seed: u64,
) -> Result<(Dataset, PathBuf), BoxError> {
    let sizes = Sizes::at_scale(scale);
    let file = dir.join(format!("{name}.sqlite"));
    let raw: Arc<dyn Store> = Arc::new(SqliteStore::open(&file)?);
    let seeding = in_process_client(raw).await?;
    let (data, seeded) =
        dataset::seed(&seeding, sizes, seed, &ProgressBar::new(sizes.objects())).await?;
    println!(
        "dataset ({name}): scale {scale}: {} cities × {} hotels × {} rooms × {} reservations, {} users: {} objects seeded through the client in {:.1} s ({:.0} objects/s)\n",
        sizes.cities,
        sizes.hotels_per_city,
        sizes.rooms_per_hotel,
        sizes.reservations_per_room,
        sizes.users,
        seeded.objects,
        seeded.took.as_secs_f64(),
        seeded.rate(),
    );
    Ok((data, file))
}

/// The SQLite dataset at `--scale`, copied for each implementation.
async fn sqlite_copies(dir: &std::path::Path, args: &Args) -> Result<Copies, BoxError> {
    let (data, file) = seed_file(dir, "seeded", args.scale, args.seed).await?;
    // Each implementation gets a copy of the dataset: neither sees the other's writes
    // (`ssf` changes objects without raising their versions, which the runtime relies on).
    let mut copies = Vec::new();
    for name in IMPLEMENTATIONS {
        let copy = dir.join(format!("{name}.sqlite"));
        copy_sqlite(&file, &copy)?;
        let raw: Arc<dyn Store> = Arc::new(SqliteStore::open(&copy)?);
        let maker = in_process_client(raw.clone()).await?;
        copies.push((raw, maker));
    }
    Ok(Copies {
        data: Arc::new(data),
        copies,
        file,
    })
}

/// The dataset at `--moto-scale`, seeded on SQLite and copied item for item to tables of
/// its own on moto for each implementation.
async fn moto_copies(dir: &std::path::Path, args: &Args) -> Result<Copies, BoxError> {
    let endpoint = moto::endpoint()?;
    let (data, file) = seed_file(dir, "moto-seeded", args.moto_scale, args.seed).await?;
    let mut copies = Vec::new();
    for name in IMPLEMENTATIONS {
        let prefix = format!("{}{name}-", moto_prefix());
        let raw: Arc<dyn Store> = Arc::new(
            DynamoStore::builder()
                .endpoint_url(&endpoint)
                .table_prefix(prefix)
                .build(),
        );
        let maker = in_process_client(raw.clone()).await?;
        let copied = moto::copy_items(&file, raw.as_ref()).await?;
        eprintln!("moto at {endpoint}: {copied} items copied for {name}");
        copies.push((raw, maker));
    }
    Ok(Copies {
        data: Arc::new(data),
        copies,
        file,
    })
}

/// What the names of this run's tables on moto start with.
fn moto_prefix() -> String {
    format!("hotel-bench-{}-", std::process::id())
}

/// The function processes of both implementations on moto's copies, and a Lambda client
/// for the emulator they serve.
fn start_functions(
    args: &Args,
) -> Result<(Vec<lambda::Function>, nubes_runtime::aws_sdk_lambda::Client), BoxError> {
    let emulator = lambda::emulator()?;
    let dynamo = moto::endpoint()?;
    let mut functions = Vec::new();
    for (name, package, binary) in [
        ("exactly-once", "hotel-app", lambda::EXACTLY_ONCE_FUNCTION),
        ("ssf", "nubes-bench", lambda::SSF_FUNCTION),
    ] {
        let binary = lambda::binary(package, binary)?;
        let prefix = format!("{}{name}-", moto_prefix());
        functions.extend(lambda::start(
            &binary,
            &emulator,
            &dynamo,
            &prefix,
            args.lambda_functions.max(1),
        )?);
    }
    Ok((functions, lambda::client(&emulator)))
}

/// The implementations, in the order of the copies.
const IMPLEMENTATIONS: [&str; 2] = ["exactly-once", "ssf"];

async fn bench(dir: PathBuf, args: Args) -> Result<(), BoxError> {
    let sqlite = if args
        .stores
        .iter()
        .any(|kind| matches!(kind, StoreKind::Sqlite | StoreKind::Modelled))
    {
        Some(sqlite_copies(&dir, &args).await?)
    } else {
        None
    };
    let on_moto = if args
        .stores
        .iter()
        .any(|kind| matches!(kind, StoreKind::Moto | StoreKind::Lambda))
    {
        Some(moto_copies(&dir, &args).await?)
    } else {
        None
    };
    let single = Latency::new(args.model_single[0], args.model_single[1])?;
    let transaction = Latency::new(args.model_transaction[0], args.model_transaction[1])?;
    let prices = Prices {
        read_million: args.price_read,
        write_million: args.price_write,
        request_million: args.price_request,
        gb_second: args.price_gb_second,
        memory_mb: args.memory_mb,
    };
    let (warmup, duration) = (
        Duration::from_secs_f64(args.warmup),
        Duration::from_secs_f64(args.duration),
    );
    let scenarios = scenarios(&args)?;
    let mut rows = Vec::new();
    let mut place = 0u64;
    for kind in &args.stores {
        let (Some(Copies { data, copies, .. }), rates) = (match kind {
            StoreKind::Moto => (on_moto.as_ref(), &args.moto_rates),
            StoreKind::Lambda => (on_moto.as_ref(), &args.lambda_rates),
            StoreKind::Sqlite | StoreKind::Modelled => (sqlite.as_ref(), &args.rates),
        }) else {
            continue;
        };
        let mut loads: Vec<Load> = rates.iter().map(|&rate| Load::Open { rate }).collect();
        if args.closed > 0 && *kind != StoreKind::Lambda {
            loads.push(Load::Closed {
                workers: args.closed,
            });
        }
        // Over Lambda, the functions run until the store's rows are done.
        let (_functions, lambda) = match kind {
            StoreKind::Lambda => {
                let (functions, lambda) = start_functions(&args)?;
                (functions, Some(lambda))
            }
            _ => (Vec::new(), None),
        };
        let mut implementations = Vec::new();
        for (n, (raw, maker)) in copies.iter().enumerate() {
            let store: Arc<dyn Store> = match kind {
                StoreKind::Sqlite | StoreKind::Moto | StoreKind::Lambda => raw.clone(),
                StoreKind::Modelled => Arc::new(ModelledStore::new(
                    raw.clone(),
                    single,
                    transaction,
                    args.seed,
                )),
            };
            let tasks: Arc<dyn Tasks> = match (&lambda, n) {
                (Some(lambda), 0) => Arc::new(lambda::exactly_once(lambda.clone())),
                (Some(lambda), _) => Arc::new(SsfOverLambda::new(lambda.clone())),
                (None, 0) => Arc::new(ExactlyOnce::new(in_process_client(store.clone()).await?)),
                (None, _) => Arc::new(Ssf::new(store.clone(), "")),
            };
            implementations.push(Implementation {
                tasks,
                store,
                maker,
            });
        }
        for load in &loads {
            let load_label = match load {
                Load::Open { rate } => format!("{rate}/s"),
                Load::Closed { workers } => format!("closed, {workers} workers"),
            };
            for scenario in &scenarios {
                // Both implementations get the same calls: the same seed, on equal copies.
                place += 1;
                let run = format!("run{place}");
                for Implementation {
                    tasks,
                    store,
                    maker,
                } in &implementations
                {
                    let workload = Arc::new(Workload::new(data.clone(), &run, scenario.busy));
                    if scenario.mix.tasks().any(|task| task == Task::DeleteUser) {
                        let count = match (load, kind) {
                            (Load::Open { rate }, _) => {
                                (rate * (args.warmup + args.duration)).ceil() as usize
                            }
                            (Load::Closed { .. }, StoreKind::Moto) => 500,
                            (Load::Closed { .. }, _) => 20_000,
                        };
                        workload.add_victims(victims(maker, &run, count).await?);
                    }
                    eprintln!(
                        "{} · {load_label} · {} · {}",
                        kind.label(),
                        scenario.label(),
                        tasks.name()
                    );
                    let seed = args.seed.wrapping_mul(1_000_003).wrapping_add(place);
                    let measured = load::run(
                        tasks.clone(),
                        workload,
                        &scenario.mix,
                        *load,
                        warmup,
                        duration,
                        seed,
                        store,
                    )
                    .await?;
                    if let Some(why) = &measured.first_refusal {
                        eprintln!("  {} calls refused; the first: {why}", measured.refused);
                    }
                    if let Some(error) = &measured.first_error {
                        eprintln!("  {} calls failed; the first: {error}", measured.errors);
                    }
                    rows.push(Row {
                        // The store's counters are in the function processes over Lambda.
                        counted: *kind != StoreKind::Lambda,
                        store: kind.label().to_string(),
                        load: load_label.clone(),
                        scenario: scenario.label(),
                        implementation: tasks.name(),
                        measured,
                    });
                }
            }
        }
    }
    if on_moto.is_some() {
        moto::drop_tables(&moto::endpoint()?, &moto_prefix()).await?;
    }
    print_report(&args, &rows, &prices)?;
    if let (Some(copies), true) = (&sqlite, args.closed > 0) {
        let file = dir.join("ceiling.sqlite");
        copy_sqlite(&copies.file, &file)?;
        let connections = std::thread::available_parallelism().map_or(2, usize::from);
        eprintln!("raw SQLite: the ceiling");
        let ceiling = ceiling::measure(
            &file,
            &copies.data.users,
            &copies.data.hotels,
            connections,
            duration,
            args.seed,
        )?;
        println!("### The ceiling: SQLite itself, on a copy of the dataset, in the same run\n");
        println!("{}", ceiling::markdown(&ceiling));
        println!("The statements the SQLite store runs for a login's read and a set-rate's write, with nothing of nubes around them: what the closed-loop rows above could reach at most on this machine.\n");
    }
    if !args.growth.is_empty() {
        eprintln!("collections of {:?}", args.growth);
        let grown = growth::measure(&args.growth, 5).await?;
        println!("### Round trips as collections grow (SQLite, per call)\n");
        println!("{}", growth::markdown(&grown));
        println!("A city of n hotels for `get-hotels`, a user of n reservations for `get-user-reservations`, each seeded through the client on a store of its own; the mean of 5 calls.");
    }
    Ok(())
}

fn print_report(args: &Args, rows: &[Row], prices: &Prices) -> Result<(), BoxError> {
    println!("{}", report::markdown(rows, prices));
    if args.stores.contains(&StoreKind::Modelled) {
        println!(
            "The modelled cloud rows are a model, not a measurement on AWS: the SQLite store with each request delayed by a log-normal draw fitted to DynamoDB latencies measured from Lambda (single-item p50 {} ms / p99 {} ms, transactions p50 {} ms / p99 {} ms; Alex DeBrie, \"DynamoDB Transactions Performance Testing\", 2020).",
            args.model_single[0], args.model_single[1], args.model_transaction[0], args.model_transaction[1]
        );
    }
    println!(
        "Dollars per million calls: DynamoDB on-demand at ${} / M read and ${} / M write request units, plus Lambda at ${} / M requests and ${} / GB-s with {} MB for the mean latency (us-east-1 prices as published by AWS from 2024-11-01; parameters of this run).",
        prices.read_million, prices.write_million, prices.request_million, prices.gb_second, prices.memory_mb
    );
    if args.stores.contains(&StoreKind::Lambda) {
        println!("The lambda + dynamodb (moto) rows sent each call through a local Lambda emulator (cargo lambda watch) to {} function processes per implementation on moto: the transport's cost, at a low rate; their store counters stay in the functions (–), the dynamodb (moto) rows count the same calls.", args.lambda_functions.max(1));
    }
    if args.stores.contains(&StoreKind::Moto) {
        println!("The dynamodb (moto) rows ran on moto, a DynamoDB-API server in Python that answers one request at a time on this machine: at a small scale and rate, and far slower than DynamoDB; compare them with each other, not with the other stores.");
    }
    println!(
        "Each implementation ran on its own copy of a store's dataset, with the same calls; its changes stay for its rows after them."
    );
    if let Some(parent) = args.csv.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&args.csv, report::csv(rows, prices))?;
    println!("CSV: {}", args.csv.display());
    if rows.iter().any(|row| !row.load.starts_with("closed")) {
        if let Some(parent) = args.png.parent() {
            std::fs::create_dir_all(parent)?;
        }
        chart::percentiles_png(rows, &args.png)?;
        println!("PNG: {}", args.png.display());
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), BoxError> {
    let mut args = Args::parse();
    if args.smoke {
        args.scale = 0.002;
        args.rates = vec![100.0];
        args.duration = 0.3;
        args.warmup = 0.1;
        args.growth = vec![5, 25];
    }
    for (name, scale) in [("--scale", args.scale), ("--moto-scale", args.moto_scale)] {
        if !(scale > 0.0 && scale.is_finite()) {
            return Err(format!("{name} must be above 0, not {scale}").into());
        }
    }
    println!("## nubes: the hotel benchmark (exactly-once beside hand-written code)\n");
    println!("machine: {}", machine());
    println!(
        "{} build; rows of {} s after {} s of warm-up, seed {}\n",
        build_kind(),
        args.duration,
        args.warmup,
        args.seed
    );
    in_scratch_dir("hotel-bench", |dir| bench(dir, args)).await
}
