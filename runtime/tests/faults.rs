//! Fault injection on both stores.
//!
//! 1. Every step: for each sample operation, the invocation crashes before, or after, or
//!    loses the answer of, each store call in turn; the client retries with the same id.
//!    The outcome and the final state must equal those of one clean run, and a further
//!    duplicate must change nothing. It runs with result records inside the objects'
//!    items and again with every record spilled into a page by its own commit, so that
//!    every retry looks its record up outside the object.
//! 2. Random schedules: concurrent clients hammer a few objects (so their records pile up
//!    and spill) with seeded random operations while the store fails calls at
//!    random; clients retry and sometimes deliver duplicates, and at the end a tenth of
//!    the finished calls come again, late. Invariants:
//!    balances equal the initial ones plus the successful transfers (each applied once),
//!    no slot is booked twice and bookings are exactly the successful ones, both sides of
//!    every many-to-many agree, counters count each successful increment once.
//!
//! The seed comes from `NUBES_SEED` or the clock and is printed; `NUBES_SCHEDULE_OPS`
//! scales the random schedules.

#[path = "support/cases.rs"]
mod cases;
mod samples;
#[macro_use]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use nubes_runtime::store::faulty::{Fault, FaultyStore};
use nubes_runtime::{Config, Error, Invocation, InvocationId, Runtime, Store};
use samples::{fields, make};
use serde_json::{json, Value};

on_both_stores_fresh!(
    crash_at_every_step,
    crash_at_every_step_with_records_spilled,
    random_schedules
);

/// The sample operations the every-step test runs.
#[derive(Debug, Clone, Copy)]
enum Op {
    Create,
    Increment,
    Setter,
    Transfer,
    Book,
    Enrol,
    Unenrol,
    DeleteStudent,
    DeleteFolder,
    Nested,
    SendLater,
}

const OPS: [Op; 11] = [
    Op::Create,
    Op::Increment,
    Op::Setter,
    Op::Transfer,
    Op::Book,
    Op::Enrol,
    Op::Unenrol,
    Op::DeleteStudent,
    Op::DeleteFolder,
    Op::Nested,
    Op::SendLater,
];

fn call(type_name: &str, object: &str, method: &str, args: Value, id: &InvocationId) -> Invocation {
    Invocation {
        id: id.clone(),
        type_name: type_name.into(),
        object: object.into(),
        method: method.into(),
        args,
    }
}

async fn perform(runtime: &Runtime, op: Op, id: &InvocationId) -> Result<Value, Error> {
    match op {
        Op::Create => runtime
            .create(id, "Counter", "new", fields(json!({ "count": 1 })))
            .await
            .map(|()| Value::Null),
        Op::Increment => {
            runtime
                .invoke(&call("Counter", "c1", "increment", json!({ "by": 2 }), id))
                .await
        }
        Op::Setter => runtime
            .set_field(id, "Counter", "c1", "count", json!(42))
            .await
            .map(|()| Value::Null),
        Op::Transfer => {
            runtime
                .invoke(&call(
                    "Account",
                    "a",
                    "transfer",
                    json!({ "to": "b", "amount": 30 }),
                    id,
                ))
                .await
        }
        Op::Book => {
            runtime
                .invoke(&call(
                    "Room",
                    "r",
                    "book",
                    json!({ "slot": 2, "booking": "k2" }),
                    id,
                ))
                .await
        }
        Op::Enrol => runtime
            .add_to(id, "Student", "s1", "courses", &["c2".into()])
            .await
            .map(|()| Value::Null),
        Op::Unenrol => runtime
            .remove_from(id, "Course", "c1", "students", &["s1".into()])
            .await
            .map(|()| Value::Null),
        Op::DeleteStudent => runtime
            .delete(id, "Student", "s1")
            .await
            .map(|()| Value::Null),
        Op::DeleteFolder => runtime
            .delete(id, "Folder", "f")
            .await
            .map(|()| Value::Null),
        Op::Nested => {
            runtime
                .invoke(&call(
                    "Counter",
                    "c1",
                    "incrementBoth",
                    json!({ "other": "c2" }),
                    id,
                ))
                .await
        }
        Op::SendLater => {
            runtime
                .invoke(&call(
                    "Counter",
                    "c1",
                    "incrementLater",
                    json!({ "other": "c2" }),
                    id,
                ))
                .await
        }
    }
}

