//! The staff console: server-rendered pages in Chinese. Every form carries
//! the session's CSRF token; every page is an auto-escaping template.

use crate::AppState;
use crate::auth::{self, ConsoleForm, ConsoleUser, CurrentUser, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::error::{AppError, PageError};
use crate::extract::{Path, Query};
use askama::Template;
use axum::Form as PostForm;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use zhifa_domain::ids::{AgencyId, DiscretionBenchmarkId, InspectionItemId, ItemId, ServiceGuideId};
use zhifa_domain::people::categories_label;
use zhifa_domain::registry::{
    DiscretionBenchmarkData, FieldKind, Form, InspectionItemData, ItemForm, ServiceGuideData,
};
use zhifa_service::{Agency, Principal};

type PageResult = Result<Response, PageError>;

/// What most pages take, at most (a page of 20 results: about 9 KB).
const PAGE_BYTES: usize = 16 * 1024;

pub fn render<T: Template>(page: &T) -> Response {
    // Room for a page of results at once: grown by doubling from askama's
    // estimate, a page was copied three or four times while written.
    let mut html = String::with_capacity(T::SIZE_HINT.max(PAGE_BYTES));
    match page.render_into(&mut html) {
        Ok(()) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template");
            (StatusCode::INTERNAL_SERVER_ERROR, "页面生成失败").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub status: u16,
    pub message: String,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    username: String,
    error: Option<String>,
}

fn random_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 24];
    // Without randomness the form cannot be protected; an empty token never matches.
    if getrandom::fill(&mut bytes).is_err() {
        return String::new();
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn login_page(s: &AppState, username: String, error: Option<String>, status: StatusCode) -> Response {
    let csrf = random_token();
    let cookie = auth::set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600, s.secure_cookies);
    (status, [(header::SET_COOKIE, cookie)], render(&LoginPage { csrf, username, error })).into_response()
}

pub async fn login_form(State(s): State<AppState>) -> Response {
    login_page(&s, String::new(), None, StatusCode::OK)
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub async fn login(
    State(s): State<AppState>,
    crate::extract::ClientAddr(client): crate::extract::ClientAddr,
    headers: HeaderMap,
    PostForm(form): PostForm<LoginForm>,
) -> Response {
    let expected = auth::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !auth::same_token(expected, &form.csrf_token) {
        let e = AppError::csrf();
        return login_page(&s, form.username, Some(e.message), e.status);
    }
    match s.service.sign_in(&form.username, &form.password, &client).await {
        Ok(signed) => {
            let max_age = zhifa_service::auth::SESSION_TTL.as_secs();
            let cookie = auth::set_cookie(SESSION_COOKIE, &signed.session_token, max_age, s.secure_cookies);
            ([(header::SET_COOKIE, cookie)], Redirect::to("/console")).into_response()
        }
        Err(e) => {
            let e = AppError::from(e);
            login_page(&s, form.username, Some(e.message), e.status)
        }
    }
}

/// A form of nothing but its token (checked by [`ConsoleForm`]).
#[derive(serde::Deserialize)]
pub struct CsrfOnly {}

pub async fn logout(
    State(s): State<AppState>,
    ConsoleForm { user, form: CsrfOnly {} }: ConsoleForm<CsrfOnly>,
) -> PageResult {
    if let auth::Via::Session { token, .. } = &user.via {
        s.service.sign_out(&user.principal, token).await?;
    }
    let cookie = auth::set_cookie(SESSION_COOKIE, "", 0, s.secure_cookies);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/console/login")).into_response())
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    me: Principal,
    csrf: String,
    agencies: Vec<Agency>,
}

pub async fn home(State(s): State<AppState>, ConsoleUser(user): ConsoleUser) -> PageResult {
    let agencies = s.service.agencies(&user.actor()).await?;
    Ok(render(&HomePage { me: user.principal.clone(), csrf: user.csrf().to_owned(), agencies }))
}

#[derive(Template)]
#[template(path = "agency.html")]
struct AgencyPage {
    me: Principal,
    csrf: String,
    agency: Agency,
    updated: String,
    counts: (usize, usize, usize, usize, usize),
}

/// Beijing time: UTC+8 without daylight saving since 1991, so it needs no
/// time-zone database on the server.
pub(crate) fn beijing(t: jiff::Timestamp) -> jiff::Zoned {
    t.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
}

pub(crate) fn local_time(t: jiff::Timestamp) -> String {
    beijing(t).strftime("%Y-%m-%d %H:%M").to_string()
}

pub async fn agency(State(s): State<AppState>, ConsoleUser(user): ConsoleUser, Path(id): Path<i64>) -> PageResult {
    let actor = user.actor();
    let id = AgencyId(id);
    let agency = s.service.agency(&actor, id).await?;
    let counts = (
        s.service.users(&actor, id).await?.len(),
        s.service.items(&actor, id).await?.len(),
        s.service.inspection_items(&actor, id).await?.len(),
        s.service.service_guides(&actor, id).await?.len(),
        s.service.discretion_benchmarks(&actor, id).await?.len(),
    );
    let updated = local_time(agency.updated_at);
    Ok(render(&AgencyPage { me: user.principal.clone(), csrf: user.csrf().to_owned(), agency, updated, counts }))
}

struct RowView {
    cells: Vec<String>,
    edit: Option<String>,
    history: Option<String>,
}

#[derive(Template)]
#[template(path = "table.html")]
struct TablePage {
    me: Principal,
    csrf: String,
    title: String,
    agency_id: i64,
    agency_name: String,
    headers: Vec<String>,
    rows: Vec<RowView>,
    new_link: Option<String>,
    export_link: Option<String>,
}

/// The lists that share generic pages.
#[derive(Debug, Clone, Copy)]
enum ListKind {
    Items,
    InspectionItems,
    ServiceGuides,
    DiscretionBenchmarks,
}

impl ListKind {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "items" => Some(Self::Items),
            "inspection-items" => Some(Self::InspectionItems),
            "service-guides" => Some(Self::ServiceGuides),
            "discretion-benchmarks" => Some(Self::DiscretionBenchmarks),
            _ => None,
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Self::Items => "items",
            Self::InspectionItems => "inspection-items",
            Self::ServiceGuides => "service-guides",
            Self::DiscretionBenchmarks => "discretion-benchmarks",
        }
    }

    fn entity(self) -> &'static str {
        match self {
            Self::Items => "item",
            Self::InspectionItems => "inspection_item",
            Self::ServiceGuides => "service_guide",
            Self::DiscretionBenchmarks => "discretion_benchmark",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Items => "执法事项清单",
            Self::InspectionItems => "随机抽查事项清单",
            Self::ServiceGuides => "服务指南",
            Self::DiscretionBenchmarks => "自由裁量基准",
        }
    }

    fn fields(self) -> &'static [zhifa_domain::registry::Field] {
        match self {
            Self::Items => ItemForm::FIELDS,
            Self::InspectionItems => InspectionItemData::FIELDS,
            Self::ServiceGuides => ServiceGuideData::FIELDS,
            Self::DiscretionBenchmarks => DiscretionBenchmarkData::FIELDS,
        }
    }
}

