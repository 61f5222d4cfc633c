//! The supervisors' dashboard (SUP-1): a region's or an agency's figures
//! over a period, read from the monthly sums the warnings' outbox reader
//! keeps ([`zhifa_store::FigureSource`]), never counted from the cases at
//! request time. A dashboard once read is kept until that reader moves on.

use crate::{Actor, Agency, Result, Service};
use jiff::civil::Date;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use zhifa_domain::agency::Domain;
use zhifa_domain::case::engine;
use zhifa_domain::dashboard::{self, Month, NO_PROCEDURE, Tally};
use zhifa_domain::ids::AgencyId;
use zhifa_store::{CaseRow, ComplaintRow, FigureFilter, FigureSource, PublicationRow};

/// Sources read at a time when the sums are counted again.
const PAGE: i64 = 5_000;
/// Dashboards kept at most (then all are forgotten).
const KEPT: usize = 256;

/// Which figures a reader asks for (within the reader's scope).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DashboardQuery {
    /// A region code: its subtree.
    pub region: Option<String>,
    pub agency: Option<AgencyId>,
    pub from: Date,
    pub to: Date,
}

/// A rule's open warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCount {
    pub rule: String,
    pub text: String,
    pub severity: String,
    pub open: i64,
}

/// An agency's line of the ranking.
#[derive(Debug, Clone)]
pub struct Ranked {
    pub agency: Agency,
    pub tally: Tally,
    /// Red warnings open now.
    pub red_open: i64,
}

/// A region's or an agency's figures over a period.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// The region code (subtree) or agency the figures are of, as asked.
    pub region_prefix: Option<String>,
    pub agency: Option<AgencyId>,
    pub from: Date,
    pub to: Date,
    /// Every agency's sums together (publications and complaints included).
    pub total: Tally,
    /// By procedure: its id, its name and its sums.
    pub by_procedure: Vec<(String, String, Tally)>,
    pub by_domain: Vec<(Domain, Tally)>,
    /// Every month of the period, those without anything as zeros.
    pub by_month: Vec<(Month, Tally)>,
    /// The agencies in the ranking's order ([`dashboard::sup_1_ranking_order`]).
    pub ranking: Vec<Ranked>,
    /// Open warnings by rule and severity, most first.
    pub warnings: Vec<RuleCount>,
    /// Cases open past a limit now (the open `case_past_time_limit` warnings).
    pub open_past_limit: i64,
}

/// Kept dashboards: the reader's mark they were read at, and the dashboard.
pub(crate) type DashboardCache = std::sync::Mutex<HashMap<(DashboardQuery, Option<String>), (i64, Arc<Dashboard>)>>;

impl Service {
    /// SUP-1: the figures `q` asks for, of the reader's region subtree or
    /// own agency (a region or agency outside it is not found).
    pub async fn dashboard(&self, actor: &Actor, q: &DashboardQuery) -> Result<Arc<Dashboard>> {
        let scope = self.listing_scope(actor, q.region.as_deref(), q.agency).await?;
        let key = (DashboardQuery { agency: scope.agency, ..q.clone() }, scope.region_prefix.clone());
        let mark = self.warnings_checked.load(Ordering::Acquire);
        if mark >= 0
            && let Some((at, kept)) = self.dashboards.lock().ok().and_then(|m| m.get(&key).cloned())
            && at == mark
        {
            return Ok(kept);
        }
        let board = Arc::new(self.read_dashboard(scope.region_prefix, scope.agency, q.from, q.to).await?);
        if mark >= 0
            && let Ok(mut kept) = self.dashboards.lock()
        {
            if kept.len() >= KEPT {
                kept.clear();
            }
            kept.insert(key, (mark, board.clone()));
        }
        Ok(board)
    }

