//! Cases (案件): who, what, which procedure, and what has happened so far.
//! The procedures are data ([`procedure`]); the rules of the law are named
//! functions ([`rules`]); the [`engine`] decides each step with both.

pub mod engine;
pub mod facts;
pub mod procedure;
pub mod recheck;
pub mod reviewed;
pub mod rules;

use crate::Invalid;
use crate::error::{optional_text, required_text};
use crate::idcard::IdCardNumber;
use crate::ids::{ItemId, UserId};
use crate::money::Money;
use crate::people::Category;
use crate::review::{Deliberation, ReviewFile, ReviewFlags};
use crate::uscc::Uscc;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The documents (文书) a case may produce: `(code, name)`.
pub const DOCUMENTS: &[(&str, &str)] = &[
    ("filing_approval", "立案审批表"),
    ("inspection_record", "现场检查笔录"),
    ("inquiry_record", "询问笔录"),
    ("penalty_notice", "行政处罚事先告知书"),
    ("penalty_decision", "行政处罚决定书"),
    ("service_receipt", "送达回证"),
    ("closing_approval", "结案审批表"),
    ("seizure_decision", "查封扣押决定书"),
    ("permit_decision", "行政许可决定书"),
    ("review_opinion", "法制审核意见书"),
    ("deliberation_record", "集体讨论记录"),
];

pub fn document_name(code: &str) -> Option<&'static str> {
    DOCUMENTS.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// 当事人: a natural person (with an ID card number) or an organisation (with
/// its unified social credit code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Party {
    Person { name: String, id_card: IdCardNumber, address: String, phone: String },
    Organisation { name: String, uscc: Uscc, representative: String, address: String, phone: String },
}

impl Party {
    pub fn name(&self) -> &str {
        match self {
            Party::Person { name, .. } | Party::Organisation { name, .. } => name,
        }
    }

    /// The number everything about this party is found by (REC-7).
    pub fn key(&self) -> &str {
        match self {
            Party::Person { id_card, .. } => id_card.as_str(),
            Party::Organisation { uscc, .. } => uscc.as_str(),
        }
    }

    pub fn is_person(&self) -> bool {
        matches!(self, Party::Person { .. })
    }

    pub fn address(&self) -> &str {
        match self {
            Party::Person { address, .. } | Party::Organisation { address, .. } => address,
        }
    }
}

/// The party as typed: `kind` is `person` or `organisation`; `number` the ID
/// card number or the USCC.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct PartyForm {
    pub kind: String,
    pub name: String,
    pub number: String,
    pub representative: String,
    pub address: String,
    pub phone: String,
}

impl PartyForm {
    pub fn validate(&self) -> Result<Party, Invalid> {
        let name = required_text("当事人名称", &self.name, 100)?;
        let address = optional_text("地址", &self.address, 200)?;
        let phone = optional_text("联系电话", &self.phone, 40)?;
        match self.kind.trim() {
            "person" | "自然人" => {
                Ok(Party::Person { name, id_card: IdCardNumber::parse(&self.number)?, address, phone })
            }
            "organisation" | "法人或其他组织" | "单位" => Ok(Party::Organisation {
                name,
                uscc: Uscc::parse(&self.number)?,
                representative: optional_text("法定代表人", &self.representative, 50)?,
                address,
                phone,
            }),
            _ => Err(Invalid::new("当事人类型", "应为自然人（person）或单位（organisation）")),
        }
    }
}

pub use crate::penalty::{Handler, Penalty, PenaltyForm, PenaltyKind};

/// A time limit extended with approval (e.g. 行政处罚法 art. 60).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub limit: String,
    pub days: u16,
    pub approved_by: UserId,
    pub on: Date,
    pub reason: String,
}

