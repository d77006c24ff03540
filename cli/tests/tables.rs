//! `nubes tables create|check` as a user runs it, against moto on 127.0.0.1: what each
//! reports, exit codes, that creating twice changes nothing and keeps items, and that a
//! table made differently is reported, not replaced.

#[path = "../../runtime/tests/support/mod.rs"]
#[macro_use]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ProvisionedThroughput, ScalarAttributeType,
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `nubes tables <args>` on the hotel schema at moto, with table prefix `prefix`.
fn tables(command: &str, prefix: &str, schema: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nubes"))
        .args(["tables", command])
        .arg(schema)
        .args([
            "--endpoint",
            &support::dynamo_endpoint(),
            "--prefix",
            prefix,
        ])
        .env_remove("NUBES_DYNAMODB_ENDPOINT")
        .env_remove("NUBES_TABLE_PREFIX")
        .output()
        .expect("the nubes binary runs")
}

fn hotel() -> PathBuf {
    root().join("examples/hotel.nubes")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts that `output` exited with `code`, showing what it printed otherwise.
fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "{}{}",
        stdout(output),
        stderr(output)
    );
}

/// A prefix no other test run uses.
fn prefix(test: &str) -> String {
    format!("cli-{test}-{}-", std::process::id())
}

/// An SDK client for moto, to make and inspect tables as another tool would.
async fn client() -> aws_sdk_dynamodb::Client {
    support::dynamo_store("cli").await.client().clone()
}

/// Creates `table` with string keys `keys` (hash, then range) and `billing`.
async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    keys: &[(&str, ScalarAttributeType)],
    billing: BillingMode,
) {
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(billing.clone());
    for (n, (name, kind)) in keys.iter().enumerate() {
        let key_type = if n == 0 {
            KeyType::Hash
        } else {
            KeyType::Range
        };
        request = request
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(*name)
                    .attribute_type(kind.clone())
                    .build()
                    .expect("an attribute"),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(*name)
                    .key_type(key_type)
                    .build()
                    .expect("a key"),
            );
    }
    if billing == BillingMode::Provisioned {
        request = request.provisioned_throughput(
            ProvisionedThroughput::builder()
                .read_capacity_units(1)
                .write_capacity_units(1)
                .build()
                .expect("a throughput"),
        );
    }
    request.send().await.expect("the table is created");
}

#[tokio::test]
async fn check_reports_missing_tables_and_create_makes_them_once() {
    let prefix = prefix("create");
    let before = tables("check", &prefix, &hotel());
    assert_exit(&before, 1);
    for table in ["City", "Hotel", "Reservation", "Room", "User", "_outbox"] {
        assert!(
            stdout(&before).contains(&format!("{prefix}{table}  ")),
            "{table} not listed:\n{}",
            stdout(&before)
        );
    }
    assert_eq!(
        stdout(&before).matches("missing").count(),
        6,
        "{}",
        stdout(&before)
    );
    assert!(
        stdout(&before).contains("0 of 6 tables ready"),
        "{}",
        stdout(&before)
    );

    let created = tables("create", &prefix, &hotel());
    assert_exit(&created, 0);
    assert!(
        stdout(&created).contains("6 of 6 tables ready"),
        "{}",
        stdout(&created)
    );

    // An item stored between two runs survives the second.
    let client = client().await;
    client
        .put_item()
        .table_name(format!("{prefix}User"))
        .item("pk", AttributeValue::S("ana@example.com".into()))
        .item("sk", AttributeValue::S("#".into()))
        .send()
        .await
        .expect("an item is stored");
    let again = tables("create", &prefix, &hotel());
    assert_exit(&again, 0);
    let item = client
        .get_item()
        .table_name(format!("{prefix}User"))
        .key("pk", AttributeValue::S("ana@example.com".into()))
        .key("sk", AttributeValue::S("#".into()))
        .send()
        .await
        .expect("the item reads");
    assert!(item.item.is_some(), "creating again lost an item");

    let after = tables("check", &prefix, &hotel());
    assert_exit(&after, 0);
    assert_eq!(
        stdout(&after).matches(" ready").count(),
        7,
        "{}",
        stdout(&after)
    );
}

#[tokio::test]
async fn a_table_made_otherwise_is_reported_and_left_alone() {
    let prefix = prefix("differs");
    let client = client().await;
    let table = format!("{prefix}Hotel");
    create_table(
        &client,
        &table,
        &[("id", ScalarAttributeType::N)],
        BillingMode::Provisioned,
    )
    .await;

    let created = tables("create", &prefix, &hotel());
    assert_exit(&created, 1);
    let text = stdout(&created);
    assert!(
        text.lines()
            .any(|line| line.starts_with(&format!("{table} ")) && line.ends_with(" differs:")),
        "{text}"
    );
    assert!(
        text.contains("its key is (id HASH), not (pk HASH, sk RANGE)"),
        "{text}"
    );
    assert!(text.contains("billing is PROVISIONED"), "{text}");
    assert!(text.contains("do not expire by `_ttl`"), "{text}");
    assert!(text.contains("5 of 6 tables ready"), "{text}");

    // Still the user's table.
    let described = client
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .expect("the table is there")
        .table
        .expect("a description");
    assert_eq!(described.key_schema()[0].attribute_name(), "id");
}

#[test]
fn a_schema_with_errors_is_shown_and_nothing_is_touched() {
    let dir = root().join("target/nubes-cli-tests");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let schema = dir.join(format!("broken-{}.nubes", std::process::id()));
    std::fs::write(&schema, "object Note { text: Strin }\n").expect("the schema is written");
    let output = tables("create", &prefix("broken"), &schema);
    let _ = std::fs::remove_file(&schema);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("Strin"), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("has errors; fix them first"),
        "{}",
        stderr(&output)
    );
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));
}

#[test]
fn an_unreadable_file_exits_2_with_its_name() {
    let output = tables(
        "check",
        &prefix("unreadable"),
        Path::new("no/such/app.nubes"),
    );
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("no/such/app.nubes"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn create_turns_on_expiry_where_it_is_off() {
    let prefix = prefix("expiry");
    let client = client().await;
    let table = format!("{prefix}User");
    // The right keys and billing, but no expiry: a creation cut short before its TTL.
    create_table(
        &client,
        &table,
        &[
            ("pk", ScalarAttributeType::S),
            ("sk", ScalarAttributeType::S),
        ],
        BillingMode::PayPerRequest,
    )
    .await;
    let checked = tables("check", &prefix, &hotel());
    assert_exit(&checked, 1);
    assert!(
        stdout(&checked).contains("do not expire by `_ttl`"),
        "{}",
        stdout(&checked)
    );

    let created = tables("create", &prefix, &hotel());
    assert_exit(&created, 0);
    let ttl = client
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .expect("the table's expiry")
        .time_to_live_description
        .expect("a description");
    assert_eq!(ttl.attribute_name(), Some("_ttl"));
}
