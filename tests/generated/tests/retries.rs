//! The generated client keeps a call's invocation id on every retry: a call whose commit
//! landed but whose answer was lost (a crash or timeout after the write) is retried and
//! answered from the result record, so the method runs once.

#[macro_use]
#[path = "../../../runtime/tests/support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use nubes_runtime::store::faulty::{Fault, FaultyStore};
use nubes_runtime::{Ctx, Error, RetryPolicy, Store};
use readonly_client::Client;
use readonly_model::{ticket, Ticket};

on_both_stores!(
    a_lost_answer_is_retried_with_the_same_id,
    a_timeout_after_the_write_is_retried_with_the_same_id,
    without_retries_the_caller_sees_the_failure,
);

/// Counts the runs of `transfer`.
#[derive(Default)]
struct Counting {
    transfers: Arc<AtomicUsize>,
}

impl ticket::Methods for Counting {
    async fn transfer(&self, this: &mut Ticket, _ctx: &mut Ctx, to: String) -> Result<(), Error> {
        self.transfers.fetch_add(1, Ordering::SeqCst);
        this.holder = to;
        Ok(())
    }

    async fn move_seat(&self, _: &mut Ticket, _: &mut Ctx, _: i64) -> Result<(), Error> {
        Err(Error::validation("not used here"))
    }

    async fn rename_event(
        &self,
        _: &mut Ticket,
        _: &mut Ctx,
        _: ticket::Id,
        _: String,
    ) -> Result<(), Error> {
        Err(Error::validation("not used here"))
    }
}

struct Setup {
    client: Client,
    faults: Arc<FaultyStore>,
    transfers: Arc<AtomicUsize>,
    ticket: readonly_client::ticket::Handle,
}

async fn setup(store: Arc<dyn Store>, retry: RetryPolicy) -> Setup {
    let faults = Arc::new(FaultyStore::new(store));
    let app = Counting::default();
    let transfers = app.transfers.clone();
    let transport = readonly_handlers::in_process(faults.clone(), app)
        .with_tables()
        .await
        .expect("tables are created");
    let client = Client::new(transport).with_retry(RetryPolicy {
        backoff: std::time::Duration::from_millis(1),
        ..retry
    });
    let ticket = client
        .tickets()
        .create(ticket::Init {
            event: "Opening night".into(),
            seat: 7,
            holder: "Ada".into(),
        })
        .await
        .expect("a ticket is created");
    Setup {
        client,
        faults,
        transfers,
        ticket,
    }
}

/// A method call reads the ticket (call 0) and commits (call 1); the fault hits the commit.
async fn retried_once_after(store: Arc<dyn Store>, fault: Fault) {
    let setup = setup(store, RetryPolicy::default()).await;
    setup.faults.fail_at(setup.faults.calls() + 1, fault);
    setup
        .ticket
        .transfer("Grace")
        .await
        .expect("the retry is answered from the record");
    assert_eq!(setup.faults.injected(), 1, "the fault was injected");
    assert_eq!(
        setup.transfers.load(Ordering::SeqCst),
        1,
        "the method ran once"
    );
    let holder = setup
        .client
        .ticket(setup.ticket.id.clone())
        .get_holder()
        .await;
    assert_eq!(holder.ok().as_deref(), Some("Grace"));
}

async fn a_lost_answer_is_retried_with_the_same_id(store: Arc<dyn Store>) {
    retried_once_after(store, Fault::CrashAfter).await;
}

async fn a_timeout_after_the_write_is_retried_with_the_same_id(store: Arc<dyn Store>) {
    retried_once_after(store, Fault::TimeoutAfter).await;
}

async fn without_retries_the_caller_sees_the_failure(store: Arc<dyn Store>) {
    let setup = setup(store, RetryPolicy::none()).await;
    setup
        .faults
        .fail_at(setup.faults.calls() + 1, Fault::CrashAfter);
    let outcome = setup.ticket.transfer("Grace").await;
    assert!(
        matches!(outcome, Err(Error::Unavailable { .. })),
        "{outcome:?}"
    );
    // The write landed before the crash: the state changed, once.
    assert_eq!(setup.transfers.load(Ordering::SeqCst), 1);
    assert_eq!(
        setup.ticket.get_holder().await.ok().as_deref(),
        Some("Grace")
    );
}
