//! Small hand-written objects the runtime tests run on: a counter, bank accounts with
//! transfers, rooms with bookings (one-to-many, required back-reference), students and
//! courses (many-to-many), folders and documents (one-to-many, optional back-reference).

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use nubes_runtime::{
    Config, Ctx, Error, Invocation, InvocationId, ObjectHandler, ObjectType, Relation, Runtime,
    Schema, Store,
};
use serde_json::{json, Map, Value};

/// The schema of the samples, tables named `<prefix><Type>`.
pub fn schema(prefix: &str) -> Schema {
    Schema::new(prefix)
        .with_type(ObjectType::new("Counter"))
        .with_type(ObjectType::new("Account").readonly("owner"))
        .with_type(ObjectType::new("Room").relation(
            "bookings",
            Relation::OneToMany {
                target: "Booking".into(),
                back: "room".into(),
            },
        ))
        .with_type(
            ObjectType::new("Booking")
                .relation(
                    "room",
                    Relation::BackReference {
                        target: "Room".into(),
                        list: "bookings".into(),
                        optional: false,
                    },
                )
                .readonly("room")
                .readonly("slot"),
        )
        .with_type(ObjectType::new("Student").relation(
            "courses",
            Relation::ManyToMany {
                target: "Course".into(),
                inverse: "students".into(),
            },
        ))
        .with_type(ObjectType::new("Course").relation(
            "students",
            Relation::ManyToMany {
                target: "Student".into(),
                inverse: "courses".into(),
            },
        ))
        .with_type(
            ObjectType::new("Folder")
                .relation(
                    "docs",
                    Relation::OneToMany {
                        target: "Doc".into(),
                        back: "folder".into(),
                    },
                )
                .relation(
                    "pinned",
                    Relation::ReferenceList {
                        target: "Doc".into(),
                    },
                ),
        )
        .with_type(ObjectType::new("Doc").relation(
            "folder",
            Relation::BackReference {
                target: "Folder".into(),
                list: "docs".into(),
                optional: true,
            },
        ))
}

/// A runtime over `store` with every sample handler registered and its tables created.
pub async fn runtime(store: Arc<dyn Store>, config: Config) -> Runtime {
    let runtime = Runtime::builder(store, schema(""))
        .config(config)
        .handler("Counter", Arc::new(Counters))
        .handler("Account", Arc::new(Accounts))
        .handler("Room", Arc::new(Rooms))
        .handler("Booking", Arc::new(NoMethods))
        .handler("Student", Arc::new(Students))
        .handler("Course", Arc::new(NoMethods))
        .handler("Folder", Arc::new(NoMethods))
        .handler("Doc", Arc::new(NoMethods))
        .build();
    runtime.ensure_tables().await.expect("tables are created");
    runtime
}

/// A meeting point for concurrent invocations: the first `parties` arrivals wait for each
/// other (so all have read before any commits); later arrivals (re-runs) pass at once.
pub struct Rendezvous {
    arrived: AtomicUsize,
    parties: usize,
}

fn rendezvous_registry() -> &'static Mutex<HashMap<String, Arc<Rendezvous>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<String, Arc<Rendezvous>>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

