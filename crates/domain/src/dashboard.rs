//! The supervisors' dashboard (SUP-1): what each case, publication and
//! complaint adds to its agency's figures of a month, and the figures of a
//! region or an agency over a period, read from those monthly sums. Pure.
//!
//! An outbox reader keeps the sums: for a source that changed it works out
//! the source's [`Contribution`] again and adds the [`difference`] from the
//! one it stored. Every figure here depends only on what happened and when
//! (never on today), so a sum stays right between changes; what the clock
//! makes true (a case open past its limit) is a warning, and the dashboard
//! counts those from the warnings.

use crate::case::CaseData;
use crate::case::engine::CaseDeadline;
use crate::complaint::ComplaintData;
use crate::people::Category;
use crate::review::RoundResult;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A month as `yyyymm` (202611).
pub type Month = i32;

pub fn month_of(d: Date) -> Month {
    i32::from(d.year()) * 100 + i32::from(d.month())
}

/// The first and last day of a month.
pub fn month_span(m: Month) -> Option<(Date, Date)> {
    let first = Date::new(i16::try_from(m / 100).ok()?, i8::try_from(m % 100).ok()?, 1).ok()?;
    Some((first, first.last_of_month()))
}

/// The months from `from`'s to `to`'s, both included.
pub fn months(from: Date, to: Date) -> Vec<Month> {
    let mut out = Vec::new();
    let mut d = from.first_of_month();
    while d <= to {
        out.push(month_of(d));
        let Ok(next) = d.checked_add(jiff::Span::new().months(1)) else { break };
        d = next;
    }
    out
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// Counts of one agency's month and procedure (publications and complaints
/// under the procedure `""`), or a difference of two such.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tally {
    /// Cases opened (立案 or accepted) in the month.
    #[serde(skip_serializing_if = "is_zero")]
    pub opened: i64,
    /// Cases closed (办结) in the month, and those of them that met one of
    /// their time limits after its due date.
    #[serde(skip_serializing_if = "is_zero")]
    pub closed: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub closed_late: i64,
    /// Working days from opening to closing, summed, and how many closed
    /// cases took each number of days (for the 90th percentile).
    #[serde(skip_serializing_if = "is_zero")]
    pub handling_days: i64,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub handling: BTreeMap<u32, i64>,
    /// Decisions made, and how many of those cases have an audio/video record.
    #[serde(skip_serializing_if = "is_zero")]
    pub decided: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub decided_recorded: i64,
    /// Penalty decisions, and their fines in fen.
    #[serde(skip_serializing_if = "is_zero")]
    pub penalties: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub fines_fen: i64,
    /// Decisions published (by the month of the decision), and those on time.
    #[serde(skip_serializing_if = "is_zero")]
    pub published: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub published_on_time: i64,
    /// Cases submitted to legal review (by their first round's month), the
    /// rounds submitted, answered and approved.
    #[serde(skip_serializing_if = "is_zero")]
    pub reviewed_cases: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub review_rounds: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub review_rounds_answered: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub review_rounds_approved: i64,
    /// Complaints received, answered, and the working days the answers took.
    #[serde(skip_serializing_if = "is_zero")]
    pub complaints: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub complaints_answered: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub answer_days: i64,
}

