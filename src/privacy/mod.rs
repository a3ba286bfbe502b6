//! Donor privacy: a donor's own data and its erasure.
//!
//! * **Asking for one's data**: `/privacy/request` takes an address and always answers the
//!   same ("if we hold data for this address, we have e-mailed a link"), counted per address
//!   and per client address (`team::throttle`); the [`SEND_LINK`] job mails the signed link
//!   only when something names the address. The link ([`link_token`]: the address, an expiry
//!   and an HMAC under the site's `privacy_link_key`) opens a page listing every donation,
//!   checkout, receipt, fulfilled pledge and consent that names the address, with a JSON
//!   download and the erasure button.
//! * **Erasure** ([`erase`]): by the donor from that page, by a treasurer from a donation's
//!   console page, or by `shelfraiser donor erase --email …`. Each owner replaces the personal
//!   data in its own tables by one stable pseudonym (`erased-<12 hex>`, a keyed hash of the
//!   address): the donations capability its donations, checkouts, fulfilled pledges and
//!   consents (`donations::privacy::erase_in`), the mailer its outbox rows and `.eml` files,
//!   the blog the address on comments written with it (`blog::comments::erase_author_email_in`),
//!   the job queue the [`SEND_LINK`] payloads that held it (`jobs::forget_payloads`; a data-link
//!   job's payload is also emptied as soon as it has run: `Handlers::on_private`).
//!   Every amount, ledger entry and total stays: the ledger never named the donor. An
//!   `erasures` row (no personal data) and an audit entry record it.

pub mod pages;
pub mod repo;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::db::{Db, DbResult, random_secret};
use crate::donations::privacy as donor_data;
use crate::donations::receipts::Receipts;
use crate::email::Email;
use crate::mail::Mailer;
use crate::signing;
use crate::team::audit::{self, Actor};

/// How long a mailed data link works.
pub const LINK_VALID: Duration = Duration::hours(24);

/// The job that mails a data link when something names the address.
pub const SEND_LINK: &str = "privacy_link";

/// The [`SEND_LINK`] job's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendLink {
    pub email: String,
    pub lang: String,
}

async fn key(db: &Db) -> DbResult<String> {
    db.setting_or_init("privacy_link_key", random_secret).await
}

const LINK_LABEL: &[u8] = b"privacy-data|";
const ERASE_LABEL: &[u8] = b"privacy-erasure|";

/// The data link's token: `<address in hex>.<expiry, Unix seconds>.<mac>`.
pub async fn link_token(db: &Db, email: &str, expires: DateTime<Utc>) -> DbResult<String> {
    let addr = email.to_lowercase();
    let exp = expires.timestamp().to_string();
    let sig = signing::sign(
        &key(db).await?,
        &[LINK_LABEL, addr.as_bytes(), b"|", exp.as_bytes()],
    );
    Ok(format!("{}.{exp}.{sig}", hex::encode(addr.as_bytes())))
}

/// The address of a valid, unexpired data link token.
pub async fn check_link(db: &Db, token: &str, now: DateTime<Utc>) -> DbResult<Option<String>> {
    let mut parts = token.trim().splitn(3, '.');
    let (Some(addr), Some(exp), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(None);
    };
    let Ok(addr) = hex::decode(addr).map(String::from_utf8) else {
        return Ok(None);
    };
    let Ok(addr) = addr else { return Ok(None) };
    let Ok(until) = exp.parse::<i64>() else {
        return Ok(None);
    };
    if until < now.timestamp() {
        return Ok(None);
    }
    let key = key(db).await?;
    Ok(signing::verify(
        &key,
        &[LINK_LABEL, addr.as_bytes(), b"|", exp.as_bytes()],
        sig,
    )
    .then_some(addr))
}

/// The keyed hash of an address (kept in `erasures`) and the pseudonym made from it.
pub async fn address_hash(db: &Db, email: &str) -> DbResult<(String, String)> {
    let h = signing::sign(
        &key(db).await?,
        &[ERASE_LABEL, email.to_lowercase().as_bytes()],
    );
    let pseudonym = format!("erased-{}", &h[..12]);
    Ok((h, pseudonym))
}

