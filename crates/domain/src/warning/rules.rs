//! The warning rules (SUP-1): one function per rule, named as its id in
//! `warnings.toml`, each given the rule's data, the subject's facts and the
//! day, answering with what it finds (nothing, for a subject it is not
//! about). Adding a rule is a function here, a line in [`RULES`] and a
//! `[[rule]]` in `warnings.toml`.

use super::{Finding, RuleInfo};
use crate::case::CaseData;
use crate::case::engine::{CaseDeadline, recordings_of};
use crate::case::facts::RecordingRef;
use crate::case::procedure::{Procedure, Recording};
use crate::ids::{AgencyId, UserId};
use crate::publication::PublicationData;
use jiff::civil::Date;
use zhifa_calendar::{Calendar, Period};

/// What a rule may look at: the day, the calendar (with next years
/// estimated), and the subject.
pub struct Facts<'a> {
    pub today: Date,
    pub calendar: &'a Calendar,
    pub subject: SubjectFacts<'a>,
}

/// The facts of one subject.
pub enum SubjectFacts<'a> {
    Case(CaseFacts<'a>),
    Publication(&'a PublicationData),
    Complaint {
        submitted_on: Date,
        answered: bool,
    },
    Certificate {
        number: &'a str,
        holder: &'a str,
        valid_to: Date,
        holder_active: bool,
    },
    Agency {
        reviewers: u32,
        certified_officers: u32,
    },
    /// A market entity and its inspections (by which agency, on which
    /// day): asked of its newest inspection case, the warning's subject.
    Party {
        name: &'a str,
        inspections: &'a [(AgencyId, Date)],
    },
}

/// A case as the rules see it.
pub struct CaseFacts<'a> {
    pub case: &'a CaseData,
    pub procedure: &'a Procedure,
    pub stage: &'a str,
    pub closed: bool,
    /// Its time limits ([`crate::case::engine::deadlines`]).
    pub deadlines: &'a [CaseDeadline],
    /// The day its decision must be published by, while it is not
    /// (`None`: published, set aside, or nothing to publish).
    pub publication_due: Option<Date>,
    /// The day the current round of legal review must be answered by, while it is not.
    pub review_due: Option<Date>,
    pub recordings: &'a [RecordingRef],
    /// The certificates of the agency's people: holder, valid from, valid to.
    pub certificates: &'a [(UserId, Date, Date)],
}

type Check = fn(&RuleInfo, &Facts<'_>) -> Vec<Finding>;

/// The first day after `facts.today` on which a rule may find otherwise
/// than it does today, the facts staying as they are (`None`: never).
/// The day's pass evaluates a subject again on that day, and not before.
type Next = fn(&RuleInfo, &Facts<'_>) -> Option<Date>;

/// Every rule, by its id, with when its answer may next change.
pub const RULES: &[(&str, Check, Next)] = &[
    ("case_near_time_limit", case_near_time_limit, next_case_near_time_limit),
    ("case_past_time_limit", case_past_time_limit, next_case_past_time_limit),
    ("publication_overdue", publication_overdue, next_publication_overdue),
    ("withdrawal_overdue", withdrawal_overdue, next_withdrawal_overdue),
    ("recording_missing", recording_missing, next_recording_missing),
    ("review_overdue", review_overdue, next_review_overdue),
    ("certificate_expired_acting", certificate_expired_acting, never),
    ("certificate_expiring", certificate_expiring, next_certificate_expiring),
    ("reviewer_ratio_below_5_percent", reviewer_ratio_below_5_percent, never),
    ("complaint_unanswered", complaint_unanswered, next_complaint_unanswered),
    ("repeat_inspection", repeat_inspection, next_repeat_inspection),
    ("estimate_found_late", estimate_found_late, never),
];

/// A rule whose answer does not depend on the day.
fn never(_: &RuleInfo, _: &Facts<'_>) -> Option<Date> {
    None
}

/// The earliest of `days` after today.
fn first_after(today: Date, days: impl IntoIterator<Item = Option<Date>>) -> Option<Date> {
    days.into_iter().flatten().filter(|d| *d > today).min()
}

/// The day after a limit's last day, if that is still to come: the day a
/// rule "past its limit" starts to hold.
fn day_after(today: Date, due: Option<Date>) -> Option<Date> {
    due.filter(|d| *d >= today).and_then(|d| d.tomorrow().ok())
}

/// The first day of `from..=to` on which `holds`, for a `holds` that once
/// true stays true (a bisection).
fn first_day(from: Date, to: Date, holds: impl Fn(Date) -> bool) -> Option<Date> {
    if from > to || !holds(to) {
        return None;
    }
    let (mut lo, mut hi) = (from, to);
    while lo < hi {
        let span = (hi - lo).get_days();
        let mid = lo.checked_add(jiff::Span::new().days(i64::from(span / 2))).ok()?;
        if holds(mid) { hi = mid } else { lo = mid.tomorrow().ok()? }
    }
    Some(lo)
}

fn case<'a>(facts: &'a Facts<'_>) -> Option<&'a CaseFacts<'a>> {
    match &facts.subject {
        SubjectFacts::Case(c) => Some(c),
        _ => None,
    }
}

/// The limits of an open case not yet met.
fn running<'a>(facts: &'a Facts<'_>) -> impl Iterator<Item = &'a CaseDeadline> {
    case(facts).filter(|c| !c.closed).into_iter().flat_map(|c| c.deadlines.iter().filter(|d| d.met_on.is_none()))
}

fn estimated(d: &CaseDeadline) -> &'static str {
    if d.provisional { "（暂估）" } else { "" }
}

