//! Publication of decisions (公示, SPEC PUB-3 and PUB-4): when a decision is
//! due to be published and withdrawn, what the public sees of it (redacted,
//! PUB-5), and how long it stays. Pure: the service stores and serves it.

use crate::Invalid;
use crate::case::{CaseData, PenaltyKind};
use crate::error::required_text;
use crate::people::Category;
use crate::redaction::{Known, Redacted, redact};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use zhifa_calendar::{Calendar, LegalPeriod};

/// PUB-3: the legal period (in `periods.txt`) within which a decision of
/// `category` is published: 7 working days for permits and penalties, 20
/// for every other category (国办发〔2018〕118号).
pub fn pub_3_publication_period(category: Category) -> &'static str {
    match category {
        Category::Penalty => "penalty.publication",
        Category::Permit => "permit.publication",
        _ => "decision.publication",
    }
}

/// PUB-4: a published penalty decision that is revoked, confirmed illegal or
/// remade is withdrawn within 3 working days (行政处罚法 art. 48, 85).
pub const PUB_4_WITHDRAWAL_PERIOD: &str = "penalty.publication_withdrawal";

/// A due date with how it was computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub due: Date,
    pub basis: String,
    pub trace: Vec<String>,
}

/// The due date of the legal period `id` counted from `from`.
pub fn due_by(calendar: &Calendar, periods: &[LegalPeriod], id: &str, from: Date) -> Result<Due, String> {
    let legal = periods.iter().find(|p| p.id == id).ok_or_else(|| format!("没有名为“{id}”的法定期限"))?;
    let deadline = calendar.deadline(from, legal.period).map_err(|e| e.to_string())?;
    Ok(Due { due: deadline.due, basis: legal.basis.clone(), trace: deadline.explain() })
}

/// PUB-3: when the decision of `category` made on `decided_on` is due to be published.
pub fn pub_3_publication_due(
    calendar: &Calendar,
    periods: &[LegalPeriod],
    category: Category,
    decided_on: Date,
) -> Result<Due, String> {
    due_by(calendar, periods, pub_3_publication_period(category), decided_on)
}

/// PUB-4: how long a publication stays, in months, by category and (for
/// penalties) the heaviest kind; a deployment may set its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    /// Months a warning or 通报批评 stays.
    pub light_penalty_months: u16,
    /// Months any other penalty stays.
    pub penalty_months: u16,
    /// Months other decisions stay.
    pub other_months: u16,
}

impl Default for Retention {
    /// A warning three months, other penalties three years (as market
    /// regulation does), other decisions three years.
    fn default() -> Self {
        Self { light_penalty_months: 3, penalty_months: 36, other_months: 36 }
    }
}

/// PUB-4: the last day a publication made on `published_on` is shown.
pub fn pub_4_expires_on(retention: &Retention, category: Category, kinds: &[PenaltyKind], published_on: Date) -> Date {
    let light = !kinds.is_empty() && kinds.iter().all(|k| matches!(k, PenaltyKind::Warning | PenaltyKind::Criticism));
    let months = match category {
        Category::Penalty if light => retention.light_penalty_months,
        Category::Penalty => retention.penalty_months,
        _ => retention.other_months,
    };
    published_on.saturating_add(jiff::Span::new().months(i64::from(months)))
}

/// What the public sees of a decision (PUB-3), redacted (PUB-5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionInfo {
    pub agency: String,
    pub document_number: String,
    /// The party: a person as surname + 某, an organisation by name.
    pub party: String,
    pub category: Category,
    pub title: String,
    pub conclusion: String,
    pub legal_basis: String,
    pub decided_on: Date,
    /// The redacted facts (the full text of a general-procedure penalty).
    pub facts: String,
    /// Every redaction made, for the publicity officer's preview.
    pub redactions: Vec<crate::redaction::Hit>,
}

