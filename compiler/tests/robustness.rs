//! Robustness: random bytes and randomly mutated valid schemas never make the front end
//! panic, and every rejected input carries a diagnostic whose spans lie inside the file.
//!
//! The seed comes from `NUBES_SEED` (or the clock) and is printed, so a failure can be
//! replayed with `NUBES_SEED=<seed> cargo test -p nubesc --test robustness`. The number of
//! cases per kind can be raised with `NUBES_CASES`.

#[path = "support/meaning.rs"]
mod meaning;

use std::collections::HashMap;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use nubesc::load::FileReader;
use nubesc::render::{self, Colors};

const ROOT: &str = "case.nubes";

/// Serves the case as the root file, and the corpus as files it may import.
struct MemReader<'a> {
    root: &'a [u8],
    files: &'a HashMap<PathBuf, Vec<u8>>,
}

impl FileReader for MemReader<'_> {
    fn read(&mut self, path: &Path) -> io::Result<Vec<u8>> {
        if path == Path::new(ROOT) {
            return Ok(self.root.to_vec());
        }
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| io::ErrorKind::NotFound.into())
    }
}

fn seed() -> u64 {
    std::env::var("NUBES_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        })
}

fn cases_per_kind() -> usize {
    std::env::var("NUBES_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(10_000)
}

/// Every `.nubes` file of the repository's examples, stdlib and golden suite.
fn corpus() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    let mut dirs = vec![
        root.join("examples"),
        root.join("compiler/stdlib"),
        root.join("tests/golden"),
    ];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
        {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|ext| ext == "nubes") {
                files.push(std::fs::read(&path).unwrap_or_default());
            }
        }
    }
    files.sort();
    assert!(
        files.len() > 20,
        "the corpus is too small: {} files",
        files.len()
    );
    files
}

/// Bytes that are likely to matter to the grammar.
const INTERESTING: &[&str] = &[
    "object",
    "struct",
    "enum",
    "error",
    "import",
    "fn",
    "readonly",
    "raises",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "<",
    ">",
    ",",
    ";",
    ":",
    "?",
    "->",
    "@id",
    "@readonly",
    "@hasOne(",
    "@hasMany(",
    "@default(",
    "///",
    "//",
    "/*",
    "*/",
    "\"",
    "\n",
    " ",
    "Map<",
    "String",
    "Int",
    "x",
    "Room",
    "\"stdlib/geo.nubes\"",
    "\u{FFFD}",
    "\u{0}",
    "\r\n",
    "\r",
    "\u{FEFF}",
    "\\",
    "9999999999999999999999",
    "-1.5",
];

fn random_bytes(rng: &mut fastrand::Rng) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..rng.usize(0..40) {
        if rng.bool() {
            out.extend_from_slice(INTERESTING[rng.usize(0..INTERESTING.len())].as_bytes());
        } else {
            out.push(rng.u8(..));
        }
    }
    out
}

fn mutate(rng: &mut fastrand::Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut out = corpus[rng.usize(0..corpus.len())].clone();
    for _ in 0..rng.usize(1..5) {
        let at = rng.usize(0..=out.len());
        match rng.u8(0..6) {
            0 => {
                let end = (at + rng.usize(0..20)).min(out.len());
                out.drain(at..end);
            }
            1 => {
                let token = INTERESTING[rng.usize(0..INTERESTING.len())].as_bytes();
                out.splice(at..at, token.iter().copied());
            }
            2 if at < out.len() => out[at] = rng.u8(..),
            3 => out.truncate(at),
            4 => {
                let other = &corpus[rng.usize(0..corpus.len())];
                let from = rng.usize(0..=other.len());
                let end = (from + rng.usize(0..80)).min(other.len());
                out.splice(at..at, other[from..end].iter().copied());
            }
            _ => {
                let end = (at + rng.usize(0..40)).min(out.len());
                let copy = out[at..end].to_vec();
                out.splice(at..at, copy);
            }
        }
    }
    out
}

