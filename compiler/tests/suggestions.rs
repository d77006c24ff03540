//! Every rename `nubesc check` suggests must itself pass `check`: a schema whose names break
//! the casing convention, with each "rename it to `x`" applied, has no error and no
//! warning about those names.
//!
//! Names come from a list of awkward ones (digits after underscores, keywords in other
//! cases, generated member names, built-in type names) and from a seeded generator; the
//! seed is printed (`NUBES_SEED=<seed>` replays it).

use nubesc::diag::Code;

/// Where a name is placed in the test schema.
#[derive(Debug, Clone, Copy)]
enum Place {
    Object,
    Struct,
    Enum,
    Variant,
    Field,
    Method,
    Param,
}

const PLACES: [Place; 7] = [
    Place::Object,
    Place::Struct,
    Place::Enum,
    Place::Variant,
    Place::Field,
    Place::Method,
    Place::Param,
];

/// A small valid schema with `name` at `place`.
fn schema(name: &str, place: Place) -> String {
    let mut object = "Shop".to_string();
    let mut structure = "Money".to_string();
    let mut enumeration = "Kind".to_string();
    let mut variant = "Small".to_string();
    let mut field = "price".to_string();
    let mut method = "restock".to_string();
    let mut param = "count".to_string();
    let slot = match place {
        Place::Object => &mut object,
        Place::Struct => &mut structure,
        Place::Enum => &mut enumeration,
        Place::Variant => &mut variant,
        Place::Field => &mut field,
        Place::Method => &mut method,
        Place::Param => &mut param,
    };
    *slot = name.to_string();
    format!(
        "object {object} {{\n    @id label: String\n    {field}: Int\n    category: {enumeration}\n    takings: {structure}\n    fn {method}({param}: Int) -> Int\n}}\n\nstruct {structure} {{\n    cents: Int\n}}\n\nenum {enumeration} {{\n    {variant}\n    Large\n}}\n"
    )
}

/// The renames suggested for `text`, as (byte range, new name).
fn suggested_renames(text: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let compilation = nubesc::check_text("case.nubes", text);
    compilation
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::Casing)
        .filter_map(|d| {
            let help = d.help.as_deref()?;
            let name = help.strip_prefix("rename it to `")?.strip_suffix('`')?;
            let span = d.primary.span;
            Some((span.start as usize..span.end as usize, name.to_string()))
        })
        .collect()
}

/// Applies every suggested rename to every place the old name is written.
fn renamed(text: &str, renames: &[(std::ops::Range<usize>, String)]) -> String {
    let mut out = text.to_string();
    for (range, new) in renames {
        let old = &text[range.clone()];
        out = replace_word(&out, old, new);
    }
    out
}

/// Replaces whole-word occurrences of `old` by `new`, attribute names aside.
fn replace_word(text: &str, old: &str, new: &str) -> String {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(old) {
        // Attribute names (`@id`) are not the schema's names.
        let before_ok = !rest[..at].ends_with(|c: char| is_word(c) || c == '@');
        let after_ok = !rest[at + old.len()..].starts_with(is_word);
        out.push_str(&rest[..at]);
        out.push_str(if before_ok && after_ok { new } else { old });
        rest = &rest[at + old.len()..];
    }
    out.push_str(rest);
    out
}

/// The problem with the suggestions for `name` at `place`, if any.
fn problem(name: &str, place: Place) -> Option<String> {
    let text = schema(name, place);
    let before = nubesc::check_text("case.nubes", &text);
    if before.has_errors() {
        // Names the checker refuses get no casing suggestion to follow.
        return None;
    }
    let renames = suggested_renames(&text);
    if renames.is_empty() {
        return None;
    }
    let after_text = renamed(&text, &renames);
    let after = nubesc::check_text("case.nubes", &after_text);
    let left: Vec<String> = after
        .diagnostics
        .iter()
        .filter(|d| d.is_error() || d.code == Code::Casing)
        .map(|d| format!("{}: {}", d.code.as_str(), d.message))
        .collect();
    if left.is_empty() {
        None
    } else {
        Some(format!(
            "`{name}` as {place:?}: suggested {renames:?}, then: {left:?}\n{after_text}"
        ))
    }
}

/// Names that are hard to rename well.
const AWKWARD: &[&str] = &[
    "_1x",
    "_1",
    "__2b",
    "_",
    "__",
    "x_1",
    "Fn",
    "FN",
    "Readonly",
    "Raises",
    "Import",
    "Object",
    "Struct",
    "Enum",
    "Error",
    "Self",
    "SELF",
    "Create",
    "GetLabel",
    "SetLabel",
    "Clone",
    "ToString",
    "Id",
    "string",
    "int",
    "map",
    "geoPoint",
    "date",
    "first_name",
    "HTTPServer",
    "snake_case_name",
    "UPPER",
    "a__b",
    "Price",
    "Restock",
    "Count",
];

#[test]
fn every_suggested_rename_of_an_awkward_name_passes_check() {
    let problems: Vec<String> = AWKWARD
        .iter()
        .flat_map(|name| PLACES.iter().filter_map(move |&place| problem(name, place)))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn every_suggested_rename_of_a_random_name_passes_check() {
    let seed = std::env::var("NUBES_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("NUBES_SEED={seed}");
    let mut rng = fastrand::Rng::with_seed(seed);
    let pieces = [
        "_", "_", "1", "9", "a", "B", "x", "Get", "set", "id", "To", "string", "fn", "Bar",
    ];
    let mut suggested = 0;
    for _ in 0..2_000 {
        let name: String = (0..rng.usize(1..5))
            .map(|_| pieces[rng.usize(..pieces.len())])
            .collect();
        if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            continue;
        }
        let place = PLACES[rng.usize(..PLACES.len())];
        suggested += usize::from(!suggested_renames(&schema(&name, place)).is_empty());
        if let Some(problem) = problem(&name, place) {
            panic!("NUBES_SEED={seed}: {problem}");
        }
    }
    assert!(suggested > 100, "only {suggested} names got a suggestion");
}

#[test]
fn the_test_schema_itself_is_clean() {
    let compilation = nubesc::check_text("case.nubes", &schema("price", Place::Field));
    assert!(
        compilation.diagnostics.is_empty(),
        "{:?}",
        compilation.diagnostics
    );
}
