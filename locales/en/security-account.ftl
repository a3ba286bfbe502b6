# Account security: what a password change or "sign out everywhere" revokes, and the API's
# refusals (two-factor required, a cross-site write with a session cookie).
account-password-changed-revoked = Your password is changed. Your other sessions were signed out, your API tokens were revoked and unused sign-in and reset links no longer work.
account-signout-everywhere-revokes-hint = Ends every session of yours, on every device, including this one. It also revokes your API tokens and unused sign-in and reset links.
signin-signout-everywhere-revokes-hint = Ends every session of your account, on all your devices, including this one. It also revokes your API tokens and unused sign-in and reset links.
