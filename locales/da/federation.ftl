# Profilfelterne på sidens og indsamlingernes fediverse-konti (ActivityPub-aktører).
federation-field-website = Websted
federation-field-donate = Giv et bidrag
federation-donate-link = Støt denne indsamling