/// 行政处罚法 art. 60 and every limit of the procedure: a limit not met
/// that falls within the rule's working days from today (the day itself too).
pub fn case_near_time_limit(rule: &RuleInfo, facts: &Facts<'_>) -> Vec<Finding> {
    let days = rule.days.unwrap_or(3);
    let Ok(horizon) = Period::working_days(days).and_then(|p| facts.calendar.due_date(facts.today, p)) else {
        return Vec::new();
    };
    running(facts)
        .filter(|d| facts.today <= d.due && d.due <= horizon)
        .map(|d| {
            let text = format!("{}将于 {}{} 届满（{}）", d.name, d.due, estimated(d), d.basis);
            Finding::new(rule, &d.limit, text, Some(d.due))
        })
        .collect()
}

/// 行政处罚法 art. 60 and every limit of the procedure: a limit not met
/// whose last day has passed.
pub fn case_past_time_limit(rule: &RuleInfo, facts: &Facts<'_>) -> Vec<Finding> {
    running(facts)
        .filter(|d| facts.today > d.due)
        .map(|d| {
            let text = format!("{}已于 {}{} 届满，尚未办结（{}）", d.name, d.due, estimated(d), d.basis);
            Finding::new(rule, &d.limit, text, Some(d.due))
        })
        .collect()
}

/// PUB-3: a decision still unpublished the day after its due date.
pub fn publication_overdue(rule: &RuleInfo, facts: &Facts<'_>) -> Vec<Finding> {
    let Some(due) = case(facts).and_then(|c| c.publication_due) else { return Vec::new() };
    if facts.today <= due {
        return Vec::new();
    }
    vec![Finding::new(rule, "publication", format!("决定应于 {due} 前公示，至今未公示"), Some(due))]
}

/// PUB-4: a publication whose decision was set aside, still shown the day
/// after its withdrawal was due.
pub fn withdrawal_overdue(rule: &RuleInfo, facts: &Facts<'_>) -> Vec<Finding> {
    let SubjectFacts::Publication(p) = &facts.subject else { return Vec::new() };
    match p.withdrawal_pending() {
        Some(due) if facts.today > due => vec![Finding::new(
            rule,
            "withdrawal",
            format!("{}的公示应于 {due} 前撤下，至今仍在公示", p.document_number),
            Some(due),
        )],
        _ => Vec::new(),
    }
}

/// REC-5: a stage that must be recorded on audio or video, left without a
/// recording, or stood in since before today without one.
pub fn recording_missing(rule: &RuleInfo, facts: &Facts<'_>) -> Vec<Finding> {
    let Some(c) = case(facts) else { return Vec::new() };
    let entered = |stage: &str| c.case.steps.iter().rev().find(|s| s.to == stage && s.from != s.to).map(|s| s.on);
    crate::case::engine::stages_reached(c.procedure, c.case, c.stage)
        .into_iter()
        .filter(|s| s.recording == Recording::Mandatory && recordings_of(c.recordings, s) == 0)
        .filter(|s| s.id != c.stage || entered(&s.id).is_some_and(|on| on < facts.today))
        .map(|s| {
            let text = if s.id == c.stage {
                format!("“{}”环节应当全程音像记录，至今没有音像记录", s.name)
            } else {
                format!("“{}”环节应当全程音像记录，没有音像记录即已办理完毕", s.name)
            };
            Finding::new(rule, &s.id, text, None)
        })
        .collect()
}

/// REV-4: a round of legal review unanswered the day after its limit.
pub fn review_overdue(rule: &RuleInfo, facts: &Facts<'_>) -> Vec<Finding> {
    let Some(c) = case(facts) else { return Vec::new() };
    match (c.review_due, c.case.review.rounds.last()) {
        (Some(due), Some(round)) if facts.today > due => vec![Finding::new(
            rule,
            format!("round-{}", round.number),
            format!("第 {} 轮法制审核应于 {due} 前出具意见，至今未出具", round.number),
            Some(due),
        )],
        _ => Vec::new(),
    }
}

