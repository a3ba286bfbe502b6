-- Monthly gifts' refunds and disputes: a renewal's donation is keyed on its invoice, but
-- Stripe's refund and dispute events name the payment intent (or charge) that paid it. The
-- invoice.paid event names it; it is kept beside the invoice so those events, the console's
-- refund and the fee job find the donation.
ALTER TABLE monthly_payments ADD COLUMN payment_ref TEXT;
CREATE INDEX monthly_payments_payment ON monthly_payments (payment_ref) WHERE payment_ref IS NOT NULL;
