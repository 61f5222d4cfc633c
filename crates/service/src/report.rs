//! The annual report (统计年报, PUB-6): each agency's figures of a year,
//! counted from its cases, publications, staff and complaints; published
//! through the command path by 31 January; rolled up per region from the
//! published reports.

use crate::authz::{self, Scope};
use crate::{Actor, Agency, Result, Service, ServiceError};
use jiff::civil::date;
use zhifa_domain::change::Change;
use zhifa_domain::ids::AgencyId;
use zhifa_domain::people::Role;
use zhifa_domain::report::AnnualFigures;
use zhifa_store::AnnualReportRow;

/// Cases read at a time.
const PAGE: i64 = 20_000;

/// A region's report: the sum, and each agency's own.
#[derive(Debug, Clone)]
pub struct Rollup {
    pub total: AnnualFigures,
    pub agencies: Vec<(Agency, AnnualFigures)>,
}

impl Service {
    /// PUB-6: the figures of `agency`'s `year`, counted now.
    pub async fn annual_figures(&self, agency: AgencyId, year: i16) -> Result<AnnualFigures> {
        let mut f = AnnualFigures::new(year);
        let recorded = self.store.recorded_case_numbers(agency).await?;
        let mut after = 0;
        loop {
            let cases = self.store.case_facts_after(agency, after, PAGE).await?;
            let Some(&(last, ..)) = cases.last() else { break };
            after = last;
            for (_, _, number, facts) in &cases {
                f.pub_6_count_case(facts, recorded.contains(number));
            }
        }
        self.count_the_rest(agency, &mut f).await?;
        Ok(f)
    }

    /// PUB-6: every agency's figures of `year`, the cases counted in one
    /// pass over the table (agencies without cases get a report of zeros).
    async fn all_annual_figures(&self, year: i16) -> Result<std::collections::HashMap<AgencyId, AnnualFigures>> {
        let recorded = self.store.recorded_cases().await?;
        let mut figures: std::collections::HashMap<AgencyId, AnnualFigures> = Default::default();
        let mut after = 0;
        loop {
            let cases = self.store.all_case_facts_after(after, PAGE).await?;
            let Some(&(last, ..)) = cases.last() else { break };
            after = last;
            for (_, agency, number, facts) in &cases {
                let is_recorded = recorded.get(agency).is_some_and(|numbers| numbers.contains(number));
                figures.entry(*agency).or_insert_with(|| AnnualFigures::new(year)).pub_6_count_case(facts, is_recorded);
            }
        }
        Ok(figures)
    }

    /// The figures that are not counted from cases: publications, people, complaints.
    async fn count_the_rest(&self, agency: AgencyId, f: &mut AnnualFigures) -> Result<()> {
        let year = f.year;
        let (published, on_time) = self.store.publication_counts(agency, date(year, 1, 1), date(year, 12, 31)).await?;
        f.published = u32::try_from(published).unwrap_or(u32::MAX);
        f.published_on_time = u32::try_from(on_time).unwrap_or(u32::MAX);
        let year_end = date(year, 12, 31);
        let users = self.store.users(agency).await?;
        let active = |id| users.iter().any(|u| u.user.id == id && u.user.data.active);
        let mut certified: Vec<_> = self
            .store
            .certificates(agency)
            .await?
            .into_iter()
            .filter(|c| c.cert.data.valid_from <= year_end && year_end <= c.cert.data.valid_to && active(c.user_id))
            .map(|c| c.user_id)
            .collect();
        certified.sort_unstable();
        certified.dedup();
        f.officers = certified.len() as u32;
        f.reviewers = users.iter().filter(|u| u.user.data.active && u.user.data.role == Role::Reviewer).count() as u32;
        for c in self.store.complaints(agency).await? {
            if c.data.submitted_on.year() == year {
                f.complaints += 1;
                f.complaints_answered += u32::from(c.data.answer.is_some());
            }
        }
        Ok(())
    }

    /// PUB-6: count and publish (or publish again) `agency`'s report of `year`.
    pub async fn publish_annual_report(&self, actor: &Actor, agency: AgencyId, year: i16) -> Result<AnnualFigures> {
        let a = self.readable_agency(actor, agency).await?;
        if !authz::can_publish(actor, Scope { agency: a.id, region: &a.data.region }) {
            return Err(ServiceError::Forbidden);
        }
        if year >= self.today().year() {
            return Err(zhifa_domain::Invalid::new("年度", format!("{year} 年尚未结束")).into());
        }
        let figures = self.annual_figures(agency, year).await?;
        self.publish_figures(actor, agency, figures).await
    }

