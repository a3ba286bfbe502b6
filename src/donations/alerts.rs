//! Notices to the people who look after a campaign's money: every active member who may
//! enter its donations (`DonationsWrite` on the campaign: owners and treasurers), by e-mail
//! through the outbox, each in their own language.
//!
//! * a donation captured for a checkout that could no longer be paid, recorded and flagged
//!   for review (`donations.review_reason`, see `checkout::payable`);
//! * a dispute (chargeback) opened at the payment provider on a donation;
//! * a refund the ledger could not take (another currency than its donation), and a refund
//!   of a payment not recorded here (yet), told to the site's treasurers ([`unknown_refund`]);
//! * many declined cards putting a campaign's donate form behind a proof of work
//!   (`card_testing`), once per window;
//! * the per-campaign checkout circuit breaker tripping — at most once per campaign per
//!   [`BREAKER_ALERT_EVERY`], claimed in the database so a cluster sends one.

use chrono::{DateTime, Duration, Utc};

use crate::campaigns::Campaign;
use crate::db::{Db, DbResult};
use crate::email::Email;
use crate::http::AppState;
use crate::mail::Message;
use crate::team::audit::{self, Actor};
use crate::team::{Member, Permission};

/// The circuit breaker's e-mail goes out at most this often per campaign.
pub const BREAKER_ALERT_EVERY: Duration = Duration::hours(1);

/// What to tell the treasurers.
#[derive(Debug, Clone)]
pub enum Alert {
    /// A donation recorded for a checkout that could not be paid any more.
    NeedsReview {
        donation_id: String,
        reason: &'static str,
    },
    /// The per-campaign checkout circuit breaker refused donors.
    CheckoutBreaker,
    /// A provider captured another amount or currency than the checkout asked for: not
    /// recorded (the ledger keeps no wrong total); the treasurer settles it at the provider.
    CaptureMismatch {
        /// The provider's name as people know it (`PayPal`).
        provider: &'static str,
        reference: String,
        expected: crate::money::Money,
        captured: crate::money::Money,
    },
    /// The payer opened a dispute (a chargeback) on a donation at the provider.
    Disputed { donation_id: String, reason: String },
    /// Many declined cards: the donate form asks for a proof of work for `minutes` after
    /// the latest decline (`card_testing`).
    CardTesting { minutes: i64 },
    /// A monthly gift's payment failed at the provider (which retries it).
    MonthlyPaymentFailed,
}

/// The e-mail of `alert` about `c` to one member.
pub fn alert_mail(to: &Member, c: &Campaign, alert: &Alert, base: &str) -> anyhow::Result<Message> {
    let tr = crate::team::mailers::language_of(to);
    let campaign = c.title.clone();
    let (subject, intro, action, url) = match alert {
        Alert::NeedsReview {
            donation_id,
            reason,
        } => (
            tr.ta(
                "money-review-mail-subject",
                [("campaign", campaign.clone())],
            ),
            tr.ta(
                "money-review-mail-intro",
                [
                    ("campaign", campaign),
                    ("reason", tr.t(&format!("money-review-reason-{reason}"))),
                ],
            ),
            tr.t("money-review-mail-action"),
            format!("{base}/admin/donations/{donation_id}"),
        ),
        Alert::Disputed {
            donation_id,
            reason,
        } => (
            tr.ta(
                "money-dispute-mail-subject",
                [("campaign", campaign.clone())],
            ),
            tr.ta(
                "money-dispute-mail-intro",
                [("campaign", campaign), ("reason", reason.clone())],
            ),
            tr.t("money-review-mail-action"),
            format!("{base}/admin/donations/{donation_id}"),
        ),
        Alert::CheckoutBreaker => (
            tr.ta(
                "money-breaker-mail-subject",
                [("campaign", campaign.clone())],
            ),
            tr.ta("money-breaker-mail-intro", [("campaign", campaign)]),
            tr.t("money-breaker-mail-action"),
            format!("{base}/admin/donations"),
        ),
        Alert::CardTesting { minutes } => (
            tr.ta(
                "money-card-testing-mail-subject",
                [("campaign", campaign.clone())],
            ),
            tr.ta(
                "money-card-testing-mail-intro",
                [("campaign", campaign), ("minutes", minutes.to_string())],
            ),
            tr.t("money-breaker-mail-action"),
            format!("{base}/admin/donations"),
        ),
        Alert::CaptureMismatch {
            provider,
            reference,
            expected,
            captured,
        } => (
            tr.ta(
                "money-mismatch-mail-subject",
                [("campaign", campaign.clone())],
            ),
            tr.ta(
                "money-mismatch-mail-intro",
                [
                    ("campaign", campaign),
                    ("provider", (*provider).to_string()),
                    ("reference", reference.clone()),
                    ("expected", tr.money(*expected)),
                    ("captured", tr.money(*captured)),
                ],
            ),
            tr.t("money-breaker-mail-action"),
            format!("{base}/admin/donations"),
        ),
        Alert::MonthlyPaymentFailed => (
            tr.ta(
                "monthly-failed-mail-subject",
                [("campaign", campaign.clone())],
            ),
            tr.ta("monthly-failed-mail-intro", [("campaign", campaign)]),
            tr.t("monthly-failed-mail-action"),
            format!("{base}/admin/monthly"),
        ),
    };
    let email = Email::parse(&to.email).map_err(|e| anyhow::anyhow!("member e-mail: {e}"))?;
    crate::mail::notice(&tr, email, &to.display_name, subject, intro, action, &url)
}

