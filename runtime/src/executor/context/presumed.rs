//! Presuming that an object exists. A changing call that asks whether an object of a
//! mutable type exists, and needs nothing else of it, gets `true` without a read: the
//! commit writes the object's check on the condition that it is live (a version bump when
//! its collections changed, a check otherwise), so the answer is validated atomically
//! with everything else the call did. A read of the object, first needed by the call
//! after that, settles the presumption. When the object is not there — the commit's
//! condition on it fails, or a later read finds it absent — nothing is committed and the
//! call runs again on the object as the store reported it, and on its target as first
//! read (its commit checks both), so it answers what a read would have answered.
//!
//! Only the liveness of the object is checked, not its version: a call that read nothing
//! of it but that it exists depends on nothing else. An object of an immutable type is
//! always read: an edge to it carries a copy of its fields. A failed presumption costs
//! the refused commit's write units and latency (the round trips are those of reading
//! first), so a method whose presumption failed is not presumed for again by this
//! runtime for [`PRESUME_AGAIN_AFTER_MS`]: a method that creates what it finds missing
//! pays for it now and then, and one bad request does not turn presumption off for good.

use std::collections::BTreeSet;

use super::method_hints::MethodHints;
use super::Ctx;
use crate::invocation::ObjectRef;
use crate::store::Item;

/// How long after a failed presumption a method is run reading first, in milliseconds.
pub(crate) const PRESUME_AGAIN_AFTER_MS: u64 = 10_000;

/// The objects one attempt of a changing call presumes to exist.
#[derive(Debug, Default)]
pub(crate) struct Presumed {
    /// True when this attempt may presume.
    pub(crate) enabled: bool,
    /// The objects presumed to exist and not read since.
    pub(crate) objects: BTreeSet<ObjectRef>,
    /// The presumed object a read found absent, as read: the attempt must not commit.
    pub(crate) refuted: Option<(ObjectRef, Option<Item>)>,
}

/// When a presumption of each method last failed on this runtime, in milliseconds since
/// the epoch; shared by every context of one runtime.
#[derive(Debug, Default)]
pub(crate) struct Presumptions(MethodHints<u64>);

impl Presumptions {
    /// True unless a presumption of `type_name.method` failed in the
    /// [`PRESUME_AGAIN_AFTER_MS`] before `now_ms`.
    pub(crate) fn allowed(&self, type_name: &str, method: &str, now_ms: u64) -> bool {
        self.0
            .get(type_name, method)
            .is_none_or(|at| now_ms.saturating_sub(at) >= PRESUME_AGAIN_AFTER_MS)
    }

    /// Remembers that a presumption of `type_name.method` failed at `now_ms`.
    pub(crate) fn refuted(&self, type_name: &str, method: &str, now_ms: u64) {
        self.0.set(type_name, method, now_ms);
    }
}

impl Ctx {
    /// True when `object` is presumed to exist: already, or from now on when this attempt
    /// may presume, the object is of a mutable type and the context has not read it.
    pub(crate) fn presume(&mut self, object: &ObjectRef) -> bool {
        if self.presumed.objects.contains(object) {
            return true;
        }
        let mutable = self
            .env
            .schema
            .object(&object.type_name)
            .is_some_and(|object_type| !object_type.immutable);
        if !self.presumed.enabled || !self.commits || !mutable || self.objects.contains_key(object)
        {
            return false;
        }
        self.presumed.objects.insert(object.clone());
        true
    }

    /// Settles the presumption about `object` now that it was read: refuted when the read
    /// found it absent or deleted.
    pub(crate) fn settle(&mut self, object: &ObjectRef) {
        if !self.presumed.objects.remove(object) {
            return;
        }
        let entry = self.objects.get(object);
        if entry.is_none_or(|entry| entry.fields.is_none()) {
            let item = entry.and_then(|entry| entry.original.clone());
            self.presumed.refuted = Some((object.clone(), item));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refuted_method_is_not_presumed_for_a_while() {
        let presumptions = Presumptions::default();
        let now = 1_000_000;
        assert!(presumptions.allowed("Room", "reserve", now));
        presumptions.refuted("Room", "reserve", now);
        assert!(!presumptions.allowed("Room", "reserve", now));
        assert!(!presumptions.allowed("Room", "reserve", now + PRESUME_AGAIN_AFTER_MS - 1));
        assert!(presumptions.allowed("Room", "reserve", now + PRESUME_AGAIN_AFTER_MS));
        assert!(presumptions.allowed("Room", "cancel", now));
        assert!(presumptions.allowed("Hotel", "reserve", now));
    }
}
