# Gebyrer hos betalingsudbyderne, eksport af posteringerne (issue 12).
console-fees-heading = Brutto, gebyrer og netto
console-fees-hint = Brutto er det, kampagnesiden viser som indsamlet (donationer minus refusioner og annulleringer). Gebyrer er det, betalingsudbyderne har beholdt, bogført for hver donation, når udbyderen har oplyst dem. Netto er det, der når kontoen.
console-fees-gross = Brutto
console-fees-fees = Gebyrer
console-fees-net = Netto
console-ledger-export = Hent alle posteringer som CSV (donationer, refusioner, annulleringer, gebyrer)