/// 行政处罚法 art. 42: a step taken by one of the case's handlers on a day
/// none of their certificates was valid.
pub fn certificate_expired_acting(rule: &RuleInfo, facts: &Facts<'_>) -> Vec<Finding> {
    let Some(c) = case(facts) else { return Vec::new() };
    let valid =
        |user: UserId, on: Date| c.certificates.iter().any(|(u, from, to)| *u == user && *from <= on && on <= *to);
    let handler = |user: UserId| c.case.matter.handlers.iter().any(|h| h.user == user);
    c.case
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| handler(s.by) && !valid(s.by, s.on))
        .map(|(i, s)| {
            let text = format!("{}于 {} 办理“{}”时没有有效的执法证件", s.by_name, s.on, s.action);
            Finding::new(rule, format!("step-{i}"), text, Some(s.on))
        })
        .collect()
}

/// A certificate of an active officer that expires within the rule's days
/// (calendar days, the last day counted).
pub fn certificate_expiring(rule: &RuleInfo, facts: &Facts<'_>) -> Vec<Finding> {
    let SubjectFacts::Certificate { number, holder, valid_to, holder_active } = &facts.subject else {
        return Vec::new();
    };
    let days = i64::from(rule.days.unwrap_or(30));
    let left = (*valid_to - facts.today).get_days();
    if !*holder_active || left < 0 || i64::from(left) > days {
        return Vec::new();
    }
    let text = format!("{holder}的执法证件 {number} 将于 {valid_to} 到期（还有 {left} 日）");
    vec![Finding::new(rule, "expiry", text, Some(*valid_to))]
}

/// REV-6 (国办发〔2018〕118号): reviewers fewer than 5% of the certified officers.
pub fn reviewer_ratio_below_5_percent(rule: &RuleInfo, facts: &Facts<'_>) -> Vec<Finding> {
    let SubjectFacts::Agency { reviewers, certified_officers } = facts.subject else { return Vec::new() };
    if !crate::review::guideline_reviewers_below_five_percent(reviewers, certified_officers) {
        return Vec::new();
    }
    let text = format!("法制审核人员 {reviewers} 名，执法人员 {certified_officers} 名，不足 5%");
    vec![Finding::new(rule, "ratio", text, None)]
}

/// SUP-6: a complaint unanswered the day after its answer limit (the
/// rule's working days after it was submitted).
pub fn complaint_unanswered(rule: &RuleInfo, facts: &Facts<'_>) -> Vec<Finding> {
    let SubjectFacts::Complaint { submitted_on, answered: false } = facts.subject else { return Vec::new() };
    let days = rule.days.unwrap_or(15);
    let Ok(due) = Period::working_days(days).and_then(|p| facts.calendar.due_date(submitted_on, p)) else {
        return Vec::new();
    };
    if facts.today <= due {
        return Vec::new();
    }
    vec![Finding::new(rule, "answer", format!("{submitted_on} 收到的投诉举报应于 {due} 前答复，至今未答复"), Some(due))]
}

/// REC-3: a step taken by an estimated limit (a year whose holidays were
/// not yet published) that the published holidays show was late.
pub fn estimate_found_late(rule: &RuleInfo, facts: &Facts<'_>) -> Vec<Finding> {
    let Some(c) = case(facts) else { return Vec::new() };
    let mut out = Vec::new();
    for (i, step) in c.case.steps.iter().enumerate() {
        for r in &step.rechecked {
            let Some(found) = &r.found else { continue };
            let name = c.procedure.transition(&step.action).map_or(step.action.as_str(), |t| t.name.as_str());
            let text = format!("{} 的“{name}”于 {} 按公布的节假日安排复核：{found}", step.on, r.on);
            out.push(Finding::new(rule, format!("recheck-{i}-{}", r.rule), text, Some(step.on)));
        }
    }
    out
}

/// 国办发〔2024〕54号: a market entity inspected, within the rule's days
/// up to today, by more than one agency, or more often than its limit.
pub fn repeat_inspection(rule: &RuleInfo, facts: &Facts<'_>) -> Vec<Finding> {
    let SubjectFacts::Party { name, inspections } = &facts.subject else { return Vec::new() };
    let since = facts.today - jiff::Span::new().days(i64::from(rule.days.unwrap_or(365)));
    let mut within: Vec<&(AgencyId, Date)> =
        inspections.iter().filter(|(_, on)| *on > since && *on <= facts.today).collect();
    within.sort_by_key(|(_, on)| *on);
    let mut agencies: Vec<AgencyId> = within.iter().map(|(a, _)| *a).collect();
    agencies.sort();
    agencies.dedup();
    let limit = usize::from(rule.limit.unwrap_or(2));
    if agencies.len() < 2 && within.len() <= limit {
        return Vec::new();
    }
    let text = format!(
        "{name}自 {} 起被 {} 个机关检查 {} 次（年度上限 {limit} 次）",
        within.first().map_or(facts.today, |(_, on)| *on),
        agencies.len(),
        within.len()
    );
    vec![Finding::new(rule, "inspections", text, None)]
}

