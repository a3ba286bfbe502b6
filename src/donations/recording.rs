//! Recording a donation, the one flow every source takes (provider callbacks, offline entry,
//! the demo): in one transaction the ledger appends it ([`ledger::append_in`]), a message
//! with a link is held for review when the site says so ([`moderation::hold_if_linked_in`]),
//! the campaign decides whether it is now funded (`campaigns::repo::mark_funded_if_reached_in`),
//! the donation gets its receipt number and, when the donor gave an address, the job that
//! e-mails the receipt ([`receipts::on_recorded_in`]), and the live hub is told (delivered on
//! commit).

use super::ledger::{self, NewDonation, Recorded};
use super::moderation;
use super::receipts;
use crate::db::{Db, DbResult, Tx};

/// Records a donation inside `tx`: the ledger entry and totals, the automatic
/// `live → funded` step and the live notification. Idempotent on the provider reference.
pub async fn record_in(tx: &mut Tx, d: &NewDonation) -> DbResult<Recorded> {
    record_counted_in(tx, d, ledger::Donor::New).await
}

/// [`record_in`] for a payment whose donor may already be counted (a monthly renewal:
/// [`ledger::Donor::AlreadyCounted`], so a monthly donor counts once, with the first month).
pub async fn record_counted_in(
    tx: &mut Tx,
    d: &NewDonation,
    donor: ledger::Donor,
) -> DbResult<Recorded> {
    let recorded = ledger::append_counted_in(tx, d, donor).await?;
    if let Recorded::New {
        raised_minor,
        ref donation_id,
        ..
    } = recorded
    {
        let campaign_id = &d.intent.campaign_id;
        moderation::hold_if_linked_in(tx, donation_id, campaign_id, d.intent.message.as_deref())
            .await?;
        crate::campaigns::repo::mark_funded_if_reached_in(tx, campaign_id, raised_minor).await?;
        receipts::on_recorded_in(tx, donation_id, campaign_id, d.intent.donor_email.as_ref())
            .await?;
        super::fees::on_recorded_in(tx, donation_id, &d.provider).await?;
        crate::live::notify(tx, campaign_id).await?;
    }
    Ok(recorded)
}

/// Records a donation in its own transaction.
pub async fn record(db: &Db, d: &NewDonation) -> DbResult<Recorded> {
    let mut tx = db.begin().await?;
    let r = record_in(&mut tx, d).await?;
    tx.commit().await?;
    Ok(r)
}
