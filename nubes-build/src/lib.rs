//! Generate the code of a `.nubes` schema from a build script, the way `tonic-build`
//! does for protobuf: no generated files to check in, and the code follows the schema on
//! every build.
//!
//! An application's code lives in three crates, named after the application: the model
//! (`<app>-model`), the handlers (`<app>-handlers`) and the client (`<app>-client`); the
//! handlers and the client use the model by its crate name. Each crate has a build script
//! that generates its part into `OUT_DIR`, and a `lib.rs` that includes it:
//!
//! ```no_run
//! // hotel-model/build.rs
//! fn main() -> Result<(), nubes_build::Error> {
//!     nubes_build::configure("../hotel.nubes").compile(nubes_build::Part::Model)
//! }
//! ```
//!
//! ```ignore
//! // hotel-model/src/lib.rs
//! nubes_runtime::include_generated!("hotel_model");
//! ```
//!
//! The build script asks cargo to run again when the schema or a file it imports
//! changes. A schema with errors fails the build with the compiler's diagnostics.
//!
//! To keep generated crates in the repository instead, [`Builder::write_crates`] writes
//! them as `nubesc build` does, and [`Builder::check_crates`] fails when they are not up
//! to date (`nubesc build --check`), for a test or CI.

use std::fmt;
use std::path::{Path, PathBuf};

use nubesc::codegen::{self, naming, DeployOptions, Options, RuntimeDependency, Tree};
use nubesc::output;
use nubesc::render::{self, Colors};

/// One of the three generated crates of an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// `<app>-model`: the types, the `Methods` traits and the wire types.
    Model,
    /// `<app>-handlers`: the handlers, the in-process transport and the Lambda entry point.
    Handlers,
    /// `<app>-client`: the typed client.
    Client,
}

impl Part {
    fn name(self) -> &'static str {
        match self {
            Part::Model => "model",
            Part::Handlers => "handlers",
            Part::Client => "client",
        }
    }
}

