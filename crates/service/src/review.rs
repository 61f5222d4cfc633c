//! Legal review (法制审核): each agency's catalogue (kept in the console, in
//! and out of Excel), what the engine needs to decide review steps, the
//! reviewers' queue with its time limits, who was responsible for a
//! decision, and the reviewers' share of each agency's staff.

use crate::authz::{self, Scope};
use crate::registry::{excel_error, read_workbook, row_error};
use crate::{Actor, ImportReport, Result, Service, ServiceError};
use jiff::civil::Date;
use zhifa_docs::excel;
use zhifa_domain::Invalid;
use zhifa_domain::agency::AgencyCode;
use zhifa_domain::case::Step;
use zhifa_domain::change::Change;
use zhifa_domain::ids::{AgencyId, CaseId, ReviewCatalogueId, UserId};
use zhifa_domain::people::Role;
use zhifa_domain::registry::Items;
use zhifa_domain::registry::Level;
use zhifa_domain::review::{
    CatalogueEntry, CatalogueEntryForm, CatalogueSettingsForm, ReviewCatalogue, ReviewContext, ReviewRound,
    ReviewTrigger, ReviewerInfo, guideline_reviewers_below_five_percent,
};
use zhifa_store::CaseRow;

/// An agency's catalogue with the version to update it at (0: none yet).
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogueView {
    pub id: Option<ReviewCatalogueId>,
    pub version: i64,
    pub catalogue: ReviewCatalogue,
}

/// When a round of review is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundDue {
    pub due: Date,
    pub trace: Vec<String>,
    /// Estimated: the holidays of the due date's year are not yet loaded.
    pub provisional: bool,
    pub overdue: bool,
    /// Due within two working days.
    pub soon: bool,
}

/// A case waiting for review, as the reviewers' queue shows it.
#[derive(Debug, Clone)]
pub struct QueueLine {
    pub case: CaseRow,
    pub round: ReviewRound,
    pub due: RoundDue,
    pub triggers: Vec<ReviewTrigger>,
    pub assigned: Option<String>,
    /// Assigned to the actor, or to nobody yet.
    pub mine: bool,
}

/// An agency's reviewers against its certified officers (REV-6).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffingLine {
    pub agency_id: i64,
    pub code: String,
    pub name: String,
    pub region: String,
    /// People of the agency, in post, holding a certificate valid today.
    pub certified_officers: u32,
    /// People of the agency, in post, whose role is reviewer.
    pub reviewers: u32,
    /// Reviewers per hundred certified officers, one decimal.
    pub share_percent: f64,
    pub below_five_percent: bool,
}

/// The catalogue with its settings kept and its lines replaced by `entries`.
fn edited(catalogue: &ReviewCatalogue, entries: Vec<CatalogueEntry>) -> ReviewCatalogue {
    ReviewCatalogue { entries, ..catalogue.clone() }
}

impl Service {
    async fn catalogue_editor(&self, actor: &Actor, agency: AgencyId) -> Result<()> {
        let a = self.readable_agency(actor, agency).await?;
        if !authz::can_edit_review_catalogue(actor, Scope { agency: a.id, region: &a.data.region }) {
            return Err(ServiceError::Forbidden);
        }
        Ok(())
    }

    /// The agency's catalogue (an empty one with the default time limit if it has none yet).
    pub async fn review_catalogue(&self, actor: &Actor, agency: AgencyId) -> Result<CatalogueView> {
        self.readable_agency(actor, agency).await?;
        self.catalogue_of(agency).await
    }

    async fn catalogue_of(&self, agency: AgencyId) -> Result<CatalogueView> {
        Ok(match self.store.review_catalogue(agency).await? {
            Some(e) => CatalogueView { id: Some(e.id), version: e.version, catalogue: e.data },
            None => CatalogueView { id: None, version: 0, catalogue: ReviewCatalogue::default() },
        })
    }

    /// Store the catalogue as a whole, at the version read (0 for the first).
    pub async fn save_review_catalogue(
        &self,
        actor: &Actor,
        agency: AgencyId,
        version: i64,
        data: ReviewCatalogue,
        reason: &str,
    ) -> Result<()> {
        self.catalogue_editor(actor, agency).await?;
        let current = self.catalogue_of(agency).await?;
        let change = match current.id {
            None if version == 0 => Change::CreateReviewCatalogue { agency, data },
            Some(id) if version == current.version => Change::UpdateReviewCatalogue { id, version, data },
            _ => return Err(ServiceError::Conflict),
        };
        self.commit_one(actor, reason, change).await?;
        Ok(())
    }

    /// Add a line to the catalogue.
    pub async fn add_catalogue_entry(
        &self,
        actor: &Actor,
        agency: AgencyId,
        version: i64,
        form: &CatalogueEntryForm,
    ) -> Result<()> {
        let entry = form.validate()?;
        let current = self.catalogue_of(agency).await?;
        let mut entries = current.catalogue.entries.clone();
        entries.push(entry);
        let data = edited(&current.catalogue, entries);
        self.save_review_catalogue(actor, agency, version, data, "新增法制审核目录清单事项").await
    }

