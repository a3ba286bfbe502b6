//! `post create`: a blog post, page or note from a Markdown file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};

use super::{StorageArgs, open, settings};
use crate::campaigns::repo;
use crate::db::Db;
use crate::team::audit::Actor;

#[derive(Subcommand, Debug)]
pub enum PostCmd {
    /// Create a post (a draft unless --publish or --at) and print its URL.
    Create(PostCreate),
}

#[derive(Args, Debug)]
pub struct PostCreate {
    /// article, note (no title, short) or page.
    #[arg(long, default_value = "article")]
    pub kind: String,
    #[arg(long, default_value = "")]
    pub title: String,
    /// Markdown file with the text ("-" reads standard input).
    #[arg(long, value_name = "FILE")]
    pub body_file: PathBuf,
    /// The slug of the campaign the post belongs to.
    #[arg(long, value_name = "SLUG")]
    pub campaign: Option<String>,
    /// A tag, repeatable.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// A category, repeatable.
    #[arg(long = "category", value_name = "CATEGORY")]
    pub categories: Vec<String>,
    /// The author's e-mail (a team member); their time zone reads --at.
    #[arg(long, value_name = "EMAIL")]
    pub author: Option<String>,
    /// URL name [default: from the title, or a note's first words].
    #[arg(long)]
    pub slug: Option<String>,
    #[arg(long, default_value = "")]
    pub excerpt: String,
    /// Publish now.
    #[arg(long, conflicts_with = "at")]
    pub publish: bool,
    /// Publish at TIME: RFC 3339, or 'YYYY-MM-DD HH:MM' in the author's time zone.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Public base URL for the printed link [default: the configured base_url].
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
}

pub(super) async fn run(storage: &StorageArgs, cmd: PostCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        PostCmd::Create(a) => {
            let mut s = settings(storage, None)?;
            if let Some(b) = &a.base_url {
                s.base_url = b.clone();
            }
            let db = open(&s).await?;
            post_create(&db, &s.effective_base_url(s.listen), &s.blog.permalink, a).await
        }
    }
}

/// `post create`: prints the post's URL alone on stdout (for scripts).
async fn post_create(
    db: &Db,
    base_url: &str,
    links: &crate::blog::permalink::Permalinks,
    a: PostCreate,
) -> anyhow::Result<ExitCode> {
    use crate::blog::write::{self, NewPost, PostKind, PostStatus, WriteError};
    let kind = PostKind::parse(&a.kind)
        .ok_or_else(|| anyhow!("--kind must be article, note or page, not {:?}", a.kind))?;
    let body = if a.body_file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("cannot read standard input")?
    } else {
        std::fs::read_to_string(&a.body_file)
            .with_context(|| format!("cannot read {}", a.body_file.display()))?
    };
    let author = match &a.author {
        Some(email) => Some(
            crate::team::repo::by_email(db, email)
                .await?
                .ok_or_else(|| anyhow!("no member with the e-mail address {email:?}"))?,
        ),
        None => None,
    };
    let campaign_id = match &a.campaign {
        Some(slug) => Some(
            repo::by_slug(db, slug)
                .await?
                .ok_or_else(|| anyhow!("no campaign with the slug {slug:?}"))?
                .id,
        ),
        None => None,
    };
    let zone = author
        .as_ref()
        .map(|m| m.time_zone.clone())
        .unwrap_or_else(|| "UTC".into());
    let (status, published_at) = match (&a.at, a.publish) {
        (Some(at), _) => {
            let t = write::local_to_utc(at, &zone).ok_or_else(|| {
                anyhow!(
                    "--at must be RFC 3339 or 'YYYY-MM-DD HH:MM' (a time that exists in {zone}), not {at:?}"
                )
            })?;
            (PostStatus::Scheduled, Some(t))
        }
        (None, true) => (PostStatus::Published, None),
        (None, false) => (PostStatus::Draft, None),
    };
    let new = NewPost {
        kind,
        title: a.title,
        body_md: body,
        excerpt: a.excerpt,
        status,
        published_at,
        author_id: author.as_ref().map(|m| m.id.clone()),
        campaign_id,
        sticky: false,
        comments_open: true,
        slug: a.slug,
        categories: a.categories,
        tags: a.tags,
        featured_image_url: None,
        featured_image_alt: None,
        source_key: None,
        created_at: None,
        mail_subscribers: true,
    };
    let p = match write::create(db, &new, &Actor::cli()).await {
        Ok(p) => p,
        Err(WriteError::Invalid(errs)) => bail!(
            "{}",
            errs.iter()
                .map(|(f, c)| write::describe(f, c))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Err(e) => return Err(e.into()),
    };
    eprintln!("created {} {} ({})", p.kind, p.slug, p.status);
    println!("{base_url}{}", write::permalink(&p, links));
    Ok(ExitCode::SUCCESS)
}
