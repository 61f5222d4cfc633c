//! The two data formats, described in `data/README.md`: year files and the
//! catalogue of legal periods.

use crate::{CalendarError, Period, Unit};
use jiff::civil::{Date, Weekday};

/// One statement of a year file: a day off or a swapped working day.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub first: Date,
    pub last: Date,
    pub working: bool,
    pub name: String,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct YearFile {
    pub file: String,
    pub year: i16,
    pub sources: Vec<String>,
    pub entries: Vec<Entry>,
}

fn syntax(file: &str, line: usize, message: impl Into<String>) -> CalendarError {
    CalendarError::Syntax { file: file.to_owned(), line, message: message.into() }
}

fn parse_date(file: &str, line: usize, text: &str) -> Result<Date, CalendarError> {
    let invalid = || syntax(file, line, format!("“{text}”不是有效的日期（应为 YYYY-MM-DD）"));
    if text.len() != 10 {
        return Err(invalid());
    }
    text.parse::<Date>().map_err(|_| invalid())
}

/// The meaningful lines of a file: (line number, text) without comments.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(i, raw)| {
        let line = raw.split_once('#').map_or(raw, |(before, _)| before).trim();
        (!line.is_empty()).then_some((i + 1, line))
    })
}

pub(crate) fn year_file(file: &str, text: &str) -> Result<YearFile, CalendarError> {
    let mut year: Option<i16> = None;
    let mut sources = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    for (n, line) in lines(text) {
        let (keyword, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim();
        if keyword != "year" && year.is_none() {
            return Err(syntax(file, n, "文件须以“year YYYY”开头"));
        }
        match keyword {
            "year" => {
                if year.is_some() {
                    return Err(syntax(file, n, "“year”只能出现一次"));
                }
                let y = rest
                    .parse::<i16>()
                    .ok()
                    .filter(|y| (1949..=9999).contains(y))
                    .ok_or_else(|| syntax(file, n, format!("“{rest}”不是有效的年份")))?;
                year = Some(y);
            }
            "source" => {
                if rest.is_empty() {
                    return Err(syntax(file, n, "“source”后应写明通知的标题和文号"));
                }
                sources.push(rest.to_owned());
            }
            "holiday" | "workday" => {
                let (dates, name) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                let name = name.trim();
                if dates.is_empty() || name.is_empty() {
                    return Err(syntax(file, n, format!("应为“{keyword} 日期 名称”")));
                }
                let (first, last) = match dates.split_once("..") {
                    Some((a, b)) => (parse_date(file, n, a)?, parse_date(file, n, b)?),
                    None => {
                        let d = parse_date(file, n, dates)?;
                        (d, d)
                    }
                };
                let working = keyword == "workday";
                if last < first {
                    return Err(syntax(file, n, format!("结束日期 {last} 早于开始日期 {first}")));
                }
                if working && first != last {
                    return Err(syntax(file, n, "调休上班日须逐日列出"));
                }
                if working && !matches!(first.weekday(), Weekday::Saturday | Weekday::Sunday) {
                    return Err(syntax(file, n, format!("{first} 不是周末，无需调休上班")));
                }
                if let Some(other) = entries.iter().find(|e| e.first <= last && first <= e.last) {
                    return Err(syntax(file, n, format!("与第{}行的日期重叠", other.line)));
                }
                entries.push(Entry { first, last, working, name: name.to_owned(), line: n });
            }
            other => {
                return Err(syntax(
                    file,
                    n,
                    format!("无法识别的语句“{other}”（应为 year、source、holiday 或 workday）"),
                ));
            }
        }
    }
    let year = year.ok_or_else(|| CalendarError::File { file: file.to_owned(), message: "文件为空".into() })?;
    if sources.is_empty() {
        return Err(CalendarError::File {
            file: file.to_owned(), message: "缺少“source”（所依据的通知）".into()
        });
    }
    Ok(YearFile { file: file.to_owned(), year, sources, entries })
}

/// A period set by law, with its unit decided by the law itself (行政处罚法
/// art. 85, 行政强制法 art. 69), never by the code that uses it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LegalPeriod {
    /// Stable identifier used by procedure definitions, e.g. `penalty.service`.
    pub id: String,
    /// What must be done within it, in Chinese.
    pub name: String,
    pub period: Period,
    /// The articles that set the period and its unit.
    pub basis: String,
}

pub(crate) fn periods(file: &str, text: &str) -> Result<Vec<LegalPeriod>, CalendarError> {
    let mut out: Vec<LegalPeriod> = Vec::new();
    for (n, line) in lines(text) {
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        let [id, name, length, unit, basis] = cols[..] else {
            return Err(syntax(file, n, "应为“id | 名称 | 期限 | 单位 | 依据”五列"));
        };
        if id.is_empty() || name.is_empty() || basis.is_empty() {
            return Err(syntax(file, n, "id、名称和依据不能为空"));
        }
        if out.iter().any(|p| p.id == id) {
            return Err(syntax(file, n, format!("id“{id}”重复")));
        }
        let unit = match unit {
            "working" => Unit::WorkingDays,
            "days" => Unit::Days,
            other => return Err(syntax(file, n, format!("单位“{other}”应为 working 或 days"))),
        };
        let length = length.parse::<u16>().map_err(|_| syntax(file, n, format!("期限“{length}”不是整数")))?;
        let period = Period::new(length, unit).map_err(|e| syntax(file, n, e.to_string()))?;
        out.push(LegalPeriod { id: id.to_owned(), name: name.to_owned(), period, basis: basis.to_owned() });
    }
    Ok(out)
}
