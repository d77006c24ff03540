//! What `nubesc diff` reports: one [`Change`] per difference between two versions of a
//! schema, with its stable [`Code`], what it means ([`Class`]) and where it is in each.

use crate::source::Span;

/// Every kind of change, each with a stable code (`nubes::D0xx`).
///
/// Codes never change meaning once released; `docs/diagnostics.md` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// A type is new.
    TypeAdded,
    /// A type is gone.
    TypeRemoved,
    /// A type keeps its name but is another kind of type (e.g. a struct became an object).
    TypeKindChanged,
    /// A field of an object, struct or error is new.
    FieldAdded,
    /// A field of an object, struct or error is gone.
    FieldRemoved,
    /// A field's type changed, other than by becoming optional or required.
    FieldRetyped,
    /// A field went from `T` to `T?`.
    FieldMadeOptional,
    /// A field went from `T?` to `T`.
    FieldMadeRequired,
    /// A field's `@default` was added, removed or changed.
    DefaultChanged,
    /// A field became `@readonly` or stopped being so.
    ReadonlyChanged,
    /// Another field (or a generated id) identifies an object type.
    IdChanged,
    /// The id field keeps its name but not its type.
    IdRetyped,
    /// A navigation list went from `@hasOne` to `@hasMany` or back.
    CardinalityChanged,
    /// A navigation list names another field as its other side.
    InverseChanged,
    /// A navigation list holds objects of another type.
    TargetChanged,
    /// A navigation list became `@tracked` or stopped being so.
    TrackedChanged,
    /// A field changed between reference, reference list and navigation list.
    RoleChanged,
    /// A method is new.
    MethodAdded,
    /// A method is gone.
    MethodRemoved,
    /// A method has a new parameter.
    ParamAdded,
    /// A method lost a parameter.
    ParamRemoved,
    /// A parameter's type changed.
    ParamRetyped,
    /// A method's parameters are in another order.
    ParamsReordered,
    /// A method returns another type.
    ReturnChanged,
    /// A method became `readonly` or stopped being so.
    MethodReadonlyChanged,
    /// A method raises an error type it did not raise before.
    RaisesAdded,
    /// A method no longer raises an error type.
    RaisesRemoved,
    /// An enum has a new variant.
    VariantAdded,
    /// An enum lost a variant.
    VariantRemoved,
}

impl Code {
    /// Every code, in code order.
    pub const ALL: [Code; 29] = [
        Code::TypeAdded,
        Code::TypeRemoved,
        Code::TypeKindChanged,
        Code::FieldAdded,
        Code::FieldRemoved,
        Code::FieldRetyped,
        Code::FieldMadeOptional,
        Code::FieldMadeRequired,
        Code::DefaultChanged,
        Code::ReadonlyChanged,
        Code::IdChanged,
        Code::IdRetyped,
        Code::CardinalityChanged,
        Code::InverseChanged,
        Code::TargetChanged,
        Code::TrackedChanged,
        Code::RoleChanged,
        Code::MethodAdded,
        Code::MethodRemoved,
        Code::ParamAdded,
        Code::ParamRemoved,
        Code::ParamRetyped,
        Code::ParamsReordered,
        Code::ReturnChanged,
        Code::MethodReadonlyChanged,
        Code::RaisesAdded,
        Code::RaisesRemoved,
        Code::VariantAdded,
        Code::VariantRemoved,
    ];

