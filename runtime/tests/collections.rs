//! A changing call's commit does not grow with the collections it reads: objects of an
//! immutable type and children of a tracked list are covered by their owner's version,
//! everything else a call read is checked. Each rule that decides which objects need no
//! check of their own has a test here that fails without it; a gate holds a call between
//! its reads and its commit while the test changes what it read. The collection cache,
//! which lets a changing call skip the query of a collection a commit proved, is tested
//! at the end.

mod samples;
#[macro_use]
mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use nubes_runtime::store::{Condition, Key, StatsSnapshot, Store, WriteOp};
use nubes_runtime::{
    Clock, Config, Ctx, Error, Invocation, InvocationId, ManualClock, ObjectHandler, ObjectType,
    Relation, Runtime, Schema, SystemClock,
};
use samples::{call, fields, make};
use serde_json::{json, Value};
use tokio::sync::watch;

on_both_stores!(
    commits_do_not_grow_with_immutable_collections,
    immutable_collections_are_one_query,
    edges_without_copies_still_read,
    immutable_objects_cannot_change,
    reading_an_objects_own_collection_checks_it,
    objects_read_by_id_are_checked,
    mutable_children_are_checked,
    tracked_lists_see_changes_to_their_children,
    too_many_checks_name_the_collection,
    cached_collections_skip_the_query,
    other_runtimes_changes_are_seen,
    cached_collections_expire,
    the_cache_holds_at_most_its_capacity,
    collections_only_checked_are_cached_at_the_version_read,
    nested_read_only_reads_are_validated,
);

/// `Shelf { labels: [Label] @hasOne(shelf), notes: [Note] @hasOne(shelf) @tracked,
/// boxes: [Box] @hasOne(shelf) }`; `Label` is immutable (`shelf`, `text` read-only) and
/// has `tags: [Tag] @hasMany(labels)`; `Note` and `Box` have a mutable `text`.
fn schema() -> Schema {
    let child = |list: &str| Relation::BackReference {
        target: "Shelf".into(),
        list: list.into(),
        optional: false,
    };
    let children = |target: &str| Relation::OneToMany {
        target: target.into(),
        back: "shelf".into(),
    };
    Schema::new("")
        .with_type(
            ObjectType::new("Shelf")
                .relation("labels", children("Label"))
                .relation("notes", children("Note"))
                .relation("boxes", children("Box"))
                .tracked("notes"),
        )
        .with_type(
            ObjectType::new("Label")
                .id_field("id")
                .relation("shelf", child("labels"))
                .relation(
                    "tags",
                    Relation::ManyToMany {
                        target: "Tag".into(),
                        inverse: "labels".into(),
                    },
                )
                .readonly("shelf")
                .readonly("text")
                .immutable(),
        )
        .with_type(ObjectType::new("Tag").relation(
            "labels",
            Relation::ManyToMany {
                target: "Label".into(),
                inverse: "tags".into(),
            },
        ))
        .with_type(ObjectType::new("Note").relation("shelf", child("notes")))
        .with_type(ObjectType::new("Box").relation("shelf", child("boxes")))
}

async fn runtime(store: Arc<dyn Store>) -> Runtime {
    runtime_with(store, Config::default()).await
}

async fn runtime_with(store: Arc<dyn Store>, config: Config) -> Runtime {
    let mut builder = Runtime::builder(store, schema()).config(config);
    for type_name in ["Shelf", "Label", "Tag", "Note", "Box"] {
        builder = builder.handler(type_name, Arc::new(Shelves));
    }
    let runtime = builder.build();
    runtime.ensure_tables().await.expect("tables are created");
    runtime
}

/// The type of the children in each list of a shelf.
fn child_type(list: &str) -> Result<&'static str, Error> {
    match list {
        "labels" => Ok("Label"),
        "notes" => Ok("Note"),
        "boxes" => Ok("Box"),
        _ => Err(Error::validation(format!("no list `{list}`"))),
    }
}

fn text<'v>(args: &'v Value, name: &str) -> Result<&'v str, Error> {
    args[name]
        .as_str()
        .ok_or_else(|| Error::validation(format!("`{name}` must be text")))
}

fn taken(text: &str) -> Error {
    Error::User {
        name: "Taken".into(),
        data: json!({ "text": text }),
    }
}

