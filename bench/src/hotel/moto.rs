//! The benchmark on DynamoDB's API, served locally by moto: where the server is, and the
//! dataset copied onto it item for item from a seeded SQLite file (seeding through the
//! client over moto, one request at a time, would take most of the run).

use std::path::Path;

use nubes_runtime::store::dynamo::DynamoStore;
use nubes_runtime::store::{Condition, Item, Key, WriteOp, MAX_WRITE_OPS};
use nubes_runtime::Store;
use rusqlite::Connection;

use crate::common::run_script;
use crate::BoxError;

/// `NUBES_DYNAMO_ENDPOINT` when set; otherwise moto, installed and started on 127.0.0.1
/// by `scripts/moto` (as the tests do) if it is not running yet.
pub fn endpoint() -> Result<String, BoxError> {
    if let Some(url) = std::env::var("NUBES_DYNAMO_ENDPOINT")
        .ok()
        .filter(|url| !url.is_empty())
    {
        return Ok(url);
    }
    run_script("moto", "start")?;
    run_script("moto", "url")
}

/// Writes every item of the SQLite store's database at `file` to `store` unchanged (its
/// tables must exist), in writes of at most [`MAX_WRITE_OPS`] items; how many it wrote.
pub async fn copy_items(file: &Path, store: &dyn Store) -> Result<u64, BoxError> {
    let items = stored_items(file)?;
    let count = items.len() as u64;
    let mut ops = Vec::with_capacity(MAX_WRITE_OPS);
    for (key, item) in items {
        ops.push(WriteOp::Put {
            key,
            item,
            condition: Condition::Always,
        });
        if ops.len() == MAX_WRITE_OPS {
            store.write(std::mem::take(&mut ops)).await?;
        }
    }
    if !ops.is_empty() {
        store.write(ops).await?;
    }
    Ok(count)
}

/// Every item in the SQLite store's database at `file`, with its key.
fn stored_items(file: &Path) -> Result<Vec<(Key, Item)>, BoxError> {
    let connection = Connection::open(file)?;
    let mut statement = connection.prepare("SELECT tbl, pk, sk, item FROM nubes_items")?;
    let rows = statement.query_map([], |row| {
        Ok((
            Key::new(
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ),
            row.get::<_, String>(3)?,
        ))
    })?;
    let mut items = Vec::new();
    for row in rows {
        let (key, text) = row?;
        let item: Item = serde_json::from_str(&text)
            .map_err(|error| format!("the item at {key} is not JSON: {error}"))?;
        items.push((key, item));
    }
    Ok(items)
}

/// Deletes every table on the server at `endpoint` whose name starts with `prefix`: moto
/// keeps what it holds in memory until it stops.
pub async fn drop_tables(endpoint: &str, prefix: &str) -> Result<(), BoxError> {
    let store = DynamoStore::builder().endpoint_url(endpoint).build();
    let client = store.client();
    let mut start: Option<String> = None;
    let mut ours = Vec::new();
    loop {
        let page = client
            .list_tables()
            .set_exclusive_start_table_name(start.take())
            .send()
            .await?;
        ours.extend(
            page.table_names()
                .iter()
                .filter(|name| name.starts_with(prefix))
                .cloned(),
        );
        match page.last_evaluated_table_name() {
            Some(last) => start = Some(last.to_string()),
            None => break,
        }
    }
    for table in ours {
        client.delete_table().table_name(&table).send().await?;
    }
    Ok(())
}
