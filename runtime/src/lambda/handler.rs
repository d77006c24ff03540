//! The Lambda entry point: one function answers every request for the types it serves.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{service_fn, LambdaEvent};
use serde::Serialize;
use serde_json::Value;

use crate::error::Error;
use crate::executor::Runtime;
use crate::request::Reply;
use crate::store::dynamo::DynamoStore;

/// How long before its deadline a scheduled delivery stops.
const DELIVERY_MARGIN: Duration = Duration::from_secs(3);

/// Serves `runtime` as a Lambda function until the Lambda service stops it. Every failure,
/// store outages included, is a reply the client understands; retryable ones are retried
/// by the client with the same invocation id.
///
/// An EventBridge scheduled event (`"detail-type": "Scheduled Event"`) delivers the
/// outbox instead: rounds over every partition until a round delivers nothing or the
/// invocation is three seconds from its deadline (a quarter of its time, when it has less
/// than twelve seconds); a round still running then is cut short, which is safe: each
/// call runs exactly once. The reply is `{"delivered": n}`; a
/// delivery that fails is a function error, so Lambda's metrics and retries see it.
pub async fn serve(runtime: Runtime) -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let runtime = runtime.clone();
        async move {
            if is_scheduled(&event.payload) {
                let deadline = deadline_of(&event.context);
                let delivered = deliver_until(&runtime, deadline).await?;
                return Ok::<Answer, lambda_runtime::Error>(Answer::Delivery { delivered });
            }
            // A payload that is not a request is answered with a validation error, so a
            // function error always means the function failed (a crash, a timeout),
            // which a retry may get past.
            Ok(Answer::Reply(runtime.handle_json(event.payload).await))
        }
    }))
    .await
}

/// What the function answers: a call's reply, or how many calls a scheduled delivery
/// delivered.
#[derive(Serialize)]
#[serde(untagged)]
enum Answer {
    Reply(Reply),
    Delivery { delivered: usize },
}

/// True for the event EventBridge sends on a schedule.
fn is_scheduled(payload: &Value) -> bool {
    payload.get("source").and_then(Value::as_str) == Some("aws.events")
        && payload.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event")
}

/// When a scheduled delivery stops: [`DELIVERY_MARGIN`] before the invocation's deadline,
/// or a quarter of its time before it when it has less than four margins to run.
fn deadline_of(context: &lambda_runtime::Context) -> SystemTime {
    let deadline = UNIX_EPOCH + Duration::from_millis(context.deadline);
    let left = deadline
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO);
    deadline
        .checked_sub(DELIVERY_MARGIN.min(left / 4))
        .unwrap_or(UNIX_EPOCH)
}

/// Delivers the outbox in rounds of at most 100 calls a partition until a round delivers
/// nothing or `deadline` comes; how many calls were delivered. The first round runs even
/// when the deadline has passed already (a local emulator's invocation may carry one in
/// the past, or none), limited to [`DELIVERY_MARGIN`].
async fn deliver_until(runtime: &Runtime, deadline: SystemTime) -> Result<usize, Error> {
    let mut delivered = 0;
    let mut rounds = 0;
    loop {
        let left = match deadline.duration_since(SystemTime::now()) {
            Ok(left) => left,
            Err(_) if rounds == 0 => DELIVERY_MARGIN,
            Err(_) => {
                tracing::info!(delivered, "outbox delivery stopped at the deadline");
                return Ok(delivered);
            }
        };
        rounds += 1;
        match tokio::time::timeout(left, runtime.deliver_outbox(100)).await {
            Ok(Ok(0)) => return Ok(delivered),
            Ok(Ok(count)) => delivered += count,
            Ok(Err(error)) => {
                tracing::error!(%error, delivered, "outbox delivery failed");
                return Err(error);
            }
            Err(_elapsed) => {
                tracing::info!(delivered, "outbox delivery cut short at the deadline");
                return Ok(delivered);
            }
        }
    }
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