impl Rendezvous {
    /// Registers a meeting point for `parties` invocations; returns its unique name, to
    /// pass as the `meet` argument.
    pub fn register(name: &str, parties: usize) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let unique = format!("{name}-{}", NEXT.fetch_add(1, Ordering::SeqCst));
        let rendezvous = Arc::new(Rendezvous {
            arrived: AtomicUsize::new(0),
            parties,
        });
        rendezvous_registry()
            .lock()
            .expect("registry lock")
            .insert(unique.clone(), rendezvous);
        unique
    }

    /// Waits at the meeting point named in `args["meet"]`, if any.
    async fn meet(args: &Value) {
        let Some(name) = args["meet"].as_str() else {
            return;
        };
        let Some(rendezvous) = rendezvous_registry()
            .lock()
            .expect("registry lock")
            .get(name)
            .cloned()
        else {
            return;
        };
        let arrival = rendezvous.arrived.fetch_add(1, Ordering::SeqCst) + 1;
        if arrival > rendezvous.parties {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while rendezvous.arrived.load(Ordering::SeqCst) < rendezvous.parties
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

/// Something a test runs in the middle of a method (see `Counter.incrementAfter`).
pub type Hook = Arc<dyn Fn() + Send + Sync>;

fn hook_registry() -> &'static Mutex<HashMap<String, Hook>> {
    static REGISTRY: OnceLock<Mutex<HashMap<String, Hook>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Registers `hook` under a unique name, to pass as the `hook` argument.
pub fn register_hook(name: &str, hook: Hook) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let unique = format!("{name}-{}", NEXT.fetch_add(1, Ordering::SeqCst));
    hook_registry()
        .lock()
        .expect("registry lock")
        .insert(unique.clone(), hook);
    unique
}

/// Runs the hook named in `args["hook"]`, if any.
fn run_hook(args: &Value) {
    let hook = args["hook"].as_str().and_then(|name| {
        hook_registry()
            .lock()
            .expect("registry lock")
            .get(name)
            .cloned()
    });
    if let Some(hook) = hook {
        hook();
    }
}

/// Creates an object with the fields of `value` (a JSON object); panics if that fails,
/// which in a test's set-up is the failure to report.
pub async fn make(runtime: &Runtime, type_name: &str, id: &str, value: Value) {
    runtime
        .create(
            &nubes_runtime::InvocationId::new(),
            type_name,
            id,
            fields(value),
        )
        .await
        .unwrap_or_else(|error| panic!("creating {type_name} `{id}`: {error}"));
}

/// A call of `method` on `type_name` `object` under a fresh invocation id.
pub fn call(type_name: &str, object: &str, method: &str, args: Value) -> Invocation {
    Invocation {
        id: InvocationId::new(),
        type_name: type_name.into(),
        object: object.into(),
        method: method.into(),
        args,
    }
}

/// A JSON object from pairs.
pub fn fields(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn unknown(method: &str) -> Error {
    Error::validation(format!("no method `{method}`"))
}

fn int(value: &Value, name: &str) -> Result<i64, Error> {
    value[name]
        .as_i64()
        .ok_or_else(|| Error::validation(format!("`{name}` must be an integer")))
}

fn text<'v>(value: &'v Value, name: &str) -> Result<&'v str, Error> {
    value[name]
        .as_str()
        .ok_or_else(|| Error::validation(format!("`{name}` must be text")))
}

/// `Counter { count: Int }`.
pub struct Counters;

#[async_trait]
impl ObjectHandler for Counters {
    fn is_readonly(&self, method: &str) -> bool {
        matches!(method, "get" | "sneakyGet" | "panicOnRead")
    }

