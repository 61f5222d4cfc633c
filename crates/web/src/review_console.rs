//! Legal review in the console: the reviewers' queue, the agency's catalogue
//! (lines, settings, Excel in and out), who was responsible for a decision,
//! and the reviewers' share of each agency's staff.

use crate::AppState;
use crate::auth::{ConsoleUser, CurrentUser};
use crate::error::{AppError, PageError};
use crate::extract::{Path, Query};
use crate::page::render;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zhifa_domain::case::reviewed::Involvement;
use zhifa_domain::ids::{AgencyId, CaseId};
use zhifa_domain::review::{CatalogueEntryForm, CatalogueSettingsForm, Trigger};
use zhifa_service::Principal;
use zhifa_service::review::{CatalogueView, StaffingLine};

type PageResult = Result<Response, PageError>;

struct QueueRow {
    id: i64,
    number: String,
    title: String,
    party: String,
    round: u16,
    submitted: String,
    due: String,
    trace: String,
    overdue: bool,
    soon: bool,
    triggers: String,
    assigned: String,
    mine: bool,
}

#[derive(Template)]
#[template(path = "reviews.html")]
struct QueuePage {
    me: Principal,
    csrf: String,
    rows: Vec<QueueRow>,
}

pub async fn queue(State(s): State<AppState>, ConsoleUser(user): ConsoleUser) -> PageResult {
    let lines = s.service.review_queue(&user.actor()).await?;
    let rows = lines
        .into_iter()
        .map(|l| QueueRow {
            id: l.case.id.0,
            number: l.case.number.clone(),
            title: l.case.data.matter.title.clone(),
            party: l.case.data.matter.party.name().to_owned(),
            round: l.round.number,
            submitted: l.round.submitted_on.to_string(),
            due: format!("{}{}", l.due.due, if l.due.provisional { "（暂估）" } else { "" }),
            trace: l.due.trace.join("；"),
            overdue: l.due.overdue,
            soon: l.due.soon,
            triggers: l.triggers.iter().map(ToString::to_string).collect::<Vec<_>>().join("；"),
            assigned: l.assigned.unwrap_or_else(|| "未指派".into()),
            mine: l.mine,
        })
        .collect();
    Ok(render(&QueuePage { me: user.principal.clone(), csrf: user.csrf().to_owned(), rows }))
}

#[derive(Deserialize, Default)]
pub struct AgencyQuery {
    agency: Option<i64>,
}

struct EntryRow {
    index: usize,
    name: String,
    scope: String,
    condition: String,
    basis: String,
}

#[derive(Template)]
#[template(path = "review_catalogue.html")]
struct CataloguePage {
    me: Principal,
    csrf: String,
    agency_id: i64,
    agency: String,
    version: i64,
    review_all_general: bool,
    time_limit_days: u16,
    entries: Vec<EntryRow>,
    triggers: &'static [(&'static str, &'static str)],
    categories: &'static [(&'static str, &'static str)],
    domains: &'static [(&'static str, &'static str)],
    levels: &'static [(&'static str, &'static str)],
    form: CatalogueEntryForm,
    can_edit: bool,
    error: Option<String>,
    notice: Option<String>,
}

async fn catalogue_page(
    s: &AppState,
    user: &CurrentUser,
    agency: AgencyId,
    error: Option<String>,
    form: CatalogueEntryForm,
) -> Result<CataloguePage, AppError> {
    let actor = user.actor();
    let a = s.service.agency(&actor, agency).await?;
    let CatalogueView { version, catalogue, .. } = s.service.review_catalogue(&actor, agency).await?;
    let entries = catalogue
        .entries
        .iter()
        .enumerate()
        .map(|(index, e)| {
            let mut scope = vec![e.category.label().to_owned()];
            scope.extend(e.domain.map(|d| d.label().to_owned()));
            scope.extend(e.level.map(|l| l.label().to_owned()));
            if !e.item_code.is_empty() {
                scope.push(format!("事项 {}", e.item_code));
            }
            EntryRow {
                index,
                name: e.name.clone(),
                scope: scope.join(" · "),
                condition: e.condition(),
                basis: e.basis.clone(),
            }
        })
        .collect();
    let can_edit = zhifa_service::authz::can_edit_review_catalogue(
        &actor,
        zhifa_service::authz::Scope { agency: a.id, region: &a.data.region },
    );
    Ok(CataloguePage {
        me: user.principal.clone(),
        csrf: user.csrf().to_owned(),
        agency_id: a.id.0,
        agency: a.data.name.clone(),
        version,
        review_all_general: catalogue.review_all_general,
        time_limit_days: catalogue.time_limit_days,
        entries,
        triggers: Trigger::CHOICES,
        categories: zhifa_domain::people::Category::CHOICES,
        domains: zhifa_domain::agency::Domain::CHOICES,
        levels: zhifa_domain::registry::Level::CHOICES,
        form,
        can_edit,
        error,
        notice: None,
    })
}

