//! Tables: creating the missing ones, waiting until they are active, turning on TTL.

use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TableStatus,
    TimeToLiveSpecification,
};

use super::errors::{build_error, classify, error_code, error_message};
use super::DynamoStore;
use crate::store::{validate_table_name, StoreError, TableSpec, EXPIRES, PK, SK};

/// How long [`Store::ensure_tables`](crate::store::Store::ensure_tables) waits for a new
/// table to become active.
const TABLE_ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);

impl DynamoStore {
    /// [`Store::ensure_tables`](crate::store::Store::ensure_tables): creates the missing
    /// tables, waits until every one is active and turns on TTL on the new ones.
    pub(super) async fn ensure(&self, tables: &[TableSpec]) -> Result<(), StoreError> {
        for spec in tables {
            validate_table_name(&spec.name)?;
        }
        // Create every missing table first, then wait for them together.
        let mut waiting: Vec<(&str, bool)> = Vec::new();
        for spec in tables {
            match self.table_status(&spec.name).await? {
                Some(TableStatus::Active) => {}
                Some(_) => waiting.push((&spec.name, false)),
                None => {
                    let created = self.create_table(&spec.name).await?;
                    waiting.push((&spec.name, created));
                }
            }
        }
        for (table, created) in waiting {
            self.wait_active(table).await?;
            if created {
                self.enable_ttl(table).await?;
            }
        }
        Ok(())
    }

    /// The status of a table, `None` when it does not exist.
    pub(super) async fn table_status(
        &self,
        table: &str,
    ) -> Result<Option<TableStatus>, StoreError> {
        match self
            .client
            .describe_table()
            .table_name(self.table_name(table))
            .send()
            .await
        {
            Ok(output) => Ok(output
                .table
                .and_then(|description| description.table_status)),
            Err(err) if error_code(&err) == Some("ResourceNotFoundException") => Ok(None),
            Err(err) => Err(classify(err, table)),
        }
    }

    /// Creates a table; false when someone else is creating it already.
    async fn create_table(&self, table: &str) -> Result<bool, StoreError> {
        let result = self
            .client
            .create_table()
            .table_name(self.table_name(table))
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attribute_definition(PK)?)
            .attribute_definitions(attribute_definition(SK)?)
            .key_schema(key_schema_element(PK, KeyType::Hash)?)
            .key_schema(key_schema_element(SK, KeyType::Range)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if error_code(&err) == Some("ResourceInUseException") => Ok(false),
            Err(err) => Err(classify(err, table)),
        }
    }

    /// Polls until the table is active, within [`TABLE_ACTIVE_TIMEOUT`].
    async fn wait_active(&self, table: &str) -> Result<(), StoreError> {
        let started = tokio::time::Instant::now();
        let mut pause = Duration::from_millis(20);
        loop {
            if self.table_status(table).await? == Some(TableStatus::Active) {
                return Ok(());
            }
            if started.elapsed() >= TABLE_ACTIVE_TIMEOUT {
                return Err(StoreError::Unavailable(format!(
                    "table `{}` did not become ACTIVE within {} s",
                    self.table_name(table),
                    TABLE_ACTIVE_TIMEOUT.as_secs()
                )));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }

    /// Turns on expiry by [`EXPIRES`].
    async fn enable_ttl(&self, table: &str) -> Result<(), StoreError> {
        let spec = TimeToLiveSpecification::builder()
            .enabled(true)
            .attribute_name(EXPIRES)
            .build()
            .map_err(build_error)?;
        let result = self
            .client
            .update_time_to_live()
            .table_name(self.table_name(table))
            .time_to_live_specification(spec)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if error_message(&err).is_some_and(|m| m.contains("already enabled")) => {
                Ok(())
            }
            Err(err) => Err(classify(err, table)),
        }
    }
}

fn attribute_definition(name: &str) -> Result<AttributeDefinition, StoreError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(build_error)
}

fn key_schema_element(name: &str, key_type: KeyType) -> Result<KeySchemaElement, StoreError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .map_err(build_error)
}

/// How a table on the server compares with what [`Store::ensure_tables`] makes.
///
/// [`Store::ensure_tables`]: crate::store::Store::ensure_tables
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableCheck {
    /// There is no such table.
    Missing,
    /// It is there, active, and as `ensure_tables` makes it.
    Ready,
    /// It is there but differs: each entry says how.
    Differs(Vec<String>),
}

