//! Invocation ids that are the same in every run of a test: UUID v7s at a fixed time,
//! numbered. Two runs that make the same calls with ids from sources of the same start
//! store the same bytes.

use nubes_runtime::InvocationId;

/// Hands out UUID v7 ids at `time_ms`, counting up in their random bits (so they sort in
/// the order they were handed out).
#[derive(Debug, Clone)]
pub struct IdSource {
    time_ms: u64,
    next: u64,
}

impl IdSource {
    /// Ids made at `time_ms` (milliseconds since the Unix epoch), from number 0.
    pub fn new(time_ms: u64) -> Self {
        IdSource { time_ms, next: 0 }
    }

    /// The next id.
    pub fn next_id(&mut self) -> InvocationId {
        let mut random = [0u8; 10];
        random[2..].copy_from_slice(&self.next.to_be_bytes());
        self.next += 1;
        let uuid = uuid::Builder::from_unix_timestamp_millis(self.time_ms, &random).into_uuid();
        InvocationId(uuid.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_v7_ordered_and_repeatable() {
        let mut a = IdSource::new(1_767_225_600_000);
        let mut b = IdSource::new(1_767_225_600_000);
        let (first, second) = (a.next_id(), a.next_id());
        assert!(first < second, "{first} then {second}");
        assert_eq!(first.created_ms(), Some(1_767_225_600_000));
        assert_eq!(b.next_id(), first);
        assert_eq!(b.next_id(), second);
    }
}
