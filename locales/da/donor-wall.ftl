# Donorens vej og donorvæggen (issue 11).

## Den hostede testbetaling, når den er afsluttet
checkout-see-thanks = Se din takkeside
checkout-try-again = Tilbage til formularen, udfyldt som før

## Takkeside
thanks-message-held = Din besked kommer på donorvæggen, når holdet har set den (beskeder med links bliver tjekket først).

## Konsol: donorvæggen
console-nav-wall = Donorvæg
console-wall-intro = Det, den offentlige donorvæg viser. At skjule et navn eller en besked ændrer kun væggen: donationen, beløbet og totalerne forbliver som de er.
console-wall-held-heading = Beskeder der venter på gennemsyn
console-wall-none-held = Ingen beskeder venter.
console-wall-held-more = Flere venter: de ældste vises først.
console-wall-entries-heading = Nyeste på væggen
console-wall-tag-name-hidden = navn skjult
console-wall-tag-held = besked venter på gennemsyn
console-wall-tag-message-hidden = besked skjult
console-wall-hold-heading = Beskeder med links
console-wall-hold-on = Nye donorbeskeder med et link holdes tilbage, til nogen godkender dem; navn og beløb vises med det samme.
console-wall-hold-off = Nye donorbeskeder vises på væggen med det samme, med eller uden links (links kan aldrig klikkes).
console-wall-hold-turn-on = Hold beskeder med links tilbage til gennemsyn
console-wall-hold-turn-off = Vis beskeder med links med det samme
console-wall-hold-turned-on = Beskeder med links holdes nu tilbage til gennemsyn.
console-wall-hold-turned-off = Beskeder med links vises nu med det samme.

## Konsol: én donations moderering på væggen
console-wall-heading = På donorvæggen
console-wall-status-shown = Væggen viser donationen, som den blev givet.
console-wall-status-name-hidden = Væggen viser donationen som "Anonym".
console-wall-status-message-hidden = Væggen viser donationen uden beskeden.
console-wall-status-both-hidden = Væggen viser donationen som "Anonym", uden beskeden.
console-wall-status-held = Beskeden venter på gennemsyn: væggen viser donationen uden den.
console-wall-status-private = Donationen er privat og står ikke på væggen.
console-wall-name = Donorens navn
console-wall-message = Donorens besked
console-wall-show = Vis
console-wall-hide-name = Skjul (vis "Anonym")
console-wall-hide-message = Skjul
console-wall-approve = Godkend og vis
console-wall-keep-held = Lad den vente
console-wall-held-hint = Beskeden indeholder et link og venter på gennemsyn.
console-wall-reason = Begrundelse
console-wall-reason-hint = Skal udfyldes ved skjul; gemmes i revisionsloggen.
console-wall-save = Gem
console-wall-saved = Gemt. Væggen viser ændringen nu.
console-wall-error-reason = Skriv hvorfor den skjules.
console-wall-error-reason-long = Højst { $max } tegn.
