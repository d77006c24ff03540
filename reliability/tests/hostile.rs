//! Hostile requests to the hotel application, through [`Runtime::handle_json`] (the entry
//! point of every transport, JSON in, reply out) on SQLite.
//!
//! 1. A property test: seeded random payloads — the hotel's own requests mutated (values
//!    replaced with values of other kinds, keys dropped or added, envelopes broken, ids
//!    emptied or made huge), and random bytes that happen to parse as JSON. Never a panic;
//!    never a store failure; every refusal a validation error that names what is wrong;
//!    and a request refused as invalid leaves every stored byte as it was.
//!    `NUBES_SEED` replays a run; `NUBES_HOSTILE_REQUESTS` sets its size (default 10,000).
//! 2. Oversized values and malformed envelopes, one by one, with the error each must get.

#[path = "../../runtime/tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use nubes_reliability::dataset::{seed, Dataset};
use nubes_reliability::ids::IdSource;
use nubes_reliability::{hostile, hotel_runtime, requests, state};
use nubes_runtime::store::sqlite::SqliteStore;
use nubes_runtime::{Call, Config, Error, InProcess, InvocationId, Reply, Request, Runtime};
use serde_json::{json, Value};

/// The hotel on a SQLite file of its own.
struct Hotel {
    runtime: Runtime,
    data: Dataset,
    file: PathBuf,
}