fn agency_of(user: &CurrentUser, q: &AgencyQuery) -> AgencyId {
    q.agency.map_or(user.principal.agency_id, AgencyId)
}

pub async fn catalogue(
    State(s): State<AppState>,
    ConsoleUser(user): ConsoleUser,
    Query(q): Query<AgencyQuery>,
) -> PageResult {
    let agency = agency_of(&user, &q);
    let form = CatalogueEntryForm { category: "penalty".into(), ..Default::default() };
    Ok(render(&catalogue_page(&s, &user, agency, None, form).await?))
}

/// One form of the catalogue page: `op` is `add`, `remove`, `settings` or
/// `import` (multipart, with the workbook as `file`).
pub async fn catalogue_post(
    State(s): State<AppState>,
    Query(q): Query<AgencyQuery>,
    upload: crate::auth::ConsoleUpload,
) -> PageResult {
    let user = &upload.user;
    let agency = agency_of(user, &q);
    let get = |k: &str| upload.get(k);
    let file = &upload.file;
    let actor = user.actor();
    let version: i64 = get("version").parse().unwrap_or(0);
    let mut form = CatalogueEntryForm { category: "penalty".into(), ..Default::default() };
    // Each operation: Ok(Some(notice)) shows the page again with it, Ok(None) redirects.
    let result = match get("op").as_str() {
        "add" => {
            use zhifa_domain::registry::Form;
            for f in CatalogueEntryForm::FIELDS {
                form.set(f.name, get(f.name));
            }
            s.service.add_catalogue_entry(&actor, agency, version, &form).await.map(|()| None)
        }
        "remove" => {
            let index = get("index").parse().unwrap_or(usize::MAX);
            s.service.remove_catalogue_entry(&actor, agency, version, index).await.map(|()| None)
        }
        "settings" => {
            let settings = CatalogueSettingsForm {
                review_all_general: get("review_all_general"),
                time_limit_days: get("time_limit_days"),
            };
            s.service.set_catalogue_settings(&actor, agency, version, &settings).await.map(|()| None)
        }
        "import" => s
            .service
            .import_review_catalogue(&actor, agency, file)
            .await
            .map(|r| Some(format!("已导入 {} 项，原有事项已被替换", r.created))),
        _ => Err(zhifa_service::ServiceError::NotFound),
    };
    match result {
        Ok(None) => Ok(Redirect::to(&format!("/console/review-catalogue?agency={}", agency.0)).into_response()),
        Ok(Some(notice)) => {
            let mut page = catalogue_page(&s, user, agency, None, CatalogueEntryForm::default()).await?;
            page.notice = Some(notice);
            Ok(render(&page))
        }
        Err(e) => {
            let e = PageError::or_mendable(e)?;
            let page = catalogue_page(&s, user, agency, Some(e.message), form).await?;
            Ok((e.status, render(&page)).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "responsibility.html")]
struct ResponsibilityPage {
    me: Principal,
    csrf: String,
    id: i64,
    number: String,
    people: Vec<Involvement>,
}

pub async fn responsibility(
    State(s): State<AppState>,
    ConsoleUser(user): ConsoleUser,
    Path(id): Path<i64>,
) -> PageResult {
    let (number, people) = match s.service.responsibility(&user.actor(), CaseId(id)).await {
        Ok(found) => found,
        Err(zhifa_service::ServiceError::RetrievalRequired) => {
            return Ok(crate::case_console::reason_page(&user, id, None));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(render(&ResponsibilityPage { me: user.principal.clone(), csrf: user.csrf().to_owned(), id, number, people }))
}

#[derive(Template)]
#[template(path = "staffing.html")]
struct StaffingPage {
    me: Principal,
    csrf: String,
    lines: Vec<StaffingLine>,
    below: usize,
}

pub async fn staffing(State(s): State<AppState>, ConsoleUser(user): ConsoleUser) -> PageResult {
    let lines = s.service.staffing(&user.actor(), false).await?;
    let below = lines.iter().filter(|l| l.below_five_percent).count();
    Ok(render(&StaffingPage { me: user.principal.clone(), csrf: user.csrf().to_owned(), lines, below }))
}
