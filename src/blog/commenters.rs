//! Confirmed guest commenters: a guest's comment is published at once only when its e-mail
//! address has been confirmed by its owner, so nobody can borrow an approved commenter's
//! address to skip moderation.
//!
//! * A guest comment that passes the spam checks from an address that already has an
//!   approved comment but is not confirmed is held like a first comment, and the address is
//!   sent a confirmation link (at most one mail per address per [`RESEND_AFTER`], in the
//!   background so the answer's timing says nothing; the answer is the same "held" notice as
//!   for any held comment, so it never tells whether an address is known).
//! * The link (`GET /comments/confirm?t=…`) is signed (HMAC-SHA256 under the site's
//!   `commenter_email_key`) and expires after [`LINK_TTL`]. It opens a page with one button
//!   (`POST /comments/confirm`, CSRF-checked), so a mail scanner that follows links does not
//!   confirm anything by itself.
//! * Confirmed addresses are kept in `commenter_emails` as a keyed hash of the lower-cased
//!   address (HMAC-SHA256 under the same key), never in the clear. A confirmed address with
//!   an approved comment is trusted for later comments.
//! * Signed-in members are not affected: their comments are approved as before.

use crate::signing;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Duration, Utc};
use http::StatusCode;
use serde::Deserialize;

use super::repo::commenters as store;
use crate::db::{Db, DbResult, random_secret};
use crate::email::Email;
use crate::http::{AppError, AppState, csrf};
use crate::i18n::I18n;
use crate::web::PageCtx;
use crate::web::request::Req;

/// How long a confirmation link works.
pub const LINK_TTL: Duration = Duration::days(7);
/// At most one confirmation mail per address within this time.
pub const RESEND_AFTER: Duration = Duration::days(1);
/// The settings row holding the key for address hashes and links.
pub const KEY_SETTING: &str = "commenter_email_key";

pub fn routes() -> Router<AppState> {
    Router::new().route("/comments/confirm", get(confirm_page).post(confirm))
}

async fn key(db: &Db) -> DbResult<String> {
    db.setting_or_init(KEY_SETTING, random_secret).await
}

/// The confirmation token's signed message: `commenter-confirm|<expiry>|<hash>|`.
fn confirm_message<'a>(t: &'a str, hash: &'a str) -> [&'a [u8]; 5] {
    [
        b"commenter-confirm|",
        t.as_bytes(),
        b"|",
        hash.as_bytes(),
        b"|",
    ]
}

/// The stored form of an address: keyed hash of its lower-cased text (hex).
pub fn email_hash(key: &str, email: &str) -> String {
    let email = email.trim().to_lowercase();
    signing::sign(key, &[b"commenter-email|", email.as_bytes(), b"|"])
}

/// A confirmation token for the address with `hash`: `<expiry unix>.<hash>.<mac>`.
pub fn token(key: &str, hash: &str, expires: DateTime<Utc>) -> String {
    let t = expires.timestamp().to_string();
    let sig = signing::sign(key, &confirm_message(&t, hash));
    format!("{t}.{hash}.{sig}")
}

/// The address hash of a valid, unexpired token.
pub fn check_token(key: &str, token: &str, now: DateTime<Utc>) -> Option<String> {
    let mut it = token.trim().splitn(3, '.');
    let (t, hash, sig) = (it.next()?, it.next()?, it.next()?);
    let expires: i64 = t.parse().ok()?;
    if now.timestamp() >= expires || hash.len() != 64 {
        return None;
    }
    signing::verify(key, &confirm_message(t, hash), sig).then(|| hash.to_string())
}

/// Whether the address has been confirmed.
pub async fn confirmed(db: &Db, email: &str) -> DbResult<bool> {
    store::is_confirmed(db, &email_hash(&key(db).await?, email)).await
}

/// Marks the address with `hash` confirmed (idempotent).
pub use store::mark_confirmed;

/// Claims the right to mail a confirmation link to the address with `hash` now: at most
/// once per [`RESEND_AFTER`], never once confirmed.
async fn claim_mail(db: &Db, hash: &str, now: DateTime<Utc>) -> DbResult<bool> {
    store::claim_mail(db, hash, now, now - RESEND_AFTER).await
}

