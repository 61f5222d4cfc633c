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

/// A statement that returns one integer: an insert's id, or a versioned
/// update's `agency_id`.
type Scalar<'q> = sqlx::query::QueryScalar<'q, Any, i64, <Any as sqlx::Database>::Arguments>;

/// Run an insert that returns the new row's id, of `agency`; `what` names a
/// unique value it may collide with.
async fn inserted(tx: &mut Tx<'_>, what: &str, agency: i64, insert: Scalar<'_>) -> Result<Written> {
    let id = insert.fetch_one(&mut **tx).await.map_err(db(what))?;
    Ok((id, Some(agency)))
}

/// Run a versioned update of `table`'s row `id`; `what` names a unique value
/// it may collide with. Returns the entity and its agency.
async fn versioned(
    tx: &mut Tx<'_>,
    table: &'static str,
    what: &str,
    id: i64,
    update: Scalar<'_>,
) -> Result<(i64, Option<i64>)> {
    match update.fetch_optional(&mut **tx).await.map_err(db(what))? {
        Some(agency) => Ok((id, Some(agency))),
        None => Err(missed(tx, table, id).await),
    }
}

/// A column's new value in [`update`].
enum Value {
    Int(i64),
    Text(String),
    OptText(Option<String>),
}

/// The versioned update of `table`'s row `id` from `version` (`what` names
/// a unique value it may collide with): sets `columns`, `data` and the time
/// and bumps the version. Returns the entity and its agency.
async fn update(
    tx: &mut Tx<'_>,
    (table, what): (&'static str, &str),
    (id, version): (i64, i64),
    columns: Vec<(&str, Value)>,
    data: String,
    now: i64,
) -> Result<Written> {
    let k = columns.len();
    let sets: String = columns.iter().enumerate().map(|(i, (c, _))| format!("{c} = ${}, ", i + 1)).collect();
    let sql = format!(
        "UPDATE {table} SET {sets}data = ${}, version = version + 1, updated_us = ${} \
         WHERE id = ${} AND version = ${} RETURNING agency_id",
        k + 1,
        k + 2,
        k + 3,
        k + 4
    );
    let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
    for (_, value) in columns {
        query = match value {
            Value::Int(v) => query.bind(v),
            Value::Text(v) => query.bind(v),
            Value::OptText(v) => query.bind(v),
        };
    }
    versioned(tx, table, what, id, query.bind(data).bind(now).bind(id).bind(version)).await
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

/// What a change wrote: the entity its record is about and that entity's agency.
type Written = (i64, Option<i64>);

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
    let (entity_id, agency_id) = match change {
        Change::PutRegion { .. } | Change::CreateAgency { .. } | Change::UpdateAgency { .. } => {
            agencies(tx, change, now).await?
        }
        Change::CreateEntry { .. }
        | Change::UpdateEntry { .. }
        | Change::CreateReviewCatalogue { .. }
        | Change::UpdateReviewCatalogue { .. } => registries(tx, change, now).await?,
        Change::CreateUser { agency, data, certificates, password_hash } => {
            let id = insert_user(tx, agency.0, data, password_hash.as_deref(), now).await?;
            // Each certificate is a record of its own too, as if created by
            // `CreateCertificate`, so that verify can check its row.
            for cert in certificates {
                let cert_id = insert_certificate(tx, id, agency.0, cert, now).await?;
                let change = Change::CreateCertificate { user: zhifa_domain::ids::UserId(id), data: cert.clone() };
                record(ledger, cmd, &change, change.record_data(), cert_id, Some(agency.0))?;
            }
            (id, Some(agency.0))
        }
        Change::UpdateUser { .. }
        | Change::SetPassword { .. }
        | Change::CreateCertificate { .. }
        | Change::UpdateCertificate { .. } => people(tx, change, now).await?,
        Change::CreateToken { .. }
        | Change::RevokeToken { .. }
        | Change::SignIn { .. }
        | Change::SignOut { .. }
        | Change::SignInFailed { .. } => sessions(tx, change, now).await?,
        Change::CreateCase { agency, prefix, word, year, stage, due_on, closed, data } => {
            let (id, number) =
                insert_case(tx, agency.0, (prefix, word, *year), (stage, *closed), *due_on, data, now).await?;
            if let serde_json::Value::Object(map) = &mut record_data {
                map.insert("case_number".into(), serde_json::Value::String(number));
            }
            (id, Some(agency.0))
        }
        Change::UpdateCase { .. }
        | Change::CreateUpload { .. }
        | Change::CompleteUpload { .. }
        | Change::TerminateUpload { .. }
        | Change::Retrieve { .. } => cases(tx, change, now).await?,
        Change::CreatePublication { .. }
        | Change::UpdatePublication { .. }
        | Change::CreateComplaint { .. }
        | Change::UpdateComplaint { .. }
        | Change::CreateAnnualReport { .. }
        | Change::UpdateAnnualReport { .. } => publicity(tx, change, now).await?,
        Change::CreateWarning { .. }
        | Change::UpdateWarning { .. }
        | Change::CreateInspection { .. }
        | Change::UpdateInspection { .. } => supervision(tx, change, now).await?,
        // A record of how far the warnings were evaluated; no row.
        Change::WarningsEvaluated { .. } => (0, None),
    };

    let record_id = record(ledger, cmd, change, record_data, entity_id, agency_id)?;
    Ok(Applied { record_id, entity_id })
}

/// Regions and agencies.
async fn agencies(tx: &mut Tx<'_>, change: &Change, now: i64) -> Result<Written> {
    const TAKEN: &str = "主体编码或统一社会信用代码";
    match change {
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
            Ok((code.as_str().parse::<i64>().unwrap_or_default(), None))
        }
        Change::CreateAgency { data } => {
            let insert = sqlx::query_scalar(
                "INSERT INTO agencies (code, uscc, name, region_code, data, version, created_us, updated_us) \
                 VALUES ($1, $2, $3, $4, $5, 1, $6, $6) RETURNING id",
            );
            let id: i64 = agency_columns(insert, data)?.bind(now).fetch_one(&mut **tx).await.map_err(db(TAKEN))?;
            Ok((id, Some(id)))
        }
        Change::UpdateAgency { id, version, data } => {
            let update = sqlx::query_scalar(
                "UPDATE agencies SET code = $1, uscc = $2, name = $3, region_code = $4, data = $5, \
                 version = version + 1, updated_us = $6 WHERE id = $7 AND version = $8 RETURNING id",
            );
            let update = agency_columns(update, data)?.bind(now).bind(id.0).bind(version);
            versioned(tx, "agencies", TAKEN, id.0, update).await
        }
        _ => Err(misrouted(change)),
    }
}

