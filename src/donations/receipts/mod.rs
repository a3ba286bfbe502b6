//! Receipts: every donation gets a number in its campaign (`<SLUG>-000042`, given in the
//! recording transaction: `repo::receipts::assign_in`, gap-free per campaign on both
//! backends), and a donor who gave an e-mail address is sent a thank-you e-mail with the
//! receipt as a PDF ([`pdf`]) by the [`SEND_RECEIPT`] job, enqueued with the donation (dedupe
//! key `receipt:<donation id>`, so a replayed callback sends nothing more). The mail and the
//! PDF are in the donor's page language at checkout (kept on the checkout session); an
//! offline gift, which has no checkout, in the language of the treasurer who recorded it
//! (their profile's first language; English from the command line), and a monthly renewal
//! in its gift's (both kept on the receipt row, `receipts.lang`). The job's e-mail keeps one
//! outbox row however often the job is retried (`mail::Mailer::send_keyed`, keyed
//! `receipt:<donation id>`, a resend with its own key); once delivered, a retry sends
//! nothing. A monthly gift's receipt carries the signed link to manage or cancel the gift.
//!
//! The e-mail and the thank-you page link to `GET /receipts/{donation id}?t=<HMAC>`, where
//! the receipt can be downloaded again without an account ([`link_token`], under the site's
//! `receipt_link_key`). A treasurer may send it again from the donation's console page
//! ([`resend`], audited).

pub mod pdf;

use crate::signing;
use askama::Template;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::repo::{receipts as store, search};
use crate::config::Settings;
use crate::db::{Db, DbError, DbResult, random_secret};
use crate::email::Email;
use crate::i18n::I18n;
use crate::jobs::{self, Job};
use crate::mail::{Attachment, Mailer, Message};
use crate::money::{CurrencyCode, Money};
use crate::team::audit::{self, Actor};

/// The job that e-mails a donation's receipt.
pub const SEND_RECEIPT: &str = "send_receipt";

/// The [`SEND_RECEIPT`] job's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendReceipt {
    pub donation_id: String,
    /// A treasurer's resend (a fresh value each time); absent for the first sending. With
    /// the donation it keys the e-mail's one outbox row, so a retried job adds no second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resend: Option<String>,
}

impl SendReceipt {
    /// The outbox key of this sending.
    pub fn outbox_key(&self) -> String {
        match &self.resend {
            Some(n) => format!("receipt:{}:{n}", self.donation_id),
            None => format!("receipt:{}", self.donation_id),
        }
    }
}

/// What sending receipts needs beyond the database: the node's mailer, the site's address
/// (for the download link) and the organisation's name printed on them.
#[derive(Clone)]
pub struct Receipts {
    pub db: Db,
    pub mailer: Mailer,
    pub base_url: String,
    pub organisation: String,
}

impl Receipts {
    pub fn new(settings: &Settings, db: Db, mailer: Mailer, base_url: &str) -> Receipts {
        let organisation = settings.donations.organisation.trim();
        Receipts {
            db,
            mailer,
            base_url: base_url.trim_end_matches('/').to_string(),
            organisation: organisation.to_string(),
        }
    }

    /// The issuer printed on receipts: `donations.organisation`, or else the site's name.
    pub async fn issuer(&self) -> String {
        if self.organisation.is_empty() {
            self.mailer.tr("en").await.t("site-name")
        } else {
            self.organisation.clone()
        }
    }
}

/// `<CAMPAIGN-SLUG-UPPER>-000042`.
pub fn format_number(slug: &str, number: i64) -> String {
    format!("{}-{number:06}", slug.to_uppercase())
}

/// The donation's receipt number as printed (`None` before it has one).
pub async fn number_text(db: &Db, donation_id: &str, slug: &str) -> DbResult<Option<String>> {
    Ok(store::number_of(db, donation_id)
        .await?
        .map(|n| format_number(slug, n)))
}

