//! Process faults over the Lambda path: the hotel served by its `hotel-lambda` function
//! through the local emulator (`cargo lambda watch`) on a DynamoDB-API server (moto) of
//! this test's own, while clients send reservations, rate changes and registrations with
//! the generated transport's retries. Meanwhile, at seeded random moments, one of:
//!
//! - the function process is killed (SIGKILL) — mid-invocation when one is in flight —
//!   and a new one started;
//! - the function process freezes (SIGSTOP) past the client's timeout, then goes on
//!   (SIGCONT): what a caller sees of a function that timed out, and that may still commit
//!   after the caller gave up;
//! - the DynamoDB-API server pauses (SIGSTOP) for a few seconds, then goes on: the
//!   function's store requests time out and the calls in flight answer `Unavailable`.
//!
//! Client retries end every call exactly once: every reservation acknowledged exists once
//! (no room holds a reservation nobody was told of), every registration answered `Ok`
//! (never `AlreadyExists` for its own retry), every hotel's rate the last one set; calls
//! during a pause of the store answer `Unavailable` and succeed on retry. `NUBES_SEED`
//! replays the moments; `NUBES_PROCESS_FAULTS` sets how many faults a run injects
//! (default 3, one of each kind; a longer run: 30).

mod emulator;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use emulator::{emulator, lambda_client, run_script, start_function, FUNCTION};
use nubes_runtime::lambda::LambdaTransport;
use nubes_runtime::serde_json::{json, Value};
use nubes_runtime::store::dynamo::DynamoStore;
use nubes_runtime::transport::send_with_retry;
use nubes_runtime::{Call, Error, Request, RetryPolicy, Runtime, Store, Transport};

/// The port of this test's own DynamoDB-API server: pausing it must not stall others.
const MOTO_PORT: &str = "5057";
/// Clients sending calls at once, each on its own hotel.
const CLIENTS: usize = 3;
/// Calls each client sends at least; it goes on until the chaos is over.
const CALLS: usize = 12;
/// Faults in a run unless `NUBES_PROCESS_FAULTS` says otherwise: each kind once (then,
/// with more, at random).
const FAULT_COUNT: usize = 3;
/// How long one attempt of the function's store requests may take: short, so that a paused
/// store is an answer, yet long enough for moto's queue after a pause (its requests run
/// one at a time, and an attempt given up on still runs there).
const STORE_ATTEMPT_MS: &str = "1000";
/// How long a client waits for one `Invoke`.
const INVOKE_TIMEOUT: Duration = Duration::from_secs(3);

/// The DynamoDB-API server this test started; stopped when dropped.
struct Moto {
    url: String,
    pid: String,
}

impl Moto {
    fn start() -> Moto {
        let env = [("NUBES_MOTO_PORT", MOTO_PORT)];
        run_script("moto", "start", &env);
        let url = run_script("moto", "url", &env);
        let pid_file = emulator::tools().join(format!("moto-{MOTO_PORT}.pid"));
        let pid = std::fs::read_to_string(&pid_file)
            .unwrap_or_else(|error| panic!("{}: {error}", pid_file.display()))
            .trim()
            .to_string();
        Moto { url, pid }
    }

    fn signal(&self, signal: &str) {
        signal_process(&self.pid, signal);
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.signal("CONT");
        run_script("moto", "stop", &[("NUBES_MOTO_PORT", MOTO_PORT)]);
    }
}

fn signal_process(pid: &str, signal: &str) {
    let status = Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .unwrap_or_else(|error| panic!("could not run kill: {error}"));
    assert!(status.success(), "kill -{signal} {pid} failed");
}

/// What the chaos can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fault {
    KillFunction = 1,
    FreezeFunction = 2,
    PauseStore = 3,
}

/// The kinds of fault, in the order a run injects them first.
const FAULTS: [Fault; 3] = [
    Fault::PauseStore,
    Fault::FreezeFunction,
    Fault::KillFunction,
];

/// The fault going on now, and the attempts that failed, by the fault going on.
#[derive(Default)]
struct Hits {
    now: AtomicU8,
    failed: Mutex<BTreeMap<Option<Fault>, Vec<String>>>,
}

impl Hits {
    fn during(&self, fault: Option<Fault>) {
        self.now
            .store(fault.map_or(0, |fault| fault as u8), Ordering::SeqCst);
    }

