//! Resumable uploads of audio/video records: the tus 1.0 protocol (core,
//! creation, termination) at `/api/v1/uploads`. Bytes are streamed to disk
//! and through the hasher chunk by chunk, never held whole.

use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorCode};
use crate::extract::Path;
use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use http_body_util::BodyExt;
use zhifa_domain::evidence::{EvidenceMeta, MAX_EVIDENCE_BYTES};
use zhifa_domain::ids::UploadId;

pub const TUS_VERSION: &str = "1.0.0";

/// Every answer under `/api/v1/uploads` says which tus it speaks.
pub async fn tus_resumable(mut response: Response) -> Response {
    response.headers_mut().insert("Tus-Resumable", HeaderValue::from_static(TUS_VERSION));
    response
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A tus request's headers: refused unless it says `Tus-Resumable: 1.0.0`.
pub struct Tus(HeaderMap);

impl<S: Send + Sync> FromRequestParts<S> for Tus {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        if header_str(&parts.headers, "Tus-Resumable") != Some(TUS_VERSION) {
            return Err(AppError::of(ErrorCode::TusVersion));
        }
        Ok(Tus(parts.headers.clone()))
    }
}

/// A tus number: ASCII digits only (Rust's `parse` would also take `+10`).
fn number(headers: &HeaderMap, name: &str) -> Result<u64, AppError> {
    header_str(headers, name)
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| AppError::bad_request(format!("缺少或无法识别请求头 {name}")))
}

/// `Upload-Metadata`: comma-separated `key base64(value)` pairs.
fn metadata(headers: &HeaderMap) -> Result<Vec<(String, String)>, AppError> {
    let raw = header_str(headers, "Upload-Metadata").unwrap_or("");
    let mut pairs = Vec::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once(' ').unwrap_or((pair, ""));
        let value = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .ok()
            .and_then(|v| String::from_utf8(v).ok())
            .ok_or_else(|| AppError::bad_request(format!("Upload-Metadata 中“{key}”的值不是 base64 编码的 UTF-8")))?;
        pairs.push((key.to_owned(), value));
    }
    Ok(pairs)
}

/// What this tus server speaks (tus 1.0.0: creation, termination).
#[utoipa::path(options, path = "/api/v1/uploads", tag = "tus", security(()),
    responses((status = 204, description = "Tus-Version, Tus-Extension and Tus-Max-Size")))]
pub async fn options() -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            ("Tus-Version", TUS_VERSION.to_owned()),
            ("Tus-Extension", "creation,termination".to_owned()),
            ("Tus-Max-Size", MAX_EVIDENCE_BYTES.to_string()),
        ],
    )
        .into_response()
}

/// Creation: `Upload-Length` and `Upload-Metadata` (case_number, step,
/// captured_at, place, collector, proves, filename, filetype).
#[utoipa::path(post, path = "/api/v1/uploads", tag = "tus",
    params(("Tus-Resumable" = String, Header, description = "1.0.0"),
        ("Upload-Length" = u64, Header, description = "the file's size in bytes (ASCII digits; 0 is an empty upload, complete at once)"),
        ("Upload-Metadata" = String, Header, description = "comma-separated `key base64(value)`: case_number, step, captured_at (RFC 3339), place, collector, proves, filename, filetype")),
    responses((status = 201, description = "created; its address in `Location`", headers(("Location" = String))),
        (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 412, description = "without `Tus-Resumable: 1.0.0`", body = crate::error::ErrorBody),
        (status = 413, body = crate::error::ErrorBody)))]
pub async fn create(State(s): State<AppState>, user: ApiUser, Tus(headers): Tus) -> Result<Response, AppError> {
    let length = number(&headers, "Upload-Length")?;
    let pairs = metadata(&headers)?;
    let meta = EvidenceMeta::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|e| AppError::bad_request(e.to_string()))?;
    let id = s.service.create_upload(&user.actor(), length, meta).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, format!("/api/v1/uploads/{}", id.0))]).into_response())
}

/// Where an upload stands: resume a broken one from `Upload-Offset`.
#[utoipa::path(head, path = "/api/v1/uploads/{id}", tag = "tus", params(("id" = i64, Path), ("Tus-Resumable" = String, Header, description = "1.0.0")),
    responses((status = 200, description = "`Upload-Offset` and `Upload-Length`"), (status = 404), (status = 410, description = "terminated")))]
pub async fn head(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<UploadId>,
    _: Tus,
) -> Result<Response, AppError> {
    let status = s.service.upload_status(&user.actor(), id).await?;
    Ok((
        StatusCode::OK,
        [
            ("Upload-Offset", status.offset.to_string()),
            ("Upload-Length", status.upload.length.to_string()),
            ("Cache-Control", "no-store".to_owned()),
        ],
    )
        .into_response())
}

/// Bytes from `Upload-Offset` on; a broken connection keeps what arrived.
#[utoipa::path(patch, path = "/api/v1/uploads/{id}", tag = "tus",
    params(("id" = i64, Path), ("Tus-Resumable" = String, Header, description = "1.0.0"), ("Upload-Offset" = u64, Header, description = "where the upload stands")),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream"),
    responses((status = 204, description = "the new `Upload-Offset`"), (status = 400, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "the offset is not where the upload stands", body = crate::error::ErrorBody),
        (status = 410, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody),
        (status = 423, description = "another PATCH of this upload is under way", body = crate::error::ErrorBody)))]
pub async fn patch(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<UploadId>,
    Tus(headers): Tus,
    body: Body,
) -> Result<Response, AppError> {
    if header_str(&headers, "Content-Type") != Some("application/offset+octet-stream") {
        return Err(AppError::new(
            ErrorCode::UnsupportedMediaType,
            "PATCH 的 Content-Type 应为 application/offset+octet-stream",
        ));
    }
    let offset = number(&headers, "Upload-Offset")?;
    let actor = user.actor();
    let mut patch = s.service.begin_patch(&actor, id, offset).await?;
    let mut body = body;
    let mut broken = false;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    patch.write(data).await?;
                }
            }
            // The connection broke: keep what arrived, so the client resumes from there.
            Err(_) => {
                broken = true;
                break;
            }
        }
    }
    let offset = patch.finish().await?;
    if broken {
        return Err(AppError::bad_request(format!("连接中断，已保存 {offset} 字节，可从此处继续")));
    }
    Ok((StatusCode::NO_CONTENT, [("Upload-Offset", offset.to_string())]).into_response())
}

/// Termination: the uploader gives up an unfinished upload.
#[utoipa::path(delete, path = "/api/v1/uploads/{id}", tag = "tus", params(("id" = i64, Path), ("Tus-Resumable" = String, Header, description = "1.0.0")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 410, body = crate::error::ErrorBody)))]
pub async fn delete(
    State(s): State<AppState>,
    user: ApiUser,
    Path(id): Path<UploadId>,
    _: Tus,
) -> Result<Response, AppError> {
    s.service.terminate_upload(&user.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The same as [`options`], for one upload's address.
#[utoipa::path(options, path = "/api/v1/uploads/{id}", tag = "tus", security(()), params(("id" = i64, Path)),
    responses((status = 204, description = "Tus-Version, Tus-Extension and Tus-Max-Size")))]
pub async fn options_upload() -> Response {
    options().await
}
