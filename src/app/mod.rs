//! The application: the router that merges every capability's routes, the site-wide
//! middleware (request ids, logging and metrics, security headers, error pages,
//! compression), the access table ([`authz`]), the server, the command line and the demo.
//! Nothing below this layer imports it.

pub mod authz;
pub mod cli;
pub mod demo;
mod insight;
pub mod open_files;
pub mod server;
mod site;

use axum::Router;
use axum::middleware;
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};

use crate::http::{AppState, assets, limits};

/// This release's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The commit it was built from (`build.rs`; "unknown" without git).
pub const COMMIT: &str = env!("SHELFRAISER_COMMIT");
/// What `--version` prints after the name: `0.1.0 (abc1234 2026-12-07)`.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("SHELFRAISER_BUILD"),
    ")"
);

pub fn router(state: AppState) -> Router {
    let dynamic = Router::new()
        .route(
            "/api/openapi.json",
            get(|| async { axum::Json(api_document()) }),
        )
        .merge(crate::campaigns::pages::routes())
        .merge(crate::federation::pages::routes())
        .merge(crate::webmention::pages::routes())
        .merge(crate::promotion::pages::routes())
        .merge(crate::campaigns::api::routes())
        .merge(crate::donations::pages::routes())
        .merge(crate::privacy::pages::routes())
        .route("/healthz", get(site::healthz))
        .route("/readyz", get(site::readyz))
        .route("/metrics", get(site::metrics_text))
        .route("/lang/{code}", get(site::switch_lang))
        .merge(crate::team::routes())
        .merge(crate::console::routes())
        .merge(crate::blog::routes())
        .fallback(crate::blog::pages::fallback);
    // Responses that carry their own encoding (the campaign page from the page cache, the
    // fingerprinted assets) or stream (live progress) skip the compression layer: it would
    // only wrap their bodies in its encoder's body type (a couple of kilobytes, copied on
    // every cached page and held by every open stream) to pass them through unchanged.
    let own_encoding = Router::new()
        .route("/campaigns/{slug}", get(campaign_by_accept))
        .route("/static/{file}", get(assets::serve))
        .merge(crate::campaigns::pages::stream_routes());
    route_layers(dynamic, &state)
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .br(true)
                .quality(tower_http::CompressionLevel::Fastest)
                // Backup archives are compressed already.
                .compress_when(
                    DefaultPredicate::new().and(NotForContentType::const_new("application/gzip")),
                ),
        )
        .merge(route_layers(own_encoding, &state))
        .layer(middleware::from_fn_with_state(
            std::sync::Arc::new(site::Edge {
                state: state.clone(),
                headers: site::SecurityHeaders::new(&state),
            }),
            site::edge,
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(RandomRequestId))
        .with_state(state)
}

/// What every route gets under the compression layer: the access table, the request body's
/// time-outs and the error pages.
fn route_layers(routes: Router<AppState>, state: &AppState) -> Router<AppState> {
    routes
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            authz::enforce,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limits::body_timeouts,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::web::render_errors,
        ))
}

/// A random (version 4) UUID for each request without one, from the thread's random
/// generator: `Uuid::new_v4` asks the kernel for its sixteen bytes, a system call on every
/// request, which a cached page noticed. The id only ties a request's log lines and error
/// page together; it protects nothing.
#[derive(Clone, Copy)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &http::Request<B>) -> Option<RequestId> {
        let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
        let mut buf = uuid::Uuid::encode_buffer();
        let text = id.hyphenated().encode_lower(&mut buf);
        http::HeaderValue::from_str(text).ok().map(RequestId::new)
    }
}

