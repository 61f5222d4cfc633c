//! Estimates checked again (REC-3). A rule a step was checked against by an
//! estimated calendar (a year whose holidays were not yet published) is
//! checked again, once the year is loaded, on the case as it stood before
//! that step; a seizure's estimated end is computed anew. What the real
//! holidays show late, or moved earlier, becomes a notice to the handlers.

use super::engine::seizure_end;
use super::facts::{Facts, StepInput};
use super::procedure::Procedure;
use super::{CaseData, CaseNotice, Rechecked, rules};
use crate::amounts::ProvinceAmounts;
use crate::review::ReviewContext;
use jiff::civil::Date;
use zhifa_calendar::Calendar;

/// What the rules of a case's agency were weighed with, besides the case.
pub struct Weighed<'a> {
    pub review: &'a ReviewContext,
    pub amounts: Option<&'a ProvinceAmounts>,
    /// The agency's bound on late entries, in working days.
    pub late_entry_days: u16,
}

/// `case` with what was estimated checked again against `calendar` (and,
/// to tell what it still cannot, `estimate`: the same with the missing
/// years estimated) on `today`. `before(k)` is the case as it stood before
/// its step `k`. `None`: nothing could be checked yet.
pub fn rec_3_recheck_estimates(
    procedure: &Procedure,
    case: &CaseData,
    before: impl Fn(usize) -> Option<CaseData>,
    (calendar, estimate): (&Calendar, &Calendar),
    weighed: &Weighed<'_>,
    today: Date,
) -> Option<CaseData> {
    let mut next = case.clone();
    let mut changed = false;
    for (k, step) in case.steps.iter().enumerate() {
        if step.estimated.is_empty() {
            continue;
        }
        let Some(prior) = before(k) else { continue };
        let mut input = StepInput::new(step.on, step.by, &step.by_name);
        input.recorded_on = step.recorded_on.unwrap_or(step.on);
        input.late_reason = step.late_reason.clone().unwrap_or_default();
        input.late_entry_days = weighed.late_entry_days;
        input.note.clone_from(&step.note);
        let certificates = |_| Vec::new();
        let facts = Facts {
            procedure,
            action: &step.action,
            case: &prior,
            stage: &step.from,
            step: &input,
            certificates: &certificates,
            recordings: &[],
            calendar,
            estimate: calendar,
            review: weighed.review,
            amounts: weighed.amounts,
        };
        let mut still = Vec::new();
        for e in &step.estimated {
            let found = rules::check(&e.rule, &facts).err();
            // Still a year without data: the estimate would say otherwise.
            if found.is_some() && rules::check(&e.rule, &Facts { calendar: estimate, ..facts }).err() != found {
                still.push(e.clone());
                continue;
            }
            if let Some(message) = &found {
                let name = procedure.transition(&step.action).map_or(step.action.as_str(), |t| t.name.as_str());
                let article = rules::article_of(&e.rule);
                next.notices.push(CaseNotice {
                    on: today,
                    text: format!("{} 的“{name}”按已发布的节假日安排复核：{message}（{article}）", step.on),
                });
            }
            let estimated_late = e.late.clone();
            next.steps[k].rechecked.push(Rechecked { rule: e.rule.clone(), estimated_late, on: today, found });
        }
        if still.len() != step.estimated.len() {
            next.steps[k].estimated = still;
            changed = true;
        }
    }
    if case.seizure_until_provisional
        && let (Some(seized), Some(old)) = (case.seized_on, case.seizure_until)
        && let Some((until, false)) = seizure_until(case, calendar, seized)
    {
        if until != old {
            let moved = if until < old { "提前至" } else { "延至" };
            next.notices.push(CaseNotice {
                on: today,
                text: format!("查封、扣押期限按已发布的节假日安排复核，由暂估的 {old} {moved} {until}"),
            });
        }
        next.seizure_until = Some(until);
        next.seizure_until_provisional = false;
        changed = true;
    }
    changed.then_some(next)
}