/// The decision of `case` as it may be published: `None` before a decision.
pub fn decision_info(agency: &str, document_number: &str, case: &CaseData) -> Option<DecisionInfo> {
    let decided_on = case.decided_on?;
    let known = Known::of_party(&case.matter.party);
    let conclusion = match (&case.decision, case.no_penalty_text(), case.granted) {
        (Some(p), _, _) => format!("给予行政处罚：{}", p.in_words()),
        (None, Some(text), _) => text,
        (None, None, Some(true)) => "准予行政许可".into(),
        (None, None, Some(false)) => "不予行政许可".into(),
        _ => match (case.category, case.seized_on, case.seizure_until) {
            (Category::Coercion, Some(from), Some(until)) => format!("查封、扣押，期限自 {from} 至 {until}"),
            (Category::Inspection, _, _) => "已完成行政检查，作出检查结果".into(),
            _ => "已作出决定".into(),
        },
    };
    let mut redactions = Vec::new();
    let mut clean = |text: &str| {
        let Redacted { text, hits } = redact(text, &known);
        redactions.extend(hits);
        text
    };
    Some(DecisionInfo {
        agency: agency.to_owned(),
        document_number: document_number.to_owned(),
        party: clean(case.matter.party.name()),
        category: case.category,
        title: clean(&case.matter.title),
        conclusion: clean(&conclusion),
        legal_basis: clean(&case.matter.legal_basis),
        decided_on,
        facts: clean(&case.matter.facts),
        redactions,
    })
}

/// A decision as published (PUB-3): the redacted decision information and,
/// for a general-procedure penalty, the redacted full text. Serialized into
/// the publication's row and record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedDecision {
    pub party: String,
    /// An organisation's USCC (organisations keep theirs); none for a person.
    pub party_uscc: Option<String>,
    pub title: String,
    pub conclusion: String,
    pub legal_basis: String,
    /// The redacted facts: the full text, for general-procedure penalties only.
    pub full_text: Option<String>,
}

impl PublishedDecision {
    /// From the redacted information; the full text only where PUB-3 asks for it.
    pub fn of(info: &DecisionInfo, case: &CaseData) -> Self {
        let uscc = match &case.matter.party {
            crate::case::Party::Organisation { uscc, .. } => Some(uscc.as_str().to_owned()),
            crate::case::Party::Person { .. } => None,
        };
        Self {
            party: info.party.clone(),
            party_uscc: uscc,
            title: info.title.clone(),
            conclusion: info.conclusion.clone(),
            legal_basis: info.legal_basis.clone(),
            full_text: pub_3_full_text(case).then(|| info.facts.clone()),
        }
    }
}

/// PUB-3: the full (redacted) text is published for penalties decided in the
/// general procedure; other decisions publish the decision information only.
pub fn pub_3_full_text(case: &CaseData) -> bool {
    case.category == Category::Penalty && case.procedure == "penalty-general"
}

/// A dated notice with its reason (a correction or the withdrawal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub on: Date,
    pub reason: String,
}

/// Everything stored of a publication. Once withdrawn, `decision` is gone:
/// the public is never shown withdrawn content (the ledger keeps it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicationData {
    pub agency: String,
    pub document_number: String,
    pub category: Category,
    pub decided_on: Date,
    /// PUB-3's due date, and its trace.
    pub due_on: Date,
    pub due_trace: Vec<String>,
    pub published_on: Date,
    /// PUB-4: the last day it is shown.
    pub expires_on: Date,
    pub decision: Option<PublishedDecision>,
    /// Earlier versions were corrected: when and why, oldest first.
    pub corrections: Vec<Notice>,
    pub withdrawal: Option<Notice>,
    /// PUB-4: by when the withdrawal was due (3 working days after the
    /// decision was revoked, confirmed illegal or remade), where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal_due: Option<Date>,
}

/// Where a publication stands for the public on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Shown,
    Withdrawn,
    Expired,
}

impl PublicationData {
    /// PUB-4: withdrawn ones show only their notice; expired ones nothing.
    pub fn standing(&self, today: Date) -> Standing {
        if self.withdrawal.is_some() {
            Standing::Withdrawn
        } else if today > self.expires_on {
            Standing::Expired
        } else {
            Standing::Shown
        }
    }

    /// PUB-3: published within its period.
    pub fn on_time(&self) -> bool {
        self.published_on <= self.due_on
    }

    /// PUB-4: the day it must be withdrawn by, while it is still shown
    /// after its decision was set aside.
    pub fn withdrawal_pending(&self) -> Option<Date> {
        self.withdrawal_due.filter(|_| self.withdrawal.is_none())
    }

    /// PUB-4: withdrawn after its due date.
    pub fn withdrawn_late(&self) -> bool {
        matches!((&self.withdrawal, self.withdrawal_due), (Some(w), Some(due)) if w.on > due)
    }
}

