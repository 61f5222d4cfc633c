//! Reading the quarterly online inspections (written by `commit` only).

use crate::{Entry, Result, Store, StoreError, from_us};
use sqlx::Row;
use sqlx::any::AnyRow;
use zhifa_domain::ids::{AgencyId, InspectionId};
use zhifa_domain::warning::inspection::InspectionData;

pub type InspectionRow = Entry<InspectionId, InspectionData>;

const COLS: &str = "i.id, i.agency_id, i.version, i.created_us, i.updated_us, i.data";

fn inspection_row(row: &AnyRow) -> Result<InspectionRow> {
    let data: String = row.try_get("data")?;
    Ok(Entry {
        id: InspectionId(row.try_get("id")?),
        agency_id: AgencyId(row.try_get("agency_id")?),
        version: row.try_get("version")?,
        created_at: from_us(row.try_get("created_us")?),
        updated_at: from_us(row.try_get("updated_us")?),
        data: serde_json::from_str(&data)
            .map_err(|e| StoreError::Corrupt { table: "inspections", message: e.to_string() })?,
    })
}

impl Store {
    pub async fn inspection(&self, id: InspectionId) -> Result<Option<InspectionRow>> {
        let sql = format!("SELECT {COLS} FROM inspections i WHERE i.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(&self.pool).await?;
        row.as_ref().map(inspection_row).transpose()
    }

    /// An agency's report of a quarter (`2026Q3`), if it was inspected.
    pub async fn inspection_of(&self, agency: AgencyId, quarter: &str) -> Result<Option<InspectionRow>> {
        let sql = format!("SELECT {COLS} FROM inspections i WHERE i.agency_id = $1 AND i.quarter = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(agency.0).bind(quarter).fetch_optional(&self.pool).await?;
        row.as_ref().map(inspection_row).transpose()
    }

    /// Reports of agencies whose region code starts with `region_prefix`
    /// (or of `agency`), of `quarter` or of every quarter: the newest
    /// quarter first, then by agency.
    pub async fn inspections(
        &self,
        region_prefix: Option<&str>,
        agency: Option<AgencyId>,
        quarter: Option<&str>,
    ) -> Result<Vec<InspectionRow>> {
        let mut sql = format!(
            "SELECT {COLS} FROM inspections i JOIN agencies a ON a.id = i.agency_id WHERE a.region_code LIKE $1"
        );
        let mut n = 1;
        if agency.is_some() {
            n += 1;
            sql.push_str(&format!(" AND i.agency_id = ${n}"));
        }
        if quarter.is_some() {
            n += 1;
            sql.push_str(&format!(" AND i.quarter = ${n}"));
        }
        sql.push_str(" ORDER BY i.quarter DESC, a.region_code, i.agency_id LIMIT 10000");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(format!("{}%", region_prefix.unwrap_or("")));
        if let Some(a) = agency {
            query = query.bind(a.0);
        }
        if let Some(q) = quarter {
            query = query.bind(q.to_owned());
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(inspection_row).collect()
    }
}
