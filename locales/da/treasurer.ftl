# Kassererens uge (sag 11): offline datoer og kurser, annulleringer, eksport og totaler.

## Giverlisten: en omregnet offline gave viser dagen for valutakursen
wall-rate-of = kurs fra { $date }

## Offline registrering
console-error-date-future = Modtagelsesdatoen kan ikke ligge efter i dag ({ $today }).
console-error-no-rate-on = Der er ingen ECB-referencekurs for { $currency } på eller før { $date }, dagen for modtagelsen. Importér først ECB's 90-dages- eller historikfil (shelfraiser rates import).
console-rate-of = ECB-referencekurs fra { $date }
console-rate-exact = Gemt kurs, der blev brugt:

## Annullering af en fejlregistreret offline donation
console-voided = annulleret
console-voided-by = den { $date } af { $who }
console-void-done = Donationen er annulleret: regnskabet har en postering, der tager den tilbage.
console-void-heading = Annullér denne donation
console-void-hint = Til en fejlregistrering. Regnskabet beholder donationen og tilføjer en postering, der tager den tilbage; totalerne falder, og giverlisten viser den ikke længere. Det kan ikke fortrydes: var gaven alligevel rigtig, så registrér den igen.
console-void-reason = Begrundelse (gemmes med annulleringen og i revisionsloggen)
console-void-confirm = Ja, annullér denne donation
console-void-submit = Annullér donation
console-void-error-confirm = Sæt flueben for at bekræfte.
console-void-error-reason = Angiv en begrundelse.
console-void-error-twice = Denne donation er allerede annulleret.
console-void-error-not-offline = Kun offline donationer kan annulleres; en betaling gennem en udbyder refunderes dér.

## Donationssiden: den anden eksportform og totalerne
console-export-csv-comma = CSV med kommaer og decimalpunktum
console-export-csv-semicolon = CSV til dansk Excel (semikolon, decimalkomma)
console-totals-heading = Totaler pr. måned og valuta
console-totals-hint = Donationerne, der passer til filteret, efter modtagelsesmåned og den givne valuta. Annullerede donationer er udeladt.
console-totals-month = Måned
console-totals-gifts = Donationer
console-totals-all = Alle måneder
