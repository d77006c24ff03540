//! The reserve task: bookings, overlaps, invalid dates.

use std::sync::Arc;

use crate::fixture::{self, register, sorted};
use hotel_model::room::ReserveError;
use hotel_model::{InvalidDates, Overlap};
use nubes_runtime::{Error, Store};

/// Task reserve: a reservation with its room, dates and creation time, both sides of its
/// relationships set; a stay may start the day another ends, and rooms are independent.
pub async fn reserve(store: Arc<dyn Store>) {
    let app = fixture::app(store).await;
    let c = &app.client;
    let lisbon = fixture::city(c, "Lisbon").await;
    let (ana, ben) = (register(c, "ana").await, register(c, "ben").await);
    let room = c.room(lisbon.rooms[0].clone());
    let first = room
        .reserve(ana.clone(), "2027-06-01", "2027-06-04")
        .await
        .expect("reserved");
    let stored = c.reservation(first.clone()).load().await.expect("load");
    assert_eq!(stored.room, room.id);
    assert_eq!(
        (stored.check_in.as_str(), stored.check_out.as_str()),
        ("2027-06-01", "2027-06-04")
    );
    assert_rfc3339(&stored.created_at);
    assert_eq!(room.reservations_ids().await, Ok(vec![first.clone()]));
    let guests = c.reservation(first.clone()).guests_ids().await;
    assert_eq!(guests, Ok(vec![ana.clone()]));
    let of_ana = c.user(ana).reservations_ids().await;
    assert_eq!(of_ana, Ok(vec![first.clone()]));

    let back_to_back = room
        .reserve(ben.clone(), "2027-06-04", "2027-06-06")
        .await
        .expect("a stay may start the day another ends");
    let other_room = c
        .room(lisbon.rooms[1].clone())
        .reserve(ben.clone(), "2027-06-01", "2027-06-04")
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
        .reserve(ana.clone(), "2027-06-01", "2027-06-04")
        .await
        .expect("reserved");
    let in_the_way = Err(ReserveError::Overlap(Overlap {
        reservation: first.0.clone(),
    }));
    for (check_in, check_out) in [
        ("2027-06-03", "2027-06-05"),
        ("2027-05-30", "2027-06-02"),
        ("2027-06-02", "2027-06-03"),
        ("2027-05-01", "2027-07-01"),
    ] {
        let refused = room.reserve(ben.clone(), check_in, check_out).await;
        assert_eq!(refused, in_the_way, "{check_in} to {check_out}");
        let free = room.is_free(check_in, check_out).await;
        assert_eq!(free, Ok(false), "{check_in} to {check_out}");
    }
    let (august, next_day) = ("2027-08-01", "2027-08-02");
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
    let free = room.is_free("2027-06-04", "2027-06-06").await;
    assert_eq!(free, Ok(true));
}

/// Task reserve, refused: `InvalidDates` for a stay without a night or a date that is not
/// a real `YYYY-MM-DD`; `isFree` refuses the same dates as a validation error.
pub async fn reserve_refuses_invalid_dates(store: Arc<dyn Store>) {
    let app = fixture::app(store).await;
    let c = &app.client;
    let lisbon = fixture::city(c, "Lisbon").await;
    let ana = register(c, "ana").await;
    let room = c.room(lisbon.rooms[0].clone());
    for (check_in, check_out) in [
        ("2027-06-04", "2027-06-04"),
        ("2027-06-05", "2027-06-04"),
        ("2027-6-1", "2027-06-04"),
        ("2027-02-27", "2027-02-30"),
        ("", "2027-06-04"),
        ("2027-06-01T12:00:00Z", "2027-06-04"),
    ] {
        let refused = room.reserve(ana.clone(), check_in, check_out).await;
        let expected = InvalidDates {
            check_in: check_in.into(),
            check_out: check_out.into(),
        };
        assert_eq!(
            refused,
            Err(ReserveError::InvalidDates(expected)),
            "{check_in:?} to {check_out:?}"
        );
        let free = room.is_free(check_in, check_out).await;
        assert!(matches!(free, Err(Error::Validation { .. })), "{free:?}");
    }
    // Dates are checked before the guest: bad dates for an unknown guest are bad dates.
    let refused = room
        .reserve("nobody@example.com", "2027-06-04", "2027-06-01")
        .await;
    assert!(
        matches!(refused, Err(ReserveError::InvalidDates(_))),
        "{refused:?}"
    );
    assert_eq!(room.reservations_ids().await, Ok(vec![]));
}

/// Fails unless `text` is RFC 3339 UTC with whole seconds, e.g. `2026-11-28T06:28:30Z`.
pub fn assert_rfc3339(text: &str) {
    let ok = text.len() == 20
        && hotel_app::dates::is_valid_date(&text[..10])
        && text.as_bytes()[10] == b'T'
        && text.ends_with('Z')
        && text[11..19]
            .split(':')
            .map(|part| part.parse::<u8>())
            .collect::<Result<Vec<_>, _>>()
            .is_ok_and(|p| p.len() == 3 && p[0] < 24 && p[1] < 60 && p[2] < 60);
    assert!(ok, "{text:?} is not RFC 3339 UTC");
}
