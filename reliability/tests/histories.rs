//! Checked histories on the hotel application.
//!
//! Eight concurrent clients make seeded random calls — the nine tasks of the hotel
//! benchmark (register, delete user, set rate, reserve, recommend by location and by
//! rate, login, get hotels, get user reservations), creating and deleting cities, hotels
//! and rooms, and cancelling reservations — over a small id space, so that reservations
//! collide on a few rooms and calls hit missing, deleted and re-created objects. One user
//! starts with more reservations than one commit can unlink, so deleting it finishes
//! through the outbox, which is delivered while the clients run.
//!
//! Under the runtime the store fails: [`FaultyStore`] crashes the invocation before or
//! after a store call or loses its answer (2 % of store calls), and fails calls as
//! DynamoDB does under load — throttled, transaction conflicts, internal errors before or
//! after the write took effect — at the rate each test names (1 % and 20 % on SQLite, 5 %
//! on DynamoDB). A client retries a call with the same invocation id while the answer is
//! retryable or `Conflict`; it sends one in five recorded answers (see
//! `Task::answer_is_recorded`: refusals the runtime gives without writing are computed
//! afresh for every delivery, so only recorded answers are the call's for good) again as
//! a duplicate; at the end a tenth of the committed calls (at most 1,000) come again,
//! late. Every call's invocation id, arguments and final answer are recorded, and
//! [`CommitLog`], under the faults, notes the order in which the calls committed. Then
//! `nubes_reliability::history::check` proves the history right (its documentation says
//! what that means) and a summary line is printed.
//!
//! - `NUBES_SEED` replays a run. The seed fixes what each client asks and the faults
//!   drawn; it is printed at the start and named in every failure. Eight clients
//!   interleave as the scheduler lets them, so a replay repeats the workload rather than
//!   the history; with `NUBES_HISTORY_CLIENTS=1` the calls and their answers repeat too
//!   (only the outbox deliverer, on a timer, can move a few fault draws).
//! - `NUBES_HISTORY_CALLS` sets the calls per run: 10,000 on SQLite and 1,000 on
//!   DynamoDB (moto) by default. Nightly:
//!   `NUBES_HISTORY_CALLS=200000 cargo test -p nubes-reliability --test histories sqlite`
//!   (each SQLite run takes some 4½ minutes in a debug build; `--release` is faster) and
//!   `NUBES_HISTORY_CALLS=10000 cargo test -p nubes-reliability --test histories dynamo`
//!   (some 8 minutes on moto).
//! - `NUBES_MOTO_PORT` picks the moto server's port, `NUBES_DYNAMO_ENDPOINT` another
//!   DynamoDB-API server (see `runtime/tests/support`).

#[path = "../../runtime/tests/support/mod.rs"]
#[macro_use]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nubes_reliability::dataset::{self, Dataset};
use nubes_reliability::history::check::{check, History, Report};
use nubes_reliability::history::commit_log::CommitLog;
use nubes_reliability::history::task::{Record, Task};
use nubes_reliability::history::view::{self, ObjKey};
use nubes_reliability::ids::IdSource;
use nubes_reliability::{hotel_runtime, requests};
use nubes_runtime::store::faulty::{Fault, FaultyStore};
use nubes_runtime::{Config, Error, InProcess, InvocationId, Request, Runtime, Store};
use serde_json::Value;

/// Store calls failed by crashes and lost answers, per mille.
const CRASH_PER_MILLE: u32 = 20;
/// A call retried this often without a final answer fails the test.
const MAX_RETRIES: u32 = 1_000;
/// The room where the last user holds [`VIP_RESERVATIONS`] reservations from the start.
const VIP_ROOM: &str = "room-vip";
/// More reservations than one commit can unlink from their guest (3 items each, 100 a
/// commit).
const VIP_RESERVATIONS: u32 = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_with_1_percent_transient_faults() {
    let store: Arc<dyn Store> = Arc::new(support::sqlite_store());
    let run = Run::new("sqlite, 1 % transient faults", 10, 10_000);
    history(run, store).await;
}