/// Why code could not be generated. Its `Debug` form is its message, so that a build
/// script's `main` that returns it prints the diagnostics as they are.
pub enum Error {
    /// The schema could not be read.
    Read(String),
    /// The schema has errors; the compiler's diagnostics, rendered.
    Schema(String),
    /// Code generation refused the schema or the application name.
    Generate(String),
    /// A generated file could not be written.
    Write(PathBuf, std::io::Error),
    /// `OUT_DIR` is not set: the builder runs outside a build script.
    NoOutDir,
    /// Checked-in crates differ from what would be generated.
    OutOfDate(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Read(message) => write!(f, "{message}"),
            Error::Schema(diagnostics) => write!(f, "the schema has errors:\n{diagnostics}"),
            Error::Generate(message) => write!(f, "{message}"),
            Error::Write(path, error) => write!(f, "cannot write `{}`: {error}", path.display()),
            Error::NoOutDir => write!(
                f,
                "OUT_DIR is not set: call `compile` from a build script, or use `compile_into`"
            ),
            Error::OutOfDate(report) => write!(f, "{report}"),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {}

/// A builder for the schema at `schema`, relative to the crate being built (its
/// `CARGO_MANIFEST_DIR`) when that is set.
pub fn configure(schema: impl AsRef<Path>) -> Builder {
    let schema = schema.as_ref();
    let schema = match std::env::var_os("CARGO_MANIFEST_DIR") {
        Some(dir) if schema.is_relative() => PathBuf::from(dir).join(schema),
        _ => schema.to_path_buf(),
    };
    Builder {
        schema,
        app: None,
        runtime_path: None,
        rerun: true,
    }
}

/// What to generate from one schema; made by [`configure`].
#[derive(Debug, Clone)]
pub struct Builder {
    schema: PathBuf,
    app: Option<String>,
    runtime_path: Option<PathBuf>,
    rerun: bool,
}

impl Builder {
    /// The application's name (default: the schema file's name, as `nubesc build` takes
    /// it). The crates must be called `<app>-model`, `<app>-handlers`, `<app>-client`.
    pub fn app(mut self, name: impl Into<String>) -> Self {
        self.app = Some(name.into());
        self
    }

    /// For [`Builder::write_crates`]: the generated manifests depend on the
    /// `nubes-runtime` at this path instead of the registry version.
    pub fn runtime_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.runtime_path = Some(path.into());
        self
    }

    /// Whether to print `cargo:rerun-if-changed` for the schema and its imports (on by
    /// default; turn it off outside a build script, where the lines mean nothing).
    pub fn emit_rerun_if_changed(mut self, on: bool) -> Self {
        self.rerun = on;
        self
    }

    /// Generates `part` into `OUT_DIR/<app>_<part>.rs` (`-` in the name becomes `_`), for
    /// `nubes_runtime::include_generated!("<app>_<part>")`.
    pub fn compile(self, part: Part) -> Result<(), Error> {
        let out = std::env::var_os("OUT_DIR").ok_or(Error::NoOutDir)?;
        self.compile_into(part, Path::new(&out)).map(drop)
    }

    /// Generates `part` into `dir/<app>_<part>.rs` (rewritten only when it changes);
    /// returns the file's path.
    pub fn compile_into(self, part: Part, dir: &Path) -> Result<PathBuf, Error> {
        let (app, tree) = self.generate(RuntimeDependency::this_version())?;
        let source = format!("{}/src/lib.rs", naming::package(&app, part.name()));
        let text = tree
            .get(Path::new(&source))
            .map(|text| for_include(text))
            .ok_or_else(|| Error::Generate(format!("no `{source}` was generated")))?;
        let name = PathBuf::from(format!("{}_{}.rs", app.replace('-', "_"), part.name()));
        let file = dir.join(&name);
        output::write(&Tree::from([(name, text)]), dir)
            .map_err(|error| Error::Write(file.clone(), error))?;
        Ok(file)
    }

    /// Writes the three crates and `deploy/template.yaml` into `dir`, as `nubesc build`
    /// does (only files whose bytes change are rewritten).
    pub fn write_crates(self, dir: &Path) -> Result<(), Error> {
        std::fs::create_dir_all(dir).map_err(|error| Error::Write(dir.to_path_buf(), error))?;
        let runtime = self.runtime_dependency(dir)?;
        let (_, tree) = self.generate(runtime)?;
        output::write(&tree, dir)
            .map(drop)
            .map_err(|error| Error::Write(dir.to_path_buf(), error))
    }

    /// Fails when the crates in `dir` are not exactly what [`Builder::write_crates`]
    /// would write, naming each file that is missing or differs.
    pub fn check_crates(self, dir: &Path) -> Result<(), Error> {
        let runtime = self.runtime_dependency(dir)?;
        let (_, tree) = self.generate(runtime)?;
        let differences = output::compare(&tree, dir);
        if differences.is_empty() {
            return Ok(());
        }
        let mut report = format!(
            "the crates in `{}` are not what the schema `{}` generates:\n",
            dir.display(),
            self.schema.display()
        );
        report.push_str(&output::describe(&differences));
        report.push_str("help: write them again with `Builder::write_crates` or `nubesc build`");
        Err(Error::OutOfDate(report))
    }

    fn runtime_dependency(&self, dir: &Path) -> Result<RuntimeDependency, Error> {
        match &self.runtime_path {
            None => Ok(RuntimeDependency::this_version()),
            Some(path) => output::runtime_path_from(dir, path)
                .map(RuntimeDependency::Path)
                .map_err(|error| {
                    Error::Read(format!(
                        "cannot resolve the runtime `{}` from `{}`: {error}",
                        path.display(),
                        dir.display()
                    ))
                }),
        }
    }

    /// Checks the schema and generates every file; the application's name and the files.
    fn generate(&self, runtime: RuntimeDependency) -> Result<(String, Tree), Error> {
        let compilation = nubesc::check_path(&self.schema).map_err(|error| {
            Error::Read(format!("`{}`: {}", self.schema.display(), error.message()))
        })?;
        if self.rerun {
            for (_, file) in compilation.sources.files() {
                if !file.is_stdlib {
                    println!("cargo:rerun-if-changed={}", file.name);
                }
            }
        }
        if compilation.has_errors() {
            return Err(Error::Schema(render::render_all(
                &compilation.sources,
                &compilation.diagnostics,
                Colors::Off,
            )));
        }
        let Some(schema) = compilation.schema else {
            return Err(Error::Schema("the schema did not check".into()));
        };
        let app = match &self.app {
            Some(app) => app.clone(),
            None => naming::app_name_of(&self.schema),
        };
        let options = Options {
            app: app.clone(),
            runtime,
            deploy: DeployOptions::default(),
        };
        let tree = codegen::generate(&schema, &options)
            .map_err(|error| Error::Generate(error.to_string()))?;
        Ok((app, tree))
    }
}

/// A generated `lib.rs` as `include!` takes it: without the crate's inner doc comments,
/// which may only open a file.
fn for_include(text: &str) -> String {
    text.lines()
        .filter(|line| !line.starts_with("//!"))
        .map(|line| format!("{line}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_doc_comments_are_dropped_and_nothing_else() {
        let text = "// @generated\n//! The crate.\n//!\npub struct A;\n/// A doc.\nfn b() {}\n";
        assert_eq!(
            for_include(text),
            "// @generated\npub struct A;\n/// A doc.\nfn b() {}\n"
        );
    }
}
