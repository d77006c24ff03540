//! Every crash point of the nine hotel tasks, on both stores.
//!
//! Each task runs once cleanly on a fresh copy of a small hotel (made with the same ids
//! every time), counting its store requests. Then, for every request in turn, a fresh copy
//! runs the task again with the same invocation id while the store fails that request:
//! the invocation crashes before it, or after it took effect, or the reply is lost after it
//! took effect. The client retries with the same id until it gets a final answer, then
//! sends a duplicate. The answer and the state must equal the clean run's, every time;
//! on SQLite the comparison is of every stored byte, on DynamoDB (moto) of everything a
//! client can read. The only difference allowed is the id a `reserve` makes for its new
//! reservation, which is fresh in every run.

#[path = "../../runtime/tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use nubes_reliability::dataset::{seed, Dataset};
use nubes_reliability::ids::IdSource;
use nubes_reliability::{hotel_runtime, requests, state};
use nubes_runtime::store::faulty::{Fault, FaultyStore};
use nubes_runtime::store::sqlite::SqliteStore;
use nubes_runtime::{
    Clock, Config, Error, InProcess, InvocationId, ManualClock, Request, Runtime, Store,
    SystemClock,
};
use serde_json::Value;

/// The nine tasks of the hotel benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Task {
    Register,
    DeleteUser,
    SetRate,
    Reserve,
    RecommendByLocation,
    RecommendByRate,
    Login,
    GetHotels,
    GetUserReservations,
}

const TASKS: [Task; 9] = [
    Task::Register,
    Task::DeleteUser,
    Task::SetRate,
    Task::Reserve,
    Task::RecommendByLocation,
    Task::RecommendByRate,
    Task::Login,
    Task::GetHotels,
    Task::GetUserReservations,
];

/// The task's request on the dataset. Each changing task touches what makes it most
/// work: the user deleted is a guest on a reservation, the reservation is made for a user
/// and room that exist.
fn request(task: Task, data: &Dataset, id: &InvocationId) -> Request {
    match task {
        Task::Register => requests::register(id, "zoe@example.com", ("Zoe", "Lima"), "zoe-pw"),
        Task::DeleteUser => requests::delete_user(id, &data.users[1]),
        Task::SetRate => requests::set_rate(id, &data.hotels[0][0], 4.75),
        Task::Reserve => requests::reserve(
            id,
            &data.rooms[0][0],
            &data.users[0],
            "2027-03-04",
            "2027-03-06",
        ),
        Task::RecommendByLocation => {
            requests::recommend_by_location(id, &data.cities[0], (38.73, -9.15), 2)
        }
        Task::RecommendByRate => requests::recommend_by_rate(id, &data.cities[1], 1),
        Task::Login => requests::login(id, &data.users[2], &data.passwords[2]),
        Task::GetHotels => requests::get_hotels(id, &data.cities[0]),
        Task::GetUserReservations => requests::get_user_reservations(id, &data.users[1]),
    }
}

/// Where the runs store: SQLite files in a directory of their own, or moto.
#[derive(Debug, Clone)]
enum Stores {
    Sqlite(PathBuf),
    Dynamo,
}

/// One fresh hotel: its runtime over a faulty store, the dataset, and the SQLite file.
struct Copy {
    runtime: Runtime,
    faulty: Arc<FaultyStore>,
    data: Dataset,
    file: Option<PathBuf>,
}

impl Stores {
    async fn fresh(&self, case: usize, config: &Config, start_ms: u64) -> Copy {
        let (store, file): (Arc<dyn Store>, _) = match self {
            Stores::Sqlite(dir) => {
                let file = dir.join(format!("case-{case}.sqlite"));
                let store = SqliteStore::open(&file).expect("a SQLite store in a fresh file");
                (Arc::new(store), Some(file))
            }
            Stores::Dynamo => (Arc::new(support::dynamo_store("crash-points").await), None),
        };
        let faulty = Arc::new(FaultyStore::new(store));
        let runtime = hotel_runtime(faulty.clone(), config.clone());
        runtime.ensure_tables().await.expect("the hotel's tables");
        let mut ids = IdSource::new(start_ms);
        let data = seed(&InProcess::new(runtime.clone()), &mut ids)
            .await
            .expect("the dataset");
        Copy {
            runtime,
            faulty,
            data,
            file,
        }
    }
}

impl Ending {
    /// What differs from `expected`, one line each; empty when nothing does.
    fn differences(&self, expected: &Ending) -> Vec<String> {
        let mut lines = Vec::new();
        if self.answer != expected.answer {
            lines.push(format!(
                "answer {:?}, expected {:?}",
                self.answer, expected.answer
            ));
        }
        lines.extend(differing(&self.readable, &expected.readable));
        if let (Some(stored), Some(expected)) = (&self.stored, &expected.stored) {
            lines.extend(differing(stored, expected));
        }
        lines
    }
}

/// The keys whose values differ between two maps, with both values.
fn differing<V: PartialEq + std::fmt::Debug>(
    found: &BTreeMap<String, V>,
    expected: &BTreeMap<String, V>,
) -> Vec<String> {
    let keys: std::collections::BTreeSet<&String> = found.keys().chain(expected.keys()).collect();
    keys.into_iter()
        .filter(|key| found.get(*key) != expected.get(*key))
        .map(|key| {
            format!(
                "{key}: {:?}, expected {:?}",
                found.get(key),
                expected.get(key)
            )
        })
        .collect()
}