    async fn read_dashboard(
        &self,
        region_prefix: Option<String>,
        agency: Option<AgencyId>,
        from: Date,
        to: Date,
    ) -> Result<Dashboard> {
        let filter = FigureFilter {
            agency,
            region_prefix: region_prefix.clone(),
            from: dashboard::month_of(from),
            to: dashboard::month_of(to),
        };
        let rows = self.store.figures(&filter).await?;
        let agencies: Vec<Agency> = match agency {
            Some(a) => self.store.agency(a).await?.into_iter().collect(),
            None => self.store.agencies_in(region_prefix.as_deref().unwrap_or("")).await?,
        };
        let domain_of: HashMap<AgencyId, Domain> = agencies.iter().map(|a| (a.id, a.data.domain)).collect();
        let total = dashboard::sum_by(&rows, |r| &r.tally, |_| ()).remove(&()).unwrap_or_default();
        let by_procedure = dashboard::sum_by(&rows, |r| &r.tally, |r| r.procedure.clone())
            .into_iter()
            .filter(|(p, _)| p != NO_PROCEDURE)
            .map(|(p, t)| {
                let name = self.procedures.get(&p).map_or_else(|| p.clone(), |x| x.name.clone());
                (p, name, t)
            })
            .collect();
        let by_domain = dashboard::sum_by(&rows, |r| &r.tally, |r| domain_of.get(&r.agency).map(|d| d.code()))
            .into_iter()
            .filter_map(|(d, t)| Some((Domain::parse(d?).ok()?, t)))
            .collect();
        let mut months: BTreeMap<Month, Tally> =
            dashboard::months(from, to).into_iter().map(|m| (m, Tally::default())).collect();
        for r in &rows {
            months.entry(r.month).or_default().add(&r.tally, 1);
        }
        let by_agency = dashboard::sum_by(&rows, |r| &r.tally, |r| r.agency);
        let open = self.store.open_warnings_by_rule(region_prefix.as_deref(), agency).await?;
        let mut red: HashMap<AgencyId, i64> = HashMap::new();
        let mut by_rule: BTreeMap<(String, String), i64> = BTreeMap::new();
        for (a, rule, severity, n) in open {
            if severity == "red" {
                *red.entry(a).or_default() += n;
            }
            *by_rule.entry((rule, severity)).or_default() += n;
        }
        let open_past_limit = by_rule.iter().filter(|((r, _), _)| r == "case_past_time_limit").map(|(_, n)| *n).sum();
        let mut warnings: Vec<RuleCount> = by_rule
            .into_iter()
            .map(|((rule, severity), open)| {
                let text = self.warning_rules.get(&rule).map_or_else(|| rule.clone(), |r| r.text.clone());
                RuleCount { rule, text, severity, open }
            })
            .collect();
        warnings.sort_by(|a, b| b.open.cmp(&a.open).then(a.rule.cmp(&b.rule)));
        let mut ranking: Vec<Ranked> = agencies
            .into_iter()
            .map(|a| Ranked {
                tally: by_agency.get(&a.id).cloned().unwrap_or_default(),
                red_open: red.get(&a.id).copied().unwrap_or_default(),
                agency: a,
            })
            .collect();
        ranking.sort_by(|a, b| dashboard::sup_1_ranking_order(&a.tally, &b.tally).then(a.agency.id.cmp(&b.agency.id)));
        Ok(Dashboard {
            region_prefix,
            agency,
            from,
            to,
            total,
            by_procedure,
            by_domain,
            by_month: months.into_iter().collect(),
            ranking,
            warnings,
            open_past_limit,
        })
    }

