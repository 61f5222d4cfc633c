//! The engine: given a case, its procedure and a requested step, it allows
//! the step (and says what the case becomes) or refuses it with every reason,
//! each naming its rule and article. Pure: the caller brings the calendar,
//! the certificates and the recordings.

use super::procedure::{Procedure, Recording, Transition};
use super::rules::{self, Refusal};
use super::{CaseData, Estimated, Extension, Step};
use crate::money::Money;
use crate::people::Role;
use crate::review::{Assignee, Coordination, Deliberation, ReviewRound, RoundOutcome, RoundResult};
use jiff::civil::Date;
use zhifa_calendar::Calendar;

pub use super::facts::{Facts, REVIEW_ACTIONS, RecordingRef, StepInput};

/// The effects a transition may have (what it records on the case).
pub const EFFECTS: &[&str] = &[
    "none",
    "file",
    "notify",
    "defend",
    "waive_hearing",
    "request_hearing",
    "hold_hearing",
    "review",
    "deliberate",
    "decide",
    "decide_on_site",
    "decide_no_penalty",
    "serve",
    "pay",
    "enforce",
    "close",
    "archive",
    "extend",
    "defer_payment",
    "accept",
    "grant",
    "deny",
    "seize",
    "extend_seizure",
    "release",
    "inspect",
    "amend",
    "submit_review",
    "assign_reviewer",
    "extend_review",
    "return_materials",
    "review_problems",
    "resubmit",
    "request_coordination",
    "coordinate",
    "refer_deliberation",
    "deliberate_revise",
    "annul",
];

/// The engine's rule for recordings (applied to every stage marked mandatory).
pub const RECORDINGS_RULE: &str = "mandatory_recordings";

fn refusal(rule: &'static str, article: &'static str, message: impl Into<String>) -> Refusal {
    Refusal { rule, article, message: message.into() }
}

/// How many audio or video records of `stage` (by its id or its name)
/// `recordings` hold: a photo or a file of no known kind is not one.
pub fn recordings_of(recordings: &[RecordingRef], stage: &super::procedure::Stage) -> usize {
    recordings
        .iter()
        .filter(|r| r.kind.is_audio_or_video() && (r.step.trim() == stage.id || r.step.trim() == stage.name))
        .count()
}

/// The stages of `procedure` a case has been in, in the procedure's order:
/// where it was opened, each a step left or reached, and `current`, where
/// it stands.
pub fn stages_reached<'p>(
    procedure: &'p Procedure,
    case: &CaseData,
    current: &str,
) -> Vec<&'p super::procedure::Stage> {
    let reached = |id: &str| id == current || case.steps.iter().any(|s| s.from == id || s.to == id);
    procedure.stages.iter().filter(|s| reached(&s.id)).collect()
}

/// REC-5: an evidence file proves a stage its case has been in (see
/// [`stages_reached`]), named by its id or its name. The stage, or why not.
pub fn evidence_stage<'p>(
    procedure: &'p Procedure,
    case: &CaseData,
    current: &str,
    step: &str,
) -> Result<&'p super::procedure::Stage, crate::Invalid> {
    let step = step.trim();
    let reached = stages_reached(procedure, case, current);
    match reached.iter().find(|s| s.id == step || s.name == step) {
        Some(stage) => Ok(stage),
        None => {
            let names: Vec<&str> = reached.iter().map(|s| s.name.as_str()).collect();
            Err(crate::Invalid::new(
                "所属环节",
                format!("“{step}”不是该案件已进行到的环节（可选：{}）", names.join("、")),
            ))
        }
    }
}

