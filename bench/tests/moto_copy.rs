//! The benchmark's bulk path to moto writes exactly what the runtime wrote: a small hotel
//! dataset seeded through the generated client on SQLite, copied item for item to a
//! DynamoDB-API server (moto, started by `scripts/moto`), reads back the same from both
//! stores, and the same calls answer alike on each.

use std::sync::Arc;

use indicatif::ProgressBar;
use nubes_bench::hotel::dataset::{self, Sizes};
use nubes_bench::hotel::exactly_once::in_process_client;
use nubes_bench::hotel::{moto, Call, ExactlyOnce, Tasks};
use nubes_bench::BoxError;
use nubes_runtime::store::dynamo::DynamoStore;
use nubes_runtime::store::sqlite::SqliteStore;
use nubes_runtime::store::Key;
use nubes_runtime::Store;
use rusqlite::Connection;

#[tokio::test(flavor = "multi_thread")]
async fn the_copy_on_moto_holds_what_the_runtime_wrote() -> Result<(), BoxError> {
    let dir = std::env::temp_dir().join(format!("nubes-moto-copy-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("seeded.sqlite");
    let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::open(&file)?);
    let sizes = Sizes {
        cities: 1,
        hotels_per_city: 2,
        rooms_per_hotel: 2,
        reservations_per_room: 3,
        users: 4,
    };
    let client = in_process_client(sqlite.clone()).await?;
    let (data, _) = dataset::seed(&client, sizes, 7, &ProgressBar::hidden()).await?;

    let endpoint = moto::endpoint()?;
    let prefix = format!("moto-copy-{}-", std::process::id());
    let dynamo: Arc<dyn Store> = Arc::new(
        DynamoStore::builder()
            .endpoint_url(&endpoint)
            .table_prefix(&prefix)
            .build(),
    );
    let on_moto = in_process_client(dynamo.clone()).await?;
    let copied = moto::copy_items(&file, dynamo.as_ref()).await?;

    // Every item, key for key, the same on both.
    let keys: Vec<Key> = {
        let connection = Connection::open(&file)?;
        let mut statement = connection.prepare("SELECT tbl, pk, sk FROM nubes_items")?;
        let rows = statement.query_map([], |row| {
            Ok(Key::new(
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    assert_eq!(keys.len() as u64, copied);
    assert!(copied >= sizes.objects(), "{copied} items for {sizes:?}");
    for key in &keys {
        let (there, here) = (dynamo.get(key).await?, sqlite.get(key).await?);
        assert!(there.is_some(), "{key} was not copied");
        assert_eq!(there, here, "{key}");
    }

    // The same calls answer alike on each.
    let calls = [
        Call::GetHotels {
            city: data.cities[0].clone(),
        },
        Call::GetUserReservations {
            email: data.users[0].clone(),
        },
        Call::RecommendByRate {
            city: data.cities[0].clone(),
            count: 1,
        },
    ];
    let (local, remote) = (ExactlyOnce::new(client), ExactlyOnce::new(on_moto));
    for call in &calls {
        assert_eq!(local.run(call).await?, remote.run(call).await?, "{call:?}");
    }
    moto::drop_tables(&endpoint, &prefix).await?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
