//! The public portal (no sign-in, no JavaScript needed): published
//! decisions, their verification against the ledger, and the same as JSON
//! under `/api/v1/public`. Only what the service returns for the public is
//! ever rendered: redacted, current versions, withdrawn ones as a notice.

use crate::AppState;
use crate::error::{AppError, PageError};
use crate::extract::{Path, Query};
use crate::page::render;
use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use zhifa_domain::ids::{AgencyId, PublicationId};
use zhifa_domain::people::Category;
use zhifa_domain::publication::PublishedDecision;
use zhifa_domain::region::RegionCode;
use zhifa_service::publicity::Regions;
use zhifa_service::{PublicationFilter, PublicationRow};

type PageResult = Result<Response, PageError>;

const PAGE: i64 = 20;

/// Filters of the decision list, as in the query string; empty means any.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct DecisionQuery {
    /// Words to search for (Chinese full text); empty lists everything.
    pub q: String,
    /// A region code: that region and everything under it.
    pub region: String,
    pub agency: Option<i64>,
    /// `penalty`, `permit`, …
    pub category: String,
    /// The agencies' domain: `market`, …
    pub domain: String,
    /// Decided on or after (YYYY-MM-DD).
    pub from: String,
    /// Decided on or before (YYYY-MM-DD).
    pub to: String,
    /// From 1.
    pub page: Option<i64>,
}

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

impl DecisionQuery {
    /// The matching publications of this query's page, and how many match.
    async fn run(&self, s: &AppState) -> Result<(Vec<PublicationRow>, i64, PublicationFilter), AppError> {
        let mut filter = self.filter()?;
        if let Some(domain) = parse_domain(&self.domain)? {
            let agencies = s.service.public_agencies().await?;
            filter.agencies = Some(agencies.into_iter().filter(|a| a.data.domain == domain).map(|a| a.id).collect());
        }
        let (rows, total) = match self.q.trim() {
            "" => s.service.public_publications(filter.clone()).await?,
            text => s.service.search_publications(text, &filter).await?,
        };
        Ok((rows, total, filter))
    }

    /// The filter, with the agencies of the domain asked for.
    async fn full_filter(&self, s: &AppState) -> Result<PublicationFilter, AppError> {
        let mut filter = self.filter()?;
        if let Some(domain) = parse_domain(&self.domain)? {
            let agencies = s.service.public_agencies().await?;
            filter.agencies = Some(agencies.into_iter().filter(|a| a.data.domain == domain).map(|a| a.id).collect());
        }
        Ok(filter)
    }

    fn filter(&self) -> Result<PublicationFilter, AppError> {
        let date = |field: &str, v: &str| -> Result<Option<jiff::civil::Date>, AppError> {
            if v.trim().is_empty() {
                return Ok(None);
            }
            v.trim().parse().map(Some).map_err(|_| AppError::bad_request(format!("{field}：日期应为 YYYY-MM-DD")))
        };
        let category = match self.category.trim() {
            "" => None,
            c => Some(Category::parse(c).map_err(|e| AppError::bad_request(e.to_string()))?.code().to_owned()),
        };
        let page = self.page.unwrap_or(1).max(1);
        Ok(PublicationFilter {
            agency: self.agency.map(AgencyId),
            region_prefix: region_prefix(&self.region)?,
            category,
            decided_from: date("起始日期", &self.from)?,
            decided_to: date("截止日期", &self.to)?,
            limit: PAGE,
            offset: (page - 1) * PAGE,
            ..Default::default()
        })
    }

    /// The query string of this filter at `page`.
    fn at_page(&self, page: i64) -> String {
        let page = page.to_string();
        let fields = [
            ("page", page.as_str()),
            ("q", &self.q),
            ("region", &self.region),
            ("category", &self.category),
            ("domain", &self.domain),
            ("from", &self.from),
            ("to", &self.to),
        ];
        query_string(&fields, self.agency)
    }
}

/// A published decision as the public reads it (JSON): the current version,
/// or, once withdrawn, only the notice.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicDecision {
    pub id: i64,
    pub agency: String,
    pub agency_id: i64,
    pub document_number: String,
    /// 行政处罚, 行政许可, …
    pub category: String,
    pub decided_on: String,
    pub published_on: String,
    pub expires_on: String,
    pub version: i64,
    /// Absent once withdrawn.
    pub party: Option<String>,
    pub party_uscc: Option<String>,
    pub title: Option<String>,
    pub conclusion: Option<String>,
    pub legal_basis: Option<String>,
    pub full_text: Option<String>,
    /// Each correction: date and reason.
    pub corrections: Vec<PublicNotice>,
    pub withdrawn: Option<PublicNotice>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicNotice {
    pub on: String,
    pub reason: String,
}

