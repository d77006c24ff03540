//! The two implementations of the hotel benchmark's tasks answer alike: a small hotel
//! dataset is made through the generated client, copied, and the same script of calls —
//! every task, and every way each can be refused — runs on each copy, one implementation
//! per copy. Round trips per task are counted for both.

use std::collections::BTreeSet;
use std::sync::Arc;

mod support;

use nubes_bench::common::copy_sqlite;
use nubes_bench::hotel::exactly_once::in_process_client;
use nubes_bench::hotel::{Answer, Call, ExactlyOnce, Ssf, Tasks};
use nubes_bench::BoxError;
use nubes_runtime::store::sqlite::SqliteStore;
use nubes_runtime::Store;

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
        support::seed(&in_process_client(store).await?).await?
    };
    copy_sqlite(&seeded, &copy)?;
    let calls = support::script(&data);
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
