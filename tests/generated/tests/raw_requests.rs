//! Requests that do not come from the generated client (another language, a hand-made
//! Lambda payload) are held to the schema by the generated handlers: a creation takes the
//! defaults and refuses unknown fields or wrong types, and a setter refuses a value of
//! the wrong type or a field the type does not have. Nothing refused is stored.

#[macro_use]
#[path = "../../../runtime/tests/support/mod.rs"]
mod support;

use std::sync::Arc;

use defaults_client::Client;
use nubes_runtime::{Call, Error, InProcess, Item, Request, Store, Transport};
use serde_json::{json, Value};

on_both_stores!(
    a_raw_creation_takes_the_defaults,
    a_raw_creation_is_checked_against_the_schema,
    a_raw_setter_is_checked_against_the_schema,
);

async fn settings(store: Arc<dyn Store>) -> (Client, InProcess) {
    let transport = defaults_handlers::in_process(store, ())
        .with_tables()
        .await
        .expect("tables are created");
    (Client::new(transport.clone()), transport)
}

fn create(id: &str, fields: Value) -> Request {
    let fields: Item = fields.as_object().cloned().unwrap_or_default();
    Request::new("Settings", id, Call::Create { fields })
}

fn refused(outcome: &Result<Value, Error>, expected: &str) -> bool {
    matches!(outcome, Err(Error::Validation { message }) if message.contains(expected))
}

async fn a_raw_creation_takes_the_defaults(store: Arc<dyn Store>) {
    let (client, transport) = settings(store).await;
    let created = transport.send(&create("raw", json!({ "zoom": 2.0 }))).await;
    assert_eq!(created, Ok(Value::Null));
    let stored = transport.runtime().get("Settings", "raw").await;
    assert_eq!(
        stored.map(Value::Object),
        Ok(json!({
            "id": "raw",
            "language": "en",
            "pageSize": 10,
            "zoom": 2.0,
            "darkMode": true,
            "beta": false,
            "owner": "anonymous",
            "version": "v1",
            "theme": "Dark",
            "accent": "Light",
            "since": "2024-02-29",
            "epochEve": "1969-12-31T23:59:59.5Z",
            "renewal": "2027-01-01",
        }))
    );
    let typed = client
        .settings("raw")
        .load()
        .await
        .expect("it reads as a Settings");
    assert_eq!((typed.language.as_str(), typed.zoom), ("en", 2.0));
}

async fn a_raw_creation_is_checked_against_the_schema(store: Arc<dyn Store>) {
    let (_, transport) = settings(store).await;
    let unknown = transport.send(&create("a", json!({ "nonsense": 1 }))).await;
    assert!(refused(&unknown, "unknown field `nonsense`"), "{unknown:?}");
    let wrong_type = transport
        .send(&create("b", json!({ "pageSize": "ten" })))
        .await;
    assert!(
        refused(&wrong_type, "the fields of a new `Settings`"),
        "{wrong_type:?}"
    );
    for id in ["a", "b"] {
        let exists = transport.runtime().exists("Settings", id).await;
        assert_eq!(exists, Ok(false), "{id} must not be stored");
    }
}

async fn a_raw_setter_is_checked_against_the_schema(store: Arc<dyn Store>) {
    let (client, transport) = settings(store).await;
    let settings = client
        .all_settings()
        .create(defaults_model::settings::Init::default())
        .await
        .expect("created with every default");
    let set = |field: &str, value: Value| {
        Request::new(
            "Settings",
            settings.id.as_ref(),
            Call::Set {
                field: field.into(),
                value,
            },
        )
    };
    let wrong_type = transport.send(&set("pageSize", json!("lots"))).await;
    assert!(
        refused(&wrong_type, "`Settings.pageSize`"),
        "{wrong_type:?}"
    );
    let unknown = transport.send(&set("nonsense", json!(1))).await;
    assert!(
        refused(&unknown, "`Settings` has no field `nonsense`"),
        "{unknown:?}"
    );
    let cleared = transport.send(&set("language", Value::Null)).await;
    assert!(refused(&cleared, "`Settings.language`"), "{cleared:?}");
    assert_eq!(
        transport.send(&set("pageSize", json!(25))).await,
        Ok(Value::Null)
    );
    let stored = settings.load().await.expect("it still reads as a Settings");
    assert_eq!((stored.page_size, stored.language.as_str()), (25, "en"));
}
