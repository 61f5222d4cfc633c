//! The staff console: server-rendered pages in Chinese. Every form carries
//! the session's CSRF token; every page is an auto-escaping template.

use crate::AppState;
use crate::auth::{self, ConsoleForm, ConsoleUser, CurrentUser, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::error::{AppError, PageError};
use crate::extract::{Path, Query};
use crate::page::render;
use askama::Template;
use axum::Form as PostForm;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use zhifa_domain::ids::AgencyId;
use zhifa_domain::people::{Role, categories_label};
use zhifa_domain::registry::{Field, FieldKind, RegistryInfo, Values};
use zhifa_service::{Agency, Principal};

type PageResult = Result<Response, PageError>;

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
    /// For administrators, from 1 November: next year, if its holidays are not loaded.
    missing_year: Option<i16>,
    /// For supervisors and heads: the newest open warnings of their scope,
    /// and how many are open, red and yellow.
    warnings: Vec<crate::warning_api::WarningOut>,
    open_warnings: (i64, i64),
}

pub async fn home(State(s): State<AppState>, ConsoleUser(user): ConsoleUser) -> PageResult {
    // A supervisor's home is the dashboard of its region, with its open warnings.
    if user.principal.role == Role::Supervisor {
        return Ok(Redirect::to("/console/dashboard").into_response());
    }
    let agencies = s.service.agencies(&user.actor()).await?;
    let missing_year = (user.principal.role == Role::Administrator)
        .then(|| s.service.calendar().next_year_missing(s.service.today()))
        .flatten();
    let role = user.principal.role;
    let (warnings, open_warnings) = if matches!(role, Role::Supervisor | Role::Head | Role::Administrator) {
        let q = zhifa_service::warnings::WarningQuery { status: Some("open".into()), limit: 10, ..Default::default() };
        let today = s.service.today();
        let rows = s.service.warnings(&user.actor(), &q).await?;
        let shown = rows.iter().map(|w| crate::warning_api::WarningOut::of(w, s.service.warning_rules(), today));
        (shown.collect(), s.service.open_warning_counts(&user.actor()).await?)
    } else {
        (Vec::new(), (0, 0))
    };
    let me = user.principal.clone();
    Ok(render(&HomePage { me, csrf: user.csrf().to_owned(), agencies, missing_year, warnings, open_warnings }))
}

#[derive(Template)]
#[template(path = "agency.html")]
struct AgencyPage {
    me: Principal,
    csrf: String,
    agency: Agency,
    updated: String,
    people: usize,
    /// Each registry: its title, slug and number of entries.
    lists: Vec<(&'static str, &'static str, usize)>,
}

/// Beijing time: UTC+8 without daylight saving since 1991, so it needs no
/// time-zone database on the server.
pub(crate) fn beijing(t: jiff::Timestamp) -> jiff::Zoned {
    t.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
}

pub(crate) fn local_time(t: jiff::Timestamp) -> String {
    beijing(t).strftime("%Y-%m-%d %H:%M").to_string()
}

pub async fn agency(State(s): State<AppState>, ConsoleUser(user): ConsoleUser, Path(id): Path<AgencyId>) -> PageResult {
    let actor = user.actor();
    let agency = s.service.agency(&actor, id).await?;
    let people = s.service.users(&actor, id).await?.len();
    let mut lists = Vec::new();
    for r in s.service.registries() {
        lists.push((r.names.title, r.names.slug, s.service.registry_entries(&actor, r, id).await?.len()));
    }
    let updated = local_time(agency.updated_at);
    Ok(render(&AgencyPage { me: user.principal.clone(), csrf: user.csrf().to_owned(), agency, updated, people, lists }))
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
    /// Where a workbook of new entries is posted.
    import_link: Option<String>,
    notice: Option<String>,
}

/// The registry at `slug`, or 404.
fn registry(s: &AppState, slug: &str) -> Result<&'static RegistryInfo, PageError> {
    Ok(s.service.registry(slug).ok_or_else(AppError::not_found)?)
}

