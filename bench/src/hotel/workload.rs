//! What the load sends: the nine tasks, weighted mixes of them, and each call's
//! arguments, drawn from the dataset with a seeded generator.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use hotel_model::GeoPoint;

use super::dataset::{password, Dataset};
use super::tasks::Call;

/// One of the nine tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Task {
    /// User registration.
    Register,
    /// Delete user.
    DeleteUser,
    /// Set hotel rate.
    SetRate,
    /// Reserve a room.
    Reserve,
    /// Recommend hotels by location.
    RecommendByLocation,
    /// Recommend hotels by rate.
    RecommendByRate,
    /// Login.
    Login,
    /// Get a city's hotels.
    GetHotels,
    /// Get a user's reservations.
    GetUserReservations,
}

impl Task {
    /// The nine tasks, in the order of the original evaluation.
    pub const ALL: [Task; 9] = [
        Task::Register,
        Task::DeleteUser,
        Task::SetRate,
        Task::Reserve,
        Task::RecommendByLocation,
        Task::RecommendByRate,
        Task::Login,
        Task::GetHotels,
        Task::GetUserReservations,
    ];

    /// The task's name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Task::Register => "register",
            Task::DeleteUser => "delete-user",
            Task::SetRate => "set-rate",
            Task::Reserve => "reserve",
            Task::RecommendByLocation => "recommend-location",
            Task::RecommendByRate => "recommend-rate",
            Task::Login => "login",
            Task::GetHotels => "get-hotels",
            Task::GetUserReservations => "get-user-reservations",
        }
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Task {
    type Err = String;

    fn from_str(name: &str) -> Result<Task, String> {
        Task::ALL
            .into_iter()
            .find(|task| task.name() == name.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = Task::ALL.iter().map(|task| task.name()).collect();
                format!("no task `{name}`; the tasks are {}", names.join(", "))
            })
    }
}

/// Tasks with weights: each call is one of them, in proportion.
#[derive(Debug, Clone, PartialEq)]
pub struct Mix(Vec<(Task, f64)>);

impl Mix {
    /// Only `task`.
    pub fn only(task: Task) -> Mix {
        Mix(vec![(task, 1.0)])
    }

    /// The task of the next call.
    pub fn pick(&self, rng: &mut fastrand::Rng) -> Task {
        let total: f64 = self.0.iter().map(|(_, weight)| weight).sum();
        let mut left = rng.f64() * total;
        for (task, weight) in &self.0 {
            if left < *weight {
                return *task;
            }
            left -= weight;
        }
        self.0[self.0.len() - 1].0
    }

    /// The part of the calls that are of `task` (0–1).
    pub fn share(&self, task: Task) -> f64 {
        let total: f64 = self.0.iter().map(|(_, weight)| weight).sum();
        let of_task: f64 = self
            .0
            .iter()
            .filter(|(t, _)| *t == task)
            .map(|(_, weight)| weight)
            .sum();
        of_task / total
    }

    /// The tasks of the mix.
    pub fn tasks(&self) -> impl Iterator<Item = Task> + '_ {
        self.0.iter().map(|(task, _)| *task)
    }
}

impl fmt::Display for Mix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [(task, _)] => write!(f, "{task}"),
            parts => {
                let parts: Vec<String> = parts
                    .iter()
                    .map(|(task, weight)| format!("{task}={weight}"))
                    .collect();
                f.write_str(&parts.join(","))
            }
        }
    }
}

impl FromStr for Mix {
    type Err = String;

    /// `reserve=0.5,login=0.5` (a task without a weight weighs 1).
    fn from_str(text: &str) -> Result<Mix, String> {
        let mut parts = Vec::new();
        for part in text.split(',').filter(|part| !part.trim().is_empty()) {
            let (name, weight) = part.split_once('=').unwrap_or((part, "1"));
            let weight: f64 = weight
                .trim()
                .parse()
                .map_err(|_| format!("the weight of `{name}` must be a number, not `{weight}`"))?;
            if !(weight.is_finite() && weight > 0.0) {
                return Err(format!("the weight of `{name}` must be above 0"));
            }
            parts.push((name.parse()?, weight));
        }
        if parts.is_empty() {
            return Err("a mix needs at least one task".into());
        }
        Ok(Mix(parts))
    }
}

/// Draws the arguments of calls from a dataset.
pub struct Workload {
    data: Arc<Dataset>,
    /// Only the first this many rooms, hotels and users (the busy-object scenario).
    busy: Option<usize>,
    /// Names the users a run registers, apart from every other run's.
    run: String,
    /// Numbers the users this run registers or names to delete.
    numbered: AtomicU64,
    /// Users made for `delete-user` to delete, one per call.
    victims: Mutex<Vec<String>>,
}

