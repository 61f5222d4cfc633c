//! Search of published decisions (PUB-7): this server's index, brought up
//! to date from the outbox before every search and after every publication
//! command, so that a withdrawal is gone from the results at once, on every
//! server; and rebuilt whole by `zhifa reindex`.

use crate::{Result, Service, ServiceError};
use zhifa_search::{DecisionDoc, SearchIndex, SearchQuery};
use zhifa_store::{PublicationFilter, PublicationRow};

/// Publication events read per round of catching up.
const EVENTS: i64 = 1_000;

fn search_error(e: zhifa_search::SearchError) -> ServiceError {
    ServiceError::Internal(e.to_string())
}

/// What is indexed of a publication: `None` unless shown `today`.
fn doc(p: &PublicationRow, today: jiff::civil::Date) -> Option<DecisionDoc> {
    let d = p.data.decision.as_ref()?;
    if p.data.standing(today) != zhifa_domain::publication::Standing::Shown {
        return None;
    }
    let parts = [
        Some(p.data.document_number.as_str()),
        Some(p.data.agency.as_str()),
        Some(d.party.as_str()),
        d.party_uscc.as_deref(),
        Some(d.title.as_str()),
        Some(d.conclusion.as_str()),
        Some(d.legal_basis.as_str()),
        d.full_text.as_deref(),
    ];
    Some(DecisionDoc {
        id: p.id.0,
        agency_id: p.agency_id.0,
        region: p.region_code.clone(),
        category: p.data.category.code().to_owned(),
        decided_on: p.data.decided_on,
        expires_on: p.data.expires_on,
        text: parts.into_iter().flatten().collect::<Vec<_>>().join("\n"),
    })
}

/// Index `rows`: ones shown `today` put in, the others and `missing` ones taken out.
async fn apply(
    index: &std::sync::Arc<SearchIndex>,
    rows: Vec<PublicationRow>,
    missing: Vec<i64>,
    mark: i64,
    today: jiff::civil::Date,
) -> Result<()> {
    let mut removed = missing;
    let mut docs = Vec::with_capacity(rows.len());
    for p in &rows {
        match doc(p, today) {
            Some(d) => docs.push(d),
            None => removed.push(p.id.0),
        }
    }
    let index = index.clone();
    tokio::task::spawn_blocking(move || index.apply(&docs, &removed, mark))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(search_error)
}

impl Service {
    /// Bring the index up to date with the outbox (a no-op without an index).
    pub async fn catch_up_search(&self) -> Result<()> {
        use std::sync::atomic::Ordering;
        let Some(index) = &self.search else { return Ok(()) };
        // One appender at a time takes outbox ids, so every id up to the
        // newest is committed: nothing new if the outbox has not grown.
        let newest = self.store.last_outbox_id().await?;
        if newest <= self.search_checked.load(Ordering::Acquire) {
            return Ok(());
        }
        let _one = self.search_lock.lock().await;
        let mut mark = index.watermark().map_err(search_error)?;
        loop {
            let events = self.store.publication_events_after(mark, EVENTS).await?;
            let Some(&(last, _)) = events.last() else {
                self.search_checked.fetch_max(newest, Ordering::AcqRel);
                return Ok(());
            };
            let mut ids: Vec<i64> = events.iter().map(|(_, id)| *id).collect();
            ids.sort_unstable();
            ids.dedup();
            let rows = self.store.publications_by_ids(&ids).await?;
            let missing = ids.into_iter().filter(|id| !rows.iter().any(|r| r.id.0 == *id)).collect();
            apply(index, rows, missing, last, self.today()).await?;
            mark = last;
        }
    }

    /// After a publication command: the index follows at once (a failure is
    /// logged; the next search catches up).
    pub(crate) async fn index_now(&self) {
        if let Err(e) = self.catch_up_search().await {
            tracing::error!(error = %e, "search index catch-up");
        }
    }

    /// Published decisions matching `text` and `filter`, best first, and how many match.
    pub async fn search_publications(
        &self,
        text: &str,
        filter: &PublicationFilter,
    ) -> Result<(Vec<PublicationRow>, i64)> {
        let Some(index) = &self.search else {
            return Err(zhifa_domain::Invalid::new("检索", "本服务器未启用全文检索").into());
        };
        self.catch_up_search().await?;
        let query = SearchQuery {
            text: text.to_owned(),
            region_prefix: filter.region_prefix.clone(),
            agency_id: filter.agency.map(|a| a.0),
            category: filter.category.clone(),
            decided_from: filter.decided_from,
            decided_to: filter.decided_to,
            shown_on: Some(self.today()),
            limit: usize::try_from(filter.limit.clamp(1, 1_000)).unwrap_or(20),
            offset: usize::try_from(filter.offset.max(0)).unwrap_or(0),
        };
        let index = index.clone();
        let _turn = self.search_turns.acquire().await.map_err(|e| ServiceError::Internal(e.to_string()))?;
        let (ids, total) = tokio::task::spawn_blocking(move || index.search(&query))
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?
            .map_err(search_error)?;
        let mut rows = self.store.publications_by_ids(&ids).await?;
        rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id.0));
        // The database has the last word on what is shown today.
        let today = self.today();
        rows.retain(|r| r.data.standing(today) == zhifa_domain::publication::Standing::Shown);
        Ok((rows, i64::try_from(total).unwrap_or(i64::MAX)))
    }

    /// Rebuild the index from the publications table; `progress(done, total)`.
    pub async fn reindex(&self, mut progress: impl FnMut(u64, u64)) -> Result<u64> {
        const PAGE: i64 = 5_000;
        let Some(index) = &self.search else {
            return Err(ServiceError::Internal("no search index".into()));
        };
        let _one = self.search_lock.lock().await;
        // Events after this are replayed by the next catch-up (idempotent).
        let mark = self.store.last_outbox_id().await?;
        let total =
            u64::try_from(self.store.publications(&PublicationFilter { limit: 1, ..Default::default() }).await?.1)
                .unwrap_or(0);
        index.clear().map_err(search_error)?;
        let (mut after, mut done) = (0, 0u64);
        loop {
            let rows = self.store.publications_after(after, PAGE).await?;
            let Some(last) = rows.last() else { break };
            after = last.id.0;
            done += rows.len() as u64;
            apply(index, rows, Vec::new(), 0, self.today()).await?;
            progress(done, total);
        }
        apply(index, Vec::new(), Vec::new(), mark, self.today()).await?;
        // The next search replays what came after `mark`.
        self.search_checked.store(0, std::sync::atomic::Ordering::Release);
        Ok(done)
    }
}
