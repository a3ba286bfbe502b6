//! `GET /setup?token=…` and `POST /setup`: the first-run page (see `team::setup`). It names
//! the site (`i18n::site`), creates the first owner (name, e-mail, password under the rules
//! of every password) and, if a title is given, the first campaign (a draft, through the
//! campaigns' own checks), then signs the owner in and opens the console, whose dashboard
//! lists what is left to do. Without a kept token the page is refused (403); once the site
//! has members it answers 410 and says so.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use chrono::Utc;
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::MAX_NAME_CHARS;
use super::common::{Client, start_session};
use crate::campaigns::create::{CampaignInput, Fault};
use crate::campaigns::repo::CreateError;
use crate::email::Email;
use crate::http::{AppError, AppState, Lang, csrf};
use crate::i18n::I18n;
use crate::money::CurrencyCode;
use crate::passwords as password;
use crate::team::profile::ZoneSelect;
use crate::team::repo::NewMember;
use crate::team::{MemberStatus, setup};
use crate::web::form::{Errors, Fields};
use crate::web::site::SiteFields;
use crate::web::{ErrorPage, PageCtx};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/setup", get(show).post(submit))
}

/// What the owner and campaign fields show again after a refused form (never the password).
#[derive(Debug, Clone, Default)]
pub struct OwnerFields {
    pub name: String,
    pub email: String,
    pub campaign_title: String,
    pub campaign_goal: String,
    pub campaign_currency: String,
}

pub struct CurrencyOpt {
    pub code: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "team/setup.html")]