    /// PUB-6: count and publish the report of `year` of every agency the
    /// actor may publish for, counting the cases in one pass;
    /// `progress(done, total)` after each.
    pub async fn publish_annual_reports(
        &self,
        actor: &Actor,
        year: i16,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Vec<(Agency, AnnualFigures)>> {
        if year >= self.today().year() {
            return Err(zhifa_domain::Invalid::new("年度", format!("{year} 年尚未结束")).into());
        }
        let agencies: Vec<Agency> = self
            .store
            .agencies_in("")
            .await?
            .into_iter()
            .filter(|a| authz::can_publish(actor, Scope { agency: a.id, region: &a.data.region }))
            .collect();
        let mut counted = self.all_annual_figures(year).await?;
        let total = agencies.len();
        let mut out = Vec::with_capacity(total);
        for (i, a) in agencies.into_iter().enumerate() {
            let mut f = counted.remove(&a.id).unwrap_or_else(|| AnnualFigures::new(year));
            self.count_the_rest(a.id, &mut f).await?;
            let f = self.publish_figures(actor, a.id, f).await?;
            out.push((a, f));
            progress(i + 1, total);
        }
        Ok(out)
    }

    async fn publish_figures(&self, actor: &Actor, agency: AgencyId, figures: AnnualFigures) -> Result<AnnualFigures> {
        let year = figures.year;
        let change = match self.store.annual_report(agency, year).await? {
            None => Change::CreateAnnualReport { agency, data: figures.clone() },
            Some(r) => Change::UpdateAnnualReport { id: r.id, version: r.version, data: figures.clone() },
        };
        self.commit_one(actor, &format!("公布 {year} 年度行政执法统计年报"), change).await?;
        Ok(figures)
    }

    /// An agency's published report of `year` (public).
    pub async fn published_annual_report(&self, agency: AgencyId, year: i16) -> Result<AnnualReportRow> {
        self.store.annual_report(agency, year).await?.ok_or(ServiceError::NotFound)
    }

    /// The years with published reports, newest first (public).
    pub async fn annual_report_years(&self) -> Result<Vec<i16>> {
        Ok(self.store.annual_report_years().await?)
    }

    /// PUB-6: the published reports of `year` of the agencies whose region
    /// code starts with `region_prefix`, added up (public).
    pub async fn annual_rollup(&self, year: i16, region_prefix: &str) -> Result<Rollup> {
        let agencies = self.store.agencies_in(region_prefix).await?;
        let reports = self.store.annual_reports(year).await?;
        let mut total = AnnualFigures::new(year);
        total.agencies = 0;
        let mut each = Vec::new();
        for a in agencies {
            if let Some(r) = reports.iter().find(|r| r.agency_id == a.id) {
                total.add(&r.data);
                each.push((a, r.data.clone()));
            }
        }
        if each.is_empty() {
            return Err(ServiceError::NotFound);
        }
        Ok(Rollup { total, agencies: each })
    }
}

/// The report's charts, as SVG.
pub fn charts(f: &zhifa_domain::report::AnnualFigures) -> Vec<String> {
    use zhifa_docs::chart::bar_chart_svg;
    let categories = [
        ("行政许可（准予）", f.permits_granted),
        ("行政处罚", f.penalties),
        ("行政强制措施", f.coercive_measures),
        ("行政检查", f.inspections),
        ("不予处罚", f.no_penalty),
    ];
    let by_category: Vec<(String, f64)> = categories.iter().map(|(l, n)| ((*l).to_owned(), f64::from(*n))).collect();
    let kinds: Vec<(String, f64)> = f.kinds().iter().map(|(k, n)| (k.label().to_owned(), f64::from(*n))).collect();
    let mut out = vec![bar_chart_svg(&format!("{} 年度执法决定（件）", f.year), &by_category)];
    if !kinds.is_empty() {
        out.push(bar_chart_svg("行政处罚决定按种类（件）", &kinds));
    }
    let rates: Vec<(String, f64)> =
        [("公示按时率（%）", f.on_time_rate()), ("音像记录覆盖率（%）", f.recording_coverage())]
            .into_iter()
            .filter_map(|(l, r)| r.map(|r| (l.to_owned(), r)))
            .collect();
    if !rates.is_empty() {
        out.push(bar_chart_svg("公示与全过程记录", &rates));
    }
    out
}

impl Service {
    /// The CJK fonts of PDFs: found once; while missing, looked for again.
    async fn cjk_fonts(&self) -> Result<zhifa_docs::pdf::CjkFonts> {
        if let Some(fonts) = self.fonts.get() {
            return Ok(fonts.clone());
        }
        let dirs = self.font_dirs.clone();
        let found = tokio::task::spawn_blocking(move || zhifa_docs::pdf::CjkFonts::discover(&dirs))
            .await
            .map_err(|e| ServiceError::internal(e.to_string()))?
            .map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        Ok(self.fonts.get_or_init(|| found).clone())
    }

