# Medlemmets tidszone og sprog (kontosiden, invitationer), tiden på dagen i "hvem er
# vågen", og medlemmer der skriver indlæg til en redaktørs gennemsyn.

profile-zone-other = Andre
profile-zone-invalid = Vælg en tidszone fra listen.
profile-zone-hint = Din lokale tid i konsollen og zonen for de tidspunkter, du skriver i indlægseditoren.
profile-zone-suggested = Foreslået ud fra denne browsers tidszone.
profile-language = Sprog
profile-language-hint = Sproget i de e-mails, sitet sender dig.
profile-save = Gem tidszone og sprog
profile-saved = Din tidszone og dit sprog er gemt.

console-invite-zone-hint = Deres lokale tid i konsollen og zonen for de tidspunkter, de skriver. Din, medmindre denne browser foreslår en anden; de kan ændre den.
console-invite-language-hint = Invitationen og senere e-mails er på dette sprog.

console-part-night = nat
console-part-morning = morgen
console-part-afternoon = eftermiddag
console-part-evening = aften

console-post-author = Forfatter
console-post-save-draft = Gem kladde
console-post-submit = Send til gennemsyn
console-post-submitted = Sendt til gennemsyn. En redaktør ser på det og udgiver det.
console-post-contributor-note = Du skriver kladder og sender dem til gennemsyn; en redaktør planlægger og udgiver dem.
console-post-pending-contributor = Indlægget afventer en redaktørs gennemsyn. Du kan stadig ændre det eller gemme det som kladde igen.
console-post-pending-editor = Indlægget afventer gennemsyn: udgiv det, eller ret det først.
console-post-pending-count = { $count ->
    [one] { $count } indlæg afventer gennemsyn.
   *[other] { $count } indlæg afventer gennemsyn.
}

post-refused-not-yours = Kun indlæggets forfatter eller en redaktør må ændre dette indlæg.
post-refused-not-draft = Indlægget er ikke længere en kladde eller til gennemsyn, så kun en redaktør må ændre det nu.
post-refused-publish = Kun en redaktør må udgive, planlægge, gøre privat eller fastgøre et indlæg. Gem det som kladde, eller send det til gennemsyn.

review-mail-subject = { $author } har sendt et indlæg til gennemsyn: { $title }
review-mail-intro = { $author } beder om gennemsyn af “{ $title }” på { $site }. Du kan rette det og udgive det i konsollen.
review-mail-action = Se indlægget
