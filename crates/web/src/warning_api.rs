//! The JSON API of early warnings (预警, SUP-1) and their handling (routes
//! in `lib.rs`).

use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::extract::{Path, Query};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zhifa_domain::ids::{AgencyId, WarningId};
use zhifa_domain::warning::RuleBook;
use zhifa_service::WarningRow;
use zhifa_service::warnings::{HandlingForm, WarningQuery};

type ApiResult<T> = Result<T, AppError>;

/// What a warning is about.
#[derive(Serialize, ToSchema)]
pub struct SubjectOut {
    /// `case`, `publication`, `complaint`, `certificate` or `agency`.
    pub kind: String,
    pub id: i64,
    /// How people call it: a case's number, a certificate's number …
    pub label: String,
}

/// A step of a warning's handling.
#[derive(Serialize, ToSchema)]
pub struct HandlingOut {
    /// `send`, `answer`, `accept` or `return`.
    pub action: String,
    pub by: i64,
    pub by_name: String,
    pub on: String,
    pub text: String,
    pub due_on: Option<String>,
    /// Evidence files (ids) the answer points to.
    pub attachments: Vec<i64>,
}

/// An early warning.
#[derive(Serialize, ToSchema)]
pub struct WarningOut {
    pub id: i64,
    /// The rule's id, e.g. `case_past_time_limit`.
    pub rule: String,
    /// `yellow` (near a limit) or `red` (past it, or unlawful).
    pub severity: String,
    /// The agency it is addressed to.
    pub agency: i64,
    pub subject: SubjectOut,
    /// What was found, in Chinese.
    pub text: String,
    /// Where the rule comes from.
    pub source: String,
    pub limit_on: Option<String>,
    pub opened_at: String,
    pub opened_on: String,
    pub escalated_on: Option<String>,
    /// When its cause went away.
    pub cause_gone_on: Option<String>,
    /// `open`, `sent`, `answered`, `returned`, `accepted` or `resolved`.
    pub status: String,
    pub status_label: String,
    /// By when the agency must answer.
    pub answer_due: Option<String>,
    pub answer_overdue: bool,
    /// Send it back with a handling step.
    pub version: i64,
    pub handling: Vec<HandlingOut>,
}

impl SubjectOut {
    pub fn of(s: &zhifa_domain::warning::Subject) -> Self {
        Self { kind: s.kind.code().into(), id: s.id, label: s.label.clone() }
    }
}

impl HandlingOut {
    pub fn of(h: &zhifa_domain::warning::handling::HandlingStep) -> Self {
        Self {
            action: h.action.code().into(),
            by: h.by.0,
            by_name: h.by_name.clone(),
            on: h.on.to_string(),
            text: h.text.clone(),
            due_on: text(h.due_on),
            attachments: h.attachments.iter().map(|a| a.0).collect(),
        }
    }
}

fn text<T: ToString>(v: Option<T>) -> Option<String> {
    v.map(|d| d.to_string())
}

impl WarningOut {
    pub fn of(w: &WarningRow, rules: &RuleBook, today: jiff::civil::Date) -> Self {
        let d = &w.data;
        Self {
            id: w.id.0,
            rule: d.rule.clone(),
            severity: d.severity.code().into(),
            agency: w.agency_id.0,
            subject: SubjectOut {
                kind: d.subject.kind.code().into(),
                id: d.subject.id,
                label: d.subject.label.clone(),
            },
            text: d.text.clone(),
            source: rules.get(&d.rule).map(|r| r.source.clone()).unwrap_or_default(),
            limit_on: text(d.limit_on),
            opened_at: w.created_at.to_string(),
            opened_on: d.opened_on.to_string(),
            escalated_on: text(d.escalated_on),
            cause_gone_on: text(d.cause_gone_on),
            status: d.handled.status.code().into(),
            status_label: d.handled.status.label().into(),
            answer_due: text(d.handled.answer_due),
            answer_overdue: d.handled.answer_overdue(today),
            version: w.version,
            handling: d.handled.handling.iter().map(HandlingOut::of).collect(),
        }
    }
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct WarningsQuery {
    /// A region code: the warnings of its subtree (within the reader's).
    pub region: Option<String>,
    pub agency: Option<i64>,
    pub rule: Option<String>,
    /// `yellow` or `red`.
    pub severity: Option<String>,
    /// A status, or `open` for those not ended.
    pub status: Option<String>,
    /// At most 1,000 (default 100).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl WarningsQuery {
    pub fn query(&self) -> WarningQuery {
        let blank = |s: &Option<String>| s.clone().filter(|v| !v.trim().is_empty());
        WarningQuery {
            region: blank(&self.region),
            agency: self.agency.map(AgencyId),
            rule: blank(&self.rule),
            severity: blank(&self.severity),
            status: blank(&self.status),
            limit: self.limit.unwrap_or(100),
            offset: self.offset.unwrap_or(0),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/warnings", params(WarningsQuery), responses((status = 200, body = Vec<WarningOut>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    user: ApiUser,
    Query(q): Query<WarningsQuery>,
) -> ApiResult<Json<Vec<WarningOut>>> {
    let rows = s.service.warnings(&user.actor(), &q.query()).await?;
    let today = s.service.today();
    Ok(Json(rows.iter().map(|w| WarningOut::of(w, s.service.warning_rules(), today)).collect()))
}

#[utoipa::path(get, path = "/api/v1/warnings/{id}", params(("id" = i64, Path)), responses((status = 200, body = WarningOut), (status = 404, body = ErrorBody)))]
pub async fn get(State(s): State<AppState>, user: ApiUser, Path(id): Path<WarningId>) -> ApiResult<Json<WarningOut>> {
    let w = s.service.warning(&user.actor(), id).await?;
    Ok(Json(WarningOut::of(&w, s.service.warning_rules(), s.service.today())))
}

/// A handling step: `send` (a supervisor's request, with its time to
/// answer), `answer` (the agency's head), `accept` or `return` (the supervisor).
#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct HandlingBody {
    /// The warning's version, as read.
    pub version: i64,
    /// The request, the answer, or why it is accepted or returned.
    pub text: String,
    /// `send` only: working days to answer (1 to 60).
    pub due_working_days: Option<u16>,
    /// `answer` only: evidence files of the agency.
    pub attachments: Vec<i64>,
}

#[utoipa::path(post, path = "/api/v1/warnings/{id}/{action}", params(("id" = i64, Path), ("action" = String, Path, description = "send, answer, accept or return")), request_body = HandlingBody,
    responses((status = 200, body = WarningOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn handle(
    State(s): State<AppState>,
    user: ApiUser,
    Path((id, action)): Path<(WarningId, String)>,
    Json(body): Json<HandlingBody>,
) -> ApiResult<Json<WarningOut>> {
    let form = HandlingForm {
        version: body.version,
        text: body.text,
        due_working_days: body.due_working_days,
        attachments: body.attachments,
    };
    let w = s.service.handle_warning(&user.actor(), id, &action, &form).await?;
    Ok(Json(WarningOut::of(&w, s.service.warning_rules(), s.service.today())))
}
