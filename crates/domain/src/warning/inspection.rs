//! Online inspection (网上巡查, SUP-2): each quarter, a check of every
//! agency's publicity by the machine — its public lists present, its
//! officers' certificates valid, its decisions published on time and
//! withdrawn on time, nothing personal left in what it published, its
//! complaints answered — with a finding for each fault, each pointing to
//! what it is about, and a score. A supervisor adds findings by hand and
//! sends the report to the agency, which answers as it answers a warning
//! ([`super::handling`]).

use super::handling::Handled;
use super::{Subject, SubjectKind};
use crate::Invalid;
use crate::coded_enum;
use crate::complaint::ComplaintData;
use crate::publication::PublicationData;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use zhifa_calendar::{Calendar, Period};

/// A calendar quarter, written `2026Q3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    pub year: i16,
    /// 1 to 4.
    pub number: u8,
}

impl Quarter {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let bad = || Invalid::new("季度", format!("“{s}”应写作如 2026Q3 的形式"));
        let (year, number) = s.trim().split_once(['Q', 'q']).ok_or_else(bad)?;
        let year: i16 = year.parse().map_err(|_| bad())?;
        let number: u8 = number.parse().map_err(|_| bad())?;
        if !(1..=4).contains(&number) || !(2000..=2100).contains(&year) {
            return Err(bad());
        }
        Ok(Self { year, number })
    }

    /// The quarter `day` falls in.
    pub fn of(day: Date) -> Self {
        Self { year: day.year(), number: u8::try_from((day.month() - 1) / 3 + 1).unwrap_or(1) }
    }

    /// The quarter before this one.
    pub fn previous(self) -> Self {
        if self.number == 1 {
            Self { year: self.year - 1, number: 4 }
        } else {
            Self { number: self.number - 1, ..self }
        }
    }

    pub fn first_day(self) -> Date {
        jiff::civil::date(self.year, i8::try_from(self.number * 3 - 2).unwrap_or(1), 1)
    }

    pub fn last_day(self) -> Date {
        let next_month = i8::try_from(self.number * 3 + 1).unwrap_or(13);
        let first_after = if next_month > 12 {
            jiff::civil::date(self.year + 1, 1, 1)
        } else {
            jiff::civil::date(self.year, next_month, 1)
        };
        first_after.yesterday().unwrap_or(first_after)
    }

    /// `2026年第三季度`.
    pub fn label(self) -> String {
        format!("{}年第{}季度", self.year, ["一", "二", "三", "四"][usize::from(self.number - 1)])
    }
}

impl std::fmt::Display for Quarter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}Q{}", self.year, self.number)
    }
}

coded_enum!(
    /// What an online inspection looks at.
    Check, "巡查项目" {
        Lists = "lists", "事前公开清单";
        Certificates = "certificates", "执法人员持证";
        Publication = "publication", "决定按时公示";
        Withdrawal = "withdrawal", "按时撤下";
        Redaction = "redaction", "公示内容脱敏";
        Complaints = "complaints", "投诉举报答复";
        Manual = "manual", "人工补充";
    }
);

impl Check {
    /// Points one finding of this check takes off the score.
    pub fn deduction(self) -> u8 {
        match self {
            Check::Lists | Check::Publication | Check::Withdrawal | Check::Redaction => 10,
            Check::Certificates | Check::Complaints | Check::Manual => 5,
        }
    }
}

/// One fault found, and what it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectionFinding {
    pub check: Check,
    pub text: String,
    /// The case, publication, complaint … it points to, if one.
    pub subject: Option<Subject>,
    /// Who added it by hand (none: the machine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// What the machine reads of an agency for a quarter.
pub struct InspectionFacts<'a> {
    pub quarter: Quarter,
    pub calendar: &'a Calendar,
    /// Each public list (PUB-1): its title and how many entries it has.
    pub lists: &'a [(&'a str, usize)],
    /// Active people whose role needs a certificate and who held none valid
    /// on the quarter's last day: their names.
    pub uncertified: &'a [&'a str],
    /// Publications of the decisions made in the quarter: id and data.
    pub publications: &'a [(i64, &'a PublicationData)],
    /// Decisions of the quarter not published at all, with the day they
    /// were due by: case id, number, due day.
    pub unpublished: &'a [(i64, &'a str, Date)],
    /// Publications whose withdrawal fell due in the quarter: id and data.
    pub withdrawals: &'a [(i64, &'a PublicationData)],
    /// Complaints received in the quarter: id and data.
    pub complaints: &'a [(i64, &'a ComplaintData)],
    /// Working days an agency has to answer a complaint.
    pub complaint_days: u16,
    /// The day the inspection runs: what is due after it is not yet late.
    pub today: Date,
}

fn subject(kind: SubjectKind, id: i64, label: &str) -> Option<Subject> {
    Some(Subject { kind, id, label: label.to_owned() })
}

