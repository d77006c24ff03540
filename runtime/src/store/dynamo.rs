//! The DynamoDB backend: AWS DynamoDB, or any server speaking its API (moto in tests).
//!
//! Every table has the string key `pk` (partition) and `sk` (sort), on-demand billing,
//! and TTL on [`EXPIRES`]. The other attributes of an item map to and from JSON: string
//! ↔ `S`, number ↔ `N`, bool ↔ `BOOL`, null ↔ `NULL`, array ↔ `L`, object ↔ `M`.
//!
//! Round trips are counted by an interceptor on the client, once per HTTP request sent,
//! so a request the SDK retries counts again.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_sdk_dynamodb::error::{BoxError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, CancellationReason, ConditionCheck, Delete,
    KeySchemaElement, KeyType, KeysAndAttributes, Put, ReturnValue,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
    TransactWriteItem, Update as SdkUpdate,
};
use aws_sdk_dynamodb::{Client, Config};
use serde_json::{Map, Number, Value};
use tokio::task::JoinSet;

use super::{
    condition_holds, validate_key, validate_query, validate_table_name, validate_update,
    validate_write, Condition, Item, Key, Page, Stats, Store, StoreError, TableSpec, Update,
    WriteOp, DELETED, EXPIRES, INVOCATIONS, MAX_BATCH_GET, PK, SK, VERSION,
};
/// The region used when none is given.
const DEFAULT_REGION: &str = "us-east-1";
/// How long [`Store::ensure_tables`] waits for a new table to become active.
const TABLE_ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);
/// How often a `BatchGetItem` is repeated for keys the store left unprocessed.
const MAX_UNPROCESSED_RETRIES: u32 = 8;
/// The attempts the SDK makes per request (throttling, 5xx, connection failures).
const SDK_MAX_ATTEMPTS: u32 = 3;
/// The server's message when an update expression names a path under a missing map.
const INVALID_PATH: &str = "document path provided in the update expression is invalid";

type AttributeMap = HashMap<String, AttributeValue>;

/// A [`Store`] on DynamoDB, or on any server speaking its API.
///
/// Clones share the client and the counters.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    prefix: String,
    stats: Arc<Stats>,
}

/// Configures a [`DynamoStore`]; see [`DynamoStore::builder`].
#[derive(Debug, Clone, Default)]
pub struct DynamoStoreBuilder {
    endpoint_url: Option<String>,
    region: Option<String>,
    table_prefix: String,
    credentials: Option<(String, String)>,
}

impl DynamoStoreBuilder {
    /// Sends requests to this URL (e.g. `http://127.0.0.1:5055`) instead of AWS.
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// The region (default `us-east-1`; without an endpoint URL, `AWS_REGION` or
    /// `AWS_DEFAULT_REGION` when set).
    pub fn region(mut self, name: impl Into<String>) -> Self {
        self.region = Some(name.into());
        self
    }

    /// Prepended to every table name (default empty); tests use it to keep apart.
    pub fn table_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.table_prefix = prefix.into();
        self
    }

    /// Static credentials. Without them the store uses fixed test credentials when an
    /// endpoint URL is given, and `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
    /// `AWS_SESSION_TOKEN` from the environment otherwise.
    pub fn credentials(
        mut self,
        access_key: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Self {
        self.credentials = Some((access_key.into(), secret_key.into()));
        self
    }

    /// The store.
    pub fn build(self) -> DynamoStore {
        let region = self.region.clone().unwrap_or_else(|| self.default_region());
        let mut config = Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region))
            .retry_config(RetryConfig::standard().with_max_attempts(SDK_MAX_ATTEMPTS))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(3))
                    .operation_attempt_timeout(Duration::from_secs(10))
                    .build(),
            )
            .credentials_provider(self.credentials_provider());
        if let Some(url) = &self.endpoint_url {
            config = config.endpoint_url(url);
        }
        DynamoStore::from_client(Client::from_conf(config.build()), self.table_prefix)
    }

    fn default_region(&self) -> String {
        if self.endpoint_url.is_some() {
            return DEFAULT_REGION.to_string();
        }
        ["AWS_REGION", "AWS_DEFAULT_REGION"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
            .unwrap_or_else(|| DEFAULT_REGION.to_string())
    }

    fn credentials_provider(&self) -> Credentials {
        if let Some((access, secret)) = &self.credentials {
            return Credentials::new(access, secret, None, None, "nubes");
        }
        let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        match (
            self.endpoint_url.is_some(),
            env("AWS_ACCESS_KEY_ID"),
            env("AWS_SECRET_ACCESS_KEY"),
        ) {
            (false, Some(access), Some(secret)) => {
                Credentials::new(access, secret, env("AWS_SESSION_TOKEN"), None, "nubes-env")
            }
            _ => Credentials::new("test", "test", None, None, "nubes"),
        }
    }
}

/// Counts every HTTP request the client sends as one round trip.
#[derive(Debug)]
struct CountRequests(Arc<Stats>);

impl Intercept for CountRequests {
    fn name(&self) -> &'static str {
        "nubes-count-requests"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.round_trip();
        Ok(())
    }
}

impl DynamoStore {
    /// A builder; see [`DynamoStoreBuilder`].
    pub fn builder() -> DynamoStoreBuilder {
        DynamoStoreBuilder::default()
    }

