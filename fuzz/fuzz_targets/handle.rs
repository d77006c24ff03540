//! Feeds hostile requests to the hotel application's runtime on an in-memory SQLite store,
//! through `Runtime::handle_json` (what every transport calls). The first byte chooses:
//! even, the rest is a payload as it arrives (bytes that may parse as JSON); odd, the rest
//! steers the structure-aware generator of `nubes_reliability::hostile` (the hotel's own
//! requests, mutated). Any panic is a bug, and so is an answer that is a store failure:
//! a bad request must be refused with a validation error.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use nubes_reliability::dataset::{seed, Dataset};
use nubes_reliability::hostile::{self, ByteChoices};
use nubes_reliability::ids::IdSource;
use nubes_runtime::store::sqlite::SqliteStore;
use nubes_runtime::{Config, Error, InProcess, Reply, Runtime};
use serde_json::Value;

struct Hotel {
    tokio: tokio::runtime::Runtime,
    runtime: Runtime,
    data: Dataset,
}

/// One hotel for the whole run: made once, then changed by whatever the inputs do.
fn hotel() -> &'static Hotel {
    static HOTEL: OnceLock<Hotel> = OnceLock::new();
    HOTEL.get_or_init(|| {
        let tokio = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a Tokio runtime");
        let store = Arc::new(SqliteStore::in_memory().expect("an in-memory SQLite store"));
        let runtime = nubes_reliability::hotel_runtime(store, Config::default());
        let data = tokio.block_on(async {
            runtime.ensure_tables().await.expect("tables");
            seed(&InProcess::new(runtime.clone()), &mut IdSource::new(1_767_225_600_000))
                .await
                .expect("the dataset")
        });
        Hotel {
            tokio,
            runtime,
            data,
        }
    })
}

fuzz_target!(|input: &[u8]| {
    let Some((mode, rest)) = input.split_first() else {
        return;
    };
    let hotel = hotel();
    let payload = if mode % 2 == 0 {
        match serde_json::from_slice::<Value>(rest) {
            Ok(payload) => payload,
            Err(_) => return,
        }
    } else {
        hostile::payload(&mut ByteChoices::new(rest), &hotel.data).1
    };
    let reply = hotel.tokio.block_on(hotel.runtime.handle_json(payload));
    if let Reply::Error(
        error @ (Error::Store { .. } | Error::Unavailable { .. } | Error::Panicked { .. }),
    ) = reply
    {
        panic!("a hostile request got {error:?}");
    }
});