/// The end of a seizure begun on `seized` and extended as `case` records,
/// and whether it is still an estimate.
fn seizure_until(case: &CaseData, calendar: &Calendar, seized: Date) -> Option<(Date, bool)> {
    let (mut until, mut provisional) = seizure_end(calendar, seized, 30).ok()?;
    for e in case.extensions.iter().filter(|e| e.limit == "seizure") {
        let (next, estimated) = seizure_end(calendar, until, e.days).ok()?;
        (until, provisional) = (next, provisional || estimated);
    }
    Some((until, provisional))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::engine::{provisional_working_days, take};
    use crate::case::procedure::Procedures;
    use crate::ids::UserId;
    use crate::people::Role;
    use jiff::civil::date;

    /// A year file for the year after the embedded ones, as the State
    /// Council might publish it: New Year's Day off, nothing else.
    fn with_next_year(calendar: &Calendar, holidays: &str) -> Calendar {
        let next = calendar.years().last().unwrap().year + 1;
        let mut builder = Calendar::builder();
        let text = format!("year {next}\nsource 测试\n{holidays}");
        builder.add_file(&format!("{next}.txt"), &text).unwrap();
        builder.build().unwrap()
    }

    #[test]
    fn rec_3_a_step_checked_against_an_estimate_is_checked_again_when_the_year_is_loaded() {
        let calendar = Calendar::embedded().unwrap();
        let last = calendar.years().last().unwrap().year;
        let estimate = calendar.with_estimates(last + 2);
        let procedure = Procedures::embedded().unwrap().get("penalty-general").unwrap().clone();
        let mut case = crate::case::test_case(&procedure, date(last, 12, 1));
        let notified = date(last, 12, 28);
        case.notified_on = Some(notified);
        case.proposed = Some(crate::penalty::Penalty {
            kinds: vec![crate::penalty::PenaltyKind::Fine],
            fine: crate::money::Money::yuan(100_000),
            ..Default::default()
        });
        // The estimate's fifth working day after the notice, a weekday of the next year.
        let fifth = provisional_working_days(notified, 5).unwrap();
        let review = ReviewContext::default();
        let certificates = |_: UserId| Vec::new();
        let mut step = StepInput::new(fifth, UserId(2), "负责人");
        step.role = Some(Role::Head);
        let facts = Facts {
            procedure: &procedure,
            action: "",
            case: &case,
            stage: "notice",
            step: &step,
            certificates: &certificates,
            recordings: &[],
            calendar: &calendar,
            estimate: &estimate,
            review: &review,
            amounts: None,
        };
        let (_, asked) = take(&facts, "request_hearing").unwrap();
        assert!(asked.is_provisional());
        let weighed = Weighed { review: &review, amounts: None, late_entry_days: 3 };
        let before = |k: usize| (k == asked.steps.len() - 1).then(|| case.clone());
        // Nothing to say while the year is still missing.
        assert_eq!(rec_3_recheck_estimates(&procedure, &asked, before, (&calendar, &estimate), &weighed, fifth), None);

        // The year published with 1–3 January off: the fifth working day is
        // later than estimated, the request was in time.
        let generous = with_next_year(&calendar, &format!("holiday {}-01-01..{}-01-03 元旦\n", last + 1, last + 1));
        let est = generous.with_estimates(last + 3);
        let checked = rec_3_recheck_estimates(&procedure, &asked, before, (&generous, &est), &weighed, fifth).unwrap();
        let step = checked.steps.last().unwrap();
        assert!(step.estimated.is_empty() && !checked.is_provisional());
        assert_eq!(step.rechecked[0].rule, "hearing_request_window");
        assert_eq!(step.rechecked[0].found, None);
        assert!(checked.notices.is_empty());

        // Published with a swapped working Saturday that ends the five days
        // before the estimate did: the request was late, and it is said.
        let first_saturday =
            (1..=7).map(|d| date(last + 1, 1, d)).find(|d| d.weekday() == jiff::civil::Weekday::Saturday).unwrap();
        let earlier = with_next_year(&calendar, &format!("workday {first_saturday} 调休\n"));
        let est = earlier.with_estimates(last + 3);
        let due = earlier.due_date(notified, zhifa_calendar::Period::working_days(5).unwrap()).unwrap();
        assert!(due < fifth, "{due} {fifth}");
        let checked = rec_3_recheck_estimates(&procedure, &asked, before, (&earlier, &est), &weighed, fifth).unwrap();
        let found = checked.steps.last().unwrap().rechecked[0].found.clone().unwrap();
        assert!(found.contains(&due.to_string()), "{found}");
        assert!(checked.notices[0].text.contains("当事人要求听证"), "{:?}", checked.notices);
    }

    #[test]
    fn rec_3_a_seizures_estimated_end_is_computed_again_and_a_move_said() {
        let calendar = Calendar::embedded().unwrap();
        let last = calendar.years().last().unwrap().year;
        let procedure = Procedures::embedded().unwrap().get("coercive-seizure").unwrap().clone();
        let mut case = crate::case::test_case(&procedure, date(last, 12, 1));
        // Seized so that the 30 days end on a day the next year makes a holiday.
        let mut seized = date(last, 12, 2);
        while (seized + jiff::Span::new().days(30)).weekday() != jiff::civil::Weekday::Monday {
            seized = seized.tomorrow().unwrap();
        }
        let (until, provisional) = seizure_end(&calendar, seized, 30).unwrap();
        assert!(provisional);
        (case.seized_on, case.seizure_until, case.seizure_until_provisional) = (Some(seized), Some(until), true);
        let review = ReviewContext::default();
        let weighed = Weighed { review: &review, amounts: None, late_entry_days: 3 };
        let loaded = with_next_year(&calendar, &format!("holiday {until}..{until} 测试假日\n"));
        let est = loaded.with_estimates(last + 3);
        let checked = rec_3_recheck_estimates(&procedure, &case, |_| None, (&loaded, &est), &weighed, until).unwrap();
        assert!(!checked.seizure_until_provisional && !checked.is_provisional());
        assert_eq!(checked.seizure_until, Some(until.tomorrow().unwrap()), "ends on the next working day");
        assert!(checked.notices[0].text.contains("延至"), "{:?}", checked.notices);
    }
}
