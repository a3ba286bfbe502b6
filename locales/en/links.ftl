# A team member's own referral links in the console (/admin/links).
console-nav-links = My links
console-links-hint = Links of your own to a campaign, to share wherever you post: the visits and gifts that come through each are credited to it, without cookies. Supporters make theirs on a campaign's share page.
console-links-list = Your links
console-links-none = You have no links yet.
console-links-col-link = Link
console-links-on-board = on the board
console-links-new = A new link
console-links-created = Your link is ready: share its address.
console-links-error-campaign = Choose a campaign that is not a draft.
