//! The hotel tasks on nubes and on a peer, side by side: nubes exactly-once on SQLite
//! behind its HTTP server (`hotel-http`), and the same tasks as Restate virtual objects
//! (`bench/peers/restate`) behind a Restate server, both driven over HTTP on loopback by
//! the same load generator with the same seeded calls, at fixed rates and at the most
//! calls per second, with the CPU time and bytes written of the server processes.
//!
//! `cargo run --release -p nubes-bench --bin peer-bench` runs it (about 10 minutes);
//! `--help` lists the settings; `--smoke` takes a minute or two (seeding Restate).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use hotel_client::Client;
use indicatif::ProgressBar;
use nubes_bench::common::{build_kind, in_scratch_dir, machine};
use nubes_bench::hotel::dataset::{self, Dataset, Sizes};
use nubes_bench::hotel::lambda::binary;
use nubes_bench::hotel::load::{self, Load, Measured};
use nubes_bench::hotel::process::{usage_of, ServerProcess, Usage};
use nubes_bench::hotel::restate::{self, RestateServer, RestateTasks};
use nubes_bench::hotel::workload::{Mix, Task, Workload};
use nubes_bench::hotel::{Answer, Call, ExactlyOnce, Tasks};
use nubes_bench::BoxError;
use nubes_runtime::http::HttpTransport;
use tokio::task::JoinSet;

/// How much of a commit survives what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Durability {
    /// A commit survives a crash of the server process: written to the log before the
    /// call answers, without an fsync (SQLite WAL with `synchronous=NORMAL`, nubes'
    /// default; Restate with `log-server.rocksdb-disable-wal-fsync = true`).
    Process,
    /// A commit survives a power loss: the log is fsynced before the call answers (SQLite
    /// `synchronous=FULL`; Restate as it ships, whose log server syncs every batch of
    /// log writes).
    Power,
}

/// The hotel tasks on nubes and on Restate, over HTTP on loopback, with the same calls.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Dataset size: 1.0 is the hotel benchmark's full size (5 cities × 100 hotels × 25
    /// rooms × 20 reservations, 50,000 users); hotels and users grow with it.
    #[arg(long, default_value_t = 0.02)]
    scale: f64,
    /// Open-loop rates, in calls per second.
    #[arg(long, value_delimiter = ',', default_values_t = [100.0, 1000.0])]
    rates: Vec<f64>,
    /// Workers of the closed loop that finds the most calls per second (0: no
    /// closed-loop rows).
    #[arg(long, default_value_t = 32)]
    workers: usize,
    /// The calls of the rate rows: tasks with weights, e.g. `reserve=0.5,login=0.5`
    /// (default: the nine tasks alike).
    #[arg(long)]
    mix: Option<Mix>,
    /// Tasks whose most calls per second are measured one at a time, closed loop.
    #[arg(long, value_delimiter = ',', default_values_t = Task::ALL.to_vec())]
    throughput_tasks: Vec<Task>,
    /// Seconds measured in each mix row.
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    /// Seconds measured in each task's throughput row.
    #[arg(long, default_value_t = 8.0)]
    task_duration: f64,
    /// Seconds run before each row's measurement and left out.
    #[arg(long, default_value_t = 3.0)]
    warmup: f64,
    /// Seconds each side's servers are watched without calls, for their idle CPU.
    #[arg(long, default_value_t = 5.0)]
    idle: f64,
    /// What a commit survives, on both sides.
    #[arg(long, value_enum, default_value_t = Durability::Power)]
    durability: Durability,
    /// Seed of the dataset's guests and of every row's calls.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Only nubes, without starting Restate (to look into nubes alone).
    #[arg(long)]
    nubes_only: bool,
    /// A short run (a minute or two, most of it seeding Restate): a tiny dataset, one low
    /// rate, short rows.
    #[arg(long)]
    smoke: bool,
}

impl Args {
    fn apply_smoke(&mut self) {
        if self.smoke {
            self.scale = 0.002;
            self.rates = vec![50.0];
            self.workers = 4;
            self.duration = 1.0;
            self.task_duration = 0.5;
            self.warmup = 0.2;
            self.throughput_tasks = vec![Task::Reserve, Task::Login];
            self.idle = 0.5;
        }
    }
}

/// One side of the comparison.
struct Side {
    name: &'static str,
    tasks: Arc<dyn Tasks>,
    /// The server processes whose CPU time and writes are counted.
    pids: Vec<u32>,
    /// The share of a core they use without calls.
    idle: f64,
}

/// One measured row of one side.
struct Row {
    measured: Measured,
    used: Usage,
}

impl Row {
    fn cpu_per_1000(&self) -> f64 {
        self.used.cpu.as_secs_f64() * 1_000.0 / self.measured.all_calls.max(1) as f64
    }

