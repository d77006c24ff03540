//! Diagrams of a checked schema, as `nubesc graph` prints them: a Mermaid class diagram
//! or a Graphviz `digraph` of the object types, their fields, their relationships and,
//! on request, their methods.
//!
//! What is drawn is decided once, from the IR, by [`Diagram::of`]; each format only spells
//! it. A box is drawn per object type, then per struct and enum that objects use (through
//! fields, other structs and, with methods, signatures), then, with methods, per error
//! a method raises. An edge is drawn per relationship, once for both of its sides:
//!
//! - a one-to-many pair, from the type with the list (`1`, or `0..1` when the reference
//!   back is optional) to the type of its elements (`*`), labelled `list / back`;
//! - a many-to-many pair (`*` to `*`), from the side declared first, labelled with both
//!   lists, or with the one list of a symmetric self relation;
//! - a plain reference (`O` is `1`, `O?` is `0..1`, a list or map of `O` is `*`), from
//!   the type holding it (an object, or a struct or error that is drawn), labelled with
//!   the field.
//!
//! Pairs can be navigated from both sides and are drawn as plain lines, as UML draws an
//! association navigable both ways; a reference is navigable from its holder only and
//! has an arrowhead. Everything comes out in schema order, so the same schema gives the
//! same bytes.
//!
//! Mermaid's class-diagram parser has traps the Mermaid writer steps around: a diagram
//! needs at least one statement (a schema without objects gets a note saying so), some
//! words are keywords wherever they stand (names are quoted, see `mermaid_id`), the
//! word `direction` starts a statement that can swallow the next line (it is always
//! written with an entity code), and whatever follows a method's parameters is shown as
//! its return type (a method without one lists its errors as `raises(E)`).

use crate::ir::{
    Cardinality, ErrorId, Field, FieldId, FieldRef, FieldRole, Method, Object, ObjectId, Schema,
    StructId, Type,
};

/// The diagram language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A Mermaid `classDiagram`, which GitHub and many editors render in Markdown.
    Mermaid,
    /// A Graphviz `digraph`, to render with `dot -Tsvg`.
    Dot,
}

/// What to draw and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// The diagram language.
    pub format: Format,
    /// Also draw each object's methods, and the errors they raise.
    pub methods: bool,
}

/// The diagram of `schema` in the language and with the detail `options` ask for.
pub fn draw(schema: &Schema, options: Options) -> String {
    let diagram = Diagram::of(schema, options.methods);
    match options.format {
        Format::Mermaid => mermaid(&diagram),
        Format::Dot => dot(&diagram),
    }
}

// ---------------------------------------------------------------------------------------
// What is drawn
// ---------------------------------------------------------------------------------------

/// Everything a diagram shows, independent of the language it is written in.
#[derive(Debug)]
pub struct Diagram<'a> {
    /// One box per type drawn, objects first, each kind in schema order.
    pub boxes: Vec<TypeBox<'a>>,
    /// One edge per relationship, in the order of the field that anchors it.
    pub edges: Vec<Edge<'a>>,
}

/// A type drawn as a box.
#[derive(Debug)]
pub struct TypeBox<'a> {
    /// The type name as written.
    pub name: &'a str,
    /// `struct`, `enumeration` or `error`; `None` for an object type.
    pub stereotype: Option<&'static str>,
    /// One line per field (`@readonly city: City`) or enum variant, in source order.
    pub members: Vec<String>,
    /// The methods, when they are drawn.
    pub methods: Vec<Signature<'a>>,
}

/// A method as a box lists it.
#[derive(Debug)]
pub struct Signature<'a> {
    /// `readonly fn`.
    pub readonly: bool,
    /// The method name.
    pub name: &'a str,
    /// `name: Type` per parameter.
    pub params: Vec<String>,
    /// The return type; `None` for unit.
    pub returns: Option<String>,
    /// The names of the errors it raises.
    pub raises: Vec<&'a str>,
}

/// A relationship, drawn once for both of its sides.
#[derive(Debug, PartialEq, Eq)]
pub struct Edge<'a> {
    /// The type the edge starts from: the one-to-many parent, the many-to-many side
    /// declared first, or the type holding a reference.
    pub tail: &'a str,
    /// The type the edge goes to.
    pub head: &'a str,
    /// How many `tail`s one `head` is related to; `None` for a plain reference, which
    /// says nothing about it.
    pub tail_end: Option<&'static str>,
    /// How many `head`s one `tail` is related to.
    pub head_end: &'static str,
    /// The field of `tail`, then, for a pair, ` / ` and the field of `head` (a symmetric
    /// self relation has one field, named once).
    pub label: String,
    /// True for a pair, which both sides can navigate.
    pub both_ways: bool,
}