/// SUP-2: the findings of a quarter's online inspection of one agency.
pub fn sup_2_inspect(f: &InspectionFacts<'_>) -> Vec<InspectionFinding> {
    let mut out = Vec::new();
    let mut found = |check, text: String, subject| out.push(InspectionFinding { check, text, subject, by: None });
    for (title, n) in f.lists {
        if *n == 0 {
            found(Check::Lists, format!("未公开{title}"), None);
        }
    }
    for name in f.uncertified {
        let text = format!("执法人员{name}在 {} 没有有效的执法证件", f.quarter.last_day());
        found(Check::Certificates, text, None);
    }
    for (id, p) in f.publications {
        if !p.on_time() {
            let text = format!("{}应于 {} 前公示，{} 才公示", p.document_number, p.due_on, p.published_on);
            found(Check::Publication, text, subject(SubjectKind::Publication, *id, &p.document_number));
        }
        if let Some(decision) = &p.decision {
            let hits = [&decision.conclusion, &decision.title]
                .into_iter()
                .chain(decision.full_text.as_ref())
                .map(|t| crate::redaction::redact(t, &crate::redaction::Known::default()).hits.len())
                .sum::<usize>();
            if hits > 0 {
                let text = format!("{}的公示内容中有 {hits} 处疑似未脱敏的个人信息", p.document_number);
                found(Check::Redaction, text, subject(SubjectKind::Publication, *id, &p.document_number));
            }
        }
    }
    for (id, number, due) in f.unpublished {
        if f.today > *due {
            let text = format!("{number}的决定应于 {due} 前公示，至今未公示");
            found(Check::Publication, text, subject(SubjectKind::Case, *id, number));
        }
    }
    for (id, p) in f.withdrawals {
        let late = match (&p.withdrawal, p.withdrawal_due) {
            (Some(w), Some(due)) if w.on > due => {
                Some(format!("{}应于 {due} 前撤下，{} 才撤下", p.document_number, w.on))
            }
            (None, Some(due)) if f.today > due => Some(format!("{}应于 {due} 前撤下，至今仍在公示", p.document_number)),
            _ => None,
        };
        if let Some(text) = late {
            found(Check::Withdrawal, text, subject(SubjectKind::Publication, *id, &p.document_number));
        }
    }
    for (id, c) in f.complaints {
        let Ok(due) = Period::working_days(f.complaint_days).and_then(|p| f.calendar.due_date(c.submitted_on, p))
        else {
            continue;
        };
        let text = match &c.answer {
            Some(a) if a.on > due => format!("投诉举报 {} 应于 {due} 前答复，{} 才答复", c.tracking_number, a.on),
            None if f.today > due => format!("投诉举报 {} 应于 {due} 前答复，至今未答复", c.tracking_number),
            _ => continue,
        };
        found(Check::Complaints, text, subject(SubjectKind::Complaint, *id, &c.tracking_number));
    }
    out
}

/// SUP-2: 100 points less each finding's deduction, never below 0.
pub fn sup_2_score(findings: &[InspectionFinding]) -> u8 {
    let lost: u32 = findings.iter().map(|f| u32::from(f.check.deduction())).sum();
    u8::try_from(100u32.saturating_sub(lost)).unwrap_or(0)
}

/// An agency's report of a quarter, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectionData {
    pub quarter: String,
    pub agency: String,
    /// The day the machine's checks ran (again).
    pub run_on: Date,
    pub findings: Vec<InspectionFinding>,
    pub score: u8,
    /// Sending it to the agency, and its answer.
    #[serde(flatten)]
    pub handled: Handled,
}

impl InspectionData {
    /// The report of the machine's `findings`, keeping the findings added
    /// by hand and the handling of `before` (a report run again).
    pub fn of(
        quarter: Quarter,
        agency: &str,
        run_on: Date,
        machine: Vec<InspectionFinding>,
        before: Option<&Self>,
    ) -> Self {
        let mut findings = machine;
        if let Some(b) = before {
            findings.extend(b.findings.iter().filter(|f| f.by.is_some()).cloned());
        }
        let score = sup_2_score(&findings);
        Self {
            quarter: quarter.to_string(),
            agency: agency.to_owned(),
            run_on,
            findings,
            score,
            handled: before.map(|b| b.handled.clone()).unwrap_or_default(),
        }
    }

