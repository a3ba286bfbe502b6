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
use crate::donations::attribution::CreditedEntry;
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
    taken: &crate::http::views::Taken,
    now: DateTime<Utc>,
) -> DbResult<Flushed> {
    let today = now.date_naive();
    // Salts first (they may write a setting), outside the transaction.
    let mut salts: HashMap<NaiveDate, Option<String>> = HashMap::new();
    for (k, _) in taken.values() {
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
    for (k, c) in taken.values() {
        let mut new = 0_i64;
        if let Some(Some(salt)) = salts.get(&k.day) {
            for a in &c.addresses {
                let h = visitor::hash(salt, "view", &a.to_string());
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

// ---------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------

pub use super::repo::Dimension;

/// Views and visitors under one value of a dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub value: String,
    pub views: i64,
    pub visitors: i64,
}

/// The site's traffic from `since` on.
#[derive(Debug, Clone, Default)]
pub struct Traffic {
    /// Every day from `since` to today: (day, views, the site's visitors).
    pub days: Vec<(NaiveDate, i64, i64)>,
    pub pages: Vec<Row>,
    pub referrers: Vec<Row>,
    pub codes: Vec<Row>,
    pub sources: Vec<Row>,
    pub devices: Vec<Row>,
    pub langs: Vec<Row>,
}

impl Traffic {
    pub fn views(&self) -> i64 {
        self.days.iter().map(|d| d.1).sum()
    }
}

/// Rows of one dimension (at most `limit`).
pub async fn rows_by(db: &Db, dim: Dimension, since: NaiveDate, limit: i64) -> DbResult<Vec<Row>> {
    Ok(repo::views_by(db, dim, since, limit)
        .await?
        .into_iter()
        .map(|(value, views, visitors)| Row {
            value,
            views,
            visitors,
        })
        .collect())
}

/// The site's traffic from `since` to `today`, each breakdown's top `limit`.
pub async fn traffic(db: &Db, since: NaiveDate, today: NaiveDate, limit: i64) -> DbResult<Traffic> {
    let views: HashMap<String, i64> = repo::views_by(db, Dimension::Day, since, 10_000)
        .await?
        .into_iter()
        .map(|(d, v, _)| (d, v))
        .collect();
    let visitors: HashMap<String, i64> =
        repo::site_visitors(db, since).await?.into_iter().collect();
    let days = since
        .iter_days()
        .take_while(|d| *d <= today)
        .map(|d| {
            let k = d.to_string();
            (
                d,
                views.get(&k).copied().unwrap_or(0),
                visitors.get(&k).copied().unwrap_or(0),
            )
        })
        .collect();
    Ok(Traffic {
        days,
        pages: rows_by(db, Dimension::Path, since, limit).await?,
        referrers: rows_by(db, Dimension::ReferrerHost, since, limit).await?,
        codes: rows_by(db, Dimension::RefCode, since, limit).await?,
        sources: rows_by(db, Dimension::UtmSource, since, limit).await?,
        devices: rows_by(db, Dimension::Device, since, limit).await?,
        langs: rows_by(db, Dimension::Lang, since, limit).await?,
    })
}

/// What brought money: a channel and its name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// A referral link (its code).
    Referral(String),
    /// A campaign source (`utm_source`).
    Source(String),
    /// The other site that sent the visitor (known when the page's script ran).
    Referrer(String),
    /// Nothing known: direct, or a source the donate form's page address did not carry.
    Unknown,
}

/// Money and gifts under one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brought {
    pub channel: Channel,
    pub raised_minor: i64,
    pub donations: i64,
}

fn channel_of(e: &CreditedEntry, codes: &[String]) -> Channel {
    match (&e.ref_code, &e.utm_source) {
        (Some(c), _) if codes.contains(c) => Channel::Referral(c.clone()),
        (_, Some(s)) => Channel::Source(s.clone()),
        _ => match &e.referrer_host {
            Some(h) => Channel::Referrer(h.clone()),
            None => Channel::Unknown,
        },
    }
}

/// "What brought the money", by channel, most first; `codes` are the campaign's links'.
pub fn by_channel(entries: &[CreditedEntry], codes: &[String]) -> Vec<Brought> {
    let mut m: HashMap<Channel, (i64, i64)> = HashMap::new();
    for e in entries {
        let t = m.entry(channel_of(e, codes)).or_default();
        t.0 += e.amount_minor;
        t.1 += i64::from(e.is_gift);
    }
    let mut out: Vec<Brought> = m
        .into_iter()
        .map(|(channel, (raised_minor, donations))| Brought {
            channel,
            raised_minor,
            donations,
        })
        .collect();
    out.sort_by(|a, b| {
        b.raised_minor
            .cmp(&a.raised_minor)
            .then(a.channel.cmp(&b.channel))
    });
    out
}

/// One day of a campaign's money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoneyDay {
    pub day: NaiveDate,
    pub amount_minor: i64,
    pub cumulative_minor: i64,
    pub donations: i64,
}

/// The campaign's money per day from `from` to `to` (the running total counts everything
/// before `from` too).
pub fn money_days(entries: &[CreditedEntry], from: NaiveDate, to: NaiveDate) -> Vec<MoneyDay> {
    let mut per: HashMap<NaiveDate, (i64, i64)> = HashMap::new();
    let mut before = 0;
    for e in entries {
        let d = e.at.date_naive();
        if d < from {
            before += e.amount_minor;
        } else {
            let t = per.entry(d).or_default();
            t.0 += e.amount_minor;
            t.1 += i64::from(e.is_gift);
        }
    }
    let mut cum = before;
    from.iter_days()
        .take_while(|d| *d <= to)
        .map(|day| {
            let (amount_minor, donations) = per.get(&day).copied().unwrap_or((0, 0));
            cum += amount_minor;
            MoneyDay {
                day,
                amount_minor,
                cumulative_minor: cum,
                donations,
            }
        })
        .collect()
}

/// The likely cause of a spike on `day`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The referral link that brought the most that day (its code).
    Referral(String),
    /// The campaign source that brought the most that day.
    Source(String),
    /// A fediverse boost of the campaign's post: the account (`@user@host`) with the most
    /// followers (`None`: unknown) among those who boosted in the 24 h before the day's money.
    Boost {
        account: String,
        followers: Option<i64>,
    },
    /// The site that sent the campaign page most visits that day or the day before.
    Referrer(String),
    /// A post published that day or the day before (its title).
    Post(String),
    Unknown,
}

