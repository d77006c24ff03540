//! The nine tasks on Restate: the `hotel-restate` virtual objects (`bench/peers/restate`)
//! behind a `restate-server` child process, called through its HTTP ingress.
//!
//! [`RestateServer`] runs the server installed by `scripts/restate --install` on
//! 127.0.0.1 with a data directory of its own and kills it when dropped;
//! [`spawn_endpoint`] serves the objects in this process; [`RestateServer::register`]
//! makes the server invoke them; [`RestateTasks`] answers [`Call`]s through the ingress,
//! each changing call with an idempotency key of its own, so a call retried after a lost
//! connection runs once (reads go without one: a repeated read changes nothing, and a
//! key would make Restate keep every read's answer for a day, where nubes writes nothing
//! for a read).
//!
//! Durability: the server keeps invocations, journals and state in its log (Bifrost, a
//! replicated loglet with one copy, stored by the node's log-server in RocksDB); the
//! partition stores that materialize it write without a WAL, being rebuilt from the log.
//! By default the log-server fsyncs its RocksDB WAL on every write batch (a group
//! commit), like SQLite's WAL with `synchronous=FULL`; [`Durability::NoFsync`] sets
//! `log-server.rocksdb-disable-wal-fsync`, which writes the WAL without the fsync, like
//! `synchronous=NORMAL`. Every invocation goes through the log, read-only handlers too:
//! one call at a time, restate-server 1.7.12 made about three `fdatasync`s per call by
//! default and none with the option set (counted with `strace -f -c`).

use std::fmt;
use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::task::JoinSet;

use super::dataset::{self, Dataset, Seeded, Sizes};
use super::tasks::{reservations_answer, Answer, Call, Tasks};
use crate::BoxError;

/// How often, and how long apart, readiness is polled: 20 s at most.
const READY_TRIES: u32 = 400;
const READY_INTERVAL: Duration = Duration::from_millis(50);
/// How many times a call that got no answer (the connection failed) is sent, with the
/// same idempotency key.
const ATTEMPTS: u32 = 3;

/// Users registered at once while seeding.
const USERS_AT_ONCE: usize = 32;

/// The HTTP/1.1 client of the ingress and admin API, keeping connections alive.
type Http = Client<HttpConnector, Full<Bytes>>;

fn http_client() -> Http {
    Client::builder(TokioExecutor::new()).build_http()
}

/// The durability of the server's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// The server's default: the log-server fsyncs its RocksDB WAL on every write batch
    /// before the records count as stored (like SQLite WAL, `synchronous=FULL`).
    #[default]
    FsyncPerBatch,
    /// `RESTATE_LOG_SERVER__ROCKSDB_DISABLE_WAL_FSYNC=true`: the WAL is written on every
    /// batch but not fsynced, so a crash of the process loses nothing and a crash of the
    /// machine may (like SQLite WAL, `synchronous=NORMAL`).
    NoFsync,
}

/// The three ports a server listens on, all on 127.0.0.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestatePorts {
    /// The HTTP ingress, where handlers are invoked.
    pub ingress: u16,
    /// The admin API, where deployments are registered.
    pub admin: u16,
    /// Node-to-node communication (the message fabric).
    pub node: u16,
}

impl RestatePorts {
    /// Three ports free right now (bound to port 0 and released).
    pub fn free() -> Result<Self, BoxError> {
        let listeners = [bind_any()?, bind_any()?, bind_any()?];
        let [ingress, admin, node] = listeners.map(|listener| listener.local_addr());
        Ok(RestatePorts {
            ingress: ingress?.port(),
            admin: admin?.port(),
            node: node?.port(),
        })
    }
}

fn bind_any() -> std::io::Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", 0))
}

/// A `restate-server` child process, killed when dropped.
pub struct RestateServer {
    child: Child,
    ingress: String,
    admin: String,
    log: PathBuf,
    http: Http,
}

impl fmt::Debug for RestateServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestateServer")
            .field("pid", &self.child.id())
            .field("ingress", &self.ingress)
            .field("admin", &self.admin)
            .finish_non_exhaustive()
    }
}

/// How to start a [`RestateServer`].
#[derive(Debug, Clone)]
pub struct RestateServerBuilder {
    data_dir: PathBuf,
    binary: Option<PathBuf>,
    ports: Option<RestatePorts>,
    durability: Durability,
}