    /// Remove line `index` (from 0) of the catalogue.
    pub async fn remove_catalogue_entry(
        &self,
        actor: &Actor,
        agency: AgencyId,
        version: i64,
        index: usize,
    ) -> Result<()> {
        let current = self.catalogue_of(agency).await?;
        if index >= current.catalogue.entries.len() {
            return Err(ServiceError::NotFound);
        }
        let mut entries = current.catalogue.entries.clone();
        let removed = entries.remove(index);
        let data = edited(&current.catalogue, entries);
        self.save_review_catalogue(actor, agency, version, data, &format!("删除法制审核目录清单事项：{}", removed.name))
            .await
    }

    /// Whether every general-procedure penalty is reviewed, and the time limit.
    pub async fn set_catalogue_settings(
        &self,
        actor: &Actor,
        agency: AgencyId,
        version: i64,
        form: &CatalogueSettingsForm,
    ) -> Result<()> {
        let current = self.catalogue_of(agency).await?;
        let data = form.validate(current.catalogue.entries.clone())?;
        self.save_review_catalogue(actor, agency, version, data, "修改法制审核设置").await
    }

    pub async fn export_review_catalogue(&self, actor: &Actor, agency: AgencyId) -> Result<Vec<u8>> {
        let view = self.review_catalogue(actor, agency).await?;
        let rows: Vec<Vec<String>> =
            view.catalogue.entries.iter().map(|e| excel::cells(&CatalogueEntryForm::from(e))).collect();
        excel::write_table("法制审核目录清单", &excel::labels::<CatalogueEntryForm>(), &rows).map_err(excel_error)
    }

    /// Replace the catalogue's lines with a workbook's: every row valid, or nothing changes.
    pub async fn import_review_catalogue(&self, actor: &Actor, agency: AgencyId, bytes: &[u8]) -> Result<ImportReport> {
        self.catalogue_editor(actor, agency).await?;
        let table = read_workbook(bytes, |t| excel::columns_of::<CatalogueEntryForm>(t, &[])).await?;
        let forms = excel::forms::<CatalogueEntryForm>(&table).map_err(excel_error)?;
        let mut entries = Vec::with_capacity(forms.len());
        for (row, form) in forms {
            entries.push(form.validate().map_err(|e| row_error(row, e))?);
        }
        let created = entries.len();
        let current = self.catalogue_of(agency).await?;
        let data = edited(&current.catalogue, entries);
        self.save_review_catalogue(actor, agency, current.version, data, "导入法制审核目录清单").await?;
        Ok(ImportReport { created })
    }

    /// What the engine matches the catalogue on for `case`.
    pub(crate) async fn review_context(&self, case: &CaseRow) -> Result<ReviewContext> {
        let agency = self.store.agency(case.agency_id).await?.ok_or(ServiceError::NotFound)?;
        let item_code = match case.data.matter.item {
            Some(id) => self.store.entry::<Items>(id).await?.map(|i| i.data.code).filter(|c| !c.is_empty()),
            None => None,
        };
        Ok(ReviewContext {
            catalogue: self.catalogue_of(case.agency_id).await?.catalogue,
            domain: Some(agency.data.domain),
            level: Some(Level::from(agency.data.region.level())),
            item_code,
        })
    }

    /// Who `user` is as a reviewer of `agency`'s cases.
    pub(crate) async fn reviewer_info(&self, agency: AgencyId, user: UserId) -> Result<ReviewerInfo> {
        let row = self
            .store
            .user(user)
            .await?
            .ok_or_else(|| ServiceError::Invalid(Invalid::new("法制审核人员", "不存在")))?;
        let d = &row.user.data;
        Ok(ReviewerInfo {
            user,
            name: d.name.clone(),
            is_reviewer: row.user.agency_id == agency && d.role == Role::Reviewer && d.active,
            legal_qualification: d.legal_qualification,
            prior_penalty_reviews: self
                .store
                .cases_reviewed_by(agency, user)
                .await?
                .iter()
                .map(|c| zhifa_domain::case::reviewed::penalty_reviews_answered(c, user))
                .sum(),
        })
    }

    /// When `round` is due under the agency's time limit.
    pub fn round_due(&self, round: &ReviewRound, time_limit_days: u16) -> RoundDue {
        let today = self.today();
        let days = time_limit_days.saturating_add(round.extension_days).max(1);
        let computed = zhifa_calendar::Period::working_days(days)
            .map_err(|e| e.to_string())
            .and_then(|period| self.calendar.deadline(round.submitted_on, period).map_err(|e| e.to_string()));
        let (due, trace, provisional) = match computed {
            Ok(d) => (d.due, d.explain(), false),
            Err(e) => {
                let due = zhifa_domain::case::engine::provisional_working_days(round.submitted_on, days)
                    .unwrap_or(round.submitted_on);
                (due, vec![format!("{e}；暂按周六、周日休息估算为 {due}")], true)
            }
        };
        let answered = round.outcome.as_ref().map(|o| o.on);
        let overdue = answered.map_or(today > due, |on| on > due);
        let soon_limit = zhifa_calendar::Period::working_days(2)
            .ok()
            .and_then(|p| self.calendar.due_date(today, p).ok())
            .unwrap_or(today + jiff::Span::new().days(2));
        RoundDue { due, trace, provisional, overdue, soon: answered.is_none() && !overdue && due <= soon_limit }
    }