/// The methods of the sample, on `Shelf` (and, for `dropIfOther`, any type).
struct Shelves;

#[async_trait]
impl ObjectHandler for Shelves {
    fn is_readonly(&self, method: &str) -> bool {
        matches!(method, "list" | "listOf")
    }

    async fn call(&self, ctx: &mut Ctx, method: &str, args: Value) -> Result<Value, Error> {
        let shelf = ctx.this_ref().id.clone();
        match method {
            // The objects of one list (of shelf `shelf`, else of this one), as a
            // read-only call sees them.
            "list" | "listOf" => {
                let list = text(&args, "list")?;
                let shelf = args["shelf"].as_str().unwrap_or(&shelf);
                let objects = ctx.collection("Shelf", shelf, list).await?;
                Ok(Value::Array(
                    objects.into_iter().map(|(_, o)| Value::Object(o)).collect(),
                ))
            }
            // Adds a child with `text` to `list` unless one has it already.
            "add" => {
                let (list, wanted) = (text(&args, "list")?, text(&args, "text")?);
                let children = ctx.collection("Shelf", &shelf, list).await?;
                Gate::pass(&args).await;
                if children
                    .iter()
                    .any(|(_, c)| c.get("text") == Some(&json!(wanted)))
                {
                    return Err(taken(wanted));
                }
                let id = InvocationId::new().0;
                let child = json!({ "id": id, "shelf": shelf, "text": wanted });
                ctx.create_fresh(child_type(list)?, &id, fields(child))
                    .await?;
                Ok(json!(id))
            }
            // Adds a label with `text` unless a label of the shelf has a tag.
            "addUnlessTagged" => {
                let wanted = text(&args, "text")?;
                let labels = ctx.collection("Shelf", &shelf, "labels").await?;
                for (label, _) in &labels {
                    if !ctx.collection_ids("Label", label, "tags").await?.is_empty() {
                        return Err(taken(wanted));
                    }
                }
                Gate::pass(&args).await;
                add_label(ctx, &shelf, wanted).await
            }
            // Adds a label with `text` unless shelf `in` has one, read directly or
            // through a nested read-only call (`nested`).
            "addUnlessIn" => {
                let (other, wanted) = (text(&args, "in")?, text(&args, "text")?);
                let labels: Vec<Value> = if args["nested"] == json!(true) {
                    let args = json!({ "shelf": other, "list": "labels" });
                    let listed = ctx.call("Tag", "red", "listOf", args).await?;
                    listed.as_array().cloned().unwrap_or_default()
                } else {
                    let labels = ctx.collection("Shelf", other, "labels").await?;
                    labels.into_iter().map(|(_, l)| Value::Object(l)).collect()
                };
                if labels.iter().any(|l| l["text"] == json!(wanted)) {
                    return Err(taken(wanted));
                }
                Gate::pass(&args).await;
                add_label(ctx, &shelf, wanted).await
            }
            // Tags `label` unless `shelf` holds a label with `text`.
            "tagUnless" => {
                let (label, on, unless) = (
                    text(&args, "label")?,
                    text(&args, "shelf")?,
                    text(&args, "text")?,
                );
                let labels = ctx.collection("Shelf", on, "labels").await?;
                if labels
                    .iter()
                    .any(|(_, l)| l.get("text") == Some(&json!(unless)))
                {
                    return Err(taken(unless));
                }
                ctx.add_to("Tag", &shelf, "labels", label).await?;
                Ok(Value::Null)
            }
            // Deletes label `drop` if label `keep` (read by id) still exists.
            "dropIfOther" => {
                let (keep, drop) = (text(&args, "keep")?, text(&args, "drop")?);
                let kept = ctx.exists("Label", keep).await?;
                Gate::pass(&args).await;
                if kept {
                    ctx.delete("Label", drop).await?;
                }
                Ok(json!(kept))
            }
            // Changes a field of any object (refused for an immutable one).
            "change" => {
                let (type_name, id, field) = (
                    text(&args, "type")?,
                    text(&args, "id")?,
                    text(&args, "field")?,
                );
                ctx.set(type_name, id, field, args["value"].clone()).await?;
                Ok(Value::Null)
            }
            _ => Err(Error::validation(format!("no method `{method}`"))),
        }
    }
}