/// Whether the address was erased before.
pub async fn was_erased(db: &Db, email: &str) -> DbResult<bool> {
    let (h, _) = address_hash(db, email).await?;
    Ok(!repo::of_hash(db, &h).await?.is_empty())
}

/// What an erasure changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erased {
    pub pseudonym: String,
    pub donations: u64,
    pub sessions: u64,
    pub messages: u64,
    pub consents: u64,
    pub pledges: u64,
    /// Blog comments written with the address (it is taken off them).
    pub comments: u64,
    /// Data-link jobs that held the address (their payload emptied).
    pub jobs: u64,
}

/// Erases the address's personal data everywhere (see the module). `requested_by` is kept on
/// the `erasures` row (`donor`, `cli`, `member:<id>`); `who` is audited as
/// `donor.erased` with the counts only. Running it again changes nothing more.
pub async fn erase(
    db: &Db,
    mailer: &Mailer,
    email: &str,
    requested_by: &str,
    who: &Actor,
) -> anyhow::Result<Erased> {
    let now = Utc::now();
    let (hash, pseudonym) = address_hash(db, email).await?;
    // The mail first: it is no transaction, and a retry after a failure below finds the
    // rest still to do.
    let messages = mailer.erase(email, &pseudonym).await?;
    // The data-link jobs that named the address (run or not: their payloads held it).
    let addr = email.trim().to_lowercase();
    let jobs = crate::jobs::forget_payloads(
        db,
        SEND_LINK,
        |p| {
            p.get("email")
                .and_then(|e| e.as_str())
                .map(|e| e.trim().to_lowercase())
                == Some(addr.clone())
        },
        now,
    )
    .await?;
    let mut tx = db.begin().await?;
    let d = donor_data::erase_in(&mut tx, email, &pseudonym, now).await?;
    let comments = crate::blog::comments::erase_author_email_in(&mut tx, email).await?;
    let out = Erased {
        pseudonym: pseudonym.clone(),
        donations: d.rows.donations,
        sessions: d.rows.sessions,
        messages,
        consents: d.consents,
        pledges: d.rows.pledges,
        comments,
        jobs,
    };
    let id = uuid::Uuid::new_v4().to_string();
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    repo::insert_in(
        &mut tx,
        &repo::Erasure {
            id: id.clone(),
            address_hash: hash,
            pseudonym: pseudonym.clone(),
            requested_by: requested_by.to_string(),
            donations: n(out.donations),
            sessions: n(out.sessions),
            messages: n(out.messages),
            consents: n(out.consents),
            pledges: n(out.pledges),
            created_at: now,
        },
    )
    .await?;
    audit::record_in(
        &mut tx,
        who,
        "donor.erased",
        &id,
        &format!(
            "pseudonym={pseudonym} donations={} sessions={} messages={} consents={} pledges={} \
             comments={} jobs={}",
            out.donations,
            out.sessions,
            out.messages,
            out.consents,
            out.pledges,
            out.comments,
            out.jobs
        ),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(%pseudonym, donations = out.donations, "donor data erased");
    Ok(out)
}

/// Runs a [`SEND_LINK`] job: mails the data link when something names the address.
pub async fn run_job(rc: &Receipts, p: &SendLink, now: DateTime<Utc>) -> anyhow::Result<()> {
    let Ok(to) = Email::parse(&p.email) else {
        return Ok(());
    };
    if !donor_data::holds(&rc.db, to.as_str()).await? {
        return Ok(());
    }
    let tr = rc.mailer.tr(&p.lang).await;
    let url = format!(
        "{}/privacy/data?t={}",
        rc.base_url,
        link_token(&rc.db, to.as_str(), now + LINK_VALID).await?
    );
    let m = crate::mail::notice(
        &tr,
        to,
        &tr.t("privacy-mail-name"),
        tr.t("privacy-mail-subject"),
        tr.t("privacy-mail-intro"),
        tr.t("privacy-mail-action"),
        &url,
    )?;
    rc.mailer.send(&m).await?;
    Ok(())
}
