//! Donations in the console: the filterable, paginated list (`GET /admin/donations`), the
//! detail view with the donor wall's moderation form, offline entry (`POST /admin/donations`,
//! the same path as `shelfraiser donation add`), voiding a mistaken offline entry
//! (`POST /admin/donations/{id}/void`, the same path as `shelfraiser donation void`) and the
//! CSV export for accountants, with each campaign's gross, fees and net and the export of
//! every ledger entry (`GET /admin/ledger.csv`); the "Resend receipt" button
//! (`POST /admin/donations/{id}/receipt`); refunds (`POST /admin/donations/{id}/refund`:
//! through the provider, or recorded for an offline gift; `donations::refunds`).
//!
//! A member sees the donations of the campaigns where their roles allow `DonationsRead`,
//! enters offline donations where they allow `DonationsWrite` and exports where they allow
//! `Export`. Wall moderators (`WallModerate`: editors too) open a donation's page to hide or
//! show its name or message on the wall; those who may not read donations see no contact
//! details there. The search itself is the donations store's (`donations::repo::search`).

mod detail;
mod erase;
mod export;
mod ledger;
mod list;
mod offline;
mod receipt;
mod refund;
mod void;
mod wall;

pub use detail::{DetailPage, DetailQuery, LedgerLine, WallForm, detail};
pub use erase::erase as erase_donor;
pub use export::{CSV_HEADER, CsvStyle, csv_attachment, csv_text, export, formula_guard};
pub use ledger::{GrossNetLine, LEDGER_CSV_HEADER, export_ledger, gross_net_lines};
pub use list::{DonationItem, DonationsPage, FilterForm, ListQuery, OfflineForm, list};
pub use offline::{add_offline, offline_message};
pub use receipt::resend as resend_receipt;
pub use refund::refund;
pub use void::void;
pub use wall::moderate as moderate_wall;

pub use crate::donations::repo::search::{
    DonationFull, Filter, MonthTotal, by_id, count, monthly_totals, providers, search,
};

pub const PER_PAGE: i64 = 50;
