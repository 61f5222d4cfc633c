//! The official working-day calendar of the People's Republic of China and the
//! legal deadlines computed on it. Pure: no IO; the data comes in as text.
//!
//! - [`Calendar`]: the statutory holidays and swapped working days (调休) of each
//!   year with data, from the State Council General Office's notices. The years
//!   2019–2026 are embedded; [`CalendarBuilder::add_file`] adds or replaces a
//!   year. A day in a year without data is an error ([`CalendarError::MissingYear`]).
//! - [`Period`]: "within N working days" or "within N days" after an event, and
//!   [`Calendar::deadline`], which gives the due date with its trace.
//! - [`LegalPeriod`]: the periods the laws set, each with the unit the law gives
//!   it (`data/periods.txt`).

mod civil;
mod deadline;
mod parse;

pub use deadline::{Deadline, TraceDay};
pub use parse::LegalPeriod;

use civil::{date_of, day_number};
use jiff::civil::{Date, Weekday};
use serde::Serialize;
use std::collections::BTreeMap;
use thiserror::Error;

/// The embedded year files, `(file name, text)`.
const EMBEDDED: &[(&str, &str)] = &[
    ("2019.txt", include_str!("../data/2019.txt")),
    ("2020.txt", include_str!("../data/2020.txt")),
    ("2021.txt", include_str!("../data/2021.txt")),
    ("2022.txt", include_str!("../data/2022.txt")),
    ("2023.txt", include_str!("../data/2023.txt")),
    ("2024.txt", include_str!("../data/2024.txt")),
    ("2025.txt", include_str!("../data/2025.txt")),
    ("2026.txt", include_str!("../data/2026.txt")),
];

const PERIODS: &str = include_str!("../data/periods.txt");

/// The longest period accepted: ten years of days.
pub const MAX_PERIOD: u16 = 3660;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    #[error("{year}年的节假日安排尚未载入，无法确定{date}是否为工作日；请依国务院办公厅的通知添加 {year}.txt")]
    MissingYear { year: i16, date: Date },
    #[error("{file} 第{line}行：{message}")]
    Syntax { file: String, line: usize, message: String },
    #[error("{file}：{message}")]
    File { file: String, message: String },
    #[error("开始日期 {from} 晚于结束日期 {to}")]
    Range { from: Date, to: Date },
    #[error("期限应为 1 至 {MAX_PERIOD} 日")]
    Length,
}

/// What kind of day a date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DayKind {
    /// Monday to Friday, not a holiday.
    Workday,
    /// Saturday or Sunday, not a holiday and not swapped.
    Weekend,
    /// A day off by the State Council's notice (法定节假日, with the weekend
    /// days joined to it).
    Holiday,
    /// A Saturday or Sunday made a working day (调休上班).
    SwappedWorkday,
}

impl DayKind {
    pub const ALL: [DayKind; 4] = [DayKind::Workday, DayKind::Weekend, DayKind::Holiday, DayKind::SwappedWorkday];

    pub fn is_working(self) -> bool {
        matches!(self, DayKind::Workday | DayKind::SwappedWorkday)
    }

    /// The machine name: `workday`, `weekend`, `holiday`, `swapped-workday`.
    pub fn code(self) -> &'static str {
        match self {
            DayKind::Workday => "workday",
            DayKind::Weekend => "weekend",
            DayKind::Holiday => "holiday",
            DayKind::SwappedWorkday => "swapped-workday",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DayKind::Workday => "工作日",
            DayKind::Weekend => "休息日",
            DayKind::Holiday => "法定节假日",
            DayKind::SwappedWorkday => "调休上班",
        }
    }
}

/// One day of the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Day<'a> {
    pub date: Date,
    pub kind: DayKind,
    /// The holiday a holiday or swapped working day belongs to.
    pub name: Option<&'a str>,
}

/// How a period is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Working days after the event; non-working days do not count.
    WorkingDays,
    /// Natural days after the event; if the last day is not a working day, the
    /// period ends on the next working day.
    Days,
}

/// "Within `length` units after the event".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Period {
    length: u16,
    unit: Unit,
}

