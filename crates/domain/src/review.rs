//! Legal review of major decisions (法制审核, SPEC REV): the catalogue that
//! says which decisions need review, the seven points a reviewer checks, the
//! rounds of review and resubmission, coordination and collective
//! deliberation, who was responsible for a decision, and the staffing rule.
//! Pure: the engine applies these to a case; the service brings the data.

use crate::agency::Domain;
use crate::error::{optional_text, required_text};
use crate::ids::UserId;
use crate::money::Money;
use crate::penalty::{Handler, Penalty, PenaltyKind};
use crate::people::{Category, parse_flag};
use crate::registry::{FieldKind, Level};
use crate::{Invalid, coded_enum};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

pub const ART_58_1: &str = "《行政处罚法》第五十八条第一款";
pub const ART_58_2: &str = "《行政处罚法》第五十八条第二款";
/// 国办发〔2018〕118号, part four: review bodies, scope, contents, coordination, staffing.
pub const GUIDELINE: &str = "《国务院办公厅关于全面推行行政执法公示制度执法全过程记录制度重大执法决定法制审核制度的指导意见》（国办发〔2018〕118号）";

coded_enum!(
    /// What makes a catalogue entry apply to a draft decision.
    Trigger, "触发条件" {
        FineAtLeast = "fine_at_least", "罚款数额达到（含本数）";
        ConfiscationAtLeast = "confiscation_at_least", "没收金额达到（含本数）";
        PenaltyKinds = "penalty_kinds", "处罚种类为";
        HearingHeld = "hearing_held", "经过听证程序";
        MajorPublicInterest = "major_public_interest", "涉及重大公共利益";
        SeveralLegalRelationships = "several_legal_relationships", "涉及多个法律关系";
        ComplexFacts = "complex_facts", "案件情况疑难复杂";
        RequiredByLaw = "required_by_law", "法律、法规规定应当进行法制审核";
        Always = "always", "该类决定一律审核";
    }
);

/// One line of an agency's catalogue (重大执法决定法制审核目录清单).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueEntry {
    pub name: String,
    pub category: Category,
    /// Absent: any domain, any level.
    pub domain: Option<Domain>,
    pub level: Option<Level>,
    /// 事项编码 of one enforcement item; empty: any item.
    pub item_code: String,
    pub trigger: Trigger,
    /// The threshold of `FineAtLeast` and `ConfiscationAtLeast`.
    pub amount: Money,
    /// The kinds of `PenaltyKinds`.
    pub kinds: Vec<PenaltyKind>,
    pub basis: String,
}

/// A catalogue line as typed or imported from Excel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct CatalogueEntryForm {
    pub name: String,
    pub category: String,
    pub domain: String,
    pub level: String,
    pub item_code: String,
    pub trigger: String,
    /// Yuan.
    pub amount: String,
    /// Kinds of penalty, separated by commas or 、.
    pub kinds: String,
    pub basis: String,
}

crate::registry::form_fields!(CatalogueEntryForm {
    name: "审核事项", FieldKind::Text, true;
    category: "执法类别", FieldKind::Choice(Category::CHOICES), true;
    domain: "执法领域", FieldKind::Choice(Domain::CHOICES), false;
    level: "执法层级", FieldKind::Choice(Level::CHOICES), false;
    item_code: "事项编码", FieldKind::Text, false;
    trigger: "触发条件", FieldKind::Choice(Trigger::CHOICES), true;
    amount: "金额标准（元）", FieldKind::Text, false;
    kinds: "处罚种类", FieldKind::Text, false;
    basis: "依据", FieldKind::Long, false;
});

fn optional<T>(s: &str, parse: impl Fn(&str) -> Result<T, Invalid>) -> Result<Option<T>, Invalid> {
    if s.trim().is_empty() { Ok(None) } else { parse(s).map(Some) }
}

