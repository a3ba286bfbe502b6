//! Donation routes: the donate form post and the thank-you page here; the test provider's
//! hosted checkout and the provider callback endpoint in [`provider`].

mod guard;
mod monthly;
mod paypal;
mod provider;
mod receipt;
mod returning;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use http::{HeaderMap, HeaderValue, StatusCode, header};

use super::checkout;
use super::intent::{self, DonateInput};
use super::ledger;
use super::moderation::MessageState;
use crate::campaigns::view::{FormState, render_campaign};
use crate::campaigns::{CampaignState, NotAccepting, repo};
use crate::http::{AppError, AppState, ClientIp, Lang, csrf};
use crate::i18n::I18n;
use crate::money::{CurrencyCode, Money};
use crate::rates;
use crate::web::PageCtx;

/// Largest form body accepted (the fields' own limits are far below this).
const MAX_FORM_BYTES: usize = 16 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/{slug}/donate", post(donate))
        .route("/campaigns/{slug}/thanks/{donation_id}", get(thanks))
        .route("/receipts/{donation_id}", get(receipt::download))
        .route(
            "/monthly/{gift_id}",
            get(monthly::manage).post(monthly::cancel),
        )
        .route(
            "/campaigns/{slug}/checkout/{checkout_id}/return",
            get(returning::checkout_return),
        )
        .route(
            "/test-checkout/{session_id}",
            get(provider::test_checkout).post(provider::test_checkout_submit),
        )
        .route("/providers/paypal/return", get(paypal::paypal_return))
        .route("/providers/paypal/cancel", get(paypal::paypal_cancel))
        .route(
            "/providers/{provider}/callback",
            post(provider::provider_callback),
        )
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
}

/// Form fields: the free amount field `amount` and the preset radio buttons `preset`
/// (`500 INR`); a typed amount wins over a preset.
pub(super) fn parse_form(
    tr: &I18n,
    body: &[u8],
) -> Result<(DonateInput, Option<String>, Option<String>), AppError> {
    if body.len() > MAX_FORM_BYTES {
        return Err(AppError::Unprocessable(tr.t("error-too-large")));
    }
    let mut input = DonateInput::default();
    let mut csrf = None;
    let mut outcome = None;
    for (k, v) in form_urlencoded(body) {
        match k.as_str() {
            "amount" if (!v.trim().is_empty() || input.amount.is_empty()) => {
                input.amount = v;
            }
            "preset" => input.preset = v,
            "currency" => input.currency = v,
            "name" => input.name = v,
            "email" => input.email = v,
            "message" => input.message = v,
            "visibility" => input.visibility = v,
            "csrf" => csrf = Some(v),
            "outcome" => outcome = Some(v),
            _ => {}
        }
    }
    Ok((input, csrf, outcome))
}

fn form_urlencoded(body: &[u8]) -> Vec<(String, String)> {
    let decode = |s: &[u8]| {
        let plus: Vec<u8> = s
            .iter()
            .map(|b| if *b == b'+' { b' ' } else { *b })
            .collect();
        percent_encoding::percent_decode(&plus)
            .decode_utf8_lossy()
            .into_owned()
    };
    body.split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.iter().position(|b| *b == b'=') {
            Some(i) => (decode(&pair[..i]), decode(&pair[i + 1..])),
            None => (decode(pair), String::new()),
        })
        .collect()
}

fn not_accepting_message(tr: &I18n, why: NotAccepting) -> String {
    tr.t(match why {
        NotAccepting::Draft | NotAccepting::Closed => "error-campaign-closed",
        NotAccepting::Ended => "error-campaign-ended",
        NotAccepting::NotStarted => "error-campaign-not-started",
        NotAccepting::FundedAndStopped => "error-campaign-funded",
    })
}

