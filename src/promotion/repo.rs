//! Promotion's store: `referral_links` (supporters' links), and insight's `page_views`,
//! `page_visitors` and `visitor_days`.

use chrono::{DateTime, NaiveDate, Utc};

use crate::db::{Db, DbResult, Tx};
use crate::{on_db, on_tx};

use super::referrals::Link;

#[derive(sqlx::FromRow)]
struct LinkRow {
    code: String,
    campaign_id: String,
    public_name: String,
    on_leaderboard: bool,
    member_id: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<LinkRow> for Link {
    fn from(r: LinkRow) -> Link {
        Link {
            code: r.code,
            campaign_id: r.campaign_id,
            public_name: r.public_name,
            on_leaderboard: r.on_leaderboard,
            member_id: r.member_id,
            created_at: r.created_at,
        }
    }
}

const LINK_SELECT: &str = "SELECT code, campaign_id, public_name, on_leaderboard, member_id, created_at \
     FROM referral_links";

/// Stores a new link; `false` when its code is taken.
pub async fn insert_link(db: &Db, l: &Link, manage_hash: Option<&str>) -> DbResult<bool> {
    let n = on_db!(db, |p| {
        sqlx::query(
        "INSERT INTO referral_links (code, campaign_id, public_name, on_leaderboard, manage_hash, \
         member_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO NOTHING"
    )
    .bind(&l.code)
    .bind(&l.campaign_id)
    .bind(&l.public_name)
    .bind(l.on_leaderboard)
    .bind(manage_hash)
    .bind(&l.member_id)
    .bind(l.created_at)
    .execute(p)
    .await?
    .rows_affected()
    });
    Ok(n > 0)
}

pub async fn link(db: &Db, code: &str) -> DbResult<Option<Link>> {
    let sql = format!("{LINK_SELECT} WHERE code = $1");
    let r = on_db!(db, |p| sqlx::query_as::<_, LinkRow>(&sql)
        .bind(code)
        .fetch_optional(p)
        .await?);
    Ok(r.map(Link::from))
}

/// The link `code` if `manage_hash` is its manage token's hash.
pub async fn link_managed(db: &Db, code: &str, manage_hash: &str) -> DbResult<Option<Link>> {
    let sql = format!("{LINK_SELECT} WHERE code = $1 AND manage_hash = $2");
    let r = on_db!(db, |p| sqlx::query_as::<_, LinkRow>(&sql)
        .bind(code)
        .bind(manage_hash)
        .fetch_optional(p)
        .await?);
    Ok(r.map(Link::from))
}

/// A campaign's links, oldest first.
pub async fn links_of(db: &Db, campaign_id: &str) -> DbResult<Vec<Link>> {
    let sql = format!("{LINK_SELECT} WHERE campaign_id = $1 ORDER BY created_at, code");
    let r = on_db!(db, |p| sqlx::query_as::<_, LinkRow>(&sql)
        .bind(campaign_id)
        .fetch_all(p)
        .await?);
    Ok(r.into_iter().map(Link::from).collect())
}

/// A team member's links, oldest first.
pub async fn links_of_member(db: &Db, member_id: &str) -> DbResult<Vec<Link>> {
    let sql = format!("{LINK_SELECT} WHERE member_id = $1 ORDER BY created_at, code");
    let r = on_db!(db, |p| sqlx::query_as::<_, LinkRow>(&sql)
        .bind(member_id)
        .fetch_all(p)
        .await?);
    Ok(r.into_iter().map(Link::from).collect())
}

/// Changes a link's public name and whether it is on the leaderboard.
pub async fn update_link(db: &Db, code: &str, name: &str, on_leaderboard: bool) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "UPDATE referral_links SET public_name = $2, on_leaderboard = $3 WHERE code = $1"
    )
    .bind(code)
    .bind(name)
    .bind(on_leaderboard)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

pub async fn delete_link(db: &Db, code: &str) -> DbResult<()> {
    on_db!(db, |p| sqlx::query(
        "DELETE FROM referral_links WHERE code = $1"
    )
    .bind(code)
    .execute(p)
    .await?
    .rows_affected());
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Page views
// ---------------------------------------------------------------------------------------

/// Remembers a visitor hash of `day` under `scope` (a page, or '' for the site); `true`
/// when it is new.
pub async fn visitor_in(tx: &mut Tx, day: NaiveDate, scope: &str, hash: &str) -> DbResult<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "INSERT INTO page_visitors (day, scope, visitor_hash) VALUES ($1, $2, $3) \
         ON CONFLICT (day, scope, visitor_hash) DO NOTHING"
    )
    .bind(day.to_string())
    .bind(scope)
    .bind(hash)
    .execute(c)
    .await?
    .rows_affected());
    Ok(n > 0)
}