/// A fediverse boost of one of the campaign's posts, as insight weighs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoostSeen {
    pub at: DateTime<Utc>,
    /// `@user@host`.
    pub account: String,
    /// The account's profile page.
    pub profile: String,
    /// Followers as last read; `None`: unknown.
    pub followers: Option<i64>,
}

/// How long after a boost money counts as "given in the 24 h after" it, and how long before a
/// spike day's money a boost is a candidate cause.
pub const BOOST_WINDOW_HOURS: i64 = 24;

/// The boosts a spike on `day` may be owed to: made from [`BOOST_WINDOW_HOURS`] before the
/// day's first gift (the day's start when it had none) to its last gift (the day's end).
fn boosts_before<'a>(
    day: NaiveDate,
    that_day: &[CreditedEntry],
    boosts: &'a [BoostSeen],
) -> impl Iterator<Item = &'a BoostSeen> {
    let start = day.and_time(chrono::NaiveTime::MIN).and_utc();
    let first = that_day.iter().map(|e| e.at).min().unwrap_or(start);
    let last = that_day
        .iter()
        .map(|e| e.at)
        .max()
        .unwrap_or(start + Duration::days(1));
    let from = first - Duration::hours(BOOST_WINDOW_HOURS);
    boosts.iter().filter(move |b| b.at >= from && b.at <= last)
}

