//! An enum as an object's id, through the code generated from
//! `tests/golden/pass/enum_id.nubes`: at most one `RegionStats` per `Region` variant,
//! addressed by the variant (`client.region_stats(Region::Europe)`), a second creation of
//! a variant refused with `AlreadyExists`, and the `record` method.

#[macro_use]
#[path = "../../../runtime/tests/support/mod.rs"]
mod support;

use std::sync::Arc;

use enum_id_client::Client;
use enum_id_model::{region_stats, Region, RegionStats};
use nubes_runtime::{Call, Ctx, Error, InProcess, Request, Store, Transport};
use serde_json::{json, Map, Value};

on_both_stores!(
    objects_are_keyed_by_their_variant,
    creating_a_variant_twice_is_already_exists,
    record_counts_visitors,
    a_failed_record_changes_nothing,
    a_deleted_variant_can_be_created_again,
);

/// Spill-over from `record` into Asia starts at this many visitors.
const SPILL: i64 = 1000;

/// `record` adds to the visitors; a big European count also creates Asia's stats.
struct Stats;

impl region_stats::Methods for Stats {
    async fn record(&self, this: &mut RegionStats, ctx: &mut Ctx, count: i64) -> Result<(), Error> {
        this.visitors += count;
        if count < 0 {
            return Err(Error::validation("a count is never negative"));
        }
        if this.region == Region::Europe && count >= SPILL {
            // `AlreadyExists` when Asia has its stats: then nothing of this call is kept.
            let asia = region_stats::Init {
                region: Region::Asia,
                visitors: count,
            }
            .create(ctx)
            .await?;
            if asia.as_ref() != "Asia" {
                return Err(Error::validation(format!(
                    "Asia's stats were created as `{asia}`"
                )));
            }
        }
        Ok(())
    }
}

async fn app(store: Arc<dyn Store>) -> (Client, InProcess) {
    let transport = enum_id_handlers::in_process(store, Stats)
        .with_tables()
        .await
        .expect("tables are created");
    (Client::new(transport.clone()), transport)
}

async fn create(
    client: &Client,
    region: Region,
    visitors: i64,
) -> enum_id_client::region_stats::Handle {
    client
        .all_region_stats()
        .create(region_stats::Init { region, visitors })
        .await
        .expect("stats are created")
}

fn is_not_found(outcome: &Result<impl std::fmt::Debug, Error>, region: &str) -> bool {
    matches!(outcome, Err(Error::NotFound { type_name, id }) if type_name == "RegionStats" && id == region)
}

async fn objects_are_keyed_by_their_variant(store: Arc<dyn Store>) {
    let (client, transport) = app(store).await;
    let europe = create(&client, Region::Europe, 3).await;
    assert_eq!(europe.id, region_stats::Id::from(Region::Europe));
    assert_eq!(europe.id.as_ref(), "Europe");

    // The handle made from the variant reaches the same object.
    let by_variant = client.region_stats(Region::Europe);
    let expected = RegionStats {
        region: Region::Europe,
        visitors: 3,
    };
    assert_eq!(by_variant.load().await.ok(), Some(expected.clone()));
    assert_eq!(by_variant.get_region().await.ok(), Some(Region::Europe));
    assert_eq!(by_variant.get_visitors().await.ok(), Some(3));
    assert_eq!(expected.id(), region_stats::Id::from("Europe"));
    assert_eq!(
        client.region_stats("Europe").load().await.ok(),
        Some(expected)
    );

    // The id field is the variant's name; there is no other id.
    let stored = transport
        .runtime()
        .get("RegionStats", "Europe")
        .await
        .expect("the stored stats");
    assert_eq!(
        Value::Object(stored),
        json!({ "region": "Europe", "visitors": 3 })
    );

    // Other variants are other objects.
    let america = client.region_stats(Region::America);
    assert_eq!(america.exists().await.ok(), Some(false));
    assert!(is_not_found(&america.load().await, "America"));
    create(&client, Region::America, 0).await;
    create(&client, Region::Asia, -1).await;
    assert_eq!(america.get_visitors().await.ok(), Some(0));
    assert_eq!(
        client.region_stats(Region::Asia).load().await.ok(),
        Some(RegionStats {
            region: Region::Asia,
            visitors: -1
        })
    );
    assert_eq!(by_variant.get_visitors().await.ok(), Some(3));
}

