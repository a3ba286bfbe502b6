//! The JSON API's shared parts: the error body every endpoint documents.

use serde::Serialize;
use utoipa::ToSchema;

/// The body of every API error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code: `not_found`, `bad_request`, `invalid`, `conflict`, `rate_limited`, `internal`.
    pub code: String,
    pub message: String,
    /// Quote this when reporting a problem.
    pub request_id: String,
}