impl<'a> Diagram<'a> {
    /// What to draw for `schema`; `methods` adds the methods and the errors they raise.
    pub fn of(schema: &'a Schema, methods: bool) -> Self {
        let used = Used::of(schema, methods);
        let objects = schema
            .objects
            .iter()
            .map(|object| object_box(schema, object, methods));
        let structs = schema
            .structs
            .iter()
            .enumerate()
            .filter(|(index, _)| used.structs[*index])
            .map(|(_, item)| fields_box(schema, &item.name, "struct", &item.fields));
        let enums = schema
            .enums
            .iter()
            .enumerate()
            .filter(|(index, _)| used.enums[*index])
            .map(|(_, item)| TypeBox {
                name: &item.name,
                stereotype: Some("enumeration"),
                members: item.variants.iter().map(|v| v.name.clone()).collect(),
                methods: Vec::new(),
            });
        let errors = schema
            .errors
            .iter()
            .enumerate()
            .filter(|(index, _)| used.errors[*index])
            .map(|(_, item)| fields_box(schema, &item.name, "error", &item.fields));
        Diagram {
            boxes: objects.chain(structs).chain(enums).chain(errors).collect(),
            edges: edges(schema, &used),
        }
    }
}

fn object_box<'a>(schema: &'a Schema, object: &'a Object, methods: bool) -> TypeBox<'a> {
    let members = object
        .fields
        .iter()
        .map(|field| field_line(schema, field))
        .collect();
    let methods = if methods {
        object
            .methods
            .iter()
            .map(|method| signature(schema, method))
            .collect()
    } else {
        Vec::new()
    };
    TypeBox {
        name: &object.name,
        stereotype: None,
        members,
        methods,
    }
}

fn fields_box<'a>(
    schema: &Schema,
    name: &'a str,
    stereotype: &'static str,
    fields: &[Field],
) -> TypeBox<'a> {
    TypeBox {
        name,
        stereotype: Some(stereotype),
        members: fields
            .iter()
            .map(|field| field_line(schema, field))
            .collect(),
        methods: Vec::new(),
    }
}

/// `@id name: String`, `@readonly city: City`, `@tracked posts: [Post]`, `rate: Float`.
fn field_line(schema: &Schema, field: &Field) -> String {
    let tracked = matches!(field.role, FieldRole::Navigation { tracked: true, .. });
    let mark = if field.role == FieldRole::Id {
        "@id "
    } else if field.readonly {
        "@readonly "
    } else if tracked {
        "@tracked "
    } else {
        ""
    };
    format!("{mark}{}: {}", field.name, type_text(schema, &field.ty))
}

fn signature<'a>(schema: &'a Schema, method: &'a Method) -> Signature<'a> {
    Signature {
        readonly: method.readonly,
        name: &method.name,
        params: method
            .params
            .iter()
            .map(|param| format!("{}: {}", param.name, type_text(schema, &param.ty)))
            .collect(),
        returns: method.returns.as_ref().map(|ty| type_text(schema, ty)),
        raises: method
            .raises
            .iter()
            .map(|error| schema[*error].name.as_str())
            .collect(),
    }
}

/// A type as `.nubes` writes it: `[Room]`, `Date?`, `Map<String, [Int]>`.
pub fn type_text(schema: &Schema, ty: &Type) -> String {
    match ty {
        Type::String => "String".to_string(),
        Type::Int => "Int".to_string(),
        Type::Float => "Float".to_string(),
        Type::Bool => "Bool".to_string(),
        Type::Bytes => "Bytes".to_string(),
        Type::Timestamp => "Timestamp".to_string(),
        Type::Date => "Date".to_string(),
        Type::Struct(id) => schema[*id].name.clone(),
        Type::Enum(id) => schema[*id].name.clone(),
        Type::Object(id) => schema[*id].name.clone(),
        Type::Optional(inner) => format!("{}?", type_text(schema, inner)),
        Type::List(inner) => format!("[{}]", type_text(schema, inner)),
        Type::Map(inner) => format!("Map<String, {}>", type_text(schema, inner)),
    }
}

