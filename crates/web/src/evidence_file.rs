//! Evidence files served so that nothing an uploader sent can run on the
//! platform's origin. The type is read from the file's first bytes, never
//! taken from the uploader's `filetype`; only pictures, sound, video and PDF
//! are shown inline, anything else is a download; and every answer carries
//! `nosniff` and `Content-Security-Policy: sandbox`, so even a file a browser
//! renders is a document without scripts, forms or same-origin rights.

use crate::download::disposition;
use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use zhifa_service::UploadRow;

/// The types a browser may show in place: none of them can carry script.
/// (SVG is an image that can; it is never detected, so it is a download.)
const INLINE: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/bmp",
    "image/tiff",
    "image/heif",
    "image/avif",
    "audio/mpeg",
    "audio/m4a",
    "audio/aac",
    "audio/ogg",
    "audio/opus",
    "audio/x-flac",
    "audio/x-wav",
    "audio/amr",
    "video/mp4",
    "video/x-m4v",
    "video/quicktime",
    "video/webm",
    "video/x-matroska",
    "video/x-msvideo",
    "video/mpeg",
    "application/pdf",
];

/// Bytes read before the type is chosen: more than any signature in [`INLINE`] needs.
const SNIFF_LEN: usize = 8 << 10;

/// Every evidence answer is a sandboxed document: no script, form or
/// same-origin right even if a browser renders it (`nosniff` comes with every
/// answer, from `headers::common`).
const SANDBOX: &str = "sandbox";

/// Sound and video keep their origin (still without scripts or forms): the
/// player a browser opens for them fetches the file again, and from an
/// opaque origin that request would go without the session cookie
/// (`SameSite`) and the player would stay empty.
const SANDBOX_MEDIA: &str = "sandbox allow-same-origin";

/// The `Content-Security-Policy` an evidence file of `content_type` is served with.
pub fn policy(content_type: &str) -> &'static str {
    if content_type.starts_with("audio/") || content_type.starts_with("video/") { SANDBOX_MEDIA } else { SANDBOX }
}

/// The type a file starting with `head` is served inline as, if any.
pub fn inline_type(head: &[u8]) -> Option<&'static str> {
    let found = infer::get(head)?.mime_type();
    INLINE.iter().copied().find(|m| *m == found)
}

/// The response for a stored evidence file: its first bytes decide how it is served.
pub async fn response(upload: &UploadRow, mut stream: zhifa_service::BlobStream) -> std::io::Result<Response> {
    let mut head = Vec::new();
    while head.len() < SNIFF_LEN {
        match stream.next().await {
            Some(chunk) => head.extend_from_slice(&chunk?),
            None => break,
        }
    }
    let (content_type, kind) = match inline_type(&head) {
        Some(t) => (t, "inline"),
        None => ("application/octet-stream", "attachment"),
    };
    let filename = if upload.meta.filename.is_empty() { "evidence" } else { upload.meta.filename.as_str() };
    let body = Body::from_stream(futures_util::stream::once(async move { Ok(Bytes::from(head)) }).chain(stream));
    Ok((
        [(header::CONTENT_SECURITY_POLICY, policy(content_type))],
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition(kind, filename)),
            (header::CONTENT_LENGTH, upload.length.to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_comes_from_the_bytes() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(inline_type(png), Some("image/png"));
        assert_eq!(inline_type(b"%PDF-1.7\n"), Some("application/pdf"));
        let mp4 = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom";
        assert_eq!(inline_type(mp4), Some("video/mp4"));
        for script in [
            &b"<!DOCTYPE html><script>alert(1)</script>"[..],
            b"<html><body onload=alert(1)>",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
            b"<?xml version=\"1.0\"?><svg/>",
            b"alert(document.cookie)",
            b"",
        ] {
            assert_eq!(inline_type(script), None, "{}", String::from_utf8_lossy(script));
        }
        // Known to the sniffer but not shown in place: an archive is a download.
        assert_eq!(inline_type(b"PK\x03\x04\x14\0\0\0\x08\0"), None);
        // Only sound and video keep their origin, and never scripts.
        assert_eq!(policy("video/webm"), "sandbox allow-same-origin");
        assert_eq!(policy("image/png"), "sandbox");
        assert_eq!(policy("application/octet-stream"), "sandbox");
    }
}
