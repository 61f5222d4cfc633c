//! Search of published decisions and of the agencies' public lists
//! (PUB-7): this server's two indexes, following the outbox. A search never
//! waits for them: it reads the newest committed searcher, and if the outbox
//! has grown it starts a catch-up in the background (one at a time). A
//! publication command catches up before it answers, so that a withdrawal
//! is gone from this server's results at once; `follow_search` keeps the
//! indexes within [`FRESHNESS`] of the outbox written by other servers.
//! `zhifa reindex` rebuilds them whole.

use crate::{Result, Service, ServiceError};
use zhifa_domain::ids::AgencyId;
use zhifa_domain::registry::{DiscretionBenchmarks, InspectionItems, Items, ServiceGuides};
use zhifa_search::{DecisionDoc, ListDoc, ListIndex, SearchIndex, SearchQuery};
pub use zhifa_search::{DecisionHit, ListHit, ListQuery};
use zhifa_store::{PublicationFilter, PublicationRow};

/// A page of search results as shown (`Service::search_publication_hits`).
#[derive(Debug, Clone)]
pub struct HitsPage {
    pub hits: Vec<std::sync::Arc<DecisionHit>>,
    /// How many match in all.
    pub total: i64,
    /// The outbox's newest id when the search ran: what else the page shows
    /// can be read as of it (`Service::public_regions_as_of`).
    pub as_of: i64,
}

/// Publication events read per round of catching up.
const EVENTS: i64 = 1_000;

/// How far behind the outbox the indexes may be while `follow_search` runs:
/// it looks this often.
pub const FRESHNESS: std::time::Duration = std::time::Duration::from_millis(250);

fn search_error(e: zhifa_search::SearchError) -> ServiceError {
    ServiceError::internal(e.to_string())
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
        summary: zhifa_search::DecisionSummary {
            document_number: p.data.document_number.clone(),
            agency: p.data.agency.clone(),
            title: d.title.clone(),
            party: d.party.clone(),
            conclusion: d.conclusion.clone(),
        },
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
        .map_err(|e| ServiceError::internal(e.to_string()))?
        .map_err(search_error)
}

/// An agency's public entries as the lists' index holds them: the agency,
/// its officers (active, with a certificate; shown while it is valid) and
/// its four lists.
async fn list_docs(service: &Service, agency: AgencyId) -> Result<Vec<ListDoc>> {
    use zhifa_domain::people::categories_label;
    let store = &service.store;
    let Some(a) = store.agency(agency).await? else { return Ok(Vec::new()) };
    let entry = |kind: &str, id: i64, title: String, detail: String, text: &[&str]| ListDoc {
        kind: kind.to_owned(),
        id,
        agency_id: agency.0,
        region: a.data.region.as_str().to_owned(),
        domain: a.data.domain.code().to_owned(),
        text: std::iter::once(title.as_str()).chain(text.iter().copied()).collect::<Vec<_>>().join("\n"),
        title,
        detail,
        valid_from: None,
        valid_to: None,
    };
    let d = &a.data;
    let mut docs = vec![entry(
        "agency",
        agency.0,
        d.name.clone(),
        format!("{} · {}", d.domain.label(), d.kind.label()),
        &[d.uscc.as_str(), &d.legal_basis, &d.address, &d.phone],
    )];
    let users = store.users(agency).await?;
    for c in store.certificates(agency).await? {
        let Some(u) = users.iter().find(|u| u.user.id == c.user_id && u.user.data.active) else { continue };
        let (u, c) = (&u.user.data, &c.cert);
        let categories = categories_label(&c.data.categories);
        let mut doc = entry(
            "officer",
            c.id.0,
            u.name.clone(),
            format!("{} · 执法证号 {} · {categories}", u.post, c.data.number),
            &[&u.post, &c.data.number, &categories],
        );
        doc.valid_from = Some(c.data.valid_from);
        doc.valid_to = Some(c.data.valid_to);
        docs.push(doc);
    }
    for i in store.entries::<Items>(agency).await? {
        let (id, i) = (i.id.0, &i.data);
        let basis = format!("{}{}", i.basis_law, i.basis_article);
        let detail = format!("{} · {basis}", i.category.label());
        docs.push(entry("item", id, i.name.clone(), detail, &[&i.code, &basis, &i.basis_text, &i.remarks]));
    }
    for i in store.entries::<InspectionItems>(agency).await? {
        let (id, i) = (i.id.0, &i.data);
        let detail = format!("抽查对象：{} · {} · {}", i.object, i.method, i.frequency);
        docs.push(entry("inspection_item", id, i.name.clone(), detail, &[&i.basis, &i.object, &i.content]));
    }
    for g in store.entries::<ServiceGuides>(agency).await? {
        let (id, g) = (g.id.0, &g.data);
        let detail = format!("受理机构：{} · 办理时限：{}", g.accepting_body, g.time_limit);
        let text = [&g.basis, &g.accepting_body, &g.approving_body, &g.conditions, &g.materials, &g.flow];
        docs.push(entry("service_guide", id, g.item.clone(), detail, &text.map(String::as_str)));
    }
    for b in store.entries::<DiscretionBenchmarks>(agency).await? {
        let (id, b) = (b.id.0, &b.data);
        let title = format!("{}（{}）", b.violation, b.circumstances);
        let detail = format!("裁量幅度：{}", b.range);
        docs.push(entry(
            "discretion_benchmark",
            id,
            title,
            detail,
            &[&b.basis, &b.penalty_basis, &b.criteria, &b.range],
        ));
    }
    Ok(docs)
}

