//! The JSON API under `/api/v1`: agencies, people, tokens, history, the
//! calendar, evidence and the ledger. Handlers are small: extract, call the
//! service, shape the answer; their `#[utoipa::path]` attributes make the
//! OpenAPI document (`openapi.rs`).

use crate::AppState;
use crate::auth::ApiUser;
use crate::bodies::{Created, ImportOut, RetrievalRequest, created};
use crate::error::{AppError, ErrorBody};
use crate::extract::{Path, Query};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhifa_domain::agency::AgencyForm;
use zhifa_domain::ids::UploadId;
use zhifa_domain::ids::{AgencyId, CertificateId, TokenId, UserId};
use zhifa_domain::people::{CertificateForm, UserForm};
use zhifa_service::Entry;

type ApiResult<T> = Result<T, AppError>;

/// An entry with its version and the fields of its form.
macro_rules! out_type {
    ($Out:ident, $Form:ty, $Update:ident) => {
        #[derive(Debug, Serialize, ToSchema)]
        pub struct $Out {
            pub id: i64,
            pub agency_id: i64,
            /// Send it back with an update; a stale version is refused.
            pub version: i64,
            pub updated_at: String,
            #[serde(flatten)]
            pub fields: $Form,
        }

        impl<Id: Copy + Into<i64>, D> From<&Entry<Id, D>> for $Out
        where
            for<'a> $Form: From<&'a D>,
        {
            fn from(e: &Entry<Id, D>) -> Self {
                Self {
                    id: e.id.into(),
                    agency_id: e.agency_id.0,
                    version: e.version,
                    updated_at: e.updated_at.to_string(),
                    fields: <$Form>::from(&e.data),
                }
            }
        }

        #[derive(Debug, Deserialize, ToSchema)]
        pub struct $Update {
            pub version: i64,
            #[serde(flatten)]
            pub fields: $Form,
        }
    };
}

