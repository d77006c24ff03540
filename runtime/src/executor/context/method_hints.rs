//! A value the runtime remembers per method (`Type.method`), shared by every context of one
//! runtime: looked up on every call, so without allocating, and bounded, since method
//! names come from callers.

use std::collections::HashMap;
use std::sync::RwLock;

/// The most methods a [`MethodHints`] remembers; past this it forgets them all.
const MAX_METHODS: usize = 4_096;

/// A value per method, by object type and method name.
#[derive(Debug)]
pub(crate) struct MethodHints<V>(RwLock<HashMap<String, HashMap<String, V>>>);

impl<V> Default for MethodHints<V> {
    fn default() -> Self {
        MethodHints(RwLock::default())
    }
}

impl<V: Copy> MethodHints<V> {
    /// The value remembered for `type_name.method`, if any.
    pub(crate) fn get(&self, type_name: &str, method: &str) -> Option<V> {
        self.0
            .read()
            .ok()?
            .get(type_name)
            .and_then(|methods| methods.get(method))
            .copied()
    }

    /// Remembers `value` for `type_name.method`.
    pub(crate) fn set(&self, type_name: &str, method: &str, value: V) {
        let Ok(mut hints) = self.0.write() else {
            return;
        };
        if hints.values().map(HashMap::len).sum::<usize>() >= MAX_METHODS {
            hints.clear();
        }
        hints
            .entry(type_name.to_string())
            .or_default()
            .insert(method.to_string(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_kept_per_type_and_method() {
        let hints = MethodHints::default();
        assert_eq!(hints.get("Room", "reserve"), None);
        hints.set("Room", "reserve", 3);
        hints.set("Room", "cancel", 4);
        assert_eq!(hints.get("Room", "reserve"), Some(3));
        assert_eq!(hints.get("Room", "cancel"), Some(4));
        assert_eq!(hints.get("Hotel", "reserve"), None);
    }

    #[test]
    fn hints_stay_bounded() {
        let hints = MethodHints::default();
        for n in 0..=MAX_METHODS {
            hints.set("Room", &format!("m{n}"), true);
        }
        let held = hints
            .0
            .read()
            .map(|held| held.values().map(HashMap::len).sum::<usize>())
            .unwrap_or(usize::MAX);
        assert!(held <= MAX_METHODS, "{held}");
    }
}
