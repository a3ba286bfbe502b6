//! Sharing and the way from the blog to giving, over real HTTP on both backends, with a base
//! URL unlike the address the server listens on (as behind a proxy):
//!
//! * the campaign page, a post and the front page carry canonical, Open Graph and Twitter-card
//!   tags whose URLs (page, image, feeds, JSON-LD) are absolute and start with the base URL —
//!   the campaign's image is its cover, else the site's default PNG, which is served;
//! * Atom, RSS and JSON Feed (site, tag and campaign) hold only absolute URLs, inside the
//!   entries' HTML too (`<img src>`, `<a href>`), outside links untouched;
//! * a password-reset e-mail links only to the base URL;
//! * a post linked to a campaign shows its progress and a donate button, others do not; the
//!   header links the blog; the campaign page links its updates feed;
//! * the inline stylesheet, with the rules that make wide content fit, is the one the CSP's
//!   hash allows.
//!
//! Head tags and entry HTML are read with quick-xml (attributes unescaped), not by matching
//! strings.

use quick_xml::Reader;
use quick_xml::events::Event;
use shelfraiser::db::Db;

use crate::blog_read::{article, day, exec, insert, member, tag_post, term};
use crate::harness::*;

const BASE: &str = "https://give.example.org";
const OUTSIDE: &str = "https://example.net/page?a=1&b=2";
const POST: &str = "/2024/06/01/new-shelves/";

/// A tag: its lower-case name and attributes (values unescaped).
type Tag = (String, Vec<(String, String)>);

/// Every start tag in an HTML (or XML) text, in order.
fn tags(html: &str) -> Vec<Tag> {
    let mut r = Reader::from_str(html);
    r.config_mut().check_end_names = false;
    r.config_mut().allow_unmatched_ends = true;
    let mut out = Vec::new();
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).to_lowercase();
                let attrs = e
                    .html_attributes()
                    .map(|a| {
                        let a = a.expect("attribute");
                        let k = String::from_utf8_lossy(a.key.as_ref()).to_lowercase();
                        let v = a.unescape_value().expect("attribute value").into_owned();
                        (k, v)
                    })
                    .collect();
                out.push((name, attrs));
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("HTML at {}: {e}\n{html}", r.buffer_position()),
        }
    }
    out
}

fn attr<'a>(t: &'a Tag, name: &str) -> Option<&'a str> {
    t.1.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The `<head>` of a page.
fn head(page: &str) -> Vec<Tag> {
    let end = page.find("</head>").expect("</head>");
    tags(&page[..end])
}

/// `content` of `<meta property=…>` or `<meta name=…>`.
fn meta<'a>(head: &'a [Tag], key: &str) -> Option<&'a str> {
    head.iter()
        .find(|t| {
            t.0 == "meta" && (attr(t, "property") == Some(key) || attr(t, "name") == Some(key))
        })
        .and_then(|t| attr(t, "content"))
}

/// `href` of every `<link rel=…>` with this rel.
fn links<'a>(head: &'a [Tag], rel: &str) -> Vec<&'a str> {
    head.iter()
        .filter(|t| t.0 == "link" && attr(t, "rel") == Some(rel))
        .filter_map(|t| attr(t, "href"))
        .collect()
}

/// Every URL in an HTML fragment: `href`, `src`, `poster`, `cite` and `srcset` candidates.
fn urls_in(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for t in tags(html) {
        for (k, v) in &t.1 {
            match k.as_str() {
                "href" | "src" | "poster" | "cite" => out.push(v.clone()),
                "srcset" => out.extend(
                    v.split(',')
                        .filter_map(|c| c.split_whitespace().next())
                        .map(str::to_string),
                ),
                _ => {}
            }
        }
    }
    out
}

/// Fails unless `url` is absolute on the site (or the one outside link of the post).
fn assert_ours(url: &str, what: &str) {
    assert!(
        url.starts_with(&format!("{BASE}/")) || url == OUTSIDE,
        "{what}: {url:?} is not an absolute URL under {BASE}"
    );
}

/// A 1,200 × 600 PNG stored as an upload (with its narrower copies); its `/media/…` path.
async fn upload(db: &Db) -> String {
    let img = image::RgbImage::from_fn(1200, 600, |x, _| image::Rgb([(x % 256) as u8, 90, 40]));
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    let (orig, variants) = shelfraiser::media::process_with_variants(&png).expect("process");
    let mut tx = db.begin().await.expect("tx");
    let path = shelfraiser::media::insert_with_variants_in(&mut tx, &orig, &variants, None)
        .await
        .expect("store");
    tx.commit().await.expect("commit");
    path
}