    /// A store on an existing client, with `table_prefix` prepended to every table name.
    /// The client is rebuilt with an interceptor that counts its requests.
    pub fn from_client(client: Client, table_prefix: impl Into<String>) -> DynamoStore {
        let stats = Arc::new(Stats::default());
        let config = client
            .config()
            .to_builder()
            .interceptor(CountRequests(Arc::clone(&stats)))
            .build();
        DynamoStore {
            client: Client::from_conf(config),
            prefix: table_prefix.into(),
            stats,
        }
    }

    /// The underlying client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The prefix of every table name.
    pub fn table_prefix(&self) -> &str {
        &self.prefix
    }

    /// The name of `table` in DynamoDB (with the prefix).
    pub fn table_name(&self, table: &str) -> String {
        format!("{}{table}", self.prefix)
    }

    /// The store's name of a DynamoDB table (without the prefix).
    fn logical_name<'a>(&self, table: &'a str) -> &'a str {
        table.strip_prefix(self.prefix.as_str()).unwrap_or(table)
    }
}

// ---------------------------------------------------------------------------------------
// Tables

impl DynamoStore {
    /// The status of a table, `None` when it does not exist.
    async fn table_status(&self, table: &str) -> Result<Option<TableStatus>, StoreError> {
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

// ---------------------------------------------------------------------------------------
// Reads

impl DynamoStore {
    /// One `BatchGetItem` of at most [`MAX_BATCH_GET`] distinct keys, repeated for the keys
    /// the store leaves unprocessed.
    async fn batch_get_chunk(&self, keys: Vec<Key>) -> Result<Vec<(Key, Item)>, StoreError> {
        let tables: Vec<String> = distinct_tables(keys.iter().map(|key| key.table.as_str()));
        let mut pending = self.batch_request(&keys)?;
        let mut found = Vec::with_capacity(keys.len());
        let mut attempt = 0;
        loop {
            let sent = self
                .client
                .batch_get_item()
                .set_request_items(Some(pending))
                .send()
                .await;
            let output = match sent {
                Ok(output) => output,
                Err(err) => {
                    return Err(self
                        .which_missing(classify_tables(err, &tables, &self.prefix), &tables)
                        .await)
                }
            };
            for (table, items) in output.responses.unwrap_or_default() {
                for attributes in items {
                    found.push(self.keyed_item(&table, attributes)?);
                }
            }
            let unprocessed = output.unprocessed_keys.unwrap_or_default();
            if unprocessed.values().all(|request| request.keys.is_empty()) {
                return Ok(found);
            }
            attempt += 1;
            if attempt > MAX_UNPROCESSED_RETRIES {
                return Err(StoreError::Unavailable(format!(
                    "BatchGetItem left keys unprocessed after {MAX_UNPROCESSED_RETRIES} retries"
                )));
            }
            tracing::debug!(attempt, "retrying unprocessed BatchGetItem keys");
            tokio::time::sleep(backoff(attempt)).await;
            pending = consistent(unprocessed)?;
        }
    }

    /// The request items of a `BatchGetItem` for `keys`, grouped by table.
    fn batch_request(
        &self,
        keys: &[Key],
    ) -> Result<HashMap<String, KeysAndAttributes>, StoreError> {
        let mut by_table: HashMap<String, Vec<AttributeMap>> = HashMap::new();
        for key in keys {
            by_table
                .entry(self.table_name(&key.table))
                .or_default()
                .push(key_attributes(key));
        }
        by_table
            .into_iter()
            .map(|(table, keys)| Ok((table, keys_and_attributes(keys)?)))
            .collect()
    }

    /// An item of a batch response, with its key.
    fn keyed_item(
        &self,
        table: &str,
        mut attributes: AttributeMap,
    ) -> Result<(Key, Item), StoreError> {
        let pk = take_string(&mut attributes, PK)?;
        let sk = take_string(&mut attributes, SK)?;
        let key = Key::new(self.logical_name(table), pk, sk);
        Ok((key, item_from_attributes(attributes)?))
    }

    /// Reads every key of `unique` (distinct), in concurrent chunks of [`MAX_BATCH_GET`].
    async fn batch_get_unique(&self, unique: Vec<Key>) -> Result<HashMap<Key, Item>, StoreError> {
        let mut chunks: Vec<Vec<Key>> = unique.chunks(MAX_BATCH_GET).map(<[Key]>::to_vec).collect();
        if chunks.len() <= 1 {
            let found = match chunks.pop() {
                Some(chunk) => self.batch_get_chunk(chunk).await?,
                None => Vec::new(),
            };
            return Ok(found.into_iter().collect());
        }
        let mut tasks = JoinSet::new();
        for chunk in chunks {
            let store = self.clone();
            tasks.spawn(async move { store.batch_get_chunk(chunk).await });
        }
        let mut found = HashMap::with_capacity(unique.len());
        while let Some(joined) = tasks.join_next().await {
            let items = joined.map_err(|err| {
                StoreError::Unavailable(format!("batch read task failed: {err}"))
            })??;
            found.extend(items);
        }
        Ok(found)
    }
}

fn keys_and_attributes(keys: Vec<AttributeMap>) -> Result<KeysAndAttributes, StoreError> {
    KeysAndAttributes::builder()
        .set_keys(Some(keys))
        .consistent_read(true)
        .build()
        .map_err(build_error)
}

/// The unprocessed keys of a batch response, asked for again with consistent reads.
fn consistent(
    unprocessed: HashMap<String, KeysAndAttributes>,
) -> Result<HashMap<String, KeysAndAttributes>, StoreError> {
    unprocessed
        .into_iter()
        .filter(|(_, request)| !request.keys.is_empty())
        .map(|(table, request)| Ok((table, keys_and_attributes(request.keys)?)))
        .collect()
}

/// The pause before the `attempt`th repetition of a request: exponential with jitter.
fn backoff(attempt: u32) -> Duration {
    let base = 10u64 << attempt.min(6);
    Duration::from_millis(base + fastrand::u64(0..=base))
}

fn distinct_tables<'a>(tables: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen = Vec::<String>::new();
    for table in tables {
        if !seen.iter().any(|known| known == table) {
            seen.push(table.to_string());
        }
    }
    seen
}

// ---------------------------------------------------------------------------------------
// Writes

/// How an update changes the `_inv` map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InvocationForm {
    /// Entry by entry (`SET #inv.#a0 = :a0`, `REMOVE #inv.#x0`): needs `_inv` to exist.
    Entries,
    /// The whole map at once (`SET #inv = :inv`), only where `_inv` does not exist yet.
    Whole,
}