async fn donate(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    Lang(tr): Lang,
    client: ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let c = repo::by_slug(&s.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    if c.state == CampaignState::Draft {
        return Err(AppError::NotFound);
    }
    let (input, token, _) = parse_form(&tr, &body)?;
    let now = Utc::now();
    let mut form = FormState {
        amount: input.amount.chars().take(40).collect(),
        preset: input.preset.chars().take(40).collect(),
        currency: input.currency.chars().take(8).collect(),
        name: input.name.chars().take(200).collect(),
        email: input.email.chars().take(300).collect(),
        message: input.message.chars().take(1000).collect(),
        visibility: input.visibility.chars().take(20).collect(),
        provider: chosen_provider(&body),
        news: form_urlencoded(&body)
            .iter()
            .any(|(k, v)| k == "news" && v == "yes"),
        frequency: monthly::chosen_frequency(&body),
        fee_cover: form_urlencoded(&body)
            .iter()
            .any(|(k, v)| k == "cover_fees" && v == "yes"),
        errors: Default::default(),
        challenge: String::new(),
        ref_code: String::new(),
        utm_source: String::new(),
        via: String::new(),
    };
    // What brought the donor: the referral code and campaign source of the page the form
    // was posted from, or of the hidden fields of a form shown again
    // (`donations::attribution`); a form shown again carries them on.
    let referer = headers.get(header::REFERER).and_then(|v| v.to_str().ok());
    let source = super::attribution::source_of(&s.base_url, c.slug.as_str(), referer, &body);
    form.ref_code = source.ref_code.clone().unwrap_or_default();
    form.utm_source = source.utm_source.clone().unwrap_or_default();
    form.via = source.referrer_host.clone().unwrap_or_default();
    let show_with = |form: FormState, notice: String, status: StatusCode| {
        let s = s.clone();
        let tr = tr.clone();
        let c = c.clone();
        async move {
            let totals = repo::totals(&s.db, &c.id).await?;
            let html = render_campaign(&s, &tr, &c, &totals, Some(form), notice).await?;
            Ok::<Response, AppError>((status, Html(html)).into_response())
        }
    };
    let show_again =
        |form: FormState, notice: String| show_with(form, notice, StatusCode::UNPROCESSABLE_ENTITY);
    if !csrf::check(&s.csrf, &headers, token.as_deref(), now) {
        return show_again(form, tr.t("error-csrf")).await;
    }
    if let Err(why) = c.accepting(now) {
        return show_again(form, not_accepting_message(&tr, why)).await;
    }
    let Some(provider) = s.providers.default_online().cloned() else {
        return show_again(form, tr.t("error-no-provider")).await;
    };
    // The provider chosen on the form (offered when there are several); none: the first.
    let provider = if form.provider.is_empty() {
        provider
    } else if let Some(p) = s.providers.get(&form.provider) {
        p.clone()
    } else {
        form.errors.insert("provider", tr.t("error-provider"));
        form.provider.clear();
        return show_again(form, tr.t("error-form")).await;
    };
    // Monthly gifts are Stripe subscriptions: refused with any other provider.
    let monthly = form.frequency == "monthly";
    if monthly && (s.providers.stripe().is_none() || provider.name() != "stripe") {
        form.errors
            .insert("frequency", tr.t("error-monthly-stripe-only"));
        return show_again(form, tr.t("error-form")).await;
    }
    let table = rates::latest(&s.db).await?;
    let valid = match intent::validate(
        &tr,
        &c,
        &table,
        s.settings.donations.max_amount_major,
        &input,
    ) {
        Ok(v) => v,
        Err(errors) => {
            form.errors = errors;
            return show_again(form, tr.t("error-form")).await;
        }
    };
    // News are confirmed by e-mail: the box needs an address to send the confirmation to.
    if form.news && valid.donor_email.is_none() {
        form.errors.insert("email", tr.t("donate-news-needs-email"));
        return show_again(form, tr.t("error-form")).await;
    }
    // Below the site's minimum or the provider's own: refused before any call to it.
    if let Some(msg) = guard::below_minimum(&s, &tr, &c, &table, provider.as_ref(), &valid) {
        form.errors.insert("amount", msg);
        return show_again(form, tr.t("error-form")).await;
    }
    // An amount the provider cannot charge exactly (Stripe: KWD in steps of 10 fils) is
    // refused, never rounded.
    if let Some(step) = provider.amount_step(valid.amount) {
        let msg = tr.ta(
            "error-amount-step",
            [
                ("provider", tr.t(&format!("provider-{}", provider.name()))),
                ("currency", step.currency.to_string()),
                ("step", tr.money(step)),
            ],
        );
        form.errors.insert("amount", msg);
        return show_again(form, tr.t("error-form")).await;
    }
    // "Add N to cover the processing fees": the sum is the server's, from the gift and the
    // chosen provider's fee rule; the form says only whether the box was ticked.
    let valid = if form.fee_cover {
        match intent::with_cover(valid, provider.fee_rule(), |m| provider.amount_step(m)) {
            Some(v) => v,
            None => {
                form.errors
                    .insert("amount", tr.t("error-amount-too-large-plain"));
                return show_again(form, tr.t("error-form")).await;
            }
        }
    } else {
        valid
    };
    // Card-testing defence: per client address, per campaign and per donor e-mail (nothing is stored when
    // refused; the log line and metric carry no address).
    let limits = checkout::Limits::new(&s.checkout_key.0, &s.settings.donations);
    let client_hash = limits.client_hash(client.0);
    let refused = match checkout::refusal(&s.db, &limits, &c.id, client_hash.as_deref(), now)
        .await?
    {
        Some(r) => Some(r),
        None => checkout::email_refusal(&s.db, &limits, valid.donor_email.as_ref(), now).await?,
    };
    if let Some(r) = refused {
        let minutes = (r.retry_after_secs + 59) / 60;
        let (counter, key) = match r.limit {
            checkout::Limit::Address => (
                &s.metrics.checkouts_limited_address,
                "donate-rate-limited-address",
            ),
            checkout::Limit::Campaign => (
                &s.metrics.checkouts_limited_campaign,
                "donate-rate-limited-campaign",
            ),
            checkout::Limit::Email => (
                &s.metrics.checkouts_limited_email,
                "donate-rate-limited-email",
            ),
        };
        if r.limit == checkout::Limit::Campaign {
            super::alerts::breaker_tripped(&s, &c).await;
        }
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::warn!(
            campaign = %c.slug,
            limit = r.limit.as_str(),
            retry_after_secs = r.retry_after_secs,
            "checkout refused: rate limit"
        );
        let mut res = show_with(form, tr.tn(key, minutes), StatusCode::TOO_MANY_REQUESTS).await?;
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(r.retry_after_secs));
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(res);
    }
    // Many declined cards for this campaign: a solved proof of work first.
    if let Some(ch) = guard::challenge_gate(&s, &tr, &c, &body, now).await? {
        s.metrics
            .checkouts_challenged
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        form.challenge = ch.challenge;
        let mut res = show_with(form, ch.notice, StatusCode::TOO_MANY_REQUESTS).await?;
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(ch.retry_after_secs));
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(res);
    }
    let session = checkout::create(&s.db, provider.name(), valid, client_hash.as_deref()).await?;
    super::repo::receipts::set_session_lang(&s.db, &session.id, tr.lang).await?;
    super::attribution::keep(&s.db, &session.id, &source).await?;
    if form.news {
        super::consents::wish(&s.db, &session.id).await?;
    }
    let mut request = session.payment_request();
    if monthly {
        request.monthly = Some(super::monthly::open(&s.db, &session, tr.lang).await?.id);
    }
    request.return_path = returning::return_path(c.slug.as_str(), &session.id);
    request.cancel_path = returning::cancel_path(c.slug.as_str(), &session.id);
    request.item_name = c.title.clone();
    match provider.start_checkout(&request, &s.base_url).await {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(e) => {
            // Provider down, slow or refusing (or unable to take this payment: PayPal's
            // currencies): the session is closed and counts against no limit; the donor
            // sees the form again as typed.
            tracing::warn!(provider = provider.name(), campaign = %c.slug, error = %e, "checkout not started");
            checkout::mark_failed(&s.db, &session.id).await?;
            let (key, status) = match e {
                crate::payments::ProviderError::Unsupported(_) => (
                    "error-provider-unsupported",
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
                _ => (
                    "error-provider-unavailable",
                    StatusCode::SERVICE_UNAVAILABLE,
                ),
            };
            let mut res = show_with(form, tr.t(key), status).await?;
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(res)
        }
    }
}