/// Yellow begins on the first day whose horizon reaches the limit, and ends
/// the day after its last day.
pub fn next_case_near_time_limit(rule: &RuleInfo, facts: &Facts<'_>) -> Option<Date> {
    let period = Period::working_days(rule.days.unwrap_or(3)).ok()?;
    let today = facts.today;
    let reaches = |day: Date, due: Date| facts.calendar.due_date(day, period).is_ok_and(|horizon| due <= horizon);
    first_after(
        today,
        running(facts).filter(|d| d.due >= today).map(|d| {
            if reaches(today, d.due) {
                d.due.tomorrow().ok()
            } else {
                first_day(today.tomorrow().ok()?, d.due, |day| reaches(day, d.due))
            }
        }),
    )
}

pub fn next_case_past_time_limit(_: &RuleInfo, facts: &Facts<'_>) -> Option<Date> {
    first_after(facts.today, running(facts).map(|d| day_after(facts.today, Some(d.due))))
}

pub fn next_publication_overdue(_: &RuleInfo, facts: &Facts<'_>) -> Option<Date> {
    day_after(facts.today, case(facts).and_then(|c| c.publication_due))
}

pub fn next_withdrawal_overdue(_: &RuleInfo, facts: &Facts<'_>) -> Option<Date> {
    let SubjectFacts::Publication(p) = &facts.subject else { return None };
    day_after(facts.today, p.withdrawal_pending())
}

/// The day after the current stage was entered, if it must be recorded
/// and has no recording.
pub fn next_recording_missing(_: &RuleInfo, facts: &Facts<'_>) -> Option<Date> {
    let c = case(facts)?;
    let unrecorded = crate::case::engine::stages_reached(c.procedure, c.case, c.stage)
        .into_iter()
        .any(|s| s.id == c.stage && s.recording == Recording::Mandatory && recordings_of(c.recordings, s) == 0);
    if !unrecorded {
        return None;
    }
    let entered = c.case.steps.iter().rev().find(|s| s.to == c.stage && s.from != s.to).map(|s| s.on);
    day_after(facts.today, entered)
}

pub fn next_review_overdue(_: &RuleInfo, facts: &Facts<'_>) -> Option<Date> {
    let c = case(facts)?;
    c.case.review.rounds.last()?;
    day_after(facts.today, c.review_due)
}

/// The first day of the window, then every day in it (the text counts the
/// days left), until the day after expiry.
pub fn next_certificate_expiring(rule: &RuleInfo, facts: &Facts<'_>) -> Option<Date> {
    let SubjectFacts::Certificate { valid_to, holder_active: true, .. } = &facts.subject else { return None };
    let days = i64::from(rule.days.unwrap_or(30));
    let left = i64::from((*valid_to - facts.today).get_days());
    if left < 0 {
        None
    } else if left > days {
        valid_to.checked_sub(jiff::Span::new().days(days)).ok()
    } else {
        facts.today.tomorrow().ok()
    }
}

pub fn next_complaint_unanswered(rule: &RuleInfo, facts: &Facts<'_>) -> Option<Date> {
    let SubjectFacts::Complaint { submitted_on, answered: false } = facts.subject else { return None };
    let period = Period::working_days(rule.days.unwrap_or(15)).ok()?;
    day_after(facts.today, facts.calendar.due_date(submitted_on, period).ok())
}

/// An inspection counts from its day, and for the rule's days.
pub fn next_repeat_inspection(rule: &RuleInfo, facts: &Facts<'_>) -> Option<Date> {
    let SubjectFacts::Party { inspections, .. } = &facts.subject else { return None };
    let span = jiff::Span::new().days(i64::from(rule.days.unwrap_or(365)));
    first_after(facts.today, inspections.iter().flat_map(|(_, on)| [Some(*on), on.checked_add(span).ok()]))
}

#[cfg(test)]
mod tests {
    use super::super::{RuleBook, Severity};
    use super::*;
    use crate::case::Step;
    use crate::case::procedure::Procedures;
    use jiff::civil::date;

    fn book() -> RuleBook {
        RuleBook::embedded().unwrap()
    }

    fn calendar() -> Calendar {
        Calendar::embedded().unwrap()
    }

