//! Reading publications (公示) and the decided cases still to be published.
//! (They are written by `commit` only.)

use crate::cases::{COLS, case_row};
use crate::{CaseRow, Result, Store, StoreError, from_us};
use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::OptionalExtension;
use zhifa_domain::ids::{AgencyId, CaseId, PublicationId};
use zhifa_domain::publication::PublicationData;

#[derive(Debug, Clone, PartialEq)]
pub struct PublicationRow {
    pub id: PublicationId,
    pub agency_id: AgencyId,
    pub case_id: CaseId,
    /// The agency's region code, for browsing by region.
    pub region_code: String,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub data: PublicationData,
    /// The ledger index of the current version's record (read for one
    /// publication; `None` in lists).
    pub ledger_index: Option<u64>,
}

/// Which publications to list, newest first. Absent fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct PublicationFilter {
    pub agency: Option<AgencyId>,
    /// Any of these agencies (those of one domain; none: nothing matches).
    pub agencies: Option<Vec<AgencyId>>,
    /// Agencies whose region code starts with this.
    pub region_prefix: Option<String>,
    /// A category code (`penalty`, `permit`, …).
    pub category: Option<String>,
    /// Decided on or after / on or before.
    pub decided_from: Option<Date>,
    pub decided_to: Option<Date>,
    /// Only those the public sees on this day: not withdrawn, not expired.
    pub shown_on: Option<Date>,
    pub limit: i64,
    pub offset: i64,
}

/// A publication's columns, with the ledger index of its newest record
/// (for one publication's page).
const PUB_COLS: &str = "p.id, p.agency_id, p.case_id, a.region_code, p.version, p.created_us, p.updated_us, p.data, \
    (SELECT l.idx FROM records r JOIN ledger_leaves l ON l.record_id = r.id \
      WHERE r.entity = 'publication' AND r.entity_id = p.id ORDER BY r.id DESC LIMIT 1) AS ledger_index";

/// The same without the ledger index (`None`): for lists, which do not show it.
const LIST_COLS: &str = "p.id, p.agency_id, p.case_id, a.region_code, p.version, p.created_us, p.updated_us, p.data, CAST(NULL AS BIGINT) AS ledger_index";

/// A publication row as `PUB_COLS` reads it, from either driver.
type PubParts = (i64, i64, i64, String, i64, i64, i64, String, Option<i64>);

fn publication_row(
    (id, agency_id, case_id, region_code, version, created_us, updated_us, data, ledger_index): PubParts,
) -> Result<PublicationRow> {
    Ok(PublicationRow {
        id: PublicationId(id),
        agency_id: AgencyId(agency_id),
        case_id: CaseId(case_id),
        region_code,
        version,
        created_at: from_us(created_us),
        updated_at: from_us(updated_us),
        data: serde_json::from_str(&data)
            .map_err(|e| StoreError::Corrupt { table: "publications", message: e.to_string() })?,
        ledger_index: ledger_index.and_then(|i| u64::try_from(i).ok()),
    })
}

fn pub_parts(r: &rusqlite::Row<'_>) -> rusqlite::Result<PubParts> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?))
}

impl Store {
    /// One publication (the portal's decision page: read in place on SQLite).
    pub async fn publication(&self, id: PublicationId) -> Result<Option<PublicationRow>> {
        let sql =
            format!("SELECT {PUB_COLS} FROM publications p JOIN agencies a ON a.id = p.agency_id WHERE p.id = $1");
        let parts = match self.sqlite_point_read(|c| c.prepare_cached(&sql)?.query_row([id.0], pub_parts).optional()) {
            Some(read) => read?,
            None => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(&self.pool).await?,
        };
        parts.map(publication_row).transpose()
    }

    /// A publication's version (a decision page checks its cached copy
    /// against it: read in place on SQLite).
    pub async fn publication_version(&self, id: PublicationId) -> Result<Option<i64>> {
        const SQL: &str = "SELECT version FROM publications WHERE id = $1";
        match self.sqlite_point_read(|c| c.prepare_cached(SQL)?.query_row([id.0], |r| r.get(0)).optional()) {
            Some(version) => version,
            None => Ok(sqlx::query_scalar(SQL).bind(id.0).fetch_optional(&self.pool).await?),
        }
    }

