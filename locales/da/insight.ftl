console-nav-insight = Indsigt
insight-intro = Sidevisninger talt uden cookies og uden gemte adresser; besøgende er anslået pr. dag. Besøg, der har bedt om ikke at blive sporet (Do Not Track, Global Privacy Control), og robotter tælles ikke.
insight-visits = Sidevisninger, de seneste 30 dage
insight-card-views-30 = { $count ->
    [one] Én sidevisning de seneste 30 dage.
   *[other] { $count } sidevisninger de seneste 30 dage.
}
insight-col-day = Dag
insight-col-views = Visninger
insight-col-visitors = Besøgende
insight-col-visits = Besøg
insight-col-code = Kode
insight-col-channel = Kanal
insight-col-amount = Den dag
insight-col-cumulative = I alt
insight-top-pages = Mest viste sider
insight-referrers = Henvisende websteder
insight-codes = Henvisningskoder
insight-sources = Kampagnekilder (utm_source)
insight-devices = Enheder
insight-langs = Sprog
insight-none = (ingen)
insight-empty = Intet talt endnu.
insight-money = Hvad bragte pengene
insight-campaign = Indsamling
insight-money-help = En gave krediteres det henvisningslink eller den kampagnekilde, som siden med gaveformularen blev åbnet med; det websted, en besøgende kom fra, tælles med besøget, ikke med gaven.
insight-by-channel = Efter kanal: { $title }
insight-by-link = Efter støtters link
insight-no-links = Ingen henvisningslinks endnu.
insight-channel-link = Link: { $name }
insight-channel-source = Kilde: { $source }
insight-channel-unknown = Direkte eller ukendt
insight-channel-site = Websted: { $host }
insight-timeline = Tidslinje
insight-timeline-table = Tidslinjen som tabel
insight-chart-title = Penge pr. dag og i alt: { $title }
insight-mark-post = Indlæg: { $title }
insight-mark-milestone = Delmål nået: { $label }
insight-mark-spike = { $cause }: +{ $amount } på 24 t
insight-cause-link = Link fra { $name }
insight-cause-source = Kampagnekilde { $source }
insight-cause-referrer = Besøg fra { $host }
insight-cause-post = Efter indlægget “{ $title }”
insight-cause-unknown = Stigning, ukendt årsag
insight-csv = Hent tallene (CSV)
insight-card-views = { $count ->
    [one] Én sidevisning de seneste 7 dage
   *[other] { $count } sidevisninger de seneste 7 dage
}
insight-card-top = flest fra { $source }
insight-card-no-source = intet henvisende websted endnu
insight-card-more = Indsigt
insight-cause-boost = Boost af { $account } ({ $followers })
insight-followers = { $count } følgere
insight-followers-unknown = antal følgere ukendt
insight-mark-boost = Boostet af { $account } ({ $followers })
insight-mark-boost-more = { $count ->
    [one] og én konto mere
   *[other] og { $count } konti mere
}
insight-by-boost = Boosts på fediverset
insight-no-boosts = Ingen har boostet kampagnens indlæg på fediverset endnu.
insight-boosts-help = Konti, der har boostet kampagnens indlæg, med deres antal følgere, da det sidst blev læst. Et boost har ingen henvisningskode, så beløbet er det, der blev givet i de 24 timer efter deres boosts — ikke nødvendigvis på grund af dem.
insight-col-account = Konto
insight-col-boosts = Boosts
insight-col-followers = Følgere
insight-col-given-after = Givet i de 24 timer efter
insight-unknown = ukendt