/// A campaign's URL is both its page and its ActivityPub actor: the representation is
/// chosen by `Accept` before the page cache is looked at (the cache keeps pages only), and
/// both answers say `Vary: Accept`.
async fn campaign_by_accept(
    state: axum::extract::State<crate::http::AppState>,
    slug: axum::extract::Path<String>,
    query: axum::extract::Query<crate::campaigns::pages::CampaignQuery>,
    lang: crate::http::Lang,
    req: axum::extract::Request,
) -> Result<axum::response::Response, crate::http::AppError> {
    // The request's own headers, not a copy of them (the `HeaderMap` extractor clones).
    let (parts, _) = req.into_parts();
    let headers = &parts.headers;
    if crate::federation::pages::wants_activity(headers) {
        return crate::federation::pages::campaign_actor(&state, &lang.0, &slug).await;
    }
    let mut res = crate::campaigns::pages::campaign_page(state, slug, query, lang, headers).await?;
    let h = res.headers_mut();
    let vary = match h.get(http::header::VARY) {
        // What every page from the page cache says: the answer is a constant.
        Some(v) if v == crate::http::page_cache::VARY => Some(http::HeaderValue::from_static(
            "Accept-Encoding, Accept-Language, Cookie, Accept",
        )),
        Some(v) => {
            http::HeaderValue::from_str(&format!("{}, Accept", v.to_str().unwrap_or(""))).ok()
        }
        None => Some(http::HeaderValue::from_static("Accept")),
    };
    if let Some(v) = vary {
        h.insert(http::header::VARY, v);
    }
    Ok(res)
}

/// The whole API document: campaigns, the team's parts (and its bearer scheme) and the blog.
pub fn api_document() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    crate::campaigns::api::ApiDoc::openapi()
        .merge_from(crate::team::api::TeamApiDoc::openapi())
        .merge_from(crate::blog::api::BlogApiDoc::openapi())
}

/// Every capability's background jobs, by kind: what the worker on each node runs.
/// Federation's `tagged_note` (a note with hashtags about a campaign) is handled by
/// promotion's hashtag days: federation defines the job, promotion (which may use
/// federation, never the other way) acts on it.
pub fn job_handlers() -> crate::jobs::Handlers {
    use crate::blog::write::{PUBLISH_POST, PublishPost, run_publish_job};
    use crate::federation::tagged::{TAGGED_NOTE, TaggedNote};
    crate::jobs::Handlers::default()
        .on(PUBLISH_POST, |db, p: PublishPost, now| async move {
            run_publish_job(&db, &p.post_id, now).await.map(|_| ())
        })
        .on(TAGGED_NOTE, |db, p: TaggedNote, now| async move {
            crate::promotion::events::fediverse::on_tagged_note(&db, &p, now).await
        })
}

/// `handlers` and the jobs that reach other servers, through the node's guarded outbound
/// client: federation's deliveries, Webmention's verifications and notifications, and what a
/// changed public post sets off (`blog::write::POST_CHANGED`: federation publishes it to the
/// followers, Webmention tells the pages it links to), a live entry sent to the followers or
/// taken back (`blog::live::LIVE_ENTRY_CHANGED`) and the follower count of an account that
/// boosted one of our posts (`federation::boosts::FETCH_REACH`). `base` is the site's base URL (ids and
/// links in what is sent).
pub fn job_handlers_outbound(
    handlers: crate::jobs::Handlers,
    outbound: crate::outbound::Outbound,
    base: &str,
) -> crate::jobs::Handlers {
    use crate::blog::live::{LIVE_ENTRY_CHANGED, LiveEntryChanged};
    use crate::blog::write::{POST_CHANGED, PostChanged};
    use crate::federation::deliver::{DELIVER, Deliver, run_job};
    use crate::webmention::send::{SEND_WEBMENTION, SendWebmention};
    use crate::webmention::verify::{VERIFY_WEBMENTION, VerifyWebmention};
    let base = base.trim_end_matches('/').to_string();
    let (verifying, sending) = (outbound.clone(), outbound.clone());
    let live_base = base.clone();
    let (reach_base, reaching) = (base.clone(), outbound.clone());
    handlers
        .on(
            crate::federation::boosts::FETCH_REACH,
            move |db, p: crate::federation::boosts::FetchReach, now| {
                let (base, out) = (reach_base.clone(), reaching.clone());
                async move { crate::federation::boosts::run_job(&db, &out, &base, &p, now).await }
            },
        )
        .on(LIVE_ENTRY_CHANGED, move |db, p: LiveEntryChanged, now| {
            let base = live_base.clone();
            async move {
                crate::federation::live_notes::on_entry_changed(&db, &base, &p, now).await?;
                Ok(())
            }
        })
        .on(DELIVER, move |db, p: Deliver, now| {
            let out = outbound.clone();
            async move { run_job(&db, &out, &p, now).await }
        })
        .on(POST_CHANGED, move |db, p: PostChanged, now| {
            let base = base.clone();
            async move {
                crate::federation::outbox::on_post_changed(&db, &base, &p, now).await?;
                crate::webmention::send::on_post_changed(&db, &base, &p, now).await?;
                crate::promotion::newsletter::on_post_changed(&db, &p, now).await?;
                Ok(())
            }
        })
        .on(VERIFY_WEBMENTION, move |db, p: VerifyWebmention, now| {
            let out = verifying.clone();
            async move { crate::webmention::verify::run_job(&db, &out, &p, now).await }
        })
        .on(SEND_WEBMENTION, move |db, p: SendWebmention, now| {
            let out = sending.clone();
            async move { crate::webmention::send::run_job(&db, &out, &p, now).await }
        })
}

