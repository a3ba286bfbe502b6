console-nav-insight = Insight
insight-intro = Page views counted without cookies or stored addresses; visitors are estimated per day. Visits that asked not to be tracked (Do Not Track, Global Privacy Control) and crawlers are not counted.
insight-visits = Page views, last 30 days
insight-card-views-30 = { $count ->
    [one] One page view in the last 30 days.
   *[other] { $count } page views in the last 30 days.
}
insight-col-day = Day
insight-col-views = Views
insight-col-visitors = Visitors
insight-col-visits = Visits
insight-col-code = Code
insight-col-channel = Channel
insight-col-amount = That day
insight-col-cumulative = Running total
insight-top-pages = Top pages
insight-referrers = Referring sites
insight-codes = Referral codes
insight-sources = Campaign sources (utm_source)
insight-devices = Devices
insight-langs = Languages
insight-none = (none)
insight-empty = Nothing counted yet.
insight-money = What brought the money
insight-campaign = Campaign
insight-money-help = A gift is credited to the referral link or campaign source of the page its donate form was sent from; the site a visitor came from is counted with the visit, not with the gift.
insight-by-channel = By channel: { $title }
insight-by-link = By supporter's link
insight-no-links = No referral links yet.
insight-channel-link = Link: { $name }
insight-channel-source = Source: { $source }
insight-channel-unknown = Direct or not known
insight-channel-site = Site: { $host }
insight-timeline = Timeline
insight-timeline-table = The timeline as a table
insight-chart-title = Money by day and running total: { $title }
insight-mark-post = Post: { $title }
insight-mark-milestone = Milestone reached: { $label }
insight-mark-spike = { $cause }: +{ $amount } in 24 h
insight-cause-link = Link of { $name }
insight-cause-source = Campaign source { $source }
insight-cause-referrer = Visits from { $host }
insight-cause-post = After the post “{ $title }”
insight-cause-unknown = Spike, cause not known
insight-csv = Download the numbers (CSV)
insight-card-views = { $count ->
    [one] One page view in the last 7 days
   *[other] { $count } page views in the last 7 days
}
insight-card-top = most from { $source }
insight-card-no-source = no referring site yet
insight-card-more = Insight
insight-cause-boost = Boost by { $account } ({ $followers })
insight-followers = { $count } followers
insight-followers-unknown = followers not known
insight-mark-boost = Boosted by { $account } ({ $followers })
insight-mark-boost-more = { $count ->
    [one] and one more account
   *[other] and { $count } more accounts
}
insight-by-boost = Fediverse boosts
insight-no-boosts = No one has boosted this campaign's posts on the fediverse yet.
insight-boosts-help = Accounts that boosted the campaign's posts, with their followers when last read. A boost carries no referral code, so the money shown is what was given in the 24 h after their boosts — not necessarily because of them.
insight-col-account = Account
insight-col-boosts = Boosts
insight-col-followers = Followers
insight-col-given-after = Given in the 24 h after
insight-unknown = not known
