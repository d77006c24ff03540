//! The DynamoDB backend: AWS DynamoDB, or any server speaking its API (moto in tests).
//!
//! Every table has the string key `pk` (partition) and `sk` (sort), on-demand billing,
//! and TTL on [`EXPIRES`](super::EXPIRES). The other attributes of an item map to and
//! from JSON: string ↔ `S`, number ↔ `N`, bool ↔ `BOOL`, null ↔ `NULL`, array ↔ `L`,
//! object ↔ `M`.
//!
//! Round trips are counted by an interceptor on the client, once per HTTP request sent,
//! so a request the SDK retries counts again.
//!
//! The code is split by job: `tables` (creating tables, waiting, TTL), `batch_get`
//! (batched reads), `writes` (single writes and transactions), `expr` (condition and
//! update expressions), `convert` (JSON ↔ attribute values) and `errors` (SDK errors →
//! [`StoreError`]).

mod batch_get;
mod convert;
mod errors;
mod expr;
mod tables;
mod units;
mod writes;

pub use tables::TableCheck;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::{Client, Config};

use self::convert::{item_from_attributes, key_attributes, take_string};
use self::errors::classify;
use self::expr::Expr;
use self::units::ItemSizes;
use super::capacity::{batch_read_units, query_read_units, read_units};
use super::{
    validate_key, validate_query, validate_update, validate_write, Condition, Item, Key, Page,
    Stats, Store, StoreError, TableSpec, Update, WriteOp, PK, SK,
};

/// The region used when none is given.
const DEFAULT_REGION: &str = "us-east-1";
/// The attempts the SDK makes per request (throttling, 5xx, connection failures).
const SDK_MAX_ATTEMPTS: u32 = 3;

/// How long one attempt of a request may take, unless the builder says otherwise.
const DEFAULT_ATTEMPT_TIMEOUT_SECS: u64 = 10;

/// A [`Store`] on DynamoDB, or on any server speaking its API.
///
/// Clones share the client and the counters.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    prefix: String,
    stats: Arc<Stats>,
    sizes: Arc<ItemSizes>,
}

/// Configures a [`DynamoStore`]; see [`DynamoStore::builder`].
#[derive(Debug, Clone, Default)]
pub struct DynamoStoreBuilder {
    endpoint_url: Option<String>,
    region: Option<String>,
    table_prefix: String,
    credentials: Option<(String, String)>,
    attempt_timeout: Option<Duration>,
}

impl DynamoStoreBuilder {
    /// How long one attempt of a request may take before the SDK gives up on it and tries
    /// again (three attempts in all); default 10 s. After the last, the call answers
    /// `Unavailable` and the client retries it with the same id. A function should set it
    /// below a third of its own timeout (three attempts, and back-off between them), so
    /// that a stalled store is an answer, not a timeout.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

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
                    .operation_attempt_timeout(
                        self.attempt_timeout
                            .unwrap_or(Duration::from_secs(DEFAULT_ATTEMPT_TIMEOUT_SECS)),
                    )
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
            sizes: Arc::default(),
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

#[async_trait]
impl Store for DynamoStore {
    async fn ensure_tables(&self, tables: &[TableSpec]) -> Result<(), StoreError> {
        self.ensure(tables).await
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
        let size = self.sizes.see(key, item.as_ref());
        self.stats.read_units(read_units(size.unwrap_or(0)));
        Ok(item)
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        for key in keys {
            validate_key(key)?;
        }
        let mut unique = keys.to_vec();
        unique.sort();
        unique.dedup();
        let found = self.batch_get_unique(unique.clone()).await?;
        self.stats.read(found.len());
        self.stats.read_units(batch_read_units(
            unique.iter().map(|key| self.sizes.see(key, found.get(key))),
        ));
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
        self.stats
            .read_units(query_read_units(items.iter().map(|(sk, item)| {
                self.sizes
                    .see(&Key::new(table, pk, sk.as_str()), Some(item))
                    .unwrap_or(0)
            })));
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
            [op] => self.write_one(op).await.map(drop),
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
        let op = WriteOp::Update {
            key: key.clone(),
            update: update.clone(),
            condition: condition.clone(),
        };
        let item = self.write_one(&op).await?;
        Ok(item.unwrap_or_default())
    }

    fn stats(&self) -> &Stats {
        &self.stats
    }
}
