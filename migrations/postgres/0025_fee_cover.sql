-- "Add N to cover the processing fees" (the donate form's box, never pre-ticked): the sum
-- the donor added on top of the gift, in the minor units of the currency they paid in. It is
-- part of amount_minor (what was charged and what the ledger counts); 0: nothing added.
ALTER TABLE checkout_sessions ADD COLUMN cover_minor BIGINT NOT NULL DEFAULT 0 CHECK (cover_minor >= 0);
ALTER TABLE donations ADD COLUMN cover_minor BIGINT NOT NULL DEFAULT 0 CHECK (cover_minor >= 0);
-- A monthly gift charges the same cover every month; each renewal's donation records it.
ALTER TABLE monthly_gifts ADD COLUMN cover_minor BIGINT NOT NULL DEFAULT 0 CHECK (cover_minor >= 0);