/// Show a choice by its label.
fn display(field: &zhifa_domain::registry::Field, value: &str) -> String {
    match field.kind {
        FieldKind::Choice(choices) => choices.iter().find(|(c, _)| *c == value).map_or(value, |(_, l)| l).to_owned(),
        _ => value.to_owned(),
    }
}

/// Up to `n` columns of a form, for a table row.
fn row_cells<F: Form>(form: &F, n: usize) -> Vec<String> {
    F::FIELDS.iter().take(n).map(|f| display(f, form.get(f.name))).collect()
}

const TABLE_COLUMNS: usize = 5;

pub async fn list(
    State(s): State<AppState>,
    ConsoleUser(user): ConsoleUser,
    Path((id, kind)): Path<(i64, String)>,
) -> PageResult {
    let actor = user.actor();
    let agency = s.service.agency(&actor, AgencyId(id)).await?;
    let me = user.principal.clone();
    let csrf = user.csrf().to_owned();
    if kind == "personnel" {
        let rows = s.service.personnel(&actor, agency.id).await?;
        let users = s.service.users(&actor, agency.id).await?;
        let headers =
            ["姓名", "职务", "角色", "执法证号", "执法类别", "执法区域", "有效期至"].map(String::from).to_vec();
        let rows = rows
            .into_iter()
            .map(|p| {
                let c = p.certificate.unwrap_or_default();
                let categories = zhifa_domain::people::parse_categories(&c.categories)
                    .map(|v| categories_label(&v))
                    .unwrap_or_default();
                let role = zhifa_domain::people::Role::parse(&p.user.role).map(|r| r.label()).unwrap_or_default();
                let uid = users.iter().find(|u| u.user.data.username.as_str() == p.user.username).map(|u| u.user.id.0);
                RowView {
                    cells: vec![p.user.name, p.user.post, role.to_owned(), c.number, categories, c.region, c.valid_to],
                    edit: None,
                    history: uid.map(|u| format!("/console/history/user/{u}")),
                }
            })
            .collect();
        return Ok(render(&TablePage {
            me,
            csrf,
            title: "执法人员名单".into(),
            agency_id: agency.id.0,
            agency_name: agency.data.name,
            headers,
            rows,
            new_link: None,
            export_link: Some(format!("/api/v1/agencies/{}/personnel.xlsx", agency.id)),
        }));
    }
    let kind = ListKind::parse(&kind).ok_or_else(AppError::not_found)?;
    let slug = kind.slug();
    let link = |eid: i64| {
        (Some(format!("/console/{slug}/{eid}/edit")), Some(format!("/console/history/{}/{eid}", kind.entity())))
    };
    macro_rules! rows {
        ($list:ident, $form:expr) => {
            s.service
                .$list(&actor, agency.id)
                .await?
                .iter()
                .map(|e| {
                    let (edit, history) = link(e.id.0);
                    RowView { cells: row_cells(&$form(&e.data), TABLE_COLUMNS), edit, history }
                })
                .collect()
        };
    }
    let rows: Vec<RowView> = match kind {
        ListKind::Items => rows!(items, ItemForm::from),
        ListKind::InspectionItems => rows!(inspection_items, Clone::clone),
        ListKind::ServiceGuides => rows!(service_guides, Clone::clone),
        ListKind::DiscretionBenchmarks => rows!(discretion_benchmarks, Clone::clone),
    };
    Ok(render(&TablePage {
        me,
        csrf,
        title: kind.title().into(),
        agency_id: agency.id.0,
        agency_name: agency.data.name,
        headers: kind.fields().iter().take(TABLE_COLUMNS).map(|f| f.label.to_owned()).collect(),
        rows,
        new_link: Some(format!("/console/agencies/{}/{slug}/new", agency.id)),
        export_link: matches!(kind, ListKind::Items).then(|| format!("/api/v1/agencies/{}/items.xlsx", agency.id)),
    }))
}

