//! The supervisors' dashboard as JSON (SUP-1) (routes in `lib.rs`).

use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::extract::Query;
use axum::Json;
use axum::extract::State;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zhifa_domain::dashboard::Tally;
use zhifa_domain::ids::AgencyId;
use zhifa_service::dashboard::{Dashboard, DashboardQuery, month_label};

type ApiResult<T> = Result<T, AppError>;

/// The figures of one line: counts, sums and rates (a rate or average of
/// nothing is null).
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq)]
pub struct FiguresOut {
    pub opened: i64,
    pub closed: i64,
    /// Closed after one of their time limits had passed.
    pub closed_late: i64,
    /// Per cent of closed cases that met all their limits.
    pub closed_on_time_rate: Option<f64>,
    /// Working days from opening to closing.
    pub average_handling_days: Option<f64>,
    pub p90_handling_days: Option<u32>,
    pub decided: i64,
    /// Per cent of decided cases with an audio/video record.
    pub recording_coverage: Option<f64>,
    pub penalties: i64,
    pub fines_fen: i64,
    pub published: i64,
    pub published_on_time: i64,
    pub on_time_publication_rate: Option<f64>,
    pub reviewed_cases: i64,
    pub review_rounds: i64,
    /// Per cent of answered review rounds approved.
    pub review_pass_rate: Option<f64>,
    pub rounds_per_reviewed_case: Option<f64>,
    pub complaints: i64,
    pub complaints_answered: i64,
    pub average_answer_days: Option<f64>,
}

impl FiguresOut {
    pub fn of(t: &Tally) -> Self {
        Self {
            opened: t.opened,
            closed: t.closed,
            closed_late: t.closed_late,
            closed_on_time_rate: t.closed_on_time_rate(),
            average_handling_days: t.average_handling_days(),
            p90_handling_days: t.sup_1_p90_handling_days(),
            decided: t.decided,
            recording_coverage: t.recording_coverage(),
            penalties: t.penalties,
            fines_fen: t.fines_fen,
            published: t.published,
            published_on_time: t.published_on_time,
            on_time_publication_rate: t.on_time_rate(),
            reviewed_cases: t.reviewed_cases,
            review_rounds: t.review_rounds,
            review_pass_rate: t.review_pass_rate(),
            rounds_per_reviewed_case: t.rounds_per_case(),
            complaints: t.complaints,
            complaints_answered: t.complaints_answered,
            average_answer_days: t.average_answer_days(),
        }
    }
}

/// A line of figures with what it is of.
#[derive(Serialize, ToSchema)]
pub struct LineOut {
    /// The procedure's id, the domain's code, `2026-03`, or the agency's id.
    pub key: String,
    pub label: String,
    #[serde(flatten)]
    pub figures: FiguresOut,
}

/// An agency's place in the ranking.
#[derive(Serialize, ToSchema)]
pub struct RankOut {
    pub rank: usize,
    pub agency: i64,
    pub agency_name: String,
    pub red_warnings_open: i64,
    #[serde(flatten)]
    pub figures: FiguresOut,
}

/// A rule's open warnings.
#[derive(Serialize, ToSchema)]
pub struct RuleCountOut {
    pub rule: String,
    pub text: String,
    pub severity: String,
    pub open: i64,
}

/// A region's or an agency's figures over a period.
#[derive(Serialize, ToSchema)]
pub struct DashboardOut {
    /// The region code prefix (subtree) the figures are of.
    pub region: Option<String>,
    pub agency: Option<i64>,
    pub from: String,
    pub to: String,
    pub total: FiguresOut,
    pub by_procedure: Vec<LineOut>,
    pub by_domain: Vec<LineOut>,
    pub by_month: Vec<LineOut>,
    /// Ordered by the share of cases closed within their limits, then by
    /// on-time publication, then by cases closed.
    pub ranking: Vec<RankOut>,
    pub warnings: Vec<RuleCountOut>,
    /// Cases open past one of their limits now.
    pub open_past_limit: i64,
}

impl DashboardOut {
    pub fn of(d: &Dashboard) -> Self {
        let line = |key: String, label: String, t: &Tally| LineOut { key, label, figures: FiguresOut::of(t) };
        Self {
            region: d.region_prefix.clone(),
            agency: d.agency.map(|a| a.0),
            from: d.from.to_string(),
            to: d.to.to_string(),
            total: FiguresOut::of(&d.total),
            by_procedure: d.by_procedure.iter().map(|(id, name, t)| line(id.clone(), name.clone(), t)).collect(),
            by_domain: d
                .by_domain
                .iter()
                .map(|(dom, t)| line(dom.code().to_owned(), dom.label().to_owned(), t))
                .collect(),
            by_month: d.by_month.iter().map(|(m, t)| line(month_label(*m), month_label(*m), t)).collect(),
            ranking: d
                .ranking
                .iter()
                .enumerate()
                .map(|(i, r)| RankOut {
                    rank: i + 1,
                    agency: r.agency.id.0,
                    agency_name: r.agency.data.name.clone(),
                    red_warnings_open: r.red_open,
                    figures: FiguresOut::of(&r.tally),
                })
                .collect(),
            warnings: d
                .warnings
                .iter()
                .map(|w| RuleCountOut {
                    rule: w.rule.clone(),
                    text: w.text.clone(),
                    severity: w.severity.clone(),
                    open: w.open,
                })
                .collect(),
            open_past_limit: d.open_past_limit,
        }
    }
}

#[derive(Deserialize, IntoParams, Default, Clone)]
#[serde(default)]
pub struct DashboardParams {
    /// A region code: its subtree (within the reader's).
    pub region: Option<String>,
    /// One agency (within the reader's scope).
    pub agency: Option<i64>,
    /// The first day, `2026-01-01`; none: 1 January of this year.
    pub from: Option<String>,
    /// The last day; none: today.
    pub to: Option<String>,
}

impl DashboardParams {
    /// The query, with the period checked and its defaults filled in.
    pub fn query(&self, today: Date) -> Result<DashboardQuery, AppError> {
        let day = |s: Option<&str>, field: &str, default: Date| -> Result<Date, AppError> {
            match s.map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(default),
                Some(s) => s.parse().map_err(|_| AppError::bad_request(format!("{field}应为日期，如 2026-01-01"))),
            }
        };
        let from = day(self.from.as_deref(), "起始日期", today.first_of_year())?;
        let to = day(self.to.as_deref(), "截止日期", today)?;
        if to < from {
            return Err(AppError::bad_request("截止日期不能早于起始日期"));
        }
        if to.since(from).map_or(true, |span| span.get_days() > 3_700) {
            return Err(AppError::bad_request("统计期间最长十年"));
        }
        Ok(DashboardQuery {
            region: self.region.clone().filter(|r| !r.trim().is_empty()),
            agency: self.agency.map(AgencyId),
            from,
            to,
        })
    }
}

#[utoipa::path(get, path = "/api/v1/dashboard", params(DashboardParams),
    responses((status = 200, body = DashboardOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    user: ApiUser,
    Query(p): Query<DashboardParams>,
) -> ApiResult<Json<DashboardOut>> {
    let q = p.query(s.service.today())?;
    let d = s.service.dashboard(&user.actor(), &q).await?;
    Ok(Json(DashboardOut::of(&d)))
}
