//! `City`, keyed by its name: its profile and a listing of each of its hotels, which the
//! hotels keep up to date, so the read-only handlers answer from the city's own state.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use restate_sdk::prelude::*;

use crate::geo::{distance_km, is_valid_point};
use crate::model::or_default;
use crate::model::{CityInit, Count, HotelListing, LocationQuery};
use crate::refusal::Refusal;

/// The state key of the city's fields.
const PROFILE: &str = "profile";
/// The state key of the city's hotels, by hotel id.
const HOTELS: &str = "hotels";

/// The city's hotels by id (so listed in id order).
type Hotels = BTreeMap<String, HotelListing>;

/// The `City` virtual object.
pub struct City;

#[restate_sdk::object(client_visibility = "pub(crate)")]
impl City {
    /// Creates the city; refuses `AlreadyExists` when it exists.
    #[handler(name = "create")]
    pub async fn create(
        &self,
        ctx: ObjectContext<'_>,
        init: Json<CityInit>,
    ) -> Result<(), HandlerError> {
        if ctx.get::<Json<CityInit>>(PROFILE).await?.is_some() {
            return Err(Refusal::AlreadyExists
                .because(format_args!("city `{}` exists", ctx.key()))
                .into());
        }
        ctx.set(PROFILE, init);
        Ok(())
    }

    /// Lists a new hotel of the city, or replaces its listing (called by `Hotel.create`
    /// and `Hotel.setRate`); refuses `NotFound(City)` when the city does not exist.
    #[handler(name = "putHotel")]
    pub async fn put_hotel(
        &self,
        ctx: ObjectContext<'_>,
        Json(listing): Json<HotelListing>,
    ) -> Result<(), HandlerError> {
        if ctx.get::<Json<CityInit>>(PROFILE).await?.is_none() {
            return Err(not_found(ctx.key()).into());
        }
        let mut hotels = or_default(ctx.get::<Json<Hotels>>(HOTELS).await?);
        hotels.insert(listing.id.clone(), listing);
        ctx.set(HOTELS, Json(hotels));
        Ok(())
    }

    /// The city's hotels in id order; none for a city that does not exist.
    #[handler(name = "getHotels")]
    pub async fn get_hotels(
        &self,
        ctx: SharedObjectContext<'_>,
    ) -> Result<Json<Vec<HotelListing>>, HandlerError> {
        Ok(Json(
            or_default(ctx.get::<Json<Hotels>>(HOTELS).await?)
                .into_values()
                .collect(),
        ))
    }

    /// The `count` hotels with the best rate, best first (equal rates by name, then id).
    /// Refuses `NotFound(City)`, then `Validation` for a negative count.
    #[handler(name = "recommendByRate")]
    pub async fn recommend_by_rate(
        &self,
        ctx: SharedObjectContext<'_>,
        Json(Count { count }): Json<Count>,
    ) -> Result<Json<Vec<HotelListing>>, HandlerError> {
        if ctx.get::<Json<CityInit>>(PROFILE).await?.is_none() {
            return Err(not_found(ctx.key()).into());
        }
        let mut hotels: Vec<HotelListing> = or_default(ctx.get::<Json<Hotels>>(HOTELS).await?)
            .into_values()
            .collect();
        let count = checked_count(count)?;
        hotels.sort_by(|a, b| b.rate.total_cmp(&a.rate).then_with(|| by_name(a, b)));
        hotels.truncate(count);
        Ok(Json(hotels))
    }

    /// The `count` hotels nearest to `point`, nearest first (equal distances by name, then
    /// id). Refuses `NotFound(City)`, then `Validation` for a negative count or a point
    /// off the earth.
    #[handler(name = "recommendByLocation")]
    pub async fn recommend_by_location(
        &self,
        ctx: SharedObjectContext<'_>,
        Json(LocationQuery { point, count }): Json<LocationQuery>,
    ) -> Result<Json<Vec<HotelListing>>, HandlerError> {
        if ctx.get::<Json<CityInit>>(PROFILE).await?.is_none() {
            return Err(not_found(ctx.key()).into());
        }
        let hotels = or_default(ctx.get::<Json<Hotels>>(HOTELS).await?);
        let count = checked_count(count)?;
        if !is_valid_point(&point) {
            return Err(Refusal::Validation
                .because(format_args!(
                    "`point` must have a latitude in [-90, 90] and a longitude in [-180, 180], not ({}, {})",
                    point.lat, point.lon
                ))
                .into());
        }
        let mut ranked: Vec<(f64, HotelListing)> = hotels
            .into_values()
            .map(|hotel| (distance_km(&point, &hotel.location), hotel))
            .collect();
        ranked.sort_by(|(da, a), (db, b)| da.total_cmp(db).then_with(|| by_name(a, b)));
        Ok(Json(
            ranked
                .into_iter()
                .take(count)
                .map(|(_, hotel)| hotel)
                .collect(),
        ))
    }
}

fn not_found(city: &str) -> TerminalError {
    Refusal::NotFound("City").because(format_args!("no city `{city}`"))
}

/// `count` as a length; negative counts are refused.
fn checked_count(count: i64) -> Result<usize, TerminalError> {
    usize::try_from(count).map_err(|_| {
        Refusal::Validation.because(format_args!("`count` must be 0 or more, not {count}"))
    })
}

/// Orders hotels by name, then id: the tie-break that keeps rankings stable.
fn by_name(a: &HotelListing, b: &HotelListing) -> Ordering {
    a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id))
}