/// A campaign, an author, an update linked to it (featured image, an image, a tag link and an
/// outside link in its body, tagged `books`) and a post linked to nothing; the image path.
async fn seed(db: &Db) -> String {
    let c = seed_campaign(db, "test-library").await;
    let img = upload(db).await;
    let body = format!(
        "New shelves! ![The shelves]({img})\n\nMore [about books](/tag/books/) and [elsewhere]({OUTSIDE}); [comments](#comments)."
    );
    let mut p = article("new-shelves", "New shelves", &body, day(2024, 6, 1));
    p.campaign = Some(c.id.clone());
    p.author = Some(member(db, "Maribel").await);
    let id = insert(db, p).await;
    exec(
        db,
        "UPDATE posts SET featured_image_url = $1 WHERE id = $2",
        &[&img, &id],
    )
    .await;
    let books = term(db, "tag", "books", "books").await;
    tag_post(db, &id, &books).await;
    insert(
        db,
        article(
            "unlinked",
            "Unlinked",
            "Nothing to give to.",
            day(2024, 5, 1),
        ),
    )
    .await;
    img
}

fn shared_settings(tdb: &TestDb) -> shelfraiser::config::Settings {
    let mut s = settings(tdb);
    s.base_url = BASE.into();
    s
}

#[tokio::test]
async fn share_tags_hold_absolute_urls_from_the_base_url() {
    each_backend(|tdb| async move {
        let img = seed(&tdb.db).await;
        let app = TestApp::start(shared_settings(&tdb)).await;

        // The campaign page, without a cover: the site's default share image.
        let page = app.text("/campaigns/test-library").await;
        let h = head(&page);
        let url = format!("{BASE}/campaigns/test-library");
        assert_eq!(links(&h, "canonical"), [url.as_str()]);
        assert_eq!(meta(&h, "og:url"), Some(url.as_str()));
        assert_eq!(meta(&h, "og:type"), Some("website"));
        assert_eq!(meta(&h, "og:title"), Some("Test library"));
        assert_eq!(meta(&h, "og:description"), Some("A test campaign"));
        assert_eq!(meta(&h, "twitter:card"), Some("summary_large_image"));
        let share = meta(&h, "og:image").expect("og:image");
        assert!(
            share.starts_with(&format!("{BASE}/static/share.")) && share.ends_with(".png"),
            "{share}"
        );
        assert_eq!(meta(&h, "twitter:image"), Some(share));
        let res = app.get(share.trim_start_matches(BASE)).await;
        assert_eq!(res.status().as_u16(), 200, "{share} is served");
        assert_eq!(res.headers()["content-type"], "image/png");
        let mut feeds = links(&h, "alternate");
        // The last alternates are the campaign's oEmbed description (its embeddable card) and,
        // before it, its ActivityPub actor: the page's own URL.
        let oembed = feeds.pop().expect("the oEmbed link");
        assert!(
            oembed.starts_with(&format!("{BASE}/oembed?url=")),
            "{oembed}"
        );
        assert_eq!(feeds.pop(), Some(url.as_str()), "{feeds:?}");
        assert_eq!(feeds.len(), 3, "{feeds:?}");
        for f in &feeds {
            assert!(f.starts_with(&format!("{url}/feed.")), "{f}");
        }
        for t in h.iter().filter(|t| t.0 == "link" || t.0 == "meta") {
            for key in ["href", "content"] {
                if let Some(v) = attr(t, key).filter(|v| v.starts_with('/')) {
                    panic!("a relative URL in the head: {v}");
                }
            }
        }

        // The post: its featured image, canonical link and JSON-LD, all absolute.
        let page = app.text(POST).await;
        let h = head(&page);
        let url = format!("{BASE}{POST}");
        let image = format!("{BASE}{img}");
        assert_eq!(links(&h, "canonical"), [url.as_str()]);
        assert_eq!(meta(&h, "og:url"), Some(url.as_str()));
        assert_eq!(meta(&h, "og:image"), Some(image.as_str()));
        assert_eq!(meta(&h, "twitter:image"), Some(image.as_str()));
        assert_eq!(meta(&h, "twitter:card"), Some("summary_large_image"));
        for f in links(&h, "alternate") {
            assert_ours(f, "post feed link");
        }
        let open = "<script type=\"application/ld+json\">";
        let start = page.find(open).expect("json-ld") + open.len();
        let end = start + page[start..].find("</script>").expect("end");
        let ld: serde_json::Value = serde_json::from_str(&page[start..end]).expect("json-ld");
        assert_eq!(ld["image"], image.as_str());
        assert_eq!(ld["url"], url.as_str());
        assert_ours(ld["author"]["url"].as_str().expect("author url"), "JSON-LD");

        // The front page shares the featured campaign.
        let h = head(&app.text("/").await);
        assert_eq!(links(&h, "canonical"), [format!("{BASE}/").as_str()]);
        assert_eq!(meta(&h, "og:image"), Some(share));
        app.stop().await;

        // With a cover of its own, the campaign shares the cover.
        exec(
            &tdb.db,
            "UPDATE campaigns SET cover_image_url = $1",
            &[img.as_str()],
        )
        .await;
        let app = TestApp::start(shared_settings(&tdb)).await;
        let h = head(&app.text("/campaigns/test-library").await);
        assert_eq!(meta(&h, "og:image"), Some(image.as_str()));
        app.stop().await;

        // A post without a featured image shares its campaign's image, or the site's default.
        exec(&tdb.db, "UPDATE posts SET featured_image_url = NULL", &[]).await;
        exec(&tdb.db, "UPDATE posts SET campaign_id = NULL", &[]).await;
        let app = TestApp::start(shared_settings(&tdb)).await;
        let h = head(&app.text(POST).await);
        assert_eq!(meta(&h, "og:image"), Some(share), "the site's default");
        app.stop().await;
        exec(
            &tdb.db,
            "UPDATE posts SET campaign_id = (SELECT id FROM campaigns WHERE slug = 'test-library')",
            &[],
        )
        .await;
        let app = TestApp::start(shared_settings(&tdb)).await;
        let h = head(&app.text(POST).await);
        assert_eq!(
            meta(&h, "og:image"),
            Some(image.as_str()),
            "the campaign's cover"
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn feeds_hold_only_absolute_urls() {
    each_backend(|tdb| async move {
        let img = seed(&tdb.db).await;
        let app = TestApp::start(shared_settings(&tdb)).await;
        let image = format!("{BASE}{img}");
        for prefix in ["", "/tag/books", "/campaigns/test-library"] {
            // Atom: the feed's links and id, each entry's id, links, author and content.
            let atom: atom_syndication::Feed = app
                .text(&format!("{prefix}/feed.atom"))
                .await
                .parse()
                .expect("atom");
            assert_ours(&atom.id, "atom id");
            let mut content = Vec::new();
            let mut all: Vec<String> = atom.links.iter().map(|l| l.href.clone()).collect();
            for e in &atom.entries {
                all.push(e.id.clone());
                all.extend(e.links.iter().map(|l| l.href.clone()));
                all.extend(e.authors.iter().filter_map(|a| a.uri.clone()));
                content.extend(urls_in(
                    &e.content
                        .as_ref()
                        .and_then(|c| c.value.clone())
                        .unwrap_or_default(),
                ));
            }
            // RSS: the channel's link, each item's link, guid and description.
            let rss: rss::Channel = app
                .text(&format!("{prefix}/feed.xml"))
                .await
                .parse()
                .expect("rss");
            all.push(rss.link.clone());
            for i in &rss.items {
                all.extend(i.link.clone());
                all.extend(i.guid.as_ref().map(|g| g.value.clone()));
                content.extend(urls_in(i.description.as_deref().unwrap_or_default()));
            }
            // JSON Feed: home, feed, and each item's id, url, image, authors and content.
            let json: serde_json::Value = app
                .get(&format!("{prefix}/feed.json"))
                .await
                .json()
                .await
                .expect("json feed");
            for k in ["home_page_url", "feed_url"] {
                all.push(json[k].as_str().expect(k).to_string());
            }
            for i in json["items"].as_array().expect("items") {
                for k in ["id", "url"] {
                    all.push(i[k].as_str().expect(k).to_string());
                }
                all.extend(i["image"].as_str().map(str::to_string));
                for a in i["authors"].as_array().into_iter().flatten() {
                    all.push(a["url"].as_str().expect("author url").to_string());
                }
                content.extend(urls_in(i["content_html"].as_str().expect("content_html")));
            }
            for u in all.iter().chain(&content) {
                assert_ours(u, &format!("{prefix}/feed.*"));
            }
            let featured = json["items"]
                .as_array()
                .expect("items")
                .iter()
                .filter(|i| i["image"] == image.as_str())
                .count();
            assert_eq!(featured, 1, "JSON Feed: the featured image of {prefix}");
            // The entry's image, tag link, fragment and outside link, in each format.
            for want in [
                image.clone(),
                format!("{BASE}/tag/books/"),
                format!("{BASE}{POST}#comments"),
                OUTSIDE.to_string(),
            ] {
                let n = content.iter().filter(|u| **u == want).count();
                assert_eq!(n, 3, "{want} in the content of the three {prefix} feeds");
            }
        }
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn reset_mail_links_to_the_base_url() {
    each_backend(|tdb| async move {
        let app = TestApp::start(shared_settings(&tdb)).await;
        shelfraiser::team::repo::create(
            &app.db,
            &shelfraiser::team::repo::NewMember {
                email: shelfraiser::email::Email::parse("ana@example.org").expect("email"),
                display_name: "Ana".into(),
                time_zone: "UTC".into(),
                languages: "en".into(),
                status: shelfraiser::team::MemberStatus::Active,
            },
        )
        .await
        .expect("member");
        let csrf = hidden_value(&app.text("/reset").await, "csrf").expect("csrf");
        let res = app
            .post_form("/reset", &[("csrf", &csrf), ("email", "ana@example.org")])
            .await;
        assert_eq!(res.status().as_u16(), 200);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        let html: String = loop {
            let rows: Vec<String> = shelfraiser::on_db!(&app.db, |p| {
                sqlx::query_scalar("SELECT html_body FROM outbox")
                    .fetch_all(p)
                    .await
                    .expect("outbox")
            });
            if let Some(h) = rows.into_iter().next() {
                break h;
            }
            assert!(std::time::Instant::now() < deadline, "no reset e-mail");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        let urls = urls_in(&html);
        assert!(!urls.is_empty(), "{html}");
        for u in &urls {
            assert!(u.starts_with(&format!("{BASE}/reset/")), "{u}");
        }
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn from_the_blog_to_giving() {
    each_backend(|tdb| async move {
        seed(&tdb.db).await;
        let app = TestApp::start(settings(&tdb)).await;

        // A post linked to a campaign: its progress and a donate button.
        let page = app.text(POST).await;
        let at = page.find("class=\"campaign-card\"").expect("campaign box");
        let card = &page[at..at + page[at..].find("</aside>").expect("end")];
        let t = tags(card);
        assert!(
            t.iter().any(|t| attr(t, "class") == Some("progress")),
            "{card}"
        );
        assert!(
            t.iter()
                .any(|t| t.0 == "svg" && attr(t, "class") == Some("bar")),
            "the progress bar: {card}"
        );
        assert!(
            card.contains("class=\"raised\""),
            "the amount raised: {card}"
        );
        assert!(
            t.iter().any(|t| t.0 == "a"
                && attr(t, "class") == Some("cta")
                && attr(t, "href") == Some("/campaigns/test-library#donate")),
            "a donate button to the form: {card}"
        );
        let unlinked = app.text("/2024/05/01/unlinked/").await;
        assert!(!unlinked.contains("class=\"campaign-card\""), "{unlinked}");

        // The site header links the blog, on every kind of page.
        for path in [
            "/",
            "/campaigns/test-library",
            POST,
            "/campaigns/test-library/donors",
        ] {
            let page = app.text(path).await;
            let start = page.find("<header class=\"site\">").expect("header");
            let end = start + page[start..].find("</header>").expect("end");
            let links: Vec<String> = urls_in(&page[start..end]);
            assert!(links.iter().any(|u| u == "/blog/"), "{path}: {links:?}");
        }

        // The campaign page links its updates feed, in the head and where the updates are.
        let page = app.text("/campaigns/test-library").await;
        let feed = format!("{}/campaigns/test-library/feed.atom", app.base);
        assert!(links(&head(&page), "alternate").contains(&feed.as_str()));
        let start = page.find("id=\"updates\"").expect("updates");
        let end = start + page[start..].find("</section>").expect("end");
        assert!(
            tags(&page[start..end])
                .iter()
                .any(|t| t.0 == "a" && attr(t, "href") == Some(feed.as_str())),
            "a visible feed link among the updates"
        );
        let res = app.get("/campaigns/test-library/feed.atom").await;
        assert_eq!(res.status().as_u16(), 200);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_inline_stylesheet_is_allowed_by_the_csp() {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    each_backend(|tdb| async move {
        seed(&tdb.db).await;
        let app = TestApp::start(settings(&tdb)).await;
        for path in ["/", "/campaigns/test-library", POST] {
            let res = app.get(path).await;
            let csp = res.headers()["content-security-policy"]
                .to_str()
                .expect("csp")
                .to_string();
            let page = res.text().await.expect("body");
            let start = page.find("<style>").expect("<style>") + "<style>".len();
            let end = start + page[start..].find("</style>").expect("</style>");
            let css = &page[start..end];
            // The rules that make wide content fit are there, and the CSP allows them.
            assert!(css.contains("max-width:100%") && css.contains("overflow-x:auto"));
            let hash =
                base64::engine::general_purpose::STANDARD.encode(Sha256::digest(css.as_bytes()));
            assert!(csp.contains(&format!("'sha256-{hash}'")), "{path}: {csp}");
        }
        app.stop().await;
    })
    .await;
}
