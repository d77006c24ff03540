//! nubes over HTTP: a server that answers requests with an application's handlers
//! (`http-server` feature), for running them on a container or a VM, and the transport a
//! generated client reaches it with (`http-client` feature).
//!
//! The protocol is the Lambda one on HTTP/1.1: `POST /invoke` with a JSON
//! [`crate::Request`] as the body, answered `200 OK` with a JSON [`crate::Reply`]
//! (`{"ok": value}` or `{"error": {...}}`) for everything the runtime answers, refusals
//! included. Any other status is the transport's: `400` for a body that is not JSON, `404`
//! for another path, `405` for another method, `413` for a body over
//! [`MAX_REQUEST_BYTES`]. `GET /health` answers `200 OK` once the server accepts calls.

#[cfg(feature = "http-client")]
mod client;
#[cfg(feature = "http-server")]
mod server;

#[cfg(feature = "http-client")]
pub use client::HttpTransport;
#[cfg(feature = "http-server")]
pub use server::{serve, HttpServer};

/// The path requests are posted to.
pub const INVOKE_PATH: &str = "/invoke";

/// The path that answers `200 OK` while the server runs.
pub const HEALTH_PATH: &str = "/health";

/// The largest request body the server reads: 6 MB, Lambda's limit for a synchronous
/// invocation, so a request that runs on one transport runs on the other.
pub const MAX_REQUEST_BYTES: usize = 6 * 1024 * 1024;
