//! 统一社会信用代码 (GB 32100-2015): 18 characters, the last a check character.

use crate::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The 31 characters of the code, in the order of their values (no I, O, Z, S, V).
const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// A unified social credit code whose check character is right.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Uscc(String);

const FIELD: &str = "统一社会信用代码";

impl Uscc {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim().to_ascii_uppercase();
        let chars: Vec<char> = s.chars().collect();
        if chars.len() != 18 {
            return Err(Invalid::new(FIELD, "应为 18 位"));
        }
        let mut values = [0u32; 18];
        for (i, c) in chars.iter().enumerate() {
            values[i] =
                value_of(*c).ok_or_else(|| Invalid::new(FIELD, format!("第 {} 位“{c}”不是允许的字符", i + 1)))?;
        }
        // Positions 3-8 are the GB/T 2260 region code: digits only.
        if !chars[2..8].iter().all(char::is_ascii_digit) {
            return Err(Invalid::new(FIELD, "第 3 至 8 位应为行政区划代码"));
        }
        let expected = check_value(&values[..17]);
        if values[17] != expected {
            return Err(Invalid::new(FIELD, "校验位不正确"));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn value_of(c: char) -> Option<u32> {
    ALPHABET.find(c).and_then(|i| u32::try_from(i).ok())
}

/// The value of the check character for the first 17 values.
fn check_value(values: &[u32]) -> u32 {
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    (31 - sum % 31) % 31
}

/// Complete 17 characters with their check character (used by the demo generator).
pub fn with_check_character(first17: &str) -> Result<Uscc, Invalid> {
    let values: Option<Vec<u32>> = first17.chars().map(value_of).collect();
    let values = values.filter(|v| v.len() == 17).ok_or_else(|| Invalid::new(FIELD, "前 17 位不正确"))?;
    let check = check_value(&values);
    let c = ALPHABET.chars().nth(check as usize).ok_or_else(|| Invalid::new(FIELD, "校验位计算失败"))?;
    Uscc::parse(&format!("{first17}{c}"))
}

impl TryFrom<String> for Uscc {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}

impl From<Uscc> for String {
    fn from(u: Uscc) -> String {
        u.0
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gb_32100_accepts_published_codes() {
        // Codes printed on public business licences and government notices.
        for code in ["91350100M000100Y43", "91110000802100433B", "11100000000013127D"] {
            assert!(Uscc::parse(code).is_ok(), "{code}");
        }
    }

    #[test]
    fn gb_32100_rejects_wrong_check_character() {
        let err = Uscc::parse("91350100M000100Y44").unwrap_err();
        assert_eq!(err.message, "校验位不正确");
    }

    #[test]
    fn gb_32100_rejects_bad_length_and_characters() {
        assert!(Uscc::parse("9135010").is_err());
        assert!(Uscc::parse("91350100M000100YI3").is_err());
        assert!(Uscc::parse("9135A100M000100Y43").is_err());
    }

    #[test]
    fn completing_a_code_gives_a_valid_one() {
        let u = with_check_character("11330100MB0123456").unwrap();
        assert_eq!(u.as_str().len(), 18);
        assert!(Uscc::parse(u.as_str()).is_ok());
    }
}
