//! `nubesc new NAME`: a new workspace with a small schema, its generated crates, an app
//! crate implementing the methods and a test that runs it in process — one that passes
//! `cargo test` as it is.

use std::path::{Path, PathBuf};

use super::{write_or_fail, Io, EXIT_DIAGNOSTICS, EXIT_OK, EXIT_USAGE};
use crate::codegen::{self, naming, DeployOptions, Options, RuntimeDependency, Tree};
use crate::output;

mod templates;

/// Arguments of `nubesc new`.
#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The application's name (lowercase letters, digits and `-`, starting with a
    /// letter): the directory, the schema `NAME.nubes` and the crates `NAME-model`,
    /// `NAME-handlers`, `NAME-client` and `NAME-app` are named after it.
    #[arg(value_name = "NAME")]
    name: String,

    /// Where to create the workspace. Default: `./NAME`. It must not exist, or be empty.
    #[arg(long, value_name = "DIR")]
    path: Option<PathBuf>,

    /// Depend on the `nubes-runtime` crate at this path instead of the registry version
    /// that matches this compiler.
    #[arg(long, value_name = "PATH")]
    runtime_path: Option<PathBuf>,
}

/// Runs `nubesc new`; returns the exit code.
pub(super) fn run(args: &NewArgs, io: &mut Io<'_>) -> i32 {
    let app = &args.name;
    if !naming::is_valid_app_name(app) {
        let text = format!(
            "error: {}\n",
            codegen::CodegenError::BadAppName(app.clone())
        );
        return write_or_fail(io.stderr, &text, EXIT_USAGE);
    }
    let shown = args.path.clone().unwrap_or_else(|| PathBuf::from(app));
    let root = io.base.join(&shown);
    if root.exists() && !is_empty_dir(&root) {
        let text = format!(
            "error: `{}` already exists and is not empty\nhelp: choose another NAME, or a new directory with `--path`\n",
            shown.display()
        );
        return write_or_fail(io.stderr, &text, EXIT_USAGE);
    }
    let runtime_path = args.runtime_path.as_ref().map(|path| io.base.join(path));
    if let Some(Err(message)) = runtime_path
        .as_deref()
        .map(super::build::check_runtime_crate)
    {
        return write_or_fail(io.stderr, &format!("error: {message}\n"), EXIT_USAGE);
    }
    if let Err(error) = std::fs::create_dir_all(&root) {
        let text = format!("error: cannot create `{}`: {error}\n", shown.display());
        return write_or_fail(io.stderr, &text, EXIT_USAGE);
    }
    let runtime = match &runtime_path {
        None => RuntimeDependency::this_version(),
        Some(path) => match output::runtime_path_from(&root, path) {
            Ok(relative) => RuntimeDependency::Path(relative),
            Err(error) => {
                let text = format!("error: cannot resolve `{}`: {error}\n", path.display());
                return write_or_fail(io.stderr, &text, EXIT_USAGE);
            }
        },
    };
    let tree = match workspace(app, &runtime) {
        Ok(tree) => tree,
        Err(message) => {
            return write_or_fail(io.stderr, &format!("error: {message}\n"), EXIT_DIAGNOSTICS)
        }
    };
    if let Err(error) = output::write(&tree, &root) {
        let text = format!("error: cannot write into `{}`: {error}\n", shown.display());
        return write_or_fail(io.stderr, &text, EXIT_USAGE);
    }
    let text = format!(
        "created the `{app}` workspace in `{dir}`: {app}.nubes, its generated crates and {app}-app\nnext: cd {dir} && cargo test\n",
        dir = shown.display()
    );
    write_or_fail(io.stderr, &text, EXIT_OK)
}

/// Every file of the new workspace: the hand-written ones and what `nubesc build`
/// generates from the schema.
fn workspace(app: &str, runtime: &RuntimeDependency) -> Result<Tree, String> {
    let schema_text = templates::schema(app);
    let file = format!("{app}.nubes");
    let compilation = crate::check_text(&file, &schema_text);
    let schema = compilation
        .schema
        .ok_or_else(|| format!("the starter schema of `{app}` does not check: a bug in nubesc"))?;
    let options = Options {
        app: app.to_string(),
        runtime: runtime.clone(),
        deploy: DeployOptions::default(),
    };
    let mut tree = codegen::generate(&schema, &options).map_err(|error| error.to_string())?;
    tree.insert(PathBuf::from(&file), schema_text);
    for (path, text) in templates::files(app, runtime) {
        tree.insert(path, text);
    }
    Ok(tree)
}

fn is_empty_dir(path: &Path) -> bool {
    std::fs::read_dir(path).is_ok_and(|mut entries| entries.next().is_none())
}
