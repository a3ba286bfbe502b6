//! The command line. Storage options (`--config`, `--data-dir`, `--database-url`) are global,
//! so every subcommand reads and writes the same data a running `serve` does.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand};

use crate::app::server::{Application, shutdown_signal};
use crate::campaigns::{CampaignState, Milestone, NewCampaign, Progress, Slug, repo};
use crate::config::{DEFAULT_CONFIG, Overrides, Settings};
use crate::db::Db;
use crate::donations::ledger::{self, Recorded};
use crate::donations::offline::{self, OfflineError, OfflineInput};
use crate::i18n::I18n;
use crate::money::{CurrencyCode, Money};
use crate::rates;
use crate::team::audit::Actor;

#[derive(Parser, Debug)]
#[command(
    name = "shelfraiser",
    version,
    about = "A self-hosted home for a library cause."
)]
pub struct Cli {
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone, Default)]
pub struct StorageArgs {
    /// Configuration file (TOML). Default: ./shelfraiser.toml when present.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Folder for the SQLite database and local files [default: ./shelfraiser-data].
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// sqlite://PATH or postgres://USER:PASS@HOST/DB [default: SQLite in the data dir].
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web server.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Configuration helpers.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Create, list and show campaigns.
    #[command(subcommand)]
    Campaign(CampaignCmd),
    /// Record donations.
    #[command(subcommand)]
    Donation(DonationCmd),
    /// Exchange rates.
    #[command(subcommand)]
    Rates(RatesCmd),
    /// The donation ledger.
    #[command(subcommand)]
    Ledger(LedgerCmd),
    /// Personal API tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Team members.
    #[command(subcommand)]
    User(UserCmd),
    /// Blog posts.
    #[command(subcommand)]
    Post(PostCmd),
    /// The background job queue.
    #[command(subcommand)]
    Jobs(JobsCmd),
    /// Bring content in from elsewhere.
    #[command(subcommand)]
    Import(ImportCmd),
}

#[derive(Subcommand, Debug)]
pub enum ImportCmd {
    /// Import a WordPress export (WXR 1.1/1.2 from Tools → Export): authors, categories,
    /// tags, posts, pages, comments and attachments; old permalinks keep working. Running it
    /// again changes nothing.
    Wordpress(WordpressImport),
}

#[derive(Args, Debug)]
pub struct WordpressImport {
    /// The export file (.xml).
    pub file: PathBuf,
    /// Folder with the site's uploads (wp-content/uploads): images found there are copied.
    /// Without it, attachments keep their original URLs.
    #[arg(long, value_name = "DIR")]
    pub media_dir: Option<PathBuf>,
    /// Show what would be imported without writing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the time taken and the peak memory (VmHWM) at the end.
    #[arg(long)]
    pub stats: bool,
}

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

#[derive(Subcommand, Debug)]
pub enum JobsCmd {
    /// Run every background job that is due now, once, and exit.
    Run,
}

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Add a team member (or give an existing one more roles) and print a one-time
    /// sign-in link.
    Add(UserAdd),
}

