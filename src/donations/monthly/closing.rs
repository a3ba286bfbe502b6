//! A campaign that closes ends its monthly gifts, so no donor is charged for a campaign that
//! takes no more money.
//!
//! [`sweep`] (each node's chore, every few minutes; tests call it with a chosen time) finds
//! the gifts still running (`active`, `past_due`) whose campaign is `closed` or whose end
//! date has passed, and enqueues one [`END_GIFT`] job per gift (dedupe key
//! `monthly-end:<gift id>`, so any number of sweeps on any number of nodes make one). The job
//! cancels the subscription at Stripe through [`super::cancel`] (audited `monthly.canceled`
//! by `system:campaign-closed`); Stripe down fails the job, which the queue retries with
//! backoff. Once cancelled, the donor is told by e-mail through the outbox (key
//! `monthly-ended:<gift id>`, so a retried job sends one message). A campaign that is only
//! funded (and stopped taking gifts) keeps its gifts: a treasurer may still end them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{MonthlyStatus, cancel};
use crate::campaigns::{Campaign, CampaignState};
use crate::db::{Db, DbResult};
use crate::donations::receipts::Receipts;
use crate::donations::repo::monthly as store;
use crate::email::Email;
use crate::jobs::{self, Job};
use crate::payments::Providers;
use crate::team::audit::Actor;

/// The job that ends one monthly gift of a closed campaign.
pub const END_GIFT: &str = "end_monthly_gift";

/// The [`END_GIFT`] job's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EndGift {
    pub gift_id: String,
}

/// Whether a campaign is over for its monthly gifts: closed, or past its end.
pub fn is_over(c: &Campaign, now: DateTime<Utc>) -> bool {
    c.state == CampaignState::Closed || c.ends_at.is_some_and(|e| now >= e)
}

/// Enqueues the end of every running gift of a campaign that is over; the number of gifts
/// found (a gift already enqueued is not enqueued again).
pub async fn sweep(db: &Db, now: DateTime<Utc>) -> DbResult<usize> {
    let running = store::running(db).await?;
    let mut campaigns: HashMap<String, Option<Campaign>> = HashMap::new();
    let mut n = 0;
    for g in running {
        if !campaigns.contains_key(&g.campaign_id) {
            let c = crate::campaigns::repo::by_id(db, &g.campaign_id).await?;
            campaigns.insert(g.campaign_id.clone(), c);
        }
        let Some(Some(c)) = campaigns.get(&g.campaign_id) else {
            continue;
        };
        if !is_over(c, now) {
            continue;
        }
        let job = Job::new(
            END_GIFT,
            &EndGift {
                gift_id: g.id.clone(),
            },
        )
        .map_err(|e| crate::db::DbError::Corrupt(e.to_string()))?;
        jobs::enqueue(db, &job, now, Some(&format!("monthly-end:{}", g.id))).await?;
        n += 1;
    }
    Ok(n)
}

/// Runs an [`END_GIFT`] job: cancels the gift at Stripe (an error is retried by the queue),
/// then e-mails the donor once.
pub async fn run_job(
    rc: &Receipts,
    providers: &Providers,
    p: &EndGift,
    _now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let db = &rc.db;
    let Some(g) = store::get(db, &p.gift_id).await? else {
        return Ok(());
    };
    let Some(c) = crate::campaigns::repo::by_id(db, &g.campaign_id).await? else {
        return Ok(());
    };
    if g.status != MonthlyStatus::Canceled {
        let who = Actor {
            label: "system:campaign-closed".into(),
            ..Default::default()
        };
        cancel(db, providers, &g, &who)
            .await
            .map_err(|e| anyhow::anyhow!("ending monthly gift {}: {e}", g.id))?;
    }
    let Some(to) = g.donor_email.as_deref().and_then(|e| Email::parse(e).ok()) else {
        return Ok(());
    };
    let tr = rc.mailer.tr(&g.lang).await;
    let args = [
        ("campaign", c.title.clone()),
        ("amount", tr.money(g.amount)),
    ];
    let url = format!("{}/campaigns/{}", rc.base_url, c.slug);
    let m = crate::mail::notice(
        &tr,
        to,
        g.donor_name.as_deref().unwrap_or_default(),
        tr.ta("monthly-ended-mail-subject", &args),
        tr.ta("monthly-ended-mail-intro", &args),
        tr.t("monthly-ended-mail-action"),
        &url,
    )?;
    rc.mailer
        .send_keyed(&m, Some(&format!("monthly-ended:{}", g.id)))
        .await?;
    Ok(())
}
