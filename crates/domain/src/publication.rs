//! Publication of decisions (公示, SPEC PUB-3 and PUB-4): when a decision is
//! due to be published and withdrawn, what the public sees of it (redacted,
//! PUB-5), and how long it stays. Pure: the service stores and serves it.

use crate::case::{CaseData, PenaltyKind};
use crate::people::Category;
use crate::redaction::{Known, Redacted, redact};
use jiff::civil::Date;
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
    let known = Known::of_party(&case.party);
    let conclusion = match (&case.decision, &case.no_penalty_reason, case.granted) {
        (Some(p), _, _) => format!("给予行政处罚：{}", p.in_words()),
        (None, Some(reason), _) => format!("不予行政处罚：{reason}"),
        (None, None, Some(true)) => "准予行政许可".into(),
        (None, None, Some(false)) => "不予行政许可".into(),
        _ => "已作出决定".into(),
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
        party: clean(case.party.name()),
        category: case.category,
        title: clean(&case.title),
        conclusion: clean(&conclusion),
        legal_basis: clean(&case.legal_basis),
        decided_on,
        facts: clean(&case.facts),
        redactions,
    })
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

    #[test]
    fn pub_5_published_decision_keeps_amounts_and_loses_the_person() {
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
            item: None,
            title: "销售过期食品".into(),
            legal_basis: "《中华人民共和国食品安全法》第一百二十四条".into(),
            party: person,
            handlers: vec![],
            facts: "李秀英（身份证号码11010519491231002X，电话13900001111）于2025年3月1日销售过期食品。".into(),
            violation_on: None,
            health_or_finance: false,
            serious: false,
            flags: Default::default(),
            on: date(2025, 3, 3),
        };
        let mut case = CaseData::new(&procedure, opening);
        assert_eq!(decision_info("某局", "杭西市监罚〔2025〕1号", &case), None, "nothing before the decision");
        case.decision = Some(crate::case::Penalty {
            kinds: vec![PenaltyKind::Fine],
            fine: crate::money::Money::yuan(30_000),
            ..Default::default()
        });
        case.decided_on = Some(date(2025, 4, 1));
        let info = decision_info("某局", "杭西市监罚〔2025〕1号", &case).unwrap();
        assert_eq!(info.party, "李某");
        assert_eq!(info.facts, "李某（身份证号码***，电话***）于2025年3月1日销售过期食品。");
        assert_eq!(info.conclusion, "给予行政处罚：罚款人民币 30,000.00 元");
        assert_eq!(info.redactions.len(), 4);
    }
}
