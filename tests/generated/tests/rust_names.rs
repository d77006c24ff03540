//! Rust keywords and prelude names as `.nubes` names, through the code generated from
//! `tests/golden/pass/rust_names.nubes`: fields named `type`, `match`, `self`, `super`,
//! `crate` … round-trip and are stored under their schema names, and the methods `loop`
//! and `match` (Rust `r#loop`, `r#match`) run through the client, their keyword
//! parameters (`in`, `ref`, `where`) keeping their schema names on the wire.

#[macro_use]
#[path = "../../../runtime/tests/support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use nubes_runtime::{Call, Ctx, Error, InProcess, Request, Store, Transport};
use rust_names_client::Client;
use rust_names_model as model;
use rust_names_model::{matcher, palette, thing, Matcher, Outcome, Shade, Thing};
use serde_json::{json, Value};

on_both_stores!(
    keyword_fields_round_trip,
    keyword_fields_keep_their_schema_names_in_storage,
    keyword_setters_write_the_schema_names,
    keyword_methods_run_through_the_client,
    keyword_parameters_keep_their_schema_names_on_the_wire,
    a_failed_keyword_method_changes_nothing,
    an_enum_keyed_object_takes_its_variant_as_id,
);

/// The application: `loop` repeats `in`, `match` describes its arguments.
struct Names;

impl thing::Methods for Names {
    async fn r#loop(
        &self,
        this: &mut Thing,
        ctx: &mut Ctx,
        times: i64,
        r#in: String,
    ) -> Result<model::Result, Error> {
        let Ok(count) = usize::try_from(times) else {
            // Changes made before the error must not be kept.
            this.super_ = -1;
            this.self_ = "changed before failing".into();
            return Err(Error::validation("`times` must not be negative"));
        };
        // `in` may name a matcher: then its `match` runs, nested, as part of this call.
        let matcher = matcher::Id::from(r#in.as_str());
        let label = if matcher.exists(ctx).await? {
            let option = matcher.r#match(ctx, this.crate_.clone(), times).await?;
            Some(option.label)
        } else {
            None
        };
        this.r#type = r#in.repeat(count);
        this.r#match = !this.r#match;
        this.self_ = format!("{}!", this.self_);
        this.super_ += times;
        this.r#async = !this.r#async;
        this.r#box.width *= 2;
        this.vec.push(model::Vec { x: 0.5, y: -0.5 });
        this.outcome = Outcome::Some;
        this.option = label.clone().map(|label| model::Option { label });
        Ok(model::Result {
            ok: label.is_some(),
            message: format!("looped {times} times over `{}`", r#in),
        })
    }
}

impl matcher::Methods for Names {
    async fn r#match(
        &self,
        this: &Matcher,
        _ctx: &mut Ctx,
        r#ref: String,
        r#where: i64,
    ) -> Result<model::Option, Error> {
        Ok(model::Option {
            label: format!("{} matched `{}` at {}", this.pattern, r#ref, r#where),
        })
    }
}

async fn app(store: Arc<dyn Store>) -> (Client, InProcess) {
    let transport = rust_names_handlers::in_process(store, Names)
        .with_tables()
        .await
        .expect("tables are created");
    (Client::new(transport.clone()), transport)
}

fn init() -> thing::Init {
    thing::Init {
        r#type: "widget".into(),
        r#match: true,
        self_: "me".into(),
        super_: 42,
        crate_: "serde".into(),
        r#impl: "Display".into(),
        r#async: false,
        r#box: model::Box {
            width: 3,
            height: 4,
        },
        result: model::Result {
            ok: false,
            message: "not yet".into(),
        },
        option: Some(model::Option {
            label: "some label".into(),
        }),
        vec: vec![
            model::Vec { x: 1.5, y: 2.5 },
            model::Vec { x: -0.25, y: 0.125 },
        ],
        outcome: Outcome::None,
    }
}

async fn thing(client: &Client) -> rust_names_client::thing::Handle {
    client
        .things()
        .create(init())
        .await
        .expect("a thing is created")
}

async fn keyword_fields_round_trip(store: Arc<dyn Store>) {
    let (client, _) = app(store).await;
    let handle = thing(&client).await;
    let loaded = handle.load().await.expect("the thing loads");
    assert_eq!(loaded, init().into_state(handle.id.clone()));
    assert_eq!(handle.get_type().await.ok(), Some("widget".into()));
    assert_eq!(handle.get_match().await.ok(), Some(true));
    assert_eq!(handle.get_self().await.ok(), Some("me".into()));
    assert_eq!(handle.get_super().await.ok(), Some(42));
    assert_eq!(handle.get_crate().await.ok(), Some("serde".into()));
    assert_eq!(handle.get_impl().await.ok(), Some("Display".into()));
    assert_eq!(handle.get_async().await.ok(), Some(false));
    assert_eq!(
        handle.get_box().await.ok(),
        Some(model::Box {
            width: 3,
            height: 4
        })
    );
    assert_eq!(handle.get_outcome().await.ok(), Some(Outcome::None));
    assert_eq!(
        handle.get_option().await.ok(),
        Some(Some(model::Option {
            label: "some label".into()
        }))
    );

    // `Outcome::None` is a variant, not an absent value: every variant round-trips.
    for outcome in [Outcome::Ok, Outcome::Err, Outcome::Some, Outcome::None] {
        handle.set_outcome(outcome).await.expect("outcome set");
        assert_eq!(handle.get_outcome().await.ok(), Some(outcome));
    }

    let matcher = client
        .matchers()
        .create(matcher::Init {
            pattern: "p*".into(),
        })
        .await
        .expect("a matcher is created");
    assert_eq!(
        matcher.load().await.ok(),
        Some(Matcher {
            id: matcher.id.0.clone(),
            pattern: "p*".into(),
        })
    );
}

