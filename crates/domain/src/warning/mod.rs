//! Early warnings (预警, SPEC SUP-1) and their handling (处置).
//!
//! A rule is one pure function in [`rules`] named after its id, listed in
//! [`rules::RULES`], with a line of data in `warnings.toml` (severity,
//! family, source, days, text). The service gathers the [`Facts`] of a
//! subject (a case, a publication, a complaint, a certificate, an agency),
//! runs every rule over them and [`reconcile`]s what they found with the
//! warnings open on that subject: a warning opens, escalates from yellow
//! to red, and closes by itself when its cause is gone. A supervisor then
//! handles it with the agency ([`handling`]): the rectification ledger
//! (整改台账) that online inspection and case-file evaluation reuse.

pub mod handling;
pub mod inspection;
pub mod rules;

pub use rules::Facts;

use crate::Invalid;
use crate::coded_enum;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

coded_enum!(
    /// How serious: near a limit, or past it (or unlawful).
    Severity, "预警等级" {
        Yellow = "yellow", "黄色";
        Red = "red", "红色";
    }
);

coded_enum!(
    /// What a warning is about.
    SubjectKind, "预警对象" {
        Case = "case", "案件";
        Publication = "publication", "公示";
        Complaint = "complaint", "投诉举报";
        Certificate = "certificate", "执法证件";
        Agency = "agency", "执法主体";
    }
);

coded_enum!(
    /// Where a warning stands.
    WarningStatus, "预警状态" {
        Open = "open", "待督办";
        Sent = "sent", "已督办";
        Answered = "answered", "已反馈";
        Returned = "returned", "已退回";
        Accepted = "accepted", "已办结";
        Resolved = "resolved", "已自行消除";
    }
);

impl WarningStatus {
    /// Handled to the end, or gone by itself: nothing more happens to it.
    pub fn is_closed(self) -> bool {
        matches!(self, WarningStatus::Accepted | WarningStatus::Resolved)
    }
}

/// A rule's data (a `[[rule]]` of `warnings.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleInfo {
    pub id: String,
    /// Rules of one family are one warning: a yellow one escalates to red
    /// when the family's red rule holds. By default, the rule alone.
    #[serde(default)]
    pub family: String,
    pub severity: Severity,
    pub source: String,
    /// The rule's days (before a limit, before expiry, to answer), if it has any.
    #[serde(default)]
    pub days: Option<u16>,
    /// A count the rule allows (inspections a year).
    #[serde(default)]
    pub limit: Option<u16>,
    pub text: String,
}

/// Every rule's data, checked against [`rules::RULES`] when loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleBook {
    rules: Vec<RuleInfo>,
}

const EMBEDDED: &str = include_str!("../../warnings.toml");

impl RuleBook {
    /// The rules shipped in the binary.
    pub fn embedded() -> Result<Self, Invalid> {
        Self::parse(EMBEDDED)
    }

    /// Rules from the text of a `warnings.toml`: every rule of [`rules::RULES`]
    /// once, and nothing else.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            rule: Vec<RuleInfo>,
        }
        let file: File = toml::from_str(text).map_err(|e| Invalid::new("预警规则", e.to_string()))?;
        let mut rules = file.rule;
        for r in &mut rules {
            if r.family.is_empty() {
                r.family.clone_from(&r.id);
            }
            if !rules::RULES.iter().any(|(id, ..)| *id == r.id) {
                return Err(Invalid::new("预警规则", format!("没有名为 {} 的预警规则函数", r.id)));
            }
        }
        for (id, ..) in rules::RULES {
            let n = rules.iter().filter(|r| r.id == *id).count();
            if n != 1 {
                return Err(Invalid::new("预警规则", format!("规则 {id} 应有一段数据，现有 {n} 段")));
            }
        }
        Ok(Self { rules })
    }

    pub fn get(&self, id: &str) -> Option<&RuleInfo> {
        self.rules.iter().find(|r| r.id == id)
    }

    pub fn all(&self) -> &[RuleInfo] {
        &self.rules
    }

    /// Run every rule over `facts`.
    pub fn evaluate(&self, facts: &Facts<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        for (id, check, _) in rules::RULES {
            if let Some(rule) = self.get(id) {
                out.extend(check(rule, facts));
            }
        }
        out
    }

    /// The first day after `facts.today` on which any rule may find
    /// otherwise than today, the facts staying as they are (`None`: never):
    /// the day the day's pass must look at the subject again.
    pub fn next_change(&self, facts: &Facts<'_>) -> Option<Date> {
        rules::RULES.iter().filter_map(|(id, _, next)| self.get(id).and_then(|rule| next(rule, facts))).min()
    }
}