impl Tally {
    /// Add `o` times `sign` (1 to add, -1 to take away).
    pub fn add(&mut self, o: &Tally, sign: i64) {
        let pairs = [
            (&mut self.opened, o.opened),
            (&mut self.closed, o.closed),
            (&mut self.closed_late, o.closed_late),
            (&mut self.handling_days, o.handling_days),
            (&mut self.decided, o.decided),
            (&mut self.decided_recorded, o.decided_recorded),
            (&mut self.penalties, o.penalties),
            (&mut self.fines_fen, o.fines_fen),
            (&mut self.published, o.published),
            (&mut self.published_on_time, o.published_on_time),
            (&mut self.reviewed_cases, o.reviewed_cases),
            (&mut self.review_rounds, o.review_rounds),
            (&mut self.review_rounds_answered, o.review_rounds_answered),
            (&mut self.review_rounds_approved, o.review_rounds_approved),
            (&mut self.complaints, o.complaints),
            (&mut self.complaints_answered, o.complaints_answered),
            (&mut self.answer_days, o.answer_days),
        ];
        for (mine, theirs) in pairs {
            *mine = mine.saturating_add(theirs.saturating_mul(sign));
        }
        for (days, n) in &o.handling {
            let slot = self.handling.entry(*days).or_default();
            *slot = slot.saturating_add(n.saturating_mul(sign));
            if *slot == 0 {
                self.handling.remove(days);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Tally::default()
    }

    /// Average working days from opening to closing.
    pub fn average_handling_days(&self) -> Option<f64> {
        let n: i64 = self.handling.values().sum();
        (n > 0).then(|| (self.handling_days as f64 / n as f64 * 10.0).round() / 10.0)
    }

    /// SUP-1: the 90th percentile of the working days from opening to
    /// closing, by nearest rank: the fewest days within which at least 90 %
    /// of the closed cases closed.
    pub fn sup_1_p90_handling_days(&self) -> Option<u32> {
        let n: i64 = self.handling.values().sum();
        if n <= 0 {
            return None;
        }
        // ceil(0.9 n), in integers.
        let rank = (9 * n + 9) / 10;
        let mut seen = 0;
        for (days, count) in &self.handling {
            seen += count;
            if seen >= rank {
                return Some(*days);
            }
        }
        self.handling.keys().next_back().copied()
    }

    pub fn on_time_rate(&self) -> Option<f64> {
        percent(self.published_on_time, self.published)
    }

    pub fn recording_coverage(&self) -> Option<f64> {
        percent(self.decided_recorded, self.decided)
    }

    /// Per cent of answered review rounds that were approved.
    pub fn review_pass_rate(&self) -> Option<f64> {
        percent(self.review_rounds_approved, self.review_rounds_answered)
    }

    /// Rounds of review per case reviewed.
    pub fn rounds_per_case(&self) -> Option<f64> {
        (self.reviewed_cases > 0)
            .then(|| (self.review_rounds as f64 / self.reviewed_cases as f64 * 100.0).round() / 100.0)
    }

    /// Per cent of closed cases that met all their limits.
    pub fn closed_on_time_rate(&self) -> Option<f64> {
        percent(self.closed - self.closed_late, self.closed)
    }

    pub fn average_answer_days(&self) -> Option<f64> {
        (self.complaints_answered > 0)
            .then(|| (self.answer_days as f64 / self.complaints_answered as f64 * 10.0).round() / 10.0)
    }
}

/// Per cent, one decimal.
fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// What one source adds: a tally per month and procedure.
pub type Contribution = BTreeMap<(Month, String), Tally>;

/// The procedure of sources that are not cases.
pub const NO_PROCEDURE: &str = "";

fn tally<'a>(c: &'a mut Contribution, on: Date, procedure: &str) -> &'a mut Tally {
    c.entry((month_of(on), procedure.to_owned())).or_default()
}

/// SUP-1: what a case adds. `deadlines` are its limits (from the engine),
/// `recorded` whether it has an audio/video record, `working_days` counts
/// the working days after one day up to another (`None` where the
/// calendar has no data).
pub fn sup_1_case_contribution(
    case: &CaseData,
    deadlines: &[CaseDeadline],
    recorded: bool,
    working_days: impl Fn(Date, Date) -> Option<u32>,
) -> Contribution {
    let mut c = Contribution::new();
    let p = case.procedure.as_str();
    tally(&mut c, case.opened_on, p).opened += 1;
    if let Some(closed) = case.closed_on {
        let late = deadlines.iter().any(|d| d.met_on.is_some_and(|met| met > d.due));
        let days = working_days(case.opened_on, closed);
        let t = tally(&mut c, closed, p);
        t.closed += 1;
        t.closed_late += i64::from(late);
        if let Some(days) = days {
            t.handling_days += i64::from(days);
            *t.handling.entry(days).or_default() += 1;
        }
    }
    if let Some(decided) = case.decided_on {
        let t = tally(&mut c, decided, p);
        t.decided += 1;
        t.decided_recorded += i64::from(recorded);
        if case.category == Category::Penalty
            && let Some(decision) = &case.decision
        {
            t.penalties += 1;
            t.fines_fen += decision.fine.fen();
        }
    }
    if let Some(first) = case.review.rounds.first() {
        tally(&mut c, first.submitted_on, p).reviewed_cases += 1;
    }
    for round in &case.review.rounds {
        let t = tally(&mut c, round.submitted_on, p);
        t.review_rounds += 1;
        if let Some(outcome) = &round.outcome {
            t.review_rounds_answered += 1;
            t.review_rounds_approved += i64::from(outcome.result == RoundResult::Approved);
        }
    }
    c
}