/// One step taken: the action, from where to where, by whom, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub action: String,
    pub from: String,
    pub to: String,
    pub by: UserId,
    pub by_name: String,
    /// When it happened, as stated.
    pub on: Date,
    pub note: String,
    /// When it was recorded, by the server's clock (absent in steps recorded
    /// before 2026-12-05, which did not keep it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_on: Option<Date>,
    /// Why a step was recorded after the day it happened (补录原因).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_reason: Option<String>,
    /// Rules checked against an estimate, because a day they count lies in
    /// a year whose holidays were not published (REC-3): never a reason to
    /// refuse, rechecked when the year's file is added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub estimated: Vec<Estimated>,
    /// The same rules checked again once the year's holidays were loaded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rechecked: Vec<Rechecked>,
}

/// A rule of a step checked again against the published holidays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rechecked {
    pub rule: String,
    /// What the estimate had said (a late step), if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_late: Option<String>,
    /// The day it was checked again.
    pub on: Date,
    /// What the rule says now: `None`, it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
}

/// Something the handlers are told about their case without a step: a
/// date that moved when a year's holidays were loaded (REC-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseNotice {
    pub on: Date,
    pub text: String,
}

/// A rule a step was checked against by an estimated calendar (weekends
/// only): which, and what the estimate said if the step was late by it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Estimated {
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late: Option<String>,
}

impl Step {
    /// The day it was recorded, where that was after the day it happened.
    pub fn late(&self) -> Option<Date> {
        self.recorded_on.filter(|r| *r > self.on)
    }
}

/// What a case is about, against whom, and who handles it: given when it
/// is opened, changed only by the steps that change it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matter {
    pub item: Option<ItemId>,
    /// The matter, e.g. 销售过期食品.
    pub title: String,
    /// 违法依据 / 法律依据 of the matter, as written in the documents.
    pub legal_basis: String,
    pub party: Party,
    pub handlers: Vec<Handler>,
    pub facts: String,
    /// When the violation happened (or ended, if it went on), for art. 36.
    pub violation_on: Option<Date>,
    /// It touches citizens' life and health or financial safety (five years, art. 36).
    pub health_or_finance: bool,
    /// A serious or complex case: collective deliberation (art. 57).
    pub serious: bool,
}

/// Everything the engine knows about a case. Dates are the days things
/// happened (Asia/Shanghai), as the officer records them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseData {
    pub procedure: String,
    pub category: Category,
    /// What the case is about and who handles it (its fields stand in the record as the case's own).
    #[serde(flatten)]
    pub matter: Matter,
    pub opened_on: Date,
    /// The head's approval of filing (立案).
    pub filed_on: Option<Date>,
    /// The penalty proposed in the notice (告知) and when the notice was served.
    pub proposed: Option<Penalty>,
    pub notified_on: Option<Date>,
    /// The party stated its case or defended itself (陈述、申辩).
    pub defended: bool,
    pub hearing_requested_on: Option<Date>,
    pub hearing_waived: bool,
    pub hearing_held_on: Option<Date>,
    pub reviewed_on: Option<Date>,
    pub deliberated_on: Option<Date>,
    pub decision: Option<Penalty>,
    pub decided_on: Option<Date>,
    /// 不予处罚 and why.
    pub no_penalty_reason: Option<String>,
    /// … on which ground of the law (absent in decisions recorded before
    /// 2026-12-05, which did not name it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_penalty_ground: Option<crate::penalty::NoPenaltyGround>,
    pub served_on: Option<Date>,
    pub paid_on: Option<Date>,
    pub paid: Money,
    pub surcharge: Money,
    /// Execution asked of the court (申请人民法院强制执行).
    pub enforced_by_court: bool,
    /// Permits: accepted, granted or refused.
    pub accepted_on: Option<Date>,
    pub granted: Option<bool>,
    /// Coercive measures: seizure begun and its end (extended at most once).
    pub seized_on: Option<Date>,
    pub seizure_until: Option<Date>,
    /// `seizure_until` is an estimate (weekends only): it falls in a year whose
    /// holidays were not published when it was computed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub seizure_until_provisional: bool,
    pub released_on: Option<Date>,
    pub closed_on: Option<Date>,
    pub archived_on: Option<Date>,
    /// The hash of the archive package's manifest, and of its stored files.
    pub archive_manifest: Option<String>,
    pub archive_blob: Option<String>,
    pub extensions: Vec<Extension>,
    pub steps: Vec<Step>,
    /// The catalogue flags of art. 58 the handling unit set.
    #[serde(default, skip_serializing_if = "ReviewFlags::is_empty")]
    pub flags: ReviewFlags,
    /// Legal review (法制审核): rounds, reviewer, coordinations.
    #[serde(default, skip_serializing_if = "ReviewFile::is_empty")]
    pub review: ReviewFile,
    /// Collective deliberations (集体讨论).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deliberations: Vec<Deliberation>,
    /// The decision revoked, confirmed illegal or changed after it was made
    /// (its publication is then withdrawn, PUB-4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annulled: Option<Annulment>,
    /// Dates that moved, and steps found late, when holidays were loaded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<CaseNotice>,
}