    fn run(rule: &str, subject: SubjectFacts<'_>, today: Date) -> Vec<Finding> {
        let calendar = calendar();
        let book = book();
        let check = RULES.iter().find(|(id, ..)| *id == rule).unwrap().1;
        check(book.get(rule).unwrap(), &Facts { today, calendar: &calendar, subject })
    }

    fn deadline(due: Date, met_on: Option<Date>) -> CaseDeadline {
        CaseDeadline {
            limit: "decision".into(),
            name: "作出处罚决定期限".into(),
            basis: "《行政处罚法》第六十条".into(),
            started: date(2026, 9, 1),
            due,
            trace: vec![],
            met_on,
            overdue: false,
            provisional: false,
        }
    }

    fn step(by: i64, on: Date, to: &str) -> Step {
        Step {
            action: "x".into(),
            from: "a".into(),
            to: to.into(),
            by: UserId(by),
            by_name: format!("人员{by}"),
            on,
            note: String::new(),
            recorded_on: None,
            late_reason: None,
            estimated: vec![],
            rechecked: vec![],
        }
    }

    /// A case of `procedure` opened on 1 September 2026.
    fn with_case<T>(procedure: &str, f: impl FnOnce(&mut CaseData, &Procedure) -> T) -> T {
        let procedures = Procedures::embedded().unwrap();
        let procedure = procedures.get(procedure).unwrap();
        let mut case = crate::case::test_case(procedure, date(2026, 9, 1));
        f(&mut case, procedure)
    }

