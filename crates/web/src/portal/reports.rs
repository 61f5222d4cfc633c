//! The annual reports (PUB-6): pages, spreadsheets and PDFs.

use super::*;
use crate::AppState;
use crate::error::AppError;
use crate::extract::{Path, Query};
use crate::page::render;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use zhifa_domain::ids::AgencyId;
use zhifa_domain::region::RegionCode;

#[derive(Template)]
#[template(path = "portal_reports.html")]
struct ReportsPage {
    years: Vec<i16>,
}

pub async fn reports(State(s): State<AppState>) -> PageResult {
    Ok(render(&ReportsPage { years: s.service.annual_report_years().await? }))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RegionQuery {
    pub region: String,
}

#[derive(Template)]
#[template(path = "portal_report.html")]
struct ReportPage {
    title: String,
    year: i16,
    agencies_counted: u32,
    lines: Vec<(String, String)>,
    /// Drawn here, escaped as they are drawn.
    charts: Vec<String>,
    /// For a region: its agencies with a report, and the regions below it.
    agencies: Vec<(i64, String)>,
    regions: Vec<(String, String)>,
    xlsx: String,
    pdf: String,
}

/// The name of a region code, or the code.
fn region_name(regions: &[(String, String)], code: &str) -> String {
    regions.iter().find(|(c, _)| c == code).map_or_else(|| code.to_owned(), |(_, n)| n.clone())
}

/// The region prefix and its name for `?region=` (empty: everything).
fn region_of(q: &RegionQuery, regions: &[(String, String)]) -> Result<(String, String), AppError> {
    match q.region.trim() {
        // Everything: named after its province when there is one.
        "" => {
            let provinces: std::collections::BTreeSet<&str> = regions.iter().filter_map(|(c, _)| c.get(..2)).collect();
            let name = match provinces.first() {
                Some(p) if provinces.len() == 1 => regions
                    .iter()
                    .find(|(c, _)| *c == format!("{p}0000"))
                    .map_or_else(|| "全部地区".to_owned(), |(_, n)| n.clone()),
                _ => "全部地区".to_owned(),
            };
            Ok((String::new(), name))
        }
        r => {
            let code = RegionCode::parse(r).map_err(|e| AppError::bad_request(e.to_string()))?;
            Ok((code.subtree_prefix().to_owned(), region_name(regions, code.as_str())))
        }
    }
}

pub async fn report(State(s): State<AppState>, Path(year): Path<i16>, Query(q): Query<RegionQuery>) -> PageResult {
    let regions = s.service.public_regions().await?;
    let (prefix, name) = region_of(&q, &regions)?;
    let rollup = s.service.annual_rollup(year, &prefix).await?;
    // The regions directly below, that have agencies with a report.
    let mut below: Vec<(String, String)> = Vec::new();
    for (a, _) in &rollup.agencies {
        let code = a.data.region.as_str();
        let child = match prefix.len() {
            0 => format!("{}0000", &code[..2]),
            2 => format!("{}00", &code[..4]),
            _ => code.to_owned(),
        };
        if child.len() == 6 && child != q.region.trim() && !below.iter().any(|(c, _)| *c == child) {
            below.push((child.clone(), region_name(&regions, &child)));
        }
    }
    let agencies = rollup.agencies.iter().map(|(a, _)| (a.id.0, a.data.name.clone())).collect();
    Ok(render(&ReportPage {
        title: format!("{name} {year} 年度行政执法统计年报"),
        year,
        agencies_counted: rollup.total.agencies,
        lines: rollup.total.lines(),
        charts: zhifa_service::report::charts(&rollup.total),
        agencies,
        regions: below,
        xlsx: format!("/reports/{year}/report.xlsx?region={}", q.region.trim()),
        pdf: format!("/reports/{year}/report.pdf?region={}", q.region.trim()),
    }))
}

pub async fn agency_report(State(s): State<AppState>, Path((year, id)): Path<(i16, i64)>) -> PageResult {
    let agency = s.service.public_agency(AgencyId(id)).await?.agency;
    let r = s.service.published_annual_report(agency.id, year).await?;
    Ok(render(&ReportPage {
        title: format!("{} {year} 年度行政执法统计年报", agency.data.name),
        year,
        agencies_counted: 1,
        lines: r.data.lines(),
        charts: zhifa_service::report::charts(&r.data),
        agencies: Vec::new(),
        regions: Vec::new(),
        xlsx: format!("/reports/{year}/agencies/{id}/report.xlsx"),
        pdf: format!("/reports/{year}/agencies/{id}/report.pdf"),
    }))
}

/// A region's figures for a download: its name, the total and each agency's.
async fn region_figures(
    s: &AppState,
    year: i16,
    q: &RegionQuery,
) -> Result<(String, zhifa_domain::report::AnnualFigures, Vec<(String, zhifa_domain::report::AnnualFigures)>), AppError>
{
    let regions = s.service.public_regions().await?;
    let (prefix, name) = region_of(q, &regions)?;
    let rollup = s.service.annual_rollup(year, &prefix).await?;
    let agencies = rollup.agencies.iter().map(|(a, f)| (a.data.name.clone(), f.clone())).collect();
    Ok((name, rollup.total, agencies))
}

/// A region's report as PDF (503 with what to install when the server has no CJK font).
pub async fn report_pdf(
    State(s): State<AppState>,
    Path(year): Path<i16>,
    Query(q): Query<RegionQuery>,
) -> Result<Response, AppError> {
    let (name, total, agencies) = region_figures(&s, year, &q).await?;
    let title = format!("{name} {year} 年度行政执法统计年报");
    let bytes = s.service.report_pdf(&title, &total, &agencies).await?;
    Ok(crate::download::download(bytes, crate::download::PDF, &format!("{name}{year}年度行政执法统计年报.pdf"))
        .into_response())
}

pub async fn agency_report_pdf(
    State(s): State<AppState>,
    Path((year, id)): Path<(i16, i64)>,
) -> Result<Response, AppError> {
    let agency = s.service.public_agency(AgencyId(id)).await?.agency;
    let r = s.service.published_annual_report(agency.id, year).await?;
    let title = format!("{} {year} 年度行政执法统计年报", agency.data.name);
    let bytes = s.service.report_pdf(&title, &r.data, &[]).await?;
    Ok(crate::download::download(
        bytes,
        crate::download::PDF,
        &format!("{}{year}年度行政执法统计年报.pdf", agency.data.name),
    )
    .into_response())
}

pub async fn report_xlsx(
    State(s): State<AppState>,
    Path(year): Path<i16>,
    Query(q): Query<RegionQuery>,
) -> Result<Response, AppError> {
    let (name, total, agencies) = region_figures(&s, year, &q).await?;
    let bytes = zhifa_service::report::workbook(&total, &agencies)?;
    Ok(crate::download::xlsx_download(bytes, &format!("{name}{year}年度行政执法统计年报.xlsx")).into_response())
}

pub async fn agency_report_xlsx(
    State(s): State<AppState>,
    Path((year, id)): Path<(i16, i64)>,
) -> Result<Response, AppError> {
    let agency = s.service.public_agency(AgencyId(id)).await?.agency;
    let r = s.service.published_annual_report(agency.id, year).await?;
    let bytes = zhifa_service::report::workbook(&r.data, &[])?;
    Ok(crate::download::xlsx_download(bytes, &format!("{}{year}年度行政执法统计年报.xlsx", agency.data.name))
        .into_response())
}
