//! Handling a warning (处置, SUP-1/SUP-2): a supervisor sends it to the
//! agency with a request and a due date; the agency answers (an
//! explanation or what it rectified, with attachments); the supervisor
//! accepts the answer, which closes the warning, or returns it, and the
//! agency answers again. Each step is one function here; the service checks
//! who may take it and commits it.

use super::WarningStatus;
use crate::case::rules::Refusal;
use crate::coded_enum;
use crate::error::required_text;
use crate::ids::{UploadId, UserId};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The rule every step of handling is checked by (SUP-1: 督办、反馈、审核).
pub const HANDLING_ORDER: &str = "warning_handling_order";
/// The rule of who takes which step.
pub const HANDLING_ROLE: &str = "warning_handling_role";
/// Where they are written.
pub const SUP_1: &str = "SPEC SUP-1 预警处置";

coded_enum!(
    /// A step of handling.
    HandlingAction, "处置环节" {
        Send = "send", "督办";
        Answer = "answer", "反馈";
        Accept = "accept", "审核通过";
        Return = "return", "退回";
    }
);

impl HandlingAction {
    /// Taken by the supervisor (the others by the agency).
    pub fn by_supervisor(self) -> bool {
        !matches!(self, HandlingAction::Answer)
    }
}

/// One step of handling, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandlingStep {
    pub action: HandlingAction,
    pub by: UserId,
    pub by_name: String,
    pub on: Date,
    /// The request, the answer, or why it was accepted or returned.
    pub text: String,
    /// By when the agency must answer (a request only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_on: Option<Date>,
    /// Evidence files of the agency the answer points to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<UploadId>,
}

fn refuse(message: String) -> Refusal {
    Refusal { rule: HANDLING_ORDER, article: SUP_1, message }
}

/// SUP-1: a supervisor whose region holds the agency sends a warning,
/// returns an answer and accepts it; the agency's head answers for it.
pub fn sup_1_may_handle(
    action: HandlingAction,
    supervisor_of_region: bool,
    head_of_agency: bool,
) -> Result<(), Refusal> {
    let (allowed, who) = if action.by_supervisor() {
        (supervisor_of_region, "辖区司法行政部门的监督人员")
    } else {
        (head_of_agency, "被督办机关的负责人")
    };
    if allowed {
        Ok(())
    } else {
        Err(Refusal {
            rule: HANDLING_ROLE, article: SUP_1, message: format!("预警的{}由{}办理", action.label(), who)
        })
    }
}

/// Where the handling of a warning or a report stands: its status, by
/// when the agency must answer, and its steps (kept flat in their data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handled {
    pub status: WarningStatus,
    /// By when the agency must answer (the last request's due date).
    pub answer_due: Option<Date>,
    pub handling: Vec<HandlingStep>,
}

impl Default for Handled {
    fn default() -> Self {
        Self { status: WarningStatus::Open, answer_due: None, handling: Vec::new() }
    }
}

impl Handled {
    /// The agency's answer is due and not given: it is overdue itself.
    pub fn answer_overdue(&self, today: Date) -> bool {
        matches!(self.status, WarningStatus::Sent | WarningStatus::Returned)
            && self.answer_due.is_some_and(|d| today > d)
    }
}

/// The statuses `action` may be taken from, and the status it leads to.
fn order(action: HandlingAction) -> (&'static [WarningStatus], WarningStatus) {
    use WarningStatus as S;
    match action {
        HandlingAction::Send => (&[S::Open], S::Sent),
        HandlingAction::Answer => (&[S::Sent, S::Returned], S::Answered),
        HandlingAction::Accept => (&[S::Answered], S::Accepted),
        HandlingAction::Return => (&[S::Answered], S::Returned),
    }
}

