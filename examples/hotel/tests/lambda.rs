//! The hotel application over AWS Lambda, locally: the generated client sends each call
//! with aws-sdk-lambda `Invoke` to a Lambda emulator (`cargo lambda watch`, installed and
//! started by `scripts/lambda`), which hands it to the `hotel-lambda` function — this
//! package's binary, serving the generated handlers with `lambda_runtime` — on DynamoDB
//! (moto). The same client and handlers as in process; only the transport differs.

mod emulator;
mod fixture;
#[path = "../../../runtime/tests/support/mod.rs"]
mod support;

use emulator::{emulator, lambda_client, start_function, FUNCTION};
use fixture::day;
use hotel_client::Client;
use hotel_model::room::ReserveError;
use hotel_model::Overlap;
use nubes_runtime::aws_sdk_lambda;
use nubes_runtime::lambda::LambdaTransport;
use nubes_runtime::serde_json::{self, json};
use nubes_runtime::store::dynamo::DynamoStore;
use nubes_runtime::store::{Condition, Key, WriteOp};
use nubes_runtime::{Call, Invocation, InvocationId, Request, Store, Transport};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hotel_runs_over_lambda() {
    let dynamo = support::dynamo_endpoint();
    let prefix = format!("lambda-{}-", std::process::id());
    let tables = DynamoStore::builder()
        .endpoint_url(&dynamo)
        .table_prefix(&prefix)
        .build();
    tables
        .ensure_tables(&hotel_handlers::schema().tables())
        .await
        .expect("the tables are created");
    let emulator = emulator();
    let _function = start_function(&emulator, &dynamo, &prefix, &[]);
    let lambda = lambda_client(&emulator, None);
    let transport = LambdaTransport::new(lambda.clone(), "hotel").one_function(FUNCTION);
    let client = Client::new(transport.clone());

    // The nine tasks, each once, over Lambda.
    let lisbon = fixture::city(&client, "Lisbon").await;
    let ana = fixture::register(&client, "ana").await;
    let ben = fixture::register(&client, "ben").await;
    let hotels = client.city(&lisbon.id).hotels().await.expect("get-hotels");
    assert_eq!(hotels.len(), 3);
    client
        .hotel(&lisbon.hotels[0])
        .set_rate(4.9)
        .await
        .expect("set-hotel-rate");
    let best = client
        .city(&lisbon.id)
        .recommend_by_rate(1)
        .await
        .expect("recommend-price");
    assert_eq!(fixture::names(&best), ["Alfama Inn"]);
    let nearest = client
        .city(&lisbon.id)
        .recommend_by_location(fixture::BAIXA, 1)
        .await
        .expect("recommend-location");
    assert_eq!(fixture::names(&nearest), ["Alfama Inn"]);
    let room = client.room(&lisbon.rooms[0]);
    let booked = room
        .reserve(&ana, day("2027-06-01"), day("2027-06-04"))
        .await
        .expect("reserve");
    let refused = room
        .reserve(&ben, day("2027-06-03"), day("2027-06-05"))
        .await;
    assert_eq!(
        refused,
        Err(ReserveError::Overlap(Overlap {
            reservation: booked.0.clone()
        })),
        "a typed error travels through Lambda"
    );
    assert_eq!(client.user(&ana).login("pw-ana").await, Ok(true), "login");
    assert_eq!(client.user(&ana).login("nope").await, Ok(false), "login");
    let mine = client
        .user(&ana)
        .reservations_ids()
        .await
        .expect("get-user-reservations");
    assert_eq!(mine, std::slice::from_ref(&booked));
    client.user(&ben).delete().await.expect("delete-user");
    assert_eq!(client.user(&ben).exists().await, Ok(false));

    // A retried call keeps its invocation id and is answered from the record.
    let request = Request::new(
        "Room",
        lisbon.rooms[1].as_ref(),
        Call::Method {
            method: "reserve".into(),
            args: json!({ "guest": ana.0, "checkIn": "2027-07-01", "checkOut": "2027-07-02" }),
        },
    );
    let first = transport.send(&request).await.expect("a reservation");
    let again = transport
        .send(&request)
        .await
        .expect("the same reservation");
    assert_eq!(first, again);
    let reservations = client
        .room(&lisbon.rooms[1])
        .reservations_ids()
        .await
        .expect("the room's reservations");
    assert_eq!(reservations.len(), 1, "the retry did not book twice");

    // A payload that is not a request is answered as such, not failed as a crash.
    let reply = invoke(&lambda, json!({ "hello": 1 })).await;
    assert_eq!(reply["error"]["kind"], json!("validation"), "{reply}");

    // EventBridge's scheduled event makes the function deliver the outbox: a pending
    // asynchronous reservation, stored in one of the outbox's partitions, runs once.
    let later = Invocation {
        id: InvocationId::new(),
        type_name: "Room".into(),
        object: lisbon.rooms[2].as_ref().to_string(),
        method: "reserve".into(),
        args: json!({ "guest": ana.0, "checkIn": "2027-08-01", "checkOut": "2027-08-03" }),
    };
    let mut message = nubes_runtime::Item::new();
    message.insert(
        "invocation".into(),
        serde_json::to_value(&later).expect("JSON"),
    );
    tables
        .write(vec![WriteOp::Put {
            key: Key::new("_outbox", "outbox#07", format!("msg#{}", later.id.as_str())),
            item: message,
            condition: Condition::Absent,
        }])
        .await
        .expect("a pending call is stored");
    let scheduled = json!({
        "version": "0",
        "id": "0f3f2c7e-5d2a-4c53-9a8e-7b1d2c3e4f50",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2027-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/hotel-outbox"],
        "detail": {}
    });
    let reply = invoke(&lambda, scheduled).await;
    assert_eq!(reply, json!({ "delivered": 1 }), "{reply}");
    let booked_later = client
        .room(&lisbon.rooms[2])
        .reservations_ids()
        .await
        .expect("the room's reservations");
    assert_eq!(booked_later.len(), 1, "the pending call ran once");
}

/// Invokes the function with `payload` as is; its answer, which must not be a function
/// error.
async fn invoke(lambda: &aws_sdk_lambda::Client, payload: serde_json::Value) -> serde_json::Value {
    let output = lambda
        .invoke()
        .function_name(FUNCTION)
        .payload(aws_sdk_lambda::primitives::Blob::new(
            payload.to_string().into_bytes(),
        ))
        .send()
        .await
        .expect("the function answers");
    assert_eq!(output.function_error, None, "{payload}");
    output
        .payload
        .map(|payload| serde_json::from_slice(payload.as_ref()).unwrap_or_default())
        .unwrap_or_default()
}