/// At 20 %, and with two result records inline, so that most retries and late
/// duplicates look their records up in pages of spilled records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_with_20_percent_transient_faults_and_records_spilled() {
    let store: Arc<dyn Store> = Arc::new(support::sqlite_store());
    let mut run = Run::new(
        "sqlite, 20 % transient faults, records spilled",
        200,
        10_000,
    );
    run.config.inline_records = 2;
    history(run, store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamo_with_5_percent_transient_faults() {
    let store: Arc<dyn Store> = Arc::new(support::dynamo_store("histories").await);
    let run = Run::new("dynamo, 5 % transient faults", 50, 1_000);
    history(run, store).await;
}

/// One run's settings.
struct Run {
    name: &'static str,
    seed: u64,
    /// Store calls failed as DynamoDB fails them under load, per mille.
    transient_per_mille: u32,
    calls: usize,
    clients: usize,
    config: Config,
}

impl Run {
    fn new(name: &'static str, transient_per_mille: u32, default_calls: usize) -> Self {
        let seed = env("NUBES_SEED").unwrap_or_else(|| fastrand::u64(..));
        eprintln!("histories ({name}): NUBES_SEED={seed}");
        Run {
            name,
            seed,
            transient_per_mille,
            calls: env("NUBES_HISTORY_CALLS").unwrap_or(default_calls),
            clients: env("NUBES_HISTORY_CLIENTS").unwrap_or(8).max(1),
            config: Config::default(),
        }
    }
}

fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok()?.parse().ok()
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

/// The ids calls pick from: the dataset's and a few that do not exist at first.
struct Space {
    cities: Vec<String>,
    hotels: Vec<String>,
    rooms: Vec<String>,
    /// The rooms most reservations ask for.
    hot_rooms: Vec<String>,
    /// Each user's e-mail address and the two passwords it registers with.
    users: Vec<(String, [String; 2])>,
    /// The dataset's reservation, which any client may cancel.
    reservation: String,
}

impl Space {
    fn new(data: &Dataset) -> Self {
        let more = |prefix: &'static str, n: usize| (0..n).map(move |i| format!("{prefix}-{i}"));
        let rooms: Vec<String> = data
            .all_rooms()
            .cloned()
            .chain(more("room-x", 3))
            .chain([VIP_ROOM.to_string()])
            .collect();
        let users = ["ana", "ben", "eva", "dan", "fay", "gus"]
            .map(|name| {
                let email = format!("{name}@example.com");
                (email, [format!("{name}-secret"), format!("{name}-other")])
            })
            .to_vec();
        Space {
            cities: data
                .cities
                .iter()
                .cloned()
                .chain(["Braga".into()])
                .collect(),
            hotels: data
                .all_hotels()
                .cloned()
                .chain(more("hotel-x", 2))
                .collect(),
            hot_rooms: rooms[..3].to_vec(),
            rooms,
            users,
            reservation: data.reservation.clone(),
        }
    }

    /// Every object of the space.
    fn objects(&self) -> Vec<ObjKey> {
        let of = |type_name: &'static str, ids: &[String]| {
            ids.iter()
                .map(|id| ObjKey::new(type_name, id))
                .collect::<Vec<_>>()
        };
        let users: Vec<String> = self.users.iter().map(|(email, _)| email.clone()).collect();
        [
            of("City", &self.cities),
            of("Hotel", &self.hotels),
            of("Room", &self.rooms),
            of("User", &users),
        ]
        .concat()
    }
}

/// What every client shares.
struct Shared {
    runtime: Runtime,
    log: Arc<CommitLog>,
    space: Space,
    seed: u64,
}