impl DynamoStore {
    /// The transaction item of one operation.
    fn transact_item(
        &self,
        op: &WriteOp,
        form: InvocationForm,
    ) -> Result<TransactWriteItem, StoreError> {
        let item = TransactWriteItem::builder();
        Ok(match op {
            WriteOp::Put {
                key,
                item: attributes,
                condition,
            } => item.put(self.put(key, attributes, condition)?),
            WriteOp::Delete { key, condition } => item.delete(self.delete(key, condition)?),
            WriteOp::Check { key, condition } => item.condition_check(self.check(key, condition)?),
            WriteOp::Update {
                key,
                update,
                condition,
            } => item.update(self.update(key, update, condition, form)?),
        }
        .build())
    }

    fn put(&self, key: &Key, attributes: &Item, condition: &Condition) -> Result<Put, StoreError> {
        let mut expr = Expr::default();
        let condition = expr.condition(condition);
        Put::builder()
            .table_name(self.table_name(&key.table))
            .set_item(Some(item_attributes(key, attributes)))
            .set_condition_expression(condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)
    }

    fn delete(&self, key: &Key, condition: &Condition) -> Result<Delete, StoreError> {
        let mut expr = Expr::default();
        let condition = expr.condition(condition);
        Delete::builder()
            .table_name(self.table_name(&key.table))
            .set_key(Some(key_attributes(key)))
            .set_condition_expression(condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)
    }

    fn check(&self, key: &Key, condition: &Condition) -> Result<ConditionCheck, StoreError> {
        let mut expr = Expr::default();
        // A check needs an expression; `Always` becomes one that always holds.
        let condition = expr.condition(condition).unwrap_or_else(|| {
            let pk = expr.name("#pk", PK);
            format!("attribute_exists({pk}) OR attribute_not_exists({pk})")
        });
        ConditionCheck::builder()
            .table_name(self.table_name(&key.table))
            .set_key(Some(key_attributes(key)))
            .condition_expression(condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)
    }

    fn update(
        &self,
        key: &Key,
        update: &Update,
        condition: &Condition,
        form: InvocationForm,
    ) -> Result<SdkUpdate, StoreError> {
        let mut expr = Expr::default();
        let update_expression = expr.update(update, form)?;
        let mut condition = expr.condition(condition);
        if form == InvocationForm::Whole {
            let absent = format!("attribute_not_exists({})", expr.name("#inv", INVOCATIONS));
            condition = Some(match condition {
                Some(condition) => format!("{condition} AND {absent}"),
                None => absent,
            });
        }
        SdkUpdate::builder()
            .table_name(self.table_name(&key.table))
            .set_key(Some(key_attributes(key)))
            .update_expression(update_expression)
            .set_condition_expression(condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)
    }

    /// Sends one operation as one request (a lone check as a one-item transaction).
    async fn write_one(&self, op: &WriteOp) -> Result<(), StoreError> {
        match op {
            WriteOp::Put {
                key,
                item,
                condition,
            } => {
                self.put_item(self.put(key, item, condition)?, &key.table)
                    .await
            }
            WriteOp::Delete { key, condition } => {
                self.delete_item(self.delete(key, condition)?, &key.table)
                    .await
            }
            WriteOp::Update {
                key,
                update,
                condition,
            } => self
                .update_with_fallback(key, update, condition, false)
                .await
                .map(drop),
            WriteOp::Check { .. } => self.transact(std::slice::from_ref(op)).await,
        }
    }

