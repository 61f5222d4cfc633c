//! Reading annual reports, and what they are counted from.

use crate::cases::{COLS, case_row};
use crate::{CaseRow, Entry, Result, Store, StoreError, from_us};
use sqlx::Row;
use sqlx::any::AnyRow;
use zhifa_domain::ids::{AgencyId, AnnualReportId};
use zhifa_domain::report::AnnualFigures;

pub type AnnualReportRow = Entry<AnnualReportId, AnnualFigures>;

const REPORT_COLS: &str = "id, agency_id, version, created_us, updated_us, data";

fn report_row(row: &AnyRow) -> Result<AnnualReportRow> {
    let data: String = row.try_get("data")?;
    Ok(Entry {
        id: AnnualReportId(row.try_get("id")?),
        agency_id: AgencyId(row.try_get("agency_id")?),
        version: row.try_get("version")?,
        created_at: from_us(row.try_get("created_us")?),
        updated_at: from_us(row.try_get("updated_us")?),
        data: serde_json::from_str(&data)
            .map_err(|e| StoreError::Corrupt { table: "annual_reports", message: e.to_string() })?,
    })
}

impl Store {
    pub async fn annual_report(&self, agency: AgencyId, year: i16) -> Result<Option<AnnualReportRow>> {
        let sql = format!("SELECT {REPORT_COLS} FROM annual_reports WHERE agency_id = $1 AND year = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(agency.0)
            .bind(i64::from(year))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(report_row).transpose()
    }

    /// Every agency's published report of `year`.
    pub async fn annual_reports(&self, year: i16) -> Result<Vec<AnnualReportRow>> {
        let sql = format!("SELECT {REPORT_COLS} FROM annual_reports WHERE year = $1 ORDER BY agency_id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(i64::from(year)).fetch_all(&self.pool).await?;
        rows.iter().map(report_row).collect()
    }

    /// The years with a published report, newest first.
    pub async fn annual_report_years(&self) -> Result<Vec<i16>> {
        let years: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT year FROM annual_reports ORDER BY year DESC")
            .fetch_all(&self.pool)
            .await?;
        Ok(years.into_iter().filter_map(|y| i16::try_from(y).ok()).collect())
    }

    /// An agency's cases with ids after `after`, in id order.
    pub async fn cases_after(&self, agency: AgencyId, after: i64, limit: i64) -> Result<Vec<CaseRow>> {
        let sql = format!("SELECT {COLS} FROM cases c WHERE c.agency_id = $1 AND c.id > $2 ORDER BY c.id LIMIT $3");
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(agency.0).bind(after).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(case_row).collect()
    }

    /// Numbers of the agency's cases that have a complete audio/video record.
    pub async fn recorded_case_numbers(&self, agency: AgencyId) -> Result<std::collections::HashSet<String>> {
        let numbers: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT case_number FROM uploads WHERE agency_id = $1 AND state = 'complete'")
                .bind(agency.0)
                .fetch_all(&self.pool)
                .await?;
        Ok(numbers.into_iter().collect())
    }
}