const TABLE_COLUMNS: usize = 5;

async fn personnel_page(s: &AppState, user: &CurrentUser, agency: Agency) -> PageResult {
    let actor = user.actor();
    let rows = s.service.personnel(&actor, agency.id).await?;
    let users = s.service.users(&actor, agency.id).await?;
    let headers = ["姓名", "职务", "角色", "执法证号", "执法类别", "执法区域", "有效期至"].map(String::from).to_vec();
    let rows = rows
        .into_iter()
        .map(|p| {
            let c = p.certificate.unwrap_or_default();
            let categories =
                zhifa_domain::people::parse_categories(&c.categories).map(|v| categories_label(&v)).unwrap_or_default();
            let role = zhifa_domain::people::Role::parse(&p.user.role).map(|r| r.label()).unwrap_or_default();
            let uid = users.iter().find(|u| u.user.data.username.as_str() == p.user.username).map(|u| u.user.id.0);
            RowView {
                cells: vec![p.user.name, p.user.post, role.to_owned(), c.number, categories, c.region, c.valid_to],
                edit: None,
                history: uid.map(|u| format!("/console/history/user/{u}")),
            }
        })
        .collect();
    Ok(render(&TablePage {
        me: user.principal.clone(),
        csrf: user.csrf().to_owned(),
        title: "执法人员名单".into(),
        agency_id: agency.id.0,
        agency_name: agency.data.name,
        headers,
        rows,
        new_link: None,
        export_link: Some(format!("/api/v1/agencies/{}/personnel.xlsx", agency.id)),
        import_link: None,
        notice: None,
    }))
}

/// A registry's entries of an agency as a table, with links to add, edit,
/// export and import.
async fn registry_page(
    s: &AppState,
    user: &CurrentUser,
    agency: Agency,
    registry: &'static RegistryInfo,
    notice: Option<String>,
) -> Result<TablePage, PageError> {
    let slug = registry.names.slug;
    let mut rows = Vec::new();
    for e in s.service.registry_entries(&user.actor(), registry, agency.id).await? {
        let values = zhifa_service::Service::entry_values(registry, &e)?;
        let cells = registry.fields.iter().take(TABLE_COLUMNS);
        rows.push(RowView {
            cells: cells.map(|f| f.shown(values.get(f.name).map_or("", String::as_str))).collect(),
            edit: Some(format!("/console/{slug}/{}/edit", e.id)),
            history: Some(format!("/console/history/{}/{}", registry.names.entity, e.id)),
        });
    }
    let list = format!("/console/agencies/{}/{slug}", agency.id);
    Ok(TablePage {
        me: user.principal.clone(),
        csrf: user.csrf().to_owned(),
        title: registry.names.title.into(),
        agency_id: agency.id.0,
        agency_name: agency.data.name,
        headers: registry.fields.iter().take(TABLE_COLUMNS).map(|f| f.label.to_owned()).collect(),
        rows,
        new_link: Some(format!("{list}/new")),
        export_link: Some(format!("/api/v1/agencies/{}/{slug}.xlsx", agency.id)),
        import_link: Some(format!("{list}/import")),
        notice,
    })
}

pub async fn list(
    State(s): State<AppState>,
    ConsoleUser(user): ConsoleUser,
    Path((id, kind)): Path<(AgencyId, String)>,
) -> PageResult {
    let agency = s.service.agency(&user.actor(), id).await?;
    if kind == "personnel" {
        return personnel_page(&s, &user, agency).await;
    }
    let registry = registry(&s, &kind)?;
    Ok(render(&registry_page(&s, &user, agency, registry, None).await?))
}

