//! One donation with every stored field (`GET /admin/donations/{id}`), its ledger lines,
//! whether it was voided, for treasurers the "Void" form of an offline gift, and the donor
//! wall's moderation form (`POST /admin/donations/{id}/wall`, [`super::wall`]).
//! Members who may read donations see everything; wall moderators who may not (editors) see
//! what the wall could show — no e-mail address, provider reference or note.

use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use serde::Deserialize;

use crate::campaigns::repo;
use crate::console::{Console, Errors, Shell};
use crate::donations::Visibility;
use crate::donations::moderation::{self, MessageState};
use crate::donations::offline::{self};
use crate::http::AppError;
use crate::team::Permission;

use super::by_id;
use super::list::money_text;
use super::refund::RefundForm;

/// A refund as the page lists it.
pub struct RefundView {
    pub date: String,
    pub amount: String,
    /// What the campaign's total lost (campaign currency), or empty while under way.
    pub converted: String,
    /// `requested`, `pending`, `succeeded` or `failed`, in words.
    pub status: String,
    pub by: String,
    pub reason: String,
    pub reference: String,
    pub error: String,
}

/// The page's forms as posted (a refused one is shown again with its values and errors).
#[derive(Default)]
pub struct Forms {
    pub void: VoidForm,
    pub wall: Option<WallForm>,
    pub refund: Option<RefundForm>,
}

/// A void as the page shows it.
pub struct VoidView {
    pub date: String,
    pub by: String,
    pub reason: String,
}

/// The "Void" form's values and errors (shown again when refused).
#[derive(Debug, Default)]
pub struct VoidForm {
    pub reason: String,
    pub errors: Errors,
}

pub struct LedgerLine {
    pub kind: String,
    pub amount: String,
    pub date: String,
}

#[derive(Template)]
#[template(path = "console/donation.html")]
pub struct DetailPage {
    pub shell: Shell,
    pub notice: String,
    /// The notice tells of success (else of a refused form).
    pub notice_ok: bool,
    pub id: String,
    pub campaign_slug: String,
    pub campaign_title: String,
    pub created: String,
    pub received_on: String,
    pub amount: String,
    /// "1 INR = 0.0094833 GBP" in the console's language (five significant digits), "—" when
    /// no conversion took place.
    pub rate: String,
    /// The stored rate the conversion used (up to fifteen significant digits), for the
    /// treasurer who checks a sum; empty without a conversion.
    pub rate_exact: String,
    pub converted: String,
    pub donor_name: String,
    pub donor_email: String,
    pub message: String,
    pub visibility: String,
    pub provider: String,
    pub provider_reference: String,
    pub status: String,
    pub note: String,
    pub ledger: Vec<LedgerLine>,
    /// "ECB reference rate of 28 June 2024" for a converted offline gift, else empty.
    pub rate_of: String,
    pub voided: Option<VoidView>,
    /// An offline gift, not voided, and the member may enter donations for its campaign.
    pub can_void: bool,
    pub void_form: VoidForm,
    /// The member may read donations here (else only the wall's fields are shown).
    pub full: bool,
    pub wall: WallForm,
    /// `SLUG-000042`, or empty.
    pub receipt_number: String,
    /// The member may send the receipt again (`DonationsWrite`, and the donor gave an address).
    pub can_resend: bool,
    /// The member may erase the donor's personal data (`DonationsWrite`, and an address).
    pub can_erase: bool,
    /// "Refunded" / "Partly refunded", or empty.
    pub refund_state: String,
    /// What the campaign keeps (campaign currency) when something was refunded, else empty.
    pub net: String,
    pub refunds: Vec<RefundView>,
    /// The member may refund (`DonationsWrite`), something is left and it is not voided.
    pub can_refund: bool,
    /// An offline gift: the refund is recorded with a memo (else made at the provider).
    pub refund_offline: bool,
    /// What is left to refund, in words (the form's hint).
    pub refund_left: String,
    pub refund_form: RefundForm,
}

/// The wall moderation form: the current decision, or what was posted when it is shown
/// again with its errors.
pub struct WallForm {
    pub name_hidden: bool,
    /// `shown`, `held` or `hidden`.
    pub message_state: &'static str,
    /// What the public wall shows now, in words.
    pub status: String,
    pub reason: String,
    pub errors: Errors,
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    pub added: Option<String>,
    pub duplicate: Option<String>,
    pub voided: Option<String>,
    /// The wall moderation was saved.
    pub wall: Option<String>,
    /// The receipt was queued to be sent again.
    pub receipt: Option<String>,
    /// The donor's personal data was erased.
    pub erased: Option<String>,
    /// A refund went through / was taken by the provider and waits for its confirmation.
    pub refunded: Option<String>,
    pub refund_pending: Option<String>,
}

