//! Early warnings in the console (SUP-1): the list a supervisor or an
//! agency works from, and a warning's page with its handling.

use crate::AppState;
use crate::auth::{ConsoleForm, ConsoleUser, CurrentUser};
use crate::error::{AppError, PageError};
use crate::extract::{Path, Query};
use crate::page::{render, with_status};
use crate::warning_api::{WarningOut, WarningsQuery};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use zhifa_domain::ids::WarningId;
use zhifa_domain::people::Role;
use zhifa_domain::warning::{Severity, WarningStatus};
use zhifa_service::Principal;
use zhifa_service::warnings::HandlingForm;

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "warnings.html")]
struct ListPage {
    me: Principal,
    csrf: String,
    warnings: Vec<WarningOut>,
    /// The agencies' names, by id.
    agencies: std::collections::HashMap<i64, String>,
    q: WarningsQuery,
    statuses: &'static [(&'static str, &'static str)],
    severities: &'static [(&'static str, &'static str)],
}

/// The warnings of the reader's scope, open ones by default.
pub async fn list(
    State(s): State<AppState>,
    ConsoleUser(user): ConsoleUser,
    Query(mut q): Query<WarningsQuery>,
) -> PageResult {
    if q.status.is_none() {
        q.status = Some("open".into());
    }
    let rows = s.service.warnings(&user.actor(), &q.query()).await?;
    let today = s.service.today();
    let warnings = rows.iter().map(|w| WarningOut::of(w, s.service.warning_rules(), today)).collect();
    let agencies = s.service.agencies(&user.actor()).await?.into_iter().map(|a| (a.id.0, a.data.name)).collect();
    Ok(render(&ListPage {
        me: user.principal.clone(),
        csrf: user.csrf().to_owned(),
        warnings,
        agencies,
        q,
        statuses: WarningStatus::CHOICES,
        severities: Severity::CHOICES,
    }))
}

#[derive(Template)]
#[template(path = "warning.html")]
struct WarningPage {
    me: Principal,
    csrf: String,
    w: WarningOut,
    agency: String,
    /// The steps the reader may take now: `(action, label)`.
    actions: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    notice: Option<String>,
}

/// What `me` may do now with a warning or report of `agency` standing at
/// `status` (the service decides again).
pub(crate) fn actions_for(me: &Principal, agency: i64, status: &str) -> Vec<(&'static str, &'static str)> {
    let supervisor = me.role == Role::Supervisor;
    let head = me.role == Role::Head && me.agency_id.0 == agency;
    match status {
        "open" if supervisor => vec![("send", "督办")],
        "sent" | "returned" if head => vec![("answer", "反馈")],
        "answered" if supervisor => vec![("accept", "审核通过"), ("return", "退回")],
        _ => Vec::new(),
    }
}

async fn page(
    s: &AppState,
    user: &CurrentUser,
    id: WarningId,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let actor = user.actor();
    let row = s.service.warning(&actor, id).await?;
    let agency = s.service.agency(&actor, row.agency_id).await?.data.name;
    let w = WarningOut::of(&row, s.service.warning_rules(), s.service.today());
    let actions = actions_for(&user.principal, w.agency, &w.status);
    let (me, csrf) = (user.principal.clone(), user.csrf().to_owned());
    Ok(render(&WarningPage { me, csrf, w, agency, actions, error, notice }))
}

pub async fn show(State(s): State<AppState>, ConsoleUser(user): ConsoleUser, Path(id): Path<WarningId>) -> PageResult {
    Ok(page(&s, &user, id, None, None).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HandleForm {
    action: String,
    version: i64,
    text: String,
    due_working_days: String,
}

/// A handling step from the warning's page.
pub async fn handle(
    State(s): State<AppState>,
    Path(id): Path<WarningId>,
    ConsoleForm { user, form }: ConsoleForm<HandleForm>,
) -> PageResult {
    let due_working_days = match due_days(&form.due_working_days) {
        Ok(d) => d,
        Err(e) => return Ok(with_status(page(&s, &user, id, Some(e.message), None).await?, e.status)),
    };
    let handling = HandlingForm { version: form.version, text: form.text, due_working_days, attachments: Vec::new() };
    match s.service.handle_warning(&user.actor(), id, &form.action, &handling).await {
        Ok(w) => Ok(page(&s, &user, id, None, Some(format!("已{}", w.data.handled.status.label()))).await?),
        Err(e) => {
            let e = AppError::from(e);
            Ok(with_status(page(&s, &user, id, Some(e.message), None).await?, e.status))
        }
    }
}

/// The time to answer typed on a form, in working days (empty: none).
pub(crate) fn due_days(typed: &str) -> Result<Option<u16>, AppError> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    typed.parse::<u16>().map(Some).map_err(|_| AppError::bad_request("反馈期限应为工作日天数"))
}