/// An agency's indexed columns and data, bound as `$1` to `$5`.
fn agency_columns<'q>(query: Scalar<'q>, data: &'q zhifa_domain::agency::AgencyData) -> Result<Scalar<'q>> {
    Ok(query
        .bind(data.code.as_str())
        .bind(data.uscc.as_str())
        .bind(&data.name)
        .bind(data.region.as_str())
        .bind(json(data)?))
}

/// A change handed to the wrong group: a bug of `apply`'s dispatch.
fn misrouted(change: &Change) -> StoreError {
    StoreError::Corrupt { table: "apply", message: format!("{} was dispatched to the wrong writer", change.kind()) }
}

/// The registries' entries and the review catalogues.
async fn registries(tx: &mut Tx<'_>, change: &Change, now: i64) -> Result<Written> {
    match change {
        Change::CreateEntry { registry, agency, entry } => {
            let n = &registry.names;
            let sql = format!(
                "INSERT INTO {} (agency_id, name, data, version, created_us, updated_us) \
                 VALUES ($1, $2, $3, 1, $4, $4) RETURNING id",
                n.table
            );
            let insert = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(agency.0)
                .bind(&entry.name)
                .bind(zhifa_domain::records::canonical_json(&entry.data))
                .bind(now);
            inserted(tx, n.noun, agency.0, insert).await
        }
        Change::UpdateEntry { registry, id, version, entry } => {
            let n = &registry.names;
            let data = zhifa_domain::records::canonical_json(&entry.data);
            update(tx, (n.table, n.noun), (*id, *version), vec![("name", Value::Text(entry.name.clone()))], data, now)
                .await
        }
        Change::CreateReviewCatalogue { agency, data } => {
            let insert = sqlx::query_scalar(
                "INSERT INTO review_catalogues (agency_id, data, version, created_us, updated_us) \
                 VALUES ($1, $2, 1, $3, $3) RETURNING id",
            )
            .bind(agency.0)
            .bind(json(data)?)
            .bind(now);
            inserted(tx, "本机关的法制审核目录清单", agency.0, insert).await
        }
        Change::UpdateReviewCatalogue { id, version, data } => {
            let table = ("review_catalogues", "本机关的法制审核目录清单");
            update(tx, table, (id.0, *version), vec![], json(data)?, now).await
        }
        _ => Err(misrouted(change)),
    }
}

