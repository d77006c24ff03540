//! `User`, keyed by e-mail address: the profile and a copy of each reservation the user
//! is a guest on, which the room sends when it books the nights.

use restate_sdk::prelude::*;

use crate::model::or_default;
use crate::model::{GuestLeft, Login, Stay, UserInit};
use crate::refusal::Refusal;
use crate::room::{guest_not_found, RoomClient};

/// The state key of the user's fields.
const PROFILE: &str = "profile";
/// The state key of the user's reservations.
const RESERVATIONS: &str = "reservations";

/// The `User` virtual object.
pub struct User;

#[restate_sdk::object(client_visibility = "pub(crate)")]
impl User {
    /// Registers the user; refuses `AlreadyExists` when the user exists.
    #[handler(name = "register")]
    pub async fn register(
        &self,
        ctx: ObjectContext<'_>,
        init: Json<UserInit>,
    ) -> Result<(), HandlerError> {
        if ctx.get::<Json<UserInit>>(PROFILE).await?.is_some() {
            return Err(Refusal::AlreadyExists
                .because(format_args!("user `{}` exists", ctx.key()))
                .into());
        }
        ctx.set(PROFILE, init);
        Ok(())
    }

    /// Deletes the user and their copies of reservations, and sends each room a one-way
    /// `removeGuest` (a call would make Room → User → Room a cycle of exclusive
    /// handlers). Refuses `NotFound(User)`.
    #[handler(name = "delete")]
    pub async fn delete(&self, ctx: ObjectContext<'_>) -> Result<(), HandlerError> {
        if ctx.get::<Json<UserInit>>(PROFILE).await?.is_none() {
            return Err(guest_not_found(ctx.key()).into());
        }
        for stay in or_default(ctx.get::<Json<Vec<Stay>>>(RESERVATIONS).await?) {
            let left = GuestLeft {
                reservation: stay.id,
                guest: ctx.key().to_string(),
            };
            // Fire and forget: the message is journaled and delivered exactly once.
            drop(
                ctx.object_client::<RoomClient>(stay.room)
                    .remove_guest(Json(left))
                    .send(),
            );
        }
        ctx.clear_all();
        Ok(())
    }

    /// Records a copy of a new reservation (called by `Room.reserve`); refuses
    /// `NotFound(User)`.
    #[handler(name = "addReservation")]
    pub async fn add_reservation(
        &self,
        ctx: ObjectContext<'_>,
        Json(stay): Json<Stay>,
    ) -> Result<(), HandlerError> {
        if ctx.get::<Json<UserInit>>(PROFILE).await?.is_none() {
            return Err(guest_not_found(ctx.key()).into());
        }
        let mut all = or_default(ctx.get::<Json<Vec<Stay>>>(RESERVATIONS).await?);
        all.push(stay);
        ctx.set(RESERVATIONS, Json(all));
        Ok(())
    }

    /// True when `password` equals the stored one (compared in time independent of where
    /// they differ); refuses `NotFound(User)`.
    #[handler(name = "login")]
    pub async fn login(
        &self,
        ctx: SharedObjectContext<'_>,
        Json(Login { password }): Json<Login>,
    ) -> Result<bool, HandlerError> {
        let Some(Json(user)) = ctx.get::<Json<UserInit>>(PROFILE).await? else {
            return Err(guest_not_found(ctx.key()).into());
        };
        Ok(constant_time_eq(
            user.password.as_bytes(),
            password.as_bytes(),
        ))
    }

    /// True when the user exists.
    #[handler(name = "exists")]
    pub async fn exists(&self, ctx: SharedObjectContext<'_>) -> Result<bool, HandlerError> {
        Ok(ctx.get::<Json<UserInit>>(PROFILE).await?.is_some())
    }

    /// The reservations the user is a guest on; none for a user that does not exist.
    #[handler(name = "getReservations")]
    pub async fn get_reservations(
        &self,
        ctx: SharedObjectContext<'_>,
    ) -> Result<Json<Vec<Stay>>, HandlerError> {
        Ok(Json(or_default(
            ctx.get::<Json<Vec<Stay>>>(RESERVATIONS).await?,
        )))
    }
}

/// Byte equality whose running time depends on the lengths only.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}