    async fn call(&self, ctx: &mut Ctx, method: &str, args: Value) -> Result<Value, Error> {
        let this = ctx.this_ref().clone();
        match method {
            "get" => Ok(ctx.this().await?.get("count").cloned().unwrap_or(json!(0))),
            // A read-only method that tries to write: the runtime refuses.
            "sneakyGet" => {
                ctx.set("Counter", &this.id, "count", json!(-1)).await?;
                Ok(Value::Null)
            }
            "increment" => {
                let by = args["by"].as_i64().unwrap_or(1);
                let fields = ctx.get_mut("Counter", &this.id).await?;
                let count = fields.get("count").and_then(Value::as_i64).unwrap_or(0) + by;
                fields.insert("count".into(), json!(count));
                Ok(json!(count))
            }
            // Runs the test's hook (say, a clock moving on while the method runs), then
            // increments.
            "incrementAfter" => {
                run_hook(&args);
                self.call(ctx, "increment", json!({ "by": 1 })).await
            }
            // Increments and answers with a text of `size` bytes (a large result).
            "incrementAndEcho" => {
                let size = usize::try_from(int(&args, "size")?).unwrap_or(0);
                let fields = ctx.get_mut("Counter", &this.id).await?;
                let count = fields.get("count").and_then(Value::as_i64).unwrap_or(0) + 1;
                fields.insert("count".into(), json!(count));
                Ok(json!({ "count": count, "echo": "e".repeat(size) }))
            }
            // Changes this counter, then fails: the change must not commit.
            "incrementThenFail" => {
                let fields = ctx.get_mut("Counter", &this.id).await?;
                fields.insert("count".into(), json!(-100));
                Err(Error::User {
                    name: "Nope".into(),
                    data: Value::Null,
                })
            }
            // Changes this counter, then panics (a bug in user code): nothing commits.
            "incrementThenPanic" => {
                let fields = ctx.get_mut("Counter", &this.id).await?;
                fields.insert("count".into(), json!(-100));
                panic!("a bug after a change");
            }
            // Increments a fresh counter; panics on one already counted (a bug that only
            // shows once the state has changed).
            "incrementOnce" => {
                let fields = ctx.get_mut("Counter", &this.id).await?;
                let count = fields.get("count").and_then(Value::as_i64).unwrap_or(0);
                assert!(count == 0, "counted already");
                fields.insert("count".into(), json!(1));
                Ok(json!(1))
            }
            // Sends `method` to `other`, after this call commits.
            "sendLater" => {
                let other = text(&args, "other")?.to_string();
                let method = text(&args, "method")?.to_string();
                ctx.send("Counter", &other, &method, json!({}))?;
                Ok(Value::Null)
            }
            // Reads, then panics.
            "panicOnRead" => {
                let _ = ctx.this().await?;
                panic!("a bug in a read-only method");
            }
            // Sets a field of any object, carrying on if it does not exist.
            "touch" => {
                let (type_name, id) = (
                    text(&args, "type")?.to_string(),
                    text(&args, "id")?.to_string(),
                );
                let _ignored = ctx.set(&type_name, &id, "touched", json!(true)).await;
                Ok(Value::Null)
            }
            // Files doc `doc` into folder `folder`, creating the folder when it is missing.
            "fileInto" => {
                let (doc, folder) = (text(&args, "doc")?, text(&args, "folder")?);
                if !ctx.exists("Folder", folder).await? {
                    ctx.create("Folder", folder, fields(json!({}))).await?;
                }
                ctx.set("Doc", doc, "folder", json!(folder)).await?;
                Ok(Value::Null)
            }
            // Calls a failing method of `other`, carries on, and increments this counter.
            "tryOther" => {
                let other = text(&args, "other")?.to_string();
                let failed = ctx
                    .call("Counter", &other, "incrementThenFail", json!({}))
                    .await;
                let fields = ctx.get_mut("Counter", &this.id).await?;
                let count = fields.get("count").and_then(Value::as_i64).unwrap_or(0) + 1;
                fields.insert("count".into(), json!(count));
                Ok(json!(failed.is_err()))
            }
            // A nested call: increments `other` inline, then this counter.
            "incrementBoth" => {
                let other = text(&args, "other")?.to_string();
                ctx.call("Counter", &other, "increment", json!({ "by": 1 }))
                    .await?;
                self.call(ctx, "increment", json!({ "by": 1 })).await
            }
            // An asynchronous call: `other` is incremented after this commits.
            "incrementLater" => {
                let other = text(&args, "other")?;
                ctx.send("Counter", other, "increment", json!({ "by": 1 }))?;
                Ok(Value::Null)
            }
            // Books `slot` of `room` from outside the room: the room is only read (its
            // bookings) and gains a booking; it is not this invocation's target.
            "bookFor" => {
                let room = text(&args, "room")?.to_string();
                let slot = int(&args, "slot")?;
                let booking = text(&args, "booking")?.to_string();
                let bookings = ctx.collection("Room", &room, "bookings").await?;
                Rendezvous::meet(&args).await;
                if bookings
                    .iter()
                    .any(|(_, b)| b.get("slot") == Some(&json!(slot)))
                {
                    return Err(Error::User {
                        name: "Taken".into(),
                        data: json!({ "slot": slot }),
                    });
                }
                ctx.create(
                    "Booking",
                    &booking,
                    fields(json!({ "room": room, "slot": slot })),
                )
                .await?;
                Ok(json!(booking))
            }
            // Tries to change a read-only field of another object.
            "stealAccount" => {
                let account = text(&args, "account")?.to_string();
                ctx.set("Account", &account, "owner", json!("thief"))
                    .await?;
                Ok(Value::Null)
            }
            _ => Err(unknown(method)),
        }
    }
}

/// `Account { owner: String @readonly, balance: Int }`.
pub struct Accounts;

#[async_trait]
impl ObjectHandler for Accounts {
    fn is_readonly(&self, method: &str) -> bool {
        method == "balance"
    }

