//! Possible renames. A schema says nothing about history, so a rename looks exactly like a
//! removal and an addition; when one scope has both and the pair is plausible, the removal
//! gets a note naming the addition it may have become:
//!
//! - a field or parameter, one of the same type, or of the same type but for being
//!   optional ([`type_likeness`]);
//! - a method, one with the same parameter types and result;
//! - a variant or a type, which nothing but their number tells apart, the one addition
//!   when it is the one removal ([`sole`]; types of the same kind only).

use super::change::{Note, Side};
use super::shape::Shape;
use crate::source::Span;

/// For each of `removed`, the index in `added` of the item it may have been renamed to.
///
/// `likeness` scores a pair: 0 never pairs them, higher is likelier (e.g. the same type).
/// Removals are served in order, each taking the likeliest addition not taken yet.
pub fn candidates<R, A>(
    removed: &[R],
    added: &[A],
    likeness: impl Fn(&R, &A) -> u8,
) -> Vec<Option<usize>> {
    let mut taken = vec![false; added.len()];
    removed
        .iter()
        .map(|old| {
            let best = added
                .iter()
                .enumerate()
                .filter(|(index, _)| !taken[*index])
                .map(|(index, new)| (likeness(old, new), index))
                .filter(|(score, _)| *score > 0)
                // The highest score; among equals, the first.
                .min_by_key(|(score, index)| (u8::MAX - score, *index))
                .map(|(_, index)| index);
            if let Some(index) = best {
                taken[index] = true;
            }
            best
        })
        .collect()
}

/// How likely a value of type `old` was renamed to one of type `new`: 2 for the same type,
/// 1 for the same type but for being optional (`T` and `T?`), 0 (never) otherwise.
pub fn type_likeness(old: &Shape, new: &Shape) -> u8 {
    if old == new {
        2
    } else if old.required() == new.required() {
        1
    } else {
        0
    }
}

/// For each of `removed`, the index in `added` of the one addition of its kind, when it
/// is the one removal of its kind (`kind_of_removed` and `kind_of_added` tell the kinds).
pub fn sole<R, A, K: PartialEq>(
    removed: &[R],
    added: &[A],
    kind_of_removed: impl Fn(&R) -> K,
    kind_of_added: impl Fn(&A) -> K,
) -> Vec<Option<usize>> {
    removed
        .iter()
        .map(|old| {
            let kind = kind_of_removed(old);
            let removals = removed
                .iter()
                .filter(|other| kind_of_removed(other) == kind)
                .count();
            let mut additions = added
                .iter()
                .enumerate()
                .filter(|(_, new)| kind_of_added(new) == kind)
                .map(|(index, _)| index);
            match (removals, additions.next(), additions.next()) {
                (1, Some(index), None) => Some(index),
                _ => None,
            }
        })
        .collect()
}

/// The note on a removal of `old` that may be a rename to `new` (at `at` in the new
/// version); `lost` says what a rename would not carry over.
pub fn note(old: &str, new: &str, lost: &str, at: Span) -> Note {
    Note {
        text: format!(
            "if `{old}` was renamed to `{new}`, {lost}; nubes cannot tell a rename from a removal and an addition"
        ),
        at: Some((Side::New, at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_likeliest_free_addition_is_taken_in_order() {
        let removed = ["a", "b", "c"];
        let added = ["x", "y"];
        let found = candidates(&removed, &added, |old, new| match (*old, *new) {
            ("a", "y") => 2,
            (_, _) => 1,
        });
        assert_eq!(found, vec![Some(1), Some(0), None]);
    }

    #[test]
    fn a_zero_score_never_pairs() {
        let found = candidates(&["a"], &["x"], |_, _| 0);
        assert_eq!(found, vec![None]);
    }

    #[test]
    fn only_the_same_type_give_or_take_optionality_is_alike() {
        let optional = |shape: Shape| Shape::Optional(Box::new(shape));
        assert_eq!(type_likeness(&Shape::Int, &Shape::Int), 2);
        assert_eq!(type_likeness(&Shape::Int, &optional(Shape::Int)), 1);
        assert_eq!(type_likeness(&optional(Shape::Int), &Shape::Int), 1);
        assert_eq!(type_likeness(&Shape::Bytes, &optional(Shape::String)), 0);
        let list = Shape::List(Box::new(Shape::Object("City".into())));
        assert_eq!(type_likeness(&Shape::Object("City".into()), &list), 0);
    }

    #[test]
    fn only_a_one_for_one_swap_of_a_kind_pairs() {
        let same = |_: &&str| ();
        assert_eq!(sole(&["a"], &["x"], same, same), vec![Some(0)]);
        assert_eq!(sole(&["a", "b"], &["x", "y"], same, same), vec![None, None]);
        assert_eq!(sole(&["a"], &["x", "y"], same, same), vec![None]);
        assert_eq!(sole(&["a", "b"], &["x"], same, same), vec![None, None]);
        let first = |name: &&str| name.as_bytes()[0].is_ascii_uppercase();
        let found = sole(&["A", "b", "c"], &["x", "Y"], first, first);
        assert_eq!(found, vec![Some(1), None, None]);
    }
}
