-- Processor fees (issue 12): a fourth ledger kind, 'fee', and where an entry's money came
-- from. A fee entry: the provider's fee for one donation, negative (money out), in the
-- campaign currency; `original_amount_minor`/`original_currency`/`rate` keep the fee as the
-- provider charged it and the rate it was converted at (NULL for entries that kept none).
-- `campaign_totals.raised_minor` stays gross: fee entries are summed apart and never touch
-- the totals row. At most one fee per donation (the partial unique index). Adding nullable
-- columns and swapping a CHECK changes no row, so the append-only triggers stay as they are.
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check
    CHECK (kind IN ('donation', 'refund', 'adjustment', 'fee'));
ALTER TABLE ledger_entries ADD COLUMN original_amount_minor BIGINT;
ALTER TABLE ledger_entries ADD COLUMN original_currency TEXT;
ALTER TABLE ledger_entries ADD COLUMN rate TEXT;
CREATE UNIQUE INDEX ledger_one_fee ON ledger_entries (donation_id) WHERE kind = 'fee';