/// What a warning is about: its kind, its id, and how people call it (a
/// case's number, a certificate's number, an agency's name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub kind: SubjectKind,
    pub id: i64,
    pub label: String,
}

/// What a rule found: a warning that should be open now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: String,
    pub family: String,
    pub severity: Severity,
    /// The cause within the subject (a time limit's id, a step's number),
    /// so that one subject may have several warnings of a rule.
    pub key: String,
    /// What was found, in Chinese.
    pub text: String,
    /// The day the limit falls or fell, if it is about one.
    pub limit_on: Option<Date>,
}

impl Finding {
    pub fn new(rule: &RuleInfo, key: impl Into<String>, text: impl Into<String>, limit_on: Option<Date>) -> Self {
        Self {
            rule: rule.id.clone(),
            family: rule.family.clone(),
            severity: rule.severity,
            key: key.into(),
            text: text.into(),
            limit_on,
        }
    }
}

/// A warning as stored: what it is about, what was found, and its handling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningData {
    pub rule: String,
    pub family: String,
    pub severity: Severity,
    pub subject: Subject,
    pub key: String,
    pub text: String,
    pub limit_on: Option<Date>,
    pub opened_on: Date,
    /// When it turned red.
    pub escalated_on: Option<Date>,
    /// When its cause was gone (a warning already sent to the agency stays
    /// open until its handling ends).
    pub cause_gone_on: Option<Date>,
    /// Its status, the agency's due day and the steps of its handling.
    #[serde(flatten)]
    pub handled: handling::Handled,
}

impl WarningData {
    /// A new warning of `finding` on `subject`, opened `today`.
    pub fn open(finding: &Finding, subject: Subject, today: Date) -> Self {
        Self {
            rule: finding.rule.clone(),
            family: finding.family.clone(),
            severity: finding.severity,
            subject,
            key: finding.key.clone(),
            text: finding.text.clone(),
            limit_on: finding.limit_on,
            opened_on: today,
            escalated_on: (finding.severity == Severity::Red).then_some(today),
            cause_gone_on: None,
            handled: handling::Handled::default(),
        }
    }
}

/// What [`reconcile`] decided for one warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reconciled {
    /// A new warning.
    Open(WarningData),
    /// An open warning changed: `action` is `escalate` (yellow to red),
    /// `update` (what was found changed), `resolve` (its cause is gone and
    /// nobody handles it: closed) or `cause_gone` (its cause is gone while
    /// the agency handles it).
    Change { id: i64, action: &'static str, data: WarningData },
}

