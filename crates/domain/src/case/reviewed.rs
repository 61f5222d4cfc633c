//! The legal review of one case, read from its data: the draft at hand, the
//! draft cleared for a decision, why it needs review, who took part (REV-5).
//! The review's own rules and records are in [`crate::review`].

use super::{CaseData, Penalty, Step};
use crate::ids::UserId;
use crate::people::Category;
use crate::review::{Draft, ReviewContext, ReviewSubject, ReviewTrigger, RoundResult, art_58_review_required};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The draft at hand: the last round's penalty, else the one proposed in the
/// notice; with the case's basis and facts as they are now.
pub fn draft_at_hand(case: &CaseData) -> Option<Draft> {
    let (legal_basis, facts) = (case.matter.legal_basis.clone(), case.matter.facts.clone());
    match (case.review.current(), &case.proposed) {
        (Some(round), _) => Some(Draft { legal_basis, facts, ..round.draft.clone() }),
        (None, Some(penalty)) => Some(Draft { penalty: penalty.clone(), legal_basis, facts, decision: String::new() }),
        (None, None) => None,
    }
}

/// Art. 58 ¶2 counts a person's earlier penalty reviews: the rounds of
/// `case` that `user` answered (approved or found problems; a return for
/// incomplete material is not a review).
pub fn penalty_reviews_answered(case: &CaseData, user: UserId) -> u32 {
    if case.category != Category::Penalty {
        return 0;
    }
    let answered = case.review.rounds.iter().filter_map(|r| r.outcome.as_ref());
    let n = answered.filter(|o| o.reviewed_by == user && o.result != RoundResult::Incomplete).count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The draft a decision may be issued on: the last round's if approved, or
/// the one a collective deliberation decided after a disagreement.
pub fn cleared_draft(case: &CaseData) -> Option<&Draft> {
    let approved = case.review.approved_draft();
    let deliberated = case.deliberations.last().filter(|d| d.after_disagreement).and_then(|d| d.decided.as_ref());
    approved.or(deliberated)
}

/// Why `penalty` as the decision of `case` needs review, in the agency's
/// `context`.
pub fn review_triggers(context: &ReviewContext, case: &CaseData, penalty: Option<&Penalty>) -> Vec<ReviewTrigger> {
    let subject = ReviewSubject {
        category: case.category,
        domain: context.domain,
        level: context.level,
        item_code: context.item_code.as_deref(),
        penalty,
        hearing_held: case.hearing_held_on.is_some(),
        flags: case.flags,
    };
    art_58_review_required(&context.catalogue, &subject)
}

/// A person's part in a decision (REV-5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Involvement {
    pub name: String,
    /// Absent for deliberation participants named as text.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub user: Option<UserId>,
    /// 承办人, 法制审核人员, 审批人（机关负责人）, 集体讨论参加人, …
    pub role: String,
    pub what: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub on: Date,
}

/// Everyone who handled, reviewed, deliberated on or approved the case, in
/// order of time. `role_of(step)` names the part the step's taker played;
/// `name_of(action)` what the step was.
pub fn responsibility(
    case: &CaseData,
    role_of: impl Fn(&Step) -> String,
    name_of: impl Fn(&str) -> String,
) -> Vec<Involvement> {
    let mut out = Vec::new();
    let started = case.filed_on.unwrap_or(case.opened_on);
    for h in &case.matter.handlers {
        out.push(Involvement {
            name: h.name.clone(),
            user: Some(h.user),
            role: "承办人".into(),
            what: format!("承办本案（执法证 {}）", h.certificate),
            on: started,
        });
    }
    for s in &case.steps {
        let what = if s.action == "open" { "立案登记".to_owned() } else { name_of(&s.action) };
        out.push(Involvement { name: s.by_name.clone(), user: Some(s.by), role: role_of(s), what, on: s.on });
    }
    if let Some(a) = &case.review.reviewer {
        out.push(Involvement {
            name: a.by_name.clone(),
            user: Some(a.by),
            role: "指派人".into(),
            what: format!("指派{}审核", a.name),
            on: a.on,
        });
    }
    for r in &case.review.rounds {
        out.push(Involvement {
            name: r.submitted_by_name.clone(),
            user: Some(r.submitted_by),
            role: "送审人".into(),
            what: format!("第 {} 轮送审：{}", r.number, r.draft.summary()),
            on: r.submitted_on,
        });
        if let Some(o) = &r.outcome {
            out.push(Involvement {
                name: o.reviewer_name.clone(),
                user: Some(o.reviewed_by),
                role: "法制审核人员".into(),
                what: format!("第 {} 轮审核：{}", r.number, o.result.label()),
                on: o.on,
            });
        }
    }
    for c in &case.review.coordinations {
        if let Some(on) = c.on {
            for p in &c.participants {
                out.push(Involvement {
                    name: p.clone(),
                    user: None,
                    role: "协调参加人".into(),
                    what: format!("协调审核意见分歧：{}", c.outcome),
                    on,
                });
            }
        }
    }
    for d in &case.deliberations {
        for p in &d.participants {
            let view = d.views.iter().find(|v| p.starts_with(v.person.as_str())).map_or("", |v| v.view.as_str());
            out.push(Involvement {
                name: p.clone(),
                user: None,
                role: "集体讨论参加人".into(),
                what: if view.is_empty() {
                    "参加集体讨论".into()
                } else {
                    format!("集体讨论意见：{view}")
                },
                on: d.on,
            });
        }
    }
    out.sort_by_key(|i| i.on);
    out
}