async fn insert_user(
    tx: &mut Tx<'_>,
    agency: i64,
    data: &zhifa_domain::people::UserData,
    password_hash: Option<&str>,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO users (agency_id, username, name, role, active, data, version, created_us, updated_us, password_hash) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7, $8) RETURNING id",
    )
    .bind(agency)
    .bind(data.username.as_str())
    .bind(&data.name)
    .bind(data.role.code())
    .bind(i64::from(data.active))
    .bind(json(data)?)
    .bind(now)
    .bind(password_hash)
    .fetch_one(&mut **tx)
    .await
    .map_err(db("用户名"))
}

/// People and their certificates (a new person: [`insert_user`]).
async fn people(tx: &mut Tx<'_>, change: &Change, now: i64) -> Result<Written> {
    match change {
        Change::UpdateUser { id, version, data } => {
            let columns = vec![
                ("username", Value::Text(data.username.to_string())),
                ("name", Value::Text(data.name.clone())),
                ("role", Value::Text(data.role.code().to_owned())),
                ("active", Value::Int(i64::from(data.active))),
            ];
            update(tx, ("users", "用户名"), (id.0, *version), columns, json(data)?, now).await
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
            Ok((user.0, Some(agency.ok_or(StoreError::NotFound("users"))?)))
        }
        Change::CreateCertificate { user, data } => {
            let agency = user_agency(tx, user.0).await?;
            Ok((insert_certificate(tx, user.0, agency, data, now).await?, Some(agency)))
        }
        Change::UpdateCertificate { id, version, data } => {
            let columns = vec![
                ("number", Value::Text(data.number.clone())),
                ("valid_to", Value::Text(data.valid_to.to_string())),
            ];
            update(tx, ("certificates", "执法证号"), (id.0, *version), columns, json(data)?, now).await
        }
        _ => Err(misrouted(change)),
    }
}

/// Tokens, sessions and failed sign-ins.
async fn sessions(tx: &mut Tx<'_>, change: &Change, now: i64) -> Result<Written> {
    match change {
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
            Ok((id, Some(agency)))
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
            Ok((id.0, Some(user_agency(tx, user).await?)))
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
            Ok((id, Some(agency)))
        }
        Change::SignOut { session_hash } => {
            let row: Option<(i64, i64)> =
                sqlx::query_as("DELETE FROM sessions WHERE session_hash = $1 RETURNING id, user_id")
                    .bind(session_hash)
                    .fetch_optional(&mut **tx)
                    .await?;
            let (id, user) = row.ok_or(StoreError::NotFound("sessions"))?;
            Ok((id, Some(user_agency(tx, user).await?)))
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
            Ok((id, agency))
        }
        _ => Err(misrouted(change)),
    }
}

