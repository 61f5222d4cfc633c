//! What a step brings and everything a gate may look at: the inputs of the
//! engine ([`super::engine`]) and of the rules ([`super::rules`]).

use super::procedure::Procedure;
use super::reviewed::draft_at_hand;
use super::{CaseData, Handler, Penalty};
use crate::ids::UserId;
use crate::money::Money;
use crate::people::{CertificateData, Role};
use crate::review::{DeliberationInput, Draft, ReviewContext, ReviewFlags, ReviewInput, ReviewerInfo};
use jiff::civil::Date;
use zhifa_calendar::Calendar;

/// The certificates of each person, as the registry holds them.
pub type CertificatesOf<'a> = dyn Fn(UserId) -> Vec<CertificateData> + 'a;

/// What a step brings: when, by whom, and what the effect needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepInput {
    /// When it happened, as stated.
    pub on: Date,
    /// When it is recorded (the server's today): a later day than `on` is a
    /// late entry (补录), which needs `late_reason` and may be late by at most
    /// `late_entry_days` working days (REC-2).
    pub recorded_on: Date,
    pub late_reason: String,
    /// The agency's bound on late entries, in working days.
    pub late_entry_days: u16,
    pub by: UserId,
    pub by_name: String,
    pub role: Option<Role>,
    pub note: String,
    /// The officers at this step, with the certificates they showed; if
    /// given they become the case's handlers.
    pub handlers: Option<Vec<Handler>>,
    /// `notify`, `decide`, `decide_on_site`: the penalty.
    pub penalty: Option<Penalty>,
    /// `decide_no_penalty`, `extend`: why.
    pub reason: String,
    /// `decide_no_penalty`: the ground in law, chosen explicitly.
    pub no_penalty_ground: Option<crate::penalty::NoPenaltyGround>,
    /// `decide_no_penalty` under art. 33: first violation, minor harm, corrected.
    pub first_minor: Option<[bool; 3]>,
    /// `extend`: which limit, by how many days.
    pub limit: String,
    pub days: u16,
    /// `pay`: how much.
    pub amount: Money,
    /// Legal review: who would review (the one named by `assign_reviewer`,
    /// else the person taking the step).
    pub reviewer: Option<ReviewerInfo>,
    /// `review`, `review_problems`: the seven points and the opinion.
    pub review: Option<ReviewInput>,
    /// `resubmit`: the answer to each problem.
    pub answers: Vec<String>,
    /// `deliberate`, `deliberate_revise`.
    pub deliberation: Option<DeliberationInput>,
    /// `coordinate`, `refer_deliberation`: who took part.
    pub participants: Vec<String>,
    /// `amend`: new facts, basis or flags (absent: unchanged).
    pub facts: Option<String>,
    pub legal_basis: Option<String>,
    pub flags: Option<ReviewFlags>,
    /// `submit_review` of a decision that is not a penalty: the action that
    /// would make it (`grant`, `deny`, `approve`, `decide_no_penalty` …).
    pub decides: Option<String>,
    /// `annul`: who set the decision aside (the document is in `reason`).
    pub annulled_by: Option<super::AnnulledBy>,
}

impl StepInput {
    /// A step on `on` by `by`, recorded the same day, with nothing else yet.
    pub fn new(on: Date, by: UserId, by_name: &str) -> Self {
        Self {
            on,
            recorded_on: on,
            late_reason: String::new(),
            late_entry_days: crate::agency::DEFAULT_LATE_ENTRY_DAYS,
            by,
            by_name: by_name.to_owned(),
            role: None,
            note: String::new(),
            handlers: None,
            penalty: None,
            reason: String::new(),
            no_penalty_ground: None,
            first_minor: None,
            limit: String::new(),
            days: 0,
            amount: Money::ZERO,
            reviewer: None,
            review: None,
            answers: Vec::new(),
            deliberation: None,
            participants: Vec::new(),
            facts: None,
            legal_basis: None,
            flags: None,
            decides: None,
            annulled_by: None,
        }
    }
}

/// A recording attached to a case: the stage it proves (id or name) and
/// what its bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingRef {
    pub step: String,
    pub kind: crate::evidence::MediaKind,
}

/// Everything a gate may look at.
pub struct Facts<'a> {
    pub procedure: &'a Procedure,
    /// The action asked for (set by [`super::engine::take`]).
    pub action: &'a str,
    pub case: &'a CaseData,
    pub stage: &'a str,
    pub step: &'a StepInput,
    pub certificates: &'a CertificatesOf<'a>,
    pub recordings: &'a [RecordingRef],
    pub calendar: &'a Calendar,
    /// The calendar with the years it lacks estimated (weekends only): what
    /// a rule is checked against when `calendar` cannot tell (REC-3).
    pub estimate: &'a Calendar,
    /// The agency's catalogue and what it is matched on.
    pub review: &'a ReviewContext,
    /// The amounts of the agency's province (`None`: not loaded).
    pub amounts: Option<&'a crate::amounts::ProvinceAmounts>,
}

impl Facts<'_> {
    /// The officers of this step: those given with it, or the case's.
    pub fn handlers(&self) -> &[Handler] {
        self.step.handlers.as_deref().unwrap_or(&self.case.matter.handlers)
    }

    pub fn penalty(&self) -> Result<&Penalty, String> {
        self.step.penalty.as_ref().ok_or_else(|| "未填写处罚内容".to_owned())
    }

    /// The draft a step submits for review: its penalty, else the last
    /// round's, else the one proposed in the notice; with the case's basis and facts.
    pub fn draft(&self) -> Option<Draft> {
        let (legal_basis, facts) = (&self.case.matter.legal_basis, &self.case.matter.facts);
        if let Some(p) = &self.step.penalty {
            let (legal_basis, facts) = (legal_basis.clone(), facts.clone());
            return Some(Draft { penalty: p.clone(), legal_basis, facts, decision: String::new() });
        }
        let reviewed = |action: &str| self.procedure.transition(action).filter(|t| t.is_reviewed_decision());
        match reviewed(self.action).or_else(|| self.step.decides.as_deref().and_then(reviewed)) {
            Some(t) => Some(Draft::of_decision(self.decision_in_words(t), legal_basis, facts)),
            None => draft_at_hand(self.case),
        }
    }

    /// A decision other than a penalty, as a draft and the document name
    /// it: the action's name, and the ground of a decision of no penalty.
    fn decision_in_words(&self, t: &super::procedure::Transition) -> String {
        match self.step.no_penalty_ground {
            Some(ground) if t.effect == "decide_no_penalty" => format!("{}（{}）", t.name, ground.label()),
            _ => t.name.clone(),
        }
    }

    /// The people who took the case's steps other than reviewing it.
    pub fn handling_steps_by(&self) -> Vec<UserId> {
        self.case.steps.iter().filter(|s| !REVIEW_ACTIONS.contains(&s.action.as_str())).map(|s| s.by).collect()
    }
}

/// The steps a reviewer takes (they do not make the reviewer a handler).
pub const REVIEW_ACTIONS: &[&str] = &["review", "review_problems", "return_materials", "assign_reviewer"];