    async fn put_item(&self, put: Put, table: &str) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(put.table_name)
            .set_item(Some(put.item))
            .set_condition_expression(put.condition_expression)
            .set_expression_attribute_names(put.expression_attribute_names)
            .set_expression_attribute_values(put.expression_attribute_values)
            .set_return_values_on_condition_check_failure(
                put.return_values_on_condition_check_failure,
            )
            .send()
            .await
            .map_err(|err| match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    condition_failed(0, failed.item())
                }
                _ => classify(err, table),
            })?;
        self.stats.written(1);
        Ok(())
    }

    async fn delete_item(&self, delete: Delete, table: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(delete.table_name)
            .set_key(Some(delete.key))
            .set_condition_expression(delete.condition_expression)
            .set_expression_attribute_names(delete.expression_attribute_names)
            .set_expression_attribute_values(delete.expression_attribute_values)
            .set_return_values_on_condition_check_failure(
                delete.return_values_on_condition_check_failure,
            )
            .send()
            .await
            .map_err(|err| match err.as_service_error() {
                Some(DeleteItemError::ConditionalCheckFailedException(failed)) => {
                    condition_failed(0, failed.item())
                }
                _ => classify(err, table),
            })?;
        self.stats.written(1);
        Ok(())
    }

    /// One `UpdateItem`; the item after it when `returning`.
    async fn update_item(
        &self,
        update: SdkUpdate,
        table: &str,
        returning: bool,
    ) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .update_item()
            .table_name(update.table_name)
            .set_key(Some(update.key))
            .update_expression(update.update_expression)
            .set_condition_expression(update.condition_expression)
            .set_expression_attribute_names(update.expression_attribute_names)
            .set_expression_attribute_values(update.expression_attribute_values)
            .set_return_values_on_condition_check_failure(
                update.return_values_on_condition_check_failure,
            )
            .return_values(if returning {
                ReturnValue::AllNew
            } else {
                ReturnValue::None
            })
            .send()
            .await
            .map_err(|err| match err.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    condition_failed(0, failed.item())
                }
                _ => classify(err, table),
            })?;
        self.stats.written(1);
        match (returning, output.attributes) {
            (false, _) => Ok(None),
            (true, attributes) => Ok(Some(item_from_attributes(attributes.unwrap_or_default())?)),
        }
    }

    /// An update as one `UpdateItem`. DynamoDB cannot set an entry of a map that does not
    /// exist: when `_inv` is missing, the update is sent again writing `_inv` whole, on the
    /// condition that it is still missing (one more round trip, only then).
    async fn update_with_fallback(
        &self,
        key: &Key,
        update: &Update,
        condition: &Condition,
        returning: bool,
    ) -> Result<Option<Item>, StoreError> {
        let request = self.update(key, update, condition, InvocationForm::Entries)?;
        match self.update_item(request, &key.table, returning).await {
            Err(err) if touches_invocations(update) && is_invalid_path(&err) => {
                tracing::debug!(%key, "`_inv` missing: writing it whole");
                let request = self.update(key, update, condition, InvocationForm::Whole)?;
                let result = self.update_item(request, &key.table, returning).await;
                result.map_err(|err| conflict_if_raced(err, |_| Some(condition)))
            }
            other => other,
        }
    }

    /// Several operations (or a lone check) as one `TransactWriteItems`, with the same
    /// fallback as [`DynamoStore::update_with_fallback`] for updates of a missing `_inv`.
    async fn transact(&self, ops: &[WriteOp]) -> Result<(), StoreError> {
        let forms = vec![InvocationForm::Entries; ops.len()];
        let err = match self.transact_once(ops, &forms).await {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        let Some(indices) = err.invalid_paths else {
            return Err(err.error);
        };
        let forms: Vec<InvocationForm> = ops
            .iter()
            .enumerate()
            .map(|(index, op)| match op {
                WriteOp::Update { update, .. }
                    if touches_invocations(update)
                        && (indices.is_empty() || indices.contains(&index)) =>
                {
                    InvocationForm::Whole
                }
                _ => InvocationForm::Entries,
            })
            .collect();
        if !forms.contains(&InvocationForm::Whole) {
            return Err(err.error);
        }
        tracing::debug!("`_inv` missing in a transaction: writing it whole");
        let result = self
            .transact_once(ops, &forms)
            .await
            .map_err(|err| err.error);
        result.map_err(|err| {
            conflict_if_raced(err, |index| {
                (forms.get(index) == Some(&InvocationForm::Whole))
                    .then(|| ops.get(index).map(WriteOp::condition))
                    .flatten()
            })
        })
    }

    /// Several operations as one `TransactWriteItems`, once.
    async fn transact_once(
        &self,
        ops: &[WriteOp],
        forms: &[InvocationForm],
    ) -> Result<(), TransactError> {
        let items = ops
            .iter()
            .zip(forms)
            .map(|(op, form)| self.transact_item(op, *form))
            .collect::<Result<Vec<_>, _>>()
            .map_err(TransactError::from)?;
        let op_tables: Vec<&str> = ops.iter().map(|op| op.key().table.as_str()).collect();
        let tables = distinct_tables(op_tables.iter().copied());
        let sent = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        if let Err(err) = sent {
            let mut err = transact_error(err, &op_tables, &tables, &self.prefix);
            err.error = self.which_missing(err.error, &tables).await;
            return Err(err);
        }
        let written = ops
            .iter()
            .filter(|op| !matches!(op, WriteOp::Check { .. }))
            .count();
        self.stats.written(written);
        Ok(())
    }

    /// A request on several tables failed for a missing table the server did not name:
    /// finds which one is missing (one `DescribeTable` each, only then).
    async fn which_missing(&self, err: StoreError, tables: &[String]) -> StoreError {
        if !matches!(err, StoreError::MissingTable(_)) || tables.len() < 2 {
            return err;
        }
        for table in tables {
            if let Ok(None) = self.table_status(table).await {
                return StoreError::MissingTable(table.clone());
            }
        }
        err
    }
}

fn touches_invocations(update: &Update) -> bool {
    !update.add_invocations.is_empty() || !update.remove_invocations.is_empty()
}

fn is_invalid_path(err: &StoreError) -> bool {
    matches!(err, StoreError::Invalid(message) if message.contains(INVALID_PATH))
}

