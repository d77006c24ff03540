//! Declared methods through the code generated from `tests/golden/pass/methods.nubes`:
//! typed errors reach the client as the right variant of the method's `<Method>Error`,
//! with their fields; a raised error leaves every object as it was; read-only methods
//! return objects (`[Room]`), maps (`Map<String, [Int]>`) and ids; unit methods return
//! `()`; object and list parameters arrive; nested calls commit together, and a nested
//! call that fails is undone even when its caller carries on.

#[macro_use]
#[path = "../../../runtime/tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use methods_client::Client;
use methods_model::hotel::TransferError;
use methods_model::room::{CloseError, ReserveError};
use methods_model::{
    guest, hotel, room, Closed, Date, Guest, Hotel, Kind, Overlap, Room, SoldOut, Stay, Timestamp,
};
use nubes_runtime::jiff::civil::date;
use nubes_runtime::jiff::tz::TimeZone;
use nubes_runtime::{Call, Ctx, Delivery, Error, InProcess, Request, Store, Transport};
use serde_json::{json, Value};

on_both_stores!(
    typed_errors_reach_the_client_as_their_variant,
    typed_errors_travel_as_user_errors,
    a_raised_error_leaves_the_state_unchanged,
    a_successful_method_commits_its_changes,
    readonly_methods_return_objects_maps_and_ids,
    unit_methods_return_unit,
    nested_calls_commit_together,
    transfer_moves_a_room_between_hotels,
    a_retried_call_returns_the_recorded_outcome,
    queued_calls_run_after_the_commit_exactly_once,
    the_in_process_transport_delivers_queued_calls_by_itself,
);

/// The hotel closes between these dates: a stay that overlaps them raises `Overlap`.
const HOLIDAY_FROM: Date = date(2026, 12, 24);
const HOLIDAY_TO: Date = date(2026, 12, 27);

fn overlaps_holiday(from: Date, to: Date) -> bool {
    from < HOLIDAY_TO && to > HOLIDAY_FROM
}

/// The instant written `text` (RFC 3339).
fn at(text: &str) -> Timestamp {
    text.parse()
        .unwrap_or_else(|error| panic!("{text:?} is not an instant: {error}"))
}

/// The application. Its failing paths change things before they fail, so a kept change
/// would show.
struct Hotels;

impl room::Methods for Hotels {
    #[allow(clippy::too_many_arguments)]
    async fn reserve(
        &self,
        this: &mut Room,
        ctx: &mut Ctx,
        guest: guest::Id,
        from: Date,
        to: Date,
        kind: Kind,
        note: Option<String>,
        extras: Vec<String>,
    ) -> Result<Stay, ReserveError> {
        let name = guest.get_name(ctx).await?;
        let details = match (&note, extras.is_empty()) {
            (None, true) => String::new(),
            (None, false) => format!(" ({})", extras.join(", ")),
            (Some(note), true) => format!(" ({note})"),
            (Some(note), false) => format!(" ({note}; {})", extras.join(", ")),
        };
        // Written first, checked after: an error must undo both changes.
        guest
            .set_name(ctx, format!("{name}, room {}{details}", this.number))
            .await?;
        let number = this.number;
        this.number = -1;
        if kind != this.kind {
            return Err(SoldOut {}.into());
        }
        if let Some(reason) = note
            .as_deref()
            .and_then(|note| note.strip_prefix("closed:"))
        {
            return Err(Closed {
                reason: reason.trim().into(),
            }
            .into());
        }
        if number < 0 {
            return Err(Closed {
                reason: format!("room {} is closed", -number),
            }
            .into());
        }
        if overlaps_holiday(from, to) {
            return Err(Overlap {
                from: HOLIDAY_FROM,
                to: HOLIDAY_TO,
            }
            .into());
        }
        this.number = number;
        Ok(Stay { from, to })
    }

