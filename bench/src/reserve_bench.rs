//! The reserve benchmark: the hotel application's `Room.reserve`, which reads every
//! reservation of its room to look for overlaps, on rooms with a short history (20
//! reservations, the seed dataset's size: the baseline) and a long one (1,000), on the
//! embedded SQLite store, in process, through the generated client.
//!
//! Each row reserves single nights round-robin over its rooms, one call at a time, and
//! prints latency percentiles with round trips, items per commit (written and checked)
//! and capacity units per call (from the store's [`Stats`]); the long-history row's p50
//! is also given as a ratio of the baseline's, measured in the same run. A third row makes
//! the same calls on another 10 rooms with 1,000 reservations through a runtime with the
//! collection cache off. The rooms are filled with `Reservation.create` before anything
//! is measured.
//!
//! Run with `cargo run --release -p nubes-bench --bin reserve-bench`; pass the number of
//! calls per row as an argument (or set `NUBES_BENCH_CALLS`) to override the default 400.
//!
//! [`Stats`]: nubes_runtime::store::Stats

use std::sync::Arc;
use std::time::{Duration, Instant};

use hotel_app::HotelApp;
use hotel_client::Client;
use hotel_model::{reservation, room, user};
use nubes_bench::common::{build_kind, in_scratch_dir, machine, percentile_us, BoxError};
use nubes_bench::hotel::exactly_once::in_process_client;
use nubes_runtime::store::sqlite::SqliteStore;
use nubes_runtime::store::{StatsSnapshot, Store};
use nubes_runtime::{Config, InProcess};

/// The rooms of each row: the calls are spread over them, so each room's history grows
/// by only a few reservations while a row runs.
const ROOMS: usize = 10;
/// The default number of calls per row.
const DEFAULT_CALLS: usize = 400;

/// The night `n` nights after 2027-01-01.
fn night(n: usize) -> hotel_model::Date {
    let days = i64::try_from(n).expect("a benchmark has far fewer nights than i64::MAX");
    nubes_runtime::jiff::civil::date(2027, 1, 1)
        .checked_add(nubes_runtime::jiff::ToSpan::days(days))
        .expect("the nights of the benchmark lie well inside jiff's range of dates")
}

/// What one row measured.
struct Measured {
    /// Every call's duration, sorted.
    latencies: Vec<Duration>,
    /// What the store did meanwhile.
    stats: StatsSnapshot,
}

impl Measured {
    /// A store counter divided by the calls.
    fn per_call(&self, counter: u64) -> f64 {
        counter as f64 / self.latencies.len() as f64
    }
}

/// A hotel with [`ROOMS`] rooms, each holding `history` reservations of single nights
/// (the even nights from 2027-01-01 on).
async fn rooms_with(
    client: &Client,
    history: usize,
    hotel_name: &str,
) -> Result<Vec<room::Id>, BoxError> {
    let city = client
        .cities()
        .create(hotel_model::city::Init {
            name: hotel_name.into(),
            country: "Portugal".into(),
        })
        .await?;
    let hotel = client
        .hotels()
        .create(hotel_model::hotel::Init {
            name: hotel_name.into(),
            rate: 4.0,
            location: hotel_model::GeoPoint {
                lat: 38.7,
                lon: -9.1,
            },
            city: city.id.clone(),
        })
        .await?;
    let mut rooms = Vec::new();
    for number in 0..ROOMS {
        let room = client
            .rooms()
            .create(room::Init {
                number: 100 + number as i64,
                price: 9_000,
                hotel: hotel.id.clone(),
            })
            .await?;
        for n in 0..history {
            let init = reservation::Init {
                room: room.id.clone(),
                check_in: night(2 * n),
                check_out: night(2 * n + 1),
                created_at: nubes_runtime::jiff::Timestamp::UNIX_EPOCH,
            };
            client.reservations().create(init).await?;
        }
        rooms.push(room.id);
    }
    Ok(rooms)
}

