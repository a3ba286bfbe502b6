# Account security: what a password change or "sign out everywhere" revokes, and the API's
# refusals (two-factor required, a cross-site write with a session cookie).
account-password-changed-revoked = Your password is changed. Your other sessions were signed out, your API tokens were revoked and unused sign-in and reset links no longer work.
account-signout-everywhere-revokes-hint = Ends every session of yours, on every device, including this one. It also revokes your API tokens and unused sign-in and reset links.
signin-signout-everywhere-revokes-hint = Ends every session of your account, on all your devices, including this one. It also revokes your API tokens and unused sign-in and reset links.
api-error-two-factor-required = This site requires two-factor sign-in for your role. Set it up at /account/2fa, then try again.
api-error-cross-origin = A signed-in browser may change things through the API only from this site's own pages. Scripts should use an API token (Authorization: Bearer).
