//! The nine tasks through the generated hotel client and the application's methods
//! (`examples/hotel`): every call exactly once, on the runtime.

use std::sync::Arc;

use async_trait::async_trait;
use hotel_app::HotelApp;
use hotel_client::Client;
use hotel_model::room::ReserveError;
use hotel_model::user;
use nubes_runtime::{Error, Store};

use super::tasks::{reservations_answer, Answer, Call, Tasks};
use crate::BoxError;

/// The nine tasks through the generated client.
pub struct ExactlyOnce {
    client: Client,
}

/// The generated client of the hotel application in process over `store`, its tables
/// made if missing.
pub async fn in_process_client(store: Arc<dyn Store>) -> Result<Client, BoxError> {
    let transport = hotel_handlers::in_process(store, HotelApp)
        .with_tables()
        .await?;
    Ok(Client::new(transport))
}

impl ExactlyOnce {
    /// The tasks through `client`.
    pub fn new(client: Client) -> Self {
        ExactlyOnce { client }
    }
}

#[async_trait]
impl Tasks for ExactlyOnce {
    fn name(&self) -> &'static str {
        "exactly-once"
    }

    async fn run(&self, call: &Call) -> Result<Answer, BoxError> {
        let client = &self.client;
        let answered = match call {
            Call::Register {
                email,
                first_name,
                last_name,
                password,
            } => {
                let init = user::Init {
                    email: email.clone(),
                    first_name: first_name.clone(),
                    last_name: last_name.clone(),
                    password: password.clone(),
                };
                client.users().create(init).await.map(|_| Answer::Done)
            }
            Call::DeleteUser { email } => client
                .user(email.as_str())
                .delete()
                .await
                .map(|()| Answer::Done),
            Call::SetRate { hotel, rate } => client
                .hotel(hotel.as_str())
                .set_rate(*rate)
                .await
                .map(|()| Answer::Done),
            Call::Reserve {
                room,
                guest,
                check_in,
                check_out,
            } => {
                // The typed client carries dates only: text that is not one is what the
                // handlers refuse as a validation error before reading anything.
                let (Ok(check_in), Ok(check_out)) = (
                    check_in.parse::<hotel_model::Date>(),
                    check_out.parse::<hotel_model::Date>(),
                ) else {
                    return Ok(Answer::Refused("Validation".into()));
                };
                let reserved = client
                    .room(room.as_str())
                    .reserve(guest.as_str(), check_in, check_out)
                    .await;
                return match reserved {
                    Ok(_) => Ok(Answer::Reserved),
                    Err(ReserveError::Overlap(_)) => Ok(Answer::Refused("Overlap".into())),
                    Err(ReserveError::InvalidDates(_)) => {
                        Ok(Answer::Refused("InvalidDates".into()))
                    }
                    Err(ReserveError::Runtime(error)) => refusal(error),
                };
            }
            Call::RecommendByLocation { city, point, count } => client
                .city(city.as_str())
                .recommend_by_location(point.clone(), *count)
                .await
                .map(|hotels| Answer::Hotels(hotels.into_iter().map(|h| h.id).collect())),
            Call::RecommendByRate { city, count } => client
                .city(city.as_str())
                .recommend_by_rate(*count)
                .await
                .map(|hotels| Answer::Hotels(hotels.into_iter().map(|h| h.id).collect())),
            Call::Login { email, password } => client
                .user(email.as_str())
                .login(password.as_str())
                .await
                .map(Answer::Bool),
            Call::GetHotels { city } => client
                .city(city.as_str())
                .hotels()
                .await
                .map(|hotels| Answer::Hotels(hotels.into_iter().map(|h| h.id).collect())),
            Call::GetUserReservations { email } => {
                client.user(email.as_str()).reservations().await.map(|all| {
                    reservations_answer(
                        all.into_iter()
                            .map(|r| (r.room.0, r.check_in.to_string(), r.check_out.to_string())),
                    )
                })
            }
        };
        answered.or_else(refusal)
    }
}

/// A runtime error as the refusal it stands for; any other error is a failure.
fn refusal(error: Error) -> Result<Answer, BoxError> {
    match error {
        Error::NotFound { type_name, .. } => Ok(Answer::Refused(format!("NotFound({type_name})"))),
        Error::AlreadyExists { .. } => Ok(Answer::Refused("AlreadyExists".into())),
        Error::Validation { .. } => Ok(Answer::Refused("Validation".into())),
        other => Err(other.into()),
    }
}