/// Kinds of penalty separated by commas, 、 or spaces (codes or labels).
pub fn parse_kinds(s: &str) -> Result<Vec<PenaltyKind>, Invalid> {
    let mut kinds = Vec::new();
    for part in s.split([',', '，', '、', ' ', ';', '；']).filter(|p| !p.trim().is_empty()) {
        let k = PenaltyKind::parse(part)?;
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    kinds.sort();
    Ok(kinds)
}

impl CatalogueEntryForm {
    pub fn validate(&self) -> Result<CatalogueEntry, Invalid> {
        let trigger = Trigger::parse(&self.trigger)?;
        let amount = match trigger {
            Trigger::FineAtLeast | Trigger::ConfiscationAtLeast => {
                let a = Money::parse_yuan("金额标准（元）", &self.amount)?;
                if a == Money::ZERO {
                    return Err(Invalid::new("金额标准（元）", "应大于零"));
                }
                a
            }
            _ => Money::ZERO,
        };
        let kinds = if trigger == Trigger::PenaltyKinds {
            let k = parse_kinds(&self.kinds)?;
            if k.is_empty() {
                return Err(Invalid::new("处罚种类", "触发条件为处罚种类时至少填写一种"));
            }
            k
        } else {
            Vec::new()
        };
        Ok(CatalogueEntry {
            name: required_text("审核事项", &self.name, 200)?,
            category: Category::parse(&self.category)?,
            domain: optional(&self.domain, Domain::parse)?,
            level: optional(&self.level, Level::parse)?,
            item_code: optional_text("事项编码", &self.item_code, 50)?,
            trigger,
            amount,
            kinds,
            basis: optional_text("依据", &self.basis, 1000)?,
        })
    }
}

impl From<&CatalogueEntry> for CatalogueEntryForm {
    fn from(e: &CatalogueEntry) -> Self {
        Self {
            name: e.name.clone(),
            category: e.category.code().to_owned(),
            domain: e.domain.map(|d| d.code().to_owned()).unwrap_or_default(),
            level: e.level.map(|l| l.code().to_owned()).unwrap_or_default(),
            item_code: e.item_code.clone(),
            trigger: e.trigger.code().to_owned(),
            amount: if e.amount == Money::ZERO { String::new() } else { e.amount.to_string().replace(',', "") },
            kinds: e.kinds.iter().map(|k| k.code()).collect::<Vec<_>>().join(","),
            basis: e.basis.clone(),
        }
    }
}

impl CatalogueEntry {
    /// The condition in words, for lists and triggers.
    pub fn condition(&self) -> String {
        match self.trigger {
            Trigger::FineAtLeast | Trigger::ConfiscationAtLeast => {
                format!("{} {} 元", self.trigger.label(), self.amount)
            }
            Trigger::PenaltyKinds => {
                format!(
                    "{}{}",
                    self.trigger.label(),
                    self.kinds.iter().map(|k| k.label()).collect::<Vec<_>>().join("、")
                )
            }
            t => t.label().to_owned(),
        }
    }
}

/// The default time a review may take, in working days.
pub const DEFAULT_TIME_LIMIT: u16 = 7;
/// Working days a head may add to a review, once.
pub const MAX_EXTENSION: u16 = 3;

/// An agency's catalogue and its review settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewCatalogue {
    pub entries: Vec<CatalogueEntry>,
    /// Every general-procedure penalty decision is reviewed.
    pub review_all_general: bool,
    /// Working days a review may take.
    pub time_limit_days: u16,
}

impl Default for ReviewCatalogue {
    fn default() -> Self {
        Self { entries: Vec::new(), review_all_general: false, time_limit_days: DEFAULT_TIME_LIMIT }
    }
}

/// The settings of a catalogue as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct CatalogueSettingsForm {
    /// "true"/"是"/"on" for yes.
    pub review_all_general: String,
    /// Working days; 7 if empty.
    pub time_limit_days: String,
}

impl CatalogueSettingsForm {
    /// The catalogue with these settings and `entries`.
    pub fn validate(&self, entries: Vec<CatalogueEntry>) -> Result<ReviewCatalogue, Invalid> {
        let days = if self.time_limit_days.trim().is_empty() {
            DEFAULT_TIME_LIMIT
        } else {
            self.time_limit_days
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|d| (1..=30).contains(d))
                .ok_or_else(|| Invalid::new("审核时限（工作日）", "应为 1 至 30 之间的整数"))?
        };
        Ok(ReviewCatalogue { entries, review_all_general: parse_flag(&self.review_all_general), time_limit_days: days })
    }
}

/// The catalogue flags of art. 58 that the handling unit sets on a case.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ReviewFlags {
    /// 涉及重大公共利益.
    pub major_public_interest: bool,
    /// 涉及多个法律关系.
    pub several_legal_relationships: bool,
    /// 案件情况疑难复杂.
    pub complex_facts: bool,
    /// 法律、法规规定应当进行法制审核.
    pub required_by_law: bool,
}

impl ReviewFlags {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    fn has(&self, t: Trigger) -> bool {
        match t {
            Trigger::MajorPublicInterest => self.major_public_interest,
            Trigger::SeveralLegalRelationships => self.several_legal_relationships,
            Trigger::ComplexFacts => self.complex_facts,
            Trigger::RequiredByLaw => self.required_by_law,
            _ => false,
        }
    }
}

