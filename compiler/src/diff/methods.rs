//! Methods of one object type in both versions. Deployed clients call a method by name
//! with its arguments by parameter name, refused when one is unknown, and read its
//! result and its typed errors with the old types.

use super::change::{Builder, Change, Class, Code, Note, Side, Verdict};
use super::renames;
use super::rules::{self, FieldFacts, Holder};
use super::shape::{self, Shape};
use super::Versions;
use crate::ir::{Method, Object, Param, Schema};

/// Compares the methods of an object type that both versions have.
pub fn compare(versions: &Versions<'_>, old: &Object, new: &Object, out: &mut Vec<Change>) {
    let mut added = Vec::new();
    for method in &new.methods {
        match old.methods.iter().find(|other| other.name == method.name) {
            Some(before) => compare_method(versions, &new.name, before, method, out),
            None => {
                added.push(method);
                let verdict = Verdict::compatible(
                    "deployed clients do not know it, so nothing changes for them",
                );
                out.push(
                    Builder::new(
                        Code::MethodAdded,
                        format!("method `{}.{}` added", new.name, method.name),
                        &verdict,
                        Side::New,
                        method.span,
                    )
                    .other(old.span)
                    .build(),
                );
            }
        }
    }
    let removed: Vec<&Method> = old
        .methods
        .iter()
        .filter(|method| !new.methods.iter().any(|other| other.name == method.name))
        .collect();
    let renamed = renames::candidates(&removed, &added, |before, after| {
        u8::from(signature(versions.old, before) == signature(versions.new, after))
    });
    for (method, candidate) in removed.iter().zip(renamed) {
        let note = candidate.map(|index| {
            let lost = format!("deployed clients still call `{}`", method.name);
            renames::note(&method.name, &added[index].name, &lost, added[index].span)
        });
        let verdict = Verdict::breaking(
            Class::BreaksClients,
            format!("deployed clients calling `{}` get an error", method.name),
        );
        out.push(
            Builder::new(
                Code::MethodRemoved,
                format!("method `{}.{}` removed", new.name, method.name),
                &verdict,
                Side::Old,
                method.span,
            )
            .other(new.span)
            .help("keep the method until no deployed client calls it")
            .note(note)
            .build(),
        );
    }
}

/// The parameter types and result of a method, for telling likely renames.
fn signature(schema: &Schema, method: &Method) -> (Vec<Shape>, Option<Shape>) {
    (
        method
            .params
            .iter()
            .map(|param| Shape::of(schema, &param.ty))
            .collect(),
        method.returns.as_ref().map(|ty| Shape::of(schema, ty)),
    )
}

fn compare_method(
    versions: &Versions<'_>,
    owner: &str,
    old: &Method,
    new: &Method,
    out: &mut Vec<Change>,
) {
    let name = format!("{owner}.{}", new.name);
    compare_params(versions, &name, old, new, out);
    let change = |code: Code, message: String, verdict: &Verdict| {
        Builder::new(code, message, verdict, Side::New, new.span).other(old.span)
    };
    let (before, after) = (
        old.returns.as_ref().map(|ty| Shape::of(versions.old, ty)),
        new.returns.as_ref().map(|ty| Shape::of(versions.new, ty)),
    );
    if before != after {
        let (verdict, message) = returns(&name, before.as_ref(), after.as_ref());
        out.push(
            change(Code::ReturnChanged, message, &verdict)
                .help_if_breaking("add a method with the new result and keep the old one until no deployed client calls it")
                .build(),
        );
    }
    if old.readonly != new.readonly {
        let verdict = Verdict::compatible(
            "the call is the same on the wire; only how the handler runs it changes",
        );
        let message = if new.readonly {
            format!("`{name}` becomes `readonly`")
        } else {
            format!("`{name}` is no longer `readonly`")
        };
        out.push(change(Code::MethodReadonlyChanged, message, &verdict).build());
    }
    let raised = |schema: &Schema, method: &Method| -> Vec<String> {
        method
            .raises
            .iter()
            .map(|error| schema[*error].name.clone())
            .collect()
    };
    let (raised_before, raised_after) = (raised(versions.old, old), raised(versions.new, new));
    for error in raised_after.iter().filter(|e| !raised_before.contains(e)) {
        let verdict = Verdict::compatible(format!(
            "deployed clients receive `{error}` as an untyped runtime error until they are redeployed"
        ));
        let message = format!("`{name}` now also raises `{error}`");
        out.push(change(Code::RaisesAdded, message, &verdict).build());
    }
    for error in raised_before.iter().filter(|e| !raised_after.contains(e)) {
        let verdict = Verdict::compatible(format!(
            "deployed clients simply never receive `{error}` from it"
        ));
        let message = format!("`{name}` no longer raises `{error}`");
        out.push(change(Code::RaisesRemoved, message, &verdict).build());
    }
}

