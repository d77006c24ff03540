//! The hotel tasks: set-hotel-rate, recommend-location, recommend-price, get-hotels.

use std::sync::Arc;

use crate::fixture::{self, names, sorted, BAIXA};
use hotel_model::GeoPoint;
use nubes_runtime::{Error, Store};

/// Task set-hotel-rate: the generated setter changes the rate, and rankings follow it.
pub async fn set_hotel_rate(store: Arc<dyn Store>) {
    let app = fixture::app(store).await;
    let c = &app.client;
    let lisbon = fixture::city(c, "Lisbon").await;
    let alfama = c.hotel(lisbon.hotels[0].clone());
    alfama.set_rate(4.75).await.expect("rate set");
    assert_eq!(alfama.get_rate().await, Ok(4.75));
    assert_eq!(alfama.load().await.expect("load").rate, 4.75);
    let best = c.city(lisbon.id.clone()).recommend_by_rate(1).await;
    assert_eq!(best.as_deref().map(names), Ok(vec!["Alfama Inn"]));
    assert!(matches!(
        c.hotel("no-such-hotel").set_rate(1.0).await,
        Err(Error::NotFound { .. })
    ));
}

/// Task recommend-location: nearest first by great-circle distance, at most `count`.
pub async fn recommend_location(store: Arc<dyn Store>) {
    let app = fixture::app(store).await;
    let c = &app.client;
    let lisbon = fixture::city(c, "Lisbon").await;
    let city = c.city(lisbon.id.clone());
    let near = |count| city.recommend_by_location(BAIXA, count);
    assert_eq!(
        near(2).await.as_deref().map(names),
        Ok(vec!["Alfama Inn", "Belém Lodge"])
    );
    assert_eq!(
        near(10).await.as_deref().map(names),
        Ok(vec!["Alfama Inn", "Belém Lodge", "Douro View"])
    );
    assert_eq!(near(0).await, Ok(vec![]));
    assert!(matches!(near(-1).await, Err(Error::Validation { .. })));
    let porto = GeoPoint {
        lat: 41.1496,
        lon: -8.6110,
    };
    let from_porto = city.recommend_by_location(porto, 3).await;
    assert_eq!(
        from_porto.as_deref().map(names),
        Ok(vec!["Douro View", "Alfama Inn", "Belém Lodge"])
    );
    let off_earth = city
        .recommend_by_location(
            GeoPoint {
                lat: 91.0,
                lon: 0.0,
            },
            1,
        )
        .await;
    assert!(
        matches!(off_earth, Err(Error::Validation { .. })),
        "{off_earth:?}"
    );

    let empty = fixture::empty_city(c, "Faro").await;
    assert_eq!(
        c.city(empty).recommend_by_location(BAIXA, 5).await,
        Ok(vec![])
    );
    let unknown = c.city("Atlantis").recommend_by_location(BAIXA, 5).await;
    assert!(
        matches!(unknown, Err(Error::NotFound { .. })),
        "{unknown:?}"
    );
}

/// Task recommend-price (by rate): best rate first, at most `count`, this city's only.
pub async fn recommend_price(store: Arc<dyn Store>) {
    let app = fixture::app(store).await;
    let c = &app.client;
    let lisbon = fixture::city(c, "Lisbon").await;
    let porto = fixture::empty_city(c, "Porto").await;
    fixture::add_hotel(
        c,
        &porto,
        "Ribeira Suites",
        5.0,
        GeoPoint {
            lat: 41.14,
            lon: -8.61,
        },
    )
    .await;
    let city = c.city(lisbon.id.clone());
    let best = |count| city.recommend_by_rate(count);
    assert_eq!(
        best(3).await.as_deref().map(names),
        Ok(vec!["Belém Lodge", "Douro View", "Alfama Inn"])
    );
    assert_eq!(best(1).await.as_deref().map(names), Ok(vec!["Belém Lodge"]));
    assert_eq!(best(100).await.map(|hotels| hotels.len()), Ok(3));
    assert_eq!(best(0).await, Ok(vec![]));
    assert!(matches!(best(-3).await, Err(Error::Validation { .. })));
    let rated = best(3).await.expect("ranked");
    assert!(
        rated.iter().all(|hotel| hotel.city == lisbon.id),
        "only this city's hotels"
    );
    let in_porto = c.city(porto).recommend_by_rate(5).await;
    assert_eq!(in_porto.as_deref().map(names), Ok(vec!["Ribeira Suites"]));
}

/// Task get-hotels: a city's hotels are exactly those created in it.
pub async fn get_hotels(store: Arc<dyn Store>) {
    let app = fixture::app(store).await;
    let c = &app.client;
    let lisbon = fixture::city(c, "Lisbon").await;
    let porto = fixture::empty_city(c, "Porto").await;
    let ribeira = fixture::add_hotel(c, &porto, "Ribeira Suites", 5.0, BAIXA).await;
    let hotels = c.city(lisbon.id.clone()).hotels().await.expect("hotels");
    let ids: Vec<_> = hotels.iter().map(|hotel| hotel.id()).collect();
    assert_eq!(sorted(&ids), sorted(&lisbon.hotels));
    assert_eq!(
        c.city(lisbon.id.clone())
            .hotels_ids()
            .await
            .map(|ids| sorted(&ids)),
        Ok(sorted(&lisbon.hotels))
    );
    assert_eq!(
        sorted(&names(&hotels)),
        vec!["Alfama Inn", "Belém Lodge", "Douro View"]
    );
    assert!(hotels.iter().all(|hotel| hotel.city == lisbon.id));
    assert_eq!(
        c.city(porto.clone()).hotels_ids().await,
        Ok(vec![ribeira.clone()])
    );
    assert_eq!(c.hotel(ribeira).get_city().await, Ok(porto));
    assert_eq!(
        c.city(fixture::empty_city(c, "Faro").await).hotels().await,
        Ok(vec![])
    );
    let rooms = c
        .hotel(lisbon.hotels[0].clone())
        .rooms()
        .await
        .expect("rooms");
    assert_eq!(
        sorted(&rooms.iter().map(|room| room.number).collect::<Vec<_>>()),
        vec![101, 102]
    );
}
