# The donor's path and the donor wall (issue 11).

## The hosted test checkout, once it is finished
checkout-see-thanks = See your thank-you page
checkout-try-again = Back to the form, filled in as before

## Thank-you page
thanks-message-held = Your message will appear on the donor wall once the team has looked at it (messages with links are checked first).

## Console: the donor wall
console-nav-wall = Donor wall
console-wall-intro = What the public donor wall shows. Hiding a name or a message changes only the wall: the donation, its amount and the totals stay as they are.
console-wall-held-heading = Messages waiting for review
console-wall-none-held = No messages are waiting.
console-wall-held-more = More are waiting: the oldest are shown first.
console-wall-entries-heading = Newest on the wall
console-wall-tag-name-hidden = name hidden
console-wall-tag-held = message waiting for review
console-wall-tag-message-hidden = message hidden
console-wall-hold-heading = Messages with links
console-wall-hold-on = New donor messages that contain a link are held until someone approves them; the name and amount show at once.
console-wall-hold-off = New donor messages show on the wall at once, links or not (links are never clickable).
console-wall-hold-turn-on = Hold messages with links for review
console-wall-hold-turn-off = Show messages with links at once
console-wall-hold-turned-on = Messages with links are now held for review.
console-wall-hold-turned-off = Messages with links now show at once.

## Console: one donation's wall moderation
console-wall-heading = On the donor wall
console-wall-status-shown = The wall shows this donation as given.
console-wall-status-name-hidden = The wall shows this donation as "Anonymous".
console-wall-status-message-hidden = The wall shows this donation without its message.
console-wall-status-both-hidden = The wall shows this donation as "Anonymous", without its message.
console-wall-status-held = The message waits for review: the wall shows the donation without it.
console-wall-status-private = This donation is private and not on the wall.
console-wall-name = Donor's name
console-wall-message = Donor's message
console-wall-show = Show
console-wall-hide-name = Hide (show "Anonymous")
console-wall-hide-message = Hide
console-wall-approve = Approve and show
console-wall-keep-held = Keep waiting
console-wall-held-hint = This message contains a link and waits for review.
console-wall-reason = Reason
console-wall-reason-hint = Needed when hiding; kept in the audit log.
console-wall-save = Save
console-wall-saved = Saved. The wall shows the change now.
console-wall-error-reason = Say why it is hidden.
console-wall-error-reason-long = At most { $max } characters.