async fn history(run: Run, base: Arc<dyn Store>) {
    let started = Instant::now();
    let seed = run.seed;
    let log = Arc::new(CommitLog::new(base));
    let faulty = Arc::new(FaultyStore::new(log.clone()));
    let runtime = hotel_runtime(faulty.clone(), run.config.clone());
    let (data, space) = setup(&runtime, seed).await;
    let (initial, _) = view::stored(&runtime, &data, &space.objects())
        .await
        .unwrap_or_else(|error| panic!("NUBES_SEED={seed}: the initial state: {error}"));
    faulty.random_faults(seed, CRASH_PER_MILLE);
    faulty.transient_faults(seed.rotate_left(17), run.transient_per_mille);
    let shared = Arc::new(Shared {
        runtime: runtime.clone(),
        log: log.clone(),
        space,
        seed,
    });
    let (records, late, delivered) = workload(&shared, &run).await;
    faulty.clear();
    let delivered = delivered + drain_outbox(&runtime, seed).await;
    let mut extra = shared.space.objects();
    extra.extend(reservations_answered(&records));
    let (stored, created_at) = view::stored(&runtime, &data, &extra)
        .await
        .unwrap_or_else(|error| panic!("NUBES_SEED={seed}: the final state: {error}"));
    let commits = log.commits();
    let report = check(&History {
        initial: &initial,
        records: &records,
        commits: &commits,
        late: &late,
        stored: &stored,
        created_at: &created_at,
    });
    let counts = (late.len(), delivered);
    summarize(&run, &records, &report, &faulty, counts, started.elapsed());
    verdict(&run, &report, &faulty);
}

/// The clients' calls, then the late duplicates, with the outbox delivered all along:
/// the records, the late answers, and how many outbox messages were delivered.
async fn workload(
    shared: &Arc<Shared>,
    run: &Run,
) -> (Vec<Record>, Vec<(usize, Result<Value, Error>)>, usize) {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let deliverer = tokio::spawn(deliver_until(shared.runtime.clone(), stopped));
    let records = run_clients(shared, run.calls, run.clients).await;
    let late = send_late(shared, &records, &run.config).await;
    let _ = stop.send(true);
    let delivered = deliverer
        .await
        .unwrap_or_else(|error| panic!("NUBES_SEED={}: the outbox deliverer: {error}", run.seed));
    (records, late, delivered)
}

/// Fails the test when the checker found violations, nothing committed, or a kind of
/// fault was never injected (in runs long enough to inject them all).
fn verdict(run: &Run, report: &Report, faulty: &FaultyStore) {
    let seed = run.seed;
    assert_eq!(
        report.violations,
        0,
        "NUBES_SEED={seed} ({}): {} violations (replay with NUBES_SEED={seed}):\n{}",
        run.name,
        report.violations,
        report.described.join("\n")
    );
    assert!(report.committed > 0, "NUBES_SEED={seed}: nothing committed");
    if run.calls >= 1_000 {
        for fault in Fault::ALL {
            assert!(
                faulty.injected_of(fault) > 0,
                "NUBES_SEED={seed}: no {} fault was injected",
                fault.name()
            );
        }
    }
}

/// The dataset, three more users, a room where the last of them holds more reservations
/// than one commit can unlink (deleting that user finishes through the outbox), and the
/// id space around them.
async fn setup(runtime: &Runtime, seed: u64) -> (Dataset, Space) {
    let failed = |what: &str, error: Error| -> ! { panic!("NUBES_SEED={seed}: {what}: {error}") };
    runtime
        .ensure_tables()
        .await
        .unwrap_or_else(|error| failed("tables", error));
    let mut ids = IdSource::new(now_ms());
    let data = dataset::seed(&InProcess::new(runtime.clone()), &mut ids)
        .await
        .unwrap_or_else(|error| failed("the dataset", error));
    let space = Space::new(&data);
    let mut setup = Vec::new();
    for (email, passwords) in &space.users[data.users.len()..] {
        let name = email.split('@').next().unwrap_or(email);
        setup.push(requests::register(
            &ids.next_id(),
            email,
            (name, "Silva"),
            &passwords[0],
        ));
    }
    let hotel = &data.hotels[1][1];
    setup.push(requests::create_room(
        &ids.next_id(),
        VIP_ROOM,
        999,
        12_000,
        hotel,
    ));
    let (vip, _) = &space.users[space.users.len() - 1];
    // One night each, from April 1st 2027: after every stay the clients ask for.
    let night = |n: u32| match n {
        0..30 => format!("2027-04-{:02}", n + 1),
        _ => format!("2027-05-{:02}", n - 29),
    };
    for n in 0..VIP_RESERVATIONS {
        let (check_in, check_out) = (night(n), night(n + 1));
        setup.push(requests::reserve(
            &ids.next_id(),
            VIP_ROOM,
            vip,
            &check_in,
            &check_out,
        ));
    }
    for request in &setup {
        if let Err(error) = runtime.handle(request).await {
            failed(&format!("{request:?}"), error);
        }
    }
    (data, space)
}

