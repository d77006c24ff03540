//! The benchmark's dataset, in the proportions of the original evaluation — 5 cities ×
//! 100 hotels × 25 rooms × 20 reservations a room, and 50,000 users at scale 1 — made
//! through the generated client, so it holds exactly what the application writes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hotel_client::Client;
use hotel_model::{city, hotel, room, user, GeoPoint};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::task::JoinSet;

use crate::BoxError;

/// The cities, with where their hotels are.
const CITIES: [(&str, f64, f64); 5] = [
    ("Lisbon", 38.72, -9.14),
    ("Porto", 41.15, -8.61),
    ("Madrid", 40.42, -3.70),
    ("Paris", 48.86, 2.35),
    ("Berlin", 52.52, 13.40),
];

/// 2026-01-01, in days since the Unix epoch: the first night of the seeded stays.
const FIRST_NIGHT: i64 = 20_454;

/// How many rooms are filled at once while seeding.
const ROOMS_AT_ONCE: usize = 16;

/// How many of each object the dataset holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// Cities (5 at every scale).
    pub cities: usize,
    /// Hotels in each city.
    pub hotels_per_city: usize,
    /// Rooms in each hotel.
    pub rooms_per_hotel: usize,
    /// Reservations of each room.
    pub reservations_per_room: usize,
    /// Users.
    pub users: usize,
}

impl Sizes {
    /// The sizes at `scale` (1.0: the original evaluation's): hotels and users grow with
    /// it (at least one hotel a city and ten users); rooms and reservations per room stay.
    pub fn at_scale(scale: f64) -> Sizes {
        let scaled = |full: f64, least: usize| ((full * scale).round() as usize).max(least);
        Sizes {
            cities: CITIES.len(),
            hotels_per_city: scaled(100.0, 1),
            rooms_per_hotel: 25,
            reservations_per_room: 20,
            users: scaled(50_000.0, 10),
        }
    }

    /// Every object the dataset holds.
    pub fn objects(&self) -> u64 {
        let hotels = self.cities * self.hotels_per_city;
        let rooms = hotels * self.rooms_per_hotel;
        (self.cities + hotels + rooms + rooms * self.reservations_per_room + self.users) as u64
    }
}

/// The ids of what was seeded.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// The cities' names.
    pub cities: Vec<String>,
    /// Every hotel's id.
    pub hotels: Vec<String>,
    /// Every room's id.
    pub rooms: Vec<String>,
    /// Every user's e-mail address; user `n`'s password is [`password`]`(n)`.
    pub users: Vec<String>,
}

/// The password of the `n`-th seeded user.
pub fn password(n: usize) -> String {
    format!("secret-{n}")
}

/// The night `n` days after the first seeded night.
pub fn night(n: i64) -> hotel_model::Date {
    nubes_runtime::jiff::civil::date(1970, 1, 1)
        .checked_add(nubes_runtime::jiff::ToSpan::days(FIRST_NIGHT + n))
        .expect("the nights of the benchmark lie well inside jiff's range of dates")
}

/// What seeding took.
#[derive(Debug, Clone, Copy)]
pub struct Seeded {
    /// Objects made.
    pub objects: u64,
    /// How long it took.
    pub took: Duration,
}

impl Seeded {
    /// Objects made per second.
    pub fn rate(&self) -> f64 {
        self.objects as f64 / self.took.as_secs_f64().max(1e-9)
    }
}

/// Makes a dataset of `sizes` through `client`; guests of the reservations are chosen
/// with `seed`. Shows progress on `progress` (hidden when not on a terminal).
pub async fn seed(
    client: &Client,
    sizes: Sizes,
    seed: u64,
    progress: &ProgressBar,
) -> Result<(Dataset, Seeded), BoxError> {
    let started = Instant::now();
    progress.set_length(sizes.objects());
    progress.set_style(ProgressStyle::with_template(
        "seeding {bar:40} {pos}/{len} objects, {per_sec}, {eta} left",
    )?);
    let mut data = Dataset::default();
    for n in 0..sizes.users {
        let init = user::Init {
            email: format!("user{n}@example.com"),
            first_name: format!("First{n}"),
            last_name: format!("Last{n}"),
            password: password(n),
        };
        data.users.push(client.users().create(init).await?.id.0);
        progress.inc(1);
    }
    for (name, lat, lon) in CITIES.iter().take(sizes.cities) {
        let init = city::Init {
            name: (*name).into(),
            country: "Europe".into(),
        };
        client.cities().create(init).await?;
        data.cities.push((*name).into());
        progress.inc(1);
        for h in 0..sizes.hotels_per_city {
            let init = hotel::Init {
                name: format!("{name} hotel {h}"),
                rate: 1.0 + (h % 9) as f64 * 0.5,
                location: GeoPoint {
                    lat: lat + 0.001 * (h % 50) as f64,
                    lon: lon + 0.001 * (h / 50) as f64,
                },
                city: (*name).into(),
            };
            let hotel = client.hotels().create(init).await?.id;
            progress.inc(1);
            for number in 0..sizes.rooms_per_hotel {
                let init = room::Init {
                    number: 100 + number as i64,
                    price: 8_000 + 500 * (number % 10) as i64,
                    hotel: hotel.clone(),
                };
                data.rooms.push(client.rooms().create(init).await?.id.0);
                progress.inc(1);
            }
            data.hotels.push(hotel.0);
        }
    }
    let users = Arc::new(data.users.clone());
    let mut rng = fastrand::Rng::with_seed(seed);
    for rooms in data.rooms.chunks(ROOMS_AT_ONCE) {
        let mut filling = JoinSet::new();
        for room in rooms {
            let guests: Vec<usize> = (0..sizes.reservations_per_room)
                .map(|_| rng.usize(..users.len()))
                .collect();
            let (client, users, room) = (client.clone(), users.clone(), room.clone());
            filling.spawn(async move { fill(&client, &room, &users, &guests).await });
        }
        while let Some(filled) = filling.join_next().await {
            filled??;
            progress.inc(sizes.reservations_per_room as u64);
        }
    }
    progress.finish_and_clear();
    let seeded = Seeded {
        objects: sizes.objects(),
        took: started.elapsed(),
    };
    Ok((data, seeded))
}

/// Books `room` for two nights every third night from the first, one stay per guest.
async fn fill(
    client: &Client,
    room: &str,
    users: &[String],
    guests: &[usize],
) -> Result<(), BoxError> {
    for (k, guest) in guests.iter().enumerate() {
        let first = 3 * k as i64;
        client
            .room(room)
            .reserve(users[*guest].as_str(), night(first), night(first + 2))
            .await
            .map_err(|error| format!("seeding a reservation of room {room}: {error}"))?;
    }
    Ok(())
}
