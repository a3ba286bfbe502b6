//! The demo content seeded by `serve --demo` into an empty database: a volunteer team in the
//! UK, the USA and Denmark raising money for a children's library in a village in India.
//! The blog's demo posts beyond the campaign updates are in [`blog`].

mod blog;

use chrono::{Duration, Utc};

use crate::campaigns::{CampaignState, Milestone, NewCampaign, Slug, repo};
use crate::db::Db;
use crate::donations::ledger::NewDonation;
use crate::donations::{self, Intent, Visibility};
use crate::money::{CurrencyCode, Money};
use crate::rates;

pub const SLUG: &str = "library-for-kalpakkam";

const STORY: &str = "\
The children of Kalpakkam village walk forty minutes to the nearest school library, and \
it closes before they get there. We want to change that.

We are four librarians who have never met in person: one at a university library in the UK, \
two at public libraries in the USA, and one at a public library in Denmark. We met online, \
through a shared love of picture books and a shared annoyance at how few of them reach the \
children who need them most.

## What we are building

A **children's library** in the village itself: one bright room with shelves, floor cushions, \
a reading corner, and a librarian from the village, paid for the first two years.

- **Roof and walls** — the panchayat has given us a plot beside the school.
- **Shelves and the first 1,000 books** — in Tamil and English, chosen with local teachers.
- **The reading room opens** — a librarian's salary for two years and a small lending system.

## How you can help

Give what you can, in your own currency, and tell a friend. Every donation appears on the \
progress bar within a second. When we reach the goal, the donate button comes down and we \
will ask you to *follow the build* here instead.";

/// One member of the demo team. Invented people; the passwords are printed at start-up.
pub struct DemoMember {
    pub name: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub role: crate::team::Role,
    pub time_zone: &'static str,
    pub language: &'static str,
    pub country: &'static str,
}

/// The four librarians of the story: one in the UK, two in the USA, one in Denmark.
pub const TEAM: &[DemoMember] = &[
    DemoMember {
        name: "Harriet",
        email: "harriet@example.org",
        password: "demo-harriet-2024",
        role: crate::team::Role::Owner,
        time_zone: "Europe/London",
        language: "en",
        country: "UK",
    },
    DemoMember {
        name: "Maribel",
        email: "maribel@example.org",
        password: "demo-maribel-2024",
        role: crate::team::Role::Editor,
        time_zone: "America/New_York",
        language: "en",
        country: "USA",
    },
    DemoMember {
        name: "Wendell",
        email: "wendell@example.org",
        password: "demo-wendell-2024",
        role: crate::team::Role::Member,
        time_zone: "America/Los_Angeles",
        language: "en",
        country: "USA",
    },
    DemoMember {
        name: "Sigrun",
        email: "sigrun@example.org",
        password: "demo-sigrun-2024",
        role: crate::team::Role::Treasurer,
        time_zone: "Europe/Copenhagen",
        language: "da",
        country: "Denmark",
    },
];

/// Seeds the demo team with its known passwords, only into a site that has no members at
/// all (never next to a real team).
pub async fn seed_team_if_empty(db: &Db) -> anyhow::Result<()> {
    use crate::passwords as password;
    use crate::team::repo as team;
    if team::count(db).await? > 0 {
        return Ok(());
    }
    for d in TEAM {
        let m = team::create(
            db,
            &team::NewMember {
                email: crate::email::Email::parse(d.email)?,
                display_name: d.name.into(),
                time_zone: d.time_zone.into(),
                languages: d.language.into(),
                status: crate::team::MemberStatus::Active,
            },
        )
        .await?;
        team::add_grant(db, &m.id, d.role, None).await?;
        team::set_password_hash(db, &m.id, &password::hash_async(d.password).await?).await?;
    }
    Ok(())
}

