//! The legal-review catalogue (重大执法决定法制审核目录清单): which
//! decisions need review (art. 58), its settings, and a case's review flags.

use super::*;
use crate::agency::Domain;
use crate::error::{optional_text, required_text};
use crate::money::Money;
use crate::penalty::{Penalty, PenaltyKind};
use crate::people::{Category, parse_flag};
use crate::registry::{FieldKind, Level};
use crate::{Invalid, coded_enum};
use serde::{Deserialize, Serialize};

coded_enum!(
    /// What makes a catalogue entry apply to a draft decision.
    Trigger, "触发条件" {
        FineAtLeast = "fine_at_least", "罚款数额达到（含本数）";
        ConfiscationAtLeast = "confiscation_at_least", "没收金额达到（含本数）";
        PenaltyKinds = "penalty_kinds", "处罚种类为";
        HearingHeld = "hearing_held", "经过听证程序";
        MajorPublicInterest = "major_public_interest", "涉及重大公共利益";
        SeveralLegalRelationships = "several_legal_relationships", "涉及多个法律关系";
        ComplexFacts = "complex_facts", "案件情况疑难复杂";
        RequiredByLaw = "required_by_law", "法律、法规规定应当进行法制审核";
        NoPenalty = "no_penalty", "决定不予行政处罚";
        Always = "always", "该类决定一律审核";
    }
);

/// One line of an agency's catalogue (重大执法决定法制审核目录清单).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueEntry {
    pub name: String,
    pub category: Category,
    /// Absent: any domain, any level.
    pub domain: Option<Domain>,
    pub level: Option<Level>,
    /// 事项编码 of one enforcement item; empty: any item.
    pub item_code: String,
    pub trigger: Trigger,
    /// The threshold of `FineAtLeast` and `ConfiscationAtLeast`.
    pub amount: Money,
    /// The kinds of `PenaltyKinds`.
    pub kinds: Vec<PenaltyKind>,
    pub basis: String,
}

/// A catalogue line as typed or imported from Excel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct CatalogueEntryForm {
    pub name: String,
    pub category: String,
    pub domain: String,
    pub level: String,
    pub item_code: String,
    pub trigger: String,
    /// Yuan.
    pub amount: String,
    /// Kinds of penalty, separated by commas or 、.
    pub kinds: String,
    pub basis: String,
}

crate::registry::form_fields!(CatalogueEntryForm {
    name: "审核事项", FieldKind::Text, true;
    category: "执法类别", FieldKind::Choice(Category::CHOICES), true;
    domain: "执法领域", FieldKind::Choice(Domain::CHOICES), false;
    level: "执法层级", FieldKind::Choice(Level::CHOICES), false;
    item_code: "事项编码", FieldKind::Text, false;
    trigger: "触发条件", FieldKind::Choice(Trigger::CHOICES), true;
    amount: "金额标准（元）", FieldKind::Text, false;
    kinds: "处罚种类", FieldKind::Text, false;
    basis: "依据", FieldKind::Long, false;
});

fn optional<T>(s: &str, parse: impl Fn(&str) -> Result<T, Invalid>) -> Result<Option<T>, Invalid> {
    if s.trim().is_empty() { Ok(None) } else { parse(s).map(Some) }
}