/// SUP-1: take `step` on `data`, in its order: send an open warning, answer
/// one sent or returned, accept or return an answer. A request needs a due
/// date after the day it is sent; every step needs its text.
pub fn sup_1_handle(data: &Handled, step: HandlingStep) -> Result<Handled, Refusal> {
    let (from, to) = order(step.action);
    if data.status.is_closed() {
        return Err(refuse(format!("预警{}，不能再{}", data.status.label(), step.action.label())));
    }
    if !from.contains(&data.status) {
        let allowed: Vec<&str> = from.iter().map(|s| s.label()).collect();
        return Err(refuse(format!(
            "预警当前为“{}”，只有“{}”的预警可以{}",
            data.status.label(),
            allowed.join("、"),
            step.action.label()
        )));
    }
    let text = required_text("处置意见", &step.text, 4000).map_err(|e| refuse(e.to_string()))?;
    let mut next = data.clone();
    match (step.action, step.due_on) {
        (HandlingAction::Send, Some(due)) if due > step.on => next.answer_due = Some(due),
        (HandlingAction::Send, _) => return Err(refuse("督办应当写明晚于今日的反馈期限".into())),
        (_, Some(_)) => return Err(refuse("只有督办可以规定反馈期限".into())),
        _ => {}
    }
    if step.action != HandlingAction::Answer && !step.attachments.is_empty() {
        return Err(refuse("只有机关的反馈可以附材料".into()));
    }
    next.status = to;
    next.handling.push(HandlingStep { text, ..step });
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::super::{Finding, RuleBook, Subject, SubjectKind};
    use super::*;
    use jiff::civil::date;

    fn warning() -> Handled {
        let book = RuleBook::embedded().unwrap();
        let finding = Finding::new(book.get("case_past_time_limit").unwrap(), "decision", "超期", None);
        let subject = Subject { kind: SubjectKind::Case, id: 1, label: "案".into() };
        super::super::WarningData::open(&finding, subject, date(2026, 12, 1)).handled
    }

    fn step(action: HandlingAction, due_on: Option<Date>) -> HandlingStep {
        HandlingStep {
            action,
            by: UserId(1),
            by_name: "某".into(),
            on: date(2026, 12, 2),
            text: "请说明".into(),
            due_on,
            attachments: vec![],
        }
    }

    #[test]
    fn sup_1_a_warning_is_sent_answered_returned_answered_again_and_accepted() {
        let w = warning();
        let sent = sup_1_handle(&w, step(HandlingAction::Send, Some(date(2026, 12, 9)))).unwrap();
        assert_eq!((sent.status, sent.answer_due), (WarningStatus::Sent, Some(date(2026, 12, 9))));
        assert!(sent.answer_overdue(date(2026, 12, 10)) && !sent.answer_overdue(date(2026, 12, 9)));
        let answered = sup_1_handle(&sent, step(HandlingAction::Answer, None)).unwrap();
        assert!(!answered.answer_overdue(date(2026, 12, 10)));
        let returned = sup_1_handle(&answered, step(HandlingAction::Return, None)).unwrap();
        assert_eq!(returned.status, WarningStatus::Returned);
        let again = sup_1_handle(&returned, step(HandlingAction::Answer, None)).unwrap();
        let accepted = sup_1_handle(&again, step(HandlingAction::Accept, None)).unwrap();
        assert_eq!((accepted.status, accepted.handling.len()), (WarningStatus::Accepted, 5));
        assert!(accepted.status.is_closed());
    }

    #[test]
    fn sup_1_supervisors_send_and_judge_heads_answer() {
        assert!(sup_1_may_handle(HandlingAction::Send, true, false).is_ok());
        assert!(sup_1_may_handle(HandlingAction::Answer, false, true).is_ok());
        let e = sup_1_may_handle(HandlingAction::Answer, true, false).unwrap_err();
        assert_eq!(e.rule, HANDLING_ROLE);
        assert!(e.message.contains("负责人"), "{}", e.message);
        assert!(sup_1_may_handle(HandlingAction::Accept, false, true).unwrap_err().message.contains("监督人员"));
    }

    #[test]
    fn sup_1_a_handling_step_out_of_order_is_refused_naming_its_rule() {
        let w = warning();
        for (data, action) in [(&w, HandlingAction::Answer), (&w, HandlingAction::Accept), (&w, HandlingAction::Return)]
        {
            let e = sup_1_handle(data, step(action, None)).unwrap_err();
            assert_eq!(e.rule, HANDLING_ORDER);
            assert!(e.message.contains("待督办"), "{}", e.message);
        }
        let e = sup_1_handle(&w, step(HandlingAction::Send, None)).unwrap_err();
        assert!(e.message.contains("反馈期限"), "{}", e.message);
        let e = sup_1_handle(&w, step(HandlingAction::Send, Some(date(2026, 12, 2)))).unwrap_err();
        assert!(e.message.contains("反馈期限"), "a due date on the day itself: {}", e.message);
        let mut closed = w.clone();
        closed.status = WarningStatus::Resolved;
        let e = sup_1_handle(&closed, step(HandlingAction::Send, Some(date(2026, 12, 9)))).unwrap_err();
        assert!(e.message.contains("已自行消除"), "{}", e.message);
        let empty = HandlingStep { text: "  ".into(), ..step(HandlingAction::Send, Some(date(2026, 12, 9))) };
        assert!(sup_1_handle(&w, empty).is_err());
    }
}
