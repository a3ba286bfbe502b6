# Forbindelsesgrænser, tidsfrister for forespørgsler og grænser for uploads.
error-request-timeout = Forespørgslen var for længe om at nå frem. Prøv igen.
console-error-image-dimensions = Billedet er for stort: højst 10.000 pixels på hver led og 40 megapixels i alt. Gør det mindre, og prøv igen.
error-busy = Siden har meget travlt lige nu. Prøv igen om et øjeblik.
