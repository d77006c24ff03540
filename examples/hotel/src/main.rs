//! The hotel example end to end: `cargo run -p hotel-app`.
//!
//! Runs the generated client in process over a fresh embedded SQLite file and walks
//! through the nine tasks of the benchmark — registering users, reserving rooms (one
//! overlapping request is refused with the typed `Overlap` error), recommending hotels
//! by rate and by location, logging in, changing a rate, listing a user's reservations
//! and deleting a user — printing what happens. Exits non-zero on the first failure.

use std::error::Error as StdError;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use hotel_app::HotelApp;
use hotel_client::Client;
use hotel_model::room::ReserveError;
use hotel_model::{city, hotel, room, user, GeoPoint, Hotel};
use nubes_runtime::jiff::civil::date;
use nubes_runtime::store::sqlite::SqliteStore;

/// What the scenario's steps return.
type Outcome<T = ()> = Result<T, Box<dyn StdError>>;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hotel example failed: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The whole scenario.
async fn run() -> Outcome {
    let path = fresh_database_path()?;
    println!("store: SQLite file {}", path.display());
    let store = SqliteStore::open(&path)
        .map_err(|error| format!("cannot open the store at {}: {error}", path.display()))?;
    let store = Arc::new(store);
    let transport = hotel_handlers::in_process(store, HotelApp)
        .with_tables()
        .await?;
    let client = Client::new(transport);

    let lisbon = seed(&client).await?;
    reservations(&client, &lisbon).await?;
    recommendations(&client, &lisbon).await?;
    logins(&client).await?;
    Ok(())
}

/// A path for this run's database under the system's temp directory, with any file left
/// there by an earlier run removed.
fn fresh_database_path() -> Outcome<PathBuf> {
    let path = std::env::temp_dir().join("nubes-hotel-example.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        remove_if_present(Path::new(&file))?;
    }
    Ok(path)
}

/// Removes `path`; a file that is not there is fine.
fn remove_if_present(path: &Path) -> Outcome {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("cannot remove {}: {error}", path.display()).into())
        }
        _ => Ok(()),
    }
}

/// The hotels of the scenario: name, rate, latitude, longitude.
const LISBON_HOTELS: [(&str, f64, f64, f64); 3] = [
    ("Tejo Palace", 4.2, 38.7077, -9.1365),
    ("Alfama Inn", 4.6, 38.7115, -9.1300),
    ("Belém Lodge", 3.9, 38.6979, -9.2068),
];

/// Creates the city, its hotels with two rooms each, and two users; returns the city.
async fn seed(client: &Client) -> Outcome<city::Id> {
    let lisbon = client
        .cities()
        .create(city::Init {
            name: "Lisbon".into(),
            country: "Portugal".into(),
        })
        .await?;
    println!("created city {} (Portugal)", lisbon.id);
    for (name, rate, lat, lon) in LISBON_HOTELS {
        let hotel = client
            .hotels()
            .create(hotel::Init {
                name: name.into(),
                rate,
                location: GeoPoint { lat, lon },
                city: lisbon.id.clone(),
            })
            .await?;
        for (number, price) in [(101, 12_000), (102, 15_500)] {
            let init = room::Init {
                number,
                price,
                hotel: hotel.id.clone(),
            };
            client.rooms().create(init).await?;
        }
        println!("created hotel {name} (rate {rate}) with rooms 101 and 102");
    }
    for (email, first, last, password) in [
        ("ana@example.com", "Ana", "Silva", "hash-of-ana"),
        ("ben@example.com", "Ben", "Okafor", "hash-of-ben"),
    ] {
        let init = user::Init {
            email: email.into(),
            first_name: first.into(),
            last_name: last.into(),
            password: password.into(),
        };
        client.users().create(init).await?;
        println!("registered user {first} {last} <{email}>");
    }
    let hotels = client.city(lisbon.id.clone()).hotels().await?;
    println!(
        "{} has {} hotels: {}",
        lisbon.id,
        hotels.len(),
        names(&hotels)
    );
    Ok(lisbon.id)
}

/// Room 101 of the hotel called `name` in `city`.
async fn room_101(client: &Client, city: &city::Id, name: &str) -> Outcome<room::Id> {
    let hotels = client.city(city.clone()).hotels().await?;
    let hotel = hotels
        .iter()
        .find(|hotel| hotel.name == name)
        .ok_or_else(|| format!("no hotel called {name} in {city}"))?;
    let rooms = client.hotel(hotel.id()).rooms().await?;
    let room = rooms
        .iter()
        .find(|room| room.number == 101)
        .ok_or_else(|| format!("{name} has no room 101"))?;
    Ok(room.id())
}

