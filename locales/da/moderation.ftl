# Små forbedringer af kommentarerne (sag 11): bekræftelser, webstedsfeltet, e-mails om svar.

## Kommentarmoderation: hvad der blev gjort
console-comments-done-approve = Godkendte kommentaren fra { $author } til “{ $post }”.
console-comments-done-spam = Markerede kommentaren fra { $author } til “{ $post }” som spam.
console-comments-done-trash = Flyttede kommentaren fra { $author } til “{ $post }” til papirkurven.
console-comments-done-restore = Gendannede kommentaren fra { $author } til “{ $post }”: den venter på moderation igen.
console-comments-done-reply = Dit svar til { $author } på “{ $post }” er offentliggjort.

## Kommentarformularens websted
comments-error-url-markup = Angiv webadressen alene, uden HTML eller anden opmærkning, for eksempel https://example.org.
comments-error-url-scheme = Kun webadresser, der begynder med http:// eller https://, kan angives, ikke { $scheme }.
comments-error-url-no-scheme = Begynd webadressen med https:// (eller http://), for eksempel https://example.org.

## E-mails om svar
replies-field = Send mig svar på e-mail
replies-hint-member = Til din kontos adresse, én e-mail pr. svar; hver har et link til at stoppe dem.
replies-hint-guest = Én e-mail pr. svar, til adressen ovenfor, når du har bekræftet den (vi sender dig et link). Hver e-mail har et link til at stoppe dem.
replies-mail-subject = Nyt svar på din kommentar til “{ $title }”
replies-mail-intro = { $author } har svaret på din kommentar til “{ $title }”:
replies-mail-action = Læs svaret
replies-mail-unsubscribe = Ingen flere e-mails om svar på denne kommentar
replies-unsubscribe-title = E-mails om svar
replies-unsubscribe-ask = Stop e-mails om svar på din kommentar?
replies-unsubscribe-button = Stop disse e-mails
replies-unsubscribe-done = Klaret: du får ikke flere e-mails om svar på denne kommentar.
replies-unsubscribe-bad-link = Dette link er ikke gyldigt. Kopiér hele linket fra e-mailen.
