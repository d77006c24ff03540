//! Every type form of the language through the code generated from
//! `tests/golden/pass/all_type_forms.nubes`: objects created with every field filled
//! load back equal, the stored fields keep their `.nubes` names, a `None` optional is
//! absent, and the three kinds of collections (one-to-many, many-to-many and a
//! reference list) change on both sides.

#[macro_use]
#[path = "../../../runtime/tests/support/mod.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use all_type_forms_client::Client;
use all_type_forms_model::{group, item, owner, Item, Owner, Point, Status, Tree};
use nubes_runtime::layout::OBJECT_SK;
use nubes_runtime::store::{Condition, Key, WriteOp};
use nubes_runtime::{Call, Error, InProcess, Request, Store, Transport};
use serde_json::{json, Value};

on_both_stores!(
    every_field_round_trips,
    stored_fields_use_the_schema_names,
    setters_change_and_clear_every_form,
    one_to_many_keeps_both_sides,
    many_to_many_keeps_both_sides,
    reference_lists_add_and_remove_ids,
    dates_and_instants_are_checked_where_they_enter,
);

async fn app(store: Arc<dyn Store>) -> (Client, InProcess) {
    let transport = all_type_forms_handlers::in_process(store, ())
        .with_tables()
        .await
        .expect("tables are created");
    (Client::new(transport.clone()), transport)
}

fn leaf(label: &str) -> Tree {
    Tree {
        label: label.into(),
        parent: None,
        children: Vec::new(),
        by_name: BTreeMap::new(),
    }
}

/// A tree that uses every way `Tree` contains itself, three levels deep.
fn deep_tree() -> Tree {
    let grandparent = Tree {
        children: vec![leaf("great-uncle")],
        ..leaf("grandparent")
    };
    let parent = Tree {
        parent: Some(Box::new(grandparent)),
        by_name: BTreeMap::from([("aunt".to_string(), leaf("aunt"))]),
        ..leaf("parent")
    };
    let child = Tree {
        parent: Some(Box::new(leaf("other parent"))),
        children: vec![leaf("grandchild a"), leaf("grandchild b")],
        ..leaf("child")
    };
    Tree {
        label: "root".into(),
        parent: Some(Box::new(parent)),
        children: vec![child, leaf("")],
        by_name: BTreeMap::from([
            ("first".to_string(), leaf("first")),
            (
                "nested".to_string(),
                Tree {
                    by_name: BTreeMap::from([("inner".to_string(), leaf("inner"))]),
                    ..leaf("nested")
                },
            ),
        ]),
    }
}

/// The calendar date written `text`.
fn day(text: &str) -> all_type_forms_model::Date {
    text.parse()
        .unwrap_or_else(|error| panic!("{text:?} is not a date: {error}"))
}

/// The instant written `text` (RFC 3339).
fn instant(text: &str) -> all_type_forms_model::Timestamp {
    text.parse()
        .unwrap_or_else(|error| panic!("{text:?} is not an instant: {error}"))
}

/// An `Owner` with every field set, optional ones included.
fn full_init(favourite: &item::Id, backup: &item::Id, wishlist: &[item::Id]) -> owner::Init {
    owner::Init {
        text: "héllo, wörld — \"quoted\"\n".into(),
        count: -9_007_199_254_740_993, // not representable as an f64
        ratio: 0.1,
        flag: true,
        blob: vec![0, 1, 127, 128, 255],
        at: instant("2026-11-28T06:28:30Z"),
        day: day("2026-11-28"),
        nickname: Some("Nick".into()),
        maybe_day: Some(day("2027-01-31")),
        tags: vec!["a".into(), "b".into(), "a".into()],
        optional_tags: Some(vec!["x".into()]),
        scores: BTreeMap::from([
            ("alice".to_string(), 3),
            ("bob".to_string(), -7),
            ("max".to_string(), i64::MAX),
        ]),
        origin: Point { x: 1.5, y: -2.25 },
        status: Status::Closed,
        tree: deep_tree(),
        grid: vec![vec![1, 2, 3], vec![], vec![-4]],
        shapes: BTreeMap::from([
            (
                "triangle".to_string(),
                vec![
                    Point { x: 0.5, y: 0.5 },
                    Point { x: 1.25, y: 0.75 },
                    Point { x: -3.5, y: 1e-3 },
                ],
            ),
            ("nothing".to_string(), vec![]),
        ]),
        favourite: favourite.clone(),
        backup: Some(backup.clone()),
        wishlist: wishlist.to_vec(),
    }
}

