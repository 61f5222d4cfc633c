//! The legal rules of SPEC REC-2, one named function each (行政处罚法 2021
//! unless noted), and the gates that procedures name: each gate applies one
//! rule to a case and the step being taken, and refuses with the rule's name,
//! its article and a sentence for people.

use super::facts::Facts;
use super::{Handler, Penalty, PenaltyKind};
use crate::amounts::ProvinceAmounts;
use crate::ids::UserId;
use crate::money::Money;
use crate::penalty::NoPenaltyGround;
use crate::people::Category;
use crate::review;
use jiff::civil::Date;
use zhifa_calendar::{Calendar, Period, Unit};

/// Why a step may not be taken.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Refusal {
    /// The rule's stable name, e.g. `two_certified_officers`.
    pub rule: &'static str,
    /// Where the law says so.
    pub article: &'static str,
    pub message: String,
}

/// The name the refusal of a step by an officer not of the case, or without
/// a valid certificate, carries.
pub const STEP_BY_CERTIFIED_OFFICER_RULE: &str = "step_by_certified_officer";

/// The name a late entry's refusal carries.
pub const LATE_ENTRY_RULE: &str = "late_entry";
pub const REC_2_TIMELY: &str = "《国务院办公厅关于全面推行行政执法公示制度执法全过程记录制度重大执法决定法制审核制度的指导意见》（国办发〔2018〕118号）第12项（文字记录及时准确）";
pub const ART_33: &str = "《行政处罚法》第三十三条";
pub const ART_36: &str = "《行政处罚法》第三十六条";
pub const ART_42: &str = "《行政处罚法》第四十二条";
pub const ART_44: &str = "《行政处罚法》第四十四条、第六十二条";
pub const ART_45: &str = "《行政处罚法》第四十五条";
pub const ART_51: &str = "《行政处罚法》第五十一条";
pub const ART_57: &str = "《行政处罚法》第五十七条";
pub const ART_58: &str = "《行政处罚法》第五十八条";
pub const ART_60: &str = "《行政处罚法》第六十条";
pub const ART_61: &str = "《行政处罚法》第六十一条";
pub const ART_63: &str = "《行政处罚法》第六十三条";
pub const ART_64: &str = "《行政处罚法》第六十四条、第八十五条";
pub const ART_66_72: &str = "《行政处罚法》第六十六条、第七十二条";
pub const PUB_2: &str = "《行政处罚法》第四十二条、第五十五条（出示执法证件）";
pub const COERCION_25: &str = "《行政强制法》第二十五条";
pub const PERMIT_42: &str = "《行政许可法》第四十二条";
pub const REC_5: &str = "《国务院办公厅关于全面推行行政执法公示制度执法全过程记录制度重大执法决定法制审核制度的指导意见》（国办发〔2018〕118号）第13项";

pub use super::facts::CertificatesOf;

/// Art. 42 and PUB-2: at least two officers, each showing a certificate that
/// covers the category and is valid on the day.
pub fn art_42_two_certified_officers(
    handlers: &[Handler],
    certificates: &CertificatesOf<'_>,
    category: Category,
    on: Date,
) -> Result<(), String> {
    let mut people: Vec<UserId> = handlers.iter().map(|h| h.user).collect();
    people.sort();
    people.dedup();
    if people.len() < 2 {
        return Err(format!("执法人员不得少于两人，本案只有 {} 人", people.len()));
    }
    for h in handlers {
        let held = certificates(h.user);
        let Some(cert) = held.iter().find(|c| c.number == h.certificate) else {
            return Err(format!("{}出示的执法证 {} 不是其登记的执法证", h.name, h.certificate));
        };
        if cert.expired_on(on) {
            return Err(format!("{}的执法证 {} 已于 {} 过期", h.name, cert.number, cert.valid_to));
        }
        if on < cert.valid_from {
            return Err(format!("{}的执法证 {} 自 {} 起才有效", h.name, cert.number, cert.valid_from));
        }
        if !cert.valid_for(category, on) {
            return Err(format!("{}的执法证 {} 不含“{}”执法类别", h.name, cert.number, category.label()));
        }
    }
    Ok(())
}

/// Art. 42 and PUB-2: an officer who records a step of a case is one of the
/// case's officers and holds a certificate valid that day for its category.
pub fn art_42_step_by_a_certified_officer(
    by: UserId,
    by_name: &str,
    handlers: &[Handler],
    certificates: &CertificatesOf<'_>,
    category: Category,
    on: Date,
) -> Result<(), String> {
    if !handlers.iter().any(|h| h.user == by) {
        return Err(format!("{by_name}不是本案的执法人员，不能办理本案的执法事项"));
    }
    if !certificates(by).iter().any(|c| on >= c.valid_from && c.valid_for(category, on)) {
        return Err(format!("{by_name}没有 {on} 有效、含“{}”执法类别的执法证，不能办理执法事项", category.label()));
    }
    Ok(())
}

/// Art. 36: a violation not discovered within two years (five where it
/// touches life and health or financial safety) is no longer punished.
pub fn art_36_limitation_period(
    violation_on: Date,
    discovered_on: Date,
    health_or_finance: bool,
) -> Result<(), String> {
    let years: i8 = if health_or_finance { 5 } else { 2 };
    let last = violation_on.checked_add(jiff::Span::new().years(years)).unwrap_or(Date::MAX);
    if discovered_on > last {
        return Err(format!("违法行为发生于 {violation_on}，{years} 年内未被发现（至 {last}），不再给予行政处罚"));
    }
    Ok(())
}