impl RestateServerBuilder {
    /// The `restate-server` binary to run (default: [`RestateServer::installed_binary`]).
    pub fn binary(mut self, binary: impl Into<PathBuf>) -> Self {
        self.binary = Some(binary.into());
        self
    }

    /// The ports to listen on (default: [`RestatePorts::free`]).
    pub fn ports(mut self, ports: RestatePorts) -> Self {
        self.ports = Some(ports);
        self
    }

    /// The durability of the log (default: [`Durability::FsyncPerBatch`]).
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// Starts the server and waits until its admin API and ingress answer.
    pub async fn start(self) -> Result<RestateServer, BoxError> {
        let binary = match self.binary {
            Some(binary) => binary,
            None => RestateServer::installed_binary()?,
        };
        let ports = match self.ports {
            Some(ports) => ports,
            None => RestatePorts::free()?,
        };
        std::fs::create_dir_all(&self.data_dir)?;
        let log = self.data_dir.join("restate-server.log");
        let output = File::create(&log)?;
        let address = |port: u16| format!("127.0.0.1:{port}");
        let mut command = Command::new(&binary);
        command
            .arg("--no-logo")
            .env_remove("RESTATE_CONFIG")
            .env("RESTATE_BASE_DIR", &self.data_dir)
            // The data lands in `<base>/<node name>`: fixed, not the host's name.
            .env("RESTATE_NODE_NAME", "nubes-bench")
            .env("RESTATE_LISTEN_MODE", "tcp")
            .env("RESTATE_BIND_ADDRESS", address(ports.node))
            .env("RESTATE_ADMIN__BIND_ADDRESS", address(ports.admin))
            .env("RESTATE_INGRESS__BIND_ADDRESS", address(ports.ingress))
            .env("RESTATE_DISABLE_TELEMETRY", "true")
            .env("RESTATE_LOG_DISABLE_ANSI_CODES", "true")
            .stdin(Stdio::null())
            .stdout(output.try_clone()?)
            .stderr(output);
        if self.durability == Durability::NoFsync {
            command.env("RESTATE_LOG_SERVER__ROCKSDB_DISABLE_WAL_FSYNC", "true");
        }
        let child = command
            .spawn()
            .map_err(|error| format!("cannot start {}: {error}", binary.display()))?;
        let mut server = RestateServer {
            child,
            ingress: format!("http://{}", address(ports.ingress)),
            admin: format!("http://{}", address(ports.admin)),
            log,
            http: http_client(),
        };
        server.wait_until_ready().await?;
        Ok(server)
    }
}

impl RestateServer {
    /// A server keeping its data in `data_dir` (which should be fresh), to configure and
    /// start.
    pub fn builder(data_dir: impl Into<PathBuf>) -> RestateServerBuilder {
        RestateServerBuilder {
            data_dir: data_dir.into(),
            binary: None,
            ports: None,
            durability: Durability::default(),
        }
    }

    /// Starts the installed server on free ports with its data in `data_dir`, fsyncing
    /// its log on every write batch (the default) when `fsync` is true, not when false.
    pub async fn start(data_dir: &Path, fsync: bool) -> Result<Self, BoxError> {
        let durability = if fsync {
            Durability::FsyncPerBatch
        } else {
            Durability::NoFsync
        };
        Self::builder(data_dir).durability(durability).start().await
    }

