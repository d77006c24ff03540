//! The two implementations of the hotel benchmark's tasks answer alike: a small hotel
//! dataset is made through the generated client, copied, and the same script of calls —
//! every task, and every way each can be refused — runs on each copy, one implementation
//! per copy. Round trips per task are counted for both.

use std::collections::BTreeSet;
use std::sync::Arc;

use hotel_client::Client;
use hotel_model::{city, hotel, room, user, GeoPoint};
use nubes_bench::common::copy_sqlite;
use nubes_bench::hotel::exactly_once::in_process_client;
use nubes_bench::hotel::{Answer, Call, ExactlyOnce, Ssf, Tasks};
use nubes_bench::BoxError;
use nubes_runtime::store::sqlite::SqliteStore;
use nubes_runtime::Store;

/// A hotel's id and its rooms' ids.
type HotelRooms = (String, Vec<String>);

/// The ids the script refers to.
struct Dataset {
    /// Per city, its name and hotels.
    hotels: Vec<(String, Vec<HotelRooms>)>,
    users: Vec<String>,
}

/// Two cities of three hotels of two rooms, three users, and a few reservations.
async fn seed(client: &Client) -> Result<Dataset, BoxError> {
    let mut hotels = Vec::new();
    for (c, (name, lat, lon)) in [("Lisbon", 38.72, -9.14), ("Porto", 41.15, -8.61)]
        .into_iter()
        .enumerate()
    {
        client
            .cities()
            .create(city::Init {
                name: name.into(),
                country: "Portugal".into(),
            })
            .await?;
        let mut in_city = Vec::new();
        for h in 0..3 {
            let init = hotel::Init {
                name: format!("{name} {h}"),
                rate: [3.5, 4.5, 3.5][h],
                location: GeoPoint {
                    lat: lat + 0.01 * h as f64,
                    lon: lon - 0.02 * (c + h) as f64,
                },
                city: name.into(),
            };
            let hotel = client.hotels().create(init).await?.id;
            let mut rooms = Vec::new();
            for number in [101, 102] {
                let init = room::Init {
                    number,
                    price: 9_000,
                    hotel: hotel.clone(),
                };
                rooms.push(client.rooms().create(init).await?.id.0);
            }
            in_city.push((hotel.0, rooms));
        }
        hotels.push((name.to_string(), in_city));
    }
    let mut users = Vec::new();
    for name in ["ana", "ben", "eva"] {
        let init = user::Init {
            email: format!("{name}@example.com"),
            first_name: name.into(),
            last_name: "Silva".into(),
            password: format!("{name}-secret"),
        };
        users.push(client.users().create(init).await?.id.0);
    }
    let first_room = hotels[0].1[0].1[0].clone();
    client
        .room(first_room.as_str())
        .reserve(
            users[1].as_str(),
            nubes_runtime::jiff::civil::date(2027, 3, 1),
            nubes_runtime::jiff::civil::date(2027, 3, 4),
        )
        .await?;
    Ok(Dataset { hotels, users })
}