async fn run_clients(shared: &Arc<Shared>, calls: usize, clients: usize) -> Vec<Record> {
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..clients {
        let calls = calls / clients + usize::from(client < calls % clients);
        tasks.spawn(run_client(shared.clone(), client, calls));
    }
    let mut records = Vec::with_capacity(calls);
    while let Some(finished) = tasks.join_next().await {
        match finished {
            Ok(client) => records.extend(client),
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(error) => panic!("NUBES_SEED={}: a client failed: {error}", shared.seed),
        }
    }
    records.sort_by_key(|record| record.sent_at);
    records
}

async fn run_client(shared: Arc<Shared>, client: usize, calls: usize) -> Vec<Record> {
    let stream = |n: u64| shared.seed ^ (client as u64 * 2 + n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut draws = fastrand::Rng::with_seed(stream(1));
    let mut duplicates = fastrand::Rng::with_seed(stream(2));
    // The reservations this client made and has not cancelled yet.
    let mut mine = Vec::new();
    let mut records = Vec::with_capacity(calls);
    for _ in 0..calls {
        let task = draw(&mut draws, &shared.space, &mut mine);
        let id = InvocationId::new();
        shared.log.register(&id);
        let (sent_at, sent_ms) = (shared.log.len(), now_ms());
        let request = task.request(&id);
        let (answer, retries) = until_final(&shared, &request).await;
        let (answered_at, answered_ms) = (shared.log.len(), now_ms());
        let mut again = Vec::new();
        // Only a recorded answer is the call's for good: a refusal the runtime gives
        // without writing (a missing target …) is computed afresh for a duplicate.
        if task.answer_is_recorded(&answer) && duplicates.u8(0..5) == 0 {
            again.push(until_final(&shared, &request).await.0);
        }
        if let (Task::Reserve { .. }, Ok(Value::String(reservation))) = (&task, &answer) {
            mine.push(reservation.clone());
        }
        records.push(Record {
            id,
            task,
            answer,
            retries,
            sent_at,
            answered_at,
            sent_ms,
            answered_ms,
            duplicates: again,
        });
    }
    records
}

/// Sends `request` until its answer is final; the answer and how many retries it took.
async fn until_final(shared: &Shared, request: &Request) -> (Result<Value, Error>, u32) {
    let mut retries = 0;
    loop {
        let answer = shared.runtime.handle(request).await;
        match &answer {
            Err(error) if error.is_retryable() || matches!(error, Error::Conflict { .. }) => {
                retries += 1;
                assert!(
                    retries < MAX_RETRIES,
                    "NUBES_SEED={}: {request:?} got no final answer in {MAX_RETRIES} tries: {error}",
                    shared.seed
                );
            }
            _ => return (answer, retries),
        }
    }
}

/// One random call. Per hundred: 22 reserve, 8 cancel, 6 register, 3 delete user,
/// 8 set rate, 5 + 5 recommend, 8 login, 5 get hotels, 6 get user reservations, and
/// 3 + 3, 4 + 4, 5 + 5 create and delete a city, a hotel, a room.
fn draw(rng: &mut fastrand::Rng, space: &Space, mine: &mut Vec<String>) -> Task {
    let pick = |rng: &mut fastrand::Rng, ids: &[String]| ids[rng.usize(0..ids.len())].clone();
    let (email, passwords) = &space.users[rng.usize(0..space.users.len())];
    let email = email.clone();
    let city = pick(rng, &space.cities);
    let hotel = pick(rng, &space.hotels);
    let room = pick(rng, &space.rooms);
    let count = rng.i64(-1..6);
    let rate = f64::from(rng.u8(2..=10)) / 2.0;
    match rng.u8(0..100) {
        0..22 => reserve(rng, space, email),
        22..30 => cancel(rng, space, mine),
        30..36 => {
            let first = email.split('@').next().unwrap_or("").to_string();
            let password = passwords[rng.usize(0..2)].clone();
            let last = "Silva".into();
            Task::Register {
                email,
                first,
                last,
                password,
            }
        }
        36..39 => Task::DeleteUser { email },
        39..47 => Task::SetRate { hotel, rate },
        47..52 => recommend_by_location(rng, city, count),
        52..57 => Task::RecommendByRate { city, count },
        57..65 => {
            let password = match rng.u8(0..3) {
                2 => "wrong".to_string(),
                n => passwords[usize::from(n)].clone(),
            };
            Task::Login { email, password }
        }
        65..70 => Task::GetHotels { city },
        70..76 => Task::GetUserReservations { email },
        76..79 => Task::CreateCity {
            city,
            country: "Portugal".into(),
        },
        79..82 => Task::DeleteCity { city },
        82..86 => create_hotel(space, hotel, rate, city),
        86..90 => Task::DeleteHotel { hotel },
        90..95 => Task::CreateRoom {
            number: 100 + rng.i64(0..50),
            price: 9_000,
            room,
            hotel,
        },
        _ => Task::DeleteRoom { room },
    }
}

/// Cancels one of the client's own reservations — or, one time in five, the dataset's
/// or one that never existed.
fn cancel(rng: &mut fastrand::Rng, space: &Space, mine: &mut Vec<String>) -> Task {
    let reservation = match rng.u8(0..10) {
        0 => space.reservation.clone(),
        1 => InvocationId::new().0,
        _ if mine.is_empty() => InvocationId::new().0,
        _ => mine.swap_remove(rng.usize(0..mine.len())),
    };
    Task::CancelReservation { reservation }
}

/// Hotels near a point in Portugal — one time in ten a point off the earth.
fn recommend_by_location(rng: &mut fastrand::Rng, city: String, count: i64) -> Task {
    let lat = if rng.u8(0..10) == 0 {
        95.0
    } else {
        37.0 + rng.f64() * 5.0
    };
    let point = (lat, -10.0 + rng.f64() * 3.0);
    Task::RecommendByLocation { city, point, count }
}

/// Creates `hotel` in `city`, at the place that belongs to its id.
fn create_hotel(space: &Space, hotel: String, rate: f64, city: String) -> Task {
    let n = space.hotels.iter().position(|h| *h == hotel).unwrap_or(0) as f64;
    Task::CreateHotel {
        name: format!("New {hotel}"),
        rate,
        location: (38.5 + 0.3 * n, -9.0 + 0.2 * n),
        city,
        hotel,
    }
}

/// A reservation of a room — most often one of the few hot ones — for a stay in March
/// 2027; one in ten stays is invalid.
fn reserve(rng: &mut fastrand::Rng, space: &Space, guest: String) -> Task {
    let rooms = if rng.u8(0..10) < 6 {
        &space.hot_rooms
    } else {
        &space.rooms
    };
    let room = rooms[rng.usize(0..rooms.len())].clone();
    let date = |day: u32| format!("2027-03-{day:02}");
    let first = rng.u32(3..=24);
    let (check_in, check_out) = match rng.u8(0..30) {
        0 => (date(first), date(first)),
        1 => (date(first), date(first - 2)),
        2 => ("2027-02-30".to_string(), date(first)),
        _ => (date(first), date(first + rng.u32(1..=5))),
    };
    Task::Reserve {
        room,
        guest,
        check_in,
        check_out,
    }
}

/// Sends a tenth of the committed calls again (at most 1,000, and only those well inside
/// the dedup window); each answer is checked against the call's.
async fn send_late(
    shared: &Shared,
    records: &[Record],
    config: &Config,
) -> Vec<(usize, Result<Value, Error>)> {
    let committed: BTreeSet<InvocationId> = shared.log.commits().into_iter().flatten().collect();
    let young = now_ms().saturating_sub(config.window_ms() / 2);
    let candidates: Vec<usize> = (0..records.len())
        .filter(|&index| committed.contains(&records[index].id))
        .filter(|&index| records[index].id.created_ms().is_some_and(|ms| ms > young))
        .collect();
    let mut rng = fastrand::Rng::with_seed(shared.seed.rotate_left(29));
    let mut late = Vec::new();
    for _ in 0..(candidates.len() / 10).min(1_000) {
        let index = candidates[rng.usize(0..candidates.len())];
        let request = records[index].task.request(&records[index].id);
        late.push((index, until_final(shared, &request).await.0));
    }
    late
}

/// Delivers the outbox (the chunks of deletions too large for one commit) while the
/// clients run, as a deployment's collector does, until `stopped`; how many were
/// delivered. A delivery the faults break is tried again next round.
async fn deliver_until(runtime: Runtime, mut stopped: tokio::sync::watch::Receiver<bool>) -> usize {
    let mut delivered = 0;
    while !*stopped.borrow() {
        delivered += runtime.deliver_outbox_round(100).await.unwrap_or(0);
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            _ = stopped.changed() => {}
        }
    }
    delivered
}