/// What the catalogue is evaluated against: a draft decision and its case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewSubject<'a> {
    pub category: Category,
    pub domain: Option<Domain>,
    pub level: Option<Level>,
    pub item_code: Option<&'a str>,
    pub penalty: Option<&'a Penalty>,
    pub hearing_held: bool,
    pub flags: ReviewFlags,
}

/// Why a draft needs review: where it comes from and the condition met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewTrigger {
    /// 《行政处罚法》第五十八条… or 目录清单：<entry>.
    pub source: String,
    pub reason: String,
}

impl std::fmt::Display for ReviewTrigger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}（{}）", self.reason, self.source)
    }
}

/// Art. 58 ¶1 and the agency's catalogue: every reason `s` needs legal
/// review before the decision (none: it does not).
pub fn art_58_review_required(catalogue: &ReviewCatalogue, s: &ReviewSubject<'_>) -> Vec<ReviewTrigger> {
    let mut out = Vec::new();
    let law = |item: &str, reason: &str| ReviewTrigger { source: format!("{ART_58_1}{item}"), reason: reason.into() };
    if s.category == Category::Penalty {
        if s.flags.major_public_interest {
            out.push(law("第（一）项", "涉及重大公共利益"));
        }
        if s.hearing_held {
            out.push(law("第（二）项", "直接关系当事人或者第三人重大权益，经过听证程序"));
        }
        if s.flags.complex_facts || s.flags.several_legal_relationships {
            out.push(law("第（三）项", "案件情况疑难复杂、涉及多个法律关系"));
        }
        if s.flags.required_by_law {
            out.push(law("第（四）项", "法律、法规规定应当进行法制审核"));
        }
        if catalogue.review_all_general {
            out.push(ReviewTrigger {
                source: "本机关目录清单".into(),
                reason: "适用一般程序的行政处罚决定均须法制审核".into(),
            });
        }
    }
    for e in &catalogue.entries {
        let scope = e.category == s.category
            && e.domain.is_none_or(|d| Some(d) == s.domain)
            && e.level.is_none_or(|l| Some(l) == s.level)
            && (e.item_code.is_empty() || Some(e.item_code.as_str()) == s.item_code);
        let fine = s.penalty.map_or(Money::ZERO, |p| p.fine);
        let confiscation = s.penalty.map_or(Money::ZERO, |p| p.confiscation);
        let met = match e.trigger {
            Trigger::FineAtLeast => fine >= e.amount,
            Trigger::ConfiscationAtLeast => confiscation >= e.amount,
            Trigger::PenaltyKinds => s.penalty.is_some_and(|p| p.kinds.iter().any(|k| e.kinds.contains(k))),
            Trigger::HearingHeld => s.hearing_held,
            Trigger::Always => true,
            t => s.flags.has(t),
        };
        if scope && met {
            out.push(ReviewTrigger { source: format!("本机关目录清单：{}", e.name), reason: e.condition() });
        }
    }
    out
}

coded_enum!(
    /// The seven points of REV-3 (国办发〔2018〕118号).
    ReviewPoint, "审核事项" {
        Subject = "subject", "执法主体是否合法，执法人员是否具备执法资格";
        Procedure = "procedure", "执法程序是否合法";
        Facts = "facts", "案件事实是否清楚，证据是否合法充分";
        Law = "law", "适用法律、法规、规章是否准确，裁量基准运用是否适当";
        Authority = "authority", "执法是否超越本机关法定权限";
        Documents = "documents", "执法文书是否完备、规范";
        Crime = "crime", "违法行为是否涉嫌犯罪、需要移送司法机关";
    }
);

coded_enum!(
    /// A reviewer's finding on one point.
    Finding, "审核结论" {
        Conforms = "conforms", "符合";
        Problem = "problem", "存在问题";
        NotApplicable = "not_applicable", "不适用";
    }
);

coded_enum!(
    /// 审核意见.
    ReviewOpinion, "审核意见" {
        Approve = "approve", "同意";
        Problems = "problems", "存在问题";
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointFinding {
    pub point: ReviewPoint,
    pub finding: Finding,
    pub comment: String,
}

/// A reviewer's review of one round: a finding on each point, the opinion,
/// and what to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewInput {
    pub findings: Vec<PointFinding>,
    pub opinion: ReviewOpinion,
    /// With `Problems`: each thing the handling unit is to fix.
    pub problems: Vec<String>,
    /// The written opinion.
    pub comment: String,
}

/// The seven points as typed: `findings[point] = finding`, `comments[point] = text`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ReviewForm {
    /// Point code → `conforms`, `problem` or `not_applicable` (or the labels).
    pub findings: std::collections::BTreeMap<String, String>,
    pub comments: std::collections::BTreeMap<String, String>,
    /// `approve` (同意) or `problems` (存在问题).
    pub opinion: String,
    /// What to fix, one per line.
    pub problems: String,
    pub comment: String,
}