impl Hotel {
    async fn new(name: &str) -> Hotel {
        let dir = std::env::temp_dir().join(format!("nubes-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        let file = dir.join("hotel.sqlite");
        let store = Arc::new(SqliteStore::open(&file).expect("a SQLite store"));
        let runtime = hotel_runtime(store, Config::default());
        runtime.ensure_tables().await.expect("tables");
        let mut ids = IdSource::new(nubes_runtime::Clock::now_ms(&nubes_runtime::SystemClock));
        let data = seed(&InProcess::new(runtime.clone()), &mut ids)
            .await
            .expect("the dataset");
        Hotel {
            runtime,
            data,
            file,
        }
    }

    fn stored(&self) -> BTreeMap<String, String> {
        state::sqlite_items(&self.file).expect("the SQLite file reads")
    }

    /// Sends `payload` and checks what every answer must be: no store failure, and a
    /// validation error only with a message and with the store left as it was.
    async fn send(&self, payload: Value, context: &str) -> Reply {
        let before = self.stored();
        let reply = self.runtime.handle_json(payload).await;
        if let Reply::Error(error) = &reply {
            match error {
                Error::Validation { message } => {
                    assert!(!message.is_empty(), "{context}: an empty message");
                    // A refusal that depends on what is stored (removing a child whose
                    // reference back is required) is the call's answer, recorded so that a
                    // duplicate gets it too; every other one is refused before anything
                    // is written.
                    if !message.contains("is required") {
                        assert_eq!(
                            self.stored(),
                            before,
                            "{context}: refused ({message}) but the store changed"
                        );
                    }
                }
                Error::Store { .. }
                | Error::Unavailable { .. }
                | Error::Conflict { .. }
                | Error::Panicked { .. } => {
                    panic!("{context}: answered {error:?}")
                }
                Error::NotFound { .. }
                | Error::AlreadyExists { .. }
                | Error::User { .. }
                | Error::Expired { .. } => {}
            }
        }
        reply
    }
}

fn seed_value() -> u64 {
    std::env::var("NUBES_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_and_mutated_requests_are_refused_cleanly() {
    let seed = seed_value();
    let total: usize = std::env::var("NUBES_HOSTILE_REQUESTS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(10_000);
    eprintln!("hostile requests: NUBES_SEED={seed}, {total} requests");
    let hotel = Hotel::new("hostile").await;
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for n in 0..total {
        let (kind, payload) = hostile::payload(&mut rng, &hotel.data);
        let context = format!("seed {seed}, request {n} ({kind}): {payload:.300}");
        let reply = hotel.send(payload, &context).await;
        let outcome = match reply {
            Reply::Ok(_) => "answered",
            Reply::Error(Error::Validation { .. }) => "refused as invalid",
            Reply::Error(_) => "refused by the state",
        };
        *counts.entry(outcome).or_default() += 1;
    }
    eprintln!("hostile requests: {counts:?}");
    assert!(counts.get("refused as invalid").copied().unwrap_or(0) > total / 3);
    assert!(counts.get("answered").copied().unwrap_or(0) > total / 20);
}

/// Sends a request whose answer must be a validation error containing `expected`.
async fn refused(hotel: &Hotel, request: &Request, expected: &str) {
    let payload = serde_json::to_value(request).expect("a request is JSON");
    let context = format!("{:.200}", payload.to_string());
    match hotel.send(payload, &context).await {
        Reply::Error(Error::Validation { message }) => assert!(
            message.contains(expected),
            "{context}: the message `{message:.300}` does not say `{expected}`"
        ),
        other => panic!("{context}: answered {other:.300?}, not a validation error"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_values_get_clear_errors() {
    let hotel = Hotel::new("oversized").await;
    let data = &hotel.data;
    let id = InvocationId::new;
    let ten_mb = "x".repeat(10 << 20);
    let half_mb = "x".repeat(500 << 10);
    // An item over 400 KB, made and set.
    let create = requests::create_hotel(&id(), "big", &half_mb, 3.0, (0.0, 0.0), &data.cities[0]);
    refused(&hotel, &create, "an item holds at most 409600 bytes").await;
    let set_name = Request {
        id: id(),
        type_name: "Hotel".into(),
        object: data.hotels[0][0].clone(),
        call: Call::Set {
            field: "name".into(),
            value: json!(half_mb),
        },
    };
    refused(&hotel, &set_name, "`Hotel.name` is 512004 bytes").await;
    // A string of 10 MB: stored, in an id, and only compared.
    let register = requests::register(&id(), "big@example.com", ("A", "B"), &ten_mb);
    refused(&hotel, &register, "an item holds at most").await;
    let reserve = requests::reserve(
        &id(),
        &data.rooms[0][0],
        &ten_mb,
        "2027-05-01",
        "2027-05-02",
    );
    refused(&hotel, &reserve, "the id of a `User` is 10485760 bytes").await;
    let login = requests::login(&id(), &data.users[0], &ten_mb);
    let payload = serde_json::to_value(&login).expect("JSON");
    let answer = hotel.send(payload, "a 10 MB password").await;
    assert_eq!(answer, Reply::Ok(json!(false)));
    // 10,000 ids in one request.
    let many = Request {
        id: id(),
        type_name: "User".into(),
        object: data.users[0].clone(),
        call: Call::AddTo {
            field: "reservations".into(),
            ids: (0..10_000).map(|n| format!("r{n}")).collect(),
        },
    };
    refused(
        &hotel,
        &many,
        "10000 ids for `User.reservations` in one request",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_envelopes_name_what_is_wrong() {
    let hotel = Hotel::new("envelopes").await;
    let user = hotel.data.users[0].clone();
    let get = |id: &str, type_name: &str, object: &str| Request {
        id: InvocationId::from(id),
        type_name: type_name.into(),
        object: object.into(),
        call: Call::Get,
    };
    let fresh = InvocationId::new();
    refused(
        &hotel,
        &get(fresh.as_str(), "Nope", "x"),
        "no object type `Nope`",
    )
    .await;
    refused(
        &hotel,
        &get(fresh.as_str(), "User", ""),
        "the id of a `User` is empty",
    )
    .await;
    refused(
        &hotel,
        &get("", "User", &user),
        "the invocation id is empty",
    )
    .await;
    let delete = requests::delete(&InvocationId::from(""), "User", &user);
    refused(&hotel, &delete, "the invocation id is empty").await;
    let long = "i".repeat(300);
    refused(&hotel, &get(&long, "User", &user), "300 bytes long").await;
    let unknown_method = Request {
        id: InvocationId::new(),
        type_name: "Room".into(),
        object: hotel.data.rooms[0][0].clone(),
        call: Call::Method {
            method: "demolish".into(),
            args: json!({}),
        },
    };
    refused(&hotel, &unknown_method, "`Room` has no method `demolish`").await;
    let bad_args = requests::reserve(
        &InvocationId::new(),
        &hotel.data.rooms[0][0],
        &user,
        "x",
        "y",
    );
    let mut bad_args = serde_json::to_value(&bad_args).expect("JSON");
    bad_args["args"]["checkIn"] = json!(7);
    let answer = hotel
        .send(bad_args, "reserve with a number for a date")
        .await;
    assert!(
        matches!(&answer, Reply::Error(Error::Validation { message }) if message.contains("the arguments of `Room.reserve`")),
        "{answer:?}"
    );
    let not_a_collection = Request {
        id: InvocationId::new(),
        type_name: "User".into(),
        object: user.clone(),
        call: Call::AddTo {
            field: "password".into(),
            ids: vec!["x".into()],
        },
    };
    refused(
        &hotel,
        &not_a_collection,
        "`User` has no collection `password`",
    )
    .await;
    let not_json_request = hotel.send(json!({ "hello": 1 }), "not a request").await;
    assert!(
        matches!(&not_json_request, Reply::Error(Error::Validation { message }) if message.contains("not a nubes request")),
        "{not_json_request:?}"
    );
}
