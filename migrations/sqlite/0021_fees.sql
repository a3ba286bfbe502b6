-- Processor fees (issue 12): a fourth ledger kind, 'fee', and where an entry's money came
-- from. SQLite cannot change a CHECK, so the table is rebuilt inside the migration's
-- transaction: its rows are kept aside in a temporary table, the table is dropped and made
-- again under its own name with the new CHECK and columns, every row goes back with its
-- seq (so `sqlite_sequence` continues after the last one), and the index and the
-- append-only triggers are made again. The tables that refer to its entries
-- (`donation_voids.entry_id`) would be orphaned by the drop for a moment: with
-- `defer_foreign_keys` the check waits for the commit, and putting the rows back under the
-- same name satisfies it. (`PRAGMA foreign_keys = OFF` is ignored inside a transaction.)
--
-- A fee entry: the provider's fee for one donation, negative (money out), in the campaign
-- currency; `original_amount_minor`/`original_currency`/`rate` keep the fee as the provider
-- charged it and the rate it was converted at (NULL for entries that kept none).
-- `campaign_totals.raised_minor` stays gross: fee entries are summed apart and never touch
-- the totals row. At most one fee per donation (the partial unique index).
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE ledger_entries_kept AS SELECT * FROM ledger_entries;
DROP TABLE ledger_entries;
CREATE TABLE ledger_entries (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    campaign_id  TEXT NOT NULL REFERENCES campaigns (id),
    donation_id  TEXT REFERENCES donations (id),
    kind         TEXT NOT NULL CHECK (kind IN ('donation', 'refund', 'adjustment', 'fee')),
    amount_minor INTEGER NOT NULL,
    donor_delta  INTEGER NOT NULL,
    memo         TEXT,
    created_at   TEXT NOT NULL,
    original_amount_minor INTEGER,
    original_currency     TEXT,
    rate                  TEXT
);
INSERT INTO ledger_entries (seq, id, campaign_id, donation_id, kind, amount_minor,
    donor_delta, memo, created_at)
SELECT seq, id, campaign_id, donation_id, kind, amount_minor, donor_delta, memo, created_at
FROM ledger_entries_kept ORDER BY seq;
DROP TABLE ledger_entries_kept;
CREATE INDEX ledger_campaign ON ledger_entries (campaign_id);
CREATE UNIQUE INDEX ledger_one_fee ON ledger_entries (donation_id) WHERE kind = 'fee';
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