/// Decide `action` on a case standing at `stage`: the stage and data it
/// moves to, or every reason it may not.
pub fn take(facts: &Facts<'_>, action: &str) -> Result<(String, CaseData), Vec<Refusal>> {
    let facts = &Facts { action, ..*facts };
    let procedure = facts.procedure;
    let Some(transition) = procedure.transition(action) else {
        return Err(vec![refusal("action", "", format!("“{}”中没有“{action}”这一步", procedure.name))]);
    };
    let mut refusals = Vec::new();
    if !transition.from.iter().any(|f| f == facts.stage) {
        let here = procedure.stage(facts.stage).map_or(facts.stage, |s| s.name.as_str());
        return Err(vec![refusal("action", "", format!("案件处于“{here}”阶段，不能“{}”", transition.name))]);
    }
    if let Some(role) = facts.step.role
        && !transition.roles.contains(&role)
    {
        let allowed: Vec<&str> = transition.roles.iter().map(|r| r.label()).collect();
        refusals.push(refusal("role", "", format!("“{}”应由{}进行", transition.name, allowed.join("或"))));
    }
    if let Some(last) = facts.case.steps.last().map(|s| s.on).or(Some(facts.case.opened_on))
        && facts.step.on < last
    {
        refusals.push(refusal("date", "", format!("日期 {} 早于上一步的日期 {last}", facts.step.on)));
    }
    let step = facts.step;
    if step.role == Some(Role::Officer)
        && procedure.certified_officers
        && let Err(message) = rules::art_42_step_by_a_certified_officer(
            step.by,
            &step.by_name,
            facts.handlers(),
            facts.certificates,
            facts.case.category,
            step.on,
        )
    {
        refusals.push(refusal(rules::STEP_BY_CERTIFIED_OFFICER_RULE, rules::PUB_2, message));
    }
    let mut estimated = Vec::new();
    // The bound on late entries guards the record itself: where the calendar
    // cannot tell, the estimate decides (and the step says so).
    match judged(facts, rules::late_entry) {
        Verdict::Holds => {}
        Verdict::Estimated(None) => estimated.push(Estimated { rule: rules::LATE_ENTRY_RULE.into(), late: None }),
        Verdict::Estimated(Some(message)) | Verdict::Fails(message) => {
            refusals.push(refusal(rules::LATE_ENTRY_RULE, rules::REC_2_TIMELY, message));
        }
    }
    if let Err(message) = check_input(transition, facts) {
        refusals.push(refusal("input", "", message));
    }
    for gate in &transition.gates {
        if let Some((name, article, rule)) = rules::RULES.iter().find(|(n, _, _)| n == gate) {
            match judged(facts, rule) {
                Verdict::Holds => {}
                // A limit in a year without holiday data never blocks a step (REC-3).
                Verdict::Estimated(late) => estimated.push(Estimated { rule: (*name).into(), late }),
                Verdict::Fails(message) => refusals.push(refusal(name, article, message)),
            }
        }
    }
    // REC-5: a stage that must be recorded is left only with its recording.
    if let Some(stage) = procedure.stage(facts.stage)
        && stage.recording == Recording::Mandatory
        && transition.to.as_ref().is_some_and(|to| *to != stage.id)
        && let Err(message) = rules::rec_5_mandatory_recordings(&stage.name, recordings_of(facts.recordings, stage))
    {
        refusals.push(refusal(RECORDINGS_RULE, rules::REC_5, message));
    }
    if !refusals.is_empty() {
        return Err(refusals);
    }
    let to = transition.to.clone().unwrap_or_else(|| facts.stage.to_owned());
    let mut case = apply(transition, facts).map_err(|m| vec![refusal("input", "", m)])?;
    if let Some(handlers) = &facts.step.handlers {
        case.matter.handlers.clone_from(handlers);
    }
    case.steps.push(Step {
        action: transition.action.clone(),
        from: facts.stage.to_owned(),
        to: to.clone(),
        by: facts.step.by,
        by_name: facts.step.by_name.clone(),
        on: facts.step.on,
        note: facts.step.note.clone(),
        recorded_on: Some(facts.step.recorded_on),
        late_reason: (facts.step.on < facts.step.recorded_on).then(|| facts.step.late_reason.trim().to_owned()),
        estimated,
        rechecked: Vec::new(),
    });
    Ok((to, case))
}

/// What a rule says of a step.
enum Verdict {
    Holds,
    /// The calendar could not tell (a year without holiday data); by the
    /// estimate it holds (`None`) or the step is late (what it said).
    Estimated(Option<String>),
    Fails(String),
}

/// Apply `rule` with the calendar; if it fails, again with the estimate: a
/// rule that fails only with the calendar, or says something else with the
/// estimate, failed for want of holiday data.
fn judged(facts: &Facts<'_>, rule: impl Fn(&Facts<'_>) -> Result<(), String>) -> Verdict {
    let Err(message) = rule(facts) else { return Verdict::Holds };
    let estimated = Facts { calendar: facts.estimate, ..*facts };
    match rule(&estimated) {
        Ok(()) => Verdict::Estimated(None),
        Err(said) if said != message => Verdict::Estimated(Some(said)),
        Err(_) => Verdict::Fails(message),
    }
}

/// What each effect needs from the step.
fn check_input(t: &Transition, f: &Facts<'_>) -> Result<(), String> {
    let s = f.step;
    match t.effect.as_str() {
        "notify" | "decide" | "decide_on_site" if s.penalty.is_none() => Err("未填写处罚内容".into()),
        "extend" | "extend_seizure" if s.days == 0 => Err("应填写延长的天数".into()),
        "extend" if s.reason.trim().is_empty() => Err("应写明延长期限的理由".into()),
        "pay" if s.amount == Money::ZERO => Err("应填写缴纳金额".into()),
        "defer_payment" if s.days == 0 => Err("应填写延期缴纳的天数".into()),
        "defer_payment" if s.reason.trim().is_empty() => Err("应写明当事人的申请和批准延期（分期）缴纳的理由".into()),
        "submit_review" | "hold_hearing" | "resubmit" | "coordinate" if f.draft().is_none() => {
            Err("未填写拟作出的决定".into())
        }
        "submit_review"
            if s.decides
                .as_deref()
                .is_some_and(|a| f.procedure.transition(a).is_none_or(|t| !t.is_reviewed_decision())) =>
        {
            Err("拟作出的决定不是本程序中须经法制审核的决定".into())
        }
        "assign_reviewer" if s.reviewer.is_none() => Err("应选择法制审核人员".into()),
        "extend_review" if s.days == 0 => Err("应填写延长的工作日数".into()),
        "return_materials" if s.reason.trim().is_empty() => Err("应写明需要补充的材料".into()),
        "review" | "review_problems" if s.review.is_none() => Err("应对七项审核内容逐项给出结论".into()),
        "review" if s.review.as_ref().is_some_and(|r| r.opinion != crate::review::ReviewOpinion::Approve) => {
            Err("审核意见为“存在问题”的，应选择“审核存在问题，退回”".into())
        }
        "review_problems" if s.review.as_ref().is_some_and(|r| r.opinion != crate::review::ReviewOpinion::Problems) => {
            Err("审核意见为“同意”的，应选择“法制审核通过”".into())
        }
        "request_coordination" if s.reason.trim().is_empty() => Err("应写明承办机构对审核意见的不同意见".into()),
        "coordinate" | "refer_deliberation" if s.reason.trim().is_empty() => Err("应写明协调结果".into()),
        "coordinate" | "refer_deliberation" if s.participants.is_empty() => Err("应写明参加协调的人员".into()),
        "deliberate" | "deliberate_revise" if s.deliberation.is_none() => {
            Err("应记录集体讨论的参加人员、各自意见和结论".into())
        }
        "annul" if f.case.decided_on.is_none() => Err("本案尚未作出决定".into()),
        "annul" if f.case.annulled.is_some() => Err("本案决定已记录为被撤销、确认违法或者变更".into()),
        "annul" if s.annulled_by.is_none() => Err("应选择决定被撤销、确认违法或者变更的途径".into()),
        "annul" if s.reason.trim().is_empty() => Err("应写明撤销、确认违法或者变更的文书及其结论".into()),
        "amend" if s.facts.is_none() && s.legal_basis.is_none() && s.flags.is_none() => {
            Err("没有需要修改的内容".into())
        }
        _ => Ok(()),
    }
}

