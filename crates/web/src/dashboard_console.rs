//! The supervisors' dashboard in the console (SUP-1): figure cards, a
//! monthly trend drawn as SVG by the server, tables by procedure, domain
//! and agency, the open warnings by rule; every figure a link to what is
//! behind it, every table in one Excel download.

use crate::AppState;
use crate::auth::ConsoleUser;
use crate::case_console::url_escape;
use crate::dashboard_api::DashboardParams;
use crate::error::{AppError, PageError};
use crate::extract::Query;
use crate::page::render;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use zhifa_domain::dashboard::{Tally, month_span};
use zhifa_service::Principal;
use zhifa_service::dashboard::{COLUMNS, Dashboard, line, severity_label};

type PageResult = Result<Response, PageError>;

struct Card {
    label: String,
    value: String,
    /// What the value is of, in small print.
    note: String,
    link: String,
    /// Something is wrong: shown in red.
    alert: bool,
}

struct Row {
    label: String,
    link: String,
    values: Vec<String>,
}

struct Ranked {
    label: String,
    link: String,
    red_open: i64,
    warnings_link: String,
    values: Vec<String>,
}

struct RuleLine {
    severity: String,
    severity_label: &'static str,
    text: String,
    open: i64,
    link: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    me: Principal,
    csrf: String,
    board: std::sync::Arc<Dashboard>,
    params: DashboardParams,
    /// Whose figures: the region or the agency, in words.
    scope: String,
    xlsx: String,
    cards: Vec<Card>,
    trend: String,
    columns: &'static [&'static str],
    by_procedure: Vec<Row>,
    by_domain: Vec<Row>,
    ranking: Vec<Ranked>,
    warnings: Vec<RuleLine>,
}

/// Links into the lists behind the figures, within the dashboard's scope.
struct Links<'a> {
    board: &'a Dashboard,
    /// The region code asked for, if any (the warnings' filter takes a code).
    region: Option<&'a str>,
}

impl Links<'_> {
    fn scope(&self) -> String {
        match (self.board.agency, &self.board.region_prefix) {
            (Some(a), _) => format!("&agency={}", a.0),
            (None, Some(p)) => format!("&region={}", url_escape(p)),
            (None, None) => String::new(),
        }
    }

    /// Cases opened, decided or closed (`by`) within the period (or `days`).
    fn cases(&self, by: &str, procedure: &str, days: Option<(jiff::civil::Date, jiff::civil::Date)>) -> String {
        let (from, to) = days.unwrap_or((self.board.from, self.board.to));
        format!("/console/cases?by={by}&from={from}&to={to}&procedure={}{}", url_escape(procedure), self.scope())
    }

    fn warnings(&self, rule: &str, severity: &str) -> String {
        let mut link =
            format!("/console/warnings?status=open&rule={}&severity={}", url_escape(rule), url_escape(severity));
        if let Some(a) = self.board.agency {
            link.push_str(&format!("&agency={}", a.0));
        } else if let Some(r) = self.region {
            link.push_str(&format!("&region={}", url_escape(r)));
        }
        link
    }

    /// An agency's own list (publications, complaints), or the ranking
    /// where each agency leads to its own.
    fn agency_desk(&self, path: &str) -> String {
        match self.board.agency {
            Some(a) => format!("/console/{path}?agency={}", a.0),
            None => "#ranking".to_owned(),
        }
    }

    fn dashboard(&self, agency: i64) -> String {
        format!("/console/dashboard?agency={agency}&from={}&to={}", self.board.from, self.board.to)
    }
}

fn or_dash(v: Option<f64>, unit: &str) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v}{unit}"))
}

