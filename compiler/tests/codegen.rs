//! Golden tests of code generation. Every directory `tests/golden/build/<case>/` holds the
//! crates and the `deploy/template.yaml` that `nubesc build` generates for
//! `tests/golden/pass/<case>.nubes` (or, for `hotel`, `examples/hotel.nubes`), with
//! `--runtime-path runtime` (and, for `hotel`, `--lambda-zip` pointing at the zip
//! `scripts/lambda-zip` builds; for `minimal`, `--functions one`). The crates are workspace
//! members, so CI compiles and lints them; this test regenerates everything and fails on
//! any difference.
//!
//! `NUBES_BLESS=1 cargo test -p nubesc --test codegen` rewrites them. To add a case,
//! create its empty directory and bless.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use nubesc::codegen::{self, naming, DeployOptions, Functions, Options, RuntimeDependency, Tree};
use nubesc::output;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn blessing() -> bool {
    std::env::var_os("NUBES_BLESS").is_some_and(|value| value != "0")
}

/// `(case name, schema file)` for every directory in `tests/golden/build`.
fn cases() -> Vec<(String, PathBuf)> {
    let build = root().join("tests/golden/build");
    let mut cases: Vec<(String, PathBuf)> = fs::read_dir(&build)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", build.display()))
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let schema = if name == "hotel" {
                root().join("examples/hotel.nubes")
            } else {
                root()
                    .join("tests/golden/pass")
                    .join(format!("{name}.nubes"))
            };
            (name, schema)
        })
        .collect();
    cases.sort();
    cases
}

/// The crates for one case, as `nubesc build` makes them.
fn generate(name: &str, schema_path: &Path) -> Result<Tree, String> {
    let compilation = nubesc::check_path(schema_path).map_err(|error| error.message())?;
    let schema = compilation
        .schema
        .ok_or_else(|| format!("{} does not check", schema_path.display()))?;
    let dir = root().join("tests/golden/build").join(name);
    let runtime = output::runtime_path_from(&dir, &root().join("runtime"))
        .map_err(|error| format!("runtime path: {error}"))?;
    let options = Options {
        app: naming::app_name(name),
        runtime: RuntimeDependency::Path(runtime),
        deploy: deploy_options(name),
    };
    codegen::generate(&schema, &options).map_err(|error| error.to_string())
}

/// The template of `hotel` takes the zip `scripts/lambda-zip` builds, so it deploys from
/// where it is; `minimal` shows the one-function layout; the rest use the defaults.
fn deploy_options(name: &str) -> DeployOptions {
    match name {
        "hotel" => DeployOptions {
            lambda_zip: HOTEL_ZIP.into(),
            ..DeployOptions::default()
        },
        "minimal" => DeployOptions {
            functions: Functions::One,
            ..DeployOptions::default()
        },
        _ => DeployOptions::default(),
    }
}

/// `target/lambda/hotel-lambda/bootstrap.zip` from `tests/golden/build/hotel/deploy`.
const HOTEL_ZIP: &str = "../../../../../target/lambda/hotel-lambda/bootstrap.zip";

/// Every file under `dir`, relative to it.
fn files_under(dir: &Path) -> BTreeSet<PathBuf> {
    let mut found = BTreeSet::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(relative) = path.strip_prefix(dir) {
                found.insert(relative.to_path_buf());
            }
        }
    }
    found
}

