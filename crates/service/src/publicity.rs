//! Publicity (公示, PUB-3 to PUB-5): what is due to be published and when,
//! the redacted preview, publishing, correcting and withdrawing, the
//! on-time rate, and what the public reads and verifies.

use crate::authz::{self, Scope};
use crate::{Actor, Result, Service, ServiceError};
use jiff::civil::Date;
use std::sync::Arc;
use zhifa_domain::change::Change;
use zhifa_domain::ids::{AgencyId, CaseId, PublicationId};
use zhifa_domain::publication::{self as rules, DecisionInfo, PublishedDecision, Retention, Standing, decision_info};
use zhifa_domain::registry::{DiscretionBenchmarks, InspectionItems, Items, ServiceGuides};
use zhifa_store::{CaseRow, PublicationFilter, PublicationRow};

/// When a decision is due to be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicationDue {
    pub due: Date,
    pub trace: Vec<String>,
    /// Estimated: the holidays of the due date's year are not yet loaded.
    pub provisional: bool,
}

/// A decided case not yet published.
#[derive(Debug, Clone)]
pub struct DueLine {
    pub case: CaseRow,
    pub decided_on: Date,
    pub due: PublicationDue,
    pub overdue: bool,
}

/// What the publicity officer checks before publishing: the original, what
/// will be published, each redaction, and the due date.
#[derive(Debug, Clone)]
pub struct Preview {
    pub case: CaseRow,
    pub info: DecisionInfo,
    pub decision: PublishedDecision,
    pub due: PublicationDue,
}

/// An agency's publications: how many, and how many within their period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OnTime {
    pub published: u32,
    pub on_time: u32,
    /// Decided, not published, and past due today.
    pub overdue: u32,
}

impl OnTime {
    /// Per cent, one decimal; `None` before anything is published.
    pub fn rate(&self) -> Option<f64> {
        (self.published > 0).then(|| (f64::from(self.on_time) * 1000.0 / f64::from(self.published)).round() / 10.0)
    }
}

/// A published decision's newest record, its leaf and the proof that the
/// leaf is in the log of the current checkpoint.
#[derive(Debug, Clone)]
pub struct PublicationProof {
    pub publication: PublicationRow,
    pub record: zhifa_store::RecordRow,
    pub leaf: zhifa_store::LeafRow,
    pub checkpoint: zhifa_store::CheckpointRow,
    pub proof: crate::ledger::InclusionProof,
    pub alg: zhifa_ledger::HashAlg,
    /// The server's own check of all of it.
    pub verified: bool,
}

impl Service {
    /// The agency whose publications `actor` manages.
    async fn publisher(&self, actor: &Actor, agency: AgencyId) -> Result<()> {
        let a = self.readable_agency(actor, agency).await?;
        if !authz::can_publish(actor, Scope { agency: a.id, region: &a.data.region }) {
            return Err(ServiceError::Forbidden);
        }
        Ok(())
    }

    fn retention(&self) -> &Retention {
        &self.retention
    }

    /// PUB-3's due date for a decision of `category` made on `decided_on`.
    pub fn publication_due(&self, category: zhifa_domain::people::Category, decided_on: Date) -> PublicationDue {
        self.due_or_estimate(rules::pub_3_publication_period(category), decided_on)
    }

    /// The due date of the legal period `id` from `from`; in a year whose
    /// holidays are not loaded, estimated (weekends only) and marked so.
    fn due_or_estimate(&self, id: &str, from: Date) -> PublicationDue {
        let periods = self.legal_periods();
        match rules::due_by(&self.calendar, &periods, id, from) {
            Ok(d) => PublicationDue { due: d.due, trace: d.trace, provisional: false },
            Err(e) => {
                let period = periods.iter().find(|p| p.id == id).map(|p| p.period);
                let due = period.and_then(|p| zhifa_domain::case::engine::provisional_due(from, p)).unwrap_or(from);
                PublicationDue {
                    due, trace: vec![format!("{e}；暂按周六、周日休息估算为 {due}")], provisional: true
                }
            }
        }
    }

    /// Decided cases of `agency` not yet published, the oldest due first.
    pub async fn publication_queue(&self, actor: &Actor, agency: AgencyId) -> Result<Vec<DueLine>> {
        self.publisher(actor, agency).await?;
        let today = self.today();
        let mut out = Vec::new();
        for case in self.unpublished_decisions(agency).await? {
            let Some(decided_on) = case.data.decided_on else { continue };
            let due = self.publication_due(case.data.category, decided_on);
            out.push(DueLine { overdue: today > due.due, decided_on, due, case });
        }
        out.sort_by_key(|l| (l.due.due, l.case.id));
        Ok(out)
    }

