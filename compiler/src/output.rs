//! Putting generated files on disk: writing a tree (only files whose bytes change, so
//! regenerating does not trigger rebuilds), comparing a tree with what is on disk, and the
//! relative path from the generated crates to a local `nubes-runtime`.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::codegen::Tree;

/// How a file on disk differs from the generated one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Difference {
    /// The file is not there.
    Missing,
    /// The file has other contents.
    Changed,
}

/// Writes `tree` under `dir`; returns the files whose contents changed.
pub fn write(tree: &Tree, dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (path, text) in tree {
        let target = dir.join(path);
        if fs::read(&target).ok().as_deref() == Some(text.as_bytes()) {
            continue;
        }
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&target, text)?;
        written.push(path.clone());
    }
    Ok(written)
}

/// The files of `tree` that differ from what is under `dir`.
pub fn compare(tree: &Tree, dir: &Path) -> Vec<(PathBuf, Difference)> {
    tree.iter()
        .filter_map(|(path, text)| match fs::read(dir.join(path)) {
            Ok(bytes) if bytes == text.as_bytes() => None,
            Ok(_) => Some((path.clone(), Difference::Changed)),
            Err(_) => Some((path.clone(), Difference::Missing)),
        })
        .collect()
}

/// One line for each file of [`compare`]'s result, `  missing: <path>` or
/// `  differs: <path>`, each ending in a newline.
pub fn describe(differences: &[(PathBuf, Difference)]) -> String {
    differences
        .iter()
        .map(|(path, difference)| {
            let what = match difference {
                Difference::Missing => "missing",
                Difference::Changed => "differs",
            };
            format!("  {what}: {}\n", path.display())
        })
        .collect()
}

/// The path from a generated crate in `out_dir` (one level below it) to `runtime`, with
/// `/` separators so the manifests are the same on every platform. Both paths must exist.
pub fn runtime_path_from(out_dir: &Path, runtime: &Path) -> io::Result<String> {
    let from = fs::canonicalize(out_dir)?.join("crate");
    let to = fs::canonicalize(runtime)?;
    Ok(relative(&from, &to))
}

/// The relative path from directory `from` to `to` (both absolute and normalized).
fn relative(from: &Path, to: &Path) -> String {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let ups = std::iter::repeat_n("..".to_string(), from.len() - common);
    let downs = to[common..]
        .iter()
        .map(|part| part.as_os_str().to_string_lossy().into_owned());
    let parts: Vec<String> = ups.chain(downs).collect();
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_then_descend() {
        let cases = [
            ("/w/repo/out/crate", "/w/repo/runtime", "../../runtime"),
            (
                "/w/repo/tests/golden/build/hotel/crate",
                "/w/repo/runtime",
                "../../../../../runtime",
            ),
            ("/w/a/crate", "/w/a/crate/x", "x"),
            ("/w/a", "/w/a", "."),
        ];
        for (from, to, expected) in cases {
            assert_eq!(
                relative(Path::new(from), Path::new(to)),
                expected,
                "{from} → {to}"
            );
        }
    }

    #[test]
    fn writing_twice_changes_nothing_the_second_time() {
        let dir = std::env::temp_dir().join(format!("nubes-output-{}", std::process::id()));
        let mut tree = Tree::new();
        tree.insert(PathBuf::from("a/src/lib.rs"), "// one\n".into());
        assert_eq!(
            write(&tree, &dir).ok(),
            Some(vec![PathBuf::from("a/src/lib.rs")])
        );
        assert_eq!(write(&tree, &dir).ok(), Some(vec![]));
        assert!(compare(&tree, &dir).is_empty());
        tree.insert(PathBuf::from("a/src/lib.rs"), "// two\n".into());
        tree.insert(PathBuf::from("b/Cargo.toml"), "".into());
        assert_eq!(
            compare(&tree, &dir),
            vec![
                (PathBuf::from("a/src/lib.rs"), Difference::Changed),
                (PathBuf::from("b/Cargo.toml"), Difference::Missing)
            ]
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
