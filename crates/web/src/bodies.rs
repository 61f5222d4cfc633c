//! Request and response bodies that several parts of the API share.

use axum::Json;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhifa_domain::ids::AgencyId;

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportOut {
    pub created: usize,
}

impl From<AgencyId> for Created {
    fn from(id: AgencyId) -> Self {
        Created { id: id.0 }
    }
}

pub fn created(id: i64) -> (StatusCode, Json<Created>) {
    (StatusCode::CREATED, Json(Created { id }))
}

/// Why another agency's case or evidence is read (调阅): recorded with the
/// reader in the ledger; opens it to them for [`zhifa_service::RETRIEVAL_HOURS`] hours.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RetrievalRequest {
    pub reason: String,
}
