//! Enforcement documents (文书, REC-4) as HTML, generated from a case's data
//! by one auto-escaping template. The same data always gives the same bytes,
//! so an archive can hash them.

use askama::Template;
use zhifa_domain::case::procedure::Procedure;
use zhifa_domain::case::{CaseData, Penalty, document_name, rules};

/// One line of the case's history, for the closing form.
pub struct StepLine {
    pub on: String,
    pub by_name: String,
    pub action_name: String,
}

/// What the documents show, prepared from the case.
pub struct DocumentView<'a> {
    pub agency_name: &'a str,
    pub number: &'a str,
    pub case: &'a CaseData,
    pub party_kind: &'static str,
    pub violation_on: String,
    pub handlers: String,
    pub filed_on: String,
    pub filing_approval: String,
    pub proposed: String,
    pub hearing_right: bool,
    pub notified_on: String,
    pub decision: String,
    pub has_fine: bool,
    pub decided_on: String,
    pub served_on: String,
    pub outcome: String,
    pub execution: String,
    pub closed_on: String,
    pub seized_on: String,
    pub seizure_until: String,
    pub accepted_on: String,
    pub permit_outcome: String,
    pub recordings: usize,
    pub steps: Vec<StepLine>,
}

fn day(d: Option<jiff::civil::Date>) -> String {
    d.map(|d| d.strftime("%Y年%m月%d日").to_string()).unwrap_or_else(|| "（尚无）".into())
}

/// The day a step happened as `show` writes days, and where it was
/// recorded later, that day and why.
fn step_day(s: &zhifa_domain::case::Step, show: fn(jiff::civil::Date) -> String) -> String {
    match s.late() {
        Some(recorded) => {
            format!("{}（{}补录，原因：{}）", show(s.on), show(recorded), s.late_reason.as_deref().unwrap_or("未写明"))
        }
        None => show(s.on),
    }
}

fn penalty(p: Option<&Penalty>) -> String {
    p.map_or_else(|| "（尚无）".into(), Penalty::in_words)
}

impl<'a> DocumentView<'a> {
    pub fn new(
        procedure: &Procedure,
        agency_name: &'a str,
        number: &'a str,
        case: &'a CaseData,
        recordings: usize,
        amounts: Option<&zhifa_domain::amounts::ProvinceAmounts>,
    ) -> Self {
        let handlers = case
            .matter
            .handlers
            .iter()
            .map(|h| format!("{}（执法证号 {}）", h.name, h.certificate))
            .collect::<Vec<_>>()
            .join("、");
        let outcome = if let Some(text) = case.no_penalty_text() {
            text
        } else if case.decision.is_some() {
            format!("给予行政处罚：{}", penalty(case.decision.as_ref()))
        } else if let Some(granted) = case.granted {
            if granted { "准予行政许可".into() } else { "不予行政许可".into() }
        } else if case.released_on.is_some() {
            format!("已于{}解除查封、扣押或依法处理", day(case.released_on))
        } else {
            "（见办理经过）".into()
        };
        let execution = if case.enforced_by_court {
            "已申请人民法院强制执行".to_owned()
        } else if case.paid.fen() > 0 {
            format!("已于{}缴纳 {} 元（含加处罚款 {} 元）", day(case.paid_on), case.paid, case.surcharge)
        } else {
            "无需缴纳罚款".to_owned()
        };
        let filing = case.steps.iter().find(|s| s.action == "file");
        Self {
            agency_name,
            number,
            case,
            party_kind: if case.matter.party.is_person() { "公民身份号码" } else { "统一社会信用代码" },
            violation_on: day(case.matter.violation_on),
            handlers,
            filed_on: day(case.filed_on),
            filing_approval: filing.map_or_else(
                || "（待批准）".into(),
                |s| format!("同意立案。{} {}", s.by_name, step_day(s, |d| day(Some(d)))),
            ),
            proposed: penalty(case.proposed.as_ref()),
            hearing_right: case
                .proposed
                .as_ref()
                .is_some_and(|p| rules::art_63_hearing_right(p, case.matter.party.is_person(), amounts)),
            notified_on: day(case.notified_on),
            decision: penalty(case.decision.as_ref()),
            has_fine: case.decision.as_ref().is_some_and(|d| d.fine.fen() > 0),
            decided_on: day(case.decided_on),
            served_on: day(case.served_on),
            outcome,
            execution,
            closed_on: day(case.closed_on),
            seized_on: day(case.seized_on),
            seizure_until: if case.seizure_until_provisional {
                format!("{}（暂估：该年节假日安排尚未公布）", day(case.seizure_until))
            } else {
                day(case.seizure_until)
            },
            accepted_on: day(case.accepted_on),
            permit_outcome: match case.granted {
                Some(true) => "符合法定条件、标准，决定准予行政许可。".into(),
                Some(false) => "不符合法定条件、标准，决定不予行政许可。".into(),
                None => "（尚未作出决定）".into(),
            },
            recordings,
            steps: case
                .steps
                .iter()
                .map(|s| StepLine {
                    on: step_day(s, |d| d.to_string()),
                    by_name: s.by_name.clone(),
                    action_name: procedure.transition(&s.action).map_or_else(
                        || if s.action == "open" { "登记".into() } else { s.action.clone() },
                        |t| t.name.clone(),
                    ),
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "document.html")]
struct DocumentPage<'a> {
    kind: &'a str,
    title: &'a str,
    v: &'a DocumentView<'a>,
}

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("没有名为“{0}”的文书")]
    Unknown(String),
    #[error("文书生成失败：{0}")]
    Render(String),
}

/// The document `kind` (a `DOCUMENTS` code) of the case, as HTML.
pub fn render(kind: &str, view: &DocumentView<'_>) -> Result<String, DocumentError> {
    let title = document_name(kind).ok_or_else(|| DocumentError::Unknown(kind.to_owned()))?;
    DocumentPage { kind, title, v: view }.render().map_err(|e| DocumentError::Render(e.to_string()))
}
