//! `zhifa calendar`: the working-day calendar and legal deadlines.

use crate::args::CalendarCommand;
use anyhow::{Context, Result, bail};
use zhifa_calendar::{Calendar, Period};

pub(crate) fn calendar_command(calendar: &Calendar, command: CalendarCommand) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match command {
        CalendarCommand::Days { from, to } => {
            for day in calendar.days(from, to)? {
                writeln!(out, "{} {}", day.date, day.kind.code())?;
            }
        }
        CalendarCommand::Deadline { from, period } => {
            let period = match (period.working_days, period.days, period.period) {
                (Some(n), _, _) => Period::working_days(n)?,
                (_, Some(n), _) => Period::days(n)?,
                (_, _, Some(id)) => {
                    zhifa_calendar::legal_periods()?
                        .into_iter()
                        .find(|p| p.id == id)
                        .with_context(|| format!("没有编号为 {id} 的法定期限（见 zhifa calendar periods）"))?
                        .period
                }
                (None, None, None) => bail!("请给出 --working-days、--days 或 --period"),
            };
            let deadline = calendar.deadline(from, period)?;
            writeln!(out, "{}", deadline.due)?;
            for line in deadline.explain() {
                writeln!(out, "{line}")?;
            }
        }
        CalendarCommand::Years => {
            for y in calendar.years() {
                let origin = if y.embedded { "内置" } else { "管理员添加" };
                writeln!(
                    out,
                    "{} {} 放假{}天 调休上班{}天 {}",
                    y.year,
                    origin,
                    y.holidays,
                    y.swapped_workdays,
                    y.sources.join("；")
                )?;
            }
        }
        CalendarCommand::Periods => {
            for p in zhifa_calendar::legal_periods()? {
                writeln!(out, "{} {} {} {}", p.id, p.period, p.name, p.basis)?;
            }
        }
    }
    Ok(())
}
