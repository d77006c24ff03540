//! The benchmark over the Lambda transport, locally: a Lambda emulator (`cargo lambda
//! watch`, installed and started by `scripts/lambda`) hands each call to a function
//! process on moto's tables — `hotel-lambda`, the generated handlers with the
//! application's methods, for `exactly-once`, and `hotel-ssf-lambda`, the hand-written
//! tasks, for `ssf` — so both pay the same transport.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use async_trait::async_trait;
use hotel_client::Client;
use nubes_runtime::aws_sdk_lambda::{self, primitives::Blob};
use nubes_runtime::lambda::LambdaTransport;

use super::tasks::{Answer, Call, Tasks};
use super::ExactlyOnce;
use crate::common::{repository, run_script};
use crate::BoxError;

/// The function serving the generated handlers (a binary of `examples/hotel`).
pub const EXACTLY_ONCE_FUNCTION: &str = "hotel-lambda";
/// The function serving the hand-written tasks (a binary of this package).
pub const SSF_FUNCTION: &str = "hotel-ssf-lambda";

/// A running function process; stopped when dropped.
pub struct Function(Child);

impl Drop for Function {
    fn drop(&mut self) {
        // Already gone is fine: there is nothing left to stop.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The emulator's URL, started (and installed) by `scripts/lambda` unless it runs.
pub fn emulator() -> Result<String, BoxError> {
    run_script("lambda", "start")?;
    run_script("lambda", "url")
}

/// When `path` was last modified (the epoch when that cannot be read).
fn modified(path: &std::path::Path) -> std::time::SystemTime {
    std::fs::metadata(path)
        .and_then(|metadata| metadata.modified())
        .unwrap_or(std::time::UNIX_EPOCH)
}

/// The function binary `name` of `package`, beside this benchmark's own executable (built
/// with the same profile); built with cargo first when it is not there, and a warning
/// when it is older than the benchmark (it may hold an older runtime).
pub fn binary(package: &str, name: &str) -> Result<PathBuf, BoxError> {
    let here = std::env::current_exe()?;
    let dir = here
        .parent()
        .ok_or("the benchmark's executable has no directory")?;
    let path = dir.join(name);
    let profile = dir
        .file_name()
        .and_then(|profile| profile.to_str())
        .unwrap_or("debug");
    let profile = if profile == "debug" { "dev" } else { profile };
    if path.exists() {
        if modified(&path) < modified(&here) {
            eprintln!(
                "warning: {name} is older than this benchmark; if the runtime or the hotel \
                 code changed since it was built, rebuild it: `cargo build --profile \
                 {profile} -p {package} --bin {name}`"
            );
        }
        return Ok(path);
    }
    eprintln!("building {name} ({profile} profile)");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(repository())
        .args(["build", "--profile", profile, "-p", package, "--bin", name])
        .status()?;
    if !status.success() || !path.exists() {
        return Err(format!(
            "could not build {name}: run `cargo build --profile {profile} -p {package} --bin {name}`"
        )
        .into());
    }
    Ok(path)
}

/// Starts `count` processes of the function binary at `binary` against the emulator at
/// `emulator`, on the tables named `<prefix><Type>` on the DynamoDB-API server `dynamo`.
pub fn start(
    binary: &Path,
    emulator: &str,
    dynamo: &str,
    prefix: &str,
    count: usize,
) -> Result<Vec<Function>, BoxError> {
    let name = binary
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or("a function binary without a name")?;
    (0..count)
        .map(|_| {
            let child = Command::new(binary)
                .env("AWS_LAMBDA_RUNTIME_API", format!("{emulator}/.rt/{name}"))
                .env("AWS_LAMBDA_FUNCTION_NAME", name)
                .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
                .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
                .env("NUBES_DYNAMODB_ENDPOINT", dynamo)
                .env("NUBES_TABLE_PREFIX", prefix)
                .env("AWS_ACCESS_KEY_ID", "test")
                .env("AWS_SECRET_ACCESS_KEY", "test")
                .env("AWS_REGION", "us-east-1")
                .stdout(Stdio::null())
                .spawn()
                .map_err(|error| format!("could not start {}: {error}", binary.display()))?;
            Ok(Function(child))
        })
        .collect()
}

/// An SDK client for the emulator at `emulator`.
pub fn client(emulator: &str) -> aws_sdk_lambda::Client {
    let config = aws_sdk_lambda::Config::builder()
        .behavior_version(aws_sdk_lambda::config::BehaviorVersion::latest())
        .region(aws_sdk_lambda::config::Region::new("us-east-1"))
        .endpoint_url(emulator)
        .credentials_provider(aws_sdk_lambda::config::Credentials::new(
            "test",
            "test",
            None,
            None,
            "hotel-bench",
        ))
        .build();
    aws_sdk_lambda::Client::from_conf(config)
}

/// The exactly-once tasks through the generated client over the Lambda transport.
pub fn exactly_once(lambda: aws_sdk_lambda::Client) -> ExactlyOnce {
    let transport = LambdaTransport::new(lambda, "hotel").one_function(EXACTLY_ONCE_FUNCTION);
    ExactlyOnce::new(Client::new(transport))
}

/// The hand-written tasks, each call one `Invoke` of [`SSF_FUNCTION`] with the call as
/// its JSON payload and the answer as its result.
pub struct SsfOverLambda {
    lambda: aws_sdk_lambda::Client,
}

impl SsfOverLambda {
    /// The tasks through `lambda`.
    pub fn new(lambda: aws_sdk_lambda::Client) -> Self {
        SsfOverLambda { lambda }
    }
}

#[async_trait]
impl Tasks for SsfOverLambda {
    fn name(&self) -> &'static str {
        "ssf"
    }

    async fn run(&self, call: &Call) -> Result<Answer, BoxError> {
        let output = self
            .lambda
            .invoke()
            .function_name(SSF_FUNCTION)
            .payload(Blob::new(serde_json::to_vec(call)?))
            .send()
            .await?;
        let body = output.payload.map(Blob::into_inner).unwrap_or_default();
        if let Some(kind) = output.function_error {
            return Err(format!(
                "{SSF_FUNCTION} failed ({kind}): {}",
                String::from_utf8_lossy(&body)
            )
            .into());
        }
        Ok(serde_json::from_slice(&body)?)
    }
}
