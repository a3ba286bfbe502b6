# Betaling gennem PayPal (payments::paypal, donations::pages::paypal), og en betalingstjeneste
# der ikke kan starte en betaling.
error-provider-unsupported = Betalingstjenesten kan ikke tage imod dette beløb i denne valuta. Vælg et andet beløb eller en anden valuta.
checkout-pending = Din betaling bliver bekræftet af betalingstjenesten. Din donation vises, når den er gennemført.
paypal-capture-unavailable = Vi kunne ikke få fat i PayPal for at gennemføre din betaling. Intet er trukket endnu; genindlæs siden om et øjeblik for at prøve igen.
paypal-capture-mismatch = PayPal meldte et andet beløb end det, du valgte, så din donation blev ikke registreret. Kampagnens kasserere har fået besked og retter det.
money-mismatch-mail-subject = En betaling til { $campaign } kræver din opmærksomhed
money-mismatch-mail-intro = { $provider } trak { $captured } (betaling { $reference }) til { $campaign }, hvor donoren valgte { $expected }. Den blev ikke registreret som en donation. Refundér den hos { $provider }, eller indtast den selv, når du har tjekket den.
