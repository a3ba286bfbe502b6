## Konsol: valutakurser og sikkerhedskopier (console/rates.rs, console/backups.rs)

console-nav-rates = Valutakurser
console-rates-intro = Gaver i en anden valuta tælles med i et mål efter Den Europæiske Centralbanks referencekurser (pr. euro, offentliggjort hver bankdag). Onlinegaver bruger de nyeste kurser; en offline gave bruger kurserne fra den dag, den blev modtaget.
console-rates-how-fetched = hentet
console-rates-how-uploaded = uploadet
console-rates-last-ok = Seneste opdatering { $when }: { $how }, kurser til og med { $day }, { $stored } nye.
console-rates-last-failed = Den seneste opdatering { $when } ({ $how }) mislykkedes: { $why }
console-rates-fetch-is-off = Den daglige hentning er slået fra: en driftsansvarlig slår den til i konfigurationsfilen ([rates] fetch = true). Indtil da kan filen uploades herunder.
console-rates-fetch-is-on = Kurserne hentes en gang om dagen fra
console-rates-fetch-now = Hent nu
console-rates-fetch-off = Den daglige hentning er slået fra i konfigurationen; upload filen i stedet.
console-rates-fetch-failed = Kurserne kunne ikke hentes: { $why }
console-rates-import-heading = Importér en kursfil
console-rates-file = ECB's kursfil (XML)
console-rates-file-hint = Dagens fil (eurofxref-daily.xml), de seneste 90 dage (eurofxref-hist-90d.xml) eller hele historikken (eurofxref-hist.xml). Dage, der allerede er importeret, forbliver som de er.
console-rates-import = Importér
console-rates-no-file = Vælg den kursfil, der skal importeres.
console-rates-not-ecb = Filen er ikke Den Europæiske Centralbanks kursfil: { $why }
console-rates-done-days = { $count ->
    [one] Én dag læst
   *[other] { $count } dage læst
}
console-rates-done-stored = { $count ->
    [one] én ny kurs gemt.
   *[other] { $count } nye kurser gemt.
}
console-rates-table-heading = Kurser i brug
console-rates-none = Ingen kurser endnu: indtil kurserne er importeret, kan der kun gives i hver kampagnes egen valuta.
console-rates-newest = Nyeste kurser fra
console-rates-currency = Valuta
console-rates-per-eur = Pr. euro
console-rates-day = Fra dagen
console-rates-old = ikke i det nyeste ark

console-nav-backups = Sikkerhedskopier
console-backups-intro = En sikkerhedskopi er ét arkiv med hele sitet: alle donationer, indlæg, medlemmer og indstillinger, de uploadede billeder og konfigurationsfilen. De skrives i mappen herunder efter tidsplanen; kopiér dem af og til væk fra denne maskine (en kopi på samme disk overlever ikke disken).
console-backups-kb = { $n } kB
console-backups-mb = { $n } MB
console-backups-last-ok = Seneste sikkerhedskopi { $when }: { $size }.
console-backups-last-failed = Den seneste sikkerhedskopi { $when } mislykkedes: { $why }
console-backups-now = Tag en sikkerhedskopi nu
console-backups-now-failed = Sikkerhedskopien kunne ikke skrives: { $why }
console-backups-done-now = Sikkerhedskopien er skrevet.
console-backups-done-schedule = Tidsplanen er gemt.
console-backups-schedule-heading = Tidsplan
console-backups-from-console = Sat her (det tilsidesætter konfigurationsfilen).
console-backups-from-config = Fra konfigurationsfilen ([backup]); gemmes den her, tilsidesætter det filen.
console-backups-every = Sikkerhedskopi hver (timer)
console-backups-every-hint = 24 er en gang om dagen; 0 slår planlagte sikkerhedskopier fra.
console-backups-every-invalid = Skriv et helt antal timer, 0 til 8784.
console-backups-keep = Arkiver der gemmes
console-backups-keep-invalid = Skriv et helt tal fra 1 til 1000.
console-backups-save = Gem tidsplan
console-backups-fix = Ret felterne markeret herunder.
console-backups-archives-heading = Arkiver
console-backups-folder = Mappe:
console-backups-none = Ingen arkiver endnu.
console-backups-secrets = Arkiverne indeholder donorernes oplysninger og sitets hemmeligheder (betalingsnøgler, mailadgangskode): opbevar downloadede kopier, hvor kun sitets ejere kan læse dem.
console-backups-before-upgrade = før en opgradering (gemmes, til det slettes i hånden)
console-backups-restore = For at genskabe et arkiv: stop sitet og kør shelfraiser restore FIL ind i en tom datamappe eller database (se driftsvejledningen).

## Konsol: sitets logo og ikon (console/site.rs)

site-logo-heading = Logo
site-logo-hint = Vises foran sitets navn øverst på hver side. Et bredt billede passer bedst; det vises 32 pixel højt.
site-icon-heading = Ikon
site-icon-hint = Det, browsere viser i faner og bogmærker, og telefoner på hjemmeskærmen: et kvadratisk billede (beskåret til et kvadrat på 192 pixel).
site-picture-current = Billedet nu
site-picture-file = Vælg et billede (PNG, JPEG, WebP eller GIF)
site-picture-upload = Upload
site-picture-remove = Fjern
site-picture-none = Vælg et billede at uploade.
