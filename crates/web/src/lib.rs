//! HTTP: the JSON API, the staff console and health checks. All routes are in
//! [`router`]; handlers call `zhifa_service` and know nothing of SQL.

pub mod api;
pub mod assets;
pub mod auth;
pub mod bodies;
pub mod case_api;
pub mod case_console;
pub mod console;
pub mod dashboard_api;
pub mod dashboard_console;
pub mod download;
pub mod error;
pub mod evidence_file;
pub mod extract;
pub mod headers;
pub mod inspection_api;
pub mod inspection_console;
pub mod openapi;
pub mod page;
pub mod portal;
pub mod publicity_console;
pub mod registry_api;
pub mod review_api;
pub mod review_console;
pub mod tus;
pub mod warning_api;
pub mod warning_console;

use axum::Router;
use axum::routing::{get, post};
use std::net::SocketAddr;
use zhifa_service::Service;

/// What every handler shares, behind one `Arc`: axum clones the state for
/// each request, and a `Service` is many `Arc`s.
#[derive(Clone)]
pub struct AppState(std::sync::Arc<Shared>);

pub struct Shared {
    pub service: Service,
    /// Mark cookies `Secure` (when served over HTTPS).
    pub secure_cookies: bool,
    /// Rendered decision pages, each checked against its version.
    pub pages: portal::PageCache,
    /// Reached only through a reverse proxy that appends the client's address
    /// to `X-Forwarded-For`: take the client's address from there.
    pub trust_forwarded_for: bool,
}

impl AppState {
    pub fn new(service: Service, secure_cookies: bool) -> Self {
        Self::behind_proxy(service, secure_cookies, false)
    }

