//! Audio/video records (音像记录, SPEC REC-5): what an uploaded file proves,
//! and the rule on late uploads.

use crate::error::{Invalid, optional_text, required_text};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// What is known of an evidence file before its bytes arrive: sent by the
/// uploader as tus `Upload-Metadata`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceMeta {
    /// The case it belongs to (案件编号), as the agency numbers it.
    pub case_number: String,
    /// The step of the case it proves (e.g. 现场检查).
    pub step: String,
    /// When it was captured (UTC).
    pub captured_at: Timestamp,
    /// Where it was captured.
    pub place: String,
    /// Who captured it (采集人).
    pub collector: String,
    /// What it proves (证明对象).
    pub proves: String,
    /// The file name on the capturing device.
    pub filename: String,
    /// `image/jpeg`, `video/mp4`, …
    pub media_type: String,
}

/// The most bytes one evidence file may have: 64 GiB.
pub const MAX_EVIDENCE_BYTES: u64 = 64 << 30;

impl EvidenceMeta {
    /// From `key → value` pairs (tus metadata, decoded): `case_number`, `step`,
    /// `captured_at` (RFC 3339), `place`, `collector`, `proves`, `filename`,
    /// `filetype`.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, Invalid> {
        let mut get = std::collections::HashMap::new();
        for (k, v) in pairs {
            get.insert(k, v);
        }
        let field = |k: &str| get.get(k).copied().unwrap_or("");
        let captured = field("captured_at");
        let captured_at = captured.parse::<Timestamp>().map_err(|_| {
            Invalid::new("采集时间", format!("“{captured}”不是带时区的时间（如 2025-03-01T09:30:00+08:00）"))
        })?;
        Ok(Self {
            case_number: required_text("案件编号", field("case_number"), 64)?,
            step: required_text("所属环节", field("step"), 64)?,
            captured_at,
            place: required_text("采集地点", field("place"), 200)?,
            collector: required_text("采集人", field("collector"), 64)?,
            proves: required_text("证明对象", field("proves"), 500)?,
            filename: optional_text("文件名", field("filename"), 255)?,
            media_type: optional_text("文件类型", field("filetype"), 100)?,
        })
    }
}

/// What an evidence file is, by the MIME type read from its bytes (never
/// by its name or the type its uploader declared).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Audio,
    Video,
    /// Anything else, or bytes of no known kind (a text file).
    Other,
}

impl MediaKind {
    /// The kind of a MIME type read from the bytes (`None`: no known kind).
    pub fn of(content_type: Option<&str>) -> Self {
        match content_type.and_then(|t| t.split('/').next()) {
            Some("image") => Self::Image,
            Some("audio") => Self::Audio,
            Some("video") => Self::Video,
            _ => Self::Other,
        }
    }

    /// Sound or moving pictures: what a stage that must be recorded on
    /// audio/video (全程音像记录) needs; a photo or a document is not that.
    pub fn is_audio_or_video(self) -> bool {
        matches!(self, Self::Audio | Self::Video)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Image => "照片",
            Self::Audio => "录音",
            Self::Video => "录像",
            Self::Other => "其他文件",
        }
    }
}

/// REC-5: audio/video records are stored within 24 hours of capture; a later
/// upload is accepted and flagged.
pub fn rec_5_is_late(captured_at: Timestamp, stored_at: Timestamp) -> bool {
    stored_at.duration_since(captured_at) > SignedDuration::from_hours(24)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(captured: &str) -> Vec<(&str, &str)> {
        vec![
            ("case_number", "西湖市监立〔2025〕12号"),
            ("step", "现场检查"),
            ("captured_at", captured),
            ("place", "杭州市西湖区文三路 1 号"),
            ("collector", "王五"),
            ("proves", "现场存放过期食品"),
            ("filename", "IMG_0001.jpg"),
            ("filetype", "image/jpeg"),
        ]
    }

    #[test]
    fn rec_5_upload_more_than_24_hours_after_capture_is_flagged() {
        let captured: Timestamp = "2025-03-01T09:00:00+08:00".parse().unwrap();
        let on_time: Timestamp = "2025-03-02T09:00:00+08:00".parse().unwrap();
        let late: Timestamp = "2025-03-02T09:00:01+08:00".parse().unwrap();
        assert!(!rec_5_is_late(captured, on_time));
        assert!(rec_5_is_late(captured, late));
    }

    #[test]
    fn rec_5_only_sound_or_moving_pictures_are_audio_video_records() {
        assert!(MediaKind::of(Some("video/webm")).is_audio_or_video());
        assert!(MediaKind::of(Some("audio/x-wav")).is_audio_or_video());
        assert!(!MediaKind::of(Some("image/png")).is_audio_or_video());
        assert!(!MediaKind::of(Some("application/pdf")).is_audio_or_video());
        assert!(!MediaKind::of(None).is_audio_or_video());
    }

    #[test]
    fn metadata_needs_what_it_proves() {
        let meta = EvidenceMeta::from_pairs(pairs("2025-03-01T09:00:00+08:00")).unwrap();
        assert_eq!(meta.captured_at.to_string(), "2025-03-01T01:00:00Z");
        let mut p = pairs("2025-03-01T09:00:00+08:00");
        p.retain(|(k, _)| *k != "proves");
        assert_eq!(EvidenceMeta::from_pairs(p).unwrap_err().field, "证明对象");
        assert_eq!(EvidenceMeta::from_pairs(pairs("2025-03-01")).unwrap_err().field, "采集时间");
    }
}
