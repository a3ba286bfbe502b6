# At skrive uden at miste arbejde: uploads, automatisk gemning, versioner, editorbeskeder, Ny kampagne.

date-time = { $date } kl. { $time }

console-error-body-too-large = Tilsammen var formularen og dens filer over { $max } MB, så filerne blev ikke modtaget. Det, du skrev, står herunder; vælg et mindre billede, og send igen.

console-post-saved-scheduled = Gemt. Det vises { $when } ({ $zone }).
console-post-saved-draft = Gemt som kladde. Kun holdet kan se den.
console-post-saved-private = Gemt. Kun holdet kan se det.
console-post-saved-pending = Gemt. Det venter på en redaktørs gennemsyn.
console-post-saved-plain = Gemt.
console-post-publish-hint = Udgiv gør indlægget offentligt på sit tidspunkt (nu eller tidspunktet ovenfor); Gem kladde beholder det til holdet.
console-post-field-image-alt = Billedbeskrivelse
console-post-image-alt-hint = Hvad billedet viser, for læsere der ikke kan se det, og til forhåndsvisninger af links. Lad kun feltet stå tomt, hvis billedet er pynt.

console-revisions = Versioner
console-revision = Version
console-revisions-hint = Hver gemning der ændrede titel eller tekst, nyeste først. Tidspunkter er i { $zone }.
console-revisions-none = Ingen versioner endnu.
console-revision-when = Hvornår
console-revision-who = Hvem
console-revision-kind = Hvordan
console-revision-chars = Tegn
console-revision-current = nuværende
console-revision-of = Version fra { $when }
console-revision-text = Tekst
console-revision-restore = Gendan denne version
console-revision-restore-hint = Titel og tekst kommer tilbage, som de var her; alt andet bliver. Gendannelsen gemmes som en ny version.
console-revision-unknown-author = (ikke registreret)
console-revision-kind-save = Gemt
console-revision-kind-restore = Gendannet
console-revision-kind-autosave = Gemt automatisk
console-revision-invalid = Denne version kan ikke gendannes, som den er: { $why }.
console-revision-restored = Gendannet. Den offentlige side viser den nu, hvis indlægget er udgivet.

console-kept-restored = Dette er teksten, du skrev { $time }; den er ikke gemt endnu. Gem for at beholde den, eller kassér den for at se det gemte.
console-kept-discard = Kassér den ikke-gemte tekst
console-autosaved = Kladde gemt kl. { $time }.
console-autosave-failed = Kunne ikke gemme en kladde lige nu; din tekst er her stadig.
console-autosave-signed-out = Du er logget ud. Det, du skrev, er gemt: log ind igen for at fortsætte.
console-autosave-sign-in = Log ind igen, og kom tilbage til denne tekst

console-campaign-new = Ny kampagne
console-campaign-new-hint = Historien, delmålene og forsidebilledet kommer bagefter, i kampagneeditoren. En kladde-kampagne ses kun af holdet.
console-campaign-create = Opret kampagne
console-campaign-created = Kampagnen er oprettet. Fortæl nu dens historie.
console-field-slug = Adressenavn
console-slug-hint = En del af kampagnens adresse (/campaigns/…): små bogstaver, tal og bindestreger. Det kan ikke ændres senere.
console-starts-hint = Tom: fra nu.
console-new-error-slug = Brug 1–64 små bogstaver, tal og enkelte bindestreger, fx library-roof.
console-new-error-slug-reserved = Det navn bruges af konsollens egne sider. Vælg et andet.
console-new-error-slug-taken = En kampagne har allerede det navn. Vælg et andet.

signin-kept = Du blev logget ud. Det, du skrev, er gemt: log ind, så er det tilbage i editoren.

comments-error-too-large = Kommentaren var alt for lang til at blive modtaget (en kommentar har højst { $max } tegn), så intet blev gemt. Gør den kortere, og send den igen.
