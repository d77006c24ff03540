//! Calendar dates and instants as the schema's `Date` and `Timestamp` text: checking
//! `YYYY-MM-DD`, comparing stays, and writing "now" as RFC 3339 UTC — with nothing but
//! `std` (the days-to-civil conversion is Howard Hinnant's `civil_from_days`).

/// Seconds in a day.
const SECONDS_PER_DAY: i64 = 86_400;

/// True when `text` is a real calendar date written `YYYY-MM-DD` (four-digit year, month
/// 01–12, a day that exists in that month, leap years included). Such dates compare
/// correctly as text, which is what the reservation checks rely on.
pub fn is_valid_date(text: &str) -> bool {
    parse_date(text).is_some()
}

/// The year, month and day of a `YYYY-MM-DD` date, or `None` when it is not one.
pub fn parse_date(text: &str) -> Option<(i64, u32, u32)> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year = digits(&text[0..4])?;
    let month = u32::try_from(digits(&text[5..7])?).ok()?;
    let day = u32::try_from(digits(&text[8..10])?).ok()?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some((year, month, day))
}

/// The value of a run of ASCII digits (no sign, no spaces), or `None`.
fn digits(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// True in a Gregorian leap year.
fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// The number of days of `month` (1–12) in `year`.
fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// True when the stays `[a_in, a_out)` and `[b_in, b_out)` share at least one night.
/// Dates must be valid `YYYY-MM-DD` text, so comparing them as text is comparing them
/// as dates. A stay ending on the day another begins does not overlap it.
pub fn stays_overlap(a_in: &str, a_out: &str, b_in: &str, b_out: &str) -> bool {
    a_in < b_out && b_in < a_out
}

/// `milliseconds` since the Unix epoch (what `Ctx::now_ms` gives) as RFC 3339 UTC text
/// with whole seconds, e.g. `2026-11-28T06:28:30Z`.
pub fn rfc3339_from_millis(milliseconds: u64) -> String {
    rfc3339_from_unix(i64::try_from(milliseconds / 1000).unwrap_or(i64::MAX))
}

/// `seconds` since the Unix epoch as RFC 3339 UTC text (`YYYY-MM-DDTHH:MM:SSZ`).
pub fn rfc3339_from_unix(seconds: i64) -> String {
    let days = seconds.div_euclid(SECONDS_PER_DAY);
    let second_of_day = seconds.rem_euclid(SECONDS_PER_DAY);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date_from_days(days),
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// The day `days` after 1970-01-01 as a `Date`: `YYYY-MM-DD`.
pub fn date_from_days(days: i64) -> String {
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The Gregorian year, month (1–12) and day (1–31) of the day `days` after 1970-01-01
/// (negative before it).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097); // [0, 146096]
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365; // [0, 399]
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // [0, 365]
    let shifted_month = (5 * day_of_year + 2) / 153; // [0, 11], March first
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1; // [1, 31]
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    }; // [1, 12]
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Both are in range by construction: 1..=31 and 1..=12.
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_be_real_and_well_formed() {
        for good in [
            "2026-01-01",
            "2024-02-29",
            "2000-02-29",
            "2026-12-31",
            "0001-01-01",
        ] {
            assert!(is_valid_date(good), "{good} is a date");
        }
        for bad in [
            "2026-1-01",
            "2026-01-1",
            "26-01-01",
            "2026/01/01",
            "2026-00-10",
            "2026-13-01",
            "2026-02-29",
            "1900-02-29",
            "2026-04-31",
            "2026-01-00",
            "2026-01-01T00:00:00Z",
            "+026-01-01",
            "2026-0a-01",
            "",
            "２０２６-01-01",
        ] {
            assert!(!is_valid_date(bad), "{bad:?} is not a date");
        }
    }

    #[test]
    fn stays_overlap_on_shared_nights_only() {
        let (a_in, a_out) = ("2026-06-01", "2026-06-04");
        assert!(stays_overlap(a_in, a_out, "2026-06-03", "2026-06-05"));
        assert!(stays_overlap(a_in, a_out, "2026-05-30", "2026-06-02"));
        assert!(
            stays_overlap(a_in, a_out, "2026-06-02", "2026-06-03"),
            "inside"
        );
        assert!(
            stays_overlap(a_in, a_out, "2026-05-01", "2026-07-01"),
            "around"
        );
        assert!(
            !stays_overlap(a_in, a_out, "2026-06-04", "2026-06-06"),
            "back to back"
        );
        assert!(
            !stays_overlap(a_in, a_out, "2026-05-28", "2026-06-01"),
            "ends on arrival"
        );
    }

    #[test]
    fn civil_dates_from_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(civil_from_days(-719_468), (0, 3, 1));
    }

    #[test]
    fn rfc3339_text() {
        assert_eq!(rfc3339_from_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_from_unix(1_795_847_310), "2026-11-28T06:28:30Z");
        assert_eq!(rfc3339_from_unix(-1), "1969-12-31T23:59:59Z");
        assert_eq!(
            rfc3339_from_millis(1_795_847_310_999),
            "2026-11-28T06:28:30Z"
        );
    }
}