/// After a whole-`_inv` retry, a failed condition whose original part holds means `_inv`
/// appeared in between: a conflict, not a failed condition. `original(i)` is the original
/// condition of operation `i`, if it was retried that way.
fn conflict_if_raced<'a>(
    err: StoreError,
    original: impl Fn(usize) -> Option<&'a Condition>,
) -> StoreError {
    match err {
        StoreError::ConditionFailed {
            index: Some(index),
            current,
        } if original(index)
            .is_some_and(|condition| condition_holds(condition, current.as_ref())) =>
        {
            StoreError::TransactionConflict
        }
        other => other,
    }
}

/// The attributes of a put: the key and the item's attributes (which
/// [`validate_write`] has checked hold no key attribute).
fn item_attributes(key: &Key, item: &Item) -> AttributeMap {
    let mut attributes = key_attributes(key);
    attributes.extend(
        item.iter()
            .map(|(name, value)| (name.clone(), to_attribute(value))),
    );
    attributes
}

// ---------------------------------------------------------------------------------------
// Expressions

/// The placeholders of one request's expressions.
#[derive(Debug, Default)]
struct Expr {
    names: HashMap<String, String>,
    values: AttributeMap,
}

impl Expr {
    /// Binds `placeholder` (`#…`) to an attribute name and returns it.
    fn name(&mut self, placeholder: &str, name: &str) -> String {
        self.names.insert(placeholder.to_string(), name.to_string());
        placeholder.to_string()
    }

