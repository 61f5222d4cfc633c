//! The dashboard's summary tables (SUP-1). They are not state of their
//! own: the warnings' outbox reader derives them from the cases,
//! publications and complaints, and can derive them again from nothing
//! ([`Store::clear_figures`]). So they are the one thing written outside
//! [`Store::commit`] (as the search index is), and no record makes them.
//!
//! Each source's contribution is kept beside the sums; applying a source
//! again takes its old contribution away and adds the new one in one
//! transaction, so applying it twice, or from two servers, counts it once.

use crate::rows::Value;
use crate::{Dialect, Result, Store, StoreError};
use sqlx::Row;
use std::collections::BTreeMap;
use zhifa_domain::dashboard::{Contribution, Month, Tally};
use zhifa_domain::ids::AgencyId;

/// One source of figures as it stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureSource {
    /// `case`, `publication` or `complaint`.
    pub kind: &'static str,
    pub id: i64,
    pub agency: AgencyId,
    /// Empty when the source is gone.
    pub contribution: Contribution,
}

/// The sums of one agency, month and procedure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureRow {
    pub agency: AgencyId,
    pub month: Month,
    pub procedure: String,
    pub tally: Tally,
}

/// Figures of which agencies and months.
#[derive(Debug, Clone, Default)]
pub struct FigureFilter {
    pub agency: Option<AgencyId>,
    /// Agencies whose region code starts with this.
    pub region_prefix: Option<String>,
    pub from: Month,
    pub to: Month,
}

type Key = (i64, Month, String);

/// Sources whose stored contribution one query reads.
const STORED_AT_ONCE: usize = 400;

/// A contribution as stored: a list, since JSON keys are strings.
fn encode(c: &Contribution) -> Result<String> {
    let list: Vec<(&Month, &String, &Tally)> = c.iter().map(|((m, p), t)| (m, p, t)).collect();
    serde_json::to_string(&list).map_err(|e| StoreError::Corrupt { table: "figure_sources", message: e.to_string() })
}

fn decode(text: &str) -> Result<Contribution> {
    let list: Vec<(Month, String, Tally)> = serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt { table: "figure_sources", message: e.to_string() })?;
    Ok(list.into_iter().map(|(m, p, t)| ((m, p), t)).collect())
}

fn tally(text: &str) -> Result<Tally> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt { table: "figures", message: e.to_string() })
}

/// The lock that lets one figures transaction at a time through on
/// PostgreSQL (SQLite's `BEGIN IMMEDIATE` does so by itself).
fn begin_sql(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "BEGIN IMMEDIATE",
        Dialect::Postgres => "BEGIN; SELECT pg_advisory_xact_lock(525737748066)",
    }
}