impl From<&PublicationRow> for PublicDecision {
    fn from(p: &PublicationRow) -> Self {
        let d = p.data.decision.as_ref();
        let field = |f: fn(&PublishedDecision) -> &String| d.map(|d| f(d).clone());
        let notice =
            |n: &zhifa_domain::publication::Notice| PublicNotice { on: n.on.to_string(), reason: n.reason.clone() };
        PublicDecision {
            id: p.id.0,
            agency: p.data.agency.clone(),
            agency_id: p.agency_id.0,
            document_number: p.data.document_number.clone(),
            category: p.data.category.label().to_owned(),
            decided_on: p.data.decided_on.to_string(),
            published_on: p.data.published_on.to_string(),
            expires_on: p.data.expires_on.to_string(),
            version: p.version,
            party: field(|d| &d.party),
            party_uscc: d.and_then(|d| d.party_uscc.clone()),
            title: field(|d| &d.title),
            conclusion: field(|d| &d.conclusion),
            legal_basis: field(|d| &d.legal_basis),
            full_text: d.and_then(|d| d.full_text.clone()),
            corrections: p.data.corrections.iter().map(notice).collect(),
            withdrawn: p.data.withdrawal.as_ref().map(notice),
        }
    }
}

/// A decision as a list of them shows it, borrowed from what was read.
struct DecisionItem<'a> {
    id: i64,
    document_number: &'a str,
    agency: &'a str,
    /// 行政处罚, …
    category: &'a str,
    decided_on: jiff::civil::Date,
    /// Absent once withdrawn.
    title: Option<&'a str>,
    party: Option<&'a str>,
    conclusion: Option<&'a str>,
}

impl<'a> From<&'a PublicationRow> for DecisionItem<'a> {
    fn from(p: &'a PublicationRow) -> Self {
        let d = p.data.decision.as_ref();
        DecisionItem {
            id: p.id.0,
            document_number: &p.data.document_number,
            agency: &p.data.agency,
            category: p.data.category.label(),
            decided_on: p.data.decided_on,
            title: d.map(|d| d.title.as_str()),
            party: d.map(|d| d.party.as_str()),
            conclusion: d.map(|d| d.conclusion.as_str()),
        }
    }
}

impl<'a> From<&'a zhifa_service::search::DecisionHit> for DecisionItem<'a> {
    fn from(h: &'a zhifa_service::search::DecisionHit) -> Self {
        let m = &h.summary;
        DecisionItem {
            id: h.id,
            document_number: &m.document_number,
            agency: &m.agency,
            category: Category::parse(&h.category).map_or(h.category.as_str(), |c| c.label()),
            decided_on: h.decided_on,
            title: Some(&m.title),
            party: Some(&m.party),
            conclusion: Some(&m.conclusion),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DecisionList {
    pub total: i64,
    pub decisions: Vec<PublicDecision>,
}

struct AgencyLink {
    id: i64,
    name: String,
}

struct RegionGroup {
    code: String,
    name: String,
    agencies: Vec<AgencyLink>,
}

#[derive(Template)]
#[template(path = "portal_home.html")]
struct HomePage<'a> {
    regions: Vec<RegionGroup>,
    recent: Vec<DecisionItem<'a>>,
    categories: Vec<(&'static str, &'static str)>,
}

/// Agencies grouped by the region they belong to, in region order.
async fn region_groups(s: &AppState) -> Result<Vec<RegionGroup>, AppError> {
    let names: std::collections::HashMap<String, String> = s.service.public_regions().await?.iter().cloned().collect();
    let mut groups: Vec<RegionGroup> = Vec::new();
    for a in s.service.public_agencies().await? {
        let code = a.data.region.as_str().to_owned();
        let link = AgencyLink { id: a.id.0, name: a.data.name.clone() };
        match groups.last_mut() {
            Some(g) if g.code == code => g.agencies.push(link),
            _ => groups.push(RegionGroup {
                name: names.get(&code).cloned().unwrap_or_else(|| code.clone()),
                code,
                agencies: vec![link],
            }),
        }
    }
    Ok(groups)
}

fn categories() -> Vec<(&'static str, &'static str)> {
    Category::ALL.iter().map(|c| (c.code(), c.label())).collect()
}

pub async fn home(State(s): State<AppState>) -> PageResult {
    let (recent, _) = s.service.public_publications(PublicationFilter { limit: 10, ..Default::default() }).await?;
    Ok(render(&HomePage {
        regions: region_groups(&s).await?,
        recent: recent.iter().map(DecisionItem::from).collect(),
        categories: categories(),
    }))
}

#[derive(Template)]
#[template(path = "portal_decisions.html")]
struct ListPage<'a> {
    q: DecisionQuery,
    agency_name: Option<String>,
    total: i64,
    decisions: Vec<DecisionItem<'a>>,
    categories: Vec<(&'static str, &'static str)>,
    domains: Vec<(&'static str, &'static str)>,
    regions: Regions,
    previous: Option<String>,
    next: Option<String>,
}

