//! The nine tasks of the hotel benchmark, as calls any implementation can answer, and
//! their answers in a form every implementation gives alike (ids made by a call, which
//! differ from one implementation to another, are left out).

use async_trait::async_trait;
use hotel_model::GeoPoint;
use serde::{Deserialize, Serialize};

use super::workload::Task;
use crate::BoxError;

/// One call of one of the nine tasks, with its arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Call {
    /// User registration: a new `User`.
    Register {
        /// The e-mail address, the user's id.
        email: String,
        /// Given name.
        first_name: String,
        /// Family name.
        last_name: String,
        /// The password as the client sends it.
        password: String,
    },
    /// Delete user: the user and their side of every reservation they are a guest on.
    DeleteUser {
        /// The user's e-mail address.
        email: String,
    },
    /// Set hotel rate.
    SetRate {
        /// The hotel's id.
        hotel: String,
        /// The new rate.
        rate: f64,
    },
    /// Reserve: `Room.reserve`.
    Reserve {
        /// The room's id.
        room: String,
        /// The guest's e-mail address.
        guest: String,
        /// The first night, `YYYY-MM-DD`.
        check_in: String,
        /// The morning of departure, `YYYY-MM-DD`.
        check_out: String,
    },
    /// Recommend by location: `City.recommendByLocation`.
    RecommendByLocation {
        /// The city's name.
        city: String,
        /// Where the guest is.
        point: GeoPoint,
        /// How many hotels at most.
        count: i64,
    },
    /// Recommend by rate: `City.recommendByRate`.
    RecommendByRate {
        /// The city's name.
        city: String,
        /// How many hotels at most.
        count: i64,
    },
    /// Login: `User.login`.
    Login {
        /// The user's e-mail address.
        email: String,
        /// The password given.
        password: String,
    },
    /// Get a city's hotels.
    GetHotels {
        /// The city's name.
        city: String,
    },
    /// Get a user's reservations.
    GetUserReservations {
        /// The user's e-mail address.
        email: String,
    },
}

impl Call {
    /// The task this is a call of.
    pub fn task(&self) -> Task {
        match self {
            Call::Register { .. } => Task::Register,
            Call::DeleteUser { .. } => Task::DeleteUser,
            Call::SetRate { .. } => Task::SetRate,
            Call::Reserve { .. } => Task::Reserve,
            Call::RecommendByLocation { .. } => Task::RecommendByLocation,
            Call::RecommendByRate { .. } => Task::RecommendByRate,
            Call::Login { .. } => Task::Login,
            Call::GetHotels { .. } => Task::GetHotels,
            Call::GetUserReservations { .. } => Task::GetUserReservations,
        }
    }
}

/// What a call answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Answer {
    /// A change that returns nothing was made (register, delete user, set rate).
    Done,
    /// `reserve` booked the nights (the new reservation's id is left out).
    Reserved,
    /// A yes or no (login).
    Bool(bool),
    /// Hotels, as ids in the order given.
    Hotels(Vec<String>),
    /// Reservations, as `(room, check-in, check-out)`, sorted.
    Reservations(Vec<(String, String, String)>),
    /// The call was refused: `NotFound(Type)`, `AlreadyExists`, `Validation`, `Overlap`
    /// or `InvalidDates`.
    Refused(String),
}

/// An implementation of the nine tasks.
#[async_trait]
pub trait Tasks: Send + Sync {
    /// The implementation's name, as reports show it.
    fn name(&self) -> &'static str;

    /// Runs `call`; refusals are answers, failures of the store or transport errors.
    async fn run(&self, call: &Call) -> Result<Answer, BoxError>;
}

/// Reservations as an [`Answer`]: `(room, check-in, check-out)`, sorted.
pub fn reservations_answer(
    reservations: impl IntoIterator<Item = (String, String, String)>,
) -> Answer {
    let mut stays: Vec<_> = reservations.into_iter().collect();
    stays.sort();
    Answer::Reservations(stays)
}
