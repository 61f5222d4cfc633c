//! What a decision imposes (行政处罚的种类, amounts in fen) and who handles a
//! case: the parts of a case that legal review looks at too.

use crate::error::optional_text;
use crate::ids::UserId;
use crate::money::Money;
use crate::{Invalid, coded_enum};
use serde::{Deserialize, Serialize};

coded_enum!(
    /// 行政处罚的种类 (行政处罚法 art. 9), from the lightest.
    PenaltyKind, "处罚种类" {
        Warning = "warning", "警告";
        Criticism = "criticism", "通报批评";
        Fine = "fine", "罚款";
        Confiscation = "confiscation", "没收违法所得、没收非法财物";
        LowerQualification = "lower_qualification", "降低资质等级";
        RevokePermit = "revoke_permit", "吊销许可证件";
        RestrictActivities = "restrict_activities", "限制开展生产经营活动";
        SuspendBusiness = "suspend_business", "责令停产停业";
        OrderClosure = "order_closure", "责令关闭";
        RestrictEmployment = "restrict_employment", "限制从业";
        Detention = "detention", "行政拘留";
    }
);

coded_enum!(
    /// The ground in law for giving no penalty (不予行政处罚的情形), chosen
    /// explicitly: a reason text alone decides nothing.
    NoPenaltyGround, "不予行政处罚的情形" {
        MinorCorrected = "minor_corrected", "违法行为轻微并及时改正，没有造成危害后果（第三十三条第一款）";
        FirstMinor = "first_minor", "初次违法且危害后果轻微并及时改正（第三十三条第一款，首违不罚）";
        NoFault = "no_fault", "有证据足以证明没有主观过错（第三十三条第二款）";
        UnderFourteen = "under_fourteen", "不满十四周岁的未成年人（第三十条）";
        MentalIllness = "mental_illness", "不能辨认或者不能控制自己行为的精神病人、智力残疾人（第三十一条）";
        TimeBarred = "time_barred", "违法行为在法定期限内未被发现（第三十六条）";
        NotEstablished = "not_established", "违法事实不能成立（第五十七条第一款第三项）";
    }
);

/// What is imposed (or proposed): the kinds, the fine and the value
/// confiscated (both in fen), in words for the documents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Penalty {
    pub kinds: Vec<PenaltyKind>,
    pub fine: Money,
    pub confiscation: Money,
    /// The decision in words, as it will appear in the document.
    pub text: String,
}

impl Penalty {
    pub fn kinds_label(&self) -> String {
        self.kinds.iter().map(|k| k.label()).collect::<Vec<_>>().join("、")
    }

    /// The penalty as a decision states it: 罚款人民币 3,000.00 元；警告（text）.
    pub fn in_words(&self) -> String {
        let parts: Vec<String> = self
            .kinds
            .iter()
            .map(|k| match k {
                PenaltyKind::Fine => format!("罚款人民币 {} 元", self.fine),
                PenaltyKind::Confiscation if self.confiscation > Money::ZERO => {
                    format!("没收违法所得、非法财物计人民币 {} 元", self.confiscation)
                }
                other => other.label().to_owned(),
            })
            .collect();
        let mut text = parts.join("；");
        if !self.text.is_empty() {
            text.push_str(&format!("（{}）", self.text));
        }
        text
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct PenaltyForm {
    /// Codes or labels, separated by commas or 、.
    pub kinds: String,
    /// Yuan, e.g. `200` or `1,234.50`.
    pub fine: String,
    pub confiscation: String,
    pub text: String,
}

impl PenaltyForm {
    pub fn validate(&self) -> Result<Penalty, Invalid> {
        let mut kinds = Vec::new();
        for part in self.kinds.split([',', '，', '、', ' ']).filter(|p| !p.trim().is_empty()) {
            let k = PenaltyKind::parse(part)?;
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
        kinds.sort();
        if kinds.is_empty() {
            return Err(Invalid::new("处罚种类", "至少选择一种"));
        }
        let amount = |field, s: &str| if s.trim().is_empty() { Ok(Money::ZERO) } else { Money::parse_yuan(field, s) };
        let fine = amount("罚款金额", &self.fine)?;
        let confiscation = amount("没收金额", &self.confiscation)?;
        if kinds.contains(&PenaltyKind::Fine) != (fine > Money::ZERO) {
            return Err(Invalid::new("罚款金额", "处罚种类含罚款时填写金额，否则不填"));
        }
        Ok(Penalty { kinds, fine, confiscation, text: optional_text("处罚内容", &self.text, 2000)? })
    }
}

impl From<&Penalty> for PenaltyForm {
    fn from(p: &Penalty) -> Self {
        let yuan = |m: Money| if m == Money::ZERO { String::new() } else { m.to_string().replace(',', "") };
        Self {
            kinds: p.kinds.iter().map(|k| k.code()).collect::<Vec<_>>().join(","),
            fine: yuan(p.fine),
            confiscation: yuan(p.confiscation),
            text: p.text.clone(),
        }
    }
}

/// An officer handling the case, and the certificate they showed (PUB-2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handler {
    pub user: UserId,
    pub name: String,
    pub certificate: String,
}