    /// SUP-2: a finding added by a supervisor (`by`), before the report is
    /// sent; the score follows.
    pub fn sup_2_add_finding(&self, text: &str, by: &str) -> Result<Self, Invalid> {
        let text = crate::error::required_text("巡查发现", text, 1000)?;
        if self.handled.status != super::WarningStatus::Open {
            return Err(Invalid::new("巡查发现", "巡查报告已发送，不能再补充"));
        }
        let mut next = self.clone();
        next.findings.push(InspectionFinding { check: Check::Manual, text, subject: None, by: Some(by.to_owned()) });
        next.score = sup_2_score(&next.findings);
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publication::Notice;
    use jiff::civil::date;

    fn publication(due: Date, published: Date) -> PublicationData {
        PublicationData {
            agency: "某局".into(),
            document_number: "杭西市监罚〔2026〕7号".into(),
            category: crate::people::Category::Penalty,
            decided_on: date(2026, 8, 3),
            due_on: due,
            due_trace: vec![],
            published_on: published,
            expires_on: date(2029, 8, 3),
            decision: None,
            corrections: vec![],
            withdrawal: None,
            withdrawal_due: None,
        }
    }

    #[test]
    fn sup_2_quarters_read_and_bound() {
        let q = Quarter::parse("2026Q3").unwrap();
        assert_eq!((q.first_day(), q.last_day()), (date(2026, 7, 1), date(2026, 9, 30)));
        assert_eq!(Quarter::parse("2026q4").unwrap().last_day(), date(2026, 12, 31));
        assert_eq!(Quarter::of(date(2026, 12, 6)).previous().to_string(), "2026Q3");
        assert_eq!(Quarter::of(date(2026, 2, 1)).previous().to_string(), "2025Q4");
        assert_eq!(q.label(), "2026年第三季度");
        assert!(Quarter::parse("2026Q5").is_err() && Quarter::parse("Q3").is_err());
    }

    #[test]
    fn sup_2_online_inspection_finds_each_fault_and_scores_it() {
        let calendar = Calendar::embedded().unwrap();
        let late = publication(date(2026, 8, 12), date(2026, 8, 20));
        let on_time = publication(date(2026, 8, 12), date(2026, 8, 12));
        let mut withdrawn_late = publication(date(2026, 8, 12), date(2026, 8, 12));
        withdrawn_late.withdrawal_due = Some(date(2026, 9, 3));
        withdrawn_late.withdrawal = Some(Notice { on: date(2026, 9, 8), reason: "判决撤销".into() });
        let complaint = |answered: Option<Date>| ComplaintData {
            tracking_number: "TS20260701-ABCDEFGHJK".into(),
            name: String::new(),
            contact: "13800000000".into(),
            subject: String::new(),
            content: "c".into(),
            // 15 working days from Wednesday 1 July 2026: 22 July.
            submitted_on: date(2026, 7, 1),
            answer: answered
                .map(|on| crate::complaint::ComplaintAnswer { on, text: "答复".into(), by: "某".into() }),
            form_nonce: String::new(),
            client_tag: String::new(),
        };
        let (answered_in_time, answered_late, never) =
            (complaint(Some(date(2026, 7, 22))), complaint(Some(date(2026, 7, 23))), complaint(None));
        let facts = InspectionFacts {
            quarter: Quarter::parse("2026Q3").unwrap(),
            calendar: &calendar,
            lists: &[("权责清单", 12), ("服务指南", 0)],
            uncertified: &["李四"],
            publications: &[(1, &late), (2, &on_time)],
            unpublished: &[
                (9, "杭西市监罚〔2026〕9号", date(2026, 9, 30)),
                (10, "杭西市监罚〔2026〕10号", date(2026, 12, 9)),
            ],
            withdrawals: &[(3, &withdrawn_late)],
            complaints: &[(1, &answered_in_time), (2, &answered_late), (3, &never)],
            complaint_days: 15,
            today: date(2026, 12, 6),
        };
        let found = sup_2_inspect(&facts);
        let checks: Vec<Check> = found.iter().map(|f| f.check).collect();
        assert_eq!(
            checks,
            [
                Check::Lists,
                Check::Certificates,
                Check::Publication,
                Check::Publication,
                Check::Withdrawal,
                Check::Complaints,
                Check::Complaints
            ],
            "{found:#?}"
        );
        assert_eq!(found[2].subject.as_ref().map(|s| (s.kind, s.id)), Some((SubjectKind::Publication, 1)));
        assert_eq!(
            found[3].subject.as_ref().map(|s| (s.kind, s.id)),
            Some((SubjectKind::Case, 9)),
            "not yet due: case 10"
        );
        assert_eq!(sup_2_score(&found), 100 - 10 - 5 - 10 - 10 - 10 - 5 - 5);
        let report = InspectionData::of(facts.quarter, "某局", facts.today, found, None);
        let more = report.sup_2_add_finding("执法人员公示信息未更新照片", "监督员").unwrap();
        assert_eq!((more.findings.len(), more.score), (8, report.score - 5));
        // Run again: the finding by hand stays.
        let again = InspectionData::of(facts.quarter, "某局", facts.today, vec![], Some(&more));
        assert_eq!((again.findings.len(), again.score), (1, 95));
        assert_eq!(sup_2_score(&vec![found_manual(); 30]), 0, "never below 0");
    }

    fn found_manual() -> InspectionFinding {
        InspectionFinding { check: Check::Manual, text: "x".into(), subject: None, by: Some("某".into()) }
    }
}
