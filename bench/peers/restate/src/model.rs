//! The values the objects keep in their state and exchange in calls, all as JSON with
//! camel-case field names. Dates are `YYYY-MM-DD` text (they compare as dates when
//! compared as text), timestamps RFC 3339 text.

use restate_sdk::prelude::Json;
use serde::{Deserialize, Serialize};

/// A point on the earth, in degrees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude, from -90 to 90.
    pub lat: f64,
    /// Longitude, from -180 to 180.
    pub lon: f64,
}

/// A new city (its name is its key); also the city's `profile` state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CityInit {
    /// The country the city is in.
    pub country: String,
}

/// A new hotel (its id is its key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HotelInit {
    /// The hotel's name as shown to guests.
    pub name: String,
    /// The guests' rating, from 0 to 5.
    pub rate: f64,
    /// Where the hotel is.
    pub location: GeoPoint,
    /// The name of the city the hotel is in.
    pub city: String,
}

/// A hotel's `profile` state: its fields. The same shape as [`HotelInit`].
pub type HotelProfile = HotelInit;

/// What a city keeps of each of its hotels, so its read-only handlers answer without
/// calling the hotels; kept up to date by the hotel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HotelListing {
    /// The hotel's id.
    pub id: String,
    /// The hotel's name.
    pub name: String,
    /// The hotel's rate.
    pub rate: f64,
    /// Where the hotel is.
    pub location: GeoPoint,
}

/// A new room (its id is its key); also the room's `profile` state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomInit {
    /// The room number on the door.
    pub number: i64,
    /// The price of one night, in cents.
    pub price: i64,
    /// The id of the hotel the room belongs to.
    pub hotel: String,
}

/// A new user (the e-mail address is the key); also the user's `profile` state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInit {
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// The password as the client sent it.
    pub password: String,
}

/// `User.login`'s argument.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Login {
    /// The password given.
    pub password: String,
}

/// `Hotel.setRate`'s argument. JSON has no NaN or infinity (serde_json writes them as
/// `null`), so a rate that is not a finite number arrives as `None` and is refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewRate {
    /// The new rate.
    pub rate: Option<f64>,
}

/// `City.recommendByRate`'s argument.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Count {
    /// How many hotels at most; negative counts are refused.
    pub count: i64,
}

/// `City.recommendByLocation`'s argument.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationQuery {
    /// Where the guest is.
    pub point: GeoPoint,
    /// How many hotels at most; negative counts are refused.
    pub count: i64,
}

/// `Room.reserve`'s argument.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReserveRequest {
    /// The guest's e-mail address.
    pub guest: String,
    /// The first night, `YYYY-MM-DD`.
    pub check_in: String,
    /// The morning of departure, `YYYY-MM-DD`.
    pub check_out: String,
}

/// `Room.isFree`'s argument.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StayQuery {
    /// The first night, `YYYY-MM-DD`.
    pub check_in: String,
    /// The morning of departure, `YYYY-MM-DD`.
    pub check_out: String,
}

/// What `Room.reserve` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reserved {
    /// The new reservation's id.
    pub reservation: String,
}

/// A reservation as its room keeps it, in the room's `reservations` state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomReservation {
    /// The reservation's id.
    pub id: String,
    /// The first night.
    pub check_in: String,
    /// The morning of departure.
    pub check_out: String,
    /// When the reservation was made (RFC 3339).
    pub created_at: String,
    /// The e-mail addresses of the guests on it; a deleted user leaves it, the
    /// reservation stays (its nights stay booked).
    pub guests: Vec<String>,
}

/// A reservation as its guest keeps it, in the user's `reservations` state: a copy of the
/// room's, sent by the room when it is made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stay {
    /// The reservation's id.
    pub id: String,
    /// The id of the room booked.
    pub room: String,
    /// The first night.
    pub check_in: String,
    /// The morning of departure.
    pub check_out: String,
}

/// `Room.removeGuest`'s argument: a deleted user leaving a reservation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuestLeft {
    /// The reservation's id.
    pub reservation: String,
    /// The deleted user's e-mail address.
    pub guest: String,
}

/// A state value read with `ctx.get`, or the empty value when the object has none yet.
pub(crate) fn or_default<T: Default>(state: Option<Json<T>>) -> T {
    state.map(Json::into_inner).unwrap_or_default()
}