    /// Installs the server with `scripts/restate --install` unless it is installed
    /// already (from npm the first time; the binary is some 200 MB unpacked).
    pub fn install() -> Result<(), BoxError> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/restate");
        let status = Command::new(&script)
            .arg("--install")
            .stdin(Stdio::null())
            .status()
            .map_err(|error| format!("cannot run {}: {error}", script.display()))?;
        if !status.success() {
            return Err(format!("`{} --install` failed ({status})", script.display()).into());
        }
        Ok(())
    }

    /// The binary `scripts/restate --install` installed; an error saying to run it when
    /// it has not.
    pub fn installed_binary() -> Result<PathBuf, BoxError> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/restate");
        let output = Command::new(&script)
            .arg("--path")
            .stdin(Stdio::null())
            .output()
            .map_err(|error| format!("cannot run {}: {error}", script.display()))?;
        if !output.status.success() {
            return Err(format!(
                "restate-server is not installed (run `scripts/restate --install`): {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )
            .into());
        }
        Ok(PathBuf::from(String::from_utf8(output.stdout)?.trim()))
    }

    /// The ingress, e.g. `http://127.0.0.1:8080`.
    pub fn ingress_url(&self) -> &str {
        &self.ingress
    }

    /// The admin API, e.g. `http://127.0.0.1:9070`.
    pub fn admin_url(&self) -> &str {
        &self.admin
    }

    /// The server's process id (its CPU time is in `/proc/<pid>/stat`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The file the server's output goes to.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Registers the deployment at `uri` (an endpoint such as [`spawn_endpoint`]'s), so
    /// the server discovers its services and invokes them; answers the services' names.
    pub async fn register(&self, uri: &str) -> Result<Vec<String>, BoxError> {
        /// The part of the admin API's answer read here.
        #[derive(Deserialize)]
        struct Registered {
            services: Vec<Service>,
        }
        #[derive(Deserialize)]
        struct Service {
            name: String,
        }
        let url = format!("{}/deployments", self.admin);
        let body = serde_json::to_vec(&json!({ "uri": uri }))?;
        let (status, answer) = send(&self.http, Method::POST, &url, Some(body), None).await?;
        if !status.is_success() {
            return Err(format!(
                "registering {uri} answered {status}: {}",
                String::from_utf8_lossy(&answer)
            )
            .into());
        }
        let registered: Registered = serde_json::from_slice(&answer)?;
        let services: Vec<String> = registered.services.into_iter().map(|s| s.name).collect();
        for service in &services {
            self.wait_until_routed(service).await?;
        }
        Ok(services)
    }

    /// Polls the ingress until it routes calls to `service`: a handler that does not
    /// exist is then refused as such rather than as a service that does not (neither
    /// starts an invocation).
    async fn wait_until_routed(&self, service: &str) -> Result<(), BoxError> {
        let url = format!("{}/{service}/readiness-probe/noSuchHandler", self.ingress);
        let unknown = format!("service '{service}' not found");
        for _ in 0..READY_TRIES {
            let (status, answer) = send(&self.http, Method::POST, &url, None, None).await?;
            if status != StatusCode::NOT_FOUND
                || !String::from_utf8_lossy(&answer).contains(&unknown)
            {
                return Ok(());
            }
            tokio::time::sleep(READY_INTERVAL).await;
        }
        Err(format!(
            "the ingress {} does not route calls to {service}",
            self.ingress
        )
        .into())
    }

    /// Kills the server and waits for it to end (what dropping it does; a failure is
    /// reported on stderr, there being nothing left to do about it).
    pub fn stop(self) {
        drop(self);
    }

    fn kill(&mut self) -> Result<(), BoxError> {
        if self.child.try_wait()?.is_none() {
            self.child.kill()?;
        }
        self.child.wait()?;
        Ok(())
    }

    /// Polls the admin API's and the ingress's health until both answer 200, failing
    /// early with the server's output when it ends.
    async fn wait_until_ready(&mut self) -> Result<(), BoxError> {
        let probes = [
            format!("{}/health", self.admin),
            format!("{}/restate/health", self.ingress),
        ];
        for url in probes {
            let mut tries = 0;
            loop {
                if let Some(status) = self.child.try_wait()? {
                    return Err(
                        format!("restate-server ended ({status}):\n{}", self.log_tail()).into(),
                    );
                }
                if let Ok((StatusCode::OK, _)) =
                    send(&self.http, Method::GET, &url, None, None).await
                {
                    break;
                }
                tries += 1;
                if tries == READY_TRIES {
                    return Err(format!(
                        "restate-server did not answer {url} in time:\n{}",
                        self.log_tail()
                    )
                    .into());
                }
                tokio::time::sleep(READY_INTERVAL).await;
            }
        }
        Ok(())
    }

    /// The last lines of the server's output, for errors.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for RestateServer {
    fn drop(&mut self) {
        if let Err(error) = self.kill() {
            eprintln!("could not stop restate-server {}: {error}", self.child.id());
        }
    }
}

/// Serves the `hotel-restate` endpoint in this process on a free port of 127.0.0.1 (on
/// the current tokio runtime, until it ends); answers its URL.
pub async fn spawn_endpoint() -> Result<String, BoxError> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let address: SocketAddr = listener.local_addr()?;
    tokio::spawn(hotel_restate::serve(listener));
    Ok(format!("http://{address}"))
}

/// The nine tasks through a Restate server's ingress (clones share its connections).
#[derive(Clone)]
pub struct RestateTasks {
    http: Http,
    ingress: String,
}

