# The donate form's minimum amounts and card-testing defence (donations::pages::guard).
error-amount-below-minimum = The smallest donation we take is { $min }.
error-amount-provider-minimum = { $provider } takes at least { $min }; please give a little more or choose another way to pay.
donate-rate-limited-email = { $count ->
    [one] There have been too many donation attempts with this e-mail address in a short time. Please wait a minute and try again. Nothing was charged.
   *[other] There have been too many donation attempts with this e-mail address in a short time. Please wait { $count } minutes and try again. Nothing was charged.
}
donate-pow-needed = { $count ->
    [one] Many cards have been declined on this form recently, so your browser must do a short calculation before we send you on (a few seconds; nothing is sent anywhere else). It starts by itself and sends the form when done. Without JavaScript, please try again in a minute.
   *[other] Many cards have been declined on this form recently, so your browser must do a short calculation before we send you on (a few seconds; nothing is sent anywhere else). It starts by itself and sends the form when done. Without JavaScript, please try again in { $count } minutes.
}
donate-pow-again = { $count ->
    [one] That check had expired or was already used. Your browser is doing a new one and will send the form when done. Without JavaScript, please try again in a minute.
   *[other] That check had expired or was already used. Your browser is doing a new one and will send the form when done. Without JavaScript, please try again in { $count } minutes.
}
donate-pow-working = Checking this browser… (a few seconds)
donate-pow-done = Done: sending the form.
money-card-testing-mail-subject = Many declined cards on { $campaign }
money-card-testing-mail-intro = Many card payments for { $campaign } were declined in a short time, which is how card testing looks. Until { $minutes } minutes after the last decline, the donate form asks every donor's browser for a short calculation before a checkout starts (donors without JavaScript are asked to come back later). It ends by itself. Check the donations and your payment provider's dashboard.
