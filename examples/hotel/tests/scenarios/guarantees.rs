//! What holds across tasks: a retried call runs once, and `@readonly` fields never
//! change.

use std::sync::Arc;

use crate::fixture::{self, day, register, user_init, BAIXA};
use hotel_model::room::{ReserveArgs, ReserveError};
use hotel_model::{reservation, user, Date, Overlap};
use nubes_runtime::serde_json::{json, Value};
use nubes_runtime::{typed, Call, Error, Request, Store, Transport};

/// A create sent twice with one invocation id runs once and is answered both times —
/// also for a type whose id the client makes up; a new invocation is a new call.
pub async fn a_retried_create_is_answered_once(store: Arc<dyn Store>) {
    let app = fixture::app(store).await;
    let fields = typed::encode_fields("a user", &user_init("cara").into_state()).expect("fields");
    let create = Request::new("User", "cara@example.com", Call::Create { fields });
    assert_eq!(app.transport.send(&create).await, Ok(Value::Null));
    assert_eq!(
        app.transport.send(&create).await,
        Ok(Value::Null),
        "the retry is answered"
    );
    assert!(matches!(
        app.client.users().create(user_init("cara")).await,
        Err(Error::AlreadyExists { .. })
    ));

    // A hotel's id is made by the client, so a retried create must not make two.
    let c = &app.client;
    let city = fixture::empty_city(c, "Lisbon").await;
    let init = hotel_model::hotel::Init {
        name: "Once".into(),
        rate: 3.0,
        location: BAIXA,
        city: city.clone(),
    };
    let state = init.into_state(hotel_model::hotel::Id(typed::new_object_id()));
    let fields = typed::encode_fields("a hotel", &state).expect("fields");
    let create = Request::new("Hotel", state.id.clone(), Call::Create { fields });
    for _ in 0..2 {
        assert_eq!(app.transport.send(&create).await, Ok(Value::Null));
    }
    assert_eq!(c.city(city).hotels_ids().await, Ok(vec![state.id()]));
}

/// `reserve` sent twice with one invocation id books once and returns the same id, and a
/// refusal is a recorded outcome too: its retry is refused the same way even after the
/// room became free, while a new invocation succeeds.
pub async fn a_retried_reserve_is_answered_once(store: Arc<dyn Store>) {
    let app = fixture::app(store).await;
    let c = &app.client;
    let lisbon = fixture::city(c, "Lisbon").await;
    let ana = register(c, "ana").await;
    let room = c.room(lisbon.rooms[0].clone());
    let reserve = reserve_request(&room.id, &ana, day("2027-06-01"), day("2027-06-04"));
    let first = app.transport.send(&reserve).await.expect("reserved");
    assert_eq!(
        app.transport.send(&reserve).await,
        Ok(first.clone()),
        "the retry is answered"
    );
    let first: reservation::Id = typed::decode("a reservation id", first).expect("an id");
    assert_eq!(room.reservations_ids().await, Ok(vec![first.clone()]));
    assert_eq!(
        c.user(ana.clone()).reservations_ids().await,
        Ok(vec![first.clone()])
    );

    let overlapping = reserve_request(&room.id, &ana, day("2027-06-02"), day("2027-06-03"));
    let refused = app
        .transport
        .send(&overlapping)
        .await
        .map_err(ReserveError::from);
    assert_eq!(
        refused,
        Err(ReserveError::Overlap(Overlap {
            reservation: first.0.clone()
        }))
    );
    c.reservation(first).delete().await.expect("cancelled");
    let retried = app
        .transport
        .send(&overlapping)
        .await
        .map_err(ReserveError::from);
    assert_eq!(retried, refused, "the retry gets the recorded refusal");
    let anew = reserve_request(&room.id, &ana, day("2027-06-02"), day("2027-06-03"));
    let second = app.transport.send(&anew).await.expect("a new call runs");
    let second: reservation::Id = typed::decode("a reservation id", second).expect("an id");
    assert_eq!(room.reservations_ids().await, Ok(vec![second]));
}

