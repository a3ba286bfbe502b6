# Promotion: delingssæt og plakat.
share-short = Støt { $title }: { $raised } indsamlet af { $goal } indtil nu.
share-long-progress = Indtil nu er der indsamlet { $raised } af målet på { $goal }.
share-long-ask = Hvert bidrag hjælper, og det gør det også at dele dette:
share-subject = Støt { $title }
share-link = Del denne indsamling
share-heading = Del “{ $title }”
share-intro = Færdige tekster og links: intet her sporer dig eller dem, du deler med.
share-short-heading = Et kort opslag
share-short-help = Til Mastodon, Bluesky, X eller en besked. Kopiér den, eller send den med en knap:
share-mastodon = På Mastodon eller en anden server i fediverset
share-mastodon-server = Din server (for eksempel mastodon.social)
share-mastodon-button = Del
share-mastodon-continue = Fortsæt til { $server } for at dele
share-long-heading = En længere tekst
share-long-help = Til en e-mail, et nyhedsbrev eller din blog.
share-badge-heading = Et levende badge til dit website
share-badge-help = Det viser indsamlingens fremgang, som den er nu. Sæt denne kode ind på dit website eller din blog:
share-embed-heading = Indsamlingens kort på dit website
share-embed-help = I WordPress: indsæt indsamlingens adresse på sin egen linje. Andre steder: brug denne kode:
share-poster = En plakat med QR-kode til udskrift
poster-scan = Scan for at give, eller besøg
poster-print = Udskriv den fra browserens menu.

## E-mail-opdateringer (promotion/newsletter)

updates-link = Få opdateringer på e-mail
updates-title = Opdateringer fra { $campaign } på e-mail
updates-intro = Skriv din adresse, så sender vi dig kampagnens opdateringer, når de bliver lagt op: nyt fra biblioteket, milepæle, tak. Først sender vi en besked, så du kan bekræfte, at det er dig. Hver opdatering har et link til at stoppe dem.
updates-email = Din e-mailadresse
updates-button = Send mig opdateringerne
updates-sent = Tak. Hvis adressen ikke allerede er på listen, er en besked med en bekræftelse på vej: opdateringerne begynder, når du har bekræftet.
updates-back = Tilbage til { $campaign }
updates-privacy = Vi bruger kun din adresse til disse opdateringer og giver den aldrig videre.
updates-limited = { $count ->
    [one] For mange forespørgsler. Vent et minut, før du prøver igen.
   *[other] For mange forespørgsler. Vent { $count } minutter, før du prøver igen.
}
updates-mail-subject = { $campaign }: { $title }
updates-mail-read = Læs det på siden
updates-mail-why = Du får denne mail, fordi du bad om opdateringer fra { $campaign }.
updates-mail-unsubscribe = Stop disse opdateringer
updates-unsubscribed = Du får ikke flere opdateringer.
referral-heading = Dit eget link
referral-intro = Lav dit eget link til indsamlingen: vi tæller de besøg og gaver, der kommer gennem det, uden cookies og uden konto. Tilføj et navn, hvis du vil, og vælg, om det skal stå på listen over støtter.
referral-name = Dit offentlige navn (valgfrit)
referral-leaderboard = Vis mit navn og hvad mit link har indsamlet på listen over støtter
referral-create = Lav mit link
referral-your-link = Dit link til “{ $title }”
referral-link-help = Del denne adresse: besøg og gaver, der kommer gennem den, krediteres dit link.
referral-manage-heading = Ændr eller slet dit link
referral-manage-help = Gem denne hemmelige adresse for at ændre dit link senere; alle, der har den, kan ændre eller slette linket.
referral-save = Gem
referral-delete = Slet linket
referral-saved = Gemt.
referral-deleted = Linket er slettet. Adressen fører nu ingen steder hen.
referral-rate-limited = { $count ->
    [one] For mange links fra din adresse. Prøv igen om et minut.
   *[other] For mange links fra din adresse. Prøv igen om { $count } minutter.
}
referral-board-link = Listen over støtter
referral-board-heading = Støtter af “{ $title }”
referral-board-intro = Støtter, der deler indsamlingen med deres egne links, og hvad der er kommet ind gennem dem.
referral-board-empty = Der er endnu ikke kommet gaver gennem støtters links.
referral-board-caption = Penge indsamlet gennem støtters links
referral-col-supporter = Støtte
referral-col-raised = Indsamlet
referral-col-donations = Gaver
referral-no-name = En støtte
referral-others = Andre støtters links
referral-make-yours = Lav dit eget link

