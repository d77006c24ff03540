//! `nubesc fmt`: the canonical layout of the golden inputs in `tests/golden/fmt/`, and on
//! every `.nubes` file of the repository that parses: formatting twice changes nothing,
//! and the checked schema (the IR without its spans) and the diagnostics are the same
//! before and after. The command line's `--check`, `--stdout`, rewriting and refusals.
//!
//! `NUBES_BLESS=1 cargo test -p nubesc --test fmt` rewrites `tests/golden/fmt/*.formatted`.

#[path = "support/meaning.rs"]
mod meaning;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use nubesc::fmt::{format, FormatError};
use nubesc::load::{FileReader, FsReader};

#[path = "support/run.rs"]
mod run;

use run::{compare, nubesc, nubesc_in, workspace_root};

/// Every `.nubes` file under the examples, the stdlib and the golden suite, relative to
/// the workspace root, sorted.
fn repository_schemas() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut files = Vec::new();
    let mut dirs: Vec<PathBuf> = ["examples", "compiler/stdlib", "tests/golden"]
        .iter()
        .map(PathBuf::from)
        .collect();
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(root.join(&dir))
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = dir.join(entry.file_name());
            if root.join(&path).is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|ext| ext == "nubes") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() > 100, "only {} schemas found", files.len());
    files
}

/// Reads the file system, except that one path reads as the given text.
struct WithFormatted {
    fs: FsReader,
    path: PathBuf,
    text: String,
}

impl FileReader for WithFormatted {
    fn read(&mut self, path: &Path) -> io::Result<Vec<u8>> {
        if path == self.path {
            return Ok(self.text.clone().into_bytes());
        }
        self.fs.read(path)
    }
}

/// What checking the file at `path` means when it reads as `text`.
fn meaning(path: &Path, text: &str) -> meaning::Meaning {
    let mut reader = WithFormatted {
        fs: FsReader {
            base: workspace_root(),
        },
        path: path.to_path_buf(),
        text: text.to_string(),
    };
    match nubesc::check_with(path, &mut reader) {
        Ok(compilation) => meaning::meaning(compilation),
        Err(error) => panic!("{}: {}", path.display(), error.message()),
    }
}

#[test]
fn every_schema_of_the_repository_keeps_its_meaning_and_formats_once() {
    let root = workspace_root();
    let mut formatted_count = 0;
    let mut refused = 0;
    for path in repository_schemas() {
        let Ok(text) = fs::read_to_string(root.join(&path)) else {
            continue; // the invalid-UTF-8 cases
        };
        let once = match format(&text) {
            Ok(once) => once,
            Err(FormatError::Syntax(_)) => {
                refused += 1;
                continue;
            }
            Err(FormatError::Changed(why)) => panic!("{}: {why}", path.display()),
        };
        formatted_count += 1;
        match format(&once) {
            Ok(twice) => assert_eq!(twice, once, "{}: not idempotent", path.display()),
            Err(error) => panic!("{}: the formatted text fails: {error:?}", path.display()),
        }
        let before = meaning(&path, &text);
        let after = meaning(&path, &once);
        assert_eq!(
            before,
            after,
            "{}: formatting changed the meaning\n{once}",
            path.display()
        );
    }
    // Both kinds must have been seen, or the walk above checked nothing.
    assert!(
        formatted_count > 80,
        "only {formatted_count} files formatted"
    );
    assert!(
        refused > 5,
        "only {refused} files refused for syntax errors"
    );
}

