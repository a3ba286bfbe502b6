-- What brought the money (issue 15): the site that sent the visitor to the campaign page,
-- when the page's script could tell (the host of `document.referrer`, sent with the donate
-- form as `via`); NULL when not known.
ALTER TABLE checkout_sessions ADD COLUMN referrer_host TEXT;