/// The structs, enums and errors a diagram draws, indexed like the schema's lists.
struct Used {
    structs: Vec<bool>,
    enums: Vec<bool>,
    errors: Vec<bool>,
}

impl Used {
    /// The structs and enums that objects' fields use, directly or through structs, and
    /// with `methods`, those of signatures and the errors raised and what their fields use.
    fn of(schema: &Schema, methods: bool) -> Self {
        let mut used = Used {
            structs: vec![false; schema.structs.len()],
            enums: vec![false; schema.enums.len()],
            errors: vec![false; schema.errors.len()],
        };
        for object in &schema.objects {
            for field in &object.fields {
                used.ty(schema, &field.ty);
            }
            if methods {
                for method in &object.methods {
                    used.method(schema, method);
                }
            }
        }
        used
    }

    fn method(&mut self, schema: &Schema, method: &Method) {
        for param in &method.params {
            self.ty(schema, &param.ty);
        }
        if let Some(returns) = &method.returns {
            self.ty(schema, returns);
        }
        for error in &method.raises {
            self.error(schema, *error);
        }
    }

    fn ty(&mut self, schema: &Schema, ty: &Type) {
        match ty {
            Type::Struct(id) => self.structure(schema, *id),
            Type::Enum(id) => self.enums[id.index()] = true,
            Type::Optional(inner) | Type::List(inner) | Type::Map(inner) => self.ty(schema, inner),
            _ => {}
        }
    }

    fn structure(&mut self, schema: &Schema, id: StructId) {
        if !std::mem::replace(&mut self.structs[id.index()], true) {
            for field in &schema[id].fields {
                self.ty(schema, &field.ty);
            }
        }
    }

    fn error(&mut self, schema: &Schema, id: ErrorId) {
        if !std::mem::replace(&mut self.errors[id.index()], true) {
            for field in &schema[id].fields {
                self.ty(schema, &field.ty);
            }
        }
    }
}

/// Every relationship of `schema`, each anchored at one of its fields: the list of a
/// one-to-many pair, the side of a many-to-many pair declared first, the field of a
/// reference; then the references held by the structs and errors drawn (`used`), in the
/// order their boxes are.
fn edges<'a>(schema: &'a Schema, used: &Used) -> Vec<Edge<'a>> {
    let mut edges = Vec::new();
    for (object_index, object) in schema.objects.iter().enumerate() {
        for (field_index, field) in object.fields.iter().enumerate() {
            let at = FieldRef {
                object: ObjectId(index_u32(object_index)),
                field: FieldId(index_u32(field_index)),
            };
            edges.extend(edge(schema, at, field));
        }
    }
    let structs = schema.structs.iter().map(|item| (&item.name, &item.fields));
    let errors = schema.errors.iter().map(|item| (&item.name, &item.fields));
    let drawn = structs.zip(&used.structs).chain(errors.zip(&used.errors));
    for ((name, fields), _) in drawn.filter(|(_, drawn)| **drawn) {
        edges.extend(fields.iter().filter_map(|f| reference(schema, name, f)));
    }
    edges
}

/// The edge anchored at `field` (which is `at`), if it anchors one.
fn edge<'a>(schema: &'a Schema, at: FieldRef, field: &'a Field) -> Option<Edge<'a>> {
    let here = &schema[at.object].name;
    match field.role {
        FieldRole::Navigation {
            cardinality: Cardinality::OneToMany,
            inverse,
            ..
        } => Some(one_to_many(schema, here, field, inverse)),
        FieldRole::Navigation {
            cardinality: Cardinality::ManyToMany,
            inverse,
            ..
        } => many_to_many(schema, here, field, at, inverse),
        // The other side of a one-to-many pair, drawn with its list.
        FieldRole::Reference { inverse: Some(_) } | FieldRole::Id => None,
        FieldRole::Reference { inverse: None } | FieldRole::ReferenceList | FieldRole::Value => {
            reference(schema, here, field)
        }
    }
}

/// The edge of the plain reference `field` of the type `holder`, if its type refers to an
/// object type.
fn reference<'a>(schema: &'a Schema, holder: &'a str, field: &Field) -> Option<Edge<'a>> {
    let (target, head_end) = referenced(&field.ty)?;
    Some(Edge {
        tail: holder,
        head: &schema[target].name,
        tail_end: None,
        head_end,
        label: field.name.clone(),
        both_ways: false,
    })
}

