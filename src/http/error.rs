//! The one HTTP error type. Handlers return `Result<_, AppError>`; [`AppError`] is mapped to a
//! status once, here. The body is written by the `render_errors` middleware, which knows the
//! request's language and whether the caller wants JSON (API and provider routes) or HTML.
//! Unexpected errors are logged with the request id and shown only as an opaque message.

use axum::response::{IntoResponse, Response};
use http::StatusCode;

use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// Not signed in (API routes; browser routes redirect to the sign-in page instead).
    #[error("sign in first")]
    Unauthorized,
    /// Signed in, but the member's roles do not allow this.
    #[error("forbidden")]
    Forbidden,
    /// A request the client must fix; the message is shown to the user as is.
    #[error("{0}")]
    BadRequest(String),
    /// The request conflicts with the current state (e.g. a callback that contradicts its session).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("too many requests")]
    TooManyRequests,
    /// Signed in, but refused for a reason the client can act on (403): a stable `code`
    /// (`two_factor_required`, `cross_origin`) and the message, shown as is.
    #[error("{code}: {message}")]
    Refused { code: &'static str, message: String },
    /// Too much expensive work (password hashing) at once: 503 with `Retry-After`.
    #[error("busy")]
    Busy,
    /// The node is at a limit (no database connection came free in time, every live
    /// stream slot taken): 503 with `Retry-After` in seconds.
    #[error("overloaded")]
    Overloaded { retry_after_secs: u32 },
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        // A NUL in a path, query or form field reaches PostgreSQL only where the edge did not
        // strip it: the client's fault (400 with the localized message), not a 500.
        if e.is_unstorable_text() {
            return AppError::BadRequest(String::new());
        }
        // Every pool connection busy past the acquire time-out: fail fast with 503.
        if e.is_pool_timeout() {
            return AppError::Overloaded {
                retry_after_secs: POOL_RETRY_AFTER_SECS,
            };
        }
        AppError::Internal(e.into())
    }
}

/// What a request that found no free database connection is told to wait, in seconds.
pub const POOL_RETRY_AFTER_SECS: u32 = 2;

impl From<crate::passwords::HashError> for AppError {
    fn from(e: crate::passwords::HashError) -> Self {
        match e {
            crate::passwords::HashError::Busy => AppError::Busy,
            crate::passwords::HashError::Failed(e) => AppError::Internal(e),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(e.into())
    }
}

/// Attached to error responses; the error middleware turns it into a body.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    /// A stable machine-readable code (`not_found`, `bad_request`, …).
    pub code: &'static str,
    /// The user-facing message, or `None` to use the localized default for the status.
    pub message: Option<String>,
}

/// The code for a status that did not come from an [`AppError`].
pub fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        s if s.is_client_error() => "bad_request",
        _ => "internal",
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::Refused { .. } => StatusCode::FORBIDDEN,
            AppError::Busy | AppError::Overloaded { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(e) if pool_timed_out(e) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let info = match &self {
            AppError::Unauthorized => ErrorInfo {
                code: "unauthorized",
                message: None,
            },
            AppError::Forbidden => ErrorInfo {
                code: "forbidden",
                message: None,
            },
            AppError::NotFound => ErrorInfo {
                code: "not_found",
                message: None,
            },
            AppError::BadRequest(m) => ErrorInfo {
                code: "bad_request",
                // No message: the localized one for the status.
                message: (!m.is_empty()).then(|| m.clone()),
            },
            AppError::Conflict(m) => ErrorInfo {
                code: "conflict",
                message: Some(m.clone()),
            },
            AppError::Unprocessable(m) => ErrorInfo {
                code: "invalid",
                message: Some(m.clone()),
            },
            AppError::TooManyRequests => ErrorInfo {
                code: "rate_limited",
                message: None,
            },
            AppError::Refused { code, message } => ErrorInfo {
                code,
                message: Some(message.clone()),
            },
            AppError::Busy | AppError::Overloaded { .. } => ErrorInfo {
                code: "busy",
                message: None,
            },
            AppError::Internal(e) if pool_timed_out(e) => {
                tracing::warn!(error = %e, "no database connection came free in time");
                ErrorInfo {
                    code: "busy",
                    message: None,
                }
            }
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                ErrorInfo {
                    code: "internal",
                    message: None,
                }
            }
        };
        let mut res = status.into_response();
        let retry_after = match &self {
            AppError::Busy => Some(crate::passwords::BUSY_RETRY_AFTER_SECS),
            AppError::Overloaded { retry_after_secs } => Some(u64::from(*retry_after_secs)),
            AppError::Internal(e) if pool_timed_out(e) => Some(u64::from(POOL_RETRY_AFTER_SECS)),
            _ => None,
        };
        if let Some(secs) = retry_after {
            res.headers_mut()
                .insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
        }
        res.extensions_mut().insert(info);
        res
    }
}

/// Whether an unexpected error is, underneath, a pool time-out (a `DbError` that reached
/// `anyhow` without passing `From<DbError>`).
fn pool_timed_out(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<DbError>()
            .is_some_and(DbError::is_pool_timeout)
            || matches!(
                c.downcast_ref::<sqlx::Error>(),
                Some(sqlx::Error::PoolTimedOut)
            )
    })
}
