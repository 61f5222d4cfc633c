//! Applying one change inside the command's transaction. Private: reached only
//! through `Store::commit`.

use crate::ledger::RecordDraft;
use crate::{Applied, Command, Result, StoreError, to_us};
use serde::Serialize;
use sqlx::{Any, Transaction};
use zhifa_domain::change::Change;
use zhifa_domain::records::RecordBody;

type Tx<'c> = Transaction<'c, Any>;

/// The JSON kept in a row's `data`: canonical, as in the record of the
/// change, so that `verify` can compare the two as bytes.
fn json<T: Serialize>(v: &T) -> Result<String> {
    let value = serde_json::to_value(v).map_err(|e| StoreError::Corrupt { table: "json", message: e.to_string() })?;
    Ok(zhifa_domain::records::canonical_json(&value))
}

/// Turn unique violations into `Duplicate` naming what was taken.
fn db(what: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |e| match e.as_database_error() {
        Some(d) if d.is_unique_violation() => StoreError::Duplicate(what.to_owned()),
        _ => StoreError::Database(e),
    }
}

/// An optimistic update found no row at that version: tell missing from stale.
async fn missed(tx: &mut Tx<'_>, table: &'static str, id: i64) -> StoreError {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE id = $1");
    match sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_one(&mut **tx).await {
        Ok(0) => StoreError::NotFound(table),
        Ok(_) => StoreError::Conflict(table),
        Err(e) => StoreError::Database(e),
    }
}

/// Insert a list entry (items, inspection items, service guides).
async fn insert_entry(
    tx: &mut Tx<'_>,
    table: &'static str,
    agency: i64,
    name: &str,
    data: String,
    now: i64,
) -> Result<i64> {
    let sql = format!(
        "INSERT INTO {table} (agency_id, name, data, version, created_us, updated_us) \
         VALUES ($1, $2, $3, 1, $4, $4) RETURNING id"
    );
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(agency)
        .bind(name)
        .bind(data)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(db(table))
}

/// Update a list entry at an expected version; returns its agency.
async fn update_entry(
    tx: &mut Tx<'_>,
    table: &'static str,
    id: i64,
    version: i64,
    name: &str,
    data: String,
    now: i64,
) -> Result<i64> {
    let sql = format!(
        "UPDATE {table} SET name = $1, data = $2, version = version + 1, updated_us = $3 \
         WHERE id = $4 AND version = $5 RETURNING agency_id"
    );
    let agency: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(name)
        .bind(data)
        .bind(now)
        .bind(id)
        .bind(version)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db(table))?;
    match agency {
        Some(a) => Ok(a),
        None => Err(missed(tx, table, id).await),
    }
}

async fn user_agency(tx: &mut Tx<'_>, user: i64) -> Result<i64> {
    sqlx::query_scalar("SELECT agency_id FROM users WHERE id = $1")
        .bind(user)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound("users"))
}

async fn insert_certificate(
    tx: &mut Tx<'_>,
    user: i64,
    agency: i64,
    data: &zhifa_domain::people::CertificateData,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO certificates (user_id, agency_id, number, valid_to, data, version, created_us, updated_us) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, $6) RETURNING id",
    )
    .bind(user)
    .bind(agency)
    .bind(&data.number)
    .bind(data.valid_to.to_string())
    .bind(json(data)?)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
    .map_err(db("执法证号"))
}

