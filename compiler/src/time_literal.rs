//! Text literals of the stdlib's `Date` and `Timestamp` types: checked when a schema
//! gives one as a default, and split into the parts generated code builds the value from.

/// The year, month and day of `text`, an ISO 8601 calendar date such as `2026-11-28`.
pub fn date(text: &str) -> Result<(i16, i8, i8), String> {
    let date: jiff::civil::Date = text
        .parse()
        .map_err(|error| format!("`{text}` is not a date such as `2026-11-28` ({error})"))?;
    if date.to_string() != text {
        return Err(format!(
            "`{text}` is not written `YYYY-MM-DD` (write `{date}`)"
        ));
    }
    Ok((date.year(), date.month(), date.day()))
}

/// The seconds and nanoseconds since the Unix epoch of `text`, an RFC 3339 instant such
/// as `2026-11-28T06:28:30Z`.
pub fn timestamp(text: &str) -> Result<(i64, i32), String> {
    let instant: jiff::Timestamp = text.parse().map_err(|error| {
        format!("`{text}` is not an RFC 3339 instant such as `2026-11-28T06:28:30Z` ({error})")
    })?;
    Ok((instant.as_second(), instant.subsec_nanosecond()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_exist_and_be_written_in_full() {
        assert_eq!(date("2024-02-29"), Ok((2024, 2, 29)));
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-1-01",
            "20261128",
            "tomorrow",
            "",
        ] {
            assert!(date(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn timestamps_are_instants_with_an_offset() {
        assert_eq!(timestamp("1970-01-01T00:00:01.5Z"), Ok((1, 500_000_000)));
        assert_eq!(timestamp("1970-01-01T01:00:00+01:00"), Ok((0, 0)));
        for bad in ["2026-11-28T06:28:30", "2026-11-28", "now", ""] {
            assert!(timestamp(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
