//! AWS Lambda: serving an application's handlers as a Lambda function
//! (`lambda-handler` feature) and reaching them from a client (`lambda-client` feature).
//! Payloads are a JSON [`crate::request::Request`] in and a [`crate::request::Reply`] out.

#[cfg(feature = "lambda-client")]
mod client;
#[cfg(feature = "lambda-handler")]
mod handler;

#[cfg(feature = "lambda-client")]
pub use client::LambdaTransport;
#[cfg(feature = "lambda-handler")]
pub use handler::{serve, store_from_env};
