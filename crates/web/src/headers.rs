//! The headers every answer carries: no inline script anywhere, no framing,
//! no sniffing, no referrer to other sites; nothing signed-in kept in a cache;
//! HSTS when the server is reached over HTTPS. A handler that set its own
//! policy (an evidence file's `sandbox`, a document's styles) keeps it.

use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;

/// The policy of every page: scripts and styles from our own files only.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// An enforcement document: its own inline styles, and nothing that runs.
pub const DOCUMENT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

pub const HSTS: &str = "max-age=31536000";

pub async fn common(State(s): State<AppState>, mut res: Response) -> Response {
    let h = res.headers_mut();
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(CSP));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if s.secure_cookies {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    res
}

/// The console's and the API's answers are for one signed-in person, or
/// change with every write: never stored by a browser or a proxy.
pub async fn no_store(mut res: Response) -> Response {
    res.headers_mut().entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    res
}

/// The header that names a request in the logs and in its answer.
pub const REQUEST_ID: &str = "x-request-id";

/// A request's id: this process's random prefix and a counter, unless a
/// proxy in front already gave one (kept if it is short and plain).
pub async fn request_id(mut req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    static PREFIX: std::sync::LazyLock<u32> = std::sync::LazyLock::new(|| {
        let mut bytes = [0u8; 4];
        getrandom::fill(&mut bytes).ok();
        u32::from_le_bytes(bytes)
    });
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let given = req
        .headers()
        .get(REQUEST_ID)
        .filter(|v| v.len() <= 64 && v.as_bytes().iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-'))
        .cloned();
    let id = given.unwrap_or_else(|| {
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        HeaderValue::from_str(&format!("{:08x}-{n:x}", *PREFIX)).unwrap_or(HeaderValue::from_static("-"))
    });
    req.headers_mut().insert(REQUEST_ID, id.clone());
    let mut res = next.run(req).await;
    res.headers_mut().insert(REQUEST_ID, id);
    res
}

/// The span of one request in the logs: its id, method and path (never the
/// query, which may carry what a person typed). At `warn`, so that the
/// warnings inside it carry the id even when only warnings are logged.
pub fn span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::warn_span!("request", id, method = %req.method(), path = %req.uri().path())
}