    /// The agency's publications, newest first, withdrawn and expired ones included.
    pub async fn agency_publications(&self, actor: &Actor, agency: AgencyId) -> Result<Vec<PublicationRow>> {
        self.publisher(actor, agency).await?;
        let filter = PublicationFilter { agency: Some(agency), limit: 1_000, ..Default::default() };
        Ok(self.store.publications(&filter).await?.0)
    }

    /// PUB-3: publications within their period, per agency.
    pub async fn on_time(&self, agency: AgencyId) -> Result<OnTime> {
        let (published, on_time) = self.store.publication_counts(agency, Date::MIN, Date::MAX).await?;
        let mut out = OnTime {
            published: u32::try_from(published).unwrap_or(u32::MAX),
            on_time: u32::try_from(on_time).unwrap_or(u32::MAX),
            overdue: 0,
        };
        let today = self.today();
        for case in self.unpublished_decisions(agency).await? {
            if let Some(decided_on) = case.data.decided_on {
                out.overdue += u32::from(today > self.publication_due(case.data.category, decided_on).due);
            }
        }
        Ok(out)
    }

    /// Decided cases of `agency` not published, but for decisions set
    /// aside before they were: those are never published.
    async fn unpublished_decisions(&self, agency: AgencyId) -> Result<Vec<CaseRow>> {
        let mut cases = self.store.unpublished_decisions(agency).await?;
        cases.retain(|c| c.data.annulled.is_none());
        Ok(cases)
    }

    async fn decided_case(&self, actor: &Actor, case: CaseId) -> Result<(CaseRow, DecisionInfo)> {
        let row = self.store.case(case).await?.ok_or(ServiceError::NotFound)?;
        self.publisher(actor, row.agency_id).await?;
        if let Some(a) = &row.data.annulled {
            let message = format!("本案决定已于 {}（{}）被撤销、确认违法或者变更，不再公示", a.on, a.by.label());
            return Err(zhifa_domain::Invalid::new("公示", message).into());
        }
        let agency = self.store.agency(row.agency_id).await?.ok_or(ServiceError::NotFound)?;
        let info = decision_info(&agency.data.name, &row.number, &row.data)
            .ok_or_else(|| zhifa_domain::Invalid::new("公示", "这一案件尚未作出决定，没有可公示的决定信息"))?;
        Ok((row, info))
    }

    /// PUB-5: what would be published of the case's decision, with each redaction.
    pub async fn publication_preview(&self, actor: &Actor, case: CaseId) -> Result<Preview> {
        let (case, info) = self.decided_case(actor, case).await?;
        let due = self.publication_due(info.category, info.decided_on);
        Ok(Preview { decision: PublishedDecision::of(&info, &case.data), info, due, case })
    }

    /// PUB-3: publish the decision of `case` (once).
    pub async fn publish(&self, actor: &Actor, case: CaseId) -> Result<PublicationId> {
        let (row, info) = self.decided_case(actor, case).await?;
        if self.store.publication_of_case(case).await?.is_some() {
            return Err(ServiceError::Duplicate("这一决定的公示".into()));
        }
        let change = self.publication_change(&row, &info, self.today());
        let reason = format!("公示行政执法决定：{}", row.number);
        let id = PublicationId(self.commit_one(actor, &reason, change).await?);
        self.index_now().await;
        Ok(id)
    }

    /// The change that publishes `row`'s decision on `published_on`.
    pub(crate) fn publication_change(&self, row: &CaseRow, info: &DecisionInfo, published_on: Date) -> Change {
        let due = self.publication_due(info.category, info.decided_on);
        let due = rules::Due { due: due.due, basis: String::new(), trace: due.trace };
        let data = rules::pub_3_publication(info, &row.data, due, self.retention(), published_on);
        Change::CreatePublication { agency: row.agency_id, case: row.id, data }
    }

    pub async fn managed_publication(&self, actor: &Actor, id: PublicationId) -> Result<PublicationRow> {
        let row = self.store.publication(id).await?.ok_or(ServiceError::NotFound)?;
        self.publisher(actor, row.agency_id).await?;
        Ok(row)
    }

    /// PUB-4: a corrected version (redacted again against the party).
    pub async fn correct_publication(
        &self,
        actor: &Actor,
        id: PublicationId,
        version: i64,
        typed: &PublishedDecision,
        reason: &str,
    ) -> Result<()> {
        let row = self.managed_publication(actor, id).await?;
        let case = self.store.case(row.case_id).await?.ok_or(ServiceError::NotFound)?;
        let corrected = rules::pub_5_redact_correction(&case.data, typed);
        let data = rules::pub_4_correct(&row.data, corrected, reason, self.today())?;
        let change = Change::UpdatePublication { id, version, action: "correct", data };
        self.commit_one(actor, &format!("更正公示：{}", reason.trim()), change).await?;
        self.index_now().await;
        Ok(())
    }

