//! The case workspace of the console: the list with its filters and due
//! dates, opening a case, the case page (stage, deadlines, what is missing
//! to move on, timeline, documents, recordings) whose actions are forms
//! that go through the engine, the flowcharts, and one party's cases.

use crate::AppState;
use crate::auth::{ConsoleForm, ConsoleUser, CurrentUser};
use crate::error::{AppError, PageError, RefusalOut};
use crate::extract::{Path, Query};
use crate::page::render;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zhifa_domain::case::PenaltyForm;
use zhifa_domain::case::procedure::Transition;
use zhifa_domain::ids::CaseId;
use zhifa_service::cases::{CaseForm, CaseView, HandlerForm, StepForm};
use zhifa_service::{CaseFilter, CaseRow, Principal};

type PageResult = Result<Response, PageError>;

/// A case as a row of a list.
struct CaseLine {
    id: i64,
    number: String,
    procedure: String,
    stage: String,
    party: String,
    title: String,
    due: String,
    overdue: bool,
    closed: bool,
}

fn line(s: &AppState, c: &CaseRow, today: jiff::civil::Date) -> CaseLine {
    let procedure = s.service.procedure(&c.data.procedure).ok();
    CaseLine {
        id: c.id.0,
        number: c.number.clone(),
        procedure: procedure.map_or_else(|| c.data.procedure.clone(), |p| p.name.clone()),
        stage: procedure.and_then(|p| p.stage(&c.stage)).map_or_else(|| c.stage.clone(), |st| st.name.clone()),
        party: c.data.matter.party.name().to_owned(),
        title: c.data.matter.title.clone(),
        due: c.due_on.map(|d| d.to_string()).unwrap_or_default(),
        overdue: !c.closed && c.due_on.is_some_and(|d| d < today),
        closed: c.closed,
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    procedure: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: i64,
    /// From the dashboard: a region code (its subtree), an agency, and the
    /// days (`from`, `to`) within which the cases were `opened`, `decided`
    /// or `closed` (`by`).
    #[serde(default)]
    region: String,
    #[serde(default)]
    agency: String,
    #[serde(default)]
    by: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

impl ListQuery {
    /// The dashboard's part of the query, as a description and as hidden fields.
    fn drill(&self) -> Option<String> {
        let label = match self.by.as_str() {
            "opened" => "立案",
            "decided" => "作出决定",
            "closed" => "办结",
            _ => return None,
        };
        Some(format!("{}至{}{label}", self.from, self.to))
    }

    fn days(&self) -> Option<(jiff::civil::Date, jiff::civil::Date)> {
        Some((self.from.parse().ok()?, self.to.parse().ok()?))
    }
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    me: Principal,
    csrf: String,
    query: ListQuery,
    procedures: Vec<(String, String)>,
    cases: Vec<CaseLine>,
    can_open: bool,
    previous: Option<String>,
    next: Option<String>,
}

const PAGE: i64 = 50;

fn page_link(q: &ListQuery, page: i64) -> String {
    let enc = |s: &str| url_escape(s);
    format!(
        "/console/cases?procedure={}&state={}&q={}&region={}&agency={}&by={}&from={}&to={}&page={page}",
        enc(&q.procedure),
        enc(&q.state),
        enc(&q.q),
        enc(&q.region),
        enc(&q.agency),
        enc(&q.by),
        enc(&q.from),
        enc(&q.to)
    )
}

/// Percent-encode a query value.
pub(crate) fn url_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub async fn list(State(s): State<AppState>, ConsoleUser(user): ConsoleUser, Query(q): Query<ListQuery>) -> PageResult {
    let today = s.service.today();
    // Bounded, so that no offset overflows.
    let page = q.page.clamp(0, 100_000);
    let filter = CaseFilter {
        procedure: Some(q.procedure.clone()).filter(|p| !p.is_empty()),
        open: match q.state.as_str() {
            "open" | "overdue" => Some(true),
            "closed" => Some(false),
            _ => None,
        },
        overdue_on: (q.state == "overdue").then_some(today),
        text: Some(q.q.trim().to_owned()).filter(|t| !t.is_empty()),
        region_prefix: Some(q.region.trim().to_owned()).filter(|r| !r.is_empty()),
        agency: q.agency.trim().parse().ok().map(zhifa_domain::ids::AgencyId),
        opened: q.days().filter(|_| q.by == "opened"),
        decided: q.days().filter(|_| q.by == "decided"),
        closed_between: q.days().filter(|_| q.by == "closed"),
        limit: PAGE + 1,
        offset: page * PAGE,
        ..Default::default()
    };
    let rows = s.service.cases(&user.actor(), filter).await?;
    let more = rows.len() as i64 > PAGE;
    let cases = rows.iter().take(PAGE as usize).map(|c| line(&s, c, today)).collect();
    let procedures = s.service.procedures().all().iter().map(|p| (p.id.clone(), p.name.clone())).collect();
    let page = CasesPage {
        me: user.principal.clone(),
        csrf: user.csrf().to_owned(),
        procedures,
        cases,
        can_open: zhifa_service::authz::can_handle_cases(&user.actor()),
        previous: (page > 0).then(|| page_link(&q, page - 1)),
        next: more.then(|| page_link(&q, page + 1)),
        query: q,
    };
    Ok(render(&page))
}

/// An officer who may be named a handler, with a certificate.
struct Officer {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "case_new.html")]
struct NewCasePage {
    me: Principal,
    csrf: String,
    error: Option<String>,
    procedures: Vec<(String, String)>,
    officers: Vec<Officer>,
    form: CaseForm,
    chosen: Vec<String>,
}

/// The officers of the user's agency and their certificates, as choices.
async fn officers(s: &AppState, user: &CurrentUser) -> Result<Vec<Officer>, AppError> {
    let actor = user.actor();
    let agency = user.principal.agency_id;
    let users = s.service.users(&actor, agency).await?;
    let mut out = Vec::new();
    for c in s.service.certificates(&actor, agency).await? {
        let name = users.iter().find(|u| u.user.id == c.user_id).map(|u| u.user.data.name.clone()).unwrap_or_default();
        out.push(Officer {
            value: format!("{}:{}", c.user_id.0, c.cert.data.number),
            label: format!("{name}（执法证 {}，有效期至 {}）", c.cert.data.number, c.cert.data.valid_to),
        });
    }
    Ok(out)
}

/// The reviewers of the user's agency, as choices.
async fn reviewers(s: &AppState, user: &CurrentUser) -> Result<Vec<(i64, String)>, AppError> {
    let users = s.service.users(&user.actor(), user.principal.agency_id).await?;
    Ok(users
        .iter()
        .filter(|u| u.user.data.role == zhifa_domain::people::Role::Reviewer && u.user.data.active)
        .map(|u| {
            let q = if u.user.data.legal_qualification { "，具有法律职业资格" } else { "" };
            (u.user.id.0, format!("{}{q}", u.user.data.name))
        })
        .collect())
}

fn handler_forms(values: &[String]) -> Vec<HandlerForm> {
    values
        .iter()
        .filter_map(|v| {
            let (user, certificate) = v.split_once(':')?;
            Some(HandlerForm { user: user.parse().ok()?, certificate: certificate.to_owned() })
        })
        .collect()
}

fn procedure_choices(s: &AppState) -> Vec<(String, String)> {
    s.service.procedures().all().iter().map(|p| (p.id.clone(), p.name.clone())).collect()
}

pub async fn new_form(State(s): State<AppState>, ConsoleUser(user): ConsoleUser) -> PageResult {
    let form = CaseForm { on: s.service.today().to_string(), ..Default::default() };
    let page = NewCasePage {
        me: user.principal.clone(),
        csrf: user.csrf().to_owned(),
        error: None,
        procedures: procedure_choices(&s),
        officers: officers(&s, &user).await?,
        form,
        chosen: Vec::new(),
    };
    Ok(render(&page))
}

pub async fn open(
    State(s): State<AppState>,
    ConsoleForm { user, form: pairs }: ConsoleForm<Vec<(String, String)>>,
) -> PageResult {
    let mut form = CaseForm::default();
    let mut chosen = Vec::new();
    for (k, v) in pairs {
        let p = &mut form.party;
        match k.as_str() {
            "procedure" => form.procedure = v,
            "title" => form.title = v,
            "legal_basis" => form.legal_basis = v,
            "facts" => form.facts = v,
            "violation_on" => form.violation_on = v,
            "on" => form.on = v,
            "late_reason" => form.late_reason = v,
            "serious" => form.serious = v == "true",
            "health_or_finance" => form.health_or_finance = v == "true",
            "party_kind" => p.kind = v,
            "party_name" => p.name = v,
            "party_number" => p.number = v,
            "party_representative" => p.representative = v,
            "party_address" => p.address = v,
            "party_phone" => p.phone = v,
            "handler" if !v.is_empty() => chosen.push(v),
            _ => {}
        }
    }
    form.handlers = handler_forms(&chosen);
    match s.service.open_case(&user.actor(), &form).await {
        Ok(id) => Ok(Redirect::to(&format!("/console/cases/{id}")).into_response()),
        Err(e) => {
            let e = PageError::or_mendable(e)?;
            let page = NewCasePage {
                me: user.principal.clone(),
                csrf: user.csrf().to_owned(),
                error: Some(e.message),
                procedures: procedure_choices(&s),
                officers: officers(&s, &user).await?,
                form,
                chosen,
            };
            Ok((e.status, render(&page)).into_response())
        }
    }
}

/// An action of the case page: its form's fields follow its effect.
struct ActionView {
    action: String,
    name: String,
    roles: String,
    /// The user's role may take it.
    mine: bool,
    missing: Vec<RefusalOut>,
    penalty: bool,
    amount: bool,
    reason: bool,
    first_minor: bool,
    extend: bool,
    defer_payment: bool,
    handlers: bool,
    /// Legal review: choose a reviewer; the seven points; answer each problem;
    /// who took part; a deliberation; amend the facts; a draft penalty.
    reviewer: bool,
    review: bool,
    answers: bool,
    participants: bool,
    deliberation: bool,
    amend: bool,
    draft: bool,
    extend_review: bool,
    /// The decision set aside: how, by which document.
    annul: bool,
    /// It cannot be undone: a reason and a confirmation.
    confirm: bool,
}

fn action_view(t: &Transition, missing: &[zhifa_domain::case::rules::Refusal], me: &Principal) -> ActionView {
    let e = t.effect.as_str();
    ActionView {
        action: t.action.clone(),
        name: t.name.clone(),
        roles: t.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join("、"),
        mine: t.roles.contains(&me.role),
        missing: missing.iter().map(RefusalOut::from).collect(),
        penalty: matches!(e, "notify" | "decide" | "decide_on_site"),
        amount: e == "pay",
        reason: matches!(
            e,
            "decide_no_penalty"
                | "defer_payment"
                | "extend"
                | "extend_seizure"
                | "close"
                | "deny"
                | "return_materials"
                | "request_coordination"
                | "coordinate"
                | "refer_deliberation"
                | "annul"
        ) || matches!(t.action.as_str(), "transfer" | "refuse" | "revoke"),
        first_minor: e == "decide_no_penalty",
        extend: matches!(e, "extend" | "extend_seizure"),
        defer_payment: e == "defer_payment",
        handlers: t.gates.iter().any(|g| g == "two_certified_officers"),
        reviewer: e == "assign_reviewer",
        review: matches!(e, "review" | "review_problems"),
        answers: e == "resubmit",
        participants: matches!(e, "coordinate" | "refer_deliberation"),
        deliberation: matches!(e, "deliberate" | "deliberate_revise"),
        amend: e == "amend",
        draft: matches!(e, "submit_review" | "resubmit" | "hold_hearing"),
        extend_review: e == "extend_review",
        annul: e == "annul",
        confirm: t.confirm,
    }
}

/// One round of legal review, for the side-by-side history.
struct RoundView {
    number: u16,
    submitted: String,
    draft: String,
    basis: String,
    triggers: String,
    answers: Vec<String>,
    result: String,
    reviewer: String,
    findings: Vec<(String, String, String)>,
    problems: Vec<String>,
    comment: String,
}

fn round_views(data: &zhifa_domain::case::CaseData) -> Vec<RoundView> {
    data.review
        .rounds
        .iter()
        .map(|r| RoundView {
            number: r.number,
            submitted: format!("{} {}", r.submitted_on, r.submitted_by_name),
            draft: r.draft.summary(),
            basis: r.draft.legal_basis.clone(),
            triggers: r.triggers.iter().map(ToString::to_string).collect::<Vec<_>>().join("；"),
            answers: r.answers.clone(),
            result: r.outcome.as_ref().map_or_else(|| "审核中".into(), |o| o.result.label().to_owned()),
            reviewer: r.outcome.as_ref().map(|o| format!("{} {}", o.reviewer_name, o.on)).unwrap_or_default(),
            findings: r
                .outcome
                .iter()
                .flat_map(|o| o.findings.iter())
                .map(|f| (f.point.label().to_owned(), f.answer().to_owned(), f.comment.clone()))
                .collect(),
            problems: r.outcome.as_ref().map(|o| o.problems.clone()).unwrap_or_default(),
            comment: r.outcome.as_ref().map(|o| o.comment.clone()).unwrap_or_default(),
        })
        .collect()
}

struct DeadlineView {
    name: String,
    basis: String,
    started: String,
    due: String,
    trace: String,
    met: String,
    overdue: bool,
    provisional: bool,
}

/// A step as the case page lists it: when it happened, and when it was
/// recorded where that was later (补录), with why.
struct StepView {
    on: String,
    late: String,
    /// Rules checked against an estimated calendar (REC-3), in words.
    estimated: String,
    by: String,
    action: String,
}

struct TimelineView {
    at: String,
    actor: String,
    reason: String,
}

/// The case's records and its retrievals (REC-8), in time order.
/// People by their names (the records keep login names); the system as 系统.
fn timeline(
    records: &[zhifa_service::RecordRow],
    retrievals: &[zhifa_service::RetrievalEntry],
    names: &std::collections::HashMap<zhifa_domain::ids::UserId, String>,
) -> Vec<TimelineView> {
    let who = |r: &zhifa_service::RecordRow| match r.actor_id.and_then(|id| names.get(&id)) {
        Some(name) => name.clone(),
        None if r.actor_name.starts_with("system:") => "系统".to_owned(),
        None => r.actor_name.clone(),
    };
    let mut all: Vec<(jiff::Timestamp, TimelineView)> = records
        .iter()
        .map(|r| (r.at, TimelineView { at: local_time(r.at), actor: who(r), reason: r.reason.clone() }))
        .collect();
    for e in retrievals {
        let Ok(at) = e.at.parse::<jiff::Timestamp>() else { continue };
        let reason = format!("调阅：{}", e.reason);
        all.push((at, TimelineView { at: local_time(at), actor: e.reader_name.clone(), reason }));
    }
    all.sort_by_key(|(at, _)| *at);
    all.into_iter().map(|(_, t)| t).collect()
}

struct DocumentView {
    kind: String,
    name: &'static str,
}

struct RecordingView {
    id: i64,
    step: String,
    filename: String,
    captured: String,
    collector: String,
    hash: String,
    late: bool,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    me: Principal,
    csrf: String,
    id: i64,
    number: String,
    version: i64,
    procedure_id: String,
    procedure: String,
    agency: String,
    stage: String,
    closed: bool,
    archived: bool,
    party: String,
    party_key: String,
    title: String,
    facts: String,
    legal_basis: String,
    handlers: String,
    decision: String,
    /// The decision set aside: when, how, by which document.
    annulled: String,
    /// What moved or was found late when holidays were loaded (REC-3).
    notices: Vec<String>,
    deadlines: Vec<DeadlineView>,
    actions: Vec<ActionView>,
    own_agency: bool,
    documents: Vec<DocumentView>,
    recordings: Vec<RecordingView>,
    steps: Vec<StepView>,
    timeline: Vec<TimelineView>,
    officers: Vec<Officer>,
    limits: Vec<(String, String)>,
    today: String,
    no_penalty_grounds: &'static [(&'static str, &'static str)],
    annulled_by: &'static [(&'static str, &'static str)],
    /// Decisions other than a penalty that may be submitted for review: (action, name).
    reviewed_decisions: Vec<(String, String)>,
    /// The procedure decides penalties (its draft may be a penalty).
    penalty_procedure: bool,
    error: Option<String>,
    refusals: Vec<RefusalOut>,
    rounds: Vec<RoundView>,
    review_due: String,
    review_required: Vec<String>,
    reviewer: String,
    reviewers: Vec<(i64, String)>,
    /// The seven points: code, question, and the answers to choose from.
    points: Vec<(&'static str, &'static str, Choices)>,
    /// How many answers a resubmission owes (one per problem, at least one).
    answers_owed: Vec<String>,
    deliberations: usize,
    /// A refused step's form as it was typed, to show it again.
    kept_action: String,
    kept: Vec<(String, String)>,
}

impl CasePage {
    /// What was typed in field `name` of `action`'s refused form ("" otherwise).
    fn kept(&self, action: &str, name: &str) -> &str {
        self.kept_nth(action, name, 0)
    }

    /// The `n`-th value typed in field `name` (fields that repeat, like answers).
    fn kept_nth(&self, action: &str, name: &str, n: usize) -> &str {
        if action != self.kept_action {
            return "";
        }
        self.kept.iter().filter(|(k, _)| k == name).nth(n).map_or("", |(_, v)| v.as_str())
    }

    /// What was chosen for one of the seven points (`prefix` + point code).
    fn kept_point(&self, action: &str, prefix: &str, point: &str) -> &str {
        let name = format!("{prefix}{point}");
        self.kept(action, &name)
    }
}

use crate::console::local_time;

/// Choices of a select: (code, words).
type Choices = &'static [(&'static str, &'static str)];

async fn case_page(s: &AppState, user: &CurrentUser, v: CaseView) -> Result<CasePage, AppError> {
    let me = user.principal.clone();
    let own_agency = v.case.agency_id == me.agency_id;
    let data = &v.case.data;
    let stage = v.stage_name().to_owned();
    let documents = v
        .procedure
        .stages
        .iter()
        .filter(|st| data.entered(&st.id).is_some())
        .flat_map(|st| st.documents.iter())
        .map(|k| DocumentView { kind: k.clone(), name: zhifa_domain::case::document_name(k).unwrap_or("文书") })
        .collect();
    let decision = data
        .decision
        .as_ref()
        .map(|p| {
            if p.fine == zhifa_domain::money::Money::ZERO {
                p.kinds_label()
            } else {
                format!("{}，罚款 {} 元", p.kinds_label(), p.fine)
            }
        })
        .or_else(|| data.no_penalty_text())
        .unwrap_or_default();
    Ok(CasePage {
        id: v.case.id.0,
        number: v.case.number.clone(),
        version: v.case.version,
        procedure_id: v.procedure.id.clone(),
        procedure: v.procedure.name.clone(),
        agency: v.agency_name.clone(),
        closed: v.case.closed,
        archived: data.archive_blob.is_some(),
        party: format!("{}（{}）", data.matter.party.name(), data.matter.party.key()),
        party_key: data.matter.party.key().to_owned(),
        title: data.matter.title.clone(),
        facts: data.matter.facts.clone(),
        legal_basis: data.matter.legal_basis.clone(),
        handlers: data
            .matter
            .handlers
            .iter()
            .map(|h| format!("{}（{}）", h.name, h.certificate))
            .collect::<Vec<_>>()
            .join("、"),
        decision,
        notices: data.notices.iter().map(|n| format!("{}：{}", n.on, n.text)).collect(),
        annulled: data
            .annulled
            .as_ref()
            .map(|a| format!("{}，{}：{}", a.on, a.by.label(), a.reason))
            .unwrap_or_default(),
        deadlines: v
            .deadlines
            .iter()
            .map(|d| DeadlineView {
                name: d.name.clone(),
                basis: d.basis.clone(),
                started: d.started.to_string(),
                due: d.due.to_string(),
                trace: d.trace.join("；"),
                met: d.met_on.map(|m| m.to_string()).unwrap_or_default(),
                overdue: d.overdue,
                provisional: d.provisional,
            })
            .collect(),
        actions: v.actions.iter().map(|(t, missing)| action_view(t, missing, &me)).collect(),
        documents,
        recordings: v
            .recordings
            .iter()
            .map(|u| RecordingView {
                id: u.id.0,
                step: u.meta.step.clone(),
                filename: u.meta.filename.clone(),
                captured: local_time(u.meta.captured_at),
                collector: u.meta.collector.clone(),
                hash: u.content_hash.clone().unwrap_or_else(|| "上传中".into()),
                late: u.late,
            })
            .collect(),
        steps: data
            .steps
            .iter()
            .map(|st| StepView {
                on: st.on.to_string(),
                late: st
                    .late()
                    .map(|r| format!("{r} 补录：{}", st.late_reason.as_deref().unwrap_or("未写明原因")))
                    .unwrap_or_default(),
                estimated: st
                    .estimated
                    .iter()
                    .map(|e| match &e.late {
                        Some(said) => format!("按暂估日历已逾期，待节假日安排发布后复核：{said}"),
                        None => format!(
                            "按暂估日历（仅周六、周日休息）审查期限（{}），待节假日安排发布后复核",
                            zhifa_domain::case::rules::article_of(&e.rule)
                        ),
                    })
                    .collect::<Vec<_>>()
                    .join("；"),
                by: st.by_name.clone(),
                action: v.procedure.transition(&st.action).map_or_else(
                    || if st.action == "open" { "登记".to_owned() } else { st.action.clone() },
                    |t| t.name.clone(),
                ),
            })
            .collect(),
        timeline: timeline(
            &v.timeline,
            &s.service.case_retrievals(&user.actor(), v.case.id).await?,
            &s.service.names_of(v.timeline.iter().filter_map(|r| r.actor_id).collect()).await?,
        ),
        officers: if own_agency { officers(s, user).await? } else { Vec::new() },
        limits: v.procedure.limits.iter().map(|l| (l.id.clone(), l.name.clone())).collect(),
        today: s.service.today().to_string(),
        no_penalty_grounds: zhifa_domain::penalty::NoPenaltyGround::CHOICES,
        annulled_by: zhifa_domain::case::AnnulledBy::CHOICES,
        reviewed_decisions: v
            .procedure
            .transitions
            .iter()
            .filter(|t| t.is_reviewed_decision())
            .map(|t| (t.action.clone(), t.name.clone()))
            .collect(),
        penalty_procedure: v.procedure.category == zhifa_domain::people::Category::Penalty,
        error: None,
        refusals: Vec::new(),
        rounds: round_views(data),
        review_due: v
            .review_due
            .as_ref()
            .map(|d| {
                let state = if d.overdue {
                    "（已超期）"
                } else if d.soon {
                    "（即将到期）"
                } else {
                    ""
                };
                format!("{}{state}", d.due)
            })
            .unwrap_or_default(),
        review_required: v.review_required.iter().map(ToString::to_string).collect(),
        reviewer: data
            .review
            .reviewer
            .as_ref()
            .map(|a| format!("{}（{} 由{}指派）", a.name, a.on, a.by_name))
            .unwrap_or_default(),
        reviewers: if own_agency { reviewers(s, user).await? } else { Vec::new() },
        points: zhifa_domain::review::ReviewPoint::ALL.iter().map(|p| (p.code(), p.label(), p.answers())).collect(),
        answers_owed: match data.review.current().and_then(|r| r.outcome.as_ref()) {
            Some(o) if !o.problems.is_empty() => o.problems.clone(),
            _ => vec!["补充、修改的情况".into()],
        },
        deliberations: data.deliberations.len(),
        kept_action: String::new(),
        kept: Vec::new(),
        stage,
        own_agency,
        me,
        csrf: user.csrf().to_owned(),
    })
}

#[derive(Template)]
#[template(path = "case_reason.html")]
struct ReasonPage {
    me: Principal,
    csrf: String,
    id: i64,
    error: Option<String>,
}

pub async fn show(State(s): State<AppState>, ConsoleUser(user): ConsoleUser, Path(id): Path<i64>) -> PageResult {
    match s.service.case_view(&user.actor(), CaseId(id)).await {
        Ok(v) => Ok(render(&case_page(&s, &user, v).await?)),
        // Another agency's case: a supervisor states why (调阅), by POST.
        Err(zhifa_service::ServiceError::RetrievalRequired) => Ok(reason_page(&user, id, None)),
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn reason_page(user: &CurrentUser, id: i64, error: Option<String>) -> Response {
    let page = ReasonPage { me: user.principal.clone(), csrf: user.csrf().to_owned(), id, error };
    let status = if page.error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    (status, render(&page)).into_response()
}

#[derive(Deserialize)]
pub struct RetrievalForm {
    #[serde(default)]
    reason: String,
}

/// 调阅: the stated reason is recorded; the case is then open to its reader.
pub async fn retrieve(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    ConsoleForm { user, form }: ConsoleForm<RetrievalForm>,
) -> PageResult {
    match s.service.retrieve(&user.actor(), zhifa_service::Retrieval::Case(CaseId(id)), &form.reason).await {
        Ok(()) => Ok(Redirect::to(&format!("/console/cases/{id}")).into_response()),
        Err(zhifa_service::ServiceError::Invalid(e)) => Ok(reason_page(&user, id, Some(e.to_string()))),
        Err(e) => Err(e.into()),
    }
}

pub async fn step(
    State(s): State<AppState>,
    Path(id): Path<CaseId>,
    ConsoleForm { user, form: pairs }: ConsoleForm<Vec<(String, String)>>,
) -> PageResult {
    let mut form = StepForm::default();
    let mut penalty = PenaltyForm::default();
    let mut review = zhifa_domain::review::ReviewForm::default();
    let mut deliberation = zhifa_domain::review::DeliberationForm::default();
    let mut flags = zhifa_domain::review::ReviewFlags::default();
    let (mut has_review, mut has_deliberation, mut has_flags) = (false, false, false);
    let (mut action, mut version, mut chosen) = (String::new(), 0, Vec::new());
    let typed: Vec<(String, String)> = pairs.iter().filter(|(k, _)| k != "csrf_token").cloned().collect();
    for (k, v) in pairs {
        match k.as_str() {
            "csrf_token" => {}
            "action" => action = v,
            "version" => version = v.parse().unwrap_or(0),
            "on" => form.on = v,
            "late_reason" => form.late_reason = v,
            "note" => form.note = v,
            "reason" => form.reason = v,
            "confirmed" => form.confirmed = true,
            "amount" => form.amount = v,
            "limit" => form.limit = v,
            "days" => form.days = v.trim().parse().unwrap_or(0),
            "no_penalty_ground" => form.no_penalty_ground = v,
            "annulled_by" => form.annulled_by = v,
            "decides" => form.decides = v,
            "first_violation" => form.first_violation = true,
            "minor_harm" => form.minor_harm = true,
            "corrected" => form.corrected = true,
            "penalty_kinds" => penalty.kinds = v,
            "penalty_fine" => penalty.fine = v,
            "penalty_confiscation" => penalty.confiscation = v,
            "penalty_text" => penalty.text = v,
            "handler" if !v.is_empty() => chosen.push(v),
            "reviewer" => form.reviewer = v.trim().parse().ok(),
            "answer" => form.answers.push(v),
            "participants" => form.participants = v,
            "opinion" => {
                has_review = true;
                review.opinion = v;
            }
            "problems" => review.problems = v,
            "review_comment" => review.comment = v,
            "deliberation_participants" => {
                has_deliberation = true;
                deliberation.participants = v;
            }
            "deliberation_views" => deliberation.views = v,
            "deliberation_outcome" => deliberation.outcome = v,
            "facts" => form.facts = Some(v),
            "legal_basis" => form.legal_basis = Some(v),
            "flags_set" => has_flags = true,
            "major_public_interest" => flags.major_public_interest = true,
            "several_legal_relationships" => flags.several_legal_relationships = true,
            "complex_facts" => flags.complex_facts = true,
            "required_by_law" => flags.required_by_law = true,
            k if k.starts_with("finding_") => {
                review.findings.insert(k.trim_start_matches("finding_").to_owned(), v);
            }
            k if k.starts_with("comment_") => {
                review.comments.insert(k.trim_start_matches("comment_").to_owned(), v);
            }
            _ => {}
        }
    }
    if !penalty.kinds.trim().is_empty() {
        form.penalty = Some(penalty);
    }
    if has_review {
        form.review = Some(review);
    }
    if has_deliberation {
        form.deliberation = Some(deliberation);
    }
    if has_flags {
        form.flags = Some(flags);
    }
    if !chosen.is_empty() {
        form.handlers = Some(handler_forms(&chosen));
    }
    let actor = user.actor();
    match s.service.take_step(&actor, id, version, &action, &form).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/cases/{id}")).into_response()),
        Err(e) => {
            let e = PageError::or_mendable(e)?;
            let view = s.service.case_view(&actor, id).await?;
            let mut page = case_page(&s, &user, view).await?;
            page.error = Some(e.message.clone());
            page.refusals = e.refusals.clone();
            page.kept_action = action;
            page.kept = typed;
            Ok((e.status, render(&page)).into_response())
        }
    }
}

struct FlowchartView {
    id: String,
    name: String,
    file: String,
    stages: usize,
}

#[derive(Template)]
#[template(path = "procedures.html")]
struct ProceduresPage {
    me: Principal,
    csrf: String,
    procedures: Vec<FlowchartView>,
}

pub async fn procedures(State(s): State<AppState>, ConsoleUser(user): ConsoleUser) -> PageResult {
    let mut out = Vec::new();
    for p in s.service.procedures().all() {
        out.push(FlowchartView {
            id: p.id.clone(),
            name: p.name.clone(),
            file: p.file.clone(),
            stages: p.stages.len(),
        });
    }
    Ok(render(&ProceduresPage { me: user.principal.clone(), csrf: user.csrf().to_owned(), procedures: out }))
}

#[derive(Template)]
#[template(path = "party.html")]
struct PartyPage {
    me: Principal,
    csrf: String,
    key: String,
    name: String,
    cases: Vec<CaseLine>,
}

pub async fn party(State(s): State<AppState>, ConsoleUser(user): ConsoleUser, Path(key): Path<String>) -> PageResult {
    let rows = s.service.party_cases(&user.actor(), &key).await?;
    let today = s.service.today();
    let name = rows.first().map(|c| c.data.matter.party.name().to_owned()).unwrap_or_default();
    let cases = rows.iter().map(|c| line(&s, c, today)).collect();
    Ok(render(&PartyPage { me: user.principal.clone(), csrf: user.csrf().to_owned(), key, name, cases }))
}