struct FieldView {
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    required: bool,
    value: String,
    options: Vec<(&'static str, &'static str, bool)>,
}

#[derive(Template)]
#[template(path = "form.html")]
struct FormPage {
    me: Principal,
    csrf: String,
    title: String,
    back: String,
    action: String,
    version: Option<i64>,
    error: Option<String>,
    fields: Vec<FieldView>,
}

fn field_views<F: Form>(form: &F) -> Vec<FieldView> {
    F::FIELDS
        .iter()
        .map(|f| {
            let value = form.get(f.name).to_owned();
            let (kind, options) = match f.kind {
                FieldKind::Text => ("text", Vec::new()),
                FieldKind::Long => ("long", Vec::new()),
                FieldKind::Date => ("date", Vec::new()),
                FieldKind::Flag => ("choice", vec![("true", "是", value == "true"), ("false", "否", value != "true")]),
                FieldKind::Choice(choices) => ("choice", choices.iter().map(|(c, l)| (*c, *l, *c == value)).collect()),
            };
            FieldView { name: f.name, label: f.label, kind, required: f.required, value, options }
        })
        .collect()
}

struct FormContext {
    title: String,
    back: String,
    action: String,
    version: Option<i64>,
}

fn form_page<F: Form>(
    user: &CurrentUser,
    ctx: FormContext,
    form: &F,
    error: Option<AppError>,
    status: StatusCode,
) -> Response {
    let page = FormPage {
        me: user.principal.clone(),
        csrf: user.csrf().to_owned(),
        title: ctx.title,
        back: ctx.back,
        action: ctx.action,
        version: ctx.version,
        error: error.map(|e| e.message),
        fields: field_views(form),
    };
    (status, render(&page)).into_response()
}