/// Adds `views` and `visitors` to a page's row of a day and dimensions.
pub async fn add_views_in(
    tx: &mut Tx,
    k: &crate::http::views::ViewKey,
    views: i64,
    visitors: i64,
) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO page_views (day, path, referrer_host, ref_code, utm_source, device, lang, \
         views, visitors) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (day, path, referrer_host, ref_code, utm_source, device, lang) DO UPDATE \
         SET views = page_views.views + EXCLUDED.views, \
             visitors = page_views.visitors + EXCLUDED.visitors"
    )
    .bind(k.day.to_string())
    .bind(&k.path)
    .bind(&k.referrer_host)
    .bind(&k.ref_code)
    .bind(&k.utm_source)
    .bind(k.device)
    .bind(k.lang)
    .bind(views)
    .bind(visitors)
    .execute(c)
    .await?
    .rows_affected());
    Ok(())
}

/// Adds `visitors` to the site's visitors of `day`.
pub async fn add_site_visitors_in(tx: &mut Tx, day: NaiveDate, visitors: i64) -> DbResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO visitor_days (day, visitors) VALUES ($1, $2) \
         ON CONFLICT (day) DO UPDATE SET visitors = visitor_days.visitors + EXCLUDED.visitors"
    )
    .bind(day.to_string())
    .bind(visitors)
    .execute(c)
    .await?
    .rows_affected());
    Ok(())
}

/// Deletes the daily rows before `keep_from` and the visitor hashes before `hashes_from`.
pub async fn prune(db: &Db, keep_from: NaiveDate, hashes_from: NaiveDate) -> DbResult<u64> {
    let (k, h) = (keep_from.to_string(), hashes_from.to_string());
    let a = on_db!(db, |p| sqlx::query("DELETE FROM page_views WHERE day < $1")
        .bind(&k)
        .execute(p)
        .await?
        .rows_affected());
    let b = on_db!(db, |p| sqlx::query(
        "DELETE FROM visitor_days WHERE day < $1"
    )
    .bind(&k)
    .execute(p)
    .await?
    .rows_affected());
    let c = on_db!(db, |p| sqlx::query(
        "DELETE FROM page_visitors WHERE day < $1"
    )
    .bind(&h)
    .execute(p)
    .await?
    .rows_affected());
    Ok(a + b + c)
}

/// A dimension the report groups page views by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Day,
    Path,
    ReferrerHost,
    RefCode,
    UtmSource,
    Device,
    Lang,
}

impl Dimension {
    fn column(self) -> &'static str {
        match self {
            Dimension::Day => "day",
            Dimension::Path => "path",
            Dimension::ReferrerHost => "referrer_host",
            Dimension::RefCode => "ref_code",
            Dimension::UtmSource => "utm_source",
            Dimension::Device => "device",
            Dimension::Lang => "lang",
        }
    }
}

/// Views and visitors by one dimension's value, from `since` on, most viewed first (by day:
/// in order of days); at most `limit` rows.
pub async fn views_by(
    db: &Db,
    dim: Dimension,
    since: NaiveDate,
    limit: i64,
) -> DbResult<Vec<(String, i64, i64)>> {
    let col = dim.column();
    let order = if dim == Dimension::Day {
        "day".to_string()
    } else {
        format!("SUM(views) DESC, {col}")
    };
    let sql = format!(
        "SELECT {col}, CAST(SUM(views) AS BIGINT), CAST(SUM(visitors) AS BIGINT) FROM page_views \
         WHERE day >= $1 GROUP BY {col} ORDER BY {order} LIMIT $2"
    );
    Ok(on_db!(db, |p| sqlx::query_as::<_, (String, i64, i64)>(
        &sql
    )
    .bind(since.to_string())
    .bind(limit)
    .fetch_all(p)
    .await?))
}

/// The site's visitors per day from `since` on.
pub async fn site_visitors(db: &Db, since: NaiveDate) -> DbResult<Vec<(String, i64)>> {
    Ok(on_db!(db, |p| sqlx::query_as::<_, (String, i64)>(
        "SELECT day, visitors FROM visitor_days WHERE day >= $1 ORDER BY day"
    )
    .bind(since.to_string())
    .fetch_all(p)
    .await?))
}

/// Views of a campaign's page (and its links' landings) by referral code, all time kept.
pub async fn views_by_code(db: &Db, path: &str) -> DbResult<Vec<(String, i64)>> {
    Ok(on_db!(db, |p| sqlx::query_as::<_, (String, i64)>(
        "SELECT ref_code, CAST(SUM(views) AS BIGINT) FROM page_views \
         WHERE path = $1 AND ref_code <> '' GROUP BY ref_code"
    )
    .bind(path)
    .fetch_all(p)
    .await?))
}

/// The referring hosts of a page by day, from `since` on: (day, host, views).
pub async fn referrers_by_day(
    db: &Db,
    path: &str,
    since: NaiveDate,
) -> DbResult<Vec<(String, String, i64)>> {
    Ok(on_db!(db, |p| sqlx::query_as::<_, (String, String, i64)>(
        "SELECT day, referrer_host, CAST(SUM(views) AS BIGINT) FROM page_views \
         WHERE path = $1 AND day >= $2 AND referrer_host <> '' GROUP BY day, referrer_host"
    )
    .bind(path)
    .bind(since.to_string())
    .fetch_all(p)
    .await?))
}