    fn case_facts<'a>(
        case: &'a CaseData,
        procedure: &'a Procedure,
        stage: &'a str,
        deadlines: &'a [CaseDeadline],
    ) -> CaseFacts<'a> {
        CaseFacts {
            case,
            procedure,
            stage,
            closed: false,
            deadlines,
            publication_due: None,
            review_due: None,
            recordings: &[],
            certificates: &[],
        }
    }

    #[test]
    fn art_60_case_near_its_time_limit_three_working_days_before() {
        // Due Wednesday 9 December 2026: 4 December (Friday) is 3 working days before.
        let limits = [deadline(date(2026, 12, 9), None)];
        with_case("penalty-general", |case, p| {
            let at = |today| {
                run("case_near_time_limit", SubjectFacts::Case(case_facts(case, p, "investigation", &limits)), today)
            };
            assert!(at(date(2026, 12, 3)).is_empty(), "the day before yellow");
            let found = at(date(2026, 12, 4));
            assert_eq!(found.len(), 1, "the day yellow begins");
            assert_eq!((found[0].severity, found[0].key.as_str()), (Severity::Yellow, "decision"));
            assert_eq!(at(date(2026, 12, 9)).len(), 1, "its last day is still near, not past");
            assert!(at(date(2026, 12, 10)).is_empty(), "past it, it is no longer near");
        });
    }

    #[test]
    fn art_60_case_open_past_its_time_limit() {
        let limits = [deadline(date(2026, 12, 9), None)];
        with_case("penalty-general", |case, p| {
            let at = |today| {
                run("case_past_time_limit", SubjectFacts::Case(case_facts(case, p, "investigation", &limits)), today)
            };
            assert!(at(date(2026, 12, 9)).is_empty(), "its last day");
            let found = at(date(2026, 12, 10));
            assert_eq!(found.len(), 1, "the day red begins");
            assert_eq!((found[0].severity, found[0].family.as_str()), (Severity::Red, "case_time_limit"));
            // Met, or the case closed: no warning.
            let met = [deadline(date(2026, 12, 9), Some(date(2026, 12, 8)))];
            let f = SubjectFacts::Case(case_facts(case, p, "investigation", &met));
            assert!(run("case_past_time_limit", f, date(2026, 12, 10)).is_empty());
            let closed = CaseFacts { closed: true, ..case_facts(case, p, "investigation", &limits) };
            assert!(run("case_past_time_limit", SubjectFacts::Case(closed), date(2026, 12, 10)).is_empty());
        });
    }

    #[test]
    fn pub_3_publication_overdue_the_day_after_its_due_date() {
        with_case("penalty-general", |case, p| {
            let at = |due: Option<Date>, today| {
                let facts = CaseFacts { publication_due: due, ..case_facts(case, p, "decided", &[]) };
                run("publication_overdue", SubjectFacts::Case(facts), today)
            };
            assert!(at(Some(date(2026, 12, 9)), date(2026, 12, 9)).is_empty(), "its last day");
            assert_eq!(at(Some(date(2026, 12, 9)), date(2026, 12, 10))[0].severity, Severity::Red);
            assert!(at(None, date(2027, 1, 10)).is_empty(), "published, or nothing to publish");
        });
    }

    /// A publication whose withdrawal is due by 4 December 2026.
    fn to_withdraw() -> PublicationData {
        PublicationData {
            agency: "某局".into(),
            document_number: "杭西市监罚〔2026〕7号".into(),
            category: crate::people::Category::Penalty,
            decided_on: date(2026, 11, 2),
            due_on: date(2026, 11, 11),
            due_trace: vec![],
            published_on: date(2026, 11, 3),
            expires_on: date(2029, 11, 3),
            decision: None,
            corrections: vec![],
            withdrawal: None,
            withdrawal_due: Some(date(2026, 12, 4)),
        }
    }

    #[test]
    fn pub_4_withdrawal_overdue_the_day_after_its_due_date() {
        let data = to_withdraw();
        assert!(run("withdrawal_overdue", SubjectFacts::Publication(&data), date(2026, 12, 4)).is_empty());
        assert_eq!(run("withdrawal_overdue", SubjectFacts::Publication(&data), date(2026, 12, 5)).len(), 1);
        let withdrawn = PublicationData {
            withdrawal: Some(crate::publication::Notice { on: date(2026, 12, 7), reason: "撤销".into() }),
            ..data
        };
        assert!(run("withdrawal_overdue", SubjectFacts::Publication(&withdrawn), date(2026, 12, 8)).is_empty());
    }

    #[test]
    fn rec_5_recording_missing_at_a_stage_that_must_be_recorded() {
        with_case("coercive-seizure", |case, p| {
            let seizure = p.stages.iter().find(|s| s.recording == Recording::Mandatory).unwrap().id.clone();
            case.steps.push(step(1, date(2026, 12, 3), &seizure));
            let at = |case: &CaseData, recordings: &[RecordingRef], today| {
                let facts = CaseFacts { recordings, ..case_facts(case, p, &seizure, &[]) };
                run("recording_missing", SubjectFacts::Case(facts), today)
            };
            assert!(at(case, &[], date(2026, 12, 3)).is_empty(), "the day the stage began");
            assert_eq!(at(case, &[], date(2026, 12, 4)).len(), 1, "a day later, still none");
            let video = [RecordingRef { step: seizure.clone(), kind: crate::evidence::MediaKind::Video }];
            assert!(at(case, &video, date(2026, 12, 4)).is_empty());
            let photo = [RecordingRef { step: seizure.clone(), kind: crate::evidence::MediaKind::Image }];
            assert_eq!(at(case, &photo, date(2026, 12, 4)).len(), 1, "a photo is not a recording");
        });
    }

    /// A first round of review submitted on `submitted_on`, unanswered.
    fn round(submitted_on: Date) -> crate::review::ReviewRound {
        crate::review::ReviewRound {
            number: 1,
            submitted_on,
            submitted_by: UserId(1),
            submitted_by_name: "甲".into(),
            draft: crate::review::Draft::of_decision(String::new(), "", ""),
            triggers: vec![],
            answers: vec![],
            extension_days: 0,
            outcome: None,
        }
    }

    #[test]
    fn rev_4_review_overdue_the_day_after_its_limit() {
        with_case("penalty-general", |case, p| {
            case.review.rounds.push(round(date(2026, 12, 1)));
            let at = |today| {
                let facts =
                    CaseFacts { review_due: Some(date(2026, 12, 8)), ..case_facts(case, p, "legal_review", &[]) };
                run("review_overdue", SubjectFacts::Case(facts), today)
            };
            assert!(at(date(2026, 12, 8)).is_empty());
            assert_eq!(at(date(2026, 12, 9))[0].key, "round-1");
        });
    }

    #[test]
    fn art_42_certificate_expired_acting() {
        with_case("penalty-general", |case, p| {
            case.matter.handlers =
                vec![crate::penalty::Handler { user: UserId(5), name: "李四".into(), certificate: "c".into() }];
            case.steps.push(step(5, date(2026, 12, 1), "investigation"));
            case.steps.push(step(9, date(2026, 12, 2), "investigation"));
            let at = |certificates: &[(UserId, Date, Date)]| {
                let facts = CaseFacts { certificates, ..case_facts(case, p, "investigation", &[]) };
                run("certificate_expired_acting", SubjectFacts::Case(facts), date(2026, 12, 6))
            };
            assert!(at(&[(UserId(5), date(2024, 1, 1), date(2026, 12, 1))]).is_empty(), "valid to its last day");
            let found = at(&[(UserId(5), date(2024, 1, 1), date(2026, 11, 30))]);
            assert_eq!(found.len(), 1, "expired the day before; the head's step (user 9) is not a handler's");
            assert_eq!(found[0].key, "step-0");
        });
    }

    #[test]
    fn art_42_certificate_expiring_within_30_days() {
        let at = |valid_to, active| {
            let subject =
                SubjectFacts::Certificate { number: "330100001", holder: "李四", valid_to, holder_active: active };
            run("certificate_expiring", subject, date(2026, 12, 6))
        };
        assert!(at(date(2027, 1, 6), true).is_empty(), "31 days left");
        assert_eq!(at(date(2027, 1, 5), true)[0].severity, Severity::Yellow, "30 days left");
        assert_eq!(at(date(2026, 12, 6), true).len(), 1, "its last day");
        assert!(at(date(2026, 12, 5), true).is_empty(), "expired: no longer expiring");
        assert!(at(date(2027, 1, 5), false).is_empty(), "a holder who left");
    }

    #[test]
    fn rev_6_reviewer_ratio_below_5_percent() {
        let at = |reviewers, certified_officers| {
            run(
                "reviewer_ratio_below_5_percent",
                SubjectFacts::Agency { reviewers, certified_officers },
                date(2026, 12, 6),
            )
        };
        assert!(at(1, 20).is_empty(), "exactly 5%");
        assert_eq!(at(1, 21).len(), 1, "below 5%");
        assert!(at(0, 0).is_empty(), "no officers");
    }

    #[test]
    fn sup_6_complaint_unanswered_past_its_answer_limit() {
        // Submitted Tuesday 10 November 2026: 15 working days later is 1 December.
        let at = |answered, today| {
            run("complaint_unanswered", SubjectFacts::Complaint { submitted_on: date(2026, 11, 10), answered }, today)
        };
        assert!(at(false, date(2026, 12, 1)).is_empty(), "its last day");
        assert_eq!(at(false, date(2026, 12, 2)).len(), 1, "the day after");
        assert!(at(true, date(2026, 12, 2)).is_empty(), "answered");
    }

    #[test]
    fn rec_3_a_step_found_late_once_the_years_holidays_were_loaded() {
        with_case("penalty-general", |case, p| {
            let mut s = step(1, date(2027, 1, 4), "service");
            s.action = "decide".into();
            s.rechecked.push(crate::case::Rechecked {
                rule: "decision_time_limit".into(),
                estimated_late: None,
                on: date(2027, 1, 20),
                found: None,
            });
            case.steps.push(s);
            let at = |case: &CaseData| {
                run("estimate_found_late", SubjectFacts::Case(case_facts(case, p, "service", &[])), date(2027, 1, 21))
            };
            assert!(at(case).is_empty(), "rechecked and still on time");
            case.steps[0].rechecked[0].found = Some("超过九十日".into());
            let found = at(case);
            assert_eq!(found.len(), 1);
            assert!(found[0].text.contains("作出行政处罚决定") && found[0].text.contains("超过九十日"), "{found:?}");
        });
    }

    #[test]
    fn guideline_2024_54_repeat_inspection() {
        let at = |inspections: &[(AgencyId, Date)]| {
            run("repeat_inspection", SubjectFacts::Party { name: "某公司", inspections }, date(2026, 12, 6))
        };
        let a = AgencyId(1);
        assert!(at(&[(a, date(2026, 3, 1)), (a, date(2026, 9, 1))]).is_empty(), "twice by one agency: the limit");
        assert_eq!(at(&[(a, date(2026, 3, 1)), (a, date(2026, 9, 1)), (a, date(2026, 12, 1))]).len(), 1, "three times");
        assert_eq!(at(&[(a, date(2026, 3, 1)), (AgencyId(2), date(2026, 9, 1))]).len(), 1, "two agencies");
        assert!(at(&[(a, date(2025, 12, 6)), (AgencyId(2), date(2026, 9, 1))]).is_empty(), "a year and a day ago");
    }

    /// SUP-1, the day's pass: a subject is evaluated again on the day
    /// [`RuleBook::next_change`] names and not before, so no rule may find
    /// otherwise on any day before it; and for cases, certificates and
    /// complaints something does change on it (no day is named in vain).
    mod next_change {
        use super::*;
        use proptest::prelude::*;

        fn day(n: i64) -> Date {
            date(2026, 1, 1).checked_add(jiff::Span::new().days(n)).unwrap()
        }

        fn after(d: Date, n: i64) -> Date {
            d.checked_add(jiff::Span::new().days(n)).unwrap()
        }

        /// Nothing `at` finds changes from `today` until `next`; with
        /// `tight`, something does on `next`.
        fn holds(
            at: &dyn Fn(Date) -> Vec<Finding>,
            next: Option<Date>,
            today: Date,
            tight: bool,
        ) -> Result<(), TestCaseError> {
            let now = at(today);
            prop_assert!(next.is_none_or(|n| n > today), "{next:?} is not after {today}");
            let end = next.unwrap_or(after(today, 420));
            let mut d = after(today, 1);
            while d < end {
                prop_assert_eq!(at(d), now.clone(), "changed on {} although the next change is {:?}", d, next);
                d = after(d, 1);
            }
            if let (true, Some(n)) = (tight, next) {
                prop_assert_ne!(at(n), now, "nothing changed on {}", n);
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(96))]

            #[test]
            fn sup_1_a_case_changes_on_its_next_day_and_not_before(
                today in 0i64..700,
                // Most limits near today, where the days change most.
                limits in proptest::collection::vec((prop_oneof![-40i64..160, -2i64..10], proptest::bool::weighted(0.2)), 0..4),
                closed in proptest::bool::weighted(0.15),
                publication in proptest::option::of(-10i64..30),
                review in proptest::option::of(-10i64..30),
                entered in proptest::option::of(-5i64..=0),
                recorded: bool,
            ) {
                let calendar = calendar().with_estimates(2030);
                let book = book();
                let today = day(today);
                let deadlines: Vec<CaseDeadline> = limits
                    .iter()
                    .enumerate()
                    .map(|(i, (due, met))| CaseDeadline {
                        limit: format!("limit-{i}"),
                        ..deadline(after(today, *due), met.then_some(after(today, -50)))
                    })
                    .collect();
                with_case("coercive-seizure", |case, p| {
                    let seizure = p.stages.iter().find(|s| s.recording == Recording::Mandatory).unwrap().id.clone();
                    if let Some(n) = entered {
                        case.steps.push(step(1, after(today, n), &seizure));
                    }
                    if review.is_some() {
                        case.review.rounds.push(round(after(today, -20)));
                    }
                    let video = [RecordingRef { step: seizure.clone(), kind: crate::evidence::MediaKind::Video }];
                    let recordings: &[RecordingRef] = if recorded { &video } else { &[] };
                    let facts = |on: Date| Facts {
                        today: on,
                        calendar: &calendar,
                        subject: SubjectFacts::Case(CaseFacts {
                            closed,
                            publication_due: publication.map(|n| after(today, n)),
                            review_due: review.map(|n| after(today, n)),
                            recordings,
                            ..case_facts(case, p, &seizure, &deadlines)
                        }),
                    };
                    holds(&|on| book.evaluate(&facts(on)), book.next_change(&facts(today)), today, true)
                })?;
            }

            #[test]
            fn sup_1_a_certificate_or_complaint_changes_on_its_next_day_and_not_before(
                today in 0i64..700,
                valid_to in -10i64..90,
                active: bool,
                submitted in -40i64..=0,
                answered: bool,
            ) {
                let calendar = calendar().with_estimates(2030);
                let book = book();
                let today = day(today);
                let certificate = |on| Facts {
                    today: on,
                    calendar: &calendar,
                    subject: SubjectFacts::Certificate {
                        number: "330100001",
                        holder: "李四",
                        valid_to: after(today, valid_to),
                        holder_active: active,
                    },
                };
                holds(&|on| book.evaluate(&certificate(on)), book.next_change(&certificate(today)), today, true)?;
                let complaint = |on| Facts {
                    today: on,
                    calendar: &calendar,
                    subject: SubjectFacts::Complaint { submitted_on: after(today, submitted), answered },
                };
                holds(&|on| book.evaluate(&complaint(on)), book.next_change(&complaint(today)), today, true)?;
            }

            #[test]
            fn sup_1_a_partys_inspections_change_on_their_next_day_and_not_before(
                today in 0i64..700,
                inspections in proptest::collection::vec((1i64..4, -400i64..60), 0..5),
            ) {
                let calendar = calendar().with_estimates(2030);
                let book = book();
                let today = day(today);
                let inspections: Vec<(AgencyId, Date)> =
                    inspections.iter().map(|(a, on)| (AgencyId(*a), after(today, *on))).collect();
                let party = |on| Facts {
                    today: on,
                    calendar: &calendar,
                    subject: SubjectFacts::Party { name: "某公司", inspections: &inspections },
                };
                // Not tight: an inspection may come and go without reaching the limit.
                holds(&|on| book.evaluate(&party(on)), book.next_change(&party(today)), today, false)?;
            }
        }

        #[test]
        fn sup_1_a_withdrawal_changes_the_day_after_its_due_date() {
            let calendar = calendar();
            let book = book();
            let data = to_withdraw();
            let facts = |today| Facts { today, calendar: &calendar, subject: SubjectFacts::Publication(&data) };
            assert_eq!(book.next_change(&facts(date(2026, 12, 1))), Some(date(2026, 12, 5)));
            assert_eq!(book.next_change(&facts(date(2026, 12, 4))), Some(date(2026, 12, 5)));
            assert_eq!(book.next_change(&facts(date(2026, 12, 5))), None, "overdue stays overdue");
        }
    }
}