/// Mails the confirmation link for `email` to it, in the commenter's language, unless one
/// went out within [`RESEND_AFTER`] or it is confirmed. The claim is made now; the mail is
/// sent in the background, so the comment's answer does not wait for the mail server (and
/// its timing tells nothing). Never fails the caller.
pub async fn send_confirmation(s: &AppState, tr: &I18n, email: &Email, name: &str) {
    let now = Utc::now();
    let claimed = async {
        let key = key(&s.db).await?;
        let hash = email_hash(&key, email.as_str());
        Ok::<_, crate::db::DbError>(claim_mail(&s.db, &hash, now).await?.then_some((key, hash)))
    }
    .await;
    let (key, hash) = match claimed {
        Ok(Some(k)) => k,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "commenter confirmation not claimed");
            return;
        }
    };
    let url = format!(
        "{}/comments/confirm?t={}",
        s.base_url.trim_end_matches('/'),
        token(&key, &hash, now + LINK_TTL)
    );
    let site = tr.t("site-name");
    let msg = match crate::mail::notice(
        tr,
        email.clone(),
        name,
        tr.ta("commenter-confirm-mail-subject", [("site", site.clone())]),
        tr.ta("commenter-confirm-mail-intro", [("site", site)]),
        tr.t("commenter-confirm-mail-action"),
        &url,
    ) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "commenter confirmation not built");
            return;
        }
    };
    let s = s.clone();
    tokio::spawn(async move {
        if let Err(e) = s.mailer.send(&msg).await {
            tracing::warn!(error = %e, "commenter confirmation not sent");
        }
    });
}

#[derive(Template)]
#[template(path = "blog/commenter_confirm.html")]
struct ConfirmPage {
    page: PageCtx,
    notice: String,
    /// The token for the button; empty when there is nothing to confirm.
    token: String,
    csrf: String,
}

fn page(
    s: &AppState,
    tr: &I18n,
    notice: String,
    token: String,
    status: StatusCode,
) -> Result<Response, AppError> {
    let p = ConfirmPage {
        page: PageCtx::new(s, tr, "/comments/confirm"),
        notice,
        token,
        csrf: s.csrf.token(Utc::now()),
    };
    Ok(crate::web::page::secret_link_page(status, p.render()?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConfirmQuery {
    pub t: String,
}

/// `GET /comments/confirm?t=…`: the button (or why the link does not work).
async fn confirm_page(
    State(s): State<AppState>,
    r: Req,
    Query(q): Query<ConfirmQuery>,
) -> Result<Response, AppError> {
    let key = key(&s.db).await?;
    if check_token(&key, &q.t, Utc::now()).is_none() {
        let msg = r.tr.t("commenter-confirm-bad-link");
        return page(&s, &r.tr, msg, String::new(), StatusCode::BAD_REQUEST);
    }
    let msg = r.tr.t("commenter-confirm-ask");
    page(
        &s,
        &r.tr,
        msg,
        q.t.chars().take(300).collect(),
        StatusCode::OK,
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConfirmInput {
    pub t: String,
    pub csrf: String,
}

/// `POST /comments/confirm`: confirms the address.
async fn confirm(
    State(s): State<AppState>,
    r: Req,
    axum::Form(input): axum::Form<ConfirmInput>,
) -> Result<Response, AppError> {
    let now = Utc::now();
    if !csrf::check(&s.csrf, &r.headers, Some(input.csrf.as_str()), now) {
        return Err(AppError::Unprocessable(r.tr.t("error-csrf")));
    }
    let key = key(&s.db).await?;
    let Some(hash) = check_token(&key, &input.t, now) else {
        let msg = r.tr.t("commenter-confirm-bad-link");
        return page(&s, &r.tr, msg, String::new(), StatusCode::BAD_REQUEST);
    };
    mark_confirmed(&s.db, &hash, now).await?;
    let msg = r.tr.t("commenter-confirm-done");
    page(&s, &r.tr, msg, String::new(), StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stored hashes keep their meaning: HMAC-SHA256 of `commenter-email|<address>|`
    /// (the value an independent HMAC gives).
    #[test]
    fn address_hashes_are_stable() {
        assert_eq!(
            email_hash("k", " Ada@Example.net "),
            "f48bfa44f7872cf15eefbdf8db09bd5ea92d736f29e60e38ce52c03fb4928ed0"
        );
    }

    #[test]
    fn tokens_are_signed_and_expire() {
        let now = Utc::now();
        let h = email_hash("k", " Ada@Example.org ");
        assert_eq!(h, email_hash("k", "ada@example.org"));
        assert_ne!(h, email_hash("other key", "ada@example.org"));
        assert!(!h.contains("ada"));
        let t = token("k", &h, now + LINK_TTL);
        assert_eq!(check_token("k", &t, now), Some(h.clone()));
        assert_eq!(check_token("other key", &t, now), None);
        assert_eq!(check_token("k", &t, now + LINK_TTL), None, "expired");
        let other = email_hash("k", "eve@example.org");
        let forged = t.replacen(&h, &other, 1);
        assert_eq!(check_token("k", &forged, now), None);
        let later = token("k", &h, now + LINK_TTL + Duration::days(1));
        let (exp, rest) = later.split_once('.').expect("dot");
        let (_, sig) = t.split_once('.').expect("dot");
        assert_ne!(exp, "");
        assert_eq!(
            check_token("k", &format!("{exp}.{}", sig), now),
            None,
            "expiry is signed"
        );
        assert_ne!(rest, "");
        assert_eq!(check_token("k", "", now), None);
        assert_eq!(check_token("k", "1.2.3", now), None);
    }
}