    /// Working days after one day up to another, on the calendar with
    /// estimated years (`None` beyond them).
    fn working_days(&self) -> impl Fn(Date, Date) -> Option<u32> + '_ {
        |from, to| self.estimate.working_days_between(from, to).ok()
    }

    /// What a case adds to the sums, given its time limits and whether it
    /// has an audio/video record.
    pub(crate) fn case_figures(
        &self,
        case: &CaseRow,
        deadlines: &[engine::CaseDeadline],
        recorded: bool,
    ) -> FigureSource {
        FigureSource {
            kind: "case",
            id: case.id.0,
            agency: case.agency_id,
            contribution: dashboard::sup_1_case_contribution(&case.data, deadlines, recorded, self.working_days()),
        }
    }

    pub(crate) fn publication_figures(p: &PublicationRow) -> FigureSource {
        FigureSource {
            kind: "publication",
            id: p.id.0,
            agency: p.agency_id,
            contribution: dashboard::sup_1_publication_contribution(
                p.data.decided_on,
                p.data.due_on,
                p.data.published_on,
            ),
        }
    }

    pub(crate) fn complaint_figures(&self, c: &ComplaintRow) -> FigureSource {
        FigureSource {
            kind: "complaint",
            id: c.id.0,
            agency: c.agency_id,
            contribution: dashboard::sup_1_complaint_contribution(&c.data, self.working_days()),
        }
    }

    /// Count every sum again from the cases, publications and complaints.
    /// Returns the sources counted.
    pub async fn rebuild_figures(&self, mut progress: impl FnMut(u64)) -> Result<u64> {
        self.store.clear_figures().await?;
        let recorded = self.store.recorded_cases().await?;
        let periods = self.legal_periods();
        let today = self.today();
        let mut counted = 0u64;
        let mut after = 0;
        loop {
            let page = self.store.cases_after(after, PAGE).await?;
            let Some(last) = page.last().map(|c| c.id.0) else { break };
            after = last;
            let mut sources = Vec::with_capacity(page.len());
            for case in &page {
                let procedure = self.procedure(&case.data.procedure)?;
                let deadlines = engine::deadlines(procedure, &case.data, &self.calendar, &periods, today);
                let is_recorded = recorded.get(&case.agency_id).is_some_and(|n| n.contains(&case.number));
                sources.push(self.case_figures(case, &deadlines, is_recorded));
            }
            self.store.apply_figures(&sources).await?;
            counted += sources.len() as u64;
            progress(counted);
        }
        let mut after = 0;
        loop {
            let page = self.store.publications_after(after, PAGE).await?;
            let Some(last) = page.last().map(|p| p.id.0) else { break };
            after = last;
            let sources: Vec<FigureSource> = page.iter().map(Self::publication_figures).collect();
            self.store.apply_figures(&sources).await?;
            counted += sources.len() as u64;
            progress(counted);
        }
        let mut after = 0;
        loop {
            let page = self.store.complaints_after(after, PAGE).await?;
            let Some(last) = page.last().map(|c| c.id.0) else { break };
            after = last;
            let sources: Vec<FigureSource> = page.iter().map(|c| self.complaint_figures(c)).collect();
            self.store.apply_figures(&sources).await?;
            counted += sources.len() as u64;
            progress(counted);
        }
        self.dashboards.lock().map(|mut k| k.clear()).ok();
        Ok(counted)
    }
}

/// The columns of a line of figures, as the page, the API's labels and the
/// workbook show them.
pub const COLUMNS: [&str; 19] = [
    "立案数",
    "办结数",
    "逾期办结数",
    "按期办结率",
    "平均办理工作日",
    "办理工作日（90%分位）",
    "作出决定数",
    "音像记录覆盖率",
    "行政处罚决定数",
    "罚款金额（元）",
    "公示决定数",
    "按时公示率",
    "法制审核案件数",
    "法制审核轮次",
    "审核通过率",
    "平均审核轮次",
    "投诉举报数",
    "已答复数",
    "平均答复工作日",
];

fn rate(r: Option<f64>) -> String {
    r.map_or_else(|| "—".to_owned(), |r| format!("{r:.1}%"))
}

fn number(r: Option<f64>) -> String {
    r.map_or_else(|| "—".to_owned(), |r| format!("{r}"))
}