/// An `Owner` with every optional field `None` and every list and map empty.
fn sparse_init(favourite: &item::Id) -> owner::Init {
    owner::Init {
        text: String::new(),
        count: 0,
        ratio: -0.5,
        flag: false,
        blob: Vec::new(),
        at: instant("1970-01-01T00:00:00Z"),
        day: day("1970-01-01"),
        nickname: None,
        maybe_day: None,
        tags: Vec::new(),
        optional_tags: None,
        scores: BTreeMap::new(),
        origin: Point { x: 0.25, y: 0.75 },
        status: Status::Active,
        tree: leaf("alone"),
        grid: Vec::new(),
        shapes: BTreeMap::new(),
        favourite: favourite.clone(),
        backup: None,
        wishlist: Vec::new(),
    }
}

/// An owner whose favourite is still to come, and two items that belong to it; the
/// owner's favourite is then set to the first one.
async fn seed(client: &Client) -> (all_type_forms_client::owner::Handle, Vec<item::Id>) {
    let first = client
        .owners()
        .create(sparse_init(&item::Id::from("not-created-yet")))
        .await
        .expect("an owner is created");
    let mut items = Vec::new();
    for title in ["kettle", "teapot", "mug"] {
        let item = client
            .items()
            .create(item::Init {
                title: title.into(),
                owner: first.id.clone(),
            })
            .await
            .expect("an item is created");
        items.push(item.id);
    }
    first
        .set_favourite(items[0].clone())
        .await
        .expect("the favourite is set");
    (first, items)
}

async fn every_field_round_trips(store: Arc<dyn Store>) {
    let (client, _) = app(store).await;
    let (first, items) = seed(&client).await;

    let init = full_init(&items[0], &items[1], &items[..2]);
    let full = client
        .owners()
        .create(init.clone())
        .await
        .expect("the full owner is created");
    let expected = init.into_state(full.id.clone());
    let loaded = full.load().await.expect("the full owner loads");
    assert_eq!(loaded, expected);
    assert_eq!(loaded.id(), full.id);

    // Each getter reads its own field.
    assert_eq!(full.get_text().await.ok(), Some(expected.text.clone()));
    assert_eq!(full.get_count().await.ok(), Some(-9_007_199_254_740_993));
    assert_eq!(full.get_ratio().await.ok(), Some(0.1));
    assert_eq!(full.get_flag().await.ok(), Some(true));
    assert_eq!(full.get_blob().await.ok(), Some(vec![0, 1, 127, 128, 255]));
    assert_eq!(full.get_at().await.ok(), Some(expected.at));
    assert_eq!(full.get_day().await.ok(), Some(expected.day));
    assert_eq!(full.get_nickname().await.ok(), Some(Some("Nick".into())));
    assert_eq!(
        full.get_maybe_day().await.ok(),
        Some(Some(day("2027-01-31")))
    );
    assert_eq!(full.get_tags().await.ok(), Some(expected.tags.clone()));
    assert_eq!(
        full.get_optional_tags().await.ok(),
        Some(expected.optional_tags.clone())
    );
    assert_eq!(full.get_scores().await.ok(), Some(expected.scores.clone()));
    assert_eq!(full.get_origin().await.ok(), Some(expected.origin.clone()));
    assert_eq!(full.get_status().await.ok(), Some(Status::Closed));
    assert_eq!(full.get_tree().await.ok(), Some(deep_tree()));
    assert_eq!(full.get_grid().await.ok(), Some(expected.grid.clone()));
    assert_eq!(full.get_shapes().await.ok(), Some(expected.shapes.clone()));
    assert_eq!(full.get_favourite().await.ok(), Some(items[0].clone()));
    assert_eq!(full.get_backup().await.ok(), Some(Some(items[1].clone())));
    assert_eq!(full.get_wishlist().await.ok(), Some(items[..2].to_vec()));

    // The sparse owner: `None`s and empty collections come back as they went in.
    let sparse = sparse_init(&items[0]).into_state(first.id.clone());
    assert_eq!(first.load().await.ok(), Some(sparse));
    assert_eq!(first.get_nickname().await.ok(), Some(None));
    assert_eq!(first.get_backup().await.ok(), Some(None));
    assert_eq!(first.get_optional_tags().await.ok(), Some(None));

    // The items, with their references to the owner.
    for (id, title) in items.iter().zip(["kettle", "teapot", "mug"]) {
        let item = client.item(id).load().await.expect("an item loads");
        assert_eq!(
            item,
            Item {
                id: id.0.clone(),
                title: title.into(),
                owner: first.id.clone(),
            }
        );
    }

    // A missing object is `NotFound`, not a default.
    let missing = client.owner("nobody").load().await;
    assert!(
        matches!(&missing, Err(Error::NotFound { type_name, id }) if type_name == "Owner" && id == "nobody"),
        "{missing:?}"
    );
    assert_eq!(client.owner("nobody").exists().await.ok(), Some(false));
    assert_eq!(full.exists().await.ok(), Some(true));
}

