//! Transports: how a client's [`Request`] reaches the handlers. In process (the handlers
//! run in the client's process, on an embedded store), over AWS Lambda (`lambda-client`
//! feature) or over HTTP (`http-client` feature). A logical call keeps its invocation id on every retry, so a
//! retry after a timeout is answered from the result record instead of running twice.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

use crate::error::Error;
use crate::request::Request;

mod in_process;

pub use in_process::{Delivery, InProcess};

/// Carries requests to the handlers and brings back their answers.
#[async_trait]
pub trait Transport: Send + Sync {
    /// Sends one request once. A failure that may have been applied (a timeout, a crash)
    /// is [`Error::Unavailable`]: the caller may retry with the same request.
    async fn send(&self, request: &Request) -> Result<Value, Error>;
}

/// How often and how patiently a client retries a call that may not have arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub attempts: u32,
    /// The first back-off; it doubles after each attempt (with full jitter).
    pub backoff: Duration,
    /// The longest back-off.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            backoff: Duration::from_millis(20),
            max_backoff: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy {
            attempts: 1,
            ..RetryPolicy::default()
        }
    }

    fn wait_before(&self, attempt: u32) -> Duration {
        let ceiling = self
            .backoff
            .saturating_mul(1 << attempt.min(16))
            .min(self.max_backoff);
        let micros = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
        Duration::from_micros(fastrand::u64(0..=micros))
    }
}

/// Sends `request`, retrying it unchanged (same invocation id) while the failure is
/// retryable and attempts remain.
pub async fn send_with_retry(
    transport: &dyn Transport,
    request: &Request,
    policy: &RetryPolicy,
) -> Result<Value, Error> {
    let mut attempt = 1;
    loop {
        match transport.send(request).await {
            Err(error) if error.is_retryable() && attempt < policy.attempts.max(1) => {
                tracing::debug!(invocation = %request.id, attempt, %error, "retrying with the same invocation id");
                tokio::time::sleep(policy.wait_before(attempt)).await;
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}
