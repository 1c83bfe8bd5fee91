//! Day arithmetic for key ages. IAM writes times as ISO 8601 (`2024-01-15T10:00:00Z`,
//! `2024-01-15T10:00:00+00:00`, `2016-11-06T03:41:52.719Z`); ages are counted in whole days, so
//! only the date part is read.

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    // Count from 0000-03-01 so that the leap day is the last day of the year.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The day of an ISO 8601 date or date-time (`YYYY-MM-DD…`); `None` for anything else
/// (`N/A`, `no_information`, empty).
pub fn parse_day(text: &str) -> Option<i64> {
    let t = text.trim();
    let b = t.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i64 = t.get(0..4)?.parse().ok()?;
    let m: u32 = t.get(5..7)?.parse().ok()?;
    let d: u32 = t.get(8..10)?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// Today (UTC) as days since the epoch.
pub fn today() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    secs.div_euclid(86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(parse_day("2024-02-29T23:59:59Z").unwrap() - parse_day("2024-02-28").unwrap(), 1);
        assert_eq!(parse_day("2025-01-01T00:00:00+00:00").unwrap() - parse_day("2024-01-01").unwrap(), 366);
        assert_eq!(parse_day("2016-11-06T03:41:52.719Z"), Some(days_from_civil(2016, 11, 6)));
        assert_eq!(parse_day("N/A"), None);
        assert_eq!(parse_day("2024-13-01"), None);
    }
}
