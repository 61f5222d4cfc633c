//! Typed ids: a `UserId` can never be passed where an `AgencyId` is meant.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! id_type {
    ($($(#[$m:meta])* $name:ident),* $(,)?) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$name> for i64 {
            fn from(v: $name) -> i64 {
                v.0
            }
        }

        impl From<i64> for $name {
            fn from(v: i64) -> Self {
                Self(v)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }
    )*};
}

id_type!(
    /// An enforcement agency (执法主体).
    AgencyId,
    /// A person with an account or on a personnel list.
    UserId,
    /// An officer's enforcement certificate (执法证).
    CertificateId,
    /// An enforcement item (执法事项).
    ItemId,
    /// A random-inspection item (随机抽查事项).
    InspectionItemId,
    /// A service guide (服务指南).
    ServiceGuideId,
    /// A discretion benchmark (自由裁量基准).
    DiscretionBenchmarkId,
    /// A bearer token for machine clients.
    TokenId,
    /// A row of the append-only `records` table.
    RecordId,
    /// A case (案件).
    CaseId,
    /// A resumable upload of an audio/video record (音像记录), and the
    /// evidence it becomes.
    UploadId,
    /// An agency's legal-review catalogue (重大执法决定法制审核目录清单).
    ReviewCatalogueId,
    /// A decision's publication (公示): its versions, withdrawal and expiry.
    PublicationId,
    /// A complaint or report from the public (投诉举报).
    ComplaintId,
    /// An agency's published annual report of a year (统计年报).
    AnnualReportId,
    /// An early warning (预警) and its handling.
    WarningId,
    /// An agency's online inspection report of a quarter (网上巡查).
    InspectionId,
);
