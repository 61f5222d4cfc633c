//! The JSON API of cases and procedures (routes in `lib.rs`).

use crate::AppState;
use crate::auth::ApiUser;
use crate::bodies::RetrievalRequest;
use crate::error::{AppError, ErrorBody};
use crate::extract::{Path, Query};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zhifa_domain::ids::CaseId;
use zhifa_service::cases::{CaseForm, CaseView, StepForm};
use zhifa_service::{CaseFilter, CaseRow};

type ApiResult<T> = Result<T, AppError>;

/// A procedure as data: its stages, steps and limits.
#[derive(Serialize, ToSchema)]
pub struct ProcedureOut {
    pub id: String,
    pub name: String,
    pub category: String,
    #[schema(value_type = Vec<Object>)]
    pub stages: serde_json::Value,
    #[schema(value_type = Vec<Object>)]
    pub transitions: serde_json::Value,
    #[schema(value_type = Vec<Object>)]
    pub limits: serde_json::Value,
}

#[utoipa::path(get, path = "/api/v1/procedures", security(()), responses((status = 200, body = Vec<ProcedureOut>)))]
pub async fn procedures(State(s): State<AppState>) -> Json<Vec<ProcedureOut>> {
    Json(
        s.service
            .procedures()
            .all()
            .iter()
            .map(|p| ProcedureOut {
                id: p.id.clone(),
                name: p.name.clone(),
                category: p.category.code().to_owned(),
                stages: serde_json::to_value(&p.stages).unwrap_or_default(),
                transitions: serde_json::to_value(&p.transitions).unwrap_or_default(),
                limits: serde_json::to_value(&p.limits).unwrap_or_default(),
            })
            .collect(),
    )
}

#[utoipa::path(get, path = "/api/v1/procedures/{id}/flowchart.svg", security(()), params(("id" = String, Path)), responses((status = 200, content_type = "image/svg+xml", description = "the flowchart, drawn from the definition"), (status = 404, body = ErrorBody)))]
pub async fn flowchart(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    let svg = s.service.flowchart(id.trim_end_matches(".svg"))?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")], svg))
}

