//! What the hotel tests share: a small dataset, made through the generated client, and
//! one script of calls — every task, and every way each can be refused — that runs on
//! every implementation of the tasks.

use hotel_client::Client;
use hotel_model::{city, hotel, room, user, GeoPoint};
use nubes_bench::hotel::Call;
use nubes_bench::BoxError;

/// A hotel's id and its rooms' ids.
pub type HotelRooms = (String, Vec<String>);

/// The ids the script refers to.
pub struct Dataset {
    /// Per city, its name and hotels.
    pub hotels: Vec<(String, Vec<HotelRooms>)>,
    /// The users' e-mail addresses.
    pub users: Vec<String>,
}

/// The cities: name, and where their hotels are.
pub const CITIES: [(&str, f64, f64); 2] = [("Lisbon", 38.72, -9.14), ("Porto", 41.15, -8.61)];
/// The country of every city.
pub const COUNTRY: &str = "Portugal";
/// Hotels in each city.
pub const HOTELS_PER_CITY: usize = 3;
/// The numbers of each hotel's rooms.
pub const ROOM_NUMBERS: [i64; 2] = [101, 102];
/// The price of every room.
pub const PRICE: i64 = 9_000;
/// The users' given names.
pub const USERS: [&str; 3] = ["ana", "ben", "eva"];
/// The one seeded stay: user 1 in the first room of the first hotel of the first city.
pub const STAY: (usize, &str, &str) = (1, "2027-03-01", "2027-03-04");

/// The `h`-th hotel of the `c`-th city.
pub fn hotel_init(c: usize, h: usize) -> hotel::Init {
    let (name, lat, lon) = CITIES[c];
    hotel::Init {
        name: format!("{name} {h}"),
        rate: [3.5, 4.5, 3.5][h],
        location: GeoPoint {
            lat: lat + 0.01 * h as f64,
            lon: lon - 0.02 * (c + h) as f64,
        },
        city: name.into(),
    }
}

/// The user with the given name.
pub fn user_init(name: &str) -> user::Init {
    user::Init {
        email: format!("{name}@example.com"),
        first_name: name.into(),
        last_name: "Silva".into(),
        password: format!("{name}-secret"),
    }
}

/// Two cities of three hotels of two rooms, three users, and one reservation.
pub async fn seed(client: &Client) -> Result<Dataset, BoxError> {
    let mut hotels = Vec::new();
    for (c, (name, _, _)) in CITIES.into_iter().enumerate() {
        client
            .cities()
            .create(city::Init {
                name: name.into(),
                country: COUNTRY.into(),
            })
            .await?;
        let mut in_city = Vec::new();
        for h in 0..HOTELS_PER_CITY {
            let hotel = client.hotels().create(hotel_init(c, h)).await?.id;
            let mut rooms = Vec::new();
            for number in ROOM_NUMBERS {
                let init = room::Init {
                    number,
                    price: PRICE,
                    hotel: hotel.clone(),
                };
                rooms.push(client.rooms().create(init).await?.id.0);
            }
            in_city.push((hotel.0, rooms));
        }
        hotels.push((name.to_string(), in_city));
    }
    let mut users = Vec::new();
    for name in USERS {
        users.push(client.users().create(user_init(name)).await?.id.0);
    }
    let (guest, check_in, check_out) = STAY;
    let first_room = hotels[0].1[0].1[0].clone();
    client
        .room(first_room.as_str())
        .reserve(
            users[guest].as_str(),
            check_in.parse::<hotel_model::Date>()?,
            check_out.parse::<hotel_model::Date>()?,
        )
        .await?;
    Ok(Dataset { hotels, users })
}