/// SUP-1: what a publication of a decision adds, by the month of the decision.
pub fn sup_1_publication_contribution(decided_on: Date, due_on: Date, published_on: Date) -> Contribution {
    let mut c = Contribution::new();
    let t = tally(&mut c, decided_on, NO_PROCEDURE);
    t.published = 1;
    t.published_on_time = i64::from(published_on <= due_on);
    c
}

/// SUP-1: what a complaint adds, by the month it came in.
pub fn sup_1_complaint_contribution(
    complaint: &ComplaintData,
    working_days: impl Fn(Date, Date) -> Option<u32>,
) -> Contribution {
    let mut c = Contribution::new();
    let t = tally(&mut c, complaint.submitted_on, NO_PROCEDURE);
    t.complaints = 1;
    if let Some(answer) = &complaint.answer {
        t.complaints_answered = 1;
        t.answer_days = working_days(complaint.submitted_on, answer.on).map_or(0, i64::from);
    }
    c
}

/// What to add to the sums when a source's contribution goes from `old`
/// to `new` (empty tallies left out).
pub fn difference(old: &Contribution, new: &Contribution) -> Contribution {
    let mut out = new.clone();
    for (key, t) in old {
        out.entry(key.clone()).or_default().add(t, -1);
    }
    out.retain(|_, t| !t.is_empty());
    out
}

/// Tallies summed by a key of each row.
pub fn sum_by<R, K: Ord>(rows: &[R], tally: impl Fn(&R) -> &Tally, key: impl Fn(&R) -> K) -> BTreeMap<K, Tally> {
    let mut out: BTreeMap<K, Tally> = BTreeMap::new();
    for r in rows {
        out.entry(key(r)).or_default().add(tally(r), 1);
    }
    out
}