/// `GET /admin/donations/{id}`: every stored field (for wall moderators who may not read
/// donations, the wall's fields only).
pub async fn detail(
    cx: Console,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    let notice = if q.added.is_some() {
        tr.t("console-donation-added")
    } else if q.duplicate.is_some() {
        tr.t("console-donation-duplicate")
    } else if q.voided.is_some() {
        tr.t("console-void-done")
    } else if q.wall.is_some() {
        tr.t("console-wall-saved")
    } else if q.receipt.is_some() {
        tr.t("console-receipt-resent")
    } else if let Some(p) = &q.erased {
        tr.ta(
            "console-erased",
            [("pseudonym", p.chars().take(40).collect::<String>())],
        )
    } else if q.refunded.is_some() {
        tr.t("console-refund-done")
    } else if q.refund_pending.is_some() {
        tr.t("console-refund-pending")
    } else {
        String::new()
    };
    render(&cx, &id, notice, VoidForm::default(), None, StatusCode::OK).await
}

/// The page, with a notice and the forms' state: a refused void or wall form is shown again
/// with its values and errors (`code` 422).
pub(super) async fn render(
    cx: &Console,
    id: &str,
    notice: String,
    void_form: VoidForm,
    posted: Option<WallForm>,
    code: StatusCode,
) -> Result<Response, AppError> {
    let forms = Forms {
        void: void_form,
        wall: posted,
        refund: None,
    };
    render_with(cx, id, notice, forms, code).await
}

