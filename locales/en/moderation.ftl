# Comment moderation niceties (issue 11): confirmations, the website field, e-mails about replies.

## Comment moderation: what was done
console-comments-done-approve = Approved the comment by { $author } on “{ $post }”.
console-comments-done-spam = Marked the comment by { $author } on “{ $post }” as spam.
console-comments-done-trash = Moved the comment by { $author } on “{ $post }” to the trash.
console-comments-done-restore = Restored the comment by { $author } on “{ $post }”: it waits for moderation again.
console-comments-done-reply = Published your reply to { $author } on “{ $post }”.

## The comment form's website field
comments-error-url-markup = Give the web address alone, without HTML or other markup, for example https://example.org.
comments-error-url-scheme = Only web addresses starting with http:// or https:// can be given, not { $scheme }.
comments-error-url-no-scheme = Start the web address with https:// (or http://), for example https://example.org.

## E-mails about replies
replies-field = E-mail me replies
replies-hint-member = To your account's address, one e-mail per reply; each has a link to stop them.
replies-hint-guest = One e-mail per reply, to the address above once you have confirmed it (we send you a link). Each e-mail has a link to stop them.
replies-mail-subject = New reply to your comment on “{ $title }”
replies-mail-intro = { $author } replied to your comment on “{ $title }”:
replies-mail-action = Read the reply
replies-mail-unsubscribe = No more e-mails about replies to this comment
replies-unsubscribe-title = E-mails about replies
replies-unsubscribe-ask = Stop the e-mails about replies to your comment?
replies-unsubscribe-button = Stop these e-mails
replies-unsubscribe-done = Done: you will get no more e-mails about replies to this comment.
replies-unsubscribe-bad-link = This link is not valid. Copy the whole link from the e-mail.
