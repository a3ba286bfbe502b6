# Penetration-test fixes (issue 9): checkout sessions, treasurer alerts, commenter addresses.

## The hosted test checkout, for a session that cannot be paid
checkout-unpayable-expired = This checkout has expired and can no longer be paid. Nothing was charged. Please start a new donation from the campaign page.
checkout-unpayable-finished = This checkout was declined or canceled and can no longer be paid. Nothing was charged. Please start a new donation from the campaign page.
checkout-unpayable-campaign = This campaign no longer accepts donations, so this checkout can no longer be paid. Nothing was charged.

## Treasurers: a late payment recorded and flagged for review
money-review-mail-subject = A donation to { $campaign } needs your review
money-review-mail-intro = A payment provider reported money taken for a checkout of { $campaign } that could no longer be paid ({ $reason }). The donation was recorded, so the donor does not lose it, and flagged for your review: check it and refund it if it should not have been taken.
money-review-mail-action = Review the donation
money-review-reason-session-expired = the checkout had expired
money-review-reason-session-declined = the checkout had been declined
money-review-reason-session-canceled = the checkout had been canceled
money-review-reason-session-succeeded = the checkout had already been paid
money-review-reason-campaign-not-accepting = the campaign no longer accepted donations

## Treasurers: the per-campaign checkout circuit breaker
money-breaker-mail-subject = Donations to { $campaign } are paused for a moment
money-breaker-mail-intro = Very many different connections started checkouts for { $campaign } without finishing them, which is how card testing looks. New checkouts are refused for a short while; they resume by themselves. If it keeps happening, check the donations and consider lowering the limits.
money-breaker-mail-action = Open the donations

## Guest commenters: confirming an e-mail address
commenter-confirm-mail-subject = Confirm your e-mail address for comments on { $site }
commenter-confirm-mail-intro = A comment was posted on { $site } with this e-mail address. Confirm the address, and your later comments will be published at once instead of waiting for a moderator. If it was not you, ignore this e-mail: nothing changes.
commenter-confirm-mail-action = Confirm my address
commenter-confirm-title = Confirm your e-mail address
commenter-confirm-ask = Confirm this e-mail address for your comments? Later comments from it will then be published at once.
commenter-confirm-button = Confirm my address
commenter-confirm-done = Thank you: your e-mail address is confirmed. Your next comments will be published at once.
commenter-confirm-bad-link = This confirmation link is not valid or has expired. Comment again to get a new one.
