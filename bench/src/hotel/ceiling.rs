//! The ceiling of the in-process rows: how many point reads and conditional updates of
//! the dataset's own items SQLite itself does per second on this machine, with no nubes
//! code in the way — the statements the SQLite store runs for a `login` (read a user's
//! item) and a `set-rate` (change a hotel's item if it exists), on a copy of the dataset,
//! with the store's settings (WAL, `synchronous = NORMAL`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OptionalExtension};

use crate::BoxError;

/// What the ceiling measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Read one user's item by its key.
    PointRead,
    /// Set one hotel's rate in its item, on condition that the hotel is not deleted.
    ConditionalUpdate,
}

impl Operation {
    /// The operation as the report names it.
    pub fn label(self) -> &'static str {
        match self {
            Operation::PointRead => "point read (a user's item)",
            Operation::ConditionalUpdate => "conditional update (a hotel's rate)",
        }
    }
}

/// One measured operation at one number of connections.
#[derive(Debug, Clone)]
pub struct Ceiling {
    /// The operation.
    pub operation: Operation,
    /// Threads, each with a connection of its own.
    pub connections: usize,
    /// Operations done.
    pub done: u64,
    /// How long they took.
    pub took: Duration,
}

impl Ceiling {
    /// Operations per second.
    pub fn rate(&self) -> f64 {
        self.done as f64 / self.took.as_secs_f64().max(1e-9)
    }
}

/// Measures each operation for `duration` on the SQLite database at `file` (a copy of
/// the dataset: the updates change it) with one connection and with `connections`,
/// reading the `users` and updating the `hotels` in an order drawn from `seed`.
pub fn measure(
    file: &Path,
    users: &[String],
    hotels: &[String],
    connections: usize,
    duration: Duration,
    seed: u64,
) -> Result<Vec<Ceiling>, BoxError> {
    let mut counts = vec![1];
    if connections > 1 {
        counts.push(connections);
    }
    let mut rows = Vec::new();
    for (operation, ids) in [
        (Operation::PointRead, users),
        (Operation::ConditionalUpdate, hotels),
    ] {
        if ids.is_empty() {
            return Err(format!("no ids to measure the {} on", operation.label()).into());
        }
        let ids = Arc::new(ids.to_vec());
        for &count in &counts {
            rows.push(run(file, operation, &ids, count, duration, seed)?);
        }
    }
    Ok(rows)
}

/// `operation` on `connections` threads at once for `duration`.
fn run(
    file: &Path,
    operation: Operation,
    ids: &Arc<Vec<String>>,
    connections: usize,
    duration: Duration,
    seed: u64,
) -> Result<Ceiling, BoxError> {
    let started = Instant::now();
    let deadline = started + duration;
    let threads: Vec<_> = (0..connections)
        .map(|n| {
            let (file, ids) = (PathBuf::from(file), ids.clone());
            let seed = seed.wrapping_add(n as u64);
            std::thread::spawn(move || worker(&file, operation, &ids, deadline, seed))
        })
        .collect();
    let mut done = 0;
    for thread in threads {
        done += thread
            .join()
            .map_err(|_| "a ceiling thread panicked")?
            .map_err(|error| format!("{}: {error}", operation.label()))?;
    }
    Ok(Ceiling {
        operation,
        connections,
        done,
        took: started.elapsed(),
    })
}

/// One connection doing `operation` until `deadline`; how many it did.
fn worker(
    file: &Path,
    operation: Operation,
    ids: &[String],
    deadline: Instant,
    seed: u64,
) -> Result<u64, rusqlite::Error> {
    let connection = Connection::open(file)?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    connection.busy_timeout(Duration::from_secs(5))?;
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut done = 0;
    while Instant::now() < deadline {
        let id = &ids[rng.usize(..ids.len())];
        let found = match operation {
            Operation::PointRead => connection
                .prepare_cached(
                    "SELECT item FROM nubes_items WHERE tbl = 'User' AND pk = ?1 AND sk = '#'",
                )?
                .query_row(params![id], |row| row.get::<_, String>(0))
                .optional()?
                .is_some(),
            Operation::ConditionalUpdate => {
                let rate = 1.0 + rng.f64() * 4.0;
                connection
                    .prepare_cached(
                        "UPDATE nubes_items SET item = json_set(item, '$.rate', ?1)
                         WHERE tbl = 'Hotel' AND pk = ?2 AND sk = '#'
                           AND json_extract(item, '$._del') IS NULL",
                    )?
                    .execute(params![rate, id])?
                    == 1
            }
        };
        if !found {
            return Err(rusqlite::Error::QueryReturnedNoRows);
        }
        done += 1;
    }
    Ok(done)
}

/// The rows as a Markdown table.
pub fn markdown(rows: &[Ceiling]) -> String {
    let mut out = String::from("| operation | connections | per second |\n|---|---|---|\n");
    for row in rows {
        out.push_str(&format!(
            "| {} | {} | {:.0} |\n",
            row.operation.label(),
            row.connections,
            row.rate()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use indicatif::ProgressBar;
    use nubes_runtime::store::sqlite::SqliteStore;
    use nubes_runtime::Store;

    use super::*;
    use crate::hotel::dataset::{self, Sizes};
    use crate::hotel::exactly_once::in_process_client;

    /// A tiny dataset in a file of its own; its users and hotels.
    async fn tiny_dataset(file: &Path) -> Result<(Vec<String>, Vec<String>), BoxError> {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(file)?);
        let client = in_process_client(store).await?;
        let sizes = Sizes {
            cities: 1,
            hotels_per_city: 3,
            rooms_per_hotel: 0,
            reservations_per_room: 0,
            users: 4,
        };
        let (data, _) = dataset::seed(&client, sizes, 1, &ProgressBar::hidden()).await?;
        Ok((data.users, data.hotels))
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_ceiling_reads_and_changes_the_datasets_items() -> Result<(), BoxError> {
        let dir = std::env::temp_dir().join(format!("nubes-ceiling-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let file = dir.join("data.sqlite");
        let (users, hotels) = tiny_dataset(&file).await?;
        let rows = measure(&file, &users, &hotels, 2, Duration::from_millis(50), 7)?;
        let shape: Vec<(Operation, usize)> = rows
            .iter()
            .map(|row| (row.operation, row.connections))
            .collect();
        assert_eq!(
            shape,
            [
                (Operation::PointRead, 1),
                (Operation::PointRead, 2),
                (Operation::ConditionalUpdate, 1),
                (Operation::ConditionalUpdate, 2),
            ]
        );
        assert!(rows.iter().all(|row| row.done > 0), "{rows:?}");
        // The updates changed the hotels' rates away from the seeded ones (1.0 to 5.0 in
        // steps of 0.5), and left them readable by the store.
        let store = SqliteStore::open(&file)?;
        let mut changed = 0;
        for hotel in &hotels {
            let key = nubes_runtime::store::Key::new("Hotel", hotel, "#");
            let item = store.get(&key).await?.ok_or("a hotel is gone")?;
            let rate = item["rate"].as_f64().ok_or("a rate is not a number")?;
            if (rate * 2.0).fract() != 0.0 {
                changed += 1;
            }
        }
        assert!(changed > 0, "no hotel's rate was changed");
        // An id that is not there is an error, not a free operation.
        let missing = ["nobody@example.com".to_string()];
        let refused = measure(&file, &missing, &hotels, 1, Duration::from_millis(10), 7);
        assert!(refused.is_err(), "{refused:?}");
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
