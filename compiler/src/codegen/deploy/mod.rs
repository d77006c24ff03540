//! `deploy/template.yaml`: an AWS SAM template that deploys an application as it runs
//! locally — its tables exactly as `ensure_tables` makes them, its functions, the
//! scheduled delivery of its outbox, log groups with retention, and a role per function
//! that names only the tables and actions that function can use (see [`access`]).

pub mod access;
mod yaml;

use heck::ToUpperCamelCase;

use self::access::{Grants, Outbox};
use self::yaml::{map, Node};
use super::{CodegenError, HEADER};
use crate::ir::{ObjectId, Schema};

/// How the application's requests are spread over Lambda functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Functions {
    /// A function per object type, `<app>-<Type>` (what `LambdaTransport` calls by
    /// default), and `<app>-outbox`, which delivers asynchronous calls on a schedule.
    #[default]
    PerType,
    /// One function, `<app>-all`, for every type and the outbox (the client's
    /// `one_function("<app>-all")`).
    One,
}

/// What the template deploys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployOptions {
    /// How requests are spread over functions.
    pub functions: Functions,
    /// The zip holding the function's `bootstrap` executable, relative to the template.
    pub lambda_zip: String,
}

impl Default for DeployOptions {
    fn default() -> Self {
        DeployOptions {
            functions: Functions::PerType,
            lambda_zip: "bootstrap.zip".into(),
        }
    }
}

/// The attribute that expires result records, tombstones and set-aside calls.
const TTL_ATTRIBUTE: &str = "_ttl";

/// The actions on a table a function writes.
const WRITE_ACTIONS: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
];

/// The actions on a table a function only reads (a condition check changes nothing: a
/// commit checks the versions of objects it read).
const READ_ACTIONS: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:GetItem",
    "dynamodb:Query",
];

/// The actions on the outbox of a function that stores asynchronous calls.
const OUTBOX_SEND_ACTIONS: &[&str] = &["dynamodb:PutItem"];

/// The actions on the outbox of the function that delivers it.
const OUTBOX_DELIVER_ACTIONS: &[&str] =
    &["dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Query"];

/// One Lambda function of the template.
struct Function {
    /// Its logical id (`TypeHotelFunction`, `OutboxFunction`, `AppFunction`).
    logical: String,
    /// Its name after `${AppName}-`.
    suffix: String,
    /// What it serves, for its description.
    description: String,
    grants: Grants,
    /// True for the function EventBridge calls to deliver the outbox.
    delivers: bool,
}

/// The name, after `<app>-`, of the function that delivers the outbox.
const DELIVERY_FUNCTION: &str = "outbox";

/// The template for `schema`, as the file `deploy/template.yaml`.
pub fn template(
    schema: &Schema,
    app: &str,
    options: &DeployOptions,
) -> Result<String, CodegenError> {
    if options.functions == Functions::PerType {
        if let Some(clash) = schema
            .objects
            .iter()
            .find(|object| object.name == DELIVERY_FUNCTION)
        {
            return Err(CodegenError::FunctionNameClash(clash.name.clone()));
        }
    }
    let functions = functions(schema, options.functions);
    let mut resources = Vec::new();
    for object in &schema.objects {
        let name = &object.name;
        resources.push((table_id(name), table(&format!("${{TablePrefix}}{name}"))));
    }
    resources.push((
        "OutboxTable".to_string(),
        table(&format!("${{TablePrefix}}{}", OUTBOX_TABLE_NAME)),
    ));
    for function in &functions {
        resources.extend(function_resources(function));
    }
    let root = map([
        ("AWSTemplateFormatVersion", Node::str("2010-09-09")),
        ("Transform", Node::str("AWS::Serverless-2016-10-31")),
        (
            "Description",
            Node::str(format!(
                "The `{app}` application of nubes: its DynamoDB tables and Lambda functions."
            )),
        ),
        ("Parameters", parameters(app)),
        ("Globals", globals(options)),
        ("Resources", Node::Map(resources)),
        ("Outputs", outputs(schema, &functions)),
    ]);
    Ok(format!("# {HEADER}\n{}", yaml::document(&root)))
}

