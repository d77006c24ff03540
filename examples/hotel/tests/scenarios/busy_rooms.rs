//! Reserving a room with a long history: `reserve` reads every reservation of its room,
//! yet its commit and its round trips stay the same at any number of them, and concurrent
//! calls stay serializable.

use std::sync::Arc;

use crate::fixture::{self, register};
use hotel_client::Client;
use hotel_model::room::ReserveError;
use hotel_model::{reservation, room, Date, Overlap};
use nubes_runtime::jiff::civil::date;
use nubes_runtime::jiff::{Timestamp, ToSpan};
use nubes_runtime::store::StatsSnapshot;
use nubes_runtime::Store;

/// The night `n` nights after 2027-01-01.
fn night(n: i64) -> Date {
    date(2027, 1, 1)
        .checked_add(n.days())
        .expect("the nights of the tests are well inside jiff's range")
}

/// Books the room for the single nights `2 × from`, `2 × (from + 1)`, … up to `to`
/// (exclusive), straight through `Reservation.create`.
async fn book_nights(client: &Client, room: &room::Id, from: i64, to: i64) {
    for i in from..to {
        let init = reservation::Init {
            room: room.clone(),
            check_in: night(2 * i),
            check_out: night(2 * i + 1),
            created_at: Timestamp::UNIX_EPOCH,
        };
        client
            .reservations()
            .create(init)
            .await
            .unwrap_or_else(|error| panic!("booking night {}: {error}", 2 * i));
    }
}

fn stats(store: &Arc<dyn Store>) -> StatsSnapshot {
    store.stats().snapshot()
}

/// What one `reserve` cost: round trips, and items in its commit (written and checked).
async fn reserve_cost(
    client: &Client,
    store: &Arc<dyn Store>,
    room: &room::Id,
    guest: &hotel_model::user::Id,
    nights: (Date, Date),
) -> (u64, u64) {
    let before = stats(store);
    client
        .room(room.clone())
        .reserve(guest.clone(), nights.0, nights.1)
        .await
        .expect("reserved");
    let used = stats(store) - before;
    (used.round_trips, used.items_written + used.items_checked)
}

/// `reserve` on a room with 20 and with 1,000 reservations: the same commit of 6 items
/// and 3 round trips at both — a commit that checked every reservation would not fit one
/// transaction past ~95 — and 2 round trips once a commit has put the room's
/// reservations in the collection cache.
pub async fn reserve_at_any_number_of_reservations(store: Arc<dyn Store>) {
    let app = fixture::app(store.clone()).await;
    let c = &app.client;
    let lisbon = fixture::city(c, "Lisbon").await;
    let guest = register(c, "ana").await;
    let room = lisbon.rooms[0].clone();
    book_nights(c, &room, 0, 20).await;
    let at_20 = reserve_cost(c, &store, &room, &guest, (night(1), night(2))).await;
    book_nights(c, &room, 20, 1_000).await;
    let at_1000 = reserve_cost(c, &store, &room, &guest, (night(3), night(4))).await;
    // Round trips: the room, the edge query, the commit (the guest is presumed to exist
    // and checked there). Items: the room, the guest, the reservation and three edges
    // (room → reservation, both sides of the guest).
    // The room is read alone although the runtime knows `reserve` reads its reservations:
    // the first call could not know yet, and before the second the collection cache holds
    // them (at the version the first proved, which the creates since have passed), and
    // when it holds the current version the room alone is all a call needs to read.
    assert_eq!(
        (at_20, at_1000),
        ((3, 6), (3, 6)),
        "(round trips, commit items)"
    );
    // The room's reservations are now cached: the edge query is skipped.
    let cached = reserve_cost(c, &store, &room, &guest, (night(5), night(6))).await;
    assert_eq!(cached, (2, 6), "(round trips, commit items) from the cache");
    let booked = c.room(room.clone()).reservations_ids().await.expect("ids");
    assert_eq!(booked.len(), 1_003);
    // The cache holds what was booked before it and what reserves added since.
    for nights in [(1_998, 2_000), (3, 4), (5, 6)] {
        let refused = c
            .room(room.clone())
            .reserve(guest.clone(), night(nights.0), night(nights.1))
            .await;
        assert!(
            matches!(refused, Err(ReserveError::Overlap(_))),
            "nights {nights:?}: {refused:?}"
        );
    }
}

/// Two concurrent reserves of the same nights on a room with 500 reservations: exactly
/// one wins, and the other names it.
pub async fn concurrent_reserves_of_the_same_nights(store: Arc<dyn Store>) {
    let app = fixture::app(store).await;
    let c = &app.client;
    let lisbon = fixture::city(c, "Lisbon").await;
    let (ana, ben) = (register(c, "ana").await, register(c, "ben").await);
    let room = c.room(lisbon.rooms[0].clone());
    book_nights(c, &room.id, 0, 500).await;
    let (first, second) = tokio::join!(
        room.reserve(ana, night(1), night(2)),
        room.reserve(ben, night(1), night(2))
    );
    let (won, lost) = match (first, second) {
        (Ok(won), Err(lost)) | (Err(lost), Ok(won)) => (won, lost),
        both => panic!("exactly one reserve must win: {both:?}"),
    };
    match lost {
        ReserveError::Overlap(Overlap { reservation }) => assert_eq!(reservation, won.0),
        other => panic!("the loser must see the winner's reservation: {other:?}"),
    }
    let booked = room.reservations_ids().await.expect("ids");
    assert_eq!(booked.len(), 501);
}

/// A reservation deleted while a `reserve` of its nights runs: either the reserve comes
/// first (and is refused, naming it) or after (and books the nights); never both booked.
pub async fn a_reservation_deleted_during_a_reserve(store: Arc<dyn Store>) {
    let app = fixture::app(store).await;
    let c = &app.client;
    let lisbon = fixture::city(c, "Lisbon").await;
    let guest = register(c, "ana").await;
    let room = c.room(lisbon.rooms[0].clone());
    book_nights(c, &room.id, 0, 50).await;
    let booked = room.reservations().await.expect("reservations");
    let in_the_way = booked
        .iter()
        .find(|r| r.check_in == night(20))
        .map(|r| r.id.clone())
        .expect("a reservation of night 20");
    let doomed = c.reservation(in_the_way.clone());
    let (reserved, deleted) =
        tokio::join!(room.reserve(guest, night(20), night(21)), doomed.delete());
    deleted.expect("deleted");
    let now = room.reservations().await.expect("reservations");
    assert!(now.iter().all(|r| r.id != in_the_way), "{now:?}");
    let on_night_20: Vec<_> = now.iter().filter(|r| r.check_in == night(20)).collect();
    match reserved {
        Ok(id) => assert_eq!(
            on_night_20
                .iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>(),
            [id.0.as_str()]
        ),
        Err(ReserveError::Overlap(Overlap { reservation })) => {
            assert_eq!(reservation, in_the_way);
            assert!(on_night_20.is_empty(), "{on_night_20:?}");
        }
        Err(other) => panic!("{other:?}"),
    }
}
