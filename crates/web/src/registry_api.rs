//! The registries' API, one set of handlers for every registry: the list and
//! a new entry at `/api/v1/agencies/{id}/{slug}`, the list as a workbook at
//! `…/{slug}.xlsx`, one entry at `/api/v1/{slug}/{id}`. Their OpenAPI paths
//! and schemas are made from each registry's fields ([`openapi_paths`]).

use crate::AppState;
use crate::auth::ApiUser;
use crate::bodies::{ImportOut, created};
use crate::download::xlsx_download;
use crate::error::AppError;
use crate::extract::Path;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use zhifa_domain::ids::AgencyId;
use zhifa_domain::registry::{FieldKind, RegistryInfo, Values};
use zhifa_service::{RawEntry, Service};

type ApiResult<T> = Result<T, AppError>;

/// The registry at `slug`, or 404.
fn registry(s: &AppState, slug: &str) -> ApiResult<&'static RegistryInfo> {
    s.service.registry(slug).ok_or_else(AppError::not_found)
}

/// `items` or `items.xlsx`: the registry and whether the workbook is meant.
fn registry_or_workbook(s: &AppState, last: &str) -> ApiResult<(&'static RegistryInfo, bool)> {
    match last.strip_suffix(".xlsx") {
        Some(slug) => Ok((registry(s, slug)?, true)),
        None => Ok((registry(s, last)?, false)),
    }
}

/// An entry as the API shows it: id, agency, version, when, and its fields.
fn entry_out(registry: &RegistryInfo, entry: &RawEntry) -> ApiResult<Value> {
    let mut out = Map::new();
    out.insert("id".into(), entry.id.into());
    out.insert("agency_id".into(), entry.agency_id.0.into());
    out.insert("version".into(), entry.version.into());
    out.insert("updated_at".into(), entry.updated_at.to_string().into());
    for (name, value) in Service::entry_values(registry, entry)? {
        out.insert(name, value.into());
    }
    Ok(Value::Object(out))
}

/// A JSON object's values of `registry`'s fields; every one given must be text.
fn values_of(registry: &RegistryInfo, body: &Map<String, Value>) -> ApiResult<Values> {
    let mut values = Values::new();
    for field in registry.fields {
        match body.get(field.name) {
            None | Some(Value::Null) => {}
            Some(Value::String(v)) => {
                values.insert(field.name.to_owned(), v.clone());
            }
            Some(_) => return Err(AppError::bad_request(format!("{}（{}）应为文本", field.label, field.name))),
        }
    }
    Ok(values)
}

/// The agency's entries, or (`{slug}.xlsx`) them as a workbook.
pub async fn list(
    State(s): State<AppState>,
    user: ApiUser,
    Path((id, last)): Path<(i64, String)>,
) -> ApiResult<Response> {
    let (registry, workbook) = registry_or_workbook(&s, &last)?;
    let actor = user.actor();
    if workbook {
        let bytes = s.service.export_registry(&actor, registry, AgencyId(id)).await?;
        return Ok(xlsx_download(bytes, &format!("{}.xlsx", registry.names.title)).into_response());
    }
    let entries = s.service.registry_entries(&actor, registry, AgencyId(id)).await?;
    let out = entries.iter().map(|e| entry_out(registry, e)).collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(out).into_response())
}

/// A new entry from a JSON object, or (`{slug}.xlsx`) new entries from a workbook.
pub async fn create(
    State(s): State<AppState>,
    user: ApiUser,
    Path((id, last)): Path<(i64, String)>,
    request: Request,
) -> ApiResult<Response> {
    let (registry, workbook) = registry_or_workbook(&s, &last)?;
    let actor = user.actor();
    if workbook {
        let body = match Bytes::from_request(request, &s).await {
            Ok(body) => body,
            Err(rejection) => return Ok(rejection.into_response()),
        };
        let report = s.service.import_registry(&actor, registry, AgencyId(id), &body).await?;
        return Ok(Json(ImportOut { created: report.created }).into_response());
    }
    let body = match Json::<Map<String, Value>>::from_request(request, &s).await {
        Ok(Json(body)) => body,
        Err(rejection) => return Ok(rejection.into_response()),
    };
    let values = values_of(registry, &body)?;
    Ok(created(s.service.create_registry_entry(&actor, registry, AgencyId(id), &values).await?).into_response())
}

pub async fn get(
    State(s): State<AppState>,
    user: ApiUser,
    Path((slug, id)): Path<(String, i64)>,
) -> ApiResult<Json<Value>> {
    let registry = registry(&s, &slug)?;
    Ok(Json(entry_out(registry, &s.service.registry_entry(&user.actor(), registry, id).await?)?))
}

/// The entry replaced by a JSON object of its fields and the version it was read at.
pub async fn update(
    State(s): State<AppState>,
    user: ApiUser,
    Path((slug, id)): Path<(String, i64)>,
    Json(body): Json<Map<String, Value>>,
) -> ApiResult<StatusCode> {
    let registry = registry(&s, &slug)?;
    let version = body
        .get("version")
        .and_then(Value::as_i64)
        .ok_or_else(|| AppError::bad_request("缺少版本号 version（读取时得到的整数）"))?;
    let values = values_of(registry, &body)?;
    s.service.update_registry_entry(&user.actor(), registry, id, version, &values).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- OpenAPI ---------------------------------------------------------------------

/// `inspection_item` → `InspectionItem`.
fn pascal(entity: &str) -> String {
    entity
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        })
        .collect()
}

