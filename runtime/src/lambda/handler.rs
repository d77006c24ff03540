//! The Lambda entry point: one function answers every request for the types it serves.

use std::convert::Infallible;
use std::sync::Arc;

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
/// empty) and `NUBES_DYNAMODB_ENDPOINT` (default: the region's AWS endpoint).
pub fn store_from_env() -> Arc<DynamoStore> {
    let mut builder = DynamoStore::builder()
        .table_prefix(std::env::var("NUBES_TABLE_PREFIX").unwrap_or_default());
    if let Ok(url) = std::env::var("NUBES_DYNAMODB_ENDPOINT") {
        builder = builder.endpoint_url(url);
    }
    Arc::new(builder.build())
}