/// Checks one input: `Ok(true)` when it was rejected with errors, `Ok(false)` when it
/// was accepted, `Err` with what went wrong.
fn check_one(
    input: &[u8],
    files: &HashMap<PathBuf, Vec<u8>>,
    render_it: bool,
) -> Result<bool, String> {
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        let mut reader = MemReader { root: input, files };
        let compilation = match nubesc::check_with(Path::new(ROOT), &mut reader) {
            Ok(compilation) => compilation,
            Err(error) => return Err(format!("the root could not be read: {}", error.message())),
        };
        if compilation.schema.is_none() && !compilation.has_errors() {
            return Err("no schema, but no error either".to_string());
        }
        if compilation.schema.is_some() && compilation.has_errors() {
            return Err("a schema despite errors".to_string());
        }
        for diagnostic in &compilation.diagnostics {
            let spans = std::iter::once(&diagnostic.primary).chain(&diagnostic.secondary);
            for label in spans {
                let span = label.span;
                let files: Vec<_> = compilation.sources.files().collect();
                let Some((_, file)) = files.get(span.file.0 as usize) else {
                    return Err(format!("{diagnostic:?}: a span in an unknown file"));
                };
                let (start, end) = (span.start as usize, span.end as usize);
                if start > end || end > file.text.len() {
                    return Err(format!(
                        "{diagnostic:?}: span {start}..{end} outside a file of {} bytes",
                        file.text.len()
                    ));
                }
                if !file.text.is_char_boundary(start) || !file.text.is_char_boundary(end) {
                    return Err(format!(
                        "{diagnostic:?}: span {start}..{end} splits a character"
                    ));
                }
            }
        }
        if render_it {
            let text =
                render::render_all(&compilation.sources, &compilation.diagnostics, Colors::Off);
            if compilation.has_errors() && !text.contains("nubes::E") {
                return Err("rendered errors carry no code".to_string());
            }
        }
        Ok(compilation.has_errors())
    }));
    match result {
        Ok(outcome) => outcome,
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!("panicked: {message}"))
        }
    }
}

fn run(kind: &str, make: impl Fn(&mut fastrand::Rng) -> Vec<u8>) {
    let seed = seed();
    eprintln!("{kind}: NUBES_SEED={seed}");
    let files: HashMap<PathBuf, Vec<u8>> = HashMap::from([
        (
            PathBuf::from("lib/shop_types.nubes"),
            b"struct Money { cents: Int }\n".to_vec(),
        ),
        (
            PathBuf::from("a.nubes"),
            b"import \"case.nubes\"\nstruct A { x: Int }\n".to_vec(),
        ),
    ]);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut rejected = 0usize;
    for case in 0..cases_per_kind() {
        let input = make(&mut rng);
        match check_one(&input, &files, case % 16 == 0) {
            Ok(was_rejected) => rejected += usize::from(was_rejected),
            Err(problem) => panic!(
                "{kind} case {case} (NUBES_SEED={seed}): {problem}\ninput: {:?}",
                String::from_utf8_lossy(&input)
            ),
        }
    }
    // Most random inputs are invalid; if none were, the generator is broken.
    assert!(
        rejected > 0,
        "{kind}: no input was rejected (NUBES_SEED={seed})"
    );
}

#[test]
fn random_bytes_never_panic() {
    run("random bytes", random_bytes);
}

#[test]
fn mutated_schemas_never_panic() {
    let corpus = corpus();
    run("mutated schemas", |rng| mutate(rng, &corpus));
}

/// The meaning of `input` as the root file, with `files` to import.
fn meaning_of(input: &[u8], files: &HashMap<PathBuf, Vec<u8>>) -> Result<meaning::Meaning, String> {
    let mut reader = MemReader { root: input, files };
    nubesc::check_with(Path::new(ROOT), &mut reader)
        .map(meaning::meaning)
        .map_err(|error| error.message())
}

#[test]
fn formatting_mutated_schemas_keeps_their_meaning() {
    let corpus = corpus();
    let files = HashMap::new();
    let seed = seed();
    eprintln!("formatting: NUBES_SEED={seed}");
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut formatted = 0usize;
    for case in 0..cases_per_kind() {
        let input = mutate(&mut rng, &corpus);
        let Ok(text) = String::from_utf8(input) else {
            continue;
        };
        let fail = |problem: String| -> ! {
            panic!("formatting case {case} (NUBES_SEED={seed}): {problem}\ninput: {text:?}")
        };
        let once = match panic::catch_unwind(|| nubesc::fmt::format(&text)) {
            Ok(Ok(once)) => once,
            Ok(Err(nubesc::fmt::FormatError::Syntax(_))) => continue,
            Ok(Err(nubesc::fmt::FormatError::Changed(why))) => fail(why),
            Err(_) => fail("the formatter panicked".to_string()),
        };
        formatted += 1;
        if nubesc::fmt::format(&once).as_ref() != Ok(&once) {
            fail(format!("formatting again changes it:\n{once}"));
        }
        let before = meaning_of(text.as_bytes(), &files);
        let after = meaning_of(once.as_bytes(), &files);
        if before != after {
            fail(format!("the meaning changed:\n{once}"));
        }
    }
    // Mutations keep many files valid; if none parsed, the generator is broken.
    assert!(formatted > 0, "nothing was formatted (NUBES_SEED={seed})");
    eprintln!("formatting: {formatted} cases formatted");
}