/// Inside the recording transaction: the donation's receipt number, and the job that
/// e-mails it when the donor gave an address.
pub async fn on_recorded_in(
    tx: &mut crate::db::Tx,
    donation_id: &str,
    campaign_id: &str,
    email: Option<&Email>,
) -> DbResult<()> {
    let now = Utc::now();
    store::assign_in(tx, donation_id, campaign_id, now).await?;
    if email.is_some() {
        let job = job_of(donation_id, None)?;
        jobs::enqueue_in(tx, &job, now, Some(&format!("receipt:{donation_id}"))).await?;
    }
    Ok(())
}

fn job_of(donation_id: &str, resend: Option<String>) -> DbResult<Job> {
    Job::new(
        SEND_RECEIPT,
        &SendReceipt {
            donation_id: donation_id.to_string(),
            resend,
        },
    )
    .map_err(|e| DbError::Corrupt(format!("receipt job: {e}")))
}

/// Why a receipt cannot be sent again.
#[derive(Debug, thiserror::Error)]
pub enum ResendError {
    #[error("no donation {0}")]
    NotFound(String),
    #[error("the donor gave no e-mail address")]
    NoAddress,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Sends the receipt again (a new job, without a dedupe key), audited as
/// `donation.receipt_resent` in the same transaction.
pub async fn resend(db: &Db, donation_id: &str, who: &Actor) -> Result<(), ResendError> {
    let d = search::by_id(db, donation_id)
        .await?
        .ok_or_else(|| ResendError::NotFound(donation_id.to_string()))?;
    if d.donor_email.as_deref().unwrap_or("").is_empty() {
        return Err(ResendError::NoAddress);
    }
    let number = store::number_of(db, &d.id).await?.unwrap_or_default();
    let mut tx = db.begin().await?;
    audit::record_in(
        &mut tx,
        who,
        "donation.receipt_resent",
        &d.id,
        &format!("number={number}"),
    )
    .await?;
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    jobs::enqueue_in(&mut tx, &job_of(&d.id, Some(nonce))?, Utc::now(), None).await?;
    tx.commit().await?;
    Ok(())
}

/// The site's key for receipt links (made once, kept in the settings).
async fn link_key(db: &Db) -> DbResult<String> {
    db.setting_or_init("receipt_link_key", random_secret).await
}

const LABEL: &[u8] = b"receipt|";

/// The `t` of a donation's receipt link.
pub async fn link_token(db: &Db, donation_id: &str) -> DbResult<String> {
    let key = link_key(db).await?;
    Ok(signing::sign(&key, &[LABEL, donation_id.as_bytes()]))
}

/// Whether `token` is the donation's receipt link token (compared in constant time).
pub async fn check_link(db: &Db, donation_id: &str, token: &str) -> DbResult<bool> {
    let key = link_key(db).await?;
    Ok(signing::verify(
        &key,
        &[LABEL, donation_id.as_bytes()],
        token,
    ))
}

/// The receipt link's path and query (without the site's address).
pub async fn link_path(db: &Db, donation_id: &str) -> DbResult<String> {
    Ok(format!(
        "/receipts/{donation_id}?t={}",
        link_token(db, donation_id).await?
    ))
}

/// A receipt's words in its language.
pub struct Labels {
    pub title: String,
    pub thanks: String,
    number: String,
    campaign: String,
    date: String,
    donor: String,
    amount: String,
    covered: String,
    rate: String,
    converted: String,
    provider: String,
    refunds: String,
}

impl Labels {
    fn of(tr: &I18n) -> Labels {
        Labels {
            title: tr.t("receipt-title"),
            thanks: tr.t("receipt-thanks"),
            number: tr.t("receipt-number"),
            campaign: tr.t("receipt-campaign"),
            date: tr.t("receipt-date"),
            donor: tr.t("receipt-donor"),
            amount: tr.t("receipt-amount"),
            covered: tr.t("receipt-covered"),
            rate: tr.t("receipt-rate"),
            converted: tr.t("receipt-converted"),
            provider: tr.t("receipt-provider"),
            refunds: tr.t("console-refund-state"),
        }
    }
}

/// A receipt as shown: every value a text in the receipt's language.
pub struct Receipt {
    pub lang: &'static str,
    pub labels: Labels,
    pub number: String,
    pub organisation: String,
    pub campaign: String,
    pub campaign_slug: String,
    pub date: String,
    pub donor: String,
    /// Where to send it (none: the donor gave no address).
    pub email: Option<String>,
    pub amount: String,
    /// "including £0.56 you added to cover the processing fees" (part of `amount`).
    pub covered: Option<String>,
    /// The locked rate and the amount in the campaign's currency, when it differs.
    pub rate: Option<String>,
    pub converted: Option<String>,
    pub provider: String,
    /// "Refunded", or "Partly refunded: £5 went back to the donor" (`donations::refunds`).
    pub refunded: Option<String>,
    /// A monthly gift's payment: the signed link where the donor manages or cancels it.
    pub manage_url: Option<String>,
}

impl Receipt {
    /// Label and value, in the order printed.
    pub fn rows(&self) -> Vec<(&str, &str)> {
        let l = &self.labels;
        let mut rows = vec![
            (l.number.as_str(), self.number.as_str()),
            (l.campaign.as_str(), self.campaign.as_str()),
            (l.date.as_str(), self.date.as_str()),
            (l.donor.as_str(), self.donor.as_str()),
            (l.amount.as_str(), self.amount.as_str()),
        ];
        if let Some(covered) = &self.covered {
            rows.push((l.covered.as_str(), covered.as_str()));
        }
        if let (Some(rate), Some(converted)) = (&self.rate, &self.converted) {
            rows.push((l.rate.as_str(), rate.as_str()));
            rows.push((l.converted.as_str(), converted.as_str()));
        }
        rows.push((l.provider.as_str(), self.provider.as_str()));
        if let Some(r) = &self.refunded {
            rows.push((l.refunds.as_str(), r.as_str()));
        }
        rows
    }

