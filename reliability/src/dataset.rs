//! A small hotel: two cities of two hotels of two rooms, three users and one
//! reservation, made through a [`Transport`] with ids from an [`IdSource`], so that
//! every run stores the same bytes.

use nubes_runtime::{Error, Transport};
use serde_json::Value;

use crate::ids::IdSource;
use crate::requests;

/// The ids of what [`seed`] made.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The cities' names.
    pub cities: Vec<String>,
    /// The hotels' ids, per city (in the order of `cities`).
    pub hotels: Vec<Vec<String>>,
    /// The rooms' ids, per hotel, in the order of `hotels` flattened.
    pub rooms: Vec<Vec<String>>,
    /// The users' e-mail addresses.
    pub users: Vec<String>,
    /// Each user's password, in the order of `users`.
    pub passwords: Vec<String>,
    /// The reservation the dataset starts with: user 1 in the first room.
    pub reservation: String,
}

impl Dataset {
    /// Every hotel id.
    pub fn all_hotels(&self) -> impl Iterator<Item = &String> {
        self.hotels.iter().flatten()
    }

    /// Every room id.
    pub fn all_rooms(&self) -> impl Iterator<Item = &String> {
        self.rooms.iter().flatten()
    }
}

/// Makes the dataset through `server` (an `InProcess` runtime, or anything that serves
/// the hotel's requests; the tables must exist).
pub async fn seed(server: &dyn Transport, ids: &mut IdSource) -> Result<Dataset, Error> {
    let mut data = Dataset {
        cities: Vec::new(),
        hotels: Vec::new(),
        rooms: Vec::new(),
        users: Vec::new(),
        passwords: Vec::new(),
        reservation: String::new(),
    };
    for (c, (city, lat, lon)) in [("Lisbon", 38.72, -9.14), ("Porto", 41.15, -8.61)]
        .into_iter()
        .enumerate()
    {
        server
            .send(&requests::create_city(&ids.next_id(), city, "Portugal"))
            .await?;
        let mut hotels = Vec::new();
        for h in 0..2 {
            let hotel = format!("hotel-{c}-{h}");
            let point = (lat + 0.01 * h as f64, lon - 0.02 * h as f64);
            let name = format!("{city} {h}");
            let rate = [3.5, 4.5][h];
            let create = requests::create_hotel(&ids.next_id(), &hotel, &name, rate, point, city);
            server.send(&create).await?;
            let mut rooms = Vec::new();
            for number in [101, 102] {
                let room = format!("room-{c}-{h}-{number}");
                let create = requests::create_room(&ids.next_id(), &room, number, 9_000, &hotel);
                server.send(&create).await?;
                rooms.push(room);
            }
            data.rooms.push(rooms);
            hotels.push(hotel);
        }
        data.hotels.push(hotels);
        data.cities.push(city.to_string());
    }
    for name in ["ana", "ben", "eva"] {
        let email = format!("{name}@example.com");
        let password = format!("{name}-secret");
        let register = requests::register(&ids.next_id(), &email, (name, "Silva"), &password);
        server.send(&register).await?;
        data.users.push(email);
        data.passwords.push(password);
    }
    let reserve = requests::reserve(
        &ids.next_id(),
        &data.rooms[0][0],
        &data.users[1],
        "2027-03-01",
        "2027-03-04",
    );
    data.reservation = match server.send(&reserve).await? {
        Value::String(id) => id,
        other => {
            return Err(Error::validation(format!(
                "reserve answered {other}, not a reservation id"
            )))
        }
    };
    Ok(data)
}