    /// Cases of the actor's agency waiting for review, the most urgent first.
    pub async fn review_queue(&self, actor: &Actor) -> Result<Vec<QueueLine>> {
        let Actor::User(p) = actor else { return Err(ServiceError::Forbidden) };
        let filter = zhifa_store::CaseFilter {
            agency: Some(p.agency_id),
            stage: Some("legal_review".into()),
            open: Some(true),
            limit: 10_000,
            ..Default::default()
        };
        let catalogue = self.catalogue_of(p.agency_id).await?.catalogue;
        let mut out = Vec::new();
        for case in self.store.cases(&filter).await? {
            let Some(round) = case.data.review.current().cloned() else { continue };
            let due = self.round_due(&round, catalogue.time_limit_days);
            let assigned = case.data.review.reviewer.as_ref().map(|a| a.name.clone());
            let mine = case.data.review.reviewer.as_ref().is_none_or(|a| a.user == p.user_id);
            out.push(QueueLine { triggers: round.triggers.clone(), case, round, due, assigned, mine });
        }
        out.sort_by_key(|l| (l.due.due, l.case.id));
        Ok(out)
    }

    /// REV-5: the case's number and everyone who handled, reviewed,
    /// deliberated on or approved it.
    pub async fn responsibility(
        &self,
        actor: &Actor,
        id: CaseId,
    ) -> Result<(String, Vec<zhifa_domain::case::reviewed::Involvement>)> {
        let case = self.case(actor, id).await?;
        let procedure = self.procedure(&case.data.procedure)?.clone();
        let users = self.store.users(case.agency_id).await?;
        let role_of = |s: &Step| {
            let role = users.iter().find(|u| u.user.id == s.by).map(|u| u.user.data.role);
            match role {
                Some(Role::Head) => "机关负责人",
                Some(Role::Reviewer) => "法制审核人员",
                Some(Role::Officer) => "承办人",
                Some(r) => r.label(),
                None => "办理人",
            }
            .to_owned()
        };
        let name_of = |action: &str| procedure.transition(action).map_or_else(|| action.to_owned(), |t| t.name.clone());
        Ok((case.number.clone(), zhifa_domain::case::reviewed::responsibility(&case.data, role_of, name_of)))
    }

    /// REV-4: the working days the agency's catalogue gives a round of review.
    pub(crate) async fn review_time_limit(&self, agency: AgencyId) -> Result<u16> {
        Ok(self.catalogue_of(agency).await?.catalogue.time_limit_days)
    }

    /// REV-6: an agency's active reviewers, and its active people with a
    /// certificate valid on `today`.
    pub(crate) async fn staff_counts(&self, agency: AgencyId, today: Date) -> Result<(u32, u32)> {
        let users = self.store.users(agency).await?;
        let certificates = self.store.certificates(agency).await?;
        let active = |u: UserId| users.iter().any(|x| x.user.id == u && x.user.data.active);
        let mut certified: Vec<UserId> = certificates
            .iter()
            .filter(|c| c.cert.data.valid_from <= today && today <= c.cert.data.valid_to && active(c.user_id))
            .map(|c| c.user_id)
            .collect();
        certified.sort();
        certified.dedup();
        let reviewers = users.iter().filter(|u| u.user.data.active && u.user.data.role == Role::Reviewer).count();
        Ok((u32::try_from(reviewers).unwrap_or(u32::MAX), u32::try_from(certified.len()).unwrap_or(u32::MAX)))
    }

    /// REV-6: each agency the actor may read, with its reviewers' share of
    /// its certified officers; `below_only` keeps those under 5%.
    pub async fn staffing(&self, actor: &Actor, below_only: bool) -> Result<Vec<StaffingLine>> {
        let Actor::User(p) = actor else { return Err(ServiceError::Forbidden) };
        let agencies = match authz::listing_region(actor) {
            Some(prefix) => self.store.agencies_in(&prefix).await?,
            None => vec![self.store.agency(p.agency_id).await?.ok_or(ServiceError::NotFound)?],
        };
        let today = self.today();
        let mut out = Vec::new();
        for a in agencies {
            let (reviewers, certified) = self.staff_counts(a.id, today).await?;
            let below = guideline_reviewers_below_five_percent(reviewers, certified);
            if below_only && !below {
                continue;
            }
            let share = (reviewers * 1000).checked_div(certified).map_or(0.0, |permille| f64::from(permille) / 10.0);
            out.push(StaffingLine {
                agency_id: a.id.0,
                code: AgencyCode::as_str(&a.data.code).to_owned(),
                name: a.data.name.clone(),
                region: a.data.region.to_string(),
                certified_officers: certified,
                reviewers,
                share_percent: share,
                below_five_percent: below,
            });
        }
        Ok(out)
    }
}