#[test]
fn golden_layouts() {
    let dir = workspace_root().join("tests/golden/fmt");
    let mut inputs: Vec<PathBuf> = fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "nubes"))
        .collect();
    inputs.sort();
    assert!(
        inputs.len() >= 3,
        "golden inputs missing in {}",
        dir.display()
    );
    let mut failures = Vec::new();
    for input in inputs {
        let shown = format!(
            "tests/golden/fmt/{}",
            input.file_name().unwrap_or_default().to_string_lossy()
        );
        let out = nubesc(&["fmt", "--stdout", &shown]);
        assert_eq!(out.exit, 0, "{shown}: {}", out.stderr);
        failures.extend(compare(
            &input.with_extension("formatted"),
            Some(&out.stdout),
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_examples_and_the_stdlib_are_formatted() {
    let mut files: Vec<String> = repository_schemas()
        .into_iter()
        .filter(|path| path.starts_with("examples") || path.starts_with("compiler/stdlib"))
        .map(|path| path.display().to_string())
        .collect();
    assert!(files.len() >= 3, "{files:?}");
    files.insert(0, "--check".to_string());
    files.insert(0, "fmt".to_string());
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let out = nubesc(&args);
    assert_eq!(out.exit, 0, "run `nubesc fmt` on them:\n{}", out.stderr);
}

/// A scratch directory of its own for test `tag`, holding `a.nubes`.
fn scratch(tag: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nubesc-fmt-{}-{tag}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    if let Err(error) = fs::create_dir_all(&dir).and_then(|()| fs::write(dir.join("a.nubes"), text))
    {
        panic!("cannot write to {}: {error}", dir.display());
    }
    dir
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn check_reports_the_first_difference_and_writes_nothing() {
    let messy = "object A {\n  @id name:String\n}\n";
    let dir = scratch("check", messy);
    let out = nubesc_in(&dir, &["fmt", "--check", "a.nubes"]);
    assert_eq!(out.exit, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("`a.nubes` is not formatted; from line 2:\n-   @id name:String\n+     @id name: String\n"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("1 file not formatted"),
        "{}",
        out.stderr
    );
    assert_eq!(read(&dir.join("a.nubes")), messy);
}

#[test]
fn fmt_rewrites_in_place_and_then_checks_clean() {
    let dir = scratch("rewrite", "object A {\n  @id name:String ;\n}");
    let out = nubesc_in(&dir, &["fmt", "a.nubes"]);
    assert_eq!((out.exit, out.stderr.as_str()), (0, ""));
    assert_eq!(
        read(&dir.join("a.nubes")),
        "object A {\n    @id name: String\n}\n"
    );
    let again = nubesc_in(&dir, &["fmt", "--check", "a.nubes"]);
    assert_eq!((again.exit, again.stderr.as_str()), (0, ""));
    let leftovers: Vec<_> = fs::read_dir(&dir).into_iter().flatten().flatten().collect();
    assert_eq!(leftovers.len(), 1, "a temporary file was left behind");
}

#[test]
fn a_file_with_syntax_errors_is_reported_and_left_alone() {
    let broken = "object A {\n  name String\n}\n";
    let dir = scratch("syntax", broken);
    let out = nubesc_in(&dir, &["fmt", "a.nubes"]);
    assert_eq!(out.exit, 1);
    assert!(out.stderr.contains("nubes::E001"), "{}", out.stderr);
    assert!(out.stderr.contains("a.nubes:2:"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("`a.nubes` was not formatted: it has syntax errors"),
        "{}",
        out.stderr
    );
    assert_eq!(read(&dir.join("a.nubes")), broken);
}

#[test]
fn missing_files_are_usage_errors_and_the_others_are_still_formatted() {
    let dir = scratch("missing", "struct S{a:Int}");
    let out = nubesc_in(&dir, &["fmt", "missing.nubes", "a.nubes"]);
    assert_eq!(out.exit, 2);
    assert!(
        out.stderr
            .contains("cannot read `missing.nubes`: no such file"),
        "{}",
        out.stderr
    );
    assert_eq!(read(&dir.join("a.nubes")), "struct S {\n    a: Int\n}\n");
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_stays_a_link_and_its_target_is_formatted() {
    let dir = scratch("link", "struct S{a:Int}");
    if let Err(error) = std::os::unix::fs::symlink("a.nubes", dir.join("link.nubes")) {
        panic!("cannot make a link: {error}");
    }
    let out = nubesc_in(&dir, &["fmt", "link.nubes"]);
    assert_eq!(out.exit, 0, "{}", out.stderr);
    let link = dir.join("link.nubes");
    assert!(
        fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink()),
        "link.nubes is no longer a link"
    );
    assert_eq!(read(&dir.join("a.nubes")), "struct S {\n    a: Int\n}\n");
}

#[test]
fn windows_line_ends_are_kept_and_check_passes_on_them() {
    let dir = scratch("crlf", "struct S {\r\n    a: Int\r\n}\r\n");
    let out = nubesc_in(&dir, &["fmt", "--check", "a.nubes"]);
    assert_eq!((out.exit, out.stderr.as_str()), (0, ""));
}

#[test]
fn stdout_prints_and_leaves_the_file() {
    let dir = scratch("stdout", "struct S{a:Int}");
    let out = nubesc_in(&dir, &["fmt", "--stdout", "a.nubes"]);
    assert_eq!(out.exit, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "struct S {\n    a: Int\n}\n");
    assert_eq!(read(&dir.join("a.nubes")), "struct S{a:Int}");
}

#[test]
fn help_describes_the_flags() {
    let out = nubesc(&["fmt", "--help"]);
    assert_eq!(out.exit, 0);
    for flag in ["--check", "--stdout", "comment"] {
        assert!(out.stdout.contains(flag), "{flag} missing:\n{}", out.stdout);
    }
}