    pub async fn publication_of_case(&self, case: CaseId) -> Result<Option<PublicationRow>> {
        let sql =
            format!("SELECT {PUB_COLS} FROM publications p JOIN agencies a ON a.id = p.agency_id WHERE p.case_id = $1");
        let row = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(case.0).fetch_optional(&self.pool).await?;
        row.map(publication_row).transpose()
    }

    /// Which of the cases `ids` have a publication.
    pub async fn published_cases(&self, ids: &[i64]) -> Result<Vec<i64>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT case_id FROM publications WHERE case_id IN ({})", crate::marks(1, ids.len()));
        let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(*id);
        }
        Ok(query.fetch_all(&self.pool).await?)
    }

    /// Publications matching `filter`, newest first, and how many match in all.
    pub async fn publications(&self, filter: &PublicationFilter) -> Result<(Vec<PublicationRow>, i64)> {
        let mut conditions = vec!["1 = 1".to_owned()];
        let mut binds: Vec<String> = Vec::new();
        let agency = filter.agency.map(|a| a.0);
        let mut bind = |conditions: &mut Vec<String>, sql: &str, value: String| {
            binds.push(value);
            conditions.push(sql.replace('?', &format!("${}", binds.len())));
        };
        if let Some(any) = &filter.agencies {
            // Integers, written into the statement.
            let ids: Vec<String> = any.iter().map(|a| a.0.to_string()).collect();
            conditions.push(if ids.is_empty() {
                "1 = 0".to_owned()
            } else {
                format!("p.agency_id IN ({})", ids.join(", "))
            });
        }
        if let Some(p) = &filter.region_prefix {
            bind(&mut conditions, "a.region_code LIKE ?", format!("{p}%"));
        }
        if let Some(c) = &filter.category {
            bind(&mut conditions, "p.category = ?", c.clone());
        }
        if let Some(d) = filter.decided_from {
            bind(&mut conditions, "p.decided_on >= ?", d.to_string());
        }
        if let Some(d) = filter.decided_to {
            bind(&mut conditions, "p.decided_on <= ?", d.to_string());
        }
        if let Some(d) = filter.shown_on {
            bind(&mut conditions, "p.withdrawn = 0 AND p.expires_on >= ?", d.to_string());
        }
        let n = binds.len();
        if agency.is_some() {
            conditions.push(format!("p.agency_id = ${}", n + 1));
        }
        let at = n + usize::from(agency.is_some());
        let from =
            format!("FROM publications p JOIN agencies a ON a.id = p.agency_id WHERE {}", conditions.join(" AND "));
        let list = format!(
            "SELECT {LIST_COLS} {from} ORDER BY p.published_on DESC, p.id DESC LIMIT ${} OFFSET ${}",
            at + 1,
            at + 2
        );
        let count = format!("SELECT COUNT(*) {from}");
        let mut q = sqlx::query_as::<_, PubParts>(sqlx::AssertSqlSafe(list));
        let mut c = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count));
        for b in &binds {
            q = q.bind(b.clone());
            c = c.bind(b.clone());
        }
        if let Some(a) = agency {
            q = q.bind(a);
            c = c.bind(a);
        }
        let limit = if filter.limit <= 0 { 20 } else { filter.limit.min(1_000) };
        q = q.bind(limit).bind(filter.offset.max(0));
        let rows = q.fetch_all(&self.pool).await?.into_iter().map(publication_row).collect::<Result<Vec<_>>>()?;
        Ok((rows, c.fetch_one(&self.pool).await?))
    }

    /// Decided cases of `agency` without a publication, oldest decision first.
    pub async fn unpublished_decisions(&self, agency: AgencyId) -> Result<Vec<CaseRow>> {
        let sql = format!(
            "SELECT {COLS} FROM cases c WHERE c.agency_id = $1 AND c.decided_on IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM publications p WHERE p.case_id = c.id) ORDER BY c.decided_on, c.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(agency.0).fetch_all(&self.pool).await?;
        rows.iter().map(case_row).collect()
    }
}

