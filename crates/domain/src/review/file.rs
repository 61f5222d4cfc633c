//! A case's review file: the seven points and the opinion, drafts, the
//! rounds of review and resubmission, coordination and collective deliberation.

use super::*;
use crate::error::{optional_text, required_text};
use crate::ids::UserId;
use crate::money::Money;
use crate::penalty::{Penalty, PenaltyKind};
use crate::{Invalid, coded_enum};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

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

impl ReviewPoint {
    /// The answers a reviewer chooses from, in words that answer this
    /// point's question: (code, words). Whether a crime is suspected is
    /// answered yes or no, never "conforms".
    pub fn answers(self) -> &'static [(&'static str, &'static str)] {
        match self {
            ReviewPoint::Crime => {
                &[("conforms", "否，不涉嫌犯罪，无需移送"), ("problem", "是，涉嫌犯罪，需移送司法机关")]
            }
            _ => &[("conforms", "符合"), ("problem", "存在问题"), ("not_applicable", "不适用")],
        }
    }
}

impl PointFinding {
    /// The finding in words that answer its point's question.
    pub fn answer(&self) -> &'static str {
        self.point.answers().iter().find(|(code, _)| *code == self.finding.code()).map_or(self.finding.label(), |a| a.1)
    }
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
            if !point.answers().iter().any(|(code, _)| *code == finding.code()) {
                let choices: Vec<&str> = point.answers().iter().map(|a| a.1).collect();
                return Err(Invalid::new("审核事项", format!("“{}”应回答：{}", point.label(), choices.join("或"))));
            }
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
            // The written opinion is the review: never a bare click.
            comment: required_text("审核意见", &self.comment, 5000)?,
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
    /// The penalty of a penalty decision; none (the default) for other decisions.
    #[serde(default)]
    pub penalty: Penalty,
    pub legal_basis: String,
    pub facts: String,
    /// A decision that imposes no penalty, in words (准予许可, 不予许可,
    /// 实施查封扣押, 不予行政处罚 on its ground …); empty for a penalty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub decision: String,
}

impl Draft {
    /// What differs from `other`, in words.
    pub fn differences(&self, other: &Draft) -> Vec<String> {
        let mut out = Vec::new();
        if self.decision != other.decision {
            out.push(format!("拟作出的决定由“{}”改为“{}”", self.summary(), other.summary()));
        }
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

    /// A decision other than a penalty, with its basis and facts.
    pub fn of_decision(decision: String, legal_basis: &str, facts: &str) -> Self {
        Self { penalty: Penalty::default(), legal_basis: legal_basis.to_owned(), facts: facts.to_owned(), decision }
    }

    /// The penalty, for a penalty decision.
    pub fn penalty(&self) -> Option<&Penalty> {
        self.decision.is_empty().then_some(&self.penalty)
    }

    pub fn summary(&self) -> String {
        if !self.decision.is_empty() {
            return self.decision.clone();
        }
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
