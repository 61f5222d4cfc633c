//! 居民身份证号码 (GB 11643-1999): 17 digits and a check character.

use crate::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";
const FIELD: &str = "身份证号码";

/// An ID card number whose date of birth exists and whose check character is right.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdCardNumber(String);

impl IdCardNumber {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 18 {
            return Err(Invalid::new(FIELD, "应为 18 位"));
        }
        if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(Invalid::new(FIELD, "前 17 位应为数字，最后一位为数字或 X"));
        }
        let birth = std::str::from_utf8(&b[6..14]).ok().and_then(|d| {
            let (y, m, day) = (d[..4].parse().ok()?, d[4..6].parse().ok()?, d[6..].parse().ok()?);
            jiff::civil::Date::new(y, m, day).ok()
        });
        if birth.is_none() {
            return Err(Invalid::new(FIELD, "第 7 至 14 位不是有效的出生日期"));
        }
        if check_character(&b[..17]) != Some(b[17]) {
            return Err(Invalid::new(FIELD, "校验位不正确"));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The check character of the first 17 digits (`None` if they are not digits).
pub fn check_character(first17: &[u8]) -> Option<u8> {
    if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    Some(CHECK[(sum % 11) as usize])
}

impl TryFrom<String> for IdCardNumber {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}

impl From<IdCardNumber> for String {
    fn from(n: IdCardNumber) -> String {
        n.0
    }
}

impl fmt::Display for IdCardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gb_11643_check_character() {
        // The standard's own example.
        assert_eq!(IdCardNumber::parse("11010519491231002X").unwrap().as_str(), "11010519491231002X");
        assert!(IdCardNumber::parse("110105194912310021").is_err(), "wrong check character");
        assert!(IdCardNumber::parse("110105194913310020").is_err(), "no 13th month");
        assert!(IdCardNumber::parse("11010519491231002").is_err(), "17 characters");
        assert_eq!(IdCardNumber::parse(" 11010519491231002x ").unwrap().as_str(), "11010519491231002X");
    }
}