impl Workload {
    /// Calls on `data` for the run named `run`; with `busy`, only on that many rooms,
    /// hotels and users.
    pub fn new(data: Arc<Dataset>, run: &str, busy: Option<usize>) -> Workload {
        Workload {
            data,
            busy,
            run: run.to_string(),
            numbered: AtomicU64::new(0),
            victims: Mutex::new(Vec::new()),
        }
    }

    /// Gives `delete-user` these users to delete.
    pub fn add_victims(&self, users: Vec<String>) {
        if let Ok(mut victims) = self.victims.lock() {
            victims.extend(users);
        }
    }

    /// An index into a list of `len` objects: among the first few when the workload is
    /// busy, among all otherwise.
    fn index(&self, rng: &mut fastrand::Rng, len: usize) -> usize {
        rng.usize(..self.busy.unwrap_or(len).min(len).max(1))
    }

    fn some<'a>(&self, rng: &mut fastrand::Rng, of: &'a [String]) -> &'a str {
        of.get(self.index(rng, of.len())).map_or("", String::as_str)
    }

    /// The next call of `task`.
    pub fn call(&self, task: Task, rng: &mut fastrand::Rng) -> Call {
        let data = &self.data;
        match task {
            Task::Register => {
                let n = self.numbered.fetch_add(1, Ordering::Relaxed);
                Call::Register {
                    email: format!("{}-{n}@example.com", self.run),
                    first_name: "New".into(),
                    last_name: format!("User{n}"),
                    password: format!("new-{n}"),
                }
            }
            Task::DeleteUser => {
                // Never a seeded user, whom the other tasks need: past the users made to
                // be deleted, the calls delete users that do not exist (refused).
                let victim = self.victims.lock().ok().and_then(|mut v| v.pop());
                let email = victim.unwrap_or_else(|| {
                    let n = self.numbered.fetch_add(1, Ordering::Relaxed);
                    format!("{}-nobody-{n}@example.com", self.run)
                });
                Call::DeleteUser { email }
            }
            Task::SetRate => Call::SetRate {
                hotel: self.some(rng, &data.hotels).to_string(),
                rate: f64::from(rng.u8(0..=10)) * 0.5,
            },
            Task::Reserve => {
                // A stay of 1 to 3 nights from 2030 on, where the seeded stays are not.
                let first = 1_461 + rng.i64(0..3_650);
                let nights = rng.i64(1..=3);
                Call::Reserve {
                    room: self.some(rng, &data.rooms).to_string(),
                    guest: self.some(rng, &data.users).to_string(),
                    check_in: super::dataset::night(first).to_string(),
                    check_out: super::dataset::night(first + nights).to_string(),
                }
            }
            Task::RecommendByLocation => Call::RecommendByLocation {
                city: self.some(rng, &data.cities).to_string(),
                point: GeoPoint {
                    lat: 38.0 + rng.f64() * 15.0,
                    lon: -9.5 + rng.f64() * 23.0,
                },
                count: 5,
            },
            Task::RecommendByRate => Call::RecommendByRate {
                city: self.some(rng, &data.cities).to_string(),
                count: 5,
            },
            Task::Login => {
                let n = self.index(rng, data.users.len());
                Call::Login {
                    email: data.users.get(n).cloned().unwrap_or_default(),
                    password: password(n),
                }
            }
            Task::GetHotels => Call::GetHotels {
                city: self.some(rng, &data.cities).to_string(),
            },
            Task::GetUserReservations => Call::GetUserReservations {
                email: self.some(rng, &data.users).to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixes_parse_and_pick_in_proportion() {
        let mix: Mix = "reserve=3,login".parse().expect("a mix");
        assert_eq!(mix.to_string(), "reserve=3,login=1");
        let mut rng = fastrand::Rng::with_seed(7);
        let reserves = (0..4_000)
            .filter(|_| mix.pick(&mut rng) == Task::Reserve)
            .count();
        assert!((2_800..3_200).contains(&reserves), "{reserves}");
        assert_eq!(mix.share(Task::Reserve), 0.75);
        assert_eq!(mix.share(Task::Register), 0.0);
        assert!("reserve=0".parse::<Mix>().is_err());
        let unknown = "fly=1".parse::<Mix>().expect_err("no task `fly`");
        assert!(unknown.contains("login"), "{unknown}");
        assert!("".parse::<Mix>().is_err());
    }
}