/// SUP-1: the warnings `findings` call for on `subject`, against the
/// warnings still open on it (`open`, with their ids): open what is new,
/// escalate or update what changed, close what nobody needs any longer.
pub fn reconcile(open: &[(i64, WarningData)], findings: &[Finding], subject: &Subject, today: Date) -> Vec<Reconciled> {
    let mut out = Vec::new();
    let same = |w: &WarningData, f: &Finding| w.family == f.family && w.key == f.key;
    for f in findings {
        match open.iter().find(|(_, w)| same(w, f)) {
            None => out.push(Reconciled::Open(WarningData::open(f, subject.clone(), today))),
            Some((id, w)) => {
                let changed = w.rule != f.rule || w.text != f.text || w.limit_on != f.limit_on;
                if !changed && w.cause_gone_on.is_none() {
                    continue;
                }
                let mut data = w.clone();
                let escalates = f.severity == Severity::Red && w.severity == Severity::Yellow;
                data.rule.clone_from(&f.rule);
                data.severity = data.severity.max(f.severity);
                data.text.clone_from(&f.text);
                data.limit_on = f.limit_on;
                data.cause_gone_on = None;
                if escalates {
                    data.escalated_on = Some(today);
                }
                out.push(Reconciled::Change { id: *id, action: if escalates { "escalate" } else { "update" }, data });
            }
        }
    }
    for (id, w) in open {
        if w.handled.status.is_closed() || w.cause_gone_on.is_some() || findings.iter().any(|f| same(w, f)) {
            continue;
        }
        let mut data = w.clone();
        data.cause_gone_on = Some(today);
        if w.handled.status == WarningStatus::Open {
            data.handled.status = WarningStatus::Resolved;
            out.push(Reconciled::Change { id: *id, action: "resolve", data });
        } else {
            out.push(Reconciled::Change { id: *id, action: "cause_gone", data });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn subject() -> Subject {
        Subject { kind: SubjectKind::Case, id: 7, label: "杭西市监罚〔2026〕7号".into() }
    }

    fn finding(book: &RuleBook, rule: &str, key: &str) -> Finding {
        Finding::new(book.get(rule).unwrap(), key, format!("{rule} {key}"), Some(date(2026, 12, 1)))
    }

    #[test]
    fn sup_1_every_rule_has_its_data_and_the_data_loads() {
        let book = RuleBook::embedded().unwrap();
        assert_eq!(book.all().len(), rules::RULES.len());
        assert_eq!(book.get("case_past_time_limit").unwrap().family, "case_time_limit");
        assert_eq!(book.get("publication_overdue").unwrap().family, "publication_overdue");
        let extra =
            format!("{EMBEDDED}\n[[rule]]\nid = \"no_such_rule\"\nseverity = \"red\"\nsource = \"\"\ntext = \"\"\n");
        assert!(RuleBook::parse(&extra).unwrap_err().to_string().contains("no_such_rule"));
        let twice = format!(
            "{EMBEDDED}\n[[rule]]\nid = \"withdrawal_overdue\"\nseverity = \"red\"\nsource = \"\"\ntext = \"\"\n"
        );
        assert!(RuleBook::parse(&twice).is_err());
    }

    #[test]
    fn sup_1_a_warning_opens_escalates_and_closes_by_itself() {
        let book = RuleBook::embedded().unwrap();
        let today = date(2026, 12, 2);
        let near = finding(&book, "case_near_time_limit", "decision");
        let opened = reconcile(&[], std::slice::from_ref(&near), &subject(), today);
        let [Reconciled::Open(w)] = opened.as_slice() else { panic!("{opened:?}") };
        assert_eq!((w.severity, w.handled.status, w.escalated_on), (Severity::Yellow, WarningStatus::Open, None));
        // Nothing changed: nothing to do.
        assert!(reconcile(&[(1, w.clone())], &[near], &subject(), today).is_empty());
        // Past the limit: the same warning turns red.
        let past = finding(&book, "case_past_time_limit", "decision");
        let later = date(2026, 12, 3);
        let escalated = reconcile(&[(1, w.clone())], &[past], &subject(), later);
        let [Reconciled::Change { id: 1, action: "escalate", data }] = escalated.as_slice() else {
            panic!("{escalated:?}")
        };
        assert_eq!(
            (data.severity, data.escalated_on, data.rule.as_str()),
            (Severity::Red, Some(later), "case_past_time_limit")
        );
        // Its cause gone: closed by itself while nobody handles it …
        let gone = reconcile(&[(1, data.clone())], &[], &subject(), later);
        let [Reconciled::Change { action: "resolve", data: resolved, .. }] = gone.as_slice() else {
            panic!("{gone:?}")
        };
        assert_eq!((resolved.handled.status, resolved.cause_gone_on), (WarningStatus::Resolved, Some(later)));
        // … and kept open, marked, while the agency handles it.
        let mut sent = data.clone();
        sent.handled.status = WarningStatus::Sent;
        let gone = reconcile(&[(1, sent)], &[], &subject(), later);
        let [Reconciled::Change { action: "cause_gone", data: marked, .. }] = gone.as_slice() else {
            panic!("{gone:?}")
        };
        assert_eq!((marked.handled.status, marked.cause_gone_on), (WarningStatus::Sent, Some(later)));
        // Another cause of the same subject is another warning.
        let other = finding(&book, "case_near_time_limit", "service");
        assert!(matches!(
            reconcile(
                &[(1, data.clone())],
                &[finding(&book, "case_past_time_limit", "decision"), other],
                &subject(),
                later
            )
            .as_slice(),
            [Reconciled::Open(_)]
        ));
    }
}
