//! Batched reads: `BatchGetItem` in concurrent chunks, repeating the keys the store
//! leaves unprocessed.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::KeysAndAttributes;
use tokio::task::JoinSet;

use super::convert::{item_from_attributes, key_attributes, take_string, AttributeMap};
use super::errors::{build_error, classify_tables, distinct_tables};
use super::DynamoStore;
use crate::store::{Item, Key, StoreError, MAX_BATCH_GET, PK, SK};

/// How often a `BatchGetItem` is repeated for keys the store left unprocessed.
const MAX_UNPROCESSED_RETRIES: u32 = 8;

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
    pub(super) async fn batch_get_unique(
        &self,
        unique: Vec<Key>,
    ) -> Result<HashMap<Key, Item>, StoreError> {
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
