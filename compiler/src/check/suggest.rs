//! "Did you mean …?" suggestions and the naming conventions shared by the passes.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// The keywords of the language; none may be used as a name.
pub(crate) const KEYWORDS: &[&str] = &[
    "import", "object", "struct", "enum", "error", "fn", "readonly", "raises",
];

/// The primitive type names.
pub(crate) const PRIMITIVES: &[&str] = &["String", "Int", "Float", "Bool", "Bytes"];

/// The closest of `candidates` to `name`, if one is close enough to be a likely typo.
pub(crate) fn closest<'c>(
    name: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let lower = name.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let score = if candidate.to_lowercase() == lower {
            2.0
        } else {
            let distance = strsim::levenshtein(&lower, &candidate.to_lowercase());
            let limit = (name.chars().count().max(candidate.chars().count()) / 3).max(1);
            if distance > limit {
                continue;
            }
            1.0 - distance as f64 / 100.0
        };
        // Ties keep the first candidate, so results do not depend on map order.
        if best.is_none_or(|(best_score, _)| score > best_score) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// " (did you mean `x`?)"-style help text, or `None`.
pub(crate) fn did_you_mean<'c>(
    name: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<String> {
    closest(name, candidates).map(|candidate| format!("did you mean `{candidate}`?"))
}

/// True for `PascalCase` names: a leading capital and no underscores.
pub(crate) fn is_pascal_case(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase()) && !name.contains('_')
}

/// True for `camelCase` names: a leading lowercase letter and no underscores.
pub(crate) fn is_camel_case(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase()) && !name.contains('_')
}

/// The form two names are compared in for case collisions: `firstName`, `first_name`
/// and `FirstName` all become `first_name`, and `A1` and `A_1` both become `a1` (generated
/// code uses both snake and camel case, so names must differ in both).
pub(crate) fn folded(name: &str) -> String {
    name.to_upper_camel_case().to_snake_case().replace('_', "")
}