/// The objects every scenario starts from.
async fn setup(runtime: &Runtime) {
    let objects = [
        ("Counter", "c1", json!({ "count": 0 })),
        ("Counter", "c2", json!({ "count": 0 })),
        ("Account", "a", json!({ "owner": "ann", "balance": 100 })),
        ("Account", "b", json!({ "owner": "bob", "balance": 0 })),
        ("Room", "r", json!({})),
        ("Booking", "k1", json!({ "room": "r", "slot": 1 })),
        ("Student", "s1", json!({})),
        ("Course", "c1", json!({})),
        ("Course", "c2", json!({})),
        ("Folder", "f", json!({})),
        ("Doc", "d1", json!({ "folder": "f" })),
    ];
    for (type_name, id, value) in objects {
        runtime
            .create(&InvocationId::new(), type_name, id, fields(value))
            .await
            .expect("setup create");
    }
    runtime
        .add_to(
            &InvocationId::new(),
            "Student",
            "s1",
            "courses",
            &["c1".into()],
        )
        .await
        .expect("setup enrol");
}

/// Everything a user can observe of the scenario's objects.
async fn snapshot(runtime: &Runtime) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let objects = [
        ("Counter", "c1"),
        ("Counter", "c2"),
        ("Counter", "new"),
        ("Account", "a"),
        ("Account", "b"),
        ("Room", "r"),
        ("Booking", "k1"),
        ("Booking", "k2"),
        ("Student", "s1"),
        ("Course", "c1"),
        ("Course", "c2"),
        ("Folder", "f"),
        ("Doc", "d1"),
    ];
    for (type_name, id) in objects {
        let value = match runtime.get(type_name, id).await {
            Ok(fields) => Value::Object(fields),
            Err(Error::NotFound { .. }) => json!("absent"),
            Err(error) => panic!("snapshot read failed: {error}"),
        };
        out.insert(format!("{type_name}/{id}"), value);
    }
    let collections = [
        ("Room", "r", "bookings"),
        ("Student", "s1", "courses"),
        ("Course", "c1", "students"),
        ("Course", "c2", "students"),
        ("Folder", "f", "docs"),
    ];
    for (type_name, id, field) in collections {
        let ids = runtime
            .collection_ids(type_name, id, field)
            .await
            .unwrap_or_default();
        out.insert(format!("{type_name}/{id}.{field}"), json!(ids));
    }
    let mut outbox = 0;
    for partition in runtime.config().outbox_partitions() {
        outbox += runtime
            .store()
            .query("_outbox", &partition, "", None, 100)
            .await
            .map(|page| page.items.len())
            .unwrap_or(0);
    }
    out.insert("outbox".into(), json!(outbox));
    out
}

async fn fresh<F, Fut>(new_store: &F, config: &Config) -> (Runtime, Arc<FaultyStore>)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    let faulty = Arc::new(FaultyStore::new(new_store().await));
    let runtime = samples::runtime(faulty.clone(), config.clone()).await;
    setup(&runtime).await;
    (runtime, faulty)
}

/// Retries `op` with the same id until it gives a final answer.
async fn until_final(runtime: &Runtime, op: Op, id: &InvocationId) -> Result<Value, Error> {
    for _ in 0..20 {
        match perform(runtime, op, id).await {
            Err(error) if error.is_retryable() => continue,
            outcome => return outcome,
        }
    }
    panic!("{op:?} never finished");
}

/// Every step, with result records inside the objects' items (quiet objects).
async fn crash_at_every_step<F, Fut>(new_store: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    every_step(new_store, Config::default()).await;
}

/// Every step, with every result record spilled into a page as it commits.
async fn crash_at_every_step_with_records_spilled<F, Fut>(new_store: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    let config = Config {
        inline_records: 0,
        ..Config::default()
    };
    every_step(new_store, config).await;
}

async fn every_step<F, Fut>(new_store: F, config: Config)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    // One outbox partition: each snapshot reads the outbox with one query.
    let config = Config {
        outbox_shards: 1,
        ..config
    };
    let mut cases = 0;
    for op in OPS {
        let id = InvocationId::new();
        let (runtime, faulty) = fresh(&new_store, &config).await;
        let start = faulty.calls();
        let expected = perform(&runtime, op, &id).await;
        let steps = faulty.calls() - start;
        let expected_state = snapshot(&runtime).await;
        assert!(steps >= 1, "{op:?} made no store call");
        for step in 0..steps {
            for fault in [Fault::CrashBefore, Fault::CrashAfter, Fault::TimeoutAfter] {
                let (runtime, faulty) = fresh(&new_store, &config).await;
                faulty.fail_at(faulty.calls() + step, fault);
                let first = perform(&runtime, op, &id).await;
                assert_eq!(
                    faulty.injected(),
                    1,
                    "{op:?}: the fault at step {step} was not reached"
                );
                assert!(
                    first.as_ref().is_err_and(Error::is_retryable),
                    "{op:?}, {fault:?} at step {step}/{steps}: the crash was not reported: {first:?}"
                );
                let outcome = until_final(&runtime, op, &id).await;
                let context = format!("{op:?}, {fault:?} at step {step}/{steps}");
                assert_eq!(
                    outcome, expected,
                    "{context}: a different outcome after the retry"
                );
                assert_eq!(
                    snapshot(&runtime).await,
                    expected_state,
                    "{context}: a different state"
                );
                let duplicate = perform(&runtime, op, &id).await;
                assert_eq!(
                    duplicate, expected,
                    "{context}: a duplicate got another outcome"
                );
                assert_eq!(
                    snapshot(&runtime).await,
                    expected_state,
                    "{context}: a duplicate changed state"
                );
                cases += 1;
            }
        }
    }
    eprintln!(
        "crash at every step (inline records: {}): {cases} crash-and-retry cases over {} operations",
        config.inline_records,
        OPS.len()
    );
    assert!(cases > 60, "only {cases} crash cases ran");
}