async fn creating_a_variant_twice_is_already_exists(store: Arc<dyn Store>) {
    let (client, transport) = app(store).await;
    create(&client, Region::Europe, 3).await;
    let again = client
        .all_region_stats()
        .create(region_stats::Init {
            region: Region::Europe,
            visitors: 99,
        })
        .await;
    assert!(
        matches!(&again, Err(Error::AlreadyExists { type_name, id }) if type_name == "RegionStats" && id == "Europe"),
        "{:?}",
        again.as_ref().map(|handle| &handle.id)
    );
    assert_eq!(
        client
            .region_stats(Region::Europe)
            .get_visitors()
            .await
            .ok(),
        Some(3),
        "the first object is untouched"
    );

    // The id field must name the object it is stored as.
    let fields = |value: Value| match value {
        Value::Object(fields) => fields,
        _ => Map::new(),
    };
    let mismatch = Request::new(
        "RegionStats",
        "Asia",
        Call::Create {
            fields: fields(json!({ "region": "Europe", "visitors": 1 })),
        },
    );
    let refused = transport.send(&mismatch).await;
    assert!(
        matches!(refused, Err(Error::Validation { .. })),
        "{refused:?}"
    );
    assert_eq!(
        client.region_stats(Region::Asia).exists().await.ok(),
        Some(false)
    );
    // A raw creation that leaves the id field out gets it from the object's id.
    let raw = Request::new(
        "RegionStats",
        "Asia",
        Call::Create {
            fields: fields(json!({ "visitors": 1 })),
        },
    );
    transport.send(&raw).await.expect("Asia is created");
    assert_eq!(
        client.region_stats(Region::Asia).load().await.ok(),
        Some(RegionStats {
            region: Region::Asia,
            visitors: 1
        })
    );
}

async fn record_counts_visitors(store: Arc<dyn Store>) {
    let (client, _) = app(store).await;
    let europe = create(&client, Region::Europe, 3).await;
    europe.record(5).await.expect("recorded");
    client
        .region_stats(Region::Europe)
        .record(5)
        .await
        .expect("recorded");
    assert_eq!(europe.get_visitors().await.ok(), Some(13));
    europe.set_visitors(1).await.expect("visitors set");
    europe.record(2).await.expect("recorded");
    assert_eq!(europe.get_visitors().await.ok(), Some(3));

    // A method of a variant without stats is `NotFound`.
    let missing = client.region_stats(Region::America).record(1).await;
    assert!(is_not_found(&missing, "America"), "{missing:?}");
    assert_eq!(
        client.region_stats(Region::America).exists().await.ok(),
        Some(false)
    );

    // A big count also creates Asia's stats, in the same call, keyed by `Asia`.
    europe
        .record(SPILL)
        .await
        .expect("recorded with spill-over");
    assert_eq!(europe.get_visitors().await.ok(), Some(3 + SPILL));
    assert_eq!(
        client.region_stats(Region::Asia).load().await.ok(),
        Some(RegionStats {
            region: Region::Asia,
            visitors: SPILL
        })
    );
}

async fn a_failed_record_changes_nothing(store: Arc<dyn Store>) {
    let (client, _) = app(store).await;
    let europe = create(&client, Region::Europe, 3).await;
    let refused = europe.record(-1).await;
    assert!(
        matches!(refused, Err(Error::Validation { .. })),
        "{refused:?}"
    );
    assert_eq!(europe.get_visitors().await.ok(), Some(3));

    // Asia exists: the spill-over's creation fails with `AlreadyExists`, and Europe's
    // count, changed before it, is not kept either.
    let asia = create(&client, Region::Asia, 7).await;
    let refused = europe.record(SPILL).await;
    assert!(
        matches!(&refused, Err(Error::AlreadyExists { type_name, id }) if type_name == "RegionStats" && id == "Asia"),
        "{refused:?}"
    );
    assert_eq!(europe.get_visitors().await.ok(), Some(3));
    assert_eq!(asia.get_visitors().await.ok(), Some(7));
}

async fn a_deleted_variant_can_be_created_again(store: Arc<dyn Store>) {
    let (client, _) = app(store).await;
    let europe = create(&client, Region::Europe, 3).await;
    europe.delete().await.expect("deleted");
    assert_eq!(europe.exists().await.ok(), Some(false));
    assert!(is_not_found(&europe.load().await, "Europe"));
    assert!(is_not_found(&europe.record(1).await, "Europe"));
    let again = client
        .all_region_stats()
        .create(region_stats::Init {
            region: Region::Europe,
            visitors: 4,
        })
        .await;
    assert_eq!(
        again.map(|handle| handle.id).ok(),
        Some(region_stats::Id::from(Region::Europe))
    );
    assert_eq!(
        europe.load().await.ok(),
        Some(RegionStats {
            region: Region::Europe,
            visitors: 4
        })
    );
    europe.record(1).await.expect("recorded");
    assert_eq!(europe.get_visitors().await.ok(), Some(5));
}