/// A new case with the next number of its agency, year and word; returns
/// its id and number.
async fn insert_case(
    tx: &mut Tx<'_>,
    agency: i64,
    (prefix, word, year): (&str, &str, i16),
    (stage, closed): (&str, bool),
    due_on: Option<jiff::civil::Date>,
    data: &zhifa_domain::case::CaseData,
    now: i64,
) -> Result<(i64, String)> {
    let seq: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM cases WHERE agency_id = $1 AND year = $2 AND word = $3",
    )
    .bind(agency)
    .bind(i64::from(year))
    .bind(word)
    .fetch_one(&mut **tx)
    .await?;
    let number = zhifa_domain::agency::case_number(prefix, word, year, seq);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO cases (agency_id, procedure, number, word, year, seq, stage, closed, party_key, party_name, \
         title, opened_on, due_on, data, version, created_us, updated_us, decided_on, provisional) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15, $15, $16, $17) RETURNING id",
    )
    .bind(agency)
    .bind(&data.procedure)
    .bind(&number)
    .bind(word)
    .bind(i64::from(year))
    .bind(seq)
    .bind(stage)
    .bind(i64::from(closed))
    .bind(data.matter.party.key())
    .bind(data.matter.party.name())
    .bind(&data.matter.title)
    .bind(data.opened_on.to_string())
    .bind(due_on.map(|d| d.to_string()))
    .bind(json(data)?)
    .bind(now)
    .bind(data.decided_on.map(|d| d.to_string()))
    .bind(i64::from(data.is_provisional()))
    .fetch_one(&mut **tx)
    .await
    .map_err(db("案号"))?;
    Ok((id, number))
}

/// Steps of cases, evidence uploads and retrievals.
async fn cases(tx: &mut Tx<'_>, change: &Change, now: i64) -> Result<Written> {
    match change {
        Change::UpdateCase { id, version, stage, due_on, closed, data, .. } => {
            let columns = vec![
                ("stage", Value::Text(stage.clone())),
                ("closed", Value::Int(i64::from(*closed))),
                ("party_key", Value::Text(data.matter.party.key().to_owned())),
                ("party_name", Value::Text(data.matter.party.name().to_owned())),
                ("title", Value::Text(data.matter.title.clone())),
                ("due_on", Value::OptText(due_on.map(|d| d.to_string()))),
                ("decided_on", Value::OptText(data.decided_on.map(|d| d.to_string()))),
                ("provisional", Value::Int(i64::from(data.is_provisional()))),
            ];
            update(tx, ("cases", "案号"), (id.0, *version), columns, json(data.as_ref())?, now).await
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
            Ok((id, Some(agency.0)))
        }
        Change::CompleteUpload { id, content_hash, late, content_type } => {
            let agency: Option<i64> = sqlx::query_scalar(
                "UPDATE uploads SET state = 'complete', content_hash = $1, late = $2, completed_us = $3, \
                 content_type = $4 WHERE id = $5 AND state = 'open' RETURNING agency_id",
            )
            .bind(content_hash)
            .bind(i64::from(*late))
            .bind(now)
            .bind(content_type)
            .bind(id.0)
            .fetch_optional(&mut **tx)
            .await?;
            Ok((id.0, Some(agency.ok_or(StoreError::Conflict("uploads"))?)))
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
            Ok((id.0, Some(agency.ok_or(StoreError::Conflict("uploads"))?)))
        }
        Change::Retrieve { agency, id, .. } => Ok((*id, Some(agency.0))),
        _ => Err(misrouted(change)),
    }
}

