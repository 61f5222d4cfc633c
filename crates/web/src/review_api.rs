//! The JSON API of legal review (法制审核): catalogues, the reviewers' queue,
//! responsibility for a decision and staffing (routes in `lib.rs`).

use crate::AppState;
use crate::auth::ApiUser;
use crate::bodies::ImportOut;
use crate::download::xlsx_download;
use crate::error::{AppError, ErrorBody};
use crate::extract::{Path, Query};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zhifa_domain::case::reviewed::Involvement;
use zhifa_domain::ids::{AgencyId, CaseId};
use zhifa_domain::review::{CatalogueEntryForm, CatalogueSettingsForm};
use zhifa_service::review::StaffingLine;

type ApiResult<T> = Result<T, AppError>;

/// An agency's catalogue: its settings and lines, and the version to send back.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct CatalogueBody {
    /// 0 before the agency has one.
    pub version: i64,
    pub review_all_general: bool,
    /// Working days a review may take.
    pub time_limit_days: u16,
    pub entries: Vec<CatalogueEntryForm>,
}

#[utoipa::path(get, path = "/api/v1/agencies/{id}/review-catalogue", params(("id" = i64, Path)), responses((status = 200, body = CatalogueBody), (status = 404, body = ErrorBody)))]
pub async fn get_catalogue(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<AgencyId>,
) -> ApiResult<Json<CatalogueBody>> {
    let v = s.service.review_catalogue(&user.actor(), id).await?;
    Ok(Json(CatalogueBody {
        version: v.version,
        review_all_general: v.catalogue.review_all_general,
        time_limit_days: v.catalogue.time_limit_days,
        entries: v.catalogue.entries.iter().map(CatalogueEntryForm::from).collect(),
    }))
}

#[utoipa::path(put, path = "/api/v1/agencies/{id}/review-catalogue", params(("id" = i64, Path)), request_body = CatalogueBody, responses((status = 204), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn put_catalogue(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<AgencyId>,
    Json(body): Json<CatalogueBody>,
) -> ApiResult<StatusCode> {
    let mut entries = Vec::with_capacity(body.entries.len());
    for (i, e) in body.entries.iter().enumerate() {
        entries.push(e.validate().map_err(|e| AppError::bad_request(format!("第 {} 项：{e}", i + 1)))?);
    }
    let settings = CatalogueSettingsForm {
        review_all_general: body.review_all_general.to_string(),
        time_limit_days: body.time_limit_days.to_string(),
    };
    let data = settings.validate(entries).map_err(|e| AppError::bad_request(e.to_string()))?;
    s.service.save_review_catalogue(&user.actor(), id, body.version, data, "修改法制审核目录清单").await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/agencies/{id}/review-catalogue.xlsx", params(("id" = i64, Path)), responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn export_catalogue(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<AgencyId>,
) -> ApiResult<impl IntoResponse> {
    let bytes = s.service.export_review_catalogue(&user.actor(), id).await?;
    Ok(xlsx_download(bytes, "法制审核目录清单.xlsx"))
}

#[utoipa::path(post, path = "/api/v1/agencies/{id}/review-catalogue.xlsx", params(("id" = i64, Path)),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 200, body = ImportOut), (status = 400, body = ErrorBody)))]
pub async fn import_catalogue(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<AgencyId>,
    body: Bytes,
) -> ApiResult<Json<ImportOut>> {
    let r = s.service.import_review_catalogue(&user.actor(), id, &body).await?;
    Ok(Json(ImportOut { created: r.created }))
}

/// A case waiting for review.
#[derive(Serialize, ToSchema)]
pub struct QueueOut {
    pub case_id: i64,
    pub number: String,
    pub title: String,
    pub party: String,
    pub round: u16,
    pub submitted_on: String,
    pub due: String,
    pub due_trace: Vec<String>,
    pub overdue: bool,
    /// Due within two working days.
    pub due_soon: bool,
    /// Why review is required.
    pub triggers: Vec<String>,
    pub assigned: Option<String>,
    /// Assigned to the caller, or to nobody yet.
    pub mine: bool,
}

#[utoipa::path(get, path = "/api/v1/reviews", responses((status = 200, body = Vec<QueueOut>)))]
pub async fn queue(State(s): State<AppState>, user: ApiUser) -> ApiResult<Json<Vec<QueueOut>>> {
    let lines = s.service.review_queue(&user.actor()).await?;
    Ok(Json(
        lines
            .into_iter()
            .map(|l| QueueOut {
                case_id: l.case.id.0,
                number: l.case.number.clone(),
                title: l.case.data.matter.title.clone(),
                party: l.case.data.matter.party.name().to_owned(),
                round: l.round.number,
                submitted_on: l.round.submitted_on.to_string(),
                due: l.due.due.to_string(),
                due_trace: l.due.trace,
                overdue: l.due.overdue,
                due_soon: l.due.soon,
                triggers: l.triggers.iter().map(ToString::to_string).collect(),
                assigned: l.assigned,
                mine: l.mine,
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/responsibility", params(("id" = i64, Path)), responses((status = 200, body = Vec<Involvement>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn responsibility(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<CaseId>,
) -> ApiResult<Json<Vec<Involvement>>> {
    Ok(Json(s.service.responsibility(&user.actor(), id).await?.1))
}

#[derive(Deserialize, IntoParams)]
pub struct StaffingQuery {
    /// Only the agencies whose reviewers are fewer than 5% of their certified officers.
    pub below: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/staffing", params(StaffingQuery), responses((status = 200, body = Vec<StaffingLine>)))]
pub async fn staffing(
    State(s): State<AppState>,
    user: ApiUser,
    Query(q): Query<StaffingQuery>,
) -> ApiResult<Json<Vec<StaffingLine>>> {
    Ok(Json(s.service.staffing(&user.actor(), q.below.unwrap_or(false)).await?))
}
