//! What the two collection-reading tasks cost as their collection grows: `get-hotels` on a
//! city of `n` hotels and `get-user-reservations` on a user of `n` reservations, through
//! each implementation, counted in store round trips, items and read units per call. A
//! design whose round trips per call grow with the collection would show here.

use std::sync::Arc;

use indicatif::ProgressBar;
use nubes_runtime::store::sqlite::SqliteStore;
use nubes_runtime::store::StatsSnapshot;
use nubes_runtime::Store;

use super::dataset::{self, Sizes};
use super::exactly_once::in_process_client;
use super::tasks::{Answer, Call, Tasks};
use super::{ExactlyOnce, Ssf};
use crate::BoxError;

/// The collection sizes the benchmark shows.
pub const SIZES: [usize; 3] = [25, 250, 2_500];

/// Reservations per room when a user's reservations are made: rooms are added as needed.
const RESERVATIONS_PER_ROOM: usize = 25;

/// One task through one implementation on a collection of one size.
#[derive(Debug, Clone)]
pub struct Growth {
    /// Members of the collection read.
    pub size: usize,
    /// The task.
    pub task: &'static str,
    /// The implementation.
    pub implementation: &'static str,
    /// What the store did per call (the mean of the calls measured).
    pub per_call: PerCall,
}

/// Store work per call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PerCall {
    /// Requests to the store.
    pub round_trips: f64,
    /// Items the store returned.
    pub items_read: f64,
    /// Read capacity units, by DynamoDB's rules.
    pub read_units: f64,
}

impl PerCall {
    fn of(stats: StatsSnapshot, calls: u64) -> PerCall {
        let per = |counter: u64| counter as f64 / calls.max(1) as f64;
        PerCall {
            round_trips: per(stats.round_trips),
            items_read: per(stats.items_read),
            read_units: per(stats.read_units),
        }
    }
}

/// Measures both tasks through both implementations at each of `sizes`, `calls` calls
/// each, on datasets of their own in memory, seeded through the generated client.
pub async fn measure(sizes: &[usize], calls: u64) -> Result<Vec<Growth>, BoxError> {
    let mut rows = Vec::new();
    for &size in sizes {
        let hotels = Sizes {
            cities: 1,
            hotels_per_city: size,
            rooms_per_hotel: 0,
            reservations_per_room: 0,
            users: 0,
        };
        let (store, data) = seeded(hotels).await?;
        let call = Call::GetHotels {
            city: data.cities[0].clone(),
        };
        rows.extend(both(&store, size, "get-hotels", &call, calls).await?);

        let reservations = Sizes {
            cities: 1,
            hotels_per_city: 1,
            rooms_per_hotel: size.div_ceil(RESERVATIONS_PER_ROOM),
            reservations_per_room: size.min(RESERVATIONS_PER_ROOM),
            users: 1,
        };
        let (store, data) = seeded(reservations).await?;
        let call = Call::GetUserReservations {
            email: data.users[0].clone(),
        };
        rows.extend(both(&store, size, "get-user-reservations", &call, calls).await?);
    }
    Ok(rows)
}

/// A store in memory seeded with `sizes` (every reservation's guest the one user).
async fn seeded(sizes: Sizes) -> Result<(Arc<dyn Store>, dataset::Dataset), BoxError> {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory()?);
    let client = in_process_client(store.clone()).await?;
    let (data, _) = dataset::seed(&client, sizes, 1, &ProgressBar::hidden()).await?;
    Ok((store, data))
}

/// `call`, `calls` times through each implementation on `store`, which both read alike
/// (the tasks measured change nothing); the answers must agree.
async fn both(
    store: &Arc<dyn Store>,
    size: usize,
    task: &'static str,
    call: &Call,
    calls: u64,
) -> Result<Vec<Growth>, BoxError> {
    let implementations: [Arc<dyn Tasks>; 2] = [
        Arc::new(ExactlyOnce::new(in_process_client(store.clone()).await?)),
        Arc::new(Ssf::new(store.clone(), "")),
    ];
    let mut rows = Vec::new();
    let mut answers: Vec<Answer> = Vec::new();
    for tasks in implementations {
        let before = store.stats().snapshot();
        for _ in 0..calls {
            answers.push(tasks.run(call).await?);
        }
        let stats = store.stats().snapshot() - before;
        rows.push(Growth {
            size,
            task,
            implementation: tasks.name(),
            per_call: PerCall::of(stats, calls),
        });
    }
    let members = match answers.first() {
        Some(Answer::Hotels(hotels)) => hotels.len(),
        Some(Answer::Reservations(stays)) => stays.len(),
        other => return Err(format!("{task} answered {other:?}").into()),
    };
    if members != size || answers.iter().any(|answer| answer != &answers[0]) {
        return Err(format!(
            "{task} on a collection of {size}: the implementations answered differently, or not with {size} members"
        )
        .into());
    }
    Ok(rows)
}

/// The rows as a Markdown table: round trips, items and read units per call at each size.
pub fn markdown(rows: &[Growth]) -> String {
    let mut out = String::from(
        "| task | implementation | members | round trips | items read | RCU |\n|---|---|---|---|---|---|\n",
    );
    for row in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {:.2} | {:.1} | {:.1} |\n",
            row.task,
            row.implementation,
            row.size,
            row.per_call.round_trips,
            row.per_call.items_read,
            row.per_call.read_units
        ));
    }
    out
}
