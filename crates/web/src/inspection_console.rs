//! The quarterly online inspections in the console (SUP-2): the reports of
//! the reader's scope, running a quarter's inspection, and a report with its
//! findings and handling.

use crate::AppState;
use crate::auth::{ConsoleForm, ConsoleUser, CurrentUser};
use crate::error::{AppError, PageError};
use crate::extract::{Path, Query};
use crate::inspection_api::InspectionOut;
use crate::page::{render, with_status};
use crate::warning_console::{actions_for, due_days};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use zhifa_domain::ids::InspectionId;
use zhifa_domain::people::Role;
use zhifa_domain::warning::inspection::Quarter;
use zhifa_service::Principal;
use zhifa_service::warnings::HandlingForm;

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "inspections.html")]
struct ListPage {
    me: Principal,
    csrf: String,
    quarter: String,
    /// The quarter before today's: the one to inspect.
    previous: String,
    reports: Vec<InspectionOut>,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QuarterForm {
    quarter: String,
}

async fn list_page(
    s: &AppState,
    user: &CurrentUser,
    quarter: &str,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let q = Some(quarter.trim()).filter(|q| !q.is_empty()).map(Quarter::parse).transpose();
    let q = q.map_err(|e| AppError::bad_request(e.to_string()))?;
    let today = s.service.today();
    let rows = s.service.inspections(&user.actor(), q, None).await?;
    Ok(render(&ListPage {
        me: user.principal.clone(),
        csrf: user.csrf().to_owned(),
        quarter: quarter.to_owned(),
        previous: Quarter::of(today).previous().to_string(),
        reports: rows.iter().map(|r| InspectionOut::of(r, today)).collect(),
        error,
        notice,
    }))
}

pub async fn list(
    State(s): State<AppState>,
    ConsoleUser(user): ConsoleUser,
    Query(q): Query<QuarterForm>,
) -> PageResult {
    Ok(list_page(&s, &user, &q.quarter, None, None).await?)
}

/// A supervisor runs a quarter's inspection of their region.
pub async fn run(State(s): State<AppState>, ConsoleForm { user, form }: ConsoleForm<QuarterForm>) -> PageResult {
    let done = match Quarter::parse(&form.quarter) {
        Ok(q) => s.service.run_inspections(&user.actor(), q, None).await.map_err(AppError::from),
        Err(e) => Err(AppError::bad_request(e.to_string())),
    };
    match done {
        Ok(done) => {
            let notice = format!("已巡查 {} 个执法主体", done.len());
            Ok(list_page(&s, &user, &form.quarter, None, Some(notice)).await?)
        }
        Err(e) => Ok(with_status(list_page(&s, &user, "", Some(e.message), None).await?, e.status)),
    }
}

#[derive(Template)]
#[template(path = "inspection.html")]
struct ReportPage {
    me: Principal,
    csrf: String,
    r: InspectionOut,
    quarter_label: String,
    may_add: bool,
    actions: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    notice: Option<String>,
}

async fn page(
    s: &AppState,
    user: &CurrentUser,
    id: InspectionId,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let row = s.service.inspection(&user.actor(), id).await?;
    let r = InspectionOut::of(&row, s.service.today());
    let quarter_label = Quarter::parse(&r.quarter).map(Quarter::label).unwrap_or_else(|_| r.quarter.clone());
    let me = user.principal.clone();
    let may_add = me.role == Role::Supervisor && r.status == "open";
    let actions = actions_for(&me, r.agency, &r.status);
    let csrf = user.csrf().to_owned();
    Ok(render(&ReportPage { me, csrf, r, quarter_label, may_add, actions, error, notice }))
}

pub async fn show(
    State(s): State<AppState>,
    ConsoleUser(user): ConsoleUser,
    Path(id): Path<InspectionId>,
) -> PageResult {
    Ok(page(&s, &user, id, None, None).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReportForm {
    action: String,
    version: i64,
    text: String,
    due_working_days: String,
}

/// A finding added by hand, or a handling step, from the report's page.
pub async fn post(
    State(s): State<AppState>,
    Path(id): Path<InspectionId>,
    ConsoleForm { user, form }: ConsoleForm<ReportForm>,
) -> PageResult {
    let actor = user.actor();
    let done = if form.action == "finding" {
        s.service.add_inspection_finding(&actor, id, form.version, &form.text).await.map_err(AppError::from)
    } else {
        match due_days(&form.due_working_days) {
            Ok(due_working_days) => {
                let handling =
                    HandlingForm { version: form.version, text: form.text, due_working_days, attachments: Vec::new() };
                s.service.handle_inspection(&actor, id, &form.action, &handling).await.map_err(AppError::from)
            }
            Err(e) => Err(e),
        }
    };
    match done {
        Ok(r) => Ok(page(&s, &user, id, None, Some(format!("已保存（{}）", r.data.handled.status.label()))).await?),
        Err(e) => Ok(with_status(page(&s, &user, id, Some(e.message), None).await?, e.status)),
    }
}
