//! Published decisions: the home page, the list and search of decisions, a
//! decision's page and its verification against the ledger, and the same as
//! JSON under `/api/v1/public`.

use super::*;
use crate::AppState;
use crate::error::AppError;
use crate::extract::{Path, Query};
use crate::page::render;
use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::response::{Html, IntoResponse};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use zhifa_domain::ids::{AgencyId, PublicationId};
use zhifa_domain::people::Category;
use zhifa_domain::publication::PublishedDecision;
use zhifa_service::publicity::Regions;
use zhifa_service::{PublicationFilter, PublicationRow};

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
        let page = page_number(self.page);
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
    let page = page_number(q.page);
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
    params(("id" = i64, Path, description = "公示编号")),
    responses((status = 200, body = PublicDecision), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn api_decision(
    State(s): State<AppState>,
    Path(id): Path<PublicationId>,
) -> Result<Json<PublicDecision>, AppError> {
    Ok(Json(PublicDecision::from(&s.service.public_publication(id).await?)))
}

/// The decision's record, leaf and inclusion proof against the current checkpoint.
#[utoipa::path(get, path = "/api/v1/public/decisions/{id}/verification", security(()), tag = "public",
    params(("id" = i64, Path, description = "公示编号")),
    responses((status = 200, body = Verification), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn api_verification(State(s): State<AppState>, Path(id): Path<i64>) -> Result<Json<Verification>, AppError> {
    Ok(Json(verification(&s, id).await?))
}
