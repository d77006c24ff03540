//! The hotel's SAM template (`tests/golden/build/hotel/deploy/template.yaml`) grants each
//! function what it needs and nothing more, and declares the tables the runtime makes.
//!
//! - Least privilege, statically: no wildcard action or resource; only the actions the
//!   DynamoDB store sends; each type's function names only tables of types its schema lets
//!   it reach (computed here from the checked schema, independently of the generator).
//! - Nothing missing, by running: every request of the seeding, the nine tasks and the
//!   deletes goes to a runtime whose store refuses whatever the policy of the function that
//!   serves the request's type would refuse, as IAM would on AWS; the outbox is delivered
//!   under the delivery function's policy. A policy with one table taken out must fail.
//! - The tables: the template declares exactly the runtime's tables, and their keys,
//!   billing mode and expiry attribute are what `ensure_tables` makes on moto
//!   (`DescribeTable`, `DescribeTimeToLive`).

#[path = "../../runtime/tests/support/mod.rs"]
#[macro_use]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use nubes_reliability::dataset::{seed, Dataset};
use nubes_reliability::ids::IdSource;
use nubes_reliability::{hotel_runtime, requests};
use nubes_runtime::store::sqlite::SqliteStore;
use nubes_runtime::store::{Condition, Key, Page, Stats, StoreError, TableSpec, Update, WriteOp};
use nubes_runtime::{
    Config, Error, Invocation, InvocationId, Item, Request, Runtime, Store, Transport,
};
use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The hotel's template, parsed (CloudFormation's tags are dropped by the parser:
/// `!GetAtt X.Arn` reads as `X.Arn`, `!Sub "${P}x"` as `${P}x`).
fn template() -> Yaml {
    let path = root().join("tests/golden/build/hotel/deploy/template.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    YamlLoader::load_from_str(&text)
        .expect("the template is YAML")
        .into_iter()
        .next()
        .expect("the template has a document")
}

fn resources(template: &Yaml) -> Vec<(String, &Yaml)> {
    template["Resources"]
        .as_hash()
        .expect("Resources is a mapping")
        .iter()
        .map(|(name, resource)| (name.as_str().unwrap_or_default().to_string(), resource))
        .collect()
}

/// The table name of each table resource, without `${TablePrefix}`, by logical id.
fn tables(template: &Yaml) -> BTreeMap<String, String> {
    resources(template)
        .into_iter()
        .filter(|(_, resource)| resource["Type"].as_str() == Some("AWS::DynamoDB::Table"))
        .map(|(logical, resource)| {
            let name = resource["Properties"]["TableName"]
                .as_str()
                .expect("a table has a TableName");
            let name = name
                .strip_prefix("${TablePrefix}")
                .unwrap_or_else(|| panic!("{logical}: {name} does not start with the prefix"));
            (logical, name.to_string())
        })
        .collect()
}

/// What one function may do: DynamoDB actions by table name.
#[derive(Debug, Clone, Default)]
struct Policy {
    actions: BTreeMap<String, BTreeSet<String>>,
}

impl Policy {
    fn allows(&self, table: &str, action: &str) -> bool {
        self.actions
            .get(table)
            .is_some_and(|actions| actions.contains(action))
    }
}

/// Every function's policy, by the part of its name after `${AppName}-`.
fn policies(template: &Yaml) -> BTreeMap<String, Policy> {
    let tables = tables(template);
    let all = resources(template);
    let resource = |logical: &str| {
        all.iter()
            .find(|(name, _)| name == logical)
            .map(|(_, resource)| *resource)
            .unwrap_or_else(|| panic!("no resource {logical}"))
    };
    let mut found = BTreeMap::new();
    for (logical, function) in &all {
        if function["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let properties = &function["Properties"];
        let name = properties["FunctionName"].as_str().expect("a FunctionName");
        let suffix = name
            .strip_prefix("${AppName}-")
            .unwrap_or_else(|| panic!("{logical}: {name} does not start with the app name"));
        let role = properties["Role"].as_str().expect("a Role");
        let role = role.strip_suffix(".Arn").expect("the role's ARN");
        let mut policy = Policy::default();
        for document in resource(role)["Properties"]["Policies"]
            .as_vec()
            .expect("the role's policies")
        {
            for statement in document["PolicyDocument"]["Statement"]
                .as_vec()
                .expect("statements")
            {
                assert_eq!(statement["Effect"].as_str(), Some("Allow"), "{logical}");
                let actions = strings(&statement["Action"]);
                for target in strings(&statement["Resource"]) {
                    let target = target.strip_suffix(".Arn").unwrap_or(&target);
                    if let Some(table) = tables.get(target) {
                        policy
                            .actions
                            .entry(table.clone())
                            .or_default()
                            .extend(actions.iter().cloned());
                    }
                }
            }
        }
        found.insert(suffix.to_string(), policy);
    }
    found
}

/// Fields `first` and `second` of each mapping in the list `node`, as strings.
fn pairs(node: &Yaml, first: &str, second: &str) -> Vec<(String, String)> {
    node.as_vec()
        .unwrap_or_else(|| panic!("expected a list, found {node:?}"))
        .iter()
        .map(|entry| {
            let field = |name: &str| entry[name].as_str().unwrap_or_default().to_string();
            (field(first), field(second))
        })
        .collect()
}

/// A string or a list of strings.
fn strings(node: &Yaml) -> Vec<String> {
    match node {
        Yaml::String(text) => vec![text.clone()],
        Yaml::Array(items) => items
            .iter()
            .map(|item| item.as_str().expect("a string").to_string())
            .collect(),
        other => panic!("expected strings, found {other:?}"),
    }
}

/// Every action the DynamoDB store sends, by the IAM action that authorizes it, and the
/// log actions of a function.
const KNOWN_ACTIONS: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
];

#[test]
fn no_function_has_a_wildcard_or_an_action_the_store_does_not_send() {
    let template = template();
    let mut roles = 0;
    for (logical, resource) in resources(&template) {
        if resource["Type"].as_str() != Some("AWS::IAM::Role") {
            continue;
        }
        roles += 1;
        for document in resource["Properties"]["Policies"]
            .as_vec()
            .expect("policies")
        {
            for statement in document["PolicyDocument"]["Statement"]
                .as_vec()
                .expect("statements")
            {
                for action in strings(&statement["Action"]) {
                    assert!(!action.contains('*'), "{logical}: wildcard action {action}");
                    assert!(
                        KNOWN_ACTIONS.contains(&action.as_str()),
                        "{logical}: {action} is not an action a function needs"
                    );
                }
                for target in strings(&statement["Resource"]) {
                    assert!(
                        !target.contains('*'),
                        "{logical}: wildcard resource {target}"
                    );
                    assert!(
                        target.ends_with(".Arn"),
                        "{logical}: {target} is not one of the template's own resources"
                    );
                }
            }
        }
    }
    // Five types and the outbox's delivery.
    assert_eq!(roles, 6, "a role per function");
}

/// The hotel's checked schema.
fn schema() -> nubesc::ir::Schema {
    let compilation =
        nubesc::check_path(&root().join("examples/hotel.nubes")).expect("the hotel schema loads");
    compilation.schema.expect("the hotel schema checks")
}

/// The types each type reaches through the types its fields, method parameters and
/// results name (looking into options, lists, maps and structs), itself included.
fn reach(schema: &nubesc::ir::Schema) -> BTreeMap<String, BTreeSet<String>> {
    use nubesc::ir::Type;
    fn named(schema: &nubesc::ir::Schema, ty: &Type, out: &mut BTreeSet<String>, depth: u32) {
        match ty {
            Type::Object(id) => {
                out.insert(schema[*id].name.clone());
            }
            Type::Optional(inner) | Type::List(inner) | Type::Map(inner) => {
                named(schema, inner, out, depth)
            }
            Type::Struct(id) if depth < 8 => {
                for field in &schema[*id].fields {
                    named(schema, &field.ty, out, depth + 1);
                }
            }
            _ => {}
        }
    }
    let direct: BTreeMap<String, BTreeSet<String>> = schema
        .objects
        .iter()
        .map(|object| {
            let mut out = BTreeSet::new();
            for field in &object.fields {
                named(schema, &field.ty, &mut out, 0);
            }
            for method in &object.methods {
                for param in &method.params {
                    named(schema, &param.ty, &mut out, 0);
                }
                if let Some(returns) = &method.returns {
                    named(schema, returns, &mut out, 0);
                }
            }
            (object.name.clone(), out)
        })
        .collect();
    direct
        .keys()
        .map(|start| {
            let mut seen = BTreeSet::from([start.clone()]);
            let mut queue = vec![start.clone()];
            while let Some(next) = queue.pop() {
                for other in &direct[&next] {
                    if seen.insert(other.clone()) {
                        queue.push(other.clone());
                    }
                }
            }
            (start.clone(), seen)
        })
        .collect()
}

#[test]
fn each_function_names_only_tables_its_type_can_reach() {
    let template = template();
    let policies = policies(&template);
    let schema = schema();
    let reach = reach(&schema);
    for (type_name, reachable) in &reach {
        let policy = policies
            .get(type_name)
            .unwrap_or_else(|| panic!("no function for {type_name}"));
        for (table, actions) in &policy.actions {
            if table == "_outbox" {
                assert_eq!(
                    actions,
                    &BTreeSet::from(["dynamodb:PutItem".to_string()]),
                    "{type_name}: a type's function only stores calls in the outbox"
                );
                continue;
            }
            assert!(
                reachable.contains(table),
                "{type_name}'s function may use {table}, which {type_name} cannot reach ({reachable:?})"
            );
        }
    }
    let delivery = policies.get("outbox").expect("the outbox's function");
    assert!(delivery.allows("_outbox", "dynamodb:Query"));
    assert!(delivery.allows("_outbox", "dynamodb:DeleteItem"));
}

/// The IAM action that authorizes each operation of a write.
fn write_action(op: &WriteOp) -> (&Key, &'static str) {
    match op {
        WriteOp::Put { key, .. } => (key, "dynamodb:PutItem"),
        WriteOp::Delete { key, .. } => (key, "dynamodb:DeleteItem"),
        WriteOp::Check { key, .. } => (key, "dynamodb:ConditionCheckItem"),
        WriteOp::Update { key, .. } => (key, "dynamodb:UpdateItem"),
    }
}

/// A store that refuses, as IAM would, whatever `policy` does not allow, and remembers it.
struct Guarded {
    inner: Arc<dyn Store>,
    function: String,
    policy: Policy,
    refused: Arc<Mutex<Vec<String>>>,
}

impl Guarded {
    fn check(&self, table: &str, action: &str) -> Result<(), StoreError> {
        if self.policy.allows(table, action) {
            return Ok(());
        }
        let refusal = format!("{}: {action} on {table}", self.function);
        self.refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(refusal.clone());
        Err(StoreError::Invalid(format!(
            "AccessDeniedException: {refusal}"
        )))
    }
}

#[async_trait]
impl Store for Guarded {
    async fn ensure_tables(&self, tables: &[TableSpec]) -> Result<(), StoreError> {
        self.inner.ensure_tables(tables).await
    }

    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.check(&key.table, "dynamodb:GetItem")?;
        self.inner.get(key).await
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        for key in keys {
            self.check(&key.table, "dynamodb:BatchGetItem")?;
        }
        self.inner.batch_get(keys).await
    }

    async fn query(
        &self,
        table: &str,
        pk: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Page, StoreError> {
        self.check(table, "dynamodb:Query")?;
        self.inner
            .query(table, pk, prefix, start_after, limit)
            .await
    }

    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        for op in &ops {
            let (key, action) = write_action(op);
            self.check(&key.table, action)?;
        }
        self.inner.write(ops).await
    }

    async fn update_returning(
        &self,
        key: &Key,
        update: &Update,
        condition: &Condition,
    ) -> Result<Item, StoreError> {
        self.check(&key.table, "dynamodb:UpdateItem")?;
        self.inner.update_returning(key, update, condition).await
    }

    fn stats(&self) -> &Stats {
        self.inner.stats()
    }
}

