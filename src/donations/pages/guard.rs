//! The donate form's card-testing and minimum-amount checks that sit between a valid form
//! and a new checkout: the site's minimum and the provider's own (before any call to it),
//! the per-e-mail limit, and the proof-of-work challenge of a challenged campaign.

use chrono::{DateTime, Utc};

use crate::campaigns::Campaign;
use crate::donations::intent::{self, Intent};
use crate::donations::{card_testing, challenge};
use crate::http::{AppError, AppState};
use crate::i18n::I18n;
use crate::payments::PaymentProvider;
use crate::rates::RateTable;

/// The amount field's message when the amount is below the site's minimum
/// (`donations.min_amount_major`) or below what the chosen provider charges at least
/// (Stripe's table per currency, or 0.50 USD at the day's rate), naming the minimum in the
/// donor's currency; `None` when it is enough.
pub(super) fn below_minimum(
    s: &AppState,
    tr: &I18n,
    c: &Campaign,
    table: &RateTable,
    provider: &dyn PaymentProvider,
    valid: &Intent,
) -> Option<String> {
    if let Err(msg) = intent::check_minimum(
        tr,
        c.currency(),
        s.settings.donations.min_amount_major,
        valid,
    ) {
        return Some(msg);
    }
    let amount = valid.amount;
    let min = provider.min_amount(amount.currency)?;
    let shown = if min.currency == amount.currency {
        (amount.amount_minor < min.amount_minor).then_some(min)?
    } else {
        // A minimum named in another currency: compared at the newest rate (no rate: the
        // provider decides).
        let rate = table.rate(amount.currency, min.currency)?;
        let converted = amount.convert(rate, min.currency).ok()?;
        if converted.amount_minor >= min.amount_minor {
            return None;
        }
        intent::least_in(min.amount_minor, min.currency, amount.currency, rate, 1).unwrap_or(min)
    };
    Some(tr.ta(
        "error-amount-provider-minimum",
        [
            ("provider", tr.t(&format!("provider-{}", provider.name()))),
            ("min", tr.money(shown)),
        ],
    ))
}

/// What the form post carries of a challenge: (challenge, counter).
fn posted(body: &[u8]) -> (String, String) {
    let mut out = (String::new(), String::new());
    for (k, v) in url::form_urlencoded::parse(body) {
        match k.as_ref() {
            "pow_challenge" => out.0 = v.chars().take(400).collect(),
            "pow_counter" => out.1 = v.chars().take(40).collect(),
            _ => {}
        }
    }
    out
}

/// The form must come back with a solved challenge first.
pub(super) struct Challenge {
    /// The new challenge for the form to carry.
    pub challenge: String,
    /// What the page says.
    pub notice: String,
    /// When a donor without JavaScript may try again (the challenge state's end).
    pub retry_after_secs: i64,
}

/// When the campaign is challenged (`card_testing`), the post must carry a solved, unused
/// challenge for it; `Some` gives the form back with a new one. A solution that passes is
/// used up here.
pub(super) async fn challenge_gate(
    s: &AppState,
    tr: &I18n,
    c: &Campaign,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Option<Challenge>, AppError> {
    let t = card_testing::Thresholds::new(&s.settings.donations);
    let Some(retry_after_secs) = card_testing::challenged(&s.db, &t, &c.id, now).await? else {
        return Ok(None);
    };
    let key = &s.checkout_key.0;
    let (posted_challenge, counter) = posted(body);
    let key_notice = if posted_challenge.is_empty() {
        "donate-pow-needed"
    } else {
        match challenge::check(key, &c.id, t.bits, &posted_challenge, &counter, now) {
            Ok(solved) => match challenge::spend(&s.db, &solved).await? {
                Ok(()) => return Ok(None),
                Err(_) => "donate-pow-again",
            },
            Err(why) => {
                tracing::info!(campaign = %c.slug, ?why, "proof of work refused");
                "donate-pow-again"
            }
        }
    };
    let minutes = (retry_after_secs + 59) / 60;
    Ok(Some(Challenge {
        challenge: challenge::issue(key, &c.id, t.bits, now),
        notice: tr.tn(key_notice, minutes),
        retry_after_secs,
    }))
}
