//! The calls a history is made of: the nine tasks of the hotel benchmark, creating and
//! deleting its cities, hotels and rooms, and cancelling reservations — each as a
//! [`Task`] with its arguments — and the [`Record`] of one call as a client saw it.

use nubes_runtime::{Error, InvocationId, Request};
use serde_json::Value;

use crate::requests;

/// One call a client makes, with its arguments.
#[derive(Debug, Clone, PartialEq)]
pub enum Task {
    /// User registration: creates the user.
    Register {
        /// The user's e-mail address (its id).
        email: String,
        /// Given name.
        first: String,
        /// Family name.
        last: String,
        /// The password it registers with.
        password: String,
    },
    /// Delete user.
    DeleteUser {
        /// The user.
        email: String,
    },
    /// Set hotel rate.
    SetRate {
        /// The hotel.
        hotel: String,
        /// The new rate.
        rate: f64,
    },
    /// Reserve a room for a guest.
    Reserve {
        /// The room.
        room: String,
        /// The guest's e-mail address.
        guest: String,
        /// The first night.
        check_in: String,
        /// The morning of departure.
        check_out: String,
    },
    /// Recommend by location.
    RecommendByLocation {
        /// The city.
        city: String,
        /// Where from: latitude and longitude.
        point: (f64, f64),
        /// How many hotels at most.
        count: i64,
    },
    /// Recommend by rate.
    RecommendByRate {
        /// The city.
        city: String,
        /// How many hotels at most.
        count: i64,
    },
    /// Login.
    Login {
        /// The user.
        email: String,
        /// The password tried.
        password: String,
    },
    /// Get hotels: the hotels of a city.
    GetHotels {
        /// The city.
        city: String,
    },
    /// Get user reservations.
    GetUserReservations {
        /// The user.
        email: String,
    },
    /// Creates a city.
    CreateCity {
        /// Its name (its id).
        city: String,
        /// Its country.
        country: String,
    },
    /// Deletes a city.
    DeleteCity {
        /// The city.
        city: String,
    },
    /// Creates a hotel in a city.
    CreateHotel {
        /// Its id.
        hotel: String,
        /// Its name.
        name: String,
        /// Its rate.
        rate: f64,
        /// Where it is: latitude and longitude.
        location: (f64, f64),
        /// Its city.
        city: String,
    },
    /// Deletes a hotel.
    DeleteHotel {
        /// The hotel.
        hotel: String,
    },
    /// Creates a room of a hotel.
    CreateRoom {
        /// Its id.
        room: String,
        /// Its number.
        number: i64,
        /// The price of a night, in cents.
        price: i64,
        /// Its hotel.
        hotel: String,
    },
    /// Deletes a room.
    DeleteRoom {
        /// The room.
        room: String,
    },
    /// Cancels a reservation: deletes it.
    CancelReservation {
        /// The reservation.
        reservation: String,
    },
}

impl Task {
    /// The request that makes this call under invocation id `id`.
    pub fn request(&self, id: &InvocationId) -> Request {
        match self {
            Task::Register {
                email,
                first,
                last,
                password,
            } => requests::register(id, email, (first, last), password),
            Task::DeleteUser { email } => requests::delete_user(id, email),
            Task::SetRate { hotel, rate } => requests::set_rate(id, hotel, *rate),
            Task::Reserve {
                room,
                guest,
                check_in,
                check_out,
            } => requests::reserve(id, room, guest, check_in, check_out),
            Task::RecommendByLocation { city, point, count } => {
                requests::recommend_by_location(id, city, *point, *count)
            }
            Task::RecommendByRate { city, count } => requests::recommend_by_rate(id, city, *count),
            Task::Login { email, password } => requests::login(id, email, password),
            Task::GetHotels { city } => requests::get_hotels(id, city),
            Task::GetUserReservations { email } => requests::get_user_reservations(id, email),
            Task::CreateCity { city, country } => requests::create_city(id, city, country),
            Task::DeleteCity { city } => requests::delete(id, "City", city),
            Task::CreateHotel {
                hotel,
                name,
                rate,
                location,
                city,
            } => requests::create_hotel(id, hotel, name, *rate, *location, city),
            Task::DeleteHotel { hotel } => requests::delete(id, "Hotel", hotel),
            Task::CreateRoom {
                room,
                number,
                price,
                hotel,
            } => requests::create_room(id, room, *number, *price, hotel),
            Task::DeleteRoom { room } => requests::delete(id, "Room", room),
            Task::CancelReservation { reservation } => {
                requests::delete(id, "Reservation", reservation)
            }
        }
    }