#[derive(Deserialize, IntoParams)]
pub struct CaseQuery {
    pub procedure: Option<String>,
    pub stage: Option<String>,
    /// `true`: open cases only; `false`: closed ones.
    pub open: Option<bool>,
    /// Open cases past their nearest time limit.
    pub overdue: Option<bool>,
    /// In the number, the party or the matter.
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseSummary {
    pub id: i64,
    pub number: String,
    pub agency_id: i64,
    pub procedure: String,
    pub stage: String,
    pub stage_name: String,
    pub party: String,
    pub title: String,
    pub due_on: Option<String>,
    pub closed: bool,
    pub version: i64,
}

fn summary(s: &AppState, c: &CaseRow) -> CaseSummary {
    let stage_name = s
        .service
        .procedure(&c.data.procedure)
        .ok()
        .and_then(|p| p.stage(&c.stage))
        .map_or_else(|| c.stage.clone(), |st| st.name.clone());
    CaseSummary {
        id: c.id.0,
        number: c.number.clone(),
        agency_id: c.agency_id.0,
        procedure: c.data.procedure.clone(),
        stage: c.stage.clone(),
        stage_name,
        party: c.data.matter.party.name().to_owned(),
        title: c.data.matter.title.clone(),
        due_on: c.due_on.map(|d| d.to_string()),
        closed: c.closed,
        version: c.version,
    }
}

#[utoipa::path(get, path = "/api/v1/cases", params(CaseQuery), responses((status = 200, body = Vec<CaseSummary>)))]
pub async fn list_cases(
    State(s): State<AppState>,
    user: ApiUser,
    Query(q): Query<CaseQuery>,
) -> ApiResult<Json<Vec<CaseSummary>>> {
    let filter = CaseFilter {
        procedure: q.procedure,
        stage: q.stage,
        open: q.open,
        overdue_on: q.overdue.filter(|o| *o).map(|_| s.service.today()),
        text: q.q.filter(|t| !t.trim().is_empty()),
        limit: q.limit.unwrap_or(100),
        offset: q.offset.unwrap_or(0),
        ..Default::default()
    };
    let rows = s.service.cases(&user.actor(), filter).await?;
    Ok(Json(rows.iter().map(|c| summary(&s, c)).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct CaseCreated {
    pub id: i64,
    pub number: String,
}

#[utoipa::path(post, path = "/api/v1/cases", request_body = CaseForm, responses((status = 201, body = CaseCreated), (status = 400, body = ErrorBody)))]
pub async fn open_case(
    State(s): State<AppState>,
    user: ApiUser,
    Json(form): Json<CaseForm>,
) -> ApiResult<(StatusCode, Json<CaseCreated>)> {
    let id = s.service.open_case(&user.actor(), &form).await?;
    let number = s.service.case(&user.actor(), id).await?.number;
    Ok((StatusCode::CREATED, Json(CaseCreated { id: id.0, number })))
}

#[derive(Serialize, ToSchema)]
pub struct ActionOut {
    pub action: String,
    pub name: String,
    pub roles: Vec<String>,
    /// What still stands in the way (empty: it can be taken).
    pub missing: Vec<crate::error::RefusalOut>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseDeadlineOut {
    pub limit: String,
    pub name: String,
    pub basis: String,
    pub started: String,
    pub due: String,
    pub trace: Vec<String>,
    pub met_on: Option<String>,
    pub overdue: bool,
    /// Estimated: the holidays of the due date's year are not yet loaded.
    pub provisional: bool,
}

#[derive(Serialize, ToSchema)]
pub struct RecordingOut {
    pub id: i64,
    pub step: String,
    pub filename: String,
    pub content_hash: Option<String>,
    pub late: bool,
}

#[derive(Serialize, ToSchema)]
pub struct TimelineOut {
    pub record_id: i64,
    pub at: String,
    pub kind: String,
    pub actor: String,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct CaseOut {
    #[serde(flatten)]
    pub summary: CaseSummary,
    pub procedure_name: String,
    pub agency: String,
    /// The engine's state of the case (party, handlers, dates, penalties, steps).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub deadlines: Vec<CaseDeadlineOut>,
    pub actions: Vec<ActionOut>,
    pub documents: Vec<String>,
    pub recordings: Vec<RecordingOut>,
    pub timeline: Vec<TimelineOut>,
}

pub(crate) fn case_out(s: &AppState, v: &CaseView) -> CaseOut {
    CaseOut {
        summary: summary(s, &v.case),
        procedure_name: v.procedure.name.clone(),
        agency: v.agency_name.clone(),
        data: serde_json::to_value(&v.case.data).unwrap_or_default(),
        deadlines: v
            .deadlines
            .iter()
            .map(|d| CaseDeadlineOut {
                limit: d.limit.clone(),
                name: d.name.clone(),
                basis: d.basis.clone(),
                started: d.started.to_string(),
                due: d.due.to_string(),
                trace: d.trace.clone(),
                met_on: d.met_on.map(|m| m.to_string()),
                overdue: d.overdue,
                provisional: d.provisional,
            })
            .collect(),
        actions: v
            .actions
            .iter()
            .map(|(t, refusals)| ActionOut {
                action: t.action.clone(),
                name: t.name.clone(),
                roles: t.roles.iter().map(|r| r.code().to_owned()).collect(),
                missing: refusals.iter().map(crate::error::RefusalOut::from).collect(),
            })
            .collect(),
        documents: v
            .procedure
            .stages
            .iter()
            .filter(|st| v.case.data.entered(&st.id).is_some())
            .flat_map(|st| st.documents.iter().cloned())
            .collect(),
        recordings: v
            .recordings
            .iter()
            .map(|u| RecordingOut {
                id: u.id.0,
                step: u.meta.step.clone(),
                filename: u.meta.filename.clone(),
                content_hash: u.content_hash.clone(),
                late: u.late,
            })
            .collect(),
        timeline: v
            .timeline
            .iter()
            .map(|r| TimelineOut {
                record_id: r.id.0,
                at: r.at.to_string(),
                kind: r.kind.clone(),
                actor: r.actor_name.clone(),
                reason: r.reason.clone(),
            })
            .collect(),
    }
}

#[utoipa::path(get, path = "/api/v1/cases/{id}", params(("id" = i64, Path)), responses((status = 200, body = CaseOut), (status = 403, description = "another agency's: retrieve it first (POST …/retrieval)", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_case(State(s): State<AppState>, user: ApiUser, Path(id): Path<CaseId>) -> ApiResult<Json<CaseOut>> {
    let view = s.service.case_view(&user.actor(), id).await?;
    Ok(Json(case_out(&s, &view)))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/retrieval", params(("id" = i64, Path)), request_body = RetrievalRequest, responses((status = 204, description = "recorded; the case, its documents, evidence and responsibility are open to the caller for 4 hours"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn retrieve_case(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<CaseId>,
    Json(req): Json<RetrievalRequest>,
) -> ApiResult<StatusCode> {
    s.service.retrieve(&user.actor(), zhifa_service::Retrieval::Case(id), &req.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A step of a case: the action, the version read, and what the action needs.
#[derive(Deserialize, ToSchema)]
pub struct StepRequest {
    pub action: String,
    pub version: i64,
    #[serde(flatten)]
    pub fields: StepForm,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/steps", params(("id" = i64, Path)), request_body = StepRequest, responses((status = 200, body = CaseSummary), (status = 422, description = "refused: each rule and its article", body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn take_step(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<CaseId>,
    Json(req): Json<StepRequest>,
) -> ApiResult<Json<CaseSummary>> {
    let case = s.service.take_step(&user.actor(), id, req.version, &req.action, &req.fields).await?;
    Ok(Json(summary(&s, &case)))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/documents/{kind}", params(("id" = i64, Path), ("kind" = String, Path)), responses((status = 200, content_type = "text/html", description = "the document"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn document(
    State(s): State<AppState>,
    user: ApiUser,
    Path((id, kind)): Path<(i64, String)>,
) -> ApiResult<impl IntoResponse> {
    let html = s.service.case_document(&user.actor(), CaseId(id), &kind).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, crate::headers::DOCUMENT_CSP),
        ],
        html,
    ))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/archive.zip", params(("id" = i64, Path)), responses((status = 200, content_type = "application/zip", description = "the archive package, verifiable offline with `zhifa verify-package`"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn archive(State(s): State<AppState>, user: ApiUser, Path(id): Path<i64>) -> ApiResult<impl IntoResponse> {
    let bytes = s.service.archive_package(&user.actor(), CaseId(id)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"case-{id}.zip\"")),
        ],
        bytes,
    ))
}

#[utoipa::path(get, path = "/api/v1/parties/{key}/cases", params(("key" = String, Path, description = "ID card number or USCC")), responses((status = 200, body = Vec<CaseSummary>)))]
pub async fn party_cases(
    State(s): State<AppState>,
    user: ApiUser,
    Path(key): Path<String>,
) -> ApiResult<Json<Vec<CaseSummary>>> {
    let rows = s.service.party_cases(&user.actor(), &key).await?;
    Ok(Json(rows.iter().map(|c| summary(&s, c)).collect()))
}