    /// The PDF's file name.
    pub fn file_name(&self) -> String {
        format!("receipt-{}.pdf", self.number)
    }
}

fn provider_label(tr: &I18n, provider: &str) -> String {
    match provider {
        "test" | "offline" | "stripe" | "paypal" => tr.t(&format!("receipt-provider-{provider}")),
        other => other.to_string(),
    }
}

/// The donation's receipt (`None`: no such donation).
pub async fn load(db: &Db, organisation: &str, donation_id: &str) -> DbResult<Option<Receipt>> {
    let Some(d) = search::by_id(db, donation_id).await? else {
        return Ok(None);
    };
    let c = crate::campaigns::repo::by_id(db, &d.campaign_id)
        .await?
        .ok_or_else(|| DbError::Corrupt(format!("donation {} has no campaign", d.id)))?;
    let number = store::number_of(db, &d.id)
        .await?
        .ok_or_else(|| DbError::Corrupt(format!("donation {} has no receipt number", d.id)))?;
    let tr = I18n::new(store::lang_of(db, &d.id).await?.as_deref().unwrap_or("en"));
    let corrupt = |e: String| DbError::Corrupt(format!("donation {}: {e}", d.id));
    let cur = CurrencyCode::parse(&d.currency).map_err(|e| corrupt(e.to_string()))?;
    let (rate, converted) = if cur == c.currency() {
        (None, None)
    } else {
        let r: rust_decimal::Decimal = d.rate.parse().map_err(|e| corrupt(format!("{e}")))?;
        (
            Some(format!("1 {cur} = {} {}", tr.rate(r), c.currency())),
            Some(tr.money(Money::new(d.campaign_amount_minor, c.currency()))),
        )
    };
    let back = crate::donations::refunds::summary(db, &d.id)
        .await
        .map_err(|e| corrupt(e.to_string()))?;
    let refunded = if back.fully_refunded() {
        Some(tr.t("receipt-refunded"))
    } else if back.partly_refunded() {
        Some(tr.ta(
            "receipt-partly-refunded",
            [("amount", tr.money(back.refunded))],
        ))
    } else {
        None
    };
    let date = match d.received_on {
        Some(day) => tr.day(day),
        None => tr.date(d.created_at),
    };
    Ok(Some(Receipt {
        lang: tr.lang,
        number: format_number(c.slug.as_str(), number),
        organisation: organisation.to_string(),
        campaign: c.title.clone(),
        campaign_slug: c.slug.to_string(),
        date,
        donor: d
            .donor_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| tr.t("donor-anonymous")),
        email: d.donor_email.clone().filter(|e| !e.is_empty()),
        amount: tr.money(Money::new(d.amount_minor, cur)),
        covered: (d.cover_minor > 0).then(|| {
            tr.ta(
                "receipt-covered-value",
                [("amount", tr.money(Money::new(d.cover_minor, cur)))],
            )
        }),
        rate,
        converted,
        provider: provider_label(&tr, &d.provider),
        refunded,
        labels: Labels::of(&tr),
        manage_url: None,
    }))
}