/// Split text into its non-empty lines.
pub fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

impl ReviewForm {
    pub fn validate(&self) -> Result<ReviewInput, Invalid> {
        let mut findings = Vec::new();
        for point in ReviewPoint::ALL {
            let typed = self.findings.get(point.code()).map(String::as_str).unwrap_or("");
            if typed.trim().is_empty() {
                return Err(Invalid::new("审核事项", format!("“{}”尚未给出审核结论", point.label())));
            }
            let finding = Finding::parse(typed)?;
            let comment = optional_text("审核说明", self.comments.get(point.code()).map_or("", String::as_str), 2000)?;
            findings.push(PointFinding { point: *point, finding, comment });
        }
        let problems = lines(&self.problems);
        if problems.iter().any(|p| p.chars().count() > 1000) {
            return Err(Invalid::new("存在的问题", "每项不能超过 1000 个字"));
        }
        Ok(ReviewInput {
            findings,
            opinion: ReviewOpinion::parse(&self.opinion)?,
            problems,
            comment: optional_text("审核意见", &self.comment, 5000)?,
        })
    }
}

/// REV-3/REV-4: every point has a finding; "agree" only when no point has a
/// problem; "problems" names at least one point and says what to fix; a
/// problem found on a point is explained.
pub fn guideline_seven_points(r: &ReviewInput) -> Result<(), String> {
    for point in ReviewPoint::ALL {
        if !r.findings.iter().any(|f| f.point == *point) {
            return Err(format!("“{}”尚未给出审核结论", point.label()));
        }
    }
    let problem_points: Vec<&PointFinding> = r.findings.iter().filter(|f| f.finding == Finding::Problem).collect();
    if let Some(f) = problem_points.iter().find(|f| f.comment.trim().is_empty()) {
        return Err(format!("“{}”存在问题，应写明问题所在", f.point.label()));
    }
    match r.opinion {
        ReviewOpinion::Approve if !problem_points.is_empty() => {
            Err(format!("“{}”存在问题，审核意见不能为同意", problem_points[0].point.label()))
        }
        ReviewOpinion::Problems if problem_points.is_empty() => {
            Err("审核意见为存在问题，应至少在一项审核事项上指出问题".into())
        }
        ReviewOpinion::Problems if r.problems.is_empty() => {
            Err("审核意见为存在问题，应写明需要承办机构纠正或补充的事项".into())
        }
        _ => Ok(()),
    }
}

/// The draft decision under review: what is to be imposed, on what basis
/// and facts. A review passes for one draft only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub penalty: Penalty,
    pub legal_basis: String,
    pub facts: String,
}

impl Draft {
    /// What differs from `other`, in words.
    pub fn differences(&self, other: &Draft) -> Vec<String> {
        let mut out = Vec::new();
        let (a, b) = (&self.penalty, &other.penalty);
        if a.kinds != b.kinds {
            out.push(format!("处罚种类由“{}”改为“{}”", a.kinds_label(), b.kinds_label()));
        }
        if a.fine != b.fine {
            out.push(format!("罚款由 {} 元改为 {} 元", a.fine, b.fine));
        }
        if a.confiscation != b.confiscation {
            out.push(format!("没收金额由 {} 元改为 {} 元", a.confiscation, b.confiscation));
        }
        if a.text != b.text {
            out.push("处罚内容已修改".into());
        }
        if self.legal_basis != other.legal_basis {
            out.push("法律依据已修改".into());
        }
        if self.facts != other.facts {
            out.push("案件事实已修改".into());
        }
        out
    }

    pub fn summary(&self) -> String {
        let p = &self.penalty;
        let parts: Vec<String> = p
            .kinds
            .iter()
            .map(|k| match k {
                PenaltyKind::Fine => format!("罚款 {} 元", p.fine),
                PenaltyKind::Confiscation if p.confiscation > Money::ZERO => format!("没收 {} 元", p.confiscation),
                other => other.label().to_owned(),
            })
            .collect();
        parts.join("，")
    }
}

coded_enum!(
    /// How a round ended.
    RoundResult, "审核结果" {
        Approved = "approved", "同意";
        Problems = "problems", "存在问题，退回";
        Incomplete = "incomplete", "材料不全，退回补充";
    }
);

