//! Retrieval (调阅, REC-8): someone of another agency — a supervisor — reads a
//! case or an evidence record only after stating why. Stating it is a write
//! (a POST, CSRF-protected in the console), recorded in the ledger with its
//! reason (`retrieval.read`); it opens that case (with its documents,
//! evidence and responsibility) or that evidence record to its reader for
//! [`RETRIEVAL_HOURS`]. Reading never writes, so no link on another site can
//! make a record in a supervisor's name.

use crate::{Actor, Result, Service, ServiceError};
use zhifa_domain::change::Change;
use zhifa_domain::ids::{AgencyId, CaseId, UploadId};
use zhifa_store::RecordRow;

/// How long a stated reason keeps what it opened readable to its reader.
pub const RETRIEVAL_HOURS: i64 = 4;

/// What a retrieval opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retrieval {
    Case(CaseId),
    Upload(UploadId),
}

impl Retrieval {
    fn what(self) -> (&'static str, i64) {
        match self {
            Retrieval::Case(id) => ("case", id.0),
            Retrieval::Upload(id) => ("upload", id.0),
        }
    }
}

/// One retrieval, as the log shows it (REC-8).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetrievalEntry {
    /// The record that keeps it.
    pub record_id: i64,
    pub at: String,
    /// Who read: login name, user id and name.
    pub reader: String,
    pub reader_id: Option<i64>,
    pub reader_name: String,
    /// The agency whose thing was read.
    pub agency_id: i64,
    /// `case` or `upload` (an evidence record).
    pub what: String,
    pub id: i64,
    /// The stated reason.
    pub reason: String,
}

impl RetrievalEntry {
    fn of(r: &RecordRow) -> Option<Self> {
        let body: serde_json::Value = serde_json::from_slice(&r.body).ok()?;
        Some(Self {
            record_id: r.id.0,
            at: r.at.to_string(),
            reader: r.actor_name.clone(),
            reader_id: r.actor_id.map(|u| u.0),
            reader_name: r.actor_name.clone(),
            agency_id: r.agency_id?.0,
            what: body["data"]["what"].as_str()?.to_owned(),
            id: r.entity_id,
            reason: r.reason.clone(),
        })
    }
}

impl Service {
    /// REC-8: who read what of the agencies in the reader's scope (a
    /// supervisor's region subtree, or `region` within it; an agency reads
    /// who read its own), newest first.
    pub async fn retrieval_log(
        &self,
        actor: &Actor,
        region: Option<&str>,
        agency: Option<AgencyId>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<RetrievalEntry>> {
        let scope = self.listing_scope(actor, region, agency).await?;
        let rows = self
            .store
            .retrievals(scope.region_prefix.as_deref(), scope.agency, limit.clamp(1, 1_000), offset.max(0))
            .await?;
        self.named(rows.iter().filter_map(RetrievalEntry::of).collect()).await
    }

    /// `entries` with their readers' names.
    async fn named(&self, mut entries: Vec<RetrievalEntry>) -> Result<Vec<RetrievalEntry>> {
        let ids = entries.iter().filter_map(|e| e.reader_id.map(zhifa_domain::ids::UserId)).collect();
        let names = self.names_of(ids).await?;
        for e in &mut entries {
            if let Some(name) = e.reader_id.and_then(|id| names.get(&zhifa_domain::ids::UserId(id))) {
                e.reader_name.clone_from(name);
            }
        }
        Ok(entries)
    }

    /// REC-8: the retrievals of a case, oldest first (for its timeline).
    pub async fn case_retrievals(&self, actor: &Actor, id: CaseId) -> Result<Vec<RetrievalEntry>> {
        let case = self.readable_case(actor, id).await?;
        let rows = self.store.records_of("retrieval", id.0).await?;
        let entries =
            rows.iter().filter_map(RetrievalEntry::of).filter(|e| e.what == "case" && e.agency_id == case.agency_id.0);
        self.named(entries.collect()).await
    }

    /// Open another agency's case or evidence record to `actor`, stating why:
    /// recorded. Reading one's own agency's needs no reason and records nothing.
    pub async fn retrieve(&self, actor: &Actor, target: Retrieval, reason: &str) -> Result<()> {
        let agency = match target {
            Retrieval::Case(id) => self.readable_case(actor, id).await?.agency_id,
            Retrieval::Upload(id) => self.visible_upload(actor, id).await?.agency_id,
        };
        if !matches!(actor, Actor::User(p) if p.agency_id != agency) {
            return Ok(());
        }
        let reason = zhifa_domain::error::required_text("调阅理由", reason, 500)?;
        let (what, id) = target.what();
        self.commit_one(actor, &reason, Change::Retrieve { agency, what: what.to_owned(), id }).await?;
        Ok(())
    }

    /// Whether `actor` may read `target`, of `agency`, now: their own
    /// agency's, or opened by a retrieval of theirs within [`RETRIEVAL_HOURS`].
    pub(crate) async fn retrieval_open(&self, actor: &Actor, agency: AgencyId, target: Retrieval) -> Result<bool> {
        let Actor::User(p) = actor else { return Ok(true) };
        if p.agency_id == agency {
            return Ok(true);
        }
        let (what, id) = target.what();
        let since = self.now() - jiff::SignedDuration::from_hours(RETRIEVAL_HOURS);
        Ok(self.store.retrievals_since(p.user_id, id, since).await?.iter().any(|w| w == what))
    }

    /// [`Service::retrieval_open`], or refused with [`ServiceError::RetrievalRequired`].
    pub(crate) async fn require_retrieval(&self, actor: &Actor, agency: AgencyId, target: Retrieval) -> Result<()> {
        if self.retrieval_open(actor, agency, target).await? { Ok(()) } else { Err(ServiceError::RetrievalRequired) }
    }
}