pub async fn new_form(
    State(s): State<AppState>,
    ConsoleUser(user): ConsoleUser,
    Path((id, kind)): Path<(i64, String)>,
) -> PageResult {
    let agency = s.service.agency(&user.actor(), AgencyId(id)).await?;
    let kind = ListKind::parse(&kind).ok_or_else(AppError::not_found)?;
    let ctx = FormContext {
        title: format!("新增 · {}", kind.title()),
        back: format!("/console/agencies/{}/{}", agency.id, kind.slug()),
        action: format!("/console/agencies/{}/{}", agency.id, kind.slug()),
        version: None,
    };
    Ok(match kind {
        ListKind::Items => form_page(&user, ctx, &ItemForm::default(), None, StatusCode::OK),
        ListKind::InspectionItems => form_page(&user, ctx, &InspectionItemData::default(), None, StatusCode::OK),
        ListKind::ServiceGuides => form_page(&user, ctx, &ServiceGuideData::default(), None, StatusCode::OK),
        ListKind::DiscretionBenchmarks => {
            form_page(&user, ctx, &DiscretionBenchmarkData::default(), None, StatusCode::OK)
        }
    })
}

/// A posted form: its fields, the CSRF token and (for edits) the version.
fn parse_post<F: Form>(pairs: Vec<(String, String)>) -> (F, Option<i64>) {
    let mut form = F::default();
    let mut version = None;
    for (k, v) in pairs {
        match k.as_str() {
            "csrf_token" => {}
            "version" => version = v.parse().ok(),
            _ => form.set(&k, v),
        }
    }
    (form, version)
}

/// After a failed save, show the form again with what was typed and the error.
fn redisplay<F: Form>(user: &CurrentUser, ctx: FormContext, form: &F, e: zhifa_service::ServiceError) -> PageResult {
    let e = PageError::or_mendable(e)?;
    let status = e.status;
    Ok(form_page(user, ctx, form, Some(e), status))
}

pub async fn create(
    State(s): State<AppState>,
    Path((id, kind)): Path<(i64, String)>,
    ConsoleForm { user, form: pairs }: ConsoleForm<Vec<(String, String)>>,
) -> PageResult {
    let kind = ListKind::parse(&kind).ok_or_else(AppError::not_found)?;
    let actor = user.actor();
    let agency = AgencyId(id);
    let list = format!("/console/agencies/{id}/{}", kind.slug());
    let ctx = FormContext {
        title: format!("新增 · {}", kind.title()),
        back: list.clone(),
        action: list.clone(),
        version: None,
    };
    macro_rules! save {
        ($F:ty, $create:ident) => {{
            let (form, _) = parse_post::<$F>(pairs);
            match s.service.$create(&actor, agency, &form).await {
                Ok(_) => Ok(Redirect::to(&list).into_response()),
                Err(e) => redisplay(&user, ctx, &form, e),
            }
        }};
    }
    match kind {
        ListKind::Items => save!(ItemForm, create_item),
        ListKind::InspectionItems => save!(InspectionItemData, create_inspection_item),
        ListKind::ServiceGuides => save!(ServiceGuideData, create_service_guide),
        ListKind::DiscretionBenchmarks => save!(DiscretionBenchmarkData, create_discretion_benchmark),
    }
}

pub async fn edit_form(
    State(s): State<AppState>,
    ConsoleUser(user): ConsoleUser,
    Path((kind, eid)): Path<(String, i64)>,
) -> PageResult {
    let kind = ListKind::parse(&kind).ok_or_else(AppError::not_found)?;
    let actor = user.actor();
    macro_rules! show {
        ($get:ident, $Id:ident, $form:expr) => {{
            let e = s.service.$get(&actor, $Id(eid)).await?;
            let ctx = FormContext {
                title: format!("编辑 · {}", kind.title()),
                back: format!("/console/agencies/{}/{}", e.agency_id, kind.slug()),
                action: format!("/console/{}/{eid}", kind.slug()),
                version: Some(e.version),
            };
            Ok(form_page(&user, ctx, &$form(&e.data), None, StatusCode::OK))
        }};
    }
    match kind {
        ListKind::Items => show!(item, ItemId, ItemForm::from),
        ListKind::InspectionItems => show!(inspection_item, InspectionItemId, Clone::clone),
        ListKind::ServiceGuides => show!(service_guide, ServiceGuideId, Clone::clone),
        ListKind::DiscretionBenchmarks => show!(discretion_benchmark, DiscretionBenchmarkId, Clone::clone),
    }
}