    /// PUB-4: withdraw, with the public reason; `revoked_on`, the day the
    /// decision was revoked (confirmed illegal, remade), starts the 3 working
    /// days it is due within.
    pub async fn withdraw_publication(
        &self,
        actor: &Actor,
        id: PublicationId,
        version: i64,
        reason: &str,
        revoked_on: Option<Date>,
    ) -> Result<()> {
        let row = self.managed_publication(actor, id).await?;
        let due = revoked_on.map(|d| self.withdrawal_due(d).due);
        let data = rules::pub_4_withdraw(&row.data, reason, self.today(), due)?;
        let change = Change::UpdatePublication { id, version, action: "withdraw", data };
        self.commit_one(actor, &format!("撤下公示：{}", reason.trim()), change).await?;
        self.index_now().await;
        Ok(())
    }

    /// PUB-4: the withdrawal due date for a decision revoked on `revoked_on`.
    pub fn withdrawal_due(&self, revoked_on: Date) -> PublicationDue {
        self.due_or_estimate(rules::PUB_4_WITHDRAWAL_PERIOD, revoked_on)
    }

    /// PUB-4: the change that makes the publication of `case` due to be
    /// withdrawn, its decision having been set aside on `on`; `None` if it
    /// has none shown.
    pub(crate) async fn withdrawal_pending(&self, case: CaseId, on: Date) -> Result<Option<Change>> {
        let Some(row) = self.store.publication_of_case(case).await? else { return Ok(None) };
        let pending = rules::pub_4_withdrawal_due(&row.data, self.withdrawal_due(on).due);
        Ok(pending.map(|data| Change::UpdatePublication {
            id: row.id,
            version: row.version,
            action: "withdrawal_due",
            data,
        }))
    }

    /// What the public may list: shown today (not withdrawn, not expired).
    pub async fn public_publications(&self, mut filter: PublicationFilter) -> Result<(Vec<PublicationRow>, i64)> {
        filter.shown_on = Some(self.today());
        Ok(self.store.publications(&filter).await?)
    }

    /// One publication as the public sees it: shown, or withdrawn (its
    /// notice only); an expired one is gone.
    pub async fn public_publication(&self, id: PublicationId) -> Result<PublicationRow> {
        let row = self.store.publication(id).await?.ok_or(ServiceError::NotFound)?;
        match row.data.standing(self.today()) {
            Standing::Expired => Err(ServiceError::NotFound),
            Standing::Shown | Standing::Withdrawn => Ok(row),
        }
    }

    /// The current version of a publication the public may ask for (its
    /// page is the same for the same version on the same day).
    pub async fn public_publication_version(&self, id: PublicationId) -> Result<i64> {
        self.store.publication_version(id).await?.ok_or(ServiceError::NotFound)
    }

    /// The newest record of a publication, its leaf and its inclusion proof
    /// against the current checkpoint, checked here as anyone can check it.
    pub async fn publication_proof(&self, id: PublicationId) -> Result<PublicationProof> {
        let publication = self.public_publication(id).await?;
        let record = self
            .store
            .records_of("publication", id.0)
            .await?
            .pop()
            .ok_or_else(|| ServiceError::internal(format!("publication {id} has no record")))?;
        let leaf = self.store.leaf_of_record(record.id.0).await?.ok_or(ServiceError::NotFound)?;
        let checkpoint = self.checkpoint().await?;
        if checkpoint.size <= leaf.index {
            // Signed after every commit batch: only a moment behind.
            return Err(ServiceError::NotFound);
        }
        let proof = self.inclusion_proof(leaf.index, checkpoint.size).await?;
        let alg = self.ledger_meta().await?.hash;
        let commitment = zhifa_ledger::RecordLeaf::commitment(alg, &leaf.salt, &record.body);
        let leaf_ok = zhifa_ledger::RecordLeaf::parse(&leaf.leaf).is_ok_and(|l| l.commitment == commitment);
        let root_ok = zhifa_ledger::verify_inclusion(
            alg,
            leaf.index,
            checkpoint.size,
            &alg.leaf(&leaf.leaf),
            &proof.proof,
            &checkpoint.root,
        );
        Ok(PublicationProof { verified: leaf_ok && root_ok, publication, record, leaf, checkpoint, proof, alg })
    }

    /// Every agency, for the portal (public knowledge: PUB-1).
    pub async fn public_agencies(&self) -> Result<Vec<crate::Agency>> {
        Ok(self.store.agencies_in("").await?)
    }