/// Creates a label with `text` on `shelf` under a fresh id, and answers the id.
async fn add_label(ctx: &mut Ctx, shelf: &str, text: &str) -> Result<Value, Error> {
    let id = InvocationId::new().0;
    let label = json!({ "id": id, "shelf": shelf, "text": text });
    ctx.create_fresh("Label", &id, fields(label)).await?;
    Ok(json!(id))
}

/// Holds a call between its reads and its commit: the call waits at [`Gate::pass`] until
/// the test opens the gate; a re-run after a lost race passes at once.
struct Gate {
    arrived: watch::Sender<bool>,
    open: watch::Sender<bool>,
}

fn gates() -> &'static Mutex<HashMap<String, Arc<Gate>>> {
    static GATES: OnceLock<Mutex<HashMap<String, Arc<Gate>>>> = OnceLock::new();
    GATES.get_or_init(|| Mutex::new(HashMap::new()))
}

impl Gate {
    /// A new closed gate, under a unique name to pass as the `gate` argument.
    fn new() -> (String, Arc<Gate>) {
        let name = InvocationId::new().0;
        let gate = Arc::new(Gate {
            arrived: watch::channel(false).0,
            open: watch::channel(false).0,
        });
        gates()
            .lock()
            .expect("gate registry")
            .insert(name.clone(), gate.clone());
        (name, gate)
    }

    /// Waits at the gate named by `args["gate"]`, if any, until it is open.
    async fn pass(args: &Value) {
        let Some(name) = args["gate"].as_str() else {
            return;
        };
        let gate = gates().lock().expect("gate registry").get(name).cloned();
        if let Some(gate) = gate {
            gate.arrived.send_replace(true);
            let mut open = gate.open.subscribe();
            // The gate lives as long as the registry: the wait ends when it opens.
            let _ = open.wait_for(|open| *open).await;
        }
    }

    /// Waits until a call has arrived at the gate.
    async fn arrival(&self) {
        let mut arrived = self.arrived.subscribe();
        let _ = arrived.wait_for(|arrived| *arrived).await;
    }

    fn open(&self) {
        self.open.send_replace(true);
    }
}

/// Runs `held` up to its gate, then `meanwhile` to its end, then lets `held` commit.
async fn while_held<F: std::future::Future>(
    runtime: &Runtime,
    held: Invocation,
    gate: &Gate,
    meanwhile: F,
) -> (Result<Value, Error>, F::Output) {
    tokio::join!(runtime.invoke(&held), async {
        gate.arrival().await;
        let done = meanwhile.await;
        gate.open();
        done
    })
}

/// A shelf `s` with `n` children with texts `t0`, `t1`, … in `list`.
async fn shelf_with(runtime: &Runtime, list: &str, n: usize) {
    make(runtime, "Shelf", "s", json!({})).await;
    let type_name = child_type(list).expect("a list of the sample");
    for i in 0..n {
        let id = format!("{list}{i}");
        let child = json!({ "id": id, "shelf": "s", "text": format!("t{i}") });
        make(runtime, type_name, &id, child).await;
    }
}

fn stats(runtime: &Runtime) -> StatsSnapshot {
    runtime.store().stats().snapshot()
}

fn add(list: &str, wanted: &str) -> Invocation {
    call("Shelf", "s", "add", json!({ "list": list, "text": wanted }))
}

/// Items in the commit of one `add`: the same with 5 labels as with 150 (more than one
/// commit could check), because labels are immutable.
async fn commits_do_not_grow_with_immutable_collections(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    shelf_with(&runtime, "labels", 5).await;
    let widths = |before: StatsSnapshot, after: StatsSnapshot| {
        let used = after - before;
        used.items_written + used.items_checked
    };
    let before = stats(&runtime);
    runtime.invoke(&add("labels", "new")).await.expect("added");
    let small = widths(before, stats(&runtime));
    for i in 5..150 {
        let label = json!({ "id": format!("l{i}"), "shelf": "s", "text": format!("t{i}") });
        make(&runtime, "Label", &format!("l{i}"), label).await;
    }
    let before = stats(&runtime);
    runtime
        .invoke(&add("labels", "newer"))
        .await
        .expect("added");
    let large = widths(before, stats(&runtime));
    // The shelf, the new label and its edge.
    assert_eq!((small, large), (3, 3));
    let refused = runtime.invoke(&add("labels", "t149")).await;
    assert!(
        matches!(&refused, Err(Error::User { name, .. }) if name == "Taken"),
        "{refused:?}"
    );
}