/// PUB-3: the publication of `case`'s decision (whose information `info`
/// is), published `today`.
pub fn pub_3_publication(
    info: &DecisionInfo,
    case: &CaseData,
    due: Due,
    retention: &Retention,
    today: Date,
) -> PublicationData {
    let kinds = case.decision.as_ref().map(|p| p.kinds.clone()).unwrap_or_default();
    PublicationData {
        agency: info.agency.clone(),
        document_number: info.document_number.clone(),
        category: info.category,
        decided_on: info.decided_on,
        due_on: due.due,
        due_trace: due.trace,
        published_on: today,
        expires_on: pub_4_expires_on(retention, info.category, &kinds, today),
        decision: Some(PublishedDecision::of(info, case)),
        corrections: Vec::new(),
        withdrawal: None,
        withdrawal_due: None,
    }
}

/// PUB-4: a correction is a new version with its reason; a withdrawn
/// publication is not corrected.
pub fn pub_4_correct(
    data: &PublicationData,
    corrected: PublishedDecision,
    reason: &str,
    on: Date,
) -> Result<PublicationData, Invalid> {
    let reason = required_text("更正原因", reason, 500)?;
    if data.withdrawal.is_some() {
        return Err(Invalid::new("公示", "已撤下的公示不能更正"));
    }
    if data.decision.as_ref() == Some(&corrected) {
        return Err(Invalid::new("公示内容", "与现行版本相同，无需更正"));
    }
    let mut next = data.clone();
    next.decision = Some(corrected);
    next.corrections.push(Notice { on, reason });
    Ok(next)
}

/// PUB-4: withdrawal (the decision revoked, confirmed illegal or remade)
/// with a public reason; the content is dropped. `due`: when it was due, as
/// `PUB_4_WITHDRAWAL_PERIOD` counts from the revocation.
pub fn pub_4_withdraw(
    data: &PublicationData,
    reason: &str,
    on: Date,
    due: Option<Date>,
) -> Result<PublicationData, Invalid> {
    let reason = required_text("撤下原因", reason, 500)?;
    if data.withdrawal.is_some() {
        return Err(Invalid::new("公示", "已经撤下"));
    }
    let mut next = data.clone();
    next.decision = None;
    next.withdrawal = Some(Notice { on, reason });
    // A withdrawal pending since the decision was set aside keeps its day.
    next.withdrawal_due = data.withdrawal_due.or(due);
    Ok(next)
}

/// PUB-4: the decision of a shown publication was set aside (revoked,
/// confirmed illegal or changed): it is due to be withdrawn by `due`, 3
/// working days after. `None`: nothing to do (already withdrawn or pending).
pub fn pub_4_withdrawal_due(data: &PublicationData, due: Date) -> Option<PublicationData> {
    if data.withdrawal.is_some() || data.withdrawal_due.is_some() {
        return None;
    }
    let mut next = data.clone();
    next.withdrawal_due = Some(due);
    Some(next)
}