/// What a list of decisions was read from.
enum Read {
    /// The table, newest first: a page and how many in all.
    Listed((Vec<PublicationRow>, i64)),
    /// The index.
    Found(zhifa_service::search::HitsPage),
}

pub async fn decisions(State(s): State<AppState>, Query(q): Query<DecisionQuery>) -> PageResult {
    let filter = q.full_filter(&s).await?;
    // A search's page comes from the index alone; a plain list from the table.
    let read = match q.q.trim() {
        "" => Read::Listed(s.service.public_publications(filter.clone()).await?),
        text => Read::Found(s.service.search_publication_hits(text, &filter).await?),
    };
    let (decisions, total, regions) = match &read {
        Read::Listed((rows, total)) => {
            (rows.iter().map(DecisionItem::from).collect(), *total, s.service.public_regions().await?)
        }
        // The index was brought up to `as_of`: the form's regions as of it too.
        Read::Found(found) => (
            found.hits.iter().map(|h| DecisionItem::from(&**h)).collect(),
            found.total,
            s.service.public_regions_as_of(found.as_of).await?,
        ),
    };
    let page = q.page.unwrap_or(1).max(1);
    let agency_name = match q.agency {
        Some(a) => s.service.public_agencies().await?.into_iter().find(|x| x.id.0 == a).map(|x| x.data.name),
        None => None,
    };
    Ok(render(&ListPage {
        agency_name,
        total,
        decisions,
        categories: categories(),
        domains: domains(),
        regions,
        previous: (page > 1).then(|| q.at_page(page - 1)),
        next: (filter.offset + PAGE < total).then(|| q.at_page(page + 1)),
        q,
    }))
}

#[derive(Template)]
#[template(path = "portal_decision.html")]
struct DecisionPage {
    d: PublicDecision,
    ledger_index: Option<u64>,
}

/// Rendered decision pages by publication id, each with the version and
/// the day it was rendered for: a page is served again only while both
/// hold, so a correction or withdrawal is never served stale (the version is
/// read for every request) and expiry takes effect on its day.
#[derive(Debug, Clone, Default)]
pub struct PageCache(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<i64, CachedPage>>>);

#[derive(Debug)]
struct CachedPage {
    version: i64,
    day: jiff::civil::Date,
    html: std::sync::Arc<str>,
}

/// Pages kept at most; past that the cache starts again.
const CACHED_PAGES: usize = 10_000;

impl PageCache {
    fn get(&self, id: i64, version: i64, day: jiff::civil::Date) -> Option<std::sync::Arc<str>> {
        let pages = self.0.lock().ok()?;
        pages.get(&id).filter(|p| p.version == version && p.day == day).map(|p| p.html.clone())
    }

    fn put(&self, id: i64, version: i64, day: jiff::civil::Date, html: std::sync::Arc<str>) {
        if let Ok(mut pages) = self.0.lock() {
            if pages.len() >= CACHED_PAGES {
                pages.clear();
            }
            pages.insert(id, CachedPage { version, day, html });
        }
    }
}