/// A collection of immutable objects is the edge query alone, for read-only and changing
/// calls, and gives what the objects hold.
async fn immutable_collections_are_one_query(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    shelf_with(&runtime, "labels", 30).await;
    let before = stats(&runtime);
    let labels = runtime
        .invoke(&call("Shelf", "s", "list", json!({ "list": "labels" })))
        .await
        .expect("listed");
    // The shelf and the query.
    assert_eq!((stats(&runtime) - before).round_trips, 2);
    let labels = labels.as_array().cloned().unwrap_or_default();
    assert_eq!(labels.len(), 30);
    for label in &labels {
        let id = label["id"].as_str().expect("an id");
        let stored = runtime.get("Label", id).await.expect("stored");
        assert_eq!(label, &Value::Object(stored));
    }
    // A changing call: the shelf, the query, the commit.
    let before = stats(&runtime);
    runtime.invoke(&add("labels", "new")).await.expect("added");
    assert_eq!((stats(&runtime) - before).round_trips, 3);
}

/// Edges written before they carried copies (or whose copy is lost) are read with a
/// batched get, as before.
async fn edges_without_copies_still_read(store: Arc<dyn Store>) {
    let runtime = runtime(store.clone()).await;
    shelf_with(&runtime, "labels", 3).await;
    strip_copy(&store, "labels1").await;
    let before = stats(&runtime);
    let labels = runtime
        .invoke(&call("Shelf", "s", "list", json!({ "list": "labels" })))
        .await
        .expect("listed");
    // The shelf, the query and one batched get.
    assert_eq!((stats(&runtime) - before).round_trips, 3);
    let texts: Vec<&str> = labels
        .as_array()
        .map(|all| all.iter().filter_map(|l| l["text"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(texts, ["t0", "t1", "t2"]);
}

/// Rewrites the edge from shelf `s` to `label` as edges were before they carried copies.
async fn strip_copy(store: &Arc<dyn Store>, label: &str) {
    let edge = Key::new("Shelf", "s", format!("rel#labels#{label}"));
    store
        .write(vec![WriteOp::Put {
            key: edge,
            item: fields(json!({ "to": label })),
            condition: Condition::Always,
        }])
        .await
        .expect("the edge is rewritten without a copy");
}

/// No field of an immutable object changes, by a setter or inside a method, even one the
/// schema does not list.
async fn immutable_objects_cannot_change(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    shelf_with(&runtime, "labels", 1).await;
    let setter = runtime
        .set_field(&InvocationId::new(), "Label", "labels0", "note", json!("x"))
        .await;
    assert!(
        matches!(setter, Err(Error::Validation { .. })),
        "{setter:?}"
    );
    let args = json!({ "type": "Label", "id": "labels0", "field": "note", "value": "x" });
    let inside = runtime.invoke(&call("Shelf", "s", "change", args)).await;
    assert!(
        matches!(inside, Err(Error::Validation { .. })),
        "{inside:?}"
    );
    let label = runtime.get("Label", "labels0").await.expect("stored");
    assert_eq!(
        Value::Object(label),
        json!({ "id": "labels0", "shelf": "s", "text": "t0" })
    );
}

/// A call that also reads an immutable object's own collection checks that object: a tag
/// added meanwhile makes it run again (write skew otherwise: each call's condition would
/// hold only before the other's change).
async fn reading_an_objects_own_collection_checks_it(store: Arc<dyn Store>) {
    let runtime = runtime(store.clone()).await;
    shelf_with(&runtime, "labels", 2).await;
    make(&runtime, "Tag", "red", json!({})).await;
    // Without copies the labels are read with a batched get, as objects the shelf covers.
    for label in ["labels0", "labels1"] {
        strip_copy(&store, label).await;
    }
    let (gate_name, gate) = Gate::new();
    let held = call(
        "Shelf",
        "s",
        "addUnlessTagged",
        json!({ "text": "x", "gate": gate_name }),
    );
    let tag = call(
        "Tag",
        "red",
        "tagUnless",
        json!({ "label": "labels0", "shelf": "s", "text": "x" }),
    );
    let (added, tagged) = while_held(&runtime, held, &gate, runtime.invoke(&tag)).await;
    assert!(tagged.is_ok(), "{tagged:?}");
    assert!(
        matches!(&added, Err(Error::User { name, .. }) if name == "Taken"),
        "a label was added though a label was tagged meanwhile: {added:?}"
    );
}

/// An immutable object read by id (not through a collection) is checked: two calls that
/// each keep one label only while the other exists cannot delete both.
async fn objects_read_by_id_are_checked(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    for shelf in ["s1", "s2"] {
        make(&runtime, "Shelf", shelf, json!({})).await;
    }
    let label = |id: &str, shelf: &str| json!({ "id": id, "shelf": shelf, "text": id });
    make(&runtime, "Label", "x", label("x", "s1")).await;
    make(&runtime, "Label", "y", label("y", "s2")).await;
    let (gate_name, gate) = Gate::new();
    let held = call(
        "Shelf",
        "s2",
        "dropIfOther",
        json!({ "keep": "x", "drop": "y", "gate": gate_name }),
    );
    let other = call(
        "Shelf",
        "s1",
        "dropIfOther",
        json!({ "keep": "y", "drop": "x" }),
    );
    let (first, second) = while_held(&runtime, held, &gate, runtime.invoke(&other)).await;
    let left = [
        runtime.exists("Label", "x").await.expect("x read"),
        runtime.exists("Label", "y").await.expect("y read"),
    ];
    assert_eq!(left, [false, true], "{first:?} {second:?}");
    assert_eq!(
        (first.ok(), second.ok()),
        (Some(json!(false)), Some(json!(true)))
    );
}

/// Children of a list that is neither immutable nor tracked are checked one by one: a
/// box renamed meanwhile makes the call run again.
async fn mutable_children_are_checked(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    shelf_with(&runtime, "boxes", 2).await;
    let (gate_name, gate) = Gate::new();
    let held = call(
        "Shelf",
        "s",
        "add",
        json!({ "list": "boxes", "text": "x", "gate": gate_name }),
    );
    let id = InvocationId::new();
    let rename = runtime.set_field(&id, "Box", "boxes0", "text", json!("x"));
    let (added, renamed) = while_held(&runtime, held, &gate, rename).await;
    assert!(renamed.is_ok(), "{renamed:?}");
    assert!(
        matches!(&added, Err(Error::User { name, .. }) if name == "Taken"),
        "{added:?}"
    );
}

/// A tracked list: a change to a child bumps the parent (by a setter or inside a method),
/// so a call that read the list runs again — and its commit checks no child.
async fn tracked_lists_see_changes_to_their_children(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    shelf_with(&runtime, "notes", 120).await;
    make(&runtime, "Tag", "red", json!({})).await;
    let before = stats(&runtime);
    runtime.invoke(&add("notes", "new")).await.expect("added");
    let used = stats(&runtime) - before;
    assert_eq!(used.items_written + used.items_checked, 3);
    for (n, by_setter) in [(0, true), (1, false)] {
        let (gate_name, gate) = Gate::new();
        let wanted = format!("x{n}");
        let held = call(
            "Shelf",
            "s",
            "add",
            json!({ "list": "notes", "text": wanted, "gate": gate_name }),
        );
        let note = format!("notes{n}");
        let rename = async {
            if by_setter {
                runtime
                    .set_field(&InvocationId::new(), "Note", &note, "text", json!(wanted))
                    .await
            } else {
                let args = json!({ "type": "Note", "id": note, "field": "text", "value": wanted });
                runtime
                    .invoke(&call("Tag", "red", "change", args))
                    .await
                    .map(drop)
            }
        };
        let (added, renamed) = while_held(&runtime, held, &gate, rename).await;
        assert!(renamed.is_ok(), "{renamed:?}");
        assert!(
            matches!(&added, Err(Error::User { name, .. }) if name == "Taken"),
            "by setter: {by_setter}: {added:?}"
        );
    }
}

/// What still cannot fit one commit fails with an error naming the call, the collection
/// and the limit, and changes nothing.
async fn too_many_checks_name_the_collection(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    shelf_with(&runtime, "boxes", 100).await;
    let refused = runtime.invoke(&add("boxes", "new")).await;
    let Err(Error::Validation { message }) = &refused else {
        panic!("expected a validation error, got {refused:?}");
    };
    for part in [
        "Shelf `s`.add",
        "100 objects of `Shelf.boxes`",
        "at most 100",
        "@tracked",
    ] {
        assert!(message.contains(part), "`{part}` missing from: {message}");
    }
    let boxes = runtime
        .collection_ids("Shelf", "s", "boxes")
        .await
        .expect("read");
    assert_eq!(boxes.len(), 100);
}

/// Round trips of one call.
async fn round_trips(runtime: &Runtime, invocation: &Invocation) -> (u64, Result<Value, Error>) {
    let before = stats(runtime);
    let result = runtime.invoke(invocation).await;
    ((stats(runtime) - before).round_trips, result)
}

/// Deletes label `labels0` (text `t0`) of shelf `s`, which must still hold `labels1`.
fn drop_first_label() -> Invocation {
    call(
        "Shelf",
        "s",
        "dropIfOther",
        json!({ "keep": "labels1", "drop": "labels0" }),
    )
}

fn is_taken(result: &Result<Value, Error>) -> bool {
    matches!(result, Err(Error::User { name, .. }) if name == "Taken")
}

/// After a commit that read a collection of immutable objects, the next changing call
/// on the same owner takes it from the cache (the shelf and the commit, no query), with
/// the commit's own changes in it: the label just added is seen. With the cache off,
/// every call queries.
async fn cached_collections_skip_the_query(store: Arc<dyn Store>) {
    let runtime = runtime(store.clone()).await;
    shelf_with(&runtime, "labels", 5).await;
    let (first, added) = round_trips(&runtime, &add("labels", "a")).await;
    assert!(added.is_ok(), "{added:?}");
    let (second, added) = round_trips(&runtime, &add("labels", "b")).await;
    assert!(added.is_ok(), "{added:?}");
    let (third, again) = round_trips(&runtime, &add("labels", "a")).await;
    assert!(is_taken(&again), "{again:?}");
    assert_eq!((first, second, third), (3, 2, 2));
    let off = Config {
        collection_cache: 0,
        ..Config::default()
    };
    let uncached = runtime_with(store, off).await;
    let (first, _) = round_trips(&uncached, &add("labels", "c")).await;
    let (second, _) = round_trips(&uncached, &add("labels", "d")).await;
    assert_eq!((first, second), (3, 3));
}

/// Two runtimes on one store, as two function instances: what one adds or deletes, the
/// other sees at once, whatever its cache holds (the owner's version moved on).
async fn other_runtimes_changes_are_seen(store: Arc<dyn Store>) {
    let here = runtime(store.clone()).await;
    let there = runtime(store).await;
    shelf_with(&here, "labels", 3).await;
    here.invoke(&add("labels", "a")).await.expect("added here");
    there
        .invoke(&add("labels", "b"))
        .await
        .expect("added there");
    let again = here.invoke(&add("labels", "b")).await;
    assert!(is_taken(&again), "{again:?}");
    there
        .invoke(&drop_first_label())
        .await
        .expect("dropped there");
    let text = here.invoke(&add("labels", "t0")).await;
    assert!(text.is_ok(), "t0 is free again: {text:?}");
}

/// A cached collection is trusted for a minute at most: an owner whose version restarted
/// (created again after its tombstone expired, here written straight to the store) is
/// read afresh once that minute is over.
async fn cached_collections_expire(store: Arc<dyn Store>) {
    let clock = Arc::new(ManualClock::new(SystemClock.now_ms()));
    let config = Config {
        clock: clock.clone(),
        ..Config::default()
    };
    let runtime = runtime_with(store.clone(), config).await;
    shelf_with(&runtime, "labels", 2).await;
    runtime.invoke(&add("labels", "a")).await.expect("added");
    // The same version of the shelf, without label `labels0`: another life of `s`.
    let shelf = Key::new("Shelf", "s", "#");
    let mut item = store
        .get(&shelf)
        .await
        .expect("read")
        .expect("the shelf exists");
    item.retain(|name, _| name == "_v");
    store
        .write(vec![
            WriteOp::Put {
                key: shelf,
                item,
                condition: Condition::Always,
            },
            WriteOp::Delete {
                key: Key::new("Shelf", "s", "rel#labels#labels0"),
                condition: Condition::Always,
            },
        ])
        .await
        .expect("the shelf is rewritten");
    clock.advance(std::time::Duration::from_secs(61));
    let text = runtime.invoke(&add("labels", "t0")).await;
    assert!(text.is_ok(), "the stored collection is read: {text:?}");
}

/// The cache keeps at most `collection_cache` bytes of collections (their objects' sizes
/// as DynamoDB counts them, plus 128 bytes a collection), the oldest collections going
/// first, and never a collection larger than that.
async fn the_cache_holds_at_most_its_capacity(store: Arc<dyn Store>) {
    let config = Config {
        collection_cache: 600,
        ..Config::default()
    };
    let runtime = runtime_with(store, config).await;
    for shelf in ["s1", "s2", "big"] {
        make(&runtime, "Shelf", shelf, json!({})).await;
    }
    // A label of 20 bytes on s1 and on s2, and 30 on `big` (600 bytes in all).
    let shelves = ["s1", "s2"].into_iter().chain(["big"; 30]);
    for (n, shelf) in shelves.enumerate() {
        let label = json!({ "id": format!("l{n}"), "shelf": shelf, "text": "old" });
        make(&runtime, "Label", &format!("l{n}"), label).await;
    }
    let on = |shelf: &str, text: &str| {
        call(
            "Shelf",
            shelf,
            "add",
            json!({ "list": "labels", "text": text }),
        )
    };
    let mut trips = Vec::new();
    // A label `add` makes takes 86 bytes. s1 is kept at 242 bytes, then 328; s2 at 242
    // (570 in all); s2 at 328 pushes out s1, the older; s1 at 414 pushes out s2; `big`
    // is never kept; s1 is still there.
    let calls = [
        ("s1", "a"),
        ("s1", "b"),
        ("s2", "a"),
        ("s2", "b"),
        ("s1", "c"),
        ("big", "a"),
        ("big", "b"),
        ("s1", "d"),
    ];
    for (shelf, text) in calls {
        let (used, added) = round_trips(&runtime, &on(shelf, text)).await;
        assert!(added.is_ok(), "{shelf}: {added:?}");
        trips.push(used);
    }
    assert_eq!(trips, [3, 2, 3, 2, 3, 3, 3, 2]);
}

/// A collection read inside a nested read-only call of a changing invocation puts its
/// owner in the read set like any other: two calls that each add a label unless the
/// other's shelf has it cannot both add it.
async fn nested_read_only_reads_are_validated(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    for shelf in ["s1", "s2"] {
        make(&runtime, "Shelf", shelf, json!({})).await;
    }
    make(&runtime, "Tag", "red", json!({})).await;
    let (gate_name, gate) = Gate::new();
    // The held call reads s1's labels in a read-only call on tag `red`, not on s1.
    let args = json!({ "in": "s1", "text": "x", "nested": true, "gate": gate_name });
    let held = call("Shelf", "s2", "addUnlessIn", args);
    let args = json!({ "in": "s2", "text": "x", "nested": false });
    let other = call("Shelf", "s1", "addUnlessIn", args);
    let (first, second) = while_held(&runtime, held, &gate, runtime.invoke(&other)).await;
    assert!(second.is_ok(), "{second:?}");
    assert!(is_taken(&first), "s1 has `x` now: {first:?}");
}

/// A call that only reads a shelf's labels (the shelf is checked, not written) proves them
/// at the version it read, not the next: a label deleted afterwards (which bumps the
/// shelf to that next version) is gone for the next call.
async fn collections_only_checked_are_cached_at_the_version_read(store: Arc<dyn Store>) {
    let runtime = runtime(store).await;
    shelf_with(&runtime, "labels", 2).await;
    make(&runtime, "Tag", "red", json!({})).await;
    let tag_unless = |label: &str| {
        call(
            "Tag",
            "red",
            "tagUnless",
            json!({ "label": label, "shelf": "s", "text": "t0" }),
        )
    };
    let refused = runtime.invoke(&tag_unless("labels1")).await;
    assert!(is_taken(&refused), "{refused:?}");
    runtime.invoke(&drop_first_label()).await.expect("dropped");
    let tagged = runtime.invoke(&tag_unless("labels1")).await;
    assert!(tagged.is_ok(), "t0 is gone: {tagged:?}");
}
