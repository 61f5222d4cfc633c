//! 行政区划 (GB/T 2260): six-digit codes for province, city and county, and the
//! nine-digit township codes below a county. A code's subtree is every code that
//! starts with its significant prefix.

use crate::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    City,
    County,
    Township,
}

impl RegionLevel {
    pub fn label(self) -> &'static str {
        match self {
            Self::Province => "省级",
            Self::City => "市级",
            Self::County => "县级",
            Self::Township => "乡级",
        }
    }
}

/// The first two digits of every province-level division.
const PROVINCES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63,
    64, 65, 71, 81, 82,
];

const FIELD: &str = "行政区划代码";

impl RegionCode {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        if !(s.len() == 6 || s.len() == 9) || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid::new(FIELD, "应为 6 位（省市县）或 9 位（乡镇）数字"));
        }
        let province: u8 = s[..2].parse().map_err(|_| Invalid::new(FIELD, "格式不正确"))?;
        if !PROVINCES.contains(&province) {
            return Err(Invalid::new(FIELD, "前两位不是有效的省级代码"));
        }
        if s.len() == 9 && s[4..6] == *"00" {
            return Err(Invalid::new(FIELD, "乡级代码应位于县级区划之下"));
        }
        if s.len() == 6 && s[2..4] == *"00" && s[4..6] != *"00" {
            return Err(Invalid::new(FIELD, "市级部分为 00 时县级部分也应为 00"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> RegionLevel {
        let s = &self.0;
        if s.len() == 9 {
            RegionLevel::Township
        } else if &s[2..] == "0000" {
            RegionLevel::Province
        } else if &s[4..] == "00" {
            RegionLevel::City
        } else {
            RegionLevel::County
        }
    }

    /// The digits that every code in this code's subtree starts with.
    pub fn subtree_prefix(&self) -> &str {
        match self.level() {
            RegionLevel::Province => &self.0[..2],
            RegionLevel::City => &self.0[..4],
            RegionLevel::County | RegionLevel::Township => &self.0,
        }
    }

    /// Whether `other` is this region or lies below it.
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.0.starts_with(self.subtree_prefix())
    }

    /// The region directly above, if any.
    pub fn parent(&self) -> Option<RegionCode> {
        let s = &self.0;
        match self.level() {
            RegionLevel::Province => None,
            RegionLevel::City => Some(Self(format!("{}0000", &s[..2]))),
            RegionLevel::County => Some(Self(format!("{}00", &s[..4]))),
            RegionLevel::Township => Some(Self(s[..6].to_owned())),
        }
    }
}

impl TryFrom<String> for RegionCode {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(r: RegionCode) -> String {
        r.0
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn levels_follow_the_code() {
        assert_eq!(r("330000").level(), RegionLevel::Province);
        assert_eq!(r("330100").level(), RegionLevel::City);
        assert_eq!(r("330106").level(), RegionLevel::County);
        assert_eq!(r("330106001").level(), RegionLevel::Township);
    }

    #[test]
    fn a_subtree_is_a_prefix() {
        assert!(r("330000").contains(&r("330106")));
        assert!(r("330100").contains(&r("330106001")));
        assert!(r("330100").contains(&r("330100")));
        assert!(!r("330100").contains(&r("330200")));
        assert!(!r("330106").contains(&r("330100")));
        // A county-level city directly under a province is still in the province.
        assert!(r("420000").contains(&r("429004")));
    }

    #[test]
    fn parents_walk_up() {
        assert_eq!(r("330106001").parent(), Some(r("330106")));
        assert_eq!(r("330106").parent(), Some(r("330100")));
        assert_eq!(r("330100").parent(), Some(r("330000")));
        assert_eq!(r("330000").parent(), None);
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in ["", "33010", "3301000", "990000", "33a100", "330100000", "330012"] {
            assert!(RegionCode::parse(bad).is_err(), "{bad}");
        }
    }
}
