//! Reading annual reports, and what they are counted from.

use crate::{Dialect, Entry, Result, Store, StoreError, from_us};
use jiff::civil::Date;
use serde::Deserialize;
use serde::de::IgnoredAny;
use sqlx::Row;
use sqlx::any::AnyRow;
use zhifa_domain::case::PenaltyKind;
use zhifa_domain::ids::{AgencyId, AnnualReportId};
use zhifa_domain::money::Money;
use zhifa_domain::people::Category;
use zhifa_domain::report::{AnnualFigures, CaseFacts};

pub type AnnualReportRow = Entry<AnnualReportId, AnnualFigures>;

const REPORT_COLS: &str = "id, agency_id, version, created_us, updated_us, data";

/// Where `CaseFacts` are in a case's JSON, in the order of `FactsRow`.
const FACT_PATHS: [&str; 13] = [
    "category",
    "accepted_on",
    "decided_on",
    "granted",
    "decision.kinds",
    "decision.fine",
    "decision.confiscation",
    "no_penalty_reason",
    "seized_on",
    "closed_on",
    "hearing_held_on",
    "review.rounds",
    "deliberations",
];

/// `(id, agency, number, facts)` of the cases after an id (of one agency,
/// with `agency`), the facts as one JSON array: each case's JSON is parsed
/// once. Parameters: the agency if any, then the id, then the limit.
fn facts_sql(dialect: Dialect, agency: bool) -> String {
    let (filter, after, limit) = if agency { ("agency_id = $1 AND ", "$2", "$3") } else { ("", "$1", "$2") };
    match dialect {
        Dialect::Sqlite => {
            let paths: Vec<String> = FACT_PATHS.iter().map(|p| format!("'$.{p}'")).collect();
            format!(
                "SELECT id, agency_id, number, json_extract(data, {}) FROM cases \
                 WHERE {filter}id > {after} ORDER BY id LIMIT {limit}",
                paths.join(", ")
            )
        }
        Dialect::Postgres => {
            let paths: Vec<String> = FACT_PATHS.iter().map(|p| format!("j #> '{{{}}}'", p.replace('.', ","))).collect();
            format!(
                "SELECT id, agency_id, number, jsonb_build_array({})::text FROM \
                 (SELECT id, agency_id, number, data::jsonb AS j FROM cases \
                  WHERE {filter}id > {after} ORDER BY id LIMIT {limit}) s ORDER BY id",
                paths.join(", ")
            )
        }
    }
}

/// A case as the report reads it: id, agency, number, facts.
pub type CaseFactsRow = (i64, AgencyId, String, CaseFacts);

#[derive(Deserialize)]
struct Submitted {
    submitted_on: Date,
}

#[derive(Deserialize)]
struct Held {
    on: Date,
}

/// One case's facts as `facts_sql` gives them.
#[derive(Deserialize)]
struct FactsRow(
    Category,
    Option<Date>,
    Option<Date>,
    Option<bool>,
    Option<Vec<PenaltyKind>>,
    Option<Money>,
    Option<Money>,
    Option<IgnoredAny>,
    Option<Date>,
    Option<Date>,
    Option<Date>,
    Option<Vec<Submitted>>,
    Option<Vec<Held>>,
);

impl From<FactsRow> for CaseFacts {
    fn from(r: FactsRow) -> Self {
        CaseFacts {
            category: r.0,
            accepted_on: r.1,
            decided_on: r.2,
            granted: r.3,
            penalty: r.4.map(|kinds| (kinds, r.5.unwrap_or_default(), r.6.unwrap_or_default())),
            no_penalty: r.7.is_some(),
            seized_on: r.8,
            closed_on: r.9,
            hearing_held_on: r.10,
            review_rounds: r.11.unwrap_or_default().into_iter().map(|x| x.submitted_on).collect(),
            deliberations: r.12.unwrap_or_default().into_iter().map(|x| x.on).collect(),
        }
    }
}

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

    /// What the agency's cases with ids after `after` contribute to the
    /// annual report, in id order. Only the counted fields are read out of
    /// each case's JSON, by the database.
    pub async fn case_facts_after(&self, agency: AgencyId, after: i64, limit: i64) -> Result<Vec<CaseFactsRow>> {
        self.facts(Some(agency), after, limit).await
    }

    /// The same of every agency's cases: one pass over the table in its
    /// order on disk (a province's report).
    pub async fn all_case_facts_after(&self, after: i64, limit: i64) -> Result<Vec<CaseFactsRow>> {
        self.facts(None, after, limit).await
    }

    /// On a SQLite file through `rusqlite` (as `scan` does: sqlx hands rows
    /// over one at a time, which costs more than reading them).
    async fn facts(&self, agency: Option<AgencyId>, after: i64, limit: i64) -> Result<Vec<CaseFactsRow>> {
        let sql = facts_sql(self.dialect, agency.is_some());
        let mut binds: Vec<i64> = agency.map(|a| a.0).into_iter().collect();
        binds.extend([after, limit]);
        let raw: Vec<(i64, i64, String, String)> = match (self.dialect, self.sqlite_path.clone()) {
            (Dialect::Sqlite, Some(path)) => tokio::task::spawn_blocking(move || {
                let conn = crate::scan::open_sqlite(&path)?;
                let mut query = conn.prepare(&sql).map_err(crate::scan::sqlite_error)?;
                let rows = query
                    .query_map(rusqlite::params_from_iter(&binds), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                    .map_err(crate::scan::sqlite_error)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(crate::scan::sqlite_error)
            })
            .await
            .map_err(|e| StoreError::Corrupt { table: "cases", message: e.to_string() })??,
            _ => {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
                for b in binds {
                    q = q.bind(b);
                }
                q.fetch_all(&self.pool).await?
            }
        };
        raw.into_iter()
            .map(|(id, agency, number, facts)| {
                let row: FactsRow = serde_json::from_str(&facts)
                    .map_err(|e| StoreError::Corrupt { table: "cases", message: format!("{number}: {e}") })?;
                Ok((id, AgencyId(agency), number, row.into()))
            })
            .collect()
    }

    /// Every agency's numbers of cases with a complete audio/video record.
    pub async fn recorded_cases(
        &self,
    ) -> Result<std::collections::HashMap<AgencyId, std::collections::HashSet<String>>> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT DISTINCT agency_id, case_number FROM uploads WHERE state = 'complete'")
                .fetch_all(&self.pool)
                .await?;
        let mut out: std::collections::HashMap<AgencyId, std::collections::HashSet<String>> = Default::default();
        for (agency, number) in rows {
            out.entry(AgencyId(agency)).or_default().insert(number);
        }
        Ok(out)
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