    pub fn behind_proxy(service: Service, secure_cookies: bool, trust_forwarded_for: bool) -> Self {
        Self(std::sync::Arc::new(Shared {
            service,
            secure_cookies,
            pages: portal::PageCache::default(),
            trust_forwarded_for,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Every route of the server.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/me", get(api::me))
        .route("/agencies", get(api::list_agencies).post(api::create_agency))
        .route("/agencies/{id}", get(api::get_agency).put(api::update_agency))
        .route("/agencies/{id}/users", get(api::list_users).post(api::create_user))
        .route("/agencies/{id}/certificates", get(api::list_certificates))
        .route("/agencies/{id}/personnel.xlsx", get(api::export_personnel).post(api::import_personnel))
        // Every registry: `{registry}` is its slug (`items`, `service-guides` …),
        // and `{registry}.xlsx` its workbook.
        .route("/agencies/{id}/{registry}", get(registry_api::list).post(registry_api::create))
        .route("/{registry}/{id}", get(registry_api::get).put(registry_api::update))
        .route("/users/{id}", get(api::get_user).put(api::update_user))
        .route("/users/{id}/certificates", post(api::create_certificate))
        .route("/users/{id}/tokens", get(api::list_tokens).post(api::create_token))
        .route("/tokens/{id}", axum::routing::delete(api::revoke_token))
        .route("/certificates/{id}", get(api::get_certificate).put(api::update_certificate))
        .route("/history/{entity}/{id}", get(api::history))
        .route("/calendar/days", get(api::calendar_days))
        .route("/calendar/deadline", get(api::calendar_deadline))
        .route("/calendar/periods", get(api::calendar_periods))
        .route("/calendar/years", get(api::calendar_years))
        .route("/procedures", get(case_api::procedures))
        .route("/procedures/{id}/flowchart.svg", get(case_api::flowchart))
        .route("/cases", get(case_api::list_cases).post(case_api::open_case))
        .route("/cases/{id}", get(case_api::get_case))
        .route("/cases/{id}/retrieval", post(case_api::retrieve_case))
        .route("/cases/{id}/steps", post(case_api::take_step))
        .route("/cases/{id}/documents/{kind}", get(case_api::document))
        .route("/cases/{id}/archive.zip", get(case_api::archive))
        .route("/parties/{key}/cases", get(case_api::party_cases))
        .route("/cases/{id}/responsibility", get(review_api::responsibility))
        .route("/agencies/{id}/review-catalogue", get(review_api::get_catalogue).put(review_api::put_catalogue))
        .route(
            "/agencies/{id}/review-catalogue.xlsx",
            get(review_api::export_catalogue).post(review_api::import_catalogue),
        )
        .route("/reviews", get(review_api::queue))
        .route("/staffing", get(review_api::staffing))
        .route("/retrievals", get(api::retrievals))
        .route("/dashboard", get(dashboard_api::get))
        .route("/inspections", get(inspection_api::list))
        .route("/inspections/{id}", get(inspection_api::get))
        .route("/inspections/{id}/findings", post(inspection_api::add_finding))
        .route("/inspections/{id}/{action}", post(inspection_api::handle))
        .route("/warnings", get(warning_api::list))
        .route("/warnings/{id}", get(warning_api::get))
        .route("/warnings/{id}/{action}", post(warning_api::handle))
        .route("/evidence/{id}", get(api::get_evidence))
        .route("/evidence/{id}/file", get(api::get_evidence_file))
        .route("/evidence/{id}/retrieval", post(api::retrieve_evidence))
        .route("/ledger/checkpoint", get(api::ledger_checkpoint))
        .route("/ledger/public-key", get(api::ledger_public_key))
        .route("/ledger/leaves", get(api::ledger_leaves))
        .route("/ledger/proof/inclusion", get(api::ledger_inclusion))
        .route("/ledger/proof/consistency", get(api::ledger_consistency))
        .route("/public/decisions", get(portal::api_decisions))
        .route("/public/lists", get(portal::api_lists))
        .route("/public/decisions/{id}", get(portal::api_decision))
        .route("/public/decisions/{id}/verification", get(portal::api_verification))
        .route("/openapi.json", get(openapi::openapi_json))
        .fallback(|| async { error::AppError::not_found() });

    let uploads = Router::new()
        .route("/uploads", axum::routing::options(tus::options).post(tus::create))
        .route(
            "/uploads/{id}",
            axum::routing::head(tus::head).patch(tus::patch).delete(tus::delete).options(tus::options_upload),
        )
        .layer(axum::middleware::map_response(tus::tus_resumable));
    let api = api
        .merge(uploads)
        .layer(axum::middleware::map_response(error::json_rejections))
        .layer(axum::middleware::map_response(headers::no_store));

    let console = Router::new()
        .route("/", get(console::home))
        .route("/login", get(console::login_form).post(console::login))
        .route("/logout", post(console::logout))
        .route("/agencies/{id}", get(console::agency))
        .route("/agencies/{id}/{kind}", get(console::list).post(console::create))
        .route("/agencies/{id}/{kind}/new", get(console::new_form))
        .route("/agencies/{id}/{kind}/import", post(console::import))
        .route("/history/{entity}/{id}", get(console::history))
        .route("/calendar", get(console::calendar))
        .route("/cases", get(case_console::list).post(case_console::open))
        .route("/cases/new", get(case_console::new_form))
        .route("/cases/{id}", get(case_console::show))
        .route("/cases/{id}/steps", post(case_console::step))
        .route("/cases/{id}/retrieval", post(case_console::retrieve))
        .route("/procedures", get(case_console::procedures))
        .route("/parties/{key}", get(case_console::party))
        .route("/reviews", get(review_console::queue))
        .route("/review-catalogue", get(review_console::catalogue).post(review_console::catalogue_post))
        .route("/cases/{id}/responsibility", get(review_console::responsibility))
        .route("/staffing", get(review_console::staffing))
        .route("/retrievals", get(console::retrievals))
        .route("/dashboard", get(dashboard_console::page))
        .route("/dashboard.xlsx", get(dashboard_console::xlsx))
        .route("/inspections", get(inspection_console::list).post(inspection_console::run))
        .route("/inspections/{id}", get(inspection_console::show).post(inspection_console::post))
        .route("/warnings", get(warning_console::list))
        .route("/warnings/{id}", get(warning_console::show).post(warning_console::handle))
        .route("/evidence/upload", get(console::upload_page))
        .route("/complaints", get(publicity_console::complaints))
        .route("/complaints/{id}", post(publicity_console::answer))
        .route("/publications", get(publicity_console::desk))
        .route("/reports", post(publicity_console::publish_report))
        .route("/publications/preview/{case}", get(publicity_console::preview).post(publicity_console::publish))
        .route("/publications/{id}", get(publicity_console::manage).post(publicity_console::change))
        .route("/{kind}/{id}/edit", get(console::edit_form))
        .route("/{kind}/{id}", post(console::update))
        .layer(axum::middleware::map_response(headers::no_store));

    Router::new()
        .route("/", get(portal::home))
        .route("/agencies", get(portal::agencies))
        .route("/agencies/{id}", get(portal::agency))
        .route("/agencies/{id}/history/{entity}/{eid}", get(portal::history))
        .route("/complaints", get(portal::complaint_form).post(portal::complaint_submit))
        .route("/complaints/status", get(portal::complaint_status))
        .route("/reports", get(portal::reports))
        .route("/reports/{year}", get(portal::report))
        .route("/reports/{year}/report.xlsx", get(portal::report_xlsx))
        .route("/reports/{year}/report.pdf", get(portal::report_pdf))
        .route("/reports/{year}/agencies/{id}", get(portal::agency_report))
        .route("/reports/{year}/agencies/{id}/report.xlsx", get(portal::agency_report_xlsx))
        .route("/reports/{year}/agencies/{id}/report.pdf", get(portal::agency_report_pdf))
        .route("/search", get(portal::search))
        .route("/decisions", get(portal::decisions))
        .route("/decisions/{id}", get(portal::decision))
        .route("/decisions/{id}/verify", get(portal::verify))
        .route("/healthz", get(|| async { "ok" }))
        .route(assets::CONSOLE_CSS.path(), get(assets::console_css))
        .route(assets::UPLOAD_JS.path(), get(assets::upload_js))
        .route(assets::FAVICON.path(), get(assets::favicon))
        .route("/favicon.ico", get(assets::favicon))
        .nest("/api/v1", api)
        .nest("/console", console)
        .fallback(|| async { error::PageError(error::AppError::not_found()) })
        .layer(axum::middleware::map_response(error::page_rejections))
        .layer(axum::middleware::from_fn(error::portal_errors))
        .layer(axum::middleware::map_response_with_state(state.clone(), headers::common))
        .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(headers::span))
        .layer(axum::middleware::from_fn(headers::request_id))
        .with_state(state)
}

/// Serve until Ctrl-C; `bound` is told the address once listening (port 0
/// picks a free port).
pub async fn serve(state: AppState, listen: SocketAddr, bound: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let listen = listener.local_addr()?;
    tracing::info!(%listen, "serving");
    bound(listen);
    axum::serve(listener, router(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            tokio::signal::ctrl_c().await.ok();
        })
        .await
}

/// Logs to stderr: readable by default, JSON when `ZHIFA_LOG_FORMAT=json`;
/// levels from `RUST_LOG` (default `info`).
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("ZHIFA_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}