/// The case after the step's effect.
fn apply(t: &Transition, f: &Facts<'_>) -> Result<CaseData, String> {
    let mut c = f.case.clone();
    let s = f.step;
    let on = s.on;
    match t.effect.as_str() {
        "file" => c.filed_on = Some(on),
        "notify" => {
            c.proposed.clone_from(&s.penalty);
            c.notified_on = Some(on);
        }
        "defend" => c.defended = true,
        "waive_hearing" => c.hearing_waived = true,
        "request_hearing" => c.hearing_requested_on = Some(on),
        "hold_hearing" => {
            c.hearing_held_on = Some(on);
            open_round(f, &mut c)?;
        }
        "submit_review" => open_round(f, &mut c)?,
        "resubmit" => {
            let mut round = new_round(f, &c)?;
            round.answers.clone_from(&s.answers);
            c.review.rounds.push(round);
        }
        "assign_reviewer" => {
            let r = s.reviewer.as_ref().ok_or("应选择法制审核人员")?;
            c.review.reviewer =
                Some(Assignee { user: r.user, name: r.name.clone(), on, by: s.by, by_name: s.by_name.clone() });
        }
        "extend_review" => {
            let round = c.review.rounds.last_mut().ok_or("尚未提交法制审核")?;
            round.extension_days = s.days;
        }
        "review" | "review_problems" | "return_materials" => {
            let result = match t.effect.as_str() {
                "review" => RoundResult::Approved,
                "review_problems" => RoundResult::Problems,
                _ => RoundResult::Incomplete,
            };
            if c.review.reviewer.is_none() {
                c.review.reviewer =
                    Some(Assignee { user: s.by, name: s.by_name.clone(), on, by: s.by, by_name: s.by_name.clone() });
            }
            let round = c.review.rounds.last_mut().ok_or("尚未提交法制审核")?;
            let (findings, problems, comment) = match &s.review {
                Some(r) if result != RoundResult::Incomplete => {
                    (r.findings.clone(), r.problems.clone(), r.comment.clone())
                }
                _ => (Vec::new(), Vec::new(), s.reason.trim().to_owned()),
            };
            round.outcome = Some(RoundOutcome {
                result,
                reviewed_by: s.by,
                reviewer_name: s.by_name.clone(),
                on,
                findings,
                problems,
                comment,
            });
            if result == RoundResult::Approved {
                c.reviewed_on = Some(on);
            }
        }
        "request_coordination" => c.review.coordinations.push(Coordination {
            requested_on: on,
            requested_by: s.by,
            requested_by_name: s.by_name.clone(),
            view: s.reason.trim().to_owned(),
            on: None,
            by: None,
            by_name: String::new(),
            participants: Vec::new(),
            outcome: String::new(),
            agreed: None,
        }),
        "coordinate" | "refer_deliberation" => {
            let agreed = t.effect == "coordinate";
            let co = c.review.coordinations.last_mut().ok_or("尚未提请协调")?;
            co.on = Some(on);
            co.by = Some(s.by);
            co.by_name.clone_from(&s.by_name);
            co.participants.clone_from(&s.participants);
            co.outcome = s.reason.trim().to_owned();
            co.agreed = Some(agreed);
            if agreed {
                let mut round = new_round(f, &c)?;
                round.answers = vec![format!("经协调：{}", s.reason.trim())];
                c.review.rounds.push(round);
            }
        }
        "deliberate" | "deliberate_revise" => {
            let d = s.deliberation.as_ref().ok_or("应记录集体讨论")?;
            let decides = t.effect == "deliberate";
            let current = c.review.current();
            let after_disagreement =
                current.is_some_and(|r| r.outcome.as_ref().is_none_or(|o| o.result != RoundResult::Approved));
            c.deliberations.push(Deliberation {
                on,
                chaired_by: s.by,
                chair_name: s.by_name.clone(),
                participants: d.participants.clone(),
                views: d.views.clone(),
                outcome: d.outcome.clone(),
                decided: if decides { current.map(|r| r.draft.clone()) } else { None },
                after_disagreement,
            });
            if decides {
                c.deliberated_on = Some(on);
            }
        }
        "amend" => {
            if let Some(facts) = &s.facts {
                c.matter.facts.clone_from(facts);
            }
            if let Some(basis) = &s.legal_basis {
                c.matter.legal_basis.clone_from(basis);
            }
            if let Some(flags) = s.flags {
                c.flags = flags;
            }
        }
        "decide" => {
            c.decision.clone_from(&s.penalty);
            c.decided_on = Some(on);
        }
        "decide_on_site" => {
            c.filed_on = Some(on);
            c.decision.clone_from(&s.penalty);
            c.decided_on = Some(on);
            // Handed over on the spot (art. 52).
            c.served_on = Some(on);
        }
        "decide_no_penalty" => {
            c.no_penalty_reason = Some(s.reason.trim().to_owned());
            c.no_penalty_ground = s.no_penalty_ground;
            c.decided_on = Some(on);
        }
        "serve" => c.served_on = Some(on),
        "pay" => {
            let fine = c.decision.as_ref().map_or(Money::ZERO, |d| d.fine);
            if let Some(served) = c.served_on {
                let deferred = (served, c.extended_days("payment"));
                // Where the calendar cannot tell, the estimate counts (REC-3).
                let surcharge = |calendar| rules::art_72_late_payment_surcharge(calendar, fine, deferred, on);
                c.surcharge = surcharge(f.calendar).or_else(|_| surcharge(f.estimate))?;
            }
            c.paid = c.paid.saturating_add(s.amount);
            c.paid_on = Some(on);
        }
        "enforce" => c.enforced_by_court = true,
        "close" => c.closed_on = Some(on),
        "archive" => c.archived_on = Some(on),
        "defer_payment" => c.extensions.push(Extension {
            limit: "payment".into(),
            days: s.days,
            approved_by: s.by,
            on,
            reason: s.reason.trim().to_owned(),
        }),
        "extend" => c.extensions.push(Extension {
            limit: if s.limit.is_empty() { "decision".into() } else { s.limit.clone() },
            days: s.days,
            approved_by: s.by,
            on,
            reason: s.reason.trim().to_owned(),
        }),
        "accept" => c.accepted_on = Some(on),
        "grant" => {
            c.granted = Some(true);
            c.decided_on = Some(on);
        }
        "deny" => {
            c.granted = Some(false);
            c.decided_on = Some(on);
        }
        "seize" => {
            // The seizure decision, published within 20 working days (PUB-3).
            c.decided_on = Some(on);
            c.seized_on = Some(on);
            let (until, provisional) = seizure_end(f.calendar, on, 30)?;
            (c.seizure_until, c.seizure_until_provisional) = (Some(until), provisional);
        }
        "extend_seizure" => {
            c.extensions.push(Extension {
                limit: "seizure".into(),
                days: s.days,
                approved_by: s.by,
                on,
                reason: s.reason.trim().to_owned(),
            });
            if let Some(until) = c.seizure_until {
                let (until, provisional) = seizure_end(f.calendar, until, s.days)?;
                c.seizure_until = Some(until);
                c.seizure_until_provisional |= provisional;
            }
        }
        "release" => c.released_on = Some(on),
        "annul" => {
            let by = s.annulled_by.ok_or("应选择决定被撤销、确认违法或者变更的途径")?;
            c.annulled = Some(super::Annulment { on, by, reason: s.reason.trim().to_owned() });
        }
        // The result of an inspection is its decision (PUB-3, 20 working days).
        "inspect" => c.decided_on = Some(on),
        "none" => {}
        other => return Err(format!("未知的效果“{other}”")),
    }
    Ok(c)
}

