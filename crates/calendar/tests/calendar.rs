#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use jiff::civil::{Date, date};
use proptest::prelude::*;
use std::process::Command;
use std::sync::LazyLock;
use zhifa_calendar::{Calendar, CalendarBuilder, CalendarError, DayKind, Period, Unit, legal_periods};

static CALENDAR: LazyLock<Calendar> = LazyLock::new(|| Calendar::embedded().unwrap());

fn working(n: u16) -> Period {
    Period::working_days(n).unwrap()
}

fn days(n: u16) -> Period {
    Period::days(n).unwrap()
}

fn legal(id: &str) -> Period {
    legal_periods().unwrap().into_iter().find(|p| p.id == id).unwrap_or_else(|| panic!("no period {id}")).period
}

// ---- the data --------------------------------------------------------------

#[test]
fn embedded_years_are_2019_to_2026() {
    let years: Vec<i16> = CALENDAR.years().iter().map(|y| y.year).collect();
    assert_eq!(years, (2019..=2026).collect::<Vec<_>>());
    assert!(CALENDAR.years().iter().all(|y| y.embedded && !y.sources.is_empty()));
}

/// Days on which `chinesecalendar` follows a different convention than the
/// notice: the 2024 notice says "6月10日（周一）放假，与周末连休", exactly as it
/// says of 1 January 2024, but the package calls 8–9 June ordinary weekend days
/// while it calls 30–31 December 2023 holidays. Both are days off; we write
/// every "与周末连休" period whole (see `data/README.md`).
const ORACLE_CONVENTION: &[(&str, &str, &str)] =
    &[("2024-06-08", "holiday", "weekend"), ("2024-06-09", "holiday", "weekend")];

/// The Python that has the `chinesecalendar` package, if any.
fn oracle_python() -> Option<String> {
    let candidates = std::env::var("ZHIFA_CALENDAR_ORACLE_PYTHON").into_iter().chain(["python3".to_owned()]);
    for python in candidates {
        let ok =
            Command::new(&python).args(["-c", "import chinese_calendar"]).output().is_ok_and(|o| o.status.success());
        if ok {
            return Some(python);
        }
    }
    None
}

