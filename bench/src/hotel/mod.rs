//! The hotel benchmark's nine tasks (user registration, delete user, set hotel rate,
//! reserve, recommend by location, recommend by rate, login, get a city's hotels, get a
//! user's reservations) and two implementations of them over one store and dataset:
//! `exactly-once`, the generated hotel crates with the application's methods, and `ssf`,
//! the same tasks written by hand on the store without any guarantee; and, as a peer,
//! `restate`, the tasks as Restate virtual objects behind a Restate server.

pub mod ceiling;
pub mod chart;
pub mod dataset;
pub mod exactly_once;
pub mod growth;
pub mod lambda;
pub mod load;
pub mod modelled;
pub mod moto;
pub mod process;
pub mod report;
pub mod restate;
pub mod ssf;
pub mod tasks;
pub mod workload;

pub use exactly_once::ExactlyOnce;
pub use restate::{RestateServer, RestateTasks};
pub use ssf::Ssf;
pub use tasks::{Answer, Call, Tasks};