/// The public lists' kinds: code and label.
pub const LIST_KINDS: &[(&str, &str)] = &[
    ("agency", "执法主体"),
    ("officer", "执法人员"),
    ("item", "执法事项"),
    ("inspection_item", "随机抽查事项"),
    ("service_guide", "服务指南"),
    ("discretion_benchmark", "自由裁量基准"),
];

/// Put `agencies`' entries in again, with watermark `mark`.
async fn replace_lists(
    service: &Service,
    index: &std::sync::Arc<ListIndex>,
    agencies: Vec<i64>,
    mark: i64,
) -> Result<()> {
    let mut docs = Vec::new();
    for a in &agencies {
        docs.extend(list_docs(service, AgencyId(*a)).await?);
    }
    let index = index.clone();
    tokio::task::spawn_blocking(move || index.replace_agencies(&agencies, &docs, mark))
        .await
        .map_err(|e| ServiceError::internal(e.to_string()))?
        .map_err(search_error)
}

impl Service {
    /// Bring both indexes up to date with the outbox (a no-op without them),
    /// waiting for a catch-up under way.
    pub async fn catch_up_search(&self) -> Result<()> {
        if self.search.is_none() && self.lists.is_none() {
            return Ok(());
        }
        self.catch_up().await.map(|_| ())
    }

