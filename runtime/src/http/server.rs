//! The HTTP server: every connection on its own task, every request handed to an
//! [`InProcess`] transport, which runs it with [`crate::Runtime::handle`] and delivers
//! the asynchronous calls it queued as its [`crate::Delivery`] says.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use super::{HEALTH_PATH, INVOKE_PATH, MAX_REQUEST_BYTES};
use crate::request::Reply;
use crate::transport::{InProcess, Transport};

type Response = hyper::Response<Full<Bytes>>;

/// How long a client may take to send a request's head before its connection is closed.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a stopping server waits for the requests in flight before it returns.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The pause after a connection could not be accepted (out of file descriptors, say),
/// so that the loop does not spin on an error that lasts.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// An application's handlers served over HTTP (see [`crate::http`] for the protocol).
#[derive(Clone)]
pub struct HttpServer {
    transport: InProcess,
}

impl HttpServer {
    /// A server answering with `transport`: the handlers of one application on its
    /// store (`<app>_handlers::in_process(store, app).with_tables().await?`).
    pub fn new(transport: InProcess) -> Self {
        HttpServer { transport }
    }

    /// Accepts connections on `listener` until `shutdown` completes, then stops accepting
    /// and returns once the requests in flight are answered (or after 30 s, leaving the
    /// rest to be dropped with the Tokio runtime). A client that takes over 30 s to send
    /// a request's head is disconnected.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> std::io::Result<()> {
        let graceful = GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    // A connection that failed before it was accepted (reset, or too many
                    // open files) is that client's problem, not the server's.
                    Err(error) => {
                        tracing::warn!(%error, "a connection could not be accepted");
                        tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            // Replies are small and calls are latency-bound: no Nagle delay.
            if let Err(error) = stream.set_nodelay(true) {
                tracing::debug!(%error, %peer, "TCP_NODELAY could not be set");
            }
            let server = self.clone();
            let service = hyper::service::service_fn(move |request| {
                let server = server.clone();
                async move { Ok::<_, Infallible>(server.answer(request).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::debug!(%error, %peer, "connection ended with an error");
                }
            });
        }
        if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("requests still in flight after {SHUTDOWN_GRACE:?} are dropped");
        }
        Ok(())
    }

    /// The response to one HTTP request.
    async fn answer(&self, request: hyper::Request<Incoming>) -> Response {
        match (request.method(), request.uri().path()) {
            (&Method::POST, INVOKE_PATH) => self.invoke(request.into_body()).await,
            (&Method::GET, HEALTH_PATH) => plain(StatusCode::OK, "ok"),
            (_, INVOKE_PATH) => plain(
                StatusCode::METHOD_NOT_ALLOWED,
                "requests are sent with POST",
            ),
            (_, HEALTH_PATH) => plain(StatusCode::METHOD_NOT_ALLOWED, "health is read with GET"),
            (_, path) => plain(
                StatusCode::NOT_FOUND,
                &format!("no such path `{path}`: requests are posted to {INVOKE_PATH}"),
            ),
        }
    }

    /// Runs the request in `body`; the reply is the runtime's, whatever it says.
    async fn invoke(&self, body: Incoming) -> Response {
        let bytes = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(error) if error.is::<LengthLimitError>() => {
                return plain(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &format!("a request body holds at most {MAX_REQUEST_BYTES} bytes"),
                )
            }
            Err(error) => {
                return plain(
                    StatusCode::BAD_REQUEST,
                    &format!("the request body could not be read: {error}"),
                )
            }
        };
        let payload = match serde_json::from_slice(&bytes) {
            Ok(payload) => payload,
            Err(error) => {
                return plain(
                    StatusCode::BAD_REQUEST,
                    &format!("the request body is not JSON: {error}"),
                )
            }
        };
        let reply = match serde_json::from_value(payload) {
            Ok(request) => Reply::from(self.transport.send(&request).await),
            Err(error) => Reply::Error(crate::Error::validation(format!(
                "the payload is not a nubes request: {error}"
            ))),
        };
        match serde_json::to_vec(&reply) {
            Ok(body) => json(body),
            Err(error) => plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("the reply could not be encoded: {error}"),
            ),
        }
    }
}

/// Serves `transport` on `address` until `shutdown` completes (see [`HttpServer::run`]);
/// calls `bound` with the address it listens on (the port chosen, for port 0) before
/// accepting.
pub async fn serve(
    transport: InProcess,
    address: SocketAddr,
    bound: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(address).await?;
    bound(listener.local_addr()?);
    HttpServer::new(transport).run(listener, shutdown).await
}

fn json(body: Vec<u8>) -> Response {
    let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn plain(status: StatusCode, text: &str) -> Response {
    let mut response = hyper::Response::new(Full::new(Bytes::from(format!("{text}\n"))));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