impl Store {
    /// Bring the sums up to `sources` as they stand now, in one
    /// transaction. Returns how many sums changed.
    pub async fn apply_figures(&self, sources: &[FigureSource]) -> Result<usize> {
        if sources.is_empty() {
            return Ok(0);
        }
        let mut conn = self.pool.acquire().await?;
        let mut tx = sqlx::Connection::begin_with(&mut *conn, begin_sql(self.dialect)).await?;
        // What each source added before, read a few hundred at a time.
        let mut stored: std::collections::HashMap<(&str, i64), (i64, String)> = Default::default();
        for chunk in sources.chunks(STORED_AT_ONCE) {
            let kinds: std::collections::BTreeSet<&str> = chunk.iter().map(|s| s.kind).collect();
            for kind in kinds {
                let ids: Vec<i64> = chunk.iter().filter(|s| s.kind == kind).map(|s| s.id).collect();
                let sql = format!(
                    "SELECT source_id, agency_id, data FROM figure_sources WHERE kind = $1 AND source_id IN ({})",
                    crate::marks(2, ids.len())
                );
                let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(kind);
                for id in &ids {
                    query = query.bind(*id);
                }
                let rows: Vec<(i64, i64, String)> = query.fetch_all(&mut *tx).await?;
                stored.extend(rows.into_iter().map(|(id, agency, data)| ((kind, id), (agency, data))));
            }
        }
        let mut delta: BTreeMap<Key, Tally> = BTreeMap::new();
        // Each source's row as it ends up: its agency and contribution, or none.
        let mut rows: BTreeMap<(&str, i64), Option<(i64, String)>> = BTreeMap::new();
        for s in sources {
            // A source named twice counts from what its first naming left.
            let new_text = encode(&s.contribution)?;
            let old = if s.contribution.is_empty() {
                stored.remove(&(s.kind, s.id))
            } else {
                stored.insert((s.kind, s.id), (s.agency.0, new_text.clone()))
            };
            let old_text = old.as_ref().map(|(_, d)| d.as_str());
            if old_text == Some(new_text.as_str()) || (old.is_none() && s.contribution.is_empty()) {
                continue;
            }
            if let Some((agency, text)) = &old {
                for ((month, procedure), t) in decode(text)? {
                    delta.entry((*agency, month, procedure)).or_default().add(&t, -1);
                }
            }
            for ((month, procedure), t) in &s.contribution {
                delta.entry((s.agency.0, *month, procedure.clone())).or_default().add(t, 1);
            }
            rows.insert((s.kind, s.id), (!s.contribution.is_empty()).then_some((s.agency.0, new_text)));
        }
        let (mut set, mut unset) = (Vec::new(), Vec::new());
        for ((kind, id), row) in rows {
            let key = vec![Value::Text(kind.to_owned()), Value::Int(id)];
            match row {
                Some((agency, data)) => set.push([key, vec![Value::Int(agency), Value::Text(data)]].concat()),
                None => unset.push(key),
            }
        }
        let columns = ["kind", "source_id", "agency_id", "data"];
        crate::rows::upsert(&mut tx, "figure_sources", &columns, 2, &set).await?;
        crate::rows::delete(&mut tx, "figure_sources", &columns[..2], &unset).await?;

        delta.retain(|_, t| !t.is_empty());
        // The sums the changes fall on, read a few hundred at a time.
        let keys: Vec<&Key> = delta.keys().collect();
        let mut sums: BTreeMap<Key, Tally> = BTreeMap::new();
        for chunk in keys.chunks(STORED_AT_ONCE / 2) {
            let terms: Vec<String> = (0..chunk.len())
                .map(|i| {
                    format!("(agency_id = ${} AND month = ${} AND procedure = ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3)
                })
                .collect();
            let sql = format!("SELECT agency_id, month, procedure, data FROM figures WHERE {}", terms.join(" OR "));
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for (agency, month, procedure) in chunk {
                query = query.bind(*agency).bind(*month).bind(procedure.as_str());
            }
            let found: Vec<(i64, Month, String, String)> = query.fetch_all(&mut *tx).await?;
            for (agency, month, procedure, data) in found {
                sums.insert((agency, month, procedure), tally(&data)?);
            }
        }
        let (mut set, mut unset) = (Vec::new(), Vec::new());
        for (key, d) in &delta {
            let mut sum = sums.remove(key).unwrap_or_default();
            sum.add(d, 1);
            let (agency, month, procedure) = key;
            let row = vec![Value::Int(*agency), Value::Int(i64::from(*month)), Value::Text(procedure.clone())];
            if sum.is_empty() {
                unset.push(row);
            } else {
                let text = serde_json::to_string(&sum)
                    .map_err(|e| StoreError::Corrupt { table: "figures", message: e.to_string() })?;
                set.push([row, vec![Value::Text(text)]].concat());
            }
        }
        let columns = ["agency_id", "month", "procedure", "data"];
        crate::rows::upsert(&mut tx, "figures", &columns, 3, &set).await?;
        crate::rows::delete(&mut tx, "figures", &columns[..3], &unset).await?;
        tx.commit().await?;
        Ok(delta.len())
    }

    /// The sums `filter` asks for.
    pub async fn figures(&self, filter: &FigureFilter) -> Result<Vec<FigureRow>> {
        let mut sql = "SELECT f.agency_id, f.month, f.procedure, f.data FROM figures f \
                       JOIN agencies a ON a.id = f.agency_id WHERE f.month >= $1 AND f.month <= $2"
            .to_owned();
        let mut n = 2;
        if filter.agency.is_some() {
            n += 1;
            sql.push_str(&format!(" AND f.agency_id = ${n}"));
        }
        if filter.region_prefix.is_some() {
            n += 1;
            sql.push_str(&format!(" AND a.region_code LIKE ${n}"));
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(filter.from).bind(filter.to);
        if let Some(a) = filter.agency {
            query = query.bind(a.0);
        }
        if let Some(p) = &filter.region_prefix {
            query = query.bind(format!("{p}%"));
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let data: String = r.try_get("data")?;
                Ok(FigureRow {
                    agency: AgencyId(r.try_get("agency_id")?),
                    month: i32::try_from(r.try_get::<i64, _>("month")?).unwrap_or_default(),
                    procedure: r.try_get("procedure")?,
                    tally: tally(&data)?,
                })
            })
            .collect()
    }

    /// What one source added, as stored.
    pub async fn figure_source(&self, kind: &str, id: i64) -> Result<Option<Contribution>> {
        let text: Option<String> =
            sqlx::query_scalar("SELECT data FROM figure_sources WHERE kind = $1 AND source_id = $2")
                .bind(kind)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        text.as_deref().map(decode).transpose()
    }

    /// Sources counted so far (0: the sums were never built).
    pub async fn figure_source_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM figure_sources").fetch_one(&self.pool).await?)
    }

    /// Forget every sum, to count them all again.
    pub async fn clear_figures(&self) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = sqlx::Connection::begin_with(&mut *conn, begin_sql(self.dialect)).await?;
        sqlx::query("DELETE FROM figure_sources").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM figures").execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
