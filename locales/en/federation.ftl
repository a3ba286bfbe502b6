# The profile fields of the site's and campaigns' fediverse accounts (ActivityPub actors).
federation-field-website = Website
federation-field-donate = Donate
federation-donate-link = Give to this campaign

# The console's following page: accounts elsewhere that the site and campaigns follow, and
# what they post.
console-nav-following = Following
console-following-intro = The site and each campaign can follow accounts elsewhere on the fediverse — a sister library, an association, a supporter. What they post appears here; like, boost or reply as the account that follows them.
console-following-follow = Follow an account
console-following-address = The account's address (@name@server or its web address)
console-following-as = Follow as
console-following-follow-button = Follow
console-following-list = Accounts followed
console-following-by = followed by { $actor }
console-following-pending = waiting for their server to accept
console-following-unfollow = Unfollow
console-following-timeline = What they post
console-following-empty = Nothing yet. Posts from the accounts followed appear here as they are written.
console-following-edited = edited
console-following-in-reply = in reply to
console-following-like = Like
console-following-unlike = Unlike
console-following-boost = Boost
console-following-unboost = Undo boost
console-following-reply = Reply
console-following-reply-as = Your reply, as { $actor } (public)
console-following-send = Send reply
console-following-done-follow = The follow request was sent; it is in effect once their server accepts it.
console-following-done-unfollow = Unfollowed.
console-following-done-like = Liked.
console-following-done-unlike = The like was taken back.
console-following-done-boost = Boosted to the followers.
console-following-done-unboost = The boost was taken back.
console-following-done-reply = The reply was sent.
console-following-error-address = Type the account's address as @name@server.example, or paste its web address (https://…).
console-following-error-not-found = That account could not be found. Check the address, and that its server is reachable.
console-following-error-ours = That is one of this site's own accounts.
console-following-error-blocked = That account or its server is on the block list.
console-following-error-reply = A reply needs some text, at most { $max } characters.