    /// Binds `placeholder` (`:…`) to a value and returns it.
    fn value(&mut self, placeholder: &str, value: AttributeValue) -> String {
        self.values.insert(placeholder.to_string(), value);
        placeholder.to_string()
    }

    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    fn values(&self) -> Option<AttributeMap> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }

    /// The condition expression, `None` for [`Condition::Always`].
    fn condition(&mut self, condition: &Condition) -> Option<String> {
        match condition {
            Condition::Always => None,
            Condition::Absent => Some(format!("attribute_not_exists({})", self.name("#pk", PK))),
            Condition::Version(version) => {
                let v = self.name("#v", VERSION);
                let value = self.value(":v", AttributeValue::N(version.to_string()));
                if *version == 0 {
                    // An existing item without `_v` is at version 0 (see `version_of`).
                    let pk = self.name("#pk", PK);
                    return Some(format!(
                        "attribute_exists({pk}) AND (attribute_not_exists({v}) OR {v} = {value})"
                    ));
                }
                Some(format!("{v} = {value}"))
            }
            Condition::LiveWithout(invocation) => {
                let pk = self.name("#pk", PK);
                let del = self.name("#del", DELETED);
                let inv = self.name("#inv", INVOCATIONS);
                let id = self.name("#id", invocation);
                Some(format!(
                    "attribute_exists({pk}) AND attribute_not_exists({del}) AND attribute_not_exists({inv}.{id})"
                ))
            }
        }
    }

    /// The update expression (`SET …` and `REMOVE …`).
    fn update(&mut self, update: &Update, form: InvocationForm) -> Result<String, StoreError> {
        let mut set = Vec::new();
        let mut remove = Vec::new();
        for (i, (name, value)) in update.set.iter().enumerate() {
            let name = self.name(&format!("#s{i}"), name);
            let value = self.value(&format!(":s{i}"), to_attribute(value));
            set.push(format!("{name} = {value}"));
        }
        for (i, name) in update.remove.iter().enumerate() {
            remove.push(self.name(&format!("#r{i}"), name));
        }
        if touches_invocations(update) {
            self.invocations(update, form, &mut set, &mut remove);
        }
        if update.bump_version {
            let v = self.name("#v", VERSION);
            let zero = self.value(":zero", AttributeValue::N("0".into()));
            let one = self.value(":one", AttributeValue::N("1".into()));
            set.push(format!("{v} = if_not_exists({v}, {zero}) + {one}"));
        }
        let mut clauses = Vec::new();
        if !set.is_empty() {
            clauses.push(format!("SET {}", set.join(", ")));
        }
        if !remove.is_empty() {
            clauses.push(format!("REMOVE {}", remove.join(", ")));
        }
        if clauses.is_empty() {
            return Err(StoreError::Invalid(
                "an update must change at least one attribute".into(),
            ));
        }
        Ok(clauses.join(" "))
    }

    /// The changes of the `_inv` map.
    fn invocations(
        &mut self,
        update: &Update,
        form: InvocationForm,
        set: &mut Vec<String>,
        remove: &mut Vec<String>,
    ) {
        let inv = self.name("#inv", INVOCATIONS);
        match form {
            InvocationForm::Entries => {
                for (i, (id, record)) in update.add_invocations.iter().enumerate() {
                    let id = self.name(&format!("#a{i}"), id);
                    let record = self.value(&format!(":a{i}"), to_attribute(record));
                    set.push(format!("{inv}.{id} = {record}"));
                }
                for (i, id) in update.remove_invocations.iter().enumerate() {
                    remove.push(format!("{inv}.{}", self.name(&format!("#x{i}"), id)));
                }
            }
            InvocationForm::Whole => {
                let removed: HashSet<&String> = update.remove_invocations.iter().collect();
                let records = update
                    .add_invocations
                    .iter()
                    .filter(|(id, _)| !removed.contains(id))
                    .map(|(id, record)| (id.clone(), to_attribute(record)))
                    .collect();
                let records = self.value(":inv", AttributeValue::M(records));
                set.push(format!("{inv} = {records}"));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Errors

/// A failed transaction: the error, and whether it was an update of a missing `_inv`
/// (`Some` with the failing operations when the store says which, empty when not).
#[derive(Debug)]
struct TransactError {
    error: StoreError,
    invalid_paths: Option<Vec<usize>>,
}

impl From<StoreError> for TransactError {
    fn from(error: StoreError) -> Self {
        TransactError {
            error,
            invalid_paths: None,
        }
    }
}

fn transact_error(
    err: SdkError<TransactWriteItemsError>,
    op_tables: &[&str],
    tables: &[String],
    prefix: &str,
) -> TransactError {
    let Some(TransactWriteItemsError::TransactionCanceledException(canceled)) =
        err.as_service_error()
    else {
        let error = classify_tables(err, tables, prefix);
        let invalid_paths = is_invalid_path(&error).then(Vec::new);
        return TransactError {
            error,
            invalid_paths,
        };
    };
    let reasons = canceled.cancellation_reasons();
    let invalid: Vec<usize> = reasons
        .iter()
        .enumerate()
        .filter(|(_, reason)| reason.message().is_some_and(|m| m.contains(INVALID_PATH)))
        .map(|(index, _)| index)
        .collect();
    TransactError {
        error: cancellation_error(reasons, canceled.message(), op_tables),
        invalid_paths: (!invalid.is_empty()).then_some(invalid),
    }
}

/// The error a canceled transaction stands for, from its cancellation reasons.
/// `op_tables` are the tables of the operations, in order.
fn cancellation_error(
    reasons: &[CancellationReason],
    message: Option<&str>,
    op_tables: &[&str],
) -> StoreError {
    let code_at = |wanted: &[&str]| {
        reasons
            .iter()
            .position(|reason| reason.code().is_some_and(|code| wanted.contains(&code)))
    };
    if let Some(index) = code_at(&["ConditionalCheckFailed"]) {
        return condition_failed(index, reasons[index].item());
    }
    if code_at(&["TransactionConflict"]).is_some() {
        return StoreError::TransactionConflict;
    }
    if let Some(index) = code_at(&["ResourceNotFound", "ResourceNotFoundException"]) {
        return StoreError::MissingTable(
            op_tables
                .get(index)
                .copied()
                .unwrap_or_default()
                .to_string(),
        );
    }
    let throttled = [
        "ThrottlingError",
        "ProvisionedThroughputExceeded",
        "RequestLimitExceeded",
    ];
    if let Some(reason) = reasons
        .iter()
        .find(|r| r.code().is_some_and(|code| throttled.contains(&code)))
    {
        return StoreError::Unavailable(format!(
            "transaction canceled: {}",
            describe_reason(reason)
        ));
    }
    let described: Vec<String> = reasons
        .iter()
        .enumerate()
        .filter(|(_, reason)| reason.code().is_some_and(|code| code != "None"))
        .map(|(index, reason)| format!("operation {index}: {}", describe_reason(reason)))
        .collect();
    StoreError::Invalid(format!(
        "transaction canceled: {}",
        if described.is_empty() {
            message.unwrap_or("no reason given").to_string()
        } else {
            described.join("; ")
        }
    ))
}

fn describe_reason(reason: &CancellationReason) -> String {
    format!(
        "{} ({})",
        reason.code().unwrap_or("?"),
        reason.message().unwrap_or("")
    )
}

/// A failed condition, with the item as the store reported it.
fn condition_failed(index: usize, item: Option<&AttributeMap>) -> StoreError {
    let current = item.and_then(
        |attributes| match item_from_attributes(attributes.clone()) {
            Ok(item) => Some(item),
            Err(err) => {
                tracing::warn!(%err, "could not read the current item of a failed condition");
                None
            }
        },
    );
    StoreError::ConditionFailed {
        index: Some(index),
        current,
    }
}

fn error_code<E: ProvideErrorMetadata>(err: &SdkError<E>) -> Option<&str> {
    err.as_service_error().and_then(ProvideErrorMetadata::code)
}

fn error_message<E: ProvideErrorMetadata>(err: &SdkError<E>) -> Option<&str> {
    err.as_service_error()
        .and_then(ProvideErrorMetadata::message)
}

/// A failed request on `table` (without the prefix) as a [`StoreError`].
fn classify<E>(err: SdkError<E>, table: &str) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let service = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            return StoreError::Unavailable(DisplayErrorContext(&err).to_string());
        }
        SdkError::ServiceError(service) => service,
        _ => return StoreError::Invalid(DisplayErrorContext(&err).to_string()),
    };
    let code = service.err().code().unwrap_or("Unknown");
    let message = format!("{code}: {}", service.err().message().unwrap_or(""));
    match code {
        "ResourceNotFoundException" => StoreError::MissingTable(table.to_string()),
        "ConditionalCheckFailedException" => StoreError::ConditionFailed {
            index: Some(0),
            current: None,
        },
        "TransactionConflictException" => StoreError::TransactionConflict,
        "ThrottlingException"
        | "ProvisionedThroughputExceededException"
        | "RequestLimitExceeded"
        | "LimitExceededException"
        | "TransactionInProgressException"
        | "InternalServerError"
        | "ServiceUnavailable" => StoreError::Unavailable(message),
        _ if service.raw().status().is_server_error() => StoreError::Unavailable(message),
        _ => StoreError::Invalid(message),
    }
}

/// Like [`classify`] for a request on several tables: a missing table is the one the
/// message names, else the first.
fn classify_tables<E>(err: SdkError<E>, tables: &[String], prefix: &str) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let named = error_message(&err).and_then(|message| {
        tables
            .iter()
            .find(|table| message.contains(&format!("{prefix}{table}")))
    });
    let table = named.or(tables.first()).map(String::as_str).unwrap_or("");
    classify(err, table)
}