/// A new review round of the draft `f` submits, on the case as it is in `c`.
fn new_round(f: &Facts<'_>, c: &CaseData) -> Result<ReviewRound, String> {
    let draft = f.draft().ok_or("未填写拟作出的决定")?;
    let number = u16::try_from(c.review.rounds.len() + 1).unwrap_or(u16::MAX);
    Ok(ReviewRound {
        number,
        submitted_on: f.step.on,
        submitted_by: f.step.by,
        submitted_by_name: f.step.by_name.clone(),
        triggers: super::reviewed::review_triggers(f.review, c, draft.penalty()),
        draft,
        answers: Vec::new(),
        extension_days: 0,
        outcome: None,
    })
}

fn open_round(f: &Facts<'_>, c: &mut CaseData) -> Result<(), String> {
    let round = new_round(f, c)?;
    c.review.rounds.push(round);
    Ok(())
}

/// A time limit of a case: due when, computed how, met or overdue.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CaseDeadline {
    pub limit: String,
    pub name: String,
    pub basis: String,
    pub started: Date,
    pub due: Date,
    /// How the due date was computed (the calendar's trace).
    pub trace: Vec<String>,
    /// The day it was met (the case reached an `until` stage).
    pub met_on: Option<Date>,
    pub overdue: bool,
    /// Estimated: the holidays of the due date's year are not yet loaded.
    pub provisional: bool,
}

