//! Possible renames. A schema says nothing about history, so a rename looks exactly like a
//! removal and an addition; when one scope has both, the removal gets a note naming the
//! addition it may have become.

use super::change::{Note, Side};
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
}