    async fn is_free(
        &self,
        this: &Room,
        _ctx: &mut Ctx,
        from: Date,
        to: Date,
    ) -> Result<bool, Error> {
        Ok(this.number >= 0 && !overlaps_holiday(from, to))
    }

    async fn describe(&self, this: &Room, _ctx: &mut Ctx) -> Result<String, Error> {
        Ok(format!("room {} ({})", this.number, this.kind.wire_name()))
    }

    async fn close(&self, this: &mut Room, _ctx: &mut Ctx) -> Result<(), CloseError> {
        if this.number < 0 {
            this.kind = Kind::Double;
            return Err(Closed {
                reason: format!("room {} is closed already", -this.number),
            }
            .into());
        }
        this.number = -this.number;
        Ok(())
    }

    async fn touch(&self, this: &mut Room, _ctx: &mut Ctx) -> Result<(), Error> {
        this.number += 1;
        Ok(())
    }
}

impl hotel::Methods for Hotels {
    async fn cheapest(&self, this: &Hotel, ctx: &mut Ctx, count: i64) -> Result<Vec<Room>, Error> {
        let count = usize::try_from(count).map_err(|_| Error::validation("a negative count"))?;
        let mut rooms = this.id().rooms(ctx).await?;
        rooms.sort_by_key(|room| room.number);
        rooms.truncate(count);
        Ok(rooms)
    }

    async fn by_kind(
        &self,
        this: &Hotel,
        ctx: &mut Ctx,
        kind: Kind,
        limit: Option<i64>,
    ) -> Result<BTreeMap<String, Vec<i64>>, Error> {
        let mut rooms = this.id().rooms(ctx).await?;
        rooms.sort_by_key(|room| room.number);
        let mut numbers =
            BTreeMap::from([("match".to_string(), vec![]), ("other".to_string(), vec![])]);
        for room in rooms {
            let key = if room.kind == kind { "match" } else { "other" };
            numbers
                .entry(key.to_string())
                .or_default()
                .push(room.number);
        }
        if let Some(limit) = limit {
            let limit =
                usize::try_from(limit).map_err(|_| Error::validation("a negative limit"))?;
            for list in numbers.values_mut() {
                list.truncate(limit);
            }
        }
        Ok(numbers)
    }

    async fn any_room(&self, this: &Hotel, ctx: &mut Ctx) -> Result<room::Id, Error> {
        this.id()
            .rooms_ids(ctx)
            .await?
            .into_iter()
            .min()
            .ok_or_else(|| Error::validation(format!("{} has no rooms", this.name)))
    }

    async fn transfer(
        &self,
        this: &mut Hotel,
        ctx: &mut Ctx,
        room: room::Id,
        to: hotel::Id,
    ) -> Result<(), TransferError> {
        this.name = format!("{} (transferring)", this.name);
        if to == this.id() {
            return Err(SoldOut {}.into());
        }
        let from = room.get_hotel(ctx).await?;
        if from != this.id() {
            return Err(Closed {
                reason: format!("room {room} is not in {}", this.id),
            }
            .into());
        }
        if !to.exists(ctx).await? {
            return Err(Error::not_found("Hotel", to.as_ref()).into());
        }
        room.set_hotel(ctx, to).await?;
        this.name = this.name.trim_end_matches(" (transferring)").to_string();
        Ok(())
    }

    async fn touch_all(&self, this: &mut Hotel, ctx: &mut Ctx) -> Result<i64, Error> {
        let rooms = this.id().rooms_ids(ctx).await?;
        for room in &rooms {
            room.later().touch(ctx)?;
        }
        Ok(i64::try_from(rooms.len()).unwrap_or(i64::MAX))
    }
}