/// Every task, and each way it can be refused.
fn script(data: &Dataset) -> Vec<Call> {
    let city = |c: usize| data.hotels[c].0.clone();
    let hotel = |c: usize, h: usize| data.hotels[c].1[h].0.clone();
    let room = |c: usize, h: usize, r: usize| data.hotels[c].1[h].1[r].clone();
    let user = |u: usize| data.users[u].clone();
    let reserve = |room: String, guest: String, check_in: &str, check_out: &str| Call::Reserve {
        room,
        guest,
        check_in: check_in.into(),
        check_out: check_out.into(),
    };
    let near = GeoPoint {
        lat: 38.73,
        lon: -9.15,
    };
    vec![
        Call::Login {
            email: user(0),
            password: "ana-secret".into(),
        },
        Call::Login {
            email: user(0),
            password: "wrong".into(),
        },
        Call::Login {
            email: "nobody@example.com".into(),
            password: "x".into(),
        },
        Call::Register {
            email: "zoe@example.com".into(),
            first_name: "Zoe".into(),
            last_name: "Lima".into(),
            password: "zoe-secret".into(),
        },
        Call::Register {
            email: user(2),
            first_name: "Eva".into(),
            last_name: "Again".into(),
            password: "x".into(),
        },
        Call::GetHotels { city: city(0) },
        Call::GetHotels {
            city: "Atlantis".into(),
        },
        Call::RecommendByRate {
            city: city(0),
            count: 2,
        },
        Call::RecommendByRate {
            city: city(1),
            count: 0,
        },
        Call::RecommendByRate {
            city: city(0),
            count: -1,
        },
        Call::RecommendByRate {
            city: "Atlantis".into(),
            count: 2,
        },
        Call::RecommendByLocation {
            city: city(0),
            point: near.clone(),
            count: 2,
        },
        Call::RecommendByLocation {
            city: city(1),
            point: near.clone(),
            count: 3,
        },
        Call::RecommendByLocation {
            city: city(0),
            point: GeoPoint {
                lat: 91.0,
                lon: 0.0,
            },
            count: 2,
        },
        Call::SetRate {
            hotel: hotel(0, 2),
            rate: 5.0,
        },
        Call::RecommendByRate {
            city: city(0),
            count: 3,
        },
        Call::SetRate {
            hotel: "no-such-hotel".into(),
            rate: 4.0,
        },
        Call::SetRate {
            hotel: hotel(0, 1),
            rate: f64::NAN,
        },
        reserve(room(0, 0, 0), user(0), "2027-03-10", "2027-03-12"),
        reserve(room(0, 0, 0), user(2), "2027-03-11", "2027-03-13"),
        reserve(room(0, 0, 0), user(2), "2027-03-03", "2027-03-05"),
        reserve(room(0, 0, 0), user(2), "2027-03-04", "2027-03-10"),
        reserve(room(1, 2, 1), user(0), "2027-03-10", "2027-03-12"),
        reserve(room(0, 1, 0), user(0), "2027-03-12", "2027-03-10"),
        reserve(room(0, 1, 0), user(0), "2027-02-30", "2027-03-02"),
        reserve(
            room(0, 1, 0),
            "nobody@example.com".into(),
            "2027-03-01",
            "2027-03-02",
        ),
        reserve("no-such-room".into(), user(0), "2027-03-01", "2027-03-02"),
        Call::GetUserReservations { email: user(0) },
        Call::GetUserReservations { email: user(1) },
        Call::GetUserReservations { email: user(2) },
        Call::DeleteUser { email: user(0) },
        Call::GetUserReservations { email: user(0) },
        Call::Login {
            email: user(0),
            password: "ana-secret".into(),
        },
        Call::DeleteUser { email: user(0) },
        reserve(room(0, 0, 1), user(0), "2027-03-10", "2027-03-12"),
        // The room keeps the deleted user's reservation: its nights stay booked.
        reserve(room(0, 0, 0), user(1), "2027-03-10", "2027-03-11"),
        Call::Register {
            email: user(0),
            first_name: "Ana".into(),
            last_name: "Again".into(),
            password: "ana-again".into(),
        },
        Call::Login {
            email: user(0),
            password: "ana-again".into(),
        },
    ]
}

/// What running `calls` on `tasks` answered, with the store's round trips per call.
async fn run_all(
    tasks: &dyn Tasks,
    store: &Arc<dyn Store>,
    calls: &[Call],
) -> Result<Vec<(Answer, u64)>, BoxError> {
    let mut answers = Vec::new();
    for call in calls {
        let before = store.stats().snapshot();
        let answer = tasks
            .run(call)
            .await
            .map_err(|error| format!("{} on {call:?}: {error}", tasks.name()))?;
        answers.push((answer, (store.stats().snapshot() - before).round_trips));
    }
    Ok(answers)
}

#[tokio::test]
async fn both_implementations_answer_alike() -> Result<(), BoxError> {
    let dir = std::env::temp_dir().join(format!("nubes-hotel-tasks-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (seeded, copy) = (dir.join("seeded.sqlite"), dir.join("copy.sqlite"));
    let data = {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&seeded)?);
        seed(&in_process_client(store).await?).await?
    };
    copy_sqlite(&seeded, &copy)?;
    let calls = script(&data);
    let on_runtime: Arc<dyn Store> = Arc::new(SqliteStore::open(&seeded)?);
    let exactly_once = ExactlyOnce::new(in_process_client(on_runtime.clone()).await?);
    let by_hand: Arc<dyn Store> = Arc::new(SqliteStore::open(&copy)?);
    let ssf = Ssf::new(by_hand.clone(), "");
    let expected = run_all(&exactly_once, &on_runtime, &calls).await?;
    let answered = run_all(&ssf, &by_hand, &calls).await?;
    let _ = std::fs::remove_dir_all(&dir);
    let mut trips = BTreeSet::new();
    // Tasks the runtime has answered without a refusal: it has learned what their method
    // reads (see `context::partition` in the runtime).
    let mut warm = BTreeSet::new();
    for (call, ((want, by_runtime), (got, by_hand))) in
        calls.iter().zip(expected.iter().zip(&answered))
    {
        assert_eq!(want, got, "{call:?}");
        let first = if warm.contains(&task(call)) {
            assert!(
                *by_runtime <= by_hand + 1,
                "{call:?}: {by_runtime} round trips, more than one over the {by_hand} by hand"
            );
            if READ_ONLY.contains(&task(call).as_str()) {
                assert_eq!(by_runtime, by_hand, "{call:?}: a read-only task");
            }
            ""
        } else {
            " (first)"
        };
        trips.insert(format!(
            "{} {}{first}: {by_runtime} / {by_hand}",
            task(call),
            kind(want)
        ));
        if !matches!(want, Answer::Refused(_)) {
            warm.insert(task(call));
        }
    }
    // Round trips per task and answer: exactly-once / by hand.
    let trips: Vec<&str> = trips.iter().map(String::as_str).collect();
    assert_eq!(trips, ROUND_TRIPS, "round trips (exactly-once / ssf)");
    Ok(())
}

