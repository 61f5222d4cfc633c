//! The agencies and their public lists (PUB-1), with each entry's versions.

use super::*;
use crate::AppState;
use crate::extract::{Path, Query};
use crate::page::render;
use askama::Template;
use axum::extract::State;
use serde::Deserialize;
use zhifa_domain::ids::AgencyId;
use zhifa_service::publicity::Regions;

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

pub async fn agency(State(s): State<AppState>, Path(id): Path<AgencyId>) -> PageResult {
    let p = s.service.public_agency(id).await?;
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