/// A reviewer's answer to one round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundOutcome {
    pub result: RoundResult,
    pub reviewed_by: UserId,
    pub reviewer_name: String,
    pub on: Date,
    pub findings: Vec<PointFinding>,
    pub problems: Vec<String>,
    /// The written opinion, or why the materials are incomplete.
    pub comment: String,
}

/// One submission to review and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRound {
    pub number: u16,
    pub submitted_on: Date,
    pub submitted_by: UserId,
    pub submitted_by_name: String,
    pub draft: Draft,
    /// Why review is required, as the catalogue said at submission.
    pub triggers: Vec<ReviewTrigger>,
    /// The handling unit's answer to each problem of the round before.
    pub answers: Vec<String>,
    /// Working days a head added to this round's time limit.
    pub extension_days: u16,
    pub outcome: Option<RoundOutcome>,
}

/// The reviewer a review is assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignee {
    pub user: UserId,
    pub name: String,
    pub on: Date,
    pub by: UserId,
    pub by_name: String,
}

/// A coordination between the handling unit and the reviewers (协调).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coordination {
    pub requested_on: Date,
    pub requested_by: UserId,
    pub requested_by_name: String,
    /// The handling unit's view.
    pub view: String,
    pub on: Option<Date>,
    pub by: Option<UserId>,
    pub by_name: String,
    pub participants: Vec<String>,
    pub outcome: String,
    /// Agreed (back to review) or not (to collective deliberation).
    pub agreed: Option<bool>,
}

/// The review file of a case: its rounds, its reviewer, its coordinations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReviewFile {
    pub reviewer: Option<Assignee>,
    pub rounds: Vec<ReviewRound>,
    pub coordinations: Vec<Coordination>,
}

impl ReviewFile {
    pub fn is_empty(&self) -> bool {
        self.reviewer.is_none() && self.rounds.is_empty() && self.coordinations.is_empty()
    }

    pub fn current(&self) -> Option<&ReviewRound> {
        self.rounds.last()
    }

    /// Rounds whose answer was "problems".
    pub fn problem_rounds(&self) -> usize {
        self.rounds.iter().filter(|r| r.outcome.as_ref().is_some_and(|o| o.result == RoundResult::Problems)).count()
    }

    /// The draft of the last round, if it was approved.
    pub fn approved_draft(&self) -> Option<&Draft> {
        let r = self.rounds.last()?;
        (r.outcome.as_ref()?.result == RoundResult::Approved).then_some(&r.draft)
    }
}

/// One participant's view in a collective deliberation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    pub person: String,
    pub view: String,
}

/// 集体讨论: the heads decide together (art. 57), and settle a disagreement
/// between the handling unit and the reviewers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deliberation {
    pub on: Date,
    pub chaired_by: UserId,
    pub chair_name: String,
    pub participants: Vec<String>,
    pub views: Vec<View>,
    pub outcome: String,
    /// The draft decided on, if the deliberation decided (not sent back).
    pub decided: Option<Draft>,
    /// It settled a disagreement the review had not.
    pub after_disagreement: bool,
}

/// A deliberation as typed: participants one per line, views one per line as
/// `姓名：意见`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct DeliberationForm {
    pub participants: String,
    pub views: String,
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliberationInput {
    pub participants: Vec<String>,
    pub views: Vec<View>,
    pub outcome: String,
}

impl DeliberationForm {
    pub fn validate(&self) -> Result<DeliberationInput, Invalid> {
        let participants = lines(&self.participants);
        if participants.len() < 2 {
            return Err(Invalid::new("参加人员", "集体讨论应至少有两名机关负责人参加，每行一人"));
        }
        let mut views = Vec::new();
        for line in lines(&self.views) {
            let Some((person, view)) = line.split_once(['：', ':']) else {
                return Err(Invalid::new("讨论意见", format!("“{line}”应写作“姓名：意见”")));
            };
            views.push(View { person: person.trim().to_owned(), view: view.trim().to_owned() });
        }
        if views.is_empty() {
            return Err(Invalid::new("讨论意见", "应记录每位参加人员的意见"));
        }
        if let Some(v) = views.iter().find(|v| !participants.iter().any(|p| p.starts_with(v.person.as_str()))) {
            return Err(Invalid::new("讨论意见", format!("“{}”不在参加人员中", v.person)));
        }
        Ok(DeliberationInput { participants, views, outcome: required_text("讨论结论", &self.outcome, 2000)? })
    }
}

