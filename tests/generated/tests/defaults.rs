//! `@default(literal)` through the code generated from
//! `tests/golden/pass/defaults.nubes`: a field left `None` in `Init` takes the schema's
//! default (string, int, float and both bools, a read-only one included), a given value
//! wins — even one that looks empty, such as `""`, `0` or `false` — and the defaults are
//! what is stored, under the schema's names.

#[macro_use]
#[path = "../../../runtime/tests/support/mod.rs"]
mod support;

use std::sync::Arc;

use defaults_client::Client;
use defaults_model::{settings, Settings, Theme};
use nubes_runtime::jiff::civil::date;
use nubes_runtime::jiff::Timestamp;
use nubes_runtime::{Call, Error, InProcess, Request, Store, Transport};
use serde_json::{json, Value};

on_both_stores!(
    omitted_fields_take_the_schema_defaults,
    given_values_win_over_the_defaults,
    each_field_defaults_on_its_own,
    defaults_apply_only_at_creation,
);

async fn app(store: Arc<dyn Store>) -> (Client, InProcess) {
    let transport = defaults_handlers::in_process(store, ())
        .with_tables()
        .await
        .expect("tables are created");
    (Client::new(transport.clone()), transport)
}

fn nothing_given() -> settings::Init {
    settings::Init::default()
}

/// The schema's defaults for the object `id`.
fn defaults(id: &settings::Id) -> Settings {
    Settings {
        id: id.0.clone(),
        language: "en".into(),
        page_size: 10,
        zoom: 1.5,
        dark_mode: true,
        beta: false,
        owner: "anonymous".into(),
        version: "v1".into(),
        theme: Theme::Dark,
        accent: Some(Theme::Light),
        since: date(2024, 2, 29),
        epoch_eve: Timestamp::from_millisecond(-500).expect("half a second before the epoch"),
        renewal: Some(date(2027, 1, 1)),
    }
}

async fn omitted_fields_take_the_schema_defaults(store: Arc<dyn Store>) {
    let (client, transport) = app(store).await;
    let created = client
        .all_settings()
        .create(nothing_given())
        .await
        .expect("settings are created");
    assert_eq!(created.load().await.ok(), Some(defaults(&created.id)));
    assert_eq!(created.get_language().await.ok(), Some("en".into()));
    assert_eq!(created.get_page_size().await.ok(), Some(10));
    assert_eq!(created.get_zoom().await.ok(), Some(1.5));
    assert_eq!(created.get_dark_mode().await.ok(), Some(true));
    assert_eq!(created.get_beta().await.ok(), Some(false));
    assert_eq!(created.get_owner().await.ok(), Some("anonymous".into()));
    assert_eq!(created.get_version().await.ok(), Some("v1".into()));

    // The defaults are stored (not filled in on reading), under the schema's names.
    let stored = transport
        .runtime()
        .get("Settings", created.id.as_ref())
        .await
        .expect("the stored settings");
    assert_eq!(
        Value::Object(stored),
        json!({
            "id": created.id.0,
            "language": "en",
            "pageSize": 10,
            "zoom": 1.5,
            "darkMode": true,
            "beta": false,
            "owner": "anonymous",
            "version": "v1",
            "theme": "Dark",
            "accent": "Light",
            "since": "2024-02-29",
            "epochEve": "1969-12-31T23:59:59.5Z",
            "renewal": "2027-01-01",
        })
    );

    // `into_state` is where the defaults come from, also without a client.
    let id = settings::Id::from("local");
    assert_eq!(nothing_given().into_state(id.clone()), defaults(&id));
}