fn cards(t: &Tally, board: &Dashboard, links: &Links<'_>) -> Vec<Card> {
    let card = |label: &str, value: String, link: String, alert: bool| Card {
        label: label.into(),
        value,
        note: String::new(),
        link,
        alert,
    };
    let noted = |mut c: Card, note: String| {
        c.note = note;
        c
    };
    let red: i64 = board.warnings.iter().filter(|w| w.severity == "red").map(|w| w.open).sum();
    let fines = zhifa_domain::money::Money::from_fen(t.fines_fen).map_or_else(|_| "—".to_owned(), |m| m.to_string());
    vec![
        card("立案", t.opened.to_string(), links.cases("opened", "", None), false),
        card("办结", t.closed.to_string(), links.cases("closed", "", None), false),
        card("逾期办结", t.closed_late.to_string(), links.cases("closed", "", None), t.closed_late > 0),
        card(
            "当前超期未结",
            board.open_past_limit.to_string(),
            links.warnings("case_past_time_limit", ""),
            board.open_past_limit > 0,
        ),
        card("平均办理工作日", or_dash(t.average_handling_days(), ""), links.cases("closed", "", None), false),
        card(
            "办理工作日（90%分位）",
            t.sup_1_p90_handling_days().map_or_else(|| "—".to_owned(), |d| d.to_string()),
            links.cases("closed", "", None),
            false,
        ),
        card("行政处罚决定", t.penalties.to_string(), links.cases("decided", "", None), false),
        card("罚款金额（元）", fines, links.cases("decided", "", None), false),
        noted(
            card(
                "按时公示率",
                or_dash(t.on_time_rate(), "%"),
                links.agency_desk("publications"),
                t.published_on_time < t.published,
            ),
            format!("按时 {} / 公示 {}", t.published_on_time, t.published),
        ),
        noted(
            card("法制审核通过率", or_dash(t.review_pass_rate(), "%"), links.cases("decided", "", None), false),
            format!("{} 件，平均 {} 轮", t.reviewed_cases, or_dash(t.rounds_per_case(), "")),
        ),
        card("音像记录覆盖率", or_dash(t.recording_coverage(), "%"), links.cases("decided", "", None), false),
        noted(
            card(
                "投诉举报",
                t.complaints.to_string(),
                links.agency_desk("complaints"),
                t.complaints_answered < t.complaints,
            ),
            format!("已答复 {}，平均 {} 个工作日", t.complaints_answered, or_dash(t.average_answer_days(), "")),
        ),
        card("红色预警（未办结）", red.to_string(), links.warnings("", "red"), red > 0),
    ]
}

fn trend(board: &Dashboard, links: &Links<'_>) -> String {
    let month_links: Vec<String> = board
        .by_month
        .iter()
        .map(|(m, _)| month_span(*m).map(|days| links.cases("opened", "", Some(days))).unwrap_or_default())
        .collect();
    zhifa_service::dashboard::trend_svg(board, &month_links)
}

async fn board(
    s: &AppState,
    user: &crate::auth::CurrentUser,
    p: &DashboardParams,
) -> Result<std::sync::Arc<Dashboard>, AppError> {
    let q = p.query(s.service.today())?;
    Ok(s.service.dashboard(&user.actor(), &q).await?)
}

/// A supervisor's home: the dashboard of its region this year.
pub async fn page(
    State(s): State<AppState>,
    ConsoleUser(user): ConsoleUser,
    Query(p): Query<DashboardParams>,
) -> PageResult {
    let board = board(&s, &user, &p).await?;
    let region = p.region.as_deref().filter(|r| !r.trim().is_empty());
    let links = Links { board: &board, region };
    let scope = match board.agency {
        Some(_) => board.ranking.first().map_or_else(String::new, |r| r.agency.data.name.clone()),
        None => match region {
            Some(r) => format!("行政区划 {r} 及其下级"),
            None => "本辖区".to_owned(),
        },
    };
    let mut xlsx = format!("/console/dashboard.xlsx?from={}&to={}", board.from, board.to);
    if let Some(a) = board.agency {
        xlsx.push_str(&format!("&agency={}", a.0));
    }
    if let Some(r) = region {
        xlsx.push_str(&format!("&region={}", url_escape(r)));
    }
    let by_procedure = board
        .by_procedure
        .iter()
        .map(|(id, name, t)| Row { label: name.clone(), link: links.cases("opened", id, None), values: line(t) })
        .collect();
    let by_domain = board
        .by_domain
        .iter()
        .map(|(d, t)| Row { label: d.label().to_owned(), link: String::new(), values: line(t) })
        .collect();
    let ranking = board
        .ranking
        .iter()
        .map(|r| Ranked {
            label: r.agency.data.name.clone(),
            link: links.dashboard(r.agency.id.0),
            red_open: r.red_open,
            warnings_link: format!("/console/warnings?status=open&severity=red&agency={}", r.agency.id.0),
            values: line(&r.tally),
        })
        .collect();
    let warnings = board
        .warnings
        .iter()
        .map(|w| RuleLine {
            severity: w.severity.clone(),
            severity_label: severity_label(&w.severity),
            text: w.text.clone(),
            open: w.open,
            link: links.warnings(&w.rule, &w.severity),
        })
        .collect();
    let page = DashboardPage {
        me: user.principal.clone(),
        csrf: user.csrf().to_owned(),
        cards: cards(&board.total, &board, &links),
        trend: trend(&board, &links),
        scope,
        xlsx,
        columns: &COLUMNS,
        by_procedure,
        by_domain,
        ranking,
        warnings,
        params: p.clone(),
        board: board.clone(),
    };
    Ok(render(&page))
}

/// Every table of the dashboard as one workbook.
pub async fn xlsx(
    State(s): State<AppState>,
    ConsoleUser(user): ConsoleUser,
    Query(p): Query<DashboardParams>,
) -> PageResult {
    let board = board(&s, &user, &p).await?;
    let bytes = zhifa_service::dashboard::workbook(&board).map_err(AppError::from)?;
    let name = format!("执法监督数据（{}至{}）.xlsx", board.from, board.to);
    Ok(crate::download::xlsx_download(bytes, &name).into_response())
}