crate::coded_enum!(
    /// Who set a decision aside (撤销、确认违法或者变更).
    AnnulledBy, "决定被撤销的途径" {
        Reconsideration = "reconsideration", "行政复议决定撤销、确认违法或者变更";
        Court = "court", "人民法院判决撤销或者确认违法";
        Agency = "agency", "本机关依法自行撤销或者变更";
    }
);

/// A decision set aside: when, by which way, and on what document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annulment {
    pub on: Date,
    pub by: AnnulledBy,
    /// The deciding document and what it decided.
    pub reason: String,
}

impl CaseData {
    /// Something in it was only estimated (a year without holiday data):
    /// a step checked against an estimate, or a seizure's end (REC-3).
    pub fn is_provisional(&self) -> bool {
        self.seizure_until_provisional || self.steps.iter().any(|s| !s.estimated.is_empty())
    }

    /// A new case at the start of `procedure`.
    pub fn new(procedure: &procedure::Procedure, opening: Opening) -> Self {
        Self {
            procedure: procedure.id.clone(),
            category: procedure.category,
            matter: opening.matter,
            opened_on: opening.on,
            filed_on: None,
            proposed: None,
            notified_on: None,
            defended: false,
            hearing_requested_on: None,
            hearing_waived: false,
            hearing_held_on: None,
            reviewed_on: None,
            deliberated_on: None,
            decision: None,
            decided_on: None,
            no_penalty_reason: None,
            no_penalty_ground: None,
            served_on: None,
            paid_on: None,
            paid: Money::ZERO,
            surcharge: Money::ZERO,
            enforced_by_court: false,
            accepted_on: None,
            granted: None,
            seized_on: None,
            seizure_until: None,
            seizure_until_provisional: false,
            released_on: None,
            closed_on: None,
            archived_on: None,
            archive_manifest: None,
            archive_blob: None,
            extensions: Vec::new(),
            steps: Vec::new(),
            flags: opening.flags,
            review: ReviewFile::default(),
            deliberations: Vec::new(),
            annulled: None,
            notices: Vec::new(),
        }
    }

    /// A decision to give no penalty, in words: its ground in law (where the
    /// decision named one) and its reason.
    pub fn no_penalty_text(&self) -> Option<String> {
        let reason = self.no_penalty_reason.as_ref()?;
        Some(match self.no_penalty_ground {
            Some(ground) => format!("不予行政处罚（{}）：{reason}", ground.label()),
            None => format!("不予行政处罚：{reason}"),
        })
    }

    /// Days added to `limit` by approved extensions.
    pub fn extended_days(&self, limit: &str) -> u16 {
        self.extensions.iter().filter(|e| e.limit == limit).map(|e| e.days).sum()
    }

    /// The day the case entered `stage` most recently.
    pub fn entered(&self, stage: &str) -> Option<Date> {
        self.steps.iter().rev().find(|s| s.to == stage).map(|s| s.on)
    }
}

