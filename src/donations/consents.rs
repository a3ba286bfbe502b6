//! Marketing consent, double opt-in: the donate form's "Send me news about this campaign"
//! box (never ticked for the donor, never required) is kept on the checkout session; when the
//! donation is recorded ([`on_captured_in`], in the callback's transaction) a consent row is
//! asked and the [`ASK_CONSENT`] job mails the donor a signed confirm link and a withdraw
//! link. Consent counts only once confirmed, until withdrawn (by the link, or by erasure).
//! The links' pages are `privacy::pages`; the console exports the confirmed consents.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::receipts::Receipts;
use super::repo::consents as store;
use crate::db::{Db, DbError, DbResult, Tx, random_secret};
use crate::email::Email;
use crate::jobs::{self, Job};
use crate::signing;

pub use store::Consent;

/// The job that asks a donor to confirm their consent.
pub const ASK_CONSENT: &str = "ask_consent";

/// The [`ASK_CONSENT`] job's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AskConsent {
    pub consent_id: String,
}

/// The donor ticked the box on the form that opened this checkout (kept only with an address).
pub async fn wish(db: &Db, session_id: &str) -> DbResult<()> {
    store::wish(db, session_id).await
}

/// In the transaction that records a checkout's donation: asks for consent when the donor
/// ticked the box (the mail goes out by a job, after the commit).
pub async fn on_captured_in(tx: &mut Tx, session_id: &str, now: DateTime<Utc>) -> DbResult<()> {
    if let Some(id) = store::ask_in(tx, session_id, now).await? {
        let job = Job::new(
            ASK_CONSENT,
            &AskConsent {
                consent_id: id.clone(),
            },
        )
        .map_err(|e| DbError::Corrupt(format!("consent job: {e}")))?;
        jobs::enqueue_in(tx, &job, now, Some(&format!("consent:{id}"))).await?;
    }
    Ok(())
}

pub use store::{ASK_AGAIN_AFTER, Subscribed};

/// Someone asked for a campaign's updates by e-mail (the updates form, no donation needed):
/// a consent to confirm by the same mail as the donate form's box ([`ASK_CONSENT`]); nothing
/// when the address already confirmed one. The caller answers alike in every case, so the form
/// tells no one whether an address is subscribed.
pub async fn subscribe(
    db: &Db,
    campaign_id: &str,
    email: &Email,
    lang: &str,
    now: DateTime<Utc>,
) -> DbResult<Subscribed> {
    let mut tx = db.begin().await?;
    let done = store::subscribe_in(&mut tx, campaign_id, email.as_str(), lang, now).await?;
    if let Subscribed::Asked(id) | Subscribed::AskedAgain(id) = &done {
        let job = Job::new(
            ASK_CONSENT,
            &AskConsent {
                consent_id: id.clone(),
            },
        )
        .map_err(|e| DbError::Corrupt(format!("consent job: {e}")))?;
        let key = format!("consent:{id}:{}", now.timestamp());
        jobs::enqueue_in(&mut tx, &job, now, Some(&key)).await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// What a consent link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Confirm,
    Withdraw,
}

impl Action {
    fn label(self) -> &'static [u8] {
        match self {
            Action::Confirm => b"consent-confirm|",
            Action::Withdraw => b"consent-withdraw|",
        }
    }
}

async fn key(db: &Db) -> DbResult<String> {
    db.setting_or_init("consent_link_key", random_secret).await
}

/// The link token of `action` on the consent: `<id>.<mac>` (no expiry: a withdraw link must
/// keep working, and a confirm link only confirms a consent not withdrawn).
pub async fn token(db: &Db, id: &str, action: Action) -> DbResult<String> {
    let sig = signing::sign(&key(db).await?, &[action.label(), id.as_bytes()]);
    Ok(format!("{id}.{sig}"))
}

/// The consent a valid token names.
pub async fn check(db: &Db, token: &str, action: Action) -> DbResult<Option<Consent>> {
    let Some((id, sig)) = token.trim().rsplit_once('.') else {
        return Ok(None);
    };
    if id.is_empty()
        || id.len() > 64
        || !signing::verify(&key(db).await?, &[action.label(), id.as_bytes()], sig)
    {
        return Ok(None);
    }
    store::by_id(db, id).await
}

/// A consent by id.
pub async fn by_id(db: &Db, id: &str) -> DbResult<Option<Consent>> {
    store::by_id(db, id).await
}

/// Confirms the consent; whether it changed.
pub async fn confirm(db: &Db, id: &str) -> DbResult<bool> {
    store::confirm(db, id, Utc::now()).await
}

/// Withdraws the consent; whether it changed.
pub async fn withdraw(db: &Db, id: &str) -> DbResult<bool> {
    store::withdraw(db, id, Utc::now()).await
}

/// Every consent of the address (a data request lists them).
pub async fn of_email(db: &Db, email: &str) -> DbResult<Vec<Consent>> {
    store::of_email(db, email).await
}

/// The confirmed, not withdrawn consents of a campaign (the console's export).
pub async fn confirmed_for(db: &Db, campaign_id: &str) -> DbResult<Vec<Consent>> {
    store::confirmed_for(db, campaign_id).await
}

/// Erasure: withdraws the address's consents and replaces the address by the pseudonym.
pub async fn erase_in(
    tx: &mut Tx,
    email: &str,
    pseudonym: &str,
    now: DateTime<Utc>,
) -> DbResult<u64> {
    store::erase_in(tx, email, pseudonym, now).await
}

/// Runs an [`ASK_CONSENT`] job: the confirm e-mail with its withdraw link.
pub async fn run_job(rc: &Receipts, p: &AskConsent, _now: DateTime<Utc>) -> anyhow::Result<()> {
    let Some(c) = store::by_id(&rc.db, &p.consent_id).await? else {
        return Ok(());
    };
    if c.confirmed_at.is_some() || c.withdrawn_at.is_some() {
        return Ok(());
    }
    let Ok(to) = Email::parse(&c.email) else {
        return Ok(());
    };
    let campaign = crate::campaigns::repo::by_id(&rc.db, &c.campaign_id)
        .await?
        .map(|c| c.title)
        .unwrap_or_default();
    let tr = rc.mailer.tr(&c.lang).await;
    let confirm = format!(
        "{}/privacy/consent/confirm?t={}",
        rc.base_url,
        token(&rc.db, &c.id, Action::Confirm).await?
    );
    let withdraw = format!(
        "{}/privacy/consent/withdraw?t={}",
        rc.base_url,
        token(&rc.db, &c.id, Action::Withdraw).await?
    );
    let args = [("campaign", campaign)];
    let mut m = crate::mail::notice(
        &tr,
        to,
        &tr.t("privacy-mail-name"),
        tr.ta("consent-mail-subject", args.clone()),
        tr.ta("consent-mail-intro", args),
        tr.t("consent-mail-action"),
        &confirm,
    )?;
    let label = tr.t("consent-mail-withdraw");
    m.text.push_str(&format!("\n{label}:\n{withdraw}\n"));
    let link = format!(
        "<p><a href=\"{}\">{}</a></p>\n</body>",
        shelfraiser_formats::html::escape(&withdraw),
        shelfraiser_formats::html::escape(&label)
    );
    m.html = m.html.replacen("</body>", &link, 1);
    rc.mailer.send(&m).await?;
    Ok(())
}