/// Art. 51: the simple procedure only for a warning or a fine of at most
/// 200 yuan for a person, 3,000 yuan for an organisation.
pub fn art_51_simple_procedure_limits(penalty: &Penalty, person: bool) -> Result<(), String> {
    if let Some(k) = penalty.kinds.iter().find(|k| !matches!(k, PenaltyKind::Warning | PenaltyKind::Fine)) {
        return Err(format!("简易程序只能给予警告或者罚款，不能给予“{}”", k.label()));
    }
    let limit = if person { Money::yuan(200) } else { Money::yuan(3_000) };
    if penalty.fine > limit {
        let who = if person { "公民" } else { "法人或者其他组织" };
        return Err(format!("简易程序对{who}的罚款不得超过 {limit} 元，拟罚款 {} 元", penalty.fine));
    }
    Ok(())
}

/// Art. 44 and 62: no decision before the party was told the facts, grounds,
/// content of the penalty and its rights.
pub fn art_44_notice_before_decision(notified_on: Option<Date>, decided_on: Date) -> Result<(), String> {
    match notified_on {
        None => {
            Err("作出行政处罚决定之前，未告知当事人拟作出的处罚内容及事实、理由、依据和陈述、申辩、要求听证的权利"
                .into())
        }
        Some(n) if n > decided_on => Err(format!("告知日期 {n} 晚于决定日期 {decided_on}")),
        Some(_) => Ok(()),
    }
}

/// How heavy a penalty is, kind by kind (art. 9 order).
fn heaviest(kinds: &[PenaltyKind]) -> Option<PenaltyKind> {
    kinds.iter().copied().max()
}

/// Art. 45: the decision is no heavier than the penalty the party was told
/// of and answered (陈述、申辩 must not make it heavier).
pub fn art_45_no_heavier_after_defence(proposed: &Penalty, decision: &Penalty, defended: bool) -> Result<(), String> {
    let why = if defended { "当事人陈述、申辩后" } else { "与告知的处罚内容相比" };
    if decision.fine > proposed.fine {
        return Err(format!("{why}罚款由 {} 元加重为 {} 元", proposed.fine, decision.fine));
    }
    if decision.confiscation > proposed.confiscation {
        return Err(format!("{why}没收金额由 {} 元加重为 {} 元", proposed.confiscation, decision.confiscation));
    }
    if let Some(k) = decision.kinds.iter().find(|k| !proposed.kinds.contains(k))
        && (heaviest(&decision.kinds) > heaviest(&proposed.kinds) || *k > PenaltyKind::Fine)
    {
        return Err(format!("{why}增加了更重的处罚种类“{}”", k.label()));
    }
    Ok(())
}

/// Art. 63: the penalties the party may ask a hearing on. The 较大数额 is
/// the province's (`amounts`); where its file is not loaded, any fine or
/// confiscation gives the right, so that no party loses a hearing for want
/// of data.
pub fn art_63_hearing_right(penalty: &Penalty, person: bool, amounts: Option<&ProvinceAmounts>) -> bool {
    let large = match amounts {
        Some(a) if person => a.hearing_person,
        Some(a) => a.hearing_organisation,
        None => Money::from_fen(1).unwrap_or(Money::ZERO),
    };
    penalty.fine >= large
        || penalty.confiscation >= large
        || penalty.kinds.iter().any(|k| {
            matches!(
                k,
                PenaltyKind::LowerQualification
                    | PenaltyKind::RevokePermit
                    | PenaltyKind::SuspendBusiness
                    | PenaltyKind::OrderClosure
                    | PenaltyKind::RestrictEmployment
            )
        })
}

/// Art. 64 (1) and 85: a hearing is asked for within five working days of the
/// notice. Returns the last day.
pub fn art_64_hearing_request_window(calendar: &Calendar, notified_on: Date) -> Result<Date, String> {
    let period = Period::working_days(5).map_err(|e| e.to_string())?;
    calendar.due_date(notified_on, period).map_err(|e| e.to_string())
}

/// Art. 60: a decision within 90 days of filing, unless extended with
/// approval. Returns the last day.
pub fn art_60_decision_due(calendar: &Calendar, filed_on: Date, extended_days: u16) -> Result<Date, String> {
    let period = Period::days(90 + extended_days).map_err(|e| e.to_string())?;
    calendar.due_date(filed_on, period).map_err(|e| e.to_string())
}

/// Art. 61: the decision is served within 7 working days. Returns the last day.
pub fn art_61_service_due(calendar: &Calendar, decided_on: Date) -> Result<Date, String> {
    let period = Period::working_days(7).map_err(|e| e.to_string())?;
    calendar.due_date(decided_on, period).map_err(|e| e.to_string())
}

/// Art. 61: a decision served after its 7 working days says why (the note
/// of the step), so that the record shows it.
pub fn art_61_service_on_time(
    calendar: &Calendar,
    decided_on: Date,
    served_on: Date,
    note: &str,
) -> Result<(), String> {
    if within(7, Unit::WorkingDays, decided_on, served_on) || !note.trim().is_empty() {
        return Ok(());
    }
    let due = art_61_service_due(calendar, decided_on)?;
    if served_on <= due {
        return Ok(());
    }
    Err(format!("行政处罚决定书应在 {due} 前送达，{served_on} 送达已逾期，应在备注中写明逾期送达的原因"))
}

