# Stripe and the choice of payment provider (issue 12).

## The donate form: how to pay
field-provider = Pay with
provider-stripe = Card and more (Stripe)
provider-paypal = PayPal
provider-test = Test checkout (no money is taken)
error-provider = Choose how to pay.
error-provider-unavailable = The payment service could not be reached, so nothing was charged. Please try again in a moment.
error-amount-step = { $provider } takes { $currency } only in steps of { $step }. Please round the amount.

## Coming back from the payment page
checkout-return-title = Confirming your payment…
checkout-return-body = Thank you! We are waiting for the payment service to confirm your payment. This page refreshes by itself every few seconds.
checkout-return-refresh = Check again now
checkout-return-late = The payment service has not confirmed this payment yet. If you paid, your donation will be recorded as soon as it does; nothing more is needed from you.

## Treasurers: a dispute
money-dispute-mail-subject = A donation to { $campaign } is disputed
money-dispute-mail-intro = The payer of a donation to { $campaign } opened a dispute (a chargeback) at the payment provider, reason: { $reason }. Answer it in the provider's dashboard before its deadline.