    /// The stable code shown to users, e.g. `nubes::D010`.
    pub fn as_str(self) -> &'static str {
        self.names().0
    }

    /// The kind of change in snake case, e.g. `field_added` (the `kind` of `--json`).
    pub fn kind(self) -> &'static str {
        self.names().1
    }

    fn names(self) -> (&'static str, &'static str) {
        use Code::*;
        match self {
            TypeAdded => ("nubes::D001", "type_added"),
            TypeRemoved => ("nubes::D002", "type_removed"),
            TypeKindChanged => ("nubes::D003", "type_kind_changed"),
            FieldAdded => ("nubes::D010", "field_added"),
            FieldRemoved => ("nubes::D011", "field_removed"),
            FieldRetyped => ("nubes::D012", "field_retyped"),
            FieldMadeOptional => ("nubes::D013", "field_made_optional"),
            FieldMadeRequired => ("nubes::D014", "field_made_required"),
            DefaultChanged => ("nubes::D015", "default_changed"),
            ReadonlyChanged => ("nubes::D016", "readonly_changed"),
            IdChanged => ("nubes::D020", "id_changed"),
            IdRetyped => ("nubes::D021", "id_retyped"),
            CardinalityChanged => ("nubes::D030", "cardinality_changed"),
            InverseChanged => ("nubes::D031", "inverse_changed"),
            TargetChanged => ("nubes::D032", "target_changed"),
            TrackedChanged => ("nubes::D033", "tracked_changed"),
            RoleChanged => ("nubes::D034", "role_changed"),
            MethodAdded => ("nubes::D040", "method_added"),
            MethodRemoved => ("nubes::D041", "method_removed"),
            ParamAdded => ("nubes::D042", "param_added"),
            ParamRemoved => ("nubes::D043", "param_removed"),
            ParamRetyped => ("nubes::D044", "param_retyped"),
            ParamsReordered => ("nubes::D045", "params_reordered"),
            ReturnChanged => ("nubes::D046", "return_changed"),
            MethodReadonlyChanged => ("nubes::D047", "method_readonly_changed"),
            RaisesAdded => ("nubes::D048", "raises_added"),
            RaisesRemoved => ("nubes::D049", "raises_removed"),
            VariantAdded => ("nubes::D050", "variant_added"),
            VariantRemoved => ("nubes::D051", "variant_removed"),
        }
    }
}

/// What a change means for what already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Stored data and deployed clients keep working.
    Compatible,
    /// Items or relationship edges already stored fail to load, lose their meaning, or
    /// hold values the new version no longer reads.
    BreaksStoredData,
    /// Clients generated from the old version and already deployed get errors or wrong
    /// values from handlers generated from the new one.
    BreaksClients,
}

impl Class {
    /// How the class is written in text output: `breaks stored data`.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Compatible => "compatible",
            Class::BreaksStoredData => "breaks stored data",
            Class::BreaksClients => "breaks clients",
        }
    }

    /// How the class is written in `--json`: `breaks_stored_data`.
    pub fn key(self) -> &'static str {
        match self {
            Class::Compatible => "compatible",
            Class::BreaksStoredData => "breaks_stored_data",
            Class::BreaksClients => "breaks_clients",
        }
    }
}

/// One of the two versions compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The version already deployed.
    Old,
    /// The version about to replace it.
    New,
}

/// A remark that goes with a change, possibly pointing at a place (e.g. the field that a
/// removed one may have been renamed to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// One lowercase sentence; names in backticks.
    pub text: String,
    /// The place the note is about, and the version it is in.
    pub at: Option<(Side, Span)>,
}

/// One difference between the two versions and what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The kind of change.
    pub code: Code,
    /// What changed, lowercase, names in backticks: "field `Hotel.stars` added".
    pub message: String,
    /// `[Compatible]`, or the ways the change breaks things (stored data first).
    pub classes: Vec<Class>,
    /// Why: for a breaking change, each way it breaks things (stored data first); for a
    /// compatible one, why it is. Each is one line.
    pub reasons: Vec<String>,
    /// A safer way to make the change, when there is one.
    pub help: Option<String>,
    /// Where the changed item is in the old version (for an addition: where its owner is).
    pub old: Option<Span>,
    /// Where the changed item is in the new version (for a removal: where its owner is).
    pub new: Option<Span>,
    /// Which of `old` and `new` is the changed item itself; that place is always set.
    pub primary: Side,
    /// A remark, such as that a removal and an addition may be a rename.
    pub note: Option<Note>,
}

