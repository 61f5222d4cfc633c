//! Publicity in the console: what is due and overdue, the redacted preview
//! against the original, publishing, correcting and withdrawing.

use crate::AppState;
use crate::auth::{ConsoleForm, ConsoleUser, CurrentUser};
use crate::error::{AppError, PageError};
use crate::extract::{Path, Query};
use crate::page::{render, with_status};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zhifa_domain::ids::ComplaintId;
use zhifa_domain::ids::{AgencyId, CaseId, PublicationId};
use zhifa_domain::publication::{PublishedDecision, Standing};
use zhifa_service::publicity::OnTime;
use zhifa_service::{Principal, PublicationRow};

type PageResult = Result<Response, PageError>;

#[derive(Deserialize, Default)]
pub struct AgencyQuery {
    agency: Option<i64>,
}

struct DueRow {
    case_id: i64,
    number: String,
    title: String,
    category: &'static str,
    decided_on: String,
    due: String,
    trace: String,
    overdue: bool,
}

struct PublishedRow {
    id: i64,
    number: String,
    category: &'static str,
    published_on: String,
    due: String,
    on_time: bool,
    standing: String,
    version: i64,
}

#[derive(Template)]
#[template(path = "publications.html")]
struct DeskPage {
    me: Principal,
    csrf: String,
    agency: String,
    due: Vec<DueRow>,
    published: Vec<PublishedRow>,
    on_time: OnTime,
    rate: String,
    agency_id: i64,
    /// Last year's annual report: its year, due date and when it was published.
    report_year: i16,
    report_due: String,
    report_overdue: bool,
    report_published: Option<String>,
}

fn standing_label(p: &PublicationRow, today: jiff::civil::Date) -> String {
    match (p.data.standing(today), p.data.withdrawal_pending()) {
        (Standing::Withdrawn, _) if p.data.withdrawn_late() => "已撤下（逾期撤下）".into(),
        (Standing::Withdrawn, _) => "已撤下".into(),
        (_, Some(due)) if today > due => format!("决定已被撤销，应于 {due} 前撤下，已超期"),
        (_, Some(due)) => format!("决定已被撤销，应于 {due} 前撤下"),
        (Standing::Shown, None) => "公示中".into(),
        (Standing::Expired, None) => "已到期".into(),
    }
}

/// `?agency=` for administrators; everyone else their own agency.
fn agency_of(user: &CurrentUser, q: &AgencyQuery) -> AgencyId {
    q.agency.map_or(user.principal.agency_id, AgencyId)
}

pub async fn desk(
    State(s): State<AppState>,
    ConsoleUser(user): ConsoleUser,
    Query(q): Query<AgencyQuery>,
) -> PageResult {
    let actor = user.actor();
    let agency = agency_of(&user, &q);
    let name = s.service.agency(&actor, agency).await?.data.name;
    let today = s.service.today();
    let due = s
        .service
        .publication_queue(&actor, agency)
        .await?
        .into_iter()
        .map(|l| DueRow {
            case_id: l.case.id.0,
            number: l.case.number.clone(),
            title: l.case.data.matter.title.clone(),
            category: l.case.data.category.label(),
            decided_on: l.decided_on.to_string(),
            due: format!("{}{}", l.due.due, if l.due.provisional { "（暂估）" } else { "" }),
            trace: l.due.trace.join("；"),
            overdue: l.overdue,
        })
        .collect();
    let published = s
        .service
        .agency_publications(&actor, agency)
        .await?
        .iter()
        .map(|p| PublishedRow {
            id: p.id.0,
            number: p.data.document_number.clone(),
            category: p.data.category.label(),
            published_on: p.data.published_on.to_string(),
            due: p.data.due_on.to_string(),
            on_time: p.data.on_time(),
            standing: standing_label(p, today),
            version: p.version,
        })
        .collect();
    let on_time = s.service.on_time(agency).await?;
    let rate = on_time.rate().map_or_else(|| "—".to_owned(), |r| format!("{r:.1}%"));
    let report_year = today.year() - 1;
    let report_due = zhifa_domain::report::pub_6_due(report_year);
    let report_published = match s.service.published_annual_report(agency, report_year).await {
        Ok(r) => Some(crate::console::beijing(r.updated_at).date().to_string()),
        Err(zhifa_service::ServiceError::NotFound) => None,
        Err(e) => return Err(AppError::from(e).into()),
    };
    Ok(render(&DeskPage {
        agency_id: agency.0,
        report_year,
        report_due: report_due.to_string(),
        report_overdue: report_published.is_none() && today > report_due,
        report_published,
        me: user.principal.clone(),
        csrf: user.csrf().to_owned(),
        agency: name,
        due,
        published,
        on_time,
        rate,
    }))
}