/// The receipt's PDF, made off the async workers.
pub async fn pdf_of(r: Receipt) -> anyhow::Result<(Receipt, Vec<u8>)> {
    tokio::task::spawn_blocking(move || {
        let bytes = pdf::render(&r)?;
        Ok((r, bytes))
    })
    .await?
}

#[derive(Template)]
#[template(path = "mail/receipt.txt")]
struct ReceiptText<'a> {
    tr: &'a I18n,
    r: &'a Receipt,
    url: &'a str,
}

#[derive(Template)]
#[template(path = "mail/receipt.html")]
struct ReceiptHtml<'a> {
    tr: &'a I18n,
    r: &'a Receipt,
    subject: &'a str,
    url: &'a str,
}

/// The thank-you e-mail with the receipt attached, in `tr`'s language (the receipt's, speaking
/// for the site).
pub fn receipt_mail(
    tr: &I18n,
    r: &Receipt,
    to: Email,
    url: &str,
    pdf: Vec<u8>,
) -> anyhow::Result<Message> {
    let subject = tr.ta(
        "receipt-mail-subject",
        [
            ("campaign", r.campaign.clone()),
            ("number", r.number.clone()),
        ],
    );
    let text = ReceiptText { tr, r, url }.render()?;
    let html = ReceiptHtml {
        tr,
        r,
        subject: &subject,
        url,
    }
    .render()?;
    Ok(Message {
        to,
        subject,
        text,
        html,
        attachments: vec![Attachment {
            name: r.file_name(),
            content_type: "application/pdf".into(),
            bytes: pdf,
        }],
    })
}

/// Runs a [`SEND_RECEIPT`] job: e-mails the receipt when the donor gave an address. A mail
/// server's refusal fails the job, which the queue retries with backoff.
pub async fn run_job(rc: &Receipts, p: &SendReceipt, _now: DateTime<Utc>) -> anyhow::Result<()> {
    let Some(mut r) = load(&rc.db, &rc.issuer().await, &p.donation_id).await? else {
        anyhow::bail!("no donation {}", p.donation_id);
    };
    let Some(addr) = r.email.clone() else {
        return Ok(());
    };
    let to = Email::parse(&addr).map_err(|e| anyhow::anyhow!("donor e-mail: {e}"))?;
    let url = format!(
        "{}{}",
        rc.base_url,
        link_path(&rc.db, &p.donation_id).await?
    );
    if let Some(g) = super::monthly::of_donation(&rc.db, &p.donation_id).await? {
        let path = super::monthly::link_path(&rc.db, &g.id).await?;
        r.manage_url = Some(format!("{}{path}", rc.base_url));
    }
    let (r, bytes) = pdf_of(r).await?;
    let tr = rc.mailer.tr(r.lang).await;
    let msg = receipt_mail(&tr, &r, to, &url, bytes)?;
    rc.mailer.send_keyed(&msg, Some(&p.outbox_key())).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_the_slug_in_capitals_and_six_digits() {
        assert_eq!(format_number("village-lib", 42), "VILLAGE-LIB-000042");
        assert_eq!(format_number("a", 1_234_567), "A-1234567");
    }

    #[test]
    fn link_macs_differ_per_donation() {
        let a = signing::sign("k", &[LABEL, b"d1"]);
        let b = signing::sign("k", &[LABEL, b"d2"]);
        assert_ne!(a, b);
        assert!(signing::verify("k", &[LABEL, b"d1"], &a));
    }
}
