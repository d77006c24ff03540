//! The hotel application as an AWS Lambda function: the same handlers and method bodies
//! as the in-process scenario, on DynamoDB (`NUBES_TABLE_PREFIX`,
//! `NUBES_DYNAMODB_ENDPOINT`). `scripts/lambda-zip` packs it as `bootstrap.zip`, and
//! `tests/golden/build/hotel/deploy/template.yaml` deploys it as a function per object
//! type, `hotel-<Type>`, plus `hotel-outbox`, which EventBridge's schedule calls to
//! deliver asynchronous calls (see docs/deploy.md).

#[tokio::main]
async fn main() -> Result<(), nubes_runtime::lambda_runtime::Error> {
    hotel_handlers::serve_lambda(hotel_app::HotelApp).await
}
