//! Reading complaints (written by `commit` only).

use crate::{Entry, Result, Store, StoreError, from_us};
use sqlx::Row;
use sqlx::any::AnyRow;
use zhifa_domain::complaint::ComplaintData;
use zhifa_domain::ids::{AgencyId, ComplaintId};

pub type ComplaintRow = Entry<ComplaintId, ComplaintData>;

const COLS: &str = "id, agency_id, version, created_us, updated_us, data";

fn complaint_row(row: &AnyRow) -> Result<ComplaintRow> {
    let data: String = row.try_get("data")?;
    Ok(Entry {
        id: ComplaintId(row.try_get("id")?),
        agency_id: AgencyId(row.try_get("agency_id")?),
        version: row.try_get("version")?,
        created_at: from_us(row.try_get("created_us")?),
        updated_at: from_us(row.try_get("updated_us")?),
        data: serde_json::from_str(&data)
            .map_err(|e| StoreError::Corrupt { table: "complaints", message: e.to_string() })?,
    })
}

impl Store {
    pub async fn complaint(&self, id: ComplaintId) -> Result<Option<ComplaintRow>> {
        let sql = format!("SELECT {COLS} FROM complaints WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(&self.pool).await?;
        row.as_ref().map(complaint_row).transpose()
    }

    pub async fn complaint_by_tracking_number(&self, number: &str) -> Result<Option<ComplaintRow>> {
        let sql = format!("SELECT {COLS} FROM complaints WHERE tracking_number = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(number).fetch_optional(&self.pool).await?;
        row.as_ref().map(complaint_row).transpose()
    }

    /// Whether a complaint came on the form with this nonce already.
    /// Complaints sent by the sender `client_tag` at or after `since`.
    pub async fn complaints_from(&self, client_tag: &str, since: jiff::Timestamp) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM complaints WHERE client_tag = $1 AND created_us >= $2")
            .bind(client_tag)
            .bind(crate::to_us(since))
            .fetch_one(&self.pool)
            .await?)
    }

    pub async fn complaint_form_used(&self, nonce: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM complaints WHERE form_nonce = $1")
            .bind(nonce)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// An agency's complaints: unanswered first, then the newest.
    pub async fn complaints(&self, agency: AgencyId) -> Result<Vec<ComplaintRow>> {
        let sql = format!("SELECT {COLS} FROM complaints WHERE agency_id = $1 ORDER BY answered, id DESC");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(agency.0).fetch_all(&self.pool).await?;
        rows.iter().map(complaint_row).collect()
    }

    /// Complaints after id `after`, at most `limit`, in order of id.
    pub async fn complaints_after(&self, after: i64, limit: i64) -> Result<Vec<ComplaintRow>> {
        let sql = format!("SELECT {COLS} FROM complaints WHERE id > $1 ORDER BY id LIMIT $2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(after).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(complaint_row).collect()
    }
}
