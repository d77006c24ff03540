//! The hotel application over AWS Lambda, locally: the generated client sends each call
//! with aws-sdk-lambda `Invoke` to a Lambda emulator (`cargo lambda watch`, installed and
//! started by `scripts/lambda`), which hands it to the `hotel-lambda` function — this
//! package's binary, serving the generated handlers with `lambda_runtime` — on DynamoDB
//! (moto). The same client and handlers as in process; only the transport differs.

mod fixture;
#[path = "../../../runtime/tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use hotel_client::Client;
use hotel_model::room::ReserveError;
use hotel_model::Overlap;
use nubes_runtime::aws_sdk_lambda;
use nubes_runtime::lambda::LambdaTransport;
use nubes_runtime::serde_json::{self, json};
use nubes_runtime::store::dynamo::DynamoStore;
use nubes_runtime::{Call, Request, Store, Transport};

/// The function's name: the binary's, as the emulator knows it.
const FUNCTION: &str = "hotel-lambda";

/// The function process; stopped when dropped, also when a test fails.
struct Function(Child);

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `scripts/<name>` of the repository.
fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts")
        .join(name)
}

/// Starts the emulator (once per machine) and returns its URL.
fn emulator() -> String {
    let run = |command: &str| {
        let output = Command::new(script("lambda"))
            .arg(command)
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|error| panic!("could not run scripts/lambda {command}: {error}"));
        assert!(
            output.status.success(),
            "scripts/lambda {command} failed ({}): see .tools/lambda.log",
            output.status
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    };
    run("start");
    run("url")
}

/// Starts the function against the emulator, on tables named `<prefix><Type>` in moto.
fn start_function(emulator: &str, dynamo: &str, prefix: &str) -> Function {
    let child = Command::new(env!("CARGO_BIN_EXE_hotel-lambda"))
        .env(
            "AWS_LAMBDA_RUNTIME_API",
            format!("{emulator}/.rt/{FUNCTION}"),
        )
        .env("AWS_LAMBDA_FUNCTION_NAME", FUNCTION)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
        .env("NUBES_DYNAMODB_ENDPOINT", dynamo)
        .env("NUBES_TABLE_PREFIX", prefix)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| panic!("could not start {FUNCTION}: {error}"));
    Function(child)
}

/// An SDK client for the emulator.
fn lambda_client(emulator: &str) -> aws_sdk_lambda::Client {
    let config = aws_sdk_lambda::Config::builder()
        .behavior_version(aws_sdk_lambda::config::BehaviorVersion::latest())
        .region(aws_sdk_lambda::config::Region::new("us-east-1"))
        .endpoint_url(emulator)
        .credentials_provider(aws_sdk_lambda::config::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .build();
    aws_sdk_lambda::Client::from_conf(config)
}

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
    let _function = start_function(&emulator, &dynamo, &prefix);
    let lambda = lambda_client(&emulator);
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
        .reserve(&ana, "2027-06-01", "2027-06-04")
        .await
        .expect("reserve");
    let refused = room.reserve(&ben, "2027-06-03", "2027-06-05").await;
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
    let output = lambda
        .invoke()
        .function_name(FUNCTION)
        .payload(aws_sdk_lambda::primitives::Blob::new(
            br#"{"hello":1}"#.to_vec(),
        ))
        .send()
        .await
        .expect("the function answers");
    assert_eq!(output.function_error, None);
    let reply: serde_json::Value = output
        .payload
        .map(|payload| serde_json::from_slice(payload.as_ref()).unwrap_or_default())
        .unwrap_or_default();
    assert_eq!(reply["error"]["kind"], json!("validation"), "{reply}");
}
