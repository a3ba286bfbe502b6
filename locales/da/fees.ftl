# Gebyrer hos betalingsudbyderne, eksport af posteringerne (issue 12).
console-fees-heading = Brutto, gebyrer og netto
console-fees-hint = Brutto er det, kampagnesiden viser som indsamlet (donationer minus refusioner og annulleringer). Gebyrer er det, betalingsudbyderne har beholdt, bogført for hver donation, når udbyderen har oplyst dem. Netto er det, der når kontoen.
console-fees-gross = Brutto
console-fees-fees = Gebyrer
console-fees-net = Netto
console-ledger-export = Hent alle posteringer som CSV (donationer, refusioner, annulleringer, gebyrer)
# Donationsformularens felt "dæk gebyret" (aldrig afkrydset på forhånd), takkesiden og
# kvitteringen.
donate-cover = Læg betalingsgebyret ({ $fee }) oven i min gave, så hele gaven når frem til indsamlingen
donate-cover-fee = ca. { $percent } %
donate-cover-fee-fixed = ca. { $percent } % plus et lille fast beløb
donate-cover-fee-varies = højst ca. { $percent } %, alt efter hvordan du betaler
thanks-covered = Det inkluderer { $amount }, som du lagde oven i for at dække betalingsgebyret. Tak!
receipt-covered = Gebyr dækket
receipt-covered-value = inklusive { $amount }, som du lagde oven i for at dække betalingsgebyret