/// What a run ended with: the answer and the state, with the ids of the reservations
/// made (by the dataset, and by the run) replaced by placeholders.
#[derive(Debug)]
struct Ending {
    answer: Result<Value, Error>,
    readable: BTreeMap<String, Value>,
    stored: Option<BTreeMap<String, String>>,
}

async fn ending(copy: &Copy, answer: &Result<Value, Error>) -> Ending {
    let made = match (answer, copy.data.reservation.as_str()) {
        (Ok(Value::String(id)), seeded) if id != seeded => Some(id.clone()),
        _ => None,
    };
    // The seeded reservation's id is fresh in every copy too.
    let placeholder = |text: String| {
        let text = text.replace(copy.data.reservation.as_str(), "<seeded>");
        match &made {
            Some(id) => text.replace(id.as_str(), "<made by the run>"),
            None => text,
        }
    };
    let extra = [("User", "zoe@example.com")];
    let readable = state::readable(&copy.runtime, &copy.data, &extra)
        .await
        .expect("the state reads back");
    let readable = readable
        .into_iter()
        .map(|(key, value)| {
            let value = serde_json::from_str(&placeholder(value.to_string())).unwrap_or(value);
            (placeholder(key), value)
        })
        .collect();
    let stored = copy.file.as_deref().map(|file| {
        stored_items(file)
            .into_iter()
            .map(|(key, item)| (placeholder(key), placeholder(item)))
            .collect()
    });
    let answer = match answer {
        Ok(value) => Ok(serde_json::from_str(&placeholder(value.to_string())).unwrap_or_default()),
        Err(error) => Err(error.clone()),
    };
    Ending {
        answer,
        readable,
        stored,
    }
}

fn stored_items(file: &Path) -> BTreeMap<String, String> {
    state::sqlite_items(file).expect("the SQLite file reads")
}

/// Sends `request` until the answer is final, as a client does.
async fn until_final(runtime: &Runtime, request: &Request) -> Result<Value, Error> {
    for _ in 0..20 {
        match runtime.handle(request).await {
            Err(error) if error.is_retryable() => continue,
            answer => return answer,
        }
    }
    panic!("{request:?} never got a final answer");
}

/// Runs every crash point of every task; returns the crash points per task.
async fn every_crash_point(stores: Stores, config: Config) -> BTreeMap<Task, usize> {
    let start_ms = SystemClock.now_ms() / 1000 * 1000;
    let config = Config {
        clock: Arc::new(ManualClock::new(start_ms)),
        ..config
    };
    let mut case = 0;
    let mut covered = BTreeMap::new();
    for task in TASKS {
        case += 1;
        let clean = stores.fresh(case, &config, start_ms).await;
        let id = IdSource::new(start_ms + 1).next_id();
        let request = request(task, &clean.data, &id);
        let before = clean.faulty.calls();
        let answer = clean.runtime.handle(&request).await;
        let steps = clean.faulty.calls() - before;
        assert!(steps >= 1, "{task:?} made no store request");
        assert!(
            !answer.as_ref().is_err_and(Error::is_retryable),
            "{task:?} failed without a fault: {answer:?}"
        );
        let expected = ending(&clean, &answer).await;
        for step in 0..steps {
            for fault in [Fault::CrashBefore, Fault::CrashAfter, Fault::TimeoutAfter] {
                case += 1;
                let context = format!("{task:?}, {fault:?} at request {}/{steps}", step + 1);
                let copy = stores.fresh(case, &config, start_ms).await;
                let seeded = Dataset {
                    reservation: clean.data.reservation.clone(),
                    ..copy.data.clone()
                };
                assert_eq!(seeded, clean.data, "{context}: the dataset differs");
                copy.faulty.fail_at(copy.faulty.calls() + step, fault);
                let first = copy.runtime.handle(&request).await;
                assert_eq!(copy.faulty.injected(), 1, "{context}: not reached");
                assert!(
                    first.as_ref().is_err_and(Error::is_retryable),
                    "{context}: the fault was not reported as retryable: {first:?}"
                );
                let answer = until_final(&copy.runtime, &request).await;
                let differences = ending(&copy, &answer).await.differences(&expected);
                assert!(
                    differences.is_empty(),
                    "{context}: the retry ended otherwise than a clean run:\n{}",
                    differences.join("\n")
                );
                let duplicate = copy.runtime.handle(&request).await;
                let differences = ending(&copy, &duplicate).await.differences(&expected);
                assert!(
                    differences.is_empty(),
                    "{context}: a duplicate ended otherwise:\n{}",
                    differences.join("\n")
                );
                *covered.entry(task).or_insert(0) += 1;
            }
        }
    }
    covered
}

fn report(store: &str, config: &Config, covered: &BTreeMap<Task, usize>) {
    let total: usize = covered.values().sum();
    eprintln!(
        "crash points on {store} (inline records: {}): {total} in all",
        config.inline_records
    );
    for (task, count) in covered {
        eprintln!("  {task:?}: {count}");
    }
    assert_eq!(covered.len(), TASKS.len(), "a task had no crash point");
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nubes-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_crash_point_on_sqlite() {
    for config in [
        Config::default(),
        Config {
            inline_records: 0,
            ..Config::default()
        },
    ] {
        let dir = scratch("crash-points");
        let covered = every_crash_point(Stores::Sqlite(dir.clone()), config.clone()).await;
        report("SQLite", &config, &covered);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_crash_point_on_dynamodb() {
    let config = Config {
        backoff: Duration::from_millis(1),
        ..Config::default()
    };
    let covered = every_crash_point(Stores::Dynamo, config.clone()).await;
    report("DynamoDB (moto)", &config, &covered);
}