impl guest::Methods for Hotels {
    async fn check_in(
        &self,
        this: &mut Guest,
        ctx: &mut Ctx,
        rooms: Vec<room::Id>,
        at: Timestamp,
    ) -> Result<Vec<Stay>, Error> {
        let day = TimeZone::UTC.to_datetime(at).date();
        let mut stays = Vec::new();
        for room in rooms {
            let kind = room.get_kind(ctx).await?;
            // Each reservation runs nested, in this call: it sees the changes of the ones
            // before it, and a room in the holiday is skipped, its changes undone.
            match room
                .reserve(ctx, this.id(), day, day, kind, None, vec![])
                .await
            {
                Ok(stay) => stays.push(stay),
                Err(ReserveError::Overlap(_)) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Ok(stays)
    }
}

struct Fixture {
    client: Client,
    transport: InProcess,
    grand: methods_client::hotel::Handle,
    /// Rooms 101 (single), 102 (double) and 103 (single) of the Grand.
    rooms: Vec<methods_client::room::Handle>,
    ada: methods_client::guest::Handle,
}

async fn fixture(store: Arc<dyn Store>) -> Fixture {
    fixture_delivering(store, Delivery::Manual).await
}

/// The fixture on a transport that delivers asynchronous calls as `delivery` says.
async fn fixture_delivering(store: Arc<dyn Store>, delivery: Delivery) -> Fixture {
    let transport = methods_handlers::in_process(store, Hotels)
        .with_delivery(delivery)
        .with_tables()
        .await
        .expect("tables are created");
    let client = Client::new(transport.clone());
    let grand = client
        .hotels()
        .create(hotel::Init {
            name: "Grand".into(),
        })
        .await
        .expect("a hotel is created");
    let mut rooms = Vec::new();
    for (number, kind) in [
        (101, Kind::Single),
        (102, Kind::Double),
        (103, Kind::Single),
    ] {
        let room = client
            .rooms()
            .create(room::Init {
                number,
                kind,
                hotel: grand.id.clone(),
            })
            .await
            .expect("a room is created");
        rooms.push(room);
    }
    let ada = client
        .guests()
        .create(guest::Init { name: "Ada".into() })
        .await
        .expect("a guest is created");
    Fixture {
        client,
        transport,
        grand,
        rooms,
        ada,
    }
}

impl Fixture {
    async fn reserve(
        &self,
        room: usize,
        dates: (Date, Date),
        kind: Kind,
        note: Option<&str>,
    ) -> Result<Stay, ReserveError> {
        self.rooms[room]
            .reserve(
                self.ada.id.clone(),
                dates.0,
                dates.1,
                kind,
                note.map(String::from),
                vec![],
            )
            .await
    }

    /// Every object as stored, to compare before and after.
    async fn snapshot(&self) -> Vec<Value> {
        let runtime = self.transport.runtime();
        let mut objects = Vec::new();
        for room in &self.rooms {
            objects.push(Value::Object(
                runtime.get("Room", room.id.as_ref()).await.expect("a room"),
            ));
        }
        objects.push(Value::Object(
            runtime
                .get("Guest", self.ada.id.as_ref())
                .await
                .expect("the guest"),
        ));
        objects.push(Value::Object(
            runtime
                .get("Hotel", self.grand.id.as_ref())
                .await
                .expect("the hotel"),
        ));
        objects
    }
}

const JUNE: (Date, Date) = (date(2026, 6, 1), date(2026, 6, 5));
const CHRISTMAS: (Date, Date) = (date(2026, 12, 20), date(2026, 12, 25));

async fn typed_errors_reach_the_client_as_their_variant(store: Arc<dyn Store>) {
    let f = fixture(store).await;

    let overlap = f.reserve(0, CHRISTMAS, Kind::Single, None).await;
    assert_eq!(
        overlap,
        Err(ReserveError::Overlap(Overlap {
            from: HOLIDAY_FROM,
            to: HOLIDAY_TO,
        }))
    );
    let closed = f
        .reserve(0, JUNE, Kind::Single, Some("closed: renovation"))
        .await;
    assert_eq!(
        closed,
        Err(ReserveError::Closed(Closed {
            reason: "renovation".into(),
        }))
    );
    let sold_out = f.reserve(0, JUNE, Kind::Double, None).await;
    assert_eq!(sold_out, Err(ReserveError::SoldOut(SoldOut {})));

    // The runtime's own errors are the `Runtime` variant.
    let no_guest = f.rooms[0]
        .reserve(
            guest::Id::from("nobody"),
            JUNE.0,
            JUNE.1,
            Kind::Single,
            None,
            vec![],
        )
        .await;
    assert_eq!(
        no_guest,
        Err(ReserveError::Runtime(Error::NotFound {
            type_name: "Guest".into(),
            id: "nobody".into(),
        }))
    );
    let no_room = f
        .client
        .room("nowhere")
        .reserve(f.ada.id.clone(), JUNE.0, JUNE.1, Kind::Single, None, vec![])
        .await;
    assert!(
        matches!(&no_room, Err(ReserveError::Runtime(Error::NotFound { type_name, .. })) if type_name == "Room"),
        "{no_room:?}"
    );

    // A unit method's error.
    f.rooms[0].close().await.expect("the room closes");
    assert_eq!(
        f.rooms[0].close().await,
        Err(CloseError::Closed(Closed {
            reason: "room 101 is closed already".into(),
        }))
    );

    // The same error types in another method's error enum.
    let to_itself = f
        .grand
        .transfer(f.rooms[1].id.clone(), f.grand.id.clone())
        .await;
    assert_eq!(to_itself, Err(TransferError::SoldOut(SoldOut {})));
    let other = f
        .client
        .hotels()
        .create(hotel::Init {
            name: "Other".into(),
        })
        .await
        .expect("another hotel");
    let not_ours = other
        .transfer(f.rooms[1].id.clone(), f.grand.id.clone())
        .await;
    assert_eq!(
        not_ours,
        Err(TransferError::Closed(Closed {
            reason: format!("room {} is not in {}", f.rooms[1].id, other.id),
        }))
    );
    let nowhere = f
        .grand
        .transfer(f.rooms[1].id.clone(), hotel::Id::from("nowhere"))
        .await;
    assert_eq!(
        nowhere,
        Err(TransferError::Runtime(Error::NotFound {
            type_name: "Hotel".into(),
            id: "nowhere".into(),
        }))
    );

    // Display shows the error and its fields.
    let shown = ReserveError::Closed(Closed {
        reason: "renovation".into(),
    })
    .to_string();
    assert!(shown.contains("renovation"), "{shown}");
}

async fn typed_errors_travel_as_user_errors(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let raw = |method: &str, args: Value| {
        Request::new(
            "Room",
            f.rooms[0].id.as_ref(),
            Call::Method {
                method: method.into(),
                args,
            },
        )
    };
    let args = |kind: &str, note: Option<&str>| {
        let mut args = json!({
            "guest": f.ada.id.0,
            "from": JUNE.0,
            "to": JUNE.1,
            "kind": kind,
            "extras": [],
        });
        if let Some(note) = note {
            args["note"] = json!(note);
        }
        args
    };
    assert_eq!(
        f.transport
            .send(&raw("reserve", args("Single", Some("closed: paint"))))
            .await,
        Err(Error::User {
            name: "Closed".into(),
            data: json!({ "reason": "paint" }),
        })
    );
    assert_eq!(
        f.transport
            .send(&raw("reserve", args("Double", None)))
            .await,
        Err(Error::User {
            name: "SoldOut".into(),
            data: json!({}),
        })
    );
    // A user error that does not decode as the declared type is the runtime's.
    let garbled = ReserveError::from(Error::User {
        name: "Overlap".into(),
        data: json!({ "from": 1 }),
    });
    assert!(
        matches!(garbled, ReserveError::Runtime(Error::Validation { .. })),
        "{garbled:?}"
    );
    // One the method does not raise stays the runtime's `User` error.
    let undeclared = Error::User {
        name: "Overlap".into(),
        data: json!({ "from": "a", "to": "b" }),
    };
    assert_eq!(
        CloseError::from(undeclared.clone()),
        CloseError::Runtime(undeclared)
    );
    // And the conversions are inverse to each other.
    let error = ReserveError::Overlap(Overlap {
        from: JUNE.0,
        to: JUNE.1,
    });
    assert_eq!(ReserveError::from(Error::from(error.clone())), error);
}

async fn a_raised_error_leaves_the_state_unchanged(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let before = f.snapshot().await;
    let loaded_room = f.rooms[0].load().await.expect("the room");
    let loaded_guest = f.ada.load().await.expect("the guest");

    // Each of these changed the room and the guest before raising.
    assert!(f.reserve(0, CHRISTMAS, Kind::Single, None).await.is_err());
    assert!(f
        .reserve(0, JUNE, Kind::Single, Some("closed: renovation"))
        .await
        .is_err());
    assert!(f.reserve(0, JUNE, Kind::Double, None).await.is_err());
    assert_eq!(f.snapshot().await, before);
    assert_eq!(f.rooms[0].load().await.ok(), Some(loaded_room));
    assert_eq!(f.ada.get_name().await.ok(), Some(loaded_guest.name));

    // `close` changes the kind before raising `Closed`; `transfer` renames the hotel.
    f.rooms[1].close().await.expect("closes");
    let closed = f.snapshot().await;
    assert!(f.rooms[1].close().await.is_err());
    assert_eq!(f.rooms[1].get_kind().await.ok(), Some(Kind::Double));
    assert!(f
        .grand
        .transfer(f.rooms[2].id.clone(), f.grand.id.clone())
        .await
        .is_err());
    assert_eq!(f.grand.get_name().await.ok(), Some("Grand".into()));
    assert_eq!(f.snapshot().await, closed);
}

async fn a_successful_method_commits_its_changes(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let stay = f.rooms[0]
        .reserve(
            f.ada.id.clone(),
            JUNE.0,
            JUNE.1,
            Kind::Single,
            Some("late arrival".into()),
            vec!["crib".into(), "breakfast".into()],
        )
        .await;
    assert_eq!(
        stay,
        Ok(Stay {
            from: JUNE.0,
            to: JUNE.1,
        })
    );
    assert_eq!(
        f.ada.get_name().await.ok(),
        Some("Ada, room 101 (late arrival; crib, breakfast)".into())
    );
    // The room's number was put back before returning: nothing of the room changed.
    assert_eq!(f.rooms[0].get_number().await.ok(), Some(101));

    let stay = f
        .reserve(1, (date(2027, 1, 1), date(2027, 1, 2)), Kind::Double, None)
        .await;
    assert_eq!(
        stay.map(|stay| (stay.from, stay.to)).ok(),
        Some((date(2027, 1, 1), date(2027, 1, 2)))
    );
    assert_eq!(
        f.ada.load().await.ok(),
        Some(Guest {
            id: f.ada.id.0.clone(),
            name: "Ada, room 101 (late arrival; crib, breakfast), room 102".into(),
        })
    );
}

async fn readonly_methods_return_objects_maps_and_ids(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let before = f.snapshot().await;
    let mut all: Vec<Room> = Vec::new();
    for room in &f.rooms {
        all.push(room.load().await.expect("a room"));
    }

    // `[Room]`: copies of the objects, every field.
    assert_eq!(f.grand.cheapest(2).await.ok(), Some(all[..2].to_vec()));
    assert_eq!(f.grand.cheapest(10).await.ok(), Some(all.clone()));
    assert_eq!(f.grand.cheapest(0).await.ok(), Some(vec![]));
    assert_eq!(
        all[0],
        Room {
            id: f.rooms[0].id.0.clone(),
            number: 101,
            kind: Kind::Single,
            hotel: f.grand.id.clone(),
        }
    );
    let refused = f.grand.cheapest(-1).await;
    assert!(
        matches!(refused, Err(Error::Validation { .. })),
        "{refused:?}"
    );

    // `Map<String, [Int]>`, with an optional parameter given and not.
    let numbers = |pairs: &[(&str, &[i64])]| {
        pairs
            .iter()
            .map(|(key, list)| (key.to_string(), list.to_vec()))
            .collect::<BTreeMap<_, _>>()
    };
    assert_eq!(
        f.grand.by_kind(Kind::Single, None).await.ok(),
        Some(numbers(&[("match", &[101, 103]), ("other", &[102])]))
    );
    assert_eq!(
        f.grand.by_kind(Kind::Double, None).await.ok(),
        Some(numbers(&[("match", &[102]), ("other", &[101, 103])]))
    );
    assert_eq!(
        f.grand.by_kind(Kind::Single, Some(1)).await.ok(),
        Some(numbers(&[("match", &[101]), ("other", &[102])]))
    );
    assert_eq!(
        f.grand.by_kind(Kind::Single, Some(0)).await.ok(),
        Some(numbers(&[("match", &[]), ("other", &[])]))
    );

    // An object result is its id.
    let lowest = f.rooms.iter().map(|room| room.id.clone()).min();
    assert_eq!(f.grand.any_room().await.ok(), lowest);

    // A hotel without rooms.
    let empty = f
        .client
        .hotels()
        .create(hotel::Init {
            name: "Empty".into(),
        })
        .await
        .expect("a hotel");
    assert_eq!(empty.cheapest(5).await.ok(), Some(vec![]));
    assert_eq!(
        empty.by_kind(Kind::Double, Some(3)).await.ok(),
        Some(numbers(&[("match", &[]), ("other", &[])]))
    );
    let none = empty.any_room().await;
    assert!(
        matches!(&none, Err(Error::Validation { message }) if message == "Empty has no rooms"),
        "{none:?}"
    );

    assert_eq!(
        f.rooms[1].describe().await.ok(),
        Some("room 102 (Double)".into())
    );
    assert_eq!(f.rooms[0].is_free(JUNE.0, JUNE.1).await.ok(), Some(true));
    assert_eq!(
        f.rooms[0].is_free(CHRISTMAS.0, CHRISTMAS.1).await.ok(),
        Some(false)
    );
    let missing = f.client.room("nowhere").describe().await;
    assert!(
        matches!(&missing, Err(Error::NotFound { type_name, .. }) if type_name == "Room"),
        "{missing:?}"
    );

    // None of it wrote anything.
    assert_eq!(f.snapshot().await, before);
}

async fn unit_methods_return_unit(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let () = f.rooms[0].touch().await.expect("touched");
    f.rooms[0].touch().await.expect("touched again");
    assert_eq!(f.rooms[0].get_number().await.ok(), Some(103));

    let () = f.rooms[2].close().await.expect("closes");
    assert_eq!(f.rooms[2].get_number().await.ok(), Some(-103));
    assert_eq!(
        f.rooms[2].describe().await.ok(),
        Some("room -103 (Single)".into())
    );
    assert_eq!(f.rooms[2].is_free(JUNE.0, JUNE.1).await.ok(), Some(false));

    // A unit result is `null` on the wire.
    let raw = Request::new(
        "Room",
        f.rooms[1].id.as_ref(),
        Call::Method {
            method: "touch".into(),
            args: json!({}),
        },
    );
    assert_eq!(f.transport.send(&raw).await, Ok(Value::Null));
    assert_eq!(f.rooms[1].get_number().await.ok(), Some(103));

    // A method without parameters also takes a request with no arguments at all.
    let no_args = Request::new(
        "Room",
        f.rooms[1].id.as_ref(),
        Call::Method {
            method: "describe".into(),
            args: Value::Null,
        },
    );
    assert_eq!(
        f.transport.send(&no_args).await,
        Ok(json!("room 103 (Double)"))
    );

    // An argument the method does not have is refused, not ignored.
    let misspelled = Request::new(
        "Room",
        f.rooms[1].id.as_ref(),
        Call::Method {
            method: "isFree".into(),
            args: json!({ "from": JUNE.0, "to": JUNE.1, "until": JUNE.1 }),
        },
    );
    let refused = f.transport.send(&misspelled).await;
    assert!(
        matches!(&refused, Err(Error::Validation { message }) if message.contains("unknown field `until`")),
        "{refused:?}"
    );
}

async fn nested_calls_commit_together(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let ids: Vec<room::Id> = f.rooms.iter().map(|room| room.id.clone()).collect();

    // `[Room]` in, `[Stay]` out; each nested reservation sees the one before it.
    let stays = f
        .ada
        .check_in(ids[..2].to_vec(), at("2026-06-01T10:00:00Z"))
        .await;
    let day = Stay {
        from: date(2026, 6, 1),
        to: date(2026, 6, 1),
    };
    assert_eq!(stays, Ok(vec![day.clone(), day]));
    assert_eq!(
        f.ada.get_name().await.ok(),
        Some("Ada, room 101, room 102".into())
    );

    // In the holiday every reservation raises `Overlap`; the caller skips them, and what
    // they changed before raising is undone.
    let before = f.snapshot().await;
    let stays = f
        .ada
        .check_in(ids.clone(), at("2026-12-25T12:00:00Z"))
        .await;
    assert_eq!(stays, Ok(vec![]));
    assert_eq!(f.snapshot().await, before);

    // A room that does not exist fails the whole call: the reservations before it in the
    // same call are not kept either.
    let mut with_missing = ids.clone();
    with_missing.push(room::Id::from("nowhere"));
    let refused = f
        .ada
        .check_in(with_missing, at("2026-07-01T00:00:00Z"))
        .await;
    assert!(
        matches!(&refused, Err(Error::NotFound { type_name, .. }) if type_name == "Room"),
        "{refused:?}"
    );
    assert_eq!(f.snapshot().await, before);

    // A nested typed error the caller does not handle (`check_in` raises nothing) reaches
    // the client as the runtime's `User` error, and the call changes nothing.
    f.rooms[1].close().await.expect("closes");
    let before = f.snapshot().await;
    let refused = f
        .ada
        .check_in(ids.clone(), at("2026-08-01T00:00:00Z"))
        .await;
    assert_eq!(
        refused,
        Err(Error::User {
            name: "Closed".into(),
            data: json!({ "reason": "room 102 is closed" }),
        })
    );
    assert_eq!(f.snapshot().await, before);
}

async fn transfer_moves_a_room_between_hotels(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let annex = f
        .client
        .hotels()
        .create(hotel::Init {
            name: "Annex".into(),
        })
        .await
        .expect("a hotel");
    f.grand
        .transfer(f.rooms[1].id.clone(), annex.id.clone())
        .await
        .expect("the room moves");
    assert_eq!(f.rooms[1].get_hotel().await.ok(), Some(annex.id.clone()));
    assert_eq!(
        annex.rooms_ids().await.ok(),
        Some(vec![f.rooms[1].id.clone()])
    );
    let mut left: Vec<room::Id> = f.grand.rooms_ids().await.expect("ids");
    left.sort();
    let mut expected = vec![f.rooms[0].id.clone(), f.rooms[2].id.clone()];
    expected.sort();
    assert_eq!(left, expected);
    assert_eq!(f.grand.get_name().await.ok(), Some("Grand".into()));
    // The read-only methods see the move.
    assert_eq!(
        annex.by_kind(Kind::Double, None).await.ok(),
        Some(BTreeMap::from([
            ("match".to_string(), vec![102]),
            ("other".to_string(), vec![]),
        ]))
    );
    assert_eq!(
        f.grand.cheapest(5).await.map(|rooms| rooms.len()).ok(),
        Some(2)
    );
}

async fn a_retried_call_returns_the_recorded_outcome(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let touch = Request::new(
        "Room",
        f.rooms[0].id.as_ref(),
        Call::Method {
            method: "touch".into(),
            args: json!({}),
        },
    );
    assert_eq!(f.transport.send(&touch).await, Ok(Value::Null));
    assert_eq!(f.transport.send(&touch).await, Ok(Value::Null));
    assert_eq!(f.rooms[0].get_number().await.ok(), Some(102), "ran once");

    // A typed error is an outcome too: the retry gets it back without running again,
    // even though running again now would succeed.
    let reserve = Request::new(
        "Room",
        f.rooms[1].id.as_ref(),
        Call::Method {
            method: "reserve".into(),
            args: json!({
                "guest": f.ada.id.0,
                "from": JUNE.0,
                "to": JUNE.1,
                "kind": "Single",
                "extras": [],
            }),
        },
    );
    let first = f.transport.send(&reserve).await;
    assert_eq!(
        first,
        Err(Error::User {
            name: "SoldOut".into(),
            data: json!({}),
        })
    );
    f.rooms[1].set_kind(Kind::Single).await.expect("kind set");
    assert_eq!(f.transport.send(&reserve).await, first);
    assert_eq!(f.ada.get_name().await.ok(), Some("Ada".into()));
}

/// The room numbers of the fixture's rooms, in order.
async fn numbers(f: &Fixture) -> Vec<i64> {
    let mut numbers = Vec::new();
    for room in &f.rooms {
        numbers.push(room.get_number().await.expect("a number"));
    }
    numbers
}

/// `id.later().method(…)` queues the call with the commit of the call that makes it: it
/// has not run when that call returns, runs once the outbox is delivered, and never
/// again, however often the outbox is delivered after.
async fn queued_calls_run_after_the_commit_exactly_once(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    assert_eq!(f.grand.touch_all().await, Ok(3));
    assert_eq!(numbers(&f).await, [101, 102, 103], "nothing ran yet");
    let runtime = f.transport.runtime();
    assert_eq!(runtime.deliver_outbox(100).await, Ok(3));
    assert_eq!(numbers(&f).await, [102, 103, 104]);
    assert_eq!(runtime.deliver_outbox(100).await, Ok(0));
    assert_eq!(numbers(&f).await, [102, 103, 104], "each ran exactly once");
}

/// With `Delivery::BeforeReply`, what a call queued has run when it returns; with the
/// default `Delivery::Background`, a task of the transport delivers it without the
/// application running a collector.
async fn the_in_process_transport_delivers_queued_calls_by_itself(store: Arc<dyn Store>) {
    let f = fixture_delivering(store.clone(), Delivery::BeforeReply).await;
    assert_eq!(f.grand.touch_all().await, Ok(3));
    assert_eq!(
        numbers(&f).await,
        [102, 103, 104],
        "delivered before the reply"
    );
    assert_eq!(f.transport.runtime().deliver_outbox(100).await, Ok(0));

    let background = methods_handlers::in_process(store, Hotels);
    assert_eq!(background.delivery(), Delivery::default());
    let client = Client::new(background.clone());
    client
        .hotel(f.grand.id.clone())
        .touch_all()
        .await
        .expect("queued");
    // Wait for the effect: the background task delivers on its own. The bound is only
    // there so that a task that never delivers fails the test instead of hanging it.
    let delivered = tokio::time::timeout(std::time::Duration::from_secs(120), async {
        loop {
            if numbers(&f).await == [103, 104, 105] {
                return;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(
        delivered.is_ok(),
        "not delivered in the background: {:?}",
        numbers(&f).await
    );
    // Delivering again (the task may not have removed the last message yet) runs nothing
    // twice.
    background
        .runtime()
        .deliver_outbox(100)
        .await
        .expect("delivered");
    assert_eq!(numbers(&f).await, [103, 104, 105], "each ran exactly once");
}