pub async fn decision(State(s): State<AppState>, Path(id): Path<i64>) -> PageResult {
    let version = s.service.public_publication_version(PublicationId(id)).await?;
    let today = s.service.today();
    if let Some(html) = s.pages.get(id, version, today) {
        return Ok(Html(html.to_string()).into_response());
    }
    let row = s.service.public_publication(PublicationId(id)).await?;
    let page = DecisionPage { d: PublicDecision::from(&row), ledger_index: row.ledger_index };
    match page.render() {
        Ok(html) => {
            s.pages.put(id, row.version, today, html.as_str().into());
            Ok(Html(html).into_response())
        }
        Err(_) => Ok(render(&page)),
    }
}

/// Everything needed to check a published decision independently.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Verification {
    pub decision_id: i64,
    /// `sm3` or `sha256`.
    pub hash: String,
    /// The record of the current version, exactly as hashed (UTF-8 JSON).
    pub record: String,
    /// Hex.
    pub salt: String,
    /// The leaf (five lines of text).
    pub leaf: String,
    pub index: u64,
    pub size: u64,
    /// Hex of the tree root at `size`.
    pub root: String,
    /// Hex, from the leaf upwards.
    pub proof: Vec<String>,
    /// The signed checkpoint the proof leads to.
    pub checkpoint: String,
    /// Whether the server's own check of all this succeeded.
    pub verified: bool,
}

async fn verification(s: &AppState, id: i64) -> Result<Verification, AppError> {
    let p = s.service.publication_proof(PublicationId(id)).await?;
    Ok(Verification {
        decision_id: id,
        hash: p.alg.code().to_owned(),
        record: String::from_utf8_lossy(&p.record.body).into_owned(),
        salt: zhifa_service::hex(&p.leaf.salt),
        leaf: String::from_utf8_lossy(&p.leaf.leaf).into_owned(),
        index: p.leaf.index,
        size: p.checkpoint.size,
        root: zhifa_service::hex(&p.checkpoint.root),
        proof: p.proof.proof.iter().map(|h| zhifa_service::hex(h)).collect(),
        checkpoint: p.checkpoint.note.clone(),
        verified: p.verified,
    })
}

#[derive(Template)]
#[template(path = "portal_verify.html")]
struct VerifyPage {
    v: Verification,
    leaf_b64: String,
}

pub async fn verify(State(s): State<AppState>, Path(id): Path<i64>) -> PageResult {
    let v = verification(&s, id).await?;
    let leaf_b64 = base64::engine::general_purpose::STANDARD.encode(v.leaf.as_bytes());
    Ok(render(&VerifyPage { v, leaf_b64 }))
}

// ---- JSON ---------------------------------------------------------------------

/// Published decisions, newest first (20 a page).
#[utoipa::path(get, path = "/api/v1/public/decisions", security(()), params(DecisionQuery), tag = "public",
    responses((status = 200, body = DecisionList)))]
pub async fn api_decisions(
    State(s): State<AppState>,
    Query(q): Query<DecisionQuery>,
) -> Result<Json<DecisionList>, AppError> {
    let (rows, total, _) = q.run(&s).await?;
    Ok(Json(DecisionList { total, decisions: rows.iter().map(PublicDecision::from).collect() }))
}

/// One published decision (its current version, or its withdrawal notice).
#[utoipa::path(get, path = "/api/v1/public/decisions/{id}", security(()), tag = "public",
    responses((status = 200, body = PublicDecision), (status = 404, body = crate::error::ErrorBody)))]
pub async fn api_decision(State(s): State<AppState>, Path(id): Path<i64>) -> Result<Json<PublicDecision>, AppError> {
    Ok(Json(PublicDecision::from(&s.service.public_publication(PublicationId(id)).await?)))
}

/// The decision's record, leaf and inclusion proof against the current checkpoint.
#[utoipa::path(get, path = "/api/v1/public/decisions/{id}/verification", security(()), tag = "public",
    responses((status = 200, body = Verification), (status = 404, body = crate::error::ErrorBody)))]
pub async fn api_verification(State(s): State<AppState>, Path(id): Path<i64>) -> Result<Json<Verification>, AppError> {
    Ok(Json(verification(&s, id).await?))
}

// ---- search of the public lists (PUB-7) -------------------------------------------

/// A search of the agencies' public lists, as in the query string; empty means any.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct ListSearchQuery {
    /// Words to search for (Chinese full text).
    pub q: String,
    /// `agency`, `officer`, `item`, `inspection_item`, `service_guide`, `discretion_benchmark`.
    pub kind: String,
    /// A region code: that region and everything under it.
    pub region: String,
    /// The agencies' domain: `market`, …
    pub domain: String,
    pub agency: Option<i64>,
    /// From 1.
    pub page: Option<i64>,
}

