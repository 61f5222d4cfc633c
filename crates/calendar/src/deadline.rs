//! Deadlines: "within N working days after D" and "within N days after D".
//!
//! In both, the day of the event D does not count (行政处罚法 art. 85 and the
//! procedure laws count periods from the next day). Working days skip weekends
//! and holidays and count swapped working days. Natural days count every day,
//! and a period whose last day is a weekend or holiday ends on the next working
//! day instead.

use crate::civil::day_number;
use crate::{Calendar, CalendarError, Day, DayKind, Period, Unit};
use jiff::civil::Date;
use serde::Serialize;

/// A day that mattered to a deadline: a non-working day skipped, or a swapped
/// working day counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TraceDay<'a> {
    #[serde(flatten)]
    pub day: Day<'a>,
    /// Whether the day counted towards the period.
    pub counted: bool,
}

/// A due date and how it was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadline<'a> {
    /// The day of the event; it does not count.
    pub from: Date,
    pub period: Period,
    /// The last day on which the thing may be done.
    pub due: Date,
    /// For natural days: the day the period ends before moving past
    /// non-working days.
    pub nominal_end: Option<Date>,
    /// For working days: every weekend and holiday skipped and every swapped
    /// working day counted; for natural days: the non-working days the end moved past.
    pub trace: Vec<TraceDay<'a>>,
}

impl Deadline<'_> {
    /// The rule in words, in Chinese.
    pub fn rule(&self) -> String {
        match self.period.unit() {
            Unit::WorkingDays => format!(
                "自{}的次日起计算{}：当日不计入，休息日和法定节假日不计入，调休上班日计入",
                self.from, self.period
            ),
            Unit::Days => format!(
                "自{}的次日起计算{}：期间届满的最后一日为休息日或法定节假日的，以其后的第一个工作日为期间届满日",
                self.from, self.period
            ),
        }
    }

    /// The trace as lines of text: the rule, then each day that mattered.
    pub fn explain(&self) -> Vec<String> {
        let mut lines = vec![format!("规则：{}", self.rule())];
        if let Some(end) = self.nominal_end {
            lines.push(format!("{end} 期间届满（按自然日）"));
        }
        for t in &self.trace {
            let action = if t.counted { "计入" } else { "跳过" };
            let name = t.day.name.map(|n| format!("（{n}）")).unwrap_or_default();
            lines.push(format!("{} {} {}{}", t.day.date, action, t.day.kind.label(), name));
        }
        lines.push(format!("{} 期限届满", self.due));
        lines
    }
}

impl Calendar {
    /// The due date of `period` after `from`, without the trace: the fast path.
    pub fn due_date(&self, from: Date, period: Period) -> Result<Date, CalendarError> {
        match period.unit() {
            Unit::WorkingDays => self.nth_working_day_after(from, period.length()),
            Unit::Days => self.walk(from, period, |_| {}).map(|(due, _)| due),
        }
    }

    /// The due date of `period` after `from`, with its trace.
    pub fn deadline(&self, from: Date, period: Period) -> Result<Deadline<'_>, CalendarError> {
        // Enough for the weekends of the period without growing.
        let mut trace = Vec::with_capacity(usize::from(period.length() / 2 + 8));
        let (due, nominal_end) = self.walk(from, period, |cell| {
            trace.push(TraceDay { day: self.day_at(cell), counted: cell.kind.is_some_and(DayKind::is_working) })
        })?;
        Ok(Deadline { from, period, due, nominal_end, trace })
    }

    /// The `n`th working day after `from`, by binary search on the running
    /// count of working days.
    fn nth_working_day_after(&self, from: Date, n: u16) -> Result<Date, CalendarError> {
        let first = day_number(from) + 1;
        let start = usize::try_from(first - self.base)
            .ok()
            .filter(|&i| i < self.cells.len())
            .ok_or_else(|| crate::missing(first))?;
        let target = self.working_before[start] + u32::from(n);
        // The first index whose running count (through it) reaches the target.
        let end = start + self.working_before[start + 1..].partition_point(|&w| w < target);
        if end >= self.cells.len() {
            return Err(crate::missing(self.base + i32::try_from(self.cells.len()).unwrap_or(i32::MAX)));
        }
        if self.unknown_before[end + 1] != self.unknown_before[start] {
            let unknown = (start..=end).find(|&i| self.cells[i].kind.is_none()).unwrap_or(start);
            return Err(crate::missing(self.base + i32::try_from(unknown).unwrap_or(i32::MAX)));
        }
        Ok(self.cells[end].date)
    }

    /// Walk the calendar from the day after `from`, calling `note` for each day
    /// that belongs in the trace; returns the due date and, for natural days,
    /// the nominal end.
    fn walk(
        &self,
        from: Date,
        period: Period,
        mut note: impl FnMut(crate::Cell),
    ) -> Result<(Date, Option<Date>), CalendarError> {
        let length = period.length();
        let first = match period.unit() {
            Unit::WorkingDays => day_number(from) + 1,
            Unit::Days => day_number(from) + i32::from(length),
        };
        let start = usize::try_from(first - self.base)
            .ok()
            .filter(|&i| i < self.cells.len())
            .ok_or_else(|| crate::missing(first))?;
        let mut left = length;
        for (i, &cell) in self.cells[start..].iter().enumerate() {
            let Some(kind) = cell.kind else {
                return Err(crate::missing(first + i32::try_from(i).unwrap_or(i32::MAX)));
            };
            match (period.unit(), kind) {
                (Unit::WorkingDays, DayKind::Workday) => left -= 1,
                (Unit::WorkingDays, DayKind::SwappedWorkday) => {
                    note(cell);
                    left -= 1;
                }
                (Unit::Days, DayKind::Workday | DayKind::SwappedWorkday) => {
                    return Ok((cell.date, Some(self.cells[start].date)));
                }
                (_, DayKind::Weekend | DayKind::Holiday) => note(cell),
            }
            if left == 0 {
                return Ok((cell.date, None));
            }
        }
        Err(crate::missing(self.base + i32::try_from(self.cells.len()).unwrap_or(i32::MAX)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn certainly_within_never_passes_a_due_date() {
        let calendar = Calendar::embedded().unwrap();
        let mut from = date(2024, 1, 1);
        while from < date(2025, 10, 1) {
            for period in
                [Period::working_days(5).unwrap(), Period::working_days(20).unwrap(), Period::days(90).unwrap()]
            {
                let due = calendar.due_date(from, period).unwrap();
                for offset in 0..60 {
                    let on = from + jiff::Span::new().days(offset);
                    if period.certainly_within(from, on) {
                        assert!(on <= due, "{from} + {period}: {on} after {due}");
                    }
                }
                let nominal = from + jiff::Span::new().days(i64::from(period.length()));
                assert!(period.certainly_within(from, nominal));
            }
            from = from.tomorrow().unwrap();
        }
    }

    #[test]
    fn due_date_and_deadline_agree() {
        let calendar = Calendar::embedded().unwrap();
        for period in [Period::working_days(7).unwrap(), Period::days(15).unwrap()] {
            let from = date(2024, 2, 8);
            assert_eq!(calendar.due_date(from, period).unwrap(), calendar.deadline(from, period).unwrap().due);
        }
    }
}