fn build_error(err: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Invalid(format!("could not build the request: {err}"))
}

// ---------------------------------------------------------------------------------------
// JSON ↔ attribute values

fn key_attributes(key: &Key) -> AttributeMap {
    HashMap::from([
        (PK.to_string(), AttributeValue::S(key.pk.clone())),
        (SK.to_string(), AttributeValue::S(key.sk.clone())),
    ])
}

fn take_string(attributes: &mut AttributeMap, name: &str) -> Result<String, StoreError> {
    match attributes.remove(name) {
        Some(AttributeValue::S(value)) => Ok(value),
        other => Err(StoreError::Invalid(format!(
            "the item's `{name}` is not a string: {other:?}"
        ))),
    }
}

/// An item as the store returned it, without its key attributes.
fn item_from_attributes(mut attributes: AttributeMap) -> Result<Item, StoreError> {
    attributes.remove(PK);
    attributes.remove(SK);
    attributes
        .into_iter()
        .map(|(name, value)| Ok((name, from_attribute(value)?)))
        .collect()
}

/// A JSON value as an attribute value.
fn to_attribute(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(flag) => AttributeValue::Bool(*flag),
        Value::Number(number) => AttributeValue::N(number.to_string()),
        Value::String(text) => AttributeValue::S(text.clone()),
        Value::Array(values) => AttributeValue::L(values.iter().map(to_attribute).collect()),
        Value::Object(map) => AttributeValue::M(
            map.iter()
                .map(|(name, value)| (name.clone(), to_attribute(value)))
                .collect(),
        ),
    }
}

/// An attribute value as JSON. Sets become arrays; binary values are refused.
fn from_attribute(value: AttributeValue) -> Result<Value, StoreError> {
    Ok(match value {
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::Bool(flag) => Value::Bool(flag),
        AttributeValue::N(number) => Value::Number(parse_number(&number)?),
        AttributeValue::S(text) => Value::String(text),
        AttributeValue::L(values) => Value::Array(
            values
                .into_iter()
                .map(from_attribute)
                .collect::<Result<_, _>>()?,
        ),
        AttributeValue::M(map) => Value::Object(
            map.into_iter()
                .map(|(name, value)| Ok((name, from_attribute(value)?)))
                .collect::<Result<Map<_, _>, StoreError>>()?,
        ),
        AttributeValue::Ss(texts) => Value::Array(texts.into_iter().map(Value::String).collect()),
        AttributeValue::Ns(numbers) => Value::Array(
            numbers
                .iter()
                .map(|number| parse_number(number).map(Value::Number))
                .collect::<Result<_, _>>()?,
        ),
        other => {
            return Err(StoreError::Invalid(format!(
                "unsupported attribute type: {other:?}"
            )))
        }
    })
}

/// A DynamoDB number: an `i64` if it is one, else a `u64`, else an `f64`.
fn parse_number(text: &str) -> Result<Number, StoreError> {
    if let Ok(int) = text.parse::<i64>() {
        return Ok(Number::from(int));
    }
    if let Ok(uint) = text.parse::<u64>() {
        return Ok(Number::from(uint));
    }
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .ok_or_else(|| StoreError::Invalid(format!("not a JSON number: {text}")))
}

// ---------------------------------------------------------------------------------------
// The store

