//! Every Rust name in generated code comes from here: heck casing, Rust keywords escaped
//! as raw identifiers, and the few names that cannot be raw identifiers (`self`, `Self`,
//! `super`, `crate`, `_`) given a trailing underscore. The `.nubes` spelling stays the wire
//! name (serde renames), so escaping never changes the JSON.

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, Span};

/// Rust's strict and reserved keywords (2021 edition, plus `gen`, reserved in 2024).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that `r#` cannot escape.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

/// An identifier for a Rust spelling that may be a keyword.
pub fn ident(spelling: &str) -> Ident {
    let spelling = if spelling.is_empty() { "_" } else { spelling };
    let spelling = if spelling.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{spelling}")
    } else {
        spelling.to_string()
    };
    if NOT_RAW.contains(&spelling.as_str()) {
        Ident::new(&format!("{spelling}_"), Span::call_site())
    } else if KEYWORDS.contains(&spelling.as_str()) {
        Ident::new_raw(&spelling, Span::call_site())
    } else {
        Ident::new(&spelling, Span::call_site())
    }
}

/// The UpperCamelCase spelling of a `.nubes` name (types, variants).
pub fn camel(name: &str) -> String {
    let converted = name.to_upper_camel_case();
    if converted.is_empty() {
        "_".into()
    } else {
        converted
    }
}

/// The snake_case spelling of a `.nubes` name (fields, params, methods, modules).
pub fn snake(name: &str) -> String {
    let converted = name.to_snake_case();
    if converted.is_empty() {
        "_".into()
    } else {
        converted
    }
}

/// A type, struct, enum or error name.
pub fn type_ident(name: &str) -> Ident {
    ident(&camel(name))
}

/// An enum variant.
pub fn variant_ident(name: &str) -> Ident {
    ident(&camel(name))
}

/// A field, parameter or method name.
pub fn value_ident(name: &str) -> Ident {
    ident(&snake(name))
}

/// The module that holds an object type's generated items (`room::Id`, `room::Init` …).
pub fn module_ident(object: &str) -> Ident {
    ident(&snake(object))
}

/// A name made of a fixed prefix and a `.nubes` name: `get_rate`, `add_to_rooms`.
pub fn prefixed(prefix: &str, name: &str) -> Ident {
    ident(&format!("{prefix}_{}", snake(name).trim_start_matches('_')))
}

/// A name made of a `.nubes` name and a fixed suffix: `rooms_ids`.
pub fn suffixed(name: &str, suffix: &str) -> Ident {
    ident(&format!("{}_{suffix}", snake(name).trim_end_matches('_')))
}

/// A per-method type name: `ReserveArgs`, `ReserveError`.
pub fn method_type(method: &str, suffix: &str) -> Ident {
    ident(&format!(
        "{}{suffix}",
        camel(method).trim_start_matches('_')
    ))
}

/// The client's handle for one object (`client.room(id)`).
pub fn handle_fn(object: &str) -> Ident {
    value_ident(object)
}

/// The client's entry for all objects of a type (`client.rooms()`): a simple English
/// plural of the snake_case name, or `all_<name>` for a name that is its own plural
/// (`client.all_settings()` beside the handle `client.settings(id)`).
pub fn collection_fn(object: &str) -> Ident {
    let singular = snake(object);
    let plural = plural(&singular);
    if plural == singular {
        ident(&format!("all_{singular}"))
    } else {
        ident(&plural)
    }
}

/// The client's own methods: no object's entries may take these names. Besides its
/// constructor and `with_retry`, the client is `Clone`, and an inherent method of one of
/// these names would hide a trait method callers use.
pub const CLIENT_METHODS: [&str; 10] = [
    "new",
    "with_retry",
    "clone",
    "clone_from",
    "into",
    "try_into",
    "to_owned",
    "eq",
    "ne",
    "fmt",
];

