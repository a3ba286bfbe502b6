# Stripe og valget af betalingsudbyder (issue 12).

## Donationsformularen: hvordan der betales
field-provider = Betal med
provider-stripe = Kort m.m. (Stripe)
provider-paypal = PayPal
provider-test = Testbetaling (der trækkes ingen penge)
error-provider = Vælg, hvordan du vil betale.
error-provider-unavailable = Betalingstjenesten kunne ikke nås, så der er ikke trukket noget. Prøv igen om et øjeblik.
error-amount-step = { $provider } tager kun { $currency } i trin på { $step }. Rund venligst beløbet af.

## Tilbage fra betalingssiden
checkout-return-title = Vi bekræfter din betaling…
checkout-return-body = Tak! Vi venter på, at betalingstjenesten bekræfter din betaling. Siden opdaterer sig selv med få sekunders mellemrum.
checkout-return-refresh = Tjek igen nu
checkout-return-late = Betalingstjenesten har endnu ikke bekræftet betalingen. Hvis du har betalt, registreres din donation, så snart den gør; du skal ikke gøre mere.

## Kasserere: en indsigelse
money-dispute-mail-subject = En donation til { $campaign } er gjort indsigelse mod
money-dispute-mail-intro = Betaleren af en donation til { $campaign } har gjort indsigelse (en chargeback) hos betalingsudbyderen, begrundelse: { $reason }. Svar på den i udbyderens kontrolpanel inden fristen.