/// Write the rows of one change and hand its record to the ledger (which
/// writes it, its leaf and its outbox event before the commit).
pub(crate) async fn apply(
    tx: &mut Tx<'_>,
    ledger: &mut crate::ledger::LedgerTx,
    cmd: &Command,
    change: &Change,
) -> Result<Applied> {
    let now = to_us(cmd.at);
    let mut record_data = change.record_data();
    let (entity_id, agency_id): (i64, Option<i64>) = match change {
        Change::PutRegion { code, name } => {
            sqlx::query(
                "INSERT INTO regions (code, name, parent_code, level) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name",
            )
            .bind(code.as_str())
            .bind(name)
            .bind(code.parent().map(|p| p.to_string()))
            .bind(format!("{:?}", code.level()).to_lowercase())
            .execute(&mut **tx)
            .await?;
            let numeric = code.as_str().parse::<i64>().unwrap_or_default();
            (numeric, None)
        }
        Change::CreateAgency { data } => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO agencies (code, uscc, name, region_code, data, version, created_us, updated_us) \
                 VALUES ($1, $2, $3, $4, $5, 1, $6, $6) RETURNING id",
            )
            .bind(data.code.as_str())
            .bind(data.uscc.as_str())
            .bind(&data.name)
            .bind(data.region.as_str())
            .bind(json(data)?)
            .bind(now)
            .fetch_one(&mut **tx)
            .await
            .map_err(db("主体编码或统一社会信用代码"))?;
            (id, Some(id))
        }
        Change::UpdateAgency { id, version, data } => {
            let hit: Option<i64> = sqlx::query_scalar(
                "UPDATE agencies SET code = $1, uscc = $2, name = $3, region_code = $4, data = $5, \
                 version = version + 1, updated_us = $6 WHERE id = $7 AND version = $8 RETURNING id",
            )
            .bind(data.code.as_str())
            .bind(data.uscc.as_str())
            .bind(&data.name)
            .bind(data.region.as_str())
            .bind(json(data)?)
            .bind(now)
            .bind(id.0)
            .bind(version)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db("主体编码或统一社会信用代码"))?;
            if hit.is_none() {
                return Err(missed(tx, "agencies", id.0).await);
            }
            (id.0, Some(id.0))
        }
        Change::CreateUser { agency, data, certificates, password_hash } => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (agency_id, username, name, role, active, data, version, created_us, updated_us, password_hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7, $8) RETURNING id",
            )
            .bind(agency.0)
            .bind(data.username.as_str())
            .bind(&data.name)
            .bind(data.role.code())
            .bind(i64::from(data.active))
            .bind(json(data)?)
            .bind(now)
            .bind(password_hash.as_deref())
            .fetch_one(&mut **tx)
            .await
            .map_err(db("用户名"))?;
            // Each certificate is a record of its own too, as if created by
            // `CreateCertificate`, so that verify can check its row.
            for cert in certificates {
                let cert_id = insert_certificate(tx, id, agency.0, cert, now).await?;
                let change = Change::CreateCertificate { user: zhifa_domain::ids::UserId(id), data: cert.clone() };
                record(ledger, cmd, &change, change.record_data(), cert_id, Some(agency.0))?;
            }
            (id, Some(agency.0))
        }
        Change::UpdateUser { id, version, data } => {
            let agency: Option<i64> = sqlx::query_scalar(
                "UPDATE users SET username = $1, name = $2, role = $3, active = $4, data = $5, \
                 version = version + 1, updated_us = $6 WHERE id = $7 AND version = $8 RETURNING agency_id",
            )
            .bind(data.username.as_str())
            .bind(&data.name)
            .bind(data.role.code())
            .bind(i64::from(data.active))
            .bind(json(data)?)
            .bind(now)
            .bind(id.0)
            .bind(version)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db("用户名"))?;
            match agency {
                Some(a) => (id.0, Some(a)),
                None => return Err(missed(tx, "users", id.0).await),
            }
        }
        Change::SetPassword { user, password_hash } => {
            let agency: Option<i64> = sqlx::query_scalar(
                "UPDATE users SET password_hash = $1, updated_us = $2 WHERE id = $3 RETURNING agency_id",
            )
            .bind(password_hash)
            .bind(now)
            .bind(user.0)
            .fetch_optional(&mut **tx)
            .await?;
            (user.0, Some(agency.ok_or(StoreError::NotFound("users"))?))
        }
        Change::CreateCertificate { user, data } => {
            let agency = user_agency(tx, user.0).await?;
            (insert_certificate(tx, user.0, agency, data, now).await?, Some(agency))
        }
        Change::UpdateCertificate { id, version, data } => {
            let agency: Option<i64> = sqlx::query_scalar(
                "UPDATE certificates SET number = $1, valid_to = $2, data = $3, version = version + 1, \
                 updated_us = $4 WHERE id = $5 AND version = $6 RETURNING agency_id",
            )
            .bind(&data.number)
            .bind(data.valid_to.to_string())
            .bind(json(data)?)
            .bind(now)
            .bind(id.0)
            .bind(version)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db("执法证号"))?;
            match agency {
                Some(a) => (id.0, Some(a)),
                None => return Err(missed(tx, "certificates", id.0).await),
            }
        }
        Change::CreateItem { agency, data } => {
            (insert_entry(tx, "items", agency.0, &data.name, json(data)?, now).await?, Some(agency.0))
        }
        Change::UpdateItem { id, version, data } => {
            let a = update_entry(tx, "items", id.0, *version, &data.name, json(data)?, now).await?;
            (id.0, Some(a))
        }
        Change::CreateInspectionItem { agency, data } => {
            let id = insert_entry(tx, "inspection_items", agency.0, &data.name, json(data)?, now).await?;
            (id, Some(agency.0))
        }
        Change::UpdateInspectionItem { id, version, data } => {
            let a = update_entry(tx, "inspection_items", id.0, *version, &data.name, json(data)?, now).await?;
            (id.0, Some(a))
        }
        Change::CreateServiceGuide { agency, data } => {
            let id = insert_entry(tx, "service_guides", agency.0, &data.item, json(data)?, now).await?;
            (id, Some(agency.0))
        }
        Change::UpdateServiceGuide { id, version, data } => {
            let a = update_entry(tx, "service_guides", id.0, *version, &data.item, json(data)?, now).await?;
            (id.0, Some(a))
        }
        Change::CreateDiscretionBenchmark { agency, data } => {
            let id = insert_entry(tx, "discretion_benchmarks", agency.0, &data.violation, json(data)?, now).await?;
            (id, Some(agency.0))
        }
        Change::UpdateDiscretionBenchmark { id, version, data } => {
            let table = "discretion_benchmarks";
            let a = update_entry(tx, table, id.0, *version, &data.violation, json(data)?, now).await?;
            (id.0, Some(a))
        }
        Change::CreateReviewCatalogue { agency, data } => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO review_catalogues (agency_id, data, version, created_us, updated_us) \
                 VALUES ($1, $2, 1, $3, $3) RETURNING id",
            )
            .bind(agency.0)
            .bind(json(data)?)
            .bind(now)
            .fetch_one(&mut **tx)
            .await
            .map_err(db("本机关的法制审核目录清单"))?;
            (id, Some(agency.0))
        }
        Change::UpdateReviewCatalogue { id, version, data } => {
            let agency: Option<i64> = sqlx::query_scalar(
                "UPDATE review_catalogues SET data = $1, version = version + 1, updated_us = $2 \
                 WHERE id = $3 AND version = $4 RETURNING agency_id",
            )
            .bind(json(data)?)
            .bind(now)
            .bind(id.0)
            .bind(*version)
            .fetch_optional(&mut **tx)
            .await?;
            match agency {
                Some(a) => (id.0, Some(a)),
                None => return Err(missed(tx, "review_catalogues", id.0).await),
            }
        }
        Change::CreatePublication { agency, case, data } => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO publications (agency_id, case_id, withdrawn, category, document_number, decided_on, \
                 due_on, published_on, expires_on, data, version, created_us, updated_us) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11) RETURNING id",
            )
            .bind(agency.0)
            .bind(case.0)
            .bind(i64::from(data.withdrawal.is_some()))
            .bind(data.category.code())
            .bind(&data.document_number)
            .bind(data.decided_on.to_string())
            .bind(data.due_on.to_string())
            .bind(data.published_on.to_string())
            .bind(data.expires_on.to_string())
            .bind(json(data)?)
            .bind(now)
            .fetch_one(&mut **tx)
            .await
            .map_err(db("这一决定的公示"))?;
            (id, Some(agency.0))
        }
        Change::UpdatePublication { id, version, data, .. } => {
            let agency: Option<i64> = sqlx::query_scalar(
                "UPDATE publications SET withdrawn = $1, expires_on = $2, data = $3, version = version + 1, \
                 updated_us = $4 WHERE id = $5 AND version = $6 RETURNING agency_id",
            )
            .bind(i64::from(data.withdrawal.is_some()))
            .bind(data.expires_on.to_string())
            .bind(json(data)?)
            .bind(now)
            .bind(id.0)
            .bind(*version)
            .fetch_optional(&mut **tx)
            .await?;
            match agency {
                Some(a) => (id.0, Some(a)),
                None => return Err(missed(tx, "publications", id.0).await),
            }
        }
        Change::CreateComplaint { agency, data } => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO complaints (agency_id, tracking_number, answered, data, version, created_us, updated_us, \
                 form_nonce, client_tag) VALUES ($1, $2, $3, $4, 1, $5, $5, $6, $7) RETURNING id",
            )
            .bind(agency.0)
            .bind(&data.tracking_number)
            .bind(i64::from(data.answer.is_some()))
            .bind(json(data)?)
            .bind(now)
            .bind((!data.form_nonce.is_empty()).then_some(data.form_nonce.as_str()))
            .bind((!data.client_tag.is_empty()).then_some(data.client_tag.as_str()))
            .fetch_one(&mut **tx)
            .await
            .map_err(db("投诉编号"))?;
            (id, Some(agency.0))
        }
        Change::UpdateComplaint { id, version, data } => {
            let agency: Option<i64> = sqlx::query_scalar(
                "UPDATE complaints SET answered = $1, data = $2, version = version + 1, updated_us = $3 \
                 WHERE id = $4 AND version = $5 RETURNING agency_id",
            )
            .bind(i64::from(data.answer.is_some()))
            .bind(json(data)?)
            .bind(now)
            .bind(id.0)
            .bind(*version)
            .fetch_optional(&mut **tx)
            .await?;
            match agency {
                Some(a) => (id.0, Some(a)),
                None => return Err(missed(tx, "complaints", id.0).await),
            }
        }
        Change::CreateAnnualReport { agency, data } => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO annual_reports (agency_id, year, data, version, created_us, updated_us) \
                 VALUES ($1, $2, $3, 1, $4, $4) RETURNING id",
            )
            .bind(agency.0)
            .bind(i64::from(data.year))
            .bind(json(data)?)
            .bind(now)
            .fetch_one(&mut **tx)
            .await
            .map_err(db("该年度的年报"))?;
            (id, Some(agency.0))
        }
        Change::UpdateAnnualReport { id, version, data } => {
            let agency: Option<i64> = sqlx::query_scalar(
                "UPDATE annual_reports SET data = $1, version = version + 1, updated_us = $2 \
                 WHERE id = $3 AND version = $4 AND year = $5 RETURNING agency_id",
            )
            .bind(json(data)?)
            .bind(now)
            .bind(id.0)
            .bind(*version)
            .bind(i64::from(data.year))
            .fetch_optional(&mut **tx)
            .await?;
            match agency {
                Some(a) => (id.0, Some(a)),
                None => return Err(missed(tx, "annual_reports", id.0).await),
            }
        }
        Change::CreateToken { user, name, token_hash } => {
            let agency = user_agency(tx, user.0).await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO api_tokens (user_id, name, token_hash, created_us) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(user.0)
            .bind(name)
            .bind(token_hash)
            .bind(now)
            .fetch_one(&mut **tx)
            .await?;
            (id, Some(agency))
        }
        Change::CreateUpload { agency, user, length, meta } => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO uploads (agency_id, user_id, length, meta, case_number, state, created_us) \
                 VALUES ($1, $2, $3, $4, $5, 'open', $6) RETURNING id",
            )
            .bind(agency.0)
            .bind(user.0)
            .bind(i64::try_from(*length).map_err(|_| StoreError::NotFound("uploads"))?)
            .bind(json(meta)?)
            .bind(&meta.case_number)
            .bind(now)
            .fetch_one(&mut **tx)
            .await?;
            (id, Some(agency.0))
        }
        Change::CompleteUpload { id, content_hash, late } => {
            let agency: Option<i64> = sqlx::query_scalar(
                "UPDATE uploads SET state = 'complete', content_hash = $1, late = $2, completed_us = $3 \
                 WHERE id = $4 AND state = 'open' RETURNING agency_id",
            )
            .bind(content_hash)
            .bind(i64::from(*late))
            .bind(now)
            .bind(id.0)
            .fetch_optional(&mut **tx)
            .await?;
            (id.0, Some(agency.ok_or(StoreError::Conflict("uploads"))?))
        }
        Change::TerminateUpload { id } => {
            let agency: Option<i64> = sqlx::query_scalar(
                "UPDATE uploads SET state = 'terminated', completed_us = $1 WHERE id = $2 AND state = 'open' \
                 RETURNING agency_id",
            )
            .bind(now)
            .bind(id.0)
            .fetch_optional(&mut **tx)
            .await?;
            (id.0, Some(agency.ok_or(StoreError::Conflict("uploads"))?))
        }
        Change::Retrieve { agency, id, .. } => (*id, Some(agency.0)),
        Change::CreateCase { agency, prefix, word, year, stage, due_on, data } => {
            let seq: i64 = sqlx::query_scalar(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM cases WHERE agency_id = $1 AND year = $2 AND word = $3",
            )
            .bind(agency.0)
            .bind(i64::from(*year))
            .bind(word)
            .fetch_one(&mut **tx)
            .await?;
            let number = zhifa_domain::agency::case_number(prefix, word, *year, seq);
            let closed = i64::from(data.closed_on.is_some());
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO cases (agency_id, procedure, number, word, year, seq, stage, closed, party_key, party_name, \
                 title, opened_on, due_on, data, version, created_us, updated_us, decided_on) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15, $15, $16) RETURNING id",
            )
            .bind(agency.0)
            .bind(&data.procedure)
            .bind(&number)
            .bind(word)
            .bind(i64::from(*year))
            .bind(seq)
            .bind(stage)
            .bind(closed)
            .bind(data.party.key())
            .bind(data.party.name())
            .bind(&data.title)
            .bind(data.opened_on.to_string())
            .bind(due_on.map(|d| d.to_string()))
            .bind(json(data.as_ref())?)
            .bind(now)
            .bind(data.decided_on.map(|d| d.to_string()))
            .fetch_one(&mut **tx)
            .await
            .map_err(db("案号"))?;
            if let serde_json::Value::Object(map) = &mut record_data {
                map.insert("case_number".into(), serde_json::Value::String(number));
            }
            (id, Some(agency.0))
        }
        Change::UpdateCase { id, version, stage, due_on, closed, data, .. } => {
            let agency: Option<i64> = sqlx::query_scalar(
                "UPDATE cases SET stage = $1, closed = $2, party_key = $3, party_name = $4, title = $5, due_on = $6, \
                 data = $7, version = version + 1, updated_us = $8, decided_on = $11 \
                 WHERE id = $9 AND version = $10 RETURNING agency_id",
            )
            .bind(stage)
            .bind(i64::from(*closed))
            .bind(data.party.key())
            .bind(data.party.name())
            .bind(&data.title)
            .bind(due_on.map(|d| d.to_string()))
            .bind(json(data.as_ref())?)
            .bind(now)
            .bind(id.0)
            .bind(version)
            .bind(data.decided_on.map(|d| d.to_string()))
            .fetch_optional(&mut **tx)
            .await?;
            match agency {
                Some(a) => (id.0, Some(a)),
                None => return Err(missed(tx, "cases", id.0).await),
            }
        }
        Change::RevokeToken { id } => {
            let user: Option<i64> = sqlx::query_scalar(
                "UPDATE api_tokens SET revoked_us = $1 WHERE id = $2 AND revoked_us IS NULL RETURNING user_id",
            )
            .bind(now)
            .bind(id.0)
            .fetch_optional(&mut **tx)
            .await?;
            let user = user.ok_or(StoreError::NotFound("api_tokens"))?;
            (id.0, Some(user_agency(tx, user).await?))
        }
        Change::SignIn { user, session_hash, csrf_token, expires_at } => {
            let agency = user_agency(tx, user.0).await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO sessions (session_hash, user_id, csrf_token, created_us, expires_us) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(session_hash)
            .bind(user.0)
            .bind(csrf_token)
            .bind(now)
            .bind(to_us(*expires_at))
            .fetch_one(&mut **tx)
            .await?;
            (id, Some(agency))
        }
        Change::SignOut { session_hash } => {
            let row: Option<(i64, i64)> =
                sqlx::query_as("DELETE FROM sessions WHERE session_hash = $1 RETURNING id, user_id")
                    .bind(session_hash)
                    .fetch_optional(&mut **tx)
                    .await?;
            let (id, user) = row.ok_or(StoreError::NotFound("sessions"))?;
            (id, Some(user_agency(tx, user).await?))
        }
        Change::SignInFailed { username, client } => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO login_failures (username, client, at_us) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(username)
            .bind(client)
            .bind(now)
            .fetch_one(&mut **tx)
            .await?;
            let agency: Option<i64> = sqlx::query_scalar("SELECT agency_id FROM users WHERE username = $1")
                .bind(username)
                .fetch_optional(&mut **tx)
                .await?;
            (id, agency)
        }
    };

    let record_id = record(ledger, cmd, change, record_data, entity_id, agency_id)?;
    Ok(Applied { record_id, entity_id })
}

/// The record of `change` about `entity_id`, handed to the ledger.
fn record(
    ledger: &mut crate::ledger::LedgerTx,
    cmd: &Command,
    change: &Change,
    data: serde_json::Value,
    entity_id: i64,
    agency_id: Option<i64>,
) -> Result<i64> {
    let body = RecordBody {
        v: 1,
        kind: change.kind().to_owned(),
        entity: change.entity().to_owned(),
        entity_id,
        agency_id,
        actor: cmd.actor.clone(),
        at: cmd.at.to_string(),
        reason: cmd.reason.clone(),
        data,
    };
    ledger.record(RecordDraft {
        at: cmd.at,
        kind: change.kind(),
        entity: change.entity(),
        entity_id,
        agency_id,
        actor_id: cmd.actor.id,
        actor_name: cmd.actor.username.clone(),
        reason: cmd.reason.clone(),
        body: body.canonical_bytes(),
    })
}