/// The demo site's identity, after its story: set unless a name was configured.
pub fn site() -> crate::i18n::site::Site {
    crate::i18n::site::Site {
        name: "Librarians for Kalpakkam".into(),
        description:
            "Four librarians in three countries building a children's library in Tamil Nadu, India."
                .into(),
        language: Some("en"),
        timezone: "Europe/London".into(),
        ..Default::default()
    }
}

pub async fn seed_if_empty(db: &Db) -> anyhow::Result<()> {
    seed_team_if_empty(db).await?;
    if crate::i18n::site::Site::load(db).await?.name().is_none() {
        site().save(db).await?;
    }
    if !repo::list(db).await?.is_empty() {
        return Ok(());
    }
    let sheets = rates::parse_ecb(rates::BUNDLED_ECB)?;
    rates::import(db, &sheets).await?;
    let c = |s: &str| CurrencyCode::parse(s);
    let gbp = c("GBP")?;
    let now = Utc::now();
    let campaign = repo::create(
        db,
        &NewCampaign {
            slug: Slug::parse(SLUG)?,
            title: "A children's library for Kalpakkam".into(),
            summary: "Four librarians in three countries are building a village library in Tamil Nadu, India — one room, a thousand books and a librarian.".into(),
            story_md: STORY.into(),
            goal: Money::new(1_200_000, gbp),
            accepted: ["GBP", "USD", "EUR", "DKK", "INR"].iter().map(|s| c(s)).collect::<Result<_, _>>()?,
            starts_at: now - Duration::days(30),
            ends_at: Some(now + Duration::days(45)),
            beneficiary_name: "Kalpakkam Village Children's Library".into(),
            beneficiary_place: "Tamil Nadu, India".into(),
            cover_image_url: None,
            cover_image_alt: Some("Drawing of bookshelves under a village roof".into()),
            state: CampaignState::Live,
            keep_accepting: true,
            featured: true,
            milestones: vec![
                Milestone { amount: Money::new(250_000, gbp), label: "Roof and walls".into() },
                Milestone { amount: Money::new(600_000, gbp), label: "Shelves and the first 1,000 books".into() },
                Milestone { amount: Money::new(1_200_000, gbp), label: "The reading room opens".into() },
            ],
        },
    )
    .await?;
    let table = rates::latest(db).await?;
    // (name, amount, currency, visibility, message)
    let gifts: &[(&str, &str, &str, Visibility, &str)] = &[
        (
            "Priya",
            "50",
            "GBP",
            Visibility::Public,
            "For the reading corner!",
        ),
        (
            "Tom",
            "25",
            "USD",
            Visibility::Public,
            "From one library lover to another.",
        ),
        (
            "Mette",
            "500",
            "DKK",
            Visibility::Public,
            "Held og lykke med biblioteket.",
        ),
        ("", "100", "EUR", Visibility::Anonymous, ""),
        (
            "Arun",
            "5000",
            "INR",
            Visibility::Public,
            "My grandmother grew up near Kalpakkam.",
        ),
        ("Sarah", "40", "GBP", Visibility::Public, ""),
        ("", "250", "USD", Visibility::Private, ""),
        (
            "Jens",
            "1000",
            "DKK",
            Visibility::Public,
            "Bøger forandrer liv.",
        ),
        (
            "Lakshmi",
            "2500",
            "INR",
            Visibility::Public,
            "Tamil picture books, please!",
        ),
        (
            "",
            "20",
            "GBP",
            Visibility::Anonymous,
            "Shared with my book club.",
        ),
        ("Maria", "75", "EUR", Visibility::Public, ""),
        (
            "Chris",
            "100",
            "USD",
            Visibility::Public,
            "Saw the retweet — happy to help.",
        ),
        ("Hannah", "30", "GBP", Visibility::Public, ""),
        ("", "300", "DKK", Visibility::Anonymous, ""),
        (
            "Ravi",
            "10000",
            "INR",
            Visibility::Public,
            "For the librarian's salary.",
        ),
        (
            "Emma",
            "15",
            "GBP",
            Visibility::Public,
            "Pocket money from my daughter.",
        ),
        ("", "500", "EUR", Visibility::Private, ""),
        ("Noah", "50", "USD", Visibility::Public, ""),
        ("Freja", "200", "DKK", Visibility::Public, ""),
        (
            "Oliver",
            "120",
            "GBP",
            Visibility::Public,
            "From the staff of a university library.",
        ),
        ("", "35", "USD", Visibility::Anonymous, ""),
        ("Anika", "3000", "INR", Visibility::Public, ""),
        (
            "Sophie",
            "60",
            "EUR",
            Visibility::Public,
            "Libraries are for everyone.",
        ),
        (
            "James",
            "250",
            "GBP",
            Visibility::Public,
            "A musician's thank-you to librarians.",
        ),
        ("", "1500", "DKK", Visibility::Private, ""),
        ("Meera", "7500", "INR", Visibility::Public, ""),
        ("Liam", "20", "USD", Visibility::Public, ""),
        ("Ida", "250", "DKK", Visibility::Anonymous, ""),
        (
            "Grace",
            "500",
            "GBP",
            Visibility::Public,
            "In memory of my mother, a teacher.",
        ),
        ("", "45", "EUR", Visibility::Anonymous, ""),
        (
            "Karthik",
            "2000",
            "INR",
            Visibility::Public,
            "Proud of my village.",
        ),
        ("Lucy", "35", "GBP", Visibility::Public, ""),
        (
            "Ethan",
            "150",
            "USD",
            Visibility::Public,
            "Matched by my employer.",
        ),
        ("Astrid", "400", "DKK", Visibility::Public, ""),
        ("", "200", "GBP", Visibility::Private, ""),
        (
            "Zara",
            "80",
            "EUR",
            Visibility::Public,
            "For the floor cushions.",
        ),
    ];
    for (i, (name, amount, cur, vis, msg)) in gifts.iter().enumerate() {
        let cur = c(cur)?;
        let amount = Money::parse_major(amount, cur)?;
        let rate = table
            .rate(cur, gbp)
            .ok_or_else(|| anyhow::anyhow!("no demo rate for {cur}"))?;
        let converted = amount.convert(rate, gbp)?;
        donations::record(
            db,
            &NewDonation {
                intent: Intent {
                    campaign_id: campaign.id.clone(),
                    amount,
                    rate,
                    campaign_amount: converted,
                    cover_minor: 0,
                    donor_name: (!name.is_empty()).then(|| name.to_string()),
                    donor_email: None,
                    message: (!msg.is_empty()).then(|| msg.to_string()),
                    visibility: *vis,
                },
                provider: if i % 3 == 0 {
                    "offline".into()
                } else {
                    "test".into()
                },
                provider_reference: format!("demo-{i}"),
                received_on: None,
                rate_on: None,
                note: None,
            },
        )
        .await?;
    }
    crate::blog::write::add_campaign_update(
        db,
        &campaign.id,
        "the-plot-is-ours",
        "The plot is ours",
        "The village council has given us the plot beside the school for the library. \
         The builders start on the roof and walls next month — and thanks to you, that \
         first milestone is already paid for.",
        now - Duration::days(6),
    )
    .await?;
    crate::blog::write::add_campaign_update(
        db,
        &campaign.id,
        "choosing-the-first-books",
        "Choosing the first thousand books",
        "We spent an evening (and a morning, and a very early morning) on a video call \
         across three time zones with two teachers from the village school, choosing the \
         first books: picture books in Tamil, early readers in English, and a shelf of \
         science for the curious.",
        now - Duration::days(2),
    )
    .await?;
    let editor = crate::team::repo::by_email(db, "maribel@example.org")
        .await?
        .map(|m| m.id);
    blog::seed(db, &campaign.id, editor).await?;
    Ok(())
}