    /// Keep both indexes following the outbox until the process ends: every
    /// [`FRESHNESS`], a catch-up if the outbox grew (written by this server or
    /// another). For `serve`.
    pub async fn follow_search(&self) {
        let mut tick = tokio::time::interval(FRESHNESS);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            self.index_now().await;
        }
    }

    /// The outbox's newest id; if the indexes are behind it, a catch-up
    /// starts in the background unless one is running. Never waits for the
    /// indexes' writer.
    async fn searchable_as_of(&self) -> Result<i64> {
        use std::sync::atomic::Ordering;
        let checked = self.search_checked.load(Ordering::Acquire);
        let newest = self.store.last_outbox_id().await?;
        if newest > checked && !self.search_catching.swap(true, Ordering::AcqRel) {
            let service = self.clone();
            tokio::spawn(async move {
                service.index_now().await;
                service.search_catching.store(false, Ordering::Release);
            });
        }
        Ok(newest)
    }

    /// Wait until a catch-up has brought the indexes to outbox id
    /// `outbox_id`: from then on what was written up to it is searchable.
    pub async fn searchable_at(&self, outbox_id: i64) {
        let mut caught_up = self.search_caught_up.subscribe();
        // The sender lives as long as the service: the wait ends only by reaching it.
        caught_up.wait_for(|at| *at >= outbox_id).await.ok();
    }

    /// Whoever waits on the index's catch-up (tests): held, searches must
    /// still answer.
    #[doc(hidden)]
    pub async fn hold_search_catch_up(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.search_lock.lock().await
    }

    /// Bring both indexes up to date with the outbox as of its newest id,
    /// read first and returned.
    async fn catch_up(&self) -> Result<i64> {
        use std::sync::atomic::Ordering;
        // One appender at a time takes outbox ids, so every id up to the
        // newest is committed: nothing new if the outbox has not grown.
        let newest = self.store.last_outbox_id().await?;
        let checked = self.search_checked.load(Ordering::Acquire);
        if newest <= checked {
            return Ok(newest);
        }
        let _one = self.search_lock.lock().await;
        // Events up to `checked` were read already: start after it, not at
        // an index's watermark, which stays where its last event was.
        let checked = self.search_checked.load(Ordering::Acquire);
        if let Some(index) = &self.search {
            let mut mark = index.watermark().map_err(search_error)?.max(checked);
            loop {
                let events = self.store.publication_events_after(mark, EVENTS).await?;
                let Some(&(last, _)) = events.last() else { break };
                let mut ids: Vec<i64> = events.iter().map(|(_, id)| *id).collect();
                ids.sort_unstable();
                ids.dedup();
                let rows = self.store.publications_by_ids(&ids).await?;
                let missing = ids.into_iter().filter(|id| !rows.iter().any(|r| r.id.0 == *id)).collect();
                apply(index, rows, missing, last, self.today()).await?;
                mark = last;
            }
        }
        if let Some(index) = &self.lists {
            if index.watermark() == 0 {
                // New or of another schema: a few hundred agencies are
                // quicker read whole than the outbox from its start.
                self.rebuild_lists(index, newest).await?;
            }
            let mut mark = index.watermark().max(checked);
            loop {
                let events = self.store.list_events_after(mark, EVENTS).await?;
                let Some(&(last, _)) = events.last() else { break };
                let mut agencies: Vec<i64> = events.iter().map(|(_, a)| *a).collect();
                agencies.sort_unstable();
                agencies.dedup();
                replace_lists(self, index, agencies, last).await?;
                mark = last;
            }
        }
        self.search_checked.fetch_max(newest, Ordering::AcqRel);
        self.search_caught_up.send_if_modified(|at| {
            let grew = newest > *at;
            *at = (*at).max(newest);
            grew
        });
        Ok(newest)
    }

    /// Put every agency's entries in again, as of outbox id `mark` (read
    /// before the tables: what came after is replayed, which is harmless).
    async fn rebuild_lists(&self, index: &std::sync::Arc<ListIndex>, mark: i64) -> Result<()> {
        index.clear().map_err(search_error)?;
        let agencies: Vec<i64> = self.store.agencies_in("").await?.into_iter().map(|a| a.id.0).collect();
        replace_lists(self, index, agencies, mark).await
    }

    /// The agencies' public entries matching `q` (its `shown_on` is today),
    /// best first, and how many match; a page needs no other read.
    pub async fn search_lists(&self, mut q: ListQuery) -> Result<(Vec<ListHit>, i64)> {
        let Some(index) = &self.lists else {
            return Err(zhifa_domain::Invalid::new("检索", "本服务器未启用全文检索").into());
        };
        self.searchable_as_of().await?;
        q.shown_on = Some(self.today());
        q.limit = q.limit.clamp(1, 1_000);
        let index = index.clone();
        let _turn = self.search_turns.acquire().await.map_err(|e| ServiceError::internal(e.to_string()))?;
        let (hits, total) = tokio::task::spawn_blocking(move || index.search(&q))
            .await
            .map_err(|e| ServiceError::internal(e.to_string()))?
            .map_err(search_error)?;
        Ok((hits, i64::try_from(total).unwrap_or(i64::MAX)))
    }

    /// After a publication command: the index follows at once (a failure is
    /// logged; the next search catches up).
    pub async fn index_now(&self) {
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
        let (ids, total, _) = self.run_search(text, filter, |index, q| index.search(q)).await?;
        let mut rows = self.store.publications_by_ids(&ids).await?;
        rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id.0));
        // The database has the last word on what is shown today.
        let today = self.today();
        rows.retain(|r| r.data.standing(today) == zhifa_domain::publication::Standing::Shown);
        Ok((rows, total))
    }

    /// The same as a page of results shows them, from the index alone (as
    /// of the outbox id it returns; a publication command of this server
    /// brings it up to date before it answers).
    pub async fn search_publication_hits(&self, text: &str, filter: &PublicationFilter) -> Result<HitsPage> {
        let (hits, total, as_of) = self.run_search(text, filter, |index, q| index.search_hits(q)).await?;
        Ok(HitsPage { hits, total, as_of })
    }

    /// Run `search` on the index in its turn, without waiting for a
    /// catch-up; also the outbox's newest id.
    async fn run_search<T: Send + 'static>(
        &self,
        text: &str,
        filter: &PublicationFilter,
        search: fn(&SearchIndex, &SearchQuery) -> zhifa_search::Result<zhifa_search::Found<T>>,
    ) -> Result<(Vec<T>, i64, i64)> {
        let Some(index) = &self.search else {
            return Err(zhifa_domain::Invalid::new("检索", "本服务器未启用全文检索").into());
        };
        let as_of = self.searchable_as_of().await?;
        let query = SearchQuery {
            text: text.to_owned(),
            region_prefix: filter.region_prefix.clone(),
            agency_id: filter.agency.map(|a| a.0),
            agencies: filter.agencies.as_ref().map(|any| any.iter().map(|a| a.0).collect()),
            category: filter.category.clone(),
            decided_from: filter.decided_from,
            decided_to: filter.decided_to,
            shown_on: Some(self.today()),
            limit: usize::try_from(filter.limit.clamp(1, 1_000)).unwrap_or(20),
            offset: usize::try_from(filter.offset.max(0)).unwrap_or(0),
        };
        let _turn = self.search_turns.acquire().await.map_err(|e| ServiceError::internal(e.to_string()))?;
        // On this thread: a search of whole words takes a fraction of a
        // millisecond at a million decisions, less than handing it to a
        // blocking thread and back; a query asks for at most `zhifa_search::MAX_WORDS` words.
        let (found, total) = search(index, &query).map_err(search_error)?;
        Ok((found, i64::try_from(total).unwrap_or(i64::MAX), as_of))
    }

    /// Rebuild both indexes from the tables; `progress(done, total)` counts
    /// publications (the lists are a moment's work after them).
    pub async fn reindex(&self, mut progress: impl FnMut(u64, u64)) -> Result<u64> {
        const PAGE: i64 = 5_000;
        let Some(index) = &self.search else {
            return Err(ServiceError::internal("no search index"));
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
        if let Some(lists) = &self.lists {
            self.rebuild_lists(lists, mark).await?;
        }
        // The next search replays what came after `mark`.
        self.search_checked.store(0, std::sync::atomic::Ordering::Release);
        Ok(done)
    }
}
