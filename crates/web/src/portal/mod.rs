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

/// The furthest page of results asked for (page numbers beyond it read as
/// it: no offset can overflow, whatever the query string says).
const MAX_PAGE: i64 = 100_000;

/// The page asked for, from 1 to [`MAX_PAGE`] (1 if none).
fn page_number(page: Option<i64>) -> i64 {
    page.unwrap_or(1).clamp(1, MAX_PAGE)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_page_number_gives_an_offset_without_overflow() {
        for page in [None, Some(i64::MIN), Some(-1), Some(0), Some(1), Some(7), Some(i64::MAX - 1), Some(i64::MAX)] {
            let n = page_number(page);
            assert!((1..=MAX_PAGE).contains(&n), "{page:?}");
            assert!((n - 1).checked_mul(PAGE).is_some_and(|o| o >= 0), "{page:?}");
        }
        assert_eq!(page_number(Some(3)), 3);
    }
}