/// Kinds of penalty separated by commas, 、 or spaces (codes or labels).
pub fn parse_kinds(s: &str) -> Result<Vec<PenaltyKind>, Invalid> {
    let mut kinds = Vec::new();
    for part in s.split([',', '，', '、', ' ', ';', '；']).filter(|p| !p.trim().is_empty()) {
        let k = PenaltyKind::parse(part)?;
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    kinds.sort();
    Ok(kinds)
}

impl CatalogueEntryForm {
    pub fn validate(&self) -> Result<CatalogueEntry, Invalid> {
        let trigger = Trigger::parse(&self.trigger)?;
        let amount = match trigger {
            Trigger::FineAtLeast | Trigger::ConfiscationAtLeast => {
                let a = Money::parse_yuan("金额标准（元）", &self.amount)?;
                if a == Money::ZERO {
                    return Err(Invalid::new("金额标准（元）", "应大于零"));
                }
                a
            }
            _ => Money::ZERO,
        };
        let kinds = if trigger == Trigger::PenaltyKinds {
            let k = parse_kinds(&self.kinds)?;
            if k.is_empty() {
                return Err(Invalid::new("处罚种类", "触发条件为处罚种类时至少填写一种"));
            }
            k
        } else {
            Vec::new()
        };
        Ok(CatalogueEntry {
            name: required_text("审核事项", &self.name, 200)?,
            category: Category::parse(&self.category)?,
            domain: optional(&self.domain, Domain::parse)?,
            level: optional(&self.level, Level::parse)?,
            item_code: optional_text("事项编码", &self.item_code, 50)?,
            trigger,
            amount,
            kinds,
            basis: optional_text("依据", &self.basis, 1000)?,
        })
    }
}

impl From<&CatalogueEntry> for CatalogueEntryForm {
    fn from(e: &CatalogueEntry) -> Self {
        Self {
            name: e.name.clone(),
            category: e.category.code().to_owned(),
            domain: e.domain.map(|d| d.code().to_owned()).unwrap_or_default(),
            level: e.level.map(|l| l.code().to_owned()).unwrap_or_default(),
            item_code: e.item_code.clone(),
            trigger: e.trigger.code().to_owned(),
            amount: if e.amount == Money::ZERO { String::new() } else { e.amount.to_string().replace(',', "") },
            kinds: e.kinds.iter().map(|k| k.code()).collect::<Vec<_>>().join(","),
            basis: e.basis.clone(),
        }
    }
}

impl CatalogueEntry {
    /// The condition in words, for lists and triggers.
    pub fn condition(&self) -> String {
        match self.trigger {
            Trigger::FineAtLeast | Trigger::ConfiscationAtLeast => {
                format!("{} {} 元", self.trigger.label(), self.amount)
            }
            Trigger::PenaltyKinds => {
                format!(
                    "{}{}",
                    self.trigger.label(),
                    self.kinds.iter().map(|k| k.label()).collect::<Vec<_>>().join("、")
                )
            }
            t => t.label().to_owned(),
        }
    }
}

/// The default time a review may take, in working days.
pub const DEFAULT_TIME_LIMIT: u16 = 7;
/// Working days a head may add to a review, once.
pub const MAX_EXTENSION: u16 = 3;

/// An agency's catalogue and its review settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewCatalogue {
    pub entries: Vec<CatalogueEntry>,
    /// Every general-procedure penalty decision is reviewed.
    pub review_all_general: bool,
    /// Working days a review may take.
    pub time_limit_days: u16,
}

impl Default for ReviewCatalogue {
    fn default() -> Self {
        Self { entries: Vec::new(), review_all_general: false, time_limit_days: DEFAULT_TIME_LIMIT }
    }
}

/// The settings of a catalogue as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct CatalogueSettingsForm {
    /// "true"/"是"/"on" for yes.
    pub review_all_general: String,
    /// Working days; 7 if empty.
    pub time_limit_days: String,
}

impl CatalogueSettingsForm {
    /// The catalogue with these settings and `entries`.
    pub fn validate(&self, entries: Vec<CatalogueEntry>) -> Result<ReviewCatalogue, Invalid> {
        let days = if self.time_limit_days.trim().is_empty() {
            DEFAULT_TIME_LIMIT
        } else {
            self.time_limit_days
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|d| (1..=30).contains(d))
                .ok_or_else(|| Invalid::new("审核时限（工作日）", "应为 1 至 30 之间的整数"))?
        };
        Ok(ReviewCatalogue { entries, review_all_general: parse_flag(&self.review_all_general), time_limit_days: days })
    }
}

