# Promotion: the share kit and the poster.
share-short = Help { $title }: { $raised } raised of { $goal } so far.
share-long-progress = So far { $raised } has been raised of the { $goal } goal.
share-long-ask = Every gift helps, and so does passing this on:
share-subject = Help { $title }
share-link = Share this campaign
share-heading = Share “{ $title }”
share-intro = Ready-made texts and links: nothing here tracks you or the people you share with.
share-short-heading = A short post
share-short-help = For Mastodon, Bluesky, X or a message. Copy it, or send it with a button:
share-mastodon = On Mastodon or another fediverse server
share-mastodon-server = Your server (for example mastodon.social)
share-mastodon-button = Share
share-mastodon-continue = Continue to { $server } to post it
share-long-heading = A longer text
share-long-help = For an e-mail, a newsletter or your blog.
share-badge-heading = A live badge for your site
share-badge-help = It shows the campaign's progress as it is now. Put this code into your site or blog:
share-embed-heading = The campaign's card on your site
share-embed-help = In WordPress, paste the campaign's address on a line of its own. Elsewhere, use this code:
share-poster = A poster with a QR code, to print
poster-scan = Scan to give, or visit
poster-print = Print it from your browser’s menu.

## E-mail updates (promotion/newsletter)

updates-link = Get updates by e-mail
updates-title = Updates from { $campaign } by e-mail
updates-intro = Leave your address and we send you the campaign's updates as they are posted: news from the library, milestones, thanks. We first send a message to confirm it is you. Every update has a link to stop them.
updates-email = Your e-mail address
updates-button = Send me the updates
updates-sent = Thank you. If the address is not on the list yet, a message asking you to confirm is on its way: the updates start once you confirm.
updates-back = Back to { $campaign }
updates-privacy = We use your address only for these updates and never pass it on.
updates-limited = { $count ->
    [one] Too many requests. Please wait a minute before trying again.
   *[other] Too many requests. Please wait { $count } minutes before trying again.
}
updates-mail-subject = { $campaign }: { $title }
updates-mail-read = Read it on the site
updates-mail-why = You get this because you asked for updates from { $campaign }.
updates-mail-unsubscribe = Stop these updates
updates-unsubscribed = You will get no more updates.
referral-heading = Your own link
referral-intro = Make a link of your own to this campaign: we count the visits and gifts that come through it, without cookies or any account. Add a name if you like, and choose whether it appears on the supporters' board.
referral-name = Your public name (optional)
referral-leaderboard = Show my name and what my link raised on the supporters' board
referral-create = Make my link
referral-your-link = Your link to “{ $title }”
referral-link-help = Share this address: visits and gifts that come through it are credited to your link.
referral-manage-heading = Changing or deleting your link
referral-manage-help = Keep this secret address to change your link later; anyone who has it can change or delete the link.
referral-save = Save
referral-delete = Delete the link
referral-saved = Saved.
referral-deleted = The link is deleted. Its address now leads nowhere.
referral-rate-limited = { $count ->
    [one] Too many links from your address. Please try again in a minute.
   *[other] Too many links from your address. Please try again in { $count } minutes.
}
referral-board-link = The supporters' board
referral-board-heading = Supporters of “{ $title }”
referral-board-intro = Supporters who share the campaign with links of their own, and what came in through them.
referral-board-empty = No gifts have come through supporters' links yet.
referral-board-caption = Money raised through supporters' links
referral-col-supporter = Supporter
referral-col-raised = Raised
referral-col-donations = Gifts
referral-no-name = A supporter
referral-others = Other supporters' links
referral-make-yours = Make a link of your own