impl procedure::Procedures {
    /// Load `files` (`(name, text)`) over the embedded definitions, checked
    /// against the engine's rules and effects, the documents and the
    /// calendar's legal periods.
    pub fn load(files: &[(String, String)]) -> Result<Self, procedure::DefinitionError> {
        let periods: Vec<String> = zhifa_calendar::legal_periods()
            .map_err(|e| procedure::DefinitionError { file: "periods.txt".into(), line: 0, message: e.to_string() })?
            .into_iter()
            .map(|p| p.id)
            .collect();
        let documents: Vec<&str> = DOCUMENTS.iter().map(|(code, _)| *code).collect();
        let rules = rules::names();
        let known =
            procedure::Vocabulary { rules: &rules, effects: engine::EFFECTS, documents: &documents, periods: &periods };
        Self::load_with(files, &known)
    }

    pub fn embedded() -> Result<Self, procedure::DefinitionError> {
        Self::load(&[])
    }
}

/// What opening a case takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    pub matter: Matter,
    pub flags: ReviewFlags,
    pub on: Date,
}

/// A case title and facts as typed.
pub fn case_text(title: &str, facts: &str, basis: &str) -> Result<(String, String, String), Invalid> {
    Ok((
        required_text("案由", title, 200)?,
        optional_text("案件事实", facts, 5000)?,
        optional_text("法律依据", basis, 1000)?,
    ))
}

/// A case of `procedure` opened on `on` against 张三, for the tests of the
/// engine and the rules.
#[cfg(test)]
pub(crate) fn test_case(procedure: &procedure::Procedure, on: Date) -> CaseData {
    let party = PartyForm {
        kind: "person".into(),
        name: "张三".into(),
        number: "11010519491231002X".into(),
        ..Default::default()
    };
    let matter = Matter {
        item: None,
        title: "t".into(),
        legal_basis: "b".into(),
        party: party.validate().unwrap_or_else(|e| panic!("{e:?}")),
        handlers: vec![],
        facts: "f".into(),
        violation_on: None,
        health_or_finance: false,
        serious: false,
    };
    CaseData::new(procedure, Opening { matter, flags: ReviewFlags::default(), on })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parties_are_validated() {
        let person = PartyForm {
            kind: "person".into(),
            name: "张三".into(),
            number: "11010519491231002X".into(),
            ..Default::default()
        };
        assert_eq!(person.validate().unwrap().key(), "11010519491231002X");
        let bad = PartyForm { number: "110105194912310021".into(), ..person };
        assert_eq!(bad.validate().unwrap_err().field, "身份证号码");
        let uscc = crate::uscc::with_check_character("91330106MA2H0K1X6").unwrap();
        let org = PartyForm {
            kind: "organisation".into(),
            name: "某某食品有限公司".into(),
            number: uscc.as_str().into(),
            ..Default::default()
        };
        assert_eq!(org.validate().unwrap().key(), uscc.as_str());
        let other_check = if uscc.as_str().ends_with('0') { "1" } else { "0" };
        let wrong = PartyForm { number: format!("{}{other_check}", &uscc.as_str()[..17]), ..org };
        assert_eq!(wrong.validate().unwrap_err().field, "统一社会信用代码");
    }

    #[test]
    fn art_9_penalties_are_validated() {
        let p = PenaltyForm { kinds: "罚款、警告".into(), fine: "500".into(), ..Default::default() };
        let p = p.validate().unwrap();
        assert_eq!(p.kinds, vec![PenaltyKind::Warning, PenaltyKind::Fine]);
        assert_eq!(p.fine, Money::yuan(500));
        let no_amount = PenaltyForm { kinds: "fine".into(), ..Default::default() };
        assert_eq!(no_amount.validate().unwrap_err().field, "罚款金额");
        assert_eq!(PenaltyForm::from(&p).fine, "500.00");
    }
}