/// One field of the decision: the original and what the public will read.
struct Compared {
    label: &'static str,
    original: String,
    published: String,
}

struct HitRow {
    kind: String,
    original: String,
    replacement: String,
}

#[derive(Template)]
#[template(path = "publication_preview.html")]
struct PreviewPage {
    me: Principal,
    csrf: String,
    case_id: i64,
    number: String,
    due: String,
    trace: String,
    fields: Vec<Compared>,
    hits: Vec<HitRow>,
    error: Option<String>,
}

async fn preview_page(
    s: &AppState,
    user: &CurrentUser,
    case: CaseId,
    error: Option<String>,
) -> Result<Response, AppError> {
    let p = s.service.publication_preview(&user.actor(), case).await?;
    let data = &p.case.data;
    let mut fields = vec![
        Compared {
            label: "当事人",
            original: data.matter.party.name().to_owned(),
            published: p.decision.party.clone(),
        },
        Compared { label: "案由", original: data.matter.title.clone(), published: p.decision.title.clone() },
        Compared {
            label: "处理结果", original: p.info.conclusion.clone(), published: p.decision.conclusion.clone()
        },
        Compared {
            label: "法律依据",
            original: data.matter.legal_basis.clone(),
            published: p.decision.legal_basis.clone(),
        },
    ];
    if let Some(text) = &p.decision.full_text {
        fields.push(Compared {
            label: "决定全文（违法事实）",
            original: data.matter.facts.clone(),
            published: text.clone(),
        });
    }
    let hits = p
        .info
        .redactions
        .iter()
        .map(|h| HitRow {
            kind: h.kind.label().to_owned(),
            original: h.original.clone(),
            replacement: h.replacement.clone(),
        })
        .collect();
    Ok(render(&PreviewPage {
        me: user.principal.clone(),
        csrf: user.csrf().to_owned(),
        case_id: case.0,
        number: p.case.number.clone(),
        due: format!("{}{}", p.due.due, if p.due.provisional { "（暂估）" } else { "" }),
        trace: p.due.trace.join("；"),
        fields,
        hits,
        error,
    }))
}

pub async fn preview(
    State(s): State<AppState>,
    ConsoleUser(user): ConsoleUser,
    Path(case): Path<CaseId>,
) -> PageResult {
    Ok(preview_page(&s, &user, case, None).await?)
}

pub async fn publish(
    State(s): State<AppState>,
    Path(case): Path<CaseId>,
    ConsoleForm { user, form: crate::console::CsrfOnly {} }: ConsoleForm<crate::console::CsrfOnly>,
) -> PageResult {
    match s.service.publish(&user.actor(), case).await {
        Ok(id) => Ok(Redirect::to(&format!("/console/publications/{id}")).into_response()),
        Err(e) => {
            let e = AppError::from(e);
            Ok(with_status(preview_page(&s, &user, case, Some(e.message)).await?, e.status))
        }
    }
}

#[derive(Template)]
#[template(path = "publication.html")]
struct ManagePage {
    me: Principal,
    csrf: String,
    p: PublicationRow,
    standing: String,
    decision: Option<PublishedDecision>,
    full_text: String,
    error: Option<String>,
    notice: Option<String>,
}

async fn manage_page(
    s: &AppState,
    user: &CurrentUser,
    id: PublicationId,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let actor = user.actor();
    let p = s.service.managed_publication(&actor, id).await?;
    let standing = standing_label(&p, s.service.today());
    let decision = p.data.decision.clone();
    let full_text = decision.as_ref().and_then(|d| d.full_text.clone()).unwrap_or_default();
    Ok(render(&ManagePage {
        me: user.principal.clone(),
        csrf: user.csrf().to_owned(),
        p,
        standing,
        decision,
        full_text,
        error,
        notice,
    }))
}