async fn given_values_win_over_the_defaults(store: Arc<dyn Store>) {
    let (client, transport) = app(store).await;
    let init = settings::Init {
        language: Some(String::new()),
        page_size: Some(0),
        zoom: Some(-0.75),
        dark_mode: Some(false),
        beta: Some(true),
        owner: Some("ada".into()),
        version: Some("v2".into()),
        theme: Some(Theme::Light),
        accent: Some(Theme::Dark),
        since: Some(date(2026, 12, 3)),
        epoch_eve: Some(Timestamp::UNIX_EPOCH),
        renewal: None,
    };
    let created = client
        .all_settings()
        .create(init)
        .await
        .expect("settings are created");
    let expected = Settings {
        id: created.id.0.clone(),
        language: String::new(),
        page_size: 0,
        zoom: -0.75,
        dark_mode: false,
        beta: true,
        owner: "ada".into(),
        version: "v2".into(),
        theme: Theme::Light,
        accent: Some(Theme::Dark),
        since: date(2026, 12, 3),
        epoch_eve: Timestamp::UNIX_EPOCH,
        renewal: Some(date(2027, 1, 1)),
    };
    assert_eq!(created.load().await.ok(), Some(expected));
    let stored = transport
        .runtime()
        .get("Settings", created.id.as_ref())
        .await
        .expect("the stored settings");
    assert_eq!(
        Value::Object(stored),
        json!({
            "id": created.id.0,
            "language": "",
            "pageSize": 0,
            "zoom": -0.75,
            "darkMode": false,
            "beta": true,
            "owner": "ada",
            "version": "v2",
            "theme": "Light",
            "accent": "Dark",
            "since": "2026-12-03",
            "epochEve": "1970-01-01T00:00:00Z",
            "renewal": "2027-01-01",
        })
    );
}

/// Settings to create, and how they differ from the defaults.
type Case = (settings::Init, fn(&mut Settings));

async fn each_field_defaults_on_its_own(store: Arc<dyn Store>) {
    let (client, _) = app(store).await;
    // One field given at a time: that one wins, every other takes its default.
    let cases: Vec<Case> = vec![
        (
            settings::Init {
                language: Some("fr".into()),
                ..nothing_given()
            },
            |s| s.language = "fr".into(),
        ),
        (
            settings::Init {
                page_size: Some(-3),
                ..nothing_given()
            },
            |s| s.page_size = -3,
        ),
        (
            settings::Init {
                zoom: Some(2.0),
                ..nothing_given()
            },
            |s| s.zoom = 2.0,
        ),
        (
            settings::Init {
                dark_mode: Some(false),
                ..nothing_given()
            },
            |s| s.dark_mode = false,
        ),
        (
            settings::Init {
                beta: Some(true),
                ..nothing_given()
            },
            |s| s.beta = true,
        ),
        (
            settings::Init {
                owner: Some("bob".into()),
                ..nothing_given()
            },
            |s| s.owner = "bob".into(),
        ),
        (
            settings::Init {
                version: Some("v9".into()),
                ..nothing_given()
            },
            |s| s.version = "v9".into(),
        ),
    ];
    for (init, change) in cases {
        let what = format!("{init:?}");
        let created = client
            .all_settings()
            .create(init)
            .await
            .expect("settings are created");
        let mut expected = defaults(&created.id);
        change(&mut expected);
        assert_eq!(created.load().await.ok(), Some(expected), "{what}");
    }
}

async fn defaults_apply_only_at_creation(store: Arc<dyn Store>) {
    let (client, transport) = app(store).await;
    let created = client
        .all_settings()
        .create(nothing_given())
        .await
        .expect("settings are created");
    created.set_language("de").await.expect("language set");
    created.set_page_size(25).await.expect("pageSize set");
    created.set_zoom(0.5).await.expect("zoom set");
    created.set_dark_mode(false).await.expect("darkMode set");
    created.set_beta(true).await.expect("beta set");
    created.set_owner("carol").await.expect("owner set");
    let expected = Settings {
        language: "de".into(),
        page_size: 25,
        zoom: 0.5,
        dark_mode: false,
        beta: true,
        owner: "carol".into(),
        ..defaults(&created.id)
    };
    assert_eq!(created.load().await.ok(), Some(expected.clone()));

    // The defaulted read-only field stays as created: there is no setter, and a raw
    // request is refused.
    let raw = Request::new(
        "Settings",
        created.id.as_ref(),
        Call::Set {
            field: "version".into(),
            value: json!("v2"),
        },
    );
    let refused = transport.send(&raw).await;
    assert!(
        matches!(refused, Err(Error::Validation { .. })),
        "{refused:?}"
    );
    assert_eq!(created.load().await.ok(), Some(expected));

    // Creating the same settings again is refused: defaults never overwrite.
    let again = Request::new(
        "Settings",
        created.id.as_ref(),
        Call::Create {
            fields: serde_json::Map::new(),
        },
    );
    let refused = transport.send(&again).await;
    assert!(
        matches!(refused, Err(Error::AlreadyExists { .. })),
        "{refused:?}"
    );
    assert_eq!(created.get_language().await.ok(), Some("de".into()));
}
