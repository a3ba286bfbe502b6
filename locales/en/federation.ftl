# The profile fields of the site's and campaigns' fediverse accounts (ActivityPub actors).
federation-field-website = Website
federation-field-donate = Donate
federation-donate-link = Give to this campaign
