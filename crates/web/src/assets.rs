//! The console's and portal's static files: addressed by a digest of their
//! content (`/static/console.css?v=…`), so a browser may keep them a year and
//! still never sees a stale one; gzipped once, for clients that take it.

use axum::extract::Query;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::io::Write;
use std::sync::LazyLock;

pub struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static str,
    /// The query that names this content: `v=` and 16 hex digits.
    version: String,
    url: String,
    gzip: Vec<u8>,
}

impl Asset {
    fn new(path: &'static str, content_type: &'static str, body: &'static str) -> Self {
        let version = format!("{:016x}", fnv1a(body.as_bytes()));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing into a Vec cannot fail.
        let gzip = gz.write_all(body.as_bytes()).and_then(|()| gz.finish()).unwrap_or_default();
        Self { path, content_type, body, url: format!("{path}?v={version}"), version, gzip }
    }

    /// The address to put in a page: changes whenever the content does.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn path(&self) -> &'static str {
        self.path
    }

    fn response(&self, headers: &HeaderMap, version: Option<&str>) -> Response {
        // Kept a year only under the address of this very content.
        let cache = if version == Some(self.version.as_str()) {
            "public, max-age=31536000, immutable"
        } else {
            "public, max-age=300"
        };
        let gzip = !self.gzip.is_empty()
            && headers
                .get_all(header::ACCEPT_ENCODING)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .any(|e| {
                    let mut parts = e.trim().split(';');
                    parts.next() == Some("gzip") && parts.all(|q| q.trim().replace(' ', "") != "q=0")
                });
        let common = [
            (header::CONTENT_TYPE, HeaderValue::from_static(self.content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            (header::VARY, HeaderValue::from_static("accept-encoding")),
        ];
        if gzip {
            (common, [(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"))], self.gzip.clone()).into_response()
        } else {
            (common, self.body).into_response()
        }
    }
}

/// 64-bit FNV-1a: a content digest for cache busting, not for security.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

pub static CONSOLE_CSS: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new("/static/console.css", "text/css; charset=utf-8", include_str!("../static/console.css"))
});

pub static UPLOAD_JS: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new("/static/upload.js", "text/javascript; charset=utf-8", include_str!("../static/upload.js"))
});

/// A pair of scales on the seal's red, for the browser's tab (served at
/// `/favicon.ico` too, where browsers look by themselves).
pub static FAVICON: LazyLock<Asset> =
    LazyLock::new(|| Asset::new("/static/favicon.svg", "image/svg+xml", include_str!("../static/favicon.svg")));

#[derive(serde::Deserialize)]
pub struct VersionQuery {
    v: Option<String>,
}

pub async fn console_css(headers: HeaderMap, Query(q): Query<VersionQuery>) -> Response {
    CONSOLE_CSS.response(&headers, q.v.as_deref())
}

pub async fn upload_js(headers: HeaderMap, Query(q): Query<VersionQuery>) -> Response {
    UPLOAD_JS.response(&headers, q.v.as_deref())
}

pub async fn favicon(headers: HeaderMap, Query(q): Query<VersionQuery>) -> Response {
    FAVICON.response(&headers, q.v.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn headers(accept: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(accept).unwrap_or(HeaderValue::from_static("")));
        h
    }

    #[test]
    fn an_asset_is_kept_long_only_under_its_own_version_and_gzipped_when_asked() {
        let css = &*CONSOLE_CSS;
        assert!(
            css.url().starts_with("/static/console.css?v=") && css.url().len() == "/static/console.css?v=".len() + 16
        );
        let r = css.response(&headers("gzip, deflate, br"), Some(&css.version));
        assert_eq!(r.headers()[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
        assert_eq!(r.headers()[header::CONTENT_ENCODING], "gzip");
        let mut unpacked = String::new();
        flate2::read::GzDecoder::new(css.gzip.as_slice()).read_to_string(&mut unpacked).unwrap_or_default();
        assert_eq!(unpacked, css.body);
        assert!(css.gzip.len() * 2 < css.body.len(), "{} → {}", css.body.len(), css.gzip.len());
        let r = css.response(&headers("gzip;q=0, identity"), Some("0000000000000000"));
        assert_eq!(r.headers()[header::CACHE_CONTROL], "public, max-age=300", "an old address is not kept long");
        assert!(r.headers().get(header::CONTENT_ENCODING).is_none());
        assert_ne!(fnv1a(b"a"), fnv1a(b"b"));
    }
}
