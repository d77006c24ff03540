//! `nubesc graph`, through the real command line.
//!
//! - Every case of [`CASES`] is drawn in both formats and compared with
//!   `tests/golden/graph/<case>.mmd` and `<case>.dot`; a case drawn with methods also with
//!   `<case>.methods.mmd` and `<case>.methods.dot`. `tests/golden/graph/` also holds the
//!   inputs written for these tests alone.
//! - Every relationship of a schema, worked out here from its IR, is one edge of each
//!   format, whichever side it is read from; so is every reference held by a struct or
//!   error that is drawn.
//! - No Mermaid diagram trips its parser: one without objects still has a statement, the
//!   word `direction` never appears as it is, and no method shows `raises` as its return
//!   type.
//! - The Mermaid diagram in docs/guide.md is the blessed one of the hotel.
//!
//! `NUBES_BLESS=1 cargo test -p nubesc --test graph` rewrites the expected files and the
//! guide's diagram.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use nubesc::ir::{FieldRef, FieldRole, Schema, Type};

#[path = "support/run.rs"]
mod run;

use run::{blessing, compare, nubesc, workspace_root};

fn golden_dir() -> PathBuf {
    workspace_root().join("tests/golden/graph")
}

/// `(case, input relative to the workspace root, drawn with methods too)`.
const CASES: &[(&str, &str, bool)] = &[
    ("hotel", "examples/hotel.nubes", true),
    (
        "self_relation",
        "tests/golden/pass/self_relation.nubes",
        false,
    ),
    ("tracked", "tests/golden/pass/tracked.nubes", false),
    ("enum_id", "tests/golden/pass/enum_id.nubes", true),
    ("methods", "tests/golden/pass/methods.nubes", true),
    (
        "all_type_forms",
        "tests/golden/pass/all_type_forms.nubes",
        false,
    ),
    ("quoting", "tests/golden/graph/quoting.nubes", true),
    ("no_objects", "tests/golden/graph/no_objects.nubes", false),
    ("direction", "tests/golden/graph/direction.nubes", false),
    (
        "struct_references",
        "tests/golden/graph/struct_references.nubes",
        true,
    ),
];

const GUIDE: &str = "docs/guide.md";
const GUIDE_SECTION: &str = "## Drawing the schema";

/// The diagram of `input`, which must draw cleanly apart from warnings.
fn graph(input: &str, extra: &[&str]) -> String {
    let mut args = vec!["graph", "--color", "never"];
    args.extend_from_slice(extra);
    args.push(input);
    let outcome = nubesc(&args);
    assert_eq!(
        outcome.exit,
        0,
        "`nubesc {}` failed:\n{}",
        args.join(" "),
        outcome.stderr
    );
    outcome.stdout
}

fn schema(input: &str) -> Schema {
    let path = workspace_root().join(input);
    let compilation = nubesc::check_path(&path)
        .unwrap_or_else(|error| panic!("cannot read {input}: {}", error.message()));
    compilation
        .schema
        .unwrap_or_else(|| panic!("{input} has errors"))
}

/// The expected files of every case: `(file name, the flags that draw it)`.
fn expected_files() -> Vec<(String, &'static str, Vec<&'static str>)> {
    let mut files = Vec::new();
    for &(case, input, methods) in CASES {
        files.push((format!("{case}.mmd"), input, vec![]));
        files.push((format!("{case}.dot"), input, vec!["--format", "dot"]));
        if methods {
            files.push((format!("{case}.methods.mmd"), input, vec!["--methods"]));
            files.push((
                format!("{case}.methods.dot"),
                input,
                vec!["--methods", "--format", "dot"],
            ));
        }
    }
    files
}

