//! What generated handlers do around a method, on both stores: the running object's state
//! is read before it and the fields it changed are written back after it — and a field
//! that a nested call on the same object changed meanwhile is never silently overwritten.

#[macro_use]
mod support;

use std::sync::Arc;

use async_trait::async_trait;
use nubes_runtime::{
    typed, Ctx, Error, Invocation, InvocationId, ObjectHandler, ObjectType, Runtime, Schema, Store,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

on_both_stores!(
    changed_fields_are_written_back,
    a_nested_change_to_another_field_is_kept,
    a_field_changed_twice_is_refused,
    a_method_may_delete_its_own_object,
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Gauge {
    count: i64,
    label: String,
}

/// `bump` adds one; `outer_count` bumps itself and then calls `bump` on itself (both change
/// `count`); `outer_label` renames itself and calls `bump` (different fields); `retire`
/// deletes itself, `retire_renamed` renames and deletes itself.
struct Gauges;

#[async_trait]
impl ObjectHandler for Gauges {
    fn is_readonly(&self, _method: &str) -> bool {
        false
    }

    async fn call(&self, ctx: &mut Ctx, method: &str, _args: Value) -> Result<Value, Error> {
        let mut this: Gauge = typed::this(ctx).await?;
        let before = typed::encode_fields("a gauge", &this)?;
        let me = ctx.this_ref().clone();
        match method {
            "bump" => this.count += 1,
            "outer_count" => {
                this.count += 10;
                ctx.call(&me.type_name, &me.id, "bump", json!({})).await?;
            }
            "retire" => {
                ctx.delete(&me.type_name, &me.id).await?;
            }
            "retire_renamed" => {
                this.label = "gone".into();
                ctx.delete(&me.type_name, &me.id).await?;
            }
            "outer_label" => {
                this.label = "renamed".into();
                ctx.call(&me.type_name, &me.id, "bump", json!({})).await?;
            }
            other => return Err(Error::validation(format!("no method `{other}`"))),
        }
        typed::save_this(ctx, &before, &this).await?;
        Ok(Value::Null)
    }
}

async fn gauge(store: Arc<dyn Store>) -> Runtime {
    let schema = Schema::new("").with_type(ObjectType::new("Gauge"));
    let runtime = Runtime::builder(store, schema)
        .handler("Gauge", Arc::new(Gauges))
        .build();
    runtime.ensure_tables().await.expect("tables are created");
    let fields = json!({ "count": 0, "label": "g" });
    let fields = fields.as_object().cloned().unwrap_or_default();
    runtime
        .create(&InvocationId::new(), "Gauge", "g", fields)
        .await
        .expect("a gauge is created");
    runtime
}

async fn call(runtime: &Runtime, method: &str) -> Result<Value, Error> {
    let invocation = Invocation {
        id: InvocationId::new(),
        type_name: "Gauge".into(),
        object: "g".into(),
        method: method.into(),
        args: json!({}),
    };
    runtime.invoke(&invocation).await
}

async fn stored(runtime: &Runtime) -> Value {
    Value::Object(runtime.get("Gauge", "g").await.unwrap_or_default())
}

async fn changed_fields_are_written_back(store: Arc<dyn Store>) {
    let runtime = gauge(store).await;
    assert_eq!(call(&runtime, "bump").await, Ok(Value::Null));
    assert_eq!(stored(&runtime).await, json!({ "count": 1, "label": "g" }));
}

async fn a_nested_change_to_another_field_is_kept(store: Arc<dyn Store>) {
    let runtime = gauge(store).await;
    assert_eq!(call(&runtime, "outer_label").await, Ok(Value::Null));
    assert_eq!(
        stored(&runtime).await,
        json!({ "count": 1, "label": "renamed" })
    );
}

async fn a_field_changed_twice_is_refused(store: Arc<dyn Store>) {
    let runtime = gauge(store).await;
    let refused = call(&runtime, "outer_count").await;
    assert!(
        matches!(&refused, Err(Error::Validation { message }) if message.contains("`Gauge.count` was changed by a nested call")),
        "{refused:?}"
    );
    assert_eq!(stored(&runtime).await, json!({ "count": 0, "label": "g" }));
}

async fn a_method_may_delete_its_own_object(store: Arc<dyn Store>) {
    let runtime = gauge(store).await;
    let refused = call(&runtime, "retire_renamed").await;
    assert!(
        matches!(&refused, Err(Error::Validation { message }) if message.contains("was deleted during its own method")),
        "{refused:?}"
    );
    assert_eq!(
        runtime.exists("Gauge", "g").await,
        Ok(true),
        "a refused call changes nothing"
    );
    assert_eq!(call(&runtime, "retire").await, Ok(Value::Null));
    assert_eq!(runtime.exists("Gauge", "g").await, Ok(false));
}