    fn kib_per_1000(&self) -> f64 {
        self.used.written as f64 / 1_024.0 * 1_000.0 / self.measured.all_calls.max(1) as f64
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let mut args = Args::parse();
    args.apply_smoke();
    in_scratch_dir("peer-bench", |dir| async move { bench(&args, &dir).await }).await
}

async fn bench(args: &Args, dir: &Path) -> Result<(), BoxError> {
    let sizes = Sizes::at_scale(args.scale);
    println!("# nubes and Restate, side by side\n");
    println!(
        "{} · {} build · dataset scale {} ({} objects) · seed {} · durability: {}\n",
        machine(),
        build_kind(),
        args.scale,
        sizes.objects(),
        args.seed,
        durability_text(args.durability),
    );

    let nubes_binary = binary("hotel-app", "hotel-http")?;
    let db = dir.join("nubes.sqlite");
    let db = db.to_str().ok_or("the scratch directory is not UTF-8")?;
    let mut nubes_args = vec!["--db", db, "--listen", "127.0.0.1:0"];
    if args.durability == Durability::Power {
        nubes_args.push("--sync-every-commit");
    }
    let nubes_server = ServerProcess::start(&nubes_binary, &nubes_args)?;
    // The Restate client waits for its answers however long they take; so does this one
    // (a timeout would turn a queue into failures on one side only).
    let transport = HttpTransport::new(&nubes_server.url)?.timeout(Duration::from_secs(3_600));
    let client = Client::new(transport);
    let nubes = Side {
        name: "nubes",
        tasks: Arc::new(ExactlyOnce::new(client.clone())),
        pids: vec![nubes_server.pid()],
        idle: 0.0,
    };

    let mut sides = vec![nubes];
    let progress = ProgressBar::hidden();
    let (data, seeded) = dataset::seed(&client, sizes, args.seed, &progress).await?;
    println!(
        "seeded nubes: {} objects in {:.1} s ({:.0}/s)",
        seeded.objects,
        seeded.took.as_secs_f64(),
        seeded.rate()
    );
    // Kept until the end: dropping them stops the processes.
    let mut restate_processes = None;
    if !args.nubes_only {
        RestateServer::install()?;
        let restate_binary = binary("hotel-restate", "hotel-restate")?;
        let fsync = args.durability == Durability::Power;
        let server = RestateServer::start(&dir.join("restate"), fsync).await?;
        let endpoint = ServerProcess::start(&restate_binary, &["--listen", "127.0.0.1:0"])?;
        server.register(&endpoint.url).await?;
        let peer = RestateTasks::new(server.ingress_url())?;
        let seeded = restate::seed(&peer, sizes, &data, args.seed).await?;
        println!(
            "seeded restate: {} objects in {:.1} s ({:.0}/s)",
            seeded.objects,
            seeded.took.as_secs_f64(),
            seeded.rate()
        );
        sides.push(Side {
            name: "restate",
            tasks: Arc::new(peer),
            pids: vec![server.pid(), endpoint.pid()],
            idle: 0.0,
        });
        restate_processes = Some((server, endpoint));
    }
    println!();
    let data = Arc::new(data);
    let idle = Duration::from_secs_f64(args.idle);
    for side in &mut sides {
        let cores = idle_cores(side, idle).await?;
        side.idle = cores;
        println!(
            "{} idle: {:.1}% of a core (CPU time over {:.0} s without calls, counted in every row below)",
            side.name,
            cores * 100.0,
            idle.as_secs_f64()
        );
    }
    println!();

    let mix = match &args.mix {
        Some(mix) => mix.clone(),
        None => all_nine()?,
    };
    let warmup = Duration::from_secs_f64(args.warmup);
    let mut loads: Vec<Load> = args.rates.iter().map(|&rate| Load::Open { rate }).collect();
    if args.workers > 0 {
        loads.push(Load::Closed {
            workers: args.workers,
        });
    }
    let mut place = 0u64;
    let mut mix_rows = Vec::new();
    for load in &loads {
        place += 1;
        let duration = Duration::from_secs_f64(args.duration);
        let rows = measure(
            &sides, &data, &mix, *load, warmup, duration, args.seed, place,
        )
        .await?;
        mix_rows.push((*load, rows));
    }
    let mut task_rows = Vec::new();
    if args.workers > 0 {
        for task in &args.throughput_tasks {
            place += 1;
            let load = Load::Closed {
                workers: args.workers,
            };
            let duration = Duration::from_secs_f64(args.task_duration);
            let only = Mix::only(*task);
            let rows = measure(
                &sides, &data, &only, load, warmup, duration, args.seed, place,
            )
            .await?;
            task_rows.push((*task, rows));
        }
    }
    report(&sides, &mix, &mix_rows, &task_rows);
    if let Some((server, endpoint)) = restate_processes {
        drop(endpoint);
        server.stop();
    }
    drop(nubes_server);
    Ok(())
}

/// The nine tasks, each as often as the others.
fn all_nine() -> Result<Mix, BoxError> {
    let text: Vec<String> = Task::ALL
        .iter()
        .map(|task| task.name().to_string())
        .collect();
    Ok(text.join(",").parse()?)
}

/// Runs `mix` with `load` on each side with the same calls; what each side measured.
#[allow(clippy::too_many_arguments)]
async fn measure(
    sides: &[Side],
    data: &Arc<Dataset>,
    mix: &Mix,
    load: Load,
    warmup: Duration,
    duration: Duration,
    seed: u64,
    place: u64,
) -> Result<Vec<Row>, BoxError> {
    let run = format!("run{place}");
    let mut rows = Vec::new();
    for side in sides {
        let workload = Arc::new(Workload::new(data.clone(), &run, None));
        let share = mix.share(Task::DeleteUser);
        if share > 0.0 {
            let seconds = (warmup + duration).as_secs_f64();
            workload.add_victims(victims(side, &run, load, seconds * share).await?);
        }
        settle(sides).await?;
        eprintln!("{} · {} · {}", load_label(load), mix, side.name);
        let before = usage_of(&side.pids)?;
        let seed = seed.wrapping_mul(1_000_003).wrapping_add(place);
        let measured = load::drive(
            side.tasks.clone(),
            workload,
            mix,
            load,
            warmup,
            duration,
            seed,
        )
        .await?;
        // What the row left to do (flushing, compacting) is its cost too: read after the
        // servers settle, less their idle use while settling.
        let settling = settle(sides).await?;
        let mut used = usage_of(&side.pids)? - before;
        used.cpu = used.cpu.saturating_sub(settling.mul_f64(side.idle));
        if let Some(why) = &measured.first_refusal {
            eprintln!("  {} calls refused; the first: {why}", measured.refused);
        }
        if let Some(error) = &measured.first_error {
            eprintln!("  {} calls failed; the first: {error}", measured.errors);
        }
        rows.push(Row { measured, used });
    }
    Ok(rows)
}

/// The most users registered for `delete-user` to delete before one row.
const MOST_VICTIMS: usize = 60_000;

/// Registers users for `delete-user` to delete in a row of `load`, through `side`, 64 at
/// a time: for an open loop, one for each delete due in `delete_seconds` (the row's
/// seconds times the share of deletes); for a closed loop, four times as many as `side`
/// registers in that time (deleting a user without reservations is cheaper than
/// registering one), so that the deletes of the row delete users, on each side however
/// fast. Deletes past the users made are refusals, counted as such.
async fn victims(
    side: &Side,
    run: &str,
    load: Load,
    delete_seconds: f64,
) -> Result<Vec<String>, BoxError> {
    let started = std::time::Instant::now();
    let mut wanted = match load {
        // The deletes due, with a margin for the draw of tasks falling on more of them.
        Load::Open { rate } => (1.2 * rate * delete_seconds).ceil() as usize + 64,
        Load::Closed { .. } => MOST_VICTIMS,
    }
    .min(MOST_VICTIMS);
    let mut emails = Vec::new();
    while emails.len() < wanted {
        let chunk: Vec<String> = (emails.len()..emails.len() + 64)
            .map(|n| format!("{run}-victim{n}@example.com"))
            .collect();
        let mut registering = JoinSet::new();
        for email in &chunk {
            let (tasks, email) = (side.tasks.clone(), email.clone());
            registering.spawn(async move {
                let call = Call::Register {
                    email,
                    first_name: "To".into(),
                    last_name: "Delete".into(),
                    password: "x".into(),
                };
                match tasks.run(&call).await? {
                    Answer::Done => Ok(()),
                    other => Err(BoxError::from(format!("registering a victim: {other:?}"))),
                }
            });
        }
        while let Some(registered) = registering.join_next().await {
            registered??;
        }
        emails.extend(chunk);
        if let Load::Closed { .. } = load {
            let rate = emails.len() as f64 / started.elapsed().as_secs_f64().max(1e-9);
            wanted = ((4.0 * rate * delete_seconds).ceil() as usize).clamp(64, MOST_VICTIMS);
        }
    }
    Ok(emails)
}

/// The most CPU the servers of all sides may use together, in a share of a core, before
/// a row starts: a server still working off an earlier row (flushing, compacting) would
/// take CPU from the side being measured.
const SETTLED: f64 = 0.1;

/// Waits until the servers of all sides use less than [`SETTLED`] of a core, watching
/// them half a second at a time, for two minutes at most (then says so and goes on);
/// how long it waited.
async fn settle(sides: &[Side]) -> Result<Duration, BoxError> {
    let pids: Vec<u32> = sides.iter().flat_map(|side| side.pids.clone()).collect();
    let window = Duration::from_millis(500);
    let started = std::time::Instant::now();
    for _ in 0..240 {
        let before = usage_of(&pids)?;
        tokio::time::sleep(window).await;
        let busy = (usage_of(&pids)? - before).cpu.as_secs_f64() / window.as_secs_f64();
        if busy < SETTLED {
            return Ok(started.elapsed());
        }
    }
    eprintln!(
        "  the servers were still busy after {:.0} s; going on",
        started.elapsed().as_secs_f64()
    );
    Ok(started.elapsed())
}

/// The share of a core `side`'s servers use when no call comes: measured over `idle`.
async fn idle_cores(side: &Side, idle: Duration) -> Result<f64, BoxError> {
    let before = usage_of(&side.pids)?;
    tokio::time::sleep(idle).await;
    let used = usage_of(&side.pids)? - before;
    Ok(used.cpu.as_secs_f64() / idle.as_secs_f64())
}

fn load_label(load: Load) -> String {
    match load {
        Load::Open { rate } => format!("{rate}/s"),
        Load::Closed { workers } => format!("max ({workers} workers)"),
    }
}

fn durability_text(durability: Durability) -> &'static str {
    match durability {
        Durability::Process => {
            "a commit survives a crash of the server process, not a power loss (no fsync per call on either side)"
        }
        Durability::Power => "a commit survives a power loss (fsync before every answer on both sides)",
    }
}

