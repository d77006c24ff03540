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
pub const CITIES: [(&str, f64, f64); 5] = [
    ("Lisbon", 38.72, -9.14),
    ("Porto", 41.15, -8.61),
    ("Madrid", 40.42, -3.70),
    ("Paris", 48.86, 2.35),
    ("Berlin", 52.52, 13.40),
];

/// 2026-01-01, in days since the Unix epoch: the first night of the seeded stays.
const FIRST_NIGHT: i64 = 20_454;

/// How many rooms are filled at once while seeding.
pub const ROOMS_AT_ONCE: usize = 16;

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

/// The `n`-th seeded user.
pub fn user_init(n: usize) -> user::Init {
    user::Init {
        email: format!("user{n}@example.com"),
        first_name: format!("First{n}"),
        last_name: format!("Last{n}"),
        password: password(n),
    }
}

/// The city `name`.
pub fn city_init(name: &str) -> city::Init {
    city::Init {
        name: name.into(),
        country: "Europe".into(),
    }
}

/// The `h`-th hotel of the city `name`, whose hotels are around `(lat, lon)`.
pub fn hotel_init(name: &str, lat: f64, lon: f64, h: usize) -> hotel::Init {
    hotel::Init {
        name: format!("{name} hotel {h}"),
        rate: 1.0 + (h % 9) as f64 * 0.5,
        location: GeoPoint {
            lat: lat + 0.001 * (h % 50) as f64,
            lon: lon + 0.001 * (h / 50) as f64,
        },
        city: name.into(),
    }
}

/// The `number`-th room of `hotel`.
pub fn room_init(hotel: &hotel::Id, number: usize) -> room::Init {
    room::Init {
        number: 100 + number as i64,
        price: 8_000 + 500 * (number % 10) as i64,
        hotel: hotel.clone(),
    }
}

/// The guests of each room's seeded stays, room by room in the order of
/// [`Dataset::rooms`]: indexes into [`Dataset::users`], drawn with `seed`.
pub fn guests(sizes: Sizes, rooms: usize, users: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..rooms)
        .map(|_| {
            (0..sizes.reservations_per_room)
                .map(|_| rng.usize(..users))
                .collect()
        })
        .collect()
}

/// The nights of a room's `k`-th seeded stay: two nights every third night from the first.
pub fn stay(k: usize) -> (hotel_model::Date, hotel_model::Date) {
    let first = 3 * k as i64;
    (night(first), night(first + 2))
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
        data.users
            .push(client.users().create(user_init(n)).await?.id.0);
        progress.inc(1);
    }
    for (name, lat, lon) in CITIES.iter().take(sizes.cities) {
        client.cities().create(city_init(name)).await?;
        data.cities.push((*name).into());
        progress.inc(1);
        for h in 0..sizes.hotels_per_city {
            let init = hotel_init(name, *lat, *lon, h);
            let hotel = client.hotels().create(init).await?.id;
            progress.inc(1);
            for number in 0..sizes.rooms_per_hotel {
                let init = room_init(&hotel, number);
                data.rooms.push(client.rooms().create(init).await?.id.0);
                progress.inc(1);
            }
            data.hotels.push(hotel.0);
        }
    }
    let users = Arc::new(data.users.clone());
    let all_guests = guests(sizes, data.rooms.len(), users.len(), seed);
    let rooms: Vec<_> = data.rooms.iter().zip(all_guests).collect();
    for rooms in rooms.chunks(ROOMS_AT_ONCE) {
        let mut filling = JoinSet::new();
        for (room, guests) in rooms {
            let (client, users) = (client.clone(), users.clone());
            let (room, guests) = ((*room).clone(), guests.clone());
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

/// Books `room` for each [`stay`], one stay per guest.
async fn fill(
    client: &Client,
    room: &str,
    users: &[String],
    guests: &[usize],
) -> Result<(), BoxError> {
    for (k, guest) in guests.iter().enumerate() {
        let (check_in, check_out) = stay(k);
        client
            .room(room)
            .reserve(users[*guest].as_str(), check_in, check_out)
            .await
            .map_err(|error| format!("seeding a reservation of room {room}: {error}"))?;
    }
    Ok(())
}
