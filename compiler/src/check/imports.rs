//! Pass 9: warns about imports that nothing in the importing file uses (directly, or
//! through the files the import brings in), and about a file imported twice.

use std::collections::HashSet;

use super::Checker;
use crate::diag::{Code, Diagnostic};
use crate::load::Loaded;
use crate::source::FileId;

pub(super) fn run(checker: &mut Checker<'_>) {
    let loaded = checker.loaded;
    let mut diagnostics = Vec::new();
    for file in &loaded.files {
        if loaded.sources.file(file.id).is_stdlib {
            continue;
        }
        let mut seen: HashSet<FileId> = HashSet::new();
        for (import, target) in file.ast.imports.iter().zip(&file.imports) {
            let Some(target) = *target else {
                continue;
            };
            let message = if !seen.insert(target) {
                format!("`{}` is imported more than once", import.path)
            } else if reachable_from(loaded, target)
                .iter()
                .any(|from| checker.uses.contains(&(file.id, *from)))
            {
                continue;
            } else {
                format!("nothing from `{}` is used in this file", import.path)
            };
            diagnostics.push(
                Diagnostic::new(Code::UnusedImport, message, import.span, "unused import")
                    .with_help("remove this import"),
            );
        }
    }
    for diagnostic in diagnostics {
        checker.report(diagnostic);
    }
}

/// `start` and every file it imports, directly or not.
pub(super) fn reachable_from(loaded: &Loaded, start: FileId) -> HashSet<FileId> {
    let mut seen = HashSet::from([start]);
    let mut stack = vec![start];
    while let Some(file) = stack.pop() {
        for target in loaded.files[file.0 as usize].imports.iter().flatten() {
            if seen.insert(*target) {
                stack.push(*target);
            }
        }
    }
    seen
}
