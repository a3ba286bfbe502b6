# The treasurer's week (issue 11): offline dates and rates, voids, the export and totals.

## The donor wall: a converted offline gift shows the day of its exchange rate
wall-rate-of = rate of { $date }

## Offline entry
console-error-date-future = The date received cannot be after today ({ $today }).
console-error-no-rate-on = There is no ECB reference rate for { $currency } on or before { $date }, the day received. Import the ECB's 90-day or full history file first (shelfraiser rates import).
console-rate-of = ECB reference rate of { $date }
console-rate-exact = Stored rate used:

## Voiding a mistaken offline entry
console-voided = voided
console-voided-by = on { $date } by { $who }
console-void-done = The donation was voided: the ledger has an entry taking it back.
console-void-heading = Void this donation
console-void-hint = For a mistaken entry. The ledger keeps the donation and adds an entry that takes it back; the totals go down and the donor wall no longer shows it. This cannot be undone: if the gift was right after all, enter it again.
console-void-reason = Reason (kept with the void and in the audit log)
console-void-confirm = Yes, void this donation
console-void-submit = Void donation
console-void-error-confirm = Tick the box to confirm.
console-void-error-reason = Give a reason.
console-void-error-twice = This donation was already voided.
console-void-error-not-offline = Only offline donations can be voided; a payment through a provider is refunded there.

## The donations page: the other export style and the totals
console-export-csv-comma = CSV with commas and decimal points
console-export-csv-semicolon = CSV for Excel in Danish (semicolons, decimal commas)
console-totals-heading = Totals by month and currency
console-totals-hint = The donations matching the filter, by the month received and the currency given. Voided donations are left out.
console-totals-month = Month
console-totals-gifts = Donations
console-totals-all = All months