/// Reserves `calls` after the first `done`, round-robin over `rooms`, each of a night no
/// reservation holds (odd nights from 2027-01-01, each used once).
async fn run(
    client: &Client,
    store: &Arc<dyn Store>,
    rooms: &[room::Id],
    guest: &user::Id,
    done: usize,
    calls: usize,
) -> Result<Measured, BoxError> {
    let before = store.stats().snapshot();
    let mut latencies = Vec::with_capacity(calls);
    for call in done..done + calls {
        let room = &rooms[call % rooms.len()];
        let n = 2 * (call / rooms.len()) + 1;
        let started = Instant::now();
        client
            .room(room.clone())
            .reserve(guest.clone(), night(n), night(n + 1))
            .await
            .map_err(|error| format!("reserve {call}: {error}"))?;
        latencies.push(started.elapsed());
    }
    latencies.sort();
    Ok(Measured {
        latencies,
        stats: store.stats().snapshot() - before,
    })
}

/// The calls per row: the first argument, else `NUBES_BENCH_CALLS`, else the default.
fn calls_per_row() -> Result<usize, BoxError> {
    let given = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("NUBES_BENCH_CALLS").ok());
    match given {
        Some(text) => text
            .trim()
            .replace(['_', ','], "")
            .parse::<usize>()
            .map_err(|error| format!("calls per row `{text}`: {error}").into()),
        None => Ok(DEFAULT_CALLS),
    }
}

/// Sets up the store, runs both rows and prints the table.
async fn bench(dir: &std::path::Path, calls: usize) -> Result<(), BoxError> {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.join("reserve-bench.sqlite"))?);
    let client = in_process_client(store.clone()).await?;
    let guest = client
        .users()
        .create(user::Init {
            email: "ana@example.com".into(),
            first_name: "Ana".into(),
            last_name: "Silva".into(),
            password: "x".into(),
        })
        .await?
        .id;
    let setup = Instant::now();
    let short = rooms_with(&client, 20, "Short").await?;
    let long = rooms_with(&client, 1_000, "Long").await?;
    let long_uncached = rooms_with(&client, 1_000, "Long, uncached").await?;
    println!(
        "set-up: {ROOMS} rooms with 20 reservations and 2 × {ROOMS} with 1,000 in {:.1} s\n",
        setup.elapsed().as_secs_f64()
    );
    // A warm-up on both, then the rows.
    run(&client, &store, &short, &guest, 0, ROOMS).await?;
    run(&client, &store, &long, &guest, 0, ROOMS).await?;
    let baseline = run(&client, &store, &short, &guest, ROOMS, calls).await?;
    let measured = run(&client, &store, &long, &guest, ROOMS, calls).await?;
    // The same calls on rooms like those through a runtime without the collection cache.
    let uncached = Config {
        collection_cache: 0,
        ..Config::default()
    };
    let runtime = hotel_handlers::runtime(store.clone(), HotelApp)
        .config(uncached)
        .build();
    let uncached_client = Client::new(InProcess::new(runtime));
    run(&uncached_client, &store, &long_uncached, &guest, 0, ROOMS).await?;
    let without_cache = run(
        &uncached_client,
        &store,
        &long_uncached,
        &guest,
        ROOMS,
        calls,
    )
    .await?;
    println!("| reservations per room | calls | p50 µs | p90 µs | p99 µs | p50 / baseline | round trips / call | commit items / call | RCU / call | WCU / call |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let base_p50 = percentile_us(&baseline.latencies, 0.5);
    let rows = [
        ("20 (baseline)", &baseline),
        ("1,000", &measured),
        ("1,000, collection cache off", &without_cache),
    ];
    for (label, row) in rows {
        let p50 = percentile_us(&row.latencies, 0.5);
        println!(
            "| {label} | {} | {p50:.0} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} | {:.1} |",
            row.latencies.len(),
            percentile_us(&row.latencies, 0.9),
            percentile_us(&row.latencies, 0.99),
            p50 / base_p50,
            row.per_call(row.stats.round_trips),
            row.per_call(row.stats.items_written + row.stats.items_checked),
            row.per_call(row.stats.read_units),
            row.per_call(row.stats.write_units),
        );
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), BoxError> {
    let calls = calls_per_row()?.max(ROOMS);
    println!("## nubes runtime: `Room.reserve` on rooms with a short and a long history (SQLite, in process)\n");
    println!("machine: {}", machine());
    println!(
        "one caller, {calls} calls per row over {ROOMS} rooms, one SQLite file (WAL), {} build\n",
        build_kind()
    );
    in_scratch_dir(
        "reserve-bench",
        |dir| async move { bench(&dir, calls).await },
    )
    .await
}
