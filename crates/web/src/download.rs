//! Files handed to the browser to save: exports, reports and documents.

use axum::http::header;
use axum::response::IntoResponse;

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub const PDF: &str = "application/pdf";

pub fn xlsx_download(bytes: Vec<u8>, filename: &str) -> impl IntoResponse {
    download(bytes, XLSX, filename)
}

/// `bytes` as a file to save, of `content_type`, named `filename`.
pub fn download(bytes: Vec<u8>, content_type: &str, filename: &str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition("attachment", filename)),
        ],
        bytes,
    )
}

/// `Content-Disposition` of `kind` (`attachment` or `inline`) for `filename`:
/// RFC 5987 for a Chinese name, with an ASCII fallback that keeps only a
/// plain extension, so no name can break out of the header.
pub fn disposition(kind: &str, filename: &str) -> String {
    let encoded: String = filename
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'.' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    let extension = filename
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| !e.is_empty() && e.len() <= 10 && e.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or("bin");
    format!("{kind}; filename=\"export.{extension}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_name_cannot_break_out_of_its_header() {
        let d = disposition("attachment", "现场.mp4\r\nSet-Cookie: a=b\".html");
        assert!(axum::http::HeaderValue::from_str(&d).is_ok(), "{d}");
        assert!(d.starts_with("attachment; filename=\"export.html\"; filename*=UTF-8''"), "{d}");
        assert_eq!(d.matches('"').count(), 2, "{d}");
        assert!(!d.contains(['\r', '\n']), "{d}");
        assert_eq!(
            disposition("inline", "照片.jpg"),
            "inline; filename=\"export.jpg\"; filename*=UTF-8''%E7%85%A7%E7%89%87.jpg"
        );
        assert_eq!(
            disposition("attachment", "清单"),
            "attachment; filename=\"export.bin\"; filename*=UTF-8''%E6%B8%85%E5%8D%95"
        );
    }
}