/// [`job_handlers_with`], the outbound jobs ([`job_handlers_outbound`]) and the jobs that
/// need the node's providers: the one that asks for
/// fees (`donations::fees::RECORD_FEE`) and the one that ends a closed campaign's monthly
/// gifts (`donations::monthly::closing::END_GIFT`).
pub fn job_handlers_full(
    receipts: crate::donations::receipts::Receipts,
    providers: crate::payments::Providers,
    outbound: crate::outbound::Outbound,
) -> crate::jobs::Handlers {
    use crate::donations::fees::{RECORD_FEE, RecordFee, run_job};
    use crate::donations::monthly::closing::{END_GIFT, EndGift};
    let (rc, ending, checking) = (receipts.clone(), providers.clone(), providers.clone());
    let base = receipts.base_url.clone();
    job_handlers_outbound(job_handlers_with(receipts), outbound, &base)
        .on(RECORD_FEE, move |db, p: RecordFee, now| {
            let providers = providers.clone();
            async move { run_job(&db, &providers, &p, now).await.map(|_| ()) }
        })
        .on(
            crate::donations::refunds::CHECK_REFUND,
            move |db, p: crate::donations::refunds::CheckRefund, now| {
                let providers = checking.clone();
                async move { crate::donations::refunds::run_check(&db, &providers, &p, now).await }
            },
        )
        .on(END_GIFT, move |_db, p: EndGift, now| {
            let (rc, providers) = (rc.clone(), ending.clone());
            async move { crate::donations::monthly::closing::run_job(&rc, &providers, &p, now).await }
        })
}

/// [`job_handlers`] and the jobs that send e-mail (receipts), which need the node's mailer
/// and address: what the node's worker and `shelfraiser jobs run` run.
pub fn job_handlers_with(receipts: crate::donations::receipts::Receipts) -> crate::jobs::Handlers {
    use crate::donations::receipts::{SEND_RECEIPT, SendReceipt, run_job};
    let (consent_rc, privacy_rc, update_rc) =
        (receipts.clone(), receipts.clone(), receipts.clone());
    job_handlers()
        .on(SEND_RECEIPT, move |_db, p: SendReceipt, now| {
            let rc = receipts.clone();
            async move { run_job(&rc, &p, now).await }
        })
        .on(
            crate::donations::consents::ASK_CONSENT,
            move |_db, p: crate::donations::consents::AskConsent, now| {
                let rc = consent_rc.clone();
                async move { crate::donations::consents::run_job(&rc, &p, now).await }
            },
        )
        .on_private(
            crate::privacy::SEND_LINK,
            move |_db, p: crate::privacy::SendLink, now| {
                let rc = privacy_rc.clone();
                async move { crate::privacy::run_job(&rc, &p, now).await }
            },
        )
        .on(
            crate::promotion::newsletter::SEND_UPDATE,
            move |db, p: crate::promotion::newsletter::SendUpdate, now| {
                let rc = update_rc.clone();
                async move {
                    crate::promotion::newsletter::run_job(&db, &rc.mailer, &rc.base_url, &p, now)
                        .await
                }
            },
        )
}