/// What it means that a method of `name` returns `after` instead of `before` (`None`:
/// nothing), which deployed clients read as `before`.
fn returns(name: &str, before: Option<&Shape>, after: Option<&Shape>) -> (Verdict, String) {
    let text = |shape: Option<&Shape>| shape.map_or("nothing".to_string(), |s| format!("`{s}`"));
    let broken = match (after, before) {
        (None, None) => None,
        (None, Some(old)) if old.is_optional() => None,
        (None, Some(_)) => Some("deployed clients expect a result and get none"),
        (Some(_), None) => Some("deployed clients expect no result and fail on one"),
        (Some(new), Some(old)) if new.reads_as(old) => None,
        (Some(_), Some(_)) => Some(
            "deployed clients read the result in the old type, which does not fit every new value",
        ),
    };
    let (old_text, new_text) = match (before, after) {
        (Some(old), Some(new)) => shape::describe_pair(old, new),
        _ => (text(before), text(after)),
    };
    let verdict = match broken {
        Some(reason) => Verdict::breaking(Class::BreaksClients, reason),
        None => Verdict::compatible("deployed clients read every new result as the old type"),
    };
    (
        verdict,
        format!("`{name}` returns {new_text} instead of {old_text}"),
    )
}

/// One method in both versions, for comparing its parameters.
struct Params<'a> {
    versions: &'a Versions<'a>,
    /// `Type.method`.
    name: &'a str,
    old: &'a Method,
    new: &'a Method,
    holder: Holder,
}

impl Params<'_> {
    fn old_shape(&self, param: &Param) -> Shape {
        Shape::of(self.versions.old, &param.ty)
    }

    fn new_shape(&self, param: &Param) -> Shape {
        Shape::of(self.versions.new, &param.ty)
    }

    fn added(&self, param: &Param) -> Change {
        let shape = self.new_shape(param);
        let facts = FieldFacts {
            shape: &shape,
            has_default: false,
        };
        let verdict = rules::field_added(&self.holder, &param.name, facts);
        Builder::new(
            Code::ParamAdded,
            format!("parameter `{}` added to `{}`", param.name, self.name),
            &verdict,
            Side::New,
            param.span,
        )
        .other(self.old.span)
        .help_if_breaking(format!(
            "make it optional (`{}: {shape}?`), so that deployed clients may leave it out",
            param.name
        ))
        .build()
    }

    fn retyped(&self, before: &Param, param: &Param) -> Option<Change> {
        let (old_shape, new_shape) = (self.old_shape(before), self.new_shape(param));
        if old_shape == new_shape {
            return None;
        }
        let verdict = rules::field_retyped(&self.holder, &param.name, &old_shape, &new_shape);
        let (from, to) = shape::describe_pair(&old_shape, &new_shape);
        let change = Builder::new(
            Code::ParamRetyped,
            format!(
                "parameter `{}` of `{}` changes type from {from} to {to}",
                param.name, self.name
            ),
            &verdict,
            Side::New,
            param.span,
        )
        .other(before.span)
        .help_if_breaking(
            "add a method with the new parameter types and keep the old one until no deployed client calls it",
        )
        .build();
        Some(change)
    }

    fn removed(&self, param: &Param, note: Option<Note>) -> Change {
        let shape = self.old_shape(param);
        let facts = FieldFacts {
            shape: &shape,
            has_default: false,
        };
        let verdict = rules::field_removed(&self.holder, &param.name, facts);
        Builder::new(
            Code::ParamRemoved,
            format!("parameter `{}` removed from `{}`", param.name, self.name),
            &verdict,
            Side::Old,
            param.span,
        )
        .other(self.new.span)
        .help_if_breaking("keep the parameter, ignored, until no deployed client passes it")
        .note(note)
        .build()
    }
}

fn compare_params(
    versions: &Versions<'_>,
    name: &str,
    old: &Method,
    new: &Method,
    out: &mut Vec<Change>,
) {
    let params = Params {
        versions,
        name,
        old,
        new,
        holder: Holder::args(name),
    };
    let mut added = Vec::new();
    for param in &new.params {
        match old.params.iter().find(|other| other.name == param.name) {
            Some(before) => out.extend(params.retyped(before, param)),
            None => {
                added.push(param);
                out.push(params.added(param));
            }
        }
    }
    let removed: Vec<&Param> = old
        .params
        .iter()
        .filter(|param| !new.params.iter().any(|other| other.name == param.name))
        .collect();
    let renamed = renames::candidates(&removed, &added, |before, after| {
        renames::type_likeness(&params.old_shape(before), &params.new_shape(after))
    });
    for (param, candidate) in removed.iter().zip(renamed) {
        let note = candidate.map(|index| {
            let lost = format!("deployed clients still pass `{}`", param.name);
            renames::note(&param.name, &added[index].name, &lost, added[index].span)
        });
        out.push(params.removed(param, note));
    }
    reordered(name, old, new, out);
}

/// The parameters both versions have, in another order.
fn reordered(name: &str, old: &Method, new: &Method, out: &mut Vec<Change>) {
    let order = |method: &Method, other: &Method| -> Vec<String> {
        method
            .params
            .iter()
            .filter(|param| other.params.iter().any(|p| p.name == param.name))
            .map(|param| format!("`{}`", param.name))
            .collect()
    };
    let (before, after) = (order(old, new), order(new, old));
    if before == after {
        return;
    }
    let verdict = Verdict::compatible(
        "arguments travel by parameter name, so deployed clients are not affected",
    );
    out.push(
        Builder::new(
            Code::ParamsReordered,
            format!(
                "the parameters of `{name}` change order from ({}) to ({})",
                before.join(", "),
                after.join(", ")
            ),
            &verdict,
            Side::New,
            new.span,
        )
        .other(old.span)
        .help("code calling the regenerated client passes arguments by position: check every call")
        .build(),
    );
}
