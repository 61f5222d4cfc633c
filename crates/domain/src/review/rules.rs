//! The rules of review: no decision without it, separation of handling and
//! review, the first-time reviewer's qualification, and the staffing rule.

use super::*;
use crate::agency::Domain;
use crate::ids::UserId;
use crate::penalty::Handler;
use crate::people::Category;
use crate::people::Role;
use crate::registry::Level;
use serde::{Deserialize, Serialize};

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

/// Where reviewers are kept from handling cases (泉建法〔2023〕12号, after
/// 国办发〔2018〕118号): “法制审核人员不得承办具体行政执法事务”.
pub const REVIEWERS_HANDLE_NOTHING: &str = "《泉州市住房和城乡建设局关于深入推行行政执法公示制度执法全过程记录制度重大执法决定法制审核制度实施方案》（泉建法〔2023〕12号）";

/// Reviewers do not handle cases (法制审核人员不得承办具体行政执法事务):
/// none of the officers named on a case (`(name, role)`) is a reviewer.
pub fn guideline_reviewers_handle_no_case(officers: &[(&str, Role)]) -> Result<(), String> {
    let reviewers: Vec<&str> = officers.iter().filter(|(_, r)| *r == Role::Reviewer).map(|(n, _)| *n).collect();
    if reviewers.is_empty() {
        return Ok(());
    }
    Err(format!("{}是法制审核人员，不得承办具体行政执法事务", reviewers.join("、")))
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
