//! The public portal (no sign-in, no JavaScript needed): published
//! decisions, their verification against the ledger, and the same as JSON
//! under `/api/v1/public`. Only what the service returns for the public is
//! ever rendered: redacted, current versions, withdrawn ones as a notice.
//! One file per part: decisions, the lists' search, agencies, complaints,
//! annual reports.

mod agencies;
mod complaints;
mod decisions;
mod lists;
mod reports;

pub use agencies::*;
pub use complaints::*;
pub use decisions::*;
pub use lists::*;
pub use reports::*;

use crate::error::AppError;
use zhifa_domain::region::RegionCode;

type PageResult = Result<axum::response::Response, crate::error::PageError>;

const PAGE: i64 = 20;

/// `k=v&…` of the fields that are not empty (escaped), then the agency.
fn query_string(fields: &[(&str, &str)], agency: Option<i64>) -> String {
    let mut parts: Vec<String> = fields
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", crate::case_console::url_escape(v.trim())))
        .collect();
    parts.extend(agency.map(|a| format!("agency={a}")));
    parts.join("&")
}

/// The region-code prefix of a region filter (empty: any region).
fn region_prefix(code: &str) -> Result<Option<String>, AppError> {
    match code.trim() {
        "" => Ok(None),
        r => Ok(Some(
            RegionCode::parse(r).map_err(|e| AppError::bad_request(e.to_string()))?.subtree_prefix().to_owned(),
        )),
    }
}

/// An agency domain from a filter (empty: any).
fn parse_domain(code: &str) -> Result<Option<zhifa_domain::agency::Domain>, AppError> {
    match code.trim() {
        "" => Ok(None),
        d => zhifa_domain::agency::Domain::parse(d).map(Some).map_err(|e| AppError::bad_request(e.to_string())),
    }
}

fn domains() -> Vec<(&'static str, &'static str)> {
    zhifa_domain::agency::Domain::ALL.iter().map(|d| (d.code(), d.label())).collect()
}