/// Art. 67: the fine is paid within 15 days of service, or within the
/// further days a head approved on the party's application (延期缴纳, art. 66).
/// Returns the last day.
pub fn art_67_payment_due(calendar: &Calendar, served_on: Date, deferred_days: u16) -> Result<Date, String> {
    let period = Period::days(15 + deferred_days).map_err(|e| e.to_string())?;
    calendar.due_date(served_on, period).map_err(|e| e.to_string())
}

/// Art. 72: paid after its due day (art. 67), 3% of the fine a day, never
/// more than the fine.
pub fn art_72_late_payment_surcharge(
    calendar: &Calendar,
    fine: Money,
    (served_on, deferred_days): (Date, u16),
    paid_on: Date,
) -> Result<Money, String> {
    let period = Period::days(15 + deferred_days).map_err(|e| e.to_string())?;
    if period.certainly_within(served_on, paid_on) {
        return Ok(Money::ZERO);
    }
    let due = art_67_payment_due(calendar, served_on, deferred_days)?;
    if paid_on <= due {
        return Ok(Money::ZERO);
    }
    let days = i64::from((paid_on - due).get_days());
    let surcharge = fine.ratio(3 * days, 100);
    Ok(surcharge.min(fine))
}

/// REC-2: a step is recorded when it happens (文字记录及时准确). One stated to
/// have happened before the day it is recorded (补录) says why, and is late by
/// at most `bound` working days; where the calendar lacks a year, weekends
/// alone are counted (an estimate that never blocks for want of data).
pub fn rec_2_late_entry(
    on: Date,
    recorded_on: Date,
    reason: &str,
    bound: u16,
    calendar: &Calendar,
) -> Result<(), String> {
    if on >= recorded_on {
        return Ok(());
    }
    if reason.trim().is_empty() {
        return Err(format!("事项发生于 {on}，于 {recorded_on} 补录，须写明补录原因"));
    }
    let late = working_days_between(on, recorded_on, calendar);
    if late > i64::from(bound) {
        return Err(format!(
            "事项发生于 {on}，至 {recorded_on} 已过 {late} 个工作日，超过本机关补录时限（{bound} 个工作日），不能补录"
        ));
    }
    Ok(())
}

/// Working days after `from` up to and including `to`: by the calendar, or
/// counting weekdays where it lacks a year.
fn working_days_between(from: Date, to: Date, calendar: &Calendar) -> i64 {
    let mut n = 0;
    let mut day = from;
    while day < to {
        let Ok(next) = day.tomorrow() else { break };
        day = next;
        let working = calendar.is_working_day(day).unwrap_or_else(|_| {
            !matches!(day.weekday(), jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday)
        });
        n += i64::from(working);
    }
    n
}

/// Art. 33: 首违不罚 — a first violation with minor harm, corrected in time,
/// may go unpunished. The officer confirms the three conditions.
pub fn art_33_first_minor_violation(first: bool, minor_harm: bool, corrected: bool) -> Result<(), String> {
    let missing: Vec<&str> = [(first, "初次违法"), (minor_harm, "危害后果轻微"), (corrected, "及时改正")]
        .iter()
        .filter(|(ok, _)| !ok)
        .map(|(_, what)| *what)
        .collect();
    if missing.is_empty() { Ok(()) } else { Err(format!("首违不罚须同时满足：{}", missing.join("、"))) }
}

/// Arts. 30, 31, 33, 36, 57: no penalty only on a ground of the law chosen
/// explicitly, with the reason written; 首违不罚 only with its three
/// conditions confirmed one by one, and 轻微并及时改正 with the correction.
pub fn art_33_no_penalty_ground(
    ground: Option<NoPenaltyGround>,
    confirmed: Option<[bool; 3]>,
    reason: &str,
) -> Result<(), String> {
    if reason.trim().is_empty() {
        return Err("应写明不予行政处罚的理由和依据".into());
    }
    let [first, minor_harm, corrected] = confirmed.unwrap_or_default();
    match ground {
        None => Err("应选择不予行政处罚的法定情形".into()),
        Some(NoPenaltyGround::FirstMinor) => art_33_first_minor_violation(first, minor_harm, corrected),
        Some(NoPenaltyGround::MinorCorrected) if !corrected => {
            Err("违法行为轻微不予行政处罚，须确认当事人已及时改正".into())
        }
        Some(_) => Ok(()),
    }
}

/// Art. 57: collective deliberation of the heads for complex or serious cases.
pub fn art_57_collective_deliberation(serious: bool, deliberated_on: Option<Date>) -> Result<(), String> {
    if serious && deliberated_on.is_none() {
        return Err("情节复杂或者重大违法行为给予行政处罚，行政机关负责人应当集体讨论决定".into());
    }
    Ok(())
}

/// 行政强制法 art. 25: a seizure lasts at most 30 days, extended once by at
/// most 30 days with the head's approval, before it runs out.
pub fn coercion_art_25_seizure_extension(
    until: Date,
    already_extended: bool,
    days: u16,
    on: Date,
) -> Result<(), String> {
    if already_extended {
        return Err("查封、扣押的期限只能延长一次".into());
    }
    if days == 0 || days > 30 {
        return Err("查封、扣押的期限延长不得超过三十日".into());
    }
    if on > until {
        return Err(format!("查封、扣押已于 {until} 到期，不能再延长"));
    }
    Ok(())
}

