//! `@readonly` through generated code: settable at creation, never after, by any path —
//! the client has no setter, a raw request is refused, and a method that changes a
//! read-only field of its own object or of another one is refused by the runtime, with
//! nothing stored changed.

#[macro_use]
#[path = "../../../runtime/tests/support/mod.rs"]
mod support;

use std::sync::Arc;

use nubes_runtime::{Call, Ctx, Error, Request, Store, Transport};
use readonly_client::Client;
use readonly_model::{ticket, Ticket};
use serde_json::json;

on_both_stores!(
    readonly_fields_are_set_at_creation,
    a_raw_request_cannot_change_a_readonly_field,
    a_method_cannot_change_its_own_readonly_field,
    a_method_cannot_change_another_objects_readonly_field,
    other_fields_change_as_usual,
);

/// The box office: each method does what its name says, the forbidden ones included.
struct BoxOffice;

impl ticket::Methods for BoxOffice {
    async fn transfer(&self, this: &mut Ticket, _ctx: &mut Ctx, to: String) -> Result<(), Error> {
        this.holder = to;
        Ok(())
    }

    async fn move_seat(&self, this: &mut Ticket, _ctx: &mut Ctx, seat: i64) -> Result<(), Error> {
        this.seat = seat;
        Ok(())
    }

    async fn rename_event(
        &self,
        _this: &mut Ticket,
        ctx: &mut Ctx,
        other: ticket::Id,
        event: String,
    ) -> Result<(), Error> {
        // The generated API has no way to do this; the raw context is the only path left.
        ctx.set("Ticket", other.as_ref(), "event", json!(event))
            .await
    }
}

async fn box_office(store: Arc<dyn Store>) -> (Client, nubes_runtime::InProcess) {
    let transport = readonly_handlers::in_process(store, BoxOffice)
        .with_tables()
        .await
        .expect("tables are created");
    (Client::new(transport.clone()), transport)
}

async fn ticket(client: &Client, seat: i64) -> readonly_client::ticket::Handle {
    client
        .tickets()
        .create(ticket::Init {
            event: "Opening night".into(),
            seat,
            holder: "Ada".into(),
        })
        .await
        .expect("a ticket is created")
}

fn is_readonly_refusal(error: &Error, field: &str) -> bool {
    matches!(error, Error::Validation { message } if message.contains(&format!("`Ticket.{field}` is read-only")))
}

async fn readonly_fields_are_set_at_creation(store: Arc<dyn Store>) {
    let (client, _) = box_office(store).await;
    let ticket = ticket(&client, 12).await;
    let stored = ticket.load().await.expect("the ticket loads");
    assert_eq!(stored.event, "Opening night");
    assert_eq!(stored.seat, 12);
    // The client has getters for read-only fields and setters only for the others.
    let client_source = include_str!("../../golden/build/readonly/readonly-client/src/lib.rs");
    assert!(client_source.contains("pub async fn get_seat("));
    assert!(client_source.contains("pub async fn set_holder("));
    assert!(!client_source.contains("fn set_seat("));
    assert!(!client_source.contains("fn set_event("));
}

async fn a_raw_request_cannot_change_a_readonly_field(store: Arc<dyn Store>) {
    let (client, transport) = box_office(store).await;
    let ticket = ticket(&client, 12).await;
    let request = Request::new(
        "Ticket",
        ticket.id.as_ref(),
        Call::Set {
            field: "seat".into(),
            value: json!(1),
        },
    );
    let refused = transport.send(&request).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|error| is_readonly_refusal(error, "seat")),
        "{refused:?}"
    );
    assert_eq!(ticket.get_seat().await.ok(), Some(12));
}

async fn a_method_cannot_change_its_own_readonly_field(store: Arc<dyn Store>) {
    let (client, _) = box_office(store).await;
    let ticket = ticket(&client, 12).await;
    let refused = ticket.move_seat(1).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|error| is_readonly_refusal(error, "seat")),
        "{refused:?}"
    );
    assert_eq!(ticket.get_seat().await.ok(), Some(12));
}

async fn a_method_cannot_change_another_objects_readonly_field(store: Arc<dyn Store>) {
    let (client, _) = box_office(store).await;
    let first = ticket(&client, 12).await;
    let second = ticket(&client, 13).await;
    let refused = first.rename_event(second.id.clone(), "Closing night").await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|error| is_readonly_refusal(error, "event")),
        "{refused:?}"
    );
    assert_eq!(
        second.get_event().await.ok().as_deref(),
        Some("Opening night")
    );
}

async fn other_fields_change_as_usual(store: Arc<dyn Store>) {
    let (client, _) = box_office(store).await;
    let ticket = ticket(&client, 12).await;
    ticket
        .transfer("Grace")
        .await
        .expect("a transfer is allowed");
    assert_eq!(ticket.get_holder().await.ok().as_deref(), Some("Grace"));
    ticket.set_holder("Edsger").await.expect("the setter works");
    let stored = ticket.load().await.expect("the ticket loads");
    assert_eq!((stored.holder.as_str(), stored.seat), ("Edsger", 12));
}