    /// PUB-6: the report as PDF, titled `title`: the figures, and for a
    /// region each agency's main ones.
    pub async fn report_pdf(
        &self,
        title: &str,
        total: &AnnualFigures,
        agencies: &[(String, AnnualFigures)],
    ) -> Result<Vec<u8>> {
        let fonts = self.cjk_fonts().await?;
        let report = pdf_report(title, total, agencies);
        tokio::task::spawn_blocking(move || zhifa_docs::pdf::render(&report, &fonts))
            .await
            .map_err(|e| ServiceError::internal(e.to_string()))?
            .map_err(|e| ServiceError::internal(e.to_string()))
    }
}

/// What the PDF of a report says.
fn pdf_report(title: &str, total: &AnnualFigures, agencies: &[(String, AnnualFigures)]) -> zhifa_docs::pdf::Report {
    use zhifa_docs::pdf::{Report, Table};
    let year = total.year;
    let mut tables = vec![Table {
        caption: "主要指标".into(),
        headers: vec!["指标".into(), "数值".into()],
        rows: total.lines().into_iter().map(|(l, v)| vec![l, v]).collect(),
    }];
    if !agencies.is_empty() {
        let rate = |r: Option<f64>| r.map_or_else(|| "—".to_owned(), |r| format!("{r:.1}%"));
        tables.push(Table {
            caption: "各执法机关".into(),
            headers: ["执法机关", "行政处罚决定", "罚款金额（元）", "行政许可：准予", "公示按时率"]
                .map(String::from)
                .to_vec(),
            rows: agencies
                .iter()
                .map(|(name, f)| {
                    let fines =
                        zhifa_domain::money::Money::from_fen(f.fines_fen).unwrap_or(zhifa_domain::money::Money::ZERO);
                    vec![
                        name.clone(),
                        f.penalties.to_string(),
                        fines.to_string(),
                        f.permits_granted.to_string(),
                        rate(f.on_time_rate()),
                    ]
                })
                .collect(),
        });
    }
    Report {
        title: title.to_owned(),
        subtitle: format!(
            "统计期间：{year} 年 1 月 1 日至 12 月 31 日 · 应于 {} 前公布",
            zhifa_domain::report::pub_6_due(year)
        ),
        tables,
        notes: vec![
            "行政复议、行政诉讼的数量和结果由复议机关和人民法院统计，本平台未记录。".into(),
            "本报告由行政执法平台根据执法案件、公示和人员记录统计生成。".into(),
        ],
    }
}

/// The report as an Excel workbook: the figures, and each agency's beside
/// the others (for a region).
pub fn workbook(total: &AnnualFigures, agencies: &[(String, AnnualFigures)]) -> Result<Vec<u8>> {
    let summary: Vec<Vec<String>> = total.lines().into_iter().map(|(l, v)| vec![l, v]).collect();
    let labels: Vec<String> = total.lines().into_iter().map(|(l, _)| l).collect();
    let mut headers: Vec<&str> = vec!["执法机关"];
    headers.extend(labels.iter().map(String::as_str));
    let rows: Vec<Vec<String>> = agencies
        .iter()
        .map(|(name, f)| {
            let values = f.lines();
            let mut row = vec![name.clone()];
            row.extend(
                labels
                    .iter()
                    .map(|l| values.iter().find(|(k, _)| k == l).map_or_else(|| "0".to_owned(), |(_, v)| v.clone())),
            );
            row
        })
        .collect();
    let mut sheets: Vec<zhifa_docs::excel::Sheet<'_>> = vec![("年报", &["指标", "数值"], &summary)];
    if !agencies.is_empty() {
        sheets.push(("各执法机关", &headers, &rows));
    }
    zhifa_docs::excel::write_report(&sheets).map_err(|e| ServiceError::internal(e.to_string()))
}