/// A tally's figures in the order of [`COLUMNS`].
pub fn line(t: &Tally) -> Vec<String> {
    let fines = zhifa_domain::money::Money::from_fen(t.fines_fen).map_or_else(|_| "—".to_owned(), |m| m.to_string());
    vec![
        t.opened.to_string(),
        t.closed.to_string(),
        t.closed_late.to_string(),
        rate(t.closed_on_time_rate()),
        number(t.average_handling_days()),
        t.sup_1_p90_handling_days().map_or_else(|| "—".to_owned(), |d| d.to_string()),
        t.decided.to_string(),
        rate(t.recording_coverage()),
        t.penalties.to_string(),
        fines,
        t.published.to_string(),
        rate(t.on_time_rate()),
        t.reviewed_cases.to_string(),
        t.review_rounds.to_string(),
        rate(t.review_pass_rate()),
        number(t.rounds_per_case()),
        t.complaints.to_string(),
        t.complaints_answered.to_string(),
        number(t.average_answer_days()),
    ]
}

fn with_columns(first: &[&'static str]) -> Vec<&'static str> {
    first.iter().copied().chain(COLUMNS).collect()
}

/// Every table of a dashboard as a workbook: the whole, by procedure, by
/// domain, by month, the ranking, and the open warnings.
pub fn workbook(d: &Dashboard) -> Result<Vec<u8>> {
    let whole: Vec<Vec<String>> = COLUMNS.iter().zip(line(&d.total)).map(|(c, v)| vec![(*c).to_owned(), v]).collect();
    let labelled = |label: String, t: &Tally| std::iter::once(label).chain(line(t)).collect::<Vec<String>>();
    let procedures: Vec<Vec<String>> = d.by_procedure.iter().map(|(_, name, t)| labelled(name.clone(), t)).collect();
    let domains: Vec<Vec<String>> = d.by_domain.iter().map(|(dom, t)| labelled(dom.label().to_owned(), t)).collect();
    let months: Vec<Vec<String>> = d.by_month.iter().map(|(m, t)| labelled(month_label(*m), t)).collect();
    let ranking: Vec<Vec<String>> = d
        .ranking
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut row = vec![(i + 1).to_string(), r.agency.data.name.clone(), r.red_open.to_string()];
            row.extend(line(&r.tally));
            row
        })
        .collect();
    let warnings: Vec<Vec<String>> = d
        .warnings
        .iter()
        .map(|w| vec![w.rule.clone(), w.text.clone(), severity_label(&w.severity).to_owned(), w.open.to_string()])
        .collect();
    let (h_procedure, h_domain, h_month) =
        (with_columns(&["程序"]), with_columns(&["执法领域"]), with_columns(&["月份"]));
    let h_ranking = with_columns(&["名次", "执法机关", "红色预警（未办结）"]);
    let sheets: Vec<zhifa_docs::excel::Sheet<'_>> = vec![
        ("总览", &["指标", "数值"], &whole),
        ("按程序", &h_procedure, &procedures),
        ("按执法领域", &h_domain, &domains),
        ("按月", &h_month, &months),
        ("执法机关排名", &h_ranking, &ranking),
        ("预警", &["规则", "说明", "等级", "未办结"], &warnings),
    ];
    zhifa_docs::excel::write_report(&sheets).map_err(|e| crate::ServiceError::internal(e.to_string()))
}

/// `2026-03` for 202603.
pub fn month_label(m: Month) -> String {
    format!("{}-{:02}", m / 100, m % 100)
}

pub fn severity_label(code: &str) -> &'static str {
    match code {
        "red" => "红色",
        "yellow" => "黄色",
        _ => "其他",
    }
}

/// The monthly trend of a dashboard as SVG: cases opened, closed and
/// penalty decisions per month, each month a link (`links`, in month order).
pub fn trend_svg(d: &Dashboard, links: &[String]) -> String {
    let labels: Vec<String> = d.by_month.iter().map(|(m, _)| month_label(*m)).collect();
    let series = |f: fn(&Tally) -> i64| d.by_month.iter().map(|(_, t)| f(t) as f64).collect::<Vec<f64>>();
    zhifa_docs::chart::trend_chart_svg(
        "每月立案、办结与行政处罚决定（件）",
        &labels,
        &[
            ("立案", "#1d4ed8", series(|t| t.opened)),
            ("办结", "#15803d", series(|t| t.closed)),
            ("行政处罚决定", "#b91c1c", series(|t| t.penalties)),
        ],
        links,
    )
}
