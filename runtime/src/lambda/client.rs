//! The Lambda transport: each request is one synchronous `Invoke` of the function that
//! serves its object type.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_lambda::error::SdkError;
use aws_sdk_lambda::primitives::Blob;
use serde_json::Value;

use crate::error::Error;
use crate::request::{Reply, Request};
use crate::transport::Transport;

/// Sends requests to Lambda functions named `<app>-<Type>` unless configured otherwise.
#[derive(Debug, Clone)]
pub struct LambdaTransport {
    client: aws_sdk_lambda::Client,
    app: String,
    functions: BTreeMap<String, String>,
    all: Option<String>,
}

impl LambdaTransport {
    /// A transport for the application `app` over an SDK client (made with `aws-config`,
    /// or with an endpoint URL for a local Lambda emulator).
    pub fn new(client: aws_sdk_lambda::Client, app: impl Into<String>) -> Self {
        LambdaTransport {
            client,
            app: app.into(),
            functions: BTreeMap::new(),
            all: None,
        }
    }

    /// Sends the requests for `type_name` to `function` instead of `<app>-<type_name>`.
    pub fn function_name(
        mut self,
        type_name: impl Into<String>,
        function: impl Into<String>,
    ) -> Self {
        self.functions.insert(type_name.into(), function.into());
        self
    }

    /// Sends the requests of every type to the one function `function` (one function can
    /// serve a whole application). Later [`LambdaTransport::function_name`] calls still
    /// route single types elsewhere.
    pub fn one_function(mut self, function: impl Into<String>) -> Self {
        self.all = Some(function.into());
        self
    }

    /// The function that serves `type_name`.
    pub fn function_for(&self, type_name: &str) -> String {
        self.functions
            .get(type_name)
            .or(self.all.as_ref())
            .cloned()
            .unwrap_or_else(|| format!("{}-{type_name}", self.app))
    }
}

#[async_trait]
impl Transport for LambdaTransport {
    async fn send(&self, request: &Request) -> Result<Value, Error> {
        let function = self.function_for(&request.type_name);
        let payload = serde_json::to_vec(request)
            .map_err(|error| Error::validation(format!("cannot encode the request: {error}")))?;
        let output = self
            .client
            .invoke()
            .function_name(&function)
            .payload(Blob::new(payload))
            .send()
            .await
            .map_err(|error| sdk_error(&function, error))?;
        let body = output.payload.map(Blob::into_inner).unwrap_or_default();
        if let Some(kind) = output.function_error {
            // The function crashed or timed out: the call may or may not have committed,
            // and a retry with the same id is answered from the record if it did.
            return Err(Error::Unavailable {
                message: format!(
                    "function `{function}` failed ({kind}): {}",
                    String::from_utf8_lossy(&body)
                ),
            });
        }
        let reply: Reply = serde_json::from_slice(&body).map_err(|error| Error::Store {
            message: format!("function `{function}` sent an unreadable reply: {error}"),
        })?;
        reply.into()
    }
}

/// Transport failures and throttling may be retried; a refusal (no such function, no
/// permission) may not.
fn sdk_error<E: std::fmt::Debug>(function: &str, error: SdkError<E>) -> Error {
    let retryable = match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            status == 429 || status >= 500
        }
        _ => false,
    };
    let message = format!("invoking `{function}`: {error:?}");
    if retryable {
        Error::Unavailable { message }
    } else {
        Error::Store { message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport() -> LambdaTransport {
        let config = aws_sdk_lambda::Config::builder()
            .behavior_version(aws_sdk_lambda::config::BehaviorVersion::latest())
            .region(aws_sdk_lambda::config::Region::new("us-east-1"))
            .build();
        LambdaTransport::new(aws_sdk_lambda::Client::from_conf(config), "hotel")
    }

    #[test]
    fn functions_are_named_after_app_and_type_unless_configured() {
        let transport = transport().function_name("Room", "rooms-fn");
        assert_eq!(transport.function_for("City"), "hotel-City");
        assert_eq!(transport.function_for("Room"), "rooms-fn");
        let transport = transport.one_function("hotel-all");
        assert_eq!(transport.function_for("City"), "hotel-all");
        assert_eq!(transport.function_for("Room"), "rooms-fn");
    }

    #[test]
    fn replies_travel_as_ok_or_error() {
        let ok = serde_json::to_value(Reply::Ok(serde_json::json!([1, 2])));
        assert_eq!(ok.ok(), Some(serde_json::json!({ "ok": [1, 2] })));
        let error = Reply::Error(Error::not_found("Room", "r1"));
        let text = serde_json::to_string(&error).unwrap_or_default();
        let back: Result<Reply, _> = serde_json::from_str(&text);
        assert_eq!(back.ok(), Some(error));
    }
}