/// Reserves, is refused for an overlap and for bad dates, lists reservations, deletes a
/// user.
async fn reservations(client: &Client, lisbon: &city::Id) -> Outcome {
    let room = client.room(room_101(client, lisbon, "Alfama Inn").await?);
    let (ana, ben) = (
        user::Id::from("ana@example.com"),
        user::Id::from("ben@example.com"),
    );
    let first = room
        .reserve(ana.clone(), date(2027, 6, 1), date(2027, 6, 4))
        .await?;
    println!("Ana reserved Alfama Inn room 101 for 2027-06-01 to 2027-06-04: reservation {first}");
    match room
        .reserve(ben.clone(), date(2027, 6, 3), date(2027, 6, 6))
        .await
    {
        Err(ReserveError::Overlap(overlap)) => println!(
            "Ben asked for 2027-06-03 to 2027-06-06: refused, it overlaps reservation {}",
            overlap.reservation
        ),
        Ok(id) => return Err(format!("the overlapping reservation {id} was accepted").into()),
        Err(other) => return Err(other.into()),
    }
    match room
        .reserve(ben.clone(), date(2027, 6, 9), date(2027, 6, 7))
        .await
    {
        Err(ReserveError::InvalidDates(bad)) => println!(
            "Ben asked for {} to {}: refused, check-out is not after check-in",
            bad.check_in, bad.check_out
        ),
        Ok(id) => return Err(format!("the backwards reservation {id} was accepted").into()),
        Err(other) => return Err(other.into()),
    }
    let free = room.is_free(date(2027, 6, 4), date(2027, 6, 6)).await?;
    println!("is room 101 free from 2027-06-04 to 2027-06-06? {free}");
    let second = room
        .reserve(ben.clone(), date(2027, 6, 4), date(2027, 6, 6))
        .await?;
    println!("Ben reserved it for 2027-06-04 to 2027-06-06 instead: reservation {second}");
    let belem = client.room(room_101(client, lisbon, "Belém Lodge").await?);
    belem
        .reserve(ana.clone(), date(2027, 7, 10), date(2027, 7, 12))
        .await?;
    println!("Ana reserved Belém Lodge room 101 for 2027-07-10 to 2027-07-12");
    print_reservations(client, &ana).await?;
    print_reservations(client, &ben).await?;

    client.user(ben.clone()).delete().await?;
    let guests = client.reservation(second.clone()).guests().await?;
    println!(
        "deleted user {ben}: exists now? {}; guests left on reservation {second}: {}",
        client.user(ben.clone()).exists().await?,
        guests.len()
    );
    Ok(())
}

/// Prints the reservations `user` is a guest on.
async fn print_reservations(client: &Client, user: &user::Id) -> Outcome {
    let mut list = client.user(user.clone()).reservations().await?;
    list.sort_by_key(|reservation| reservation.check_in);
    println!("{user} has {} reservation(s):", list.len());
    for reservation in list {
        println!(
            "  {} to {} (made {})",
            reservation.check_in, reservation.check_out, reservation.created_at
        );
    }
    Ok(())
}

/// Recommends by rate and by location, changes a rate and recommends again.
async fn recommendations(client: &Client, lisbon: &city::Id) -> Outcome {
    let city = client.city(lisbon.clone());
    let best = city.recommend_by_rate(2).await?;
    println!("best 2 by rate: {}", rated(&best));
    let hotels = city.hotels().await?;
    let belem = hotel_named(&hotels, "Belém Lodge")?;
    client.hotel(belem.id()).set_rate(4.9).await?;
    println!("set the rate of Belém Lodge to 4.9");
    let best = city.recommend_by_rate(2).await?;
    println!("best 2 by rate now: {}", rated(&best));
    let tower = GeoPoint {
        lat: 38.6916,
        lon: -9.2160,
    };
    let near = city.recommend_by_location(tower.clone(), 2).await?;
    let listed: Vec<String> = near
        .iter()
        .map(|hotel| {
            let km = hotel_app::geo::distance_km(&tower, &hotel.location);
            format!("{} ({km:.1} km)", hotel.name)
        })
        .collect();
    println!("nearest 2 to the Belém Tower: {}", listed.join(", "));
    Ok(())
}

/// The hotel called `name` among `hotels`.
fn hotel_named<'a>(hotels: &'a [Hotel], name: &str) -> Outcome<&'a Hotel> {
    hotels
        .iter()
        .find(|hotel| hotel.name == name)
        .ok_or_else(|| format!("no hotel called {name}").into())
}

/// Logs in with the right and with a wrong password.
async fn logins(client: &Client) -> Outcome {
    let ana = client.user("ana@example.com");
    let right = ana.login("hash-of-ana").await?;
    let wrong = ana.login("hash-of-someone").await?;
    println!("Ana logs in with her password: {right}; with a wrong one: {wrong}");
    Ok(())
}

/// Hotel names, comma-separated.
fn names(hotels: &[Hotel]) -> String {
    let names: Vec<&str> = hotels.iter().map(|hotel| hotel.name.as_str()).collect();
    names.join(", ")
}

/// Hotel names with their rates, comma-separated.
fn rated(hotels: &[Hotel]) -> String {
    let names: Vec<String> = hotels
        .iter()
        .map(|hotel| format!("{} ({})", hotel.name, hotel.rate))
        .collect();
    names.join(", ")
}