/// The `provider` field of the donate form (empty when the form had none), bounded.
fn chosen_provider(body: &[u8]) -> String {
    form_urlencoded(body)
        .into_iter()
        .find(|(k, _)| k == "provider")
        .map(|(_, v)| v.chars().take(20).collect())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "thanks.html")]
struct ThanksPage {
    page: PageCtx,
    slug: String,
    title: String,
    amount: String,
    /// "That includes £0.56 you added to cover the processing fees." (empty: none added)
    covered: String,
    converted: String,
    rate_line: String,
    /// The donor's message as the wall shows it (none while held or when hidden).
    message: String,
    /// The message waits for review before the wall shows it.
    message_held: bool,
    funded: bool,
    /// The signed link to download the receipt.
    receipt_url: String,
    /// A monthly gift's signed manage link (empty for a one-off gift).
    monthly_url: String,
}

/// "1 INR = 0.0094833 GBP, the European Central Bank's reference rate of 28 June 2024": the
/// locked rate in the page's language with five significant digits (the stored rate, which
/// the conversion used, has up to fifteen), and the day of the sheet it came from.
async fn rate_line(
    s: &AppState,
    tr: &I18n,
    from: CurrencyCode,
    to: CurrencyCode,
    d: &ledger::DonationRow,
) -> Result<String, AppError> {
    let Ok(rate) = d.rate.parse::<rust_decimal::Decimal>() else {
        return Ok(String::new());
    };
    let mut args = vec![
        ("from", from.to_string()),
        ("to", to.to_string()),
        ("rate", tr.rate(rate)),
    ];
    let day = rates::sheet_date_of(&s.db, from, to, rate, d.created_at.date_naive()).await?;
    Ok(match day {
        Some(day) => {
            args.push(("date", tr.day(day)));
            tr.ta("thanks-rate-dated", &args)
        }
        None => tr.ta("thanks-rate", &args),
    })
}

