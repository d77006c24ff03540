//! Pass 6: a struct may not contain itself by value, directly or through other structs.
//! Going through `T?`, `[T]` or `Map<String, T>` is fine: those can be empty.

use std::collections::{HashMap, HashSet, VecDeque};

use super::{Checker, TypeKey};
use crate::diag::{Code, Diagnostic};
use crate::ir::{StructId, Type};

/// An edge of the by-value containment graph: struct → (field index, contained struct).
type Edges = HashMap<StructId, Vec<(usize, StructId)>>;

pub(super) fn run(checker: &mut Checker<'_>) {
    let mut decl_of: HashMap<StructId, usize> = HashMap::new();
    let mut edges: Edges = HashMap::new();
    for (index, info) in checker.decls.iter().enumerate() {
        let Some(TypeKey::Struct(id)) = info.key else {
            continue;
        };
        decl_of.insert(id, index);
        let contained = info
            .fields
            .iter()
            .enumerate()
            .filter_map(|(field, f)| match f.ty {
                Some(Type::Struct(target)) => Some((field, target)),
                _ => None,
            })
            .collect();
        edges.insert(id, contained);
    }
    let cyclic = nodes_in_or_before_cycles(&edges);
    let mut order: Vec<StructId> = cyclic.iter().copied().collect();
    order.sort();
    let mut reported: HashSet<StructId> = HashSet::new();
    for start in order {
        if reported.contains(&start) {
            continue;
        }
        let Some(cycle) = shortest_cycle(&edges, &cyclic, start) else {
            continue;
        };
        reported.extend(cycle.iter().map(|(from, _, _)| *from));
        report(checker, &decl_of, &cycle);
    }
}

/// The structs left after repeatedly removing those that contain no remaining struct:
/// every struct on a cycle, and those that lead to one. Linear in the graph's size.
fn nodes_in_or_before_cycles(edges: &Edges) -> HashSet<StructId> {
    let mut out_degree: HashMap<StructId, usize> = HashMap::new();
    let mut predecessors: HashMap<StructId, Vec<StructId>> = HashMap::new();
    for (&node, out) in edges {
        out_degree.insert(node, out.len());
        for &(_, target) in out {
            predecessors.entry(target).or_default().push(node);
        }
    }
    let mut queue: Vec<StructId> = out_degree
        .iter()
        .filter(|(_, &d)| d == 0)
        .map(|(&n, _)| n)
        .collect();
    let mut remaining: HashSet<StructId> = edges.keys().copied().collect();
    while let Some(node) = queue.pop() {
        remaining.remove(&node);
        for &predecessor in predecessors.get(&node).into_iter().flatten() {
            if let Some(degree) = out_degree.get_mut(&predecessor) {
                *degree -= 1;
                if *degree == 0 {
                    queue.push(predecessor);
                }
            }
        }
    }
    remaining
}

/// The shortest path `start → … → start`, as (struct, field index, next struct) steps.
fn shortest_cycle(
    edges: &Edges,
    allowed: &HashSet<StructId>,
    start: StructId,
) -> Option<Vec<(StructId, usize, StructId)>> {
    let mut came_from: HashMap<StructId, (StructId, usize)> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for &(field, target) in edges.get(&node).into_iter().flatten() {
            if !allowed.contains(&target) {
                continue;
            }
            if target == start {
                let mut steps = vec![(node, field, target)];
                let mut at = node;
                while at != start {
                    let (previous, previous_field) = came_from[&at];
                    steps.push((previous, previous_field, at));
                    at = previous;
                }
                steps.reverse();
                return Some(steps);
            }
            if let std::collections::hash_map::Entry::Vacant(entry) = came_from.entry(target) {
                entry.insert((node, field));
                queue.push_back(target);
            }
        }
    }
    None
}

fn report(
    checker: &mut Checker<'_>,
    decl_of: &HashMap<StructId, usize>,
    cycle: &[(StructId, usize, StructId)],
) {
    let step_text = |(from, field, to): &(StructId, usize, StructId)| {
        let from_info = &checker.decls[decl_of[from]];
        let to_info = &checker.decls[decl_of[to]];
        format!(
            "`{}.{}: {}`",
            from_info.name(),
            from_info.fields[*field].name(),
            to_info.name()
        )
    };
    let path: Vec<String> = cycle.iter().map(step_text).collect();
    let (first, first_field, _) = cycle[0];
    let first_info = &checker.decls[decl_of[&first]];
    let mut diagnostic = Diagnostic::new(
        Code::RecursiveStruct,
        format!(
            "the struct `{}` contains itself by value: {}",
            first_info.name(),
            path.join(" → ")
        ),
        first_info.fields[first_field].field.span,
        "contains itself through this field",
    )
    .with_help(
        "a value cannot contain itself: make one of these fields optional (`T?`) or a list (`[T]`)",
    );
    for (from, field, to) in &cycle[1..] {
        let info = &checker.decls[decl_of[from]];
        let target = checker.decls[decl_of[to]].name();
        diagnostic = diagnostic.with_label(
            info.fields[*field].field.span,
            format!("which contains `{target}` by value"),
        );
    }
    checker.report(diagnostic);
}
