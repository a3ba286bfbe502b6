# Writing without losing work: uploads, autosave, revisions, editor messages, New campaign.

date-time = { $date }, { $time }

console-error-body-too-large = Together the form and its files were more than { $max } MB, so the files were not received. What you typed is below; choose a smaller image and send it again.

console-post-saved-scheduled = Saved. It will appear on { $when } ({ $zone }).
console-post-saved-draft = Saved as a draft. Only the team can see it.
console-post-saved-private = Saved. Only the team can see it.
console-post-saved-pending = Saved. It waits for an editor's review.
console-post-saved-plain = Saved.
console-post-publish-hint = Publish makes the post public at its time (now, or the time given above); Save draft keeps it for the team.
console-post-field-image-alt = Image description
console-post-image-alt-hint = What the image shows, for readers who cannot see it and for link previews. Leave empty only if it is decoration.

console-revisions = Revisions
console-revision = Revision
console-revisions-hint = Each save that changed the title or text, newest first. Times are in { $zone }.
console-revisions-none = No revisions yet.
console-revision-when = When
console-revision-who = Who
console-revision-kind = How
console-revision-chars = Characters
console-revision-current = current
console-revision-of = Revision of { $when }
console-revision-text = Text
console-revision-restore = Restore this version
console-revision-restore-hint = The title and text return as they were here; everything else stays. Restoring is kept as a new revision.
console-revision-unknown-author = (not recorded)
console-revision-kind-save = Saved
console-revision-kind-restore = Restored
console-revision-kind-autosave = Autosaved
console-revision-invalid = This version cannot be restored as it is: { $why }.
console-revision-restored = Restored. The public page shows it now if the post is published.

console-kept-restored = This is the text you wrote at { $time }; it has not been saved yet. Save to keep it, or discard it to see what is stored.
console-kept-discard = Discard the unsaved text
console-autosaved = Draft kept at { $time }.
console-autosave-failed = Could not keep a draft just now; your text is still here.
console-autosave-signed-out = You are signed out. What you typed is kept: sign in again to go on.
console-autosave-sign-in = Sign in again and come back to this text

console-campaign-new = New campaign
console-campaign-new-hint = The story, milestones and cover come next, in the campaign editor. A draft campaign is seen only by the team.
console-campaign-create = Create campaign
console-campaign-created = Campaign created. Now tell its story.
console-field-slug = Address name
console-slug-hint = Part of the campaign's address (/campaigns/…): lowercase letters, digits and hyphens. It cannot be changed later.
console-starts-hint = Empty: from now.
console-new-error-slug = Use 1–64 lowercase letters, digits and single hyphens, like library-roof.
console-new-error-slug-reserved = That name is kept for the console's own pages. Choose another.
console-new-error-slug-taken = A campaign already has that name. Choose another.

signin-kept = You were signed out. What you typed is kept: sign in and it is back in the editor.

comments-error-too-large = This comment was far too long to receive (a comment has at most { $max } characters), so nothing was stored. Shorten it and send it again.
