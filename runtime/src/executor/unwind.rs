//! A panic in a method's code stays in its call: it unwinds to here, the call answers
//! [`Error::Panicked`] naming the method, nothing of it commits, and the runtime goes on
//! serving other calls. (With `panic = "abort"` a panic ends the process instead, as
//! everywhere.)

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use serde_json::Value;

use super::context::{Ctx, ObjectHandler};
use crate::error::Error;

/// Runs `method` of `handler` in `ctx`, turning a panic of its code into
/// [`Error::Panicked`].
pub(crate) async fn call_caught(
    handler: &dyn ObjectHandler,
    ctx: &mut Ctx,
    method: &str,
    args: Value,
) -> Result<Value, Error> {
    let call = format!("{}.{method}", ctx.this_ref());
    match CatchPanic(handler.call(ctx, method, args)).await {
        Ok(answer) => answer,
        Err(payload) => {
            let message = panic_message(payload.as_ref());
            tracing::error!(%call, %message, "the method panicked; nothing of the call commits");
            Err(Error::Panicked { call, message })
        }
    }
}

/// Polls a future, catching a panic of any poll. What a method's code can change is its
/// `Ctx`, which the call discards on any error, so nothing observes it after a panic. The
/// state the runtime shares between calls (the store, caches, hints) is only touched by
/// the runtime's own code, never while method code runs under one of its locks, so a
/// panic of method code cannot leave it half-changed: asserting unwind safety is sound.
struct CatchPanic<F>(F);

impl<F: Future + Unpin> Future for CatchPanic<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.0;
        match catch_unwind(AssertUnwindSafe(|| Pin::new(inner).poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

/// The text a panic was raised with, when it was raised with text.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| text.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}