fn form_schema(registry: &RegistryInfo) -> Value {
    let mut properties = Map::new();
    for f in registry.fields {
        let mut p = json!({ "type": "string", "title": f.label });
        match f.kind {
            FieldKind::Choice(choices) => {
                p["enum"] = choices.iter().map(|(code, _)| *code).collect();
                p["description"] =
                    choices.iter().map(|(c, l)| format!("{c}：{l}")).collect::<Vec<_>>().join("；").into();
            }
            FieldKind::Flag => p["enum"] = json!(["true", "false"]),
            FieldKind::Date => p["format"] = "date".into(),
            FieldKind::Text | FieldKind::Long => {}
        }
        properties.insert(f.name.to_owned(), p);
    }
    let required: Vec<&str> = registry.fields.iter().filter(|f| f.required).map(|f| f.name).collect();
    json!({ "type": "object", "title": registry.names.noun, "properties": properties, "required": required })
}

fn error_responses(statuses: &[u16]) -> Map<String, Value> {
    statuses
        .iter()
        .map(|s| {
            let body = json!({ "$ref": "#/components/schemas/ErrorBody" });
            (s.to_string(), json!({ "description": "", "content": { "application/json": { "schema": body } } }))
        })
        .collect()
}

fn responses(ok: (u16, Value), errors: &[u16]) -> Value {
    let mut all = error_responses(errors);
    all.insert(ok.0.to_string(), ok.1);
    Value::Object(all)
}

fn json_content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

/// The paths and schemas of every registry, added to the document.
pub fn openapi_paths(doc: &mut Value, registries: &[&'static RegistryInfo]) {
    const XLSX: &str = crate::download::XLSX;
    let id = |what: &str| json!({ "name": "id", "in": "path", "required": true, "description": what, "schema": { "type": "integer", "format": "int64" } });
    for r in registries {
        let (name, slug) = (pascal(r.names.entity), r.names.slug);
        let (form, out, update) = (format!("{name}Form"), format!("{name}Out"), format!("{name}Update"));
        let schema_ref = |n: &str| json!({ "$ref": format!("#/components/schemas/{n}") });
        let schemas = &mut doc["components"]["schemas"];
        schemas[&form] = form_schema(r);
        schemas[&out] = json!({ "allOf": [schema_ref(&form), {
            "type": "object",
            "required": ["id", "agency_id", "version", "updated_at"],
            "properties": {
                "id": { "type": "integer", "format": "int64" },
                "agency_id": { "type": "integer", "format": "int64" },
                "version": { "type": "integer", "format": "int64", "description": "修改时原样带回；版本过期的修改会被拒绝" },
                "updated_at": { "type": "string" }
            }
        }] });
        schemas[&update] = json!({ "allOf": [schema_ref(&form), {
            "type": "object", "required": ["version"],
            "properties": { "version": { "type": "integer", "format": "int64" } }
        }] });
        let agency = id("执法主体 id");
        let paths = &mut doc["paths"];
        paths[format!("/api/v1/agencies/{{id}}/{slug}")] = json!({
            "get": { "summary": format!("{}（列表）", r.names.title), "parameters": [agency],
                "responses": responses((200, json!({ "description": "", "content": json_content(json!({ "type": "array", "items": schema_ref(&out) })) })), &[401, 404]) },
            "post": { "summary": format!("新增{}", r.names.noun), "parameters": [agency],
                "requestBody": { "required": true, "content": json_content(schema_ref(&form)) },
                "responses": responses((201, json!({ "description": "", "content": json_content(schema_ref("Created")) })), &[400, 401, 403, 404, 409]) }
        });
        paths[format!("/api/v1/{slug}/{{id}}")] = json!({
            "get": { "summary": r.names.noun, "parameters": [id("条目 id")],
                "responses": responses((200, json!({ "description": "", "content": json_content(schema_ref(&out)) })), &[401, 404]) },
            "put": { "summary": format!("修改{}", r.names.noun), "parameters": [id("条目 id")],
                "requestBody": { "required": true, "content": json_content(schema_ref(&update)) },
                "responses": responses((204, json!({ "description": "" })), &[400, 401, 403, 404, 409]) }
        });
        paths[format!("/api/v1/agencies/{{id}}/{slug}.xlsx")] = json!({
            "get": { "summary": format!("导出{}", r.names.title), "parameters": [agency],
                "responses": responses((200, json!({ "description": "", "content": { (XLSX): {} } })), &[401, 404]) },
            "post": { "summary": format!("导入{}（全部有效才导入）", r.names.title), "parameters": [agency],
                "requestBody": { "required": true, "content": { (XLSX): { "schema": { "type": "string", "format": "binary" } } } },
                "responses": responses((200, json!({ "description": "", "content": json_content(schema_ref("ImportOut")) })), &[400, 401, 403, 404]) }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_names_become_schema_names() {
        assert_eq!(pascal("inspection_item"), "InspectionItem");
        assert_eq!(pascal("item"), "Item");
    }
}