async fn thanks(
    State(s): State<AppState>,
    Path((slug, donation_id)): Path<(String, String)>,
    Lang(tr): Lang,
) -> Result<Response, AppError> {
    let c = repo::by_slug(&s.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let d = ledger::donation(&s.db, &donation_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if d.campaign_id != c.id {
        return Err(AppError::NotFound);
    }
    let cur =
        CurrencyCode::parse(&d.currency).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    let amount = Money::new(d.amount_minor, cur);
    let converted = Money::new(d.campaign_amount_minor, c.currency());
    let (converted_text, rate_line) = if cur == c.currency() {
        (String::new(), String::new())
    } else {
        (
            tr.money(converted),
            rate_line(&s, &tr, cur, c.currency(), &d).await?,
        )
    };
    let page = ThanksPage {
        page: PageCtx::new(&s, &tr, &format!("/campaigns/{slug}/thanks/{donation_id}")),
        slug: c.slug.to_string(),
        title: c.title.clone(),
        amount: tr.money(amount),
        covered: if d.cover_minor > 0 {
            tr.ta(
                "thanks-covered",
                [("amount", tr.money(Money::new(d.cover_minor, cur)))],
            )
        } else {
            String::new()
        },
        converted: converted_text,
        rate_line,
        message: d.wall_message().unwrap_or_default().to_string(),
        message_held: d.message_state == MessageState::Held,
        funded: c.state == CampaignState::Funded,
        receipt_url: super::receipts::link_path(&s.db, &d.id).await?,
        monthly_url: match super::monthly::of_donation(&s.db, &d.id).await? {
            Some(g) => super::monthly::link_path(&s.db, &g.id).await?,
            None => String::new(),
        },
    };
    let mut res = Html(page.render()?).into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res.headers_mut()
        .insert("x-robots-tag", HeaderValue::from_static("noindex"));
    Ok(res)
}
