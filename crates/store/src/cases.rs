//! Reading cases. (They are written by `commit` only.)

use crate::{Result, Store, StoreError, from_us};
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::Row;
use sqlx::any::AnyRow;
use zhifa_domain::case::CaseData;
use zhifa_domain::ids::{AgencyId, CaseId};

#[derive(Debug, Clone, PartialEq)]
pub struct CaseRow {
    pub id: CaseId,
    pub agency_id: AgencyId,
    pub number: String,
    pub stage: String,
    pub closed: bool,
    /// The nearest open time limit.
    pub due_on: Option<Date>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub data: CaseData,
}

/// Which cases to list. Absent fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub agency: Option<AgencyId>,
    /// Agencies whose region code starts with this (a supervisor's subtree).
    pub region_prefix: Option<String>,
    pub procedure: Option<String>,
    pub stage: Option<String>,
    pub open: Option<bool>,
    /// Open cases whose nearest limit is before this day.
    pub overdue_on: Option<Date>,
    /// In the number, the party's name or number, or the title.
    pub text: Option<String>,
    /// Opened, decided or closed within these days (both included).
    pub opened: Option<(Date, Date)>,
    pub decided: Option<(Date, Date)>,
    pub closed_between: Option<(Date, Date)>,
    pub limit: i64,
    pub offset: i64,
}

pub(crate) const COLS: &str =
    "c.id, c.agency_id, c.number, c.stage, c.closed, c.due_on, c.version, c.created_us, c.updated_us, c.data";

pub(crate) fn case_row(row: &AnyRow) -> Result<CaseRow> {
    let corrupt = |m: String| StoreError::Corrupt { table: "cases", message: m };
    let data: String = row.try_get("data")?;
    let due: Option<String> = row.try_get("due_on")?;
    Ok(CaseRow {
        id: CaseId(row.try_get("id")?),
        agency_id: AgencyId(row.try_get("agency_id")?),
        number: row.try_get("number")?,
        stage: row.try_get("stage")?,
        closed: row.try_get::<i64, _>("closed")? != 0,
        due_on: due.map(|d| d.parse().map_err(|e: jiff::Error| corrupt(e.to_string()))).transpose()?,
        version: row.try_get("version")?,
        created_at: from_us(row.try_get("created_us")?),
        updated_at: from_us(row.try_get("updated_us")?),
        data: serde_json::from_str(&data).map_err(|e| corrupt(e.to_string()))?,
    })
}