impl Change {
    /// True when the change breaks stored data or deployed clients.
    pub fn is_breaking(&self) -> bool {
        self.classes.iter().any(|class| *class != Class::Compatible)
    }

    /// The reasons in one line.
    pub fn reason(&self) -> String {
        self.reasons.join("; ")
    }

    /// True when the change has this class.
    pub fn has(&self, class: Class) -> bool {
        self.classes.contains(&class)
    }

    /// The span of the changed item (in the version named by `primary`).
    pub fn primary_span(&self) -> Option<Span> {
        match self.primary {
            Side::Old => self.old,
            Side::New => self.new,
        }
    }
}

/// Why a change is compatible, or every way it breaks things: what a rule decides.
#[derive(Debug, Clone, Default)]
pub(crate) struct Verdict {
    breaks: Vec<(Class, String)>,
    fine: String,
}

impl Verdict {
    /// A change that breaks nothing, and why.
    pub(crate) fn compatible(reason: impl Into<String>) -> Self {
        Verdict {
            breaks: Vec::new(),
            fine: reason.into(),
        }
    }

    /// A change that breaks `class`, and how.
    pub(crate) fn breaking(class: Class, reason: impl Into<String>) -> Self {
        let mut verdict = Verdict::default();
        verdict.add(class, reason);
        verdict
    }

    /// Records another way the change breaks things.
    pub(crate) fn add(&mut self, class: Class, reason: impl Into<String>) {
        self.breaks.push((class, reason.into()));
    }

    /// Sets the reason given when nothing breaks.
    pub(crate) fn or_fine(mut self, reason: impl Into<String>) -> Self {
        self.fine = reason.into();
        self
    }

    /// True when nothing breaks.
    #[cfg(test)]
    pub(crate) fn is_compatible(&self) -> bool {
        self.breaks.is_empty()
    }

    /// `[Compatible]`, or the classes of every way the change breaks things.
    pub(crate) fn classes(&self) -> Vec<Class> {
        let mut classes: Vec<Class> = self.breaks.iter().map(|(class, _)| *class).collect();
        if classes.is_empty() {
            classes.push(Class::Compatible);
        }
        classes.sort();
        classes.dedup();
        classes
    }

    fn reasons(&self) -> Vec<String> {
        if self.breaks.is_empty() {
            return vec![self.fine.clone()];
        }
        let mut breaks = self.breaks.clone();
        breaks.sort_by_key(|(class, _)| *class);
        breaks.into_iter().map(|(_, reason)| reason).collect()
    }
}

/// Builds a [`Change`]: the item's place on one side, then the rest.
pub(crate) struct Builder {
    change: Change,
}

impl Builder {
    /// A change to an item that is at `span` in the version `primary`.
    pub(crate) fn new(
        code: Code,
        message: impl Into<String>,
        verdict: &Verdict,
        primary: Side,
        span: Span,
    ) -> Self {
        let (old, new) = match primary {
            Side::Old => (Some(span), None),
            Side::New => (None, Some(span)),
        };
        Builder {
            change: Change {
                code,
                message: message.into(),
                classes: verdict.classes(),
                reasons: verdict.reasons(),
                help: None,
                old,
                new,
                primary,
                note: None,
            },
        }
    }

    /// The place in the other version (the item itself, or its owner).
    pub(crate) fn other(mut self, span: Span) -> Self {
        match self.change.primary {
            Side::Old => self.change.new = Some(span),
            Side::New => self.change.old = Some(span),
        }
        self
    }

    /// The help line.
    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.change.help = Some(help.into());
        self
    }

    /// The help line, kept only when the change breaks something: the safer way to make
    /// a change is no news when the change is safe already.
    pub(crate) fn help_if_breaking(self, help: impl Into<String>) -> Self {
        if self.change.is_breaking() {
            self.help(help)
        } else {
            self
        }
    }

    /// A note.
    pub(crate) fn note(mut self, note: Option<Note>) -> Self {
        self.change.note = note;
        self
    }

    /// The change.
    pub(crate) fn build(self) -> Change {
        self.change
    }
}