/// The most likely cause of a spike on `day`, in this order: (1) the channel that brought the
/// most money that day — a referral link or campaign source — if at least a quarter of it (a
/// code or source is evidence carried by the gift itself); (2) the fediverse boost with the
/// most followers among those made in the 24 h before the day's money (`boosts`; a known
/// count beats an unknown one, the earlier boost a tie); (3) the site that sent the most
/// visits to the campaign page (`visits`: day, host, views) that day or the day before; (4)
/// a post published then (`posts`: day, title).
pub fn cause(
    day: NaiveDate,
    entries: &[CreditedEntry],
    codes: &[String],
    boosts: &[BoostSeen],
    visits: &[(NaiveDate, String, i64)],
    posts: &[(NaiveDate, String)],
) -> Cause {
    let that_day: Vec<CreditedEntry> = entries
        .iter()
        .filter(|e| e.at.date_naive() == day)
        .cloned()
        .collect();
    // A channel is the cause only when it brought a good part (a quarter) of the day's money.
    let total: i64 = that_day.iter().map(|e| e.amount_minor).sum();
    if let Some(top) = by_channel(&that_day, codes).into_iter().find(|b| {
        b.channel != Channel::Unknown && b.raised_minor > 0 && b.raised_minor * 4 >= total
    }) {
        return match top.channel {
            Channel::Referral(c) => Cause::Referral(c),
            Channel::Source(s) => Cause::Source(s),
            Channel::Referrer(h) => Cause::Referrer(h),
            Channel::Unknown => Cause::Unknown,
        };
    }
    if let Some(b) = boosts_before(day, &that_day, boosts)
        .max_by(|a, b| a.followers.cmp(&b.followers).then(b.at.cmp(&a.at)))
    {
        return Cause::Boost {
            account: b.account.clone(),
            followers: b.followers,
        };
    }
    let near = |d: &NaiveDate| *d == day || d.succ_opt() == Some(day);
    if let Some((_, host, _)) = visits
        .iter()
        .filter(|(d, _, _)| near(d))
        .max_by(|a, b| a.2.cmp(&b.2).then(b.1.cmp(&a.1)))
    {
        return Cause::Referrer(host.clone());
    }
    if let Some((_, title)) = posts.iter().find(|(d, _)| near(d)) {
        return Cause::Post(title.clone());
    }
    Cause::Unknown
}

/// Money given in the [`BOOST_WINDOW_HOURS`] after `at` (refunds and voids included as the
/// ledger has them).
pub fn given_after(entries: &[CreditedEntry], at: DateTime<Utc>) -> i64 {
    let until = at + Duration::hours(BOOST_WINDOW_HOURS);
    entries
        .iter()
        .filter(|e| e.at >= at && e.at < until)
        .map(|e| e.amount_minor)
        .sum()
}

/// One account that boosted the campaign's posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booster {
    pub account: String,
    pub profile: String,
    pub boosts: i64,
    /// The largest count read; `None`: unknown.
    pub followers: Option<i64>,
    /// Money given in the 24 h after any of its boosts (each gift counted once, however many
    /// of its boosts it follows). A boost carries no code: this is what came after, not what
    /// it brought.
    pub given_minor: i64,
}

/// The accounts that boosted, most followers first (unknown last), then most money after.
pub fn by_booster(entries: &[CreditedEntry], boosts: &[BoostSeen]) -> Vec<Booster> {
    let mut out: Vec<Booster> = Vec::new();
    for b in boosts {
        match out.iter_mut().find(|x| x.account == b.account) {
            Some(x) => {
                x.boosts += 1;
                x.followers = x.followers.max(b.followers);
            }
            None => out.push(Booster {
                account: b.account.clone(),
                profile: b.profile.clone(),
                boosts: 1,
                followers: b.followers,
                given_minor: 0,
            }),
        }
    }
    let window = Duration::hours(BOOST_WINDOW_HOURS);
    for x in &mut out {
        let times: Vec<DateTime<Utc>> = boosts
            .iter()
            .filter(|b| b.account == x.account)
            .map(|b| b.at)
            .collect();
        x.given_minor = entries
            .iter()
            .filter(|e| times.iter().any(|t| e.at >= *t && e.at < *t + window))
            .map(|e| e.amount_minor)
            .sum();
    }
    out.sort_by(|a, b| {
        b.followers
            .cmp(&a.followers)
            .then(b.given_minor.cmp(&a.given_minor))
            .then(a.account.cmp(&b.account))
    });
    out
}