/// E-mails `alert` to every active member who may enter the campaign's donations. Failures
/// are logged (without addresses); the caller's work is done either way.
pub async fn tell_treasurers(s: &AppState, c: &Campaign, alert: &Alert) {
    let base = s.base_url.trim_end_matches('/');
    let members = match crate::team::repo::list(&s.db).await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "treasurer lookup failed");
            return;
        }
    };
    for m in members
        .iter()
        .filter(|m| m.can(Permission::DonationsWrite, Some(c.id.as_str())))
    {
        match alert_mail(m, c, alert, base) {
            Ok(msg) => {
                if let Err(e) = s.mailer.send(&msg).await {
                    tracing::warn!(error = %e, "treasurer alert not sent");
                }
            }
            Err(e) => tracing::warn!(error = %e, "treasurer alert not built"),
        }
    }
}

/// A refund at `provider` of a payment this site has not recorded (yet): the refund waits for
/// the payment (`donations::refunds::park_in`); every active member who may enter donations
/// for the whole site is told, since no campaign is known.
pub async fn unknown_refund(s: &AppState, provider: &str) {
    let base = s.base_url.trim_end_matches('/');
    let members = match crate::team::repo::list(&s.db).await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "treasurer lookup failed");
            return;
        }
    };
    for m in members
        .iter()
        .filter(|m| m.can(Permission::DonationsWrite, None))
    {
        let tr = crate::team::mailers::language_of(m);
        let built = Email::parse(&m.email)
            .map_err(|e| anyhow::anyhow!("member e-mail: {e}"))
            .and_then(|email| {
                crate::mail::notice(
                    &tr,
                    email,
                    &m.display_name,
                    tr.t("money-unknown-refund-mail-subject"),
                    tr.ta(
                        "money-unknown-refund-mail-intro",
                        [("provider", provider.to_string())],
                    ),
                    tr.t("money-breaker-mail-action"),
                    &format!("{base}/admin/donations"),
                )
            });
        match built {
            Ok(msg) => {
                if let Err(e) = s.mailer.send(&msg).await {
                    tracing::warn!(error = %e, "treasurer alert not sent");
                }
            }
            Err(e) => tracing::warn!(error = %e, "treasurer alert not built"),
        }
    }
}

/// Claims the right to send the breaker alert for `campaign_id` now: true at most once per
/// [`BREAKER_ALERT_EVERY`] across every node (a settings row holds the last time).
pub async fn claim_breaker_alert(db: &Db, campaign_id: &str, now: DateTime<Utc>) -> DbResult<bool> {
    db.claim_setting(
        &format!("checkout_breaker_alert:{campaign_id}"),
        now,
        now - BREAKER_ALERT_EVERY,
    )
    .await
}

/// The breaker tripped for `c`: once per [`BREAKER_ALERT_EVERY`], an audit entry and an
/// e-mail to the treasurers (the refused donor's answer waits only for the claim, except
/// that once an hour).
pub async fn breaker_tripped(s: &AppState, c: &Campaign) {
    match claim_breaker_alert(&s.db, &c.id, Utc::now()).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::warn!(error = %e, "checkout breaker alert not claimed");
            return;
        }
    }
    let who = Actor {
        label: "system".into(),
        ..Default::default()
    };
    let detail = format!("campaign={} limit=campaign", c.slug);
    if let Err(e) = audit::record(&s.db, &who, "checkouts.breaker", &c.id, &detail).await {
        tracing::warn!(error = %e, "checkout breaker audit entry not written");
    }
    tell_treasurers(s, c, &Alert::CheckoutBreaker).await;
}