impl Period {
    pub fn new(length: u16, unit: Unit) -> Result<Self, CalendarError> {
        if length == 0 || length > MAX_PERIOD {
            return Err(CalendarError::Length);
        }
        Ok(Self { length, unit })
    }

    pub fn working_days(length: u16) -> Result<Self, CalendarError> {
        Self::new(length, Unit::WorkingDays)
    }

    pub fn days(length: u16) -> Result<Self, CalendarError> {
        Self::new(length, Unit::Days)
    }

    pub fn length(self) -> u16 {
        self.length
    }

    pub fn unit(self) -> Unit {
        self.unit
    }

    /// Whether `on` is within the period after `from` whatever the holidays:
    /// no period ends before its length in natural days (working days are
    /// at most as many as days, and a due date is only ever moved later), so
    /// this needs no calendar data and answers for years not yet published.
    pub fn certainly_within(self, from: Date, on: Date) -> bool {
        from.checked_add(jiff::Span::new().days(i64::from(self.length))).is_ok_and(|end| on <= end)
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.unit {
            Unit::WorkingDays => write!(f, "{}个工作日", self.length),
            Unit::Days => write!(f, "{}日", self.length),
        }
    }
}

/// The legal periods of `data/periods.txt`.
pub fn legal_periods() -> Result<Vec<LegalPeriod>, CalendarError> {
    parse::periods("periods.txt", PERIODS)
}

/// Where a year's data came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct YearInfo {
    pub year: i16,
    /// The file name, e.g. `2025.txt`.
    pub file: String,
    /// Shipped with the program, or added by the administrator.
    pub embedded: bool,
    /// The notices it was transcribed from.
    pub sources: Vec<String>,
    /// Days off and swapped working days in the year.
    pub holidays: usize,
    pub swapped_workdays: usize,
}

/// Collects year files, then checks them against each other.
#[derive(Debug, Clone)]
pub struct CalendarBuilder {
    files: BTreeMap<i16, (parse::YearFile, bool)>,
}

impl CalendarBuilder {
    /// A builder without any year.
    pub fn empty() -> Self {
        Self { files: BTreeMap::new() }
    }

    /// Add a year file (see `data/README.md`); it replaces an earlier file for
    /// the same year, embedded or not. A file named `YYYY.txt` must say `year YYYY`.
    pub fn add_file(&mut self, file: &str, text: &str) -> Result<&mut Self, CalendarError> {
        self.add(file, text, false)
    }

    fn add(&mut self, file: &str, text: &str, embedded: bool) -> Result<&mut Self, CalendarError> {
        let parsed = parse::year_file(file, text)?;
        if let Some(stem) = file.strip_suffix(".txt")
            && stem.parse::<i16>().is_ok_and(|y| y != parsed.year)
        {
            return Err(CalendarError::File {
                file: file.to_owned(),
                message: format!("文件名与其中的“year {}”不符", parsed.year),
            });
        }
        self.files.insert(parsed.year, (parsed, embedded));
        Ok(self)
    }

