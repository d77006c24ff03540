//! The hotel benchmark's hand-written tasks (`ssf`) as an AWS Lambda function: each
//! invocation's payload is one task's call as JSON, and its result the answer, run on
//! DynamoDB (`NUBES_TABLE_PREFIX`, `NUBES_DYNAMODB_ENDPOINT`) — so the benchmark's Lambda
//! rows put both implementations behind the same transport.

use std::sync::Arc;

use nubes_bench::hotel::{Answer, Call, Ssf, Tasks};
use nubes_runtime::lambda::store_from_env;
use nubes_runtime::lambda_runtime::{self, service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let tasks = Arc::new(Ssf::new(store_from_env(), ""));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Call>| {
        let tasks = tasks.clone();
        async move {
            let answer: Answer = tasks.run(&event.payload).await?;
            Ok::<Answer, lambda_runtime::Error>(answer)
        }
    }))
    .await
}