async fn keyword_fields_keep_their_schema_names_in_storage(store: Arc<dyn Store>) {
    let (client, transport) = app(store).await;
    let handle = thing(&client).await;
    let stored = transport
        .runtime()
        .get("Thing", handle.id.as_ref())
        .await
        .expect("the stored thing");
    assert_eq!(
        Value::Object(stored),
        json!({
            "id": handle.id.0,
            "type": "widget",
            "match": true,
            "self": "me",
            "super": 42,
            "crate": "serde",
            "impl": "Display",
            "async": false,
            "box": { "width": 3, "height": 4 },
            "result": { "ok": false, "message": "not yet" },
            "option": { "label": "some label" },
            "vec": [{ "x": 1.5, "y": 2.5 }, { "x": -0.25, "y": 0.125 }],
            "outcome": "None",
        })
    );
}

async fn keyword_setters_write_the_schema_names(store: Arc<dyn Store>) {
    let (client, transport) = app(store).await;
    let handle = thing(&client).await;
    handle.set_type("gadget").await.expect("type set");
    handle.set_match(false).await.expect("match set");
    handle.set_self("myself").await.expect("self set");
    handle.set_super(-7).await.expect("super set");
    handle.set_crate("tokio").await.expect("crate set");
    handle.set_impl("Debug").await.expect("impl set");
    handle.set_async(true).await.expect("async set");
    handle
        .set_box(model::Box {
            width: 0,
            height: -1,
        })
        .await
        .expect("box set");
    handle
        .set_result(model::Result {
            ok: true,
            message: String::new(),
        })
        .await
        .expect("result set");
    handle.set_option(None).await.expect("option cleared");
    handle.set_vec(vec![]).await.expect("vec set");
    handle.set_outcome(Outcome::Err).await.expect("outcome set");

    let stored = transport
        .runtime()
        .get("Thing", handle.id.as_ref())
        .await
        .expect("the stored thing");
    let names: BTreeSet<&str> = stored.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "id", "type", "match", "self", "super", "crate", "impl", "async", "box", "result",
            "vec", "outcome",
        ]),
        "setters write the schema's names, and a cleared option is absent: {stored:?}"
    );
    assert_eq!(stored["self"], json!("myself"));
    assert_eq!(stored["super"], json!(-7));
    assert_eq!(stored["crate"], json!("tokio"));
    assert_eq!(stored["type"], json!("gadget"));
    assert_eq!(stored["outcome"], json!("Err"));

    let expected = Thing {
        id: handle.id.0.clone(),
        r#type: "gadget".into(),
        r#match: false,
        self_: "myself".into(),
        super_: -7,
        crate_: "tokio".into(),
        r#impl: "Debug".into(),
        r#async: true,
        r#box: model::Box {
            width: 0,
            height: -1,
        },
        result: model::Result {
            ok: true,
            message: String::new(),
        },
        option: None,
        vec: vec![],
        outcome: Outcome::Err,
    };
    assert_eq!(handle.load().await.ok(), Some(expected));
}

