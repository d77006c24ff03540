//! The syntax tree: what the file says, with spans, before any name is resolved.
//! Only the checker reads it.

use crate::source::Span;

/// A name as written, with its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// The text of the name.
    pub name: String,
    /// Where it is written.
    pub span: Span,
}

/// One parsed file.
#[derive(Debug, Clone, Default)]
pub struct File {
    /// `import "…"` lines, in order.
    pub imports: Vec<Import>,
    /// Type declarations, in order.
    pub decls: Vec<TypeDecl>,
}

/// `import "path"`.
#[derive(Debug, Clone)]
pub struct Import {
    /// The path as written, without quotes.
    pub path: String,
    /// The span of the string literal.
    pub path_span: Span,
    /// The whole import line.
    pub span: Span,
}

/// The four kinds of type declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeclKind {
    /// `object`
    Object,
    /// `struct`
    Struct,
    /// `enum`
    Enum,
    /// `error`
    Error,
}

impl DeclKind {
    /// The keyword that introduces the declaration.
    pub fn keyword(self) -> &'static str {
        match self {
            DeclKind::Object => "object",
            DeclKind::Struct => "struct",
            DeclKind::Enum => "enum",
            DeclKind::Error => "error",
        }
    }
}

/// `object|struct|enum|error Name { … }`.
#[derive(Debug, Clone)]
pub struct TypeDecl {
    /// Which keyword introduced it.
    pub kind: DeclKind,
    /// The declared name.
    pub name: Ident,
    /// The `///` lines before it, joined with newlines.
    pub doc: Option<String>,
    /// Fields, in source order (empty for enums).
    pub fields: Vec<Field>,
    /// Methods, in source order (only objects may have them; the checker says so).
    pub methods: Vec<Method>,
    /// Variants, in source order (enums only).
    pub variants: Vec<Variant>,
    /// True when lines of the body did not parse (each reported as a syntax error); the
    /// members above are then not all there is.
    pub has_unread_lines: bool,
    /// From the keyword to the closing brace.
    pub span: Span,
}

/// One variant of an enum.
#[derive(Debug, Clone)]
pub struct Variant {
    /// The variant's name.
    pub name: Ident,
    /// Its doc comment.
    pub doc: Option<String>,
}

/// `@attr name: Type @attr`.
#[derive(Debug, Clone)]
pub struct Field {
    /// The field's name.
    pub name: Ident,
    /// Its doc comment.
    pub doc: Option<String>,
    /// The declared type.
    pub ty: TypeExpr,
    /// Attributes before the name and after the type, in source order.
    pub attributes: Vec<Attribute>,
    /// The whole field.
    pub span: Span,
}

/// `@name(args)`.
#[derive(Debug, Clone)]
pub struct Attribute {
    /// The name without `@`.
    pub name: Ident,
    /// The arguments; `None` when there are no parentheses.
    pub args: Option<Vec<AttributeArg>>,
    /// The whole attribute, `@` to `)`.
    pub span: Span,
}

/// One argument of an attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeArg {
    /// A bare name, e.g. the inverse field of `@hasOne(hotel)`.
    Ident(Ident),
    /// A literal value.
    Literal(Literal, Span),
}

impl AttributeArg {
    /// Where the argument is written.
    pub fn span(&self) -> Span {
        match self {
            AttributeArg::Ident(ident) => ident.span,
            AttributeArg::Literal(_, span) => *span,
        }
    }
}

/// A literal value.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Literal {
    /// `"text"`, escapes resolved.
    String(String),
    /// `42`, `-1`.
    Int(i64),
    /// `1.5`.
    Float(f64),
    /// `true`, `false`.
    Bool(bool),
}

impl Literal {
    /// What kind of literal this is, for messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Literal::String(_) => "a string",
            Literal::Int(_) => "an integer",
            Literal::Float(_) => "a float",
            Literal::Bool(_) => "a boolean",
        }
    }
}

/// A type as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeExpr {
    /// A name: a primitive or a declared type.
    Named(Ident),
    /// `T?`
    Optional(Box<TypeExpr>, Span),
    /// `[T]`
    List(Box<TypeExpr>, Span),
    /// `Map<K, V>`
    Map(Box<TypeExpr>, Box<TypeExpr>, Span),
}

impl TypeExpr {
    /// Where the whole type is written.
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Named(ident) => ident.span,
            TypeExpr::Optional(_, span) | TypeExpr::List(_, span) | TypeExpr::Map(_, _, span) => {
                *span
            }
        }
    }
}

/// `readonly fn name(params) -> Ret raises E1, E2`.
#[derive(Debug, Clone)]
pub struct Method {
    /// The method's name.
    pub name: Ident,
    /// Its doc comment.
    pub doc: Option<String>,
    /// The span of `readonly` when present.
    pub readonly: Option<Span>,
    /// Parameters in order.
    pub params: Vec<Param>,
    /// `-> Ret`, if any.
    pub ret: Option<TypeExpr>,
    /// The names after `raises`.
    pub raises: Vec<Ident>,
    /// The whole method.
    pub span: Span,
}

/// `name: Type` in a parameter list.
#[derive(Debug, Clone)]
pub struct Param {
    /// The parameter's name.
    pub name: Ident,
    /// Its type.
    pub ty: TypeExpr,
}
