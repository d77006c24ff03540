//! The HTTP transport: each request is one `POST /invoke` to a nubes HTTP server, on a
//! pool of kept-alive HTTP/1.1 connections.

use std::time::Duration;

use async_trait::async_trait;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use super::INVOKE_PATH;
use crate::error::Error;
use crate::request::{Reply, Request};
use crate::transport::Transport;

/// How long a request may take, reply included, unless [`HttpTransport::timeout`] says
/// otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends requests to a nubes HTTP server (plain `http://`; put TLS in front of it with a
/// proxy when the network between needs it).
#[derive(Clone, Debug)]
pub struct HttpTransport {
    client: Client<HttpConnector, Full<Bytes>>,
    invoke: Uri,
    timeout: Duration,
}

impl HttpTransport {
    /// A transport to the server at `base_url`, e.g. `http://127.0.0.1:8700`; requests go
    /// to its `/invoke`. An address that is not an `http://` URL is a validation error.
    pub fn new(base_url: &str) -> Result<Self, Error> {
        let invoke = invoke_uri(base_url)?;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(HttpTransport {
            client,
            invoke,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// This transport, giving up on a request after `timeout` (30 s by default). A request
    /// given up on may have run: it fails as [`Error::Unavailable`], and a retry with the
    /// same invocation id is answered from its result record.
    pub fn timeout(self, timeout: Duration) -> Self {
        HttpTransport { timeout, ..self }
    }

    /// Where requests are posted.
    pub fn invoke_uri(&self) -> &Uri {
        &self.invoke
    }

    async fn exchange(&self, body: Vec<u8>) -> Result<(StatusCode, Bytes), Error> {
        let mut request = hyper::Request::new(Full::new(Bytes::from(body)));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = self.invoke.clone();
        request
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let response = self
            .client
            .request(request)
            .await
            .map_err(|error| self.unavailable(format!("{error:?}")))?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|error| self.unavailable(format!("the reply broke off: {error}")))?
            .to_bytes();
        Ok((status, bytes))
    }

    fn unavailable(&self, what: String) -> Error {
        Error::Unavailable {
            message: format!("POST {}: {what}", self.invoke),
        }
    }
}

#[async_trait]
impl Transport for HttpTransport {
    async fn send(&self, request: &Request) -> Result<Value, Error> {
        let body = serde_json::to_vec(request)
            .map_err(|error| Error::validation(format!("cannot encode the request: {error}")))?;
        let (status, bytes) = tokio::time::timeout(self.timeout, self.exchange(body))
            .await
            .map_err(|_elapsed| {
                self.unavailable(format!("no reply within {:?}", self.timeout))
            })??;
        let text = || String::from_utf8_lossy(&bytes).trim().to_string();
        match status {
            StatusCode::OK => {
                let reply: Reply =
                    serde_json::from_slice(&bytes).map_err(|error| Error::Store {
                        message: format!(
                            "POST {}: the server sent an unreadable reply: {error}",
                            self.invoke
                        ),
                    })?;
                reply.into()
            }
            // The server or a proxy before it failed, maybe after the call committed: a
            // retry with the same invocation id runs it at most once.
            status if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS => {
                Err(self.unavailable(format!("{status}: {}", text())))
            }
            StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE => {
                Err(Error::validation(format!(
                    "POST {} refused the request ({status}): {}",
                    self.invoke,
                    text()
                )))
            }
            status => Err(Error::Store {
                message: format!(
                    "POST {} answered {status}, not a reply; is this a nubes server? {}",
                    self.invoke,
                    text()
                ),
            }),
        }
    }
}

/// `base_url` with [`INVOKE_PATH`] appended to its path.
fn invoke_uri(base_url: &str) -> Result<Uri, Error> {
    let invalid = |why: String| {
        Error::validation(format!(
            "`{base_url}` is not a server address like `http://127.0.0.1:8700`: {why}"
        ))
    };
    let base: Uri = base_url
        .parse()
        .map_err(|error| invalid(format!("{error}")))?;
    match base.scheme_str() {
        Some("http") => {}
        Some(other) => {
            return Err(invalid(format!(
                "the scheme is `{other}`; only `http` is spoken"
            )))
        }
        None => return Err(invalid("it has no `http://`".into())),
    }
    if base.query().is_some() {
        return Err(invalid("it has a query".into()));
    }
    let path = base.path().trim_end_matches('/');
    format!(
        "http://{}{path}{INVOKE_PATH}",
        base.authority()
            .map(|authority| authority.as_str())
            .unwrap_or_default()
    )
    .parse()
    .map_err(|error| invalid(format!("{error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_go_to_invoke_under_the_base_path() {
        let uri = |base: &str| invoke_uri(base).map(|uri| uri.to_string());
        assert_eq!(
            uri("http://127.0.0.1:8700"),
            Ok("http://127.0.0.1:8700/invoke".into())
        );
        assert_eq!(uri("http://h:1/"), Ok("http://h:1/invoke".into()));
        assert_eq!(
            uri("http://h/api/hotel/"),
            Ok("http://h/api/hotel/invoke".into())
        );
    }

    #[test]
    fn addresses_that_are_not_http_urls_are_refused() {
        for base in ["https://h", "127.0.0.1:8700", "http://h/?x=1", "not a url"] {
            let error = invoke_uri(base).expect_err(base);
            assert!(matches!(error, Error::Validation { .. }), "{base}: {error}");
            assert!(error.to_string().contains(base), "{error}");
        }
    }
}