/// Art. 58: a decision that needs review is issued only on the draft a
/// review passed (or a collective deliberation settled); a draft changed
/// since is no longer approved.
pub fn art_58_no_decision_without_review(
    triggers: &[ReviewTrigger],
    cleared: Option<&Draft>,
    draft: &Draft,
) -> Result<(), String> {
    if triggers.is_empty() {
        return Ok(());
    }
    let why = triggers.iter().map(ToString::to_string).collect::<Vec<_>>().join("；");
    match cleared {
        Some(c) if c == draft => Ok(()),
        Some(c) => Err(format!(
            "审核通过后拟作出的决定已改变（{}），原审核意见失效，应重新提交法制审核",
            c.differences(draft).join("；")
        )),
        None => Err(format!("本决定须经法制审核（{why}），未经法制审核或者审核未通过的，不得作出决定")),
    }
}

/// What the engine knows of the case's agency for legal review.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewContext {
    pub catalogue: ReviewCatalogue,
    pub domain: Option<Domain>,
    pub level: Option<Level>,
    /// The 事项编码 of the case's enforcement item.
    pub item_code: Option<String>,
}

/// The person who would review: the one assigned, or a reviewer taking it up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewerInfo {
    pub user: UserId,
    pub name: String,
    /// A reviewer (法制审核人员) of the case's agency, in post.
    pub is_reviewer: bool,
    pub legal_qualification: bool,
    /// Penalty reviews this person has answered before (not counting returns for incomplete material).
    pub prior_penalty_reviews: u32,
}

/// 国办发〔2018〕118号 (办审分离): the reviewer never handled the case — not
/// one of its officers, nor anyone who took an officer's step in it.
pub fn guideline_separation_of_handling_and_review(
    reviewer: UserId,
    handlers: &[Handler],
    handling_steps_by: &[UserId],
) -> Result<(), String> {
    if handlers.iter().any(|h| h.user == reviewer) || handling_steps_by.contains(&reviewer) {
        return Err("承办本案的人员不得审核本案（办审分离）".into());
    }
    Ok(())
}

/// Art. 58 ¶2: a person reviewing penalty decisions for the first time holds
/// the legal professional qualification (法律职业资格).
pub fn art_58_first_time_reviewer_qualified(r: &ReviewerInfo, category: Category) -> Result<(), String> {
    if !r.is_reviewer {
        return Err(format!("{}不是本机关的法制审核人员", r.name));
    }
    if category == Category::Penalty && r.prior_penalty_reviews == 0 && !r.legal_qualification {
        return Err(format!("{}初次从事行政处罚决定法制审核，应当取得法律职业资格", r.name));
    }
    Ok(())
}

