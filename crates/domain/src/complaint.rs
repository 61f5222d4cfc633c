//! Complaints and reports from the public (投诉举报, SPEC SUP-6): what a
//! complaint holds, its tracking number and its answer. Pure: the service
//! routes it to the agency and stores it.

use crate::Invalid;
use crate::error::{optional_text, required_text};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// A complaint as typed into the public form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ComplaintForm {
    /// May be left empty (an anonymous report).
    pub name: String,
    /// A telephone number or an e-mail address, for the answer; never published.
    pub contact: String,
    /// What it is about: a decision's number, an officer, a place.
    pub subject: String,
    pub content: String,
}

/// A complaint as stored (the record keeps it; the public never sees it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintData {
    pub tracking_number: String,
    pub name: String,
    pub contact: String,
    pub subject: String,
    pub content: String,
    pub submitted_on: Date,
    pub answer: Option<ComplaintAnswer>,
    /// The once-only nonce of the form it came on (empty before forms had one).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub form_nonce: String,
    /// Who sent it, as a keyed hash of their address (for the per-sender
    /// limits; empty before they were counted).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_tag: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintAnswer {
    pub on: Date,
    pub text: String,
    /// Who answered for the agency.
    pub by: String,
}

impl ComplaintForm {
    /// SUP-6: a complaint needs its content and a way to answer it.
    pub fn validate(&self, tracking_number: String, on: Date) -> Result<ComplaintData, Invalid> {
        let contact = required_text("联系方式", &self.contact, 100)?;
        if !contact.chars().any(|c| c.is_ascii_digit() || c == '@') {
            return Err(Invalid::new("联系方式", "请填写电话号码或电子邮箱"));
        }
        Ok(ComplaintData {
            tracking_number,
            name: optional_text("姓名", &self.name, 50)?,
            contact,
            subject: optional_text("投诉事项", &self.subject, 200)?,
            content: required_text("投诉内容", &self.content, 2000)?,
            submitted_on: on,
            answer: None,
            form_nonce: String::new(),
            client_tag: String::new(),
        })
    }
}

/// SUP-6: the tracking number of a complaint submitted on `on`: the date and
/// ten characters of Crockford base 32 from `random` (50 bits: not guessed).
pub fn sup_6_tracking_number(random: [u8; 8], on: Date) -> String {
    const DIGITS: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let n = u64::from_be_bytes(random);
    let code: String = (0..10).map(|i| char::from(DIGITS[((n >> (i * 5)) & 31) as usize])).collect();
    format!("TS{}-{code}", on.strftime("%Y%m%d"))
}

/// Whether `s` has the shape of a tracking number (before looking it up).
pub fn sup_6_is_tracking_number(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("TS") else { return false };
    let Some((date, code)) = rest.split_once('-') else { return false };
    date.len() == 8
        && date.bytes().all(|b| b.is_ascii_digit())
        && code.len() == 10
        && code.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

/// Complaints one sender (address) may send in ten minutes, and in a day.
pub const PER_SENDER_IN_TEN_MINUTES: i64 = 3;
pub const PER_SENDER_IN_A_DAY: i64 = 10;

/// SUP-6 and issue 23: a sender who sent `in_ten_minutes` and `in_a_day`
/// complaints already may send another — a person with a real grievance
/// sends a few, a script hundreds.
pub fn sup_6_sender_may_send(in_ten_minutes: i64, in_a_day: i64) -> Result<(), Invalid> {
    if in_ten_minutes >= PER_SENDER_IN_TEN_MINUTES {
        return Err(Invalid::new(
            "提交次数",
            format!("十分钟内最多提交 {PER_SENDER_IN_TEN_MINUTES} 件投诉举报，请稍后再试"),
        ));
    }
    if in_a_day >= PER_SENDER_IN_A_DAY {
        return Err(Invalid::new("提交次数", format!("每天最多提交 {PER_SENDER_IN_A_DAY} 件投诉举报，请明天再试")));
    }
    Ok(())
}

/// SUP-6: the agency's answer, once.
pub fn sup_6_answer(data: &ComplaintData, text: &str, by: &str, on: Date) -> Result<ComplaintData, Invalid> {
    let text = required_text("答复内容", text, 4000)?;
    if data.answer.is_some() {
        return Err(Invalid::new("答复", "该投诉已经答复"));
    }
    let mut next = data.clone();
    next.answer = Some(ComplaintAnswer { on, text, by: by.to_owned() });
    Ok(next)
}

#[cfg(test)]
mod tests {

    #[test]
    fn sup_6_a_sender_sends_a_few_complaints_not_hundreds() {
        assert!(sup_6_sender_may_send(0, 0).is_ok());
        assert!(sup_6_sender_may_send(2, 9).is_ok());
        assert!(sup_6_sender_may_send(3, 3).unwrap_err().to_string().contains("十分钟内最多提交 3 件"));
        assert!(sup_6_sender_may_send(0, 10).unwrap_err().to_string().contains("每天最多提交 10 件"));
    }

    use super::*;
    use jiff::civil::date;

    #[test]
    fn sup_6_a_complaint_needs_content_and_a_contact() {
        let form =
            ComplaintForm {
                contact: "13900001111".into(), content: "执法人员未出示证件".into(), ..Default::default()
            };
        let data = form.validate("TS20261202-0000000000".into(), date(2026, 12, 2)).unwrap();
        assert_eq!(data.name, "", "anonymous is allowed");
        assert!(
            ComplaintForm { content: String::new(), ..form.clone() }
                .validate(String::new(), date(2026, 12, 2))
                .is_err()
        );
        let no_contact = ComplaintForm { contact: "不告诉你".into(), ..form };
        assert_eq!(no_contact.validate(String::new(), date(2026, 12, 2)).unwrap_err().field, "联系方式");
    }

    #[test]
    fn sup_6_tracking_numbers_are_dated_and_random() {
        let on = date(2026, 12, 2);
        let a = sup_6_tracking_number([1, 2, 3, 4, 5, 6, 7, 8], on);
        let b = sup_6_tracking_number([8, 7, 6, 5, 4, 3, 2, 1], on);
        assert!(a.starts_with("TS20261202-") && a.len() == 21, "{a}");
        assert_ne!(a, b);
        assert!(sup_6_is_tracking_number(&a));
        assert!(!sup_6_is_tracking_number("TS2026-1"));
        assert!(!sup_6_is_tracking_number("' OR 1=1"));
    }

    #[test]
    fn sup_6_answered_once() {
        let form = ComplaintForm { contact: "a@b.cn".into(), content: "内容".into(), ..Default::default() };
        let data = form.validate("TS".into(), date(2026, 12, 2)).unwrap();
        let answered = sup_6_answer(&data, "经核查，已责令整改。", "张三", date(2026, 12, 3)).unwrap();
        assert_eq!(answered.answer.as_ref().unwrap().text, "经核查，已责令整改。");
        assert!(sup_6_answer(&answered, "再答", "张三", date(2026, 12, 4)).is_err());
        assert!(sup_6_answer(&data, " ", "张三", date(2026, 12, 4)).is_err());
    }
}