/// `%text%` for LIKE, with the wildcards of `text` escaped.
fn like(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

impl Store {
    pub async fn case(&self, id: CaseId) -> Result<Option<CaseRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM cases c WHERE c.id = $1")))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(case_row).transpose()
    }

    /// The cases of `ids` that exist, by id (a few hundred ids at a time).
    pub async fn cases_by_ids(&self, ids: &[i64]) -> Result<Vec<CaseRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT {COLS} FROM cases c WHERE c.id IN ({}) ORDER BY c.id", crate::marks(1, ids.len()));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(*id);
        }
        query.fetch_all(&self.pool).await?.iter().map(case_row).collect()
    }

    pub async fn case_by_number(&self, number: &str) -> Result<Option<CaseRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM cases c WHERE c.number = $1")))
            .bind(number)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(case_row).transpose()
    }

    /// Cases matching `filter`: the most pressing first (nearest limit),
    /// then the newest.
    pub async fn cases(&self, filter: &CaseFilter) -> Result<Vec<CaseRow>> {
        let mut conditions = vec!["1 = 1".to_owned()];
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if filter.agency.is_some() {
            conditions.push(format!("c.agency_id = {}", next()));
        }
        if filter.region_prefix.is_some() {
            conditions.push(format!("a.region_code LIKE {}", next()));
        }
        if filter.procedure.is_some() {
            conditions.push(format!("c.procedure = {}", next()));
        }
        if filter.stage.is_some() {
            conditions.push(format!("c.stage = {}", next()));
        }
        if filter.open.is_some() {
            conditions.push(format!("c.closed = {}", next()));
        }
        if filter.overdue_on.is_some() {
            conditions.push(format!("c.closed = 0 AND c.due_on < {}", next()));
        }
        if filter.text.is_some() {
            let (a, b, c, d) = (next(), next(), next(), next());
            conditions.push(format!(
                "(c.number LIKE {a} ESCAPE '\\' OR c.party_name LIKE {b} ESCAPE '\\' OR c.party_key LIKE {c} ESCAPE '\\' \
                 OR c.title LIKE {d} ESCAPE '\\')"
            ));
        }
        if filter.opened.is_some() {
            conditions.push(format!("c.opened_on >= {} AND c.opened_on <= {}", next(), next()));
        }
        if filter.decided.is_some() {
            conditions.push(format!("c.decided_on >= {} AND c.decided_on <= {}", next(), next()));
        }
        if filter.closed_between.is_some() {
            let closed_on = match self.dialect {
                crate::Dialect::Sqlite => "json_extract(c.data, '$.closed_on')",
                crate::Dialect::Postgres => "(c.data::jsonb ->> 'closed_on')",
            };
            conditions.push(format!("{closed_on} >= {} AND {closed_on} <= {}", next(), next()));
        }
        let (limit, offset) = (next(), next());
        let sql = format!(
            "SELECT {COLS} FROM cases c JOIN agencies a ON a.id = c.agency_id WHERE {} \
             ORDER BY c.closed, CASE WHEN c.due_on IS NULL THEN 1 ELSE 0 END, c.due_on, c.id DESC LIMIT {limit} OFFSET {offset}",
            conditions.join(" AND ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(a) = filter.agency {
            query = query.bind(a.0);
        }
        if let Some(p) = &filter.region_prefix {
            query = query.bind(format!("{p}%"));
        }
        if let Some(p) = &filter.procedure {
            query = query.bind(p.clone());
        }
        if let Some(s) = &filter.stage {
            query = query.bind(s.clone());
        }
        if let Some(open) = filter.open {
            query = query.bind(i64::from(!open));
        }
        if let Some(d) = filter.overdue_on {
            query = query.bind(d.to_string());
        }
        if let Some(t) = &filter.text {
            let pattern = like(t);
            query = query.bind(pattern.clone()).bind(pattern.clone()).bind(pattern.clone()).bind(pattern);
        }
        for (from, to) in [filter.opened, filter.decided, filter.closed_between].into_iter().flatten() {
            query = query.bind(from.to_string()).bind(to.to_string());
        }
        let limit = if filter.limit <= 0 { 100 } else { filter.limit.min(1_000) };
        query = query.bind(limit).bind(filter.offset.max(0));
        query.fetch_all(&self.pool).await?.iter().map(case_row).collect()
    }

    /// Every case about one party (by ID card number or USCC) of an agency.
    pub async fn party_cases(&self, agency: AgencyId, party_key: &str) -> Result<Vec<CaseRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM cases c WHERE c.agency_id = $1 AND c.party_key = $2 ORDER BY c.id"
        )))
        .bind(agency.0)
        .bind(party_key)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(case_row).collect()
    }

    /// Cases something of which was only estimated (REC-3), after id
    /// `after`, at most `limit`, in order of id.
    pub async fn provisional_cases(&self, after: i64, limit: i64) -> Result<Vec<CaseRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM cases c WHERE c.provisional = 1 AND c.id > $1 ORDER BY c.id LIMIT $2"
        )))
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(case_row).collect()
    }

    /// Cases after id `after`, at most `limit`, in order of id.
    pub async fn cases_after(&self, after: i64, limit: i64) -> Result<Vec<CaseRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM cases c WHERE c.id > $1 ORDER BY c.id LIMIT $2"
        )))
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(case_row).collect()
    }

    pub async fn case_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM cases").fetch_one(&self.pool).await?)
    }
}
