//! The calls to PayPal's REST API: the OAuth2 token (client credentials, kept until shortly
//! before it expires), Orders v2 (create, capture) and verify-webhook-signature. Answers are
//! read by `shelfraiser_formats::paypal`. The base URL is the operator's (`api_base`); no
//! redirect is followed, every call has a time limit, and an answer is read up to
//! [`MAX_ANSWER`] bytes.

use std::time::{Duration, Instant};

use http::StatusCode;
use tokio::sync::Mutex;

use super::super::ProviderError;
use crate::config::Secret;

/// The longest answer read.
const MAX_ANSWER: usize = 256 * 1024;
/// A token is fetched again this long before PayPal says it expires.
const TOKEN_MARGIN: Duration = Duration::from_secs(120);

pub(super) struct Api {
    base: String,
    client_id: String,
    secret: Secret,
    http: reqwest::Client,
    token: Mutex<Option<(String, Instant)>>,
}

/// An answer: its status and body.
pub(super) struct Answer {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

fn unavailable(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::Unavailable(e.to_string())
}

impl Api {
    pub fn new(base: &str, client_id: &str, secret: Secret) -> anyhow::Result<Api> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .user_agent(concat!("shelfraiser/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Api {
            base: base.trim_end_matches('/').to_string(),
            client_id: client_id.to_string(),
            secret,
            http,
            token: Mutex::new(None),
        })
    }

    async fn read(res: reqwest::Response) -> Result<Answer, ProviderError> {
        let status = res.status();
        let mut res = res;
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(unavailable)? {
            if body.len() + chunk.len() > MAX_ANSWER {
                return Err(unavailable("the answer is too large"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer { status, body })
    }

    /// A bearer token, fetched when none is kept or it is about to expire.
    async fn token(&self, fresh: bool) -> Result<String, ProviderError> {
        let mut kept = self.token.lock().await;
        if !fresh
            && let Some((t, until)) = kept.as_ref()
            && Instant::now() < *until
        {
            return Ok(t.clone());
        }
        let res = self
            .http
            .post(format!("{}/v1/oauth2/token", self.base))
            .basic_auth(&self.client_id, Some(&self.secret.0))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials")
            .send()
            .await
            .map_err(unavailable)?;
        let a = Self::read(res).await?;
        if !a.status.is_success() {
            return Err(unavailable(format!("token: {}", a.status)));
        }
        let (token, secs) = shelfraiser_formats::paypal::parse_token(&a.body)
            .map_err(|e| unavailable(format!("token: {e}")))?;
        let life = Duration::from_secs(u64::try_from(secs.clamp(0, 86_400 * 7)).unwrap_or(0));
        let until = Instant::now() + life.saturating_sub(TOKEN_MARGIN);
        *kept = Some((token.clone(), until));
        Ok(token)
    }

    /// POSTs JSON with the bearer token (fetched again once if PayPal answers 401) and,
    /// when given, a `PayPal-Request-Id` (PayPal answers a repeated id with the first
    /// result).
    pub async fn post(
        &self,
        path: &str,
        body: String,
        request_id: Option<&str>,
    ) -> Result<Answer, ProviderError> {
        let mut fresh = false;
        loop {
            let token = self.token(fresh).await?;
            let mut req = self
                .http
                .post(format!("{}{path}", self.base))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(body.clone());
            if let Some(id) = request_id {
                req = req.header("paypal-request-id", id);
            }
            let a = Self::read(req.send().await.map_err(unavailable)?).await?;
            if a.status == StatusCode::UNAUTHORIZED && !fresh {
                fresh = true;
                continue;
            }
            return Ok(a);
        }
    }

    /// GETs with the bearer token.
    pub async fn get(&self, path: &str) -> Result<Answer, ProviderError> {
        let token = self.token(false).await?;
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&token)
            .send()
            .await
            .map_err(unavailable)?;
        Self::read(res).await
    }
}
