//! Milestones announced to the fediverse: when a public campaign's raised amount passes one
//! of its milestones or its goal, its actor posts a Note to its followers ("We reached
//! “Roof”: £250 of £1,000 raised.", "Funded! …"), with a link to the campaign page.
//!
//! [`sweep`] runs on every node every minute and looks at each public campaign; each amount
//! is announced once (`federation_milestones`, keyed by campaign and amount, the mark made in
//! the transaction that enqueues the deliveries, so two nodes never both announce it).
//! The first time a campaign is looked at, what it has already reached is recorded without a
//! note: upgrading a site, or the demo data, announces nothing old.

use chrono::{DateTime, Utc};
use shelfraiser_formats::html::escape;

use super::deliver;
use super::repo::{self, Published};
use super::{Local, documents};
use crate::db::Db;
use crate::i18n::I18n;

/// How often [`sweep`] runs.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// The amount that marks that the campaign was looked at (nothing is ever raised below 0).
const LOOKED_AT: i64 = -1;

/// Announces what each public campaign reached since it was last looked at; `language` is
/// the notes' language. Returns the notes sent.
pub async fn sweep(
    db: &Db,
    base: &str,
    language: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let tr = I18n::new(language);
    let mut sent = 0;
    for c in crate::campaigns::repo::list(db).await? {
        let Some(local) = super::campaign(c.clone()) else {
            continue;
        };
        let raised = crate::campaigns::repo::totals(db, &c.id)
            .await?
            .raised_minor;
        let marked = repo::milestones_marked(db, &c.id).await?;
        let mut points: Vec<(i64, Option<String>)> = crate::campaigns::repo::milestones(db, &c)
            .await?
            .into_iter()
            .map(|m| (m.amount.amount_minor, Some(m.label)))
            .collect();
        points.push((c.goal.amount_minor, None));
        let first_look = !marked.contains(&LOOKED_AT);
        let due: Vec<_> = points
            .into_iter()
            .filter(|(amount, _)| *amount > 0 && raised >= *amount && !marked.contains(amount))
            .collect();
        if first_look {
            let mut tx = db.begin().await?;
            repo::mark_milestone_in(&mut tx, &c.id, LOOKED_AT, false, now).await?;
            for (amount, _) in &due {
                repo::mark_milestone_in(&mut tx, &c.id, *amount, false, now).await?;
            }
            tx.commit().await?;
            continue;
        }
        // Only the highest one newly passed is announced (a large gift may pass several).
        let Some((top, label)) = due.iter().max_by_key(|(a, _)| *a).cloned() else {
            continue;
        };
        let money = |minor| tr.money(shelfraiser_formats::money::Money::new(minor, c.currency()));
        let page = local.id(base);
        let text = match &label {
            Some(l) => tr.ta(
                "federation-milestone-note",
                [
                    ("title", c.title.clone()),
                    ("milestone", l.clone()),
                    ("raised", money(raised)),
                    ("goal", money(c.goal.amount_minor)),
                ],
            ),
            None => tr.ta(
                "federation-funded-note",
                [("title", c.title.clone()), ("raised", money(raised))],
            ),
        };
        let html = format!(
            "<p>{}</p><p><a href=\"{}\">{}</a></p>",
            escape(&text),
            escape(&page),
            escape(&page)
        );
        let object_id = format!("{page}/milestones/{top}");
        if announce(db, base, &local, &object_id, &html, &c.id, &due, now).await? {
            sent += 1;
        }
    }
    Ok(sent)
}

/// Publishes the note and marks every amount in `due`, in one transaction; `false` when
/// another node marked them first.
#[allow(clippy::too_many_arguments)]
async fn announce(
    db: &Db,
    base: &str,
    local: &Local,
    object_id: &str,
    html: &str,
    campaign_id: &str,
    due: &[(i64, Option<String>)],
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let row = super::ensure(db, local, now).await?;
    let actor = local.id(base);
    let followers = local.followers(base);
    let note = documents::post_object(&documents::PostObject {
        id: object_id,
        note: true,
        attributed_to: &actor,
        followers: &followers,
        title: "",
        summary: "",
        content_html: html,
        url: &actor,
        published: now,
        updated: None,
        image: None,
        tags: &[],
    });
    let id = format!("{object_id}#create");
    let body = documents::activity("Create", &id, &actor, &followers, note).to_string();
    let inboxes = deliver::audience(db, &[row.id.as_str()]).await?;
    let mut tx = db.begin().await?;
    let mut fresh = false;
    for (amount, _) in due {
        fresh |= repo::mark_milestone_in(&mut tx, campaign_id, *amount, true, now).await?;
    }
    if !fresh {
        return Ok(false);
    }
    repo::insert_published_in(
        &mut tx,
        &Published {
            id,
            actor_id: row.id.clone(),
            kind: "Create".into(),
            object_id: object_id.to_string(),
            body: body.clone(),
            published_at: now,
        },
    )
    .await?;
    deliver::enqueue_each_in(&mut tx, base, local, &inboxes, &body, now).await?;
    tx.commit().await?;
    Ok(true)
}
