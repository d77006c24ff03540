//! The Lambda entry point: one function answers every request for the types it serves.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{service_fn, LambdaEvent};
use serde::Serialize;
use serde_json::Value;

use crate::executor::Runtime;
use crate::request::Reply;
use crate::store::dynamo::DynamoStore;

/// How long before its deadline a scheduled delivery stops starting new rounds.
const DELIVERY_MARGIN: Duration = Duration::from_secs(3);

/// Serves `runtime` as a Lambda function until the Lambda service stops it. Every failure,
/// store outages included, is a reply the client understands; retryable ones are retried
/// by the client with the same invocation id.
///
/// An EventBridge scheduled event (`"detail-type": "Scheduled Event"`) delivers the
/// outbox instead: rounds over every partition until it is empty or the invocation is
/// within a few seconds of its deadline. The reply is `{"delivered": n}`.
pub async fn serve(runtime: Runtime) -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let runtime = runtime.clone();
        async move {
            if is_scheduled(&event.payload) {
                let deadline = deadline_of(&event.context);
                let delivery = deliver_until(&runtime, deadline).await;
                return Ok::<Answer, Infallible>(Answer::Delivery(delivery));
            }
            // A payload that is not a request is answered with a validation error, so a
            // function error always means the function failed (a crash, a timeout),
            // which a retry may get past.
            Ok(Answer::Reply(runtime.handle_json(event.payload).await))
        }
    }))
    .await
}

/// What the function answers: a call's reply, or what a scheduled delivery did.
#[derive(Serialize)]
#[serde(untagged)]
enum Answer {
    Reply(Reply),
    Delivery(Value),
}

/// True for the event EventBridge sends on a schedule.
fn is_scheduled(payload: &Value) -> bool {
    payload.get("source").and_then(Value::as_str) == Some("aws.events")
        && payload.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event")
}

/// When the invocation must be done by: its deadline less [`DELIVERY_MARGIN`].
fn deadline_of(context: &lambda_runtime::Context) -> SystemTime {
    (UNIX_EPOCH + Duration::from_millis(context.deadline))
        .checked_sub(DELIVERY_MARGIN)
        .unwrap_or(UNIX_EPOCH)
}

/// Delivers the outbox in rounds of at most 100 calls a partition until a round delivers
/// nothing or `deadline` passes (at least one round runs).
async fn deliver_until(runtime: &Runtime, deadline: SystemTime) -> Value {
    let mut delivered = 0;
    loop {
        match runtime.deliver_outbox(100).await {
            Ok(0) => break,
            Ok(count) => delivered += count,
            Err(error) => {
                tracing::warn!(%error, delivered, "outbox delivery stopped");
                return serde_json::json!({ "delivered": delivered, "error": error.to_string() });
            }
        }
        if SystemTime::now() >= deadline {
            break;
        }
    }
    serde_json::json!({ "delivered": delivered })
}

/// The DynamoDB store a function uses, from its environment: `NUBES_TABLE_PREFIX` (default
/// empty), `NUBES_DYNAMODB_ENDPOINT` (default: the region's AWS endpoint) and
/// `NUBES_DYNAMODB_ATTEMPT_TIMEOUT_MS` (how long one attempt of a store request may take;
/// default 10 s, see [`crate::store::dynamo::DynamoStoreBuilder::attempt_timeout`]). A
/// timeout that is not a positive number of milliseconds is ignored, with a warning.
pub fn store_from_env() -> Arc<DynamoStore> {
    let mut builder = DynamoStore::builder()
        .table_prefix(std::env::var("NUBES_TABLE_PREFIX").unwrap_or_default());
    if let Ok(url) = std::env::var("NUBES_DYNAMODB_ENDPOINT") {
        builder = builder.endpoint_url(url);
    }
    if let Ok(text) = std::env::var("NUBES_DYNAMODB_ATTEMPT_TIMEOUT_MS") {
        match text.parse::<u64>() {
            Ok(ms) if ms > 0 => builder = builder.attempt_timeout(Duration::from_millis(ms)),
            _ => tracing::warn!(
                value = %text,
                "NUBES_DYNAMODB_ATTEMPT_TIMEOUT_MS is not a positive number of milliseconds; using the default"
            ),
        }
    }
    Arc::new(builder.build())
}