/// The time limits of a case that have started, as of `today`.
pub fn deadlines(
    procedure: &Procedure,
    case: &CaseData,
    calendar: &Calendar,
    periods: &[zhifa_calendar::LegalPeriod],
    today: Date,
) -> Vec<CaseDeadline> {
    let mut out = Vec::new();
    for limit in &procedure.limits {
        let Some(started) = case.entered(&limit.from) else { continue };
        let Some(legal) = periods.iter().find(|p| p.id == limit.period) else { continue };
        let extra = case.extended_days(&limit.id);
        let Ok(period) = zhifa_calendar::Period::new(legal.period.length() + extra, legal.period.unit()) else {
            continue;
        };
        let (due, trace, provisional) = match calendar.deadline(started, period) {
            Ok(deadline) => (deadline.due, deadline.explain(), false),
            Err(e) => {
                let Some(due) = provisional_due(started, period) else { continue };
                (due, vec![format!("{e}；暂按周六、周日休息估算为 {due}，以节假日安排载入后的计算为准")], true)
            }
        };
        let met_on =
            case.steps.iter().find(|s| s.on >= started && limit.until.contains(&s.to) && s.from != s.to).map(|s| s.on);
        let overdue = match met_on {
            Some(met) => met > due,
            None => today > due,
        };
        let mut basis = legal.basis.clone();
        if extra > 0 {
            basis.push_str(&format!("；经批准延长 {extra} 日"));
        }
        out.push(CaseDeadline {
            limit: limit.id.clone(),
            name: limit.name.clone(),
            basis,
            started,
            due,
            trace,
            met_on,
            overdue,
            provisional,
        });
    }
    out
}

/// 行政强制法 art. 25: a seizure's last day, `days` days after `from` (moved
/// past a rest day by the calendar), and whether it is an estimate: in a year
/// whose holidays are not yet published, only weekends are known, and the
/// seizure goes on rather than being refused.
pub fn seizure_end(calendar: &Calendar, from: Date, days: u16) -> Result<(Date, bool), String> {
    let period = zhifa_calendar::Period::days(days).map_err(|e| e.to_string())?;
    match calendar.due_date(from, period) {
        Ok(until) => Ok((until, false)),
        Err(e) => provisional_due(from, period).map(|until| (until, true)).ok_or_else(|| e.to_string()),
    }
}

/// `days` working days after `from`, counting only Saturdays and Sundays as
/// rest days: an estimate for a year whose holidays are not yet published.
pub fn provisional_working_days(from: Date, days: u16) -> Option<Date> {
    provisional_due(from, zhifa_calendar::Period::working_days(days).ok()?)
}

/// The due date of `period` after `from` counting Saturdays and Sundays as
/// rest days and nothing else: shown, marked provisional, while a year's
/// holidays are not yet published.
pub fn provisional_due(from: Date, period: zhifa_calendar::Period) -> Option<Date> {
    use jiff::civil::Weekday;
    let length = period.length();
    match period.unit() {
        // A period of days that ends on a rest day ends on the next working
        // day; of the rest days, only weekends are known.
        zhifa_calendar::Unit::Days => {
            let mut day = from.checked_add(jiff::Span::new().days(i64::from(length))).ok()?;
            while matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
                day = day.tomorrow().ok()?;
            }
            Some(day)
        }
        zhifa_calendar::Unit::WorkingDays => {
            let mut day = from;
            let mut counted = 0;
            while counted < length {
                day = day.tomorrow().ok()?;
                if !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
                    counted += 1;
                }
            }
            Some(day)
        }
    }
}

