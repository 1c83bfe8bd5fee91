//! Day arithmetic for key ages. IAM writes times as ISO 8601 (`2024-01-15T10:00:00Z`,
//! `2024-01-15T10:00:00+00:00`, `2016-11-06T03:41:52.719Z`); ages are counted in whole UTC
//! days, so a time with an offset is moved to UTC before its day is taken.

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

/// `YYYY-MM-DD` of a day counted from 1970-01-01 (the inverse of [`days_from_civil`]).
pub fn format_day(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The UTC day of an ISO 8601 date or date-time, as days since the epoch; `None` for anything
/// else (`N/A`, `no_information`, empty) and for impossible dates (`2026-02-30`). Accepted:
/// `YYYY-MM-DD`, optionally followed by `T` (or a space) and `HH:MM[:SS[.fraction]]`, then `Z`,
/// `±HH:MM`, `±HHMM`, `±HH` or nothing (UTC). An offset moves the time to UTC first, so
/// `2026-01-01T23:00:00-05:00` is 2026-01-02.
pub fn parse_day(text: &str) -> Option<i64> {
    let t = text.trim();
    let (y, m, d) = parse_date(t.get(..10)?)?;
    let day = days_from_civil(y, m, d);
    let rest = &t[10..];
    if rest.is_empty() {
        return Some(day);
    }
    let time = rest.strip_prefix(['T', 't', ' '])?;
    let (seconds, zone) = parse_time(time)?;
    let offset = parse_offset(zone)?;
    Some(day + (seconds - offset).div_euclid(86_400))
}

/// `YYYY-MM-DD` with a month of 1 to 12 and a day that the month has.
fn parse_date(t: &str) -> Option<(i64, u32, u32)> {
    let b = t.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i64 = digits(&t[0..4])?.into();
    let m = digits(&t[5..7])?;
    let d = digits(&t[8..10])?;
    (d >= 1 && d <= days_in_month(y, m)?).then_some((y, m, d))
}

/// Days in a month of the proleptic Gregorian calendar; `None` for a month outside 1 to 12.
fn days_in_month(y: i64, m: u32) -> Option<u32> {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    Some(match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    })
}

/// A number written with ASCII digits only (no sign, no spaces).
fn digits(t: &str) -> Option<u32> {
    if t.is_empty() || !t.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// `HH:MM[:SS[.fraction]]` and what follows it: (seconds into the day, the rest).
fn parse_time(t: &str) -> Option<(i64, &str)> {
    let h = digits(t.get(0..2)?)?;
    if t.as_bytes().get(2) != Some(&b':') {
        return None;
    }
    let mi = digits(t.get(3..5)?)?;
    let mut rest = &t[5..];
    let mut s = 0;
    if let Some(after) = rest.strip_prefix(':') {
        s = digits(after.get(0..2)?)?;
        rest = &after[2..];
        if let Some(frac) = rest.strip_prefix(['.', ',']) {
            let n = frac.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 {
                return None;
            }
            rest = &frac[n..];
        }
    }
    // 60 is a leap second.
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some((i64::from(h * 3600 + mi * 60 + s), rest))
}

/// `Z`, `±HH:MM`, `±HHMM`, `±HH` or nothing, as seconds east of UTC.
fn parse_offset(zone: &str) -> Option<i64> {
    if zone.is_empty() || zone.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let (sign, hm) = match zone.as_bytes()[0] {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    let (h, m) = match hm.len() {
        2 => (digits(hm)?, 0),
        4 => (digits(&hm[0..2])?, digits(&hm[2..4])?),
        5 if hm.as_bytes()[2] == b':' => (digits(&hm[0..2])?, digits(&hm[3..5])?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * i64::from(h * 3600 + m * 60))
}

/// Today (UTC) as days since the epoch.
pub fn today() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    secs.div_euclid(86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_day_inverts_days_from_civil() {
        for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (2026, 11, 25), (1969, 12, 31), (2100, 3, 1)] {
            assert_eq!(format_day(days_from_civil(y, m, d)), format!("{y:04}-{m:02}-{d:02}"));
        }
    }

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

    #[test]
    fn impossible_dates_are_rejected() {
        for text in
            ["2026-02-30", "2026-02-29", "2025-04-31", "2026-00-10", "2026-01-00", "2026-1-01", "+026-01-01"]
        {
            assert_eq!(parse_day(text), None, "{text}");
        }
        assert_eq!(parse_day("2024-02-29"), Some(days_from_civil(2024, 2, 29)), "a leap day");
        assert_eq!(parse_day("2000-02-29"), Some(days_from_civil(2000, 2, 29)), "400 years: a leap year");
        assert_eq!(parse_day("1900-02-29"), None, "100 years: not a leap year");
        for text in
            ["2026-01-01T24:00:00Z", "2026-01-01T10:60Z", "2026-01-01T10:00:00+25:00", "2026-01-01junk"]
        {
            assert_eq!(parse_day(text), None, "{text}");
        }
    }

    #[test]
    fn offsets_move_the_time_to_utc() {
        let jan = |d| days_from_civil(2026, 1, d);
        assert_eq!(parse_day("2026-01-01T23:00:00-05:00"), Some(jan(2)));
        assert_eq!(parse_day("2026-01-01T18:59:59-05:00"), Some(jan(1)));
        assert_eq!(parse_day("2026-01-02T01:00:00+02:00"), Some(jan(1)));
        assert_eq!(parse_day("2026-01-01T23:30:00.5-0100"), Some(jan(2)));
        assert_eq!(parse_day("2026-01-01T12:00:00-12"), Some(jan(2)));
        assert_eq!(parse_day("2026-01-01T23:00:00Z"), Some(jan(1)));
        assert_eq!(parse_day("2026-01-01 23:00:00"), Some(jan(1)), "no zone: UTC");
        assert_eq!(parse_day("2026-01-01T23:00"), Some(jan(1)));
    }
}
