//! The hotel benchmark: the nine tasks of the evaluation of Nubes and Nubes+ on the
//! hotel application, exactly-once (the generated crates and `examples/hotel`) beside
//! `ssf` (the same tasks by hand on the store, without guarantees), on the embedded
//! SQLite store and on a modelled cloud store, at fixed rates (open loop) and at the most
//! calls per second (closed loop), with cost.
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
use nubes_bench::hotel::load::{self, Load};
use nubes_bench::hotel::modelled::{self, Latency, ModelledStore};
use nubes_bench::hotel::report::{self, Prices, Row};
use nubes_bench::hotel::workload::{Mix, Task, Workload};
use nubes_bench::hotel::{ExactlyOnce, Ssf, Tasks};
use nubes_bench::BoxError;
use nubes_runtime::store::sqlite::SqliteStore;
use nubes_runtime::Store;

/// The stores a run can measure on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StoreKind {
    /// The embedded SQLite store (one file, WAL), in process.
    Sqlite,
    /// The SQLite store with each request delayed as DynamoDB's would be (a model).
    Modelled,
}

impl StoreKind {
    fn label(self) -> &'static str {
        match self {
            StoreKind::Sqlite => "sqlite",
            StoreKind::Modelled => "modelled cloud",
        }
    }
}

/// The hotel benchmark: the nine hotel tasks, exactly-once beside the same tasks written
/// by hand on the store, on SQLite and on a modelled cloud store, at fixed rates and at the
/// most calls per second, with cost.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Dataset size: 1.0 is the original evaluation's (5 cities × 100 hotels × 25 rooms ×
    /// 20 reservations, 50,000 users); hotels and users grow with it.
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Stores to measure on.
    #[arg(long, value_enum, value_delimiter = ',', default_values = ["sqlite", "modelled"])]
    stores: Vec<StoreKind>,
    /// Open-loop rates, in calls per second.
    #[arg(long, value_delimiter = ',', default_values_t = [100.0, 1000.0])]
    rates: Vec<f64>,
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
    /// A run of seconds, to check the benchmark works: scale 0.002, 100 calls/s,
    /// 0.3 s rows after 0.1 s of warm-up.
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

async fn bench(dir: PathBuf, args: Args) -> Result<(), BoxError> {
    let sizes = Sizes::at_scale(args.scale);
    let seeded_file = dir.join("seeded.sqlite");
    let (data, seeded) = {
        let raw: Arc<dyn Store> = Arc::new(SqliteStore::open(&seeded_file)?);
        let seeding = in_process_client(raw).await?;
        dataset::seed(
            &seeding,
            sizes,
            args.seed,
            &ProgressBar::new(sizes.objects()),
        )
        .await?
    };
    println!(
        "dataset: scale {}: {} cities × {} hotels × {} rooms × {} reservations, {} users: {} objects seeded through the client in {:.1} s ({:.0} objects/s)\n",
        args.scale,
        sizes.cities,
        sizes.hotels_per_city,
        sizes.rooms_per_hotel,
        sizes.reservations_per_room,
        sizes.users,
        seeded.objects,
        seeded.took.as_secs_f64(),
        seeded.rate(),
    );
    // Each implementation gets a copy of the dataset: neither sees the other's writes
    // (`ssf` changes objects without raising their versions, which the runtime relies on).
    let mut copies: Vec<(Arc<dyn Store>, Client)> = Vec::new();
    for name in ["exactly-once", "ssf"] {
        let file = dir.join(format!("{name}.sqlite"));
        copy_sqlite(&seeded_file, &file)?;
        let raw: Arc<dyn Store> = Arc::new(SqliteStore::open(&file)?);
        let maker = in_process_client(raw.clone()).await?;
        copies.push((raw, maker));
    }
    let data = Arc::new(data);
    let single = Latency::new(args.model_single[0], args.model_single[1])?;
    let transaction = Latency::new(args.model_transaction[0], args.model_transaction[1])?;
    let prices = Prices {
        read_million: args.price_read,
        write_million: args.price_write,
        request_million: args.price_request,
        gb_second: args.price_gb_second,
        memory_mb: args.memory_mb,
    };
    let mut loads: Vec<Load> = args.rates.iter().map(|&rate| Load::Open { rate }).collect();
    if args.closed > 0 {
        loads.push(Load::Closed {
            workers: args.closed,
        });
    }
    let (warmup, duration) = (
        Duration::from_secs_f64(args.warmup),
        Duration::from_secs_f64(args.duration),
    );
    let mut rows = Vec::new();
    let mut place = 0u64;
    for kind in &args.stores {
        let mut implementations = Vec::new();
        for (n, (raw, maker)) in copies.iter().enumerate() {
            let store: Arc<dyn Store> = match kind {
                StoreKind::Sqlite => raw.clone(),
                StoreKind::Modelled => Arc::new(ModelledStore::new(
                    raw.clone(),
                    single,
                    transaction,
                    args.seed,
                )),
            };
            let tasks: Arc<dyn Tasks> = if n == 0 {
                Arc::new(ExactlyOnce::new(in_process_client(store.clone()).await?))
            } else {
                Arc::new(Ssf::new(store.clone(), ""))
            };
            implementations.push(Implementation {
                tasks,
                store,
                maker,
            });
        }
        for load in &loads {
            for scenario in scenarios(&args)? {
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
                        let count = match load {
                            Load::Open { rate } => {
                                (rate * (args.warmup + args.duration)).ceil() as usize
                            }
                            Load::Closed { .. } => 20_000,
                        };
                        workload.add_victims(victims(maker, &run, count).await?);
                    }
                    let load_label = match load {
                        Load::Open { rate } => format!("{rate}/s"),
                        Load::Closed { workers } => format!("closed, {workers} workers"),
                    };
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
                        store: kind.label().to_string(),
                        load: load_label,
                        scenario: scenario.label(),
                        implementation: tasks.name(),
                        measured,
                    });
                }
            }
        }
    }
    print_report(&args, &data, &rows, &prices)?;
    Ok(())
}

fn print_report(
    args: &Args,
    data: &Dataset,
    rows: &[Row],
    prices: &Prices,
) -> Result<(), BoxError> {
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
    println!(
        "Each implementation ran on its own copy of the dataset ({} users, {} rooms), with the same calls; its changes stay for its rows after them.",
        data.users.len(),
        data.rooms.len()
    );
    if let Some(parent) = args.csv.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&args.csv, report::csv(rows, prices))?;
    println!("CSV: {}", args.csv.display());
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
    }
    if !(args.scale > 0.0 && args.scale.is_finite()) {
        return Err(format!("--scale must be above 0, not {}", args.scale).into());
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