/// The catalogue flags of art. 58 that the handling unit sets on a case.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ReviewFlags {
    /// 涉及重大公共利益.
    pub major_public_interest: bool,
    /// 涉及多个法律关系.
    pub several_legal_relationships: bool,
    /// 案件情况疑难复杂.
    pub complex_facts: bool,
    /// 法律、法规规定应当进行法制审核.
    pub required_by_law: bool,
}

impl ReviewFlags {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    fn has(&self, t: Trigger) -> bool {
        match t {
            Trigger::MajorPublicInterest => self.major_public_interest,
            Trigger::SeveralLegalRelationships => self.several_legal_relationships,
            Trigger::ComplexFacts => self.complex_facts,
            Trigger::RequiredByLaw => self.required_by_law,
            _ => false,
        }
    }
}

/// What the catalogue is evaluated against: a draft decision and its case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewSubject<'a> {
    pub category: Category,
    pub domain: Option<Domain>,
    pub level: Option<Level>,
    pub item_code: Option<&'a str>,
    pub penalty: Option<&'a Penalty>,
    pub hearing_held: bool,
    pub flags: ReviewFlags,
}

/// Why a draft needs review: where it comes from and the condition met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewTrigger {
    /// 《行政处罚法》第五十八条… or 目录清单：<entry>.
    pub source: String,
    pub reason: String,
}

impl std::fmt::Display for ReviewTrigger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}（{}）", self.reason, self.source)
    }
}

/// Art. 58 ¶1 and the agency's catalogue: every reason `s` needs legal
/// review before the decision (none: it does not).
pub fn art_58_review_required(catalogue: &ReviewCatalogue, s: &ReviewSubject<'_>) -> Vec<ReviewTrigger> {
    let mut out = Vec::new();
    let law = |item: &str, reason: &str| ReviewTrigger { source: format!("{ART_58_1}{item}"), reason: reason.into() };
    // Art. 58 is of decisions that impose a penalty; other decisions are
    // reviewed as the catalogue says (国办发〔2018〕118号 item 14).
    if s.category == Category::Penalty && s.penalty.is_some() {
        if s.flags.major_public_interest {
            out.push(law("第（一）项", "涉及重大公共利益"));
        }
        if s.hearing_held {
            out.push(law("第（二）项", "直接关系当事人或者第三人重大权益，经过听证程序"));
        }
        if s.flags.complex_facts || s.flags.several_legal_relationships {
            out.push(law("第（三）项", "案件情况疑难复杂、涉及多个法律关系"));
        }
        if s.flags.required_by_law {
            out.push(law("第（四）项", "法律、法规规定应当进行法制审核"));
        }
        if catalogue.review_all_general {
            out.push(ReviewTrigger {
                source: "本机关目录清单".into(),
                reason: "适用一般程序的行政处罚决定均须法制审核".into(),
            });
        }
    }
    for e in &catalogue.entries {
        let scope = e.category == s.category
            && e.domain.is_none_or(|d| Some(d) == s.domain)
            && e.level.is_none_or(|l| Some(l) == s.level)
            && (e.item_code.is_empty() || Some(e.item_code.as_str()) == s.item_code);
        let fine = s.penalty.map_or(Money::ZERO, |p| p.fine);
        let confiscation = s.penalty.map_or(Money::ZERO, |p| p.confiscation);
        let met = match e.trigger {
            Trigger::FineAtLeast => fine >= e.amount,
            Trigger::ConfiscationAtLeast => confiscation >= e.amount,
            Trigger::PenaltyKinds => s.penalty.is_some_and(|p| p.kinds.iter().any(|k| e.kinds.contains(k))),
            Trigger::HearingHeld => s.hearing_held,
            Trigger::NoPenalty => s.category == Category::Penalty && s.penalty.is_none(),
            Trigger::Always => true,
            t => s.flags.has(t),
        };
        if scope && met {
            out.push(ReviewTrigger { source: format!("本机关目录清单：{}", e.name), reason: e.condition() });
        }
    }
    out
}