/// An entry of a public list that matched.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicListEntry {
    /// `item`, …
    pub kind: String,
    /// 执法事项, …
    pub kind_label: String,
    pub id: i64,
    pub agency_id: i64,
    pub agency: String,
    pub title: String,
    pub detail: String,
    /// Where the entry is shown on the portal.
    pub href: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ListSearchResult {
    pub total: i64,
    pub entries: Vec<PublicListEntry>,
}

/// A kind of public list entry: its code and label.
fn list_kind(code: &str) -> Option<&'static (&'static str, &'static str)> {
    zhifa_service::search::LIST_KINDS.iter().find(|(c, _)| *c == code)
}

impl ListSearchQuery {
    async fn run(&self, s: &AppState) -> Result<ListSearchResult, AppError> {
        let kind = match self.kind.trim() {
            "" => None,
            k => Some(
                list_kind(k)
                    .map(|(code, _)| (*code).to_owned())
                    .ok_or_else(|| AppError::bad_request(format!("公示类别“{k}”不存在")))?,
            ),
        };
        let page = self.page.unwrap_or(1).max(1);
        let query = zhifa_service::search::ListQuery {
            text: self.q.trim().to_owned(),
            kind,
            region_prefix: region_prefix(&self.region)?,
            agency_id: self.agency,
            domain: parse_domain(&self.domain)?.map(|d| d.code().to_owned()),
            shown_on: None,
            limit: usize::try_from(PAGE).unwrap_or(20),
            offset: usize::try_from((page - 1) * PAGE).unwrap_or(0),
        };
        let (hits, total) = s.service.search_lists(query).await?;
        let names: std::collections::HashMap<i64, String> =
            s.service.public_agencies().await?.into_iter().map(|a| (a.id.0, a.data.name)).collect();
        let entries = hits
            .into_iter()
            .map(|h| {
                let anchor = match h.kind.as_str() {
                    "agency" => "subject".to_owned(),
                    "officer" => "officers".to_owned(),
                    kind => format!("{kind}-{}", h.id),
                };
                PublicListEntry {
                    kind_label: list_kind(&h.kind).map_or_else(String::new, |(_, label)| (*label).to_owned()),
                    href: format!("/agencies/{}#{anchor}", h.agency_id),
                    agency: names.get(&h.agency_id).cloned().unwrap_or_default(),
                    kind: h.kind,
                    id: h.id,
                    agency_id: h.agency_id,
                    title: h.title,
                    detail: h.detail,
                }
            })
            .collect();
        Ok(ListSearchResult { total, entries })
    }

    /// The query string of this search at `page`.
    fn at_page(&self, page: i64) -> String {
        let page = page.to_string();
        let fields = [
            ("page", page.as_str()),
            ("q", &self.q),
            ("kind", &self.kind),
            ("region", &self.region),
            ("domain", &self.domain),
        ];
        query_string(&fields, self.agency)
    }
}

#[derive(Template)]
#[template(path = "portal_search.html")]
struct SearchPage {
    q: ListSearchQuery,
    result: ListSearchResult,
    /// Whether anything was asked (a word or a filter).
    asked: bool,
    kinds: &'static [(&'static str, &'static str)],
    domains: Vec<(&'static str, &'static str)>,
    regions: Regions,
    decisions_href: String,
    previous: Option<String>,
    next: Option<String>,
}

/// The search page of the public lists, with a way on to the decisions.
pub async fn search(State(s): State<AppState>, Query(q): Query<ListSearchQuery>) -> PageResult {
    let result = q.run(&s).await?;
    let page = q.page.unwrap_or(1).max(1);
    let asked = [&q.q, &q.kind, &q.region, &q.domain].iter().any(|v| !v.trim().is_empty()) || q.agency.is_some();
    let decisions_href =
        format!("/decisions?{}", query_string(&[("q", &q.q), ("region", &q.region), ("domain", &q.domain)], None));
    Ok(render(&SearchPage {
        previous: (page > 1).then(|| q.at_page(page - 1)),
        next: (page * PAGE < result.total).then(|| q.at_page(page + 1)),
        result,
        asked,
        kinds: zhifa_service::search::LIST_KINDS,
        domains: domains(),
        regions: s.service.public_regions().await?,
        decisions_href,
        q,
    }))
}

