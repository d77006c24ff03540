//! The standard library: `.nubes` files shipped inside the compiler and found by
//! `import "stdlib/<name>.nubes"` from anywhere, plus the types of theirs that the
//! compiler maps to primitives rather than structs.

use crate::ir::Type;

/// Every stdlib file: its import path and its text.
const FILES: &[(&str, &str)] = &[
    ("stdlib/geo.nubes", include_str!("../stdlib/geo.nubes")),
    ("stdlib/time.nubes", include_str!("../stdlib/time.nubes")),
];

/// The prefix of import paths that name stdlib files.
pub const PREFIX: &str = "stdlib/";

/// The text of the stdlib file imported as `path`, if there is one.
pub fn file(path: &str) -> Option<&'static str> {
    FILES
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, text)| *text)
}

/// The import paths of all stdlib files, for "did you mean" help.
pub fn paths() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|(name, _)| *name)
}

/// The primitive a stdlib declaration stands for, e.g. `Timestamp` in `stdlib/time.nubes`.
pub fn mapped_type(file: &str, name: &str) -> Option<Type> {
    match (file, name) {
        ("stdlib/time.nubes", "Timestamp") => Some(Type::Timestamp),
        ("stdlib/time.nubes", "Date") => Some(Type::Date),
        _ => None,
    }
}