out_type!(AgencyOut, AgencyForm, AgencyUpdate);
out_type!(UserOut, UserForm, UserUpdate);
out_type!(CertificateOut, CertificateForm, CertificateUpdate);

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user_id: i64,
    pub username: String,
    pub name: String,
    pub role: String,
    pub agency_id: i64,
    pub agency_name: String,
    pub region: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUser {
    #[serde(flatten)]
    pub fields: UserForm,
    /// Optional; without one the person cannot sign in yet.
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryOut {
    pub record_id: i64,
    pub at: String,
    pub actor: String,
    pub kind: String,
    pub reason: String,
    pub data: serde_json::Value,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewToken {
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCreated {
    pub id: i64,
    /// Shown once; only its hash is kept.
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(user: ApiUser) -> Json<Me> {
    let p = &user.0.principal;
    Json(Me {
        user_id: p.user_id.0,
        username: p.username.clone(),
        name: p.name.clone(),
        role: p.role.code().to_owned(),
        agency_id: p.agency_id.0,
        agency_name: p.agency_name.clone(),
        region: p.agency_region.to_string(),
    })
}

#[utoipa::path(get, path = "/api/v1/agencies", responses((status = 200, body = Vec<AgencyOut>)))]
pub async fn list_agencies(State(s): State<AppState>, user: ApiUser) -> ApiResult<Json<Vec<AgencyOut>>> {
    Ok(Json(s.service.agencies(&user.actor()).await?.iter().map(AgencyOut::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/agencies", request_body = AgencyForm, responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_agency(
    State(s): State<AppState>,
    user: ApiUser,
    Json(form): Json<AgencyForm>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    Ok(created(s.service.create_agency(&user.actor(), &form).await?.0))
}

#[utoipa::path(get, path = "/api/v1/agencies/{id}", params(("id" = i64, Path)), responses((status = 200, body = AgencyOut), (status = 404, body = ErrorBody)))]
pub async fn get_agency(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<AgencyId>,
) -> ApiResult<Json<AgencyOut>> {
    Ok(Json(AgencyOut::from(&s.service.agency(&user.actor(), id).await?)))
}

#[utoipa::path(put, path = "/api/v1/agencies/{id}", params(("id" = i64, Path)), request_body = AgencyUpdate, responses((status = 204), (status = 409, body = ErrorBody)))]
pub async fn update_agency(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<AgencyId>,
    Json(req): Json<AgencyUpdate>,
) -> ApiResult<StatusCode> {
    s.service.update_agency(&user.actor(), id, req.version, &req.fields).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/agencies/{id}/users", params(("id" = i64, Path)), responses((status = 200, body = Vec<UserOut>), (status = 404, body = ErrorBody)))]
pub async fn list_users(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<AgencyId>,
) -> ApiResult<Json<Vec<UserOut>>> {
    let rows = s.service.users(&user.actor(), id).await?;
    Ok(Json(rows.iter().map(|r| UserOut::from(&r.user)).collect()))
}

#[utoipa::path(post, path = "/api/v1/agencies/{id}/users", params(("id" = i64, Path)), request_body = NewUser, responses((status = 201, body = Created), (status = 400, body = ErrorBody)))]
pub async fn create_user(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<NewUser>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = s.service.create_user(&user.actor(), AgencyId(id), &req.fields, req.password.as_deref()).await?;
    Ok(created(id.0))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", params(("id" = i64, Path)), responses((status = 200, body = UserOut), (status = 404, body = ErrorBody)))]
pub async fn get_user(State(s): State<AppState>, user: ApiUser, Path(id): Path<UserId>) -> ApiResult<Json<UserOut>> {
    Ok(Json(UserOut::from(&s.service.user(&user.actor(), id).await?.user)))
}

#[utoipa::path(put, path = "/api/v1/users/{id}", params(("id" = i64, Path)), request_body = UserUpdate, responses((status = 204), (status = 409, body = ErrorBody)))]
pub async fn update_user(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<UserId>,
    Json(req): Json<UserUpdate>,
) -> ApiResult<StatusCode> {
    s.service.update_user(&user.actor(), id, req.version, &req.fields).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/agencies/{id}/certificates", params(("id" = i64, Path)), responses((status = 200, body = Vec<CertificateOut>)))]
pub async fn list_certificates(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<AgencyId>,
) -> ApiResult<Json<Vec<CertificateOut>>> {
    let rows = s.service.certificates(&user.actor(), id).await?;
    Ok(Json(rows.iter().map(|r| CertificateOut::from(&r.cert)).collect()))
}

#[utoipa::path(post, path = "/api/v1/users/{id}/certificates", params(("id" = i64, Path)), request_body = CertificateForm, responses((status = 201, body = Created)))]
pub async fn create_certificate(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<UserId>,
    Json(form): Json<CertificateForm>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    Ok(created(s.service.create_certificate(&user.actor(), id, &form).await?.0))
}

#[utoipa::path(get, path = "/api/v1/certificates/{id}", params(("id" = i64, Path)), responses((status = 200, body = CertificateOut), (status = 404, body = ErrorBody)))]
pub async fn get_certificate(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<CertificateId>,
) -> ApiResult<Json<CertificateOut>> {
    Ok(Json(CertificateOut::from(&s.service.certificate(&user.actor(), id).await?.cert)))
}

#[utoipa::path(put, path = "/api/v1/certificates/{id}", params(("id" = i64, Path)), request_body = CertificateUpdate, responses((status = 204)))]
pub async fn update_certificate(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<CertificateId>,
    Json(req): Json<CertificateUpdate>,
) -> ApiResult<StatusCode> {
    s.service.update_certificate(&user.actor(), id, req.version, &req.fields).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/history/{entity}/{id}",
    params(("entity" = String, Path, description = "agency, user, certificate, or a registry's entity: item, inspection_item, service_guide, discretion_benchmark …"), ("id" = i64, Path)),
    responses((status = 200, body = Vec<HistoryOut>), (status = 404, body = ErrorBody)))]
pub async fn history(
    State(s): State<AppState>,
    user: ApiUser,
    Path((entity, id)): Path<(String, i64)>,
) -> ApiResult<Json<Vec<HistoryOut>>> {
    let h = s.service.history(&user.actor(), &entity, id).await?;
    Ok(Json(
        h.into_iter()
            .map(|e| HistoryOut {
                record_id: e.record_id,
                at: e.at.to_string(),
                actor: e.actor,
                kind: e.kind,
                reason: e.reason,
                data: e.data,
            })
            .collect(),
    ))
}

pub use crate::download::{PDF, XLSX, download, xlsx_download};

#[utoipa::path(get, path = "/api/v1/agencies/{id}/personnel.xlsx", params(("id" = i64, Path)), responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn export_personnel(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<AgencyId>,
) -> ApiResult<impl IntoResponse> {
    Ok(xlsx_download(s.service.export_personnel(&user.actor(), id).await?, "执法人员名单.xlsx"))
}

#[utoipa::path(post, path = "/api/v1/agencies/{id}/personnel.xlsx", params(("id" = i64, Path)),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 200, body = ImportOut), (status = 400, body = ErrorBody)))]
pub async fn import_personnel(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<AgencyId>,
    body: Bytes,
) -> ApiResult<Json<ImportOut>> {
    let r = s.service.import_personnel(&user.actor(), id, &body).await?;
    Ok(Json(ImportOut { created: r.created }))
}

#[utoipa::path(get, path = "/api/v1/users/{id}/tokens", params(("id" = i64, Path)), responses((status = 200, body = Vec<TokenOut>)))]
pub async fn list_tokens(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<UserId>,
) -> ApiResult<Json<Vec<TokenOut>>> {
    let rows = s.service.tokens(&user.actor(), id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|t| TokenOut {
                id: t.id.0,
                name: t.name,
                created_at: t.created_at.to_string(),
                revoked_at: t.revoked_at.map(|r| r.to_string()),
            })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/users/{id}/tokens", params(("id" = i64, Path)), request_body = NewToken, responses((status = 201, body = TokenCreated)))]
pub async fn create_token(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<NewToken>,
) -> ApiResult<(StatusCode, Json<TokenCreated>)> {
    let (id, token) = s.service.create_token(&user.actor(), UserId(id), &req.name).await?;
    Ok((StatusCode::CREATED, Json(TokenCreated { id: id.0, token })))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", params(("id" = i64, Path)), responses((status = 204)))]
pub async fn revoke_token(State(s): State<AppState>, user: ApiUser, Path(id): Path<TokenId>) -> ApiResult<StatusCode> {
    s.service.revoke_token(&user.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- calendar (public) -------------------------------------------------------

/// The most days one `calendar/days` request may ask for.
pub const MAX_CALENDAR_DAYS: i32 = 1_100;

fn parse_date(field: &str, value: &str) -> ApiResult<jiff::civil::Date> {
    value.parse().map_err(|_| AppError::bad_request(format!("{field}：“{value}”不是有效的日期（应为 YYYY-MM-DD）")))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DaysQuery {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day (included), at most 1,100 days after `from`.
    pub to: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DayOut {
    #[schema(example = "2025-10-01")]
    pub date: String,
    /// `workday`, `weekend`, `holiday` or `swapped-workday`.
    pub kind: String,
    /// The holiday a holiday or swapped working day belongs to.
    pub name: Option<String>,
}

impl From<&zhifa_calendar::Day<'_>> for DayOut {
    fn from(d: &zhifa_calendar::Day<'_>) -> Self {
        Self { date: d.date.to_string(), kind: d.kind.code().to_owned(), name: d.name.map(str::to_owned) }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DaysOut {
    pub days: Vec<DayOut>,
}

#[utoipa::path(get, path = "/api/v1/calendar/days", params(DaysQuery), security(()), responses((status = 200, body = DaysOut), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn calendar_days(State(s): State<AppState>, Query(q): Query<DaysQuery>) -> ApiResult<Json<DaysOut>> {
    let (from, to) = (parse_date("from", &q.from)?, parse_date("to", &q.to)?);
    if (to - from).get_days() >= MAX_CALENDAR_DAYS {
        return Err(AppError::bad_request(format!("一次最多查询 {MAX_CALENDAR_DAYS} 天")));
    }
    let days = s.service.calendar().days(from, to)?;
    Ok(Json(DaysOut { days: days.iter().map(DayOut::from).collect() }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DeadlineQuery {
    /// The day of the event, `YYYY-MM-DD`; it does not count.
    pub from: String,
    /// Within this many working days after `from`.
    pub working_days: Option<u16>,
    /// Within this many natural days after `from`.
    pub days: Option<u16>,
    /// A legal period by its id (see `/api/v1/calendar/periods`).
    pub period: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodOut {
    pub length: u16,
    /// `working_days` or `days`.
    pub unit: String,
    /// In words, e.g. `7个工作日`.
    pub text: String,
}

impl From<zhifa_calendar::Period> for PeriodOut {
    fn from(p: zhifa_calendar::Period) -> Self {
        let unit = match p.unit() {
            zhifa_calendar::Unit::WorkingDays => "working_days",
            zhifa_calendar::Unit::Days => "days",
        };
        Self { length: p.length(), unit: unit.to_owned(), text: p.to_string() }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TraceDayOut {
    #[serde(flatten)]
    pub day: DayOut,
    /// Whether the day counted towards the period (a swapped working day) or was skipped.
    pub counted: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineOut {
    pub from: String,
    pub period: PeriodOut,
    /// The legal period asked for by id, if any.
    pub legal_period: Option<LegalPeriodOut>,
    /// The last day on which the thing may be done.
    pub due: String,
    /// For natural days: the last day before moving past non-working days.
    pub nominal_end: Option<String>,
    /// The rule that produced the date, in words.
    pub rule: String,
    /// The days that mattered: each non-working day skipped, each swapped working day counted.
    pub trace: Vec<TraceDayOut>,
    /// The whole computation as lines of text, as `zhifa calendar deadline` prints it.
    pub explanation: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/calendar/deadline", params(DeadlineQuery), security(()), responses((status = 200, body = DeadlineOut), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn calendar_deadline(
    State(s): State<AppState>,
    Query(q): Query<DeadlineQuery>,
) -> ApiResult<Json<DeadlineOut>> {
    use zhifa_calendar::Period;
    let from = parse_date("from", &q.from)?;
    let (period, legal_period) = match (q.working_days, q.days, q.period) {
        (Some(n), None, None) => (Period::working_days(n)?, None),
        (None, Some(n), None) => (Period::days(n)?, None),
        (None, None, Some(id)) => {
            let legal = zhifa_calendar::legal_periods()?
                .into_iter()
                .find(|p| p.id == id)
                .ok_or_else(|| AppError::bad_request(format!("没有编号为“{id}”的法定期限")))?;
            (legal.period, Some(LegalPeriodOut::from(legal)))
        }
        _ => return Err(AppError::bad_request("请给出 working_days、days 或 period 之一")),
    };
    let d = s.service.calendar().deadline(from, period)?;
    Ok(Json(DeadlineOut {
        from: d.from.to_string(),
        period: d.period.into(),
        legal_period,
        due: d.due.to_string(),
        nominal_end: d.nominal_end.map(|e| e.to_string()),
        rule: d.rule(),
        trace: d.trace.iter().map(|t| TraceDayOut { day: DayOut::from(&t.day), counted: t.counted }).collect(),
        explanation: d.explain(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LegalPeriodOut {
    #[schema(example = "penalty.service")]
    pub id: String,
    pub name: String,
    pub period: PeriodOut,
    pub basis: String,
}

impl From<zhifa_calendar::LegalPeriod> for LegalPeriodOut {
    fn from(p: zhifa_calendar::LegalPeriod) -> Self {
        Self { id: p.id, name: p.name, period: p.period.into(), basis: p.basis }
    }
}

#[utoipa::path(get, path = "/api/v1/calendar/periods", security(()), responses((status = 200, body = Vec<LegalPeriodOut>)))]
pub async fn calendar_periods() -> ApiResult<Json<Vec<LegalPeriodOut>>> {
    Ok(Json(zhifa_calendar::legal_periods()?.into_iter().map(LegalPeriodOut::from).collect()))
}

#[utoipa::path(get, path = "/api/v1/calendar/years", security(()), responses((status = 200, body = Vec<zhifa_calendar::YearInfo>)))]
pub async fn calendar_years(State(s): State<AppState>) -> Json<Vec<zhifa_calendar::YearInfo>> {
    Json(s.service.calendar().years().to_vec())
}

// ---- ledger (public) ---------------------------------------------------------

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[utoipa::path(get, path = "/api/v1/ledger/checkpoint", security(()), responses((status = 200, description = "C2SP signed-note checkpoint", content_type = "text/plain"), (status = 404, body = ErrorBody)))]
pub async fn ledger_checkpoint(State(s): State<AppState>) -> ApiResult<impl IntoResponse> {
    let c = s.service.checkpoint().await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], c.note))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicKeyOut {
    /// The checkpoint origin line and signature key name.
    pub origin: String,
    /// `sm2` or `ed25519`.
    pub algorithm: String,
    /// `sm3` or `sha256`: the tree's hash.
    pub hash: String,
    /// SM2 only: the distinguishing ID of every signature.
    pub distid: Option<String>,
    /// SubjectPublicKeyInfo PEM.
    pub public_key: String,
}

#[utoipa::path(get, path = "/api/v1/ledger/public-key", security(()), responses((status = 200, body = PublicKeyOut)))]
pub async fn ledger_public_key(State(s): State<AppState>) -> ApiResult<Json<PublicKeyOut>> {
    let m = s.service.ledger_meta().await?;
    Ok(Json(PublicKeyOut {
        origin: m.origin,
        algorithm: m.signer.code().to_owned(),
        hash: m.hash.code().to_owned(),
        distid: (m.signer == zhifa_service::SignerAlg::Sm2).then(|| zhifa_ledger::DISTID.to_owned()),
        public_key: m.public_key,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct LeavesQuery {
    pub start: u64,
    /// Exclusive; at most 1,000 leaves per request.
    pub end: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LeavesOut {
    /// Base64 leaf bytes: `zhifa/record/v1`, record id, kind, time (µs) and
    /// the record's salted commitment, one per line.
    pub leaves: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/ledger/leaves", params(LeavesQuery), security(()), responses((status = 200, body = LeavesOut), (status = 400, body = ErrorBody)))]
pub async fn ledger_leaves(State(s): State<AppState>, Query(q): Query<LeavesQuery>) -> ApiResult<Json<LeavesOut>> {
    let leaves = s.service.leaves(q.start, q.end).await?;
    Ok(Json(LeavesOut { leaves: leaves.iter().map(|l| b64(l)).collect() }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct InclusionQuery {
    pub index: u64,
    pub size: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InclusionOut {
    pub index: u64,
    pub size: u64,
    /// Base64 root of the tree of `size` leaves.
    pub root: String,
    /// Base64 bytes of leaf `index`.
    pub leaf: String,
    /// Base64 hashes, from the leaf's sibling up (RFC 9162 §2.1.3).
    pub proof: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/ledger/proof/inclusion", params(InclusionQuery), security(()), responses((status = 200, body = InclusionOut), (status = 400, body = ErrorBody)))]
pub async fn ledger_inclusion(
    State(s): State<AppState>,
    Query(q): Query<InclusionQuery>,
) -> ApiResult<Json<InclusionOut>> {
    let p = s.service.inclusion_proof(q.index, q.size).await?;
    Ok(Json(InclusionOut {
        index: p.index,
        size: p.size,
        root: b64(&p.root),
        leaf: b64(&p.leaf),
        proof: p.proof.iter().map(|h| b64(h)).collect(),
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ConsistencyQuery {
    pub first: u64,
    pub second: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsistencyOut {
    pub first: u64,
    pub second: u64,
    pub first_root: String,
    pub second_root: String,
    /// Base64 hashes (RFC 9162 §2.1.4).
    pub proof: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/ledger/proof/consistency", params(ConsistencyQuery), security(()), responses((status = 200, body = ConsistencyOut), (status = 400, body = ErrorBody)))]
pub async fn ledger_consistency(
    State(s): State<AppState>,
    Query(q): Query<ConsistencyQuery>,
) -> ApiResult<Json<ConsistencyOut>> {
    let p = s.service.consistency_proof(q.first, q.second).await?;
    Ok(Json(ConsistencyOut {
        first: p.first,
        second: p.second,
        first_root: b64(&p.first_root),
        second_root: b64(&p.second_root),
        proof: p.proof.iter().map(|h| b64(h)).collect(),
    }))
}

// ---- evidence -------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceOut {
    pub id: i64,
    pub agency_id: i64,
    pub case_number: String,
    pub step: String,
    pub captured_at: String,
    pub place: String,
    pub collector: String,
    pub proves: String,
    pub filename: String,
    /// The type its uploader declared (not trusted for anything).
    pub media_type: String,
    /// The type read from its bytes once complete; `null` if they match no
    /// known kind (a text file): only audio or video satisfies a stage that
    /// must be recorded on audio/video.
    pub content_type: Option<String>,
    pub length: u64,
    /// `open`, `complete` or `terminated`.
    pub state: String,
    /// Hex hash of the file (the ledger's algorithm) once complete.
    pub content_hash: Option<String>,
    /// Stored more than 24 hours after capture (REC-5).
    pub late: bool,
    pub created_at: String,
    pub completed_at: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/evidence/{id}/retrieval", params(("id" = i64, Path)), request_body = RetrievalRequest, responses((status = 204, description = "recorded; the evidence record and file are open to the caller for 4 hours"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn retrieve_evidence(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<UploadId>,
    Json(req): Json<RetrievalRequest>,
) -> ApiResult<StatusCode> {
    let target = zhifa_service::Retrieval::Upload(id);
    s.service.retrieve(&user.actor(), target, &req.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(default)]
pub struct RetrievalsQuery {
    /// A region code: the retrievals of its agencies' things (within the reader's region).
    pub region: Option<String>,
    pub agency: Option<i64>,
    /// At most 1,000 (default 100).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// REC-8: who read which case or evidence record of the reader's scope,
/// when and why, newest first.
#[utoipa::path(get, path = "/api/v1/retrievals", params(RetrievalsQuery), responses((status = 200, body = Vec<zhifa_service::RetrievalEntry>), (status = 404, body = ErrorBody)))]
pub async fn retrievals(
    State(s): State<AppState>,
    user: ApiUser,
    Query(q): Query<RetrievalsQuery>,
) -> ApiResult<Json<Vec<zhifa_service::RetrievalEntry>>> {
    let region = q.region.as_deref().filter(|r| !r.trim().is_empty());
    let log = s
        .service
        .retrieval_log(&user.actor(), region, q.agency.map(AgencyId), q.limit.unwrap_or(100), q.offset.unwrap_or(0))
        .await?;
    Ok(Json(log))
}

#[utoipa::path(get, path = "/api/v1/evidence/{id}", params(("id" = i64, Path)), responses((status = 200, body = EvidenceOut), (status = 403, description = "another agency's: retrieve it first (POST …/retrieval)", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_evidence(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<UploadId>,
) -> ApiResult<Json<EvidenceOut>> {
    let u = s.service.evidence(&user.actor(), id).await?;
    let state = match u.state {
        zhifa_service::UploadState::Open => "open",
        zhifa_service::UploadState::Complete => "complete",
        zhifa_service::UploadState::Terminated => "terminated",
    };
    Ok(Json(EvidenceOut {
        id: u.id.0,
        agency_id: u.agency_id.0,
        case_number: u.meta.case_number,
        step: u.meta.step,
        captured_at: u.meta.captured_at.to_string(),
        place: u.meta.place,
        collector: u.meta.collector,
        proves: u.meta.proves,
        filename: u.meta.filename,
        media_type: u.meta.media_type,
        content_type: u.content_type,
        length: u.length,
        state: state.to_owned(),
        content_hash: u.content_hash,
        late: u.late,
        created_at: u.created_at.to_string(),
        completed_at: u.completed_at.map(|t| t.to_string()),
    }))
}

#[utoipa::path(get, path = "/api/v1/evidence/{id}/file", params(("id" = i64, Path)), responses((status = 200, description = "the file, streamed: inline with the type read from its bytes if a picture, sound, video or PDF, else `attachment` as `application/octet-stream`; always `nosniff` and `Content-Security-Policy: sandbox`"), (status = 403, description = "another agency's: retrieve it first (POST …/retrieval)", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_evidence_file(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Response> {
    let (upload, stream) = s.service.evidence_file(&user.actor(), zhifa_domain::ids::UploadId(id)).await?;
    crate::evidence_file::response(&upload, stream).await.map_err(|e| {
        tracing::error!(error = %e, upload = id, "evidence file unreadable");
        AppError::not_found()
    })
}
