//! The reserve task: bookings, overlaps, invalid dates.

use std::sync::Arc;

use crate::fixture::{self, day, register, sorted};
use hotel_model::room::ReserveError;
use hotel_model::{InvalidDates, Overlap};
use nubes_runtime::jiff::Timestamp;
use nubes_runtime::serde_json::json;
use nubes_runtime::{Call, Error, Request, Store, Transport};

/// Task reserve: a reservation with its room, dates and creation time, both sides of its
/// relationships set; a stay may start the day another ends, and rooms are independent.
pub async fn reserve(store: Arc<dyn Store>) {
    let app = fixture::app(store).await;
    let c = &app.client;
    let lisbon = fixture::city(c, "Lisbon").await;
    let (ana, ben) = (register(c, "ana").await, register(c, "ben").await);
    let room = c.room(lisbon.rooms[0].clone());
    let before = Timestamp::now();
    let first = room
        .reserve(ana.clone(), day("2027-06-01"), day("2027-06-04"))
        .await
        .expect("reserved");
    let after = Timestamp::now();
    let stored = c.reservation(first.clone()).load().await.expect("load");
    assert_eq!(stored.room, room.id);
    assert_eq!(
        (stored.check_in, stored.check_out),
        (day("2027-06-01"), day("2027-06-04"))
    );
    // The runtime's clock has whole milliseconds.
    let made = stored.created_at;
    assert!(
        before.as_millisecond() <= made.as_millisecond() && made <= after,
        "created at {made}, not during the call ({before} to {after})"
    );
    assert_eq!(room.reservations_ids().await, Ok(vec![first.clone()]));
    let guests = c.reservation(first.clone()).guests_ids().await;
    assert_eq!(guests, Ok(vec![ana.clone()]));
    let of_ana = c.user(ana).reservations_ids().await;
    assert_eq!(of_ana, Ok(vec![first.clone()]));

    let back_to_back = room
        .reserve(ben.clone(), day("2027-06-04"), day("2027-06-06"))
        .await
        .expect("a stay may start the day another ends");
    let other_room = c
        .room(lisbon.rooms[1].clone())
        .reserve(ben.clone(), day("2027-06-01"), day("2027-06-04"))
        .await
        .expect("another room is free on the same nights");
    assert_eq!(
        room.reservations_ids().await.map(|ids| sorted(&ids)),
        Ok(sorted(&[first, back_to_back.clone()]))
    );
    assert_eq!(
        c.user(ben).reservations_ids().await.map(|ids| sorted(&ids)),
        Ok(sorted(&[back_to_back, other_room]))
    );
}

/// Task reserve, refused: `Overlap` (naming the reservation in the way) for any stay
/// sharing a night with it, `NotFound` for an unknown guest or room; refusals change
/// nothing, and `isFree` agrees.
pub async fn reserve_refuses_overlaps(store: Arc<dyn Store>) {
    let app = fixture::app(store).await;
    let c = &app.client;
    let lisbon = fixture::city(c, "Lisbon").await;
    let (ana, ben) = (register(c, "ana").await, register(c, "ben").await);
    let room = c.room(lisbon.rooms[0].clone());
    let first = room
        .reserve(ana.clone(), day("2027-06-01"), day("2027-06-04"))
        .await
        .expect("reserved");
    let in_the_way = Err(ReserveError::Overlap(Overlap {
        reservation: first.0.clone(),
    }));
    for (check_in, check_out) in [
        (day("2027-06-03"), day("2027-06-05")),
        (day("2027-05-30"), day("2027-06-02")),
        (day("2027-06-02"), day("2027-06-03")),
        (day("2027-05-01"), day("2027-07-01")),
    ] {
        let refused = room.reserve(ben.clone(), check_in, check_out).await;
        assert_eq!(refused, in_the_way, "{check_in} to {check_out}");
        let free = room.is_free(check_in, check_out).await;
        assert_eq!(free, Ok(false), "{check_in} to {check_out}");
    }
    let (august, next_day) = (day("2027-08-01"), day("2027-08-02"));
    let nobody = "nobody@example.com";
    let unknown = room.reserve(nobody, august, next_day).await;
    assert!(
        matches!(unknown, Err(ReserveError::Runtime(Error::NotFound { ref type_name, .. })) if type_name == "User"),
        "{unknown:?}"
    );
    let no_room = c.room("no-such-room");
    let no_room = no_room.reserve(ana, august, next_day).await;
    assert!(
        matches!(no_room, Err(ReserveError::Runtime(Error::NotFound { .. }))),
        "{no_room:?}"
    );
    let ids = room.reservations_ids().await;
    assert_eq!(ids, Ok(vec![first]), "refusals change nothing");
    assert_eq!(c.user(ben).reservations_ids().await, Ok(vec![]));
    let free = room.is_free(day("2027-06-04"), day("2027-06-06")).await;
    assert_eq!(free, Ok(true));
}

/// Task reserve, refused: `InvalidDates` for a stay without a night, checked before
/// anything is read; `isFree` refuses the same stays as a validation error. Text that is
/// not a real `YYYY-MM-DD` date never reaches the method: a raw request carrying it is a
/// validation error that names the call and the text, and nothing is stored.
pub async fn reserve_refuses_invalid_dates(store: Arc<dyn Store>) {
    let app = fixture::app(store).await;
    let c = &app.client;
    let lisbon = fixture::city(c, "Lisbon").await;
    let ana = register(c, "ana").await;
    let room = c.room(lisbon.rooms[0].clone());
    for (check_in, check_out) in [
        (day("2027-06-04"), day("2027-06-04")),
        (day("2027-06-05"), day("2027-06-04")),
        (day("2028-01-01"), day("2027-12-31")),
    ] {
        let refused = room.reserve(ana.clone(), check_in, check_out).await;
        let expected = InvalidDates {
            check_in,
            check_out,
        };
        assert_eq!(
            refused,
            Err(ReserveError::InvalidDates(expected)),
            "{check_in} to {check_out}"
        );
        let free = room.is_free(check_in, check_out).await;
        assert!(matches!(free, Err(Error::Validation { .. })), "{free:?}");
    }
    // Stays are checked before the guest: a bad stay for an unknown guest is a bad stay.
    let refused = room
        .reserve("nobody@example.com", day("2027-06-04"), day("2027-06-01"))
        .await;
    assert!(
        matches!(refused, Err(ReserveError::InvalidDates(_))),
        "{refused:?}"
    );
    for bad in [
        "2027-6-1",
        "2027-02-30",
        "",
        "2027-06-01T12:00:00Z",
        "01/06/2027",
    ] {
        for (check_in, check_out) in [(bad, "2027-06-04"), ("2027-06-01", bad)] {
            let args = json!({ "guest": ana.0, "checkIn": check_in, "checkOut": check_out });
            let request = Request::new(
                "Room",
                room.id.0.clone(),
                Call::Method {
                    method: "reserve".into(),
                    args,
                },
            );
            match app.transport.send(&request).await {
                Err(Error::Validation { message }) => assert!(
                    message.contains("`Room.reserve`") && message.contains(bad),
                    "{bad:?}: the error names neither the call nor the text: {message}"
                ),
                other => panic!("{check_in:?} to {check_out:?} was not refused: {other:?}"),
            }
        }
    }
    assert_eq!(room.reservations_ids().await, Ok(vec![]));
}