/// New entries from a workbook (every row valid, or none imported); the
/// list again with what happened.
pub async fn import(
    State(s): State<AppState>,
    Path((id, kind)): Path<(AgencyId, String)>,
    upload: crate::auth::ConsoleUpload,
) -> PageResult {
    let registry = registry(&s, &kind)?;
    let user = &upload.user;
    let agency = s.service.agency(&user.actor(), id).await?;
    let (status, notice) = match s.service.import_registry(&user.actor(), registry, id, &upload.file).await {
        Ok(r) => (StatusCode::OK, format!("已导入 {} 条", r.created)),
        Err(e) => {
            let e = PageError::or_mendable(e)?;
            (e.status, format!("未导入：{}", e.message))
        }
    };
    Ok((status, render(&registry_page(&s, user, agency, registry, Some(notice)).await?)).into_response())
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

fn field_views(fields: &'static [Field], values: &Values) -> Vec<FieldView> {
    fields
        .iter()
        .map(|f| {
            let value = values.get(f.name).cloned().unwrap_or_default();
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

/// A registry's form page: new (without a version) or an edit.
struct FormContext {
    registry: &'static RegistryInfo,
    agency: i64,
    /// The entry edited and its version.
    editing: Option<(i64, i64)>,
}

fn form_page(
    user: &CurrentUser,
    ctx: FormContext,
    values: &Values,
    error: Option<AppError>,
    status: StatusCode,
) -> Response {
    let n = &ctx.registry.names;
    let list = format!("/console/agencies/{}/{}", ctx.agency, n.slug);
    let (title, action) = match ctx.editing {
        Some((id, _)) => (format!("编辑 · {}", n.title), format!("/console/{}/{id}", n.slug)),
        None => (format!("新增 · {}", n.title), list.clone()),
    };
    let page = FormPage {
        me: user.principal.clone(),
        csrf: user.csrf().to_owned(),
        title,
        back: list,
        action,
        version: ctx.editing.map(|(_, v)| v),
        error: error.map(|e| e.message),
        fields: field_views(ctx.registry.fields, values),
    };
    (status, render(&page)).into_response()
}

pub async fn new_form(
    State(s): State<AppState>,
    ConsoleUser(user): ConsoleUser,
    Path((id, kind)): Path<(AgencyId, String)>,
) -> PageResult {
    let agency = s.service.agency(&user.actor(), id).await?;
    let ctx = FormContext { registry: registry(&s, &kind)?, agency: agency.id.0, editing: None };
    Ok(form_page(&user, ctx, &Values::new(), None, StatusCode::OK))
}

/// A posted form: its fields and (for edits) the version; the token was checked.
fn parse_post(pairs: Vec<(String, String)>) -> (Values, Option<i64>) {
    let mut values = Values::new();
    let mut version = None;
    for (k, v) in pairs {
        match k.as_str() {
            "csrf_token" => {}
            "version" => version = v.parse().ok(),
            _ => {
                values.insert(k, v);
            }
        }
    }
    (values, version)
}

/// After a save: to the list, or the form again with what was typed and the error.
fn saved(
    user: &CurrentUser,
    ctx: FormContext,
    values: &Values,
    result: Result<(), zhifa_service::ServiceError>,
) -> PageResult {
    match result {
        Ok(()) => {
            Ok(Redirect::to(&format!("/console/agencies/{}/{}", ctx.agency, ctx.registry.names.slug)).into_response())
        }
        Err(e) => {
            let e = PageError::or_mendable(e)?;
            let status = e.status;
            Ok(form_page(user, ctx, values, Some(e), status))
        }
    }
}

pub async fn create(
    State(s): State<AppState>,
    Path((id, kind)): Path<(AgencyId, String)>,
    ConsoleForm { user, form: pairs }: ConsoleForm<Vec<(String, String)>>,
) -> PageResult {
    let registry = registry(&s, &kind)?;
    let (values, _) = parse_post(pairs);
    let result = s.service.create_registry_entry(&user.actor(), registry, id, &values).await.map(drop);
    saved(&user, FormContext { registry, agency: id.0, editing: None }, &values, result)
}

pub async fn edit_form(
    State(s): State<AppState>,
    ConsoleUser(user): ConsoleUser,
    Path((kind, eid)): Path<(String, i64)>,
) -> PageResult {
    let registry = registry(&s, &kind)?;
    let entry = s.service.registry_entry(&user.actor(), registry, eid).await?;
    let values = zhifa_service::Service::entry_values(registry, &entry)?;
    let ctx = FormContext { registry, agency: entry.agency_id.0, editing: Some((eid, entry.version)) };
    Ok(form_page(&user, ctx, &values, None, StatusCode::OK))
}

pub async fn update(
    State(s): State<AppState>,
    Path((kind, eid)): Path<(String, i64)>,
    ConsoleForm { user, form: pairs }: ConsoleForm<Vec<(String, String)>>,
) -> PageResult {
    let registry = registry(&s, &kind)?;
    let actor = user.actor();
    let (values, version) = parse_post(pairs);
    let current = s.service.registry_entry(&actor, registry, eid).await?;
    let version = version.ok_or_else(|| AppError::bad_request("缺少版本号，请刷新后重新编辑"))?;
    let result = s.service.update_registry_entry(&actor, registry, eid, version, &values).await;
    saved(&user, FormContext { registry, agency: current.agency_id.0, editing: Some((eid, version)) }, &values, result)
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
#[template(path = "retrievals.html")]
struct RetrievalsPage {
    me: Principal,
    csrf: String,
    region: String,
    /// Time, reader, agency, what was read (with its link), reason.
    rows: Vec<(String, String, String, String, String, String)>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct RetrievalsForm {
    region: String,
}

/// REC-8: the retrieval log of the reader's scope.
pub async fn retrievals(
    State(s): State<AppState>,
    ConsoleUser(user): ConsoleUser,
    Query(q): Query<RetrievalsForm>,
) -> PageResult {
    let actor = user.actor();
    let region = Some(q.region.trim()).filter(|r| !r.is_empty());
    let log = s.service.retrieval_log(&actor, region, None, 500, 0).await?;
    let names: std::collections::HashMap<i64, String> =
        s.service.agencies(&actor).await?.into_iter().map(|a| (a.id.0, a.data.name)).collect();
    let rows = log
        .into_iter()
        .map(|e| {
            let at = e.at.parse::<jiff::Timestamp>().map(local_time).unwrap_or(e.at);
            let (what, link) = match e.what.as_str() {
                "case" => ("案件".to_owned(), format!("/console/cases/{}", e.id)),
                "upload" => ("音像记录".to_owned(), format!("/api/v1/evidence/{}", e.id)),
                other => (other.to_owned(), String::new()),
            };
            let agency = names.get(&e.agency_id).cloned().unwrap_or_else(|| e.agency_id.to_string());
            (at, e.reader_name, agency, format!("{what} {}", e.id), link, e.reason)
        })
        .collect();
    Ok(render(&RetrievalsPage { me: user.principal.clone(), csrf: user.csrf().to_owned(), region: q.region, rows }))
}

#[derive(Template)]
#[template(path = "upload.html")]
struct UploadPage {
    me: Principal,
    csrf: String,
    case_number: String,
    /// The stages of that case a file may prove (`(id, name)`) and where it
    /// stands; empty if no case of the agency has that number.
    stages: Vec<(String, String)>,
    current: String,
}

#[derive(serde::Deserialize)]
pub struct UploadQuery {
    #[serde(default)]
    case_number: String,
}

/// The upload widget for audio/video records (officers and heads).
pub async fn upload_page(
    State(s): State<AppState>,
    ConsoleUser(user): ConsoleUser,
    Query(q): Query<UploadQuery>,
) -> PageResult {
    if !zhifa_service::authz::can_record_evidence(&user.actor()) {
        return Err(AppError::new(crate::error::ErrorCode::Forbidden, "只有执法人员和负责人可以上传音像记录").into());
    }
    let (stages, current) = s.service.evidence_stages(&user.actor(), &q.case_number).await?.unwrap_or_default();
    Ok(render(&UploadPage {
        me: user.principal.clone(),
        csrf: user.csrf().to_owned(),
        case_number: q.case_number,
        stages,
        current,
    }))
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
