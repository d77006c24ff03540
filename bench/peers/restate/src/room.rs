//! `Room`, keyed by its id: its profile and its reservations. A reservation belongs to
//! its room, so the room decides whether nights are free, in its exclusive `reserve`;
//! the guest gets a copy through a request-response call before the room records it.

use jiff::civil::Date;
use restate_sdk::prelude::*;

use crate::hotel::HotelClient;
use crate::model::or_default;
use crate::model::{
    GuestLeft, ReserveRequest, Reserved, RoomInit, RoomReservation, Stay, StayQuery,
};
use crate::refusal::Refusal;
use crate::user::UserClient;

/// The state key of the room's fields.
const PROFILE: &str = "profile";
/// The state key of the room's reservations.
const RESERVATIONS: &str = "reservations";

/// The `Room` virtual object.
pub struct Room;

#[restate_sdk::object(client_visibility = "pub(crate)")]
impl Room {
    /// Creates the room and adds it to its hotel. Refuses `AlreadyExists` when the room
    /// exists, `NotFound(Hotel)` when its hotel does not.
    #[handler(name = "create")]
    pub async fn create(
        &self,
        ctx: ObjectContext<'_>,
        Json(init): Json<RoomInit>,
    ) -> Result<(), HandlerError> {
        if ctx.get::<Json<RoomInit>>(PROFILE).await?.is_some() {
            return Err(Refusal::AlreadyExists
                .because(format_args!("room `{}` exists", ctx.key()))
                .into());
        }
        ctx.object_client::<HotelClient>(init.hotel.clone())
            .add_room(ctx.key().to_string())
            .call()
            .await?;
        ctx.set(PROFILE, Json(init));
        Ok(())
    }

    /// Books the room for `guest` for the nights `[checkIn, checkOut)` and answers the
    /// new reservation's id.
    ///
    /// Refuses, in this order: `Validation` when a date is not a real `YYYY-MM-DD` date;
    /// `NotFound(Room)`; `InvalidDates` when `checkOut` is not after `checkIn`;
    /// `NotFound(User)` when the guest does not exist; `Overlap` (naming the earliest
    /// reservation in the way) when a night is booked. Otherwise the guest records a copy
    /// (`User.addReservation`, which refuses a missing guest), then the room records the
    /// reservation, stamped with the journaled current time.
    #[handler(name = "reserve")]
    pub async fn reserve(
        &self,
        mut ctx: ObjectContext<'_>,
        Json(request): Json<ReserveRequest>,
    ) -> Result<Json<Reserved>, HandlerError> {
        let (check_in, check_out) = dates(&request.check_in, &request.check_out)?;
        if ctx.get::<Json<RoomInit>>(PROFILE).await?.is_none() {
            return Err(not_found(ctx.key()).into());
        }
        if check_in >= check_out {
            return Err(Refusal::InvalidDates
                .because(format_args!(
                    "`checkOut` must be after `checkIn`, not `{check_out}` for `{check_in}`"
                ))
                .into());
        }
        let (check_in, check_out) = (check_in.to_string(), check_out.to_string());
        let mut booked = or_default(ctx.get::<Json<Vec<RoomReservation>>>(RESERVATIONS).await?);
        if let Some(existing) = first_overlap(&booked, &check_in, &check_out) {
            let existing = existing.id.clone();
            // An unknown guest is refused before an overlap, as the nubes application does.
            let known = ctx
                .object_client::<UserClient>(request.guest.clone())
                .exists()
                .call()
                .await?;
            if !known {
                return Err(guest_not_found(&request.guest).into());
            }
            return Err(Refusal::Overlap
                .because(format_args!(
                    "reservation `{existing}` has some of those nights"
                ))
                .into());
        }
        let id = ctx.rand_uuid().to_string();
        let stay = Stay {
            id: id.clone(),
            room: ctx.key().to_string(),
            check_in: check_in.clone(),
            check_out: check_out.clone(),
        };
        ctx.object_client::<UserClient>(request.guest.clone())
            .add_reservation(Json(stay))
            .call()
            .await?;
        let created_at = ctx
            .run(|| async { Ok(jiff::Timestamp::now().to_string()) })
            .name("now")
            .await?;
        booked.push(RoomReservation {
            id: id.clone(),
            check_in,
            check_out,
            created_at,
            guests: vec![request.guest],
        });
        ctx.set(RESERVATIONS, Json(booked));
        Ok(Json(Reserved { reservation: id }))
    }

    /// True when no reservation covers a night of `[checkIn, checkOut)`. Refuses
    /// `Validation` for a date that is not one, `NotFound(Room)`, then `Validation` for a
    /// stay without a night.
    #[handler(name = "isFree")]
    pub async fn is_free(
        &self,
        ctx: SharedObjectContext<'_>,
        Json(query): Json<StayQuery>,
    ) -> Result<bool, HandlerError> {
        let (check_in, check_out) = dates(&query.check_in, &query.check_out)?;
        if ctx.get::<Json<RoomInit>>(PROFILE).await?.is_none() {
            return Err(not_found(ctx.key()).into());
        }
        if check_in >= check_out {
            return Err(Refusal::Validation
                .because(format_args!(
                    "`checkOut` must be after `checkIn`, not `{check_out}` for `{check_in}`"
                ))
                .into());
        }
        let booked = or_default(ctx.get::<Json<Vec<RoomReservation>>>(RESERVATIONS).await?);
        Ok(first_overlap(&booked, &check_in.to_string(), &check_out.to_string()).is_none())
    }

    /// Takes a deleted guest off a reservation (a one-way message from `User.delete`);
    /// the reservation stays, its nights stay booked. A reservation the room does not
    /// have is left alone.
    #[handler(name = "removeGuest")]
    pub async fn remove_guest(
        &self,
        ctx: ObjectContext<'_>,
        Json(left): Json<GuestLeft>,
    ) -> Result<(), HandlerError> {
        let mut booked = or_default(ctx.get::<Json<Vec<RoomReservation>>>(RESERVATIONS).await?);
        let Some(reservation) = booked.iter_mut().find(|r| r.id == left.reservation) else {
            return Ok(());
        };
        reservation.guests.retain(|guest| *guest != left.guest);
        ctx.set(RESERVATIONS, Json(booked));
        Ok(())
    }
}

/// Both dates of a stay, or `Validation` when one is not a real `YYYY-MM-DD` date.
fn dates(check_in: &str, check_out: &str) -> Result<(Date, Date), TerminalError> {
    let date = |text: &str, name: &str| {
        text.parse::<Date>().map_err(|error| {
            Refusal::Validation.because(format_args!("`{name}` is not a date: {error}"))
        })
    };
    Ok((date(check_in, "checkIn")?, date(check_out, "checkOut")?))
}

/// The earliest reservation (by check-in, then id) sharing a night with the stay
/// `[check_in, check_out)`; `YYYY-MM-DD` dates compare as text.
fn first_overlap<'r>(
    booked: &'r [RoomReservation],
    check_in: &str,
    check_out: &str,
) -> Option<&'r RoomReservation> {
    booked
        .iter()
        .filter(|r| r.check_in.as_str() < check_out && check_in < r.check_out.as_str())
        .min_by(|a, b| a.check_in.cmp(&b.check_in).then_with(|| a.id.cmp(&b.id)))
}

fn not_found(room: &str) -> TerminalError {
    Refusal::NotFound("Room").because(format_args!("no room `{room}`"))
}

/// The refusal of a guest who is not a user.
pub(crate) fn guest_not_found(email: &str) -> TerminalError {
    Refusal::NotFound("User").because(format_args!("no user `{email}`"))
}
