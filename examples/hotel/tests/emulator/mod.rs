//! The local Lambda emulator (`cargo lambda watch`, installed and started by
//! `scripts/lambda`) and the `hotel-lambda` function process pointed at it, for the tests
//! that run the hotel over Lambda.

// Each test binary that includes this module uses part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use nubes_runtime::aws_sdk_lambda;

/// The function's name: the binary's, as the emulator knows it.
pub const FUNCTION: &str = "hotel-lambda";

/// The function process; stopped when dropped, also when a test fails.
pub struct Function(Child);

impl Function {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.0.id()
    }

    /// True when the process has ended.
    pub fn ended(&mut self) -> bool {
        !matches!(self.0.try_wait(), Ok(None))
    }

    /// Kills the process at once (SIGKILL), mid-invocation if it is in one.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `scripts/<name>` of the repository.
pub fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts")
        .join(name)
}

/// The repository's `.tools/`, where the scripts keep what they install and start.
pub fn tools() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools")
}

/// Runs `scripts/<name> <command>` with `env`, and returns what it printed.
pub fn run_script(name: &str, command: &str, env: &[(&str, &str)]) -> String {
    let output = Command::new(script(name))
        .arg(command)
        .envs(env.iter().copied())
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|error| panic!("could not run scripts/{name} {command}: {error}"));
    assert!(
        output.status.success(),
        "scripts/{name} {command} failed ({}): see its log in .tools/",
        output.status
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Starts the emulator (once per machine) and returns its URL.
pub fn emulator() -> String {
    run_script("lambda", "start", &[]);
    run_script("lambda", "url", &[])
}

/// Starts the function against the emulator, on tables named `<prefix><Type>` of the
/// DynamoDB-API server at `dynamo`, with `env` added to its environment.
pub fn start_function(
    emulator: &str,
    dynamo: &str,
    prefix: &str,
    env: &[(&str, &str)],
) -> Function {
    let child = Command::new(env!("CARGO_BIN_EXE_hotel-lambda"))
        .env(
            "AWS_LAMBDA_RUNTIME_API",
            format!("{emulator}/.rt/{FUNCTION}"),
        )
        .env("AWS_LAMBDA_FUNCTION_NAME", FUNCTION)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
        .env("NUBES_DYNAMODB_ENDPOINT", dynamo)
        .env("NUBES_TABLE_PREFIX", prefix)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| panic!("could not start {FUNCTION}: {error}"));
    Function(child)
}

/// An SDK client for the emulator; `timeout` bounds each `Invoke` when given.
pub fn lambda_client(emulator: &str, timeout: Option<Duration>) -> aws_sdk_lambda::Client {
    let mut config = aws_sdk_lambda::Config::builder()
        .behavior_version(aws_sdk_lambda::config::BehaviorVersion::latest())
        .region(aws_sdk_lambda::config::Region::new("us-east-1"))
        .endpoint_url(emulator)
        .credentials_provider(aws_sdk_lambda::config::Credentials::new(
            "test", "test", None, None, "tests",
        ));
    if let Some(timeout) = timeout {
        config = config.timeout_config(
            aws_sdk_lambda::config::timeout::TimeoutConfig::builder()
                .operation_timeout(timeout)
                .build(),
        );
    }
    aws_sdk_lambda::Client::from_conf(config.build())
}