async fn stored_fields_use_the_schema_names(store: Arc<dyn Store>) {
    let (client, transport) = app(store).await;
    let (first, items) = seed(&client).await;
    let init = full_init(&items[0], &items[1], &items[..2]);
    let full = client
        .owners()
        .create(init.clone())
        .await
        .expect("the full owner is created");

    let stored = transport
        .runtime()
        .get("Owner", full.id.as_ref())
        .await
        .expect("the stored owner");
    let names: BTreeSet<&str> = stored.keys().map(String::as_str).collect();
    let expected_names = BTreeSet::from([
        "id",
        "text",
        "count",
        "ratio",
        "flag",
        "blob",
        "at",
        "day",
        "nickname",
        "maybeDay",
        "tags",
        "optionalTags",
        "scores",
        "origin",
        "status",
        "tree",
        "grid",
        "shapes",
        "favourite",
        "backup",
        "wishlist",
    ]);
    assert_eq!(names, expected_names, "{stored:?}");
    // The stored form is exactly the wire form of the state, nested names included.
    let expected = serde_json::to_value(init.into_state(full.id.clone())).expect("encodes");
    assert_eq!(Value::Object(stored.clone()), expected);
    assert_eq!(stored["maybeDay"], json!("2027-01-31"));
    assert_eq!(stored["day"], json!("2026-11-28"));
    assert_eq!(stored["at"], json!("2026-11-28T06:28:30Z"));
    assert_eq!(stored["optionalTags"], json!(["x"]));
    assert_eq!(stored["status"], json!("Closed"));
    assert_eq!(stored["favourite"], json!(items[0].0));
    assert_eq!(stored["wishlist"], json!([items[0].0, items[1].0]));
    assert_eq!(stored["count"], json!(-9_007_199_254_740_993_i64));
    assert_eq!(stored["scores"]["max"], json!(i64::MAX));
    assert_eq!(
        stored["tree"]["byName"]["nested"]["byName"]["inner"]["label"],
        json!("inner")
    );
    assert_eq!(
        stored["tree"]["parent"]["parent"]["label"],
        json!("grandparent")
    );
    assert!(
        stored["tree"]["byName"]["first"].get("parent").is_none(),
        "a `None` inside a struct is absent: {}",
        stored["tree"]
    );
    assert!(stored["tree"].get("by_name").is_none());

    // `None` optionals are absent, not null.
    let sparse = transport
        .runtime()
        .get("Owner", first.id.as_ref())
        .await
        .expect("the stored sparse owner");
    for absent in ["nickname", "maybeDay", "optionalTags", "backup"] {
        assert!(
            !sparse.contains_key(absent),
            "`{absent}` is stored: {sparse:?}"
        );
    }
    for empty in ["tags", "scores", "grid", "shapes", "wishlist", "blob"] {
        assert!(
            sparse.contains_key(empty),
            "`{empty}` is missing: {sparse:?}"
        );
    }
    assert_eq!(
        sparse["tree"],
        json!({ "label": "alone", "children": [], "byName": {} })
    );

    // An item stores its owner's id under the schema's name.
    let item = transport
        .runtime()
        .get("Item", items[2].as_ref())
        .await
        .expect("the stored item");
    assert_eq!(
        Value::Object(item),
        json!({ "id": items[2].0, "title": "mug", "owner": first.id.0 })
    );
}

