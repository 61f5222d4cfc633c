//! People: users and their roles, officers' enforcement certificates.

use crate::Invalid;
use crate::coded_enum;
use crate::error::{optional_text, required_text};
use crate::region::RegionCode;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

coded_enum!(
    /// What a user does for their agency.
    Role, "角色" {
        Officer = "officer", "执法人员";
        Head = "head", "负责人";
        Reviewer = "reviewer", "法制审核人员";
        PublicityOfficer = "publicity_officer", "公示管理员";
        Supervisor = "supervisor", "监督人员";
        Administrator = "administrator", "系统管理员";
    }
);

coded_enum!(
    /// 执法类别.
    Category, "执法类别" {
        Permit = "permit", "行政许可";
        Penalty = "penalty", "行政处罚";
        Coercion = "coercion", "行政强制";
        Inspection = "inspection", "行政检查";
        Levy = "levy", "行政征收征用";
        Confirmation = "confirmation", "行政确认";
        Benefit = "benefit", "行政给付";
        Adjudication = "adjudication", "行政裁决";
        Other = "other", "其他";
    }
);

/// Parse a list of categories separated by commas, 、 or spaces; at least one.
pub fn parse_categories(s: &str) -> Result<Vec<Category>, Invalid> {
    let mut out = Vec::new();
    for part in s.split([',', '，', '、', ' ', ';', '；']).filter(|p| !p.trim().is_empty()) {
        let c = Category::parse(part)?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    if out.is_empty() {
        return Err(Invalid::new("执法类别", "至少选择一个"));
    }
    out.sort();
    Ok(out)
}

pub fn categories_label(categories: &[Category]) -> String {
    categories.iter().map(|c| c.label()).collect::<Vec<_>>().join("、")
}

/// A sign-in name: 3 to 40 lower-case ASCII letters, digits, `.`, `_` or `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        let ok = (3..=40).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if !ok {
            return Err(Invalid::new("用户名", "应为 3 至 40 位小写字母、数字或 . _ -"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Username {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}

impl From<Username> for String {
    fn from(u: Username) -> String {
        u.0
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The least a password must be; longer is better.
pub fn check_password_strength(password: &str) -> Result<(), Invalid> {
    if password.chars().count() < 10 {
        return Err(Invalid::new("密码", "至少 10 个字符"));
    }
    if password.chars().count() > 200 {
        return Err(Invalid::new("密码", "不能超过 200 个字符"));
    }
    Ok(())
}

/// A person of an agency: on its personnel list, and able to sign in once a
/// password is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserData {
    pub username: Username,
    pub name: String,
    pub role: Role,
    /// 职务.
    pub post: String,
    /// 法律职业资格 (matters for reviewers).
    pub legal_qualification: bool,
    pub active: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct UserForm {
    pub username: String,
    pub name: String,
    pub role: String,
    pub post: String,
    /// "true"/"1"/"是"/"on" for yes; anything else for no.
    pub legal_qualification: String,
    /// As above; an empty value means active.
    pub active: String,
}

pub fn parse_flag(s: &str) -> bool {
    matches!(s.trim(), "true" | "1" | "是" | "on" | "yes" | "有")
}

impl UserForm {
    pub fn validate(&self) -> Result<UserData, Invalid> {
        Ok(UserData {
            username: Username::parse(&self.username)?,
            name: required_text("姓名", &self.name, 50)?,
            role: Role::parse(&self.role)?,
            post: optional_text("职务", &self.post, 50)?,
            legal_qualification: parse_flag(&self.legal_qualification),
            active: self.active.trim().is_empty() || parse_flag(&self.active),
        })
    }
}

impl From<&UserData> for UserForm {
    fn from(d: &UserData) -> Self {
        Self {
            username: d.username.to_string(),
            name: d.name.clone(),
            role: d.role.code().to_owned(),
            post: d.post.clone(),
            legal_qualification: d.legal_qualification.to_string(),
            active: d.active.to_string(),
        }
    }
}

/// 执法证: the certificate an officer shows, valid for some categories, in a
/// region, for a period (both ends included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateData {
    pub number: String,
    pub categories: Vec<Category>,
    pub region: RegionCode,
    pub valid_from: Date,
    pub valid_to: Date,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct CertificateForm {
    pub number: String,
    pub categories: String,
    pub region: String,
    pub valid_from: String,
    pub valid_to: String,
}

pub fn parse_date(field: &'static str, s: &str) -> Result<Date, Invalid> {
    s.trim().parse::<Date>().map_err(|_| Invalid::new(field, "应为 YYYY-MM-DD 格式的日期"))
}

impl CertificateForm {
    pub fn validate(&self) -> Result<CertificateData, Invalid> {
        let number = required_text("执法证号", &self.number, 40)?;
        if !number.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(Invalid::new("执法证号", "只能包含字母、数字和连字符"));
        }
        let valid_from = parse_date("有效期起", &self.valid_from)?;
        let valid_to = parse_date("有效期止", &self.valid_to)?;
        if valid_to < valid_from {
            return Err(Invalid::new("有效期止", "不能早于有效期起"));
        }
        Ok(CertificateData {
            number,
            categories: parse_categories(&self.categories)?,
            region: RegionCode::parse(&self.region)?,
            valid_from,
            valid_to,
        })
    }
}

impl From<&CertificateData> for CertificateForm {
    fn from(d: &CertificateData) -> Self {
        Self {
            number: d.number.clone(),
            categories: {
                let mut c = d.categories.clone();
                c.sort();
                c.iter().map(|c| c.code()).collect::<Vec<_>>().join(",")
            },
            region: d.region.to_string(),
            valid_from: d.valid_from.to_string(),
            valid_to: d.valid_to.to_string(),
        }
    }
}

impl CertificateData {
    /// PUB-2: a certificate lets its holder act for a category on a day only if
    /// it covers the category and the day lies within its validity.
    pub fn valid_for(&self, category: Category, on: Date) -> bool {
        self.categories.contains(&category) && self.valid_from <= on && on <= self.valid_to
    }

    pub fn expired_on(&self, on: Date) -> bool {
        on > self.valid_to
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn cert() -> CertificateData {
        CertificateForm {
            number: "33010020230001".into(),
            categories: "行政处罚、行政检查".into(),
            region: "330100".into(),
            valid_from: "2023-01-01".into(),
            valid_to: "2025-12-31".into(),
        }
        .validate()
        .unwrap()
    }

    #[test]
    fn pub_2_certificate_valid_for_category_and_day() {
        let c = cert();
        assert!(c.valid_for(Category::Penalty, date(2024, 6, 1)));
        assert!(c.valid_for(Category::Inspection, date(2025, 12, 31)));
        assert!(!c.valid_for(Category::Permit, date(2024, 6, 1)));
        assert!(!c.valid_for(Category::Penalty, date(2026, 1, 1)));
        assert!(!c.valid_for(Category::Penalty, date(2022, 12, 31)));
        assert!(c.expired_on(date(2026, 1, 1)));
    }

    #[test]
    fn certificate_period_must_not_run_backwards() {
        let mut f = CertificateForm::from(&cert());
        f.valid_to = "2022-01-01".into();
        assert_eq!(f.validate().unwrap_err().field, "有效期止");
    }

    #[test]
    fn categories_parse_from_a_list() {
        assert_eq!(parse_categories("penalty, 行政许可、penalty").unwrap(), vec![Category::Permit, Category::Penalty]);
        assert!(parse_categories(" ").is_err());
    }

    #[test]
    fn usernames_and_passwords() {
        assert!(Username::parse("zhang.san").is_ok());
        assert!(Username::parse("张三").is_err());
        assert!(check_password_strength("short").is_err());
        assert!(check_password_strength("long enough pass").is_ok());
    }
}
