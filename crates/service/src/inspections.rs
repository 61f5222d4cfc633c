//! Online inspection (网上巡查, SUP-2): each quarter the machine checks
//! every agency's publicity ([`zhifa_domain::warning::inspection`]) and
//! keeps a report per agency; a supervisor adds findings by hand and sends
//! the report to the agency, which answers as it answers a warning.

use crate::warnings::HandlingForm;
use crate::{Actor, Result, Service, ServiceError};
use zhifa_domain::change::Change;
use zhifa_domain::ids::{AgencyId, InspectionId};
use zhifa_domain::people::Role;
use zhifa_domain::warning::handling::{HandlingAction, sup_1_handle};
use zhifa_domain::warning::inspection::{InspectionData, InspectionFacts, Quarter, sup_2_inspect};
use zhifa_store::{InspectionRow, PublicationFilter};

/// What a run did, per agency: its name, its score, and whether the
/// report is new or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    pub agency: AgencyId,
    pub name: String,
    pub score: u8,
    pub findings: usize,
    pub changed: bool,
}

impl Service {
    /// SUP-2: inspect every agency of `region` (a region code; none: the
    /// actor's whole scope) for `quarter`, keeping or updating each
    /// agency's report. Supervisors of the region, and the system (`zhifa
    /// inspect`), run it.
    pub async fn run_inspections(
        &self,
        actor: &Actor,
        quarter: Quarter,
        region: Option<&str>,
    ) -> Result<Vec<Inspected>> {
        if matches!(actor, Actor::User(p) if p.role != Role::Supervisor) {
            return Err(ServiceError::Forbidden);
        }
        if quarter.first_day() > self.today() {
            return Err(zhifa_domain::Invalid::new("季度", format!("{}尚未开始", quarter.label())).into());
        }
        let scope = self.listing_scope(actor, region, None).await?;
        let agencies = self.store.agencies_in(scope.region_prefix.as_deref().unwrap_or("")).await?;
        let mut out = Vec::with_capacity(agencies.len());
        for agency in agencies {
            out.push(self.inspect_agency(agency.id, &agency.data.name, quarter).await?);
        }
        Ok(out)
    }

    async fn inspect_agency(&self, agency: AgencyId, name: &str, quarter: Quarter) -> Result<Inspected> {
        let (first, last) = (quarter.first_day(), quarter.last_day());
        let today = self.today();
        let mut lists = Vec::new();
        for r in self.registries() {
            lists.push((r.names.title, self.store.registry_entries(r, agency).await?.len()));
        }
        let users = self.store.users(agency).await?;
        let certificates = self.store.certificates(agency).await?;
        let uncertified: Vec<&str> = users
            .iter()
            .filter(|u| u.user.data.active && u.user.data.role == Role::Officer)
            .filter(|u| {
                !certificates
                    .iter()
                    .any(|c| c.user_id == u.user.id && c.cert.data.valid_from <= last && last <= c.cert.data.valid_to)
            })
            .map(|u| u.user.data.name.as_str())
            .collect();
        let all = PublicationFilter { agency: Some(agency), limit: 1_000_000, ..Default::default() };
        let (publications, _) = self.store.publications(&all).await?;
        let decided: Vec<(i64, &_)> = publications
            .iter()
            .filter(|p| first <= p.data.decided_on && p.data.decided_on <= last)
            .map(|p| (p.id.0, &p.data))
            .collect();
        let withdrawals: Vec<(i64, &_)> = publications
            .iter()
            .filter(|p| p.data.withdrawal_due.is_some_and(|d| first <= d && d <= last))
            .map(|p| (p.id.0, &p.data))
            .collect();
        let mut unpublished = Vec::new();
        for case in self.store.unpublished_decisions(agency).await? {
            let Some(on) = case.data.decided_on.filter(|d| first <= *d && *d <= last) else { continue };
            if case.data.annulled.is_some()
                || zhifa_domain::publication::decision_info(name, &case.number, &case.data).is_none()
            {
                continue;
            }
            unpublished.push((case.id.0, case.number.clone(), self.publication_due(case.data.category, on).due));
        }
        let unpublished: Vec<(i64, &str, _)> = unpublished.iter().map(|(id, n, d)| (*id, n.as_str(), *d)).collect();
        let complaints = self.store.complaints(agency).await?;
        let complaints: Vec<(i64, &_)> = complaints
            .iter()
            .filter(|c| first <= c.data.submitted_on && c.data.submitted_on <= last)
            .map(|c| (c.id.0, &c.data))
            .collect();
        let complaint_days = self.warning_rules().get("complaint_unanswered").and_then(|r| r.days).unwrap_or(15);
        let lists: Vec<(&str, usize)> = lists.iter().map(|(t, n)| (*t, *n)).collect();
        let facts = InspectionFacts {
            quarter,
            calendar: &self.estimate,
            lists: &lists,
            uncertified: &uncertified,
            publications: &decided,
            unpublished: &unpublished,
            withdrawals: &withdrawals,
            complaints: &complaints,
            complaint_days,
            today,
        };
        let findings = sup_2_inspect(&facts);
        let before = self.store.inspection_of(agency, &quarter.to_string()).await?;
        let mut report = InspectionData::of(quarter, name, today, findings, before.as_ref().map(|b| &b.data));
        let changed = match &before {
            None => {
                self.commit(
                    &Actor::System("inspections"),
                    "网上巡查",
                    vec![Change::CreateInspection { agency, data: report.clone() }],
                )
                .await?;
                true
            }
            Some(b) if b.data.findings != report.findings || b.data.score != report.score => {
                let change =
                    Change::UpdateInspection { id: b.id, version: b.version, action: "rerun", data: report.clone() };
                self.commit(&Actor::System("inspections"), "网上巡查（重新检查）", vec![change]).await?;
                true
            }
            Some(b) => {
                report = b.data.clone();
                false
            }
        };
        Ok(Inspected { agency, name: name.to_owned(), score: report.score, findings: report.findings.len(), changed })
    }

