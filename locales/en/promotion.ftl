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

## Hashtag days and challenges (promotion/events, console/events.rs)
events-campaign-link = Hashtag day:
events-challenge = The challenge
events-share-hint = Share what you make with { $hashtag }, then send us the link below.
events-gallery = Entries
events-gallery-empty = No entries yet. Be the first!
events-favourite = Team favourite
events-by = by { $name }
events-enter = Send your entry
events-sent = Thank you! Your entry will show here once the team has looked at it.
events-field-url = Link to your entry (http or https)
events-field-title = Title
events-field-name = Your name (optional, shown with your entry)
events-submit = Send entry
events-moderated = The team reviews every entry before it is shown. Links are shown as sent.
events-limited = { $count ->
    [one] Too many entries from your address. Please try again in a minute.
   *[other] Too many entries from your address. Please try again in { $count } minutes.
}
events-error-url-missing = Enter the link to your entry.
events-error-url-long = The link is too long.
events-error-url-scheme = The link must start with http:// or https://.
events-error-url-invalid = This is not a web address; it should look like https://example.org/my-video.
events-error-entry-title = Give your entry a title.
events-error-slug = Use 1–64 lowercase letters, digits and hyphens.
events-error-slug-taken = This campaign has an event with this address already.
events-error-title = Give the event a title.
events-error-day = Enter the day as YYYY-MM-DD.
events-error-hashtag = Use letters, digits and underscores only (the # is optional), not digits only, at most 60.
events-error-text = This text cannot be shown safely; please simplify it.
events-error-text-long = This text is too long (at most 20,000 characters).
events-error-state = Choose draft or published.
console-nav-events = Hashtag days
console-events-hint = An awareness day's page: its date, hashtag, call to action and challenge. Supporters send entries from the page, as fediverse posts with the hashtag that mention the campaign's account (from a week before the day to a week after), or as Webmentions of the page; approved ones show in its gallery.
console-events-list = Events
console-events-none = No events yet.
console-events-view = View page
console-events-new = New event
console-events-create = Create event
console-events-edit = Edit event
console-events-save = Save event
console-events-created = Event created.
console-events-saved = Event saved.
console-events-error-campaign = Choose a campaign you may write for.
console-events-field-slug = Address (the last part of /campaigns/…/events/…)
console-events-field-title = Title
console-events-field-day = Day
console-events-field-hashtag = Hashtag
console-events-field-call = Call to action (Markdown)
console-events-field-challenge = Challenge (Markdown)
console-events-field-state = State
console-events-state-draft = Draft
console-events-state-published = Published
console-events-entries = Entries
console-events-statuses = Entries by status
console-events-status-pending = Waiting
console-events-status-approved = Approved
console-events-status-rejected = Rejected
console-events-source-form = form
console-events-source-fediverse = fediverse
console-events-source-webmention = Webmention
console-events-source-open-fediverse = the post on the fediverse
console-events-source-open-webmention = the mention among the Webmentions
console-events-action-approve = Approve
console-events-action-reject = Reject
console-events-action-favourite = Mark as favourite
console-events-action-unfavourite = Unmark favourite
console-events-done-approve = Entry approved.
console-events-done-reject = Entry rejected.
console-events-done-favourite = Entry marked as favourite.
console-events-done-unfavourite = Favourite mark removed.
console-events-bad-action = Unknown action.