/// 行政许可法 art. 42: a decision within 20 working days of acceptance,
/// extended by at most 10 with the head's approval. Returns the last day.
pub fn permit_art_42_decision_due(calendar: &Calendar, accepted_on: Date, extended_days: u16) -> Result<Date, String> {
    let period = Period::working_days(20 + extended_days.min(10)).map_err(|e| e.to_string())?;
    calendar.due_date(accepted_on, period).map_err(|e| e.to_string())
}

/// REC-5: a stage that must be recorded on audio/video is left only with a
/// recording of it.
pub fn rec_5_mandatory_recordings(stage_name: &str, recordings: usize) -> Result<(), String> {
    if recordings == 0 {
        return Err(format!("“{stage_name}”应当全程音像记录，尚未上传该环节的录音或录像（照片和其他文件不算）"));
    }
    Ok(())
}

/// Whether `on` is within `length` units after `from` whatever the holidays
/// (so that a year whose holidays are not yet published does not stop a
/// step taken in time).
fn within(length: u16, unit: Unit, from: Date, on: Date) -> bool {
    Period::new(length, unit).is_ok_and(|p| p.certainly_within(from, on))
}

/// No decision the catalogue (or art. 58) names without a review that
/// cleared this very decision (in a dry run, the draft at hand).
fn decision_reviewed(f: &Facts<'_>) -> Result<(), String> {
    let Some(draft) = f.draft() else { return Ok(()) };
    let triggers = super::reviewed::review_triggers(f.review, f.case, draft.penalty());
    review::art_58_no_decision_without_review(&triggers, super::reviewed::cleared_draft(f.case), &draft)
}

/// REC-2: the bound on late entries, applied to the step of `f`.
pub fn late_entry(f: &Facts<'_>) -> Result<(), String> {
    let s = f.step;
    rec_2_late_entry(s.on, s.recorded_on, &s.late_reason, s.late_entry_days, f.calendar)
}

/// Apply the gate (or the late-entry rule) named `rule` to `f`; a name of
/// no rule holds.
pub fn check(rule: &str, f: &Facts<'_>) -> Result<(), String> {
    if rule == LATE_ENTRY_RULE {
        return late_entry(f);
    }
    RULES.iter().find(|(name, _, _)| *name == rule).map_or(Ok(()), |(_, _, gate)| gate(f))
}

/// The article a gate (or the late-entry rule) applies, by its name.
pub fn article_of(rule: &str) -> &'static str {
    if rule == LATE_ENTRY_RULE {
        return REC_2_TIMELY;
    }
    RULES.iter().find(|(name, _, _)| *name == rule).map_or("", |(_, article, _)| article)
}