    /// Reports of the reader's scope, of `quarter` or of every quarter.
    pub async fn inspections(
        &self,
        actor: &Actor,
        quarter: Option<Quarter>,
        region: Option<&str>,
    ) -> Result<Vec<InspectionRow>> {
        let scope = self.listing_scope(actor, region, None).await?;
        let quarter = quarter.map(|q| q.to_string());
        Ok(self.store.inspections(scope.region_prefix.as_deref(), scope.agency, quarter.as_deref()).await?)
    }

    /// A report, if the reader may see it.
    pub async fn inspection(&self, actor: &Actor, id: InspectionId) -> Result<InspectionRow> {
        let row = self.store.inspection(id).await?.ok_or(ServiceError::NotFound)?;
        self.readable_agency(actor, row.agency_id).await?;
        Ok(row)
    }

    /// SUP-2: a supervisor of the agency's region adds a finding by hand.
    pub async fn add_inspection_finding(
        &self,
        actor: &Actor,
        id: InspectionId,
        version: i64,
        text: &str,
    ) -> Result<InspectionRow> {
        let row = self.inspection(actor, id).await?;
        let Actor::User(p) = actor else { return Err(ServiceError::Forbidden) };
        let agency = self.store.agency(row.agency_id).await?.ok_or(ServiceError::NotFound)?;
        if !(p.role == Role::Supervisor && p.agency_region.contains(&agency.data.region)) {
            return Err(ServiceError::Forbidden);
        }
        if version != row.version {
            return Err(ServiceError::Conflict);
        }
        let data = row.data.sup_2_add_finding(text, &p.name)?;
        let change = Change::UpdateInspection { id, version, action: "add_finding", data };
        self.commit(actor, &format!("巡查补充发现：{}", text.trim()), vec![change]).await?;
        self.store.inspection(id).await?.ok_or(ServiceError::NotFound)
    }

    /// A handling step of a report, as for a warning (SUP-1/2).
    pub async fn handle_inspection(
        &self,
        actor: &Actor,
        id: InspectionId,
        action: &str,
        form: &HandlingForm,
    ) -> Result<InspectionRow> {
        let row = self.inspection(actor, id).await?;
        let action = HandlingAction::parse(action).map_err(|_| ServiceError::NotFound)?;
        let step = self.handling_step(actor, row.agency_id, action, form).await?;
        if form.version != row.version {
            return Err(ServiceError::Conflict);
        }
        let mut data = row.data.clone();
        data.handled = sup_1_handle(&row.data.handled, step).map_err(|r| ServiceError::Refused(vec![r]))?;
        let reason = format!("巡查报告{}：{}", action.label(), form.text.trim());
        let change = Change::UpdateInspection { id, version: row.version, action: action.code(), data };
        self.commit(actor, &reason, vec![change]).await?;
        self.store.inspection(id).await?.ok_or(ServiceError::NotFound)
    }
}