/// SUP-1: the order of the agencies' ranking: the share of cases closed
/// within all their limits first, then the share of decisions published on
/// time, then more cases closed; an agency with nothing closed last.
pub fn sup_1_ranking_order(a: &Tally, b: &Tally) -> std::cmp::Ordering {
    let key = |t: &Tally| (t.closed_on_time_rate().unwrap_or(-1.0), t.on_time_rate().unwrap_or(-1.0), t.closed);
    let (ka, kb) = (key(a), key(b));
    kb.0.total_cmp(&ka.0).then(kb.1.total_cmp(&ka.1)).then(kb.2.cmp(&ka.2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::engine::CaseDeadline;
    use crate::complaint::ComplaintAnswer;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn penalty_case() -> CaseData {
        let procedures = crate::case::procedure::Procedures::embedded().unwrap();
        let mut case = crate::case::test_case(procedures.get("penalty-general").unwrap(), date(2026, 1, 5));
        case.decision = Some(crate::case::Penalty {
            kinds: vec![crate::case::PenaltyKind::Fine],
            fine: crate::money::Money::yuan(3_000),
            ..Default::default()
        });
        case
    }

    fn weekdays(from: Date, to: Date) -> Option<u32> {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d = d.tomorrow().ok()?;
            n += u32::from(!matches!(d.weekday(), jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday));
        }
        Some(n)
    }

    fn deadline(due: Date, met_on: Option<Date>) -> CaseDeadline {
        CaseDeadline {
            limit: "decide".into(),
            name: "作出决定".into(),
            basis: "《行政处罚法》第六十条".into(),
            started: date(2026, 1, 5),
            due,
            trace: Vec::new(),
            met_on,
            overdue: false,
            provisional: false,
        }
    }

    #[test]
    fn sup_1_a_closed_case_counts_where_each_thing_happened() {
        let mut case = penalty_case();
        case.opened_on = date(2026, 1, 5);
        case.decided_on = Some(date(2026, 2, 27));
        case.closed_on = Some(date(2026, 3, 2));
        let late = [deadline(date(2026, 2, 26), Some(date(2026, 2, 27)))];
        let c = sup_1_case_contribution(&case, &late, true, weekdays);
        let p = case.procedure.clone();
        assert_eq!(c[&(202601, p.clone())].opened, 1);
        let closed = &c[&(202603, p.clone())];
        assert_eq!((closed.closed, closed.closed_late), (1, 1));
        // Tue 6 – Fri 9 Jan (4), seven whole weeks (35), Monday 2 March (1).
        assert_eq!(closed.handling_days, 40);
        assert_eq!(closed.handling.get(&40), Some(&1));
        let decided = &c[&(202602, p.clone())];
        assert_eq!((decided.decided, decided.decided_recorded, decided.penalties), (1, 1, 1));
        assert_eq!(decided.fines_fen, case.decision.as_ref().map(|d| d.fine.fen()).unwrap_or_default());
        // Met on its due date: on time.
        let on_time = [deadline(date(2026, 2, 27), Some(date(2026, 2, 27)))];
        assert_eq!(sup_1_case_contribution(&case, &on_time, false, weekdays)[&(202603, p)].closed_late, 0);
    }

    #[test]
    fn sup_1_a_change_adds_only_its_difference() {
        let mut case = penalty_case();
        case.opened_on = date(2026, 1, 5);
        let before = sup_1_case_contribution(&case, &[], false, weekdays);
        case.closed_on = Some(date(2026, 1, 9));
        let after = sup_1_case_contribution(&case, &[], false, weekdays);
        let d = difference(&before, &after);
        assert_eq!(d.len(), 1, "{d:?}");
        let mut sum = before.clone();
        for (k, t) in &d {
            sum.entry(k.clone()).or_default().add(t, 1);
        }
        assert_eq!(sum, after);
        assert!(difference(&after, &after).is_empty());
        // Taking a source away takes away all it added.
        let gone = difference(&after, &Contribution::new());
        assert!(gone.values().all(|t| t.opened <= 0 && t.closed <= 0));
    }

    #[test]
    fn pub_3_publication_on_time_by_the_month_of_its_decision() {
        let c = sup_1_publication_contribution(date(2026, 3, 31), date(2026, 4, 10), date(2026, 4, 10));
        assert_eq!(c[&(202603, String::new())].published_on_time, 1);
        let late = sup_1_publication_contribution(date(2026, 3, 31), date(2026, 4, 10), date(2026, 4, 13));
        assert_eq!(
            (late[&(202603, String::new())].published, late[&(202603, String::new())].published_on_time),
            (1, 0)
        );
    }

    #[test]
    fn sup_6_complaint_answer_time_in_working_days() {
        let mut complaint = ComplaintData {
            tracking_number: "T1".into(),
            name: String::new(),
            contact: String::new(),
            subject: "s".into(),
            content: "c".into(),
            submitted_on: date(2026, 3, 6),
            answer: None,
            form_nonce: String::new(),
            client_tag: String::new(),
        };
        let open = sup_1_complaint_contribution(&complaint, weekdays);
        assert_eq!(
            (open[&(202603, String::new())].complaints, open[&(202603, String::new())].complaints_answered),
            (1, 0)
        );
        complaint.answer = Some(ComplaintAnswer { on: date(2026, 3, 10), text: "a".into(), by: "b".into() });
        let answered = sup_1_complaint_contribution(&complaint, weekdays);
        assert_eq!(answered[&(202603, String::new())].answer_days, 2);
    }

    #[test]
    fn sup_1_ranking_puts_cases_closed_on_time_first() {
        let good = Tally { closed: 10, published: 2, published_on_time: 1, ..Default::default() };
        let late = Tally { closed: 10, closed_late: 5, published: 2, published_on_time: 2, ..Default::default() };
        let idle = Tally::default();
        let mut all = [idle.clone(), late.clone(), good.clone()];
        all.sort_by(sup_1_ranking_order);
        assert_eq!(all, [good, late, idle]);
    }

    #[test]
    fn months_span_a_period() {
        assert_eq!(months(date(2025, 11, 30), date(2026, 2, 1)), vec![202511, 202512, 202601, 202602]);
        assert_eq!(month_span(202602), Some((date(2026, 2, 1), date(2026, 2, 28))));
    }

    proptest! {
        #[test]
        fn sup_1_p90_is_the_nearest_rank_of_the_sorted_days(days in proptest::collection::vec(0u32..120, 1..200)) {
            let mut t = Tally::default();
            for d in &days {
                t.add(&Tally { handling_days: i64::from(*d), handling: [(*d, 1)].into(), ..Default::default() }, 1);
            }
            let mut sorted = days.clone();
            sorted.sort_unstable();
            let rank = (sorted.len() * 9).div_ceil(10);
            prop_assert_eq!(t.sup_1_p90_handling_days(), Some(sorted[rank - 1]));
            let mean = f64::from(days.iter().sum::<u32>()) / days.len() as f64;
            prop_assert!((t.average_handling_days().unwrap_or(-1.0) - mean).abs() <= 0.050_001, "rounded to one decimal");
        }
    }
}