    async fn call(&self, ctx: &mut Ctx, method: &str, args: Value) -> Result<Value, Error> {
        let this = ctx.this_ref().clone();
        match method {
            "balance" => Ok(ctx
                .this()
                .await?
                .get("balance")
                .cloned()
                .unwrap_or(json!(0))),
            "transfer" => {
                let to = text(&args, "to")?.to_string();
                let amount = int(&args, "amount")?;
                let from_balance = ctx
                    .this()
                    .await?
                    .get("balance")
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                if from_balance < amount {
                    return Err(Error::User {
                        name: "Insufficient".into(),
                        data: json!({ "balance": from_balance, "amount": amount }),
                    });
                }
                let to_balance = ctx
                    .load("Account", &to)
                    .await?
                    .ok_or_else(|| Error::not_found("Account", &to))?
                    .get("balance")
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                ctx.set("Account", &this.id, "balance", json!(from_balance - amount))
                    .await?;
                ctx.set("Account", &to, "balance", json!(to_balance + amount))
                    .await?;
                Ok(json!(from_balance - amount))
            }
            // Withdraws from this account as long as this and `partner` together keep a
            // non-negative balance: reads `partner`, writes only this account.
            "withdrawJoint" => {
                let partner = text(&args, "partner")?.to_string();
                let amount = int(&args, "amount")?;
                let mine = ctx
                    .this()
                    .await?
                    .get("balance")
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                let theirs = ctx
                    .load("Account", &partner)
                    .await?
                    .and_then(|fields| fields.get("balance").and_then(Value::as_i64))
                    .unwrap_or(0);
                Rendezvous::meet(&args).await;
                if mine + theirs < amount {
                    return Err(Error::User {
                        name: "Insufficient".into(),
                        data: json!({ "balance": mine + theirs, "amount": amount }),
                    });
                }
                ctx.set("Account", &this.id, "balance", json!(mine - amount))
                    .await?;
                Ok(json!(mine - amount))
            }
            _ => Err(unknown(method)),
        }
    }
}

/// `Room { bookings: [Booking] @hasOne(room) }` with `book(slot, booking) raises Taken`.
pub struct Rooms;

#[async_trait]
impl ObjectHandler for Rooms {
    fn is_readonly(&self, method: &str) -> bool {
        method == "freeSlots"
    }

    async fn call(&self, ctx: &mut Ctx, method: &str, args: Value) -> Result<Value, Error> {
        let this = ctx.this_ref().clone();
        match method {
            "book" => {
                let slot = int(&args, "slot")?;
                let booking = text(&args, "booking")?.to_string();
                let bookings = ctx.collection("Room", &this.id, "bookings").await?;
                if let Some((taken_by, _)) = bookings
                    .iter()
                    .find(|(_, b)| b.get("slot") == Some(&json!(slot)))
                {
                    return Err(Error::User {
                        name: "Taken".into(),
                        data: json!({ "slot": slot, "booking": taken_by }),
                    });
                }
                ctx.create(
                    "Booking",
                    &booking,
                    fields(json!({ "room": this.id, "slot": slot })),
                )
                .await?;
                Ok(json!(booking))
            }
            "freeSlots" => {
                let bookings = ctx.collection("Room", &this.id, "bookings").await?;
                Ok(json!(10 - bookings.len() as i64))
            }
            _ => Err(unknown(method)),
        }
    }
}

/// `Student { courses: [Course] @hasMany(students) }` with `enrolIfRoom(course, capacity)`
/// and `joinCourse(course, peek?)`.
pub struct Students;

#[async_trait]
impl ObjectHandler for Students {
    fn is_readonly(&self, _: &str) -> bool {
        false
    }

    async fn call(&self, ctx: &mut Ctx, method: &str, args: Value) -> Result<Value, Error> {
        let this = ctx.this_ref().clone();
        match method {
            // Joins `course` unless it already has `capacity` students.
            "enrolIfRoom" => {
                let course = text(&args, "course")?.to_string();
                let capacity = int(&args, "capacity")?;
                let students = ctx.collection_ids("Course", &course, "students").await?;
                Rendezvous::meet(&args).await;
                if students.len() as i64 >= capacity {
                    return Err(Error::User {
                        name: "Full".into(),
                        data: json!({ "course": course }),
                    });
                }
                ctx.add_to("Student", &this.id, "courses", &course).await?;
                Ok(Value::Null)
            }
            // Joins `course` if it exists; with `peek`, answers its fields (a read after the
            // existence check), else whether it joined.
            "joinCourse" => {
                let course = text(&args, "course")?.to_string();
                if !ctx.exists("Course", &course).await? {
                    return Err(Error::not_found("Course", &course));
                }
                ctx.add_to("Student", &this.id, "courses", &course).await?;
                if args.get("peek") == Some(&json!(true)) {
                    let fields = ctx.load("Course", &course).await?;
                    return Ok(fields.map_or(Value::Null, Value::Object));
                }
                Ok(json!(true))
            }
            _ => Err(unknown(method)),
        }
    }
}

/// Types with generated members only.
pub struct NoMethods;

#[async_trait]
impl ObjectHandler for NoMethods {
    fn is_readonly(&self, _: &str) -> bool {
        false
    }

    async fn call(&self, _: &mut Ctx, method: &str, _: Value) -> Result<Value, Error> {
        Err(unknown(method))
    }
}