impl Store {
    /// Publication events after outbox id `after`: `(outbox id, publication id)`,
    /// in order (asked before every search: read in place on SQLite).
    pub async fn publication_events_after(&self, after: i64, limit: i64) -> Result<Vec<(i64, i64)>> {
        const SQL: &str = "SELECT o.id, r.entity_id FROM outbox o JOIN records r ON r.id = o.record_id \
             WHERE o.topic IN ('publication.create', 'publication.update') AND o.id > $1 ORDER BY o.id LIMIT $2";
        let read = self.sqlite_point_read(|c| {
            c.prepare_cached(SQL)?.query_map([after, limit], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
        });
        match read {
            Some(events) => events,
            None => Ok(sqlx::query_as(SQL).bind(after).bind(limit).fetch_all(&self.pool).await?),
        }
    }

    /// Events of the agencies' public lists after outbox id `after`:
    /// `(outbox id, agency id)`, in order (the agency, its officers and
    /// their certificates, and its four lists).
    pub async fn list_events_after(&self, after: i64, limit: i64) -> Result<Vec<(i64, i64)>> {
        const SQL: &str = "SELECT o.id, r.agency_id FROM outbox o JOIN records r ON r.id = o.record_id \
             WHERE o.topic IN ('agency.create', 'agency.update', 'user.create', 'user.update', \
             'certificate.create', 'certificate.update', 'item.create', 'item.update', \
             'inspection_item.create', 'inspection_item.update', 'service_guide.create', 'service_guide.update', \
             'discretion_benchmark.create', 'discretion_benchmark.update') \
             AND r.agency_id IS NOT NULL AND o.id > $1 ORDER BY o.id LIMIT $2";
        let read = self.sqlite_point_read(|c| {
            c.prepare_cached(SQL)?.query_map([after, limit], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
        });
        match read {
            Some(events) => events,
            None => Ok(sqlx::query_as(SQL).bind(after).bind(limit).fetch_all(&self.pool).await?),
        }
    }

    /// The newest outbox id (0 when empty; asked before every search: on
    /// SQLite read in place, and not read again while the file's WAL-index
    /// header shows no commit since).
    pub async fn last_outbox_id(&self) -> Result<i64> {
        const SQL: &str = "SELECT MAX(id) FROM outbox";
        // Read before the value: a commit in between moves it, and the
        // next call reads again.
        let header = self.sqlite_file().and_then(|db| self.outbox_mark.header(db));
        if let Some(newest) = header.as_ref().and_then(|h| self.outbox_mark.get(h)) {
            return Ok(newest);
        }
        let newest = match self.sqlite_point_read(|c| c.prepare_cached(SQL)?.query_row([], |r| r.get(0))) {
            Some(newest) => newest?,
            None => sqlx::query_scalar::<_, Option<i64>>(SQL).fetch_one(&self.pool).await?,
        }
        .unwrap_or(0);
        if let Some(header) = header {
            self.outbox_mark.put(header, newest);
        }
        Ok(newest)
    }

    /// These publications (those that exist), in no particular order (a
    /// page of search results: read in place on SQLite).
    pub async fn publications_by_ids(&self, ids: &[i64]) -> Result<Vec<PublicationRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {LIST_COLS} FROM publications p JOIN agencies a ON a.id = p.agency_id WHERE p.id IN ({})",
            marks.join(", ")
        );
        let read = self.sqlite_point_read(|c| {
            c.prepare_cached(&sql)?
                .query_map(rusqlite::params_from_iter(ids), pub_parts)?
                .collect::<Result<Vec<_>, _>>()
        });
        let parts = match read {
            Some(parts) => parts?,
            None => {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
                for id in ids {
                    q = q.bind(*id);
                }
                q.fetch_all(&self.pool).await?
            }
        };
        parts.into_iter().map(publication_row).collect()
    }

    /// Publications with ids after `after`, in id order (for rebuilding an index).
    pub async fn publications_after(&self, after: i64, limit: i64) -> Result<Vec<PublicationRow>> {
        let sql = format!(
            "SELECT {LIST_COLS} FROM publications p JOIN agencies a ON a.id = p.agency_id WHERE p.id > $1 \
             ORDER BY p.id LIMIT $2"
        );
        let rows = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(after).bind(limit).fetch_all(&self.pool).await?;
        rows.into_iter().map(publication_row).collect()
    }
}

impl Store {
    /// An agency's publications of decisions made from `from` to `to`
    /// (inclusive): how many, and how many were published within their period.
    pub async fn publication_counts(&self, agency: AgencyId, from: Date, to: Date) -> Result<(i64, i64)> {
        Ok(sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN published_on <= due_on THEN 1 ELSE 0 END), 0) \
             FROM publications WHERE agency_id = $1 AND decided_on >= $2 AND decided_on <= $3",
        )
        .bind(agency.0)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_one(&self.pool)
        .await?)
    }
}