#[async_trait]
impl Store for DynamoStore {
    async fn ensure_tables(&self, tables: &[TableSpec]) -> Result<(), StoreError> {
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

    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        validate_key(key)?;
        let output = self
            .client
            .get_item()
            .table_name(self.table_name(&key.table))
            .set_key(Some(key_attributes(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| classify(err, &key.table))?;
        let item = output.item.map(item_from_attributes).transpose()?;
        self.stats.read(usize::from(item.is_some()));
        Ok(item)
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        for key in keys {
            validate_key(key)?;
        }
        let mut unique = keys.to_vec();
        unique.sort();
        unique.dedup();
        let found = self.batch_get_unique(unique).await?;
        self.stats.read(found.len());
        Ok(keys.iter().map(|key| found.get(key).cloned()).collect())
    }

    async fn query(
        &self,
        table: &str,
        pk: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Page, StoreError> {
        validate_query(table, pk, prefix, start_after, limit)?;
        let mut expr = Expr::default();
        let mut key_condition = format!(
            "{} = {}",
            expr.name("#pk", PK),
            expr.value(":pk", AttributeValue::S(pk.to_string()))
        );
        if !prefix.is_empty() {
            let sk = expr.name("#sk", SK);
            let prefix = expr.value(":prefix", AttributeValue::S(prefix.to_string()));
            key_condition.push_str(&format!(" AND begins_with({sk}, {prefix})"));
        }
        let start = start_after.map(|sk| key_attributes(&Key::new(table, pk, sk)));
        let output = self
            .client
            .query()
            .table_name(self.table_name(table))
            .key_condition_expression(key_condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .consistent_read(true)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|err| classify(err, table))?;
        let items = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|mut attributes| {
                Ok((
                    take_string(&mut attributes, SK)?,
                    item_from_attributes(attributes)?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.stats.read(items.len());
        // DynamoDB sends a `LastEvaluatedKey` whenever it stops at the limit; some servers
        // (moto) leave it out when nothing follows. A full page always gets a `next`.
        let next = match output.last_evaluated_key {
            Some(mut last) => Some(take_string(&mut last, SK)?),
            None if items.len() >= limit => items.last().map(|(sk, _)| sk.clone()),
            None => None,
        };
        Ok(Page { items, next })
    }

    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        validate_write(&ops)?;
        match ops.as_slice() {
            [op] => self.write_one(op).await,
            ops => self.transact(ops).await,
        }
    }

    async fn update_returning(
        &self,
        key: &Key,
        update: &Update,
        condition: &Condition,
    ) -> Result<Item, StoreError> {
        validate_key(key)?;
        validate_update(update)?;
        let item = self
            .update_with_fallback(key, update, condition, true)
            .await?;
        Ok(item.unwrap_or_default())
    }

    fn stats(&self) -> &Stats {
        &self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(value: Value) -> Value {
        from_attribute(to_attribute(&value)).unwrap_or(Value::Null)
    }

    #[test]
    fn json_kinds_round_trip() {
        let value = json!({
            "s": "text", "i": 42, "neg": -7, "f": 1.5, "big": u64::MAX, "t": true,
            "n": null, "l": [1, "two", [3.25], {"four": false}], "m": {"inner": {"x": []}}
        });
        assert_eq!(round_trip(value.clone()), value);
    }

    #[test]
    fn numbers_parse_narrowest_first() {
        assert_eq!(parse_number("-3").ok(), Some(Number::from(-3)));
        assert_eq!(
            parse_number("18446744073709551615").ok(),
            Some(Number::from(u64::MAX))
        );
        assert_eq!(parse_number("2.5").ok().and_then(|n| n.as_f64()), Some(2.5));
        assert!(parse_number("nope").is_err());
    }

    #[test]
    fn update_expression_has_every_part() {
        let update = Update {
            set: vec![("a".into(), json!(1))],
            remove: vec!["b".into()],
            add_invocations: vec![("id1".into(), json!({"r": 1}))],
            remove_invocations: vec!["id0".into()],
            bump_version: true,
        };
        let mut expr = Expr::default();
        let text = expr
            .update(&update, InvocationForm::Entries)
            .unwrap_or_default();
        assert_eq!(
            text,
            "SET #s0 = :s0, #inv.#a0 = :a0, #v = if_not_exists(#v, :zero) + :one REMOVE #r0, #inv.#x0"
        );
        assert_eq!(expr.names.get("#a0").map(String::as_str), Some("id1"));
        let mut whole = Expr::default();
        let text = whole
            .update(&update, InvocationForm::Whole)
            .unwrap_or_default();
        assert_eq!(
            text,
            "SET #s0 = :s0, #inv = :inv, #v = if_not_exists(#v, :zero) + :one REMOVE #r0"
        );
    }

    #[test]
    fn empty_update_is_invalid() {
        let mut expr = Expr::default();
        assert!(matches!(
            expr.update(&Update::default(), InvocationForm::Entries),
            Err(StoreError::Invalid(_))
        ));
    }

    fn reason(code: &str) -> CancellationReason {
        CancellationReason::builder().code(code).build()
    }

    #[test]
    fn cancellation_reasons_map_to_errors() {
        let tables = ["a", "b", "c"];
        let failed = [
            reason("None"),
            reason("TransactionConflict"),
            reason("ConditionalCheckFailed"),
        ];
        assert_eq!(
            cancellation_error(&failed, None, &tables),
            StoreError::ConditionFailed {
                index: Some(2),
                current: None
            }
        );
        let conflict = [reason("None"), reason("TransactionConflict")];
        assert_eq!(
            cancellation_error(&conflict, None, &tables),
            StoreError::TransactionConflict
        );
        let missing = [reason("None"), reason("ResourceNotFound")];
        assert_eq!(
            cancellation_error(&missing, None, &tables),
            StoreError::MissingTable("b".into())
        );
        let throttled = [reason("ThrottlingError")];
        assert!(matches!(
            cancellation_error(&throttled, None, &tables),
            StoreError::Unavailable(_)
        ));
        let invalid = [reason("None"), reason("ValidationError")];
        assert!(matches!(
            cancellation_error(&invalid, None, &tables),
            StoreError::Invalid(_)
        ));
    }

    #[test]
    fn a_raced_whole_map_update_is_a_conflict() {
        let live = Condition::LiveWithout("i1".into());
        let raced = StoreError::ConditionFailed {
            index: Some(0),
            current: Some(item_with_inv()),
        };
        assert_eq!(
            conflict_if_raced(raced, |_| Some(&live)),
            StoreError::TransactionConflict
        );
        let absent = StoreError::ConditionFailed {
            index: Some(0),
            current: None,
        };
        assert_eq!(conflict_if_raced(absent.clone(), |_| Some(&live)), absent);
    }

    fn item_with_inv() -> Item {
        match json!({"_inv": {"other": 1}}) {
            Value::Object(map) => map,
            _ => Item::new(),
        }
    }

    #[test]
    fn conditions_use_placeholders() {
        let mut expr = Expr::default();
        let text = expr.condition(&Condition::LiveWithout("inv-1".into()));
        assert_eq!(
            text.as_deref(),
            Some("attribute_exists(#pk) AND attribute_not_exists(#del) AND attribute_not_exists(#inv.#id)")
        );
        assert_eq!(expr.names.get("#id").map(String::as_str), Some("inv-1"));
        assert_eq!(Expr::default().condition(&Condition::Always), None);
    }
}