/// Every task, and each way it can be refused.
pub fn script(data: &Dataset) -> Vec<Call> {
    let city = |c: usize| data.hotels[c].0.clone();
    let hotel = |c: usize, h: usize| data.hotels[c].1[h].0.clone();
    let room = |c: usize, h: usize, r: usize| data.hotels[c].1[h].1[r].clone();
    let user = |u: usize| data.users[u].clone();
    let reserve = |room: String, guest: String, check_in: &str, check_out: &str| Call::Reserve {
        room,
        guest,
        check_in: check_in.into(),
        check_out: check_out.into(),
    };
    let near = GeoPoint {
        lat: 38.73,
        lon: -9.15,
    };
    vec![
        Call::Login {
            email: user(0),
            password: "ana-secret".into(),
        },
        Call::Login {
            email: user(0),
            password: "wrong".into(),
        },
        Call::Login {
            email: "nobody@example.com".into(),
            password: "x".into(),
        },
        Call::Register {
            email: "zoe@example.com".into(),
            first_name: "Zoe".into(),
            last_name: "Lima".into(),
            password: "zoe-secret".into(),
        },
        Call::Register {
            email: user(2),
            first_name: "Eva".into(),
            last_name: "Again".into(),
            password: "x".into(),
        },
        Call::GetHotels { city: city(0) },
        Call::GetHotels {
            city: "Atlantis".into(),
        },
        Call::RecommendByRate {
            city: city(0),
            count: 2,
        },
        Call::RecommendByRate {
            city: city(1),
            count: 0,
        },
        Call::RecommendByRate {
            city: city(0),
            count: -1,
        },
        Call::RecommendByRate {
            city: "Atlantis".into(),
            count: 2,
        },
        Call::RecommendByLocation {
            city: city(0),
            point: near.clone(),
            count: 2,
        },
        Call::RecommendByLocation {
            city: city(1),
            point: near.clone(),
            count: 3,
        },
        Call::RecommendByLocation {
            city: city(0),
            point: GeoPoint {
                lat: 91.0,
                lon: 0.0,
            },
            count: 2,
        },
        Call::SetRate {
            hotel: hotel(0, 2),
            rate: 5.0,
        },
        Call::RecommendByRate {
            city: city(0),
            count: 3,
        },
        Call::SetRate {
            hotel: "no-such-hotel".into(),
            rate: 4.0,
        },
        Call::SetRate {
            hotel: hotel(0, 1),
            rate: f64::NAN,
        },
        reserve(room(0, 0, 0), user(0), "2027-03-10", "2027-03-12"),
        reserve(room(0, 0, 0), user(2), "2027-03-11", "2027-03-13"),
        reserve(room(0, 0, 0), user(2), "2027-03-03", "2027-03-05"),
        reserve(room(0, 0, 0), user(2), "2027-03-04", "2027-03-10"),
        reserve(room(1, 2, 1), user(0), "2027-03-10", "2027-03-12"),
        reserve(room(0, 1, 0), user(0), "2027-03-12", "2027-03-10"),
        reserve(room(0, 1, 0), user(0), "2027-02-30", "2027-03-02"),
        reserve(
            room(0, 1, 0),
            "nobody@example.com".into(),
            "2027-03-01",
            "2027-03-02",
        ),
        reserve("no-such-room".into(), user(0), "2027-03-01", "2027-03-02"),
        Call::GetUserReservations { email: user(0) },
        Call::GetUserReservations { email: user(1) },
        Call::GetUserReservations { email: user(2) },
        Call::DeleteUser { email: user(0) },
        Call::GetUserReservations { email: user(0) },
        Call::Login {
            email: user(0),
            password: "ana-secret".into(),
        },
        Call::DeleteUser { email: user(0) },
        reserve(room(0, 0, 1), user(0), "2027-03-10", "2027-03-12"),
        // The room keeps the deleted user's reservation: its nights stay booked.
        reserve(room(0, 0, 0), user(1), "2027-03-10", "2027-03-11"),
        Call::Register {
            email: user(0),
            first_name: "Ana".into(),
            last_name: "Again".into(),
            password: "ana-again".into(),
        },
        Call::Login {
            email: user(0),
            password: "ana-again".into(),
        },
    ]
}
