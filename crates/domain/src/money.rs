//! Amounts of money, in fen (分): never floating point.

use crate::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A non-negative amount in fen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(i64);

/// The most any amount may be: a trillion yuan.
const MAX_FEN: i64 = 100_000_000_000_000;

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_fen(fen: i64) -> Result<Self, Invalid> {
        if !(0..=MAX_FEN).contains(&fen) {
            return Err(Invalid::new("金额", "超出范围"));
        }
        Ok(Self(fen))
    }

    pub const fn yuan(yuan: i64) -> Self {
        Self(yuan * 100)
    }

    pub fn fen(self) -> i64 {
        self.0
    }

    /// Parse yuan as people write them: `200`, `200.5`, `1,234.56`, `3000元`.
    pub fn parse_yuan(field: &'static str, s: &str) -> Result<Self, Invalid> {
        let t: String = s.trim().trim_end_matches('元').chars().filter(|c| *c != ',' && *c != '，').collect();
        let bad = || Invalid::new(field, "应为以元为单位的金额，最多两位小数");
        let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 {
            return Err(bad());
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
        whole.checked_mul(100).and_then(|w| w.checked_add(frac)).map_or_else(|| Err(bad()), Self::from_fen)
    }

    pub fn saturating_add(self, other: Money) -> Money {
        Money((self.0.saturating_add(other.0)).min(MAX_FEN))
    }

    /// `self × numerator / denominator`, rounded half up to the fen.
    pub fn ratio(self, numerator: i64, denominator: i64) -> Money {
        if denominator <= 0 {
            return Money::ZERO;
        }
        let scaled = i128::from(self.0) * i128::from(numerator);
        let rounded = (scaled * 2 + i128::from(denominator)) / (2 * i128::from(denominator));
        Money(i64::try_from(rounded).unwrap_or(MAX_FEN).clamp(0, MAX_FEN))
    }
}

impl fmt::Display for Money {
    /// `1234.50元`-style yuan with two decimals: `1,234.50`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let yuan = self.0 / 100;
        let digits = yuan.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "{grouped}.{:02}", self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_parse_and_print() {
        assert_eq!(Money::parse_yuan("金额", "200").unwrap(), Money::yuan(200));
        assert_eq!(Money::parse_yuan("金额", "1,234.5元").unwrap().fen(), 123_450);
        assert_eq!(Money::parse_yuan("金额", "0.07").unwrap().fen(), 7);
        assert!(Money::parse_yuan("金额", "-1").is_err());
        assert!(Money::parse_yuan("金额", "1.234").is_err());
        assert!(Money::parse_yuan("金额", "abc").is_err());
        assert_eq!(Money::from_fen(123_456_789).unwrap().to_string(), "1,234,567.89");
        assert_eq!(Money::yuan(5).to_string(), "5.00");
    }

    #[test]
    fn ratios_round_half_up() {
        assert_eq!(Money::from_fen(1000).unwrap().ratio(3, 100).fen(), 30);
        assert_eq!(Money::from_fen(50).unwrap().ratio(3, 100).fen(), 2);
        assert_eq!(Money::from_fen(49).unwrap().ratio(3, 100).fen(), 1);
    }
}
