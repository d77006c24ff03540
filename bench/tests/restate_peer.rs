//! The Restate peer of the hotel benchmark answers like nubes: the small dataset of the
//! hotel tests is made through nubes' exactly-once client in process and, under the same
//! ids, in the `hotel-restate` virtual objects behind a `restate-server` (installed by
//! `scripts/restate --install`, which `scripts/test` runs), and the same script of calls
//! — every task, and every way each can be refused — runs on both.

mod support;

use std::sync::Arc;

use nubes_bench::hotel::exactly_once::in_process_client;
use nubes_bench::hotel::restate::{spawn_endpoint, RestateServer, RestateTasks};
use nubes_bench::hotel::{Answer, Call, ExactlyOnce, Tasks};
use nubes_bench::BoxError;
use nubes_runtime::store::sqlite::SqliteStore;
use nubes_runtime::Store;
use support::{Dataset, CITIES, COUNTRY, PRICE, ROOM_NUMBERS, STAY, USERS};

/// Makes the dataset `data` (seeded through nubes) in Restate, under the same ids.
async fn seed_restate(tasks: &RestateTasks, data: &Dataset) -> Result<(), BoxError> {
    for (c, (city, hotels)) in data.hotels.iter().enumerate() {
        assert_eq!(
            city, CITIES[c].0,
            "the dataset's cities are in the plan's order"
        );
        tasks.create_city(city, COUNTRY).await?;
        for (h, (hotel, rooms)) in hotels.iter().enumerate() {
            tasks
                .create_hotel(hotel, &support::hotel_init(c, h))
                .await?;
            for (room, number) in rooms.iter().zip(ROOM_NUMBERS) {
                let init = hotel_restate::RoomInit {
                    number,
                    price: PRICE,
                    hotel: hotel.clone(),
                };
                tasks.create_room(room, &init).await?;
            }
        }
    }
    for name in USERS {
        let init = support::user_init(name);
        let register = Call::Register {
            email: init.email,
            first_name: init.first_name,
            last_name: init.last_name,
            password: init.password,
        };
        assert_eq!(tasks.run(&register).await?, Answer::Done, "seeding {name}");
    }
    let (guest, check_in, check_out) = STAY;
    let reserve = Call::Reserve {
        room: data.hotels[0].1[0].1[0].clone(),
        guest: data.users[guest].clone(),
        check_in: check_in.into(),
        check_out: check_out.into(),
    };
    assert_eq!(
        tasks.run(&reserve).await?,
        Answer::Reserved,
        "seeding the stay"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restate_answers_like_nubes() -> Result<(), BoxError> {
    let binary = RestateServer::installed_binary().map_err(|error| {
        format!("{error}\nthe Restate peer's test needs restate-server: run `scripts/restate --install`")
    })?;
    let dir = std::env::temp_dir().join(format!("nubes-restate-peer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let server = RestateServer::builder(&dir).binary(binary).start().await?;
    let endpoint = spawn_endpoint().await?;
    let services = server.register(&endpoint).await?;
    let mut sorted = services.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["City", "Hotel", "Room", "User"],
        "registered services"
    );
    let restate = RestateTasks::new(server.ingress_url())?;

    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory()?);
    let client = in_process_client(store).await?;
    let data = support::seed(&client).await?;
    let nubes = ExactlyOnce::new(client);
    seed_restate(&restate, &data).await?;

    let mut mismatches = Vec::new();
    for call in support::script(&data) {
        let want = nubes
            .run(&call)
            .await
            .map_err(|error| format!("nubes on {call:?}: {error}"))?;
        let got = restate
            .run(&call)
            .await
            .map_err(|error| format!("restate on {call:?}: {error}"))?;
        if want != got {
            mismatches.push(format!("{call:?}\n  nubes:   {want:?}\n  restate: {got:?}"));
        }
    }
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        mismatches.is_empty(),
        "{} calls answered differently:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    Ok(())
}
