# Account security: what a password change or "sign out everywhere" revokes, and the API's
# refusals (two-factor required, a cross-site write with a session cookie).
account-password-changed-revoked = Din adgangskode er skiftet. Dine andre sessioner er logget ud, dine API-nøgler er tilbagekaldt, og ubrugte login- og nulstillingslinks virker ikke længere.
account-signout-everywhere-revokes-hint = Afslutter alle dine sessioner på alle enheder, også denne. Dine API-nøgler og ubrugte login- og nulstillingslinks bliver også tilbagekaldt.
signin-signout-everywhere-revokes-hint = Afslutter alle din kontos sessioner på alle dine enheder, også denne. Dine API-nøgler og ubrugte login- og nulstillingslinks bliver også tilbagekaldt.
api-error-two-factor-required = Siden kræver totrinslogin for din rolle. Slå det til på /account/2fa, og prøv så igen.
api-error-cross-origin = En indlogget browser kan kun ændre noget via API'et fra sidens egne sider. Scripts skal bruge en API-nøgle (Authorization: Bearer).