/// Warnings, online inspections and their handling.
async fn supervision(tx: &mut Tx<'_>, change: &Change, now: i64) -> Result<Written> {
    match change {
        Change::CreateWarning { agency, data } => {
            let insert = sqlx::query_scalar(
                "INSERT INTO warnings (agency_id, rule, severity, status, subject_kind, subject_id, answer_due, \
                 data, version, created_us, updated_us, family, cause_key) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9, $10, $11) RETURNING id",
            )
            .bind(agency.0)
            .bind(&data.rule)
            .bind(data.severity.code())
            .bind(data.handled.status.code())
            .bind(data.subject.kind.code())
            .bind(data.subject.id)
            .bind(data.handled.answer_due.map(|d| d.to_string()))
            .bind(json(data)?)
            .bind(now)
            .bind(&data.family)
            .bind(&data.key);
            inserted(tx, "预警", agency.0, insert).await
        }
        Change::UpdateWarning { id, version, data, .. } => {
            let columns = vec![
                ("rule", Value::Text(data.rule.clone())),
                ("severity", Value::Text(data.severity.code().to_owned())),
                ("status", Value::Text(data.handled.status.code().to_owned())),
                ("answer_due", Value::OptText(data.handled.answer_due.map(|d| d.to_string()))),
            ];
            update(tx, ("warnings", "预警"), (id.0, *version), columns, json(data)?, now).await
        }
        Change::CreateInspection { agency, data } => {
            let insert = sqlx::query_scalar(
                "INSERT INTO inspections (agency_id, quarter, score, status, answer_due, data, version, \
                 created_us, updated_us) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) RETURNING id",
            )
            .bind(agency.0)
            .bind(&data.quarter)
            .bind(i64::from(data.score))
            .bind(data.handled.status.code())
            .bind(data.handled.answer_due.map(|d| d.to_string()))
            .bind(json(data)?)
            .bind(now);
            inserted(tx, "该季度的巡查报告", agency.0, insert).await
        }
        Change::UpdateInspection { id, version, data, .. } => {
            let columns = vec![
                ("score", Value::Int(i64::from(data.score))),
                ("status", Value::Text(data.handled.status.code().to_owned())),
                ("answer_due", Value::OptText(data.handled.answer_due.map(|d| d.to_string()))),
            ];
            update(tx, ("inspections", "该季度的巡查报告"), (id.0, *version), columns, json(data)?, now).await
        }
        _ => Err(misrouted(change)),
    }
}

/// Publications, complaints and annual reports.
async fn publicity(tx: &mut Tx<'_>, change: &Change, now: i64) -> Result<Written> {
    match change {
        Change::CreatePublication { agency, case, data } => {
            let insert = sqlx::query_scalar(
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
            .bind(now);
            inserted(tx, "这一决定的公示", agency.0, insert).await
        }
        Change::UpdatePublication { id, version, data, .. } => {
            let columns = vec![
                ("withdrawn", Value::Int(i64::from(data.withdrawal.is_some()))),
                ("expires_on", Value::Text(data.expires_on.to_string())),
            ];
            update(tx, ("publications", "这一决定的公示"), (id.0, *version), columns, json(data)?, now).await
        }
        Change::CreateComplaint { agency, data } => {
            let insert = sqlx::query_scalar(
                "INSERT INTO complaints (agency_id, tracking_number, answered, data, version, created_us, updated_us, \
                 form_nonce, client_tag) VALUES ($1, $2, $3, $4, 1, $5, $5, $6, $7) RETURNING id",
            )
            .bind(agency.0)
            .bind(&data.tracking_number)
            .bind(i64::from(data.answer.is_some()))
            .bind(json(data)?)
            .bind(now)
            .bind((!data.form_nonce.is_empty()).then_some(data.form_nonce.as_str()))
            .bind((!data.client_tag.is_empty()).then_some(data.client_tag.as_str()));
            inserted(tx, "投诉编号", agency.0, insert).await
        }
        Change::UpdateComplaint { id, version, data } => {
            let columns = vec![("answered", Value::Int(i64::from(data.answer.is_some())))];
            update(tx, ("complaints", "投诉编号"), (id.0, *version), columns, json(data)?, now).await
        }
        Change::CreateAnnualReport { agency, data } => {
            let insert = sqlx::query_scalar(
                "INSERT INTO annual_reports (agency_id, year, data, version, created_us, updated_us) \
                 VALUES ($1, $2, $3, 1, $4, $4) RETURNING id",
            )
            .bind(agency.0)
            .bind(i64::from(data.year))
            .bind(json(data)?)
            .bind(now);
            inserted(tx, "该年度的年报", agency.0, insert).await
        }
        Change::UpdateAnnualReport { id, version, data } => {
            let update = sqlx::query_scalar(
                "UPDATE annual_reports SET data = $1, version = version + 1, updated_us = $2 \
                 WHERE id = $3 AND version = $4 AND year = $5 RETURNING agency_id",
            )
            .bind(json(data)?)
            .bind(now)
            .bind(id.0)
            .bind(*version)
            .bind(i64::from(data.year));
            versioned(tx, "annual_reports", "该年度的年报", id.0, update).await
        }
        _ => Err(misrouted(change)),
    }
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