async fn setters_change_and_clear_every_form(store: Arc<dyn Store>) {
    let (client, transport) = app(store).await;
    let (first, items) = seed(&client).await;
    let full = client
        .owners()
        .create(full_init(&items[0], &items[1], &items[..2]))
        .await
        .expect("the full owner is created");
    let mut expected = full.load().await.expect("loads");

    // Optionals can be cleared …
    full.set_nickname(None).await.expect("nickname cleared");
    full.set_maybe_day(None).await.expect("maybeDay cleared");
    full.set_optional_tags(None)
        .await
        .expect("optionalTags cleared");
    full.set_backup(None).await.expect("backup cleared");
    expected.nickname = None;
    expected.maybe_day = None;
    expected.optional_tags = None;
    expected.backup = None;
    assert_eq!(full.load().await.ok(), Some(expected.clone()));
    let stored = transport
        .runtime()
        .get("Owner", full.id.as_ref())
        .await
        .expect("stored");
    for absent in ["nickname", "maybeDay", "optionalTags", "backup"] {
        assert!(
            !stored.contains_key(absent),
            "`{absent}` is stored: {stored:?}"
        );
    }

    // … and set again, and every other form replaced.
    full.set_maybe_day(Some(day("2030-02-28")))
        .await
        .expect("maybeDay set");
    full.set_optional_tags(Some(vec![]))
        .await
        .expect("optionalTags set to an empty list");
    full.set_backup(Some(items[2].clone()))
        .await
        .expect("backup set");
    full.set_blob(vec![255; 3]).await.expect("blob set");
    full.set_status(Status::Active).await.expect("status set");
    full.set_grid(vec![vec![], vec![7]])
        .await
        .expect("grid set");
    full.set_scores(BTreeMap::new()).await.expect("scores set");
    full.set_origin(Point { x: -0.5, y: 0.125 })
        .await
        .expect("origin set");
    let mut tree = deep_tree();
    tree.children.clear();
    tree.parent = None;
    full.set_tree(tree.clone()).await.expect("tree set");
    full.set_count(i64::MIN).await.expect("count set");
    // Numbers keep to DynamoDB's range on both stores: a larger one is refused, before it
    // reaches the store.
    let refused = full.set_ratio(1e300).await;
    assert!(
        matches!(&refused, Err(Error::Validation { message }) if message.contains("out of range")),
        "{refused:?}"
    );
    assert_eq!(full.get_ratio().await.ok(), Some(0.1));
    full.set_ratio(-1.234_567_890_123e-7)
        .await
        .expect("ratio set");
    full.set_text(String::new()).await.expect("text set");
    full.set_favourite(items[1].clone())
        .await
        .expect("favourite set");
    expected.maybe_day = Some(day("2030-02-28"));
    expected.optional_tags = Some(vec![]);
    expected.backup = Some(items[2].clone());
    expected.blob = vec![255; 3];
    expected.status = Status::Active;
    expected.grid = vec![vec![], vec![7]];
    expected.scores = BTreeMap::new();
    expected.origin = Point { x: -0.5, y: 0.125 };
    expected.tree = tree;
    expected.count = i64::MIN;
    expected.ratio = -1.234_567_890_123e-7;
    expected.text = String::new();
    expected.favourite = items[1].clone();
    assert_eq!(full.load().await.ok(), Some(expected));
    let stored = transport
        .runtime()
        .get("Owner", full.id.as_ref())
        .await
        .expect("stored");
    assert_eq!(stored["maybeDay"], json!("2030-02-28"));
    assert_eq!(stored["optionalTags"], json!([]));

    // The untouched owner did not change.
    assert_eq!(first.get_favourite().await.ok(), Some(items[0].clone()));
}

