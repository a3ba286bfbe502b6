# Et teammedlems egne henvisningslinks i konsollen (/admin/links).
console-nav-links = Mine links
console-links-hint = Dine egne links til en kampagne, til at dele hvor du skriver: besøg og gaver, der kommer gennem hvert link, krediteres det, uden cookies. Støtter laver deres på kampagnens delingsside.
console-links-list = Dine links
console-links-none = Du har ingen links endnu.
console-links-col-link = Link
console-links-on-board = på tavlen
console-links-new = Et nyt link
console-links-created = Dit link er klar: del dets adresse.
console-links-error-campaign = Vælg en kampagne, der ikke er en kladde.
