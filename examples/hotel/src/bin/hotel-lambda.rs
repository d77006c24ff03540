//! The hotel application as an AWS Lambda function: the same handlers and method bodies
//! as the in-process scenario, on DynamoDB (`NUBES_TABLE_PREFIX`,
//! `NUBES_DYNAMODB_ENDPOINT`). Deploy one such function per object type, named
//! `hotel-<Type>`, or configure the client's function names.

#[tokio::main]
async fn main() -> Result<(), nubes_runtime::lambda_runtime::Error> {
    hotel_handlers::serve_lambda(hotel_app::HotelApp).await
}
