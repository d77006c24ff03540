//! Requests, the envelope every transport carries, answered by `Runtime::handle` on both
//! stores: each call kind, the id field filled in or checked at creation, and replays of
//! the same request answered once.

#[macro_use]
mod support;

use std::sync::Arc;

use nubes_runtime::{
    Call, Error, InProcess, ObjectType, Relation, Request, Runtime, Schema, Store, Transport,
};
use serde_json::{json, Value};

on_both_stores!(
    creation_fills_in_the_id_field_or_refuses_a_different_one,
    every_call_kind_is_answered,
    a_replayed_request_is_answered_from_the_record,
    requests_travel_as_json,
);

/// Authors (id field `handle`) with many-to-many books.
async fn library(store: Arc<dyn Store>) -> InProcess {
    let schema = Schema::new("")
        .with_type(ObjectType::new("Author").id_field("handle").relation(
            "books",
            Relation::ManyToMany {
                target: "Book".into(),
                inverse: "authors".into(),
            },
        ))
        .with_type(ObjectType::new("Book").relation(
            "authors",
            Relation::ManyToMany {
                target: "Author".into(),
                inverse: "books".into(),
            },
        ));
    let runtime = Runtime::builder(store, schema).build();
    runtime.ensure_tables().await.expect("tables are created");
    InProcess::new(runtime)
}

fn create(type_name: &str, id: &str, fields: Value) -> Request {
    let fields = fields.as_object().cloned().unwrap_or_default();
    Request::new(type_name, id, Call::Create { fields })
}

async fn creation_fills_in_the_id_field_or_refuses_a_different_one(store: Arc<dyn Store>) {
    let library = library(store).await;
    let created = library
        .send(&create("Author", "ada", json!({ "name": "Ada" })))
        .await;
    assert_eq!(created, Ok(Value::Null));
    let stored = library
        .send(&Request::new("Author", "ada", Call::Get))
        .await;
    assert_eq!(stored, Ok(json!({ "handle": "ada", "name": "Ada" })));
    let refused = library
        .send(&create(
            "Author",
            "grace",
            json!({ "handle": "ada", "name": "Grace" }),
        ))
        .await;
    assert!(
        matches!(&refused, Err(Error::Validation { message }) if message.contains("`Author.handle` is `ada`")),
        "{refused:?}"
    );
    let exists = library
        .send(&Request::new("Author", "grace", Call::Exists))
        .await;
    assert_eq!(exists, Ok(Value::Bool(false)));
    // The id field is read-only like any `@readonly` field.
    let set = Call::Set {
        field: "handle".into(),
        value: json!("other"),
    };
    let refused = library.send(&Request::new("Author", "ada", set)).await;
    assert!(
        matches!(refused, Err(Error::Validation { .. })),
        "{refused:?}"
    );
}

async fn every_call_kind_is_answered(store: Arc<dyn Store>) {
    let library = library(store).await;
    for request in [
        create("Author", "ada", json!({ "name": "Ada" })),
        create("Book", "notes", json!({ "title": "Notes" })),
        create("Book", "sketch", json!({ "title": "Sketch" })),
    ] {
        assert_eq!(library.send(&request).await, Ok(Value::Null));
    }
    let add = Call::AddTo {
        field: "books".into(),
        ids: vec!["notes".into(), "sketch".into()],
    };
    assert_eq!(
        library.send(&Request::new("Author", "ada", add)).await,
        Ok(Value::Null)
    );
    let ids = library
        .send(&Request::new(
            "Book",
            "notes",
            Call::CollectionIds {
                field: "authors".into(),
            },
        ))
        .await;
    assert_eq!(ids, Ok(json!(["ada"])));
    let remove = Call::RemoveFrom {
        field: "books".into(),
        ids: vec!["sketch".into()],
    };
    assert_eq!(
        library.send(&Request::new("Author", "ada", remove)).await,
        Ok(Value::Null)
    );
    let books = library
        .send(&Request::new(
            "Author",
            "ada",
            Call::Collection {
                field: "books".into(),
            },
        ))
        .await;
    assert_eq!(books, Ok(json!([{ "title": "Notes" }])));
    let set = Call::Set {
        field: "name".into(),
        value: json!("Ada L."),
    };
    assert_eq!(
        library.send(&Request::new("Author", "ada", set)).await,
        Ok(Value::Null)
    );
    let method = Call::Method {
        method: "sign".into(),
        args: json!({}),
    };
    let no_handler = library.send(&Request::new("Author", "ada", method)).await;
    assert!(
        matches!(no_handler, Err(Error::Validation { .. })),
        "{no_handler:?}"
    );
    assert_eq!(
        library
            .send(&Request::new("Author", "ada", Call::Delete))
            .await,
        Ok(Value::Null)
    );
    let gone = library
        .send(&Request::new("Author", "ada", Call::Get))
        .await;
    assert!(matches!(gone, Err(Error::NotFound { .. })), "{gone:?}");
    let authors = library
        .send(&Request::new(
            "Book",
            "notes",
            Call::CollectionIds {
                field: "authors".into(),
            },
        ))
        .await;
    assert_eq!(authors, Ok(json!([])), "the delete removed both sides");
}

async fn a_replayed_request_is_answered_from_the_record(store: Arc<dyn Store>) {
    let library = library(store).await;
    let request = create("Author", "ada", json!({ "name": "Ada" }));
    assert_eq!(library.send(&request).await, Ok(Value::Null));
    // The same request again (a retry) is the same call: answered, not run.
    assert_eq!(library.send(&request).await, Ok(Value::Null));
    // A new call to create the same object is another call: refused.
    let again = create("Author", "ada", json!({ "name": "Ada" }));
    let refused = library.send(&again).await;
    assert!(
        matches!(refused, Err(Error::AlreadyExists { .. })),
        "{refused:?}"
    );
}

async fn requests_travel_as_json(store: Arc<dyn Store>) {
    let library = library(store).await;
    let request = create("Author", "ada", json!({ "name": "Ada" }));
    let text = serde_json::to_value(&request).unwrap_or_default();
    assert_eq!(text["op"], json!("create"));
    assert_eq!(text["type"], json!("Author"));
    assert_eq!(text["object"], json!("ada"));
    let back: Request = serde_json::from_value(text).expect("a request reads back");
    assert_eq!(back, request);
    assert_eq!(library.send(&back).await, Ok(Value::Null));
}
