//! The JSON API of the quarterly online inspections (网上巡查, SUP-2)
//! (routes in `lib.rs`).

use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::extract::{Path, Query};
use crate::warning_api::{HandlingBody, HandlingOut, SubjectOut};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zhifa_domain::ids::InspectionId;
use zhifa_domain::warning::inspection::Quarter;
use zhifa_service::InspectionRow;
use zhifa_service::warnings::HandlingForm;

type ApiResult<T> = Result<T, AppError>;

/// One finding of a report.
#[derive(Serialize, ToSchema)]
pub struct FindingOut {
    /// `lists`, `certificates`, `publication`, `withdrawal`, `redaction`, `complaints` or `manual`.
    pub check: String,
    pub check_label: String,
    pub text: String,
    /// What it points to, if anything.
    pub subject: Option<SubjectOut>,
    /// Who added it by hand (none: the machine).
    pub by: Option<String>,
}

/// An agency's report of a quarter.
#[derive(Serialize, ToSchema)]
pub struct InspectionOut {
    pub id: i64,
    pub agency: i64,
    pub agency_name: String,
    /// `2026Q3`.
    pub quarter: String,
    pub run_on: String,
    /// 100 less each finding's points.
    pub score: u8,
    pub findings: Vec<FindingOut>,
    /// As for a warning: `open` (not sent), `sent`, `answered`, `returned`, `accepted`.
    pub status: String,
    pub status_label: String,
    pub answer_due: Option<String>,
    pub answer_overdue: bool,
    pub handling: Vec<HandlingOut>,
    pub version: i64,
}

impl InspectionOut {
    pub fn of(r: &InspectionRow, today: jiff::civil::Date) -> Self {
        let d = &r.data;
        Self {
            id: r.id.0,
            agency: r.agency_id.0,
            agency_name: d.agency.clone(),
            quarter: d.quarter.clone(),
            run_on: d.run_on.to_string(),
            score: d.score,
            findings: d
                .findings
                .iter()
                .map(|f| FindingOut {
                    check: f.check.code().into(),
                    check_label: f.check.label().into(),
                    text: f.text.clone(),
                    subject: f.subject.as_ref().map(SubjectOut::of),
                    by: f.by.clone(),
                })
                .collect(),
            status: d.handled.status.code().into(),
            status_label: d.handled.status.label().into(),
            answer_due: d.handled.answer_due.map(|x| x.to_string()),
            answer_overdue: d.handled.answer_overdue(today),
            handling: d.handled.handling.iter().map(HandlingOut::of).collect(),
            version: r.version,
        }
    }
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct InspectionsQuery {
    /// `2026Q3`; none: every quarter.
    pub quarter: Option<String>,
    /// A region code: its subtree (within the reader's).
    pub region: Option<String>,
}

fn quarter(q: Option<&str>) -> Result<Option<Quarter>, AppError> {
    q.filter(|s| !s.trim().is_empty()).map(Quarter::parse).transpose().map_err(|e| AppError::bad_request(e.to_string()))
}

#[utoipa::path(get, path = "/api/v1/inspections", params(InspectionsQuery), responses((status = 200, body = Vec<InspectionOut>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    user: ApiUser,
    Query(q): Query<InspectionsQuery>,
) -> ApiResult<Json<Vec<InspectionOut>>> {
    let region = q.region.as_deref().filter(|r| !r.trim().is_empty());
    let rows = s.service.inspections(&user.actor(), quarter(q.quarter.as_deref())?, region).await?;
    let today = s.service.today();
    Ok(Json(rows.iter().map(|r| InspectionOut::of(r, today)).collect()))
}

#[utoipa::path(get, path = "/api/v1/inspections/{id}", params(("id" = i64, Path)), responses((status = 200, body = InspectionOut), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<InspectionId>,
) -> ApiResult<Json<InspectionOut>> {
    let r = s.service.inspection(&user.actor(), id).await?;
    Ok(Json(InspectionOut::of(&r, s.service.today())))
}

/// A finding added by hand, before the report is sent.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct FindingBody {
    pub version: i64,
    pub text: String,
}

#[utoipa::path(post, path = "/api/v1/inspections/{id}/findings", params(("id" = i64, Path)), request_body = FindingBody,
    responses((status = 200, body = InspectionOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_finding(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<InspectionId>,
    Json(body): Json<FindingBody>,
) -> ApiResult<Json<InspectionOut>> {
    let r = s.service.add_inspection_finding(&user.actor(), id, body.version, &body.text).await?;
    Ok(Json(InspectionOut::of(&r, s.service.today())))
}

#[utoipa::path(post, path = "/api/v1/inspections/{id}/{action}", params(("id" = i64, Path), ("action" = String, Path, description = "send, answer, accept or return")), request_body = HandlingBody,
    responses((status = 200, body = InspectionOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn handle(
    State(s): State<AppState>,
    user: ApiUser,
    Path((id, action)): Path<(InspectionId, String)>,
    Json(body): Json<HandlingBody>,
) -> ApiResult<Json<InspectionOut>> {
    let form = HandlingForm {
        version: body.version,
        text: body.text,
        due_working_days: body.due_working_days,
        attachments: body.attachments,
    };
    let r = s.service.handle_inspection(&user.actor(), id, &action, &form).await?;
    Ok(Json(InspectionOut::of(&r, s.service.today())))
}
