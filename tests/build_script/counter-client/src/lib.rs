//! The client of the counter application (`../counter.nubes`), generated on every build
//! by `build.rs`.

nubes_runtime::include_generated!("counter_client");
