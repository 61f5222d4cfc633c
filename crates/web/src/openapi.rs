//! The OpenAPI document of `/api/v1`: the paths of the annotated handlers
//! (listed here, beside the router's routes in `lib.rs`; a test finds every
//! route in it) and every registry's, made from its fields.

use crate::error::{AppError, ErrorCode};
use crate::{
    AppState, api, case_api, dashboard_api, inspection_api, portal, registry_api, review_api, tus, warning_api,
};
use axum::Json;
use axum::extract::State;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Zhifa 行政执法平台 API", version = "1"),
    paths(
        api::me, api::list_agencies, api::create_agency, api::get_agency, api::update_agency,
        api::list_users, api::create_user, api::get_user, api::update_user,
        api::list_certificates, api::create_certificate, api::get_certificate, api::update_certificate,
        api::history, api::export_personnel, api::import_personnel,
        api::list_tokens, api::create_token, api::revoke_token,
        api::calendar_days, api::calendar_deadline, api::calendar_periods, api::calendar_years,
        api::get_evidence, api::get_evidence_file, api::retrieve_evidence, api::retrievals,
        case_api::procedures, case_api::flowchart, case_api::list_cases,
        case_api::open_case, case_api::get_case, case_api::retrieve_case, case_api::take_step,
        case_api::document, case_api::archive, case_api::party_cases,
        review_api::get_catalogue, review_api::put_catalogue, review_api::export_catalogue,
        review_api::import_catalogue, review_api::queue, review_api::responsibility,
        review_api::staffing,
        warning_api::list, warning_api::get, warning_api::handle, dashboard_api::get,
        inspection_api::list, inspection_api::get, inspection_api::add_finding, inspection_api::handle,
        portal::api_decisions, portal::api_lists, portal::api_decision, portal::api_verification,
        api::ledger_checkpoint, api::ledger_public_key, api::ledger_leaves, api::ledger_inclusion, api::ledger_consistency,
        tus::options, tus::create, tus::head, tus::patch, tus::delete,
        tus::options_upload,
    ),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        openapi.security =
            Some(vec![utoipa::openapi::security::SecurityRequirement::new("bearer", Vec::<String>::new())]);
    }
}

/// The document: the annotated handlers' paths and every registry's.
pub async fn openapi_json(State(s): State<AppState>) -> Result<Json<serde_json::Value>, AppError> {
    let mut doc = serde_json::to_value(ApiDoc::openapi())
        .map_err(|e| AppError::from(zhifa_service::ServiceError::caused("the OpenAPI document", e)))?;
    registry_api::openapi_paths(&mut doc, s.service.registries());
    // The codes an error may carry, every one.
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.code()).collect();
    doc["components"]["schemas"]["ErrorBody"]["properties"]["code"]["enum"] = serde_json::json!(codes);
    common_errors(&mut doc);
    Ok(Json(doc))
}

/// The errors any operation may answer besides its own, documented on each
/// where it lacks them: a request that cannot be read (400), a server error
/// (500); with a path parameter, nothing there (404); with credentials, none
/// or not enough (401, 403); with a body, too large, of another type, or of
/// fields that do not fit (413, 415, 422).
fn common_errors(doc: &mut serde_json::Value) {
    use ErrorCode as C;
    let error = |code: ErrorCode| {
        let body = serde_json::json!({ "$ref": "#/components/schemas/ErrorBody" });
        serde_json::json!({ "description": code.message(), "content": { "application/json": { "schema": body } } })
    };
    let Some(paths) = doc["paths"].as_object_mut() else { return };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, op) in item.iter_mut() {
            if !["get", "post", "put", "delete", "patch", "head", "options"].contains(&method.as_str()) {
                continue;
            }
            let public = op["security"] == serde_json::json!([{}]);
            let mut codes = vec![C::BadRequest, C::Internal];
            if path.contains('{') {
                codes.push(C::NotFound);
            }
            if !public {
                codes.extend([C::Unauthenticated, C::Forbidden]);
            }
            if op.get("requestBody").is_some() {
                codes.extend([C::TooLarge, C::UnsupportedMediaType, C::InvalidInput]);
            }
            let Some(responses) = op["responses"].as_object_mut() else { continue };
            for code in codes {
                let status =
                    if code == C::InvalidInput { "422".to_owned() } else { code.status().as_u16().to_string() };
                responses.entry(status).or_insert_with(|| error(code));
            }
        }
    }
}