/// The pair of the one-to-many list `list` of `parent` and its reference `back`.
fn one_to_many<'a>(schema: &'a Schema, parent: &'a str, list: &Field, back: FieldRef) -> Edge<'a> {
    let back_field = &schema[back];
    Edge {
        tail: parent,
        head: &schema[back.object].name,
        tail_end: Some(if matches!(back_field.ty, Type::Optional(_)) {
            "0..1"
        } else {
            "1"
        }),
        head_end: "*",
        label: format!("{} / {}", list.name, back_field.name),
        both_ways: true,
    }
}

/// The pair of the many-to-many list `list` (which is `at`, of `here`) and `inverse`,
/// when `list` is the side declared first.
fn many_to_many<'a>(
    schema: &'a Schema,
    here: &'a str,
    list: &Field,
    at: FieldRef,
    inverse: FieldRef,
) -> Option<Edge<'a>> {
    let label = if inverse == at {
        list.name.clone()
    } else if (at.object, at.field) < (inverse.object, inverse.field) {
        format!("{} / {}", list.name, schema[inverse].name)
    } else {
        return None;
    };
    Some(Edge {
        tail: here,
        head: &schema[inverse.object].name,
        tail_end: Some("*"),
        head_end: "*",
        label,
        both_ways: true,
    })
}

/// The object type a field's type refers to, if any, and how many it holds: `O` one,
/// `O?` none or one, any list or map of `O` many.
fn referenced(ty: &Type) -> Option<(ObjectId, &'static str)> {
    match ty {
        Type::Object(target) => Some((*target, "1")),
        Type::Optional(inner) => match inner.as_ref() {
            Type::Object(target) => Some((*target, "0..1")),
            other => referenced(other),
        },
        Type::List(inner) | Type::Map(inner) => referenced(inner).map(|(target, _)| (target, "*")),
        _ => None,
    }
}

