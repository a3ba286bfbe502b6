# Rettelser efter penetrationstesten (issue 9): betalingssessioner, besked til kasserere, kommentatorers adresser.

## Testbetalingssiden, for en session der ikke kan betales
checkout-unpayable-expired = Denne betaling er udløbet og kan ikke længere gennemføres. Der er ikke trukket noget. Start en ny donation fra kampagnesiden.
checkout-unpayable-finished = Denne betaling blev afvist eller annulleret og kan ikke længere gennemføres. Der er ikke trukket noget. Start en ny donation fra kampagnesiden.
checkout-unpayable-campaign = Kampagnen tager ikke længere imod donationer, så denne betaling kan ikke gennemføres. Der er ikke trukket noget.

## Kasserere: en sen betaling er registreret og markeret til gennemsyn
money-review-mail-subject = En donation til { $campaign } skal gennemses
money-review-mail-intro = En betalingsudbyder meldte om penge trukket for en betaling til { $campaign }, som ikke længere kunne betales ({ $reason }). Donationen er registreret, så donoren ikke mister den, og markeret til dit gennemsyn: kontrollér den, og refundér den, hvis den ikke burde være trukket.
money-review-mail-action = Gennemse donationen
money-review-reason-session-expired = betalingen var udløbet
money-review-reason-session-declined = betalingen var afvist
money-review-reason-session-canceled = betalingen var annulleret
money-review-reason-session-succeeded = betalingen var allerede gennemført
money-review-reason-campaign-not-accepting = kampagnen tog ikke længere imod donationer

## Kasserere: kampagnens nødbremse for betalinger
money-breaker-mail-subject = Donationer til { $campaign } er sat på pause et øjeblik
money-breaker-mail-intro = Rigtig mange forskellige forbindelser har startet betalinger til { $campaign } uden at gennemføre dem, sådan som korttestning ser ud. Nye betalinger afvises i kort tid og genoptages af sig selv. Hvis det bliver ved, så gennemse donationerne og overvej at sænke grænserne.
money-breaker-mail-action = Åbn donationerne

## Gæstekommentatorer: bekræftelse af e-mailadresse
commenter-confirm-mail-subject = Bekræft din e-mailadresse til kommentarer på { $site }
commenter-confirm-mail-intro = Der er skrevet en kommentar på { $site } med denne e-mailadresse. Bekræft adressen, så bliver dine næste kommentarer vist med det samme i stedet for at vente på en moderator. Hvis det ikke var dig, så se bort fra denne e-mail: intet ændres.
commenter-confirm-mail-action = Bekræft min adresse
commenter-confirm-title = Bekræft din e-mailadresse
commenter-confirm-ask = Vil du bekræfte denne e-mailadresse til dine kommentarer? Senere kommentarer fra den bliver så vist med det samme.
commenter-confirm-button = Bekræft min adresse
commenter-confirm-done = Tak: din e-mailadresse er bekræftet. Dine næste kommentarer bliver vist med det samme.
commenter-confirm-bad-link = Dette bekræftelseslink er ugyldigt eller udløbet. Skriv en ny kommentar for at få et nyt.