pub async fn update(
    State(s): State<AppState>,
    Path((kind, eid)): Path<(String, i64)>,
    ConsoleForm { user, form: pairs }: ConsoleForm<Vec<(String, String)>>,
) -> PageResult {
    let kind = ListKind::parse(&kind).ok_or_else(AppError::not_found)?;
    let actor = user.actor();
    macro_rules! save {
        ($F:ty, $get:ident, $update:ident, $Id:ident) => {{
            let (form, version) = parse_post::<$F>(pairs);
            let current = s.service.$get(&actor, $Id(eid)).await?;
            let list = format!("/console/agencies/{}/{}", current.agency_id, kind.slug());
            let version = version.ok_or_else(|| AppError::bad_request("缺少版本号，请刷新后重新编辑"))?;
            let ctx = FormContext {
                title: format!("编辑 · {}", kind.title()),
                back: list.clone(),
                action: format!("/console/{}/{eid}", kind.slug()),
                version: Some(version),
            };
            match s.service.$update(&actor, $Id(eid), version, &form).await {
                Ok(()) => Ok(Redirect::to(&list).into_response()),
                Err(e) => redisplay(&user, ctx, &form, e),
            }
        }};
    }
    match kind {
        ListKind::Items => save!(ItemForm, item, update_item, ItemId),
        ListKind::InspectionItems => {
            save!(InspectionItemData, inspection_item, update_inspection_item, InspectionItemId)
        }
        ListKind::ServiceGuides => save!(ServiceGuideData, service_guide, update_service_guide, ServiceGuideId),
        ListKind::DiscretionBenchmarks => {
            save!(DiscretionBenchmarkData, discretion_benchmark, update_discretion_benchmark, DiscretionBenchmarkId)
        }
    }
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    me: Principal,
    csrf: String,
    entries: Vec<(i64, String, String, String, String, String)>,
}

pub async fn history(
    State(s): State<AppState>,
    ConsoleUser(user): ConsoleUser,
    Path((entity, id)): Path<(String, i64)>,
) -> PageResult {
    let entries = s
        .service
        .history(&user.actor(), &entity, id)
        .await?
        .into_iter()
        .map(|e| (e.record_id, local_time(e.at), e.actor, e.kind, e.reason, e.data.to_string()))
        .collect();
    Ok(render(&HistoryPage { me: user.principal.clone(), csrf: user.csrf().to_owned(), entries }))
}

#[derive(Template)]
#[template(path = "upload.html")]
struct UploadPage {
    me: Principal,
    csrf: String,
    case_number: String,
}

#[derive(serde::Deserialize)]
pub struct UploadQuery {
    #[serde(default)]
    case_number: String,
}

/// The upload widget for audio/video records (officers and heads).
pub async fn upload_page(ConsoleUser(user): ConsoleUser, Query(q): Query<UploadQuery>) -> PageResult {
    if !zhifa_service::authz::can_record_evidence(&user.actor()) {
        return Err(AppError::new(StatusCode::FORBIDDEN, "forbidden", "只有执法人员和负责人可以上传音像记录").into());
    }
    Ok(render(&UploadPage { me: user.principal.clone(), csrf: user.csrf().to_owned(), case_number: q.case_number }))
}

// ---- calendar ------------------------------------------------------------------

#[derive(Debug, Default, serde::Deserialize)]
pub struct CalendarQuery {
    /// `YYYY-MM`; this month by default.
    month: Option<String>,
    /// The deadline calculator: the day of the event, a length and a unit.
    from: Option<String>,
    length: Option<String>,
    unit: Option<String>,
}

struct MonthCell {
    day: i8,
    kind: &'static str,
    label: &'static str,
    name: String,
    today: bool,
}