impl RestateTasks {
    /// The tasks through the ingress at `ingress` (e.g. [`RestateServer::ingress_url`]),
    /// whose server has the hotel objects' deployment registered.
    pub fn new(ingress: &str) -> Result<Self, BoxError> {
        let ingress = ingress.trim_end_matches('/');
        ingress
            .parse::<hyper::Uri>()
            .map_err(|error| format!("`{ingress}` is not a URL: {error}"))?;
        Ok(RestateTasks {
            http: http_client(),
            ingress: ingress.to_string(),
        })
    }

    /// Seeds a city.
    pub async fn create_city(&self, name: &str, country: &str) -> Result<(), BoxError> {
        let init = hotel_restate::CityInit {
            country: country.into(),
        };
        self.seed("City", name, "create", &init).await
    }

    /// Seeds a hotel with the id `id` (which lists itself in its city).
    pub async fn create_hotel(
        &self,
        id: &str,
        init: &hotel_model::hotel::Init,
    ) -> Result<(), BoxError> {
        let init = hotel_restate::HotelInit {
            name: init.name.clone(),
            rate: init.rate,
            location: hotel_restate::GeoPoint {
                lat: init.location.lat,
                lon: init.location.lon,
            },
            city: init.city.0.clone(),
        };
        self.seed("Hotel", id, "create", &init).await
    }

    /// Seeds a room with the id `id` (which adds itself to its hotel).
    pub async fn create_room(
        &self,
        id: &str,
        init: &hotel_restate::RoomInit,
    ) -> Result<(), BoxError> {
        self.seed("Room", id, "create", init).await
    }

    /// Runs a seeding call, which must answer `want`.
    async fn expect(&self, call: &Call, want: Answer) -> Result<(), BoxError> {
        let answer = self.run(call).await?;
        if answer != want {
            return Err(format!("seeding {call:?} answered {answer:?}").into());
        }
        Ok(())
    }

    /// A seeding call, which must not be refused.
    async fn seed(
        &self,
        object: &str,
        key: &str,
        handler: &str,
        init: &impl Serialize,
    ) -> Result<(), BoxError> {
        match self
            .invoke(object, key, handler, Some(serde_json::to_vec(init)?), true)
            .await?
        {
            Ok(_) => Ok(()),
            Err(refusal) => Err(format!("{object}/{key}/{handler} refused: {refusal}").into()),
        }
    }

    /// Invokes `handler` of the object `object` keyed `key`, with `body` as its JSON
    /// input (none for handlers without one), under a fresh idempotency key when the
    /// handler `changes` state: the answer's body, or the refusal's name, or an error for
    /// anything else.
    async fn invoke(
        &self,
        object: &str,
        key: &str,
        handler: &str,
        body: Option<Vec<u8>>,
        changes: bool,
    ) -> Result<Result<Bytes, String>, BoxError> {
        let url = format!("{}/{object}/{}/{handler}", self.ingress, path_segment(key));
        let idempotency_key = changes.then(|| uuid::Uuid::now_v7().to_string());
        let mut attempt = 1;
        let (status, answer) = loop {
            let sent = send(
                &self.http,
                Method::POST,
                &url,
                body.clone(),
                idempotency_key.as_deref(),
            )
            .await;
            match sent {
                Ok(answer) => break answer,
                Err(error) if attempt == ATTEMPTS => return Err(error),
                Err(_) => attempt += 1,
            }
        };
        if status.is_success() {
            return Ok(Ok(answer));
        }
        /// The ingress's error body.
        #[derive(Deserialize)]
        struct Failure {
            code: u16,
            message: String,
            /// `invocation` for a handler's terminal error, `ingress` for a request the
            /// ingress itself refused.
            source: Option<String>,
        }
        let refusal = serde_json::from_slice::<Failure>(&answer)
            .ok()
            .filter(|failure| failure.source.as_deref() == Some("invocation"))
            .and_then(|failure| {
                hotel_restate::Refusal::name_in(failure.code, &failure.message).map(str::to_string)
            });
        match refusal {
            Some(name) => Ok(Err(name)),
            None => Err(format!(
                "{object}/{key}/{handler} answered {status}: {}",
                String::from_utf8_lossy(&answer)
            )
            .into()),
        }
    }

