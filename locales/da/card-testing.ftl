# Donationsformularens mindstebeløb og forsvar mod korttestning (donations::pages::guard).
error-amount-below-minimum = Det mindste bidrag, vi tager imod, er { $min }.
error-amount-provider-minimum = { $provider } tager mindst { $min }; giv venligst lidt mere, eller vælg en anden betalingsmåde.
donate-rate-limited-email = { $count ->
    [one] Der har været for mange donationsforsøg med denne e-mailadresse på kort tid. Vent et minut, og prøv igen. Intet er trukket.
   *[other] Der har været for mange donationsforsøg med denne e-mailadresse på kort tid. Vent { $count } minutter, og prøv igen. Intet er trukket.
}
donate-pow-needed = { $count ->
    [one] Mange kort er blevet afvist på denne formular for nylig, så din browser skal lave en kort beregning, før vi sender dig videre (et par sekunder; intet sendes andre steder hen). Den starter af sig selv og sender formularen, når den er færdig. Uden JavaScript: prøv igen om et minut.
   *[other] Mange kort er blevet afvist på denne formular for nylig, så din browser skal lave en kort beregning, før vi sender dig videre (et par sekunder; intet sendes andre steder hen). Den starter af sig selv og sender formularen, når den er færdig. Uden JavaScript: prøv igen om { $count } minutter.
}
donate-pow-again = { $count ->
    [one] Den kontrol var udløbet eller allerede brugt. Din browser laver en ny og sender formularen, når den er færdig. Uden JavaScript: prøv igen om et minut.
   *[other] Den kontrol var udløbet eller allerede brugt. Din browser laver en ny og sender formularen, når den er færdig. Uden JavaScript: prøv igen om { $count } minutter.
}
donate-pow-working = Kontrollerer denne browser… (et par sekunder)
donate-pow-done = Færdig: formularen sendes.
money-card-testing-mail-subject = Mange afviste kort på { $campaign }
money-card-testing-mail-intro = Mange kortbetalinger til { $campaign } blev afvist på kort tid, sådan som korttestning ser ud. Indtil { $minutes } minutter efter den seneste afvisning beder donationsformularen hver donors browser om en kort beregning, før en betaling starter (donorer uden JavaScript bedes komme igen senere). Det ophører af sig selv. Gennemse donationerne og betalingsudbyderens oversigt.