#[test]
fn diagrams_match_the_blessed_files() {
    let problems: Vec<String> = expected_files()
        .into_iter()
        .filter_map(|(name, input, flags)| {
            compare(&golden_dir().join(name), Some(&graph(input, &flags)))
        })
        .collect();
    assert!(
        problems.is_empty(),
        "{} problem(s); bless with NUBES_BLESS=1 after reviewing:\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

#[test]
fn the_graph_folder_holds_only_cases_and_their_diagrams() {
    let mut known: BTreeSet<String> = expected_files()
        .into_iter()
        .map(|(name, ..)| name)
        .collect();
    for &(_, input, _) in CASES {
        if let Some(name) = input.strip_prefix("tests/golden/graph/") {
            known.insert(name.to_string());
        }
    }
    let entries = fs::read_dir(golden_dir()).expect("tests/golden/graph is listable");
    let strays: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| !known.contains(name))
        .collect();
    assert!(
        strays.is_empty(),
        "files in tests/golden/graph that no case draws or reads: {strays:?}"
    );
}

#[test]
fn mermaid_is_the_default_format() {
    let input = "examples/hotel.nubes";
    assert_eq!(graph(input, &[]), graph(input, &["--format", "mermaid"]));
    assert!(graph(input, &[]).starts_with("classDiagram\n"));
    assert!(graph(input, &["--format", "dot"]).starts_with("digraph "));
}

#[test]
fn output_is_the_same_bytes_every_run() {
    for flags in [&["--methods"][..], &["--methods", "--format", "dot"]] {
        let first = graph("examples/hotel.nubes", flags);
        assert_eq!(first, graph("examples/hotel.nubes", flags));
    }
}

#[test]
fn methods_are_drawn_only_when_asked_for() {
    let plain = graph("examples/hotel.nubes", &[]);
    let with = graph("examples/hotel.nubes", &["--methods"]);
    for text in [
        "recommendByRate(count: Int) [Hotel]",
        "readonly login(password: String) Bool",
    ] {
        assert!(!plain.contains(text), "drawn without --methods: {text}");
        assert!(with.contains(text), "not drawn with --methods: {text}");
    }
    let reserve = "reserve(guest: User, checkIn: Date, checkOut: Date) Reservation";
    assert!(with.contains(&format!("{reserve} raises Overlap, InvalidDates")));
    // The errors come with the methods that raise them.
    assert!(!plain.contains("class Overlap"));
    assert!(with.contains("class Overlap {\n        <<error>>\n"));
}

#[test]
fn a_schema_with_errors_exits_1_with_diagnostics_and_draws_nothing() {
    let outcome = nubesc(&[
        "graph",
        "--color",
        "never",
        "tests/golden/fail/rel_has_one_inverse_missing.nubes",
    ]);
    assert_eq!(outcome.exit, 1, "{}", outcome.stderr);
    assert_eq!(outcome.stdout, "");
    assert!(outcome.stderr.contains("nubes::E031"), "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("error: `tests/golden/fail/rel_has_one_inverse_missing.nubes` has 1 error"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn a_missing_file_exits_2() {
    let outcome = nubesc(&["graph", "--color", "never", "no/such/schema.nubes"]);
    assert_eq!(outcome.exit, 2, "{}", outcome.stderr);
    assert_eq!(outcome.stdout, "");
    assert!(
        outcome.stderr.contains("no/such/schema.nubes"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn an_unknown_format_is_a_usage_error() {
    let outcome = nubesc(&["graph", "--format", "svg", "examples/hotel.nubes"]);
    assert_eq!(outcome.exit, 2, "{}", outcome.stderr);
    assert_eq!(outcome.stdout, "");
    assert!(outcome.stderr.contains("svg"), "{}", outcome.stderr);
    assert!(outcome.stderr.contains("mermaid"), "{}", outcome.stderr);
}

#[test]
fn help_names_the_formats() {
    let outcome = nubesc(&["graph", "--help"]);
    assert_eq!(outcome.exit, 0, "{}", outcome.stderr);
    for word in ["--format", "mermaid", "dot", "--methods", "FILE"] {
        assert!(
            outcome.stdout.contains(word),
            "no `{word}` in:\n{}",
            outcome.stdout
        );
    }
}

// ---------------------------------------------------------------------------------------
// Every relationship exactly once
// ---------------------------------------------------------------------------------------

/// One side of a relationship: `(type, field)`.
type Side = (String, String);

/// The relationships of `schema`, each as the set of its sides: a one-to-many or
/// many-to-many pair has two (one when a list is its own inverse), a reference one. The
/// references of a struct or error count when `drawn` says its box is drawn.
fn relationships(schema: &Schema, drawn: impl Fn(&str) -> bool) -> Vec<BTreeSet<Side>> {
    let side = |at: FieldRef| (schema[at.object].name.clone(), schema[at].name.clone());
    let mut found: Vec<BTreeSet<Side>> = Vec::new();
    for (object_index, object) in schema.objects.iter().enumerate() {
        for (field_index, field) in object.fields.iter().enumerate() {
            let at = FieldRef {
                object: nubesc::ir::ObjectId(object_index as u32),
                field: nubesc::ir::FieldId(field_index as u32),
            };
            let sides: BTreeSet<Side> = match field.role {
                FieldRole::Navigation { inverse, .. } => [side(at), side(inverse)].into(),
                FieldRole::Reference {
                    inverse: Some(list),
                } => [side(at), side(list)].into(),
                FieldRole::Id => continue,
                _ if mentions_object(&field.ty) => [side(at)].into(),
                _ => continue,
            };
            if !found.contains(&sides) {
                found.push(sides);
            }
        }
    }
    let holders = schema
        .structs
        .iter()
        .map(|item| (&item.name, &item.fields))
        .chain(schema.errors.iter().map(|item| (&item.name, &item.fields)));
    for (name, fields) in holders.filter(|(name, _)| drawn(name)) {
        for field in fields.iter().filter(|field| mentions_object(&field.ty)) {
            found.push([(name.clone(), field.name.clone())].into());
        }
    }
    found
}

fn mentions_object(ty: &Type) -> bool {
    match ty {
        Type::Object(_) => true,
        Type::Optional(inner) | Type::List(inner) | Type::Map(inner) => mentions_object(inner),
        _ => false,
    }
}

/// An edge's sides: the label's first field on the tail, its second on the head.
fn sides(tail: &str, head: &str, label: &str) -> BTreeSet<Side> {
    label
        .split(" / ")
        .zip([tail, head])
        .map(|(field, owner)| (owner.to_string(), field.to_string()))
        .collect()
}

/// A Mermaid class id as the type's name: `` `@note` `` is `note`.
fn mermaid_name(id: &str) -> String {
    mermaid_plain(id.trim_matches('`').trim_start_matches('@'))
}

/// Text as Mermaid shows it, for the entity codes names and labels can hold.
fn mermaid_plain(text: &str) -> String {
    text.replace("#100;", "d")
}

/// The edges of a Mermaid diagram: `City "1" -- "*" Hotel : hotels / city`.
fn mermaid_edges(diagram: &str) -> Vec<BTreeSet<Side>> {
    diagram
        .lines()
        .filter(|line| line.contains(" -- ") || line.contains(" --> "))
        .map(|line| {
            let (ends, label) = line.split_once(" : ").expect("an edge has a label");
            let words: Vec<&str> = ends.split_whitespace().collect();
            let tail = mermaid_name(words[0]);
            let head = mermaid_name(words[words.len() - 1]);
            sides(&tail, &head, &mermaid_plain(label))
        })
        .collect()
}

/// The edges of a DOT diagram: `"City" -> "Hotel" [..., label="hotels / city"];`.
fn dot_edges(diagram: &str) -> Vec<BTreeSet<Side>> {
    diagram
        .lines()
        .filter(|line| line.contains(" -> "))
        .map(|line| {
            let quoted: Vec<&str> = line.split('"').collect();
            let (_, after) = line.split_once(", label=\"").expect("an edge has a label");
            let label = after.split('"').next().unwrap_or_default();
            sides(quoted[1], quoted[3], label)
        })
        .collect()
}

fn assert_each_once(
    case: &str,
    format: &str,
    expected: &[BTreeSet<Side>],
    drawn: &[BTreeSet<Side>],
) {
    for relationship in expected {
        let times = drawn.iter().filter(|edge| *edge == relationship).count();
        assert_eq!(
            times, 1,
            "{case} ({format}): {relationship:?} is drawn {times} times"
        );
    }
    assert_eq!(
        drawn.len(),
        expected.len(),
        "{case} ({format}): {} edges for {} relationships: {drawn:?}",
        drawn.len(),
        expected.len()
    );
}

/// True when the DOT diagram draws a box for the type `name`.
fn dot_draws(dot: &str, name: &str) -> bool {
    dot.contains(&format!("    \"{name}\" [label=<"))
}

#[test]
fn every_relationship_is_one_edge_in_both_formats() {
    for &(case, input, methods) in CASES {
        let mut flag_sets = vec![vec![]];
        if methods {
            flag_sets.push(vec!["--methods"]);
        }
        for flags in flag_sets {
            let dot_flags = [&flags[..], &["--format", "dot"]].concat();
            let dot = graph(input, &dot_flags);
            let expected = relationships(&schema(input), |name| dot_draws(&dot, name));
            let mermaid = mermaid_edges(&graph(input, &flags));
            let case = format!("{case} {}", flags.join(" "));
            assert_each_once(&case, "mermaid", &expected, &mermaid);
            assert_each_once(&case, "dot", &expected, &dot_edges(&dot));
        }
    }
    // The hotel has four pairs, each with a list on one side and a reference or list back.
    let hotel = relationships(&schema("examples/hotel.nubes"), |_| false);
    assert_eq!(hotel.len(), 4);
    assert!(hotel.iter().all(|sides| sides.len() == 2));
}

#[test]
fn references_held_by_drawn_structs_and_errors_are_edges() {
    let input = "tests/golden/graph/struct_references.nubes";
    let plain = graph(input, &[]);
    for edge in [
        "Loc --> \"1\" Node : near",
        "Loc --> \"*\" Node : far",
        "Loc --> \"*\" Node : byName",
        "Inner --> \"0..1\" Node : back",
    ] {
        assert!(plain.contains(edge), "no `{edge}` in:\n{plain}");
    }
    // Neither `Unused` nor what only methods use is drawn, nor are their references.
    for name in ["Unused", "Args", "Lost"] {
        assert!(!plain.contains(name), "`{name}` drawn in:\n{plain}");
    }
    let with = graph(input, &["--methods"]);
    for edge in ["Args --> \"1\" Node : to", "Lost --> \"1\" Node : at"] {
        assert!(with.contains(edge), "no `{edge}` in:\n{with}");
    }
    assert!(!with.contains("Unused"), "{with}");
}

// ---------------------------------------------------------------------------------------
// What Mermaid's parser would misread
// ---------------------------------------------------------------------------------------

/// Every Mermaid diagram of the cases, with the flags that draw it.
fn mermaid_diagrams() -> Vec<(String, String)> {
    expected_files()
        .into_iter()
        .filter(|(name, ..)| name.ends_with(".mmd"))
        .map(|(name, input, flags)| (name, graph(input, &flags)))
        .collect()
}

#[test]
fn a_schema_without_objects_draws_a_note() {
    let diagram = graph("tests/golden/graph/no_objects.nubes", &[]);
    // Mermaid's grammar wants a statement after `classDiagram`.
    assert_eq!(
        diagram,
        "classDiagram\n    note \"the schema declares no object types\"\n"
    );
    let dot = graph("tests/golden/graph/no_objects.nubes", &["--format", "dot"]);
    assert!(dot.starts_with("digraph schema {\n"), "{dot}");
    assert!(!dot.contains("label=<"), "{dot}");
    assert!(
        dot.contains("label=\"the schema declares no object types\"];\n"),
        "{dot}"
    );
}

/// Mermaid's lexer reads `.*direction\s+TB[^\n]*` (and `BT`, `RL`, `LR`) as a `direction`
/// statement before anything else, across line ends; the word never appears as it is.
#[test]
fn no_mermaid_diagram_holds_the_word_direction() {
    for (name, diagram) in mermaid_diagrams() {
        assert!(
            !diagram.contains("direction"),
            "{name}: `direction` in:\n{diagram}"
        );
    }
    // Each edge whose line ends in the word is followed by one starting with `BT`, `LR`
    // or `TB`; all six are there.
    let diagram = graph("tests/golden/graph/direction.nubes", &[]);
    let edges = mermaid_edges(&diagram);
    assert_eq!(edges.len(), 6, "{diagram}");
    assert!(
        diagram.contains("    BTree --> \"0..1\" Street : #100;irection\n    BTree --> "),
        "{diagram}"
    );
}

/// What Mermaid takes for a method's return type: the text after the last `)` (its
/// pattern is `(.+)\((.*)\)([\s$*])?(.*)`), shown after a colon.
fn mermaid_return_type(method: &str) -> Option<&str> {
    let open = method.rfind('(')?;
    let close = method.rfind(')').filter(|close| *close > open)?;
    Some(method[close + 1..].trim())
}

#[test]
fn no_mermaid_method_shows_raises_as_its_return_type() {
    let mut checked = 0;
    for (name, diagram) in mermaid_diagrams() {
        for line in diagram.lines().filter(|line| line.starts_with("        ")) {
            let Some(returns) = mermaid_return_type(line.trim()) else {
                continue;
            };
            checked += 1;
            assert!(
                !returns.starts_with("raises"),
                "{name}: Mermaid shows `{}` as returning `{returns}`",
                line.trim()
            );
        }
    }
    assert!(checked > 10, "only {checked} methods checked");
    let methods = graph("tests/golden/pass/methods.nubes", &["--methods"]);
    assert!(
        methods.contains("        close() raises(Closed)\n"),
        "{methods}"
    );
    assert!(
        methods.contains("        transfer(room: Room, to: Hotel) raises(Closed, SoldOut)\n"),
        "{methods}"
    );
}

// ---------------------------------------------------------------------------------------
// The guide
// ---------------------------------------------------------------------------------------

/// Where the first ```mermaid block after the guide's drawing section starts and ends.
fn guide_block(guide: &str) -> (usize, usize) {
    let section = guide
        .find(GUIDE_SECTION)
        .unwrap_or_else(|| panic!("{GUIDE} has no `{GUIDE_SECTION}` section"));
    let fence = "```mermaid\n";
    let start = guide[section..]
        .find(fence)
        .map(|at| section + at + fence.len())
        .unwrap_or_else(|| panic!("{GUIDE}: no ```mermaid block in `{GUIDE_SECTION}`"));
    let end = guide[start..]
        .find("```\n")
        .map(|at| start + at)
        .unwrap_or_else(|| panic!("{GUIDE}: the ```mermaid block is not closed"));
    (start, end)
}

#[test]
fn the_guide_shows_the_blessed_hotel_diagram() {
    let path = workspace_root().join(GUIDE);
    let guide = fs::read_to_string(&path).expect("docs/guide.md is readable");
    let (start, end) = guide_block(&guide);
    if blessing() {
        let fresh = graph("examples/hotel.nubes", &[]);
        let updated = format!("{}{fresh}{}", &guide[..start], &guide[end..]);
        fs::write(&path, updated).expect("docs/guide.md is writable");
        return;
    }
    let golden = fs::read_to_string(golden_dir().join("hotel.mmd")).expect("hotel.mmd is blessed");
    assert_eq!(
        &guide[start..end],
        golden,
        "the diagram in {GUIDE} is not tests/golden/graph/hotel.mmd; bless with NUBES_BLESS=1"
    );
}