/// The client's two entries for an object type, as plain text: its handle
/// (`client.room(id)`) and its collection (`client.rooms()`).
pub fn client_entries(object: &str) -> [(String, &'static str); 2] {
    let plain = |ident: Ident| {
        let text = ident.to_string();
        text.strip_prefix("r#").map(str::to_string).unwrap_or(text)
    };
    [
        (plain(handle_fn(object)), "handle"),
        (plain(collection_fn(object)), "collection"),
    ]
}

/// `room` → `rooms`, `city` → `cities`, `box` → `boxes`, `day` → `days`, `status` →
/// `statuses`; a word that already ends in a plural `s` (`settings`, `region_stats`)
/// stays as it is.
pub fn plural(word: &str) -> String {
    let singular_s = ["ss", "us", "is"].iter().any(|end| word.ends_with(end));
    if word.ends_with('s') && !singular_s && word.len() > 1 {
        return word.to_string();
    }
    let vowel_before_y = word
        .strip_suffix('y')
        .and_then(|stem| stem.chars().last())
        .is_some_and(|c| "aeiou".contains(c));
    if let Some(stem) = word.strip_suffix('y').filter(|_| !vowel_before_y) {
        if !stem.is_empty() {
            return format!("{stem}ies");
        }
    }
    if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|end| word.ends_with(end))
    {
        return format!("{word}es");
    }
    format!("{word}s")
}

/// The package name of one generated crate: `hotel-model`.
pub fn package(app: &str, part: &str) -> String {
    format!("{app}-{part}")
}

/// The crate identifier of one generated crate, as Rust code names it: `hotel_model`.
pub fn crate_ident(app: &str, part: &str) -> Ident {
    Ident::new(&package(app, part).replace('-', "_"), Span::call_site())
}

/// The default application name of the schema at `path`: [`app_name`] of its file name
/// without the extension.
pub fn app_name_of(path: &std::path::Path) -> String {
    app_name(
        &path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default(),
    )
}

/// A valid application name (a Cargo package name prefix) derived from a file stem:
/// lowercase letters, digits and `-`, starting with a letter.
pub fn app_name(stem: &str) -> String {
    let name: String = stem
        .to_snake_case()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let name = name.trim_matches('-').to_string();
    if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name
    } else {
        format!("app-{name}")
    }
}

/// True when `name` can be an application name as given (`--name`).
pub fn is_valid_app_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_escaped_and_unescapable_ones_renamed() {
        assert_eq!(value_ident("type").to_string(), "r#type");
        assert_eq!(value_ident("match").to_string(), "r#match");
        assert_eq!(value_ident("self").to_string(), "self_");
        assert_eq!(value_ident("super").to_string(), "super_");
        assert_eq!(value_ident("crate").to_string(), "crate_");
        assert_eq!(type_ident("Self").to_string(), "Self_");
        assert_eq!(value_ident("_").to_string(), "__");
        assert_eq!(value_ident("firstName").to_string(), "first_name");
        assert_eq!(type_ident("geo_point").to_string(), "GeoPoint");
        assert_eq!(prefixed("get", "self").to_string(), "get_self");
        assert_eq!(suffixed("type", "ids").to_string(), "type_ids");
    }

    #[test]
    fn plurals_follow_english_spelling() {
        let cases = [
            ("room", "rooms"),
            ("city", "cities"),
            ("day", "days"),
            ("box", "boxes"),
            ("match", "matches"),
            ("status", "statuses"),
            ("class", "classes"),
            ("settings", "settings"),
            ("region_stats", "region_stats"),
            ("s", "ses"),
            ("y", "ys"),
        ];
        for (word, expected) in cases {
            assert_eq!(plural(word), expected, "{word}");
        }
    }

    #[test]
    fn a_name_that_is_its_own_plural_gets_all_before_it() {
        assert_eq!(collection_fn("Settings").to_string(), "all_settings");
        assert_eq!(handle_fn("Settings").to_string(), "settings");
        assert_eq!(collection_fn("Room").to_string(), "rooms");
    }

    #[test]
    fn app_names_are_valid_package_names() {
        assert_eq!(app_name("hotel"), "hotel");
        assert_eq!(app_name("Hotel Booking"), "hotel-booking");
        assert_eq!(app_name("all_type_forms"), "all-type-forms");
        assert_eq!(app_name("1st"), "app-1st");
        assert!(is_valid_app_name("hotel-2"));
        assert!(!is_valid_app_name("Hotel"));
        assert!(!is_valid_app_name("-x"));
    }
}