## Hashtag-dage og udfordringer (promotion/events, console/events.rs)
events-campaign-link = Hashtag-dag:
events-challenge = Udfordringen
events-share-hint = Del det, du laver, med { $hashtag }, og send os derefter linket herunder.
events-gallery = Bidrag
events-gallery-empty = Ingen bidrag endnu. Bliv den første!
events-favourite = Holdets favorit
events-by = af { $name }
events-enter = Send dit bidrag
events-sent = Tak! Dit bidrag vises her, når holdet har set på det.
events-field-url = Link til dit bidrag (http eller https)
events-field-title = Titel
events-field-name = Dit navn (valgfrit, vises ved dit bidrag)
events-submit = Send bidrag
events-moderated = Holdet ser alle bidrag igennem, før de vises. Links vises, som de er sendt.
events-limited = { $count ->
    [one] For mange bidrag fra din adresse. Prøv igen om et minut.
   *[other] For mange bidrag fra din adresse. Prøv igen om { $count } minutter.
}
events-error-url-missing = Skriv linket til dit bidrag.
events-error-url-long = Linket er for langt.
events-error-url-scheme = Linket skal begynde med http:// eller https://.
events-error-url-invalid = Det er ikke en webadresse; den skal ligne https://example.org/min-video.
events-error-entry-title = Giv dit bidrag en titel.
events-error-slug = Brug 1–64 små bogstaver, cifre og bindestreger.
events-error-slug-taken = Kampagnen har allerede en begivenhed med denne adresse.
events-error-title = Giv begivenheden en titel.
events-error-day = Skriv dagen som ÅÅÅÅ-MM-DD.
events-error-hashtag = Brug kun bogstaver, cifre og understreger (# er valgfrit), ikke kun cifre, højst 60.
events-error-text = Teksten kan ikke vises sikkert; gør den enklere.
events-error-text-long = Teksten er for lang (højst 20.000 tegn).
events-error-state = Vælg kladde eller offentliggjort.
console-nav-events = Hashtag-dage
console-events-hint = En temadags side: dato, hashtag, opfordring og udfordring. Støtter sender bidrag fra siden, som opslag på fediverset med hashtagget, der nævner kampagnens konto (fra en uge før dagen til en uge efter), eller som Webmentions af siden; godkendte vises i dens galleri.
console-events-list = Begivenheder
console-events-none = Ingen begivenheder endnu.
console-events-view = Se siden
console-events-new = Ny begivenhed
console-events-create = Opret begivenhed
console-events-edit = Ret begivenhed
console-events-save = Gem begivenhed
console-events-created = Begivenheden er oprettet.
console-events-saved = Begivenheden er gemt.
console-events-error-campaign = Vælg en kampagne, du må skrive for.
console-events-field-slug = Adresse (sidste del af /campaigns/…/events/…)
console-events-field-title = Titel
console-events-field-day = Dag
console-events-field-hashtag = Hashtag
console-events-field-call = Opfordring (Markdown)
console-events-field-challenge = Udfordring (Markdown)
console-events-field-state = Tilstand
console-events-state-draft = Kladde
console-events-state-published = Offentliggjort
console-events-entries = Bidrag
console-events-statuses = Bidrag efter status
console-events-status-pending = Venter
console-events-status-approved = Godkendt
console-events-status-rejected = Afvist
console-events-source-form = formular
console-events-source-fediverse = fediverset
console-events-source-webmention = Webmention
console-events-source-open-fediverse = opslaget på fediverset
console-events-source-open-webmention = omtalen blandt Webmentions
console-events-action-approve = Godkend
console-events-action-reject = Afvis
console-events-action-favourite = Markér som favorit
console-events-action-unfavourite = Fjern favoritmærke
console-events-done-approve = Bidraget er godkendt.
console-events-done-reject = Bidraget er afvist.
console-events-done-favourite = Bidraget er markeret som favorit.
console-events-done-unfavourite = Favoritmærket er fjernet.
console-events-bad-action = Ukendt handling.