/// [`render`] with every form's posted state.
pub(super) async fn render_with(
    cx: &Console,
    id: &str,
    notice: String,
    forms: Forms,
    code: StatusCode,
) -> Result<Response, AppError> {
    let Forms {
        void: void_form,
        wall: posted,
        refund: refund_form,
    } = forms;
    let tr = &cx.r.tr;
    let d = by_id(&cx.s.db, id).await?.ok_or(AppError::NotFound)?;
    let m = &cx.me.member;
    let full = m.can(Permission::DonationsRead, Some(&d.campaign_id));
    // Wall moderators who may not read donations see what the wall could show: nothing of a
    // private donation, no name of an anonymous one.
    if !full
        && (!m.can(Permission::WallModerate, Some(&d.campaign_id))
            || d.visibility == Visibility::Private)
    {
        return Err(AppError::Forbidden);
    }
    let c = repo::by_id(&cx.s.db, &d.campaign_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let entries = crate::donations::repo::ledger::entries_of(&cx.s.db, &d.id).await?;
    let void = crate::donations::voids::of(&cx.s.db, &d.id).await?;
    let refunds = crate::donations::refunds::summary(&cx.s.db, &d.id)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let can_refund = void.is_none()
        && refunds.left.amount_minor > 0
        && m.can(Permission::DonationsWrite, Some(&d.campaign_id));
    let refunded_converted: i64 = refunds
        .refunds
        .iter()
        .filter(|r| r.status == "succeeded")
        .filter_map(|r| r.campaign_amount_minor)
        .sum();
    let can_void = void.is_none()
        && refunds.refunds.is_empty()
        && d.provider == offline::PROVIDER
        && cx
            .me
            .member
            .can(Permission::DonationsWrite, Some(&d.campaign_id));
    let now = moderation::wall_of(&cx.s.db, &d.id).await?;
    let status_key = match (d.visibility, now.name_hidden, now.message) {
        (Visibility::Private, _, _) => "console-wall-status-private",
        (_, _, MessageState::Held) => "console-wall-status-held",
        (_, true, MessageState::Hidden) => "console-wall-status-both-hidden",
        (_, true, _) => "console-wall-status-name-hidden",
        (_, false, MessageState::Hidden) => "console-wall-status-message-hidden",
        _ => "console-wall-status-shown",
    };
    let wall = posted.unwrap_or_else(|| WallForm {
        name_hidden: now.name_hidden,
        message_state: now.message.as_str(),
        status: String::new(),
        reason: String::new(),
        errors: Errors::default(),
    });
    let wall = WallForm {
        status: tr.t(status_key),
        ..wall
    };
    let page = DetailPage {
        shell: cx.shell(if full {
            "/admin/donations"
        } else {
            "/admin/wall"
        }),
        notice,
        notice_ok: code.is_success(),
        id: d.id.clone(),
        campaign_slug: c.slug.to_string(),
        campaign_title: c.title.clone(),
        created: format!(
            "{} ({} UTC)",
            tr.date(d.created_at),
            d.created_at.format("%H:%M")
        ),
        received_on: d.received_on.map(|x| x.to_string()).unwrap_or_default(),
        amount: money_text(tr, d.amount_minor, &d.currency),
        rate: rate_text(tr, &d.currency, &d.rate, c.currency().as_str()),
        rate_exact: if d.currency == c.currency().as_str() {
            String::new()
        } else {
            d.rate.clone()
        },
        converted: money_text(tr, d.campaign_amount_minor, c.currency().as_str()),
        donor_name: if full || d.visibility == Visibility::Public {
            d.donor_name.clone().unwrap_or_default()
        } else {
            tr.t("donor-anonymous")
        },
        donor_email: if full {
            d.donor_email.clone().unwrap_or_default()
        } else {
            String::new()
        },
        message: d.message.clone().unwrap_or_default(),
        visibility: tr.t(&format!("console-visibility-{}", d.visibility)),
        provider: d.provider.clone(),
        provider_reference: if full {
            offline::shown_reference(&d.provider, &d.campaign_id, &d.provider_reference).to_string()
        } else {
            String::new()
        },
        status: d.status.to_string(),
        note: if full {
            d.note.clone().unwrap_or_default()
        } else {
            String::new()
        },
        full,
        wall,
        ledger: entries
            .into_iter()
            .map(|(kind, amount, at)| LedgerLine {
                kind,
                amount: money_text(tr, amount, c.currency().as_str()),
                date: tr.date(at),
            })
            .collect(),
        rate_of: match d.rate_on {
            Some(day) if d.provider == offline::PROVIDER => {
                tr.ta("console-rate-of", [("date", tr.day(day))])
            }
            _ => String::new(),
        },
        voided: void.map(|v| VoidView {
            date: tr.date(v.created_at),
            by: v.actor,
            reason: v.reason,
        }),
        can_void,
        void_form,
        receipt_number: crate::donations::receipts::number_text(&cx.s.db, &d.id, c.slug.as_str())
            .await?
            .unwrap_or_default(),
        can_resend: d.donor_email.as_deref().is_some_and(|e| !e.is_empty())
            && m.can(Permission::DonationsWrite, Some(&d.campaign_id)),
        can_erase: d.donor_email.as_deref().is_some_and(|e| !e.is_empty())
            && m.can(Permission::DonationsWrite, Some(&d.campaign_id)),
        refund_state: if refunds.fully_refunded() {
            tr.t("console-refunded")
        } else if refunds.partly_refunded() {
            tr.t("console-partly-refunded")
        } else {
            String::new()
        },
        net: if refunds.refunded.amount_minor > 0 {
            money_text(
                tr,
                d.campaign_amount_minor - refunded_converted,
                c.currency().as_str(),
            )
        } else {
            String::new()
        },
        refund_offline: d.provider == offline::PROVIDER,
        refund_left: tr.money(refunds.left),
        refund_form: refund_form.unwrap_or_else(|| RefundForm {
            amount: tr.amount(refunds.left),
            ..RefundForm::default()
        }),
        can_refund,
        refunds: if full {
            refunds
                .refunds
                .iter()
                .map(|r| RefundView {
                    date: tr.date(r.created_at),
                    amount: money_text(tr, r.amount_minor, &r.currency),
                    converted: r
                        .campaign_amount_minor
                        .map(|a| money_text(tr, a, c.currency().as_str()))
                        .unwrap_or_default(),
                    status: tr.t(&format!("console-refund-status-{}", r.status)),
                    by: r.requested_by.clone().unwrap_or_else(|| d.provider.clone()),
                    reason: r.reason.clone().unwrap_or_default(),
                    reference: r.provider_refund_id.clone().unwrap_or_default(),
                    error: r.error.clone().unwrap_or_default(),
                })
                .collect()
        } else {
            Vec::new()
        },
    };
    Ok((code, Html(page.render()?)).into_response())
}

/// The rate line a treasurer reads: localized, or "—" without a conversion.
fn rate_text(tr: &crate::i18n::I18n, from: &str, rate: &str, to: &str) -> String {
    if from == to {
        return "—".into();
    }
    match rate.parse::<rust_decimal::Decimal>() {
        Ok(r) => format!("1 {from} = {} {to}", tr.rate(r)),
        Err(_) => format!("1 {from} = {rate} {to}"),
    }
}

/// The donation `id` for a form that changes it: 404 when unknown, 403 without
/// `DonationsWrite` on its campaign.
pub(super) async fn writable(cx: &Console, id: &str) -> Result<super::DonationFull, AppError> {
    let d = super::by_id(&cx.s.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !cx
        .me
        .member
        .can(Permission::DonationsWrite, Some(&d.campaign_id))
    {
        return Err(AppError::Forbidden);
    }
    Ok(d)
}

/// The donation's page again, 422, with `notice` saying why a one-button form was refused.
pub(super) async fn refused_notice(
    cx: &Console,
    id: &str,
    notice: String,
) -> Result<Response, AppError> {
    let code = StatusCode::UNPROCESSABLE_ENTITY;
    render(cx, id, notice, VoidForm::default(), None, code).await
}
