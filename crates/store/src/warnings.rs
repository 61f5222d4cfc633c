//! Reading warnings (written by `commit` only), and what the warnings'
//! evaluation reads: the subjects the outbox names and the subjects a whole
//! pass must look at.

use crate::{Entry, Result, Store, StoreError, from_us};
use sqlx::Row;
use sqlx::any::AnyRow;
use zhifa_domain::ids::{AgencyId, WarningId};
use zhifa_domain::warning::{SubjectKind, WarningData};

pub type WarningRow = Entry<WarningId, WarningData>;

/// Subjects as stored (kind's code, id) in `table`.
pub(crate) fn subject_keys(rows: Vec<(String, i64)>, table: &'static str) -> Result<Vec<(SubjectKind, i64)>> {
    rows.into_iter()
        .map(|(kind, id)| {
            let kind = SubjectKind::parse(&kind).map_err(|e| StoreError::Corrupt { table, message: e.to_string() })?;
            Ok((kind, id))
        })
        .collect()
}

const COLS: &str = "w.id, w.agency_id, w.version, w.created_us, w.updated_us, w.data";

/// Statuses that end a warning, as SQL.
const CLOSED: &str = "('accepted', 'resolved')";

fn warning_row(row: &AnyRow) -> Result<WarningRow> {
    let data: String = row.try_get("data")?;
    Ok(Entry {
        id: WarningId(row.try_get("id")?),
        agency_id: AgencyId(row.try_get("agency_id")?),
        version: row.try_get("version")?,
        created_at: from_us(row.try_get("created_us")?),
        updated_at: from_us(row.try_get("updated_us")?),
        data: serde_json::from_str(&data)
            .map_err(|e| StoreError::Corrupt { table: "warnings", message: e.to_string() })?,
    })
}

/// Which warnings to list.
#[derive(Debug, Clone, Default)]
pub struct WarningFilter {
    pub agency: Option<AgencyId>,
    /// Agencies whose region code starts with this (a supervisor's subtree).
    pub region_prefix: Option<String>,
    pub rule: Option<String>,
    pub severity: Option<String>,
    /// A status, or `open` for every status that has not ended.
    pub status: Option<String>,
    pub subject: Option<(SubjectKind, i64)>,
    pub limit: i64,
    pub offset: i64,
}

/// An event of the outbox as the warnings read it: its id, and the entity
/// (and its agency) of the record it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectEvent {
    pub outbox_id: i64,
    pub entity: String,
    pub entity_id: i64,
    pub agency_id: Option<i64>,
}

