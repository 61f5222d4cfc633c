//! Day numbers: a civil date as a count of days, so that walking the calendar
//! is integer arithmetic on a table index rather than date arithmetic.

use jiff::civil::Date;

/// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`).
pub(crate) fn day_number(date: Date) -> i32 {
    let (mut y, m, d) = (i32::from(date.year()), i32::from(date.month()), i32::from(date.day()));
    if m <= 2 {
        y -= 1;
    }
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`day_number`]. Only called with numbers of days inside a
/// calendar's table, which are all valid dates.
pub(crate) fn date_of(n: i32) -> Date {
    let z = n + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i32::from(m <= 2);
    // In range by construction: y is within the calendar's years, m in 1..=12, d in 1..=31.
    jiff::civil::date(y as i16, m as i8, d as i8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_agree_with_jiff_for_two_centuries() {
        let epoch = jiff::civil::date(1970, 1, 1);
        let mut date = jiff::civil::date(1900, 1, 1);
        let end = jiff::civil::date(2100, 12, 31);
        while date <= end {
            let n = day_number(date);
            let expected = (date - epoch).get_days();
            assert_eq!(n, expected, "{date}");
            assert_eq!(date_of(n), date);
            date = date.tomorrow().unwrap();
        }
    }
}