async fn one_to_many_keeps_both_sides(store: Arc<dyn Store>) {
    let (client, _) = app(store).await;
    let (first, items) = seed(&client).await;
    let second = client
        .owners()
        .create(sparse_init(&items[0]))
        .await
        .expect("a second owner is created");

    // Creating an item that points at its owner puts it in the owner's list.
    let ids = |list: Vec<item::Id>| list.into_iter().collect::<BTreeSet<_>>();
    assert_eq!(
        first.items_ids().await.map(ids).ok(),
        Some(items.iter().cloned().collect())
    );
    let mut objects = first.items().await.expect("the items");
    objects.sort_by(|a, b| a.title.cmp(&b.title));
    let titles: Vec<&str> = objects.iter().map(|item| item.title.as_str()).collect();
    assert_eq!(titles, ["kettle", "mug", "teapot"]);
    assert!(objects.iter().all(|item| item.owner == first.id));
    assert_eq!(second.items().await.ok(), Some(vec![]));

    let newcomer = client
        .items()
        .create(item::Init {
            title: "spoon".into(),
            owner: second.id.clone(),
        })
        .await
        .expect("an item of the second owner");
    let expected = Item {
        id: newcomer.id.0.clone(),
        title: "spoon".into(),
        owner: second.id.clone(),
    };
    assert_eq!(second.items().await.ok(), Some(vec![expected]));
    assert_eq!(
        second.items_ids().await.ok(),
        Some(vec![newcomer.id.clone()])
    );

    // Setting the child's reference moves it: both sides change.
    client
        .item(&items[0])
        .set_owner(second.id.clone())
        .await
        .expect("the kettle moves");
    assert_eq!(
        second.items_ids().await.map(ids).ok(),
        Some(BTreeSet::from([items[0].clone(), newcomer.id.clone()]))
    );
    assert_eq!(
        first.items_ids().await.map(ids).ok(),
        Some(BTreeSet::from([items[1].clone(), items[2].clone()]))
    );

    // Adding to the parent's list sets the child's reference.
    first
        .add_to_items(newcomer.id.clone())
        .await
        .expect("the spoon moves back");
    assert_eq!(newcomer.get_owner().await.ok(), Some(first.id.clone()));
    assert_eq!(second.items_ids().await.ok(), Some(vec![items[0].clone()]));

    // The reference back is required: removing a child without a new parent is refused
    // and changes nothing.
    let refused = first.remove_from_items(&[items[1].clone()]).await;
    assert!(
        matches!(refused, Err(Error::Validation { .. })),
        "{refused:?}"
    );
    assert_eq!(
        client.item(&items[1]).get_owner().await.ok(),
        Some(first.id.clone())
    );
    assert!(first.items_ids().await.expect("ids").contains(&items[1]));

    // A child whose parent does not exist is refused.
    let orphan = client
        .items()
        .create(item::Init {
            title: "orphan".into(),
            owner: owner::Id::from("nobody"),
        })
        .await;
    assert!(
        matches!(&orphan, Err(Error::NotFound { type_name, id }) if type_name == "Owner" && id == "nobody"),
        "{:?}",
        orphan.as_ref().map(|item| &item.id)
    );

    // Deleting a child takes it out of its parent's list.
    newcomer.delete().await.expect("the spoon is deleted");
    assert_eq!(newcomer.exists().await.ok(), Some(false));
    assert_eq!(
        first.items_ids().await.map(ids).ok(),
        Some(BTreeSet::from([items[1].clone(), items[2].clone()]))
    );
}