    /// Invokes a shared (read-only) handler and reads its JSON answer; a refusal is an
    /// [`Answer::Refused`].
    async fn read<T: DeserializeOwned>(
        &self,
        object: &str,
        key: &str,
        handler: &str,
        body: Option<Vec<u8>>,
        answer: impl FnOnce(T) -> Answer,
    ) -> Result<Answer, BoxError> {
        Ok(
            match self.invoke(object, key, handler, body, false).await? {
                Ok(bytes) => answer(serde_json::from_slice(&bytes)?),
                Err(refusal) => Answer::Refused(refusal),
            },
        )
    }

    /// Invokes a handler that answers nothing.
    async fn change(
        &self,
        object: &str,
        key: &str,
        handler: &str,
        body: Option<Vec<u8>>,
        done: Answer,
    ) -> Result<Answer, BoxError> {
        Ok(match self.invoke(object, key, handler, body, true).await? {
            Ok(_) => done,
            Err(refusal) => Answer::Refused(refusal),
        })
    }
}

/// Makes in Restate the dataset that [`dataset::seed`] made through nubes as `data`,
/// with `sizes` and `seed`: the same users, cities, hotels and rooms under the same ids,
/// and the same stays with the same guests, rooms filled [`dataset::ROOMS_AT_ONCE`] at
/// a time as there.
pub async fn seed(
    tasks: &RestateTasks,
    sizes: Sizes,
    data: &Dataset,
    seed: u64,
) -> Result<Seeded, BoxError> {
    let started = Instant::now();
    let (per_city, per_hotel) = (sizes.hotels_per_city, sizes.rooms_per_hotel);
    if data.cities.len() != sizes.cities
        || data.hotels.len() != sizes.cities * per_city
        || data.rooms.len() != data.hotels.len() * per_hotel
        || data.users.len() != sizes.users
    {
        return Err(format!("the dataset does not have the sizes {sizes:?}").into());
    }
    // Users, USERS_AT_ONCE at a time (each is an object of its own).
    let users: Vec<usize> = (0..sizes.users).collect();
    for chunk in users.chunks(USERS_AT_ONCE) {
        let mut registering = JoinSet::new();
        for n in chunk {
            let init = dataset::user_init(*n);
            let register = Call::Register {
                email: init.email,
                first_name: init.first_name,
                last_name: init.last_name,
                password: init.password,
            };
            let tasks = tasks.clone();
            registering.spawn(async move { tasks.expect(&register, Answer::Done).await });
        }
        while let Some(registered) = registering.join_next().await {
            registered??;
        }
    }
    for (c, (name, lat, lon)) in dataset::CITIES.iter().take(sizes.cities).enumerate() {
        let city = dataset::city_init(name);
        tasks.create_city(&city.name, &city.country).await?;
        for h in 0..per_city {
            let hotel = &data.hotels[c * per_city + h];
            let init = dataset::hotel_init(name, *lat, *lon, h);
            tasks.create_hotel(hotel, &init).await?;
            let hotel_id = hotel_model::hotel::Id::from(hotel.as_str());
            for number in 0..per_hotel {
                let init = dataset::room_init(&hotel_id, number);
                let init = hotel_restate::RoomInit {
                    number: init.number,
                    price: init.price,
                    hotel: hotel.clone(),
                };
                tasks
                    .create_room(&data.rooms[(c * per_city + h) * per_hotel + number], &init)
                    .await?;
            }
        }
    }
    let all_guests = dataset::guests(sizes, data.rooms.len(), data.users.len(), seed);
    let rooms: Vec<(&String, Vec<usize>)> = data.rooms.iter().zip(all_guests).collect();
    for rooms in rooms.chunks(dataset::ROOMS_AT_ONCE) {
        let mut filling = JoinSet::new();
        for (room, guests) in rooms {
            let reserves: Vec<Call> = guests
                .iter()
                .enumerate()
                .map(|(k, guest)| {
                    let (check_in, check_out) = dataset::stay(k);
                    Call::Reserve {
                        room: (*room).clone(),
                        guest: data.users[*guest].clone(),
                        check_in: check_in.to_string(),
                        check_out: check_out.to_string(),
                    }
                })
                .collect();
            let tasks = tasks.clone();
            filling.spawn(async move {
                for reserve in &reserves {
                    tasks.expect(reserve, Answer::Reserved).await?;
                }
                Ok::<(), BoxError>(())
            });
        }
        while let Some(filled) = filling.join_next().await {
            filled??;
        }
    }
    Ok(Seeded {
        objects: sizes.objects(),
        took: started.elapsed(),
    })
}