    /// Region codes and names, for the portal.
    pub async fn public_regions(&self) -> Result<Regions> {
        let newest = self.store.last_outbox_id().await?;
        self.public_regions_as_of(newest).await
    }

    /// The regions as of outbox id `newest`, read once for each: every
    /// change writes an outbox event, so they are the same while the
    /// outbox's newest id is.
    pub async fn public_regions_as_of(&self, newest: i64) -> Result<Regions> {
        if let Ok(kept) = self.regions.lock()
            && let Some((at, regions)) = kept.as_ref()
            && *at == newest
        {
            return Ok(regions.clone());
        }
        // Read after `newest`: a change in between makes the next call read again.
        let regions: Regions = self.store.regions().await?.into();
        if let Ok(mut kept) = self.regions.lock()
            && kept.as_ref().is_none_or(|(at, _)| *at <= newest)
        {
            *kept = Some((newest, regions.clone()));
        }
        Ok(regions)
    }
}

/// Region codes and names, in code order.
pub type Regions = Arc<[(String, String)]>;

/// An officer as the public sees them (PUB-1): never an ID number, no account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicOfficer {
    pub name: String,
    pub post: String,
    pub certificate: String,
    /// 行政处罚、行政检查, …
    pub categories: String,
    pub region: String,
    pub valid_to: String,
}

/// An agency's public information (PUB-1): subject information, officers
/// with valid certificates, and its lists, each entry with when it changed.
#[derive(Debug, Clone)]
pub struct AgencyProfile {
    pub agency: crate::Agency,
    pub region_name: String,
    pub officers: Vec<PublicOfficer>,
    /// When the personnel list last changed.
    pub officers_updated: Option<jiff::Timestamp>,
    pub items: Vec<crate::Entry<zhifa_domain::ids::ItemId, zhifa_domain::registry::ItemData>>,
    pub inspection_items:
        Vec<crate::Entry<zhifa_domain::ids::InspectionItemId, zhifa_domain::registry::InspectionItemData>>,
    pub service_guides: Vec<crate::Entry<zhifa_domain::ids::ServiceGuideId, zhifa_domain::registry::ServiceGuideData>>,
    pub discretion_benchmarks:
        Vec<crate::Entry<zhifa_domain::ids::DiscretionBenchmarkId, zhifa_domain::registry::DiscretionBenchmarkData>>,
    pub on_time: OnTime,
}

/// The entities whose change history the public may read.
pub const PUBLIC_HISTORY: &[&str] = &["agency", "item", "inspection_item", "service_guide", "discretion_benchmark"];

impl Service {
    /// PUB-1: what the portal shows of an agency.
    pub async fn public_agency(&self, id: AgencyId) -> Result<AgencyProfile> {
        let agency = self.store.agency(id).await?.ok_or(ServiceError::NotFound)?;
        let today = self.today();
        let users = self.store.users(id).await?;
        let certificates = self.store.certificates(id).await?;
        let mut officers = Vec::new();
        let mut officers_updated = None::<jiff::Timestamp>;
        for c in &certificates {
            let Some(u) = users.iter().find(|u| u.user.id == c.user_id && u.user.data.active) else { continue };
            if c.cert.data.valid_to < today || c.cert.data.valid_from > today {
                continue;
            }
            officers_updated = officers_updated.max(Some(c.cert.updated_at.max(u.user.updated_at)));
            officers.push(PublicOfficer {
                name: u.user.data.name.clone(),
                post: u.user.data.post.clone(),
                certificate: c.cert.data.number.clone(),
                categories: zhifa_domain::people::categories_label(&c.cert.data.categories),
                region: c.cert.data.region.as_str().to_owned(),
                valid_to: c.cert.data.valid_to.to_string(),
            });
        }
        let regions = self.store.regions().await?;
        let region_name = regions
            .iter()
            .find(|(code, _)| code == agency.data.region.as_str())
            .map_or_else(|| agency.data.region.as_str().to_owned(), |(_, n)| n.clone());
        Ok(AgencyProfile {
            items: self.store.entries::<Items>(id).await?,
            inspection_items: self.store.entries::<InspectionItems>(id).await?,
            service_guides: self.store.entries::<ServiceGuides>(id).await?,
            discretion_benchmarks: self.store.entries::<DiscretionBenchmarks>(id).await?,
            on_time: self.on_time(id).await?,
            agency,
            region_name,
            officers,
            officers_updated,
        })
    }

    /// PUB-1: every version of a public list entry (or of the agency itself).
    pub async fn public_history(&self, entity: &str, id: i64) -> Result<crate::History> {
        if !PUBLIC_HISTORY.contains(&entity) {
            return Err(ServiceError::NotFound);
        }
        self.history(&Actor::System("portal"), entity, id).await
    }
}