async fn many_to_many_keeps_both_sides(store: Arc<dyn Store>) {
    let (client, _) = app(store).await;
    let (first, items) = seed(&client).await;
    let second = client
        .owners()
        .create(full_init(&items[0], &items[1], &[]))
        .await
        .expect("a second owner");
    let mut groups = Vec::new();
    for title in ["chess", "choir"] {
        let group = client
            .groups()
            .create(group::Init {
                title: title.into(),
            })
            .await
            .expect("a group is created");
        assert_eq!(group.members_ids().await.ok(), Some(vec![]));
        groups.push(group);
    }
    let (chess, choir) = (&groups[0], &groups[1]);
    let group_ids = |list: Vec<group::Id>| list.into_iter().collect::<BTreeSet<_>>();
    let owner_ids = |list: Vec<owner::Id>| list.into_iter().collect::<BTreeSet<_>>();

    // From the group's side …
    chess.add_to_members(first.id.clone()).await.expect("joins");
    chess
        .add_to_members(second.id.clone())
        .await
        .expect("joins");
    // … and from the owner's side.
    first.add_to_groups(choir.id.clone()).await.expect("joins");
    // Adding twice changes nothing.
    first
        .add_to_groups(chess.id.clone())
        .await
        .expect("joins again");

    assert_eq!(
        chess.members_ids().await.map(owner_ids).ok(),
        Some(BTreeSet::from([first.id.clone(), second.id.clone()]))
    );
    assert_eq!(choir.members_ids().await.ok(), Some(vec![first.id.clone()]));
    assert_eq!(
        first.groups_ids().await.map(group_ids).ok(),
        Some(BTreeSet::from([chess.id.clone(), choir.id.clone()]))
    );
    assert_eq!(second.groups_ids().await.ok(), Some(vec![chess.id.clone()]));

    // The collections hold the objects themselves, with every field.
    let mut members = chess.members().await.expect("members");
    members.sort_by(|a, b| a.id.cmp(&b.id));
    let mut expected: Vec<Owner> = vec![
        first.load().await.expect("first"),
        second.load().await.expect("second"),
    ];
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(members, expected);
    let mut joined: Vec<String> = first
        .groups()
        .await
        .expect("groups")
        .into_iter()
        .map(|group| group.title)
        .collect();
    joined.sort();
    assert_eq!(joined, ["chess", "choir"]);

    // Removing from either side removes from both.
    chess
        .remove_from_members(std::slice::from_ref(&first.id))
        .await
        .expect("leaves");
    assert_eq!(first.groups_ids().await.ok(), Some(vec![choir.id.clone()]));
    assert_eq!(
        chess.members_ids().await.ok(),
        Some(vec![second.id.clone()])
    );
    second
        .remove_from_groups(std::slice::from_ref(&chess.id))
        .await
        .expect("leaves");
    assert_eq!(chess.members_ids().await.ok(), Some(vec![]));
    assert_eq!(second.groups_ids().await.ok(), Some(vec![]));

    // Deleting a group removes its edges on the other side too.
    choir.delete().await.expect("the choir is deleted");
    assert_eq!(first.groups_ids().await.ok(), Some(vec![]));
    assert_eq!(first.groups().await.ok(), Some(vec![]));

    // A member that does not exist is refused.
    let refused = chess.add_to_members(owner::Id::from("nobody")).await;
    assert!(
        matches!(&refused, Err(Error::NotFound { type_name, .. }) if type_name == "Owner"),
        "{refused:?}"
    );
    assert_eq!(chess.members_ids().await.ok(), Some(vec![]));
}

async fn reference_lists_add_and_remove_ids(store: Arc<dyn Store>) {
    let (client, _) = app(store).await;
    let (first, items) = seed(&client).await;
    assert_eq!(first.wishlist_ids().await.ok(), Some(vec![]));

    first
        .add_to_wishlist(items[2].clone())
        .await
        .expect("added");
    first
        .add_to_wishlist(items[0].clone())
        .await
        .expect("added");
    first
        .add_to_wishlist(items[1].clone())
        .await
        .expect("added");
    first
        .add_to_wishlist(items[0].clone())
        .await
        .expect("added twice");
    // A reference list keeps the order of insertion, without duplicates.
    let in_order = vec![items[2].clone(), items[0].clone(), items[1].clone()];
    assert_eq!(first.wishlist_ids().await.ok(), Some(in_order.clone()));
    assert_eq!(first.get_wishlist().await.ok(), Some(in_order.clone()));
    let objects = first.wishlist().await.expect("the wished items");
    let titles: Vec<&str> = objects.iter().map(|item| item.title.as_str()).collect();
    assert_eq!(titles, ["mug", "kettle", "teapot"]);

    first
        .remove_from_wishlist(&[items[2].clone(), items[1].clone()])
        .await
        .expect("removed");
    assert_eq!(
        first.wishlist_ids().await.ok(),
        Some(vec![items[0].clone()])
    );
    assert_eq!(
        first.load().await.map(|o| o.wishlist).ok(),
        Some(vec![items[0].clone()])
    );
    // Removing what is not there changes nothing.
    first
        .remove_from_wishlist(&[items[1].clone()])
        .await
        .expect("removed again");
    assert_eq!(
        first.wishlist_ids().await.ok(),
        Some(vec![items[0].clone()])
    );

    // An id that names no item is refused.
    let refused = first.add_to_wishlist(item::Id::from("no-such-item")).await;
    assert!(
        matches!(&refused, Err(Error::NotFound { type_name, .. }) if type_name == "Item"),
        "{refused:?}"
    );
    assert_eq!(
        first.wishlist_ids().await.ok(),
        Some(vec![items[0].clone()])
    );

    // A reference list is not a relationship: the item keeps its owner and the owner's
    // one-to-many list is unaffected.
    assert_eq!(first.items_ids().await.map(|ids| ids.len()).ok(), Some(3));
}

