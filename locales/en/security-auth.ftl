# Password checks and their limits (passwords.rs, team/throttle.rs)
security-auth-busy = Too many sign-ins are being checked right now. Please try again in a few seconds.
security-auth-post-throttled = { $count ->
    [one] Too many wrong passwords. Please wait a minute before trying again.
   *[other] Too many wrong passwords. Please wait { $count } minutes before trying again.
}
