//! Diagnostics: what went wrong, where, and how to fix it. Independent of any renderer;
//! [`crate::render`] turns them into text at the edge.

use crate::source::Span;

/// Every diagnostic the front end can emit, with its stable code.
///
/// Codes never change meaning once released; the golden suite's README maps each code to
/// the rule of the language spec it enforces and to the test cases that show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// The text does not follow the grammar.
    Syntax,
    /// A file is not valid UTF-8.
    InvalidUtf8,
    /// A file could not be read.
    UnreadableFile,
    /// A keyword of the language is used as a name.
    ReservedWord,
    /// A type name whose first character after its underscores is not a letter.
    NameWithoutLetter,
    /// Two types share a name.
    DuplicateType,
    /// Two members of one type share a name.
    DuplicateMember,
    /// Two names become the same after case conversion.
    CaseCollision,
    /// A member has the name of a member the compiler generates.
    GeneratedCollision,
    /// A type name that is not defined.
    UnknownType,
    /// A map whose key type is not `String`.
    MapKeyNotString,
    /// An enum without variants.
    EmptyEnum,
    /// More than one id field.
    MultipleIds,
    /// An `@id` whose type is not `String` or an enum.
    IdType,
    /// An `@id` outside an object.
    IdOutsideObject,
    /// `@id` on a navigation list.
    IdOnNavigation,
    /// An optional id.
    OptionalId,
    /// `@hasOne`/`@hasMany` on something that is not a list of objects.
    NavigationNotObjectList,
    /// The inverse named by a navigation list does not exist.
    MissingInverse,
    /// The inverse of `@hasOne` is not a reference back.
    BadHasOneInverse,
    /// The inverse of `@hasMany` does not name this field back.
    BadHasManyInverse,
    /// A navigation list marked `@readonly`.
    ReadonlyNavigation,
    /// Two navigation lists claim one inverse.
    SharedInverse,
    /// `@tracked` on something that is not a one-to-many navigation list.
    TrackedNotOneToMany,
    /// A struct that contains itself by value.
    RecursiveStruct,
    /// A navigation list in a struct or error.
    NavigationOutsideObject,
    /// Two parameters of a method share a name.
    DuplicateParam,
    /// `raises` names a type that is not an `error`.
    RaisesNonError,
    /// A method outside an object.
    MethodOutsideObject,
    /// An imported file does not exist.
    MissingImport,
    /// Files import each other in a cycle.
    ImportCycle,
    /// An attribute the language does not define.
    UnknownAttribute,
    /// The same attribute twice on one item.
    DuplicateAttribute,
    /// An attribute with the wrong arguments.
    AttributeArguments,
    /// A `@default` value that does not fit the field.
    BadDefault,
    /// A name that breaks the casing convention (warning).
    Casing,
    /// An object without fields (warning).
    EmptyObject,
    /// An import none of whose names is used (warning).
    UnusedImport,
}

impl Code {
    /// Every code, in code order.
    pub const ALL: [Code; 38] = [
        Code::Syntax,
        Code::InvalidUtf8,
        Code::UnreadableFile,
        Code::ReservedWord,
        Code::NameWithoutLetter,
        Code::DuplicateType,
        Code::DuplicateMember,
        Code::CaseCollision,
        Code::GeneratedCollision,
        Code::UnknownType,
        Code::MapKeyNotString,
        Code::EmptyEnum,
        Code::MultipleIds,
        Code::IdType,
        Code::IdOutsideObject,
        Code::IdOnNavigation,
        Code::OptionalId,
        Code::NavigationNotObjectList,
        Code::MissingInverse,
        Code::BadHasOneInverse,
        Code::BadHasManyInverse,
        Code::ReadonlyNavigation,
        Code::SharedInverse,
        Code::TrackedNotOneToMany,
        Code::RecursiveStruct,
        Code::NavigationOutsideObject,
        Code::DuplicateParam,
        Code::RaisesNonError,
        Code::MethodOutsideObject,
        Code::MissingImport,
        Code::ImportCycle,
        Code::UnknownAttribute,
        Code::DuplicateAttribute,
        Code::AttributeArguments,
        Code::BadDefault,
        Code::Casing,
        Code::EmptyObject,
        Code::UnusedImport,
    ];

    /// The stable code shown to users, e.g. `nubes::E014`.
    pub fn as_str(self) -> &'static str {
        use Code::*;
        match self {
            Syntax => "nubes::E001",
            InvalidUtf8 => "nubes::E002",
            UnreadableFile => "nubes::E003",
            ReservedWord => "nubes::E004",
            NameWithoutLetter => "nubes::E005",
            DuplicateType => "nubes::E010",
            DuplicateMember => "nubes::E011",
            CaseCollision => "nubes::E012",
            GeneratedCollision => "nubes::E013",
            UnknownType => "nubes::E014",
            MapKeyNotString => "nubes::E015",
            EmptyEnum => "nubes::E016",
            MultipleIds => "nubes::E020",
            IdType => "nubes::E021",
            IdOutsideObject => "nubes::E022",
            IdOnNavigation => "nubes::E023",
            OptionalId => "nubes::E024",
            NavigationNotObjectList => "nubes::E030",
            MissingInverse => "nubes::E031",
            BadHasOneInverse => "nubes::E032",
            BadHasManyInverse => "nubes::E033",
            ReadonlyNavigation => "nubes::E034",
            SharedInverse => "nubes::E035",
            TrackedNotOneToMany => "nubes::E036",
            RecursiveStruct => "nubes::E040",
            NavigationOutsideObject => "nubes::E041",
            DuplicateParam => "nubes::E050",
            RaisesNonError => "nubes::E051",
            MethodOutsideObject => "nubes::E052",
            MissingImport => "nubes::E060",
            ImportCycle => "nubes::E061",
            UnknownAttribute => "nubes::E070",
            DuplicateAttribute => "nubes::E071",
            AttributeArguments => "nubes::E072",
            BadDefault => "nubes::E073",
            Casing => "nubes::W001",
            EmptyObject => "nubes::W002",
            UnusedImport => "nubes::W003",
        }
    }

    /// Warnings do not fail a build; everything else is an error.
    pub fn severity(self) -> Severity {
        match self {
            Code::Casing | Code::EmptyObject | Code::UnusedImport => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Fails the run.
    Error,
    /// Reported, but the schema is still usable.
    Warning,
}

/// A span with a short message that says what is at that place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What is there, lowercase, names in backticks.
    pub message: String,
}

/// One problem found in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The rule that was broken.
    pub code: Code,
    /// One lowercase sentence; names in backticks.
    pub message: String,
    /// The place of the problem.
    pub primary: Label,
    /// Every other place involved (the first definition, the other side of a relation …).
    pub secondary: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with a primary label; add the rest with the builder methods.
    pub fn new(
        code: Code,
        message: impl Into<String>,
        span: Span,
        label: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            primary: Label {
                span,
                message: label.into(),
            },
            secondary: Vec::new(),
            help: None,
        }
    }

    /// Adds a label on another place involved.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The diagnostic's severity, from its code.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// True unless the diagnostic is a warning.
    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }
}

/// Sorts diagnostics by file and position, then code, and drops exact duplicates, so
/// that output is stable and reads top to bottom.
pub fn sort(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| {
        (a.primary.span, a.code, &a.message).cmp(&(b.primary.span, b.code, &b.message))
    });
    diagnostics.dedup();
}
