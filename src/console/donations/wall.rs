//! `POST /admin/donations/{id}/wall`: hide or show a donor's name or message on the public
//! donor wall, or approve a held message (`donations::moderation::moderate`: audited, the
//! ledger untouched, the campaign's pages refreshed on every node). Hiding needs a reason.

use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;

use crate::console::{Console, Errors, Fields};
use crate::donations::Visibility;
use crate::donations::moderation::{self, MAX_REASON_CHARS, MessageState, Wall};
use crate::http::AppError;
use crate::team::Permission;

use super::by_id;
use super::detail::{VoidForm, WallForm, render};

pub async fn moderate(
    cx: Console,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f = Fields(fields);
    let tr = &cx.r.tr;
    let d = by_id(&cx.s.db, &id).await?.ok_or(AppError::NotFound)?;
    let m = &cx.me.member;
    // As on the donation's page: a private donation is not on the wall, and only those who
    // read donations see it.
    if !m.can(Permission::WallModerate, Some(&d.campaign_id))
        || (d.visibility == Visibility::Private
            && !m.can(Permission::DonationsRead, Some(&d.campaign_id)))
    {
        return Err(AppError::Forbidden);
    }
    let now = moderation::wall_of(&cx.s.db, &d.id).await?;
    let mut errors = Errors::default();
    let name_hidden = match f.get("name") {
        "shown" => false,
        "hidden" => true,
        _ => {
            errors.add("name", tr.t("console-error-choose"));
            now.name_hidden
        }
    };
    let message = match f.get("message") {
        "shown" => MessageState::Shown,
        "hidden" => MessageState::Hidden,
        // Leaving a held message held; nothing else may be put on hold by hand.
        "held" if now.message == MessageState::Held => MessageState::Held,
        _ => {
            errors.add("message", tr.t("console-error-choose"));
            now.message
        }
    };
    let reason = f.text("reason", MAX_REASON_CHARS + 1).trim().to_string();
    if reason.chars().count() > MAX_REASON_CHARS {
        errors.add(
            "reason",
            tr.ta(
                "console-wall-error-reason-long",
                &[("max", tr.int(MAX_REASON_CHARS as i64))],
            ),
        );
    }
    let hides = (name_hidden && !now.name_hidden)
        || (message == MessageState::Hidden && now.message != MessageState::Hidden);
    if hides && reason.is_empty() {
        errors.add("reason", tr.t("console-wall-error-reason"));
    }
    let csrf_ok = cx.csrf_ok(f.csrf());
    if !csrf_ok || !errors.is_empty() {
        let notice = tr.t(if csrf_ok { "error-form" } else { "error-csrf" });
        let posted = WallForm {
            name_hidden,
            message_state: message.as_str(),
            status: String::new(),
            reason: reason.chars().take(MAX_REASON_CHARS).collect(),
            errors,
        };
        return render(
            &cx,
            &id,
            notice,
            VoidForm::default(),
            Some(posted),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let to = Wall {
        name_hidden,
        message,
    };
    if let Some(version) =
        moderation::moderate(&cx.s.db, &d.id, &d.campaign_id, to, &reason, &cx.actor()).await?
    {
        // This node's cached page and open live pages follow now; other nodes through
        // NOTIFY or their poll of the version.
        cx.s.hub.observe(&d.campaign_id, version);
    }
    Ok(Redirect::to(&format!("/admin/donations/{}?wall=saved#wall", d.id)).into_response())
}