/// 国办发〔2018〕118号: reviewers are at least 5% of the agency's
/// enforcement staff. `true` if the agency is below that.
pub fn guideline_reviewers_below_five_percent(reviewers: u32, certified_officers: u32) -> bool {
    certified_officers > 0 && u64::from(reviewers) * 100 < u64::from(certified_officers) * 5
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn fine(yuan: i64) -> Penalty {
        Penalty { kinds: vec![PenaltyKind::Fine], fine: Money::yuan(yuan), ..Default::default() }
    }

    fn entry(trigger: &str, amount: &str, kinds: &str) -> CatalogueEntry {
        CatalogueEntryForm {
            name: "较大数额罚款".into(),
            category: "行政处罚".into(),
            trigger: trigger.into(),
            amount: amount.into(),
            kinds: kinds.into(),
            ..Default::default()
        }
        .validate()
        .unwrap()
    }

    fn subject(p: &Penalty) -> ReviewSubject<'_> {
        ReviewSubject {
            category: Category::Penalty,
            domain: Some(Domain::Market),
            level: Some(Level::County),
            item_code: None,
            penalty: Some(p),
            hearing_held: false,
            flags: ReviewFlags::default(),
        }
    }

    #[test]
    fn art_58_review_required_by_the_catalogue_threshold() {
        let catalogue = ReviewCatalogue { entries: vec![entry("fine_at_least", "10000", "")], ..Default::default() };
        assert!(art_58_review_required(&catalogue, &subject(&fine(9_999))).is_empty());
        let at = art_58_review_required(&catalogue, &subject(&fine(10_000)));
        assert_eq!(at.len(), 1);
        assert!(at[0].source.contains("较大数额罚款") && at[0].reason.contains("10,000.00"), "{at:?}");
        // An agency that reviews every general-procedure penalty.
        let all = ReviewCatalogue { review_all_general: true, ..catalogue };
        assert_eq!(art_58_review_required(&all, &subject(&fine(100))).len(), 1);
    }

    #[test]
    fn art_58_review_required_by_law_whatever_the_catalogue() {
        let empty = ReviewCatalogue::default();
        let p = fine(100);
        assert!(art_58_review_required(&empty, &subject(&p)).is_empty());
        let heard = ReviewSubject { hearing_held: true, ..subject(&p) };
        assert!(art_58_review_required(&empty, &heard)[0].source.contains("第（二）项"));
        for flags in [
            ReviewFlags { major_public_interest: true, ..Default::default() },
            ReviewFlags { several_legal_relationships: true, ..Default::default() },
            ReviewFlags { complex_facts: true, ..Default::default() },
            ReviewFlags { required_by_law: true, ..Default::default() },
        ] {
            assert_eq!(art_58_review_required(&empty, &ReviewSubject { flags, ..subject(&p) }).len(), 1, "{flags:?}");
        }
    }

    #[test]
    fn catalogue_entries_apply_in_their_scope_only() {
        let mut e = entry("penalty_kinds", "", "吊销许可证件、责令关闭");
        let revoke = Penalty { kinds: vec![PenaltyKind::RevokePermit], ..Default::default() };
        let catalogue = ReviewCatalogue { entries: vec![e.clone()], ..Default::default() };
        assert_eq!(art_58_review_required(&catalogue, &subject(&revoke)).len(), 1);
        assert!(art_58_review_required(&catalogue, &subject(&fine(50))).is_empty());
        e.domain = Some(Domain::Ecology);
        let other_domain = ReviewCatalogue { entries: vec![e.clone()], ..Default::default() };
        assert!(art_58_review_required(&other_domain, &subject(&revoke)).is_empty());
        e.domain = None;
        e.item_code = "330106001".into();
        let one_item = ReviewCatalogue { entries: vec![e], ..Default::default() };
        assert!(art_58_review_required(&one_item, &subject(&revoke)).is_empty());
        let s = ReviewSubject { item_code: Some("330106001"), ..subject(&revoke) };
        assert_eq!(art_58_review_required(&one_item, &s).len(), 1);
    }

    #[test]
    fn catalogue_lines_round_trip_and_refuse_what_is_missing() {
        let e = entry("fine_at_least", "20,000", "");
        assert_eq!(CatalogueEntryForm::from(&e).validate().unwrap(), e);
        let no_amount =
            CatalogueEntryForm { trigger: "罚款数额达到（含本数）".into(), ..CatalogueEntryForm::from(&e) };
        let no_amount = CatalogueEntryForm { amount: String::new(), ..no_amount };
        assert_eq!(no_amount.validate().unwrap_err().field, "金额标准（元）");
        let no_kinds = CatalogueEntryForm { trigger: "penalty_kinds".into(), ..Default::default() };
        let no_kinds = CatalogueEntryForm { name: "x".into(), category: "penalty".into(), ..no_kinds };
        assert_eq!(no_kinds.validate().unwrap_err().field, "处罚种类");
    }

    fn review(opinion: ReviewOpinion, problem_on: Option<ReviewPoint>, problems: &[&str]) -> ReviewInput {
        ReviewInput {
            findings: ReviewPoint::ALL
                .iter()
                .map(|p| PointFinding {
                    point: *p,
                    finding: if Some(*p) == problem_on { Finding::Problem } else { Finding::Conforms },
                    comment: if Some(*p) == problem_on { "证据不足".into() } else { String::new() },
                })
                .collect(),
            opinion,
            problems: problems.iter().map(|s| (*s).to_owned()).collect(),
            comment: String::new(),
        }
    }

    #[test]
    fn guideline_seven_points_and_a_consistent_opinion() {
        assert!(guideline_seven_points(&review(ReviewOpinion::Approve, None, &[])).is_ok());
        let m = guideline_seven_points(&review(ReviewOpinion::Approve, Some(ReviewPoint::Facts), &[])).unwrap_err();
        assert!(m.contains("不能为同意"), "{m}");
        assert!(guideline_seven_points(&review(ReviewOpinion::Problems, None, &["补充证据"])).is_err());
        assert!(guideline_seven_points(&review(ReviewOpinion::Problems, Some(ReviewPoint::Facts), &[])).is_err());
        assert!(
            guideline_seven_points(&review(ReviewOpinion::Problems, Some(ReviewPoint::Facts), &["补充证据"])).is_ok()
        );
        let mut six = review(ReviewOpinion::Approve, None, &[]);
        six.findings.pop();
        assert!(guideline_seven_points(&six).unwrap_err().contains("移送司法机关"));
    }

    #[test]
    fn review_form_needs_every_point() {
        let mut f = ReviewForm { opinion: "同意".into(), ..Default::default() };
        assert_eq!(f.validate().unwrap_err().field, "审核事项");
        for p in ReviewPoint::ALL {
            f.findings.insert(p.code().into(), "符合".into());
        }
        assert_eq!(f.validate().unwrap().findings.len(), 7);
    }

    #[test]
    fn guideline_handler_never_reviews_own_case() {
        let h = Handler { user: UserId(7), name: "王".into(), certificate: "c".into() };
        assert!(guideline_separation_of_handling_and_review(UserId(7), std::slice::from_ref(&h), &[]).is_err());
        assert!(
            guideline_separation_of_handling_and_review(UserId(9), std::slice::from_ref(&h), &[UserId(9)]).is_err()
        );
        assert!(guideline_separation_of_handling_and_review(UserId(8), &[h], &[UserId(9)]).is_ok());
    }

    #[test]
    fn art_58_first_time_penalty_reviewer_holds_the_qualification() {
        let r = ReviewerInfo {
            user: UserId(3),
            name: "李".into(),
            is_reviewer: true,
            legal_qualification: false,
            prior_penalty_reviews: 0,
        };
        assert!(art_58_first_time_reviewer_qualified(&r, Category::Penalty).unwrap_err().contains("法律职业资格"));
        assert!(art_58_first_time_reviewer_qualified(&r, Category::Permit).is_ok());
        let experienced = ReviewerInfo { prior_penalty_reviews: 1, ..r.clone() };
        assert!(art_58_first_time_reviewer_qualified(&experienced, Category::Penalty).is_ok());
        let qualified = ReviewerInfo { legal_qualification: true, ..r.clone() };
        assert!(art_58_first_time_reviewer_qualified(&qualified, Category::Penalty).is_ok());
        let officer = ReviewerInfo { is_reviewer: false, ..qualified };
        assert!(art_58_first_time_reviewer_qualified(&officer, Category::Penalty).is_err());
    }

    #[test]
    fn guideline_reviewers_at_least_five_percent() {
        assert!(!guideline_reviewers_below_five_percent(1, 20));
        assert!(guideline_reviewers_below_five_percent(1, 21));
        assert!(guideline_reviewers_below_five_percent(0, 3));
        assert!(!guideline_reviewers_below_five_percent(0, 0));
    }

    #[test]
    fn deliberation_records_each_view_of_a_participant() {
        let f = DeliberationForm {
            participants: "王局长\n李副局长\n".into(),
            views: "王局长：同意承办意见\n李副局长：同意".into(),
            outcome: "维持承办机构意见".into(),
        };
        assert_eq!(f.validate().unwrap().views.len(), 2);
        let stranger = DeliberationForm { views: "赵某：反对".into(), ..f.clone() };
        assert!(stranger.validate().unwrap_err().message.contains("赵某"));
        let alone = DeliberationForm { participants: "王局长".into(), ..f };
        assert_eq!(alone.validate().unwrap_err().field, "参加人员");
    }

    #[test]
    fn art_58_no_decision_but_on_the_draft_that_passed() {
        let a = Draft { penalty: fine(30_000), legal_basis: "b".into(), facts: "f".into() };
        let t = vec![ReviewTrigger { source: "s".into(), reason: "r".into() }];
        assert!(art_58_no_decision_without_review(&[], None, &a).is_ok());
        assert!(art_58_no_decision_without_review(&t, None, &a).unwrap_err().contains("不得作出决定"));
        assert!(art_58_no_decision_without_review(&t, Some(&a), &a).is_ok());
        let b = Draft { penalty: fine(25_000), ..a.clone() };
        assert!(art_58_no_decision_without_review(&t, Some(&a), &b).unwrap_err().contains("原审核意见失效"));
    }

    #[test]
    fn a_draft_in_words() {
        let mut p = fine(30_000);
        assert_eq!(
            Draft { penalty: p.clone(), legal_basis: String::new(), facts: String::new() }.summary(),
            "罚款 30,000.00 元"
        );
        p.kinds.insert(0, PenaltyKind::Warning);
        assert_eq!(
            Draft { penalty: p, legal_basis: String::new(), facts: String::new() }.summary(),
            "警告，罚款 30,000.00 元"
        );
    }

    #[test]
    fn a_changed_draft_says_what_changed() {
        let a = Draft { penalty: fine(30_000), legal_basis: "b".into(), facts: "f".into() };
        let b = Draft { penalty: fine(25_000), ..a.clone() };
        assert_eq!(a.differences(&b), vec!["罚款由 30,000.00 元改为 25,000.00 元".to_owned()]);
        assert!(a.differences(&a).is_empty());
        let _ = date(2025, 1, 1);
    }
}
