//! Legal review of major decisions (法制审核, SPEC REV): the catalogue that
//! says which decisions need review, the seven points a reviewer checks, the
//! rounds of review and resubmission, coordination and collective
//! deliberation, who was responsible for a decision, and the staffing rule.
//! Pure: the engine applies these to a case; the service brings the data.

mod catalogue;
mod file;
mod rules;

pub use catalogue::*;
pub use file::*;
pub use rules::*;

pub const ART_58_1: &str = "《行政处罚法》第五十八条第一款";
pub const ART_58_2: &str = "《行政处罚法》第五十八条第二款";
/// 国办发〔2018〕118号, part four: review bodies, scope, contents, coordination, staffing.
pub const GUIDELINE: &str = "《国务院办公厅关于全面推行行政执法公示制度执法全过程记录制度重大执法决定法制审核制度的指导意见》（国办发〔2018〕118号）";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agency::Domain;
    use crate::ids::UserId;
    use crate::money::Money;
    use crate::penalty::{Handler, Penalty, PenaltyKind};
    use crate::people::Category;
    use crate::registry::Level;
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
    fn guideline_review_form_needs_every_point_and_a_written_opinion() {
        let mut f = ReviewForm { opinion: "同意".into(), ..Default::default() };
        assert_eq!(f.validate().unwrap_err().field, "审核事项");
        for p in ReviewPoint::ALL {
            f.findings.insert(p.code().into(), "符合".into());
        }
        assert_eq!(f.validate().unwrap_err().field, "审核意见", "no written opinion");
        f.comment = "  ".into();
        assert_eq!(f.validate().unwrap_err().field, "审核意见", "blank is no opinion");
        f.comment = "主体合法，程序合法，同意。".into();
        assert_eq!(f.validate().unwrap().findings.len(), 7);
    }

    #[test]
    fn guideline_whether_a_crime_is_suspected_is_answered_yes_or_no() {
        let mut f = ReviewForm { opinion: "approve".into(), comment: "同意".into(), ..Default::default() };
        for p in ReviewPoint::ALL {
            f.findings.insert(p.code().into(), "conforms".into());
        }
        let no = f.validate().unwrap();
        let crime = no.findings.iter().find(|x| x.point == ReviewPoint::Crime).unwrap();
        assert_eq!(crime.answer(), "否，不涉嫌犯罪，无需移送");
        assert_eq!(no.findings[0].answer(), "符合");
        f.findings.insert("crime".into(), "not_applicable".into());
        let m = f.validate().unwrap_err().message;
        assert!(m.contains("违法行为是否涉嫌犯罪") && m.contains("是，涉嫌犯罪，需移送司法机关"), "{m}");
        f.findings.insert("crime".into(), "problem".into());
        f.comments.insert("crime".into(), "涉案金额达到刑事立案追诉标准".into());
        let yes = f.validate().unwrap();
        assert_eq!(
            yes.findings.iter().find(|x| x.point == ReviewPoint::Crime).unwrap().answer(),
            "是，涉嫌犯罪，需移送司法机关"
        );
        assert!(guideline_seven_points(&yes).unwrap_err().contains("不能为同意"), "a suspected crime is not approved");
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
        let a = Draft { penalty: fine(30_000), legal_basis: "b".into(), facts: "f".into(), decision: String::new() };
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
            Draft { penalty: p.clone(), legal_basis: String::new(), facts: String::new(), decision: String::new() }
                .summary(),
            "罚款 30,000.00 元"
        );
        p.kinds.insert(0, PenaltyKind::Warning);
        assert_eq!(
            Draft { penalty: p, legal_basis: String::new(), facts: String::new(), decision: String::new() }.summary(),
            "警告，罚款 30,000.00 元"
        );
    }

    #[test]
    fn a_changed_draft_says_what_changed() {
        let a = Draft { penalty: fine(30_000), legal_basis: "b".into(), facts: "f".into(), decision: String::new() };
        let b = Draft { penalty: fine(25_000), ..a.clone() };
        assert_eq!(a.differences(&b), vec!["罚款由 30,000.00 元改为 25,000.00 元".to_owned()]);
        assert!(a.differences(&a).is_empty());
        let _ = date(2025, 1, 1);
    }
}