/// Prints the tables.
fn report(
    sides: &[Side],
    mix: &Mix,
    mix_rows: &[(Load, Vec<Row>)],
    task_rows: &[(Task, Vec<Row>)],
) {
    let names: Vec<&str> = sides.iter().map(|side| side.name).collect();
    for (load, rows) in mix_rows {
        println!("## {} · mix {mix}\n", load_label(*load));
        let mut head = String::from("| task |");
        let mut rule = String::from("|---|");
        for name in &names {
            head.push_str(&format!(" {name} p50 | {name} p90 | {name} p99 |"));
            rule.push_str("---:|---:|---:|");
        }
        println!("{head}\n{rule}");
        for task in mix.tasks() {
            let mut line = format!("| {task} |");
            for row in rows {
                for quantile in [0.5, 0.9, 0.99] {
                    match row.measured.task_ms(task, quantile) {
                        Some(ms) => line.push_str(&format!(" {ms:.2} ms |")),
                        None => line.push_str(" – |"),
                    }
                }
            }
            println!("{line}");
        }
        println!();
        println!("| | calls/s answered | CPU s per 1,000 calls | KiB written per 1,000 calls | refused | failed |");
        println!("|---|---:|---:|---:|---:|---:|");
        for (name, row) in names.iter().zip(rows) {
            println!(
                "| {name} | {:.0} | {:.3} | {:.1} | {} | {} |",
                row.measured.rate(),
                row.cpu_per_1000(),
                row.kib_per_1000(),
                row.measured.refused,
                row.measured.errors
            );
        }
        println!();
    }
    if task_rows.is_empty() {
        return;
    }
    println!("## Most calls per second, one task at a time\n");
    let mut head = String::from("| task |");
    let mut rule = String::from("|---|");
    for name in &names {
        head.push_str(&format!(
            " {name} calls/s | {name} p50 | {name} p99 | {name} CPU s/1k | {name} refused / failed |"
        ));
        rule.push_str("---:|---:|---:|---:|---:|");
    }
    if names.len() == 2 {
        head.push_str(" nubes ÷ restate |");
        rule.push_str("---:|");
    }
    println!("{head}\n{rule}");
    for (task, rows) in task_rows {
        let mut line = format!("| {task} |");
        for row in rows {
            line.push_str(&format!(
                " {:.0} | {:.2} ms | {:.2} ms | {:.3} | {} / {} |",
                row.measured.rate(),
                row.measured.ms(0.5),
                row.measured.ms(0.99),
                row.cpu_per_1000(),
                row.measured.refused,
                row.measured.errors
            ));
        }
        if let [nubes, restate] = rows.as_slice() {
            // A `delete-user` row where many calls were refused (deletes of users who
            // are not there, once the users made for it ran out) measures refusals, not
            // deletes. Other refusals (a reserve's overlap) are answers of the task.
            let mostly_answered = |row: &Row| {
                *task != Task::DeleteUser || row.measured.refused * 10 <= row.measured.calls.max(1)
            };
            if mostly_answered(nubes) && mostly_answered(restate) {
                let ratio = nubes.measured.rate() / restate.measured.rate().max(1e-9);
                line.push_str(&format!(" {ratio:.2}× |"));
            } else {
                line.push_str(" – (over a tenth refused) |");
            }
        }
        println!("{line}");
    }
    println!();
}
