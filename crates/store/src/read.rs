//! Reads. Nothing here writes.

use crate::{Result, Store, StoreError, from_us, to_us};
use jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};
use zhifa_domain::agency::AgencyData;
use zhifa_domain::case::CaseData;
use zhifa_domain::ids::{AgencyId, CertificateId, RecordId, ReviewCatalogueId, TokenId, UserId};
use zhifa_domain::people::{CertificateData, UserData};
use zhifa_domain::registry::{Registry, RegistryInfo};
use zhifa_domain::review::ReviewCatalogue;

/// A stored thing of an agency with its version (for optimistic updates).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<Id, T> {
    pub id: Id,
    pub agency_id: AgencyId,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub data: T,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserRow {
    pub user: Entry<UserId, UserData>,
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CertificateRow {
    pub user_id: UserId,
    pub cert: Entry<CertificateId, CertificateData>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub user_id: UserId,
    pub csrf_token: String,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRow {
    pub id: RecordId,
    pub at: Timestamp,
    pub kind: String,
    pub entity: String,
    pub entity_id: i64,
    pub agency_id: Option<AgencyId>,
    pub actor_id: Option<UserId>,
    pub actor_name: String,
    pub reason: String,
    /// The canonical bytes of the record.
    pub body: Vec<u8>,
}

const ENTRY_COLS: &str = "id, agency_id, version, created_us, updated_us, data";

fn entry<Id: From<i64>, T: DeserializeOwned>(table: &'static str, row: &AnyRow) -> Result<Entry<Id, T>> {
    let data: String = row.try_get("data")?;
    Ok(Entry {
        id: Id::from(row.try_get::<i64, _>("id")?),
        agency_id: AgencyId(row.try_get("agency_id")?),
        version: row.try_get("version")?,
        created_at: from_us(row.try_get("created_us")?),
        updated_at: from_us(row.try_get("updated_us")?),
        data: serde_json::from_str(&data).map_err(|e| StoreError::Corrupt { table, message: e.to_string() })?,
    })
}

fn user_row(row: &AnyRow) -> Result<UserRow> {
    Ok(UserRow { user: entry("users", row)?, password_hash: row.try_get("password_hash")? })
}

fn certificate_row(row: &AnyRow) -> Result<CertificateRow> {
    Ok(CertificateRow { user_id: UserId(row.try_get("user_id")?), cert: entry("certificates", row)? })
}

pub(crate) fn record_row(row: &AnyRow) -> Result<RecordRow> {
    Ok(RecordRow {
        id: RecordId(row.try_get("id")?),
        at: from_us(row.try_get("at_us")?),
        kind: row.try_get("kind")?,
        entity: row.try_get("entity")?,
        entity_id: row.try_get("entity_id")?,
        agency_id: row.try_get::<Option<i64>, _>("agency_id")?.map(AgencyId),
        actor_id: row.try_get::<Option<i64>, _>("actor_id")?.map(UserId),
        actor_name: row.try_get("actor_name")?,
        reason: row.try_get("reason")?,
        body: row.try_get("body")?,
    })
}

impl Store {
    async fn table_entry<Id: From<i64>, T: DeserializeOwned>(
        &self,
        table: &'static str,
        id: i64,
    ) -> Result<Option<Entry<Id, T>>> {
        let sql = format!("SELECT {ENTRY_COLS} FROM {table} WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.map(|r| entry(table, &r)).transpose()
    }

    async fn table_entries<Id: From<i64>, T: DeserializeOwned>(
        &self,
        table: &'static str,
        agency: AgencyId,
    ) -> Result<Vec<Entry<Id, T>>> {
        let sql = format!("SELECT {ENTRY_COLS} FROM {table} WHERE agency_id = $1 ORDER BY id");
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(agency.0).fetch_all(&self.pool).await?;
        rows.iter().map(|r| entry(table, r)).collect()
    }

    /// An entry of registry `R`.
    pub async fn entry<R: Registry>(&self, id: R::Id) -> Result<Option<Entry<R::Id, R::Data>>> {
        self.table_entry(R::INFO.names.table, id.into()).await
    }

    /// An agency's entries of registry `R`, oldest first.
    pub async fn entries<R: Registry>(&self, agency: AgencyId) -> Result<Vec<Entry<R::Id, R::Data>>> {
        self.table_entries(R::INFO.names.table, agency).await
    }

    /// An entry of a registry known by its info, its data as JSON.
    pub async fn registry_entry(&self, registry: &RegistryInfo, id: i64) -> Result<Option<Entry<i64, Value>>> {
        self.table_entry(registry.names.table, id).await
    }

    /// An agency's entries of a registry known by its info, oldest first.
    pub async fn registry_entries(&self, registry: &RegistryInfo, agency: AgencyId) -> Result<Vec<Entry<i64, Value>>> {
        self.table_entries(registry.names.table, agency).await
    }

    /// The agency's legal-review catalogue, if it has one.
    pub async fn review_catalogue(
        &self,
        agency: AgencyId,
    ) -> Result<Option<Entry<ReviewCatalogueId, ReviewCatalogue>>> {
        Ok(self.table_entries("review_catalogues", agency).await?.into_iter().next())
    }

    /// The agency's cases that `user` may have answered a review of: those
    /// whose data holds `"reviewed_by":N` (canonical JSON escapes quotes
    /// inside strings, so only the field matches).
    pub async fn cases_reviewed_by(&self, agency: AgencyId, user: UserId) -> Result<Vec<CaseData>> {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT data FROM cases WHERE agency_id = $1 AND (data LIKE $2 OR data LIKE $3)")
                .bind(agency.0)
                .bind(format!("%\"reviewed_by\":{},%", user.0))
                .bind(format!("%\"reviewed_by\":{}}}%", user.0))
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|d| {
                serde_json::from_str(d).map_err(|e| StoreError::Corrupt { table: "cases", message: e.to_string() })
            })
            .collect()
    }

    pub async fn agency(&self, id: AgencyId) -> Result<Option<Entry<AgencyId, AgencyData>>> {
        let row = sqlx::query(
            "SELECT id, id AS agency_id, version, created_us, updated_us, data FROM agencies WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| entry("agencies", &r)).transpose()
    }

    pub async fn agency_by_code(&self, code: &str) -> Result<Option<Entry<AgencyId, AgencyData>>> {
        let row = sqlx::query(
            "SELECT id, id AS agency_id, version, created_us, updated_us, data FROM agencies WHERE code = $1",
        )
        .bind(code)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| entry("agencies", &r)).transpose()
    }

    /// Agencies whose region code starts with `region_prefix` ("" for all).
    pub async fn agencies_in(&self, region_prefix: &str) -> Result<Vec<Entry<AgencyId, AgencyData>>> {
        let rows = sqlx::query(
            "SELECT id, id AS agency_id, version, created_us, updated_us, data FROM agencies \
             WHERE region_code LIKE $1 ORDER BY region_code, id",
        )
        .bind(format!("{region_prefix}%"))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| entry("agencies", r)).collect()
    }

    pub async fn user(&self, id: UserId) -> Result<Option<UserRow>> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {ENTRY_COLS}, password_hash FROM users WHERE id = $1")))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| user_row(&r)).transpose()
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRow>> {
        let row =
            sqlx::query(AssertSqlSafe(format!("SELECT {ENTRY_COLS}, password_hash FROM users WHERE username = $1")))
                .bind(username)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| user_row(&r)).transpose()
    }

    pub async fn users(&self, agency: AgencyId) -> Result<Vec<UserRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ENTRY_COLS}, password_hash FROM users WHERE agency_id = $1 ORDER BY id"
        )))
        .bind(agency.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_row).collect()
    }

    pub async fn certificate(&self, id: CertificateId) -> Result<Option<CertificateRow>> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {ENTRY_COLS}, user_id FROM certificates WHERE id = $1")))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| certificate_row(&r)).transpose()
    }

    pub async fn certificates(&self, agency: AgencyId) -> Result<Vec<CertificateRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ENTRY_COLS}, user_id FROM certificates WHERE agency_id = $1 ORDER BY user_id, id"
        )))
        .bind(agency.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(certificate_row).collect()
    }

    pub async fn session(&self, session_hash: &str, now: Timestamp) -> Result<Option<SessionRow>> {
        let row: Option<(i64, String, i64)> = sqlx::query_as(
            "SELECT user_id, csrf_token, expires_us FROM sessions WHERE session_hash = $1 AND expires_us > $2",
        )
        .bind(session_hash)
        .bind(to_us(now))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(u, csrf, exp)| SessionRow { user_id: UserId(u), csrf_token: csrf, expires_at: from_us(exp) }))
    }

    /// A token by the hash of its secret, revoked or not.
    pub async fn token_by_hash(&self, token_hash: &str) -> Result<Option<TokenRow>> {
        let row = sqlx::query("SELECT id, user_id, name, created_us, revoked_us FROM api_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| token_row(&r)).transpose()
    }

    pub async fn token(&self, id: TokenId) -> Result<Option<TokenRow>> {
        let row = sqlx::query("SELECT id, user_id, name, created_us, revoked_us FROM api_tokens WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| token_row(&r)).transpose()
    }

    pub async fn tokens_of(&self, user: UserId) -> Result<Vec<TokenRow>> {
        let rows = sqlx::query(
            "SELECT id, user_id, name, created_us, revoked_us FROM api_tokens WHERE user_id = $1 ORDER BY id",
        )
        .bind(user.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(token_row).collect()
    }

    /// Wrong passwords from `client` at or after `since` — for `username`
    /// only, if given: how many, and when the last was.
    pub async fn login_failures_since(
        &self,
        username: Option<&str>,
        client: &str,
        since: Timestamp,
    ) -> Result<(i64, Option<Timestamp>)> {
        let (count, last): (i64, Option<i64>) = match username {
            Some(u) => sqlx::query_as(
                "SELECT COUNT(*), MAX(at_us) FROM login_failures WHERE username = $1 AND client = $2 AND at_us >= $3",
            )
            .bind(u),
            None => sqlx::query_as("SELECT COUNT(*), MAX(at_us) FROM login_failures WHERE client = $1 AND at_us >= $2"),
        }
        .bind(client)
        .bind(to_us(since))
        .fetch_one(&self.pool)
        .await?;
        Ok((count, last.map(from_us)))
    }

    /// The records of one thing, oldest first: its history.
    pub async fn records_of(&self, entity: &str, entity_id: i64) -> Result<Vec<RecordRow>> {
        let rows = sqlx::query("SELECT * FROM records WHERE entity = $1 AND entity_id = $2 ORDER BY id")
            .bind(entity)
            .bind(entity_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(record_row).collect()
    }

    /// The retrievals (调阅) `actor` recorded of the thing numbered `id` at or
    /// after `since`: what each opened (`case`, `upload`, …), newest first.
    pub async fn retrievals_since(&self, actor: UserId, id: i64, since: Timestamp) -> Result<Vec<String>> {
        let rows: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT body FROM records WHERE entity = 'retrieval' AND entity_id = $1 AND kind = 'retrieval.read' \
             AND actor_id = $2 AND at_us >= $3 ORDER BY id DESC",
        )
        .bind(id)
        .bind(actor.0)
        .bind(to_us(since))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .filter_map(|body| serde_json::from_slice::<serde_json::Value>(body).ok())
            .filter_map(|body| body["data"]["what"].as_str().map(str::to_owned))
            .collect())
    }

    /// Retrievals (调阅) of things of the agencies whose region code starts
    /// with `region_prefix` (or of `agency` alone), newest first.
    pub async fn retrievals(
        &self,
        region_prefix: Option<&str>,
        agency: Option<AgencyId>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<RecordRow>> {
        let mut sql = "SELECT r.* FROM records r JOIN agencies a ON a.id = r.agency_id \
                       WHERE r.entity = 'retrieval' AND r.kind = 'retrieval.read' AND a.region_code LIKE $1"
            .to_owned();
        if agency.is_some() {
            sql.push_str(" AND r.agency_id = $4");
        }
        sql.push_str(" ORDER BY r.id DESC LIMIT $2 OFFSET $3");
        let mut query =
            sqlx::query(AssertSqlSafe(sql)).bind(format!("{}%", region_prefix.unwrap_or(""))).bind(limit).bind(offset);
        if let Some(a) = agency {
            query = query.bind(a.0);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(record_row).collect()
    }

    /// Records with ids above `after`, oldest first, at most `limit`.
    pub async fn records_after(&self, after: i64, limit: i64) -> Result<Vec<RecordRow>> {
        let rows = sqlx::query("SELECT * FROM records WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(record_row).collect()
    }

    pub async fn record_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM records").fetch_one(&self.pool).await?)
    }

    pub async fn pending_outbox(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE done_us IS NULL").fetch_one(&self.pool).await?)
    }

    /// Regions as `(code, name)`, by code.
    /// Region codes and names (on every portal list page: read in place on SQLite).
    pub async fn regions(&self) -> Result<Vec<(String, String)>> {
        const SQL: &str = "SELECT code, name FROM regions ORDER BY code";
        match self
            .sqlite_point_read(|c| c.prepare_cached(SQL)?.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        {
            Some(regions) => regions,
            None => Ok(sqlx::query_as(SQL).fetch_all(&self.pool).await?),
        }
    }
}

fn token_row(row: &AnyRow) -> Result<TokenRow> {
    Ok(TokenRow {
        id: TokenId(row.try_get("id")?),
        user_id: UserId(row.try_get("user_id")?),
        name: row.try_get("name")?,
        created_at: from_us(row.try_get("created_us")?),
        revoked_at: row.try_get::<Option<i64>, _>("revoked_us")?.map(from_us),
    })
}
