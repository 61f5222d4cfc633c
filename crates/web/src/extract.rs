//! `Query` and `Path` as axum's, but a request they cannot read is answered
//! in Chinese, as JSON under `/api/` and as a page elsewhere (axum's own
//! rejections are English plain text). What failed is logged.

use crate::error::{AppError, PageError};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// The query string, deserialized.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

/// The path's parameters, deserialized.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

/// `error` as the kind of response the request's path calls for.
/// (Nested routers see their part of the path; the original is kept aside.)
fn answer(parts: &Parts, error: AppError) -> Response {
    let uri = parts.extensions.get::<axum::extract::OriginalUri>().map_or(&parts.uri, |o| &o.0);
    if uri.path().starts_with("/api/") { error.into_response() } else { PageError(error).into_response() }
}

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(e) => {
                tracing::debug!(uri = %parts.uri, error = %e.body_text(), "query string refused");
                Err(answer(
                    parts,
                    AppError::bad_request(
                        "网址中的查询参数有误（例如数字处填了文字，或同一参数出现两次），请检查后重试",
                    ),
                ))
            }
        }
    }
}

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(e) => {
                tracing::debug!(uri = %parts.uri, error = %e.body_text(), "path refused");
                // `/decisions/abc`: there is no such thing.
                Err(answer(parts, AppError::not_found()))
            }
        }
    }
}

/// The client's address: the peer's, or — behind a reverse proxy the server
/// was told to trust — the last address in `X-Forwarded-For` (the one that
/// proxy added; any before it the client could have written). `unknown`
/// when neither is there (requests made in-process).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddr(pub String);

impl FromRequestParts<crate::AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &crate::AppState) -> Result<Self, Self::Rejection> {
        let forwarded = || {
            let values = parts.headers.get_all("x-forwarded-for");
            let last = values.iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).last()?;
            let last = last.trim();
            last.parse::<std::net::IpAddr>().ok().map(|ip| ip.to_string())
        };
        let peer =
            || parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string());
        let found = if state.trust_forwarded_for { forwarded().or_else(peer) } else { peer() };
        Ok(ClientAddr(found.unwrap_or_else(|| "unknown".to_owned())))
    }
}