/// The referring hosts of a campaign page by day from `since` on.
pub async fn page_referrers(
    db: &Db,
    path: &str,
    since: NaiveDate,
) -> DbResult<Vec<(NaiveDate, String, i64)>> {
    Ok(repo::referrers_by_day(db, path, since)
        .await?
        .into_iter()
        .filter_map(|(d, h, n)| Some((d.parse().ok()?, h, n)))
        .collect())
}

/// Campaign page views that came with each referral code (all days kept).
pub async fn visits_by_code(db: &Db, campaign_path: &str) -> DbResult<Vec<(String, i64)>> {
    repo::views_by_code(db, campaign_path).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2025, 3, day, 12, 0, 0)
            .single()
            .expect("time")
    }

    fn e(day: u32, minor: i64, code: Option<&str>, source: Option<&str>) -> CreditedEntry {
        CreditedEntry {
            at: at(day),
            amount_minor: minor,
            is_gift: minor > 0,
            donation_id: None,
            ref_code: code.map(str::to_string),
            utm_source: source.map(str::to_string),
            referrer_host: None,
        }
    }

    #[test]
    fn a_gift_without_code_or_source_is_credited_to_the_site_that_sent_it() {
        let mut from_blog = e(3, 900, None, None);
        from_blog.referrer_host = Some("blog.example".into());
        let mut coded = e(3, 500, Some("bcdfghjk"), None);
        coded.referrer_host = Some("blog.example".into());
        let got = by_channel(
            &[from_blog, coded, e(3, 100, None, None)],
            &["bcdfghjk".into()],
        );
        let channels: Vec<(Channel, i64)> = got
            .into_iter()
            .map(|b| (b.channel, b.raised_minor))
            .collect();
        assert_eq!(
            channels,
            vec![
                (Channel::Referrer("blog.example".into()), 900),
                (Channel::Referral("bcdfghjk".into()), 500),
                (Channel::Unknown, 100),
            ]
        );
    }

    #[test]
    fn money_is_credited_by_channel_and_a_spike_to_its_likely_cause() {
        let codes = vec!["bcdfghjk".to_string()];
        let entries = vec![
            e(1, 1000, None, None),
            e(2, 2500, Some("bcdfghjk"), None),
            e(2, 500, Some("unknown1"), None),
            e(3, 700, None, Some("newsletter")),
            e(3, -200, Some("bcdfghjk"), None),
        ];
        let b = by_channel(&entries, &codes);
        assert_eq!(b[0].channel, Channel::Referral("bcdfghjk".into()));
        assert_eq!((b[0].raised_minor, b[0].donations), (2300, 1));
        assert!(b.contains(&Brought {
            channel: Channel::Unknown,
            raised_minor: 1500,
            donations: 2
        }));
        let d = |n: u32| NaiveDate::from_ymd_opt(2025, 3, n).expect("day");
        assert_eq!(
            cause(d(2), &entries, &codes, &[], &[], &[]),
            Cause::Referral("bcdfghjk".into())
        );
        assert_eq!(
            cause(
                d(1),
                &entries,
                &codes,
                &[],
                &[(d(1), "social.example".into(), 40)],
                &[]
            ),
            Cause::Referrer("social.example".into())
        );
        assert_eq!(
            cause(d(1), &entries, &codes, &[], &[], &[(d(1), "News".into())]),
            Cause::Post("News".into())
        );
        assert_eq!(cause(d(5), &entries, &codes, &[], &[], &[]), Cause::Unknown);
        // A link that brought a sliver of a big day is not its cause.
        let mut big = entries.clone();
        big.push(e(2, 90_000, None, None));
        assert_eq!(cause(d(2), &big, &codes, &[], &[], &[]), Cause::Unknown);
        let days = money_days(&entries, d(2), d(4));
        assert_eq!(days.len(), 3);
        assert_eq!(
            (days[0].amount_minor, days[0].cumulative_minor),
            (3000, 4000)
        );
        assert_eq!(
            (days[1].amount_minor, days[1].cumulative_minor),
            (500, 4500)
        );
        assert_eq!((days[2].amount_minor, days[2].cumulative_minor), (0, 4500));
    }

    fn boost(at: DateTime<Utc>, who: &str, followers: Option<i64>) -> BoostSeen {
        BoostSeen {
            at,
            account: who.into(),
            profile: format!("https://social.example/{who}"),
            followers,
        }
    }

    fn e_at(at: DateTime<Utc>, minor: i64) -> CreditedEntry {
        CreditedEntry {
            at,
            amount_minor: minor,
            is_gift: minor > 0,
            donation_id: None,
            ref_code: None,
            utm_source: None,
            referrer_host: None,
        }
    }

    #[test]
    fn a_spike_after_a_big_boost_is_owed_to_the_boost() {
        let d = |n: u32| NaiveDate::from_ymd_opt(2025, 3, n).expect("day");
        let h = |day: u32, hour: u32| {
            chrono::TimeZone::with_ymd_and_hms(&Utc, 2025, 3, day, hour, 0, 0)
                .single()
                .expect("time")
        };
        // A quiet series, then a day of £640 after two boosts the evening before.
        let mut entries: Vec<CreditedEntry> = (1..8).map(|n| e_at(h(n, 12), 500)).collect();
        entries.extend([e_at(h(9, 8), 30_000), e_at(h(9, 10), 34_000)]);
        let boosts = vec![
            boost(h(8, 20), "@small@social.example", Some(300)),
            boost(h(8, 21), "@someone@social.example", Some(17_000)),
            boost(h(9, 23), "@later@social.example", Some(90_000)),
            boost(h(2, 9), "@old@social.example", Some(1_000_000)),
        ];
        let series: Vec<i64> = money_days(&entries, d(1), d(9))
            .iter()
            .map(|m| m.amount_minor)
            .collect();
        assert_eq!(crate::promotion::chart::spikes(&series, 100), vec![8]);
        let visits = [(d(9), "social.example".to_string(), 300)];
        let posts = [(d(9), "News".to_string())];
        // The boost with the most followers before the day's money; not the one after its
        // last gift, not the one a week before.
        assert_eq!(
            cause(d(9), &entries, &[], &boosts, &visits, &posts),
            Cause::Boost {
                account: "@someone@social.example".into(),
                followers: Some(17_000)
            }
        );
        // A known count beats an unknown one; without a count the boost still names it.
        let unknown = vec![boost(h(8, 22), "@quiet@social.example", None)];
        assert_eq!(
            cause(d(9), &entries, &[], &unknown, &[], &[]),
            Cause::Boost {
                account: "@quiet@social.example".into(),
                followers: None
            }
        );
        let mixed = [unknown.clone(), boosts.clone()].concat();
        assert!(matches!(
            cause(d(9), &entries, &[], &mixed, &[], &[]),
            Cause::Boost {
                followers: Some(17_000),
                ..
            }
        ));
        // A referral link that brought a quarter of the day comes first.
        let mut coded = entries.clone();
        coded.push(CreditedEntry {
            ref_code: Some("bcdfghjk".into()),
            ..e_at(h(9, 11), 40_000)
        });
        assert_eq!(
            cause(d(9), &coded, &["bcdfghjk".into()], &boosts, &visits, &posts),
            Cause::Referral("bcdfghjk".into())
        );
        // Without a boost in the window, the referrer fallback as before.
        assert_eq!(
            cause(d(9), &entries, &[], &boosts[2..], &visits, &posts),
            Cause::Referrer("social.example".into())
        );
        // Money given in the 24 h after each account's boosts, each gift once.
        assert_eq!(given_after(&entries, h(8, 21)), 64_000);
        let table = by_booster(
            &entries,
            &[
                boosts.clone(),
                vec![boost(h(8, 23), "@someone@social.example", Some(17_100))],
            ]
            .concat(),
        );
        assert_eq!(table[0].account, "@old@social.example");
        let someone = table
            .iter()
            .find(|b| b.account == "@someone@social.example")
            .expect("someone");
        assert_eq!(
            (someone.boosts, someone.followers, someone.given_minor),
            (2, Some(17_100), 64_000)
        );
        let later = table
            .iter()
            .find(|b| b.account == "@later@social.example")
            .expect("later");
        assert_eq!(later.given_minor, 0);
    }
}