/// A gate: applies a rule to the facts of one step.
pub type Gate = fn(&Facts<'_>) -> Result<(), String>;

/// The gates procedures may name: `(name, article, gate)`.
pub const RULES: &[(&str, &str, Gate)] = &[
    ("two_certified_officers", ART_42, |f| {
        art_42_two_certified_officers(f.handlers(), f.certificates, f.case.category, f.step.on)
    }),
    ("limitation_period", ART_36, |f| match f.case.matter.violation_on {
        Some(v) => art_36_limitation_period(v, f.case.opened_on, f.case.matter.health_or_finance),
        None => Err("未填写违法行为发生（终了）日期".into()),
    }),
    ("simple_procedure_limits", ART_51, |f| {
        art_51_simple_procedure_limits(f.penalty()?, f.case.matter.party.is_person())
    }),
    ("notice_before_decision", ART_44, |f| {
        // Art. 44 is of penalties: a decision of no penalty is not noticed.
        if f.draft().is_some_and(|d| d.penalty().is_none()) {
            return Ok(());
        }
        art_44_notice_before_decision(f.case.notified_on, f.step.on)
    }),
    ("no_heavier_after_defence", ART_45, |f| match &f.case.proposed {
        Some(proposed) => art_45_no_heavier_after_defence(proposed, f.penalty()?, f.case.defended),
        None => Ok(()),
    }),
    ("hearing_right", ART_63, |f| match &f.case.proposed {
        Some(p) if art_63_hearing_right(p, f.case.matter.party.is_person(), f.amounts) => Ok(()),
        _ => Err("告知的处罚不属于当事人有权要求听证的情形".into()),
    }),
    ("hearing_request_window", ART_64, |f| {
        let Some(notified) = f.case.notified_on else { return Err("尚未告知当事人".into()) };
        if within(5, Unit::WorkingDays, notified, f.step.on) {
            return Ok(());
        }
        let last = art_64_hearing_request_window(f.calendar, notified)?;
        if f.step.on > last {
            return Err(format!("当事人应在告知后五个工作日内（{last} 前）要求听证，{} 提出已逾期", f.step.on));
        }
        Ok(())
    }),
    ("hearing_settled", ART_64, |f| {
        let Some(proposed) = &f.case.proposed else { return Ok(()) };
        if !art_63_hearing_right(proposed, f.case.matter.party.is_person(), f.amounts) || f.case.hearing_waived {
            return Ok(());
        }
        if f.case.hearing_requested_on.is_some() && f.case.hearing_held_on.is_none() {
            return Err("当事人要求听证，尚未举行听证".into());
        }
        let Some(notified) = f.case.notified_on else { return Err("尚未告知当事人".into()) };
        let last = art_64_hearing_request_window(f.calendar, notified)?;
        if f.case.hearing_held_on.is_none() && f.step.on <= last {
            return Err(format!("当事人可在 {last} 前要求听证，期满或其放弃听证后方可继续"));
        }
        Ok(())
    }),
    ("decision_time_limit", ART_60, |f| {
        let Some(filed) = f.case.filed_on else { return Err("案件尚未立案".into()) };
        let extended = f.case.extended_days("decision");
        if within(90 + extended, Unit::Days, filed, f.step.on) {
            return Ok(());
        }
        let last = art_60_decision_due(f.calendar, filed, extended)?;
        if f.step.on > last {
            let how = if extended == 0 { "且未经批准延长" } else { "已超过批准延长后的期限" };
            return Err(format!(
                "应自立案之日（{filed}）起九十日内（{last} 前）作出处理决定，{} 已是第 {} 日，{how}",
                f.step.on,
                (f.step.on - filed).get_days()
            ));
        }
        Ok(())
    }),
    ("collective_deliberation", ART_57, |f| {
        art_57_collective_deliberation(f.case.matter.serious, f.case.deliberated_on)
    }),
    ("legal_review", ART_58, decision_reviewed),
    // The same gate for decisions other than penalties, which the agency's
    // catalogue names (国办发〔2018〕118号 item 14).
    ("catalogue_review", review::GUIDELINE, decision_reviewed),
    ("review_separation", review::GUIDELINE, |f| {
        let r = f.step.reviewer.as_ref().ok_or("未指明法制审核人员")?;
        review::guideline_separation_of_handling_and_review(r.user, &f.case.matter.handlers, &f.handling_steps_by())
    }),
    ("reviewer_qualified", review::ART_58_2, |f| {
        let r = f.step.reviewer.as_ref().ok_or("未指明法制审核人员")?;
        review::art_58_first_time_reviewer_qualified(r, f.case.category)
    }),
    ("assigned_reviewer", review::GUIDELINE, |f| match &f.case.review.reviewer {
        Some(a) if a.user != f.step.by => Err(format!("本案已指派{}审核", a.name)),
        _ => Ok(()),
    }),
    ("seven_points", review::GUIDELINE, |f| match &f.step.review {
        Some(r) => review::guideline_seven_points(r),
        None => Err("应对七项审核内容逐项给出结论".into()),
    }),
    ("review_answers", review::GUIDELINE, |f| {
        let Some(last) = f.case.review.current().and_then(|r| r.outcome.as_ref()) else { return Ok(()) };
        let wanted = last.problems.len().max(1);
        let answers = f.step.answers.iter().filter(|a| !a.trim().is_empty()).count();
        if answers < wanted {
            return Err(format!(
                "审核意见提出 {wanted} 项问题（或需补充的材料），承办机构应逐项答复后再次报送审核，已答复 {answers} 项"
            ));
        }
        Ok(())
    }),
    ("disagreement_after_resubmission", review::GUIDELINE, |f| {
        if f.case.review.problem_rounds() < 2 {
            return Err("承办机构应先按审核意见研究处理并再次报送审核；再次审核仍有分歧的，方可提请协调".into());
        }
        Ok(())
    }),
    ("serious_case", ART_57, |f| {
        if !f.case.matter.serious {
            return Err("只有情节复杂或者重大违法行为的案件提交集体讨论；本案应继续协调或按审核意见处理".into());
        }
        Ok(())
    }),
    ("review_extension", review::GUIDELINE, |f| {
        let round = f.case.review.current().ok_or("尚未提交法制审核")?;
        if round.extension_days > 0 {
            return Err("本轮审核期限已延长过一次".into());
        }
        if f.step.days > review::MAX_EXTENSION {
            return Err(format!("审核期限至多延长 {} 个工作日", review::MAX_EXTENSION));
        }
        Ok(())
    }),
    ("first_minor_violation", ART_33, |f| {
        art_33_no_penalty_ground(f.step.no_penalty_ground, f.step.first_minor, &f.step.reason)
    }),
    ("service_time_limit", ART_61, |f| match f.case.decided_on {
        Some(decided_on) => art_61_service_on_time(f.calendar, decided_on, f.step.on, &f.step.note),
        None => Ok(()),
    }),
    ("payment_settled", ART_66_72, |f| {
        let fine = f.case.decision.as_ref().map_or(Money::ZERO, |d| d.fine);
        if fine == Money::ZERO || f.case.enforced_by_court {
            return Ok(());
        }
        let owed = fine.saturating_add(f.case.surcharge);
        if f.case.paid < owed {
            return Err(format!(
                "罚款及加处罚款共 {owed} 元，已缴纳 {} 元；未缴清的应申请人民法院强制执行",
                f.case.paid
            ));
        }
        Ok(())
    }),
    ("seizure_time_limit", COERCION_25, |f| {
        let Some(until) = f.case.seizure_until else { return Err("尚未实施查封、扣押".into()) };
        coercion_art_25_seizure_extension(until, f.case.extended_days("seizure") > 0, f.step.days, f.step.on)
    }),
    ("permit_time_limit", PERMIT_42, |f| {
        let Some(accepted) = f.case.accepted_on else { return Err("申请尚未受理".into()) };
        let extended = f.case.extended_days("decision").min(10);
        if within(20 + extended, Unit::WorkingDays, accepted, f.step.on) {
            return Ok(());
        }
        let last = permit_art_42_decision_due(f.calendar, accepted, f.case.extended_days("decision"))?;
        if f.step.on > last {
            return Err(format!("应自受理之日（{accepted}）起二十个工作日内（{last} 前）作出决定"));
        }
        Ok(())
    }),
];

/// The rule names procedures may use as gates.
pub fn names() -> Vec<&'static str> {
    RULES.iter().map(|(name, _, _)| *name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::CertificateData;
    use crate::region::RegionCode;
    use jiff::civil::date;

    fn calendar() -> Calendar {
        Calendar::embedded().unwrap()
    }

    fn cert(number: &str, valid_to: Date) -> CertificateData {
        CertificateData {
            number: number.into(),
            categories: vec![Category::Penalty, Category::Inspection],
            region: RegionCode::parse("330106").unwrap(),
            valid_from: date(2023, 1, 1),
            valid_to,
        }
    }

    fn handler(user: i64, certificate: &str) -> Handler {
        Handler { user: UserId(user), name: format!("执法人员{user}"), certificate: certificate.into() }
    }

    fn fine(yuan: i64) -> Penalty {
        Penalty { kinds: vec![PenaltyKind::Fine], fine: Money::yuan(yuan), ..Default::default() }
    }

    #[test]
    fn art_42_a_step_is_taken_by_a_certified_officer_of_the_case() {
        let certs = |u: UserId| match u.0 {
            1 => vec![cert("A1", date(2027, 12, 31))],
            2 => vec![cert("B2", date(2025, 6, 30))],
            _ => vec![],
        };
        let both = [handler(1, "A1"), handler(2, "B2")];
        let on = date(2025, 3, 3);
        let step = |by: i64, on: Date, category: Category| {
            art_42_step_by_a_certified_officer(UserId(by), "某", &both, &certs, category, on)
        };
        assert_eq!(step(2, on, Category::Penalty), Ok(()));
        assert!(step(3, on, Category::Penalty).unwrap_err().contains("不是本案的执法人员"));
        assert!(step(2, date(2025, 7, 1), Category::Penalty).unwrap_err().contains("没有 2025-07-01 有效"));
        assert!(step(1, date(2025, 7, 1), Category::Penalty).is_ok());
        assert!(step(1, on, Category::Permit).unwrap_err().contains("行政许可"));
    }

    #[test]
    fn art_42_two_certified_officers_alone_expired_or_wrong_category() {
        let certs = |u: UserId| match u.0 {
            1 => vec![cert("A1", date(2027, 12, 31))],
            2 => vec![cert("B2", date(2025, 6, 30))],
            _ => vec![],
        };
        let on = date(2025, 3, 1);
        let both = [handler(1, "A1"), handler(2, "B2")];
        assert_eq!(art_42_two_certified_officers(&both, &certs, Category::Penalty, on), Ok(()));
        let alone = art_42_two_certified_officers(&both[..1], &certs, Category::Penalty, on).unwrap_err();
        assert!(alone.contains("不得少于两人"), "{alone}");
        let same_twice = [handler(1, "A1"), handler(1, "A1")];
        assert!(art_42_two_certified_officers(&same_twice, &certs, Category::Penalty, on).is_err());
        let expired = art_42_two_certified_officers(&both, &certs, Category::Penalty, date(2025, 7, 1)).unwrap_err();
        assert!(expired.contains("B2") && expired.contains("过期"), "{expired}");
        let category = art_42_two_certified_officers(&both, &certs, Category::Permit, on).unwrap_err();
        assert!(category.contains("行政许可"), "{category}");
        let not_theirs = [handler(1, "A1"), handler(2, "A1")];
        assert!(art_42_two_certified_officers(&not_theirs, &certs, Category::Penalty, on).is_err());
    }

    #[test]
    fn art_36_two_years_five_for_health_and_finance() {
        assert!(art_36_limitation_period(date(2023, 3, 1), date(2025, 3, 1), false).is_ok());
        assert!(art_36_limitation_period(date(2023, 3, 1), date(2025, 3, 2), false).is_err());
        assert!(art_36_limitation_period(date(2021, 3, 1), date(2025, 3, 2), true).is_ok());
        assert!(art_36_limitation_period(date(2020, 3, 1), date(2025, 3, 2), true).is_err());
    }

    #[test]
    fn art_51_simple_procedure_limits_200_and_3000_yuan() {
        assert!(art_51_simple_procedure_limits(&fine(200), true).is_ok());
        assert!(art_51_simple_procedure_limits(&fine(201), true).unwrap_err().contains("200.00"));
        assert!(art_51_simple_procedure_limits(&fine(3_000), false).is_ok());
        assert!(art_51_simple_procedure_limits(&fine(3_001), false).is_err());
        let warning = Penalty { kinds: vec![PenaltyKind::Warning], ..Default::default() };
        assert!(art_51_simple_procedure_limits(&warning, true).is_ok());
        let revoke = Penalty { kinds: vec![PenaltyKind::RevokePermit], ..Default::default() };
        assert!(art_51_simple_procedure_limits(&revoke, false).is_err());
    }

    #[test]
    fn art_44_no_decision_without_notice() {
        assert!(art_44_notice_before_decision(None, date(2025, 3, 1)).is_err());
        assert!(art_44_notice_before_decision(Some(date(2025, 3, 2)), date(2025, 3, 1)).is_err());
        assert!(art_44_notice_before_decision(Some(date(2025, 2, 1)), date(2025, 3, 1)).is_ok());
    }

    #[test]
    fn art_45_no_heavier_penalty_after_defence() {
        assert!(art_45_no_heavier_after_defence(&fine(5_000), &fine(3_000), true).is_ok());
        assert!(art_45_no_heavier_after_defence(&fine(5_000), &fine(5_000), true).is_ok());
        let heavier = art_45_no_heavier_after_defence(&fine(5_000), &fine(8_000), true).unwrap_err();
        assert!(heavier.contains("陈述、申辩") && heavier.contains("8,000.00"), "{heavier}");
        let mut closure = fine(5_000);
        closure.kinds.push(PenaltyKind::SuspendBusiness);
        assert!(art_45_no_heavier_after_defence(&fine(5_000), &closure, true).is_err());
        let warning = Penalty { kinds: vec![PenaltyKind::Warning], ..Default::default() };
        assert!(art_45_no_heavier_after_defence(&fine(5_000), &warning, true).is_ok());
    }

    #[test]
    fn art_63_hearing_right_for_large_fines_and_heavy_kinds() {
        let amounts = crate::amounts::Amounts::embedded().unwrap();
        let zj = amounts.of(&crate::region::RegionCode::parse("330106").unwrap());
        assert!(art_63_hearing_right(&fine(10_000), true, zj));
        assert!(!art_63_hearing_right(&fine(9_999), true, zj));
        assert!(!art_63_hearing_right(&fine(99_999), false, zj));
        assert!(art_63_hearing_right(&fine(100_000), false, zj));
        let revoke = Penalty { kinds: vec![PenaltyKind::RevokePermit], ..Default::default() };
        assert!(art_63_hearing_right(&revoke, false, zj));
        // Another province's amounts, from its file.
        let lower = crate::amounts::ProvinceAmounts { hearing_person: Money::yuan(2_000), ..zj.unwrap().clone() };
        assert!(art_63_hearing_right(&fine(2_000), true, Some(&lower)));
        // A province whose file is not loaded: every fine may be heard.
        assert!(art_63_hearing_right(&fine(1), true, None));
        assert!(!art_63_hearing_right(&Penalty::default(), true, None));
    }

    #[test]
    fn art_64_hearing_request_within_five_working_days() {
        // Notice on Friday 2025-09-26: 29, 30 Sep, then the National Day
        // holiday (1–8 Oct), 9 and 10 Oct (11 Oct is a swapped working day).
        let last = art_64_hearing_request_window(&calendar(), date(2025, 9, 26)).unwrap();
        assert_eq!(last, date(2025, 10, 10));
    }

    #[test]
    fn art_60_decision_within_90_days() {
        assert_eq!(art_60_decision_due(&calendar(), date(2025, 3, 3), 0).unwrap(), date(2025, 6, 3));
        assert_eq!(art_60_decision_due(&calendar(), date(2025, 3, 3), 30).unwrap(), date(2025, 7, 1));
    }

    #[test]
    fn art_61_service_within_7_working_days() {
        // 9 and 10 October, the swapped working Saturday the 11th, then 13–16.
        assert_eq!(art_61_service_due(&calendar(), date(2025, 9, 30)).unwrap(), date(2025, 10, 16));
    }

    #[test]
    fn art_72_surcharge_3_percent_a_day_capped_at_the_fine() {
        let c = calendar();
        let fine = Money::yuan(1_000);
        // Served 2025-03-03, due 2025-03-18.
        assert_eq!(
            art_72_late_payment_surcharge(&c, fine, (date(2025, 3, 3), 0), date(2025, 3, 18)).unwrap(),
            Money::ZERO
        );
        assert_eq!(
            art_72_late_payment_surcharge(&c, fine, (date(2025, 3, 3), 0), date(2025, 3, 20)).unwrap(),
            Money::yuan(60)
        );
        assert_eq!(art_72_late_payment_surcharge(&c, fine, (date(2025, 3, 3), 0), date(2025, 12, 31)).unwrap(), fine);
    }

    #[test]
    fn art_67_payment_within_15_days() {
        let c = calendar();
        let fine = Money::yuan(1_000);
        assert_eq!(art_67_payment_due(&c, date(2025, 3, 3), 0).unwrap(), date(2025, 3, 18));
        // Deferred by 30 days on application (art. 66): due 17 April, no surcharge until then.
        assert_eq!(art_67_payment_due(&c, date(2025, 3, 3), 30).unwrap(), date(2025, 4, 17));
        assert_eq!(
            art_72_late_payment_surcharge(&c, fine, (date(2025, 3, 3), 30), date(2025, 4, 17)).unwrap(),
            Money::ZERO
        );
        assert_eq!(
            art_72_late_payment_surcharge(&c, fine, (date(2025, 3, 3), 30), date(2025, 4, 18)).unwrap(),
            Money::yuan(30)
        );
    }

    #[test]
    fn art_61_late_service_needs_a_reason() {
        let c = calendar();
        // Decided Tuesday 30 September 2025: due 16 October (the National Day holidays between).
        assert!(art_61_service_on_time(&c, date(2025, 9, 30), date(2025, 10, 16), "").is_ok());
        let e = art_61_service_on_time(&c, date(2025, 9, 30), date(2025, 10, 17), "").unwrap_err();
        assert!(e.contains("2025-10-16") && e.contains("逾期送达的原因"), "{e}");
        assert!(
            art_61_service_on_time(&c, date(2025, 9, 30), date(2025, 10, 17), "当事人外出，邮寄退回后再次送达").is_ok()
        );
    }

    #[test]
    fn rec_2_a_late_entry_needs_a_reason() {
        let cal = Calendar::embedded().unwrap();
        assert!(rec_2_late_entry(date(2025, 3, 3), date(2025, 3, 3), "", 3, &cal).is_ok(), "recorded the same day");
        let e = rec_2_late_entry(date(2025, 3, 3), date(2025, 3, 4), " ", 3, &cal).unwrap_err();
        assert!(e.contains("补录原因"), "{e}");
        assert!(rec_2_late_entry(date(2025, 3, 3), date(2025, 3, 4), "现场无网络", 3, &cal).is_ok());
    }

    #[test]
    fn rec_2_a_late_entry_past_the_bound_is_refused() {
        let cal = Calendar::embedded().unwrap();
        // After Friday 2025-09-26: Sunday the 28th (a working day swapped for
        // the holidays), the 29th and 30th; 1 to 8 October are holidays.
        assert_eq!(working_days_between(date(2025, 9, 26), date(2025, 10, 1), &cal), 3);
        assert_eq!(working_days_between(date(2025, 9, 26), date(2025, 10, 9), &cal), 4);
        let e = rec_2_late_entry(date(2025, 9, 26), date(2025, 10, 9), "补录", 3, &cal).unwrap_err();
        assert!(e.contains("超过本机关补录时限（3 个工作日）"), "{e}");
        assert!(
            rec_2_late_entry(date(2025, 9, 26), date(2025, 10, 9), "补录", 10, &cal).is_ok(),
            "the agency's own bound"
        );
        // Over the National Day holidays the bound counts working days, not days.
        assert!(rec_2_late_entry(date(2025, 9, 30), date(2025, 10, 9), "补录", 3, &cal).is_ok());
        assert!(
            rec_2_late_entry(date(2025, 3, 3), date(2025, 3, 4), "补录", 0, &cal).is_err(),
            "a bound of 0: no late entry"
        );
    }

    #[test]
    fn art_33_a_reason_alone_gives_no_penalty_on_no_ground() {
        let all = Some([true, true, true]);
        let e = art_33_no_penalty_ground(None, None, "首违不罚").unwrap_err();
        assert!(e.contains("法定情形"), "{e}");
        assert!(art_33_no_penalty_ground(None, all, "首违不罚").is_err(), "the flags name no ground either");
        let e = art_33_no_penalty_ground(Some(NoPenaltyGround::FirstMinor), None, "首违不罚").unwrap_err();
        assert!(e.contains("初次违法") && e.contains("及时改正"), "{e}");
        assert!(art_33_no_penalty_ground(Some(NoPenaltyGround::FirstMinor), all, "首违不罚").is_ok());
        assert!(art_33_no_penalty_ground(Some(NoPenaltyGround::FirstMinor), all, " ").is_err(), "a reason is written");
        let corrected_only = Some([false, false, true]);
        assert!(art_33_no_penalty_ground(Some(NoPenaltyGround::MinorCorrected), None, "轻微").is_err());
        assert!(art_33_no_penalty_ground(Some(NoPenaltyGround::MinorCorrected), corrected_only, "轻微").is_ok());
        assert!(art_33_no_penalty_ground(Some(NoPenaltyGround::NotEstablished), None, "证据不足").is_ok());
    }

    #[test]
    fn art_33_first_minor_violation_needs_all_three() {
        assert!(art_33_first_minor_violation(true, true, true).is_ok());
        assert!(art_33_first_minor_violation(true, false, true).unwrap_err().contains("危害后果轻微"));
    }

    #[test]
    fn art_57_collective_deliberation_for_serious_cases() {
        assert!(art_57_collective_deliberation(true, None).is_err());
        assert!(art_57_collective_deliberation(true, Some(date(2025, 3, 1))).is_ok());
        assert!(art_57_collective_deliberation(false, None).is_ok());
    }

    #[test]
    fn coercion_art_25_seizure_extended_once_by_30_days() {
        assert!(coercion_art_25_seizure_extension(date(2025, 4, 1), false, 30, date(2025, 3, 30)).is_ok());
        assert!(coercion_art_25_seizure_extension(date(2025, 4, 1), true, 30, date(2025, 3, 30)).is_err());
        assert!(coercion_art_25_seizure_extension(date(2025, 4, 1), false, 31, date(2025, 3, 30)).is_err());
        assert!(coercion_art_25_seizure_extension(date(2025, 4, 1), false, 30, date(2025, 4, 2)).is_err());
    }

    #[test]
    fn permit_art_42_twenty_working_days() {
        assert_eq!(permit_art_42_decision_due(&calendar(), date(2025, 3, 3), 0).unwrap(), date(2025, 3, 31));
    }

    #[test]
    fn rec_5_mandatory_recording_before_leaving_the_stage() {
        assert!(rec_5_mandatory_recordings("实施查封扣押", 0).is_err());
        assert!(rec_5_mandatory_recordings("实施查封扣押", 1).is_ok());
    }
}