#[async_trait]
impl Tasks for RestateTasks {
    fn name(&self) -> &'static str {
        "restate"
    }

    async fn run(&self, call: &Call) -> Result<Answer, BoxError> {
        let hotel_ids = |hotels: Vec<hotel_restate::HotelListing>| {
            Answer::Hotels(hotels.into_iter().map(|hotel| hotel.id).collect())
        };
        match call {
            Call::Register {
                email,
                first_name,
                last_name,
                password,
            } => {
                let init = hotel_restate::UserInit {
                    first_name: first_name.clone(),
                    last_name: last_name.clone(),
                    password: password.clone(),
                };
                let body = Some(serde_json::to_vec(&init)?);
                self.change("User", email, "register", body, Answer::Done)
                    .await
            }
            Call::DeleteUser { email } => {
                self.change("User", email, "delete", None, Answer::Done)
                    .await
            }
            Call::SetRate { hotel, rate } => {
                // JSON has no NaN or infinity: a rate that is not finite goes as `null`.
                let rate = hotel_restate::NewRate {
                    rate: rate.is_finite().then_some(*rate),
                };
                let body = Some(serde_json::to_vec(&rate)?);
                self.change("Hotel", hotel, "setRate", body, Answer::Done)
                    .await
            }
            Call::Reserve {
                room,
                guest,
                check_in,
                check_out,
            } => {
                let request = hotel_restate::ReserveRequest {
                    guest: guest.clone(),
                    check_in: check_in.clone(),
                    check_out: check_out.clone(),
                };
                let body = Some(serde_json::to_vec(&request)?);
                Ok(
                    match self.invoke("Room", room, "reserve", body, true).await? {
                        Ok(bytes) => {
                            let _: hotel_restate::Reserved = serde_json::from_slice(&bytes)?;
                            Answer::Reserved
                        }
                        Err(refusal) => Answer::Refused(refusal),
                    },
                )
            }
            Call::RecommendByLocation { city, point, count } => {
                let query = hotel_restate::LocationQuery {
                    point: hotel_restate::GeoPoint {
                        lat: point.lat,
                        lon: point.lon,
                    },
                    count: *count,
                };
                let body = Some(serde_json::to_vec(&query)?);
                self.read("City", city, "recommendByLocation", body, hotel_ids)
                    .await
            }
            Call::RecommendByRate { city, count } => {
                let body = Some(serde_json::to_vec(&hotel_restate::Count { count: *count })?);
                self.read("City", city, "recommendByRate", body, hotel_ids)
                    .await
            }
            Call::Login { email, password } => {
                let login = hotel_restate::Login {
                    password: password.clone(),
                };
                let body = Some(serde_json::to_vec(&login)?);
                self.read("User", email, "login", body, Answer::Bool).await
            }
            Call::GetHotels { city } => self.read("City", city, "getHotels", None, hotel_ids).await,
            Call::GetUserReservations { email } => {
                self.read(
                    "User",
                    email,
                    "getReservations",
                    None,
                    |stays: Vec<hotel_restate::Stay>| {
                        reservations_answer(
                            stays
                                .into_iter()
                                .map(|stay| (stay.room, stay.check_in, stay.check_out)),
                        )
                    },
                )
                .await
            }
        }
    }
}

/// Sends one request (a JSON body when given) and reads the whole answer.
async fn send(
    http: &Http,
    method: Method,
    url: &str,
    body: Option<Vec<u8>>,
    idempotency_key: Option<&str>,
) -> Result<(StatusCode, Bytes), BoxError> {
    let mut request = Request::builder().method(method).uri(url);
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    if let Some(key) = idempotency_key {
        request = request.header("idempotency-key", key);
    }
    let request = request.body(Full::new(Bytes::from(body.unwrap_or_default())))?;
    let response = http.request(request).await?;
    let status = response.status();
    let answer = response.into_body().collect().await?.to_bytes();
    Ok((status, answer))
}

/// `key` as one segment of a URL path: every byte but the unreserved ones
/// percent-encoded (the ingress decodes it back).
fn path_segment(key: &str) -> String {
    let mut segment = String::with_capacity(key.len());
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            segment.push(char::from(byte));
        } else {
            segment.push_str(&format!("%{byte:02X}"));
        }
    }
    segment
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_path_segment() {
        assert_eq!(path_segment("ana@example.com"), "ana%40example.com");
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(path_segment("Lisbon-1_x~"), "Lisbon-1_x~");
        assert_eq!(path_segment("é"), "%C3%A9");
    }
}
