//! The stored state in comparable form: what a user can read of every object of the
//! hotel (through the runtime, on any store), and every byte of a SQLite store's file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use nubes_runtime::{Error, Runtime};
use serde_json::{json, Value};

use crate::dataset::Dataset;

/// Everything a user can read of the dataset's objects, of the users and hotels `extra`
/// names, and of every reservation their collections reach: each object's fields (or
/// `"absent"`) and the ids of each of its collections, sorted.
pub async fn readable(
    runtime: &Runtime,
    data: &Dataset,
    extra: &[(&str, &str)],
) -> Result<BTreeMap<String, Value>, Error> {
    let mut objects: BTreeSet<(String, String)> = BTreeSet::new();
    let named = data
        .cities
        .iter()
        .map(|id| ("City", id))
        .chain(data.all_hotels().map(|id| ("Hotel", id)))
        .chain(data.all_rooms().map(|id| ("Room", id)))
        .chain(data.users.iter().map(|id| ("User", id)))
        .map(|(type_name, id)| (type_name.to_string(), id.clone()));
    objects.extend(named);
    objects.extend(
        extra
            .iter()
            .map(|(type_name, id)| (type_name.to_string(), id.to_string())),
    );
    objects.insert(("Reservation".into(), data.reservation.clone()));
    let mut out = BTreeMap::new();
    let mut reservations = BTreeSet::new();
    for (type_name, id) in &objects {
        read_into(runtime, type_name, id, &mut out, &mut reservations).await?;
    }
    for id in reservations.difference(&objects.iter().map(|(_, id)| id.clone()).collect()) {
        let mut more = BTreeSet::new();
        read_into(runtime, "Reservation", id, &mut out, &mut more).await?;
    }
    Ok(out)
}

/// The collections of each type, and whether they hold reservations.
fn collections(type_name: &str) -> &'static [(&'static str, bool)] {
    match type_name {
        "City" => &[("hotels", false)],
        "Hotel" => &[("rooms", false)],
        "Room" => &[("reservations", true)],
        "User" => &[("reservations", true)],
        "Reservation" => &[("guests", false)],
        _ => &[],
    }
}

async fn read_into(
    runtime: &Runtime,
    type_name: &str,
    id: &str,
    out: &mut BTreeMap<String, Value>,
    reservations: &mut BTreeSet<String>,
) -> Result<(), Error> {
    let fields = match runtime.get(type_name, id).await {
        Ok(fields) => Value::Object(fields),
        Err(Error::NotFound { .. }) => json!("absent"),
        Err(error) => return Err(error),
    };
    let exists = fields.is_object();
    out.insert(format!("{type_name} {id}"), fields);
    if !exists {
        return Ok(());
    }
    for (field, holds_reservations) in collections(type_name) {
        let mut ids = runtime.collection_ids(type_name, id, field).await?;
        ids.sort();
        if *holds_reservations {
            reservations.extend(ids.iter().cloned());
        }
        out.insert(format!("{type_name} {id} .{field}"), json!(ids));
    }
    Ok(())
}

/// Every item of the SQLite store in the file at `path`, as `table pk sk` → stored JSON,
/// byte for byte.
pub fn sqlite_items(path: &Path) -> rusqlite::Result<BTreeMap<String, String>> {
    let connection = rusqlite::Connection::open(path)?;
    let mut statement = connection.prepare("SELECT tbl, pk, sk, item FROM nubes_items")?;
    let rows = statement.query_map([], |row| {
        let key = format!(
            "{} {} {}",
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?
        );
        Ok((key, row.get::<_, String>(3)?))
    })?;
    rows.collect()
}