pub async fn manage(
    State(s): State<AppState>,
    ConsoleUser(user): ConsoleUser,
    Path(id): Path<PublicationId>,
) -> PageResult {
    Ok(manage_page(&s, &user, id, None, None).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ChangeForm {
    /// `correct` or `withdraw`.
    op: String,
    version: i64,
    reason: String,
    /// `withdraw`: the day the decision was revoked (YYYY-MM-DD).
    revoked_on: String,
    /// `withdraw`: the box "confirm" ticked.
    confirmed: Option<String>,
    party: String,
    title: String,
    conclusion: String,
    legal_basis: String,
    full_text: String,
}

pub async fn change(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    ConsoleForm { user, form }: ConsoleForm<ChangeForm>,
) -> PageResult {
    let actor = user.actor();
    let id = PublicationId(id);
    let done = match form.op.as_str() {
        "withdraw" => {
            let revoked_on = match form.revoked_on.trim() {
                "" => None,
                d => Some(d.parse().map_err(|_| AppError::bad_request("决定被撤销的日期：应为 YYYY-MM-DD"))?),
            };
            if form.confirmed.is_none() {
                Err(zhifa_domain::Invalid::new("确认", "撤下后公众将无法查看该决定，请勾选确认后再提交").into())
            } else {
                s.service
                    .withdraw_publication(&actor, id, form.version, &form.reason, revoked_on)
                    .await
                    .map(|()| "已撤下")
            }
        }
        "correct" => {
            let current = s.service.managed_publication(&actor, id).await?;
            let typed = PublishedDecision {
                party: form.party,
                party_uscc: current.data.decision.as_ref().and_then(|d| d.party_uscc.clone()),
                title: form.title,
                conclusion: form.conclusion,
                legal_basis: form.legal_basis,
                full_text: current.data.decision.as_ref().and_then(|d| d.full_text.as_ref()).map(|_| form.full_text),
            };
            s.service.correct_publication(&actor, id, form.version, &typed, &form.reason).await.map(|()| "已更正")
        }
        _ => return Err(AppError::bad_request("未知的操作").into()),
    };
    match done {
        Ok(notice) => Ok(manage_page(&s, &user, id, None, Some(notice.to_owned())).await?),
        Err(e) => {
            let e = AppError::from(e);
            Ok(with_status(manage_page(&s, &user, id, Some(e.message), None).await?, e.status))
        }
    }
}

#[derive(Template)]
#[template(path = "complaints.html")]
struct ComplaintsPage {
    me: Principal,
    csrf: String,
    agency: String,
    rows: Vec<zhifa_service::ComplaintRow>,
    total: usize,
    answered: usize,
    error: Option<String>,
    notice: Option<String>,
}

async fn complaints_page(
    s: &AppState,
    user: &CurrentUser,
    agency: AgencyId,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let actor = user.actor();
    let name = s.service.agency(&actor, agency).await?.data.name;
    let rows = s.service.complaints(&actor, agency).await?;
    let answered = rows.iter().filter(|c| c.data.answer.is_some()).count();
    Ok(render(&ComplaintsPage {
        me: user.principal.clone(),
        csrf: user.csrf().to_owned(),
        agency: name,
        total: rows.len(),
        answered,
        rows,
        error,
        notice,
    }))
}

pub async fn complaints(
    State(s): State<AppState>,
    ConsoleUser(user): ConsoleUser,
    Query(q): Query<AgencyQuery>,
) -> PageResult {
    let agency = agency_of(&user, &q);
    Ok(complaints_page(&s, &user, agency, None, None).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AnswerForm {
    version: i64,
    text: String,
}

pub async fn answer(
    State(s): State<AppState>,
    Path(id): Path<ComplaintId>,
    ConsoleForm { user, form }: ConsoleForm<AnswerForm>,
) -> PageResult {
    let agency = user.principal.agency_id;
    let done = s.service.answer_complaint(&user.actor(), id, form.version, &form.text).await;
    match done {
        Ok(()) => Ok(complaints_page(&s, &user, agency, None, Some("已答复".into())).await?),
        Err(e) => {
            let e = AppError::from(e);
            Ok(with_status(complaints_page(&s, &user, agency, Some(e.message), None).await?, e.status))
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReportForm {
    agency: i64,
    year: i16,
}

/// Count and publish the agency's annual report of a year.
pub async fn publish_report(
    State(s): State<AppState>,
    ConsoleForm { user, form }: ConsoleForm<ReportForm>,
) -> PageResult {
    s.service.publish_annual_report(&user.actor(), AgencyId(form.agency), form.year).await?;
    Ok(Redirect::to(&format!("/reports/{}/agencies/{}", form.year, form.agency)).into_response())
}