    fn failed(&self, error: &Error) {
        let now = self.now.load(Ordering::SeqCst);
        let fault = FAULTS.into_iter().find(|fault| *fault as u8 == now);
        if let Ok(mut failed) = self.failed.lock() {
            failed.entry(fault).or_default().push(error.to_string());
        }
    }
}

/// The transport, noting every attempt that failed and may be retried.
struct Watched {
    inner: Arc<dyn Transport>,
    hits: Arc<Hits>,
}

#[nubes_runtime::async_trait::async_trait]
impl Transport for Watched {
    async fn send(&self, request: &Request) -> Result<Value, Error> {
        let answer = self.inner.send(request).await;
        if let Err(error) = &answer {
            if error.is_retryable() {
                self.hits.failed(error);
            }
        }
        answer
    }
}

/// Sets its flag when dropped.
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// One client's call and the answer it ended with.
#[derive(Debug)]
struct Done {
    request: Request,
    answer: Result<Value, Error>,
}

fn seed() -> u64 {
    std::env::var("NUBES_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..))
}

fn request(type_name: &str, object: &str, call: Call) -> Request {
    Request::new(type_name, object, call)
}

/// Client `c`'s `n`th call: a reservation of one of its hotel's rooms for nights no other
/// call asks for, a new rate for its hotel, or a registration.
fn call(c: usize, n: usize) -> Request {
    match n % 3 {
        0 => request(
            "Room",
            &format!("room-{c}-{}", n % 2),
            Call::Method {
                method: "reserve".into(),
                args: json!({
                    "guest": format!("guest-{c}@example.com"),
                    "checkIn": format!("{}-{:02}-01", 2027 + n / 36, 1 + n / 3 % 12),
                    "checkOut": format!("{}-{:02}-03", 2027 + n / 36, 1 + n / 3 % 12),
                }),
            },
        ),
        1 => request(
            "Hotel",
            &format!("hotel-{c}"),
            Call::Set {
                field: "rate".into(),
                value: json!(n as f64 / 10.0),
            },
        ),
        _ => {
            let fields = json!({ "firstName": "F", "lastName": "L", "password": "pw" });
            let Value::Object(fields) = fields else {
                unreachable!("a JSON object literal")
            };
            request(
                "User",
                &format!("user-{c}-{n}@example.com"),
                Call::Create { fields },
            )
        }
    }
}

/// A city with one hotel of two rooms per client and one for the probes, and a guest per
/// client.
async fn seed_hotel(runtime: &Runtime) {
    let create = |type_name: &str, object: &str, fields: Value| {
        let Value::Object(fields) = fields else {
            unreachable!("a JSON object literal")
        };
        request(type_name, object, Call::Create { fields })
    };
    let mut requests = vec![create("City", "Lisbon", json!({ "country": "Portugal" }))];
    for c in 0..=CLIENTS {
        let hotel = format!("hotel-{c}");
        requests.push(create(
            "Hotel",
            &hotel,
            json!({ "name": hotel, "rate": 3.0, "location": { "lat": 38.7, "lon": -9.1 }, "city": "Lisbon" }),
        ));
        for r in 0..2 {
            requests.push(create(
                "Room",
                &format!("room-{c}-{r}"),
                json!({ "number": 100 + r, "price": 9000, "hotel": hotel }),
            ));
        }
        requests.push(create(
            "User",
            &format!("guest-{c}@example.com"),
            json!({ "firstName": "G", "lastName": "L", "password": "pw" }),
        ));
    }
    for request in requests {
        runtime.handle(&request).await.expect("the dataset");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_retries_end_every_call_exactly_once_through_process_faults() {
    let seed = seed();
    let fault_count = std::env::var("NUBES_PROCESS_FAULTS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(FAULT_COUNT);
    eprintln!("process faults: NUBES_SEED={seed}, {fault_count} faults");
    let moto = Moto::start();
    let prefix = format!("faults-{}-", std::process::id());
    let store: Arc<dyn Store> = Arc::new(
        DynamoStore::builder()
            .endpoint_url(&moto.url)
            .table_prefix(&prefix)
            .build(),
    );
    let runtime = hotel_handlers::runtime(store, hotel_app::HotelApp).build();
    runtime.ensure_tables().await.expect("tables");
    seed_hotel(&runtime).await;

    let emulator = emulator();
    let function_env = [("NUBES_DYNAMODB_ATTEMPT_TIMEOUT_MS", STORE_ATTEMPT_MS)];
    let function = Arc::new(Mutex::new(start_function(
        &emulator,
        &moto.url,
        &prefix,
        &function_env,
    )));
    let transport: Arc<dyn Transport> = Arc::new(
        LambdaTransport::new(lambda_client(&emulator, Some(INVOKE_TIMEOUT)), "hotel")
            .one_function(FUNCTION),
    );
    let policy = RetryPolicy {
        attempts: 60,
        backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(500),
    };
    let hits = Arc::new(Hits::default());
    let finished = Arc::new(AtomicBool::new(false));

    let mut clients = tokio::task::JoinSet::new();
    for c in 0..CLIENTS {
        let policy = policy.clone();
        let watched = Watched {
            inner: transport.clone(),
            hits: hits.clone(),
        };
        let finished = finished.clone();
        clients.spawn(async move {
            let mut done = Vec::new();
            let mut n = 0;
            while n < CALLS || !finished.load(Ordering::SeqCst) {
                let request = call(c, n);
                // The first attempt alone, to count what the faults did to it; then the
                // client's retries, with the same invocation id.
                let answer = send_with_retry(&watched, &request, &policy).await;
                done.push(Done { request, answer });
                n += 1;
            }
            done
        });
    }

    // As the Lambda service does, a function process that ended (the emulator can refuse a
    // new process's first poll after a kill, and it exits) is replaced by a new one.
    let supervisor = {
        let (function, finished) = (function.clone(), finished.clone());
        let (emulator, dynamo, prefix) = (emulator.clone(), moto.url.clone(), prefix.clone());
        tokio::spawn(async move {
            let mut replaced = 0;
            while !finished.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let mut process = function.lock().expect("the function");
                if process.ended() {
                    *process = start_function(&emulator, &dynamo, &prefix, &function_env);
                    replaced += 1;
                }
            }
            replaced
        })
    };

    // The chaos, while the clients go on: each kind of fault once first, then at random.
    let chaos = {
        let (function, finished, hits) = (function.clone(), finished.clone(), hits.clone());
        let (emulator, dynamo, prefix) = (emulator.clone(), moto.url.clone(), prefix.clone());
        let moto_pid = moto.pid.clone();
        // The probe waits behind the calls in flight, each failing in about a second.
        let probe_transport = LambdaTransport::new(
            lambda_client(&emulator, Some(Duration::from_secs(30))),
            "hotel",
        )
        .one_function(FUNCTION);
        let patient = RetryPolicy {
            attempts: 20,
            ..policy.clone()
        };
        tokio::spawn(async move {
            // The clients stop when the chaos is over, also when it failed.
            let over = SetOnDrop(finished);
            let mut rng = fastrand::Rng::with_seed(seed);
            let mut faults = Vec::new();
            let mut probes = Vec::new();
            while faults.len() < fault_count {
                tokio::time::sleep(Duration::from_millis(rng.u64(100..400))).await;
                let fault = match FAULTS.get(faults.len()) {
                    Some(fault) => *fault,
                    None => FAULTS[rng.usize(..FAULTS.len())],
                };
                hits.during(Some(fault));
                match fault {
                    Fault::KillFunction => {
                        let mut process = function.lock().expect("the function");
                        process.kill();
                        *process = start_function(&emulator, &dynamo, &prefix, &function_env);
                    }
                    Fault::FreezeFunction => {
                        let pid = function.lock().expect("the function").pid().to_string();
                        signal_process(&pid, "STOP");
                        tokio::time::sleep(INVOKE_TIMEOUT + Duration::from_secs(1)).await;
                        signal_process(&pid, "CONT");
                    }
                    Fault::PauseStore => {
                        // After a kill the emulator can refuse new processes' polls for a
                        // while (they exit, and the supervisor replaces them): first wait
                        // until the function answers again.
                        let ready = request("City", "Lisbon", Call::Get);
                        let answered = send_with_retry(&probe_transport, &ready, &patient).await;
                        assert!(
                            answered.is_ok(),
                            "seed {seed}: the function never came back: {answered:?}"
                        );
                        // A call made while the store is paused answers `Unavailable`
                        // (after the clients' calls in flight, which fail alike) …
                        signal_process(&moto_pid, "STOP");
                        let probe = call(CLIENTS, probes.len());
                        let during = probe_transport.send(&probe).await;
                        signal_process(&moto_pid, "CONT");
                        probes.push((probe, during));
                    }
                }
                // A call's failure shows up to the client's timeout after its fault.
                tokio::time::sleep(INVOKE_TIMEOUT + Duration::from_secs(1)).await;
                hits.during(None);
                faults.push(fault);
            }
            drop(over);
            (faults, probes)
        })
    };

    let mut done: Vec<Done> = Vec::new();
    while let Some(joined) = clients.join_next().await {
        done.extend(joined.expect("a client"));
    }
    let (faults, probes) = chaos.await.expect("the chaos");
    let replaced = supervisor.await.expect("the supervisor");
    // … and succeeds when retried once the store is back.
    for (probe, during) in probes {
        assert!(
            matches!(&during, Err(Error::Unavailable { message }) if message.contains("timed out")),
            "seed {seed}: a call while the store was paused answered {during:?}"
        );
        let after = send_with_retry(transport.as_ref(), &probe, &policy).await;
        assert!(
            after.is_ok(),
            "seed {seed}: the retry after the pause answered {after:?}"
        );
        done.push(Done {
            request: probe,
            answer: after,
        });
    }
    let mut counts: BTreeMap<Fault, usize> = BTreeMap::new();
    for fault in &faults {
        *counts.entry(*fault).or_default() += 1;
    }
    let failed = hits
        .failed
        .lock()
        .map(|failed| failed.clone())
        .unwrap_or_default();
    let failed_by: BTreeMap<_, usize> = failed
        .iter()
        .map(|(fault, errors)| (*fault, errors.len()))
        .collect();
    eprintln!(
        "process faults (seed {seed}): {} calls; faults {counts:?}; attempts failed, by the fault going on: {failed_by:?}; function processes that ended and were replaced: {replaced}",
        done.len()
    );
    assert_eq!(
        counts.len(),
        3,
        "seed {seed}: not every kind of fault happened: {counts:?}"
    );
    // Calls go on while the function is frozen: some time out.
    assert!(
        failed.contains_key(&Some(Fault::FreezeFunction)),
        "seed {seed}: no call timed out while the function was frozen"
    );
    drop(function);
    check(&runtime, &done, seed).await;
}

/// Every call ended once, as acknowledged.
async fn check(runtime: &Runtime, done: &[Done], seed: u64) {
    let mut reserved: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut rates: BTreeMap<String, Value> = BTreeMap::new();
    for Done { request, answer } in done {
        let answer = match answer {
            Ok(value) => value,
            Err(error) => panic!("seed {seed}: {request:?} ended with {error:?}"),
        };
        match &request.call {
            Call::Method { .. } => {
                let id = answer
                    .as_str()
                    .unwrap_or_else(|| panic!("seed {seed}: reserve answered {answer}, not an id"));
                reserved
                    .entry(request.object.clone())
                    .or_default()
                    .insert(id.to_string());
            }
            Call::Set { value, .. } => {
                rates.insert(request.object.clone(), value.clone());
            }
            Call::Create { .. } => {
                let user = runtime.exists("User", &request.object).await;
                assert_eq!(user, Ok(true), "seed {seed}: {} was lost", request.object);
            }
            other => panic!("seed {seed}: an unexpected call {other:?}"),
        }
    }
    for c in 0..=CLIENTS {
        for r in 0..2 {
            let room = format!("room-{c}-{r}");
            let stored: BTreeSet<String> = runtime
                .collection_ids("Room", &room, "reservations")
                .await
                .expect("the room's reservations")
                .into_iter()
                .collect();
            let acknowledged = reserved.remove(&room).unwrap_or_default();
            assert_eq!(
                stored, acknowledged,
                "seed {seed}: {room} holds other reservations than were acknowledged"
            );
        }
        let guest = format!("guest-{c}@example.com");
        let guest_has = runtime
            .collection_ids("User", &guest, "reservations")
            .await
            .expect("the guest's reservations")
            .len();
        let made = done
            .iter()
            .filter(|done| matches!(&done.request.call, Call::Method { args, .. } if args["guest"] == json!(guest)))
            .count();
        assert_eq!(guest_has, made, "seed {seed}: {guest}'s reservations");
    }
    for (hotel, rate) in rates {
        let stored = runtime.get("Hotel", &hotel).await.expect("the hotel");
        assert_eq!(
            stored["rate"], rate,
            "seed {seed}: {hotel}'s last rate was lost"
        );
    }
}
