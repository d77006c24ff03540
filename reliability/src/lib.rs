//! The reliability suites of nubes, run on the hotel application (`examples/hotel`)
//! through its generated handlers and [`nubes_runtime::Runtime::handle`], the entry point
//! every transport shares. This library holds what the suites share: the hotel's requests
//! as a client sends them, a small dataset, ids that are the same in every run, and the
//! stored state in comparable form. `docs/reliability.md` says what each suite proves.

pub mod dataset;
pub mod history;
pub mod hostile;
pub mod ids;
pub mod requests;
pub mod state;

use std::sync::Arc;

use nubes_runtime::{Config, Runtime, Store};

/// The hotel application's runtime over `store`: the generated handlers with the
/// application's methods.
pub fn hotel_runtime(store: Arc<dyn Store>, config: Config) -> Runtime {
    hotel_handlers::runtime(store, hotel_app::HotelApp)
        .config(config)
        .build()
}