#[test]
fn generated_crates_match_the_blessed_ones() {
    let cases = cases();
    assert!(
        cases.len() >= 7,
        "expected the hotel and at least six other cases, found {cases:?}"
    );
    let mut problems = Vec::new();
    for (name, schema) in &cases {
        let tree = match generate(name, schema) {
            Ok(tree) => tree,
            Err(error) => {
                problems.push(format!("{name}: {error}"));
                continue;
            }
        };
        let dir = root().join("tests/golden/build").join(name);
        let stale: Vec<PathBuf> = files_under(&dir)
            .into_iter()
            .filter(|path| !tree.contains_key(path))
            .collect();
        if blessing() {
            if let Err(error) = output::write(&tree, &dir) {
                problems.push(format!("{name}: cannot write: {error}"));
            }
            for path in &stale {
                let _ = fs::remove_file(dir.join(path));
            }
            continue;
        }
        for (path, difference) in output::compare(&tree, &dir) {
            problems.push(format!("{name}/{}: {difference:?}", path.display()));
        }
        for path in stale {
            problems.push(format!("{name}/{}: not generated any more", path.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "generated code differs from tests/golden/build (review, then bless with NUBES_BLESS=1 cargo test -p nubesc --test codegen):\n{}",
        problems.join("\n")
    );
}

#[test]
fn generation_is_deterministic() {
    for (name, schema) in cases() {
        let first = generate(&name, &schema);
        let second = generate(&name, &schema);
        assert!(first.is_ok(), "{name}: {first:?}");
        assert_eq!(first, second, "{name}: two runs differ");
    }
}

#[test]
fn every_generated_file_starts_with_the_header() {
    for (name, schema) in cases() {
        let tree = generate(&name, &schema).unwrap_or_default();
        assert!(!tree.is_empty(), "{name}: nothing generated");
        for (path, text) in tree {
            let first = text.lines().next().unwrap_or_default();
            assert!(
                first.ends_with(codegen::HEADER)
                    && (first.starts_with("// ") || first.starts_with("# ")),
                "{name}/{}: first line is {first:?}",
                path.display()
            );
        }
    }
}

/// The builder calls of each object type in the generated `schema()` of a case's handlers
/// crate, by type name.
fn object_types(name: &str, schema: &Path) -> BTreeMap<String, String> {
    let tree = generate(name, schema).unwrap_or_default();
    let app = naming::app_name(name);
    let handlers = tree
        .get(Path::new(&format!("{app}-handlers/src/lib.rs")))
        .cloned()
        .unwrap_or_default();
    let schema_fn = handlers.split("pub fn runtime").next().unwrap_or_default();
    schema_fn
        .split("ObjectType::new(\"")
        .skip(1)
        .filter_map(|chunk| {
            let (type_name, calls) = chunk.split_once('"')?;
            Some((type_name.to_string(), calls.to_string()))
        })
        .collect()
}

/// A type is immutable when every stored field is `@readonly` or the id (navigation lists
/// do not count), and each `@tracked` list is handed to the runtime.
#[test]
fn immutable_types_and_tracked_lists_reach_the_runtime_schema() {
    let hotel = object_types("hotel", &root().join("examples/hotel.nubes"));
    assert_eq!(hotel.len(), 5, "{hotel:#?}");
    for (type_name, calls) in &hotel {
        assert_eq!(
            calls.contains(".immutable()"),
            type_name == "Reservation",
            "hotel {type_name}: {calls}"
        );
        assert!(!calls.contains(".tracked("), "hotel {type_name}: {calls}");
    }
    let tracked = object_types("tracked", &root().join("tests/golden/pass/tracked.nubes"));
    let expected = [
        ("Blog", false, Some("posts")),
        ("Post", false, Some("comments")),
        ("Comment", true, None),
        ("Tag", true, None),
        ("Shelf", false, None),
    ];
    assert_eq!(tracked.len(), expected.len(), "{tracked:#?}");
    for (type_name, immutable, list) in expected {
        let calls = &tracked[type_name];
        assert_eq!(
            calls.contains(".immutable()"),
            immutable,
            "{type_name}: {calls}"
        );
        assert_eq!(
            calls.matches(".tracked(").count(),
            usize::from(list.is_some()),
            "{type_name}: {calls}"
        );
        if let Some(list) = list {
            assert!(
                calls.contains(&format!(".tracked(\"{list}\")")),
                "{type_name}: {calls}"
            );
        }
    }
}
