//! Reading uploads and the evidence files they became.

use crate::{Result, Store, StoreError, from_us};
use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;
use zhifa_domain::evidence::EvidenceMeta;
use zhifa_domain::ids::{AgencyId, UploadId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadState {
    /// Bytes are still arriving.
    Open,
    /// Stored under `content_hash`.
    Complete,
    /// Given up; nothing kept.
    Terminated,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRow {
    pub id: UploadId,
    pub agency_id: AgencyId,
    pub user_id: UserId,
    pub length: u64,
    pub meta: EvidenceMeta,
    pub state: UploadState,
    pub content_hash: Option<String>,
    pub late: bool,
    /// The MIME type read from its bytes once complete (`None`: no known kind).
    pub content_type: Option<String>,
    pub created_at: Timestamp,
    pub completed_at: Option<Timestamp>,
}

const COLS: &str =
    "id, agency_id, user_id, length, meta, state, content_hash, late, content_type, created_us, completed_us";

fn upload_row(row: &AnyRow) -> Result<UploadRow> {
    let corrupt = |m: String| StoreError::Corrupt { table: "uploads", message: m };
    let meta: String = row.try_get("meta")?;
    let state: String = row.try_get("state")?;
    Ok(UploadRow {
        id: UploadId(row.try_get("id")?),
        agency_id: AgencyId(row.try_get("agency_id")?),
        user_id: UserId(row.try_get("user_id")?),
        length: u64::try_from(row.try_get::<i64, _>("length")?).map_err(|e| corrupt(e.to_string()))?,
        meta: serde_json::from_str(&meta).map_err(|e| corrupt(e.to_string()))?,
        state: match state.as_str() {
            "open" => UploadState::Open,
            "complete" => UploadState::Complete,
            "terminated" => UploadState::Terminated,
            other => return Err(corrupt(format!("state {other}"))),
        },
        content_hash: row.try_get("content_hash")?,
        late: row.try_get::<i64, _>("late")? != 0,
        content_type: row.try_get("content_type")?,
        created_at: from_us(row.try_get("created_us")?),
        completed_at: row.try_get::<Option<i64>, _>("completed_us")?.map(from_us),
    })
}

impl Store {
    pub async fn upload(&self, id: UploadId) -> Result<Option<UploadRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM uploads WHERE id = $1")))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(upload_row).transpose()
    }

    /// `(id, content hash)` of complete uploads with `id > after`, in
    /// order, at most `limit`: what `verify` hashes again (read without the
    /// rest of the row, so that a damaged row does not stop it).
    pub async fn evidence_hashes_after(&self, after: i64, limit: i64) -> Result<Vec<(UploadId, Option<String>)>> {
        let rows = sqlx::query(
            "SELECT id, content_hash FROM uploads WHERE state = 'complete' AND id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((UploadId(r.try_get("id")?), r.try_get("content_hash")?))).collect()
    }

    /// The complete uploads of an agency's case (by its number), in order.
    pub async fn case_recordings(&self, agency: AgencyId, case_number: &str) -> Result<Vec<UploadRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM uploads WHERE agency_id = $1 AND case_number = $2 AND state = 'complete' ORDER BY id"
        )))
        .bind(agency.0)
        .bind(case_number)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(upload_row).collect()
    }

    /// The complete uploads of the cases numbered `numbers` (of any agency:
    /// the caller keeps those of each case's own), by id.
    pub async fn recordings_of_cases(&self, numbers: &[&str]) -> Result<Vec<UploadRow>> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {COLS} FROM uploads WHERE case_number IN ({}) AND state = 'complete' ORDER BY id",
            crate::marks(1, numbers.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for n in numbers {
            query = query.bind(*n);
        }
        query.fetch_all(&self.pool).await?.iter().map(upload_row).collect()
    }
}