/// The name of the outbox table after the prefix (the runtime's `OUTBOX_TABLE`).
const OUTBOX_TABLE_NAME: &str = "_outbox";

/// A type's name as part of a logical id: letters and digits only. Distinct for distinct
/// types: the checker refuses type names that become the same after case conversion.
fn logical_name(type_name: &str) -> String {
    type_name
        .to_upper_camel_case()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// The logical id of the table of `type_name`.
fn table_id(type_name: &str) -> String {
    format!("Type{}Table", logical_name(type_name))
}

fn functions(schema: &Schema, mode: Functions) -> Vec<Function> {
    match mode {
        Functions::One => vec![Function {
            logical: "AppFunction".into(),
            suffix: "all".into(),
            description: "every object type, and the delivery of asynchronous calls".into(),
            grants: access::for_everything(schema),
            delivers: true,
        }],
        Functions::PerType => schema
            .objects
            .iter()
            .enumerate()
            .map(|(index, object)| Function {
                logical: format!("Type{}Function", logical_name(&object.name)),
                suffix: object.name.clone(),
                description: format!("the `{}` objects", object.name),
                grants: access::for_type(schema, ObjectId(index as u32)),
                delivers: false,
            })
            .chain(std::iter::once(Function {
                logical: "OutboxFunction".into(),
                suffix: DELIVERY_FUNCTION.into(),
                description: "the delivery of asynchronous calls, on a schedule".into(),
                grants: access::for_everything(schema),
                delivers: true,
            }))
            .collect(),
    }
}

fn parameters(app: &str) -> Node {
    let string = |default: &str, description: &str| {
        vec![
            ("Type".to_string(), Node::str("String")),
            ("Default".to_string(), Node::str(default)),
            ("Description".to_string(), Node::str(description)),
        ]
    };
    let number = |default: u64, min: u64, max: u64, description: &str| {
        map([
            ("Type", Node::str("Number")),
            ("Default", Node::int(default)),
            ("MinValue", Node::int(min)),
            ("MaxValue", Node::int(max)),
            ("Description", Node::str(description)),
        ])
    };
    let choice = |default: &str, allowed: &[&str], description: &str| {
        let mut entries = string(default, description);
        entries.push(("AllowedValues".into(), Node::strs(allowed)));
        Node::Map(entries)
    };
    let mut app_name = string(
        app,
        "The first part of every function's name: `<AppName>-<Type>`, as the generated client calls them.",
    );
    app_name.push(("AllowedPattern".into(), Node::str("[a-zA-Z0-9_-]+")));
    let mut prefix = string(
        &format!("{app}-"),
        "Put before every table's name (NUBES_TABLE_PREFIX of the functions).",
    );
    prefix.push(("AllowedPattern".into(), Node::str("[a-zA-Z0-9_.-]*")));
    map([
        ("AppName", Node::Map(app_name)),
        ("TablePrefix", Node::Map(prefix)),
        (
            "Architecture",
            choice(
                "arm64",
                &["arm64", "x86_64"],
                "The architecture the bootstrap executable was built for.",
            ),
        ),
        (
            "MemorySize",
            number(256, 128, 10240, "Memory of each function, in MB."),
        ),
        (
            "Timeout",
            number(
                30,
                10,
                900,
                "How long one invocation of a function may run, in seconds (the outbox's delivery stops 3 s before).",
            ),
        ),
        (
            "StoreAttemptTimeoutMs",
            number(
                5000,
                100,
                60000,
                "How long one DynamoDB request may take before it is answered as unavailable and retried by the client (NUBES_DYNAMODB_ATTEMPT_TIMEOUT_MS).",
            ),
        ),
        (
            "OutboxSchedule",
            Node::Map(string(
                "rate(1 minute)",
                "How often the outbox of asynchronous calls is delivered (an EventBridge schedule expression).",
            )),
        ),
        (
            "LogRetentionDays",
            map([
                ("Type", Node::str("Number")),
                ("Default", Node::int(30)),
                (
                    "AllowedValues",
                    Node::List(
                        [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]
                            .into_iter()
                            .map(Node::int)
                            .collect(),
                    ),
                ),
                ("Description", Node::str("How many days the functions' logs are kept.")),
            ]),
        ),
        (
            "PointInTimeRecovery",
            choice("true", &["true", "false"], "Continuous backups of every table."),
        ),
        (
            "DeletionProtection",
            choice(
                "true",
                &["true", "false"],
                "Refuse to delete the tables (turn it off before deleting them by hand).",
            ),
        ),
    ])
}

fn globals(options: &DeployOptions) -> Node {
    map([(
        "Function",
        map([
            ("Runtime", Node::str("provided.al2023")),
            ("Handler", Node::str("bootstrap")),
            ("CodeUri", Node::str(options.lambda_zip.as_str())),
            (
                "Architectures",
                Node::List(vec![Node::reference("Architecture")]),
            ),
            ("MemorySize", Node::reference("MemorySize")),
            ("Timeout", Node::reference("Timeout")),
            (
                "Environment",
                map([(
                    "Variables",
                    map([
                        ("NUBES_TABLE_PREFIX", Node::reference("TablePrefix")),
                        (
                            "NUBES_DYNAMODB_ATTEMPT_TIMEOUT_MS",
                            Node::reference("StoreAttemptTimeoutMs"),
                        ),
                    ]),
                )]),
            ),
        ]),
    )])
}

/// A table as `ensure_tables` makes it: `pk` and `sk` strings, on-demand, expiring `_ttl`.
fn table(name: &str) -> Node {
    let attribute = |name: &str| {
        map([
            ("AttributeName", Node::str(name)),
            ("AttributeType", Node::str("S")),
        ])
    };
    let key = |name: &str, kind: &str| {
        map([
            ("AttributeName", Node::str(name)),
            ("KeyType", Node::str(kind)),
        ])
    };
    map([
        ("Type", Node::str("AWS::DynamoDB::Table")),
        ("DeletionPolicy", Node::str("Retain")),
        ("UpdateReplacePolicy", Node::str("Retain")),
        (
            "Properties",
            map([
                ("TableName", Node::sub(name)),
                ("BillingMode", Node::str("PAY_PER_REQUEST")),
                (
                    "AttributeDefinitions",
                    Node::List(vec![attribute("pk"), attribute("sk")]),
                ),
                (
                    "KeySchema",
                    Node::List(vec![key("pk", "HASH"), key("sk", "RANGE")]),
                ),
                (
                    "TimeToLiveSpecification",
                    map([
                        ("AttributeName", Node::str(TTL_ATTRIBUTE)),
                        ("Enabled", Node::Plain("true".into())),
                    ]),
                ),
                (
                    "PointInTimeRecoverySpecification",
                    map([(
                        "PointInTimeRecoveryEnabled",
                        Node::reference("PointInTimeRecovery"),
                    )]),
                ),
                (
                    "DeletionProtectionEnabled",
                    Node::reference("DeletionProtection"),
                ),
            ]),
        ),
    ])
}

/// A function, its log group and its role.
fn function_resources(function: &Function) -> Vec<(String, Node)> {
    let logs = format!("{}Logs", function.logical);
    let role = format!("{}Role", function.logical);
    let name = format!("${{AppName}}-{}", function.suffix);
    let mut properties = vec![
        ("FunctionName".to_string(), Node::sub(name.as_str())),
        (
            "Description".to_string(),
            Node::str(format!("nubes: {}.", function.description)),
        ),
        ("Role".to_string(), Node::get_att(&role, "Arn")),
        (
            "LoggingConfig".to_string(),
            map([("LogGroup", Node::reference(&logs))]),
        ),
    ];
    if function.delivers {
        properties.push((
            "Events".into(),
            map([(
                "DeliverOutbox",
                map([
                    ("Type", Node::str("Schedule")),
                    (
                        "Properties",
                        map([
                            ("Schedule", Node::reference("OutboxSchedule")),
                            (
                                "Description",
                                Node::str("Delivers the asynchronous calls waiting in the outbox."),
                            ),
                        ]),
                    ),
                ]),
            )]),
        ));
    }
    let function_node = map([
        ("Type", Node::str("AWS::Serverless::Function")),
        ("Properties", Node::Map(properties)),
    ]);
    let log_group = map([
        ("Type", Node::str("AWS::Logs::LogGroup")),
        (
            "Properties",
            map([
                ("LogGroupName", Node::sub(format!("/aws/lambda/{name}"))),
                ("RetentionInDays", Node::reference("LogRetentionDays")),
            ]),
        ),
    ]);
    vec![
        (function.logical.clone(), function_node),
        (logs.clone(), log_group),
        (role, role_node(function, &logs)),
    ]
}

/// The function's role: its own log group, and the tables its grants name.
fn role_node(function: &Function, logs: &str) -> Node {
    let table_arn = |type_name: &str| Node::get_att(&table_id(type_name), "Arn");
    let statement = |sid: &str, actions: &[&str], resources: Vec<Node>| {
        map([
            ("Sid", Node::str(sid)),
            ("Effect", Node::str("Allow")),
            ("Action", Node::strs(actions.iter())),
            ("Resource", Node::List(resources)),
        ])
    };
    let mut statements = vec![statement(
        "Logs",
        &["logs:CreateLogStream", "logs:PutLogEvents"],
        vec![Node::get_att(logs, "Arn")],
    )];
    let grants = &function.grants;
    if !grants.write.is_empty() {
        statements.push(statement(
            "WriteTables",
            WRITE_ACTIONS,
            grants.write.iter().map(|name| table_arn(name)).collect(),
        ));
    }
    if !grants.read.is_empty() {
        statements.push(statement(
            "ReadTables",
            READ_ACTIONS,
            grants.read.iter().map(|name| table_arn(name)).collect(),
        ));
    }
    let outbox_actions = match grants.outbox {
        Outbox::Send => OUTBOX_SEND_ACTIONS,
        Outbox::Deliver => OUTBOX_DELIVER_ACTIONS,
    };
    statements.push(statement(
        "Outbox",
        outbox_actions,
        vec![Node::get_att("OutboxTable", "Arn")],
    ));
    map([
        ("Type", Node::str("AWS::IAM::Role")),
        (
            "Properties",
            map([
                (
                    "AssumeRolePolicyDocument",
                    map([
                        ("Version", Node::str("2012-10-17")),
                        (
                            "Statement",
                            Node::List(vec![map([
                                ("Effect", Node::str("Allow")),
                                (
                                    "Principal",
                                    map([("Service", Node::str("lambda.amazonaws.com"))]),
                                ),
                                ("Action", Node::str("sts:AssumeRole")),
                            ])]),
                        ),
                    ]),
                ),
                (
                    "Policies",
                    Node::List(vec![map([
                        ("PolicyName", Node::str("nubes-function")),
                        (
                            "PolicyDocument",
                            map([
                                ("Version", Node::str("2012-10-17")),
                                ("Statement", Node::List(statements)),
                            ]),
                        ),
                    ])]),
                ),
            ]),
        ),
    ])
}

/// The names a client and an operator need: functions and tables.
fn outputs(schema: &Schema, functions: &[Function]) -> Node {
    let mut entries = Vec::new();
    for function in functions {
        entries.push((
            format!("{}Name", function.logical),
            map([
                (
                    "Description",
                    Node::str(format!("The function for {}.", function.description)),
                ),
                ("Value", Node::reference(&function.logical)),
            ]),
        ));
    }
    for object in &schema.objects {
        let table = table_id(&object.name);
        entries.push((
            format!("{table}Name"),
            map([
                (
                    "Description",
                    Node::str(format!("The table of the `{}` objects.", object.name)),
                ),
                ("Value", Node::reference(&table)),
            ]),
        ));
    }
    entries.push((
        "OutboxTableName".into(),
        map([
            (
                "Description",
                Node::str("The table of the outbox of asynchronous calls."),
            ),
            ("Value", Node::reference("OutboxTable")),
        ]),
    ));
    Node::Map(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::codegen::checked_schema as schema;

    #[test]
    fn a_type_named_like_the_delivery_function_is_refused_per_type_only() {
        let schema = schema("object outbox { note: String }");
        let per_type = DeployOptions::default();
        assert_eq!(
            template(&schema, "shop", &per_type),
            Err(CodegenError::FunctionNameClash("outbox".into()))
        );
        let one = DeployOptions {
            functions: Functions::One,
            ..DeployOptions::default()
        };
        assert!(template(&schema, "shop", &one).is_ok());
    }
}