/// The deployed application in one process: a runtime per function, each over the shared
/// store through its function's policy; requests go to the function of their type.
struct Deployed {
    functions: BTreeMap<String, Runtime>,
    /// The store itself, for what an operator does outside any function.
    store: Arc<dyn Store>,
    refused: Arc<Mutex<Vec<String>>>,
}

impl Deployed {
    fn new(store: Arc<dyn Store>, policies: &BTreeMap<String, Policy>) -> Self {
        let refused = Arc::new(Mutex::new(Vec::new()));
        let functions = policies
            .iter()
            .map(|(function, policy)| {
                let guarded = Guarded {
                    inner: store.clone(),
                    function: function.clone(),
                    policy: policy.clone(),
                    refused: refused.clone(),
                };
                (
                    function.clone(),
                    hotel_runtime(Arc::new(guarded), Config::default()),
                )
            })
            .collect();
        Deployed {
            functions,
            store,
            refused,
        }
    }

    fn refused(&self) -> Vec<String> {
        self.refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

#[async_trait]
impl Transport for Deployed {
    async fn send(&self, request: &Request) -> Result<Value, Error> {
        let runtime = self.functions.get(&request.type_name).ok_or_else(|| {
            Error::validation(format!("no function serves {}", request.type_name))
        })?;
        runtime.handle(request).await
    }
}

/// Seeds the hotel, runs the nine tasks and deletes through `deployed`, then delivers the
/// outbox under the delivery function's policy; the first failure, with what was refused.
async fn run_everything(deployed: &Deployed) -> Result<(), String> {
    let fail =
        |what: &str, error: Error| format!("{what}: {error}; refused: {:?}", deployed.refused());
    let mut ids = IdSource::new(nubes_runtime::Clock::now_ms(&nubes_runtime::SystemClock));
    let data: Dataset = seed(deployed, &mut ids)
        .await
        .map_err(|error| fail("seeding", error))?;
    let id = InvocationId::new;
    let mut tasks = vec![
        (
            "register",
            requests::register(&id(), "zoe@example.com", ("Zoe", "Lima"), "pw"),
        ),
        (
            "set rate",
            requests::set_rate(&id(), &data.hotels[0][0], 4.75),
        ),
        (
            "reserve",
            requests::reserve(
                &id(),
                &data.rooms[0][0],
                &data.users[0],
                "2027-03-04",
                "2027-03-06",
            ),
        ),
        (
            "recommend by location",
            requests::recommend_by_location(&id(), &data.cities[0], (38.73, -9.15), 2),
        ),
        (
            "recommend by rate",
            requests::recommend_by_rate(&id(), &data.cities[1], 1),
        ),
        (
            "login",
            requests::login(&id(), &data.users[2], &data.passwords[2]),
        ),
        ("get hotels", requests::get_hotels(&id(), &data.cities[0])),
        (
            "get user reservations",
            requests::get_user_reservations(&id(), &data.users[1]),
        ),
        ("delete user", requests::delete_user(&id(), &data.users[1])),
    ];
    // The second city, its hotels and their rooms, children first.
    for room in data.rooms[2].iter().chain(&data.rooms[3]) {
        tasks.push(("delete room", requests::delete(&id(), "Room", room)));
    }
    for hotel in &data.hotels[1] {
        tasks.push(("delete hotel", requests::delete(&id(), "Hotel", hotel)));
    }
    tasks.push((
        "delete city",
        requests::delete(&id(), "City", &data.cities[1]),
    ));
    for (task, request) in tasks {
        deployed
            .send(&request)
            .await
            .map_err(|error| fail(task, error))?;
    }
    // Asynchronous calls waiting in the outbox, as a method's `ctx.send` stores them: a
    // reservation to make, and one too old to run safely, which is set aside.
    let now_ms = nubes_runtime::Clock::now_ms(&nubes_runtime::SystemClock);
    let pending = [
        (IdSource::new(now_ms).next_id(), "2027-09-01"),
        (
            IdSource::new(now_ms - 24 * 60 * 60 * 1000).next_id(),
            "2027-10-01",
        ),
    ];
    for (call_id, check_in) in pending {
        let call = Invocation {
            id: call_id.clone(),
            type_name: "Room".into(),
            object: data.rooms[1][0].clone(),
            method: "reserve".into(),
            args: serde_json::json!({ "guest": data.users[0], "checkIn": check_in, "checkOut": "2027-12-31" }),
        };
        let mut item = Item::new();
        item.insert(
            "invocation".into(),
            serde_json::to_value(&call).expect("JSON"),
        );
        deployed
            .store
            .write(vec![WriteOp::Put {
                key: Key::new("_outbox", "outbox#05", format!("msg#{}", call_id.as_str())),
                item,
                condition: Condition::Absent,
            }])
            .await
            .map_err(|error| format!("storing a pending call: {error}"))?;
    }
    let delivery = &deployed.functions["outbox"];
    let mut delivered = 0;
    loop {
        let count = delivery
            .deliver_outbox(100)
            .await
            .map_err(|error| fail("delivering the outbox", error))?;
        if count == 0 {
            break;
        }
        delivered += count;
    }
    if delivered != 1 {
        return Err(format!(
            "delivered {delivered} calls, not 1; refused: {:?}",
            deployed.refused()
        ));
    }
    let set_aside = deployed
        .store
        .query("_outbox", "outbox#05", "aside#", None, 10)
        .await
        .map_err(|error| format!("reading the outbox: {error}"))?;
    if set_aside.items.len() != 1 {
        return Err(format!("{} calls set aside, not 1", set_aside.items.len()));
    }
    let refused = deployed.refused();
    if refused.is_empty() {
        Ok(())
    } else {
        Err(format!("refused: {refused:?}"))
    }
}

async fn hotel_store() -> Arc<dyn Store> {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().expect("a SQLite store"));
    hotel_runtime(store.clone(), Config::default())
        .ensure_tables()
        .await
        .expect("the tables");
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_of_the_hotel_stays_within_its_functions_policy() {
    let policies = policies(&template());
    let deployed = Deployed::new(hotel_store().await, &policies);
    if let Err(failure) = run_everything(&deployed).await {
        panic!("a request needed more than its function's policy grants: {failure}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_missing_a_table_fails_the_run() {
    let mut policies = policies(&template());
    let room = policies.get_mut("Room").expect("the Room function");
    assert!(
        room.actions.remove("User").is_some(),
        "Room's function may not use User"
    );
    let deployed = Deployed::new(hotel_store().await, &policies);
    let failure = run_everything(&deployed)
        .await
        .expect_err("reserving writes the guest's side: Room's function needs User");
    assert!(
        failure.contains("Room: dynamodb:") && failure.contains(" on User"),
        "{failure}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_policy_that_cannot_remove_delivered_calls_fails_the_run() {
    let mut policies = policies(&template());
    let delivery = policies.get_mut("outbox").expect("the delivery function");
    let outbox = delivery
        .actions
        .get_mut("_outbox")
        .expect("the outbox's actions");
    assert!(
        outbox.remove("dynamodb:DeleteItem"),
        "the delivery function may not remove calls"
    );
    let deployed = Deployed::new(hotel_store().await, &policies);
    let failure = run_everything(&deployed)
        .await
        .expect_err("delivering removes each call: the delivery function needs DeleteItem");
    assert!(
        failure.contains("outbox: dynamodb:DeleteItem on _outbox"),
        "{failure}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_templates_tables_are_those_ensure_tables_makes() {
    let template = template();
    let declared: BTreeMap<String, &Yaml> = resources(&template)
        .into_iter()
        .filter(|(_, resource)| resource["Type"].as_str() == Some("AWS::DynamoDB::Table"))
        .map(|(_, resource)| {
            let name = resource["Properties"]["TableName"]
                .as_str()
                .unwrap_or_default();
            let name = name.trim_start_matches("${TablePrefix}").to_string();
            (name, &resource["Properties"])
        })
        .collect();
    let expected: BTreeSet<String> = hotel_handlers::schema()
        .tables()
        .into_iter()
        .map(|spec| spec.name)
        .collect();
    assert_eq!(declared.keys().cloned().collect::<BTreeSet<_>>(), expected);

    let store = support::dynamo_store("deploy-tables").await;
    let prefix = store.table_name("");
    let client = store.client().clone();
    let runtime = hotel_runtime(Arc::new(store), Config::default());
    runtime
        .ensure_tables()
        .await
        .expect("ensure_tables on moto");
    for (name, properties) in declared {
        let table = format!("{prefix}{name}");
        let described = client
            .describe_table()
            .table_name(&table)
            .send()
            .await
            .unwrap_or_else(|error| panic!("DescribeTable {table}: {error:?}"))
            .table
            .expect("a description");
        let keys: Vec<(String, String)> = described
            .key_schema()
            .iter()
            .map(|key| {
                (
                    key.attribute_name().to_string(),
                    key.key_type().as_str().to_string(),
                )
            })
            .collect();
        let declared_keys = pairs(&properties["KeySchema"], "AttributeName", "KeyType");
        assert_eq!(keys, declared_keys, "{name}: key schema");
        let mut attributes: Vec<(String, String)> = described
            .attribute_definitions()
            .iter()
            .map(|a| {
                (
                    a.attribute_name().to_string(),
                    a.attribute_type().as_str().to_string(),
                )
            })
            .collect();
        attributes.sort();
        let mut declared_attributes = pairs(
            &properties["AttributeDefinitions"],
            "AttributeName",
            "AttributeType",
        );
        declared_attributes.sort();
        assert_eq!(attributes, declared_attributes, "{name}: attributes");
        let billing = described
            .billing_mode_summary()
            .and_then(|summary| summary.billing_mode())
            .map(|mode| mode.as_str().to_string());
        assert_eq!(
            billing.as_deref(),
            properties["BillingMode"].as_str(),
            "{name}: billing mode"
        );
        let ttl = client
            .describe_time_to_live()
            .table_name(&table)
            .send()
            .await
            .unwrap_or_else(|error| panic!("DescribeTimeToLive {table}: {error:?}"))
            .time_to_live_description
            .expect("a TTL description");
        assert_eq!(
            ttl.attribute_name(),
            properties["TimeToLiveSpecification"]["AttributeName"].as_str(),
            "{name}: expiry attribute"
        );
        assert_eq!(
            ttl.time_to_live_status().map(|status| status.as_str()),
            Some("ENABLED"),
            "{name}: expiry"
        );
        assert_eq!(
            properties["TimeToLiveSpecification"]["Enabled"].as_bool(),
            Some(true),
            "{name}: the template enables expiry"
        );
    }
}