    pub fn build(&self) -> Result<Calendar, CalendarError> {
        let (Some(&first_year), Some(&last_year)) = (self.files.keys().next(), self.files.keys().next_back()) else {
            return Err(CalendarError::File {
                file: "-".into(), message: "没有任何年份的节假日数据".into()
            });
        };
        let base = day_number(jiff::civil::date(first_year, 1, 1));
        let end = day_number(jiff::civil::date(last_year, 12, 31));
        let mut cells: Vec<Cell> = (base..=end).map(|n| Cell { date: date_of(n), kind: None, name: 0 }).collect();
        // The plain week of every covered year.
        for &year in self.files.keys() {
            let (from, to) = (day_number(jiff::civil::date(year, 1, 1)), day_number(jiff::civil::date(year, 12, 31)));
            for n in from..=to {
                let cell = &mut cells[(n - base) as usize];
                let weekend = matches!(cell.date.weekday(), Weekday::Saturday | Weekday::Sunday);
                cell.kind = Some(if weekend { DayKind::Weekend } else { DayKind::Workday });
            }
        }
        // Then each notice, refusing two notices that disagree about a day.
        let mut names: Vec<String> = Vec::new();
        let mut set_by: BTreeMap<i32, (&str, usize, bool, &str)> = BTreeMap::new();
        let mut years = Vec::new();
        for (file, embedded) in self.files.values() {
            let (mut holidays, mut swapped) = (0, 0);
            for entry in &file.entries {
                let name = match names.iter().position(|n| *n == entry.name) {
                    Some(i) => i,
                    None => {
                        names.push(entry.name.clone());
                        names.len() - 1
                    }
                };
                let name = u16::try_from(name + 1)
                    .map_err(|_| CalendarError::File {
                        file: file.file.clone(), message: "节假日名称过多".into()
                    })?;
                for n in day_number(entry.first)..=day_number(entry.last) {
                    if let Some(&(other_file, other_line, working, other_name)) = set_by.get(&n)
                        && (working != entry.working || other_name != entry.name)
                    {
                        return Err(CalendarError::Syntax {
                            file: file.file.clone(),
                            line: entry.line,
                            message: format!("{} 与 {other_file} 第{other_line}行的安排不一致", date_of(n)),
                        });
                    }
                    set_by.insert(n, (&file.file, entry.line, entry.working, &entry.name));
                    if date_of(n).year() == file.year {
                        if entry.working {
                            swapped += 1;
                        } else {
                            holidays += 1;
                        }
                    }
                    let Some(cell) = usize::try_from(n - base).ok().and_then(|i| cells.get_mut(i)) else { continue };
                    if cell.kind.is_none() {
                        continue; // a day of a year without data stays unknown
                    }
                    cell.kind = Some(if entry.working { DayKind::SwappedWorkday } else { DayKind::Holiday });
                    cell.name = name;
                }
            }
            years.push(YearInfo {
                year: file.year,
                file: file.file.clone(),
                embedded: *embedded,
                sources: file.sources.clone(),
                holidays,
                swapped_workdays: swapped,
            });
        }
        let (working_before, unknown_before) = running_counts(&cells);
        Ok(Calendar { base, cells, working_before, unknown_before, names, years, estimated: Vec::new() })
    }
}

/// Working days and days without data before each cell (and in all).
fn running_counts(cells: &[Cell]) -> (Vec<u32>, Vec<u32>) {
    let (mut working_before, mut unknown_before) = (vec![0u32], vec![0u32]);
    for cell in cells {
        let (w, u) = (working_before[working_before.len() - 1], unknown_before[unknown_before.len() - 1]);
        working_before.push(w + u32::from(cell.kind.is_some_and(DayKind::is_working)));
        unknown_before.push(u + u32::from(cell.kind.is_none()));
    }
    (working_before, unknown_before)
}

#[derive(Debug, Clone, Copy)]
struct Cell {
    date: Date,
    /// `None` in a year without data.
    kind: Option<DayKind>,
    /// 1 + index into `names`, or 0.
    name: u16,
}

/// The working-day calendar: one cell per day from the first to the last year
/// with data.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// The day number of `cells[0]`.
    base: i32,
    cells: Vec<Cell>,
    /// `working_before[i]`: working days in `cells[..i]`; so is `unknown_before`
    /// for days without data. They make "N working days after" a binary search.
    working_before: Vec<u32>,
    unknown_before: Vec<u32>,
    names: Vec<String>,
    years: Vec<YearInfo>,
    /// Years filled in by [`Calendar::with_estimates`]: weekends only.
    estimated: Vec<i16>,
}