    /// The object the call is addressed to: its type and id.
    pub fn target(&self) -> (&'static str, &str) {
        match self {
            Task::Register { email, .. }
            | Task::DeleteUser { email }
            | Task::Login { email, .. }
            | Task::GetUserReservations { email } => ("User", email),
            Task::SetRate { hotel, .. }
            | Task::CreateHotel { hotel, .. }
            | Task::DeleteHotel { hotel } => ("Hotel", hotel),
            Task::Reserve { room, .. }
            | Task::CreateRoom { room, .. }
            | Task::DeleteRoom { room } => ("Room", room),
            Task::RecommendByLocation { city, .. }
            | Task::RecommendByRate { city, .. }
            | Task::GetHotels { city }
            | Task::CreateCity { city, .. }
            | Task::DeleteCity { city } => ("City", city),
            Task::CancelReservation { reservation } => ("Reservation", reservation),
        }
    }

    /// The task's name, for summaries: `reserve`, `delete-city` …
    pub fn name(&self) -> &'static str {
        match self {
            Task::Register { .. } => "register",
            Task::DeleteUser { .. } => "delete-user",
            Task::SetRate { .. } => "set-rate",
            Task::Reserve { .. } => "reserve",
            Task::RecommendByLocation { .. } => "recommend-by-location",
            Task::RecommendByRate { .. } => "recommend-by-rate",
            Task::Login { .. } => "login",
            Task::GetHotels { .. } => "get-hotels",
            Task::GetUserReservations { .. } => "get-user-reservations",
            Task::CreateCity { .. } => "create-city",
            Task::DeleteCity { .. } => "delete-city",
            Task::CreateHotel { .. } => "create-hotel",
            Task::DeleteHotel { .. } => "delete-hotel",
            Task::CreateRoom { .. } => "create-room",
            Task::DeleteRoom { .. } => "delete-room",
            Task::CancelReservation { .. } => "cancel-reservation",
        }
    }

    /// True for the calls that only read: they never write, so they never commit.
    pub fn is_read_only(&self) -> bool {
        matches!(
            self,
            Task::RecommendByLocation { .. }
                | Task::RecommendByRate { .. }
                | Task::Login { .. }
                | Task::GetHotels { .. }
                | Task::GetUserReservations { .. }
        )
    }

    /// True when `answer` to this call is one the runtime records with a commit
    /// (`docs/runtime.md`): every answer of a changing call except the refusals it gives
    /// without writing — its target missing (`NotFound` of the target, or of a parent a
    /// create names), `AlreadyExists`, `Validation` (a delete of an object with children).
    /// `reserve` records its typed errors and the `NotFound` of its guest on the room; a
    /// create of an object still being deleted (its relationships still being removed
    /// through the outbox) records that refusal on the tombstone.
    pub fn answer_is_recorded(&self, answer: &Result<Value, Error>) -> bool {
        if self.is_read_only() {
            return false;
        }
        match answer {
            Ok(_) | Err(Error::User { .. }) => true,
            Err(Error::NotFound { type_name, .. }) => {
                matches!(self, Task::Reserve { .. }) && type_name == "User"
            }
            Err(Error::Validation { message }) => {
                self.is_create() && message.contains("still being deleted")
            }
            Err(_) => false,
        }
    }

    /// True for the calls that create their target.
    pub fn is_create(&self) -> bool {
        matches!(
            self,
            Task::Register { .. }
                | Task::CreateCity { .. }
                | Task::CreateHotel { .. }
                | Task::CreateRoom { .. }
        )
    }
}

/// One call as its client saw it.
#[derive(Debug, Clone)]
pub struct Record {
    /// Its invocation id, the same on every retry.
    pub id: InvocationId,
    /// What it asked.
    pub task: Task,
    /// Its final answer: neither `Unavailable` nor `Conflict`, which the client retries.
    pub answer: Result<Value, Error>,
    /// How many times it was sent again after a retryable answer.
    pub retries: u32,
    /// The position in the commit log (its length) when the call was first sent.
    pub sent_at: usize,
    /// The position in the commit log when its final answer came.
    pub answered_at: usize,
    /// The wall clock when the call was first sent, in milliseconds since the epoch.
    pub sent_ms: u64,
    /// The wall clock when its final answer came, in milliseconds since the epoch.
    pub answered_ms: u64,
    /// The answers to duplicates sent after the final answer (each retried to a final
    /// answer).
    pub duplicates: Vec<Result<Value, Error>>,
}