impl Store {
    pub async fn warning(&self, id: WarningId) -> Result<Option<WarningRow>> {
        let sql = format!("SELECT {COLS} FROM warnings w WHERE w.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(&self.pool).await?;
        row.as_ref().map(warning_row).transpose()
    }

    /// The warnings of a subject that have not ended.
    pub async fn open_warnings_of(&self, kind: SubjectKind, id: i64) -> Result<Vec<WarningRow>> {
        self.open_warnings_of_many(kind, &[id]).await
    }

    /// The warnings not ended of the subjects of `kind` with `ids`, by id.
    pub async fn open_warnings_of_many(&self, kind: SubjectKind, ids: &[i64]) -> Result<Vec<WarningRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {COLS} FROM warnings w WHERE w.subject_kind = $1 AND w.subject_id IN ({}) \
             AND w.status NOT IN {CLOSED} ORDER BY w.id",
            crate::marks(2, ids.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(kind.code());
        for id in ids {
            query = query.bind(*id);
        }
        query.fetch_all(&self.pool).await?.iter().map(warning_row).collect()
    }

    /// Warnings as `filter` says, the newest first.
    pub async fn warnings(&self, filter: &WarningFilter) -> Result<Vec<WarningRow>> {
        let mut sql = format!("SELECT {COLS} FROM warnings w JOIN agencies a ON a.id = w.agency_id WHERE 1 = 1");
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if filter.agency.is_some() {
            sql.push_str(&format!(" AND w.agency_id = {}", next()));
        }
        if filter.region_prefix.is_some() {
            sql.push_str(&format!(" AND a.region_code LIKE {}", next()));
        }
        if filter.rule.is_some() {
            sql.push_str(&format!(" AND w.rule = {}", next()));
        }
        if filter.severity.is_some() {
            sql.push_str(&format!(" AND w.severity = {}", next()));
        }
        match filter.status.as_deref() {
            Some("open") => sql.push_str(&format!(" AND w.status NOT IN {CLOSED}")),
            Some(_) => sql.push_str(&format!(" AND w.status = {}", next())),
            None => {}
        }
        if filter.subject.is_some() {
            sql.push_str(&format!(" AND w.subject_kind = {} AND w.subject_id = {}", next(), next()));
        }
        sql.push_str(&format!(" ORDER BY w.id DESC LIMIT {} OFFSET {}", next(), next()));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(a) = filter.agency {
            query = query.bind(a.0);
        }
        if let Some(p) = &filter.region_prefix {
            query = query.bind(format!("{p}%"));
        }
        if let Some(r) = &filter.rule {
            query = query.bind(r.clone());
        }
        if let Some(s) = &filter.severity {
            query = query.bind(s.clone());
        }
        if let Some(s) = filter.status.as_deref().filter(|s| *s != "open") {
            query = query.bind(s.to_owned());
        }
        if let Some((kind, id)) = filter.subject {
            query = query.bind(kind.code()).bind(id);
        }
        let rows = query.bind(filter.limit).bind(filter.offset).fetch_all(&self.pool).await?;
        rows.iter().map(warning_row).collect()
    }

    /// Warnings not ended, by agency, rule and severity, of agencies whose
    /// region code starts with `region_prefix` (or of `agency`).
    pub async fn open_warnings_by_rule(
        &self,
        region_prefix: Option<&str>,
        agency: Option<AgencyId>,
    ) -> Result<Vec<(AgencyId, String, String, i64)>> {
        let mut sql = format!(
            "SELECT w.agency_id, w.rule, w.severity, COUNT(*) FROM warnings w JOIN agencies a ON a.id = w.agency_id \
             WHERE w.status NOT IN {CLOSED} AND a.region_code LIKE $1"
        );
        if agency.is_some() {
            sql.push_str(" AND w.agency_id = $2");
        }
        sql.push_str(" GROUP BY w.agency_id, w.rule, w.severity");
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(format!("{}%", region_prefix.unwrap_or("")));
        if let Some(a) = agency {
            query = query.bind(a.0);
        }
        let rows: Vec<(i64, String, String, i64)> = query.fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|(a, r, s, n)| (AgencyId(a), r, s, n)).collect())
    }

    /// Events after outbox id `after`, at most `limit`, with the entity of
    /// each one's record, in order.
    pub async fn subject_events_after(&self, after: i64, limit: i64) -> Result<Vec<SubjectEvent>> {
        let rows = sqlx::query(
            "SELECT o.id, r.entity, r.entity_id, r.agency_id FROM outbox o JOIN records r ON r.id = o.record_id \
             WHERE o.id > $1 ORDER BY o.id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SubjectEvent {
                    outbox_id: r.try_get(0)?,
                    entity: r.try_get(1)?,
                    entity_id: r.try_get(2)?,
                    agency_id: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// How far the warnings were evaluated: the outbox id of the newest
    /// `warning_cursor.advance` record, if any.
    pub async fn warnings_cursor(&self) -> Result<Option<i64>> {
        let body: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT body FROM records WHERE entity = 'warning_cursor' AND entity_id = 0 ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        let Some(body) = body else { return Ok(None) };
        let v: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| StoreError::Corrupt { table: "records", message: e.to_string() })?;
        Ok(v["data"]["through"].as_i64())
    }

    /// Ids of every case, after `after`, at most `limit`, in order (a whole pass).
    pub async fn case_ids_after(&self, after: i64, limit: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar("SELECT id FROM cases WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Ids of every certificate.
    pub async fn certificate_ids(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar("SELECT id FROM certificates ORDER BY id").fetch_all(&self.pool).await?)
    }

    /// The subjects of a kind with warnings that have not ended (for a
    /// day's pass: one whose cause went away with time).
    pub async fn subjects_with_open_warnings(&self, kind: SubjectKind) -> Result<Vec<i64>> {
        let sql = format!(
            "SELECT DISTINCT subject_id FROM warnings WHERE subject_kind = $1 AND status NOT IN {CLOSED} \
             ORDER BY subject_id"
        );
        Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(kind.code()).fetch_all(&self.pool).await?)
    }

    /// The subjects of `agency` with a warning of `rule` that has not ended.
    pub async fn open_warning_subjects(&self, agency: AgencyId, rule: &str) -> Result<Vec<(SubjectKind, i64)>> {
        let sql = format!(
            "SELECT DISTINCT subject_kind, subject_id FROM warnings WHERE agency_id = $1 AND rule = $2 \
             AND status NOT IN {CLOSED} ORDER BY subject_kind, subject_id"
        );
        let rows: Vec<(String, i64)> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(agency.0).bind(rule).fetch_all(&self.pool).await?;
        subject_keys(rows, "warnings")
    }

    /// Complaints not answered yet.
    pub async fn unanswered_complaints(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar("SELECT id FROM complaints WHERE answered = 0 ORDER BY id").fetch_all(&self.pool).await?)
    }

    /// Every agency's id.
    pub async fn agency_ids(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar("SELECT id FROM agencies ORDER BY id").fetch_all(&self.pool).await?)
    }

    /// The cases of `procedure` of a party (by its USCC or identity card
    /// number): agency, the day each was opened and its id, oldest first.
    pub async fn inspections_of(&self, party_key: &str, procedure: &str) -> Result<Vec<(AgencyId, String, i64)>> {
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT agency_id, opened_on, id FROM cases WHERE party_key = $1 AND procedure = $2 \
             ORDER BY opened_on, id",
        )
        .bind(party_key)
        .bind(procedure)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(a, d, id)| (AgencyId(a), d, id)).collect())
    }

    /// Publications still shown whose withdrawal is due (PUB-4).
    pub async fn withdrawals_pending(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM publications WHERE withdrawn = 0 AND data LIKE '%\"withdrawal_due\":%' ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