impl Calendar {
    /// This calendar with every year through `through` that has no data
    /// filled in as Saturdays and Sundays off and nothing else: an estimate,
    /// for a limit reaching a year whose holidays are not yet published.
    /// Holidays and swapped working days may move the real due date either
    /// way, so whatever it answers there is provisional.
    pub fn with_estimates(&self, through: i16) -> Calendar {
        let Some(last) = self.cells.last().map(|c| c.date) else { return self.clone() };
        let mut cells = self.cells.clone();
        if through > last.year() {
            let end = day_number(jiff::civil::date(through, 12, 31));
            let next = day_number(last) + 1;
            cells.extend((next..=end).map(|n| Cell { date: date_of(n), kind: None, name: 0 }));
        }
        let mut estimated = Vec::new();
        for cell in cells.iter_mut().filter(|c| c.kind.is_none()) {
            let weekend = matches!(cell.date.weekday(), Weekday::Saturday | Weekday::Sunday);
            cell.kind = Some(if weekend { DayKind::Weekend } else { DayKind::Workday });
            if estimated.last() != Some(&cell.date.year()) {
                estimated.push(cell.date.year());
            }
        }
        let (working_before, unknown_before) = running_counts(&cells);
        Calendar {
            base: self.base,
            cells,
            working_before,
            unknown_before,
            names: self.names.clone(),
            years: self.years.clone(),
            estimated,
        }
    }

    /// Whether `year` is only estimated here (see [`Calendar::with_estimates`]).
    pub fn is_estimated(&self, year: i16) -> bool {
        self.estimated.contains(&year)
    }

    /// A builder holding the embedded years 2019–2026.
    pub fn builder() -> CalendarBuilder {
        let mut builder = CalendarBuilder::empty();
        for (file, text) in EMBEDDED {
            // The embedded files are checked by this crate's tests.
            let _ = builder.add(file, text, true);
        }
        builder
    }

    /// The embedded years only.
    pub fn embedded() -> Result<Calendar, CalendarError> {
        Self::builder().build()
    }

    /// The years with data, in order.
    pub fn years(&self) -> &[YearInfo] {
        &self.years
    }

    pub fn has_year(&self, year: i16) -> bool {
        self.years.iter().any(|y| y.year == year)
    }

    /// From 1 November on `today`, next year if its holidays are not loaded:
    /// the State Council publishes them in the autumn, and until its file is
    /// added every limit reaching that year is only an estimate.
    pub fn next_year_missing(&self, today: Date) -> Option<i16> {
        let next = today.year() + 1;
        (today.month() >= 11 && !self.has_year(next)).then_some(next)
    }

    /// The cell of day number `n`, which must be in a year with data.
    fn cell(&self, n: i32) -> Result<Cell, CalendarError> {
        usize::try_from(n - self.base)
            .ok()
            .and_then(|i| self.cells.get(i))
            .filter(|c| c.kind.is_some())
            .copied()
            .ok_or_else(|| missing(n))
    }

    fn day_at(&self, cell: Cell) -> Day<'_> {
        Day {
            date: cell.date,
            kind: cell.kind.unwrap_or(DayKind::Workday),
            name: cell.name.checked_sub(1).and_then(|i| self.names.get(usize::from(i))).map(String::as_str),
        }
    }

    pub fn day(&self, date: Date) -> Result<Day<'_>, CalendarError> {
        let n = day_number(date);
        Ok(self.day_at(self.cell(n)?))
    }

    pub fn is_working_day(&self, date: Date) -> Result<bool, CalendarError> {
        let n = day_number(date);
        Ok(self.cell(n)?.kind.is_some_and(DayKind::is_working))
    }

    /// Working days after `from` up to and including `to` (the first day
    /// not counted, as a period is); 0 when `to` is not after `from`.
    pub fn working_days_between(&self, from: Date, to: Date) -> Result<u32, CalendarError> {
        let mut n = 0;
        for d in day_number(from).saturating_add(1)..=day_number(to) {
            n += u32::from(self.cell(d)?.kind.is_some_and(DayKind::is_working));
        }
        Ok(n)
    }

    /// Every day from `from` to `to`, both included.
    pub fn days(&self, from: Date, to: Date) -> Result<Vec<Day<'_>>, CalendarError> {
        if to < from {
            return Err(CalendarError::Range { from, to });
        }
        (day_number(from)..=day_number(to)).map(|n| Ok(self.day_at(self.cell(n)?))).collect()
    }
}

/// The error for day number `n`, which lies in a year without data.
fn missing(n: i32) -> CalendarError {
    // Clamped to the years jiff can represent.
    let date = date_of(n.clamp(day_number(Date::MIN), day_number(Date::MAX)));
    CalendarError::MissingYear { year: date.year(), date }
}
