# Paying through PayPal (payments::paypal, donations::pages::paypal), and a provider that
# cannot start a checkout.
error-provider-unsupported = This payment service cannot take this amount in this currency. Please choose another amount or currency.
checkout-pending = Your payment is being confirmed by the payment service. Your donation will appear once it is complete.
paypal-capture-unavailable = We could not reach PayPal to complete your payment. Nothing has been taken yet; please reload this page in a moment to try again.
paypal-capture-mismatch = PayPal reported a different amount than the one you chose, so your donation was not recorded. The campaign's treasurers have been told and will put it right.
money-mismatch-mail-subject = A payment to { $campaign } needs your attention
money-mismatch-mail-intro = { $provider } captured { $captured } (payment { $reference }) for { $campaign } where the donor chose { $expected }. It was not recorded as a donation. Refund it at { $provider }, or enter it by hand once you have checked it.
