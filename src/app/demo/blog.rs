//! The demo's blog beyond the two short campaign updates: an update with a wide picture (a
//! stored upload, 1,200 px, with its narrower copies), a table and a long line of code — what
//! a phone screen must fit — filed under a category and tags, and an About page.

use chrono::{Duration, Utc};

use crate::blog::repo::{PostKind, PostStatus};
use crate::blog::write::{self, NewPost};
use crate::db::Db;
use crate::team::audit::Actor;

/// The width of the demo's wide picture, wider than any column of the site.
pub const WIDE: u32 = 1200;

const BUDGET: &str = "\
Here is where every pound, dollar, euro, krone and rupee goes. The builders drew us this \
plan of the reading room:

![Plan of the reading room: shelves along three walls and a reading corner by the window]({IMG})

| Milestone | GBP | USD | EUR | DKK | INR |
| --- | ---: | ---: | ---: | ---: | ---: |
| Roof and walls | £2,500.00 | $3,150.00 | €2,925.00 | 21,800.00 kr. | ₹2,62,500.00 |
| Shelves and the first 1,000 books | £3,500.00 | $4,410.00 | €4,095.00 | 30,520.00 kr. | ₹3,67,500.00 |
| The reading room opens | £6,000.00 | $7,560.00 | €7,020.00 | 52,320.00 kr. | ₹6,30,000.00 |

The book list is a spreadsheet; this is the line the lending system reads for each book:

```
isbn=9788184775126;title=Kuttiyin-Kadhai;language=ta;copies=3;shelf=picture-books;reading_level=early;chosen_by=the-village-teachers-on-the-march-video-call
```

Anyone may check our choices: \
https://example.org/kalpakkam-library/book-list/first-thousand-books-chosen-with-the-village-teachers.csv";

const ABOUT: &str = "\
We are four librarians in three countries — the UK, the USA and Denmark — who met online \
and decided that the children of Kalpakkam should have a library of their own.

Every donation goes to the library: we pay our own costs. Write to us at \
hello@example.org.";

/// A 1,200 × 600 picture: a floor plan in the site's colours (three walls of shelves, a
/// reading corner), as a PNG.
fn plan_png() -> anyhow::Result<Vec<u8>> {
    let img = image::RgbImage::from_fn(WIDE, 600, |x, y| {
        let shelf = (!(60..WIDE - 60).contains(&x) || y < 60) && (x / 40 + y / 40) % 2 == 0;
        let (dx, dy) = (i64::from(x) - 900, i64::from(y) - 420);
        let corner = dx * dx + dy * dy < 120 * 120;
        if !(20..WIDE - 20).contains(&x) || !(20..580).contains(&y) {
            image::Rgb([0x1d, 0x27, 0x33])
        } else if shelf {
            image::Rgb([0xb7, 0x79, 0x1f])
        } else if corner {
            image::Rgb([0x0b, 0x6e, 0x4f])
        } else {
            image::Rgb([0xfb, 0xfa, 0xf7])
        }
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)?;
    Ok(out)
}

/// Seeds the posts; `campaign_id` is the demo campaign's, `author_id` an editor's.
pub async fn seed(db: &Db, campaign_id: &str, author_id: Option<String>) -> anyhow::Result<()> {
    let (original, variants) = crate::media::process_with_variants_blocking(plan_png()?).await?;
    let mut tx = db.begin().await?;
    let img = crate::media::insert_with_variants_in(&mut tx, &original, &variants, None).await?;
    tx.commit().await?;
    let now = Utc::now();
    let who = Actor::cli();
    let mut budget = NewPost::draft(
        PostKind::Article,
        "Where the money goes",
        &BUDGET.replace("{IMG}", &img),
    );
    budget.status = PostStatus::Published;
    budget.published_at = Some(now - Duration::days(1));
    budget.slug = Some("where-the-money-goes".into());
    budget.campaign_id = Some(campaign_id.to_string());
    budget.author_id = author_id.clone();
    budget.featured_image_url = Some(img);
    budget.categories = vec!["Building the library".into()];
    budget.tags = vec!["budget".into(), "books".into()];
    write::create(db, &budget, &who).await?;
    let mut about = NewPost::draft(PostKind::Page, "About us", ABOUT);
    about.status = PostStatus::Published;
    about.published_at = Some(now - Duration::days(30));
    about.slug = Some("about".into());
    about.author_id = author_id;
    write::create(db, &about, &who).await?;
    Ok(())
}
