//! `zhifa report annual`.

use crate::CLI;
use anyhow::{Context, Result};
use std::path::Path;
use zhifa_service::Service;

/// Publish the annual reports of `year` and, with `out`, write the workbook.
pub(crate) async fn annual_report(
    service: &Service,
    year: i16,
    agency: Option<&str>,
    out: Option<&Path>,
) -> Result<()> {
    use std::io::Write;
    let figures: Vec<(String, zhifa_domain::report::AnnualFigures)> = match agency {
        Some(code) => {
            let a = service.agency_by_code(&CLI, code).await.with_context(|| format!("找不到执法主体 {code}"))?;
            let f = service
                .publish_annual_report(&CLI, a.id, year)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| format!("{} 的年报生成失败", a.data.name))?;
            vec![(a.data.name, f)]
        }
        None => {
            eprint!("统计 {year} 年度全部案件……");
            std::io::stderr().flush().ok();
            let published = service
                .publish_annual_reports(&CLI, year, |done, total| {
                    eprint!("\r公布 {year} 年度年报：{done}/{total}        ");
                    std::io::stderr().flush().ok();
                })
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))
                .context("年报生成失败")?;
            eprintln!();
            published.into_iter().map(|(a, f)| (a.data.name, f)).collect()
        }
    };
    let total = figures.len();
    let mut sum = zhifa_domain::report::AnnualFigures::new(year);
    sum.agencies = 0;
    for (_, f) in &figures {
        sum.add(f);
    }
    println!(
        "已公布 {total} 个执法机关的 {year} 年度年报（应于 {} 前公布）：处罚决定 {} 件，许可决定 {} 件，公示按时率 {}",
        zhifa_domain::report::pub_6_due(year),
        sum.penalties,
        sum.permits_granted + sum.permits_refused,
        sum.on_time_rate().map_or_else(|| "—".to_owned(), |r| format!("{r:.1}%"))
    );
    if let Some(out) = out {
        let each = if figures.len() > 1 { figures.as_slice() } else { &[] };
        let pdf = out.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
        let bytes = if pdf {
            let title = match (agency, figures.as_slice()) {
                (Some(_), [(name, _)]) => format!("{name} {year} 年度行政执法统计年报"),
                _ => format!("{year} 年度行政执法统计年报"),
            };
            service.report_pdf(&title, &sum, each).await.map_err(|e| anyhow::anyhow!("{e}"))?
        } else {
            zhifa_service::report::workbook(&sum, each).map_err(|e| anyhow::anyhow!("{e}"))?
        };
        std::fs::write(out, bytes).with_context(|| format!("写入 {} 失败", out.display()))?;
        println!("年报{}已写出：{}", if pdf { " PDF " } else { "工作簿" }, out.display());
    }
    Ok(())
}