/// `Date` and `Timestamp` values are checked wherever they enter: text that is not a date
/// or an instant in a raw request (a setter, a create) is a validation error that names
/// the field and the text, and changes nothing; a bad value found in the store is an
/// error that names the object, not a panic or a wrong value.
async fn dates_and_instants_are_checked_where_they_enter(store: Arc<dyn Store>) {
    let (client, transport) = app(store).await;
    let (_, items) = seed(&client).await;
    let init = full_init(&items[0], &items[1], &items[..2]);
    let owner = client
        .owners()
        .create(init.clone())
        .await
        .expect("the owner is created");
    let id = owner.id.clone();
    let before = transport
        .runtime()
        .get("Owner", id.as_ref())
        .await
        .expect("the stored owner");

    for (field, bad) in [
        ("day", json!("2026-02-30")),
        ("day", json!("28/11/2026")),
        ("maybeDay", json!("2026-11-28T06:28:30Z")),
        ("at", json!("2026-11-28 06:28")),
        ("at", json!("2026-11-28")),
        ("day", json!(20_261_128)),
    ] {
        let request = Request::new(
            "Owner",
            id.0.clone(),
            Call::Set {
                field: field.into(),
                value: bad.clone(),
            },
        );
        match transport.send(&request).await {
            Err(Error::Validation { message }) => assert!(
                message.contains(&format!("`Owner.{field}`"))
                    && message.contains(&bad.to_string().replace('"', "")),
                "setting {field} to {bad}: the error names neither the field nor the value: {message}"
            ),
            other => panic!("setting {field} to {bad} was not refused: {other:?}"),
        }
    }
    let after = transport.runtime().get("Owner", id.as_ref()).await;
    assert_eq!(
        after.as_ref(),
        Ok(&before),
        "refused setters change nothing"
    );

    let mut state = serde_json::to_value(init.into_state(owner::Id::from("bad-day")))
        .expect("the state encodes");
    state["day"] = json!("2026-13-01");
    let request = Request::new(
        "Owner",
        "bad-day",
        Call::Create {
            fields: state.as_object().cloned().unwrap_or_default(),
        },
    );
    let created = transport.send(&request).await;
    assert!(
        matches!(&created, Err(Error::Validation { message }) if message.contains("2026-13-01")),
        "{created:?}"
    );
    assert!(!client
        .owner("bad-day")
        .exists()
        .await
        .expect("exists answers"));

    // A value that is in the store but is not a date: written there behind the runtime's
    // back, as another program might.
    let table = transport.runtime().schema().table("Owner");
    let key = Key::new(table, id.0.clone(), OBJECT_SK);
    let mut item = before.clone();
    item.insert("day".into(), json!("someday"));
    transport
        .runtime()
        .store()
        .write(vec![WriteOp::Put {
            key,
            item,
            condition: Condition::Always,
        }])
        .await
        .expect("the item is rewritten");
    let loaded = owner.load().await;
    assert!(
        matches!(&loaded, Err(Error::Validation { message }) if message.contains("Owner") && message.contains("someday")),
        "{loaded:?}"
    );
}