#[test]
fn every_day_2019_to_2026_agrees_with_the_chinesecalendar_package() {
    let Some(python) = oracle_python() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the oracle: set ZHIFA_CALENDAR_ORACLE_PYTHON to a Python with chinesecalendar"
        );
        eprintln!("skipped: no Python with the chinesecalendar package (pip install chinesecalendar)");
        return;
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/calendar-oracle.py");
    let output = Command::new(python).args([script, "2019-01-01", "2026-12-31"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let oracle = String::from_utf8(output.stdout).unwrap();

    let ours = CALENDAR.days(date(2019, 1, 1), date(2026, 12, 31)).unwrap();
    let oracle: Vec<(&str, &str)> = oracle.lines().map(|l| l.split_once(' ').unwrap()).collect();
    assert_eq!(ours.len(), oracle.len(), "the oracle printed a different number of days");

    let mut differences = Vec::new();
    let mut conventions_seen = 0;
    for (day, (date, theirs)) in ours.iter().zip(&oracle) {
        assert_eq!(day.date.to_string(), *date);
        if day.kind.code() == *theirs {
            continue;
        }
        if ORACLE_CONVENTION.contains(&(date, day.kind.code(), theirs)) {
            conventions_seen += 1;
            continue;
        }
        differences.push(format!("{date}: ours {}, chinesecalendar {theirs}", day.kind.code()));
    }
    assert!(differences.is_empty(), "{} days differ:\n{}", differences.len(), differences.join("\n"));
    assert_eq!(
        conventions_seen,
        ORACLE_CONVENTION.len(),
        "a documented convention difference is gone; update the list"
    );
    assert_eq!(ours.len(), 2922);
}

#[test]
fn a_year_without_data_is_an_error_never_a_guess() {
    let err = CALENDAR.day(date(2027, 1, 4)).unwrap_err();
    assert_eq!(err, CalendarError::MissingYear { year: 2027, date: date(2027, 1, 4) });
    assert!(err.to_string().contains("2027年的节假日安排尚未载入"), "{err}");
    assert!(matches!(CALENDAR.day(date(2018, 6, 1)), Err(CalendarError::MissingYear { year: 2018, .. })));
    // A deadline that reaches into 2027 fails, wherever it starts.
    assert!(matches!(
        CALENDAR.deadline(date(2026, 12, 24), working(7)),
        Err(CalendarError::MissingYear { year: 2027, .. })
    ));
    assert!(matches!(CALENDAR.due_date(date(2026, 10, 15), days(90)), Err(CalendarError::MissingYear { .. })));
    // One that ends before it does not.
    assert_eq!(CALENDAR.due_date(date(2026, 12, 21), working(7)).unwrap(), date(2026, 12, 30));
}

#[test]
fn rec_3_an_estimate_fills_years_without_data_with_weekends_only_and_says_so() {
    let estimate = CALENDAR.with_estimates(2028);
    // 2026 is as published: its days and due dates do not change.
    assert!(!estimate.is_estimated(2026) && estimate.is_estimated(2027) && estimate.is_estimated(2028));
    assert_eq!(estimate.due_date(date(2026, 12, 21), working(7)).unwrap(), date(2026, 12, 30));
    assert_eq!(estimate.day(date(2026, 10, 1)).unwrap().kind, DayKind::Holiday);
    // 2027: 1 January (a Friday) is a working day in the estimate; 24 Dec
    // 2026 + 7 working days: 25, 28–31 Dec, 1, 4 Jan.
    assert_eq!(estimate.day(date(2027, 1, 1)).unwrap().kind, DayKind::Workday);
    assert_eq!(estimate.due_date(date(2026, 12, 24), working(7)).unwrap(), date(2027, 1, 4));
    assert_eq!(estimate.deadline(date(2026, 12, 24), working(7)).unwrap().due, date(2027, 1, 4));
    assert_eq!(estimate.due_date(date(2028, 12, 1), days(10)).unwrap(), date(2028, 12, 11));
    // Beyond it, nothing is guessed; the calendar it came from is unchanged.
    assert!(matches!(estimate.day(date(2029, 1, 2)), Err(CalendarError::MissingYear { year: 2029, .. })));
    assert!(CALENDAR.day(date(2027, 1, 4)).is_err());
    assert_eq!(estimate.years(), CALENDAR.years(), "the years with data are still those");
}

#[test]
fn an_administrator_adds_a_year_from_a_file() {
    let mut builder = Calendar::builder();
    builder
        .add_file(
            "2027.txt",
            "year 2027\nsource 国务院办公厅关于2027年部分节假日安排的通知（示例）\nholiday 2027-01-01..2027-01-03 元旦\nworkday 2027-01-09 元旦\n",
        )
        .unwrap();
    let calendar = builder.build().unwrap();
    assert!(calendar.has_year(2027) && !calendar.years().last().unwrap().embedded);
    assert_eq!(calendar.day(date(2027, 1, 1)).unwrap().kind, DayKind::Holiday);
    assert_eq!(calendar.day(date(2027, 1, 9)).unwrap().kind, DayKind::SwappedWorkday);
    assert_eq!(calendar.day(date(2027, 1, 9)).unwrap().name, Some("元旦"));
    assert_eq!(calendar.day(date(2027, 1, 4)).unwrap().kind, DayKind::Workday);
    // 25, 28–31 Dec (1..5); 1–3 Jan off; 4, 5 Jan (6, 7).
    assert_eq!(calendar.due_date(date(2026, 12, 24), working(7)).unwrap(), date(2027, 1, 5));
}

#[test]
fn a_bad_year_file_is_refused_with_file_and_line() {
    let cases = [
        ("2027.txt", "year 2027\nsource s\nholiday 2027-02-30 春节\n", "2027.txt 第3行", "不是有效的日期"),
        ("2027.txt", "year 2027\nsource s\nworkday 2027-01-05 元旦\n", "第3行", "不是周末"),
        (
            "2027.txt",
            "year 2027\nsource s\nholiday 2027-01-01..2027-01-03 元旦\nholiday 2027-01-03 元旦\n",
            "第4行",
            "重叠",
        ),
        ("2027.txt", "source s\n", "第1行", "year YYYY"),
        ("2027.txt", "year 2027\nholiday 2027-01-01 元旦\n", "2027.txt", "source"),
        ("2027.txt", "year 2028\nsource s\n", "2027.txt", "不符"),
        ("2027.txt", "year 2027\nsource s\nrest 2027-01-01\n", "第3行", "无法识别"),
        // A notice may not contradict another year's notice about the same day.
        ("2027.txt", "year 2027\nsource s\nholiday 2026-10-10 国庆节\n", "第3行", "2026.txt 第"),
    ];
    for (file, text, place, message) in cases {
        let mut builder = Calendar::builder();
        let err = match builder.add_file(file, text) {
            Err(e) => e,
            Ok(b) => b.build().unwrap_err(),
        }
        .to_string();
        assert!(err.contains(place) && err.contains(message), "{text:?} gave {err}");
    }
}

#[test]
fn empty_builder_is_refused() {
    assert!(CalendarBuilder::empty().build().is_err());
}

// ---- the legal periods -----------------------------------------------------

#[test]
fn art_85_penalty_law_periods_of_2_3_5_7_days_are_working_days() {
    let periods = legal_periods().unwrap();
    let of_the_law: Vec<_> = periods.iter().filter(|p| p.basis.contains("《行政处罚法》")).collect();
    assert!(of_the_law.len() >= 8);
    for p in of_the_law {
        if [2, 3, 5, 7].contains(&p.period.length()) {
            assert_eq!(p.period.unit(), Unit::WorkingDays, "{} must be working days (art. 85)", p.id);
            assert!(p.basis.contains("第八十五条"), "{} must cite art. 85", p.id);
        } else {
            assert_eq!(p.period.unit(), Unit::Days, "{} is in natural days", p.id);
        }
    }
}

#[test]
fn art_69_coercion_law_periods_up_to_ten_days_are_working_days() {
    for p in legal_periods().unwrap().iter().filter(|p| p.basis.contains("《行政强制法》")) {
        assert_eq!(p.period.unit() == Unit::WorkingDays, p.period.length() <= 10, "{}", p.id);
    }
}

#[test]
fn legal_periods_match_the_articles() {
    assert_eq!(legal("penalty.decision"), days(90));
    assert_eq!(legal("penalty.service"), working(7));
    assert_eq!(legal("penalty.hearing_request"), working(5));
    assert_eq!(legal("penalty.payment"), days(15));
    assert_eq!(legal("penalty.publication"), working(7));
    assert_eq!(legal("decision.publication"), working(20));
    assert_eq!(legal("penalty.publication_withdrawal"), working(3));
    assert_eq!(legal("coercive.seizure"), days(30));
}

// ---- scenarios named after the rules ---------------------------------------

#[test]
fn publication_of_a_penalty_decided_on_2025_09_30_waits_out_national_day_and_mid_autumn() {
    let d = CALENDAR.deadline(date(2025, 9, 30), legal("penalty.publication")).unwrap();
    // 10-01..10-08 off; 10-09 (1), 10-10 (2), Saturday 10-11 swapped (3),
    // Sunday 10-12 off, 10-13..10-16 (4..7).
    assert_eq!(d.due, date(2025, 10, 16));
    let skipped: Vec<Date> = d.trace.iter().filter(|t| !t.counted).map(|t| t.day.date).collect();
    let mut expected: Vec<Date> = (1..=8).map(|day| date(2025, 10, day)).collect();
    expected.push(date(2025, 10, 12));
    assert_eq!(skipped, expected);
    assert!(d.trace[..8].iter().all(|t| t.day.kind == DayKind::Holiday && t.day.name == Some("国庆节、中秋节")));
    let counted: Vec<Date> = d.trace.iter().filter(|t| t.counted).map(|t| t.day.date).collect();
    assert_eq!(counted, [date(2025, 10, 11)]);
    let text = d.explain().join("\n");
    assert!(text.contains("2025-10-01 跳过 法定节假日（国庆节、中秋节）"), "{text}");
    assert!(text.contains("2025-10-11 计入 调休上班"), "{text}");
}

#[test]
fn working_days_between_skips_the_2025_national_day_holiday() {
    // 30 Sep (Tue) to 10 Oct (Fri): 1–8 Oct are the holiday, 11 Oct a 调休 Saturday.
    assert_eq!(CALENDAR.working_days_between(date(2025, 9, 30), date(2025, 10, 10)).unwrap(), 2);
    assert_eq!(CALENDAR.working_days_between(date(2025, 9, 30), date(2025, 10, 11)).unwrap(), 3);
    assert!(CALENDAR.working_days_between(date(2025, 12, 1), date(2099, 1, 1)).is_err());
}

#[test]
fn withdrawal_within_3_working_days_over_the_2024_spring_festival() {
    // Revoked on Thursday 8 February 2024. New Year's Eve (9 Feb) was a working
    // day; 10–17 Feb off; Sunday 18 Feb swapped to a working day.
    let d = CALENDAR.deadline(date(2024, 2, 8), legal("penalty.publication_withdrawal")).unwrap();
    assert_eq!(d.due, date(2024, 2, 19));
    assert_eq!(d.trace.iter().filter(|t| !t.counted).count(), 8);
    assert_eq!(d.trace.last().unwrap().day.date, date(2024, 2, 18));
    assert!(d.trace.last().unwrap().counted);
}

#[test]
fn service_within_7_working_days_over_may_day_2026() {
    // Decided Wednesday 29 April 2026: 30 Apr (1); 1–5 May off; 6, 7, 8 May (2..4);
    // Saturday 9 May swapped (5); Sunday 10 May off; 11, 12 May (6, 7).
    let d = CALENDAR.deadline(date(2026, 4, 29), legal("penalty.service")).unwrap();
    assert_eq!(d.due, date(2026, 5, 12));
    assert_eq!(d.nominal_end, None);
}

#[test]
fn decision_within_90_days_ending_on_a_holiday_moves_to_the_next_working_day() {
    // Filed 3 July 2025: the 90th day is 1 October, National Day; the period
    // ends on Thursday 9 October, the first working day after the holiday.
    let d = CALENDAR.deadline(date(2025, 7, 3), legal("penalty.decision")).unwrap();
    assert_eq!(d.nominal_end, Some(date(2025, 10, 1)));
    assert_eq!(d.due, date(2025, 10, 9));
    assert_eq!(d.trace.len(), 8);
    assert!(d.trace.iter().all(|t| !t.counted));
}

#[test]
fn natural_period_ending_on_a_weekend_moves_to_monday() {
    // 15 days after Friday 7 March 2025 is Saturday 22 March.
    let d = CALENDAR.deadline(date(2025, 3, 7), legal("penalty.payment")).unwrap();
    assert_eq!((d.nominal_end, d.due), (Some(date(2025, 3, 22)), date(2025, 3, 24)));
}

#[test]
fn natural_period_ending_on_a_swapped_working_day_does_not_move() {
    let d = CALENDAR.deadline(date(2025, 9, 26), days(15)).unwrap();
    assert_eq!((d.nominal_end, d.due), (Some(date(2025, 10, 11)), date(2025, 10, 11)));
    assert!(d.trace.is_empty());
}

#[test]
fn the_day_of_the_event_does_not_count() {
    // Monday to Tuesday is one working day; Friday to Monday is one too.
    assert_eq!(CALENDAR.due_date(date(2025, 3, 3), working(1)).unwrap(), date(2025, 3, 4));
    assert_eq!(CALENDAR.due_date(date(2025, 3, 7), working(1)).unwrap(), date(2025, 3, 10));
    assert_eq!(CALENDAR.due_date(date(2025, 3, 3), days(1)).unwrap(), date(2025, 3, 4));
}

#[test]
fn zero_and_overlong_periods_are_refused() {
    assert_eq!(Period::working_days(0), Err(CalendarError::Length));
    assert_eq!(Period::days(zhifa_calendar::MAX_PERIOD + 1), Err(CalendarError::Length));
    assert!(matches!(CALENDAR.days(date(2025, 2, 1), date(2025, 1, 1)), Err(CalendarError::Range { .. })));
}

// ---- properties ------------------------------------------------------------

/// A start date from which every period up to 90 days stays inside 2019–2026.
fn start() -> impl Strategy<Value = Date> {
    (0i32..2_737).prop_map(|offset| date(2019, 1, 1).checked_add(jiff::Span::new().days(offset)).unwrap())
}

proptest! {
    #[test]
    fn adding_working_days_lands_on_a_working_day(from in start(), n in 1u16..=90) {
        let due = CALENDAR.due_date(from, working(n)).unwrap();
        prop_assert!(CALENDAR.is_working_day(due).unwrap());
        prop_assert!(due > from);
        // Exactly n working days in (from, due].
        let counted = CALENDAR.days(from.tomorrow().unwrap(), due).unwrap().iter().filter(|d| d.kind.is_working()).count();
        prop_assert_eq!(counted, usize::from(n));
    }

    #[test]
    fn working_days_between_undoes_adding_working_days(from in start(), n in 1u16..=90) {
        let due = CALENDAR.due_date(from, working(n)).unwrap();
        prop_assert_eq!(CALENDAR.working_days_between(from, due).unwrap(), u32::from(n));
        prop_assert_eq!(CALENDAR.working_days_between(due, from).unwrap(), 0);
    }

    #[test]
    fn one_more_working_day_is_strictly_later(from in start(), n in 1u16..=89) {
        prop_assert!(CALENDAR.due_date(from, working(n + 1)).unwrap() > CALENDAR.due_date(from, working(n)).unwrap());
    }

    #[test]
    fn a_natural_day_deadline_never_ends_on_a_non_working_day(from in start(), n in 1u16..=90) {
        let d = CALENDAR.deadline(from, days(n)).unwrap();
        let nominal = from.checked_add(jiff::Span::new().days(i64::from(n))).unwrap();
        prop_assert_eq!(d.nominal_end, Some(nominal));
        prop_assert!(CALENDAR.is_working_day(d.due).unwrap());
        // It moved only past non-working days, and only as far as needed.
        for day in CALENDAR.days(nominal, d.due).unwrap().iter().rev().skip(1) {
            prop_assert!(!day.kind.is_working());
        }
    }

    #[test]
    fn the_fast_path_and_the_trace_agree(from in start(), n in 1u16..=90, natural in any::<bool>()) {
        let period = if natural { days(n) } else { working(n) };
        prop_assert_eq!(CALENDAR.due_date(from, period).unwrap(), CALENDAR.deadline(from, period).unwrap().due);
    }
}

#[test]
fn rec_3_from_november_next_years_missing_holidays_are_named() {
    let calendar = Calendar::embedded().unwrap();
    let last = calendar.years().last().unwrap().year;
    assert_eq!(calendar.next_year_missing(jiff::civil::date(last, 10, 31)), None, "not before November");
    assert_eq!(calendar.next_year_missing(jiff::civil::date(last, 11, 1)), Some(last + 1));
    assert_eq!(calendar.next_year_missing(jiff::civil::date(last - 1, 12, 31)), None, "next year is loaded");
}