/// The agencies' public lists (the agency, officers, items, random-inspection
/// items, service guides, discretion benchmarks) matching words and filters,
/// best first (20 a page).
#[utoipa::path(get, path = "/api/v1/public/lists", security(()), params(ListSearchQuery), tag = "public",
    responses((status = 200, body = ListSearchResult), (status = 400, body = crate::error::ErrorBody)))]
pub async fn api_lists(
    State(s): State<AppState>,
    Query(q): Query<ListSearchQuery>,
) -> Result<Json<ListSearchResult>, AppError> {
    Ok(Json(q.run(&s).await?))
}

// ---- agencies (PUB-1) -----------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AgencyQuery {
    pub region: String,
    pub domain: String,
}

struct AgencyRow {
    id: i64,
    name: String,
    region: String,
    domain: &'static str,
}

#[derive(Template)]
#[template(path = "portal_agencies.html")]
struct AgenciesPage {
    q: AgencyQuery,
    agencies: Vec<AgencyRow>,
    regions: Regions,
    domains: Vec<(&'static str, &'static str)>,
}

pub async fn agencies(State(s): State<AppState>, Query(q): Query<AgencyQuery>) -> PageResult {
    let regions = s.service.public_regions().await?;
    let prefix = region_prefix(&q.region)?.unwrap_or_default();
    let name_of =
        |code: &str| regions.iter().find(|(c, _)| c == code).map_or_else(|| code.to_owned(), |(_, n)| n.clone());
    let agencies = s
        .service
        .public_agencies()
        .await?
        .into_iter()
        .filter(|a| a.data.region.as_str().starts_with(&prefix))
        .filter(|a| q.domain.is_empty() || a.data.domain.code() == q.domain)
        .map(|a| AgencyRow {
            id: a.id.0,
            region: name_of(a.data.region.as_str()),
            domain: a.data.domain.label(),
            name: a.data.name,
        })
        .collect();
    Ok(render(&AgenciesPage { q, agencies, regions, domains: domains() }))
}

#[derive(Template)]
#[template(path = "portal_agency.html")]
struct AgencyPage {
    p: zhifa_service::publicity::AgencyProfile,
    updated: String,
    officers_updated: String,
    items_updated: String,
    inspection_updated: String,
    guides_updated: String,
    discretion_updated: String,
    procedures: Vec<(String, String)>,
    rate: String,
}

/// The newest of `times` as a Shanghai date, or "—".
fn last_updated(times: impl Iterator<Item = jiff::Timestamp>) -> String {
    times.max().map_or_else(|| "—".to_owned(), |t| crate::console::beijing(t).date().to_string())
}

pub async fn agency(State(s): State<AppState>, Path(id): Path<i64>) -> PageResult {
    let p = s.service.public_agency(AgencyId(id)).await?;
    let procedures = s.service.procedures().all().iter().map(|x| (x.id.clone(), x.name.clone())).collect();
    Ok(render(&AgencyPage {
        updated: last_updated(std::iter::once(p.agency.updated_at)),
        officers_updated: last_updated(p.officers_updated.into_iter()),
        items_updated: last_updated(p.items.iter().map(|e| e.updated_at)),
        inspection_updated: last_updated(p.inspection_items.iter().map(|e| e.updated_at)),
        guides_updated: last_updated(p.service_guides.iter().map(|e| e.updated_at)),
        discretion_updated: last_updated(p.discretion_benchmarks.iter().map(|e| e.updated_at)),
        rate: p.on_time.rate().map_or_else(|| "—".to_owned(), |r| format!("{r:.1}%")),
        procedures,
        p,
    }))
}

struct VersionRow {
    on: String,
    kind: &'static str,
    reason: String,
    fields: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "portal_history.html")]
struct HistoryPage {
    agency_id: i64,
    versions: Vec<VersionRow>,
}

