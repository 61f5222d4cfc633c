//! The pure core of Zhifa: types, validated values and the rules that decide.
//!
//! Nothing here does IO or is async. Validation errors carry the Chinese message
//! shown to people; the code around them stays in English.

pub mod agency;
pub mod amounts;
pub mod case;
pub mod change;
pub mod complaint;
pub mod dashboard;
pub mod error;
pub mod evidence;
pub mod idcard;
pub mod ids;
pub mod money;
pub mod penalty;
pub mod people;
pub mod publication;
pub mod records;
pub mod redaction;
pub mod region;
pub mod registry;
pub mod report;
pub mod review;
pub mod sign_in;
pub mod uscc;
pub mod warning;

pub use error::Invalid;
