//! The complaint form, its receipt and the status of a complaint (SUP-6).

use super::*;
use crate::AppState;
use crate::error::AppError;
use crate::extract::Query;
use crate::page::render;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use zhifa_domain::ids::AgencyId;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ComplaintTyped {
    pub agency: Option<i64>,
    pub name: String,
    pub contact: String,
    pub subject: String,
    pub content: String,
    /// The signed question and its answer.
    pub token: String,
    pub answer: String,
    /// Hidden from people; robots fill it.
    pub website: String,
}

#[derive(Template)]
#[template(path = "portal_complaint.html")]
struct ComplaintPage {
    typed: ComplaintTyped,
    agencies: Vec<(i64, String)>,
    question: String,
    token: String,
    error: Option<String>,
}

async fn complaint_page(s: &AppState, typed: ComplaintTyped, error: Option<String>) -> Result<Response, AppError> {
    let challenge = s.service.complaint_challenge()?;
    let agencies = s.service.public_agencies().await?.into_iter().map(|a| (a.id.0, a.data.name)).collect();
    Ok(render(&ComplaintPage { typed, agencies, question: challenge.question, token: challenge.token, error }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ComplaintStart {
    pub agency: Option<i64>,
}

pub async fn complaint_form(State(s): State<AppState>, Query(q): Query<ComplaintStart>) -> PageResult {
    Ok(complaint_page(&s, ComplaintTyped { agency: q.agency, ..Default::default() }, None).await?)
}

#[derive(Template)]
#[template(path = "portal_complaint_sent.html")]
struct SentPage {
    tracking: String,
}

pub async fn complaint_submit(
    State(s): State<AppState>,
    crate::extract::ClientAddr(client): crate::extract::ClientAddr,
    axum::Form(typed): axum::Form<ComplaintTyped>,
) -> PageResult {
    let form = zhifa_domain::complaint::ComplaintForm {
        name: typed.name.clone(),
        contact: typed.contact.clone(),
        subject: typed.subject.clone(),
        content: typed.content.clone(),
    };
    let agency = AgencyId(typed.agency.unwrap_or_default());
    match s.service.submit_complaint(agency, &form, &typed.token, &typed.answer, &typed.website, &client).await {
        Ok(tracking) => Ok(render(&SentPage { tracking })),
        Err(e) => {
            let e = AppError::from(e);
            let mut page =
                complaint_page(&s, ComplaintTyped { answer: String::new(), ..typed }, Some(e.message)).await?;
            *page.status_mut() = e.status;
            Ok(page)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatusQuery {
    pub number: String,
}

#[derive(Template)]
#[template(path = "portal_complaint_status.html")]
struct StatusPage {
    number: String,
    found: Option<zhifa_service::ComplaintRow>,
    agency: String,
    searched: bool,
}

pub async fn complaint_status(State(s): State<AppState>, Query(q): Query<StatusQuery>) -> PageResult {
    let searched = !q.number.trim().is_empty();
    let found = if searched {
        match s.service.complaint_status(&q.number).await {
            Ok(row) => Some(row),
            Err(zhifa_service::ServiceError::NotFound) => None,
            Err(e) => return Err(AppError::from(e).into()),
        }
    } else {
        None
    };
    let agency = match &found {
        Some(c) => s.service.public_agency(c.agency_id).await?.agency.data.name,
        None => String::new(),
    };
    Ok(render(&StatusPage { number: q.number, found, agency, searched }))
}
