//! Insight without trackers: page views per page and UTC day, with the referring site, the
//! referral code, the campaign source (`utm_source`), the device class and the language,
//! and visitors told apart by the day's salted hash of their address (`http::visitor`) —
//! no cookies, no stored address, nothing third-party; requests with `DNT: 1` or
//! `Sec-GPC: 1`, and crawlers, are not counted at all.
//!
//! **Off the request's way.** The application's middleware counts a view into the node's
//! in-memory map (`http::views`); [`flush`] (every `insight.flush_secs`, and at shutdown)
//! adds the map to the database with upserts (`page_views`: views add up; `visitors`:
//! visitors first seen on that page that day), so nodes sharing PostgreSQL add up rather
//! than overwrite. Visitor uniqueness: the flush hashes each address key with the day's salt
//! and inserts the hash into `page_visitors` (per page, and for the site under scope '');
//! a hash that was new there counts one visitor. Hashes are needed only while their day's
//! salt exists, so [`prune`] deletes those of past days, and the daily rows after
//! `insight.retention_days`.
//!
//! What is attributed to what (the report): see `docs/insight.md`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::repo;
use crate::db::{Db, DbResult};
use crate::http::views::Views;
use crate::http::visitor;

/// What one flush wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Flushed {
    pub rows: usize,
    pub views: u64,
    pub new_visitors: u64,
}

/// Adds the views counted on this node since the last flush to the database. On a database
/// error the views are put back for the next flush.
pub async fn flush(db: &Db, views: &Views, now: DateTime<Utc>) -> DbResult<Flushed> {
    let taken = views.take();
    if taken.is_empty() {
        return Ok(Flushed::default());
    }
    match write(db, &taken, now).await {
        Ok(f) => Ok(f),
        Err(e) => {
            views.put_back(taken);
            Err(e)
        }
    }
}

async fn write(
    db: &Db,
    taken: &HashMap<crate::http::views::ViewKey, crate::http::views::Counted>,
    now: DateTime<Utc>,
) -> DbResult<Flushed> {
    let today = now.date_naive();
    // Salts first (they may write a setting), outside the transaction.
    let mut salts: HashMap<NaiveDate, Option<String>> = HashMap::new();
    for k in taken.keys() {
        if salts.contains_key(&k.day) {
            continue;
        }
        let salt = if k.day == today {
            Some(visitor::daily_salt(db, today).await?)
        } else {
            visitor::existing_salt(db, k.day).await?
        };
        salts.insert(k.day, salt);
    }
    let mut out = Flushed::default();
    let mut site: HashMap<NaiveDate, i64> = HashMap::new();
    let mut tx = db.begin().await?;
    for (k, c) in taken {
        let mut new = 0_i64;
        if let Some(Some(salt)) = salts.get(&k.day) {
            for a in &c.addresses {
                let h = visitor::hash_key(salt, "view", a);
                if repo::visitor_in(&mut tx, k.day, &k.path, &h).await? {
                    new += 1;
                }
                if repo::visitor_in(&mut tx, k.day, "", &h).await? {
                    *site.entry(k.day).or_default() += 1;
                }
            }
        }
        let views = i64::try_from(c.views).unwrap_or(i64::MAX);
        repo::add_views_in(&mut tx, k, views, new).await?;
        out.rows += 1;
        out.views += c.views;
        out.new_visitors += new as u64;
    }
    for (day, n) in site {
        repo::add_site_visitors_in(&mut tx, day, n).await?;
    }
    tx.commit().await?;
    Ok(out)
}

/// Deletes daily rows older than `retention_days` and visitor hashes of days before
/// yesterday (their salts are gone).
pub async fn prune(db: &Db, retention_days: u32, now: DateTime<Utc>) -> DbResult<u64> {
    let today = now.date_naive();
    let keep_from = today - Duration::days(i64::from(retention_days.max(1)));
    let hashes_from = today - Duration::days(1);
    repo::prune(db, keep_from, hashes_from).await
}

/// How often [`prune`] runs on each node.
pub const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);