async fn keyword_methods_run_through_the_client(store: Arc<dyn Store>) {
    let (client, transport) = app(store).await;
    let handle = thing(&client).await;

    let result = handle.r#loop(3, "ab").await.expect("`loop` runs");
    assert_eq!(
        result,
        model::Result {
            ok: false,
            message: "looped 3 times over `ab`".into(),
        }
    );
    let mut expected = init().into_state(handle.id.clone());
    expected.r#type = "ababab".into();
    expected.r#match = false;
    expected.self_ = "me!".into();
    expected.super_ = 45;
    expected.r#async = true;
    expected.r#box.width = 6;
    expected.vec.push(model::Vec { x: 0.5, y: -0.5 });
    expected.outcome = Outcome::Some;
    expected.option = None;
    assert_eq!(handle.load().await.ok(), Some(expected.clone()));
    let stored = transport
        .runtime()
        .get("Thing", handle.id.as_ref())
        .await
        .expect("stored");
    assert_eq!(stored["type"], json!("ababab"));
    assert_eq!(stored["self"], json!("me!"));
    assert_eq!(stored["super"], json!(45));
    assert!(!stored.contains_key("option"), "{stored:?}");

    // `match`, read-only, straight from the client …
    let matcher = client
        .matchers()
        .create(matcher::Init {
            pattern: "p*".into(),
        })
        .await
        .expect("a matcher is created");
    assert_eq!(
        matcher.r#match("pear", -2).await.ok(),
        Some(model::Option {
            label: "p* matched `pear` at -2".into()
        })
    );
    // … and nested inside `loop`, through the model's `Id::r#match`.
    let result = handle
        .r#loop(2, matcher.id.0.clone())
        .await
        .expect("`loop` calls `match`");
    assert!(result.ok, "{result:?}");
    let label = "p* matched `serde` at 2".to_string();
    let loaded = handle.load().await.expect("loads");
    assert_eq!(loaded.option, Some(model::Option { label }));
    assert_eq!(loaded.r#type, matcher.id.0.repeat(2));
    assert_eq!(loaded.super_, 47);

    // A method of a missing object is `NotFound`.
    let missing = client.matcher("nobody").r#match("x", 0).await;
    assert!(
        matches!(&missing, Err(Error::NotFound { type_name, .. }) if type_name == "Matcher"),
        "{missing:?}"
    );
}

async fn keyword_parameters_keep_their_schema_names_on_the_wire(store: Arc<dyn Store>) {
    let (client, transport) = app(store).await;
    let handle = thing(&client).await;
    let matcher = client
        .matchers()
        .create(matcher::Init {
            pattern: "q".into(),
        })
        .await
        .expect("a matcher is created");

    // The arguments travel by their schema names: `in`, `ref`, `where`.
    let args = serde_json::to_value(thing::LoopArgs {
        times: 1,
        r#in: "x".into(),
    })
    .expect("encodes");
    assert_eq!(args, json!({ "times": 1, "in": "x" }));
    let args = serde_json::to_value(matcher::MatchArgs {
        r#ref: "r".into(),
        r#where: 5,
    })
    .expect("encodes");
    assert_eq!(args, json!({ "ref": "r", "where": 5 }));

    let raw_match = |args: Value| {
        Request::new(
            "Matcher",
            matcher.id.as_ref(),
            Call::Method {
                method: "match".into(),
                args,
            },
        )
    };
    assert_eq!(
        transport
            .send(&raw_match(json!({ "ref": "r", "where": 5 })))
            .await
            .ok(),
        Some(json!({ "label": "q matched `r` at 5" }))
    );
    for wrong in [
        json!({ "r#ref": "r", "r#where": 5 }),
        json!({ "ref_": "r", "where_": 5 }),
    ] {
        let refused = transport.send(&raw_match(wrong.clone())).await;
        assert!(
            matches!(refused, Err(Error::Validation { .. })),
            "{wrong}: {refused:?}"
        );
    }

    let raw_loop = Request::new(
        "Thing",
        handle.id.as_ref(),
        Call::Method {
            method: "loop".into(),
            args: json!({ "times": 2, "in": "yo" }),
        },
    );
    assert_eq!(
        transport.send(&raw_loop).await.ok(),
        Some(json!({ "ok": false, "message": "looped 2 times over `yo`" }))
    );
    assert_eq!(handle.get_type().await.ok(), Some("yoyo".into()));
    // The Rust spelling of the method is not a method.
    let raw_rust_name = Request::new(
        "Thing",
        handle.id.as_ref(),
        Call::Method {
            method: "r#loop".into(),
            args: json!({ "times": 2, "in": "yo" }),
        },
    );
    let refused = transport.send(&raw_rust_name).await;
    assert!(
        matches!(refused, Err(Error::Validation { .. })),
        "{refused:?}"
    );
    // A raw setter takes the schema name too.
    let raw_set = Request::new(
        "Thing",
        handle.id.as_ref(),
        Call::Set {
            field: "self".into(),
            value: json!("raw"),
        },
    );
    transport.send(&raw_set).await.expect("`self` is set");
    assert_eq!(handle.get_self().await.ok(), Some("raw".into()));
}

async fn a_failed_keyword_method_changes_nothing(store: Arc<dyn Store>) {
    let (client, _) = app(store).await;
    let handle = thing(&client).await;
    let before = handle.load().await.expect("loads");
    let refused = handle.r#loop(-1, "ab").await;
    assert!(
        matches!(&refused, Err(Error::Validation { message }) if message.contains("must not be negative")),
        "{refused:?}"
    );
    assert_eq!(handle.load().await.ok(), Some(before));
}

async fn an_enum_keyed_object_takes_its_variant_as_id(store: Arc<dyn Store>) {
    let (client, _) = app(store).await;
    let light = client
        .palettes()
        .create(palette::Init {
            shade: Shade::Light,
            name: "morning".into(),
        })
        .await
        .expect("a palette is created");
    assert_eq!(light.id, palette::Id::from(Shade::Light));
    assert_eq!(light.id.as_ref(), "Light");
    let loaded = client.palette(Shade::Light).load().await.expect("it loads");
    assert_eq!(loaded.id(), light.id);
    assert_eq!(client.palette(Shade::Dark).exists().await, Ok(false));
}
