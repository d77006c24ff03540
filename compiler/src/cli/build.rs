//! `nubesc build`: check a schema, generate its crates, write them (or compare them with
//! what is on disk under `--check`).

use std::path::Path;

use super::{
    colors, compile, write_or_fail, BuildArgs, FunctionsChoice, Io, EXIT_DIAGNOSTICS, EXIT_OK,
    EXIT_USAGE,
};
use crate::codegen::{self, naming, DeployOptions, Functions, Options, RuntimeDependency};
use crate::output::{self, Difference};

/// Runs `nubesc build`; returns the exit code.
pub(super) fn run(args: &BuildArgs, io: &mut Io<'_>) -> i32 {
    let app = match &args.name {
        Some(name) => name.clone(),
        None => naming::app_name_of(&args.file),
    };
    if !naming::is_valid_app_name(&app) {
        let text = format!("error: {}\n", codegen::CodegenError::BadAppName(app));
        return write_or_fail(io.stderr, &text, EXIT_USAGE);
    }
    let (exit, schema) = compile(&args.file, args.deny_warnings, colors(args.color, io), io);
    let Some(schema) = schema else {
        return exit;
    };
    let out = io.base.join(&args.out);
    if args.check && !out.is_dir() {
        let text = format!(
            "error: `{}` does not exist: nothing has been generated there\nhelp: run the same command without `--check` to generate the crates\n",
            args.out.display()
        );
        return write_or_fail(io.stderr, &text, EXIT_DIAGNOSTICS);
    }
    if !args.check {
        if let Err(error) = std::fs::create_dir_all(&out) {
            let text = format!("error: cannot create `{}`: {error}\n", args.out.display());
            return write_or_fail(io.stderr, &text, EXIT_USAGE);
        }
    }
    let runtime = match runtime_dependency(args, io.base, &out) {
        Ok(runtime) => runtime,
        Err(message) => {
            return write_or_fail(io.stderr, &format!("error: {message}\n"), EXIT_USAGE)
        }
    };
    let tree = match codegen::generate(
        &schema,
        &Options {
            app: app.clone(),
            runtime,
            deploy: DeployOptions {
                functions: match args.functions {
                    FunctionsChoice::PerType => Functions::PerType,
                    FunctionsChoice::One => Functions::One,
                },
                lambda_zip: args.lambda_zip.clone(),
            },
        },
    ) {
        Ok(tree) => tree,
        Err(error) => {
            return write_or_fail(io.stderr, &format!("error: {error}\n"), EXIT_DIAGNOSTICS)
        }
    };
    if args.check {
        return report_differences(&output::compare(&tree, &out), &args.out, io);
    }
    match output::write(&tree, &out) {
        Ok(written) => {
            let text = format!(
                "generated {app}-model, {app}-handlers, {app}-client and deploy/template.yaml in `{}` ({} of {} files changed)\n",
                args.out.display(),
                written.len(),
                tree.len()
            );
            write_or_fail(io.stderr, &text, EXIT_OK)
        }
        Err(error) => {
            let text = format!(
                "error: cannot write into `{}`: {error}\n",
                args.out.display()
            );
            write_or_fail(io.stderr, &text, EXIT_USAGE)
        }
    }
}

fn runtime_dependency(
    args: &BuildArgs,
    base: &Path,
    out: &Path,
) -> Result<RuntimeDependency, String> {
    let Some(path) = &args.runtime_path else {
        return Ok(RuntimeDependency::this_version());
    };
    let path = &base.join(path);
    check_runtime_crate(path)?;
    output::runtime_path_from(out, path)
        .map(RuntimeDependency::Path)
        .map_err(|error| {
            format!(
                "cannot resolve `{}` from `{}`: {error}",
                path.display(),
                args.out.display()
            )
        })
}

/// Ok when `path`, given as `--runtime-path`, is a crate.
pub(super) fn check_runtime_crate(path: &Path) -> Result<(), String> {
    if path.join("Cargo.toml").is_file() {
        Ok(())
    } else {
        Err(format!(
            "`--runtime-path {}` is not a crate: it has no Cargo.toml",
            path.display()
        ))
    }
}

fn report_differences(
    differences: &[(std::path::PathBuf, Difference)],
    out: &Path,
    io: &mut Io<'_>,
) -> i32 {
    if differences.is_empty() {
        return EXIT_OK;
    }
    let mut text = format!(
        "error: the crates in `{}` are not what `nubesc build` generates:\n",
        out.display()
    );
    text.push_str(&output::describe(differences));
    text.push_str("help: run the same command without `--check` to regenerate them\n");
    write_or_fail(io.stderr, &text, EXIT_DIAGNOSTICS)
}