fn seed() -> u64 {
    std::env::var("NUBES_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..))
}

/// One client's random operation and what it means for the model.
#[derive(Debug, Clone)]
enum Step {
    Transfer {
        from: usize,
        to: usize,
        amount: i64,
    },
    Book {
        room: usize,
        slot: i64,
        booking: String,
    },
    Link {
        student: usize,
        course: usize,
        add: bool,
    },
    Increment,
}

const ACCOUNTS: usize = 5;
const ROOMS: usize = 2;
const SLOTS: i64 = 12;
const PEOPLE: usize = 4;

async fn run_step(runtime: &Runtime, step: &Step, id: &InvocationId) -> Result<Value, Error> {
    match step {
        Step::Transfer { from, to, amount } => {
            let args = json!({ "to": format!("a{to}"), "amount": amount });
            runtime
                .invoke(&call("Account", &format!("a{from}"), "transfer", args, id))
                .await
        }
        Step::Book {
            room,
            slot,
            booking,
        } => {
            let args = json!({ "slot": slot, "booking": booking });
            runtime
                .invoke(&call("Room", &format!("r{room}"), "book", args, id))
                .await
        }
        Step::Link {
            student,
            course,
            add,
        } => {
            let (student, course) = (format!("s{student}"), vec![format!("c{course}")]);
            let outcome = if *add {
                runtime
                    .add_to(id, "Student", &student, "courses", &course)
                    .await
            } else {
                runtime
                    .remove_from(id, "Student", &student, "courses", &course)
                    .await
            };
            outcome.map(|()| Value::Null)
        }
        Step::Increment => {
            runtime
                .invoke(&call(
                    "Counter",
                    "hits",
                    "increment",
                    json!({ "by": 1 }),
                    id,
                ))
                .await
        }
    }
}

fn retry_again(error: &Error) -> bool {
    error.is_retryable() || matches!(error, Error::Conflict { .. })
}

fn random_step(rng: &mut fastrand::Rng, client: usize, n: usize) -> Step {
    match rng.u8(0..4) {
        0 => {
            let from = rng.usize(0..ACCOUNTS);
            Step::Transfer {
                from,
                to: (from + rng.usize(1..ACCOUNTS)) % ACCOUNTS,
                amount: rng.i64(1..60),
            }
        }
        1 => Step::Book {
            room: rng.usize(0..ROOMS),
            slot: rng.i64(0..SLOTS),
            booking: format!("k{client}-{n}"),
        },
        2 => Step::Link {
            student: rng.usize(0..PEOPLE),
            course: rng.usize(0..PEOPLE),
            add: rng.bool(),
        },
        _ => Step::Increment,
    }
}

async fn random_schedules<F, Fut>(new_store: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    let seed = seed();
    eprintln!("random schedules: NUBES_SEED={seed}");
    let total: usize = std::env::var("NUBES_SCHEDULE_OPS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(2_000);
    let clients = 8;
    let faulty = Arc::new(FaultyStore::new(new_store().await));
    let runtime = samples::runtime(faulty.clone(), Config::default()).await;
    for n in 0..ACCOUNTS {
        let account = fields(json!({ "owner": format!("o{n}"), "balance": 100 }));
        runtime
            .create(&InvocationId::new(), "Account", &format!("a{n}"), account)
            .await
            .expect("account");
    }
    for n in 0..ROOMS {
        make(&runtime, "Room", &format!("r{n}"), json!({})).await;
    }
    for n in 0..PEOPLE {
        make(&runtime, "Student", &format!("s{n}"), json!({})).await;
        make(&runtime, "Course", &format!("c{n}"), json!({})).await;
    }
    make(&runtime, "Counter", "hits", json!({ "count": 0 })).await;
    faulty.random_faults(seed, 60);

    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..clients {
        let runtime = runtime.clone();
        tasks.spawn(async move {
            let mut rng = fastrand::Rng::with_seed(
                seed ^ (client as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            );
            let mut done = Vec::new();
            for n in 0..total / clients {
                let step = random_step(&mut rng, client, n);
                let id = InvocationId::new();
                let mut outcome = run_step(&runtime, &step, &id).await;
                let mut tries = 0;
                // Retrying with the same id is always safe: after a lost answer, and after
                // `Conflict` (the call lost too many races and was not applied).
                while outcome.as_ref().is_err_and(retry_again) {
                    tries += 1;
                    assert!(tries < 100, "seed {seed}: {step:?} never finished");
                    outcome = run_step(&runtime, &step, &id).await;
                }
                if rng.u8(0..5) == 0 {
                    // A duplicate delivery of a finished invocation.
                    let mut again = run_step(&runtime, &step, &id).await;
                    while again.as_ref().is_err_and(retry_again) {
                        again = run_step(&runtime, &step, &id).await;
                    }
                    assert_eq!(
                        again, outcome,
                        "seed {seed}: a duplicate of {step:?} got another outcome"
                    );
                }
                done.push((step, id, outcome));
            }
            done
        });
    }
    let mut finished = Vec::new();
    while let Some(result) = tasks.join_next().await {
        finished.extend(result.expect("a client panicked"));
    }
    // Late duplicates: after every other call, some finished invocations come again,
    // long after their objects took many more calls. Each gets its first outcome.
    let mut rng = fastrand::Rng::with_seed(seed);
    for _ in 0..finished.len() / 10 {
        let (step, id, outcome) = &finished[rng.usize(0..finished.len())];
        let mut again = run_step(&runtime, step, id).await;
        while again.as_ref().is_err_and(retry_again) {
            again = run_step(&runtime, step, id).await;
        }
        assert_eq!(
            &again, outcome,
            "seed {seed}: a late duplicate of {step:?} got another outcome"
        );
    }
    let finished: Vec<(Step, Result<Value, Error>)> = finished
        .into_iter()
        .map(|(step, _, outcome)| (step, outcome))
        .collect();
    faulty.clear();
    assert_eq!(finished.len(), total - total % clients);
    assert!(faulty.injected() > 0, "seed {seed}: no fault was injected");
    check_invariants(&runtime, &finished, seed).await;
}

async fn check_invariants(runtime: &Runtime, finished: &[(Step, Result<Value, Error>)], seed: u64) {
    // Balances: the initial ones plus every successful transfer, once.
    let mut balances = [100_i64; ACCOUNTS];
    let mut bookings: BTreeSet<(usize, String)> = BTreeSet::new();
    let mut increments = 0;
    for (step, outcome) in finished {
        match (step, outcome) {
            (Step::Transfer { from, to, amount }, Ok(_)) => {
                balances[*from] -= amount;
                balances[*to] += amount;
            }
            (Step::Transfer { .. }, Err(Error::User { name, .. })) => {
                assert_eq!(name, "Insufficient")
            }
            (Step::Book { room, booking, .. }, Ok(_)) => {
                bookings.insert((*room, booking.clone()));
            }
            (Step::Book { .. }, Err(Error::User { name, .. })) => assert_eq!(name, "Taken"),
            (Step::Link { .. }, Ok(_)) => {}
            (Step::Increment, Ok(_)) => increments += 1,
            (step, outcome) => panic!("seed {seed}: {step:?} ended with {outcome:?}"),
        }
    }
    for (n, expected) in balances.iter().enumerate() {
        let account = runtime
            .get("Account", &format!("a{n}"))
            .await
            .expect("account");
        assert_eq!(
            account["balance"],
            json!(expected),
            "seed {seed}: balance of a{n}"
        );
    }
    assert_eq!(balances.iter().sum::<i64>(), 100 * ACCOUNTS as i64);
    let mut found = BTreeSet::new();
    for room in 0..ROOMS {
        let list = runtime
            .collection("Room", &format!("r{room}"), "bookings")
            .await
            .expect("bookings");
        let slots: BTreeSet<i64> = list
            .iter()
            .filter_map(|(_, b)| b["slot"].as_i64())
            .collect();
        assert_eq!(
            slots.len(),
            list.len(),
            "seed {seed}: a slot of r{room} is booked twice"
        );
        found.extend(list.into_iter().map(|(id, _)| (room, id)));
    }
    assert_eq!(
        found, bookings,
        "seed {seed}: bookings differ from the successful ones"
    );
    for student in 0..PEOPLE {
        let courses = runtime
            .collection_ids("Student", &format!("s{student}"), "courses")
            .await
            .expect("courses");
        for course in 0..PEOPLE {
            let students = runtime
                .collection_ids("Course", &format!("c{course}"), "students")
                .await
                .expect("students");
            let forward = courses.contains(&format!("c{course}"));
            let backward = students.contains(&format!("s{student}"));
            assert_eq!(
                forward, backward,
                "seed {seed}: s{student} / c{course} disagree"
            );
        }
    }
    let hits = runtime.get("Counter", "hits").await.expect("hits");
    assert_eq!(hits["count"], json!(increments), "seed {seed}: increments");
}