/// The tasks that change nothing: exactly as many round trips as by hand, once the runtime
/// knows their method.
const READ_ONLY: [&str; 5] = [
    "Login",
    "GetHotels",
    "GetUserReservations",
    "RecommendByRate",
    "RecommendByLocation",
];

/// The store round trips of each task and answer through the exactly-once implementation
/// and by hand, on a small dataset. `(first)` marks calls of a task before the runtime
/// answered one without a refusal: until then it does not know that the method reads
/// its object's collection, and reads the two apart. The reservations `reserve` sees are
/// cached when its room's collection was proved by an earlier `reserve`.
/// A `Register` over a deleted user takes two: its commit, taking the user absent, is
/// refused by the tombstone, which it then writes over. `reserve` presumes its guest
/// exists and checks it in its commit; a refused `Overlap` takes three when it comes
/// after a missing guest, which turns the presumption off for a while.
const ROUND_TRIPS: [&str; 33] = [
    "DeleteUser Done (first): 3 / 2",
    "DeleteUser Refused(NotFound(User)): 1 / 1",
    "GetHotels Hotels (first): 2 / 2",
    "GetHotels Hotels(none): 1 / 1",
    "GetUserReservations Reservations (first): 1 / 1",
    "GetUserReservations Reservations(none): 1 / 1",
    "GetUserReservations Reservations: 1 / 1",
    "Login Bool(false): 1 / 1",
    "Login Bool(true) (first): 1 / 1",
    "Login Bool(true): 1 / 1",
    "Login Refused(NotFound(User)): 1 / 1",
    "RecommendByLocation Hotels (first): 3 / 2",
    "RecommendByLocation Hotels: 2 / 2",
    "RecommendByLocation Refused(Validation): 1 / 1",
    "RecommendByRate Hotels (first): 3 / 2",
    "RecommendByRate Hotels(none): 2 / 2",
    "RecommendByRate Hotels: 2 / 2",
    "RecommendByRate Refused(NotFound(City)): 1 / 1",
    "RecommendByRate Refused(Validation): 1 / 1",
    "Register Done (first): 1 / 1",
    "Register Done: 2 / 1",
    "Register Refused(AlreadyExists): 1 / 1",
    "Reserve Refused(InvalidDates): 2 / 1",
    "Reserve Refused(NotFound(Room)): 1 / 1",
    "Reserve Refused(NotFound(User)): 3 / 2",
    "Reserve Refused(Overlap): 2 / 2",
    "Reserve Refused(Overlap): 3 / 2",
    "Reserve Refused(Validation): 0 / 0",
    "Reserve Reserved (first): 3 / 2",
    "Reserve Reserved: 2 / 2",
    "SetRate Done (first): 1 / 1",
    "SetRate Refused(NotFound(Hotel)): 1 / 1",
    "SetRate Refused(Validation): 0 / 0",
];

/// The task `call` is of.
fn task(call: &Call) -> String {
    format!("{:?}", call.task())
}

/// The kind of an answer: its variant, with the reason of a refusal.
fn kind(answer: &Answer) -> String {
    match answer {
        Answer::Refused(why) => format!("Refused({why})"),
        Answer::Bool(yes) => format!("Bool({yes})"),
        Answer::Hotels(hotels) if hotels.is_empty() => "Hotels(none)".into(),
        Answer::Reservations(stays) if stays.is_empty() => "Reservations(none)".into(),
        other => format!("{other:?}")
            .split('(')
            .next()
            .unwrap_or_default()
            .to_string(),
    }
}
