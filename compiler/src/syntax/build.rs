//! Walks pest's parse tree and builds the AST, turning catch-all lines into diagnostics.

use pest::iterators::Pair;

use super::ast::*;
use super::{errors, Rule};
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};

/// Builds the AST of one file and collects the syntax errors found on the way.
pub(super) struct Builder<'a> {
    file: FileId,
    text: &'a str,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Builder<'a> {
    pub(super) fn new(file: FileId, text: &'a str) -> Self {
        Builder {
            file,
            text,
            diagnostics: Vec::new(),
        }
    }

    pub(super) fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
    }

    /// The span of a pair, without the blank space pest may have read after it.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let span = pair.as_span();
        let trimmed = pair.as_str().trim_end().len();
        Span::new(self.file, span.start(), span.start() + trimmed)
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    pub(super) fn file(&mut self, root: Pair<'_, Rule>) -> File {
        let mut file = File::default();
        for pair in root.into_inner() {
            match pair.as_rule() {
                Rule::import => file.imports.push(self.import(pair)),
                Rule::object_decl => file.decls.push(self.decl(DeclKind::Object, pair)),
                Rule::struct_decl => file.decls.push(self.decl(DeclKind::Struct, pair)),
                Rule::error_decl => file.decls.push(self.decl(DeclKind::Error, pair)),
                Rule::enum_decl => file.decls.push(self.decl(DeclKind::Enum, pair)),
                Rule::bad_declaration => self.bad_line(pair, BadLine::Declaration),
                _ => {}
            }
        }
        file
    }

    fn import(&mut self, pair: Pair<'_, Rule>) -> Import {
        let span = self.span(&pair);
        let mut path = String::new();
        let mut path_span = span;
        for inner in pair.into_inner() {
            if inner.as_rule() == Rule::string_literal {
                path_span = self.span(&inner);
                path = unescape(inner.into_inner().as_str());
            }
        }
        Import {
            path,
            path_span,
            span,
        }
    }

    fn decl(&mut self, kind: DeclKind, pair: Pair<'_, Rule>) -> TypeDecl {
        let span = self.span(&pair);
        let mut docs = Vec::new();
        let mut name = None;
        let mut decl = TypeDecl {
            kind,
            name: Ident {
                name: String::new(),
                span,
            },
            doc: None,
            fields: Vec::new(),
            methods: Vec::new(),
            variants: Vec::new(),
            has_unread_lines: false,
            span,
        };
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::doc_comment => docs.push(doc_line(inner)),
                Rule::ident if name.is_none() => name = Some(self.ident(inner)),
                Rule::field => decl.fields.push(self.field(inner)),
                Rule::method => decl.methods.push(self.method(inner)),
                Rule::variant => decl.variants.push(self.variant(inner)),
                Rule::bad_member if kind == DeclKind::Enum => {
                    decl.has_unread_lines = true;
                    self.bad_line(inner, BadLine::Variant)
                }
                Rule::bad_member => {
                    decl.has_unread_lines = true;
                    self.bad_line(inner, BadLine::Member)
                }
                _ => {}
            }
        }
        if let Some(name) = name {
            decl.name = name;
        }
        decl.doc = join_docs(docs);
        decl
    }

    fn variant(&mut self, pair: Pair<'_, Rule>) -> Variant {
        let mut docs = Vec::new();
        let mut name = None;
        let span = self.span(&pair);
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::doc_comment => docs.push(doc_line(inner)),
                Rule::ident => name = Some(self.ident(inner)),
                _ => {}
            }
        }
        Variant {
            name: name.unwrap_or(Ident {
                name: String::new(),
                span,
            }),
            doc: join_docs(docs),
        }
    }

    fn field(&mut self, pair: Pair<'_, Rule>) -> Field {
        let span = self.span(&pair);
        let mut docs = Vec::new();
        let mut attributes = Vec::new();
        let mut name = None;
        let mut ty = None;
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::field_head => {
                    for part in inner.into_inner() {
                        match part.as_rule() {
                            Rule::doc_comment => docs.push(doc_line(part)),
                            Rule::attribute => attributes.push(self.attribute(part)),
                            Rule::ident => name = Some(self.ident(part)),
                            _ => {}
                        }
                    }
                }
                Rule::type_expr => ty = Some(self.type_expr(inner)),
                Rule::attribute => attributes.push(self.attribute(inner)),
                _ => {}
            }
        }
        let name = name.unwrap_or(Ident {
            name: String::new(),
            span,
        });
        let ty = ty.unwrap_or_else(|| TypeExpr::Named(name.clone()));
        Field {
            name,
            doc: join_docs(docs),
            ty,
            attributes,
            span,
        }
    }

    fn attribute(&mut self, pair: Pair<'_, Rule>) -> Attribute {
        let span = self.span(&pair);
        let mut name = None;
        let mut args = None;
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::ident => name = Some(self.ident(inner)),
                Rule::attribute_args => {
                    let list: Vec<AttributeArg> = inner
                        .into_inner()
                        .filter_map(|arg| self.attribute_arg(arg))
                        .collect();
                    args = Some(list);
                }
                _ => {}
            }
        }
        Attribute {
            name: name.unwrap_or(Ident {
                name: String::new(),
                span,
            }),
            args,
            span,
        }
    }

    fn attribute_arg(&mut self, pair: Pair<'_, Rule>) -> Option<AttributeArg> {
        let span = self.span(&pair);
        let literal = match pair.as_rule() {
            Rule::ident => return Some(AttributeArg::Ident(self.ident(pair))),
            Rule::string_literal => Literal::String(unescape(pair.into_inner().as_str())),
            Rule::bool_literal => Literal::Bool(pair.as_str() == "true"),
            Rule::float_literal => match pair.as_str().parse::<f64>() {
                Ok(value) if value.is_finite() => Literal::Float(value),
                _ => return self.out_of_range(span, "float"),
            },
            Rule::int_literal => match pair.as_str().parse::<i64>() {
                Ok(value) => Literal::Int(value),
                Err(_) => return self.out_of_range(span, "integer"),
            },
            _ => return None,
        };
        Some(AttributeArg::Literal(literal, span))
    }

    fn out_of_range(&mut self, span: Span, kind: &str) -> Option<AttributeArg> {
        self.diagnostics.push(
            Diagnostic::new(
                Code::Syntax,
                format!("this {kind} literal is out of range"),
                span,
                "too large",
            )
            .with_help(
                "integers are 64-bit signed: from -9223372036854775808 to 9223372036854775807",
            ),
        );
        None
    }

    fn type_expr(&mut self, pair: Pair<'_, Rule>) -> TypeExpr {
        let span = self.span(&pair);
        let mut base = None;
        let mut optional = false;
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::named_type => {
                    if let Some(ident) = inner.into_inner().next() {
                        base = Some(TypeExpr::Named(self.ident(ident)));
                    }
                }
                Rule::list_type => {
                    let list_span = self.span(&inner);
                    let element = inner
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::type_expr)
                        .map(|p| self.type_expr(p));
                    if let Some(element) = element {
                        base = Some(TypeExpr::List(Box::new(element), list_span));
                    }
                }
                Rule::map_type => {
                    let map_span = self.span(&inner);
                    let mut parts = inner
                        .into_inner()
                        .filter(|p| p.as_rule() == Rule::type_expr)
                        .map(|p| self.type_expr(p))
                        .collect::<Vec<_>>()
                        .into_iter();
                    if let (Some(key), Some(value)) = (parts.next(), parts.next()) {
                        base = Some(TypeExpr::Map(Box::new(key), Box::new(value), map_span));
                    }
                }
                Rule::question => optional = true,
                _ => {}
            }
        }
        // The grammar guarantees a base type inside every `type_expr`.
        let base = base.unwrap_or(TypeExpr::Named(Ident {
            name: String::new(),
            span,
        }));
        if optional {
            TypeExpr::Optional(Box::new(base), span)
        } else {
            base
        }
    }

    fn method(&mut self, pair: Pair<'_, Rule>) -> Method {
        let span = self.span(&pair);
        let mut docs = Vec::new();
        let mut method = Method {
            name: Ident {
                name: String::new(),
                span,
            },
            doc: None,
            readonly: None,
            params: Vec::new(),
            ret: None,
            raises: Vec::new(),
            span,
        };
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::doc_comment => docs.push(doc_line(inner)),
                Rule::kw_readonly => method.readonly = Some(self.span(&inner)),
                Rule::ident => method.name = self.ident(inner),
                Rule::params => {
                    for param in inner.into_inner().filter(|p| p.as_rule() == Rule::param) {
                        method.params.push(self.param(param));
                    }
                }
                Rule::return_type => {
                    if let Some(ty) = inner.into_inner().find(|p| p.as_rule() == Rule::type_expr) {
                        method.ret = Some(self.type_expr(ty));
                    }
                }
                Rule::bad_raises => self.bad_line(inner, BadLine::Raises),
                Rule::raises => {
                    for name in inner.into_inner().filter(|p| p.as_rule() == Rule::ident) {
                        method.raises.push(self.ident(name));
                    }
                }
                _ => {}
            }
        }
        method.doc = join_docs(docs);
        method
    }

    fn param(&mut self, pair: Pair<'_, Rule>) -> Param {
        let span = self.span(&pair);
        let mut name = None;
        let mut ty = None;
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::ident => name = Some(self.ident(inner)),
                Rule::type_expr => ty = Some(self.type_expr(inner)),
                _ => {}
            }
        }
        let name = name.unwrap_or(Ident {
            name: String::new(),
            span,
        });
        let ty = ty.unwrap_or_else(|| TypeExpr::Named(name.clone()));
        Param { name, ty }
    }

    fn bad_line(&mut self, pair: Pair<'_, Rule>, kind: BadLine) {
        let start = pair.as_span().start();
        let diagnostic = errors::bad_line(self.file, self.text, start, pair.as_str(), kind);
        self.diagnostics.push(diagnostic);
    }
}

/// Which catch-all rule swallowed a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BadLine {
    /// A line at the top level.
    Declaration,
    /// A line inside an object, struct or error.
    Member,
    /// A line inside an enum.
    Variant,
    /// The rest of a method after `raises`.
    Raises,
}

fn doc_line(pair: Pair<'_, Rule>) -> String {
    let text = pair
        .into_inner()
        .find(|p| p.as_rule() == Rule::doc_text)
        .map_or("", |p| p.as_str());
    text.strip_prefix(' ')
        .unwrap_or(text)
        .trim_end()
        .to_string()
}

fn join_docs(lines: Vec<String>) -> Option<String> {
    if lines.is_empty() {
        None
    } else {
        Some(lines.join("\n"))
    }
}

/// Resolves the escapes of a string literal: `\"`, `\\`, `\n`, `\t`; any other escaped
/// character stands for itself.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}