struct SetupPage {
    page: PageCtx,
    csrf: String,
    token: String,
    site: SiteFields,
    owner: OwnerFields,
    errors: Errors,
    notice: String,
    zones: ZoneSelect,
    currencies: Vec<CurrencyOpt>,
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// A refusal as the site's error page (403 without a kept token, 410 once set up).
fn refusal(s: &AppState, tr: &I18n, status: StatusCode) -> Result<Response, AppError> {
    let message = if status == StatusCode::GONE {
        tr.t("setup-done")
    } else {
        tr.t("setup-refused")
    };
    let page = ErrorPage {
        page: PageCtx::new(s, tr, "/"),
        status: status.as_u16(),
        message,
        request_id: String::new(),
    };
    Ok(token_page(status, page.render()?))
}

/// Refused unless the site waits for its setup and the token is kept.
async fn gate(s: &AppState, tr: &I18n, token: &str) -> Result<Option<Response>, AppError> {
    if !setup::pending(&s.db).await? {
        return Ok(Some(refusal(s, tr, StatusCode::GONE)?));
    }
    if !setup::token_ok(&s.db, token).await? {
        return Ok(Some(refusal(s, tr, StatusCode::FORBIDDEN)?));
    }
    Ok(None)
}

fn render(
    s: &AppState,
    tr: &I18n,
    token: &str,
    (site, owner): (SiteFields, OwnerFields),
    errors: Errors,
    notice: String,
    status: StatusCode,
) -> Result<Response, AppError> {
    let currencies = CurrencyCode::all()
        .map(|c| CurrencyOpt {
            selected: c.as_str() == owner.campaign_currency,
            code: c.to_string(),
        })
        .collect();
    let page = SetupPage {
        page: PageCtx::new(s, tr, "/setup"),
        csrf: s.csrf.token(Utc::now()),
        token: token.to_string(),
        zones: ZoneSelect::new(tr, &site.timezone),
        site,
        owner,
        errors,
        notice,
        currencies,
    };
    Ok(token_page(status, page.render()?))
}

/// The page of a link with a secret in its address: never cached, and the address sent as a
/// `Referer` to this site only (`same-origin`: `no-referrer` would make the browser send
/// `Origin: null` with the form, which the CSRF check refuses).
fn token_page(status: StatusCode, html: String) -> Response {
    let mut res = super::common::page_response(status, html);
    res.headers_mut().insert(
        http::header::REFERRER_POLICY,
        http::HeaderValue::from_static("same-origin"),
    );
    res
}

async fn show(
    State(s): State<AppState>,
    Lang(tr): Lang,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    if let Some(refused) = gate(&s, &tr, &q.token).await? {
        return Ok(refused);
    }
    let site = SiteFields {
        language: tr.lang.to_string(),
        timezone: "UTC".into(),
        ..Default::default()
    };
    let owner = OwnerFields {
        campaign_currency: "EUR".into(),
        ..Default::default()
    };
    render(
        &s,
        &tr,
        &q.token,
        (site, owner),
        Errors::default(),
        String::new(),
        StatusCode::OK,
    )
}

/// The first campaign as typed (`None` without a title): a draft, its slug from the title.
fn campaign_input(o: &OwnerFields) -> Option<CampaignInput> {
    if o.campaign_title.trim().is_empty() {
        return None;
    }
    let mut slug = shelfraiser_formats::slug::slugify(&o.campaign_title);
    slug.truncate(60);
    let slug = slug.trim_end_matches('-').to_string();
    Some(CampaignInput {
        slug: if slug.is_empty() || slug == "new" {
            "campaign".into()
        } else {
            slug
        },
        title: o.campaign_title.clone(),
        goal: o.campaign_goal.clone(),
        currency: o.campaign_currency.clone(),
        state: "draft".into(),
        keep_accepting: true,
        ..Default::default()
    })
}

fn campaign_message(tr: &I18n, fault: &Fault) -> String {
    match fault {
        Fault::Required => tr.t("console-error-required"),
        Fault::TooLong(max) => tr.ta("error-too-long", [("max", max.to_string())]),
        Fault::Currency(_) => tr.t("error-currency-unknown"),
        Fault::Amount(e) => tr.money_error(e),
        _ => tr.t("error-form"),
    }
}

async fn submit(
    State(s): State<AppState>,
    Lang(tr): Lang,
    client: Client,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f = Fields(fields);
    let token = f.text("token", 100);
    if let Some(refused) = gate(&s, &tr, &token).await? {
        return Ok(refused);
    }
    let site_fields = SiteFields::posted(&f);
    let owner = OwnerFields {
        name: f.text("owner_name", 200),
        email: f.text("owner_email", 320),
        campaign_title: f.text("campaign_title", 300),
        campaign_goal: f.text("campaign_goal", 40),
        campaign_currency: f.text("campaign_currency", 8),
    };
    let again = |errors: Errors, notice: String| {
        render(
            &s,
            &tr,
            &token,
            (site_fields.clone(), owner.clone()),
            errors,
            notice,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    if !csrf::check(&s.csrf, &headers, f.csrf(), Utc::now()) {
        return again(Errors::default(), tr.t("error-csrf"));
    }
    let mut errors = Errors::default();
    let site = match site_fields.checked(&tr) {
        Ok(site) => Some(site),
        Err(e) => {
            errors = e;
            None
        }
    };
    let name = crate::campaigns::create::clean(&owner.name);
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        errors.add("owner_name", tr.t("setup-error-name"));
    }
    let email = Email::parse(owner.email.trim()).ok();
    if email.is_none() {
        errors.add("owner_email", tr.t("setup-error-email"));
    }
    let pass = f.get("password");
    if let Err(e) = password::validate(pass) {
        errors.add("password", tr.t(e.message_key()));
    } else if pass != f.get("confirm") {
        errors.add("confirm", tr.t("signin-password-mismatch"));
    }
    let campaign = match campaign_input(&owner).map(|c| c.check(Utc::now())) {
        None => None,
        Some(Ok(new)) => Some(new),
        Some(Err(problems)) => {
            for p in &problems {
                let field = match p.field {
                    "goal" => "campaign_goal",
                    "currency" => "campaign_currency",
                    _ => "campaign_title",
                };
                errors.add(field, campaign_message(&tr, &p.fault));
            }
            None
        }
    };
    let (Some(site), Some(email)) = (site, email) else {
        return again(errors, tr.t("error-form"));
    };
    if !errors.is_empty() {
        return again(errors, tr.t("error-form"));
    }
    let hash = s.hasher.hash(pass).await?;
    // The token, then the claim: one owner however many posts race.
    if !setup::claim(&s.db, &token).await? {
        return refusal(&s, &tr, StatusCode::GONE);
    }
    let actor = client.actor(None, email.as_str());
    let new = NewMember {
        email,
        display_name: name,
        time_zone: site.timezone.clone(),
        languages: site.language.unwrap_or("en").to_string(),
        status: MemberStatus::Active,
    };
    let owner_member = setup::create_owner(&s.db, &actor, &new, Some(&hash))
        .await
        .map_err(AppError::Internal)?;
    site.save(&s.db).await?;
    setup::forget_tokens(&s.db).await?;
    let actor = client.actor(Some(&owner_member.id), &owner_member.email);
    crate::team::audit::record(
        &s.db,
        &actor,
        "site.setup",
        "site",
        &format!("{} ({})", site.name, site.language.unwrap_or("en")),
    )
    .await?;
    if let Some(mut new) = campaign {
        create_campaign(&s, &actor, &mut new).await?;
    }
    s.site.put(site);
    s.pages.forget_all();
    let mut m = owner_member;
    m.has_password = true;
    start_session(&s, &headers, &client, &m, "setup", super::DEFAULT_NEXT).await
}

/// The first campaign; a slug already taken (a campaign made on the command line before the
/// setup) gets a number.
async fn create_campaign(
    s: &AppState,
    actor: &crate::team::audit::Actor,
    new: &mut crate::campaigns::NewCampaign,
) -> Result<(), AppError> {
    let base = new.slug.as_str().to_string();
    for n in 1..=20 {
        if n > 1 {
            match crate::campaigns::Slug::parse(&format!("{base}-{n}")) {
                Ok(slug) => new.slug = slug,
                Err(_) => break,
            }
        }
        match crate::campaigns::repo::create(&s.db, new).await {
            Ok(_) => {
                crate::team::audit::record(
                    &s.db,
                    actor,
                    "campaign.created",
                    new.slug.as_str(),
                    &format!(
                        "draft {} {} (setup)",
                        new.goal.major_string(),
                        new.goal.currency
                    ),
                )
                .await?;
                return Ok(());
            }
            Err(CreateError::SlugTaken(_)) => continue,
            Err(CreateError::Db(e)) => return Err(e.into()),
        }
    }
    tracing::warn!("setup: no free slug for the first campaign");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_campaign_is_a_draft_named_after_its_title() {
        let o = OwnerFields {
            campaign_title: "Books for Kalpakkam!".into(),
            campaign_goal: "5000".into(),
            campaign_currency: "GBP".into(),
            ..Default::default()
        };
        let c = campaign_input(&o).expect("a campaign");
        assert_eq!(c.slug, "books-for-kalpakkam");
        assert_eq!(c.state, "draft");
        let new = c.check(Utc::now()).expect("valid");
        assert_eq!(new.goal.amount_minor, 500_000);
        assert!(
            campaign_input(&OwnerFields {
                campaign_title: "  ".into(),
                ..Default::default()
            })
            .is_none()
        );
    }
}
