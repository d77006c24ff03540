//! The Lambda entry point: one function answers every request for the types it serves.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

use crate::executor::Runtime;
use crate::request::Reply;
use crate::store::dynamo::DynamoStore;

/// Serves `runtime` as a Lambda function until the Lambda service stops it. Every failure,
/// store outages included, is a reply the client understands; retryable ones are retried
/// by the client with the same invocation id.
pub async fn serve(runtime: Runtime) -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let runtime = runtime.clone();
        // A payload that is not a request is answered with a validation error, so a
        // function error always means the function failed (a crash, a timeout), which a
        // retry may get past.
        async move { Ok::<Reply, Infallible>(runtime.handle_json(event.payload).await) }
    }))
    .await
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
