# The member's time zone and language (account page, invitations), the part of the day in
# "who is around", and members writing posts for an editor's review.

profile-zone-other = Other
profile-zone-invalid = Choose a time zone from the list.
profile-zone-hint = Your local time in the console, and the zone of the times you type in the post editor.
profile-zone-suggested = Suggested from this browser's time zone.
profile-language = Language
profile-language-hint = The language of the e-mails the site sends you.
profile-save = Save time zone and language
profile-saved = Your time zone and language are saved.

console-invite-zone-hint = Their local time in the console and the zone of the times they type. Yours unless this browser suggests another; they can change it.
console-invite-language-hint = The invitation and later e-mails are in this language.

console-part-night = night
console-part-morning = morning
console-part-afternoon = afternoon
console-part-evening = evening

console-post-author = Author
console-post-save-draft = Save draft
console-post-submit = Submit for review
console-post-submitted = Submitted for review. An editor will look at it and publish it.
console-post-contributor-note = You write drafts and submit them for review; an editor schedules and publishes them.
console-post-pending-contributor = This post waits for an editor's review. You can still change it, or save it as a draft again.
console-post-pending-editor = This post waits for review: publish it, or change it first.
console-post-pending-count = { $count ->
    [one] { $count } post waits for review.
   *[other] { $count } posts wait for review.
}

post-refused-not-yours = Only the post's author or an editor may change this post.
post-refused-not-draft = This post is no longer a draft or waiting for review, so only an editor may change it now.
post-refused-publish = Only an editor may publish, schedule, make private or pin a post. Save it as a draft or submit it for review.

review-mail-subject = { $author } submitted a post for review: { $title }
review-mail-intro = { $author } asks for a review of “{ $title }” on { $site }. You can change it and publish it in the console.
review-mail-action = Review the post
