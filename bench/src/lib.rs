//! What the benchmarks share: the machine line, scratch directories and percentiles of
//! the runtime benchmarks, and the hotel benchmark's nine tasks with their
//! implementations.

pub mod common;
pub mod hotel;

pub use common::BoxError;