struct DeadlineView {
    due: String,
    lines: Vec<String>,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    me: Principal,
    csrf: String,
    title: String,
    prev: String,
    next: String,
    /// Weeks from Monday; `None` pads the first and last week.
    weeks: Vec<Vec<Option<MonthCell>>>,
    missing: Option<String>,
    years: Vec<zhifa_calendar::YearInfo>,
    kinds: Vec<(&'static str, &'static str)>,
    from: String,
    length: String,
    working: bool,
    deadline: Option<DeadlineView>,
    error: Option<String>,
}

fn month_of(query: Option<&str>, today: jiff::civil::Date) -> jiff::civil::Date {
    query.and_then(|m| format!("{m}-01").parse::<jiff::civil::Date>().ok()).unwrap_or_else(|| today.first_of_month())
}

fn month_weeks(
    calendar: &zhifa_calendar::Calendar,
    first: jiff::civil::Date,
    today: jiff::civil::Date,
) -> Result<Vec<Vec<Option<MonthCell>>>, zhifa_calendar::CalendarError> {
    let days = calendar.days(first, first.last_of_month())?;
    let lead = usize::try_from(first.weekday().to_monday_zero_offset()).unwrap_or(0);
    let mut cells: Vec<Option<MonthCell>> = (0..lead).map(|_| None).collect();
    cells.extend(days.iter().map(|d| {
        Some(MonthCell {
            day: d.date.day(),
            kind: d.kind.code(),
            label: d.kind.label(),
            name: d.name.unwrap_or_default().to_owned(),
            today: d.date == today,
        })
    }));
    while !cells.len().is_multiple_of(7) {
        cells.push(None);
    }
    let mut weeks = Vec::new();
    let mut it = cells.into_iter().peekable();
    while it.peek().is_some() {
        weeks.push(it.by_ref().take(7).collect());
    }
    Ok(weeks)
}

/// A month of the working-day calendar, the years with data, and a deadline calculator.
pub async fn calendar(
    State(s): State<AppState>,
    ConsoleUser(user): ConsoleUser,
    crate::extract::Query(q): crate::extract::Query<CalendarQuery>,
) -> PageResult {
    let calendar = s.service.calendar();
    let today = beijing(s.service.now()).date();
    let first = month_of(q.month.as_deref(), today);
    let (weeks, missing) = match month_weeks(calendar, first, today) {
        Ok(weeks) => (weeks, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let shift = |months: i64| {
        first.checked_add(jiff::Span::new().months(months)).map(|d| d.strftime("%Y-%m").to_string()).unwrap_or_default()
    };
    let working = q.unit.as_deref() != Some("days");
    let (mut deadline, mut error) = (None, None);
    if let (Some(from), Some(length)) = (q.from.as_deref().filter(|f| !f.is_empty()), q.length.as_deref()) {
        let period = length.trim().parse::<u16>().ok().and_then(|n| {
            if working { zhifa_calendar::Period::working_days(n).ok() } else { zhifa_calendar::Period::days(n).ok() }
        });
        match (from.parse::<jiff::civil::Date>(), period) {
            (Err(_), _) => error = Some(format!("“{from}”不是有效的日期（应为 YYYY-MM-DD）")),
            (_, None) => error = Some(format!("期限应为 1 至 {} 之间的整数", zhifa_calendar::MAX_PERIOD)),
            (Ok(from), Some(period)) => match calendar.deadline(from, period) {
                Ok(d) => deadline = Some(DeadlineView { due: d.due.to_string(), lines: d.explain() }),
                Err(e) => error = Some(e.to_string()),
            },
        }
    }
    Ok(render(&CalendarPage {
        me: user.principal.clone(),
        csrf: user.csrf().to_owned(),
        title: first.strftime("%Y年%-m月").to_string(),
        prev: shift(-1),
        next: shift(1),
        weeks,
        missing,
        years: calendar.years().to_vec(),
        kinds: zhifa_calendar::DayKind::ALL.iter().map(|k| (k.code(), k.label())).collect(),
        from: q.from.unwrap_or_default(),
        length: q.length.unwrap_or_default(),
        working,
        deadline,
        error,
    }))
}
