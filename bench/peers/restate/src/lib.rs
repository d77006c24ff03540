//! The hotel application of `examples/hotel.nubes` written as Restate virtual objects, the
//! way Restate's documentation recommends: one object per entity, keyed by its id, with
//! its fields in the object's own keyed state, and the relationships between entities
//! kept consistent by calls between objects.
//!
//! | object | key | state | handlers |
//! |---|---|---|---|
//! | [`City`] | name | `profile`, `hotels` (a listing per hotel) | `create`, `putHotel`, shared `getHotels`, `recommendByRate`, `recommendByLocation` |
//! | [`Hotel`] | id | `profile`, `rooms` | `create`, `addRoom`, `setRate`, shared `get` |
//! | [`Room`] | id | `profile`, `reservations` (with their guests) | `create`, `reserve`, `removeGuest`, shared `isFree` |
//! | [`User`] | e-mail | `profile`, `reservations` (copies) | `register`, `delete`, `addReservation`, shared `login`, `exists`, `getReservations` |
//!
//! Request-response calls only go from an object to its owner (Hotel → City,
//! Room → Hotel) and from a room to a user (Room → User); the one message the other way
//! — a deleted user taking itself off its rooms' reservations — is one-way, so no cycle
//! of exclusive handlers waiting on each other can deadlock.
//!
//! Refusals are terminal errors whose message starts with the refusal's name (see
//! [`Refusal`]), so a client tells them from failures by status code and message alone.

mod city;
mod geo;
mod hotel;
mod model;
mod refusal;
mod room;
mod user;

pub use city::City;
pub use geo::{distance_km, is_valid_point};
pub use hotel::Hotel;
pub use model::{
    CityInit, Count, GeoPoint, GuestLeft, HotelInit, HotelListing, HotelProfile, LocationQuery,
    Login, NewRate, ReserveRequest, Reserved, RoomInit, RoomReservation, Stay, StayQuery, UserInit,
};
pub use refusal::Refusal;
pub use room::Room;
pub use user::User;

use restate_sdk::prelude::{Endpoint, HttpServer};

/// The endpoint serving the four objects.
pub fn endpoint() -> Endpoint {
    Endpoint::builder()
        .bind(City)
        .bind(Hotel)
        .bind(Room)
        .bind(User)
        .build()
}

/// Serves [`endpoint`] on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener) {
    HttpServer::new(endpoint()).serve(listener).await;
}