/// Positions in the IR's arenas come from `u32` ids, so they fit.
fn index_u32(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// `readonly isFree(checkIn: Date, checkOut: Date) -> Bool raises Closed`, as Graphviz
/// shows it.
fn signature_text(signature: &Signature<'_>) -> String {
    let mut line = call_text(signature);
    if let Some(returns) = &signature.returns {
        line.push_str(&format!(" -> {returns}"));
    }
    if !signature.raises.is_empty() {
        line.push_str(&format!(" raises {}", signature.raises.join(", ")));
    }
    line
}

/// `readonly isFree(checkIn: Date, checkOut: Date)`.
fn call_text(signature: &Signature<'_>) -> String {
    let readonly = if signature.readonly { "readonly " } else { "" };
    format!(
        "{readonly}{}({})",
        signature.name,
        signature.params.join(", ")
    )
}

// ---------------------------------------------------------------------------------------
// Mermaid
// ---------------------------------------------------------------------------------------

/// What a diagram without boxes says instead.
const NO_OBJECTS: &str = "the schema declares no object types";

/// The diagram as a Mermaid `classDiagram`.
pub fn mermaid(diagram: &Diagram<'_>) -> String {
    let mut out = String::from("classDiagram\n");
    if diagram.boxes.is_empty() {
        // Mermaid refuses a diagram without a statement.
        out.push_str(&format!("    note \"{}\"\n", mermaid_text(NO_OBJECTS)));
    }
    for type_box in &diagram.boxes {
        mermaid_box(&mut out, type_box);
    }
    for edge in &diagram.edges {
        let tail_end = edge
            .tail_end
            .map(|end| format!(" \"{end}\""))
            .unwrap_or_default();
        let arrow = if edge.both_ways { "--" } else { "-->" };
        out.push_str(&format!(
            "    {}{tail_end} {arrow} \"{}\" {} : {}\n",
            mermaid_id(edge.tail),
            edge.head_end,
            mermaid_id(edge.head),
            mermaid_text(&edge.label),
        ));
    }
    out
}

fn mermaid_box(out: &mut String, type_box: &TypeBox<'_>) {
    out.push_str(&format!(
        "    class {}{}",
        mermaid_id(type_box.name),
        mermaid_label(type_box.name)
    ));
    let mut lines: Vec<String> = type_box
        .stereotype
        .map(|s| format!("<<{s}>>"))
        .into_iter()
        .collect();
    lines.extend(type_box.members.iter().map(|member| mermaid_text(member)));
    lines.extend(
        type_box
            .methods
            .iter()
            .map(|signature| mermaid_text(&mermaid_signature(signature))),
    );
    if lines.is_empty() {
        out.push('\n');
        return;
    }
    out.push_str(" {\n");
    for line in lines {
        out.push_str(&format!("        {line}\n"));
    }
    out.push_str("    }\n");
}

/// A method as Mermaid reads it: the text after the parameters is the return type, which
/// it shows after a colon (`isFree(day: Date) : Bool raises Closed`). A method without one
/// lists its errors in the name's place, after the parameters (`close() raises(Closed)`),
/// so that they are not shown as a return type.
fn mermaid_signature(signature: &Signature<'_>) -> String {
    let call = call_text(signature);
    let raises = signature.raises.join(", ");
    match (&signature.returns, raises.is_empty()) {
        (Some(returns), true) => format!("{call} {returns}"),
        (Some(returns), false) => format!("{call} {returns} raises {raises}"),
        (None, true) => call,
        (None, false) => format!("{call} raises({raises})"),
    }
}

/// True when Mermaid can take `name` as a class id as it is. Its lexer reads words such as
/// `note`, `link`, `class` and `o` as keywords wherever they stand, even quoted, but has
/// none that starts with a capital letter; `direction` it finds anywhere in a line (see
/// [`mermaid_text`]).
fn is_plain_mermaid_id(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.contains("direction")
}

/// The id of a class: the name itself when it can be, else the name quoted in backticks
/// behind an `@`, which keeps any keyword from starting the quoted text.
fn mermaid_id(name: &str) -> String {
    if is_plain_mermaid_id(name) {
        name.to_string()
    } else {
        format!("`@{}`", mermaid_text(name))
    }
}

/// The label a class with a quoted id needs to show its name as written.
fn mermaid_label(name: &str) -> String {
    if is_plain_mermaid_id(name) {
        String::new()
    } else {
        format!("[\"{}\"]", mermaid_text(name))
    }
}

/// Text Mermaid shows as it is: the characters its syntax or HTML would take for markup
/// become entity codes (`Map<String, Int>` is `Map#lt;String, Int#gt;`), and so does the
/// `d` of `direction`, which Mermaid's lexer reads before anything else as the start of a
/// `direction TB` statement running on to the next line (`#100;irection`).
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        if text[at..].starts_with("direction") {
            out.push_str("#100;");
            continue;
        }
        match c {
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '"' => out.push_str("#quot;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            '{' => out.push_str("#123;"),
            '}' => out.push_str("#125;"),
            '~' => out.push_str("#126;"),
            '\n' | '\r' => out.push(' '),
            other => out.push(other),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Graphviz
// ---------------------------------------------------------------------------------------

/// The diagram as a Graphviz `digraph` with one HTML-table node per box.
pub fn dot(diagram: &Diagram<'_>) -> String {
    let mut out = String::from("digraph schema {\n");
    out.push_str("    node [shape=plain, fontname=\"Helvetica\", fontsize=11];\n");
    out.push_str(
        "    edge [fontname=\"Helvetica\", fontsize=10, arrowhead=vee, labeldistance=1.6];\n",
    );
    if diagram.boxes.is_empty() {
        out.push_str(&format!(
            "    graph [fontname=\"Helvetica\", fontsize=11, label={}];\n",
            dot_string(NO_OBJECTS)
        ));
    }
    for type_box in &diagram.boxes {
        dot_box(&mut out, type_box);
    }
    for edge in &diagram.edges {
        let mut attributes = Vec::new();
        if edge.both_ways {
            attributes.push("dir=none".to_string());
        }
        if let Some(end) = edge.tail_end {
            attributes.push(format!("taillabel={}", dot_string(end)));
        }
        attributes.push(format!("headlabel={}", dot_string(edge.head_end)));
        attributes.push(format!("label={}", dot_string(&edge.label)));
        out.push_str(&format!(
            "    {} -> {} [{}];\n",
            dot_string(edge.tail),
            dot_string(edge.head),
            attributes.join(", ")
        ));
    }
    out.push_str("}\n");
    out
}

fn dot_box(out: &mut String, type_box: &TypeBox<'_>) {
    let title = match type_box.stereotype {
        Some(stereotype) => format!(
            "&#171;{}&#187;<br/><b>{}</b>",
            html(stereotype),
            html(type_box.name)
        ),
        None => format!("<b>{}</b>", html(type_box.name)),
    };
    let table = "<table border=\"0\" cellborder=\"1\" cellspacing=\"0\" cellpadding=\"4\">";
    out.push_str(&format!(
        "    {} [label=<{table}\n",
        dot_string(type_box.name)
    ));
    out.push_str(&format!("        <tr><td>{title}</td></tr>\n"));
    let methods: Vec<String> = type_box.methods.iter().map(signature_text).collect();
    for compartment in [&type_box.members, &methods] {
        if compartment.is_empty() {
            continue;
        }
        let lines: String = compartment
            .iter()
            .map(|line| format!("{}<br align=\"left\"/>", html(line)))
            .collect();
        out.push_str(&format!(
            "        <tr><td align=\"left\">{lines}</td></tr>\n"
        ));
    }
    out.push_str("    </table>>];\n");
}

/// A double-quoted DOT string. Every id is quoted, so names such as `Node`, `Graph` or
/// `Edge`, keywords of the language in any case, are ids like any other.
fn dot_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push(' '),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

/// Text inside an HTML-like label.
fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mermaid_quotes_names_its_lexer_could_take_for_keywords() {
        assert_eq!(mermaid_id("City"), "City");
        assert_eq!(mermaid_id("Snake_Case2"), "Snake_Case2");
        assert_eq!(mermaid_id("note"), "`@note`");
        assert_eq!(mermaid_id("_self"), "`@_self`");
        assert_eq!(mermaid_label("note"), "[\"note\"]");
        assert_eq!(mermaid_label("City"), "");
        assert_eq!(mermaid_id("Redirection"), "`@Re#100;irection`");
        assert_eq!(mermaid_label("Redirection"), "[\"Re#100;irection\"]");
    }

    #[test]
    fn mermaid_text_never_holds_the_word_direction() {
        assert_eq!(mermaid_text("direction"), "#100;irection");
        assert_eq!(
            mermaid_text("a / sortdirection: [direction]"),
            "a / sort#100;irection: [#100;irection]"
        );
        assert_eq!(mermaid_text("Direction dir"), "Direction dir");
    }

    fn signature(returns: Option<&str>, raises: Vec<&'static str>) -> Signature<'static> {
        Signature {
            readonly: false,
            name: "go",
            params: vec!["to: Node".to_string()],
            returns: returns.map(str::to_string),
            raises,
        }
    }

    #[test]
    fn mermaid_never_shows_raises_as_a_return_type() {
        let cases = [
            (signature(None, vec![]), "go(to: Node)"),
            (signature(Some("Int"), vec![]), "go(to: Node) Int"),
            (
                signature(Some("Int"), vec!["A", "B"]),
                "go(to: Node) Int raises A, B",
            ),
            (signature(None, vec!["A", "B"]), "go(to: Node) raises(A, B)"),
        ];
        for (signature, expected) in cases {
            assert_eq!(mermaid_signature(&signature), expected);
        }
        assert_eq!(
            signature_text(&signature(Some("Int"), vec!["A"])),
            "go(to: Node) -> Int raises A"
        );
        assert_eq!(
            signature_text(&signature(None, vec!["A"])),
            "go(to: Node) raises A"
        );
    }

    #[test]
    fn mermaid_text_turns_markup_into_entity_codes() {
        assert_eq!(
            mermaid_text("m: Map<String, [Int]>"),
            "m: Map#lt;String, [Int]#gt;"
        );
        assert_eq!(
            mermaid_text("a\"b`c#d{e}~"),
            "a#quot;b#96;c#35;d#123;e#125;#126;"
        );
    }

    #[test]
    fn dot_strings_and_html_are_escaped() {
        assert_eq!(dot_string("Node"), "\"Node\"");
        assert_eq!(dot_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(
            html("Map<String, \"x\" & y>"),
            "Map&lt;String, &quot;x&quot; &amp; y&gt;"
        );
    }

    #[test]
    fn references_count_what_they_hold() {
        let object = || Box::new(Type::Object(ObjectId(3)));
        assert_eq!(
            referenced(&Type::Object(ObjectId(3))),
            Some((ObjectId(3), "1"))
        );
        assert_eq!(
            referenced(&Type::Optional(object())),
            Some((ObjectId(3), "0..1"))
        );
        assert_eq!(referenced(&Type::List(object())), Some((ObjectId(3), "*")));
        let optional_list = Type::Optional(Box::new(Type::List(object())));
        assert_eq!(referenced(&optional_list), Some((ObjectId(3), "*")));
        assert_eq!(referenced(&Type::Map(object())), Some((ObjectId(3), "*")));
        assert_eq!(referenced(&Type::List(Box::new(Type::Int))), None);
    }
}
