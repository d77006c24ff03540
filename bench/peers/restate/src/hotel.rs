//! `Hotel`, keyed by its id: its profile and its rooms' ids. Creating a hotel lists it in
//! its city, and a new rate is copied to the city's listing before `setRate` answers, so
//! a read of the city after it sees the rate.

use restate_sdk::prelude::*;

use crate::city::CityClient;
use crate::model::{HotelListing, HotelProfile, NewRate};
use crate::refusal::Refusal;

/// The state key of the hotel's fields.
const PROFILE: &str = "profile";
/// The state key of the ids of the hotel's rooms.
const ROOMS: &str = "rooms";

/// The `Hotel` virtual object.
pub struct Hotel;

#[restate_sdk::object(client_visibility = "pub(crate)")]
impl Hotel {
    /// Creates the hotel and lists it in its city. Refuses `AlreadyExists` when the hotel
    /// exists, `NotFound(City)` when its city does not.
    #[handler(name = "create")]
    pub async fn create(
        &self,
        ctx: ObjectContext<'_>,
        Json(profile): Json<HotelProfile>,
    ) -> Result<(), HandlerError> {
        if ctx.get::<Json<HotelProfile>>(PROFILE).await?.is_some() {
            return Err(Refusal::AlreadyExists
                .because(format_args!("hotel `{}` exists", ctx.key()))
                .into());
        }
        ctx.object_client::<CityClient>(profile.city.clone())
            .put_hotel(Json(listing(ctx.key(), &profile)))
            .call()
            .await?;
        ctx.set(PROFILE, Json(profile));
        Ok(())
    }

    /// Adds a room to the hotel (called by `Room.create`); refuses `NotFound(Hotel)`.
    #[handler(name = "addRoom")]
    pub async fn add_room(&self, ctx: ObjectContext<'_>, room: String) -> Result<(), HandlerError> {
        if ctx.get::<Json<HotelProfile>>(PROFILE).await?.is_none() {
            return Err(not_found(ctx.key()).into());
        }
        let mut rooms = ctx
            .get::<Json<Vec<String>>>(ROOMS)
            .await?
            .map(Json::into_inner)
            .unwrap_or_default();
        if !rooms.contains(&room) {
            rooms.push(room);
        }
        ctx.set(ROOMS, Json(rooms));
        Ok(())
    }

    /// Sets the hotel's rate and its city's copy of it. Refuses `Validation` for a rate
    /// that is not a finite number, then `NotFound(Hotel)`.
    #[handler(name = "setRate")]
    pub async fn set_rate(
        &self,
        ctx: ObjectContext<'_>,
        Json(NewRate { rate }): Json<NewRate>,
    ) -> Result<(), HandlerError> {
        let Some(rate) = rate.filter(|rate| rate.is_finite()) else {
            return Err(Refusal::Validation
                .because("`rate` must be a finite number")
                .into());
        };
        let Some(Json(mut profile)) = ctx.get::<Json<HotelProfile>>(PROFILE).await? else {
            return Err(not_found(ctx.key()).into());
        };
        profile.rate = rate;
        ctx.object_client::<CityClient>(profile.city.clone())
            .put_hotel(Json(listing(ctx.key(), &profile)))
            .call()
            .await?;
        ctx.set(PROFILE, Json(profile));
        Ok(())
    }

    /// The hotel's fields; refuses `NotFound(Hotel)`.
    #[handler(name = "get")]
    pub async fn get(
        &self,
        ctx: SharedObjectContext<'_>,
    ) -> Result<Json<HotelProfile>, HandlerError> {
        match ctx.get::<Json<HotelProfile>>(PROFILE).await? {
            Some(profile) => Ok(profile),
            None => Err(not_found(ctx.key()).into()),
        }
    }
}

/// The city's listing of the hotel `id`.
fn listing(id: &str, profile: &HotelProfile) -> HotelListing {
    HotelListing {
        id: id.to_string(),
        name: profile.name.clone(),
        rate: profile.rate,
        location: profile.location.clone(),
    }
}

fn not_found(hotel: &str) -> TerminalError {
    Refusal::NotFound("Hotel").because(format_args!("no hotel `{hotel}`"))
}
