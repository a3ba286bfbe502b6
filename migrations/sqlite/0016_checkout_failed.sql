-- A checkout whose provider could not be reached (src/donations/checkout): the session is
-- closed as canceled at once, its client hash cleared, and `failed_at` set, so it counts
-- against neither the donor's nor the campaign's checkout limit (the donor was shown the form
-- again and never reached the payment page).
ALTER TABLE checkout_sessions ADD COLUMN failed_at TEXT;