/// The fields of a version's data, each with its label on the forms.
fn fields_of(entity: &str, data: &serde_json::Value) -> Vec<(String, String)> {
    use zhifa_domain::registry::{DiscretionBenchmarkData, Form, InspectionItemData, ItemForm, ServiceGuideData};
    let labels = match entity {
        "agency" => zhifa_domain::agency::AgencyForm::FIELDS,
        "item" => ItemForm::FIELDS,
        "inspection_item" => InspectionItemData::FIELDS,
        "discretion_benchmark" => DiscretionBenchmarkData::FIELDS,
        _ => ServiceGuideData::FIELDS,
    };
    let inner = data.get("data").unwrap_or(data);
    let serde_json::Value::Object(map) = inner else { return Vec::new() };
    map.iter()
        .filter_map(|(k, v)| {
            let label = labels.iter().find(|f| f.name == k)?.label;
            Some((label.to_owned(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
        })
        .collect()
}

pub async fn history(State(s): State<AppState>, Path((id, entity, eid)): Path<(i64, String, i64)>) -> PageResult {
    let entries = s.service.public_history(&entity, eid).await?;
    let versions = entries
        .iter()
        .rev()
        .map(|e| VersionRow {
            on: crate::console::local_time(e.at),
            kind: if e.kind.ends_with(".create") { "新增" } else { "变更" },
            reason: e.reason.clone(),
            fields: fields_of(&entity, &e.data),
        })
        .collect();
    Ok(render(&HistoryPage { agency_id: id, versions }))
}

// ---- complaints (SUP-6) ---------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ComplaintTyped {
    pub agency: Option<i64>,
    pub name: String,
    pub contact: String,
    pub subject: String,
    pub content: String,
    /// The signed question and its answer.
    pub token: String,
    pub answer: String,
    /// Hidden from people; robots fill it.
    pub website: String,
}

#[derive(Template)]
#[template(path = "portal_complaint.html")]
struct ComplaintPage {
    typed: ComplaintTyped,
    agencies: Vec<(i64, String)>,
    question: String,
    token: String,
    error: Option<String>,
}

async fn complaint_page(s: &AppState, typed: ComplaintTyped, error: Option<String>) -> Result<Response, AppError> {
    let challenge = s.service.complaint_challenge()?;
    let agencies = s.service.public_agencies().await?.into_iter().map(|a| (a.id.0, a.data.name)).collect();
    Ok(render(&ComplaintPage { typed, agencies, question: challenge.question, token: challenge.token, error }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ComplaintStart {
    pub agency: Option<i64>,
}

pub async fn complaint_form(State(s): State<AppState>, Query(q): Query<ComplaintStart>) -> PageResult {
    Ok(complaint_page(&s, ComplaintTyped { agency: q.agency, ..Default::default() }, None).await?)
}

#[derive(Template)]
#[template(path = "portal_complaint_sent.html")]
struct SentPage {
    tracking: String,
}

pub async fn complaint_submit(
    State(s): State<AppState>,
    crate::extract::ClientAddr(client): crate::extract::ClientAddr,
    axum::Form(typed): axum::Form<ComplaintTyped>,
) -> PageResult {
    let form = zhifa_domain::complaint::ComplaintForm {
        name: typed.name.clone(),
        contact: typed.contact.clone(),
        subject: typed.subject.clone(),
        content: typed.content.clone(),
    };
    let agency = AgencyId(typed.agency.unwrap_or_default());
    match s.service.submit_complaint(agency, &form, &typed.token, &typed.answer, &typed.website, &client).await {
        Ok(tracking) => Ok(render(&SentPage { tracking })),
        Err(e) => {
            let e = AppError::from(e);
            let mut page =
                complaint_page(&s, ComplaintTyped { answer: String::new(), ..typed }, Some(e.message)).await?;
            *page.status_mut() = e.status;
            Ok(page)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatusQuery {
    pub number: String,
}

#[derive(Template)]
#[template(path = "portal_complaint_status.html")]
struct StatusPage {
    number: String,
    found: Option<zhifa_service::ComplaintRow>,
    agency: String,
    searched: bool,
}

pub async fn complaint_status(State(s): State<AppState>, Query(q): Query<StatusQuery>) -> PageResult {
    let searched = !q.number.trim().is_empty();
    let found = if searched {
        match s.service.complaint_status(&q.number).await {
            Ok(row) => Some(row),
            Err(zhifa_service::ServiceError::NotFound) => None,
            Err(e) => return Err(AppError::from(e).into()),
        }
    } else {
        None
    };
    let agency = match &found {
        Some(c) => s.service.public_agency(c.agency_id).await?.agency.data.name,
        None => String::new(),
    };
    Ok(render(&StatusPage { number: q.number, found, agency, searched }))
}

// ---- annual reports (PUB-6) -------------------------------------------------------

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
        "" => Ok((String::new(), "全部地区".to_owned())),
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