#[derive(Args, Debug)]
pub struct UserAdd {
    /// The member's e-mail address.
    #[arg(long)]
    pub email: String,
    /// The member's display name.
    #[arg(long)]
    pub name: String,
    /// owner, editor, treasurer or member; repeatable.
    #[arg(long = "role", required = true, value_name = "ROLE")]
    pub roles: Vec<String>,
    /// Give the roles for this campaign only (its slug) instead of the whole site.
    #[arg(long, value_name = "SLUG")]
    pub campaign: Option<String>,
    /// IANA time zone, e.g. Europe/Copenhagen.
    #[arg(long, default_value = "UTC")]
    pub time_zone: String,
    /// Languages in order of preference, e.g. da or da,en.
    #[arg(long, default_value = "en")]
    pub language: String,
    /// Public base URL for the link [default: the configured base_url, or http://LISTEN].
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Create a personal API token for a member and print it (shown only this once).
    Create {
        /// The member's e-mail address.
        #[arg(long)]
        email: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        label: String,
    },
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Public base URL, e.g. https://give.example.org.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Seed the demo campaign into an empty database and enable test payments.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Subcommand, Debug)]
pub enum ConfigCmd {
    /// Print the default configuration file, with every key documented.
    Default,
}

#[derive(Subcommand, Debug)]
pub enum CampaignCmd {
    /// Create a campaign.
    Create(Box<CampaignCreate>),
    /// List campaigns.
    List,
    /// Show one campaign and its progress.
    Show {
        /// The campaign's slug.
        slug: String,
    },
    /// Change a campaign's state: draft, live, funded or closed.
    State {
        /// The campaign's slug.
        slug: String,
        /// The new state.
        state: String,
    },
}

#[derive(Args, Debug)]
pub struct CampaignCreate {
    /// URL name: lowercase letters, digits and hyphens.
    #[arg(long)]
    pub slug: String,
    #[arg(long)]
    pub title: String,
    #[arg(long, default_value = "")]
    pub summary: String,
    /// Markdown file with the story.
    #[arg(long, value_name = "FILE")]
    pub story_file: Option<PathBuf>,
    /// Goal in major units of the currency, e.g. 12000 or 12000.50.
    #[arg(long)]
    pub goal: String,
    /// Campaign currency (ISO 4217).
    #[arg(long)]
    pub currency: String,
    /// Other accepted currencies, comma-separated (e.g. USD,EUR,DKK).
    #[arg(long, value_delimiter = ',')]
    pub accept: Vec<String>,
    /// Start (RFC 3339 or YYYY-MM-DD) [default: now].
    #[arg(long)]
    pub starts: Option<String>,
    /// End (RFC 3339 or YYYY-MM-DD).
    #[arg(long)]
    pub ends: Option<String>,
    #[arg(long, default_value = "")]
    pub beneficiary_name: String,
    #[arg(long, default_value = "")]
    pub beneficiary_place: String,
    /// A milestone as AMOUNT:LABEL, repeatable (e.g. --milestone "2500:Roof and walls").
    #[arg(long = "milestone", value_name = "AMOUNT:LABEL")]
    pub milestones: Vec<String>,
    /// draft or live.
    #[arg(long, default_value = "draft")]
    pub state: String,
    /// Stop taking donations once the goal is reached.
    #[arg(long)]
    pub stop_when_funded: bool,
    /// Show this campaign on the front page.
    #[arg(long)]
    pub featured: bool,
}

#[derive(Subcommand, Debug)]
pub enum DonationCmd {
    /// Record an offline donation (cash, bank transfer, cheque).
    Add(DonationAdd),
}

#[derive(Args, Debug)]
pub struct DonationAdd {
    /// Campaign slug.
    #[arg(long)]
    pub campaign: String,
    /// Amount in major units, e.g. 25 or 25.50.
    #[arg(long)]
    pub amount: String,
    /// Currency of the amount (ISO 4217); converted to the campaign currency at today's rate.
    #[arg(long)]
    pub currency: String,
    /// Donor name.
    #[arg(long)]
    pub donor: Option<String>,
    /// Donor e-mail.
    #[arg(long)]
    pub email: Option<String>,
    /// Date the money was received (YYYY-MM-DD) [default: today].
    #[arg(long)]
    pub date: Option<String>,
    /// Treasurer's note.
    #[arg(long)]
    pub note: Option<String>,
    /// Donor's public message.
    #[arg(long)]
    pub message: Option<String>,
    /// public, anonymous or private.
    #[arg(long, default_value = "private")]
    pub visibility: String,
    /// Your reference (receipt or bank reference). Recording the same reference twice
    /// records one donation. [default: a new random reference]
    #[arg(long)]
    pub reference: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum RatesCmd {
    /// Import the European Central Bank's reference rates (eurofxref-daily.xml format).
    Import {
        /// The XML file.
        file: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum LedgerCmd {
    /// Recompute every total from the ledger and compare with what pages show.
    Verify,
}

/// Entry point: parses arguments, runs, prints one clear sentence on error.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            let mut msg = e.to_string();
            for cause in e.chain().skip(1) {
                msg.push_str(": ");
                msg.push_str(&cause.to_string());
            }
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn settings(storage: &StorageArgs, serve: Option<&ServeArgs>) -> anyhow::Result<Settings> {
    let o = Overrides {
        config: storage.config.clone(),
        data_dir: storage.data_dir.clone(),
        database_url: storage.database_url.clone(),
        listen: serve.and_then(|s| s.listen),
        base_url: serve.and_then(|s| s.base_url.clone()),
        demo: serve.is_some_and(|s| s.demo),
    };
    let s = Settings::load(&o)?;
    // The forwarding settings are the HTTP layer's to read: checked here, before anything starts.
    s.client_ip_header
        .parse::<crate::http::client_ip::ForwardedHeader>()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    crate::http::client_ip::Proxies::parse(&s.trusted_proxies, &s.client_ip_header)
        .map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))?;
    Ok(s)
}

fn init_logging(s: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SHELFRAISER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if s.log_format == "json" {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.try_init();
    }
}

async fn open(s: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&s.effective_database_url())
        .await
        .context("cannot open the database")?;
    db.migrate().await?;
    Ok(db)
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => {
            let s = settings(&cli.storage, Some(&args))?;
            init_logging(&s);
            let demo = s.demo;
            let app = Application::build(s).await?;
            let base = app.state().base_url.clone();
            println!("listening on http://{}", app.addr());
            if demo {
                println!("demo campaign: {base}/campaigns/{}", crate::app::demo::SLUG);
                println!("test payments are on: the donate form leads to a TEST MODE checkout");
                println!("team sign-in: {base}/signin");
                for m in crate::app::demo::TEAM {
                    println!(
                        "demo sign-in ({}, {}): {} / {}",
                        m.role, m.country, m.email, m.password
                    );
                }
            }
            app.run_until(shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let s = settings(&cli.storage, None)?;
            let db = open(&s).await?;
            println!("migrations applied ({})", db.backend());
            Ok(ExitCode::SUCCESS)
        }
        Command::Config(ConfigCmd::Default) => {
            print!("{DEFAULT_CONFIG}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Campaign(cmd) => {
            let s = settings(&cli.storage, None)?;
            let db = open(&s).await?;
            campaign(&db, cmd).await
        }
        Command::Donation(DonationCmd::Add(a)) => {
            let s = settings(&cli.storage, None)?;
            let db = open(&s).await?;
            donation_add(&db, a).await
        }
        Command::Rates(RatesCmd::Import { file }) => {
            let s = settings(&cli.storage, None)?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let sheets = rates::parse_ecb(&text)?;
            let db = open(&s).await?;
            let n = rates::import(&db, &sheets).await?;
            for sh in &sheets {
                println!(
                    "{}: {} rates{}",
                    sh.as_of,
                    sh.per_eur.len(),
                    if sh.skipped.is_empty() {
                        String::new()
                    } else {
                        format!(" (skipped unknown: {})", sh.skipped.join(", "))
                    }
                );
            }
            println!("{n} new rates stored");
            Ok(ExitCode::SUCCESS)
        }
        Command::Token(TokenCmd::Create { email, label }) => {
            let s = settings(&cli.storage, None)?;
            let db = open(&s).await?;
            token_create(&db, &email, &label).await
        }
        Command::User(UserCmd::Add(a)) => {
            let mut s = settings(&cli.storage, None)?;
            if let Some(b) = &a.base_url {
                s.base_url = b.clone();
            }
            let db = open(&s).await?;
            user_add(&db, &s.effective_base_url(s.listen), a).await
        }
        Command::Import(ImportCmd::Wordpress(a)) => {
            let s = settings(&cli.storage, None)?;
            let db = open(&s).await?;
            let started = std::time::Instant::now();
            let opts = crate::import::wordpress::Options {
                file: a.file,
                media_dir: a.media_dir,
                dry_run: a.dry_run,
                permalinks: s.blog.permalink.clone(),
            };
            let report = crate::import::wordpress::import(&db, &opts).await?;
            print!("{}", report.render());
            if a.stats {
                println!("time: {:.2} s", started.elapsed().as_secs_f64());
                let hwm = std::fs::read_to_string("/proc/self/status")
                    .ok()
                    .and_then(|t| {
                        t.lines()
                            .find(|l| l.starts_with("VmHWM:"))
                            .map(|l| l["VmHWM:".len()..].trim().to_string())
                    })
                    .unwrap_or_else(|| "unknown".into());
                println!("peak memory (VmHWM): {hwm}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Post(PostCmd::Create(a)) => {
            let mut s = settings(&cli.storage, None)?;
            if let Some(b) = &a.base_url {
                s.base_url = b.clone();
            }
            let db = open(&s).await?;
            post_create(&db, &s.effective_base_url(s.listen), &s.blog.permalink, a).await
        }
        Command::Jobs(JobsCmd::Run) => {
            let s = settings(&cli.storage, None)?;
            let db = open(&s).await?;
            let n = crate::jobs::run_due(&db, &super::job_handlers(), Utc::now()).await?;
            println!("{n} jobs run");
            Ok(ExitCode::SUCCESS)
        }
        Command::Ledger(LedgerCmd::Verify) => {
            let s = settings(&cli.storage, None)?;
            let db = open(&s).await?;
            let r = ledger::verify(&db).await?;
            if r.mismatches.is_empty() {
                println!(
                    "ledger ok: {} campaigns, {} entries, every total matches",
                    r.campaigns, r.entries
                );
                Ok(ExitCode::SUCCESS)
            } else {
                for m in &r.mismatches {
                    eprintln!("mismatch: {m}");
                }
                eprintln!(
                    "error: the ledger and the shown totals differ in {} places",
                    r.mismatches.len()
                );
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

/// `token create`: prints the new token alone on stdout (for scripts).
async fn token_create(db: &Db, email: &str, label: &str) -> anyhow::Result<ExitCode> {
    let m = crate::team::repo::by_email(db, email)
        .await?
        .ok_or_else(|| anyhow!("no member with the e-mail address {email:?}"))?;
    if !m.is_active() {
        bail!("the member {email} is {}, not active", m.status);
    }
    let label = crate::team::tokens::clean_label(label).ok_or_else(|| {
        anyhow!(
            "--label must be 1 to {} characters",
            crate::team::tokens::MAX_LABEL
        )
    })?;
    let (_, token) =
        crate::team::tokens::create(db, &m.id, &label, &crate::team::audit::Actor::cli()).await?;
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}

async fn user_add(db: &Db, base_url: &str, a: UserAdd) -> anyhow::Result<ExitCode> {
    let mut roles = Vec::new();
    let scope = match &a.campaign {
        Some(slug) => Some(
            repo::by_slug(db, slug)
                .await?
                .ok_or_else(|| anyhow!("no campaign with the slug {slug:?}"))?
                .id,
        ),
        None => None,
    };
    for r in &a.roles {
        let role = crate::team::Role::parse(r.trim())
            .ok_or_else(|| anyhow!("unknown role {r:?}: use owner, editor, treasurer or member"))?;
        roles.push((role, scope.clone()));
    }
    let tz = a.time_zone.trim();
    if tz.parse::<chrono_tz::Tz>().is_err() {
        bail!("--time-zone must be an IANA time zone such as Europe/Copenhagen, not {tz:?}");
    }
    let new = crate::team::repo::NewMember {
        email: crate::email::Email::parse(&a.email)?,
        display_name: a.name.trim().to_string(),
        time_zone: tz.to_string(),
        languages: a.language.trim().to_string(),
        status: crate::team::MemberStatus::Active,
    };
    let added = crate::team::signin::add_member_with_link(db, base_url, &new, &roles).await?;
    let roles_text = a.roles.join(", ");
    let scope_text = a
        .campaign
        .as_ref()
        .map(|c| format!(" on the campaign {c}"))
        .unwrap_or_default();
    if added.created {
        println!(
            "added {} ({}) as {roles_text}{scope_text}",
            added.member.email, added.member.display_name
        );
    } else {
        println!(
            "{} already exists: gave them {roles_text}{scope_text}",
            added.member.email
        );
    }
    println!("one-time sign-in link (works once, within 24 hours):");
    println!("{}", added.link);
    Ok(ExitCode::SUCCESS)
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
        source_key: None,
        created_at: None,
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

fn parse_time(s: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| anyhow!("{s:?} is not a date (use YYYY-MM-DD or RFC 3339)"))?;
    d.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .ok_or_else(|| anyhow!("bad date {s}"))
}

async fn campaign(db: &Db, cmd: CampaignCmd) -> anyhow::Result<ExitCode> {
    let tr = I18n::new("en");
    match cmd {
        CampaignCmd::Create(a) => {
            let currency = CurrencyCode::parse(&a.currency)?;
            let goal = Money::parse_major(&a.goal, currency).context("bad --goal")?;
            let mut accepted = vec![currency];
            for c in &a.accept {
                let c = CurrencyCode::parse(c)?;
                if !accepted.contains(&c) {
                    accepted.push(c);
                }
            }
            let mut milestones = Vec::new();
            for m in &a.milestones {
                let (amt, label) = m
                    .split_once(':')
                    .ok_or_else(|| anyhow!("--milestone must look like 2500:Label"))?;
                milestones.push(Milestone {
                    amount: Money::parse_major(amt, currency)?,
                    label: label.trim().to_string(),
                });
            }
            let state = match a.state.as_str() {
                "draft" => CampaignState::Draft,
                "live" => CampaignState::Live,
                other => bail!("--state must be draft or live, not {other:?}"),
            };
            let story = match &a.story_file {
                Some(p) => std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read {}", p.display()))?,
                None => String::new(),
            };
            let n = NewCampaign {
                slug: Slug::parse(&a.slug)?,
                title: a.title.trim().to_string(),
                summary: a.summary,
                story_md: story,
                goal,
                accepted,
                starts_at: a
                    .starts
                    .as_deref()
                    .map(parse_time)
                    .transpose()?
                    .unwrap_or_else(Utc::now),
                ends_at: a.ends.as_deref().map(parse_time).transpose()?,
                beneficiary_name: a.beneficiary_name,
                beneficiary_place: a.beneficiary_place,
                cover_image_url: None,
                cover_image_alt: None,
                state,
                keep_accepting: !a.stop_when_funded,
                featured: a.featured,
                milestones,
            };
            if n.title.is_empty() {
                bail!("--title must not be empty");
            }
            let c = repo::create(db, &n).await?;
            println!(
                "created campaign {} ({}), goal {}",
                c.slug,
                c.state.as_str(),
                tr.money(c.goal)
            );
            Ok(ExitCode::SUCCESS)
        }
        CampaignCmd::List => {
            for c in repo::list(db).await? {
                let t = repo::totals(db, &c.id).await?;
                let p = Progress::of(&c, &t, Utc::now());
                println!(
                    "{}\t{}\t{} of {}\t{}%\t{}",
                    c.slug,
                    c.state.as_str(),
                    tr.money(p.raised),
                    tr.money(p.goal),
                    p.percent,
                    c.title
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        CampaignCmd::State { slug, state } => {
            let c = repo::by_slug(db, &slug)
                .await?
                .ok_or_else(|| anyhow!("no campaign with the slug {slug:?}"))?;
            let new = CampaignState::parse(&state).ok_or_else(|| {
                anyhow!("the state must be draft, live, funded or closed, not {state:?}")
            })?;
            repo::set_state(db, &c.id, new).await?;
            println!("{} is now {}", c.slug, new.as_str());
            Ok(ExitCode::SUCCESS)
        }
        CampaignCmd::Show { slug } => {
            let c = repo::by_slug(db, &slug)
                .await?
                .ok_or_else(|| anyhow!("no campaign with the slug {slug:?}"))?;
            let t = repo::totals(db, &c.id).await?;
            let p = Progress::of(&c, &t, Utc::now());
            println!("slug:        {}", c.slug);
            println!("title:       {}", c.title);
            println!("state:       {}", c.state.as_str());
            println!(
                "raised:      {} of {} ({}%)",
                tr.money(p.raised),
                tr.money(p.goal),
                p.percent
            );
            println!("donations:   {}", p.donors);
            println!(
                "currencies:  {}",
                c.accepted
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            println!("starts:      {}", c.starts_at.to_rfc3339());
            println!(
                "ends:        {}",
                c.ends_at
                    .map(|e| e.to_rfc3339())
                    .unwrap_or_else(|| "-".into())
            );
            for m in repo::milestones(db, &c).await? {
                println!(
                    "milestone:   {} {}{}",
                    tr.money(m.amount),
                    m.label,
                    if t.raised_minor >= m.amount.amount_minor {
                        " (reached)"
                    } else {
                        ""
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn donation_add(db: &Db, a: DonationAdd) -> anyhow::Result<ExitCode> {
    let tr = I18n::new("en");
    let c = repo::by_slug(db, &a.campaign)
        .await?
        .ok_or_else(|| anyhow!("no campaign with the slug {:?}", a.campaign))?;
    let input = OfflineInput {
        amount: a.amount,
        currency: a.currency,
        donor: a.donor,
        email: a.email,
        date: a.date,
        note: a.note,
        message: a.message,
        visibility: a.visibility,
        reference: a.reference,
    };
    let done = offline::add(db, &c, &input, &Actor::cli())
        .await
        .map_err(|errors| match errors.into_iter().next() {
            Some(OfflineError::Db(e)) => anyhow::Error::from(e),
            Some(e) => anyhow!(e.cli_message()),
            None => anyhow!("the donation was refused"),
        })?;
    let (amount, converted, rate) = (done.amount, done.converted, done.rate);
    match done.recorded {
        Recorded::New { donation_id, .. } => {
            let t = repo::totals(db, &c.id).await?;
            println!(
                "recorded donation {donation_id}: {} = {} at {rate}; {} now has {} from {} donations",
                tr.money(amount),
                tr.money(converted),
                c.slug,
                tr.money(Money::new(t.raised_minor, c.currency())),
                t.donor_count
            );
        }
        Recorded::Duplicate { donation_id } => {
            println!(
                "already recorded as donation {donation_id} (same reference); nothing changed"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
