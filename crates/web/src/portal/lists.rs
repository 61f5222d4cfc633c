//! The search of the agencies' public lists (PUB-7), as a page and as JSON.

use super::*;
use crate::AppState;
use crate::error::AppError;
use crate::extract::Query;
use crate::page::render;
use askama::Template;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use zhifa_service::publicity::Regions;

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
        let page = page_number(self.page);
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
    let page = page_number(q.page);
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