/// The next step each action would need, for a case at `stage`: the actions
/// available and, for each, what still stands in the way (a dry run of
/// [`take`] with today's date).
pub fn available<'a>(facts: &Facts<'_>, procedure: &'a Procedure) -> Vec<(&'a Transition, Vec<Refusal>)> {
    procedure
        .actions_from(facts.stage)
        .map(|t| {
            let refusals = match take(facts, &t.action) {
                Ok(_) => Vec::new(),
                // Input the form will ask for is not "what is missing".
                Err(r) => r
                    .into_iter()
                    .filter(|r| !matches!(r.rule, "input" | "role" | "seven_points" | "review_answers"))
                    .filter(|r| {
                        facts.step.reviewer.is_some() || !matches!(r.rule, "review_separation" | "reviewer_qualified")
                    })
                    .collect(),
            };
            (t, refusals)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::procedure::Procedures;
    use crate::ids::UserId;
    use jiff::civil::date;

    fn filed_on(on: Date) -> (Procedure, CaseData) {
        let procedure = Procedures::embedded().unwrap().get("penalty-general").unwrap().clone();
        let mut case = crate::case::test_case(&procedure, on);
        case.steps.push(Step {
            action: "file".into(),
            from: "filing".into(),
            to: "investigation".into(),
            by: UserId(1),
            by_name: "负责人".into(),
            on,
            note: String::new(),
            recorded_on: Some(on),
            late_reason: None,
            estimated: Vec::new(),
            rechecked: Vec::new(),
        });
        (procedure, case)
    }

    #[test]
    fn rec_5_evidence_proves_a_stage_its_case_has_been_in() {
        let (procedure, case) = filed_on(date(2025, 3, 3));
        // Opened at filing, now in investigation: both by id or name.
        assert_eq!(evidence_stage(&procedure, &case, "investigation", "调查取证").unwrap().id, "investigation");
        assert_eq!(evidence_stage(&procedure, &case, "investigation", " filing ").unwrap().id, "filing");
        // A stage not reached yet, or none of the procedure, is refused.
        let e = evidence_stage(&procedure, &case, "investigation", "听证").unwrap_err();
        assert_eq!(e.field, "所属环节");
        assert!(e.message.contains("立案") && e.message.contains("调查取证"), "{}", e.message);
        assert!(evidence_stage(&procedure, &case, "investigation", "实施查封扣押").is_err());
    }

    #[test]
    fn art_60_deadline_in_a_year_not_yet_published_is_shown_provisional() {
        let calendar = Calendar::embedded().unwrap();
        let periods = zhifa_calendar::legal_periods().unwrap();
        let last_year = calendar.years().last().unwrap().year;
        // Filed in the last published year, due in the next: estimated, marked so.
        let (procedure, case) = filed_on(date(last_year, 11, 23));
        let d = deadlines(&procedure, &case, &calendar, &periods, date(last_year, 11, 24));
        let decision = d.iter().find(|d| d.limit == "decision").unwrap();
        assert!(decision.provisional);
        let mut due = date(last_year, 11, 23) + jiff::Span::new().days(90);
        // A period of days ending on a weekend ends on the Monday after.
        while matches!(due.weekday(), jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday) {
            due = due.tomorrow().unwrap();
        }
        assert_eq!(decision.due, due);
        assert!(decision.trace[0].contains("估算"), "{:?}", decision.trace);
        // Within a published year: computed, not provisional.
        let (procedure, case) = filed_on(date(2025, 3, 3));
        let d = deadlines(&procedure, &case, &calendar, &periods, date(2025, 3, 4));
        let decision = d.iter().find(|d| d.limit == "decision").unwrap();
        assert!(!decision.provisional);
        assert_eq!(decision.due, date(2025, 6, 3));
    }

    #[test]
    fn coercion_art_25_a_seizure_ending_in_a_year_not_yet_published_goes_on_provisionally() {
        let calendar = Calendar::embedded().unwrap();
        let last_year = calendar.years().last().unwrap().year;
        // Seized on 20 December of the last published year: ends in the next, estimated.
        let (until, provisional) = seizure_end(&calendar, date(last_year, 12, 20), 30).unwrap();
        assert!(provisional);
        assert!(
            until >= date(last_year + 1, 1, 19)
                && !matches!(until.weekday(), jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday),
            "{until}"
        );
        // A seizure in the unpublished year whose 30 days end on a Sunday is
        // estimated to end on the Monday after.
        let mut from = date(last_year + 1, 1, 1);
        while (from + jiff::Span::new().days(30)).weekday() != jiff::civil::Weekday::Sunday {
            from = from.tomorrow().unwrap();
        }
        let (until, provisional) = seizure_end(&calendar, from, 30).unwrap();
        assert_eq!((until, provisional), (from + jiff::Span::new().days(31), true));
        // Within a published year: exact. 2025-09-20 + 30 days = 20 October, a Monday.
        assert_eq!(seizure_end(&calendar, date(2025, 9, 20), 30).unwrap(), (date(2025, 10, 20), false));
    }

    #[test]
    fn pub_4_a_decision_set_aside_is_recorded_on_its_case() {
        let calendar = Calendar::embedded().unwrap();
        let (procedure, mut case) = filed_on(date(2025, 3, 3));
        let certificates = |_: UserId| Vec::new();
        let review = crate::review::ReviewContext::default();
        let annul = |case: &CaseData, stage: &str, step: &StepInput| {
            let facts = Facts {
                procedure: &procedure,
                action: "",
                case,
                stage,
                step,
                certificates: &certificates,
                recordings: &[],
                calendar: &calendar,
                estimate: &calendar,
                review: &review,
                amounts: None,
            };
            take(&facts, "annul")
        };
        let mut step = StepInput::new(date(2025, 6, 2), UserId(9), "负责人");
        step.role = Some(Role::Head);
        step.annulled_by = Some(super::super::AnnulledBy::Court);
        step.reason = "杭州市西湖区人民法院（2025）浙0106行初1号判决撤销".into();
        // Not before a decision: the stage does not offer it, nor does an undecided case allow it.
        assert!(annul(&case, "investigation", &step).is_err());
        let refused = annul(&case, "execution", &step).unwrap_err();
        assert!(refused.iter().any(|r| r.message.contains("尚未作出决定")), "{refused:?}");
        case.decided_on = Some(date(2025, 5, 6));
        let mut officer = step.clone();
        officer.role = Some(Role::Officer);
        assert!(annul(&case, "execution", &officer).unwrap_err().iter().any(|r| r.rule == "role"));
        let mut bare = step.clone();
        bare.annulled_by = None;
        assert!(annul(&case, "execution", &bare).is_err(), "the way it was set aside is chosen");
        bare = step.clone();
        bare.reason = " ".into();
        assert!(annul(&case, "execution", &bare).is_err(), "the document is named");
        // Recorded at any stage after the decision, the archive too; the stage stays.
        let (stage, data) = annul(&case, "archived", &step).unwrap();
        assert_eq!(stage, "archived");
        let annulled = data.annulled.clone().unwrap();
        assert_eq!((annulled.on, annulled.by), (date(2025, 6, 2), super::super::AnnulledBy::Court));
        assert!(annul(&data, "archived", &step).is_err(), "once");
    }

    /// A case of `procedure` opened on `on`, and the engine applied to it.
    struct Walk {
        procedure: Procedure,
        case: CaseData,
        stage: String,
        review: crate::review::ReviewContext,
        calendar: Calendar,
        estimate: Calendar,
    }

    impl Walk {
        fn new(procedure: &str, stage: &str, catalogue: Vec<crate::review::CatalogueEntryForm>) -> Self {
            let (_, opened) = filed_on(date(2025, 3, 3));
            let procedure = Procedures::embedded().unwrap().get(procedure).unwrap().clone();
            let (procedure_id, category) = (procedure.id.clone(), procedure.category);
            let (accepted_on, filed_on) = (Some(opened.opened_on), Some(opened.opened_on));
            let case = CaseData { procedure: procedure_id, category, accepted_on, filed_on, ..opened };
            let entries = catalogue.iter().map(|e| e.validate().unwrap()).collect();
            let catalogue = crate::review::ReviewCatalogue { entries, ..Default::default() };
            let review = crate::review::ReviewContext { catalogue, ..Default::default() };
            let calendar = Calendar::embedded().unwrap();
            let estimate = calendar.with_estimates(calendar.years().last().unwrap().year + 2);
            Walk { procedure, case, stage: stage.into(), review, calendar, estimate }
        }

        fn try_step(&self, action: &str, step: &StepInput) -> Result<(String, CaseData), Vec<Refusal>> {
            let certificates = |_: UserId| Vec::new();
            let facts = Facts {
                procedure: &self.procedure,
                action: "",
                case: &self.case,
                stage: &self.stage,
                step,
                certificates: &certificates,
                recordings: &[],
                calendar: &self.calendar,
                estimate: &self.estimate,
                review: &self.review,
                amounts: None,
            };
            take(&facts, action)
        }

        fn step(&mut self, action: &str, step: &StepInput) {
            let (stage, case) = self.try_step(action, step).unwrap_or_else(|r| panic!("{action}: {r:?}"));
            (self.stage, self.case) = (stage, case);
        }

        /// The rules that refuse `action`.
        fn refused(&self, action: &str, step: &StepInput) -> Vec<&'static str> {
            self.try_step(action, step).err().unwrap_or_default().iter().map(|r| r.rule).collect()
        }
    }

    fn by(role: Role, user: i64, on: Date) -> StepInput {
        let mut step = StepInput::new(on, UserId(user), "某人");
        step.role = Some(role);
        step
    }

    fn reviewed(on: Date, approve: bool) -> StepInput {
        let mut step = by(Role::Reviewer, 7, on);
        step.reviewer = Some(crate::review::ReviewerInfo {
            user: UserId(7),
            name: "审核员".into(),
            is_reviewer: true,
            legal_qualification: true,
            prior_penalty_reviews: 3,
        });
        let mut form = crate::review::ReviewForm::default();
        for p in crate::review::ReviewPoint::ALL {
            let finding = if approve || *p != crate::review::ReviewPoint::Law { "conforms" } else { "problem" };
            form.findings.insert(p.code().into(), finding.into());
            if finding == "problem" {
                form.comments.insert(p.code().into(), "未引用具体条款".into());
            }
        }
        form.opinion = if approve { "approve" } else { "problems" }.into();
        form.problems = if approve { String::new() } else { "法律依据引用不全".into() };
        form.comment = if approve { "同意" } else { "退回补充" }.into();
        step.review = Some(form.validate().unwrap());
        step
    }

    fn entry(category: &str, trigger: &str) -> crate::review::CatalogueEntryForm {
        crate::review::CatalogueEntryForm {
            name: format!("{category} {trigger}"),
            category: category.into(),
            trigger: trigger.into(),
            ..Default::default()
        }
    }

    #[test]
    fn rev_2_a_permit_is_reviewed_when_the_catalogue_says_so_and_only_the_decision_reviewed_is_made() {
        let on = date(2025, 3, 10);
        // No catalogue line: the head decides without review.
        let free = Walk::new("permit", "review", vec![]);
        assert_eq!(free.refused("grant", &by(Role::Head, 2, on)), Vec::<&str>::new());
        // Every permit reviewed: refused until a review approves that decision.
        let mut w = Walk::new("permit", "review", vec![entry("permit", "always")]);
        assert_eq!(w.refused("grant", &by(Role::Head, 2, on)), vec!["catalogue_review"]);
        let mut submit = by(Role::Head, 2, on);
        assert!(w.try_step("submit_review", &submit).is_err(), "a permit's draft names the decision");
        submit.decides = Some("refuse".into());
        assert!(w.try_step("submit_review", &submit).is_err(), "not a reviewed decision");
        submit.decides = Some("grant".into());
        w.step("submit_review", &submit);
        assert_eq!(w.stage, "legal_review");
        assert_eq!(w.case.review.rounds[0].draft.summary(), "准予许可");
        assert_eq!(w.case.review.rounds[0].triggers.len(), 1);
        w.step("review", &reviewed(on, true));
        assert_eq!(w.stage, "review");
        // Reviewed to grant: the head may not deny on that review.
        let denied = w.try_step("deny", &by(Role::Head, 2, on)).unwrap_err();
        let m = &denied.iter().find(|r| r.rule == "catalogue_review").unwrap().message;
        assert!(m.contains("准予许可") && m.contains("不予许可"), "{m}");
        w.step("grant", &by(Role::Head, 2, on));
        assert_eq!(w.stage, "decision");
    }

    #[test]
    fn rev_2_a_seizure_and_a_decision_of_no_penalty_are_reviewed_when_the_catalogue_says_so() {
        let on = date(2025, 3, 10);
        let mut w = Walk::new("coercive-seizure", "approval", vec![entry("coercion", "always")]);
        assert!(w.refused("approve", &by(Role::Head, 2, on)).contains(&"catalogue_review"));
        let mut submit = by(Role::Head, 2, on);
        submit.decides = Some("approve".into());
        w.step("submit_review", &submit);
        w.step("review_problems", &reviewed(on, false));
        assert_eq!(w.stage, "review_returned");
        let mut answer = by(Role::Head, 2, on);
        answer.answers = vec!["已补充法律依据".into()];
        w.step("resubmit", &answer);
        assert_eq!(w.case.review.rounds[1].draft.summary(), "负责人批准实施", "the draft at hand is resubmitted");
        w.step("review", &reviewed(on, true));
        assert_eq!(w.stage, "approval");
        assert!(!w.refused("approve", &by(Role::Head, 2, on)).contains(&"catalogue_review"));

        // A decision of no penalty, when the catalogue names it, on its ground.
        let mut w = Walk::new("penalty-general", "investigation", vec![entry("penalty", "no_penalty")]);
        let mut decide = by(Role::Head, 2, on);
        decide.no_penalty_ground = Some(crate::penalty::NoPenaltyGround::NoFault);
        decide.reason = "当事人有证据足以证明没有主观过错".into();
        assert_eq!(w.refused("decide_no_penalty", &decide), vec!["legal_review"]);
        let threshold =
            crate::review::CatalogueEntryForm { amount: "10000".into(), ..entry("penalty", "fine_at_least") };
        let free = Walk::new("penalty-general", "investigation", vec![threshold]);
        assert_eq!(
            free.refused("decide_no_penalty", &decide),
            Vec::<&str>::new(),
            "a fine's threshold is not met by no fine"
        );
        let mut submit = by(Role::Head, 2, on);
        submit.decides = Some("decide_no_penalty".into());
        submit.no_penalty_ground = Some(crate::penalty::NoPenaltyGround::MinorCorrected);
        w.step("submit_review", &submit);
        w.step("review", &reviewed(on, true));
        w.step("skip_deliberation", &by(Role::Head, 2, on));
        let m = w.try_step("decide_no_penalty", &decide).unwrap_err();
        assert!(m.iter().any(|r| r.rule == "legal_review"), "reviewed on another ground: {m:?}");
        decide.no_penalty_ground = Some(crate::penalty::NoPenaltyGround::MinorCorrected);
        decide.reason = "违法行为轻微并及时改正".into();
        decide.first_minor = Some([false, true, true]);
        w.step("decide_no_penalty", &decide);
        assert_eq!(w.stage, "no_penalty");
    }

    #[test]
    fn rec_3_a_limit_in_a_year_without_holidays_never_blocks_a_step_and_the_step_says_so() {
        let w = Walk::new("penalty-general", "notice", vec![]);
        let last = w.calendar.years().last().unwrap().year;
        let mut w = w;
        // Notified on 28 December of the last year with data: the 5 working
        // days to ask for a hearing (art. 64) end in the next year.
        let notified = date(last, 12, 28);
        w.case.notified_on = Some(notified);
        w.case.proposed = Some(crate::penalty::Penalty {
            kinds: vec![crate::penalty::PenaltyKind::Fine],
            fine: crate::money::Money::yuan(100_000),
            ..Default::default()
        });
        let estimated_end = provisional_working_days(notified, 5).unwrap();
        // Within the estimate: taken, marked as checked against it.
        let asked = by(Role::Head, 2, estimated_end);
        let (_, case) = w.try_step("request_hearing", &asked).unwrap();
        let step = case.steps.last().unwrap();
        assert_eq!(step.estimated, vec![super::super::Estimated { rule: "hearing_request_window".into(), late: None }]);
        // Late by the estimate: still taken (the real holidays may allow it),
        // and the step keeps what the estimate said.
        let late = by(Role::Head, 2, estimated_end.tomorrow().unwrap().tomorrow().unwrap());
        let (_, case) = w.try_step("request_hearing", &late).unwrap();
        let said = case.steps.last().unwrap().estimated[0].late.clone().unwrap();
        assert!(said.contains("逾期") && said.contains(&estimated_end.to_string()), "{said}");
        // Without an estimate, the same step was refused for want of data.
        let bare = Walk { estimate: Calendar::embedded().unwrap(), ..w };
        let refused = bare.try_step("request_hearing", &asked).unwrap_err();
        assert!(refused.iter().any(|r| r.message.contains("尚未载入")), "{refused:?}");
    }

    #[test]
    fn provisional_working_days_skip_weekends() {
        // Friday 2027-01-01 + 7 working days, weekends only: Monday 4th … Tuesday 12th.
        let due = provisional_due(date(2027, 1, 1), zhifa_calendar::Period::working_days(7).unwrap());
        assert_eq!(due, Some(date(2027, 1, 12)));
    }
}