impl DynamoStore {
    /// Turns on expiry by `_ttl` on each existing table of `tables` where it is off (a
    /// table whose creation was interrupted before its expiry was set, say). Tables that
    /// do not exist, and tables whose key is not `pk` and `sk` (not made by the runtime),
    /// are left alone.
    pub async fn ensure_expiry(&self, tables: &[TableSpec]) -> Result<(), StoreError> {
        for spec in tables {
            validate_table_name(&spec.name)?;
            let Some(check) = self.differences(&spec.name).await? else {
                continue;
            };
            if check.keys_ok && !check.expiry_on {
                self.enable_ttl(&spec.name).await?;
            }
        }
        Ok(())
    }

    /// Compares each table of `tables` (names without the prefix) with what
    /// [`Store::ensure_tables`](crate::store::Store::ensure_tables) makes: keys `pk` (hash)
    /// and `sk` (range), both strings; on-demand billing; expiry by `_ttl`; active. Reads
    /// only (`DescribeTable`, `DescribeTimeToLive`).
    pub async fn check_tables(
        &self,
        tables: &[TableSpec],
    ) -> Result<Vec<(String, TableCheck)>, StoreError> {
        let mut checks = Vec::new();
        for spec in tables {
            validate_table_name(&spec.name)?;
            checks.push((spec.name.clone(), self.check_table(&spec.name).await?));
        }
        Ok(checks)
    }

    async fn check_table(&self, table: &str) -> Result<TableCheck, StoreError> {
        Ok(match self.differences(table).await? {
            None => TableCheck::Missing,
            Some(found) if found.differences.is_empty() => TableCheck::Ready,
            Some(found) => TableCheck::Differs(found.differences),
        })
    }

    /// How `table` differs from what `ensure_tables` makes; `None` when it does not exist.
    async fn differences(&self, table: &str) -> Result<Option<Found>, StoreError> {
        let described = match self
            .client
            .describe_table()
            .table_name(self.table_name(table))
            .send()
            .await
        {
            Ok(output) => output.table,
            Err(err) if error_code(&err) == Some("ResourceNotFoundException") => return Ok(None),
            Err(err) => return Err(classify(err, table)),
        };
        let Some(described) = described else {
            return Ok(None);
        };
        let mut differences = Vec::new();
        let keys: Vec<String> = described
            .key_schema()
            .iter()
            .map(|key| format!("{} {}", key.attribute_name(), key.key_type().as_str()))
            .collect();
        let wanted_keys = [format!("{PK} HASH"), format!("{SK} RANGE")];
        let keys_ok = keys == wanted_keys;
        if !keys_ok {
            differences.push(format!(
                "its key is ({}), not ({})",
                keys.join(", "),
                wanted_keys.join(", ")
            ));
        }
        for definition in described.attribute_definitions() {
            let name = definition.attribute_name();
            let kind = definition.attribute_type().as_str();
            if (name == PK || name == SK) && kind != "S" {
                differences.push(format!("`{name}` is of type {kind}, not S (string)"));
            }
        }
        let billing = described
            .billing_mode_summary()
            .and_then(|summary| summary.billing_mode())
            .map(|mode| mode.as_str().to_string())
            .unwrap_or_else(|| "PROVISIONED".to_string());
        if billing != BillingMode::PayPerRequest.as_str() {
            differences.push(format!(
                "billing is {billing}, not PAY_PER_REQUEST (on demand)"
            ));
        }
        if let Some(status) = described.table_status() {
            if *status != TableStatus::Active {
                differences.push(format!("it is {}, not ACTIVE yet", status.as_str()));
            }
        }
        let ttl = self
            .client
            .describe_time_to_live()
            .table_name(self.table_name(table))
            .send()
            .await
            .map_err(|err| classify(err, table))?
            .time_to_live_description;
        let expiry_on = ttl.as_ref().is_some_and(|ttl| {
            ttl.attribute_name() == Some(EXPIRES)
                && ttl
                    .time_to_live_status()
                    .is_some_and(|status| matches!(status.as_str(), "ENABLED" | "ENABLING"))
        });
        if !expiry_on {
            differences.push(format!(
                "items do not expire by `{EXPIRES}` (turn on time to live with that attribute)"
            ));
        }
        Ok(Some(Found {
            differences,
            keys_ok,
            expiry_on,
        }))
    }
}

/// What [`DynamoStore::check_tables`] found of one existing table.
struct Found {
    differences: Vec<String>,
    keys_ok: bool,
    expiry_on: bool,
}