/// Delivers what the outbox still holds once the faults are gone; how many were
/// delivered.
async fn drain_outbox(runtime: &Runtime, seed: u64) -> usize {
    let mut delivered = 0;
    loop {
        match runtime.deliver_outbox(100).await {
            Ok(0) => return delivered,
            Ok(n) => delivered += n,
            Err(error) => panic!("NUBES_SEED={seed}: delivering the outbox: {error}"),
        }
    }
}

/// The ids of the reservations successful reserves answered.
fn reservations_answered(records: &[Record]) -> Vec<ObjKey> {
    records
        .iter()
        .filter_map(|record| match (&record.task, &record.answer) {
            (Task::Reserve { .. }, Ok(Value::String(id))) => Some(ObjKey::new("Reservation", id)),
            _ => None,
        })
        .collect()
}

/// Prints what the run did and found.
fn summarize(
    run: &Run,
    records: &[Record],
    report: &Report,
    faulty: &FaultyStore,
    (late, delivered): (usize, usize),
    took: Duration,
) {
    let retries: u32 = records.iter().map(|record| record.retries).sum();
    let duplicates: usize = records.iter().map(|record| record.duplicates.len()).sum();
    let faults: Vec<String> = Fault::ALL
        .iter()
        .map(|fault| format!("{}={}", fault.name(), faulty.injected_of(*fault)))
        .collect();
    // Per task, how many got each kind of answer.
    let mut answers: BTreeMap<&str, BTreeMap<String, usize>> = BTreeMap::new();
    for record in records {
        let kind = match &record.answer {
            Ok(_) => "ok".to_string(),
            Err(Error::User { name, .. }) => name.clone(),
            Err(error) => format!("{error:?}")
                .split([' ', '{'])
                .next()
                .unwrap_or("")
                .to_string(),
        };
        let task = answers.entry(record.task.name()).or_default();
        *task.entry(kind).or_default() += 1;
    }
    let answers: Vec<String> = answers
        .iter()
        .map(|(task, kinds)| {
            let kinds: Vec<String> = kinds
                .iter()
                .map(|(kind, n)| format!("{kind} {n}"))
                .collect();
            format!("{task}: {}", kinds.join(", "))
        })
        .collect();
    eprintln!(
        "histories ({}): NUBES_SEED={} calls={} committed={} retries={retries} duplicates={duplicates} \
         late={late} outbox-delivered={delivered} faults: {} violations={} in {:.1}s\n  answers: {}",
        run.name,
        run.seed,
        records.len(),
        report.committed,
        faults.join(" "),
        report.violations,
        took.as_secs_f64(),
        answers.join("; ")
    );
}
