//! 执法主体: the agencies that enforce, their kinds and domains.

use crate::Invalid;
use crate::error::{optional_text, required_text};
use crate::region::RegionCode;
use crate::uscc::Uscc;
use serde::{Deserialize, Serialize};

/// Defines a closed set of values with a stable code (stored, in the API) and a
/// Chinese label (on screen, in Excel). Parsing accepts either.
#[macro_export]
macro_rules! coded_enum {
    ($(#[$m:meta])* $name:ident, $field:literal { $($variant:ident = $code:literal, $label:literal;)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $code)] $variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];
            /// `(code, label)` pairs, for choice fields on forms.
            pub const CHOICES: &'static [(&'static str, &'static str)] = &[$(($code, $label),)*];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)* }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)* }
            }

            /// Parse a code (`penalty`) or a Chinese label (`行政处罚`).
            pub fn parse(s: &str) -> Result<Self, $crate::Invalid> {
                let s = s.trim();
                $(if s == $code || s == $label { return Ok($name::$variant); })*
                let known: Vec<&str> = Self::ALL.iter().map(|v| v.label()).collect();
                Err($crate::Invalid::new($field, format!("“{s}”不是可选的值（可选：{}）", known.join("、"))))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

coded_enum!(
    /// 执法主体类型.
    AgencyKind, "主体类型" {
        Statutory = "statutory", "法定";
        Authorised = "authorised", "授权";
        Entrusted = "entrusted", "委托";
    }
);

coded_enum!(
    /// 执法领域.
    Domain, "执法领域" {
        Market = "market", "市场监管";
        Ecology = "ecology", "生态环境";
        Water = "water", "水利";
        Forestry = "forestry", "林草";
        Housing = "housing", "住建";
        Transport = "transport", "交通运输";
        Emergency = "emergency", "应急管理";
        Agriculture = "agriculture", "农业农村";
        Culture = "culture", "文化旅游";
        Health = "health", "卫生健康";
        Urban = "urban", "城管综合执法";
        NaturalResources = "natural_resources", "自然资源";
        Justice = "justice", "司法行政";
        Other = "other", "其他";
    }
);

/// A short identifier an administrator gives an agency (`hz-scjg`), used on the
/// command line and in URLs: lower-case ASCII letters, digits and hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AgencyCode(String);

impl AgencyCode {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        let ok = (2..=40).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if !ok {
            return Err(Invalid::new("主体编码", "应为 2 至 40 位小写字母、数字或连字符"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AgencyCode {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}

impl From<AgencyCode> for String {
    fn from(c: AgencyCode) -> String {
        c.0
    }
}

/// What is known of an agency (the 主体信息 of PUB-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyData {
    pub code: AgencyCode,
    pub name: String,
    pub uscc: Uscc,
    pub region: RegionCode,
    pub domain: Domain,
    pub kind: AgencyKind,
    /// 职权依据: the law that gives the agency its authority.
    pub legal_basis: String,
    pub address: String,
    pub phone: String,
    /// The start of its case numbers, e.g. `西湖市监` in 西湖市监罚〔2025〕12号
    /// (empty: the agency's name).
    #[serde(default)]
    pub number_prefix: String,
    /// How many working days after it happened a step may still be recorded
    /// (补录时限, REC-2); absent: [`DEFAULT_LATE_ENTRY_DAYS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_entry_days: Option<u16>,
}

/// Working days after it happened within which a step may be recorded late,
/// unless the agency sets its own bound.
pub const DEFAULT_LATE_ENTRY_DAYS: u16 = 3;

/// The most an agency may set as its bound on late entries.
pub const MAX_LATE_ENTRY_DAYS: u16 = 30;

impl AgencyData {
    /// Its bound on late entries, in working days.
    pub fn late_entry_days(&self) -> u16 {
        self.late_entry_days.unwrap_or(DEFAULT_LATE_ENTRY_DAYS)
    }

    /// The prefix of its case numbers.
    pub fn number_prefix(&self) -> &str {
        if self.number_prefix.is_empty() { &self.name } else { &self.number_prefix }
    }
}

/// A case number: prefix, the procedure's word, the year, the sequence:
/// 杭西市监罚〔2025〕12号.
pub fn case_number(prefix: &str, word: &str, year: i16, seq: i64) -> String {
    format!("{prefix}{word}〔{year}〕{seq}号")
}

/// An agency as typed into a form or an API request: every field a string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct AgencyForm {
    pub code: String,
    pub name: String,
    pub uscc: String,
    pub region: String,
    pub domain: String,
    pub kind: String,
    pub legal_basis: String,
    pub address: String,
    pub phone: String,
    /// 案号前缀, e.g. 西湖市监.
    pub number_prefix: String,
    /// 补录时限: working days, 0 to 30 (empty: 3).
    pub late_entry_days: String,
}

impl AgencyForm {
    pub fn validate(&self) -> Result<AgencyData, Invalid> {
        Ok(AgencyData {
            code: AgencyCode::parse(&self.code)?,
            name: required_text("主体名称", &self.name, 100)?,
            uscc: Uscc::parse(&self.uscc)?,
            region: RegionCode::parse(&self.region)?,
            domain: Domain::parse(&self.domain)?,
            kind: AgencyKind::parse(&self.kind)?,
            legal_basis: required_text("职权依据", &self.legal_basis, 2000)?,
            address: optional_text("地址", &self.address, 200)?,
            phone: optional_text("电话", &self.phone, 50)?,
            number_prefix: optional_text("案号前缀", &self.number_prefix, 20)?,
            late_entry_days: late_entry_days(&self.late_entry_days)?,
        })
    }
}

/// 补录时限 as typed: empty for the default, else 0 to [`MAX_LATE_ENTRY_DAYS`].
fn late_entry_days(typed: &str) -> Result<Option<u16>, Invalid> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    match typed.parse::<u16>() {
        Ok(n) if n <= MAX_LATE_ENTRY_DAYS => Ok(Some(n)),
        _ => Err(Invalid::new("补录时限", format!("应为 0 至 {MAX_LATE_ENTRY_DAYS} 之间的工作日数"))),
    }
}

impl From<&AgencyData> for AgencyForm {
    fn from(d: &AgencyData) -> Self {
        Self {
            code: d.code.as_str().to_owned(),
            name: d.name.clone(),
            uscc: d.uscc.to_string(),
            region: d.region.to_string(),
            domain: d.domain.code().to_owned(),
            kind: d.kind.code().to_owned(),
            legal_basis: d.legal_basis.clone(),
            address: d.address.clone(),
            phone: d.phone.clone(),
            number_prefix: d.number_prefix.clone(),
            late_entry_days: d.late_entry_days.map(|n| n.to_string()).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coded_values_parse_from_code_or_label() {
        assert_eq!(Domain::parse("market").unwrap(), Domain::Market);
        assert_eq!(Domain::parse("市场监管").unwrap(), Domain::Market);
        let err = AgencyKind::parse("自封").unwrap_err();
        assert!(err.message.contains("法定、授权、委托"), "{err}");
    }

    #[test]
    fn agency_codes_are_slugs() {
        assert!(AgencyCode::parse("hz-scjg").is_ok());
        assert!(AgencyCode::parse("HZ").is_err());
        assert!(AgencyCode::parse("-a").is_err());
        assert!(AgencyCode::parse("杭州").is_err());
    }
}