/// A raw `Room.reserve` request with a fresh invocation id.
pub fn reserve_request(
    room: &hotel_model::room::Id,
    guest: &user::Id,
    check_in: Date,
    check_out: Date,
) -> Request {
    let args = ReserveArgs {
        guest: guest.clone(),
        check_in,
        check_out,
    };
    let args = typed::encode("reserve arguments", &args).expect("arguments");
    Request::new(
        "Room",
        room.0.clone(),
        Call::Method {
            method: "reserve".into(),
            args,
        },
    )
}

/// `@readonly` fields (and ids) keep their values whatever a client sends. The generated
/// client has no setter for them (`Reservation.room`, `Hotel.city`, … — a call would not
/// compile); raw `Set` requests are refused, and so is moving a child to another parent
/// through the parent's list, which would change the child's read-only reference. (That a
/// method cannot change a read-only field of its own object is tested in the compiler.)
pub async fn readonly_fields_cannot_change_by_any_path(store: Arc<dyn Store>) {
    let app = fixture::app(store).await;
    let c = &app.client;
    let lisbon = fixture::city(c, "Lisbon").await;
    let porto = fixture::empty_city(c, "Porto").await;
    let ana = register(c, "ana").await;
    let booked = c
        .room(lisbon.rooms[0].clone())
        .reserve(ana.clone(), day("2027-06-01"), day("2027-06-04"))
        .await
        .expect("reserved");
    let reservation = c.reservation(booked.clone()).load().await.expect("load");
    let hotel = c
        .hotel(lisbon.hotels[0].clone())
        .load()
        .await
        .expect("load");
    let refuse = |type_name, id, field, value| refuse_set(&app, type_name, id, field, value);
    let at = &booked.0;
    refuse("Reservation", at, "checkIn", json!("2027-01-01")).await;
    refuse("Reservation", at, "checkOut", json!("2027-12-31")).await;
    refuse(
        "Reservation",
        at,
        "createdAt",
        json!("2000-01-01T00:00:00Z"),
    )
    .await;
    refuse("Reservation", at, "room", json!(lisbon.rooms[1].0)).await;
    refuse("Hotel", &hotel.id, "city", json!(porto.0)).await;
    let other_hotel = json!(lisbon.hotels[1].0);
    refuse("Room", &lisbon.rooms[0].0, "hotel", other_hotel).await;
    refuse("User", &ana.0, "email", json!("eve@example.com")).await;

    let moved = c
        .room(lisbon.rooms[1].clone())
        .add_to_reservations(booked.clone())
        .await;
    assert!(
        matches!(moved, Err(Error::Validation { .. })),
        "moving a reservation: {moved:?}"
    );
    let moved = c.city(porto.clone()).add_to_hotels(hotel.id()).await;
    assert!(
        matches!(moved, Err(Error::Validation { .. })),
        "moving a hotel: {moved:?}"
    );

    assert_eq!(c.reservation(booked.clone()).load().await, Ok(reservation));
    assert_eq!(c.hotel(hotel.id()).load().await, Ok(hotel));
    assert_eq!(
        c.room(lisbon.rooms[1].clone()).reservations_ids().await,
        Ok(vec![])
    );
    assert_eq!(c.city(porto).hotels_ids().await, Ok(vec![]));
    assert_eq!(
        c.user(ana).load().await.map(|user| user.email),
        Ok("ana@example.com".into())
    );
}

/// Sends a raw `Set` of `type_name.field` on `id` and fails unless it is refused as invalid.
async fn refuse_set(app: &fixture::App, type_name: &str, id: &str, field: &str, value: Value) {
    let call = Call::Set {
        field: field.into(),
        value,
    };
    let refused = app.transport.send(&Request::new(type_name, id, call)).await;
    assert!(
        matches!(refused, Err(Error::Validation { .. })),
        "setting {type_name}.{field}: {refused:?}"
    );
}