/// PUB-5: a correction typed by the publicity officer is redacted again
/// against the party, so that a correction can never bring back what the
/// first redaction removed.
pub fn pub_5_redact_correction(case: &CaseData, typed: &PublishedDecision) -> PublishedDecision {
    let known = Known::of_party(&case.matter.party);
    let clean = |t: &str| redact(t, &known).text;
    PublishedDecision {
        party: clean(&typed.party),
        party_uscc: typed.party_uscc.clone(),
        title: clean(&typed.title),
        conclusion: clean(&typed.conclusion),
        legal_basis: clean(&typed.legal_basis),
        full_text: typed.full_text.as_deref().map(clean),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn setup() -> (Calendar, Vec<LegalPeriod>) {
        (Calendar::embedded().unwrap(), zhifa_calendar::legal_periods().unwrap())
    }

    #[test]
    fn pub_3_seven_working_days_across_national_day_2025() {
        let (calendar, periods) = setup();
        // Tuesday 30 September 2025; 1–8 October is the holiday, Saturday 11
        // October a working day: 9, 10, 11, 13, 14, 15, 16.
        let d = pub_3_publication_due(&calendar, &periods, Category::Penalty, date(2025, 9, 30)).unwrap();
        assert_eq!(d.due, date(2025, 10, 16));
        assert!(d.basis.contains("7个工作日"), "{}", d.basis);
        assert_eq!(pub_3_publication_due(&calendar, &periods, Category::Permit, date(2025, 9, 30)).unwrap().due, d.due);
    }

    #[test]
    fn pub_3_a_decision_of_no_penalty_is_published_with_its_ground() {
        let mut case = person_case();
        case.decided_on = Some(date(2025, 3, 10));
        case.no_penalty_reason = Some("当事人已当场改正".into());
        case.no_penalty_ground = Some(crate::penalty::NoPenaltyGround::FirstMinor);
        let info = decision_info("某局", "某罚〔2025〕1号", &case).unwrap();
        assert!(info.conclusion.starts_with("不予行政处罚（初次违法且危害后果轻微并及时改正"), "{}", info.conclusion);
        assert!(info.conclusion.ends_with("：当事人已当场改正"), "{}", info.conclusion);
        case.no_penalty_ground = None;
        let older = decision_info("某局", "某罚〔2025〕1号", &case).unwrap();
        assert_eq!(older.conclusion, "不予行政处罚：当事人已当场改正", "decisions recorded before grounds were named");
    }

    #[test]
    fn pub_3_twenty_working_days_for_other_decisions() {
        let (calendar, periods) = setup();
        let d = pub_3_publication_due(&calendar, &periods, Category::Coercion, date(2025, 3, 3)).unwrap();
        // 3 March 2025 (Monday) + 20 working days, no holiday between: Monday 31 March.
        assert_eq!(d.due, date(2025, 3, 31));
    }

    #[test]
    fn pub_4_withdrawal_within_three_working_days() {
        let (calendar, periods) = setup();
        // Friday 26 September 2025: Sunday 28 September is a swapped working
        // day, then 29 and 30 September.
        let d = due_by(&calendar, &periods, PUB_4_WITHDRAWAL_PERIOD, date(2025, 9, 26)).unwrap();
        assert_eq!(d.due, date(2025, 9, 30));
        // Tuesday 30 September: the holiday, then 9, 10 and Saturday 11 October.
        let d = due_by(&calendar, &periods, PUB_4_WITHDRAWAL_PERIOD, date(2025, 9, 30)).unwrap();
        assert_eq!(d.due, date(2025, 10, 11));
    }

    #[test]
    fn pub_4_warnings_expire_before_fines() {
        let r = Retention::default();
        let on = date(2025, 1, 31);
        assert_eq!(pub_4_expires_on(&r, Category::Penalty, &[PenaltyKind::Warning], on), date(2025, 4, 30));
        assert_eq!(
            pub_4_expires_on(&r, Category::Penalty, &[PenaltyKind::Warning, PenaltyKind::Fine], on),
            date(2028, 1, 31)
        );
        assert_eq!(pub_4_expires_on(&r, Category::Permit, &[], on), date(2028, 1, 31));
    }

    /// A general-procedure penalty case about 李秀英, before its decision.
    fn person_case() -> CaseData {
        let person = crate::case::PartyForm {
            kind: "person".into(),
            name: "李秀英".into(),
            number: "11010519491231002X".into(),
            address: "杭州市西湖区文三路8号".into(),
            phone: "13900001111".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        let procedure = crate::case::procedure::Procedures::embedded().unwrap().get("penalty-general").unwrap().clone();
        let opening = crate::case::Opening {
            matter: crate::case::Matter {
                item: None,
                title: "销售过期食品".into(),
                legal_basis: "《中华人民共和国食品安全法》第一百二十四条".into(),
                party: person,
                handlers: vec![],
                facts: "李秀英（身份证号码11010519491231002X，电话13900001111）于2025年3月1日销售过期食品。".into(),
                violation_on: None,
                health_or_finance: false,
                serious: false,
            },
            flags: Default::default(),
            on: date(2025, 3, 3),
        };
        CaseData::new(&procedure, opening)
    }

    fn decided(mut case: CaseData) -> CaseData {
        case.decision = Some(crate::case::Penalty {
            kinds: vec![PenaltyKind::Fine],
            fine: crate::money::Money::yuan(30_000),
            ..Default::default()
        });
        case.decided_on = Some(date(2025, 4, 1));
        case
    }

    #[test]
    fn pub_5_published_decision_keeps_amounts_and_loses_the_person() {
        let case = person_case();
        assert_eq!(decision_info("某局", "杭西市监罚〔2025〕1号", &case), None, "nothing before the decision");
        let case = decided(case);
        let info = decision_info("某局", "杭西市监罚〔2025〕1号", &case).unwrap();
        assert_eq!(info.party, "李某");
        assert_eq!(info.facts, "李某（身份证号码***，电话***）于2025年3月1日销售过期食品。");
        assert_eq!(info.conclusion, "给予行政处罚：罚款人民币 30,000.00 元");
        assert_eq!(info.redactions.len(), 4);
    }

    fn published() -> (CaseData, PublicationData) {
        let (calendar, periods) = setup();
        let case = decided(person_case());
        let info = decision_info("某局", "杭西市监罚〔2025〕1号", &case).unwrap();
        let due = pub_3_publication_due(&calendar, &periods, case.category, info.decided_on).unwrap();
        let data = pub_3_publication(&info, &case, due, &Retention::default(), date(2025, 4, 3));
        (case, data)
    }

    #[test]
    fn pub_3_general_procedure_penalty_publishes_its_full_text() {
        let (mut case, data) = published();
        assert_eq!(
            data.decision.as_ref().unwrap().full_text.as_deref(),
            Some("李某（身份证号码***，电话***）于2025年3月1日销售过期食品。")
        );
        assert_eq!(data.due_on, date(2025, 4, 11), "1 April 2025 + 7 working days (4 April is 清明)");
        assert!(data.on_time());
        assert_eq!(data.expires_on, date(2028, 4, 3));
        case.procedure = "penalty-simple".into();
        let info = decision_info("某局", "号", &case).unwrap();
        assert_eq!(PublishedDecision::of(&info, &case).full_text, None);
    }

    #[test]
    fn pub_4_withdrawal_drops_the_content_and_keeps_the_reason() {
        let (_, data) = published();
        assert!(pub_4_withdraw(&data, "  ", date(2025, 5, 1), None).is_err(), "a reason is required");
        let gone = pub_4_withdraw(&data, "原决定已被撤销", date(2025, 5, 1), Some(date(2025, 4, 30))).unwrap();
        assert!(gone.withdrawn_late(), "due the day before");
        assert_eq!(gone.decision, None);
        assert_eq!(gone.withdrawal.as_ref().unwrap().reason, "原决定已被撤销");
        assert_eq!(gone.standing(date(2025, 5, 1)), Standing::Withdrawn);
        assert!(pub_4_withdraw(&gone, "再次", date(2025, 5, 2), None).is_err());
        assert!(pub_4_correct(&gone, data.decision.clone().unwrap(), "更正", date(2025, 5, 2)).is_err());
    }

    #[test]
    fn pub_4_a_decision_set_aside_is_due_to_be_withdrawn_and_keeps_that_day() {
        let (_, data) = published();
        assert_eq!(data.withdrawal_pending(), None);
        let pending = pub_4_withdrawal_due(&data, date(2025, 5, 8)).unwrap();
        assert_eq!(pending.withdrawal_pending(), Some(date(2025, 5, 8)));
        assert_eq!(pending.standing(date(2025, 5, 6)), Standing::Shown, "shown until withdrawn");
        assert_eq!(pub_4_withdrawal_due(&pending, date(2025, 6, 1)), None, "the first day stays");
        let gone = pub_4_withdraw(&pending, "原决定已被撤销", date(2025, 5, 9), Some(date(2025, 6, 1))).unwrap();
        assert_eq!(gone.withdrawal_due, Some(date(2025, 5, 8)), "the pending day, not a later one typed");
        assert!(gone.withdrawn_late());
        assert_eq!(gone.withdrawal_pending(), None);
        assert_eq!(pub_4_withdrawal_due(&gone, date(2025, 6, 1)), None, "nothing to withdraw");
        let in_time = pub_4_withdraw(&pending, "原决定已被撤销", date(2025, 5, 8), None).unwrap();
        assert!(!in_time.withdrawn_late());
    }

    #[test]
    fn pub_4_correction_is_a_new_version_with_its_reason() {
        let (_, data) = published();
        let mut typed = data.decision.clone().unwrap();
        assert!(pub_4_correct(&data, typed.clone(), "无变化", date(2025, 4, 5)).is_err(), "nothing changed");
        typed.title = "销售超过保质期的食品".into();
        let next = pub_4_correct(&data, typed, "案由表述更正", date(2025, 4, 5)).unwrap();
        assert_eq!(next.corrections, vec![Notice { on: date(2025, 4, 5), reason: "案由表述更正".into() }]);
        assert_eq!(next.decision.unwrap().title, "销售超过保质期的食品");
    }

    #[test]
    fn pub_4_publications_expire_by_themselves() {
        let (_, data) = published();
        assert_eq!(data.standing(data.expires_on), Standing::Shown);
        assert_eq!(data.standing(data.expires_on.tomorrow().unwrap()), Standing::Expired);
    }

    #[test]
    fn pub_5_a_correction_cannot_bring_back_the_party() {
        let (case, data) = published();
        let mut typed = data.decision.unwrap();
        typed.full_text = Some("李秀英，电话13900001111，销售过期食品。".into());
        let clean = pub_5_redact_correction(&case, &typed);
        assert_eq!(clean.full_text.as_deref(), Some("李某，电话***，销售过期食品。"));
    }
}
